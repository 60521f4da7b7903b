//! The HTTP API's contracts: every JSON document the server sends and a
//! client reads, as one typed struct each (docs/FORMATS.md, "Members' API"
//! and "JSON API"). The server serializes these, the members' client and
//! the tests parse them; nobody builds or reads the JSON by hand.
//!
//! - the members' API: [`EntryReceipt`] (`POST /api/v1/entries`),
//!   [`BlobReceipt`] (`POST /api/v1/blobs`) and, for every refusal, the
//!   [`ErrorDocument`];
//! - the read-only JSON API, rendered by the views when entries land:
//!   [`ArticleList`] (`/api/v1/articles`), [`ArticleDocument`]
//!   (`/api/v1/articles/<slug>`) and [`StateDocument`] (`/api/v1/state`).
//!
//! Every struct refuses unknown fields, so a field added on one side and not
//! the other fails the round trip (`erkin-server`'s `http` tests parse every
//! document a real server sends). Hashes and digests travel as lowercase hex.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::action::{Ballot, CastBallot, Motion};
use crate::blob::BlobId;
use crate::charter::{Charter, Tally};
use crate::governance::{Effect, Judged, Nomination};
use crate::keys::{SecretKey, VerifierKey};
use crate::members::Seat;
use crate::note::{sign_note, NoteError, ParsedNote};
use crate::Hash;

/// `POST` a signed entry here.
pub const ENTRIES_PATH: &str = "api/v1/entries";
/// `POST` a blob's bytes here, with the [`UPLOAD_HEADER`].
pub const BLOBS_PATH: &str = "api/v1/blobs";
/// The header of a blob upload: base64 of a member's signed note of
/// [`crate::blob::upload_text`].
pub const UPLOAD_HEADER: &str = "erkin-upload";
/// The list of articles ([`ArticleList`]).
pub const ARTICLES_PATH: &str = "api/v1/articles";
/// The publication's state ([`StateDocument`]).
pub const STATE_PATH: &str = "api/v1/state";
/// `POST` a secret ballot here (docs/BALLOT.md §8), on the members'
/// listener and on the tips listener: the body is an age ciphertext (binary,
/// to the state's [`StateDocument::ballot_box`] recipient) of
/// [`pad_ballot`]'s plaintext; the answer, to a body that decrypts, is
/// always 200 with an age file to the plaintext's reply recipient of
/// [`pad_ballot_answer`]'s (a [`BallotAnswer`]).
pub const BALLOTS_PATH: &str = "api/v1/ballots";

/// The path of one article's document ([`ArticleDocument`]).
pub fn article_path(slug: &str) -> String {
    format!("{ARTICLES_PATH}/{slug}")
}

// ---------------------------------------------------------------------------
// The members' API

/// The answer to an entry, once it is durable: where it is in the log, and
/// the proof of it that a client checks against the pinned log key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryReceipt {
    /// The entry's log index.
    pub index: u64,
    /// The signed checkpoint (a note) of a tree that holds the entry.
    pub checkpoint: String,
    /// The entry's inclusion proof in that tree.
    #[serde(with = "hex_hashes")]
    pub inclusion_proof: Vec<Hash>,
    /// The entry's leaf hash (RFC 6962).
    #[serde(with = "hex_hash")]
    pub leaf_hash: Hash,
}

/// The answer to a blob upload, once it is durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlobReceipt {
    pub id: BlobId,
}

/// Every refusal: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorDocument {
    pub error: ApiError,
}

/// Why the server refused: a stable `code` for programs (the API's own, or
/// the fold's `Rejection::code`) and a `message` in English for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(deny_unknown_fields)]
#[error("{message} ({code})")]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// For refusals about time (`voting_ended`, `too_early`,
    /// `period_too_short`, `clock_skew`, `time_went_backwards`): the two
    /// times compared, so clients can show them in their own local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<crate::rejection::RefusalTimes>,
    /// The refusal in words, by language (`kk`, `ru`, `en`), where the
    /// server has a sentence for it that names its particulars (the
    /// election refusals: who, which proposal); clients show it in the
    /// member's language, else their own sentence for `code`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub said: BTreeMap<String, String>,
    /// For `stale_ballot` (a secret ballot whose `seq` is not above the
    /// one the sequencer holds for its nullifier): that held `seq`, so the
    /// member's client can prove again with `held_seq + 1`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_seq: Option<u64>,
}

