//! Proofs from tiles: Merkle hashes read from a copy's hash tiles and
//! authenticated against a signed root, as a tlog-tiles client does.
//!
//! A copy that may be hostile serves the tiles. `tlog_tiles::TileHashReader`
//! recomputes the signed root from the tiles it reads and refuses any tile
//! that does not fit, so every hash that comes out of it is proven to be in
//! the signed tree. [`CopyTiles`] feeds it from a [`CopyReader`], remembers
//! which tiles were authenticated (they go into evidence files), and can take
//! full tiles of an older tree from a local copy that already holds them, so
//! an incremental sync fetches only the tiles at the tree's growing edge.

use std::cell::RefCell;
use std::collections::BTreeMap;

use tlog_tiles::{Hash, HashReader, Tile, TileHashReader, TileReader, TreeProof};

use crate::copy::{CopyReader, ReadError};
use crate::tiles::{TilePath, TILE_HEIGHT};

/// Why hashes could not be had from a copy's tiles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TileProblem {
    #[error(transparent)]
    Unreadable(ReadError),
    #[error("{path}: missing")]
    Missing { path: String },
    /// The tiles read do not hash to the signed root: at least one of them is
    /// not the log's.
    #[error("the tiles {} do not hash to the signed root (tampered or corrupt)", paths.join(", "))]
    Inconsistent { paths: Vec<String> },
}

/// A tile reader over a copy, for `TileHashReader`.
pub struct CopyTiles<'a> {
    copy: &'a dyn CopyReader,
    /// Full tiles that cover only leaves below `.1` are read from `.0`.
    local: Option<(&'a dyn CopyReader, u64)>,
    cache: RefCell<BTreeMap<TilePath, Vec<u8>>>,
    /// Tiles the last `read_tiles` call returned, in order.
    last_read: RefCell<Vec<TilePath>>,
    authenticated: RefCell<BTreeMap<TilePath, Vec<u8>>>,
    failure: RefCell<Option<TileProblem>>,
    /// The size of the tree being read, for checking tiles against parents.
    tree_size: std::cell::Cell<u64>,
}

impl<'a> CopyTiles<'a> {
    pub fn new(copy: &'a dyn CopyReader) -> Self {
        Self {
            copy,
            local: None,
            cache: RefCell::default(),
            last_read: RefCell::default(),
            authenticated: RefCell::default(),
            failure: RefCell::default(),
            tree_size: std::cell::Cell::new(0),
        }
    }

    /// Reads full tiles of the first `size` leaves from `local` instead.
    /// They are still authenticated against the root like any other tile.
    pub fn with_local(mut self, local: &'a dyn CopyReader, size: u64) -> Self {
        self.local = Some((local, size));
        self
    }

    /// The tiles that authenticated against the root, by path.
    pub fn authenticated(&self) -> BTreeMap<TilePath, Vec<u8>> {
        self.authenticated.borrow().clone()
    }

    fn read_one(&self, path: &TilePath) -> Result<Vec<u8>, TileProblem> {
        if let Some(data) = self.cache.borrow().get(path) {
            return Ok(data.clone());
        }
        let from = match self.local {
            Some((local, size)) if path.is_full_within(size) => local,
            _ => self.copy,
        };
        let max = u64::from(path.width) * 32;
        let data = from
            .read(&path.to_string(), max)
            .map_err(TileProblem::Unreadable)?
            .ok_or_else(|| TileProblem::Missing {
                path: path.to_string(),
            })?;
        self.cache.borrow_mut().insert(*path, data.clone());
        Ok(data)
    }

    /// Fails if a tile read so far did not match its parent.
    fn checked(&self) -> Result<(), TileProblem> {
        match self.failure.borrow_mut().take() {
            Some(p) => Err(p),
            None => Ok(()),
        }
    }

    /// Turns a `tlog_tiles` error from a read through this reader into ours.
    fn problem(&self, e: tlog_tiles::Error) -> TileProblem {
        if let Some(p) = self.failure.borrow_mut().take() {
            return p;
        }
        // Anything else (an inconsistent tile, a tile of the wrong length)
        // means the tiles read do not make the signed tree.
        let _ = e;
        TileProblem::Inconsistent {
            paths: self
                .last_read
                .borrow()
                .iter()
                .map(|t| t.to_string())
                .collect(),
        }
    }
}

