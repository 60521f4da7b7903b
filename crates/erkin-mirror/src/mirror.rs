//! A mirror: a data directory that copies a publication from a source,
//! verifying everything, committing atomically.
//!
//! Layout of a mirror directory (a data directory without a log key):
//! - `erkin.sqlite`: the store, exactly as on the newsroom's server — so
//!   `erkin serve --dir`, `erkin export --dir` and `erkin verify` work on it;
//! - `mirror.json`: the source it syncs from;
//! - `site/`: the static copy (pages, log, blobs), ready for any web server,
//!   static host or USB stick — unless made with `--no-site`;
//! - `evidence/`: evidence files of rollbacks, forks and misbehaviour;
//! - `.sync/`: what a sync in progress has fetched, and the new entries it
//!   has verified (`.sync/entries`, read back by the commit), cleared after it.
//!
//! Invariants:
//! - The pinned key is the store's log key, fixed by the first sync.
//! - A sync commits in one store transaction (entries, tree hashes and the
//!   source's checkpoint) after every check has passed; blobs are stored
//!   just before, each checked against its name. The new entries are staged
//!   on disk as they are verified and streamed into that transaction, so a
//!   sync of many entries does not hold them in memory. A refused or interrupted
//!   sync leaves the store as it was (plus, at most, verified blobs).
//! - The site is exported after the commit; its checkpoint is written last.
//! - One sync at a time per directory (a lock file).

use std::borrow::Cow;
use std::fs;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use erkin_core::blob::{BlobError, BlobId, DEFAULT_MAX_BLOB_LEN};
use erkin_core::checkpoint::Checkpoint;
use erkin_core::keys::VerifierKey;
use erkin_core::sync::{plan, Accepted, Context, EntrySink, Planned, Refusal, DEFAULT_MAX_GROWTH};
use erkin_core::tiles::MAX_ENTRY_LEN;
use erkin_core::verify::{CopyReader, ReadError};
use erkin_export::{export, DirCopy, ExportError, ExportStats};
use erkin_store::{Publication, PublicationError, Store, StoreError};
use serde::{Deserialize, Serialize};

use crate::bundle::{unpack_bundle, BundleError, BundleLimits};
use crate::http::{HttpCopy, HttpOptions};

pub const CONFIG_FILE: &str = "mirror.json";
pub const SITE_DIR: &str = "site";
pub const EVIDENCE_DIR: &str = "evidence";
const STAGING_DIR: &str = ".sync";
/// The verified new entries of a sync in progress, in the staging directory.
const STAGED_ENTRIES: &str = "entries";
const LOCK_FILE: &str = ".sync.lock";
const MAX_CONFIG_LEN: u64 = 64 * 1024;

/// Whose failure a failed sync is, which decides what a script should do
/// (the CLI turns each into its exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Blame {
    /// The source is not a genuine, complete copy: a bad signature, a
    /// tampered or malformed file, a response or member larger than allowed,
    /// a bad bundle, an absurd claim. Nothing was written; try another.
    Source,
    /// The source rolled back to an older checkpoint. Evidence saved.
    Rollback,
    /// The source serves a fork of the log. Evidence saved.
    Fork,
    /// The log holds an entry the rules forbid. Evidence saved.
    Misbehaviour,
    /// Not the source's doing: the network, or this copy's own trouble.
    /// Try again later.
    Local,
}

