//! The copy verifier (src/verify.rs) over an in-memory copy of a 600-entry log
//! (full and partial level-0 tiles, a level-1 tile, three entry bundles and two
//! blobs), honest and tampered in every place a copy can be.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use erkin_core::action::{Action, Charter, Genesis, Statement, Tick};
use erkin_core::blob::{BlobError, BlobId, DEFAULT_MAX_BLOB_LEN};
use erkin_core::checkpoint::{Checkpoint, CheckpointError, MAX_CHECKPOINT_LEN};
use erkin_core::entry::{sign_entry, EntryBody, EntryError};
use erkin_core::keys::SecretKey;
use erkin_core::note::NoteError;
use erkin_core::state::Rejection;
use erkin_core::tiles::{decode_bundle, encode_bundle, entry_bundles, hash_tiles};
use erkin_core::tree::MemoryTree;
use erkin_core::verify::{verify_copy, CopyReader, Finding, ReadError, Report, VerifyError};

const ORIGIN: &str = "news.example/erkin";
const T0: u64 = 1_764_345_600;
const SIZE: u64 = 600;

/// A copy held in memory: layout path -> bytes.
#[derive(Clone, Default)]
struct MemCopy {
    files: BTreeMap<String, Vec<u8>>,
}

impl CopyReader for MemCopy {
    fn read(&self, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, ReadError> {
        match self.files.get(path) {
            None => Ok(None),
            Some(b) if b.len() as u64 > max_len => Err(ReadError::TooLarge {
                path: path.to_string(),
                max: max_len,
            }),
            Some(b) => Ok(Some(b.clone())),
        }
    }

    fn blob_ids(&self) -> Result<Vec<BlobId>, ReadError> {
        Ok(self
            .files
            .keys()
            .filter_map(|p| p.strip_prefix("blob/"))
            .map(|id| id.parse().expect("test copies hold well-named blobs"))
            .collect())
    }
}

impl MemCopy {
    fn get_mut(&mut self, path: &str) -> &mut Vec<u8> {
        self.files
            .get_mut(path)
            .unwrap_or_else(|| panic!("{path} not in copy"))
    }
}

fn key(name: &str) -> SecretKey {
    SecretKey::generate(&mut rand_core::OsRng, name).unwrap()
}

struct Fixture {
    log: SecretKey,
    aigerim: SecretKey,
    bolat: SecretKey,
    entries: Vec<Vec<u8>>,
    blobs: Vec<Vec<u8>>,
    copy: MemCopy,
}

fn statement_text(i: u64) -> String {
    format!("statement {i:04} about the budget")
}

/// A fixed author time for entry `i`, within the window of the log time
/// (genesis's: the fixture has no ticks).
fn time_of(i: u64) -> u64 {
    T0 + i / 7
}

fn genesis(log: &SecretKey, founders: &[&SecretKey]) -> Vec<u8> {
    let body = EntryBody {
        time: time_of(0),
        action: Action::Genesis(Genesis {
            name: "Erkin Habar".into(),
            log_key: log.verifier_key().to_string(),
            founders: founders
                .iter()
                .map(|k| k.verifier_key().to_string())
                .collect(),
            charter: Charter::default(),
        }),
    };
    sign_entry(ORIGIN, &body, log).unwrap()
}

fn statement(i: u64, k: &SecretKey) -> Vec<u8> {
    let body = EntryBody {
        time: time_of(i),
        action: Action::Statement(Statement {
            text: statement_text(i),
        }),
    };
    sign_entry(ORIGIN, &body, k).unwrap()
}

/// Writes an honest copy of `entries`: checkpoint, every hash tile, every
/// entry bundle, and the blobs.
fn write_copy(log: &SecretKey, entries: &[Vec<u8>], blobs: &[Vec<u8>]) -> MemCopy {
    let mut tree = MemoryTree::new();
    for e in entries {
        tree.push_entry(e);
    }
    let size = entries.len() as u64;
    let mut copy = MemCopy::default();
    let cp = Checkpoint {
        origin: ORIGIN.into(),
        size,
        root: tree.root(),
    };
    copy.files.insert("checkpoint".into(), cp.sign(log));
    for tile in hash_tiles(0, size) {
        copy.files
            .insert(tile.to_string(), tree.tile_data(&tile).unwrap());
    }
    for bundle in entry_bundles(0, size) {
        let first = bundle.first_entry() as usize;
        let last = first + usize::from(bundle.width);
        let bytes = encode_bundle(entries[first..last].iter().map(|e| e.as_slice()));
        copy.files.insert(bundle.to_string(), bytes);
    }
    for b in blobs {
        copy.files
            .insert(format!("blob/{}", BlobId::of(b)), b.clone());
    }
    copy
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let log = key(ORIGIN);
        let aigerim = key("aigerim");
        let bolat = key("bolat");
        let mut entries = vec![genesis(&log, &[&aigerim, &bolat])];
        for i in 1..SIZE {
            let k = if i % 2 == 0 { &aigerim } else { &bolat };
            entries.push(statement(i, k));
        }
        let blobs = vec![
            b"# Budget hearing\n\nThe council met on Tuesday.".to_vec(),
            vec![0xffu8; 10_000],
        ];
        let copy = write_copy(&log, &entries, &blobs);
        Fixture {
            log,
            aigerim,
            bolat,
            entries,
            blobs,
            copy,
        }
    })
}

