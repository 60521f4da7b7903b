//! A render of new articles from the stored lists ([`erkin_core::lists`]):
//! what the pages due need of the archive — each list's newest items, its
//! length, the months' counts, the front pages' tags — asked of the lists
//! rather than found by reading every article. The pages are the same,
//! byte for byte, as a render from every article (`pages::render` makes
//! both from what is gathered here or there).
//!
//! Only for a run of entries that publishes articles (and moves the
//! clock): a correction, a retraction, a redaction, anything of the
//! cooperative or a charter amendment is rendered from every article. A
//! new article is usually the newest of every list it joins, so the pages
//! due show the lists' newest items; where they would show more than
//! [`MOST_ITEMS`] of a list (an article dated far back), the render is
//! made from every article too.

use std::collections::{BTreeMap, BTreeSet};

use erkin_core::articles::Listing;
use erkin_core::blob::BlobId;
use erkin_core::lists::{ListKey, ListKind, Lists, Query, Wanted, Window};
use erkin_core::state::State;

use crate::pick::{Paging, Pick, FRONT_SECTIONS, FRONT_SECTION_ITEMS, PER_PAGE};

/// The most items of one list a render from the lists reads.
const MOST_ITEMS: usize = 8192;
/// Items of a section's list read beyond its pages': its feed (the root's
/// newest sitemap shard is asked for once its length is known).
const LANG_EXTRA: usize = crate::feeds::FEED_ENTRIES;

/// One list as the render uses it: its newest items (slugs) and length.
pub(crate) struct Part<'x> {
    pub(crate) items: Vec<&'x str>,
    /// Each item's time.
    pub(crate) times: Vec<u64>,
    pub(crate) len: usize,
}

impl<'x> Part<'x> {
    fn of(w: &'x Window) -> Self {
        Part {
            items: w.items.iter().map(|(_, s)| s.as_str()).collect(),
            times: w.items.iter().map(|(at, _)| *at).collect(),
            len: w.len,
        }
    }
}

/// One column's share (the root's, or a language's).
#[derive(Default)]
pub(crate) struct Column<'x> {
    /// Its articles, newest first (as many as its pages and feed show).
    pub(crate) list: Option<Part<'x>>,
    /// Its articles' last change.
    pub(crate) updated: u64,
    /// Every month's count: where its front page is due.
    pub(crate) months: BTreeMap<String, usize>,
    /// Its most used tags, their counts and newest articles.
    pub(crate) top_tags: Vec<(&'x str, usize, Vec<&'x str>)>,
    /// The lists due of its tags and authors.
    pub(crate) tags: BTreeMap<&'x str, Part<'x>>,
    pub(crate) authors: BTreeMap<&'x str, Part<'x>>,
}

/// What a render from the lists needs, found.
pub(crate) struct Gathered<'x> {
    /// The new articles, by slug.
    pub(crate) published: Vec<&'x str>,
    /// The articles whose pages are due, by slug.
    pub(crate) to_render: Vec<&'x str>,
    /// Their translation groups (see `pages::translation_groups`).
    pub(crate) groups: BTreeMap<&'x str, Vec<&'x str>>,
    /// Per medium their bodies name: the articles showing it, by slug.
    pub(crate) media_users: BTreeMap<BlobId, Vec<&'x str>>,
    /// Per column (root, then each charter language by its place).
    pub(crate) columns: Vec<Column<'x>>,
}

impl<'x> Gathered<'x> {
    /// Every article the render shows, by slug (some twice).
    pub(crate) fn slugs(&self) -> impl Iterator<Item = &'x str> + '_ {
        let columns = self.columns.iter().flat_map(|c| {
            c.list
                .iter()
                .chain(c.tags.values())
                .chain(c.authors.values())
                .flat_map(|p| p.items.iter().copied())
                .chain(c.top_tags.iter().flat_map(|(_, _, i)| i.iter().copied()))
        });
        self.to_render
            .iter()
            .copied()
            .chain(self.groups.values().flatten().copied())
            .chain(columns)
    }
}

/// Whether the lists can make the render `pick` names: new articles only.
pub(crate) fn suits(changes: &erkin_core::changes::Changes) -> bool {
    !changes.everything
        && !changes.governance
        && changes.altered.is_empty()
        && !changes.published.is_empty()
}

