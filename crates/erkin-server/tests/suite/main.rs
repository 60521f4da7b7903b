//! The server's integration tests over HTTP on loopback.
//!
//! One test binary for the crate (ripgrep's pattern): each module below was
//! a test file of its own; together they link once.

mod ballots;
mod http;
mod sequencing;
mod served_copy;
