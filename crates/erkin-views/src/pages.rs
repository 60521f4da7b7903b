//! The HTML pages.
//!
//! The site has one *section* per language (`kk/`, `ru/`, `en/`: that
//! language's articles and every page in its words) and the root section
//! (`index.html`, `coop/`, ...: every article, in the charter's first
//! language). Each section has a front page, an archive by month, tag and
//! author pages, the cooperative (a page per proposal, per member, and the
//! statements) and the mirrors page. Every list is paginated, so every
//! article is reachable from every front page by links. Articles live once,
//! at `a/<slug>/`.

use std::collections::BTreeMap;

use erkin_core::action::Motion;
use erkin_core::article::Article;
use erkin_core::articles::Listing;
use erkin_core::changes::Changes;
use erkin_core::governance::{Judged, Proposal};
use erkin_core::mirrors::MirrorKind;
use erkin_core::state::{State, StatementRecord};
use maud::{html, Markup, PreEscaped, DOCTYPE};
use num_traits::ToPrimitive;

use crate::dates::{month_title, rfc3339, Clock};
use crate::diff::{self, Piece};
use crate::i18n::{words, Words};
pub use crate::pick::PER_PAGE;
use crate::pick::{place, Few, Paging, Pick, FRONT_SECTIONS, FRONT_SECTION_ITEMS};
use crate::site_words::site_words;
use crate::{BlobReader, File, SiteConfig};
use erkin_core::blob::BlobId;

/// A list's newest items — every one, or (a render from the stored
/// lists) as many as its pages due show — and its length.
#[derive(Clone, Default)]
pub(crate) struct Run<'l, 'a> {
    pub(crate) items: Vec<&'l Listing<'a>>,
    pub(crate) len: usize,
}

impl<'l, 'a> Run<'l, 'a> {
    /// Every item of a list.
    pub(crate) fn whole(items: Vec<&'l Listing<'a>>) -> Self {
        Run {
            len: items.len(),
            items,
        }
    }
}

/// Newest articles after the lead story on a front page.
const FRONT_LATEST: usize = 10;
/// An editor-given publication date further than this from the log time
/// is shown flagged, beside the log time.
const EDITOR_DATE_SLACK: u64 = 24 * 3600;

/// Articles whose inputs are read (from the blob reader, which need not
/// be thread-safe) before they are rendered on every core: bounds the bodies
/// held in memory at once.
const ARTICLE_BATCH: usize = 512;

/// What an article page renders from, read from the blobs beforehand.
struct ArticleInput {
    /// The body: rendered already (cached), its Markdown, or nothing
    /// (redacted, or the copy lacks the blob).
    body: BodyInput,
    /// Every revision's body, where the article has history (`None` where
    /// redacted or missing).
    revisions: Option<Vec<Option<Vec<u8>>>>,
}

enum BodyInput {
    None,
    Cached(crate::markdown::Rendered),
    Source(Vec<u8>),
}

/// An article's rendered pages and what the rest of the site needs of it.
struct ArticleOutput {
    files: Vec<File>,
    /// The media its body shows (declared by the revision, not redacted).
    media: Vec<crate::markdown::MediaRef>,
    /// A body rendered now, for the cache.
    rendered: Option<crate::markdown::Rendered>,
}

/// Articles' listings by the slug of the original they translate (an
/// original under its own slug): every group (`None`), or those of the
/// originals `keys`. Nothing decoded.
fn translation_groups<'a, 'l>(
    keys: Option<&Few>,
    listings: &'l [Listing<'a>],
) -> BTreeMap<&'a str, Vec<&'l Listing<'a>>> {
    let mut groups: BTreeMap<&str, Vec<&Listing>> = BTreeMap::new();
    for l in listings {
        let original = l.translation_of.unwrap_or(l.slug);
        if keys.is_none_or(|k| k.contains(original)) {
            groups.entry(original).or_default().push(l);
        }
    }
    groups
}

/// The articles whose own pages show one of `changed` (themselves, their
/// originals, their translations, and articles translating them), by slug,
/// and the translation groups those pages need.
fn pages_showing<'a, 'l>(
    state: &'a State,
    changed: &Few,
    listings: &'l [Listing<'a>],
) -> (Vec<&'a str>, BTreeMap<&'a str, Vec<&'l Listing<'a>>>) {
    let original = |l: &Listing<'a>| l.translation_of.unwrap_or(l.slug);
    let mut keys: Vec<&str> = Vec::new();
    for slug in changed.iter() {
        if let Some(l) = state.listing(slug) {
            keys.push(original(&l));
            keys.push(l.slug);
        }
    }
    loop {
        let few: Few = keys.iter().copied().collect();
        let groups = translation_groups(Some(&few), listings);
        let mut shown: BTreeMap<&str, Listing> = BTreeMap::new();
        for slug in changed.iter() {
            let Some(l) = state.listing(slug) else {
                continue;
            };
            shown.insert(l.slug, l);
            for k in [original(&l), l.slug] {
                if let Some(o) = state.listing(k) {
                    shown.insert(o.slug, o);
                }
                for t in groups.get(k).into_iter().flatten() {
                    shown.insert(t.slug, **t);
                }
            }
        }
        // Each page shown needs its own original's group.
        let more: Vec<&str> = shown
            .values()
            .map(original)
            .filter(|k| !few.contains(k))
            .collect();
        if more.is_empty() {
            return (shown.into_keys().collect(), groups);
        }
        keys.extend(more);
    }
}

/// Lists' pages are rendered on every core this
/// many at a time, and handed on before the next: bounds what is held in
/// memory, whatever the lists' lengths.
const PAGE_BATCH: usize = 256;

/// Lead images' sizes made at a time (each reads its original).
const IMAGE_BATCH: usize = 32;

