//! Secret ballots, scheme `semaphore-v3-16` (docs/BALLOT.md): the encodings
//! of ballot keys, proofs, nullifiers, scopes and signals, the electorate
//! tree, the pinned verifying key and the verification of one ballot.
//!
//! A secret ballot is a Semaphore v3 proof (Groth16 over BN254, circuit depth
//! 16): "I know the secret behind one of the leaves of the tree with this
//! root", with a *nullifier* Poseidon(scope, identity nullifier) that is the
//! same for one member's ballots in one proposal and unrelated across
//! proposals. Proofs are made elsewhere (`semaphore-rs` in the CLI, snarkjs
//! in the desk); this module only checks them, against a verifying key
//! compiled into the crate, so the fold reads no file.
//!
//! Pure: no I/O, no clock, no randomness, and no panic on any input. Every
//! fault is one [`BallotError`] variant. A leaf module: it depends on nothing
//! else in the crate, so `rejection` and the fold can name its types.

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, PrimeField, Zero};
use ark_groth16::{prepare_verifying_key, Groth16, PreparedVerifyingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use light_poseidon::{Poseidon, PoseidonHasher};
use sha2::Sha256;
use sha3::{Digest, Keccak256};

/// The scheme's name, as every ballot-related entry carries it.
pub const SCHEME: &str = "semaphore-v3-16";
/// Depth of the electorate tree (the circuit's `MAX_DEPTH`).
pub const DEPTH: usize = 16;
/// Most leaves a tree of [`DEPTH`] holds.
pub const MAX_LEAVES: usize = 1 << DEPTH;
/// Length of a packed proof: eight 32-byte words.
pub const PROOF_LEN: usize = 256;

/// The verifying key of Semaphore v3 at depth 16, as `ark-serialize`
/// writes an `ark_groth16::VerifyingKey<Bn254>` uncompressed. Extracted from
/// the proving key `semaphore-rs` 0.6.0 vendors
/// (`assets/16/semaphore.arkzkey`, SHA-256 [`PROVING_KEY_SHA256`]); a test
/// checks they are equal.
pub const VERIFYING_KEY: &[u8] = include_bytes!("ballot_semaphore_v3_16.vk");
/// SHA-256 of [`VERIFYING_KEY`], hex.
pub const VERIFYING_KEY_SHA256: &str =
    "da21de906fc0d68f8db30754459cecbe420e21d9a9a98630254b540ee7884659";
/// SHA-256 of the depth-16 proving key the verifying key was taken from
/// (`semaphore-rs` 0.6.0, `assets/16/semaphore.arkzkey`), hex.
pub const PROVING_KEY_SHA256: &str =
    "7c9bcba20e960f66659af80e40e0b12800cbdda093e208bd32839289b7c1e07c";

/// Why a ballot, a ballot key or one of their parts is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BallotError {
    #[error("unknown ballot scheme (this version knows semaphore-v3-16)")]
    UnknownScheme,
    #[error("not the expected number of lowercase hex digits")]
    BadEncoding,
    #[error("a number is not below its field's modulus (a non-canonical encoding)")]
    NonCanonical,
    #[error("a ballot key cannot be zero")]
    ZeroCommitment,
    #[error("a point of the proof is not on its curve")]
    NotOnCurve,
    #[error("a point of the proof is the point at infinity (written (0, 0))")]
    PointAtInfinity,
    #[error("the proof's G2 point is not in the prime-order subgroup")]
    NotInSubgroup,
    #[error("more leaves than a tree of depth 16 holds")]
    TooManyLeaves,
    #[error("the ballot was made for another proposal (its scope differs)")]
    WrongScope,
    #[error("the ballot's root is not one of its electorate's trees")]
    UnknownRoot,
    #[error("the proof does not verify")]
    BadProof,
    #[error("the verifying key is malformed")]
    BadKey,
    #[error("the Poseidon hash could not be set up")]
    Hash,
}

/// An element of BN254's scalar field, kept as its canonical 32-byte
/// big-endian encoding (always below the modulus r). On the wire and in the
/// log: 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FieldElement([u8; 32]);

impl std::fmt::Debug for FieldElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FieldElement({})", self.to_hex())
    }
}

impl std::fmt::Display for FieldElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl FieldElement {
    /// Zero: the value of an empty or zeroed leaf.
    pub const ZERO: FieldElement = FieldElement([0; 32]);

