//! Mirror benchmark (not a test): a full verified mirror of an N-entry log
//! over loopback HTTP, beside a plain download of the same files in the same
//! run; then one new entry and the incremental sync's requests and bytes.
//!
//! Run: cargo run --release -p erkin-bench --bin mirror -- [--entries 100000]

use std::time::Instant;

use anyhow::Result;
use erkin_bench::{arg, serve_in_process};
use erkin_core::action::{Action, Charter, Statement};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::tiles::{entry_bundles, hash_tiles};
use erkin_mirror::{Mirror, SyncOptions};
use erkin_store::Publication;

const T0: u64 = 1_790_000_000;

fn statement(p: &Publication, key: &SecretKey, i: usize, time: u64) -> Result<Vec<u8>> {
    let body = EntryBody {
        time,
        action: Action::Statement(Statement {
            text: format!("Benchmark statement number {i}: a short line of news-sized text, about as long as a real action's JSON."),
        }),
    };
    Ok(p.sign(&body, key)?)
}

fn main() -> Result<()> {
    let n = arg("--entries", 100_000usize)?;
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("source");
    let log_key = SecretKey::generate(&mut rand_core::OsRng, "bench.example/log")?;
    let member = SecretKey::generate(&mut rand_core::OsRng, "bench")?;
    let mut p = Publication::found(
        &data,
        "Bench",
        &log_key,
        &[member.verifier_key().clone()],
        Charter::default(),
        T0,
    )?;
    eprintln!("building a {n}-entry log (not timed) ...");
    let mut i = 0;
    while i < n {
        let batch: Vec<Vec<u8>> = (i..(i + 1024).min(n))
            .map(|j| statement(&p, &member, j, T0 + j as u64 / 1000))
            .collect::<Result<_>>()?;
        i += batch.len();
        p.submit(&batch, T0 + i as u64 / 1000, &log_key)?;
    }
    let size = p.store().size();

    // The source: `erkin serve` on loopback, in this process.
    let addr = serve_in_process(&data, erkin_server::ServeOptions::default())?;
    let url = format!("http://{addr}/");

    // Reference: a plain download of the same log files, no verification.
    let paths: Vec<String> = entry_bundles(0, size)
        .into_iter()
        .chain(hash_tiles(0, size))
        .map(|t| t.to_string())
        .chain(["checkpoint".to_string()])
        .collect();
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let t = Instant::now();
    let mut plain_bytes = 0u64;
    for path in &paths {
        let body = agent
            .get(&format!("{url}{path}"))
            .call()?
            .body_mut()
            .with_config()
            .limit(1 << 30)
            .read_to_vec()?;
        plain_bytes += body.len() as u64;
    }
    let plain_s = t.elapsed().as_secs_f64();

    let options = SyncOptions {
        key: Some(log_key.verifier_key().clone()),
        site: false,
        now: T0,
        ..SyncOptions::default()
    };
    let mirror_dir = tmp.path().join("mirror");
    let mut mirror = Mirror::open(&mirror_dir)?;
    let t = Instant::now();
    let full = mirror.sync(Some(&url), &options)?;
    let full_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(full.new_size == size, "mirror incomplete");

    let extra = statement(&p, &member, n + 1, T0 + n as u64 / 1000 + 1)?;
    p.submit(&[extra], T0 + n as u64 / 1000 + 1, &log_key)?;
    let t = Instant::now();
    let inc = mirror.sync(Some(&url), &options)?;
    let inc_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(inc.new_size == size + 1, "incremental sync incomplete");

    println!(
        "| what | erkin mirror (verified) | plain download of the same files (same run) | ratio |"
    );
    println!("|---|---|---|---|");
    println!(
        "| full mirror of {size} entries over loopback HTTP: wall time | {full_s:.2} s | {plain_s:.2} s (sequential, unverified) | {:.2} |",
        full_s / plain_s
    );
    println!(
        "| requests | {} | {} | {:.2} |",
        full.requests,
        paths.len(),
        full.requests as f64 / paths.len() as f64
    );
    println!(
        "| body bytes | {} | {} | {:.2} |",
        full.bytes,
        plain_bytes,
        full.bytes as f64 / plain_bytes as f64
    );
    println!(
        "| after one new entry: incremental sync | {inc_s:.3} s, {} requests, {} bytes | — | — |",
        inc.requests, inc.bytes
    );
    Ok(())
}
