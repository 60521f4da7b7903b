//! Syncing a copy from a source that may be hostile: what to fetch, what to
//! check, and what to refuse — decided here, without I/O. The adapter
//! (`erkin-mirror`) reads through a [`CopyReader`], then commits the
//! [`Update`] this returns in one transaction, or nothing.
//!
//! The order of checks, and why:
//! 1. The served checkpoint must be signed by the pinned key (nothing else can
//!    be judged without it) and of a plausible size: a tree no real log
//!    reaches, or one that grows the copy by more than its limit in one sync
//!    ([`Context::max_growth`]), is refused with evidence before anything
//!    else is fetched. A signed size is a claim, not a reason to fetch,
//!    allocate or write without bound.
//! 2. Against the checkpoint this copy accepted last: smaller is a rollback,
//!    same size with another root is a fork. Both are refused with evidence.
//! 3. A consistency proof from the accepted tree to the served one, built from
//!    the source's hash tiles (what the accepted tree holds is read locally,
//!    see `tiled`: one new entry costs the checkpoint, one level-0 tile and
//!    its entry bundle):
//!    tiles that do not hash to the signed root are tampered; a proof that
//!    fails with authentic tiles is a fork. This runs before any entry is
//!    downloaded, so a forked source costs a few tiles, not the whole log.
//! 4. The new entries, from the entry bundles, a few bundles at a time: each
//!    is folded as it arrives. The first entry the fold refuses stops the
//!    reading; the source's tiles (authenticated against the signed root)
//!    then say whether it is the log's — the sequencer misbehaved, refused
//!    with evidence (a store holding it could not be opened: every copy folds
//!    the same log) — or an altered entry. So a source cannot make a copy
//!    read, stage or hold more than a few bundles of entries that are not
//!    genuine, whatever size it claims. The entries the fold takes go to the
//!    adapter's [`EntrySink`] as they come (a mirror stages them on disk), so
//!    a sync holds none of them beyond the bundles at hand.
//! 5. The leaf hashes of all the new entries, on top of the accepted tree,
//!    must give the signed root. If not, the source's level-0 tiles
//!    (authenticated) say which entry was altered.
//! 6. The blobs the new entries name (less those redacted) are listed for the
//!    adapter to fetch and check against their names.

use std::collections::BTreeSet;

use tlog_tiles::{Hash, HashReader, TreeProof};

use crate::action::Action;
use crate::blob::BlobId;
use crate::checkpoint::{Checkpoint, CheckpointError, MAX_CHECKPOINT_LEN};
use crate::copy::{CopyReader, ReadError};
use crate::evidence::{
    hex_hashes, hex_tiles, Evidence, EvidenceKind, ForbiddenEntry, EVIDENCE_FORMAT,
};
use crate::keys::VerifierKey;
use crate::state::{check_log_time, LogTimeAhead, State};
use crate::tiled::{consistency_proof, inclusion_proof, leaf_hashes, CopyTiles, TileProblem};
use crate::tiles::{bundle_of_entry, decode_bundle, TilePath, MAX_BUNDLE_LEN};
use crate::tree::{check_consistency, record_hash};

/// No honest log of a newsroom reaches 2^40 entries; a checkpoint claiming
/// more is refused before any arithmetic on it.
pub const MAX_PLAUSIBLE_SIZE: u64 = 1 << 40;

/// The default of [`Context::max_growth`]: the most entries one sync takes.
/// Ten million entries is decades of a newsroom's log. A sync does not hold
/// its entries (they go to an [`EntrySink`]), but it keeps two tree hashes
/// per new entry until its commit (64 bytes each, 640 MB at this limit), so
/// a mirror further behind raises it knowingly.
pub const DEFAULT_MAX_GROWTH: u64 = 10_000_000;

/// Entry bundles read (and, from a remote copy, fetched) at a time: a source
/// serving entries that are not genuine is caught within this many, and a
/// sync holds at most this many bundles' bytes beyond the entries it keeps
/// (8 x 16 MiB at worst, about 80 KiB each in a real log).
pub const BUNDLES_AT_A_TIME: usize = 8;

/// Where the new entries go, in order, as the fold takes them: the adapter
/// keeps them for its commit (a mirror stages them on disk), so a sync of
/// many entries does not hold them in memory. Nothing given to it may be
/// committed unless [`plan`] returns an [`Update`].
pub trait EntrySink {
    /// Takes entry `index`. An error stops the sync as this copy's own
    /// failure ([`Refusal::Staging`]), not the source's.
    fn put(&mut self, index: u64, entry: &[u8]) -> Result<(), String>;
}

