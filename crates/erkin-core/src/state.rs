//! The publication's state and the fold that computes it from the log.
//!
//! The state is a pure, deterministic function of the entries: the sequencer
//! admits an entry only if [`State::apply`] accepts it against the state before
//! it, and every mirror re-runs the same fold and must reach the same state
//! (compare [`State::digest`]). An entry the fold rejects, found in a log, is
//! evidence that the sequencer misbehaved; the fold leaves the state unchanged
//! and the verifier reports it.
//!
//! No clock is read here. Time is the log's: the sequencer records its clock
//! in the log as a `tick` entry signed by the log key before each batch, and
//! the latest tick is the **log time** ([`State::log_time`]). It never moves
//! backwards (a tick dated before it is refused), and deadlines, minimum
//! periods, terms and editor rights are judged by it alone. A member's own
//! time is only a claim: it must lie within [`MAX_AHEAD_SECS`] ahead of and
//! [`MAX_BEHIND_SECS`] behind the log time, and decides nothing; member
//! times need not be in order, so no member can hold the others back by
//! dating an entry ahead. The sequencer's "near my clock" check takes the
//! clock as an argument ([`check_clock`]). docs/GOVERNANCE.md states the
//! time model and what a dishonest sequencer can do with it.
//!
//! Each entry is checked, then committed: the rules (`article.rs` for
//! publish and correct, `governance.rs` for proposals, votes and closing,
//! this file for membership) read the state and return a typed change;
//! `State::commit` alone writes it. Why an entry is refused is a
//! [`Rejection`] (`rejection.rs`); members and seats are in `members.rs`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;
use sha2::{Digest, Sha256};
use tlog_tiles::Hash;

use crate::action::{Action, Genesis, MAX_FOUNDERS, MAX_NAME_LEN, MAX_STATEMENT_LEN};
use crate::article::{self, Article, ArticleChange, Signed};
use crate::ballot_keys::BallotKeys;
use crate::charter::Charter;
use crate::entry::{EntryBody, ParsedEntry};
use crate::governance::{self, Edit, GovernanceChange, Proposal};
use crate::keys::VerifierKey;
use crate::members::{ser_key, Roll};
use crate::mirrors::{check_mirrors, MirrorEntry};
use crate::rejection::{check_text, BadGenesis, EditorAction, KeyField, TextField};
use crate::tip_readers::TipReaders;

pub use crate::members::{Member, Seat, DAY_SECS};
pub use crate::rejection::Rejection;

/// How far ahead of the log time (and of the sequencer's clock) a member's
/// entry may be dated.
pub const MAX_AHEAD_SECS: u64 = 5 * 60;
/// How far behind the log time (and the sequencer's clock) a member's entry
/// may be dated: time for a slow clock, a queue and a resubmission, not for
/// signing today what is sent tomorrow.
pub const MAX_BEHIND_SECS: u64 = 15 * 60;
/// How far the log time may run ahead of a reader's own clock: a mirror's
/// sync and a member's client refuse a log whose ticks are later than this
/// ahead of theirs ([`check_log_time`]), and `erkin verify` reports it.
pub const MAX_LOG_AHEAD_SECS: u64 = 10 * 60;

/// A log whose time runs ahead of the reader's clock: the sequencer's clock
/// is fast (or the reader's slow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the log's time ({log_time}) runs {} s ahead of this machine's clock ({now}), more than the {max} s allowed: the sequencer's clock (or this one) is wrong", log_time - now)]
pub struct LogTimeAhead {
    pub log_time: u64,
    pub now: u64,
    pub max: u64,
}

/// Refuses a log time more than [`MAX_LOG_AHEAD_SECS`] ahead of `now`, the
/// reader's clock. Not part of the fold: the fold never reads a clock.
pub fn check_log_time(log_time: u64, now: u64) -> Result<(), LogTimeAhead> {
    if log_time > now.saturating_add(MAX_LOG_AHEAD_SECS) {
        return Err(LogTimeAhead {
            log_time,
            now,
            max: MAX_LOG_AHEAD_SECS,
        });
    }
    Ok(())
}

#[derive(Debug, Clone, Serialize)]
pub struct State {
    pub(crate) origin: String,
    pub(crate) name: String,
    #[serde(serialize_with = "ser_key")]
    pub(crate) log_key: VerifierKey,
    pub(crate) charter: Charter,
    /// Members by handle (their key's name), so a signature's (name, key ID)
    /// finds its member in one lookup.
    pub(crate) members: BTreeMap<String, Member>,
    pub(crate) board: Vec<Seat>,
    /// Proposals by ID (the log index of the `propose` entry).
    pub(crate) proposals: BTreeMap<u64, Proposal>,
    /// Articles by slug, with every revision (boxed: [`article::Articles`]).
    /// The digest hashes their root ([`crate::articles::RootHasher`]) in their
    /// place ([`State::digest`]).
    #[serde(skip)]
    pub(crate) articles: article::Articles,
    /// Articles retracted and articles or blobs redacted by passed votes.
    pub(crate) retracted: BTreeSet<String>,
    pub(crate) redacted: BTreeSet<String>,
    /// The mirror list editors set last (empty until one is set; left out
    /// of the digest's input while empty, so older states hash as before).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) mirrors: Vec<MirrorEntry>,
    /// The tip readers and their age recipients (`tip_readers.rs`); absent
    /// from the digest's JSON while empty, so older states hash the same.
    #[serde(skip_serializing_if = "TipReaders::is_empty")]
    pub(crate) tip_readers: TipReaders,
    /// Members' ballot keys and the retired ones (`ballot_keys.rs`); absent
    /// from the digest's JSON while empty, so older states hash the same.
    #[serde(skip_serializing_if = "BallotKeys::is_empty")]
    pub(crate) ballot_keys: BallotKeys,
    /// The sequencer's ballot-box recipient (the latest `ballot_box`
    /// entry's, docs/BALLOT.md §5.6); absent from the digest's JSON while
    /// none is set, so older states hash the same.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ballot_box: Option<String>,
    pub(crate) size: u64,
    /// The log time: the time of the latest tick (or of genesis). Never
    /// moves backwards; every time-dependent rule reads it.
    pub(crate) log_time: u64,
    /// The leaf hash of the entry that set the log time (the latest tick,
    /// or genesis): an election's lot is drawn from it at the close. Derived
    /// from the log, so not part of the digest.
    #[serde(skip)]
    pub(crate) time_leaf: Hash,
    /// The last entry's own time (a member's claim or a tick), for display.
    pub(crate) last_time: u64,
    /// Leaf hashes of every accepted entry: the same signed bytes are never
    /// admitted twice (a replay). Not part of the digest: it is the log itself.
    #[serde(skip)]
    pub(crate) seen: Seen,
    /// Keys members have rotated away from, by handle: an entry signed with
    /// one is refused as a retired key, not as a stranger's. Derived from
    /// the log's rotations, so not part of the digest.
    #[serde(skip)]
    pub(crate) retired: BTreeMap<String, Vec<VerifierKey>>,
    /// Members' signed statements, oldest first, for readers. The log
    /// itself, so not part of the digest.
    #[serde(skip)]
    pub(crate) statements: Vec<StatementRecord>,
    /// The articles published or corrected since the log size
    /// `touched_since` (the size of the last snapshot stored,
    /// [`State::clear_touched`]): what an incremental snapshot writes
    /// (`snapshot.rs`). Not recorded while `touched_since` is 0 (a fold
    /// from genesis: every article is new). Bookkeeping, not state: not
    /// part of the digest.
    #[serde(skip)]
    pub(crate) touched: BTreeSet<String>,
    #[serde(skip)]
    pub(crate) touched_since: u64,
    /// The secret proposal whose close run is being published: from its
    /// first `ballot` to its close, only its next ballot or its close may
    /// follow (docs/BALLOT.md §6, item 5). Derived from the proposals (the
    /// open one with ballots), so not part of the digest.
    #[serde(skip)]
    pub(crate) ballot_run: Option<u64>,
    /// The open secret proposals whose seal waits for the entry that
    /// changes their tree (docs/BALLOT.md §6, "seal"). Derived from the
    /// proposals, so not part of the digest.
    #[serde(skip)]
    pub(crate) sealed: BTreeSet<u64>,
    /// The key secret ballots are verified with when not the pinned one
    /// ([`State::judge_ballots_with`], tests only).
    #[serde(skip)]
    pub(crate) ballot_verifier: Option<std::sync::Arc<crate::ballot::Verifier>>,
}

