//! The reader site's structure (issue #16): retracted articles labelled on
//! every list, every article reachable by links from each language's front
//! page, paginated lists, canonical URLs, dates in the publication's time
//! zone with the log's time, translations linked, bidi controls stripped,
//! history with word differences, governance pages, the 404 page, the
//! favicon. Each assertion fails on the site as it was before.

use std::collections::{BTreeSet, VecDeque};

use crate::common::*;
use erkin_core::action::Ballot;
use erkin_core::action::{Action, Close, Motion, Propose, Publish, Statement, Vote};
use erkin_views::File;

fn get<'f>(files: &'f [File], path: &str) -> &'f str {
    let f = files
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("no {path} among {} files", files.len()));
    std::str::from_utf8(&f.bytes).unwrap()
}

fn publish(
    f: &mut Fixture,
    slug: &str,
    lang: &str,
    title: &str,
    tags: &[&str],
    translation_of: Option<&str>,
) {
    let body = f.blob(format!("Text of {slug}.\n\nA second paragraph of {slug}.").as_bytes());
    f.act(Action::Publish(Publish {
        slug: slug.into(),
        lang: lang.into(),
        title: title.into(),
        summary: format!("Summary of {slug}"),
        authors: vec![EDITOR.into()],
        bylines: vec!["Сәуле \u{202E}gpj.exe".into()],
        tags: tags.iter().map(|t| t.to_string()).collect(),
        body,
        media: vec![],
        translation_of: translation_of.map(String::from),
        first_published: None,
    }));
}

/// A site with 70 English articles without tags, a few kk and ru ones,
/// a translation pair, a retracted article, a corrected one, a rewrite, a
/// statement, and an imported article dated 1999.
fn site() -> Fixture {
    let mut f = Fixture::new("Erkin Habar");
    for i in 0..70 {
        publish(
            &mut f,
            &format!("old-{i:02}"),
            "en",
            &format!("Old story {i}"),
            &[],
            None,
        );
    }
    publish(&mut f, "su-tarifi", "kk", "Су тарифі", &["qala"], None);
    publish(
        &mut f,
        "water-tariff",
        "en",
        "Water tariff",
        &["city"],
        Some("su-tarifi"),
    );
    publish(
        &mut f,
        "tarif-na-vodu",
        "ru",
        "Тариф на воду",
        &["gorod"],
        Some("su-tarifi"),
    );
    publish(&mut f, "ken-apaty", "kk", "Кен апаты", &["qala"], None);
    publish(
        &mut f,
        "spoof",
        "en",
        "Spoof \u{202E}gpj.exe and more",
        &["city"],
        None,
    );
    // The retraction, decided by the only member.
    let id = f.act(Action::Propose(Propose {
        title: "Retract the mine story".into(),
        closes_at: f.time() + 60 + 24 * 366 * 3600 - 1,
        motion: Motion::Retract {
            article: "ken-apaty".into(),
            reason: "Unverified".into(),
        },
    }));
    f.act(Action::Vote(Vote {
        proposal: id,
        ballot: Ballot::Yes,
    }));
    f.act(Action::Close(Close {
        proposal: id,
        salts: Vec::new(),
    }));
    f.correct(
        "water-tariff",
        "Water tariff",
        "Summary of water-tariff",
        b"Text of water-tariff.\n\nA second paragraph of water-tariff, fixed.",
        "An earlier version misspelled a word.",
        false,
    );
    f.correct(
        "old-03",
        "Old story 3",
        "",
        b"withdrawn",
        "Withdrawn.",
        false,
    );
    f.act(Action::Statement(Statement {
        text: "We stand by our reporting.".into(),
    }));
    let body = f.blob(b"From the paper archive.");
    f.act(Action::Publish(Publish {
        slug: "from-1999".into(),
        lang: "en".into(),
        title: "From 1999".into(),
        summary: String::new(),
        authors: vec![EDITOR.into()],
        bylines: vec![],
        tags: vec![],
        body,
        media: vec![],
        translation_of: None,
        first_published: Some(915_148_800),
    }));
    f
}

