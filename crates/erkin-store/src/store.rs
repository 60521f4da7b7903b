//! The durable log: entries, Merkle tree hashes, signed checkpoints and blobs in
//! one SQLite database (`erkin.sqlite` in the data directory).
//!
//! Invariants this file keeps:
//! - An append is one `BEGIN IMMEDIATE` transaction holding the entries, their
//!   tree hashes and the checkpoint that signs them. SQLite in WAL mode with
//!   `synchronous=FULL` fsyncs the WAL at commit, and `append` returns only
//!   after the commit: what it reports done survives any crash, and a crash
//!   before the commit leaves the previous checkpoint, which is still valid.
//! - The store never signs a checkpoint that is not a pure extension of the
//!   previous one: hashes are only ever appended, and each checkpoint's root is
//!   computed from the stored hashes inside the same transaction.
//! - Nothing in the store is trusted on open: the latest checkpoint must verify
//!   against the log key recorded at creation and match the stored tree.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use erkin_core::blob::{check_blob_len, BlobError, BlobId};
use erkin_core::checkpoint::Checkpoint;
use erkin_core::checkpoint::MAX_CHECKPOINT_LEN;
use erkin_core::keys::{SecretKey, VerifierKey};
use erkin_core::snapshot::{self, Encoded};
use erkin_core::tiles::{encode_bundle, TileKind, TilePath, MAX_ENTRY_LEN, TILE_WIDTH};
use erkin_core::verify::{CopyReader, ReadError};
use erkin_core::Hash;
use rusqlite::{params, Connection, OptionalExtension, Transaction, TransactionBehavior};
use tlog_tiles::HashReader;

pub const DB_FILE: &str = "erkin.sqlite";
/// SQLite `application_id`: the bytes "erkn", so `file` and erkin can tell our
/// database from any other SQLite file.
const APPLICATION_ID: i32 = 0x6572_6b6e;
/// The on-disk format version (`user_version`). Bump it with a migration.
pub const FORMAT_VERSION: i32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A render from the stored lists ([`crate::lists`]) found them short
    /// of what it needs, before rendering anything: render from every
    /// article instead (read them all first).
    #[error("the stored lists cannot make this render; every article is to be read")]
    ListsShort,
    #[error("{path}: no erkin data here")]
    NotFound { path: PathBuf },
    #[error("{0}: a publication already exists here")]
    AlreadyExists(PathBuf),
    /// Another process is writing to this data directory: a second writer
    /// would split what readers see. The caller should stop, or send its
    /// entries through that process (a sequencing server's members' API).
    #[error("{dir}: another process is writing to this data directory ({who}, process {pid})")]
    Locked {
        dir: PathBuf,
        pid: String,
        who: String,
    },
    /// An older erkin was killed while creating this store: it holds no
    /// log. [`Store::create`] replaces it; nothing in it can be lost.
    #[error("{path}: an interrupted creation left an empty store here")]
    HalfMade { path: PathBuf },
    #[error("{path}: not an erkin database ({reason})")]
    NotAStore { path: PathBuf, reason: String },
    #[error(
        "{path}: written by a newer erkin (format {found}, this one reads up to {FORMAT_VERSION})"
    )]
    NewerFormat { path: PathBuf, found: i32 },
    #[error("{path}: the store is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("{path}: database error: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("entry {index} is {len} bytes, more than the limit of {MAX_ENTRY_LEN}")]
    EntryTooLarge { index: usize, len: usize },
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error("the log grew from {expected} to {found} entries while this batch was being checked; check again against the new entries")]
    Conflict { expected: u64, found: u64 },
    #[error("the log key given does not match this publication's log key {expected}")]
    WrongLogKey { expected: String },
    #[error("the checkpoint to store is not this log's: {reason}")]
    ForeignCheckpoint { reason: String },
    #[error("the checkpoint signs a tree of {size} entries that is not the stored tree plus these entries ({computed} entries); nothing was written")]
    CheckpointMismatch { size: u64, computed: u64 },
    /// A state snapshot offered with a batch is not of the state after it
    /// (a caller's mistake); nothing was written.
    #[error("the state snapshot is of {snapshot} entries, but the log would hold {size}; nothing was written")]
    SnapshotSize { size: u64, snapshot: u64 },
}

/// The state snapshot's head stored with the log ([`Store::snapshot`]):
/// bytes in `erkin_core::snapshot`'s format, tied to the log size it was
/// taken at, the tree root at that size, and the state's digest. Its
/// article rows are read one at a time
/// ([`Store::for_each_snapshot_article`]).
#[derive(Debug, Clone)]
pub struct StoredSnapshot {
    pub size: u64,
    pub root: Hash,
    pub digest: [u8; 32],
    /// The bytes the state's digest hashes, as recorded (0 if unknown).
    pub weight: u64,
    pub bytes: Vec<u8>,
    /// The replay set's base kept apart from the head
    /// ([`erkin_core::snapshot::Encoded::seen_base`]): the log size it was
    /// written at, and its hashes.
    pub seen_base: Option<(u64, Vec<u8>)>,
}

/// A stored snapshot head or article row longer than this is not read (a
/// damaged or hostile data directory); it is rebuilt from the log instead.
/// The head of a log of 100,000 entries is about 5 MB, an article's row
/// about 700 bytes per revision.
pub const MAX_SNAPSHOT_LEN: u64 = 1 << 28;

/// Where a stored blob is, for reading it in pieces.
#[derive(Debug, Clone, Copy)]
pub struct BlobHandle {
    row: i64,
    pub len: u64,
}

pub struct Store {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    log_key: VerifierKey,
    size: u64,
}

