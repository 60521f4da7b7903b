//! A mirror against a hostile source: tampered tiles, entries and blobs,
//! truncated and oversize responses, stalls, rollbacks, forks, a
//! misbehaving sequencer, and hostile bundle files. Each refusal must be the
//! specific one, with its exit code, and leave the mirror exactly as it was
//! (evidence aside, where evidence is due); the mirror must then sync again
//! from an honest source.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use erkin_core::blob::{BlobError, BlobId};
use erkin_core::checkpoint::{CheckpointError, MAX_CHECKPOINT_LEN};
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::evidence::{check, Evidence, EvidenceError, EvidenceKind, ForkProof, Verdict};
use erkin_core::keys::VerifierKey;
use erkin_core::note::NoteError;
use erkin_core::sync::Refusal;
use erkin_core::tiled::TileProblem;
use erkin_core::tiles::decode_bundle;
use erkin_core::verify::ReadError;
use erkin_mirror::{
    write_bundle, Blame, BundleError, HttpOptions, Mirror, MirrorError, SyncOptions, SyncReport,
};

use common::*;

/// The clock of the syncs, for evidence file names.
const NOW: u64 = T0 + 86_400;

/// Sizes of the fixture's log: before and after it grows across a tile.
const SMALL: u64 = 10;
const GROWN: u64 = 300;
/// The entry of the article published last when the log grows.
const NEW_ARTICLE: u64 = GROWN - 1;

/// A newsroom, its export served by a hostile source, and a mirror of it
/// that has synced once (at `SMALL` entries).
struct World {
    tmp: tempfile::TempDir,
    news: Newsroom,
    export: PathBuf,
    server: Hostile,
    mirror: PathBuf,
    key: VerifierKey,
    /// The checkpoint the mirror accepted first.
    small_checkpoint: Vec<u8>,
}

impl World {
    fn new() -> Self {
        let w = Self::unsynced();
        let report = w.sync().expect("the first, honest sync");
        assert_eq!(report.old_size, 0);
        assert_eq!(report.new_size, SMALL);
        assert_eq!(report.blobs_fetched, 3);
        w
    }

    /// As [`World::new`] without the first sync (an empty mirror).
    fn unsynced() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let log = key(ORIGIN);
        let mut news = Newsroom::found(&root.join("data"), "Hostile test", &log);
        for slug in ["first", "second", "third"] {
            news.publish(slug, &format!("# {slug}\n\n{}", "Some text. ".repeat(20)));
        }
        news.statements_to(SMALL, "first");
        let export = root.join("export");
        news.export(&export);
        let server = Hostile::start(&export);
        let small_checkpoint = news.checkpoint();
        Self {
            key: log.verifier_key().clone(),
            mirror: root.join("mirror"),
            tmp,
            news,
            export,
            server,
            small_checkpoint,
        }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }

    fn options(&self) -> SyncOptions {
        SyncOptions {
            key: Some(self.key.clone()),
            http: HttpOptions {
                timeout: Duration::from_secs(2),
                retries: 1,
                concurrency: 4,
                ..Default::default()
            },
            now: NOW,
            ..Default::default()
        }
    }

    fn sync(&self) -> Result<SyncReport, MirrorError> {
        self.sync_with(&self.options())
    }

    fn sync_with(&self, options: &SyncOptions) -> Result<SyncReport, MirrorError> {
        self.sync_from(&self.server.url(), options)
    }

    fn sync_from(&self, spec: &str, options: &SyncOptions) -> Result<SyncReport, MirrorError> {
        let mut m = Mirror::open(&self.mirror).unwrap();
        m.sync(Some(spec), options)
    }

    /// Grows the source's log from `SMALL` to `GROWN` entries (across a
    /// tile boundary; the last one a new article) and exports it again.
    /// Returns the new article's body blob.
    fn grow(&mut self) -> BlobId {
        self.news.statements_to(NEW_ARTICLE, "grown");
        let id = self
            .news
            .publish("fourth", &format!("# Fourth\n\n{}", "Новости. ".repeat(50)));
        assert_eq!(self.news.size(), GROWN);
        self.news.export(&self.export);
        id
    }

    fn snapshot(&self) -> Snapshot {
        snapshot(&self.mirror)
    }

    fn staging_cleared(&self) -> bool {
        !self.mirror.join(".sync").exists()
    }

    /// The bytes the honest source serves at `rel`.
    fn served(&self, rel: &str) -> Vec<u8> {
        fs::read(self.export.join(rel)).unwrap()
    }

    /// Switches the source back to honest and checks that the mirror
    /// catches up with it completely.
    #[track_caller]
    fn recovers(&self) {
        self.server.honest();
        self.server.set_root(&self.export);
        let report = self.sync().expect("an honest sync after the refusal");
        let size = self.news.size();
        assert_eq!(report.new_size, size);
        let snap = self.snapshot();
        let (store_size, checkpoint, blobs) = snap.store.expect("a store");
        assert_eq!(store_size, size);
        assert_eq!(checkpoint.as_deref(), Some(&self.news.checkpoint()[..]));
        let mut source_blobs: Vec<String> = self
            .news
            .p
            .store()
            .blob_ids()
            .unwrap()
            .iter()
            .map(|b| b.to_string())
            .collect();
        source_blobs.sort();
        assert_eq!(blobs, source_blobs);
        assert_eq!(snap.site.get("checkpoint"), Some(&self.news.checkpoint()));
        assert!(self.staging_cleared());
    }
}