fn verify(copy: &MemCopy) -> Result<Report, VerifyError> {
    verify_copy(
        copy,
        fixture().log.verifier_key(),
        DEFAULT_MAX_BLOB_LEN,
        &mut |_, _| {},
    )
}

fn findings(copy: &MemCopy) -> Vec<Finding> {
    verify(copy).expect("checkpoint verifies").findings
}

#[test]
fn layout_of_the_fixture() {
    let f = fixture();
    let paths: Vec<&str> = f.copy.files.keys().map(String::as_str).collect();
    let blob_paths: Vec<String> = f
        .blobs
        .iter()
        .map(|b| format!("blob/{}", BlobId::of(b)))
        .collect();
    let mut expected = vec![
        "checkpoint",
        "tile/0/000",
        "tile/0/001",
        "tile/0/002.p/88",
        "tile/1/000.p/2",
        "tile/entries/000",
        "tile/entries/001",
        "tile/entries/002.p/88",
    ];
    expected.extend(blob_paths.iter().map(String::as_str));
    expected.sort_unstable();
    assert_eq!(paths, expected);
}

#[test]
fn honest_copy_verifies() {
    let f = fixture();
    let mut progress = Vec::new();
    let report = verify_copy(
        &f.copy,
        f.log.verifier_key(),
        DEFAULT_MAX_BLOB_LEN,
        &mut |done, total| progress.push((done, total)),
    )
    .unwrap();
    assert!(report.findings.is_empty(), "{:?}", report.findings);
    assert!(report.is_ok());
    assert_eq!(report.entries_checked, SIZE);
    assert_eq!(report.tiles_checked, 4);
    assert_eq!(report.blobs_checked, 2);
    assert_eq!(report.checkpoint.origin, ORIGIN);
    assert_eq!(report.checkpoint.size, SIZE);
    let mut tree = MemoryTree::new();
    for e in &f.entries {
        tree.push_entry(e);
    }
    assert_eq!(report.checkpoint.root, tree.root());
    assert_eq!(progress, [(256, SIZE), (512, SIZE), (600, SIZE)]);
    let state = report.state.expect("genesis folds");
    assert_eq!(state.size(), SIZE);
    assert_eq!(state.last_time(), time_of(SIZE - 1));
    assert_eq!(state.name(), "Erkin Habar");
    let handles: Vec<&str> = state.members().map(|m| m.handle.as_str()).collect();
    assert_eq!(handles, ["aigerim", "bolat"]);
    assert_eq!(
        state.members().map(|m| &m.key).collect::<Vec<_>>(),
        [f.aigerim.verifier_key(), f.bolat.verifier_key()]
    );
}

