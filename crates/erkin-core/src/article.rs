//! Articles: publishing and correcting, as folded from the log.
//!
//! Rules kept here:
//! - Only editors publish and correct: members holding a board seat whose term
//!   covers the log time of the entry (see `State::is_editor`).
//! - An article is never rewritten in place: a correction adds a revision with
//!   a public note, and every revision stays in the history.
//! - Retraction and redaction are not editor actions: they need a passed vote
//!   (see `governance.rs`). A retracted article keeps its text under a notice
//!   and cannot be corrected; a redacted one has its blobs deleted everywhere.
//! - Blob IDs in entries are checked for form here; whether the bytes exist is
//!   the store's concern (the sequencer refuses entries whose blobs it lacks).
//!
//! The rules read the state through [`Facts`] and return an
//! [`ArticleChange`]; only the fold (`state.rs`) applies it.

use std::collections::BTreeSet;

use tlog_tiles::Hash;

use crate::action::{Correct, Publish, MAX_STATEMENT_LEN, MAX_TITLE_LEN};
use crate::blob::BlobId;
use crate::members::Roll;
use crate::rejection::{
    check_text, BlobField, EditorAction, Listed, Rejection, SlugField, TextField,
};

pub const MAX_SLUG_LEN: usize = 100;
pub const MAX_SUMMARY_LEN: usize = 1000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_LEN: usize = 50;
pub const MAX_BYLINES: usize = 10;
pub const MAX_MEDIA: usize = 100;
pub const MAX_BYLINE_LEN: usize = 100;

pub use crate::articles::{Article, Articles, BadEntryHash, CorrectionNote, EntryHash, Revision};

/// Lowercase ASCII letters, digits and single inner hyphens: safe in a path
/// and in a URL on every copy (web server, static host, file://).
pub fn check_slug(field: SlugField, s: &str, max: usize) -> Result<(), Rejection> {
    let ok = !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--");
    if ok {
        Ok(())
    } else {
        Err(Rejection::BadSlug {
            field,
            value: s.to_string(),
            max,
        })
    }
}

fn blob_id(field: BlobField, s: &str) -> Result<BlobId, Rejection> {
    s.parse().map_err(|_| Rejection::BadBlobId {
        field,
        value: s.to_string(),
    })
}

fn check_summary(s: &str) -> Result<(), Rejection> {
    if s.len() > MAX_SUMMARY_LEN {
        return Err(Rejection::TooLong {
            field: TextField::Summary,
            max: MAX_SUMMARY_LEN,
        });
    }
    Ok(())
}

/// Refuses a list longer than `max`.
fn at_most(what: Listed, len: usize, max: usize) -> Result<(), Rejection> {
    if len > max {
        return Err(Rejection::TooMany { what, max });
    }
    Ok(())
}

fn media(ids: &[String]) -> Result<Vec<BlobId>, Rejection> {
    at_most(Listed::Media, ids.len(), MAX_MEDIA)?;
    ids.iter().map(|m| blob_id(BlobField::Media, m)).collect()
}

/// Every blob a passed redaction removed: all blobs of redacted articles,
/// and blobs redacted by ID.
pub fn redacted_blobs(articles: &Articles, redacted: &BTreeSet<String>) -> BTreeSet<BlobId> {
    let mut out = BTreeSet::new();
    for target in redacted {
        if let Some(a) = articles.get(target) {
            out.extend(a.blobs().copied());
        } else if let Ok(id) = target.parse() {
            out.insert(id);
        }
    }
    out
}

/// What the article rules read from the state.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub roll: Roll<'a>,
    /// The charter's languages.
    pub languages: &'a [String],
    pub articles: &'a Articles,
    pub retracted: &'a BTreeSet<String>,
    pub redacted: &'a BTreeSet<String>,
}

/// Who made an entry, and where it stands in the log.
#[derive(Debug, Clone, Copy)]
pub struct Signed<'a> {
    pub index: u64,
    pub leaf: &'a Hash,
    pub editor: &'a str,
    /// The author's own time (kept with the revision).
    pub time: u64,
    /// The log time (the latest tick): editor rights are judged by it.
    pub log_time: u64,
}

