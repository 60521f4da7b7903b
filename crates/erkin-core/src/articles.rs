//! The articles a state holds: their data ([`Article`], [`Revision`]), the
//! binary row a snapshot stores for each ([`article_bytes`]), and the map
//! by slug the state keeps them in ([`Articles`]).
//!
//! Why a map of its own: a publication of 100,000 articles opened from its
//! snapshot has 100,000 rows, and decoding every one (some ten strings
//! each) was most of what every command paid to open it. [`Articles`]
//! keeps a snapshot's rows as they were read, in one buffer, checked but
//! not decoded; an article is decoded the first time something reads it
//! ([`Articles::get`], or an iteration), and one that the fold changes is
//! decoded, moved out and kept beside the rows. A command that never reads
//! an article (a statement, a vote, a mirror's sync with nothing new)
//! decodes none.
//!
//! Pure data: no I/O. The rows come from the caller ([`RowsBuilder`]).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::marker::PhantomData;
use std::sync::OnceLock;

use serde::{Deserialize, Deserializer, Serialize};

use tlog_tiles::Hash;

use crate::blob::BlobId;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    pub slug: String,
    pub lang: String,
    #[serde(deserialize_with = "exact_vec")]
    pub authors: Vec<String>,
    #[serde(deserialize_with = "exact_vec")]
    pub bylines: Vec<String>,
    #[serde(deserialize_with = "exact_vec")]
    pub tags: Vec<String>,
    pub translation_of: Option<String>,
    /// When it was first published elsewhere, for imported archives.
    pub first_published: Option<u64>,
    /// Oldest first; the last is the current text.
    #[serde(deserialize_with = "exact_vec")]
    pub revisions: Vec<Revision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revision {
    /// Log index and author time of the entry that made this revision.
    pub index: u64,
    /// The entry's leaf hash: with the index, anyone can find and check
    /// the signed entry in any copy of the log.
    pub entry_hash: EntryHash,
    pub time: u64,
    /// The log time when it was recorded (the sequencer's latest tick).
    /// Derived from the log, so not part of the state digest.
    #[serde(skip)]
    pub log_time: u64,
    /// The editor who signed it.
    pub editor: String,
    pub title: String,
    pub summary: String,
    pub body: BlobId,
    #[serde(deserialize_with = "exact_vec")]
    pub media: Vec<BlobId>,
    /// None for the first publication.
    pub correction: Option<CorrectionNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrectionNote {
    pub note: String,
    pub major: bool,
}

/// An entry's leaf hash as a revision records it: its 32 bytes in memory,
/// 64 lowercase hex digits everywhere else — serde, `Display`, and `Debug`
/// (quoted, as a `String`'s), so the state's JSON, its digest and its
/// fingerprint are what they were when the hash was kept as hex text.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryHash(pub [u8; 32]);

impl From<&Hash> for EntryHash {
    fn from(h: &Hash) -> Self {
        Self(h.0)
    }
}

impl fmt::Display for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut hex = [0u8; 64];
        // 64 bytes for 32: cannot fail.
        hex::encode_to_slice(self.0, &mut hex).map_err(|_| fmt::Error)?;
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for EntryHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

impl std::str::FromStr for EntryHash {
    type Err = BadEntryHash;
    /// 64 lowercase hex digits, the only form the fold writes.
    fn from_str(s: &str) -> Result<Self, BadEntryHash> {
        if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(BadEntryHash);
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| BadEntryHash)?;
        Ok(Self(out))
    }
}

/// Text that is not an entry hash (64 lowercase hex digits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not an entry hash (expected 64 lowercase hex digits)")]
pub struct BadEntryHash;

impl Serialize for EntryHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EntryHash {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = EntryHash;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("64 lowercase hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<EntryHash, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

/// A list read with no room to spare: serde's `Vec` grows as it reads (a
/// list of one revision took room for four), and a state keeps every
/// article's lists for as long as it lives (100,000 articles at once).
fn exact_vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    struct V<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let Some(first) = seq.next_element()? else {
                return Ok(Vec::new());
            };
            let Some(second) = seq.next_element()? else {
                return Ok(vec![first]);
            };
            let mut out = vec![first, second];
            while let Some(next) = seq.next_element()? {
                out.push(next);
            }
            out.shrink_to_fit();
            Ok(out)
        }
    }
    d.deserialize_seq(V(PhantomData))
}

impl Article {
    pub fn current(&self) -> &Revision {
        self.revisions
            .last()
            .expect("an article has at least one revision")
    }
    pub fn first(&self) -> &Revision {
        &self.revisions[0]
    }
    /// The publication date shown to readers: the original date of an
    /// imported article, otherwise when it entered the log.
    pub fn published_at(&self) -> u64 {
        self.first_published.unwrap_or(self.first().time)
    }
    /// The time of the last correction, if any.
    pub fn updated_at(&self) -> Option<u64> {
        (self.revisions.len() > 1).then(|| self.current().time)
    }
    /// Every blob any revision refers to.
    pub fn blobs(&self) -> impl Iterator<Item = &BlobId> {
        self.revisions
            .iter()
            .flat_map(|r| std::iter::once(&r.body).chain(&r.media))
    }
}

/// The state's articles by slug: a snapshot's rows, decoded when first
/// read, and the articles published or corrected since, decoded and boxed.
///
/// Reads see one map in slug order: an article the fold changed after the
/// rows were read is found among the changed ones, never as its stale row.
/// Equality, `Debug` and serde's form are the map's, whichever way each
/// article is held, so the state's digest and fingerprint do not depend on
/// whether it came from a snapshot or a fold.
#[derive(Clone, Default)]
pub struct Articles {
    /// A snapshot's rows, each checked when it was read ([`RowsBuilder`]).
    stored: Rows,
    /// Articles published, or stored ones corrected, since. Boxed, so the
    /// map's nodes hold a pointer, not the article (a map filled in slug
    /// order leaves its nodes about half full).
    changed: BTreeMap<String, Box<Article>>,
    /// How many of `changed` have no stored row.
    added: usize,
    /// `Some(n)`: the snapshot's `n` rows are not read yet (a publication
    /// opened for an action that reads no article: `State::apply` refuses
    /// one that would, with `Rejection::ArticlesUnread`, until they are
    /// read into it with [`Articles::read_rows`]). `stored` is then empty,
    /// and nothing may be asked of the map but its length.
    unread: Option<usize>,
    /// While unread: slugs looked up in the stored rows and found to have
    /// none (the ones found are among `changed`, fetched): with those,
    /// what the state knows of its articles ([`Articles::knows`]).
    absent: BTreeSet<String>,
}

/// Rows in one buffer, by slug.
#[derive(Clone, Default)]
struct Rows {
    bytes: Vec<u8>,
    /// Sorted by slug; no slug twice.
    slots: Vec<Slot>,
    /// Each slot's article once decoded (`None` only if its row, checked
    /// when read, were ever not to decode: the article then reads as
    /// absent, never as a panic). Parallel to `slots`.
    decoded: Vec<OnceLock<Option<Box<Article>>>>,
}

