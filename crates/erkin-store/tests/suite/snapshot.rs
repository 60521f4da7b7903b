//! The state snapshot kept beside the log (src/publication.rs, src/store.rs):
//! opening reads it and folds only the entries after it; storing one writes
//! the rows of the articles that changed only; a snapshot that is missing,
//! of an older format, of another tree, whose recorded digest is not the
//! one it is filed under or whose article rows are not its head's is
//! rebuilt, not trusted; `check_snapshot` (`erkin verify --deep`) finds a
//! snapshot that is not the refold, which opening (trusting the recorded
//! digest) does not.

use std::path::Path;

use erkin_core::action::{Action, Charter, Correct, Publish, Statement};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::snapshot::{SnapshotError, FORMAT};
use erkin_store::publication::SNAPSHOT_EVERY;
use erkin_store::{check_snapshot, Opened, Publication, Refold, SnapshotCheck};
use rusqlite::{params, Connection};

pub(crate) const T0: u64 = 1_790_000_000;

pub(crate) struct Fixture {
    pub(crate) dir: tempfile::TempDir,
    pub(crate) log_key: SecretKey,
    pub(crate) member: SecretKey,
}

pub(crate) fn founded() -> Fixture {
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
pub(crate) fn statements(f: &Fixture, n: u64, batch: u64) {
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

/// Publishes (or, if it exists, corrects) each of `slugs`, one batch.
pub(crate) fn articles(f: &Fixture, slugs: &[&str]) {
    let mut p = Publication::open(f.dir.path()).unwrap();
    articles_in(f, &mut p, slugs);
}

/// [`articles`] through the publication `p`, kept open.
fn articles_in(f: &Fixture, p: &mut Publication, slugs: &[&str]) {
    let start = p.state().size();
    let entries: Vec<Vec<u8>> = slugs
        .iter()
        .enumerate()
        .map(|(i, slug)| {
            let i = i as u64;
            let text = format!("{slug} at {}", start + i);
            let body = p.put_blob(text.as_bytes(), 1 << 20).unwrap().to_string();
            let action = if p.state().article(slug).is_some() {
                Action::Correct(Correct {
                    slug: slug.to_string(),
                    title: text,
                    summary: String::new(),
                    body,
                    media: vec![],
                    note: "Corrected.".into(),
                    major: false,
                })
            } else {
                Action::Publish(Publish {
                    slug: slug.to_string(),
                    lang: "en".into(),
                    title: text,
                    summary: String::new(),
                    authors: vec!["aigerim".into()],
                    bylines: vec![],
                    tags: vec![],
                    body,
                    media: vec![],
                    translation_of: None,
                    first_published: None,
                })
            };
            let body = EntryBody {
                time: T0 + start + i,
                action,
            };
            p.sign(&body, &f.member).unwrap()
        })
        .collect();
    let out = p.submit(&entries, T0 + start, &f.log_key).unwrap();
    assert!(out.results.iter().all(|r| r.is_ok()), "{:?}", out.results);
}

/// Stores the snapshot of the publication's state now (as a batch that
/// is due does).
pub(crate) fn store_snapshot(f: &Fixture) {
    let p = Publication::open(f.dir.path()).unwrap();
    let snap = erkin_core::snapshot::encode(p.state());
    assert!(p.store().put_snapshot(&snap, false).unwrap());
}

/// The stored article rows: slug, SQLite rowid (a row rewritten gets a new
/// one) and bytes.
pub(crate) fn article_rows(dir: &Path) -> Vec<(String, i64, Vec<u8>)> {
    let conn = db(dir);
    let mut stmt = conn
        .prepare("SELECT slug, rowid, data FROM state_articles ORDER BY slug")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap();
    rows.map(Result::unwrap).collect()
}

pub(crate) fn db(dir: &Path) -> Connection {
    Connection::open(dir.join(erkin_store::store::DB_FILE)).unwrap()
}

fn opened(dir: &Path) -> Opened {
    Publication::open(dir).unwrap().opened().clone()
}

#[test]
fn a_snapshot_stored_on_request_leaves_nothing_to_fold() {
    let f = founded();
    statements(&f, 10, 4);
    let mut p = Publication::open(f.dir.path()).unwrap();
    let size = p.state().size();
    assert!(size > 1);
    assert_eq!(
        p.opened(),
        &Opened::Snapshot {
            size: 1,
            folded: size - 1
        }
    );
    assert!(p.store_snapshot().unwrap());
    // Nothing new since: nothing stored again.
    assert!(!p.store_snapshot().unwrap());
    drop(p);
    assert_eq!(opened(f.dir.path()), Opened::Snapshot { size, folded: 0 });
    assert_eq!(
        check_snapshot(Publication::open(f.dir.path()).unwrap().store()).unwrap(),
        SnapshotCheck::Agrees { size }
    );
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

/// Storing a snapshot writes the head and the rows of the articles changed
/// since the one stored before, not the others; the result is the refold.
#[test]
fn a_snapshot_rewrites_only_the_articles_that_changed() {
    let f = founded();
    articles(&f, &["one", "two", "three"]);
    store_snapshot(&f);
    let before = article_rows(f.dir.path());
    assert_eq!(
        before.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["one", "three", "two"]
    );
    // A correction of "two" and a new "four".
    articles(&f, &["two", "four"]);
    store_snapshot(&f);
    let after = article_rows(f.dir.path());
    assert_eq!(
        after.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["four", "one", "three", "two"]
    );
    let row = |rows: &[(String, i64, Vec<u8>)], slug: &str| {
        rows.iter().find(|r| r.0 == slug).unwrap().clone()
    };
    // Untouched: the same row, not rewritten.
    assert_eq!(row(&after, "one"), row(&before, "one"));
    assert_eq!(row(&after, "three"), row(&before, "three"));
    // Corrected: rewritten, with the new revision.
    assert_ne!(row(&after, "two").1, row(&before, "two").1);
    assert_ne!(row(&after, "two").2, row(&before, "two").2);
    let p = Publication::open(f.dir.path()).unwrap();
    let size = p.state().size();
    assert_eq!(p.opened(), &Opened::Snapshot { size, folded: 0 });
    assert_eq!(p.state().article("two").unwrap().revisions.len(), 2);
    assert_eq!(
        check_snapshot(p.store()).unwrap(),
        SnapshotCheck::Agrees { size }
    );
}

/// Article rows that are not the head's — one missing, one too many, one
/// that does not decode — are not trusted: the snapshot is rebuilt whole.
#[test]
fn a_snapshot_whose_article_rows_are_not_its_heads_is_rebuilt() {
    let f = founded();
    articles(&f, &["one", "two"]);
    store_snapshot(&f);
    let size = Publication::open(f.dir.path()).unwrap().state().size();
    let conn = db(f.dir.path());
    conn.execute("DELETE FROM state_articles WHERE slug = 'two'", [])
        .unwrap();
    assert_eq!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::Refused(SnapshotError::WrongArticles {
                expected: 2,
                found: 1
            })
        }
    );
    // Rebuilt whole.
    assert_eq!(article_rows(f.dir.path()).len(), 2);
    assert_eq!(opened(f.dir.path()), Opened::Snapshot { size, folded: 0 });

    conn.execute(
        "INSERT INTO state_articles (slug, data) SELECT 'three', data FROM state_articles WHERE slug = 'one'",
        [],
    )
    .unwrap();
    assert!(matches!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::Refused(
                SnapshotError::WrongArticles { .. } | SnapshotError::Malformed { .. }
            )
        }
    ));
    assert_eq!(article_rows(f.dir.path()).len(), 2);

    conn.execute(
        "UPDATE state_articles SET data = x'7b7d' WHERE slug = 'one'",
        [],
    )
    .unwrap();
    assert!(matches!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::Refused(SnapshotError::Malformed { .. })
        }
    ));
    assert_eq!(opened(f.dir.path()), Opened::Snapshot { size, folded: 0 });
}

