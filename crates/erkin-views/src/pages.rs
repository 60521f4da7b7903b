//! The HTML pages.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use erkin_core::action::Motion;
use erkin_core::article::Article;
use erkin_core::governance::Judged;
use erkin_core::state::State;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use crate::i18n::{words, Words};
use crate::{BlobReader, File, SiteConfig};

/// Newest first, at most this many on a front page.
const FRONT_PAGE_ARTICLES: usize = 30;

pub fn render(
    state: &State,
    blobs: &BlobReader,
    config: &SiteConfig,
    cache: &crate::BodyCache,
) -> Vec<File> {
    let mut used = std::collections::HashSet::new();
    let mut translation_groups: BTreeMap<&str, Vec<&Article>> = BTreeMap::new();
    for a in state.articles() {
        let original = a.translation_of.as_deref().unwrap_or(&a.slug);
        translation_groups.entry(original).or_default().push(a);
    }
    let site = Site {
        state,
        config,
        translation_groups,
    };
    let mut files = Vec::new();
    let mut newest: Vec<&Article> = state.articles().collect();
    newest.sort_by(|a, b| {
        b.published_at()
            .cmp(&a.published_at())
            .then(a.slug.cmp(&b.slug))
    });
    let default_lang = state
        .charter()
        .languages
        .first()
        .map_or("en", String::as_str);

    files.push(page(
        "index.html",
        site.front(&newest, default_lang, None, ""),
    ));
    for lang in &state.charter().languages {
        let path = format!("{lang}/index.html");
        files.push(page(&path, site.front(&newest, lang, Some(lang), "../")));
    }
    let mut media = Vec::new();
    // A redacted body may still be in the cache: never show it.
    let redacted_blobs = state.redacted_blobs();
    for a in &newest {
        let redacted =
            state.redacted().contains(&a.slug) || redacted_blobs.contains(&a.current().body);
        let body = if redacted {
            None
        } else {
            cache
                .get_or_render(&a.current().body, blobs, &mut used)
                .map(|(html, refs)| {
                    // Only media the revision declares, so a body cannot pull in
                    // an arbitrary blob of the copy as an image.
                    media.extend(
                        refs.into_iter()
                            .filter(|m| a.current().media.contains(&m.id)),
                    );
                    html
                })
        };
        files.push(page(
            &format!("a/{}/index.html", a.slug),
            site.article(a, body),
        ));
        // A history page only where there is history: a single revision is
        // fully described on the article page (log index, entry hash).
        if a.revisions.len() > 1 {
            files.push(page(
                &format!("a/{}/history/index.html", a.slug),
                site.history(a),
            ));
        }
    }
    let mut by_tag: BTreeMap<&str, Vec<&Article>> = BTreeMap::new();
    let mut by_author: BTreeMap<&str, Vec<&Article>> = BTreeMap::new();
    for a in &newest {
        for t in &a.tags {
            by_tag.entry(t).or_default().push(a);
        }
        for h in &a.authors {
            by_author.entry(h).or_default().push(a);
        }
    }
    for (tag, list) in by_tag {
        files.push(page(
            &format!("tag/{tag}/index.html"),
            site.listing(&format!("#{tag}"), &list, default_lang),
        ));
    }
    for (handle, list) in by_author {
        files.push(page(
            &format!("author/{handle}/index.html"),
            site.listing(handle, &list, default_lang),
        ));
    }
    cache.keep_only(&used);
    media.sort();
    media.dedup();
    for m in media {
        if redacted_blobs.contains(&m.id) {
            continue;
        }
        if let Some(bytes) = blobs(&m.id) {
            files.push(File {
                path: m.path(),
                bytes,
            });
        }
    }
    files.push(page("coop/index.html", site.coop(default_lang)));
    files.push(page("mirrors/index.html", site.mirrors(default_lang)));
    files.push(File {
        path: "mirrors/key.svg".into(),
        bytes: qr_svg(state.log_key().as_str()).into_bytes(),
    });
    files
}

fn page(path: &str, markup: Markup) -> File {
    File {
        path: path.to_string(),
        bytes: markup.into_string().into_bytes(),
    }
}

/// An RFC 3339 time in UTC to the second (`2026-10-05T09:00:00Z`): the
/// machine-readable form of pages and feeds alike.
pub(crate) fn rfc3339(t: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(t)).to_string()
}

/// "2026-10-05 09:00 UTC": unambiguous in every language.
fn human_time(t: u64) -> String {
    let s = rfc3339(t);
    format!("{} {} UTC", &s[..10], &s[11..16])
}

