//! Evidence files: what a mirror saves when a source rolls it back, shows it
//! a forked log, or serves a log holding an entry the rules forbid — in a form
//! anyone can check with nothing but the log's verifier key.
//!
//! What is proven and what is only testimony:
//! - Both checkpoints are signed notes: anyone can check who signed them.
//! - A **fork** is proven when the log key signed two trees that cannot both
//!   be true: the same size with different roots, or a consistency proof
//!   that fails. A failing proof proves nothing by itself (anyone can write
//!   wrong hashes), so the file carries the hash tiles of the larger tree
//!   the proof was built from; [`check`] authenticates them against that
//!   tree's signed root and rebuilds the proof itself.
//! - A **rollback** is a source serving an older checkpoint than one this
//!   copy had already accepted. Both are genuine; that the older one was
//!   served later (`source`, `observed_at`) is the mirror's testimony. The
//!   proof shows the older tree is a prefix of the newer (else it is a fork).
//! - A **forbidden entry** is proven to be in the log by an inclusion proof
//!   against the signed checkpoint; that the rules forbid it is re-checked
//!   by folding any copy of the log (`erkin verify`), since the rules depend
//!   on everything before it.
//! - An **implausible** checkpoint is one the log key signed for a tree far
//!   larger than the copy could take in one sync (or than any real log).
//!   The signature proves the key signed that size; that it is absurd is the
//!   mirror's judgement against its limit (`explanation`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tlog_tiles::{Hash, TreeProof};

use crate::checkpoint::{Checkpoint, CheckpointError};
use crate::keys::VerifierKey;
use crate::tiled::{consistency_proof, CopyTiles, MapCopy};
use crate::tiles::TilePath;
use crate::tree::{check_consistency, check_inclusion, record_hash};

