//! A publication opened without its articles' rows (`Publication::open_lazily`,
//! what a member's statement or vote opens): the rows are read only when
//! something needs them, and nothing is judged without them.

use erkin_core::action::{Action, Correct, Motion, Propose, Publish, Statement};
use erkin_core::entry::EntryBody;
use erkin_core::rejection::Rejection;
use erkin_core::snapshot;
use erkin_store::publication::SNAPSHOT_EVERY;
use erkin_store::{check_snapshot, Opened, Publication, PublicationError, SnapshotCheck};

use crate::snapshot::{article_rows, articles, founded, statements, store_snapshot, Fixture, T0};
use erkin_testkit::Rng;

/// `action` signed by the fixture's member, dated by the log's size.
fn signed(f: &Fixture, p: &Publication, action: Action) -> Vec<u8> {
    let body = EntryBody {
        time: T0 + p.state().size(),
        action,
    };
    p.sign(&body, &f.member).unwrap()
}

fn statement(text: &str) -> Action {
    Action::Statement(Statement { text: text.into() })
}

fn publish(slug: &str, body: String) -> Action {
    Action::Publish(Publish {
        slug: slug.into(),
        lang: "en".into(),
        title: format!("{slug}, again"),
        summary: String::new(),
        authors: vec!["aigerim".into()],
        bylines: vec![],
        tags: vec![],
        body,
        media: vec![],
        translation_of: None,
        first_published: None,
    })
}

fn correct(slug: &str, body: String) -> Action {
    Action::Correct(Correct {
        slug: slug.into(),
        title: format!("{slug}, corrected"),
        summary: String::new(),
        body,
        media: vec![],
        note: "Corrected.".into(),
        major: false,
    })
}

/// Submits one entry; its result.
fn submit_one(f: &Fixture, p: &mut Publication, entry: Vec<u8>) -> Result<u64, Rejection> {
    let now = T0 + p.state().size();
    let out = p.submit(&[entry], now, &f.log_key).unwrap();
    out.results.into_iter().next().unwrap()
}

/// A publication of two articles whose snapshot holds them both.
fn two_articles() -> Fixture {
    let f = founded();
    articles(&f, &["one", "two"]);
    store_snapshot(&f);
    f
}

/// The store agrees with a refold of its log: the snapshot, and the state
/// an eager open gives.
fn agrees_with_a_refold(f: &Fixture) {
    let mut p = Publication::open(f.dir.path()).unwrap();
    assert!(p.state().articles_read());
    let size = p.state().size();
    let mut refold = erkin_store::publication::fold_store(p.store(), |_| {}).unwrap();
    assert_eq!(refold.size(), size);
    let mut state = p.state().clone();
    assert_eq!(
        snapshot::fingerprint_digest(&mut state),
        snapshot::fingerprint_digest(&mut refold)
    );
    if let Some(stored) = p.store().snapshot_size().unwrap() {
        assert_eq!(
            check_snapshot(p.store()).unwrap(),
            SnapshotCheck::Agrees { size: stored }
        );
        assert_eq!(p.store().leaves_match_rows().unwrap(), Some(true));
    }
    drop(p.store_snapshot());
}

#[test]
fn a_statement_reads_no_article_row() {
    let f = two_articles();
    let mut p = Publication::open_lazily(f.dir.path()).unwrap();
    assert!(!p.state().articles_read());
    // The head's count, not a row read.
    assert_eq!(p.state().article_count(), 2);
    let e = signed(&f, &p, statement("lazily"));
    let index = submit_one(&f, &mut p, e).unwrap();
    assert!(!p.state().articles_read(), "a statement read the rows");
    assert!(index > 0);
    drop(p);
    agrees_with_a_refold(&f);
    // Both rows as they were.
    assert_eq!(article_rows(f.dir.path()).len(), 2);
}

