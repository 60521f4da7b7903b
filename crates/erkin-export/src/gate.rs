//! The order and the memory bound of a whole export's parallel writes.
//!
//! A whole export hands its files, in the order the renderer makes them, to
//! several writer threads. A reader of a copy written in place (the server's
//! `DIR/site/` after a charter amendment) must still never meet a page
//! whose image is missing, nor a page linking to another one handed before
//! it and not yet written, as on one thread. Two rules keep that order:
//!
//! - Between kinds of file, the [`Gate`]: a file is started only once every
//!   file of a kind it may show or link to that was handed before it is
//!   written ([`level`]: media, then article pages, then lists). The gate
//!   also bounds the files and bytes in flight (handed on, not yet written),
//!   whatever their sizes.
//! - Among article pages, which the gate lets go together, the thread: the
//!   pages that link to one another — an article's page and its history,
//!   and the pages of a translation family, each of which links to the
//!   others (`hreflang` alternates and the language chooser) — are all
//!   written by one thread, in the order they were handed ([`writer_of`]).
//!   The first page of a family still links to translations written after
//!   it, as it always did on one thread.
//!
//! What the order costs (review s10 L3): the renderer hands each article's
//! media just before its page, and a page waits for the media handed before
//! it, with the handing waiting too: the writers were drained once per
//! article with an image. So a page that would wait is held back instead,
//! in order, with the pages after it ([`Handing`]), and they are handed
//! together before the next list, before the log's files, or once as many
//! files as may be in flight (or 8 MiB) are held: one drain per that many
//! pages. Measured at 10,000 articles with one 300×200 JPEG each
//! (`bench/scale.sh`'s corpus-10000, an image line added to each file), a
//! whole `erkin export` into tmpfs on the 2 cores under load 5–8 from other
//! builds, seven alternating rounds, medians of wall and CPU seconds: one
//! drain per article 4.27 and 3.78; pages held 4.16 and 3.31; pages never
//! waiting for media (no order: the most any fix could win) 3.92 and 3.21;
//! one thread 4.65 and 3.21 (an earlier round of the same, one drain per
//! article against no order: 4.71/4.12 against 4.37/3.69). The copy is the
//! same byte for byte. Without images all are alike (2.28–2.48 s wall,
//! 2.0 s CPU). With 1,000 images of 1200×800 (~240 KB each) the export is
//! the making of their sizes (58 s wall, 40 s CPU) and one drain per
//! article cost nothing measured (58.4 s against 58.0 s with no order).

use std::sync::{Condvar, Mutex, MutexGuard};

/// How many kinds of file [`level`] tells apart.
pub(crate) const LEVELS: usize = 3;

/// What a file may depend on, as a rank: a file is written only after
/// every file of a lower rank handed before it.
///
/// - 0: blobs and media, which pages show (`blob/`, `media/`);
/// - 1: article pages (`a/`), which show media and which lists link to;
/// - 2: everything else (lists, feeds, sitemaps, the front pages), which
///   link to articles and show lead images.
pub(crate) fn level(rel: &str) -> usize {
    if rel.starts_with("blob/") || rel.starts_with("media/") {
        0
    } else if rel.starts_with("a/") {
        1
    } else {
        2
    }
}

/// Which of `writers` threads writes `rel`: always the same one for the
/// same path (FNV-1a), so a path handed twice is written in order, as on
/// one thread. An article's files (`a/{slug}/…`) go by the first article
/// of the chain of translations `slug` is in (`original_of` gives the
/// article an article translates, if any), so a translation family and
/// each member's history page are written by one thread, in handing order.
///
/// A chain is followed at most [`MAX_CHAIN`] steps (each translation names
/// an article published before it, so there is no loop, but the length is
/// not bounded by the log); pages further down a longer chain may be
/// written out of order, never lost.
pub(crate) fn writer_of<'s>(
    rel: &'s str,
    writers: usize,
    original_of: impl Fn(&str) -> Option<&'s str>,
) -> usize {
    let key = match rel.strip_prefix("a/") {
        Some(rest) => {
            let mut slug = rest.split('/').next().unwrap_or(rest);
            for _ in 0..MAX_CHAIN {
                match original_of(slug) {
                    Some(original) if original != slug => slug = original,
                    _ => break,
                }
            }
            slug
        }
        None => rel,
    };
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (h % writers.max(1) as u64) as usize
}

