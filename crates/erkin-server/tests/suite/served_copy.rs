//! Pages served from the served copy (`DIR/site/`, written by the export)
//! through a page cache bounded by bytes; JSON documents made from the
//! state as asked for; what a start renders and what it does not.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use erkin_server::{ServeOptions, ServeStats, SITE_DIR};
use erkin_store::Publication;
use erkin_testkit::request;

use crate::http::{fixture, get, publish, start_with};

/// Options with counters the test keeps a handle on.
fn counted() -> (ServeOptions, Arc<ServeStats>) {
    let stats = Arc::new(ServeStats::default());
    let options = ServeOptions {
        stats: stats.clone(),
        ..ServeOptions::default()
    };
    (options, stats)
}

/// Waits (a guard against a hang, not a measurement) until `done`.
fn until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "waited a minute for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn renders(stats: &ServeStats) -> u64 {
    stats.renders.load(Ordering::Acquire)
}

/// Every site file of an exported folder (not the log, blobs, checkpoint
/// or the export's own hidden files), as layout paths.
fn site_files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let path = e.path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            if rel.split('/').any(|p| p.starts_with('.')) {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                if rel != "tile" && rel != "blob" {
                    walk(root, &path, out);
                }
            } else if rel != "checkpoint" {
                out.push(rel);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

/// Starts a server; stopping it with [`Running::stop`] returns once its
/// runtime is gone (no render of it can still be running).
struct Running {
    addr: SocketAddr,
    stop: crate::http::Stop,
}

impl Running {
    fn stop(self) {
        // Stop's drop ends the server and joins its thread.
        drop(self.stop);
    }
}

fn run(dir: &Path, options: ServeOptions) -> Running {
    let (addr, stop) = crate::http::start_with(dir, options);
    Running { addr, stop }
}

fn site_of(dir: &Path) -> PathBuf {
    dir.join(SITE_DIR)
}

#[test]
fn pages_are_served_from_the_copy_with_the_exports_bytes() {
    let f = fixture();
    let (options, stats) = counted();
    let (addr, _stop) = start_with(&f.dir, options);
    assert_eq!(get(addr, "/").status, 200);
    assert_eq!(renders(&stats), 1, "an empty copy is rendered once");
    // The export, run here into a folder of its own, gives the same files.
    let own = tempfile::tempdir().unwrap();
    erkin_export::export(&Publication::open(&f.dir).unwrap(), own.path()).unwrap();
    let files = site_files(own.path());
    assert_eq!(files, site_files(&site_of(&f.dir)));
    assert!(files.len() > 20, "{files:?}");
    for path in &files {
        let want = std::fs::read(own.path().join(path)).unwrap();
        let r = get(addr, &format!("/{path}"));
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.body, want, "{path}");
        // Served again, from the cache, the same.
        let again = get(addr, &format!("/{path}"));
        assert_eq!(again.body, want, "{path}");
        assert_eq!(again.header("etag"), r.header("etag"), "{path}");
    }
    assert_eq!(renders(&stats), 1, "serving renders nothing");
}

