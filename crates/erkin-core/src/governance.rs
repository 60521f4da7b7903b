//! Proposals, votes and closing: the members' democratic control.
//!
//! Rules this file keeps (each is also in docs/GOVERNANCE.md):
//! - **Who votes.** The electorate is fixed when a proposal is made: the
//!   members at that moment. A member admitted later does not vote on it; a
//!   member who leaves before it closes no longer counts, and neither does
//!   their vote.
//! - **Last vote counts.** A member may vote again until the proposal closes;
//!   only their latest vote is counted.
//! - **Deadlines are log time.** A vote reaching the log at or after
//!   `closes_at` is refused. A proposal may be closed, by any member or by
//!   the log key (the sequencer closing it at its deadline), once
//!   `closes_at` has passed, or earlier once every eligible member has
//!   voted.
//! - **Rules in force when proposed.** A proposal is judged by the charter's
//!   rule at the time it was made; a charter amendment applies only to
//!   proposals made after it passes. Effects (such as a board's term) use the
//!   charter in force when the proposal closes.
//! - **Passing.** A yes/no proposal passes when the quorum is met (voters,
//!   abstentions included, ≥ quorum × eligible) and the threshold holds; it
//!   never passes without a yes. An election passes when the quorum is met
//!   and some ballot ranks a standing candidate (otherwise `NobodyRanked`);
//!   seats are filled by STV (see `stv.rs`), the new board replacing the old,
//!   with the lot seeded at the close ([`lot_seed`]).
//! - **Nominations.** An election (or by-election) states its seats and a
//!   nomination deadline (log time, at least the charter's nomination
//!   period away); until it, members nominate (self-nomination is consent;
//!   anyone else stands only after their own `consent` entry); after it,
//!   ballots rank only consenting nominees and "re-open nominations"
//!   ([`REOPEN_NOMINATIONS`]), counted like a candidate: a seat it wins
//!   stays vacant. Fewer consenting candidates (still members) than seats:
//!   the election is void (`TooFewCandidates`).
//! - **By-elections** fill vacant seats, the sitting editors staying, until
//!   the sitting board's term ends; a **recall** vacates one editor's seat
//!   (the one held when it was proposed), keeping the membership.
//! - **Secret proposals** (a charter rule with `secret`, docs/BALLOT.md):
//!   members do not `vote`; the sequencer publishes their anonymous
//!   ballots (proofs of membership in the electorate tree fixed when the
//!   proposal was made, `secret.rs`) in one sorted run right before its
//!   close, at the deadline, and the last ballot per nullifier counts.
//!   Nobody, the fold included, knows whose ballots they are.
//! - **Effects that can no longer happen** (admitting a handle someone else
//!   took meanwhile, removing the last member) are recorded as passed without
//!   effect, with the reason.

//!
//! The rules read the state through [`Facts`] and return a
//! [`GovernanceChange`] (check → change); only the fold (`state.rs`) applies
//! it (commit). The effect of a decision is a typed [`Effect`]; sentences
//! about it are built by the views and the command line.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tlog_tiles::Hash;

use crate::action::{
    Ballot, CastBallot, Consent, Motion, Nominate, Propose, Seal, Vote, MAX_FOUNDERS,
    MAX_STATEMENT_LEN, MAX_TITLE_LEN, REOPEN_NOMINATIONS,
};
use crate::article::Articles;
use crate::ballot_keys::BallotKeys;
use crate::charter::{
    amendment_min_hours, judge_amendment, quorum_met, Charter, ElectionRule, Rule, Tally, MAX_HOURS,
};
use crate::keys::VerifierKey;
use crate::members::{Member, Roll, Seat, DAY_SECS};
use crate::rejection::{check_text, BallotKind, KeyConflict, KeyField, Rejection, TextField};
use crate::secret::{PublishedBallot, SecretTally, SecretVote};
use crate::stv;

/// Longest article slug or redaction target named in a motion.
pub const MAX_TARGET_LEN: usize = 256;

/// The rule a proposal is judged by, fixed when it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Judged {
    Vote(Rule),
    Election(ElectionRule),
}

impl Judged {
    /// Whether the rule decides by secret ballot.
    pub fn secret(&self) -> bool {
        match self {
            Judged::Vote(r) => r.secret,
            Judged::Election(r) => r.secret,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// The log index of the `propose` entry.
    pub id: u64,
    pub proposer: String,
    pub title: String,
    pub motion: Motion,
    pub opened_at: u64,
    pub closes_at: u64,
    pub rule: Judged,
    pub electorate: BTreeSet<String>,
    pub votes: BTreeMap<String, Ballot>,
    /// Seeds the STV lot; drawn when the proposal closes from the log's state
    /// at the close ([`lot_seed`]), so nobody can choose it once the
    /// candidates are known. All zeros while the proposal is open.
    #[serde(serialize_with = "hex_bytes", deserialize_with = "de_hex_bytes")]
    pub seed: [u8; 32],
    pub outcome: Option<Outcome>,
    /// For an amendment: the charter in force when it was proposed, so that
    /// what it changes can be shown ([`Proposal::charter_changes`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charter_in_force: Option<Box<Charter>>,
    /// For an election: the members nominated, by handle.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub nominations: BTreeMap<String, Nomination>,
    /// For a proposal made under a secret rule: its scope, electorate tree
    /// and published ballots (`secret.rs`); `votes` stays empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<Box<SecretVote>>,
}

/// One nomination in an election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nomination {
    /// Who nominated them (the nominee, for a self-nomination).
    pub by: String,
    /// The log index of the nomination entry.
    pub at: u64,
    /// Whether the nominee consented to stand: a self-nomination is
    /// consent; otherwise the nominee's own `consent` entry, before the
    /// nomination deadline.
    pub consented: bool,
}

impl Proposal {
    /// For an election: the nominees who consented to stand, by handle
    /// (the ballot's candidates, with [`REOPEN_NOMINATIONS`]).
    pub fn candidates(&self) -> Vec<String> {
        self.nominations
            .iter()
            .filter(|(_, n)| n.consented)
            .map(|(h, _)| h.clone())
            .collect()
    }

