//! A hostile corpus through the renderer: every case as Markdown alone
//! (`markdown::render`) and as a whole article page (`render_site`), checked
//! structurally by parsing the output with html5ever and walking every
//! element. Readers must never run script, be tracked, or load anything from a
//! third party, whatever an article's body, title or notes contain.
//!
//! And the coop page in Kazakh and Russian: no English governance text
//! (effects, motions, rules, tallies) reaches it.

use crate::common;

use std::io::Read;
use std::panic::catch_unwind;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use erkin_views::markdown;

const ROOT: &str = "../../";

/// A publication name that is itself hostile (but well-formed enough not to
/// hide anything else): it appears on every page, in titles and in JSON-LD.
fn hostile_name() -> String {
    "Erkin <b onmouseover=\"alert(1)\">Habar</b> </script><script>alert(1)</script>".into()
}

fn slug(i: usize) -> String {
    format!("case-{i:03}")
}

#[test]
fn the_corpus_is_large_and_named_uniquely() {
    let cases = corpus();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate case names");
    eprintln!("hostile corpus: {} cases", cases.len());
}

/// The checks themselves catch what they are meant to catch, so a pass below
/// means something.
#[test]
fn the_checks_catch_known_bad_html() {
    let bad = [
        ("<script>x</script>", "forbidden element <script>"),
        (
            "<svg><a xlink:href='javascript:x'>a</a></svg>",
            "javascript: URL",
        ),
        ("<a href=\"jav&#x09;ascript:x\">a</a>", "javascript: URL"),
        ("<a href=\" &#1;JaVaScRiPt:x\">a</a>", "javascript: URL"),
        ("<a href=\"data:text/html,x\">a</a>", "data: URL"),
        ("<img src=x onerror=y>", "event handler"),
        ("<p style=\"color:red\">p</p>", "style="),
        (
            "<img src=\"https://t.example/p.gif\">",
            "loads from another host",
        ),
        ("<img src=\"//t.example/p.gif\">", "loads from another host"),
        (
            "<img src=\"\\\\t.example/p.gif\">",
            "loads from another host",
        ),
        (
            "<img src=\"/&#9;/t.example/p.gif\">",
            "loads from another host",
        ),
        (
            "<img src=a.png srcset=\"b.png 1x, //t.example/c 2x\">",
            "loads from another host",
        ),
        (
            "<meta http-equiv=refresh content=0>",
            "forbidden element <meta>",
        ),
        ("<form><input></form>", "forbidden element <form>"),
        ("<span>s</span>", "unexpected element <span>"),
    ];
    for (html, expected) in bad {
        let v = check_body_html("control", html);
        assert!(
            v.iter().any(|m| m.contains(expected)),
            "{html:?} should be reported as {expected:?}; got {v:?}"
        );
    }
    for good in [
        "<p><a href=\"https://example.org/\" rel=\"noopener\">a</a></p>",
        "<img src=\"../../media/ab.png\" alt=\"a\">",
        "<img src=\"pic.png\">",
        "<img src=\"\">",
    ] {
        assert_eq!(
            check_body_html("control", good),
            Vec::<String>::new(),
            "{good}"
        );
    }

    let page = "<!DOCTYPE html><html><head><title>t</title>\
        <script type=\"application/ld+json\">{\"a\":1}</script></head><body>\
        <p>x</p><script>y</script><meta http-equiv=refresh content=0></body></html>";
    let (_, v) = check_page("control", page, true);
    let all = v.join("\n");
    for expected in [
        "script element",
        "2 script elements",
        "<meta> outside head",
        "no <meta http-equiv=\"Content-Security-Policy\">",
    ] {
        assert!(all.contains(expected), "expected {expected:?} in:\n{all}");
    }
    let broken = "<!DOCTYPE html><html><head>\
        <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'\">\
        <script type=\"application/ld+json\">{\"a\":</script></head><body></body></html>";
    let (_, v) = check_page("control", broken, true);
    assert!(v.iter().any(|m| m.contains("not JSON")), "{v:?}");
}

