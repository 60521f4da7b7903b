//! Proofs from tiles: Merkle hashes read from a copy's hash tiles and
//! authenticated against a signed root, as a tlog-tiles client does.
//!
//! A copy that may be hostile serves the tiles. `tlog_tiles::TileHashReader`
//! recomputes the signed root from the tiles it reads and refuses any tile
//! that does not fit, so every hash that comes out of it is proven to be in
//! the signed tree. [`CopyTiles`] feeds it from a [`CopyReader`], remembers
//! which tiles were authenticated (they go into evidence files), and can take
//! what an older tree already holds from a local copy of it, so an
//! incremental sync fetches only the tiles at the tree's growing edge:
//! - a tile (full or partial) whose hashes are all in the older tree is read
//!   locally (its bytes are the same in every larger tree of the log);
//! - a tile above level 0 that the older tree holds but for one hash is
//!   made from the older tree's part of it and, for that hash, the subtree
//!   hash of the full child tile one level down (had the same way). Every
//!   hash of a tile above level 0 is the hash of a full tile below, so one
//!   new entry costs one fetched level-0 tile, not one tile per level (and
//!   a second one when the tree grows a new top tile, which the older tree
//!   holds nothing of and which is fetched: once per 256-fold growth).
//!
//! Whatever is read locally or made is authenticated against the signed root
//! like a fetched tile: a child tile that is not the log's makes a parent
//! that does not hash to the root.

use std::cell::RefCell;
use std::collections::BTreeMap;

use tlog_tiles::{Hash, HashReader, Tile, TileHashReader, TileReader, TreeProof};

use crate::copy::{CopyReader, ReadError};
use crate::tiles::{TileKind, TilePath, FULL_TILE_LEN, TILE_HEIGHT, TILE_WIDTH};

/// A tile above level 0 is made from the older tree's part and its full
/// children when at most this many of its hashes are new (else fetched):
/// making it then fetches no more tiles than fetching it would.
const MADE_AT_MOST: u64 = 1;

