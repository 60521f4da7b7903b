//! Atom feeds (RFC 4287) and the sitemap. These formats need absolute URLs,
//! taken from the configured base URL.

use erkin_core::articles::Listing;
use erkin_core::state::State;

use crate::dates::rfc3339;
use crate::pick::Pick;
use crate::{File, SiteConfig};

pub(crate) const FEED_ENTRIES: usize = 50;

/// Escapes text for XML content and attribute values.
fn x(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids never reach a feed.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

/// Articles in one sitemap shard: fixed chunks counted from the oldest
/// article, like the lists' numbered pages, so a new article rewrites only
/// the newest shard and the index (well under the protocol's 50,000 URLs
/// and 50 MB a file).
pub const SITEMAP_SHARD: usize = 1000;

/// What the feeds and the sitemap are made of, gathered with the site's
/// lists (see `pages::Gathered`): nothing here walks the archive again.
pub(crate) struct Lists<'x, 'l, 'a> {
    /// Every article, newest first: its newest `len` of them.
    pub(crate) newest: &'x [&'l Listing<'a>],
    pub(crate) len: usize,
    /// Their last change (the feed's `updated`).
    pub(crate) updated: u64,
    /// Each charter language's articles, newest first, and their last
    /// change, in the charter's order.
    pub(crate) languages: Vec<(&'x [&'l Listing<'a>], u64)>,
    /// Where in `newest` the articles `pick` names are.
    pub(crate) touched: &'x [usize],
}

/// The feeds and the sitemap `pick` names, from `lists`, handed to `sink`.
pub(crate) fn render(
    state: &State,
    config: &SiteConfig,
    lists: &Lists,
    pick: &Pick,
    sink: &mut dyn FnMut(File),
) {
    if !pick.all && pick.listed.is_empty() {
        return;
    }
    let newest = lists.newest;
    sink(File {
        path: "feed.atom".into(),
        bytes: feed(state, config, newest, lists.updated, None).into_bytes(),
    });
    for (lang, (list, updated)) in state.charter().languages.iter().zip(&lists.languages) {
        sink(File {
            path: format!("{lang}/feed.atom"),
            bytes: feed(state, config, list, *updated, Some(lang)).into_bytes(),
        });
    }
    let len = lists.len;
    let shards = len.div_ceil(SITEMAP_SHARD);
    let mut due = std::collections::BTreeSet::new();
    if pick.all {
        due.extend(1..=shards);
        sink(File {
            path: "sitemap/pages.xml".into(),
            bytes: sitemap_pages(state, config).into_bytes(),
        });
    } else {
        for &i in lists.touched {
            let n = (len - 1 - i) / SITEMAP_SHARD + 1;
            due.insert(n);
            if pick.published.contains(newest[i].slug) {
                due.extend(n..=shards);
            }
        }
    }
    sink(File {
        path: "sitemap.xml".into(),
        bytes: sitemap_index(config, shards).into_bytes(),
    });
    for n in due {
        // Oldest first within the shard, as counted.
        let start = len.saturating_sub(n * SITEMAP_SHARD);
        let end = len - (n - 1) * SITEMAP_SHARD;
        sink(File {
            path: sitemap_shard_path(n),
            bytes: sitemap_shard(config, &newest[start..end]).into_bytes(),
        });
    }
}

/// The `n`th (from 1) shard of the articles' sitemap.
fn sitemap_shard_path(n: usize) -> String {
    format!("sitemap/{n}.xml")
}

/// A feed of `articles` (newest first); `updated`: their last change
/// (their revisions', not any decision's), never the build time, so the
/// same log renders the same feed.
fn feed(
    state: &State,
    config: &SiteConfig,
    articles: &[&Listing],
    updated: u64,
    lang: Option<&str>,
) -> String {
    let base = &config.base_url;
    let self_path = lang.map_or("feed.atom".to_string(), |l| format!("{l}/feed.atom"));
    let mut out = String::new();
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    out.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\"{}>\n",
        lang.map_or(String::new(), |l| format!(" xml:lang=\"{}\"", x(l)))
    ));
    out.push_str(&format!("<title>{}</title>\n", x(state.name())));
    out.push_str(&format!("<id>{}</id>\n", x(&format!("{base}{self_path}"))));
    out.push_str(&format!("<updated>{}</updated>\n", rfc3339(updated)));
    out.push_str(&format!(
        "<link rel=\"self\" href=\"{}\"/>\n",
        x(&format!("{base}{self_path}"))
    ));
    let home = lang.map_or(base.to_string(), |l| format!("{base}{l}/"));
    out.push_str(&format!(
        "<link rel=\"alternate\" href=\"{}\"/>\n",
        x(&home)
    ));
    // Only the entries shown are decoded.
    for a in articles
        .iter()
        .take(FEED_ENTRIES)
        .filter_map(|l| state.article(l.slug))
    {
        let r = a.current();
        let url = format!("{base}a/{}/", a.slug);
        out.push_str(&format!("<entry xml:lang=\"{}\">\n", x(&a.lang)));
        // A retracted article stays in the feed, marked, so readers who saw
        // it learn of the retraction; a redacted one keeps only its notice.
        let title = if state.redacted().contains(&a.slug) {
            crate::i18n::words(&a.lang).redacted.to_string()
        } else if state.retracted().contains(&a.slug) {
            format!("{}: {}", crate::i18n::words(&a.lang).retracted, r.title)
        } else {
            r.title.clone()
        };
        out.push_str(&format!("<title>{}</title>\n", x(&title)));
        out.push_str(&format!("<id>{}</id>\n", x(&url)));
        out.push_str(&format!("<link rel=\"alternate\" href=\"{}\"/>\n", x(&url)));
        out.push_str(&format!(
            "<published>{}</published>\n",
            rfc3339(a.published_at())
        ));
        out.push_str(&format!(
            "<updated>{}</updated>\n",
            rfc3339(last_change(state, &Listing::of(a)))
        ));
        for name in a.authors.iter().chain(&a.bylines) {
            out.push_str(&format!("<author><name>{}</name></author>\n", x(name)));
        }
        if !r.summary.is_empty() && !state.redacted().contains(&a.slug) {
            out.push_str(&format!("<summary>{}</summary>\n", x(&r.summary)));
        }
        out.push_str("</entry>\n");
    }
    out.push_str("</feed>\n");
    out
}

