//! A publication on disk: the store plus the state folded from it, and the
//! sequencer that admits new entries.
//!
//! The state is a cache of the log. The store keeps a snapshot of it
//! (`erkin_core::snapshot`: a small head and one row per article), tied to
//! a log size, the tree root at that size and the state's digest, written
//! in the same transaction as the batch that takes the log far enough past
//! the previous one ([`snapshot_due`]); a snapshot writes the head and the
//! rows of the articles changed since the previous one only. Opening reads
//! the head and the rows (one at a time) and folds only the entries after
//! it; a snapshot that is missing, of another format, of another tree, whose
//! recorded digest is not the one it is filed under or whose rows are not
//! the head's is not trusted: the whole log is folded and a new one stored
//! ([`Opened`] says which happened). The digest is recorded when the
//! snapshot is written, not recomputed on open: `erkin verify --deep`
//! compares the snapshot and its digest with a refold ([`check_snapshot`]).

use std::collections::BTreeMap;
use std::path::Path;

use erkin_core::action::{Action, BallotBox, CastBallot, Charter, Close, Genesis, Seal, Tick};
use erkin_core::api::BallotReceipt;
use erkin_core::blob::BlobId;
use erkin_core::checkpoint::Checkpoint;
use erkin_core::entry::{sign_entry, EntryBody, EntryError};
use erkin_core::keys::{SecretKey, VerifierKey};
use erkin_core::snapshot::{self, Encoded, SnapshotError};
use erkin_core::state::{check_clock, Applied, Rejection, State};

use crate::ballots::BallotRefusal;
pub use crate::publication_error::PublicationError;
use crate::store::{Store, StoreError};

/// How far the log runs past the stored snapshot before the next batch
/// stores a new one (in its transaction), at least: see [`snapshot_due`].
pub const SNAPSHOT_EVERY: u64 = 128;
/// Snapshot weight ([`snapshot::weight_of`]) per entry folded since it
/// that makes storing one worth its cost ([`snapshot_due`]).
pub const SNAPSHOT_BYTES_PER_ENTRY: u64 = 65536;

/// Whether the batch that takes the log to `size` entries stores a new
/// snapshot, the stored one being of `at` entries and weighing `len` bytes
/// ([`snapshot::weight_of`]: its head, rewritten whole, and one 32-byte
/// leaf per article, read back to make the articles' root): once the log
/// has run [`SNAPSHOT_EVERY`] entries past it, or, for a large state, one
/// entry per [`SNAPSHOT_BYTES_PER_ENTRY`] of its weight. Every open folds
/// the entries since the stored snapshot (about 50 µs each, most of it
/// checking their signatures), and a publication opened for one action
/// lays the articles they changed over the lists kept beside it: with a
/// snapshot every 128 entries, at most some 6 ms. A snapshot costs the
/// articles changed since, its head (a few KB: the replay set's base is
/// kept apart and written again only now and then) and reading the leaves
/// (3 MB at 100,000 articles), about 20 ms there (`docs/BENCHMARKS.md`),
/// so at 100,000 articles one is stored every 128 entries, and at a
/// million about every 500.
pub fn snapshot_due(size: u64, at: u64, len: u64) -> bool {
    size >= at + SNAPSHOT_EVERY.max(len / SNAPSHOT_BYTES_PER_ENTRY)
}

/// [`snapshot_due`] for a command that appends many entries in one process
/// and stores a snapshot when it ends (`erkin import`,
/// [`Publication::set_bulk`]): only every [`SNAPSHOT_EVERY_IN_BULK`]
/// entries, or one per KiB of weight, so the snapshots it stores as it
/// goes (each reads a leaf per article) cost about a KiB per entry, not a
/// quarter of the archive's leaves (at 100,000 articles, snapshots every
/// 128 entries made an import of 100,000 a quarter slower). Should it stop
/// midway, the next open folds at most that many entries, once.
pub fn snapshot_due_in_bulk(size: u64, at: u64, len: u64) -> bool {
    size >= at + SNAPSHOT_EVERY_IN_BULK.max(len / 1024)
}

/// See [`snapshot_due_in_bulk`].
pub const SNAPSHOT_EVERY_IN_BULK: u64 = 8192;

/// How a publication's state was obtained when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// From the stored snapshot of the first `size` entries, and the
    /// `folded` entries after it.
    Snapshot { size: u64, folded: u64 },
    /// By folding the whole log, because the snapshot was not usable; a new
    /// one was stored.
    Refolded { why: Refold },
}

/// Why a stored snapshot was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refold {
    /// There is none (a new store, or one an older erkin wrote).
    Missing,
    /// Its bytes were refused: another format version, another log, another
    /// size, a recorded digest that is not the one it is filed under,
    /// article rows that are not the head's, or damage.
    Refused(SnapshotError),
    /// It is filed at a size the log does not reach.
    BeyondLog { size: u64, log: u64 },
    /// It is tied to a tree root that is not the stored tree's at its size.
    OtherTree { size: u64 },
    /// It is too large to read.
    Unreadable,
}

/// What `erkin verify --deep` found of the stored snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotCheck {
    /// No snapshot is stored.
    Missing,
    /// The snapshot of the first `size` entries is exactly their refold.
    Agrees { size: u64 },
    /// The snapshot would not be used on open (it is rebuilt then).
    Unusable { why: Refold },
    /// The snapshot decodes, but it (or the digest recorded with it) is not
    /// the state the log folds to at its size.
    Differs { size: u64 },
}

pub struct Publication {
    store: Store,
    state: State,
    /// The log size of the stored snapshot (0: none known).
    snapshot_size: u64,
    /// Its length in bytes.
    snapshot_len: u64,
    /// How the state was obtained on open.
    opened: Opened,
    /// Set when an append failed after the state had folded its entries: the
    /// state is then ahead of the store and is rebuilt before the next use.
    stale: bool,
    /// This process's claim to be the data directory's one writer, taken on
    /// the first submission (or by [`Publication::claim_writer`]) and kept.
    writer: Option<crate::WriterLock>,
    /// Secret proposals whose close failed, and when to try again (in
    /// memory: a restart tries at once).
    stuck: BTreeMap<u64, Stuck>,
    /// Close failures not yet taken by [`Publication::take_close_failures`].
    failures: Vec<CloseFailure>,
    /// When each nullifier's latest ballot was held, by (proposal,
    /// nullifier), the sequencer's clock: a re-vote waits
    /// [`REVOTE_INTERVAL_SECS`] (in memory; bounded by pruning).
    last_held: BTreeMap<(u64, String), u64>,
    /// For a publication opened with [`Publication::open_lazily`] whose
    /// state holds no article rows yet: the stored snapshot (size, digest)
    /// whose rows are fetched, or all read, into it when something needs
    /// them.
    unread: Option<(u64, [u8; 32])>,
    /// A bulk command ([`Publication::set_bulk`]): snapshots as it goes
    /// by [`snapshot_due_in_bulk`].
    bulk: bool,
}

/// The least time between two ballots of one nullifier that the sequencer
/// holds (review finding 8, BALLOT.md §8 item 2): a member can prove
/// thousands of re-votes in advance, and each one held costs the writer a
/// proof check and a durable write.
pub const REVOTE_INTERVAL_SECS: u64 = 10;

/// How many (proposal, nullifier) times are kept before those older than
/// [`REVOTE_INTERVAL_SECS`] are forgotten.
const LAST_HELD_PRUNE_AT: usize = 4096;

