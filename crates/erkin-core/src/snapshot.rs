//! The folded state as bytes: a snapshot a store keeps beside the log so a
//! publication opens without folding the whole archive again.
//!
//! A snapshot is a cache, never a source of truth. It comes in two parts:
//!
//! - the **head** ([`to_bytes`]): everything the state holds but its
//!   articles — small, rewritten whole with each stored snapshot;
//! - one **article row** per article ([`article_bytes`]), keyed by slug,
//!   written only when the article changed since the stored snapshot
//!   ([`State::touched_articles`]), so storing a snapshot costs the head
//!   plus the articles a batch changed, not the archive.
//!
//! The head records the log size it was taken at, the number of article
//! rows that go with it and the [`State::digest`] of the whole state.
//! [`Decoder`] refuses a head of another format version, of another log, of
//! another size, or whose recorded digest is not the one it is filed under,
//! and a set of rows that is not the head's (each a [`SnapshotError`]
//! variant); the store then rebuilds the snapshot by folding the log. The
//! digest is *recorded*, not recomputed on open (recomputing it means
//! serializing every article): `erkin verify --deep` compares the snapshot
//! with a refold, and the refold's digest with the recorded one.
//!
//! The format (version [`FORMAT`]): the head is one line `erkin-state
//! <version>`, then compact JSON of the state's fields — the same serde
//! forms the digest hashes — plus what the digest leaves out because it is
//! the log itself (the replay set, retired keys, the tick's leaf,
//! statements). The head is JSON because the state's types use serde
//! features a non-self-describing binary format cannot read back
//! (internally tagged enums, fields skipped when empty). An article row is
//! binary ([`article_bytes`]): an article is plain data, and a publication
//! of 100,000 articles reads 100,000 rows on every open, where JSON's
//! parsing and hex cost most of the open. The rows are checked as they are
//! read and kept as bytes; an article is decoded when something first
//! reads it ([`crate::articles::Articles`]). Every field of [`State`] and of
//! an article is named below without `..`, so a field added to either does
//! not compile until the snapshot carries it.

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tlog_tiles::Hash;

pub use crate::articles::article_bytes;
use crate::articles::{Articles, RowsBuilder};
use crate::ballot_keys::BallotKeys;
use crate::charter::Charter;
use crate::governance::Proposal;
use crate::keys::VerifierKey;
use crate::members::{Member, Seat};
use crate::mirrors::MirrorEntry;
use crate::state::{State, StatementRecord};
use crate::tip_readers::TipReaders;

/// The snapshot format version. Bump it whenever the bytes [`encode`]
/// writes change meaning (a field added to the state, a changed encoding);
/// snapshots of any other version are rebuilt, never read. Format 3 was the
/// whole state in one JSON document whose digest was recomputed on open;
/// format 4 is a small head plus one row per article; format 5 adds secret
/// proposals (their tree, ballots and secret tallies); format 6 adds the
/// ballot box (the sequencer's age recipient for secret ballots); format 7
/// writes the article rows in binary ([`article_bytes`]) instead of JSON;
/// format 8 records the digest that hashes the articles' root
/// ([`crate::articles::RootHasher`]) rather than every article.
pub const FORMAT: u32 = 8;

/// The most article rows, and row bytes, [`Decoder`] makes room for
/// before they are read (more are read as they come): a damaged head's
/// count never asks for more than this.
const ROOM_FOR_ROWS: u64 = 1 << 20;
const ROOM_FOR_ROW_BYTES: u64 = 128 << 20;

/// The first line of every snapshot head, before the version number.
const MAGIC: &str = "erkin-state ";