/// When an article last changed for readers: its last revision, or the
/// decision that retracted or redacted it.
fn last_change(state: &State, a: &Listing) -> u64 {
    let revised = a.updated_at.unwrap_or(a.published_at);
    let decided = state
        .proposals()
        .filter_map(|p| {
            let o = p.outcome.as_ref().filter(|o| o.passed)?;
            match &p.motion {
                erkin_core::action::Motion::Retract { article, .. } if *article == a.slug => {
                    Some(o.closed_at)
                }
                erkin_core::action::Motion::Redact { target, .. } if *target == a.slug => {
                    Some(o.closed_at)
                }
                _ => None,
            }
        })
        .max()
        .unwrap_or(0);
    revised.max(decided)
}

/// `sitemap.xml`: the sitemap index (sitemaps.org), naming the site's
/// fixed pages' sitemap and each shard of the articles', oldest first. No
/// `lastmod`: the index changes only when a shard is added.
fn sitemap_index(config: &SiteConfig, shards: usize) -> String {
    let base = &config.base_url;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let paths = std::iter::once("sitemap/pages.xml".to_string())
        .chain((1..=shards).map(sitemap_shard_path));
    for path in paths {
        out.push_str(&format!(
            "<sitemap><loc>{}</loc></sitemap>\n",
            x(&format!("{base}{path}"))
        ));
    }
    out.push_str("</sitemapindex>\n");
    out
}

/// The site's fixed pages: the front pages, the cooperative and the
/// mirrors in each language.
fn sitemap_pages(state: &State, config: &SiteConfig) -> String {
    let base = &config.base_url;
    let mut out = String::from(URLSET);
    out.push_str(&format!("<url><loc>{}</loc></url>\n", x(base)));
    for lang in &state.charter().languages {
        out.push_str(&format!(
            "<url><loc>{}</loc></url>\n",
            x(&format!("{base}{lang}/"))
        ));
    }
    // The cooperative and the mirrors live in each language's section.
    for lang in &state.charter().languages {
        for page in ["coop/", "mirrors/"] {
            out.push_str(&format!(
                "<url><loc>{}</loc></url>\n",
                x(&format!("{base}{lang}/{page}"))
            ));
        }
    }
    out.push_str("</urlset>\n");
    out
}

const URLSET: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";

/// One shard of the articles' sitemap: `articles` newest first, written
/// oldest first.
fn sitemap_shard(config: &SiteConfig, articles: &[&Listing]) -> String {
    let base = &config.base_url;
    let mut out = String::from(URLSET);
    for a in articles.iter().rev() {
        // lastmod is the article's own last change, never the build time.
        out.push_str(&format!(
            "<url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            x(&format!("{base}a/{}/", a.slug)),
            rfc3339(a.updated_at.unwrap_or(a.published_at))
        ));
    }
    out.push_str("</urlset>\n");
    out
}
