//! Writing a store out as a static copy.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use erkin_core::blob::BlobId;
use erkin_core::checkpoint::Checkpoint;
use erkin_core::tiles::{entry_bundles, hash_tiles};
use erkin_store::{Publication, StoreError};
use sha2::{Digest, Sha256};

pub use erkin_core::descriptor::{Descriptor, DESCRIPTOR_FILE};

/// The export's own record of the files it wrote and their hashes: lets the
/// next export skip unchanged files without reading them, and delete files
/// the site no longer has (a redacted image, a page that went away) without
/// ever touching a file it did not write.
pub const MANIFEST_FILE: &str = ".erkin-files";

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
    /// Files of an earlier export that the site no longer has.
    pub deleted: usize,
}

/// What part of a copy a file is, which decides how carefully it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Tiles and entry bundles: fsynced before the checkpoint names them.
    Log,
    /// Content-addressed blobs: same name, same bytes.
    Blob,
    /// Pages, feeds, the descriptor: rebuilt from the log at will.
    Site,
    /// The checkpoint, always last.
    Checkpoint,
}

/// Which files of a copy to produce.
pub struct Selection<'a> {
    /// Log files and blobs for entries from this size on (0: everything).
    pub since: u64,
    /// Whether to render the site's pages.
    pub site: bool,
    /// Files the caller already has: not read from the store at all.
    pub skip: &'a dyn Fn(&str, Part) -> bool,
}

/// Receives each file of a copy: its path, its part, and its bytes (`None`
/// for a file the caller said it already has).
pub type Visit<'a, E> = dyn FnMut(&str, Part, Option<&[u8]>) -> Result<(), E> + 'a;

/// Produces the files of a static copy of `publication` in write order —
/// log, blobs, site, checkpoint last — handing each to `visit`. Skipped
/// files are announced with `None`. The one definition of what a copy
/// holds, for the export and the bundle alike.
pub fn for_each_file<E: From<StoreError>>(
    publication: &Publication,
    selection: &Selection,
    visit: &mut Visit<'_, E>,
) -> Result<(), E> {
    let store = publication.store();
    let state = publication.state();
    let size = store.size();
    let since = selection.since.min(size);
    // The log first, while little else is waiting to be written (each fsync
    // commits the filesystem's journal, with whatever else is pending).
    for tile in entry_bundles(since, size)
        .into_iter()
        .chain(hash_tiles(since, size))
    {
        let rel = tile.to_string();
        if (selection.skip)(&rel, Part::Log) {
            visit(&rel, Part::Log, None)?;
            continue;
        }
        let bytes = store.tile(&tile)?.ok_or_else(|| StoreError::Corrupt {
            path: store.path().to_path_buf(),
            reason: format!("{rel} is missing from a tree of size {size}"),
        })?;
        visit(&rel, Part::Log, Some(&bytes))?;
    }
    // Only blobs the log names: a blob uploaded and never used (or stored by
    // anyone with access to the store) is not the publication's to publish.
    let blob_ids = blobs_named_since(publication, since)?;
    for id in blob_ids {
        let rel = format!("blob/{id}");
        if (selection.skip)(&rel, Part::Blob) {
            visit(&rel, Part::Blob, None)?;
            continue;
        }
        if let Some(bytes) = store.blob(&id, erkin_core::blob::DEFAULT_MAX_BLOB_LEN)? {
            visit(&rel, Part::Blob, Some(&bytes))?;
        }
    }
    if selection.site {
        // The same files `erkin serve` serves, from the one renderer.
        let blobs = |id: &BlobId| {
            store
                .blob(id, erkin_core::blob::DEFAULT_MAX_BLOB_LEN)
                .ok()
                .flatten()
        };
        let config = erkin_views::SiteConfig::for_state(state);
        for file in erkin_views::render_site(state, &blobs, &config) {
            visit(&file.path, Part::Site, Some(&file.bytes))?;
        }
    }
    if let Some(cp) = store.latest_checkpoint_bytes()? {
        visit("checkpoint", Part::Checkpoint, Some(&cp))?;
    }
    Ok(())
}

/// Blobs that entries from `since` on name and the store holds.
fn blobs_named_since(publication: &Publication, since: u64) -> Result<Vec<BlobId>, StoreError> {
    let store = publication.store();
    let ids = if since == 0 {
        // The whole log: the fold has collected them already.
        publication.state().named_blobs()
    } else {
        let origin = publication.state().origin().to_string();
        let mut ids = BTreeSet::new();
        store.for_each_entry(since, |_, e| {
            if let Ok(parsed) = erkin_core::entry::ParsedEntry::parse(e, &origin) {
                let named = parsed.body.action.blob_refs();
                ids.extend(named.into_iter().filter_map(|b| b.parse::<BlobId>().ok()));
            }
            Ok(())
        })?;
        ids
    };
    let mut held = Vec::new();
    for id in ids {
        if store.has_blob(&id)? {
            held.push(id);
        }
    }
    Ok(held)
}