/// Why a secret proposal due to close could not be (docs/BALLOT.md §8):
/// nothing in it is a ballot's data — no hash, nullifier, choice or seq.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseStuck {
    /// The salt of a seal is not in this data directory (a copy moved
    /// without its held tables): the seal can never be opened.
    #[error("the salt of seal {epoch} is missing from this data directory")]
    MissingSalt { epoch: u64 },
    /// A held ballot's stored body does not read as a ballot.
    #[error("a held ballot does not read as a ballot")]
    UnreadableBallot,
    /// The fold refuses a held ballot: closing without it would drop a
    /// ballot the sequencer gave a receipt for.
    #[error("the fold refuses a held ballot ({code})")]
    BallotRefused { code: &'static str },
    /// The fold refuses a seal the close needs.
    #[error("the fold refuses a seal it needs ({code})")]
    SealRefused { code: &'static str },
    /// The fold refuses the close itself.
    #[error("the fold refuses its close ({code})")]
    CloseRefused { code: &'static str },
}

/// One failed try at closing a secret proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseFailure {
    pub proposal: u64,
    pub reason: CloseStuck,
    /// Failed tries in a row, this one included.
    pub tries: u32,
    /// When the next try is (the sequencer's clock, Unix seconds).
    pub retry_at: u64,
}

impl std::fmt::Display for CloseFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "secret proposal #{} cannot close: {} (try {}; next at {})",
            self.proposal, self.reason, self.tries, self.retry_at
        )
    }
}

/// A stuck close: failed tries in a row and the next one's time.
#[derive(Debug, Clone, Copy)]
struct Stuck {
    tries: u32,
    retry_at: u64,
}

/// The wait after the `tries`th failed close in a row: 1 s, doubled each
/// time, at most [`CLOSE_RETRY_MAX_SECS`]. Each try re-signs every held
/// ballot and verifies its proof on a copy of the state: seconds of the
/// writer's time for thousands of ballots.
pub fn close_retry_secs(tries: u32) -> u64 {
    1u64.checked_shl(tries.saturating_sub(1))
        .unwrap_or(u64::MAX)
        .min(CLOSE_RETRY_MAX_SECS)
}

/// The longest wait between two tries at a stuck close.
pub const CLOSE_RETRY_MAX_SECS: u64 = 600;

/// The outcome of submitting a batch: each entry's index or its rejection,
/// and the checkpoint that covers the admitted ones (None if none were).
#[derive(Debug)]
pub struct BatchOutcome {
    pub results: Vec<Result<u64, Rejection>>,
    pub checkpoint: Option<Checkpoint>,
}

impl Publication {
    /// Founds a publication in `dir`: writes the genesis entry, signed by the
    /// log key, and the first checkpoint. No founder's secret key is needed.
    pub fn found(
        dir: &Path,
        name: &str,
        log_key: &SecretKey,
        founders: &[VerifierKey],
        charter: Charter,
        now: u64,
    ) -> Result<Self, PublicationError> {
        let genesis = EntryBody {
            time: now,
            action: Action::Genesis(Genesis {
                name: name.to_string(),
                log_key: log_key.verifier_key().to_string(),
                founders: founders.iter().map(|k| k.to_string()).collect(),
                charter,
            }),
        };
        let bytes = sign_entry(log_key.name(), &genesis, log_key)
            .map_err(|e| PublicationError::Genesis(Rejection::Entry(e)))?;
        // Check genesis with the same fold every mirror runs before anything is
        // written, so a bad founder list leaves no half-made directory behind.
        let (state, _) =
            State::genesis(log_key.verifier_key(), &bytes).map_err(PublicationError::Genesis)?;
        let mut store = Store::create(dir, log_key.verifier_key())?;
        let mut state = state;
        let snap = snapshot::encode(&state);
        store.append_naming_snapshot(&[bytes], &[], log_key, 0, Some(&snap))?;
        state.clear_touched();
        Ok(Self {
            store,
            state,
            snapshot_size: 1,
            snapshot_len: snap.weight,
            opened: Opened::Snapshot { size: 1, folded: 0 },
            stale: false,
            writer: None,
            stuck: BTreeMap::new(),
            failures: Vec::new(),
            last_held: BTreeMap::new(),
            unread: None,
            bulk: false,
        })
    }

    /// Marks this publication as a bulk command's, which appends many
    /// entries and calls [`Publication::store_snapshot`] when it ends: its
    /// batches store snapshots by [`snapshot_due_in_bulk`], not
    /// [`snapshot_due`].
    pub fn set_bulk(&mut self, bulk: bool) {
        self.bulk = bulk;
    }

    /// Stores a snapshot of the state now if the log has run past the
    /// stored one, whatever [`snapshot_due`] says: a command that appended
    /// many entries (an import) calls it last, so every later open folds
    /// nothing rather than up to one entry per
    /// [`SNAPSHOT_BYTES_PER_ENTRY`] of the state's weight (some 115 entries,
    /// about 6 ms, after an import of 100,000 articles). Whether one was
    /// stored (not if another process stored a later one meanwhile).
    pub fn store_snapshot(&mut self) -> Result<bool, PublicationError> {
        if self.state.size() == self.snapshot_size {
            return Ok(false);
        }
        let Some(snap) = self.encode_snapshot()? else {
            return Ok(false);
        };
        let stored = self.store.put_snapshot(&snap, false)?;
        if stored {
            self.stored_snapshot(&snap);
        }
        Ok(stored)
    }