/// A member's statement as the log recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRecord {
    /// Log index of the entry.
    pub index: u64,
    pub handle: String,
    /// The log time when it was recorded.
    pub log_time: u64,
    pub text: String,
}

/// What an accepted entry changes: the checks return it, `State::commit`
/// applies it. Nothing else changes a [`State`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Change {
    /// A statement: recorded in the log and kept for readers; nothing else.
    Statement(StatementRecord),
    /// A member's new key.
    Rekey {
        handle: String,
        key: VerifierKey,
    },
    /// A member leaves.
    Leave {
        handle: String,
    },
    /// An editor gives up their board seat, staying a member.
    StepDown {
        handle: String,
    },
    Article(ArticleChange),
    /// Boxed: a proposal or an outcome is large, most entries are not.
    Governance(Box<GovernanceChange>),
    /// A new mirror list.
    Mirrors(Vec<MirrorEntry>),
    /// A tip reader's new recipient.
    TipKey {
        handle: String,
        recipient: String,
    },
    /// A member's new ballot key.
    BallotKey {
        handle: String,
        commitment: String,
    },
}

impl Change {
    fn governance(change: GovernanceChange) -> Self {
        Change::Governance(Box::new(change))
    }
}

/// Where the state stood before a tick, so a sequencer can take the tick
/// back when the batch it was made for admits nothing ([`State::undo_tick`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickMark {
    size: u64,
    log_time: u64,
    time_leaf: [u8; 32],
    last_time: u64,
}

/// What an accepted entry was: enough to list the log without re-parsing.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub index: u64,
    pub signer: String,
    pub body: EntryBody,
    pub leaf_hash: Hash,
}

impl State {
    /// Starts the fold from the genesis entry, which must be signed by the log
    /// key and name exactly the pinned log key.
    pub fn genesis(log_key: &VerifierKey, bytes: &[u8]) -> Result<(Self, Applied), Rejection> {
        let origin = log_key.name();
        let entry = ParsedEntry::parse(bytes, origin)?;
        let Action::Genesis(g) = &entry.body.action else {
            return Err(Rejection::NotGenesis {
                found: entry.body.action.kind(),
            });
        };
        if g.log_key != log_key.as_str() {
            return Err(Rejection::LogKeyMismatch {
                pinned: log_key.to_string(),
                found: g.log_key.chars().take(300).collect(),
            });
        }
        entry.verify_by(log_key)?;
        let members = check_genesis(g, origin).map_err(Rejection::BadGenesis)?;
        let time = entry.body.time;
        let term = u64::from(g.charter.board.term_days) * DAY_SECS;
        // The founders are the first board, for one term.
        let board = members
            .keys()
            .map(|h| Seat {
                handle: h.clone(),
                since: time,
                until: time.saturating_add(term),
            })
            .collect();
        let mut state = State {
            origin: origin.to_string(),
            name: g.name.clone(),
            log_key: log_key.clone(),
            charter: g.charter.clone(),
            members,
            board,
            proposals: BTreeMap::new(),
            articles: article::Articles::default(),
            retracted: BTreeSet::new(),
            redacted: BTreeSet::new(),
            mirrors: Vec::new(),
            tip_readers: TipReaders::default(),
            ballot_keys: BallotKeys::default(),
            ballot_box: None,
            size: 0,
            log_time: time,
            time_leaf: entry.leaf_hash,
            last_time: 0,
            seen: Seen::default(),
            retired: BTreeMap::new(),
            statements: Vec::new(),
            touched: BTreeSet::new(),
            touched_since: 0,
            ballot_run: None,
            sealed: BTreeSet::new(),
            ballot_verifier: None,
        };
        let applied = state.record(&entry, origin.to_string());
        Ok((state, applied))
    }