#[derive(Clone, Copy)]
struct Slot {
    /// The row: `bytes[row.0..row.1]`.
    row: (usize, usize),
    /// Its slug: `bytes[slug.0..slug.1]`, inside the row.
    slug: (usize, usize),
    /// Its listing, found when the row was checked, as places in `bytes`.
    listing: ListingAt,
}

/// A [`Listing`]'s texts as places in the rows' buffer (start, end), and
/// its times.
#[derive(Clone, Copy)]
struct ListingAt {
    lang: (usize, usize),
    translation_of: Option<(usize, usize)>,
    authors: (usize, usize),
    bylines: (usize, usize),
    tags: (usize, usize),
    title: (usize, usize),
    summary: (usize, usize),
    published_at: u64,
    updated_at: Option<u64>,
    revisions: usize,
    major_correction: bool,
}

impl Rows {
    /// A text of a row, checked as UTF-8 when the row was read.
    fn text(&self, (a, b): (usize, usize)) -> &str {
        simdutf8::basic::from_utf8(&self.bytes[a..b]).unwrap_or_default()
    }
    fn slug(&self, i: usize) -> &str {
        self.text(self.slots[i].slug)
    }
    fn slug_bytes(&self, i: usize) -> &[u8] {
        let (a, b) = self.slots[i].slug;
        &self.bytes[a..b]
    }
    fn listing(&self, i: usize) -> Listing<'_> {
        let slot = &self.slots[i];
        let l = &slot.listing;
        Listing {
            slug: self.text(slot.slug),
            lang: self.text(l.lang),
            translation_of: l.translation_of.map(|t| self.text(t)),
            published_at: l.published_at,
            updated_at: l.updated_at,
            title: self.text(l.title),
            summary: self.text(l.summary),
            revisions: l.revisions,
            major_correction: l.major_correction,
            authors: Texts::Row(&self.bytes[l.authors.0..l.authors.1]),
            bylines: Texts::Row(&self.bytes[l.bylines.0..l.bylines.1]),
            tags: Texts::Row(&self.bytes[l.tags.0..l.tags.1]),
        }
    }
    fn find(&self, slug: &str) -> Option<usize> {
        self.slots
            .binary_search_by(|s| self.bytes[s.slug.0..s.slug.1].cmp(slug.as_bytes()))
            .ok()
    }
    fn decode(&self, i: usize) -> Option<Article> {
        let (a, b) = self.slots[i].row;
        read_article(&self.bytes[a..b]).ok()
    }
    fn get(&self, i: usize) -> Option<&Article> {
        self.decoded[i]
            .get_or_init(|| self.decode(i).map(Box::new))
            .as_deref()
    }
    /// The article of slot `i`, decoded, out of the rows (which keep its
    /// row; the caller shadows it).
    fn take(&mut self, i: usize) -> Option<Box<Article>> {
        match self.decoded[i].take() {
            Some(decoded) => decoded,
            None => self.decode(i).map(Box::new),
        }
    }
}

/// Gathers a snapshot's article rows one at a time ([`RowsBuilder::push`]),
/// then sorts them into an [`Articles`] ([`RowsBuilder::finish`]).
#[derive(Default)]
pub struct RowsBuilder {
    rows: Rows,
}

impl RowsBuilder {
    /// Room for `rows` rows of about `bytes` bytes in all (what is not
    /// filled is never touched, so costs no memory).
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        Self {
            rows: Rows {
                bytes: Vec::with_capacity(bytes),
                slots: Vec::with_capacity(rows),
                decoded: Vec::new(),
            },
        }
    }
    /// How many rows so far.
    pub fn len(&self) -> usize {
        self.rows.slots.len()
    }
    /// Whether no row was pushed.
    pub fn is_empty(&self) -> bool {
        self.rows.slots.is_empty()
    }
    /// Checks `row` (the whole grammar of [`article_bytes`], its texts'
    /// UTF-8 included, without building the article) and that it is the
    /// row of `slug`, then keeps its bytes.
    pub fn push(&mut self, slug: &str, row: &[u8]) -> Result<(), &'static str> {
        let l = listing_of_row(row)?;
        if l.slug != slug {
            return Err("the row of another article");
        }
        let at = self.rows.bytes.len();
        // Where a text of the row lies in the buffer once the row is in it.
        let place = |t: &[u8]| {
            let start = at + (t.as_ptr() as usize - row.as_ptr() as usize);
            (start, start + t.len())
        };
        let texts = |t: Texts<'_>| match t {
            Texts::Row(b) => place(b),
            // A row's listing holds its lists as they lie in the row.
            Texts::Decoded(_) => (at, at),
        };
        let slot = Slot {
            row: (at, at + row.len()),
            slug: place(l.slug.as_bytes()),
            listing: ListingAt {
                lang: place(l.lang.as_bytes()),
                translation_of: l.translation_of.map(|t| place(t.as_bytes())),
                authors: texts(l.authors),
                bylines: texts(l.bylines),
                tags: texts(l.tags),
                title: place(l.title.as_bytes()),
                summary: place(l.summary.as_bytes()),
                published_at: l.published_at,
                updated_at: l.updated_at,
                revisions: l.revisions,
                major_correction: l.major_correction,
            },
        };
        self.rows.bytes.extend_from_slice(row);
        self.rows.slots.push(slot);
        Ok(())
    }
    /// The articles, or the slug of a row read twice.
    pub fn finish(mut self) -> Result<Articles, String> {
        let Rows { bytes, slots, .. } = &mut self.rows;
        // Stored in slug order but for the rows rewritten since: nearly
        // sorted already.
        slots.sort_unstable_by(|a, b| bytes[a.slug.0..a.slug.1].cmp(&bytes[b.slug.0..b.slug.1]));
        if let Some(w) = slots
            .windows(2)
            .find(|w| bytes[w[0].slug.0..w[0].slug.1] == bytes[w[1].slug.0..w[1].slug.1])
        {
            return Err(String::from_utf8_lossy(&bytes[w[0].slug.0..w[0].slug.1]).into_owned());
        }
        let n = slots.len();
        self.rows.bytes.shrink_to_fit();
        self.rows.slots.shrink_to_fit();
        self.rows.decoded = (0..n).map(|_| OnceLock::new()).collect();
        Ok(Articles {
            stored: self.rows,
            changed: BTreeMap::new(),
            added: 0,
            unread: None,
            absent: BTreeSet::new(),
        })
    }
}

