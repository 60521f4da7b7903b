//! Merkle proofs and hash tiles (src/tree.rs, src/tiles.rs) over one tree of
//! 70,300 leaves: inclusion and consistency at random sizes and at every tile
//! boundary, and refusals of wrong or tampered proofs.

use std::sync::OnceLock;

use erkin_core::tiles::{hash_tiles, TileKind, TilePath, TILE_WIDTH};
use erkin_core::tree::{
    check_consistency, check_inclusion, record_hash, MemoryTree, ProofError, EMPTY_HASH,
};
use erkin_core::Hash;
use proptest::prelude::*;
use tlog_tiles::Tile;

const N: u64 = 70_300;

const BOUNDARY_SIZES: [u64; 13] = [
    0, 1, 2, 255, 256, 257, 511, 512, 513, 65535, 65536, 65537, 70000,
];

fn leaf(i: u64) -> Hash {
    record_hash(format!("entry number {i}\n").as_bytes())
}

fn tree() -> &'static MemoryTree {
    static TREE: OnceLock<MemoryTree> = OnceLock::new();
    TREE.get_or_init(|| {
        let mut t = MemoryTree::new();
        for i in 0..N {
            t.push_leaf_hash(leaf(i));
        }
        t
    })
}

fn flip(h: Hash) -> Hash {
    let mut b = h.0;
    b[7] ^= 0x10;
    Hash(b)
}

fn assert_inclusion_ok(size: u64, index: u64) {
    let t = tree();
    let root = t.root_at(size);
    let proof = t.prove_inclusion(size, index).unwrap();
    assert_eq!(
        check_inclusion(&proof, size, root, index, leaf(index)),
        Ok(()),
        "size {size} index {index}"
    );
    // Every hash of the proof matters.
    for k in 0..proof.len() {
        let mut bad = proof.clone();
        bad[k] = flip(bad[k]);
        assert_eq!(
            check_inclusion(&bad, size, root, index, leaf(index)),
            Err(ProofError::Invalid),
            "size {size} index {index} hash {k}"
        );
    }
    // The proof is for this leaf and this root only.
    assert_eq!(
        check_inclusion(&proof, size, root, index, flip(leaf(index))),
        Err(ProofError::Invalid)
    );
    assert_eq!(
        check_inclusion(&proof, size, flip(root), index, leaf(index)),
        Err(ProofError::Invalid)
    );
    // A proof for i does not prove i^1, neither with i's leaf nor with the other leaf.
    let sibling = index ^ 1;
    if sibling < size {
        assert_eq!(
            check_inclusion(&proof, size, root, sibling, leaf(index)),
            Err(ProofError::Invalid),
            "size {size} index {index}"
        );
        assert_eq!(
            check_inclusion(&proof, size, root, sibling, leaf(sibling)),
            Err(ProofError::Invalid),
            "size {size} index {index}"
        );
    }
    // Nor does it prove the leaf in the tree one smaller, unless it happens
    // to be exactly the genuine proof for that tree too.
    if size > 1 && index < size - 1 {
        match check_inclusion(&proof, size - 1, t.root_at(size - 1), index, leaf(index)) {
            Ok(()) => assert_eq!(proof, t.prove_inclusion(size - 1, index).unwrap()),
            Err(e) => assert_eq!(e, ProofError::Invalid, "size {size} index {index}"),
        }
    }
}

fn assert_consistency_ok(old: u64, new: u64) {
    let t = tree();
    let (old_root, new_root) = (t.root_at(old), t.root_at(new));
    let proof = t.prove_consistency(old, new).unwrap();
    assert_eq!(
        check_consistency(&proof, new, new_root, old, old_root),
        Ok(()),
        "old {old} new {new}"
    );
    for k in 0..proof.len() {
        let mut bad = proof.clone();
        bad[k] = flip(bad[k]);
        assert_eq!(
            check_consistency(&bad, new, new_root, old, old_root),
            Err(ProofError::Invalid),
            "old {old} new {new} hash {k}"
        );
    }
    assert_eq!(
        check_consistency(&proof, new, new_root, old, flip(old_root)),
        Err(ProofError::Invalid),
        "old {old} new {new}"
    );
    assert_eq!(
        check_consistency(&proof, new, flip(new_root), old, old_root),
        Err(ProofError::Invalid),
        "old {old} new {new}"
    );
}