#[test]
fn the_fold_refuses_to_judge_an_article_without_the_rows_and_changes_nothing() {
    let f = two_articles();
    let p = Publication::open_lazily(f.dir.path()).unwrap();
    let body = erkin_core::blob::BlobId::of(b"x").to_string();
    let proposal = |motion| {
        Action::Propose(Propose {
            title: "t".into(),
            closes_at: T0 + 30 * 86_400,
            motion,
        })
    };
    for action in [
        publish("one", body.clone()),
        publish("three", body.clone()),
        correct("two", body.clone()),
        proposal(Motion::Retract {
            article: "one".into(),
            reason: "r".into(),
        }),
        proposal(Motion::Redact {
            target: body.clone(),
            reason: "r".into(),
        }),
    ] {
        let mut state = p.state().clone();
        let size = state.size();
        let e = signed(&f, &p, action);
        assert_eq!(state.apply(&e), Err(Rejection::ArticlesUnread));
        assert_eq!(state.size(), size);
        // Not counted as seen: the same entry is judged once the rows are in.
        assert!(!state.contains_entry(&erkin_core::tree::record_hash(&e)));
    }
    // Other actions are judged without them.
    let mut state = p.state().clone();
    let resolution = signed(
        &f,
        &p,
        proposal(Motion::Resolution {
            text: "We meet on Fridays.".into(),
        }),
    );
    assert!(state.apply(&resolution).is_ok());
}

#[test]
fn an_entry_that_reads_articles_has_the_rows_read_first() {
    let f = two_articles();
    let mut p = Publication::open_lazily(f.dir.path()).unwrap();
    // What needs every article is refused, not answered from none.
    p.store().put_blob_pending(b"pending", 1 << 20, T0).unwrap();
    assert!(matches!(
        p.collect_unnamed_blobs(T0 + 10, 0),
        Err(PublicationError::ArticlesUnread)
    ));
    // An upload needs the redaction targets only: known.
    let body = p.put_blob(b"a body", 1 << 20).unwrap().to_string();
    // An existing slug is still taken: judged with its row, fetched.
    let e = signed(&f, &p, publish("one", body.clone()));
    assert_eq!(
        submit_one(&f, &mut p, e),
        Err(Rejection::ArticleExists { slug: "one".into() })
    );
    assert!(!p.state().articles_read());
    assert!(p.state().knows_article("one"));
    assert!(!p.state().knows_article("two"));
    let e = signed(&f, &p, correct("two", body.clone()));
    submit_one(&f, &mut p, e).unwrap();
    assert_eq!(p.state().article("two").unwrap().revisions.len(), 2);
    assert_eq!(p.state().article_count(), 2);
    // A new article, then its correction, in one batch.
    let entries = vec![
        signed(&f, &p, publish("three", body.clone())),
        signed(&f, &p, correct("three", body)),
    ];
    let now = T0 + p.state().size();
    let out = p.submit(&entries, now, &f.log_key).unwrap();
    assert!(out.results.iter().all(|r| r.is_ok()), "{:?}", out.results);
    assert_eq!(p.state().article_count(), 3);
    assert_eq!(p.state().article("three").unwrap().revisions.len(), 2);
    assert!(!p.state().articles_read());
    drop(p);
    agrees_with_a_refold(&f);
}

#[test]
fn rows_replaced_by_another_process_are_not_read_into_the_old_head() {
    let f = two_articles();
    let mut lazy = Publication::open_lazily(f.dir.path()).unwrap();
    assert!(!lazy.state().articles_read());
    // Meanwhile another process corrects an article and stores a new
    // snapshot: as many rows as the old head counts, one of them newer.
    articles(&f, &["one"]);
    store_snapshot(&f);
    let body = lazy.store().put_blob(b"two, again", 1 << 20).unwrap();
    let e = signed(&f, &lazy, correct("two", body.to_string()));
    // The lazy publication is behind the log and its head's rows are gone:
    // it reads the publication again (the new rows under the old head, and
    // the correction folded on top of its own row, would make three
    // revisions of "one").
    submit_one(&f, &mut lazy, e).unwrap();
    assert!(lazy.state().articles_read());
    assert_eq!(lazy.state().article("one").unwrap().revisions.len(), 2);
    assert_eq!(lazy.state().article("two").unwrap().revisions.len(), 2);
    // Then a new article, judged with every row.
    let body = lazy.store().put_blob(b"three", 1 << 20).unwrap();
    let e = signed(&f, &lazy, publish("three", body.to_string()));
    submit_one(&f, &mut lazy, e).unwrap();
    assert_eq!(lazy.state().article_count(), 3);
    drop(lazy);
    agrees_with_a_refold(&f);
}

