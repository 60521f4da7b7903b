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
use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// Image formats an article may carry. Raster only: an SVG is a document that
/// can run script when opened directly, and static hosts cannot be relied on
/// to send the headers that would stop it.
pub const MEDIA_EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "gif", "webp"];

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
        let ext = MEDIA_EXTENSIONS
            .iter()
            .find(|e| e.eq_ignore_ascii_case(ext))?;
        Some(Self {
            id: hex.parse().ok()?,
            ext,
        })
    }
}

/// Renders untrusted Markdown; `root` is the relative path from the page to
/// the copy's root (`../../` for `a/<slug>/`). Returns the HTML and the media
/// it shows.
pub fn render(md: &str, root: &str) -> (String, Vec<MediaRef>) {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_STRIKETHROUGH;
    let mut in_remote_image = false;
    let mut media = Vec::new();
    let events = Parser::new_ext(md, options).map(|event| match event {
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
    media.sort();
    media.dedup();
    (sanitizer().clean(&html).to_string(), media)
}

fn is_remote(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("//") || lower.contains(':')
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
        .attribute_filter(|element, attribute, value| {
            // Images only from the copy itself: relative paths, never a
            // scheme or a protocol-relative host (a tracking pixel).
            if element == "img" && attribute == "src" && is_remote(value) {
                return None;
            }
            Some(value.into())
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
