//! Writing a store out as a static copy.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use erkin_core::blob::BlobId;
use erkin_core::checkpoint::Checkpoint;
use erkin_core::state::State;
use erkin_core::tiles::{entry_bundles, hash_tiles};
use erkin_store::lists::Overlay;
use erkin_store::{Publication, Store, StoreError};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::dir::replace_whole;
pub use crate::error::ExportError;
use crate::gate::{writer_of, BreakOnPanic, Gate, Handing};
use crate::manifest::{fingerprint, Fingerprint, Manifest};

pub use erkin_core::descriptor::{Descriptor, DESCRIPTOR_FILE};

/// The export's own record of the files it wrote and their hashes: lets the
/// next export skip unchanged files without reading them, and delete files
/// the site no longer has (a redacted image, a page that went away) without
/// ever touching a file it did not write.
pub const MANIFEST_FILE: &str = ".erkin-files";

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportStats {
    /// Files whose bytes changed (or were new) and were written.
    pub written: usize,
    /// Files already present with the right bytes.
    pub unchanged: usize,
    /// Files of an earlier export that the site no longer has.
    pub deleted: usize,
    /// Whether the pages were made from the store's lists (new articles:
    /// only the articles the pages due show were read), not from every
    /// article.
    pub from_lists: bool,
}

/// What part of a copy a file is, which decides how carefully it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Tiles and entry bundles: durable before the checkpoint names them.
    Log,
    /// Content-addressed blobs: same name, same bytes.
    Blob,
    /// Pages, feeds, the descriptor: rebuilt from the log at will.
    Site,
    /// The checkpoint, always last.
    Checkpoint,
}

/// Which files of a copy to produce.
pub struct Selection<'a> {
    /// Log files and blobs for entries from this size on (0: everything).
    pub since: u64,
    /// Whether to render the site's pages.
    pub site: bool,
    /// Files the caller already has: not read from the store at all.
    pub skip: &'a dyn Fn(&str, Part) -> bool,
}

/// Receives each file of a copy: its path, its part, and its bytes (`None`
/// for a file the caller said it already has).
pub type Visit<'a, E> = dyn FnMut(&str, Part, Option<&[u8]>) -> Result<(), E> + 'a;

/// [`Visit`] with the path and bytes handed over, for a writer that passes
/// them on to another thread.
type VisitOwned<'a, E> = dyn FnMut(String, Part, Option<Vec<u8>>) -> Result<(), E> + 'a;

/// Produces the files of a static copy of `publication` in write order —
/// log, blobs, site, checkpoint last — handing each to `visit`. Skipped
/// files are announced with `None`. The one definition of what a copy
/// holds, for the export and the bundle alike.
pub fn for_each_file<E: From<StoreError>>(
    publication: &Publication,
    selection: &Selection,
    visit: &mut Visit<'_, E>,
) -> Result<(), E> {
    files(
        publication.into(),
        selection,
        None,
        &mut |rel, part, bytes| visit(&rel, part, bytes.as_deref()),
    )
    .map(|_| ())
}

/// [`for_each_file`], the site limited to what `changes` can alter (the
/// whole site with `None`); returns the prefixes the site's render covered
/// whole (see [`erkin_views::render_into`]). The site's files are handed on
/// as they are rendered, never held all at once.
pub fn for_each_file_changed<E: From<StoreError>>(
    publication: &Publication,
    selection: &Selection,
    changes: Option<&erkin_views::Changes>,
    visit: &mut Visit<'_, E>,
) -> Result<Vec<String>, E> {
    files(
        publication.into(),
        selection,
        changes,
        &mut |rel, part, bytes| visit(&rel, part, bytes.as_deref()),
    )
}

/// [`for_each_file_changed`] of a [`Source`].
///
/// Everything is read from the store in one read transaction
/// ([`Store::reading`]).
fn files<E: From<StoreError>>(
    publication: Source<'_>,
    selection: &Selection,
    changes: Option<&erkin_views::Changes>,
    visit: &mut VisitOwned<'_, E>,
) -> Result<Vec<String>, E> {
    publication
        .store()
        .reading(|| files_read(publication, selection, changes, visit))?
}

/// [`files`], its reads in a transaction already.
fn files_read<E: From<StoreError>>(
    publication: Source<'_>,
    selection: &Selection,
    changes: Option<&erkin_views::Changes>,
    visit: &mut VisitOwned<'_, E>,
) -> Result<Vec<String>, E> {
    let store = publication.store();
    let state = publication.state();
    let size = store.size();
    let since = selection.since.min(size);
    // The log first, while little else is waiting to be written (each fsync
    // commits the filesystem's journal, with whatever else is pending).
    for tile in entry_bundles(since, size)
        .into_iter()
        .chain(hash_tiles(since, size))
    {
        let rel = tile.to_string();
        if (selection.skip)(&rel, Part::Log) {
            visit(rel, Part::Log, None)?;
            continue;
        }
        let bytes = store.tile(&tile)?.ok_or_else(|| StoreError::Corrupt {
            path: store.path().to_path_buf(),
            reason: format!("{rel} is missing from a tree of size {size}"),
        })?;
        visit(rel, Part::Log, Some(bytes))?;
    }
    // Only blobs the log names: a blob uploaded and never used (or stored by
    // anyone with access to the store) is not the publication's to publish.
    // (One the store lacks is not published: `has_blob` for one the caller
    // has, `blob` finding none for the rest.)
    let blob_ids = blobs_named_since(publication, since)?;
    for id in blob_ids {
        let rel = format!("blob/{id}");
        if (selection.skip)(&rel, Part::Blob) {
            if store.has_blob(&id)? {
                visit(rel, Part::Blob, None)?;
            }
            continue;
        }
        if let Some(bytes) = store.blob(&id, erkin_core::blob::DEFAULT_MAX_BLOB_LEN)? {
            visit(rel, Part::Blob, Some(bytes))?;
        }
    }
    let mut covered = Vec::new();
    if selection.site {
        // The same files `erkin serve` serves, from the one renderer.
        let blobs = |id: &BlobId| {
            store
                .blob(id, erkin_core::blob::DEFAULT_MAX_BLOB_LEN)
                .ok()
                .flatten()
        };
        let config = erkin_views::SiteConfig::for_state(state);
        // Rendered once: nothing kept between batches.
        let cache = erkin_views::BodyCache::unkept();
        let mut failed = None;
        let mut sink = |file: erkin_views::File| {
            if failed.is_none() {
                if let Err(e) = visit(file.path, Part::Site, Some(file.bytes)) {
                    failed = Some(e);
                }
            }
        };
        covered = match (publication.lists, changes) {
            (Some(lists), Some(changes)) => {
                match erkin_views::render_from_lists(
                    state, &blobs, &config, &cache, changes, lists, &mut sink,
                ) {
                    Some(covered) => covered,
                    // Nothing rendered: the caller renders from every
                    // article.
                    None => return Err(StoreError::ListsShort.into()),
                }
            }
            _ => erkin_views::render_into(state, &blobs, &config, &cache, changes, &mut sink),
        };
        if let Some(e) = failed {
            return Err(e);
        }
    }
    // The checkpoint of the tiles written above: with a sequencer appending
    // meanwhile, the latest may name a tree this copy lacks tiles of.
    if size > 0 {
        let cp = store
            .checkpoint_bytes_at(size)?
            .ok_or_else(|| StoreError::Corrupt {
                path: store.path().to_path_buf(),
                reason: format!("no checkpoint of the tree of size {size}"),
            })?;
        visit("checkpoint".to_string(), Part::Checkpoint, Some(cp))?;
    }
    Ok(covered)
}

