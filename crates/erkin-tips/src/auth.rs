//! How a tip reader's client proves who it is: each request carries, in the
//! `Erkin-Tips-Auth` header, a signed note (base64) by the member's own
//! Ed25519 key over
//!
//! ```text
//! erkin-tips-auth/v1
//! <origin>
//! <METHOD> <path>
//! <unix time>
//! <nonce: 32 hex>
//! <SHA-256 of the body, hex>
//! ```
//!
//! The server accepts it when the signer is a current tip reader (their
//! member key as the log has it), the time is within [`WINDOW_SECS`] of its
//! clock, the method, path and body are this request's, and the nonce was
//! not seen in the window. No state is kept but the bounded set of nonces.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine as _;
use erkin_core::keys::SecretKey;
use erkin_core::note::{sign_note, ParsedNote};
use sha2::{Digest, Sha256};

use crate::Readers;

pub const FORMAT: &str = "erkin-tips-auth/v1";
pub const HEADER: &str = "erkin-tips-auth";
/// How far a request's time may be from the server's clock.
pub const WINDOW_SECS: u64 = 300;
/// Most nonces remembered; beyond it, requests are refused as busy until
/// old ones expire.
pub const MAX_NONCES: usize = 8192;

/// Why a request's signature was refused. Each has a stable `code()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// No header, or not a signed note of the right form: sign the request.
    #[error("the request carries no valid erkin-tips-auth signature")]
    Missing,
    /// Signed, but not by a current tip reader's member key.
    #[error("the signer is not a current tip reader")]
    NotTipReader,
    /// The signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// Signed for another request, publication or body.
    #[error("the signature is for another request")]
    WrongRequest,
    /// Dated too far from the server's clock: check this machine's clock.
    #[error("the signature's time is more than {WINDOW_SECS} s from the server's clock")]
    Stale,
    /// The same signed request again.
    #[error("this signed request was already used")]
    Replayed,
    /// Too many requests in the window.
    #[error("too many signed requests; try again in a few minutes")]
    Busy,
}

impl AuthError {
    pub fn code(self) -> &'static str {
        match self {
            AuthError::Missing => "auth_missing",
            AuthError::NotTipReader => "not_tip_reader",
            AuthError::BadSignature => "bad_signature",
            AuthError::WrongRequest => "wrong_request",
            AuthError::Stale => "auth_stale",
            AuthError::Replayed => "auth_replayed",
            AuthError::Busy => "busy",
        }
    }
}

fn text(origin: &str, method: &str, path: &str, time: u64, nonce: &str, body: &[u8]) -> String {
    let body = hex::encode(Sha256::digest(body));
    format!("{FORMAT}\n{origin}\n{method} {path}\n{time}\n{nonce}\n{body}\n")
}

/// The header value signing a request.
pub fn sign(
    key: &SecretKey,
    origin: &str,
    method: &str,
    path: &str,
    body: &[u8],
    now: u64,
    nonce: [u8; 16],
) -> String {
    let note = sign_note(
        &text(origin, method, path, now, &hex::encode(nonce), body),
        key,
    );
    base64::engine::general_purpose::STANDARD.encode(note)
}

/// Remembered nonces with their expiry.
#[derive(Default)]
pub struct Nonces(Mutex<HashMap<String, u64>>);

