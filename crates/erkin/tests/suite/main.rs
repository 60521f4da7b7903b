//! The erkin binary end to end: the CLI, the members' API, mirrors, the site in a browser, crashes.
//!
//! One test binary for the crate (ripgrep's pattern): each module below was
//! a test file of its own; together they link once.

mod age_cli;
mod cli;
mod crash_server;
mod governance_cli;
mod members_api;
mod mirror_e2e;
mod site_e2e;
