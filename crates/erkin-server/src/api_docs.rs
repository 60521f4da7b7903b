//! The JSON API documents (`api/v1/...`), made from the state when asked
//! for, one at a time, rather than all of them at every render.
//!
//! The mapping from the state to the typed documents of [`erkin_core::api`]
//! is erkin-views' (`erkin_views::api::documents`, which makes every
//! document at once); it is repeated here, a document at a time, until
//! erkin-views offers one document by path (see the serve's notes in
//! docs/ARCHITECTURE.md). The suite checks that every document served
//! equals, byte for byte, the one `erkin_views::api::documents` makes.

use erkin_core::api::{
    article_path, ArticleDocument, ArticleSummary, CorrectionDocument, OutcomeDocument,
    ProposalDocument, RevisionDocument, StateDocument, ARTICLES_PATH, STATE_PATH,
};
use erkin_core::article::{Article, Revision};
use erkin_core::governance::{Outcome, Proposal};
use erkin_core::state::State;

/// What a JSON API path is.
pub enum Doc<'a> {
    /// The list of every article (grows with the archive).
    List,
    State,
    Article(&'a str),
}

/// The document `path` names (a layout path: `api/v1/...`), if any.
pub fn doc_of(path: &str) -> Option<Doc<'_>> {
    if path == ARTICLES_PATH {
        return Some(Doc::List);
    }
    if path == STATE_PATH {
        return Some(Doc::State);
    }
    let slug = path.strip_prefix(ARTICLES_PATH)?.strip_prefix('/')?;
    (!slug.is_empty() && !slug.contains('/')).then_some(Doc::Article(slug))
}

/// The bytes of the document, as `erkin_views::api::documents` writes
/// them; `None` for an article the state does not have, and for the list
/// (which grows with the archive, so it is never made whole: see
/// [`list_items`]).
pub fn bytes(state: &State, doc: &Doc<'_>) -> Option<Vec<u8>> {
    match doc {
        // Streamed a batch at a time: `list_items`.
        Doc::List => None,
        Doc::State => Some(json(&state_document(state))),
        Doc::Article(slug) => {
            let a = state.article(slug)?;
            debug_assert_eq!(article_path(&a.slug), format!("{ARTICLES_PATH}/{slug}"));
            Some(json(&document(state, a)))
        }
    }
}

/// The whole-archive list, written a batch of articles at a time: the
/// bytes of `serde_json::to_vec_pretty(&ArticleList { .. })` and a final
/// newline, as erkin-views writes them, without the list in memory. It
/// begins with [`LIST_HEAD`], then each article's item ([`list_items`]),
/// then [`LIST_TAIL`]; with no article it is [`LIST_EMPTY`].
pub const LIST_HEAD: &[u8] = b"{\n  \"articles\": [\n";
pub const LIST_TAIL: &[u8] = b"\n  ]\n}\n";
pub const LIST_EMPTY: &[u8] = b"{\n  \"articles\": []\n}\n";

/// The items of the articles `skip..skip + take` (in the state's order,
/// the list's), each preceded by `,\n` unless it is the very first.
pub fn list_items(state: &State, skip: usize, take: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, a) in state.articles().skip(skip).take(take).enumerate() {
        if skip + i > 0 {
            out.extend_from_slice(b",\n");
        }
        item(&mut out, &summary(state, a));
    }
    out
}

/// One summary as an item of the pretty-printed list: its own pretty JSON
/// with every line indented by four spaces (JSON strings hold no raw
/// newline, so every line break is the printer's).
fn item(out: &mut Vec<u8>, s: &ArticleSummary) {
    let pretty = serde_json::to_vec_pretty(s).unwrap_or_default();
    for (i, line) in pretty.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(b"    ");
        out.extend_from_slice(line);
    }
}