    /// From 32 big-endian bytes; refuses values ≥ r ([`BallotError::NonCanonical`]).
    pub fn from_be_bytes(bytes: [u8; 32]) -> Result<Self, BallotError> {
        fr_from_be(&bytes).ok_or(BallotError::NonCanonical)?;
        Ok(FieldElement(bytes))
    }

    /// From exactly 64 lowercase hex digits, canonical.
    pub fn from_hex(s: &str) -> Result<Self, BallotError> {
        let bytes: [u8; 32] = decode_lower_hex::<32>(s)?;
        Self::from_be_bytes(bytes)
    }

    pub fn to_be_bytes(&self) -> [u8; 32] {
        self.0
    }

    /// 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn is_zero(&self) -> bool {
        self.0 == [0; 32]
    }

    fn to_fr(self) -> Fr {
        // Canonical by construction: every constructor checked it.
        Fr::from_be_bytes_mod_order(&self.0)
    }

    fn from_fr(x: Fr) -> Self {
        FieldElement(bigint_to_be(&x.into_bigint()))
    }
}

/// A ballot key (a Semaphore identity commitment) as a `ballot_key` entry
/// carries it: canonical and non-zero (a zero leaf means "no member here").
pub fn parse_commitment(s: &str) -> Result<FieldElement, BallotError> {
    let c = FieldElement::from_hex(s)?;
    if c.is_zero() {
        return Err(BallotError::ZeroCommitment);
    }
    Ok(c)
}

/// Refuses any scheme but [`SCHEME`].
pub fn check_scheme(scheme: &str) -> Result<(), BallotError> {
    if scheme == SCHEME {
        Ok(())
    } else {
        Err(BallotError::UnknownScheme)
    }
}

/// Semaphore's `hash_to_field`: Keccak-256 of the bytes, read big-endian and
/// shifted right by 8 bits, so it is below r.
pub fn hash_to_field(data: &[u8]) -> FieldElement {
    let digest: [u8; 32] = Keccak256::digest(data).into();
    let mut out = [0u8; 32];
    out[1..].copy_from_slice(&digest[..31]);
    FieldElement(out)
}

/// The scope (Semaphore's `externalNullifier`) of a proposal:
/// `hash_to_field("erkin.scope/v1\n" ‖ origin ‖ "\n" ‖ proposal ‖ "\n" ‖
/// hex(leaf hash of the propose entry) ‖ "\n")` (BALLOT.md §4.3).
pub fn scope(origin: &str, proposal: u64, propose_leaf: &[u8; 32]) -> FieldElement {
    let text = format!(
        "erkin.scope/v1\n{origin}\n{proposal}\n{}\n",
        hex::encode(propose_leaf)
    );
    hash_to_field(text.as_bytes())
}

/// The signal (Semaphore's `signalHash`) binding a ballot's content:
/// `hash_to_field("erkin.ballot/v1\n" ‖ origin ‖ "\n" ‖ proposal ‖ "\n" ‖
/// seq ‖ "\n" ‖ choice ‖ "\n")` where `choice` is the canonical JSON of the
/// ballot's choice (`"yes"`, `{"ranked":["saule","aigerim"]}`), as
/// [`choice_json`] writes it.
pub fn signal(origin: &str, proposal: u64, seq: u64, choice: &str) -> FieldElement {
    let text = format!("erkin.ballot/v1\n{origin}\n{proposal}\n{seq}\n{choice}\n");
    hash_to_field(text.as_bytes())
}

/// erkin's canonical JSON of a choice (serde's compact form of
/// [`crate::action::Ballot`] is canonical: no maps with free keys).
pub fn choice_json<T: serde::Serialize>(choice: &T) -> Result<String, BallotError> {
    serde_json::to_string(choice).map_err(|_| BallotError::BadEncoding)
}

fn poseidon(inputs: &[Fr]) -> Result<Fr, BallotError> {
    let mut h = Poseidon::<Fr>::new_circom(inputs.len()).map_err(|_| BallotError::Hash)?;
    h.hash(inputs).map_err(|_| BallotError::Hash)
}

