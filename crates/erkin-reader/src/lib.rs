//! `erkin read`: the reader's half of a publication that anyone can copy.
//!
//! A reader pins the publication's verifier key once (from a QR code, a
//! friend, a printed page). From then on the client:
//!
//! - keeps a verified copy on the device, in a per-user data folder
//!   ([`data_dir`]), as an ordinary mirror directory (`erkin-mirror`), so
//!   the copy is readable with no connection at all;
//! - on each sync ([`sync`]) first reads the signed checkpoint of every
//!   known copy in parallel, each phase (resolve, connect with the TLS
//!   handshake, send, answer) under its own timeout; a copy whose
//!   checkpoint does not verify, or that is older than the copy already
//!   held (rolled back), is set aside with the reason;
//! - then fetches from the copies holding the newest log, the last good one
//!   first and the others a moment later, each into its own staging mirror:
//!   the first to finish a fully verified sync wins, and the local copy
//!   takes it from there (verified once more). A copy that is slow
//!   (throttled), unreachable, tampered with or intercepted only loses the
//!   race; nothing it sent is ever shown;
//! - learns new copies from the mirror list in the verified log, never from
//!   what a host says;
//! - takes a bundle file (`habar.tar.gz`) with no network at all;
//! - serves the copy on 127.0.0.1 ([`serve`]) with a line on every page
//!   saying which copy it came from, when it was last verified, and that it
//!   is genuine.
//!
//! Every request can go through a SOCKS5 proxy (`socks5h://` resolves names
//! at the proxy: Tor). Nothing is sent anywhere else: no analytics, no
//! reports; the reader's list of copies stays in the data folder.

pub mod probe;
pub mod serve;
pub mod state;
pub mod sync;

pub use serve::{serve, Banner};
pub use state::{data_dir, ReaderState, STATE_FILE};
pub use sync::{reader_http, sync, Attempt, Outcome, ReadError, ReadOptions, ReadReport};
