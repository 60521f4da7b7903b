//! Bundles: one file that carries a publication offline — to read (the
//! HTML) and to mirror (the log and the blobs).
//!
//! Format (docs/FORMATS.md): a gzip-compressed tar archive (`.tar.gz`),
//! chosen because every system opens it without erkin — `tar xzf`, Windows'
//! own tar, phone file managers — so a reader given a USB stick needs
//! nothing else. Members, in order:
//! - `erkin-bundle.json`: what the bundle holds (format, origin, verifier
//!   key, the log sizes it spans);
//! - the log files (`tile/...`, `tile/entries/...`), then `blob/<sha256>`;
//! - the site (pages, feeds, `erkin.json`) — full bundles only;
//! - `checkpoint`, last.
//!
//! Plain paths only: no directories, links or devices, every member once.
//! Output is deterministic: the same log gives the same bytes (fixed
//! modes, owners and times; the gzip header carries no time).
//!
//! Reading a bundle trusts nothing in it: every member is checked for a safe
//! path, a regular type, no duplicate and a size limit before a byte is
//! written, and only the log files and blobs are kept — the mirror renders
//! its own pages and verifies everything against the pinned key.

use std::collections::HashSet;
use std::fs;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use erkin_core::blob::BlobId;
use erkin_core::checkpoint::MAX_CHECKPOINT_LEN;
use erkin_core::entry::ParsedEntry;
use erkin_core::tiles::{
    decode_bundle, entry_bundles, hash_tiles, TileKind, TilePath, MAX_ENTRY_LEN,
};
use erkin_export::{for_each_file, Part, Selection};
use erkin_store::{Publication, StoreError};
use serde::{Deserialize, Serialize};

