//! The store on a real SQLite file: append, reopen, tiles, blobs, and every
//! way opening or appending must refuse.

use std::path::Path;

use erkin_core::action::{Action, Charter, Statement};
use erkin_core::blob::{BlobError, BlobId};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::state::Rejection;
use erkin_core::tiles::{entry_bundles, hash_tiles, TilePath};
use erkin_core::tree::MemoryTree;
use erkin_store::{Publication, PublicationError, Store, StoreError};

const T0: u64 = 1_790_000_000;

struct Fixture {
    dir: tempfile::TempDir,
    log_key: SecretKey,
    member: SecretKey,
}

fn found() -> (Fixture, Publication) {
    let dir = tempfile::tempdir().unwrap();
    let log_key = SecretKey::generate(&mut rand_core::OsRng, "store.example/log").unwrap();
    let member = SecretKey::generate(&mut rand_core::OsRng, "dauren").unwrap();
    let p = Publication::found(
        dir.path(),
        "Store test",
        &log_key,
        &[member.verifier_key().clone()],
        Charter::default(),
        T0,
    )
    .unwrap();
    (
        Fixture {
            dir,
            log_key,
            member,
        },
        p,
    )
}

fn statement(p: &Publication, key: &SecretKey, time: u64, text: &str) -> Vec<u8> {
    let body = EntryBody {
        time,
        action: Action::Statement(Statement { text: text.into() }),
    };
    p.sign(&body, key).unwrap()
}

#[test]
fn append_reopen_and_tiles_match_memory_tree() {
    let (f, mut p) = found();
    let entries: Vec<Vec<u8>> = (0..600)
        .map(|i| statement(&p, &f.member, T0 + i, &format!("s{i}")))
        .collect();
    for (i, chunk) in entries.chunks(97).enumerate() {
        let outcome = p.submit(chunk, T0 + 97 * i as u64, &f.log_key).unwrap();
        assert!(outcome.results.iter().all(|r| r.is_ok()));
    }
    drop(p);
    let p = Publication::open(f.dir.path()).unwrap();
    let store = p.store();
    // 600 statements, and a tick ahead of each batch after the first (whose
    // clock is still the founding time): the log's time.
    const SIZE: u64 = 1 + 600 + 6;
    assert_eq!(store.size(), SIZE);
    assert_eq!(p.state().size(), SIZE);
    assert_eq!(p.state().log_time(), T0 + 97 * 6);

    let mut tree = MemoryTree::new();
    for e in store.entries(0, SIZE).unwrap() {
        tree.push_entry(&e);
    }
    for tile in hash_tiles(0, SIZE) {
        assert_eq!(store.tile(&tile).unwrap(), tree.tile_data(&tile), "{tile}");
    }
    for b in entry_bundles(0, SIZE) {
        assert!(store.tile(&b).unwrap().is_some(), "{b}");
    }
    // Tiles beyond the tree do not exist.
    let beyond = TilePath::parse("tile/0/003").unwrap();
    assert_eq!(store.tile(&beyond).unwrap(), None);
    let beyond = TilePath::parse("tile/1/000.p/3").unwrap();
    assert_eq!(store.tile(&beyond).unwrap(), None);
}

#[test]
fn rejected_entries_change_nothing() {
    let (f, mut p) = found();
    let stranger = SecretKey::generate(&mut rand_core::OsRng, "stranger").unwrap();
    let bad = statement(&p, &stranger, T0, "not a member");
    let outcome = p.submit(&[bad], T0, &f.log_key).unwrap();
    assert!(matches!(
        outcome.results[0],
        Err(Rejection::NotAMember { .. })
    ));
    assert!(outcome.checkpoint.is_none());
    assert_eq!(p.store().size(), 1);

    // A mixed batch: the good entry goes in, the replayed one is refused.
    let good = statement(&p, &f.member, T0 + 1, "hello");
    let outcome = p.submit(&[good.clone(), good], T0, &f.log_key).unwrap();
    assert_eq!(outcome.results[0], Ok(1));
    assert_eq!(outcome.results[1], Err(Rejection::Duplicate));
    assert_eq!(outcome.checkpoint.unwrap().size, 2);
    assert_eq!(Publication::open(f.dir.path()).unwrap().store().size(), 2);
}