/// Why a stored snapshot is not used (the store rebuilds it from the log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotError {
    /// Written by another version of the format: an older erkin's (or a
    /// newer one's) snapshot is rebuilt, never trusted.
    #[error("snapshot format {found}, this build reads format {FORMAT}")]
    Format { found: u32 },
    /// Not a snapshot at all, or damaged.
    #[error("the snapshot does not decode: {reason}")]
    Malformed { reason: String },
    /// The snapshot's state is of another log (another log key).
    #[error("the snapshot is of another log")]
    OtherLog,
    /// The snapshot's state is at another size than it is filed under.
    #[error("the snapshot holds the state after {found} entries, but is filed at {expected}")]
    WrongSize { expected: u64, found: u64 },
    /// The digest the head records is not the one the snapshot is filed
    /// under (or a refold's, for `verify --deep`).
    #[error("the snapshot's recorded digest is not the one it is filed under")]
    WrongDigest,
    /// The article rows are not the ones the head was written with: too
    /// few or too many.
    #[error("the snapshot's head counts {expected} articles, but {found} article rows go with it")]
    WrongArticles { expected: u64, found: u64 },
}

/// A state in snapshot form, with what it is tied to.
#[derive(Debug, Clone)]
pub struct Encoded<'a> {
    /// The log size the state was folded to.
    pub size: u64,
    /// [`State::digest`] of the state.
    pub digest: [u8; 32],
    /// The head ([`FORMAT`]).
    pub bytes: Vec<u8>,
    /// Article rows to store, by slug: every article changed since the
    /// log size `since` (all of them, if `complete`).
    pub articles: Vec<(String, Vec<u8>)>,
    /// Whether `articles` is every article of the state: stored rows not
    /// among them are then removed.
    pub complete: bool,
    /// The log size from which `articles` holds the changed articles
    /// ([`State::touched_since`]): these rows complete a stored snapshot
    /// only if it is of at least this size.
    pub since: u64,
    /// What storing a snapshot of this state costs ([`weight_of`]): the
    /// store weighs how often to store one by it.
    pub weight: u64,
    /// Set by [`encode_streamed`] for a complete snapshot: `articles` is
    /// then empty and every article's row is made from this state as it is
    /// stored ([`Encoded::for_each_row`]), so the rows (some 70 MB at
    /// 100,000 articles) are never all in memory.
    pub rows_of: Option<&'a State>,
    /// The charter's time zone, which the lists kept beside the rows file
    /// months in (`crate::lists`).
    pub zone: String,
    /// Whether the store is to write every stored row's leaf again, not
    /// only those of `articles`: its leaves were refused
    /// ([`crate::articles::LeavesError`]), so this snapshot was made from
    /// its rows. Its holder sets it.
    pub remake_leaves: bool,
    /// The replay set's base (`state::Seen`), every leaf hash sorted and
    /// concatenated, when this snapshot writes it again (now and then: see
    /// `Seen::base_due`); the store keeps it apart from the head, whose run
    /// holds the hashes since. `None`: the stored base, written at
    /// `seen_base_at`, stands.
    pub seen_base: Option<Vec<u8>>,
    /// The log size of the base the head refers to.
    pub seen_base_at: u64,
}

impl Encoded<'_> {
    /// The replay set's base this snapshot writes, as
    /// [`Decoder::new`] reads it: its log size and hashes.
    pub fn base(&self) -> Option<(u64, &[u8])> {
        self.seen_base.as_deref().map(|b| (self.seen_base_at, b))
    }

    /// Hands on every article row to store, slug and bytes: `articles`,
    /// then, made one at a time, every article of `rows_of`.
    pub fn for_each_row<E>(
        &self,
        mut row: impl FnMut(&str, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        for (slug, bytes) in &self.articles {
            row(slug, bytes)?;
        }
        if let Some(state) = self.rows_of {
            for a in state.articles_uncached() {
                row(&a.slug, &article_bytes(&a))?;
            }
        }
        Ok(())
    }
}