/// Renders the pages (and feeds) `changes` can alter — every one with
/// `None` or [`Changes::everything`] — handing each file to `sink` as it is
/// made, in batches (never the whole site in memory). Returns the path
/// prefixes rendered whole: a file under one of them that this render did
/// not make is no longer part of the site (`""` for a whole render).
pub fn render(
    state: &State,
    blobs: &BlobReader,
    config: &SiteConfig,
    cache: &crate::BodyCache,
    changes: Option<&Changes>,
    lists: Option<&erkin_core::lists::Lists>,
    sink: &mut dyn FnMut(File),
) -> Option<Vec<String>> {
    use rayon::prelude::*;
    let pick = Pick::new(changes);
    let mut covered = Vec::new();
    if pick.all {
        covered.push(String::new());
    } else if changes.is_none_or(Changes::is_empty) {
        return Some(covered);
    }
    // From the stored lists, what the pages due need of the archive
    // (`fast`): only the articles they show are read.
    let fast = match (lists, changes) {
        (Some(have), Some(c)) if !pick.all && crate::fast::suits(c) => {
            Some(crate::fast::gather(state, &pick, have).ok()?)
        }
        _ => None,
    };
    let mut used = std::collections::HashSet::new();
    // The lists are made of the articles' listings (in slug order), so
    // only the articles whose pages or list entries are rendered are
    // decoded.
    // Each listing's share of the sections' lists is taken as it is read,
    // while its row is at hand (see `Gathering`).
    let mut gathering = Gathering::new(state, &pick);
    let mut listings: Vec<Listing> = Vec::new();
    // Read from the lists: each listing's place in `listings`, by slug.
    let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    match &fast {
        None => {
            listings.reserve(state.article_count());
            listings.extend(state.listings().inspect(|l| gathering.visit(l)));
        }
        Some(g) => {
            for slug in g.slugs() {
                if at.contains_key(slug) {
                    continue;
                }
                at.insert(slug, listings.len());
                listings.push(state.listing(slug)?);
            }
        }
    }
    let listings = listings;
    let of = |slugs: &[&str]| -> Vec<&Listing> {
        slugs
            .iter()
            .filter_map(|s| at.get(s).map(|&i| &listings[i]))
            .collect()
    };
    let (to_render, translation_groups) = match &fast {
        _ if pick.all => (Vec::new(), translation_groups(None, &listings)),
        None => pages_showing(state, &pick.listed, &listings),
        Some(g) => (
            g.to_render.clone(),
            g.groups.iter().map(|(k, v)| (*k, of(v))).collect(),
        ),
    };
    // Newest first: ties are broken by the place in slug order, an
    // integer, not by comparing slugs.
    let (newest, order): (Run, Vec<usize>) = match &fast {
        None => {
            let mut order: Vec<(u64, usize)> = listings
                .iter()
                .enumerate()
                .map(|(i, l)| (l.published_at, i))
                .collect();
            // On every core (a total order, so the same result).
            order.par_sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            // Places in `listings` (slug order), newest first.
            let order: Vec<usize> = order.into_iter().map(|(_, i)| i).collect();
            (
                Run::whole(order.iter().map(|&i| &listings[i]).collect()),
                order,
            )
        }
        Some(g) => {
            let part = g.columns[0].list.as_ref()?;
            (
                Run {
                    items: of(&part.items),
                    len: part.len,
                },
                Vec::new(),
            )
        }
    };
    let to_render: Vec<&str> = if pick.all {
        newest.items.iter().map(|l| l.slug).collect()
    } else {
        to_render
    };
    // Each section's articles, tag counts and changed lists.
    let gathered = match &fast {
        None => gathering.finish(&listings, &order, &newest.items),
        Some(g) => shares_from_lists(state, g, &newest, &of),
    };
    let default_lang = state
        .charter()
        .languages
        .first()
        .map_or("en", String::as_str);
    let mut site = Site {
        state,
        config,
        translation_groups,
        clock: Clock::new(state.charter().time_zone()),
        default_lang,
        leads: BTreeMap::new(),
    };
    let mut leads = BTreeMap::new();
    // Pages are handed on after the media they show (and the lists after
    // the lead images' sizes), so a reader of a copy being written in place
    // never meets a page whose image is not there yet: a whole render's
    // media go with each batch; an incremental render holds its few
    // article pages until its media are out.
    let mut sent_media = std::collections::HashSet::new();
    let mut held: Vec<File> = Vec::new();
    // A redacted body may still be in the cache: never show it.
    let redacted_blobs = state.redacted_blobs();
    let is_redacted = |a: &Article| {
        state.redacted().contains(&a.slug) || redacted_blobs.contains(&a.current().body)
    };
    // Articles in batches: each batch's blobs read here, in order (the
    // reader need not be thread-safe), then its pages rendered on every
    // core (the output in the same order) while this thread reads the next
    // batch's blobs.
    let read_inputs = |batch: &[&Article], used: &mut std::collections::HashSet<BlobId>| {
        batch
            .iter()
            .map(|a| {
                let body = if is_redacted(a) {
                    BodyInput::None
                } else {
                    let id = &a.current().body;
                    used.insert(*id);
                    match cache.get(id) {
                        Some(r) => BodyInput::Cached(r),
                        None => blobs(id).map_or(BodyInput::None, BodyInput::Source),
                    }
                };
                let revisions = (a.revisions.len() > 1).then(|| {
                    let redacted = state.redacted().contains(&a.slug);
                    a.revisions
                        .iter()
                        .map(|r| {
                            if redacted || redacted_blobs.contains(&r.body) {
                                None
                            } else {
                                blobs(&r.body)
                            }
                        })
                        .collect()
                });
                ArticleInput { body, revisions }
            })
            .collect::<Vec<ArticleInput>>()
    };
    // Each batch's articles decoded for it and dropped with it: a whole
    // render never holds every article decoded at once.
    let decode = |slugs: &[&str], used: &mut std::collections::HashSet<BlobId>| {
        let articles: Vec<std::borrow::Cow<Article>> = slugs
            .iter()
            .filter_map(|slug| state.article_uncached(slug))
            .collect();
        let refs: Vec<&Article> = articles.iter().map(|a| &**a).collect();
        let inputs = read_inputs(&refs, used);
        (articles, inputs)
    };
    let mut batches = to_render.chunks(ARTICLE_BATCH);
    let mut next = batches.next().map(|b| decode(b, &mut used));
    while let Some((articles, inputs)) = next.take() {
        let batch: Vec<&Article> = articles.iter().map(|a| &**a).collect();
        let batch = batch.as_slice();
        let (site, redacted_blobs) = (&site, &redacted_blobs);
        let mut outputs: Vec<ArticleOutput> = Vec::new();
        // In the current pool (a caller's `install` is kept); the scope
        // ends once the batch is rendered.
        rayon::in_place_scope(|s| {
            let rendered = &mut outputs;
            s.spawn(move |_| {
                *rendered = batch
                    .par_iter()
                    .zip(inputs)
                    .map(|(a, input)| site.article_pages(a, input, redacted_blobs))
                    .collect();
            });
            next = batches.next().map(|b| decode(b, &mut used));
        });
        for (a, out) in batch.iter().zip(outputs) {
            // The first image of the body leads the article in lists.
            if pick.all {
                if let Some(first) = out.media.first() {
                    if let Some(lead) =
                        blobs(&first.id).and_then(|b| crate::images::lead(first, &b))
                    {
                        leads.insert(a.slug.clone(), lead);
                    }
                }
                for m in &out.media {
                    if redacted_blobs.contains(&m.id) || !sent_media.insert(m.path()) {
                        continue;
                    }
                    if let Some(bytes) = blobs(&m.id) {
                        sink(File {
                            path: m.path(),
                            bytes,
                        });
                    }
                }
            }
            if let Some(r) = out.rendered {
                cache.insert(a.current().body, r);
            }
            if pick.all {
                for f in out.files {
                    sink(f);
                }
            } else {
                held.extend(out.files);
            }
        }
    }
    // The media an article's body shows, as the full render finds them.
    let media_of = |a: &Article| -> Vec<crate::markdown::MediaRef> {
        if is_redacted(a) {
            return Vec::new();
        }
        let id = &a.current().body;
        let rendered = match cache.get(id) {
            Some(r) => r,
            None => {
                let Some(bytes) = blobs(id) else {
                    return Vec::new();
                };
                let r = crate::markdown::render(&String::from_utf8_lossy(&bytes), "../../");
                cache.insert(*id, r.clone());
                r
            }
        };
        rendered
            .1
            .into_iter()
            .filter(|m| a.current().media.contains(&m.id))
            .filter(|m| !redacted_blobs.contains(&m.id))
            .collect()
    };
    let mut sections = vec![Section {
        base: String::new(),
        lang: default_lang,
        only: None,
    }];
    for l in &state.charter().languages {
        sections.push(Section {
            base: format!("{l}/"),
            lang: l,
            only: Some(l),
        });
    }
    if !pick.all {
        // Only the front pages' lead stories show their image in a list.
        for s in &sections {
            let standing = |a: &&&Listing| {
                s.only.is_none_or(|l| a.lang == l)
                    && !state.retracted().contains(a.slug)
                    && !state.redacted().contains(a.slug)
            };
            let list = match gathered.column(s.only) {
                0 => &newest.items,
                c => &gathered.by_lang[c - 1].items,
            };
            if let Some(a) = list.iter().find(standing) {
                if leads.contains_key(a.slug) {
                    continue;
                }
                let Some(a) = state.article(a.slug) else {
                    continue;
                };
                if let Some(first) = media_of(a).first() {
                    if let Some(lead) =
                        blobs(&first.id).and_then(|b| crate::images::lead(first, &b))
                    {
                        leads.insert(a.slug.clone(), lead);
                    }
                }
            }
        }
    }
    site.leads = leads;
    if pick.all {
        // The lead images' smaller sizes (made once per server, see
        // `images`), the originals read here, the sizes made on every core.
        let mut sizes = std::collections::HashSet::new();
        let mut to_make = Vec::new();
        for lead in site.leads.values() {
            for (w, path) in &lead.sizes {
                if sizes.insert(path.clone()) {
                    to_make.push((path.clone(), lead.original.id, *w));
                }
            }
        }
        // A batch at a time, its originals read for it (never every
        // original at once).
        for chunk in to_make.chunks(IMAGE_BATCH) {
            let mut originals: BTreeMap<BlobId, Option<Vec<u8>>> = BTreeMap::new();
            for (_, id, _) in chunk {
                originals.entry(*id).or_insert_with(|| blobs(id));
            }
            let made: Vec<Option<File>> = chunk
                .par_iter()
                .map(|(path, id, w)| {
                    let bytes = originals.get(id)?.as_ref()?;
                    cache.size_or_make(path, bytes, *w).map(|made| File {
                        path: path.clone(),
                        bytes: made,
                    })
                })
                .collect();
            for f in made.into_iter().flatten() {
                sink(f);
            }
        }
        cache.keep_only(&used, &sizes);
    } else {
        // Every medium any revision of a page rendered names: its files
        // as the whole site has them now (whichever articles show it),
        // and none where no article shows it any more.
        let mut ids = std::collections::BTreeSet::new();
        for a in to_render.iter().filter_map(|slug| state.article(slug)) {
            for r in &a.revisions {
                ids.extend(r.media.iter().copied());
            }
        }
        for id in ids {
            covered.push(format!("media/{id}"));
            if redacted_blobs.contains(&id) {
                continue;
            }
            let mut paths = std::collections::BTreeSet::new();
            let mut lead = None;
            // Each article decoded for this pass alone (none kept): every
            // one, or those the lists name as showing it.
            let users: Box<dyn Iterator<Item = std::borrow::Cow<Article>>> = match &fast {
                None => Box::new(state.articles_uncached()),
                Some(g) => Box::new(
                    g.media_users
                        .get(&id)
                        .into_iter()
                        .flatten()
                        .filter_map(|s| state.article_uncached(s)),
                ),
            };
            for u in users {
                if !u.current().media.contains(&id) {
                    continue;
                }
                let refs = media_of(&u);
                for (i, m) in refs.iter().enumerate() {
                    if m.id != id {
                        continue;
                    }
                    paths.insert(m.path());
                    if i == 0 && lead.is_none() {
                        lead = Some(m.clone());
                    }
                }
            }
            if paths.is_empty() {
                continue;
            }
            let Some(bytes) = blobs(&id) else {
                continue;
            };
            if let Some(lead) = lead.and_then(|m| crate::images::lead(&m, &bytes)) {
                for (w, path) in &lead.sizes {
                    if let Some(made) = cache.size_or_make(path, &bytes, *w) {
                        sink(File {
                            path: path.clone(),
                            bytes: made,
                        });
                    }
                }
            }
            for path in paths {
                sink(File {
                    path,
                    bytes: bytes.clone(),
                });
            }
        }
    }
    for f in held {
        sink(f);
    }
    let site = &site;
    for s in &sections {
        let column = gathered.column(s.only);
        let list = match column {
            0 => &newest,
            c => &gathered.by_lang[c - 1],
        };
        site.section(s, list, &gathered.shares[column], &pick, sink, &mut covered);
    }
    let feeds = crate::feeds::Lists {
        newest: &newest.items,
        len: newest.len,
        updated: gathered.shares[0].updated,
        languages: state
            .charter()
            .languages
            .iter()
            .map(|l| {
                let c = gathered.column(Some(l));
                let list = c.checked_sub(1).and_then(|j| gathered.by_lang.get(j));
                (
                    list.map_or(&[][..], |r| r.items.as_slice()),
                    gathered.shares[c].updated,
                )
            })
            .collect(),
        touched: &gathered.touched_at,
    };
    crate::feeds::render(state, config, &feeds, &pick, sink);
    if pick.all {
        sink(page("404.html", site.not_found()));
        sink(File {
            path: "favicon.svg".into(),
            bytes: include_bytes!("favicon.svg").to_vec(),
        });
    }
    if pick.governance {
        sink(File {
            path: "mirrors/key.svg".into(),
            bytes: qr_svg(state.log_key().as_str()).into_bytes(),
        });
        // One QR code per listed mirror, by its place in the list.
        covered.push("mirrors/mirror-".into());
        for (i, m) in state.mirrors().iter().enumerate() {
            sink(File {
                path: mirror_qr_path(i),
                bytes: qr_svg(&m.url).into_bytes(),
            });
        }
    }
    Some(covered)
}

/// Every section's share of the articles, gathered as the listings are
/// read (in slug order, each row at hand) and put in date order once they
/// are sorted: each listing's language, tags and authors looked at once,
/// not once per section and per use. (An incremental render of a large
/// archive spent most of its time walking them again: the front pages'
/// tag counts and the changed tags' and authors' lists, section by
/// section, then each language's feed.)
///
/// Columns: the root section's (0), then each charter language's (1 + its
/// place in the charter; a language named twice is at its first place).
struct Gathering<'a> {
    languages: &'a [String],
    columns: usize,
    all: bool,
    /// Whether anything is gathered at all (not when only the clock moved).
    due: bool,
    /// Per column: whether its front page is due (its tags counted).
    front: Vec<bool>,
    /// Per column: its articles `pick` names, newest first.
    touched: Vec<Vec<Listing<'a>>>,
    /// Per column: the tags and authors whose lists are due.
    want_tag: Vec<Few<'a>>,
    want_author: Vec<Few<'a>>,
    count_tags: bool,
    tags: Names<'a>,
    tag_tally: Tally,
    authors: Names<'a>,
    author_tally: Tally,
    /// Per column: its articles' last change (its feed's `updated`).
    updated: Vec<u64>,
    /// Per listing (slug order): its language's place (`NONE`: none).
    slot: Vec<u32>,
    /// The names (numbers) of each listing's lists due, tags (`true`) and
    /// authors, each listing's run ending at `ends[i]`.
    due_names: Vec<(bool, u32)>,
    ends: Vec<usize>,
}

/// A listing whose language is not the charter's.
const NONE: u32 = u32::MAX;

/// Every section's share of the articles (see [`Gathering`]).
struct Gathered<'l, 'a> {
    /// Each charter language's articles, newest first, by its place.
    by_lang: Vec<Run<'l, 'a>>,
    /// Per column.
    shares: Vec<Share<'l, 'a>>,
    /// Where in the newest-first list the articles `pick` names are, in
    /// order.
    touched_at: Vec<usize>,
    languages: &'a [String],
}

