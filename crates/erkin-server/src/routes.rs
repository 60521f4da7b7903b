//! The routes: what each path answers, and the headers every answer
//! carries.
//!
//! Routing and method handling are axum's (`Router`, `MethodRouter`: 405
//! with `Allow` for a method a path does not take; HEAD answered by the GET
//! handler). Conditional requests use the `headers` crate's `If-None-Match`.
//! Pages come from the served copy (`site.rs`) through the page cache, with
//! their gzip and brotli forms made once; the JSON documents from the state
//! (`api_docs.rs`); the checkpoint, tiles and blobs from the store.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, Uri};
use axum::middleware::{self, Next};
use axum::routing::{get, post};
use axum::Router;
use erkin_core::blob::BlobId;
use erkin_core::verify::CopyReader;
use headers::HeaderMapExt as _;

use crate::{api, api_docs, lock, prepared, site, Shared};

/// The whole HTTP surface of `erkin serve`.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    let pages = get(page).fallback(only_get_and_head);
    let desk = if shared.desk.is_some() {
        crate::desk::router()
    } else {
        Router::new()
    };
    Router::new()
        .merge(desk)
        .route("/checkpoint", get(checkpoint))
        .route("/tile/{*path}", get(tile))
        .route("/blob/{id}", get(blob))
        .route("/api/v1/entries", post(post_entry).get(page))
        .route("/api/v1/blobs", post(post_blob).get(page))
        .route(BALLOTS_ROUTE, post(post_ballot).get(page))
        .route("/api/{*rest}", post(post_elsewhere).get(page))
        .fallback_service(pages.with_state(shared.clone()))
        .layer(middleware::from_fn_with_state(shared.clone(), decorate))
        .with_state(shared)
}

/// Where secret ballots are posted (`erkin_core::api::BALLOTS_PATH`).
const BALLOTS_ROUTE: &str = "/api/v1/ballots";

/// The route of secret ballots alone, for the tips listener (the onion
/// service's), which logs no request at all.
pub(crate) fn ballot_router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(BALLOTS_ROUTE, post(post_ballot))
        .with_state(shared)
}

