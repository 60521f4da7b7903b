//! The hostile corpus as real pages in headless Chromium, JavaScript enabled:
//! every payload tries to change the DOM (`document.title`, a `data-` attribute
//! on the body), and the DOM Chromium dumps after the page settles must show
//! that nothing ran.
//!
//! Each hostile page is loaded twice: as rendered, and with the page's CSP
//! meta element cut out, so that the sanitizer alone is shown to hold (the CSP
//! would otherwise block inline script by itself). A control page proves that
//! script does run and would be seen.
//!
//! Needs /usr/bin/chromium; without it the tests are reported as ignored
//! (see `crates/erkin-views/build.rs`), and in CI `ci_installs_chromium` fails.

use crate::common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::*;
use erkin_views::markdown;

const CHROMIUM: &str = "/usr/bin/chromium";
/// How many pages the corpus is spread over, per variant.
const PAGES: usize = 2;
const LAUNCH_LIMIT: Duration = Duration::from_secs(120);

/// In CI the browser tests must run: their absence fails here, where
/// elsewhere they are reported as ignored (see `build.rs`).
#[test]
fn ci_installs_chromium() {
    if std::env::var_os("CI").is_some() && !cfg!(erkin_test_chromium) {
        panic!("{CHROMIUM} is missing and CI is set: the browser tests must run in CI");
    }
}

/// A fresh directory, removed when dropped unless the test failed (then it is
/// kept for a look and its path printed).
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "erkin-views-{tag}-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("kept {} for inspection", self.0.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Loads `page` in headless Chromium with a fresh profile and returns the DOM
/// it dumps once the page has settled (3 s of virtual time).
fn dump_dom(work: &Path, page: &Path) -> String {
    static LAUNCH: AtomicUsize = AtomicUsize::new(0);
    let profile = work.join(format!(
        "profile-{}",
        LAUNCH.fetch_add(1, Ordering::Relaxed)
    ));
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.display()),
            "--virtual-time-budget=3000",
            "--dump-dom",
            &url,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start chromium");
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = pipe(Box::new(child.stdout.take().unwrap()));
    let err = pipe(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for chromium") {
            break s;
        }
        if start.elapsed() > LAUNCH_LIMIT {
            child.kill().expect("stop chromium");
            child.wait().expect("reap chromium");
            panic!("chromium did not finish loading {url} within {LAUNCH_LIMIT:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    // The profile is large and of no use afterwards; the page stays.
    let _ = std::fs::remove_dir_all(&profile);
    let tail: String = {
        let lines: Vec<&str> = err.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    };
    assert!(
        status.success(),
        "chromium failed on {url} ({status}):\n{tail}"
    );
    assert!(
        !out.trim().is_empty(),
        "chromium dumped nothing for {url}:\n{tail}"
    );
    eprintln!("chromium: {url} in {:?}", start.elapsed());
    out
}

/// Nothing ran: the payloads' effects are absent.
fn assert_nothing_ran(what: &str, dom: &str) {
    for mark in ["PWNED", "data-pwned"] {
        assert!(
            !dom.contains(mark),
            "{what}: script ran in Chromium ({mark} is in the DOM):\n{}",
            excerpt(dom, mark)
        );
    }
}

fn excerpt(s: &str, around: &str) -> String {
    let i = s.find(around).unwrap_or(0);
    let mut start = i.saturating_sub(600);
    while !s.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (i + 600).min(s.len());
    while !s.is_char_boundary(end) {
        end += 1;
    }
    s[start..end].to_string()
}

/// The texts of every `p` in a dumped DOM.
fn paragraphs(dom: &str) -> Vec<String> {
    let dom = parse(dom);
    elements(&dom)
        .into_iter()
        .filter(|e| e.name == "p")
        .map(|e| text(&e.handle))
        .collect()
}

fn marker(i: usize) -> String {
    format!("zq-case-{i:03}-start")
}

/// The page HTML without its CSP meta element.
fn without_csp(html: &str) -> String {
    let start = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .expect("the page has a CSP meta element");
    let end = start + html[start..].find('>').unwrap() + 1;
    let out = format!("{}{}", &html[..start], &html[end..]);
    assert!(!out.contains("Content-Security-Policy"));
    out
}

/// Script runs in this Chromium, and the test would see it: the payload's
/// effects appear in the dumped DOM of a page that does run it, from an inline
/// script (the title) and from an event handler (the body attribute).
#[test]
#[cfg_attr(
    not(erkin_test_chromium),
    ignore = "chromium is not installed (apt-get install chromium)"
)]
fn control_page_script_runs_and_is_seen() {
    let work = TempDir::new("chromium-control");
    let page = work.0.join("control.html");
    write(
        &page,
        "<!DOCTYPE html><html><head><title>Control</title></head><body><p>control body</p>\
         <script>document.title='PW'+'NED'</script>\
         <img src=missing.png onerror=\"document.body.setAttribute('data-'+'pwned','1')\">\
         </body></html>"
            .as_bytes(),
    );
    let dom = dump_dom(&work.0, &page);
    assert!(dom.contains("<title>PWNED</title>"), "{dom}");
    assert!(dom.contains("data-pwned=\"1\""), "{dom}");
}

/// The variants every hostile page is loaded in; the sanitizer alone must
/// hold, so the CSP is cut out in the second.
const VARIANTS: [&str; 2] = ["no-csp", "as-rendered"];

/// One hostile page: which cases it carries, in order, and which of them
/// its markers must show.
struct HostilePage {
    variant: &'static str,
    slug: String,
    title: String,
    cases: Vec<usize>,
    expected: Vec<usize>,
}