/// What a section's pages (and its feed) need of its articles.
#[derive(Default)]
struct Share<'l, 'a> {
    /// Its articles `pick` names, newest first (none for a whole render).
    touched: Vec<Listing<'a>>,
    /// Its most used tags with their counts, most used first (then by
    /// name), for its front page: where the front page is due.
    top_tags: Vec<(&'a str, usize)>,
    /// Their newest articles, where given (else found in the section's
    /// list).
    front_items: BTreeMap<&'a str, Vec<&'l Listing<'a>>>,
    /// The lists due of its tags and authors, newest first: every one for
    /// a whole render; else those of its changed articles (and every
    /// member's, in a language section, where governance changed).
    by_tag: BTreeMap<&'a str, Run<'l, 'a>>,
    by_author: BTreeMap<&'a str, Run<'l, 'a>>,
    /// The authors whose lists (and member pages) are due.
    want_author: Few<'a>,
    /// Its articles' last change (its feed's `updated`).
    updated: u64,
    /// Every month's count, where given (else counted from its list).
    months: Option<BTreeMap<String, usize>>,
}

/// Names (tags, authors) by their bytes, numbered as first met.
struct Names<'a> {
    ids: std::collections::HashMap<&'a [u8], usize>,
    names: Vec<&'a [u8]>,
    /// The number of a name recently met, by a cheap hash of it (checked
    /// against the name, so a name that misses, or collides, is only
    /// looked up in `ids`): an archive's few hundred tags, met a few
    /// hundred thousand times, are mostly found here.
    recent: Box<[u32; RECENT]>,
}

/// Slots of [`Names::recent`] (a power of two).
const RECENT: usize = 1024;

impl Default for Names<'_> {
    fn default() -> Self {
        Names {
            ids: std::collections::HashMap::new(),
            names: Vec::new(),
            recent: Box::new([u32::MAX; RECENT]),
        }
    }
}

/// FNV-1a of `name`, folded to a slot of [`Names::recent`].
fn recent_slot(name: &[u8]) -> usize {
    let mut h: u32 = 0x811c_9dc5;
    for b in name {
        h = (h ^ u32::from(*b)).wrapping_mul(0x0100_0193);
    }
    (h ^ (h >> 16)) as usize % RECENT
}

impl<'a> Names<'a> {
    /// The number of `name`, given one if new.
    fn id(&mut self, name: &'a [u8]) -> usize {
        let slot = recent_slot(name);
        let hit = self.recent[slot] as usize;
        if self.names.get(hit).is_some_and(|n| *n == name) {
            return hit;
        }
        let names = &mut self.names;
        let id = *self.ids.entry(name).or_insert_with(|| {
            names.push(name);
            names.len() - 1
        });
        if let Ok(id) = u32::try_from(id) {
            self.recent[slot] = id;
        }
        id
    }

    fn get(&self, name: &[u8]) -> Option<usize> {
        self.ids.get(name).copied()
    }

    fn len(&self) -> usize {
        self.names.len()
    }
}

/// Per name and column: how many articles, and whether the list is due.
struct Tally {
    columns: usize,
    due: Vec<bool>,
    counts: Vec<usize>,
}

impl Tally {
    fn new(columns: usize) -> Self {
        Tally {
            columns,
            due: Vec::new(),
            counts: Vec::new(),
        }
    }

    /// Makes room for name `id` (numbered in order) with its columns' lists
    /// due where `due` says.
    fn make(&mut self, id: usize, due: impl Fn(usize) -> bool) {
        if id * self.columns < self.due.len() {
            return;
        }
        for c in 0..self.columns {
            self.due.push(due(c));
            self.counts.push(0);
        }
    }

    /// Counts name `id` once more in `column`; whether its list there is
    /// due.
    fn count(&mut self, id: usize, column: usize) -> bool {
        let k = id * self.columns + column;
        self.counts[k] += 1;
        self.due[k]
    }

    /// The most used names of `column` (most used first, then by name).
    fn top<'a>(&self, names: &Names<'a>, column: usize, n: usize) -> Vec<(&'a str, usize)> {
        let mut top: Vec<(&str, usize)> = names
            .names
            .iter()
            .enumerate()
            .filter_map(|(id, name)| {
                let count = *self.counts.get(id * self.columns + column)?;
                (count > 0).then_some((std::str::from_utf8(name).ok()?, count))
            })
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        top.truncate(n);
        top
    }
}

/// Per name and column, the lists due (see [`Tally`]), newest first.
struct Lists<'l, 'a> {
    columns: usize,
    lists: Vec<Vec<&'l Listing<'a>>>,
}

impl<'l, 'a> Lists<'l, 'a> {
    fn new(tally: &Tally) -> Self {
        Lists {
            columns: tally.columns,
            lists: vec![Vec::new(); tally.due.len()],
        }
    }

    /// Adds `a` to the list of name `id` in `column`, if that list is due.
    fn push(&mut self, tally: &Tally, id: usize, column: usize, a: &'l Listing<'a>) {
        let k = id * self.columns + column;
        if tally.due[k] {
            self.lists[k].push(a);
        }
    }

    /// The lists of `column`, by name.
    fn take(&mut self, names: &Names<'a>, column: usize) -> BTreeMap<&'a str, Run<'l, 'a>> {
        let mut out = BTreeMap::new();
        for (id, name) in names.names.iter().enumerate() {
            let k = id * self.columns + column;
            if k >= self.lists.len() || self.lists[k].is_empty() {
                continue;
            }
            if let Ok(name) = std::str::from_utf8(name) {
                out.insert(name, Run::whole(std::mem::take(&mut self.lists[k])));
            }
        }
        out
    }
}

/// Whether two short texts (languages) are the same, compared in place.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// The place in `languages` of language `lang`, if it has one.
fn place_of(languages: &[String], lang: &str) -> Option<usize> {
    languages.iter().position(|l| same(l, lang))
}

impl<'a> Gathering<'a> {
    /// What the sections' pages `pick` names need gathered.
    fn new(state: &'a State, pick: &Pick) -> Self {
        let languages = state.charter().languages.as_slice();
        let columns = 1 + languages.len();
        let mut touched: Vec<Vec<Listing>> = vec![Vec::new(); columns];
        if !pick.all {
            let mut listed: Vec<Listing> = pick
                .listed
                .iter()
                .filter_map(|slug| state.listing(slug))
                .collect();
            // Newest first, ties in slug order (`pick.listed` is sorted).
            listed.sort_by_key(|a| std::cmp::Reverse(a.published_at));
            for a in listed {
                if let Some(j) = place_of(languages, a.lang) {
                    touched[1 + j].push(a);
                }
                touched[0].push(a);
            }
        }
        let front: Vec<bool> = touched.iter().map(|t| pick.all || !t.is_empty()).collect();
        let want_tag: Vec<Few> = touched
            .iter()
            .map(|t| t.iter().flat_map(|a| a.tags()).collect())
            .collect();
        let want_author: Vec<Few> = touched
            .iter()
            .enumerate()
            .map(|(c, t)| {
                let mut due: Vec<&str> = t.iter().flat_map(|a| a.authors()).collect();
                if c > 0 && pick.governance {
                    due.extend(state.members().map(|m| m.handle.as_str()));
                }
                due.into_iter().collect()
            })
            .collect();
        let mut authors = Names::default();
        let mut author_tally = Tally::new(columns);
        if !pick.all {
            for want in &want_author {
                for h in want.iter() {
                    let id = authors.id(h.as_bytes());
                    author_tally.make(id, |c| want_author[c].contains(h));
                }
            }
        }
        Gathering {
            languages,
            columns,
            all: pick.all,
            // Nothing of the lists, fronts or feeds is due when only the
            // clock moved.
            due: pick.all || !pick.listed.is_empty() || pick.governance,
            // The tags are counted (and numbered) where a front page is
            // due, which is wherever a tag's list is.
            count_tags: front.iter().any(|f| *f),
            front,
            touched,
            want_tag,
            want_author,
            tags: Names::default(),
            tag_tally: Tally::new(columns),
            authors,
            author_tally,
            updated: vec![0; columns],
            slot: Vec::new(),
            due_names: Vec::new(),
            ends: Vec::new(),
        }
    }

    /// Takes in the next listing (in slug order).
    fn visit(&mut self, a: &Listing<'a>) {
        if !self.due {
            return;
        }
        let place = place_of(self.languages, a.lang);
        self.slot.push(place.map_or(NONE, |j| j as u32));
        let cols = [Some(0), place.map(|j| 1 + j)];
        let t = a.updated_at.unwrap_or(a.published_at);
        for c in cols.into_iter().flatten() {
            self.updated[c] = self.updated[c].max(t);
        }
        if self.count_tags {
            for t in a.tag_bytes() {
                let id = self.tags.id(t);
                let (all, want) = (self.all, &self.want_tag);
                self.tag_tally
                    .make(id, |c| all || want[c].find_bytes(t).is_some());
                let mut listed = false;
                for c in cols.into_iter().flatten() {
                    listed |= self.tag_tally.count(id, c);
                }
                if listed {
                    self.due_names.push((true, id as u32));
                }
            }
        }
        if self.all || self.authors.len() > 0 {
            for h in a.author_bytes() {
                let id = if self.all {
                    let id = self.authors.id(h);
                    self.author_tally.make(id, |_| true);
                    id
                } else {
                    match self.authors.get(h) {
                        Some(id) => id,
                        None => continue,
                    }
                };
                self.due_names.push((false, id as u32));
            }
        }
        self.ends.push(self.due_names.len());
    }

    /// The sections' shares: `listings`, every one visited in slug order;
    /// `order`: their places there, newest first; `newest`: the listings in
    /// that order.
    fn finish<'l>(
        self,
        listings: &'l [Listing<'a>],
        order: &[usize],
        newest: &[&'l Listing<'a>],
    ) -> Gathered<'l, 'a> {
        let mut by_lang: Vec<Vec<&Listing>> = vec![Vec::new(); self.languages.len()];
        let mut tag_lists = Lists::new(&self.tag_tally);
        let mut author_lists = Lists::new(&self.author_tally);
        // Every listing visited (else nothing is due).
        if self.due && self.slot.len() == listings.len() {
            for &i in order {
                let a = &listings[i];
                let place = (self.slot[i] != NONE).then_some(self.slot[i] as usize);
                if let Some(j) = place {
                    by_lang[j].push(a);
                }
                let cols = [Some(0), place.map(|j| 1 + j)];
                let start = if i == 0 { 0 } else { self.ends[i - 1] };
                for &(is_tag, id) in &self.due_names[start..self.ends[i]] {
                    let (lists, tally) = if is_tag {
                        (&mut tag_lists, &self.tag_tally)
                    } else {
                        (&mut author_lists, &self.author_tally)
                    };
                    for c in cols.into_iter().flatten() {
                        lists.push(tally, id as usize, c, a);
                    }
                }
            }
        }
        let touched_at: Vec<usize> = self
            .touched
            .first()
            .into_iter()
            .flatten()
            .filter_map(|l| place(newest, l))
            .collect();
        let mut shares = Vec::with_capacity(self.columns);
        for (c, (touched, want_author)) in
            self.touched.into_iter().zip(self.want_author).enumerate()
        {
            shares.push(Share {
                touched,
                top_tags: if self.front[c] {
                    self.tag_tally.top(&self.tags, c, FRONT_SECTIONS)
                } else {
                    Vec::new()
                },
                front_items: BTreeMap::new(),
                by_tag: tag_lists.take(&self.tags, c),
                by_author: author_lists.take(&self.authors, c),
                want_author,
                updated: self.updated[c],
                months: None,
            });
        }
        Gathered {
            by_lang: by_lang.into_iter().map(Run::whole).collect(),
            shares,
            touched_at,
            languages: self.languages,
        }
    }
}

