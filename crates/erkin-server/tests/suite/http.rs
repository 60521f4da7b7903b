//! `erkin serve` over real HTTP on loopback: every page type and API
//! endpoint, 404s, conditional requests, compression, security headers, and
//! re-rendering when the log grows.

use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use erkin_core::action::{Action, Charter, Publish};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_store::Publication;
use erkin_testkit::{request, Reply};

/// The fixture's time: its sequencer's clock stands at the founding time,
/// so the log records no tick and sizes are the entries' own count.
pub(crate) const T0: u64 = 1_790_000_000;

/// A request with a body: `extra` says its length (a test may declare more
/// than it sends). The server must answer.
fn send(addr: SocketAddr, method: &str, path: &str, extra: &[(&str, &str)], body: &[u8]) -> Reply {
    erkin_testkit::send(addr, method, path, extra, body).expect("the server answers")
}

pub(crate) fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, &[])
}

pub(crate) struct Fixture {
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) dir: std::path::PathBuf,
    pub(crate) log: SecretKey,
    pub(crate) editor: SecretKey,
}

pub(crate) fn publish(p: &mut Publication, f: &Fixture, slug: &str, lang: &str, body: &str) {
    let id = p.put_blob(body.as_bytes(), 1 << 20).unwrap();
    let action = Action::Publish(Publish {
        slug: slug.into(),
        lang: lang.into(),
        title: format!("Title of {slug}"),
        summary: format!("Summary of {slug}"),
        authors: vec!["aigerim".into()],
        bylines: vec![],
        tags: vec!["press-freedom".into()],
        body: id.to_string(),
        media: vec![],
        translation_of: None,
        first_published: None,
    });
    let now = T0 + p.state().size();
    let entry = p.sign(&EntryBody { time: now, action }, &f.editor).unwrap();
    let outcome = p.submit(&[entry], T0, &f.log).unwrap();
    assert!(outcome.results[0].is_ok(), "{:?}", outcome.results);
}

pub(crate) fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let log = SecretKey::generate(&mut rand_core::OsRng, "serve.example/news").unwrap();
    let editor = SecretKey::generate(&mut rand_core::OsRng, "aigerim").unwrap();
    let mut p = Publication::found(
        &dir,
        "Serve test",
        &log,
        &[editor.verifier_key().clone()],
        Charter::default(),
        T0,
    )
    .unwrap();
    let f = Fixture {
        _dir: tmp,
        dir,
        log,
        editor,
    };
    publish(
        &mut p,
        &f,
        "first-story",
        "en",
        &"# Heading\n\nSome **text** for compression. ".repeat(40),
    );
    publish(&mut p, &f, "vtoraya", "ru", "Текст статьи.");
    // A correction, so one article has a history page.
    let id = p
        .put_blob("Исправленный текст.".as_bytes(), 1 << 20)
        .unwrap();
    let action = Action::Correct(erkin_core::action::Correct {
        slug: "vtoraya".into(),
        title: "Title of vtoraya".into(),
        summary: "Summary of vtoraya".into(),
        body: id.to_string(),
        media: vec![],
        note: "An earlier version misspelt a word.".into(),
        major: false,
    });
    let now = T0 + p.state().size();
    let entry = p.sign(&EntryBody { time: now, action }, &f.editor).unwrap();
    assert!(p.submit(&[entry], T0, &f.log).unwrap().results[0].is_ok());
    f
}

/// Stops a server started by [`start`] when dropped, and waits until it
/// has returned (a render it had under way included), so a test's folder is
/// never deleted under a server still writing its copy.
pub(crate) struct Stop {
    tx: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Stop {
    pub(crate) fn new(
        tx: tokio::sync::oneshot::Sender<()>,
        thread: std::thread::JoinHandle<()>,
    ) -> Self {
        Self {
            tx: Some(tx),
            thread: Some(thread),
        }
    }
}

impl Drop for Stop {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts the server on a free loopback port in a background thread.
pub(crate) fn start(dir: &Path) -> (SocketAddr, Stop) {
    start_with(dir, erkin_server::ServeOptions::default())
}

/// Starts the server with `options` (the members' API, limits).
pub(crate) fn start_with(dir: &Path, options: erkin_server::ServeOptions) -> (SocketAddr, Stop) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let dir = dir.to_path_buf();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = erkin_server::bind("127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            erkin_server::serve_with(listener, &dir, options, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
    });
    (
        addr_rx.recv_timeout(Duration::from_secs(30)).unwrap(),
        Stop::new(tx, thread),
    )
}

