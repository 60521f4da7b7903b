//! The tlog-tiles layout (c2sp.org/tlog-tiles): tile paths, which tiles a tree
//! of a given size has, and entry bundles.
//!
//! `tlog_tiles` 0.2 formats Go-sumdb paths (`tile/8/0/...`, `tile/8/data/...`);
//! C2SP drops the height and names entry bundles `tile/entries/...`. The
//! index grammar is the same (`x`-prefixed three-digit groups, `.p/<W>`), so
//! Sunlight's `tile.go` adapts Go's `tlog.Tile` by rewriting the prefix both
//! ways. Here that adapter would not be thin, because `tlog_tiles` 0.2 panics
//! on input: `Tile::from_path` accepts a width of 0 (`.p/0`) and any level up
//! to 255, then hands them to `Tile::new`, which asserts `1 <= w <= 256` and
//! `l < 64`. Paths come from readers (`/tile/...` on the server) and from
//! hostile sources (mirrors), so every path would first have to be checked
//! for those very cases, and `Tile::path` likewise asserts on a `TilePath`
//! built with a bad width — a second grammar in front of the first. So
//! [`TilePath`] parses and formats the C2SP layout itself (canonical form
//! only, bounded index), and converts to and from `tlog_tiles::Tile`
//! ([`TilePath::hash_tile`], [`TilePath::from_hash_tile`]) for what the crate
//! does: which tiles a tree has, their hashes and their contents.

use std::fmt;

use tlog_tiles::Tile;

/// The largest tile index a path may name: 2^40 entries / 256 per tile.
pub const MAX_TILE_INDEX: u64 = 1 << 32;

/// Tile height: each tile covers 2^8 = 256 hashes, as tlog-tiles fixes.
pub const TILE_HEIGHT: u8 = 8;
pub const TILE_WIDTH: u64 = 1 << TILE_HEIGHT;
/// Bytes in a full hash tile.
pub const FULL_TILE_LEN: usize = TILE_WIDTH as usize * 32;
/// An entry is prefixed by a big-endian u16 length in a bundle, so no entry can
/// be longer than this.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;
/// The largest possible entry bundle: 256 entries of the maximum size.
pub const MAX_BUNDLE_LEN: usize = TILE_WIDTH as usize * (2 + MAX_ENTRY_LEN);

/// What a tile path points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TileKind {
    /// A tile of Merkle tree hashes at the given tile level (0 holds leaf hashes).
    Hashes { level: u8 },
    /// An entry bundle: the entries whose leaf hashes are in level-0 tile `index`.
    Entries,
}

/// A tile or bundle: kind, index within its level, and width (1 to 256; 256 is
/// a full tile, anything less is a partial tile `.p/<W>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TilePath {
    pub kind: TileKind,
    pub index: u64,
    pub width: u16,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("not a tlog-tiles path: {path:?} ({reason})")]
pub struct BadTilePath {
    pub path: String,
    pub reason: &'static str,
}

impl TilePath {
    pub fn is_full(&self) -> bool {
        u64::from(self.width) == TILE_WIDTH
    }

    /// The `tlog_tiles` tile for a hash tile, used to read or check its data.
    pub fn hash_tile(&self) -> Option<Tile> {
        match self.kind {
            TileKind::Hashes { level } => Some(Tile::new(
                TILE_HEIGHT,
                level,
                self.index,
                u32::from(self.width),
                false,
            )),
            TileKind::Entries => None,
        }
    }

    /// The path of a `tlog_tiles` hash tile of height [`TILE_HEIGHT`].
    pub fn from_hash_tile(tile: &Tile) -> Self {
        Self {
            kind: TileKind::Hashes {
                level: tile.level(),
            },
            index: tile.level_index(),
            // Widths are 1..=256 for height-8 tiles.
            width: tile.width() as u16,
        }
    }