/// The sections' shares as the stored lists give them (see `fast`).
fn shares_from_lists<'l, 'a>(
    state: &'a State,
    g: &'a crate::fast::Gathered<'a>,
    newest: &Run<'l, 'a>,
    of: &dyn Fn(&[&str]) -> Vec<&'l Listing<'a>>,
) -> Gathered<'l, 'a> {
    let languages = state.charter().languages.as_slice();
    let mut by_lang = Vec::with_capacity(languages.len());
    let mut shares = Vec::with_capacity(g.columns.len());
    for (c, col) in g.columns.iter().enumerate() {
        let run = |p: &crate::fast::Part<'a>| Run {
            items: of(&p.items),
            len: p.len,
        };
        let list = col.list.as_ref().map(run).unwrap_or_default();
        let mut touched: Vec<Listing<'a>> = list
            .items
            .iter()
            .filter(|l| g.published.contains(&l.slug))
            .map(|l| **l)
            .collect();
        touched.sort_by_key(|a| std::cmp::Reverse(a.published_at));
        // Ties in slug order, as `Gathering` has them.
        touched.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(a.slug.cmp(b.slug)));
        let want_author: Few = touched.iter().flat_map(|a| a.authors()).collect();
        shares.push(Share {
            touched,
            top_tags: col.top_tags.iter().map(|(t, n, _)| (*t, *n)).collect(),
            front_items: col
                .top_tags
                .iter()
                .map(|(t, _, items)| (*t, of(items)))
                .collect(),
            by_tag: col.tags.iter().map(|(t, p)| (*t, run(p))).collect(),
            by_author: col.authors.iter().map(|(h, p)| (*h, run(p))).collect(),
            want_author,
            updated: col.updated,
            months: Some(col.months.clone()),
        });
        if c > 0 {
            by_lang.push(list);
        }
    }
    let touched_at = shares
        .first()
        .into_iter()
        .flat_map(|s| s.touched.iter())
        .filter_map(|l| place(&newest.items, l))
        .collect();
    Gathered {
        by_lang,
        shares,
        touched_at,
        languages,
    }
}

impl Gathered<'_, '_> {
    /// The column of the section listing `only` (every language: `None`).
    fn column(&self, only: Option<&str>) -> usize {
        only.and_then(|l| place_of(self.languages, l))
            .map_or(0, |j| 1 + j)
    }
}

fn page(path: &str, markup: Markup) -> File {
    File {
        path: path.to_string(),
        bytes: markup.into_string().into_bytes(),
    }
}

/// Bidirectional override and isolate controls (U+202A–U+202E,
/// U+2066–U+2069) removed: in a title, a name, a tag or a summary they could
/// reorder the text around them ("Spoof \u{202E}gpj.exe" shown as
/// "Spoof exe.jpg"). What remains is isolated by `dir="auto"`/`<bdi>`.
///
/// Text without them (nearly all) is returned as it is, not copied: every
/// one of them is encoded in UTF-8 starting with the byte 0xE2, which most
/// text lacks.
pub fn strip_bidi(s: &str) -> std::borrow::Cow<'_, str> {
    let control = |c: char| matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if !s.as_bytes().contains(&0xE2) || !s.contains(control) {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(s.chars().filter(|&c| !control(c)).collect())
}

/// A handle as a path part: kept if plain ASCII (letters, digits, `-`, `_`,
/// `.` not first), otherwise hex-encoded, so no handle can make a path that
/// climbs out of its directory or means two things.
pub fn handle_path(h: &str) -> String {
    let plain = !h.is_empty()
        && !h.starts_with('.')
        && h.len() <= 64
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if plain {
        h.to_string()
    } else {
        format!("~{}", hex::encode(h.as_bytes()))
    }
}

/// The relative path from the page at `path` to the site's root.
fn root_of(path: &str) -> String {
    "../".repeat(path.matches('/').count())
}

/// The QR code of the `i`th mirror in the list.
fn mirror_qr_path(i: usize) -> String {
    format!("mirrors/mirror-{i}.svg")
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

struct Section<'a> {
    /// `""` for the root section, `"kk/"` for a language's.
    base: String,
    lang: &'a str,
    /// The language whose articles it lists (the root lists every one).
    only: Option<&'a str>,
}

struct Site<'a> {
    state: &'a State,
    config: &'a SiteConfig,
    /// Articles by the slug of the original they translate (an original
    /// under its own slug): built once, so finding an article's
    /// translations is a lookup, not a scan of the archive per page.
    translation_groups: BTreeMap<&'a str, Vec<&'a Listing<'a>>>,
    clock: Clock,
    default_lang: &'a str,
    /// Articles' lead images, by slug (filled once every body is rendered,
    /// before the lists that show them).
    leads: BTreeMap<String, crate::images::Lead>,
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
    /// The language chooser: each language and where it leads from here.
    languages: Vec<(String, String)>,
    /// The section the header's links lead into (`""` or `"kk/"`).
    base: &'a str,
    extra: Markup,
}

/// One revision's texts, for differences: title, summary and body
/// (`None` where the body is redacted or missing).
pub(crate) struct RevisionText {
    title: String,
    summary: String,
    body: Option<String>,
    /// Whether this revision replaced most of the previous one's words.
    major: bool,
    /// The share of words it changed, in percent.
    changed: u32,
}