impl Store {
    /// Creates a new, empty store in `dir` (created if needed) for the log
    /// whose verifier key is `log_key`. Fails if a store is already there.
    ///
    /// Creation is atomic: the database is built and committed under a
    /// temporary name, fsynced, and only then linked to its real name (a
    /// link fails if the name exists, so two creators cannot both win). A
    /// crash at any instant leaves either no store or a complete one. A
    /// half-made store left by an older erkin killed while creating one
    /// ([`StoreError::HalfMade`]) is replaced; anything else is never
    /// touched.
    pub fn create(dir: &Path, log_key: &VerifierKey) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        let cannot = |what: &str, e: std::io::Error| StoreError::NotAStore {
            path: dir.to_path_buf(),
            reason: format!("{what}: {e}"),
        };
        std::fs::create_dir_all(dir).map_err(|e| cannot("cannot create the directory", e))?;
        if path.exists() {
            if !is_half_made(&path) {
                return Err(StoreError::AlreadyExists(dir.to_path_buf()));
            }
            remove_db_files(&path).map_err(|e| cannot("cannot remove a half-made store", e))?;
        }
        // Staging files of creations that were killed (any process's).
        if let Ok(listing) = std::fs::read_dir(dir) {
            for f in listing.flatten() {
                let name = f.file_name();
                if name
                    .to_string_lossy()
                    .starts_with(&format!("{DB_FILE}.creating-"))
                {
                    let _ = std::fs::remove_file(f.path());
                }
            }
        }
        let staging = dir.join(format!("{DB_FILE}.creating-{}", std::process::id()));
        remove_db_files(&staging).map_err(|e| cannot("cannot clear the staging file", e))?;
        let built = build_empty(&staging, log_key);
        let linked = built.and_then(|()| {
            std::fs::File::open(&staging)
                .and_then(|f| f.sync_all())
                .map_err(|e| cannot("cannot sync the new store", e))?;
            match std::fs::hard_link(&staging, &path) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    Err(StoreError::AlreadyExists(dir.to_path_buf()))
                }
                Err(e) => Err(cannot("cannot name the new store", e)),
            }
        });
        let _ = remove_db_files(&staging);
        linked?;
        crate::sync_parent_dir(&path).map_err(|e| cannot("cannot sync the directory", e))?;
        let store = Self::connect(dir, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        configure(&store.conn).map_err(|source| sql_err(&store.path, source))?;
        Ok(store)
    }

    /// Opens an existing store and checks that it is one of ours, of a format we
    /// read, and that its latest checkpoint verifies and matches its tree.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let mut store = Self::connect(dir, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE)?;
        configure(&store.conn)
            .and_then(|()| store.conn.execute_batch(PENDING_TABLE))
            .and_then(|()| store.conn.execute_batch(SNAPSHOT_TABLE))
            .and_then(|()| store.conn.execute_batch(crate::list_rows::LISTS_TABLES))
            .and_then(|()| store.conn.execute_batch(HELD_TABLES))
            .and_then(|()| add_snapshot_weight(&store.conn))
            .map_err(|source| sql_err(&store.path, source))?;
        store.size = store.check_head().map_err(|reason| StoreError::Corrupt {
            path: store.path.clone(),
            reason,
        })?;
        Ok(store)
    }

    /// Opens a store for `erkin verify`: read-only, checking only that it is an
    /// erkin database of a format we read. Nothing else is trusted or checked
    /// here — judging the contents against a pinned key is the verifier's job,
    /// and a damaged store must be reported as such, not refused as unreadable.
    pub fn open_unverified(dir: &Path) -> Result<Self, StoreError> {
        let mut store = Self::connect(dir, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        store.refresh()?;
        Ok(store)
    }

    /// Opens the database file, checks its identity and reads the log key it
    /// was created for. The size is left at 0 for the caller to establish.
    fn connect(dir: &Path, mode: rusqlite::OpenFlags) -> Result<Self, StoreError> {
        let path = dir.join(DB_FILE);
        if !path.is_file() {
            return Err(StoreError::NotFound { path });
        }
        if is_half_made(&path) {
            return Err(StoreError::HalfMade { path });
        }
        let conn =
            Connection::open_with_flags(&path, mode | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(|source| sql_err(&path, source))?;
        check_identity(&conn, &path)?;
        let corrupt = |reason: String| StoreError::Corrupt {
            path: path.clone(),
            reason,
        };
        let log_key: String = conn
            .query_row(
                "SELECT substr(value, 1, 1024) FROM meta WHERE key = 'log_key'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| corrupt(format!("no log key recorded ({e})")))?;
        let log_key =
            VerifierKey::parse(&log_key).map_err(|e| corrupt(format!("recorded log key: {e}")))?;
        Ok(Self {
            conn,
            path,
            log_key,
            size: 0,
        })
    }

    /// Re-reads the number of entries, which another process may have raised.
    pub fn refresh(&mut self) -> Result<u64, StoreError> {
        self.size = self
            .conn
            .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| {
                r.get(0)
            })
            .map_err(|e| sql_err(&self.path, e))?;
        Ok(self.size)
    }

    /// Checks the latest checkpoint against the log key, the entry count and the
    /// stored tree; returns the tree size. O(log n): a full check is `verify`.
    fn check_head(&self) -> Result<u64, String> {
        let entries: u64 = self
            .conn
            .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| {
                r.get(0)
            })
            .map_err(|e| e.to_string())?;
        let Some(note) = self.latest_checkpoint_bytes().map_err(|e| e.to_string())? else {
            return if entries == 0 {
                Ok(0)
            } else {
                Err(format!("{entries} entries but no checkpoint"))
            };
        };
        let cp = Checkpoint::open(&note, &self.log_key)
            .map_err(|e| format!("latest checkpoint: {e}"))?;
        if cp.size != entries {
            return Err(format!(
                "latest checkpoint is for {} entries, but the store holds {entries}",
                cp.size
            ));
        }
        let root = tlog_tiles::tree_hash(
            cp.size,
            &DbHashes {
                conn: &self.conn,
                base: u64::MAX,
                pending: &[],
            },
        )
        .map_err(|e| format!("tree hashes: {e}"))?;
        if root != cp.root {
            return Err("the stored tree does not hash to the latest checkpoint's root".into());
        }
        Ok(cp.size)
    }

    pub fn log_key(&self) -> &VerifierKey {
        &self.log_key
    }

    pub fn origin(&self) -> &str {
        self.log_key.name()
    }

    /// The number of entries in the log (the latest checkpoint's size).
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends entries (already admitted by the fold) and signs a checkpoint
    /// over them, durably, in one transaction. Returns the new checkpoint.
    ///
    /// `expected_size` is the size the caller checked the entries against; if
    /// another process appended meanwhile, nothing is written and the result
    /// is [`StoreError::Conflict`], so no entry is ever admitted against a
    /// state that is not the log's.
    pub fn append(
        &mut self,
        entries: &[Vec<u8>],
        log_key: &SecretKey,
        expected_size: u64,
    ) -> Result<Checkpoint, StoreError> {
        self.append_naming(entries, &[], log_key, expected_size)
    }

    /// [`Store::append_naming`], storing `snapshot` (the state after these
    /// entries, if given) in the same transaction: the snapshot and the log
    /// it was folded from are committed together or not at all.
    pub fn append_naming_snapshot(
        &mut self,
        entries: &[Vec<u8>],
        named: &[BlobId],
        log_key: &SecretKey,
        expected_size: u64,
        snapshot: Option<&Encoded>,
    ) -> Result<Checkpoint, StoreError> {
        if log_key.verifier_key() != &self.log_key {
            return Err(StoreError::WrongLogKey {
                expected: self.log_key.to_string(),
            });
        }
        let origin = self.log_key.name().to_string();
        let mut entries = entries.iter().map(|e| Cow::Borrowed(e.as_slice()));
        self.append_with(
            &mut entries,
            named,
            expected_size,
            snapshot,
            |size, root| {
                let checkpoint = Checkpoint { origin, size, root };
                let note = checkpoint.sign(log_key);
                Ok((checkpoint, note))
            },
        )
    }

    /// [`Store::append`] for entries that name the blobs `named`: in the
    /// same transaction those stop being pending uploads, so a blob is
    /// served from the instant its entry is in the log, never before.
    pub fn append_naming(
        &mut self,
        entries: &[Vec<u8>],
        named: &[BlobId],
        log_key: &SecretKey,
        expected_size: u64,
    ) -> Result<Checkpoint, StoreError> {
        self.append_naming_snapshot(entries, named, log_key, expected_size, None)
    }

    /// Appends entries under a checkpoint signed elsewhere: a mirror copying
    /// the log. The checkpoint must verify against this store's log key and
    /// its root must be the one the stored tree plus `entries` hash to;
    /// otherwise nothing is written. This keeps the store's invariant — every
    /// stored checkpoint signs exactly the stored tree — for copies too.
    pub fn append_signed(
        &mut self,
        entries: &[Vec<u8>],
        checkpoint_note: &[u8],
        expected_size: u64,
    ) -> Result<Checkpoint, StoreError> {
        self.append_signed_snapshot(entries, checkpoint_note, expected_size, None)
    }

    /// [`Store::append_signed`], storing `snapshot` (the state after these
    /// entries, if given) in the same transaction.
    pub fn append_signed_snapshot(
        &mut self,
        entries: &[Vec<u8>],
        checkpoint_note: &[u8],
        expected_size: u64,
        snapshot: Option<&Encoded>,
    ) -> Result<Checkpoint, StoreError> {
        let mut entries = entries.iter().map(|e| Cow::Borrowed(e.as_slice()));
        self.append_signed_from(&mut entries, checkpoint_note, expected_size, snapshot)
    }

    /// [`Store::append_signed_snapshot`] for entries taken one at a time
    /// from `entries` (a mirror's, staged on disk), so they need not all be
    /// in memory: each is written as it comes, in the one transaction. If
    /// `entries` ends early (its reader failed), the stored tree plus what
    /// it gave is not the checkpoint's, and nothing is written.
    pub fn append_signed_from(
        &mut self,
        entries: &mut dyn Iterator<Item = Cow<'_, [u8]>>,
        checkpoint_note: &[u8],
        expected_size: u64,
        snapshot: Option<&Encoded>,
    ) -> Result<Checkpoint, StoreError> {
        let checkpoint = Checkpoint::open(checkpoint_note, &self.log_key).map_err(|e| {
            StoreError::ForeignCheckpoint {
                reason: e.to_string(),
            }
        })?;
        self.append_with(entries, &[], expected_size, snapshot, |size, root| {
            if checkpoint.size != size || checkpoint.root != root {
                return Err(StoreError::CheckpointMismatch {
                    size: checkpoint.size,
                    computed: size,
                });
            }
            Ok((checkpoint, checkpoint_note.to_vec()))
        })
    }

    /// The one append path: checks sizes, writes `entries` as they come and
    /// computes their tree hashes on top of the stored tree, asks
    /// `checkpoint_for(size, root)` for the checkpoint to store, and commits
    /// all of it in one transaction (or, on any error, nothing).
    fn append_with(
        &mut self,
        entries: &mut dyn Iterator<Item = Cow<'_, [u8]>>,
        named: &[BlobId],
        expected_size: u64,
        snapshot: Option<&Encoded>,
        checkpoint_for: impl FnOnce(u64, Hash) -> Result<(Checkpoint, Vec<u8>), StoreError>,
    ) -> Result<Checkpoint, StoreError> {
        let path = self.path.clone();
        let sql = |source| sql_err(&path, source);
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(sql)?;
        // Re-read the size inside the write lock: another process may have
        // appended since we opened.
        let size: u64 = tx
            .query_row("SELECT COALESCE(MAX(idx) + 1, 0) FROM entries", [], |r| {
                r.get(0)
            })
            .map_err(sql)?;
        if size != expected_size {
            self.size = size;
            return Err(StoreError::Conflict {
                expected: expected_size,
                found: size,
            });
        }
        let base = tlog_tiles::stored_hash_count(size);
        let mut pending: Vec<Hash> = Vec::new();
        let mut new_size = size;
        {
            let mut ins = tx
                .prepare_cached("INSERT INTO entries (idx, data) VALUES (?1, ?2)")
                .map_err(sql)?;
            for (i, e) in entries.enumerate() {
                if e.len() > MAX_ENTRY_LEN {
                    // The transaction is rolled back as it is dropped.
                    return Err(StoreError::EntryTooLarge {
                        index: i,
                        len: e.len(),
                    });
                }
                let reader = DbHashes {
                    conn: &tx,
                    base,
                    pending: &pending,
                };
                let new = tlog_tiles::stored_hashes(new_size, &e, &reader).map_err(|e| {
                    StoreError::Corrupt {
                        path: path.clone(),
                        reason: format!("tree hashes: {e}"),
                    }
                })?;
                pending.extend(new);
                ins.execute(params![new_size, &*e]).map_err(sql)?;
                new_size += 1;
            }
        }
        if let Some(snap) = snapshot {
            if snap.size != new_size {
                return Err(StoreError::SnapshotSize {
                    size: new_size,
                    snapshot: snap.size,
                });
            }
        }
        let root = tlog_tiles::tree_hash(
            new_size,
            &DbHashes {
                conn: &tx,
                base,
                pending: &pending,
            },
        )
        .map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            reason: format!("tree hashes: {e}"),
        })?;
        let (checkpoint, note) = checkpoint_for(new_size, root)?;
        {
            let mut ins = tx
                .prepare_cached("INSERT INTO hashes (id, hash) VALUES (?1, ?2)")
                .map_err(sql)?;
            for (i, h) in pending.iter().enumerate() {
                ins.execute(params![base + i as u64, &h.0[..]])
                    .map_err(sql)?;
            }
            tx.execute(
                "INSERT INTO checkpoints (size, note) VALUES (?1, ?2)",
                params![new_size, note],
            )
            .map_err(sql)?;
            if !named.is_empty() {
                let mut unpend = tx
                    .prepare_cached("DELETE FROM pending_blobs WHERE id = ?1")
                    .map_err(sql)?;
                for id in named {
                    unpend.execute(params![&id.0[..]]).map_err(sql)?;
                }
            }
            if let Some(snap) = snapshot {
                write_snapshot(&tx, snap, &root).map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        self.size = new_size;
        Ok(checkpoint)
    }

    /// The stored state snapshot, if any (`None` also for a store no
    /// snapshotting erkin has written to). A snapshot longer than
    /// [`MAX_SNAPSHOT_LEN`] is reported as [`StoreError::Corrupt`] before a
    /// byte of it is read.
    pub fn snapshot(&self) -> Result<Option<StoredSnapshot>, StoreError> {
        let row = self
            .conn
            .query_row(
                // One statement: the head and the replay set's base of
                // one moment.
                "SELECT s.size, s.root, s.digest, length(s.data),
                        CASE WHEN length(s.data) <= ?1 THEN s.data END, s.weight,
                        b.size, length(b.hashes),
                        CASE WHEN length(b.hashes) <= ?1 THEN b.hashes END
                 FROM state_snapshot s LEFT JOIN state_seen_base b ON b.id = 1
                 WHERE s.id = 1",
                params![MAX_SNAPSHOT_LEN],
                |r| {
                    Ok((
                        (
                            r.get::<_, u64>(0)?,
                            r.get::<_, Vec<u8>>(1)?,
                            r.get::<_, Vec<u8>>(2)?,
                            r.get::<_, u64>(3)?,
                            r.get::<_, Option<Vec<u8>>>(4)?,
                            r.get::<_, u64>(5)?,
                        ),
                        (
                            r.get::<_, Option<u64>>(6)?,
                            r.get::<_, Option<u64>>(7)?,
                            r.get::<_, Option<Vec<u8>>>(8)?,
                        ),
                    ))
                },
            )
            .optional();
        let row = match row {
            Ok(r) => r,
            // No snapshot table (or none of this format: no weight
            // column) in a store no writer of this version has opened.
            Err(rusqlite::Error::SqliteFailure(_, Some(m)))
                if m.contains("no such table") || m.contains("no such column") =>
            {
                None
            }
            Err(e) => return Err(sql_err(&self.path, e)),
        };
        let Some(((size, root, digest, len, data, weight), base)) = row else {
            return Ok(None);
        };
        let corrupt = |reason: String| StoreError::Corrupt {
            path: self.path.clone(),
            reason,
        };
        let bytes = data.ok_or_else(|| corrupt(format!("the state snapshot is {len} bytes")))?;
        let root: [u8; 32] = root
            .try_into()
            .map_err(|_| corrupt("the state snapshot's root is not 32 bytes".into()))?;
        let digest: [u8; 32] = digest
            .try_into()
            .map_err(|_| corrupt("the state snapshot's digest is not 32 bytes".into()))?;
        let seen_base = match base {
            (Some(at), _, Some(hashes)) => Some((at, hashes)),
            (Some(_), len, None) => {
                return Err(corrupt(format!(
                    "the replay set's base is {} bytes",
                    len.unwrap_or(0)
                )))
            }
            (None, _, _) => None,
        };
        Ok(Some(StoredSnapshot {
            size,
            root: Hash(root),
            digest,
            weight,
            bytes,
            seen_base,
        }))
    }

    /// Calls `f` with each article row of the stored snapshot (slug and
    /// bytes, in no particular order), one row in memory at a time; stops
    /// at the first error `f` returns and gives it back. A row longer than
    /// [`MAX_SNAPSHOT_LEN`] is [`StoreError::Corrupt`].
    pub fn for_each_snapshot_article<E>(
        &self,
        mut f: impl FnMut(&str, &[u8]) -> Result<(), E>,
    ) -> Result<Result<(), E>, StoreError> {
        let sql = |e| sql_err(&self.path, e);
        let corrupt = |reason: String| StoreError::Corrupt {
            path: self.path.clone(),
            reason,
        };
        let mut stmt = match self.conn.prepare(
            "SELECT slug, length(data), CASE WHEN length(data) <= ?1 THEN data END
             FROM state_articles",
        ) {
            Ok(s) => s,
            Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => {
                return Ok(Ok(()))
            }
            Err(e) => return Err(sql(e)),
        };
        let mut rows = stmt.query(params![MAX_SNAPSHOT_LEN]).map_err(sql)?;
        while let Some(row) = rows.next().map_err(sql)? {
            let slug = row.get_ref(0).map_err(sql)?;
            let slug = match slug {
                rusqlite::types::ValueRef::Text(t) => std::str::from_utf8(t)
                    .map_err(|_| corrupt("a snapshot article's slug is not UTF-8".into()))?,
                _ => return Err(corrupt("a snapshot article's slug is not text".into())),
            };
            let data = match row.get_ref(2).map_err(sql)? {
                rusqlite::types::ValueRef::Blob(b) => b,
                _ => {
                    let len: u64 = row.get(1).map_err(sql)?;
                    return Err(corrupt(format!(
                        "the snapshot row of article {slug} is {len} bytes"
                    )));
                }
            };
            if let Err(e) = f(slug, data) {
                return Ok(Err(e));
            }
        }
        Ok(Ok(()))
    }

    /// Runs `f` in one read transaction of this store: everything it reads
    /// is of one moment, whatever another process commits meanwhile (a
    /// snapshot's head and its rows; `f` must not write, nor open a
    /// transaction of its own).
    pub fn read_at_once<T>(&self, f: impl FnOnce(&Self) -> T) -> Result<T, StoreError> {
        let sql = |e| sql_err(&self.path, e);
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred).map_err(sql)?;
        let out = f(self);
        tx.commit().map_err(sql)?;
        Ok(out)
    }

    /// [`Store::for_each_snapshot_article`], if the stored snapshot is still
    /// the one of `size` entries recorded with `digest`: both are read in
    /// one transaction, so the rows are that snapshot's even if another
    /// process stores a new one meanwhile. `Ok(None)`: another snapshot,
    /// or none, is stored now (read the publication again).
    pub fn for_each_row_of_snapshot<E>(
        &self,
        size: u64,
        digest: &[u8; 32],
        f: impl FnMut(&str, &[u8]) -> Result<(), E>,
    ) -> Result<Option<Result<(), E>>, StoreError> {
        let sql = |e| sql_err(&self.path, e);
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred).map_err(sql)?;
        match stored_is(&tx, size, digest) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => {
                return Ok(None)
            }
            Err(e) => return Err(sql(e)),
        }
        let rows = self.for_each_snapshot_article(f)?;
        tx.commit().map_err(sql)?;
        Ok(Some(rows))
    }

    /// Whether every stored article row has its leaf kept beside it
    /// ([`erkin_core::articles::row_leaf`] of its bytes) and no other leaf
    /// is kept: `None` if no snapshot is stored. What `erkin verify
    /// --deep` asks; reads every row, one at a time.
    pub fn leaves_match_rows(&self) -> Result<Option<bool>, StoreError> {
        let sql = |e| sql_err(&self.path, e);
        if self.snapshot_size()?.is_none() {
            return Ok(None);
        }
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred).map_err(sql)?;
        let leaves: u64 = tx
            .query_row("SELECT COUNT(*) FROM state_article_leaves", [], |r| {
                r.get(0)
            })
            .map_err(sql)?;
        let mut stmt = tx
            .prepare(
                "SELECT a.data, l.leaf FROM state_articles a
                 LEFT JOIN state_article_leaves l ON l.slug = a.slug",
            )
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        let mut count = 0u64;
        let mut agree = true;
        while let Some(row) = rows.next().map_err(sql)? {
            count += 1;
            let data = row.get_ref(0).map_err(sql)?.as_blob().unwrap_or_default();
            let leaf = row
                .get_ref(1)
                .map_err(sql)?
                .as_blob_or_null()
                .ok()
                .flatten();
            if leaf != Some(&erkin_core::articles::row_leaf(data)[..]) {
                agree = false;
                break;
            }
        }
        drop(rows);
        drop(stmt);
        tx.commit().map_err(sql)?;
        Ok(Some(agree && count == leaves))
    }

    /// Calls `f` with the leaves of the stored snapshot's article rows
    /// ([`erkin_core::articles::row_leaf`]), `(slug, leaf)` in slug order,
    /// if the stored snapshot is still the one of `size` entries recorded
    /// with `digest` (checked in the same transaction, as
    /// [`Store::for_each_row_of_snapshot`] does). `Ok(None)`: another
    /// snapshot, or none, is stored now. A leaf not of 32 bytes comes as
    /// [`StoreError::Corrupt`]. Some 50 bytes per article are read, not the
    /// rows: what a snapshot of a state whose rows are unread is made from.
    pub fn with_leaves_of_snapshot<T>(
        &self,
        size: u64,
        digest: &[u8; 32],
        f: impl FnOnce(&mut dyn Iterator<Item = Result<(String, [u8; 32]), StoreError>>) -> T,
    ) -> Result<Option<T>, StoreError> {
        let sql = |e| sql_err(&self.path, e);
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred).map_err(sql)?;
        if !stored_is(&tx, size, digest).map_err(sql)? {
            return Ok(None);
        }
        let mut stmt = tx
            .prepare("SELECT slug, leaf FROM state_article_leaves ORDER BY slug")
            .map_err(sql)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(sql)?;
        let mut leaves = rows.map(|row| {
            let (slug, leaf) = row.map_err(sql)?;
            let leaf: [u8; 32] = leaf.try_into().map_err(|_| StoreError::Corrupt {
                path: self.path.clone(),
                reason: format!("the stored leaf of article {slug} is not 32 bytes"),
            })?;
            Ok((slug, leaf))
        });
        let out = f(&mut leaves);
        drop(leaves);
        drop(stmt);
        tx.commit().map_err(sql)?;
        Ok(Some(out))
    }

    /// Calls `f` with each of `slugs` and its article row in the stored
    /// snapshot (`None`: it has none), if the stored snapshot is still the
    /// one of `size` entries recorded with `digest` — checked in the same
    /// transaction, as [`Store::for_each_row_of_snapshot`] does. `Ok(None)`:
    /// another snapshot, or none, is stored now. A row longer than
    /// [`MAX_SNAPSHOT_LEN`] is [`StoreError::Corrupt`].
    pub fn for_each_row_by_slug<E>(
        &self,
        size: u64,
        digest: &[u8; 32],
        slugs: &[String],
        mut f: impl FnMut(&str, Option<&[u8]>) -> Result<(), E>,
    ) -> Result<Option<Result<(), E>>, StoreError> {
        let sql = |e| sql_err(&self.path, e);
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred).map_err(sql)?;
        if !stored_is(&tx, size, digest).map_err(sql)? {
            return Ok(None);
        }
        let mut stmt = tx
            .prepare_cached(
                "SELECT length(data), CASE WHEN length(data) <= ?2 THEN data END
                 FROM state_articles WHERE slug = ?1",
            )
            .map_err(sql)?;
        for slug in slugs {
            let mut rows = stmt.query(params![slug, MAX_SNAPSHOT_LEN]).map_err(sql)?;
            let result = match rows.next().map_err(sql)? {
                None => f(slug, None),
                Some(row) => match row.get_ref(1).map_err(sql)? {
                    rusqlite::types::ValueRef::Blob(b) => f(slug, Some(b)),
                    _ => {
                        let len: u64 = row.get(0).map_err(sql)?;
                        return Err(StoreError::Corrupt {
                            path: self.path.clone(),
                            reason: format!("the snapshot row of article {slug} is {len} bytes"),
                        });
                    }
                },
            };
            if let Err(e) = result {
                return Ok(Some(Err(e)));
            }
        }
        drop(stmt);
        tx.commit().map_err(sql)?;
        Ok(Some(Ok(())))
    }

    /// Stores `snapshot` (of the state after its `size` entries of this
    /// log) in its own transaction, replacing the stored one, unless
    /// another process stored a snapshot of a longer log meanwhile (unless
    /// `replace_any`: the stored one was found wrong). Returns whether it
    /// was written.
    pub fn put_snapshot(&self, snapshot: &Encoded, replace_any: bool) -> Result<bool, StoreError> {
        if snapshot.size == 0 || snapshot.size > self.size {
            return Err(StoreError::SnapshotSize {
                size: self.size,
                snapshot: snapshot.size,
            });
        }
        let root = self.root_at(snapshot.size)?;
        let sql = |e| sql_err(&self.path, e);
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(sql)?;
        let newer: Option<u64> = tx
            .query_row("SELECT size FROM state_snapshot WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(sql)?;
        if !replace_any && newer.is_some_and(|n| n > snapshot.size) {
            return Ok(false);
        }
        let written = write_snapshot(&tx, snapshot, &root).map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(written)
    }

    /// The log size of the stored snapshot, if there is one.
    pub fn snapshot_size(&self) -> Result<Option<u64>, StoreError> {
        match self
            .conn
            .query_row("SELECT size FROM state_snapshot WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
        {
            Ok(s) => Ok(s),
            Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => {
                Ok(None)
            }
            Err(e) => Err(sql_err(&self.path, e)),
        }
    }

    /// The log size and weight of the stored snapshot (the bytes its
    /// state's digest hashes: what storing another costs), if there is
    /// one, without reading it.
    pub fn snapshot_extent(&self) -> Result<Option<(u64, u64)>, StoreError> {
        match self
            .conn
            .query_row(
                "SELECT size, MAX(weight, length(data)) FROM state_snapshot WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        {
            Ok(s) => Ok(s),
            Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => {
                Ok(None)
            }
            Err(e) => Err(sql_err(&self.path, e)),
        }
    }

    /// Removes the stored snapshot (tests; a snapshot is rebuilt on open).
    pub fn drop_snapshot(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(CLEAR_SNAPSHOT)
            .and_then(|()| self.conn.execute_batch(crate::list_rows::CLEAR_LISTS))
            .map_err(|e| sql_err(&self.path, e))
    }

    /// The latest signed checkpoint note.
    pub fn latest_checkpoint_bytes(&self) -> Result<Option<Vec<u8>>, StoreError> {
        self.checkpoint_note("ORDER BY size DESC LIMIT 1", None)
    }

    /// The signed checkpoint note of the tree of `size` leaves, if one was
    /// stored (every committed batch stores the one of its size). An export
    /// names the size it wrote the tiles of, not the latest, which a writer
    /// may have moved on meanwhile.
    pub fn checkpoint_bytes_at(&self, size: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.checkpoint_note("WHERE size = ?2", Some(size))
    }

    /// The one checkpoint note `tail` (a fixed clause of this file) picks,
    /// refused as corrupt if it is longer than any checkpoint can be.
    fn checkpoint_note(
        &self,
        tail: &str,
        size: Option<u64>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = format!(
            "SELECT CASE WHEN length(note) <= ?1 THEN note END, length(note) FROM checkpoints {tail}"
        );
        let max = MAX_CHECKPOINT_LEN as u64;
        let row = |r: &rusqlite::Row| Ok((r.get::<_, Option<Vec<u8>>>(0)?, r.get::<_, u64>(1)?));
        let found = match size {
            Some(size) => self.conn.query_row(&sql, params![max, size], row),
            None => self.conn.query_row(&sql, params![max], row),
        };
        found
            .optional()
            .map_err(|e| sql_err(&self.path, e))?
            .map(|(note, len)| {
                note.ok_or_else(|| StoreError::Corrupt {
                    path: self.path.clone(),
                    reason: format!("a stored checkpoint is {len} bytes, more than any checkpoint"),
                })
            })
            .transpose()
    }

    /// A proof that the tree of `old` leaves is a prefix of the stored tree
    /// (RFC 6962 consistency proof; empty for `old` 0 or the whole tree).
    pub fn consistency_proof(&self, old: u64) -> Result<tlog_tiles::TreeProof, StoreError> {
        if old == 0 || old >= self.size {
            return Ok(Vec::new());
        }
        tlog_tiles::prove_tree(self.size, old, &self.db_hashes()).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            reason: format!("tree hashes: {e}"),
        })
    }

    /// A proof that entry `index` is in the stored tree (RFC 6962 inclusion
    /// proof against the latest checkpoint's size).
    pub fn inclusion_proof(&self, index: u64) -> Result<tlog_tiles::RecordProof, StoreError> {
        if index >= self.size {
            return Err(StoreError::Corrupt {
                path: self.path.clone(),
                reason: format!("no entry {index} in a log of {}", self.size),
            });
        }
        tlog_tiles::prove_record(self.size, index, &self.db_hashes()).map_err(|e| {
            StoreError::Corrupt {
                path: self.path.clone(),
                reason: format!("tree hashes: {e}"),
            }
        })
    }

    /// The root of the stored tree's first `size` leaves.
    pub fn root_at(&self, size: u64) -> Result<Hash, StoreError> {
        tlog_tiles::tree_hash(size.min(self.size), &self.db_hashes()).map_err(|e| {
            StoreError::Corrupt {
                path: self.path.clone(),
                reason: format!("tree hashes: {e}"),
            }
        })
    }

    /// The stored tree's hashes, by `tlog_tiles` stored-hash index.
    pub fn hashes(&self) -> impl HashReader + '_ {
        self.db_hashes()
    }

    fn db_hashes(&self) -> DbHashes<'_> {
        DbHashes {
            conn: &self.conn,
            base: u64::MAX,
            pending: &[],
        }
    }

    /// Entries `start..end` in order.
    pub fn entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT idx, CASE WHEN length(data) <= ?3 THEN data END, length(data)
                 FROM entries WHERE idx >= ?1 AND idx < ?2 ORDER BY idx",
            )
            .map_err(|e| sql_err(&self.path, e))?;
        // A row's length is checked before its bytes are read: a hostile data
        // directory's huge row costs nothing to refuse.
        let rows = stmt
            .query_map(params![start, end, MAX_ENTRY_LEN as u64], |r| {
                Ok((
                    r.get::<_, u64>(0)?,
                    r.get::<_, Option<Vec<u8>>>(1)?,
                    r.get::<_, u64>(2)?,
                ))
            })
            .map_err(|e| sql_err(&self.path, e))?;
        let mut entries = Vec::new();
        for row in rows {
            let (idx, data, len) = row.map_err(|e| sql_err(&self.path, e))?;
            let data = data.ok_or_else(|| StoreError::Corrupt {
                path: self.path.clone(),
                reason: format!("entry {idx} is {len} bytes, more than any entry"),
            })?;
            entries.push(data);
        }
        Ok(entries)
    }

    /// Calls `f` with each entry from `start` on, reading in pages so the whole
    /// log is never in memory at once.
    pub fn for_each_entry(
        &self,
        start: u64,
        f: impl FnMut(u64, &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.for_each_entry_until(start, self.size, f)
    }

    /// [`Store::for_each_entry`] for entries `start..until` only.
    pub fn for_each_entry_until(
        &self,
        start: u64,
        until: u64,
        mut f: impl FnMut(u64, &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let until = until.min(self.size);
        let mut next = start;
        while next < until {
            let end = (next + 4096).min(until);
            for (i, e) in self.entries(next, end)?.iter().enumerate() {
                f(next + i as u64, e)?;
            }
            next = end;
        }
        Ok(())
    }

    /// The bytes of a hash tile or an entry bundle of the current tree.
    pub fn tile(&self, tile: &TilePath) -> Result<Option<Vec<u8>>, StoreError> {
        let end = tile.first_entry() + u64::from(tile.width);
        let exists = match tile.kind {
            TileKind::Entries => end <= self.size,
            TileKind::Hashes { level } => {
                // A tile at tile-level L covers 256^L leaves per hash.
                let per_hash = TILE_WIDTH.checked_pow(u32::from(level));
                per_hash
                    .and_then(|p| end.checked_mul(p))
                    .is_some_and(|leaves| leaves <= self.size)
            }
        };
        if !exists {
            return Ok(None);
        }
        match tile.hash_tile() {
            None => {
                let entries = self.entries(tile.first_entry(), end)?;
                Ok(Some(encode_bundle(entries.iter().map(Vec::as_slice))))
            }
            Some(t) => t
                .read_data(&DbHashes {
                    conn: &self.conn,
                    base: u64::MAX,
                    pending: &[],
                })
                .map(Some)
                .map_err(|e| StoreError::Corrupt {
                    path: self.path.clone(),
                    reason: format!("reading {tile}: {e}"),
                }),
        }
    }

    /// Stores a blob (idempotent) and returns its ID.
    ///
    /// Durability: the blob is committed to the write-ahead log without its
    /// own fsync. The next `append` fsyncs the WAL, which holds the blob's
    /// frames before the entry's, so an entry naming the blob is never durable
    /// without it — and importing 10,000 articles costs one fsync per batch,
    /// not one per file. Call [`Store::sync`] to make blobs durable on their own.
    pub fn put_blob(&self, bytes: &[u8], max_len: u64) -> Result<BlobId, StoreError> {
        check_blob_len(bytes.len() as u64, max_len)?;
        let id = BlobId::of(bytes);
        let sql = |e| sql_err(&self.path, e);
        self.conn
            .execute_batch("PRAGMA synchronous = NORMAL")
            .map_err(sql)?;
        let inserted = self.conn.execute(
            "INSERT OR IGNORE INTO blobs (id, data) VALUES (?1, ?2)",
            params![&id.0[..], bytes],
        );
        self.conn
            .execute_batch("PRAGMA synchronous = FULL")
            .map_err(sql)?;
        inserted.map_err(sql)?;
        Ok(id)
    }

    /// Makes everything committed so far durable (fsyncs the write-ahead log).
    pub fn sync(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(FULL)", [], |_| Ok(()))
            .map_err(|e| sql_err(&self.path, e))
    }

    /// A blob's bytes, if stored. The row's length is checked against
    /// `max_len` before anything is read, so a hostile data directory with a
    /// huge row costs nothing to refuse ([`StoreError::Blob`]).
    pub fn blob(&self, id: &BlobId, max_len: u64) -> Result<Option<Vec<u8>>, StoreError> {
        // One cached statement (an export reads every body through here):
        // the length from the row's header, the bytes only when they fit.
        let found: Option<(u64, Option<Vec<u8>>)> = self
            .conn
            .prepare_cached(
                "SELECT length(data), CASE WHEN length(data) <= ?2 THEN data END \
                 FROM blobs WHERE id = ?1",
            )
            .and_then(|mut st| {
                st.query_row(
                    params![&id.0[..], i64::try_from(max_len).unwrap_or(i64::MAX)],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
            })
            .map_err(|e| sql_err(&self.path, e))?;
        let Some((len, data)) = found else {
            return Ok(None);
        };
        check_blob_len(len, max_len)?;
        // Fits by its length but was not read: the same row and the same
        // comparison make this impossible short of a broken database.
        data.map(Some).ok_or_else(|| StoreError::Corrupt {
            path: self.path.clone(),
            reason: format!("blob {id} fits by its length but was not read"),
        })
    }

    /// A stored blob's row and length, without reading it.
    fn blob_row(&self, id: &BlobId) -> Result<Option<(i64, u64)>, StoreError> {
        self.conn
            .query_row(
                "SELECT rowid, length(data) FROM blobs WHERE id = ?1",
                params![&id.0[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| sql_err(&self.path, e))
    }

    /// A blob readers may be served: stored, and named by the log or stored
    /// by a local writer — not an upload still waiting for its entry.
    /// Returns where to read it with [`Store::read_blob_at`], and its length.
    pub fn served_blob(&self, id: &BlobId) -> Result<Option<BlobHandle>, StoreError> {
        let Some((row, len)) = self.blob_row(id)? else {
            return Ok(None);
        };
        if self.is_pending(id)? {
            return Ok(None);
        }
        Ok(Some(BlobHandle { row, len }))
    }

    /// Reads up to `buf.len()` bytes of a blob from `offset`; returns how
    /// many were read (0 at the end, or if the blob was deleted meanwhile).
    /// Large blobs are served in pieces this way: a reader never costs the
    /// server more than one piece of memory, however large the blob.
    pub fn read_blob_at(
        &self,
        blob: BlobHandle,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<usize, StoreError> {
        let Ok(offset) = usize::try_from(offset) else {
            return Ok(0);
        };
        let handle = match self.conn.blob_open(
            rusqlite::DatabaseName::Main,
            "blobs",
            "data",
            blob.row,
            true,
        ) {
            Ok(h) => h,
            // Deleted (redacted) since the request began.
            Err(rusqlite::Error::SqliteFailure(_, _)) => return Ok(0),
            Err(e) => return Err(sql_err(&self.path, e)),
        };
        handle
            .read_at(buf, offset)
            .map_err(|e| sql_err(&self.path, e))
    }

    fn is_pending(&self, id: &BlobId) -> Result<bool, StoreError> {
        let found = self
            .conn
            .query_row(
                "SELECT 1 FROM pending_blobs WHERE id = ?1",
                params![&id.0[..]],
                |_| Ok(()),
            )
            .optional();
        match found {
            Ok(f) => Ok(f.is_some()),
            // A store no writer of this version has opened has no uploads.
            Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => {
                Ok(false)
            }
            Err(e) => Err(sql_err(&self.path, e)),
        }
    }

    /// Stores a member's upload durably, as pending: not served, and
    /// deleted unless an entry names it within the grace period. A blob
    /// already stored is left as it is. `now` is in Unix seconds.
    pub fn put_blob_pending(
        &self,
        bytes: &[u8],
        max_len: u64,
        now: u64,
    ) -> Result<BlobId, StoreError> {
        check_blob_len(bytes.len() as u64, max_len)?;
        let id = BlobId::of(bytes);
        let sql = |e| sql_err(&self.path, e);
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(sql)?;
        let inserted = tx
            .execute(
                "INSERT OR IGNORE INTO blobs (id, data) VALUES (?1, ?2)",
                params![&id.0[..], bytes],
            )
            .map_err(sql)?;
        if inserted > 0 {
            tx.execute(
                "INSERT OR REPLACE INTO pending_blobs (id, at, len) VALUES (?1, ?2, ?3)",
                params![&id.0[..], now, bytes.len() as u64],
            )
            .map_err(sql)?;
        }
        tx.commit().map_err(sql)?;
        Ok(id)
    }

    /// Total bytes of uploads no entry names yet.
    pub fn pending_bytes(&self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT COALESCE(SUM(len), 0) FROM pending_blobs", [], |r| {
                r.get(0)
            })
            .map_err(|e| sql_err(&self.path, e))
    }

    /// Pending uploads stored at or before `before` (Unix seconds).
    pub fn pending_since(&self, before: u64) -> Result<Vec<BlobId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM pending_blobs WHERE at <= ?1 ORDER BY at")
            .map_err(|e| sql_err(&self.path, e))?;
        let rows = stmt
            .query_map(params![before], |r| r.get::<_, Vec<u8>>(0))
            .map_err(|e| sql_err(&self.path, e))?;
        let mut ids = Vec::new();
        for row in rows {
            let raw = row.map_err(|e| sql_err(&self.path, e))?;
            if let Ok(id) = <[u8; 32]>::try_from(raw) {
                ids.push(BlobId(id));
            }
        }
        Ok(ids)
    }

    /// Marks blobs as named by the log: served from now on, never collected.
    pub fn unpend(&self, ids: &[BlobId]) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("DELETE FROM pending_blobs WHERE id = ?1")
            .map_err(|e| sql_err(&self.path, e))?;
        for id in ids {
            stmt.execute(params![&id.0[..]])
                .map_err(|e| sql_err(&self.path, e))?;
        }
        Ok(())
    }

    /// Runs `f` with every read of this store inside one read transaction:
    /// one view of the database for all of them, and one lock taken for all
    /// (an export reads tens of thousands of blobs, each otherwise a
    /// transaction of its own). `f` must not write to the store through
    /// this connection. While it runs, the write-ahead log cannot be
    /// checkpointed past what it reads (it grows by whatever is appended
    /// meanwhile): for a read of bounded length, as an export is. Within a
    /// transaction already, `f` just runs.
    pub fn reading<T>(&self, f: impl FnOnce() -> T) -> Result<T, StoreError> {
        if !self.conn.is_autocommit() {
            return Ok(f());
        }
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred)
            .map_err(|e| sql_err(&self.path, e))?;
        let out = f();
        // Nothing written: the end of the transaction only lets go of it.
        tx.rollback().map_err(|e| sql_err(&self.path, e))?;
        Ok(out)
    }

    pub fn has_blob(&self, id: &BlobId) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM blobs WHERE id = ?1",
                params![&id.0[..]],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(|e| sql_err(&self.path, e))
    }

    /// Deletes a blob (a passed redaction, or an upload no entry named).
    /// Returns whether it was there.
    pub fn delete_blob(&self, id: &BlobId) -> Result<bool, StoreError> {
        self.unpend(std::slice::from_ref(id))?;
        self.conn
            .execute("DELETE FROM blobs WHERE id = ?1", params![&id.0[..]])
            .map(|n| n > 0)
            .map_err(|e| sql_err(&self.path, e))
    }

    pub fn blob_ids(&self) -> Result<Vec<BlobId>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id FROM blobs ORDER BY id")
            .map_err(|e| sql_err(&self.path, e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .map_err(|e| sql_err(&self.path, e))?;
        let mut ids = Vec::new();
        for row in rows {
            let raw = row.map_err(|e| sql_err(&self.path, e))?;
            let id = raw.try_into().map_err(|_| StoreError::Corrupt {
                path: self.path.clone(),
                reason: "a blob ID is not 32 bytes".into(),
            })?;
            ids.push(BlobId(id));
        }
        Ok(ids)
    }
}