#[test]
fn each_batch_is_led_by_a_tick_of_the_sequencers_clock() {
    let (f, mut p) = found();
    // The clock moved on: the batch's tick records it, then the entry.
    let e = statement(&p, &f.member, T0 + 50, "one");
    let outcome = p.submit(&[e], T0 + 60, &f.log_key).unwrap();
    assert_eq!(outcome.results, vec![Ok(2)]);
    assert_eq!(p.state().log_time(), T0 + 60);
    let tick = &p.store().entries(1, 2).unwrap()[0];
    assert!(String::from_utf8_lossy(tick).contains(r#""action":{"tick":{}}"#));
    // A batch that admits nothing appends nothing, not even its tick.
    let stranger = SecretKey::generate(&mut rand_core::OsRng, "stranger").unwrap();
    let bad = statement(&p, &stranger, T0 + 70, "not a member");
    let outcome = p.submit(&[bad], T0 + 70, &f.log_key).unwrap();
    assert!(outcome.checkpoint.is_none());
    assert_eq!((p.store().size(), p.state().size()), (3, 3));
    assert_eq!(p.state().log_time(), T0 + 60);
    // A clock behind the log time adds no tick: the log time stays.
    let e = statement(&p, &f.member, T0 + 55, "two");
    let outcome = p.submit(&[e], T0 + 30, &f.log_key).unwrap();
    assert_eq!(outcome.results, vec![Ok(3)]);
    assert_eq!(p.state().log_time(), T0 + 60);
    // Reopened, the fold reaches the same log time.
    drop(p);
    let p = Publication::open(f.dir.path()).unwrap();
    assert_eq!((p.state().size(), p.state().log_time()), (4, T0 + 60));
}

#[test]
fn sequencer_refuses_entries_far_from_its_clock() {
    let (f, mut p) = found();
    let e = statement(&p, &f.member, T0 + 3600, "from the future");
    let outcome = p.submit(&[e], T0, &f.log_key).unwrap();
    assert_eq!(
        outcome.results[0],
        Err(Rejection::ClockSkew {
            time: T0 + 3600,
            now: T0
        })
    );
}

#[test]
fn appending_with_another_log_key_is_refused() {
    let (f, mut p) = found();
    let other = SecretKey::generate(&mut rand_core::OsRng, "store.example/log").unwrap();
    let e = statement(&p, &f.member, T0, "x");
    assert!(matches!(
        p.submit(&[e], T0, &other),
        Err(PublicationError::Store(StoreError::WrongLogKey { .. }))
    ));
    assert_eq!(Publication::open(f.dir.path()).unwrap().store().size(), 1);
}

#[test]
fn blobs_are_content_addressed_and_limited() {
    let (f, p) = found();
    let id = p.store().put_blob(b"article body", 1024).unwrap();
    assert_eq!(id, BlobId::of(b"article body"));
    assert_eq!(p.store().put_blob(b"article body", 1024).unwrap(), id);
    assert_eq!(
        p.store().blob(&id, 1 << 20).unwrap().unwrap(),
        b"article body"
    );
    assert_eq!(p.store().blob_ids().unwrap(), vec![id]);
    assert!(matches!(
        p.store().put_blob(&[0u8; 1025], 1024),
        Err(StoreError::Blob(BlobError::TooLarge {
            len: 1025,
            max: 1024
        }))
    ));
    drop(f);
}

/// Reads inside `Store::reading` see one view of the database: a blob
/// another connection stores meanwhile is not there until it ends. Within a
/// transaction already, the closure just runs.
#[test]
fn reads_in_one_transaction_see_one_view() {
    let (f, p) = found();
    let other = Store::open(f.dir.path()).unwrap();
    let id = BlobId::of(b"stored meanwhile");
    let seen = p
        .store()
        .reading(|| {
            let before = p.store().has_blob(&id).unwrap();
            other.put_blob(b"stored meanwhile", 1024).unwrap();
            let after = p.store().blob(&id, 1024).unwrap();
            let nested = p.store().reading(|| p.store().has_blob(&id).unwrap());
            (before, after, nested.unwrap())
        })
        .unwrap();
    assert_eq!(seen, (false, None, false));
    assert!(p.store().has_blob(&id).unwrap());
    drop(f);
}

fn open_err(dir: &Path) -> StoreError {
    match Store::open(dir) {
        Ok(_) => panic!("store opened but should not"),
        Err(e) => e,
    }
}

#[test]
fn missing_garbage_and_newer_stores_are_refused() {
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(
        open_err(empty.path()),
        StoreError::NotFound { .. }
    ));

    std::fs::write(
        empty.path().join("erkin.sqlite"),
        b"this is not a database, just text",
    )
    .unwrap();
    assert!(matches!(
        open_err(empty.path()),
        StoreError::NotAStore { .. }
    ));

    let (f, p) = found();
    drop(p);
    let conn = rusqlite_conn(f.dir.path());
    conn.execute_batch("PRAGMA user_version = 99").unwrap();
    drop(conn);
    let err = open_err(f.dir.path());
    assert!(
        matches!(err, StoreError::NewerFormat { found: 99, .. }),
        "{err}"
    );
    // What to do about it is the command line's to say (test in cli.rs).
    assert!(!err.to_string().contains("upgrade"), "{err}");
}

/// A two-entry store (genesis and one statement with `text`), closed, then
/// altered by `sql` (`?1` is bound to the statement's bytes with `text`
/// replaced by `forged_text`).
fn tampered(text: &str, forged_text: &str, sql: &str) -> Fixture {
    let (f, mut p) = found();
    let e = statement(&p, &f.member, T0, text);
    p.submit(std::slice::from_ref(&e), T0, &f.log_key).unwrap();
    drop(p);
    let forged = String::from_utf8(e).unwrap().replace(text, forged_text);
    let conn = rusqlite_conn(f.dir.path());
    let mut stmt = conn.prepare(sql).unwrap();
    if stmt.parameter_count() == 1 {
        stmt.execute([forged.as_bytes()]).unwrap();
    } else {
        stmt.execute([]).unwrap();
    }
    f
}

#[test]
fn tampered_store_is_refused_on_open() {
    // Altering a stored tree hash on the root's path makes the head check
    // fail. For two entries the stored hashes are leaf 0 (id 0), leaf 1
    // (id 1) and their parent (id 2), which is the root.
    let f = tampered(
        "x",
        "x",
        "UPDATE hashes SET hash = zeroblob(32) WHERE id = 2",
    );
    let err = open_err(f.dir.path());
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains("latest checkpoint's root"),
        "{err}"
    );

    // A leaf hash off the root's path passes the O(log n) head check, but the
    // full verification derives the tiles from stored hashes and catches it.
    let f = tampered(
        "x",
        "x",
        "UPDATE hashes SET hash = zeroblob(32) WHERE id = 0",
    );
    let store = Store::open(f.dir.path()).unwrap();
    let report =
        erkin_core::verify::verify_copy(&store, f.log_key.verifier_key(), u64::MAX, &mut |_, _| {})
            .unwrap();
    assert_eq!(
        report.findings,
        vec![erkin_core::verify::Finding::TileMismatch {
            path: "tile/0/000.p/2".into()
        }]
    );

    // Removing the last entry leaves the checkpoint claiming more than is there.
    let f = tampered("x", "x", "DELETE FROM entries WHERE idx = 1");
    let err = open_err(f.dir.path());
    assert!(
        err.to_string()
            .contains("is for 2 entries, but the store holds 1"),
        "{err}"
    );

    // An entry rewritten in place: the head still checks (hashes untouched),
    // but the fold on open refuses the altered entry.
    let f = tampered(
        "original",
        "forgedxx",
        "UPDATE entries SET data = ?1 WHERE idx = 1",
    );
    match Publication::open(f.dir.path()) {
        Err(PublicationError::Invalid { index: 1, .. }) => {}
        Err(e) => panic!("wrong error: {e}"),
        Ok(_) => panic!("opened a forged store"),
    }
}