impl<'a> Site<'a> {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url)
    }

    fn time(&self, lang: &str, t: u64) -> Markup {
        html! { time datetime=(self.clock.machine(t)) { (self.clock.date_time(lang, t)) } }
    }

    fn day(&self, lang: &str, t: u64) -> Markup {
        html! { time datetime=(self.clock.machine(t)) { (self.clock.date(lang, t)) } }
    }

    /// The same page in every language section (`rel` below the section).
    fn section_languages(&self, root: &str, rel: &str) -> Vec<(String, String)> {
        self.state
            .charter()
            .languages
            .iter()
            .map(|l| (l.clone(), format!("{root}{l}/{rel}")))
            .collect()
    }

    /// hreflang alternates: the same page in every language section.
    fn section_alternates(&self, rel: &str) -> Vec<(String, String)> {
        let rel = rel.trim_end_matches("index.html");
        self.state
            .charter()
            .languages
            .iter()
            .map(|l| (l.clone(), self.url(&format!("{l}/{rel}"))))
            .collect()
    }

    fn shell(&self, head: Head, body: Markup) -> Markup {
        let w = words(head.lang);
        let sw = site_words(head.lang);
        let root = head.root;
        let base = head.base;
        // The cooperative and the mirrors live in the language sections
        // only: the root section leads to its language's.
        let gov = if base.is_empty() {
            format!("{}/", self.default_lang)
        } else {
            base.to_string()
        };
        let gov = gov.as_str();
        let name = strip_bidi(self.state.name());
        html! {
            (DOCTYPE)
            html lang=(head.lang) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'";
                    title { (strip_bidi(&head.title)) }
                    @if !head.description.is_empty() { meta name="description" content=(strip_bidi(head.description)); }
                    link rel="stylesheet" href={ (root) "style.css" };
                    link rel="icon" type="image/svg+xml" href={ (root) "favicon.svg" };
                    link rel="canonical" href=(head.canonical);
                    @for (lang, href) in &head.alternates { link rel="alternate" hreflang=(lang) href=(href); }
                    link rel="alternate" type="application/atom+xml" title=(name) href={ (root) "feed.atom" };
                    (head.extra)
                }
                body {
                    header.site {
                        div.wrap {
                            a.name href={ (root) (base) "index.html" } dir="auto" { (name) }
                            nav.site {
                                a href={ (root) (base) "archive/index.html" } { (sw.archive) }
                                a href={ (root) (gov) "coop/index.html" } { (w.coop) }
                                a href={ (root) (gov) "mirrors/index.html" } { (w.mirrors) }
                                a href={ (root) (head.lang) "/feed.atom" } { (w.feed) }
                            }
                            nav.langs aria-label=(sw.language) {
                                // On a phone the languages are their codes, so the
                                // header stays two lines (name and languages, links).
                                @for (l, href) in &head.languages {
                                    @if l == head.lang {
                                        a.current href=(href) lang=(l) hreflang=(l) aria-current="true" aria-label=(words(l).name) { span.long { (words(l).name) } span.short { (l.to_uppercase()) } }
                                    } @else {
                                        a href=(href) lang=(l) hreflang=(l) aria-label=(words(l).name) { span.long { (words(l).name) } span.short { (l.to_uppercase()) } }
                                    }
                                }
                            }
                        }
                    }
                    main { (body) }
                    footer.site { div.wrap { p { (w.verify_note) " " a href={ (root) (gov) "mirrors/index.html" } { (w.mirrors) } } } }
                }
            }
        }
    }

    /// Authors (linked to their page in `base`) and bylines, isolated.
    fn byline(&self, a: &Listing, root: &str, base: &str) -> Markup {
        let has_authors = a.authors().next().is_some();
        html! {
            @for (i, h) in a.authors().enumerate() {
                @if i > 0 { ", " }
                a href={ (root) (base) "author/" (handle_path(h)) "/index.html" } { bdi { (strip_bidi(h)) } }
            }
            @for (i, b) in a.bylines().enumerate() {
                @if i > 0 || has_authors { ", " }
                bdi { (strip_bidi(b)) }
            }
        }
    }

    /// The labels of an article in a list: retracted, redacted, corrected.
    fn labels(&self, a: &Listing, lang: &str) -> Markup {
        let w = words(lang);
        let sw = site_words(lang);
        let redacted = self.state.redacted().contains(a.slug);
        let retracted = self.state.retracted().contains(a.slug);
        html! {
            @if redacted { span.label.alert { (w.redacted) } " " }
            @else if retracted { span.label.alert { (w.retracted) } " " }
            @if a.major_correction { span.label { (sw.major_correction) } " " }
            @else if a.revisions > 1 { span.label { (sw.corrected) } " " }
        }
    }

    /// A list's entry for the article `a` lists: from its listing alone,
    /// nothing decoded.
    fn article_item(&self, a: &Listing, root: &str, base: &str, lang: &str, lead: bool) -> Markup {
        let has_names = a.authors().next().is_some() || a.bylines().next().is_some();
        let image = if lead {
            self.leads.get(a.slug).cloned()
        } else {
            None
        };
        html! {
            li.item lang=(a.lang) {
                @if let Some(img) = &image {
                    // Decorative beside its headline; sized so nothing shifts
                    // as it loads, the phone taking a small size.
                    a.lead-image href={ (root) "a/" (a.slug) "/index.html" } tabindex="-1" aria-hidden="true" {
                        img src={ (root) (img.original.path()) }
                            srcset=(lead_srcset(img, root))
                            sizes="(min-width: 48rem) 46rem, 100vw"
                            width=(img.width) height=(img.height)
                            loading="lazy" decoding="async" alt="";
                    }
                }
                @if lead {
                    h2.lead dir="auto" { (self.labels(a, lang)) a href={ (root) "a/" (a.slug) "/index.html" } { (strip_bidi(a.title)) } }
                } @else {
                    h3 dir="auto" { (self.labels(a, lang)) a href={ (root) "a/" (a.slug) "/index.html" } { (strip_bidi(a.title)) } }
                }
                @if !a.summary.is_empty() { p.summary dir="auto" { (strip_bidi(a.summary)) } }
                p.meta {
                    @if has_names { (self.byline(a, root, base)) " · " }
                    (self.day(lang, a.published_at))
                }
            }
        }
    }

    /// The pages of `section` that `pick` names, its lists' pages rendered
    /// on every core (in the same order as one by one), a batch of lists at
    /// a time handed to `sink`.
    fn section(
        &self,
        s: &Section,
        list: &Run,
        share: &Share,
        pick: &Pick,
        sink: &mut dyn FnMut(File),
        covered: &mut Vec<String>,
    ) {
        use rayon::prelude::*;
        let touched = &share.touched;
        let months_given = share.months.as_ref();
        let articles_changed = pick.all || !touched.is_empty();
        let governance = s.only.is_some() && pick.governance;
        let base = s.base.as_str();
        if s.only.is_some() && pick.clock && !governance {
            sink(page(&format!("{base}coop/index.html"), self.coop(s)));
        }
        if !articles_changed && !governance {
            return;
        }
        if articles_changed {
            // Each front tag section's newest articles: given, or found in
            // the section's list.
            let tags: Vec<(&str, usize, Vec<&Listing>)> = share
                .top_tags
                .iter()
                .map(|(tag, n)| {
                    let items = match share.front_items.get(tag) {
                        Some(items) => items.clone(),
                        None => list
                            .items
                            .iter()
                            .copied()
                            .filter(|a| a.tags().any(|t| t == *tag))
                            .take(FRONT_SECTION_ITEMS)
                            .collect(),
                    };
                    (*tag, *n, items)
                })
                .collect();
            sink(page(
                &format!("{base}index.html"),
                self.front(s, list, &tags),
            ));
        }
        // The lists that show a changed article (every list, for a whole
        // render), and each member's articles where members' pages are due:
        // the tags' and authors' gathered (see `Gathered`).
        let want_month: std::collections::BTreeSet<String> = touched
            .iter()
            .map(|a| self.clock.month_key(a.published_at))
            .collect();
        let want_author = &share.want_author;
        // The archive: months (each month paginated), with their counts.
        // The list is newest first, so each month is one run of it, found
        // by a binary search: its key is worked out once per month, and
        // nothing is done per article.
        // Given (from the stored lists), every month's count is, and the
        // months due are the runs of the section's newest items.
        let mut counts: BTreeMap<String, usize> = months_given.cloned().unwrap_or_default();
        let mut months: BTreeMap<String, Run> = BTreeMap::new();
        if articles_changed {
            let items = &list.items;
            let mut i = 0;
            while i < items.len() {
                let (key, start, _) = self.clock.month_span(items[i].published_at);
                let run = items[i..]
                    .partition_point(|a| a.published_at >= start)
                    .max(1);
                let run_items = items[i..i + run].to_vec();
                let len = match months_given {
                    Some(given) => given.get(&key).copied().unwrap_or(run),
                    None => {
                        *counts.entry(key.clone()).or_default() += run;
                        run
                    }
                };
                if pick.all || want_month.contains(&key) {
                    months.insert(
                        key,
                        Run {
                            items: run_items,
                            len,
                        },
                    );
                }
                i += run;
            }
        }
        let by_tag = &share.by_tag;
        let by_author = &share.by_author;
        if articles_changed {
            sink(page(
                &format!("{base}archive/index.html"),
                self.archive(s, &counts),
            ));
        }
        // Every list: (folder, title, articles), months, tags, authors.
        let mut lists: Vec<(String, String, &Run)> = Vec::new();
        for (m, items) in &months {
            lists.push((format!("archive/{m}/"), month_title(s.lang, m), items));
        }
        for (tag, items) in by_tag {
            lists.push((
                format!("tag/{tag}/"),
                format!("#{}", strip_bidi(tag)),
                items,
            ));
        }
        for (handle, items) in by_author {
            if !pick.all && !touched.iter().any(|t| place(&items.items, t).is_some()) {
                continue;
            }
            lists.push((
                format!("author/{}/", handle_path(handle)),
                strip_bidi(handle).into_owned(),
                items,
            ));
        }
        // Every page due of every list, rendered on every core a batch of
        // pages at a time (a list may have thousands).
        let mut jobs: Vec<(usize, usize)> = Vec::new();
        for (l, (_, _, items)) in lists.iter().enumerate() {
            jobs.extend(
                pick.pages(&items.items, items.len, PER_PAGE, touched)
                    .into_iter()
                    .map(|n| (l, n)),
            );
        }
        for batch in jobs.chunks(PAGE_BATCH) {
            let pages: Vec<File> = batch
                .par_iter()
                .map(|&(l, n)| {
                    let (dir, title, items) = &lists[l];
                    self.paginated(s, dir, title, items, n)
                })
                .collect();
            for f in pages {
                sink(f);
            }
        }
        if s.only.is_some() {
            if governance {
                covered.push(format!("{base}coop/m/"));
                self.governance(s, by_author, None, sink);
                sink(page(&format!("{base}mirrors/index.html"), self.mirrors(s)));
            } else {
                // A member's page lists their newest articles.
                let authors: Vec<&str> = want_author.iter().collect();
                self.governance(s, by_author, Some(&authors), sink);
            }
        } else if pick.all {
            // The root section's governance would repeat its language's
            // page for page: its old addresses lead there instead.
            for rel in ["coop/index.html", "mirrors/index.html"] {
                sink(page(rel, self.moved(rel)));
            }
        }
    }

    /// A page at `rel` of the root section that moved to the same place in
    /// the first language's section: a meta refresh (no script, so it works
    /// from `file://` and under any prefix: the target is relative) and a
    /// link for browsers that do not follow it.
    fn moved(&self, rel: &str) -> Markup {
        let lang = self.default_lang;
        let target = format!("{lang}/{rel}");
        let root = root_of(rel);
        let title = if rel.starts_with("coop/") {
            words(lang).coop
        } else {
            words(lang).mirrors
        };
        html! {
            (DOCTYPE)
            html lang=(lang) {
                head {
                    meta charset="utf-8";
                    meta name="viewport" content="width=device-width, initial-scale=1";
                    meta name="referrer" content="no-referrer";
                    meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'";
                    meta http-equiv="refresh" content={ "0; url=" (root) (target) };
                    title { (title) " — " (strip_bidi(self.state.name())) }
                    link rel="icon" type="image/svg+xml" href={ (root) "favicon.svg" };
                    link rel="canonical" href=(self.url(target.trim_end_matches("index.html")));
                }
                body { p { a href={ (root) (target) } { (title) } } }
            }
        }
    }

    /// A section's front page; `tags`: its most used tags and their
    /// counts, most used first (see `Gathered`).
    fn front(&self, s: &Section, run: &Run, tags: &[(&str, usize, Vec<&Listing>)]) -> Markup {
        let list = run.items.as_slice();
        let w = words(s.lang);
        let sw = site_words(s.lang);
        let base = s.base.as_str();
        let root = root_of(base);
        let root = root.as_str();
        // The lead: the newest article that stands (not retracted or redacted).
        let standing = |a: &&&Listing| {
            !self.state.retracted().contains(a.slug) && !self.state.redacted().contains(a.slug)
        };
        let lead = list.iter().find(standing).copied();
        let latest: Vec<&Listing> = list
            .iter()
            .copied()
            .filter(|a| lead.is_none_or(|l| l.slug != a.slug))
            .take(FRONT_LATEST)
            .collect();
        let head = Head {
            title: format!("{} — {}", self.state.name(), w.latest),
            description: "",
            lang: s.lang,
            root,
            canonical: self.url(base),
            alternates: self.section_alternates(""),
            languages: self.section_languages(root, "index.html"),
            base,
            extra: html! {},
        };
        self.shell(
            head,
            html! {
                h1.visually-hidden { (w.latest) }
                @if list.is_empty() { p { (w.no_articles) } }
                @if let Some(l) = lead {
                    section.lead aria-label=(sw.top_story) { ul.list { (self.article_item(l, root, base, s.lang, true)) } }
                }
                div.front {
                    section.latest {
                        h2 { (w.latest) }
                        ul.list { @for a in &latest { (self.article_item(a, root, base, s.lang, false)) } }
                        p.more { a href={ (root) (base) "archive/index.html" } { (sw.archive) " → " } (sw.articles_count(run.len)) }
                    }
                    @if !tags.is_empty() {
                        section.sections aria-label=(sw.sections) {
                            @for (tag, n, items) in tags {
                                section.tag {
                                    h2 { a href={ (root) (base) "tag/" (tag) "/index.html" } { "#" (strip_bidi(tag)) } }
                                    ul.list.compact {
                                        @for a in items {
                                            (self.article_item(a, root, base, s.lang, false))
                                        }
                                    }
                                    p.more { a href={ (root) (base) "tag/" (tag) "/index.html" } { (sw.all_in) " (" (n) ") →" } }
                                }
                            }
                        }
                    }
                }
            },
        )
    }

    fn archive(&self, s: &Section, months: &BTreeMap<String, usize>) -> Markup {
        let sw = site_words(s.lang);
        let base = s.base.as_str();
        let path = format!("{base}archive/index.html");
        let root = root_of(&path);
        let head = Head {
            title: format!("{} — {}", sw.archive, self.state.name()),
            description: "",
            lang: s.lang,
            root: &root,
            canonical: self.url(&format!("{base}archive/")),
            alternates: self.section_alternates("archive/"),
            languages: self.section_languages(&root, "archive/index.html"),
            base,
            extra: html! {},
        };
        self.shell(
            head,
            html! {
                h1 { (sw.archive) }
                ul.months {
                    @for (m, count) in months.iter().rev() {
                        li { a href={ (root) (base) "archive/" (m) "/index.html" } { (month_title(s.lang, m)) } " · " span.meta { (sw.articles_count(*count)) } }
                    }
                }
            },
        )
    }

    /// A list of articles at `{base}{dir}`, newest first, paged as
    /// [`Paging`] says: its newest `PER_PAGE` at `index.html`, the rest in
    /// stable numbered pages at `n/index.html`, with links between them.
    fn paginated(&self, s: &Section, dir: &str, title: &str, run: &Run, n: usize) -> File {
        let items = run.items.as_slice();
        let sw = site_words(s.lang);
        let base = s.base.as_str();
        let paging = Paging::new(run.len);
        let at = |n: usize| {
            if n == 0 {
                format!("{base}{dir}index.html")
            } else {
                format!("{base}{dir}{n}/index.html")
            }
        };
        {
            let path = at(n);
            let root = root_of(&path);
            // A render from the lists reads every item this shows (see
            // `fast`); clipped all the same, never a panic.
            let range = paging.range(n);
            let chunk = &items[range.start.min(items.len())..range.end.min(items.len())];
            let (newer, older) = paging.links(n);
            let head = Head {
                title: if n > 0 {
                    format!("{title} · {} — {}", sw.page(n), self.state.name())
                } else {
                    format!("{title} — {}", self.state.name())
                },
                description: "",
                lang: s.lang,
                root: &root,
                canonical: self.url(path.trim_end_matches("index.html")),
                alternates: Vec::new(),
                languages: self.section_languages(&root, "index.html"),
                base,
                extra: html! {
                    @if let Some(m) = newer { link rel="prev" href={ (root) (at(m)) }; }
                    @if let Some(m) = older { link rel="next" href={ (root) (at(m)) }; }
                },
            };
            let markup = self.shell(
                head,
                html! {
                    h1 dir="auto" { (title) }
                    ul.list { @for a in chunk { (self.article_item(a, &root, base, s.lang, false)) } }
                    @if newer.is_some() || older.is_some() {
                        nav.pages aria-label=(sw.pages) {
                            @if let Some(m) = newer { a rel="prev" href={ (root) (at(m)) } { (sw.newer) } }
                            @if n > 0 { span { (sw.page(n)) } }
                            @if let Some(m) = older { a rel="next" href={ (root) (at(m)) } { (sw.older) } }
                        }
                    }
                },
            );
            page(&path, markup)
        }
    }

    /// The article's translations (including itself), by language.
    fn translations(&self, a: &Article) -> Vec<Listing<'a>> {
        let original = a.translation_of.as_deref().unwrap_or(&a.slug);
        let mut out: Vec<Listing> = self
            .translation_groups
            .get(original)
            .map(|g| g.iter().map(|l| **l).collect())
            .unwrap_or_default();
        // The original itself, should it be filed as a translation of another.
        if let Some(o) = self.state.listing(original) {
            if o.translation_of.is_some() && !out.iter().any(|b| b.slug == o.slug) {
                out.push(o);
            }
        }
        out.sort_by(|x, y| x.lang.cmp(y.lang).then(x.slug.cmp(y.slug)));
        out
    }

    /// The current title of the article `slug` (decoded for this alone).
    fn title_of(&self, slug: &str) -> String {
        self.state
            .article_uncached(slug)
            .map(|a| a.current().title.clone())
            .unwrap_or_default()
    }

    /// An article's page and, where it has history, its history page,
    /// from the inputs read for it.
    fn article_pages(
        &self,
        a: &Article,
        input: ArticleInput,
        redacted_blobs: &std::collections::BTreeSet<BlobId>,
    ) -> ArticleOutput {
        let (rendered, fresh) = match input.body {
            BodyInput::None => (None, false),
            BodyInput::Cached(r) => (Some(r), false),
            BodyInput::Source(bytes) => (
                Some(crate::markdown::render(
                    &String::from_utf8_lossy(&bytes),
                    "../../",
                )),
                true,
            ),
        };
        let mut media = Vec::new();
        let mut kept = None;
        let body = rendered.map(|r| {
            // Only media the revision declares, so a body cannot pull in an
            // arbitrary blob of the copy as an image.
            media =
                r.1.iter()
                    .filter(|m| a.current().media.contains(&m.id))
                    .filter(|m| !redacted_blobs.contains(&m.id))
                    .cloned()
                    .collect();
            let html = r.0.clone();
            if fresh {
                kept = Some(r);
            }
            html
        });
        let texts = input.revisions.map(|bodies| self.revision_texts(a, bodies));
        let mut files = vec![page(
            &format!("a/{}/index.html", a.slug),
            self.article(a, body, texts.as_deref()),
        )];
        // A history page only where there is history: a single revision is
        // fully described on the article page (log index, entry hash).
        if let Some(texts) = &texts {
            files.push(page(
                &format!("a/{}/history/index.html", a.slug),
                self.history(a, texts),
            ));
        }
        ArticleOutput {
            files,
            media,
            rendered: kept,
        }
    }

    /// Every revision's texts, and how much each correction changed, from
    /// each revision's body (`None` where redacted or missing).
    fn revision_texts(&self, a: &Article, bodies: Vec<Option<Vec<u8>>>) -> Vec<RevisionText> {
        let redacted = self.state.redacted().contains(&a.slug);
        let redacted_blobs = self.state.redacted_blobs();
        let mut out: Vec<RevisionText> = Vec::new();
        for (r, bytes) in a.revisions.iter().zip(bodies) {
            let body = if redacted || redacted_blobs.contains(&r.body) {
                None
            } else {
                bytes.map(|b| String::from_utf8_lossy(&b).into_owned())
            };
            let (major, changed) = match (out.last(), &body) {
                (Some(prev), Some(now)) => {
                    let old = format!(
                        "{}\n{}\n{}",
                        prev.title,
                        prev.summary,
                        prev.body.as_deref().unwrap_or("")
                    );
                    let new = format!("{}\n{}\n{}", r.title, r.summary, now);
                    let share = diff::changed_share(&old, &new);
                    (share > diff::MAJOR_SHARE, (share * 100.0).round() as u32)
                }
                _ => (false, 0),
            };
            out.push(RevisionText {
                title: r.title.clone(),
                summary: r.summary.clone(),
                body,
                major,
                changed,
            });
        }
        out
    }

    fn article(&self, a: &Article, body: Option<String>, texts: Option<&[RevisionText]>) -> Markup {
        let w = words(&a.lang);
        let sw = site_words(&a.lang);
        let lang = a.lang.as_str();
        let base = format!("{lang}/");
        let base = base.as_str();
        let root = "../../";
        let r = a.current();
        let retracted = self.state.retracted().contains(&a.slug);
        let redacted = self.state.redacted().contains(&a.slug);
        let translations = self.translations(a);
        let alternates: Vec<(String, String)> = if translations.len() > 1 {
            translations
                .iter()
                .map(|t| (t.lang.to_string(), self.url(&format!("a/{}/", t.slug))))
                .collect()
        } else {
            Vec::new()
        };
        // The chooser: the translation in each language, or its front page.
        let languages: Vec<(String, String)> = self
            .state
            .charter()
            .languages
            .iter()
            .map(|l| {
                let href = if *l == a.lang {
                    "index.html".to_string()
                } else {
                    translations
                        .iter()
                        .find(|t| t.lang == l.as_str())
                        .map_or(format!("{root}{l}/index.html"), |t| {
                            format!("{root}a/{}/index.html", t.slug)
                        })
                };
                (l.clone(), href)
            })
            .collect();
        let names: Vec<String> = a
            .authors
            .iter()
            .chain(&a.bylines)
            .map(|n| strip_bidi(n).into_owned())
            .collect();
        // A correction counts as major if the editor said so or if it
        // replaced most of the words.
        let corrections: Vec<_> = a
            .revisions
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.correction.as_ref().map(|c| {
                    let computed = texts.and_then(|t| t.get(i)).is_some_and(|t| t.major);
                    (r, c, c.major || computed)
                })
            })
            .collect();
        let title = strip_bidi(&r.title);
        let summary = strip_bidi(&r.summary);
        let json_ld = serde_json::json!({
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "description": summary,
            "inLanguage": a.lang,
            "datePublished": rfc3339(a.published_at()),
            "dateModified": rfc3339(a.updated_at().unwrap_or(a.published_at())),
            "author": names.iter().map(|n| serde_json::json!({"@type": "Person", "name": n})).collect::<Vec<_>>(),
            "publisher": {"@type": "NewsMediaOrganization", "name": self.state.name()},
            "mainEntityOfPage": self.url(&format!("a/{}/", a.slug)),
            "correction": corrections.iter().map(|(r, c, _)| serde_json::json!({
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
        let recorded = a.first().log_time;
        let published = a.published_at();
        let editor_dated =
            a.first_published.is_some() && published.abs_diff(recorded) > EDITOR_DATE_SLACK;
        let head = Head {
            title: format!("{} — {}", title, self.state.name()),
            description: &r.summary,
            lang: &a.lang,
            root,
            canonical: self.url(&format!("a/{}/", a.slug)),
            alternates,
            languages,
            base,
            extra: html! {
                meta property="og:type" content="article";
                meta property="og:title" content=(title);
                meta property="og:description" content=(summary);
                meta property="og:url" content=(self.url(&format!("a/{}/", a.slug)));
                meta property="og:site_name" content=(self.state.name());
                script type="application/ld+json" { (PreEscaped(json_ld)) }
            },
        };
        self.shell(head, html! {
            article lang=(a.lang) {
                @if retracted { p.notice.alert { strong { (w.retracted) ". " } (w.retracted_note) " " (self.decision_link(&a.slug, root, base)) } }
                @for (rev, c, _) in corrections.iter().filter(|(_, _, major)| *major) {
                    p.notice.compact { strong { (sw.major_correction) " · " (self.day(lang, rev.log_time.max(rev.time))) ": " } span dir="auto" { (strip_bidi(&c.note)) } " " a href="history/index.html" { (w.history) } }
                }
                h1 dir="auto" { (title) }
                @if !summary.is_empty() && !redacted { p.dek dir="auto" { (summary) } }
                p.meta {
                    @if !names.is_empty() { (w.by) " " (self.byline(&Listing::of(a), root, base)) " · " }
                    span.when { (w.published) " " (self.time(lang, published)) }
                    @if editor_dated { " (" (sw.editor_date) ")" }
                    " · " span.when { (sw.recorded) " " (self.time(lang, recorded)) }
                    @if let Some(u) = a.updated_at() { " · " span.when { (w.updated) " " (self.time(lang, a.current().log_time.max(u))) } }
                    " " span.tz { "(" (self.clock.offset(recorded)) ")" }
                }
                @if translations.len() > 1 {
                    nav.translations aria-label=(w.in_other_languages) {
                        (w.in_other_languages) ": "
                        @for t in &translations {
                            @if t.slug == a.slug {
                                strong lang=(t.lang) aria-current="page" { (words(t.lang).name) }
                            } @else {
                                a href={ (root) "a/" (t.slug) "/index.html" } hreflang=(t.lang) lang=(t.lang) { (words(t.lang).name) ": " bdi { (strip_bidi(&self.title_of(t.slug))) } }
                            }
                            " "
                        }
                    }
                }
                @match (&body, redacted) {
                    (_, true) => p.notice.alert { strong { (w.redacted) ". " } (w.redacted_note) " " (self.decision_link(&a.slug, root, base)) },
                    (Some(html), false) => div.body dir="auto" { (PreEscaped(strip_bidi(html))) },
                    (None, false) => p.notice.alert { (w.redacted_note) },
                }
                @if !corrections.is_empty() {
                    section.corrections id="corrections" {
                        h2 { (w.corrections) }
                        @for (rev, c, major) in &corrections {
                            p { (self.day(lang, rev.log_time.max(rev.time))) ": "
                                @if *major { strong { (sw.major_correction) } ". " }
                                span dir="auto" { (strip_bidi(&c.note)) } }
                        }
                    }
                }
                @if !a.tags.is_empty() {
                    p.meta { (w.tags) ": "
                        @for t in &a.tags { a href={ (root) (base) "tag/" (t) "/index.html" } { "#" (strip_bidi(t)) } " " }
                    }
                }
                p.meta {
                    (w.log_entry) " #" (r.index) " · " span.key { (r.entry_hash) }
                    @if a.revisions.len() > 1 { " · " a href="history/index.html" { (w.history) } }
                }
            }
        })
    }

    /// The passed decision that retracted or redacted `slug`, linked.
    fn decision_link(&self, slug: &str, root: &str, base: &str) -> Markup {
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
                html! { a href={ (root) (base) "coop/p/" (p.id) "/index.html" } { "#" (p.id) " " bdi { (strip_bidi(&p.title)) } } }
            }
            None => html! {},
        }
    }

    fn history(&self, a: &Article, texts: &[RevisionText]) -> Markup {
        let w = words(&a.lang);
        let sw = site_words(&a.lang);
        let lang = a.lang.as_str();
        let base = format!("{lang}/");
        let root = "../../../";
        let head = Head {
            title: format!("{} — {}", w.history, a.current().title),
            description: "",
            lang: &a.lang,
            root,
            canonical: self.url(&format!("a/{}/history/", a.slug)),
            alternates: Vec::new(),
            languages: self.section_languages(root, "index.html"),
            base: &base,
            extra: html! {},
        };
        let n = a.revisions.len();
        self.shell(head, html! {
            h1 { (w.history) ": " a href="../index.html" dir="auto" { (strip_bidi(&a.current().title)) } }
            @for (i, (r, t)) in a.revisions.iter().zip(texts).enumerate().rev() {
                section.revision id={ "r" (i + 1) } {
                    h2 { (sw.revision_of) " " (i + 1) "/" (n) " · " (self.time(lang, r.log_time.max(r.time))) }
                    p.meta { (sw.by_editor) " " bdi { (strip_bidi(&r.editor)) } " · " (w.log_entry) " #" (r.index) " · " span.key { (r.entry_hash) }
                        // A redacted body is gone from every copy: no link to it.
                        @if t.body.is_some() {
                            " · blob " a href={ (root) "blob/" (r.body) } { span.key { (r.body) } }
                        }
                    }
                    @if let Some(c) = &r.correction {
                        p.notice.compact {
                            @if c.major || t.major { strong { (sw.major_correction) } ". " }
                            @else { strong { (w.correction) } ". " }
                            span dir="auto" { (strip_bidi(&c.note)) }
                            @if t.major && !c.major { " — " (sw.major_note) "." }
                            " (" (sw.changed_share(t.changed)) ")"
                        }
                    }
                    @if i > 0 {
                        @let prev = &texts[i - 1];
                        h3 { (sw.difference) }
                        div.diff dir="auto" {
                            p { (diff_markup(&prev.title, &t.title)) }
                            @if !(prev.summary.is_empty() && t.summary.is_empty()) { p { (diff_markup(&prev.summary, &t.summary)) } }
                            @if let (Some(old), Some(new)) = (&prev.body, &t.body) {
                                pre.diff-body { (diff_markup(old, new)) }
                            }
                        }
                    }
                    details open[i + 1 == n] {
                        summary { (sw.full_text) }
                        p dir="auto" { strong { (strip_bidi(&t.title)) } }
                        @if !t.summary.is_empty() { p dir="auto" { (strip_bidi(&t.summary)) } }
                        @match &t.body {
                            Some(b) => div.body dir="auto" { (PreEscaped(strip_bidi(&crate::markdown::render(b, root).0))) },
                            None => p.notice.alert { (w.redacted_note) },
                        }
                    }
                }
            }
        })
    }

    /// The cooperative's pages in section `s`.
    /// The cooperative's pages in section `s`; `by_author` holds the
    /// section's articles by author, newest first, so that a member's page
    /// looks its articles up rather than scanning the archive.
    fn governance(
        &self,
        s: &Section,
        by_author: &BTreeMap<&str, Run>,
        only_members: Option<&[&str]>,
        sink: &mut dyn FnMut(File),
    ) {
        let base = s.base.as_str();
        if only_members.is_none() {
            sink(page(&format!("{base}coop/index.html"), self.coop(s)));
            for p in self.state.proposals() {
                sink(page(
                    &format!("{base}coop/p/{}/index.html", p.id),
                    self.proposal(s, p),
                ));
            }
        }
        // Each member's newest statements, in one pass over the list.
        let mut statements: BTreeMap<&str, Vec<&StatementRecord>> = BTreeMap::new();
        for x in self.state.statements().iter().rev() {
            let mine = statements.entry(x.handle.as_str()).or_default();
            if mine.len() < PER_PAGE {
                mine.push(x);
            }
        }
        for m in self.state.members() {
            let h = m.handle.as_str();
            if only_members.is_some_and(|o| o.binary_search(&h).is_err()) {
                continue;
            }
            sink(page(
                &format!("{base}coop/m/{}/index.html", handle_path(h)),
                self.member(
                    s,
                    h,
                    by_author.get(h).unwrap_or(&Run::default()),
                    statements.get(h).map_or(&[], Vec::as_slice),
                ),
            ));
        }
        if only_members.is_none() {
            self.statements(s, sink);
        }
    }

    fn gov_head<'h>(&'h self, s: &'h Section, rel: &str, title: String, root: &'h str) -> Head<'h> {
        let base = s.base.as_str();
        Head {
            title: format!("{title} — {}", self.state.name()),
            description: "",
            lang: s.lang,
            root,
            canonical: self.url(&format!("{base}{}", rel.trim_end_matches("index.html"))),
            alternates: self.section_alternates(rel),
            languages: self.section_languages(root, rel),
            base,
            extra: html! {},
        }
    }

    fn member_link(&self, root: &str, base: &str, handle: &str) -> Markup {
        if self.state.member(handle).is_some() {
            html! { a href={ (root) (base) "coop/m/" (handle_path(handle)) "/index.html" } { bdi { (strip_bidi(handle)) } } }
        } else {
            html! { bdi { (strip_bidi(handle)) } }
        }
    }

    /// One line of a proposal's state: voting until …, or closed … (and,
    /// with `effect`, its result: the proposal's own page says the result
    /// once, under its outcome, beside the tally).
    fn status(&self, lang: &str, p: &Proposal, effect: bool) -> Markup {
        let w = words(lang);
        let sw = site_words(lang);
        html! {
            @match &p.outcome {
                None => { strong { (w.open) } " · " (sw.voting_until) " " (self.time(lang, p.closes_at)) }
                Some(o) => {
                    strong { @if o.passed { (w.passed) } @else { (w.failed) } }
                    " · " (sw.closed) " " (self.time(lang, o.closed_at)) "."
                    @if effect { " " (w.effect(&o.effect)) "." }
                }
            }
            (w.secret_ballot(p.rule.secret()))
        }
    }

    fn coop(&self, s: &Section) -> Markup {
        let w: &Words = words(s.lang);
        let sw = site_words(s.lang);
        let base = s.base.as_str();
        let rel = "coop/index.html";
        let root = root_of(&format!("{base}{rel}"));
        let root = root.as_str();
        let st = self.state;
        let c = st.charter();
        let mut proposals: Vec<_> = st.proposals().collect();
        proposals.sort_by_key(|p| std::cmp::Reverse(p.id));
        let head = self.gov_head(s, rel, w.coop.to_string(), root);
        self.shell(head, html! {
            h1 { (w.coop) }
            h2 { (w.members) }
            ul.inline { @for m in st.members() { li { (self.member_link(root, base, &m.handle)) } } }
            h2 { (w.board) }
            ul { @for seat in st.board() { li { (self.member_link(root, base, &seat.handle)) " — " (w.until) " " (self.day(s.lang, seat.until)) } } }
            p { a href={ (root) (base) "coop/statements/index.html" } { (sw.statements) " (" (st.statements().len()) ") →" } }
            h2 { (w.decisions) }
            ul.list {
                @for p in proposals {
                    li.item id={ "p" (p.id) } {
                        h3 dir="auto" { a href={ (root) (base) "coop/p/" (p.id) "/index.html" } { "#" (p.id) " " (strip_bidi(&p.title)) } }
                        p.meta { span dir="auto" { (strip_bidi(&w.motion(&p.motion))) } " · " (w.proposed_by) ": " (self.member_link(root, base, &p.proposer)) }
                        @let changes = p.charter_changes();
                        @if !changes.is_empty() {
                            ul.changes { @for c in &changes { li { (w.charter_change(c)) } } }
                        }
                        p { (self.status(s.lang, p, true)) }
                    }
                }
            }
            h2 { (w.charter) }
            p { (w.one_member_one_vote) }
            ul {
                @for (what, rule) in w.decision_kinds.iter().zip([&c.admit, &c.remove, &c.amend, &c.retract, &c.redact, &c.resolution]) {
                    li { strong { (what) } ": " (w.rule_in_full(rule)) }
                }
                li { strong { (w.elect_board) } ": " (w.election_in_full(c)) }
                li { strong { (sw.times_in) } ": " (sw.zone_note(c.time_zone(), &self.clock.offset(st.log_time()))) }
            }
        })
    }

    fn proposal(&self, s: &Section, p: &Proposal) -> Markup {
        let w = words(s.lang);
        let sw = site_words(s.lang);
        let base = s.base.as_str();
        let rel = format!("coop/p/{}/index.html", p.id);
        let root = root_of(&format!("{base}{rel}"));
        let root = root.as_str();
        let head = self.gov_head(s, &rel, format!("{} #{}", sw.proposal, p.id), root);
        let changes = p.charter_changes();
        let count = match (&p.rule, &p.outcome) {
            (Judged::Election(_), Some(o)) => {
                let e = self.state.stv_election(p, &o.counted);
                erkin_core::stv::count(&e).ok().map(|c| (e, c))
            }
            _ => None,
        };
        self.shell(head, html! {
            p.meta { a href={ (root) (base) "coop/index.html" } { (w.coop) } " › " (sw.proposal) " #" (p.id) }
            h1 dir="auto" { (strip_bidi(&p.title)) }
            p dir="auto" { (strip_bidi(&w.motion(&p.motion))) }
            p.meta { (w.proposed_by) ": " (self.member_link(root, base, &p.proposer)) " · " (sw.opened) " " (self.time(s.lang, p.opened_at)) }
            p { (self.status(s.lang, p, false)) }
            @if !changes.is_empty() {
                ul.changes { @for c in &changes { li { (w.charter_change(c)) } } }
            }
            h2 { (sw.rule_in_force) }
            @match p.rule {
                Judged::Vote(rule) => p { (w.threshold(&rule.threshold)) "; " (w.quorum(rule.quorum)) "." },
                Judged::Election(_) => p { (w.election_in_full(self.state.charter())) },
            }
            @if let Some(o) = &p.outcome {
                h2 { (sw.outcome) }
                @match p.rule {
                    Judged::Vote(_) => p { (w.tally(&o.tally)) ". " (w.effect(&o.effect)) "." },
                    Judged::Election(_) => p { (sw.ballots(o.tally.yes, o.tally.abstain)) ". " (w.effect(&o.effect)) "." },
                }
            }
            @if let Some((e, c)) = &count {
                h2 { (sw.count) }
                p { (sw.quota) ": " (decimal(&c.quota)) }
                div.scroll {
                    table.stv {
                        thead { tr {
                            th scope="col" { (sw.candidate) }
                            @for (i, _) in c.stages.iter().enumerate() { th scope="col" { (sw.stage) " " (i + 1) } }
                        } }
                        tbody {
                            @for (ci, name) in e.candidates.iter().enumerate() {
                                tr {
                                    th scope="row" { bdi { (strip_bidi(name)) } @if c.elected.contains(&ci) { " ✓" } }
                                    @for st in &c.stages {
                                        td { (st.votes.get(ci).map(decimal).unwrap_or_default()) @if st.elected.contains(&ci) { " " strong { (sw.elected) } } }
                                    }
                                }
                            }
                            tr { th scope="row" { (sw.non_transferable) } @for st in &c.stages { td { (decimal(&st.non_transferable)) } } }
                        }
                    }
                }
                ol.stages {
                    @for st in &c.stages {
                        li { @match &st.kind {
                            erkin_core::stv::StageKind::FirstPreferences => (sw.first_preferences),
                            erkin_core::stv::StageKind::Surplus { from } => (sw.surplus_of(&strip_bidi(e.candidates.get(*from).map_or("", String::as_str)))),
                            erkin_core::stv::StageKind::Exclusion { of } => (sw.exclusion_of(&strip_bidi(e.candidates.get(*of).map_or("", String::as_str)))),
                        } }
                    }
                }
            }
            h2 { (sw.votes) }
            @if p.rule.secret() {
                // Who cast a secret ballot is recorded nowhere: no list of
                // members, only the turnout once the close counts it.
                p { @match p.outcome.as_ref().and_then(|o| o.secret.as_ref()) {
                    Some(t) => (sw.secret_turnout(t.turnout, p.electorate.len() as u64)),
                    None => (sw.secret_ballots_at_close),
                } }
            } @else { ul {
                @for m in &p.electorate {
                    li { (self.member_link(root, base, m)) ": "
                        @match p.votes.get(m) {
                            Some(b) => span dir="auto" { (strip_bidi(&sw.ballot(b))) },
                            None => span.meta { (sw.not_voted) },
                        }
                    }
                }
            } }
        })
    }

    /// A member's page: `articles` (theirs in this section, newest first)
    /// and `statements` (their newest, at most a page).
    fn member(
        &self,
        s: &Section,
        handle: &str,
        run: &Run,
        statements: &[&StatementRecord],
    ) -> Markup {
        let w = words(s.lang);
        let sw = site_words(s.lang);
        let base = s.base.as_str();
        let rel = format!("coop/m/{}/index.html", handle_path(handle));
        let root = root_of(&format!("{base}{rel}"));
        let root = root.as_str();
        let st = self.state;
        let name = strip_bidi(handle);
        let head = self.gov_head(s, &rel, format!("{} {name}", sw.member), root);
        let seat = st.board().iter().find(|x| x.handle == handle);
        let since = st.member(handle).map_or(0, |m| m.since);
        let total = run.len;
        let articles = run.items.as_slice();
        self.shell(head, html! {
            p.meta { a href={ (root) (base) "coop/index.html" } { (w.coop) } " › " (sw.member) }
            h1 { bdi { (name) } }
            p {
                @if let Some(seat) = seat { (sw.editor) " (" (w.until) " " (self.day(s.lang, seat.until)) ")" }
                @else { (sw.member) }
                @if since > 0 { " · " (sw.member_since) " " (self.day(s.lang, since)) }
            }
            h2 { (sw.statements) }
            @if statements.is_empty() { p { (sw.no_statements) } }
            ul.list { @for x in statements { li.item { p.meta { (self.time(s.lang, x.log_time)) " · " (w.log_entry) " #" (x.index) } p.statement dir="auto" { (strip_bidi(&x.text)) } } } }
            h2 { (sw.articles) " (" (total) ")" }
            ul.list { @for a in articles.iter().take(PER_PAGE) { (self.article_item(a, root, base, s.lang, false)) } }
            @if total > 0 { p.more { a href={ (root) (base) "author/" (handle_path(handle)) "/index.html" } { (sw.all_in) " →" } } }
        })
    }

    fn statements(&self, s: &Section, sink: &mut dyn FnMut(File)) {
        let w = words(s.lang);
        let sw = site_words(s.lang);
        let base = s.base.as_str();
        let all: Vec<_> = self.state.statements().iter().rev().collect();
        let paging = Paging::new(all.len());
        let at = |n: usize| {
            if n == 0 {
                "coop/statements/index.html".to_string()
            } else {
                format!("coop/statements/{n}/index.html")
            }
        };
        for n in 0..=paging.numbered {
            let (newer, older) = paging.links(n);
            let rel = at(n);
            let root = root_of(&format!("{base}{rel}"));
            let mut head = self.gov_head(s, &rel, sw.statements.to_string(), &root);
            if n > 0 {
                head.alternates = Vec::new();
            }
            let markup = self.shell(head, html! {
                p.meta { a href={ (root) (base) "coop/index.html" } { (w.coop) } }
                h1 { (sw.statements) }
                @if all.is_empty() { p { (sw.no_statements) } }
                ul.list {
                    @for x in &all[paging.range(n)] {
                        li.item id={ "s" (x.index) } {
                            p.meta { (self.member_link(&root, base, &x.handle)) " · " (self.time(s.lang, x.log_time)) " · " (w.log_entry) " #" (x.index) }
                            p.statement dir="auto" { (strip_bidi(&x.text)) }
                        }
                    }
                }
                @if newer.is_some() || older.is_some() {
                    nav.pages aria-label=(sw.pages) {
                        @if let Some(m) = newer { a rel="prev" href={ (root) (base) (at(m)) } { (sw.newer) } }
                        @if n > 0 { span { (sw.page(n)) } }
                        @if let Some(m) = older { a rel="next" href={ (root) (base) (at(m)) } { (sw.older) } }
                    }
                }
            });
            sink(page(&format!("{base}{rel}"), markup));
        }
    }

    fn mirrors(&self, s: &Section) -> Markup {
        let w = words(s.lang);
        let sw = site_words(s.lang);
        let base = s.base.as_str();
        let rel = "mirrors/index.html";
        let root = root_of(&format!("{base}{rel}"));
        let root = root.as_str();
        let key = self.state.log_key().as_str();
        let head = self.gov_head(s, rel, w.mirrors.to_string(), root);
        self.shell(
            head,
            html! {
                h1 { (w.mirrors) }
                p { (sw.what_is_copy) }
                h2 { (w.check_copy) }
                ol.steps { @for step in sw.steps { li { (step) } } }
                p { (sw.get_erkin) }
                h2 { (sw.key_label) }
                // A block that selects whole at a tap or click and wraps on any width.
                p.key.select id="key" { (key) }
                img.qr src={ (root) "mirrors/key.svg" } alt=(key) width="200" height="200";
                pre.cmd { code { "erkin verify COPY --key " (key) } }
                h2 { (sw.known_copies) }
                p { (sw.mirrors_signed) }
                // Addresses as text, not links: no page of the copy links out.
                ul.mirrors {
                    li { span.key { (self.config.base_url) } " (" (sw.this_copy) ")" }
                    @for (i, m) in self.state.mirrors().iter().enumerate() {
                        li {
                            span.key.select { (m.url) }
                            " (" (match m.kind() {
                                MirrorKind::Https => sw.mirror_https,
                                MirrorKind::Onion => sw.mirror_onion,
                                MirrorKind::Bundle => sw.mirror_bundle,
                            }) ")"
                            @if !m.pins.is_empty() {
                                br;
                                (sw.mirror_pins) ": "
                                @for pin in &m.pins { code { (pin) } " " }
                            }
                            br;
                            img.qr src={ (root) (mirror_qr_path(i)) } alt=(m.url) width="160" height="160";
                        }
                    }
                }
                p { (sw.read_with_erkin) }
                pre.cmd { code { "erkin read " (key) } }
                @let readers: Vec<(&str, &str)> = self.state.tip_readers().recipients().collect();
                @if !readers.is_empty() {
                    h2 { (sw.tip_readers) }
                    p { (sw.tip_readers_text) }
                    ul.tip-readers {
                        @for (handle, recipient) in &readers {
                            li { bdi { (handle) } ": " span.key.select { (recipient) } }
                        }
                    }
                }
                h2 { (sw.bundle) }
                p { (sw.bundle_text) }
                h2 { (w.make_mirror) }
                p { (w.make_mirror_text) }
            },
        )
    }

    /// The page a copy shows for a missing path: its links are relative to
    /// the root, which is where a static host serves `404.html` from.
    fn not_found(&self) -> Markup {
        let lang = self.default_lang;
        let sw = site_words(lang);
        let head = Head {
            title: format!("{} — {}", sw.not_found, self.state.name()),
            description: "",
            lang,
            root: "",
            canonical: self.url(""),
            alternates: Vec::new(),
            languages: self.section_languages("", "index.html"),
            base: "",
            extra: html! {},
        };
        self.shell(
            head,
            html! {
                h1 { (sw.not_found) }
                p { (sw.not_found_text) }
                p { a href="index.html" { (sw.front_page) } }
            },
        )
    }
}

