//! Object-storage benchmark (not a test): `erkin export s3://` of the
//! generated news corpus into a Garage node on loopback, full and then
//! incremental after one new article, beside a plain parallel client
//! uploading the same files (object_store `put`, the same concurrency,
//! through the same crate) in the same run.
//!
//! Run (after `cargo build --release`):
//!   cargo run --release -p erkin-bench --bin objects -- [--n 10000] [--uploads 16]
//! Needs python3 (for ../shared/bench/gen_corpus.py) and Garage (`garage` on
//! PATH, else ../shared/tools/garage).

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use erkin_bench::arg;
use futures::{StreamExt as _, TryStreamExt as _};
use object_store::{ObjectStore as _, ObjectStoreExt as _};

const ENV: [(&str, &str); 2] = [
    ("ERKIN_PASSPHRASE", "bench-passphrase"),
    ("ERKIN_SCRYPT_WORK_FACTOR", "10"),
];

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn garage_binary(workspace: &Path) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("garage"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| workspace.join("../shared/tools/garage"))
}

/// One Garage node on loopback with buckets `erkin` and `plain` and one key
/// allowed on both; killed when dropped.
struct Garage {
    child: Child,
    binary: PathBuf,
    config: PathBuf,
    s3: String,
    key_id: String,
    secret: String,
}

