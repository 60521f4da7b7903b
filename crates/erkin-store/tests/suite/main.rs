//! The store's integration tests: a real SQLite file, and SIGKILLed writers.
//!
//! One test binary for the crate (ripgrep's pattern): each module below was
//! a test file of its own; together they link once.

mod ballots;
mod durability;
mod lazy;
mod lists;
mod snapshot;
mod store;
