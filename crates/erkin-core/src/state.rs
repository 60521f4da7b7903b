//! The publication's state and the fold that computes it from the log.
//!
//! The state is a pure, deterministic function of the entries: the sequencer
//! admits an entry only if [`State::apply`] accepts it against the state before
//! it, and every mirror re-runs the same fold and must reach the same state. An
//! entry the fold rejects, found in a log, is evidence that the sequencer
//! misbehaved; the fold leaves the state unchanged and the verifier reports it.
//!
//! No clock is read here. Entry times are the authors'; the fold only requires
//! them to be non-decreasing. The sequencer's "near my clock" check takes the
//! clock as an argument ([`check_clock`]).

use std::collections::{BTreeMap, HashSet};

use tlog_tiles::Hash;

use crate::action::{Action, Genesis, MAX_FOUNDERS, MAX_NAME_LEN, MAX_STATEMENT_LEN};
use crate::entry::{EntryBody, EntryError, ParsedEntry};
use crate::keys::{KeyError, VerifierKey};

/// How far ahead of the sequencer's clock an entry's time may be.
pub const MAX_FUTURE_SKEW_SECS: u64 = 5 * 60;
/// How far behind the sequencer's clock an entry's time may be: a member may
/// sign on a laptop and submit from a café a day later, but not a year later.
pub const MAX_PAST_SKEW_SECS: u64 = 24 * 60 * 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub handle: String,
    pub key: VerifierKey,
    /// Log index of the entry that made them a member.
    pub since: u64,
}

#[derive(Debug, Clone)]
pub struct State {
    origin: String,
    name: String,
    log_key: VerifierKey,
    charter: crate::action::Charter,
    /// Members by handle (their key's name), so a signature's (name, key ID)
    /// finds its member in one lookup.
    members: BTreeMap<String, Member>,
    size: u64,
    last_time: u64,
    /// Leaf hashes of every accepted entry: the same signed bytes are never
    /// admitted twice (a replay).
    seen: HashSet<[u8; 32]>,
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
        let mut state = State {
            origin: origin.to_string(),
            name: g.name.clone(),
            log_key: log_key.clone(),
            charter: g.charter.clone(),
            members,
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
        if entry.body.time < self.last_time {
            return Err(Rejection::TimeWentBackwards {
                time: entry.body.time,
                previous: self.last_time,
            });
        }
        if self.seen.contains(&entry.leaf_hash.0) {
            return Err(Rejection::Duplicate);
        }
        match &entry.body.action {
            Action::Genesis(_) => return Err(Rejection::SecondGenesis),
            Action::Statement(s) => {
                if s.text.trim().is_empty() || s.text.len() > MAX_STATEMENT_LEN {
                    return Err(Rejection::Invalid(format!(
                        "a statement must have 1 to {MAX_STATEMENT_LEN} bytes of text"
                    )));
                }
            }
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

    pub fn origin(&self) -> &str {
        &self.origin
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn log_key(&self) -> &VerifierKey {
        &self.log_key
    }
    pub fn charter(&self) -> &crate::action::Charter {
        &self.charter
    }
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }
    /// Number of entries folded so far (accepted ones).
    pub fn size(&self) -> u64 {
        self.size
    }
    pub fn last_time(&self) -> u64 {
        self.last_time
    }
}

fn check_genesis(g: &Genesis, origin: &str) -> Result<BTreeMap<String, Member>, Rejection> {
    let bad = |m: String| Rejection::BadGenesis(m);
    if g.name.trim().is_empty() || g.name.len() > MAX_NAME_LEN {
        return Err(bad(format!("the name must have 1 to {MAX_NAME_LEN} bytes")));
    }
    if g.founders.is_empty() || g.founders.len() > MAX_FOUNDERS {
        return Err(bad(format!("there must be 1 to {MAX_FOUNDERS} founders")));
    }
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