    /// Applies the next entry. On rejection the state is unchanged.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<Applied, Rejection> {
        let entry = ParsedEntry::parse(bytes, &self.origin)?;
        self.apply_parsed(&entry)
    }

    /// Applies an entry already parsed for this publication's origin.
    pub fn apply_parsed(&mut self, entry: &ParsedEntry) -> Result<Applied, Rejection> {
        // Articles are judged only by a state that knows them.
        if !self.articles.is_read() && !self.knows_articles_for(&entry.body.action) {
            return Err(Rejection::ArticlesUnread);
        }
        // A replay first: the same signed bytes again are a replay, whatever
        // else is now wrong with them (an old key, an old time).
        if self.seen.contains(&entry.leaf_hash.0) {
            return Err(Rejection::Duplicate);
        }
        // A secret proposal's ballots and its close form one run: nothing
        // may come between them.
        if let Some(run) = self.ballot_run {
            let next = match &entry.body.action {
                Action::Ballot(b) => b.proposal == run,
                Action::Close(c) => c.proposal == run,
                _ => false,
            };
            if !next {
                return Err(Rejection::BallotRunOpen { proposal: run });
            }
        }
        // A seal is followed only by other seals, the closing proposal's
        // ballots and the entry that changes the sealed trees.
        if let Some(&sealed) = self.sealed.iter().next() {
            if !matches!(
                entry.body.action,
                Action::Seal(_) | Action::Ballot(_) | Action::Close(_) | Action::Resign(_)
            ) {
                return Err(Rejection::SealNotFollowed { proposal: sealed });
            }
        }
        let (name, id) = entry.signer();
        if name == self.origin {
            return self.apply_tick(entry, id);
        }
        let member = match self.members.get(name) {
            Some(m) if m.key.key_id() == id => m,
            Some(_) if self.was_retired(entry, name, id) => {
                return Err(Rejection::RetiredKey {
                    handle: name.to_string(),
                    id,
                })
            }
            _ => {
                return Err(Rejection::NotAMember {
                    name: name.to_string(),
                    id,
                })
            }
        };
        entry.verify_by(&member.key)?;
        let handle = member.handle.clone();
        let time = entry.body.time;
        self.check_near_log_time(time)?;
        if matches!(entry.body.action, Action::Tick(_)) {
            return Err(Rejection::TickNotByLogKey);
        }
        // Check, then commit: the checks read the state and return the
        // change; only `commit` writes, after everything has passed, so a
        // rejection leaves the state exactly as it was.
        let change = self.check(entry, &handle)?;
        self.check_tree_changes(&change)?;
        self.commit(change);
        Ok(self.record(entry, handle))
    }

    /// The point a tick about to be applied can be taken back to.
    pub fn tick_mark(&self) -> TickMark {
        TickMark {
            size: self.size,
            log_time: self.log_time,
            time_leaf: self.time_leaf.0,
            last_time: self.last_time,
        }
    }

    /// Takes back the tick `tick` (its leaf hash) applied right after
    /// `mark`, when nothing else was applied since: for a sequencer whose
    /// batch admitted nothing, so the log does not grow by a bare tick.
    /// Returns whether it did.
    pub fn undo_tick(&mut self, mark: TickMark, tick: &Hash) -> bool {
        if self.size != mark.size + 1 || !self.seen.contains(&tick.0) {
            return false;
        }
        self.seen.remove(&tick.0);
        self.size = mark.size;
        self.log_time = mark.log_time;
        self.time_leaf = Hash(mark.time_leaf);
        self.last_time = mark.last_time;
        true
    }

    /// Whether the entry is genuinely signed by a key the member `name` has
    /// rotated away from.
    fn was_retired(&self, entry: &ParsedEntry, name: &str, id: u32) -> bool {
        self.retired.get(name).is_some_and(|keys| {
            keys.iter()
                .any(|k| k.key_id() == id && entry.verify_by(k).is_ok())
        })
    }

    /// An entry signed with the log key's name: only a tick, signed by the
    /// log key, dated no earlier than the log time.
    fn apply_tick(&mut self, entry: &ParsedEntry, id: u32) -> Result<Applied, Rejection> {
        if id != self.log_key.key_id() {
            return Err(Rejection::NotAMember {
                name: self.origin.clone(),
                id,
            });
        }
        entry.verify_by(&self.log_key)?;
        match &entry.body.action {
            Action::Tick(_) => {}
            Action::Genesis(_) => return Err(Rejection::SecondGenesis),
            Action::Close(c) => return self.apply_log_key_close(entry, c.proposal),
            Action::Ballot(b) => return self.apply_log_key_ballot(entry, b),
            Action::Seal(s) => return self.apply_log_key_seal(entry, s),
            Action::BallotBox(b) => return self.apply_ballot_box(entry, b),
            other => return Err(Rejection::LogKeyAction { kind: other.kind() }),
        }
        let time = entry.body.time;
        if time < self.log_time {
            return Err(Rejection::TimeWentBackwards {
                time,
                previous: self.log_time,
            });
        }
        self.log_time = time;
        self.time_leaf = entry.leaf_hash;
        Ok(self.record(entry, self.origin.clone()))
    }

    /// A date (a member's claim, or the log key's close) must lie within
    /// the window around the log time.
    fn check_near_log_time(&self, time: u64) -> Result<(), Rejection> {
        if time > self.log_time.saturating_add(MAX_AHEAD_SECS)
            || time < self.log_time.saturating_sub(MAX_BEHIND_SECS)
        {
            return Err(Rejection::FarFromLogTime {
                time,
                log_time: self.log_time,
            });
        }
        Ok(())
    }

    /// A close signed by the log key: the sequencer closing a proposal whose
    /// deadline has passed in log time. Judged by the same rules as a
    /// member's close (dated within the members' window around the log
    /// time; too early before the deadline unless everyone voted); it does
    /// not move the log time.
    fn apply_log_key_close(
        &mut self,
        entry: &ParsedEntry,
        proposal: u64,
    ) -> Result<Applied, Rejection> {
        let time = entry.body.time;
        self.check_near_log_time(time)?;
        let salts = match &entry.body.action {
            Action::Close(c) => c.salts.as_slice(),
            _ => &[],
        };
        let change =
            self.governance()
                .check_close(self.size, self.log_time, proposal, true, salts)?;
        let change = Change::governance(change);
        self.check_tree_changes(&change)?;
        self.commit(change);
        Ok(self.record(entry, self.origin.clone()))
    }

    /// A seal, published by the log key (docs/BALLOT.md §5.4): dated like a
    /// log key's close; it does not move the log time.
    fn apply_log_key_seal(
        &mut self,
        entry: &ParsedEntry,
        seal: &crate::action::Seal,
    ) -> Result<Applied, Rejection> {
        self.check_near_log_time(entry.body.time)?;
        let change = self.governance().check_seal(self.log_time, seal)?;
        self.commit(Change::governance(change));
        Ok(self.record(entry, self.origin.clone()))
    }

    /// The sequencer's ballot-box recipient, published by the log key
    /// (docs/BALLOT.md §5.6): dated like a log key's close; it does not
    /// move the log time. The latest one is in force.
    fn apply_ballot_box(
        &mut self,
        entry: &ParsedEntry,
        b: &crate::action::BallotBox,
    ) -> Result<Applied, Rejection> {
        self.check_near_log_time(entry.body.time)?;
        crate::recipient::check_recipient(&b.recipient)
            .map_err(|reason| Rejection::BadBallotBox { reason })?;
        self.ballot_box = Some(b.recipient.clone());
        Ok(self.record(entry, self.origin.clone()))
    }

    /// An entry that changes an open secret proposal's tree (a member of it
    /// leaving, by resignation or by a close that removes them) needs a
    /// seal of that proposal right before it (`missing_seal`); a pending
    /// seal needs this entry to change its proposal's tree.
    fn check_tree_changes(&self, change: &Change) -> Result<(), Rejection> {
        let (departing, closing) = match change {
            Change::Leave { handle } => (Some(handle.as_str()), None),
            Change::Governance(g) => match &**g {
                GovernanceChange::Closed { proposal, edit, .. } => (
                    match edit {
                        Some(Edit::Remove { handle }) => Some(handle.as_str()),
                        _ => None,
                    },
                    Some(*proposal),
                ),
                _ => return Ok(()),
            },
            _ => return Ok(()),
        };
        let affected: BTreeSet<u64> = match departing {
            None => BTreeSet::new(),
            Some(h) => self.tree_holders(h, closing),
        };
        if let Some(&p) = affected.iter().find(|p| !self.sealed.contains(p)) {
            return Err(Rejection::MissingSeal { proposal: p });
        }
        if let Some(&p) = self.sealed.iter().find(|p| !affected.contains(p)) {
            return Err(Rejection::SealNotFollowed { proposal: p });
        }
        Ok(())
    }

    /// The open secret proposals (other than `closing`), still before their
    /// deadline, whose tree has a leaf of `handle` not yet zeroed.
    fn tree_holders(&self, handle: &str, closing: Option<u64>) -> BTreeSet<u64> {
        self.proposals
            .values()
            .filter(|p| {
                p.outcome.is_none()
                    && Some(p.id) != closing
                    && self.log_time < p.closes_at
                    && p.secret.as_deref().is_some_and(|s| s.holds_leaf(handle))
            })
            .map(|p| p.id)
            .collect()
    }

    /// A secret ballot, published by the log key in the run before its
    /// proposal's close (docs/BALLOT.md §5.3): dated like a log key's close,
    /// judged at the log time; it does not move the log time.
    fn apply_log_key_ballot(
        &mut self,
        entry: &ParsedEntry,
        ballot: &crate::action::CastBallot,
    ) -> Result<Applied, Rejection> {
        if entry.body.time != self.log_time {
            return Err(Rejection::BallotNotAtLogTime {
                time: entry.body.time,
                log_time: self.log_time,
            });
        }
        let change = self
            .governance()
            .check_ballot(self.size, self.log_time, ballot)?;
        self.commit(Change::governance(change));
        Ok(self.record(entry, self.origin.clone()))
    }

    /// The sequencer's intake of a secret ballot at `now`, its clock
    /// (docs/BALLOT.md §8; [`governance::Facts::check_intake`]): every
    /// check the state can make before the ballot is held, the proof
    /// last. Not part of the fold (it reads the sequencer's clock, given
    /// here); the close's run is judged by the fold again.
    pub fn check_ballot_intake(
        &self,
        now: u64,
        ballot: &crate::action::CastBallot,
    ) -> Result<crate::secret::IntakeBallot, Rejection> {
        self.governance()
            .check_intake(now.max(self.log_time), ballot)
    }

    /// Verifies secret ballots with `verifier` instead of the pinned key of
    /// `semaphore-v3-16`. For tests only: a stand-in for a broken trusted
    /// setup (docs/BALLOT.md §13), whose proofs reach the checks after the
    /// proof (the `ballot_overflow` tripwire). A state so made judges no
    /// real publication's log.
    #[doc(hidden)]
    pub fn judge_ballots_with(&mut self, verifier: crate::ballot::Verifier) {
        self.ballot_verifier = Some(std::sync::Arc::new(verifier));
    }

    /// The open proposals whose deadline has passed at log time `time`: the
    /// ones a sequencer closes ([`Action::Close`] signed by the log key).
    pub fn overdue(&self, time: u64) -> Vec<u64> {
        self.proposals
            .values()
            .filter(|p| p.outcome.is_none() && p.closes_at <= time)
            .map(|p| p.id)
            .collect()
    }

    /// Everything the entry's action must satisfy; the change it makes.
    fn check(&self, entry: &ParsedEntry, handle: &str) -> Result<Change, Rejection> {
        let index = self.size;
        // Every rule that depends on time reads the log time, never the
        // signer's claim.
        let time = self.log_time;
        let leaf = &entry.leaf_hash;
        let by = Signed {
            index,
            leaf,
            editor: handle,
            time: entry.body.time,
            log_time: time,
        };
        Ok(match &entry.body.action {
            Action::Genesis(_) => return Err(Rejection::SecondGenesis),
            Action::Tick(_) => return Err(Rejection::TickNotByLogKey),
            Action::Statement(s) => {
                check_text(TextField::Statement, &s.text, MAX_STATEMENT_LEN)?;
                Change::Statement(StatementRecord {
                    index,
                    handle: handle.to_string(),
                    log_time: time,
                    text: s.text.clone(),
                })
            }
            Action::Propose(p) => Change::governance(
                self.governance()
                    .check_propose(index, leaf, handle, time, p)?,
            ),
            Action::Vote(v) => Change::governance(self.governance().check_vote(handle, time, v)?),
            Action::Nominate(n) => {
                Change::governance(self.governance().check_nominate(index, handle, time, n)?)
            }
            Action::Consent(c) => {
                Change::governance(self.governance().check_consent(handle, time, c)?)
            }
            Action::Close(c) => Change::governance(
                self.governance()
                    .check_close(index, time, c.proposal, false, &c.salts)?,
            ),
            Action::Seal(_) => return Err(Rejection::SealNotByLogKey),
            Action::Ballot(_) => return Err(Rejection::BallotNotByLogKey),
            Action::BallotBox(_) => return Err(Rejection::BallotBoxNotByLogKey),
            Action::RotateKey(r) => self.check_rotate_key(handle, &r.new_key)?,
            Action::Resign(_) => {
                if self.members.len() == 1 {
                    return Err(Rejection::LastMember);
                }
                Change::Leave {
                    handle: handle.to_string(),
                }
            }
            Action::StepDown(_) => {
                if !self.roll().is_editor(handle, time) {
                    return Err(Rejection::NotEditor {
                        handle: handle.to_string(),
                        action: EditorAction::StepDown,
                    });
                }
                Change::StepDown {
                    handle: handle.to_string(),
                }
            }
            Action::Publish(p) => Change::Article(article::check_publish(&self.desk(), by, p)?),
            Action::Correct(c) => Change::Article(article::check_correct(&self.desk(), by, c)?),
            Action::TipKey(k) => {
                self.tip_readers.check_key(handle, &k.recipient)?;
                Change::TipKey {
                    handle: handle.to_string(),
                    recipient: k.recipient.clone(),
                }
            }
            Action::BallotKey(k) => {
                self.ballot_keys.check(k)?;
                Change::BallotKey {
                    handle: handle.to_string(),
                    commitment: k.commitment.clone(),
                }
            }
            Action::SetMirrors(m) => {
                if !self.roll().is_editor(handle, time) {
                    return Err(Rejection::NotEditor {
                        handle: handle.to_string(),
                        action: EditorAction::SetMirrors,
                    });
                }
                check_mirrors(&m.mirrors)?;
                Change::Mirrors(m.mirrors.clone())
            }
        })
    }

    /// Applies a checked change: the one place the state is written (after
    /// `genesis`, which builds it).
    fn commit(&mut self, change: Change) {
        match change {
            Change::Statement(s) => self.statements.push(s),
            Change::Rekey { handle, key } => {
                if let Some(m) = self.members.get_mut(&handle) {
                    let old = std::mem::replace(&mut m.key, key);
                    self.retired.entry(handle).or_default().push(old);
                }
            }
            Change::Leave { handle } => self.remove_member(&handle),
            Change::StepDown { handle } => self.board.retain(|s| s.handle != handle),
            Change::Article(ArticleChange::Published(a)) => {
                self.touch(&a.slug);
                self.articles.insert(a.slug.clone(), Box::new(a));
            }
            Change::Article(ArticleChange::Corrected { slug, revision }) => {
                if let Some(a) = self.articles.get_mut(&slug) {
                    a.revisions.push(revision);
                    self.touch(&slug);
                }
            }
            Change::Governance(g) => self.commit_governance(*g),
            Change::Mirrors(list) => self.mirrors = list,
            Change::TipKey { handle, recipient } => self.tip_readers.set_key(&handle, recipient),
            Change::BallotKey { handle, commitment } => self.ballot_keys.set(&handle, commitment),
        }
    }

    fn commit_governance(&mut self, change: GovernanceChange) {
        match change {
            GovernanceChange::Proposed(p) => {
                self.proposals.insert(p.id, p);
            }
            GovernanceChange::Voted {
                proposal,
                handle,
                ballot,
            } => {
                if let Some(p) = self.proposals.get_mut(&proposal) {
                    p.votes.insert(handle, ballot);
                }
            }
            GovernanceChange::Nominated {
                proposal,
                handle,
                nomination,
            } => {
                if let Some(p) = self.proposals.get_mut(&proposal) {
                    p.nominations.insert(handle, nomination);
                }
            }
            GovernanceChange::Balloted { proposal, ballot } => {
                if let Some(s) = self
                    .proposals
                    .get_mut(&proposal)
                    .and_then(|p| p.secret.as_deref_mut())
                {
                    s.push_ballot(ballot);
                    self.ballot_run = Some(proposal);
                }
            }
            GovernanceChange::Sealed {
                proposal,
                commitment,
            } => {
                if let Some(s) = self
                    .proposals
                    .get_mut(&proposal)
                    .and_then(|p| p.secret.as_deref_mut())
                {
                    s.seals.push(commitment);
                    self.sealed.insert(proposal);
                }
            }
            GovernanceChange::Consented { proposal, handle } => {
                if let Some(n) = self
                    .proposals
                    .get_mut(&proposal)
                    .and_then(|p| p.nominations.get_mut(&handle))
                {
                    n.consented = true;
                }
            }
            GovernanceChange::Closed {
                proposal,
                outcome,
                edit,
                seed,
            } => {
                if let Some(p) = self.proposals.get_mut(&proposal) {
                    p.outcome = Some(outcome);
                    p.seed = seed;
                }
                if self.ballot_run == Some(proposal) {
                    self.ballot_run = None;
                }
                self.sealed.remove(&proposal);
                match edit {
                    None => {}
                    Some(Edit::Admit(m)) => {
                        self.members.insert(m.handle.clone(), m);
                    }
                    Some(Edit::Remove { handle }) => self.remove_member(&handle),
                    Some(Edit::Board(seats)) => self.board = seats,
                    Some(Edit::Charter(c)) => self.charter = c,
                    Some(Edit::Retract { slug }) => {
                        self.retracted.insert(slug);
                    }
                    Some(Edit::Redact { target }) => {
                        self.redacted.insert(target);
                    }
                    Some(Edit::TipReaders(handles)) => self.tip_readers.set_office(&handles),
                }
            }
        }
    }

    fn record(&mut self, entry: &ParsedEntry, signer: String) -> Applied {
        let applied = Applied {
            index: self.size,
            signer,
            body: entry.body.clone(),
            leaf_hash: entry.leaf_hash,
        };
        self.size += 1;
        self.last_time = entry.body.time;
        self.seen.insert(entry.leaf_hash.0);
        applied
    }

    fn check_rotate_key(&self, handle: &str, new_key: &str) -> Result<Change, Rejection> {
        let key = VerifierKey::parse(new_key).map_err(|source| Rejection::BadKey {
            field: KeyField::NewKey,
            source,
        })?;
        if key.name() != handle {
            return Err(Rejection::NewKeyName {
                handle: handle.to_string(),
            });
        }
        self.roll()
            .key_unused(&key)
            .map_err(Rejection::KeyConflict)?;
        Ok(Change::Rekey {
            handle: handle.to_string(),
            key,
        })
    }

    /// Takes a member out of the membership and off the board. Their open
    /// votes stop counting (tallies only count current members).
    fn remove_member(&mut self, handle: &str) {
        self.members.remove(handle);
        self.retired.remove(handle);
        self.board.retain(|s| s.handle != handle);
        self.tip_readers.leave(handle);
        self.ballot_keys.leave(handle);
        // Their leaf in every open secret proposal's tree is zeroed: a new
        // epoch (docs/BALLOT.md §4.4).
        // Only before the deadline: no ballot can be cast after it.
        for p in self.proposals.values_mut() {
            if p.outcome.is_none() && self.log_time < p.closes_at {
                if let Some(s) = p.secret.as_deref_mut() {
                    if s.leave(handle) {
                        self.sealed.remove(&p.id);
                    }
                }
            }
        }
    }

    /// The membership and the board, as the rules read them.
    pub fn roll(&self) -> Roll<'_> {
        Roll {
            members: &self.members,
            board: &self.board,
        }
    }

    /// What the article rules read.
    fn desk(&self) -> article::Facts<'_> {
        article::Facts {
            roll: self.roll(),
            languages: &self.charter.languages,
            articles: &self.articles,
            retracted: &self.retracted,
            redacted: &self.redacted,
        }
    }

    /// What the governance rules read.
    fn governance(&self) -> governance::Facts<'_> {
        governance::Facts {
            origin: &self.origin,
            charter: &self.charter,
            roll: self.roll(),
            articles: &self.articles,
            retracted: &self.retracted,
            proposals: &self.proposals,
            time_leaf: &self.time_leaf,
            ballot_keys: &self.ballot_keys,
            ballot_verifier: self.ballot_verifier.as_deref(),
        }
    }

    /// The election as STV counts it: candidates still members, the counted
    /// members' rankings restricted to them.
    pub fn stv_election(&self, p: &Proposal, counted: &[String]) -> crate::stv::Election {
        governance::stv_election(self.roll(), p, counted)
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn log_key(&self) -> &VerifierKey {
        &self.log_key
    }
    pub fn charter(&self) -> &Charter {
        &self.charter
    }
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }
    pub fn member(&self, handle: &str) -> Option<&Member> {
        self.members.get(handle)
    }
    pub fn board(&self) -> &[Seat] {
        &self.board
    }
    /// Whether `handle` holds editor rights at log time `time`: a member with
    /// a board seat whose term has not ended.
    pub fn is_editor(&self, handle: &str, time: u64) -> bool {
        self.roll().is_editor(handle, time)
    }
    pub fn proposals(&self) -> impl Iterator<Item = &Proposal> {
        self.proposals.values()
    }
    pub fn proposal(&self, id: u64) -> Option<&Proposal> {
        self.proposals.get(&id)
    }
    pub fn articles(&self) -> impl Iterator<Item = &Article> {
        self.articles.values()
    }
    /// Every article's [`crate::articles::Listing`] (what lists show of
    /// it), in slug order, without decoding the articles stored as rows.
    pub fn listings(&self) -> impl Iterator<Item = crate::articles::Listing<'_>> {
        self.articles.listings()
    }
    /// How many articles there are.
    pub fn article_count(&self) -> usize {
        self.articles.len()
    }
    /// The slugs of the articles published or corrected since the log size
    /// [`State::touched_since`] (empty while that is 0: then every article
    /// counts as changed).
    pub fn touched_articles(&self) -> &BTreeSet<String> {
        &self.touched
    }
    /// The log size from which [`State::touched_articles`] counts: the
    /// size of the snapshot last stored or loaded, 0 for a state folded
    /// from genesis.
    pub fn touched_since(&self) -> u64 {
        self.touched_since
    }
    /// Marks the state as stored at its size: changed articles count from
    /// here ([`State::touched_articles`]).
    /// A state whose rows are unread then counts the stored snapshot's
    /// rows as every article it has (the changed ones among them).
    /// Its replay set then holds as read what the snapshot wrote of it.
    pub fn clear_touched(&mut self) {
        self.touched.clear();
        self.touched_since = self.size;
        self.articles.stored_whole();
        self.seen.stored(self.size);
    }
    fn touch(&mut self, slug: &str) {
        if self.touched_since > 0 && !self.touched.contains(slug) {
            self.touched.insert(slug.to_string());
        }
    }
    /// The slugs of the articles the fold reads to judge `action`, the
    /// redaction targets included (see [`Action::article_reads`]); `None`
    /// if it reads every article. What a state whose rows are not read
    /// must fetch (`snapshot::fetch_article`) before it judges the action.
    pub fn article_slugs_for(&self, action: &Action) -> Option<Vec<String>> {
        match action.article_reads() {
            crate::action::ArticleReads::None => Some(Vec::new()),
            crate::action::ArticleReads::All => None,
            crate::action::ArticleReads::Slugs { slugs, redacted } => {
                let mut out: Vec<String> = slugs.into_iter().map(str::to_string).collect();
                if redacted {
                    out.extend(self.redacted.iter().cloned());
                }
                Some(out)
            }
        }
    }
    /// Whether the state knows every article the fold reads to judge
    /// `action`.
    fn knows_articles_for(&self, action: &Action) -> bool {
        match self.article_slugs_for(action) {
            None => self.articles.is_read(),
            Some(slugs) => slugs.iter().all(|s| self.articles.knows(s)),
        }
    }
    /// Whether the state knows the article `slug` (or that there is none):
    /// always once its rows are read; before, once fetched.
    pub fn knows_article(&self, slug: &str) -> bool {
        self.articles.knows(slug)
    }
    /// Whether the state holds every article: false for a state read from
    /// a snapshot's head alone ([`crate::snapshot::Decoder::finish_unread`]),
    /// which refuses entries that read articles
    /// ([`Rejection::ArticlesUnread`]) and must not be asked about
    /// articles, digested or encoded until its rows are read
    /// (`snapshot::read_rows`).
    pub fn articles_read(&self) -> bool {
        self.articles.is_read()
    }
    pub fn article(&self, slug: &str) -> Option<&Article> {
        self.articles.get(slug)
    }
    /// [`State::article`], decoded for the caller alone if the state holds
    /// it as a snapshot row not read before (see
    /// [`crate::articles::Articles::get_uncached`]).
    pub fn article_uncached(&self, slug: &str) -> Option<std::borrow::Cow<'_, Article>> {
        self.articles.get_uncached(slug)
    }
    /// What lists show of the article `slug`, nothing decoded.
    pub fn listing(&self, slug: &str) -> Option<crate::articles::Listing<'_>> {
        self.articles.listing(slug)
    }
    /// Members' signed statements, oldest first.
    pub fn statements(&self) -> &[StatementRecord] {
        &self.statements
    }
    pub fn retracted(&self) -> &BTreeSet<String> {
        &self.retracted
    }
    pub fn redacted(&self) -> &BTreeSet<String> {
        &self.redacted
    }
    /// The mirror list editors set last (empty if none).
    pub fn mirrors(&self) -> &[MirrorEntry] {
        &self.mirrors
    }
    /// The tip readers and their published age recipients.
    pub fn tip_readers(&self) -> &TipReaders {
        &self.tip_readers
    }
    /// Members' ballot keys (Semaphore identity commitments) and the
    /// retired ones.
    pub fn ballot_keys(&self) -> &BallotKeys {
        &self.ballot_keys
    }
    /// The ballot-box recipient in force (docs/BALLOT.md §5.6): what
    /// members encrypt secret ballots to; `None` until the sequencer
    /// publishes one.
    pub fn ballot_box(&self) -> Option<&str> {
        self.ballot_box.as_deref()
    }
    /// Every blob a passed redaction removed: all blobs of redacted articles,
    /// and blobs redacted by ID. Stores and mirrors delete these.
    pub fn redacted_blobs(&self) -> BTreeSet<crate::blob::BlobId> {
        article::redacted_blobs(&self.articles, &self.redacted)
    }
    /// Every blob an article revision names (bodies and media), redacted
    /// or not: what a complete copy holds, less `redacted_blobs`. Leaves
    /// no article decoded behind it.
    pub fn named_blobs(&self) -> BTreeSet<crate::blob::BlobId> {
        let mut out = BTreeSet::new();
        for (_, a) in self.articles.iter_uncached() {
            for r in &a.revisions {
                out.insert(r.body);
                out.extend(r.media.iter().copied());
            }
        }
        out
    }
    /// Every article, in slug order, each decoded for the caller alone
    /// (see [`crate::articles::Articles::iter_uncached`]).
    pub fn articles_uncached(&self) -> impl Iterator<Item = std::borrow::Cow<'_, Article>> {
        self.articles.iter_uncached().map(|(_, a)| a)
    }

    /// The replay set's base to store with the next snapshot, if it writes
    /// one (`snapshot::Encoded::seen_base`).
    pub(crate) fn seen_base_bytes(&self) -> Option<Vec<u8>> {
        self.seen.base_bytes()
    }
    /// The replay set's base as read or last stored (`snapshot::held_base`).
    pub(crate) fn seen_base_held(&self) -> Option<(u64, Vec<u8>)> {
        self.seen.held_base()
    }
    /// The log size of the replay set's base the next snapshot's head
    /// refers to.
    pub(crate) fn seen_base_at(&self) -> u64 {
        self.seen.base_at(self.size)
    }

    /// The leaf hashes of every entry folded so far, in no order.
    pub fn entry_hashes(&self) -> impl Iterator<Item = Hash> + '_ {
        self.seen.iter().map(|h| Hash(*h))
    }

    /// Whether an entry with this leaf hash is already in the log.
    pub fn contains_entry(&self, leaf: &Hash) -> bool {
        self.seen.contains(&leaf.0)
    }
    /// Number of entries folded so far (accepted ones).
    pub fn size(&self) -> u64 {
        self.size
    }
    /// The last entry's own time (a claim unless a tick), for display.
    pub fn last_time(&self) -> u64 {
        self.last_time
    }
    /// The log time: the latest tick's (or genesis's) time. Deadlines,
    /// periods and terms are judged by it.
    pub fn log_time(&self) -> u64 {
        self.log_time
    }

    /// A digest of everything the state holds (not the replay set, which is
    /// the log itself). Two copies that folded the same log agree on it.
    /// It hashes [`State::digest_input`]: typed data only (the entries'
    /// own strings, numbers, hashes and serde's snake_case tags), never a
    /// sentence, so rewording a message or a page cannot change it. The
    /// articles are in it as their root ([`crate::articles::RootHasher`]): 32
    /// bytes per article to hash, which a store keeps beside each row, so
    /// storing a snapshot costs the articles changed and their leaves, not
    /// the archive. A state whose rows are unread has no root of its own:
    /// its holder gives one ([`State::digest_with_root`]), else this
    /// digests it with the root [`State::articles_root`] gives it (32 zero
    /// bytes, unless it has no stored row), which no state read whole has.
    pub fn digest(&self) -> [u8; 32] {
        self.digest_with_root(&self.articles_root())
    }

    /// The articles' root ([`crate::articles::RootHasher`]); while the rows
    /// are unread it cannot be made without their leaves
    /// ([`State::root_with`]): 32 zero bytes then, unless the snapshot it
    /// was read from had no row (then the root of the articles changed
    /// since, which are all of them).
    pub fn articles_root(&self) -> [u8; 32] {
        match self.articles.root() {
            Some(root) => root,
            None => self
                .articles
                .root_with(std::iter::empty::<Result<_, std::convert::Infallible>>())
                .map(|r| r.unwrap_or_default())
                .unwrap_or_else(|e| match e {}),
        }
    }

    /// While the rows are unread: the articles' root from the stored
    /// rows' leaves, in slug order ([`crate::articles::Articles::root_with`]).
    pub fn root_with<E>(
        &self,
        leaves: impl IntoIterator<Item = Result<(String, [u8; 32]), E>>,
    ) -> Result<Result<[u8; 32], crate::articles::LeavesError>, E> {
        self.articles.root_with(leaves)
    }

    /// [`State::digest`], its articles' root being `root`.
    pub fn digest_with_root(&self, root: &[u8; 32]) -> [u8; 32] {
        self.digest_and_weight(root).0
    }

    /// [`State::digest_with_root`], and how many bytes it hashed: the
    /// compact JSON hashed as it is written, never whole in memory; the
    /// same bytes as [`State::digest_input`].
    pub(crate) fn digest_and_weight(&self, root: &[u8; 32]) -> ([u8; 32], u64) {
        struct Hashing(Sha256, u64);
        impl std::io::Write for Hashing {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                self.0.update(buf);
                self.1 += buf.len() as u64;
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut h = Hashing(Sha256::new(), 0);
        match serde_json::to_writer(&mut h, &DigestInput::of(self, root)) {
            Ok(()) => (h.0.finalize().into(), h.1),
            // Serializing plain structs cannot fail (see digest_input);
            // were it to, the whole input is hashed instead of a panic.
            Err(_) => {
                let input = self.digest_input_with(root);
                (Sha256::digest(&input).into(), input.len() as u64)
            }
        }
    }

    /// The bytes [`State::digest`] hashes: the state as compact JSON, the
    /// articles as their root.
    pub fn digest_input(&self) -> Vec<u8> {
        self.digest_input_with(&self.articles_root())
    }

    fn digest_input_with(&self, root: &[u8; 32]) -> Vec<u8> {
        // Serializing plain structs, string-keyed and integer-keyed maps
        // into memory cannot fail.
        serde_json::to_vec(&DigestInput::of(self, root)).unwrap_or_default()
    }
}