#[test]
fn markdown_output_is_safe_for_every_case() {
    let mut violations = Vec::new();
    for c in corpus() {
        let label = format!("markdown {:?}", c.name);
        match catch_unwind(|| markdown::render(&c.md, ROOT)) {
            Ok((html, _)) => violations.extend(check_body_html(&label, &html)),
            Err(_) => violations.push(format!("{label}: render panicked")),
        }
    }
    fail_if_any("in markdown::render output", &violations);
}

#[test]
fn article_pages_are_safe_for_every_case() {
    let cases = corpus();
    let mut f = Fixture::new(&hostile_name());
    let slugs: Vec<String> = (0..cases.len()).map(slug).collect();
    let titles: Vec<String> = cases
        .iter()
        .map(|c| {
            format!(
                "{} <b onmouseover=\"{JS}\">x</b> </script><script>{JS}</script>",
                c.name
            )
        })
        .collect();
    for (i, c) in cases.iter().enumerate() {
        let mut a = Article::new(&slugs[i], &titles[i], c.md.as_bytes());
        a.summary = "</script><img src=x onerror=alert(1)>";
        a.bylines = vec![format!("<img src=x onerror=\"{JS}\">")];
        f.publish(a);
    }
    let files = f.render();

    let mut violations = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let label = format!("page {} {:?}", slugs[i], c.name);
        let (facts, v) = check_page(&label, page(&files, &slugs[i]), true);
        violations.extend(v);
        // Not vacuous: the body is on the page, where it belongs, and the
        // metadata went through JSON intact.
        if article_body(&facts.dom).is_none() {
            violations.push(format!("{label}: no div.body on the page"));
        }
        match facts.json_ld {
            Some(j) if j["headline"] == titles[i].as_str() => {}
            Some(j) => violations.push(format!(
                "{label}: JSON-LD headline {:?} is not the title",
                j["headline"]
            )),
            None => {}
        }
    }
    // Every other page that lists or names these articles.
    let mut others = 0;
    for file in &files {
        if !file.path.ends_with(".html") || slugs.iter().any(|s| file.path == article_path(s)) {
            continue;
        }
        others += 1;
        let html = std::str::from_utf8(&file.bytes).unwrap();
        let (_, v) = check_page(&file.path, html, false);
        violations.extend(v);
    }
    // The front pages (root and one per language), coop, mirrors, a tag
    // and an author page at least. (History pages exist only for corrected
    // articles; those are checked in the metadata tests.)
    assert!(others >= 8, "history pages and listings: {others}");
    // The feeds escape as XML; no markup from a title reaches them raw.
    for file in files.iter().filter(|f| f.path.ends_with(".atom")) {
        let xml = std::str::from_utf8(&file.bytes).unwrap();
        for raw in ["<script", "<b ", "<img"] {
            if xml.contains(raw) {
                violations.push(format!("{}: contains raw {raw:?}", file.path));
            }
        }
    }
    fail_if_any("in rendered pages", &violations);
}

#[test]
fn markup_in_a_title_is_escaped_text() {
    let title = format!("Tariffs <b onmouseover=\"{JS}\">up</b> & \"down\"");
    let mut f = Fixture::new("Erkin Habar");
    f.publish(Article::new("tariffs", &title, b"Body."));
    let files = f.render();
    let html = page(&files, "tariffs");
    let (facts, v) = check_page("tariffs", html, true);
    fail_if_any("on the page", &v);

    let doc_title = text(&first(&facts.dom, "title").expect("a title"));
    assert_eq!(doc_title, format!("{title} — Erkin Habar"));
    let h1 = first(&facts.dom, "h1").expect("an h1");
    assert_eq!(text(&h1), title, "the h1 shows the title as text");
    assert!(
        h1.children
            .borrow()
            .iter()
            .all(|c| !matches!(c.data, markup5ever_rcdom::NodeData::Element { .. })),
        "the title made elements inside the h1"
    );
    assert_eq!(facts.json_ld.unwrap()["headline"], title.as_str());
    // Escaped wherever it is shown; raw at most inside the (inert) JSON-LD.
    assert!(
        html.contains("<h1 dir=\"auto\">Tariffs &lt;b onmouseover=&quot;"),
        "{html}"
    );
    let open = html.find("<script type=\"application/ld+json\">").unwrap();
    let close = open + html[open..].find("</script>").unwrap();
    let outside = format!("{}{}", &html[..open], &html[close..]);
    assert!(!outside.contains("<b onmouseover"), "{outside}");
}

