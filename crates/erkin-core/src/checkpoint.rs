//! Checkpoints (c2sp.org/tlog-checkpoint): the log key's signed statement of
//! the tree size and root hash. Readers and mirrors trust nothing else.

use tlog_tiles::Hash;

use crate::keys::{SecretKey, VerifierKey};
use crate::note::{sign_note, NoteError, ParsedNote};

/// A checkpoint note is three short lines and a signature or two; 8 KiB is far
/// beyond any honest one and keeps a hostile source from feeding us megabytes.
pub const MAX_CHECKPOINT_LEN: usize = 8 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CheckpointError {
    #[error("checkpoint note: {0}")]
    Note(#[from] NoteError),
    #[error("checkpoint body is malformed (expected origin, decimal size without leading zeros, base64 root hash)")]
    MalformedBody,
    #[error("checkpoint is for origin {found:?}, but this publication is {expected:?}")]
    WrongOrigin { expected: String, found: String },
}

impl Checkpoint {
    /// The checkpoint body (the note text), per tlog-checkpoint.
    pub fn body(&self) -> String {
        format!("{}\n{}\n{}\n", self.origin, self.size, self.root)
    }

    /// Signs with the log key. The key name must equal the origin (tlog-checkpoint
    /// recommends it; erkin always makes the log key that way).
    pub fn sign(&self, log_key: &SecretKey) -> Vec<u8> {
        debug_assert_eq!(log_key.name(), self.origin);
        sign_note(&self.body(), log_key)
    }

    /// Parses a signed checkpoint and verifies it against the pinned log key.
    /// The origin must equal the key's name, so a checkpoint of another log
    /// signed by the same key is not mistaken for ours.
    pub fn open(bytes: &[u8], log_key: &VerifierKey) -> Result<Self, CheckpointError> {
        let note = ParsedNote::parse(bytes, MAX_CHECKPOINT_LEN)?;
        note.verify_by(log_key)?;
        let parsed = tlog_tiles::Checkpoint::from_bytes(note.text().as_bytes())
            .map_err(|_| CheckpointError::MalformedBody)?;
        if parsed.origin() != log_key.name() {
            return Err(CheckpointError::WrongOrigin {
                expected: log_key.name().to_string(),
                found: parsed.origin().to_string(),
            });
        }
        Ok(Self {
            origin: parsed.origin().to_string(),
            size: parsed.size(),
            root: *parsed.hash(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> SecretKey {
        SecretKey::generate(&mut rand_core::OsRng, name).unwrap()
    }

    #[test]
    fn round_trip() {
        let k = key("news.example/kz");
        let cp = Checkpoint {
            origin: "news.example/kz".into(),
            size: 70_000,
            root: tlog_tiles::record_hash(b"x"),
        };
        let bytes = cp.sign(&k);
        assert_eq!(Checkpoint::open(&bytes, k.verifier_key()).unwrap(), cp);
        assert!(String::from_utf8(bytes)
            .unwrap()
            .starts_with("news.example/kz\n70000\n"));
    }

    #[test]
    fn signed_by_another_key_is_rejected() {
        let k = key("o");
        let other = key("o");
        let cp = Checkpoint {
            origin: "o".into(),
            size: 1,
            root: tlog_tiles::EMPTY_HASH,
        };
        let err = Checkpoint::open(&cp.sign(&other), k.verifier_key()).unwrap_err();
        assert!(matches!(
            err,
            CheckpointError::Note(NoteError::NotSignedBy { .. })
        ));
    }

    #[test]
    fn flipped_body_bit_is_rejected() {
        let k = key("o");
        let cp = Checkpoint {
            origin: "o".into(),
            size: 12,
            root: tlog_tiles::EMPTY_HASH,
        };
        let mut bytes = cp.sign(&k);
        bytes[2] ^= 0x01; // "12" -> "13"
        assert!(matches!(
            Checkpoint::open(&bytes, k.verifier_key()).unwrap_err(),
            CheckpointError::Note(NoteError::BadSignature { .. })
        ));
    }

    #[test]
    fn malformed_body_is_rejected_even_if_signed() {
        let k = key("o");
        for body in ["o\n012\nAAAA\n", "o\nx\n\n", "o\n1\n"] {
            let bytes = sign_note(body, &k);
            assert_eq!(
                Checkpoint::open(&bytes, k.verifier_key()).unwrap_err(),
                CheckpointError::MalformedBody,
                "{body:?}"
            );
        }
    }

    #[test]
    fn wrong_origin_is_rejected() {
        let k = key("o");
        let bytes = sign_note(&format!("elsewhere\n1\n{}\n", tlog_tiles::EMPTY_HASH), &k);
        assert!(matches!(
            Checkpoint::open(&bytes, k.verifier_key()).unwrap_err(),
            CheckpointError::WrongOrigin { .. }
        ));
    }
}
