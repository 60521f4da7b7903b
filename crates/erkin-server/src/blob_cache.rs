//! Blobs readers ask for, kept in memory, so a popular picture or
//! attachment costs one read from the store rather than one per reader.
//!
//! The cache never decides what may be served: the store is asked for every
//! request (a redacted blob, or an upload no entry names yet, is never
//! served); a blob's bytes never change under its ID, so an entry cannot go
//! stale.
//!
//! Bounded: the entries together hold at most `capacity` bytes and at most
//! `entries` blobs, and an entry leaves only once nothing is sending it. Each
//! chunk handed to hyper owns a reference to its entry
//! ([`bytes::Bytes::from_owner`]), released when hyper has written the chunk
//! or dropped the connection (at worst after the stall timeout), so the
//! count is exact: readers who stop reading hold entries, never memory
//! beyond the capacity. A blob larger than `largest`, or one asked for while
//! every entry is being sent, is streamed from the store in pieces instead.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use erkin_core::blob::BlobId;

/// The default cache: 64 MiB, blobs up to 32 MiB (the default blob limit),
/// at most 1,024 of them.
pub const CAPACITY: usize = 64 << 20;
pub const LARGEST: usize = 32 << 20;
pub const ENTRIES: usize = 1024;

pub struct BlobCache {
    capacity: usize,
    largest: usize,
    entries: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    blobs: HashMap<BlobId, Arc<Entry>>,
    /// Bytes held by `blobs`.
    held: usize,
    /// Ticks of use, for dropping the least recently used entry first.
    clock: u64,
}

struct Entry {
    bytes: Box<[u8]>,
    used: AtomicU64,
}

/// A chunk of a response: the whole blob, holding its entry while hyper
/// holds the chunk.
struct Chunk(Arc<Entry>);

impl AsRef<[u8]> for Chunk {
    fn as_ref(&self) -> &[u8] {
        &self.0.bytes
    }
}

impl Default for BlobCache {
    fn default() -> Self {
        Self::new(CAPACITY, LARGEST, ENTRIES)
    }
}

impl BlobCache {
    pub fn new(capacity: usize, largest: usize, entries: usize) -> Self {
        Self {
            capacity,
            largest: largest.min(capacity),
            entries,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map is consistent after every statement: a panic elsewhere
        // cannot leave it half-changed.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The blob, if kept: one chunk holding its entry.
    pub fn get(&self, id: &BlobId) -> Option<Bytes> {
        let mut inner = self.lock();
        inner.clock += 1;
        let tick = inner.clock;
        let entry = inner.blobs.get(id)?;
        entry.used.store(tick, Ordering::Relaxed);
        Some(Bytes::from_owner(Chunk(entry.clone())))
    }

    /// Whether a blob of `len` bytes could be kept at all.
    pub fn may_keep(&self, len: u64) -> bool {
        usize::try_from(len).is_ok_and(|l| l <= self.largest)
    }

    /// Keeps `bytes` as `id`'s if there is room once entries nothing is
    /// sending are dropped (least recently used first), and returns the
    /// chunk to send; `None` (the bytes dropped) when there is no room.
    pub fn keep(&self, id: BlobId, bytes: Vec<u8>) -> Option<Bytes> {
        let len = bytes.len();
        if len > self.largest {
            return None;
        }
        let mut inner = self.lock();
        if let Some(entry) = inner.blobs.get(&id) {
            // Another request kept it meanwhile.
            return Some(Bytes::from_owner(Chunk(entry.clone())));
        }
        while inner.held + len > self.capacity || inner.blobs.len() >= self.entries {
            // Every entry is being sent: no room (`None`).
            let idle = inner
                .blobs
                .iter()
                .filter(|(_, e)| Arc::strong_count(e) == 1)
                .min_by_key(|(_, e)| e.used.load(Ordering::Relaxed))
                .map(|(id, _)| *id)?;
            if let Some(gone) = inner.blobs.remove(&idle) {
                inner.held -= gone.bytes.len();
            }
        }
        inner.clock += 1;
        let entry = Arc::new(Entry {
            bytes: bytes.into_boxed_slice(),
            used: AtomicU64::new(inner.clock),
        });
        inner.held += len;
        inner.blobs.insert(id, entry.clone());
        Some(Bytes::from_owner(Chunk(entry)))
    }

    /// Bytes held by the entries (for tests).
    #[cfg(test)]
    fn held(&self) -> usize {
        self.lock().held
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(n: u8, len: usize) -> (BlobId, Vec<u8>) {
        let bytes = vec![n; len];
        (BlobId::of(&bytes), bytes)
    }

    #[test]
    fn keeps_and_gives_back_the_same_bytes() {
        let cache = BlobCache::new(100, 50, 10);
        let (id, bytes) = blob(1, 40);
        assert_eq!(cache.get(&id), None);
        let sent = cache.keep(id, bytes.clone()).expect("room");
        assert_eq!(&sent[..], &bytes[..]);
        assert_eq!(&cache.get(&id).expect("kept")[..], &bytes[..]);
        assert_eq!(cache.held(), 40);
    }

    #[test]
    fn never_holds_more_than_its_capacity_and_drops_the_least_recently_used() {
        let cache = BlobCache::new(100, 50, 10);
        let (a, ab) = blob(1, 40);
        let (b, bb) = blob(2, 40);
        let (c, cb) = blob(3, 40);
        drop(cache.keep(a, ab));
        drop(cache.keep(b, bb));
        drop(cache.get(&a)); // a is now used more recently than b
        drop(cache.keep(c, cb));
        assert_eq!(cache.held(), 80);
        assert!(cache.get(&a).is_some());
        assert!(cache.get(&b).is_none(), "b was the least recently used");
        assert!(cache.get(&c).is_some());
    }

    #[test]
    fn an_entry_being_sent_is_never_dropped_and_nothing_is_kept_past_the_bound() {
        let cache = BlobCache::new(100, 50, 10);
        let (a, ab) = blob(1, 50);
        let (b, bb) = blob(2, 50);
        let (c, cb) = blob(3, 50);
        // Two readers who never read hold both entries.
        let sending_a = cache.keep(a, ab).expect("room");
        let sending_b = cache.keep(b, bb).expect("room");
        assert_eq!(
            cache.keep(c, cb.clone()),
            None,
            "no room while both are sent"
        );
        assert_eq!(cache.held(), 100);
        // A slice of a chunk holds the entry too.
        let part = sending_a.slice(10..20);
        drop(sending_a);
        assert_eq!(cache.keep(c, cb.clone()), None, "a slice still holds a");
        drop(part);
        assert!(cache.keep(c, cb).is_some(), "a is idle now and gives way");
        assert_eq!(cache.held(), 100);
        assert!(cache.get(&a).is_none());
        drop(sending_b);
    }

    #[test]
    fn too_large_blobs_and_too_many_entries_are_not_kept() {
        let cache = BlobCache::new(100, 50, 2);
        let (big, bigb) = blob(9, 51);
        assert!(!cache.may_keep(51));
        assert_eq!(cache.keep(big, bigb), None);
        let kept: Vec<_> = (1..=3)
            .map(|n| {
                let (id, b) = blob(n, 10);
                (id, cache.keep(id, b))
            })
            .collect();
        // The first two are still being sent: the third finds no room.
        assert!(kept[0].1.is_some() && kept[1].1.is_some());
        assert_eq!(kept[2].1, None);
        assert_eq!(cache.held(), 20);
    }
}
