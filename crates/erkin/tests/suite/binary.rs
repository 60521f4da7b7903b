//! Running the real `erkin` binary on a data directory, as the command-line
//! suites do: the passphrase from the environment, a cheap scrypt work
//! factor, no terminal.

use std::path::Path;
use std::process::{Command, Stdio};

pub const PASSPHRASE: &str = "correct horse battery";

pub fn erkin(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_erkin"))
        .env("ERKIN_PASSPHRASE", PASSPHRASE)
        .env("ERKIN_SCRYPT_WORK_FACTOR", "10")
        .env_remove("ERKIN_DIR")
        .stdin(Stdio::null())
        .arg("--dir")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    (
        o.status.code().expect("exited normally"),
        String::from_utf8(o.stdout).unwrap(),
        String::from_utf8(o.stderr).unwrap(),
    )
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = erkin(dir, args);
    assert_eq!(code, 0, "erkin {args:?} failed: {out}{err}");
    out.trim().to_string()
}

pub fn refused(dir: &Path, args: &[&str], phrase: &str) {
    let (code, out, err) = erkin(dir, args);
    assert_eq!(code, 1, "erkin {args:?} should fail: {out}{err}");
    assert!(
        err.contains(phrase),
        "erkin {args:?}: expected {phrase:?} in {err}"
    );
}