#[test]
fn creating_over_an_existing_store_is_refused() {
    let (f, _p) = found();
    let other = SecretKey::generate(&mut rand_core::OsRng, "x").unwrap();
    assert!(matches!(
        Store::create(f.dir.path(), other.verifier_key()),
        Err(StoreError::AlreadyExists(_))
    ));
}

fn rusqlite_conn(dir: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(dir.join("erkin.sqlite")).unwrap()
}

#[test]
fn two_writers_never_admit_against_a_stale_state() {
    let (f, mut a) = found();
    let mut b = Publication::open(f.dir.path()).unwrap();
    let e1 = statement(&a, &f.member, T0, "from a");
    assert_eq!(
        a.submit(std::slice::from_ref(&e1), T0, &f.log_key)
            .unwrap()
            .results,
        vec![Ok(1)]
    );
    // While a writes here, b may not: its pages would miss what it wrote.
    let e0 = statement(&b, &f.member, T0, "while a holds it");
    let err = b.submit(&[e0], T0, &f.log_key).unwrap_err();
    assert!(
        matches!(&err, PublicationError::Store(StoreError::Locked { pid, .. }) if *pid == std::process::id().to_string()),
        "{err}"
    );
    drop(a);
    // b opened before a appended: it must catch up, so the replay of a's
    // entry is refused and b's own entry gets its true index.
    let e2 = statement(&b, &f.member, T0, "from b");
    let outcome = b.submit(&[e1, e2], T0, &f.log_key).unwrap();
    assert_eq!(outcome.results, vec![Err(Rejection::Duplicate), Ok(2)]);
    assert_eq!(outcome.checkpoint.unwrap().size, 3);
}

