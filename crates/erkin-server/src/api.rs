//! The members' API: signed entries and blobs in, receipts out.
//!
//! Members sign on their own machines; the server only ever sees signed
//! entries, never a member's secret key. Every answer is JSON. Mistakes get
//! a 4xx with a stable `code` and a message naming the cause; nothing a
//! client sends can make the server panic or answer 500.
//!
//! - `POST /api/v1/entries` — body: one signed entry (the note's bytes).
//!   200: `{index, checkpoint, inclusion_proof, leaf_hash}` once durable.
//! - `POST /api/v1/blobs` — body: the blob's bytes. 200: `{id}` once durable.
//!   Upload blobs before the entry that names them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use erkin_core::entry::EntryError;
use erkin_core::keys::VerifierKey;
use erkin_core::note::ParsedNote;
use erkin_core::state::Rejection;
use erkin_core::tiles::MAX_ENTRY_LEN;
use serde_json::json;

use crate::sequencer::{Sequencer, SubmitError};

#[derive(Debug, Clone)]
pub struct ApiLimits {
    /// Sustained submissions per second per signing key (0: no limit).
    pub per_key_rate: f64,
    /// Submissions a key may make at once before the rate applies.
    pub per_key_burst: f64,
    /// The longest a request body may take to arrive.
    pub body_timeout: Duration,
    pub max_blob_len: u64,
}

impl Default for ApiLimits {
    fn default() -> Self {
        Self {
            per_key_rate: 50.0,
            per_key_burst: 200.0,
            body_timeout: Duration::from_secs(30),
            max_blob_len: erkin_core::blob::DEFAULT_MAX_BLOB_LEN,
        }
    }
}

/// Token buckets by signer handle. Bounded: idle buckets are dropped.
#[derive(Default)]
pub struct RateLimiter {
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    /// Takes one token for `who`; `Err(seconds)` to wait if there is none.
    fn take(&self, who: &str, limits: &ApiLimits) -> Result<(), u64> {
        if limits.per_key_rate <= 0.0 {
            return Ok(());
        }
        let mut buckets = self.buckets.lock().map_err(|_| 1u64)?;
        let now = Instant::now();
        if buckets.len() > 10_000 {
            buckets.retain(|_, (_, at)| now.duration_since(*at) < Duration::from_secs(600));
        }
        let (tokens, at) = buckets
            .entry(who.to_string())
            .or_insert((limits.per_key_burst, now));
        let refill = now.duration_since(*at).as_secs_f64() * limits.per_key_rate;
        *tokens = (*tokens + refill).min(limits.per_key_burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / limits.per_key_rate).ceil().max(1.0) as u64)
        }
    }
}

/// A JSON error: `{"error": {"code", "message"}}`.
pub fn error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Response<Body> {
    let body = json!({"error": {"code": code, "message": message.to_string()}});
    json_response(status, &body)
}

fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut bytes = serde_json::to_vec(value).unwrap_or_default();
    bytes.push(b'\n');
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Reads a request body of at most `max` bytes within the time limit.
async fn read_body(
    req: Request<Body>,
    max: u64,
    timeout: Duration,
) -> Result<Vec<u8>, Response<Body>> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than the {max} bytes allowed here"),
        )
    };
    if declared.is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let limit = usize::try_from(max).unwrap_or(usize::MAX);
    match tokio::time::timeout(timeout, axum::body::to_bytes(req.into_body(), limit)).await {
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!("the body did not arrive within {} s", timeout.as_secs()),
        )),
        // to_bytes fails on a body over the limit (or a broken connection).
        Ok(Err(_)) => Err(too_large()),
        Ok(Ok(b)) => Ok(b.to_vec()),
    }
}