#[test]
#[cfg_attr(
    not(erkin_test_chromium),
    ignore = "chromium is not installed (apt-get install chromium)"
)]
fn hostile_pages_run_no_script_in_chromium() {
    let cases = corpus();
    // Some cases swallow whatever follows them (an unclosed raw-text element,
    // or an unclosed <math> or <select> whose content the sanitizer drops with
    // it). They go last on a page. A marker paragraph before every case proves
    // that the case reached the browser as markup, not as text swallowed by an
    // earlier case; so only the first swallower on a page is delivered, and
    // the two variants put different swallowers first. Every other case is
    // delivered in both variants.
    let swallows = |md: &str| {
        let (html, _) = markdown::render(&format!("{md}\n\n<p>zq-probe</p>\n\n"), "../../");
        !paragraphs(&html).iter().any(|p| p == "zq-probe")
    };
    let (mut last, rest): (Vec<usize>, Vec<usize>) =
        (0..cases.len()).partition(|&i| swallows(&cases[i].md));
    let mut pages = Vec::new();
    for variant in VARIANTS {
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); PAGES];
        for (k, &i) in rest.iter().enumerate() {
            groups[k % PAGES].push(i);
        }
        for (k, &i) in last.iter().enumerate() {
            groups[k % PAGES].push(i);
        }
        let turn = PAGES.min(last.len());
        last.rotate_left(turn);
        for (n, g) in groups.into_iter().enumerate() {
            let expected = g
                .iter()
                .enumerate()
                .take_while(|&(pos, _)| pos == 0 || !last.contains(&g[pos - 1]))
                .map(|(_, &i)| i)
                .collect();
            pages.push(HostilePage {
                variant,
                slug: format!("hostile-{variant}-{n}"),
                title: format!(
                    "Hostile page {variant} {n} </script><script>{JS}</script> <b onmouseover=\"{JS}\">b</b>"
                ),
                cases: g,
                expected,
            });
        }
    }
    let undelivered: Vec<&str> = (0..cases.len())
        .filter(|i| !pages.iter().any(|p| p.expected.contains(i)))
        .map(|i| cases[i].name)
        .collect();
    assert!(
        undelivered.is_empty(),
        "no page delivers these cases as markup (more swallowers than pages × variants): \
         {undelivered:?}"
    );

    let mut f = Fixture::new("Erkin Habar");
    for p in &pages {
        let body: String = p
            .cases
            .iter()
            .map(|&i| format!("<p>{}</p>\n\n{}\n\n", marker(i), cases[i].md))
            .collect();
        let mut a = Article::new(&p.slug, &p.title, body.as_bytes());
        a.summary = "<img src=x onerror=\"document.title='PW'+'NED'\">";
        f.publish(a);
    }
    let files = f.render();

    let work = TempDir::new("chromium-hostile");
    let style = files.iter().find(|f| f.path == "style.css").unwrap();
    for variant in VARIANTS {
        write(&work.0.join(variant).join("style.css"), &style.bytes);
    }
    for p in &pages {
        let html = page(&files, &p.slug);
        let html = match p.variant {
            "no-csp" => without_csp(html),
            _ => html.to_string(),
        };
        let path = work.0.join(p.variant).join(article_path(&p.slug));
        write(&path, html.as_bytes());
        let dom = dump_dom(&work.0, &path);
        assert_nothing_ran(&p.slug, &dom);

        // The page really loaded: its title, and the cases' markers as
        // paragraphs of their own.
        let title = text(&first(&parse(&dom), "title").expect("a title"));
        assert_eq!(title, format!("{} — Erkin Habar", p.title), "{}", p.slug);
        let ps = paragraphs(&dom);
        let missing: Vec<&str> = p
            .expected
            .iter()
            .filter(|&&i| !ps.contains(&marker(i)))
            .map(|&i| cases[i].name)
            .collect();
        assert!(
            missing.is_empty(),
            "{}: these cases did not reach the browser as markup: {missing:?}",
            p.slug
        );
    }
    eprintln!(
        "chromium: {} hostile cases on {} pages ({} swallowing what follows them), \
         with and without CSP: nothing ran",
        cases.len(),
        pages.len(),
        last.len()
    );
}

/// Hostile metadata (title, summary, byline, correction note) on a real page:
/// nothing runs, and the article is still there for the reader to read.
#[test]
#[cfg_attr(
    not(erkin_test_chromium),
    ignore = "chromium is not installed (apt-get install chromium)"
)]
fn hostile_metadata_runs_no_script_and_hides_nothing_in_chromium() {
    let mut f = Fixture::new("Erkin Habar");
    let title = format!("Metadata page </script><script>{JS}</script>");
    let hostile = "<!--<script>document.title='PW'+'NED'</script>";
    let mut a = Article::new(
        "metadata",
        &title,
        b"The article body the reader came for.\n\nzq-body-canary",
    );
    a.summary = hostile;
    a.bylines = vec![hostile.into()];
    f.publish(a);
    let files = f.render();
    let work = TempDir::new("chromium-metadata");
    let style = files.iter().find(|f| f.path == "style.css").unwrap();
    write(&work.0.join("style.css"), &style.bytes);
    let path = work.0.join(article_path("metadata"));
    write(&path, page(&files, "metadata").as_bytes());

    let dom = dump_dom(&work.0, &path);
    assert_nothing_ran("metadata page", &dom);
    let shown = text(&first(&parse(&dom), "title").expect("a title"));
    assert_eq!(shown, format!("{title} — Erkin Habar"));
    assert!(
        paragraphs(&dom).iter().any(|p| p == "zq-body-canary"),
        "the article body is not on the page Chromium shows: `<!--<script>` in the \
         summary or a byline turns the rest of the page into JSON-LD script text"
    );
}
