//! The sequencer: the one writer of the log. Members' submissions are
//! pooled and committed in batches — one fsync per batch — and each is
//! acknowledged only after its batch is durable.
//!
//! Invariants:
//! - One thread owns the publication and its SQLite connection; everything
//!   that writes goes through its queue, so there is no writer contention
//!   and no entry is ever checked against a state that is not the log's.
//! - A reply with an index is sent only after `Publication::submit` returned,
//!   i.e. after the transaction holding the entry and its checkpoint
//!   committed with `synchronous=FULL`: an acknowledged entry survives any
//!   crash. A crash before that loses only unacknowledged work, which the
//!   member's client resubmits.
//! - Blobs are stored durably (their own fsync) before they are acknowledged.
//! - Proposals close at their deadline: at least every `IDLE_TICK` (even
//!   while jobs keep arriving), and after each batch,
//!   the sequencer appends a close signed by the log key for every open
//!   proposal whose deadline has passed in log time.
//! - On shutdown the queue is closed, everything already pooled is
//!   committed and answered, and only then does the thread end.
//! - Secret ballots (docs/BALLOT.md §8) are taken on this same thread, so
//!   intake and a seal or a close never race: decrypted in memory, checked,
//!   held durably, then answered with a receipt. Nothing about a ballot is
//!   ever printed. When it starts with a ballot box that the state does not
//!   name yet, the sequencer publishes it (a `ballot_box` entry).

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use erkin_core::blob::BlobId;
use erkin_core::keys::SecretKey;
use erkin_core::state::Rejection;
use erkin_core::Hash;
use erkin_store::{BallotBox, BallotRefusal, Publication, PublicationError, Taken};
use tokio::sync::oneshot;

/// The sequencer's clock, in Unix seconds: the system clock, or a fake one
/// in tests. It is the time the sequencer records in the log (a tick before
/// each batch) and checks members' times against.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(Arc::new(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        }))
    }

    /// Any clock: `f` gives the time in Unix seconds.
    pub fn new(f: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(f))
    }

    pub fn now(&self) -> u64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now())
    }
}

#[derive(Debug, Clone)]
pub struct SequencerConfig {
    /// The most entries committed in one batch.
    pub max_batch: usize,
    /// How long the first entry of a batch waits for others to join it.
    pub max_delay: Duration,
    /// Submissions waiting at once; beyond this, members are asked to retry.
    pub queue: usize,
    /// The largest blob accepted.
    pub max_blob_len: u64,
    /// The most bytes of uploads waiting for an entry to name them.
    pub max_pending: u64,
    /// How long an upload may wait for an entry to name it before it is
    /// deleted (it is never served while it waits).
    pub unnamed_grace: Duration,
    /// The sequencer's clock (the system clock by default).
    pub clock: Clock,
    /// The ballot box secret ballots are encrypted to (`ballot-box.age`);
    /// `None`: secret ballots are refused (`no_ballot_box`).
    pub ballot_box: Option<BallotBox>,
}

impl Default for SequencerConfig {
    fn default() -> Self {
        Self {
            max_batch: 256,
            max_delay: Duration::from_millis(5),
            queue: 4096,
            max_blob_len: erkin_core::blob::DEFAULT_MAX_BLOB_LEN,
            max_pending: 1024 * 1024 * 1024,
            unnamed_grace: Duration::from_secs(24 * 3600),
            clock: Clock::system(),
            ballot_box: None,
        }
    }
}

/// What a member gets back for an accepted entry.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub index: u64,
    /// The signed checkpoint of the batch that holds the entry.
    pub checkpoint: Vec<u8>,
    /// The entry's inclusion proof against that checkpoint.
    pub proof: Vec<Hash>,
}

#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error("{0}")]
    Rejected(Rejection),
    #[error("blob {0} was redacted by a vote of the members and cannot be stored again")]
    Redacted(BlobId),
    #[error("{0}")]
    BadBlob(String),
    /// Too many uploads wait for entries to name them: ask the member to
    /// retry later (507 with Retry-After).
    #[error("uploads waiting for an entry to name them already hold {max} bytes; publish the entries that name them, then retry")]
    PendingFull { max: u64 },
    #[error("the server is busy; retry shortly")]
    Busy,
    #[error("the server is shutting down; retry shortly")]
    ShuttingDown,
    /// The store failed; shared, since one failed batch answers every
    /// submission in it.
    #[error("the log could not be written: {0}")]
    Storage(#[source] Arc<PublicationError>),
}

/// Why a secret ballot was not held.
#[derive(Debug, thiserror::Error)]
pub enum BallotSubmitError {
    #[error(transparent)]
    Refused(BallotRefusal),
    /// This server has no ballot box (it was started without one).
    #[error("this server takes no secret ballots (it has no ballot box)")]
    NoBallotBox,
    #[error("the server is busy; retry shortly")]
    Busy,
    #[error("the server is shutting down; retry shortly")]
    ShuttingDown,
}