/// Entries kept in memory, for a caller with few of them.
impl EntrySink for Vec<Vec<u8>> {
    fn put(&mut self, _: u64, entry: &[u8]) -> Result<(), String> {
        self.push(entry.to_vec());
        Ok(())
    }
}

/// What this copy holds already.
pub struct Accepted<'a> {
    /// The latest checkpoint it accepted, and its signed note.
    pub checkpoint: Checkpoint,
    pub note: Vec<u8>,
    /// Its tree's stored hashes (tlog_tiles indexing).
    pub hashes: &'a dyn HashReader,
    /// Its own files, for full tiles it already has.
    pub copy: &'a dyn CopyReader,
    /// The state folded from its log.
    pub state: State,
}

/// Who is syncing from where, for evidence files.
pub struct Context<'a> {
    pub key: &'a VerifierKey,
    pub source: &'a str,
    pub now: u64,
    /// The most entries this sync may add. A checkpoint that grows the copy
    /// by more is refused ([`Refusal::TooMuchGrowth`]) before anything but
    /// the checkpoint is read.
    pub max_growth: u64,
}

pub enum Planned {
    /// The source has nothing newer. `state` is the accepted copy's state,
    /// handed back unchanged (so a caller that moved its state in, rather
    /// than cloning it, keeps it); `None` when no copy was accepted.
    UpToDate {
        size: u64,
        state: Option<Box<State>>,
    },
    Update(Box<Update>),
}

/// Everything verified and ready to commit.
pub struct Update {
    pub checkpoint: Checkpoint,
    pub note: Vec<u8>,
    /// How many entries after the accepted size went to the [`EntrySink`].
    pub new_entries: u64,
    /// The state after folding them.
    pub state: State,
    /// Blobs the new entries name and no passed redaction removed.
    pub blobs: BTreeSet<BlobId>,
    /// The consistency proof from the accepted tree (empty on a first sync).
    pub proof: TreeProof,
}

#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("the source has no checkpoint (is it an erkin copy?)")]
    NoCheckpoint,
    #[error("{0}")]
    Unreadable(ReadError),
    #[error("checkpoint: {0}")]
    BadCheckpoint(CheckpointError),
    /// The log key signed a tree larger than any real log. The evidence
    /// holds the signed checkpoint.
    #[error(
        "checkpoint: the log key signed a tree of {size} entries, more than any real log; refused"
    )]
    ImplausibleSize { size: u64, evidence: Box<Evidence> },
    /// The signed checkpoint grows this copy by more than the sync's limit:
    /// nothing but the checkpoint was read. The caller may raise the limit
    /// (`erkin mirror --max-growth`) if the log is truly that large; the
    /// evidence holds the signed checkpoint.
    #[error("checkpoint: the log key signed a tree of {served} entries, {} more than the {accepted} this copy holds, and one sync takes at most {max}; refused (raise the limit only if the log is truly that large)", served - accepted)]
    TooMuchGrowth {
        accepted: u64,
        served: u64,
        max: u64,
        evidence: Box<Evidence>,
    },
    #[error("rollback: the source serves a checkpoint of {served} entries, older than the {accepted} this copy accepted")]
    Rollback {
        accepted: u64,
        served: u64,
        evidence: Box<Evidence>,
    },
    #[error("fork: {explanation}")]
    Fork {
        explanation: String,
        evidence: Box<Evidence>,
    },
    #[error("tampered tile: {0}")]
    TamperedTile(TileProblem),
    #[error("{path}: missing from the source")]
    Missing { path: String },
    #[error("{path}: malformed entry bundle: {reason}")]
    MalformedBundle { path: String, reason: String },
    #[error("{path}: entry {index} is not the entry the signed checkpoint commits to (tampered)")]
    TamperedEntry { index: u64, path: String },
    /// This copy's own log could not be read: nothing is said of the source.
    #[error("this copy's own log could not be read ({0})")]
    LocalCopy(String),
    /// The new entries could not be kept for the commit (the adapter's
    /// [`EntrySink`] failed: a full disk): nothing is said of the source.
    #[error("the new entries could not be staged on this machine ({0})")]
    Staging(String),
    /// The log's time (a tick) runs ahead of this machine's clock by more
    /// than the bound: the sequencer's clock is wrong (or this one is). The
    /// evidence holds the tick and its inclusion proof.
    #[error("entry {index}: {ahead}; refused")]
    LogTimeAhead {
        index: u64,
        ahead: LogTimeAhead,
        evidence: Box<Evidence>,
    },
    #[error("sequencer misbehaviour: entry {index} breaks the rules ({rejection}); the log's operator admitted what it should have refused")]
    Misbehaviour {
        index: u64,
        rejection: String,
        evidence: Box<Evidence>,
    },
}