/// Opening trusts the digest recorded with a snapshot (recomputing it
/// would read every article); `verify --deep` does not: an article row
/// altered into another well-formed article is found there, by the refold
/// and its digest.
#[test]
fn verify_deep_finds_an_altered_article_row_that_opening_trusts() {
    let f = founded();
    articles(&f, &["one"]);
    store_snapshot(&f);
    let conn = db(f.dir.path());
    let data: Vec<u8> = conn
        .query_row(
            "SELECT data FROM state_articles WHERE slug = 'one'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // The title's text, altered in place in the (binary) row.
    let at = data
        .windows(6)
        .position(|w| w == b"one at")
        .expect("the title in the row");
    let mut altered = data.clone();
    altered[at..at + 6].copy_from_slice(b"ONE AT");
    conn.execute(
        "UPDATE state_articles SET data = ?1 WHERE slug = 'one'",
        params![altered],
    )
    .unwrap();
    let p = Publication::open(f.dir.path()).unwrap();
    let size = p.state().size();
    assert_eq!(p.opened(), &Opened::Snapshot { size, folded: 0 });
    assert!(p
        .state()
        .article("one")
        .unwrap()
        .current()
        .title
        .starts_with("ONE AT"));
    assert_eq!(
        check_snapshot(p.store()).unwrap(),
        SnapshotCheck::Differs { size }
    );
}

/// A snapshot stored by an erkin of the previous format (the whole state
/// in one document, no article rows) is rebuilt, never read.
#[test]
fn a_snapshot_of_the_whole_state_format_is_rebuilt() {
    let f = founded();
    articles(&f, &["one"]);
    let conn = db(f.dir.path());
    conn.execute_batch(
        "DELETE FROM state_articles;
         UPDATE state_snapshot SET data = CAST('erkin-state 3' || char(10) || '{\"origin\":\"x\"}' AS BLOB), weight = 0;",
    )
    .unwrap();
    assert_eq!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::Refused(SnapshotError::Format { found: 3 })
        }
    );
    let p = Publication::open(f.dir.path()).unwrap();
    let size = p.state().size();
    assert_eq!(p.opened(), &Opened::Snapshot { size, folded: 0 });
    assert_eq!(article_rows(f.dir.path()).len(), 1);
    assert_eq!(
        check_snapshot(p.store()).unwrap(),
        SnapshotCheck::Agrees { size }
    );
}

