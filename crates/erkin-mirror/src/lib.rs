//! Mirrors and bundles: copies of a publication that prove themselves.
//!
//! A copy may come from a hostile host, so nothing here trusts what it reads.
//! The rules of a sync — what to fetch, what to check, what to refuse, what
//! evidence to keep — live in the pure core (`erkin_core::sync`,
//! `erkin_core::evidence`); this crate is the adapter around them:
//!
//! - [`http`]: reading a copy over HTTP(S) with limits, timeouts, retries and
//!   bounded concurrency, staged on disk so an interrupted sync resumes;
//! - [`bundle`]: the one-file offline copy (`.tar.gz`), written
//!   deterministically and read with every member checked first;
//! - [`mirror`]: the mirror directory — a data directory without a log key —
//!   and the sync that commits a verified update atomically, or nothing;
//! - [`client`]: the other remote side of a member's machine: sending signed
//!   entries and blobs to the newsroom's server and checking its receipts.

pub mod bundle;
pub mod client;
pub mod http;
pub mod mirror;

pub use bundle::{unpack_bundle, write_bundle, BundleError, BundleLimits, BundleManifest};
pub use client::{ClientError, MembersClient, Receipt};
pub use http::{check_proxy, parse_resolve, resolve_override, HttpCopy, HttpOptions, Progress};
pub use mirror::{Blame, Mirror, MirrorConfig, MirrorError, SyncOptions, SyncReport};