/// Internal links of a page, resolved against its path (no fragment).
fn links(path: &str, html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in html.split("href=\"").skip(1) {
        let href = part.split('"').next().unwrap_or("");
        if href.contains("://") || href.starts_with('#') {
            continue;
        }
        let href = href.split('#').next().unwrap_or("");
        let mut dir: Vec<&str> = path.split('/').collect();
        dir.pop();
        for seg in href.split('/') {
            match seg {
                ".." => {
                    dir.pop();
                }
                "." | "" => {}
                s => dir.push(s),
            }
        }
        out.push(dir.join("/"));
    }
    out
}

/// Every page reachable from `start` by links.
fn reachable(files: &[File], start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start.to_string()]);
    while let Some(p) = queue.pop_front() {
        if !seen.insert(p.clone()) || !p.ends_with(".html") {
            continue;
        }
        let Some(f) = files.iter().find(|f| f.path == p) else {
            continue;
        };
        for l in links(&p, std::str::from_utf8(&f.bytes).unwrap()) {
            if !seen.contains(&l) {
                queue.push_back(l);
            }
        }
    }
    seen
}

#[test]
fn every_article_is_reachable_from_every_front_page_and_every_link_resolves() {
    let f = site();
    let files = f.render();
    let paths: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    for lang in ["kk", "ru", "en"] {
        let start = format!("{lang}/index.html");
        let seen = reachable(&files, &start);
        for a in f.state.articles() {
            let p = format!("a/{}/index.html", a.slug);
            assert!(seen.contains(&p), "{p} is not reachable from {start}");
        }
        // Blobs are the log's files, written by the export beside the pages.
        for l in seen.iter().filter(|l| !l.starts_with("blob/")) {
            assert!(
                paths.contains(l.as_str()),
                "{l} (linked from the {lang} site) is not a file"
            );
        }
    }
    // Lists grow by pages: 70 English articles make an archive month and
    // an author page of three pages each, linked in both directions.
    let en = reachable(&files, "en/index.html");
    assert!(
        en.iter()
            .any(|p| p.starts_with("en/archive/") && p.ends_with("/3/index.html")),
        "{en:?}"
    );
    let author2 = get(&files, "en/author/aigerim/2/index.html");
    assert!(author2.contains("rel=\"prev\"") && author2.contains("rel=\"next\""));
}

#[test]
fn a_retracted_article_is_labelled_on_every_list() {
    let f = site();
    let files = f.render();
    let label = "<span class=\"label alert\">Кері қайтарылды</span>";
    for path in [
        "index.html",
        "kk/index.html",
        "kk/tag/qala/index.html",
        "tag/qala/index.html",
        "kk/author/aigerim/index.html",
    ] {
        let html = get(&files, path);
        let at = html
            .find("Кен апаты")
            .unwrap_or_else(|| panic!("{path} lists no Кен апаты"));
        let before = &html[..at];
        let item = &before[before.rfind("<li").unwrap()..];
        assert!(
            item.contains(label) || item.contains("label alert"),
            "{path}: {item}"
        );
    }
    // Not the lead story: the lead is the newest article that stands.
    let kk = get(&files, "kk/index.html");
    let lead = &kk[kk.find("class=\"lead\"").unwrap()..];
    let lead = &lead[..lead.find("</section>").unwrap()];
    assert!(
        !lead.contains("Кен апаты") && lead.contains("Су тарифі"),
        "{lead}"
    );
    // The JSON API marks it too.
    let api = erkin_views::api::documents(&f.state);
    let list = std::str::from_utf8(&api[0].bytes).unwrap();
    let at = list.find("\"ken-apaty\"").unwrap();
    assert!(list[at..]
        .split('}')
        .next()
        .unwrap()
        .contains("\"retracted\": true"));
}

#[test]
fn tag_and_author_pages_are_their_own_canonical_and_pages_ask_for_no_missing_icon() {
    let f = site();
    let files = f.render();
    assert!(get(&files, "tag/city/index.html")
        .contains("<link rel=\"canonical\" href=\"https://news.example/erkin/tag/city/\">"));
    assert!(get(&files, "en/author/aigerim/2/index.html")
        .contains("href=\"https://news.example/erkin/en/author/aigerim/2/\""));
    assert!(files.iter().any(|f| f.path == "favicon.svg"));
    assert!(get(&files, "a/spoof/index.html")
        .contains("<link rel=\"icon\" type=\"image/svg+xml\" href=\"../../favicon.svg\">"));
    // The 404 page links relatively (a prefix, file://).
    let nf = get(&files, "404.html");
    assert!(!nf.contains("href=\"/"), "{nf}");
    assert!(nf.contains("href=\"index.html\""));
}