#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    #[error("refused: {refusal}{}", evidence.as_ref().map(|p| format!("\nevidence saved: {}", p.display())).unwrap_or_default())]
    Refused {
        refusal: Refusal,
        evidence: Option<PathBuf>,
    },
    #[error("refused: {path}: {error}")]
    TamperedBlob { path: String, error: BlobError },
    #[error(
        "refused: {path} is named by the log but the source does not have it (an incomplete copy)"
    )]
    MissingBlob { path: String },
    #[error("refused: {0}")]
    Bundle(BundleError),
    #[error("this bundle continues a log from {since} entries, but {dir} holds {have}")]
    BundleGap { since: u64, have: u64, dir: PathBuf },
    #[error(
        "{dir} is pinned to the log key {pinned}, not {given}; a mirror follows one publication"
    )]
    KeyMismatch {
        dir: PathBuf,
        pinned: String,
        given: String,
    },
    #[error("the source does not say its verifier key")]
    NoKey,
    #[error("erkin.json from the source: {0}")]
    BadDescriptor(String),
    #[error("{0}: another sync of this mirror is running")]
    Busy(PathBuf),
    #[error("{0}: not a URL, a bundle file or a directory holding a copy")]
    UnknownSource(String),
    #[error("no source given and {0} has none recorded; pass SOURCE")]
    NoSource(PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Publication(#[from] PublicationError),
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl MirrorError {
    /// Whose failure this is.
    pub fn blame(&self) -> Blame {
        match self {
            MirrorError::Refused { refusal, .. } => match refusal {
                Refusal::Rollback { .. } => Blame::Rollback,
                Refusal::Fork { .. } => Blame::Fork,
                Refusal::Misbehaviour { .. } => Blame::Misbehaviour,
                // A network failure is not the copy's fault: try again later.
                Refusal::Unreadable(ReadError::Io { .. })
                | Refusal::LocalCopy(_)
                | Refusal::Staging(_) => Blame::Local,
                _ => Blame::Source,
            },
            MirrorError::TamperedBlob { .. }
            | MirrorError::MissingBlob { .. }
            | MirrorError::Bundle(_) => Blame::Source,
            _ => Blame::Local,
        }
    }
}

/// What the mirror remembers between syncs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MirrorConfig {
    pub source: Option<String>,
}

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// The key to pin on the first sync (else trust on first use), or to
    /// check against the pinned one.
    pub key: Option<VerifierKey>,
    pub http: HttpOptions,
    pub max_blob_len: u64,
    /// The most entries one sync may add ([`DEFAULT_MAX_GROWTH`]). A signed
    /// checkpoint that would grow the mirror by more is refused, with
    /// evidence, before anything else is fetched; a bundle claiming more is
    /// refused before anything is unpacked.
    pub max_growth: u64,
    pub bundle: BundleLimits,
    /// Write the static copy into `site/`.
    pub site: bool,
    /// The clock, for evidence files (Unix seconds).
    pub now: u64,
}

impl Default for SyncOptions {
    fn default() -> Self {
        Self {
            key: None,
            http: HttpOptions::default(),
            max_blob_len: DEFAULT_MAX_BLOB_LEN,
            max_growth: DEFAULT_MAX_GROWTH,
            bundle: BundleLimits::default(),
            site: true,
            now: 0,
        }
    }
}

/// What one sync did.
#[derive(Debug, Default, Clone)]
pub struct SyncReport {
    pub source: String,
    pub old_size: u64,
    pub new_size: u64,
    /// The key was taken from the source on this first sync (say so loudly).
    pub trusted_on_first_use: Option<String>,
    pub blobs_fetched: u64,
    pub blobs_deleted: u64,
    /// HTTP requests made and body bytes received (0 for other sources).
    pub requests: u64,
    pub bytes: u64,
    pub site: Option<ExportStats>,
}

/// Where a sync reads from.
enum Source {
    Http(HttpCopy),
    /// A static copy: an export, a mirror's `site/`, an unpacked bundle.
    Dir(DirCopy),
    /// Another data directory (a mirror's, or a newsroom's).
    Store(Store),
    /// An unpacked bundle, and the verifier key its manifest names.
    Bundle(DirCopy, String),
}

impl Source {
    fn reader(&self) -> &dyn CopyReader {
        match self {
            Source::Http(h) => h,
            Source::Dir(d) => d,
            Source::Store(s) => s,
            Source::Bundle(d, _) => d,
        }
    }

