//! The static copy of a publication: the DESIGN.md §6 file layout, written
//! from a store and read back for verification.
//!
//! For now the layout holds the log part — `checkpoint`, `tile/...`,
//! `tile/entries/...`, `blob/<sha256>` and the `erkin.json` descriptor; the
//! site's pages join it when the renderer exists.
//!
//! Invariants:
//! - Every file is written to a temporary name, synced and renamed into place,
//!   so a reader never sees half a file.
//! - The checkpoint is written last, after everything it covers is in place:
//!   a reader who fetches the checkpoint can always fetch its tiles.
//! - Files whose bytes would not change are not rewritten (incremental, and
//!   friendly to rsync and static hosts).
//! - Output is a function of the log alone: no build times, no host names.

mod dir;
mod write;

pub use dir::DirCopy;
pub use write::{export, Descriptor, ExportError, ExportStats, DESCRIPTOR_FILE};
