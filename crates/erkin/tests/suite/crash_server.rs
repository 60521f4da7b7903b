//! Crash safety of the members' API: `erkin serve --sequence` is killed
//! with SIGKILL at a random moment while several members submit
//! continuously, then restarted on the same data directory. Every entry the
//! server acknowledged (HTTP 200 with an index) must be in the log exactly
//! once, at the index its receipt named, and the data directory must verify
//! against the pinned log key.
//!
//! ERKIN_CRASH_ROUNDS sets the number of rounds (default 20);
//! `bench/soak-server-crash.sh` runs many more.

use std::collections::{HashMap, HashSet};

use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use erkin_core::action::{Action, Statement};
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::keys::SecretKey;
use rand_core::RngCore;
use serde_json::Value;

use crate::common::{erkin, s, Server};

const ORIGIN: &str = "crash.example/news";
/// Submitting threads, each signing as a member of its own.
const THREADS: usize = 4;

/// Runs erkin to completion: (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let o = erkin().args(args).output().unwrap();
    (
        o.status.code().expect("erkin exited normally"),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, Vec<u8>)> {
    erkin_testkit::get(addr, path).map(|r| (r.status, r.body))
}

fn post_entry(addr: SocketAddr, entry: &[u8]) -> std::io::Result<(u16, Vec<u8>)> {
    erkin_testkit::post(addr, "/api/v1/entries", entry).map(|r| (r.status, r.body))
}
fn checkpoint_size(addr: SocketAddr) -> u64 {
    let (status, body) = get(addr, "/checkpoint").unwrap();
    assert_eq!(status, 200);
    String::from_utf8_lossy(&body)
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .expect("a checkpoint names its size on its second line")
}

/// What one submitting thread saw.
#[derive(Default)]
struct Seen {
    /// (entry, index its receipt named) for every 200.
    acked: Vec<(Vec<u8>, u64)>,
    /// The (size, root) of every checkpoint a receipt carried.
    checkpoints: Vec<(u64, String)>,
    /// Every entry sent, answered or not.
    sent: Vec<Vec<u8>>,
    /// Answers that are neither 200 nor a clean refusal to retry.
    unexpected: Vec<String>,
}

