//! Crash durability: a child process appends batches and reports each one it
//! has been told is durable; we SIGKILL it at a random moment, reopen the store
//! and check that (1) it opens and verifies, and (2) everything acknowledged is
//! there, byte for byte (the acknowledged tree is a prefix of the reopened one).
//!
//! The child is this same test binary, re-run with an environment variable
//! that makes `child_appender` do the appending; without the variable that
//! test returns at once. `ERKIN_DURABILITY_TRIALS` raises the trial count (the
//! soak script `bench/soak-durability.sh` runs 200).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use erkin_core::action::{Action, Charter, Correct, Publish, Statement};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::tree::MemoryTree;
use erkin_core::verify::verify_copy;
use erkin_store::Publication;
use rand_core::RngCore;

const CHILD_DIR: &str = "ERKIN_DURABILITY_CHILD_DIR";
const CHILD_LOG_KEY: &str = "ERKIN_DURABILITY_LOG_KEY";
const CHILD_MEMBER_KEY: &str = "ERKIN_DURABILITY_MEMBER_KEY";
/// Set: the child also rewrites the state snapshot after every batch, so
/// kills land in snapshot updates too.
const CHILD_SNAPSHOTS: &str = "ERKIN_DURABILITY_SNAPSHOTS";
/// Entry times start here and rise by one per entry, so the sequencer's clock
/// check (given the same clock) always passes and the fold's order check runs.
const T0: u64 = 1_790_000_000;

#[test]
fn child_appender() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return; // Not the child: nothing to do.
    };
    let log_key = SecretKey::parse(&std::env::var(CHILD_LOG_KEY).unwrap()).unwrap();
    let member = SecretKey::parse(&std::env::var(CHILD_MEMBER_KEY).unwrap()).unwrap();
    let mut publication = Publication::open(std::path::Path::new(&dir)).unwrap();
    let mut rng = rand_core::OsRng;
    loop {
        let n = 1 + (rng.next_u32() % 32) as usize;
        let start = publication.state().size();
        // Statements, new articles and corrections of the articles there
        // are, so snapshot updates write article rows too.
        let existing: Vec<String> = publication
            .state()
            .articles()
            .map(|a| a.slug.clone())
            .collect();
        let entries: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let k = start + i as u64;
                let nonce = rng.next_u64();
                let text = format!("entry {k} nonce {nonce:016x}");
                let blob = || {
                    publication
                        .put_blob(text.as_bytes(), 1 << 20)
                        .unwrap()
                        .to_string()
                };
                let action = match nonce % 3 {
                    1 => Action::Publish(Publish {
                        slug: format!("story-{k}"),
                        lang: "en".into(),
                        title: format!("Story {k}"),
                        summary: String::new(),
                        authors: vec!["aigerim".into()],
                        bylines: vec![],
                        tags: vec![],
                        body: blob(),
                        media: vec![],
                        translation_of: None,
                        first_published: None,
                    }),
                    2 if !existing.is_empty() => Action::Correct(Correct {
                        slug: existing[(nonce as usize / 3) % existing.len()].clone(),
                        title: format!("Story corrected at {k}"),
                        summary: String::new(),
                        body: blob(),
                        media: vec![],
                        note: "Corrected.".into(),
                        major: false,
                    }),
                    _ => Action::Statement(Statement { text }),
                };
                let body = EntryBody {
                    time: T0 + start + i as u64,
                    action,
                };
                publication.sign(&body, &member).unwrap()
            })
            .collect();
        let outcome = publication.submit(&entries, T0 + start, &log_key).unwrap();
        assert!(outcome.results.iter().all(|r| r.is_ok()));
        let cp = outcome.checkpoint.unwrap();
        if std::env::var_os(CHILD_SNAPSHOTS).is_some() {
            let snap = erkin_core::snapshot::encode(publication.state());
            publication.store().put_snapshot(&snap, false).unwrap();
        }
        // Only now, after the commit returned, is the batch acknowledged.
        println!("acked {} {}", cp.size, cp.root);
    }
}

fn trials() -> usize {
    std::env::var("ERKIN_DURABILITY_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

#[test]
fn sigkill_while_appending_loses_nothing_acknowledged() {
    kill_trials(false);
}

/// The same with a snapshot update after every batch (its head and the rows
/// of the articles changed since the state was opened): a kill in the
/// middle of one leaves the previous snapshot or the new one, never a torn
/// one — the store opens from a snapshot it trusts, which agrees with a
/// refold (its digest too).
#[test]
fn sigkill_while_updating_the_snapshot_leaves_a_store_that_opens_and_verifies() {
    kill_trials(true);
}

fn kill_trials(snapshots: bool) {
    let dir = tempfile::tempdir().unwrap();
    let log_key = SecretKey::generate(&mut rand_core::OsRng, "durable.example/log").unwrap();
    let member = SecretKey::generate(&mut rand_core::OsRng, "aigerim").unwrap();
    Publication::found(
        dir.path(),
        "Durability",
        &log_key,
        &[member.verifier_key().clone()],
        Charter::default(),
        T0,
    )
    .unwrap();

    let mut rng = rand_core::OsRng;
    let mut total_acked = 0;
    for trial in 0..trials() {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "durability::child_appender",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_LOG_KEY, log_key.expose_secret_text())
            .env(CHILD_MEMBER_KEY, member.expose_secret_text())
            .envs(snapshots.then_some((CHILD_SNAPSHOTS, "1")))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut last: Option<(u64, String)> = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(rest) = line.strip_prefix("acked ") {
                    let (size, root) = rest.split_once(' ').unwrap();
                    last = Some((size.parse().unwrap(), root.to_string()));
                }
            }
            last
        });
        // Kill at a random moment: sometimes during start-up, mostly mid-append.
        std::thread::sleep(Duration::from_millis(20 + rng.next_u64() % 400));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let acked = reader.join().unwrap();

        let publication = Publication::open(dir.path())
            .unwrap_or_else(|e| panic!("trial {trial}: store does not reopen after SIGKILL: {e}"));
        let store = publication.store();
        let report = verify_copy(
            store,
            &log_key.verifier_key().clone(),
            u64::MAX,
            &mut |_, _| {},
        )
        .unwrap();
        assert!(report.is_ok(), "trial {trial}: {:?}", report.findings);
        // Every committed snapshot is whole: opening never had to refuse one.
        assert!(
            matches!(publication.opened(), erkin_store::Opened::Snapshot { .. }),
            "trial {trial}: opened by {:?}",
            publication.opened()
        );
        assert!(
            matches!(
                erkin_store::check_snapshot(store).unwrap(),
                erkin_store::SnapshotCheck::Agrees { .. }
            ),
            "trial {trial}: the stored snapshot is not the refold"
        );
        if let Some((size, root)) = acked {
            assert!(
                store.size() >= size,
                "trial {trial}: acknowledged {size} entries, store has {}",
                store.size()
            );
            let mut tree = MemoryTree::new();
            for e in store.entries(0, size).unwrap() {
                tree.push_entry(&e);
            }
            assert_eq!(
                tree.root_at(size).to_string(),
                root,
                "trial {trial}: the acknowledged tree is not a prefix of the reopened one"
            );
            total_acked = size;
        }
    }
    eprintln!(
        "durability: {} trials, {total_acked} entries acknowledged and found intact",
        trials()
    );
    assert!(
        total_acked > 0,
        "the child never acknowledged a batch: the test did not test anything"
    );
    // The kills landed among article rows too: the child published.
    let publication = Publication::open(dir.path()).unwrap();
    assert!(
        publication.state().articles().count() > 0,
        "no article was published: snapshot updates wrote no article rows"
    );
}
