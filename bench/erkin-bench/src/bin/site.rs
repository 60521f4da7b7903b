//! Site benchmark (not a test): import and render the generated news corpus
//! with erkin, beside Hugo building the same Markdown files, in the same run,
//! alternating, several times. Reports median, spread, ratio and peak memory.
//!
//! Run (after `cargo build --release`):
//!   cargo run --release -p erkin-bench --bin site -- [--n 10000] [--runs 3]
//! Needs python3 (for ../shared/bench/gen_corpus.py), hugo and GNU time
//! (`/usr/bin/time`), from Debian's packages.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use erkin_bench::arg;

/// Runs a command under GNU time; returns (wall seconds, peak RSS in MiB,
/// CPU seconds user+system).
fn timed(cmd: &mut Command) -> Result<(f64, f64, f64)> {
    let out_file = tempfile::NamedTempFile::new()?;
    let program = cmd.get_program().to_owned();
    let args: Vec<_> = cmd.get_args().map(|a| a.to_owned()).collect();
    let envs: Vec<_> = cmd
        .get_envs()
        .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned())))
        .collect();
    let status = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%e %M %U %S")
        .arg("-o")
        .arg(out_file.path())
        .arg(&program)
        .args(&args)
        .envs(envs)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .with_context(|| {
            format!("running {program:?} under /usr/bin/time (apt-get install time)")
        })?;
    if !status.success() {
        bail!("{program:?} {args:?} failed");
    }
    let text = std::fs::read_to_string(out_file.path())?;
    let mut it = text.split_whitespace();
    let wall: f64 = it.next().context("time output")?.parse()?;
    let kb: f64 = it.next().context("time output")?.parse()?;
    let user: f64 = it.next().context("time output")?.parse()?;
    let sys: f64 = it.next().context("time output")?.parse()?;
    Ok((wall, kb / 1024.0, user + sys))
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Wall seconds, peak memory in MiB, CPU seconds.
type Measure = (f64, f64, f64);

/// Returns (import + export) and (export alone).
fn erkin_run(erkin: &Path, corpus: &Path, work: &Path) -> Result<(Measure, Measure)> {
    let _ = std::fs::remove_dir_all(work);
    std::fs::create_dir_all(work)?;
    let env = [
        ("ERKIN_PASSPHRASE", "bench-passphrase"),
        ("ERKIN_SCRYPT_WORK_FACTOR", "10"),
    ];
    let key = work.join("editor.key");
    let vkey = Command::new(erkin)
        .args(["key", "new", "--name", "editor", "--out"])
        .arg(&key)
        .envs(env)
        .output()?;
    let vkey = String::from_utf8(vkey.stdout)?.trim().to_string();
    let data = work.join("data");
    let init = Command::new(erkin)
        .arg("--dir")
        .arg(&data)
        .args([
            "init",
            "--origin",
            "bench.example/news",
            "--name",
            "Bench",
            "--founder",
            &vkey,
        ])
        .envs(env)
        .output()?;
    if !init.status.success() {
        bail!(
            "erkin init failed: {}",
            String::from_utf8_lossy(&init.stderr)
        );
    }
    let (t1, m1, c1) = timed(
        Command::new(erkin)
            .arg("--dir")
            .arg(&data)
            .args(["import", "--key"])
            .arg(&key)
            .arg(corpus.join("content"))
            .envs(env),
    )?;
    let (t2, m2, c2) = timed(
        Command::new(erkin)
            .arg("--dir")
            .arg(&data)
            .arg("export")
            .arg(work.join("site"))
            .envs(env),
    )?;
    Ok(((t1 + t2, m1.max(m2), c1 + c2), (t2, m2, c2)))
}

fn hugo_run(corpus: &Path, out: &Path) -> Result<(f64, f64, f64)> {
    let _ = std::fs::remove_dir_all(out);
    timed(
        Command::new("hugo")
            .arg("--quiet")
            .arg("-s")
            .arg(corpus)
            .arg("-d")
            .arg(out),
    )
}

