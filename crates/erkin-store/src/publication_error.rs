//! What can go wrong with a publication on disk ([`crate::Publication`]),
//! apart from the module that opens and writes it, so that the modules it
//! calls (the ballot intake's refusals, `ballots.rs`) can name it without
//! depending on it.

use erkin_core::blob::BlobId;
use erkin_core::state::Rejection;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PublicationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blob {0} was redacted by a vote of the members and cannot be stored again")]
    Redacted(BlobId),
    /// Asked of a publication opened without its articles
    /// (`Publication::open_lazily`) something that needs them all (which
    /// blobs are redacted or named). A programming error: open it with
    /// `Publication::open` for that.
    #[error("the publication was opened without its articles, which this needs")]
    ArticlesUnread,
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
    /// The ballot box could not be published (`set_ballot_box`).
    #[error("cannot publish the ballot box: {0}")]
    BallotBox(Rejection),
    /// The seals an entry needed were put before it, but it was then
    /// refused (cannot happen: the fold refuses a missing seal only after
    /// every other check); the batch is not written.
    #[error("an entry needing seals was refused after them: {0}")]
    Unsealable(Rejection),
    #[error("{path}: entry {index} in the store breaks the rules ({rejection}); the store was altered or written by a faulty sequencer")]
    Invalid {
        path: String,
        index: u64,
        rejection: Rejection,
    },
}
