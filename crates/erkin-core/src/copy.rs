//! What a copy of a publication is to the core: anything that returns the
//! bytes at a layout path (`checkpoint`, `tile/...`, `blob/<sha256>`). The
//! store, an exported directory, an HTTP mirror and an unpacked bundle
//! implement [`CopyReader`]; the verifier (`verify`), the mirror's planner
//! (`sync`) and the tile reader (`tiled`) read through it, so the core does
//! no I/O.

use crate::blob::BlobId;

/// Reads files of a copy by their layout path.
pub trait CopyReader {
    /// The bytes at `path`, `Ok(None)` if there is no such file, or an error.
    /// Implementations must refuse to read more than `max_len` bytes.
    fn read(&self, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, ReadError>;
    /// The IDs of the blobs this copy holds.
    fn blob_ids(&self) -> Result<Vec<BlobId>, ReadError>;
    /// A hint that `paths` will be read soon, each at most `max_len` bytes:
    /// a remote copy fetches them concurrently. Errors surface on `read`.
    fn prefetch(&self, paths: &[String], max_len: u64) {
        let _ = (paths, max_len);
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ReadError {
    #[error("{path} is larger than the {max} bytes it may be")]
    TooLarge { path: String, max: u64 },
    #[error("cannot read {path}: {reason}")]
    Io { path: String, reason: String },
    /// A directory copy holds something other than a regular file at
    /// `path` (a FIFO, device, socket, directory or symbolic link): refused
    /// unread, since reading it could block forever or leave the copy.
    #[error("{path} is a {kind}, not a regular file; refused")]
    NotAFile { path: String, kind: &'static str },
}