/// Reading a store as a copy, by layout path: the same paths an export writes
/// and the server will serve.
impl CopyReader for Store {
    fn read(&self, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, ReadError> {
        let io = |e: StoreError| ReadError::Io {
            path: path.to_string(),
            reason: e.to_string(),
        };
        let bytes = if path == "checkpoint" {
            self.latest_checkpoint_bytes().map_err(io)?
        } else if let Some(hex) = path.strip_prefix("blob/") {
            match hex.parse::<BlobId>() {
                Ok(id) => match self.blob(&id, max_len) {
                    Err(StoreError::Blob(BlobError::TooLarge { .. })) => {
                        return Err(ReadError::TooLarge {
                            path: path.to_string(),
                            max: max_len,
                        })
                    }
                    other => other.map_err(io)?,
                },
                Err(_) => None,
            }
        } else {
            match TilePath::parse(path) {
                Ok(tile) => self.tile(&tile).map_err(io)?,
                Err(_) => None,
            }
        };
        match bytes {
            Some(b) if b.len() as u64 > max_len => Err(ReadError::TooLarge {
                path: path.to_string(),
                max: max_len,
            }),
            other => Ok(other),
        }
    }

    fn blob_ids(&self) -> Result<Vec<BlobId>, ReadError> {
        Store::blob_ids(self).map_err(|e| ReadError::Io {
            path: "blob/".into(),
            reason: e.to_string(),
        })
    }
}

/// Refuses anything but an erkin database of a format this build reads.
fn check_identity(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let not_store = |reason: String| StoreError::NotAStore {
        path: path.to_path_buf(),
        reason,
    };
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| not_store(e.to_string()))?;
    if app_id != APPLICATION_ID {
        return Err(not_store(format!("application_id is {app_id:#x}")));
    }
    let version: i32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| not_store(e.to_string()))?;
    if version > FORMAT_VERSION {
        return Err(StoreError::NewerFormat {
            path: path.to_path_buf(),
            found: version,
        });
    }
    Ok(())
}

