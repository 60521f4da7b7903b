//! The pure core of erkin: what a publication *is*, independent of where it is
//! stored or how it travels.
//!
//! A publication is a C2SP transparency log of signed member actions plus
//! content-addressed blobs. This crate holds the formats (signed notes,
//! checkpoints, tiles and bundles, entries), the fold that turns the log into
//! the publication's state, and the verifier of whole copies. It does no I/O,
//! reads no clock and draws no randomness except through its arguments, so
//! every rule here can be tested exactly and every copy of the log folds to the
//! same state.
//!
//! Start reading at [`entry`] (what one log entry is) and [`state`] (the fold).

pub mod action;
pub mod api;
pub mod article;
pub mod articles;
pub mod ballot;
pub mod ballot_keys;
pub mod ballot_secret;
pub mod blob;
pub mod changes;
pub mod charter;
pub mod checkpoint;
pub mod copy;
pub mod descriptor;
pub mod entry;
pub mod evidence;
pub mod governance;
pub mod keys;
pub mod lists;
pub mod media;
pub mod members;
pub mod mirrors;
pub mod note;
pub mod recipient;
pub mod rejection;
pub mod secret;
pub mod serving;
pub mod snapshot;
pub mod state;
pub mod strict_json;
pub mod stv;
pub mod sync;
pub mod tiled;
pub mod tiles;
pub mod tip_readers;
pub mod tree;
pub mod verify;

pub use tlog_tiles::Hash;