    /// Whether this tile or bundle is full and covers only leaves below
    /// `size`: then its bytes are the same in every tree of the log that has
    /// at least `size` leaves, and a copy that holds them can reuse them.
    pub fn is_full_within(&self, size: u64) -> bool {
        if !self.is_full() {
            return false;
        }
        let level = match self.kind {
            TileKind::Hashes { level } => u32::from(level),
            TileKind::Entries => 0,
        };
        // A tile at tile-level L covers 256^(L+1) leaves.
        TILE_WIDTH
            .checked_pow(level + 1)
            .and_then(|per_tile| per_tile.checked_mul(self.index + 1))
            .is_some_and(|end| end <= size)
    }

    /// The first leaf (entry) index covered by a level-0 tile or a bundle.
    pub fn first_entry(&self) -> u64 {
        self.index * TILE_WIDTH
    }

    /// Parses a path such as `tile/0/x001/x234/067.p/8` or `tile/entries/000`.
    pub fn parse(path: &str) -> Result<Self, BadTilePath> {
        let bad = |reason| BadTilePath {
            path: path.chars().take(200).collect(),
            reason,
        };
        let rest = path
            .strip_prefix("tile/")
            .ok_or_else(|| bad("must start with tile/"))?;
        let (level, rest) = rest.split_once('/').ok_or_else(|| bad("missing level"))?;
        let kind = if level == "entries" {
            TileKind::Entries
        } else {
            let l: u8 = parse_decimal(level).ok_or_else(|| bad("level is not a number"))?;
            if l > 63 {
                return Err(bad("level above 63"));
            }
            TileKind::Hashes { level: l }
        };
        let (index_part, width) = match rest.split_once(".p/") {
            Some((idx, w)) => {
                let w: u16 =
                    parse_decimal(w).ok_or_else(|| bad("partial width is not a number"))?;
                if !(1..=255).contains(&w) {
                    return Err(bad("partial width must be 1 to 255"));
                }
                (idx, w)
            }
            None => (rest, TILE_WIDTH as u16),
        };
        let groups: Vec<&str> = index_part.split('/').collect();
        if groups.len() > 7 {
            return Err(bad("index has too many groups"));
        }
        let mut index: u64 = 0;
        for (i, g) in groups.iter().enumerate() {
            let last = i + 1 == groups.len();
            let digits = if last {
                *g
            } else {
                g.strip_prefix('x')
                    .ok_or_else(|| bad("non-final index group must start with x"))?
            };
            if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("index groups must be three digits"));
            }
            let d: u64 = digits
                .parse()
                .map_err(|_| bad("index groups must be three digits"))?;
            index = index
                .checked_mul(1000)
                .and_then(|v| v.checked_add(d))
                .ok_or_else(|| bad("index too large"))?;
        }
        // No log reaches 2^40 entries (sync::MAX_PLAUSIBLE_SIZE): an index
        // beyond that names nothing, and refusing it here keeps every
        // `index * 256^k` on a parsed path from overflowing.
        if index > MAX_TILE_INDEX {
            return Err(bad("index beyond any plausible log"));
        }
        // Canonical form only: `x000/123` is not another name for `123`.
        let parsed = Self { kind, index, width };
        if parsed.to_string() != path {
            return Err(bad("not in canonical form"));
        }
        Ok(parsed)
    }
}

fn parse_decimal<T: std::str::FromStr + ToString>(s: &str) -> Option<T> {
    let v: T = s.parse().ok()?;
    // No leading zeros, no signs: the text must be the canonical number.
    (v.to_string() == s).then_some(v)
}

impl fmt::Display for TilePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TileKind::Hashes { level } => write!(f, "tile/{level}/")?,
            TileKind::Entries => f.write_str("tile/entries/")?,
        }
        f.write_str(&format_index(self.index))?;
        if !self.is_full() {
            write!(f, ".p/{}", self.width)?;
        }
        Ok(())
    }
}