/// The identity commitment of a Semaphore v3 identity (its two secrets):
/// Poseidon(Poseidon(nullifier, trapdoor)). Lets a holder of the ballot
/// secret check it against the registered key without the prover.
pub fn identity_commitment(
    identity_nullifier: FieldElement,
    identity_trapdoor: FieldElement,
) -> Result<FieldElement, BallotError> {
    let secret = poseidon(&[identity_nullifier.to_fr(), identity_trapdoor.to_fr()])?;
    Ok(FieldElement::from_fr(poseidon(&[secret])?))
}

/// The nullifier a member's ballots carry in a scope:
/// Poseidon(scope, identity nullifier).
pub fn nullifier(
    identity_nullifier: FieldElement,
    scope: FieldElement,
) -> Result<FieldElement, BallotError> {
    Ok(FieldElement::from_fr(poseidon(&[
        scope.to_fr(),
        identity_nullifier.to_fr(),
    ])?))
}

/// The electorate tree (BALLOT.md §4.4): the given leaves at positions
/// 0…k−1, zeros after them, Poseidon(left, right) at each node, depth
/// [`DEPTH`]. A removed member's leaf is passed as [`FieldElement::ZERO`] at
/// its position. Built level by level (about k Poseidon hashes plus one per
/// level), the same tree as `semaphore-rs`'s `LazyPoseidonTree::new(16, 0)`
/// filled from position 0.
#[derive(Clone, Debug)]
pub struct ElectorateTree {
    /// `levels[0]` are the leaves given; `levels[DEPTH]` holds the root, or
    /// is empty when there are no leaves. Each level stops after its last
    /// node with a given leaf below it.
    levels: Vec<Vec<Fr>>,
    /// `zeros[i]`: the root of an empty subtree of height i.
    zeros: Vec<Fr>,
}

impl ElectorateTree {
    pub fn new(leaves: &[FieldElement]) -> Result<Self, BallotError> {
        if leaves.len() > MAX_LEAVES {
            return Err(BallotError::TooManyLeaves);
        }
        let mut hasher = Poseidon::<Fr>::new_circom(2).map_err(|_| BallotError::Hash)?;
        let mut zeros = Vec::with_capacity(DEPTH + 1);
        zeros.push(Fr::zero());
        for i in 0..DEPTH {
            let z = zeros[i];
            zeros.push(hasher.hash(&[z, z]).map_err(|_| BallotError::Hash)?);
        }
        let mut levels = Vec::with_capacity(DEPTH + 1);
        levels.push(leaves.iter().map(|l| l.to_fr()).collect::<Vec<_>>());
        for (height, zero) in zeros.iter().enumerate().take(DEPTH) {
            let below = &levels[height];
            let mut next = Vec::with_capacity(below.len().div_ceil(2));
            for pair in below.chunks(2) {
                let left = pair[0];
                let right = pair.get(1).copied().unwrap_or(*zero);
                next.push(hasher.hash(&[left, right]).map_err(|_| BallotError::Hash)?);
            }
            levels.push(next);
        }
        Ok(ElectorateTree { levels, zeros })
    }

    /// The root: a ballot proves membership against it.
    pub fn root(&self) -> FieldElement {
        let root = self.levels[DEPTH]
            .first()
            .copied()
            .unwrap_or(self.zeros[DEPTH]);
        FieldElement::from_fr(root)
    }

    /// How many leaves were given (zeroed ones included).
    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The Merkle path of leaf `index` for a prover: its sibling at each
    /// height, from the leaf up, and whether the leaf's ancestor at that
    /// height is a right child (Semaphore's `treePathIndices`). `None` past
    /// the leaves given.
    pub fn path(&self, index: usize) -> Option<Vec<(FieldElement, bool)>> {
        if index >= self.len() {
            return None;
        }
        let mut out = Vec::with_capacity(DEPTH);
        let mut i = index;
        for height in 0..DEPTH {
            let sibling = self.levels[height]
                .get(i ^ 1)
                .copied()
                .unwrap_or(self.zeros[height]);
            out.push((FieldElement::from_fr(sibling), i & 1 == 1));
            i >>= 1;
        }
        Some(out)
    }
}

/// A decoded Groth16 proof: every coordinate canonical, every point on its
/// curve and B in G2's prime-order subgroup (BN254's G1 has cofactor 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proof {
    a: G1Affine,
    b: G2Affine,
    c: G1Affine,
}