/// Publishes one article per variant, each with the variant as title, summary,
/// byline and correction note, and checks every page of the site. Returns the
/// violations.
fn metadata_violations(variants: &[&str]) -> Vec<String> {
    let mut f = Fixture::new("Erkin Habar");
    for (i, v) in variants.iter().enumerate() {
        let s = format!("meta-{i}");
        let title = format!("T{i} {v}");
        let mut a = Article::new(&s, &title, b"First text.");
        a.summary = v;
        a.bylines = vec![v.to_string()];
        f.publish(a);
        f.correct(&s, &title, v, b"Second text.", v, true);
        f.correct(&s, &title, v, b"Third text.", v, false);
    }
    let files = f.render();
    let mut out = Vec::new();
    for (i, v) in variants.iter().enumerate() {
        let s = format!("meta-{i}");
        let label = format!("{s} {v:?}");
        let (facts, errs) = check_page(&label, page(&files, &s), true);
        out.extend(errs);
        if article_body(&facts.dom).is_none() {
            out.push(format!("{label}: the article body is not on the page"));
        }
        if let Some(j) = facts.json_ld {
            let title = format!("T{i} {v}");
            if j["headline"] != title.as_str() || j["description"] != *v {
                out.push(format!("{label}: JSON-LD does not round-trip: {j}"));
            }
            if j["author"][1]["name"] != *v || j["correction"][0]["text"] != *v {
                out.push(format!("{label}: JSON-LD byline or note altered: {j}"));
            }
        }
        let h = format!("a/{s}/history/index.html");
        let hist = files.iter().find(|f| f.path == h).expect("history page");
        let (_, errs) = check_page(&h, std::str::from_utf8(&hist.bytes).unwrap(), false);
        out.extend(errs);
    }
    for file in files.iter().filter(|f| f.path.ends_with(".html")) {
        if !file.path.starts_with("a/") {
            let (_, errs) =
                check_page(&file.path, std::str::from_utf8(&file.bytes).unwrap(), false);
            out.extend(errs);
        }
    }
    out
}

#[test]
fn json_ld_stays_json_when_metadata_closes_the_script() {
    let v = metadata_violations(&[
        "</script><script>document.title='PW'+'NED'</script>",
        "</SCRIPT ><script>alert(1)</script>",
        "</script\t><img src=x onerror=alert(1)>",
        "<\\/script> \\u003c/script> ]]> --> -->",
        "&lt;/script&gt; & \"quotes\" 'single' \u{2028}\u{2029}",
        "<b onmouseover=\"alert(1)\">bold</b>",
    ]);
    fail_if_any("with script closers in metadata", &v);
}

/// `<!--<script>` in a title, summary, byline or correction note puts the
/// HTML tokenizer into the "script data double escaped" state inside the
/// JSON-LD element, so the real `</script>` no longer ends it: the rest of the
/// page (the whole article) becomes script text. `</` is escaped in the
/// JSON-LD, `<!--` is not.
#[test]
fn json_ld_stays_json_when_metadata_opens_a_comment() {
    let v = metadata_violations(&["<!--<script>", "x <!--<SCRIPT x", "<!--<script/"]);
    fail_if_any("with <!--<script> in metadata", &v);
}