    /// The state in snapshot form, to store. A state without its rows
    /// ([`Publication::open_lazily`]) has its articles' root made from the
    /// leaves stored beside them, so its snapshot costs the articles it
    /// changed and 32 bytes per article, not the rows; if the leaves cannot
    /// be had (another snapshot is stored now, or they are refused), the
    /// rows are read instead. `None`: neither can be had now (a later batch
    /// or open stores one).
    fn encode_snapshot(&mut self) -> Result<Option<Encoded<'static>>, PublicationError> {
        if let Some((size, digest)) = self.unread {
            let state = &self.state;
            let root = self
                .store
                .with_leaves_of_snapshot(size, &digest, |leaves| state.root_with(leaves));
            // Leaves refused (not as many as the rows, out of order, not
            // 32 bytes): the snapshot made from the rows writes them all
            // again. Another snapshot stored meanwhile: the rows are not
            // this state's either, and none is stored.
            let refused = match root {
                Ok(Some(Ok(Ok(root)))) => {
                    return Ok(Some(snapshot::encode_with_root(state, &root)));
                }
                Ok(Some(Ok(Err(_)))) | Ok(Some(Err(StoreError::Corrupt { .. }))) => true,
                Ok(None) | Err(StoreError::Corrupt { .. }) => false,
                Ok(Some(Err(e))) | Err(e) => return Err(e.into()),
            };
            if !self.read_rows()? {
                return Ok(None);
            }
            let mut snap = snapshot::encode(&self.state);
            snap.remake_leaves = refused;
            return Ok(Some(snap));
        }
        Ok(Some(snapshot::encode(&self.state)))
    }

    /// After `snap`, encoded from this state, was stored: changes count
    /// from it, and a state without its rows reads them (when it must)
    /// from it.
    fn stored_snapshot(&mut self, snap: &Encoded) {
        self.state.clear_touched();
        self.snapshot_size = snap.size;
        self.snapshot_len = snap.weight;
        if self.unread.is_some() {
            self.unread = Some((snap.size, snap.digest));
        }
    }

    /// Opens a publication: reads the stored state snapshot and folds the
    /// entries after it, or folds the whole log if the snapshot is missing
    /// or not trusted ([`Publication::opened`] says which), storing a new
    /// snapshot then, or when the log has run [`SNAPSHOT_EVERY`] entries
    /// past the stored one.
    pub fn open(dir: &Path) -> Result<Self, PublicationError> {
        let store = Store::open(dir)?;
        let (mut state, opened, mut snapshot_size, mut snapshot_len) = load(&store)?;
        let refolded = matches!(opened, Opened::Refolded { .. });
        if refolded || snapshot_due(state.size(), snapshot_size, snapshot_len) {
            let snap = snapshot::encode(&state);
            if store.put_snapshot(&snap, refolded)? {
                state.clear_touched();
                snapshot_size = snap.size;
                snapshot_len = snap.weight;
            }
        }
        let mut publication = Self {
            store,
            state,
            snapshot_size,
            snapshot_len,
            opened,
            stale: false,
            writer: None,
            stuck: BTreeMap::new(),
            failures: Vec::new(),
            last_held: BTreeMap::new(),
            unread: None,
            bulk: false,
        };
        // A crash between a redaction's commit and the deletion of its blobs
        // is finished here.
        publication.purge_redacted()?;
        Ok(publication)
    }

    /// [`Publication::open`] for a member's action (a statement, a vote,
    /// a proposal, an article): the state is read from the stored
    /// snapshot's head alone — the article rows, some 37 MB at 100,000
    /// articles, are most of what opening costs. Into it are fetched the
    /// rows of the articles it must know: every redaction target (whose
    /// blobs may not come back), and those each entry folded or submitted
    /// reads (`State::article_slugs_for`: the article published or
    /// corrected, a translation's original). Every row is read only for an
    /// entry that reads every article (a proposed redaction), a snapshot
    /// to store, or [`Publication::read_articles`]. What the state answers
    /// about an article it was not given is not to be trusted
    /// ([`State::knows_article`], [`State::articles_read`]); nothing is
    /// judged wrongly meanwhile, because the fold refuses to judge an
    /// entry that reads articles it does not know
    /// ([`Rejection::ArticlesUnread`]).
    pub fn open_lazily(dir: &Path) -> Result<Self, PublicationError> {
        let store = Store::open(dir)?;
        let Some(Head {
            state,
            size,
            weight: len,
            digest,
            folded,
        }) = load_head(&store)?
        else {
            return Self::open(dir);
        };
        let mut publication = Self {
            store,
            state,
            snapshot_size: size,
            snapshot_len: len,
            opened: Opened::Snapshot { size, folded },
            stale: false,
            writer: None,
            stuck: BTreeMap::new(),
            failures: Vec::new(),
            last_held: BTreeMap::new(),
            unread: Some((size, digest)),
            bulk: false,
        };
        if !publication.know_redacted()? {
            publication.read_rows_or_reload()?;
        }
        if snapshot_due(
            publication.state.size(),
            publication.snapshot_size,
            publication.snapshot_len,
        ) {
            publication.store_snapshot()?;
        }
        // A crash between a redaction's commit and the deletion of its blobs
        // is finished here.
        publication.purge_redacted()?;
        Ok(publication)
    }

    /// Reads the stored snapshot's article rows into a state read from its
    /// head alone ([`Publication::open_lazily`]), in place: what the state
    /// folded since stands. False if they cannot be: another snapshot is
    /// stored now, or the rows are refused (the caller then reads the
    /// publication again: [`Publication::read_rows_or_reload`]).
    fn read_rows(&mut self) -> Result<bool, PublicationError> {
        let Some((size, digest)) = self.unread else {
            return Ok(true);
        };
        let Some(mut reader) = snapshot::row_reader(&self.state) else {
            self.unread = None;
            return Ok(true);
        };
        let read = self
            .store
            .for_each_row_of_snapshot(size, &digest, |slug, bytes| reader.article(slug, bytes));
        match read {
            Ok(Some(Ok(()))) => {}
            Ok(None | Some(Err(_))) | Err(StoreError::Corrupt { .. }) => return Ok(false),
            Err(e) => return Err(e.into()),
        }
        let Ok(rows) = reader.finish() else {
            return Ok(false);
        };
        if snapshot::read_rows(&mut self.state, rows).is_err() {
            return Ok(false);
        }
        self.unread = None;
        Ok(true)
    }

    /// [`PublicationError::ArticlesUnread`] unless the state holds every
    /// article (what is asked of it reads them all).
    fn all_articles(&self) -> Result<(), PublicationError> {
        match self.unread {
            None => Ok(()),
            Some(_) => Err(PublicationError::ArticlesUnread),
        }
    }

    /// Fetches into a state without its rows those of the redaction
    /// targets it does not know yet (the redacted blobs are theirs). False
    /// if they cannot be (another snapshot is stored now, or a row is
    /// refused).
    fn know_redacted(&mut self) -> Result<bool, PublicationError> {
        let Some((size, digest)) = self.unread else {
            return Ok(true);
        };
        let targets: Vec<String> = self.state.redacted().iter().cloned().collect();
        fetch_rows(&self.store, &mut self.state, size, &digest, targets)
    }

    /// [`PublicationError::ArticlesUnread`] unless the state knows which
    /// blobs are redacted: it holds every article, or knows every
    /// redaction target (see [`Publication::know_redacted`]).
    fn redacted_known(&self) -> Result<(), PublicationError> {
        match self.unread.is_none()
            || self
                .state
                .redacted()
                .iter()
                .all(|t| self.state.knows_article(t))
        {
            true => Ok(()),
            false => Err(PublicationError::ArticlesUnread),
        }
    }

    /// Into a publication opened with [`Publication::open_lazily`]: the
    /// articles `slugs` (or that there is none), so that
    /// [`State::article`] answers for them ([`State::knows_article`]); if
    /// their rows cannot be fetched, every article is read. Nothing to do
    /// for one opened whole.
    pub fn fetch_articles(&mut self, slugs: &[&str]) -> Result<(), PublicationError> {
        let Some((size, digest)) = self.unread else {
            return Ok(());
        };
        let slugs = slugs.iter().map(|s| s.to_string());
        if !fetch_rows(&self.store, &mut self.state, size, &digest, slugs)? {
            self.read_rows_or_reload()?;
        }
        Ok(())
    }

    /// Makes a publication opened with [`Publication::open_lazily`] what
    /// [`Publication::open`] would have given: every article read (`erkin
    /// export` once it finds its copy behind the log). Whether the rows
    /// were read into the state as it is (true; also for one opened whole),
    /// or the publication was read again because they could not be
    /// (another process stored a newer snapshot, or a row was refused).
    pub fn read_articles(&mut self) -> Result<bool, PublicationError> {
        self.read_rows_or_reload()
    }

    /// Makes sure the state holds every article: its rows read in place
    /// (true), or, if they cannot be, the publication read again from the
    /// store as [`Publication::open`] does (false). Only while the state
    /// holds nothing the store does not.
    fn read_rows_or_reload(&mut self) -> Result<bool, PublicationError> {
        if self.read_rows()? {
            return Ok(true);
        }
        self.unread = None;
        self.stale = true;
        self.catch_up()?;
        Ok(false)
    }

    /// A publication whose state the caller has just folded from exactly
    /// this store's log — a mirror that verified every entry before
    /// committing it — so the log is not folded a second time.
    pub fn from_folded(store: Store, mut state: State) -> Self {
        debug_assert_eq!(store.size(), state.size());
        let (snapshot_size, snapshot_len) =
            store.snapshot_extent().ok().flatten().unwrap_or((0, 0));
        // The stored snapshot is of this very state: later snapshots
        // write the articles changed from here.
        if snapshot_size == state.size() {
            state.clear_touched();
        }
        Self {
            store,
            state,
            snapshot_size,
            snapshot_len,
            opened: Opened::Snapshot {
                size: snapshot_size,
                folded: 0,
            },
            stale: false,
            writer: None,
            stuck: BTreeMap::new(),
            failures: Vec::new(),
            last_held: BTreeMap::new(),
            unread: None,
            bulk: false,
        }
    }

    /// How the state was obtained when this publication was opened.
    pub fn opened(&self) -> &Opened {
        &self.opened
    }

    /// Gives the store back (to append to it as a mirror does).
    pub fn into_store(self) -> Store {
        self.store
    }

    /// The store and the folded state, apart: for a caller that folds more
    /// entries onto the state without keeping a copy of it (a mirror's sync;
    /// [`Publication::from_folded`] puts them together again).
    pub fn into_parts(self) -> (Store, State) {
        (self.store, self.state)
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Claims the data directory for this process as its one writer, named
    /// `who` to anyone else who tries to write ([`StoreError::Locked`]): a
    /// server that sequences claims it for as long as it runs, so a local
    /// command cannot write behind its back. Released when dropped.
    pub fn claim_writer(&mut self, who: &str) -> Result<(), PublicationError> {
        let dir = self.store.path().parent().unwrap_or(Path::new("."));
        self.writer = Some(crate::WriterLock::acquire(dir, who)?);
        Ok(())
    }

    pub fn state(&self) -> &State {
        &self.state
    }

    /// Admits what the fold accepts from `entries`, appends it in one durable
    /// transaction with a new checkpoint, and reports each entry's fate. `now`
    /// is the sequencer's clock in Unix seconds.
    ///
    /// The log's time: when `now` is later than the log time, a batch whose
    /// entries a time rule judges (anything but statements, key rotations and
    /// resignations: proposals, votes, closes, publishing, corrections) is
    /// led by a tick (signed by the log key, dated `now`), so each of them is
    /// judged by the time it reached the sequencer; a batch of statements
    /// refreshes the log time only once it is [`TICK_EVERY_SECS`] old, so a
    /// quiet newsroom's log is not half ticks. A clock behind the log time
    /// adds no tick: the log time never moves backwards. A batch that admits
    /// nothing appends nothing, not even its tick.
    pub fn submit(
        &mut self,
        entries: &[Vec<u8>],
        now: u64,
        log_key: &SecretKey,
    ) -> Result<BatchOutcome, PublicationError> {
        if self.writer.is_none() {
            self.claim_writer("erkin")?;
        }
        // Another process may append between our check and our append; the
        // store then refuses with Conflict and we check again. Conflicts need
        // two local writers racing, so a few attempts are plenty.
        const ATTEMPTS: usize = 5;
        let mut last_conflict = None;
        // A state without its rows fetches the articles the entries read
        // (all of them, if one reads every article).
        if let Some((size, digest)) = self.unread {
            for e in entries {
                if !fetch_articles_for(&self.store, &mut self.state, size, &digest, e)? {
                    self.read_rows_or_reload()?;
                    break;
                }
            }
        }
        for _ in 0..ATTEMPTS {
            self.catch_up()?;
            let expected = self.state.size();
            // Fold into the live state (cloning it per batch would cost
            // O(size)); if the append fails the state is marked stale and
            // rebuilt from the store before anything else is admitted.
            let mut admitted = Vec::new();
            let mut named = Vec::new();
            let mut results = Vec::with_capacity(entries.len());
            let mark = self.state.tick_mark();
            let log_time = self.state.log_time();
            // Proposals due to close by the sequencer's clock are a time
            // rule too: the batch is ticked so that the log proves it.
            let timely = entries
                .iter()
                .any(|e| judged_by_time(e, self.state.origin()))
                || !self.state.overdue(now.max(log_time)).is_empty();
            let tick =
                if now > log_time && (timely || now >= log_time.saturating_add(TICK_EVERY_SECS)) {
                    let bytes = self.tick(now, log_key)?;
                    match self.state.apply(&bytes) {
                        Ok(applied) => {
                            admitted.push(bytes);
                            Some(applied.leaf_hash)
                        }
                        // The log key given is not this log's: nothing is
                        // admitted without a time the log proves.
                        Err(r) => return Err(PublicationError::Tick(r)),
                    }
                } else {
                    None
                };
            for e in entries {
                let result = match self.admit_sealed(e, Some(now), log_key, &mut admitted) {
                    Ok(result) => result,
                    // Not the entry's fault: the batch fails as storage, and
                    // the entries folded so far are undone by a rebuild.
                    Err(e) => {
                        self.stale = true;
                        return Err(e);
                    }
                };
                if let Ok((_, blobs)) = &result {
                    admitted.push(e.clone());
                    named.extend_from_slice(blobs);
                }
                results.push(result.map(|(a, _)| a.index));
            }
            // After the members' entries (a member's own close in this batch
            // stands), the log key closes every proposal whose deadline has
            // passed in log time, judged by the fold like a member's close;
            // a secret proposal's close follows the ballots held for it.
            let mut closed_secret = Vec::new();
            for id in self.state.overdue(self.state.log_time()) {
                let secret = self.state.proposal(id).is_some_and(|p| p.secret.is_some());
                if secret {
                    // A close that failed waits out its back-off.
                    if self.stuck.get(&id).is_some_and(|s| now < s.retry_at) {
                        continue;
                    }
                    match self.close_secret(id, log_key, &mut admitted) {
                        Ok(Ok(())) => {
                            self.stuck.remove(&id);
                        }
                        Ok(Err(reason)) => self.close_failed(id, reason, now),
                        Err(e) => {
                            self.stale = true;
                            return Err(e);
                        }
                    }
                    if self.state.proposal(id).is_some_and(|p| p.outcome.is_some()) {
                        closed_secret.push(id);
                    }
                    continue;
                }
                let bytes = self.close(id, Vec::new(), log_key)?;
                match self.admit_sealed(&bytes, None, log_key, &mut admitted) {
                    Ok(Ok(_)) => admitted.push(bytes),
                    Ok(Err(_)) => {}
                    Err(e) => {
                        self.stale = true;
                        return Err(e);
                    }
                }
            }
            if admitted.len() == usize::from(tick.is_some()) {
                if let Some(leaf) = tick {
                    if !self.state.undo_tick(mark, &leaf) {
                        self.stale = true;
                    }
                }
                return Ok(BatchOutcome {
                    results,
                    checkpoint: None,
                });
            }
            // Every SNAPSHOT_EVERY entries the state goes into the store
            // with the batch, in its transaction.
            // A state without its rows stores one only if they can be read
            // into it now (this process holds the writer lock: nobody else
            // stores one meanwhile); if not, a later batch or open does.
            let due = match self.bulk {
                false => snapshot_due,
                true => snapshot_due_in_bulk,
            }(self.state.size(), self.snapshot_size, self.snapshot_len);
            let snap = match due {
                true => self.encode_snapshot()?,
                false => None,
            };
            match self.store.append_naming_snapshot(
                &admitted,
                &named,
                log_key,
                expected,
                snap.as_ref(),
            ) {
                Ok(checkpoint) => {
                    if let Some(s) = &snap {
                        self.stored_snapshot(s);
                    }
                    self.purge_redacted()?;
                    self.drop_closed_ballots(&closed_secret)?;
                    return Ok(BatchOutcome {
                        results,
                        checkpoint: Some(checkpoint),
                    });
                }
                Err(e) => {
                    self.stale = true;
                    match e {
                        StoreError::Conflict { .. } => last_conflict = Some(e),
                        other => return Err(other.into()),
                    }
                }
            }
        }
        Err(last_conflict
            .expect("the loop only ends early by returning")
            .into())
    }

    /// The tick that records `now` as the log's time, signed by the log key.
    fn tick(&self, now: u64, log_key: &SecretKey) -> Result<Vec<u8>, PublicationError> {
        let body = EntryBody {
            time: now,
            action: Action::Tick(Tick {}),
        };
        sign_entry(self.state.origin(), &body, log_key)
            .map_err(|e| PublicationError::Tick(Rejection::Entry(e)))
    }

    /// The close of proposal `id` at the log time, signed by the log key,
    /// with the salts of its seals (a secret proposal's).
    fn close(
        &self,
        id: u64,
        salts: Vec<String>,
        log_key: &SecretKey,
    ) -> Result<Vec<u8>, PublicationError> {
        self.by_log_key(
            Action::Close(Close {
                proposal: id,
                salts,
            }),
            log_key,
        )
    }

    /// `action` signed by the log key, dated at the log time.
    fn by_log_key(&self, action: Action, log_key: &SecretKey) -> Result<Vec<u8>, PublicationError> {
        let body = EntryBody {
            time: self.state.log_time(),
            action,
        };
        sign_entry(self.state.origin(), &body, log_key)
            .map_err(|e| PublicationError::Tick(Rejection::Entry(e)))
    }

    /// Admits `entry` — a member's (`now`: the sequencer's clock, checked
    /// as [`admit`] does) or the log key's (`None`) — putting right before
    /// it a seal of every open secret proposal whose tree it changes (a
    /// member of it leaving: the fold's `missing_seal`), each pushed to
    /// `admitted` (the entry itself is the caller's to push).
    fn admit_sealed(
        &mut self,
        entry: &[u8],
        now: Option<u64>,
        log_key: &SecretKey,
        admitted: &mut Vec<Vec<u8>>,
    ) -> Result<Result<(Applied, Vec<BlobId>), Rejection>, PublicationError> {
        let mut sealed: Vec<u64> = Vec::new();
        loop {
            let result = match now {
                Some(now) => admit(&mut self.state, &self.store, entry, now)?,
                None => self.state.apply(entry).map(|a| (a, Vec::new())),
            };
            match result {
                Err(Rejection::MissingSeal { proposal }) if !sealed.contains(&proposal) => {
                    let seal = self.seal(proposal, log_key)?;
                    if let Err(r) = self.state.apply(&seal) {
                        self.stale = true;
                        return Err(PublicationError::Unsealable(r));
                    }
                    admitted.push(seal);
                    sealed.push(proposal);
                }
                Err(r) if !sealed.is_empty() => {
                    // The seals stand in the state without their entry:
                    // rebuilt before the next batch.
                    self.stale = true;
                    return Err(PublicationError::Unsealable(r));
                }
                other => return Ok(other),
            }
        }
    }

    /// The seal of secret proposal `id`'s current epoch (docs/BALLOT.md
    /// §5.4), signed by the log key at the log time: a fresh salt from the
    /// OS generator, kept durably before the seal is returned, and the
    /// hashes of the ballots held for that epoch.
    fn seal(&self, id: u64, log_key: &SecretKey) -> Result<Vec<u8>, PublicationError> {
        use rand_core::RngCore as _;
        let epoch = self
            .state
            .proposal(id)
            .and_then(|p| p.secret.as_deref())
            .map_or(0, |s| s.roots.len().saturating_sub(1)) as u64;
        let mut salt = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut salt);
        let hashes = self.store.held_hashes(id, epoch)?;
        let commitment =
            erkin_core::secret::seal_commitment(self.state.origin(), id, epoch, &salt, &hashes);
        self.store.put_salt(id, epoch, &salt)?;
        self.by_log_key(
            Action::Seal(Seal {
                proposal: id,
                commitment,
            }),
            log_key,
        )
    }

    /// Closes secret proposal `id` (docs/BALLOT.md §8): the seals its close
    /// needs (its removal of a member of another open secret proposal's
    /// tree), then every held ballot in (epoch, hash) order, each signed by
    /// the log key at the log time, then the close with its seals' salts —
    /// tried on a copy of the state first, so a close the fold would not
    /// take leaves the state, the proposal and its held ballots as they
    /// were, and says why (`Ok(Err(_))`: it stays overdue, and the next
    /// try waits out a back-off). Every held ballot got a receipt: the
    /// close never leaves one out — one that does not read, or that the
    /// fold refuses, stops the close instead.
    fn close_secret(
        &mut self,
        id: u64,
        log_key: &SecretKey,
        admitted: &mut Vec<Vec<u8>>,
    ) -> Result<Result<(), CloseStuck>, PublicationError> {
        let Some(secret) = self.state.proposal(id).and_then(|p| p.secret.as_deref()) else {
            return Ok(Ok(()));
        };
        let seals = secret.seals.len() as u64;
        let mut salts = Vec::new();
        for epoch in 0..seals {
            match self.store.salt(id, epoch)? {
                Some(salt) => salts.push(hex_encode(&salt)),
                // A seal whose salt is lost can never be opened.
                None => return Ok(Err(CloseStuck::MissingSalt { epoch })),
            }
        }
        let mut ballots = Vec::new();
        for held in self.store.held_ballots(id)? {
            let Ok(b) = serde_json::from_slice::<CastBallot>(&held.body) else {
                return Ok(Err(CloseStuck::UnreadableBallot));
            };
            ballots.push(self.by_log_key(Action::Ballot(b), log_key)?);
        }
        let close = self.close(id, salts, log_key)?;
        let mut seals_first: Vec<(u64, Vec<u8>)> = Vec::new();
        loop {
            let mut trial = self.state.clone();
            let mut run = Vec::new();
            for (_, seal) in &seals_first {
                if let Err(r) = trial.apply(seal) {
                    return Ok(Err(CloseStuck::SealRefused { code: r.code() }));
                }
                run.push(seal.clone());
            }
            for b in &ballots {
                if let Err(r) = trial.apply(b) {
                    return Ok(Err(CloseStuck::BallotRefused { code: r.code() }));
                }
                run.push(b.clone());
            }
            match trial.apply(&close) {
                Ok(_) => {
                    run.push(close);
                    self.state = trial;
                    admitted.extend(run);
                    return Ok(Ok(()));
                }
                Err(Rejection::MissingSeal { proposal })
                    if !seals_first.iter().any(|(p, _)| *p == proposal) =>
                {
                    let seal = self.seal(proposal, log_key)?;
                    seals_first.push((proposal, seal));
                }
                Err(r) => return Ok(Err(CloseStuck::CloseRefused { code: r.code() })),
            }
        }
    }

    /// Records a failed try at closing secret proposal `id` at `now`: the
    /// next waits [`close_retry_secs`].
    fn close_failed(&mut self, id: u64, reason: CloseStuck, now: u64) {
        let tries = self.stuck.get(&id).map_or(1, |s| s.tries.saturating_add(1));
        let retry_at = now.saturating_add(close_retry_secs(tries));
        self.stuck.insert(id, Stuck { tries, retry_at });
        // Bounded: one per stuck proposal and try, and the sequencer takes
        // them after every batch.
        if self.failures.len() < 1024 {
            self.failures.push(CloseFailure {
                proposal: id,
                reason,
                tries,
                retry_at,
            });
        }
    }

    /// The failed tries at closing a secret proposal since the last call
    /// (for the server's log: they hold no ballot data).
    pub fn take_close_failures(&mut self) -> Vec<CloseFailure> {
        std::mem::take(&mut self.failures)
    }

    /// Deletes the held ballots and salts of the secret proposals `closed`
    /// in the batch just written, and of any other proposal no longer open
    /// (a crash between a close's batch and this).
    fn drop_closed_ballots(&self, closed: &[u64]) -> Result<(), PublicationError> {
        for id in closed {
            self.store.drop_held(*id)?;
        }
        for id in self.store.held_proposals()? {
            let open = self.state.proposal(id).is_some_and(|p| p.outcome.is_none());
            if !open {
                self.store.drop_held(id)?;
            }
        }
        Ok(())
    }

    /// The sequencer's intake of a secret ballot at `now`, its clock
    /// (docs/BALLOT.md §8): the held ballots of the nullifier the ballot
    /// claims ([`Publication::check_held`]: a ballot must go above their
    /// `seq`, [`BallotRefusal::StaleBallot`], and a re-vote waits
    /// [`REVOTE_INTERVAL_SECS`], [`BallotRefusal::RevoteTooSoon`]) — looked
    /// up before the proof is verified, so a member resending a superseded
    /// or premature ballot of their own costs the writer a lookup, not a
    /// Groth16 check (review s10 M1) — then the state's checks (open,
    /// secret, before the deadline, the current epoch's root, the choice,
    /// then the proof) and the count of nullifiers (no more than ballot
    /// keys in the tree: `ballot_overflow`); then held durably — replacing
    /// the nullifier's ballot of this epoch — and answered with the log
    /// key's receipt. The same ballot sent again is answered with its
    /// receipt again.
    pub fn hold_ballot(
        &mut self,
        ballot: &CastBallot,
        now: u64,
        log_key: &SecretKey,
    ) -> Result<BallotReceipt, BallotRefusal> {
        if self.writer.is_none() {
            self.claim_writer("erkin")?;
        }
        self.catch_up()?;
        let hash = ballot.hash();
        let open = self
            .state
            .proposal(ballot.proposal)
            .is_some_and(|p| p.outcome.is_none() && now.max(self.state.log_time()) < p.closes_at);
        // Before the proof, by the nullifier the ballot claims (canonical:
        // the same the intake reads). A false claim only gets its sender a
        // refusal; nobody but the holder of a ballot secret can name its
        // nullifier before the close (BALLOT.md §8, SECURITY.md).
        let mut held = None;
        if open {
            if let Some(epoch) = self.store.held_ballot_epoch(ballot.proposal, &hash)? {
                return Ok(BallotReceipt::sign(log_key, ballot.proposal, epoch, &hash));
            }
            if erkin_core::ballot::FieldElement::from_hex(&ballot.nullifier).is_ok() {
                held =
                    Some(self.check_held(ballot.proposal, &ballot.nullifier, ballot.seq, now)?);
            }
        }
        let intake = self
            .state
            .check_ballot_intake(now, ballot)
            .map_err(BallotRefusal::Rejected)?;
        let held = match held {
            Some(held) => held,
            None => self.check_held(intake.proposal, &intake.nullifier, intake.seq, now)?,
        };
        if held.is_none() {
            // The fold's own rule over what the close will publish.
            erkin_core::secret::check_new_nullifier(
                intake.proposal,
                self.store.held_nullifiers(intake.proposal)?,
                intake.leaves,
            )
            .map_err(BallotRefusal::Rejected)?;
        }
        self.store.hold_ballot(
            intake.proposal,
            intake.epoch,
            &hash,
            &intake.nullifier,
            intake.seq,
            &ballot.canonical_json(),
        )?;
        if self.last_held.len() >= LAST_HELD_PRUNE_AT {
            self.last_held
                .retain(|_, t| now < t.saturating_add(REVOTE_INTERVAL_SECS));
        }
        self.last_held
            .insert((intake.proposal, intake.nullifier.clone()), now);
        Ok(BallotReceipt::sign(
            log_key,
            intake.proposal,
            intake.epoch,
            &hash,
        ))
    }

    /// What the sequencer holds of `nullifier` (canonical hex) on
    /// `proposal`, for a ballot of `seq` at `now`: the highest `seq` held
    /// (`None`: a nullifier new to the proposal), or the refusal — `seq`
    /// not above it ([`BallotRefusal::StaleBallot`]), or a re-vote less
    /// than [`REVOTE_INTERVAL_SECS`] after the nullifier's last held
    /// ballot ([`BallotRefusal::RevoteTooSoon`]; if the clock is now behind
    /// that ballot's time, the wait is from now). Reads the store and the
    /// times in memory only: no proof is looked at.
    fn check_held(
        &mut self,
        proposal: u64,
        nullifier: &str,
        seq: u64,
        now: u64,
    ) -> Result<Option<u64>, BallotRefusal> {
        let Some(held_seq) = self.store.held_seq(proposal, nullifier)? else {
            return Ok(None);
        };
        if seq <= held_seq {
            return Err(BallotRefusal::StaleBallot { held_seq });
        }
        if let Some(last) = self.last_held.get_mut(&(proposal, nullifier.to_string())) {
            // A clock that stepped back behind the last held ballot makes
            // the wait start now: at most REVOTE_INTERVAL_SECS, not that
            // plus however far the clock went back (review s10 L5).
            *last = (*last).min(now);
            let retry_at = last.saturating_add(REVOTE_INTERVAL_SECS);
            if now < retry_at {
                return Err(BallotRefusal::RevoteTooSoon { now, retry_at });
            }
        }
        Ok(Some(held_seq))
    }

    /// [`Publication::hold_ballot`] of a submission's body, decrypted with
    /// the ballot box's `identity` ([`crate::ballots::open_ballot`]): its
    /// outcome for the reply recipient the body carries. `Err` only for a
    /// body from which no reply recipient could be read (nothing of it was
    /// looked at as a ballot).
    pub fn take_ballot(
        &mut self,
        body: &[u8],
        identity: &age::x25519::Identity,
        now: u64,
        log_key: &SecretKey,
    ) -> Result<crate::ballots::Taken, BallotRefusal> {
        let opened = crate::ballots::open_ballot(body, identity)?;
        let outcome = match opened.ballot {
            Ok(ballot) => self.hold_ballot(&ballot, now, log_key),
            Err(e) => Err(e.into()),
        };
        Ok(crate::ballots::Taken {
            reply: opened.reply,
            outcome,
        })
    }

    /// Publishes `recipient` as the ballot box (a `ballot_box` entry signed
    /// by the log key, in a batch of its own, ticked at `now`) unless it is
    /// the one in force. Returns whether it appended one. (The sequencer
    /// calls it when it starts: it first deletes the held ballots of any
    /// proposal no longer open, which a crash right after its close left.)
    pub fn set_ballot_box(
        &mut self,
        recipient: &str,
        now: u64,
        log_key: &SecretKey,
    ) -> Result<bool, PublicationError> {
        self.catch_up()?;
        if self.writer.is_none() {
            self.claim_writer("erkin")?;
        }
        // Held rows of proposals closed before a crash kept them from
        // being deleted go now, at the sequencer's start.
        self.drop_closed_ballots(&[])?;
        if self.state.ballot_box() == Some(recipient) {
            return Ok(false);
        }
        let body = EntryBody {
            time: now.max(self.state.log_time()),
            action: Action::BallotBox(BallotBox {
                recipient: recipient.to_string(),
            }),
        };
        let bytes = sign_entry(self.state.origin(), &body, log_key)
            .map_err(|e| PublicationError::BallotBox(Rejection::Entry(e)))?;
        let outcome = self.submit(&[bytes], now, log_key)?;
        match outcome.results.into_iter().next() {
            Some(Ok(_)) => Ok(true),
            Some(Err(r)) => Err(PublicationError::BallotBox(r)),
            None => Ok(false),
        }
    }

    /// Whether a proposal is due to close at `now` (by the sequencer's clock,
    /// or the log time if that is later): an idle sequencer then submits an
    /// empty batch, which ticks and closes it.
    /// A secret proposal whose close failed is not due again before its
    /// back-off is over.
    pub fn close_due(&self, now: u64) -> bool {
        self.state
            .overdue(now.max(self.state.log_time()))
            .into_iter()
            .any(|id| self.stuck.get(&id).is_none_or(|s| now >= s.retry_at))
    }

    /// Deletes every blob a passed redaction removed. Idempotent.
    fn purge_redacted(&mut self) -> Result<(), PublicationError> {
        // Which blobs a redacted article had needs its row: a state without
        // its rows fetches the targets'; if they cannot be now, the next
        // open purges.
        if !self.know_redacted()? {
            return Ok(());
        }
        for id in self.state.redacted_blobs() {
            self.store.delete_blob(&id)?;
        }
        Ok(())
    }

    /// Stores a blob for an entry to refer to (upload before the entry).
    pub fn put_blob(&self, bytes: &[u8], max_len: u64) -> Result<BlobId, PublicationError> {
        let id = BlobId::of(bytes);
        self.redacted_known()?;
        if self.state.redacted_blobs().contains(&id) {
            return Err(PublicationError::Redacted(id));
        }
        Ok(self.store.put_blob(bytes, max_len)?)
    }

    /// Stores a member's upload durably as pending: served only once an
    /// entry names it, and deleted by [`Publication::collect_unnamed_blobs`]
    /// if none does in time. Refuses redacted blobs, and uploads that would
    /// take the pending bytes over `max_pending` ([`PublicationError::PendingFull`]).
    pub fn put_blob_pending(
        &self,
        bytes: &[u8],
        max_len: u64,
        max_pending: u64,
        now: u64,
    ) -> Result<BlobId, PublicationError> {
        let id = BlobId::of(bytes);
        self.redacted_known()?;
        if self.state.redacted_blobs().contains(&id) {
            return Err(PublicationError::Redacted(id));
        }
        if !self.store.has_blob(&id)? {
            let pending = self.store.pending_bytes()?;
            if pending.saturating_add(bytes.len() as u64) > max_pending {
                return Err(PublicationError::PendingFull { max: max_pending });
            }
        }
        Ok(self.store.put_blob_pending(bytes, max_len, now)?)
    }

    /// Deletes uploads that no entry named within `grace` seconds of
    /// arriving (`now` in Unix seconds); returns how many. Uploads an entry
    /// did name (should a crash have left them marked pending) are kept and
    /// unmarked. Cheap when nothing is overdue: one indexed query.
    pub fn collect_unnamed_blobs(&self, now: u64, grace: u64) -> Result<usize, PublicationError> {
        let overdue = self.store.pending_since(now.saturating_sub(grace))?;
        if overdue.is_empty() {
            return Ok(0);
        }
        self.all_articles()?;
        let named = self.state.named_blobs();
        let (keep, drop): (Vec<BlobId>, Vec<BlobId>) =
            overdue.into_iter().partition(|id| named.contains(id));
        self.store.unpend(&keep)?;
        for id in &drop {
            self.store.delete_blob(id)?;
        }
        Ok(drop.len())
    }

    /// Brings the state up to the store: rebuilt if stale, then folded over
    /// any entries another process appended.
    fn catch_up(&mut self) -> Result<(), PublicationError> {
        if self.stale {
            self.store.refresh()?;
            let (state, _, snapshot_size, snapshot_len) = load(&self.store)?;
            self.state = state;
            self.unread = None;
            self.snapshot_size = snapshot_size;
            self.snapshot_len = snapshot_len;
            self.stale = false;
        }
        let size = self.store.refresh()?;
        let from = self.state.size();
        if from < size && self.unread.is_some() {
            // Another process appended: its entries may read articles.
            self.read_rows_or_reload()?;
            return self.catch_up();
        }
        if from < size {
            // A state folded part way is rebuilt before the next use.
            if let Err(e) = fold_tail(&self.store, &mut self.state) {
                self.stale = true;
                return Err(e);
            }
        }
        Ok(())
    }

    /// Signs an entry for this publication with a member's key.
    ///
    /// Ed25519 signatures are deterministic, so re-casting the same vote in
    /// the same second would produce bytes already in the log, which the fold
    /// refuses as a replay. The signer then dates the entry a second later:
    /// the fold stays strict about replays, and a member can still change
    /// their vote back.
    pub fn sign(&self, body: &EntryBody, key: &SecretKey) -> Result<Vec<u8>, EntryError> {
        let mut body = body.clone();
        loop {
            let bytes = sign_entry(self.state.origin(), &body, key)?;
            if !self
                .state
                .contains_entry(&erkin_core::tree::record_hash(&bytes))
            {
                return Ok(bytes);
            }
            body.time += 1;
        }
    }
}