fn qr_svg(text: &str) -> String {
    match qrcode::QrCode::new(text.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(_) => String::from("<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
    }
}

struct Site<'a> {
    state: &'a State,
    config: &'a SiteConfig,
    /// Articles by the slug of the original they translate (an original
    /// under its own slug): built once, so finding an article's
    /// translations is a lookup, not a scan of the archive per page.
    translation_groups: BTreeMap<&'a str, Vec<&'a Article>>,
}

struct Head<'a> {
    title: String,
    description: &'a str,
    lang: &'a str,
    /// Relative path to the site root from this page.
    root: &'a str,
    /// Absolute canonical URL.
    canonical: String,
    alternates: Vec<(String, String)>,
    extra: Markup,
}

impl Site<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url)
    }

    fn shell(&self, head: Head, body: Markup) -> Markup {
        let w = words(head.lang);
        let root = head.root;
        html! {
            (DOCTYPE)
            html lang=(head.lang) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'";
                    title { (head.title) }
                    @if !head.description.is_empty() { meta name="description" content=(head.description); }
                    link rel="stylesheet" href={ (root) "style.css" };
                    link rel="canonical" href=(head.canonical);
                    @for (lang, href) in &head.alternates { link rel="alternate" hreflang=(lang) href=(href); }
                    link rel="alternate" type="application/atom+xml" title=(self.state.name()) href={ (root) "feed.atom" };
                    (head.extra)
                }
                body {
                    header.site {
                        a.name href={ (root) "index.html" } { (self.state.name()) }
                        nav.site {
                            @for lang in &self.state.charter().languages {
                                a href={ (root) (lang) "/index.html" } lang=(lang) { (words(lang).name) }
                            }
                            a href={ (root) "coop/index.html" } { (w.coop) }
                            a href={ (root) "mirrors/index.html" } { (w.mirrors) }
                            a href={ (root) (head.lang) "/feed.atom" } { (w.feed) }
                        }
                    }
                    main { (body) }
                    footer.site { p { (w.verify_note) " " a href={ (root) "mirrors/index.html" } { (w.mirrors) } } }
                }
            }
        }
    }

    fn article_item(&self, a: &Article, root: &str) -> Markup {
        let r = a.current();
        html! {
            li lang=(a.lang) {
                h2 { a href={ (root) "a/" (a.slug) "/index.html" } { (r.title) } }
                @if !r.summary.is_empty() { p { (r.summary) } }
                p.meta { time datetime=(rfc3339(a.published_at())) { (human_time(a.published_at())) } }
            }
        }
    }

    fn front(&self, newest: &[&Article], lang: &str, only: Option<&str>, root: &str) -> Markup {
        let w = words(lang);
        let list: Vec<&&Article> = newest
            .iter()
            .filter(|a| only.is_none_or(|l| a.lang == l))
            .take(FRONT_PAGE_ARTICLES)
            .collect();
        let path = only.map_or(String::new(), |l| format!("{l}/"));
        let head = Head {
            title: format!("{} — {}", self.state.name(), w.latest),
            description: "",
            lang,
            root,
            canonical: self.url(&path),
            alternates: Vec::new(),
            extra: html! {},
        };
        self.shell(
            head,
            html! {
                h1 { (w.latest) }
                @if list.is_empty() { p { (w.no_articles) } }
                ul.list { @for a in list { (self.article_item(a, root)) } }
            },
        )
    }

    fn listing(&self, title: &str, list: &[&Article], lang: &str) -> Markup {
        let root = "../../";
        let head = Head {
            title: format!("{title} — {}", self.state.name()),
            description: "",
            lang,
            root,
            canonical: self.url(""),
            alternates: Vec::new(),
            extra: html! {},
        };
        self.shell(
            head,
            html! {
                h1 { (title) }
                ul.list { @for a in list { (self.article_item(a, root)) } }
            },
        )
    }

    /// The article's translations (including itself), by language.
    fn translations(&self, a: &Article) -> Vec<&Article> {
        let original = a.translation_of.as_deref().unwrap_or(&a.slug);
        let mut out = self
            .translation_groups
            .get(original)
            .cloned()
            .unwrap_or_default();
        // The original itself, should it be filed as a translation of another.
        if let Some(o) = self.state.article(original) {
            if o.translation_of.is_some() && !out.iter().any(|b| b.slug == o.slug) {
                out.push(o);
            }
        }
        out.sort_by(|x, y| x.lang.cmp(&y.lang));
        out
    }

    fn article(&self, a: &Article, body: Option<String>) -> Markup {
        let w = words(&a.lang);
        let root = "../../";
        let r = a.current();
        let retracted = self.state.retracted().contains(&a.slug);
        let redacted = self.state.redacted().contains(&a.slug);
        let translations = self.translations(a);
        let alternates: Vec<(String, String)> = if translations.len() > 1 {
            translations
                .iter()
                .map(|t| (t.lang.clone(), self.url(&format!("a/{}/", t.slug))))
                .collect()
        } else {
            Vec::new()
        };
        let names: Vec<&str> = a
            .authors
            .iter()
            .chain(&a.bylines)
            .map(String::as_str)
            .collect();
        let corrections: Vec<_> = a
            .revisions
            .iter()
            .filter_map(|r| r.correction.as_ref().map(|c| (r, c)))
            .collect();
        let json_ld = serde_json::json!({
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": r.title,
            "description": r.summary,
            "inLanguage": a.lang,
            "datePublished": rfc3339(a.published_at()),
            "dateModified": rfc3339(a.updated_at().unwrap_or(a.published_at())),
            "author": names.iter().map(|n| serde_json::json!({"@type": "Person", "name": n})).collect::<Vec<_>>(),
            "publisher": {"@type": "NewsMediaOrganization", "name": self.state.name()},
            "mainEntityOfPage": self.url(&format!("a/{}/", a.slug)),
            "correction": corrections.iter().map(|(r, c)| serde_json::json!({
                "@type": "CorrectionComment", "text": c.note, "datePublished": rfc3339(r.time)
            })).collect::<Vec<_>>(),
        });
        // Inside a script element the HTML parser looks for `</script>` and
        // `<!--`: escaping `<`, `>` and `&` as JSON \\u escapes (they only occur
        // inside strings) keeps any text from ending or hiding the element.
        let json_ld = json_ld
            .to_string()
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026");
        let head = Head {
            title: format!("{} — {}", r.title, self.state.name()),
            description: &r.summary,
            lang: &a.lang,
            root,
            canonical: self.url(&format!("a/{}/", a.slug)),
            alternates,
            extra: html! {
                meta property="og:type" content="article";
                meta property="og:title" content=(r.title);
                meta property="og:description" content=(r.summary);
                meta property="og:url" content=(self.url(&format!("a/{}/", a.slug)));
                meta property="og:site_name" content=(self.state.name());
                script type="application/ld+json" { (PreEscaped(json_ld)) }
            },
        };
        self.shell(head, html! {
            article lang=(a.lang) {
                @if retracted { p.notice.alert { strong { (w.retracted) ". " } (w.retracted_note) " " (self.decision_link(&a.slug, root)) } }
                @for (rev, c) in corrections.iter().filter(|(_, c)| c.major) {
                    p.notice { strong { (w.correction) " (" (human_time(rev.time)) "): " } (c.note) }
                }
                h1 { (r.title) }
                p.meta {
                    @if !names.is_empty() {
                        (w.by) " "
                        @for (i, h) in a.authors.iter().enumerate() {
                            @if i > 0 { ", " }
                            a href={ (root) "author/" (h) "/index.html" } { (h) }
                        }
                        @for (i, b) in a.bylines.iter().enumerate() {
                            @if i > 0 || !a.authors.is_empty() { ", " }
                            (b)
                        }
                        " · "
                    }
                    (w.published) " " time datetime=(rfc3339(a.published_at())) { (human_time(a.published_at())) }
                    @if let Some(u) = a.updated_at() { " · " (w.updated) " " time datetime=(rfc3339(u)) { (human_time(u)) } }
                }
                @match (&body, redacted) {
                    (_, true) => p.notice.alert { strong { (w.redacted) ". " } (w.redacted_note) " " (self.decision_link(&a.slug, root)) },
                    (Some(html), false) => div.body { (PreEscaped(html)) },
                    (None, false) => p.notice.alert { (w.redacted_note) },
                }
                @let minor: Vec<_> = corrections.iter().filter(|(_, c)| !c.major).collect();
                @if !minor.is_empty() {
                    section.corrections {
                        h2 { (w.corrections) }
                        @for (rev, c) in minor { p { (human_time(rev.time)) ": " (c.note) } }
                    }
                }
                @if translations.len() > 1 {
                    p { (w.in_other_languages) ": "
                        @for t in translations.iter().filter(|t| t.slug != a.slug) {
                            a href={ (root) "a/" (t.slug) "/index.html" } hreflang=(t.lang) lang=(t.lang) { (t.current().title) } " "
                        }
                    }
                }
                @if !a.tags.is_empty() {
                    p.meta { (w.tags) ": "
                        @for t in &a.tags { a href={ (root) "tag/" (t) "/index.html" } { "#" (t) } " " }
                    }
                }
                p.meta {
                    (w.log_entry) " #" (r.index) " · " span.key { (r.entry_hash) }
                    @if a.revisions.len() > 1 { " · " a href="history/index.html" { (w.history) } }
                }
            }
        })
    }

    fn decision_link(&self, slug: &str, root: &str) -> Markup {
        let decision = self.state.proposals().find(|p| {
            p.outcome.as_ref().is_some_and(|o| o.passed)
                && match &p.motion {
                    Motion::Retract { article, .. } => article == slug,
                    Motion::Redact { target, .. } => target == slug,
                    _ => false,
                }
        });
        match decision {
            Some(p) => {
                html! { a href={ (root) "coop/index.html#p" (p.id) } { "#" (p.id) " " (p.title) } }
            }
            None => html! {},
        }
    }

    fn history(&self, a: &Article) -> Markup {
        let w = words(&a.lang);
        let root = "../../../";
        let head = Head {
            title: format!("{} — {}", w.history, a.current().title),
            description: "",
            lang: &a.lang,
            root,
            canonical: self.url(&format!("a/{}/history/", a.slug)),
            alternates: Vec::new(),
            extra: html! {},
        };
        self.shell(head, html! {
            h1 { (w.history) ": " a href="../index.html" { (a.current().title) } }
            ol {
                @for r in &a.revisions {
                    li {
                        strong { (w.revision) " · " (human_time(r.time)) } " · " (r.editor)
                        @if let Some(c) = &r.correction { p { (w.correction) ": " (c.note) } }
                        p { (r.title) }
                        p.meta { (w.log_entry) " #" (r.index) " · " span.key { (r.entry_hash) }
                            // A redacted body is gone from every copy: no link to it.
                            @if !self.state.redacted_blobs().contains(&r.body) {
                                " · blob " a href={ (root) "blob/" (r.body) } { span.key { (r.body) } }
                            }
                        }
                    }
                }
            }
        })
    }

    fn coop(&self, lang: &str) -> Markup {
        let w: &Words = words(lang);
        let root = "../";
        let s = self.state;
        let c = s.charter();
        let head = Head {
            title: format!("{} — {}", w.coop, s.name()),
            description: "",
            lang,
            root,
            canonical: self.url("coop/"),
            alternates: Vec::new(),
            extra: html! {},
        };
        let mut proposals: Vec<_> = s.proposals().collect();
        proposals.sort_by_key(|p| std::cmp::Reverse(p.id));
        self.shell(head, html! {
            h1 { (w.coop) }
            h2 { (w.members) }
            ul { @for m in s.members() { li { (m.handle) } } }
            h2 { (w.board) }
            ul { @for seat in s.board() { li { (seat.handle) " — " (w.until) " " (human_time(seat.until)) } } }
            h2 { (w.decisions) }
            @for p in proposals {
                section id={ "p" (p.id) } {
                    h3 { "#" (p.id) " " (p.title) }
                    p.meta { (w.motion(&p.motion)) " · " (w.proposed_by) ": " (p.proposer) " · " (w.closes) ": " (human_time(p.closes_at)) }
                    @let changes = p.charter_changes();
                    @if !changes.is_empty() {
                        ul.changes { @for c in &changes { li { (w.charter_change(c)) } } }
                    }
                    @match &p.outcome {
                        None => p { (w.open) ": " (p.votes.len()) " / " (p.electorate.len()) },
                        Some(o) => p {
                            strong { @if o.passed { (w.passed) } @else { (w.failed) } } ": "
                            (w.tally(&o.tally)) ". " (w.effect(&o.effect)) "."
                        },
                    }
                    @if let Judged::Vote(rule) = p.rule { p.meta { (w.rule) ": " (w.threshold(&rule.threshold)) "; " (w.quorum(rule.quorum)) "." } }
                }
            }
            h2 { (w.charter) }
            p { (w.one_member_one_vote) }
            ul {
                @for (what, rule) in w.decision_kinds.iter().zip([&c.admit, &c.remove, &c.amend, &c.retract, &c.redact, &c.resolution]) {
                    li { strong { (what) } ": " (w.rule_in_full(rule)) }
                }
                li { strong { (w.elect_board) } ": " (w.election_in_full(c)) }
            }
        })
    }

    fn mirrors(&self, lang: &str) -> Markup {
        let w = words(lang);
        let root = "../";
        let key = self.state.log_key().as_str();
        let head = Head {
            title: format!("{} — {}", w.mirrors, self.state.name()),
            description: "",
            lang,
            root,
            canonical: self.url("mirrors/"),
            alternates: Vec::new(),
            extra: html! {},
        };
        self.shell(
            head,
            html! {
                h1 { (w.mirrors) }
                p { (w.verify_note) }
                h2 { (w.publication_key) }
                p.key { (key) }
                img.qr src="key.svg" alt=(key);
                h2 { (w.check_copy) }
                pre { code { "erkin verify COPY --key " (key) } }
                h2 { (w.make_mirror) }
                p { (w.make_mirror_text) }
            },
        )
    }
}
