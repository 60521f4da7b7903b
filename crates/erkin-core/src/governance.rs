//! Proposals, votes and closing: the members' democratic control.
//!
//! Rules this file keeps (each is also in docs/GOVERNANCE.md):
//! - **Who votes.** The electorate is fixed when a proposal is made: the
//!   members at that moment. A member admitted later does not vote on it; a
//!   member who leaves before it closes no longer counts, and neither does
//!   their vote.
//! - **Last vote counts.** A member may vote again until the proposal closes;
//!   only their latest vote is counted.
//! - **Deadlines are log time.** A vote dated at or after `closes_at` is
//!   refused. A proposal may be closed, by any member, once `closes_at` has
//!   passed, or earlier once every eligible member has voted.
//! - **Rules in force when proposed.** A proposal is judged by the charter's
//!   rule at the time it was made; a charter amendment applies only to
//!   proposals made after it passes. Effects (such as a board's term) use the
//!   charter in force when the proposal closes.
//! - **Passing.** A yes/no proposal passes when the quorum is met (voters,
//!   abstentions included, ≥ quorum × eligible) and the threshold holds; it
//!   never passes without a yes. An election passes when the quorum is met;
//!   seats are filled by STV (see `stv.rs`), the new board replacing the old.
//! - **Effects that can no longer happen** (admitting a handle someone else
//!   took meanwhile, removing the last member) are recorded as passed without
//!   effect, with the reason.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::{Digest, Sha256};
use tlog_tiles::Hash;

use crate::action::{Ballot, Motion, Propose, MAX_FOUNDERS, MAX_STATEMENT_LEN, MAX_TITLE_LEN};
use crate::charter::{quorum_met, Charter, ElectionRule, Rule, Tally, MAX_HOURS};
use crate::keys::VerifierKey;
use crate::state::{check_text, Member, Rejection, Seat, State, DAY_SECS};
use crate::stv;

/// Longest article slug or redaction target named in a motion.
pub const MAX_TARGET_LEN: usize = 256;

/// The rule a proposal is judged by, fixed when it is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Judged {
    Vote(Rule),
    Election(ElectionRule),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// Seeds the STV lot; fixed by the propose entry, so no one can choose it
    /// after seeing the ballots.
    #[serde(serialize_with = "hex_bytes")]
    pub seed: [u8; 32],
    pub outcome: Option<Outcome>,
}

fn hex_bytes<S: serde::Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(b))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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
    /// What the decision did, in words.
    pub effect: String,
}

impl Charter {
    /// The rule this charter applies to a motion of this kind.
    pub fn rule_for(&self, motion: &Motion) -> Judged {
        match motion {
            Motion::Admit { .. } => Judged::Vote(self.admit),
            Motion::Remove { .. } => Judged::Vote(self.remove),
            Motion::Elect { .. } => Judged::Election(self.elect),
            Motion::Amend { .. } => Judged::Vote(self.amend),
            Motion::Retract { .. } => Judged::Vote(self.retract),
            Motion::Redact { .. } => Judged::Vote(self.redact),
            Motion::Resolution { .. } => Judged::Vote(self.resolution),
        }
    }

    /// The shortest voting period this charter allows for the motion.
    pub fn min_hours(&self, motion: &Motion) -> u32 {
        match self.rule_for(motion) {
            Judged::Vote(r) => r.min_hours,
            Judged::Election(r) => r.min_hours,
        }
    }
}