enum Job {
    Entry(Vec<u8>, oneshot::Sender<Result<Receipt, SubmitError>>),
    Blob(Vec<u8>, oneshot::Sender<Result<BlobId, SubmitError>>),
    Ballot(Vec<u8>, oneshot::Sender<Result<Taken, BallotSubmitError>>),
}

/// The handle the HTTP side holds.
pub struct Sequencer {
    queue: std::sync::Mutex<Option<SyncSender<Job>>>,
    thread: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Sequencer {
    /// Starts the sequencer thread over `publication`. `on_commit` sees the
    /// publication after every committed batch (`true`) and whenever the
    /// queue has been idle for a moment (`false`), so others can read its
    /// state without folding the log again.
    pub fn start(
        publication: Publication,
        log_key: SecretKey,
        config: SequencerConfig,
        on_commit: impl Fn(&Publication, bool) + Send + 'static,
    ) -> Self {
        let (tx, rx) = mpsc::sync_channel(config.queue.max(1));
        let thread = std::thread::Builder::new()
            .name("erkin-sequencer".into())
            .spawn(move || run(publication, log_key, config, rx, on_commit))
            .expect("the sequencer thread starts");
        Self {
            queue: std::sync::Mutex::new(Some(tx)),
            thread: std::sync::Mutex::new(Some(thread)),
        }
    }

    fn send(&self, job: Job) -> Result<(), SubmitError> {
        let guard = self.queue.lock().map_err(|_| SubmitError::ShuttingDown)?;
        let Some(tx) = guard.as_ref() else {
            return Err(SubmitError::ShuttingDown);
        };
        match tx.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => Err(SubmitError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(SubmitError::ShuttingDown),
        }
    }

    pub async fn submit(&self, entry: Vec<u8>) -> Result<Receipt, SubmitError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Entry(entry, tx))?;
        rx.await.map_err(|_| SubmitError::ShuttingDown)?
    }

    pub async fn put_blob(&self, bytes: Vec<u8>) -> Result<BlobId, SubmitError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Blob(bytes, tx))?;
        rx.await.map_err(|_| SubmitError::ShuttingDown)?
    }

    /// A secret ballot's body (an age file to the ballot box), taken on the
    /// sequencer's thread ([`Publication::take_ballot`]): for a body that
    /// names its reply recipient, the outcome (its receipt once it is held
    /// durably, or its refusal) to answer to that recipient alone.
    pub async fn submit_ballot(&self, body: Vec<u8>) -> Result<Taken, BallotSubmitError> {
        let (tx, rx) = oneshot::channel();
        self.send(Job::Ballot(body, tx)).map_err(|e| match e {
            SubmitError::Busy => BallotSubmitError::Busy,
            _ => BallotSubmitError::ShuttingDown,
        })?;
        rx.await.map_err(|_| BallotSubmitError::ShuttingDown)?
    }

    /// Closes the queue, lets the thread commit and answer everything
    /// pooled, and waits for it.
    pub fn drain(&self) {
        if let Ok(mut q) = self.queue.lock() {
            q.take();
        }
        let thread = self.thread.lock().ok().and_then(|mut t| t.take());
        if let Some(t) = thread {
            let _ = t.join();
        }
    }
}

/// How often an idle sequencer looks up (for `on_commit(_, false)`).
const IDLE_TICK: Duration = Duration::from_millis(200);

/// Deletes uploads no entry named in time, at most once per `every`.
fn collect(publication: &Publication, config: &SequencerConfig, last: &mut Instant) {
    let every = (config.unnamed_grace / 2).clamp(IDLE_TICK, Duration::from_secs(60));
    if last.elapsed() < every {
        return;
    }
    *last = Instant::now();
    if let Err(e) =
        publication.collect_unnamed_blobs(config.clock.now(), config.unnamed_grace.as_secs())
    {
        eprintln!("erkin serve: could not delete unnamed uploads: {e}");
    }
}

/// Closes, in an empty batch (a tick, then a close signed by the log key
/// for each), every proposal whose deadline the sequencer's clock has
/// passed, so no member has to. Batches with entries close them too
/// (`Publication::submit`).
fn close_due(
    publication: &mut Publication,
    log_key: &SecretKey,
    config: &SequencerConfig,
    on_commit: &impl Fn(&Publication, bool),
) {
    let now = config.clock.now();
    if !publication.close_due(now) {
        return;
    }
    match publication.submit(&[], now, log_key) {
        Ok(outcome) if outcome.checkpoint.is_some() => on_commit(publication, true),
        Ok(_) => {}
        Err(e) => eprintln!("erkin serve: proposals due could not be closed: {e}"),
    }
    say_close_failures(publication);
}