impl Proof {
    /// From the 256 bytes of `semaphore-rs`'s `PackedProof`: A.x, A.y,
    /// B.x (c1, c0), B.y (c1, c0), C.x, C.y as 32-byte big-endian words (the
    /// order of Semaphore's Solidity verifier).
    pub fn from_bytes(bytes: &[u8; PROOF_LEN]) -> Result<Self, BallotError> {
        let mut w = [Fq::zero(); 8];
        for (i, word) in bytes.chunks_exact(32).enumerate() {
            let mut b = [0u8; 32];
            b.copy_from_slice(word);
            w[i] = Fq::from_bigint(be_to_bigint(&b)).ok_or(BallotError::NonCanonical)?;
        }
        let a = g1(w[0], w[1])?;
        let b = G2Affine::new_unchecked(Fq2::new(w[3], w[2]), Fq2::new(w[5], w[4]));
        if b.is_zero() {
            return Err(BallotError::PointAtInfinity);
        }
        if !b.is_on_curve() {
            return Err(BallotError::NotOnCurve);
        }
        if !b.is_in_correct_subgroup_assuming_on_curve() {
            return Err(BallotError::NotInSubgroup);
        }
        let c = g1(w[6], w[7])?;
        Ok(Proof { a, b, c })
    }

    /// From 512 lowercase hex digits (the log's form).
    pub fn from_hex(s: &str) -> Result<Self, BallotError> {
        Self::from_bytes(&decode_lower_hex::<PROOF_LEN>(s)?)
    }

    /// The packed form [`Proof::from_bytes`] reads. The point at infinity
    /// cannot occur: decoding refuses it.
    pub fn to_bytes(&self) -> [u8; PROOF_LEN] {
        let mut out = [0u8; PROOF_LEN];
        let words = [
            self.a.x,
            self.a.y,
            self.b.x.c1,
            self.b.x.c0,
            self.b.y.c1,
            self.b.y.c0,
            self.c.x,
            self.c.y,
        ];
        for (i, w) in words.iter().enumerate() {
            out[32 * i..32 * (i + 1)].copy_from_slice(&bigint_to_be(&w.into_bigint()));
        }
        out
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.to_bytes())
    }
}

fn g1(x: Fq, y: Fq) -> Result<G1Affine, BallotError> {
    let p = G1Affine::new_unchecked(x, y);
    // arkworks reads (0, 0) as the point at infinity; a real proof never
    // has it, and it is refused rather than given a meaning.
    if p.is_zero() {
        return Err(BallotError::PointAtInfinity);
    }
    if !p.is_on_curve() {
        return Err(BallotError::NotOnCurve);
    }
    // Cofactor 1: on the curve is in the group; checked all the same.
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(BallotError::NotInSubgroup);
    }
    Ok(p)
}

/// What a ballot claims, with its proof: the four public inputs of the
/// circuit. `signal` and `scope` are computed by the reader from the
/// ballot's content and the proposal it names ([`signal`], [`scope`]), the
/// rest read from the ballot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BallotProof {
    pub root: FieldElement,
    pub nullifier: FieldElement,
    pub signal: FieldElement,
    pub scope: FieldElement,
    pub proof: Proof,
}

/// The Groth16 verifier with a prepared key: make one and keep it (preparing
/// costs a pairing).
#[derive(Clone, Debug)]
pub struct Verifier {
    pvk: PreparedVerifyingKey<Bn254>,
}

impl Verifier {
    /// The pinned key of `semaphore-v3-16` ([`VERIFYING_KEY`]).
    pub fn semaphore_v3_16() -> Result<Self, BallotError> {
        Self::from_key_bytes(VERIFYING_KEY)
    }

    /// A verifying key for the same four public inputs, uncompressed
    /// `ark-serialize` bytes, checked (points on their curves and in their
    /// subgroups, nothing left over). For tests that need a key whose
    /// circuit they can prove anything in; the fold uses the pinned one.
    pub fn from_key_bytes(bytes: &[u8]) -> Result<Self, BallotError> {
        let mut reader = bytes;
        let vk = VerifyingKey::<Bn254>::deserialize_uncompressed(&mut reader)
            .map_err(|_| BallotError::BadKey)?;
        if !reader.is_empty() || vk.gamma_abc_g1.len() != 5 {
            return Err(BallotError::BadKey);
        }
        Ok(Verifier {
            pvk: prepare_verifying_key(&vk),
        })
    }

