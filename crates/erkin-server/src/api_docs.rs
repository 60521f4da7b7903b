//! The JSON API documents (`api/v1/...`), made from the state when asked
//! for, one at a time, rather than all of them at every render; each
//! document is erkin-views' (`erkin_views::api`), so its bytes are those
//! `erkin_views::api::documents` writes (the suite checks every one).

use erkin_core::api::{article_path, ArticleSummary, ProposalDocument, ARTICLES_PATH, STATE_PATH};
use erkin_core::state::State;
use erkin_views::api::{document, json, proposal, state_document, summary};

/// What a JSON API path is.
pub enum Doc<'a> {
    /// The list of every article (grows with the archive).
    List,
    State,
    Article(&'a str),
}

/// The document `path` names (a layout path: `api/v1/...`), if any.
pub fn doc_of(path: &str) -> Option<Doc<'_>> {
    if path == ARTICLES_PATH {
        return Some(Doc::List);
    }
    if path == STATE_PATH {
        return Some(Doc::State);
    }
    let slug = path.strip_prefix(ARTICLES_PATH)?.strip_prefix('/')?;
    (!slug.is_empty() && !slug.contains('/')).then_some(Doc::Article(slug))
}

/// The bytes of the document, as `erkin_views::api::documents` writes
/// them; `None` for an article the state does not have, and for the list
/// (which grows with the archive, so it is never made whole: see
/// [`list_items`]).
pub fn bytes(state: &State, doc: &Doc<'_>) -> Option<Vec<u8>> {
    match doc {
        // Streamed a batch at a time: `list_items`.
        Doc::List => None,
        Doc::State => Some(json(&state_document(state))),
        Doc::Article(slug) => {
            // Decoded for this answer alone: readers walking the archive
            // leave the server's state as it was.
            let a = state.article_uncached(slug)?;
            debug_assert_eq!(article_path(&a.slug), format!("{ARTICLES_PATH}/{slug}"));
            Some(json(&document(state, &a)))
        }
    }
}

/// The whole-archive list, written a batch of articles at a time: the
/// bytes of `serde_json::to_vec_pretty(&ArticleList { .. })` and a final
/// newline, as erkin-views writes them, without the list in memory. It
/// begins with [`LIST_HEAD`], then each article's item ([`list_items`]),
/// then [`LIST_TAIL`]; with no article it is [`LIST_EMPTY`].
pub const LIST_HEAD: &[u8] = b"{\n  \"articles\": [\n";
pub const LIST_TAIL: &[u8] = b"\n  ]\n}\n";
pub const LIST_EMPTY: &[u8] = b"{\n  \"articles\": []\n}\n";

/// The items of the articles `skip..skip + take` (in the state's order,
/// the list's), each preceded by `,\n` unless it is the very first.
pub fn list_items(state: &State, skip: usize, take: usize) -> Vec<u8> {
    let mut out = Vec::new();
    // By the listings: the articles skipped are not decoded, and those
    // listed are decoded for this batch alone (a reader walking the list
    // leaves the server's state as it was).
    let page = state
        .listings()
        .skip(skip)
        .take(take)
        .filter_map(|l| state.article_uncached(l.slug));
    for (i, a) in page.enumerate() {
        if skip + i > 0 {
            out.extend_from_slice(b",\n");
        }
        item(&mut out, &summary(state, &a));
    }
    out
}

/// One summary as an item of the pretty-printed list: its own pretty JSON
/// with every line indented by four spaces (JSON strings hold no raw
/// newline, so every line break is the printer's).
fn item(out: &mut Vec<u8>, s: &ArticleSummary) {
    let pretty = serde_json::to_vec_pretty(s).unwrap_or_default();
    for (i, line) in pretty.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
        }
        out.extend_from_slice(b"    ");
        out.extend_from_slice(line);
    }
}

/// The proposals of the state document, without the rest (the desk's).
pub(crate) fn proposals(state: &State) -> Vec<ProposalDocument> {
    state.proposals().map(|p| proposal(state, p)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use erkin_core::api::ArticleList;

    fn summary(n: usize) -> ArticleSummary {
        ArticleSummary {
            slug: format!("story-{n}"),
            lang: "kk".into(),
            title: format!("Title \"{n}\"\nwith a newline"),
            summary: String::new(),
            authors: vec!["aigerim".into(), "dauren".into()],
            bylines: vec![],
            tags: vec!["tag".into()],
            published: 1_790_000_000 + n as u64,
            updated: n.is_multiple_of(2).then_some(1_790_000_100),
            retracted: false,
            redacted: n == 2,
            url: format!("a/story-{n}/"),
        }
    }

    #[test]
    fn the_list_written_in_pieces_is_the_pretty_printed_list() {
        let empty = json(&ArticleList { articles: vec![] });
        assert_eq!(empty, LIST_EMPTY);
        for n in 1..4 {
            let articles: Vec<_> = (0..n).map(summary).collect();
            let whole = json(&ArticleList {
                articles: articles.clone(),
            });
            let mut pieces = LIST_HEAD.to_vec();
            for (i, a) in articles.iter().enumerate() {
                if i > 0 {
                    pieces.extend_from_slice(b",\n");
                }
                item(&mut pieces, a);
            }
            pieces.extend_from_slice(LIST_TAIL);
            assert_eq!(
                String::from_utf8(pieces).unwrap(),
                String::from_utf8(whole).unwrap()
            );
        }
    }
}
