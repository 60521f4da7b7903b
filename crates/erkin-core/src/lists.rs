//! The lists of articles a site shows, as a store keeps them beside the
//! snapshot's rows, so that a render of a few new articles reads the few
//! lists they join — their newest items and their lengths — not every
//! article of the archive.
//!
//! Every article is on lists ([`lists_of`]): all articles, its tags' and
//! its authors' lists, each twice (among every language's, `lang` empty,
//! and among its own language's); its month's (in the charter's time
//! zone: [`month_key`]), twice too; the articles by their last change; the
//! translations of its original; the articles showing each of its media.
//! A list is ordered newest first, ties in slug order — the renderer's
//! order. A name given twice to one article (a tag, an author) puts it on
//! that list twice, as the renderer lists it twice.
//!
//! [`Lists`] is what a render is given: the answers to the [`Query`]s it
//! asked ([`Wanted`]), found by the caller (the store) for the state being
//! rendered. Pure data: no I/O.

use std::collections::BTreeMap;

pub use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::article::Article;

/// What a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ListKind {
    /// Articles, by publication date (name empty).
    Articles,
    /// Articles with a tag (name: the tag), by publication date.
    Tag,
    /// Articles by an author (name: the member's handle), by publication
    /// date.
    Author,
    /// Articles by their last change (name empty): the newest is the
    /// feed's `updated`.
    Changed,
    /// The translations of an article (name: the original's slug; `lang`
    /// empty), by publication date.
    Translations,
    /// The articles whose current revision shows a medium (name: the
    /// blob's id; `lang` empty), by publication date.
    Medium,
    /// The articles of a month (name: its [`month_key`]), by publication
    /// date: the archive's counts.
    Month,
}

impl ListKind {
    /// The number a store keeps it as.
    pub fn code(self) -> i64 {
        match self {
            ListKind::Articles => 0,
            ListKind::Tag => 1,
            ListKind::Author => 2,
            ListKind::Changed => 3,
            ListKind::Translations => 4,
            ListKind::Medium => 5,
            ListKind::Month => 6,
        }
    }

    /// The kind a store's number names, if any.
    pub fn from_code(code: i64) -> Option<Self> {
        Some(match code {
            0 => ListKind::Articles,
            1 => ListKind::Tag,
            2 => ListKind::Author,
            3 => ListKind::Changed,
            4 => ListKind::Translations,
            5 => ListKind::Medium,
            6 => ListKind::Month,
            _ => return None,
        })
    }
}

/// One list: its kind, the language whose articles it holds (empty: every
/// language's) and its name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ListKey {
    pub kind: ListKind,
    pub lang: String,
    pub name: String,
}

impl ListKey {
    pub fn new(kind: ListKind, lang: &str, name: &str) -> Self {
        ListKey {
            kind,
            lang: lang.to_string(),
            name: name.to_string(),
        }
    }
}

/// One place of an article on a list: the time it is ordered by, and its
/// occurrence (0, or more for a name the article gives twice).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    pub key: ListKey,
    pub at: u64,
    pub occurrence: u32,
}

/// The time zone of IANA name `name` from the database bundled into the
/// binary; UTC if it lacks it (a charter's zone is checked when the
/// charter is, so only an older database could).
pub fn zone(name: &str) -> TimeZone {
    jiff::tz::db().get(name).unwrap_or(TimeZone::UTC)
}

/// The month time `t` falls in, in zone `tz`, as the archive names it
/// (`2026-10`).
pub fn month_key(tz: &TimeZone, t: u64) -> String {
    let ts = Timestamp::from_second(i64::try_from(t).unwrap_or(i64::MAX)).unwrap_or(Timestamp::MAX);
    let z = ts.to_zoned_datetime(tz.clone());
    format!("{:04}-{:02}", z.year(), z.month())
}

/// Every place of article `a` on the lists (see the module's doc), its
/// month in zone `tz`, in no particular order, none twice.
pub fn lists_of(a: &Article, tz: &TimeZone) -> Vec<Place> {
    let mut out = Vec::new();
    let published = a.published_at();
    let month = month_key(tz, published);
    let changed = a.updated_at().unwrap_or(published);
    let langs: &[&str] = if a.lang.is_empty() {
        &[""]
    } else {
        &["", &a.lang]
    };
    let mut put = |kind, lang: &str, name: &str, at, occurrence| {
        out.push(Place {
            key: ListKey::new(kind, lang, name),
            at,
            occurrence,
        })
    };
    for lang in langs {
        put(ListKind::Articles, lang, "", published, 0);
        put(ListKind::Changed, lang, "", changed, 0);
        put(ListKind::Month, lang, &month, published, 0);
        for (kind, names) in [(ListKind::Tag, &a.tags), (ListKind::Author, &a.authors)] {
            let mut seen: BTreeMap<&str, u32> = BTreeMap::new();
            for name in names {
                let n = seen.entry(name).or_default();
                put(kind, lang, name, published, *n);
                *n += 1;
            }
        }
    }
    if let Some(original) = &a.translation_of {
        put(ListKind::Translations, "", original, published, 0);
    }
    let mut media: Vec<String> = a.current().media.iter().map(|m| m.to_string()).collect();
    media.sort();
    media.dedup();
    for m in media {
        put(ListKind::Medium, "", &m, published, 0);
    }
    out
}

/// [`lists_of`] the article a snapshot's row holds
/// ([`crate::snapshot::article_bytes`]), or why the row does not read.
pub fn lists_of_row(row: &[u8], tz: &TimeZone) -> Result<Vec<Place>, &'static str> {
    crate::articles::read_article(row).map(|a| lists_of(&a, tz))
}