#[test]
fn look_alike_and_bidi_link_text_stays_text() {
    let texts = [
        "\u{202E}gpj.exe",
        "\u{200F}\u{202B}x\u{202C}",
        "раураl.com",
        "ｊａｖａｓｃｒｉｐｔ:alert(1)",
        "\u{2066}admin\u{2069}\u{200B}",
    ];
    for t in texts {
        let md = format!("[{t}](https://example.org/)");
        let (html, _) = markdown::render(&md, ROOT);
        assert_eq!(check_body_html(t, &html), Vec::<String>::new());
        let dom = parse(&html);
        let els = elements(&dom);
        let a = els.iter().find(|e| e.name == "a").expect("a link");
        assert_eq!(text(&a.handle), t, "link text kept exactly");
        assert_eq!(a.attr("href"), Some("https://example.org/"));
        assert!(a.attr("rel").unwrap_or("").contains("noreferrer"));
    }
}

/// Positive controls: what should survive does.
#[test]
fn safe_markdown_still_renders() {
    let md = format!(
        "## Head\n\n![own](blob:{HEX}.png) ![rel](pic.png) ![far](https://t.example/p.gif)\n\n\
         [link](https://example.org/x) [mail](mailto:a@example.org)\n\n| a |\n|:-|\n| 1 |\n\nn[^1]\n\n[^1]: note\n"
    );
    let (html, media) = markdown::render(&md, ROOT);
    assert_eq!(check_body_html("safe", &html), Vec::<String>::new());
    let dom = parse(&html);
    let els = elements(&dom);
    let srcs: Vec<&str> = els
        .iter()
        .filter(|e| e.name == "img")
        .filter_map(|e| e.attr("src"))
        .collect();
    // Only the copy's own media keep a source: a bare relative `pic.png` (not
    // imported through `erkin import`, so not in the copy) is dropped too.
    assert_eq!(srcs, [format!("../../media/{HEX}.png").as_str()]);
    assert_eq!(media.len(), 1);
    let hrefs: Vec<&str> = els
        .iter()
        .filter(|e| e.name == "a")
        .filter_map(|e| e.attr("href"))
        .collect();
    for h in [
        "https://t.example/p.gif",
        "https://example.org/x",
        "mailto:a@example.org",
    ] {
        assert!(hrefs.contains(&h), "{h} missing from {hrefs:?}");
    }
    assert!(els.iter().any(|e| e.name == "table"));
    assert!(els.iter().any(|e| e.name == "sup"));
}

// ---------------------------------------------------------------------------
// Huge inputs: each must finish without panicking. Each runs in a child
// process (this test binary, running `huge_input_worker`) so a case that never
// finishes can be stopped: the bound is a liveness bound, not a performance
// assertion — linear inputs of 5 MB render here in a few seconds.

fn huge_input(name: &str) -> String {
    match name {
        "blockquotes-5mb" => ">".repeat(5_000_000),
        "nested-lists-200k" => "1. ".repeat(200_000) + "deep",
        "raw-divs-5mb" => "<div>".repeat(1_000_000),
        "brackets-100k" => "[".repeat(100_000),
        "brackets-5mb" => "[".repeat(5_000_000),
        "link-openers-100k" => "[a](".repeat(100_000),
        "emphasis-100k" => format!("{}a{}", "*".repeat(100_000), "*".repeat(100_000)),
        "text-5mb" => format!(
            "Para <b>b</b> [l](https://example.org/) ![i](blob:{HEX}.png) `c` *e* <img src=x onerror=\"{JS}\">\n\n"
        )
        .repeat(22_000),
        "table-5mb" => format!("|a|b|\n|-|-|\n{}", "|<script>x</script>|![i](//t.example/p)|\n".repeat(120_000)),
        "character-references-1mb" => "&#".repeat(500_000),
        other => panic!("no huge input {other:?}"),
    }
}