    /// The key's bytes as [`Verifier::from_key_bytes`] reads them.
    pub fn key_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Writing to a Vec cannot fail.
        let _ = self.pvk.vk.serialize_uncompressed(&mut out);
        out
    }

    /// Checks one ballot: it was made for `expected_scope` (the proposal
    /// being counted: [`BallotError::WrongScope`]), its root is one of the
    /// electorate's `roots` ([`BallotError::UnknownRoot`]), and the proof
    /// verifies for [root, nullifier, signal, scope]
    /// ([`BallotError::BadProof`]): someone holding the secret of a leaf of
    /// that tree made it, for this nullifier and this content.
    pub fn verify(
        &self,
        ballot: &BallotProof,
        expected_scope: FieldElement,
        roots: &[FieldElement],
    ) -> Result<(), BallotError> {
        if ballot.scope != expected_scope {
            return Err(BallotError::WrongScope);
        }
        if !roots.contains(&ballot.root) {
            return Err(BallotError::UnknownRoot);
        }
        let inputs = [
            ballot.root.to_fr(),
            ballot.nullifier.to_fr(),
            ballot.signal.to_fr(),
            ballot.scope.to_fr(),
        ];
        let proof = ark_groth16::Proof::<Bn254> {
            a: ballot.proof.a,
            b: ballot.proof.b,
            c: ballot.proof.c,
        };
        match Groth16::<Bn254>::verify_proof(&self.pvk, &proof, &inputs) {
            Ok(true) => Ok(()),
            _ => Err(BallotError::BadProof),
        }
    }
}

/// Checks one ballot under the pinned key (see [`Verifier::verify`]); the
/// fold keeps one [`Verifier`] instead of preparing the key per ballot.
pub fn verify(
    ballot: &BallotProof,
    expected_scope: FieldElement,
    roots: &[FieldElement],
) -> Result<(), BallotError> {
    Verifier::semaphore_v3_16()?.verify(ballot, expected_scope, roots)
}

/// SHA-256 of the pinned verifying key, hex (compare [`VERIFYING_KEY_SHA256`]).
pub fn verifying_key_sha256() -> String {
    hex::encode(Sha256::digest(VERIFYING_KEY))
}

fn decode_lower_hex<const N: usize>(s: &str) -> Result<[u8; N], BallotError> {
    if s.len() != 2 * N || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err(BallotError::BadEncoding);
    }
    let mut out = [0u8; N];
    hex::decode_to_slice(s, &mut out).map_err(|_| BallotError::BadEncoding)?;
    Ok(out)
}

fn be_to_bigint(b: &[u8; 32]) -> BigInt<4> {
    let mut limbs = [0u64; 4];
    for (i, limb) in limbs.iter_mut().enumerate() {
        let start = 32 - 8 * (i + 1);
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[start..start + 8]);
        *limb = u64::from_be_bytes(w);
    }
    BigInt::new(limbs)
}

fn bigint_to_be(x: &BigInt<4>) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (i, limb) in x.0.iter().enumerate() {
        let start = 32 - 8 * (i + 1);
        out[start..start + 8].copy_from_slice(&limb.to_be_bytes());
    }
    out
}

