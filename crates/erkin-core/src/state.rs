//! The publication's state and the fold that computes it from the log.
//!
//! The state is a pure, deterministic function of the entries: the sequencer
//! admits an entry only if [`State::apply`] accepts it against the state before
//! it, and every mirror re-runs the same fold and must reach the same state
//! (compare [`State::digest`]). An entry the fold rejects, found in a log, is
//! evidence that the sequencer misbehaved; the fold leaves the state unchanged
//! and the verifier reports it.
//!
//! No clock is read here. Entry times are the authors'; the fold only requires
//! them to be non-decreasing, and judges deadlines by them. The sequencer's
//! "near my clock" check takes the clock as an argument ([`check_clock`]).
//!
//! Governance (proposals, votes, closing and their effects) is in
//! `governance.rs`; this file holds membership and the dispatch.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use serde::Serialize;
use sha2::{Digest, Sha256};
use tlog_tiles::Hash;

use crate::action::{Action, Genesis, MAX_FOUNDERS, MAX_NAME_LEN, MAX_STATEMENT_LEN};
use crate::charter::Charter;
use crate::entry::{EntryBody, EntryError, ParsedEntry};
use crate::governance::Proposal;
use crate::keys::{KeyError, VerifierKey};

/// How far ahead of the sequencer's clock an entry's time may be.
pub const MAX_FUTURE_SKEW_SECS: u64 = 5 * 60;
/// How far behind the sequencer's clock an entry's time may be: a member may
/// sign on a laptop and submit from a café a day later, but not a year later.
pub const MAX_PAST_SKEW_SECS: u64 = 24 * 60 * 60;
pub const DAY_SECS: u64 = 24 * 60 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Member {
    pub handle: String,
    #[serde(serialize_with = "crate::state::ser_key")]
    pub key: VerifierKey,
    /// Log index of the entry that made them a member.
    pub since: u64,
}

/// A seat on the editorial board. Editors publish and correct until `until`
/// (log time), or until they stop being members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seat {
    pub handle: String,
    pub since: u64,
    pub until: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct State {
    pub(crate) origin: String,
    pub(crate) name: String,
    #[serde(serialize_with = "crate::state::ser_key")]
    pub(crate) log_key: VerifierKey,
    pub(crate) charter: Charter,
    /// Members by handle (their key's name), so a signature's (name, key ID)
    /// finds its member in one lookup.
    pub(crate) members: BTreeMap<String, Member>,
    pub(crate) board: Vec<Seat>,
    /// Proposals by ID (the log index of the `propose` entry).
    pub(crate) proposals: BTreeMap<u64, Proposal>,
    /// Articles by slug, with every revision.
    pub(crate) articles: BTreeMap<String, crate::article::Article>,
    /// Articles retracted and articles or blobs redacted by passed votes.
    pub(crate) retracted: BTreeSet<String>,
    pub(crate) redacted: BTreeSet<String>,
    pub(crate) size: u64,
    pub(crate) last_time: u64,
    /// Leaf hashes of every accepted entry: the same signed bytes are never
    /// admitted twice (a replay). Not part of the digest: it is the log itself.
    #[serde(skip)]
    pub(crate) seen: HashSet<[u8; 32]>,
}