fn submit_error(e: SubmitError) -> Response<Body> {
    match e {
        SubmitError::Rejected(r) => error(StatusCode::UNPROCESSABLE_ENTITY, r.code(), &r),
        SubmitError::Redacted(_) => error(StatusCode::GONE, "redacted", &e),
        SubmitError::BadBlob(_) => error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", &e),
        SubmitError::Busy => {
            let mut r = error(StatusCode::SERVICE_UNAVAILABLE, "busy", &e);
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            r
        }
        SubmitError::ShuttingDown => {
            let mut r = error(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", &e);
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            r
        }
        SubmitError::Storage(_) => error(StatusCode::SERVICE_UNAVAILABLE, "storage", &e),
    }
}

/// The members' verifier keys by handle, as of the last committed batch.
pub type MemberKeys = Arc<std::sync::RwLock<HashMap<String, VerifierKey>>>;

pub struct Api {
    pub sequencer: Sequencer,
    pub limits: ApiLimits,
    pub rate: RateLimiter,
    pub members: MemberKeys,
    /// The publication's origin, which upload notes must name.
    pub origin: String,
}

impl Api {
    /// Takes one submission from `signer`'s allowance, or answers 429 with
    /// when to come back. Called only after their signature checked out.
    fn charge(&self, signer: &str) -> Result<(), Box<Response<Body>>> {
        let Err(wait) = self.rate.take(signer, &self.limits) else {
            return Ok(());
        };
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many submissions by {signer}; retry in {wait} s"),
        );
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        Err(Box::new(r))
    }

    /// Checks an `Erkin-Upload` header: a member's signed note vouching for
    /// exactly this blob in this publication; charges their rate limit.
    fn check_upload(
        &self,
        header_value: &str,
        id: &erkin_core::blob::BlobId,
    ) -> Result<(), Box<Response<Body>>> {
        use base64::Engine as _;
        let unauthorized =
            |why: String| Box::new(error(StatusCode::UNAUTHORIZED, "unauthorized", why));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(header_value.trim())
            .map_err(|_| unauthorized("Erkin-Upload is not base64".into()))?;
        let note = ParsedNote::parse(&bytes, 4096)
            .map_err(|e| unauthorized(format!("Erkin-Upload is not a signed note: {e}")))?;
        if note.text() != erkin_core::blob::upload_text(&self.origin, id) {
            return Err(unauthorized(format!(
                "Erkin-Upload does not vouch for blob {id} of {}",
                self.origin
            )));
        }
        let Some((signer, key_id)) = note.signers().next().map(|(n, k)| (n.to_string(), k)) else {
            return Err(unauthorized("Erkin-Upload is not signed".into()));
        };
        let key = self
            .members
            .read()
            .ok()
            .and_then(|m| m.get(&signer).cloned())
            .filter(|k| k.key_id() == key_id)
            .ok_or_else(|| unauthorized(format!("{signer} is not a member of this publication")))?;
        note.verify_by(&key)
            .map_err(|e| unauthorized(format!("Erkin-Upload: {e}")))?;
        self.charge(&signer)?;
        Ok(())
    }

    pub async fn post(&self, path: &str, req: Request<Body>) -> Response<Body> {
        match path {
            "api/v1/entries" => self.post_entry(req).await,
            "api/v1/blobs" => self.post_blob(req).await,
            _ => error(
                StatusCode::NOT_FOUND,
                "not_found",
                "POST goes to api/v1/entries or api/v1/blobs",
            ),
        }
    }

    async fn post_entry(&self, req: Request<Body>) -> Response<Body> {
        let body = match read_body(req, MAX_ENTRY_LEN as u64, self.limits.body_timeout).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        // The signature is checked here, before the signer's rate limit is
        // charged: otherwise anyone could spend a member's allowance with
        // entries forged under their name. (The fold checks it again.)
        let note = match ParsedNote::parse(&body, MAX_ENTRY_LEN) {
            Ok(n) => n,
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    "malformed",
                    format!("the body is not a signed entry: {e}"),
                )
            }
        };
        let Some((signer, key_id)) = note.signers().next().map(|(n, id)| (n.to_string(), id))
        else {
            return error(
                StatusCode::BAD_REQUEST,
                "malformed",
                "the entry is not signed",
            );
        };
        let key = self
            .members
            .read()
            .ok()
            .and_then(|m| m.get(&signer).cloned());
        let Some(key) = key.filter(|k| k.key_id() == key_id) else {
            let r = Rejection::NotAMember {
                name: signer,
                id: key_id,
            };
            return error(StatusCode::UNPROCESSABLE_ENTITY, r.code(), &r);
        };
        if let Err(e) = note.verify_by(&key) {
            let r = Rejection::Entry(EntryError::from(e));
            return error(StatusCode::UNPROCESSABLE_ENTITY, r.code(), &r);
        }
        if let Err(r) = self.charge(&signer) {
            return *r;
        }
        let leaf = erkin_core::tree::record_hash(&body);
        match self.sequencer.submit(body).await {
            Ok(receipt) => json_response(
                StatusCode::OK,
                &json!({
                    "index": receipt.index,
                    "checkpoint": String::from_utf8_lossy(&receipt.checkpoint),
                    "inclusion_proof": erkin_core::evidence::hex_hashes(&receipt.proof),
                    "leaf_hash": hex::encode(leaf.0),
                }),
            ),
            Err(e) => submit_error(e),
        }
    }

    async fn post_blob(&self, req: Request<Body>) -> Response<Body> {
        let upload = req
            .headers()
            .get("erkin-upload")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = match read_body(req, self.limits.max_blob_len, self.limits.body_timeout).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        // Only a member may upload, and only the blob they signed for: the
        // signature is checked (and their rate limit charged) before the
        // bytes go near the disk.
        let id = erkin_core::blob::BlobId::of(&body);
        let Some(upload) = upload else {
            return error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a blob upload needs an Erkin-Upload header: a member's signed note of the upload text (erkin's client sends it)",
            );
        };
        if let Err(r) = self.check_upload(&upload, &id) {
            return *r;
        }
        match self.sequencer.put_blob(body).await {
            Ok(id) => json_response(StatusCode::OK, &json!({"id": id.to_string()})),
            Err(e) => submit_error(e),
        }
    }
}

/// Shared between the HTTP side and `serve` for the drain at shutdown.
pub type SharedApi = Arc<Api>;