/// The schema, committed with the log key in one transaction, in a fresh
/// file at `path`; the connection is closed (and its write-ahead log folded
/// back) before this returns, so the file alone is the whole store.
fn build_empty(path: &Path, log_key: &VerifierKey) -> Result<(), StoreError> {
    let sql = |source| sql_err(path, source);
    let conn = Connection::open(path).map_err(sql)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         BEGIN;
         CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
         CREATE TABLE entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT;
         -- Merkle tree hashes by tlog_tiles stored-hash index.
         CREATE TABLE hashes (id INTEGER PRIMARY KEY, hash BLOB NOT NULL) STRICT;
         -- Every checkpoint ever signed, by tree size: the history a
         -- mirror or a court may ask for.
         CREATE TABLE checkpoints (size INTEGER PRIMARY KEY, note BLOB NOT NULL) STRICT;
         CREATE TABLE blobs (id BLOB PRIMARY KEY, data BLOB NOT NULL) STRICT;
         {PENDING_TABLE}
         {SNAPSHOT_TABLE}
         {lists}
         {held}
         ALTER TABLE state_snapshot ADD COLUMN weight INTEGER NOT NULL DEFAULT 0;
         PRAGMA application_id = {APPLICATION_ID};
         PRAGMA user_version = {FORMAT_VERSION};",
        held = HELD_TABLES,
        lists = crate::list_rows::LISTS_TABLES,
    ))
    .map_err(sql)?;
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('log_key', ?1)",
        params![log_key.as_str()],
    )
    .map_err(sql)?;
    conn.execute_batch("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);")
        .map_err(sql)?;
    conn.close().map_err(|(_, source)| sql(source))
}