#[test]
fn dates_are_in_almaty_time_in_the_readers_language_with_the_log_time() {
    let f = site();
    let files = f.render();
    // The fixture's first day: 2025-11-28 16:00 UTC is 21:00 in Almaty,
    // and this article came 73 minutes later.
    let ru = get(&files, "a/tarif-na-vodu/index.html");
    assert!(ru.contains("28 ноября 2025, 22:13"), "{ru}");
    assert!(ru.contains("+05:00\""), "{ru}");
    assert!(ru.contains("записано в журнал <time datetime="), "{ru}");
    assert!(!ru.contains("UTC</time>"));
    let kk = get(&files, "a/su-tarifi/index.html");
    assert!(kk.contains("2025 жылғы 28 қараша"), "{kk}");
    // An editor's date far from the log time is shown flagged, with the log's.
    let old = get(&files, "a/from-1999/index.html");
    assert!(old.contains("1 January 1999"), "{old}");
    assert!(old.contains("(date given by the editor)"), "{old}");
    assert!(
        old.contains("recorded in the log <time datetime=\"2025-11-"),
        "{old}"
    );
    let fresh = get(&files, "a/spoof/index.html");
    assert!(!fresh.contains("date given by the editor"));
}

#[test]
fn translations_are_linked_and_the_language_is_marked() {
    let f = site();
    let files = f.render();
    let en = get(&files, "a/water-tariff/index.html");
    assert!(en.starts_with("<!DOCTYPE html><html lang=\"en\">"));
    assert!(en.contains(
        "<link rel=\"alternate\" hreflang=\"kk\" href=\"https://news.example/erkin/a/su-tarifi/\">"
    ));
    assert!(en.contains("href=\"../../a/tarif-na-vodu/index.html\" hreflang=\"ru\" lang=\"ru\">Русский: <bdi>Тариф на воду</bdi>"), "{en}");
    assert!(en.contains("<strong lang=\"en\" aria-current=\"page\">English</strong>"));
    // The chooser in the header keeps the reader on the article.
    assert!(
        en.contains(
            "<a href=\"../../a/su-tarifi/index.html\" lang=\"kk\" hreflang=\"kk\" aria-label=\"Қазақша\"><span class=\"long\">Қазақша</span><span class=\"short\">KK</span></a>"
        ),
        "{en}"
    );
    assert!(en.contains(
        "aria-current=\"true\" aria-label=\"English\"><span class=\"long\">English</span>"
    ));
}

#[test]
fn bidi_controls_are_stripped_and_text_isolated() {
    let f = site();
    let files = f.render();
    for f in &files {
        if f.path.ends_with(".html") {
            let html = std::str::from_utf8(&f.bytes).unwrap();
            assert!(!html.contains('\u{202E}'), "{} holds U+202E", f.path);
        }
    }
    let a = get(&files, "a/spoof/index.html");
    assert!(a.contains("<h1 dir=\"auto\">Spoof gpj.exe and more</h1>"));
    assert!(a.contains("<bdi>Сәуле gpj.exe</bdi>"));
    assert!(a.contains("<div class=\"body\" dir=\"auto\">"));
}

#[test]
fn history_shows_every_revision_with_word_differences_and_a_rewrite_is_major() {
    let f = site();
    let files = f.render();
    let h = get(&files, "a/water-tariff/history/index.html");
    assert!(
        h.contains("<ins>water-tariff, fixed.</ins>") || h.contains("<ins>"),
        "{h}"
    );
    assert!(h.contains("<del>"), "{h}");
    assert!(h.contains("Revision 1/2") && h.contains("Revision 2/2"));
    assert!(
        h.contains("Text of water-tariff."),
        "the first revision in full"
    );
    assert!(!h.contains("Major correction"));
    // "withdrawn" for a whole story: major, whatever the editor said.
    let h = get(&files, "a/old-03/history/index.html");
    assert!(h.contains("Major correction"), "{h}");
    assert!(
        h.contains("Text of old-03."),
        "the erased text is still there"
    );
    let a = get(&files, "a/old-03/index.html");
    assert!(
        a.contains("class=\"notice compact\"><strong>Major correction"),
        "{a}"
    );
    let list = get(&files, "en/archive/index.html");
    assert!(list.contains("2025"));
}