/// Blobs that entries from `since` on name (the store may lack some).
fn blobs_named_since(publication: Source<'_>, since: u64) -> Result<BTreeSet<BlobId>, StoreError> {
    let store = publication.store();
    let ids = if since == 0 {
        // The whole log: the fold has collected them already.
        publication.state().named_blobs()
    } else {
        let origin = publication.state().origin().to_string();
        let mut ids = BTreeSet::new();
        store.for_each_entry(since, |_, e| {
            if let Ok(parsed) = erkin_core::entry::ParsedEntry::parse(e, &origin) {
                let named = parsed.body.action.blob_refs();
                ids.extend(named.into_iter().filter_map(|b| b.parse::<BlobId>().ok()));
            }
            Ok(())
        })?;
        ids
    };
    Ok(ids)
}

/// What a copy is made from: a store and the state folded from exactly its
/// entries — a [`Publication`]'s, or a state held apart from its store (a
/// server shares its state with readers while it renders, rather than
/// rendering from a copy of it).
#[derive(Clone, Copy)]
pub struct Source<'a> {
    store: &'a Store,
    state: &'a State,
    /// The store's lists, answered for this render (see
    /// [`erkin_views::render_from_lists`]).
    lists: Option<&'a erkin_core::lists::Lists>,
}

impl<'a> Source<'a> {
    /// `state` must be the fold of exactly `store`'s entries.
    pub fn new(store: &'a Store, state: &'a State) -> Self {
        debug_assert_eq!(store.size(), state.size());
        Source {
            store,
            state,
            lists: None,
        }
    }

    fn store(self) -> &'a Store {
        self.store
    }

    fn state(self) -> &'a State {
        self.state
    }
}

impl<'a> From<&'a Publication> for Source<'a> {
    fn from(p: &'a Publication) -> Self {
        Source {
            store: p.store(),
            state: p.state(),
            lists: None,
        }
    }
}

/// Writes the static copy of `publication` into `out`, incrementally.
pub fn export(publication: &Publication, out: &Path) -> Result<ExportStats, ExportError> {
    export_with_progress(publication, out, &mut |_| {})
}

/// What [`export`] comes to for a copy it has nothing to add to, found
/// without rendering or reading an article: the copy's record says it was
/// made at the log's size, and its checkpoint is the store's at that size,
/// byte for byte (so it is this publication's). `Some` (the checkpoint
/// found unchanged) if so; `None` if the copy is behind, is another's, or
/// has no record: [`export`] it. `erkin export` asks this first, of a
/// publication opened without its articles (`Publication::open_lazily`),
/// so an export with nothing new reads no article row. Files removed from
/// the folder by hand are not looked for, as [`export`] does not look for
/// them either (`erkin export --full` checks every file).
pub fn up_to_date(
    publication: &Publication,
    out: &Path,
) -> Result<Option<ExportStats>, ExportError> {
    let store = publication.store();
    let size = store.size();
    if size == 0 || Manifest::open(out).size() != Some(size) {
        return Ok(None);
    }
    let Ok(existing) = fs::read(out.join("checkpoint")) else {
        return Ok(None);
    };
    let ours = store.checkpoint_bytes_at(size)?;
    Ok(
        (ours.as_deref() == Some(existing.as_slice())).then(|| ExportStats {
            unchanged: 1,
            ..ExportStats::default()
        }),
    )
}

/// [`export`] of a [`Source`].
pub fn export_source(source: Source<'_>, out: &Path) -> Result<ExportStats, ExportError> {
    export_from(source, out, &mut |_| {})
}

/// [`export`], telling `progress` the part of each file as it is handled
/// (written or found unchanged), in write order. The caller decides how to
/// show it; the library never prints.
///
/// A copy whose manifest says the log size its site was made at gets only
/// what the entries since then can alter (their cost, not the archive's);
/// any other copy, or a run of entries that changes every page (a charter
/// amendment), gets the whole site, every file checked.
pub fn export_with_progress(
    publication: &Publication,
    out: &Path,
    progress: &mut dyn FnMut(Part),
) -> Result<ExportStats, ExportError> {
    export_from(publication.into(), out, progress)
}

/// [`export_with_progress`] of a [`Source`].
fn export_from(
    publication: Source<'_>,
    out: &Path,
    progress: &mut dyn FnMut(Part),
) -> Result<ExportStats, ExportError> {
    export_held(Held::Source(publication), out, progress)
}

/// [`export_with_progress`] of a publication that may have been opened
/// without its articles (`Publication::open_lazily`, as `erkin export`
/// opens it): a copy a few new articles behind gets them from the store's
/// lists (`erkin_store::lists`), only the articles its pages due show
/// fetched; any other copy, or a change the lists cannot make, reads every
/// article first, then is exported as [`export_with_progress`] does.
pub fn export_lazily(
    publication: &mut Publication,
    out: &Path,
    progress: &mut dyn FnMut(Part),
) -> Result<ExportStats, ExportError> {
    export_held(Held::Mut(publication), out, progress)
}

