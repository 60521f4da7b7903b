//! Why the fold refuses an entry: one variant per cause, each carrying the
//! data of the case (handles, slugs, limits, indexes), never a sentence.
//!
//! Each cause has a stable API code ([`Rejection::code`]), the members' API's
//! error code (docs/FORMATS.md). The `Display` text is English for logs and
//! the command line; pages and other languages are built from the fields.
//!
//! This module sits below the fold's rule modules (`article`, `governance`,
//! `state`), which all return it.

use crate::blob::BlobId;
use crate::charter::CharterError;
use crate::entry::EntryError;
use crate::keys::KeyError;
pub use crate::mirrors::UrlPart;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    #[error(transparent)]
    Entry(#[from] EntryError),

    // The genesis entry.
    #[error("the first entry of a log must be a genesis entry, found {found}")]
    NotGenesis { found: &'static str },
    #[error("genesis is invalid: {0}")]
    BadGenesis(#[source] BadGenesis),
    #[error("genesis names log key {found}, but the pinned key is {pinned}")]
    LogKeyMismatch { pinned: String, found: String },
    #[error("a publication has exactly one genesis entry; this log already has one")]
    SecondGenesis,

    // Who signed and when.
    #[error("signer {name}+{id:08x} is not a member of this publication")]
    NotAMember { name: String, id: u32 },
    #[error("signer {handle}+{id:08x} is a member's retired key: {handle} has rotated to a new key; sign with that one")]
    RetiredKey { handle: String, id: u32 },
    #[error(
        "the log time may not go backwards: a tick dated {time} follows the log time {previous}"
    )]
    TimeWentBackwards { time: u64, previous: u64 },
    #[error("entry time {time} is too far from the sequencer's clock ({now}); check the signing machine's clock")]
    ClockSkew { time: u64, now: u64 },
    #[error("entry time {time} is too far from the log time ({log_time}); check the signing machine's clock")]
    FarFromLogTime { time: u64, log_time: u64 },
    #[error("only the log key records the log's time (a tick)")]
    TickNotByLogKey,
    /// Not a fault of the entry: the state was opened without its
    /// snapshot's article rows (`Articles::unread`) and the entry reads
    /// articles it does not know. The caller fetches them
    /// (`State::article_slugs_for`, `snapshot::fetch_article`) or reads
    /// every row (`snapshot::read_rows`) and applies the entry again; the state is
    /// as it was. Never recorded, and never met by a state that reads them
    /// all.
    #[error(
        "the publication's articles were not read; this entry needs them: read them and try again"
    )]
    ArticlesUnread,
    #[error(
        "the log key is not a member: it signs only the genesis, ticks, closes, secret ballots, seals and the ballot box, not a {kind} entry"
    )]
    LogKeyAction { kind: &'static str },
    #[error("this exact entry is already in the log (replay)")]
    Duplicate,

    // Shapes of fields (code `invalid_action`).
    #[error("action is invalid: {field} must have 1 to {max} bytes of text")]
    TextLength { field: TextField, max: usize },
    #[error("action is invalid: {field} may have at most {max} bytes")]
    TooLong { field: TextField, max: usize },
    #[error("action is invalid: {field} {value:?} must be 1 to {max} lowercase letters, digits and single hyphens")]
    BadSlug {
        field: SlugField,
        value: String,
        max: usize,
    },
    #[error("action is invalid: {field} {value:?} is not a blob ID (64 lowercase hex digits)")]
    BadBlobId { field: BlobField, value: String },
    #[error("action is invalid: at most {max} {what} per article")]
    TooMany { what: Listed, max: usize },
    #[error("action is invalid: {field}: {source}")]
    BadKey {
        field: KeyField,
        #[source]
        source: KeyError,
    },

    // Membership and keys (code `invalid_action`).
    #[error("action is invalid: the new key's name must be your handle {handle:?}")]
    NewKeyName { handle: String },
    #[error("action is invalid: {0}")]
    KeyConflict(#[source] KeyConflict),
    #[error("action is invalid: {handle:?} is not a member")]
    UnknownMember { handle: String },

    // Proposals and votes (code `invalid_action`).
    #[error("action is invalid: a proposal may stay open at most {max_hours} hours")]
    OpenTooLong { max_hours: u32 },
    #[error("action is invalid: the charter fixes the board at {charter} seats; this election asks for {asked}")]
    SeatsMismatch { charter: u32, asked: u32 },
    #[error("action is invalid: {handle:?} is not a candidate in this election")]
    NotACandidate { handle: String },
    #[error("action is invalid: {handle:?} is ranked twice")]
    RankedTwice { handle: String },
    #[error("action is invalid: a/{slug}/ is already retracted")]
    AlreadyRetracted { slug: String },
    #[error(
        "action is invalid: {target:?} is neither an article's slug nor a blob an article uses"
    )]
    NoRedactionTarget { target: String },

    // Articles (code `invalid_action`).
    #[error("action is invalid: no article a/{slug}/")]
    NoSuchArticle { slug: String },
    #[error("action is invalid: a/{slug}/ already exists; use a correction to change it")]
    ArticleExists { slug: String },
    #[error("action is invalid: language {lang:?} is not one of the charter's languages ({})", languages.join(", "))]
    LanguageNotInCharter {
        lang: String,
        languages: Vec<String>,
    },
    #[error("action is invalid: an article needs an author or a byline")]
    NoAuthor,
    #[error("action is invalid: author {handle:?} is not a member (use a byline for others)")]
    AuthorNotMember { handle: String },
    #[error("action is invalid: translation_of: no article a/{slug}/")]
    NoOriginal { slug: String },
    #[error("action is invalid: translation_of: a/{slug}/ is already in {lang}")]
    SameLanguage { slug: String, lang: String },
    #[error("action is invalid: first_published ({first_published}) may not be later than the entry itself ({time})")]
    FirstPublishedLater { first_published: u64, time: u64 },
    #[error("action is invalid: blob {blob} has not been uploaded; upload the body and media before the entry that names them")]
    BlobNotUploaded { blob: BlobId },

    // Governance timing.
    #[error("no proposal #{0} (a proposal's ID is the log index of its propose entry)")]
    UnknownProposal(u64),
    #[error("proposal #{0} is already closed")]
    ProposalClosed(u64),
    #[error("voting on proposal #{proposal} ended at {closes_at}; the log time is {time}")]
    VotingEnded {
        proposal: u64,
        closes_at: u64,
        time: u64,
    },
    #[error("proposal #{proposal} closes at {closes_at} and not every eligible member has voted; it cannot be closed at log time {time}")]
    TooEarly {
        proposal: u64,
        closes_at: u64,
        time: u64,
    },
    #[error("{handle} may not vote on proposal #{proposal}: only the members at the time of the proposal vote on it")]
    NotEligible { handle: String, proposal: u64 },
    #[error("voting period too short: the charter requires at least {min_hours} hours for a {kind} proposal")]
    PeriodTooShort {
        kind: &'static str,
        min_hours: u32,
        /// The deadline asked for, and the earliest the charter allows.
        closes_at: u64,
        earliest: u64,
    },
    #[error("nomination period too short: the charter requires at least {min_hours} hours of nominations before an election's vote")]
    NominationPeriodTooShort {
        min_hours: u32,
        /// The nomination deadline asked for, and the earliest allowed.
        nominations_close: u64,
        earliest: u64,
    },

    // Elections: nominations, consent, by-elections, recall.
    #[error("proposal #{0} is not an election; only elections take nominations")]
    NotAnElection(u64),
    #[error("nominations for election #{proposal} closed at {nominations_close}; the log time is {time}")]
    NominationsClosed {
        proposal: u64,
        nominations_close: u64,
        time: u64,
    },
    #[error("nominations for election #{proposal} are open until {nominations_close} (the log time is {time}); ballots are cast after that")]
    NominationsOpen {
        proposal: u64,
        nominations_close: u64,
        time: u64,
    },
    #[error("{handle:?} cannot stand in election #{proposal}: only the members at the time of the proposal can")]
    NomineeNotEligible { handle: String, proposal: u64 },
    #[error("{handle:?} already holds a board seat and cannot stand in this by-election")]
    AlreadyOnBoard { handle: String },
    #[error("{handle:?} is already nominated in election #{proposal}")]
    AlreadyNominated { handle: String, proposal: u64 },
    #[error("{handle} is not nominated in election #{proposal}; consent follows a nomination (or nominate yourself)")]
    NotNominated { handle: String, proposal: u64 },
    #[error("{handle} has already consented to stand in election #{proposal}")]
    AlreadyConsented { handle: String, proposal: u64 },
    #[error("an election takes at most {max} nominations")]
    TooManyNominees { max: usize },
    #[error("{handle:?} was nominated but has not consented to stand; only candidates who consented can be ranked")]
    NoConsent { handle: String },
    #[error("a by-election for {asked} seat(s) needs that many vacant seats; {vacant} are vacant")]
    NoVacancy { asked: u32, vacant: u32 },
    #[error("{handle:?} holds no current board seat, so cannot be recalled")]
    NotOnBoard { handle: String },

    #[error("wrong kind of ballot: {expected}")]
    WrongBallot { expected: BallotKind },
    #[error("the charter is invalid: {0}")]
    BadCharter(#[source] CharterError),

    // Permissions (code `not_permitted`).
    #[error("not permitted: only editors {action}; {handle} holds no current board seat (members elect the board)")]
    NotEditor {
        handle: String,
        action: EditorAction,
    },
    #[error("not permitted: blob {blob} was redacted by a vote of the members and may not be published again")]
    BlobRedacted { blob: BlobId },
    #[error("not permitted: a/{slug}/ was retracted or redacted by a vote of the members; it cannot be corrected")]
    Withdrawn { slug: String },
    #[error(
        "not permitted: the last member cannot resign: a publication needs at least one member"
    )]
    LastMember,

    // The mirror list (`set_mirrors`); `index` is the entry's position.
    #[error("the mirror list may hold at most {max} mirrors")]
    TooManyMirrors { max: usize },
    #[error("mirror #{index}: a URL must have 1 to {max} bytes")]
    MirrorUrlLength { index: usize, max: usize },
    #[error("mirror #{index}: {url:?} is not an absolute URL with a host")]
    MirrorUrlSyntax { index: usize, url: String },
    #[error("mirror #{index}: write the URL in its canonical form, {canonical:?}")]
    MirrorUrlNotCanonical { index: usize, canonical: String },
    #[error("mirror #{index}: a mirror URL may not carry {part}")]
    MirrorUrlPart { index: usize, part: UrlPart },
    #[error("mirror #{index}: the scheme {scheme:?} is not https (or http for an onion service)")]
    MirrorScheme { index: usize, scheme: String },
    #[error("mirror #{index}: plain http is only for onion services; anyone on the path reads and blocks plain http by the article's address")]
    MirrorPlainHttp { index: usize },
    #[error("mirror #{index}: not a v3 onion address (56 base32 characters before .onion)")]
    MirrorOnion { index: usize },
    #[error("mirror #{index}: certificate pin {pin:?} is not a SHA-256 (64 lowercase hex digits)")]
    MirrorPin { index: usize, pin: String },
    #[error("mirror #{index}: certificate pin {pin} is given twice")]
    MirrorPinTwice { index: usize, pin: String },
    #[error("mirror #{index}: at most {max} certificate pins per mirror")]
    MirrorPinCount { index: usize, max: usize },
    #[error("mirror #{index}: certificate pins are only for https mirrors")]
    MirrorPinWithoutTls { index: usize },
    #[error("the mirror {url} is listed twice")]
    MirrorTwice { url: String },

    // Tip readers (`tip_readers` motions, `tip_key`).
    #[error("not permitted: only tip readers publish a tip key; {handle} is not one (members designate them by a tip_readers vote)")]
    NotTipReader { handle: String },
    #[error("the tip key is not an age X25519 recipient: {reason}")]
    BadTipRecipient {
        reason: crate::recipient::RecipientError,
    },
    #[error("this age recipient was replaced or held by a removed tip reader; it is never used again: make a new one (erkin tips key)")]
    TipRecipientRetired,
    #[error("this age recipient is already {handle}'s tip key")]
    TipRecipientTaken { handle: String },
    #[error("{handle} is named twice among the tip readers")]
    TipReaderTwice { handle: String },
    #[error("at most {max} tip readers")]
    TooManyTipReaders { max: usize },

    // Ballot keys (`ballot_key`, docs/BALLOT.md §5.1).
    #[error("action is invalid: ballot key: {reason}")]
    BadBallotKey { reason: crate::ballot::BallotError },
    #[error("this ballot key has been registered before (a ballot key is registered once, ever, by one member): make a new one")]
    BallotKeyTaken,

    // Secret proposals and their ballots (docs/BALLOT.md §6).
    #[error("proposal #{proposal} is decided by secret ballot: an open vote would publish how you voted; cast a secret ballot instead")]
    SecretBallot { proposal: u64 },
    #[error("proposal #{proposal} is an open (roll-call) vote: it takes members' signed votes, not secret ballots")]
    BallotOnOpenVote { proposal: u64 },
    #[error(
        "not permitted: a secret ballot is published by the log key, never signed by a member"
    )]
    BallotNotByLogKey,
    #[error("not permitted: only the sequencer (the log key) closes secret proposal #{proposal}, at its deadline, with the ballots it holds")]
    SecretCloseByMember { proposal: u64 },
    #[error("secret ballots on proposal #{proposal} are published only at its close ({closes_at}); the log time is {time}")]
    BallotTooEarly {
        proposal: u64,
        closes_at: u64,
        time: u64,
    },
    #[error("the ballot is malformed or its proof does not hold: {reason}")]
    BadBallot { reason: crate::ballot::BallotError },
    #[error("the ballot's seq must be at least 1")]
    BallotSeqZero,
    /// A secret ballot's entry is dated exactly at the log time (the close
    /// batch's tick): any other date, even one a member's entry could
    /// carry, would let the sequencer write when each ballot arrived into
    /// the public log (docs/BALLOT.md §5.3, §9).
    #[error("a secret ballot is dated at the log time ({log_time}), not {time}: any other date could tell when it arrived")]
    BallotNotAtLogTime { time: u64, log_time: u64 },
    #[error("the ballot's root is not one of proposal #{proposal}'s electorate trees")]
    StaleRoot { proposal: u64 },
    #[error("the ballots of proposal #{proposal} must be published in ascending (epoch, ballot hash) order, each once")]
    BallotUnsorted { proposal: u64 },
    #[error("the ballots of proposal #{proposal} are being published: only its next ballot or its close may follow")]
    BallotRunOpen { proposal: u64 },
    #[error("a later ballot with this nullifier on proposal #{proposal} needs a later epoch and a higher seq than {previous} (this one has {seq})")]
    BallotSeqNotAbove {
        proposal: u64,
        seq: u64,
        previous: u64,
    },
    #[error("proposal #{proposal} has ballots from {nullifiers} distinct nullifiers but only {leaves} members could cast one: a forged ballot (the trusted setup may be broken)")]
    BallotOverflow {
        proposal: u64,
        nullifiers: u64,
        leaves: u64,
    },
    #[error("not permitted: a seal is the sequencer's (the log key's), never a member's")]
    SealNotByLogKey,
    #[error("a seal's commitment must be 64 lowercase hex digits")]
    BadSeal,
    #[error("this entry changes the electorate tree of open secret proposal #{proposal} (a member of it leaves): a seal of #{proposal} must come right before it")]
    MissingSeal { proposal: u64 },
    #[error("the seal of secret proposal #{proposal} must be followed, after any other seals and the closing proposal's ballots, by the entry that changes its tree")]
    SealNotFollowed { proposal: u64 },
    #[error("the close's salts do not open the seals of secret proposal #{proposal} over its ballots of the sealed epochs")]
    SealMismatch { proposal: u64 },
    #[error("the electorate tree of a secret proposal cannot be built: {reason}")]
    SecretElectorate { reason: crate::ballot::BallotError },
    #[error("not permitted: the ballot box is the sequencer's (the log key's), never a member's")]
    BallotBoxNotByLogKey,
    #[error("action is invalid: the ballot box is not an age X25519 recipient: {reason}")]
    BadBallotBox {
        reason: crate::recipient::RecipientError,
    },
}