impl Refusal {
    /// The evidence file to save, for refusals that have one.
    pub fn evidence(&self) -> Option<&Evidence> {
        match self {
            Refusal::Rollback { evidence, .. }
            | Refusal::Fork { evidence, .. }
            | Refusal::Misbehaviour { evidence, .. }
            | Refusal::LogTimeAhead { evidence, .. }
            | Refusal::ImplausibleSize { evidence, .. }
            | Refusal::TooMuchGrowth { evidence, .. } => Some(evidence),
            _ => None,
        }
    }
}

/// Decides what to take from `source`. See the module docs for the order.
/// The new entries go to `sink` as they are folded.
pub fn plan(
    ctx: &Context,
    accepted: Option<Accepted>,
    source: &dyn CopyReader,
    sink: &mut dyn EntrySink,
) -> Result<Planned, Refusal> {
    let note = source
        .read("checkpoint", MAX_CHECKPOINT_LEN as u64)
        .map_err(Refusal::Unreadable)?
        .ok_or(Refusal::NoCheckpoint)?;
    let served = Checkpoint::open(&note, ctx.key).map_err(Refusal::BadCheckpoint)?;
    let evidence = |kind, accepted: Option<&Accepted>, explanation: String| Evidence {
        format: EVIDENCE_FORMAT.into(),
        kind,
        verifier_key: ctx.key.to_string(),
        source: ctx.source.to_string(),
        observed_at: ctx.now,
        accepted: accepted
            .map(|a| String::from_utf8_lossy(&a.note).into_owned())
            .unwrap_or_default(),
        served: String::from_utf8_lossy(&note).into_owned(),
        proof: Vec::new(),
        tiles: Default::default(),
        entry: None,
        explanation,
    };

    // How much the signed size asks of this copy, before anything is read.
    let held = accepted.as_ref().map_or(0, |a| a.checkpoint.size);
    if served.size > MAX_PLAUSIBLE_SIZE {
        let explanation = format!(
            "the log key signed a checkpoint of {} entries; no real log reaches {MAX_PLAUSIBLE_SIZE}",
            served.size
        );
        return Err(Refusal::ImplausibleSize {
            size: served.size,
            evidence: Box::new(evidence(
                EvidenceKind::Implausible,
                accepted.as_ref(),
                explanation,
            )),
        });
    }
    if served.size > held && served.size - held > ctx.max_growth {
        let explanation = format!(
            "the log key signed a checkpoint of {} entries; this copy held {held} and takes at most {} more in one sync",
            served.size, ctx.max_growth
        );
        return Err(Refusal::TooMuchGrowth {
            accepted: held,
            served: served.size,
            max: ctx.max_growth,
            evidence: Box::new(evidence(
                EvidenceKind::Implausible,
                accepted.as_ref(),
                explanation,
            )),
        });
    }
    let evidence = |kind, accepted: &Accepted, explanation: String| {
        evidence(kind, Some(accepted), explanation)
    };

    let (old_size, proof) = match &accepted {
        None => (0, Vec::new()),
        Some(acc) => {
            let old = &acc.checkpoint;
            if served.size < old.size {
                return Err(rollback(acc, &served, evidence));
            }
            if served.size == old.size {
                if served.root == old.root {
                    let size = old.size;
                    return Ok(Planned::UpToDate {
                        size,
                        state: accepted.map(|a| Box::new(a.state)),
                    });
                }
                let explanation = format!(
                    "the log key signed two different trees of {} entries",
                    old.size
                );
                return Err(Refusal::Fork {
                    evidence: Box::new(evidence(EvidenceKind::Fork, acc, explanation.clone())),
                    explanation,
                });
            }
            let proof = prove_extension(acc, &served, source, evidence)?;
            (old.size, proof)
        }
    };

    // The new entries, a few bundles at a time, each folded as it arrives.
    // Their leaves go on top of the accepted tree (the overlay); the fold's
    // state is the accepted one, or starts at the genesis.
    let empty = NoHashes;
    let below: &dyn HashReader = accepted.as_ref().map_or(&empty, |a| a.hashes);
    let mut overlay = Overlay::new(below, old_size);
    let mut new_entries = 0u64;
    let mut blobs = BTreeSet::new();
    // The fold continues the accepted state in place, or starts afresh.
    let mut accepted = accepted;
    let mut fresh: Option<State> = None;
    let mut bundles = crate::tiles::bundles_between(old_size, served.size).peekable();
    while bundles.peek().is_some() {
        let chunk: Vec<TilePath> = bundles.by_ref().take(BUNDLES_AT_A_TIME).collect();
        let paths: Vec<String> = chunk.iter().map(|b| b.to_string()).collect();
        source.prefetch(&paths, MAX_BUNDLE_LEN as u64);
        // The chunk is read whole before any of it is judged, so a source
        // that fails part-way is an interrupted sync (resumed later) rather
        // than judged on half of what it sent.
        let mut read = Vec::with_capacity(chunk.len());
        for path in &paths {
            let bytes = source
                .read(path, MAX_BUNDLE_LEN as u64)
                .map_err(Refusal::Unreadable)?
                .ok_or_else(|| Refusal::Missing { path: path.clone() })?;
            read.push(bytes);
        }
        for ((bundle, path), bytes) in chunk.iter().zip(&paths).zip(read) {
            let decoded = decode_bundle(&bytes, usize::from(bundle.width)).map_err(|e| {
                Refusal::MalformedBundle {
                    path: path.clone(),
                    reason: e.to_string(),
                }
            })?;
            for (i, entry) in decoded.into_iter().enumerate() {
                let index = bundle.first_entry() + i as u64;
                if index < old_size {
                    // The start of a partial bundle we hold already: it must be ours.
                    let ours = below
                        .read_hashes(&[tlog_tiles::stored_hash_index(0, index)])
                        .map_err(|e| Refusal::LocalCopy(format!("leaf {index}: {e}")))?
                        .first()
                        .copied();
                    if ours != Some(record_hash(entry)) {
                        return Err(Refusal::TamperedEntry {
                            index,
                            path: path.clone(),
                        });
                    }
                    continue;
                }
                // Building on our own tree reads only our hashes: a failure
                // there is ours, not the source's.
                overlay
                    .push(index, entry)
                    .map_err(|e| Refusal::LocalCopy(format!("tree hashes: {e}")))?;
                let applied = if let Some(a) = accepted.as_mut() {
                    a.state.apply(entry)
                } else if let Some(s) = fresh.as_mut() {
                    s.apply(entry)
                } else {
                    State::genesis(ctx.key, entry).map(|(s, a)| {
                        fresh = Some(s);
                        a
                    })
                };
                match applied {
                    Ok(a) => {
                        // A log whose time runs ahead of this clock is
                        // refused, whatever else it holds.
                        if let Action::Tick(_) = a.body.action {
                            if let Err(ahead) = check_log_time(a.body.time, ctx.now) {
                                return Err(
                                    match judge_rejected(
                                        ctx,
                                        &note,
                                        &served,
                                        index,
                                        entry,
                                        ahead.to_string(),
                                        source,
                                        accepted.as_ref(),
                                    ) {
                                        Refusal::Misbehaviour {
                                            index, evidence, ..
                                        } => Refusal::LogTimeAhead {
                                            index,
                                            ahead,
                                            evidence,
                                        },
                                        other => other,
                                    },
                                );
                            }
                        }
                        blobs.extend(
                            a.body
                                .action
                                .blob_refs()
                                .into_iter()
                                .filter_map(|b| b.parse::<BlobId>().ok()),
                        );
                        sink.put(index, entry)
                            .map_err(|e| Refusal::Staging(format!("entry {index}: {e}")))?;
                        new_entries += 1;
                    }
                    Err(rejection) => {
                        return Err(judge_rejected(
                            ctx,
                            &note,
                            &served,
                            index,
                            entry,
                            rejection.to_string(),
                            source,
                            accepted.as_ref(),
                        ))
                    }
                }
            }
        }
    }

    // Their leaves on top of the accepted tree must give the signed root.
    let root = tlog_tiles::tree_hash(served.size, &overlay).ok();
    if root != Some(served.root) {
        return Err(locate_tampering(
            &served,
            old_size,
            &overlay,
            source,
            accepted.as_ref(),
        ));
    }
    drop(overlay);
    let state = match accepted {
        Some(a) => a.state,
        None => fresh.ok_or(Refusal::NoCheckpoint)?,
    };
    let redacted = state.redacted_blobs();
    blobs.retain(|b| !redacted.contains(b));
    Ok(Planned::Update(Box::new(Update {
        checkpoint: served,
        note,
        new_entries,
        state,
        blobs,
        proof,
    })))
}

