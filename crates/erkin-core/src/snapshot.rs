//! The folded state as bytes: a snapshot a store keeps beside the log so a
//! publication opens without folding the whole archive again.
//!
//! A snapshot is a cache, never a source of truth. It is tied to the log
//! size it was taken at and to the [`State::digest`] of the state it holds;
//! [`decode`] refuses bytes of another format version, of another log, of
//! another size or whose state does not hash to the recorded digest (each a
//! [`SnapshotError`] variant), and the store then rebuilds it by folding the
//! log. `erkin verify --deep` compares it with a refold.
//!
//! The format (version [`FORMAT`]): one header line `erkin-state <version>`,
//! then compact JSON of everything the state holds — what the digest covers
//! (the same serde forms) and what it leaves out because it is the log
//! itself (the replay set, retired keys, the tick's leaf, statements, each
//! revision's log time). JSON because the state's types use serde features a
//! non-self-describing binary format cannot read back (internally tagged
//! enums, fields skipped when empty); the store compresses the bytes.
//! Every field of [`State`] is named below without `..`, so a field added to
//! the state does not compile until the snapshot carries it.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use tlog_tiles::Hash;

use crate::article::Article;
use crate::charter::Charter;
use crate::governance::Proposal;
use crate::keys::VerifierKey;
use crate::members::{Member, Seat};
use crate::mirrors::MirrorEntry;
use crate::state::{State, StatementRecord};
use crate::tip_readers::TipReaders;

/// The snapshot format version. Bump it whenever the bytes [`encode`]
/// writes change meaning (a field added to the state, a changed encoding);
/// snapshots of any other version are rebuilt, never read.
pub const FORMAT: u32 = 3;

/// The first line of every snapshot, before the version number.
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
    /// The snapshot's state does not hash to the digest recorded with it.
    #[error("the snapshot's state does not hash to its recorded digest")]
    WrongDigest,
}

/// A state in snapshot form, with what it is tied to.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// The log size the state was folded to.
    pub size: u64,
    /// [`State::digest`] of the state.
    pub digest: [u8; 32],
    /// The snapshot bytes ([`FORMAT`]).
    pub bytes: Vec<u8>,
}

#[derive(Serialize)]
struct Out<'a> {
    origin: &'a str,
    name: &'a str,
    log_key: &'a str,
    charter: &'a Charter,
    members: &'a BTreeMap<String, Member>,
    board: &'a [Seat],
    proposals: &'a BTreeMap<u64, Proposal>,
    articles: &'a BTreeMap<String, Article>,
    /// Each article's revisions' log times, in revision order.
    revision_log_times: BTreeMap<&'a str, Vec<u64>>,
    retracted: &'a BTreeSet<String>,
    redacted: &'a BTreeSet<String>,
    mirrors: &'a [MirrorEntry],
    tip_readers: &'a TipReaders,
    size: u64,
    log_time: u64,
    time_leaf: String,
    last_time: u64,
    /// Base64 of the replay set's leaf hashes, sorted, concatenated.
    seen: String,
    retired: BTreeMap<&'a str, Vec<&'a str>>,
    statements: Vec<(u64, &'a str, u64, &'a str)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct In {
    origin: String,
    name: String,
    log_key: String,
    charter: Charter,
    members: BTreeMap<String, Member>,
    board: Vec<Seat>,
    proposals: BTreeMap<u64, Proposal>,
    articles: BTreeMap<String, Article>,
    revision_log_times: BTreeMap<String, Vec<u64>>,
    retracted: BTreeSet<String>,
    redacted: BTreeSet<String>,
    mirrors: Vec<MirrorEntry>,
    tip_readers: TipReaders,
    size: u64,
    log_time: u64,
    time_leaf: String,
    last_time: u64,
    seen: String,
    retired: BTreeMap<String, Vec<String>>,
    statements: Vec<(u64, String, u64, String)>,
}