    /// The verifier key the source says it has: only for trust on first
    /// use, and checked against the signatures like everything else.
    fn advertised_key(&self) -> Result<Option<VerifierKey>, MirrorError> {
        match self {
            Source::Store(s) => return Ok(Some(s.log_key().clone())),
            Source::Bundle(_, key) => {
                return VerifierKey::parse(key).map(Some).map_err(|e| {
                    MirrorError::Bundle(BundleError::NotABundle(format!(
                        "{}: verifier_key: {e}",
                        crate::bundle::MANIFEST
                    )))
                })
            }
            Source::Http(_) | Source::Dir(_) => {}
        }
        let bytes = self
            .reader()
            .read(erkin_core::descriptor::DESCRIPTOR_FILE, 64 * 1024)
            .map_err(|e| MirrorError::Refused {
                refusal: Refusal::Unreadable(e),
                evidence: None,
            })?;
        let Some(bytes) = bytes else { return Ok(None) };
        let d: erkin_core::descriptor::Descriptor = serde_json::from_slice(&bytes)
            .map_err(|e| MirrorError::BadDescriptor(e.to_string()))?;
        VerifierKey::parse(&d.verifier_key)
            .map(Some)
            .map_err(|e| MirrorError::BadDescriptor(e.to_string()))
    }
}

/// A mirror directory, open for syncing. Keeps the folded state between
/// syncs, so a long-running follower folds each entry once.
pub struct Mirror {
    dir: PathBuf,
    config: MirrorConfig,
    publication: Option<Publication>,
    _lock: fs::File,
}

impl Mirror {
    /// Opens (or prepares) the mirror directory `dir`, taking its lock.
    pub fn open(dir: &Path) -> Result<Self, MirrorError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| MirrorError::Io {
                path: path.clone(),
                source,
            }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let lock_path = dir.join(LOCK_FILE);
        let lock = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        if lock.try_lock().is_err() {
            return Err(MirrorError::Busy(dir.to_path_buf()));
        }
        // The config is written whole (temporary file, fsync, rename); one
        // cut short by an older erkin reads as none, and the next sync
        // records the source again.
        let config: MirrorConfig =
            erkin_export::read_bounded(&dir.join(CONFIG_FILE), CONFIG_FILE, MAX_CONFIG_LEN)
                .ok()
                .flatten()
                .and_then(|b| serde_json::from_slice(&b).ok())
                .unwrap_or_default();
        // No store, a store an interrupted creation left (it holds no log),
        // or one a first sync made and never committed to: the next sync
        // starts the mirror afresh.
        let publication = match Store::open(dir) {
            Ok(store) if store.size() == 0 => None,
            Ok(store) => {
                drop(store);
                Some(Publication::open(dir)?)
            }
            Err(StoreError::NotFound { .. } | StoreError::HalfMade { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            config,
            publication,
            _lock: lock,
        })
    }

    /// What the mirror remembers (its source).
    pub fn config(&self) -> &MirrorConfig {
        &self.config
    }

    pub fn publication(&self) -> Option<&Publication> {
        self.publication.as_ref()
    }

    /// The folded publication, without folding the log again (and without
    /// the lock: the mirror is done with).
    pub fn into_publication(self) -> Option<Publication> {
        self.publication
    }

    pub fn size(&self) -> u64 {
        self.publication.as_ref().map_or(0, |p| p.store().size())
    }

    fn staging(&self) -> PathBuf {
        self.dir.join(STAGING_DIR)
    }

    fn clear_staging(&self) {
        let _ = fs::remove_dir_all(self.staging());
    }