pub const BUNDLE_FORMAT: &str = "erkin.bundle/v1";
pub const MANIFEST: &str = "erkin-bundle.json";
/// The largest page or other site file a bundle may carry.
pub const MAX_SITE_FILE_LEN: u64 = 32 * 1024 * 1024;
const MAX_MANIFEST_LEN: u64 = 64 * 1024;
const MAX_PATH_LEN: usize = 1024;
/// All member paths together (each is remembered to refuse duplicates).
const MAX_PATH_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleManifest {
    pub format: String,
    pub origin: String,
    pub verifier_key: String,
    /// The log size this bundle starts from: 0 for a full bundle. A mirror
    /// must already hold at least this many entries to import it.
    pub since: u64,
    /// The log size of its checkpoint.
    pub size: u64,
    /// Whether the site's pages are inside (full bundles).
    pub pages: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("not an erkin bundle: {0}")]
    NotABundle(String),
    #[error("bundle member {path:?}: unsafe path ({reason}); refused")]
    UnsafePath { path: String, reason: &'static str },
    #[error(
        "bundle member {path:?}: a {kind}, not a plain file; links and special files are refused"
    )]
    NotAFile { path: String, kind: String },
    #[error("bundle member {path:?} appears twice; refused")]
    Duplicate { path: String },
    #[error("bundle member {path:?} is {len} bytes, more than the {max} allowed for it")]
    MemberTooLarge { path: String, len: u64, max: u64 },
    #[error("the bundle unpacks to more than {max} bytes; refused")]
    TooLarge { max: u64 },
    #[error("the bundle has more than {max} members; refused")]
    TooManyMembers { max: u64 },
    #[error("the bundle is damaged or cut short: {0}")]
    Damaged(String),
    /// The manifest says the bundle continues a log from `since` entries,
    /// but the copy importing it holds only `held`.
    #[error("the bundle continues a log from {since} entries; this copy holds {held}")]
    Gap { since: u64, held: u64 },
    /// The manifest spans more entries than one sync takes
    /// (`erkin mirror --max-growth`); nothing was unpacked.
    #[error(
        "the bundle spans entries {since}..{size}, more than the {max} one sync takes; refused"
    )]
    TooMuchGrowth { since: u64, size: u64, max: u64 },
    /// A log file or blob the span its manifest states cannot need: refused
    /// before it is written.
    #[error("bundle member {path:?}: {reason}; refused")]
    Unexpected { path: String, reason: &'static str },
    /// The bundle inflates far more than any real bundle (a decompression
    /// bomb): refused at the first excess.
    #[error("the bundle inflates {unpacked} bytes from {read} compressed, more than any real bundle; refused")]
    Inflated { read: u64, unpacked: u64 },
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BundleStats {
    pub members: u64,
    pub bytes: u64,
}

/// Writes a bundle of `publication` to `out` (whole, or nothing: a
/// temporary file renamed into place). With `since` > 0, only the log files
/// and blobs that a mirror holding `since` entries lacks, and no pages.
pub fn write_bundle(
    publication: &Publication,
    out: &Path,
    since: u64,
) -> Result<BundleStats, BundleError> {
    let io = |source| BundleError::Io {
        path: out.to_path_buf(),
        source,
    };
    let state = publication.state();
    let size = publication.store().size();
    let since = since.min(size);
    let manifest = BundleManifest {
        format: BUNDLE_FORMAT.into(),
        origin: state.origin().to_string(),
        verifier_key: state.log_key().to_string(),
        since,
        size,
        pages: since == 0,
    };
    let tmp = out.with_extension("partial");
    let file = fs::File::create(&tmp).map_err(io)?;
    let gz = flate2::GzBuilder::new().write(
        std::io::BufWriter::new(file),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    let mut stats = BundleStats::default();
    // Members carry the time of the log's last entry: deterministic, and
    // still a meaningful date for people who list the archive.
    let mtime = state.last_time();
    let mut append = |tar: &mut tar::Builder<_>, path: &str, bytes: &[u8]| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(mtime);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        stats.members += 1;
        stats.bytes += bytes.len() as u64;
        tar.append_data(&mut header, path, bytes)
    };
    let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
    append(&mut tar, MANIFEST, &json).map_err(io)?;
    let skip = |_: &str, _: Part| false;
    let selection = Selection {
        since,
        site: since == 0,
        skip: &skip,
    };
    for_each_file::<BundleError>(publication, &selection, &mut |path, _, bytes| {
        if let Some(bytes) = bytes {
            append(&mut tar, path, bytes).map_err(io)?;
        }
        Ok(())
    })?;
    let gz = tar.into_inner().map_err(io)?;
    let mut writer = gz.finish().map_err(io)?;
    writer.flush().map_err(io)?;
    let file = writer.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all().map_err(io)?;
    fs::rename(&tmp, out).map_err(io)?;
    erkin_export::sync_dir(out.parent().unwrap_or(Path::new("."))).map_err(io)?;
    Ok(stats)
}

/// Limits on what a bundle may unpack to. Beyond these fixed caps, what a
/// bundle may hold is derived from the span its manifest states (`since`
/// to `size`, at most `max_growth` entries): exactly the tiles and entry
/// bundles of that span, each at most its width's size, and only blobs its
/// entries name. Anything else is refused before it is written.
#[derive(Debug, Clone, Copy)]
pub struct BundleLimits {
    pub max_total: u64,
    pub max_members: u64,
    pub max_blob_len: u64,
    /// The most entries a bundle may span (as `SyncOptions::max_growth`).
    pub max_growth: u64,
    /// The entries the importing copy holds: a bundle must start at or
    /// before them ([`BundleError::Gap`]).
    pub held: u64,
}

impl Default for BundleLimits {
    fn default() -> Self {
        Self {
            max_total: 64 * 1024 * 1024 * 1024,
            max_members: 2_000_000,
            max_blob_len: erkin_core::blob::DEFAULT_MAX_BLOB_LEN,
            max_growth: erkin_core::sync::DEFAULT_MAX_GROWTH,
            held: 0,
        }
    }
}

/// Unpacked bytes a bundle may reach before its compression ratio is judged.
pub const INFLATE_ALLOWANCE: u64 = 64 * 1024 * 1024;
/// Unpacked bytes per compressed byte beyond the allowance. Real bundles
/// inflate a few times (tiles and images hardly at all, text 3-10x); gzip
/// can reach 1000x on zeros.
pub const MAX_INFLATION: u64 = 50;

/// Counts the bytes read through it.
struct Counting<R> {
    inner: R,
    count: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// The size limit of a member, by what its path says it is.
fn member_limit(path: &str, limits: &BundleLimits) -> u64 {
    if path == MANIFEST {
        MAX_MANIFEST_LEN
    } else if path == "checkpoint" {
        MAX_CHECKPOINT_LEN as u64
    } else if let Ok(tile) = TilePath::parse(path) {
        match tile.kind {
            TileKind::Entries => u64::from(tile.width) * (2 + MAX_ENTRY_LEN as u64),
            TileKind::Hashes { .. } => u64::from(tile.width) * 32,
        }
    } else if path.starts_with("blob/") {
        limits.max_blob_len
    } else {
        MAX_SITE_FILE_LEN
    }
}

/// Why a member cannot belong to the bundle's span, if it cannot: a tile
/// or entry bundle outside it, or a blob no entry in it names. Site files
/// are never written, so any are allowed (within the other limits).
fn unexpected(
    path: &str,
    expected: &HashSet<TilePath>,
    named: &HashSet<BlobId>,
) -> Option<&'static str> {
    if let Ok(tile) = TilePath::parse(path) {
        return (!expected.contains(&tile))
            .then_some("a log file the span in the manifest does not have");
    }
    if let Some(id) = path
        .strip_prefix("blob/")
        .and_then(|h| h.parse::<BlobId>().ok())
    {
        return (!named.contains(&id)).then_some("a blob no entry in the bundle names");
    }
    None
}

/// Whether a member is part of the log a mirror takes (else: site files).
fn is_log_member(path: &str) -> bool {
    path == "checkpoint"
        || TilePath::parse(path).is_ok()
        || path
            .strip_prefix("blob/")
            .is_some_and(|h| h.parse::<BlobId>().is_ok())
}

/// Refuses any path that could land outside the directory it is unpacked
/// into, or mean different things on different systems.
fn check_path(path: &str) -> Result<(), &'static str> {
    if path.is_empty() {
        return Err("empty");
    }
    if path.len() > MAX_PATH_LEN {
        return Err("too long");
    }
    if path.starts_with('/') {
        return Err("absolute");
    }
    if path.contains('\\') || path.contains(':') {
        return Err("contains a backslash or colon");
    }
    if path.chars().any(|c| c.is_control()) {
        return Err("contains a control character");
    }
    for part in path.trim_end_matches('/').split('/') {
        match part {
            "" => return Err("empty component"),
            "." | ".." => return Err("dot component"),
            _ => {}
        }
    }
    Ok(())
}