impl ApiError {
    pub fn new(code: &str, message: impl std::fmt::Display) -> Self {
        Self {
            code: code.to_string(),
            message: message.to_string(),
            times: None,
            said: BTreeMap::new(),
            held_seq: None,
        }
    }

    /// The fold's refusal: its code, its English message and its times.
    pub fn rejected(r: &crate::rejection::Rejection) -> Self {
        Self {
            times: r.times(),
            ..Self::new(r.code(), r)
        }
    }
}

// ---------------------------------------------------------------------------
// Secret ballots (docs/BALLOT.md §8, §9)

/// Every ballot's plaintext is exactly this long before encryption: the
/// ballot's canonical JSON, a newline, the reply recipient, a newline, then
/// NUL bytes ([`pad_ballot`]), so every submission has the same size
/// whatever the ranking's length.
pub const BALLOT_PLAINTEXT_LEN: usize = 8192;

/// Every answer to a submission that decrypts is exactly this long before
/// it is encrypted to the submission's reply recipient: the answer's JSON
/// (a [`BallotReceipt`] or an [`ErrorDocument`]), then NUL bytes
/// ([`pad_ballot_answer`]). So neither its HTTP status (always 200) nor its
/// size tells an onlooker of the connection — who can read TLS, or replays
/// a captured body — whether the ballot was held, refused or stale.
pub const BALLOT_ANSWER_LEN: usize = 4096;

/// The text of a ballot receipt's note (docs/BALLOT.md §8 item 5).
pub const BALLOT_RECEIPT_FORMAT: &str = "erkin.ballot-receipt/v1";

/// A receipt note is five short lines and one signature.
pub const MAX_BALLOT_RECEIPT_LEN: usize = 4096;

/// Why a ballot's plaintext is not [`BALLOT_PLAINTEXT_LEN`] bytes of one
/// canonical ballot, a newline, a reply recipient, a newline and NUL
/// padding. All but the last two are the body's form (API code
/// [`BallotBodyError::code`] `bad_body`, answered in clear: no reply
/// recipient could be read, or none is to be trusted), the last two the
/// ballot's (`bad_ballot`, answered to the reply recipient).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BallotBodyError {
    #[error(
        "the ballot is {len} bytes: with its reply recipient and two newlines it must fit in {max}"
    )]
    TooLong { len: usize, max: usize },
    #[error("the ballot's plaintext has no newline after its JSON")]
    NoNewline,
    #[error("the ballot's plaintext has no reply recipient and newline after its JSON")]
    NoReply,
    #[error("the ballot's reply recipient is not an age X25519 recipient: {0}")]
    BadReply(crate::recipient::RecipientError),
    #[error("the ballot's padding holds a byte other than NUL")]
    BadPadding,
    #[error("the ballot's plaintext is {len} bytes, not {expected}")]
    WrongLength { len: usize, expected: usize },
    #[error("the ballot is not a ballot object: {reason}")]
    BadJson { reason: String },
    #[error("the ballot's JSON is not in canonical form (field order, spacing, escapes)")]
    NotCanonical,
}

impl BallotBodyError {
    /// The API's error code: `bad_body` for the padding, length and reply
    /// recipient, `bad_ballot` for the JSON inside.
    pub fn code(&self) -> &'static str {
        match self {
            BallotBodyError::BadJson { .. } | BallotBodyError::NotCanonical => "bad_ballot",
            _ => "bad_body",
        }
    }
}

/// The plaintext a member encrypts: `json` (the ballot's canonical JSON,
/// [`CastBallot::canonical_json`]), a newline, `reply` (an age X25519
/// recipient, `age1…`, made fresh for this one submission: the sequencer
/// encrypts its answer to it), a newline, NUL bytes up to
/// [`BALLOT_PLAINTEXT_LEN`]. `json` may hold no newline.
pub fn pad_ballot(json: &[u8], reply: &str) -> Result<Vec<u8>, BallotBodyError> {
    crate::recipient::check_recipient(reply).map_err(BallotBodyError::BadReply)?;
    if json.len() + reply.len() + 2 > BALLOT_PLAINTEXT_LEN {
        return Err(BallotBodyError::TooLong {
            len: json.len(),
            max: BALLOT_PLAINTEXT_LEN,
        });
    }
    if json.contains(&b'\n') {
        return Err(BallotBodyError::NotCanonical);
    }
    let mut out = Vec::with_capacity(BALLOT_PLAINTEXT_LEN);
    out.extend_from_slice(json);
    out.push(b'\n');
    out.extend_from_slice(reply.as_bytes());
    out.push(b'\n');
    out.resize(BALLOT_PLAINTEXT_LEN, 0);
    Ok(out)
}