/// Writes the static copy of `publication` into `out`, incrementally.
pub fn export(publication: &Publication, out: &Path) -> Result<ExportStats, ExportError> {
    export_with_progress(publication, out, &mut |_| {})
}

/// [`export`], telling `progress` the part of each file as it is handled
/// (written or found unchanged), in write order. The caller decides how to
/// show it; the library never prints.
pub fn export_with_progress(
    publication: &Publication,
    out: &Path,
    progress: &mut dyn FnMut(Part),
) -> Result<ExportStats, ExportError> {
    refuse_overwriting(out, publication)?;
    fs::create_dir_all(out).map_err(|source| ExportError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let old = read_manifest(out);
    let mut w = Writer {
        root: out.to_path_buf(),
        stats: ExportStats::default(),
        old: &old,
        new: BTreeMap::new(),
        dirs: HashSet::from([out.to_path_buf()]),
    };
    let root = out.to_path_buf();
    let skip = |rel: &str, part: Part| match part {
        // Full tiles never change once written: present is enough (they are
        // written whole, under a temporary name). (Partial tiles are
        // superseded, so they are rewritten.)
        Part::Log => {
            erkin_core::tiles::TilePath::parse(rel).is_ok_and(|t| t.is_full())
                && root.join(rel).is_file()
        }
        // Blobs never change either, but a new one is written straight to
        // its name: only one an earlier export finished (its manifest
        // lists it) and still of its length is known to be whole.
        Part::Blob => old.get(rel).copied().flatten().is_some_and(|(len, _)| {
            fs::metadata(root.join(rel)).is_ok_and(|m| m.is_file() && m.len() == len)
        }),
        _ => false,
    };
    let selection = Selection {
        since: 0,
        site: true,
        skip: &skip,
    };
    // Files arrive log first and the checkpoint last, once everything it
    // covers is in place; the log and the checkpoint are fsynced.
    for_each_file::<ExportError>(publication, &selection, &mut |rel, part, bytes| {
        match (part, bytes) {
            (_, None) => w.keep(rel)?,
            (Part::Log | Part::Checkpoint, Some(b)) => w.write(rel, b, true)?,
            (_, Some(b)) => w.write(rel, b, false)?,
        }
        progress(part);
        Ok(())
    })?;
    // Only then the files an earlier export wrote that the site no longer
    // has (a superseded partial tile, a redacted image), and the blobs of
    // any passed redaction even if no manifest lists them: until the new
    // checkpoint is in place, the old one may still name the old tiles.
    let mut stale: BTreeSet<String> = old
        .keys()
        .filter(|p| !w.new.contains_key(*p) && *p != "checkpoint")
        .cloned()
        .collect();
    for id in publication.state().redacted_blobs() {
        stale.insert(format!("blob/{id}"));
        for ext in erkin_core::media::MEDIA_EXTENSIONS {
            stale.insert(format!("media/{id}.{ext}"));
        }
    }
    for rel in stale {
        let path = out.join(&rel);
        match fs::remove_file(&path) {
            Ok(()) => w.stats.deleted += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(ExportError::Io { path, source }),
        }
    }
    write_manifest(out, &w.new)?;
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

/// A file's fingerprint in the manifest: length and truncated SHA-256.
type Fingerprint = (u64, [u8; 16]);

fn fingerprint(bytes: &[u8]) -> Fingerprint {
    let digest = Sha256::digest(bytes);
    let mut short = [0u8; 16];
    short.copy_from_slice(&digest[..16]);
    (bytes.len() as u64, short)
}

/// Only plain relative paths (no `..`, no root, no empty parts) are taken
/// from a manifest, which anyone with write access to the copy could edit.
fn is_plain_relative(path: &str) -> bool {
    !path.is_empty()
        && path.len() <= 1024
        && !path.contains('\\')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

fn read_manifest(out: &Path) -> BTreeMap<String, Option<Fingerprint>> {
    let Ok(text) = fs::read_to_string(out.join(MANIFEST_FILE)) else {
        return BTreeMap::new();
    };
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ' ');
        let (Some(hash), Some(len), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if !is_plain_relative(path) {
            continue;
        }
        let fp = hex::decode(hash)
            .ok()
            .and_then(|h| <[u8; 16]>::try_from(h).ok())
            .zip(len.parse::<u64>().ok())
            .map(|(h, l)| (l, h));
        map.insert(path.to_string(), fp);
    }
    map
}

fn write_manifest(
    out: &Path,
    files: &BTreeMap<String, Option<Fingerprint>>,
) -> Result<(), ExportError> {
    let mut text = String::new();
    for (path, fp) in files {
        let (len, hash) = fp.map_or((0, String::from("-")), |(l, h)| (l, hex::encode(h)));
        text.push_str(&format!("{hash} {len} {path}\n"));
    }
    atomic_write(&out.join(MANIFEST_FILE), text.as_bytes(), false)
}

struct Writer<'a> {
    root: PathBuf,
    stats: ExportStats,
    old: &'a BTreeMap<String, Option<Fingerprint>>,
    new: BTreeMap<String, Option<Fingerprint>>,
    /// Folders known to exist (made or found by this export): each is
    /// made once, not once per file.
    dirs: HashSet<PathBuf>,
}

impl Writer<'_> {
    /// A file the caller knows is in place (a full tile, a blob).
    fn keep(&mut self, rel: &str) -> Result<(), ExportError> {
        self.stats.unchanged += 1;
        let fp = self.old.get(rel).copied().flatten();
        self.new.insert(rel.to_string(), fp);
        Ok(())
    }

    /// Writes `bytes` at `rel` unless the file already holds exactly them
    /// (as the manifest records, or as read).
    ///
    /// `durable` files — the log's tiles and bundles and the checkpoint —
    /// are written under a temporary name, fsynced, renamed into place and
    /// their folder fsynced, so a checkpoint that survives a crash never
    /// names tiles that did not, and a tile present is a tile whole.
    ///
    /// The rest (pages, blobs) are not fsynced: after a crash a re-run
    /// rewrites whatever is wrong. A file an earlier export wrote (the
    /// manifest lists it) may be read by someone while it changes: it is
    /// replaced whole, by a rename. A file new to this copy (every file of
    /// a fresh export) has no reader yet, and nothing links to it before
    /// the lists written after it: it is written straight to its name,
    /// without reading anything back. Should a crash cut it short, the
    /// manifest (written last) does not list it, so the next export reads
    /// it back, finds it wrong and replaces it.
    fn write(&mut self, rel: &str, bytes: &[u8], durable: bool) -> Result<(), ExportError> {
        let path = self.root.join(rel);
        let fp = fingerprint(bytes);
        self.new.insert(rel.to_string(), Some(fp));
        let listed = self.old.get(rel).copied();
        // Recorded with these bytes: trust the record if the file is still
        // there with the right length (someone may have deleted it).
        if listed.flatten() == Some(fp) && fs::metadata(&path).is_ok_and(|m| m.len() == fp.0) {
            self.stats.unchanged += 1;
            return Ok(());
        }
        let io = |source| ExportError::Io {
            path: path.clone(),
            source,
        };
        let parent = path.parent().expect("layout paths have a parent");
        self.make_dir(parent, durable).map_err(io)?;
        if !durable && listed.is_none() {
            match create_new(&path, bytes) {
                Ok(()) => {
                    self.stats.written += 1;
                    return Ok(());
                }
                // Not this export's file, or one a crash cut short: read
                // it back, as below.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(source) => return Err(io(source)),
            }
        }
        // Listed with other bytes: it changed (a read-back would only find
        // what the manifest says). Otherwise compare with what is there.
        let changed = matches!(listed, Some(Some(_)));
        if !changed && fs::read(&path).is_ok_and(|old| old == bytes) {
            self.stats.unchanged += 1;
            return Ok(());
        }
        replace_whole(&path, bytes, durable)?;
        self.stats.written += 1;
        Ok(())
    }

    /// Makes folder `dir` (and any missing above it) unless this export
    /// already has. A folder made for a `durable` file has its own parent
    /// fsynced, so the new name survives a power loss with the files in it.
    fn make_dir(&mut self, dir: &Path, durable: bool) -> std::io::Result<()> {
        if self.dirs.contains(dir) {
            return Ok(());
        }
        match fs::create_dir(dir) {
            Ok(()) => {
                if durable {
                    crate::dir::sync_dir(dir.parent().unwrap_or(Path::new("")))?;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if !fs::metadata(dir)?.is_dir() {
                    return Err(e);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let parent = dir.parent().ok_or(e)?;
                self.make_dir(parent, durable)?;
                return self.make_dir(dir, durable);
            }
            Err(e) => return Err(e),
        }
        self.dirs.insert(dir.to_path_buf());
        Ok(())
    }
}

/// Writes `bytes` to a file that must not exist yet (`AlreadyExists` if
/// it does: nothing is touched then).
fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)
}

/// Writes a file whole: temporary name in the same directory, then rename.
pub fn atomic_write(path: &Path, bytes: &[u8], durable: bool) -> Result<(), ExportError> {
    let parent = path.parent().expect("layout paths have a parent");
    fs::create_dir_all(parent).map_err(|source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    replace_whole(path, bytes, durable)
}

/// [`atomic_write`] into a folder that exists. `durable`: the file is
/// fsynced before the rename and its folder after it.
fn replace_whole(path: &Path, bytes: &[u8], durable: bool) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let parent = path.parent().expect("layout paths have a parent");
    let tmp = parent.join(format!(
        ".{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("file")
    ));
    let mut f = fs::File::create(&tmp).map_err(io)?;
    f.write_all(bytes)
        .and_then(|_| if durable { f.sync_all() } else { Ok(()) })
        .map_err(io)?;
    fs::rename(&tmp, path).map_err(io)?;
    // The rename is durable only once its directory is synced: a checkpoint
    // must never survive a power loss that its tiles did not.
    if durable {
        crate::dir::sync_dir(parent).map_err(io)?;
    }
    Ok(())
}