impl Articles {
    /// A snapshot's `rows` articles, their rows not read (see
    /// [`Articles::read_rows`]).
    pub fn unread(rows: usize) -> Self {
        Self {
            unread: Some(rows),
            ..Self::default()
        }
    }
    /// How many stored rows are not read yet (the head's count), if any
    /// are not: what [`Articles::read_rows`] takes.
    pub fn unread_rows(&self) -> Option<usize> {
        self.unread
    }
    /// Whether every article can be read: false only between
    /// [`Articles::unread`] and [`Articles::read_rows`].
    pub fn is_read(&self) -> bool {
        self.unread.is_none()
    }
    /// Whether the map can say what it holds under `slug`: always once
    /// read; while unread, for the articles changed since and the slugs
    /// fetched ([`Articles::fetch`]).
    pub fn knows(&self, slug: &str) -> bool {
        self.unread.is_none() || self.changed.contains_key(slug) || self.absent.contains(slug)
    }
    /// While unread: the stored row of `slug`, or `None` if it has none,
    /// looked up by the caller among the rows stored with the head — so the
    /// map then knows that article ([`Articles::knows`]). Checked and
    /// decoded; a row of another slug, or damaged, is refused. Nothing to
    /// do for a slug the map knows already.
    pub fn fetch(&mut self, slug: &str, row: Option<&[u8]>) -> Result<(), &'static str> {
        if self.knows(slug) {
            return Ok(());
        }
        match row {
            None => {
                self.absent.insert(slug.to_string());
            }
            Some(row) => {
                let a = read_article(row)?;
                if a.slug != slug {
                    return Err("the row of another article");
                }
                // Not counted as added: it is one of the unread rows.
                self.changed.insert(slug.to_string(), Box::new(a));
            }
        }
        Ok(())
    }
    /// Puts the snapshot's rows, read at last, under the articles changed
    /// since (which shadow theirs). `rows` must be as many as
    /// [`Articles::unread`] was told, else they are refused (given back as
    /// their count) and nothing changes.
    pub fn read_rows(&mut self, rows: Articles) -> Result<(), usize> {
        let Some(expected) = self.unread else {
            return Err(rows.len());
        };
        if rows.len() != expected || !rows.changed.is_empty() || !rows.is_read() {
            return Err(rows.len());
        }
        self.stored = rows.stored;
        self.absent.clear();
        self.added = self
            .changed
            .keys()
            .filter(|slug| self.stored.find(slug).is_none())
            .count();
        self.unread = None;
        Ok(())
    }
    /// While unread: every article is stored now (a snapshot of this map
    /// was stored), so the unread rows are as many as the articles, the
    /// changed ones among them (each still standing for its row, which
    /// holds the same). Nothing to do once read.
    pub fn stored_whole(&mut self) {
        if self.unread.is_some() {
            self.unread = Some(self.len());
            self.added = 0;
        }
    }
    /// How many articles.
    pub fn len(&self) -> usize {
        self.unread
            .unwrap_or(self.stored.slots.len())
            .saturating_add(self.added)
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn contains_key(&self, slug: &str) -> bool {
        self.changed.contains_key(slug) || self.stored.find(slug).is_some()
    }
    /// The article `slug`, decoded if it was a row not read before.
    pub fn get(&self, slug: &str) -> Option<&Article> {
        match self.changed.get(slug) {
            Some(a) => Some(a),
            None => self.stored.get(self.stored.find(slug)?),
        }
    }
    /// The article `slug`, decoded for the caller alone if it was a row
    /// not read before (kept by no one once dropped: what a whole render
    /// uses, one batch of articles at a time).
    pub fn get_uncached(&self, slug: &str) -> Option<Cow<'_, Article>> {
        if let Some(a) = self.changed.get(slug) {
            return Some(Cow::Borrowed(a));
        }
        let i = self.stored.find(slug)?;
        match self.stored.decoded[i].get() {
            Some(decoded) => decoded.as_deref().map(Cow::Borrowed),
            None => self.stored.decode(i).map(Cow::Owned),
        }
    }
    /// The [`Listing`] of the article `slug`.
    pub fn listing(&self, slug: &str) -> Option<Listing<'_>> {
        match self.changed.get(slug) {
            Some(a) => Some(Listing::of(a)),
            None => self.stored.find(slug).map(|i| self.stored.listing(i)),
        }
    }
    /// The article `slug`, to change: a stored one is moved out of the
    /// rows first (they keep its old row, shadowed from then on).
    pub fn get_mut(&mut self, slug: &str) -> Option<&mut Article> {
        if !self.changed.contains_key(slug) {
            let i = self.stored.find(slug)?;
            let a = self.stored.take(i)?;
            self.changed.insert(slug.to_string(), a);
        }
        self.changed.get_mut(slug).map(|a| &mut **a)
    }
    /// Adds (or replaces) the article `slug`.
    pub fn insert(&mut self, slug: String, article: Box<Article>) {
        let new = !self.changed.contains_key(&slug) && self.stored.find(&slug).is_none();
        self.absent.remove(&slug);
        self.changed.insert(slug, article);
        if new {
            self.added += 1;
        }
    }
    /// Every article, in slug order.
    pub fn values(&self) -> impl Iterator<Item = &Article> {
        self.iter().map(|(_, a)| a)
    }
    /// Every article with its slug, in slug order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Article)> {
        let stored = &self.stored;
        self.merged().filter_map(move |held| match held {
            // A row that would not decode (never, once checked) is
            // skipped rather than a panic.
            Held::Row(i) => Some((stored.slug(i), stored.get(i)?)),
            Held::Changed(slug, a) => Some((slug, a)),
        })
    }
    /// Every article with its slug, in slug order, each stored one decoded
    /// for the caller alone (see [`Articles::get_uncached`]): a pass over
    /// the whole archive (the digest, a whole copy's blobs) that leaves no
    /// article decoded behind it.
    pub fn iter_uncached(&self) -> impl Iterator<Item = (&str, Cow<'_, Article>)> {
        let stored = &self.stored;
        self.merged().filter_map(move |held| match held {
            Held::Row(i) => {
                let a = match stored.decoded[i].get() {
                    Some(decoded) => Cow::Borrowed(decoded.as_deref()?),
                    None => Cow::Owned(stored.decode(i)?),
                };
                Some((stored.slug(i), a))
            }
            Held::Changed(slug, a) => Some((slug, Cow::Borrowed(a))),
        })
    }
    /// Every article's [`Listing`], in slug order, without decoding any:
    /// a stored article's is read from its row where it lies.
    pub fn listings(&self) -> impl Iterator<Item = Listing<'_>> {
        let stored = &self.stored;
        self.merged().map(move |held| match held {
            Held::Row(i) => stored.listing(i),
            Held::Changed(_, a) => Listing::of(a),
        })
    }
    fn merged(&self) -> Merged<'_> {
        Merged {
            articles: self,
            next_stored: 0,
            changed: self.changed.iter().peekable(),
            place: None,
        }
    }
}

/// Where an article is held.
enum Held<'a> {
    /// The stored row of this slot.
    Row(usize),
    Changed(&'a str, &'a Article),
}

/// The stored rows and the changed articles merged by slug, a changed
/// article in place of its stored row.
struct Merged<'a> {
    articles: &'a Articles,
    next_stored: usize,
    changed: std::iter::Peekable<std::collections::btree_map::Iter<'a, String, Box<Article>>>,
    /// Where the next changed article goes among the stored rows (found
    /// once, by a binary search), and whether it shadows the row there:
    /// the rows before it are handed on without a comparison each.
    place: Option<(usize, bool)>,
}

