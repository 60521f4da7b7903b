//! Secret ballots (`erkin_core::ballot`) against the real prover:
//! `semaphore-rs` 0.6.0 (a dev-dependency only) makes identities, trees and
//! Groth16 proofs; the core must agree on trees, commitments and
//! nullifiers, accept its proofs, and refuse each kind of tampering with its
//! own error. Proofs are made once for the whole binary (about half a
//! second each in release, more in debug).

use std::sync::OnceLock;

use ark_serialize::CanonicalSerialize;
use erkin_core::action::Ballot;
use erkin_core::ballot::{
    self, BallotError, BallotProof, ElectorateTree, FieldElement, Proof, Verifier, PROOF_LEN,
};
use semaphore_rs::identity::Identity;
use semaphore_rs::packed_proof::PackedProof;
use semaphore_rs::poseidon_tree::{Branch, LazyPoseidonTree, Proof as MerklePath};
use semaphore_rs::protocol::{generate_nullifier_hash, generate_proof};
use semaphore_rs::Field;
use sha2::{Digest, Sha256};

const ORIGIN: &str = "ballot.example/log";

pub(crate) fn fe(x: Field) -> FieldElement {
    FieldElement::from_be_bytes(x.to_be_bytes::<32>()).expect("semaphore-rs fields are canonical")
}

pub(crate) fn field(x: FieldElement) -> Field {
    Field::from_be_bytes(x.to_be_bytes())
}

/// Member `i`'s identity, from a fixed secret (as `erkin ballot-key new`
/// will make from 32 random bytes).
pub(crate) fn identity(domain: &str, i: usize) -> Identity {
    let mut secret: [u8; 32] = Sha256::digest(format!("{domain}/{i}")).into();
    Identity::from_secret(&mut secret, None)
}

pub(crate) fn commitments(ids: &[Identity]) -> Vec<FieldElement> {
    ids.iter().map(|id| fe(id.commitment())).collect()
}

/// The same leaves in `semaphore-rs`'s tree, by successive updates.
pub(crate) fn semaphore_root(leaves: &[FieldElement]) -> FieldElement {
    let mut tree = LazyPoseidonTree::new(ballot::DEPTH, Field::from(0)).derived();
    for (i, leaf) in leaves.iter().enumerate() {
        tree = tree.update(i, &field(*leaf));
    }
    fe(tree.root())
}

fn scope_of(proposal: u64) -> FieldElement {
    ballot::scope(ORIGIN, proposal, &[proposal as u8; 32])
}

fn signal_of(proposal: u64, seq: u64, choice: &Ballot) -> FieldElement {
    ballot::signal(ORIGIN, proposal, seq, &ballot::choice_json(choice).unwrap())
}

/// Proves with `semaphore-rs` for leaf `index` of `tree`, using the core's
/// Merkle path (so the path is checked too).
pub(crate) fn prove(
    id: &Identity,
    tree: &ElectorateTree,
    index: usize,
    scope: FieldElement,
    signal: FieldElement,
) -> BallotProof {
    prove_with(id, tree, index, scope, signal, None)
}

/// As [`prove`], the proof's randomness drawn from `rng` when given (the
/// same bytes on every run), else from the thread's generator.
pub(crate) fn prove_with(
    id: &Identity,
    tree: &ElectorateTree,
    index: usize,
    scope: FieldElement,
    signal: FieldElement,
    rng: Option<&mut ark_std::rand::rngs::StdRng>,
) -> BallotProof {
    let path = tree.path(index).unwrap();
    let branches = path
        .iter()
        .map(|(sibling, right)| {
            if *right {
                Branch::Right(field(*sibling))
            } else {
                Branch::Left(field(*sibling))
            }
        })
        .collect();
    let path = MerklePath { 0: branches };
    let proof = match rng {
        Some(rng) => {
            semaphore_rs::protocol::generate_proof_rng(id, &path, field(scope), field(signal), rng)
        }
        None => generate_proof(id, &path, field(scope), field(signal)),
    }
    .expect("semaphore-rs proves");
    let packed = PackedProof::from(proof);
    BallotProof {
        root: tree.root(),
        nullifier: fe(generate_nullifier_hash(id, field(scope))),
        signal,
        scope,
        proof: Proof::from_bytes(&packed.0).expect("a real proof decodes"),
    }
}