#[derive(Serialize)]
struct Out<'a> {
    origin: &'a str,
    name: &'a str,
    log_key: &'a str,
    /// Hex of [`State::digest`].
    digest: String,
    charter: &'a Charter,
    members: &'a BTreeMap<String, Member>,
    board: &'a [Seat],
    proposals: &'a BTreeMap<u64, Proposal>,
    /// How many article rows go with this head.
    articles: u64,
    retracted: &'a BTreeSet<String>,
    redacted: &'a BTreeSet<String>,
    mirrors: &'a [MirrorEntry],
    tip_readers: &'a TipReaders,
    /// Absent while empty, so heads without ballot keys read as before.
    #[serde(skip_serializing_if = "BallotKeys::is_empty")]
    ballot_keys: &'a BallotKeys,
    /// Absent while none is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    ballot_box: Option<&'a str>,
    size: u64,
    log_time: u64,
    time_leaf: String,
    last_time: u64,
    /// Base64 of the replay set's run: the leaf hashes not in its base,
    /// sorted, concatenated.
    seen: String,
    /// The log size the replay set's base was written at, which the store
    /// keeps apart (`Encoded::seen_base`).
    seen_base: u64,
    retired: BTreeMap<&'a str, Vec<&'a str>>,
    statements: Vec<(u64, &'a str, u64, &'a str)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct In {
    origin: String,
    name: String,
    log_key: String,
    digest: String,
    charter: Charter,
    members: BTreeMap<String, Member>,
    board: Vec<Seat>,
    proposals: BTreeMap<u64, Proposal>,
    articles: u64,
    retracted: BTreeSet<String>,
    redacted: BTreeSet<String>,
    mirrors: Vec<MirrorEntry>,
    tip_readers: TipReaders,
    #[serde(default)]
    ballot_keys: BallotKeys,
    #[serde(default)]
    ballot_box: Option<String>,
    size: u64,
    log_time: u64,
    time_leaf: String,
    last_time: u64,
    seen: String,
    seen_base: u64,
    retired: BTreeMap<String, Vec<String>>,
    statements: Vec<(u64, String, u64, String)>,
}

/// The head of the state's snapshot, recording `digest` as the state's.
fn head(state: &State, digest: &[u8; 32]) -> Vec<u8> {
    let State {
        origin,
        name,
        log_key,
        charter,
        members,
        board,
        proposals,
        articles,
        retracted,
        redacted,
        mirrors,
        tip_readers,
        ballot_keys,
        ballot_box,
        size,
        log_time,
        time_leaf,
        last_time,
        seen,
        retired,
        statements,
        touched: _,
        touched_since: _,
        ballot_run: _,
        sealed: _,
        ballot_verifier: _,
    } = state;
    let seen_base = seen.base_at(*size);
    let seen = base64::engine::general_purpose::STANDARD.encode(
        seen.head_run()
            .iter()
            .flat_map(|h| h.iter().copied())
            .collect::<Vec<u8>>(),
    );
    let out = Out {
        origin,
        name,
        log_key: log_key.as_str(),
        digest: hex::encode(digest),
        charter,
        members,
        board,
        proposals,
        articles: articles.len() as u64,
        retracted,
        redacted,
        mirrors,
        tip_readers,
        ballot_keys,
        ballot_box: ballot_box.as_deref(),
        size: *size,
        log_time: *log_time,
        time_leaf: hex::encode(time_leaf.0),
        last_time: *last_time,
        seen,
        seen_base,
        retired: retired
            .iter()
            .map(|(h, keys)| (h.as_str(), keys.iter().map(VerifierKey::as_str).collect()))
            .collect(),
        statements: statements
            .iter()
            .map(|s| (s.index, s.handle.as_str(), s.log_time, s.text.as_str()))
            .collect(),
    };
    let mut bytes = format!("{MAGIC}{FORMAT}\n").into_bytes();
    // Plain structs, maps with string and integer keys: cannot fail.
    serde_json::to_writer(&mut bytes, &out).expect("serializing a state into memory");
    bytes
}

/// The head of the state's snapshot. Deterministic: the same state gives
/// the same bytes (the replay set is sorted).
pub fn to_bytes(state: &State) -> Vec<u8> {
    head(state, &digest(state))
}