#[test]
fn a_page_a_new_entry_changes_is_served_new_and_an_unchanged_one_keeps_its_etag() {
    let f = fixture();
    let (options, stats) = counted();
    let (addr, _stop) = start_with(&f.dir, options);
    let front = get(addr, "/");
    assert_eq!(front.status, 200);
    let front_tag = front.header("etag").unwrap().to_string();
    // Kept in the cache (asked twice), then changed on disk by a render.
    assert_eq!(get(addr, "/").header("etag").unwrap(), front_tag);
    let style = get(addr, "/style.css");
    let style_tag = style.header("etag").unwrap().to_string();
    let list = get(addr, "/api/v1/articles");
    assert!(!list.text().contains("third-story"));
    assert_eq!(get(addr, "/a/third-story/").status, 404);
    let before = renders(&stats);
    {
        let mut p = Publication::open(&f.dir).unwrap();
        publish(&mut p, &f, "third-story", "en", "A third story.");
    }
    until("the re-render", || renders(&stats) > before);
    let fresh = get(addr, "/");
    assert_ne!(
        fresh.header("etag").unwrap(),
        front_tag,
        "a stale front page"
    );
    assert!(fresh.text().contains("Title of third-story"));
    assert_eq!(
        fresh.body,
        std::fs::read(site_of(&f.dir).join("index.html")).unwrap()
    );
    // A conditional request with the old tag gets the new page.
    let r = request(addr, "GET", "/", &[("If-None-Match", &front_tag)]);
    assert_eq!(r.status, 200);
    assert_eq!(get(addr, "/a/third-story/").status, 200);
    assert!(get(addr, "/api/v1/articles").text().contains("third-story"));
    assert_eq!(get(addr, "/api/v1/articles/third-story").status, 200);
    // A file the render left alone is still the same response.
    let r = request(addr, "GET", "/style.css", &[("If-None-Match", &style_tag)]);
    assert_eq!(r.status, 304);
}

#[test]
fn a_start_on_a_current_copy_renders_nothing_and_on_an_older_one_serves_it_meanwhile() {
    let f = fixture();
    let (options, stats) = counted();
    let server = run(&f.dir, options);
    assert_eq!(get(server.addr, "/").status, 200);
    assert_eq!(renders(&stats), 1);
    server.stop();
    // The same copy, current: nothing rendered, pages at once.
    let (options, stats) = counted();
    let server = run(&f.dir, options);
    let r = get(server.addr, "/a/first-story/");
    assert_eq!(r.status, 200);
    assert!(r.text().contains("<strong>text</strong>"));
    assert_eq!(renders(&stats), 0, "a current copy was rendered again");
    assert_eq!(stats.files_written.load(Ordering::Acquire), 0);
    server.stop();
    // The log grew while no server ran: the older copy is served while
    // the render (held here) has not run.
    {
        let mut p = Publication::open(&f.dir).unwrap();
        publish(&mut p, &f, "late-story", "en", "Published while down.");
    }
    let (gate_tx, gate) = std::sync::mpsc::channel();
    let (mut options, stats) = counted();
    options.render_gate = Some(gate);
    let (addr, _stop) = start_with(&f.dir, options);
    let old = get(addr, "/");
    assert_eq!(old.status, 200, "an older copy is served, not 503");
    assert!(!old.text().contains("Title of late-story"));
    // The JSON documents are the log's as it is.
    assert!(get(addr, "/api/v1/articles").text().contains("late-story"));
    assert_eq!(renders(&stats), 0);
    gate_tx.send(()).unwrap();
    until("the render", || renders(&stats) == 1);
    assert!(get(addr, "/").text().contains("Title of late-story"));
    // The JSON documents are still made from the state the render read
    // (shared with it, not a copy), after the render as during it.
    assert!(get(addr, "/api/v1/articles").text().contains("late-story"));
    assert_eq!(get(addr, "/api/v1/state").status, 200);
}

#[test]
fn pages_wait_for_the_first_render_then_get_503_with_retry_after() {
    let f = fixture();
    let (gate_tx, gate) = std::sync::mpsc::channel::<()>();
    let (mut options, stats) = counted();
    options.render_gate = Some(gate);
    options.first_render_wait = Some(Duration::from_millis(50));
    let (addr, _stop) = start_with(&f.dir, options);
    for path in ["/", "/a/first-story/", "/nope"] {
        let r = get(addr, path);
        assert_eq!(r.status, 503, "{path}");
        assert_eq!(r.header("retry-after"), Some("5"), "{path}");
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
        let text = r.text();
        assert!(text.contains("Сайт дайындалып жатыр"), "{text}");
        assert!(text.contains("Сайт готовится") && text.contains("being prepared"));
    }
    // What does not come from the copy is served meanwhile.
    assert_eq!(get(addr, "/api/v1/state").status, 200);
    assert_eq!(get(addr, "/checkpoint").status, 200);
    assert_eq!(renders(&stats), 0);
    drop(gate_tx);
    until("the first render", || get(addr, "/").status == 200);
    assert_eq!(renders(&stats), 1);
    assert_eq!(get(addr, "/nope").status, 404);
}