impl<'a> Iterator for Merged<'a> {
    type Item = Held<'a>;
    fn next(&mut self) -> Option<Held<'a>> {
        let stored = &self.articles.stored;
        let place = match (self.place, self.changed.peek()) {
            (Some(p), _) => Some(p),
            (None, None) => None,
            (None, Some((slug, _))) => {
                let at = stored
                    .slots
                    .partition_point(|s| stored.bytes[s.slug.0..s.slug.1] < *slug.as_bytes());
                let shadows = at < stored.slots.len() && stored.slug_bytes(at) == slug.as_bytes();
                self.place = Some((at, shadows));
                self.place
            }
        };
        match place {
            Some((at, shadows)) if self.next_stored >= at => {
                if shadows && self.next_stored == at {
                    // Shadowed: the changed article stands for its row.
                    self.next_stored += 1;
                }
                self.place = None;
                let (s, a) = self.changed.next()?;
                Some(Held::Changed(s, a))
            }
            _ if self.next_stored < stored.slots.len() => {
                self.next_stored += 1;
                Some(Held::Row(self.next_stored - 1))
            }
            _ => None,
        }
    }
}

impl fmt::Debug for Articles {
    /// As the map of slugs to articles it stands for.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for (slug, article) in self.iter_uncached() {
            map.entry(&slug, &*article);
        }
        map.finish()
    }
}

impl PartialEq for Articles {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self
                .iter_uncached()
                .zip(other.iter_uncached())
                .all(|((s, a), (t, b))| s == t && a == b)
    }
}

impl Eq for Articles {}

/// An article's leaf in the articles' root ([`RootHasher`]): the SHA-256
/// of its row ([`article_bytes`]). What a store keeps beside each row, so a
/// snapshot's digest is made from 32 bytes per article, not from the
/// articles.
pub fn row_leaf(row: &[u8]) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(row).into()
}

/// The articles' root, which [`crate::state::State::digest`] hashes in
/// place of the articles: SHA-256 over, for each article in slug order,
/// its slug's length (8 bytes, big-endian), its slug and its leaf
/// ([`row_leaf`]), after a line naming the construction. An article
/// changed changes its leaf, so the root; the same articles give the same
/// root however they are held (rows or decoded), since a row is
/// [`article_bytes`] of its article.
pub struct RootHasher {
    hash: sha2::Sha256,
    /// The last slug pushed, to refuse one out of order.
    last: Option<String>,
    count: u64,
}

impl Default for RootHasher {
    fn default() -> Self {
        use sha2::Digest as _;
        let mut hash = sha2::Sha256::new();
        hash.update(b"erkin articles root 1\n");
        Self {
            hash,
            last: None,
            count: 0,
        }
    }
}

impl RootHasher {
    /// Adds the article `slug`, whose leaf is `leaf`. False (and nothing
    /// added) unless `slug` comes after every slug pushed before.
    pub fn push(&mut self, slug: &str, leaf: &[u8; 32]) -> bool {
        use sha2::Digest as _;
        if self.last.as_deref().is_some_and(|last| last >= slug) {
            return false;
        }
        self.hash.update((slug.len() as u64).to_be_bytes());
        self.hash.update(slug.as_bytes());
        self.hash.update(leaf);
        self.count += 1;
        match &mut self.last {
            Some(last) => {
                last.clear();
                last.push_str(slug);
            }
            None => self.last = Some(slug.to_string()),
        }
        true
    }
    /// How many articles were pushed.
    pub fn count(&self) -> u64 {
        self.count
    }
    pub fn finish(self) -> [u8; 32] {
        use sha2::Digest as _;
        self.hash.finalize().into()
    }
}

/// Why [`Articles::root_with`] could not make the root from the leaves it
/// was handed: they are not the unread rows'.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LeavesError {
    /// A slug not after the one before it.
    #[error("the stored leaves are not in slug order")]
    Order,
    /// Not as many leaves as the unread rows.
    #[error("{found} stored leaves for {expected} rows")]
    Count { expected: usize, found: usize },
    /// The articles are read: their root is [`Articles::root`].
    #[error("the articles are read already")]
    Read,
}

impl Articles {
    /// The articles' root ([`RootHasher`]), from every row and changed
    /// article; `None` while the rows are unread (see
    /// [`Articles::root_with`]).
    pub fn root(&self) -> Option<[u8; 32]> {
        if self.unread.is_some() {
            return None;
        }
        let mut root = RootHasher::default();
        for held in self.merged() {
            let (slug, leaf) = match held {
                Held::Row(i) => {
                    let (a, b) = self.stored.slots[i].row;
                    (self.stored.slug(i), row_leaf(&self.stored.bytes[a..b]))
                }
                Held::Changed(slug, a) => (slug, row_leaf(&article_bytes(a))),
            };
            root.push(slug, &leaf);
        }
        Some(root.finish())
    }

    /// While the rows are unread: the articles' root from the stored rows'
    /// leaves, `(slug, leaf)` in slug order (a store keeps them beside the
    /// rows), the articles changed since standing for theirs. Refused if
    /// the leaves are not in order or not as many as the unread rows.
    pub fn root_with<E>(
        &self,
        leaves: impl IntoIterator<Item = Result<(String, [u8; 32]), E>>,
    ) -> Result<Result<[u8; 32], LeavesError>, E> {
        let Some(expected) = self.unread else {
            return Ok(Err(LeavesError::Read));
        };
        let mut root = RootHasher::default();
        let mut changed = self.changed.iter().peekable();
        let mut found = 0usize;
        let mut last: Option<String> = None;
        for leaf in leaves {
            let (slug, leaf) = leaf?;
            if last.as_ref().is_some_and(|l| *l >= slug) {
                return Ok(Err(LeavesError::Order));
            }
            found += 1;
            while let Some((s, a)) = changed.next_if(|(s, _)| s.as_str() < slug.as_str()) {
                root.push(s, &row_leaf(&article_bytes(a)));
            }
            match changed.next_if(|(s, _)| s.as_str() == slug.as_str()) {
                Some((s, a)) => root.push(s, &row_leaf(&article_bytes(a))),
                None => root.push(&slug, &leaf),
            };
            last = Some(slug);
        }
        for (s, a) in changed {
            root.push(s, &row_leaf(&article_bytes(a)));
        }
        if found != expected {
            return Ok(Err(LeavesError::Count { expected, found }));
        }
        Ok(Ok(root.finish()))
    }
}

impl FromIterator<(String, Box<Article>)> for Articles {
    fn from_iter<I: IntoIterator<Item = (String, Box<Article>)>>(iter: I) -> Self {
        let changed: BTreeMap<String, Box<Article>> = iter.into_iter().collect();
        Self {
            added: changed.len(),
            changed,
            stored: Rows::default(),
            unread: None,
            absent: BTreeSet::new(),
        }
    }
}