    /// For an amendment, the rules it changes (in force → proposed); empty
    /// for other motions.
    pub fn charter_changes(&self) -> Vec<crate::charter::CharterChange> {
        match (&self.motion, &self.charter_in_force) {
            (Motion::Amend { charter }, Some(old)) => crate::charter::changes(old, charter),
            _ => Vec::new(),
        }
    }
}

fn hex_bytes<S: serde::Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

/// Reads what [`hex_bytes`] wrote (a state snapshot).
fn de_hex_bytes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    let text = String::deserialize(d)?;
    let mut out = [0u8; 32];
    hex::decode_to_slice(text, &mut out).map_err(serde::de::Error::custom)?;
    Ok(out)
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub closed_at: u64,
    /// Log index of the `close` entry.
    pub closed_by: u64,
    pub quorum_met: bool,
    pub passed: bool,
    /// For elections: `yes` counts ranked ballots, `abstain` empty ones.
    pub tally: Tally,
    /// Members whose votes were counted (eligible at close).
    pub counted: Vec<String>,
    /// For elections: the handles elected, in order of election.
    pub elected: Vec<String>,
    /// What the decision did.
    pub effect: Effect,
    /// For a secret proposal: turnout, departures and the tree's roots
    /// (`counted` is empty: nobody knows whose ballots counted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<SecretTally>,
}

/// What a closed proposal did, as data. Exhaustive on purpose: whoever puts
/// it into words (the views, in every language) must say every case. In JSON: an object whose `kind` names
/// the case (`{"kind": "admitted", "handle": "saule"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Effect {
    /// Failed: too few members took part.
    NoQuorum,
    /// Failed: the quorum was met, the threshold was not (for an election:
    /// nobody was elected).
    Rejected,
    /// Passed: `handle` is a member.
    Admitted { handle: String },
    /// Passed: `handle` is no longer a member.
    Removed { handle: String },
    /// Passed: these members hold the board's seats until `term_ends` (log
    /// time); `vacant` seats went to "re-open nominations" and stay empty.
    BoardElected {
        seats: Vec<String>,
        term_ends: u64,
        #[serde(default, skip_serializing_if = "is_zero")]
        vacant: u32,
    },
    /// Passed (a by-election): these members join the sitting board until
    /// `term_ends` (the sitting board's term); `vacant` seats went to
    /// "re-open nominations" and stay empty.
    ByElected {
        seats: Vec<String>,
        term_ends: u64,
        vacant: u32,
    },
    /// Passed: `handle` no longer holds a board seat (and stays a member).
    Recalled { handle: String },
    /// Failed: fewer candidates who consented (and are still members) than
    /// seats; the election is void and no seat changes.
    TooFewCandidates { candidates: u32, seats: u32 },
    /// Passed: the motion's charter is in force.
    CharterAmended,
    /// Passed: the article `slug` stands retracted.
    Retracted { slug: String },
    /// Passed: the article or blob `target` is redacted.
    Redacted { target: String },
    /// Passed: a resolution, which changes nothing in the state.
    Resolved,
    /// Passed: these members (and no others) are the tip readers.
    TipReadersAppointed { handles: Vec<String> },
    /// Failed: an election in which the quorum took part but no ballot
    /// ranked any candidate still standing; no seat is filled by lot.
    NobodyRanked,
    /// Passed, but what it asked can no longer happen.
    CouldNotTakeEffect { why: NoEffect },
}

/// Why a passed motion could not take effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NoEffect {
    /// The admitted handle was taken by someone admitted meanwhile.
    HandleTaken { handle: String },
    /// The admitted key's name is the origin.
    HandleIsOrigin,
    /// Another member holds the admitted key.
    KeyTaken,
    /// The member to remove had already left.
    AlreadyLeft { handle: String },
    /// A removal would leave no members.
    LastMember,
    /// The editor to recall no longer holds the seat they held when the
    /// recall was proposed.
    NotOnBoard { handle: String },
    /// A by-election elected more than the seats vacant at its close.
    NoVacancy { vacant: u32 },
    /// An amendment would make a vote on people open again, which the
    /// charter in force at its close makes secret (another amendment made
    /// it secret after this one was proposed): `field` names it
    /// (`elect.secret`, `remove.secret`, `recall.secret`).
    SecretEntrenched { field: String },
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl From<KeyConflict> for NoEffect {
    fn from(c: KeyConflict) -> Self {
        match c {
            KeyConflict::HandleTaken { handle } => NoEffect::HandleTaken { handle },
            KeyConflict::HandleIsOrigin => NoEffect::HandleIsOrigin,
            KeyConflict::KeyTaken => NoEffect::KeyTaken,
        }
    }
}

impl Effect {
    /// Whether the motion took effect (it passed and changed what it asked).
    pub fn took_effect(&self) -> bool {
        !matches!(
            self,
            Effect::NoQuorum
                | Effect::Rejected
                | Effect::NobodyRanked
                | Effect::TooFewCandidates { .. }
                | Effect::CouldNotTakeEffect { .. }
        )
    }
}