impl Rejection {
    /// A stable, machine-readable name for this kind of rejection: the
    /// members' API's error code. Never renamed once released; several
    /// causes share one code (docs/FORMATS.md lists them).
    pub fn code(&self) -> &'static str {
        use Rejection::*;
        match self {
            Entry(_) => "bad_entry",
            NotGenesis { .. } | BadGenesis(_) | LogKeyMismatch { .. } | SecondGenesis => {
                "bad_genesis"
            }
            NotAMember { .. } | LogKeyAction { .. } => "not_a_member",
            RetiredKey { .. } => "retired_key",
            TimeWentBackwards { .. } => "time_went_backwards",
            ClockSkew { .. } | FarFromLogTime { .. } => "clock_skew",
            TickNotByLogKey => "not_permitted",
            // The sequencer's own state, not the entry: try again.
            ArticlesUnread => "busy",
            Duplicate => "duplicate",
            TextLength { .. }
            | TooLong { .. }
            | BadSlug { .. }
            | BadBlobId { .. }
            | TooMany { .. }
            | BadKey { .. }
            | NewKeyName { .. }
            | KeyConflict(_)
            | UnknownMember { .. }
            | OpenTooLong { .. }
            | SeatsMismatch { .. }
            | NotACandidate { .. }
            | RankedTwice { .. }
            | AlreadyRetracted { .. }
            | NoRedactionTarget { .. }
            | NoSuchArticle { .. }
            | ArticleExists { .. }
            | LanguageNotInCharter { .. }
            | NoAuthor
            | AuthorNotMember { .. }
            | NoOriginal { .. }
            | SameLanguage { .. }
            | FirstPublishedLater { .. }
            | BlobNotUploaded { .. }
            | BadBallotKey { .. }
            | SecretElectorate { .. }
            | BadSeal
            | BadBallotBox { .. } => "invalid_action",
            UnknownProposal(_) => "unknown_proposal",
            ProposalClosed(_) => "proposal_closed",
            VotingEnded { .. } => "voting_ended",
            TooEarly { .. } => "too_early",
            NotEligible { .. } => "not_eligible",
            PeriodTooShort { .. } => "period_too_short",
            NominationPeriodTooShort { .. } => "nomination_period_too_short",
            NotAnElection(_) => "not_an_election",
            NominationsClosed { .. } => "nominations_closed",
            NominationsOpen { .. } => "nominations_open",
            NomineeNotEligible { .. } => "nominee_not_eligible",
            AlreadyOnBoard { .. } => "already_on_board",
            AlreadyNominated { .. } => "already_nominated",
            NotNominated { .. } => "not_nominated",
            AlreadyConsented { .. } => "already_consented",
            TooManyNominees { .. } => "too_many_nominees",
            NoConsent { .. } => "no_consent",
            NoVacancy { .. } => "no_vacancy",
            NotOnBoard { .. } => "not_on_board",
            WrongBallot { .. } => "wrong_ballot",
            BadCharter(_) => "bad_charter",
            NotEditor { .. } | BlobRedacted { .. } | Withdrawn { .. } | LastMember => {
                "not_permitted"
            }
            TooManyMirrors { .. } => "too_many_mirrors",
            MirrorUrlLength { .. } => "mirror_url_length",
            MirrorUrlSyntax { .. } => "mirror_url_syntax",
            MirrorUrlNotCanonical { .. } => "mirror_url_not_canonical",
            MirrorUrlPart { .. } => "mirror_url_part",
            MirrorScheme { .. } => "mirror_scheme",
            MirrorPlainHttp { .. } => "mirror_plain_http",
            MirrorOnion { .. } => "mirror_onion",
            MirrorPin { .. } => "mirror_pin",
            MirrorPinTwice { .. } => "mirror_pin_twice",
            MirrorPinCount { .. } => "mirror_pin_count",
            MirrorPinWithoutTls { .. } => "mirror_pin_without_tls",
            MirrorTwice { .. } => "mirror_twice",
            NotTipReader { .. } => "not_tip_reader",
            BadTipRecipient { .. } => "bad_tip_recipient",
            TipRecipientRetired => "tip_recipient_retired",
            TipRecipientTaken { .. } => "tip_recipient_taken",
            TipReaderTwice { .. } => "tip_reader_twice",
            TooManyTipReaders { .. } => "too_many_tip_readers",
            BallotKeyTaken => "ballot_key_taken",
            SecretBallot { .. } | BallotOnOpenVote { .. } => "secret_ballot",
            BallotNotByLogKey
            | SecretCloseByMember { .. }
            | SealNotByLogKey
            | BallotBoxNotByLogKey => "not_permitted",
            MissingSeal { .. } | SealNotFollowed { .. } => "missing_seal",
            SealMismatch { .. } => "seal_mismatch",
            BallotTooEarly { .. } => "too_early",
            BadBallot { .. } | BallotSeqZero | BallotNotAtLogTime { .. } => "bad_ballot",
            StaleRoot { .. } => "stale_root",
            BallotOverflow { .. } => "ballot_overflow",
            BallotUnsorted { .. } | BallotRunOpen { .. } | BallotSeqNotAbove { .. } => {
                "ballot_order"
            }
        }
    }
}

