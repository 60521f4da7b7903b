//! Member actions: what one log entry asks the publication to do.
//!
//! Each action is one variant of [`Action`], serialized as strict, canonical
//! JSON with the variant name as the only key (`{"vote":{...}}`). Unknown
//! fields are refused, so an old binary never silently ignores part of a newer
//! action; it refuses the entry and says so.

use serde::{Deserialize, Serialize};

pub use crate::mirrors::{MirrorEntry, SetMirrors};

pub use crate::charter::Charter;

/// Longest publication name, in bytes.
pub const MAX_NAME_LEN: usize = 200;
/// Longest statement or resolution text, in bytes.
pub const MAX_STATEMENT_LEN: usize = 16 * 1024;
/// Longest proposal title, in bytes.
pub const MAX_TITLE_LEN: usize = 300;
/// Most founders a genesis entry may name, and most election candidates.
pub const MAX_FOUNDERS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The first entry of every log: founds the publication. Signed by the log
    /// key, because no member exists yet.
    Genesis(Genesis),
    /// A member's signed public statement, kept in the record (for example a
    /// declaration of interest). Any member may make one.
    Statement(Statement),
    /// Put a motion to the members' vote.
    Propose(Propose),
    /// Vote on an open proposal; a later vote by the same member replaces it.
    Vote(Vote),
    /// Close a proposal after its deadline (or once every eligible member has
    /// voted), count it and carry out what passed. Signed by a member, or by
    /// the log key: the sequencer closes every proposal whose deadline has
    /// passed in log time, by the same rules.
    Close(Close),
    /// Replace the signer's key with a new one of the same name.
    RotateKey(RotateKey),
    /// Leave the publication.
    Resign(Resign),
    /// Give up one's seat on the editorial board, staying a member (editors
    /// only).
    StepDown(StepDown),
    /// Nominate a member (oneself included) as a candidate in an open
    /// election, before its nomination deadline. Nominating oneself is
    /// consent; anyone else stands only after their own [`Action::Consent`].
    Nominate(Nominate),
    /// Consent to one's own nomination in an election, before its
    /// nomination deadline.
    Consent(Consent),
    /// Publish an article (editors only).
    Publish(Publish),
    /// Publish a new revision of an article with a public correction note
    /// (editors only).
    Correct(Correct),
    /// The log's clock: signed by the log key, the sequencer's time when it
    /// sequences a batch (the entry's `time`). Deadlines, minimum periods
    /// and terms are judged by the latest tick (the *log time*), never by a
    /// member's own claim; it never moves backwards.
    Tick(Tick),
    /// A tip reader publishes the age X25519 recipient the source inbox
    /// seals tips to (tip readers only; replaces, and retires, their previous
    /// one). See `tip_readers.rs`.
    TipKey(TipKey),
    /// Set the publication's mirror list, replacing the previous one
    /// (editors only; see `mirrors.rs`).
    SetMirrors(SetMirrors),
    /// Register (or replace) the signer's ballot key for secret ballots: a
    /// Semaphore identity commitment, for proposals made from then on (any
    /// member; see `ballot_keys.rs`, docs/BALLOT.md §5.1).
    BallotKey(BallotKey),
    /// A secret ballot, signed by the log key as its publisher: the proof
    /// is the member's authentication, and its author is deliberately
    /// unknown. Published only in the run of ballots right before the
    /// secret proposal's close (docs/BALLOT.md §5.3, `secret.rs`).
    Ballot(CastBallot),
    /// The sequencer's seal of the secret ballots it holds for an open
    /// secret proposal, signed by the log key, right before an entry that
    /// changes the proposal's electorate tree (a member of it leaving):
    /// the close opens it (docs/BALLOT.md §5.4).
    Seal(Seal),
    /// The sequencer's ballot box: the age X25519 recipient members encrypt
    /// their secret ballots to before sending them (docs/BALLOT.md §5.6,
    /// §9). Signed by the log key only; the latest one is in force.
    BallotBox(BallotBox),
}

