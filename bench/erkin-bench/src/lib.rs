//! What the benchmark binaries share: reading their flags, running
//! `erkin serve` in process on loopback, a process's peak memory, and wrk.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;

use anyhow::{bail, Context, Result};

/// The value after `name` on the command line, or `default` when absent.
pub fn arg<T: FromStr>(name: &str, default: T) -> Result<T> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("{name} takes a value of the right kind")),
    }
}

/// Starts `erkin serve` over `dir` on a free loopback port, in a thread of
/// its own, for as long as the process runs; returns its address.
pub fn serve_in_process(dir: &Path, options: erkin_server::ServeOptions) -> Result<SocketAddr> {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
        rt.block_on(async move {
            let listener = erkin_server::bind("127.0.0.1:0".parse().expect("an address"))
                .await
                .expect("a loopback port");
            let _ = addr_tx.send(listener.local_addr().expect("an address"));
            if let Err(e) =
                erkin_server::serve_with(listener, &dir, options, std::future::pending()).await
            {
                eprintln!("bench server: {e}");
            }
        });
    });
    Ok(addr_rx.recv()?)
}

/// The most memory process `pid` (or `"self"`) has held so far (VmHWM from
/// `/proc/PID/status`), in bytes; `None` once it is gone or off Linux.
pub fn peak_rss(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// What one wrk run measured.
#[derive(Debug, Clone, Copy)]
pub struct Wrk {
    pub requests_per_sec: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Non-2xx/3xx answers plus socket errors (connect, read, write, timeout).
    pub errors: u64,
    pub requests: u64,
}

/// Runs `wrk -t2 -cCONNECTIONS -dSECONDSs --latency URL` and reads its report.
pub fn wrk(url: &str, connections: usize, seconds: u64) -> Result<Wrk> {
    let out = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{seconds}s"),
            "--latency",
            url,
        ])
        .output()
        .context("running wrk (apt-get install wrk)")?;
    if !out.status.success() {
        bail!("wrk failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    parse_wrk(&String::from_utf8_lossy(&out.stdout))
}

/// The figures in wrk's report (with `--latency`).
pub fn parse_wrk(out: &str) -> Result<Wrk> {
    let field = |prefix: &str| -> Option<&str> {
        out.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    // "1.23ms", "456.00us", "2.01s", "1.5m"
    let millis = |v: &str| -> Option<f64> {
        let split = v.find(|c: char| c.is_ascii_alphabetic())?;
        let (n, unit) = v.split_at(split);
        let scale = match unit {
            "us" => 0.001,
            "ms" => 1.0,
            "s" => 1000.0,
            "m" => 60_000.0,
            _ => return None,
        };
        Some(n.parse::<f64>().ok()? * scale)
    };
    let rps = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's report: {out}"))?;
    let p50 = field("50%").and_then(millis).unwrap_or(f64::NAN);
    let p99 = field("99%").and_then(millis).unwrap_or(f64::NAN);
    let requests = out
        .lines()
        .find(|l| l.contains("requests in"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let mut errors = field("Non-2xx or 3xx responses:")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if let Some(socket) = field("Socket errors:") {
        // "connect 0, read 12, write 0, timeout 3"
        errors += socket
            .split(',')
            .filter_map(|part| part.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum::<u64>();
    }
    Ok(Wrk {
        requests_per_sec: rps,
        p50_ms: p50,
        p99_ms: p99,
        errors,
        requests,
    })
}