/// The state's snapshot bytes. Deterministic: the same state gives the same
/// bytes (the replay set is sorted).
pub fn to_bytes(state: &State) -> Vec<u8> {
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
        size,
        log_time,
        time_leaf,
        last_time,
        seen,
        retired,
        statements,
    } = state;
    let mut leaves: Vec<&[u8; 32]> = seen.iter().collect();
    leaves.sort_unstable();
    let seen = base64::engine::general_purpose::STANDARD.encode(
        leaves
            .iter()
            .flat_map(|h| h.iter().copied())
            .collect::<Vec<u8>>(),
    );
    let out = Out {
        origin,
        name,
        log_key: log_key.as_str(),
        charter,
        members,
        board,
        proposals,
        articles,
        revision_log_times: articles
            .iter()
            .map(|(slug, a)| {
                (
                    slug.as_str(),
                    a.revisions.iter().map(|r| r.log_time).collect(),
                )
            })
            .collect(),
        retracted,
        redacted,
        mirrors,
        tip_readers,
        size: *size,
        log_time: *log_time,
        time_leaf: hex::encode(time_leaf.0),
        last_time: *last_time,
        seen,
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

/// The state in snapshot form, tied to its size and digest.
pub fn encode(state: &State) -> Encoded {
    Encoded {
        size: state.size(),
        digest: digest(state),
        bytes: to_bytes(state),
    }
}

/// [`State::digest`] without holding its input: the same JSON, hashed as it
/// is written (at 100,000 articles the input is some 60 MB).
pub fn digest(state: &State) -> [u8; 32] {
    use sha2::Digest as _;
    struct Hashing(sha2::Sha256);
    impl std::io::Write for Hashing {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.update(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Hashing(sha2::Sha256::new());
    // The same value `digest_input` serializes, into a hash: cannot fail.
    serde_json::to_writer(&mut h, state).expect("serializing a state");
    h.0.finalize().into()
}

/// The format version a snapshot's bytes declare, if they are a snapshot.
pub fn format_of(bytes: &[u8]) -> Option<u32> {
    let rest = bytes.strip_prefix(MAGIC.as_bytes())?;
    let end = rest.iter().position(|&b| b == b'\n')?;
    std::str::from_utf8(&rest[..end]).ok()?.parse().ok()
}

/// Reads a snapshot filed at log size `size` with digest `digest`, for the
/// log whose key is `log_key`. Trusts nothing: the format version, the log
/// key, the size and the digest of the state read must all match.
pub fn decode(
    bytes: &[u8],
    log_key: &VerifierKey,
    size: u64,
    digest: &[u8; 32],
) -> Result<State, SnapshotError> {
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
    let mut time_leaf = [0u8; 32];
    hex::decode_to_slice(&i.time_leaf, &mut time_leaf)
        .map_err(|e| malformed(format!("time leaf: {e}")))?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&i.seen)
        .map_err(|e| malformed(format!("replay set: {e}")))?;
    if raw.len() % 32 != 0 {
        return Err(malformed("replay set: not whole hashes".into()));
    }
    let seen: HashSet<[u8; 32]> = raw
        .chunks_exact(32)
        .map(|c| c.try_into().expect("chunks of 32"))
        .collect();
    let mut retired = BTreeMap::new();
    for (handle, keys) in i.retired {
        let keys = keys
            .iter()
            .map(|k| VerifierKey::parse(k))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| malformed(format!("retired key: {e}")))?;
        retired.insert(handle, keys);
    }
    let mut articles = i.articles;
    for (slug, times) in i.revision_log_times {
        let article = articles
            .get_mut(&slug)
            .filter(|a| a.revisions.len() == times.len())
            .ok_or_else(|| malformed(format!("revision log times of {slug}")))?;
        for (r, t) in article.revisions.iter_mut().zip(times) {
            r.log_time = t;
        }
    }
    let state = State {
        origin: i.origin,
        name: i.name,
        log_key: log_key.clone(),
        charter: i.charter,
        members: i.members,
        board: i.board,
        proposals: i.proposals,
        articles,
        retracted: i.retracted,
        redacted: i.redacted,
        mirrors: i.mirrors,
        tip_readers: i.tip_readers,
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
    };
    if state.seen.len() as u64 != state.size {
        return Err(malformed(format!(
            "{} leaf hashes for {} entries",
            state.seen.len(),
            state.size
        )));
    }
    if &self::digest(&state) != digest {
        return Err(SnapshotError::WrongDigest);
    }
    Ok(state)
}

/// Everything a state holds, as text, independent of serde: two states
/// with the same fingerprint are the same state (tests compare a snapshot
/// with a refold by it).
pub fn fingerprint(state: &State) -> String {
    let mut plain = state.clone();
    let mut seen: Vec<[u8; 32]> = plain.seen.drain().collect();
    seen.sort_unstable();
    format!("{plain:?}\n{seen:?}")
}
