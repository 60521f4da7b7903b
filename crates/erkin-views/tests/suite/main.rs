//! The renderer's integration tests: hostile input, and pages in headless Chromium.
//!
//! One test binary for the crate (ripgrep's pattern): each module below was
//! a test file of its own; together they link once.

mod chromium;
mod common;
mod hostile;
mod incremental;
mod site;
