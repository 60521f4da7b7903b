//! The members' desk (`/desk/`): the browser application's files, embedded
//! in the binary, and its private API — sign-in by a challenge signed with
//! the member's key, private drafts, previews, messages and proposals.
//!
//! Served only by the sequencing server (`erkin serve --sequence`). The
//! desk never receives a secret key: entries are signed in the browser and
//! go to the members' API (`/api/v1/entries`) like the CLI's.
//!
//! Budgets, so nobody without a key can exhaust the server:
//! - a challenge costs no memory: it carries its own expiry and an HMAC
//!   under a key made at start; only an answer signed by a member's key
//!   records its nonce (single use), and only until it expires;
//! - sessions are made only for members: at most [`MAX_SESSIONS_PER_MEMBER`]
//!   each (the oldest goes) and [`MAX_SESSIONS`] in all;
//! - a session is checked against the members' keys on every request, so a
//!   removed member (or a rotated key) loses access at once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Response, StatusCode};
use axum::routing::{get, post};
use axum::Router;
use erkin_core::api::{
    ApiError, DeskChallenge, DeskCount, DeskMessages, DeskNomination, DeskProposal, DeskProposals,
    DeskSession, DeskStage, DraftFields, DraftList, ErrorDocument, PreviewDocument, PreviewRequest,
    DESK_CHALLENGE_FORMAT,
};
use erkin_core::note::ParsedNote;
use erkin_store::drafts::{DraftError, Drafts};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::api::MemberKeys;
use crate::sequencer::Clock;
use crate::{desk_i18n, Shared};

/// How long a challenge may be answered.
pub const CHALLENGE_SECS: u64 = 120;
/// How long a session lasts.
pub const SESSION_SECS: u64 = 12 * 3600;
pub const MAX_SESSIONS: usize = 4096;
pub const MAX_SESSIONS_PER_MEMBER: usize = 8;
/// Nonces of answered challenges kept (until they expire).
pub const MAX_USED_NONCES: usize = 8192;
/// The session cookie's name.
pub const COOKIE: &str = "erkin_desk";
/// Largest body the desk's API reads (a draft as JSON, with room).
const MAX_BODY: usize = erkin_store::drafts::MAX_DRAFT_LEN + 16 * 1024;

/// The desk's own policy: scripts only from the copy (no inline script, no
/// eval), requests only to this server, nothing framed, no forms posted away.
pub const DESK_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const INDEX_HTML: &[u8] = include_bytes!("../../../desk/dist/index.html");
const DESK_JS: &[u8] = include_bytes!("../../../desk/dist/desk.js");
const DESK_CSS: &[u8] = include_bytes!("../../../desk/dist/desk.css");

/// Why the desk refused; each is one stable API code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    #[error("not signed in, or the session expired")]
    NoSession,
    #[error("the challenge was not made by this server, or its answer is malformed")]
    BadChallenge,
    #[error("the challenge expired; ask for a new one")]
    ChallengeExpired,
    #[error("the challenge was already answered")]
    ChallengeUsed,
    #[error("the signature does not verify")]
    BadSignature,
    #[error("the key is not a current member's")]
    NotAMember,
    #[error("the server holds as many sign-ins as it takes; try again shortly")]
    Busy,
    #[error("no such draft here")]
    NotFound,
    #[error("only the draft's writer, or an editor once it is handed off, may change it")]
    Forbidden,
    #[error("the request is malformed")]
    Malformed,
    #[error("the body is too large")]
    TooLarge,
    #[error("the drafts file could not be used")]
    Storage,
    #[error("a request from another site")]
    CrossSite,
}