#[test]
fn the_page_cache_never_holds_more_than_its_bound() {
    let f = fixture();
    let (mut options, stats) = counted();
    let bound = 24 * 1024;
    options.page_cache_bytes = Some(bound);
    let (addr, _stop) = start_with(&f.dir, options);
    assert_eq!(get(addr, "/").status, 200);
    let files = site_files(&site_of(&f.dir));
    let total: u64 = files
        .iter()
        .map(|p| std::fs::metadata(site_of(&f.dir).join(p)).unwrap().len())
        .sum();
    assert!(total > 4 * bound as u64, "the site must not fit: {total}");
    for _ in 0..2 {
        for path in &files {
            assert_eq!(get(addr, &format!("/{path}")).status, 200, "{path}");
            let held = stats.cache_held.load(Ordering::Acquire);
            assert!(held <= bound as u64, "{path}: {held}");
        }
    }
    assert!(stats.cache_peak.load(Ordering::Acquire) <= bound as u64);
    assert!(stats.cache_held.load(Ordering::Acquire) > 0, "nothing kept");
    assert_eq!(stats.cache_capacity.load(Ordering::Acquire), bound as u64);
}

#[test]
fn odd_paths_are_refused_and_nothing_outside_the_copy_is_served() {
    let f = fixture();
    let (addr, _stop) = start_with(&f.dir, ServeOptions::default());
    assert_eq!(get(addr, "/").status, 200);
    let site = site_of(&f.dir);
    // Placed in the copy by someone else: links out, a FIFO, hidden files.
    std::os::unix::fs::symlink("/etc", site.join("etc")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", site.join("host.html")).unwrap();
    std::os::unix::fs::symlink(site.join("a"), site.join("linked")).unwrap();
    let fifo = site.join("pipe.html");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::write(site.join("a/.secret"), b"no").unwrap();
    for (path, status) in [
        ("/a/../../etc/passwd", 400),
        ("/a/%2e%2e/x", 400),
        ("/a//first-story/", 400),
        ("//etc/hostname", 400),
        ("/a/first-story/./", 400),
        ("/a/first%2Dstory/", 400),
        ("/a\\first-story/", 400),
        (&format!("/{}", "x/".repeat(600)), 400),
        ("/etc/hostname", 404),
        ("/host.html", 404),
        ("/linked/first-story/", 404),
        ("/pipe.html", 404),
        ("/.erkin-files", 404),
        ("/a/.secret", 404),
        ("/a/first-story/.index.html.tmp", 404),
    ] {
        let r = get(addr, path);
        assert_eq!(r.status, status, "{path}: {}", r.text());
    }
    // And the server still serves.
    assert_eq!(get(addr, "/a/first-story/").status, 200);
}

#[test]
fn json_documents_are_the_views_documents_byte_for_byte() {
    let f = fixture();
    let (addr, _stop) = start_with(&f.dir, ServeOptions::default());
    let p = Publication::open(&f.dir).unwrap();
    let docs = erkin_views::api::documents(p.state());
    assert!(docs.len() >= 4);
    for doc in docs {
        let r = get(addr, &format!("/{}", doc.path));
        assert_eq!(r.status, 200, "{}", doc.path);
        assert_eq!(r.body, doc.bytes, "{}", doc.path);
    }
    assert_eq!(get(addr, "/api/v1/articles/missing").status, 404);
    assert_eq!(get(addr, "/api/v1/articles/first-story/x").status, 404);
}

#[test]
fn the_article_list_is_streamed_with_the_views_bytes_over_several_batches() {
    use erkin_core::action::{Action, Publish};
    use erkin_core::entry::EntryBody;
    let f = fixture();
    {
        let mut p = Publication::open(&f.dir).unwrap();
        let mut entries = Vec::new();
        for n in 0..600 {
            let id = p
                .put_blob(format!("Body {n}.").as_bytes(), 1 << 20)
                .unwrap();
            let action = Action::Publish(Publish {
                slug: format!("many-{n:04}"),
                lang: "kk".into(),
                title: format!("Title \"{n}\""),
                summary: format!("Summary {n}"),
                authors: vec!["aigerim".into()],
                bylines: vec![],
                tags: vec![],
                body: id.to_string(),
                media: vec![],
                translation_of: None,
                first_published: None,
            });
            let now = crate::http::T0 + p.state().size();
            entries.push(p.sign(&EntryBody { time: now, action }, &f.editor).unwrap());
        }
        let outcome = p.submit(&entries, crate::http::T0, &f.log).unwrap();
        assert!(outcome.results.iter().all(|r| r.is_ok()));
    }
    let (addr, _stop) = start_with(&f.dir, ServeOptions::default());
    let p = Publication::open(&f.dir).unwrap();
    let want = erkin_views::api::documents(p.state())
        .into_iter()
        .find(|d| d.path == erkin_core::api::ARTICLES_PATH)
        .unwrap();
    let r = get(addr, "/api/v1/articles");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(want.bytes.len() > 100_000, "{}", want.bytes.len());
    assert_eq!(r.text(), String::from_utf8(want.bytes).unwrap());
    // Its ETag names the log size: asked again, 304; HEAD has no body.
    let etag = r.header("etag").unwrap().to_string();
    assert!(
        etag.contains(&format!("articles-{}", p.state().size())),
        "{etag}"
    );
    let again = request(addr, "GET", "/api/v1/articles", &[("If-None-Match", &etag)]);
    assert_eq!(again.status, 304);
    let head = request(addr, "HEAD", "/api/v1/articles", &[]);
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
}

/// A large file of the copy (an article with a long body) asked for by
/// many readers at once is read and prepared (compressed) once, not once
/// per reader: concurrent first readers of a compressible 8 MiB file took
/// 1.6 GB before. Larger than the page cache takes, it is still shared.
#[test]
fn a_large_page_asked_for_at_once_is_read_once() {
    let f = fixture();
    for cache_mib in [64usize, 1] {
        let (mut options, stats) = counted();
        options.page_cache_bytes = Some(cache_mib << 20);
        let (addr, _stop) = start_with(&f.dir, options);
        assert_eq!(get(addr, "/").status, 200);
        let page: Vec<u8> = "<p>Длинная статья, long article. </p>\n"
            .repeat(8 << 20 >> 5)
            .into_bytes();
        assert!(page.len() as u64 > erkin_server::LARGE_PAGE);
        let name = format!("long-{cache_mib}.html");
        std::fs::write(site_of(&f.dir).join(&name), &page).unwrap();
        let before = stats.pages_read.load(Ordering::Acquire);
        let readers: Vec<_> = (0..16)
            .map(|_| {
                let path = format!("/{name}");
                std::thread::spawn(move || {
                    request(addr, "GET", &path, &[("Accept-Encoding", "gzip")])
                })
            })
            .collect();
        let mut gzipped = None;
        for r in readers {
            let r = r.join().unwrap();
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-encoding"), Some("gzip"));
            match &gzipped {
                None => gzipped = Some(r.body),
                Some(first) => assert_eq!(&r.body, first, "every reader gets the same bytes"),
            }
        }
        let mut plain = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::GzDecoder::new(&gzipped.unwrap()[..]),
            &mut plain,
        )
        .unwrap();
        assert_eq!(plain, page);
        assert_eq!(
            stats.pages_read.load(Ordering::Acquire) - before,
            1,
            "read and prepared once for 16 readers (cache {cache_mib} MiB)"
        );
    }
}
