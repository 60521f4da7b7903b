//! The source inbox (issue 18): anyone can hand the newsroom a document
//! without being identified, and only the tip readers — members the
//! charter's vote designated, who published an age X25519 recipient in the
//! log — can read it.
//!
//! | module | concern |
//! |---|---|
//! | `codename` | diceware codenames (7 words, EFF large list, `OsRng`) |
//! | `keys` | Argon2id: a codename's thread ID (salted per inbox) and reply identity |
//! | `seal` | a submission as a tar archive, encrypted with age to every tip reader as it streams in, padded to a power-of-two bucket |
//! | `identity` | a tip reader's X25519 identity at rest (passphrase, scrypt, armored age) |
//! | `form` | the multipart form, parsed by `multer` with limits, into the sealer |
//! | `inbox` | `tips/` on disk: `tips.sqlite` (threads, tips, replies), `<id>.age`; days, never times |
//! | `reply` | replies sealed to a codename's reply recipient |
//! | `auth` | tip readers' requests signed by their member key |
//! | `clean` | metadata hygiene: EXIF/XMP/IPTC out of JPEG, PNG, WebP (img-parts), Info and XMP out of PDF (lopdf); the rest said so |
//! | `client` | the tip reader's side: signed requests, tips decrypted and unpacked locally |
//! | `api` | the tip readers' API documents (server and CLI) |
//! | `pages` | the source's pages in kk, ru, en |
//! | `web` | the router `erkin-server` mounts at `/tips/` and `serve --tips` serves alone |
//!
//! The threat model and the constructions are in docs/TIPS.md.

pub mod api;
pub mod auth;
pub mod clean;
pub mod client;
pub mod codename;
pub mod form;
pub mod identity;
pub mod inbox;
pub mod keys;
pub mod pages;
pub mod reply;
pub mod seal;
pub mod web;

use std::collections::BTreeMap;
use std::path::PathBuf;

use erkin_core::keys::VerifierKey;

pub use form::Limits;
pub use keys::Cost;
pub use web::{router, standalone_router, Tips};

/// How the inbox is set up.
#[derive(Debug, Clone)]
pub struct TipsConfig {
    /// The publication's data directory; the inbox lives in `tips/` in it.
    pub data_dir: PathBuf,
    pub limits: Limits,
    pub cost: Cost,
}

impl TipsConfig {
    pub fn new(data_dir: PathBuf) -> Self {
        TipsConfig {
            data_dir,
            limits: Limits::default(),
            cost: Cost::default(),
        }
    }
}

/// The current tip readers, as the log has them: what the inbox seals to
/// and whose signatures its API accepts. The server refreshes it as the
/// log grows.
#[derive(Debug, Clone, Default)]
pub struct Readers {
    pub origin: String,
    /// By handle.
    pub readers: BTreeMap<String, Reader>,
}

#[derive(Debug, Clone)]
pub struct Reader {
    /// The member's signing key.
    pub key: VerifierKey,
    /// Their published age recipient, once they have published one.
    pub recipient: Option<String>,
}

impl Readers {
    /// The tip readers as a folded state has them: each current reader's
    /// member key and published recipient.
    pub fn from_state(state: &erkin_core::state::State) -> Self {
        Readers {
            origin: state.origin().to_string(),
            readers: state
                .tip_readers()
                .readers
                .iter()
                .filter_map(|(handle, recipient)| {
                    state.member(handle).map(|m| {
                        (
                            handle.clone(),
                            Reader {
                                key: m.key.clone(),
                                recipient: recipient.clone(),
                            },
                        )
                    })
                })
                .collect(),
        }
    }

    /// The recipients a tip is sealed to now.
    pub fn recipients(&self) -> Vec<String> {
        self.readers
            .values()
            .filter_map(|r| r.recipient.clone())
            .collect()
    }
}