#[test]
fn flipped_bit_in_level0_tile_is_tile_mismatch() {
    for (path, byte) in [
        ("tile/0/001", 0),
        ("tile/0/001", 8191),
        ("tile/0/002.p/88", 87 * 32 + 5),
        ("tile/0/000", 40),
    ] {
        let mut copy = fixture().copy.clone();
        copy.get_mut(path)[byte] ^= 0x01;
        assert_eq!(
            findings(&copy),
            [Finding::TileMismatch { path: path.into() }],
            "{path} byte {byte}"
        );
    }
}

#[test]
fn flipped_bit_in_level1_tile_is_tile_mismatch() {
    for byte in [0, 33, 63] {
        let mut copy = fixture().copy.clone();
        copy.get_mut("tile/1/000.p/2")[byte] ^= 0x80;
        assert_eq!(
            findings(&copy),
            [Finding::TileMismatch {
                path: "tile/1/000.p/2".into()
            }],
            "byte {byte}"
        );
    }
}

#[test]
fn flipped_bit_in_entry_body_is_entry_mismatch() {
    let f = fixture();
    for (index, path) in [
        (300u64, "tile/entries/001"),
        (599, "tile/entries/002.p/88"),
        (1, "tile/entries/000"),
    ] {
        let mut copy = f.copy.clone();
        let needle = statement_text(index);
        let bundle = copy.get_mut(path);
        let pos = bundle
            .windows(needle.len())
            .position(|w| w == needle.as_bytes())
            .unwrap();
        bundle[pos + needle.len() - 1] ^= 0x01; // "budget" -> "budgeu"
        let found = findings(&copy);
        let mismatch = Finding::EntryMismatch {
            index,
            path: path.into(),
        };
        assert!(found.contains(&mismatch), "{found:?}");
        let signer = if index % 2 == 0 { &f.aigerim } else { &f.bolat };
        for finding in &found {
            if *finding != mismatch {
                assert_eq!(
                    finding,
                    &Finding::RejectedEntry {
                        index,
                        rejection: Rejection::Entry(EntryError::Note(NoteError::BadSignature {
                            name: signer.name().into(),
                            id: signer.verifier_key().key_id(),
                        })),
                    }
                );
            }
        }
    }
}

#[test]
fn flipped_bit_in_bundle_length_prefix_is_bundle_malformed() {
    let f = fixture();
    let path = "tile/entries/002.p/88";
    let mut copy = f.copy.clone();
    let bundle = copy.get_mut(path);
    // The offset of the last entry's length prefix.
    let entries = decode_bundle(bundle, 88).unwrap();
    let offset: usize = entries[..87].iter().map(|e| 2 + e.len()).sum();
    bundle[offset + 1] ^= 0x01; // the length is now one more or one less
    match &findings(&copy)[..] {
        [Finding::BundleMalformed { path: p, reason }] => {
            assert_eq!(p, path);
            assert!(reason.contains("truncated"), "{reason}");
        }
        other => panic!("expected one BundleMalformed, got {other:?}"),
    }
}

#[test]
fn bundle_with_an_extra_or_missing_entry_is_bundle_malformed() {
    let f = fixture();
    let path = "tile/entries/001";
    let entries: Vec<&[u8]> = f.entries[256..512].iter().map(|e| e.as_slice()).collect();
    let extra = encode_bundle(entries.iter().copied().chain([f.entries[0].as_slice()]));
    let fewer = encode_bundle(entries[..255].iter().copied());
    for (bytes, found) in [(extra, 257), (fewer, 255)] {
        let mut copy = f.copy.clone();
        *copy.get_mut(path) = bytes;
        assert_eq!(
            findings(&copy),
            [Finding::BundleMalformed {
                path: path.into(),
                reason: format!("bundle holds {found} entries, but its path says 256"),
            }]
        );
    }
}