/// The export of [`export_from`] and [`export_lazily`]: a copy a few
/// entries behind gets what they changed — new articles from the store's
/// lists where they can make them, anything else from every article (a
/// publication opened without them reads them all first) — any other copy
/// the whole site.
fn export_held(
    mut held: Held<'_>,
    out: &Path,
    progress: &mut dyn FnMut(Part),
) -> Result<ExportStats, ExportError> {
    prepare_folder(held.source(), out)?;
    let manifest = Manifest::open(out);
    let size = held.store().size();
    let since = manifest
        .size()
        .filter(|s| *s <= size && size - s <= MAX_BEHIND);
    let mut changes = None;
    if let Some(since) = since {
        let found = changes_since(held.source(), since)?;
        if erkin_views::lists_suit(&found) {
            if let Some(lists) = lists_for(&mut held, &found)? {
                let source = Source {
                    lists: Some(&lists),
                    ..held.source()
                };
                match export_changes(source, out, &manifest, since, &found, progress) {
                    Err(ExportError::Store(StoreError::ListsShort)) => {}
                    done => return done,
                }
            }
        }
        changes = Some(found);
    }
    if let Held::Mut(p) = &mut held {
        p.read_articles()?;
        // Classified again against every article (a redacted blob's
        // articles are found among them all).
        changes = since.map(|s| changes_since(held.source(), s)).transpose()?;
    }
    let publication = held.source();
    match (since, changes) {
        (Some(since), Some(c)) if !c.everything => {
            export_changes(publication, out, &manifest, since, &c, progress)
        }
        _ => whole(
            publication,
            out,
            progress,
            default_writers(),
            WRITE_BACK_EVERY,
        ),
    }
}

/// The most rounds of questions a render from the lists asks.
const MOST_ROUNDS: usize = 16;

/// The store's lists answered for a render of `changes` of `publication`'s
/// state, the articles they name fetched into it; `None` if they cannot
/// make it (render from every article).
fn lists_for(
    publication: &mut Held<'_>,
    changes: &erkin_views::Changes,
) -> Result<Option<erkin_core::lists::Lists>, ExportError> {
    use erkin_core::lists::{Lists, Wanted};
    let Some(overlay) = Overlay::of(publication.store(), publication.state())? else {
        return Ok(None);
    };
    let mut lists = Lists::default();
    for _ in 0..MOST_ROUNDS {
        match erkin_views::lists_wanted(publication.state(), changes, &lists) {
            Wanted::Render => return Ok(Some(lists)),
            Wanted::Whole => return Ok(None),
            Wanted::More(queries, mut fetch) => {
                if !overlay.answer(publication.store(), &queries, &mut lists)? {
                    return Ok(None);
                }
                let state = publication.state();
                fetch.extend(
                    lists
                        .slugs()
                        .filter(|s| !state.knows_article(s))
                        .map(str::to_string),
                );
                fetch.sort_unstable();
                fetch.dedup();
                if !fetch.is_empty() {
                    let slugs: Vec<&str> = fetch.iter().map(String::as_str).collect();
                    match publication {
                        Held::Mut(p) => p.fetch_articles(&slugs)?,
                        // Every article it holds is known.
                        Held::Source(_) => return Ok(None),
                    }
                }
            }
        }
    }
    Ok(None)
}

/// A publication a render from the lists may fetch articles into, or a
/// store and state it only reads (which holds every article: nothing to
/// fetch).
enum Held<'p> {
    Mut(&'p mut Publication),
    Source(Source<'p>),
}

impl Held<'_> {
    fn source(&self) -> Source<'_> {
        match self {
            Held::Mut(p) => Source::from(&**p),
            Held::Source(s) => *s,
        }
    }

    fn store(&self) -> &Store {
        match self {
            Held::Mut(p) => p.store(),
            Held::Source(s) => s.store,
        }
    }

    fn state(&self) -> &State {
        match self {
            Held::Mut(p) => p.state(),
            Held::Source(s) => s.state,
        }
    }
}

/// Refuses a folder holding another publication's copy or a newer one,
/// and makes the folder if it is missing.
fn prepare_folder(publication: Source<'_>, out: &Path) -> Result<(), ExportError> {
    refuse_overwriting(out, publication)?;
    fs::create_dir_all(out).map_err(|source| ExportError::Io {
        path: out.to_path_buf(),
        source,
    })
}

/// A copy further behind than this many entries is exported whole (which
/// holds nothing per entry in memory) rather than from its entries.
const MAX_BEHIND: u64 = 20_000;

/// What the entries from `since` on changed for readers.
fn changes_since(publication: Source<'_>, since: u64) -> Result<erkin_views::Changes, StoreError> {
    let state = publication.state();
    let origin = state.origin().to_string();
    let mut actions = Vec::new();
    let mut unreadable = false;
    publication.store().for_each_entry(since, |_, e| {
        match erkin_core::entry::ParsedEntry::parse(e, &origin) {
            Ok(parsed) => actions.push(parsed.body.action),
            Err(_) => unreadable = true,
        }
        Ok(())
    })?;
    if unreadable {
        return Ok(erkin_views::Changes::everything());
    }
    Ok(erkin_views::Changes::of(&actions, state))
}

/// Writes the whole static copy of `publication` into `out`: every file
/// rendered and checked against the manifest and the folder (a file cut
/// short by a crash or a power loss is rewritten), files the site no longer
/// has deleted, and a new manifest written.
pub fn export_whole(
    publication: &Publication,
    out: &Path,
    progress: &mut dyn FnMut(Part),
) -> Result<ExportStats, ExportError> {
    export_whole_with(publication, out, progress, default_writers())
}

/// [`export_whole`], its pages and blobs written by `writers` threads at
/// once (1: in order, on the calling thread). The copy is the same, byte
/// for byte and in its record, whatever the number.
pub fn export_whole_with(
    publication: &Publication,
    out: &Path,
    progress: &mut dyn FnMut(Part),
    writers: usize,
) -> Result<ExportStats, ExportError> {
    let publication = publication.into();
    prepare_folder(publication, out)?;
    whole(publication, out, progress, writers, WRITE_BACK_EVERY)
}

/// The most threads a whole export writes with.
const MAX_WRITERS: usize = 8;