struct Fixture {
    members: Vec<Identity>,
    tree: ElectorateTree,
    /// Member 3's ballot in proposal 14: "yes", seq 1.
    ballot: BallotProof,
    /// An outsider's ballot in proposal 14, proved against a tree of the 20
    /// members plus the outsider.
    outsider: BallotProof,
}

const VOTER: usize = 3;
const PROPOSAL: u64 = 14;

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let members: Vec<Identity> = (0..20).map(|i| identity("member", i)).collect();
        let leaves = commitments(&members);
        let tree = ElectorateTree::new(&leaves).unwrap();
        let ballot = prove(
            &members[VOTER],
            &tree,
            VOTER,
            scope_of(PROPOSAL),
            signal_of(PROPOSAL, 1, &Ballot::Yes),
        );
        let stranger = identity("outsider", 0);
        let mut with_stranger = leaves.clone();
        with_stranger.push(fe(stranger.commitment()));
        let bigger = ElectorateTree::new(&with_stranger).unwrap();
        let outsider = prove(
            &stranger,
            &bigger,
            20,
            scope_of(PROPOSAL),
            signal_of(PROPOSAL, 1, &Ballot::No),
        );
        Fixture {
            members,
            tree,
            ballot,
            outsider,
        }
    })
}

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| Verifier::semaphore_v3_16().unwrap())
}

#[test]
fn a_real_proof_verifies_under_the_pinned_key() {
    let f = fixture();
    let roots = [f.tree.root()];
    assert_eq!(
        verifier().verify(&f.ballot, scope_of(PROPOSAL), &roots),
        Ok(())
    );
    // The free function (pinned key prepared per call) agrees.
    assert_eq!(
        ballot::verify(&f.ballot, scope_of(PROPOSAL), &roots),
        Ok(())
    );
    // Any of the electorate's epoch roots will do.
    let other_epoch = ElectorateTree::new(&[FieldElement::ZERO]).unwrap().root();
    assert_eq!(
        verifier().verify(&f.ballot, scope_of(PROPOSAL), &[other_epoch, f.tree.root()]),
        Ok(())
    );
    // The packed form round-trips byte for byte through the core.
    let hex = f.ballot.proof.to_hex();
    assert_eq!(hex.len(), 2 * PROOF_LEN);
    assert_eq!(Proof::from_hex(&hex), Ok(f.ballot.proof));
}

#[test]
fn a_proof_for_another_proposal_is_refused() {
    let f = fixture();
    let roots = [f.tree.root()];
    // Counted under proposal 15: it was made for 14's scope.
    assert_eq!(
        verifier().verify(&f.ballot, scope_of(15), &roots),
        Err(BallotError::WrongScope)
    );
    // Relabelled as 15's (scope and signal recomputed for 15): the proof
    // does not open under those inputs.
    let relabelled = BallotProof {
        scope: scope_of(15),
        signal: signal_of(15, 1, &Ballot::Yes),
        ..f.ballot
    };
    assert_eq!(
        verifier().verify(&relabelled, scope_of(15), &roots),
        Err(BallotError::BadProof)
    );
}

#[test]
fn a_proof_from_outside_the_electorate_is_refused() {
    let f = fixture();
    let roots = [f.tree.root()];
    // Against its own tree (which holds the outsider): not this electorate's root.
    assert_eq!(
        verifier().verify(&f.outsider, scope_of(PROPOSAL), &roots),
        Err(BallotError::UnknownRoot)
    );
    // Presented with the electorate's root: no leaf of it opens to the proof.
    let claimed = BallotProof {
        root: f.tree.root(),
        ..f.outsider
    };
    assert_eq!(
        verifier().verify(&claimed, scope_of(PROPOSAL), &roots),
        Err(BallotError::BadProof)
    );
    // A removed member: their leaf zeroed, a new root; the ballot made
    // against the old root is refused once only the new root is allowed.
    let mut leaves = commitments(&f.members);
    leaves[VOTER] = FieldElement::ZERO;
    let after = ElectorateTree::new(&leaves).unwrap();
    assert_eq!(
        verifier().verify(&f.ballot, scope_of(PROPOSAL), &[after.root()]),
        Err(BallotError::UnknownRoot)
    );
    let moved = BallotProof {
        root: after.root(),
        ..f.ballot
    };
    assert_eq!(
        verifier().verify(&moved, scope_of(PROPOSAL), &[after.root()]),
        Err(BallotError::BadProof)
    );
}

