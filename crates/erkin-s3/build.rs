//! Tells the object-storage tests whether a Garage binary is here (on PATH,
//! or `../shared/tools/garage` beside the repository), so without it they
//! are reported as *ignored*, never as passed; in CI the suite's
//! `ci_has_garage` test fails instead. After installing Garage, `touch
//! crates/erkin-s3/build.rs` so this looks again.

use std::path::PathBuf;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=PATH");
    println!("cargo::rustc-check-cfg=cfg(erkin_test_garage)");
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("garage").is_file()));
    let shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/garage");
    if on_path || shared.is_file() {
        println!("cargo::rustc-cfg=erkin_test_garage");
    }
}
