//! The mirror's integration tests: hostile sources and bundles.
//!
//! One test binary for the crate (ripgrep's pattern): each module below was
//! a test file of its own; together they link once.

mod bundle_names;
mod common;
mod hostile_source;
mod requests;