#[test]
fn tampering_with_a_ballot_is_refused_with_its_own_error() {
    let f = fixture();
    let roots = [f.tree.root()];
    let scope = scope_of(PROPOSAL);
    let bytes = f.ballot.proof.to_bytes();

    // Another member's nullifier (a forged linkage), or any other value.
    let forged = BallotProof {
        nullifier: ballot::nullifier(fe(f.members[4].nullifier), scope).unwrap(),
        ..f.ballot
    };
    assert_eq!(
        verifier().verify(&forged, scope, &roots),
        Err(BallotError::BadProof)
    );
    // The content changed: another choice, another seq.
    for signal in [
        signal_of(PROPOSAL, 1, &Ballot::No),
        signal_of(PROPOSAL, 2, &Ballot::Yes),
    ] {
        let changed = BallotProof { signal, ..f.ballot };
        assert_eq!(
            verifier().verify(&changed, scope, &roots),
            Err(BallotError::BadProof)
        );
    }

    // The proof's bytes: a flipped bit in C.y puts C off the curve.
    let mut flipped = bytes;
    flipped[PROOF_LEN - 1] ^= 1;
    assert_eq!(Proof::from_bytes(&flipped), Err(BallotError::NotOnCurve));
    // A.x replaced by x + q: non-canonical.
    let q: [u8; 32] =
        hex::decode("30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd47")
            .unwrap()
            .try_into()
            .unwrap();
    let mut plus_q = bytes;
    plus_q[..32].copy_from_slice(&add_be(&bytes[..32], &q));
    assert_eq!(Proof::from_bytes(&plus_q), Err(BallotError::NonCanonical));
    // Valid points, wrong proof: A and C swapped, or A negated (−A has y' = q − y).
    let mut swapped = bytes;
    swapped[..64].copy_from_slice(&bytes[192..]);
    swapped[192..].copy_from_slice(&bytes[..64]);
    let mut negated = bytes;
    negated[32..64].copy_from_slice(&sub_be(&q, &bytes[32..64]));
    for tampered in [swapped, negated] {
        let proof = Proof::from_bytes(&tampered).expect("points on the curve");
        let b = BallotProof { proof, ..f.ballot };
        assert_eq!(
            verifier().verify(&b, scope, &roots),
            Err(BallotError::BadProof)
        );
    }
    // An empty proof in hex, or one digit short.
    assert_eq!(Proof::from_hex(""), Err(BallotError::BadEncoding));
    assert_eq!(
        Proof::from_hex(&f.ballot.proof.to_hex()[1..]),
        Err(BallotError::BadEncoding)
    );
}

/// Groth16 proofs are malleable: from a valid proof anyone can make another
/// valid one for the same inputs (A/r, r·B, C). The fold must therefore never
/// treat a proof's bytes (or the ballot hash) as unique per ballot: its
/// order and seq rules (BALLOT.md §6) key on the nullifier.
#[test]
fn a_re_randomised_proof_still_verifies() {
    use ark_bn254::{Fr, G1Affine, G2Affine};
    use ark_ec::{AffineRepr, CurveGroup};
    use ark_ff::Field as _;
    let f = fixture();
    let bytes = f.ballot.proof.to_bytes();
    let (a, b, c) = ark_points(&bytes);
    let r = Fr::from(7u64);
    let a2: G1Affine = (a * r.inverse().unwrap()).into_affine();
    let b2: G2Affine = (b * r).into_affine();
    let p2 = ark_groth16::Proof::<ark_bn254::Bn254> { a: a2, b: b2, c };
    let packed = PackedProof::from(semaphore_rs::protocol::Proof::from(p2));
    let proof = Proof::from_bytes(&packed.0).unwrap();
    assert_ne!(proof, f.ballot.proof);
    let b = BallotProof { proof, ..f.ballot };
    assert_eq!(
        verifier().verify(&b, scope_of(PROPOSAL), &[f.tree.root()]),
        Ok(())
    );
    assert!(!a2.is_zero());
}