/// The state in snapshot form, tied to its size and digest, with the rows
/// of the articles changed since [`State::touched_since`] — every article
/// for a state folded from genesis (`complete`) — so a store that holds the
/// snapshot the state was loaded from (or last stored) writes only those.
pub fn encode(state: &State) -> Encoded<'static> {
    encode_rows(state, None, true)
}

/// [`encode`], but a complete snapshot's rows are made as they are stored
/// ([`Encoded::rows_of`]) rather than all at once: what a store writes.
pub fn encode_streamed(state: &State) -> Encoded<'_> {
    let mut encoded = encode_rows(state, None, false);
    if encoded.complete {
        encoded.rows_of = Some(state);
    }
    encoded
}

/// [`encode`] of a state whose rows are unread (a publication opened
/// lazily), its articles' root being `root`: what the store makes from the
/// leaves kept beside the rows ([`State::root_with`]). Only the articles
/// changed since the snapshot it was read from are written, so such a
/// state is never `complete`.
pub fn encode_with_root(state: &State, root: &[u8; 32]) -> Encoded<'static> {
    encode_rows(state, Some(root), false)
}

/// [`encode`]; a complete snapshot's rows only if `whole_rows`.
fn encode_rows(state: &State, root: Option<&[u8; 32]>, whole_rows: bool) -> Encoded<'static> {
    // A state read from a head alone has no root of its own: its holder
    // gives one ([`encode_with_root`]).
    debug_assert!(
        root.is_some() || state.articles_read(),
        "a snapshot of a state without its rows or their root"
    );
    let root = match root {
        Some(r) => *r,
        None => state.articles_root(),
    };
    let (digest, _) = state.digest_and_weight(&root);
    let since = state.touched_since();
    let complete = since == 0;
    let articles = if complete && !whole_rows {
        Vec::new()
    } else if complete {
        state
            .articles()
            .map(|a| (a.slug.clone(), article_bytes(a)))
            .collect()
    } else {
        state
            .touched_articles()
            .iter()
            .filter_map(|slug| state.article(slug))
            .map(|a| (a.slug.clone(), article_bytes(a)))
            .collect()
    };
    let bytes = head(state, &digest);
    let weight = weight_of(bytes.len(), state.article_count());
    Encoded {
        size: state.size(),
        digest,
        bytes,
        articles,
        complete,
        since,
        weight,
        rows_of: None,
        zone: state.charter().time_zone().to_string(),
        remake_leaves: false,
        seen_base: state.seen_base_bytes(),
        seen_base_at: state.seen_base_at(),
    }
}

/// What storing a snapshot costs, in bytes: its head, rewritten whole,
/// and one leaf (32 bytes) per article, read back to make the articles'
/// root.
pub fn weight_of(head: usize, articles: usize) -> u64 {
    (head as u64).saturating_add((articles as u64).saturating_mul(32))
}

/// The replay set's base `state` holds as read or as last stored (what a
/// store keeps apart from the head, [`Encoded::seen_base`]): its log size
/// and hashes, `None` if it has none. For reading a head back without a
/// store (tests), when the snapshot does not write the base again.
pub fn held_base(state: &State) -> Option<(u64, Vec<u8>)> {
    state.seen_base_held()
}

/// [`State::digest`] (hashed as the JSON is written, never held whole).
pub fn digest(state: &State) -> [u8; 32] {
    state.digest()
}

