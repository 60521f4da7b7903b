//! The inbox over HTTP: the router `erkin-server` mounts at `/tips/` and
//! serves alone on `erkin serve --tips ADDR`.
//!
//! ```text
//! GET  /tips/  /tips/<lang>/        guidance, who reads, the form
//! POST /tips/<lang>/submit          multipart form -> codename page
//! POST /tips/<lang>/return          codename -> replies + form to send more
//! GET  /tips/api/v1/tips            tip readers: the tips sealed to them
//! GET  /tips/api/v1/tips/<id>       tip readers: one tip's ciphertext
//! DELETE /tips/api/v1/tips/<id>     tip readers: delete a tip they have
//! POST /tips/api/v1/replies         tip readers: keep a sealed reply
//! ```
//!
//! No handler reads the client's address or any header but the ones the
//! request's meaning needs (content type and length, the readers'
//! signature); nothing is logged here. Every answer says `Cache-Control:
//! no-store` and carries its own CSP (forms to this server only), and no
//! cookie is ever set: a source's codename travels only in the forms it
//! fills in.

// Helpers return the refusal page itself as their error: it is answered
// at once, never carried far, so its size does not matter.
#![allow(clippy::result_large_err)]

use std::sync::{Arc, RwLock};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use erkin_core::api::{ApiError, ErrorDocument};

use crate::auth::{self, AuthError, Nonces};
use crate::codename;
use crate::form::{self, FormError, Limits};
use crate::inbox::{day_string, Inbox, InboxError};
use crate::pages::{self, Words};
use crate::seal::SealError;
use crate::{Readers, TipsConfig};

/// The CSP of every tips page: nothing runs or loads; forms post here.
pub const TIPS_CSP: &str =
    "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Codename hashes at once (each is two Argon2id runs); more wait, up to
/// [`HASH_WAIT`].
const HASHERS: usize = 2;
const HASH_WAIT: Duration = Duration::from_secs(30);

/// The inbox's live parts.
pub struct Tips {
    inbox: Arc<Inbox>,
    readers: Arc<RwLock<Readers>>,
    limits: Limits,
    hashing: tokio::sync::Semaphore,
    /// Submissions being received ([`Limits::max_receiving`]).
    receiving: tokio::sync::Semaphore,
    nonces: Nonces,
}

impl Tips {
    /// Opens the inbox under `config.data_dir`; `readers` is kept current
    /// by the server as the log grows.
    pub fn open(config: &TipsConfig, readers: Arc<RwLock<Readers>>) -> Result<Self, InboxError> {
        Ok(Tips {
            inbox: Arc::new(Inbox::open(&config.data_dir, config.cost)?),
            readers,
            limits: config.limits,
            hashing: tokio::sync::Semaphore::new(HASHERS),
            receiving: tokio::sync::Semaphore::new(config.limits.max_receiving.max(1)),
            nonces: Nonces::default(),
        })
    }

    fn readers(&self) -> Readers {
        self.readers.read().map(|r| r.clone()).unwrap_or_default()
    }
}

type S = State<Arc<Tips>>;

/// The routes under `/tips/` (for merging into the reader site's router).
pub fn router(tips: Arc<Tips>) -> Router {
    Router::new()
        .route("/tips", get(|| async { redirect("/tips/") }))
        .route("/tips/", get(start))
        .route("/tips/{lang}/", get(index))
        .route("/tips/{lang}/submit", post(submit))
        .route("/tips/{lang}/return", post(open_conversation))
        .route("/tips/api/v1/tips", get(list))
        .route("/tips/api/v1/tips/{id}", get(fetch).delete(delete))
        .route("/tips/api/v1/replies", post(reply))
        .layer(axum::middleware::map_response(headers))
        .with_state(tips)
}

/// The inbox alone, for its own listener: `/` leads to `/tips/`.
pub fn standalone_router(tips: Arc<Tips>) -> Router {
    router(tips)
        .route("/", get(|| async { redirect("/tips/") }))
        .fallback(|| async { (StatusCode::NOT_FOUND, "Not found.\n") })
        .layer(axum::middleware::map_response(headers))
}

async fn headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(TIPS_CSP),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.remove(header::SET_COOKIE);
    r
}

fn redirect(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn lang_words(lang: &str) -> Result<&'static Words, Response> {
    pages::words(lang).ok_or_else(|| html(StatusCode::NOT_FOUND, pages::not_found(&pages::EN)))
}

