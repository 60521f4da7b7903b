//! `erkin serve`: the reader site, the JSON API and the log over HTTP.
//!
//! Pages are rendered when entries land, not when readers ask: the one
//! export path writes the served copy (`DIR/site/`, see `site.rs`) whenever
//! the log grows — incrementally, only what changed — and pages are read
//! from it as readers ask, prepared once (ETag, gzip and brotli forms) and
//! kept in a page cache bounded by bytes (`page_cache.rs`). The JSON API's
//! documents are made from the state as asked for (`api_docs.rs`). The
//! log's tiles and blobs come from the store, read-only. Every response
//! carries strict security headers; the access log records method, path,
//! status and time — never the client's address.

pub mod api;
mod api_docs;
mod blob_cache;
pub mod desk;
mod desk_i18n;
mod listen;
mod page_cache;
mod prepared;
mod routes;
pub mod sequencer;
mod site;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use erkin_store::{Publication, Store};

pub use api::ApiLimits;
pub use listen::ConnectionLimits;

/// The default connection caps for this process: up to 16,384 connections
/// (below the descriptor limit, raised where allowed), 256 per client, and
/// 60 s without a byte moving.
pub fn default_connection_limits() -> ConnectionLimits {
    ConnectionLimits::for_process(16_384, 256, Duration::from_secs(60))
}
pub use page_cache::CAPACITY as PAGE_CACHE_BYTES;
pub use sequencer::SequencerConfig;
pub use site::{LARGE_PAGE, SITE_DIR};

/// What a server has done, for tests and operators: counted as it happens.
#[derive(Debug, Default)]
pub struct ServeStats {
    /// Renders of the served copy (exports) completed by this server.
    pub renders: AtomicU64,
    /// Files those renders wrote (new or changed).
    pub files_written: AtomicU64,
    /// Files of the copy read from disk and prepared for serving (each
    /// read a page cache miss).
    pub pages_read: AtomicU64,
    /// Bytes the page cache holds now, the most it ever held, and its bound.
    pub cache_held: AtomicU64,
    pub cache_peak: AtomicU64,
    pub cache_capacity: AtomicU64,
}

/// How long a page request waits for the first render of an empty copy
/// before it is answered 503 with Retry-After.
pub const FIRST_RENDER_WAIT: Duration = Duration::from_secs(3);

/// What a server does besides serving readers.
#[derive(Default)]
pub struct ServeOptions {
    /// Log each request (method, path, status, time; never the client;
    /// never a secret ballot).
    pub log_requests: bool,
    /// Where the request log's lines go; `None`: standard error.
    pub request_log: Option<RequestLog>,
    /// Caps on connections; `None`: [`default_connection_limits`].
    pub connections: Option<ConnectionLimits>,
    /// Accept members' signed entries and blobs (the newsroom's server).
    pub members: Option<MembersApi>,
    /// Follow a primary: a read-only node kept in sync by mirroring.
    pub follow: Option<Follow>,
    /// The source inbox (`erkin-tips`) at `/tips/`, with the members' API
    /// only (the sequencer knows the current tip readers).
    pub tips: Option<TipsOptions>,
    /// The page cache's bound in bytes; `None`: [`PAGE_CACHE_BYTES`].
    pub page_cache_bytes: Option<usize>,
    /// Counters this server keeps up to date (hold a clone to read them).
    pub stats: Arc<ServeStats>,
    /// How long a page waits for the first render; `None`:
    /// [`FIRST_RENDER_WAIT`].
    pub first_render_wait: Option<Duration>,
    /// For tests and tools: the first render (when there is one to do)
    /// starts only once this receives a message or its sender is dropped.
    pub render_gate: Option<std::sync::mpsc::Receiver<()>>,
}

/// A sink for the request log's lines (tests read what it would print).
pub type RequestLog = Arc<dyn Fn(String) + Send + Sync>;

/// The source inbox: where it keeps submissions and its limits, and an own
/// listener (`serve --tips ADDR`) that serves nothing but the inbox.
pub struct TipsOptions {
    pub config: erkin_tips::TipsConfig,
    /// Bound by the caller (before the runtime runs), taken over here.
    pub listener: Option<std::net::TcpListener>,
}

pub struct MembersApi {
    pub log_key: erkin_core::keys::SecretKey,
    pub sequencer: SequencerConfig,
    pub limits: ApiLimits,
}