/// What an accepted publish or correct entry changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArticleChange {
    /// A new article.
    Published(Article),
    /// A new revision of the article `slug`.
    Corrected { slug: String, revision: Revision },
}

impl Facts<'_> {
    fn require_editor(
        &self,
        handle: &str,
        time: u64,
        action: EditorAction,
    ) -> Result<(), Rejection> {
        if self.roll.is_editor(handle, time) {
            Ok(())
        } else {
            Err(Rejection::NotEditor {
                handle: handle.to_string(),
                action,
            })
        }
    }

    /// Redacted content may not come back under another article.
    fn refuse_redacted(&self, body: &BlobId, media: &[BlobId]) -> Result<(), Rejection> {
        let gone = redacted_blobs(self.articles, self.redacted);
        if let Some(id) = std::iter::once(body)
            .chain(media)
            .find(|id| gone.contains(id))
        {
            return Err(Rejection::BlobRedacted { blob: *id });
        }
        Ok(())
    }
}

/// Checks a publish entry; the new article if it may be published.
pub fn check_publish(
    facts: &Facts<'_>,
    by: Signed<'_>,
    p: &Publish,
) -> Result<ArticleChange, Rejection> {
    facts.require_editor(by.editor, by.log_time, EditorAction::Publish)?;
    check_slug(SlugField::Slug, &p.slug, MAX_SLUG_LEN)?;
    if facts.articles.contains_key(&p.slug) {
        return Err(Rejection::ArticleExists {
            slug: p.slug.clone(),
        });
    }
    if !facts.languages.contains(&p.lang) {
        return Err(Rejection::LanguageNotInCharter {
            lang: p.lang.clone(),
            languages: facts.languages.to_vec(),
        });
    }
    check_text(TextField::Title, &p.title, MAX_TITLE_LEN)?;
    check_summary(&p.summary)?;
    if p.authors.is_empty() && p.bylines.is_empty() {
        return Err(Rejection::NoAuthor);
    }
    if let Some(a) = p.authors.iter().find(|a| !facts.roll.is_member(a)) {
        return Err(Rejection::AuthorNotMember { handle: a.clone() });
    }
    at_most(Listed::Bylines, p.bylines.len(), MAX_BYLINES)?;
    for b in &p.bylines {
        check_text(TextField::Byline, b, MAX_BYLINE_LEN)?;
    }
    at_most(Listed::Tags, p.tags.len(), MAX_TAGS)?;
    for t in &p.tags {
        check_slug(SlugField::Tag, t, MAX_TAG_LEN)?;
    }
    if let Some(original) = &p.translation_of {
        let Some(o) = facts.articles.get(original) else {
            return Err(Rejection::NoOriginal {
                slug: original.clone(),
            });
        };
        if o.lang == p.lang {
            return Err(Rejection::SameLanguage {
                slug: original.clone(),
                lang: p.lang.clone(),
            });
        }
    }
    if let Some(first_published) = p.first_published.filter(|d| *d > by.time) {
        return Err(Rejection::FirstPublishedLater {
            first_published,
            time: by.time,
        });
    }
    let body = blob_id(BlobField::Body, &p.body)?;
    let media = media(&p.media)?;
    facts.refuse_redacted(&body, &media)?;
    Ok(ArticleChange::Published(Article {
        slug: p.slug.clone(),
        lang: p.lang.clone(),
        authors: p.authors.clone(),
        bylines: p.bylines.clone(),
        tags: p.tags.clone(),
        translation_of: p.translation_of.clone(),
        first_published: p.first_published,
        revisions: vec![Revision {
            index: by.index,
            entry_hash: EntryHash::from(by.leaf),
            time: by.time,
            log_time: by.log_time,
            editor: by.editor.to_string(),
            title: p.title.clone(),
            summary: p.summary.clone(),
            body,
            media,
            correction: None,
        }],
    }))
}