#[test]
fn every_page_type_and_endpoint() {
    let f = fixture();
    let (addr, _stop) = start(&f.dir);
    for (path, content_type, needle) in [
        ("/", "text/html; charset=utf-8", "Title of first-story"),
        (
            "/index.html",
            "text/html; charset=utf-8",
            "Title of vtoraya",
        ),
        ("/en/", "text/html; charset=utf-8", "Title of first-story"),
        (
            "/ru/index.html",
            "text/html; charset=utf-8",
            "Title of vtoraya",
        ),
        ("/kk/", "text/html; charset=utf-8", "<html lang=\"kk\""),
        (
            "/a/first-story/",
            "text/html; charset=utf-8",
            "<strong>text</strong>",
        ),
        (
            "/a/vtoraya/history/",
            "text/html; charset=utf-8",
            "An earlier version misspelt a word.",
        ),
        (
            "/tag/press-freedom/",
            "text/html; charset=utf-8",
            "Title of first-story",
        ),
        (
            "/author/aigerim/",
            "text/html; charset=utf-8",
            "Title of vtoraya",
        ),
        // The cooperative and the mirrors live in each language's section.
        ("/kk/coop/", "text/html; charset=utf-8", "aigerim"),
        (
            "/kk/mirrors/",
            "text/html; charset=utf-8",
            "serve.example/news+",
        ),
        ("/mirrors/key.svg", "image/svg+xml", "<svg"),
        ("/feed.atom", "application/atom+xml; charset=utf-8", "<feed"),
        (
            "/ru/feed.atom",
            "application/atom+xml; charset=utf-8",
            "Title of vtoraya",
        ),
        // A sitemap index, and its shard of the oldest 1,000 articles.
        (
            "/sitemap.xml",
            "application/xml; charset=utf-8",
            "sitemap/1.xml",
        ),
        (
            "/sitemap/1.xml",
            "application/xml; charset=utf-8",
            "a/first-story/",
        ),
        ("/style.css", "text/css; charset=utf-8", "font"),
        ("/erkin.json", "application/json", "verifier_key"),
        ("/api/v1/articles", "application/json", "first-story"),
        ("/api/v1/articles/vtoraya", "application/json", "revisions"),
        ("/api/v1/state", "application/json", "digest"),
        (
            "/checkpoint",
            "text/plain; charset=utf-8",
            "serve.example/news\n4\n",
        ),
        ("/tile/0/000.p/4", "application/octet-stream", ""),
        (
            "/tile/entries/000.p/4",
            "application/octet-stream",
            "erkin.entry/v1",
        ),
    ] {
        let r = get(addr, path);
        assert_eq!(r.status, 200, "{path}: {}", r.text());
        assert_eq!(r.header("content-type"), Some(content_type), "{path}");
        assert!(r.text().contains(needle), "{path} lacks {needle:?}");
        // Security headers on everything.
        assert!(
            r.header("content-security-policy")
                .unwrap()
                .contains("default-src 'none'"),
            "{path}"
        );
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"), "{path}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(r.header("x-frame-options"), Some("DENY"), "{path}");
        assert!(r.header("etag").is_some(), "{path}");
    }
    // A tile is exactly 32 bytes per hash; a blob is its bytes.
    assert_eq!(get(addr, "/tile/0/000.p/4").body.len(), 128);
    // A single-revision article has no history page.
    assert_eq!(get(addr, "/a/first-story/history/").status, 404);
    // The 404 page's link is relative (a path prefix, a proxy), never /index.html.
    let missing = String::from_utf8(get(addr, "/a/first-story/history/").body).unwrap();
    assert!(
        missing.contains("href=\"../../../index.html\""),
        "{missing}"
    );
    assert!(!missing.contains("href=\"/"), "{missing}");
    let body = "Текст статьи.";
    let id = erkin_core::blob::BlobId::of(body.as_bytes());
    let r = get(addr, &format!("/blob/{id}"));
    assert_eq!(r.status, 200);
    assert_eq!(r.body, body.as_bytes());
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(
        get(addr, "/checkpoint").header("cache-control"),
        Some("public, max-age=5")
    );
}

