//! The lists kept with the snapshot (src/lists.rs): written with every
//! stored snapshot, whole or in part, they are always those the snapshot's
//! rows make; lists left behind by an erkin that kept none are made again
//! from the rows; lists altered by hand are found.

use erkin_core::action::{Action, Correct, Publish};
use erkin_core::entry::EntryBody;
use erkin_store::Publication;

use crate::snapshot::{founded, store_snapshot, Fixture, T0};

/// Publishes (or corrects) `slugs`, the `i`th tagged by `i % 3` and
/// `i % 5`, some tags given twice.
fn publish(f: &Fixture, slugs: &[&str]) {
    let mut p = Publication::open(f.dir.path()).unwrap();
    let start = p.state().size();
    let entries: Vec<Vec<u8>> = slugs
        .iter()
        .enumerate()
        .map(|(i, slug)| {
            let text = format!("{slug} at {}", start + i as u64);
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
                let t = format!("t{}", i % 3);
                let translation = (i % 4 == 3 && *slug != "a0").then(|| "a0".to_string());
                Action::Publish(Publish {
                    slug: slug.to_string(),
                    lang: if translation.is_some() { "kk" } else { "en" }.into(),
                    title: text,
                    summary: String::new(),
                    authors: vec!["aigerim".into()],
                    bylines: vec![],
                    tags: vec![t.clone(), format!("u{}", i % 5), t],
                    body,
                    media: vec![],
                    translation_of: (i % 4 == 3)
                        .then(|| "a0".to_string())
                        .filter(|_| *slug != "a0"),
                    first_published: None,
                })
            };
            p.sign(
                &EntryBody {
                    time: T0 + start + i as u64,
                    action,
                },
                &f.member,
            )
            .unwrap()
        })
        .collect();
    let out = p.submit(&entries, T0 + start, &f.log_key).unwrap();
    assert!(out.results.iter().all(|r| r.is_ok()), "{:?}", out.results);
}

fn matches(f: &Fixture) -> Option<bool> {
    let p = Publication::open(f.dir.path()).unwrap();
    p.store().lists_match_rows().unwrap()
}

#[test]
fn the_lists_are_the_rows_after_every_snapshot_whole_or_in_part() {
    let f = founded();
    publish(&f, &["a0", "a1", "a2", "a3"]);
    store_snapshot(&f);
    assert_eq!(matches(&f), Some(true));
    // Corrections and new articles: a snapshot of the changed rows only.
    publish(&f, &["a1", "a4", "a5", "a6", "a7"]);
    store_snapshot(&f);
    assert_eq!(matches(&f), Some(true));
    publish(&f, &["a2", "a3", "a8"]);
    store_snapshot(&f);
    assert_eq!(matches(&f), Some(true));
}

#[test]
fn lists_of_another_snapshot_are_made_again_from_the_rows() {
    let f = founded();
    publish(&f, &["a0", "a1", "a2"]);
    store_snapshot(&f);
    // As an erkin that keeps no lists leaves a store: the rows' snapshot
    // moved on, the lists did not.
    let db = f.dir.path().join(erkin_store::store::DB_FILE);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch("DELETE FROM state_lists_of; DELETE FROM state_lists WHERE slug = 'a1';")
        .unwrap();
    drop(conn);
    assert_eq!(matches(&f), None, "no lists of any snapshot");
    publish(&f, &["a1", "a3"]);
    store_snapshot(&f);
    assert_eq!(matches(&f), Some(true));
}

#[test]
fn lists_altered_by_hand_are_found() {
    let f = founded();
    publish(&f, &["a0", "a1", "a2"]);
    store_snapshot(&f);
    assert_eq!(matches(&f), Some(true));
    let db = f.dir.path().join(erkin_store::store::DB_FILE);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("DELETE FROM state_lists WHERE slug = 'a2' AND kind = 1", [])
        .unwrap();
    drop(conn);
    assert_eq!(matches(&f), Some(false));
}

#[test]
fn lists_are_read_only_for_their_snapshot_and_time_zone() {
    let f = founded();
    publish(&f, &["a0", "a1"]);
    store_snapshot(&f);
    let p = Publication::open(f.dir.path()).unwrap();
    let size = p.store().snapshot_size().unwrap().unwrap();
    let zone = p.state().charter().time_zone().to_string();
    let read = |size: u64, zone: &str| {
        p.store()
            .read_lists(size, zone, |l| {
                l.newest(
                    &erkin_core::lists::ListKey::new(erkin_core::lists::ListKind::Articles, "", ""),
                    10,
                )
            })
            .unwrap()
    };
    let w = read(size, &zone).expect("the lists of this snapshot and zone");
    assert_eq!(w.len, 2);
    assert_eq!(
        w.items.iter().map(|(_, s)| s.as_str()).collect::<Vec<_>>(),
        ["a1", "a0"],
        "newest first"
    );
    // Months filed in another zone, or lists of another snapshot: not read.
    let other = if zone == "UTC" { "Asia/Almaty" } else { "UTC" };
    assert_eq!(read(size, other), None);
    assert_eq!(read(size - 1, &zone), None);
}
