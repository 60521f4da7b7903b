//! Entries: one signed member action per log entry.
//!
//! An entry is a signed note (c2sp.org/signed-note) whose text is exactly three
//! lines:
//!
//! ```text
//! erkin.entry/v1
//! <publication origin>
//! {"time":1764345600,"action":{"statement":{"text":"..."}}}
//! ```
//!
//! followed by exactly one signature, the author's. The origin line binds the
//! entry to one publication: a member of two publications cannot have an entry
//! replayed from one into the other. The whole encoded note is at most
//! [`MAX_ENTRY_LEN`] bytes, the limit of the tlog-tiles bundle format.

use serde::{Deserialize, Serialize};
use tlog_tiles::Hash;

use crate::action::Action;
use crate::keys::{SecretKey, VerifierKey};
use crate::note::{sign_note, NoteError, ParsedNote};
use crate::strict_json::{first_problem, Problem};
pub use crate::tiles::MAX_ENTRY_LEN;

/// The first line of every entry's text; a new incompatible format gets a new line.
pub const ENTRY_FORMAT: &str = "erkin.entry/v1";

/// The JSON line of an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    /// The author's clock, in seconds since the Unix epoch. The fold requires it
    /// to be non-decreasing along the log; the sequencer also requires it to be
    /// near its own clock.
    pub time: u64,
    pub action: Action,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EntryError {
    #[error("entry is {len} bytes, more than the limit of {MAX_ENTRY_LEN}")]
    TooLarge { len: usize },
    #[error("entry {0}")]
    Note(#[from] NoteError),
    #[error("entry text must be three lines (format, origin, JSON); found {lines}")]
    WrongShape { lines: usize },
    #[error("entry format is {found:?}; this version of erkin reads {ENTRY_FORMAT:?}")]
    UnknownFormat { found: String },
    #[error("entry was made for publication {found:?}, not {expected:?}")]
    WrongOrigin { expected: String, found: String },
    #[error("entry JSON has the key {0:?} twice")]
    DuplicateKey(String),
    #[error("entry JSON contains an escaped control character U+{0:04X}")]
    ControlCharacter(u32),
    #[error("entry JSON is not a valid action: {0}")]
    Json(String),
    #[error("entry JSON is not in canonical form (compact, keys in erkin's order, objects as objects, no needless escapes)")]
    NotCanonical,
    #[error("entry must carry exactly one signature, its author's; it has {0}")]
    SignatureCount(usize),
}

/// An entry whose format is valid but whose signature has not been checked
/// against the publication's keys yet (that needs the state: see `state`).
#[derive(Debug)]
pub struct ParsedEntry {
    note: ParsedNote,
    pub body: EntryBody,
    pub leaf_hash: Hash,
}

impl ParsedEntry {
    /// Parses an entry of the publication `origin`.
    pub fn parse(bytes: &[u8], origin: &str) -> Result<Self, EntryError> {
        if bytes.len() > MAX_ENTRY_LEN {
            return Err(EntryError::TooLarge { len: bytes.len() });
        }
        let note = ParsedNote::parse(bytes, MAX_ENTRY_LEN)?;
        if note.signature_count() != 1 {
            return Err(EntryError::SignatureCount(note.signature_count()));
        }
        let body = parse_text(note.text(), origin)?;
        Ok(Self {
            note,
            body,
            leaf_hash: tlog_tiles::record_hash(bytes),
        })
    }

    /// The (key name, key ID) of the entry's single signature.
    pub fn signer(&self) -> (&str, u32) {
        self.note
            .signers()
            .next()
            .expect("parse checked there is exactly one signature")
    }

    pub fn verify_by(&self, key: &VerifierKey) -> Result<(), EntryError> {
        Ok(self.note.verify_by(key)?)
    }
}

fn parse_text(text: &str, origin: &str) -> Result<EntryBody, EntryError> {
    let lines: Vec<&str> = text
        .strip_suffix('\n')
        .unwrap_or(text)
        .split('\n')
        .collect();
    let [format, found_origin, json] = lines[..] else {
        return Err(EntryError::WrongShape { lines: lines.len() });
    };
    if format != ENTRY_FORMAT {
        return Err(EntryError::UnknownFormat {
            found: format.chars().take(100).collect(),
        });
    }
    if found_origin != origin {
        return Err(EntryError::WrongOrigin {
            expected: origin.to_string(),
            found: found_origin.chars().take(300).collect(),
        });
    }
    parse_body(json)
}

fn parse_body(json: &str) -> Result<EntryBody, EntryError> {
    // Duplicate keys and hidden control characters first, so they are named as
    // such (serde would report a duplicate as a generic "duplicate field").
    // Syntax errors pass through here and the typed parse names their position.
    match first_problem(json) {
        Some(Problem::DuplicateKey(k)) => return Err(EntryError::DuplicateKey(k)),
        Some(Problem::ControlCharacter(c)) => return Err(EntryError::ControlCharacter(c)),
        None => {}
    }
    let body: EntryBody =
        serde_json::from_str(json).map_err(|e| EntryError::Json(e.to_string()))?;
    // One action, one encoding: the line must be exactly what erkin writes.
    // This refuses serde's other accepted forms (structs as arrays, extra
    // white space, escapes where a raw character is written, reordered keys),
    // so no two readers can disagree about what an entry says.
    if serde_json::to_string(&body).expect("entry bodies always serialize") != json {
        return Err(EntryError::NotCanonical);
    }
    Ok(body)
}

/// Encodes and signs an entry of publication `origin` with the author's key.
pub fn sign_entry(origin: &str, body: &EntryBody, key: &SecretKey) -> Result<Vec<u8>, EntryError> {
    let json = serde_json::to_string(body).expect("entry bodies always serialize");
    // Refuse to sign what no one could read back.
    if let Some(p) = first_problem(&json) {
        return Err(match p {
            Problem::DuplicateKey(k) => EntryError::DuplicateKey(k),
            Problem::ControlCharacter(c) => EntryError::ControlCharacter(c),
        });
    }
    let text = format!("{ENTRY_FORMAT}\n{origin}\n{json}\n");
    // Check before signing: the text alone may already be too long (and the
    // note library refuses texts over 1 MB outright).
    if text.len() > MAX_ENTRY_LEN {
        return Err(EntryError::TooLarge { len: text.len() });
    }
    let bytes = sign_note(&text, key);
    if bytes.len() > MAX_ENTRY_LEN {
        return Err(EntryError::TooLarge { len: bytes.len() });
    }
    Ok(bytes)
}