impl State {
    pub(crate) fn propose(
        &mut self,
        index: u64,
        proposer: &str,
        time: u64,
        p: &Propose,
        leaf: &Hash,
    ) -> Result<(), Rejection> {
        check_text("a proposal title", &p.title, MAX_TITLE_LEN)?;
        let rule = self.rule_for(&p.motion);
        let min_hours = self.charter.min_hours(&p.motion);
        if p.closes_at < time.saturating_add(u64::from(min_hours) * 3600) {
            return Err(Rejection::PeriodTooShort {
                kind: p.motion.kind(),
                min_hours,
            });
        }
        if p.closes_at > time.saturating_add(u64::from(MAX_HOURS) * 3600) {
            return Err(Rejection::Invalid(format!(
                "a proposal may stay open at most {MAX_HOURS} hours"
            )));
        }
        self.check_motion(&p.motion)?;
        let mut h = Sha256::new();
        h.update(b"erkin stv lot\n");
        h.update(leaf.0);
        self.proposals.insert(
            index,
            Proposal {
                id: index,
                proposer: proposer.to_string(),
                title: p.title.clone(),
                motion: p.motion.clone(),
                opened_at: time,
                closes_at: p.closes_at,
                rule,
                electorate: self.members.keys().cloned().collect(),
                votes: BTreeMap::new(),
                seed: h.finalize().into(),
                outcome: None,
            },
        );
        Ok(())
    }

    fn rule_for(&self, motion: &Motion) -> Judged {
        self.charter.rule_for(motion)
    }

    fn check_motion(&self, motion: &Motion) -> Result<(), Rejection> {
        let invalid = |m: String| Err(Rejection::Invalid(m));
        match motion {
            Motion::Admit { key } => {
                let key = VerifierKey::parse(key)
                    .map_err(|e| Rejection::Invalid(format!("key to admit: {e}")))?;
                self.check_admissible(&key).map_err(Rejection::Invalid)
            }
            Motion::Remove { handle } => {
                if !self.members.contains_key(handle) {
                    return invalid(format!("{handle:?} is not a member"));
                }
                Ok(())
            }
            Motion::Elect { seats, candidates } => {
                if *seats != self.charter.board.seats {
                    return invalid(format!(
                        "the charter fixes the board at {} seats; this election asks for {seats}",
                        self.charter.board.seats
                    ));
                }
                if candidates.is_empty() || candidates.len() > MAX_FOUNDERS {
                    return invalid(format!("an election needs 1 to {MAX_FOUNDERS} candidates"));
                }
                let mut seen = BTreeSet::new();
                for c in candidates {
                    if !self.members.contains_key(c) {
                        return invalid(format!("candidate {c:?} is not a member"));
                    }
                    if !seen.insert(c) {
                        return invalid(format!("candidate {c:?} is listed twice"));
                    }
                }
                Ok(())
            }
            Motion::Amend { charter } => charter.validate().map_err(Rejection::BadCharter),
            Motion::Retract { article, reason } => {
                check_text("the reason", reason, MAX_STATEMENT_LEN)?;
                if !self.articles.contains_key(article) {
                    return invalid(format!("no article a/{article}/ to retract"));
                }
                if self.retracted.contains(article) {
                    return invalid(format!("a/{article}/ is already retracted"));
                }
                Ok(())
            }
            Motion::Redact { target, reason } => {
                check_text("the target", target, MAX_TARGET_LEN)?;
                check_text("the reason", reason, MAX_STATEMENT_LEN)?;
                let is_article = self.articles.contains_key(target);
                let is_blob = target
                    .parse::<crate::blob::BlobId>()
                    .is_ok_and(|id| self.articles.values().any(|a| a.blobs().any(|b| *b == id)));
                if !is_article && !is_blob {
                    return invalid(format!(
                        "{target:?} is neither an article's slug nor a blob an article uses"
                    ));
                }
                Ok(())
            }
            Motion::Resolution { text } => check_text("a resolution", text, MAX_STATEMENT_LEN),
        }
    }

    /// Why `key` cannot become a member now, if it cannot.
    fn check_admissible(&self, key: &VerifierKey) -> Result<(), String> {
        if self.members.contains_key(key.name()) {
            return Err(format!("the handle {:?} is already a member's", key.name()));
        }
        if key.name() == self.origin {
            return Err("a member's key name may not be the origin".into());
        }
        if self.members.values().any(|m| &m.key == key) {
            return Err("that key is already a member's".into());
        }
        Ok(())
    }

