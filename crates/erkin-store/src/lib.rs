//! Durable storage of an erkin publication.
//!
//! - [`store`]: the log (entries, tree hashes, checkpoints) and blobs in SQLite,
//!   appended atomically and durably.
//! - [`publication`]: the store plus the state folded from it; the sequencer
//!   that admits entries.
//! - [`drafts`]: members' private drafts for the desk, in their own file
//!   (`drafts.sqlite`), never in the log.
//! - [`keyfile`]: secret keys encrypted at rest as age passphrase files
//!   (the log key, a member's key and ballot secret, the ballot box).
//! - [`ballots`]: the sequencer's intake of secret ballots (decrypting a
//!   submission, holding it until the close: `held`'s table).
//! - `writer`: the one-writer lock on a data directory.
//!
//! Everything here is an adapter around `erkin-core`: the rules live there.

pub mod ballots;
pub mod drafts;
mod held;
pub mod keyfile;
mod list_rows;
pub mod lists;
pub mod publication;
mod publication_error;
pub mod store;
mod writer;

pub use ballots::{
    open_answer, open_ballot, seal_answer, AnswerError, BallotBox, BallotRefusal, OpenedBallot,
    Taken, MAX_BALLOT_ANSWER_BODY_LEN, MAX_BALLOT_BODY_LEN,
};
pub use held::HeldBallot;
pub use publication::{
    check_snapshot, close_retry_secs, BatchOutcome, CloseFailure, CloseStuck, Opened, Publication,
    PublicationError, Refold, SnapshotCheck, CLOSE_RETRY_MAX_SECS, REVOTE_INTERVAL_SECS,
};
pub use store::{Store, StoreError, StoredSnapshot};
pub use writer::WriterLock;

/// The file name of the publication's log key inside a data directory.
pub const LOG_KEY_FILE: &str = "log-key.age";
/// The file name of the sequencer's ballot-box identity (an age X25519
/// identity, encrypted like the log key: docs/BALLOT.md §5.6), beside it.
pub const BALLOT_BOX_FILE: &str = "ballot-box.age";

/// Fsyncs the directory holding `path`, so a newly created file's name is as
/// durable as its contents.
pub(crate) fn sync_parent_dir(path: &std::path::Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(parent) = path.parent() {
        let parent = if parent.as_os_str().is_empty() {
            std::path::Path::new(".")
        } else {
            parent
        };
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}