/// A place's hash, for comparing two sets of places without holding
/// either ([`places_sum`]): SHA-256 of its fields, each length-prefixed,
/// cut to 128 bits.
pub fn place_hash(slug: &str, kind: i64, lang: &str, name: &str, at: u64, occurrence: u32) -> u128 {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for text in [slug, lang, name] {
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    h.update(kind.to_le_bytes());
    h.update(at.to_le_bytes());
    h.update(occurrence.to_le_bytes());
    let d = h.finalize();
    let mut first = [0u8; 16];
    first.copy_from_slice(&d[..16]);
    u128::from_le_bytes(first)
}

/// A set of places as one number: the sum of their [`place_hash`]es
/// (order does not matter; no place is in a set twice).
pub fn places_sum(sum: u128, hash: u128) -> u128 {
    sum.wrapping_add(hash)
}

/// A question a render asks of the lists of the state it renders.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Query {
    /// The newest `n` places of a list (every one: `usize::MAX`) and its
    /// length.
    Newest { key: ListKey, n: usize },
    /// Every list of a kind and language, with its length.
    Names { kind: ListKind, lang: String },
}

/// The newest places of a list (see [`Query::Newest`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Window {
    /// Newest first, ties in slug order: (time, slug).
    pub items: Vec<(u64, String)>,
    /// How many places the list has in all.
    pub len: usize,
}

/// What a render asks next (see [`Lists`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// These answered, and every article the answers name, and these,
    /// known to the state (a state opened without its articles fetches
    /// them), then ask again.
    More(Vec<Query>, Vec<String>),
    /// Everything is answered: render.
    Render,
    /// The lists cannot make this render (the change is not of the few
    /// lists kind): render from every article.
    Whole,
}

/// The answers found so far for a render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lists {
    pub windows: BTreeMap<ListKey, Window>,
    pub names: BTreeMap<(ListKind, String), Vec<(String, usize)>>,
}

impl Lists {
    /// Whether `q` is answered.
    pub fn has(&self, q: &Query) -> bool {
        match q {
            Query::Newest { key, n } => self
                .windows
                .get(key)
                .is_some_and(|w| w.items.len() >= (*n).min(w.len)),
            Query::Names { kind, lang } => self.names.contains_key(&(*kind, lang.clone())),
        }
    }

    /// Every slug the windows name.
    pub fn slugs(&self) -> impl Iterator<Item = &str> {
        self.windows
            .values()
            .flat_map(|w| w.items.iter().map(|(_, s)| s.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::articles::{EntryHash, Revision};
    use crate::blob::BlobId;

    fn article(tags: &[&str], authors: &[&str]) -> Article {
        Article {
            slug: "s".into(),
            lang: "kk".into(),
            authors: authors.iter().map(|s| s.to_string()).collect(),
            bylines: vec![],
            tags: tags.iter().map(|s| s.to_string()).collect(),
            translation_of: Some("o".into()),
            first_published: None,
            revisions: vec![Revision {
                index: 1,
                entry_hash: EntryHash([0; 32]),
                time: 100,
                log_time: 100,
                editor: "e".into(),
                title: "t".into(),
                summary: String::new(),
                body: BlobId([1; 32]),
                media: vec![BlobId([2; 32]), BlobId([2; 32])],
                correction: None,
            }],
        }
    }

    #[test]
    fn an_article_is_on_each_list_twice_and_a_repeated_name_twice_more() {
        let places = lists_of(&article(&["x", "x", "y"], &["ana"]), &TimeZone::UTC);
        let on = |kind, lang: &str, name: &str| {
            places
                .iter()
                .filter(|p| p.key == ListKey::new(kind, lang, name))
                .count()
        };
        assert_eq!(on(ListKind::Articles, "", ""), 1);
        assert_eq!(on(ListKind::Articles, "kk", ""), 1);
        assert_eq!(on(ListKind::Tag, "kk", "x"), 2);
        assert_eq!(on(ListKind::Tag, "", "y"), 1);
        assert_eq!(on(ListKind::Author, "", "ana"), 1);
        assert_eq!(on(ListKind::Translations, "", "o"), 1);
        assert_eq!(on(ListKind::Translations, "kk", "o"), 0);
        assert_eq!(on(ListKind::Medium, "", &BlobId([2; 32]).to_string()), 1);
        assert_eq!(on(ListKind::Month, "kk", "1970-01"), 1);
        assert_eq!(on(ListKind::Month, "", "1970-01"), 1);
        let mut sorted = places.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), places.len(), "no place twice");
    }

    #[test]
    fn a_kind_is_kept_as_its_number_and_read_back() {
        for kind in [
            ListKind::Articles,
            ListKind::Tag,
            ListKind::Author,
            ListKind::Changed,
            ListKind::Translations,
            ListKind::Medium,
            ListKind::Month,
        ] {
            assert_eq!(ListKind::from_code(kind.code()), Some(kind));
        }
        assert_eq!(ListKind::from_code(7), None);
    }

    #[test]
    fn a_month_is_the_zones_not_utcs() {
        // 2026-10-31 20:00 UTC is November in Almaty (UTC+5).
        let t = 1_793_476_800;
        assert_eq!(month_key(&TimeZone::UTC, t), "2026-10");
        assert_eq!(month_key(&zone("Asia/Almaty"), t), "2026-11");
    }
}
