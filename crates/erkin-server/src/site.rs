//! The served copy: the static copy of the publication the server keeps in
//! `DIR/site/`, written by the one export path (`erkin_export::export`)
//! and read page by page as readers ask.
//!
//! `DIR/site/` is a whole static copy — pages, feeds, the descriptor, the
//! log's tiles and bundles, the blobs and the checkpoint — the same folder
//! `erkin mirror` keeps in a mirror's data directory, and it may be
//! published as one (`erkin verify DIR/site` checks it). The server writes
//! it and nothing else should: anything placed there is served.
//!
//! It is current when its checkpoint is the store's latest. At startup a
//! current copy is served as it is (nothing is rendered); an older one is
//! served while the background render brings it up to date; without any
//! copy (no checkpoint: never rendered, or the first render cut short),
//! pages wait briefly for the first render, then get 503 with Retry-After.
//!
//! Every export bumps the copy's generation. The page cache keeps prepared
//! responses with the generation they were checked at and their file's
//! identity; after an export, the first request for a page compares its
//! file's identity once (an export replaces a changed file by a rename,
//! under a new inode, and leaves an unchanged one untouched) and either
//! re-stamps the entry or reads the file again.
//!
//! Paths are untrusted: only layout paths reach here (no `..`, `.`, empty
//! segments, backslashes, `%` or control characters: `routes::layout_path`),
//! names starting with a dot (the export's `.erkin-files`, temporary files)
//! are never served, no folder on the way may be a symbolic link, and the
//! file itself is read by `erkin_export::read_bounded` (a regular file only,
//! not following a symlink, at most [`MAX_PAGE`] bytes).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use erkin_store::Publication;

use crate::page_cache::{Cached, FileId, PageCache};
use crate::prepared;

/// The served copy's folder in the data directory.
pub const SITE_DIR: &str = "site";

/// The largest page, feed or file of the copy served.
pub const MAX_PAGE: u64 = 64 << 20;

/// Files larger than this are read and prepared (compressed) by one
/// request at a time, and the last one prepared is kept for the others:
/// otherwise every concurrent first reader of a large page (an article
/// with a long body) would read and compress it at once — 64 readers of a
/// compressible 8 MiB file took 1.6 GB.
pub const LARGE_PAGE: u64 = 1 << 20;

pub struct Site {
    root: PathBuf,
    generation: AtomicU64,
    /// Whether a render has completed into the folder (this run or before).
    ready: tokio::sync::watch::Sender<bool>,
    pub cache: PageCache,
    /// The large file prepared last (its path), shared by its readers; its
    /// lock makes large files prepared one at a time.
    large: std::sync::Mutex<Option<(String, Arc<Cached>)>>,
    stats: Arc<crate::ServeStats>,
}

/// What a layout path finds in the copy.
pub enum Found {
    Page(Arc<Cached>),
    /// A folder with an `index.html`: the path wants its slash.
    Folder,
    Missing,
}