/// The two times a refusal about time compares, for messages that show
/// them (in the reader's local time, with the difference): `time` is what
/// was judged, `reference` what it was judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefusalTimes {
    pub time: u64,
    pub reference: u64,
}

impl Rejection {
    /// For refusals about time: the time judged and what it was judged
    /// against. `voting_ended`, `too_early`: the log time and the deadline;
    /// `period_too_short`: the deadline asked and the earliest allowed;
    /// `nominations_closed`, `nominations_open`: the log time and the
    /// nomination deadline; `nomination_period_too_short`: the nomination
    /// deadline asked and the earliest allowed;
    /// `clock_skew`: the entry's date and the sequencer's clock (or the log
    /// time); `time_went_backwards`: the tick's time and the log time.
    pub fn times(&self) -> Option<RefusalTimes> {
        use Rejection::*;
        let (time, reference) = match *self {
            VotingEnded {
                closes_at, time, ..
            }
            | TooEarly {
                closes_at, time, ..
            }
            | BallotTooEarly {
                closes_at, time, ..
            } => (time, closes_at),
            PeriodTooShort {
                closes_at,
                earliest,
                ..
            } => (closes_at, earliest),
            NominationPeriodTooShort {
                nominations_close,
                earliest,
                ..
            } => (nominations_close, earliest),
            NominationsClosed {
                nominations_close,
                time,
                ..
            }
            | NominationsOpen {
                nominations_close,
                time,
                ..
            } => (time, nominations_close),
            ClockSkew { time, now } => (time, now),
            FarFromLogTime { time, log_time } => (time, log_time),
            TimeWentBackwards { time, previous } => (time, previous),
            _ => return None,
        };
        Some(RefusalTimes { time, reference })
    }
}