pub struct Follow {
    /// The primary's URL (or any copy erkin mirror takes).
    pub source: String,
    pub interval: Duration,
    pub options: erkin_mirror::SyncOptions,
}

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Publication(#[from] erkin_store::PublicationError),
    #[error(transparent)]
    Store(#[from] erkin_store::StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("the desk's drafts: {0}")]
    Drafts(#[from] erkin_store::drafts::DraftError),
    #[error("following: {0}")]
    Follow(erkin_mirror::MirrorError),
    #[error("the source inbox: {0}")]
    Tips(#[from] erkin_tips::inbox::InboxError),
}

/// Where the sequencer hands its folded state to the renderer, when asked,
/// so pages are rendered without folding the whole log again.
#[derive(Default)]
struct StateSlot {
    wanted: std::sync::atomic::AtomicBool,
    latest: Mutex<Option<erkin_core::state::State>>,
}

impl StateSlot {
    fn offer(&self, state: &erkin_core::state::State) {
        if self.wanted.swap(false, std::sync::atomic::Ordering::AcqRel) {
            if let Ok(mut l) = self.latest.lock() {
                *l = Some(state.clone());
            }
        }
    }
}

/// The state the JSON documents are made from, kept without a copy where
/// possible: the publication a render used (or opened at startup) is kept
/// whole; a first render shares its state with them (`State`), and a copy
/// is made only when the sequencer has the state. A re-render lets the old
/// state go before it reads the new one, and holds the lock meanwhile
/// (`Gone` only if reading the new one failed), so one state is in memory
/// at a time (two with the sequencer's own).
enum Folded {
    Publication(Box<Publication>),
    State(Arc<erkin_core::state::State>),
    Gone,
}

impl Folded {
    fn state(&self) -> Option<&erkin_core::state::State> {
        match self {
            Folded::Publication(p) => Some(p.state()),
            Folded::State(s) => Some(s),
            Folded::Gone => None,
        }
    }
}

/// The one thread that reads and makes whole states and renders: glibc
/// keeps memory a thread frees in that thread's own arena, so states read
/// on ever other threads (a pool's) left one state's worth of freed memory
/// in each arena they passed through (at 100,000 articles VmRSS 221 -> 434
/// -> 636 MiB over two re-renders; with every state on one thread, one
/// state's memory is reused by the next).
struct RenderThread(Mutex<std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>>);

impl RenderThread {
    fn start() -> std::io::Result<Self> {
        let (tx, rx) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        std::thread::Builder::new()
            .name("erkin-render".into())
            // As the main thread's, where `erkin export` renders.
            .stack_size(8 << 20)
            .spawn(move || {
                for job in rx {
                    // A panic ends the job, not the thread.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            })?;
        Ok(Self(Mutex::new(tx)))
    }

    /// Runs `f` on the render thread; `None` if it panicked.
    async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Box<dyn FnOnce() + Send> = Box::new(move || {
            let _ = tx.send(f());
        });
        self.0.lock().ok()?.send(job).ok()?;
        rx.await.ok()
    }
}

struct Shared {
    dir: PathBuf,
    render: RenderThread,
    /// Set when the server stops: no render starts after it.
    stopping: std::sync::atomic::AtomicBool,
    /// The sequencer's state, when this server sequences.
    slot: Option<Arc<StateSlot>>,
    /// The served copy and its page cache.
    site: site::Site,
    /// The state the JSON documents are made from: the latest rendered.
    state: Mutex<Folded>,
    /// The log size the copy was last rendered at (0: not this run, or
    /// not current at startup).
    rendered: AtomicU64,
    stats: Arc<ServeStats>,
    first_render_wait: Duration,
    /// Blobs readers asked for, kept in memory (bounded).
    blobs: blob_cache::BlobCache,
    api: Option<api::Api>,
    /// The members' desk (`/desk/`), with the members' API only.
    desk: Option<desk::Desk>,
    /// Where members should send entries when this node does not take them.
    read_only_hint: &'static str,
    /// A read-only store for tiles and blobs (SQLite connections are not
    /// shared across threads, hence the mutex).
    store: Mutex<Store>,
    log_requests: bool,
    request_log: Option<RequestLog>,
}

impl Shared {
    /// One line of the request log.
    fn log_line(&self, line: String) {
        match &self.request_log {
            Some(sink) => sink(line),
            None => eprintln!("{line}"),
        }
    }
}

/// Serves the publication in `dir` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    dir: &Path,
    log_requests: bool,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let options = ServeOptions {
        log_requests,
        ..ServeOptions::default()
    };
    serve_with(listener, dir, options, shutdown).await
}

/// Serves with the members' API and/or as a follower, as `options` say.
/// On shutdown: stop taking connections, let requests in flight finish,
/// then commit and answer everything the sequencer holds, then return.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    dir: &Path,
    options: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let stop_following = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let follower = match options.follow {
        Some(follow) => Some(start_following(dir, follow, stop_following.clone()).await?),
        None => None,
    };
    // The state is read, and every later one made, on the render thread.
    let render = RenderThread::start()?;
    let opened = {
        let dir = dir.to_path_buf();
        render.run(move || Publication::open(&dir)).await
    };
    let mut publication = opened.ok_or_else(|| {
        ServerError::Io(std::io::Error::other(
            "the render thread ended before the publication was opened",
        ))
    })??;
    if options.members.is_some() {
        // The sequencer renders from its own state: nobody may write
        // behind its back (they are told to use the members' API).
        publication.claim_writer(
            "erkin serve --sequence; send entries through its members' API with --server",
        )?;
    }
    let stats = options.stats.clone();
    let site = site::Site::new(
        dir,
        options.page_cache_bytes.unwrap_or(PAGE_CACHE_BYTES),
        stats.clone(),
    );
    // A current copy is served as it is: nothing is rendered.
    let current = site.is_current(&publication);
    let size = publication.store().size();
    let folded: Folded;
    let slot = Arc::new(StateSlot::default());
    // The first render, when one is due, runs in the background from the
    // state opened here (a copy of it when the sequencer takes it), which
    // the JSON documents share meanwhile: no second copy of the archive's
    // state beside the render's buffers (at 100,000 articles about 110 MiB).
    let mut first: Option<(Store, Arc<erkin_core::state::State>)> = None;
    let mut desk = None;
    let mut tips = None;
    let api = match options.members {
        Some(m) => {
            // Filled before the first request can arrive, then after
            // every batch (admissions, removals, rotated keys).
            let members: api::MemberKeys = Arc::new(RwLock::new(
                publication
                    .state()
                    .members()
                    .map(|m| (m.handle.clone(), m.key.clone()))
                    .collect(),
            ));
            let logged = publication.state().entry_hashes().map(|h| h.0).collect();
            let editors = Arc::new(RwLock::new(current_editors(publication.state())));
            desk = Some(desk::Desk::new(
                dir,
                publication.state().origin(),
                members.clone(),
                editors.clone(),
                m.sequencer.clock.clone(),
            )?);
            let keys = members.clone();
            // The tip readers, refreshed like the members' keys: a vote
            // changes the recipients of the very next submission.
            let readers = Arc::new(RwLock::new(erkin_tips::Readers::from_state(
                publication.state(),
            )));
            if let Some(t) = &options.tips {
                tips = Some(Arc::new(erkin_tips::Tips::open(
                    &t.config,
                    readers.clone(),
                )?));
            }
            let state = Arc::new(publication.state().clone());
            if !current {
                first = Some((Store::open_unverified(dir)?, state.clone()));
            }
            folded = Folded::State(state);
            let wanted = slot.clone();
            let origin = publication.state().origin().to_string();
            let sequencer = sequencer::Sequencer::start(
                publication,
                m.log_key,
                m.sequencer,
                move |p, committed| {
                    if committed {
                        let fresh = p
                            .state()
                            .members()
                            .map(|m| (m.handle.clone(), m.key.clone()))
                            .collect();
                        if let Ok(mut k) = keys.write() {
                            *k = fresh;
                        }
                        if let Ok(mut e) = editors.write() {
                            *e = current_editors(p.state());
                        }
                        if let Ok(mut r) = readers.write() {
                            *r = erkin_tips::Readers::from_state(p.state());
                        }
                    }
                    wanted.offer(p.state());
                },
            );
            Some(api::Api {
                sequencer,
                uploads: api::upload_budget(&m.limits),
                limits: m.limits,
                rate: api::RateLimiter::default(),
                members,
                logged: RwLock::new(logged),
                store: Mutex::new(Store::open_unverified(dir)?),
                origin,
                proofs: api::ProofBudget::default(),
            })
        }
        None => {
            if current {
                folded = Folded::Publication(Box::new(publication));
            } else {
                // Readers of the JSON documents are served from the state
                // the first render reads.
                let (store, state) = publication.into_parts();
                let state = Arc::new(state);
                folded = Folded::State(state.clone());
                first = Some((store, state));
            }
            None
        }
    };
    let shared = Arc::new(Shared {
        dir: dir.to_path_buf(),
        slot: api.as_ref().map(|_| slot),
        render,
        stopping: std::sync::atomic::AtomicBool::new(false),
        site,
        state: Mutex::new(folded),
        rendered: AtomicU64::new(if current { size } else { 0 }),
        stats,
        first_render_wait: options.first_render_wait.unwrap_or(FIRST_RENDER_WAIT),
        blobs: blob_cache::BlobCache::with_files(dir.to_path_buf()),
        api,
        desk,
        read_only_hint: if follower.is_some() {
            "this node is a read-only follower; send entries to the newsroom's server"
        } else {
            "this server does not take members' entries (start it with --sequence)"
        },
        store: Mutex::new(Store::open_unverified(dir)?),
        log_requests: options.log_requests,
        request_log: options.request_log,
    });
    tokio::spawn(reload_loop(shared.clone(), first, options.render_gate));
    let mut app = routes::router(shared.clone());
    let limits = options
        .connections
        .unwrap_or_else(default_connection_limits);
    // One shutdown signal for both listeners.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = move || {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let mut tips_listener = None;
    if let Some(t) = tips {
        app = app.merge(erkin_tips::router(t.clone()));
        if let Some(listener) = options.tips.and_then(|o| o.listener) {
            // The tips listener (the onion's) takes secret ballots too.
            let own = erkin_tips::standalone_router(t).merge(routes::ballot_router(shared.clone()));
            listener.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(listener)?;
            tips_listener = Some(tokio::spawn(listen::run(
                listener,
                own,
                None,
                limits.clone(),
                stopped(),
            )));
        }
    }
    let pages = shared.clone();
    let fast: listen::FastPath = Arc::new(move |req| routes::reader_page(&pages, req));
    let served = listen::run(listener, app, Some(fast), limits, stopped()).await;
    if let Some(t) = tips_listener {
        let _ = t.await;
    }
    // Drain: everything pooled is committed and answered before we return.
    if shared.api.is_some() {
        let s = shared.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Some(api) = &s.api {
                api.sequencer.drain();
            }
        })
        .await;
    }
    // A render under way finishes before the server returns (its folder may
    // go once it has), and none starts after.
    shared.stopping.store(true, Ordering::Release);
    let _ = shared.render.run(|| ()).await;
    stop_following.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(f) = follower {
        let _ = tokio::task::spawn_blocking(move || f.join()).await;
    }
    served?;
    Ok(())
}

/// Syncs once (a follower must have a copy before it can serve), then keeps
/// syncing every `interval` on a thread of its own until told to stop.
async fn start_following(
    dir: &Path,
    follow: Follow,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> Result<std::thread::JoinHandle<()>, ServerError> {
    let dir = dir.to_path_buf();
    let (first_tx, first_rx) = tokio::sync::oneshot::channel();
    let handle = std::thread::Builder::new()
        .name("erkin-follower".into())
        .spawn(move || {
            let opened = erkin_mirror::Mirror::open(&dir).and_then(|mut m| {
                let mut options = follow.options.clone();
                options.site = false;
                m.sync(Some(&follow.source), &options)?;
                Ok((m, options))
            });
            let (mut mirror, mut options) = match opened {
                Ok(ok) => {
                    let _ = first_tx.send(Ok(()));
                    ok
                }
                Err(e) => {
                    let _ = first_tx.send(Err(e));
                    return;
                }
            };
            let mut last_error = String::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started = Instant::now();
                while started.elapsed() < follow.interval {
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                options.now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                match mirror.sync(Some(&follow.source), &options) {
                    Ok(_) => last_error.clear(),
                    Err(e) => {
                        // Say it once, not every interval.
                        let text = e.to_string();
                        if text != last_error {
                            eprintln!("erkin serve --follow: {text}");
                            last_error = text;
                        }
                    }
                }
            }
        })?;
    match first_rx.await {
        Ok(Ok(())) => Ok(handle),
        Ok(Err(e)) => Err(ServerError::Follow(e)),
        Err(_) => Err(ServerError::Io(std::io::Error::other(
            "the follower thread ended before its first sync",
        ))),
    }
}

/// Locks the read-only store, recovering from a panic in another request:
/// the connection holds no state a panic could leave half-changed.
fn lock(store: &Mutex<Store>) -> std::sync::MutexGuard<'_, Store> {
    store
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Watches the log and re-renders when it grows. With a sequencer, the
/// state comes from it (asked for, then taken on the next tick); otherwise
/// (another process appends: the CLI, a follower's mirror) the publication
/// is opened from disk (its stored state snapshot, not a refold). After a
/// render that took d, the loop rests d: rendering takes at most half a
/// core from serving however fast the log grows. `first` is the render due
/// at startup, if any.
async fn reload_loop(
    shared: Arc<Shared>,
    first: Option<(Store, Arc<erkin_core::state::State>)>,
    gate: Option<std::sync::mpsc::Receiver<()>>,
) {
    if let Some((store, state)) = first {
        let s = shared.clone();
        let _ = shared
            .render
            .run(move || {
                if let Some(gate) = gate {
                    let _ = gate.recv();
                }
                if s.stopping.load(Ordering::Acquire) {
                    return;
                }
                let source = erkin_export::Source::new(&store, &state);
                rendered(&s, s.site.render(source), state.size());
                // The JSON documents keep the state (theirs already): this
                // thread's share of it goes, so a re-render that lets it go
                // frees it. Those made before the copy was ready are made
                // again.
                drop(state);
                s.site.bump();
            })
            .await;
    }
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let s = shared.clone();
        let took = shared.render.run(move || rebuild(&s)).await;
        if let Some(Some(took)) = took {
            tokio::time::sleep(took).await;
        }
    }
}

/// One look at the log; a new render if it grew. Returns the render time.
fn rebuild(s: &Shared) -> Option<Duration> {
    if s.stopping.load(Ordering::Acquire) {
        return None;
    }
    let size = lock(&s.store).refresh().ok()?;
    let current = s.rendered.load(Ordering::Acquire);
    if size == current {
        return None;
    }
    let started = Instant::now();
    // The JSON documents not kept wait for the render (pages do not: they
    // come from the copy); the old state goes before the new one is read.
    let mut folded = lock_state(s);
    let publication = match &s.slot {
        Some(slot) => {
            let state = slot.latest.lock().ok()?.take();
            match state {
                Some(state) if state.size() > current => {
                    // The export reads the log's files from the store: it
                    // must hold exactly the state's entries. If the
                    // sequencer committed again meanwhile, ask again.
                    let store = Store::open_unverified(&s.dir).ok()?;
                    if store.size() != state.size() {
                        slot.wanted.store(true, Ordering::Release);
                        return None;
                    }
                    *folded = Folded::Gone;
                    Publication::from_folded(store, state)
                }
                _ => {
                    slot.wanted.store(true, Ordering::Release);
                    return None;
                }
            }
        }
        None => {
            *folded = Folded::Gone;
            match Publication::open(&s.dir) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("erkin serve: cannot re-render after the log grew: {e}");
                    return None;
                }
            }
        }
    };
    rendered(
        s,
        s.site.render((&publication).into()),
        publication.state().size(),
    );
    *folded = Folded::Publication(Box::new(publication));
    drop(folded);
    // The JSON documents made from the old state are made again.
    s.site.bump();
    Some(started.elapsed())
}