impl Charter {
    /// The rule this charter applies to a motion of this kind.
    pub fn rule_for(&self, motion: &Motion) -> Judged {
        match motion {
            Motion::Admit { .. } => Judged::Vote(self.admit),
            Motion::Remove { .. } => Judged::Vote(self.remove),
            Motion::Elect { .. } | Motion::ByElection { .. } => Judged::Election(self.elect),
            Motion::Recall { .. } => Judged::Vote(self.recall),
            Motion::Amend { .. } => Judged::Vote(self.amend),
            Motion::Retract { .. } => Judged::Vote(self.retract),
            Motion::Redact { .. } => Judged::Vote(self.redact),
            Motion::Resolution { .. } => Judged::Vote(self.resolution),
            Motion::TipReaders { .. } => Judged::Vote(self.admit),
        }
    }

    /// The shortest voting period this charter allows for the motion. An
    /// amendment that loosens the amendment rule is held to the entrenched
    /// period at least ([`crate::charter::ENTRENCHED_AMEND`]).
    pub fn min_hours(&self, motion: &Motion) -> u32 {
        match (self.rule_for(motion), motion) {
            (Judged::Vote(r), Motion::Amend { charter }) => amendment_min_hours(&r, charter),
            (Judged::Vote(r), _) => r.min_hours,
            (Judged::Election(r), _) => r.min_hours,
        }
    }
}

/// What the governance rules read from the state.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub origin: &'a str,
    pub charter: &'a Charter,
    pub roll: Roll<'a>,
    pub articles: &'a Articles,
    pub retracted: &'a BTreeSet<String>,
    pub proposals: &'a BTreeMap<u64, Proposal>,
    /// The leaf hash of the entry that set the log time (the latest tick).
    pub time_leaf: &'a Hash,
    /// Members' ballot keys: a secret proposal's tree is built from them.
    pub ballot_keys: &'a BallotKeys,
    /// The key secret ballots are verified with; `None`: the pinned key
    /// (always, but in tests standing in for a broken setup).
    pub ballot_verifier: Option<&'a crate::ballot::Verifier>,
}

/// What an accepted propose, vote or close entry changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GovernanceChange {
    /// A new open proposal.
    Proposed(Proposal),
    /// `handle`'s ballot on `proposal`, replacing any earlier one.
    Voted {
        proposal: u64,
        handle: String,
        ballot: Ballot,
    },
    /// `handle` is nominated in election `proposal`.
    Nominated {
        proposal: u64,
        handle: String,
        nomination: Nomination,
    },
    /// `handle` consents to stand in election `proposal`.
    Consented { proposal: u64, handle: String },
    /// A secret ballot on `proposal` is published (its close run is open).
    Balloted {
        proposal: u64,
        ballot: PublishedBallot,
    },
    /// The sequencer seals the ballots it holds for `proposal`'s current
    /// epoch; the entry that changes its tree follows.
    Sealed { proposal: u64, commitment: String },
    /// `proposal` is decided: its outcome, the lot's seed drawn at the
    /// close, and what it changes if it took effect.
    Closed {
        proposal: u64,
        outcome: Outcome,
        edit: Option<Edit>,
        seed: [u8; 32],
    },
}

/// A change to the publication a passed motion makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Admit(Member),
    Remove { handle: String },
    Board(Vec<Seat>),
    Charter(Charter),
    Retract { slug: String },
    Redact { target: String },
    TipReaders(Vec<String>),
}