    pub(crate) fn vote(
        &mut self,
        handle: &str,
        time: u64,
        v: &crate::action::Vote,
    ) -> Result<(), Rejection> {
        let p = self.open_proposal(v.proposal)?;
        if time >= p.closes_at {
            return Err(Rejection::VotingEnded {
                proposal: p.id,
                closes_at: p.closes_at,
                time,
            });
        }
        if !p.electorate.contains(handle) || !self.member_before(handle, p.id) {
            return Err(Rejection::NotEligible {
                handle: handle.to_string(),
                proposal: p.id,
                reason: "only the members at the time of the proposal vote on it",
            });
        }
        let ballot = match (&p.motion, &v.ballot) {
            (Motion::Elect { candidates, .. }, Ballot::Ranked(ranking)) => {
                let mut seen = BTreeSet::new();
                for c in ranking {
                    if !candidates.contains(c) {
                        return Err(Rejection::Invalid(format!(
                            "{c:?} is not a candidate in this election"
                        )));
                    }
                    if !seen.insert(c) {
                        return Err(Rejection::Invalid(format!("{c:?} is ranked twice")));
                    }
                }
                v.ballot.clone()
            }
            (Motion::Elect { .. }, Ballot::Abstain) => Ballot::Ranked(Vec::new()),
            (Motion::Elect { .. }, _) => {
                return Err(Rejection::WrongBallot(
                    "an election takes a ranking of candidates (or abstain)",
                ))
            }
            (_, Ballot::Ranked(_)) => {
                return Err(Rejection::WrongBallot(
                    "this proposal takes yes, no or abstain",
                ))
            }
            (_, b) => b.clone(),
        };
        let id = p.id;
        self.proposals
            .get_mut(&id)
            .expect("checked above")
            .votes
            .insert(handle.to_string(), ballot);
        Ok(())
    }

