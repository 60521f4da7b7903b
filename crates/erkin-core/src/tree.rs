//! The RFC 6962 Merkle tree held in memory, in tlog_tiles' stored-hash order.
//!
//! Used to recompute a log from its entries (verification, mirrors) and as the
//! reference in tests. The durable copy of the same hashes lives in the store;
//! both are addressed by `tlog_tiles::stored_hash_index`, so tiles and proofs
//! read from either are byte-identical.

use tlog_tiles::{Hash, HashReader, RecordProof, TreeProof};

use crate::tiles::TilePath;

pub use tlog_tiles::{record_hash, EMPTY_HASH};

#[derive(Debug, Default, Clone)]
pub struct MemoryTree {
    size: u64,
    hashes: Vec<Hash>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProofError {
    #[error("index {index} is outside a tree of size {size}")]
    OutOfRange { index: u64, size: u64 },
    #[error("the proof does not match the tree root")]
    Invalid,
}

impl MemoryTree {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf by its record hash (`record_hash(entry)`).
    pub fn push_leaf_hash(&mut self, leaf: Hash) {
        let new = tlog_tiles::stored_hashes_for_record_hash(self.size, leaf, self)
            .expect("a memory tree holds every hash it was asked for");
        self.hashes.extend(new);
        self.size += 1;
    }

    pub fn push_entry(&mut self, entry: &[u8]) {
        self.push_leaf_hash(record_hash(entry));
    }

    /// The leaf hash of entry `index`.
    pub fn leaf(&self, index: u64) -> Option<Hash> {
        if index >= self.size {
            return None;
        }
        self.read_hashes(&[tlog_tiles::stored_hash_index(0, index)])
            .ok()
            .map(|h| h[0])
    }

    pub fn root(&self) -> Hash {
        self.root_at(self.size)
    }

    /// The root of the tree's first `size` leaves.
    pub fn root_at(&self, size: u64) -> Hash {
        assert!(size <= self.size);
        tlog_tiles::tree_hash(size, self).expect("a memory tree holds every hash")
    }

    /// The bytes of a hash tile, as served at its tile path.
    pub fn tile_data(&self, tile: &TilePath) -> Option<Vec<u8>> {
        tile.hash_tile()?.read_data(self).ok()
    }

    pub fn prove_inclusion(&self, size: u64, index: u64) -> Result<RecordProof, ProofError> {
        if index >= size || size > self.size {
            return Err(ProofError::OutOfRange { index, size });
        }
        Ok(tlog_tiles::prove_record(size, index, self).expect("memory tree is complete"))
    }

    pub fn prove_consistency(&self, old: u64, new: u64) -> Result<TreeProof, ProofError> {
        if old > new || new > self.size {
            return Err(ProofError::OutOfRange {
                index: old,
                size: new,
            });
        }
        // The empty tree is a prefix of every tree; its proof is empty (RFC 9162).
        if old == 0 {
            return Ok(Vec::new());
        }
        Ok(tlog_tiles::prove_tree(new, old, self).expect("memory tree is complete"))
    }
}

/// Checks that `leaf` is entry `index` of the tree of `size` with `root`.
pub fn check_inclusion(
    proof: &RecordProof,
    size: u64,
    root: Hash,
    index: u64,
    leaf: Hash,
) -> Result<(), ProofError> {
    // tlog_tiles documents panics on impossible inputs; refuse them first.
    if index >= size {
        return Err(ProofError::OutOfRange { index, size });
    }
    if proof.len() > 64 {
        return Err(ProofError::Invalid);
    }
    tlog_tiles::check_record(proof, size, root, index, leaf).map_err(|_| ProofError::Invalid)
}

/// Checks that the tree of `old` leaves with `old_root` is a prefix of the tree
/// of `new` leaves with `new_root`.
pub fn check_consistency(
    proof: &TreeProof,
    new: u64,
    new_root: Hash,
    old: u64,
    old_root: Hash,
) -> Result<(), ProofError> {
    if old > new {
        return Err(ProofError::OutOfRange {
            index: old,
            size: new,
        });
    }
    if proof.len() > 128 {
        return Err(ProofError::Invalid);
    }
    if old == 0 {
        return if proof.is_empty() && old_root == EMPTY_HASH {
            Ok(())
        } else {
            Err(ProofError::Invalid)
        };
    }
    tlog_tiles::check_tree(proof, new, new_root, old, old_root).map_err(|_| ProofError::Invalid)
}

impl HashReader for MemoryTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}