    /// Opens `spec` (a URL, a bundle file, a directory) as a source. A
    /// bundle is checked and unpacked into the staging directory first.
    fn open_source(&self, spec: &str, options: &SyncOptions) -> Result<Source, MirrorError> {
        if spec.starts_with("http://") || spec.starts_with("https://") {
            let staging = self.staging().join("http");
            // Staged files are reused only from the source that served them:
            // what one (perhaps lying) source left must never be read as
            // another's.
            let marker = staging.join(".source");
            if fs::read_to_string(&marker).ok().as_deref() != Some(spec) {
                let _ = fs::remove_dir_all(&staging);
                fs::create_dir_all(&staging).map_err(|source| MirrorError::Io {
                    path: staging.clone(),
                    source,
                })?;
                fs::write(&marker, spec).map_err(|source| MirrorError::Io {
                    path: marker.clone(),
                    source,
                })?;
            }
            return Ok(Source::Http(HttpCopy::new(
                spec,
                &staging,
                options.http.clone(),
            )));
        }
        let path = Path::new(spec);
        if path.is_file() {
            let dest = self.staging().join("bundle");
            let _ = fs::remove_dir_all(&dest);
            let limits = BundleLimits {
                held: self.size(),
                max_growth: options.max_growth,
                ..options.bundle
            };
            let manifest = match unpack_bundle(path, &dest, &limits) {
                Ok(m) => m,
                Err(BundleError::Gap { since, held }) => {
                    self.clear_staging();
                    return Err(MirrorError::BundleGap {
                        since,
                        have: held,
                        dir: self.dir.clone(),
                    });
                }
                Err(e) => {
                    self.clear_staging();
                    return Err(MirrorError::Bundle(e));
                }
            };
            return Ok(Source::Bundle(DirCopy::new(&dest), manifest.verifier_key));
        }
        if path.join(erkin_store::store::DB_FILE).is_file() {
            return Ok(Source::Store(Store::open_unverified(path)?));
        }
        if DirCopy::looks_like_copy(path) {
            return Ok(Source::Dir(DirCopy::new(path)));
        }
        Err(MirrorError::UnknownSource(spec.to_string()))
    }

    /// Syncs from `spec` (or the recorded source when `None`).
    pub fn sync(
        &mut self,
        spec: Option<&str>,
        options: &SyncOptions,
    ) -> Result<SyncReport, MirrorError> {
        let spec = match spec {
            Some(s) => s.to_string(),
            None => self
                .config
                .source
                .clone()
                .ok_or_else(|| MirrorError::NoSource(self.dir.clone()))?,
        };
        let source = self.open_source(&spec, options)?;
        let mut result = self.sync_from(&source, &spec, options);
        if let (Source::Http(h), Ok(report)) = (&source, &mut result) {
            report.requests = h.requests();
            report.bytes = h.bytes();
        }
        // Staging is cleared after a commit, and after a refusal (what was
        // fetched came from a source that lied); a network failure keeps it,
        // so the next run resumes.
        let interrupted = matches!(
            &result,
            Err(MirrorError::Refused {
                refusal: Refusal::Unreadable(ReadError::Io { .. }),
                ..
            })
        );
        if !interrupted {
            self.clear_staging();
        }
        result
    }