impl DeskError {
    pub fn code(self) -> &'static str {
        match self {
            DeskError::NoSession => "no_session",
            DeskError::BadChallenge => "bad_challenge",
            DeskError::ChallengeExpired => "challenge_expired",
            DeskError::ChallengeUsed => "challenge_used",
            DeskError::BadSignature => "bad_signature",
            DeskError::NotAMember => "not_a_member",
            DeskError::Busy => "busy",
            DeskError::NotFound => "not_found",
            DeskError::Forbidden => "forbidden",
            DeskError::Malformed => "malformed",
            DeskError::TooLarge => "too_large",
            DeskError::Storage => "storage",
            DeskError::CrossSite => "cross_site",
        }
    }

    fn status(self) -> StatusCode {
        match self {
            DeskError::NoSession
            | DeskError::BadChallenge
            | DeskError::ChallengeExpired
            | DeskError::ChallengeUsed
            | DeskError::BadSignature
            | DeskError::NotAMember => StatusCode::UNAUTHORIZED,
            DeskError::Busy | DeskError::Storage => StatusCode::SERVICE_UNAVAILABLE,
            DeskError::NotFound => StatusCode::NOT_FOUND,
            DeskError::Forbidden | DeskError::CrossSite => StatusCode::FORBIDDEN,
            DeskError::Malformed => StatusCode::BAD_REQUEST,
            DeskError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }
}

#[derive(Clone)]
struct Session {
    handle: String,
    key: String,
    created: u64,
    expires_at: u64,
}

/// Sign-in: challenges and sessions (no I/O, the time passed in).
pub struct Gate {
    origin: String,
    mac_key: [u8; 32],
    used: Mutex<HashMap<String, u64>>,
    sessions: Mutex<HashMap<[u8; 32], Session>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Gate {
    pub fn new(origin: &str, mac_key: [u8; 32]) -> Self {
        Self {
            origin: origin.to_string(),
            mac_key,
            used: Mutex::default(),
            sessions: Mutex::default(),
        }
    }

    fn mac(&self, expires_at: u64, nonce: &str) -> Hmac<Sha256> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.mac_key).expect("any key length");
        m.update(format!("{}\n{expires_at}\n{nonce}", self.origin).as_bytes());
        m
    }

    /// A new challenge, answerable until `now + CHALLENGE_SECS`.
    pub fn challenge(&self, now: u64, nonce: [u8; 16]) -> DeskChallenge {
        let expires_at = now + CHALLENGE_SECS;
        let nonce = hex::encode(nonce);
        let mac = hex::encode(self.mac(expires_at, &nonce).finalize().into_bytes());
        DeskChallenge {
            text: format!(
                "{DESK_CHALLENGE_FORMAT}\n{}\n{expires_at}\n{nonce}\n{mac}\n",
                self.origin
            ),
            expires_at,
        }
    }

    /// Checks a signed answer and opens a session; returns the session's
    /// token (for the cookie) and what it is.
    pub fn answer(
        &self,
        note: &[u8],
        members: &MemberKeys,
        now: u64,
        token: [u8; 32],
    ) -> Result<(String, DeskSession), DeskError> {
        let note = ParsedNote::parse(note, 4096).map_err(|_| DeskError::BadChallenge)?;
        let text = note.text();
        let lines: Vec<&str> = text
            .strip_suffix('\n')
            .unwrap_or(text)
            .split('\n')
            .collect();
        let [format, origin, expires, nonce, mac] = lines[..] else {
            return Err(DeskError::BadChallenge);
        };
        if format != DESK_CHALLENGE_FORMAT || origin != self.origin || note.signature_count() != 1 {
            return Err(DeskError::BadChallenge);
        }
        let expires_at: u64 = expires.parse().map_err(|_| DeskError::BadChallenge)?;
        let mac = hex::decode(mac).map_err(|_| DeskError::BadChallenge)?;
        self.mac(expires_at, nonce)
            .verify_slice(&mac)
            .map_err(|_| DeskError::BadChallenge)?;
        if now > expires_at {
            return Err(DeskError::ChallengeExpired);
        }
        let (signer, key_id) = note.signers().next().ok_or(DeskError::BadChallenge)?;
        let key = members
            .read()
            .ok()
            .and_then(|m| m.get(signer).cloned())
            .filter(|k| k.key_id() == key_id)
            .ok_or(DeskError::NotAMember)?;
        note.verify_by(&key).map_err(|_| DeskError::BadSignature)?;
        {
            let mut used = lock(&self.used);
            if used.contains_key(nonce) {
                return Err(DeskError::ChallengeUsed);
            }
            if used.len() >= MAX_USED_NONCES {
                used.retain(|_, exp| *exp >= now);
                if used.len() >= MAX_USED_NONCES {
                    return Err(DeskError::Busy);
                }
            }
            used.insert(nonce.to_string(), expires_at);
        }
        let session = Session {
            handle: key.name().to_string(),
            key: key.to_string(),
            created: now,
            expires_at: now + SESSION_SECS,
        };
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, s| s.expires_at >= now);
        let mine: Vec<([u8; 32], u64)> = sessions
            .iter()
            .filter(|(_, s)| s.handle == session.handle)
            .map(|(k, s)| (*k, s.created))
            .collect();
        if mine.len() >= MAX_SESSIONS_PER_MEMBER {
            if let Some((oldest, _)) = mine.iter().min_by_key(|(_, c)| *c) {
                sessions.remove(oldest);
            }
        }
        if sessions.len() >= MAX_SESSIONS {
            return Err(DeskError::Busy);
        }
        let doc = DeskSession {
            handle: session.handle.clone(),
            key: session.key.clone(),
            editor: false,
            expires_at: session.expires_at,
            now,
        };
        sessions.insert(Sha256::digest(token).into(), session);
        Ok((hex::encode(token), doc))
    }

    /// The session a cookie's token names, if it is live and its key is
    /// still a current member's.
    pub fn check(
        &self,
        token_hex: &str,
        members: &MemberKeys,
        now: u64,
    ) -> Result<DeskSession, DeskError> {
        let mut token = [0u8; 32];
        hex::decode_to_slice(token_hex, &mut token).map_err(|_| DeskError::NoSession)?;
        let id: [u8; 32] = Sha256::digest(token).into();
        let mut sessions = lock(&self.sessions);
        let s = sessions.get(&id).cloned().ok_or(DeskError::NoSession)?;
        if s.expires_at < now {
            sessions.remove(&id);
            return Err(DeskError::NoSession);
        }
        let current = members
            .read()
            .ok()
            .and_then(|m| m.get(&s.handle).map(|k| k.to_string()));
        if current.as_deref() != Some(s.key.as_str()) {
            sessions.remove(&id);
            return Err(DeskError::NotAMember);
        }
        Ok(DeskSession {
            handle: s.handle,
            key: s.key,
            editor: false,
            expires_at: s.expires_at,
            now,
        })
    }

    pub fn sign_out(&self, token_hex: &str) {
        let mut token = [0u8; 32];
        if hex::decode_to_slice(token_hex, &mut token).is_ok() {
            let id: [u8; 32] = Sha256::digest(token).into();
            lock(&self.sessions).remove(&id);
        }
    }
}