/// The format version a snapshot head declares, if it is one.
pub fn format_of(bytes: &[u8]) -> Option<u32> {
    let rest = bytes.strip_prefix(MAGIC.as_bytes())?;
    let end = rest.iter().position(|&b| b == b'\n')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// A snapshot being read: the head, checked, then its article rows one at
/// a time ([`Decoder::article`]), so the rows never all sit in memory as
/// bytes; [`Decoder::finish`] gives the state.
pub struct Decoder {
    state: State,
    rows: RowReader,
}

/// A snapshot's article rows being read, one at a time, each checked
/// ([`RowReader::article`]), then counted against the head's count
/// ([`RowReader::finish`]).
pub struct RowReader {
    expected: u64,
    /// The rows read so far, checked, kept as bytes: an article is decoded
    /// when something first reads it ([`Articles`]).
    rows: RowsBuilder,
}

impl RowReader {
    /// Rows for a head that counts `expected` articles (for a state read
    /// from its head alone, see [`row_reader`]).
    pub fn new(expected: u64) -> Self {
        Self {
            expected,
            // Rows are a few hundred bytes: room for them all at once, not
            // a buffer grown (and copied) twenty times. The head's count is
            // trusted only as far as a bound: a damaged one costs address
            // space, never memory, and the rows are counted as they come.
            rows: RowsBuilder::with_capacity(
                usize::try_from(expected.min(ROOM_FOR_ROWS)).unwrap_or(0),
                usize::try_from(expected.saturating_mul(400).min(ROOM_FOR_ROW_BYTES)).unwrap_or(0),
            ),
        }
    }

    /// Reads the row stored under `slug`.
    pub fn article(&mut self, slug: &str, bytes: &[u8]) -> Result<(), SnapshotError> {
        let found = self.rows.len() as u64 + 1;
        if found > self.expected {
            return Err(SnapshotError::WrongArticles {
                expected: self.expected,
                found,
            });
        }
        self.rows
            .push(slug, bytes)
            .map_err(|e| SnapshotError::Malformed {
                reason: format!("article {slug}: {e}"),
            })
    }

    /// The articles, once every row is read.
    pub fn finish(self) -> Result<Articles, SnapshotError> {
        let found = self.rows.len() as u64;
        if found != self.expected {
            return Err(SnapshotError::WrongArticles {
                expected: self.expected,
                found,
            });
        }
        self.rows.finish().map_err(|slug| SnapshotError::Malformed {
            reason: format!("two rows of article {slug}"),
        })
    }
}

impl Decoder {
    /// Reads a snapshot head filed at log size `size` with digest `digest`,
    /// for the log whose key is `log_key`, with the replay set's base the
    /// store keeps apart (`seen_base`: the log size it was written at, and
    /// its hashes; [`Encoded::seen_base`]). The format version, the log
    /// key, the size and the recorded digest must all match, and the base
    /// must be the one the head refers to.
    pub fn new(
        bytes: &[u8],
        log_key: &VerifierKey,
        size: u64,
        digest: &[u8; 32],
        seen_base: Option<(u64, &[u8])>,
    ) -> Result<Self, SnapshotError> {
        let malformed = |reason: String| SnapshotError::Malformed { reason };
        let found = format_of(bytes).ok_or_else(|| malformed("no snapshot header".into()))?;
        if found != FORMAT {
            return Err(SnapshotError::Format { found });
        }
        let body = &bytes[bytes.iter().position(|&b| b == b'\n').unwrap_or(0) + 1..];
        let i: In = serde_json::from_slice(body).map_err(|e| malformed(e.to_string()))?;
        if i.log_key != log_key.as_str() || i.origin != log_key.name() {
            return Err(SnapshotError::OtherLog);
        }
        if i.size != size {
            return Err(SnapshotError::WrongSize {
                expected: size,
                found: i.size,
            });
        }
        if i.digest != hex::encode(digest) {
            return Err(SnapshotError::WrongDigest);
        }
        let mut time_leaf = [0u8; 32];
        hex::decode_to_slice(&i.time_leaf, &mut time_leaf)
            .map_err(|e| malformed(format!("time leaf: {e}")))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&i.seen)
            .map_err(|e| malformed(format!("replay set: {e}")))?;
        let hashes = |raw: &[u8], what: &str| {
            if !raw.len().is_multiple_of(32) {
                return Err(malformed(format!("{what}: not whole hashes")));
            }
            Ok(raw
                .chunks_exact(32)
                .map(|c| c.try_into().expect("chunks of 32"))
                .collect::<Vec<[u8; 32]>>())
        };
        let run = hashes(&raw, "replay set")?;
        let base = match (i.seen_base, seen_base) {
            (0, _) => Vec::new(),
            (at, Some((stored, base))) if stored == at => hashes(base, "replay set base")?,
            (at, stored) => {
                return Err(malformed(format!(
                    "the replay set's base of {at} entries is not stored (found: {:?})",
                    stored.map(|(s, _)| s)
                )))
            }
        };
        let seen = crate::state::Seen::from_parts(base, i.seen_base, run);
        if seen.len() as u64 != i.size {
            return Err(malformed(format!(
                "{} leaf hashes for {} entries",
                seen.len(),
                i.size
            )));
        }
        let mut retired = BTreeMap::new();
        for (handle, keys) in i.retired {
            let keys = keys
                .iter()
                .map(|k| VerifierKey::parse(k))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| malformed(format!("retired key: {e}")))?;
            retired.insert(handle, keys);
        }
        let mut state = State {
            origin: i.origin,
            name: i.name,
            log_key: log_key.clone(),
            charter: i.charter,
            members: i.members,
            board: i.board,
            proposals: i.proposals,
            articles: Articles::default(),
            retracted: i.retracted,
            redacted: i.redacted,
            mirrors: i.mirrors,
            tip_readers: i.tip_readers,
            ballot_keys: i.ballot_keys,
            ballot_box: i.ballot_box,
            size: i.size,
            log_time: i.log_time,
            time_leaf: Hash(time_leaf),
            last_time: i.last_time,
            seen,
            retired,
            statements: i
                .statements
                .into_iter()
                .map(|(index, handle, log_time, text)| StatementRecord {
                    index,
                    handle,
                    log_time,
                    text,
                })
                .collect(),
            touched: BTreeSet::new(),
            touched_since: i.size,
            ballot_run: None,
            sealed: BTreeSet::new(),
            ballot_verifier: None,
        };
        state.sealed = state
            .proposals
            .values()
            .filter(|p| p.outcome.is_none() && p.secret.as_ref().is_some_and(|s| s.seal_pending()))
            .map(|p| p.id)
            .collect();
        // Derived: the open secret proposal whose ballots are being published.
        state.ballot_run = state
            .proposals
            .values()
            .find(|p| {
                p.outcome.is_none() && p.secret.as_ref().is_some_and(|s| !s.ballots.is_empty())
            })
            .map(|p| p.id);
        Ok(Self {
            state,
            rows: RowReader::new(i.articles),
        })
    }

    /// Reads the row stored under `slug`.
    pub fn article(&mut self, slug: &str, bytes: &[u8]) -> Result<(), SnapshotError> {
        self.rows.article(slug, bytes)
    }

    /// The state, once every row is read.
    pub fn finish(mut self) -> Result<State, SnapshotError> {
        self.state.articles = self.rows.finish()?;
        Ok(self.state)
    }

    /// The state of the head alone, no row read: it holds as many
    /// articles as the head counts, but reads none of them — it refuses
    /// entries that would ([`crate::rejection::Rejection::ArticlesUnread`]),
    /// and must be neither asked about articles nor digested nor encoded
    /// until the rows are read into it ([`read_rows`], from the
    /// [`row_reader`] of the state). The rows must be
    /// those stored with this head: the caller reads them in one
    /// transaction that finds this head still stored. What an action that
    /// reads no article (a statement, a vote) opens, at a fraction of the
    /// cost: the head is some 40 bytes per log entry, the rows some 370
    /// per article.
    pub fn finish_unread(mut self) -> State {
        self.state.articles =
            Articles::unread(usize::try_from(self.rows.expected).unwrap_or(usize::MAX));
        self.state
    }
}