fn huge_timeout() -> Duration {
    let secs = std::env::var("ERKIN_HUGE_INPUT_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}

/// Run by the tests below in a child process; does nothing when run directly.
#[test]
#[ignore = "worker for the huge-input tests, which run it in a child process"]
fn huge_input_worker() {
    let Ok(name) = std::env::var("ERKIN_HUGE_CASE") else {
        return;
    };
    let md = huge_input(&name);
    let t = Instant::now();
    let (html, _) = markdown::render(&md, ROOT);
    eprintln!(
        "{name}: markdown::render {} -> {} bytes in {:?}",
        md.len(),
        html.len(),
        t.elapsed()
    );
    fail_if_any("in huge markdown output", &check_body_html(&name, &html));
    let mut f = Fixture::new("Erkin Habar");
    f.publish(Article::new("huge", "Huge", md.as_bytes()));
    let files = f.render();
    let (facts, v) = check_page(&name, page(&files, "huge"), true);
    fail_if_any("on the huge page", &v);
    assert!(article_body(&facts.dom).is_some());
    eprintln!("{name}: page checked after {:?}", t.elapsed());
    println!("HUGE-DONE {name}");
}

fn run_huge(name: &str) {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args([
            "hostile::huge_input_worker",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("ERKIN_HUGE_CASE", name)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn worker");
    let pipe = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = r.read_to_string(&mut s);
            s
        })
    };
    let out = pipe(Box::new(child.stdout.take().unwrap()));
    let err = pipe(Box::new(child.stderr.take().unwrap()));
    let limit = huge_timeout();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break Some(s);
        }
        if start.elapsed() > limit {
            child.kill().expect("kill worker");
            child.wait().expect("reap worker");
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let (out, err) = (out.join().unwrap(), err.join().unwrap());
    match status {
        None => panic!(
            "{name}: rendering did not finish within {limit:?} (stopped; set ERKIN_HUGE_INPUT_SECS \
             to wait longer)\n{err}"
        ),
        Some(s) => assert!(
            s.success() && out.contains(&format!("HUGE-DONE {name}")),
            "{name}: worker failed ({s}):\n{out}\n{err}"
        ),
    }
    eprintln!("{name}: done in {:?}", start.elapsed());
}

#[test]
fn huge_nested_blockquotes_finish() {
    run_huge("blockquotes-5mb");
}

#[test]
fn huge_nested_lists_finish() {
    run_huge("nested-lists-200k");
}

#[test]
fn huge_unclosed_raw_divs_finish() {
    run_huge("raw-divs-5mb");
}

#[test]
fn huge_bracket_runs_finish() {
    run_huge("brackets-100k");
    run_huge("brackets-5mb");
    run_huge("link-openers-100k");
}

#[test]
fn huge_emphasis_text_tables_and_references_finish() {
    run_huge("emphasis-100k");
    run_huge("character-references-1mb");
    run_huge("text-5mb");
    run_huge("table-5mb");
}

// ---------------------------------------------------------------------------
// The coop page speaks the site's language.

use erkin_core::action::{Action, Ballot, Charter, Close, Motion, Propose, Vote};
use erkin_core::governance::{Effect, Judged};
use erkin_core::keys::SecretKey;
use erkin_views::i18n::{words, Words, EN};

/// A member to admit and remove (a fixed test key, like the founder's).
const NEWCOMER_KEY: &str =
    "PRIVATE+KEY+bolat+3e8ae598+AUZteYNCXVlbJ+4DY63sp+KtOXNCbU5FuuGCCZ3sghl9";

/// A one-founder publication whose site language is `lang`, with every kind
/// of decision closed (admission, removal, one that could not take effect,
/// election, amendment, retraction, redaction, resolutions passed and
/// failed) and one proposal still open.
fn decided(lang: &str) -> Fixture {
    let mut charter = Charter::default();
    charter.languages.retain(|l| l != lang);
    charter.languages.insert(0, lang.to_string());
    let mut f = Fixture::with_charter("Еркін хабар", charter.clone());
    f.publish(Article::new("ken-apaty", "Кен апаты", "# Мәтін".as_bytes()));
    f.publish(Article::new("su-tarifi", "Су тарифі", "# Мәтін".as_bytes()));
    let newcomer = SecretKey::parse(NEWCOMER_KEY).unwrap();
    use Ballot::*;
    let mut amended = charter;
    amended.admit.min_hours = 96;
    // The founder votes `ballot`; `others` abstain.
    let decide = |f: &mut Fixture, others: &[&SecretKey], motions: Vec<(Motion, Ballot)>| {
        let mut ids = Vec::new();
        for (i, (motion, ballot)) in motions.into_iter().enumerate() {
            let closes_at = f.time() + 60 + 24 * 366 * 3600 - 1;
            let id = f.act(Action::Propose(Propose {
                title: format!("Ұсыныс {i}"),
                closes_at,
                motion,
            }));
            ids.push((id, ballot));
        }
        for (id, ballot) in &ids {
            f.act(Action::Vote(Vote {
                proposal: *id,
                ballot: ballot.clone(),
            }));
            for k in others {
                f.act_as(
                    k,
                    Action::Vote(Vote {
                        proposal: *id,
                        ballot: Abstain,
                    }),
                );
            }
        }
        // Every member has voted: each may close at once.
        for (id, _) in ids {
            f.act(Action::Close(Close {
                proposal: id,
                salts: Vec::new(),
            }));
        }
    };
    // The amendment is decided by the founder alone: amendments need 2/3 of
    // all members (the entrenched floor), which the founder's yes and the
    // newcomer's abstention (1 of 2) would not be.
    decide(
        &mut f,
        &[],
        vec![
            (
                Motion::Admit {
                    key: newcomer.verifier_key().to_string(),
                },
                Yes,
            ),
            (Motion::Amend { charter: amended }, Yes),
        ],
    );
    let remove = || Motion::Remove {
        handle: "bolat".into(),
    };
    decide(
        &mut f,
        &[&newcomer],
        vec![
            (remove(), Yes),
            // Closed after the first: bolat has already left.
            (remove(), Yes),
            (
                Motion::Retract {
                    article: "ken-apaty".into(),
                    reason: "Қате".into(),
                },
                Yes,
            ),
            (
                Motion::Redact {
                    target: "su-tarifi".into(),
                    reason: "Сот шешімі".into(),
                },
                Yes,
            ),
            (
                Motion::Resolution {
                    text: "Қазақша бірінші жариялаймыз.".into(),
                },
                Yes,
            ),
            (
                Motion::Resolution {
                    text: "Жабыламыз.".into(),
                },
                No,
            ),
        ],
    );
    // A board election: the founder stands, the nomination period passes,
    // she ranks herself (the only voter, so it may close at once).
    let nominations_close = f.time() + 60 + 72 * 3600;
    let election = f.act(Action::Propose(Propose {
        title: "Сайлау".into(),
        closes_at: nominations_close + 168 * 3600,
        motion: Motion::Elect {
            seats: 3,
            nominations_close,
        },
    }));
    f.act(Action::Nominate(erkin_core::action::Nominate {
        proposal: election,
        handle: EDITOR.into(),
    }));
    f.advance(72 * 3600);
    f.act(Action::Vote(Vote {
        proposal: election,
        ballot: Ranked(vec![EDITOR.into()]),
    }));
    f.act(Action::Close(Close {
        proposal: election,
        salts: Vec::new(),
    }));
    assert!(
        f.state.proposals().any(|p| p
            .outcome
            .as_ref()
            .is_some_and(|o| o.effect == Effect::CharterAmended)),
        "the fixture's amendment passes"
    );
    f.act(Action::Propose(Propose {
        title: "Ашық ұсыныс".into(),
        closes_at: f.time() + 60 + 200 * 3600,
        motion: Motion::Resolution {
            text: "Әлі шешілмеген.".into(),
        },
    }));
    f
}

/// The visible text of a page's `<main>`, tags removed.
fn main_text(files: &[erkin_views::File], path: &str) -> String {
    let html = files
        .iter()
        .find(|f| f.path == path)
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
        .unwrap_or_else(|| panic!("no {path}"));
    let main = html
        .split_once("<main>")
        .and_then(|(_, rest)| rest.split_once("</main>"))
        .map(|(m, _)| m)
        .expect("a <main>");
    let mut text = String::new();
    let mut in_tag = false;
    for c in main.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// The visible text of a language section's governance pages: the coop
/// page and every proposal's page (an election's with its count).
fn governance_text(files: &[erkin_views::File], lang: &str) -> String {
    let mut text = main_text(files, &format!("{lang}/coop/index.html"));
    for f in files {
        if f.path.starts_with(&format!("{lang}/coop/p/")) {
            text.push_str(&main_text(files, &f.path));
        }
    }
    text
}

/// Everything the coop page says about governance, in `w`'s words: each
/// decision's motion, tally, effect and rule, and the charter's rules.
fn governance_phrases(f: &Fixture, w: &Words) -> Vec<String> {
    let sw = erkin_views::site_words::site_words(w.lang);
    let s = &f.state;
    let c = s.charter();
    let mut out: Vec<String> = vec![
        w.proposed_by.into(),
        sw.voting_until.into(),
        sw.rule_in_force.into(),
        w.one_member_one_vote.into(),
        w.elect_board.into(),
        w.election_in_full(c),
    ];
    out.extend(w.decision_kinds.iter().map(|k| k.to_string()));
    for r in [
        &c.admit,
        &c.remove,
        &c.amend,
        &c.retract,
        &c.redact,
        &c.resolution,
    ] {
        out.push(w.rule_in_full(r));
    }
    // The fixture's amendment (admitting open 96 hours, not 72) is shown
    // as the rule it changes, old → new.
    let changes: Vec<_> = s.proposals().flat_map(|p| p.charter_changes()).collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    for c in &changes {
        out.push(w.charter_change(c));
    }
    for p in s.proposals() {
        out.push(w.motion(&p.motion));
        if let Judged::Vote(r) = p.rule {
            out.push(w.threshold(&r.threshold));
            out.push(w.quorum(r.quorum));
        }
        if let Some(o) = &p.outcome {
            // An election shows its ballots and its count, not a yes/no tally.
            if matches!(p.rule, Judged::Election(_)) {
                out.push(sw.ballots(o.tally.yes, o.tally.abstain));
            } else {
                out.push(w.tally(&o.tally));
            }
            out.push(w.effect(&o.effect));
        }
    }
    out
}

/// English words of the governance interface: none may appear on a Kazakh
/// or Russian coop page (handles, slugs and titles there are not English).
const ENGLISH_WORDS: [&str; 30] = [
    "yes",
    "no ",
    "abstain",
    "eligible",
    "quorum",
    "threshold",
    "Rule",
    "proposed by",
    "voting until",
    "more than",
    "at least",
    "of members",
    "hours",
    "admit",
    "remove",
    "elect",
    "amend",
    "retract",
    "redact",
    "resolution",
    "resolved",
    "failed",
    "passed",
    "the ",
    "already left",
    "charter",
    "board",
    "seat",
    "transferable",
    "term",
];

#[test]
fn the_kazakh_and_russian_coop_pages_have_no_english_governance_text() {
    for lang in ["kk", "ru"] {
        let f = decided(lang);
        let effects: Vec<&Effect> = f
            .state
            .proposals()
            .filter_map(|p| p.outcome.as_ref().map(|o| &o.effect))
            .collect();
        assert_eq!(effects.len(), 9, "{effects:?}");
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::CouldNotTakeEffect { .. })));
        let text = governance_text(&f.render(), lang);
        for phrase in governance_phrases(&f, &EN) {
            assert!(
                !text.contains(&phrase),
                "{lang}: English {phrase:?} in {text}"
            );
        }
        for word in ENGLISH_WORDS {
            assert!(!text.contains(word), "{lang}: English {word:?} in {text}");
        }
        // What is there is the language's own.
        for phrase in governance_phrases(&f, words(lang)) {
            assert!(text.contains(&phrase), "{lang}: no {phrase:?} in {text}");
        }
    }
}

#[test]
fn the_english_coop_page_says_it_in_english() {
    // The check above can fail: the English page holds every phrase and word.
    let f = decided("en");
    let text = governance_text(&f.render(), "en");
    for phrase in governance_phrases(&f, &EN) {
        assert!(text.contains(&phrase), "no {phrase:?} in {text}");
    }
    for word in ENGLISH_WORDS {
        assert!(text.contains(word), "no {word:?} in {text}");
    }
}