/// One line per failed try at closing a secret proposal (review finding
/// 7: it used to fail in silence), with its reason and the next try: the
/// proposal's number and a code, never a ballot's hash, nullifier, seq or
/// choice.
fn say_close_failures(publication: &mut Publication) {
    for failure in publication.take_close_failures() {
        eprintln!("erkin serve: {failure}");
    }
}

fn run(
    mut publication: Publication,
    log_key: SecretKey,
    config: SequencerConfig,
    rx: Receiver<Job>,
    on_commit: impl Fn(&Publication, bool),
) {
    let mut collected = Instant::now();
    if let Some(ballot_box) = &config.ballot_box {
        match publication.set_ballot_box(&ballot_box.recipient(), config.clock.now(), &log_key) {
            Ok(true) => on_commit(&publication, true),
            Ok(false) => {}
            Err(e) => eprintln!("erkin serve: the ballot box could not be published: {e}"),
        }
    }
    // The idle work (closing what is due, `on_commit(_, false)`, deleting
    // unnamed uploads) runs at least every IDLE_TICK by the wall clock,
    // not only when the queue falls silent: a steady stream of jobs — a
    // sender posting garbage ballots at 5 a second costs nothing — would
    // otherwise keep every due proposal open.
    let mut idle_done = Instant::now();
    let mut idle_work = |publication: &mut Publication, idle_done: &mut Instant| {
        close_due(publication, &log_key, &config, &on_commit);
        on_commit(publication, false);
        collect(publication, &config, &mut collected);
        *idle_done = Instant::now();
    };
    loop {
        if idle_done.elapsed() >= IDLE_TICK {
            idle_work(&mut publication, &mut idle_done);
        }
        // Disconnected only once the queue is closed and empty: the drain.
        let first = match rx.recv_timeout(IDLE_TICK) {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                idle_work(&mut publication, &mut idle_done);
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => break,
        };
        let mut jobs = vec![first];
        let deadline = Instant::now() + config.max_delay;
        while jobs.len() < config.max_batch {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(job) => jobs.push(job),
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let mut entries = Vec::new();
        let mut waiting = Vec::new();
        for job in jobs {
            match job {
                // Blobs first: an entry naming a blob is sent only after the
                // blob's upload was acknowledged, so order is never a problem.
                Job::Blob(bytes, reply) => {
                    let result = publication
                        .put_blob_pending(
                            &bytes,
                            config.max_blob_len,
                            config.max_pending,
                            config.clock.now(),
                        )
                        .map_err(|e| match e {
                            PublicationError::Redacted(id) => SubmitError::Redacted(id),
                            PublicationError::PendingFull { max } => {
                                SubmitError::PendingFull { max }
                            }
                            PublicationError::Store(erkin_store::StoreError::Blob(b)) => {
                                SubmitError::BadBlob(b.to_string())
                            }
                            other => SubmitError::Storage(Arc::new(other)),
                        });
                    let _ = reply.send(result);
                }
                Job::Entry(bytes, reply) => {
                    entries.push(bytes);
                    waiting.push(reply);
                }
                // Ballots before the batch's entries, like blobs: a
                // departure in this batch then seals them in their epoch.
                Job::Ballot(body, reply) => {
                    let result = match &config.ballot_box {
                        Some(b) => publication
                            .take_ballot(&body, b.identity(), config.clock.now(), &log_key)
                            .map_err(BallotSubmitError::Refused),
                        None => Err(BallotSubmitError::NoBallotBox),
                    };
                    let _ = reply.send(result);
                }
            }
        }
        if entries.is_empty() {
            continue;
        }
        // Entries are sequenced in the order they arrived: the fold judges
        // every time-dependent rule by the log time (the tick `submit` puts
        // before the batch), so members' own times need no order.
        let submitted = publication.submit(&entries, config.clock.now(), &log_key);
        say_close_failures(&mut publication);
        match submitted {
            Ok(outcome) => {
                let checkpoint = publication
                    .store()
                    .latest_checkpoint_bytes()
                    .ok()
                    .flatten()
                    .unwrap_or_default();
                for (result, reply) in outcome.results.into_iter().zip(waiting) {
                    let answer = match result {
                        Ok(index) => match publication.store().inclusion_proof(index) {
                            Ok(proof) => Ok(Receipt {
                                index,
                                checkpoint: checkpoint.clone(),
                                proof,
                            }),
                            Err(e) => Err(SubmitError::Storage(Arc::new(e.into()))),
                        },
                        Err(r) => Err(SubmitError::Rejected(r)),
                    };
                    let _ = reply.send(answer);
                }
                if outcome.checkpoint.is_some() {
                    on_commit(&publication, true);
                }
            }
            Err(e) => {
                eprintln!("erkin serve: a batch could not be committed: {e}");
                let e = Arc::new(e);
                for reply in waiting {
                    let _ = reply.send(Err(SubmitError::Storage(e.clone())));
                }
            }
        }
    }
}