/// The held ballots' tables (`held.rs`), made with the store and added in place to older stores when
/// they are opened for writing (older erkins ignore them).
const HELD_TABLES: &str = "CREATE TABLE IF NOT EXISTS held_ballots (proposal INTEGER NOT NULL, epoch INTEGER NOT NULL, ballot_hash BLOB NOT NULL, nullifier TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (proposal, epoch, ballot_hash)) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS held_ballots_hash ON held_ballots (proposal, ballot_hash);
CREATE INDEX IF NOT EXISTS held_ballots_nullifier ON held_ballots (proposal, nullifier, seq);
CREATE TABLE IF NOT EXISTS held_salts (proposal INTEGER NOT NULL, epoch INTEGER NOT NULL, salt BLOB NOT NULL, PRIMARY KEY (proposal, epoch)) STRICT, WITHOUT ROWID;";

/// Blobs members uploaded that no logged entry names yet: not served, and
/// deleted if no entry names them within the grace period
/// ([`crate::Publication::collect_unnamed_blobs`]). Added in place to older
/// stores when they are opened for writing; older erkins ignore it.
const PENDING_TABLE: &str = "CREATE TABLE IF NOT EXISTS pending_blobs (id BLOB PRIMARY KEY, at INTEGER NOT NULL, len INTEGER NOT NULL) STRICT;";

