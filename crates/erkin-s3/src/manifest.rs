//! The export's own record of the bucket, kept in the bucket: which objects
//! it uploaded (with the SHA-256 of their bytes), and which it was about to
//! upload or delete when a run was cut off.
//!
//! Layout (under the copy's prefix):
//! - `.erkin-files` — the root: `{"erkin_manifest": 2, "shards": S}`.
//! - `.erkin-files.d/S/NNNNN` — shard `NNNNN` of `S`: a JSON map from path
//!   to hash, for the paths whose SHA-256 falls in that shard. `S` is a power
//!   of two that grows with the archive (about 64 paths a shard), so one new
//!   article re-uploads a few small shards, never the whole record. A change
//!   of `S` writes a complete new set beside the old one; the root, written
//!   after it, switches to it; the old set is deleted after that.
//! - `.erkin-files.d/pending/RUN-NNNNNN` — the journal: each a JSON list of
//!   paths a run is about to upload (written before the first of them is
//!   sent) or to delete. A run that completes deletes its journal last; a
//!   run that finds a journal uploads those paths again if the site still
//!   has them, and deletes them if it does not — so a partial tile or a
//!   redacted blob uploaded by a run that was killed is never left behind.
//!
//! A bucket written by an earlier erkin holds the first format (the root is
//! the whole map); it is read, and replaced by the sharded form.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use erkin_export::MANIFEST_FILE;

/// Every object the export uploaded, by layout path, with the SHA-256 of
/// its bytes (hex).
pub type Manifest = BTreeMap<String, String>;

/// Where the shards and the journal live, beside the root.
pub const DIR: &str = ".erkin-files.d";

/// The journal's folder.
pub const JOURNAL: &str = ".erkin-files.d/pending";

/// About this many paths in a shard.
const PATHS_PER_SHARD: usize = 64;

/// At most this many shards (a million-path archive: 16 per shard).
const MAX_SHARDS: u32 = 1 << 16;

/// The root object.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Root {
    pub erkin_manifest: u32,
    pub shards: u32,
}

/// What `.erkin-files` holds.
pub enum Stored {
    /// The sharded form, with its number of shards.
    Sharded(u32),
    /// The first, whole-map form.
    Whole(Manifest),
}

/// Parses the root object.
pub fn parse_root(bytes: &[u8]) -> Result<Stored, String> {
    if let Ok(root) = serde_json::from_slice::<Root>(bytes) {
        if root.erkin_manifest != 2 {
            return Err(format!("format {} is not known", root.erkin_manifest));
        }
        if !root.shards.is_power_of_two() || root.shards > MAX_SHARDS {
            return Err(format!("{} shards", root.shards));
        }
        return Ok(Stored::Sharded(root.shards));
    }
    serde_json::from_slice::<Manifest>(bytes)
        .map(Stored::Whole)
        .map_err(|e| e.to_string())
}

/// The root object's bytes for `shards` shards.
pub fn root_bytes(shards: u32) -> Vec<u8> {
    serde_json::to_vec(&Root {
        erkin_manifest: 2,
        shards,
    })
    .expect("two numbers serialize")
}

/// How many shards a record of `paths` paths is kept in.
pub fn shard_count(paths: usize) -> u32 {
    let wanted = paths.div_ceil(PATHS_PER_SHARD).max(1);
    (wanted.next_power_of_two() as u64).min(MAX_SHARDS as u64) as u32
}

/// The shard `path` belongs to, of `shards`.
pub fn shard_of(path: &str, shards: u32) -> u32 {
    let h = Sha256::digest(path.as_bytes());
    u32::from_be_bytes([h[0], h[1], h[2], h[3]]) & (shards - 1)
}

/// The layout path of shard `i` of `shards`.
pub fn shard_path(shards: u32, i: u32) -> String {
    format!("{DIR}/{shards}/{i:05}")
}

/// `manifest` split into its `shards` shards (every shard, empty ones
/// included, so a missing shard object is never mistaken for an empty one
/// written on purpose).
pub fn split(manifest: &Manifest, shards: u32) -> Vec<Manifest> {
    let mut out = vec![Manifest::new(); shards as usize];
    for (path, hash) in manifest {
        out[shard_of(path, shards) as usize].insert(path.clone(), hash.clone());
    }
    out
}

/// A shard's bytes.
pub fn shard_bytes(shard: &Manifest) -> Vec<u8> {
    serde_json::to_vec(shard).expect("a map of strings serializes")
}

/// The layout path of journal page `seq` of run `run`.
pub fn journal_path(run: &str, seq: usize) -> String {
    format!("{JOURNAL}/{run}-{seq:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_grow_with_the_archive_in_powers_of_two() {
        assert_eq!(shard_count(0), 1);
        assert_eq!(shard_count(64), 1);
        assert_eq!(shard_count(65), 2);
        assert_eq!(shard_count(20_000), 512);
        assert_eq!(shard_count(usize::MAX / 2), MAX_SHARDS);
    }

    #[test]
    fn a_split_keeps_every_path_once_and_in_its_shard() {
        let m: Manifest = (0..1000)
            .map(|i| (format!("en/articles/s{i}/index.html"), format!("{i:064x}")))
            .collect();
        let shards = split(&m, shard_count(m.len()));
        assert_eq!(shards.len(), 16);
        assert_eq!(shards.iter().map(|s| s.len()).sum::<usize>(), 1000);
        for (i, s) in shards.iter().enumerate() {
            assert!(!s.is_empty(), "hashing spreads paths over all shards");
            assert!(s.keys().all(|p| shard_of(p, 16) as usize == i));
        }
        let back: Manifest = shards.into_iter().flatten().collect();
        assert_eq!(back, m);
    }

    #[test]
    fn roots_of_both_formats_are_read_and_others_refused() {
        assert!(matches!(parse_root(&root_bytes(8)), Ok(Stored::Sharded(8))));
        assert!(matches!(
            parse_root(br#"{"checkpoint":"ab"}"#),
            Ok(Stored::Whole(m)) if m.len() == 1
        ));
        assert!(parse_root(br#"{"erkin_manifest":3,"shards":8}"#).is_err());
        assert!(parse_root(br#"{"erkin_manifest":2,"shards":6}"#).is_err());
        assert!(parse_root(b"[1,2]").is_err());
    }
}