fn listed(readers: &Readers) -> Vec<(String, String)> {
    readers
        .readers
        .iter()
        .filter_map(|(h, r)| r.recipient.clone().map(|rec| (h.clone(), rec)))
        .collect()
}

async fn start(State(t): S) -> Response {
    html(
        StatusCode::OK,
        pages::index(&pages::KK, &listed(&t.readers()), t.limits.max_total),
    )
}

async fn index(State(t): S, UrlPath(lang): UrlPath<String>) -> Response {
    match lang_words(&lang) {
        Ok(w) => html(
            StatusCode::OK,
            pages::index(w, &listed(&t.readers()), t.limits.max_total),
        ),
        Err(r) => r,
    }
}

/// A refusal of a form, as a page with its status.
fn form_error(w: &Words, e: &FormError) -> Response {
    let (status, sentence) = match e {
        FormError::WrongContentType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, w.wrong_type),
        FormError::TooLarge { .. } | FormError::MessageTooLong { .. } => {
            (StatusCode::PAYLOAD_TOO_LARGE, w.too_large)
        }
        FormError::Seal(SealError::TooLarge { .. }) => (StatusCode::PAYLOAD_TOO_LARGE, w.too_large),
        FormError::TooManyParts { .. } => (StatusCode::PAYLOAD_TOO_LARGE, w.too_many_parts),
        FormError::Truncated => (StatusCode::BAD_REQUEST, w.truncated),
        FormError::NameNotUtf8 | FormError::NameTooLong { .. } => {
            (StatusCode::BAD_REQUEST, w.bad_name)
        }
        FormError::Empty => (StatusCode::BAD_REQUEST, w.empty),
        FormError::Seal(SealError::NoRecipients) => (StatusCode::SERVICE_UNAVAILABLE, w.closed),
        FormError::Seal(_) => (StatusCode::INTERNAL_SERVER_ERROR, w.failed),
        FormError::UnknownField(_) | FormError::Malformed => (StatusCode::BAD_REQUEST, w.malformed),
    };
    html(status, pages::error(w, sentence))
}

/// Runs the two codename derivations on a blocking thread, at most
/// [`HASHERS`] at once.
async fn derive<T: Send + 'static>(
    t: &Arc<Tips>,
    w: &Words,
    f: impl FnOnce(&Inbox) -> T + Send + 'static,
) -> Result<T, Response> {
    let busy = || html(StatusCode::SERVICE_UNAVAILABLE, pages::error(w, w.busy));
    let _permit = tokio::time::timeout(HASH_WAIT, t.hashing.acquire())
        .await
        .map_err(|_| busy())?
        .map_err(|_| busy())?;
    let inbox = t.inbox.clone();
    tokio::task::spawn_blocking(move || f(&inbox))
        .await
        .map_err(|_| html(StatusCode::INTERNAL_SERVER_ERROR, pages::error(w, w.failed)))
}

