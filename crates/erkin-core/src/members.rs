//! Members and board seats, and the read-only questions the rules ask of
//! them (is this a member, an editor, a member since before that entry, may
//! this key join). The fold (`state.rs`) owns and changes them; the rule
//! modules (`article`, `governance`) read them through [`Roll`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys::VerifierKey;
use crate::rejection::KeyConflict;

pub const DAY_SECS: u64 = 24 * 60 * 60;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub handle: String,
    #[serde(serialize_with = "ser_key", deserialize_with = "de_key")]
    pub key: VerifierKey,
    /// Log index of the entry that made them a member.
    pub since: u64,
}

/// A seat on the editorial board. Editors publish and correct until `until`
/// (log time), or until they stop being members.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seat {
    pub handle: String,
    pub since: u64,
    pub until: u64,
}

pub(crate) fn ser_key<S: serde::Serializer>(k: &VerifierKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(k.as_str())
}

/// Reads what [`ser_key`] wrote (a state snapshot).
pub(crate) fn de_key<'de, D: serde::Deserializer<'de>>(d: D) -> Result<VerifierKey, D::Error> {
    let text = String::deserialize(d)?;
    VerifierKey::parse(&text).map_err(serde::de::Error::custom)
}

/// The membership and the board as the rules read them.
#[derive(Debug, Clone, Copy)]
pub struct Roll<'a> {
    /// Members by handle (their key's name).
    pub members: &'a BTreeMap<String, Member>,
    pub board: &'a [Seat],
}

impl Roll<'_> {
    pub fn is_member(&self, handle: &str) -> bool {
        self.members.contains_key(handle)
    }

    /// Whether `handle` holds editor rights at log time `time`: a member with
    /// a board seat whose term has not ended.
    pub fn is_editor(&self, handle: &str, time: u64) -> bool {
        self.is_member(handle)
            && self
                .board
                .iter()
                .any(|s| s.handle == handle && s.since <= time && time < s.until)
    }

    /// Whether `handle` is a member whose membership began before entry `id`.
    /// Handles can return (someone leaves, a newcomer is admitted under the
    /// same name), so a proposal's electorate, candidates and targets are the
    /// *memberships* that existed when it was made, not the names.
    pub fn member_before(&self, handle: &str, id: u64) -> bool {
        self.members.get(handle).is_some_and(|m| m.since < id)
    }

    /// Why `key` cannot belong to a member now, if it cannot: its handle is
    /// taken or is the origin, or another member holds the key.
    pub fn key_conflict(&self, key: &VerifierKey, origin: &str) -> Result<(), KeyConflict> {
        if self.members.contains_key(key.name()) {
            return Err(KeyConflict::HandleTaken {
                handle: key.name().to_string(),
            });
        }
        if key.name() == origin {
            return Err(KeyConflict::HandleIsOrigin);
        }
        self.key_unused(key)
    }

    /// Whether no member holds `key` already.
    pub fn key_unused(&self, key: &VerifierKey) -> Result<(), KeyConflict> {
        if self.members.values().any(|m| &m.key == key) {
            return Err(KeyConflict::KeyTaken);
        }
        Ok(())
    }
}