/// The ballot's JSON and the reply recipient inside a padded plaintext:
/// exactly [`BALLOT_PLAINTEXT_LEN`] bytes, the JSON up to the first
/// newline, the recipient (checked: an age X25519 recipient) up to the
/// second, NUL bytes after it.
pub fn unpad_ballot(plain: &[u8]) -> Result<(&[u8], &str), BallotBodyError> {
    if plain.len() != BALLOT_PLAINTEXT_LEN {
        return Err(BallotBodyError::WrongLength {
            len: plain.len(),
            expected: BALLOT_PLAINTEXT_LEN,
        });
    }
    let end = plain
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(BallotBodyError::NoNewline)?;
    let rest = &plain[end + 1..];
    let reply_end = rest
        .iter()
        .position(|&b| b == b'\n' || b == 0)
        .filter(|&i| rest[i] == b'\n')
        .ok_or(BallotBodyError::NoReply)?;
    if rest[reply_end + 1..].iter().any(|&b| b != 0) {
        return Err(BallotBodyError::BadPadding);
    }
    let reply = std::str::from_utf8(&rest[..reply_end])
        .map_err(|_| BallotBodyError::BadReply(crate::recipient::RecipientError::NotBech32))?;
    crate::recipient::check_recipient(reply).map_err(BallotBodyError::BadReply)?;
    Ok((&plain[..end], reply))
}

/// A ballot's canonical JSON, parsed strictly: its bytes must be exactly
/// [`CastBallot::canonical_json`], so its hash is the one the log will show.
pub fn parse_ballot(json: &[u8]) -> Result<CastBallot, BallotBodyError> {
    let ballot: CastBallot =
        serde_json::from_slice(json).map_err(|e| BallotBodyError::BadJson {
            reason: e.to_string(),
        })?;
    if ballot.canonical_json() != json {
        return Err(BallotBodyError::NotCanonical);
    }
    Ok(ballot)
}

/// The ballot in a padded plaintext ([`unpad_ballot`], [`parse_ballot`])
/// and its reply recipient.
pub fn read_ballot(plain: &[u8]) -> Result<(CastBallot, String), BallotBodyError> {
    let (json, reply) = unpad_ballot(plain)?;
    Ok((parse_ballot(json)?, reply.to_string()))
}

/// The sequencer's answer to a submission that decrypted, as its reply
/// recipient reads it: the receipt, or the refusal (with its code, and
/// `held_seq` for `stale_ballot`). As JSON it is exactly the document:
/// `{"proposal", "epoch", "ballot_hash", "receipt"}` or `{"error": …}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum BallotAnswer {
    Refused(ErrorDocument),
    Receipt(BallotReceipt),
}

/// Why a decrypted answer is not [`BALLOT_ANSWER_LEN`] bytes of one
/// answer's JSON and NUL padding.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BallotAnswerError {
    #[error("the ballot's answer is {len} bytes, not {expected}")]
    WrongLength { len: usize, expected: usize },
    #[error("the ballot's answer holds a byte other than NUL after its JSON")]
    BadPadding,
    #[error("the ballot's answer is neither a receipt nor an error document: {reason}")]
    BadJson { reason: String },
}

/// The answer's plaintext: its JSON, NUL bytes up to [`BALLOT_ANSWER_LEN`].
/// A refusal too long for it (no refusal is, today) goes with its code,
/// its times and `held_seq` but a short message, so every answer fits.
pub fn pad_ballot_answer(answer: &BallotAnswer) -> Vec<u8> {
    let mut out = serde_json::to_vec(answer).unwrap_or_default();
    if out.len() > BALLOT_ANSWER_LEN {
        let short = match answer {
            BallotAnswer::Refused(doc) => ApiError {
                times: doc.error.times,
                held_seq: doc.error.held_seq,
                ..ApiError::new(
                    &doc.error.code,
                    "the ballot was refused (its message was too long to send)",
                )
            },
            BallotAnswer::Receipt(_) => {
                ApiError::new("storage", "the ballot's receipt was too long to send")
            }
        };
        out = serde_json::to_vec(&BallotAnswer::Refused(ErrorDocument { error: short }))
            .unwrap_or_default();
        out.truncate(BALLOT_ANSWER_LEN);
    }
    out.resize(BALLOT_ANSWER_LEN, 0);
    out
}