/// One article's row. Deterministic. Binary: every number an unsigned
/// LEB128 varint; every text its byte length (a varint) then its UTF-8;
/// every hash (entry hashes, blob IDs) its 32 bytes; a list its length then
/// its items; an absent optional value the byte 0, a present one 1 then the
/// value; a flag 0 or 1. In order: slug, lang, authors, bylines, tags,
/// translation_of, first_published, revisions; each revision: index,
/// entry_hash, time, log_time (which the article's serde form, and so the
/// digest, leave out), editor, title, summary, body, media, correction
/// (note, major). The row ends there: trailing bytes are refused.
pub fn article_bytes(article: &Article) -> Vec<u8> {
    let Article {
        slug,
        lang,
        authors,
        bylines,
        tags,
        translation_of,
        first_published,
        revisions,
    } = article;
    let mut w = Vec::with_capacity(256);
    put_text(&mut w, slug);
    put_text(&mut w, lang);
    for list in [authors, bylines, tags] {
        put_uint(&mut w, list.len() as u64);
        for t in list {
            put_text(&mut w, t);
        }
    }
    put_option(&mut w, translation_of.as_deref(), put_text);
    put_option(&mut w, *first_published, put_uint);
    put_uint(&mut w, revisions.len() as u64);
    for r in revisions {
        let Revision {
            index,
            entry_hash,
            time,
            log_time,
            editor,
            title,
            summary,
            body,
            media,
            correction,
        } = r;
        put_uint(&mut w, *index);
        w.extend_from_slice(&entry_hash.0);
        put_uint(&mut w, *time);
        put_uint(&mut w, *log_time);
        put_text(&mut w, editor);
        put_text(&mut w, title);
        put_text(&mut w, summary);
        w.extend_from_slice(&body.0);
        put_uint(&mut w, media.len() as u64);
        for m in media {
            w.extend_from_slice(&m.0);
        }
        put_option(&mut w, correction.as_ref(), |w, c| {
            let CorrectionNote { note, major } = c;
            put_text(w, note);
            w.push(u8::from(*major));
        });
    }
    w
}

fn put_uint(w: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        w.push((n as u8) | 0x80);
        n >>= 7;
    }
    w.push(n as u8);
}

fn put_text(w: &mut Vec<u8>, t: &str) {
    put_uint(w, t.len() as u64);
    w.extend_from_slice(t.as_bytes());
}

fn put_option<T>(w: &mut Vec<u8>, v: Option<T>, put: impl FnOnce(&mut Vec<u8>, T)) {
    match v {
        None => w.push(0),
        Some(v) => {
            w.push(1);
            put(w, v);
        }
    }
}

/// Reads an article row ([`article_bytes`]); why not, if it is not one.
/// Never allocates more than the row's own length can fill: a list's
/// length is checked against the bytes left before room is made for it.
pub(crate) fn read_article(bytes: &[u8]) -> Result<Article, &'static str> {
    read(Reader::new(bytes)).map(|(a, _)| a)
}

/// Checks a row as [`read_article`] does, by the same reader, without
/// building the article: no allocation (as [`RowsBuilder::push`] does).
#[cfg(test)]
fn check_article(bytes: &[u8]) -> Result<(), &'static str> {
    listing_of_row(bytes).map(drop)
}

/// A row's [`Listing`], borrowed from the row, read (and the whole row
/// checked) by the same reader as [`read_article`].
fn listing_of_row(bytes: &[u8]) -> Result<Listing<'_>, &'static str> {
    read(Reader {
        rest: bytes,
        keep: false,
    })
    .map(|(_, l)| l)
}

/// The row's grammar, once: the article (empty unless `r.keep`: every
/// text is then checked and dropped, no list kept) and its listing.
fn read(mut r: Reader<'_>) -> Result<(Article, Listing<'_>), &'static str> {
    let keep = r.keep;
    let own = |t: &str| if keep { t.to_owned() } else { String::new() };
    let slug_str = r.str()?;
    let lang_str = r.str()?;
    let at = r.rest;
    let authors = r.texts()?;
    let authors_row = &at[..at.len() - r.rest.len()];
    let at = r.rest;
    let bylines = r.texts()?;
    let bylines_row = &at[..at.len() - r.rest.len()];
    let at = r.rest;
    let tags = r.texts()?;
    let tags_row = &at[..at.len() - r.rest.len()];
    let translation_str = r.option(Reader::str)?;
    let first_published = r.option(Reader::uint)?;
    // A revision takes at least 72 bytes: two hashes and eight fields of
    // one byte or more (index, times, editor, title, summary, media, the
    // correction flag).
    let n = r.count(72)?;
    if n == 0 {
        // Not a state's: an article is published with its first revision.
        return Err("an article without revisions");
    }
    let mut revisions = Vec::with_capacity(if keep { n } else { 0 });
    let (mut first_time, mut last_time) = (0, 0);
    let (mut title_str, mut summary_str, mut major_correction) = ("", "", false);
    for i in 0..n {
        let index = r.uint()?;
        let entry_hash = EntryHash(r.hash()?);
        let time = r.uint()?;
        if i == 0 {
            first_time = time;
        }
        last_time = time;
        let log_time = r.uint()?;
        let editor = r.text()?;
        title_str = r.str()?;
        summary_str = r.str()?;
        let (title, summary) = (own(title_str), own(summary_str));
        let body = BlobId(r.hash()?);
        let m = r.count(32)?;
        let mut media = Vec::with_capacity(if keep { m } else { 0 });
        for _ in 0..m {
            let id = BlobId(r.hash()?);
            if keep {
                media.push(id);
            }
        }
        let correction = r.option(|r| {
            let note = r.text()?;
            let major = r.flag()?;
            Ok(CorrectionNote { note, major })
        })?;
        major_correction |= correction.as_ref().is_some_and(|c| c.major);
        if keep {
            revisions.push(Revision {
                index,
                entry_hash,
                time,
                log_time,
                editor,
                title,
                summary,
                body,
                media,
                correction,
            });
        }
    }
    if !r.rest.is_empty() {
        return Err("bytes after the article");
    }
    let listing = Listing {
        slug: slug_str,
        lang: lang_str,
        translation_of: translation_str,
        published_at: first_published.unwrap_or(first_time),
        updated_at: (n > 1).then_some(last_time),
        authors: Texts::Row(authors_row),
        bylines: Texts::Row(bylines_row),
        tags: Texts::Row(tags_row),
        title: title_str,
        summary: summary_str,
        revisions: n,
        major_correction,
    };
    let article = Article {
        slug: own(slug_str),
        lang: own(lang_str),
        authors,
        bylines,
        tags,
        translation_of: translation_str.map(own),
        first_published,
        revisions,
    };
    Ok((article, listing))
}

/// What a site's lists need of an article, and not its texts: read from
/// its row where it lies ([`Articles::listings`]: no allocation, nothing
/// decoded) or borrowed from the article ([`Listing::of`]).
#[derive(Debug, Clone, Copy)]
pub struct Listing<'a> {
    pub slug: &'a str,
    pub lang: &'a str,
    pub translation_of: Option<&'a str>,
    /// [`Article::published_at`].
    pub published_at: u64,
    /// [`Article::updated_at`].
    pub updated_at: Option<u64>,
    /// The current revision's title and summary.
    pub title: &'a str,
    pub summary: &'a str,
    /// How many revisions (more than one: corrected).
    pub revisions: usize,
    /// Whether any correction was a major one.
    pub major_correction: bool,
    authors: Texts<'a>,
    bylines: Texts<'a>,
    tags: Texts<'a>,
}

