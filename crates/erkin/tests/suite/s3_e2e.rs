//! The erkin binary against a real Garage node on loopback: `erkin export
//! s3://` killed with SIGKILL midway while a reader polls the website, then
//! run again; `erkin mirror SOURCE --into s3://…`; a follower (`serve
//! --follow`) of the bucket's website. Garage is started as in erkin-s3's
//! own suite (the same helper).

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use erkin_core::tiles::{entry_bundles, hash_tiles};
use erkin_s3::BucketUrl;
use erkin_store::Publication;

use crate::common::{erkin, s, Server};

#[allow(dead_code)]
#[path = "../../../erkin-s3/tests/suite/garage.rs"]
mod garage;
use garage::Garage;

#[allow(dead_code)]
#[path = "../../../erkin-s3/tests/suite/newsroom.rs"]
mod newsroom;
use newsroom::Newsroom;

/// A newsroom with `articles` articles, committed in one batch.
fn newsroom(origin: &str, articles: usize) -> Newsroom {
    let n = newsroom::found(origin);
    publish(&n, articles, "story");
    n
}

/// `count` more articles, committed in one batch.
fn publish(n: &Newsroom, count: usize, stem: &str) {
    let slugs: Vec<String> = (0..count).map(|i| format!("{stem}-{i}")).collect();
    newsroom::publish_batch(n, &slugs);
}

fn key_of(n: &Newsroom) -> String {
    Publication::open(&n.dir)
        .unwrap()
        .store()
        .log_key()
        .to_string()
}

/// `erkin ARGS` with the store's credentials in the environment.
fn erkin_s3(g: &Garage) -> Command {
    let mut c = erkin();
    c.env("AWS_ACCESS_KEY_ID", &g.key_id)
        .env("AWS_SECRET_ACCESS_KEY", &g.secret)
        .env("AWS_REGION", "garage")
        .env("AWS_ENDPOINT_URL", &g.s3);
    c
}

fn ok(out: Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what}: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A number field of a one-line JSON object.
fn field(json: &str, name: &str) -> u64 {
    json.split(&format!("\"{name}\":"))
        .nth(1)
        .and_then(|v| v.trim_start().split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {json}"))
}

/// A GET from the website endpoint: status and body.
fn web_get(port: u16, path: &str) -> (u16, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let status = String::from_utf8_lossy(&raw[..split])
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    (status, raw[split + 4..].to_vec())
}

fn size_of(checkpoint: &[u8]) -> u64 {
    String::from_utf8_lossy(checkpoint)
        .lines()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap()
}

/// Polls the website's checkpoint until `stop`; for each checkpoint
/// served, fetches every hash tile and entry bundle of its tree. The sizes
/// seen, and what was missing.
fn reader(
    port: u16,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<(BTreeSet<u64>, Vec<String>)> {
    std::thread::spawn(move || {
        let (mut sizes, mut missing) = (BTreeSet::new(), Vec::new());
        while !stop.load(Ordering::SeqCst) {
            let (status, cp) = web_get(port, "checkpoint");
            if status != 200 {
                continue;
            }
            let size = size_of(&cp);
            sizes.insert(size);
            for tile in hash_tiles(0, size)
                .into_iter()
                .chain(entry_bundles(0, size))
            {
                let path = tile.to_string();
                let (status, _) = web_get(port, &path);
                if status != 200 {
                    missing.push(format!("checkpoint {size}: {path} is {status}"));
                }
            }
        }
        (sizes, missing)
    })
}

/// The files of a directory export of the data directory (not its own
/// manifest), by layout path.
fn files_of(data: &Path) -> BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    erkin_export::export(&Publication::open(data).unwrap(), dir.path()).unwrap();
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir.path()).unwrap();
                out.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.remove(".erkin-files");
    out
}

fn keys(g: &Garage, url: &str) -> Vec<String> {
    erkin_s3::list(&BucketUrl::parse(url).unwrap(), &g.options()).unwrap()
}