    /// One sync from an opened source.
    fn sync_from(
        &mut self,
        source: &Source,
        spec: &str,
        options: &SyncOptions,
    ) -> Result<SyncReport, MirrorError> {
        let mut report = SyncReport {
            source: spec.to_string(),
            old_size: self.size(),
            ..SyncReport::default()
        };
        let key = match (&self.publication, &options.key) {
            (Some(p), given) => {
                let pinned = p.store().log_key().clone();
                if let Some(g) = given {
                    if *g != pinned {
                        return Err(MirrorError::KeyMismatch {
                            dir: self.dir.clone(),
                            pinned: pinned.to_string(),
                            given: g.to_string(),
                        });
                    }
                }
                pinned
            }
            (None, Some(k)) => k.clone(),
            (None, None) => {
                let k = source.advertised_key()?.ok_or(MirrorError::NoKey)?;
                report.trusted_on_first_use = Some(k.to_string());
                k
            }
        };
        let ctx = Context {
            key: &key,
            source: spec,
            now: options.now,
            max_growth: options.max_growth,
        };
        let reader = source.reader();
        let mut staged = Staged::create(&self.staging().join(STAGED_ENTRIES))?;
        // The accepted state is moved into the plan, not cloned: at 100,000
        // articles a clone is about 200 MB. It comes back with an up-to-date
        // answer; after a refusal the publication is opened again from its
        // store (its snapshot), which is rare and costs what opening does.
        let (mut held, state) = match self.publication.take() {
            Some(p) => {
                let (store, state) = p.into_parts();
                (Some(store), Some(state))
            }
            None => (None, None),
        };
        let planned = {
            let accepted = match (&held, state) {
                (Some(store), Some(state)) => {
                    let note = store.latest_checkpoint_bytes()?.unwrap_or_default();
                    let checkpoint =
                        Checkpoint::open(&note, &key).map_err(|e| StoreError::Corrupt {
                            path: store.path().to_path_buf(),
                            reason: format!("latest checkpoint: {e}"),
                        })?;
                    Some((store, note, checkpoint, state))
                }
                _ => None,
            };
            let hashes = accepted.as_ref().map(|(s, ..)| s.hashes());
            let accepted = match (accepted, &hashes) {
                (Some((store, note, checkpoint, state)), Some(h)) => Some(Accepted {
                    checkpoint,
                    note,
                    hashes: h,
                    copy: store,
                    state,
                }),
                _ => None,
            };
            plan(&ctx, accepted, reader, &mut staged)
        };
        let update = match planned {
            Ok(Planned::UpToDate { size, state }) => {
                if let (Some(store), Some(state)) = (held.take(), state) {
                    self.publication = Some(Publication::from_folded(store, *state));
                }
                report.new_size = size;
                self.remember(spec)?;
                report.site = self.write_site(options)?;
                return Ok(report);
            }
            Ok(Planned::Update(u)) => u,
            Err(refusal) => {
                self.reopen(held)?;
                let evidence = match refusal.evidence() {
                    Some(e) => Some(self.save_evidence(e, options.now)?),
                    None => None,
                };
                return Err(MirrorError::Refused { refusal, evidence });
            }
        };

        // Blobs: the new entries name them; check each before storing any.
        let fetched = (|| {
            let mut wanted = Vec::new();
            for id in &update.blobs {
                let have = match &held {
                    Some(store) => store.has_blob(id)?,
                    None => false,
                };
                if !have {
                    wanted.push(*id);
                }
            }
            let paths: Vec<String> = wanted.iter().map(|id| format!("blob/{id}")).collect();
            reader.prefetch(&paths, options.max_blob_len);
            for (id, path) in wanted.iter().zip(&paths) {
                read_blob(reader, id, path, options.max_blob_len)?;
            }
            Ok::<_, MirrorError>((wanted, paths))
        })();
        let (wanted, paths) = match fetched {
            Ok(w) => w,
            Err(e) => {
                self.reopen(held)?;
                return Err(e);
            }
        };

        // Commit: blobs (each checked again as stored), then the log in one
        // transaction under the source's checkpoint.
        let mut store = match held {
            Some(store) => store,
            None => self.first_store(&key)?,
        };
        let committed = (|| {
            for (id, path) in wanted.iter().zip(&paths) {
                let bytes = read_blob(reader, id, path, options.max_blob_len)?;
                store.put_blob(&bytes, options.max_blob_len)?;
            }
            // The folded state goes into the store with the entries (in
            // their transaction) when there is none yet or the log has run
            // far enough past it (`snapshot_due`), as the sequencer does.
            let snap = match store.snapshot_extent()? {
                Some((at, len))
                    if !erkin_store::publication::snapshot_due(update.state.size(), at, len) =>
                {
                    None
                }
                _ => Some(erkin_core::snapshot::encode(&update.state)),
            };
            let mut entries = staged.entries()?;
            let appended = store.append_signed_from(
                &mut entries,
                &update.note,
                report.old_size,
                snap.as_ref(),
            );
            // A staged file that could not be read back ends the entries
            // early, and the store refuses the short tree: say why.
            if let Some(source) = entries.failure.take() {
                return Err(MirrorError::Io {
                    path: staged.path.clone(),
                    source,
                });
            }
            appended?;
            Ok::<_, MirrorError>(())
        })();
        if let Err(e) = committed {
            // The store is unchanged (or holds extra checked blobs); fold it
            // again so this mirror stays usable.
            drop(store);
            self.publication = match Store::open(&self.dir) {
                Ok(s) if s.size() > 0 => Some(Publication::open(&self.dir)?),
                _ => None,
            };
            return Err(e);
        }
        report.blobs_fetched = wanted.len() as u64;
        // Redactions: the blobs go, here and (by the export) from the site.
        for id in update.state.redacted_blobs() {
            if store.delete_blob(&id)? {
                report.blobs_deleted += 1;
            }
        }
        report.new_size = store.size();
        self.publication = Some(Publication::from_folded(store, update.state));
        self.remember(spec)?;
        report.site = self.write_site(options)?;
        Ok(report)
    }