/// Formats a tile index as 3-digit groups, every group but the last prefixed
/// with `x`: 1234067 -> `x001/x234/067`.
pub fn format_index(mut n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    n /= 1000;
    while n > 0 {
        groups.push(format!("x{:03}", n % 1000));
        n /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

/// Every hash tile of a tree of `size` entries, at every level, that differs
/// from the tree of `old_size` entries (pass 0 for all of them). Partial tiles
/// are included; empty tiles never are.
pub fn hash_tiles(old_size: u64, size: u64) -> Vec<TilePath> {
    Tile::new_tiles(TILE_HEIGHT, old_size, size)
        .into_iter()
        .map(|t| TilePath {
            kind: TileKind::Hashes { level: t.level() },
            index: t.level_index(),
            width: t.width() as u16,
        })
        .collect()
}

/// The entry bundles of a tree of `size` entries that differ from those of a
/// tree of `old_size` entries. They mirror the level-0 hash tiles one for one.
pub fn entry_bundles(old_size: u64, size: u64) -> Vec<TilePath> {
    bundles_between(old_size, size).collect()
}

/// [`entry_bundles`] made one at a time, so a large signed size allocates
/// nothing.
pub fn bundles_between(old_size: u64, size: u64) -> impl Iterator<Item = TilePath> {
    let first = old_size / TILE_WIDTH;
    let end = if size > old_size {
        size.div_ceil(TILE_WIDTH)
    } else {
        first
    };
    (first..end).map(move |n| bundle_of_entry(n * TILE_WIDTH, size))
}

/// The entry bundle holding entry `index` in a tree of `size` entries.
pub fn bundle_of_entry(index: u64, size: u64) -> TilePath {
    let n = index / TILE_WIDTH;
    let width = if n < size / TILE_WIDTH {
        TILE_WIDTH
    } else {
        size % TILE_WIDTH
    };
    TilePath {
        kind: TileKind::Entries,
        index: n,
        width: width as u16,
    }
}

/// Encodes entries as a bundle: each entry prefixed by its big-endian u16 length.
pub fn encode_bundle<'a>(entries: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let len = u16::try_from(e.len())
            .expect("entries are checked against MAX_ENTRY_LEN before they are stored");
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    out
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("bundle is truncated inside entry {entry} (at byte {offset})")]
    Truncated { entry: usize, offset: usize },
    #[error("bundle holds {found} entries, but its path says {expected}")]
    WrongCount { expected: usize, found: usize },
}