/// Checks a correct entry; the new revision if it may be made.
pub fn check_correct(
    facts: &Facts<'_>,
    by: Signed<'_>,
    c: &Correct,
) -> Result<ArticleChange, Rejection> {
    facts.require_editor(by.editor, by.log_time, EditorAction::Correct)?;
    if !facts.articles.contains_key(&c.slug) {
        return Err(Rejection::NoSuchArticle {
            slug: c.slug.clone(),
        });
    }
    if facts.retracted.contains(&c.slug) || facts.redacted.contains(&c.slug) {
        return Err(Rejection::Withdrawn {
            slug: c.slug.clone(),
        });
    }
    check_text(TextField::Title, &c.title, MAX_TITLE_LEN)?;
    check_summary(&c.summary)?;
    check_text(TextField::CorrectionNote, &c.note, MAX_STATEMENT_LEN)?;
    let body = blob_id(BlobField::Body, &c.body)?;
    let media = media(&c.media)?;
    facts.refuse_redacted(&body, &media)?;
    Ok(ArticleChange::Corrected {
        slug: c.slug.clone(),
        revision: Revision {
            index: by.index,
            entry_hash: EntryHash::from(by.leaf),
            time: by.time,
            log_time: by.log_time,
            editor: by.editor.to_string(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            body,
            media,
            correction: Some(CorrectionNote {
                note: c.note.clone(),
                major: c.major,
            }),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(revisions: usize) -> Article {
        let revision = |i: u64| Revision {
            index: i,
            entry_hash: EntryHash([i as u8; 32]),
            time: 100 + i,
            log_time: 0,
            editor: "ed".into(),
            title: "Title \"quoted\"".into(),
            summary: String::new(),
            body: BlobId::of(b"body"),
            media: vec![BlobId::of(b"a"), BlobId::of(b"b")],
            correction: (i > 1).then(|| CorrectionNote {
                note: "fixed".into(),
                major: false,
            }),
        };
        Article {
            slug: "a-b".into(),
            lang: "kk".into(),
            authors: vec![],
            bylines: vec!["One".into()],
            tags: vec!["x".into(), "y".into(), "z".into()],
            translation_of: None,
            first_published: Some(7),
            revisions: (1..=revisions as u64).map(revision).collect(),
        }
    }

    #[test]
    fn an_entry_hash_is_written_as_the_hex_text_it_replaced() {
        let h = EntryHash([0xab; 32]);
        let hex = "ab".repeat(32);
        assert_eq!(h.to_string(), hex);
        assert_eq!(format!("{h:?}"), format!("{hex:?}"));
        assert_eq!(serde_json::to_string(&h).unwrap(), format!("\"{hex}\""));
        assert_eq!(
            serde_json::from_str::<EntryHash>(&format!("\"{hex}\"")).unwrap(),
            h
        );
    }

    #[test]
    fn an_entry_hash_is_only_64_lowercase_hex_digits() {
        for bad in [
            "AB".repeat(32),
            "ab".repeat(31),
            "ab".repeat(33),
            "zz".repeat(32),
            String::new(),
        ] {
            assert_eq!(bad.parse::<EntryHash>(), Err(BadEntryHash), "{bad}");
            let err = serde_json::from_str::<EntryHash>(&format!("\"{bad}\"")).unwrap_err();
            assert!(err.to_string().contains("not an entry hash"), "{err}");
        }
        assert!(serde_json::from_str::<EntryHash>("17").is_err());
    }

    #[test]
    fn an_article_reads_back_to_the_same_json_with_lists_of_exact_length() {
        for n in [1, 2, 5] {
            let a = article(n);
            let json = serde_json::to_vec(&a).unwrap();
            let back: Article = serde_json::from_slice(&json).unwrap();
            assert_eq!(back, a);
            assert_eq!(serde_json::to_vec(&back).unwrap(), json);
            assert_eq!(back.revisions.capacity(), n);
            assert_eq!(back.tags.capacity(), 3);
            assert_eq!(back.bylines.capacity(), 1);
            assert_eq!(back.revisions[0].media.capacity(), 2);
        }
    }
}