/// Indexes worth proving in a tree of `size`: the ends and every tile boundary.
fn interesting_indexes(size: u64) -> Vec<u64> {
    let mut v: Vec<u64> = [0, 1, 254, 255, 256, 257, 511, 512, 65535, 65536, 69999]
        .into_iter()
        .chain(size.checked_sub(1))
        .chain(size.checked_sub(2))
        .filter(|&i| i < size)
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

#[test]
fn tree_shape() {
    let t = tree();
    assert_eq!(t.size(), N);
    assert_eq!(t.root_at(0), EMPTY_HASH);
    assert_eq!(t.root_at(1), leaf(0));
    assert_eq!(t.root_at(2), tlog_tiles::node_hash(leaf(0), leaf(1)));
    assert_eq!(
        t.root_at(3),
        tlog_tiles::node_hash(tlog_tiles::node_hash(leaf(0), leaf(1)), leaf(2))
    );
    assert_eq!(t.root(), t.root_at(N));
    for i in [0, 1, 255, 256, 65536, N - 1] {
        assert_eq!(t.leaf(i), Some(leaf(i)));
    }
    assert_eq!(t.leaf(N), None);
    // An incrementally grown tree agrees with the big one at every size on the way.
    let mut small = MemoryTree::new();
    for i in 0..600 {
        assert_eq!(small.root(), t.root_at(i));
        small.push_entry(format!("entry number {i}\n").as_bytes());
    }
}

#[test]
fn inclusion_at_tile_boundaries() {
    for size in BOUNDARY_SIZES {
        for index in interesting_indexes(size) {
            assert_inclusion_ok(size, index);
        }
    }
}

#[test]
fn consistency_at_tile_boundaries() {
    for new in BOUNDARY_SIZES {
        for old in BOUNDARY_SIZES.into_iter().filter(|&o| o >= 1 && o <= new) {
            assert_consistency_ok(old, new);
        }
    }
    assert_consistency_ok(N, N);
    assert_consistency_ok(1, N);
}

#[test]
fn equal_sizes_need_equal_roots() {
    let t = tree();
    let proof = t.prove_consistency(257, 257).unwrap();
    assert!(proof.is_empty());
    assert_eq!(
        check_consistency(&proof, 257, t.root_at(257), 257, t.root_at(257)),
        Ok(())
    );
    assert_eq!(
        check_consistency(&proof, 257, t.root_at(257), 257, t.root_at(256)),
        Err(ProofError::Invalid)
    );
}

/// The empty tree is a prefix of every tree. Proving it must not panic: the
/// proof is empty (as in RFC 9162 and transparency-dev/merkle) and it checks.
#[test]
fn consistency_from_the_empty_tree() {
    let t = tree();
    for new in [0, 1, 256, 70_000] {
        let proof = std::panic::catch_unwind(|| t.prove_consistency(0, new))
            .unwrap_or_else(|_| panic!("prove_consistency(0, {new}) panicked"));
        let proof = proof.unwrap();
        assert!(proof.is_empty(), "new {new}: {proof:?}");
        assert_eq!(
            check_consistency(&proof, new, t.root_at(new), 0, EMPTY_HASH),
            Ok(()),
            "new {new}"
        );
    }
}

#[test]
fn out_of_range_requests_are_refused() {
    let t = tree();
    for (size, index) in [(0, 0), (1, 1), (256, 256), (256, 1000), (N, N)] {
        assert_eq!(
            t.prove_inclusion(size, index).unwrap_err(),
            ProofError::OutOfRange { index, size }
        );
        assert_eq!(
            check_inclusion(&vec![], size, EMPTY_HASH, index, leaf(0)),
            Err(ProofError::OutOfRange { index, size })
        );
    }
    // A size beyond the tree cannot be proved either.
    assert_eq!(
        t.prove_inclusion(N + 1, 0).unwrap_err(),
        ProofError::OutOfRange {
            index: 0,
            size: N + 1
        }
    );
    for (old, new) in [(2, 1), (257, 256), (N, 0)] {
        assert_eq!(
            t.prove_consistency(old, new).unwrap_err(),
            ProofError::OutOfRange {
                index: old,
                size: new
            }
        );
        assert_eq!(
            check_consistency(&vec![], new, EMPTY_HASH, old, EMPTY_HASH),
            Err(ProofError::OutOfRange {
                index: old,
                size: new
            })
        );
    }
    assert_eq!(
        t.prove_consistency(1, N + 1).unwrap_err(),
        ProofError::OutOfRange {
            index: 1,
            size: N + 1
        }
    );
}

#[test]
fn malformed_proofs_are_invalid() {
    let t = tree();
    let (size, index) = (70_000, 12_345);
    let root = t.root_at(size);
    let proof = t.prove_inclusion(size, index).unwrap();
    // Too short, too long, and absurdly long.
    let mut short = proof.clone();
    short.pop();
    let mut long = proof.clone();
    long.push(EMPTY_HASH);
    let huge = vec![EMPTY_HASH; 10_000];
    for bad in [vec![], short, long, huge] {
        assert_eq!(
            check_inclusion(&bad, size, root, index, leaf(index)),
            Err(ProofError::Invalid)
        );
    }
    let (old, new) = (1000, 70_000);
    let proof = t.prove_consistency(old, new).unwrap();
    let mut short = proof.clone();
    short.pop();
    let mut long = proof.clone();
    long.push(EMPTY_HASH);
    let huge = vec![EMPTY_HASH; 10_000];
    for bad in [vec![], short, long, huge] {
        assert_eq!(
            check_consistency(&bad, new, t.root_at(new), old, t.root_at(old)),
            Err(ProofError::Invalid)
        );
    }
    // A consistency proof between other sizes does not pass for these.
    assert_eq!(
        check_consistency(&proof, new, t.root_at(new), old + 1, t.root_at(old + 1)),
        Err(ProofError::Invalid)
    );
}

#[test]
fn tiles_have_the_right_length_and_hashes() {
    let t = tree();
    let tiles = hash_tiles(0, 70_000);
    let mut data = std::collections::BTreeMap::<TilePath, Vec<u8>>::new();
    for tile in &tiles {
        let d = t.tile_data(tile).unwrap();
        assert_eq!(d.len(), usize::from(tile.width) * 32, "{tile}");
        data.insert(*tile, d);
    }
    let level = |l: u8| -> Vec<&TilePath> {
        tiles
            .iter()
            .filter(|p| p.kind == TileKind::Hashes { level: l })
            .collect()
    };
    let (l0, l1, l2) = (level(0), level(1), level(2));
    assert_eq!((l0.len(), l1.len(), l2.len()), (274, 2, 1));
    assert_eq!(tiles.len(), 277);

    // Level 0 holds the leaf hashes in order.
    for tile in &l0 {
        for (j, h) in data[*tile].chunks_exact(32).enumerate() {
            assert_eq!(h, leaf(tile.first_entry() + j as u64).0, "{tile} hash {j}");
        }
    }
    // Level 1 hash j of tile n is the root of full level-0 tile 256n+j.
    let mut checked = 0;
    for tile in &l1 {
        for (j, h) in data[*tile].chunks_exact(32).enumerate() {
            let below = TilePath {
                kind: TileKind::Hashes { level: 0 },
                index: tile.index * TILE_WIDTH + j as u64,
                width: TILE_WIDTH as u16,
            };
            assert_eq!(
                Tile::subtree_hash(&data[&below]).0,
                h,
                "{tile} hash {j} vs {below}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 70_000 / 256);
    // Level 2's only hash is the root of the first full level-1 tile, which is
    // the root of the first 65,536 leaves.
    let full_l1 = l1.iter().find(|p| p.is_full()).unwrap();
    assert_eq!(data[l2[0]], Tile::subtree_hash(&data[*full_l1]).0);
    assert_eq!(Tile::subtree_hash(&data[*full_l1]), t.root_at(65_536));
    // A tree of exactly 256 leaves is one full tile whose subtree hash is the root.
    let first = TilePath {
        kind: TileKind::Hashes { level: 0 },
        index: 0,
        width: 256,
    };
    assert_eq!(Tile::subtree_hash(&data[&first]), t.root_at(256));
    // Entry bundles have no hash data.
    assert_eq!(
        t.tile_data(&TilePath {
            kind: TileKind::Entries,
            index: 0,
            width: 256
        }),
        None
    );
}

#[test]
fn partial_tiles_are_prefixes_of_full_ones() {
    let t = tree();
    for size in [1, 255, 257, 511, 65_537, 70_000] {
        for tile in hash_tiles(0, size).into_iter().filter(|p| !p.is_full()) {
            let TileKind::Hashes { level } = tile.kind else {
                unreachable!()
            };
            // The full tile exists once the tree reaches its last leaf.
            let leaves_per_tile = 1u64 << (8 * (u32::from(level) + 1));
            let full = TilePath { width: 256, ..tile };
            let p = t.tile_data(&tile).unwrap();
            if (tile.index + 1) * leaves_per_tile <= N {
                let f = t.tile_data(&full).unwrap();
                assert_eq!(p[..], f[..p.len()], "{tile}");
            } else {
                assert_eq!(t.tile_data(&full), None, "{full}");
            }
        }
    }
}

fn cfg() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(cfg())]

    #[test]
    fn inclusion_proofs_verify(size in 1..=N, index_seed in any::<prop::sample::Index>()) {
        let index = index_seed.index(size as usize) as u64;
        let t = tree();
        let root = t.root_at(size);
        let proof = t.prove_inclusion(size, index).unwrap();
        prop_assert_eq!(check_inclusion(&proof, size, root, index, leaf(index)), Ok(()));
        if index ^ 1 < size {
            prop_assert_eq!(
                check_inclusion(&proof, size, root, index ^ 1, leaf(index)),
                Err(ProofError::Invalid)
            );
        }
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let k = index_seed.index(bad.len());
            bad[k] = flip(bad[k]);
            prop_assert_eq!(
                check_inclusion(&bad, size, root, index, leaf(index)),
                Err(ProofError::Invalid)
            );
        }
    }

    #[test]
    fn inclusion_size_zero_or_index_past_end(size in 0..=N, past in 0u64..1000) {
        let index = size + past;
        prop_assert_eq!(
            tree().prove_inclusion(size, index).unwrap_err(),
            ProofError::OutOfRange { index, size }
        );
    }

    #[test]
    fn consistency_proofs_verify(new in 1..=N, old_seed in any::<prop::sample::Index>()) {
        let old = 1 + old_seed.index(new as usize) as u64; // 1..=new
        let t = tree();
        let (old_root, new_root) = (t.root_at(old), t.root_at(new));
        let proof = t.prove_consistency(old, new).unwrap();
        prop_assert_eq!(check_consistency(&proof, new, new_root, old, old_root), Ok(()));
        if !proof.is_empty() {
            let mut bad = proof.clone();
            let k = old_seed.index(bad.len());
            bad[k] = flip(bad[k]);
            prop_assert_eq!(
                check_consistency(&bad, new, new_root, old, old_root),
                Err(ProofError::Invalid)
            );
        }
        if old < new {
            prop_assert_eq!(
                check_consistency(&proof, new, new_root, old, t.root_at(old + 1)),
                Err(ProofError::Invalid)
            );
        }
    }

    #[test]
    fn consistency_backwards_is_out_of_range(new in 0..N, gap in 1u64..1000) {
        let old = new + gap;
        prop_assert_eq!(
            tree().prove_consistency(old, new).unwrap_err(),
            ProofError::OutOfRange { index: old, size: new }
        );
    }
}
