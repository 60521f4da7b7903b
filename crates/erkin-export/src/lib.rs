//! The static copy of a publication: the DESIGN.md §6 file layout, written
//! from a store and read back for verification.
//!
//! The layout holds the site (pages, feeds, sitemap, stylesheet, rendered by
//! `erkin-views`), the log (`checkpoint`, `tile/...`, `tile/entries/...`),
//! the blobs (`blob/<sha256>`) and the `erkin.json` descriptor.
//!
//! Invariants:
//! - A file an earlier export wrote is replaced whole (temporary name, then
//!   rename), so a reader never sees half of it. A file new to the copy
//!   (every file of a fresh export) is written straight to its name: nothing
//!   links to it yet, and should a crash cut it short, the manifest (written
//!   last) does not list it, so the next export reads it back and replaces it.
//! - The log's tiles and the checkpoint always go through a temporary name,
//!   are fsynced before the rename and their folder after it (and a folder
//!   made for them has its parent fsynced).
//! - Each folder is made once per export, not once per file.
//! - A whole export writes its pages and blobs on several threads
//!   ([`default_writers`]: rayon's, at most 8; [`export_whole_with`] picks),
//!   the log's files and the checkpoint on the calling thread. A file is
//!   started only after the files handed before it that it shows or links
//!   to are written (blobs and media, then article pages, then lists; the
//!   pages of a translation family and an article's history on one thread,
//!   in order: `gate.rs`), at most 32 files per thread and 32 MiB in
//!   flight, and as many article pages (at most 8 MiB) held back while the
//!   media before them are written; the copy and its record are the same,
//!   byte for byte, on any number of threads.
//! - What an export wrote is durable before the record that lists it: an
//!   incremental export fsyncs the few files it wrote, a whole export syncs
//!   the filesystem once (`syncfs(2)` on Linux), since the next export
//!   trusts the record.
//! - The checkpoint is written last, after everything it covers is in place:
//!   a reader who fetches the checkpoint can always fetch its tiles.
//! - Files whose bytes would not change are not rewritten (incremental, and
//!   friendly to rsync and static hosts).
//! - Output is a function of the log alone: no build times, no host names.
//! - The export records what it wrote in `.erkin-files`; the next export
//!   deletes what the site no longer has (redacted blobs and images first of
//!   all) and never touches a file it did not write.

mod dir;
mod error;
mod gate;
mod manifest;
mod write;

pub use dir::{atomic_write, dir_syncs, filesystem_syncs, read_bounded, sync_dir, DirCopy};
pub use manifest::JOURNAL_FILE;
pub use write::{
    default_writers, export, export_lazily, export_source, export_whole, export_whole_with,
    export_with_progress, for_each_file, for_each_file_changed, up_to_date, Descriptor,
    ExportError, ExportStats, Part, Selection, Source, DESCRIPTOR_FILE, MANIFEST_FILE,
};