#[test]
fn a_tail_that_reads_articles_is_folded_with_the_rows() {
    let f = two_articles();
    // Entries after the snapshot: a correction among statements.
    statements(&f, 3, 3);
    articles(&f, &["one"]);
    statements(&f, 2, 2);
    // The corrected article's row is fetched, and no other.
    let p = Publication::open_lazily(f.dir.path()).unwrap();
    assert!(!p.state().articles_read());
    assert!(matches!(p.opened(), Opened::Snapshot { folded, .. } if *folded > 0));
    assert!(p.state().knows_article("one"));
    assert!(!p.state().knows_article("two"));
    assert_eq!(p.state().article("one").unwrap().revisions.len(), 2);
    drop(p);
    agrees_with_a_refold(&f);
    // A proposed redaction reads every article (its target may be any
    // article's blob): the tail is folded with every row.
    store_snapshot(&f);
    let mut eager = Publication::open(f.dir.path()).unwrap();
    let e = signed(&f, &eager, redact("two"));
    submit_one(&f, &mut eager, e).unwrap();
    drop(eager);
    let p = Publication::open_lazily(f.dir.path()).unwrap();
    assert!(p.state().articles_read());
}

fn redact(target: &str) -> Action {
    Action::Propose(Propose {
        title: "Redact".into(),
        closes_at: T0 + 30 * 86_400,
        motion: Motion::Redact {
            target: target.into(),
            reason: "A source's name.".into(),
        },
    })
}

/// A publication that redacted an article knows that article's blobs
/// before it judges a new one: the redaction targets' rows are fetched
/// with the article's own.
#[test]
fn a_redacted_articles_blobs_stay_refused_without_the_rows() {
    let f = two_articles();
    let mut eager = Publication::open(f.dir.path()).unwrap();
    let body = eager.state().article("two").unwrap().current().body;
    let e = signed(&f, &eager, redact("two"));
    let proposal = submit_one(&f, &mut eager, e).unwrap();
    for action in [
        Action::Vote(erkin_core::action::Vote {
            proposal,
            ballot: erkin_core::action::Ballot::Yes,
        }),
        Action::Close(erkin_core::action::Close {
            proposal,
            salts: vec![],
        }),
    ] {
        let e = signed(&f, &eager, action);
        submit_one(&f, &mut eager, e).unwrap();
    }
    assert!(eager.state().redacted().contains("two"));
    // The redaction's blobs are gone from the store.
    assert!(!eager.store().has_blob(&body).unwrap());
    drop(eager);
    store_snapshot(&f);
    let mut p = Publication::open_lazily(f.dir.path()).unwrap();
    assert!(!p.state().articles_read());
    // The body's bytes uploaded again behind the publication's back (its
    // own upload refuses them), so the fold is what judges the entry.
    let bytes = (0..64)
        .map(|n| format!("two at {n}"))
        .find(|t| erkin_core::blob::BlobId::of(t.as_bytes()) == body)
        .expect("the fixture's body text");
    // The redaction target's row was fetched on open: the upload is
    // refused as the publication opened whole refuses it.
    assert!(p.state().knows_article("two"));
    assert!(!p.state().knows_article("one"));
    assert!(matches!(
        p.put_blob(bytes.as_bytes(), 1 << 20),
        Err(PublicationError::Redacted(id)) if id == body
    ));
    p.store().put_blob(bytes.as_bytes(), 1 << 20).unwrap();
    let e = signed(&f, &p, publish("three", body.to_string()));
    assert_eq!(
        submit_one(&f, &mut p, e),
        Err(Rejection::BlobRedacted { blob: body })
    );
    assert!(!p.state().articles_read());
    drop(p);
    // A crash after the redaction's commit, before its blobs were deleted:
    // the lazy open deletes them, as an open does.
    let p = Publication::open_lazily(f.dir.path()).unwrap();
    assert!(!p.store().has_blob(&body).unwrap());
    assert!(!p.state().articles_read());
}