#[test]
fn not_found_bad_paths_and_methods() {
    let f = fixture();
    let (addr, _stop) = start(&f.dir);
    for path in [
        "/nope",
        "/a/missing/",
        "/tile/0/001",
        "/tile/0/000.p/5",
        "/blob/00",
        &format!("/blob/{}", "0".repeat(64)),
        "/api/v1/articles/missing",
        // An index whose first entry would overflow u64 (index * 256).
        "/tile/entries/x072/x057/x594/x037/x927/x936",
        "/tile/0/x072/x057/x594/x037/x927/x936",
    ] {
        let r = get(addr, path);
        assert_eq!(r.status, 404, "{path}");
        // Every 404 (pages, tiles, blobs) links home relatively, so it works
        // under a path prefix: never /index.html.
        let body = String::from_utf8(r.body).unwrap();
        let root = "../".repeat(path.matches('/').count() - 1);
        assert!(
            body.contains(&format!("href=\"{root}index.html\"")),
            "{path}: {body}"
        );
        assert!(!body.contains("href=\"/"), "{path}: {body}");
        assert!(
            body.contains("Табылмады") && body.contains("Не найдено"),
            "{path}"
        );
    }
    // And the server is still whole afterwards.
    assert_eq!(get(addr, "/checkpoint").status, 200);
    assert_eq!(get(addr, "/tile/entries/000.p/4").status, 200);
    assert_eq!(get(addr, "/a/../../etc/passwd").status, 400);
    assert_eq!(get(addr, "/a/%2e%2e/x").status, 400);
    let r = request(addr, "POST", "/", &[("Content-Length", "0")]);
    assert_eq!(r.status, 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD"));
    // A directory without its slash is redirected to it.
    let r = get(addr, "/a/first-story");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/a/first-story/"));
    // HEAD: headers, no body.
    let r = request(addr, "HEAD", "/", &[]);
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
}

#[test]
fn conditional_requests_and_compression() {
    let f = fixture();
    let (addr, _stop) = start(&f.dir);
    let first = get(addr, "/a/first-story/");
    let etag = first.header("etag").unwrap().to_string();
    let r = request(addr, "GET", "/a/first-story/", &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    let r = request(
        addr,
        "GET",
        "/a/first-story/",
        &[("If-None-Match", "\"something-else\"")],
    );
    assert_eq!(r.status, 200);

    let br = request(
        addr,
        "GET",
        "/a/first-story/",
        &[("Accept-Encoding", "gzip, br")],
    );
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.header("vary"), Some("Accept-Encoding"));
    let mut plain = Vec::new();
    brotli::BrotliDecompress(&mut &br.body[..], &mut plain).unwrap();
    assert_eq!(plain, first.body);

    let gz = request(
        addr,
        "GET",
        "/a/first-story/",
        &[("Accept-Encoding", "gzip")],
    );
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut plain = Vec::new();
    flate2::read::GzDecoder::new(&gz.body[..])
        .read_to_end(&mut plain)
        .unwrap();
    assert_eq!(plain, first.body);
    assert!(gz.body.len() < first.body.len());

    let refused = request(
        addr,
        "GET",
        "/a/first-story/",
        &[("Accept-Encoding", "br;q=0, gzip;q=0")],
    );
    assert_eq!(refused.header("content-encoding"), None);
    assert_eq!(refused.body, first.body);
    // q=0 however it is written refuses a coding; a lower q still accepts.
    for (accept, coding) in [
        ("br;q=0.0, gzip;q=0.000", None),
        ("br; q=0.00, gzip", Some("gzip")),
        ("br;Q=0, gzip;q=0.001", Some("gzip")),
        ("gzip;q=0.5, br;q=0.1", Some("br")),
    ] {
        let r = request(
            addr,
            "GET",
            "/a/first-story/",
            &[("Accept-Encoding", accept)],
        );
        assert_eq!(
            r.header("content-encoding"),
            coding,
            "Accept-Encoding: {accept}"
        );
    }
    // A weak validator and a list match too; a stale one does not.
    let weak = format!("\"stale\", W/{etag}");
    let r = request(addr, "GET", "/a/first-story/", &[("If-None-Match", &weak)]);
    assert_eq!(r.status, 304, "If-None-Match: {weak}");
    let r = request(addr, "HEAD", "/a/first-story/", &[("If-None-Match", "*")]);
    assert_eq!(r.status, 304);
}

#[test]
fn methods_a_path_does_not_take_get_405_with_allow() {
    let f = fixture();
    let (addr, _stop) = start(&f.dir);
    for (method, path) in [
        ("PUT", "/a/first-story/"),
        ("DELETE", "/"),
        ("POST", "/index.html"),
        ("PATCH", "/checkpoint"),
        ("PUT", "/tile/entries/000.p/2"),
    ] {
        let r = request(addr, method, path, &[]);
        assert_eq!(r.status, 405, "{method} {path}");
        let allow = r.header("allow").unwrap_or_default().to_string();
        assert!(
            allow.contains("GET") && allow.contains("HEAD"),
            "{method} {path}: Allow {allow:?}"
        );
        // Security headers on every answer, errors included.
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{method} {path}"
        );
    }
    // HEAD: the GET's headers, no body.
    let head = request(addr, "HEAD", "/a/first-story/", &[]);
    let full = get(addr, "/a/first-story/");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("etag"), full.header("etag"));
    assert_eq!(
        head.header("content-length").map(str::to_string),
        Some(full.body.len().to_string())
    );
}