/// The folded state kept beside the log: a cache, rebuilt from the log
/// whenever it is missing, stale or not trusted (`crate::publication`).
/// `state_snapshot` holds the head (one row: everything but the articles,
/// tied to a log size, the tree root at that size and the state's digest;
/// `weight`, added by [`add_snapshot_weight`], is the bytes the digest
/// hashes), `state_articles` one row per article, rewritten only when the
/// article changed, and `state_article_leaves` each row's leaf
/// ([`erkin_core::articles::row_leaf`]), written with it: a snapshot of a
/// publication whose rows were never read makes the articles' root from
/// these 32 bytes per article ([`Store::with_leaves_of_snapshot`]); and
/// `state_seen_base` the replay set's base, every entry's leaf hash as of
/// the log size it was written at, which the head's own run completes
/// (written again only now and then, `erkin_core::snapshot::Encoded::seen_base`,
/// so a head does not carry 32 bytes per entry of the log each time).
/// Added in place to older stores when they are opened for writing; older
/// erkins ignore them.
const SNAPSHOT_TABLE: &str = "CREATE TABLE IF NOT EXISTS state_snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, root BLOB NOT NULL, digest BLOB NOT NULL, data BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS state_articles (slug TEXT PRIMARY KEY, data BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS state_article_leaves (slug TEXT PRIMARY KEY, leaf BLOB NOT NULL) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_seen_base (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, hashes BLOB NOT NULL) STRICT;";