/// Why a genesis entry is invalid (code `bad_genesis`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BadGenesis {
    #[error("the name must have 1 to {max} bytes")]
    Name { max: usize },
    #[error("there must be 1 to {max} founders")]
    FounderCount { max: usize },
    #[error("charter: {0}")]
    Charter(#[source] CharterError),
    #[error("founder key {key:?}: {source}")]
    FounderKey {
        key: String,
        #[source]
        source: KeyError,
    },
    #[error("a founder's key name may not be the origin (that name belongs to the log key)")]
    FounderIsOrigin,
    #[error("two founders use the handle {handle:?}")]
    FounderTwice { handle: String },
}

/// Why a key cannot be given to a member (admitted or rotated to): the
/// reason is the same when a passed admission finds it too late.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
#[non_exhaustive]
pub enum KeyConflict {
    #[error("the handle {handle:?} is already a member's")]
    HandleTaken { handle: String },
    #[error("a member's key name may not be the origin")]
    HandleIsOrigin,
    #[error("that key is already a member's")]
    KeyTaken,
}

/// The text fields whose length the fold checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextField {
    Statement,
    ProposalTitle,
    Reason,
    RedactionTarget,
    Resolution,
    Title,
    Summary,
    Byline,
    CorrectionNote,
}

impl std::fmt::Display for TextField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TextField::Statement => "a statement",
            TextField::ProposalTitle => "a proposal title",
            TextField::Reason => "the reason",
            TextField::RedactionTarget => "the target",
            TextField::Resolution => "a resolution",
            TextField::Title => "a title",
            TextField::Summary => "a summary",
            TextField::Byline => "a byline",
            TextField::CorrectionNote => "a correction note",
        })
    }
}

