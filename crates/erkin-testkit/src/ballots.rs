//! Secret ballots for the suites (feature `ballots`, docs/BALLOT.md): ballot
//! secrets from fixed seeds, real Groth16 proofs by `semaphore-rs` against a
//! proposal's electorate tree as the state records it, and a submission's
//! body (padded, age-encrypted to the ballot box) as a member's client
//! sends it.

use erkin_core::action::{Ballot, CastBallot};
use erkin_core::api::{pad_ballot, read_ballot_answer, BallotAnswer, BALLOT_ANSWER_LEN};
use erkin_core::ballot::{self, ElectorateTree, FieldElement};
use erkin_core::ballot_secret::BallotSecret;
use erkin_core::secret::SecretVote;
use semaphore_rs::identity::Identity;
use semaphore_rs::packed_proof::PackedProof;
use semaphore_rs::poseidon_tree::{Branch, Proof as MerklePath};
use semaphore_rs::protocol::{generate_nullifier_hash, generate_proof};
use semaphore_rs::Field;
use sha2::{Digest, Sha256};

/// Member `i`'s ballot secret, from a fixed seed.
pub fn secret(domain: &str, i: usize) -> BallotSecret {
    BallotSecret::from_bytes(Sha256::digest(format!("{domain}/{i}")).into())
}

/// The secret's ballot key (commitment), 64 lowercase hex digits, as a
/// `ballot_key` entry registers it.
pub fn commitment(s: &BallotSecret) -> String {
    s.commitment().expect("a ballot key").to_hex()
}

fn field(x: FieldElement) -> Field {
    Field::from_be_bytes(x.to_be_bytes())
}

/// The tree of a secret proposal in `epoch`: its leaves, the first `epoch`
/// members who left zeroed (docs/BALLOT.md §4.4).
pub fn tree(vote: &SecretVote, epoch: usize) -> ElectorateTree {
    let leaves: Vec<FieldElement> = vote
        .leaves
        .iter()
        .map(|l| {
            if vote.departed[..epoch].contains(&l.handle) {
                FieldElement::ZERO
            } else {
                FieldElement::from_hex(&l.commitment).expect("a recorded ballot key")
            }
        })
        .collect();
    let tree = ElectorateTree::new(&leaves).expect("the tree builds");
    assert_eq!(tree.root().to_hex(), vote.roots[epoch], "the recorded root");
    tree
}

/// The ballot of the holder of `s` (a leaf of `vote`) on proposal
/// `proposal` of the publication `origin`, proved against `epoch`'s tree.
pub fn cast(
    origin: &str,
    proposal: u64,
    vote: &SecretVote,
    epoch: usize,
    s: &BallotSecret,
    seq: u64,
    choice: Ballot,
) -> CastBallot {
    let mine = commitment(s);
    let index = vote
        .leaves
        .iter()
        .position(|l| l.commitment == mine)
        .expect("the secret's key is a leaf of the tree");
    cast_at(origin, proposal, vote, epoch, s, index, seq, choice)
}

/// [`cast`] for leaf `index`, whoever holds it: with another member's
/// leaf the proof cannot hold (a test of a forged claim).
#[allow(clippy::too_many_arguments)]
pub fn cast_at(
    origin: &str,
    proposal: u64,
    vote: &SecretVote,
    epoch: usize,
    s: &BallotSecret,
    index: usize,
    seq: u64,
    choice: Ballot,
) -> CastBallot {
    let tree = tree(vote, epoch);
    let scope = FieldElement::from_hex(&vote.scope).expect("a recorded scope");
    let signal = ballot::signal(
        origin,
        proposal,
        seq,
        &ballot::choice_json(&choice).expect("a choice"),
    );
    let id = s.identity();
    let identity = Identity {
        trapdoor: field(id.trapdoor),
        nullifier: field(id.nullifier),
    };
    let branches = tree
        .path(index)
        .expect("a leaf of the tree")
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
    let proof =
        generate_proof(&identity, &path, field(scope), field(signal)).expect("semaphore-rs proves");
    let nullifier = generate_nullifier_hash(&identity, field(scope));
    CastBallot {
        proposal,
        root: tree.root().to_hex(),
        nullifier: FieldElement::from_be_bytes(nullifier.to_be_bytes::<32>())
            .expect("a canonical nullifier")
            .to_hex(),
        seq,
        choice,
        proof: ballot::Proof::from_bytes(&PackedProof::from(proof).0)
            .expect("a real proof decodes")
            .to_hex(),
    }
}

/// `plain` encrypted to the age X25519 `recipient`, binary (not armored).
pub fn encrypt(plain: &[u8], recipient: &str) -> Vec<u8> {
    encrypt_to(plain, &[recipient])
}

/// `plain` encrypted to every one of the age X25519 `recipients`, binary.
pub fn encrypt_to(plain: &[u8], recipients: &[&str]) -> Vec<u8> {
    use std::io::Write as _;
    let recipients: Vec<age::x25519::Recipient> = recipients
        .iter()
        .map(|r| r.parse().expect("an age recipient"))
        .collect();
    let encryptor =
        age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
            .expect("recipients");
    let mut out = Vec::new();
    let mut w = encryptor.wrap_output(&mut out).expect("into memory");
    w.write_all(plain).expect("into memory");
    w.finish().expect("into memory");
    out
}

/// The one-time reply identity of this test process's submissions (a
/// client makes one per ballot; the suites share one, so they can read
/// every answer).
pub fn reply_identity() -> &'static age::x25519::Identity {
    static REPLY: std::sync::OnceLock<age::x25519::Identity> = std::sync::OnceLock::new();
    REPLY.get_or_init(age::x25519::Identity::generate)
}

/// [`reply_identity`]'s recipient (`age1…`), as a submission carries it.
pub fn reply() -> String {
    reply_identity().to_public().to_string()
}

/// A submission's plaintext: the ballot's canonical JSON and [`reply`],
/// padded to 8,192 bytes.
pub fn plain(ballot: &CastBallot) -> Vec<u8> {
    pad_ballot(&ballot.canonical_json(), &reply()).expect("a ballot fits")
}

/// A submission's body: [`plain`] encrypted to the ballot box's
/// `recipient`.
pub fn body(ballot: &CastBallot, recipient: &str) -> Vec<u8> {
    encrypt(&plain(ballot), recipient)
}

/// The sequencer's encrypted answer to a submission of this process,
/// decrypted with [`reply_identity`] and read (age directly, apart from
/// the store's own code): `None` if it does not decrypt or is not one
/// fixed-length answer.
pub fn answer(bytes: &[u8]) -> Option<BallotAnswer> {
    use std::io::Read as _;
    let decryptor = age::Decryptor::new(bytes).ok()?;
    let mut reader = decryptor
        .decrypt(std::iter::once(reply_identity() as &dyn age::Identity))
        .ok()?;
    let mut plain = Vec::new();
    reader
        .by_ref()
        .take(BALLOT_ANSWER_LEN as u64 + 1)
        .read_to_end(&mut plain)
        .ok()?;
    read_ballot_answer(&plain).ok()
}

/// The length of an age file without its header: the nonce and the
/// payload's one chunk. Every answer's is the same; the header's length
/// varies only with age's random "grease" stanza.
pub fn payload_len(age_file: &[u8]) -> usize {
    let mac = age_file
        .windows(5)
        .position(|w| w == b"\n--- ")
        .expect("an age header's MAC line");
    let end = age_file[mac + 1..]
        .iter()
        .position(|&b| b == b'\n')
        .expect("the MAC line ends");
    age_file.len() - (mac + 1 + end + 1)
}