/// What [`State::digest`] hashes: the state's fields, then its articles'
/// root in hex.
#[derive(Serialize)]
struct DigestInput<'a> {
    #[serde(flatten)]
    state: &'a State,
    articles: String,
}

impl<'a> DigestInput<'a> {
    fn of(state: &'a State, root: &[u8; 32]) -> Self {
        Self {
            state,
            articles: hex::encode(root),
        }
    }
}

fn check_genesis(g: &Genesis, origin: &str) -> Result<BTreeMap<String, Member>, BadGenesis> {
    if g.name.trim().is_empty() || g.name.len() > MAX_NAME_LEN {
        return Err(BadGenesis::Name { max: MAX_NAME_LEN });
    }
    if g.founders.is_empty() || g.founders.len() > MAX_FOUNDERS {
        return Err(BadGenesis::FounderCount { max: MAX_FOUNDERS });
    }
    g.charter.validate().map_err(BadGenesis::Charter)?;
    let mut members = BTreeMap::new();
    for f in &g.founders {
        let key = VerifierKey::parse(f).map_err(|source| BadGenesis::FounderKey {
            key: f.chars().take(300).collect(),
            source,
        })?;
        if key.name() == origin {
            return Err(BadGenesis::FounderIsOrigin);
        }
        let handle = key.name().to_string();
        if members.contains_key(&handle) {
            return Err(BadGenesis::FounderTwice { handle });
        }
        members.insert(
            handle.clone(),
            Member {
                handle,
                key,
                since: 0,
            },
        );
    }
    Ok(members)
}