/// Statements through `p`, 64 to a batch, until the stored snapshot is no
/// longer of `first` entries: its size then.
fn until_a_snapshot(f: &Fixture, p: &mut Publication, first: u64, tag: &str) -> u64 {
    let mut stored = first;
    let mut rounds = 0;
    while stored == first {
        rounds += 1;
        assert!(rounds <= SNAPSHOT_EVERY / 64 + 4, "no snapshot was stored");
        let entries: Vec<Vec<u8>> = (0..64)
            .map(|i| signed(f, p, statement(&format!("{tag}{rounds}.{i}"))))
            .collect();
        let now = T0 + p.state().size();
        let out = p.submit(&entries, now, &f.log_key).unwrap();
        assert!(out.results.iter().all(|r| r.is_ok()), "{:?}", out.results);
        stored = p.store().snapshot_size().unwrap().unwrap();
    }
    stored
}

/// A publication of two articles, opened lazily, into which a new article
/// and a correction of a stored one went: the rows a snapshot must change.
fn lazy_with_changes(f: &Fixture) -> (Publication, u64) {
    let first = Publication::open(f.dir.path())
        .unwrap()
        .store()
        .snapshot_size()
        .unwrap()
        .unwrap();
    let mut p = Publication::open_lazily(f.dir.path()).unwrap();
    let body = p.put_blob(b"three", 1 << 20).unwrap();
    let e = signed(f, &p, publish("three", body.to_string()));
    submit_one(f, &mut p, e).unwrap();
    let body = p.put_blob(b"one, corrected", 1 << 20).unwrap();
    let e = signed(f, &p, correct("one", body.to_string()));
    submit_one(f, &mut p, e).unwrap();
    assert!(!p.state().articles_read());
    (p, first)
}

#[test]
fn a_snapshot_due_in_a_lazy_batch_is_stored_from_the_leaves_without_the_rows() {
    let f = two_articles();
    let (mut p, first) = lazy_with_changes(&f);
    let stored = until_a_snapshot(&f, &mut p, first, "s");
    // Its articles' root was made from the leaves kept beside the rows:
    // no row was read.
    assert!(!p.state().articles_read());
    assert_eq!(stored, p.state().size());
    assert_eq!(p.store().leaves_match_rows().unwrap(), Some(true));
    // The state counts the new snapshot's rows as its own: an article
    // published since, then every row read in place (not the publication
    // read again).
    let body = p.put_blob(b"four", 1 << 20).unwrap();
    let e = signed(&f, &p, publish("four", body.to_string()));
    submit_one(&f, &mut p, e).unwrap();
    assert!(
        p.read_articles().unwrap(),
        "the rows were not read in place"
    );
    assert_eq!(p.state().article_count(), 4);
    assert_eq!(
        p.state().article("one").unwrap().revisions.len(),
        2,
        "the correction"
    );
    drop(p);
    assert_eq!(article_rows(f.dir.path()).len(), 3);
    agrees_with_a_refold(&f);
    // A second one, lazily again, over the first.
    let mut p = Publication::open_lazily(f.dir.path()).unwrap();
    let first = p.store().snapshot_size().unwrap().unwrap();
    let body = p.put_blob(b"two, corrected", 1 << 20).unwrap();
    let e = signed(&f, &p, correct("two", body.to_string()));
    submit_one(&f, &mut p, e).unwrap();
    until_a_snapshot(&f, &mut p, first, "t");
    assert!(!p.state().articles_read());
    drop(p);
    agrees_with_a_refold(&f);
}

/// Sets the stored leaf of `slug` to `leaf` (or removes it).
fn set_leaf(f: &Fixture, slug: &str, leaf: Option<&[u8]>) {
    let conn = crate::snapshot::db(f.dir.path());
    match leaf {
        Some(l) => conn.execute(
            "UPDATE state_article_leaves SET leaf = ?2 WHERE slug = ?1",
            rusqlite::params![slug, l],
        ),
        None => conn.execute(
            "DELETE FROM state_article_leaves WHERE slug = ?1",
            rusqlite::params![slug],
        ),
    }
    .unwrap();
}

#[test]
fn leaves_that_cannot_be_the_rows_are_not_used_and_the_rows_are_read() {
    // A leaf of another length, then a leaf missing: the snapshot is made
    // from the rows, read in, agrees with a refold, and writes every leaf
    // again.
    for leaf in [Some(&[7u8; 31][..]), None] {
        let f = two_articles();
        set_leaf(&f, "two", leaf);
        assert_eq!(
            Publication::open(f.dir.path())
                .unwrap()
                .store()
                .leaves_match_rows()
                .unwrap(),
            Some(false)
        );
        let (mut p, first) = lazy_with_changes(&f);
        until_a_snapshot(&f, &mut p, first, "s");
        assert!(
            p.state().articles_read(),
            "{leaf:?}: the rows were not read"
        );
        drop(p);
        agrees_with_a_refold(&f);
    }
}