/// The answer in a decrypted answer's plaintext ([`pad_ballot_answer`]).
pub fn read_ballot_answer(plain: &[u8]) -> Result<BallotAnswer, BallotAnswerError> {
    if plain.len() != BALLOT_ANSWER_LEN {
        return Err(BallotAnswerError::WrongLength {
            len: plain.len(),
            expected: BALLOT_ANSWER_LEN,
        });
    }
    let end = plain.iter().position(|&b| b == 0).unwrap_or(plain.len());
    if plain[end..].iter().any(|&b| b != 0) {
        return Err(BallotAnswerError::BadPadding);
    }
    serde_json::from_slice(&plain[..end]).map_err(|e| BallotAnswerError::BadJson {
        reason: e.to_string(),
    })
}

/// A ballot receipt's note text: `erkin.ballot-receipt/v1\n<origin>\n
/// <proposal>\n<epoch>\n<ballot hash hex>\n`.
pub fn ballot_receipt_text(origin: &str, proposal: u64, epoch: u64, hash: &[u8; 32]) -> String {
    format!(
        "{BALLOT_RECEIPT_FORMAT}\n{origin}\n{proposal}\n{epoch}\n{}\n",
        hex::encode(hash)
    )
}

/// The answer to a secret ballot, once the sequencer holds it durably
/// (docs/BALLOT.md §8 item 5): which proposal and epoch it counts in, its
/// hash, and the log key's signed note of [`ballot_receipt_text`]. With
/// the log, a receipt whose ballot (or a later one of its nullifier) the
/// close left out is evidence of a dropped ballot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotReceipt {
    pub proposal: u64,
    pub epoch: u64,
    /// SHA-256 of the ballot's canonical JSON ([`CastBallot::hash`]), hex.
    #[serde(with = "hex_bytes")]
    pub ballot_hash: [u8; 32],
    /// The signed note (the signed-note format of checkpoints), signed by
    /// the log key.
    pub receipt: String,
}

impl BallotReceipt {
    /// The log key's receipt for a ballot of `proposal` in `epoch` with
    /// hash `hash` (the origin is the log key's name).
    pub fn sign(log_key: &SecretKey, proposal: u64, epoch: u64, hash: &[u8; 32]) -> Self {
        let text = ballot_receipt_text(log_key.name(), proposal, epoch, hash);
        let note = sign_note(&text, log_key);
        BallotReceipt {
            proposal,
            epoch,
            ballot_hash: *hash,
            // A note is UTF-8 text.
            receipt: String::from_utf8_lossy(&note).into_owned(),
        }
    }
}

/// Why a ballot receipt does not hold.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BallotReceiptError {
    #[error("ballot receipt: {0}")]
    Note(#[from] NoteError),
    #[error("the ballot receipt's signed text is not the receipt of its proposal, epoch and ballot hash for this publication")]
    WrongText,
    #[error("the ballot receipt is for another ballot (its hash is not the one sent)")]
    OtherBallot,
    #[error("the ballot receipt names proposal #{receipt}, the ballot #{ballot}")]
    OtherProposal { receipt: u64, ballot: u64 },
    #[error("this copy of the log has no secret proposal #{proposal} (sync it, or it is another publication's)")]
    NoSuchProposal { proposal: u64 },
}

/// What the log did with a ballot the sequencer gave a receipt for
/// ([`judge_ballot_receipt`], docs/BALLOT.md §8 item 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptVerdict {
    /// The proposal is still open: the ballot is held until its close.
    Open,
    /// Published in the close's run, at this log index.
    Published { index: u64 },
    /// Not published, but a later ballot of the same nullifier (a higher
    /// `seq`) was, at this index: the member's own re-vote — or, if they
    /// cast none, a forged one (§4.5), which only they can tell.
    Superseded { index: u64, seq: u64 },
    /// The proposal closed without it and without any later ballot of its
    /// nullifier: the receipt and the log prove the sequencer dropped it.
    Dropped,
}