/// The most steps [`writer_of`] follows a chain of translations.
pub(crate) const MAX_CHAIN: usize = 64;

/// A writer thread stopped (it panicked) with files still in its queue:
/// the export cannot finish, and must not wait for them.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Broken;

#[derive(Default)]
struct State {
    /// Files handed on and not yet written, by [`level`].
    pending: [usize; LEVELS],
    /// Their bytes.
    bytes: usize,
    broken: bool,
}

impl State {
    fn count(&self) -> usize {
        self.pending.iter().sum()
    }
}

/// Files in flight between the renderer and the writer threads: see the
/// module's documentation.
pub(crate) struct Gate {
    state: Mutex<State>,
    changed: Condvar,
    /// The most files in flight.
    max_files: usize,
    /// The most bytes in flight (one larger file still goes, alone).
    max_bytes: usize,
}

impl Gate {
    pub(crate) fn new(max_files: usize, max_bytes: usize) -> Gate {
        Gate {
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
            max_files: max_files.max(1),
            max_bytes,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A writer that panicked while holding the lock leaves nothing half
        // changed (each change is one statement): go on with the state.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a file of `level` and `len` bytes may be handed on —
    /// nothing of a lower level in flight, and room for it — and counts it
    /// in flight.
    pub(crate) fn enter(&self, level: usize, len: usize) -> Result<(), Broken> {
        let level = level.min(LEVELS - 1);
        let mut s = self.lock();
        loop {
            if s.broken {
                return Err(Broken);
            }
            let lower = s.pending[..level].iter().any(|n| *n > 0);
            let full = s.count() > 0
                && (s.count() >= self.max_files || s.bytes.saturating_add(len) > self.max_bytes);
            if !lower && !full {
                s.pending[level] += 1;
                s.bytes += len;
                return Ok(());
            }
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Whether a file of `level` would wait now for files of a lower level
    /// in flight.
    pub(crate) fn would_wait(&self, level: usize) -> bool {
        let level = level.min(LEVELS - 1);
        self.lock().pending[..level].iter().any(|n| *n > 0)
    }

    /// A file [`entered`](Self::enter) with `level` and `len` is written
    /// (or given up).
    pub(crate) fn leave(&self, level: usize, len: usize) {
        let level = level.min(LEVELS - 1);
        let mut s = self.lock();
        s.pending[level] = s.pending[level].saturating_sub(1);
        s.bytes = s.bytes.saturating_sub(len);
        drop(s);
        self.changed.notify_all();
    }

    /// Waits until nothing is in flight.
    pub(crate) fn drain(&self) -> Result<(), Broken> {
        let mut s = self.lock();
        loop {
            if s.broken {
                return Err(Broken);
            }
            if s.count() == 0 {
                return Ok(());
            }
            s = self.changed.wait(s).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// A writer thread stopped: wake and refuse every waiter from now on.
    pub(crate) fn break_off(&self) {
        self.lock().broken = true;
        self.changed.notify_all();
    }
}

/// The handing side of the gate: article pages (level 1) that would wait
/// for media in flight are held back, in order, and handed together later
/// — when a list comes (which must follow them), when [`Handing::flush`]
/// is called, or when `max_files` or `max_bytes` are held — so that the
/// writers are drained once per that many pages rather than once per
/// article with an image (see the module's documentation).
pub(crate) struct Handing<T> {
    held: Vec<(usize, T)>,
    bytes: usize,
    max_files: usize,
    max_bytes: usize,
}

impl<T> Handing<T> {
    pub(crate) fn new(max_files: usize, max_bytes: usize) -> Self {
        Handing {
            held: Vec::new(),
            bytes: 0,
            max_files: max_files.max(1),
            max_bytes,
        }
    }

    /// Takes a file of `level` and `len` bytes, handing to `hand`, in
    /// order, what may go now (held pages first where they must).
    pub(crate) fn file<E>(
        &mut self,
        gate: &Gate,
        level: usize,
        len: usize,
        item: T,
        hand: &mut impl FnMut(T) -> Result<(), E>,
    ) -> Result<(), E> {
        if level == 1 && (!self.held.is_empty() || gate.would_wait(level)) {
            self.bytes = self.bytes.saturating_add(len);
            self.held.push((len, item));
            if self.held.len() >= self.max_files || self.bytes >= self.max_bytes {
                self.flush(hand)?;
            }
            return Ok(());
        }
        if level > 1 {
            self.flush(hand)?;
        }
        hand(item)
    }

    /// Hands every held page, in order.
    pub(crate) fn flush<E>(&mut self, hand: &mut impl FnMut(T) -> Result<(), E>) -> Result<(), E> {
        self.bytes = 0;
        self.held.drain(..).try_for_each(|(_, item)| hand(item))
    }
}

/// Breaks the gate off if dropped while its thread panics: a writer thread
/// holds one, so a panic in it cannot leave the renderer waiting for files
/// that will never be written.
pub(crate) struct BreakOnPanic<'a>(pub(crate) &'a Gate);

impl Drop for BreakOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.break_off();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::sync::Arc;
    use std::time::Duration;

    /// How long the main thread lets a thread that said it is about to
    /// enter the gate go on: with the gate broken, the thread is through
    /// it by then. The thread says so only once it runs, so a thread
    /// started late on a loaded machine cannot make the test pass anyway;
    /// with the gate right, the thread waits whatever the time.
    const LET_GO: Duration = Duration::from_millis(50);

    #[test]
    fn levels_follow_the_layout() {
        assert_eq!(level("blob/ab12"), 0);
        assert_eq!(level("media/ab12.png"), 0);
        assert_eq!(level("media/ab12-480.webp"), 0);
        assert_eq!(level("a/story/index.html"), 1);
        assert_eq!(level("index.html"), 2);
        assert_eq!(level("en/tag/news/index.html"), 2);
        assert_eq!(level("archive/2020-01/index.html"), 2);
        assert_eq!(level("sitemap/0.xml"), 2);
        assert_eq!(level("feed.atom"), 2);
        // Not a prefix by accident.
        assert_eq!(level("about/index.html"), 2);
        assert_eq!(level("blobs.html"), 2);
    }

    /// A page handed after a medium is started only once the medium is
    /// written (the writer of the medium is slow here on purpose: with the
    /// gate broken, the page would go first).
    #[test]
    fn a_page_waits_for_the_media_handed_before_it() {
        let gate = Arc::new(Gate::new(64, 1 << 20));
        let events = Arc::new(Mutex::new(Vec::new()));
        gate.enter(level("media/x.png"), 10).unwrap();
        let (entering, about_to_enter) = mpsc::channel();
        let page = {
            let (gate, events) = (gate.clone(), events.clone());
            std::thread::spawn(move || {
                entering.send(()).unwrap();
                gate.enter(level("a/story/index.html"), 10).unwrap();
                events.lock().unwrap().push("page started");
                gate.leave(1, 10);
            })
        };
        about_to_enter.recv().unwrap();
        std::thread::sleep(LET_GO);
        events.lock().unwrap().push("medium written");
        gate.leave(0, 10);
        page.join().unwrap();
        assert_eq!(
            *events.lock().unwrap(),
            vec!["medium written", "page started"]
        );
        // Files of the same level or a higher one do not wait for each
        // other: an article page goes while a list is in flight.
        gate.enter(2, 10).unwrap();
        gate.enter(1, 10).unwrap();
        gate.enter(0, 10).unwrap();
        gate.leave(0, 10);
        gate.leave(1, 10);
        gate.leave(2, 10);
        gate.drain().unwrap();
    }

    /// Lists wait for the article pages handed before them.
    #[test]
    fn a_list_waits_for_the_article_pages_handed_before_it() {
        let gate = Arc::new(Gate::new(64, 1 << 20));
        let events = Arc::new(Mutex::new(Vec::new()));
        gate.enter(1, 1).unwrap();
        gate.enter(1, 1).unwrap();
        let (entering, about_to_enter) = mpsc::channel();
        let list = {
            let (gate, events) = (gate.clone(), events.clone());
            std::thread::spawn(move || {
                entering.send(()).unwrap();
                gate.enter(level("index.html"), 1).unwrap();
                events.lock().unwrap().push("list started");
            })
        };
        about_to_enter.recv().unwrap();
        for _ in 0..2 {
            std::thread::sleep(LET_GO);
            events.lock().unwrap().push("article written");
            gate.leave(1, 1);
        }
        list.join().unwrap();
        assert_eq!(
            *events.lock().unwrap(),
            vec!["article written", "article written", "list started"]
        );
    }

    /// The pages of a translation family (a chain: "three-ru" translates
    /// "three-kk", which translates "three") and each one's history page go
    /// to one writer thread, on any number of threads; other files by
    /// their own path. With one thread per path, some family would be
    /// split among threads for these counts of threads.
    #[test]
    fn a_translation_family_is_written_by_one_thread() {
        let original_of = |slug: &str| match slug {
            "three-kk" => Some("three"),
            "three-ru" | "three-en" => Some("three-kk"),
            "two-kk" => Some("two"),
            "loop" => Some("loop"),
            _ => None,
        };
        let families: [&[&str]; 2] = [
            &[
                "a/three/index.html",
                "a/three/history/index.html",
                "a/three-kk/index.html",
                "a/three-ru/index.html",
                "a/three-ru/history/index.html",
                "a/three-en/index.html",
            ],
            &["a/two/index.html", "a/two-kk/index.html"],
        ];
        for writers in 1..=8 {
            for family in families {
                let first = writer_of(family[0], writers, original_of);
                assert!(first < writers);
                for rel in family {
                    assert_eq!(writer_of(rel, writers, original_of), first, "{rel}");
                }
            }
            // An article translating itself (no such state folds) ends the
            // chain; a path outside a/ goes by itself.
            assert!(writer_of("a/loop/index.html", writers, original_of) < writers);
            for rel in ["index.html", "kk/index.html", "media/three.png"] {
                assert_eq!(
                    writer_of(rel, writers, original_of),
                    writer_of(rel, writers, |_| None)
                );
            }
        }
        // A chain longer than MAX_CHAIN is cut, not followed for good.
        let names: Vec<String> = (0..=MAX_CHAIN + 2).map(|i| format!("c{i}")).collect();
        let long = |slug: &str| -> Option<&str> {
            let i: usize = slug.strip_prefix('c')?.parse().ok()?;
            names.get(i + 1).map(String::as_str)
        };
        assert!(writer_of("a/c0/index.html", 3, long) < 3);
    }

    /// At most `max_files` files and `max_bytes` bytes in flight; one file
    /// larger than the bound still goes, alone.
    #[test]
    fn files_and_bytes_in_flight_are_bounded() {
        let gate = Arc::new(Gate::new(2, 100));
        gate.enter(2, 10).unwrap();
        gate.enter(2, 10).unwrap();
        let (entering, about_to_enter) = mpsc::channel();
        let third = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                entering.send(()).unwrap();
                gate.enter(2, 10)
            })
        };
        about_to_enter.recv().unwrap();
        std::thread::sleep(LET_GO);
        assert!(!third.is_finished(), "a third file went with two in flight");
        gate.leave(2, 10);
        third.join().unwrap().unwrap();
        gate.leave(2, 10);
        gate.leave(2, 10);
        gate.drain().unwrap();
        // Bytes: a 60-byte file waits while 50 are in flight.
        gate.enter(2, 50).unwrap();
        let (entering, about_to_enter) = mpsc::channel();
        let big = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                entering.send(()).unwrap();
                gate.enter(2, 60)
            })
        };
        about_to_enter.recv().unwrap();
        std::thread::sleep(LET_GO);
        assert!(
            !big.is_finished(),
            "110 bytes in flight with a bound of 100"
        );
        gate.leave(2, 50);
        big.join().unwrap().unwrap();
        gate.leave(2, 60);
        // Alone, a file larger than the bound goes.
        gate.enter(2, 1000).unwrap();
        gate.leave(2, 1000);
        gate.drain().unwrap();
    }

    /// Pages that would wait for media in flight are held, in order, and
    /// handed together before the next list, at a flush, or once the bound
    /// is held; media and pages with nothing to wait for go at once.
    #[test]
    fn pages_are_held_while_media_are_in_flight() {
        let gate = Gate::new(64, 1 << 20);
        let mut handing = Handing::new(3, 100);
        let handed = std::cell::RefCell::new(Vec::<&str>::new());
        let mut hand = |f: &'static str| -> Result<(), Broken> {
            handed.borrow_mut().push(f);
            Ok(())
        };
        // Nothing in flight: a page goes at once.
        handing.file(&gate, 1, 10, "a/one", &mut hand).unwrap();
        gate.enter(0, 10).unwrap();
        handing.file(&gate, 1, 10, "a/two", &mut hand).unwrap();
        handing
            .file(&gate, 0, 10, "media/three", &mut hand)
            .unwrap();
        handing.file(&gate, 1, 10, "a/three", &mut hand).unwrap();
        assert_eq!(*handed.borrow(), ["a/one", "media/three"]);
        // A list follows the pages held before it.
        handing.file(&gate, 2, 10, "index", &mut hand).unwrap();
        handing.flush(&mut hand).unwrap();
        assert_eq!(
            *handed.borrow(),
            ["a/one", "media/three", "a/two", "a/three", "index"]
        );
        // Pages keep being held while one is (even with no media left in
        // flight), up to the bound of files, then all go.
        handed.borrow_mut().clear();
        for page in ["a/1", "a/2", "a/3"] {
            handing.file(&gate, 1, 10, page, &mut hand).unwrap();
        }
        assert_eq!(*handed.borrow(), ["a/1", "a/2", "a/3"]);
        handing.file(&gate, 1, 10, "a/4", &mut hand).unwrap();
        gate.leave(0, 10);
        handing.file(&gate, 1, 10, "a/5", &mut hand).unwrap();
        assert_eq!(*handed.borrow(), ["a/1", "a/2", "a/3"]);
        handing.flush(&mut hand).unwrap();
        assert_eq!(*handed.borrow(), ["a/1", "a/2", "a/3", "a/4", "a/5"]);
        // With nothing held or in flight, a page goes at once again; the
        // bound of bytes.
        handing.file(&gate, 1, 10, "a/6", &mut hand).unwrap();
        assert_eq!(handed.borrow().last(), Some(&"a/6"));
        handed.borrow_mut().clear();
        gate.enter(0, 1).unwrap();
        handing.file(&gate, 1, 60, "a/big", &mut hand).unwrap();
        assert!(handed.borrow().is_empty());
        handing.file(&gate, 1, 60, "a/bigger", &mut hand).unwrap();
        assert_eq!(*handed.borrow(), ["a/big", "a/bigger"]);
        // A failure to hand is returned.
        let mut fine = |_| Ok::<(), Broken>(());
        handing.file(&gate, 1, 1, "a/x", &mut fine).unwrap();
        assert_eq!(handing.flush(&mut |_| Err(Broken)), Err(Broken));
    }

    /// A writer thread that panics breaks the gate: whoever waits on it is
    /// told, rather than waiting for good.
    #[test]
    fn a_writer_that_panics_breaks_the_gate_off() {
        let gate = Arc::new(Gate::new(1, 100));
        gate.enter(0, 1).unwrap();
        let writer = {
            let gate = gate.clone();
            std::thread::spawn(move || {
                let _guard = BreakOnPanic(&gate);
                panic!("a writer's bug");
            })
        };
        assert!(writer.join().is_err());
        assert_eq!(gate.enter(1, 1), Err(Broken));
        assert_eq!(gate.drain(), Err(Broken));
    }
}
