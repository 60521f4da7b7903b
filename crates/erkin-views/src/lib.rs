//! The one renderer: turns a publication's state into the files readers get —
//! pages, feeds, the sitemap, the stylesheet — for the live server and the
//! static export alike.
//!
//! Pages are rendered when entries land, not when readers ask: the output is a
//! list of (path, bytes) that the server holds and the export writes. It is a
//! pure function of the state and the blobs (no clock, no host name beyond the
//! configured base URL), so the same log always renders to the same bytes.
//!
//! The JSON API documents (`api/v1/...`, live server only) are rendered here
//! too, by [`api::documents`], into the typed structs of `erkin_core::api`.
//!
//! Every link inside the site is relative and names `index.html` explicitly,
//! so a copy works the same from a web server, under any path prefix, from a
//! static host, or opened from a USB stick with `file://`.

pub mod api;
pub mod dates;
pub mod diff;
mod fast;
mod feeds;
pub mod i18n;
pub mod images;
pub mod markdown;
mod pages;
mod pick;
pub mod site_words;

pub use pages::{decimal, handle_path, strip_bidi, PER_PAGE};

use erkin_core::blob::BlobId;
pub use erkin_core::changes::Changes;
use erkin_core::descriptor::{Descriptor, DESCRIPTOR_FILE};
use erkin_core::lists::{Lists, Wanted};
use erkin_core::state::State;

/// One rendered file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    /// Path in the layout of DESIGN.md §6, e.g. `a/<slug>/index.html`.
    pub path: String,
    pub bytes: Vec<u8>,
}

pub struct SiteConfig {
    /// The canonical absolute URL of the site, ending in `/`; used only where
    /// a format demands absolute URLs (feeds, sitemap, canonical, hreflang).
    pub base_url: String,
}

impl SiteConfig {
    /// `https://<origin>/` unless configured otherwise.
    pub fn for_state(state: &State) -> Self {
        Self {
            base_url: format!("https://{}/", state.origin().trim_end_matches('/')),
        }
    }
}

/// Reads a blob's bytes; `None` if the copy does not have it (redacted, or
/// not yet fetched).
pub type BlobReader<'a> = dyn Fn(&BlobId) -> Option<Vec<u8>> + 'a;

/// Article bodies already rendered, by blob: a body's HTML depends only on
/// its bytes (and this renderer), so a caller that renders again and again —
/// the server, after every batch — renders each body once. Bodies not used by
/// the latest render are dropped, so the cache never outgrows the site.
#[derive(Default)]
pub struct BodyCache {
    bodies: std::sync::Mutex<std::collections::HashMap<BlobId, markdown::Rendered>>,
    /// Lead images' smaller sizes, by path (which names the blob and width).
    sizes: std::sync::Mutex<std::collections::HashMap<String, Option<Vec<u8>>>>,
    /// Keeps nothing: for a caller that renders once (an export), where a
    /// cache would only hold every body of the archive until the end.
    unkept: bool,
}

impl BodyCache {
    /// A cache that keeps nothing (see [`BodyCache`]): memory bounded by a
    /// batch, whatever the archive's size.
    pub fn unkept() -> Self {
        BodyCache {
            unkept: true,
            ..BodyCache::default()
        }
    }

    /// The rendered body of blob `id`, if rendered before.
    pub(crate) fn get(&self, id: &BlobId) -> Option<markdown::Rendered> {
        self.bodies.lock().ok().and_then(|m| m.get(id).cloned())
    }

    /// Remembers the rendered body of blob `id`.
    pub(crate) fn insert(&self, id: BlobId, rendered: markdown::Rendered) {
        if self.unkept {
            return;
        }
        if let Ok(mut m) = self.bodies.lock() {
            m.insert(id, rendered);
        }
    }

    /// The size at `path` of the image `bytes`, `width` wide, resizing
    /// (and remembering) it if new; `None` if it cannot be made.
    pub(crate) fn size_or_make(&self, path: &str, bytes: &[u8], width: u32) -> Option<Vec<u8>> {
        if let Some(made) = self.sizes.lock().ok().and_then(|m| m.get(path).cloned()) {
            return made;
        }
        let made = images::resize(bytes, width);
        if self.unkept {
            return made;
        }
        if let Ok(mut m) = self.sizes.lock() {
            m.insert(path.to_string(), made.clone());
        }
        made
    }

