//! Proving a secret ballot with `semaphore-rs` (docs/BALLOT.md §4.1, §11):
//! the member's identity, a leaf of the electorate tree the core built, and
//! a Groth16 proof of Semaphore v3 (depth 16) for a scope and a signal.
//!
//! The prover lives here, in the command line, and never in `erkin-core`,
//! which only verifies. This module depends on nothing of this crate but
//! `erkin-core` and `semaphore-rs`, so the suite's forged-ballot tests
//! prove with this very code (`#[path]`) rather than a second copy.

use anyhow::{anyhow, Result};
use erkin_core::ballot::{BallotProof, ElectorateTree, FieldElement, Proof};
use erkin_core::ballot_secret::BallotIdentity;
use semaphore_rs::identity::Identity;
use semaphore_rs::packed_proof::PackedProof;
use semaphore_rs::poseidon_tree::{Branch, Proof as MerklePath};
use semaphore_rs::protocol::{generate_nullifier_hash, generate_proof};
use semaphore_rs::Field;

fn field(x: FieldElement) -> Field {
    Field::from_be_bytes(x.to_be_bytes())
}

fn element(x: Field) -> Result<FieldElement> {
    FieldElement::from_be_bytes(x.to_be_bytes::<32>())
        .map_err(|e| anyhow!("the prover's nullifier does not decode: {e}"))
}

/// `semaphore-rs`'s identity for the core's (the same two field elements,
/// zk-kit's derivation: `BallotSecret::identity`).
fn identity(id: &BallotIdentity) -> Identity {
    Identity {
        trapdoor: field(id.trapdoor),
        nullifier: field(id.nullifier),
    }
}

/// Proves that the holder of `id` is leaf `index` of `tree`, for `scope`
/// and `signal`, with the core's own Merkle path (so a path the core
/// computes wrongly fails the core's verification, not silently). The
/// proof's randomness is the thread's generator (the OS's).
pub fn prove(
    id: &BallotIdentity,
    tree: &ElectorateTree,
    index: usize,
    scope: FieldElement,
    signal: FieldElement,
) -> Result<BallotProof> {
    let path = tree
        .path(index)
        .ok_or_else(|| anyhow!("leaf {index} is not in the electorate tree"))?;
    let branches = path
        .into_iter()
        .map(|(sibling, right)| {
            if right {
                Branch::Right(field(sibling))
            } else {
                Branch::Left(field(sibling))
            }
        })
        .collect();
    let path = MerklePath { 0: branches };
    let identity = identity(id);
    let proof = generate_proof(&identity, &path, field(scope), field(signal))
        .map_err(|e| anyhow!("the prover failed: {e}"))?;
    let packed = PackedProof::from(proof);
    Ok(BallotProof {
        root: tree.root(),
        nullifier: element(generate_nullifier_hash(&identity, field(scope)))?,
        signal,
        scope,
        proof: Proof::from_bytes(&packed.0)
            .map_err(|e| anyhow!("the prover's proof does not decode: {e}"))?,
    })
}