/// Every answer: the security headers, and (if asked) a log line with the
/// method, path, status and time — deliberately never the client's
/// address, and no line at all for a secret ballot (its time would be the
/// leak: docs/BALLOT.md §9).
async fn decorate(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response<Body> {
    let started = Instant::now();
    let line = (shared.log_requests && req.uri().path() != BALLOTS_ROUTE)
        .then(|| format!("{} {}", req.method(), req.uri().path()));
    let mut response = next.run(req).await;
    security_headers(response.headers_mut());
    if let Some(line) = line {
        shared.log_line(format!(
            "{line} {} {}ms",
            response.status().as_u16(),
            started.elapsed().as_millis()
        ));
    }
    response
}

/// The first path segments the router answers with handlers of their own;
/// a GET or HEAD of any other path is a page of the copy or a JSON
/// document ([`page`]).
const ROUTED: [&str; 5] = ["checkpoint", "tile", "blob", "desk", "tips"];

/// A reader's GET or HEAD of a page in the page cache and current, answered
/// before the router: the very answer [`page`] and [`decorate`] give (the
/// same `send`, the same security headers, the same log line), without the
/// router's matching, boxing and middleware, which cost more than the page
/// itself. Anything else (`None`: not kept, or kept from an older
/// generation, or another route) goes to the router.
pub(crate) fn reader_page<B>(shared: &Shared, req: &Request<B>) -> Option<Response<Body>> {
    let head = match *req.method() {
        Method::GET => false,
        Method::HEAD => true,
        _ => return None,
    };
    let path = req.uri().path();
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    if ROUTED.contains(&first) {
        return None;
    }
    let started = Instant::now();
    let layout = layout_path(path)?;
    let cached = shared.site.cache.get(&layout)?;
    if !cached.current(shared.site.generation()) {
        return None;
    }
    let mut response = send(req.headers(), &cached.prepared, head);
    security_headers(response.headers_mut());
    if shared.log_requests {
        shared.log_line(format!(
            "{} {path} {} {}ms",
            req.method(),
            response.status().as_u16(),
            started.elapsed().as_millis()
        ));
    }
    Some(response)
}

/// Largest tile or bundle we serve (a full bundle of maximum-size entries).
const MAX_LOG_FILE: u64 = erkin_core::tiles::MAX_BUNDLE_LEN as u64;

const CROSS_ORIGIN_RESOURCE_POLICY: HeaderName =
    HeaderName::from_static("cross-origin-resource-policy");
const PERMISSIONS_POLICY: HeaderName = HeaderName::from_static("permissions-policy");

/// The security headers every response carries.
fn security_headers(h: &mut HeaderMap) {
    // The desk sets its own (scripts from the copy); everything else runs none.
    h.entry(header::CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(
            "default-src 'none'; img-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        CROSS_ORIGIN_RESOURCE_POLICY,
        HeaderValue::from_static("same-site"),
    );
    h.insert(
        PERMISSIONS_POLICY,
        HeaderValue::from_static("interest-cohort=(), browsing-topics=()"),
    );
}

async fn only_get_and_head() -> Response<Body> {
    let mut r = status(
        StatusCode::METHOD_NOT_ALLOWED,
        "Only GET and HEAD are served here.\n",
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    r
}

/// Why this node does not take members' entries (no `--sequence`, or a
/// follower).
fn read_only(shared: &Shared) -> Response<Body> {
    let mut r = api::error(
        StatusCode::METHOD_NOT_ALLOWED,
        "read_only",
        shared.read_only_hint,
    );
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    r
}

async fn post_entry(State(shared): State<Arc<Shared>>, req: Request) -> Response<Body> {
    match &shared.api {
        Some(api) => api.post_entry(req).await,
        None => read_only(&shared),
    }
}

async fn post_blob(State(shared): State<Arc<Shared>>, req: Request) -> Response<Body> {
    match &shared.api {
        Some(api) => api.post_blob(req).await,
        None => read_only(&shared),
    }
}

async fn post_ballot(State(shared): State<Arc<Shared>>, req: Request) -> Response<Body> {
    match &shared.api {
        Some(api) => api.post_ballot(req).await,
        None => read_only(&shared),
    }
}

async fn post_elsewhere(State(shared): State<Arc<Shared>>) -> Response<Body> {
    match &shared.api {
        Some(_) => api::error(
            StatusCode::NOT_FOUND,
            "not_found",
            "POST goes to api/v1/entries, api/v1/blobs or api/v1/ballots",
        ),
        None => read_only(&shared),
    }
}

/// The longest request path taken.
const MAX_PATH: usize = 1024;

/// Maps a request path to a layout path: `/` and `.../` mean `index.html`.
/// `None` (400) for anything a layout path never is: `.` or `..` segments,
/// empty segments (`//`), backslashes, `%` escapes, control characters, or
/// longer than [`MAX_PATH`].
fn layout_path(uri_path: &str) -> Option<String> {
    let p = uri_path.strip_prefix('/').unwrap_or(uri_path);
    let body = p.strip_suffix('/').unwrap_or(p);
    if p.len() > MAX_PATH
        || (!body.is_empty()
            && body
                .split('/')
                .any(|seg| seg.is_empty() || seg == ".." || seg == "."))
        || p.contains(['\\', '%'])
        || p.chars().any(char::is_control)
    {
        return None;
    }
    if p.is_empty() || p.ends_with('/') {
        Some(format!("{p}index.html"))
    } else {
        Some(p.to_string())
    }
}

fn status(code: StatusCode, text: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = code;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

/// A page, a feed, the descriptor or a JSON document: from the page cache,
/// else from the served copy or the state, prepared and kept.
async fn page(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    let Some(path) = layout_path(uri.path()) else {
        return status(StatusCode::BAD_REQUEST, "Bad path.\n");
    };
    let head = method == Method::HEAD;
    if let Some(c) = shared.site.cache.get(&path) {
        if c.current(shared.site.generation()) {
            return send(&headers, &c.prepared, head);
        }
    }
    if let Some(doc) = api_docs::doc_of(&path) {
        if matches!(doc, api_docs::Doc::List) {
            return article_list(&shared, &headers, head).await;
        }
        let s = shared.clone();
        let made = tokio::task::spawn_blocking(move || json_document(&s, &path)).await;
        return match made {
            Ok(Ok(Some(c))) => send(&headers, &c.prepared, head),
            Ok(Ok(None)) => not_found_at(uri.path()),
            _ => status(StatusCode::SERVICE_UNAVAILABLE, "Try again.\n"),
        };
    }
    if !shared.site.is_ready() && !shared.site.wait_ready(shared.first_render_wait).await {
        return rendering();
    }
    let s = shared.clone();
    let found = tokio::task::spawn_blocking(move || s.site.find(&path)).await;
    match found {
        Ok(site::Found::Page(c)) => send(&headers, &c.prepared, head),
        // A directory without its slash: send readers to the page.
        Ok(site::Found::Folder) => {
            let mut r = status(StatusCode::MOVED_PERMANENTLY, "Moved.\n");
            let location = format!("{}/", uri.path());
            if let Ok(v) = HeaderValue::from_str(&location) {
                r.headers_mut().insert(header::LOCATION, v);
            }
            r
        }
        Ok(site::Found::Missing) => not_found_at(uri.path()),
        Err(_) => unreadable(),
    }
}

/// Articles of the list written per piece of a streamed response.
const LIST_BATCH: usize = 256;

/// The whole-archive article list, streamed: written a batch of articles
/// at a time from the state, so a server holds one batch per reader, never
/// the list (tens of megabytes at 100,000 articles). Its bytes are the
/// views' (`api_docs::list_items`); not compressed; its ETag names the log
/// size it lists (the log only grows, so a size is one state). Should a
/// render change the state while it is sent, the response is cut short:
/// a reader sees a broken transfer, never a list of two states.
async fn article_list(shared: &Arc<Shared>, req_headers: &HeaderMap, head: bool) -> Response<Body> {
    let s = shared.clone();
    let counted = tokio::task::spawn_blocking(move || {
        let folded = s.state.lock().unwrap_or_else(|p| p.into_inner());
        folded
            .state()
            .map(|state| (state.size(), state.article_count()))
    })
    .await;
    let Ok(Some((size, count))) = counted else {
        return status(StatusCode::SERVICE_UNAVAILABLE, "Try again.\n");
    };
    let etag = format!("\"articles-{size}-{}\"", env!("CARGO_PKG_VERSION"));
    let builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(
            header::CACHE_CONTROL,
            erkin_core::serving::cache_control(erkin_core::api::ARTICLES_PATH),
        )
        .header(header::VARY, "Accept-Encoding");
    if not_modified(req_headers, &etag) {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "error\n"));
    }
    let builder = builder.status(StatusCode::OK).header(
        header::CONTENT_TYPE,
        erkin_core::serving::content_type(erkin_core::api::ARTICLES_PATH),
    );
    if head {
        return builder
            .body(Body::empty())
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "error\n"));
    }
    if count == 0 {
        return builder
            .body(Body::from(api_docs::LIST_EMPTY))
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "error\n"));
    }
    let s = shared.clone();
    // (next article, whether the tail is sent)
    let pieces = futures_util::stream::try_unfold((0usize, false), move |(next, ended)| {
        let s = s.clone();
        async move {
            if ended {
                return Ok(None);
            }
            if next >= count {
                return Ok(Some((
                    bytes::Bytes::from_static(api_docs::LIST_TAIL),
                    (next, true),
                )));
            }
            let piece = tokio::task::spawn_blocking(move || {
                let folded = s.state.lock().unwrap_or_else(|p| p.into_inner());
                let Some(state) = folded.state().filter(|st| st.size() == size) else {
                    return Err(std::io::Error::other(
                        "the state changed while the list was sent",
                    ));
                };
                let mut piece = if next == 0 {
                    api_docs::LIST_HEAD.to_vec()
                } else {
                    Vec::new()
                };
                piece.extend(api_docs::list_items(state, next, LIST_BATCH));
                Ok(piece)
            })
            .await
            .map_err(std::io::Error::other)??;
            Ok::<_, std::io::Error>(Some((
                bytes::Bytes::from(piece),
                (next + LIST_BATCH, false),
            )))
        }
    });
    builder
        .body(Body::from_stream(pieces))
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "error\n"))
}

