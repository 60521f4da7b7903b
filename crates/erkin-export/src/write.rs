//! Writing a store out as a static copy.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use erkin_core::checkpoint::Checkpoint;
use erkin_core::tiles::{entry_bundles, hash_tiles};
use erkin_store::{Publication, StoreError};
use serde::{Deserialize, Serialize};

/// The descriptor file: what this copy is and how to check it.
pub const DESCRIPTOR_FILE: &str = "erkin.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    /// Layout version of the copy.
    pub format: String,
    pub origin: String,
    pub name: String,
    /// The log's verifier key. A reader should pin it from a trusted channel
    /// (printed, QR, a friend) rather than from this file, which a hostile host
    /// could replace; it is here so mirrors and tools can find it.
    pub verifier_key: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}: holds a copy of another publication (its checkpoint is not signed by this log key); export into an empty directory")]
    ForeignCopy(PathBuf),
    #[error("{path}: holds a newer copy ({theirs} entries) than this data directory ({ours}); exporting would roll readers back. Sync the data directory first")]
    Rollback {
        path: PathBuf,
        theirs: u64,
        ours: u64,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportStats {
    /// Files whose bytes changed (or were new) and were written.
    pub written: usize,
    /// Files already present with the right bytes.
    pub unchanged: usize,
}

/// Writes the log part of the static layout of `publication` into `out`.
pub fn export(publication: &Publication, out: &Path) -> Result<ExportStats, ExportError> {
    let store = publication.store();
    let state = publication.state();
    let size = store.size();
    let mut w = Writer {
        root: out.to_path_buf(),
        stats: ExportStats::default(),
    };
    refuse_overwriting(out, publication)?;
    fs::create_dir_all(out).map_err(|source| ExportError::Io {
        path: out.to_path_buf(),
        source,
    })?;

    // The log first, while little else is waiting to be written (each fsync
    // commits the filesystem's journal, with whatever else is pending).
    for tile in entry_bundles(0, size)
        .into_iter()
        .chain(hash_tiles(0, size))
    {
        let rel = tile.to_string();
        // Full tiles never change once written; partial ones are superseded.
        if tile.is_full() && out.join(&rel).is_file() {
            w.stats.unchanged += 1;
            continue;
        }
        let bytes = store.tile(&tile)?.ok_or_else(|| StoreError::Corrupt {
            path: store.path().to_path_buf(),
            reason: format!("{rel} is missing from a tree of size {size}"),
        })?;
        w.put_durable(&rel, &bytes)?;
    }
    for id in store.blob_ids()? {
        let rel = format!("blob/{id}");
        // Blobs are immutable: same name, same bytes. Skip the read entirely.
        if out.join(&rel).is_file() {
            w.stats.unchanged += 1;
            continue;
        }
        if let Some(bytes) = store.blob(&id)? {
            // Content-addressed: a blob lost in a crash is written again by
            // the next export, and a wrong one can never pass for it.
            w.put(&rel, &bytes)?;
        }
    }
    // The site: the same files `erkin serve` serves, from the one renderer.
    let blobs = |id: &erkin_core::blob::BlobId| store.blob(id).ok().flatten();
    let config = erkin_views::SiteConfig::for_state(state);
    for file in erkin_views::render_site(state, &blobs, &config) {
        w.put(&file.path, &file.bytes)?;
    }
    let descriptor = Descriptor {
        format: "erkin/1".into(),
        origin: state.origin().to_string(),
        name: state.name().to_string(),
        verifier_key: state.log_key().to_string(),
    };
    let mut json = serde_json::to_vec_pretty(&descriptor).expect("descriptor serializes");
    json.push(b'\n');
    w.put(DESCRIPTOR_FILE, &json)?;
    // Last: the checkpoint, once everything it covers is in place.
    if let Some(cp) = store.latest_checkpoint_bytes()? {
        w.put_durable("checkpoint", &cp)?;
    }
    Ok(w.stats)
}

/// An export may only move a copy of the same publication forward.
fn refuse_overwriting(out: &Path, publication: &Publication) -> Result<(), ExportError> {
    let path = out.join("checkpoint");
    let Ok(existing) = fs::read(&path) else {
        return Ok(());
    };
    let store = publication.store();
    match Checkpoint::open(&existing, store.log_key()) {
        Err(_) => Err(ExportError::ForeignCopy(out.to_path_buf())),
        Ok(cp) if cp.size > store.size() => Err(ExportError::Rollback {
            path: out.to_path_buf(),
            theirs: cp.size,
            ours: store.size(),
        }),
        Ok(_) => Ok(()),
    }
}

struct Writer {
    root: PathBuf,
    stats: ExportStats,
}

impl Writer {
    /// Writes `bytes` at `rel` unless the file already holds exactly them.
    /// The file appears whole (temporary name, then rename). Pages are not
    /// fsynced: after a crash a re-run of the export rewrites whatever is
    /// missing or wrong, and nothing checks pages against the log.
    fn put(&mut self, rel: &str, bytes: &[u8]) -> Result<(), ExportError> {
        self.write(rel, bytes, false)
    }

    /// Like `put`, and fsyncs the file before the rename: for the log's
    /// tiles and bundles and the checkpoint, so a checkpoint that
    /// survives a crash never names tiles that did not.
    fn put_durable(&mut self, rel: &str, bytes: &[u8]) -> Result<(), ExportError> {
        self.write(rel, bytes, true)
    }

    fn write(&mut self, rel: &str, bytes: &[u8], durable: bool) -> Result<(), ExportError> {
        let path = self.root.join(rel);
        if fs::read(&path).is_ok_and(|old| old == bytes) {
            self.stats.unchanged += 1;
            return Ok(());
        }
        let io = |source| ExportError::Io {
            path: path.clone(),
            source,
        };
        let parent = path.parent().expect("layout paths have a parent");
        fs::create_dir_all(parent).map_err(io)?;
        let tmp = parent.join(format!(
            ".{}.tmp",
            path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
        ));
        let mut f = fs::File::create(&tmp).map_err(io)?;
        f.write_all(bytes)
            .and_then(|_| if durable { f.sync_all() } else { Ok(()) })
            .map_err(io)?;
        fs::rename(&tmp, &path).map_err(io)?;
        self.stats.written += 1;
        Ok(())
    }
}
