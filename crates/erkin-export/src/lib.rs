//! The static copy of a publication: the DESIGN.md §6 file layout, written
//! from a store and read back for verification.
//!
//! The layout holds the site (pages, feeds, sitemap, stylesheet, rendered by
//! `erkin-views`), the log (`checkpoint`, `tile/...`, `tile/entries/...`),
//! the blobs (`blob/<sha256>`) and the `erkin.json` descriptor.
//!
//! Invariants:
//! - Every file is written to a temporary name, synced and renamed into place,
//!   so a reader never sees half a file.
//! - The checkpoint is written last, after everything it covers is in place:
//!   a reader who fetches the checkpoint can always fetch its tiles.
//! - Files whose bytes would not change are not rewritten (incremental, and
//!   friendly to rsync and static hosts).
//! - Output is a function of the log alone: no build times, no host names.
//! - The export records what it wrote in `.erkin-files`; the next export
//!   deletes what the site no longer has (redacted blobs and images first of
//!   all) and never touches a file it did not write.

mod dir;
mod write;

pub use dir::{dir_syncs, read_bounded, sync_dir, DirCopy};
pub use write::{
    atomic_write, export, export_with_progress, for_each_file, Descriptor, ExportError,
    ExportStats, Part, Selection, DESCRIPTOR_FILE, MANIFEST_FILE,
};