impl Facts<'_> {
    /// Checks a propose entry made by `proposer` at log `index` and `time`;
    /// `leaf` is the entry's leaf hash (a secret proposal's scope names it).
    pub fn check_propose(
        &self,
        index: u64,
        leaf: &Hash,
        proposer: &str,
        time: u64,
        p: &Propose,
    ) -> Result<GovernanceChange, Rejection> {
        check_text(TextField::ProposalTitle, &p.title, MAX_TITLE_LEN)?;
        let rule = self.charter.rule_for(&p.motion);
        let min_hours = self.charter.min_hours(&p.motion);
        // An election's vote starts at its nomination deadline, which is
        // itself at least the nomination period away.
        let start = match p.motion.election() {
            Some((_, nominations_close)) => {
                let nomination_hours = self.charter.elect.nomination_hours;
                let earliest = time.saturating_add(u64::from(nomination_hours) * 3600);
                if nominations_close < earliest {
                    return Err(Rejection::NominationPeriodTooShort {
                        min_hours: nomination_hours,
                        nominations_close,
                        earliest,
                    });
                }
                nominations_close
            }
            None => time,
        };
        let earliest = start.saturating_add(u64::from(min_hours) * 3600);
        if p.closes_at < earliest {
            return Err(Rejection::PeriodTooShort {
                kind: p.motion.kind(),
                min_hours,
                closes_at: p.closes_at,
                earliest,
            });
        }
        if p.closes_at > time.saturating_add(u64::from(MAX_HOURS) * 3600) {
            return Err(Rejection::OpenTooLong {
                max_hours: MAX_HOURS,
            });
        }
        self.check_motion(time, &p.motion)?;
        let secret = if rule.secret() {
            Some(Box::new(SecretVote::new(
                self.origin,
                index,
                &leaf.0,
                self.roll.members.keys(),
                self.ballot_keys,
            )?))
        } else {
            None
        };
        Ok(GovernanceChange::Proposed(Proposal {
            id: index,
            proposer: proposer.to_string(),
            title: p.title.clone(),
            motion: p.motion.clone(),
            opened_at: time,
            closes_at: p.closes_at,
            rule,
            electorate: self.roll.members.keys().cloned().collect(),
            votes: BTreeMap::new(),
            seed: [0; 32],
            outcome: None,
            charter_in_force: matches!(p.motion, Motion::Amend { .. })
                .then(|| Box::new(self.charter.clone())),
            nominations: BTreeMap::new(),
            secret,
        }))
    }

    /// The board seats held at log `time`: by members, in their term.
    fn sitting(&self, time: u64) -> impl Iterator<Item = &Seat> {
        self.roll
            .board
            .iter()
            .filter(move |s| self.roll.is_member(&s.handle) && s.since <= time && time < s.until)
    }

    /// The seats vacant at log `time`: the charter's seats less those held.
    pub fn vacancies(&self, time: u64) -> u32 {
        let held = self.sitting(time).count() as u64;
        u64::from(self.charter.board.seats).saturating_sub(held) as u32
    }

    fn check_motion(&self, time: u64, motion: &Motion) -> Result<(), Rejection> {
        match motion {
            Motion::Admit { key } => {
                let key = VerifierKey::parse(key).map_err(|source| Rejection::BadKey {
                    field: KeyField::Admit,
                    source,
                })?;
                self.roll
                    .key_conflict(&key, self.origin)
                    .map_err(Rejection::KeyConflict)
            }
            Motion::Remove { handle } => {
                if !self.roll.is_member(handle) {
                    return Err(Rejection::UnknownMember {
                        handle: handle.clone(),
                    });
                }
                Ok(())
            }
            Motion::Elect { seats, .. } => {
                if *seats != self.charter.board.seats {
                    return Err(Rejection::SeatsMismatch {
                        charter: self.charter.board.seats,
                        asked: *seats,
                    });
                }
                Ok(())
            }
            Motion::ByElection { seats, .. } => {
                let vacant = self.vacancies(time);
                if *seats == 0 || *seats > vacant {
                    return Err(Rejection::NoVacancy {
                        asked: *seats,
                        vacant,
                    });
                }
                Ok(())
            }
            Motion::Recall { handle } => {
                if !self.sitting(time).any(|s| s.handle == *handle) {
                    return Err(Rejection::NotOnBoard {
                        handle: handle.clone(),
                    });
                }
                Ok(())
            }
            Motion::Amend { charter } => charter
                .validate()
                .and_then(|()| charter.check_amendment_of(self.charter))
                .map_err(Rejection::BadCharter),
            Motion::Retract { article, reason } => {
                check_text(TextField::Reason, reason, MAX_STATEMENT_LEN)?;
                if !self.articles.contains_key(article) {
                    return Err(Rejection::NoSuchArticle {
                        slug: article.clone(),
                    });
                }
                if self.retracted.contains(article) {
                    return Err(Rejection::AlreadyRetracted {
                        slug: article.clone(),
                    });
                }
                Ok(())
            }
            Motion::Redact { target, reason } => {
                check_text(TextField::RedactionTarget, target, MAX_TARGET_LEN)?;
                check_text(TextField::Reason, reason, MAX_STATEMENT_LEN)?;
                let is_article = self.articles.contains_key(target);
                let is_blob = target
                    .parse::<crate::blob::BlobId>()
                    .is_ok_and(|id| self.articles.values().any(|a| a.blobs().any(|b| *b == id)));
                if !is_article && !is_blob {
                    return Err(Rejection::NoRedactionTarget {
                        target: target.clone(),
                    });
                }
                Ok(())
            }
            Motion::Resolution { text } => {
                check_text(TextField::Resolution, text, MAX_STATEMENT_LEN)
            }
            Motion::TipReaders { handles } => {
                crate::tip_readers::check_appointment(handles, self.roll)
            }
        }
    }

    /// Checks a vote by `handle` at log `time`.
    pub fn check_vote(
        &self,
        handle: &str,
        time: u64,
        v: &Vote,
    ) -> Result<GovernanceChange, Rejection> {
        let p = self.open_proposal(v.proposal)?;
        if p.secret.is_some() {
            return Err(Rejection::SecretBallot { proposal: p.id });
        }
        if time >= p.closes_at {
            return Err(Rejection::VotingEnded {
                proposal: p.id,
                closes_at: p.closes_at,
                time,
            });
        }
        self.check_eligible(handle, p)?;
        if let Some((_, nominations_close)) = p.motion.election() {
            if time < nominations_close {
                return Err(Rejection::NominationsOpen {
                    proposal: p.id,
                    nominations_close,
                    time,
                });
            }
        }
        let ballot = check_choice(p, &v.ballot)?;
        Ok(GovernanceChange::Voted {
            proposal: p.id,
            handle: handle.to_string(),
            ballot,
        })
    }

    /// Checks a secret ballot published by the log key at log `index` and
    /// `time` (docs/BALLOT.md §6, items 2–8; item 1, the signer, is the
    /// fold's).
    pub fn check_ballot(
        &self,
        index: u64,
        time: u64,
        b: &CastBallot,
    ) -> Result<GovernanceChange, Rejection> {
        let p = self
            .proposals
            .get(&b.proposal)
            .ok_or(Rejection::UnknownProposal(b.proposal))?;
        let Some(secret) = p.secret.as_deref() else {
            return Err(Rejection::BallotOnOpenVote { proposal: p.id });
        };
        if p.outcome.is_some() {
            return Err(Rejection::ProposalClosed(p.id));
        }
        if time < p.closes_at {
            return Err(Rejection::BallotTooEarly {
                proposal: p.id,
                closes_at: p.closes_at,
                time,
            });
        }
        let choice = check_choice(p, &b.choice)?;
        let ballot =
            secret.check_ballot(self.origin, p.id, index, b, choice, self.ballot_verifier)?;
        Ok(GovernanceChange::Balloted {
            proposal: p.id,
            ballot,
        })
    }

    /// The sequencer's intake of a secret ballot (docs/BALLOT.md §8 item
    /// 2) at `now`, its clock (or the log time if later): the proposal
    /// exists, is secret, open and before its deadline (`voting_ended`),
    /// an election's nominations have closed; the ballot is against the
    /// proposal's **current** epoch root (`stale_root`: an honest sequencer
    /// takes no ballot against an old tree, so a member who left cannot
    /// vote again even before a seal), its choice fits; then the fold's
    /// own checks of a published ballot ([`SecretVote::check_ballot`]:
    /// encodings, then the proof). Nothing about held ballots (their
    /// `seq`, how many): the sequencer's store judges that.
    pub fn check_intake(
        &self,
        now: u64,
        b: &CastBallot,
    ) -> Result<crate::secret::IntakeBallot, Rejection> {
        let p = self
            .proposals
            .get(&b.proposal)
            .ok_or(Rejection::UnknownProposal(b.proposal))?;
        let Some(secret) = p.secret.as_deref() else {
            return Err(Rejection::BallotOnOpenVote { proposal: p.id });
        };
        if p.outcome.is_some() {
            return Err(Rejection::ProposalClosed(p.id));
        }
        if now >= p.closes_at {
            return Err(Rejection::VotingEnded {
                proposal: p.id,
                closes_at: p.closes_at,
                time: now,
            });
        }
        if let Some((_, nominations_close)) = p.motion.election() {
            if now < nominations_close {
                return Err(Rejection::NominationsOpen {
                    proposal: p.id,
                    nominations_close,
                    time: now,
                });
            }
        }
        let root = crate::ballot::FieldElement::from_hex(&b.root)
            .map_err(|reason| Rejection::BadBallot { reason })?;
        let current = secret
            .roots
            .last()
            .and_then(|r| crate::ballot::FieldElement::from_hex(r).ok());
        if current != Some(root) {
            return Err(Rejection::StaleRoot { proposal: p.id });
        }
        let choice = check_choice(p, &b.choice)?;
        let published =
            secret.check_ballot(self.origin, p.id, 0, b, choice, self.ballot_verifier)?;
        Ok(crate::secret::IntakeBallot {
            proposal: p.id,
            epoch: u64::from(published.epoch),
            hash: b.hash(),
            nullifier: published.nullifier,
            seq: b.seq,
            leaves: secret.voters_possible(),
        })
    }

    /// Checks a seal published by the log key at log `time` (docs/BALLOT.md
    /// §6, "seal"; what must follow it is the fold's).
    pub fn check_seal(&self, time: u64, s: &Seal) -> Result<GovernanceChange, Rejection> {
        let p = self
            .proposals
            .get(&s.proposal)
            .ok_or(Rejection::UnknownProposal(s.proposal))?;
        let Some(secret) = p.secret.as_deref() else {
            return Err(Rejection::BallotOnOpenVote { proposal: p.id });
        };
        if p.outcome.is_some() {
            return Err(Rejection::ProposalClosed(p.id));
        }
        if time >= p.closes_at {
            return Err(Rejection::VotingEnded {
                proposal: p.id,
                closes_at: p.closes_at,
                time,
            });
        }
        if !crate::secret::is_commitment(&s.commitment) {
            return Err(Rejection::BadSeal);
        }
        if secret.seal_pending() {
            return Err(Rejection::SealNotFollowed { proposal: p.id });
        }
        Ok(GovernanceChange::Sealed {
            proposal: p.id,
            commitment: s.commitment.clone(),
        })
    }

    /// Whether `handle` may act on proposal `p`: a member since before it.
    fn check_eligible(&self, handle: &str, p: &Proposal) -> Result<(), Rejection> {
        if !p.electorate.contains(handle) || !self.roll.member_before(handle, p.id) {
            return Err(Rejection::NotEligible {
                handle: handle.to_string(),
                proposal: p.id,
            });
        }
        Ok(())
    }

    /// The open election `id` whose nominations are still open at `time`.
    fn nominating(&self, id: u64, time: u64) -> Result<&Proposal, Rejection> {
        let p = self.open_proposal(id)?;
        let Some((_, nominations_close)) = p.motion.election() else {
            return Err(Rejection::NotAnElection(id));
        };
        if time >= nominations_close {
            return Err(Rejection::NominationsClosed {
                proposal: id,
                nominations_close,
                time,
            });
        }
        Ok(p)
    }

    /// Checks a nomination by `by` at log `index` and `time`.
    pub fn check_nominate(
        &self,
        index: u64,
        by: &str,
        time: u64,
        n: &Nominate,
    ) -> Result<GovernanceChange, Rejection> {
        let p = self.nominating(n.proposal, time)?;
        self.check_eligible(by, p)?;
        if !p.electorate.contains(&n.handle) || !self.roll.member_before(&n.handle, p.id) {
            return Err(Rejection::NomineeNotEligible {
                handle: n.handle.chars().take(300).collect(),
                proposal: p.id,
            });
        }
        if matches!(p.motion, Motion::ByElection { .. })
            && self.sitting(time).any(|s| s.handle == n.handle)
        {
            return Err(Rejection::AlreadyOnBoard {
                handle: n.handle.clone(),
            });
        }
        if p.nominations.contains_key(&n.handle) {
            return Err(Rejection::AlreadyNominated {
                handle: n.handle.clone(),
                proposal: p.id,
            });
        }
        if p.nominations.len() >= MAX_FOUNDERS {
            return Err(Rejection::TooManyNominees { max: MAX_FOUNDERS });
        }
        Ok(GovernanceChange::Nominated {
            proposal: p.id,
            handle: n.handle.clone(),
            nomination: Nomination {
                by: by.to_string(),
                at: index,
                consented: by == n.handle,
            },
        })
    }

    /// Checks `handle`'s consent to stand, at log `time`.
    pub fn check_consent(
        &self,
        handle: &str,
        time: u64,
        c: &Consent,
    ) -> Result<GovernanceChange, Rejection> {
        let p = self.nominating(c.proposal, time)?;
        if !self.roll.member_before(handle, p.id) {
            return Err(Rejection::NomineeNotEligible {
                handle: handle.to_string(),
                proposal: p.id,
            });
        }
        match p.nominations.get(handle) {
            None => Err(Rejection::NotNominated {
                handle: handle.to_string(),
                proposal: p.id,
            }),
            Some(n) if n.consented => Err(Rejection::AlreadyConsented {
                handle: handle.to_string(),
                proposal: p.id,
            }),
            Some(_) => Ok(GovernanceChange::Consented {
                proposal: p.id,
                handle: handle.to_string(),
            }),
        }
    }

    fn open_proposal(&self, id: u64) -> Result<&Proposal, Rejection> {
        let p = self
            .proposals
            .get(&id)
            .ok_or(Rejection::UnknownProposal(id))?;
        if p.outcome.is_some() {
            return Err(Rejection::ProposalClosed(id));
        }
        Ok(p)
    }

    /// Checks a close entry at log `index` and `time`, signed by the log
    /// key (`by_log_key`) or a member: counts the proposal and decides what
    /// it does. A secret proposal is closed by the log key only, at its
    /// deadline, and counted from its published ballots (the last one per
    /// nullifier, docs/BALLOT.md §7).
    pub fn check_close(
        &self,
        index: u64,
        time: u64,
        id: u64,
        by_log_key: bool,
        salts: &[String],
    ) -> Result<GovernanceChange, Rejection> {
        let p = self.open_proposal(id)?;
        let eligible: Vec<&String> = p
            .electorate
            .iter()
            .filter(|h| self.roll.member_before(h, p.id))
            .collect();
        let secret = p.secret.as_deref();
        let early = match secret {
            Some(_) if !by_log_key => return Err(Rejection::SecretCloseByMember { proposal: id }),
            // Nobody but the sequencer knows who has voted: no early close.
            Some(_) => time < p.closes_at,
            None => time < p.closes_at && !eligible.iter().all(|h| p.votes.contains_key(*h)),
        };
        if early {
            return Err(Rejection::TooEarly {
                proposal: id,
                closes_at: p.closes_at,
                time,
            });
        }
        let counted: Vec<String> = match secret {
            Some(_) => Vec::new(),
            None => eligible
                .iter()
                .filter(|h| p.votes.contains_key(**h))
                .map(|h| h.to_string())
                .collect(),
        };
        let secret_tally = match secret {
            None if !salts.is_empty() => return Err(Rejection::SealMismatch { proposal: id }),
            None => None,
            Some(s) => {
                s.check_seals(self.origin, id, salts)?;
                let turnout = s.turnout();
                if turnout > s.voters_possible() {
                    return Err(Rejection::BallotOverflow {
                        proposal: id,
                        nullifiers: turnout,
                        leaves: s.voters_possible(),
                    });
                }
                Some(SecretTally {
                    turnout,
                    ballots: s.ballots.len() as u64,
                    departed: (p.electorate.len() - eligible.len()) as u64,
                    roots: s.roots.clone(),
                })
            }
        };
        let choices: Vec<&Ballot> = match secret {
            Some(s) => s.counted().into_iter().map(|b| &b.choice).collect(),
            None => counted.iter().filter_map(|h| p.votes.get(h)).collect(),
        };
        let mut tally = Tally {
            yes: 0,
            no: 0,
            abstain: 0,
            eligible: eligible.len() as u64,
        };
        for ballot in choices {
            match ballot {
                Ballot::Yes => tally.yes += 1,
                Ballot::No => tally.no += 1,
                Ballot::Abstain => tally.abstain += 1,
                Ballot::Ranked(r) if r.is_empty() => tally.abstain += 1,
                Ballot::Ranked(_) => tally.yes += 1,
            }
        }
        let seed = lot_seed(self.time_leaf, id);
        let mut nobody_ranked = false;
        let mut too_few = None;
        let mut vacant = 0;
        let (quorum, passed, elected) = match p.rule {
            // Loosening the amendment rule needs the entrenched majority too.
            Judged::Vote(rule) => {
                let (q, passed) = match &p.motion {
                    Motion::Amend { charter } => judge_amendment(&rule, charter, &tally),
                    _ => {
                        let q = quorum_met(tally.voters(), tally.eligible, rule.quorum);
                        (q, q && rule.threshold.passes(&tally))
                    }
                };
                (q, passed, Vec::new())
            }
            Judged::Election(rule) => {
                let q = quorum_met(tally.voters(), tally.eligible, rule.quorum);
                let mut election = stv_election(self.roll, p, &counted);
                election.seed = seed;
                // Fewer candidates who consented (and still members) than
                // seats: the election is void.
                let standing = election
                    .candidates
                    .iter()
                    .filter(|c| *c != REOPEN_NOMINATIONS)
                    .count() as u32;
                if standing < election.seats as u32 {
                    too_few = Some((standing, election.seats as u32));
                }
                // Nobody ranked a candidate still standing: the election
                // fails rather than filling every seat by lot.
                nobody_ranked = q && election.ballots.iter().all(|b| b.ranking.is_empty());
                let won = if q && !nobody_ranked && too_few.is_none() {
                    count_election(&election)
                } else {
                    Vec::new()
                };
                // A seat "re-open nominations" wins stays vacant.
                let elected: Vec<String> = won
                    .iter()
                    .filter(|c| *c != REOPEN_NOMINATIONS)
                    .cloned()
                    .collect();
                vacant = (won.len() - elected.len()) as u32;
                (q, !won.is_empty(), elected)
            }
        };
        let (effect, edit) = if let Some((candidates, seats)) = too_few {
            (Effect::TooFewCandidates { candidates, seats }, None)
        } else if passed {
            self.carry_out(index, time, p, &elected, vacant)
        } else if !quorum {
            (Effect::NoQuorum, None)
        } else if nobody_ranked {
            (Effect::NobodyRanked, None)
        } else {
            (Effect::Rejected, None)
        };
        Ok(GovernanceChange::Closed {
            proposal: id,
            outcome: Outcome {
                closed_at: time,
                closed_by: index,
                quorum_met: quorum,
                passed,
                tally,
                counted,
                elected,
                effect,
                secret: secret_tally,
            },
            edit,
            seed,
        })
    }

    /// What a passed motion does, closed at log `index` and `time`.
    fn carry_out(
        &self,
        index: u64,
        time: u64,
        p: &Proposal,
        elected: &[String],
        vacant: u32,
    ) -> (Effect, Option<Edit>) {
        let cannot = |why: NoEffect| (Effect::CouldNotTakeEffect { why }, None);
        match &p.motion {
            Motion::Admit { key } => {
                let key = VerifierKey::parse(key).expect("validated when proposed");
                if let Err(why) = self.roll.key_conflict(&key, self.origin) {
                    return cannot(why.into());
                }
                let handle = key.name().to_string();
                (
                    Effect::Admitted {
                        handle: handle.clone(),
                    },
                    Some(Edit::Admit(Member {
                        handle,
                        key,
                        since: index,
                    })),
                )
            }
            Motion::Remove { handle } => {
                // The motion named the member who held the handle when it was
                // proposed; someone admitted under that handle since is not them.
                if !self.roll.member_before(handle, p.id) {
                    return cannot(NoEffect::AlreadyLeft {
                        handle: handle.clone(),
                    });
                }
                if self.roll.members.len() == 1 {
                    return cannot(NoEffect::LastMember);
                }
                (
                    Effect::Removed {
                        handle: handle.clone(),
                    },
                    Some(Edit::Remove {
                        handle: handle.clone(),
                    }),
                )
            }
            Motion::Elect { .. } => {
                let until = time.saturating_add(u64::from(self.charter.board.term_days) * DAY_SECS);
                let seats = elected
                    .iter()
                    .map(|h| Seat {
                        handle: h.clone(),
                        since: time,
                        until,
                    })
                    .collect();
                (
                    Effect::BoardElected {
                        seats: elected.to_vec(),
                        term_ends: until,
                        vacant,
                    },
                    Some(Edit::Board(seats)),
                )
            }
            Motion::ByElection { .. } => {
                // The sitting editors stay; the elected serve until the
                // sitting board's term ends (a full term if nobody sits).
                let sitting: Vec<Seat> = self.sitting(time).cloned().collect();
                let until = sitting.iter().map(|s| s.until).max().unwrap_or_else(|| {
                    time.saturating_add(u64::from(self.charter.board.term_days) * DAY_SECS)
                });
                let free = self.vacancies(time);
                let new: Vec<String> = elected
                    .iter()
                    .filter(|h| !sitting.iter().any(|s| s.handle == **h))
                    .cloned()
                    .collect();
                if new.len() as u64 > u64::from(free) {
                    return cannot(NoEffect::NoVacancy { vacant: free });
                }
                let mut board = sitting;
                board.extend(new.iter().map(|h| Seat {
                    handle: h.clone(),
                    since: time,
                    until,
                }));
                (
                    Effect::ByElected {
                        seats: new,
                        term_ends: until,
                        vacant,
                    },
                    Some(Edit::Board(board)),
                )
            }
            Motion::Recall { handle } => {
                // The seat held when the recall was proposed, by the same
                // membership; a seat won since is a new mandate.
                let held = self.roll.member_before(handle, p.id)
                    && self
                        .sitting(time)
                        .any(|s| s.handle == *handle && s.since <= p.opened_at);
                if !held {
                    return cannot(NoEffect::NotOnBoard {
                        handle: handle.clone(),
                    });
                }
                let board = self
                    .roll
                    .board
                    .iter()
                    .filter(|s| s.handle != *handle)
                    .cloned()
                    .collect();
                (
                    Effect::Recalled {
                        handle: handle.clone(),
                    },
                    Some(Edit::Board(board)),
                )
            }
            Motion::Amend { charter } => match charter.check_amendment_of(self.charter) {
                // Checked again at the close: an amendment proposed while
                // elections were open must not undo one that has since
                // made them secret.
                Err(crate::charter::CharterError::SecretEntrenched { rule }) => {
                    cannot(NoEffect::SecretEntrenched {
                        field: rule.to_string(),
                    })
                }
                _ => (Effect::CharterAmended, Some(Edit::Charter(charter.clone()))),
            },
            Motion::Retract { article, .. } => (
                Effect::Retracted {
                    slug: article.clone(),
                },
                Some(Edit::Retract {
                    slug: article.clone(),
                }),
            ),
            Motion::Redact { target, .. } => (
                Effect::Redacted {
                    target: target.clone(),
                },
                Some(Edit::Redact {
                    target: target.clone(),
                }),
            ),
            Motion::Resolution { .. } => (Effect::Resolved, None),
            Motion::TipReaders { handles } => {
                // Members who left since the proposal are not appointed.
                let handles: Vec<String> = handles
                    .iter()
                    .filter(|h| self.roll.member_before(h, p.id))
                    .cloned()
                    .collect();
                (
                    Effect::TipReadersAppointed {
                        handles: handles.clone(),
                    },
                    Some(Edit::TipReaders(handles)),
                )
            }
        }
    }
}