/// The desk's state in the server.
pub(crate) struct Desk {
    pub gate: Gate,
    pub members: MemberKeys,
    /// Handles holding a board seat now.
    pub editors: Arc<RwLock<HashSet<String>>>,
    pub drafts: Mutex<Drafts>,
    /// The server's clock (the sequencer's): challenges, sessions and the
    /// time the desk tells the browser to date entries by.
    clock: Clock,
}

fn random<const N: usize>() -> [u8; N] {
    use rand_core::RngCore as _;
    let mut b = [0u8; N];
    rand_core::OsRng.fill_bytes(&mut b);
    b
}

impl Desk {
    pub fn new(
        dir: &std::path::Path,
        origin: &str,
        members: MemberKeys,
        editors: Arc<RwLock<HashSet<String>>>,
        clock: Clock,
    ) -> Result<Self, DraftError> {
        Ok(Self {
            gate: Gate::new(origin, random()),
            members,
            editors,
            drafts: Mutex::new(Drafts::open(dir)?),
            clock,
        })
    }

    fn now(&self) -> u64 {
        self.clock.now()
    }

    fn is_editor(&self, handle: &str) -> bool {
        self.editors.read().is_ok_and(|e| e.contains(handle))
    }

    fn session(&self, headers: &HeaderMap) -> Result<DeskSession, DeskError> {
        let token = cookie(headers).ok_or(DeskError::NoSession)?;
        let mut s = self.gate.check(&token, &self.members, self.now())?;
        s.editor = self.is_editor(&s.handle);
        Ok(s)
    }
}

/// The session token from the `Cookie` header.
fn cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

