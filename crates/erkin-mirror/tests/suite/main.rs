//! The mirror's integration tests: hostile sources and bundles.
//!
//! One test binary for the crate (ripgrep's pattern): each module below was
//! a test file of its own; together they link once.

mod common;
mod bundle_names;
mod hostile_source;
