//! The pages readers asked for lately, prepared (ETag, gzip and brotli
//! forms) and kept in memory, bounded by bytes.
//!
//! A hit costs a read lock, a hash lookup and a reference count, so hot
//! pages cost what they cost when every page was kept. Each entry carries
//! the generation of the served copy it was checked against and, for a
//! file, the file's identity (device, inode, length, modification time): a
//! lookup takes an entry only at the current generation; after a render
//! the first request for each page looks at its file once, and keeps the
//! prepared forms if the file is the same one (see `site.rs`).
//!
//! Bounded: the entries' bodies, compressed forms and keys together hold at
//! most `capacity` bytes (an entry larger than `largest` is served but not
//! kept). When an insertion would pass the bound, the least recently used
//! entries go, down to 7/8 of the capacity, so eviction's sort is paid once
//! per many insertions. A response being sent shares its entry's bytes
//! (`bytes::Bytes`), so an evicted entry's memory lives on until the
//! responses sending it end (at worst the stall timeout): at most one page
//! per connection, each far smaller than the cache.
//!
//! Hand-written (as `blob_cache.rs`) rather than `quick_cache`: this was
//! written while the workspace's lock file was held for other work; the
//! interface (get, insert, held) is what a crate would give.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::prepared::Prepared;

/// The default bound: 64 MiB of prepared pages.
pub const CAPACITY: usize = 64 << 20;

/// What every entry costs beyond its bytes (map slot, header values).
const OVERHEAD: usize = 256;

/// Which file an entry was read from: if any of it differs, the file was
/// replaced (the export writes a changed file under a new inode, by a
/// rename) or written to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileId {
    pub dev: u64,
    pub ino: u64,
    pub len: u64,
    pub mtime_ns: i128,
}

impl FileId {
    pub fn of(meta: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            len: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        }
    }
}

/// One kept response.
pub struct Cached {
    pub prepared: Prepared,
    /// The file it was read from; `None` for a JSON API document made
    /// from the state (valid for one generation only).
    pub file: Option<FileId>,
    /// The generation of the copy it was last found current in.
    pub generation: AtomicU64,
    used: AtomicU64,
    weight: usize,
}

impl Cached {
    pub fn new(prepared: Prepared, file: Option<FileId>, generation: u64) -> Self {
        let weight = prepared.body.bytes.len()
            + prepared.gzip.as_ref().map_or(0, |f| f.bytes.len())
            + prepared.br.as_ref().map_or(0, |f| f.bytes.len())
            + OVERHEAD;
        Self {
            prepared,
            file,
            generation: AtomicU64::new(generation),
            used: AtomicU64::new(0),
            weight,
        }
    }

    /// Whether it may be sent as it is at `generation`.
    pub fn current(&self, generation: u64) -> bool {
        self.generation.load(Ordering::Acquire) == generation
    }
}

pub struct PageCache {
    capacity: usize,
    largest: usize,
    clock: AtomicU64,
    inner: RwLock<Inner>,
    /// Where the bytes held now and the most ever held are told.
    stats: Arc<crate::ServeStats>,
}

#[derive(Default)]
struct Inner {
    pages: HashMap<String, Arc<Cached>>,
    held: usize,
}

impl PageCache {
    /// A cache of at most `capacity` bytes; one entry may take an eighth.
    pub fn new(capacity: usize, stats: Arc<crate::ServeStats>) -> Self {
        stats
            .cache_capacity
            .store(capacity as u64, Ordering::Relaxed);
        Self {
            capacity,
            largest: capacity / 8,
            clock: AtomicU64::new(0),
            inner: RwLock::new(Inner::default()),
            stats,
        }
    }