#[test]
fn governance_has_a_page_per_proposal_and_member_and_the_statements() {
    let f = site();
    let files = f.render();
    let p = files
        .iter()
        .find(|x| x.path.starts_with("en/coop/p/"))
        .expect("a proposal page");
    let html = std::str::from_utf8(&p.bytes).unwrap();
    assert!(
        html.contains("Passed") && html.contains("closed <time"),
        "{html}"
    );
    assert!(
        !html.contains("voting until"),
        "a decided proposal says when it closed"
    );
    assert!(
        html.contains("aigerim</bdi></a>: <span dir=\"auto\">yes</span>"),
        "{html}"
    );
    // The result is said once, under the outcome, not also in the status line.
    let decided = f
        .state
        .proposals()
        .find(|x| p.path == format!("en/coop/p/{}/index.html", x.id))
        .unwrap();
    let effect = erkin_views::i18n::words("en").effect(&decided.outcome.as_ref().unwrap().effect);
    assert_eq!(html.matches(effect.as_str()).count(), 1, "{effect}: {html}");
    // The cooperative's list still says it beside each proposal.
    assert!(get(&files, "en/coop/index.html").contains(effect.as_str()));
    let m = get(&files, "ru/coop/m/aigerim/index.html");
    assert!(m.contains("We stand by our reporting."));
    assert!(m.contains("член редакционного совета"));
    let s = get(&files, "kk/coop/statements/index.html");
    assert!(s.contains("We stand by our reporting."));
    assert!(s.starts_with("<!DOCTYPE html><html lang=\"kk\">"));
}

#[test]
fn the_front_page_is_small() {
    let f = site();
    let files = f.render();
    for lang in ["kk", "ru", "en"] {
        let html = get(&files, &format!("{lang}/index.html")).len();
        let css = get(&files, "style.css").len();
        assert!(html + css < 50 * 1024, "{lang}: {html} + {css} bytes");
    }
}

#[test]
fn an_election_page_shows_the_stv_count_stage_by_stage() {
    use erkin_core::action::Nominate;
    let mut charter = erkin_core::action::Charter::default();
    charter.board.seats = 1;
    let mut f = Fixture::with_charter("Erkin Habar", charter.clone());
    let nominations_close = f.time() + 60 + u64::from(charter.elect.nomination_hours) * 3600;
    let id = f.act(Action::Propose(Propose {
        title: "Board 2027".into(),
        closes_at: nominations_close + u64::from(charter.elect.min_hours) * 3600,
        motion: Motion::Elect {
            seats: 1,
            nominations_close,
        },
    }));
    f.act(Action::Nominate(Nominate {
        proposal: id,
        handle: EDITOR.into(),
    }));
    f.advance(u64::from(charter.elect.nomination_hours) * 3600);
    f.act(Action::Vote(Vote {
        proposal: id,
        ballot: Ballot::Ranked(vec![EDITOR.into()]),
    }));
    f.advance(u64::from(charter.elect.min_hours) * 3600);
    f.act(Action::Close(Close {
        proposal: id,
        salts: Vec::new(),
    }));
    let files = f.render();
    let html = get(&files, &format!("en/coop/p/{id}/index.html"));
    assert!(html.contains("The count, stage by stage"), "{html}");
    assert!(html.contains("<table class=\"stv\">"), "{html}");
    assert!(html.contains("Quota: "), "{html}");
    assert!(html.contains("first preferences"), "{html}");
    assert!(html.contains("<strong>elected</strong>"), "{html}");
    let ru = get(&files, &format!("ru/coop/p/{id}/index.html"));
    assert!(
        ru.contains("Подсчёт по этапам") && ru.contains("избран(а)"),
        "{ru}"
    );
}