#[test]
#[cfg_attr(not(erkin_test_garage), ignore = "garage is not installed")]
fn erkin_export_killed_midway_then_run_again_never_serves_a_checkpoint_without_its_tiles() {
    let g = Garage::start();
    let n = newsroom("sigkill.example/news", 20);
    let export = |uploads: &str| {
        let mut c = erkin_s3(&g);
        c.args(["--dir", s(&n.dir), "export", "s3://localhost", "--json"])
            .args(["--uploads", uploads]);
        c
    };
    ok(export("16").output().unwrap(), "first export");
    let old_size = size_of(&web_get(g.web_port, "checkpoint").1);

    // Many more articles; the export uploads one object at a time and is
    // killed (SIGKILL) once it has journaled and sent a few.
    publish(&n, 80, "more");
    let stop = Arc::new(AtomicBool::new(false));
    let polling = reader(g.web_port, stop.clone());
    let before: BTreeSet<String> = keys(&g, "s3://localhost").into_iter().collect();
    let mut child = export("1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the export finished before it could be killed"
        );
        let now = keys(&g, "s3://localhost");
        let journaled = now.iter().any(|k| k.starts_with(".erkin-files.d/pending/"));
        if journaled && now.iter().filter(|k| !before.contains(*k)).count() >= 12 {
            break;
        }
        assert!(Instant::now() < deadline, "the export uploaded nothing");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let after_kill = keys(&g, "s3://localhost");
    assert!(
        after_kill
            .iter()
            .any(|k| k.starts_with(".erkin-files.d/pending/")),
        "killed midway: its journal is still there"
    );
    assert_eq!(size_of(&web_get(g.web_port, "checkpoint").1), old_size);

    // The re-run completes: the new checkpoint, nothing left over.
    let json = ok(export("16").output().unwrap(), "export after the kill");
    let new_size = Publication::open(&n.dir).unwrap().store().size();
    assert_eq!(field(&json, "entries"), new_size);
    assert_eq!(size_of(&web_get(g.web_port, "checkpoint").1), new_size);
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let (sizes, missing) = polling.join().unwrap();
    assert!(missing.is_empty(), "{missing:?}");
    assert!(
        sizes.contains(&old_size) && sizes.contains(&new_size),
        "{sizes:?}"
    );
    let left = keys(&g, "s3://localhost");
    let site: BTreeSet<String> = left
        .iter()
        .filter(|k| !k.starts_with(".erkin-files"))
        .cloned()
        .collect();
    assert_eq!(site, files_of(&n.dir));
    assert!(left.iter().all(|k| !k.contains("/pending/")), "{left:?}");

    // The website's copy verifies.
    let m = tempfile::tempdir().unwrap();
    let out = erkin()
        .args(["mirror", &format!("http://localhost:{}/", g.web_port)])
        .args([
            "--into",
            s(&m.path().join("m")),
            "--key",
            &key_of(&n),
            "--json",
        ])
        .output()
        .unwrap();
    assert_eq!(
        field(&ok(out, "mirror of the website"), "new_size"),
        new_size
    );
}

#[test]
#[cfg_attr(not(erkin_test_garage), ignore = "garage is not installed")]
fn a_mirror_into_a_bucket_and_a_follower_of_its_website() {
    let g = Garage::start();
    let n = newsroom("into.example/news", 5);
    let key = key_of(&n);
    let tmp = tempfile::tempdir().unwrap();
    let (source, copy) = (tmp.path().join("source"), tmp.path().join("copy"));
    let export_source = || {
        ok(
            erkin()
                .args(["--dir", s(&n.dir), "export", s(&source)])
                .output()
                .unwrap(),
            "directory export",
        )
    };
    export_source();
    let mirror_into = || {
        let out = erkin_s3(&g)
            .args(["mirror", s(&source), "--into", "s3://localhost/copy"])
            .args(["--copy", s(&copy), "--key", &key, "--json"])
            .output()
            .unwrap();
        ok(out, "mirror --into s3://")
    };
    let first = mirror_into();
    let size = Publication::open(&n.dir).unwrap().store().size();
    assert_eq!(field(&first, "new_size"), size);
    assert!(field(&first, "objects_uploaded") > 20, "{first}");
    // No static copy beside the data directory: it is in the bucket.
    assert!(!copy.join("site").exists());
    let website = format!("http://localhost:{}/copy/", g.web_port);
    assert_eq!(web_get(g.web_port, "copy/index.html").0, 200);

    // A follower of the bucket's website serves the same checkpoint.
    let follower_dir = tmp.path().join("follower");
    let follower = Server::start(
        &follower_dir,
        &["--follow", &website, "--key", &key, "--follow-every", "1"],
    );
    let served = |addr| erkin_testkit::get(addr, "/checkpoint").unwrap().body;
    assert_eq!(
        served(follower.addr),
        web_get(g.web_port, "copy/checkpoint").1
    );

    // One more article upstream: the next run uploads only what changed,
    // and the follower catches up from the bucket.
    publish(&n, 1, "later");
    export_source();
    let second = mirror_into();
    let new_size = Publication::open(&n.dir).unwrap().store().size();
    assert!(new_size > size);
    assert_eq!(field(&second, "new_size"), new_size);
    let (written, total) = (
        field(&second, "objects_uploaded"),
        field(&first, "objects_uploaded"),
    );
    assert!(written > 0 && written < total / 2, "{second} after {first}");
    let deadline = Instant::now() + Duration::from_secs(60);
    while size_of(&served(follower.addr)) != new_size {
        assert!(Instant::now() < deadline, "the follower did not catch up");
        std::thread::sleep(Duration::from_millis(200));
    }
    drop(follower);

    // Refusals: an s3:// follower (no credentials on read-only nodes), a
    // bucket without --copy.
    let out = erkin()
        .args(["--dir", s(&tmp.path().join("f2")), "serve"])
        .args(["--follow", "s3://localhost/copy", "--key", &key])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--follow https://WEBSITE/"));
    let out = erkin_s3(&g)
        .args(["mirror", s(&source), "--into", "s3://localhost/other"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --copy DIR"));
}