/// Checks every member of the bundle at `file` and unpacks its log files and
/// blobs into `dest` (which then reads as a copy). Returns its manifest.
pub fn unpack_bundle(
    file: &Path,
    dest: &Path,
    limits: &BundleLimits,
) -> Result<BundleManifest, BundleError> {
    let io_at = |path: &Path| {
        let path = path.to_path_buf();
        move |source| BundleError::Io {
            path: path.clone(),
            source,
        }
    };
    let f = fs::File::open(file).map_err(io_at(file))?;
    let compressed = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let counted = Counting {
        inner: f,
        count: compressed.clone(),
    };
    let gz = flate2::read::GzDecoder::new(BufReader::new(counted));
    let mut archive = tar::Archive::new(gz);
    let damaged = |e: std::io::Error| BundleError::Damaged(e.to_string());
    let mut seen = HashSet::new();
    let mut total: u64 = 0;
    let mut manifest: Option<BundleManifest> = None;
    // Raw entries: the tar crate would otherwise read a GNU long-name or a
    // PAX header whole into memory, however large its header says it is,
    // before we see it. Long names are read here, bounded.
    let mut long_name: Option<Vec<u8>> = None;
    let mut n: u64 = 0;
    let mut path_bytes: u64 = 0;
    // What the manifest's span can hold: its tiles and entry bundles, and
    // the blobs its entries name (filled in as the entries arrive).
    let mut expected: HashSet<TilePath> = HashSet::new();
    let mut named: HashSet<BlobId> = HashSet::new();
    let mut unpacked: u64 = 0;
    for entry in archive.entries().map_err(damaged)?.raw(true) {
        let mut entry = entry.map_err(damaged)?;
        let kind = entry.header().entry_type();
        if kind == tar::EntryType::GNULongName {
            let mut name = Vec::new();
            (&mut entry)
                .take(MAX_PATH_LEN as u64 + 2)
                .read_to_end(&mut name)
                .map_err(damaged)?;
            while name.last() == Some(&0) {
                name.pop();
            }
            if name.len() > MAX_PATH_LEN {
                return Err(BundleError::UnsafePath {
                    path: String::from_utf8_lossy(&name[..64]).into_owned() + "...",
                    reason: "too long",
                });
            }
            long_name = Some(name);
            continue;
        }
        if kind.is_gnu_longlink()
            || kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
        {
            return Err(BundleError::NotAFile {
                path: String::from_utf8_lossy(&entry.path_bytes()).into_owned(),
                kind: format!("{kind:?}").to_lowercase(),
            });
        }
        if n >= limits.max_members {
            return Err(BundleError::TooManyMembers {
                max: limits.max_members,
            });
        }
        let raw = match long_name.take() {
            Some(name) => name,
            None => entry.path_bytes().into_owned(),
        };
        // Every path is kept (to refuse duplicates): bound them all.
        path_bytes += raw.len() as u64;
        if path_bytes > MAX_PATH_BYTES {
            return Err(BundleError::TooManyMembers {
                max: limits.max_members.min(n),
            });
        }
        let path = String::from_utf8(raw).map_err(|e| BundleError::UnsafePath {
            path: String::from_utf8_lossy(e.as_bytes()).into_owned(),
            reason: "not UTF-8",
        })?;
        check_path(&path).map_err(|reason| BundleError::UnsafePath {
            path: path.clone(),
            reason,
        })?;
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            return Err(BundleError::NotAFile {
                path,
                kind: format!("{kind:?}").to_lowercase(),
            });
        }
        if !seen.insert(path.clone()) {
            return Err(BundleError::Duplicate { path });
        }
        let len = entry.header().size().map_err(damaged)?;
        let max = member_limit(&path, limits);
        if len > max {
            return Err(BundleError::MemberTooLarge { path, len, max });
        }
        total = total.saturating_add(len);
        if total > limits.max_total {
            return Err(BundleError::TooLarge {
                max: limits.max_total,
            });
        }
        // Headers count too: a million empty members are a bomb as well.
        unpacked = unpacked.saturating_add(len).saturating_add(512);
        let read = compressed.get();
        if unpacked > INFLATE_ALLOWANCE.saturating_add(read.saturating_mul(MAX_INFLATION)) {
            return Err(BundleError::Inflated { read, unpacked });
        }
        if n > 0 {
            if let Some(reason) = unexpected(&path, &expected, &named) {
                return Err(BundleError::Unexpected { path, reason });
            }
        }
        n += 1;
        if n == 1 {
            if path != MANIFEST {
                return Err(BundleError::NotABundle(format!(
                    "its first member is {path:?}, not {MANIFEST}"
                )));
            }
            let mut bytes = Vec::new();
            (&mut entry)
                .take(max)
                .read_to_end(&mut bytes)
                .map_err(damaged)?;
            let m: BundleManifest = serde_json::from_slice(&bytes)
                .map_err(|e| BundleError::NotABundle(format!("{MANIFEST}: {e}")))?;
            if m.format != BUNDLE_FORMAT {
                return Err(BundleError::NotABundle(format!(
                    "format {:?}, this erkin reads {BUNDLE_FORMAT:?}",
                    m.format
                )));
            }
            if m.since > m.size {
                return Err(BundleError::NotABundle(format!(
                    "{MANIFEST}: since {} is after size {}",
                    m.since, m.size
                )));
            }
            if m.since > limits.held {
                return Err(BundleError::Gap {
                    since: m.since,
                    held: limits.held,
                });
            }
            if m.size - m.since > limits.max_growth {
                return Err(BundleError::TooMuchGrowth {
                    since: m.since,
                    size: m.size,
                    max: limits.max_growth,
                });
            }
            expected.extend(hash_tiles(m.since, m.size));
            expected.extend(entry_bundles(m.since, m.size));
            manifest = Some(m);
            continue;
        }
        if !is_log_member(&path) {
            // Site files are checked, then skipped: the mirror renders its own.
            std::io::copy(&mut (&mut entry).take(max), &mut std::io::sink()).map_err(damaged)?;
            continue;
        }
        let mut bytes = Vec::with_capacity(len.min(1 << 20) as usize);
        (&mut entry)
            .take(max)
            .read_to_end(&mut bytes)
            .map_err(damaged)?;
        if bytes.len() as u64 != len {
            return Err(BundleError::Damaged(format!(
                "{path}: {} of {len} bytes",
                bytes.len()
            )));
        }
        // The blobs the new entries name are the only ones the bundle may
        // carry. (An entry that does not parse names nothing; the sync
        // judges the entries themselves.)
        if let (Ok(tile), Some(m)) = (TilePath::parse(&path), &manifest) {
            if tile.kind == TileKind::Entries {
                if let Ok(entries) = decode_bundle(&bytes, usize::from(tile.width)) {
                    for (i, e) in entries.into_iter().enumerate() {
                        if tile.first_entry() + (i as u64) < m.since {
                            continue;
                        }
                        if let Ok(parsed) = ParsedEntry::parse(e, &m.origin) {
                            named.extend(
                                parsed
                                    .body
                                    .action
                                    .blob_refs()
                                    .into_iter()
                                    .filter_map(|b| b.parse::<BlobId>().ok()),
                            );
                        }
                    }
                }
            }
        }
        let out = dest.join(&path);
        erkin_export::atomic_write(&out, &bytes, false).map_err(|e| BundleError::Io {
            path: out.clone(),
            source: std::io::Error::other(e.to_string()),
        })?;
    }
    manifest.ok_or_else(|| BundleError::NotABundle("it is empty".into()))
}