#[test]
fn flipped_bit_in_checkpoint_body_is_bad_signature() {
    let f = fixture();
    let mut copy = f.copy.clone();
    let cp = copy.get_mut("checkpoint");
    assert!(cp.starts_with(format!("{ORIGIN}\n600\n").as_bytes()));
    cp[ORIGIN.len() + 2] ^= 0x01; // "600" -> "610"
    let err = verify(&copy).unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::Checkpoint(CheckpointError::Note(NoteError::BadSignature { name, id }))
                if name == ORIGIN && *id == f.log.verifier_key().key_id()
        ),
        "{err:?}"
    );
}

#[test]
fn flipped_char_in_checkpoint_signature_is_refused() {
    let f = fixture();
    let mut copy = f.copy.clone();
    let cp = copy.get_mut("checkpoint");
    let at = cp.len() - 10; // inside the Ed25519 signature's base64
    cp[at] = if cp[at] == b'A' { b'B' } else { b'A' };
    let err = verify(&copy).unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::Checkpoint(CheckpointError::Note(NoteError::BadSignature { name, .. }))
                if name == ORIGIN
        ),
        "{err:?}"
    );
    // A signature line that no longer decodes.
    let mut copy = f.copy.clone();
    let cp = copy.get_mut("checkpoint");
    let at = cp.len() - 10;
    cp[at] = b'!';
    assert!(matches!(
        verify(&copy).unwrap_err(),
        VerifyError::Checkpoint(CheckpointError::Note(
            NoteError::MalformedSignatureLine { .. }
        ))
    ));
}

#[test]
fn checkpoint_signed_by_another_key_is_refused() {
    let f = fixture();
    let impostor = key(ORIGIN);
    let mut copy = f.copy.clone();
    let honest = Checkpoint::open(&copy.files["checkpoint"], f.log.verifier_key()).unwrap();
    copy.files
        .insert("checkpoint".into(), honest.sign(&impostor));
    let err = verify(&copy).unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::Checkpoint(CheckpointError::Note(NoteError::NotSignedBy { expected, found }))
                if *expected == f.log.verifier_key().to_string()
                    && *found == format!("{ORIGIN}+{:08x}", impostor.verifier_key().key_id())
        ),
        "{err:?}"
    );
}

#[test]
fn missing_checkpoint_is_no_checkpoint() {
    let mut copy = fixture().copy.clone();
    copy.files.remove("checkpoint");
    assert!(matches!(
        verify(&copy).unwrap_err(),
        VerifyError::NoCheckpoint
    ));
}

#[test]
fn oversize_checkpoint_is_a_read_error() {
    let mut copy = fixture().copy.clone();
    copy.get_mut("checkpoint")
        .resize(MAX_CHECKPOINT_LEN + 1, b'\n');
    let err = verify(&copy).unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::Read(ReadError::TooLarge { path, max })
                if path == "checkpoint" && *max == MAX_CHECKPOINT_LEN as u64
        ),
        "{err:?}"
    );
}

#[test]
fn missing_tiles_and_bundles_are_reported() {
    let f = fixture();
    for path in [
        "tile/0/000",
        "tile/0/002.p/88",
        "tile/1/000.p/2",
        "tile/entries/001",
        "tile/entries/002.p/88",
    ] {
        let mut copy = f.copy.clone();
        copy.files.remove(path).unwrap();
        let report = verify(&copy).unwrap();
        assert_eq!(
            report.findings,
            [Finding::Missing { path: path.into() }],
            "{path}"
        );
        let missing_entries = match path {
            "tile/entries/001" => 256,
            "tile/entries/002.p/88" => 88,
            _ => 0,
        };
        assert_eq!(report.entries_checked, SIZE - missing_entries, "{path}");
    }
}

