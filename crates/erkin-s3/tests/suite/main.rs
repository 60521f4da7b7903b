//! erkin-s3 against a real Garage node on loopback: export, serve as a
//! website, mirror and verify from it, incremental re-export, refusals.
//!
//! Without a Garage binary these tests are reported as ignored (see
//! `build.rs`); in CI `ci_has_garage` fails instead.

mod cluster;
mod export;
mod garage;
mod interrupt;
mod newsroom;

/// In CI the object-storage tests must run.
#[test]
fn ci_has_garage() {
    if std::env::var_os("CI").is_some() && !cfg!(erkin_test_garage) {
        panic!("garage is neither on PATH nor in ../shared/tools, and CI is set");
    }
}