/// How many bytes of pages and blobs a whole export writes between two
/// early write-backs ([`crate::dir::write_back`]): on a 2-core machine the
/// export of 10,000 articles (200 MB) then ends with a sync of about
/// 0.1 s, not 0.3 s (16 MiB did no better).
const WRITE_BACK_EVERY: u64 = 32 << 20;

/// How many threads a whole export writes its pages and blobs with: as
/// many as render them (`rayon`'s, which are the machine's cores, or
/// `RAYON_NUM_THREADS`), at most 8. An incremental export
/// writes its few files on the calling thread.
pub fn default_writers() -> usize {
    rayon::current_num_threads().clamp(1, MAX_WRITERS)
}

/// [`export_whole`] into a folder [`prepare_folder`] has checked.
fn whole(
    publication: Source<'_>,
    out: &Path,
    progress: &mut dyn FnMut(Part),
    writers: usize,
    write_back_every: u64,
) -> Result<ExportStats, ExportError> {
    let old = Manifest::open(out).load_all();
    let lookup = |rel: &str| old.get(rel).copied();
    // On Linux one syncfs, just before the checkpoint, makes the log's
    // files, the pages and the blobs durable at once; elsewhere the log's
    // files are fsynced one by one and the rest listed to be at the end.
    let one_sync = cfg!(target_os = "linux");
    let filesystem = crate::dir::Filesystem::open(out).map_err(|source| ExportError::Io {
        path: out.to_path_buf(),
        source,
    })?;
    let mut w = Writer {
        root: out.to_path_buf(),
        stats: ExportStats::default(),
        old: &lookup,
        new: BTreeMap::new(),
        dirs: HashSet::from([out.to_path_buf()]),
        unsynced: (!one_sync).then(Vec::new),
        log: if one_sync {
            LogWrites::SyncedBeforeCheckpoint { write_back_every }
        } else {
            LogWrites::EachDurable
        },
        filesystem: Some(&filesystem),
        synced: false,
    };
    let root = out.to_path_buf();
    let skip = |rel: &str, part: Part| skip_present(&root, &lookup, rel, part);
    let selection = Selection {
        since: 0,
        site: true,
        skip: &skip,
    };
    // Files arrive log first and the checkpoint last, once everything it
    // covers is in place and durable.
    write_files(publication, &selection, &mut w, writers, progress)?;
    // Only then the files an earlier export wrote that the site no longer
    // has (a superseded partial tile, a redacted image), and the blobs of
    // any passed redaction even if no manifest lists them: until the new
    // checkpoint is in place, the old one may still name the old tiles.
    let mut stale: BTreeSet<String> = old
        .keys()
        .filter(|p| !w.new.contains_key(*p) && *p != "checkpoint")
        .cloned()
        .collect();
    stale.extend(redacted_paths(publication));
    let mut deleted = false;
    for rel in stale {
        deleted |= w.delete(&rel)?;
    }
    // What this export wrote reaches the disk before the record that says
    // it is there: the next export trusts the record, so a page a power
    // loss emptied would otherwise stay empty until an `--full` export.
    // (Already done with the checkpoint, unless the log is empty or files
    // were deleted since.)
    if !w.synced || deleted {
        w.sync_filesystem()?;
    }
    let new = std::mem::take(&mut w.new);
    crate::manifest::write_base(out, &new, publication.store().size())?;
    Ok(w.stats)
}

/// The paths of every blob a passed redaction deleted, and of its media.
fn redacted_paths(publication: Source<'_>) -> Vec<String> {
    let mut out = Vec::new();
    for id in publication.state().redacted_blobs() {
        out.push(format!("blob/{id}"));
        for ext in erkin_core::media::MEDIA_EXTENSIONS {
            out.push(format!("media/{id}.{ext}"));
        }
    }
    out
}

/// Whether a log file or blob is known to be in place already.
fn skip_present(
    root: &Path,
    lookup: &dyn Fn(&str) -> Option<Option<Fingerprint>>,
    rel: &str,
    part: Part,
) -> bool {
    match part {
        // Full tiles never change once written: present is enough (they are
        // written whole, under a temporary name). (Partial tiles are
        // superseded, so they are rewritten.)
        Part::Log => {
            erkin_core::tiles::TilePath::parse(rel).is_ok_and(|t| t.is_full())
                && root.join(rel).is_file()
        }
        // Blobs never change either, but a new one is written straight to
        // its name: only one an earlier export finished (its manifest
        // lists it) and still of its length is known to be whole.
        Part::Blob => lookup(rel).flatten().is_some_and(|(len, _)| {
            fs::metadata(root.join(rel)).is_ok_and(|m| m.is_file() && m.len() == len)
        }),
        _ => false,
    }
}

