//! What a run of entries changed, for readers: which articles, and whether
//! the cooperative's pages or everything changed. The renderer uses it to
//! render only the pages a run of entries can alter (an incremental export
//! or re-render costs the change, not the archive).
//!
//! It is classified from the entries' actions, read against the state
//! *after* them (a `close` names a proposal whose motion and outcome the
//! state knows; a redacted blob is looked up among the articles). Pure: no
//! I/O, no clock.
//!
//! Why not [`State::touched_articles`]: that set is "articles changed since
//! the last stored snapshot", cleared whenever a snapshot is written; a copy
//! may be many snapshots behind (or ahead of a snapshot), so the copy's own
//! size, and the entries after it, are the only base that fits every copy.

use std::collections::BTreeSet;

use crate::action::{Action, Motion};
use crate::state::State;

/// What changed for readers between two sizes of a log.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// Every page may have changed: the charter (languages, time zone,
    /// rules), the founding, or a copy whose state is unknown.
    pub everything: bool,
    /// Articles published in the run (new to every list that holds them).
    pub published: BTreeSet<String>,
    /// Articles already listed whose pages or list entries changed:
    /// corrected, retracted, redacted, or a blob of theirs redacted.
    pub altered: BTreeSet<String>,
    /// The cooperative's and the mirrors' pages: members, the board,
    /// proposals and votes, statements, keys, mirrors, tip readers.
    pub governance: bool,
    /// The log time moved (a tick): the cooperative's front page names the
    /// time zone's offset at the log time.
    pub clock: bool,
}

impl Changes {
    /// Everything changed (a fresh copy, a charter amendment).
    pub fn everything() -> Self {
        Changes {
            everything: true,
            ..Changes::default()
        }
    }

    /// Nothing a reader sees changed.
    pub fn is_empty(&self) -> bool {
        !self.everything
            && !self.governance
            && !self.clock
            && self.published.is_empty()
            && self.altered.is_empty()
    }

    /// Every article named, published or altered.
    pub fn articles(&self) -> impl Iterator<Item = &str> {
        self.published.union(&self.altered).map(String::as_str)
    }

    /// Classifies `actions` (the entries of a run, in log order), with
    /// `state` the state after the run.
    pub fn of<'a>(actions: impl IntoIterator<Item = &'a Action>, state: &State) -> Self {
        let mut c = Changes::default();
        let mut blobs: BTreeSet<String> = BTreeSet::new();
        for action in actions {
            match action {
                Action::Genesis(_) => c.everything = true,
                Action::Tick(_) => c.clock = true,
                Action::Publish(p) => {
                    c.published.insert(p.slug.clone());
                }
                Action::Correct(x) => {
                    c.altered.insert(x.slug.clone());
                }
                Action::Close(x) => {
                    c.governance = true;
                    let Some(p) = state.proposal(x.proposal) else {
                        // Not in the state after the run: assume the worst.
                        c.everything = true;
                        continue;
                    };
                    if !p.outcome.as_ref().is_some_and(|o| o.passed) {
                        continue;
                    }
                    match &p.motion {
                        Motion::Amend { .. } => c.everything = true,
                        Motion::Retract { article, .. } => {
                            c.altered.insert(article.clone());
                        }
                        Motion::Redact { target, .. } => {
                            if state.article(target).is_some() {
                                c.altered.insert(target.clone());
                            } else {
                                blobs.insert(target.clone());
                            }
                        }
                        _ => {}
                    }
                }
                // Every other action (statements, proposals, votes,
                // nominations, keys, resignations, mirrors, tip readers,
                // and any added later) shows on the cooperative's or the
                // mirrors' pages only.
                _ => c.governance = true,
            }
        }
        if !blobs.is_empty() {
            // A redacted blob: every article any revision of which names it.
            for a in state.articles_uncached() {
                if a.blobs().any(|b| blobs.contains(&b.to_string())) {
                    c.altered.insert(a.slug.clone());
                }
            }
        }
        // Published in the run is not also "altered".
        let published = &c.published;
        c.altered.retain(|s| !published.contains(s));
        c
    }
}