/// Judges a ballot receipt against a folded copy of the log: the receipt
/// must hold for `ballot` under the state's log key
/// ([`verify_ballot_receipt`]) and name its proposal; then whether the
/// close published the ballot, superseded it by a later one of its
/// nullifier, or dropped it.
pub fn judge_ballot_receipt(
    state: &crate::state::State,
    ballot: &CastBallot,
    receipt: &BallotReceipt,
) -> Result<ReceiptVerdict, BallotReceiptError> {
    verify_ballot_receipt(receipt, state.log_key(), &ballot.hash())?;
    if receipt.proposal != ballot.proposal {
        return Err(BallotReceiptError::OtherProposal {
            receipt: receipt.proposal,
            ballot: ballot.proposal,
        });
    }
    let no_such = || BallotReceiptError::NoSuchProposal {
        proposal: ballot.proposal,
    };
    let p = state.proposal(ballot.proposal).ok_or_else(no_such)?;
    let secret = p.secret.as_deref().ok_or_else(no_such)?;
    if p.outcome.is_none() {
        return Ok(ReceiptVerdict::Open);
    }
    let hash = hex::encode(ballot.hash());
    if let Some(b) = secret.ballots.iter().find(|b| b.hash == hash) {
        return Ok(ReceiptVerdict::Published { index: b.index });
    }
    Ok(secret
        .ballots
        .iter()
        .filter(|b| b.nullifier == ballot.nullifier && b.seq > ballot.seq)
        .max_by_key(|b| b.seq)
        .map_or(ReceiptVerdict::Dropped, |b| ReceiptVerdict::Superseded {
            index: b.index,
            seq: b.seq,
        }))
}

/// Checks a receipt for the ballot with hash `sent` against the pinned log
/// key: signed by it, for this publication (the key's name is the origin),
/// and its text exactly [`ballot_receipt_text`] of the receipt's fields.
pub fn verify_ballot_receipt(
    receipt: &BallotReceipt,
    log_key: &VerifierKey,
    sent: &[u8; 32],
) -> Result<(), BallotReceiptError> {
    if receipt.ballot_hash != *sent {
        return Err(BallotReceiptError::OtherBallot);
    }
    let note = ParsedNote::parse(receipt.receipt.as_bytes(), MAX_BALLOT_RECEIPT_LEN)?;
    note.verify_by(log_key)?;
    let expected = ballot_receipt_text(
        log_key.name(),
        receipt.proposal,
        receipt.epoch,
        &receipt.ballot_hash,
    );
    if note.text() != expected {
        return Err(BallotReceiptError::WrongText);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The JSON API

/// `/api/v1/articles`: every article, as a summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleList {
    pub articles: Vec<ArticleSummary>,
}

/// One article in the list: its current title and summary, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleSummary {
    pub slug: String,
    pub lang: String,
    pub title: String,
    pub summary: String,
    /// Members' handles.
    pub authors: Vec<String>,
    /// Bylines of people who are not members.
    pub bylines: Vec<String>,
    pub tags: Vec<String>,
    /// Log time (or the original date of an imported article).
    pub published: u64,
    /// The time of the last correction, if any.
    pub updated: Option<u64>,
    pub retracted: bool,
    pub redacted: bool,
    /// The article's page, relative to the copy's root (`a/<slug>/`).
    pub url: String,
}

/// `/api/v1/articles/<slug>`: the summary's fields, what it translates and
/// every revision (so its history and corrections).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArticleDocument {
    pub slug: String,
    pub lang: String,
    pub title: String,
    pub summary: String,
    pub authors: Vec<String>,
    pub bylines: Vec<String>,
    pub tags: Vec<String>,
    pub published: u64,
    pub updated: Option<u64>,
    pub retracted: bool,
    pub redacted: bool,
    pub url: String,
    /// The slug of the article this one translates.
    pub translation_of: Option<String>,
    /// Oldest first; the last is the current text.
    pub revisions: Vec<RevisionDocument>,
}

/// One revision of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevisionDocument {
    /// Log index of the entry that made this revision.
    pub index: u64,
    /// That entry's leaf hash (hex).
    pub entry_hash: String,
    /// The entry's time.
    pub time: u64,
    /// The editor who signed it.
    pub editor: String,
    pub title: String,
    pub summary: String,
    pub body: BlobId,
    pub media: Vec<BlobId>,
    /// None for the first publication.
    pub correction: Option<CorrectionDocument>,
}

/// A correction's note to readers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorrectionDocument {
    pub note: String,
    pub major: bool,
}