/// The questions asked, and the articles to know, while gathering.
struct Ask<'a, 'h> {
    state: &'a State,
    have: &'h Lists,
    queries: Vec<Query>,
    fetch: Vec<String>,
    /// A list's pages due show more than [`MOST_ITEMS`] of it: nothing
    /// more is asked (or fetched), the render is made from every article.
    too_long: bool,
}

impl<'a, 'h> Ask<'a, 'h> {
    fn newest(&mut self, key: ListKey, n: usize) -> Option<&'h Window> {
        let q = Query::Newest { key, n };
        if self.have.has(&q) {
            let Query::Newest { key, .. } = &q else {
                return None;
            };
            return self.have.windows.get(key);
        }
        self.queries.push(q);
        None
    }

    fn names(&mut self, kind: ListKind, lang: &str) -> Option<&'h [(String, usize)]> {
        match self.have.names.get(&(kind, lang.to_string())) {
            Some(n) => Some(n),
            None => {
                self.queries.push(Query::Names {
                    kind,
                    lang: lang.to_string(),
                });
                None
            }
        }
    }

    /// The listing of `slug`, if the state knows it (else asked for).
    fn listing(&mut self, slug: &str) -> Option<Listing<'a>> {
        if !self.state.knows_article(slug) {
            self.fetch.push(slug.to_string());
            return None;
        }
        self.state.listing(slug)
    }
}

/// Why the gathering stopped short.
pub(crate) enum Short {
    /// More to ask (or to fetch) first.
    Ask,
    /// The lists cannot make this render.
    Whole,
}

/// What to ask next for the render `changes` names from the lists `have`
/// (see [`erkin_core::lists::Wanted`]).
pub fn wanted(state: &State, changes: &erkin_core::changes::Changes, have: &Lists) -> Wanted {
    if !suits(changes) {
        return Wanted::Whole;
    }
    let pick = Pick::new(Some(changes));
    match gather(state, &pick, have) {
        Ok(_) => Wanted::Render,
        Err((Short::Whole, _)) => Wanted::Whole,
        Err((Short::Ask, ask)) => Wanted::More(ask.0, ask.1),
    }
}

type Asked = (Vec<Query>, Vec<String>);

/// What the render `pick` names needs, from `have`: `Err` with what is
/// still to be asked, or that the lists cannot make it.
pub(crate) fn gather<'x>(
    state: &'x State,
    pick: &Pick,
    have: &'x Lists,
) -> Result<Gathered<'x>, (Short, Asked)> {
    let mut ask = Ask {
        state,
        have,
        queries: Vec::new(),
        fetch: Vec::new(),
        too_long: false,
    };
    let out = gather_with(state, pick, &mut ask);
    if ask.too_long {
        return Err((Short::Whole, (Vec::new(), Vec::new())));
    }
    match out {
        Some(g) if ask.queries.is_empty() && ask.fetch.is_empty() => Ok(g),
        Some(_) | None if !ask.queries.is_empty() || !ask.fetch.is_empty() => {
            Err((Short::Ask, (ask.queries, ask.fetch)))
        }
        _ => Err((Short::Whole, (Vec::new(), Vec::new()))),
    }
}