#[test]
fn wrong_length_tiles_are_reported() {
    let f = fixture();
    let path = "tile/0/001";
    let mut copy = f.copy.clone();
    copy.get_mut(path).pop();
    assert_eq!(
        findings(&copy),
        [Finding::WrongLength {
            path: path.into(),
            len: 8191,
            expected: 8192
        }]
    );
    // Longer than the tile may be: the reader refuses to read it.
    let mut copy = f.copy.clone();
    copy.get_mut(path).push(0);
    assert_eq!(
        findings(&copy),
        [Finding::Unreadable(ReadError::TooLarge {
            path: path.into(),
            max: 8192
        })]
    );
}

#[test]
fn tampered_blob_is_hash_mismatch() {
    let f = fixture();
    let id = BlobId::of(&f.blobs[0]);
    let path = format!("blob/{id}");
    let mut copy = f.copy.clone();
    let blob = copy.get_mut(&path);
    blob[3] ^= 0x20;
    let found = BlobId::of(blob);
    assert_eq!(
        findings(&copy),
        [Finding::Blob {
            path,
            error: BlobError::HashMismatch {
                expected: id,
                found
            }
        }]
    );
}

#[test]
fn oversize_blob_is_unreadable() {
    let f = fixture();
    let path = format!("blob/{}", BlobId::of(&f.blobs[1]));
    let report = verify_copy(&f.copy, f.log.verifier_key(), 9_999, &mut |_, _| {}).unwrap();
    assert_eq!(
        report.findings,
        [Finding::Unreadable(ReadError::TooLarge {
            path,
            max: 9_999
        })]
    );
    assert_eq!(report.blobs_checked, 1);
}

#[test]
fn admitted_non_member_entry_is_rejected_entry() {
    let f = fixture();
    let mallory = key("mallory");
    let mut entries = f.entries.clone();
    entries[300] = statement(300, &mallory);
    let copy = write_copy(&f.log, &entries, &[]);
    let report = verify(&copy).unwrap();
    assert_eq!(
        report.findings,
        [Finding::RejectedEntry {
            index: 300,
            rejection: Rejection::NotAMember {
                name: "mallory".into(),
                id: mallory.verifier_key().key_id(),
            },
        }]
    );
    assert_eq!(report.entries_checked, SIZE);
    assert_eq!(report.state.unwrap().size(), SIZE - 1);
}

#[test]
fn admitted_replays_far_dated_entries_and_backward_ticks_are_rejected() {
    let f = fixture();
    let mut entries = f.entries.clone();
    entries[400] = entries[399].clone(); // a replay, same time
    let body = |time, action| EntryBody { time, action };
    // The log time may not go backwards, even by the log key's own tick.
    entries[450] = sign_entry(ORIGIN, &body(T0 - 1, Action::Tick(Tick {})), &f.log).unwrap();
    // Dated an hour after the log time (genesis's).
    let far = T0 + 3600;
    entries[500] = sign_entry(
        ORIGIN,
        &body(
            far,
            Action::Statement(Statement {
                text: "later".into(),
            }),
        ),
        &f.bolat,
    )
    .unwrap();
    let copy = write_copy(&f.log, &entries, &[]);
    assert_eq!(
        findings(&copy),
        [
            Finding::RejectedEntry {
                index: 400,
                rejection: Rejection::Duplicate,
            },
            Finding::RejectedEntry {
                index: 450,
                rejection: Rejection::TimeWentBackwards {
                    time: T0 - 1,
                    previous: T0,
                },
            },
            Finding::RejectedEntry {
                index: 500,
                rejection: Rejection::FarFromLogTime {
                    time: far,
                    log_time: T0,
                },
            },
        ]
    );
}