/// The sequencer's check that an entry's time is near its own clock. Kept out
/// of the fold so that replaying a log never depends on when it is replayed.
pub fn check_clock(entry_time: u64, now: u64) -> Result<(), Rejection> {
    if entry_time > now.saturating_add(MAX_AHEAD_SECS)
        || entry_time < now.saturating_sub(MAX_BEHIND_SECS)
    {
        return Err(Rejection::ClockSkew {
            time: entry_time,
            now,
        });
    }
    Ok(())
}

/// The replay set ([`State`]'s `seen`): the leaf hashes of every entry
/// folded, in three parts. The **base**: those a store keeps apart from the
/// snapshot head (`state_seen_base`), written again only now and then
/// ([`Seen::base_due`]), so a snapshot's head does not carry (and rewrite)
/// 32 bytes per entry of the whole log each time; the **run**: those the
/// stored head carries, accepted since the base; both kept as read, sorted,
/// looked up by binary search, so an open hashes none of them; and those
/// **added** since the last stored snapshot, in a hash set.
#[derive(Debug, Clone, Default)]
pub(crate) struct Seen {
    /// Sorted, none twice: the base's hashes.
    base: Vec<[u8; 32]>,
    /// The log size the base was written at (0: none; the head then
    /// carries every hash as its run).
    base_at: u64,
    /// Sorted, none twice, none in `base`.
    run: Vec<[u8; 32]>,
    /// Accepted since; in neither.
    added: HashSet<[u8; 32]>,
}