/// The refusal inside a `MirrorError::Refused`, and its evidence path.
#[track_caller]
fn refused(e: MirrorError) -> (Refusal, Option<PathBuf>) {
    match e {
        MirrorError::Refused { refusal, evidence } => (refusal, evidence),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// `bundle` with the case of the first letter of entry `i`'s statement text
/// flipped: same length, another entry.
fn tamper_entry(bundle: &[u8], width: usize, i: usize) -> Vec<u8> {
    let entries = decode_bundle(bundle, width).unwrap();
    let entry = entries[i];
    let start = entry.as_ptr() as usize - bundle.as_ptr() as usize;
    let needle = b"\"text\":\"";
    let at = entry
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("a statement")
        + needle.len();
    assert!(entry[at].is_ascii_alphabetic());
    let mut out = bundle.to_vec();
    out[start + at] ^= 0x20;
    assert_eq!(out.len(), bundle.len());
    out
}

fn flip_byte(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[at] ^= 0x01;
    out
}

/// Flips the low bit of the hex digit of `s` at `at` (0 <-> 1, a <-> b, ...).
fn flip_hex(s: &str, at: usize) -> String {
    let mut b = s.as_bytes().to_vec();
    let v = (b[at] as char).to_digit(16).expect("a hex digit") ^ 1;
    b[at] = char::from_digit(v, 16).unwrap() as u8;
    String::from_utf8(b).unwrap()
}

// ---------------------------------------------------------------------------
// 1. Tampered hash tiles

#[test]
fn tampered_hash_tile_is_refused() {
    let mut w = World::new();
    w.grow();
    // The tiles on the tree's right edge, which hash to the signed root, and
    // the full tile 0 cut short. (A full tile altered in place is
    // `tampered_full_hash_tile_is_tampering_not_a_fork`.)
    for (tile, whole) in [
        ("tile/0/001.p/44", true),
        ("tile/1/000.p/1", true),
        ("tile/0/000", false),
    ] {
        let honest = w.served(tile);
        let mut bad = vec![honest[..honest.len() - 32].to_vec()];
        if whole {
            bad.push(flip_byte(&honest, honest.len() - 1));
            bad.push(flip_byte(&honest, 0));
        }
        for (variant, bytes) in bad.into_iter().enumerate() {
            w.server.honest();
            w.server.set(tile, Rule::Bytes(bytes));
            let before = w.snapshot();
            let err = w.sync().unwrap_err();
            assert_eq!(
                err.blame(),
                Blame::Source,
                "{tile} variant {variant}: {err}"
            );
            let (refusal, evidence) = refused(err);
            match refusal {
                Refusal::TamperedTile(TileProblem::Inconsistent { paths }) => {
                    assert!(
                        paths.iter().any(|p| p == tile),
                        "{tile} not among {paths:?}"
                    );
                }
                other => panic!("{tile}: expected TamperedTile, got {other:?}"),
            }
            assert!(evidence.is_none());
            assert_unchanged(&before, &w.snapshot());
            assert!(w.staging_cleared());
        }
    }
    w.recovers();
}

/// A full hash tile below the right edge, altered in place (same length):
/// the source lied about a tile, the log did not fork.
#[test]
fn tampered_full_hash_tile_is_tampering_not_a_fork() {
    let mut w = World::new();
    w.grow();
    let tile = "tile/0/000";
    let honest = w.served(tile);
    for (variant, bytes) in [
        flip_byte(&honest, honest.len() - 1),
        flip_byte(&honest, 0),
        flip_byte(&honest, 32 * 200),
    ]
    .into_iter()
    .enumerate()
    {
        w.server.honest();
        w.server.set(tile, Rule::Bytes(bytes));
        let before = w.snapshot();
        let err = w.sync().unwrap_err();
        assert_eq!(err.blame(), Blame::Source, "variant {variant}: {err}");
        let (refusal, evidence) = refused(err);
        match refusal {
            Refusal::TamperedTile(TileProblem::Inconsistent { paths }) => {
                assert!(paths.iter().any(|p| p == tile), "{paths:?}");
            }
            other => panic!("variant {variant}: expected TamperedTile, got {other:?}"),
        }
        assert!(evidence.is_none());
        assert_unchanged(&before, &w.snapshot());
    }
    w.recovers();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Fork evidence made by anyone, without the log key: the honest log's two
/// checkpoints, its right-edge tiles, its full tile 0 with one leaf hash
/// altered, and the consistency proof those tiles give. It must not prove a
/// fork: the altered tile does not hash into the signed root.
#[test]
fn forged_fork_evidence_from_an_altered_full_tile_is_not_proven() {
    let mut w = World::new();
    w.grow();
    let tile0 = w.served("tile/0/000");
    let edge = w.served("tile/0/001.p/44");
    let level1 = w.served("tile/1/000.p/1");
    let leaf = |b: &[u8]| erkin_core::Hash(b.try_into().unwrap());
    // The honest leaves rebuild the honest tree.
    let mut honest = erkin_core::tree::MemoryTree::new();
    for h in tile0.chunks(32).chain(edge.chunks(32)) {
        honest.push_leaf_hash(leaf(h));
    }
    let accepted = erkin_core::checkpoint::Checkpoint::open(&w.small_checkpoint, &w.key).unwrap();
    let served = erkin_core::checkpoint::Checkpoint::open(&w.news.checkpoint(), &w.key).unwrap();
    assert_eq!(honest.root_at(SMALL), accepted.root);
    assert_eq!(honest.root(), served.root);
    // Leaf 255 altered.
    let forged_tile0 = flip_byte(&tile0, tile0.len() - 1);
    let mut forged = erkin_core::tree::MemoryTree::new();
    for h in forged_tile0.chunks(32).chain(edge.chunks(32)) {
        forged.push_leaf_hash(leaf(h));
    }
    let proof = forged.prove_consistency(SMALL, GROWN).unwrap();
    assert!(
        erkin_core::tree::check_consistency(&proof, GROWN, served.root, SMALL, accepted.root)
            .is_err()
    );
    let e = Evidence {
        format: erkin_core::evidence::EVIDENCE_FORMAT.into(),
        kind: EvidenceKind::Fork,
        verifier_key: w.key.to_string(),
        source: "https://forger.example/".into(),
        observed_at: NOW,
        accepted: String::from_utf8(w.small_checkpoint.clone()).unwrap(),
        served: String::from_utf8(w.news.checkpoint()).unwrap(),
        proof: proof.iter().map(|h| hex(&h.0)).collect(),
        tiles: [
            ("tile/0/000", &forged_tile0[..]),
            ("tile/0/001.p/44", &edge[..]),
            ("tile/1/000.p/1", &level1[..]),
        ]
        .into_iter()
        .map(|(p, d)| (p.to_string(), hex(d)))
        .collect(),
        entry: None,
        explanation: "forged".into(),
    };
    let verdict = check(&e, &w.key);
    assert!(
        matches!(verdict, Err(EvidenceError::NotProven(_))),
        "forged evidence of an honest log checked as {verdict:?}"
    );
}

#[test]
fn missing_hash_tile_is_refused() {
    let mut w = World::new();
    w.grow();
    w.server.set("tile/0/001.p/44", Rule::NotFound);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match refused(err).0 {
        Refusal::Missing { path } => assert_eq!(path, "tile/0/001.p/44"),
        other => panic!("expected Missing, got {other:?}"),
    }
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

// ---------------------------------------------------------------------------
// 2. Tampered entry bundles

#[test]
fn tampered_entry_is_refused_with_its_index() {
    let mut w = World::new();
    w.grow();
    let path = "tile/entries/001.p/44";
    let honest = w.served(path);
    // Entry 280 is the 25th of the second bundle.
    w.server
        .set(path, Rule::Bytes(tamper_entry(&honest, 44, 24)));
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    let (refusal, evidence) = refused(err);
    match refusal {
        Refusal::TamperedEntry { index, path: p } => {
            assert_eq!(index, 280);
            assert_eq!(p, path);
        }
        other => panic!("expected TamperedEntry, got {other:?}"),
    }
    assert!(evidence.is_none());
    assert_unchanged(&before, &w.snapshot());
    assert!(w.staging_cleared());
    w.recovers();
}

#[test]
fn tampered_new_entry_in_the_full_bundle_is_refused() {
    let mut w = World::new();
    w.grow();
    // Entry 100: new to the mirror, in the bundle that became full.
    let path = "tile/entries/000";
    let honest = w.served(path);
    w.server
        .set(path, Rule::Bytes(tamper_entry(&honest, 256, 100)));
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match refused(err).0 {
        Refusal::TamperedEntry { index, path: p } => {
            assert_eq!(index, 100);
            assert_eq!(p, path);
        }
        other => panic!("expected TamperedEntry, got {other:?}"),
    }
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

#[test]
fn tampered_old_entry_in_a_bundle_is_refused() {
    let mut w = World::new();
    w.grow();
    // Entry 5 is one the mirror holds already; the bundle that carries the
    // new entries 10..256 carries it too, altered.
    let path = "tile/entries/000";
    let honest = w.served(path);
    w.server
        .set(path, Rule::Bytes(tamper_entry(&honest, 256, 5)));
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match refused(err).0 {
        Refusal::TamperedEntry { index, path: p } => {
            assert_eq!(index, 5);
            assert_eq!(p, path);
        }
        other => panic!("expected TamperedEntry, got {other:?}"),
    }
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

#[test]
fn tampered_entry_on_a_first_sync_is_refused() {
    let w = World::unsynced();
    let path = "tile/entries/000.p/10";
    let honest = w.served(path);
    w.server
        .set(path, Rule::Bytes(tamper_entry(&honest, 10, 5)));
    let before = w.snapshot();
    assert!(before.store.is_none());
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match refused(err).0 {
        Refusal::TamperedEntry { index, path: p } => {
            assert_eq!(index, 5);
            assert_eq!(p, path);
        }
        other => panic!("expected TamperedEntry, got {other:?}"),
    }
    let after = w.snapshot();
    assert_unchanged(&before, &after);
    assert!(after.store.is_none(), "a refused first sync made a store");
    assert!(w.staging_cleared());
    w.recovers();
}

// ---------------------------------------------------------------------------
// 3. Malformed entry bundles

#[test]
fn truncated_entry_bundle_is_malformed() {
    let mut w = World::new();
    w.grow();
    let path = "tile/entries/001.p/44";
    let honest = w.served(path);
    let mut longer = honest.clone();
    longer.extend_from_slice(&[0, 3, b'a', b'b', b'c']);
    let cases = [
        honest[..honest.len() / 2].to_vec(),
        honest[..honest.len() - 1].to_vec(),
        // One entry too many.
        longer,
    ];
    for bytes in cases {
        w.server.honest();
        w.server.set(path, Rule::Bytes(bytes));
        let before = w.snapshot();
        let err = w.sync().unwrap_err();
        assert_eq!(err.blame(), Blame::Source);
        match refused(err).0 {
            Refusal::MalformedBundle { path: p, .. } => assert_eq!(p, path),
            other => panic!("expected MalformedBundle, got {other:?}"),
        }
        assert_unchanged(&before, &w.snapshot());
        assert!(w.staging_cleared());
    }
    w.recovers();
}

#[test]
fn missing_entry_bundle_is_refused() {
    let mut w = World::new();
    w.grow();
    w.server.set("tile/entries/001.p/44", Rule::NotFound);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match refused(err).0 {
        Refusal::Missing { path } => assert_eq!(path, "tile/entries/001.p/44"),
        other => panic!("expected Missing, got {other:?}"),
    }
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

#[test]
fn body_cut_short_by_the_connection_is_a_network_failure() {
    let mut w = World::new();
    w.grow();
    let path = "tile/entries/001.p/44";
    w.server.set(path, Rule::CutShort);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    // The declared length was not delivered: not the copy's fault, retry later.
    assert_eq!(err.blame(), Blame::Local);
    match refused(err).0 {
        Refusal::Unreadable(ReadError::Io { path: p, .. }) => assert_eq!(p, path),
        other => panic!("expected Unreadable(Io), got {other:?}"),
    }
    assert_eq!(w.server.requests_of(path), 2, "one retry");
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

// ---------------------------------------------------------------------------
// 4. Tampered and missing blobs

#[test]
fn tampered_blob_is_refused() {
    let mut w = World::new();
    let id = w.grow();
    let path = format!("blob/{id}");
    let honest = w.served(&path);
    let same_length = flip_byte(&honest, 10);
    let mut longer = honest.clone();
    longer.extend_from_slice(b"\n<script>alert(1)</script>");
    for bytes in [same_length, longer] {
        w.server.honest();
        w.server.set(&path, Rule::Bytes(bytes.clone()));
        let before = w.snapshot();
        let err = w.sync().unwrap_err();
        assert_eq!(err.blame(), Blame::Source);
        match err {
            MirrorError::TamperedBlob { path: p, error } => {
                assert_eq!(p, path);
                assert_eq!(
                    error,
                    BlobError::HashMismatch {
                        expected: id,
                        found: BlobId::of(&bytes)
                    }
                );
            }
            other => panic!("expected TamperedBlob, got {other:?}"),
        }
        let after = w.snapshot();
        assert_unchanged(&before, &after);
        assert!(!after.store.unwrap().2.contains(&id.to_string()));
        assert!(w.staging_cleared());
    }
    w.recovers();
}

#[test]
fn missing_blob_is_refused() {
    let mut w = World::new();
    let id = w.grow();
    let path = format!("blob/{id}");
    w.server.set(&path, Rule::NotFound);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match err {
        MirrorError::MissingBlob { path: p } => assert_eq!(p, path),
        other => panic!("expected MissingBlob, got {other:?}"),
    }
    assert_eq!(w.server.requests_of(&path), 1, "a 404 is not retried");
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

// ---------------------------------------------------------------------------
// 5. Rollback

#[test]
fn rollback_is_refused_with_evidence() {
    let mut w = World::new();
    w.grow();
    assert_eq!(w.sync().unwrap().new_size, GROWN);
    let grown_checkpoint = w.news.checkpoint();

    // The source goes back to the checkpoint it served before growing.
    w.server
        .set("checkpoint", Rule::Bytes(w.small_checkpoint.clone()));
    let before = w.snapshot();
    assert!(before.evidence.is_empty());
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Rollback);
    let (refusal, evidence_path) = refused(err);
    match &refusal {
        Refusal::Rollback {
            accepted, served, ..
        } => {
            assert_eq!(*accepted, GROWN);
            assert_eq!(*served, SMALL);
        }
        other => panic!("expected Rollback, got {other:?}"),
    }
    let after = w.snapshot();
    let (name, bytes) = assert_unchanged_but_evidence(&before, &after);
    assert_eq!(name, format!("rollback-{NOW}.json"));
    assert_eq!(
        evidence_path.as_deref(),
        Some(&*w.mirror.join("evidence").join(&name))
    );
    assert!(w.staging_cleared());

    let e = Evidence::from_json(&bytes).unwrap();
    assert_eq!(e.kind, EvidenceKind::Rollback);
    assert_eq!(e.source, w.server.url());
    assert_eq!(e.observed_at, NOW);
    assert_eq!(e.accepted.as_bytes(), &grown_checkpoint[..]);
    assert_eq!(e.served.as_bytes(), &w.small_checkpoint[..]);
    assert_eq!(
        check(&e, &w.key),
        Ok(Verdict::Rollback {
            accepted: GROWN,
            served: SMALL
        })
    );
    // Another log's key proves nothing.
    assert!(check(&e, key(ORIGIN).verifier_key()).is_err());

    // Tampered evidence proves nothing either.
    let mut bad = e.clone();
    bad.proof[0] = flip_hex(&bad.proof[0], 0);
    assert!(
        matches!(check(&bad, &w.key), Err(EvidenceError::NotProven(_))),
        "{:?}",
        check(&bad, &w.key)
    );
    let mut bad = e.clone();
    bad.served = bad.accepted.clone();
    assert!(matches!(
        check(&bad, &w.key),
        Err(EvidenceError::NotProven(_))
    ));
    let mut bad = e.clone();
    bad.served = bad.served.replacen("\n10\n", "\n11\n", 1);
    assert_ne!(bad.served, e.served);
    assert!(matches!(
        check(&bad, &w.key),
        Err(EvidenceError::BadCheckpoint {
            which: "served",
            ..
        })
    ));

    // A second rollback gets its own file; the first is kept.
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Rollback);
    let third = w.snapshot();
    let (name2, _) = assert_unchanged_but_evidence(&after, &third);
    assert_ne!(name2, name);

    // Honest again: up to date, nothing to take.
    w.server.honest();
    let report = w.sync().unwrap();
    assert_eq!((report.old_size, report.new_size), (GROWN, GROWN));
    w.recovers();
}

// ---------------------------------------------------------------------------
// 6. Forks

/// A second publication signed by the same log key, with other entries.
fn fork_of(w: &World, size: u64) -> (Newsroom, PathBuf) {
    let mut fork = Newsroom::found(&w.path("fork-data"), "Forked history", &w.news.log);
    fork.statements_to(size, "forked");
    let site = w.path("fork-export");
    fork.export(&site);
    (fork, site)
}

#[track_caller]
fn fork_evidence(w: &World, err: MirrorError) -> (String, Evidence) {
    assert_eq!(err.blame(), Blame::Fork, "{err}");
    let (refusal, path) = refused(err);
    let Refusal::Fork { .. } = &refusal else {
        panic!("expected Fork, got {refusal:?}");
    };
    let path = path.expect("fork evidence saved");
    assert!(path.starts_with(w.mirror.join("evidence")));
    let bytes = fs::read(&path).unwrap();
    let e = Evidence::from_json(&bytes).unwrap();
    assert_eq!(e.kind, EvidenceKind::Fork);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(name, format!("fork-{NOW}.json"));
    (name, e)
}

#[test]
fn fork_of_the_same_size_is_refused_with_evidence() {
    let w = World::new();
    let (fork, site) = fork_of(&w, SMALL);
    w.server.set_root(&site);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    let (name, e) = fork_evidence(&w, err);
    let (added, _) = assert_unchanged_but_evidence(&before, &w.snapshot());
    assert_eq!(added, name);
    assert!(w.staging_cleared());
    assert_eq!(e.accepted.as_bytes(), &w.small_checkpoint[..]);
    assert_eq!(e.served.as_bytes(), &fork.checkpoint()[..]);
    assert_eq!(
        check(&e, &w.key),
        Ok(Verdict::Fork {
            how: ForkProof::SameSizeDifferentRoots { size: SMALL }
        })
    );
    let mut bad = e.clone();
    bad.served = bad.accepted.clone();
    assert!(matches!(
        check(&bad, &w.key),
        Err(EvidenceError::NotProven(_))
    ));
    // A flipped character of the root breaks the signature.
    let mut bad = e.clone();
    let root_at = bad.served.find("\n10\n").unwrap() + 4;
    let mut b = bad.served.into_bytes();
    b[root_at] = if b[root_at] == b'A' { b'B' } else { b'A' };
    bad.served = String::from_utf8(b).unwrap();
    assert!(matches!(
        check(&bad, &w.key),
        Err(EvidenceError::BadCheckpoint {
            which: "served",
            ..
        })
    ));
    w.recovers();
}

#[track_caller]
fn check_inconsistent_evidence(w: &World, e: &Evidence, smaller: u64, larger: u64) {
    assert_eq!(
        check(e, &w.key),
        Ok(Verdict::Fork {
            how: ForkProof::InconsistentTrees { smaller, larger }
        })
    );
    assert!(!e.tiles.is_empty());
    // Each tile, altered in one hex digit, no longer proves the fork.
    for (path, hex) in &e.tiles {
        for at in [0, hex.len() - 1] {
            let mut bad = e.clone();
            bad.tiles.insert(path.clone(), flip_hex(hex, at));
            assert!(
                matches!(check(&bad, &w.key), Err(EvidenceError::NotProven(_))),
                "{path}@{at}: {:?}",
                check(&bad, &w.key)
            );
        }
    }
    // Nor without its tiles, nor with another proof.
    let mut bad = e.clone();
    bad.tiles.clear();
    assert!(check(&bad, &w.key).is_err());
    let mut bad = e.clone();
    bad.proof[0] = flip_hex(&bad.proof[0], 3);
    assert!(check(&bad, &w.key).is_err());
    // Nor with the served checkpoint altered.
    let mut bad = e.clone();
    bad.served = bad.served.replacen(ORIGIN, "hostile.example/newz", 1);
    assert!(matches!(
        check(&bad, &w.key),
        Err(EvidenceError::BadCheckpoint { .. })
    ));
}

#[test]
fn bigger_fork_is_refused_with_evidence() {
    let w = World::new();
    // The fork's tiles are authentic for its own checkpoint; its tree does
    // not contain the mirror's.
    let (_fork, site) = fork_of(&w, GROWN);
    w.server.set_root(&site);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    let (name, e) = fork_evidence(&w, err);
    let (added, _) = assert_unchanged_but_evidence(&before, &w.snapshot());
    assert_eq!(added, name);
    assert!(w.staging_cleared());
    check_inconsistent_evidence(&w, &e, SMALL, GROWN);
    w.recovers();
}

#[test]
fn bigger_fork_of_a_mirror_holding_full_tiles_is_refused() {
    let mut w = World::new();
    w.grow();
    assert_eq!(w.sync().unwrap().new_size, GROWN);
    // The mirror holds the full tile 0 of its tree; the fork's differs.
    let (_fork, site) = fork_of(&w, 520);
    w.server.set_root(&site);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    let (_, e) = fork_evidence(&w, err);
    assert_unchanged_but_evidence(&before, &w.snapshot());
    check_inconsistent_evidence(&w, &e, GROWN, 520);
    w.recovers();
}

#[test]
fn smaller_fork_is_a_fork_not_a_rollback() {
    let mut w = World::new();
    w.grow();
    assert_eq!(w.sync().unwrap().new_size, GROWN);
    let (_fork, site) = fork_of(&w, SMALL);
    w.server.set_root(&site);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    let (_, e) = fork_evidence(&w, err);
    assert_unchanged_but_evidence(&before, &w.snapshot());
    check_inconsistent_evidence(&w, &e, SMALL, GROWN);
    w.recovers();
}

// ---------------------------------------------------------------------------
// 7. Checkpoints not signed by the pinned key

#[test]
fn checkpoint_signed_by_another_key_is_refused() {
    let mut w = World::new();
    w.grow();
    // An impostor with a key of the same name, and a whole copy of its own.
    let impostor_key = key(ORIGIN);
    let mut impostor = Newsroom::found(&w.path("impostor-data"), "Hostile test", &impostor_key);
    impostor.statements_to(GROWN + 5, "impostor");
    let site = w.path("impostor-export");
    impostor.export(&site);
    w.server.set_root(&site);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match refused(err).0 {
        Refusal::BadCheckpoint(CheckpointError::Note(NoteError::NotSignedBy { .. })) => {}
        other => panic!("expected BadCheckpoint(NotSignedBy), got {other:?}"),
    }
    assert_unchanged(&before, &w.snapshot());

    // The right signer, an altered size.
    w.server.set_root(&w.export);
    let honest = w.served("checkpoint");
    let text = String::from_utf8(honest).unwrap();
    let altered = text.replacen("\n300\n", "\n301\n", 1);
    assert_ne!(altered, text);
    w.server
        .set("checkpoint", Rule::Bytes(altered.into_bytes()));
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match refused(err).0 {
        Refusal::BadCheckpoint(CheckpointError::Note(NoteError::BadSignature { .. })) => {}
        other => panic!("expected BadCheckpoint(BadSignature), got {other:?}"),
    }
    assert_unchanged(&before, &w.snapshot());

    // Not a checkpoint at all.
    w.server
        .set("checkpoint", Rule::Bytes(b"<html>gateway</html>".to_vec()));
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    assert!(
        matches!(refused(err).0, Refusal::BadCheckpoint(_)),
        "expected BadCheckpoint"
    );
    assert_unchanged(&before, &w.snapshot());

    // No checkpoint.
    w.server.set("checkpoint", Rule::NotFound);
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    assert!(matches!(refused(err).0, Refusal::NoCheckpoint));
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

#[test]
fn a_key_other_than_the_pinned_one_is_refused() {
    let mut w = World::new();
    w.grow();
    let mut options = w.options();
    let other = key(ORIGIN);
    options.key = Some(other.verifier_key().clone());
    let before = w.snapshot();
    let err = w.sync_with(&options).unwrap_err();
    assert_eq!(err.blame(), Blame::Local);
    match err {
        MirrorError::KeyMismatch { pinned, given, .. } => {
            assert_eq!(pinned, w.key.to_string());
            assert_eq!(given, other.verifier_key().to_string());
        }
        other => panic!("expected KeyMismatch, got {other:?}"),
    }
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

// ---------------------------------------------------------------------------
// 8. Stalls

/// `path_of` names the stalled path, given the new article's blob.
fn stall_case(rule: Rule, path_of: impl Fn(&BlobId) -> String) {
    let mut w = World::new();
    let new_blob = w.grow();
    let path = path_of(&new_blob);
    w.server.set(&path, rule);
    w.server.clear_requests();
    let mut options = w.options();
    options.http.timeout = Duration::from_secs(1);
    options.http.retries = 1;
    let before = w.snapshot();
    let started = Instant::now();
    let err = w.sync_with(&options).unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(15), "a stall took {took:?}");
    assert_eq!(err.blame(), Blame::Local, "{err}");
    match refused(err).0 {
        Refusal::Unreadable(ReadError::Io { path: p, .. }) => assert_eq!(p, path),
        other => panic!("expected Unreadable(Io), got {other:?}"),
    }
    assert_eq!(w.server.requests_of(&path), 2, "one try and one retry");
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

#[test]
fn stalled_bundle_times_out() {
    stall_case(Rule::Stall, |_| "tile/entries/001.p/44".into());
}

#[test]
fn bundle_stalled_after_headers_times_out() {
    stall_case(Rule::StallAfterHeaders, |_| "tile/entries/001.p/44".into());
}

#[test]
fn stalled_checkpoint_times_out() {
    stall_case(Rule::StallAfterHeaders, |_| "checkpoint".into());
}

#[test]
fn stalled_blob_times_out() {
    stall_case(Rule::Stall, |id| format!("blob/{id}"));
}

/// An interrupted sync keeps what it fetched, to resume: but what a hostile
/// source served before it stalled must not poison a later sync from an
/// honest source.
#[test]
fn interrupted_sync_from_a_liar_does_not_poison_an_honest_source() {
    let mut w = World::new();
    w.grow();
    let full = "tile/entries/000";
    w.server
        .set(full, Rule::Bytes(tamper_entry(&w.served(full), 256, 100)));
    w.server.set("tile/entries/001.p/44", Rule::Stall);
    let mut options = w.options();
    options.http.timeout = Duration::from_secs(1);
    let before = w.snapshot();
    let err = w.sync_with(&options).unwrap_err();
    assert_eq!(err.blame(), Blame::Local, "{err}");
    assert_unchanged(&before, &w.snapshot());

    // Another host, honest, serving the same log.
    let honest = Hostile::start(&w.export);
    let report = w
        .sync_from(&honest.url(), &w.options())
        .expect("an honest source after an interrupted sync from a lying one");
    assert_eq!(report.new_size, GROWN);
}

#[test]
fn interrupted_sync_resumes() {
    let mut w = World::new();
    w.grow();
    w.server.set("tile/entries/001.p/44", Rule::Stall);
    let mut options = w.options();
    options.http.timeout = Duration::from_secs(1);
    let err = w.sync_with(&options).unwrap_err();
    assert_eq!(err.blame(), Blame::Local, "{err}");
    w.server.honest();
    w.server.clear_requests();
    let report = w.sync().unwrap();
    assert_eq!(report.new_size, GROWN);
    // The full bundle fetched before the stall is not fetched again.
    assert_eq!(w.server.requests_of("tile/entries/000"), 0);
    assert_eq!(w.server.requests_of("tile/entries/001.p/44"), 1);
    w.recovers();
}

// ---------------------------------------------------------------------------
// 9. Oversize responses

#[test]
fn oversize_checkpoint_is_refused() {
    let mut w = World::new();
    w.grow();
    let huge = vec![b'x'; 1 << 20];
    for rule in [Rule::Bytes(huge.clone()), Rule::Chunked(huge)] {
        w.server.honest();
        w.server.clear_requests();
        w.server.set("checkpoint", rule.clone());
        let before = w.snapshot();
        let err = w.sync().unwrap_err();
        assert_eq!(err.blame(), Blame::Source, "{rule:?}: {err}");
        match refused(err).0 {
            Refusal::Unreadable(ReadError::TooLarge { path, max }) => {
                assert_eq!(path, "checkpoint");
                assert_eq!(max, MAX_CHECKPOINT_LEN as u64);
            }
            other => panic!("{rule:?}: expected Unreadable(TooLarge), got {other:?}"),
        }
        assert_eq!(w.server.requests_of("checkpoint"), 1, "not retried");
        assert_unchanged(&before, &w.snapshot());
        assert!(w.staging_cleared());
    }
    w.recovers();
}

#[test]
fn gzip_bomb_is_cut_off() {
    let mut w = World::new();
    let id = w.grow();
    // Bodies that cross the wire well under the limit and inflate far over
    // it: the limit is on what the body inflates to.
    let checkpoint_bomb = vec![b'\n'; 4 << 20];
    assert!(gzip(&checkpoint_bomb).len() < MAX_CHECKPOINT_LEN);
    w.server.set("checkpoint", Rule::Gzip(checkpoint_bomb));
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source, "{err}");
    match refused(err).0 {
        Refusal::Unreadable(ReadError::TooLarge { path, max }) => {
            assert_eq!(path, "checkpoint");
            assert_eq!(max, MAX_CHECKPOINT_LEN as u64);
        }
        other => panic!("expected Unreadable(TooLarge), got {other:?}"),
    }
    assert_unchanged(&before, &w.snapshot());
    // A blob bomb against a blob limit of 128 KiB.
    w.server.honest();
    let path = format!("blob/{id}");
    let blob_bomb = vec![0u8; 64 << 20];
    assert!(gzip(&blob_bomb).len() < 128 << 10);
    w.server.set(&path, Rule::Gzip(blob_bomb));
    let mut options = w.options();
    options.max_blob_len = 128 << 10;
    let err = w.sync_with(&options).unwrap_err();
    assert_eq!(err.blame(), Blame::Source, "{err}");
    match refused(err).0 {
        Refusal::Unreadable(ReadError::TooLarge { path: p, max }) => {
            assert_eq!(p, path);
            assert_eq!(max, 128 << 10);
        }
        other => panic!("expected Unreadable(TooLarge), got {other:?}"),
    }
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

#[test]
fn oversize_tile_is_refused() {
    let mut w = World::new();
    w.grow();
    let tile = "tile/0/001.p/44";
    w.server.set(tile, Rule::Chunked(vec![7; 1 << 20]));
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match refused(err).0 {
        Refusal::Unreadable(ReadError::TooLarge { path, .. }) => assert_eq!(path, tile),
        other => panic!("expected Unreadable(TooLarge), got {other:?}"),
    }
    assert_unchanged(&before, &w.snapshot());
    w.recovers();
}

#[test]
fn oversize_blob_is_refused() {
    let mut w = World::new();
    let id = w.grow();
    let path = format!("blob/{id}");
    let mut options = w.options();
    options.max_blob_len = 256;
    assert!(w.served(&path).len() > 256);
    // Honestly served, but larger than this mirror takes; then a hostile
    // megabyte with and without a length.
    let rules = [
        None,
        Some(Rule::Bytes(vec![b'x'; 1 << 20])),
        Some(Rule::Chunked(vec![b'x'; 1 << 20])),
    ];
    for rule in rules {
        w.server.honest();
        if let Some(r) = &rule {
            w.server.set(&path, r.clone());
        }
        let before = w.snapshot();
        let err = w.sync_with(&options).unwrap_err();
        assert_eq!(err.blame(), Blame::Source, "{rule:?}: {err}");
        match refused(err).0 {
            Refusal::Unreadable(ReadError::TooLarge { path: p, max }) => {
                assert_eq!(p, path);
                assert_eq!(max, 256);
            }
            other => panic!("{rule:?}: expected Unreadable(TooLarge), got {other:?}"),
        }
        assert_unchanged(&before, &w.snapshot());
        assert!(w.staging_cleared());
    }
    w.recovers();
}

// ---------------------------------------------------------------------------
// 10. A misbehaving sequencer

/// Appends to the newsroom's log, without the fold: four statements, one by
/// a stranger (not a member), then four more. Returns the stranger's index.
fn append_forbidden(news: &Newsroom) -> u64 {
    let mut store = erkin_store::Store::open(&news.dir).unwrap();
    let size = store.size();
    let time = T0 + size;
    let stranger = key("stranger");
    let statement = |text: String, signer: &erkin_core::keys::SecretKey| {
        let body = EntryBody {
            time,
            action: erkin_core::action::Action::Statement(erkin_core::action::Statement { text }),
        };
        sign_entry(ORIGIN, &body, signer).unwrap()
    };
    let mut entries: Vec<Vec<u8>> = (0..4)
        .map(|i| statement(format!("before {i}"), &news.editor))
        .collect();
    entries.push(statement("I am not a member".into(), &stranger));
    entries.extend((0..4).map(|i| statement(format!("after {i}"), &news.editor)));
    store.append(&entries, &news.log, size).unwrap();
    size + 4
}

#[track_caller]
fn check_misbehaviour(w: &World, err: MirrorError, index: u64, before: &Snapshot) {
    assert_eq!(err.blame(), Blame::Misbehaviour, "{err}");
    let (refusal, path) = refused(err);
    match &refusal {
        Refusal::Misbehaviour {
            index: i,
            rejection,
            ..
        } => {
            assert_eq!(*i, index);
            assert!(rejection.contains("not a member"), "{rejection}");
        }
        other => panic!("expected Misbehaviour, got {other:?}"),
    }
    let (name, bytes) = assert_unchanged_but_evidence(before, &w.snapshot());
    assert_eq!(name, format!("misbehaviour-{NOW}.json"));
    assert_eq!(path, Some(w.mirror.join("evidence").join(&name)));
    assert!(w.staging_cleared());
    let e = Evidence::from_json(&bytes).unwrap();
    assert_eq!(e.kind, EvidenceKind::Misbehaviour);
    let verdict = check(&e, &w.key).unwrap();
    match verdict {
        Verdict::ForbiddenEntry {
            index: i,
            rejection,
        } => {
            assert_eq!(i, index);
            assert!(rejection.contains("not a member"), "{rejection}");
        }
        other => panic!("expected ForbiddenEntry, got {other:?}"),
    }
    let entry = e.entry.as_ref().unwrap();
    assert!(entry.entry.contains("I am not a member"));
    // The inclusion proof is for that entry at that index only.
    let mut bad = e.clone();
    bad.entry.as_mut().unwrap().index = index + 1;
    assert!(matches!(
        check(&bad, &w.key),
        Err(EvidenceError::NotProven(_))
    ));
    let mut bad = e.clone();
    let forged = entry.entry.replacen("I am not", "I am now", 1);
    bad.entry.as_mut().unwrap().entry = forged;
    assert!(matches!(
        check(&bad, &w.key),
        Err(EvidenceError::NotProven(_))
    ));
}

#[test]
fn forbidden_entry_is_misbehaviour_with_evidence() {
    let w = World::new();
    let index = append_forbidden(&w.news);
    let site = w.path("forbidden-copy");
    raw_copy(&w.news.dir, &site);
    w.server.set_root(&site);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    check_misbehaviour(&w, err, index, &before);
    // The source stays as it is: every later sync refuses the same way.
    let again = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Misbehaviour);
    assert_unchanged_but_evidence(&again, &w.snapshot());
}

#[test]
fn forbidden_entry_on_a_first_sync_is_misbehaviour() {
    let w = World::unsynced();
    let index = append_forbidden(&w.news);
    let site = w.path("forbidden-copy");
    raw_copy(&w.news.dir, &site);
    w.server.set_root(&site);
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    check_misbehaviour(&w, err, index, &before);
    assert!(
        w.snapshot().store.is_none(),
        "a store holding the forbidden entry"
    );
}

// ---------------------------------------------------------------------------
// 11. Bundles

/// A member of a hand-made bundle.
enum Member {
    /// A regular file; the path is written into the header as given.
    File(&'static str, Vec<u8>),
    /// A regular file with any path (long ones get a GNU long name).
    Plain(String, Vec<u8>),
    Symlink(&'static str, &'static str),
    HardLink(&'static str, &'static str),
    Dir(&'static str),
}

fn raw_header(path: &str, kind: tar::EntryType, len: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    let name = &mut h.as_gnu_mut().unwrap().name;
    assert!(path.len() < name.len());
    name.fill(0);
    name[..path.len()].copy_from_slice(path.as_bytes());
    h.set_size(len);
    h.set_mode(0o644);
    h.set_mtime(T0);
    h.set_entry_type(kind);
    h
}

fn tar_gz(members: &[Member]) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for m in members {
        match m {
            Member::File(path, data) => {
                let mut h = raw_header(path, tar::EntryType::Regular, data.len() as u64);
                h.set_cksum();
                b.append(&h, &data[..]).unwrap();
            }
            Member::Plain(path, data) => {
                let mut h = tar::Header::new_gnu();
                h.set_size(data.len() as u64);
                h.set_mode(0o644);
                h.set_mtime(T0);
                h.set_entry_type(tar::EntryType::Regular);
                b.append_data(&mut h, path, &data[..]).unwrap();
            }
            Member::Symlink(path, target) | Member::HardLink(path, target) => {
                let kind = if matches!(m, Member::Symlink(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                };
                let mut h = raw_header(path, kind, 0);
                h.set_link_name(target).unwrap();
                h.set_cksum();
                b.append(&h, std::io::empty()).unwrap();
            }
            Member::Dir(path) => {
                let mut h = raw_header(path, tar::EntryType::Directory, 0);
                h.set_cksum();
                b.append(&h, std::io::empty()).unwrap();
            }
        }
    }
    b.into_inner().unwrap().finish().unwrap()
}

/// The members of a bundle file, in order.
fn members_of(bundle: &Path) -> Vec<(String, Vec<u8>)> {
    let f = fs::File::open(bundle).unwrap();
    let mut a = tar::Archive::new(flate2::read::GzDecoder::new(f));
    a.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let path = String::from_utf8(e.path_bytes().into_owned()).unwrap();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            (path, data)
        })
        .collect()
}

/// The same members, rebuilt into a bundle.
fn rebuild(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let ms: Vec<Member> = members
        .iter()
        .map(|(p, d)| Member::Plain(p.clone(), d.clone()))
        .collect();
    tar_gz(&ms)
}

struct BundleWorld {
    w: World,
    /// The members of a real bundle of the grown log.
    real: Vec<(String, Vec<u8>)>,
    real_file: PathBuf,
    new_blob: BlobId,
}

impl BundleWorld {
    fn new() -> Self {
        let mut w = World::new();
        let new_blob = w.grow();
        let real_file = w.path("real.tar.gz");
        write_bundle(&w.news.p, &real_file, 0).unwrap();
        let real = members_of(&real_file);
        assert_eq!(real[0].0, erkin_mirror::bundle::MANIFEST);
        assert_eq!(real.last().unwrap().0, "checkpoint");
        Self {
            w,
            real,
            real_file,
            new_blob,
        }
    }

    fn manifest(&self) -> Member {
        Member::File(erkin_mirror::bundle::MANIFEST, self.real[0].1.clone())
    }

    /// Some real log members after the manifest, so a refusal comes after
    /// files were unpacked into staging.
    fn some_log_members(&self) -> Vec<Member> {
        self.real
            .iter()
            .filter(|(p, _)| p.starts_with("tile/"))
            .take(2)
            .map(|(p, d)| Member::Plain(p.clone(), d.clone()))
            .collect()
    }

    /// Writes `bytes` as a bundle file and syncs the mirror from it.
    fn sync_bundle(&self, name: &str, bytes: &[u8]) -> Result<SyncReport, MirrorError> {
        let file = self.w.path(name);
        fs::write(&file, bytes).unwrap();
        self.w.sync_from(file.to_str().unwrap(), &self.w.options())
    }

    /// A hostile bundle must be refused as `expect` says, with exit 3, and
    /// change nothing anywhere.
    #[track_caller]
    fn refuses(&self, name: &str, bytes: &[u8], expect: impl FnOnce(&BundleError) -> bool) {
        let before = self.w.snapshot();
        let outside_before = files_under(self.w.tmp.path())
            .into_keys()
            .filter(|k| !k.starts_with("mirror/") && !k.starts_with(name))
            .collect::<Vec<_>>();
        let err = self.sync_bundle(name, bytes).unwrap_err();
        assert_eq!(err.blame(), Blame::Source, "{name}: {err}");
        match &err {
            MirrorError::Bundle(e) => assert!(expect(e), "{name}: unexpected {e:?}"),
            other => panic!("{name}: expected MirrorError::Bundle, got {other:?}"),
        }
        assert_unchanged(&before, &self.w.snapshot());
        assert!(self.w.staging_cleared(), "{name}: staging left behind");
        let outside_after = files_under(self.w.tmp.path())
            .into_keys()
            .filter(|k| !k.starts_with("mirror/") && !k.starts_with(name))
            .collect::<Vec<_>>();
        assert_eq!(outside_before, outside_after, "{name}: wrote outside");
        for escaped in [
            self.w.path("escape"),
            self.w.mirror.join("escape"),
            self.w.mirror.join(".sync").join("escape"),
            PathBuf::from("../escape"),
            PathBuf::from("escape"),
        ] {
            assert!(
                !escaped.exists(),
                "{name}: {} was created",
                escaped.display()
            );
        }
    }
}

#[test]
fn bundle_with_an_escaping_path_is_refused() {
    let b = BundleWorld::new();
    for (name, path) in [
        ("dotdot.tar.gz", "../escape"),
        ("dotdot3.tar.gz", "../../../escape"),
        ("dotdot-inner.tar.gz", "tile/../../../../escape"),
        ("dot.tar.gz", "./checkpoint"),
    ] {
        let mut ms = vec![b.manifest()];
        ms.extend(b.some_log_members());
        ms.push(Member::File(path, b"owned".to_vec()));
        b.refuses(name, &tar_gz(&ms), |e| {
            matches!(e, BundleError::UnsafePath { path: p, reason: "dot component" } if p == path)
        });
    }
    b.w.recovers();
}

#[test]
fn bundle_with_an_absolute_path_is_refused() {
    let b = BundleWorld::new();
    let target = b.w.path("absolute-target");
    let target = target.to_str().unwrap();
    let target: &'static str = Box::leak(target.to_string().into_boxed_str());
    let mut ms = vec![b.manifest()];
    ms.extend(b.some_log_members());
    ms.push(Member::File(target, b"owned".to_vec()));
    b.refuses(
        "absolute.tar.gz",
        &tar_gz(&ms),
        |e| matches!(e, BundleError::UnsafePath { path, reason: "absolute" } if path == target),
    );
    assert!(!Path::new(target).exists());
    b.w.recovers();
}

#[test]
fn bundle_with_links_is_refused() {
    let b = BundleWorld::new();
    let secret = b.w.path("secret");
    fs::write(&secret, b"not for the mirror").unwrap();
    let secret: &'static str = Box::leak(secret.to_str().unwrap().to_string().into_boxed_str());
    for (name, member, kind) in [
        (
            "symlink.tar.gz",
            Member::Symlink("checkpoint", secret),
            "symlink",
        ),
        (
            "symlink-dir.tar.gz",
            Member::Symlink("tile", "/"),
            "symlink",
        ),
        (
            "hardlink.tar.gz",
            Member::HardLink("checkpoint", secret),
            "link",
        ),
        ("dir.tar.gz", Member::Dir("tile/"), "directory"),
    ] {
        let mut ms = vec![b.manifest()];
        ms.extend(b.some_log_members());
        ms.push(member);
        b.refuses(
            name,
            &tar_gz(&ms),
            |e| matches!(e, BundleError::NotAFile { kind: k, .. } if k == kind),
        );
    }
    assert_eq!(fs::read(b.w.path("secret")).unwrap(), b"not for the mirror");
    b.w.recovers();
}

#[test]
fn bundle_with_a_duplicate_member_is_refused() {
    let b = BundleWorld::new();
    // The same path twice: a real tile, then another one under its name.
    let (path, data) = b
        .real
        .iter()
        .find(|(p, _)| p == "tile/entries/001.p/44")
        .unwrap()
        .clone();
    let mut ms: Vec<Member> = b
        .real
        .iter()
        .map(|(p, d)| Member::Plain(p.clone(), d.clone()))
        .collect();
    let last = ms.pop().unwrap();
    ms.push(Member::Plain(path.clone(), tamper_entry(&data, 44, 3)));
    ms.push(last);
    b.refuses(
        "dup.tar.gz",
        &tar_gz(&ms),
        |e| matches!(e, BundleError::Duplicate { path: p } if *p == path),
    );
    // The manifest twice, and the checkpoint twice.
    let mut ms = vec![b.manifest(), b.manifest()];
    ms.extend(b.some_log_members());
    b.refuses(
        "dup-manifest.tar.gz",
        &tar_gz(&ms),
        |e| matches!(e, BundleError::Duplicate { path } if path == erkin_mirror::bundle::MANIFEST),
    );
    let mut all = b.real.clone();
    all.push(("checkpoint".into(), b.w.small_checkpoint.clone()));
    b.refuses(
        "dup-checkpoint.tar.gz",
        &rebuild(&all),
        |e| matches!(e, BundleError::Duplicate { path } if path == "checkpoint"),
    );
    b.w.recovers();
}

#[test]
fn bundle_with_an_oversize_member_is_refused() {
    let b = BundleWorld::new();
    let mut ms = vec![b.manifest()];
    ms.extend(b.some_log_members());
    ms.push(Member::File("checkpoint", vec![b'x'; 100_000]));
    b.refuses("big-checkpoint.tar.gz", &tar_gz(&ms), |e| {
        matches!(e, BundleError::MemberTooLarge { path, len: 100_000, max }
            if path == "checkpoint" && *max == MAX_CHECKPOINT_LEN as u64)
    });
    // A hash tile longer than its width allows.
    let mut ms = vec![b.manifest()];
    ms.push(Member::File("tile/0/001.p/44", vec![0; 45 * 32]));
    b.refuses("big-tile.tar.gz", &tar_gz(&ms), |e| {
        matches!(e, BundleError::MemberTooLarge { path, len, max: 1408 }
            if path == "tile/0/001.p/44" && *len == 45 * 32)
    });
    // A blob larger than the limit.
    let options_limits = erkin_mirror::BundleLimits {
        max_blob_len: 100,
        ..Default::default()
    };
    let mut ms = vec![b.manifest()];
    let blob = format!("blob/{}", b.new_blob);
    let blob_bytes = b.real.iter().find(|(p, _)| *p == blob).unwrap().1.clone();
    assert!(blob_bytes.len() > 100);
    ms.push(Member::Plain(blob.clone(), blob_bytes));
    let file = b.w.path("big-blob.tar.gz");
    fs::write(&file, tar_gz(&ms)).unwrap();
    let before = b.w.snapshot();
    let mut options = b.w.options();
    options.bundle = options_limits;
    let err = b.w.sync_from(file.to_str().unwrap(), &options).unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    assert!(
        matches!(&err, MirrorError::Bundle(BundleError::MemberTooLarge { path, max: 100, .. }) if *path == blob),
        "{err:?}"
    );
    assert_unchanged(&before, &b.w.snapshot());
    b.w.recovers();
}

#[test]
fn bundle_over_its_total_or_member_limits_is_refused() {
    let b = BundleWorld::new();
    let bytes = fs::read(&b.real_file).unwrap();
    let file = b.w.path("real-copy.tar.gz");
    fs::write(&file, &bytes).unwrap();
    let before = b.w.snapshot();
    let mut options = b.w.options();
    options.bundle.max_total = 10_000;
    let err = b.w.sync_from(file.to_str().unwrap(), &options).unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    assert!(
        matches!(
            err,
            MirrorError::Bundle(BundleError::TooLarge { max: 10_000 })
        ),
        "{err:?}"
    );
    assert_unchanged(&before, &b.w.snapshot());
    let mut options = b.w.options();
    options.bundle.max_members = 3;
    let err = b.w.sync_from(file.to_str().unwrap(), &options).unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    assert!(
        matches!(
            err,
            MirrorError::Bundle(BundleError::TooManyMembers { max: 3 })
        ),
        "{err:?}"
    );
    assert_unchanged(&before, &b.w.snapshot());
    assert!(b.w.staging_cleared());
    b.w.recovers();
}

#[test]
fn bundle_without_its_manifest_first_is_refused() {
    let b = BundleWorld::new();
    // The real members, the manifest moved to the end.
    let mut moved = b.real.clone();
    let manifest = moved.remove(0);
    moved.push(manifest);
    b.refuses(
        "manifest-last.tar.gz",
        &rebuild(&moved),
        |e| matches!(e, BundleError::NotABundle(why) if why.contains("first member")),
    );
    // No manifest at all.
    b.refuses("no-manifest.tar.gz", &rebuild(&b.real[1..]), |e| {
        matches!(e, BundleError::NotABundle(_))
    });
    // A manifest of another format.
    let text = String::from_utf8(b.real[0].1.clone()).unwrap();
    let other = text.replace("erkin.bundle/v1", "erkin.bundle/v9");
    assert_ne!(other, text);
    let mut ms = vec![Member::File(
        erkin_mirror::bundle::MANIFEST,
        other.into_bytes(),
    )];
    ms.extend(b.some_log_members());
    b.refuses(
        "v9.tar.gz",
        &tar_gz(&ms),
        |e| matches!(e, BundleError::NotABundle(why) if why.contains("v9")),
    );
    // An empty archive.
    b.refuses("empty.tar.gz", &tar_gz(&[]), |e| {
        matches!(e, BundleError::NotABundle(_))
    });
    b.w.recovers();
}

#[test]
fn truncated_bundle_is_damaged() {
    let b = BundleWorld::new();
    let bytes = fs::read(&b.real_file).unwrap();
    for cut in [bytes.len() / 2, 200] {
        b.refuses(&format!("cut-{cut}.tar.gz"), &bytes[..cut], |e| {
            matches!(e, BundleError::Damaged(_))
        });
    }
    b.w.recovers();
}

#[test]
fn bundle_with_an_altered_blob_is_refused() {
    let b = BundleWorld::new();
    let blob = format!("blob/{}", b.new_blob);
    let mut members = b.real.clone();
    let m = members.iter_mut().find(|(p, _)| *p == blob).unwrap();
    m.1 = flip_byte(&m.1, 5);
    let altered = BlobId::of(&m.1);
    let file = b.w.path("altered-blob.tar.gz");
    fs::write(&file, rebuild(&members)).unwrap();
    let before = b.w.snapshot();
    let err =
        b.w.sync_from(file.to_str().unwrap(), &b.w.options())
            .unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match err {
        MirrorError::TamperedBlob { path, error } => {
            assert_eq!(path, blob);
            assert_eq!(
                error,
                BlobError::HashMismatch {
                    expected: b.new_blob,
                    found: altered
                }
            );
        }
        other => panic!("expected TamperedBlob, got {other:?}"),
    }
    assert_unchanged(&before, &b.w.snapshot());
    assert!(b.w.staging_cleared());
    // The real bundle is taken.
    let report =
        b.w.sync_from(b.real_file.to_str().unwrap(), &b.w.options())
            .unwrap();
    assert_eq!(report.new_size, GROWN);
    // A bundle is a one-off: the source remembered is still the URL.
    let m = Mirror::open(&b.w.mirror).unwrap();
    assert_eq!(m.config().source.as_deref(), Some(&*b.w.server.url()));
    drop(m);
    b.w.recovers();
}

#[test]
fn bundle_with_an_altered_entry_is_refused() {
    let b = BundleWorld::new();
    let path = "tile/entries/001.p/44";
    let mut members = b.real.clone();
    let m = members.iter_mut().find(|(p, _)| p == path).unwrap();
    m.1 = tamper_entry(&m.1, 44, 30);
    let file = b.w.path("altered-entry.tar.gz");
    fs::write(&file, rebuild(&members)).unwrap();
    let before = b.w.snapshot();
    let err =
        b.w.sync_from(file.to_str().unwrap(), &b.w.options())
            .unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    match refused(err).0 {
        Refusal::TamperedEntry { index, path: p } => {
            assert_eq!(index, 286);
            assert_eq!(p, path);
        }
        other => panic!("expected TamperedEntry, got {other:?}"),
    }
    assert_unchanged(&before, &b.w.snapshot());
    assert!(b.w.staging_cleared());
    b.w.recovers();
}

#[test]
fn bundle_with_a_swapped_checkpoint_is_refused() {
    let b = BundleWorld::new();
    // The real bundle, its checkpoint swapped for one of a same-size fork.
    let (fork, _) = fork_of(&b.w, GROWN);
    let mut members = b.real.clone();
    members.last_mut().unwrap().1 = fork.checkpoint();
    let file = b.w.path("forked.tar.gz");
    fs::write(&file, rebuild(&members)).unwrap();
    let before = b.w.snapshot();
    let err =
        b.w.sync_from(file.to_str().unwrap(), &b.w.options())
            .unwrap_err();
    // The mirror is at SMALL: the fork's tiles are not in the bundle, the
    // real ones do not hash to its root.
    assert_eq!(err.blame(), Blame::Source, "{err}");
    assert!(
        matches!(refused(err).0, Refusal::TamperedTile(_)),
        "expected TamperedTile"
    );
    assert_unchanged(&before, &b.w.snapshot());

    // Once the mirror holds the real log of that size, the same bundle
    // shows two trees of one size signed by the log key: a fork.
    b.w.sync_from(b.real_file.to_str().unwrap(), &b.w.options())
        .unwrap();
    let before = b.w.snapshot();
    let err =
        b.w.sync_from(file.to_str().unwrap(), &b.w.options())
            .unwrap_err();
    let (name, e) = fork_evidence(&b.w, err);
    let (added, _) = assert_unchanged_but_evidence(&before, &b.w.snapshot());
    assert_eq!(added, name);
    assert_eq!(e.source, file.to_str().unwrap());
    assert_eq!(
        check(&e, &b.w.key),
        Ok(Verdict::Fork {
            how: ForkProof::SameSizeDifferentRoots { size: GROWN }
        })
    );
    assert!(b.w.staging_cleared());
    b.w.recovers();
}

// ---------------------------------------------------------------------------
// Directory sources: only regular files, never FIFOs, devices or links out

/// Runs `f` on another thread and fails (rather than hangs) if it does not
/// finish within `limit`.
#[track_caller]
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("the operation hung: a directory source must never block")
}

fn mkfifo(path: &Path) {
    let _ = fs::remove_file(path);
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
}

/// A copy of the source's export in `rel`, to be made hostile.
fn export_copy(w: &World, rel: &str) -> PathBuf {
    let dir = w.path(rel);
    for (path, bytes) in files_under(&w.export) {
        let dest = dir.join(&path);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::write(dest, bytes).unwrap();
    }
    dir
}

/// Syncs `mirror` from directory `source` on another thread, with a timeout.
fn dir_sync(mirror: &Path, source: &Path, options: SyncOptions) -> Result<SyncReport, MirrorError> {
    let (mirror, source) = (mirror.to_path_buf(), source.to_path_buf());
    within(Duration::from_secs(20), move || {
        let mut m = Mirror::open(&mirror).unwrap();
        m.sync(Some(source.to_str().unwrap()), &options)
    })
}

#[track_caller]
fn assert_not_a_file(err: MirrorError, want_path: &str, want_kind: &str) {
    assert_eq!(err.blame(), Blame::Source, "{err}");
    match refused(err).0 {
        Refusal::Unreadable(ReadError::NotAFile { path, kind }) => {
            assert_eq!(path, want_path);
            assert_eq!(kind, want_kind);
        }
        other => panic!("expected NotAFile, got {other:?}"),
    }
}

#[test]
fn fifo_in_a_directory_source_is_refused_not_waited_on() {
    let w = World::unsynced();
    let dir = export_copy(&w, "fifo-bundle");
    let bundle = "tile/entries/000.p/10";
    mkfifo(&dir.join(bundle));
    let started = Instant::now();
    let err = dir_sync(&w.mirror, &dir, w.options()).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_not_a_file(err, bundle, "FIFO");
    assert!(w.snapshot().store.is_none(), "nothing committed");

    // In place of the descriptor a first sync without --key reads.
    let dir = export_copy(&w, "fifo-descriptor");
    mkfifo(&dir.join("erkin.json"));
    let options = SyncOptions {
        key: None,
        ..w.options()
    };
    let err = dir_sync(&w.mirror, &dir, options).unwrap_err();
    assert_not_a_file(err, "erkin.json", "FIFO");
}

#[test]
fn symlinks_out_of_a_directory_source_are_refused() {
    let w = World::unsynced();
    let outside = w.path("outside");
    fs::create_dir_all(&outside).unwrap();
    // A file link to a copy of the real bundle outside the source.
    let dir = export_copy(&w, "linked-file");
    let bundle = "tile/entries/000.p/10";
    fs::copy(dir.join(bundle), outside.join("bundle")).unwrap();
    fs::remove_file(dir.join(bundle)).unwrap();
    std::os::unix::fs::symlink(outside.join("bundle"), dir.join(bundle)).unwrap();
    let err = dir_sync(&w.mirror, &dir, w.options()).unwrap_err();
    assert_not_a_file(err, bundle, "symbolic link");

    // A directory link: `blob/` leads outside the source.
    let dir = export_copy(&w, "linked-dir");
    fs::rename(dir.join("blob"), outside.join("blob")).unwrap();
    std::os::unix::fs::symlink(outside.join("blob"), dir.join("blob")).unwrap();
    let err = dir_sync(&w.mirror, &dir, w.options()).unwrap_err();
    match err {
        MirrorError::Refused {
            refusal: Refusal::Unreadable(ReadError::NotAFile { path, kind }),
            ..
        } => {
            assert!(path.starts_with("blob/"), "{path}");
            assert_eq!(kind, "symbolic link");
        }
        other => panic!("expected NotAFile for a blob, got {other:?}"),
    }
    assert!(w.snapshot().store.is_none(), "nothing committed");
    // The honest copy still syncs.
    let report = dir_sync(&w.mirror, &w.export, w.options()).unwrap();
    assert_eq!(report.new_size, SMALL);
}

#[test]
fn a_device_is_not_read_as_a_file() {
    // /dev/zero would never end; the size limit alone would read it whole.
    let err = within(Duration::from_secs(10), || {
        erkin_export::read_bounded(Path::new("/dev/zero"), "tile/entries/000", 1 << 30)
    })
    .unwrap_err();
    assert_eq!(
        err,
        ReadError::NotAFile {
            path: "tile/entries/000".into(),
            kind: "device"
        }
    );
}

#[test]
fn verify_of_a_directory_with_a_fifo_reports_it_and_returns() {
    let w = World::unsynced();
    let dir = export_copy(&w, "fifo-verify");
    let bundle = "tile/entries/000.p/10";
    mkfifo(&dir.join(bundle));
    let key = w.key.clone();
    let report = within(Duration::from_secs(20), move || {
        let copy = erkin_export::DirCopy::new(&dir);
        erkin_core::verify::verify_copy(&copy, &key, 1 << 20, &mut |_, _| {}).unwrap()
    });
    assert!(
        report.findings.iter().any(|f| matches!(
            f,
            erkin_core::verify::Finding::Unreadable(ReadError::NotAFile { path, kind: "FIFO" })
                if path == bundle
        )),
        "{:?}",
        report.findings
    );
}

// ---------------------------------------------------------------------------
// A seized log key: signed checkpoints of absurd sizes

/// A checkpoint of `size` entries (any root) signed with the real log key.
fn signed_claim(w: &World, size: u64) -> Vec<u8> {
    erkin_core::checkpoint::Checkpoint {
        origin: ORIGIN.to_string(),
        size,
        root: erkin_core::checkpoint::Checkpoint::open(&w.small_checkpoint, &w.key)
            .unwrap()
            .root,
    }
    .sign(&w.news.log)
}

/// Checks an `implausible` evidence file: the log key signed `size`.
#[track_caller]
fn check_implausible(w: &World, evidence: Option<PathBuf>, accepted: u64, size: u64) {
    let path = evidence.expect("evidence saved");
    let e = Evidence::from_json(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(e.kind, EvidenceKind::Implausible);
    assert_eq!(
        check(&e, &w.key),
        Ok(Verdict::Implausible { accepted, size })
    );
    // It proves nothing against another key.
    assert!(check(&e, &key("other").verifier_key().clone()).is_err());
}

#[test]
fn absurd_signed_size_is_refused_before_anything_is_fetched() {
    for (size, implausible) in [(1u64 << 40, false), (100_000_000, false), (u64::MAX, true)] {
        let w = World::unsynced();
        w.server
            .set("checkpoint", Rule::Bytes(signed_claim(&w, size)));
        let started = Instant::now();
        let err = w.sync().unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{size}");
        assert_eq!(err.blame(), Blame::Source, "{err}");
        let (refusal, evidence) = refused(err);
        match refusal {
            Refusal::TooMuchGrowth {
                accepted,
                served,
                max,
                ..
            } if !implausible => {
                assert_eq!((accepted, served), (0, size));
                assert_eq!(max, erkin_core::sync::DEFAULT_MAX_GROWTH);
            }
            Refusal::ImplausibleSize { size: s, .. } if implausible => assert_eq!(s, size),
            other => panic!("{size}: expected a growth refusal, got {other:?}"),
        }
        // Only the checkpoint was asked for.
        assert_eq!(w.server.requests(), vec!["checkpoint".to_string()]);
        check_implausible(&w, evidence, 0, size);
        let snap = w.snapshot();
        assert!(snap.store.is_none(), "nothing committed");
        assert_eq!(snap.evidence.len(), 1);
        assert!(w.staging_cleared());
    }
}

#[test]
fn growth_beyond_the_limit_is_refused_and_a_raised_limit_takes_it() {
    let mut w = World::new();
    w.grow();
    let before = w.snapshot();
    let requests = w.server.requests().len();
    let options = SyncOptions {
        max_growth: GROWN - SMALL - 1,
        ..w.options()
    };
    let err = w.sync_with(&options).unwrap_err();
    assert_eq!(err.blame(), Blame::Source, "{err}");
    let (refusal, evidence) = refused(err);
    match refusal {
        Refusal::TooMuchGrowth {
            accepted,
            served,
            max,
            ..
        } => assert_eq!((accepted, served, max), (SMALL, GROWN, GROWN - SMALL - 1)),
        other => panic!("expected TooMuchGrowth, got {other:?}"),
    }
    assert_eq!(
        w.server.requests().len(),
        requests + 1,
        "only the checkpoint"
    );
    check_implausible(&w, evidence, SMALL, GROWN);
    assert_unchanged_but_evidence(&before, &w.snapshot());
    // Exactly the growth is allowed.
    let options = SyncOptions {
        max_growth: GROWN - SMALL,
        ..w.options()
    };
    let report = w.sync_with(&options).unwrap();
    assert_eq!(report.new_size, GROWN);
}

#[test]
fn entries_are_fetched_a_few_bundles_at_a_time() {
    // A claim within the limit, with nothing behind it: the sync stops at
    // the first chunk of bundles, not after asking for all 391 of them.
    let w = World::unsynced();
    w.server
        .set("checkpoint", Rule::Bytes(signed_claim(&w, 100_000)));
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Source, "{err}");
    match refused(err).0 {
        Refusal::Missing { path } => assert_eq!(path, "tile/entries/000"),
        other => panic!("expected Missing, got {other:?}"),
    }
    let bundles = w
        .server
        .requests()
        .iter()
        .filter(|p| p.starts_with("tile/entries/"))
        .count();
    assert!(
        bundles <= erkin_core::sync::BUNDLES_AT_A_TIME,
        "{bundles} bundles requested"
    );
    assert!(w.snapshot().store.is_none());
}

// ---------------------------------------------------------------------------
// Mirror directories left half-made by a killed first sync (older erkins)

#[test]
fn a_half_made_mirror_directory_is_restarted_not_bricked() {
    let w = World::unsynced();
    let other = key(ORIGIN);
    type Make<'a> = Box<dyn Fn(&Path) + 'a>;
    let cases: Vec<(&str, Make)> = vec![
        (
            "a config, no store",
            Box::new(|d: &Path| {
                fs::write(d.join("mirror.json"), b"{\"source\": null}\n").unwrap();
            }),
        ),
        (
            "a config cut short",
            Box::new(|d: &Path| fs::write(d.join("mirror.json"), b"{\"sour").unwrap()),
        ),
        (
            "an empty database file (application_id 0)",
            Box::new(|d: &Path| fs::write(d.join("erkin.sqlite"), b"").unwrap()),
        ),
        (
            "an empty store of the right key",
            Box::new(|d: &Path| {
                erkin_store::Store::create(d, &w.key).unwrap();
            }),
        ),
        (
            "an empty store of another key (a first sync trusting a liar)",
            Box::new(move |d: &Path| {
                erkin_store::Store::create(d, other.verifier_key()).unwrap();
            }),
        ),
    ];
    for (what, make) in cases {
        let dir = w.path(&format!("half-made-{}", what.len()));
        fs::create_dir_all(&dir).unwrap();
        make(&dir);
        let mut m = Mirror::open(&dir).unwrap_or_else(|e| panic!("{what}: {e}"));
        let report = m
            .sync(Some(&w.server.url()), &w.options())
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(report.new_size, SMALL, "{what}");
        drop(m);
        // And it is a whole mirror from then on.
        let mut m = Mirror::open(&dir).unwrap();
        assert_eq!(m.size(), SMALL, "{what}");
        let report = m.sync(None, &w.options()).unwrap();
        assert_eq!(report.old_size, SMALL, "{what}");
    }
}

// ---------------------------------------------------------------------------
// Decompression bombs: a bundle holds only what its manifest's span needs

/// Bytes and files under `dir` (what an unpack wrote before it stopped).
fn written(dir: &Path) -> (u64, usize) {
    let files = files_under(dir);
    (files.values().map(|d| d.len() as u64).sum(), files.len())
}

/// Unpacks `bytes` into a fresh staging directory with the mirror's limits
/// (it holds `SMALL` entries); returns the error and what was written.
fn unpack_refused(b: &BundleWorld, name: &str, bytes: &[u8]) -> (BundleError, u64, usize) {
    let file = b.w.path(name);
    fs::write(&file, bytes).unwrap();
    let dest = b.w.path(&format!("{name}.staging"));
    let limits = erkin_mirror::BundleLimits {
        held: SMALL,
        ..Default::default()
    };
    let started = Instant::now();
    let err = erkin_mirror::unpack_bundle(&file, &dest, &limits).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(10), "{name}: slow");
    let (bytes, files) = written(&dest);
    (err, bytes, files)
}

#[test]
fn gzip_bomb_bundle_is_refused_before_it_fills_the_disk() {
    let b = BundleWorld::new();
    let big = 16 * 1024 * 1024;
    // Entry bundles of zeros: the span (300 entries) has two bundles; the
    // rest are names no 300-entry log has.
    let mut members = vec![b.manifest()];
    for n in 0..16 {
        members.push(Member::Plain(format!("tile/entries/{n:03}"), vec![0; big]));
    }
    let bomb = tar_gz(&members);
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    let (err, bytes, files) = unpack_refused(&b, "bomb.tar.gz", &bomb);
    match &err {
        BundleError::Unexpected { path, .. } => assert_eq!(path, "tile/entries/001"),
        other => panic!("expected Unexpected, got {other:?}"),
    }
    // At most the one bundle the span has at that name, not 256 MiB.
    assert!(bytes <= big as u64, "{bytes} bytes written");
    assert!(files <= 1, "{files} files");

    // Blobs of zeros that no entry names: not one is written.
    let mut members = vec![b.manifest()];
    members.extend(b.some_log_members());
    for i in 0..8u8 {
        members.push(Member::Plain(
            format!("blob/{}", hex(&[i; 32])),
            vec![0; 32 << 20],
        ));
    }
    let bomb = tar_gz(&members);
    let (err, bytes, _) = unpack_refused(&b, "blob-bomb.tar.gz", &bomb);
    match &err {
        BundleError::Unexpected { path, reason } => {
            assert_eq!(path, &format!("blob/{}", hex(&[0; 32])));
            assert!(reason.contains("no entry"), "{reason}");
        }
        other => panic!("expected Unexpected, got {other:?}"),
    }
    assert!(bytes < 1 << 20, "{bytes} bytes written");

    // A site file that inflates a thousandfold: refused by the ratio, not
    // read to the end of the 64 GiB the bundle may hold.
    let mut members = vec![b.manifest()];
    for n in 0..8 {
        members.push(Member::Plain(format!("p/{n}.html"), vec![b' '; 30 << 20]));
    }
    let bomb = tar_gz(&members);
    let (err, bytes, _) = unpack_refused(&b, "site-bomb.tar.gz", &bomb);
    assert!(
        matches!(err, BundleError::Inflated { .. }),
        "expected Inflated, got {err:?}"
    );
    assert_eq!(bytes, 0);

    // Through the mirror: refused, the mirror unchanged, staging cleared.
    let before = b.w.snapshot();
    let err = b
        .sync_bundle("bomb2.tar.gz", &tar_gz(&members))
        .unwrap_err();
    assert_eq!(err.blame(), Blame::Source);
    assert!(
        matches!(err, MirrorError::Bundle(BundleError::Inflated { .. })),
        "{err:?}"
    );
    assert_unchanged(&before, &b.w.snapshot());
    assert!(b.w.staging_cleared());
}

#[test]
fn bundle_of_many_members_is_refused_at_the_first_it_cannot_need() {
    let b = BundleWorld::new();
    let mut members = vec![b.manifest()];
    members.extend(b.some_log_members());
    for i in 0..20_000u32 {
        let mut id = [0u8; 32];
        id[..4].copy_from_slice(&i.to_be_bytes());
        members.push(Member::Plain(format!("blob/{}", hex(&id)), vec![1]));
    }
    let bytes = tar_gz(&members);
    let started = Instant::now();
    let (err, _, files) = unpack_refused(&b, "many.tar.gz", &bytes);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(err, BundleError::Unexpected { .. }),
        "expected Unexpected, got {err:?}"
    );
    assert!(files <= 2, "{files} files written");

    // Tiles of a log far larger than the manifest says: refused too.
    let mut members = vec![b.manifest()];
    for n in 1..1000u32 {
        members.push(Member::Plain(format!("tile/0/x{n:03}/000"), vec![0; 8192]));
    }
    let (err, _, files) = unpack_refused(&b, "tiles.tar.gz", &tar_gz(&members));
    assert!(
        matches!(&err, BundleError::Unexpected { path, .. } if path == "tile/0/x001/000"),
        "{err:?}"
    );
    assert_eq!(files, 0);
}

#[test]
fn bundle_spanning_more_than_one_sync_takes_is_refused_unopened() {
    let b = BundleWorld::new();
    let mut manifest: serde_json::Value = serde_json::from_slice(&b.real[0].1).unwrap();
    manifest["size"] = serde_json::json!(1u64 << 40);
    let mut members = vec![Member::File(
        erkin_mirror::bundle::MANIFEST,
        serde_json::to_vec(&manifest).unwrap(),
    )];
    members.extend(b.some_log_members());
    let (err, _, files) = unpack_refused(&b, "huge.tar.gz", &tar_gz(&members));
    match err {
        BundleError::TooMuchGrowth { since, size, max } => {
            assert_eq!((since, size), (0, 1 << 40));
            assert_eq!(max, erkin_core::sync::DEFAULT_MAX_GROWTH);
        }
        other => panic!("expected TooMuchGrowth, got {other:?}"),
    }
    assert_eq!(files, 0);
}

#[test]
fn incremental_bundle_with_a_new_blob_is_imported() {
    // Its span's tiles and bundles, and the blob its new entry names, are
    // all a bundle made with --since carries: none is refused.
    let mut w = World::new();
    let blob = w.grow();
    let file = w.path("since.tar.gz");
    write_bundle(&w.news.p, &file, SMALL).unwrap();
    assert!(members_of(&file)
        .iter()
        .any(|(p, _)| *p == format!("blob/{blob}")));
    let report = w.sync_from(file.to_str().unwrap(), &w.options()).unwrap();
    assert_eq!((report.old_size, report.new_size), (SMALL, GROWN));
    assert_eq!(report.blobs_fetched, 1);
}

// ---------------------------------------------------------------------------
// This machine's own trouble

/// The disk fills while the verified entries are staged for the commit
/// (`.sync/entries` on /dev/full): a local failure, naming the file; the
/// log is as it was (the checked blobs may stay), staging is cleared, and
/// the next sync takes everything.
#[test]
fn a_full_disk_while_staging_entries_writes_no_log() {
    let mut w = World::new();
    w.grow();
    let staging = w.mirror.join(".sync");
    fs::create_dir_all(&staging).unwrap();
    std::os::unix::fs::symlink("/dev/full", staging.join("entries")).unwrap();
    let before = w.snapshot();
    let err = w.sync().unwrap_err();
    assert_eq!(err.blame(), Blame::Local, "{err}");
    match &err {
        MirrorError::Io { path, source } => {
            assert!(path.ends_with(".sync/entries"), "{}", path.display());
            assert_eq!(source.kind(), std::io::ErrorKind::StorageFull, "{source}");
        }
        other => panic!("expected Io, got {other:?}"),
    }
    let after = w.snapshot();
    let (b, a) = (before.store.unwrap(), after.store.unwrap());
    assert_eq!((a.0, &a.1), (b.0, &b.1), "the log changed");
    assert!(w.staging_cleared());
    w.recovers();
}

/// One `Mirror` kept open across syncs (as `erkin serve --follow` keeps
/// it): its folded state is moved into each sync, not cloned, so a sync
/// that fails — a refusal, a missing blob — must leave it with the state
/// of its store, and an up-to-date sync must hand it back.
#[test]
fn a_mirror_kept_open_keeps_its_state_through_failures_and_up_to_date_syncs() {
    let mut w = World::new();
    let id = w.grow();
    let mut m = Mirror::open(&w.mirror).unwrap();
    let digest_at_small = m.publication().expect("synced once").state().digest();
    let same_as_stored = |m: &Mirror, size: u64| {
        let p = m.publication().expect("the mirror keeps its publication");
        assert_eq!(p.state().size(), size);
        assert_eq!(p.store().size(), size);
        let fresh = erkin_store::Publication::open(&w.mirror).unwrap();
        assert_eq!(
            p.state().digest(),
            fresh.state().digest(),
            "the kept state is the store's"
        );
    };

    // A refusal (a tampered hash tile on the new tree's edge).
    let tile = "tile/0/001.p/44";
    w.server
        .set(tile, Rule::Bytes(flip_byte(&w.served(tile), 3)));
    let err = m.sync(Some(&w.server.url()), &w.options()).unwrap_err();
    assert!(matches!(err, MirrorError::Refused { .. }), "{err:?}");
    same_as_stored(&m, SMALL);
    assert_eq!(m.publication().unwrap().state().digest(), digest_at_small);

    // A failure after the plan: the new article's body is missing.
    w.server.honest();
    w.server.set(&format!("blob/{id}"), Rule::NotFound);
    let err = m.sync(Some(&w.server.url()), &w.options()).unwrap_err();
    assert!(matches!(err, MirrorError::MissingBlob { .. }), "{err:?}");
    same_as_stored(&m, SMALL);

    // Honest again: the same mirror catches up, then is up to date and
    // still holds its state.
    w.server.honest();
    let report = m.sync(Some(&w.server.url()), &w.options()).unwrap();
    assert_eq!((report.old_size, report.new_size), (SMALL, GROWN));
    same_as_stored(&m, GROWN);
    let report = m.sync(Some(&w.server.url()), &w.options()).unwrap();
    assert_eq!((report.old_size, report.new_size), (GROWN, GROWN));
    same_as_stored(&m, GROWN);
}