/// The fold refused entry `index`: the source's tiles, authenticated
/// against the signed root, say whether the log holds it (the sequencer
/// misbehaved: evidence) or the source altered it.
#[allow(clippy::too_many_arguments)]
fn judge_rejected(
    ctx: &Context,
    note: &[u8],
    served: &Checkpoint,
    index: u64,
    entry: &[u8],
    rejection: String,
    source: &dyn CopyReader,
    accepted: Option<&Accepted>,
) -> Refusal {
    let tiles = match accepted {
        Some(a) => CopyTiles::new(source).with_local(a.copy, a.checkpoint.size),
        None => CopyTiles::new(source),
    };
    let (leaf, inclusion) = match inclusion_proof(served.size, served.root, index, &tiles) {
        Ok(found) => found,
        Err(TileProblem::Missing { path }) => return Refusal::Missing { path },
        Err(TileProblem::Unreadable(e)) => return Refusal::Unreadable(e),
        Err(p) => return Refusal::TamperedTile(p),
    };
    if leaf != record_hash(entry) {
        return Refusal::TamperedEntry {
            index,
            path: bundle_of_entry(index, served.size).to_string(),
        };
    }
    let evidence = Evidence {
        format: EVIDENCE_FORMAT.into(),
        kind: EvidenceKind::Misbehaviour,
        verifier_key: ctx.key.to_string(),
        source: ctx.source.to_string(),
        observed_at: ctx.now,
        accepted: String::new(),
        served: String::from_utf8_lossy(note).into_owned(),
        proof: Vec::new(),
        tiles: Default::default(),
        entry: Some(ForbiddenEntry {
            index,
            entry: String::from_utf8_lossy(entry).into_owned(),
            inclusion_proof: hex_hashes(&inclusion),
            rejection: rejection.clone(),
        }),
        explanation: format!(
            "entry {index} is in the signed log but the rules forbid it: {rejection}"
        ),
    };
    Refusal::Misbehaviour {
        index,
        rejection,
        evidence: Box::new(evidence),
    }
}