/// `/api/v1/state`: the publication, its members, board, charter and
/// proposals, and the digest of the whole folded state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateDocument {
    pub origin: String,
    pub name: String,
    pub verifier_key: String,
    /// Log size this state folds.
    pub size: u64,
    /// `State::digest`, hex.
    #[serde(with = "hex_bytes")]
    pub digest: [u8; 32],
    /// Members' handles.
    pub members: Vec<String>,
    pub board: Vec<Seat>,
    pub charter: Charter,
    pub proposals: Vec<ProposalDocument>,
    /// The ballot-box recipient in force (`age1…`, docs/BALLOT.md §5.6):
    /// what a member encrypts a secret ballot to. Absent until the
    /// sequencer publishes one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ballot_box: Option<String>,
}

/// A proposal, open or closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposalDocument {
    /// The log index of the `propose` entry.
    pub id: u64,
    pub proposer: String,
    pub title: String,
    pub motion: Motion,
    pub opened_at: u64,
    pub closes_at: u64,
    /// The rule it is judged by, fixed when it was made.
    pub rule: Judged,
    pub electorate: BTreeSet<String>,
    /// Each voter's last ballot.
    pub votes: BTreeMap<String, Ballot>,
    /// The STV lot's seed, hex.
    #[serde(with = "hex_bytes")]
    pub seed: [u8; 32],
    pub outcome: Option<OutcomeDocument>,
    /// For an election: every nomination, by nominee (who nominated them,
    /// and whether they consented to stand).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub nominations: BTreeMap<String, Nomination>,
    /// For a closed election: the candidates as the count numbered them
    /// (those who consented and were members when it was proposed, then
    /// [`crate::action::REOPEN_NOMINATIONS`]), so a client can repeat the
    /// count (`stv::count`) from this document alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub standing: Vec<String>,
    /// For a secret proposal (docs/BALLOT.md §7): its scope, the tree's
    /// leaves in order (handle and ballot key), each epoch's root and the
    /// members of the tree who left, for a client to prove a ballot
    /// against; its ballots once published, in the close's run. Never a
    /// count while it is open: none exists in the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<crate::secret::SecretVote>,
}

/// How a closed proposal ended; `effect` is data, never a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutcomeDocument {
    pub closed_at: u64,
    /// Log index of the `close` entry.
    pub closed_by: u64,
    pub quorum_met: bool,
    pub passed: bool,
    pub tally: Tally,
    /// Members whose votes were counted.
    pub counted: Vec<String>,
    /// For elections: the handles elected, in order.
    pub elected: Vec<String>,
    pub effect: Effect,
    /// For a secret proposal: turnout, ballots published, departures
    /// during the vote and the tree's roots (`counted` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<crate::secret::SecretTally>,
}

// ---------------------------------------------------------------------------
// Hex in JSON

/// 32 bytes as 64 hex digits.
mod hex_bytes {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(b))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let text = String::deserialize(d)?;
        let mut out = [0u8; 32];
        hex::decode_to_slice(&text, &mut out).map_err(D::Error::custom)?;
        Ok(out)
    }
}

/// A hash as hex.
mod hex_hash {
    use serde::{Deserializer, Serializer};

    use crate::Hash;

    pub fn serialize<S: Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
        super::hex_bytes::serialize(&h.0, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Hash, D::Error> {
        super::hex_bytes::deserialize(d).map(Hash)
    }
}

/// A list of hashes as a list of hex strings.
mod hex_hashes {
    use serde::de::Error as _;
    use serde::ser::SerializeSeq as _;
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::Hash;