/// Whether `ballot` fits proposal `p`: for an election a ranking of its
/// consenting candidates (and "re-open nominations"), each once, or
/// abstain; yes, no or abstain otherwise. Returns the ballot as counted (an
/// election's abstention is an empty ranking).
fn check_choice(p: &Proposal, ballot: &Ballot) -> Result<Ballot, Rejection> {
    Ok(match (p.motion.election(), ballot) {
        (Some(_), Ballot::Ranked(ranking)) => {
            let mut seen = BTreeSet::new();
            for c in ranking {
                if c != REOPEN_NOMINATIONS {
                    match p.nominations.get(c) {
                        Some(n) if n.consented => {}
                        Some(_) => return Err(Rejection::NoConsent { handle: c.clone() }),
                        None => return Err(Rejection::NotACandidate { handle: c.clone() }),
                    }
                }
                if !seen.insert(c) {
                    return Err(Rejection::RankedTwice { handle: c.clone() });
                }
            }
            ballot.clone()
        }
        (Some(_), Ballot::Abstain) => Ballot::Ranked(Vec::new()),
        (Some(_), _) => {
            return Err(Rejection::WrongBallot {
                expected: BallotKind::Ranking,
            })
        }
        (_, Ballot::Ranked(_)) => {
            return Err(Rejection::WrongBallot {
                expected: BallotKind::YesNo,
            })
        }
        (_, b) => b.clone(),
    })
}