/// What the digest does not cover (the replay set is the log itself) is
/// still checked by `verify --deep`: a snapshot whose replay set lost an
/// entry's hash decodes, but is not the refold.
#[test]
fn verify_deep_finds_a_snapshot_that_is_not_the_refold() {
    let f = founded();
    statements(&f, 3, 3);
    let conn = db(f.dir.path());
    // The snapshot of genesis wrote the replay set's base (its one hash)
    // apart from the head: a bit of it flipped changes that hash, nothing
    // else.
    let (at, mut hashes): (u64, Vec<u8>) = conn
        .query_row("SELECT size, hashes FROM state_seen_base", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!((at, hashes.len()), (1, 32));
    hashes[0] ^= 1;
    conn.execute("UPDATE state_seen_base SET hashes = ?1", params![hashes])
        .unwrap();
    let store = erkin_store::Store::open_unverified(f.dir.path()).unwrap();
    assert_eq!(
        check_snapshot(&store).unwrap(),
        SnapshotCheck::Differs { size: 1 }
    );
}

/// A snapshot stored by an erkin of format 6 (the same head, article rows
/// in JSON) is rebuilt, never read: its rows are written again in this
/// format's binary, and the rebuilt snapshot agrees with a refold.
#[test]
fn a_snapshot_with_the_json_article_rows_of_format_6_is_rebuilt() {
    let f = founded();
    articles(&f, &["one", "two"]);
    articles(&f, &["one"]);
    store_snapshot(&f);
    let p = Publication::open(f.dir.path()).unwrap();
    let size = p.state().size();
    let conn = db(f.dir.path());
    let data: Vec<u8> = conn
        .query_row("SELECT data FROM state_snapshot", [], |r| r.get(0))
        .unwrap();
    let body = &data[data.iter().position(|&b| b == b'\n').unwrap()..];
    let mut old = b"erkin-state 6".to_vec();
    old.extend_from_slice(body);
    conn.execute("UPDATE state_snapshot SET data = ?1", params![old])
        .unwrap();
    // Each row as format 6 wrote it: {"article": …, "log_times": […]}.
    for slug in ["one", "two"] {
        let a = p.state().article(slug).unwrap();
        let log_times: Vec<u64> = a.revisions.iter().map(|r| r.log_time).collect();
        let row =
            serde_json::to_vec(&serde_json::json!({"article": a, "log_times": log_times})).unwrap();
        assert_eq!(row.first(), Some(&b'{'));
        conn.execute(
            "UPDATE state_articles SET data = ?1 WHERE slug = ?2",
            params![row, slug],
        )
        .unwrap();
    }
    drop(p);
    assert_eq!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::Refused(SnapshotError::Format { found: 6 })
        }
    );
    let p = Publication::open(f.dir.path()).unwrap();
    assert_eq!(p.opened(), &Opened::Snapshot { size, folded: 0 });
    let rows = article_rows(f.dir.path());
    assert_eq!(rows.len(), 2);
    for (slug, _, data) in &rows {
        let a = p.state().article(slug).unwrap();
        assert_eq!(data, &erkin_core::snapshot::article_bytes(a), "{slug}");
    }
    assert_eq!(p.state().article("one").unwrap().revisions.len(), 2);
    assert_eq!(
        check_snapshot(p.store()).unwrap(),
        SnapshotCheck::Agrees { size }
    );
}

