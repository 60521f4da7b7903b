//! A member's ballot secret (`erkin_core::ballot_secret`) makes the same
//! Semaphore identity as `semaphore-rs`'s `Identity::from_secret` (zk-kit's
//! derivation), so ballot keys made by `erkin ballot-key new` prove with
//! the real prover.

use erkin_core::ballot_secret::BallotSecret;
use semaphore_rs::identity::Identity;
use sha2::{Digest, Sha256};

use crate::ballot::fe;

#[test]
fn identities_and_commitments_agree_with_semaphore_rs() {
    for i in 0..64u32 {
        let bytes: [u8; 32] = Sha256::digest(format!("ballot-secret/{i}")).into();
        let ours = BallotSecret::from_bytes(bytes);
        let mut theirs_secret = bytes;
        let theirs = Identity::from_secret(&mut theirs_secret, None);
        let id = ours.identity();
        assert_eq!(id.trapdoor, fe(theirs.trapdoor), "trapdoor of secret {i}");
        assert_eq!(
            id.nullifier,
            fe(theirs.nullifier),
            "nullifier of secret {i}"
        );
        assert_eq!(
            ours.commitment().unwrap(),
            fe(theirs.commitment()),
            "commitment of secret {i}"
        );
    }
}

/// Secrets whose SHA-256 derivations exceed the field modulus are reduced
/// the same way: all-ones bytes and all-zero bytes as edge inputs.
#[test]
fn edge_secrets_agree_with_semaphore_rs() {
    for bytes in [[0u8; 32], [0xff; 32]] {
        let mut theirs_secret = bytes;
        let theirs = Identity::from_secret(&mut theirs_secret, None);
        assert_eq!(
            BallotSecret::from_bytes(bytes).commitment().unwrap(),
            fe(theirs.commitment())
        );
    }
}