/// Fields that must be slugs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SlugField {
    Slug,
    Tag,
}

impl std::fmt::Display for SlugField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SlugField::Slug => "the slug",
            SlugField::Tag => "the tag",
        })
    }
}

/// Fields that must be blob IDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobField {
    Body,
    Media,
}

impl std::fmt::Display for BlobField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BlobField::Body => "the body",
            BlobField::Media => "media",
        })
    }
}

/// Lists with a limit on their length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Listed {
    Media,
    Bylines,
    Tags,
}

impl std::fmt::Display for Listed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Listed::Media => "media blobs",
            Listed::Bylines => "bylines",
            Listed::Tags => "tags",
        })
    }
}

/// Fields that hold a verifier key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyField {
    /// `rotate_key.new_key`.
    NewKey,
    /// An admission motion's key.
    Admit,
}

impl std::fmt::Display for KeyField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KeyField::NewKey => "new key",
            KeyField::Admit => "key to admit",
        })
    }
}

/// The ballot a proposal takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BallotKind {
    /// An election: a ranking of candidates (or abstain).
    Ranking,
    /// Any other proposal: yes, no or abstain.
    YesNo,
}

impl std::fmt::Display for BallotKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BallotKind::Ranking => "an election takes a ranking of candidates (or abstain)",
            BallotKind::YesNo => "this proposal takes yes, no or abstain",
        })
    }
}

/// What only editors may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EditorAction {
    Publish,
    Correct,
    StepDown,
    SetMirrors,
}

impl std::fmt::Display for EditorAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            EditorAction::Publish => "publish",
            EditorAction::Correct => "correct articles",
            EditorAction::StepDown => "step down from the board",
            EditorAction::SetMirrors => "set the mirror list",
        })
    }
}

/// Refuses text that is empty (or only spaces) or longer than `max` bytes.
pub fn check_text(field: TextField, text: &str, max: usize) -> Result<(), Rejection> {
    if text.trim().is_empty() || text.len() > max {
        return Err(Rejection::TextLength { field, max });
    }
    Ok(())
}