/// An erkin of format 7 does not complete a snapshot stored by an erkin of
/// format 6 with its changed rows (the two sharing a directory during an
/// upgrade): the untouched rows would be format 6's JSON under a format 7
/// head. The stored snapshot is removed instead and nothing is written, so
/// the next open rebuilds it because it is missing, not because it found
/// rows of two formats.
#[test]
fn an_incremental_snapshot_does_not_complete_one_of_another_format() {
    let f = founded();
    articles(&f, &["one", "two"]);
    store_snapshot(&f);
    // This erkin opens from the stored snapshot and corrects "one": only
    // that row is changed since.
    let mut p = Publication::open(f.dir.path()).unwrap();
    let since = p.state().size();
    assert_eq!(
        p.opened(),
        &Opened::Snapshot {
            size: since,
            folded: 0
        }
    );
    articles_in(&f, &mut p, &["one"]);
    // Meanwhile an erkin of format 6 stored its snapshot at the same size:
    // the head and every row in its JSON.
    let conn = db(f.dir.path());
    let data: Vec<u8> = conn
        .query_row("SELECT data FROM state_snapshot", [], |r| r.get(0))
        .unwrap();
    let body = &data[data.iter().position(|&b| b == b'\n').unwrap()..];
    let mut old = b"erkin-state 6".to_vec();
    old.extend_from_slice(body);
    conn.execute("UPDATE state_snapshot SET data = ?1", params![old])
        .unwrap();
    for slug in ["one", "two"] {
        let row = serde_json::to_vec(&serde_json::json!({"article": slug})).unwrap();
        conn.execute(
            "UPDATE state_articles SET data = ?1 WHERE slug = ?2",
            params![row, slug],
        )
        .unwrap();
    }
    let snap = erkin_core::snapshot::encode(p.state());
    assert!(!snap.complete);
    assert_eq!(snap.since, since);
    assert_eq!(snap.articles.len(), 1);
    assert!(!p.store().put_snapshot(&snap, false).unwrap());
    assert_eq!(
        db(f.dir.path())
            .query_row("SELECT COUNT(*) FROM state_snapshot", [], |r| r
                .get::<_, i64>(0))
            .unwrap(),
        0
    );
    assert!(article_rows(f.dir.path()).is_empty());
    let size = p.state().size();
    drop(p);
    assert_eq!(
        opened(f.dir.path()),
        Opened::Refolded {
            why: Refold::Missing
        }
    );
    let p = Publication::open(f.dir.path()).unwrap();
    assert_eq!(p.opened(), &Opened::Snapshot { size, folded: 0 });
    assert_eq!(p.state().article("one").unwrap().revisions.len(), 2);
    assert_eq!(
        check_snapshot(p.store()).unwrap(),
        SnapshotCheck::Agrees { size }
    );
}

/// What `Store::read_at_once` reads is of one moment: a snapshot stored
/// by another process meanwhile is not seen half (its head with the old
/// rows), which `Publication::open` relies on while a server stores them.
#[test]
fn a_read_at_once_does_not_see_what_is_committed_meanwhile() {
    let f = founded();
    articles(&f, &["one"]);
    store_snapshot(&f);
    let p = Publication::open(f.dir.path()).unwrap();
    let (before, after) = p
        .store()
        .read_at_once(|s| {
            let before = s.snapshot_size().unwrap();
            db(f.dir.path())
                .execute("UPDATE state_snapshot SET size = size + 1", [])
                .unwrap();
            (before, s.snapshot_size().unwrap())
        })
        .unwrap();
    assert!(before.is_some());
    assert_eq!(before, after);
    assert_eq!(p.store().snapshot_size().unwrap(), before.map(|s| s + 1));
}

