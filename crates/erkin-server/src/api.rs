//! The members' API: signed entries and blobs in, receipts out.
//!
//! Members sign on their own machines; the server only ever sees signed
//! entries, never a member's secret key. Every answer is JSON. Mistakes get
//! a 4xx with a stable `code` and a message naming the cause; nothing a
//! client sends can make the server panic or answer 500.
//!
//! - `POST /api/v1/entries` — body: one signed entry (the note's bytes).
//!   200: `{index, checkpoint, inclusion_proof, leaf_hash}` once durable.
//! - `POST /api/v1/blobs` — body: the blob's bytes; header `Erkin-Upload`:
//!   a member's signed note vouching for exactly that blob. 200: `{id}` once
//!   durable. Upload blobs before the entry that names them; a blob no entry
//!   names is not served, and is deleted after a grace period.
//!
//! Budgets, so that nobody without a key can take the server down (see
//! docs/SECURITY.md):
//! - an upload is authenticated from its header *before* a byte of its body
//!   is read, and the blob it vouches for is named there, so the body is
//!   only ever read for a member, for a blob they signed for;
//! - bodies being read by all uploads together hold at most
//!   [`ApiLimits::upload_budget`] bytes; past it, 503 with `Retry-After`;
//! - a member's rate limit is charged only for an authenticated entry the
//!   log does not already hold: replaying a member's logged entries (they
//!   are public) is refused as `duplicate` without touching their allowance.
//!
//! - `POST /api/v1/ballots` — body: a secret ballot, an age file to the
//!   ballot box (docs/BALLOT.md §8, §9), on this listener and the tips
//!   listener. No session: no cookie is read or set, nothing identifies the
//!   sender. A body that decrypts and names its one-time reply recipient
//!   is always answered 200 `application/octet-stream`: an age file to
//!   that recipient of a fixed-length answer (the log key's
//!   `BallotReceipt` once it is held durably, or the refusal with its code
//!   and `held_seq`), so neither status nor size tells a TLS interceptor,
//!   or someone replaying a captured body, what became of the ballot.
//!   Bodies that do not decrypt, too large, rate limited or busy are
//!   answered in clear (they carry nothing of a ballot). Its budget: a body of at most [`MAX_BALLOT_BODY_LEN`] bytes, and a
//!   global token bucket of refused proofs ([`ApiLimits::ballot_proof_rate`]):
//!   a proof costs milliseconds to check, and nobody is charged per member
//!   (there is no member), so while the bucket is empty every ballot is
//!   answered 429 before it is decrypted.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use erkin_core::api::{
    ApiError, BallotAnswer, BlobReceipt, EntryReceipt, ErrorDocument, UPLOAD_HEADER,
};
use erkin_core::blob::BlobId;
use erkin_core::entry::EntryError;
use erkin_core::keys::VerifierKey;
use erkin_core::note::ParsedNote;
use erkin_core::state::Rejection;
use erkin_core::tiles::MAX_ENTRY_LEN;
use http_body_util::BodyExt as _;
use tokio::sync::Semaphore;

use erkin_store::{BallotRefusal, MAX_BALLOT_BODY_LEN};

use crate::sequencer::{BallotSubmitError, Sequencer, SubmitError};

#[derive(Debug, Clone)]
pub struct ApiLimits {
    /// Sustained submissions per second per signing key (0: no limit).
    pub per_key_rate: f64,
    /// Submissions a key may make at once before the rate applies.
    pub per_key_burst: f64,
    /// The longest a request body may take to arrive.
    pub body_timeout: Duration,
    pub max_blob_len: u64,
    /// The most bytes all uploads being received may hold together.
    pub upload_budget: u64,
    /// Secret ballots whose proof was checked and refused, per second,
    /// sustained, for all senders together (0: no limit): each costs a
    /// Groth16 verification (some 3 to 5 ms).
    pub ballot_proof_rate: f64,
    /// Refused proofs taken at once before the rate applies.
    pub ballot_proof_burst: f64,
}

impl Default for ApiLimits {
    fn default() -> Self {
        Self {
            per_key_rate: 50.0,
            per_key_burst: 200.0,
            body_timeout: Duration::from_secs(30),
            max_blob_len: erkin_core::blob::DEFAULT_MAX_BLOB_LEN,
            upload_budget: 4 * erkin_core::blob::DEFAULT_MAX_BLOB_LEN,
            ballot_proof_rate: 2.0,
            ballot_proof_burst: 100.0,
        }
    }
}

