//! Markdown to safe HTML.
//!
//! Article bodies come from members' files and, on mirrors, from anywhere: they
//! are untrusted. pulldown-cmark renders CommonMark with tables, footnotes and
//! strikethrough; ammonia then removes everything that could execute or track
//! (scripts, event handlers, `style`, forms, frames, SVG/MathML, `javascript:`
//! and `data:` URLs). Images are loaded only from the copy itself: `blob:<id>`
//! references become relative `blob/<id>` paths, and an image on another host
//! becomes a plain link to it, so a reader's browser never contacts a third
//! party by itself.

use std::collections::HashSet;

use erkin_core::blob::BlobId;
use erkin_core::media::media_extension;
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// A rendered body: its HTML and the images it shows.
pub type Rendered = (String, Vec<MediaRef>);

/// An image an article shows, served at `media/<id>.<ext>` (a typed name, so
/// browsers display it from any host and from `file://`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MediaRef {
    pub id: BlobId,
    pub ext: &'static str,
}

impl MediaRef {
    pub fn path(&self) -> String {
        format!("media/{}.{}", self.id, self.ext)
    }

    /// Parses `blob:<sha256 hex>.<ext>` as written by `erkin import`.
    fn parse(url: &str) -> Option<Self> {
        let (hex, ext) = url.strip_prefix("blob:")?.split_once('.')?;
        let ext = media_extension(ext)?;
        Some(Self {
            id: hex.parse().ok()?,
            ext,
        })
    }
}

/// Renders untrusted Markdown; `root` is the relative path from the page to
/// the copy's root (`../../` for `a/<slug>/`). Returns the HTML and the media
/// it shows, in order of first appearance.
pub fn render(md: &str, root: &str) -> (String, Vec<MediaRef>) {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    // Bound the work a hostile body can cause: HTML tree building is
    // superlinear in nesting depth and in entity-dense text, and pages are
    // rendered when entries land, so one article must not stall a server.
    let (md, truncated) = if md.len() > MAX_RENDER_BYTES {
        let mut cut = MAX_RENDER_BYTES;
        while !md.is_char_boundary(cut) {
            cut -= 1;
        }
        (&md[..cut], true)
    } else {
        (md, false)
    };
    let mut in_remote_image = false;
    let mut media = Vec::new();
    let mut limits = Limits::default();
    let events = Parser::new_ext(md, options)
        .filter_map(|e| limits.admit(e))
        .map(|event| match event {
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                if dest_url.starts_with("blob:") {
                    // A blob reference that is not a well-formed media reference
                    // shows nothing rather than something unexpected.
                    let src = match MediaRef::parse(&dest_url) {
                        Some(m) => {
                            let src = format!("{root}{}", m.path());
                            media.push(m);
                            src
                        }
                        None => String::new(),
                    };
                    Event::Start(Tag::Image {
                        link_type,
                        dest_url: CowStr::from(src),
                        title,
                        id,
                    })
                } else if is_remote(&dest_url) {
                    // Shown as a link the reader may choose to follow.
                    in_remote_image = true;
                    Event::Start(Tag::Link {
                        link_type: LinkType::Inline,
                        dest_url,
                        title,
                        id,
                    })
                } else {
                    Event::Start(Tag::Image {
                        link_type,
                        dest_url,
                        title,
                        id,
                    })
                }
            }
            // A relative link to a folder names its index.html, so the link also
            // works in a copy opened from disk (file:// shows no index pages).
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) if !is_remote(&dest_url) && !dest_url.starts_with('#') => {
                let cut = dest_url.find(['?', '#']).unwrap_or(dest_url.len());
                let (path, rest) = dest_url.split_at(cut);
                let dest_url = if path.ends_with('/') {
                    CowStr::from(format!("{path}index.html{rest}"))
                } else {
                    dest_url.clone()
                };
                Event::Start(Tag::Link {
                    link_type,
                    dest_url,
                    title,
                    id,
                })
            }
            Event::End(TagEnd::Image) if in_remote_image => {
                in_remote_image = false;
                Event::End(TagEnd::Link)
            }
            other => other,
        });
    let mut html = String::with_capacity(md.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    if truncated {
        html.push_str("<p>[…]</p>");
    }
    // In order of first appearance: the first is the article's lead image.
    let mut seen = std::collections::BTreeSet::new();
    media.retain(|m: &MediaRef| seen.insert(m.clone()));
    (sanitizer().clean(&html).to_string(), media)
}

/// Bodies longer than this are shown up to this length.
pub const MAX_RENDER_BYTES: usize = 1 << 20;
/// Nested block containers (quotes, lists, items, footnotes) beyond this depth
/// are flattened.
const MAX_NESTING: usize = 100;
/// Raw HTML tags beyond this count are shown as text.
const MAX_RAW_HTML: usize = 10_000;

#[derive(Default)]
struct Limits {
    /// For each open container: whether its start was passed through.
    open: Vec<bool>,
    depth: usize,
    raw_html: usize,
}