fn ser_key<S: serde::Serializer>(k: &VerifierKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str())
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Rejection {
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error("the first entry of a log must be a genesis entry, found {found}")]
    NotGenesis { found: &'static str },
    #[error("genesis is invalid: {0}")]
    BadGenesis(String),
    #[error("genesis names log key {found}, but the pinned key is {pinned}")]
    LogKeyMismatch { pinned: String, found: String },
    #[error("a publication has exactly one genesis entry; this log already has one")]
    SecondGenesis,
    #[error("signer {name}+{id:08x} is not a member of this publication")]
    NotAMember { name: String, id: u32 },
    #[error("entry time {time} is before the previous entry's time {previous}; entry times must not go backwards")]
    TimeWentBackwards { time: u64, previous: u64 },
    #[error("entry time {time} is too far from the sequencer's clock ({now}); check the signing machine's clock")]
    ClockSkew { time: u64, now: u64 },
    #[error("this exact entry is already in the log (replay)")]
    Duplicate,
    #[error("action is invalid: {0}")]
    Invalid(String),
    #[error("no proposal #{0} (a proposal's ID is the log index of its propose entry)")]
    UnknownProposal(u64),
    #[error("proposal #{0} is already closed")]
    ProposalClosed(u64),
    #[error("voting on proposal #{proposal} ended at {closes_at}; this vote is dated {time}")]
    VotingEnded {
        proposal: u64,
        closes_at: u64,
        time: u64,
    },
    #[error("proposal #{proposal} closes at {closes_at} and not every eligible member has voted; it cannot be closed at {time}")]
    TooEarly {
        proposal: u64,
        closes_at: u64,
        time: u64,
    },
    #[error("{handle} may not vote on proposal #{proposal}: {reason}")]
    NotEligible {
        handle: String,
        proposal: u64,
        reason: &'static str,
    },
    #[error("voting period too short: the charter requires at least {min_hours} hours for a {kind} proposal")]
    PeriodTooShort { kind: &'static str, min_hours: u32 },
    #[error("wrong kind of ballot: {0}")]
    WrongBallot(&'static str),
    #[error("the charter is invalid: {0}")]
    BadCharter(String),
    #[error("not permitted: {0}")]
    NotPermitted(String),
}

impl Rejection {
    /// A stable, machine-readable name for this kind of rejection: the
    /// members' API's error code. Never renamed once released.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::Entry(_) => "bad_entry",
            Rejection::NotGenesis { .. }
            | Rejection::BadGenesis(_)
            | Rejection::LogKeyMismatch { .. }
            | Rejection::SecondGenesis => "bad_genesis",
            Rejection::NotAMember { .. } => "not_a_member",
            Rejection::TimeWentBackwards { .. } => "time_went_backwards",
            Rejection::ClockSkew { .. } => "clock_skew",
            Rejection::Duplicate => "duplicate",
            Rejection::Invalid(_) => "invalid_action",
            Rejection::UnknownProposal(_) => "unknown_proposal",
            Rejection::ProposalClosed(_) => "proposal_closed",
            Rejection::VotingEnded { .. } => "voting_ended",
            Rejection::TooEarly { .. } => "too_early",
            Rejection::NotEligible { .. } => "not_eligible",
            Rejection::PeriodTooShort { .. } => "period_too_short",
            Rejection::WrongBallot(_) => "wrong_ballot",
            Rejection::BadCharter(_) => "bad_charter",
            Rejection::NotPermitted(_) => "not_permitted",
        }
    }
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
        let members = check_genesis(g, origin)?;
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
            articles: BTreeMap::new(),
            retracted: BTreeSet::new(),
            redacted: BTreeSet::new(),
            size: 0,
            last_time: 0,
            seen: HashSet::new(),
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
        let (name, id) = entry.signer();
        let member = self
            .members
            .get(name)
            .filter(|m| m.key.key_id() == id)
            .ok_or_else(|| Rejection::NotAMember {
                name: name.to_string(),
                id,
            })?;
        entry.verify_by(&member.key)?;
        let handle = member.handle.clone();
        let time = entry.body.time;
        if time < self.last_time {
            return Err(Rejection::TimeWentBackwards {
                time,
                previous: self.last_time,
            });
        }
        if self.seen.contains(&entry.leaf_hash.0) {
            return Err(Rejection::Duplicate);
        }
        let index = self.size;
        // Each arm checks everything first and mutates only once it cannot
        // fail, so a rejection leaves the state exactly as it was.
        match &entry.body.action {
            Action::Genesis(_) => return Err(Rejection::SecondGenesis),
            Action::Statement(s) => check_text("a statement", &s.text, MAX_STATEMENT_LEN)?,
            Action::Propose(p) => self.propose(index, &handle, time, p, &entry.leaf_hash)?,
            Action::Vote(v) => self.vote(&handle, time, v)?,
            Action::Close(c) => self.close(index, time, c.proposal)?,
            Action::RotateKey(r) => self.rotate_key(&handle, &r.new_key)?,
            Action::Resign(_) => self.resign(&handle)?,
            Action::Publish(p) => self.publish(index, &entry.leaf_hash, &handle, time, p)?,
            Action::Correct(c) => self.correct(index, &entry.leaf_hash, &handle, time, c)?,
        }
        Ok(self.record(entry, handle))
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

    fn rotate_key(&mut self, handle: &str, new_key: &str) -> Result<(), Rejection> {
        let key =
            VerifierKey::parse(new_key).map_err(|e| Rejection::Invalid(format!("new key: {e}")))?;
        if key.name() != handle {
            return Err(Rejection::Invalid(format!(
                "the new key's name must be your handle {handle:?} (make it with `erkin key new --name {handle}`)"
            )));
        }
        if self.members.values().any(|m| m.key == key) {
            return Err(Rejection::Invalid("that key is already in use".into()));
        }
        self.members
            .get_mut(handle)
            .expect("signer is a member")
            .key = key;
        Ok(())
    }

    fn resign(&mut self, handle: &str) -> Result<(), Rejection> {
        if self.members.len() == 1 {
            return Err(Rejection::NotPermitted(
                "the last member cannot resign: a publication needs at least one member".into(),
            ));
        }
        self.remove_member(handle);
        Ok(())
    }

    /// Takes a member out of the membership and off the board. Their open
    /// votes stop counting (tallies only count current members).
    pub(crate) fn remove_member(&mut self, handle: &str) {
        self.members.remove(handle);
        self.board.retain(|s| s.handle != handle);
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
        self.members.contains_key(handle)
            && self
                .board
                .iter()
                .any(|s| s.handle == handle && s.since <= time && time < s.until)
    }
    pub fn proposals(&self) -> impl Iterator<Item = &Proposal> {
        self.proposals.values()
    }
    pub fn proposal(&self, id: u64) -> Option<&Proposal> {
        self.proposals.get(&id)
    }
    pub fn articles(&self) -> impl Iterator<Item = &crate::article::Article> {
        self.articles.values()
    }
    pub fn article(&self, slug: &str) -> Option<&crate::article::Article> {
        self.articles.get(slug)
    }
    pub fn retracted(&self) -> &BTreeSet<String> {
        &self.retracted
    }
    pub fn redacted(&self) -> &BTreeSet<String> {
        &self.redacted
    }
    /// Every blob a passed redaction removed: all blobs of redacted articles,
    /// and blobs redacted by ID. Stores and mirrors delete these.
    pub fn redacted_blobs(&self) -> BTreeSet<crate::blob::BlobId> {
        let mut out = BTreeSet::new();
        for target in &self.redacted {
            if let Some(a) = self.articles.get(target) {
                out.extend(a.blobs().copied());
            } else if let Ok(id) = target.parse() {
                out.insert(id);
            }
        }
        out
    }
    /// Whether an entry with this leaf hash is already in the log.
    /// Every blob an article revision names (bodies and media), redacted
    /// or not: what a complete copy holds, less `redacted_blobs`.
    pub fn named_blobs(&self) -> BTreeSet<crate::blob::BlobId> {
        self.articles
            .values()
            .flat_map(|a| &a.revisions)
            .flat_map(|r| std::iter::once(r.body).chain(r.media.iter().copied()))
            .collect()
    }

    /// The leaf hashes of every entry folded so far, in no order.
    pub fn entry_hashes(&self) -> impl Iterator<Item = Hash> + '_ {
        self.seen.iter().map(|h| Hash(*h))
    }

    pub fn contains_entry(&self, leaf: &Hash) -> bool {
        self.seen.contains(&leaf.0)
    }
    /// Number of entries folded so far (accepted ones).
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn last_time(&self) -> u64 {
        self.last_time
    }

    /// A digest of everything the state holds (not the replay set, which is
    /// the log itself). Two copies that folded the same log agree on it.
    pub fn digest(&self) -> [u8; 32] {
        let json = serde_json::to_vec(self).expect("state serializes");
        Sha256::digest(json).into()
    }
}