impl<'a> Listing<'a> {
    /// The listing of a decoded article.
    pub fn of(a: &'a Article) -> Self {
        Self {
            slug: &a.slug,
            lang: &a.lang,
            translation_of: a.translation_of.as_deref(),
            published_at: a.published_at(),
            updated_at: a.updated_at(),
            title: &a.current().title,
            summary: &a.current().summary,
            revisions: a.revisions.len(),
            major_correction: a
                .revisions
                .iter()
                .any(|r| r.correction.as_ref().is_some_and(|c| c.major)),
            authors: Texts::Decoded(&a.authors),
            bylines: Texts::Decoded(&a.bylines),
            tags: Texts::Decoded(&a.tags),
        }
    }
    /// [`Article::bylines`], in order.
    pub fn bylines(&self) -> impl Iterator<Item = &'a str> {
        self.bylines.iter()
    }
    /// [`Article::authors`], in order.
    pub fn authors(&self) -> impl Iterator<Item = &'a str> {
        self.authors.iter()
    }
    /// [`Article::tags`], in order.
    pub fn tags(&self) -> impl Iterator<Item = &'a str> {
        self.tags.iter()
    }
    /// [`Listing::tags`] as their UTF-8 bytes, not checked again: to
    /// compare or count them by the hundred thousand (a text of a checked
    /// row is made a `str` by checking it again).
    pub fn tag_bytes(&self) -> impl Iterator<Item = &'a [u8]> {
        self.tags.iter_bytes()
    }
    /// [`Listing::authors`] as their UTF-8 bytes (see [`Listing::tag_bytes`]).
    pub fn author_bytes(&self) -> impl Iterator<Item = &'a [u8]> {
        self.authors.iter_bytes()
    }
}

/// A list of texts: a checked row's (its count, then each text), or a
/// decoded article's.
#[derive(Debug, Clone, Copy)]
enum Texts<'a> {
    Row(&'a [u8]),
    Decoded(&'a [String]),
}

impl<'a> Texts<'a> {
    /// The texts as `str`s: [`Texts::iter_bytes`], each checked again
    /// (short texts; there is no unchecked conversion without unsafe code).
    fn iter(self) -> impl Iterator<Item = &'a str> {
        self.iter_bytes()
            .filter_map(|b| simdutf8::basic::from_utf8(b).ok())
    }
    /// The texts' UTF-8 bytes: a checked row's walked (a count, then each
    /// text), a decoded article's borrowed.
    fn iter_bytes(self) -> impl Iterator<Item = &'a [u8]> {
        let (mut r, mut left, list) = match self {
            Texts::Row(row) => {
                let mut r = Reader {
                    rest: row,
                    keep: false,
                };
                let left = r.count(1).unwrap_or(0);
                (r, left, [].iter())
            }
            Texts::Decoded(list) => (
                Reader {
                    rest: &[],
                    keep: false,
                },
                0,
                list.iter(),
            ),
        };
        let row = std::iter::from_fn(move || {
            if left == 0 {
                return None;
            }
            left -= 1;
            let n = r.count(1).ok()?;
            r.take(n).ok()
        });
        row.chain(list.map(String::as_bytes))
    }
}

/// The unread rest of a row; `keep`: whether texts are kept (or only
/// checked).
struct Reader<'a> {
    rest: &'a [u8],
    keep: bool,
}