/// [`gather`]: `None` when something is still to be asked (in `ask`), or
/// (nothing asked) the lists cannot make the render.
fn gather_with<'x>(state: &'x State, pick: &Pick, ask: &mut Ask<'x, 'x>) -> Option<Gathered<'x>> {
    let mut published: Vec<Listing<'x>> = Vec::new();
    for slug in pick.published.iter() {
        published.push(state.listing(slug)?);
    }
    // The pages due, as `pages::pages_showing` finds them.
    let original = |l: &Listing<'x>| l.translation_of.unwrap_or(l.slug);
    let mut keys: BTreeSet<&'x str> = BTreeSet::new();
    for l in &published {
        keys.insert(original(l));
        keys.insert(l.slug);
    }
    let mut groups: BTreeMap<&'x str, Vec<&'x str>> = BTreeMap::new();
    let shown = loop {
        let mut complete = true;
        for k in &keys {
            if groups.contains_key(k) {
                continue;
            }
            let Some(w) = ask.newest(ListKey::new(ListKind::Translations, "", k), usize::MAX)
            else {
                complete = false;
                continue;
            };
            let mut group: Vec<&'x str> = Vec::new();
            match ask.listing(k) {
                Some(o) if o.translation_of.is_none() => group.push(o.slug),
                Some(_) => {}
                None if !state.knows_article(k) => complete = false,
                None => {}
            }
            for (_, slug) in &w.items {
                group.push(slug);
            }
            group.sort_unstable();
            group.dedup();
            groups.insert(k, group);
        }
        if !complete {
            return None;
        }
        let mut shown: BTreeSet<&'x str> = BTreeSet::new();
        for l in &published {
            shown.insert(l.slug);
            for k in [original(l), l.slug] {
                if state.knows_article(k) && state.listing(k).is_some() {
                    shown.insert(k);
                }
                shown.extend(groups.get(k).into_iter().flatten().copied());
            }
        }
        let mut more = Vec::new();
        for slug in &shown {
            match ask.listing(slug) {
                Some(l) if !keys.contains(original(&l)) => more.push(original(&l)),
                Some(_) => {}
                None if !state.knows_article(slug) => complete = false,
                None => {}
            }
        }
        if !complete {
            return None;
        }
        if more.is_empty() {
            break shown;
        }
        keys.extend(more);
    };
    let to_render: Vec<&'x str> = shown.into_iter().collect();
    // The media every revision of those pages names: the articles now
    // showing each.
    let mut media_users: BTreeMap<BlobId, Vec<&'x str>> = BTreeMap::new();
    let mut complete = true;
    for slug in &to_render {
        let Some(a) = state.article(slug) else {
            continue;
        };
        for id in a.revisions.iter().flat_map(|r| r.media.iter()) {
            if media_users.contains_key(id) {
                continue;
            }
            let key = ListKey::new(ListKind::Medium, "", &id.to_string());
            let Some(w) = ask.newest(key, usize::MAX) else {
                complete = false;
                continue;
            };
            let mut users: Vec<&'x str> = Vec::new();
            for (_, s) in &w.items {
                if !state.knows_article(s) {
                    ask.fetch.push(s.clone());
                    complete = false;
                }
                users.push(s);
            }
            users.sort_unstable();
            users.dedup();
            media_users.insert(*id, users);
        }
    }
    // Each column's lists.
    let languages = &state.charter().languages;
    let mut columns: Vec<Column<'x>> = Vec::with_capacity(1 + languages.len());
    let zone = erkin_core::lists::zone(state.charter().time_zone());
    for c in 0..=languages.len() {
        let lang = if c == 0 {
            ""
        } else {
            languages[c - 1].as_str()
        };
        if c > 0 && languages.iter().position(|l| l == lang) != Some(c - 1) {
            // A language named twice: its first place's column.
            columns.push(Column::default());
            continue;
        }
        let mut touched: Vec<Listing<'x>> = published
            .iter()
            .copied()
            .filter(|l| c == 0 || l.lang == lang)
            .collect();
        touched.sort_by_key(|a| std::cmp::Reverse(a.published_at));
        match column(ask, pick, &zone, lang, c == 0, &touched) {
            Some(col) => columns.push(col),
            None => complete = false,
        }
    }
    complete.then_some(Gathered {
        published: published.iter().map(|l| l.slug).collect(),
        to_render,
        groups,
        media_users,
        columns,
    })
}

/// The window of `key`'s newest items that holds every page due of it
/// (the list's pages [`Pick::pages`] names for `touched`, and `extra`
/// newest items): `None` if asked for (a larger one), or if it would be
/// more than [`MOST_ITEMS`] (then `ask` has nothing new and the render is
/// made from every article).
fn window<'x>(
    ask: &mut Ask<'x, 'x>,
    pick: &Pick,
    key: ListKey,
    touched: &[Listing],
    extra: usize,
) -> Option<Part<'x>> {
    let first = (2 * PER_PAGE).max(extra) + 2 * touched.len();
    let w = ask.newest(key.clone(), first)?;
    let part = Part::of(w);
    let need = needed(pick, &part, touched).max(extra.min(part.len));
    if need <= part.items.len() || part.items.len() >= part.len {
        return Some(part);
    }
    if need > MOST_ITEMS {
        ask.too_long = true;
        return None;
    }
    ask.newest(key, need);
    None
}

/// How many of a list's newest items its pages due show (see
/// [`window`]).
fn needed(pick: &Pick, part: &Part, touched: &[Listing]) -> usize {
    // Each new article's place (its first, for a name given twice): found
    // among the items' slugs, nothing read of them.
    let at: Vec<(usize, bool)> = touched
        .iter()
        .filter_map(|t| {
            let i = part.items.iter().position(|s| *s == t.slug)?;
            Some((i, pick.published.contains(t.slug)))
        })
        .collect();
    if at.len() < touched.len() && part.items.len() < part.len {
        // A new article beyond the items read: all of them are needed.
        return part.len;
    }
    let paging = Paging::new(part.len);
    let pages = pick.pages_at(part.len, PER_PAGE, at.into_iter());
    pages
        .iter()
        .map(|n| paging.range(*n).end)
        .max()
        .unwrap_or(0)
}

