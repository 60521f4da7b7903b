//! The core's integration tests.
//!
//! One test binary for the crate (ripgrep's pattern): each module below was
//! a test file of its own; together they link once.

mod ballot;
mod ballot_box;
mod ballot_secret;
mod common;
mod determinism;
mod entries;
mod fold;
mod governance;
mod proofs;
mod properties;
mod secret;
mod stv_examples;
mod verify;
