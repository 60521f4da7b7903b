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
//!
//! Each entry also has its bytes in a file of its own (when the cache has a
//! folder for them: the data directory), written once when the entry is
//! made and unlinked at once, so it goes with the entry and nothing else can
//! open it. The connection writer (`listen.rs`) recognises a chunk of a kept
//! blob by its address ([`sendable`]) and hands the kernel the file's pages
//! with `sendfile` instead of copying the bytes into the socket. Why: under
//! 256 readers of a 4 MiB blob, copying made some readers wait 1.5–3× longer
//! than nginx's slowest (p99), with the same bytes per second; nginx with
//! `sendfile off` has the same tail, and with `sendfile` both are alike
//! (`docs/BENCHMARKS.md`, "Reader load"). The memory copy stays what is
//! sent whenever `sendfile` is not used (no file, or it fails), so the
//! bytes are always the entry's; the file adds no memory of the process
//! (the kernel's page cache holds it) and at most the cache's capacity on
//! disk.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::Write as _;
use std::os::fd::AsFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};

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
    /// Where entries' files are made (unlinked at once); `None`: no files.
    files: Option<PathBuf>,
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
    /// The same bytes in an unlinked file of the entry's own, for
    /// `sendfile`; registered in [`registry`] under `bytes`' address.
    file: Option<File>,
}

impl Drop for Entry {
    fn drop(&mut self) {
        // Before the bytes are freed, so no other allocation at this
        // address is ever taken for this entry's.
        if self.file.is_some() {
            let mut files = registry().write().unwrap_or_else(|p| p.into_inner());
            files.remove(&(self.bytes.as_ptr() as usize));
        }
    }
}

/// Entries with a file, by the address of their bytes: (length, entry).
type Registry = RwLock<BTreeMap<usize, (usize, Weak<Entry>)>>;

fn registry() -> &'static Registry {
    static FILES: OnceLock<Registry> = OnceLock::new();
    FILES.get_or_init(Registry::default)
}

/// A part of a kept blob that its file holds too: what `sendfile` sends
/// instead of the bytes at `buf` ([`sendable`]).
pub(crate) struct Sendable {
    /// Held while sending, so the file stays open.
    entry: Arc<Entry>,
    offset: u64,
    len: usize,
}

impl Sendable {
    /// Sends the part (or as much as the socket takes) from the file with
    /// `sendfile`: the bytes written, as `write` would count them.
    pub(crate) fn send(&self, socket: impl AsFd) -> std::io::Result<usize> {
        let Some(file) = &self.entry.file else {
            return Err(std::io::Error::other("a kept blob without a file"));
        };
        let mut offset = self.offset;
        let sent = rustix::fs::sendfile(socket, file, Some(&mut offset), self.len)?;
        #[cfg(test)]
        SENT_FROM_FILES.with(|n| n.set(n.get() + sent));
        Ok(sent)
    }
}

#[cfg(test)]
thread_local! {
    /// Bytes this thread sent with `sendfile` (for tests).
    pub(crate) static SENT_FROM_FILES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The file behind `buf`, if `buf` lies within a kept blob that has one:
/// the memory at `buf` is then that blob's bytes at the same offset, and
/// the file holds the same bytes.
pub(crate) fn sendable(buf: &[u8]) -> Option<Sendable> {
    if buf.is_empty() {
        return None;
    }
    let at = buf.as_ptr() as usize;
    let (offset, entry) = {
        let files = registry().read().unwrap_or_else(|p| p.into_inner());
        let (&start, (len, entry)) = files.range(..=at).next_back()?;
        if at.checked_add(buf.len())? > start.checked_add(*len)? {
            return None;
        }
        (u64::try_from(at - start).ok()?, entry.clone())
    };
    // Upgraded only once the map is unlocked: an entry dropped here would
    // take the map's write lock.
    Some(Sendable {
        entry: entry.upgrade()?,
        offset,
        len: buf.len(),
    })
}

/// An unlinked file in `dir` holding `bytes`; `None` if it cannot be made.
fn file_of(dir: &std::path::Path, bytes: &[u8]) -> Option<File> {
    let mut file = tempfile::tempfile_in(dir).ok()?;
    file.write_all(bytes).ok()?;
    Some(file)
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
    /// A cache without files: kept blobs are sent from memory.
    pub fn new(capacity: usize, largest: usize, entries: usize) -> Self {
        Self {
            capacity,
            largest: largest.min(capacity),
            entries,
            files: None,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The default cache, its entries' files made in `dir` (see the
    /// module's documentation).
    pub fn with_files(dir: PathBuf) -> Self {
        Self {
            files: Some(dir),
            ..Self::default()
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
        // Written before the lock is taken; dropped (closed, and so gone)
        // if another request keeps the blob meanwhile or there is no room.
        let file = match &self.files {
            // An empty blob's bytes have no address of their own.
            Some(dir) if len > 0 => file_of(dir, &bytes),
            _ => None,
        };
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
            file,
        });
        if entry.file.is_some() {
            let mut files = registry().write().unwrap_or_else(|p| p.into_inner());
            files.insert(
                entry.bytes.as_ptr() as usize,
                (entry.bytes.len(), Arc::downgrade(&entry)),
            );
        }
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
    fn a_kept_blob_has_its_bytes_in_a_file_found_by_their_address() {
        use std::io::{Read as _, Seek as _};
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache {
            files: Some(dir.path().to_path_buf()),
            ..BlobCache::new(1 << 20, 1 << 20, 10)
        };
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let id = BlobId::of(&bytes);
        let sent = cache.keep(id, bytes.clone()).expect("room");
        // Unlinked at once: nothing in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let part = sendable(&sent[1_000..51_000]).expect("a kept blob's part");
        assert_eq!((part.offset, part.len), (1_000, 50_000));
        // What sendfile sends is the same bytes.
        let mut out = tempfile::tempfile().unwrap();
        let mut n = 0;
        while n < 50_000 {
            let more = Sendable {
                entry: part.entry.clone(),
                offset: part.offset + n as u64,
                len: part.len - n,
            }
            .send(&out)
            .unwrap();
            assert!(more > 0);
            n += more;
        }
        out.rewind().unwrap();
        let mut got = Vec::new();
        out.read_to_end(&mut got).unwrap();
        assert_eq!(got, &bytes[1_000..51_000]);
        // The same bytes elsewhere are not the blob's.
        assert!(sendable(&bytes[1_000..51_000]).is_none());
        assert!(sendable(&[]).is_none());
        // Once the entry is gone, so is its address.
        let at = sent.as_ptr() as usize;
        drop((part, sent));
        drop(cache);
        assert!(!registry().read().unwrap().contains_key(&at));
    }

    #[test]
    fn without_a_folder_or_for_an_empty_blob_no_file_is_made() {
        let (id, bytes) = blob(7, 40);
        let cache = BlobCache::new(100, 50, 10);
        let sent = cache.keep(id, bytes).expect("room");
        assert!(sendable(&sent).is_none(), "no folder, no file");
        let dir = tempfile::tempdir().unwrap();
        let cache = BlobCache::with_files(dir.path().to_path_buf());
        let empty = cache.keep(BlobId::of(&[]), Vec::new()).expect("room");
        assert!(empty.is_empty());
        assert!(cache.lock().blobs.values().all(|e| e.file.is_none()));
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