fn ark_points(
    bytes: &[u8; PROOF_LEN],
) -> (
    ark_bn254::G1Affine,
    ark_bn254::G2Affine,
    ark_bn254::G1Affine,
) {
    let flat: [Field; 8] = std::array::from_fn(|i| {
        Field::from_be_bytes::<32>(bytes[32 * i..32 * (i + 1)].try_into().unwrap())
    });
    let p = semaphore_rs::protocol::Proof::from_flat(flat);
    let ark: ark_groth16::Proof<ark_bn254::Bn254> = p.try_into().unwrap();
    (ark.a, ark.b, ark.c)
}

fn add_be(a: &[u8], b: &[u8; 32]) -> [u8; 32] {
    let s = Field::from_be_bytes::<32>(a.try_into().unwrap()) + Field::from_be_bytes(*b);
    s.to_be_bytes::<32>()
}

fn sub_be(a: &[u8; 32], b: &[u8]) -> [u8; 32] {
    let d = Field::from_be_bytes(*a) - Field::from_be_bytes::<32>(b.try_into().unwrap());
    d.to_be_bytes::<32>()
}

#[test]
fn tree_roots_agree_with_semaphore_rs() {
    let ids: Vec<Identity> = (0..2000).map(|i| identity("tree", i)).collect();
    let all = commitments(&ids);
    for n in [1usize, 2, 20, 2000] {
        let leaves = &all[..n];
        let core = ElectorateTree::new(leaves).unwrap();
        assert_eq!(core.root(), semaphore_root(leaves), "{n} leaves");
        assert_eq!(core.len(), n);
        // Zeroed leaves (members removed): the first, the last, every third.
        let mut zeroed = leaves.to_vec();
        zeroed[0] = FieldElement::ZERO;
        zeroed[n - 1] = FieldElement::ZERO;
        for leaf in zeroed.iter_mut().step_by(3) {
            *leaf = FieldElement::ZERO;
        }
        let core_zeroed = ElectorateTree::new(&zeroed).unwrap();
        assert_eq!(
            core_zeroed.root(),
            semaphore_root(&zeroed),
            "{n} leaves, some zeroed"
        );
        if n > 1 {
            assert_ne!(core_zeroed.root(), core.root());
        }
    }
    // No leaves: the empty tree of semaphore-rs.
    assert_eq!(
        ElectorateTree::new(&[]).unwrap().root(),
        semaphore_root(&[])
    );
    // The core's Merkle paths are semaphore-rs's.
    let leaves = &all[..20];
    let core = ElectorateTree::new(leaves).unwrap();
    let mut tree = LazyPoseidonTree::new(ballot::DEPTH, Field::from(0)).derived();
    for (i, leaf) in leaves.iter().enumerate() {
        tree = tree.update(i, &field(*leaf));
    }
    for i in [0usize, 7, 19] {
        let theirs: Vec<(FieldElement, bool)> = tree
            .proof(i)
            .0
            .iter()
            .map(|b| match b {
                Branch::Left(s) => (fe(*s), false),
                Branch::Right(s) => (fe(*s), true),
            })
            .collect();
        assert_eq!(core.path(i).unwrap(), theirs, "leaf {i}");
    }
}