    pub(crate) fn keep_only(
        &self,
        used: &std::collections::HashSet<BlobId>,
        sizes: &std::collections::HashSet<String>,
    ) {
        if let Ok(mut m) = self.bodies.lock() {
            m.retain(|id, _| used.contains(id));
        }
        if let Ok(mut m) = self.sizes.lock() {
            m.retain(|p, _| sizes.contains(p));
        }
    }
}

/// Renders the whole site.
pub fn render_site(state: &State, blobs: &BlobReader, config: &SiteConfig) -> Vec<File> {
    render_site_cached(state, blobs, config, &BodyCache::default())
}

/// Renders the whole site, reusing bodies rendered by earlier calls: the
/// files of [`render_into`] collected and sorted by path.
pub fn render_site_cached(
    state: &State,
    blobs: &BlobReader,
    config: &SiteConfig,
    cache: &BodyCache,
) -> Vec<File> {
    let mut files = Vec::new();
    render_into(state, blobs, config, cache, None, &mut |f| files.push(f));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files
}

/// Renders the site's files that `changes` can alter — the whole site with
/// `None` (or [`Changes::everything`]) — handing each to `sink` as it is
/// made: a batch of articles or of lists at a time, never the whole site in
/// memory. Files come in no particular order.
///
/// With `changes` from the entries after a copy's size up to `state`, the
/// files made, written over that copy, give the copy of `state`, once the
/// files under the returned prefixes that were not made are deleted: the
/// prefixes this render covered whole (`""` for a whole render; a
/// medium's `media/<id>` whose articles no longer show it, a member's
/// pages, the mirrors' QR codes).
pub fn render_into(
    state: &State,
    blobs: &BlobReader,
    config: &SiteConfig,
    cache: &BodyCache,
    changes: Option<&Changes>,
    sink: &mut dyn FnMut(File),
) -> Vec<String> {
    // Without lists given, every article is read: always made.
    let covered = pages::render(state, blobs, config, cache, changes, None, sink);
    finish(state, changes, covered.unwrap_or_default(), sink)
}

/// Whether a render of `changes` may be made from the stored lists
/// ([`render_from_lists`]): new articles (and the clock) only.
pub fn lists_suit(changes: &Changes) -> bool {
    fast::suits(changes)
}

/// What to ask of the stored lists next for a render of `changes` from
/// them ([`render_from_lists`]): see [`erkin_core::lists::Wanted`].
pub fn lists_wanted(state: &State, changes: &Changes, have: &Lists) -> Wanted {
    fast::wanted(state, changes, have)
}

/// [`render_into`] of the new articles of `changes`, from the stored
/// lists `lists` (every question [`lists_wanted`] asked answered, for this
/// state, and every article they name known to it): only the articles
/// the pages due show are read. `None`, and nothing handed to `sink`, if
/// the lists cannot make it (render from every article instead).
pub fn render_from_lists(
    state: &State,
    blobs: &BlobReader,
    config: &SiteConfig,
    cache: &BodyCache,
    changes: &Changes,
    lists: &Lists,
    sink: &mut dyn FnMut(File),
) -> Option<Vec<String>> {
    if !fast::suits(changes) {
        return None;
    }
    let covered = pages::render(
        state,
        blobs,
        config,
        cache,
        Some(changes),
        Some(lists),
        sink,
    )?;
    Some(finish(state, Some(changes), covered, sink))
}

/// The files every render ends with.
fn finish(
    state: &State,
    changes: Option<&Changes>,
    covered: Vec<String>,
    sink: &mut dyn FnMut(File),
) -> Vec<String> {
    if covered.first().is_some_and(String::is_empty) {
        sink(File {
            path: "style.css".into(),
            bytes: include_bytes!("style.css").to_vec(),
        });
    }
    if changes.is_none_or(|c| !c.is_empty()) {
        sink(api::json_file(
            DESCRIPTOR_FILE.into(),
            &Descriptor::for_state(state),
        ));
    }
    covered
}