#[test]
fn unusable_genesis_is_rejected_entry() {
    let f = fixture();
    let impostor = key(ORIGIN);
    let mut entries = f.entries.clone();
    entries[0] = genesis(&impostor, &[&f.aigerim, &f.bolat]);
    let copy = write_copy(&f.log, &entries, &[]);
    let report = verify(&copy).unwrap();
    assert_eq!(
        report.findings,
        [Finding::RejectedEntry {
            index: 0,
            rejection: Rejection::LogKeyMismatch {
                pinned: f.log.verifier_key().to_string(),
                found: impostor.verifier_key().to_string(),
            },
        }]
    );
    assert!(report.state.is_none());
}

#[test]
fn entry_swapped_together_with_its_tile_is_root_mismatch() {
    // A copy whose bundle and level-0 tile agree with each other but not with
    // the signed root: neither can be trusted.
    let f = fixture();
    let mut entries = f.entries.clone();
    entries[300] = statement(300, &f.bolat); // valid, but not what was logged
    assert_ne!(entries[300], f.entries[300]);
    let forged = write_copy(&f.log, &entries, &[]);
    let mut copy = f.copy.clone();
    for path in ["tile/0/001", "tile/entries/001"] {
        copy.files.insert(path.into(), forged.files[path].clone());
    }
    let mut tree = MemoryTree::new();
    for e in &entries {
        tree.push_entry(e);
    }
    assert_eq!(
        findings(&copy),
        [Finding::RootMismatch {
            from_tiles: Some(tree.root()),
            from_entries: Some(tree.root()),
        }]
    );
}

#[test]
fn checkpoint_of_a_longer_log_finds_missing_pieces() {
    // The checkpoint says 601 entries but the copy only has 600.
    let f = fixture();
    let mut entries = f.entries.clone();
    entries.push(statement(600, &f.aigerim));
    let longer = write_copy(&f.log, &entries, &[]);
    let mut copy = f.copy.clone();
    copy.files
        .insert("checkpoint".into(), longer.files["checkpoint"].clone());
    assert_eq!(
        findings(&copy),
        [
            Finding::Missing {
                path: "tile/entries/002.p/89".into()
            },
            Finding::Missing {
                path: "tile/0/002.p/89".into()
            },
            Finding::RootMismatch {
                from_tiles: None,
                from_entries: None
            },
        ]
    );
}

/// A sync hands the new entries to its sink as it folds them, in order,
/// holding none itself; a sink that fails stops it as this machine's own
/// failure (`Refusal::Staging`), naming the entry, with no update.
#[test]
fn sync_hands_entries_to_its_sink_and_a_failing_sink_is_staging() {
    use erkin_core::sync::{plan, Context, EntrySink, Planned, Refusal};
    let f = fixture();
    let ctx = Context {
        key: f.log.verifier_key(),
        source: "memory",
        now: T0 + 86_400,
        max_growth: 1_000_000,
    };
    let mut got: Vec<Vec<u8>> = Vec::new();
    match plan(&ctx, None, &f.copy, &mut got) {
        Ok(Planned::Update(u)) => assert_eq!(u.new_entries, SIZE),
        Ok(Planned::UpToDate { .. }) => panic!("an empty copy is not up to date"),
        Err(e) => panic!("{e}"),
    }
    assert_eq!(got, f.entries);

    struct Full;
    impl EntrySink for Full {
        fn put(&mut self, index: u64, _: &[u8]) -> Result<(), String> {
            if index == 300 {
                Err("no space left on device".into())
            } else {
                Ok(())
            }
        }
    }
    match plan(&ctx, None, &f.copy, &mut Full) {
        Err(Refusal::Staging(reason)) => {
            assert!(reason.contains("entry 300"), "{reason}");
            assert!(reason.contains("no space left"), "{reason}");
        }
        Err(other) => panic!("expected Staging, got {other:?}"),
        Ok(_) => panic!("a sync whose sink failed gave an update"),
    }
}