/// The replay set's base is kept apart from the head, which names the log
/// size it was written at: a base missing, of another size or not whole
/// hashes is refused (the log is folded again and a new snapshot, base and
/// all, stored), and an incremental snapshot is not written over a base
/// that is not the one its head names.
#[test]
fn a_replay_set_base_that_is_not_the_heads_is_refused_and_rebuilt() {
    let cases: [(&str, &str); 3] = [
        ("DELETE FROM state_seen_base", "is not stored (found: None)"),
        (
            "UPDATE state_seen_base SET size = size + 1",
            "is not stored (found: Some(",
        ),
        (
            "UPDATE state_seen_base SET hashes = substr(hashes, 2)",
            "replay set base: not whole hashes",
        ),
    ];
    for (damage, reason) in cases {
        let f = founded();
        store_snapshot(&f);
        db(f.dir.path()).execute_batch(damage).unwrap();
        match opened(f.dir.path()) {
            Opened::Refolded {
                why: Refold::Refused(SnapshotError::Malformed { reason: r }),
            } => assert!(r.contains(reason), "{damage}: {r}"),
            other => panic!("{damage}: {other:?}"),
        }
        // Rebuilt on that open: the next one reads it.
        let p = Publication::open(f.dir.path()).unwrap();
        assert!(matches!(p.opened(), Opened::Snapshot { .. }), "{damage}");
        let size = p.store().snapshot_size().unwrap().unwrap();
        assert_eq!(
            check_snapshot(p.store()).unwrap(),
            SnapshotCheck::Agrees { size }
        );
    }
    // An incremental snapshot whose head names another base than the
    // stored one: not written, and the stored snapshot is dropped (the next
    // open rebuilds it), as when two processes race.
    let f = founded();
    statements(&f, 3, 3);
    let p = Publication::open(f.dir.path()).unwrap();
    assert!(p.state().touched_since() > 0);
    let mut snap = erkin_core::snapshot::encode(p.state());
    assert!(!snap.complete && snap.seen_base.is_none());
    snap.seen_base_at += 1;
    assert!(!p.store().put_snapshot(&snap, false).unwrap());
    assert_eq!(p.store().snapshot_size().unwrap(), None);
}

/// A bulk command's batches (`erkin import`) store a snapshot only every
/// `SNAPSHOT_EVERY_IN_BULK` entries, and the command stores one when it
/// ends; the same batches from an ordinary publication store them every
/// `SNAPSHOT_EVERY`.
#[test]
fn a_bulk_command_stores_its_snapshot_when_it_ends() {
    use erkin_store::publication::SNAPSHOT_EVERY_IN_BULK;
    let n = 3 * SNAPSHOT_EVERY;
    assert!(n < SNAPSHOT_EVERY_IN_BULK);
    for bulk in [false, true] {
        let f = founded();
        let mut p = Publication::open(f.dir.path()).unwrap();
        p.set_bulk(bulk);
        for round in 0..n / 64 {
            let start = p.state().size();
            let entries: Vec<Vec<u8>> = (0..64)
                .map(|i| {
                    let body = EntryBody {
                        time: T0 + start + i,
                        action: Action::Statement(Statement {
                            text: format!("bulk {round}.{i}"),
                        }),
                    };
                    p.sign(&body, &f.member).unwrap()
                })
                .collect();
            let out = p.submit(&entries, T0 + start, &f.log_key).unwrap();
            assert!(out.results.iter().all(|r| r.is_ok()));
        }
        let at = p.store().snapshot_size().unwrap().unwrap();
        match bulk {
            false => assert!(at > 2 * SNAPSHOT_EVERY, "snapshot at {at}"),
            true => assert_eq!(at, 1, "a bulk command stored one as it went"),
        }
        assert!(p.store_snapshot().unwrap() || !bulk);
        assert_eq!(
            p.store().snapshot_size().unwrap().unwrap(),
            p.state().size()
        );
    }
}