async fn submit(State(t): S, UrlPath(lang): UrlPath<String>, req: Request) -> Response {
    let w = match lang_words(&lang) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let readers = t.readers();
    let listed = readers.recipients();
    let recipients = match crate::seal::recipients(&listed) {
        Ok(r) => r,
        Err(e) => return form_error(w, &FormError::Seal(e)),
    };
    // Bounded: submissions at once, and bytes kept until readers delete.
    let Ok(_receiving) = t.receiving.try_acquire() else {
        return html(StatusCode::SERVICE_UNAVAILABLE, pages::error(w, w.busy));
    };
    match t.inbox.stored_bytes() {
        Ok(n) if n.saturating_add(t.limits.max_total) <= t.limits.max_stored => {}
        Ok(_) => return html(StatusCode::SERVICE_UNAVAILABLE, pages::error(w, w.full)),
        Err(_) => return html(StatusCode::INTERNAL_SERVER_ERROR, pages::error(w, w.failed)),
    }
    let (parts, body) = req.into_parts();
    let received = match form::receive(
        &parts.headers,
        body,
        t.limits,
        recipients,
        t.inbox.tmp_dir(),
    )
    .await
    {
        Ok(r) => r,
        Err(e) => return form_error(w, &e),
    };
    let failed = || html(StatusCode::INTERNAL_SERVER_ERROR, pages::error(w, w.failed));
    match received.codename {
        Some(typed) => {
            // More for an existing conversation: the same derivations as
            // opening it, and the same page for any codename that finds none.
            let found = derive(&t, w, move |inbox| {
                let c = codename::normalize(&typed).unwrap_or(typed);
                let (thread, id) = inbox.derive(&c);
                let exists = inbox.has_thread(&thread);
                (thread, id.to_public().to_string(), exists)
            })
            .await;
            let (thread, reply_recipient, exists) = match found {
                Ok(f) => f,
                Err(r) => return r,
            };
            match exists {
                Ok(true) => {}
                Ok(false) => return html(StatusCode::NOT_FOUND, pages::not_found(w)),
                Err(_) => return failed(),
            }
            let inbox = t.inbox.clone();
            let sealed = received.sealed;
            match tokio::task::spawn_blocking(move || {
                inbox.keep(sealed, &thread, &reply_recipient, &listed)
            })
            .await
            {
                Ok(Ok(_)) => html(StatusCode::OK, pages::received(w)),
                _ => failed(),
            }
        }
        None => {
            let sealed = received.sealed;
            let kept = derive(&t, w, move |inbox| {
                let c = codename::generate();
                let (thread, id) = inbox.derive(&c);
                inbox
                    .keep(sealed, &thread, &id.to_public().to_string(), &listed)
                    .map(|_| c)
            })
            .await;
            match kept {
                Ok(Ok(c)) => html(StatusCode::OK, pages::codename(w, &c)),
                Ok(Err(_)) => failed(),
                Err(r) => r,
            }
        }
    }
}

/// Longest body of the codename form.
const MAX_RETURN_BODY: usize = 4096;

#[derive(serde::Deserialize)]
struct ReturnForm {
    codename: String,
}

async fn open_conversation(State(t): S, UrlPath(lang): UrlPath<String>, req: Request) -> Response {
    let w = match lang_words(&lang) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return html(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            pages::error(w, w.wrong_type),
        );
    }
    let bytes = match axum::body::to_bytes(req.into_body(), MAX_RETURN_BODY).await {
        Ok(b) => b,
        Err(_) => return html(StatusCode::PAYLOAD_TOO_LARGE, pages::error(w, w.too_large)),
    };
    let typed = serde_urlencoded_codename(&bytes).unwrap_or_default();
    let found = derive(&t, w, move |inbox| {
        let c = codename::normalize(&typed).unwrap_or(typed);
        inbox.conversation(&c).map(|conv| (conv, c))
    })
    .await;
    match found {
        Ok(Ok((Some(conv), c))) => {
            let replies: Vec<(String, String)> = conv
                .replies
                .into_iter()
                .map(|(day, text)| (day_string(day), text))
                .collect();
            html(
                StatusCode::OK,
                pages::conversation(w, &replies, &c, t.limits.max_total),
            )
        }
        Ok(Ok((None, _))) => html(StatusCode::NOT_FOUND, pages::not_found(w)),
        Ok(Err(_)) => html(StatusCode::INTERNAL_SERVER_ERROR, pages::error(w, w.failed)),
        Err(r) => r,
    }
}

/// The `codename` field of an urlencoded form.
fn serde_urlencoded_codename(bytes: &[u8]) -> Option<String> {
    serde_urlencoded::from_bytes::<ReturnForm>(bytes)
        .ok()
        .map(|f| f.codename)
}

// --- The tip readers' API ---

fn api_error(status: StatusCode, code: &str, message: String) -> Response {
    let doc = ErrorDocument {
        error: ApiError::new(code, message),
    };
    (status, axum::Json(doc)).into_response()
}

fn auth_error(e: AuthError) -> Response {
    let status = match e {
        AuthError::NotTipReader => StatusCode::FORBIDDEN,
        AuthError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNAUTHORIZED,
    };
    api_error(status, e.code(), e.to_string())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The signed-in tip reader's handle and their published recipient.
fn signed_in(
    t: &Tips,
    headers: &HeaderMap,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(String, Option<String>), Response> {
    let readers = t.readers();
    let header = headers.get(auth::HEADER).and_then(|v| v.to_str().ok());
    let handle =
        auth::check(header, &readers, method, path, body, now(), &t.nonces).map_err(auth_error)?;
    let recipient = readers
        .readers
        .get(&handle)
        .and_then(|r| r.recipient.clone());
    Ok((handle, recipient))
}

fn inbox_error(e: InboxError) -> Response {
    match e {
        InboxError::NoThread => api_error(StatusCode::NOT_FOUND, "no_thread", e.to_string()),
        InboxError::NoTip => api_error(StatusCode::NOT_FOUND, "no_tip", e.to_string()),
        InboxError::ReplyTooLarge => api_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "reply_too_large",
            e.to_string(),
        ),
        _ => api_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "inbox_failed",
            "the inbox could not be read or written".into(),
        ),
    }
}