/// A lead image's `srcset`: each smaller size, then the original.
fn lead_srcset(img: &crate::images::Lead, root: &str) -> String {
    img.sizes
        .iter()
        .map(|(w, p)| format!("{root}{p} {w}w"))
        .chain([format!("{root}{} {}w", img.original.path(), img.width)])
        .collect::<Vec<_>>()
        .join(", ")
}

/// A word-level difference as markup: removed words in `<del>`, added in
/// `<ins>`.
fn diff_markup(old: &str, new: &str) -> Markup {
    let pieces = diff::words(&strip_bidi(old), &strip_bidi(new));
    html! {
        @for p in &pieces {
            @match p {
                Piece::Same(s) => (s),
                Piece::Removed(s) => del { (s) },
                Piece::Added(s) => ins { (s) },
            }
        }
    }
}

/// A count of votes to two decimals ("3.50"), exact values shown exactly.
/// A count's figure as the site writes it: whole, or to two places.
pub fn decimal(r: &num_rational::BigRational) -> String {
    if r.is_integer() {
        return r.to_integer().to_string();
    }
    format!("{:.2}", r.to_f64().unwrap_or(0.0))
}

#[cfg(test)]
mod gathering_tests {
    use super::*;

    /// Each name has one number, whichever way it is found: the recent
    /// slots are a shortcut, never an answer for another name, even for
    /// names that share a slot.
    #[test]
    fn names_are_numbered_once_each_even_where_their_slots_collide() {
        let texts: Vec<String> = (0..5000).map(|i| format!("tag{i}")).collect();
        // Some names that share a slot with `tag0`.
        let first = recent_slot(texts[0].as_bytes());
        let colliding: Vec<&String> = texts[1..]
            .iter()
            .filter(|t| recent_slot(t.as_bytes()) == first)
            .collect();
        assert!(colliding.len() >= 2, "5,000 names fill every slot");
        let mut names = Names::default();
        let mut ids = Vec::new();
        for round in 0..3 {
            for (i, t) in texts.iter().enumerate() {
                let id = names.id(t.as_bytes());
                if round == 0 {
                    ids.push(id);
                } else {
                    assert_eq!(id, ids[i], "{t} renumbered in round {round}");
                }
            }
            // Alternating between names of one slot.
            for t in [&texts[0], colliding[0], colliding[1], &texts[0]] {
                let i = texts.iter().position(|x| x == t).unwrap();
                assert_eq!(names.id(t.as_bytes()), ids[i]);
                assert_eq!(names.get(t.as_bytes()), Some(ids[i]));
            }
        }
        assert_eq!(ids, (0..texts.len()).collect::<Vec<_>>());
        assert_eq!(names.len(), texts.len());
        assert_eq!(names.get(b"not a tag"), None);
    }
}

#[cfg(test)]
mod bidi_tests {
    use super::*;
    use std::borrow::Cow;

    /// Every override and isolate control goes, wherever it is; text
    /// without one (even with other characters that start with 0xE2, as
    /// dashes and quotes do) comes back as it is, not copied.
    #[test]
    fn every_control_goes_and_other_text_is_not_copied() {
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            let s = format!("{c}a — «b»{c}\u{2014}c{c}");
            assert_eq!(strip_bidi(&s), "a — «b»\u{2014}c", "U+{:04X}", c as u32);
        }
        for plain in [
            "",
            "Сәуле — «жаңалық» … 2026",
            "plain ascii",
            "\u{2029}\u{2065}\u{206A}",
        ] {
            assert!(matches!(strip_bidi(plain), Cow::Borrowed(_)), "{plain:?}");
        }
        // Right-to-left marks are not controls that reorder: kept.
        assert_eq!(strip_bidi("\u{200F}x\u{200E}"), "\u{200F}x\u{200E}");
    }
}