/// The sequencer's ballot-box recipient (see [`Action::BallotBox`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotBox {
    /// `age1...`: an age X25519 recipient, lowercase Bech32.
    pub recipient: String,
}

/// A seal (see [`Action::Seal`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Seal {
    /// The secret proposal's ID.
    pub proposal: u64,
    /// SHA-256 (64 lowercase hex digits) of `erkin.seal/v1\n` ‖ origin ‖
    /// `\n` ‖ proposal ‖ `\n` ‖ epoch ‖ `\n` ‖ a 32-byte salt ‖ the
    /// hashes of the ballots held for that epoch, sorted ascending
    /// ([`crate::secret::seal_commitment`]).
    pub commitment: String,
}

/// An anonymous secret ballot (see [`Action::Ballot`]): exactly what the
/// member submitted, so its hash is the same at intake, in the receipt and
/// in the log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CastBallot {
    /// The secret proposal's ID.
    pub proposal: u64,
    /// The root of the electorate tree the proof is made against (one of
    /// the proposal's epoch roots), 64 lowercase hex digits.
    pub root: String,
    /// Poseidon(scope, identity nullifier): the same for all of one
    /// member's ballots in this proposal, linked to no member.
    pub nullifier: String,
    /// The member's own sequence number, from 1: the highest counts.
    pub seq: u64,
    pub choice: Ballot,
    /// The Groth16 proof, 256 bytes as 512 lowercase hex digits.
    pub proof: String,
}

impl CastBallot {
    /// The ballot's canonical JSON: the object inside the `ballot` action,
    /// exactly as the log carries it and as a member submits it.
    pub fn canonical_json(&self) -> Vec<u8> {
        // Strings, integers and a plain enum: serializing into memory
        // cannot fail.
        serde_json::to_vec(self).expect("serializing a ballot into memory")
    }

    /// The **ballot hash** (docs/BALLOT.md §5.3): SHA-256 of
    /// [`CastBallot::canonical_json`], the same at intake, in the receipt,
    /// in a seal and in the log.
    pub fn hash(&self) -> [u8; 32] {
        use sha2::Digest as _;
        sha2::Sha256::digest(self.canonical_json()).into()
    }
}

/// A member's ballot key for secret ballots (see [`Action::BallotKey`];
/// docs/BALLOT.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BallotKey {
    /// The ballot scheme: `semaphore-v3-16`.
    pub scheme: String,
    /// The Semaphore identity commitment: 64 lowercase hex digits, a
    /// non-zero element of BN254's scalar field, never registered before.
    pub commitment: String,
}

/// A tip reader's age recipient (see [`Action::TipKey`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipKey {
    /// `age1...`: an age X25519 recipient, lowercase Bech32.
    pub recipient: String,
}

/// The sequencer's record of the time (see [`Action::Tick`]); no fields: the
/// time is the entry's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tick {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    /// The article's address: `a/<slug>/`. Lowercase ASCII letters, digits
    /// and hyphens.
    pub slug: String,
    /// kk, ru or en (one of the charter's languages).
    pub lang: String,
    pub title: String,
    pub summary: String,
    /// Members who wrote it, by handle.
    pub authors: Vec<String>,
    /// Other credited names (a guest writer, "Staff"), shown as given.
    pub bylines: Vec<String>,
    pub tags: Vec<String>,
    /// The Markdown body's blob ID (SHA-256 hex).
    pub body: String,
    /// Media blobs the body refers to.
    pub media: Vec<String>,
    /// The slug of the same story in another language, if this is a translation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation_of: Option<String>,
    /// When the article was first published elsewhere (Unix seconds), for
    /// archives imported from an older site; shown as its publication date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_published: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Correct {
    pub slug: String,
    pub title: String,
    pub summary: String,
    /// The corrected Markdown body's blob ID.
    pub body: String,
    pub media: Vec<String>,
    /// The public correction note ("An earlier version misstated ...").
    pub note: String,
    /// Major corrections are shown at the top of the article, minor ones at
    /// the bottom.
    pub major: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The publication's human name ("Erkin Habar").
    pub name: String,
    /// The log key's verifier key; its name is the origin.
    pub log_key: String,
    /// Founders' verifier keys. A key's name is the founder's public handle.
    /// Founders are the first members and the first editorial board.
    pub founders: Vec<String>,
    pub charter: Charter,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Propose {
    pub title: String,
    /// When voting ends, by log time (Unix seconds). At least the charter's
    /// minimum period after the proposal's own time.
    pub closes_at: u64,
    pub motion: Motion,
}