/// Locks the state, recovering from a panic elsewhere (it is replaced
/// whole, never left half-changed).
fn lock_state(s: &Shared) -> std::sync::MutexGuard<'_, Folded> {
    s.state.lock().unwrap_or_else(|p| p.into_inner())
}

/// Counts a render of the copy at log size `size`, or says why it failed.
fn rendered(
    s: &Shared,
    outcome: Result<erkin_export::ExportStats, erkin_export::ExportError>,
    size: u64,
) {
    match outcome {
        Ok(stats) => {
            // Counted before pages are let through, so whoever got a page
            // sees the render that made it counted.
            s.stats.renders.fetch_add(1, Ordering::Relaxed);
            s.stats
                .files_written
                .fetch_add(stats.written as u64, Ordering::Relaxed);
            s.rendered.store(size, Ordering::Release);
            s.site.mark_ready();
        }
        Err(e) => eprintln!(
            "erkin serve: cannot render the site into {}: {e}",
            s.site.root().display()
        ),
    }
}

/// The handles holding a board seat at the log time.
fn current_editors(state: &erkin_core::state::State) -> std::collections::HashSet<String> {
    state
        .members()
        .filter(|m| state.is_editor(&m.handle, state.log_time()))
        .map(|m| m.handle.clone())
        .collect()
}

/// Binds `addr`, for callers that want the real port before serving.
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await
}