    /// The store a first sync commits into. A store left empty by an earlier
    /// first sync that never committed is reused if it is for `key`, and
    /// replaced if not (it holds no log: nothing is lost); a half-made one
    /// is replaced by `Store::create`.
    /// Opens the publication again after a sync that moved its state out
    /// and did not commit: from `store` if it was held, its snapshot and
    /// the entries after it.
    fn reopen(&mut self, held: Option<Store>) -> Result<(), MirrorError> {
        if let Some(store) = held {
            drop(store);
            self.publication = Some(Publication::open(&self.dir)?);
        }
        Ok(())
    }

    fn first_store(&self, key: &VerifierKey) -> Result<Store, MirrorError> {
        match Store::open(&self.dir) {
            Ok(s) if s.log_key() == key => Ok(s),
            Ok(s) if s.size() == 0 => {
                drop(s);
                let db = self.dir.join(erkin_store::store::DB_FILE);
                for suffix in ["", "-wal", "-shm", "-journal"] {
                    let path = PathBuf::from(format!("{}{suffix}", db.display()));
                    match fs::remove_file(&path) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(source) => return Err(MirrorError::Io { path, source }),
                    }
                }
                Ok(Store::create(&self.dir, key)?)
            }
            Ok(s) => Err(MirrorError::KeyMismatch {
                dir: self.dir.clone(),
                pinned: s.log_key().to_string(),
                given: key.to_string(),
            }),
            Err(StoreError::NotFound { .. } | StoreError::HalfMade { .. }) => {
                Ok(Store::create(&self.dir, key)?)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Records the source for the next sync.
    fn remember(&mut self, spec: &str) -> Result<(), MirrorError> {
        // A bundle is a one-off; a URL or a directory is a place to return to.
        if !Path::new(spec).is_file() {
            self.config.source = Some(spec.to_string());
        }
        let mut json = serde_json::to_vec_pretty(&self.config).expect("config serializes");
        json.push(b'\n');
        erkin_export::atomic_write(&self.dir.join(CONFIG_FILE), &json, true)?;
        Ok(())
    }

    /// Exports the static copy into `site/` unless it is already current.
    fn write_site(&self, options: &SyncOptions) -> Result<Option<ExportStats>, MirrorError> {
        let Some(p) = &self.publication else {
            return Ok(None);
        };
        if !options.site {
            return Ok(None);
        }
        let site = self.dir.join(SITE_DIR);
        let current = p.store().latest_checkpoint_bytes()?;
        if current.is_some() && fs::read(site.join("checkpoint")).ok() == current {
            return Ok(None);
        }
        Ok(Some(export(p, &site)?))
    }

    fn save_evidence(
        &self,
        evidence: &erkin_core::evidence::Evidence,
        now: u64,
    ) -> Result<PathBuf, MirrorError> {
        let kind = serde_json::to_value(evidence.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "evidence".into());
        let dir = self.dir.join(EVIDENCE_DIR);
        let mut path = dir.join(format!("{kind}-{now}.json"));
        let mut n = 1;
        while path.exists() {
            n += 1;
            path = dir.join(format!("{kind}-{now}-{n}.json"));
        }
        erkin_export::atomic_write(&path, &evidence.to_json(), true)?;
        Ok(path)
    }
}

/// The new entries of a sync, staged on disk as the fold takes them (each a
/// 4-byte big-endian length, then its bytes) and read back one at a time
/// by the commit: a sync of many entries holds none of them in memory. The
/// file is the mirror's own (written and read by this process, removed
/// when done); the store checks the entries it reads against the signed
/// checkpoint all the same.
struct Staged {
    path: PathBuf,
    out: Option<BufWriter<fs::File>>,
    count: u64,
}

impl Staged {
    fn create(path: &Path) -> Result<Self, MirrorError> {
        let io = |source| MirrorError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io)?;
        }
        let file = fs::File::create(path).map_err(io)?;
        Ok(Self {
            path: path.to_path_buf(),
            out: Some(BufWriter::with_capacity(1 << 20, file)),
            count: 0,
        })
    }

