//! Signed notes (c2sp.org/signed-note) with errors that say what is wrong.
//!
//! `signed_note` does the cryptography and line formats; it reports every
//! malformation as one "malformed note". Readers of a tampered copy deserve to
//! know *what* is malformed, so this module checks the outer shape first (size,
//! UTF-8, control characters, the blank line before the signatures) and only then
//! hands the pieces to `signed_note`.

use signed_note::{Note, Signature, Signer as _};

use crate::keys::{SecretKey, VerifierKey};

/// signed-note asks verifiers to accept at least 16 signatures; we accept no more
/// than that, which bounds the work an attacker can make us do per note.
pub const MAX_SIGNATURES: usize = 16;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NoteError {
    #[error("note is {len} bytes, more than the limit of {max}")]
    TooLarge { len: usize, max: usize },
    #[error("note is not valid UTF-8")]
    NotUtf8,
    #[error("note contains a control character (U+{code:04X}) at byte {offset}; only newline is allowed")]
    ControlCharacter { offset: usize, code: u32 },
    #[error("note is truncated or has no signature block (a blank line followed by signature lines, ending in a newline)")]
    NoSignatureBlock,
    #[error("note has a malformed signature line: {line:?}")]
    MalformedSignatureLine { line: String },
    #[error("note has more than {MAX_SIGNATURES} signatures")]
    TooManySignatures,
    #[error("note is not signed by {expected} (its signatures are by: {found})")]
    NotSignedBy { expected: String, found: String },
    #[error("signature by {name} (key ID {id:08x}) does not verify: the text was altered or the signature is forged")]
    BadSignature { name: String, id: u32 },
}

/// A note whose shape is valid; signatures not yet verified.
#[derive(Debug)]
pub struct ParsedNote {
    text: String,
    signatures: Vec<Signature>,
}

impl ParsedNote {
    /// Parses a signed note of at most `max_len` bytes.
    pub fn parse(bytes: &[u8], max_len: usize) -> Result<Self, NoteError> {
        if bytes.len() > max_len {
            return Err(NoteError::TooLarge {
                len: bytes.len(),
                max: max_len,
            });
        }
        let s = std::str::from_utf8(bytes).map_err(|_| NoteError::NotUtf8)?;
        if let Some((offset, c)) = s.char_indices().find(|&(_, c)| c < ' ' && c != '\n') {
            return Err(NoteError::ControlCharacter {
                offset,
                code: c as u32,
            });
        }
        // The text ends at the *last* blank line (signed-note): the text itself
        // may not contain one, and signature lines never do.
        let (text, sigs) = s.rsplit_once("\n\n").ok_or(NoteError::NoSignatureBlock)?;
        let sigs = sigs.strip_suffix('\n').ok_or(NoteError::NoSignatureBlock)?;
        if sigs.is_empty() {
            return Err(NoteError::NoSignatureBlock);
        }
        let mut signatures = Vec::new();
        for line in sigs.split('\n') {
            if signatures.len() == MAX_SIGNATURES {
                return Err(NoteError::TooManySignatures);
            }
            let sig = Signature::from_bytes(line.as_bytes()).map_err(|_| {
                NoteError::MalformedSignatureLine {
                    line: line.chars().take(120).collect(),
                }
            })?;
            signatures.push(sig);
        }
        Ok(Self {
            text: format!("{text}\n"),
            signatures,
        })
    }

    /// The signed text, ending in a newline.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// (name, key ID) of each signature, in order.
    pub fn signers(&self) -> impl Iterator<Item = (&str, u32)> {
        self.signatures.iter().map(|s| (s.name(), s.id()))
    }

    pub fn signature_count(&self) -> usize {
        self.signatures.len()
    }

    /// Verifies that `key` signed this note. Signatures by other keys are
    /// ignored, as signed-note asks of verifiers.
    pub fn verify_by(&self, key: &VerifierKey) -> Result<(), NoteError> {
        let sig = self
            .signatures
            .iter()
            .find(|s| s.name() == key.name() && s.id() == key.key_id())
            .ok_or_else(|| NoteError::NotSignedBy {
                expected: key.to_string(),
                found: self.describe_signers(),
            })?;
        if key.verify(self.text.as_bytes(), sig.signature()) {
            Ok(())
        } else {
            Err(NoteError::BadSignature {
                name: sig.name().to_string(),
                id: sig.id(),
            })
        }
    }