impl<'a> Reader<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Self { rest, keep: true }
    }
    #[inline]
    fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        if n > self.rest.len() {
            return Err("cut short");
        }
        let (head, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(head)
    }
    #[inline]
    fn byte(&mut self) -> Result<u8, &'static str> {
        Ok(self.take(1)?[0])
    }
    #[inline]
    fn uint(&mut self) -> Result<u64, &'static str> {
        // Most numbers of a row (lengths, counts) are below 128: one byte.
        if let Some((&b, rest)) = self.rest.split_first() {
            if b < 0x80 {
                self.rest = rest;
                return Ok(u64::from(b));
            }
        }
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            let bits = u64::from(b & 0x7f);
            if shift == 63 && bits > 1 {
                return Err("a number too large");
            }
            n |= bits << shift;
            if b & 0x80 == 0 {
                // One form per number: no zero bytes after the first.
                if b == 0 && shift > 0 {
                    return Err("a number not in its shortest form");
                }
                return Ok(n);
            }
        }
        Err("a number too large")
    }
    /// A length of things of at least `min` bytes each: no more than the
    /// bytes left can hold.
    #[inline]
    fn count(&mut self, min: usize) -> Result<usize, &'static str> {
        let n = self.uint()?;
        match usize::try_from(n) {
            Ok(n) if n <= self.rest.len() / min => Ok(n),
            _ => Err("a length beyond the row"),
        }
    }
    /// A text, checked, as it lies in the row.
    #[inline]
    fn str(&mut self) -> Result<&'a str, &'static str> {
        // A text's length: `count(1)` without its division.
        let n = match usize::try_from(self.uint()?) {
            Ok(n) if n <= self.rest.len() => n,
            _ => return Err("a length beyond the row"),
        };
        let bytes = self.take(n)?;
        simdutf8::basic::from_utf8(bytes).map_err(|_| "text that is not UTF-8")
    }
    #[inline]
    fn text(&mut self) -> Result<String, &'static str> {
        let text = self.str()?;
        Ok(if self.keep {
            text.to_owned()
        } else {
            String::new()
        })
    }
    #[inline]
    fn texts(&mut self) -> Result<Vec<String>, &'static str> {
        let n = self.count(1)?;
        let mut out = Vec::with_capacity(if self.keep { n } else { 0 });
        for _ in 0..n {
            let text = self.text()?;
            if self.keep {
                out.push(text);
            }
        }
        Ok(out)
    }
    #[inline]
    fn hash(&mut self) -> Result<[u8; 32], &'static str> {
        let mut h = [0u8; 32];
        h.copy_from_slice(self.take(32)?);
        Ok(h)
    }
    #[inline]
    fn flag(&mut self) -> Result<bool, &'static str> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err("a flag neither 0 nor 1"),
        }
    }
    fn option<T>(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<T, &'static str>,
    ) -> Result<Option<T>, &'static str> {
        if self.flag()? {
            read(self).map(Some)
        } else {
            Ok(None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(revisions: u64) -> Article {
        let revision = |i: u64| Revision {
            index: i * 300,
            entry_hash: EntryHash([i as u8; 32]),
            time: u64::MAX - i,
            log_time: 1_796_610_492 + i,
            editor: "редактор".into(),
            title: "Қоғам \"сот\" \u{202e}".into(),
            summary: String::new(),
            body: BlobId::of(&i.to_le_bytes()),
            media: (0..i).map(|m| BlobId::of(&[m as u8])).collect(),
            correction: (i > 1).then(|| CorrectionNote {
                note: "fixed".into(),
                major: i.is_multiple_of(2),
            }),
        };
        Article {
            slug: "article-000001".into(),
            lang: "kk".into(),
            authors: vec!["ed".into()],
            bylines: vec![],
            tags: vec!["a".into(), "b".into(), "c".into()],
            translation_of: (revisions > 1).then(|| "original".into()),
            first_published: (revisions != 2).then_some(127),
            revisions: (1..=revisions).map(revision).collect(),
        }
    }

    #[test]
    fn an_article_row_reads_back_to_the_article_with_its_log_times() {
        for n in 1..=4 {
            let a = article(n);
            let row = article_bytes(&a);
            let back = read_article(&row).unwrap();
            assert_eq!(back, a);
            // `==` compares the log times too (serde leaves them out).
            let times: Vec<u64> = back.revisions.iter().map(|r| r.log_time).collect();
            assert_eq!(
                times,
                a.revisions.iter().map(|r| r.log_time).collect::<Vec<_>>()
            );
            assert_eq!(article_bytes(&back), row);
        }
    }

    #[test]
    fn numbers_round_trip_in_their_shortest_form_only() {
        for n in [
            0,
            1,
            127,
            128,
            300,
            u64::from(u32::MAX),
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut w = Vec::new();
            put_uint(&mut w, n);
            let mut r = Reader::new(&w);
            assert_eq!(r.uint(), Ok(n));
            assert!(r.rest.is_empty());
        }
        // 0 written in two bytes; u64::MAX + 1 (a 65th bit); eleven bytes.
        for bad in [&[0x80, 0x00][..], &[0xff; 9][..], &[0xff; 11][..]] {
            let mut with_end = bad.to_vec();
            if with_end.len() == 9 {
                with_end.push(0x02);
            }
            assert!(Reader::new(&with_end).uint().is_err(), "{with_end:?}");
        }
    }

    #[test]
    fn every_cut_of_a_row_and_any_trailing_byte_is_refused() {
        let row = article_bytes(&article(3));
        for len in 0..row.len() {
            assert!(read_article(&row[..len]).is_err(), "cut at {len}");
        }
        let mut longer = row.clone();
        longer.push(0);
        assert_eq!(read_article(&longer), Err("bytes after the article"));
    }

    #[test]
    fn a_hostile_row_is_refused_without_a_panic_or_a_large_allocation() {
        let row = article_bytes(&article(1));
        // The slug's length made huge: no room is made for it.
        let mut huge = vec![0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f];
        huge.extend_from_slice(&row[1..]);
        assert_eq!(read_article(&huge), Err("a length beyond the row"));
        // A slug that is not UTF-8.
        let mut bad = row.clone();
        bad[1] = 0xff;
        assert_eq!(read_article(&bad), Err("text that is not UTF-8"));
        // The translation_of flag neither 0 nor 1 (slug 14 bytes, lang 2,
        // three list lengths of which tags holds "a", "b", "c").
        let at = 1 + 14 + 1 + 2 + 1 + 1 + 3 + 1 + 3 * 2;
        assert_eq!(row[at], 0, "translation_of is absent");
        let mut flag = row.clone();
        flag[at] = 2;
        assert_eq!(read_article(&flag), Err("a flag neither 0 nor 1"));
        // The JSON rows of format 6 are not rows of this format.
        assert!(read_article(br#"{"article":{},"log_times":[]}"#).is_err());
        // Every byte altered to every value: refused or read, never a panic.
        for i in 0..row.len() {
            for v in [0x00, 0x01, 0x7f, 0x80, 0xff] {
                let mut r = row.clone();
                r[i] = v;
                let _ = read_article(&r);
            }
        }
    }

    #[test]
    fn a_row_without_revisions_is_not_an_article() {
        let mut a = article(1);
        a.revisions.clear();
        assert_eq!(
            read_article(&article_bytes(&a)),
            Err("an article without revisions")
        );
    }

    /// An article of slug `slug` with `revisions` revisions (1 or more).
    fn named(slug: &str, revisions: u64) -> Article {
        let mut a = article(revisions.max(1));
        a.slug = slug.to_string();
        a.authors = (0..revisions).map(|i| format!("автор-{i}")).collect();
        a.bylines = (1..revisions).map(|i| format!("Reuters {i}")).collect();
        for (i, r) in a.revisions.iter_mut().enumerate() {
            r.title = format!("{slug}: тақырып {i}");
            r.summary = format!("қысқаша {i}");
        }
        a
    }

    /// `Articles` read from the rows of `articles` (in the order given).
    fn from_rows<'a>(articles: impl IntoIterator<Item = &'a Article>) -> Articles {
        let mut b = RowsBuilder::default();
        for a in articles {
            b.push(&a.slug, &article_bytes(a)).unwrap();
        }
        b.finish().unwrap()
    }

    #[test]
    fn rows_read_late_go_under_the_articles_changed_meanwhile() {
        let stored: Vec<Article> = ["a", "b", "c"].iter().map(|s| named(s, 1)).collect();
        let mut late = Articles::unread(3);
        assert!(!late.is_read());
        assert_eq!(late.len(), 3);
        // Changed before the rows are read: "b" replaced, "d" new.
        late.insert("b".into(), Box::new(named("b", 3)));
        late.insert("d".into(), Box::new(named("d", 2)));
        // Rows of another count are refused, and change nothing.
        assert_eq!(late.read_rows(from_rows(&stored[..2])), Err(2));
        assert!(!late.is_read());
        // A map that is not rows alone is refused too.
        let mut changed = from_rows(&stored);
        changed.insert("e".into(), Box::new(named("e", 1)));
        assert_eq!(late.read_rows(changed), Err(4));
        late.read_rows(from_rows(&stored)).unwrap();
        assert!(late.is_read());
        let model: Articles = [named("a", 1), named("b", 3), named("c", 1), named("d", 2)]
            .into_iter()
            .map(|a| (a.slug.clone(), Box::new(a)))
            .collect();
        assert_eq!(late, model);
        assert_eq!(late.len(), 4);
        assert_eq!(late.get("b").unwrap().revisions.len(), 3);
        // Read once: a second time is refused.
        assert_eq!(late.read_rows(from_rows(&stored)), Err(3));
    }

    #[test]
    fn an_unread_map_knows_what_was_fetched_and_nothing_else() {
        let mut m = Articles::unread(2);
        assert!(!m.knows("a"));
        let row = article_bytes(&named("a", 2));
        // A row of another slug, or a damaged one, is refused.
        assert_eq!(m.fetch("b", Some(&row)), Err("the row of another article"));
        assert!(m.fetch("a", Some(&row[..row.len() - 1])).is_err());
        assert!(!m.knows("a") && !m.knows("b"));
        m.fetch("a", Some(&row)).unwrap();
        m.fetch("z", None).unwrap();
        assert!(m.knows("a") && m.knows("z") && !m.knows("b"));
        assert_eq!(m.get("a"), Some(&named("a", 2)));
        assert!(!m.contains_key("z"));
        // Fetched rows are among the unread ones: not counted again.
        assert_eq!(m.len(), 2);
        m.insert("z".into(), Box::new(named("z", 1)));
        assert_eq!(m.len(), 3);
        assert!(m.contains_key("z"));
        // Read at last: the fetched row shadows its own, the new one counts.
        m.read_rows(from_rows(&[named("a", 2), named("b", 1)]))
            .unwrap();
        assert_eq!(m.len(), 3);
        assert!(m.knows("b"));
        let slugs: Vec<&str> = m.iter().map(|(s, _)| s).collect();
        assert_eq!(slugs, ["a", "b", "z"]);
    }

    #[test]
    fn a_row_is_checked_as_it_is_read_and_must_be_its_slugs() {
        let a = named("first", 2);
        let row = article_bytes(&a);
        let mut b = RowsBuilder::default();
        assert_eq!(b.push("other", &row), Err("the row of another article"));
        assert_eq!(b.push("first", &row[..row.len() - 1]), Err("cut short"));
        let mut bad = row.clone();
        bad[2] = 0xff;
        assert_eq!(b.push("first", &bad), Err("text that is not UTF-8"));
        assert!(b.is_empty());
        b.push("first", &row).unwrap();
        b.push("second", &article_bytes(&named("second", 1)))
            .unwrap();
        b.push("first", &row).unwrap();
        assert_eq!(b.len(), 3);
        assert_eq!(b.finish().err().as_deref(), Some("first"));
    }

    #[test]
    fn checking_a_row_refuses_exactly_what_reading_it_refuses() {
        for n in 1..=3 {
            let row = article_bytes(&article(n));
            assert_eq!(check_article(&row), Ok(()));
            for i in 0..row.len() {
                for v in [0x00, 0x01, 0x02, 0x7f, 0x80, 0xc3, 0xff] {
                    let mut r = row.clone();
                    r[i] = v;
                    assert_eq!(
                        check_article(&r),
                        read_article(&r).map(drop),
                        "byte {i} set to {v:#x}"
                    );
                }
                assert_eq!(check_article(&row[..i]), read_article(&row[..i]).map(drop));
            }
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// Publish an article of this slug (if it is new).
        Publish(u8),
        /// Correct the article of this slug (if there is one).
        Correct(u8),
        /// Read the article of this slug.
        Read(u8),
        /// Put an article of this slug in place of any there is.
        Replace(u8),
    }

    fn slug(n: u8) -> String {
        format!("a-{n:03}")
    }

    use proptest::prelude::*;

    proptest::proptest! {
        /// A map read from rows, then changed as the fold changes it, is in
        /// every way the map of boxed articles it stands for: the same
        /// articles in the same order, the same `Debug` (the fingerprint's),
        /// serde form (the digest's) and answers to every lookup.
        #[test]
        fn rows_then_changes_read_as_the_plain_map(
            stored in proptest::collection::btree_set(0u8..40, 0..20),
            ops in proptest::collection::vec(
                proptest::prop_oneof![
                    (0u8..40).prop_map(Op::Publish),
                    (0u8..40).prop_map(Op::Correct),
                    (0u8..40).prop_map(Op::Read),
                    (0u8..40).prop_map(Op::Replace),
                ],
                0..30,
            ),
        ) {
            let mut model: BTreeMap<String, Box<Article>> = BTreeMap::new();
            for &n in stored.iter().rev() {
                model.insert(slug(n), Box::new(named(&slug(n), u64::from(n % 3) + 1)));
            }
            // Rows in reverse slug order: the reader sorts them.
            let mut lazy = from_rows(model.values().rev().map(|a| &**a));
            for op in ops {
                match op {
                    Op::Publish(n) => {
                        if let std::collections::btree_map::Entry::Vacant(e) = model.entry(slug(n)) {
                            let a = named(&slug(n), 1);
                            e.insert(Box::new(a.clone()));
                            lazy.insert(slug(n), Box::new(a));
                        }
                    }
                    Op::Correct(n) => {
                        let r = article(2).revisions[1].clone();
                        if let Some(a) = model.get_mut(&slug(n)) {
                            a.revisions.push(r.clone());
                        }
                        if let Some(a) = lazy.get_mut(&slug(n)) {
                            a.revisions.push(r);
                        }
                    }
                    Op::Replace(n) => {
                        let a = named(&slug(n), 3);
                        model.insert(slug(n), Box::new(a.clone()));
                        lazy.insert(slug(n), Box::new(a));
                    }
                    Op::Read(n) => {
                        prop_assert_eq!(lazy.get(&slug(n)), model.get(&slug(n)).map(|a| &**a));
                    }
                }
                prop_assert_eq!(lazy.len(), model.len());
            }
            let project = |l: Listing<'_>| {
                (
                    l.slug.to_string(),
                    l.lang.to_string(),
                    l.translation_of.map(str::to_string),
                    l.published_at,
                    l.updated_at,
                    l.authors().map(str::to_string).collect::<Vec<_>>(),
                    l.tags().map(str::to_string).collect::<Vec<_>>(),
                    (
                        l.bylines().map(str::to_string).collect::<Vec<_>>(),
                        l.title.to_string(),
                        l.summary.to_string(),
                        l.revisions,
                        l.major_correction,
                    ),
                )
            };
            for n in 0..40 {
                prop_assert_eq!(lazy.contains_key(&slug(n)), model.contains_key(&slug(n)));
                prop_assert_eq!(lazy.get(&slug(n)), model.get(&slug(n)).map(|a| &**a));
                let uncached = lazy.get_uncached(&slug(n));
                prop_assert_eq!(uncached.as_deref(), model.get(&slug(n)).map(|a| &**a));
                prop_assert_eq!(
                    lazy.listing(&slug(n)).map(project),
                    model.get(&slug(n)).map(|a| project(Listing::of(a)))
                );
            }
            let pairs: Vec<(&str, &Article)> = lazy.iter().collect();
            let expected: Vec<(&str, &Article)> =
                model.iter().map(|(s, a)| (s.as_str(), &**a)).collect();
            prop_assert_eq!(pairs, expected);
            prop_assert_eq!(format!("{lazy:?}"), format!("{model:?}"));
            for l in lazy.listings() {
                prop_assert!(l.tag_bytes().eq(l.tags().map(str::as_bytes)));
                prop_assert!(l.author_bytes().eq(l.authors().map(str::as_bytes)));
            }
            let listed: Vec<_> = lazy.listings().map(project).collect();
            let of_model: Vec<_> = model.values().map(|a| project(Listing::of(a))).collect();
            prop_assert_eq!(listed, of_model);
            let plain: Articles = model.clone().into_iter().collect();
            prop_assert_eq!(&plain, &lazy);
            // One root, however the articles are held: rows, changed ones
            // over them, or unread rows' leaves.
            prop_assert_eq!(lazy.root(), plain.root());
            let leaves: Vec<Result<(String, [u8; 32]), ()>> = model
                .iter()
                .map(|(s, a)| Ok((s.clone(), row_leaf(&article_bytes(a)))))
                .collect();
            let unread = Articles::unread(model.len());
            prop_assert_eq!(unread.root(), None);
            prop_assert_eq!(unread.root_with(leaves.clone()), Ok(Ok(plain.root().unwrap())));
            let mut fewer = leaves.clone();
            if fewer.pop().is_some() {
                prop_assert_eq!(
                    unread.root_with(fewer),
                    Ok(Err(LeavesError::Count { expected: model.len(), found: model.len() - 1 }))
                );
            }
            if leaves.len() >= 2 {
                let mut swapped = leaves.clone();
                swapped.swap(0, 1);
                prop_assert_eq!(unread.root_with(swapped), Ok(Err(LeavesError::Order)));
            }
            prop_assert_eq!(plain.root_with(leaves), Ok(Err(LeavesError::Read)));
            prop_assert_eq!(lazy.is_empty(), model.is_empty());
        }
    }
}