#[test]
fn append_with_a_stale_expected_size_is_a_conflict() {
    let (f, p) = found();
    let e = statement(&p, &f.member, T0, "x");
    drop(p);
    let mut store = Store::open(f.dir.path()).unwrap();
    assert!(matches!(
        store.append(&[e], &f.log_key, 0),
        Err(StoreError::Conflict {
            expected: 0,
            found: 1
        })
    ));
    assert_eq!(Store::open(f.dir.path()).unwrap().size(), 1);
}

// ---------------------------------------------------------------------------
// Creation is atomic; half-made stores are replaced, nothing else is

#[test]
fn half_made_stores_are_named_on_open_and_replaced_on_create() {
    let key = SecretKey::generate(&mut rand_core::OsRng, "half.example/log").unwrap();
    // What an erkin killed while creating a store could leave: an empty
    // file, a database with no tables, and (older erkins) the schema
    // without the log key.
    type Leave<'a> = (&'a str, &'a dyn Fn(&Path));
    let leave: [Leave; 3] = [
        ("an empty file", &|d| {
            std::fs::write(d.join("erkin.sqlite"), b"").unwrap()
        }),
        ("a database with no tables", &|d| {
            let c = rusqlite::Connection::open(d.join("erkin.sqlite")).unwrap();
            c.execute_batch("PRAGMA journal_mode = WAL; PRAGMA user_version = 0;")
                .unwrap();
        }),
        ("the schema without its log key", &|d| {
            let c = rusqlite::Connection::open(d.join("erkin.sqlite")).unwrap();
            c.execute_batch(
                "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
                 CREATE TABLE entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT;
                 PRAGMA application_id = 1701997422; PRAGMA user_version = 1;",
            )
            .unwrap();
        }),
    ];
    for (what, make) in leave {
        let dir = tempfile::tempdir().unwrap();
        make(dir.path());
        let err = open_err(dir.path());
        assert!(matches!(err, StoreError::HalfMade { .. }), "{what}: {err}");
        let store =
            Store::create(dir.path(), key.verifier_key()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(store.log_key(), key.verifier_key(), "{what}");
        drop(store);
        // A complete store, and nothing left beside it.
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("creating"))
            .collect();
        assert!(names.is_empty(), "{what}: left {names:?}");
    }
}