impl TileReader for CopyTiles<'_> {
    fn height(&self) -> u8 {
        TILE_HEIGHT
    }

    fn read_tiles(&self, tiles: &[Tile]) -> Result<Vec<Vec<u8>>, tlog_tiles::Error> {
        let paths: Vec<TilePath> = tiles.iter().map(TilePath::from_hash_tile).collect();
        let wanted: Vec<String> = {
            let cache = self.cache.borrow();
            paths
                .iter()
                .filter(|p| !cache.contains_key(p))
                .filter(|p| !matches!(self.local, Some((_, size)) if p.is_full_within(size)))
                .map(|p| p.to_string())
                .collect()
        };
        self.copy
            .prefetch(&wanted, crate::tiles::FULL_TILE_LEN as u64);
        *self.last_read.borrow_mut() = paths.clone();
        let mut out = Vec::with_capacity(paths.len());
        for path in &paths {
            match self.read_one(path) {
                Ok(d) => out.push(d),
                Err(p) => {
                    *self.failure.borrow_mut() = Some(p);
                    return Err(tlog_tiles::Error::IndexesNotInTree);
                }
            }
        }
        Ok(out)
    }

    fn save_tiles(&self, tiles: &[Tile], data: &[Vec<u8>]) {
        // tlog_tiles 0.2 (like Go's tlog it was ported from) checks the
        // tiles fetched for requested hashes against their parents starting
        // at the wrong position, so some full tiles pass unchecked. Check
        // every full tile against its parent here; `read` turns a failure
        // into an error. (The tree-head tiles were checked against the root.)
        let size = self.tree_size.get();
        let by_tile: std::collections::HashMap<Tile, &Vec<u8>> =
            tiles.iter().copied().zip(data).collect();
        for (t, d) in tiles.iter().zip(data) {
            if t.width() != 1 << TILE_HEIGHT {
                continue;
            }
            let Some(parent) = t.parent(1, size) else {
                continue;
            };
            let Some(pdata) = by_tile.get(&parent) else {
                continue;
            };
            let index =
                tlog_tiles::stored_hash_index(parent.level() * parent.height(), t.level_index());
            let expected = parent.hash_at_index(pdata, index).ok();
            if expected != Some(Tile::subtree_hash(d)) {
                *self.failure.borrow_mut() = Some(TileProblem::Inconsistent {
                    paths: vec![TilePath::from_hash_tile(t).to_string()],
                });
                return;
            }
        }
        let mut auth = self.authenticated.borrow_mut();
        for (t, d) in tiles.iter().zip(data) {
            auth.insert(TilePath::from_hash_tile(t), d.clone());
        }
    }
}

/// The RFC 6962 consistency proof from the tree of `old` leaves to the tree
/// of `size` leaves with `root`, built from `tiles` (authenticated on the
/// way). Empty when `old` is 0 or not below `size`.
pub fn consistency_proof(
    size: u64,
    root: Hash,
    old: u64,
    tiles: &CopyTiles,
) -> Result<TreeProof, TileProblem> {
    if old == 0 || old >= size {
        return Ok(Vec::new());
    }
    tiles.tree_size.set(size);
    let reader = TileHashReader::new(size, root, tiles);
    let proof = tlog_tiles::prove_tree(size, old, &reader).map_err(|e| tiles.problem(e))?;
    tiles.checked()?;
    Ok(proof)
}

/// The leaf hashes of entries `from..to` of the tree of `size` leaves with
/// `root`, read from `tiles` and authenticated.
pub fn leaf_hashes(
    size: u64,
    root: Hash,
    from: u64,
    to: u64,
    tiles: &CopyTiles,
) -> Result<Vec<Hash>, TileProblem> {
    if from >= to || to > size {
        return Ok(Vec::new());
    }
    let indexes: Vec<u64> = (from..to)
        .map(|i| tlog_tiles::stored_hash_index(0, i))
        .collect();
    tiles.tree_size.set(size);
    let reader = TileHashReader::new(size, root, tiles);
    let hashes = reader.read_hashes(&indexes).map_err(|e| tiles.problem(e))?;
    tiles.checked()?;
    Ok(hashes)
}

/// The inclusion proof of entry `index` in the tree of `size` leaves with
/// `root`, and that entry's leaf hash, from `tiles` (authenticated).
pub fn inclusion_proof(
    size: u64,
    root: Hash,
    index: u64,
    tiles: &CopyTiles,
) -> Result<(Hash, Vec<Hash>), TileProblem> {
    let leaf = leaf_hashes(size, root, index, index + 1, tiles)?
        .first()
        .copied()
        .ok_or_else(|| TileProblem::Inconsistent { paths: Vec::new() })?;
    tiles.tree_size.set(size);
    let reader = TileHashReader::new(size, root, tiles);
    let proof = tlog_tiles::prove_record(size, index, &reader).map_err(|e| tiles.problem(e))?;
    tiles.checked()?;
    Ok((leaf, proof))
}

/// Hash tiles held in memory (an evidence file's), as a copy.
pub struct MapCopy(pub BTreeMap<TilePath, Vec<u8>>);

impl CopyReader for MapCopy {
    fn read(&self, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, ReadError> {
        let Ok(tile) = TilePath::parse(path) else {
            return Ok(None);
        };
        match self.0.get(&tile) {
            Some(d) if d.len() as u64 > max_len => Err(ReadError::TooLarge {
                path: path.to_string(),
                max: max_len,
            }),
            other => Ok(other.cloned()),
        }
    }

    fn blob_ids(&self) -> Result<Vec<crate::blob::BlobId>, ReadError> {
        Ok(Vec::new())
    }
}