fn main() -> Result<()> {
    let n = arg("--n", 10_000usize)?;
    let runs = arg("--runs", 3usize)?.max(1);
    let exe = std::env::current_exe()?;
    let erkin: PathBuf = exe.with_file_name("erkin");
    if !erkin.is_file() {
        bail!(
            "{} not found: run `cargo build --release` first",
            erkin.display()
        );
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let generator = workspace.join("../shared/bench/gen_corpus.py");
    let tmp = tempfile::tempdir_in(workspace.join("target"))?;
    let corpus = tmp.path().join("corpus");
    let status = Command::new("python3")
        .arg(&generator)
        .args(["--n", &n.to_string(), "--hugo", "--out"])
        .arg(&corpus)
        .status()
        .with_context(|| format!("running {}", generator.display()))?;
    if !status.success() {
        bail!("gen_corpus.py failed");
    }
    let (mut et, mut em, mut ht, mut hm) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut ec, mut hc) = (Vec::new(), Vec::new());
    let (mut xt, mut xm) = (Vec::new(), Vec::new());
    for run in 0..runs {
        // Flush the other side's writes first: an fsync on ext4 waits for all
        // dirty data, so without this each side pays for the other's output.
        flush_disk();
        // Fresh output folders each run, deleted only at the end: deleting
        // 20,000 files (with online discard) would otherwise land on the
        // next run's fsyncs.
        let ((t, m, c), export) =
            erkin_run(&erkin, &corpus, &tmp.path().join(format!("erkin-{run}")))?;
        xt.push(export.0);
        xm.push(export.1);
        et.push(t);
        em.push(m);
        ec.push(c);
        flush_disk();
        let (t, m, c) = hugo_run(&corpus, &tmp.path().join(format!("hugo-out-{run}")))?;
        ht.push(t);
        hm.push(m);
        hc.push(c);
        eprintln!(
            "run {}: erkin {:.2} s, hugo {:.2} s",
            run + 1,
            et[run],
            ht[run]
        );
    }
    let spread = |v: &[f64]| {
        let lo = v.iter().cloned().fold(f64::INFINITY, f64::min);
        let hi = v.iter().cloned().fold(0.0, f64::max);
        format!("{lo:.2}–{hi:.2}")
    };
    let (em_max, hm_max) = (
        em.iter().cloned().fold(0.0, f64::max),
        hm.iter().cloned().fold(0.0, f64::max),
    );
    let (e_med, h_med) = (median(&mut et.clone()), median(&mut ht.clone()));
    let files = walk_count(&tmp.path().join("erkin-0/site"));
    println!("| what | erkin | Hugo (same files, same run) | ratio (erkin / Hugo) |");
    println!("|---|---|---|---|");
    println!(
        "| import + render {n} articles: median wall time (spread over {runs} runs) | {e_med:.2} s ({}) | {h_med:.2} s ({}) | {:.2} |",
        spread(&et),
        spread(&ht),
        e_med / h_med
    );
    let (ec_med, hc_med) = (median(&mut ec.clone()), median(&mut hc.clone()));
    println!(
        "| CPU time, user + system: median (spread) | {ec_med:.2} s ({}) | {hc_med:.2} s ({}) | {:.2} |",
        spread(&ec),
        spread(&hc),
        ec_med / hc_med
    );
    println!(
        "| peak memory (largest process) | {em_max:.0} MiB | {hm_max:.0} MiB | {:.2} |",
        em_max / hm_max
    );
    let x_med = median(&mut xt.clone());
    let xm_max = xm.iter().cloned().fold(0.0, f64::max);
    println!(
        "| of which the full export alone (render + write the static copy): median (spread) | {x_med:.2} s ({}) | {h_med:.2} s (Hugo's whole build) | {:.2} |",
        spread(&xt),
        x_med / h_med
    );
    println!(
        "| peak memory of the export alone | {xm_max:.0} MiB | {hm_max:.0} MiB | {:.2} |",
        xm_max / hm_max
    );
    println!("| files written | {files} | — | — |");

    // Incremental: one new article on the first run's publication, then
    // export again into the same folder.
    let work = tmp.path().join("erkin-0");
    let env = [
        ("ERKIN_PASSPHRASE", "bench-passphrase"),
        ("ERKIN_SCRYPT_WORK_FACTOR", "10"),
    ];
    let article = work.join("new.md");
    std::fs::write(
        &article,
        "---\ntitle: One more article\nslug: one-more-article\nlang: en\nsummary: The incremental case.\nauthors: [editor]\ntags: [incremental]\n---\n\nOne new article after the archive was exported.\n",
    )?;
    let publish = Command::new(&erkin)
        .arg("--dir")
        .arg(work.join("data"))
        .args(["publish", "--key"])
        .arg(work.join("editor.key"))
        .arg(&article)
        .envs(env)
        .output()?;
    if !publish.status.success() {
        bail!(
            "publish failed: {}",
            String::from_utf8_lossy(&publish.stderr)
        );
    }
    flush_disk();
    let started = std::time::Instant::now();
    let export = Command::new(&erkin)
        .arg("--dir")
        .arg(work.join("data"))
        .arg("export")
        .arg(work.join("site"))
        .envs(env)
        .output()?;
    let incremental = started.elapsed().as_secs_f64();
    let said = String::from_utf8_lossy(&export.stderr).to_string();
    if !export.status.success() {
        bail!("export failed: {said}");
    }
    // "Exported N entries to D: W files written, U unchanged, R removed."
    let written = said
        .split(": ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .unwrap_or("?")
        .to_string();
    println!(
        "| after one new article: incremental export wall time | {incremental:.2} s | — (Hugo rebuilds: {h_med:.2} s) | {:.2} |",
        incremental / h_med
    );
    println!("| after one new article: files rewritten (of {files}) | {written} | — | — |");
    Ok(())
}

fn flush_disk() {
    let _ = Command::new("sync").status();
}

fn walk_count(dir: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        if let Ok(rd) = std::fs::read_dir(&d) {
            for e in rd.flatten() {
                if e.path().is_dir() {
                    stack.push(e.path());
                } else {
                    n += 1;
                }
            }
        }
    }
    n
}