/// Reads a snapshot's article rows (a [`RowReader`]'s) into a state read
/// from its head alone ([`Decoder::finish_unread`]); the articles changed
/// or fetched since shadow their rows. Refused, changing nothing, if the
/// state holds its rows already or they are not as many as its head
/// counts.
pub fn read_rows(state: &mut State, rows: Articles) -> Result<(), SnapshotError> {
    let expected = state.articles.unread_rows().unwrap_or(0) as u64;
    state
        .articles
        .read_rows(rows)
        .map_err(|found| SnapshotError::WrongArticles {
            expected,
            found: found as u64,
        })
}

/// The reader of the rows a state read from its head alone lacks: as many
/// as the head counts (not the state's articles, which count those
/// published since). `None` for a state that holds its rows.
pub fn row_reader(state: &State) -> Option<RowReader> {
    let rows = state.articles.unread_rows()?;
    Some(RowReader::new(rows as u64))
}

/// Into a state read from its head alone: the stored row of `slug`
/// (`None`: there is none), looked up among the rows stored with that head
/// (see [`Articles::fetch`]); the state then knows that article
/// ([`State::knows_article`]). A row of another slug, or damaged, is
/// refused.
pub fn fetch_article(
    state: &mut State,
    slug: &str,
    row: Option<&[u8]>,
) -> Result<(), SnapshotError> {
    state
        .articles
        .fetch(slug, row)
        .map_err(|e| SnapshotError::Malformed {
            reason: format!("article {slug}: {e}"),
        })
}