#[test]
fn commitments_and_nullifiers_agree_with_semaphore_rs() {
    let f = fixture();
    for id in &f.members[..5] {
        assert_eq!(
            ballot::identity_commitment(fe(id.nullifier), fe(id.trapdoor)).unwrap(),
            fe(id.commitment())
        );
    }
    let a = &f.members[0];
    let b = &f.members[1];
    let (s14, s15) = (scope_of(14), scope_of(15));
    let n = |id: &Identity, s| ballot::nullifier(fe(id.nullifier), s).unwrap();
    // Same identity, same scope: the same nullifier (the last ballot counts).
    assert_eq!(n(a, s14), n(a, s14));
    assert_eq!(n(a, s14), fe(generate_nullifier_hash(a, field(s14))));
    // Another scope, or another member: another nullifier.
    assert_ne!(n(a, s14), n(a, s15));
    assert_ne!(n(a, s14), n(b, s14));
    // Semaphore's hash_to_field, for the scope's and signal's text.
    for text in [&b""[..], b"erkin", &[0xff; 100]] {
        assert_eq!(
            ballot::hash_to_field(text),
            fe(semaphore_rs::hash_to_field(text))
        );
    }
    // The proof carries the voter's nullifier for the scope.
    assert_eq!(f.ballot.nullifier, n(&f.members[VOTER], s14));
}

/// The pinned verifying key is the one inside the depth-16 proving key
/// `semaphore-rs` 0.6.0 vendors (read from the crate's source as cargo
/// unpacked it: the file `semaphore-rs` compiles in).
#[test]
fn the_pinned_key_is_semaphore_rs_depth_16_key() {
    let bytes = semaphore_rs_arkzkey();
    assert_eq!(
        hex::encode(Sha256::digest(&bytes)),
        ballot::PROVING_KEY_SHA256
    );
    let (pk, _) = semaphore_rs_ark_zkey::read_arkzkey_from_bytes(&bytes).unwrap();
    let mut vk = Vec::new();
    pk.vk.serialize_uncompressed(&mut vk).unwrap();
    if let Some(dump) = std::env::var_os("ERKIN_DUMP_BALLOT_VK") {
        std::fs::write(dump, &vk).unwrap();
    }
    assert!(
        vk == ballot::VERIFYING_KEY,
        "the pinned key differs: semaphore-rs's is {}",
        hex::encode(Sha256::digest(&vk))
    );
}

fn semaphore_rs_arkzkey() -> Vec<u8> {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cargo")))
        .expect("CARGO_HOME or HOME");
    let src = home.join("registry").join("src");
    for dir in std::fs::read_dir(&src)
        .expect("cargo's registry sources")
        .flatten()
    {
        let path = dir
            .path()
            .join("semaphore-rs-0.6.0/assets/16/semaphore.arkzkey");
        if let Ok(bytes) = std::fs::read(&path) {
            return bytes;
        }
    }
    panic!("semaphore-rs 0.6.0's assets/16/semaphore.arkzkey not found under {src:?}");
}

/// Fixed vectors, for the desk's JavaScript and any other implementation
/// (BALLOT.md §13): a fixed ballot secret's identity and commitment
/// (`semaphore-rs`'s derivation, zk-kit's), a scope, a signal and the
/// nullifier. Computed once with `semaphore-rs` 0.6.0 and pinned here: a
/// change to any derivation fails this test.
#[test]
fn fixed_vectors() {
    let mut secret: [u8; 32] = std::array::from_fn(|i| i as u8 + 1);
    let id = Identity::from_secret(&mut secret, None);
    let scope = ballot::scope("news.example/erkin", 14, &[0xab; 32]);
    let choice =
        ballot::choice_json(&Ballot::Ranked(vec!["saule".into(), "aigerim".into()])).unwrap();
    let signal = ballot::signal("news.example/erkin", 14, 2, &choice);
    let got = [
        fe(id.trapdoor).to_hex(),
        fe(id.nullifier).to_hex(),
        fe(id.commitment()).to_hex(),
        scope.to_hex(),
        signal.to_hex(),
        ballot::nullifier(fe(id.nullifier), scope).unwrap().to_hex(),
        ElectorateTree::new(&[fe(id.commitment())])
            .unwrap()
            .root()
            .to_hex(),
    ];
    if std::env::var_os("ERKIN_PRINT_BALLOT_VECTORS").is_some() {
        println!("{got:#?}");
    }
    assert_eq!(got, VECTORS);
}

