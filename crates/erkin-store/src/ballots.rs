//! The sequencer's intake of secret ballots (docs/BALLOT.md §8, §9): a
//! submission decrypted in memory with the ballot box's identity, read as
//! one canonical ballot, checked by the state
//! ([`erkin_core::state::State::check_ballot_intake`]) and by what the
//! sequencer holds, then held durably until the close
//! (`Publication::hold_ballot`).
//!
//! Nothing here records when a ballot arrived or from where: the held row
//! is the ballot's own bytes, keyed by (proposal, epoch, ballot hash).

use std::io::Read as _;

use erkin_core::action::CastBallot;
use erkin_core::api::{
    pad_ballot_answer, parse_ballot, read_ballot_answer, unpad_ballot, BallotAnswer,
    BallotAnswerError, BallotBodyError, BallotReceipt, BALLOT_ANSWER_LEN, BALLOT_PLAINTEXT_LEN,
};
use erkin_core::state::Rejection;

use crate::publication_error::PublicationError;

/// The largest submission body read: an age file of one X25519 stanza and
/// [`BALLOT_PLAINTEXT_LEN`] bytes of payload is some 8,500 bytes; the rest
/// is slack for the header, never for a longer plaintext.
pub const MAX_BALLOT_BODY_LEN: usize = 16 * 1024;

