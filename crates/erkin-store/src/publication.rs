//! A publication on disk: the store plus the state folded from it, and the
//! sequencer that admits new entries.
//!
//! The state is a cache: it is rebuilt by replaying the log on open, so it can
//! never disagree with the log that a mirror would fold.

use std::path::Path;

use erkin_core::action::{Action, Charter, Close, Genesis, Tick};
use erkin_core::blob::BlobId;
use erkin_core::checkpoint::Checkpoint;
use erkin_core::entry::{sign_entry, EntryBody, EntryError};
use erkin_core::keys::{SecretKey, VerifierKey};
use erkin_core::state::{check_clock, Applied, Rejection, State};

use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blob {0} was redacted by a vote of the members and cannot be stored again")]
    Redacted(BlobId),
    #[error("cannot found the publication: {0}")]
    Genesis(Rejection),
    /// The log's time could not be recorded: the key given is not this
    /// log's key.
    #[error("cannot record the log's time: {0}")]
    Tick(Rejection),
    /// Uploads waiting for their entries already hold `max` bytes: the
    /// caller should ask the member to retry after entries name them (or
    /// after unnamed ones are collected).
    #[error("uploads waiting for an entry to name them already hold {max} bytes; publish the entries that name them, then retry")]
    PendingFull { max: u64 },
    #[error("{path}: entry {index} in the store breaks the rules ({rejection}); the store was altered or written by a faulty sequencer")]
    Invalid {
        path: String,
        index: u64,
        rejection: Rejection,
    },
}

pub struct Publication {
    store: Store,
    state: State,
    /// Set when an append failed after the state had folded its entries: the
    /// state is then ahead of the store and is rebuilt before the next use.
    stale: bool,
    /// This process's claim to be the data directory's one writer, taken on
    /// the first submission (or by [`Publication::claim_writer`]) and kept.
    writer: Option<crate::WriterLock>,
}

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
        store.append(&[bytes], log_key, 0)?;
        Ok(Self {
            store,
            state,
            stale: false,
            writer: None,
        })
    }

    /// Opens a publication and folds its whole log.
    pub fn open(dir: &Path) -> Result<Self, PublicationError> {
        let store = Store::open(dir)?;
        let state = fold_store(&store, |_| {})?;
        let publication = Self {
            store,
            state,
            stale: false,
            writer: None,
        };
        // A crash between a redaction's commit and the deletion of its blobs
        // is finished here.
        publication.purge_redacted()?;
        Ok(publication)
    }

    /// A publication whose state the caller has just folded from exactly
    /// this store's log — a mirror that verified every entry before
    /// committing it — so the log is not folded a second time.
    pub fn from_folded(store: Store, state: State) -> Self {
        debug_assert_eq!(store.size(), state.size());
        Self {
            store,
            state,
            stale: false,
            writer: None,
        }
    }

    /// Gives the store back (to append to it as a mirror does).
    pub fn into_store(self) -> Store {
        self.store
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
                let result = match admit(&mut self.state, &self.store, e, now) {
                    Ok(result) => result,
                    // Not the entry's fault: the batch fails as storage, and
                    // the entries folded so far are undone by a rebuild.
                    Err(e) => {
                        self.stale = true;
                        return Err(e.into());
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
            // passed in log time, judged by the fold like a member's close.
            for id in self.state.overdue(self.state.log_time()) {
                let bytes = self.close(id, log_key)?;
                if self.state.apply(&bytes).is_ok() {
                    admitted.push(bytes);
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
            match self
                .store
                .append_naming(&admitted, &named, log_key, expected)
            {
                Ok(checkpoint) => {
                    self.purge_redacted()?;
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

    /// The close of proposal `id` at the log time, signed by the log key.
    fn close(&self, id: u64, log_key: &SecretKey) -> Result<Vec<u8>, PublicationError> {
        let body = EntryBody {
            time: self.state.log_time(),
            action: Action::Close(Close { proposal: id }),
        };
        sign_entry(self.state.origin(), &body, log_key)
            .map_err(|e| PublicationError::Tick(Rejection::Entry(e)))
    }

    /// Whether a proposal is due to close at `now` (by the sequencer's clock,
    /// or the log time if that is later): an idle sequencer then submits an
    /// empty batch, which ticks and closes it.
    pub fn close_due(&self, now: u64) -> bool {
        !self
            .state
            .overdue(now.max(self.state.log_time()))
            .is_empty()
    }

    /// Deletes every blob a passed redaction removed. Idempotent.
    fn purge_redacted(&self) -> Result<(), PublicationError> {
        for id in self.state.redacted_blobs() {
            self.store.delete_blob(&id)?;
        }
        Ok(())
    }

    /// Stores a blob for an entry to refer to (upload before the entry).
    pub fn put_blob(&self, bytes: &[u8], max_len: u64) -> Result<BlobId, PublicationError> {
        let id = BlobId::of(bytes);
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
            self.state = fold_store(&self.store, |_| {})?;
            self.stale = false;
        }
        let size = self.store.refresh()?;
        let from = self.state.size();
        if from < size {
            let path = self.store.path().display().to_string();
            let state = &mut self.state;
            let mut failure = None;
            self.store.for_each_entry(from, |index, e| {
                if failure.is_none() {
                    if let Err(rejection) = state.apply(e) {
                        failure = Some(PublicationError::Invalid {
                            path: path.clone(),
                            index,
                            rejection,
                        });
                    }
                }
                Ok(())
            })?;
            if let Some(f) = failure {
                self.stale = true;
                return Err(f);
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

/// Folds every entry of the store, telling `on_applied` about each. Any
/// rejection means the store holds something the sequencer should never have
/// admitted.
pub fn fold_store(
    store: &Store,
    mut on_applied: impl FnMut(&Applied),
) -> Result<State, PublicationError> {
    let invalid = |index, rejection| PublicationError::Invalid {
        path: store.path().display().to_string(),
        index,
        rejection,
    };
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
    store.for_each_entry(1, |index, e| {
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