/// A JSON API document made from the current state and kept for this
/// generation; `None` for a path that names none (an unknown article);
/// `Err` while there is no state (a re-render failed to read it).
fn json_document(
    shared: &Shared,
    path: &str,
) -> Result<Option<Arc<crate::page_cache::Cached>>, ()> {
    let Some(doc) = api_docs::doc_of(path) else {
        return Ok(None);
    };
    // Read before the state: a render swaps the state, then bumps.
    let generation = shared.site.generation();
    if let Some(c) = shared.site.cache.get(path) {
        if c.current(generation) {
            return Ok(Some(c));
        }
    }
    let folded = shared.state.lock().unwrap_or_else(|p| p.into_inner());
    let bytes = api_docs::bytes(folded.state().ok_or(())?, &doc);
    drop(folded);
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let entry = crate::page_cache::Cached::new(prepared::prepare(path, bytes), None, generation);
    Ok(Some(shared.site.cache.insert(path, entry)))
}

/// Until the first render of an empty copy completes: 503, with when to
/// come back, in the site's three languages (the server cannot know which
/// one the reader wants).
fn rendering() -> Response<Body> {
    let mut r = Response::new(Body::from(
        "<!DOCTYPE html><html lang=\"kk\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Сайт дайындалып жатыр · Сайт готовится · The site is being prepared</title></head><body><h1>Сайт дайындалып жатыр</h1><p>Бірнеше секундтан кейін қайта көріңіз.</p><p lang=\"ru\">Сайт готовится. Попробуйте снова через несколько секунд.</p><p lang=\"en\">The site is being prepared. Try again in a few seconds.</p></body></html>",
    ));
    *r.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The checkpoint comes from the store, not the served copy: a member who just
/// got a receipt, or a mirror, must see the log as it is now, and the
/// store's checkpoint always has its tiles (same database).
async fn checkpoint(
    State(shared): State<Arc<Shared>>,
    method: Method,
    headers: HeaderMap,
) -> Response<Body> {
    let read = tokio::task::spawn_blocking(move || {
        let mut store = lock(&shared.store);
        store.refresh().map_err(|_| ())?;
        store.latest_checkpoint_bytes().map_err(|_| ())
    })
    .await;
    match read {
        Ok(Ok(Some(cp))) => send(
            &headers,
            &prepared::prepare("checkpoint", cp),
            method == Method::HEAD,
        ),
        Ok(Ok(None)) => not_found_at("/checkpoint"),
        _ => unreadable(),
    }
}

fn unreadable() -> Response<Body> {
    status(
        StatusCode::SERVICE_UNAVAILABLE,
        "The log could not be read; try again.\n",
    )
}

/// A hash tile or an entry bundle, read from the store per request.
async fn tile(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    let Some(path) = layout_path(uri.path()) else {
        return status(StatusCode::BAD_REQUEST, "Bad path.\n");
    };
    let read = tokio::task::spawn_blocking(move || {
        let store = lock(&shared.store);
        let bytes = store.read(&path, MAX_LOG_FILE).map_err(|_| ())?;
        drop(store);
        // Hashing for the ETag happens here too, off the async threads.
        Ok::<_, ()>(bytes.map(|b| prepared::prepare_raw(&path, b)))
    })
    .await;
    match read {
        Ok(Ok(Some(prepared))) => send(&headers, &prepared, method == Method::HEAD),
        Ok(Ok(None)) => not_found_at(uri.path()),
        _ => unreadable(),
    }
}

async fn blob(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response<Body> {
    let hex = uri.path().trim_start_matches("/blob/");
    match hex.parse::<BlobId>() {
        Ok(id) => send_blob(&shared, id, &headers, method == Method::HEAD).await,
        Err(_) => not_found_at(uri.path()),
    }
}

/// How much of a blob is read from the store at a time.
const BLOB_PIECE: usize = 128 * 1024;

/// What [`send_blob`] found: the blob's record, and its bytes when kept.
type FoundBlob = Option<(erkin_store::store::BlobHandle, Option<bytes::Bytes>)>;

/// The store's answer for a blob a reader asked for, without leaving the
/// connection's thread, when that is quick: the store free this moment, and
/// nothing to read but whether the blob may be served (a HEAD, a
/// revalidation, or a blob kept in memory). `None`: ask [`find_blob`].
///
/// A kept blob at 64 readers spent about a fifth of the server's time
/// waking threads and switching between them, two hops per request for a
/// lookup of some microseconds (`docs/BENCHMARKS.md`, "On a quiet machine").
fn served_here(
    shared: &Shared,
    id: &BlobId,
    no_body: bool,
) -> Option<Result<FoundBlob, erkin_store::StoreError>> {
    let store = shared.store.try_lock().ok()?;
    let kept = if no_body {
        None
    } else {
        Some(shared.blobs.get(id)?)
    };
    Some(
        store
            .served_blob(id)
            .map(|blob| blob.map(|blob| (blob, kept))),
    )
}

/// The store's answer for a blob a reader asked for, on a blocking thread:
/// whether it may be served, and its bytes, read and kept when there is
/// room.
async fn find_blob(
    s: Arc<Shared>,
    id: BlobId,
    head: bool,
    modified: bool,
) -> Result<Result<FoundBlob, erkin_store::StoreError>, tokio::task::JoinError> {
    tokio::task::spawn_blocking(move || {
        let store = lock(&s.store);
        let Some(blob) = store.served_blob(&id)? else {
            return Ok(None);
        };
        if head || !modified {
            return Ok(Some((blob, None)));
        }
        if let Some(kept) = s.blobs.get(&id) {
            return Ok(Some((blob, Some(kept))));
        }
        if !s.blobs.may_keep(blob.len) {
            return Ok(Some((blob, None)));
        }
        // One read of the whole blob, kept for the next readers if there
        // is room; without room it is streamed like a large one.
        let kept = store
            .blob(&id, blob.len)?
            .and_then(|bytes| s.blobs.keep(id, bytes));
        Ok::<_, erkin_store::StoreError>(Some((blob, kept)))
    })
    .await
}

/// Serves a blob: from memory when kept ([`crate::blob_cache`]), otherwise
/// streamed from the store in pieces, so a reader, however slow, holds at
/// most one piece of the server's memory, never the whole blob. The store
/// is asked on every request whether the blob may be served: uploads no
/// entry names yet, and redacted blobs, are not. The blob's ID is its ETag.
async fn send_blob(
    shared: &Arc<Shared>,
    id: BlobId,
    req_headers: &HeaderMap,
    head: bool,
) -> Response<Body> {
    let etag = format!("\"{id}\"");
    let modified = !not_modified(req_headers, &etag);
    let found = match served_here(shared, &id, head || !modified) {
        Some(found) => Ok(found),
        None => find_blob(shared.clone(), id, head, modified).await,
    };
    let (blob, kept) = match found {
        Ok(Ok(Some(found))) => found,
        Ok(Ok(None)) => return not_found_at("/blob/"),
        _ => {
            return status(
                StatusCode::SERVICE_UNAVAILABLE,
                "The log could not be read; try again.\n",
            )
        }
    };
    let builder = Response::builder()
        .header(header::ETAG, &etag)
        .header(header::CACHE_CONTROL, "public, max-age=31536000, immutable")
        .header(header::VARY, "Accept-Encoding");
    if !modified {
        return builder
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "error\n"));
    }
    let builder = builder
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(header::CONTENT_LENGTH, blob.len);
    if head {
        return builder
            .status(StatusCode::OK)
            .body(Body::empty())
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "error\n"));
    }
    if let Some(kept) = kept.filter(|k| u64::try_from(k.len()).ok() == Some(blob.len)) {
        return builder
            .status(StatusCode::OK)
            .body(Body::from(kept))
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "error\n"));
    }
    let s = shared.clone();
    let pieces = futures_util::stream::try_unfold(0u64, move |offset| {
        let s = s.clone();
        async move {
            if offset >= blob.len {
                return Ok(None);
            }
            let piece = tokio::task::spawn_blocking(move || {
                let want =
                    usize::try_from(blob.len - offset).map_or(BLOB_PIECE, |l| l.min(BLOB_PIECE));
                let mut buf = vec![0u8; want];
                let n = lock(&s.store)
                    .read_blob_at(blob, offset, &mut buf)
                    .map_err(std::io::Error::other)?;
                buf.truncate(n);
                Ok::<_, std::io::Error>(buf)
            })
            .await
            .map_err(std::io::Error::other)??;
            if piece.is_empty() {
                // Redacted while being sent: end the response short, so the
                // reader sees a broken transfer, never a blob that verifies.
                return Err(std::io::Error::other(
                    "the blob was deleted while being sent",
                ));
            }
            let next = offset + piece.len() as u64;
            Ok(Some((bytes::Bytes::from(piece), next)))
        }
    });
    builder
        .status(StatusCode::OK)
        .body(Body::from_stream(pieces))
        .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR, "error\n"))
}