/// The budget of refused secret-ballot proofs, for all senders together (a
/// token bucket: [`ApiLimits::ballot_proof_rate`] tokens a second, up to
/// [`ApiLimits::ballot_proof_burst`]). A ballot is let through while a
/// token is left; one whose proof was checked and refused takes one. No
/// address or sender is kept.
#[derive(Default)]
pub struct ProofBudget {
    bucket: Mutex<Option<(f64, Instant)>>,
}

impl ProofBudget {
    /// The tokens now, refilled for the time since the last look.
    fn refill(
        &self,
        limits: &ApiLimits,
    ) -> Option<std::sync::MutexGuard<'_, Option<(f64, Instant)>>> {
        let mut b = self.bucket.lock().ok()?;
        let now = Instant::now();
        let (tokens, at) = b.get_or_insert((limits.ballot_proof_burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * limits.ballot_proof_rate)
            .min(limits.ballot_proof_burst);
        *at = now;
        Some(b)
    }

    /// `Err(seconds)` to wait while the budget is spent.
    fn check(&self, limits: &ApiLimits) -> Result<(), u64> {
        if limits.ballot_proof_rate <= 0.0 {
            return Ok(());
        }
        match self.refill(limits) {
            Some(b) => match *b {
                Some((tokens, _)) if tokens < 1.0 => {
                    Err(((1.0 - tokens) / limits.ballot_proof_rate).ceil().max(1.0) as u64)
                }
                _ => Ok(()),
            },
            None => Err(1),
        }
    }

    /// A refused proof: one token.
    fn spend(&self, limits: &ApiLimits) {
        if limits.ballot_proof_rate <= 0.0 {
            return;
        }
        if let Some(mut b) = self.refill(limits) {
            if let Some((tokens, _)) = b.as_mut() {
                *tokens = (*tokens - 1.0).max(0.0);
            }
        }
    }
}

/// Bytes reserved from the upload budget are counted in KiB permits.
const BUDGET_UNIT: u64 = 1024;

/// The upload budget: permits of [`BUDGET_UNIT`] bytes.
pub fn upload_budget(limits: &ApiLimits) -> Semaphore {
    let units = (limits.upload_budget / BUDGET_UNIT).clamp(1, Semaphore::MAX_PERMITS as u64);
    Semaphore::new(units as usize)
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

/// A JSON error: an [`ErrorDocument`], `{"error": {"code", "message"}}`.
pub fn error(status: StatusCode, code: &str, message: impl std::fmt::Display) -> Response<Body> {
    let body = ErrorDocument {
        error: ApiError::new(code, message),
    };
    json_response(status, &body)
}

/// One of the API's documents (`erkin_core::api`), as the response.
fn json_response(status: StatusCode, document: &impl serde::Serialize) -> Response<Body> {
    let mut bytes = serde_json::to_vec(document).unwrap_or_default();
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

/// The bytes a request body declares, if it declares them.
fn declared_len(req: &Request<Body>) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
}

fn too_large(max: u64) -> Response<Body> {
    error(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("the body is larger than the {max} bytes allowed here"),
    )
}

/// Reads a request body of at most `max` bytes within the time limit, a
/// frame at a time: a body over the limit is refused at the first byte
/// past it (413), a body that stops arriving at the deadline (408), and a
/// body that is not valid HTTP — bad chunked encoding, a connection that
/// broke — as `bad_body` (400), never as too large.
async fn read_body(
    req: Request<Body>,
    max: u64,
    timeout: Duration,
) -> Result<Vec<u8>, Response<Body>> {
    let declared = declared_len(&req);
    if declared.is_some_and(|n| n > max) {
        return Err(too_large(max));
    }
    let mut body = req.into_body();
    // The declared length is trusted only up to the limit.
    let mut bytes =
        Vec::with_capacity(usize::try_from(declared.unwrap_or(0).min(max)).unwrap_or(0));
    let read = async {
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                error(
                    StatusCode::BAD_REQUEST,
                    "bad_body",
                    format!("the body could not be read: {e}"),
                )
            })?;
            if let Ok(data) = frame.into_data() {
                if (bytes.len() + data.len()) as u64 > max {
                    return Err(too_large(max));
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(())
    };
    match tokio::time::timeout(timeout, read).await {
        Err(_) => Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            format!("the body did not arrive within {} s", timeout.as_secs()),
        )),
        Ok(Err(r)) => Err(r),
        Ok(Ok(())) => Ok(bytes),
    }
}