/// Lowercase hex of 32 bytes.
fn hex_encode(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// How old the log time may grow before a batch that no time rule judges
/// (statements) refreshes it with a tick.
pub const TICK_EVERY_SECS: u64 = 60;

/// Whether a time rule judges `entry`: a deadline, a minimum period or an
/// editor's term. Statements, key rotations and resignations are judged by
/// none; an entry that does not parse is refused anyway.
fn judged_by_time(entry: &[u8], origin: &str) -> bool {
    use erkin_core::action::Action;
    erkin_core::entry::ParsedEntry::parse(entry, origin).is_ok_and(|p| {
        !matches!(
            p.body.action,
            Action::Statement(_) | Action::RotateKey(_) | Action::Resign(_)
        )
    })
}

/// Admits one entry into `state`; returns what the fold applied and the
/// blobs the entry names, or why the entry is refused. The outer error is
/// the store failing to say whether a named blob is here.
fn admit(
    state: &mut State,
    store: &Store,
    entry: &[u8],
    now: u64,
) -> Result<Result<(Applied, Vec<BlobId>), Rejection>, StoreError> {
    let parsed = match erkin_core::entry::ParsedEntry::parse(entry, state.origin()) {
        Ok(parsed) => parsed,
        Err(e) => return Ok(Err(e.into())),
    };
    if let Err(r) = check_clock(parsed.body.time, now) {
        return Ok(Err(r));
    }
    // The fold checks blob IDs for form; the sequencer also makes sure the
    // bytes are here, so every copy can fetch what the log names.
    let mut named = Vec::new();
    for b in parsed.body.action.blob_refs() {
        if let Ok(id) = b.parse::<BlobId>() {
            named.push(id);
            if !store.has_blob(&id)? {
                return Ok(Err(Rejection::BlobNotUploaded { blob: id }));
            }
        }
    }
    Ok(state.apply_parsed(&parsed).map(|a| (a, named)))
}

/// The state from the stored snapshot and the entries after it, or from
/// the whole log if the snapshot is not usable; with how it was obtained
/// and the size and length of the usable snapshot (0 if none).
fn load(store: &Store) -> Result<(State, Opened, u64, u64), PublicationError> {
    // The head and its rows of one moment: a sequencer may store a newer
    // snapshot between the two reads, whose rows are not this head's.
    let why = match store.read_at_once(usable_snapshot)?? {
        Ok((mut state, len, _)) => {
            let size = state.size();
            fold_tail(store, &mut state)?;
            let folded = state.size() - size;
            return Ok((state, Opened::Snapshot { size, folded }, size, len));
        }
        Err(why) => why,
    };
    let state = fold_store(store, |_| {})?;
    Ok((state, Opened::Refolded { why }, 0, 0))
}

/// A state read from a snapshot's head, its rows not read, and the
/// entries after the snapshot folded into it.
struct Head {
    state: State,
    /// The snapshot's size, weight and recorded digest.
    size: u64,
    weight: u64,
    digest: [u8; 32],
    /// How many entries were folded after it.
    folded: u64,
}

/// The stored snapshot's [`Head`] (see [`Publication::open_lazily`]), or
/// `None` if that cannot be: no usable snapshot head, or an entry after it
/// that reads articles (the caller opens as [`Publication::open`] does).
fn load_head(store: &Store) -> Result<Option<Head>, PublicationError> {
    let Ok((decoder, size, weight, digest)) = usable_head(store)? else {
        return Ok(None);
    };
    let mut state = decoder.finish_unread();
    let mut needs_rows = false;
    let mut failure = None;
    store.for_each_entry(size, |index, e| {
        if failure.is_some() || needs_rows {
            return Ok(());
        }
        let mut applied = state.apply(e);
        if applied == Err(Rejection::ArticlesUnread) {
            // Fetch the articles it reads, and judge it again.
            match fetch_articles_for(store, &mut state, size, &digest, e) {
                Ok(true) => applied = state.apply(e),
                Ok(false) => needs_rows = true,
                Err(err) => failure = Some(err),
            }
        }
        match applied {
            _ if needs_rows || failure.is_some() => {}
            Ok(_) => {}
            // Still unknown (never, once fetched): read as `open` does.
            Err(Rejection::ArticlesUnread) => needs_rows = true,
            Err(rejection) => failure = Some(invalid_entry(store, index, rejection)),
        }
        Ok(())
    })?;
    if let Some(f) = failure {
        return Err(f);
    }
    if needs_rows {
        return Ok(None);
    }
    Ok(Some(Head {
        folded: state.size() - size,
        state,
        size,
        weight,
        digest,
    }))
}

/// Into a state read from the head of the snapshot of `size` entries
/// recorded with `digest`, its rows not read: the stored rows of the
/// articles `entry` reads (see `State::article_slugs_for`), as
/// [`fetch_rows`] fetches them. False if they cannot be, or if the entry
/// reads every article. An entry that does not parse reads nothing (the
/// fold refuses it).
fn fetch_articles_for(
    store: &Store,
    state: &mut State,
    size: u64,
    digest: &[u8; 32],
    entry: &[u8],
) -> Result<bool, PublicationError> {
    let Ok(parsed) = erkin_core::entry::ParsedEntry::parse(entry, state.origin()) else {
        return Ok(true);
    };
    match state.article_slugs_for(&parsed.body.action) {
        Some(slugs) => fetch_rows(store, state, size, digest, slugs),
        None => Ok(false),
    }
}

/// Into a state read from the head of the snapshot of `size` entries
/// recorded with `digest`: the stored rows of those of `slugs` it does not
/// know yet, in one transaction that finds that snapshot still stored.
/// False if they cannot be: another snapshot is stored now, or a row is
/// refused (the caller reads every row, or the publication again).
fn fetch_rows(
    store: &Store,
    state: &mut State,
    size: u64,
    digest: &[u8; 32],
    slugs: impl IntoIterator<Item = String>,
) -> Result<bool, PublicationError> {
    let unknown: Vec<String> = slugs
        .into_iter()
        .filter(|s| !state.knows_article(s))
        .collect();
    if unknown.is_empty() {
        return Ok(true);
    }
    match store.for_each_row_by_slug(size, digest, &unknown, |slug, row| {
        snapshot::fetch_article(state, slug, row)
    }) {
        Ok(Some(Ok(()))) => Ok(true),
        Ok(None | Some(Err(_))) | Err(StoreError::Corrupt { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// A stored snapshot read back: the state, the snapshot's weight and the
/// digest recorded with it.
type Loaded = (State, u64, [u8; 32]);

/// The stored snapshot's state (and its weight and recorded digest) if it
/// can be trusted, or why not. The head is read whole, the article rows one
/// at a time.
fn usable_snapshot(store: &Store) -> Result<Result<Loaded, Refold>, PublicationError> {
    let (mut decoder, _, weight, digest) = match usable_head(store)? {
        Ok(head) => head,
        Err(why) => return Ok(Err(why)),
    };
    match store.for_each_snapshot_article(|slug, bytes| decoder.article(slug, bytes)) {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Ok(Err(Refold::Refused(e))),
        Err(StoreError::Corrupt { .. }) => return Ok(Err(Refold::Unreadable)),
        Err(e) => return Err(e.into()),
    }
    Ok(decoder
        .finish()
        .map(|state| (state, weight, digest))
        .map_err(Refold::Refused))
}

/// A checked snapshot head's decoder, and the snapshot's size, weight and
/// recorded digest.
type UsableHead = (snapshot::Decoder, u64, u64, [u8; 32]);

/// The stored snapshot's head, read and checked (within the log, of its
/// tree, of this format, log, size and recorded digest), ready for its
/// rows, with the snapshot's size, weight and recorded digest; or why it
/// cannot be used.
fn usable_head(store: &Store) -> Result<Result<UsableHead, Refold>, PublicationError> {
    let snap = match store.snapshot() {
        Ok(Some(s)) => s,
        Ok(None) => return Ok(Err(Refold::Missing)),
        Err(StoreError::Corrupt { .. }) => return Ok(Err(Refold::Unreadable)),
        Err(e) => return Err(e.into()),
    };
    if snap.size == 0 || snap.size > store.size() {
        return Ok(Err(Refold::BeyondLog {
            size: snap.size,
            log: store.size(),
        }));
    }
    if store.root_at(snap.size)? != snap.root {
        return Ok(Err(Refold::OtherTree { size: snap.size }));
    }
    Ok(snapshot::Decoder::new(
        &snap.bytes,
        store.log_key(),
        snap.size,
        &snap.digest,
        snap.seen_base.as_ref().map(|(at, b)| (*at, b.as_slice())),
    )
    .map(|d| (d, snap.size, snap.weight, snap.digest))
    .map_err(Refold::Refused))
}

/// The store holds entry `index`, which the fold refuses: something the
/// sequencer should never have admitted.
fn invalid_entry(store: &Store, index: u64, rejection: Rejection) -> PublicationError {
    PublicationError::Invalid {
        path: store.path().display().to_string(),
        index,
        rejection,
    }
}

/// Folds the store's entries after `state`'s size into it.
fn fold_tail(store: &Store, state: &mut State) -> Result<(), PublicationError> {
    let mut failure = None;
    store.for_each_entry(state.size(), |index, e| {
        if failure.is_none() {
            if let Err(rejection) = state.apply(e) {
                failure = Some(invalid_entry(store, index, rejection));
            }
        }
        Ok(())
    })?;
    failure.map_or(Ok(()), Err)
}

/// Checks the stored snapshot against a refold of the log up to its size
/// (`erkin verify --deep`): everything the state holds must be the same.
pub fn check_snapshot(store: &Store) -> Result<SnapshotCheck, PublicationError> {
    let size = match store.snapshot_size()? {
        None => return Ok(SnapshotCheck::Missing),
        Some(size) => size,
    };
    // One state in memory at a time (each is some 200 MiB at 100,000
    // articles): the snapshot's is read and kept only as the hash of its
    // fingerprint, then dropped before the refold.
    let (recorded, snapshot_print) = match store.read_at_once(usable_snapshot)?? {
        Ok((mut state, _, digest)) => (digest, snapshot::fingerprint_digest(&mut state)),
        Err(why) => return Ok(SnapshotCheck::Unusable { why }),
    };
    let mut refold = fold_store_until(store, size, |_| {})?;
    // Opening trusts the digest recorded with the snapshot; here it is
    // checked first, then everything else the state holds.
    Ok(
        if snapshot::digest(&refold) == recorded
            && snapshot::fingerprint_digest(&mut refold) == snapshot_print
        {
            SnapshotCheck::Agrees { size }
        } else {
            SnapshotCheck::Differs { size }
        },
    )
}

/// Folds every entry of the store, telling `on_applied` about each. Any
/// rejection means the store holds something the sequencer should never have
/// admitted.
pub fn fold_store(
    store: &Store,
    on_applied: impl FnMut(&Applied),
) -> Result<State, PublicationError> {
    fold_store_until(store, store.size(), on_applied)
}

/// [`fold_store`] of the first `until` entries only.
pub fn fold_store_until(
    store: &Store,
    until: u64,
    mut on_applied: impl FnMut(&Applied),
) -> Result<State, PublicationError> {
    let invalid = |index, rejection| invalid_entry(store, index, rejection);
    let first = store.entries(0, 1)?;
    let Some(genesis) = first.first() else {
        return Err(StoreError::Corrupt {
            path: store.path().to_path_buf(),
            reason: "the log is empty: it has no genesis entry".into(),
        }
        .into());
    };
    let (mut state, applied) =
        State::genesis(store.log_key(), genesis).map_err(|r| invalid(0, r))?;
    on_applied(&applied);
    let mut failure = None;
    store.for_each_entry_until(1, until, |index, e| {
        if failure.is_none() {
            match state.apply(e) {
                Ok(applied) => on_applied(&applied),
                Err(r) => failure = Some(invalid(index, r)),
            }
        }
        Ok(())
    })?;
    match failure {
        Some(f) => Err(f),
        None => Ok(state),
    }
}