/// Whether the request's `If-None-Match` matches `etag` (weak comparison,
/// as RFC 9110 §13.1.2 asks for GET and HEAD).
fn not_modified(req_headers: &HeaderMap, etag: &str) -> bool {
    let Some(condition) = req_headers.typed_get::<headers::IfNoneMatch>() else {
        return false;
    };
    match etag.parse::<headers::ETag>() {
        Ok(tag) => !condition.precondition_passes(&tag),
        Err(_) => false,
    }
}

/// The 404 page for a missing path: its link to the front page is relative
/// to the request's own path (`../` per level), never `/index.html`, so it
/// works under any path prefix a proxy adds. In the three languages of the
/// site (the server cannot know which one the reader came from).
fn not_found_at(path: &str) -> Response<Body> {
    let root = "../".repeat(path.matches('/').count().saturating_sub(1));
    let mut r = Response::new(Body::from(format!(
        "<!DOCTYPE html><html lang=\"kk\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Табылмады · Не найдено · Not found</title></head><body><h1>Табылмады</h1><p lang=\"ru\">Не найдено</p><p lang=\"en\">Not found</p><p><a href=\"{root}index.html\">Басты бет</a> · <a href=\"{root}index.html\" lang=\"ru\">Главная</a> · <a href=\"{root}index.html\" lang=\"en\">Front page</a></p></body></html>",
    )));
    *r.status_mut() = StatusCode::NOT_FOUND;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    r
}