async fn list(State(t): S, headers: HeaderMap) -> Response {
    let (_, recipient) = match signed_in(&t, &headers, "GET", "/tips/api/v1/tips", b"") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(recipient) = recipient else {
        return axum::Json(crate::api::TipList { tips: Vec::new() }).into_response();
    };
    let inbox = t.inbox.clone();
    match tokio::task::spawn_blocking(move || inbox.list_for(&recipient)).await {
        Ok(Ok(rows)) => axum::Json(crate::api::TipList {
            tips: rows
                .into_iter()
                .map(|r| crate::api::TipInfo {
                    id: r.id,
                    day: day_string(r.day),
                    len: r.len,
                    thread: r.thread,
                    reply_recipient: r.reply_recipient,
                })
                .collect(),
        })
        .into_response(),
        Ok(Err(e)) => inbox_error(e),
        Err(_) => inbox_error(InboxError::NoTip),
    }
}

/// Whether the signed-in reader's recipient is one the tip was sealed to.
fn may_read(
    t: &Tips,
    id: &str,
    recipient: &Option<String>,
) -> Result<std::path::PathBuf, Response> {
    let path = t
        .inbox
        .tip_path(id)
        .ok_or_else(|| inbox_error(InboxError::NoTip))?;
    let rows = recipient
        .as_deref()
        .map(|r| t.inbox.list_for(r))
        .transpose()
        .map_err(inbox_error)?
        .unwrap_or_default();
    if !rows.iter().any(|r| r.id == id) {
        return Err(inbox_error(InboxError::NoTip));
    }
    Ok(path)
}

async fn fetch(State(t): S, UrlPath(id): UrlPath<String>, headers: HeaderMap) -> Response {
    let path = format!("/tips/api/v1/tips/{id}");
    let (_, recipient) = match signed_in(&t, &headers, "GET", &path, b"") {
        Ok(s) => s,
        Err(r) => return r,
    };
    let file_path = match may_read(&t, &id, &recipient) {
        Ok(p) => p,
        Err(r) => return r,
    };
    match tokio::fs::File::open(&file_path).await {
        Ok(f) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            Body::from_stream(tokio_util::io::ReaderStream::new(f)),
        )
            .into_response(),
        Err(_) => inbox_error(InboxError::NoTip),
    }
}

async fn delete(State(t): S, UrlPath(id): UrlPath<String>, headers: HeaderMap) -> Response {
    let path = format!("/tips/api/v1/tips/{id}");
    let (_, recipient) = match signed_in(&t, &headers, "DELETE", &path, b"") {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Err(r) = may_read(&t, &id, &recipient) {
        return r;
    }
    match t.inbox.delete(&id) {
        Ok(()) => axum::Json(crate::api::Receipt { id }).into_response(),
        Err(e) => inbox_error(e),
    }
}

async fn reply(State(t): S, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, crate::inbox::MAX_REPLY_LEN * 2).await {
        Ok(b) => b,
        Err(_) => return inbox_error(InboxError::ReplyTooLarge),
    };
    if let Err(r) = signed_in(&t, &parts.headers, "POST", "/tips/api/v1/replies", &bytes) {
        return r;
    }
    let request: crate::api::ReplyRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => return api_error(StatusCode::BAD_REQUEST, "bad_request", e.to_string()),
    };
    let inbox = t.inbox.clone();
    match tokio::task::spawn_blocking(move || {
        inbox.reply(&request.thread, request.ciphertext.as_bytes())
    })
    .await
    {
        Ok(Ok(id)) => axum::Json(crate::api::Receipt { id }).into_response(),
        Ok(Err(e)) => inbox_error(e),
        Err(_) => inbox_error(InboxError::NoThread),
    }
}