/// The share of the column listing `lang`'s articles (every language's:
/// `root`), whose new articles are `touched` (newest first).
fn column<'x>(
    ask: &mut Ask<'x, 'x>,
    pick: &Pick,
    zone: &erkin_core::lists::TimeZone,
    lang: &str,
    root: bool,
    touched: &[Listing<'x>],
) -> Option<Column<'x>> {
    let mut col = Column::default();
    let mut complete = true;
    let all = ListKey::new(ListKind::Articles, lang, "");
    // Its feed's `updated`.
    match ask.newest(ListKey::new(ListKind::Changed, lang, ""), 1) {
        Some(w) => col.updated = w.items.first().map_or(0, |(at, _)| *at),
        None => complete = false,
    }
    if touched.is_empty() {
        // Its feed alone.
        match ask.newest(all, LANG_EXTRA) {
            Some(w) => col.list = Some(Part::of(w)),
            None => complete = false,
        }
        return complete.then_some(col);
    }
    let extra = LANG_EXTRA;
    let list = window(ask, pick, all.clone(), touched, extra);
    // The sitemap's shards due, in the root's list.
    if let (true, Some(part)) = (root, &list) {
        let len = part.len;
        let shards = len.div_ceil(crate::feeds::SITEMAP_SHARD);
        let mut need = 0;
        for t in touched {
            let Some(i) = part.items.iter().position(|s| *s == t.slug) else {
                continue;
            };
            let n = (len - 1 - i) / crate::feeds::SITEMAP_SHARD + 1;
            for m in n..=shards {
                need = need.max(len - (m - 1) * crate::feeds::SITEMAP_SHARD);
            }
        }
        if need > part.items.len() && part.items.len() < len {
            if need > MOST_ITEMS {
                ask.too_long = true;
                return None;
            }
            ask.newest(all.clone(), need);
            complete = false;
        }
    }
    // Every month's count.
    match ask.names(ListKind::Month, lang) {
        Some(months) => col.months = months.iter().cloned().collect(),
        None => complete = false,
    }
    // The front page's tag sections.
    match ask.names(ListKind::Tag, lang) {
        Some(names) => {
            let mut top: Vec<(&'x str, usize)> =
                names.iter().map(|(n, c)| (n.as_str(), *c)).collect();
            top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
            top.truncate(FRONT_SECTIONS);
            for (tag, n) in top {
                let want = 4 * FRONT_SECTION_ITEMS;
                let Some(w) = ask.newest(ListKey::new(ListKind::Tag, lang, tag), want) else {
                    complete = false;
                    continue;
                };
                let mut items: Vec<&'x str> = Vec::new();
                for (_, s) in &w.items {
                    if items.len() < FRONT_SECTION_ITEMS && !items.contains(&s.as_str()) {
                        items.push(s);
                    }
                }
                if items.len() < FRONT_SECTION_ITEMS && w.items.len() < w.len {
                    // A tag given many times over to its newest articles.
                    ask.too_long = true;
                    return None;
                }
                col.top_tags.push((tag, n, items));
            }
        }
        None => complete = false,
    }
    // The lists due of its new articles' tags and authors.
    let mut tags: BTreeSet<&'x str> = BTreeSet::new();
    let mut authors: BTreeSet<&'x str> = BTreeSet::new();
    for t in touched {
        tags.extend(t.tags());
        authors.extend(t.authors());
    }
    for (kind, names) in [(ListKind::Tag, tags), (ListKind::Author, authors)] {
        for name in names {
            let mine: Vec<Listing> = touched
                .iter()
                .copied()
                .filter(|t| match kind {
                    ListKind::Tag => t.tags().any(|x| x == name),
                    _ => t.authors().any(|x| x == name),
                })
                .collect();
            match window(ask, pick, ListKey::new(kind, lang, name), &mine, 0) {
                Some(part) => {
                    match kind {
                        ListKind::Tag => col.tags.insert(name, part),
                        _ => col.authors.insert(name, part),
                    };
                }
                None if ask.queries.is_empty() && ask.fetch.is_empty() => return None,
                None => complete = false,
            }
        }
    }
    match list {
        Some(part) => {
            // The months due: each a run of the list's items, which must
            // hold what the month's pages due show.
            if complete {
                let need = months_needed(pick, &part, touched, &col.months, zone);
                if need > part.items.len() && part.items.len() < part.len {
                    if need > MOST_ITEMS {
                        ask.too_long = true;
                        return None;
                    }
                    ask.newest(all, need);
                    return None;
                }
            }
            col.list = Some(part)
        }
        None if ask.queries.is_empty() && ask.fetch.is_empty() => return None,
        None => complete = false,
    }
    complete.then_some(col)
}

