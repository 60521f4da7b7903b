//! Verifying a whole copy of a publication against one pinned log key.
//!
//! A copy (a data directory, an exported directory, later a mirror or a bundle)
//! is anything that can return the bytes at a layout path: `checkpoint`,
//! `tile/...`, `tile/entries/...`, `blob/<sha256>`. The verifier trusts none of
//! them. It checks, in order:
//!
//! 1. the checkpoint's signature by the pinned key (nothing else can be judged
//!    without it, so failure here is fatal);
//! 2. every entry bundle and every level-0 tile, and which of the two hashes to
//!    the signed root — so a tampered tile is told apart from a tampered bundle;
//! 3. every higher-level tile against the tree recomputed from authentic leaves;
//! 4. every entry through the fold (signatures, membership, order);
//! 5. every blob against its name, and that every blob the log names (less
//!    those redacted by vote) is present.
//!
//! Reading is behind the [`CopyReader`] trait, so this module does no I/O.

use std::fmt;

use tlog_tiles::Hash;

use crate::blob::{BlobError, BlobId};
use crate::checkpoint::{Checkpoint, CheckpointError, MAX_CHECKPOINT_LEN};
pub use crate::copy::{CopyReader, ReadError};
use crate::keys::VerifierKey;
use crate::state::{Rejection, State};
use crate::tiles::bundles_between;
use crate::tiles::{
    bundle_of_entry, decode_bundle, TileKind, TilePath, MAX_BUNDLE_LEN, TILE_HEIGHT, TILE_WIDTH,
};
use crate::tree::{record_hash, MemoryTree};

/// One problem found in a copy. Each names where it is.
#[derive(Debug, PartialEq)]
pub enum Finding {
    Unreadable(ReadError),
    Missing {
        path: String,
    },
    WrongLength {
        path: String,
        len: usize,
        expected: usize,
    },
    /// A hash tile whose bytes are not those of the tree the checkpoint signs.
    TileMismatch {
        path: String,
    },
    BundleMalformed {
        path: String,
        reason: String,
    },
    /// An entry whose hash is not the leaf the checkpoint commits to.
    EntryMismatch {
        index: u64,
        path: String,
    },
    /// Neither the tiles nor the entries hash to the signed root.
    RootMismatch {
        from_tiles: Option<Hash>,
        from_entries: Option<Hash>,
    },
    /// An entry in the log that the fold rejects: the sequencer admitted
    /// something it should have refused.
    RejectedEntry {
        index: u64,
        rejection: Rejection,
    },
    Blob {
        path: String,
        error: BlobError,
    },
    /// More than [`MAX_FINDINGS`] problems: verification stopped early.
    TooManyProblems,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Unreadable(e) => write!(f, "{e}"),
            Finding::Missing { path } => write!(f, "{path}: missing"),
            Finding::WrongLength { path, len, expected } => {
                write!(f, "{path}: {len} bytes, expected {expected}")
            }
            Finding::TileMismatch { path } => {
                write!(f, "{path}: tile does not match the tree the checkpoint signs (tampered or corrupt)")
            }
            Finding::BundleMalformed { path, reason } => write!(f, "{path}: malformed entry bundle: {reason}"),
            Finding::EntryMismatch { index, path } => write!(
                f,
                "{path}: entry {index} is not the entry the checkpoint commits to (tampered or corrupt)"
            ),
            Finding::RootMismatch { from_tiles, from_entries } => write!(
                f,
                "checkpoint: neither the tiles (root {}) nor the entries (root {}) hash to the signed root",
                from_tiles.map_or("incomplete".into(), |h| h.to_string()),
                from_entries.map_or("incomplete".into(), |h| h.to_string()),
            ),
            Finding::RejectedEntry { index, rejection } => write!(
                f,
                "entry {index}: the log contains an entry the rules forbid ({rejection}); the sequencer misbehaved"
            ),
            Finding::Blob { path, error } => write!(f, "{path}: {error}"),
            Finding::TooManyProblems => write!(f, "more than {MAX_FINDINGS} problems; stopped checking"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("checkpoint: missing (is this a copy of an erkin publication?)")]
    NoCheckpoint,
    #[error("checkpoint: {0}")]
    Read(#[from] ReadError),
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// The checkpoint is signed but claims a tree no real log reaches
    /// ([`crate::sync::MAX_PLAUSIBLE_SIZE`]); nothing else was read.
    #[error(
        "checkpoint: signed for a tree of {0} entries, more than any real log; not checked further"
    )]
    ImplausibleSize(u64),
}