/// Pretty-printed, with a final newline (as erkin-views writes them).
fn json(value: &impl serde::Serialize) -> Vec<u8> {
    // Serializing these structs cannot fail: every key is a string and
    // nothing holds a non-finite float.
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

fn summary(state: &State, a: &Article) -> ArticleSummary {
    let r = a.current();
    ArticleSummary {
        slug: a.slug.clone(),
        lang: a.lang.clone(),
        title: r.title.clone(),
        summary: r.summary.clone(),
        authors: a.authors.clone(),
        bylines: a.bylines.clone(),
        tags: a.tags.clone(),
        published: a.published_at(),
        updated: a.updated_at(),
        retracted: state.retracted().contains(&a.slug),
        redacted: state.redacted().contains(&a.slug),
        url: format!("a/{}/", a.slug),
    }
}

fn document(state: &State, a: &Article) -> ArticleDocument {
    let s = summary(state, a);
    ArticleDocument {
        slug: s.slug,
        lang: s.lang,
        title: s.title,
        summary: s.summary,
        authors: s.authors,
        bylines: s.bylines,
        tags: s.tags,
        published: s.published,
        updated: s.updated,
        retracted: s.retracted,
        redacted: s.redacted,
        url: s.url,
        translation_of: a.translation_of.clone(),
        revisions: a.revisions.iter().map(revision).collect(),
    }
}

fn revision(r: &Revision) -> RevisionDocument {
    RevisionDocument {
        index: r.index,
        entry_hash: r.entry_hash.clone(),
        time: r.time,
        editor: r.editor.clone(),
        title: r.title.clone(),
        summary: r.summary.clone(),
        body: r.body,
        media: r.media.clone(),
        correction: r.correction.as_ref().map(|c| CorrectionDocument {
            note: c.note.clone(),
            major: c.major,
        }),
    }
}

/// [`State::digest`] without the state's whole JSON in memory: the same
/// compact JSON, hashed as it is written (at 100,000 articles the JSON is
/// tens of megabytes).
fn digest(state: &State) -> [u8; 32] {
    use sha2::Digest as _;
    struct Hashing(sha2::Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Hashing(sha2::Sha256::new());
    match serde_json::to_writer(&mut h, state) {
        Ok(()) => h.0.finalize().into(),
        Err(_) => state.digest(),
    }
}

/// The proposals of the state document, without the rest (the desk's).
pub(crate) fn proposals(state: &State) -> Vec<ProposalDocument> {
    state.proposals().map(|p| proposal(state, p)).collect()
}

pub(crate) fn state_document(state: &State) -> StateDocument {
    StateDocument {
        origin: state.origin().to_string(),
        name: state.name().to_string(),
        verifier_key: state.log_key().as_str().to_string(),
        size: state.size(),
        digest: digest(state),
        members: state.members().map(|m| m.handle.clone()).collect(),
        board: state.board().to_vec(),
        charter: state.charter().clone(),
        proposals: state.proposals().map(|p| proposal(state, p)).collect(),
    }
}

fn proposal(state: &State, p: &Proposal) -> ProposalDocument {
    ProposalDocument {
        id: p.id,
        proposer: p.proposer.clone(),
        title: p.title.clone(),
        motion: p.motion.clone(),
        opened_at: p.opened_at,
        closes_at: p.closes_at,
        rule: p.rule,
        electorate: p.electorate.clone(),
        votes: p.votes.clone(),
        seed: p.seed,
        outcome: p.outcome.as_ref().map(outcome),
        nominations: p.nominations.clone(),
        standing: match (&p.rule, &p.outcome) {
            (erkin_core::governance::Judged::Election(_), Some(o)) => {
                state.stv_election(p, &o.counted).candidates
            }
            _ => Vec::new(),
        },
    }
}

fn outcome(o: &Outcome) -> OutcomeDocument {
    OutcomeDocument {
        closed_at: o.closed_at,
        closed_by: o.closed_by,
        quorum_met: o.quorum_met,
        passed: o.passed,
        tally: o.tally,
        counted: o.counted.clone(),
        elected: o.elected.clone(),
        effect: o.effect.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use erkin_core::api::ArticleList;

    fn summary(n: usize) -> ArticleSummary {
        ArticleSummary {
            slug: format!("story-{n}"),
            lang: "kk".into(),
            title: format!("Title \"{n}\"\nwith a newline"),
            summary: String::new(),
            authors: vec!["aigerim".into(), "dauren".into()],
            bylines: vec![],
            tags: vec!["tag".into()],
            published: 1_790_000_000 + n as u64,
            updated: n.is_multiple_of(2).then_some(1_790_000_100),
            retracted: false,
            redacted: n == 2,
            url: format!("a/story-{n}/"),
        }
    }

    #[test]
    fn the_list_written_in_pieces_is_the_pretty_printed_list() {
        let empty = json(&ArticleList { articles: vec![] });
        assert_eq!(empty, LIST_EMPTY);
        for n in 1..4 {
            let articles: Vec<_> = (0..n).map(summary).collect();
            let whole = json(&ArticleList {
                articles: articles.clone(),
            });
            let mut pieces = LIST_HEAD.to_vec();
            for (i, a) in articles.iter().enumerate() {
                if i > 0 {
                    pieces.extend_from_slice(b",\n");
                }
                item(&mut pieces, a);
            }
            pieces.extend_from_slice(LIST_TAIL);
            assert_eq!(
                String::from_utf8(pieces).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }
    }
}