/// The seed of the lot of proposal `id`, drawn at its close from the leaf
/// hash of the entry that set the log time then (`time_leaf`: the tick the
/// sequencer signed before the batch holding the close). Nobody knows it
/// when the candidates are chosen or the title written, so the proposer
/// cannot grind for a lot; see docs/GOVERNANCE.md for what the sequencer
/// and the closer can still do.
pub fn lot_seed(time_leaf: &Hash, id: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"erkin stv lot at close\n");
    h.update(time_leaf.0);
    h.update(id.to_be_bytes());
    h.finalize().into()
}

/// The STV count of an election among candidates who are still members.
fn count_election(election: &stv::Election) -> Vec<String> {
    match stv::count(election) {
        Ok(outcome) => outcome
            .elected
            .iter()
            .filter_map(|&i| election.candidates.get(i).cloned())
            .collect(),
        // Inputs were validated when the votes were cast; a count error
        // here would be a bug, and electing no one is the safe outcome.
        Err(_) => Vec::new(),
    }
}

/// The election as STV counts it: the candidates who consented and are
/// still members, then "re-open nominations" ([`REOPEN_NOMINATIONS`]),
/// counted like a candidate; the counted members' rankings restricted to
/// them (for a secret election, whose ballots name no member, the counted
/// ballots' rankings: `counted` is not read).
pub fn stv_election(roll: Roll<'_>, p: &Proposal, counted: &[String]) -> stv::Election {
    let Some((seats, _)) = p.motion.election() else {
        return stv::Election {
            seats: 0,
            candidates: Vec::new(),
            ballots: Vec::new(),
            seed: p.seed,
        };
    };
    let standing: Vec<String> = p
        .candidates()
        .into_iter()
        .filter(|c| roll.member_before(c, p.id))
        .chain(std::iter::once(REOPEN_NOMINATIONS.to_string()))
        .collect();
    // A secret election's rankings are its counted ballots (nobody knows
    // whose); an open one's, the counted members' votes.
    let rankings: Vec<&Vec<String>> = match p.secret.as_deref() {
        Some(s) => s
            .counted()
            .into_iter()
            .filter_map(|b| match &b.choice {
                Ballot::Ranked(r) => Some(r),
                _ => None,
            })
            .collect(),
        None => counted
            .iter()
            .filter_map(|h| match p.votes.get(h) {
                Some(Ballot::Ranked(r)) => Some(r),
                _ => None,
            })
            .collect(),
    };
    let ballots = rankings
        .into_iter()
        .map(|r| stv::Ballot {
            weight: 1,
            ranking: r
                .iter()
                .filter_map(|c| standing.iter().position(|s| s == c))
                .collect(),
        })
        .collect();
    stv::Election {
        seats: seats as usize,
        candidates: standing,
        ballots,
        seed: p.seed,
    }
}