#[test]
fn the_mirrors_page_lists_the_signed_mirror_list_with_qr_codes_in_every_language() {
    use erkin_core::action::{MirrorEntry, SetMirrors};
    let mut f = Fixture::new("Erkin Habar");
    let pin = "ab".repeat(32);
    let onion = "http://2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion/";
    let before = f.render();
    assert!(!before.iter().any(|x| x.path.starts_with("mirrors/mirror-")));
    assert!(!get(&before, "erkin.json").contains("mirrors"));
    f.act(Action::SetMirrors(SetMirrors {
        mirrors: vec![
            MirrorEntry {
                url: "https://habar.example/".into(),
                pins: vec![pin.clone()],
            },
            MirrorEntry {
                url: onion.into(),
                pins: vec![],
            },
            MirrorEntry {
                url: "https://files.example/habar.tar.gz".into(),
                pins: vec![],
            },
        ],
    }));
    let files = f.render();
    for i in 0..3 {
        let svg = get(&files, &format!("mirrors/mirror-{i}.svg"));
        assert!(svg.contains("<svg"), "mirror {i}'s QR code");
    }
    assert_ne!(
        get(&files, "mirrors/mirror-0.svg"),
        get(&files, "mirrors/mirror-1.svg")
    );
    let descriptor: erkin_core::descriptor::Descriptor =
        serde_json::from_str(get(&files, "erkin.json")).unwrap();
    assert_eq!(descriptor.mirrors.len(), 3);
    for (lang, https, tor, bundle, pins) in [
        (
            "kk",
            "сайт (HTTPS)",
            "Tor арқылы (onion)",
            "бума файлы",
            "Сертификат саусақ ізі",
        ),
        (
            "ru",
            "сайт (HTTPS)",
            "через Tor (onion)",
            "файл-архив",
            "Отпечатки сертификата",
        ),
        (
            "en",
            "website (HTTPS)",
            "through Tor (onion)",
            "bundle file",
            "Certificate fingerprints",
        ),
    ] {
        let page = get(&files, &format!("{lang}/mirrors/index.html"));
        for want in [
            "https://habar.example/",
            onion,
            "https://files.example/habar.tar.gz",
            pin.as_str(),
            https,
            tor,
            bundle,
            pins,
            "../../mirrors/mirror-0.svg",
            "../../mirrors/mirror-2.svg",
            "erkin read ",
        ] {
            assert!(page.contains(want), "{lang}: {want:?} missing");
        }
        // Addresses are text, never links out of the copy.
        assert!(!page.contains("href=\"https://habar.example"), "{lang}");
    }
}

#[test]
fn an_amendment_of_the_time_zone_is_said_in_every_language() {
    let mut f = Fixture::new("Erkin Habar");
    let charter = erkin_core::action::Charter {
        time_zone: Some("Europe/Moscow".into()),
        ..f.state.charter().clone()
    };
    let id = f.act(Action::Propose(Propose {
        title: "Moscow time".into(),
        closes_at: f.time() + 60 + 24 * 366 * 3600 - 1,
        motion: Motion::Amend { charter },
    }));
    let files = f.render();
    for (lang, phrase) in [
        (
            "kk",
            "оқырманға күндер көрсетілетін уақыт белдеуі: Asia/Almaty → Europe/Moscow",
        ),
        (
            "ru",
            "часовой пояс, в котором читателям показаны даты: Asia/Almaty → Europe/Moscow",
        ),
        (
            "en",
            "the time zone readers are shown dates in: Asia/Almaty → Europe/Moscow",
        ),
    ] {
        for page in [
            format!("{lang}/coop/p/{id}/index.html"),
            format!("{lang}/coop/index.html"),
        ] {
            let html = get(&files, &page);
            assert!(html.contains(phrase), "{page}: {html}");
        }
    }
}

