//! Sequencing benchmark (not a test): concurrent members submit signed
//! entries over HTTP to `erkin serve --sequence` (in this process, on
//! loopback), each waiting for its verified receipt. Reports sustained
//! durable entries/s and acknowledgement latency (p50, p99), beside the
//! same machine's one-fsync-per-entry append in the same run.
//!
//! Run: cargo run --release -p erkin-bench --bin load -- [--seconds 10] [--clients 16,64]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use erkin_bench::{arg, serve_in_process};
use erkin_core::action::{Action, Charter, Statement};
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::keys::SecretKey;
use erkin_mirror::MembersClient;
use erkin_store::Publication;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

fn main() -> Result<()> {
    let seconds: u64 = arg("--seconds", 10)?;
    let client_counts: Vec<usize> = arg("--clients", "16,64".to_string())?
        .split(',')
        .map(|c| c.parse())
        .collect::<Result<_, _>>()?;
    let most = client_counts.iter().copied().max().unwrap_or(1);
    let tmp = tempfile::tempdir()?;
    let origin = "bench.example/load";
    let log_key = SecretKey::generate(&mut rand_core::OsRng, origin)?;
    let members: Vec<SecretKey> = (0..most)
        .map(|i| SecretKey::generate(&mut rand_core::OsRng, &format!("m{i}")))
        .collect::<Result<_, _>>()?;
    let founders: Vec<_> = members.iter().map(|m| m.verifier_key().clone()).collect();
    let data = tmp.path().join("data");
    let p = Publication::found(
        &data,
        "Load",
        &log_key,
        &founders,
        Charter::default(),
        now(),
    )?;
    drop(p);

    // Reference, same run: in-process appends with one fsync per entry.
    let mut reference = Publication::open(&data)?;
    let t = Instant::now();
    let singles = 200;
    for i in 0..singles {
        let body = EntryBody {
            time: now(),
            action: Action::Statement(Statement {
                text: format!("reference {i}"),
            }),
        };
        let e = sign_entry(origin, &body, &members[0])?;
        reference.submit(&[e], now(), &log_key)?;
    }
    let single_rate = singles as f64 / t.elapsed().as_secs_f64();
    drop(reference);

    let options = erkin_server::ServeOptions {
        members: Some(erkin_server::MembersApi {
            log_key: SecretKey::parse(log_key.expose_secret_text())?,
            sequencer: Default::default(),
            limits: erkin_server::ApiLimits {
                per_key_rate: 0.0,
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let url = format!("http://{}/", serve_in_process(&data, options)?);

    println!("| concurrent members | durable entries/s (sustained, {seconds} s) | ack latency p50 | ack latency p99 | one fsync per entry, in process (same run) | ratio | re-signed (time order) |");
    println!("|---|---|---|---|---|---|---|");
    for (serial, &clients) in client_counts.iter().enumerate() {
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let handles: Vec<_> = members[..clients]
            .iter()
            .enumerate()
            .map(|(c, key)| {
                let key = SecretKey::parse(key.expose_secret_text()).expect("key");
                let stop = stop.clone();
                let url = url.clone();
                let vkey = log_key.verifier_key().clone();
                let base = serial;
                std::thread::spawn(move || {
                    let client = MembersClient::new(&url, vkey, Duration::from_secs(60));
                    let mut latencies = Vec::new();
                    let mut resigned = 0u64;
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let body = EntryBody {
                            time: now(),
                            action: Action::Statement(Statement {
                                text: format!("load {base} client {c} entry {i}"),
                            }),
                        };
                        let e = sign_entry(origin, &body, &key).expect("sign");
                        let t = Instant::now();
                        match client.submit(&e) {
                            Ok(_) => latencies.push(t.elapsed().as_secs_f64() * 1000.0),
                            // Another member's entry, signed a second later,
                            // was sequenced first: the log's times may not go
                            // backwards, so sign again with the current time
                            // (what a member's client does).
                            Err(erkin_mirror::ClientError::Refused { error, .. })
                                if error.code == "time_went_backwards" =>
                            {
                                resigned += 1
                            }
                            Err(e) => panic!("refused: {e}"),
                        }
                        i += 1;
                    }
                    (latencies, resigned)
                })
            })
            .collect();
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
        let mut all: Vec<f64> = Vec::new();
        let mut resigned = 0;
        for h in handles {
            let (l, r) = h.join().expect("client thread");
            all.extend(l);
            resigned += r;
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.sort_by(|a, b| a.total_cmp(b));
        let rate = all.len() as f64 / elapsed;
        println!(
            "| {clients} | {rate:.0} | {:.1} ms | {:.1} ms | {single_rate:.0} entries/s | {:.1}× | {resigned} |",
            percentile(&all, 0.5),
            percentile(&all, 0.99),
            rate / single_rate
        );
    }
    Ok(())
}