/// A served checkpoint older than the accepted one: a rollback if it is a
/// prefix of our tree, a fork if not. Our own tiles build the proof.
fn rollback(
    acc: &Accepted,
    served: &Checkpoint,
    evidence: impl Fn(EvidenceKind, &Accepted, String) -> Evidence,
) -> Refusal {
    let old = &acc.checkpoint;
    let tiles = CopyTiles::new(acc.copy);
    let proof = match consistency_proof(old.size, old.root, served.size, &tiles) {
        Ok(p) => p,
        // Our own tiles failed us: that says nothing about the source.
        Err(e) => return Refusal::LocalCopy(e.to_string()),
    };
    let consistent = served.size == 0
        || check_consistency(&proof, old.size, old.root, served.size, served.root).is_ok();
    if consistent {
        let mut e = evidence(
            EvidenceKind::Rollback,
            acc,
            format!(
                "the source served a checkpoint of {} entries after this copy had accepted {}: a stale or replaying host",
                served.size, old.size
            ),
        );
        e.proof = hex_hashes(&proof);
        Refusal::Rollback {
            accepted: old.size,
            served: served.size,
            evidence: Box::new(e),
        }
    } else {
        let explanation = format!(
            "the served tree of {} entries is not a prefix of the accepted tree of {}",
            served.size, old.size
        );
        let mut e = evidence(EvidenceKind::Fork, acc, explanation.clone());
        e.proof = hex_hashes(&proof);
        e.tiles = hex_tiles(&tiles.authenticated());
        Refusal::Fork {
            explanation,
            evidence: Box::new(e),
        }
    }
}