#[test]
fn governance_pages_are_written_once_and_the_root_leads_to_its_language() {
    let f = site();
    let files = f.render();
    // The root section repeats no governance page of its language's...
    for x in &files {
        assert!(
            !(x.path.starts_with("coop/") || x.path.starts_with("mirrors/"))
                || x.path == "coop/index.html"
                || x.path == "mirrors/index.html"
                || x.path == "mirrors/key.svg",
            "{} is written twice",
            x.path
        );
    }
    assert!(files.iter().any(|x| x.path.starts_with("kk/coop/p/")));
    assert!(files.iter().any(|x| x.path.starts_with("kk/coop/m/")));
    // ...its old addresses lead there, relatively (file://, any prefix).
    for (rel, to) in [
        ("coop/index.html", "../kk/coop/index.html"),
        ("mirrors/index.html", "../kk/mirrors/index.html"),
    ] {
        let html = get(&files, rel);
        assert!(
            html.contains(&format!(
                "<meta http-equiv=\"refresh\" content=\"0; url={to}\">"
            )),
            "{html}"
        );
        assert!(html.contains(&format!("<a href=\"{to}\">")), "{html}");
    }
    // The root's pages link to the first language's cooperative and mirrors.
    for page in ["index.html", "archive/index.html", "404.html"] {
        let html = get(&files, page);
        let root = "../".repeat(page.matches('/').count());
        assert!(
            html.contains(&format!("href=\"{root}kk/coop/index.html\""))
                && html.contains(&format!("href=\"{root}kk/mirrors/index.html\"")),
            "{page}: {html}"
        );
    }
    // The sitemap names each language's pages, not the moved ones: the
    // index names the fixed pages' sitemap.
    assert!(get(&files, "sitemap.xml").contains("erkin/sitemap/pages.xml</loc>"));
    let sitemap = get(&files, "sitemap/pages.xml");
    assert!(sitemap.contains("/kk/coop/</loc>") && sitemap.contains("/en/mirrors/</loc>"));
    assert!(!sitemap.contains("erkin/coop/</loc>"), "{sitemap}");
}

/// A PNG of `w` x `h` pixels, opaque (so its sizes are JPEGs).
fn png(w: u32, h: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, ((x + y) % 239) as u8])
    });
    let mut out = Vec::new();
    img.write_with_encoder(image::codecs::png::PngEncoder::new(&mut out))
        .unwrap();
    out
}

#[test]
fn a_lead_image_is_offered_in_smaller_sizes_made_the_same_every_time() {
    let mut f = Fixture::new("Erkin Habar");
    let photo = png(1000, 600);
    let id = f.blob(&photo);
    let body = f.blob(format!("Before.\n\n![A square](blob:{id}.png)\n\nAfter.").as_bytes());
    f.act(Action::Publish(Publish {
        slug: "with-photo".into(),
        lang: "kk".into(),
        title: "Суретпен".into(),
        summary: String::new(),
        authors: vec![EDITOR.into()],
        bylines: vec![],
        tags: vec![],
        body,
        media: vec![id.clone()],
        translation_of: None,
        first_published: None,
    }));
    let files = f.render();
    let front = get(&files, "kk/index.html");
    // The lead story shows it: the sizes below its width, then the
    // original, with its dimensions (no shift as it loads), lazily.
    let srcset = format!(
        "srcset=\"../media/{id}-320w.jpg 320w, ../media/{id}-640w.jpg 640w, ../media/{id}.png 1000w\""
    );
    assert!(front.contains(&srcset), "{front}");
    assert!(
        front.contains("width=\"1000\" height=\"600\" loading=\"lazy\""),
        "{front}"
    );
    for (w, h) in [(320, 192), (640, 384)] {
        let small = files
            .iter()
            .find(|x| x.path == format!("media/{id}-{w}w.jpg"))
            .unwrap_or_else(|| panic!("no {w} px size"));
        assert_eq!(erkin_views::images::dimensions(&small.bytes), Some((w, h)));
        assert!(small.bytes.len() < photo.len());
    }
    assert!(
        !files.iter().any(|x| x.path.contains("-1280w")),
        "never enlarged"
    );
    // The same bytes on every render (so exports stay incremental), and
    // the server's cache gives the same files.
    let again = f.render();
    assert_eq!(files, again);
    let cache = erkin_views::BodyCache::default();
    let cfg = erkin_views::SiteConfig::for_state(&f.state);
    let reader = |b: &erkin_core::blob::BlobId| f.blobs.get(b).cloned();
    let first = erkin_views::render_site_cached(&f.state, &reader, &cfg, &cache);
    let second = erkin_views::render_site_cached(&f.state, &reader, &cfg, &cache);
    assert_eq!(first, files);
    assert_eq!(second, files);
}