/// Splits a bundle into its entries and checks that it holds exactly `expected`.
pub fn decode_bundle(bytes: &[u8], expected: usize) -> Result<Vec<&[u8]>, BundleError> {
    let mut entries = Vec::with_capacity(expected);
    let mut rest = bytes;
    while !rest.is_empty() {
        let offset = bytes.len() - rest.len();
        let truncated = BundleError::Truncated {
            entry: entries.len(),
            offset,
        };
        if rest.len() < 2 {
            return Err(truncated);
        }
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let body = rest.get(2..2 + len).ok_or(truncated)?;
        entries.push(body);
        rest = &rest[2 + len..];
    }
    if entries.len() != expected {
        return Err(BundleError::WrongCount {
            expected,
            found: entries.len(),
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(size: u64, level: u8) -> Vec<String> {
        hash_tiles(0, size)
            .into_iter()
            .filter(|t| t.kind == TileKind::Hashes { level })
            .map(|t| t.to_string())
            .collect()
    }

    #[test]
    fn spec_index_path() {
        assert_eq!(format_index(1234067), "x001/x234/067");
        assert_eq!(format_index(0), "000");
        assert_eq!(format_index(1000), "x001/000");
        let p = TilePath {
            kind: TileKind::Hashes { level: 0 },
            index: 1234067,
            width: 256,
        };
        assert_eq!(p.to_string(), "tile/0/x001/x234/067");
        assert_eq!(TilePath::parse("tile/0/x001/x234/067").unwrap(), p);
    }

    /// The tlog-tiles spec's example: the tiles of a tree of 70,000 entries.
    #[test]
    fn spec_tiles_for_70000() {
        let l0 = paths(70_000, 0);
        assert_eq!(l0.len(), 274);
        assert_eq!(l0[0], "tile/0/000");
        assert_eq!(l0[272], "tile/0/272");
        assert_eq!(l0[273], "tile/0/273.p/112");
        assert_eq!(paths(70_000, 1), ["tile/1/000", "tile/1/001.p/17"]);
        assert_eq!(paths(70_000, 2), ["tile/2/000.p/1"]);
        assert!(paths(70_000, 3).is_empty());
        let bundles: Vec<String> = entry_bundles(0, 70_000)
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(bundles.len(), 274);
        assert_eq!(bundles[273], "tile/entries/273.p/112");
    }

    /// Why the C2SP grammar is not an adapter over `tlog_tiles` (module
    /// doc): its parser panics on paths a reader can send. If this starts
    /// failing, the crate no longer panics and the adapter may be thin.
    #[test]
    fn tlog_tiles_parser_panics_where_ours_refuses() {
        for (ours, theirs) in [
            ("tile/0/000.p/0", "tile/8/0/000.p/0"),
            ("tile/99/000", "tile/8/99/000"),
        ] {
            assert!(TilePath::parse(ours).is_err(), "{ours}");
            let prior = std::panic::take_hook();
            std::panic::set_hook(Box::new(|_| {}));
            let parsed = std::panic::catch_unwind(|| Tile::from_path(theirs));
            std::panic::set_hook(prior);
            assert!(parsed.is_err(), "{theirs} no longer panics in tlog_tiles");
        }
    }

    #[test]
    fn empty_tree_has_no_tiles() {
        assert!(hash_tiles(0, 0).is_empty());
        assert!(entry_bundles(0, 0).is_empty());
    }

    #[test]
    fn incremental_tiles_only_name_changes() {
        let changed: Vec<String> = hash_tiles(256, 257).iter().map(|t| t.to_string()).collect();
        assert_eq!(changed, ["tile/0/001.p/1"]);
        let changed: Vec<String> = hash_tiles(65535, 65536)
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(changed, ["tile/0/255", "tile/1/000", "tile/2/000.p/1"]);
    }

    #[test]
    fn paths_round_trip_and_reject_non_canonical() {
        for p in hash_tiles(0, 70_000)
            .into_iter()
            .chain(entry_bundles(0, 70_000))
        {
            assert_eq!(TilePath::parse(&p.to_string()).unwrap(), p);
        }
        for bad in [
            "tile/0/x000/123",
            "tile/00/000",
            "tile/0/12",
            "tile/0/000.p/0",
            "tile/0/000.p/256",
            "tile/0/000.p/08",
            "tile/64/000",
            "tile/data/000",
            "tile/0/001/002",
            "tile/0/x001",
            "blob/000",
            "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
            "tile/0/../000",
        ] {
            assert!(TilePath::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn bundles_round_trip() {
        let entries: Vec<Vec<u8>> = vec![b"a".to_vec(), vec![], vec![7u8; 65535]];
        let bytes = encode_bundle(entries.iter().map(|e| e.as_slice()));
        let back = decode_bundle(&bytes, 3).unwrap();
        assert_eq!(
            back,
            entries.iter().map(|e| e.as_slice()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn bad_bundles_are_rejected() {
        let bytes = encode_bundle([b"abc".as_slice(), b"de".as_slice()]);
        assert_eq!(
            decode_bundle(&bytes[..bytes.len() - 1], 2).unwrap_err(),
            BundleError::Truncated {
                entry: 1,
                offset: 5
            }
        );
        assert_eq!(
            decode_bundle(&bytes[..6], 2).unwrap_err(),
            BundleError::Truncated {
                entry: 1,
                offset: 5
            }
        );
        assert_eq!(
            decode_bundle(&bytes, 3).unwrap_err(),
            BundleError::WrongCount {
                expected: 3,
                found: 2
            }
        );
        assert_eq!(
            decode_bundle(&bytes, 1).unwrap_err(),
            BundleError::WrongCount {
                expected: 1,
                found: 2
            }
        );
    }
}