/// Whether the request accepts `coding` (RFC 9110 §12.5.3: named with a
/// quality above zero; `q=0`, `q=0.0`, `q=0.000` refuse it). No maintained
/// crate negotiates against bodies compressed ahead of time in memory
/// (tower-http's negotiation is private to its file server), so this is ours.
fn accepts(headers: &HeaderMap, coding: &str) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|part| {
            let mut it = part.trim().split(';');
            let name = it.next().unwrap_or("").trim();
            // q=0 (also written 0.0, 0.00, 0.000) means "not acceptable".
            let q_zero = it.any(|p| {
                let p = p.trim().replace(' ', "");
                p.strip_prefix("q=")
                    .or_else(|| p.strip_prefix("Q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            name.eq_ignore_ascii_case(coding) && !q_zero
        })
}

fn send(req_headers: &HeaderMap, p: &prepared::Prepared, head: bool) -> Response<Body> {
    let mut r = Response::new(Body::empty());
    let h = r.headers_mut();
    // The page's headers and the security headers, without growing the map.
    h.reserve(16);
    h.insert(header::ETAG, p.etag.clone());
    h.insert(header::CACHE_CONTROL, p.cache_control.clone());
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if not_modified(req_headers, p.etag.to_str().unwrap_or("")) {
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        return r;
    }
    let (form, encoding) = match (&p.br, &p.gzip) {
        (Some(br), _) if accepts(req_headers, "br") => (br, Some("br")),
        (_, Some(gz)) if accepts(req_headers, "gzip") => (gz, Some("gzip")),
        _ => (&p.body, None),
    };
    h.insert(header::CONTENT_TYPE, p.content_type.clone());
    h.insert(header::CONTENT_LENGTH, form.length.clone());
    if let Some(e) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(e));
    }
    if !head {
        *r.body_mut() = Body::from(form.bytes.clone());
    }
    r
}