#[test]
fn a_wrong_leaf_makes_a_digest_verify_deep_finds() {
    let f = two_articles();
    set_leaf(&f, "two", Some(&[7u8; 32]));
    let (mut p, first) = lazy_with_changes(&f);
    let stored = until_a_snapshot(&f, &mut p, first, "s");
    assert!(!p.state().articles_read());
    drop(p);
    let p = Publication::open(f.dir.path()).unwrap();
    assert_eq!(p.store().leaves_match_rows().unwrap(), Some(false));
    assert_eq!(
        check_snapshot(p.store()).unwrap(),
        SnapshotCheck::Differs { size: stored }
    );
}

#[test]
fn articles_fetched_on_request_are_known_and_no_others() {
    let f = two_articles();
    let mut p = Publication::open_lazily(f.dir.path()).unwrap();
    assert!(!p.state().knows_article("two"));
    p.fetch_articles(&["two", "nope"]).unwrap();
    assert!(p.state().knows_article("two") && p.state().knows_article("nope"));
    assert!(!p.state().knows_article("one"));
    assert_eq!(p.state().article("two").unwrap().slug, "two");
    assert!(p.state().article("nope").is_none());
    assert!(!p.state().articles_read());
    // Once another process stored a newer snapshot, the head's rows are
    // gone: every article is read instead, from the store as it is now.
    articles(&f, &["one"]);
    store_snapshot(&f);
    p.fetch_articles(&["one"]).unwrap();
    assert!(p.state().articles_read());
    assert_eq!(p.state().article("one").unwrap().revisions.len(), 2);
}