/// Removes the stored snapshot: its head, rows and leaves.
pub(crate) const CLEAR_SNAPSHOT: &str =
    "DELETE FROM state_snapshot; DELETE FROM state_articles; DELETE FROM state_article_leaves; DELETE FROM state_seen_base;";

/// Adds the head's `weight` column to a snapshot table made before it.
fn add_snapshot_weight(conn: &Connection) -> rusqlite::Result<()> {
    let has: bool = conn.query_row(
        "SELECT COUNT(*) > 0 FROM pragma_table_info('state_snapshot') WHERE name = 'weight'",
        [],
        |r| r.get(0),
    )?;
    if !has {
        conn.execute_batch(
            "ALTER TABLE state_snapshot ADD COLUMN weight INTEGER NOT NULL DEFAULT 0",
        )?;
    }
    Ok(())
}

/// Stores a snapshot inside the caller's transaction: the head replaced,
/// the article rows it carries written (all others removed first if it
/// carries every article). An incremental snapshot (rows of the articles
/// changed since its `since` only) completes the stored one only if that
/// is of at least `since` entries and of this build's format
/// ([`snapshot::FORMAT`]); otherwise (two processes racing, one of them
/// rebuilding, or an erkin of another version sharing the directory during
/// an upgrade, whose rows this one does not read) the stored snapshot is
/// removed instead, so the next open rebuilds it whole, and nothing is
/// written: returns whether it was.
fn write_snapshot(tx: &Transaction<'_>, snap: &Encoded, root: &Hash) -> rusqlite::Result<bool> {
    if snap.complete {
        crate::list_rows::write(tx, snap, None)?;
        tx.execute_batch("DELETE FROM state_articles; DELETE FROM state_article_leaves;")?;
    } else {
        // The head's first line only ("erkin-state N\n"), not the head.
        let (stored, first): (u64, Vec<u8>) = tx
            .query_row(
                "SELECT size, CAST(substr(data, 1, 32) AS BLOB) FROM state_snapshot WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, Vec::new()));
        // The replay set's base the head refers to must be the stored one
        // (unless this snapshot writes it).
        let base: Option<u64> = tx
            .query_row("SELECT size FROM state_seen_base WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        let base_stands = snap.seen_base.is_some() || base == Some(snap.seen_base_at);
        if stored < snap.since
            || snapshot::format_of(&first) != Some(snapshot::FORMAT)
            || !base_stands
        {
            tx.execute_batch(CLEAR_SNAPSHOT)?;
            tx.execute_batch(crate::list_rows::CLEAR_LISTS)?;
            return Ok(false);
        }
        crate::list_rows::write(tx, snap, Some(stored))?;
    }
    {
        let mut ins = tx
            .prepare_cached("INSERT OR REPLACE INTO state_articles (slug, data) VALUES (?1, ?2)")?;
        let mut leaf = tx.prepare_cached(
            "INSERT OR REPLACE INTO state_article_leaves (slug, leaf) VALUES (?1, ?2)",
        )?;
        for (slug, bytes) in &snap.articles {
            ins.execute(params![slug, bytes])?;
            leaf.execute(params![slug, &erkin_core::articles::row_leaf(bytes)[..]])?;
        }
        if snap.remake_leaves && !snap.complete {
            // Every row's leaf again, one row at a time.
            tx.execute("DELETE FROM state_article_leaves", [])?;
            let mut all = tx.prepare("SELECT slug, data FROM state_articles")?;
            let mut rows = all.query([])?;
            while let Some(r) = rows.next()? {
                let slug: String = r.get(0)?;
                let data = r.get_ref(1)?.as_blob().unwrap_or_default();
                leaf.execute(params![slug, &erkin_core::articles::row_leaf(data)[..]])?;
            }
        }
    }
    if let Some(hashes) = &snap.seen_base {
        tx.execute(
            "INSERT OR REPLACE INTO state_seen_base (id, size, hashes) VALUES (1, ?1, ?2)",
            params![snap.seen_base_at, hashes],
        )?;
    }
    tx.execute(
        "INSERT OR REPLACE INTO state_snapshot (id, size, root, digest, data, weight)
         VALUES (1, ?1, ?2, ?3, ?4, ?5)",
        params![
            snap.size,
            &root.0[..],
            &snap.digest[..],
            &snap.bytes,
            snap.weight
        ],
    )?;
    Ok(true)
}

/// Whether the stored snapshot is the one of `size` entries recorded with
/// `digest` (read in the caller's transaction, so what it reads next is of
/// that snapshot).
fn stored_is(tx: &Transaction<'_>, size: u64, digest: &[u8; 32]) -> rusqlite::Result<bool> {
    let stored: Option<(u64, Vec<u8>)> = tx
        .query_row(
            "SELECT size, digest FROM state_snapshot WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(stored.is_some_and(|(s, d)| s == size && d.as_slice() == digest.as_slice()))
}

/// Whether `path` is what an erkin killed while creating a store left
/// behind: an empty file, a database with no tables, or one of ours with
/// no log key and no entry (older erkins wrote the key after the schema).
/// Anything else — another program's database, a damaged store, a store
/// with entries — is not, and is never replaced.
fn is_half_made(path: &Path) -> bool {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_file() && m.len() == 0 => {
            let wal = PathBuf::from(format!("{}-wal", path.display()));
            return std::fs::metadata(wal).map_or(true, |w| w.len() == 0);
        }
        Ok(m) if m.is_file() => {}
        _ => return false,
    }
    let Ok(conn) = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return false;
    };
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).ok();
    let Some(tables) = count("SELECT COUNT(*) FROM sqlite_master") else {
        return false;
    };
    if tables == 0 {
        return true;
    }
    let app_id = count("PRAGMA application_id");
    app_id == Some(i64::from(APPLICATION_ID))
        && count("SELECT COUNT(*) FROM meta WHERE key = 'log_key'") == Some(0)
        && count("SELECT COUNT(*) FROM entries") == Some(0)
}

