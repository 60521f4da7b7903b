//! What can go wrong in an export.

use std::path::PathBuf;

use erkin_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the publication's articles (an export of a publication
    /// opened without them, `export_lazily`) failed.
    #[error(transparent)]
    Publication(#[from] erkin_store::PublicationError),
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