/// Where a tile's bytes come from.
enum Origin {
    /// The local copy holds the whole tile (the same path).
    Local,
    /// The local copy's first `held` hashes of it, then the subtree hashes
    /// of the full tiles `children` one level down.
    Made { held: u16, children: Vec<TilePath> },
    /// The copy being read.
    Copy,
}

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
    /// What the tree of the first `.1` leaves holds is read from `.0`, a
    /// copy of that tree (see the module docs).
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

    /// Reads what the tree of the first `size` leaves holds from `local`, a
    /// copy of that tree, instead (see the module docs). Those tiles are
    /// still authenticated against the root like any other.
    pub fn with_local(mut self, local: &'a dyn CopyReader, size: u64) -> Self {
        self.local = Some((local, size));
        self
    }

    /// The tiles that authenticated against the root, by path.
    pub fn authenticated(&self) -> BTreeMap<TilePath, Vec<u8>> {
        self.authenticated.borrow().clone()
    }

    /// Where the bytes of hash tile `path` come from.
    fn origin(&self, path: &TilePath) -> Origin {
        let Some((_, size)) = self.local else {
            return Origin::Copy;
        };
        let TileKind::Hashes { level } = path.kind else {
            return Origin::Copy;
        };
        // A hash of tile-level L covers 256^L leaves; the local tree holds
        // the first `size / 256^L` hashes of that level.
        let Some(per_hash) = TILE_WIDTH.checked_pow(u32::from(level)) else {
            return Origin::Copy;
        };
        let first = path.index.saturating_mul(TILE_WIDTH);
        let width = u64::from(path.width);
        let held = (size / per_hash).saturating_sub(first).min(width);
        if held == width {
            return Origin::Local;
        }
        if level == 0 || held == 0 || width - held > MADE_AT_MOST {
            return Origin::Copy;
        }
        let below = TileKind::Hashes { level: level - 1 };
        Origin::Made {
            // Below `width`, itself at most 256.
            held: held as u16,
            children: (first + held..first + width)
                .map(|index| TilePath {
                    kind: below,
                    index,
                    width: TILE_WIDTH as u16,
                })
                .collect(),
        }
    }

    /// The paths that reading `path` fetches from the copy, into `out`.
    fn fetches(&self, path: &TilePath, out: &mut Vec<String>) {
        if self.cache.borrow().contains_key(path) {
            return;
        }
        match self.origin(path) {
            Origin::Local => {}
            Origin::Made { children, .. } => {
                for c in &children {
                    self.fetches(c, out);
                }
            }
            Origin::Copy => out.push(path.to_string()),
        }
    }

    fn read_one(&self, path: &TilePath) -> Result<Vec<u8>, TileProblem> {
        if let Some(data) = self.cache.borrow().get(path) {
            return Ok(data.clone());
        }
        let read = |from: &dyn CopyReader, path: &TilePath| {
            from.read(&path.to_string(), u64::from(path.width) * 32)
                .map_err(TileProblem::Unreadable)?
                .ok_or_else(|| TileProblem::Missing {
                    path: path.to_string(),
                })
        };
        let data = match (self.origin(path), self.local) {
            (Origin::Local, Some((local, _))) => read(local, path)?,
            (Origin::Made { held, children }, Some((local, _))) => {
                let mut data = if held > 0 {
                    read(
                        local,
                        &TilePath {
                            width: held,
                            ..*path
                        },
                    )?
                } else {
                    Vec::new()
                };
                for child in &children {
                    // Judged with the tile it makes: a child that is not
                    // the log's makes a tile that does not fit the root.
                    self.last_read.borrow_mut().push(*child);
                    let bytes = self.read_one(child)?;
                    if bytes.len() != FULL_TILE_LEN {
                        return Err(TileProblem::Inconsistent {
                            paths: vec![child.to_string()],
                        });
                    }
                    data.extend_from_slice(&Tile::subtree_hash(&bytes).0);
                }
                data
            }
            _ => read(self.copy, path)?,
        };
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
        let mut wanted = Vec::new();
        for p in &paths {
            self.fetches(p, &mut wanted);
        }
        wanted.sort();
        wanted.dedup();
        self.copy.prefetch(&wanted, FULL_TILE_LEN as u64);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::{check_consistency, MemoryTree};

    /// Every stored hash of a tree of `leaves` entries, in memory.
    fn hashes(leaves: u64) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for i in 0..leaves {
            tree.push_entry(&i.to_be_bytes());
        }
        tree
    }

    /// The hash tiles of the tree of the first `size` leaves of `hashes`,
    /// as a copy serves them; every read is recorded, and `altered` tiles
    /// are served instead of the real ones.
    struct TreeCopy<'a> {
        hashes: &'a MemoryTree,
        size: u64,
        reads: RefCell<Vec<String>>,
        altered: BTreeMap<String, Vec<u8>>,
    }

    impl<'a> TreeCopy<'a> {
        fn new(hashes: &'a MemoryTree, size: u64) -> Self {
            Self {
                hashes,
                size,
                reads: RefCell::default(),
                altered: BTreeMap::new(),
            }
        }

        fn reads(&self) -> Vec<String> {
            self.reads.borrow().clone()
        }
    }

    impl CopyReader for TreeCopy<'_> {
        fn read(&self, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, ReadError> {
            self.reads.borrow_mut().push(path.to_string());
            if let Some(bytes) = self.altered.get(path) {
                return Ok(Some(bytes.clone()));
            }
            let Some(tile) = TilePath::parse(path).ok().and_then(|t| t.hash_tile()) else {
                return Ok(None);
            };
            let per_hash = TILE_WIDTH.pow(u32::from(tile.level()));
            let end = tile.level_index() * TILE_WIDTH + u64::from(tile.width());
            if end * per_hash > self.size {
                return Ok(None);
            }
            let data = tile.read_data(self.hashes).unwrap();
            assert!(data.len() as u64 <= max_len);
            Ok(Some(data))
        }

        fn blob_ids(&self) -> Result<Vec<crate::blob::BlobId>, ReadError> {
            Ok(Vec::new())
        }
    }

    /// One new entry: one tile is fetched (the level-0 tile of the new leaf)
    /// and, when the tree grows a new top tile, that one too; the rest is
    /// read from the older tree or made from the tiles below, and the proof
    /// is the one the source's tiles alone give.
    #[test]
    fn one_new_entry_fetches_one_tile() {
        let all = hashes(65_537 + 1);
        for old in [1, 2, 255, 256, 257, 300, 511, 512, 65_535, 65_536] {
            let new = old + 1;
            let root = tlog_tiles::tree_hash(new, &all).unwrap();
            let old_root = tlog_tiles::tree_hash(old, &all).unwrap();
            let source = TreeCopy::new(&all, new);
            let local = TreeCopy::new(&all, old);
            let mixed = CopyTiles::new(&source).with_local(&local, old);
            let proof = consistency_proof(new, root, old, &mixed).unwrap();
            assert!(check_consistency(&proof, new, root, old, old_root).is_ok());
            let leaf_tile = TilePath {
                kind: TileKind::Hashes { level: 0 },
                index: old / TILE_WIDTH,
                width: (new - old / TILE_WIDTH * TILE_WIDTH) as u16,
            };
            let mut fetched = vec![leaf_tile.to_string()];
            if let Some(top) = [(256, "tile/1/000.p/1"), (65_536, "tile/2/000.p/1")]
                .into_iter()
                .find_map(|(n, top)| (n == new).then_some(top))
            {
                fetched.insert(0, top.to_string());
            }
            let mut reads = source.reads();
            reads.sort();
            fetched.sort();
            assert_eq!(reads, fetched, "{old} -> {new}");
            let theirs = TreeCopy::new(&all, new);
            let alone = consistency_proof(new, root, old, &CopyTiles::new(&theirs)).unwrap();
            assert_eq!(proof, alone, "{old} -> {new}");
            assert!(theirs.reads().len() > 1 || old < 256, "{old} -> {new}");
        }
    }

    /// A level-0 tile altered by the source, from which the tile above is
    /// made: the made tile does not hash to the root, and the verdict names
    /// the fetched tile; one of the wrong length is refused, not hashed.
    #[test]
    fn an_altered_child_makes_tiles_that_do_not_fit() {
        let all = hashes(131_072);
        let (old, new) = (131_071, 131_072);
        let root = tlog_tiles::tree_hash(new, &all).unwrap();
        let local = TreeCopy::new(&all, old);
        let honest = TreeCopy::new(&all, new).read("tile/0/511", 1 << 20);
        let honest = honest.unwrap().unwrap();
        let mut flipped_last = honest.clone();
        *flipped_last.last_mut().unwrap() ^= 1;
        let mut flipped_first = honest.clone();
        flipped_first[0] ^= 1;
        for bad in [
            flipped_last,
            flipped_first,
            honest[..honest.len() - 32].to_vec(),
            honest[..31].to_vec(),
            Vec::new(),
        ] {
            let mut source = TreeCopy::new(&all, new);
            source.altered.insert("tile/0/511".into(), bad.clone());
            let mixed = CopyTiles::new(&source).with_local(&local, old);
            match consistency_proof(new, root, old, &mixed) {
                Err(TileProblem::Inconsistent { paths }) => {
                    assert!(
                        paths.iter().any(|p| p == "tile/0/511"),
                        "{} bytes: {paths:?}",
                        bad.len()
                    );
                }
                other => panic!("{} bytes: {other:?}", bad.len()),
            }
        }
    }

    /// A larger growth: what the older tree holds is read locally, the rest
    /// fetched, and the proof is the source's own.
    #[test]
    fn local_tiles_are_within_the_older_tree() {
        let all = hashes(1000);
        let (old, new) = (300, 1000);
        let root = tlog_tiles::tree_hash(new, &all).unwrap();
        let source = TreeCopy::new(&all, new);
        let local = TreeCopy::new(&all, old);
        let mixed = CopyTiles::new(&source).with_local(&local, old);
        let proof = consistency_proof(new, root, old, &mixed).unwrap();
        let old_root = tlog_tiles::tree_hash(old, &all).unwrap();
        assert!(check_consistency(&proof, new, root, old, old_root).is_ok());
        let theirs = TreeCopy::new(&all, new);
        let alone = consistency_proof(new, root, old, &CopyTiles::new(&theirs)).unwrap();
        assert_eq!(proof, alone);
        // The full tile the older tree holds is not fetched; the level-1
        // tile with two new hashes is.
        assert!(!source.reads().contains(&"tile/0/000".to_string()));
        assert!(source.reads().contains(&"tile/1/000.p/3".to_string()));
        assert!(source.reads().contains(&"tile/0/003.p/232".to_string()));
    }
}