/// identity trapdoor, identity nullifier, commitment, scope, signal,
/// nullifier, root of the one-leaf tree holding the commitment.
const VECTORS: [&str; 7] = [
    "19551a6ec2eff7b91bf4682e3ae96beb4611005202bf433aacde73f1a4343770",
    "27e1d5aef52b57e5521555a231ac9e9d84794d6d24042e82fc62deb5f260f825",
    "06434e561a37b0c07089f1054ed1ccd6fe47a95bcf1e2a4464ffe2ecf106abc4",
    "002b3d7cdb930cd217fc5e606d0b6b57ccacb9d460eaa9eb70021c820ab81d16",
    "0004300681e7317427dcfd497610f86c1eca35a01f3b1f883dbcd7101a85cbe0",
    "0fcf82f014c1b4ca648a066b0e579373e1ee40c1e8c3ef7d97a75d2e7147950d",
    "01cc4caba6ea21226ea0dd27615047fc4cd631f1dfcbc47cb0ec9b0548526301",
];

/// A proof made once by `semaphore-rs` 0.6.0 (member 3 of the fixture's 20,
/// proposal 14, "yes", seq 1) and pinned: it verifies under the pinned key
/// against the tree the core builds today, with no prover involved.
#[test]
fn a_pinned_proof_still_verifies() {
    let f = fixture();
    if std::env::var_os("ERKIN_PRINT_BALLOT_VECTORS").is_some() {
        println!(
            "{}\n{}",
            f.ballot.proof.to_hex(),
            f.ballot.nullifier.to_hex()
        );
    }
    let ballot = BallotProof {
        root: f.tree.root(),
        nullifier: FieldElement::from_hex(PINNED_NULLIFIER).unwrap(),
        signal: signal_of(PROPOSAL, 1, &Ballot::Yes),
        scope: scope_of(PROPOSAL),
        proof: Proof::from_hex(PINNED_PROOF).unwrap(),
    };
    assert_eq!(ballot.nullifier, f.ballot.nullifier);
    assert_eq!(
        verifier().verify(&ballot, scope_of(PROPOSAL), &[f.tree.root()]),
        Ok(())
    );
}

const PINNED_PROOF: &str = concat!(
    "24508771230f8a4f1f532640f48b4e42049bba3f623f5c5fef7eca116f64365b",
    "16ae9bdcada70c2122e62efaca6ec62f773fbea12901d1256cc6a3add91c7908",
    "215c32d52b907bc53930ce8877d8deffa8b0f2eabfaa2d54e9edd8dfec35df16",
    "2e7771388af51dd129974122407039a6b4064549e370a6b286b7c55065f8bbf9",
    "10232e558a91ff00d0c9e6df73f1f77004b8fc234d20e919b08a7b194671c65f",
    "2a8a67ca452e33418360b86ed477b873bcfe40edfd9020796b10960c728676df",
    "285127bf3dd4fa534187ce20276a857ccccb97d15b8d5a1aba8978ec7c74c811",
    "2736e541a3719d04597cb3347a39ca3b31a21fceb3a700d23d63ed54834050aa",
);
const PINNED_NULLIFIER: &str = "078aa5b2ccbd09fa5dc74a6e460522b636a0b26dc575cb3403a0ad536e81c92b";

/// A stand-in for a broken trusted setup (BALLOT.md §4.5; the fold's
/// `ballot_overflow` tripwire of §13 is to be tested with it): a Groth16 key
/// for a circuit with Semaphore's four public inputs and no constraint on
/// them, so whoever made the key proves anything. `Verifier::from_key_bytes`
/// takes it.
pub(crate) mod forger {
    use ark_bn254::{Bn254, Fr};
    use ark_groth16::{Groth16, ProvingKey};
    use ark_relations::gr1cs::{
        ConstraintSynthesizer, ConstraintSystemRef, LinearCombination, Variable,
    };
    use ark_serialize::CanonicalSerialize;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use erkin_core::ballot::{FieldElement, Proof, Verifier};