/// Brings a copy made at log size `since` up to date: the log's new tiles,
/// the new blobs, the pages `changes` can alter, the checkpoint; then the
/// files under the render's covered prefixes that it did not make, the
/// superseded partial tiles and redacted blobs deleted; then one group
/// appended to the manifest's journal. Nothing in it reads or writes
/// anything per article of the archive.
fn export_changes(
    publication: Source<'_>,
    out: &Path,
    manifest: &Manifest,
    since: u64,
    changes: &erkin_views::Changes,
    progress: &mut dyn FnMut(Part),
) -> Result<ExportStats, ExportError> {
    let size = publication.store().size();
    let lookup = |rel: &str| manifest.get(rel);
    let mut w = Writer {
        root: out.to_path_buf(),
        stats: ExportStats::default(),
        old: &lookup,
        new: BTreeMap::new(),
        dirs: HashSet::from([out.to_path_buf()]),
        unsynced: Some(Vec::new()),
        log: LogWrites::EachDurable,
        filesystem: None,
        synced: false,
    };
    let root = out.to_path_buf();
    let skip = |rel: &str, part: Part| skip_present(&root, &lookup, rel, part);
    let selection = Selection {
        since,
        site: true,
        skip: &skip,
    };
    let covered = files::<ExportError>(
        publication,
        &selection,
        Some(changes),
        &mut |rel, part, bytes| {
            w.handle(&rel, part, bytes.as_deref())?;
            progress(part);
            Ok(())
        },
    )?;
    w.stats.from_lists = publication.lists.is_some();
    let mut stale = BTreeSet::new();
    for prefix in &covered {
        for rel in manifest.listed_under(prefix) {
            if !w.new.contains_key(&rel) {
                stale.insert(rel);
            }
        }
    }
    // The partial tiles of the old size (one per level, and its bundle)
    // that the new size's supersede: every one whose place holds a tile of
    // another width now. (One of them may still be the new size's: a
    // level-1 tile written when a level-0 tile filled stays until the next
    // one fills. And one may have been written well before `since`: the
    // level-1 tile the filling replaced.)
    if since > 0 && since < size {
        for tile in partial_tiles(since) {
            let rel = tile.to_string();
            if width_at(&tile, size) != u64::from(tile.width)
                && !w.new.contains_key(&rel)
                && manifest.get(&rel).is_some()
            {
                stale.insert(rel);
            }
        }
    }
    stale.extend(redacted_paths(publication));
    let mut group: BTreeMap<String, crate::manifest::Entry> = BTreeMap::new();
    for rel in stale {
        let listed = manifest.get(&rel).is_some();
        w.delete(&rel)?;
        if listed {
            group.insert(rel, crate::manifest::Entry::Gone);
        }
    }
    for (rel, fp) in std::mem::take(&mut w.new) {
        // Recorded only where it differs from the record.
        if manifest.get(&rel) != Some(fp) {
            group.insert(rel, crate::manifest::Entry::Listed(fp));
        }
    }
    if group.is_empty() && manifest.size() == Some(size) {
        return Ok(w.stats);
    }
    if w.stats.written > 0 || w.stats.deleted > 0 {
        // What this export wrote reaches the disk before the record that
        // says it is there (pages and blobs are not fsynced one by one).
        crate::dir::sync_files(w.unsynced.as_deref().unwrap_or_default()).map_err(|source| {
            ExportError::Io {
                path: out.to_path_buf(),
                source,
            }
        })?;
    }
    if manifest.wants_compaction() {
        let mut all = manifest.load_all();
        for (rel, e) in group {
            match e {
                crate::manifest::Entry::Listed(fp) => {
                    all.insert(rel, fp);
                }
                crate::manifest::Entry::Gone => {
                    all.remove(&rel);
                }
            }
        }
        crate::manifest::write_base(out, &all, size)?;
    } else {
        crate::manifest::append_group(out, manifest, &group, size)?;
    }
    Ok(w.stats)
}

/// The partial tiles of the tree of `size` entries: at each level the one
/// after its full tiles (if any hashes are left over), and the entry
/// bundle beside level 0's.
fn partial_tiles(size: u64) -> Vec<erkin_core::tiles::TilePath> {
    use erkin_core::tiles::{TileKind, TilePath, TILE_WIDTH};
    let mut out = Vec::new();
    let mut hashes = size;
    let mut level = 0u8;
    while hashes > 0 {
        let width = hashes % TILE_WIDTH;
        if width > 0 {
            let index = hashes / TILE_WIDTH;
            let kinds = if level == 0 {
                vec![TileKind::Hashes { level }, TileKind::Entries]
            } else {
                vec![TileKind::Hashes { level }]
            };
            for kind in kinds {
                out.push(TilePath {
                    kind,
                    index,
                    width: width as u16,
                });
            }
        }
        hashes /= TILE_WIDTH;
        level += 1;
    }
    out
}

/// The width of the tile at `tile`'s place (kind, level, index) in the
/// tree of `size` entries: 0 if the tree has none there yet.
fn width_at(tile: &erkin_core::tiles::TilePath, size: u64) -> u64 {
    use erkin_core::tiles::{TileKind, TILE_WIDTH};
    let level = match tile.kind {
        TileKind::Hashes { level } => u32::from(level),
        TileKind::Entries => 0,
    };
    // The hashes at tile level L: one per 256^L entries.
    let hashes = TILE_WIDTH
        .checked_pow(level)
        .map_or(0, |per_hash| size / per_hash);
    hashes
        .saturating_sub(tile.index.saturating_mul(TILE_WIDTH))
        .min(TILE_WIDTH)
}

/// An export may only move a copy of the same publication forward.
fn refuse_overwriting(out: &Path, publication: Source<'_>) -> Result<(), ExportError> {
    let path = out.join("checkpoint");
    let Ok(existing) = fs::read(&path) else {
        return Ok(());
    };
    let store = publication.store();
    match Checkpoint::open(&existing, store.log_key()) {
        Err(_) => Err(ExportError::ForeignCopy(out.to_path_buf())),
        Ok(cp) if cp.size > store.size() => Err(ExportError::Rollback {
            path: out.to_path_buf(),
            theirs: cp.size,
            ours: store.size(),
        }),
        Ok(_) => Ok(()),
    }
}

/// What the manifest records of a path (shared by the writer threads).
type Lookup<'a> = &'a (dyn Fn(&str) -> Option<Option<Fingerprint>> + Sync);

/// The most files of a whole export in flight (rendered, not yet written)
/// per writer thread, and the most bytes in all (one larger blob still
/// goes, alone): the export's memory stays what the render's batches hold.
const FILES_IN_FLIGHT_PER_WRITER: usize = 32;
const BYTES_IN_FLIGHT: usize = 32 << 20;
/// The most bytes of article pages a whole export holds back while media
/// are written (and as many files as may be in flight).
const BYTES_HELD: usize = 8 << 20;

/// A file handed to a writer thread.
struct Job {
    rel: String,
    part: Part,
    bytes: Vec<u8>,
    level: usize,
}

