//! Blobs: article bodies and media, addressed by the SHA-256 of their bytes.
//!
//! Entries are limited to 64 KiB, so anything larger lives in a blob that an
//! entry names by its hash. A redaction deletes the blob; the entry, and so the
//! log's integrity, stays.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256};

/// The default size limit for one blob: 32 MiB.
pub const DEFAULT_MAX_BLOB_LEN: u64 = 32 * 1024 * 1024;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobId(pub [u8; 32]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BlobError {
    #[error("blob is {len} bytes, more than the limit of {max}")]
    TooLarge { len: u64, max: u64 },
    #[error("not a blob ID: {0:?} (expected 64 lowercase hex digits)")]
    BadId(String),
    #[error("blob {expected} has been altered: its bytes hash to {found}")]
    HashMismatch { expected: BlobId, found: BlobId },
}

impl BlobId {
    pub fn of(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// Checks that `bytes` are the blob this ID names.
    pub fn check(&self, bytes: &[u8]) -> Result<(), BlobError> {
        let found = Self::of(bytes);
        if found == *self {
            Ok(())
        } else {
            Err(BlobError::HashMismatch {
                expected: *self,
                found,
            })
        }
    }
}

/// The text a member signs to upload blob `id` to the publication `origin`:
/// a newsroom server stores only blobs a member vouches for, so strangers
/// cannot fill its disk or host files under its name. (A signed note of
/// this text travels base64-encoded in the `Erkin-Upload` header.)
pub fn upload_text(origin: &str, id: &BlobId) -> String {
    format!("erkin.upload/v1\n{origin}\n{id}\n")
}

/// The blob an upload text vouches for, if `text` is exactly
/// [`upload_text`] for `origin` and some blob. The server reads the claimed
/// blob from the signed note before it accepts a byte of the upload.
pub fn parse_upload_text(origin: &str, text: &str) -> Option<BlobId> {
    let rest = text.strip_prefix("erkin.upload/v1\n")?;
    let rest = rest.strip_prefix(origin)?.strip_prefix('\n')?;
    let id: BlobId = rest.strip_suffix('\n')?.parse().ok()?;
    (upload_text(origin, &id) == text).then_some(id)
}

/// Checks a blob's length against a limit before anything is read or stored.
pub fn check_blob_len(len: u64, max: u64) -> Result<(), BlobError> {
    if len > max {
        Err(BlobError::TooLarge { len, max })
    } else {
        Ok(())
    }
}

impl fmt::Display for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for BlobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobId({self})")
    }
}

impl serde::Serialize for BlobId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for BlobId {
    /// Read from the text in place, with no copy of it (a state decoded
    /// from a snapshot reads some 100,000 of them).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = BlobId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a blob ID (64 lowercase hex digits)")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<BlobId, E> {
                s.parse().map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

impl FromStr for BlobId {
    type Err = BlobError;
    fn from_str(s: &str) -> Result<Self, BlobError> {
        let bad = || BlobError::BadId(s.chars().take(80).collect());
        // Lowercase only, so each blob has exactly one file name.
        if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| bad())?;
        Ok(Self(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vector_and_round_trip() {
        let id = BlobId::of(b"abc");
        let text = upload_text("news.example/x", &id);
        assert_eq!(parse_upload_text("news.example/x", &text), Some(id));
        assert_eq!(parse_upload_text("news.example/y", &text), None);
        assert_eq!(
            parse_upload_text("news.example/x", &text[..text.len() - 1]),
            None
        );
        assert_eq!(
            parse_upload_text("news.example/x", &format!("{text}x")),
            None
        );
        assert_eq!(
            id.to_string(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(id.to_string().parse::<BlobId>().unwrap(), id);
        id.check(b"abc").unwrap();
        assert!(matches!(
            id.check(b"abd"),
            Err(BlobError::HashMismatch { .. })
        ));
    }

    #[test]
    fn bad_ids_and_sizes() {
        assert!("ABC".parse::<BlobId>().is_err());
        let upper = BlobId::of(b"abc").to_string().to_uppercase();
        assert!(upper.parse::<BlobId>().is_err());
        assert!("../../etc/passwd".parse::<BlobId>().is_err());
        assert_eq!(
            check_blob_len(DEFAULT_MAX_BLOB_LEN + 1, DEFAULT_MAX_BLOB_LEN),
            Err(BlobError::TooLarge {
                len: DEFAULT_MAX_BLOB_LEN + 1,
                max: DEFAULT_MAX_BLOB_LEN
            })
        );
        check_blob_len(DEFAULT_MAX_BLOB_LEN, DEFAULT_MAX_BLOB_LEN).unwrap();
    }
}