impl Garage {
    fn start(binary: PathBuf, dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)?;
        let (rpc, s3) = (free_port()?, free_port()?);
        let secret: String = (0..32)
            .map(|_| {
                format!(
                    "{:02x}",
                    rand_core::RngCore::next_u32(&mut rand_core::OsRng) as u8
                )
            })
            .collect();
        let config = dir.join("garage.toml");
        let d = dir.display();
        std::fs::write(
            &config,
            format!(
                "metadata_dir = \"{d}/meta\"\ndata_dir = \"{d}/data\"\ndb_engine = \"sqlite\"\n\
                 replication_factor = 1\nrpc_bind_addr = \"127.0.0.1:{rpc}\"\n\
                 rpc_public_addr = \"127.0.0.1:{rpc}\"\nrpc_secret = \"{secret}\"\n\n\
                 [s3_api]\ns3_region = \"garage\"\napi_bind_addr = \"127.0.0.1:{s3}\"\n\
                 root_domain = \".s3.garage.localhost\"\n"
            ),
        )?;
        let log = std::fs::File::create(dir.join("server.log"))?;
        let child = Command::new(&binary)
            .arg("-c")
            .arg(&config)
            .arg("server")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        let mut g = Garage {
            child,
            binary,
            config,
            s3: format!("http://127.0.0.1:{s3}"),
            key_id: String::new(),
            secret: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let id = loop {
            if let Ok(out) = g.cli(&["node", "id", "-q"]) {
                if let Some(id) = out.split('@').next().filter(|id| id.len() >= 16) {
                    break id.trim().to_string();
                }
            }
            if Instant::now() > deadline {
                bail!("garage did not start");
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        g.cli(&["layout", "assign", "-z", "dc1", "-c", "10G", &id])?;
        g.cli(&["layout", "apply", "--version", "1"])?;
        let key = g.cli(&["key", "create", "bench"])?;
        let field = |name: &str| {
            key.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
                .with_context(|| format!("no {name} in: {key}"))
        };
        g.key_id = field("Key ID:")?;
        g.secret = field("Secret key:")?;
        for bucket in ["erkin", "plain"] {
            g.cli(&["bucket", "create", bucket])?;
            g.cli(&[
                "bucket", "allow", "--read", "--write", "--owner", bucket, "--key", "bench",
            ])?;
        }
        Ok(g)
    }

    fn cli(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(&self.binary)
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            bail!("garage {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn bucket(&self, name: &str) -> Result<object_store::aws::AmazonS3> {
        Ok(object_store::aws::AmazonS3Builder::new()
            .with_bucket_name(name)
            .with_endpoint(&self.s3)
            .with_allow_http(true)
            .with_region("garage")
            .with_access_key_id(&self.key_id)
            .with_secret_access_key(&self.secret)
            .build()?)
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn erkin_ok(cmd: &mut Command) -> Result<String> {
    let out = cmd.envs(ENV).output()?;
    if !out.status.success() {
        bail!("{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// Every file of the site under `dir` (not the directory export's own
/// manifest): relative path, size, hash of its bytes.
fn files(dir: &Path) -> Result<BTreeMap<String, (u64, u64)>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let path = e?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path)?;
                let mut h = std::collections::hash_map::DefaultHasher::new();
                bytes.hash(&mut h);
                let rel = path.strip_prefix(dir)?.to_string_lossy().into_owned();
                if rel == ".erkin-files" {
                    continue;
                }
                out.insert(rel, (bytes.len() as u64, h.finish()));
            }
        }
    }
    Ok(out)
}

/// What one `erkin export s3://erkin` did.
struct Run {
    seconds: f64,
    /// Site objects uploaded.
    written: u64,
    /// Objects and bytes of the export's own record (manifest shards, root,
    /// journal pages).
    record_objects: u64,
    record_bytes: u64,
}

fn json_number(out: &str, name: &str) -> Result<u64> {
    out.split(&format!("\"{name}\":"))
        .nth(1)
        .and_then(|s| s.trim_start().split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no {name} in {out}"))
}

/// `erkin export s3://erkin`: wall time, objects and record written.
fn s3_export(erkin: &Path, data: &Path, g: &Garage, uploads: usize) -> Result<Run> {
    let _ = Command::new("sync").status();
    let started = Instant::now();
    let out = erkin_ok(
        Command::new(erkin)
            .arg("--dir")
            .arg(data)
            .args(["export", "s3://erkin", "--json", "--region", "garage"])
            .args(["--endpoint", &g.s3, "--uploads", &uploads.to_string()])
            .env("AWS_ACCESS_KEY_ID", &g.key_id)
            .env("AWS_SECRET_ACCESS_KEY", &g.secret),
    )?;
    Ok(Run {
        seconds: started.elapsed().as_secs_f64(),
        written: json_number(&out, "written")?,
        record_objects: json_number(&out, "manifest_objects")?,
        record_bytes: json_number(&out, "manifest_bytes")?,
    })
}

/// Uploads `paths` (under `root`) into bucket `plain`, `uploads` at once:
/// wall seconds.
fn plain_put(
    rt: &tokio::runtime::Runtime,
    g: &Garage,
    root: &Path,
    paths: &[String],
    uploads: usize,
) -> Result<f64> {
    let bucket = Arc::new(g.bucket("plain")?);
    let _ = Command::new("sync").status();
    let started = Instant::now();
    rt.block_on(
        futures::stream::iter(paths.iter().cloned())
            .map(|p| {
                let bucket = bucket.clone();
                let file = root.join(&p);
                async move {
                    let bytes = tokio::fs::read(&file).await?;
                    bucket
                        .put(&object_store::path::Path::from(p.as_str()), bytes.into())
                        .await?;
                    anyhow::Ok(())
                }
            })
            .buffer_unordered(uploads)
            .try_collect::<Vec<()>>(),
    )?;
    Ok(started.elapsed().as_secs_f64())
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn main() -> Result<()> {
    let n = arg("--n", 10_000usize)?;
    let uploads = arg("--uploads", 16usize)?.max(1);
    let erkin = std::env::current_exe()?.with_file_name("erkin");
    if !erkin.is_file() {
        bail!(
            "{} not found: run `cargo build --release` first",
            erkin.display()
        );
    }
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tmp = tempfile::tempdir_in(workspace.join("target"))?;
    let corpus = tmp.path().join("corpus");
    let generator = workspace.join("../shared/bench/gen_corpus.py");
    let status = Command::new("python3")
        .arg(&generator)
        .args(["--n", &n.to_string(), "--out"])
        .arg(&corpus)
        .status()
        .with_context(|| format!("running {}", generator.display()))?;
    if !status.success() {
        bail!("gen_corpus.py failed");
    }

    // The publication: import the corpus (not timed).
    let (key, data, site) = (
        tmp.path().join("editor.key"),
        tmp.path().join("data"),
        tmp.path().join("site"),
    );
    let vkey = erkin_ok(
        Command::new(&erkin)
            .args(["key", "new", "--name", "editor", "--out"])
            .arg(&key),
    )?;
    erkin_ok(Command::new(&erkin).arg("--dir").arg(&data).args([
        "init",
        "--origin",
        "bench.example/news",
        "--name",
        "Bench",
        "--founder",
        vkey.trim(),
    ]))?;
    erkin_ok(
        Command::new(&erkin)
            .arg("--dir")
            .arg(&data)
            .args(["import", "--key"])
            .arg(&key)
            .arg(corpus.join("content")),
    )?;
    eprintln!("objects: imported {n} articles");

    let g = Garage::start(garage_binary(&workspace), &tmp.path().join("garage"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let erkin_bucket = g.bucket("erkin")?;

    // The same files on disk, for the plain client (a directory export).
    let started = Instant::now();
    erkin_ok(
        Command::new(&erkin)
            .arg("--dir")
            .arg(&data)
            .arg("export")
            .arg(&site),
    )?;
    let render = started.elapsed().as_secs_f64();
    let before = files(&site)?;
    let all: Vec<String> = before.keys().cloned().collect();
    let all_bytes: u64 = before.values().map(|(s, _)| s).sum();

    let full_run = s3_export(&erkin, &data, &g, uploads)?;
    let full = full_run.seconds;
    let plain_full = plain_put(&rt, &g, &site, &all, uploads)?;
    eprintln!("objects: full export {full:.2} s, plain {plain_full:.2} s");

    // One new article.
    let article = tmp.path().join("new.md");
    std::fs::write(
        &article,
        "---\ntitle: One more article\nslug: one-more-article\nlang: en\nsummary: The incremental case.\nauthors: [editor]\ntags: [incremental]\n---\n\nOne new article after the archive was exported.\n",
    )?;
    erkin_ok(
        Command::new(&erkin)
            .arg("--dir")
            .arg(&data)
            .args(["publish", "--key"])
            .arg(&key)
            .arg(&article),
    )?;
    erkin_ok(
        Command::new(&erkin)
            .arg("--dir")
            .arg(&data)
            .arg("export")
            .arg(&site),
    )?;
    let after = files(&site)?;
    let changed: Vec<String> = after
        .iter()
        .filter(|(p, v)| before.get(*p) != Some(v))
        .map(|(p, _)| p.clone())
        .collect();
    let changed_bytes: u64 = changed.iter().map(|p| after[p].0).sum();
    let incr_run = s3_export(&erkin, &data, &g, uploads)?;
    let incr = incr_run.seconds;
    // Nothing new: what a run costs when there is nothing to do.
    let idle_run = s3_export(&erkin, &data, &g, uploads)?;
    let plain_incr = plain_put(&rt, &g, &site, &changed, uploads)?;
    let listed = rt
        .block_on(erkin_bucket.list(None).try_collect::<Vec<_>>())?
        .len();

    println!("| what | erkin export s3:// | plain parallel put (same files, same crate, {uploads} at once) | ratio (erkin / plain) |");
    println!("|---|---|---|---|");
    println!(
        "| full export of {n} articles: wall time | {full:.2} s | {plain_full:.2} s | {:.2} |",
        full / plain_full
    );
    println!(
        "| full: objects uploaded | {} + {} of its record | {} | — |",
        full_run.written,
        full_run.record_objects,
        all.len()
    );
    println!(
        "| full: bytes uploaded | {} (of which its record {}) | {} | — |",
        mb(all_bytes + full_run.record_bytes),
        mb(full_run.record_bytes),
        mb(all_bytes)
    );
    println!(
        "| after one new article: incremental wall time | {incr:.2} s | {plain_incr:.2} s (only the changed files, known in advance) | {:.2} |",
        incr / plain_incr
    );
    println!(
        "| after one new article: objects uploaded | {} + {} of its record | {} | — |",
        incr_run.written,
        incr_run.record_objects,
        changed.len()
    );
    println!(
        "| after one new article: bytes uploaded | {} (of which its record {}) | {} | — |",
        mb(changed_bytes + incr_run.record_bytes),
        mb(incr_run.record_bytes),
        mb(changed_bytes)
    );
    println!(
        "| nothing new: wall time, objects uploaded | {:.2} s, {} + {} | — | — |",
        idle_run.seconds, idle_run.written, idle_run.record_objects
    );
    println!("| objects in the bucket afterwards | {listed} | — | — |");
    println!("| for reference: rendering the same site into a directory | {render:.2} s | — | — |");
    Ok(())
}