    /// Whether `handle` is a member whose membership began before entry `id`.
    /// Handles can return (someone leaves, a newcomer is admitted under the
    /// same name), so a proposal's electorate, candidates and targets are the
    /// *memberships* that existed when it was made, not the names.
    fn member_before(&self, handle: &str, id: u64) -> bool {
        self.members.get(handle).is_some_and(|m| m.since < id)
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

    pub(crate) fn close(&mut self, index: u64, time: u64, id: u64) -> Result<(), Rejection> {
        let p = self.open_proposal(id)?;
        let eligible: Vec<&String> = p
            .electorate
            .iter()
            .filter(|h| self.member_before(h, p.id))
            .collect();
        let all_voted = eligible.iter().all(|h| p.votes.contains_key(*h));
        if time < p.closes_at && !all_voted {
            return Err(Rejection::TooEarly {
                proposal: id,
                closes_at: p.closes_at,
                time,
            });
        }
        let counted: Vec<String> = eligible
            .iter()
            .filter(|h| p.votes.contains_key(**h))
            .map(|h| h.to_string())
            .collect();
        let mut tally = Tally {
            yes: 0,
            no: 0,
            abstain: 0,
            eligible: eligible.len() as u64,
        };
        for h in &counted {
            match &p.votes[h] {
                Ballot::Yes => tally.yes += 1,
                Ballot::No => tally.no += 1,
                Ballot::Abstain => tally.abstain += 1,
                Ballot::Ranked(r) if r.is_empty() => tally.abstain += 1,
                Ballot::Ranked(_) => tally.yes += 1,
            }
        }
        let (quorum, passed, elected) = match p.rule {
            Judged::Vote(rule) => {
                let q = quorum_met(tally.voters(), tally.eligible, rule.quorum);
                (q, q && rule.threshold.passes(&tally), Vec::new())
            }
            Judged::Election(rule) => {
                let q = quorum_met(tally.voters(), tally.eligible, rule.quorum);
                let elected = if q {
                    self.count_election(p, &counted)
                } else {
                    Vec::new()
                };
                (q, q && !elected.is_empty(), elected)
            }
        };
        let motion = p.motion.clone();
        let effect = if passed {
            self.carry_out(index, time, id, &motion, &elected)
        } else if !quorum {
            "failed: the quorum was not met".to_string()
        } else {
            "failed: the threshold was not met".to_string()
        };
        let p = self.proposals.get_mut(&id).expect("checked above");
        p.outcome = Some(Outcome {
            closed_at: time,
            closed_by: index,
            quorum_met: quorum,
            passed,
            tally,
            counted,
            elected,
            effect,
        });
        Ok(())
    }

    /// The STV count of an election among candidates who are still members.
    fn count_election(&self, p: &Proposal, counted: &[String]) -> Vec<String> {
        let election = self.stv_election(p, counted);
        match stv::count(&election) {
            Ok(outcome) => outcome
                .elected
                .iter()
                .map(|&i| election.candidates[i].clone())
                .collect(),
            // Inputs were validated when the votes were cast; a count error
            // here would be a bug, and electing no one is the safe outcome.
            Err(_) => Vec::new(),
        }
    }

    /// The election as STV counts it: candidates still members, the counted
    /// members' rankings restricted to them.
    pub fn stv_election(&self, p: &Proposal, counted: &[String]) -> stv::Election {
        let Motion::Elect { seats, candidates } = &p.motion else {
            return stv::Election {
                seats: 0,
                candidates: Vec::new(),
                ballots: Vec::new(),
                seed: p.seed,
            };
        };
        let standing: Vec<String> = candidates
            .iter()
            .filter(|c| self.member_before(c, p.id))
            .cloned()
            .collect();
        let ballots = counted
            .iter()
            .filter_map(|h| match p.votes.get(h) {
                Some(Ballot::Ranked(r)) => Some(stv::Ballot {
                    weight: 1,
                    ranking: r
                        .iter()
                        .filter_map(|c| standing.iter().position(|s| s == c))
                        .collect(),
                }),
                _ => None,
            })
            .collect();
        stv::Election {
            seats: *seats as usize,
            candidates: standing,
            ballots,
            seed: p.seed,
        }
    }

    /// Applies a passed motion; returns what it did.
    fn carry_out(
        &mut self,
        index: u64,
        time: u64,
        proposal: u64,
        motion: &Motion,
        elected: &[String],
    ) -> String {
        match motion {
            Motion::Admit { key } => {
                let key = VerifierKey::parse(key).expect("validated when proposed");
                if let Err(why) = self.check_admissible(&key) {
                    return format!("passed, but could not take effect: {why}");
                }
                let handle = key.name().to_string();
                self.members.insert(
                    handle.clone(),
                    Member {
                        handle: handle.clone(),
                        key,
                        since: index,
                    },
                );
                format!("admitted {handle}")
            }
            Motion::Remove { handle } => {
                // The motion named the member who held the handle when it was
                // proposed; someone admitted under that handle since is not them.
                if !self.member_before(handle, proposal) {
                    return format!("passed, but {handle} had already left");
                }
                if self.members.len() == 1 {
                    return "passed, but could not take effect: the last member cannot be removed"
                        .into();
                }
                self.remove_member(handle);
                format!("removed {handle}")
            }
            Motion::Elect { .. } => {
                let until = time.saturating_add(u64::from(self.charter.board.term_days) * DAY_SECS);
                self.board = elected
                    .iter()
                    .map(|h| Seat {
                        handle: h.clone(),
                        since: time,
                        until,
                    })
                    .collect();
                format!("elected {} to the board", elected.join(", "))
            }
            Motion::Amend { charter } => {
                self.charter = charter.clone();
                "amended the charter".into()
            }
            Motion::Retract { article, .. } => {
                self.retracted.insert(article.clone());
                format!("retracted {article}")
            }
            Motion::Redact { target, .. } => {
                self.redacted.insert(target.clone());
                format!("redacted {target}")
            }
            Motion::Resolution { .. } => "resolved".into(),
        }
    }
}