/// Blobs are kept in memory after the first reader (`blob_cache`), but the
/// store is asked on every request: a redacted blob is gone at once, before
/// the pages are rendered again.
#[test]
fn a_blob_kept_in_memory_is_gone_the_moment_it_is_redacted() {
    use erkin_core::action::{Ballot, Close, Motion, Propose, Vote};
    let f = fixture();
    let (addr, _stop) = start(&f.dir);
    let body = "# Heading\n\nSome **text** for compression. ".repeat(40);
    let path = format!("/blob/{}", erkin_core::blob::BlobId::of(body.as_bytes()));
    // The first from the store, then from memory: the same answer.
    for _ in 0..3 {
        let r = get(addr, &path);
        assert_eq!(r.status, 200);
        assert_eq!(r.body, body.as_bytes());
        assert_eq!(
            r.header("content-length"),
            Some(body.len().to_string().as_str())
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    }
    let etag = get(addr, &path).header("etag").unwrap().to_string();
    let r = request(addr, "GET", &path, &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    let r = request(addr, "HEAD", &path, &[]);
    assert_eq!(r.status, 200);
    assert!(r.body.is_empty());
    // Redacted by vote while the server runs (another process's writes).
    let mut p = Publication::open(&f.dir).unwrap();
    let act = |p: &mut Publication, action: Action| {
        let now = T0 + p.state().size();
        let entry = p.sign(&EntryBody { time: now, action }, &f.editor).unwrap();
        let outcome = p.submit(&[entry], T0, &f.log).unwrap();
        assert!(outcome.results[0].is_ok(), "{:?}", outcome.results);
        p.state().size() - 1
    };
    let proposal = act(
        &mut p,
        Action::Propose(Propose {
            title: "Redact".into(),
            closes_at: T0 + 30 * 24 * 3600,
            motion: Motion::Redact {
                target: "first-story".into(),
                reason: "A court order.".into(),
            },
        }),
    );
    act(
        &mut p,
        Action::Vote(Vote {
            proposal,
            ballot: Ballot::Yes,
        }),
    );
    act(
        &mut p,
        Action::Close(Close {
            proposal,
            salts: Vec::new(),
        }),
    );
    assert_eq!(get(addr, &path).status, 404, "a redacted blob is served");
    let r = request(addr, "GET", &path, &[("If-None-Match", &etag)]);
    assert_eq!(r.status, 404, "a redacted blob answers 304");
}

#[test]
fn pages_follow_the_log() {
    let f = fixture();
    let (addr, _stop) = start(&f.dir);
    assert_eq!(get(addr, "/a/late-story/").status, 404);
    // Another process (here: this test) appends while the server runs.
    let mut p = Publication::open(&f.dir).unwrap();
    publish(&mut p, &f, "late-story", "en", "Arrived later.");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if get(addr, "/a/late-story/").status == 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the new article never appeared");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(get(addr, "/checkpoint").text().contains("\n5\n"));
}

// ---------------------------------------------------------------------------
// The API's documents against the shared structs (`erkin_core::api`)

/// Parses a served JSON document as `T` (whose structs refuse unknown
/// fields), and checks that `T` says all of it: written back, it is the
/// same JSON (so no field the server sends is missing from `T` or defaulted).
fn parse_as<T: serde::de::DeserializeOwned + serde::Serialize>(what: &str, r: &Reply) -> T {
    assert_eq!(r.header("content-type"), Some("application/json"), "{what}");
    let doc: T = serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("{what}: not the shared struct: {e}\n{}", r.text()));
    let served: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(serde_json::to_value(&doc).unwrap(), served, "{what}");
    doc
}

/// An API error: its status and code, parsed into the shared error document.
fn api_error(what: &str, r: &Reply, status: u16, code: &str) -> erkin_core::api::ApiError {
    assert_eq!(r.status, status, "{what}: {}", r.text());
    let doc: erkin_core::api::ErrorDocument = parse_as(what, r);
    assert_eq!(doc.error.code, code, "{what}");
    assert!(!doc.error.message.is_empty(), "{what}");
    doc.error
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The fixture with governance: a redaction of `first-story` proposed,
/// voted and closed (an outcome with a typed effect), and a resolution
/// still open.
fn fixture_with_decisions() -> Fixture {
    use erkin_core::action::{Ballot, Close, Motion, Propose, Vote};
    let f = fixture();
    let mut p = Publication::open(&f.dir).unwrap();
    let act = |p: &mut Publication, action: Action| {
        let now = T0 + p.state().size();
        let entry = p.sign(&EntryBody { time: now, action }, &f.editor).unwrap();
        let outcome = p.submit(&[entry], T0, &f.log).unwrap();
        assert!(outcome.results[0].is_ok(), "{:?}", outcome.results);
        p.state().size() - 1
    };
    let propose = |motion| {
        Action::Propose(Propose {
            title: "A motion".into(),
            closes_at: T0 + 30 * 24 * 3600,
            motion,
        })
    };
    let redact = act(
        &mut p,
        propose(Motion::Redact {
            target: "first-story".into(),
            reason: "A court order.".into(),
        }),
    );
    act(
        &mut p,
        Action::Vote(Vote {
            proposal: redact,
            ballot: Ballot::Yes,
        }),
    );
    // Every eligible member voted: it may close before its deadline.
    act(
        &mut p,
        Action::Close(Close {
            proposal: redact,
            salts: Vec::new(),
        }),
    );
    act(
        &mut p,
        propose(Motion::Resolution {
            text: "We thank our readers.".into(),
        }),
    );
    f
}

#[test]
fn every_api_document_parses_into_the_shared_structs() {
    use base64::Engine as _;
    use erkin_core::api::{ArticleDocument, ArticleList, BlobReceipt, EntryReceipt, StateDocument};
    use erkin_core::blob::{upload_text, BlobId};
    use erkin_core::descriptor::Descriptor;
    use erkin_core::governance::Effect;

    let f = fixture_with_decisions();
    let origin = "serve.example/news";
    let options = erkin_server::ServeOptions {
        members: Some(erkin_server::MembersApi {
            log_key: SecretKey::parse(f.log.expose_secret_text()).unwrap(),
            sequencer: erkin_server::SequencerConfig {
                max_delay: Duration::from_millis(5),
                // Small, so a second upload no entry names is refused.
                max_pending: 64,
                ..Default::default()
            },
            limits: erkin_server::ApiLimits {
                per_key_rate: 0.001,
                per_key_burst: 10.0,
                body_timeout: Duration::from_secs(1),
                ..Default::default()
            },
        }),
        ..Default::default()
    };
    let (addr, _stop) = start_with(&f.dir, options);

    // The JSON API and the descriptor.
    let d: Descriptor = parse_as("erkin.json", &get(addr, "/erkin.json"));
    assert_eq!((d.format.as_str(), d.origin.as_str()), ("erkin/1", origin));
    assert_eq!(d.verifier_key, f.log.verifier_key().as_str());
    let list: ArticleList = parse_as("articles", &get(addr, "/api/v1/articles"));
    assert_eq!(list.articles.len(), 2);
    for a in &list.articles {
        let path = format!("/api/v1/articles/{}", a.slug);
        let doc: ArticleDocument = parse_as(&path, &get(addr, &path));
        assert_eq!((&doc.title, &doc.url), (&a.title, &a.url), "{path}");
        assert_eq!(doc.redacted, a.slug == "first-story", "{path}");
    }
    let corrected: ArticleDocument = parse_as("vtoraya", &get(addr, "/api/v1/articles/vtoraya"));
    assert_eq!(corrected.revisions.len(), 2);
    assert!(corrected.revisions[1].correction.is_some());
    let state: StateDocument = parse_as("state", &get(addr, "/api/v1/state"));
    assert_eq!(state.origin, origin);
    assert_eq!(state.members, ["aigerim"]);
    assert_eq!(state.proposals.len(), 2);
    let closed = state.proposals[0].outcome.as_ref().expect("closed");
    assert_eq!(
        closed.effect,
        Effect::Redacted {
            target: "first-story".into()
        }
    );
    assert!(state.proposals[1].outcome.is_none());

    // The members' API: an entry's receipt and a blob's.
    let statement = |key: &SecretKey, time: u64, text: &str| {
        let body = EntryBody {
            time,
            action: Action::Statement(erkin_core::action::Statement { text: text.into() }),
        };
        erkin_core::entry::sign_entry(origin, &body, key).unwrap()
    };
    let post = |path: &str, extra: &[(&str, &str)], body: &[u8]| {
        let len = body.len().to_string();
        let mut headers = vec![("Content-Length", len.as_str())];
        headers.extend_from_slice(extra);
        send(addr, "POST", path, &headers, body)
    };
    let entry = statement(&f.editor, unix_now(), "For the record.");
    let r = post("/api/v1/entries", &[], &entry);
    assert_eq!(r.status, 200, "{}", r.text());
    let receipt: EntryReceipt = parse_as("entry receipt", &r);
    assert_eq!(receipt.leaf_hash, erkin_core::tree::record_hash(&entry));
    assert!(receipt.checkpoint.starts_with(origin));
    let upload = |signer: &SecretKey, id: &BlobId| {
        let note = erkin_core::note::sign_note(&upload_text(origin, id), signer);
        base64::engine::general_purpose::STANDARD.encode(note)
    };
    let small = b"a small picture";
    let r = post(
        "/api/v1/blobs",
        &[("Erkin-Upload", &upload(&f.editor, &BlobId::of(small)))],
        small,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let blob: BlobReceipt = parse_as("blob receipt", &r);
    assert_eq!(blob.id, BlobId::of(small));

    // Every error the API documents that a test can provoke.
    let stranger = SecretKey::generate(&mut rand_core::OsRng, "stranger").unwrap();
    let big = vec![7u8; 100];
    let first_body = "# Heading\n\nSome **text** for compression. ".repeat(40);
    for (what, r, status, code) in [
        (
            "not an entry",
            post("/api/v1/entries", &[], b"hello"),
            400,
            "malformed",
        ),
        (
            "a stranger's entry",
            post(
                "/api/v1/entries",
                &[],
                &statement(&stranger, unix_now(), "let me in"),
            ),
            422,
            "not_a_member",
        ),
        (
            "a replay",
            post("/api/v1/entries", &[], &entry),
            422,
            "duplicate",
        ),
        (
            "an entry from the future",
            post(
                "/api/v1/entries",
                &[],
                &statement(&f.editor, unix_now() + 3600, "tomorrow"),
            ),
            422,
            "clock_skew",
        ),
        (
            "an oversize entry",
            send(
                addr,
                "POST",
                "/api/v1/entries",
                &[("Content-Length", "70000")],
                b"",
            ),
            413,
            "too_large",
        ),
        (
            "a body that stops arriving",
            send(
                addr,
                "POST",
                "/api/v1/entries",
                &[("Content-Length", "100")],
                b"0123456789",
            ),
            408,
            "timeout",
        ),
        (
            "an upload without a member's note",
            post("/api/v1/blobs", &[], small),
            401,
            "unauthorized",
        ),
        (
            "an upload that is not the blob vouched for",
            post(
                "/api/v1/blobs",
                &[("Erkin-Upload", &upload(&f.editor, &BlobId::of(b"other")))],
                small,
            ),
            400,
            "blob_mismatch",
        ),
        (
            "a redacted blob",
            post(
                "/api/v1/blobs",
                &[(
                    "Erkin-Upload",
                    &upload(&f.editor, &BlobId::of(first_body.as_bytes())),
                )],
                first_body.as_bytes(),
            ),
            410,
            "redacted",
        ),
        (
            "more unnamed uploads than the server holds",
            post(
                "/api/v1/blobs",
                &[("Erkin-Upload", &upload(&f.editor, &BlobId::of(&big)))],
                &big,
            ),
            507,
            "pending_full",
        ),
        (
            "a POST elsewhere",
            post("/api/v1/nothing", &[], b""),
            404,
            "not_found",
        ),
    ] {
        api_error(what, &r, status, code);
    }
    // A member over their allowance.
    let limited = (0..20)
        .map(|i| {
            post(
                "/api/v1/entries",
                &[],
                &statement(&f.editor, unix_now(), &format!("statement {i}")),
            )
        })
        .find(|r| r.status != 200)
        .expect("the allowance runs out");
    api_error("over the allowance", &limited, 429, "rate_limited");
    // A server without the members' API.
    let g = fixture();
    let (read_only, _stop_read_only) = start(&g.dir);
    let r = send(
        read_only,
        "POST",
        "/api/v1/entries",
        &[("Content-Length", "0")],
        b"",
    );
    api_error("a read-only server", &r, 405, "read_only");
}