/// Why the sequencer does not hold a ballot. [`BallotRefusal::code`] is the
/// API's code.
#[derive(Debug, thiserror::Error)]
pub enum BallotRefusal {
    /// Not an age file to the ballot box's recipient (another recipient, a
    /// passphrase, armored, damaged), or larger than
    /// [`MAX_BALLOT_BODY_LEN`].
    #[error("the ballot does not decrypt with the ballot box's identity: encrypt it, unarmored, to the ballot box in the state")]
    Undecryptable,
    /// Decrypted, but not exactly one padded canonical ballot.
    #[error(transparent)]
    Body(#[from] BallotBodyError),
    /// What the state refuses (the fold's codes, and `voting_ended` by the
    /// sequencer's clock).
    #[error("{0}")]
    Rejected(Rejection),
    /// The ballot's `seq` is not above the highest the sequencer holds for
    /// its nullifier in any epoch (its proof not looked at): prove again
    /// with `held_seq + 1`.
    #[error("a ballot with this nullifier and seq {held_seq} is held already: send one with a seq above it")]
    StaleBallot { held_seq: u64 },
    /// A re-vote (its proof not looked at) of a nullifier whose last
    /// ballot was held less than [`crate::REVOTE_INTERVAL_SECS`] ago, at
    /// `now` by the sequencer's clock: send it again at `retry_at`.
    #[error("a ballot with this nullifier was held moments ago: send this one again at {retry_at} (Unix time), {} s from now", retry_at.saturating_sub(*now))]
    RevoteTooSoon { now: u64, retry_at: u64 },
    /// The store failed (the ballot is not held).
    #[error(transparent)]
    Publication(#[from] PublicationError),
}

impl BallotRefusal {
    /// The API's error code: `bad_body`, `bad_ballot`, the fold's codes,
    /// `voting_ended`, `stale_ballot`, or `storage`.
    pub fn code(&self) -> &'static str {
        match self {
            BallotRefusal::Undecryptable => "bad_body",
            BallotRefusal::Body(e) => e.code(),
            BallotRefusal::Rejected(r) => r.code(),
            BallotRefusal::StaleBallot { .. } => "stale_ballot",
            BallotRefusal::RevoteTooSoon { .. } => "revote_too_soon",
            BallotRefusal::Publication(_) => "storage",
        }
    }

    /// Whether the ballot's Groth16 proof was verified and failed (the
    /// costly part, some milliseconds, for nothing): what a server's
    /// budget for refused proofs counts. Refusals before the verification
    /// (a malformed root, nullifier or proof, a stale root, the choice, and
    /// `stale_ballot` and `revote_too_soon`, judged by the nullifier the
    /// ballot claims) cost next to nothing and spend nothing; a refusal
    /// after a proof that verified (`ballot_overflow`) came from someone
    /// holding a real ballot and spends nothing either, so nobody without
    /// a ballot key empties the budget but by sending proofs that fail.
    pub fn spent_proof(&self) -> bool {
        matches!(
            self,
            BallotRefusal::Rejected(Rejection::BadBallot {
                reason: erkin_core::ballot::BallotError::BadProof
            })
        )
    }
}

impl From<crate::store::StoreError> for BallotRefusal {
    fn from(e: crate::store::StoreError) -> Self {
        BallotRefusal::Publication(e.into())
    }
}

/// The most stanzas a submission's age header may carry: an honest one
/// has the ballot box's X25519 stanza and perhaps one of age's "grease".
pub const MAX_BALLOT_STANZAS: usize = 4;

/// Whether a submission's age header is one a client makes: binary, one
/// X25519 stanza, at most [`MAX_BALLOT_STANZAS`] in all. Checked before
/// decrypting: each X25519 stanza costs a Diffie-Hellman to try, and the
/// sequencer's one thread should not try a hundred for one body.
fn plausible_header(body: &[u8]) -> bool {
    let Some(rest) = body.strip_prefix(b"age-encryption.org/v1\n") else {
        return false;
    };
    let (mut stanzas, mut x25519) = (0, 0);
    for line in rest.split(|&b| b == b'\n') {
        if line.starts_with(b"---") {
            return x25519 == 1;
        }
        if line.starts_with(b"-> ") {
            stanzas += 1;
            if line.starts_with(b"-> X25519 ") {
                x25519 += 1;
            }
            if stanzas > MAX_BALLOT_STANZAS || x25519 > 1 {
                return false;
            }
        }
    }
    false
}

/// A submission that decrypted and named its reply recipient: the
/// ballot in it, or why its JSON is not one (answered, like every outcome
/// from here on, to the reply recipient only).
#[derive(Debug)]
pub struct OpenedBallot {
    /// The one-time age recipient the client made for this submission.
    pub reply: age::x25519::Recipient,
    pub ballot: Result<CastBallot, BallotBodyError>,
}

/// Decrypts a submission with the ballot box's `identity` (in memory;
/// binary age, one X25519 stanza, never a passphrase's scrypt, whose work
/// factor the sender would choose) and reads its padded plaintext: the
/// reply recipient, and the ballot. `Err` only where no reply recipient
/// could be read (the refusal is answered in clear: it says nothing of a
/// ballot).
pub fn open_ballot(
    body: &[u8],
    identity: &age::x25519::Identity,
) -> Result<OpenedBallot, BallotRefusal> {
    if body.len() > MAX_BALLOT_BODY_LEN || !plausible_header(body) {
        return Err(BallotRefusal::Undecryptable);
    }
    let decryptor = age::Decryptor::new(body).map_err(|_| BallotRefusal::Undecryptable)?;
    if decryptor.is_scrypt() {
        return Err(BallotRefusal::Undecryptable);
    }
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|_| BallotRefusal::Undecryptable)?;
    let mut plain = Vec::with_capacity(BALLOT_PLAINTEXT_LEN + 1);
    reader
        .by_ref()
        .take(BALLOT_PLAINTEXT_LEN as u64 + 1)
        .read_to_end(&mut plain)
        .map_err(|_| BallotRefusal::Undecryptable)?;
    let (json, reply) = unpad_ballot(&plain)?;
    let reply: age::x25519::Recipient = reply.parse().map_err(|_| {
        BallotRefusal::Body(BallotBodyError::BadReply(
            erkin_core::recipient::RecipientError::WrongLength,
        ))
    })?;
    Ok(OpenedBallot {
        reply,
        ballot: parse_ballot(json),
    })
}

/// What the sequencer made of a submission that decrypted: its outcome,
/// to be answered to `reply` alone ([`seal_answer`]).
#[derive(Debug)]
pub struct Taken {
    pub reply: age::x25519::Recipient,
    pub outcome: Result<BallotReceipt, BallotRefusal>,
}

