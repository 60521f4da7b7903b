//! A member's ballot secret (docs/BALLOT.md §4.2): 32 random bytes from
//! which their Semaphore identity — and so their ballot key (the identity
//! commitment) and every nullifier — is derived.
//!
//! It is deliberately **not** derived from the member's signing key: a
//! member made to hand over their signing key does not thereby hand over
//! how they voted. Whoever holds it can compute the member's nullifier for
//! any proposal and so find their secret ballots; it is kept encrypted at
//! rest like a signing key (`ballot.age`, erkin-store's keyfile).
//!
//! The derivation is zk-kit's, as `semaphore_rs::identity::Identity::
//! from_secret(secret, None)` computes it (a test checks the two agree):
//! `h = hex(SHA-256(secret))`; trapdoor = SHA-256(h ‖ "identity_trapdoor")
//! mod r; nullifier = SHA-256(h ‖ "identity_nullifier") mod r.

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use base64::Engine as _;
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};

use crate::ballot::{self, BallotError, FieldElement};

/// The first word of a ballot secret's text form.
pub const SECRET_TEXT_TAG: &str = "erkin-ballot-secret/v1";

/// Why a ballot secret's text is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BallotSecretError {
    #[error("not a ballot secret (expected `erkin-ballot-secret/v1 <base64 of 32 bytes>`)")]
    Malformed,
}

/// 32 secret bytes. `Debug` never prints them; the only way out is
/// [`BallotSecret::expose_secret_text`], which callers must encrypt before
/// writing anywhere.
#[derive(Clone)]
pub struct BallotSecret([u8; 32]);

impl std::fmt::Debug for BallotSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BallotSecret(..)")
    }
}

/// A Semaphore v3 identity: the two field elements a prover needs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BallotIdentity {
    pub trapdoor: FieldElement,
    pub nullifier: FieldElement,
}

impl std::fmt::Debug for BallotIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BallotIdentity(..)")
    }
}

impl BallotSecret {
    /// A new secret from the given random source.
    pub fn generate(rng: &mut impl CryptoRngCore) -> Self {
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Reads `erkin-ballot-secret/v1 <base64>` (surrounding whitespace
    /// allowed), the plaintext of a `ballot.age` file.
    pub fn parse(text: &str) -> Result<Self, BallotSecretError> {
        let rest = text
            .trim()
            .strip_prefix(SECRET_TEXT_TAG)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or(BallotSecretError::Malformed)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .map_err(|_| BallotSecretError::Malformed)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| BallotSecretError::Malformed)?;
        Ok(Self(bytes))
    }

    /// The text form, without a trailing newline.
    pub fn expose_secret_text(&self) -> String {
        format!(
            "{SECRET_TEXT_TAG} {}",
            base64::engine::general_purpose::STANDARD.encode(self.0)
        )
    }

    /// The Semaphore identity (zk-kit's derivation, see the module doc).
    pub fn identity(&self) -> BallotIdentity {
        let h = hex::encode(Sha256::digest(self.0));
        let derive = |suffix: &[u8]| {
            let digest = Sha256::new()
                .chain_update(h.as_bytes())
                .chain_update(suffix)
                .finalize();
            let x = Fr::from_be_bytes_mod_order(&digest);
            let bytes: [u8; 32] = x
                .into_bigint()
                .to_bytes_be()
                .try_into()
                .expect("a BN254 scalar is 32 bytes");
            FieldElement::from_be_bytes(bytes).expect("reduced mod r, so canonical")
        };
        BallotIdentity {
            trapdoor: derive(b"identity_trapdoor"),
            nullifier: derive(b"identity_nullifier"),
        }
    }

    /// The ballot key a `ballot_key` entry registers: the identity's
    /// commitment, Poseidon(Poseidon(nullifier, trapdoor)).
    pub fn commitment(&self) -> Result<FieldElement, BallotError> {
        let id = self.identity();
        ballot::identity_commitment(id.nullifier, id.trapdoor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_hides_in_debug() {
        let s = BallotSecret::from_bytes([7; 32]);
        let text = s.expose_secret_text();
        assert!(text.starts_with("erkin-ballot-secret/v1 "));
        let back = BallotSecret::parse(&format!("{text}\n")).unwrap();
        assert_eq!(back.0, [7; 32]);
        assert_eq!(format!("{s:?}"), "BallotSecret(..)");
        assert_eq!(format!("{:?}", s.identity()), "BallotIdentity(..)");
    }

    #[test]
    fn malformed_texts_are_refused() {
        let ok = BallotSecret::from_bytes([1; 32]).expose_secret_text();
        let b64 = ok.split(' ').nth(1).unwrap().to_string();
        for bad in [
            String::new(),
            b64.clone(),
            format!("erkin-ballot-secret/v2 {b64}"),
            format!("erkin-ballot-secret/v1{b64}"),
            format!("erkin-ballot-secret/v1 {}", &b64[..b64.len() - 4]),
            "erkin-ballot-secret/v1 not*base64".to_string(),
            format!(
                "erkin-ballot-secret/v1 {}",
                base64::engine::general_purpose::STANDARD.encode([1u8; 33])
            ),
        ] {
            assert_eq!(
                BallotSecret::parse(&bad).unwrap_err(),
                BallotSecretError::Malformed,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn different_secrets_give_different_keys() {
        let a = BallotSecret::from_bytes([1; 32]).commitment().unwrap();
        let b = BallotSecret::from_bytes([2; 32]).commitment().unwrap();
        assert_ne!(a, b);
        assert!(!a.is_zero());
    }
}
