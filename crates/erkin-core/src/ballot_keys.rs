//! Members' ballot keys (docs/BALLOT.md §5.1): the Semaphore identity
//! commitment each member registers with a signed `ballot_key` entry, for
//! the secret ballots of proposals made from then on.
//!
//! A commitment is registered at most once, ever, by anyone (Veridise
//! V-SEM-VUL-004: two leaves with one commitment would be one secret with
//! two votes' worth of leaves, and a copied commitment would put someone
//! else's secret in a member's place). A replaced commitment, and that of a
//! member who leaves, is **retired**: the fold refuses it ever after.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::action::BallotKey;
use crate::ballot::{self, FieldElement};
use crate::rejection::Rejection;

/// The current ballot keys and the retired ones: part of the folded state
/// and its digest (left out of the digest's JSON while empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotKeys {
    /// Each member's current commitment (64 lowercase hex), by handle.
    pub current: BTreeMap<String, String>,
    /// Commitments replaced, or held by a member who left: never accepted again.
    pub retired: BTreeSet<String>,
}

impl BallotKeys {
    pub fn is_empty(&self) -> bool {
        self.current.is_empty() && self.retired.is_empty()
    }

    /// `handle`'s current ballot key, if they have registered one.
    pub fn get(&self, handle: &str) -> Option<FieldElement> {
        self.current
            .get(handle)
            .and_then(|c| FieldElement::from_hex(c).ok())
    }

    /// Whether a member may register `key` now (the signer is a member:
    /// the fold checked that before).
    pub fn check(&self, key: &BallotKey) -> Result<(), Rejection> {
        ballot::check_scheme(&key.scheme)
            .and_then(|()| ballot::parse_commitment(&key.commitment))
            .map_err(|reason| Rejection::BadBallotKey { reason })?;
        if self.retired.contains(&key.commitment)
            || self.current.values().any(|c| *c == key.commitment)
        {
            return Err(Rejection::BallotKeyTaken);
        }
        Ok(())
    }

    /// A checked `ballot_key`: the member's previous commitment is retired.
    pub(crate) fn set(&mut self, handle: &str, commitment: String) {
        if let Some(old) = self.current.insert(handle.to_string(), commitment) {
            self.retired.insert(old);
        }
    }

    /// A member left the publication: their commitment is retired.
    pub(crate) fn leave(&mut self, handle: &str) {
        if let Some(old) = self.current.remove(handle) {
            self.retired.insert(old);
        }
    }
}