pub(crate) fn check_text(what: &str, text: &str, max: usize) -> Result<(), Rejection> {
    if text.trim().is_empty() || text.len() > max {
        return Err(Rejection::Invalid(format!(
            "{what} must have 1 to {max} bytes of text"
        )));
    }
    Ok(())
}

fn check_genesis(g: &Genesis, origin: &str) -> Result<BTreeMap<String, Member>, Rejection> {
    let bad = |m: String| Rejection::BadGenesis(m);
    if g.name.trim().is_empty() || g.name.len() > MAX_NAME_LEN {
        return Err(bad(format!("the name must have 1 to {MAX_NAME_LEN} bytes")));
    }
    if g.founders.is_empty() || g.founders.len() > MAX_FOUNDERS {
        return Err(bad(format!("there must be 1 to {MAX_FOUNDERS} founders")));
    }
    g.charter
        .validate()
        .map_err(|e| bad(format!("charter: {e}")))?;
    let mut members = BTreeMap::new();
    for f in &g.founders {
        let key =
            VerifierKey::parse(f).map_err(|e: KeyError| bad(format!("founder key {f:?}: {e}")))?;
        if key.name() == origin {
            return Err(bad(
                "a founder's key name may not be the origin (that name belongs to the log key)"
                    .into(),
            ));
        }
        let handle = key.name().to_string();
        if members.contains_key(&handle) {
            return Err(bad(format!("two founders use the handle {handle:?}")));
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
    if entry_time > now.saturating_add(MAX_FUTURE_SKEW_SECS)
        || entry_time < now.saturating_sub(MAX_PAST_SKEW_SECS)
    {
        return Err(Rejection::ClockSkew {
            time: entry_time,
            now,
        });
    }
    Ok(())
}