/// Proves the served tree extends the accepted one, from the source's tiles.
fn prove_extension(
    acc: &Accepted,
    served: &Checkpoint,
    source: &dyn CopyReader,
    evidence: impl Fn(EvidenceKind, &Accepted, String) -> Evidence,
) -> Result<TreeProof, Refusal> {
    let old = &acc.checkpoint;
    let check = |proof: &TreeProof| {
        check_consistency(proof, served.size, served.root, old.size, old.root).is_ok()
    };
    // First with the full tiles we hold: an incremental sync fetches only
    // the tiles at the edge.
    let mixed = CopyTiles::new(source).with_local(acc.copy, old.size);
    if let Ok(proof) = consistency_proof(served.size, served.root, old.size, &mixed) {
        if check(&proof) {
            return Ok(proof);
        }
    }
    // Something failed: judge from the source's tiles alone, so the verdict
    // (tampered tile or fork) and any evidence rest on what it served.
    let theirs = CopyTiles::new(source);
    let proof =
        consistency_proof(served.size, served.root, old.size, &theirs).map_err(|p| match p {
            TileProblem::Missing { path } => Refusal::Missing { path },
            TileProblem::Unreadable(e) => Refusal::Unreadable(e),
            p @ TileProblem::Inconsistent { .. } => Refusal::TamperedTile(p),
        })?;
    if check(&proof) {
        return Ok(proof);
    }
    let explanation = format!(
        "the served tree of {} entries does not contain the accepted tree of {} (the consistency proof fails)",
        served.size, old.size
    );
    let mut e = evidence(EvidenceKind::Fork, acc, explanation.clone());
    e.proof = hex_hashes(&proof);
    e.tiles = hex_tiles(&theirs.authenticated());
    Err(Refusal::Fork {
        explanation,
        evidence: Box::new(e),
    })
}

/// The new entries (their leaves in `overlay`) do not give the signed root:
/// find out which file lies.
fn locate_tampering(
    served: &Checkpoint,
    old_size: u64,
    overlay: &Overlay,
    source: &dyn CopyReader,
    accepted: Option<&Accepted>,
) -> Refusal {
    let tiles = match accepted {
        Some(a) => CopyTiles::new(source).with_local(a.copy, old_size),
        None => CopyTiles::new(source),
    };
    match leaf_hashes(served.size, served.root, old_size, served.size, &tiles) {
        Err(TileProblem::Missing { path }) => Refusal::Missing { path },
        Err(TileProblem::Unreadable(e)) => Refusal::Unreadable(e),
        Err(p) => Refusal::TamperedTile(p),
        Ok(leaves) => {
            let bad = (old_size..)
                .zip(&leaves)
                .find(|(i, leaf)| {
                    overlay
                        .read_hashes(&[tlog_tiles::stored_hash_index(0, *i)])
                        .ok()
                        .and_then(|h| h.first().copied())
                        != Some(**leaf)
                })
                .map_or(old_size, |(i, _)| i);
            Refusal::TamperedEntry {
                index: bad,
                path: bundle_of_entry(bad, served.size).to_string(),
            }
        }
    }
}

struct NoHashes;

impl HashReader for NoHashes {
    fn read_hashes(&self, _: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        Err(tlog_tiles::Error::IndexesNotInTree)
    }
}

/// The accepted tree's hashes below `base`, and the new entries' above.
struct Overlay<'a> {
    below: &'a dyn HashReader,
    base: u64,
    pending: Vec<Hash>,
}

impl<'a> Overlay<'a> {
    fn new(below: &'a dyn HashReader, size: u64) -> Self {
        Self {
            below,
            base: tlog_tiles::stored_hash_count(size),
            pending: Vec::new(),
        }
    }

    /// Adds entry `index` (the next one) to the tree.
    fn push(&mut self, index: u64, entry: &[u8]) -> Result<(), tlog_tiles::Error> {
        let new = tlog_tiles::stored_hashes(index, entry, &*self)?;
        self.pending.extend(new);
        Ok(())
    }
}

impl HashReader for Overlay<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        let mut out = Vec::with_capacity(indexes.len());
        for &i in indexes {
            if i >= self.base {
                let k = usize::try_from(i - self.base)
                    .map_err(|_| tlog_tiles::Error::IndexesNotInTree)?;
                out.push(
                    *self
                        .pending
                        .get(k)
                        .ok_or(tlog_tiles::Error::IndexesNotInTree)?,
                );
            } else {
                out.extend(self.below.read_hashes(&[i])?);
            }
        }
        Ok(out)
    }
}