/// Removes a database file and its SQLite companions, if present.
fn remove_db_files(path: &Path) -> std::io::Result<()> {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let p = PathBuf::from(format!("{}{suffix}", path.display()));
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    // WAL + FULL: each commit fsyncs the write-ahead log, so a commit that
    // returned is on disk. busy_timeout lets a reader wait out a writer.
    // secure_delete: deleted rows (held secret ballots after their close,
    // redacted blobs) are overwritten with zeros, not left in free pages
    // (docs/BALLOT.md §8).
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA busy_timeout = 5000;",
    )
}

pub(crate) fn sql_err(path: &Path, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads stored hashes: those below `base` from the database, those at or above
/// it from `pending` (hashes computed in the current, uncommitted append).
struct DbHashes<'a> {
    conn: &'a Connection,
    base: u64,
    pending: &'a [Hash],
}

impl HashReader for DbHashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT CASE WHEN length(hash) = 32 THEN hash ELSE x'' END FROM hashes WHERE id = ?1")
            .map_err(|_| tlog_tiles::Error::IndexesNotInTree)?;
        indexes
            .iter()
            .map(|&i| {
                if i >= self.base {
                    let k = usize::try_from(i - self.base)
                        .map_err(|_| tlog_tiles::Error::IndexesNotInTree)?;
                    return self
                        .pending
                        .get(k)
                        .copied()
                        .ok_or(tlog_tiles::Error::IndexesNotInTree);
                }
                let raw: Vec<u8> = stmt
                    .query_row(params![i], |r| r.get(0))
                    .map_err(|_| tlog_tiles::Error::IndexesNotInTree)?;
                let arr: [u8; 32] = raw
                    .try_into()
                    .map_err(|_| tlog_tiles::Error::MalformedHash)?;
                Ok(Hash(arr))
            })
            .collect()
    }
}