/// Copies a data directory's files (no process has it open).
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The same entries, submitted in the same batches at the same clock to a
/// publication opened lazily (fresh for every batch, its snapshot stored
/// now and then so the rows it fetches vary) and to a copy of it opened
/// whole, are decided alike — every result, every appended byte (the
/// trees' roots) — over seeded random runs of publications (new, taken,
/// translations), corrections (of articles present, missing, withdrawn),
/// statements, proposed retractions and redactions (of articles and of
/// blobs) and their votes and closes, and uploads of redacted bodies.
#[test]
fn lazy_and_whole_publications_decide_every_entry_alike() {
    for seed in [1u64, 2, 3] {
        let f = two_articles();
        let whole = tempfile::tempdir().unwrap();
        copy_dir(f.dir.path(), whole.path());
        let mut rng = Rng(seed);
        let mut slugs: Vec<String> = vec!["one".into(), "two".into()];
        let mut bodies: Vec<(erkin_core::blob::BlobId, Vec<u8>)> = Vec::new();
        let mut proposals: Vec<u64> = Vec::new();
        let mut now = T0 + 1000;
        for step in 0..60 {
            if rng.below(6) == 0 {
                store_snapshot(&f);
            }
            let mut lazy = Publication::open_lazily(f.dir.path()).unwrap();
            let mut eager = Publication::open(whole.path()).unwrap();
            now += 1 + rng.below(5) as u64;
            // A body both stores hold, new or (to try redacted ones) old.
            let bytes = match bodies.len() {
                n if n > 0 && rng.below(4) == 0 => bodies[rng.below(n)].1.clone(),
                n => format!("body {seed}.{step}.{n}").into_bytes(),
            };
            let id = lazy.store().put_blob(&bytes, 1 << 20).unwrap();
            eager.store().put_blob(&bytes, 1 << 20).unwrap();
            bodies.push((id, bytes));
            let body = || id.to_string();
            let pick = |rng: &mut Rng, slugs: &[String]| slugs[rng.below(slugs.len())].clone();
            let action = match rng.below(10) {
                0 | 1 => {
                    let slug = format!("s{seed}-{step}");
                    let mut a = publish(&slug, body());
                    if let Action::Publish(p) = &mut a {
                        if rng.below(3) == 0 {
                            p.translation_of = Some(pick(&mut rng, &slugs));
                            p.lang = ["kk", "ru"][rng.below(2)].into();
                        }
                    }
                    slugs.push(slug);
                    a
                }
                2 => publish(&pick(&mut rng, &slugs), body()),
                3 | 4 => correct(&pick(&mut rng, &slugs), body()),
                5 => correct(&format!("missing-{step}"), body()),
                6 => statement(&format!("s{step}")),
                7 => Action::Propose(Propose {
                    title: "Retract".into(),
                    closes_at: now + 3 * 86_400,
                    motion: Motion::Retract {
                        article: match rng.below(4) {
                            0 => format!("missing-{step}"),
                            _ => pick(&mut rng, &slugs),
                        },
                        reason: "r".into(),
                    },
                }),
                8 => match rng.below(2) {
                    0 => redact(&pick(&mut rng, &slugs)),
                    _ => match bodies.len() {
                        0 => redact("missing"),
                        n => redact(&bodies[rng.below(n)].0.to_string()),
                    },
                },
                _ => match proposals.last() {
                    Some(&proposal) => Action::Close(erkin_core::action::Close {
                        proposal,
                        salts: vec![],
                    }),
                    None => statement("nothing to close"),
                },
            };
            let mut entries = vec![EntryBody { time: now, action }];
            if let Some(Action::Propose(_)) = entries.first().map(|e| &e.action) {
                // Proposed, then voted for in the next batch.
            } else if let Some(&p) = proposals.last() {
                if rng.below(2) == 0 {
                    entries.push(EntryBody {
                        time: now,
                        action: Action::Vote(erkin_core::action::Vote {
                            proposal: p,
                            ballot: erkin_core::action::Ballot::Yes,
                        }),
                    });
                }
            }
            let signed: Vec<Vec<u8>> = entries
                .iter()
                .map(|b| eager.sign(b, &f.member).unwrap())
                .collect();
            let by_lazy = lazy.submit(&signed, now, &f.log_key).unwrap();
            let by_whole = eager.submit(&signed, now, &f.log_key).unwrap();
            assert_eq!(
                by_lazy.results, by_whole.results,
                "seed {seed}, step {step}: {entries:?}"
            );
            if let Some(Ok(index)) = by_whole.results.first() {
                if matches!(entries[0].action, Action::Propose(_)) {
                    proposals.push(*index);
                }
            }
            let size = eager.store().size();
            assert_eq!(lazy.store().size(), size, "seed {seed}, step {step}");
            assert_eq!(
                lazy.store().root_at(size).unwrap(),
                eager.store().root_at(size).unwrap(),
                "seed {seed}, step {step}"
            );
            // The redacted blobs are where they are in the whole one (gone,
            // but for an old body uploaded behind the publication's back in
            // a batch that appended nothing).
            for id in eager.state().redacted_blobs() {
                assert_eq!(
                    lazy.store().has_blob(&id).unwrap(),
                    eager.store().has_blob(&id).unwrap(),
                    "seed {seed}, step {step}, {id}"
                );
            }
        }
        agrees_with_a_refold(&f);
    }
}

/// The rows are read into the state as it is, even when the entries after
/// the snapshot published articles (the head counts the stored rows, the
/// state those and the new ones); only rows gone with a newer snapshot
/// make it read the publication again.
#[test]
fn every_row_is_read_in_place_after_articles_published_since() {
    let f = two_articles();
    articles(&f, &["three", "four", "one"]);
    let mut p = Publication::open_lazily(f.dir.path()).unwrap();
    assert!(!p.state().articles_read());
    assert_eq!(p.state().article_count(), 4);
    assert!(p.read_articles().unwrap(), "read again, not in place");
    assert!(p.state().articles_read());
    assert_eq!(p.state().article_count(), 4);
    let slugs: Vec<&str> = p.state().articles().map(|a| a.slug.as_str()).collect();
    assert_eq!(slugs, ["four", "one", "three", "two"]);
    assert_eq!(p.state().article("one").unwrap().revisions.len(), 2);
    // Read already: nothing to do.
    assert!(p.read_articles().unwrap());
    drop(p);
    let mut p = Publication::open_lazily(f.dir.path()).unwrap();
    articles(&f, &["five"]);
    store_snapshot(&f);
    assert!(!p.read_articles().unwrap(), "rows of a replaced snapshot");
    assert_eq!(p.state().article_count(), 5);
    drop(p);
    agrees_with_a_refold(&f);
}
