//! Tells the browser tests whether Chromium is here, so without it they are
//! reported as *ignored*, never as passed (`suite/chromium.rs`; in CI its
//! `ci_installs_chromium` test fails instead). After installing Chromium,
//! `touch crates/erkin-views/build.rs` so this looks again.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rustc-check-cfg=cfg(erkin_test_chromium)");
    if std::path::Path::new("/usr/bin/chromium").is_file() {
        println!("cargo::rustc-cfg=erkin_test_chromium");
    }
}