impl Site {
    pub fn new(data_dir: &Path, cache_bytes: usize, stats: Arc<crate::ServeStats>) -> Self {
        let root = data_dir.join(SITE_DIR);
        let ready = root.join("checkpoint").is_file();
        Self {
            root,
            generation: AtomicU64::new(1),
            ready: tokio::sync::watch::Sender::new(ready),
            cache: PageCache::new(cache_bytes, stats.clone()),
            large: std::sync::Mutex::new(None),
            stats,
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// A new generation: entries cached before are checked again.
    pub fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub fn is_ready(&self) -> bool {
        *self.ready.borrow()
    }

    /// Waits until a render has completed, at most `wait`; whether it has.
    pub async fn wait_ready(&self, wait: std::time::Duration) -> bool {
        let mut rx = self.ready.subscribe();
        tokio::time::timeout(wait, rx.wait_for(|r| *r))
            .await
            .is_ok_and(|r| r.is_ok())
    }

    /// Whether the copy's checkpoint is `publication`'s latest: nothing to
    /// render.
    pub fn is_current(&self, publication: &Publication) -> bool {
        let Ok(Some(latest)) = publication.store().latest_checkpoint_bytes() else {
            return false;
        };
        erkin_export::read_bounded(&self.root.join("checkpoint"), "checkpoint", 1 << 20)
            .ok()
            .flatten()
            .is_some_and(|cp| cp == latest)
    }

    /// Renders the copy with the one export path (incremental: files whose
    /// bytes would not change are not written), then starts a generation.
    /// Pages wait until the caller says the copy is ready
    /// ([`Site::mark_ready`]), after it has counted the render: a reader
    /// who got a page can rely on the render being counted.
    ///
    /// `source` is a publication (`(&publication).into()`) or a store and
    /// the state folded from it, which the caller may share meanwhile.
    pub fn render(
        &self,
        source: erkin_export::Source<'_>,
    ) -> Result<erkin_export::ExportStats, erkin_export::ExportError> {
        let stats = erkin_export::export_source(source, &self.root);
        // Bumped even after a failure: files may have changed.
        self.bump();
        stats
    }

    /// Lets pages be served: a render has completed.
    pub fn mark_ready(&self) {
        self.ready.send_replace(true);
    }

    /// Finds `path` (a layout path from `routes::layout_path`): from the
    /// cache if current, otherwise from the folder (prepared and kept).
    /// Blocking: reads files.
    pub fn find(&self, path: &str) -> Found {
        if hidden(path) {
            return Found::Missing;
        }
        let generation = self.generation();
        let cached = self.cache.get(path);
        if let Some(c) = &cached {
            if c.current(generation) {
                return Found::Page(c.clone());
            }
        }
        let file = self.root.join(path);
        let Some(meta) = self.regular_file(path) else {
            if cached.is_some() {
                self.cache.remove(path);
            }
            let folder = format!("{path}/index.html");
            return if !path.ends_with(".html") && self.regular_file(&folder).is_some() {
                Found::Folder
            } else {
                Found::Missing
            };
        };
        let before = FileId::of(&meta);
        if let Some(c) = cached {
            if c.file == Some(before) {
                c.generation.store(generation, Ordering::Release);
                return Found::Page(c);
            }
        }
        // A large file: one reader at a time prepares it, the others take
        // what it prepared (from the cache, or the slot when too large for
        // the cache).
        let mut large =
            (meta.len() > LARGE_PAGE).then(|| self.large.lock().unwrap_or_else(|p| p.into_inner()));
        if let Some(slot) = &large {
            if let Some(c) = self.cache.get(path) {
                if c.file == Some(before) {
                    c.generation.store(generation, Ordering::Release);
                    return Found::Page(c);
                }
            }
            if let Some((p, c)) = slot.as_ref() {
                if p == path && c.file == Some(before) {
                    return Found::Page(c.clone());
                }
            }
        }
        let bytes = match erkin_export::read_bounded(&file, path, MAX_PAGE) {
            Ok(Some(b)) => b,
            _ => return Found::Missing,
        };
        self.stats.pages_read.fetch_add(1, Ordering::Relaxed);
        // Written to while we read (an export's new file): serve what was
        // read, but keep it only if the file stood still.
        let after = std::fs::symlink_metadata(&file)
            .ok()
            .map(|m| FileId::of(&m));
        let stable = after == Some(before) && before.len == bytes.len() as u64;
        let entry = Cached::new(
            prepared::prepare(path, bytes),
            Some(before),
            if stable { generation } else { 0 },
        );
        let entry = if stable {
            self.cache.insert(path, entry)
        } else {
            Arc::new(entry)
        };
        if let (Some(slot), true) = (large.as_mut(), stable) {
            **slot = Some((path.to_string(), entry.clone()));
        }
        Found::Page(entry)
    }

    /// The metadata of `path` if it is a regular file reached through
    /// folders that are not symbolic links, and itself not one.
    fn regular_file(&self, path: &str) -> Option<std::fs::Metadata> {
        let mut at = self.root.clone();
        let mut parts = path.split('/').peekable();
        while let Some(part) = parts.next() {
            at.push(part);
            let meta = std::fs::symlink_metadata(&at).ok()?;
            if parts.peek().is_some() {
                if !meta.file_type().is_dir() {
                    return None;
                }
            } else {
                return meta.file_type().is_file().then_some(meta);
            }
        }
        None
    }
}

/// A name starting with a dot anywhere in the path: the export's manifest,
/// temporary files, nothing readers are given.
fn hidden(path: &str) -> bool {
    path.split('/').any(|part| part.starts_with('.'))
}