// An amendment carries a whole charter (some 270 bytes, the other motions
// under 50): motions are few, parsed once per entry and kept in proposals,
// so boxing it would buy nothing but a changed type for every reader.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Motion {
    /// Admit the holder of `key` (a verifier key; its name is their handle).
    Admit { key: String },
    /// Remove a member.
    Remove { handle: String },
    /// Elect the whole editorial board by STV. Members nominate candidates
    /// (with the nominee's consent) until `nominations_close` (log time);
    /// ballots are cast after it, until the proposal's `closes_at`. `seats`
    /// must be the charter's number of seats.
    Elect { seats: u32, nominations_close: u64 },
    /// A by-election: fill `seats` vacant board seats by STV, nominations as
    /// for [`Motion::Elect`]; the sitting editors keep their seats and the
    /// elected serve until the sitting board's term ends.
    ByElection { seats: u32, nominations_close: u64 },
    /// Recall `handle` from the editorial board by vote: the seat is vacated
    /// (open to a by-election), the membership stays.
    Recall { handle: String },
    /// Replace the charter.
    Amend { charter: Charter },
    /// Retract an article: it stays readable under a retraction notice.
    Retract { article: String, reason: String },
    /// Redact an article or blob: its content is deleted from every copy.
    Redact { target: String, reason: String },
    /// Any other decision, in words.
    Resolution { text: String },
    /// Designate the tip readers: the office becomes exactly these members
    /// (judged by the charter's `admit` rule; see `tip_readers.rs`).
    TipReaders { handles: Vec<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vote {
    /// The proposal's ID: the log index of its `propose` entry.
    pub proposal: u64,
    pub ballot: Ballot,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ballot {
    Yes,
    No,
    Abstain,
    /// For elections: candidates' handles, most preferred first, and
    /// perhaps [`REOPEN_NOMINATIONS`]. An empty ranking is an abstention (it
    /// counts toward the quorum).
    Ranked(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Close {
    pub proposal: u64,
    /// For a secret proposal: the salt of each of its seals, in order, 64
    /// lowercase hex digits (docs/BALLOT.md §5.5); absent when empty, so
    /// every other close keeps its bytes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub salts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateKey {
    /// The new verifier key; its name must be the member's handle.
    pub new_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resign {}

/// A nomination (see [`Action::Nominate`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nominate {
    /// The election's proposal ID.
    pub proposal: u64,
    /// The member nominated (the signer's own handle for a self-nomination).
    pub handle: String,
}

/// A nominee's consent to stand (see [`Action::Consent`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Consent {
    /// The election's proposal ID.
    pub proposal: u64,
}

/// The entry on every election ballot that stands for **re-open
/// nominations** (RON): ranked like a candidate and counted like one; a seat
/// it wins stays vacant (open to a by-election). It contains a `+`, which no
/// handle can, so it is never a member's name.
pub const REOPEN_NOMINATIONS: &str = "+reopen";

/// An editor leaves the board (see [`Action::StepDown`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepDown {}

impl Motion {
    /// For an election or by-election: its seats and nomination deadline.
    pub fn election(&self) -> Option<(u32, u64)> {
        match *self {
            Motion::Elect {
                seats,
                nominations_close,
            }
            | Motion::ByElection {
                seats,
                nominations_close,
            } => Some((seats, nominations_close)),
            _ => None,
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Motion::Admit { .. } => "admit",
            Motion::Remove { .. } => "remove",
            Motion::Elect { .. } => "elect",
            Motion::ByElection { .. } => "by_election",
            Motion::Recall { .. } => "recall",
            Motion::Amend { .. } => "amend",
            Motion::Retract { .. } => "retract",
            Motion::Redact { .. } => "redact",
            Motion::Resolution { .. } => "resolution",
            Motion::TipReaders { .. } => "tip_readers",
        }
    }
}

/// Which articles the fold reads to judge an action
/// ([`Action::article_reads`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArticleReads<'a> {
    /// None.
    None,
    /// These slugs' articles (or that there is none), and, if `redacted`,
    /// every redaction target's.
    Slugs { slugs: Vec<&'a str>, redacted: bool },
    /// Every article.
    All,
}

impl Action {
    /// Which of the state's articles the fold reads to judge this action:
    /// the article published (and its original, for a translation), the
    /// article corrected, the article a retraction is proposed for — each
    /// with every redaction target, whose blobs may not come back
    /// ([`ArticleReads::Slugs`], the redaction targets added by the state);
    /// every article for a proposed redaction (its target may be any
    /// article's blob). A state whose snapshot rows are not read judges an
    /// action only once it knows those articles, else it refuses it
    /// (`Rejection::ArticlesUnread`). Carrying out a passed retraction or
    /// redaction at a close names its target only.
    pub fn article_reads(&self) -> ArticleReads<'_> {
        match self {
            Action::Publish(p) => ArticleReads::Slugs {
                slugs: std::iter::once(p.slug.as_str())
                    .chain(p.translation_of.as_deref())
                    .collect(),
                redacted: true,
            },
            Action::Correct(c) => ArticleReads::Slugs {
                slugs: vec![c.slug.as_str()],
                redacted: true,
            },
            Action::Propose(p) => match &p.motion {
                Motion::Retract { article, .. } => ArticleReads::Slugs {
                    slugs: vec![article.as_str()],
                    redacted: false,
                },
                Motion::Redact { .. } => ArticleReads::All,
                _ => ArticleReads::None,
            },
            Action::Genesis(_)
            | Action::Statement(_)
            | Action::Vote(_)
            | Action::Close(_)
            | Action::RotateKey(_)
            | Action::Resign(_)
            | Action::StepDown(_)
            | Action::Nominate(_)
            | Action::Consent(_)
            | Action::Tick(_)
            | Action::TipKey(_)
            | Action::BallotKey(_)
            | Action::SetMirrors(_)
            | Action::Seal(_)
            | Action::Ballot(_)
            | Action::BallotBox(_) => ArticleReads::None,
        }
    }

    /// The blob IDs the action names (an article's body and media), as
    /// written; the fold checks their form.
    pub fn blob_refs(&self) -> Vec<&String> {
        match self {
            Action::Publish(p) => std::iter::once(&p.body).chain(&p.media).collect(),
            Action::Correct(c) => std::iter::once(&c.body).chain(&c.media).collect(),
            _ => Vec::new(),
        }
    }

    /// The action's name as it appears in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Genesis(_) => "genesis",
            Action::Statement(_) => "statement",
            Action::Propose(_) => "propose",
            Action::Vote(_) => "vote",
            Action::Close(_) => "close",
            Action::RotateKey(_) => "rotate_key",
            Action::Resign(_) => "resign",
            Action::StepDown(_) => "step_down",
            Action::Nominate(_) => "nominate",
            Action::Consent(_) => "consent",
            Action::Publish(_) => "publish",
            Action::Correct(_) => "correct",
            Action::Tick(_) => "tick",
            Action::TipKey(_) => "tip_key",
            Action::SetMirrors(_) => "set_mirrors",
            Action::BallotKey(_) => "ballot_key",
            Action::Ballot(_) => "ballot",
            Action::Seal(_) => "seal",
            Action::BallotBox(_) => "ballot_box",
        }
    }
}