fn fr_from_be(b: &[u8; 32]) -> Option<Fr> {
    Fr::from_bigint(be_to_bigint(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// r, the order of BN254's scalar field, big-endian hex.
    const R_HEX: &str = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    /// q, the order of BN254's base field, big-endian hex.
    const Q_HEX: &str = "30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47";

    #[test]
    fn field_elements_are_canonical_lowercase_hex() {
        let one = format!("{:064x}", 1);
        assert_eq!(FieldElement::from_hex(&one).unwrap().to_hex(), one);
        // r − 1 is the largest element; r and r + 1 are refused.
        let r_minus_1 = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000000";
        assert_eq!(
            FieldElement::from_hex(r_minus_1).unwrap().to_hex(),
            r_minus_1
        );
        assert_eq!(
            FieldElement::from_hex(R_HEX),
            Err(BallotError::NonCanonical)
        );
        let r_plus_1 = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000002";
        assert_eq!(
            FieldElement::from_hex(r_plus_1),
            Err(BallotError::NonCanonical)
        );
        assert_eq!(
            FieldElement::from_hex(&"f".repeat(64)),
            Err(BallotError::NonCanonical)
        );
        for bad in [
            "",
            &one[1..],
            &format!("{one}0"),
            &one.replace('1', "A"),
            &format!("+{}", &one[1..]),
            &format!("{}g", &one[..63]),
            &format!("{}é", &one[..62]),
        ] {
            assert_eq!(
                FieldElement::from_hex(bad),
                Err(BallotError::BadEncoding),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn commitments_are_non_zero_and_schemes_known() {
        assert_eq!(
            parse_commitment(&"0".repeat(64)),
            Err(BallotError::ZeroCommitment)
        );
        assert_eq!(parse_commitment(R_HEX), Err(BallotError::NonCanonical));
        assert!(parse_commitment(&format!("{:064x}", 7)).is_ok());
        assert_eq!(check_scheme(SCHEME), Ok(()));
        assert_eq!(
            check_scheme("semaphore-v4-16"),
            Err(BallotError::UnknownScheme)
        );
        assert_eq!(check_scheme(""), Err(BallotError::UnknownScheme));
    }

    #[test]
    fn hash_to_field_is_keccak_shifted_by_a_byte() {
        // keccak256("") = c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470
        assert_eq!(
            hash_to_field(b"").to_hex(),
            "00c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a4"
        );
    }

    #[test]
    fn scope_and_signal_follow_the_documented_bytes() {
        let leaf = [0xab; 32];
        let text = format!("erkin.scope/v1\nexample.org/log\n14\n{}\n", "ab".repeat(32));
        assert_eq!(
            scope("example.org/log", 14, &leaf),
            hash_to_field(text.as_bytes())
        );
        assert_ne!(
            scope("example.org/log", 14, &leaf),
            scope("example.org/log", 15, &leaf)
        );
        assert_ne!(
            scope("example.org/log", 14, &leaf),
            scope("other.org/log", 14, &leaf)
        );
        assert_ne!(
            scope("example.org/log", 14, &leaf),
            scope("example.org/log", 14, &[0xac; 32])
        );
        assert_eq!(
            signal("o", 14, 2, "\"yes\""),
            hash_to_field(b"erkin.ballot/v1\no\n14\n2\n\"yes\"\n")
        );
        assert_ne!(signal("o", 14, 2, "\"yes\""), signal("o", 14, 3, "\"yes\""));
        assert_ne!(signal("o", 14, 2, "\"yes\""), signal("o", 14, 2, "\"no\""));
        assert_eq!(
            choice_json(&crate::action::Ballot::Ranked(vec![
                "saule".into(),
                "aigerim".into()
            ]))
            .unwrap(),
            r#"{"ranked":["saule","aigerim"]}"#
        );
        assert_eq!(
            choice_json(&crate::action::Ballot::Abstain).unwrap(),
            "\"abstain\""
        );
    }

    #[test]
    fn proofs_refuse_bad_hex_and_non_canonical_words() {
        assert_eq!(Proof::from_hex(""), Err(BallotError::BadEncoding));
        assert_eq!(
            Proof::from_hex(&"0".repeat(510)),
            Err(BallotError::BadEncoding)
        );
        assert_eq!(
            Proof::from_hex(&"G".repeat(512)),
            Err(BallotError::BadEncoding)
        );
        // A word equal to q is not a base-field element.
        let q = format!("{Q_HEX}{}", "0".repeat(448));
        assert_eq!(Proof::from_hex(&q), Err(BallotError::NonCanonical));
        // All zeros: (0, 0) would be read as the point at infinity; refused.
        assert_eq!(
            Proof::from_hex(&"0".repeat(512)),
            Err(BallotError::PointAtInfinity)
        );
        // So is each point alone at infinity, the others valid.
        let g = Proof {
            a: G1Affine::generator(),
            b: G2Affine::generator(),
            c: G1Affine::generator(),
        }
        .to_bytes();
        for range in [0..64, 64..192, 192..256] {
            let mut z = g;
            z[range.clone()].fill(0);
            assert_eq!(
                Proof::from_bytes(&z),
                Err(BallotError::PointAtInfinity),
                "{range:?}"
            );
        }
        // (0, y) with y ≠ 0: not on the curve.
        let mut z = g;
        z[..32].fill(0);
        assert_eq!(Proof::from_bytes(&z), Err(BallotError::NotOnCurve));
    }

    #[test]
    fn a_proof_round_trips_and_an_off_subgroup_b_is_refused() {
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        let p = Proof {
            a: g1,
            b: g2,
            c: g1,
        };
        assert_eq!(Proof::from_bytes(&p.to_bytes()), Ok(p));
        assert_eq!(Proof::from_hex(&p.to_hex()), Ok(p));
        // A point on the twist that is not in the prime-order subgroup (the
        // cofactor is large, so the first one found is not).
        let mut x = Fq2::new(Fq::from(1u64), Fq::from(1u64));
        let off = loop {
            if let Some(pt) = G2Affine::get_point_from_x_unchecked(x, false) {
                if !pt.is_in_correct_subgroup_assuming_on_curve() {
                    break pt;
                }
            }
            x.c0 += Fq::from(1u64);
        };
        let bad = Proof {
            a: g1,
            b: off,
            c: g1,
        };
        assert_eq!(
            Proof::from_bytes(&bad.to_bytes()),
            Err(BallotError::NotInSubgroup)
        );
        // B's coordinates in the other order (c0 first) are not on the curve.
        let mut swapped = p.to_bytes();
        let (x1, x0) = (swapped[64..96].to_vec(), swapped[96..128].to_vec());
        swapped[64..96].copy_from_slice(&x0);
        swapped[96..128].copy_from_slice(&x1);
        assert_eq!(Proof::from_bytes(&swapped), Err(BallotError::NotOnCurve));
    }

    #[test]
    fn the_pinned_key_parses_and_matches_its_hash() {
        let v = Verifier::semaphore_v3_16().unwrap();
        assert_eq!(v.key_bytes(), VERIFYING_KEY);
        assert_eq!(verifying_key_sha256(), VERIFYING_KEY_SHA256);
        // Trailing bytes, a truncated key: refused.
        let mut long = VERIFYING_KEY.to_vec();
        long.push(0);
        assert_eq!(
            Verifier::from_key_bytes(&long).err(),
            Some(BallotError::BadKey)
        );
        assert_eq!(
            Verifier::from_key_bytes(&VERIFYING_KEY[..VERIFYING_KEY.len() - 1]).err(),
            Some(BallotError::BadKey)
        );
    }

    proptest::proptest! {
        /// No input makes decoding panic. Words are masked below 2^253 (so
        /// canonical) half the time, to reach the curve checks.
        #[test]
        fn decoding_never_panics(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), PROOF_LEN),
            mask in proptest::prelude::any::<bool>(),
            text in ".{0,600}",
        ) {
            let mut b = [0u8; PROOF_LEN];
            b.copy_from_slice(&bytes);
            if mask {
                for word in b.chunks_mut(32) {
                    word[0] &= 0x1f;
                }
            }
            let _ = Proof::from_bytes(&b);
            let _ = Proof::from_hex(&hex::encode(b));
            let _ = Proof::from_hex(&text);
            let _ = FieldElement::from_hex(&text);
            let _ = parse_commitment(&text);
            let mut word = [0u8; 32];
            word.copy_from_slice(&b[..32]);
            if let Ok(x) = FieldElement::from_be_bytes(word) {
                proptest::prop_assert_eq!(FieldElement::from_hex(&x.to_hex()), Ok(x));
            }
        }
    }

    #[test]
    fn trees_refuse_more_than_depth_16_holds_and_paths_stop_at_the_leaves() {
        let too_many = vec![FieldElement::ZERO; MAX_LEAVES + 1];
        assert_eq!(
            ElectorateTree::new(&too_many).err(),
            Some(BallotError::TooManyLeaves)
        );
        let empty = ElectorateTree::new(&[]).unwrap();
        let zeros = ElectorateTree::new(&[FieldElement::ZERO; 3]).unwrap();
        // Zeroed leaves are the empty tree's leaves.
        assert_eq!(empty.root(), zeros.root());
        let one = FieldElement::from_hex(&format!("{:064x}", 1)).unwrap();
        let t = ElectorateTree::new(&[one, one, one]).unwrap();
        assert_ne!(t.root(), empty.root());
        assert_eq!(t.path(3), None);
        let path = t.path(2).unwrap();
        assert_eq!(path.len(), DEPTH);
        // Leaf 2 is a left child at height 0, its sibling an empty leaf.
        assert_eq!(path[0], (FieldElement::ZERO, false));
        assert!(path[1].1);
    }
}