impl Limits {
    fn admit<'a>(&mut self, e: Event<'a>) -> Option<Event<'a>> {
        let container = |t: &Tag| {
            matches!(
                t,
                Tag::BlockQuote(_) | Tag::List(_) | Tag::Item | Tag::FootnoteDefinition(_)
            )
        };
        let container_end = |t: &TagEnd| {
            matches!(
                t,
                TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item | TagEnd::FootnoteDefinition
            )
        };
        match e {
            Event::Start(ref t) if container(t) => {
                let keep = self.depth < MAX_NESTING;
                self.open.push(keep);
                if keep {
                    self.depth += 1;
                    Some(e)
                } else {
                    None
                }
            }
            Event::End(ref t) if container_end(t) => {
                if self.open.pop().unwrap_or(false) {
                    self.depth -= 1;
                    Some(e)
                } else {
                    None
                }
            }
            // One HTML block can hold any number of tags, so count tags, not
            // events; past the limit raw HTML is shown as text.
            Event::Html(h) | Event::InlineHtml(h) => {
                self.raw_html += h.matches('<').count();
                if self.raw_html > MAX_RAW_HTML {
                    Some(Event::Text(h))
                } else {
                    Some(Event::Html(h))
                }
            }
            other => Some(other),
        }
    }
}

/// Whether a URL names another host or any scheme. Browsers ignore ASCII
/// whitespace and control characters inside URLs and treat a backslash as a
/// slash, so those are normalised away first (`/\tracker`, `/<tab>/tracker`).
fn is_remote(url: &str) -> bool {
    let norm: String = url
        .chars()
        .filter(|c| !c.is_ascii_whitespace() && !c.is_ascii_control())
        .map(|c| {
            if c == '\\' {
                '/'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    norm.starts_with("//") || norm.contains(':')
}

/// Whether an image source is one of the copy's own media files:
/// `../` (any number) then `media/<64 hex>.<raster extension>`.
fn is_own_media(src: &str) -> bool {
    let mut rest = src;
    while let Some(r) = rest.strip_prefix("../") {
        rest = r;
    }
    let Some(file) = rest.strip_prefix("media/") else {
        return false;
    };
    let Some((hex, ext)) = file.split_once('.') else {
        return false;
    };
    hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && media_extension(ext) == Some(ext)
}

fn sanitizer() -> ammonia::Builder<'static> {
    let tags: HashSet<&str> = [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "del",
        "div",
        "em",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "section",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    ]
    .into_iter()
    .collect();
    let mut b = ammonia::Builder::default();
    b.tags(tags)
        .clean_content_tags(
            [
                "script", "style", "svg", "math", "iframe", "object", "noscript",
            ]
            .into_iter()
            .collect(),
        )
        .generic_attributes(HashSet::new())
        .tag_attributes(
            [
                ("a", ["href", "title"].into_iter().collect()),
                ("img", ["src", "alt", "title"].into_iter().collect()),
                ("th", ["align"].into_iter().collect()),
                ("td", ["align"].into_iter().collect()),
                ("ol", ["start"].into_iter().collect()),
                ("sup", ["class", "id"].into_iter().collect()),
                ("div", ["class", "id"].into_iter().collect()),
                ("li", ["id"].into_iter().collect()),
            ]
            .into_iter()
            .collect(),
        )
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .url_relative(ammonia::UrlRelative::PassThrough)
        .link_rel(Some("noopener noreferrer nofollow"))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Images only from the copy's own media: never a scheme, a host,
            // or anything else a browser might resolve elsewhere.
            ("img", "src") => is_own_media(value).then(|| value.into()),
            // Only the classes pulldown-cmark gives footnotes, so a body
            // cannot dress itself up as the site's own notices.
            (_, "class") => matches!(
                value,
                "footnote-definition" | "footnote-reference" | "footnote-definition-label"
            )
            .then(|| value.into()),
            _ => Some(value.into()),
        });
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commonmark_tables_and_footnotes() {
        let (html, _) = render(
            "# T\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nx[^1]\n\n[^1]: note\n",
            "../../",
        );
        assert!(html.contains("<table>"), "{html}");
        assert!(html.contains("<sup"), "{html}");
        assert!(html.contains("note"), "{html}");
    }

    #[test]
    fn scripts_and_handlers_are_removed() {
        let (html, _) = render(
            "<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[x](javascript:alert(1)) [y](data:text/html,hi)",
            "",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        // The links survive as text only: no executable or data URL remains.
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(!html.contains("href=\"data"), "{html}");
    }

    #[test]
    fn folder_links_name_their_index() {
        let (html, _) = render(
            "[a](../other/) [b](../other/#x) [c](#top) [d](https://example.org/x/)",
            "",
        );
        assert!(html.contains("href=\"../other/index.html\""), "{html}");
        assert!(html.contains("href=\"../other/index.html#x\""), "{html}");
        assert!(html.contains("href=\"#top\""), "{html}");
        assert!(html.contains("href=\"https://example.org/x/\""), "{html}");
    }

    #[test]
    fn images_only_from_the_copy() {
        let id = "ab".repeat(32);
        let (html, media) = render(
            &format!("![a](blob:{id}.png) ![b](https://tracker.example/p.gif)"),
            "../../",
        );
        assert!(
            html.contains(&format!("src=\"../../media/{id}.png\"")),
            "{html}"
        );
        assert_eq!(media.len(), 1);
        assert!(!html.contains("<img src=\"https://"), "{html}");
        assert!(
            html.contains("href=\"https://tracker.example/p.gif\""),
            "{html}"
        );
    }
}