/// The fold's refusal as the API sends it: with the views' sentence for
/// it in each language, where they have one (the election refusals).
fn rejected(r: &erkin_core::rejection::Rejection) -> ApiError {
    let mut e = ApiError::rejected(r);
    for lang in ["kk", "ru", "en"] {
        if let Some(said) = erkin_views::i18n::words(lang).election_refusal(r) {
            e.said.insert(lang.to_string(), said);
        }
    }
    e
}

fn submit_error(e: SubmitError) -> Response<Body> {
    match e {
        SubmitError::Rejected(r) => json_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ErrorDocument {
                error: rejected(&r),
            },
        ),
        SubmitError::Redacted(_) => error(StatusCode::GONE, "redacted", &e),
        SubmitError::BadBlob(_) => error(StatusCode::PAYLOAD_TOO_LARGE, "too_large", &e),
        SubmitError::PendingFull { .. } => {
            let mut r = error(StatusCode::INSUFFICIENT_STORAGE, "pending_full", &e);
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
            r
        }
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

/// A secret ballot refused before any reply recipient was read, or not
/// taken at all, as the API sends it in clear (docs/FORMATS.md, "Secret
/// ballots"): 400 `bad_body`, 503 `no_ballot_box`, `busy`,
/// `shutting_down`.
fn ballot_error(e: BallotSubmitError) -> Response<Body> {
    let unavailable = |code: &str, e: &dyn std::fmt::Display, wait: &'static str| {
        let mut r = error(StatusCode::SERVICE_UNAVAILABLE, code, e);
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static(wait));
        r
    };
    match e {
        BallotSubmitError::Refused(BallotRefusal::Publication(e)) => {
            unavailable("storage", &storage_failed(&e), "1")
        }
        BallotSubmitError::Refused(refusal) => error(StatusCode::BAD_REQUEST, "bad_body", &refusal),
        BallotSubmitError::NoBallotBox => {
            error(StatusCode::SERVICE_UNAVAILABLE, "no_ballot_box", &e)
        }
        BallotSubmitError::Busy => unavailable("busy", &e, "1"),
        BallotSubmitError::ShuttingDown => unavailable("shutting_down", &e, "5"),
    }
}

/// What an anonymous ballot's sender is told when the store failed (review
/// finding 10): a fixed sentence. The detail — the database's error and
/// its path, never anything of the ballot — goes to the server's output.
fn storage_failed(e: &erkin_store::PublicationError) -> &'static str {
    eprintln!("erkin serve: a secret ballot could not be stored: {e}");
    STORAGE_FAILED
}

const STORAGE_FAILED: &str = "the server could not store the ballot: try again later";

/// A refused secret ballot as its reply recipient reads it (inside the
/// encrypted answer): the fold's codes (and `voting_ended`, with
/// `times`), `bad_ballot`, `stale_ballot` with `held_seq`,
/// `revote_too_soon` with `times` (the sequencer's clock, then when to send
/// it again), `storage`.
fn ballot_refusal(refusal: &BallotRefusal) -> ErrorDocument {
    let code = refusal.code();
    let error = match refusal {
        BallotRefusal::Rejected(r) => rejected(r),
        BallotRefusal::StaleBallot { held_seq } => {
            let mut doc = ApiError::new(code, refusal);
            doc.held_seq = Some(*held_seq);
            doc
        }
        // The sender is anonymous: no SQLite message, no path.
        BallotRefusal::Publication(e) => ApiError::new(code, storage_failed(e)),
        BallotRefusal::RevoteTooSoon { now, retry_at } => {
            let mut doc = ApiError::new(code, refusal);
            doc.times = Some(erkin_core::rejection::RefusalTimes {
                time: *now,
                reference: *retry_at,
            });
            doc
        }
        _ => ApiError::new(code, refusal),
    };
    ErrorDocument { error }
}

/// The answer to a body that decrypted: 200, `application/octet-stream`,
/// an age file to its reply recipient of the fixed-length answer.
fn ballot_answer(taken: erkin_store::Taken) -> Response<Body> {
    let answer = match &taken.outcome {
        Ok(receipt) => BallotAnswer::Receipt(receipt.clone()),
        Err(refusal) => BallotAnswer::Refused(ballot_refusal(refusal)),
    };
    let Ok(bytes) = erkin_store::seal_answer(&answer, &taken.reply) else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage",
            "the answer could not be encrypted; retry shortly",
        );
    };
    let mut r = Response::new(Body::from(bytes));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The members' verifier keys by handle, as of the last committed batch.