#[test]
fn a_hostile_lead_image_gets_no_sizes_and_the_site_still_renders() {
    let mut f = Fixture::new("Erkin Habar");
    // A PNG header declaring 100000 x 100000 pixels with no pixel data: a
    // decompression bomb's shape. It is shown as it is, never decoded.
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let id = f.blob(&bomb);
    let body = f.blob(format!("![x](blob:{id}.png)").as_bytes());
    f.act(Action::Publish(Publish {
        slug: "bomb".into(),
        lang: "kk".into(),
        title: "Bomb".into(),
        summary: String::new(),
        authors: vec![EDITOR.into()],
        bylines: vec![],
        tags: vec![],
        body,
        media: vec![id.clone()],
        translation_of: None,
        first_published: None,
    }));
    let files = f.render();
    assert!(!files
        .iter()
        .any(|x| x.path.starts_with(&format!("media/{id}-"))));
    assert!(!get(&files, "kk/index.html").contains("srcset"));
    assert!(files.iter().any(|x| x.path == format!("media/{id}.png")));
}

/// The site is rendered on every core: its articles in batches, its lists
/// page by page. On one thread or on four, in a fresh cache or a warm one,
/// it must be the same files with the same bytes in the same order — over
/// more articles than one batch holds, with translations, corrections,
/// images, a retraction and a redaction among them.
#[test]
fn rendering_on_every_core_gives_the_files_one_thread_gives() {
    use erkin_core::action::Correct;
    let mut f = Fixture::new("Erkin Habar");
    let photo = png(700, 400);
    let photo_id = f.blob(&photo);
    let langs = ["kk", "ru", "en"];
    let tags = ["economy", "courts", "energy", "culture", "sport"];
    for i in 0..700usize {
        let lang = langs[i % 3];
        let with_photo = i % 97 == 0;
        let text = if with_photo {
            format!("Paragraph {i}.\n\n![A photo](blob:{photo_id}.png)\n\n*Caption* {i}.")
        } else {
            format!("Paragraph {i}, [a link](https://example.org/{i}).\n\n- one\n- two {i}\n")
        };
        let body = f.blob(text.as_bytes());
        // Every fifth original gets translations (filed right after it).
        let translation_of = (i % 5 != 0 && i % 3 != 0).then(|| format!("story-{}", i - i % 3));
        f.act(Action::Publish(Publish {
            slug: format!("story-{i}"),
            lang: lang.into(),
            title: format!("Story {i}"),
            summary: format!("Summary {i}"),
            authors: vec![EDITOR.into()],
            bylines: vec![format!("Reporter {}", i % 7)],
            tags: vec![tags[i % 5].into(), tags[(i / 5) % 5].into()],
            body,
            media: if with_photo {
                vec![photo_id.clone()]
            } else {
                vec![]
            },
            translation_of,
            first_published: None,
        }));
        if i % 50 == 0 {
            f.advance(10 * 24 * 3600);
        }
    }
    for i in (0..700).step_by(41) {
        let body = f.blob(format!("Corrected paragraph {i}.").as_bytes());
        f.act(Action::Correct(Correct {
            slug: format!("story-{i}"),
            title: format!("Story {i}, corrected"),
            summary: format!("Summary {i}"),
            body,
            media: vec![],
            note: "A name was wrong.".into(),
            major: i % 2 == 0,
        }));
    }
    let decide = |f: &mut Fixture, motion: Motion| {
        let id = f.act(Action::Propose(Propose {
            title: "Decision".into(),
            closes_at: f.time() + 60 + 24 * 366 * 3600 - 1,
            motion,
        }));
        f.act(Action::Vote(Vote {
            proposal: id,
            ballot: Ballot::Yes,
        }));
        f.act(Action::Close(Close {
            proposal: id,
            salts: Vec::new(),
        }));
    };
    decide(
        &mut f,
        Motion::Retract {
            article: "story-10".into(),
            reason: "Wrong".into(),
        },
    );
    decide(
        &mut f,
        Motion::Redact {
            target: "story-20".into(),
            reason: "Harm".into(),
        },
    );
    assert!(f.state.retracted().contains("story-10"));
    assert!(f.state.redacted().contains("story-20"));
    let reader = |id: &erkin_core::blob::BlobId| f.blobs.get(id).cloned();
    let cfg = erkin_views::SiteConfig::for_state(&f.state);
    let on = |threads: usize, cache: &erkin_views::BodyCache| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| erkin_views::render_site_cached(&f.state, &reader, &cfg, cache))
    };
    let one = on(1, &erkin_views::BodyCache::default());
    let articles = one
        .iter()
        .filter(|x| x.path.starts_with("a/") && x.path.ends_with("/index.html"))
        .filter(|x| !x.path.contains("/history/"))
        .count();
    assert_eq!(articles, 700, "more than one batch of articles");
    assert!(one.iter().any(|x| x.path.contains("-320w.")), "image sizes");
    let cache = erkin_views::BodyCache::default();
    let four = on(4, &cache);
    let paths = |files: &[File]| files.iter().map(|x| x.path.clone()).collect::<Vec<_>>();
    assert_eq!(paths(&four), paths(&one));
    assert!(four == one, "same paths, different bytes");
    // Warm: the bodies and sizes from the cache.
    assert!(on(4, &cache) == one, "a warm cache changed the bytes");
}