/// The run a head carries at most before the base is written again, and
/// the base's share: see [`Seen::base_due`].
const SEEN_RUN: usize = 1024;
const SEEN_RUN_SHARE: usize = 16;

/// Sorted and without repeats.
fn sorted(mut hashes: Vec<[u8; 32]>) -> Vec<[u8; 32]> {
    if !hashes.is_sorted() {
        hashes.sort_unstable();
    }
    hashes.dedup();
    hashes
}

impl Seen {
    /// The set of `hashes` (sorted here if they are not), all as a run.
    #[cfg(test)]
    pub(crate) fn from_hashes(hashes: Vec<[u8; 32]>) -> Self {
        Self::from_parts(Vec::new(), 0, hashes)
    }

    /// The set a snapshot holds: the base written at `base_at` (none if
    /// 0) and the head's run.
    pub(crate) fn from_parts(base: Vec<[u8; 32]>, base_at: u64, run: Vec<[u8; 32]>) -> Self {
        let base = sorted(base);
        let mut run = sorted(run);
        run.retain(|h| base.binary_search(h).is_err());
        Seen {
            base,
            base_at,
            run,
            added: HashSet::new(),
        }
    }

    pub(crate) fn contains(&self, h: &[u8; 32]) -> bool {
        self.added.contains(h)
            || self.run.binary_search(h).is_ok()
            || self.base.binary_search(h).is_ok()
    }