    pub fn describe_signers(&self) -> String {
        self.signers()
            .map(|(n, id)| format!("{n}+{id:08x}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Signs `text` (which must end in a newline and contain no blank line or
/// control characters) and returns the encoded note.
pub fn sign_note(text: &str, key: &SecretKey) -> Vec<u8> {
    let mut note = Note::new(text.as_bytes(), &[]).expect("callers build well-formed note text");
    let signer = key.as_signer();
    debug_assert_eq!(signer.name(), key.name());
    note.add_sigs(&[signer])
        .expect("a parsed SecretKey has a valid name and Ed25519 signing cannot fail");
    note.to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC_VKEY: &str = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
    /// The example note from c2sp.org/signed-note.
    const SPEC_NOTE: &str = "This is an example message.\n\n\u{2014} example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

    #[test]
    fn spec_example_note_verifies() {
        let key = VerifierKey::parse(SPEC_VKEY).unwrap();
        let note = ParsedNote::parse(SPEC_NOTE.as_bytes(), 1 << 16).unwrap();
        assert_eq!(note.text(), "This is an example message.\n");
        note.verify_by(&key).unwrap();
    }

    #[test]
    fn altered_text_fails_with_bad_signature() {
        let key = VerifierKey::parse(SPEC_VKEY).unwrap();
        let altered = SPEC_NOTE.replace("example message", "example massage");
        let note = ParsedNote::parse(altered.as_bytes(), 1 << 16).unwrap();
        assert_eq!(
            note.verify_by(&key).unwrap_err(),
            NoteError::BadSignature {
                name: "example.com/foo".into(),
                id: 0x530d903a
            }
        );
    }

    #[test]
    fn unknown_key_is_reported() {
        let other = SecretKey::generate(&mut rand_core::OsRng, "example.com/foo").unwrap();
        let note = ParsedNote::parse(SPEC_NOTE.as_bytes(), 1 << 16).unwrap();
        assert!(matches!(
            note.verify_by(other.verifier_key()),
            Err(NoteError::NotSignedBy { .. })
        ));
    }

    #[test]
    fn shape_errors_are_specific() {
        assert_eq!(
            ParsedNote::parse(SPEC_NOTE.as_bytes(), 10).unwrap_err(),
            NoteError::TooLarge {
                len: SPEC_NOTE.len(),
                max: 10
            }
        );
        assert_eq!(
            ParsedNote::parse(b"a\xff\n\n", 100).unwrap_err(),
            NoteError::NotUtf8
        );
        assert_eq!(
            ParsedNote::parse(b"a\rb\n\n", 100).unwrap_err(),
            NoteError::ControlCharacter {
                offset: 1,
                code: 13
            }
        );
        // Truncated anywhere inside the signature block.
        for cut in [SPEC_NOTE.len() - 1, 60, 28] {
            let err = ParsedNote::parse(&SPEC_NOTE.as_bytes()[..cut], 1 << 16).unwrap_err();
            assert!(
                matches!(
                    err,
                    NoteError::NoSignatureBlock | NoteError::MalformedSignatureLine { .. }
                ),
                "cut at {cut}: {err:?}"
            );
        }
        assert!(matches!(
            ParsedNote::parse("text\n\n\u{2014} name notbase64!\n".as_bytes(), 100),
            Err(NoteError::MalformedSignatureLine { .. })
        ));
    }

    #[test]
    fn too_many_signatures_rejected() {
        let line = SPEC_NOTE.rsplit_once("\n\n").unwrap().1;
        let note = format!("text\n\n{}", line.repeat(MAX_SIGNATURES + 1));
        assert_eq!(
            ParsedNote::parse(note.as_bytes(), 1 << 16).unwrap_err(),
            NoteError::TooManySignatures
        );
    }

    #[test]
    fn sign_then_verify_round_trip() {
        let k = SecretKey::generate(&mut rand_core::OsRng, "k").unwrap();
        let bytes = sign_note("hello\nworld\n", &k);
        let note = ParsedNote::parse(&bytes, 1 << 16).unwrap();
        note.verify_by(k.verifier_key()).unwrap();
        assert_eq!(note.text(), "hello\nworld\n");
    }
}