fn json(status: StatusCode, doc: &impl serde::Serialize) -> Response<Body> {
    let mut bytes = serde_json::to_vec(doc).unwrap_or_default();
    bytes.push(b'\n');
    let mut r = Response::new(Body::from(bytes));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(DESK_CSP),
    );
    r
}

fn refuse(e: DeskError) -> Response<Body> {
    json(
        e.status(),
        &ErrorDocument {
            error: ApiError::new(e.code(), e),
        },
    )
}

fn file(bytes: &'static [u8], content_type: &'static str) -> Response<Body> {
    let mut r = Response::new(Body::from(bytes));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        "content-security-policy",
        HeaderValue::from_static(DESK_CSP),
    );
    r
}

/// Refuses state-changing requests another site makes the browser send
/// (SameSite=Strict already keeps the cookie off them; this says so).
fn same_site(headers: &HeaderMap) -> Result<(), DeskError> {
    match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some("cross-site" | "same-site") => Err(DeskError::CrossSite),
        _ => Ok(()),
    }
}

async fn body(req: Request) -> Result<bytes::Bytes, DeskError> {
    axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|_| DeskError::TooLarge)
}

type S = State<Arc<Shared>>;

fn desk(shared: &Shared) -> &Desk {
    shared
        .desk
        .as_ref()
        .expect("the desk's routes are mounted only with a desk")
}