    pub(crate) fn insert(&mut self, h: [u8; 32]) {
        if self.run.binary_search(&h).is_err() && self.base.binary_search(&h).is_err() {
            self.added.insert(h);
        }
    }

    /// Whether `h` was there (and is no longer).
    pub(crate) fn remove(&mut self, h: &[u8; 32]) -> bool {
        if self.added.remove(h) {
            return true;
        }
        for part in [&mut self.run, &mut self.base] {
            if let Ok(i) = part.binary_search(h) {
                part.remove(i);
                return true;
            }
        }
        false
    }

    pub(crate) fn len(&self) -> usize {
        self.base.len() + self.run.len() + self.added.len()
    }

    /// Every hash, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8; 32]> {
        self.base
            .iter()
            .chain(self.run.iter())
            .chain(self.added.iter())
    }

    /// Whether the next stored snapshot writes the base again (every hash)
    /// rather than a head carrying the run: when there is none, or the run
    /// with the hashes added since has grown past [`SEEN_RUN`] and a
    /// sixteenth of the base. A head then carries at most that many hashes,
    /// and the base (32 bytes per entry of the log) is written about once
    /// per that many entries.
    pub(crate) fn base_due(&self) -> bool {
        self.base_at == 0
            || self.run.len() + self.added.len() > SEEN_RUN.max(self.base.len() / SEEN_RUN_SHARE)
    }

    /// The log size of the base a head refers to: `size` if the next
    /// snapshot (of a state of `size` entries) writes it, else the stored
    /// one's.
    pub(crate) fn base_at(&self, size: u64) -> u64 {
        match self.base_due() {
            true => size,
            false => self.base_at,
        }
    }

    /// The hashes of the run a head carries, sorted: empty if the base is
    /// due (it holds them all).
    pub(crate) fn head_run(&self) -> Vec<[u8; 32]> {
        if self.base_due() {
            return Vec::new();
        }
        let mut run: Vec<[u8; 32]> = self.run.iter().chain(self.added.iter()).copied().collect();
        run.sort_unstable();
        run
    }

    /// The base as read or last stored: its log size and hashes.
    pub(crate) fn held_base(&self) -> Option<(u64, Vec<u8>)> {
        (self.base_at > 0).then(|| {
            (
                self.base_at,
                self.base.iter().flat_map(|h| h.iter().copied()).collect(),
            )
        })
    }

    /// The base to write, every hash sorted and concatenated, if due.
    pub(crate) fn base_bytes(&self) -> Option<Vec<u8>> {
        if !self.base_due() {
            return None;
        }
        let mut all: Vec<&[u8; 32]> = self.iter().collect();
        all.sort_unstable();
        Some(all.iter().flat_map(|h| h.iter().copied()).collect())
    }

    /// After a snapshot of a state of `size` entries was stored: what it
    /// wrote is what this holds as read ([`Seen::base_due`] decides the
    /// same as when it was encoded, nothing having changed since).
    pub(crate) fn stored(&mut self, size: u64) {
        let due = self.base_due();
        let added = std::mem::take(&mut self.added);
        if due {
            let mut all = std::mem::take(&mut self.base);
            all.append(&mut self.run);
            all.extend(added);
            self.base = sorted(all);
            self.base_at = size;
        } else {
            self.run.extend(added);
            self.run.sort_unstable();
        }
    }
}

