//! erkin benchmarks (not tests): durable append and full verification of a
//! 100,000-entry log, beside bare Ed25519 verification measured in the same
//! run as the reference (verification can never beat one signature check per
//! entry, so that is the limit to compare against).
//!
//! Run: `cargo run --release -p erkin-bench -- [--entries N] [--batch B]`.
//! Prints a Markdown table for docs/BENCHMARKS.md.

use std::time::Instant;

use anyhow::Result;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _};
use erkin_bench::arg;
use erkin_core::action::{Action, Charter, Statement};
use erkin_core::blob::DEFAULT_MAX_BLOB_LEN;
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::verify::verify_copy;
use erkin_export::DirCopy;
use erkin_store::Publication;

const T0: u64 = 1_790_000_000;

/// Peak resident memory of this process so far, in MiB (Linux).
fn peak_mib() -> f64 {
    erkin_bench::peak_rss("self").map_or(f64::NAN, |b| b as f64 / 1048576.0)
}

fn main() -> Result<()> {
    let n = arg("--entries", 100_000)?;
    let batch = arg("--batch", 256)?;
    let dir = tempfile::tempdir()?;
    let log_key = SecretKey::generate(&mut rand_core::OsRng, "bench.example/log")?;
    let member = SecretKey::generate(&mut rand_core::OsRng, "bench")?;
    let mut p = Publication::found(
        dir.path(),
        "Bench",
        &log_key,
        &[member.verifier_key().clone()],
        Charter::default(),
        T0,
    )?;

    eprintln!("signing {n} entries (not timed) ...");
    let entries: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let body = EntryBody {
                time: T0 + i as u64 / 1000,
                action: Action::Statement(Statement {
                    text: format!("Benchmark statement number {i}: a short line of news-sized text, about as long as a real action's JSON."),
                }),
            };
            p.sign(&body, &member)
        })
        .collect::<Result<_, _>>()?;
    let avg_len = entries.iter().map(Vec::len).sum::<usize>() / n.max(1);

    eprintln!("appending in batches of {batch} ...");
    let t = Instant::now();
    for chunk in entries.chunks(batch) {
        let now = T0 + (p.state().size() / 1000);
        let outcome = p.submit(chunk, now, &log_key)?;
        anyhow::ensure!(
            outcome.results.iter().all(|r| r.is_ok()),
            "bench entry refused"
        );
    }
    let append_s = t.elapsed().as_secs_f64();

    eprintln!("appending 200 single-entry batches (one fsync each) ...");
    let singles: Vec<Vec<u8>> = (0..200)
        .map(|i| {
            let body = EntryBody {
                time: T0 + n as u64 / 1000 + 1,
                action: Action::Statement(Statement {
                    text: format!("single {i}"),
                }),
            };
            p.sign(&body, &member)
        })
        .collect::<Result<_, _>>()?;
    let t = Instant::now();
    for e in &singles {
        let now = T0 + n as u64 / 1000 + 1;
        p.submit(std::slice::from_ref(e), now, &log_key)?;
    }
    let single_s = t.elapsed().as_secs_f64();
    let size = p.store().size();

    eprintln!("verifying the data directory ...");
    let t = Instant::now();
    let report = verify_copy(
        p.store(),
        log_key.verifier_key(),
        DEFAULT_MAX_BLOB_LEN,
        &mut |_, _| {},
    )?;
    let verify_store_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(report.is_ok(), "verification failed: {:?}", report.findings);

    eprintln!("exporting and verifying the export ...");
    let out = dir.path().join("export");
    let t = Instant::now();
    let stats = erkin_export::export(&p, &out)?;
    let export_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let report = verify_copy(
        &DirCopy::new(&out),
        log_key.verifier_key(),
        DEFAULT_MAX_BLOB_LEN,
        &mut |_, _| {},
    )?;
    let verify_dir_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(
        report.is_ok(),
        "export verification failed: {:?}",
        report.findings
    );

    eprintln!("reference: bare Ed25519 verify of {n} signatures ...");
    let sk = SigningKey::generate(&mut rand_core::OsRng);
    let vk = sk.verifying_key();
    let msgs: Vec<(Vec<u8>, ed25519_dalek::Signature)> =
        entries.iter().map(|m| (m.clone(), sk.sign(m))).collect();
    let t = Instant::now();
    for (m, s) in &msgs {
        vk.verify(m, s)?;
    }
    let ed_s = t.elapsed().as_secs_f64();

    let rate = |count: f64, s: f64| count / s;
    let ed_rate = rate(n as f64, ed_s);
    let cores = std::thread::available_parallelism().map_or(0, |c| c.get());
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    println!("Machine: {cores} cores, {cpu}. Log of {size} entries, {avg_len} bytes on average.");
    println!();
    println!("| what | erkin | reference (bare Ed25519 verify, same run) | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| durable append, batches of {batch} (fold + fsync per batch) | {:.0} entries/s ({append_s:.2} s) | {ed_rate:.0} verifies/s | {:.2} |",
        rate(n as f64, append_s),
        rate(n as f64, append_s) / ed_rate
    );
    println!(
        "| durable append, 1 entry per batch (fsync-bound) | {:.0} entries/s | — | — |",
        rate(200.0, single_s)
    );
    println!(
        "| full verification of the data directory | {:.0} entries/s ({verify_store_s:.2} s) | {ed_rate:.0} verifies/s | {:.2} |",
        rate(size as f64, verify_store_s),
        rate(size as f64, verify_store_s) / ed_rate
    );
    println!(
        "| full verification of an exported directory | {:.0} entries/s ({verify_dir_s:.2} s) | {ed_rate:.0} verifies/s | {:.2} |",
        rate(size as f64, verify_dir_s),
        rate(size as f64, verify_dir_s) / ed_rate
    );
    println!(
        "| full export ({} files) | {export_s:.2} s | — | — |",
        stats.written
    );
    println!();
    println!("Peak memory (VmHWM): {:.0} MiB.", peak_mib());
    Ok(())
}