    pub fn serialize<S: Serializer>(hashes: &[Hash], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(hashes.len()))?;
        for h in hashes {
            seq.serialize_element(&hex::encode(h.0))?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Hash>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|text| {
                let mut out = [0u8; 32];
                hex::decode_to_slice(text, &mut out).map_err(D::Error::custom)?;
                Ok(Hash(out))
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------
// The members' desk (`/desk/`, served by `erkin serve --sequence` only)

/// Where the desk's JSON API lives, below the server's root.
pub const DESK_API_PATH: &str = "desk/api";
/// The first line of a sign-in challenge's text.
pub const DESK_CHALLENGE_FORMAT: &str = "erkin.desk-signin/v1";

/// `POST desk/api/challenge`: a challenge to sign with the member's key.
/// `text` is `erkin.desk-signin/v1\n<origin>\n<expires_at>\n<nonce hex>\n<mac hex>\n`;
/// the member answers with a signed note of exactly this text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskChallenge {
    pub text: String,
    /// Unix seconds; the server refuses the answer after this.
    pub expires_at: u64,
}

/// `POST desk/api/session` (body: the signed challenge) and `GET
/// desk/api/session`: who is signed in. The session itself is an HttpOnly
/// cookie, never in a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskSession {
    pub handle: String,
    /// The member's verifier key the session was opened with.
    pub key: String,
    /// Whether the member holds a board seat now (editors publish).
    pub editor: bool,
    /// Unix seconds.
    pub expires_at: u64,
    /// The server's clock when it answered (Unix seconds): the desk dates
    /// entries by it, so a device whose clock is off is not refused for it.
    pub now: u64,
}

/// A draft's fields as the desk edits them: the front matter and the
/// Markdown body. Private to the server's drafts file; never in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DraftFields {
    pub title: String,
    pub lang: String,
    pub slug: String,
    pub summary: String,
    pub tags: Vec<String>,
    /// Members' handles.
    pub authors: Vec<String>,
    /// Credited names of people who are not members.
    #[serde(default)]
    pub bylines: Vec<String>,
    /// The slug of the article this one translates, if any.
    #[serde(default)]
    pub translation_of: Option<String>,
    /// Markdown.
    pub body: String,
}

/// `GET`/`PUT desk/api/drafts/<id>`: one draft. `PUT` takes [`DraftFields`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftDocument {
    /// 32 lowercase hex digits, made by the desk.
    pub id: String,
    /// The member who wrote it.
    pub owner: String,
    /// Handed to the editors: they may open, edit and publish it.
    pub handed_off: bool,
    /// Unix seconds of the last save.
    pub updated: u64,
    pub fields: DraftFields,
}

/// `GET desk/api/drafts`: the member's own drafts, and (for editors) the
/// drafts handed to the editors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftList {
    pub drafts: Vec<DraftSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftSummary {
    pub id: String,
    pub owner: String,
    pub title: String,
    pub handed_off: bool,
    pub updated: u64,
}

/// `POST desk/api/preview`: Markdown in, the site's own rendering out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    pub markdown: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviewDocument {
    /// Sanitized HTML, as the site would show the body.
    pub html: String,
}

/// `GET desk/api/messages/<lang>`: every sentence the desk shows, by key,
/// in one language (kk, ru or en).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskMessages {
    pub lang: String,
    pub messages: BTreeMap<String, String>,
}

/// `GET desk/api/proposals/<lang>`: the proposals, put into words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskProposals {
    /// The log size of the state the list was made from.
    pub log_size: u64,
    pub proposals: Vec<DeskProposal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskProposal {
    pub id: u64,
    pub title: String,
    pub proposer: String,
    /// `admit`, `remove`, `elect`, ...
    pub kind: String,
    /// What it asks, in words.
    pub motion: String,
    pub closes_at: u64,
    pub open: bool,
    /// Votes cast so far (open) or the tally (closed), in words.
    pub tally: String,
    /// What it did, in words, once closed.
    pub outcome: Option<String>,
    pub electorate: Vec<String>,
    /// Each voter's last ballot.
    pub votes: BTreeMap<String, Ballot>,
    /// For elections: the candidates who can be ranked (the nominees who
    /// consented), without "re-open nominations", which every ballot has.
    pub candidates: Vec<String>,
    /// For elections: the seats to fill.
    pub seats: Option<u32>,
    /// For elections: the nomination deadline (log time); ballots after it.
    pub nominations_close: Option<u64>,
    /// For elections: every nomination.
    pub nominations: Vec<DeskNomination>,
    /// For a closed election: the STV count, stage by stage.
    pub count: Option<DeskCount>,
}

/// One nomination in an election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskNomination {
    pub handle: String,
    /// Who nominated them (themselves, for one who stands).
    pub by: String,
    pub consented: bool,
}

/// An election's STV count, in words and figures as the reader site's
/// proposal page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskCount {
    /// The quota, as a decimal.
    pub quota: String,
    /// The candidates as counted, "re-open nominations" (in words) last.
    pub candidates: Vec<String>,
    pub stages: Vec<DeskStage>,
    /// Elected, in order.
    pub elected: Vec<String>,
}

/// One stage of a count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeskStage {
    /// What the stage did, in words (first preferences, a surplus, an exclusion).
    pub what: String,
    /// Each candidate's votes after it, as decimals, in `DeskCount::candidates` order.
    pub votes: Vec<String>,
    pub non_transferable: String,
    /// Elected at this stage.
    pub elected: Vec<String>,
}