    pub fn get(&self, path: &str) -> Option<Arc<Cached>> {
        let inner = self.inner.read().unwrap_or_else(|p| p.into_inner());
        let entry = inner.pages.get(path)?;
        entry.used.store(
            self.clock.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        Some(entry.clone())
    }

    /// Keeps `entry` under `path` (replacing any older one) if it is small
    /// enough, dropping the least recently used entries to make room.
    /// Returns the entry, kept or not, to send.
    pub fn insert(&self, path: &str, entry: Cached) -> Arc<Cached> {
        let entry = Arc::new(entry);
        let weight = entry.weight + path.len();
        if weight > self.largest {
            return entry;
        }
        entry.used.store(
            self.clock.fetch_add(1, Ordering::Relaxed),
            Ordering::Relaxed,
        );
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = inner.pages.remove(path) {
            inner.held -= old.weight + path.len();
        }
        if inner.held + weight > self.capacity {
            let target = (self.capacity / 8 * 7).saturating_sub(weight);
            let mut by_use: Vec<(u64, String, usize)> = inner
                .pages
                .iter()
                .map(|(k, v)| {
                    (
                        v.used.load(Ordering::Relaxed),
                        k.clone(),
                        v.weight + k.len(),
                    )
                })
                .collect();
            by_use.sort_unstable();
            for (_, key, w) in by_use {
                if inner.held <= target {
                    break;
                }
                inner.pages.remove(&key);
                inner.held -= w;
            }
        }
        inner.held += weight;
        inner.pages.insert(path.to_string(), entry.clone());
        let held = inner.held as u64;
        drop(inner);
        self.stats.cache_held.store(held, Ordering::Relaxed);
        self.stats.cache_peak.fetch_max(held, Ordering::Relaxed);
        entry
    }

    /// Forgets `path` (its file is gone).
    pub fn remove(&self, path: &str) {
        let mut inner = self.inner.write().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = inner.pages.remove(path) {
            inner.held -= old.weight + path.len();
        }
        self.stats
            .cache_held
            .store(inner.held as u64, Ordering::Relaxed);
    }

    /// Bytes the entries hold now.
    #[cfg(test)]
    pub fn held(&self) -> u64 {
        self.stats.cache_held.load(Ordering::Relaxed)
    }

    /// The most bytes the entries ever held.
    #[cfg(test)]
    pub fn peak(&self) -> u64 {
        self.stats.cache_peak.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: usize, len: usize) -> (String, Cached) {
        let path = format!("a/page-{n}/index.html");
        // Random-looking bytes barely compress: the weight is the length.
        let bytes: Vec<u8> = (0..len).map(|i| (i * 31 + n * 7) as u8).collect();
        (
            path.clone(),
            Cached::new(crate::prepared::prepare_raw(&path, bytes), None, 1),
        )
    }

    #[test]
    fn never_holds_more_than_its_bound_however_many_pages_come() {
        let cache = PageCache::new(64 * 1024, Default::default());
        for n in 0..1000 {
            let (path, entry) = page(n, 700 + n % 300);
            let sent = cache.insert(&path, entry);
            assert_eq!(sent.prepared.body.bytes.len(), 700 + n % 300);
            assert!(cache.held() <= 64 * 1024, "at {n}: {}", cache.held());
        }
        assert!(cache.peak() <= 64 * 1024);
        // It holds what it counts: the most recent pages, not nothing.
        assert!(cache.held() > 32 * 1024);
        assert!(cache.get("a/page-999/index.html").is_some());
        assert!(cache.get("a/page-0/index.html").is_none());
    }

    #[test]
    fn drops_the_least_recently_used_first() {
        // Entries of about 1,180 bytes: 13 fit in 16 KiB.
        let cache = PageCache::new(16 * 1024, Default::default());
        let (a, ea) = page(1, 900);
        cache.insert(&a, ea);
        for n in 2..13 {
            let (p, e) = page(n, 900);
            cache.insert(&p, e);
        }
        assert!(cache.get("a/page-2/index.html").is_some());
        // a is used again, then enough new pages come to force evictions.
        assert!(cache.get(&a).is_some());
        for n in 13..16 {
            let (p, e) = page(n, 900);
            cache.insert(&p, e);
        }
        assert!(cache.get(&a).is_some(), "recently used: kept");
        assert!(cache.get("a/page-3/index.html").is_none(), "oldest: gone");
        assert!(cache.get("a/page-15/index.html").is_some());
        assert!(cache.held() <= 16 * 1024);
    }

    #[test]
    fn an_entry_larger_than_an_eighth_is_sent_but_not_kept() {
        let cache = PageCache::new(8 * 1024, Default::default());
        let (p, e) = page(1, 2000);
        let sent = cache.insert(&p, e);
        assert_eq!(sent.prepared.body.bytes.len(), 2000);
        assert!(cache.get(&p).is_none());
        assert_eq!(cache.held(), 0);
    }

    #[test]
    fn replacing_and_removing_keep_the_count_exact() {
        let cache = PageCache::new(64 * 1024, Default::default());
        let (p, e) = page(1, 1000);
        cache.insert(&p, e);
        let first = cache.held();
        let (_, e) = page(1, 1000);
        cache.insert(&p, e);
        assert_eq!(cache.held(), first);
        cache.remove(&p);
        assert_eq!(cache.held(), 0);
    }
}