/// Hands every file of a whole copy to `w`: the checkpoint on this thread
/// once every other file is written (and the log's files too, when each is
/// made durable one by one: [`LogWrites::EachDurable`]), the rest on
/// `writers` threads at once — each started only after the files handed
/// before it that it shows or links to (see [`crate::gate`]) — and what
/// those threads wrote merged into `w`. With `writers` 1, every file in
/// order on this thread.
fn write_files(
    publication: Source<'_>,
    selection: &Selection,
    w: &mut Writer<'_>,
    writers: usize,
    progress: &mut dyn FnMut(Part),
) -> Result<(), ExportError> {
    if writers <= 1 {
        files::<ExportError>(publication, selection, None, &mut |rel, part, bytes| {
            w.handle(&rel, part, bytes.as_deref())?;
            progress(part);
            Ok(())
        })?;
        return Ok(());
    }
    let gate = Gate::new(writers * FILES_IN_FLIGHT_PER_WRITER, BYTES_IN_FLIGHT);
    let state = publication.state();
    // The first error a writer thread met, kept until the end so that it
    // is the one returned; `stop` tells every thread and the handing loop
    // that there is one (never cleared).
    let failed: Mutex<Option<ExportError>> = Mutex::new(None);
    let stop = AtomicBool::new(false);
    let root = w.root.clone();
    let stopped = || ExportError::Io {
        path: root.clone(),
        source: std::io::Error::other("a writer thread of the export stopped"),
    };
    // Bytes the writer threads have written, and a thread that writes them
    // back to the disk every so many of them while the export goes on, when
    // one sync before the checkpoint is to make them durable (see
    // `LogWrites`).
    let written = AtomicU64::new(0);
    let every = w.log.write_back_every().unwrap_or(u64::MAX).max(1);
    let (write_back, due) = std::sync::mpsc::channel::<()>();
    let back_root = w
        .log
        .write_back_every()
        .and_then(|_| fs::File::open(&w.root).ok());
    std::thread::scope(|s| {
        if let Some(dir) = back_root {
            s.spawn(move || {
                for () in due.iter() {
                    while due.try_recv().is_ok() {}
                    crate::dir::write_back(&dir);
                }
            });
        }
        let mut queues = Vec::with_capacity(writers);
        let mut threads = Vec::with_capacity(writers);
        for _ in 0..writers {
            let (tx, rx) = std::sync::mpsc::channel::<Job>();
            let mut mine = w.empty_like();
            let (gate, failed, stop, written) = (&gate, &failed, &stop, &written);
            let write_back = write_back.clone();
            threads.push(s.spawn(move || {
                let _guard = BreakOnPanic(gate);
                for job in rx {
                    let len = job.bytes.len() as u64;
                    if !stop.load(Ordering::Acquire) {
                        if let Err(e) = mine.handle(&job.rel, job.part, Some(&job.bytes)) {
                            failed
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .get_or_insert(e);
                            stop.store(true, Ordering::Release);
                        }
                    }
                    gate.leave(job.level, job.bytes.len());
                    let before = written.fetch_add(len, Ordering::Relaxed);
                    if (before + len) / every != before / every {
                        // (An error: no write-back thread, nothing to do.)
                        let _ = write_back.send(());
                    }
                }
                mine
            }));
            queues.push(tx);
        }
        // The writers hold the only senders: the write-back thread stops
        // with them.
        drop(write_back);
        // A file to its writer thread, once the gate lets it in.
        let mut hand = |job: Job| -> Result<(), ExportError> {
            let (level, len) = (job.level, job.bytes.len());
            gate.enter(level, len).map_err(|_| stopped())?;
            // By the listings: nothing decoded (or kept decoded) per page.
            let to = writer_of(&job.rel, writers, |slug| {
                state.listing(slug).and_then(|l| l.translation_of)
            });
            if queues[to].send(job).is_err() {
                gate.leave(level, len);
                return Err(stopped());
            }
            Ok(())
        };
        // Article pages held back, in order, while media handed before them
        // are being written (see `gate.rs` on what the order costs).
        let mut handing = Handing::new(writers * FILES_IN_FLIGHT_PER_WRITER, BYTES_HELD);
        // The log's files go to the writer threads too when one sync before
        // the checkpoint makes them durable.
        let log_by_writers = w.log != LogWrites::EachDurable;
        let handed = files::<ExportError>(publication, selection, None, &mut |rel, part, bytes| {
            if stop.load(Ordering::Acquire) {
                return Err(stopped());
            }
            let here = match part {
                Part::Checkpoint => true,
                Part::Log => !log_by_writers,
                Part::Blob | Part::Site => false,
            };
            match bytes {
                None => w.handle(&rel, part, None)?,
                Some(bytes) if here => {
                    // Durable, and the checkpoint only once everything it
                    // covers is written.
                    handing.flush(&mut hand)?;
                    gate.drain().map_err(|_| stopped())?;
                    if stop.load(Ordering::Acquire) {
                        return Err(stopped());
                    }
                    w.handle(&rel, part, Some(&bytes))?;
                }
                Some(bytes) => {
                    let level = crate::gate::level(&rel);
                    let job = Job {
                        level,
                        part,
                        bytes,
                        rel,
                    };
                    let len = job.bytes.len();
                    handing.file(&gate, level, len, job, &mut hand)?;
                }
            }
            progress(part);
            Ok(())
        });
        // (A copy without a checkpoint: an empty log.)
        let handed = handed.and_then(|_| handing.flush(&mut hand));
        // The threads finish what they were handed, and stop.
        drop(queues);
        let mut lost = false;
        for t in threads {
            match t.join() {
                Ok(mine) => w.absorb(mine),
                Err(_) => lost = true,
            }
        }
        // The writers' first error before the handing loop's own: when a
        // writer failed, the loop's is only `stopped`.
        if let Some(e) = failed.lock().unwrap_or_else(|e| e.into_inner()).take() {
            return Err(e);
        }
        handed?;
        if lost {
            return Err(stopped());
        }
        Ok(())
    })
}

struct Writer<'a> {
    root: PathBuf,
    stats: ExportStats,
    /// What the manifest records of a path.
    old: Lookup<'a>,
    new: BTreeMap<String, Option<Fingerprint>>,
    /// Folders known to exist (made or found by this export): each is
    /// made once, not once per file.
    dirs: HashSet<PathBuf>,
    /// Files written without an fsync (pages, blobs), where kept (an
    /// incremental export syncs them before its record).
    unsynced: Option<Vec<PathBuf>>,
    /// How the log's files are made durable before the checkpoint.
    log: LogWrites,
    /// The copy's filesystem, opened before the first write (a whole
    /// export, which syncs it whole).
    filesystem: Option<&'a crate::dir::Filesystem>,
    /// Whether the filesystem was synced (with the checkpoint) and nothing
    /// written since.
    synced: bool,
}