/// Reads a snapshot from its head and article rows (see [`Decoder`]).
pub fn decode<'a>(
    head: &[u8],
    articles: impl IntoIterator<Item = (&'a str, &'a [u8])>,
    log_key: &VerifierKey,
    size: u64,
    digest: &[u8; 32],
    seen_base: Option<(u64, &[u8])>,
) -> Result<State, SnapshotError> {
    let mut d = Decoder::new(head, log_key, size, digest, seen_base)?;
    for (slug, bytes) in articles {
        d.article(slug, bytes)?;
    }
    d.finish()
}

/// Everything a state holds, as text, independent of serde: two states
/// with the same fingerprint are the same state (tests compare a snapshot
/// with a refold by it, and show the difference when they differ). Which
/// articles were touched since a snapshot is bookkeeping, not state, and is
/// left out. The text is as large as the state (hundreds of MB at 100,000
/// articles) and the state is cloned: for a large state compare
/// [`fingerprint_digest`]s, the SHA-256 of the same text, written as it is
/// hashed.
pub fn fingerprint(state: &State) -> String {
    let mut copy = state.clone();
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = write_fingerprint(&mut copy, &mut text);
    text
}

/// The SHA-256 of [`fingerprint`]'s text, hashed as it is written: no copy
/// of the state and no text in memory, so `erkin verify --deep` holds one
/// state at a time. `state` is taken mutably only to set the bookkeeping
/// aside while it is written; it is given back unchanged.
pub fn fingerprint_digest(state: &mut State) -> [u8; 32] {
    use sha2::{Digest as _, Sha256};
    struct Hashing(Sha256);
    impl std::fmt::Write for Hashing {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            self.0.update(s.as_bytes());
            Ok(())
        }
    }
    let mut h = Hashing(Sha256::new());
    // Hashing cannot fail, nor can the derived Debug forms of plain data.
    let _ = write_fingerprint(state, &mut h);
    h.0.finalize().into()
}

/// Writes the fingerprint: the state's Debug form without the touched
/// articles, then the replay set sorted (a `HashSet`'s order is not the
/// state's). The bookkeeping is put back afterwards.
fn write_fingerprint(state: &mut State, out: &mut dyn std::fmt::Write) -> std::fmt::Result {
    let touched = std::mem::take(&mut state.touched);
    let touched_since = std::mem::replace(&mut state.touched_since, 0);
    let replay = std::mem::take(&mut state.seen);
    let mut seen: Vec<[u8; 32]> = replay.iter().copied().collect();
    seen.sort_unstable();
    let written = write!(out, "{state:?}\n{seen:?}");
    state.touched = touched;
    state.touched_since = touched_since;
    state.seen = replay;
    written
}