    struct Anything(Vec<Fr>);

    impl ConstraintSynthesizer<Fr> for Anything {
        fn generate_constraints(
            self,
            cs: ConstraintSystemRef<Fr>,
        ) -> ark_relations::gr1cs::Result<()> {
            for x in self.0 {
                let _input = cs.new_input_variable(|| Ok(x))?;
            }
            let w = cs.new_witness_variable(|| Ok(Fr::from(1u64)))?;
            cs.enforce_r1cs_constraint(
                || LinearCombination::from(w),
                || LinearCombination::from(Variable::One),
                || LinearCombination::from(w),
            )?;
            Ok(())
        }
    }

    pub struct Forger {
        pk: ProvingKey<Bn254>,
        pub verifier: Verifier,
        pub key_bytes: Vec<u8>,
    }

    fn fr(x: FieldElement) -> Fr {
        use ark_ff::PrimeField;
        Fr::from_be_bytes_mod_order(&x.to_be_bytes())
    }

    /// A key for `inputs` public inputs (Semaphore has 4).
    pub fn key(inputs: usize) -> (ProvingKey<Bn254>, Vec<u8>) {
        let mut rng = StdRng::seed_from_u64(15);
        let pk = Groth16::<Bn254>::generate_random_parameters_with_reduction(
            Anything(vec![Fr::from(0u64); inputs]),
            &mut rng,
        )
        .unwrap();
        let mut bytes = Vec::new();
        pk.vk.serialize_uncompressed(&mut bytes).unwrap();
        (pk, bytes)
    }

    pub fn new() -> Forger {
        let (pk, key_bytes) = key(4);
        let verifier = Verifier::from_key_bytes(&key_bytes).unwrap();
        Forger {
            pk,
            verifier,
            key_bytes,
        }
    }

    impl Forger {
        /// A proof for any public inputs [root, nullifier, signal, scope].
        pub fn prove(&self, inputs: [FieldElement; 4]) -> Proof {
            let mut rng = StdRng::seed_from_u64(16);
            let p = Groth16::<Bn254>::create_random_proof_with_reduction(
                Anything(inputs.iter().map(|x| fr(*x)).collect()),
                &self.pk,
                &mut rng,
            )
            .unwrap();
            let packed = semaphore_rs::packed_proof::PackedProof::from(
                semaphore_rs::protocol::Proof::from(p),
            );
            Proof::from_bytes(&packed.0).unwrap()
        }
    }
}

#[test]
fn a_forged_setup_proves_anything_and_only_under_its_own_key() {
    let f = fixture();
    let forger = forger::new();
    assert_eq!(forger.verifier.key_bytes(), forger.key_bytes);
    // A ballot from nobody: a fresh nullifier, the electorate's real root.
    let nobody = FieldElement::from_hex(&format!("{:064x}", 12345)).unwrap();
    let signal = signal_of(PROPOSAL, 1, &Ballot::No);
    let proof = forger.prove([f.tree.root(), nobody, signal, scope_of(PROPOSAL)]);
    let forged = BallotProof {
        root: f.tree.root(),
        nullifier: nobody,
        signal,
        scope: scope_of(PROPOSAL),
        proof,
    };
    let roots = [f.tree.root()];
    assert_eq!(
        forger.verifier.verify(&forged, scope_of(PROPOSAL), &roots),
        Ok(())
    );
    // The pinned key refuses it, and the forger's key refuses real ballots.
    assert_eq!(
        verifier().verify(&forged, scope_of(PROPOSAL), &roots),
        Err(BallotError::BadProof)
    );
    assert_eq!(
        forger
            .verifier
            .verify(&f.ballot, scope_of(PROPOSAL), &roots),
        Err(BallotError::BadProof)
    );
    // A key for another number of public inputs is not a ballot key.
    let (_, three) = forger::key(3);
    assert_eq!(
        Verifier::from_key_bytes(&three).err(),
        Some(BallotError::BadKey)
    );
}