#[test]
fn create_never_replaces_a_store_with_entries_or_another_database() {
    let key = SecretKey::generate(&mut rand_core::OsRng, "keep.example/log").unwrap();
    // Our schema, no log key, but an entry: damaged, not half-made.
    let dir = tempfile::tempdir().unwrap();
    let c = rusqlite::Connection::open(dir.path().join("erkin.sqlite")).unwrap();
    c.execute_batch(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
         CREATE TABLE entries (idx INTEGER PRIMARY KEY, data BLOB NOT NULL) STRICT;
         INSERT INTO entries VALUES (0, x'00');
         PRAGMA application_id = 1701997422;",
    )
    .unwrap();
    drop(c);
    assert!(matches!(
        Store::create(dir.path(), key.verifier_key()),
        Err(StoreError::AlreadyExists(_))
    ));
    // Another program's database.
    let other = tempfile::tempdir().unwrap();
    let c = rusqlite::Connection::open(other.path().join("erkin.sqlite")).unwrap();
    c.execute_batch("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    drop(c);
    assert!(matches!(
        Store::create(other.path(), key.verifier_key()),
        Err(StoreError::AlreadyExists(_))
    ));
    let c = rusqlite::Connection::open(other.path().join("erkin.sqlite")).unwrap();
    let kept: String = c
        .query_row("SELECT t FROM notes", [], |r| r.get(0))
        .unwrap();
    assert_eq!(kept, "mine");
}

#[test]
fn staging_files_of_killed_creations_are_cleared() {
    let key = SecretKey::generate(&mut rand_core::OsRng, "stage.example/log").unwrap();
    let dir = tempfile::tempdir().unwrap();
    for leftover in ["erkin.sqlite.creating-1", "erkin.sqlite.creating-1-wal"] {
        std::fs::write(dir.path().join(leftover), b"half a database").unwrap();
    }
    Store::create(dir.path(), key.verifier_key()).unwrap();
    assert!(Store::open(dir.path()).is_ok());
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("creating"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// The most memory this process has held so far (VmHWM), in bytes.
fn peak_rss() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    kib * 1024
}

#[test]
fn a_huge_blob_row_is_refused_before_it_is_read() {
    use erkin_core::verify::{CopyReader, ReadError};
    let (f, p) = found();
    drop(p);
    // A hostile data directory: a 300 MB row under a blob's name.
    let id = BlobId::of(b"looks innocent");
    let conn = rusqlite_conn(f.dir.path());
    conn.execute(
        "INSERT INTO blobs (id, data) VALUES (?1, zeroblob(300000000))",
        [&id.0[..]],
    )
    .unwrap();
    drop(conn);
    let store = Store::open_unverified(f.dir.path()).unwrap();
    let before = peak_rss();
    let max = erkin_core::blob::DEFAULT_MAX_BLOB_LEN;
    assert!(matches!(
        store.read(&format!("blob/{id}"), max),
        Err(ReadError::TooLarge { .. })
    ));
    assert!(matches!(
        store.blob(&id, max),
        Err(StoreError::Blob(BlobError::TooLarge {
            len: 300_000_000,
            ..
        }))
    ));
    let grew = peak_rss().saturating_sub(before);
    assert!(
        grew < 100_000_000,
        "refusing grew peak memory by {grew} bytes"
    );
}

#[test]
fn huge_entry_and_checkpoint_rows_are_refused_before_they_are_read() {
    use erkin_core::verify::CopyReader;
    for (what, sql) in [
        (
            "an entry",
            // Without the state snapshot, so that opening folds (reads)
            // the entry; with it, entries before the snapshot are not read.
            "UPDATE entries SET data = zeroblob(300000000) WHERE idx = 0;
             DELETE FROM state_snapshot;",
        ),
        (
            "a checkpoint",
            "UPDATE checkpoints SET note = zeroblob(300000000) WHERE size = 1",
        ),
    ] {
        let (f, p) = found();
        drop(p);
        rusqlite_conn(f.dir.path()).execute_batch(sql).unwrap();
        let before = peak_rss();
        let err = match Publication::open(f.dir.path()) {
            Ok(_) => panic!("{what}: opened"),
            Err(e) => e,
        };
        assert!(
            matches!(err, PublicationError::Store(StoreError::Corrupt { .. })),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("300000000 bytes"), "{what}: {err}");
        // Read as a copy (verify, mirror from a directory): refused too.
        let store = Store::open_unverified(f.dir.path()).unwrap();
        let path = if what == "an entry" {
            "tile/entries/000.p/1"
        } else {
            "checkpoint"
        };
        assert!(store.read(path, 1 << 30).is_err(), "{what}");
        let grew = peak_rss().saturating_sub(before);
        assert!(
            grew < 100_000_000,
            "{what}: refusing grew peak memory by {grew} bytes"
        );
    }
}

#[test]
fn uploads_are_served_only_once_named_and_collected_if_never_named() {
    let (f, mut p) = found();
    let max = 1 << 20;
    let named = p.put_blob_pending(b"the body", max, 1 << 30, T0).unwrap();
    let unnamed = p
        .put_blob_pending(b"never named", max, 1 << 30, T0)
        .unwrap();
    // Pending: stored, not served.
    assert!(p.store().has_blob(&named).unwrap());
    assert!(p.store().served_blob(&named).unwrap().is_none());
    assert_eq!(p.store().pending_bytes().unwrap(), 8 + 11);
    // Over the pending budget: refused, nothing stored.
    assert!(matches!(
        p.put_blob_pending(b"one more", max, 20, T0),
        Err(PublicationError::PendingFull { max: 20 })
    ));
    assert!(!p.store().has_blob(&BlobId::of(b"one more")).unwrap());
    // An entry names one: served from its commit on.
    let body = EntryBody {
        time: T0 + 1,
        action: Action::Publish(erkin_core::action::Publish {
            slug: "named".into(),
            lang: "en".into(),
            title: "Named".into(),
            summary: String::new(),
            authors: vec!["dauren".into()],
            bylines: vec![],
            tags: vec![],
            body: named.to_string(),
            media: vec![],
            translation_of: None,
            first_published: None,
        }),
    };
    let e = p.sign(&body, &f.member).unwrap();
    let outcome = p.submit(&[e], T0 + 1, &f.log_key).unwrap();
    assert!(outcome.results[0].is_ok(), "{:?}", outcome.results);
    let handle = p
        .store()
        .served_blob(&named)
        .unwrap()
        .expect("served once named");
    let mut buf = vec![0u8; 100];
    let n = p.store().read_blob_at(handle, 4, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"body");
    // Within the grace period nothing is collected; after it, only the
    // unnamed upload.
    assert_eq!(p.collect_unnamed_blobs(T0 + 100, 3600).unwrap(), 0);
    assert!(p.store().has_blob(&unnamed).unwrap());
    assert_eq!(p.collect_unnamed_blobs(T0 + 3601, 3600).unwrap(), 1);
    assert!(!p.store().has_blob(&unnamed).unwrap());
    assert!(p.store().has_blob(&named).unwrap());
    assert_eq!(p.store().pending_bytes().unwrap(), 0);
}

/// The size a checkpoint note names (its second line).
fn note_size(note: &[u8]) -> u64 {
    let text = std::str::from_utf8(note).unwrap();
    text.lines().nth(1).unwrap().parse().unwrap()
}

/// Every committed batch's checkpoint stays readable by its size (an export
/// names the size it wrote tiles for, not whatever is latest by then);
/// sizes that were never a batch's end have none.
#[test]
fn each_batchs_checkpoint_is_kept_by_its_size() {
    let (f, mut p) = found();
    let mut ends = vec![p.store().size()];
    for i in 0..3u64 {
        let batch: Vec<Vec<u8>> = (0..4)
            .map(|j| statement(&p, &f.member, T0 + 10 * i + j, &format!("b{i}-{j}")))
            .collect();
        let outcome = p.submit(&batch, T0 + 10 * i, &f.log_key).unwrap();
        assert!(outcome.results.iter().all(|r| r.is_ok()));
        ends.push(p.store().size());
    }
    let store = p.store();
    for &size in &ends {
        let note = store
            .checkpoint_bytes_at(size)
            .unwrap()
            .unwrap_or_else(|| panic!("no checkpoint of size {size}"));
        assert_eq!(note_size(&note), size);
    }
    let latest = store.latest_checkpoint_bytes().unwrap().unwrap();
    assert_eq!(
        Some(latest),
        store.checkpoint_bytes_at(store.size()).unwrap()
    );
    // Within a batch, and beyond the tree: none.
    assert_eq!(store.checkpoint_bytes_at(ends[1] - 1).unwrap(), None);
    assert_eq!(store.checkpoint_bytes_at(store.size() + 1).unwrap(), None);
}