/// The desk's routes, mounted by `routes::router` when the server sequences.
pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/desk", get(|| async { redirect() }))
        .route(
            "/desk/",
            get(|| async { file(INDEX_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/desk/index.html",
            get(|| async { file(INDEX_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/desk/desk.js",
            get(|| async { file(DESK_JS, "text/javascript; charset=utf-8") }),
        )
        .route(
            "/desk/desk.css",
            get(|| async { file(DESK_CSS, "text/css; charset=utf-8") }),
        )
        .route("/desk/api/challenge", post(challenge))
        .route("/desk/api/session", post(open_session).get(get_session))
        .route("/desk/api/signout", post(sign_out))
        .route("/desk/api/drafts", get(list_drafts))
        .route("/desk/api/drafts/{id}", get(get_draft).put(put_draft))
        .route("/desk/api/drafts/{id}/handoff", post(hand_off))
        .route("/desk/api/preview", post(preview))
        .route("/desk/api/messages/{lang}", get(messages))
        .route("/desk/api/proposals/{lang}", get(proposals))
        .route("/desk/api/ballot-key", get(ballot_key))
}

fn redirect() -> Response<Body> {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::MOVED_PERMANENTLY;
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static("/desk/"));
    r
}

async fn challenge(State(shared): S, headers: HeaderMap) -> Response<Body> {
    if let Err(e) = same_site(&headers) {
        return refuse(e);
    }
    json(
        StatusCode::OK,
        &desk(&shared).gate.challenge(desk(&shared).now(), random()),
    )
}

async fn open_session(State(shared): S, req: Request) -> Response<Body> {
    let d = desk(&shared);
    if let Err(e) = same_site(req.headers()) {
        return refuse(e);
    }
    let secure = req
        .headers()
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes() == b"https");
    let note = match body(req).await {
        Ok(b) => b,
        Err(e) => return refuse(e),
    };
    match d.gate.answer(&note, &d.members, d.now(), random()) {
        Ok((token, mut doc)) => {
            doc.editor = d.is_editor(&doc.handle);
            let mut r = json(StatusCode::OK, &doc);
            let cookie = format!(
                "{COOKIE}={token}; Path=/desk/; Max-Age={SESSION_SECS}; HttpOnly; SameSite=Strict{}",
                if secure { "; Secure" } else { "" }
            );
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().insert(header::SET_COOKIE, v);
            }
            r
        }
        Err(e) => refuse(e),
    }
}

async fn get_session(State(shared): S, headers: HeaderMap) -> Response<Body> {
    match desk(&shared).session(&headers) {
        Ok(s) => json(StatusCode::OK, &s),
        Err(e) => refuse(e),
    }
}

async fn sign_out(State(shared): S, headers: HeaderMap) -> Response<Body> {
    if let Some(token) = cookie(&headers) {
        desk(&shared).gate.sign_out(&token);
    }
    let mut r = json(StatusCode::OK, &DraftList { drafts: vec![] });
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("erkin_desk=; Path=/desk/; Max-Age=0; HttpOnly; SameSite=Strict"),
    );
    r
}

fn draft_error(e: DraftError) -> DeskError {
    match e {
        DraftError::BadId => DeskError::NotFound,
        DraftError::TooLarge { .. } => DeskError::TooLarge,
        DraftError::TooMany => DeskError::Busy,
        DraftError::NotOwner => DeskError::Forbidden,
        _ => DeskError::Storage,
    }
}

async fn list_drafts(State(shared): S, headers: HeaderMap) -> Response<Body> {
    let d = desk(&shared);
    let s = match d.session(&headers) {
        Ok(s) => s,
        Err(e) => return refuse(e),
    };
    let s2 = shared.clone();
    let listed =
        tokio::task::spawn_blocking(move || lock(&desk(&s2).drafts).list(&s.handle, s.editor))
            .await;
    match listed {
        Ok(Ok(drafts)) => json(StatusCode::OK, &DraftList { drafts }),
        Ok(Err(e)) => refuse(draft_error(e)),
        Err(_) => refuse(DeskError::Storage),
    }
}

async fn get_draft(
    State(shared): S,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response<Body> {
    let d = desk(&shared);
    let s = match d.session(&headers) {
        Ok(s) => s,
        Err(e) => return refuse(e),
    };
    let s2 = shared.clone();
    let found = tokio::task::spawn_blocking(move || lock(&desk(&s2).drafts).get(&id)).await;
    match found {
        // Another member's draft is not there for you: the same answer
        // as a draft that does not exist.
        Ok(Ok(Some(draft))) if draft.owner == s.handle || (s.editor && draft.handed_off) => {
            json(StatusCode::OK, &draft)
        }
        Ok(Ok(_)) => refuse(DeskError::NotFound),
        Ok(Err(e)) => refuse(draft_error(e)),
        Err(_) => refuse(DeskError::Storage),
    }
}

async fn put_draft(State(shared): S, UrlPath(id): UrlPath<String>, req: Request) -> Response<Body> {
    let d = desk(&shared);
    if let Err(e) = same_site(req.headers()) {
        return refuse(e);
    }
    let s = match d.session(req.headers()) {
        Ok(s) => s,
        Err(e) => return refuse(e),
    };
    let bytes = match body(req).await {
        Ok(b) => b,
        Err(e) => return refuse(e),
    };
    let Ok(fields) = serde_json::from_slice::<DraftFields>(&bytes) else {
        return refuse(DeskError::Malformed);
    };
    let s2 = shared.clone();
    let at = d.now();
    let saved = tokio::task::spawn_blocking(move || {
        lock(&desk(&s2).drafts).save(&id, &s.handle, &fields, at, s.editor)
    })
    .await;
    match saved {
        Ok(Ok(doc)) => json(StatusCode::OK, &doc),
        Ok(Err(e)) => refuse(draft_error(e)),
        Err(_) => refuse(DeskError::Storage),
    }
}

async fn hand_off(
    State(shared): S,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
) -> Response<Body> {
    let d = desk(&shared);
    if let Err(e) = same_site(&headers) {
        return refuse(e);
    }
    let s = match d.session(&headers) {
        Ok(s) => s,
        Err(e) => return refuse(e),
    };
    let s2 = shared.clone();
    let done = tokio::task::spawn_blocking(move || {
        let mut drafts = lock(&desk(&s2).drafts);
        drafts.hand_off(&id, &s.handle)?;
        drafts.get(&id)
    })
    .await;
    match done {
        Ok(Ok(Some(doc))) => json(StatusCode::OK, &doc),
        Ok(Ok(None)) => refuse(DeskError::NotFound),
        Ok(Err(e)) => refuse(draft_error(e)),
        Err(_) => refuse(DeskError::Storage),
    }
}

async fn preview(State(shared): S, req: Request) -> Response<Body> {
    let d = desk(&shared);
    if let Err(e) = d.session(req.headers()) {
        return refuse(e);
    }
    let bytes = match body(req).await {
        Ok(b) => b,
        Err(e) => return refuse(e),
    };
    let Ok(asked) = serde_json::from_slice::<PreviewRequest>(&bytes) else {
        return refuse(DeskError::Malformed);
    };
    let rendered =
        tokio::task::spawn_blocking(move || erkin_views::markdown::render(&asked.markdown, "/").0)
            .await;
    match rendered {
        Ok(html) => json(StatusCode::OK, &PreviewDocument { html }),
        Err(_) => refuse(DeskError::Malformed),
    }
}

async fn messages(UrlPath(lang): UrlPath<String>) -> Response<Body> {
    match desk_i18n::messages(&lang) {
        Some(messages) => json(StatusCode::OK, &DeskMessages { lang, messages }),
        None => refuse(DeskError::NotFound),
    }
}

async fn proposals(State(shared): S, UrlPath(lang): UrlPath<String>) -> Response<Body> {
    if !["kk", "ru", "en"].contains(&lang.as_str()) {
        return refuse(DeskError::NotFound);
    }
    // Off the async threads: a re-render holds the state for a while.
    let s = shared.clone();
    let read = tokio::task::spawn_blocking(move || {
        let g = s.state.lock().ok()?;
        let state = g.state()?;
        Some((crate::api_docs::proposals(state), state.size()))
    })
    .await;
    let Ok(Some((proposals, log_size))) = read else {
        return refuse(DeskError::Busy);
    };
    let w = erkin_views::i18n::words(&lang);
    let proposals = proposals
        .into_iter()
        .map(|p| {
            let count = |b: erkin_core::action::Ballot| {
                p.votes.values().filter(|v| **v == b).count() as u64
            };
            let tally = match &p.outcome {
                Some(o) => o.tally,
                None => erkin_core::charter::Tally {
                    yes: count(erkin_core::action::Ballot::Yes),
                    no: count(erkin_core::action::Ballot::No),
                    abstain: count(erkin_core::action::Ballot::Abstain),
                    eligible: p.electorate.len() as u64,
                },
            };
            // A secret vote has no count while it is open (none exists in
            // the log: "0 of N" would be false) and names no voter; once
            // closed, its count and the turnout, as the proposal's page.
            let tally = if p.rule.secret() {
                let sw = erkin_views::site_words::site_words(&lang);
                match p.outcome.as_ref().and_then(|o| o.secret.as_ref()) {
                    Some(s) => format!(
                        "{} · {}",
                        w.tally(&tally),
                        sw.secret_turnout(s.turnout, p.electorate.len() as u64)
                    ),
                    None => sw.secret_ballots_at_close.to_string(),
                }
            } else {
                w.tally(&tally)
            };
            let count = election_count(&p, &lang);
            let nominations = p
                .nominations
                .iter()
                .map(|(handle, n)| DeskNomination {
                    handle: handle.clone(),
                    by: n.by.clone(),
                    consented: n.consented,
                })
                .collect();
            // Who can be ranked: the nominees who consented to stand.
            let candidates: Vec<String> = p
                .nominations
                .iter()
                .filter(|(_, n)| n.consented)
                .map(|(h, _)| h.clone())
                .collect();
            let election = p.motion.election();
            DeskProposal {
                id: p.id,
                title: p.title,
                proposer: p.proposer,
                kind: p.motion.kind().to_string(),
                motion: w.motion(&p.motion),
                closes_at: p.closes_at,
                open: p.outcome.is_none(),
                tally,
                outcome: p.outcome.as_ref().map(|o| w.effect(&o.effect)),
                electorate: p.electorate.into_iter().collect(),
                votes: p.votes,
                candidates,
                seats: election.map(|(seats, _)| seats),
                nominations_close: election.map(|(_, close)| close),
                nominations,
                count,
            }
        })
        .collect();
    json(
        StatusCode::OK,
        &DeskProposals {
            log_size,
            proposals,
        },
    )
}

/// `desk/api/ballot-key`: the signed-in member's registered ballot key
/// (docs/BALLOT.md §5.1; public, as it is in their `ballot_key` entry), or
/// null, so the desk can say whether they can cast secret ballots in
/// proposals made from now on.
#[derive(serde::Serialize)]
struct DeskBallotKey {
    commitment: Option<String>,
}

async fn ballot_key(State(shared): S, headers: HeaderMap) -> Response<Body> {
    let s = match desk(&shared).session(&headers) {
        Ok(s) => s,
        Err(e) => return refuse(e),
    };
    let state = shared.clone();
    let read = tokio::task::spawn_blocking(move || {
        let g = state.state.lock().ok()?;
        let st = g.state()?;
        Some(st.ballot_keys().get(&s.handle).map(|k| k.to_hex()))
    })
    .await;
    match read {
        Ok(Some(commitment)) => json(StatusCode::OK, &DeskBallotKey { commitment }),
        _ => refuse(DeskError::Busy),
    }
}

/// A closed election's STV count, stage by stage, in words: the same count
/// as the fold's (`erkin_core::stv::count` over the counted members'
/// ranked ballots, the candidates as they stood, the proposal's seed) and
/// as the reader site's proposal page.
fn election_count(p: &erkin_core::api::ProposalDocument, lang: &str) -> Option<DeskCount> {
    use erkin_core::action::{Ballot, REOPEN_NOMINATIONS};
    use erkin_core::stv::{self, StageKind};
    let (seats, _) = p.motion.election()?;
    let o = p.outcome.as_ref()?;
    if p.standing.is_empty() {
        return None;
    }
    // A secret election's rankings are its counted ballots (nobody knows
    // whose), as the fold counts them; an open one's, the counted members'.
    let rankings: Vec<&Vec<String>> = match &p.secret {
        Some(s) => s
            .counted()
            .into_iter()
            .filter_map(|b| match &b.choice {
                Ballot::Ranked(r) => Some(r),
                _ => None,
            })
            .collect(),
        None => o
            .counted
            .iter()
            .filter_map(|h| match p.votes.get(h) {
                Some(Ballot::Ranked(r)) => Some(r),
                _ => None,
            })
            .collect(),
    };
    let ballots = rankings
        .into_iter()
        .map(|r| stv::Ballot {
            weight: 1,
            ranking: r
                .iter()
                .filter_map(|c| p.standing.iter().position(|s| s == c))
                .collect(),
        })
        .collect();
    let e = stv::Election {
        seats: seats as usize,
        candidates: p.standing.clone(),
        ballots,
        seed: p.seed,
    };
    let c = stv::count(&e).ok()?;
    let sw = erkin_views::site_words::site_words(lang);
    let ron = erkin_views::i18n::words(lang).reopen_nominations();
    let name = |i: usize| -> String {
        match e.candidates.get(i).map(String::as_str) {
            Some(REOPEN_NOMINATIONS) => ron.to_string(),
            Some(h) => erkin_views::strip_bidi(h).into_owned(),
            None => String::new(),
        }
    };
    Some(DeskCount {
        quota: erkin_views::decimal(&c.quota),
        candidates: (0..e.candidates.len()).map(name).collect(),
        stages: c
            .stages
            .iter()
            .map(|st| DeskStage {
                what: match st.kind {
                    StageKind::FirstPreferences => sw.first_preferences.to_string(),
                    StageKind::Surplus { from } => sw.surplus_of(&name(from)),
                    StageKind::Exclusion { of } => sw.exclusion_of(&name(of)),
                },
                votes: st.votes.iter().map(erkin_views::decimal).collect(),
                non_transferable: erkin_views::decimal(&st.non_transferable),
                elected: st.elected.iter().map(|&i| name(i)).collect(),
            })
            .collect(),
        elected: c.elected.iter().map(|&i| name(i)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use erkin_core::keys::SecretKey;
    use erkin_core::note::sign_note;

    fn setup() -> (Gate, MemberKeys, SecretKey) {
        let k = SecretKey::generate(&mut rand_core::OsRng, "dana").unwrap();
        let members: MemberKeys = Arc::new(RwLock::new(
            [("dana".to_string(), k.verifier_key().clone())].into(),
        ));
        (Gate::new("desk.example/news", [7; 32]), members, k)
    }

    #[test]
    fn a_signed_challenge_opens_a_session_once() {
        let (gate, members, k) = setup();
        let c = gate.challenge(1000, [1; 16]);
        let note = sign_note(&c.text, &k);
        let (token, s) = gate.answer(&note, &members, 1001, [2; 32]).unwrap();
        assert_eq!(s.handle, "dana");
        assert_eq!(gate.check(&token, &members, 1002).unwrap().handle, "dana");
        assert_eq!(
            gate.answer(&note, &members, 1003, [3; 32]).unwrap_err(),
            DeskError::ChallengeUsed
        );
    }

    #[test]
    fn forged_expired_and_foreign_challenges_are_refused() {
        let (gate, members, k) = setup();
        let c = gate.challenge(1000, [1; 16]);
        // Expired.
        assert_eq!(
            gate.answer(
                &sign_note(&c.text, &k),
                &members,
                1000 + CHALLENGE_SECS + 1,
                [2; 32]
            )
            .unwrap_err(),
            DeskError::ChallengeExpired
        );
        // A later expiry written in by the member: the MAC no longer fits.
        let forged = c.text.replace(
            &format!("\n{}\n", c.expires_at),
            &format!("\n{}\n", c.expires_at + 99_999),
        );
        assert_eq!(
            gate.answer(&sign_note(&forged, &k), &members, 1001, [2; 32])
                .unwrap_err(),
            DeskError::BadChallenge
        );
        // Another server's challenge (another MAC key).
        let other = Gate::new("desk.example/news", [8; 32]).challenge(1000, [1; 16]);
        assert_eq!(
            gate.answer(&sign_note(&other.text, &k), &members, 1001, [2; 32])
                .unwrap_err(),
            DeskError::BadChallenge
        );
        // Signed by someone who is not a member.
        let stranger = SecretKey::generate(&mut rand_core::OsRng, "eve").unwrap();
        assert_eq!(
            gate.answer(&sign_note(&c.text, &stranger), &members, 1001, [2; 32])
                .unwrap_err(),
            DeskError::NotAMember
        );
        // A member's name with another key.
        let impostor = SecretKey::generate(&mut rand_core::OsRng, "dana").unwrap();
        assert_eq!(
            gate.answer(&sign_note(&c.text, &impostor), &members, 1001, [2; 32])
                .unwrap_err(),
            DeskError::NotAMember
        );
    }

    #[test]
    fn removed_members_and_expired_sessions_lose_access() {
        let (gate, members, k) = setup();
        let c = gate.challenge(1000, [1; 16]);
        let (token, _) = gate
            .answer(&sign_note(&c.text, &k), &members, 1001, [2; 32])
            .unwrap();
        assert_eq!(
            gate.check(&token, &members, 1001 + SESSION_SECS + 1)
                .unwrap_err(),
            DeskError::NoSession
        );
        let c = gate.challenge(2000, [3; 16]);
        let (token, _) = gate
            .answer(&sign_note(&c.text, &k), &members, 2001, [4; 32])
            .unwrap();
        members.write().unwrap().remove("dana");
        assert_eq!(
            gate.check(&token, &members, 2002).unwrap_err(),
            DeskError::NotAMember
        );
        assert_eq!(
            gate.check("00", &members, 2002).unwrap_err(),
            DeskError::NoSession
        );
    }

    #[test]
    fn sessions_per_member_are_bounded() {
        let (gate, members, k) = setup();
        let mut tokens = Vec::new();
        for i in 0..(MAX_SESSIONS_PER_MEMBER as u8 + 3) {
            let c = gate.challenge(1000 + u64::from(i), [i; 16]);
            let (t, _) = gate
                .answer(
                    &sign_note(&c.text, &k),
                    &members,
                    1000 + u64::from(i),
                    [i; 32],
                )
                .unwrap();
            tokens.push(t);
        }
        assert_eq!(lock(&gate.sessions).len(), MAX_SESSIONS_PER_MEMBER);
        // The oldest went, the newest stays.
        assert_eq!(
            gate.check(&tokens[0], &members, 1100).unwrap_err(),
            DeskError::NoSession
        );
        gate.check(tokens.last().unwrap(), &members, 1100).unwrap();
    }
}