/// How many of a section's newest items (`part`) the pages due of its
/// months show: each month of a new article (`touched`) is a run of the
/// items, as the render finds it (`pages::Site::section`).
fn months_needed(
    pick: &Pick,
    part: &Part,
    touched: &[Listing],
    counts: &BTreeMap<String, usize>,
    zone: &erkin_core::lists::TimeZone,
) -> usize {
    let key = |t: u64| erkin_core::lists::month_key(zone, t);
    let months: BTreeSet<String> = touched.iter().map(|t| key(t.published_at)).collect();
    let mut need = 0;
    for m in months {
        let Some(start) = part.times.iter().position(|t| key(*t) == m) else {
            // Not among the items read: all of them are needed.
            return part.len;
        };
        let run = part.times[start..]
            .iter()
            .take_while(|t| key(**t) == m)
            .count();
        if start + run < part.items.len() {
            // The month ends among the items read: its run is whole.
            continue;
        }
        let len = counts.get(&m).copied().unwrap_or(run);
        let at = touched.iter().filter_map(|t| {
            let i = part.items[start..].iter().position(|s| *s == t.slug)?;
            Some((i, pick.published.contains(t.slug)))
        });
        let paging = Paging::new(len);
        let pages = pick.pages_at(len, PER_PAGE, at);
        let end = pages
            .iter()
            .map(|n| paging.range(*n).end)
            .max()
            .unwrap_or(0);
        need = need.max(start + end);
    }
    need
}

#[cfg(test)]
mod tests {
    use super::*;
    use erkin_core::article::{Article, EntryHash, Revision};
    use erkin_core::changes::Changes;

    fn article(slug: &str, at: u64) -> Article {
        Article {
            slug: slug.into(),
            lang: "kk".into(),
            authors: vec!["a".into()],
            bylines: vec![],
            tags: vec![],
            translation_of: None,
            first_published: None,
            revisions: vec![Revision {
                index: 1,
                entry_hash: EntryHash([0; 32]),
                time: at,
                log_time: at,
                editor: "a".into(),
                title: slug.into(),
                summary: String::new(),
                body: erkin_core::blob::BlobId([0; 32]),
                media: vec![],
                correction: None,
            }],
        }
    }

    /// A month of 100 articles, all but its oldest 38 among the 62 items
    /// read; a new article dated back into its middle (place 50): the
    /// month's pages due (its chunk's and every newer one's) show up to
    /// its 70th item, beyond the items read. Where the month ends among
    /// the items read, nothing more is needed.
    #[test]
    fn a_month_running_past_the_items_read_asks_for_its_pages_items() {
        let zone = erkin_core::lists::zone("UTC");
        // 2026-09-30 12:00 UTC, then a minute apart, back into September.
        let t0 = 1_790_769_600;
        let slugs: Vec<String> = (0..62).map(|i| format!("s{i:02}")).collect();
        let part = Part {
            items: slugs.iter().map(String::as_str).collect(),
            times: (0..62).map(|i| t0 - 60 * i).collect(),
            len: 500,
        };
        let new = article("s50", t0 - 60 * 50);
        let touched = [Listing::of(&new)];
        let changes = Changes {
            published: ["s50".to_string()].into(),
            ..Changes::default()
        };
        let pick = Pick::new(Some(&changes));
        let counts = BTreeMap::from([("2026-09".to_string(), 100)]);
        assert_eq!(months_needed(&pick, &part, &touched, &counts, &zone), 70);
        // The same month ending among the items read: its run is whole.
        let mut ends = Part {
            items: part.items.clone(),
            times: part.times.clone(),
            len: 500,
        };
        ends.times[61] = t0 - 3600 * 24 * 40;
        let counts = BTreeMap::from([("2026-09".to_string(), 61)]);
        assert_eq!(months_needed(&pick, &ends, &touched, &counts, &zone), 0);
    }
}