/// How a copy's log files (tiles, entry bundles) are made durable before
/// the checkpoint that names them is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LogWrites {
    /// Each written under a temporary name, fsynced and renamed into place,
    /// its folder fsynced: an incremental export, which writes a few.
    EachDurable,
    /// Written as pages are (straight to their names when new, by the
    /// writer threads), then the whole filesystem synced once (`syncfs`,
    /// Linux) just before the checkpoint: a whole export, which writes
    /// thousands of files, and would otherwise wait for a journal commit
    /// per tile before its first page. A crash before the sync leaves
    /// tiles that no checkpoint names yet (the next export, finding them
    /// unlisted, reads them back and rewrites what is wrong).
    ///
    /// Meanwhile, every `write_back_every` bytes the writer threads write,
    /// a thread of its own writes back what is written so far
    /// ([`crate::dir::write_back`]), so that the sync waits for the last
    /// few only.
    SyncedBeforeCheckpoint { write_back_every: u64 },
}

impl LogWrites {
    /// Every how many bytes the writer threads have written back early, if
    /// at all.
    fn write_back_every(self) -> Option<u64> {
        match self {
            LogWrites::EachDurable => None,
            LogWrites::SyncedBeforeCheckpoint { write_back_every } => Some(write_back_every),
        }
    }
}

impl<'a> Writer<'a> {
    /// A writer of the same copy with nothing written yet (for another
    /// thread; see [`Writer::absorb`]).
    fn empty_like(&self) -> Writer<'a> {
        Writer {
            root: self.root.clone(),
            stats: ExportStats::default(),
            old: self.old,
            new: BTreeMap::new(),
            dirs: HashSet::from([self.root.clone()]),
            unsynced: self.unsynced.as_ref().map(|_| Vec::new()),
            log: self.log,
            filesystem: self.filesystem,
            synced: false,
        }
    }

    /// Takes in what another writer of the same copy did.
    fn absorb(&mut self, mut other: Writer<'_>) {
        self.stats.written += other.stats.written;
        self.stats.unchanged += other.stats.unchanged;
        self.stats.deleted += other.stats.deleted;
        self.new.append(&mut other.new);
        if let (Some(mine), Some(theirs)) = (&mut self.unsynced, other.unsynced) {
            mine.extend(theirs);
        }
    }

    /// Handles one file of the copy as `for_each_file` hands it on.
    fn handle(&mut self, rel: &str, part: Part, bytes: Option<&[u8]>) -> Result<(), ExportError> {
        match (part, bytes) {
            (_, None) => self.keep(rel),
            (Part::Log, Some(b)) => self.write(rel, b, self.log == LogWrites::EachDurable),
            (Part::Checkpoint, Some(b)) => {
                if self.log != LogWrites::EachDurable {
                    self.sync_filesystem()?;
                }
                self.write(rel, b, true)
            }
            (_, Some(b)) => self.write(rel, b, false),
        }
    }

    /// Makes everything written to the copy's filesystem durable
    /// ([`crate::dir::Filesystem::sync`]), or the files written without an
    /// fsync where the filesystem was not opened.
    fn sync_filesystem(&mut self) -> Result<(), ExportError> {
        let files = self.unsynced.as_deref().unwrap_or_default();
        match self.filesystem {
            Some(fs) => fs.sync(files),
            None => crate::dir::sync_files(files),
        }
        .map_err(|source| ExportError::Io {
            path: self.root.clone(),
            source,
        })?;
        self.synced = true;
        Ok(())
    }

    /// Deletes a file the site no longer has; whether it was there.
    fn delete(&mut self, rel: &str) -> Result<bool, ExportError> {
        let path = self.root.join(rel);
        match fs::remove_file(&path) {
            Ok(()) => {
                self.stats.deleted += 1;
                // A superseded partial tile's folder (`<n>.p/`), once its
                // tile is full, holds nothing: gone too, as from a fresh
                // copy (still holding the next width: left as it is).
                if rel.starts_with("tile/") {
                    if let Some(dir) = path.parent().filter(|d| {
                        d.file_name()
                            .is_some_and(|n| n.to_string_lossy().ends_with(".p"))
                    }) {
                        let _ = fs::remove_dir(dir);
                    }
                }
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(ExportError::Io { path, source }),
        }
    }

    /// A file the caller knows is in place (a full tile, a blob).
    fn keep(&mut self, rel: &str) -> Result<(), ExportError> {
        self.stats.unchanged += 1;
        let fp = (self.old)(rel).flatten();
        self.new.insert(rel.to_string(), fp);
        Ok(())
    }

    /// Writes `bytes` at `rel` unless the file already holds exactly them
    /// (as the manifest records, or as read).
    ///
    /// `durable` files — the log's tiles and bundles and the checkpoint —
    /// are written under a temporary name, fsynced, renamed into place and
    /// their folder fsynced, so a checkpoint that survives a crash never
    /// names tiles that did not, and a tile present is a tile whole.
    ///
    /// The rest (pages, blobs) are not fsynced: after a crash a re-run
    /// rewrites whatever is wrong. A file an earlier export wrote (the
    /// manifest lists it) may be read by someone while it changes: it is
    /// replaced whole, by a rename. A file new to this copy (every file of
    /// a fresh export) has no reader yet, and nothing links to it before
    /// the lists written after it: it is written straight to its name,
    /// without reading anything back. Should a crash cut it short, the
    /// manifest (written last) does not list it, so the next export reads
    /// it back, finds it wrong and replaces it.
    fn write(&mut self, rel: &str, bytes: &[u8], durable: bool) -> Result<(), ExportError> {
        let path = self.root.join(rel);
        let fp = fingerprint(bytes);
        self.new.insert(rel.to_string(), Some(fp));
        let listed = (self.old)(rel);
        // Recorded with these bytes: trust the record if the file is still
        // there with the right length (someone may have deleted it).
        if listed.flatten() == Some(fp) && fs::metadata(&path).is_ok_and(|m| m.len() == fp.0) {
            self.stats.unchanged += 1;
            return Ok(());
        }
        let io = |source| ExportError::Io {
            path: path.clone(),
            source,
        };
        let parent = path.parent().expect("layout paths have a parent");
        self.make_dir(parent, durable).map_err(io)?;
        if !durable && listed.is_none() {
            match create_new(&path, bytes) {
                Ok(()) => {
                    self.stats.written += 1;
                    if let Some(u) = &mut self.unsynced {
                        u.push(path);
                    }
                    return Ok(());
                }
                // Not this export's file, or one a crash cut short: read
                // it back, as below.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(source) => return Err(io(source)),
            }
        }
        // Listed with other bytes: it changed (a read-back would only find
        // what the manifest says). Otherwise compare with what is there.
        let changed = matches!(listed, Some(Some(_)));
        if !changed && fs::read(&path).is_ok_and(|old| old == bytes) {
            self.stats.unchanged += 1;
            return Ok(());
        }
        replace_whole(&path, bytes, durable)?;
        self.stats.written += 1;
        if let (Some(u), false) = (&mut self.unsynced, durable) {
            u.push(path);
        }
        Ok(())
    }

    /// Makes folder `dir` (and any missing above it) unless this export
    /// already has; see [`make_dir`].
    fn make_dir(&mut self, dir: &Path, durable: bool) -> std::io::Result<()> {
        make_dir(&mut self.dirs, dir, durable)
    }
}