fn submit_until(
    addr: SocketAddr,
    key: &SecretKey,
    time: u64,
    label: &str,
    stop: &AtomicBool,
) -> Seen {
    let mut seen = Seen::default();
    for i in 0u64.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let entry = sign_entry(
            ORIGIN,
            &EntryBody {
                time,
                action: Action::Statement(Statement {
                    text: format!("{label} #{i}"),
                }),
            },
            key,
        )
        .unwrap();
        seen.sent.push(entry.clone());
        match post_entry(addr, &entry) {
            Ok((200, body)) => {
                let v: Value = serde_json::from_slice(&body).unwrap();
                let index = v["index"].as_u64().expect("a receipt names its index");
                let leaf = hex_of(&erkin_core::tree::record_hash(&entry).0);
                if v["leaf_hash"].as_str() != Some(leaf.as_str()) {
                    seen.unexpected
                        .push(format!("receipt for {index} names another leaf: {v}"));
                }
                match receipt_checkpoint(&v) {
                    Some((size, root)) if size > index => seen.checkpoints.push((size, root)),
                    _ => seen
                        .unexpected
                        .push(format!("receipt for {index}: bad checkpoint: {v}")),
                }
                seen.acked.push((entry, index));
            }
            // Busy or shutting down: a client retries later. Never a 500.
            Ok((503, body)) if !String::from_utf8_lossy(&body).contains("\"storage\"") => {}
            Ok((status, body)) => seen
                .unexpected
                .push(format!("{status}: {}", String::from_utf8_lossy(&body))),
            // The server died or is not up: try again until told to stop.
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
    seen
}

/// The (size, base64 root) of a receipt's checkpoint.
fn receipt_checkpoint(receipt: &Value) -> Option<(u64, String)> {
    let mut lines = receipt["checkpoint"].as_str()?.lines();
    if lines.next()? != ORIGIN {
        return None;
    }
    let size = lines.next()?.parse().ok()?;
    Some((size, lines.next()?.to_string()))
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn rounds() -> usize {
    std::env::var("ERKIN_CRASH_ROUNDS")
        .ok()
        .map(|v| v.parse().expect("ERKIN_CRASH_ROUNDS is a number"))
        .unwrap_or(20)
}

#[test]
fn sigkill_while_submitting_loses_nothing_acknowledged() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("server");
    let log = tmp.path().join("serve.log");
    let members: Vec<SecretKey> = (0..THREADS)
        .map(|i| SecretKey::generate(&mut rand_core::OsRng, &format!("member{i}")).unwrap())
        .collect();
    let mut init = vec![
        "--dir".to_string(),
        s(&dir).to_string(),
        "init".into(),
        "--origin".into(),
        ORIGIN.into(),
        "--name".into(),
        "Crash".into(),
    ];
    for m in &members {
        init.push("--founder".into());
        init.push(m.verifier_key().to_string());
    }
    let (code, log_vk, err) = run(&init.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 0, "{err}");
    let log_vk = log_vk.trim().to_string();
    let members = Arc::new(members);
    // One time for every entry: concurrent submissions never go backwards.
    let time = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();

    let rounds = rounds();
    // Every acknowledged entry so far, by the index its receipt named.
    let mut acked: HashMap<u64, Vec<u8>> = HashMap::new();
    let mut sent: HashSet<Vec<u8>> = HashSet::new();
    // Every checkpoint a receipt carried: size -> root. Two roots for one
    // size would be a fork.
    let mut receipts: HashMap<u64, String> = HashMap::new();
    let mut size_after_crash = 1u64;
    // Entries a member's client would send again after the crash, and
    // whether the log already holds them.
    let mut resend: Vec<(Vec<u8>, bool)> = Vec::new();
    let (mut resent_duplicates, mut resent_recorded) = (0, 0);
    for round in 0..rounds {
        // Vary the batching a little from round to round.
        let delay = ["0", "5", "20"][round % 3];
        let server = Server::start_logged(
            &dir,
            &[
                "--sequence",
                "--rate-per-key",
                "0",
                "--batch-delay-ms",
                delay,
            ],
            None,
            &log,
        );
        let addr = server.addr;
        // Restarting lost nothing the last check saw.
        assert_eq!(checkpoint_size(addr), size_after_crash, "round {round}");
        // Clients resubmit what they are unsure of: what the log holds is
        // a duplicate, what it lost is recorded now.
        let mut new_checkpoints = Vec::new();
        for (entry, in_log) in resend.drain(..) {
            let (status, body) = post_entry(addr, &entry).unwrap();
            let v: Value = serde_json::from_slice(&body).unwrap();
            if in_log {
                assert_eq!(status, 422, "round {round}: resent entry: {v}");
                assert_eq!(v["error"]["code"], "duplicate", "round {round}: {v}");
                resent_duplicates += 1;
            } else {
                assert_eq!(status, 200, "round {round}: resent lost entry: {v}");
                let index = v["index"].as_u64().unwrap();
                assert!(index >= size_after_crash, "round {round}: {v}");
                assert!(acked.insert(index, entry).is_none(), "round {round}: {v}");
                new_checkpoints.push(receipt_checkpoint(&v).unwrap());
                resent_recorded += 1;
            }
        }

        let stop = Arc::new(AtomicBool::new(false));
        let barrier = Arc::new(Barrier::new(THREADS + 1));
        let threads: Vec<_> = (0..THREADS)
            .map(|t| {
                let (stop, barrier, members) = (stop.clone(), barrier.clone(), members.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    submit_until(
                        addr,
                        &members[t],
                        time,
                        &format!("round {round} thread {t}"),
                        &stop,
                    )
                })
            })
            .collect();
        barrier.wait();
        let kill_after = 50 + u64::from(rand_core::OsRng.next_u32() % 451);
        std::thread::sleep(Duration::from_millis(kill_after));
        let mut server = server;
        server.child.kill().unwrap(); // SIGKILL
        let status = server.child.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "round {round}: the server ended before SIGKILL ({status}): {}",
            server.stderr()
        );
        stop.store(true, Ordering::Relaxed);
        let mut this_round = 0;
        let mut round_sent = Vec::new();
        for h in threads {
            let seen = h.join().unwrap();
            assert!(
                seen.unexpected.is_empty(),
                "round {round}: {:?}",
                seen.unexpected
            );
            this_round += seen.acked.len();
            sent.extend(seen.sent.iter().cloned());
            round_sent.extend(seen.sent);
            new_checkpoints.extend(seen.checkpoints);
            for (entry, index) in seen.acked {
                if let Some(other) = acked.insert(index, entry.clone()) {
                    panic!(
                        "round {round}: index {index} was acknowledged for two entries \
                         ({} and {} bytes)",
                        other.len(),
                        entry.len()
                    );
                }
            }
        }

        // The data directory as a restart finds it.
        let store = erkin_store::Store::open(&dir)
            .unwrap_or_else(|e| panic!("round {round}: the store does not open: {e}"));
        let size = store.size();
        let entries = store.entries(0, size).unwrap();
        assert_eq!(entries.len() as u64, size);
        let mut count: HashMap<&[u8], usize> = HashMap::new();
        for e in &entries {
            *count.entry(e.as_slice()).or_default() += 1;
        }
        for (index, entry) in &acked {
            assert_eq!(
                entries.get(*index as usize),
                Some(entry),
                "round {round}: acknowledged entry {index} is not at its index (log size {size})"
            );
            assert_eq!(count[entry.as_slice()], 1, "round {round}: entry {index}");
        }
        // Nothing in the log but the genesis, the sequencer's ticks of the
        // log time and what was sent, each once.
        let tick = |e: &[u8]| String::from_utf8_lossy(e).contains(r#""action":{"tick":{}}"#);
        for (i, e) in entries.iter().enumerate().skip(1) {
            assert!(
                sent.contains(e) || tick(e),
                "round {round}: entry {i} was never sent"
            );
            assert_eq!(count[e.as_slice()], 1, "round {round}: entry {i} twice");
        }
        // Every checkpoint handed out in a receipt is one of this log's.
        for (cp_size, root) in new_checkpoints {
            assert!(
                cp_size <= size,
                "round {round}: a receipt's checkpoint has {cp_size} entries, the log {size}"
            );
            assert_eq!(
                store.root_at(cp_size).unwrap().to_string(),
                root,
                "round {round}: a receipt's checkpoint of size {cp_size} is not this log's"
            );
            if let Some(other) = receipts.insert(cp_size, root.clone()) {
                assert_eq!(other, root, "round {round}: two roots for size {cp_size}");
            }
        }
        // What to send again after the restart: one acknowledged entry, a
        // few committed without an answer, a few the crash lost.
        let acked_set: HashSet<&Vec<u8>> = acked.values().collect();
        let pick = rand_core::OsRng.next_u32() as usize;
        if let Some(e) = acked.values().nth(pick % acked.len().max(1)) {
            resend.push((e.clone(), true));
        }
        resend.extend(
            entries
                .iter()
                .skip(1)
                // A client resends its own entries, never the sequencer's ticks.
                .filter(|e| !acked_set.contains(e) && !tick(e))
                .take(3)
                .map(|e| (e.clone(), true)),
        );
        resend.extend(
            round_sent
                .iter()
                .filter(|e| !count.contains_key(e.as_slice()))
                .take(3)
                .map(|e| (e.clone(), false)),
        );
        drop(store);
        let (code, out, err) = run(&["verify", s(&dir), "--key", &log_vk]);
        assert_eq!(code, 0, "round {round}: verify failed:\n{out}{err}");
        eprintln!(
            "round {round}: SIGKILL after {kill_after} ms (batch delay {delay} ms): \
             {this_round} acknowledged, log size {size}"
        );
        size_after_crash = size;
    }

    // A last restart after the last crash, and a clean stop.
    let server = Server::start_logged(&dir, &["--sequence", "--rate-per-key", "0"], None, &log);
    assert_eq!(checkpoint_size(server.addr), size_after_crash);
    let ok = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let mut server = server;
    let status = server.child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{}", server.stderr());
    assert!(
        acked.len() > rounds,
        "the load was too light to mean anything: {} acknowledged in {rounds} rounds",
        acked.len()
    );
    if rounds > 1 {
        assert!(resent_duplicates > 0, "no resubmission was exercised");
    }
    eprintln!(
        "{rounds} rounds, {} entries acknowledged, log size {size_after_crash}; \
         resent after restarts: {resent_duplicates} refused as duplicates, \
         {resent_recorded} recorded; {:?}",
        acked.len(),
        started.elapsed()
    );
}