/// Checks a request's header; returns the tip reader's handle.
pub fn check(
    header: Option<&str>,
    readers: &Readers,
    method: &str,
    path: &str,
    body: &[u8],
    now: u64,
    nonces: &Nonces,
) -> Result<String, AuthError> {
    let raw = header
        .filter(|h| h.len() <= 8192)
        .and_then(|h| base64::engine::general_purpose::STANDARD.decode(h).ok())
        .ok_or(AuthError::Missing)?;
    let note = ParsedNote::parse(&raw, 4096).map_err(|_| AuthError::Missing)?;
    if note.signature_count() != 1 {
        return Err(AuthError::Missing);
    }
    let lines: Vec<&str> = note.text().trim_end_matches('\n').split('\n').collect();
    let [format, origin, request, time, nonce, _body] = lines[..] else {
        return Err(AuthError::Missing);
    };
    if format != FORMAT {
        return Err(AuthError::Missing);
    }
    let (signer, id) = note.signers().next().ok_or(AuthError::Missing)?;
    let reader = readers
        .readers
        .get(signer)
        .filter(|r| r.key.key_id() == id)
        .ok_or(AuthError::NotTipReader)?;
    note.verify_by(&reader.key)
        .map_err(|_| AuthError::BadSignature)?;
    let time: u64 = time.parse().map_err(|_| AuthError::Missing)?;
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AuthError::Missing);
    }
    if origin != readers.origin
        || request != format!("{method} {path}")
        || note.text() != text(origin, method, path, time, nonce, body)
    {
        return Err(AuthError::WrongRequest);
    }
    if time.abs_diff(now) > WINDOW_SECS {
        return Err(AuthError::Stale);
    }
    let mut seen = nonces.0.lock().unwrap_or_else(|p| p.into_inner());
    if seen.contains_key(nonce) {
        return Err(AuthError::Replayed);
    }
    if seen.len() >= MAX_NONCES {
        seen.retain(|_, exp| *exp >= now);
        if seen.len() >= MAX_NONCES {
            return Err(AuthError::Busy);
        }
    }
    seen.insert(nonce.to_string(), time + WINDOW_SECS);
    Ok(signer.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Reader, Readers};
    use erkin_core::keys::SecretKey;

    fn setup() -> (Readers, SecretKey, SecretKey) {
        let alice = SecretKey::generate(&mut rand_core::OsRng, "alice").unwrap();
        let bob = SecretKey::generate(&mut rand_core::OsRng, "bob").unwrap();
        let mut readers = Readers {
            origin: "news.example".into(),
            ..Readers::default()
        };
        readers.readers.insert(
            "alice".into(),
            Reader {
                key: alice.verifier_key().clone(),
                recipient: None,
            },
        );
        (readers, alice, bob)
    }

    #[test]
    fn a_tip_readers_request_passes_once() {
        let (readers, alice, _) = setup();
        let nonces = Nonces::default();
        let h = sign(
            &alice,
            "news.example",
            "GET",
            "/tips/api/v1/tips",
            b"",
            1000,
            [1; 16],
        );
        assert_eq!(
            check(
                Some(&h),
                &readers,
                "GET",
                "/tips/api/v1/tips",
                b"",
                1100,
                &nonces
            ),
            Ok("alice".into())
        );
        assert_eq!(
            check(
                Some(&h),
                &readers,
                "GET",
                "/tips/api/v1/tips",
                b"",
                1100,
                &nonces
            ),
            Err(AuthError::Replayed)
        );
    }

    #[test]
    fn every_refusal() {
        let (readers, alice, bob) = setup();
        let n = Nonces::default();
        let p = "/tips/api/v1/tips";
        assert_eq!(
            check(None, &readers, "GET", p, b"", 0, &n),
            Err(AuthError::Missing)
        );
        assert_eq!(
            check(Some("!!"), &readers, "GET", p, b"", 0, &n),
            Err(AuthError::Missing)
        );
        let h = sign(&bob, "news.example", "GET", p, b"", 1000, [2; 16]);
        assert_eq!(
            check(Some(&h), &readers, "GET", p, b"", 1000, &n),
            Err(AuthError::NotTipReader)
        );
        let h = sign(&alice, "news.example", "GET", p, b"", 1000, [3; 16]);
        assert_eq!(
            check(Some(&h), &readers, "POST", p, b"", 1000, &n),
            Err(AuthError::WrongRequest)
        );
        assert_eq!(
            check(Some(&h), &readers, "GET", p, b"x", 1000, &n),
            Err(AuthError::WrongRequest)
        );
        assert_eq!(
            check(Some(&h), &readers, "GET", p, b"", 2000, &n),
            Err(AuthError::Stale)
        );
        let h = sign(&alice, "other.example", "GET", p, b"", 1000, [4; 16]);
        assert_eq!(
            check(Some(&h), &readers, "GET", p, b"", 1000, &n),
            Err(AuthError::WrongRequest)
        );
        // Alice's name and key ID over text she did not sign.
        let forged = {
            let real = sign(&alice, "news.example", "GET", p, b"", 1000, [5; 16]);
            let raw = base64::engine::general_purpose::STANDARD
                .decode(real)
                .unwrap();
            let raw = String::from_utf8(raw)
                .unwrap()
                .replacen("\n1000\n", "\n1001\n", 1);
            base64::engine::general_purpose::STANDARD.encode(raw)
        };
        assert_eq!(
            check(Some(&forged), &readers, "GET", p, b"", 1000, &n),
            Err(AuthError::BadSignature)
        );
    }
}