/// A secret proposal (docs/BALLOT.md) in the state document: its tree for
/// provers (leaves, roots), no votes and no count while it is open; the
/// site renders it.
#[test]
fn a_secret_proposal_shows_its_tree_and_no_count() {
    let mut charter = erkin_core::charter::Charter::default();
    charter.resolution.secret = true;
    let mut f = Fixture::with_charter("Secret", charter);
    f.act(Action::BallotKey(erkin_core::action::BallotKey {
        scheme: erkin_core::ballot::SCHEME.into(),
        commitment: format!("{:064x}", 7),
    }));
    let closes_at = f.time() + 60 + 72 * 3600;
    let id = f.act(Action::Propose(Propose {
        title: "Buy a printer".into(),
        closes_at,
        motion: Motion::Resolution {
            text: "Buy one.".into(),
        },
    }));
    let doc = erkin_views::api::state_document(&f.state);
    let p = doc.proposals.iter().find(|p| p.id == id).unwrap();
    assert!(p.rule.secret());
    let s = p.secret.as_ref().expect("a secret proposal's tree");
    assert_eq!(s.leaves.len(), 1);
    assert_eq!(s.leaves[0].handle, EDITOR);
    assert_eq!(s.leaves[0].commitment, format!("{:064x}", 7));
    assert_eq!(s.roots.len(), 1);
    assert!(s.ballots.is_empty() && p.votes.is_empty() && p.outcome.is_none());
    let json = serde_json::to_string(&doc).unwrap();
    assert!(json.contains("\"roots\":[") && !json.contains("\"ballots\""));
    // An open proposal's document has no `secret` field.
    let open = Fixture::new("Open");
    assert!(
        !serde_json::to_string(&erkin_views::api::state_document(&open.state))
            .unwrap()
            .contains("secret")
    );
    // The proposal's page says it is decided by secret ballot.
    let proposal_page = |f: &Fixture| {
        let files = f.render();
        let page = files
            .iter()
            .find(|x| x.path.ends_with(&format!("coop/p/{id}/index.html")))
            .expect("the proposal's page");
        String::from_utf8_lossy(&page.bytes).into_owned()
    };
    let html = proposal_page(&f);
    assert!(html.contains("By secret ballot."));
    // No member is listed as having voted or not: only that ballots come
    // at the close.
    assert!(!html.contains("did not vote"), "{html}");
    assert!(html.contains("Ballots are secret: they are published only when the vote closes"));

    // Closed by the sequencer at its deadline: the turnout, never who.
    f.advance(closes_at - f.time() - 60);
    f.act_as_log(Action::Close(erkin_core::action::Close {
        proposal: id,
        salts: Vec::new(),
    }));
    let html = proposal_page(&f);
    assert!(
        html.contains("0 of 1 members cast a secret ballot; who did is recorded nowhere."),
        "{html}"
    );
    assert!(!html.contains("did not vote"), "{html}");
}