#[cfg(test)]
mod seen_tests {
    use super::Seen;

    #[test]
    fn a_hash_read_or_added_is_found_once_and_removed_once() {
        let h = |b: u8| [b; 32];
        let mut s = Seen::from_hashes(vec![h(9), h(1), h(5), h(5)]);
        assert_eq!(s.len(), 3, "sorted, none twice");
        assert!(s.contains(&h(5)) && s.contains(&h(9)) && !s.contains(&h(2)));
        s.insert(h(2));
        s.insert(h(5));
        assert_eq!(s.len(), 4, "one read already is not added again");
        assert!(s.contains(&h(2)));
        assert!(s.remove(&h(2)) && !s.contains(&h(2)));
        assert!(s.remove(&h(9)) && !s.contains(&h(9)));
        assert!(!s.remove(&h(9)));
        let mut all: Vec<_> = s.iter().copied().collect();
        all.sort();
        assert_eq!(all, vec![h(1), h(5)]);
    }

    /// The base is written when there is none, then the head carries the
    /// run until it outgrows its bound, and what a stored snapshot wrote is
    /// held as read.
    #[test]
    fn the_base_is_written_first_then_now_and_then() {
        let h = |n: u32| {
            let mut x = [0u8; 32];
            x[..4].copy_from_slice(&n.to_be_bytes());
            x
        };
        let mut s = Seen::default();
        for n in (0..10).rev() {
            s.insert(h(n));
        }
        assert!(s.base_due(), "no base yet");
        assert_eq!(s.base_at(10), 10);
        assert!(s.head_run().is_empty());
        let base = s.base_bytes().unwrap();
        assert_eq!(base.len(), 10 * 32);
        assert_eq!(&base[..32], &h(0)[..], "sorted");
        s.stored(10);
        assert!(!s.base_due());
        assert_eq!(s.base_at(11), 10, "the stored base");
        for n in 10..10 + super::SEEN_RUN as u32 {
            s.insert(h(n));
        }
        assert!(!s.base_due(), "a run of SEEN_RUN is carried by the head");
        assert_eq!(s.head_run().len(), super::SEEN_RUN);
        assert_eq!(s.base_bytes(), None);
        s.stored(10 + super::SEEN_RUN as u64);
        assert!(s.contains(&h(5)) && s.contains(&h(500)));
        s.insert(h(99_999));
        assert!(s.base_due(), "one past the run's bound");
        assert_eq!(s.base_bytes().unwrap().len(), (11 + super::SEEN_RUN) * 32);
        s.stored(11 + super::SEEN_RUN as u64);
        assert!(!s.base_due() && s.head_run().is_empty());
        assert_eq!(s.len(), 11 + super::SEEN_RUN);
        assert!(s.remove(&h(3)) && !s.contains(&h(3)), "from the base");
    }
}