/// The most folders [`make_dir`] remembers.
const MAX_DIRS_KEPT: usize = 4096;

/// Makes folder `dir` (and any missing above it) unless it is in `made`
/// (the folders this export made or found). A folder made for a `durable`
/// file has its own parent fsynced, so the new name survives a power loss
/// with the files in it.
///
/// A folder in `made` can vanish behind the export's back (someone deletes
/// it meanwhile): `dir` then cannot be made for want of its parent, which is
/// forgotten and made again, once; if `dir` still cannot be made, that is
/// the error. Each call goes up at most the depth of `dir`, and never
/// loops.
fn make_dir(made: &mut HashSet<PathBuf>, dir: &Path, durable: bool) -> std::io::Result<()> {
    if made.contains(dir) {
        return Ok(());
    }
    // Files come folder by folder: the recent folders are enough to spare
    // nearly every `create_dir`, and the set stays small (127,000 folders,
    // 12 MB, at 100,000 articles). A folder forgotten is found again
    // (`AlreadyExists`), at the cost of one call.
    if made.len() >= MAX_DIRS_KEPT {
        made.clear();
    }
    let created = match fs::create_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = dir.parent().ok_or(e)?;
            made.remove(parent);
            make_dir(made, parent, durable)?;
            fs::create_dir(dir)
        }
        other => other,
    };
    match created {
        Ok(()) => {
            if durable {
                crate::dir::sync_dir(dir.parent().unwrap_or(Path::new("")))?;
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if !fs::metadata(dir)?.is_dir() {
                return Err(e);
            }
        }
        Err(e) => return Err(e),
    }
    made.insert(dir.to_path_buf());
    Ok(())
}

/// Writes `bytes` to a file that must not exist yet (`AlreadyExists` if
/// it does: nothing is touched then).
fn create_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(test)]
mod folder_tests {
    use super::*;

    /// A folder the export made, deleted behind its back, is made again
    /// (this recursed without end and overflowed the stack).
    #[test]
    fn a_folder_deleted_meanwhile_is_made_again() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let mut made = HashSet::from([root.clone()]);
        make_dir(&mut made, &root.join("a/b/c"), true).unwrap();
        assert!(root.join("a/b/c").is_dir());
        fs::remove_dir_all(root.join("a")).unwrap();
        make_dir(&mut made, &root.join("a/b/d"), false).unwrap();
        assert!(root.join("a/b/d").is_dir());
    }

    /// A file where a folder should be is an error, not a loop.
    #[test]
    fn a_file_in_the_way_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let mut made = HashSet::from([root.clone()]);
        fs::write(root.join("a"), b"not a folder").unwrap();
        let e = make_dir(&mut made, &root.join("a"), false).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AlreadyExists);
        let e = make_dir(&mut made, &root.join("a/b/c"), false).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotADirectory);
        assert!(!made.contains(&root.join("a")));
    }

    /// The export's root itself gone: made again too.
    #[test]
    fn a_root_deleted_meanwhile_is_made_again() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("copy");
        fs::create_dir(&root).unwrap();
        let mut made = HashSet::from([root.clone()]);
        fs::remove_dir(&root).unwrap();
        make_dir(&mut made, &root.join("x"), false).unwrap();
        assert!(root.join("x").is_dir());
    }
}

#[cfg(all(test, target_os = "linux"))]
mod write_back_tests {
    use super::*;
    use erkin_core::action::{Action, Charter, Statement};
    use erkin_core::entry::EntryBody;
    use erkin_core::keys::SecretKey;

    /// A whole export written by several threads has what they write
    /// written back as it goes (here after every file), and the copy is the
    /// same, file for file, as one written on one thread without.
    #[test]
    fn a_whole_export_writes_back_as_it_goes() {
        let tmp = tempfile::tempdir().unwrap();
        let log = SecretKey::generate(&mut rand_core::OsRng, "wb.example/a").unwrap();
        let member = SecretKey::generate(&mut rand_core::OsRng, "saule").unwrap();
        let t0 = 1_790_000_000;
        let mut p = Publication::found(
            &tmp.path().join("d"),
            "Write-back",
            &log,
            &[member.verifier_key().clone()],
            Charter::default(),
            t0,
        )
        .unwrap();
        let entries: Vec<Vec<u8>> = (0..30)
            .map(|i| {
                let body = EntryBody {
                    time: t0,
                    action: Action::Statement(Statement {
                        text: format!("s {i}"),
                    }),
                };
                p.sign(&body, &member).unwrap()
            })
            .collect();
        p.submit(&entries, t0, &log).unwrap();
        let (threads, one) = (tmp.path().join("threads"), tmp.path().join("one"));
        for out in [&threads, &one] {
            prepare_folder((&p).into(), out).unwrap();
        }
        let before = crate::dir::write_backs();
        whole((&p).into(), &threads, &mut |_| {}, 4, 1).unwrap();
        assert!(crate::dir::write_backs() > before);
        whole((&p).into(), &one, &mut |_| {}, 1, u64::MAX).unwrap();
        // The same files, as each copy's record lists them (path, length
        // and hash of every file).
        let record = |root: &Path| fs::read_to_string(root.join(MANIFEST_FILE)).unwrap();
        let written = record(&threads);
        assert!(threads.join("checkpoint").is_file());
        assert!(written.lines().count() > 30, "{written}");
        assert_eq!(written, record(&one));
    }
}