    /// Ends the writing; the entries, in order.
    fn entries(&mut self) -> Result<StagedEntries, MirrorError> {
        let io = |source| MirrorError::Io {
            path: self.path.clone(),
            source,
        };
        if let Some(mut out) = self.out.take() {
            out.flush().map_err(io)?;
        }
        let file = fs::File::open(&self.path).map_err(io)?;
        Ok(StagedEntries {
            input: BufReader::with_capacity(1 << 20, file),
            left: self.count,
            failure: None,
        })
    }
}

impl EntrySink for Staged {
    fn put(&mut self, _: u64, entry: &[u8]) -> Result<(), String> {
        let out = self.out.as_mut().ok_or("the staged entries are closed")?;
        let len = u32::try_from(entry.len()).map_err(|_| "an entry over 4 GiB".to_string())?;
        out.write_all(&len.to_be_bytes())
            .and_then(|()| out.write_all(entry))
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        self.count += 1;
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        self.out = None;
        let _ = fs::remove_file(&self.path);
    }
}

/// The staged entries, read back one at a time. A read failure ends them
/// early and is kept in `failure`.
struct StagedEntries {
    input: BufReader<fs::File>,
    left: u64,
    failure: Option<std::io::Error>,
}

impl Iterator for StagedEntries {
    type Item = Cow<'static, [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 || self.failure.is_some() {
            return None;
        }
        let mut len = [0u8; 4];
        let read = self.input.read_exact(&mut len).and_then(|()| {
            let len = u32::from_be_bytes(len) as usize;
            if len > MAX_ENTRY_LEN {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("a staged entry of {len} bytes, longer than any entry"),
                ));
            }
            let mut entry = vec![0; len];
            self.input.read_exact(&mut entry).map(|()| entry)
        });
        match read {
            Ok(entry) => {
                self.left -= 1;
                Some(Cow::Owned(entry))
            }
            Err(e) => {
                self.failure = Some(e);
                None
            }
        }
    }
}

/// Reads blob `id` from the source and checks it against its name.
fn read_blob(
    reader: &dyn CopyReader,
    id: &BlobId,
    path: &str,
    max: u64,
) -> Result<Vec<u8>, MirrorError> {
    match reader.read(path, max) {
        Ok(Some(b)) => {
            id.check(&b).map_err(|error| MirrorError::TamperedBlob {
                path: path.to_string(),
                error,
            })?;
            Ok(b)
        }
        Ok(None) => Err(MirrorError::MissingBlob {
            path: path.to_string(),
        }),
        Err(e) => Err(MirrorError::Refused {
            refusal: Refusal::Unreadable(e),
            evidence: None,
        }),
    }
}
