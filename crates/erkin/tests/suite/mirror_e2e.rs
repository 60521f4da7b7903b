//! End to end on loopback, with the real binary: a server, a mirror of it
//! over HTTP, a mirror of that mirror from its directory, a bundle of the
//! second mirror and an import of the bundle. Every copy verifies and folds
//! to the same state digest; a later article and a redaction on the server
//! reach every copy by re-running the syncs.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DEMO_PASSPHRASE: &str = "erkin-demo-passphrase";
const IMAGE_ARTICLE: &str = "sait-bugattalsa-bizdi-qalai-oquga-bolady";

fn erkin(args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_erkin"))
        .env("ERKIN_PASSPHRASE", DEMO_PASSPHRASE)
        .env_remove("ERKIN_DIR")
        .env_remove("ERKIN_SERVER")
        .stdin(Stdio::null())
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().expect("exited normally"),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn ok(args: &[&str]) -> String {
    let (code, out, err) = erkin(args);
    assert_eq!(code, 0, "erkin {args:?} failed:\n{out}\n{err}");
    out
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &Path) -> (Server, String) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(env!("CARGO_BIN_EXE_erkin"))
        .args(["--dir", dir.to_str().unwrap(), "serve", "--quiet"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "server did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (Server(child), url)
}

/// `(size, state digest)` of a copy, which must verify.
fn verified(copy: &Path, key: &str) -> (u64, String) {
    let out = ok(&["verify", copy.to_str().unwrap(), "--key", key, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["ok"], true, "{}: {out}", copy.display());
    (
        v["size"].as_u64().unwrap(),
        v["state_digest"].as_str().expect("a digest").to_string(),
    )
}

/// Runs a member action with each demo key until one is allowed (the demo's
/// board decides who edits).
fn as_some_member(data: &Path, keys: &Path, args: &[&str]) -> String {
    let mut last = String::new();
    for entry in std::fs::read_dir(keys).unwrap() {
        let key = entry.unwrap().path();
        let mut full = vec!["--dir", data.to_str().unwrap()];
        full.extend_from_slice(&args[..1]);
        full.extend(["--key", key.to_str().unwrap()]);
        full.extend_from_slice(&args[1..]);
        let (code, out, err) = erkin(&full);
        if code == 0 {
            return out;
        }
        last.push_str(&err);
    }
    panic!("no demo member could run {args:?}: {last}");
}

fn all_keys(keys: &Path) -> Vec<String> {
    std::fs::read_dir(keys)
        .unwrap()
        .map(|e| e.unwrap().path().to_str().unwrap().to_string())
        .collect()
}

#[test]
fn server_mirror_mirror_bundle_import_agree_and_follow_changes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("demo");
    ok(&["demo", "--into", root.to_str().unwrap(), "--no-serve"]);
    let data = root.join("data");
    let keys = root.join("keys");
    let descriptor: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("site/erkin.json")).unwrap()).unwrap();
    let key = descriptor["verifier_key"].as_str().unwrap().to_string();
    let (_server, url) = serve(&data);

    let m1 = tmp.path().join("m1");
    let m2 = tmp.path().join("m2");
    let m3 = tmp.path().join("m3");
    let bundle = tmp.path().join("copy.tar.gz");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let sync_all = || {
        ok(&["mirror", &url, "--into", &s(&m1), "--key", &key]);
        ok(&["mirror", &s(&m1), "--into", &s(&m2), "--key", &key]);
        ok(&["--dir", &s(&m2), "bundle", &s(&bundle)]);
        ok(&["mirror", &s(&bundle), "--into", &s(&m3), "--key", &key]);
    };
    sync_all();
    let expected = verified(&data, &key);
    for copy in [&m1, &m2, &m3, &m1.join("site"), &m3.join("site")] {
        assert_eq!(verified(copy, &key), expected, "{}", copy.display());
    }
    // The static copy is the server's site, file for file.
    for page in ["index.html", "kk/index.html", "feed.atom", "erkin.json"] {
        assert_eq!(
            std::fs::read(m3.join("site").join(page)).unwrap(),
            std::fs::read(root.join("site").join(page)).unwrap(),
            "{page}"
        );
    }
    // Unchanged source: every sync is a no-op.
    let out = ok(&["mirror", "--into", &s(&m1), "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(report["old_size"], report["new_size"]);
    assert_eq!(report["new_size"], expected.0);

    // A new article on the server reaches every copy.
    let article = tmp.path().join("new.md");
    std::fs::write(
        &article,
        "---\ntitle: Mirrors carry the news\nslug: mirrors-carry-the-news\nlang: en\nsummary: A later article.\nauthors: [saule]\n---\n\nWritten after the mirrors were made.\n",
    )
    .unwrap();
    as_some_member(&data, &keys, &["publish", &s(&article)]);
    sync_all();
    let grown = verified(&data, &key);
    // The article, and a tick before it if the sequencer's clock moved on.
    assert!(
        (expected.0 + 1..=expected.0 + 2).contains(&grown.0),
        "{grown:?}"
    );
    for copy in [&m1, &m2, &m3] {
        assert_eq!(verified(copy, &key), grown, "{}", copy.display());
        assert!(copy
            .join("site/a/mirrors-carry-the-news/index.html")
            .is_file());
    }

    // A redaction by vote: the image article's blobs leave every copy.
    let media: Vec<String> = std::fs::read_dir(m3.join("site/media"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().to_string())
        .collect();
    assert!(!media.is_empty(), "the demo has an image");
    let proposal = as_some_member(
        &data,
        &keys,
        &[
            "propose",
            "--title",
            "Redact the image article",
            "redact",
            IMAGE_ARTICLE,
            "--reason",
            "It named a source by mistake.",
        ],
    );
    let proposal = proposal.trim().to_string();
    for k in all_keys(&keys) {
        // Only eligible members' votes count; others are refused.
        let _ = erkin(&["--dir", &s(&data), "vote", "--key", &k, &proposal, "yes"]);
    }
    as_some_member(&data, &keys, &["close", &proposal]);
    sync_all();
    let redacted = verified(&data, &key);
    for copy in [&m1, &m2, &m3] {
        assert_eq!(verified(copy, &key), redacted, "{}", copy.display());
        for name in &media {
            assert!(
                !copy.join("site/media").join(name).exists(),
                "{}: redacted image {name} is still served",
                copy.display()
            );
            let blob = name.split('.').next().unwrap();
            assert!(!copy.join("site/blob").join(blob).exists());
        }
        let page = std::fs::read_to_string(copy.join(format!("site/a/{IMAGE_ARTICLE}/index.html")))
            .unwrap();
        assert!(
            !page.contains("<img"),
            "{}: the page still shows the image",
            copy.display()
        );
    }

    // Redacting only the new article's body (by its blob ID): the server,
    // which keeps rendered bodies between renders, must stop showing it too.
    let api = http_get(&url, "api/v1/articles/mirrors-carry-the-news");
    let doc: serde_json::Value = serde_json::from_str(&api).unwrap();
    let body = doc["revisions"][0]["body"].as_str().unwrap().to_string();
    let shown = "Written after the mirrors were made.";
    assert!(http_get(&url, "a/mirrors-carry-the-news/").contains(shown));
    let proposal = as_some_member(
        &data,
        &keys,
        &[
            "propose",
            "--title",
            "Redact a body",
            "redact",
            &body,
            "--reason",
            "Test of a blob redaction.",
        ],
    );
    let proposal = proposal.trim().to_string();
    for k in all_keys(&keys) {
        let _ = erkin(&["--dir", &s(&data), "vote", "--key", &k, &proposal, "yes"]);
    }
    as_some_member(&data, &keys, &["close", &proposal]);
    let started = Instant::now();
    while http_get(&url, "a/mirrors-carry-the-news/").contains(shown) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the server still shows a redacted body"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    sync_all();
    for copy in [&m1, &m2, &m3] {
        let page =
            std::fs::read_to_string(copy.join("site/a/mirrors-carry-the-news/index.html")).unwrap();
        assert!(!page.contains(shown), "{}", copy.display());
        assert!(!copy.join("site/blob").join(&body).exists());
    }
}

/// GET `path` from the server at `base` (plain HTTP/1.1 on loopback).
fn http_get(base: &str, path: &str) -> String {
    use std::io::{Read, Write};
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    stream.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "GET /{path}: {head}");
    body.to_string()
}

/// The README's `erkin mirror habar.tar.gz --into m2`, with no --key: the
/// bundle's key is trusted on first use, loudly, as a URL's is. Then a
/// first sync killed (SIGKILL) at several instants never bricks the mirror
/// directory: the next sync completes it.
#[test]
fn bundle_key_on_first_use_and_killed_first_syncs() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("demo");
    ok(&["demo", "--into", root.to_str().unwrap(), "--no-serve"]);
    let data = root.join("data");
    let descriptor: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.join("site/erkin.json")).unwrap()).unwrap();
    let key = descriptor["verifier_key"].as_str().unwrap().to_string();
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let bundle = tmp.path().join("habar.tar.gz");
    ok(&["--dir", &s(&data), "bundle", &s(&bundle)]);
    let expected = verified(&data, &key);

    let m2 = tmp.path().join("m2");
    let (code, out, err) = erkin(&["mirror", &s(&bundle), "--into", &s(&m2)]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("WARNING"), "{err}");
    assert!(err.contains(&key), "the key is shown: {err}");
    assert_eq!(verified(&m2, &key), expected);

    for (i, delay) in [0u64, 10, 30, 60, 120, 250, 500].into_iter().enumerate() {
        let m = tmp.path().join(format!("killed-{i}"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_erkin"))
            .args(["mirror", &s(&bundle), "--into", &s(&m), "--key", &key])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        let (code, out, err) = erkin(&["mirror", &s(&bundle), "--into", &s(&m), "--key", &key]);
        assert_eq!(code, 0, "killed after {delay} ms, then:\n{out}\n{err}");
        assert_eq!(verified(&m, &key), expected, "killed after {delay} ms");
    }
}