#[derive(Debug)]
pub struct Report {
    pub checkpoint: Checkpoint,
    pub entries_checked: u64,
    pub tiles_checked: usize,
    pub blobs_checked: usize,
    pub findings: Vec<Finding>,
    /// The state the fold reached, skipping rejected entries; None when an
    /// integrity finding means a folded entry may not be the log's.
    pub state: Option<State>,
}

impl Report {
    pub fn is_ok(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Verifies everything in `copy` against `log_key`. `max_blob_len` bounds each
/// blob read; `progress` is told (done, total) entries as bundles are checked.
pub fn verify_copy(
    copy: &dyn CopyReader,
    log_key: &VerifierKey,
    max_blob_len: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Report, VerifyError> {
    let cp_bytes = copy
        .read("checkpoint", MAX_CHECKPOINT_LEN as u64)?
        .ok_or(VerifyError::NoCheckpoint)?;
    let checkpoint = Checkpoint::open(&cp_bytes, log_key)?;
    let size = checkpoint.size;
    if size > crate::sync::MAX_PLAUSIBLE_SIZE {
        return Err(VerifyError::ImplausibleSize(size));
    }
    let mut findings = Vec::new();
    let give_up = |findings: &mut Vec<Finding>, checkpoint: Checkpoint| {
        findings.push(Finding::TooManyProblems);
        Ok(Report {
            checkpoint,
            entries_checked: 0,
            tiles_checked: 0,
            blobs_checked: 0,
            findings: std::mem::take(findings),
            state: None,
        })
    };

    // Entries: read each bundle, hash each entry, and run the fold. Leaf
    // vectors grow as data arrives rather than being sized from the signed
    // size, which a misbehaving log could make absurd; the lists of files
    // are made one at a time for the same reason.
    let mut entry_leaves: Vec<Option<Hash>> = Vec::new();
    let mut state: Option<State> = None;
    let mut entries_checked = 0;
    for bundle in bundles_between(0, size) {
        if findings.len() >= MAX_FINDINGS {
            return give_up(&mut findings, checkpoint);
        }
        let path = bundle.to_string();
        let Some(bytes) = read_into(copy, &path, MAX_BUNDLE_LEN as u64, &mut findings) else {
            continue;
        };
        let entries = match decode_bundle(&bytes, usize::from(bundle.width)) {
            Ok(e) => e,
            Err(e) => {
                findings.push(Finding::BundleMalformed {
                    path,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        for (i, entry) in entries.iter().enumerate() {
            let index = bundle.first_entry() + i as u64;
            set_leaf(&mut entry_leaves, index, record_hash(entry));
            let result = match &mut state {
                Some(s) => s.apply(entry).map(|_| ()),
                None if index == 0 => State::genesis(log_key, entry).map(|(s, _)| state = Some(s)),
                // Without a usable genesis nothing later can be judged.
                None => Ok(()),
            };
            if let Err(rejection) = result {
                findings.push(Finding::RejectedEntry { index, rejection });
            }
            entries_checked += 1;
        }
        progress(bundle.first_entry() + u64::from(bundle.width), size);
    }

    // Level-0 tiles: the leaf hashes as the copy serves them.
    let mut tile_leaves: Vec<Option<Hash>> = Vec::new();
    let mut level0 = Vec::new();
    let mut level0_data = Vec::new();
    for tile in tiles_at(0, size) {
        if findings.len() >= MAX_FINDINGS {
            return give_up(&mut findings, checkpoint);
        }
        level0.push(tile);
        let data = read_tile(copy, &tile, &mut findings);
        if let Some(data) = &data {
            for (i, h) in data.chunks_exact(32).enumerate() {
                set_leaf(
                    &mut tile_leaves,
                    tile.first_entry() + i as u64,
                    Hash(h.try_into().expect("chunks of 32")),
                );
            }
        }
        level0_data.push(data);
    }

    // Which leaves are authentic? Whichever set hashes to the signed root.
    let from_entries = tree_of(&entry_leaves, size);
    let from_tiles = tree_of(&tile_leaves, size);
    let merged: Vec<Option<Hash>> = (0..entry_leaves.len().max(tile_leaves.len()))
        .map(|i| {
            let e = entry_leaves.get(i).copied().flatten();
            e.or_else(|| tile_leaves.get(i).copied().flatten())
        })
        .collect();
    let authentic = [&from_tiles, &from_entries, &tree_of(&merged, size)]
        .into_iter()
        .flatten()
        .find(|t| t.root() == checkpoint.root)
        .cloned();

    let mut tiles_checked = level0.len();
    match &authentic {
        Some(tree) => {
            for (tile, data) in level0.iter().zip(&level0_data) {
                if let Some(data) = data {
                    if Some(data) != tree.tile_data(tile).as_ref() {
                        findings.push(Finding::TileMismatch {
                            path: tile.to_string(),
                        });
                    }
                }
            }
            for (index, leaf) in entry_leaves.iter().enumerate() {
                let index = index as u64;
                if leaf.is_some_and(|l| Some(l) != tree.leaf(index)) {
                    let path = bundle_of_entry(index, size).to_string();
                    findings.push(Finding::EntryMismatch { index, path });
                }
            }
            for tile in (1..=MAX_LEVEL).flat_map(|level| tiles_at(level, size)) {
                if findings.len() >= MAX_FINDINGS {
                    findings.push(Finding::TooManyProblems);
                    break;
                }
                tiles_checked += 1;
                if let Some(data) = read_tile(copy, &tile, &mut findings) {
                    if Some(&data) != tree.tile_data(&tile).as_ref() {
                        findings.push(Finding::TileMismatch {
                            path: tile.to_string(),
                        });
                    }
                }
            }
        }
        None => findings.push(Finding::RootMismatch {
            from_tiles: from_tiles.map(|t| t.root()),
            from_entries: from_entries.map(|t| t.root()),
        }),
    }

    // Blobs: each must hash to its name, and every blob the log names (and
    // no vote redacted) must be here: a copy without an article's body is
    // not complete.
    let mut blobs_checked = 0;
    // Missing blobs make a copy incomplete, not its state wrong.
    let mut incomplete = Vec::new();
    match copy.blob_ids() {
        Err(e) => findings.push(Finding::Unreadable(e)),
        Ok(ids) => {
            if let Some(state) = &state {
                let held: std::collections::BTreeSet<BlobId> = ids.iter().copied().collect();
                let redacted = state.redacted_blobs();
                for id in state.named_blobs() {
                    if !held.contains(&id) && !redacted.contains(&id) {
                        incomplete.push(Finding::Missing {
                            path: format!("blob/{id}"),
                        });
                    }
                }
            }
            for id in ids {
                let path = format!("blob/{id}");
                if let Some(bytes) = read_into(copy, &path, max_blob_len, &mut findings) {
                    blobs_checked += 1;
                    if let Err(error) = id.check(&bytes) {
                        findings.push(Finding::Blob { path, error });
                    }
                }
            }
        }
    }

    // Rejected entries are skipped by the fold (DESIGN §3), so the state is
    // still the log's; any integrity finding means some folded entry may not
    // be the one the checkpoint commits to, so then there is no state.
    let integrity_ok = findings
        .iter()
        .all(|f| matches!(f, Finding::RejectedEntry { .. }));
    let state = if integrity_ok { state } else { None };
    findings.extend(incomplete);
    Ok(Report {
        checkpoint,
        entries_checked,
        tiles_checked,
        blobs_checked,
        findings,
        state,
    })
}

/// Stops a hostile copy from growing the report without bound.
pub const MAX_FINDINGS: usize = 1000;

/// Tile levels of a tree below 2^40 entries (8 bits a level).
const MAX_LEVEL: u8 = 5;

/// The hash tiles of `level` in a tree of `size` entries, made one at a
/// time (as `tiles::hash_tiles(0, size)` at that level).
pub fn tiles_at(level: u8, size: u64) -> impl Iterator<Item = TilePath> {
    let shift = u32::from(TILE_HEIGHT) * u32::from(level);
    let hashes = size.checked_shr(shift).unwrap_or(0);
    let full = hashes / TILE_WIDTH;
    let partial = hashes % TILE_WIDTH;
    (0..full + u64::from(partial > 0)).map(move |index| TilePath {
        kind: TileKind::Hashes { level },
        index,
        width: if index < full {
            TILE_WIDTH as u16
        } else {
            partial as u16
        },
    })
}

fn set_leaf(leaves: &mut Vec<Option<Hash>>, index: u64, leaf: Hash) {
    let i = index as usize;
    if leaves.len() <= i {
        leaves.resize(i + 1, None);
    }
    leaves[i] = Some(leaf);
}

/// The tree of exactly `size` leaves, if every one is known.
fn tree_of(leaves: &[Option<Hash>], size: u64) -> Option<MemoryTree> {
    if leaves.len() as u64 != size {
        return None;
    }
    let mut tree = MemoryTree::new();
    for leaf in leaves {
        tree.push_leaf_hash((*leaf)?);
    }
    Some(tree)
}

fn read_into(
    copy: &dyn CopyReader,
    path: &str,
    max: u64,
    findings: &mut Vec<Finding>,
) -> Option<Vec<u8>> {
    match copy.read(path, max) {
        Ok(Some(b)) => Some(b),
        Ok(None) => {
            findings.push(Finding::Missing {
                path: path.to_string(),
            });
            None
        }
        Err(e) => {
            findings.push(Finding::Unreadable(e));
            None
        }
    }
}

fn read_tile(
    copy: &dyn CopyReader,
    tile: &TilePath,
    findings: &mut Vec<Finding>,
) -> Option<Vec<u8>> {
    let path = tile.to_string();
    let expected = usize::from(tile.width) * 32;
    let data = read_into(copy, &path, expected as u64, findings)?;
    if data.len() != expected {
        findings.push(Finding::WrongLength {
            path,
            len: data.len(),
            expected,
        });
        return None;
    }
    Some(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tiles::{hash_tiles, TileKind};

    /// The lazy lists are the tiles module's lists, for sizes around tile
    /// and level edges.
    #[test]
    fn lazy_tile_lists_match_the_tiles_module() {
        let sizes = [
            0, 1, 2, 255, 256, 257, 300, 511, 512, 65_535, 65_536, 65_537, 70_000, 16_777_217,
        ];
        for &size in &sizes {
            let lazy: Vec<TilePath> = (0..=MAX_LEVEL).flat_map(|l| tiles_at(l, size)).collect();
            let mut lazy = lazy;
            let mut want = hash_tiles(0, size);
            lazy.sort();
            want.sort();
            assert_eq!(lazy, want, "hash tiles of {size}");
            for &old in sizes.iter().filter(|&&o| o <= size) {
                // Entry bundles mirror the level-0 hash tiles one for one.
                let lazy: Vec<TilePath> = bundles_between(old, size).collect();
                let want: Vec<TilePath> = hash_tiles(old, size)
                    .into_iter()
                    .filter(|t| t.kind == (TileKind::Hashes { level: 0 }))
                    .map(|t| TilePath {
                        kind: TileKind::Entries,
                        ..t
                    })
                    .collect();
                assert_eq!(lazy, want, "bundles {old}..{size}");
            }
        }
    }
}