pub const EVIDENCE_FORMAT: &str = "erkin.evidence/v1";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    Rollback,
    Fork,
    Misbehaviour,
    /// The log key signed a checkpoint of an absurd size.
    Implausible,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evidence {
    pub format: String,
    pub kind: EvidenceKind,
    pub verifier_key: String,
    /// Where the `served` checkpoint came from (testimony).
    pub source: String,
    /// When it was served, Unix seconds (testimony).
    pub observed_at: u64,
    /// The checkpoint this copy had accepted before (empty if none).
    pub accepted: String,
    /// The checkpoint the source served.
    pub served: String,
    /// Consistency proof from the smaller tree to the larger (hex hashes).
    pub proof: Vec<String>,
    /// Hash tiles of the larger tree from which `proof` was built, by path
    /// (hex). Empty when the proof succeeds or the sizes are equal.
    pub tiles: BTreeMap<String, String>,
    /// For misbehaviour: the entry the rules forbid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<ForbiddenEntry>,
    /// What the mirror concluded, for people.
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForbiddenEntry {
    pub index: u64,
    /// The entry's signed note, as in the log.
    pub entry: String,
    /// Inclusion proof of the entry in the `served` tree (hex hashes).
    pub inclusion_proof: Vec<String>,
    /// The rule it breaks, as the mirror's fold said.
    pub rejection: String,
}

/// What [`check`] established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// An older checkpoint of the same log was served after a newer one.
    Rollback { accepted: u64, served: u64 },
    /// The log key signed two trees that cannot both be true.
    Fork { how: ForkProof },
    /// The entry is in the log (proven); the rule it breaks is as stated.
    ForbiddenEntry { index: u64, rejection: String },
    /// The log key signed a checkpoint of `size` entries (proven); the
    /// copy had accepted `accepted` (testimony; 0 if none).
    Implausible { accepted: u64, size: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForkProof {
    /// Two checkpoints of the same size with different roots.
    SameSizeDifferentRoots { size: u64 },
    /// The larger tree, as its authenticated tiles show, does not contain
    /// the smaller one.
    InconsistentTrees { smaller: u64, larger: u64 },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EvidenceError {
    #[error("not an evidence file: {0}")]
    Malformed(String),
    #[error("the {which} checkpoint: {error}")]
    BadCheckpoint {
        which: &'static str,
        error: CheckpointError,
    },
    #[error("the file does not prove what it claims: {0}")]
    NotProven(String),
}

impl Evidence {
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).expect("evidence serializes");
        out.push(b'\n');
        out
    }

    pub fn from_json(bytes: &[u8]) -> Result<Self, EvidenceError> {
        let e: Self =
            serde_json::from_slice(bytes).map_err(|e| EvidenceError::Malformed(e.to_string()))?;
        if e.format != EVIDENCE_FORMAT {
            return Err(EvidenceError::Malformed(format!(
                "format is {:?}, expected {EVIDENCE_FORMAT:?}",
                e.format
            )));
        }
        Ok(e)
    }
}

pub fn hex_hashes(hashes: &[Hash]) -> Vec<String> {
    hashes.iter().map(|h| hex::encode(h.0)).collect()
}

fn parse_hashes(hex_list: &[String]) -> Result<Vec<Hash>, EvidenceError> {
    if hex_list.len() > 128 {
        return Err(EvidenceError::Malformed("proof too long".into()));
    }
    hex_list
        .iter()
        .map(|h| {
            let bytes = hex::decode(h).map_err(|e| EvidenceError::Malformed(e.to_string()))?;
            let arr: [u8; 32] = bytes
                .try_into()
                .map_err(|_| EvidenceError::Malformed("a hash is not 32 bytes".into()))?;
            Ok(Hash(arr))
        })
        .collect()
}

pub fn hex_tiles(tiles: &BTreeMap<TilePath, Vec<u8>>) -> BTreeMap<String, String> {
    tiles
        .iter()
        .map(|(p, d)| (p.to_string(), hex::encode(d)))
        .collect()
}

/// Checks an evidence file against the log's verifier key and says what it
/// proves. Anything it does not prove is an error.
pub fn check(e: &Evidence, key: &VerifierKey) -> Result<Verdict, EvidenceError> {
    let open = |which: &'static str, note: &str| {
        Checkpoint::open(note.as_bytes(), key)
            .map_err(|error| EvidenceError::BadCheckpoint { which, error })
    };
    let served = open("served", &e.served)?;
    if e.kind == EvidenceKind::Implausible {
        let accepted = match e.accepted.as_str() {
            "" => 0,
            note => open("accepted", note)?.size,
        };
        return Ok(Verdict::Implausible {
            accepted,
            size: served.size,
        });
    }
    if let Some(entry) = &e.entry {
        let proof = parse_hashes(&entry.inclusion_proof)?;
        check_inclusion(
            &proof,
            served.size,
            served.root,
            entry.index,
            record_hash(entry.entry.as_bytes()),
        )
        .map_err(|_| {
            EvidenceError::NotProven(format!(
                "the inclusion proof does not place the entry at index {} of the served tree",
                entry.index
            ))
        })?;
        return Ok(Verdict::ForbiddenEntry {
            index: entry.index,
            rejection: entry.rejection.clone(),
        });
    }
    let accepted = open("accepted", &e.accepted)?;
    if accepted.size == served.size {
        return if accepted.root != served.root {
            Ok(Verdict::Fork {
                how: ForkProof::SameSizeDifferentRoots { size: served.size },
            })
        } else {
            Err(EvidenceError::NotProven(
                "the two checkpoints sign the same tree".into(),
            ))
        };
    }
    let (small, large) = if accepted.size < served.size {
        (&accepted, &served)
    } else {
        (&served, &accepted)
    };
    let proof = parse_hashes(&e.proof)?;
    let consistent =
        check_consistency(&proof, large.size, large.root, small.size, small.root).is_ok();
    if consistent {
        return if served.size < accepted.size {
            Ok(Verdict::Rollback {
                accepted: accepted.size,
                served: served.size,
            })
        } else {
            Err(EvidenceError::NotProven(
                "the served tree extends the accepted one: no rollback, no fork".into(),
            ))
        };
    }
    // A failing proof proves a fork only if it is the larger tree's own
    // proof: rebuild it from the tiles, authenticated against its root.
    let mut tiles = BTreeMap::new();
    for (path, data) in &e.tiles {
        let p = TilePath::parse(path).map_err(|e| EvidenceError::Malformed(e.to_string()))?;
        let d = hex::decode(data).map_err(|e| EvidenceError::Malformed(e.to_string()))?;
        tiles.insert(p, d);
    }
    let copy = MapCopy(tiles);
    let reader = CopyTiles::new(&copy);
    let rebuilt: TreeProof = consistency_proof(large.size, large.root, small.size, &reader)
        .map_err(|p| {
            EvidenceError::NotProven(format!(
                "the tiles do not authenticate against the larger checkpoint ({p})"
            ))
        })?;
    if rebuilt != proof {
        return Err(EvidenceError::NotProven(
            "the proof is not the one the larger tree's tiles give".into(),
        ));
    }
    Ok(Verdict::Fork {
        how: ForkProof::InconsistentTrees {
            smaller: small.size,
            larger: large.size,
        },
    })
}
