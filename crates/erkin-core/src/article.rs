//! Articles: publishing and correcting, as folded from the log.
//!
//! Rules kept here:
//! - Only editors publish and correct: members holding a board seat whose term
//!   covers the entry's time (see `State::is_editor`).
//! - An article is never rewritten in place: a correction adds a revision with
//!   a public note, and every revision stays in the history.
//! - Retraction and redaction are not editor actions: they need a passed vote
//!   (see `governance.rs`). A retracted article keeps its text under a notice
//!   and cannot be corrected; a redacted one has its blobs deleted everywhere.
//! - Blob IDs in entries are checked for form here; whether the bytes exist is
//!   the store's concern (the sequencer refuses entries whose blobs it lacks).

use serde::Serialize;

use tlog_tiles::Hash;

use crate::action::{Correct, Publish, MAX_STATEMENT_LEN, MAX_TITLE_LEN};
use crate::blob::BlobId;
use crate::state::{check_text, Rejection, State};

pub const MAX_SLUG_LEN: usize = 100;
pub const MAX_SUMMARY_LEN: usize = 1000;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_LEN: usize = 50;
pub const MAX_BYLINES: usize = 10;
pub const MAX_MEDIA: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Article {
    pub slug: String,
    pub lang: String,
    pub authors: Vec<String>,
    pub bylines: Vec<String>,
    pub tags: Vec<String>,
    pub translation_of: Option<String>,
    /// When it was first published elsewhere, for imported archives.
    pub first_published: Option<u64>,
    /// Oldest first; the last is the current text.
    pub revisions: Vec<Revision>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Revision {
    /// Log index and author time of the entry that made this revision.
    pub index: u64,
    /// The entry's leaf hash (hex): with the index, anyone can find and check
    /// the signed entry in any copy of the log.
    pub entry_hash: String,
    pub time: u64,
    /// The editor who signed it.
    pub editor: String,
    pub title: String,
    pub summary: String,
    pub body: BlobId,
    pub media: Vec<BlobId>,
    /// None for the first publication.
    pub correction: Option<CorrectionNote>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CorrectionNote {
    pub note: String,
    pub major: bool,
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

/// Lowercase ASCII letters, digits and single inner hyphens: safe in a path
/// and in a URL on every copy (web server, static host, file://).
pub fn check_slug(what: &str, s: &str, max: usize) -> Result<(), Rejection> {
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
        Err(Rejection::Invalid(format!(
            "{what} {s:?} must be 1 to {max} lowercase letters, digits and single hyphens"
        )))
    }
}

fn blob_id(what: &str, s: &str) -> Result<BlobId, Rejection> {
    s.parse().map_err(|_| {
        Rejection::Invalid(format!(
            "{what} {s:?} is not a blob ID (64 lowercase hex digits)"
        ))
    })
}

fn check_summary(s: &str) -> Result<(), Rejection> {
    if s.len() > MAX_SUMMARY_LEN {
        return Err(Rejection::Invalid(format!(
            "a summary may have at most {MAX_SUMMARY_LEN} bytes"
        )));
    }
    Ok(())
}

fn media(ids: &[String]) -> Result<Vec<BlobId>, Rejection> {
    if ids.len() > MAX_MEDIA {
        return Err(Rejection::Invalid(format!(
            "at most {MAX_MEDIA} media blobs per article"
        )));
    }
    ids.iter().map(|m| blob_id("media", m)).collect()
}

impl State {
    fn require_editor(&self, handle: &str, time: u64, what: &str) -> Result<(), Rejection> {
        if self.is_editor(handle, time) {
            Ok(())
        } else {
            Err(Rejection::NotPermitted(format!(
                "only editors {what}; {handle} holds no current board seat (members elect the board; see `erkin board`)"
            )))
        }
    }

    /// Redacted content may not come back under another article.
    fn refuse_redacted(&self, body: &BlobId, media: &[BlobId]) -> Result<(), Rejection> {
        let gone = self.redacted_blobs();
        if let Some(id) = std::iter::once(body)
            .chain(media)
            .find(|id| gone.contains(id))
        {
            return Err(Rejection::NotPermitted(format!(
                "blob {id} was redacted by a vote of the members and may not be published again"
            )));
        }
        Ok(())
    }

    pub(crate) fn publish(
        &mut self,
        index: u64,
        leaf: &Hash,
        editor: &str,
        time: u64,
        p: &Publish,
    ) -> Result<(), Rejection> {
        self.require_editor(editor, time, "publish")?;
        check_slug("the slug", &p.slug, MAX_SLUG_LEN)?;
        if self.articles.contains_key(&p.slug) {
            return Err(Rejection::Invalid(format!(
                "a/{}/ already exists; use a correction to change it",
                p.slug
            )));
        }
        if !self.charter.languages.contains(&p.lang) {
            return Err(Rejection::Invalid(format!(
                "language {:?} is not one of the charter's languages ({})",
                p.lang,
                self.charter.languages.join(", ")
            )));
        }
        check_text("a title", &p.title, MAX_TITLE_LEN)?;
        check_summary(&p.summary)?;
        if p.authors.is_empty() && p.bylines.is_empty() {
            return Err(Rejection::Invalid(
                "an article needs an author or a byline".into(),
            ));
        }
        for a in &p.authors {
            if !self.members.contains_key(a) {
                return Err(Rejection::Invalid(format!(
                    "author {a:?} is not a member (use a byline for others)"
                )));
            }
        }
        if p.bylines.len() > MAX_BYLINES {
            return Err(Rejection::Invalid(format!("at most {MAX_BYLINES} bylines")));
        }
        for b in &p.bylines {
            check_text("a byline", b, 100)?;
        }
        if p.tags.len() > MAX_TAGS {
            return Err(Rejection::Invalid(format!("at most {MAX_TAGS} tags")));
        }
        for t in &p.tags {
            check_slug("the tag", t, MAX_TAG_LEN)?;
        }
        if let Some(original) = &p.translation_of {
            let Some(o) = self.articles.get(original) else {
                return Err(Rejection::Invalid(format!(
                    "translation_of: no article a/{original}/"
                )));
            };
            if o.lang == p.lang {
                return Err(Rejection::Invalid(format!(
                    "translation_of: a/{original}/ is already in {}",
                    p.lang
                )));
            }
        }
        if p.first_published.is_some_and(|d| d > time) {
            return Err(Rejection::Invalid(
                "first_published may not be later than the entry itself".into(),
            ));
        }
        let body = blob_id("the body", &p.body)?;
        let media = media(&p.media)?;
        self.refuse_redacted(&body, &media)?;
        self.articles.insert(
            p.slug.clone(),
            Article {
                slug: p.slug.clone(),
                lang: p.lang.clone(),
                authors: p.authors.clone(),
                bylines: p.bylines.clone(),
                tags: p.tags.clone(),
                translation_of: p.translation_of.clone(),
                first_published: p.first_published,
                revisions: vec![Revision {
                    index,
                    entry_hash: hex::encode(leaf.0),
                    time,
                    editor: editor.to_string(),
                    title: p.title.clone(),
                    summary: p.summary.clone(),
                    body,
                    media,
                    correction: None,
                }],
            },
        );
        Ok(())
    }

    pub(crate) fn correct(
        &mut self,
        index: u64,
        leaf: &Hash,
        editor: &str,
        time: u64,
        c: &Correct,
    ) -> Result<(), Rejection> {
        self.require_editor(editor, time, "correct articles")?;
        if !self.articles.contains_key(&c.slug) {
            return Err(Rejection::Invalid(format!("no article a/{}/", c.slug)));
        }
        if self.retracted.contains(&c.slug) || self.redacted.contains(&c.slug) {
            return Err(Rejection::NotPermitted(format!(
                "a/{}/ was retracted or redacted by a vote of the members; it cannot be corrected",
                c.slug
            )));
        }
        check_text("a title", &c.title, MAX_TITLE_LEN)?;
        check_summary(&c.summary)?;
        check_text("a correction note", &c.note, MAX_STATEMENT_LEN)?;
        let body = blob_id("the body", &c.body)?;
        let media = media(&c.media)?;
        self.refuse_redacted(&body, &media)?;
        self.articles
            .get_mut(&c.slug)
            .expect("checked above")
            .revisions
            .push(Revision {
                index,
                entry_hash: hex::encode(leaf.0),
                time,
                editor: editor.to_string(),
                title: c.title.clone(),
                summary: c.summary.clone(),
                body,
                media,
                correction: Some(CorrectionNote {
                    note: c.note.clone(),
                    major: c.major,
                }),
            });
        Ok(())
    }
}
