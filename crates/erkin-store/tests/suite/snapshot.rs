//! The state snapshot kept beside the log (src/publication.rs, src/store.rs):
//! opening reads it and folds only the entries after it; a snapshot that is
//! missing, of an older format, of another tree, or whose state does not
//! hash to its digest is rebuilt, not trusted; `check_snapshot` (`erkin
//! verify --deep`) finds a snapshot that is not the refold even when its
//! digest holds.

use std::path::Path;

use erkin_core::action::{Action, Charter, Statement};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::snapshot::{SnapshotError, FORMAT};
use erkin_store::publication::SNAPSHOT_EVERY;
use erkin_store::{check_snapshot, Opened, Publication, Refold, SnapshotCheck};
use rusqlite::{params, Connection};

const T0: u64 = 1_790_000_000;

struct Fixture {
    dir: tempfile::TempDir,
    log_key: SecretKey,
    member: SecretKey,
}

fn founded() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let log_key = SecretKey::generate(&mut rand_core::OsRng, "snap.example/log").unwrap();
    let member = SecretKey::generate(&mut rand_core::OsRng, "aigerim").unwrap();
    Publication::found(
        dir.path(),
        "Snapshots",
        &log_key,
        &[member.verifier_key().clone()],
        Charter::default(),
        T0,
    )
    .unwrap();
    Fixture {
        dir,
        log_key,
        member,
    }
}

/// Appends `n` statements in batches of `batch`.
fn statements(f: &Fixture, n: u64, batch: u64) {
    let mut p = Publication::open(f.dir.path()).unwrap();
    let mut done = 0;
    while done < n {
        let k = batch.min(n - done);
        let start = p.state().size();
        let entries: Vec<Vec<u8>> = (0..k)
            .map(|i| {
                let body = EntryBody {
                    time: T0 + start + i,
                    action: Action::Statement(Statement {
                        text: format!("statement {}", start + i),
                    }),
                };
                p.sign(&body, &f.member).unwrap()
            })
            .collect();
        let out = p.submit(&entries, T0 + start, &f.log_key).unwrap();
        assert!(out.results.iter().all(|r| r.is_ok()));
        done += k;
    }
}

fn db(dir: &Path) -> Connection {
    Connection::open(dir.join(erkin_store::store::DB_FILE)).unwrap()
}

fn opened(dir: &Path) -> Opened {
    Publication::open(dir).unwrap().opened().clone()
}

#[test]
fn opening_reads_the_snapshot_and_folds_only_the_entries_after_it() {
    let f = founded();
    // The founding stores the first snapshot with the genesis entry.
    assert_eq!(
        opened(f.dir.path()),
        Opened::Snapshot { size: 1, folded: 0 }
    );
    statements(&f, 10, 4);
    let p = Publication::open(f.dir.path()).unwrap();
    let size = p.state().size();
    assert_eq!(
        p.opened(),
        &Opened::Snapshot {
            size: 1,
            folded: size - 1
        }
    );
    assert_eq!(
        check_snapshot(p.store()).unwrap(),
        SnapshotCheck::Agrees { size: 1 }
    );
    drop(p);
    // A batch that takes the log SNAPSHOT_EVERY entries past the snapshot
    // stores a new one in its transaction.
    statements(&f, SNAPSHOT_EVERY, 256);
    let p = Publication::open(f.dir.path()).unwrap();
    let Opened::Snapshot { size: at, folded } = *p.opened() else {
        panic!("opened by {:?}", p.opened());
    };
    assert!(at > SNAPSHOT_EVERY, "snapshot still at {at}");
    assert_eq!(at + folded, p.state().size());
    assert!(folded < SNAPSHOT_EVERY);
    assert_eq!(
        check_snapshot(p.store()).unwrap(),
        SnapshotCheck::Agrees { size: at }
    );
}

#[test]
fn a_missing_snapshot_is_rebuilt_on_open() {
    let f = founded();
    statements(&f, 5, 5);
    db(f.dir.path())
        .execute("DELETE FROM state_snapshot", [])
        .unwrap();
    assert_eq!(
        check_snapshot(Publication::open(f.dir.path()).unwrap().store()).unwrap(),
        // The open just above rebuilt it, at the log's size.
        SnapshotCheck::Agrees { size: 6 }
    );
    db(f.dir.path())
        .execute("DROP TABLE state_snapshot", [])
        .unwrap();
    assert_eq!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::Missing
        }
    );
    assert_eq!(
        opened(f.dir.path()),
        Opened::Snapshot { size: 6, folded: 0 }
    );
}

#[test]
fn a_snapshot_of_an_older_format_is_rebuilt_not_read() {
    let f = founded();
    statements(&f, 3, 3);
    let conn = db(f.dir.path());
    let data: Vec<u8> = conn
        .query_row("SELECT data FROM state_snapshot", [], |r| r.get(0))
        .unwrap();
    let body = &data[data.iter().position(|&b| b == b'\n').unwrap()..];
    let mut old = format!("erkin-state {}", FORMAT - 1).into_bytes();
    old.extend_from_slice(body);
    conn.execute("UPDATE state_snapshot SET data = ?1", params![old])
        .unwrap();
    assert_eq!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::Refused(SnapshotError::Format { found: FORMAT - 1 })
        }
    );
    // Rebuilt in the current format, at the log's size.
    assert_eq!(
        opened(f.dir.path()),
        Opened::Snapshot { size: 4, folded: 0 }
    );
}

#[test]
fn a_snapshot_with_a_wrong_digest_or_of_another_tree_is_rebuilt() {
    let f = founded();
    statements(&f, 3, 3);
    let conn = db(f.dir.path());
    conn.execute("UPDATE state_snapshot SET digest = zeroblob(32)", [])
        .unwrap();
    assert_eq!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::Refused(SnapshotError::WrongDigest)
        }
    );
    assert_eq!(
        opened(f.dir.path()),
        Opened::Snapshot { size: 4, folded: 0 }
    );

    conn.execute("UPDATE state_snapshot SET root = zeroblob(32)", [])
        .unwrap();
    assert_eq!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::OtherTree { size: 4 }
        }
    );
    conn.execute("UPDATE state_snapshot SET size = 99", [])
        .unwrap();
    assert_eq!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::BeyondLog { size: 99, log: 4 }
        }
    );
    assert_eq!(
        opened(f.dir.path()),
        Opened::Snapshot { size: 4, folded: 0 }
    );
}

/// What the digest does not cover (the replay set is the log itself) is
/// still checked by `verify --deep`: a snapshot whose replay set lost an
/// entry's hash decodes and hashes to its digest, but is not the refold.
#[test]
fn verify_deep_finds_a_snapshot_that_is_not_the_refold() {
    let f = founded();
    statements(&f, 3, 3);
    let conn = db(f.dir.path());
    let data: Vec<u8> = conn
        .query_row("SELECT data FROM state_snapshot", [], |r| r.get(0))
        .unwrap();
    let text = String::from_utf8(data).unwrap();
    // The replay set is base64 of whole hashes: changing its first
    // character changes one hash, nothing else.
    let at = text.find("\"seen\":\"").unwrap() + 8;
    let mut altered = text.clone().into_bytes();
    altered[at] = if altered[at] == b'A' { b'B' } else { b'A' };
    conn.execute("UPDATE state_snapshot SET data = ?1", params![altered])
        .unwrap();
    let store = erkin_store::Store::open_unverified(f.dir.path()).unwrap();
    assert_eq!(
        check_snapshot(&store).unwrap(),
        SnapshotCheck::Differs { size: 1 }
    );
}