pub type MemberKeys = Arc<RwLock<HashMap<String, VerifierKey>>>;

pub struct Api {
    pub sequencer: Sequencer,
    pub limits: ApiLimits,
    pub rate: RateLimiter,
    pub members: MemberKeys,
    /// The leaf hashes of the entries in the log, so a replay is refused
    /// before it is charged to anyone or queued. Filled from the state at
    /// start and by every receipt; the fold still refuses any it misses.
    pub logged: RwLock<HashSet<[u8; 32]>>,
    /// Permits of [`BUDGET_UNIT`] bytes for bodies of uploads being read.
    pub uploads: Semaphore,
    /// A read-only view of the store, to see which blobs are already here.
    pub store: Mutex<erkin_store::Store>,
    /// The publication's origin, which upload notes must name.
    pub origin: String,
    /// Refused secret-ballot proofs (CPU), for all senders together.
    pub proofs: ProofBudget,
}

/// Reserved upload bytes, returned when the upload is done with.
type Reservation<'a> = tokio::sync::SemaphorePermit<'a>;

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

    /// Checks an `Erkin-Upload` header — a member's signed note vouching
    /// for one blob of this publication — and returns the blob and the
    /// member. Nothing of the body has been read when this runs.
    fn check_upload(&self, header_value: &str) -> Result<(BlobId, String), Box<Response<Body>>> {
        use base64::Engine as _;
        let unauthorized =
            |why: String| Box::new(error(StatusCode::UNAUTHORIZED, "unauthorized", why));
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(header_value.trim())
            .map_err(|_| unauthorized("Erkin-Upload is not base64".into()))?;
        let note = ParsedNote::parse(&bytes, 4096)
            .map_err(|e| unauthorized(format!("Erkin-Upload is not a signed note: {e}")))?;
        let id =
            erkin_core::blob::parse_upload_text(&self.origin, note.text()).ok_or_else(|| {
                unauthorized(format!(
                    "Erkin-Upload does not vouch for a blob of {}",
                    self.origin
                ))
            })?;
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
        Ok((id, signer))
    }

    /// Whether the blob is stored already (one indexed lookup).
    fn has_blob(&self, id: &BlobId) -> bool {
        // Each query reads what is committed now; nothing to refresh.
        let store = self.store.lock().unwrap_or_else(|p| p.into_inner());
        store.has_blob(id).unwrap_or(false)
    }

    /// Reserves `len` bytes of the upload budget, or answers 503: uploads
    /// already being received hold as much memory as the server gives them.
    fn reserve(&self, len: u64) -> Result<Reservation<'_>, Box<Response<Body>>> {
        let units = len.div_ceil(BUDGET_UNIT).max(1);
        let units = u32::try_from(units).unwrap_or(u32::MAX);
        self.uploads.try_acquire_many(units).map_err(|_| {
            let mut r = error(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "the server is receiving as many uploads as it takes at once; retry shortly",
            );
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("2"));
            Box::new(r)
        })
    }

    /// `POST /api/v1/entries`.
    pub async fn post_entry(&self, req: Request<Body>) -> Response<Body> {
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
        // A replay of a logged entry (anyone can copy them from the log) is
        // refused here, before it costs the member anything.
        let leaf = erkin_core::tree::record_hash(&body);
        if self.logged.read().is_ok_and(|l| l.contains(&leaf.0)) {
            let r = Rejection::Duplicate;
            return error(StatusCode::UNPROCESSABLE_ENTITY, r.code(), &r);
        }
        if let Err(r) = self.charge(&signer) {
            return *r;
        }
        let result = self.sequencer.submit(body).await;
        if result.is_ok() {
            if let Ok(mut l) = self.logged.write() {
                l.insert(leaf.0);
            }
        }
        match result {
            Ok(receipt) => json_response(
                StatusCode::OK,
                &EntryReceipt {
                    index: receipt.index,
                    checkpoint: String::from_utf8_lossy(&receipt.checkpoint).into_owned(),
                    inclusion_proof: receipt.proof,
                    leaf_hash: leaf,
                },
            ),
            Err(e) => submit_error(e),
        }
    }

    /// `POST /api/v1/ballots` (docs/BALLOT.md §8): no session and nothing
    /// read of the request but its body (no cookie, no header); the answer
    /// sets no cookie and is never cached.
    pub async fn post_ballot(&self, req: Request<Body>) -> Response<Body> {
        if let Err(wait) = self.proofs.check(&self.limits) {
            let mut r = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!("too many refused ballots lately; retry in {wait} s"),
            );
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                r.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return r;
        }
        let body = match read_body(req, MAX_BALLOT_BODY_LEN as u64, self.limits.body_timeout).await
        {
            Ok(b) => b,
            Err(r) => return r,
        };
        let mut r = match self.sequencer.submit_ballot(body).await {
            Ok(taken) => {
                if matches!(&taken.outcome, Err(r) if r.spent_proof()) {
                    self.proofs.spend(&self.limits);
                }
                ballot_answer(taken)
            }
            Err(e) => ballot_error(e),
        };
        r.headers_mut().remove(header::SET_COOKIE);
        r
    }

    /// `POST /api/v1/blobs`.
    pub async fn post_blob(&self, req: Request<Body>) -> Response<Body> {
        // Only a member may upload, and only the blob they signed for: all
        // of that is settled from the header before the body is touched.
        let Some(upload) = req
            .headers()
            .get(UPLOAD_HEADER)
            .and_then(|v| v.to_str().ok())
        else {
            return error(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a blob upload needs an Erkin-Upload header: a member's signed note of the upload text (erkin's client sends it)",
            );
        };
        let (id, signer) = match self.check_upload(upload) {
            Ok(ok) => ok,
            Err(r) => return *r,
        };
        let max = self.limits.max_blob_len;
        let declared = declared_len(&req);
        if declared.is_some_and(|n| n > max) {
            return too_large(max);
        }
        // Already here (and so not a redacted one): nothing to read or store.
        if self.has_blob(&id) {
            return json_response(StatusCode::OK, &BlobReceipt { id });
        }
        // Memory first (held until the blob is stored), then the member's
        // allowance: a busy server does not spend it.
        let len = declared.unwrap_or(max);
        let _reserved = match self.reserve(len) {
            Ok(r) => r,
            Err(r) => return *r,
        };
        if let Err(r) = self.charge(&signer) {
            return *r;
        }
        let body = match read_body(req, len, self.limits.body_timeout).await {
            Ok(b) => b,
            Err(r) => return r,
        };
        if let Err(e) = id.check(&body) {
            return error(StatusCode::BAD_REQUEST, "blob_mismatch", e);
        }
        match self.sequencer.put_blob(body).await {
            Ok(id) => json_response(StatusCode::OK, &BlobReceipt { id }),
            Err(e) => submit_error(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review finding 10: a storage failure reaches an anonymous sender as
    /// `storage` and a fixed sentence, in the encrypted answer and in
    /// clear alike, without the database's path or error.
    #[test]
    fn a_storage_failure_tells_a_ballot_sender_no_path() {
        let path = "/srv/newsroom/data/erkin.sqlite";
        let failure = || {
            BallotRefusal::Publication(
                erkin_store::StoreError::Corrupt {
                    path: path.into(),
                    reason: "disk I/O error in held_ballots".into(),
                }
                .into(),
            )
        };
        // The error itself names the path (what the server's output gets).
        assert!(failure().to_string().contains(path));
        let doc = ballot_refusal(&failure());
        assert_eq!(doc.error.code, "storage");
        assert_eq!(doc.error.message, STORAGE_FAILED);
        let body = serde_json::to_string(&doc).unwrap();
        for leak in [path, "erkin.sqlite", "/srv", "held_ballots", "I/O"] {
            assert!(!body.contains(leak), "{leak} in {body}");
        }
        let r = ballot_error(BallotSubmitError::Refused(failure()));
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(axum::body::to_bytes(r.into_body(), 64 * 1024))
            .unwrap();
        let clear: ErrorDocument = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(
            (clear.error.code.as_str(), clear.error.message.as_str()),
            ("storage", STORAGE_FAILED)
        );
        let body = String::from_utf8_lossy(&bytes);
        for leak in [path, "erkin.sqlite", "/srv", "held_ballots", "I/O"] {
            assert!(!body.contains(leak), "{leak} in {body}");
        }
    }
}