/// Why an answer could not be made or read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    #[error("the answer could not be encrypted: {0}")]
    Encrypt(#[from] age::EncryptError),
    /// Not an age file to the reply identity, or larger than
    /// [`MAX_BALLOT_ANSWER_BODY_LEN`].
    #[error("the answer does not decrypt with this ballot's reply identity")]
    Undecryptable,
    #[error(transparent)]
    Answer(#[from] BallotAnswerError),
}

/// The largest answer body a client reads: an age file of a header and
/// [`BALLOT_ANSWER_LEN`] bytes of payload is some 4,400 bytes.
pub const MAX_BALLOT_ANSWER_BODY_LEN: usize = 8 * 1024;

/// The answer to a submission that decrypted: [`pad_ballot_answer`]'s
/// fixed-length plaintext, age-encrypted (binary) to the submission's
/// reply recipient. Every answer's ciphertext has one size but for the
/// random "grease" stanza age adds, whatever the answer says.
pub fn seal_answer(
    answer: &BallotAnswer,
    reply: &age::x25519::Recipient,
) -> Result<Vec<u8>, AnswerError> {
    Ok(age::encrypt(reply, &pad_ballot_answer(answer))?)
}

/// The client's side of [`seal_answer`]: the answer in `body`, decrypted
/// with the one-time `identity` whose recipient the submission carried.
pub fn open_answer(
    body: &[u8],
    identity: &age::x25519::Identity,
) -> Result<BallotAnswer, AnswerError> {
    if body.len() > MAX_BALLOT_ANSWER_BODY_LEN {
        return Err(AnswerError::Undecryptable);
    }
    let decryptor = age::Decryptor::new(body).map_err(|_| AnswerError::Undecryptable)?;
    if decryptor.is_scrypt() {
        return Err(AnswerError::Undecryptable);
    }
    let mut reader = decryptor
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|_| AnswerError::Undecryptable)?;
    let mut plain = Vec::with_capacity(BALLOT_ANSWER_LEN + 1);
    reader
        .by_ref()
        .take(BALLOT_ANSWER_LEN as u64 + 1)
        .read_to_end(&mut plain)
        .map_err(|_| AnswerError::Undecryptable)?;
    Ok(read_ballot_answer(&plain)?)
}

/// The sequencer's ballot box (docs/BALLOT.md §5.6): its age X25519
/// identity, whose recipient the log publishes (`ballot_box`) and members
/// encrypt secret ballots to. Kept at rest in `ballot-box.age`, encrypted
/// like the log key ([`crate::keyfile::open_or_make_ballot_box`]). Its
/// `Debug` shows the recipient only.
#[derive(Clone)]
pub struct BallotBox(std::sync::Arc<age::x25519::Identity>);

impl BallotBox {
    pub fn new(identity: age::x25519::Identity) -> Self {
        BallotBox(std::sync::Arc::new(identity))
    }

    /// A fresh identity from the OS generator (tests; a server keeps its
    /// own in `ballot-box.age`).
    pub fn generate() -> Self {
        Self::new(age::x25519::Identity::generate())
    }

    /// The one in `path`, made there when missing, encrypted to
    /// `passphrase` (`work_factor` as for key files).
    pub fn open_or_make(
        path: &std::path::Path,
        passphrase: &str,
        work_factor: Option<u8>,
    ) -> Result<Self, crate::keyfile::KeyFileError> {
        crate::keyfile::open_or_make_ballot_box(path, passphrase, work_factor).map(Self::new)
    }

    /// The recipient (`age1…`), as the `ballot_box` entry carries it.
    pub fn recipient(&self) -> String {
        self.0.to_public().to_string()
    }

    pub fn identity(&self) -> &age::x25519::Identity {
        &self.0
    }
}

impl std::fmt::Debug for BallotBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BallotBox({})", self.recipient())
    }
}
