//! The JSON API documents (`api/v1/...`, served by the live server only):
//! the state put into the typed documents of [`erkin_core::api`], as bytes.
//! The server serves them as they are; clients parse the same structs.

use erkin_core::api::{
    article_path, ArticleDocument, ArticleList, ArticleSummary, CorrectionDocument,
    OutcomeDocument, ProposalDocument, RevisionDocument, StateDocument, ARTICLES_PATH, STATE_PATH,
};
use erkin_core::article::{Article, Revision};
use erkin_core::governance::{Outcome, Proposal};
use erkin_core::state::State;

use crate::File;

/// Every JSON API document of `state`: the list of articles, one document
/// per article, and the state.
pub fn documents(state: &State) -> Vec<File> {
    let mut out = vec![json_file(
        ARTICLES_PATH.into(),
        &ArticleList {
            articles: state.articles().map(|a| summary(state, a)).collect(),
        },
    )];
    for a in state.articles() {
        out.push(json_file(article_path(&a.slug), &document(state, a)));
    }
    out.push(json_file(STATE_PATH.into(), &state_document(state)));
    out
}

/// A JSON file: pretty-printed, with a final newline.
pub(crate) fn json_file(path: String, value: &impl serde::Serialize) -> File {
    File {
        path,
        bytes: json(value),
    }
}

/// A document's bytes: pretty-printed, with a final newline.
pub fn json(value: &impl serde::Serialize) -> Vec<u8> {
    // Serializing these structs cannot fail: every key is a string and
    // nothing holds a non-finite float.
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The list item of article `a`.
pub fn summary(state: &State, a: &Article) -> ArticleSummary {
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

/// The document of article `a` (`api/v1/articles/<slug>`).
pub fn document(state: &State, a: &Article) -> ArticleDocument {
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
        entry_hash: r.entry_hash.to_string(),
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

/// The state document (`api/v1/state`).
pub fn state_document(state: &State) -> StateDocument {
    StateDocument {
        origin: state.origin().to_string(),
        name: state.name().to_string(),
        verifier_key: state.log_key().as_str().to_string(),
        size: state.size(),
        digest: state.digest(),
        members: state.members().map(|m| m.handle.clone()).collect(),
        board: state.board().to_vec(),
        charter: state.charter().clone(),
        proposals: state.proposals().map(|p| proposal(state, p)).collect(),
        ballot_box: state.ballot_box().map(str::to_string),
    }
}

/// One proposal as the state document shows it.
pub fn proposal(state: &State, p: &Proposal) -> ProposalDocument {
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
        secret: p.secret.as_deref().cloned(),
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
        secret: o.secret.clone(),
    }
}
