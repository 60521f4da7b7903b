//! Key files are real age files: the `age` command-line tool opens what
//! `erkin key new` writes, and erkin opens what `age -p` writes.
//!
//! age reads passphrases only from a terminal (/dev/tty), never from stdin.
//! So each age run goes through `script` (util-linux), which gives it a
//! pseudo-terminal and copies our stdin into it:
//!
//!     printf 'passphrase\n' | script -qec "age -d -o OUT KEYFILE" /dev/null
//!
//! `-q` quiets script's banners, `-e` returns age's exit code, `-c` runs the
//! command, and `/dev/null` discards script's typescript. The passphrase line
//! waits in the terminal's line buffer until age reads it, so there is no race
//! to win. (Tested by hand with age 1.1.1 and util-linux 2.38.1.)
//!
//! Without age (or script) installed, the tests are reported as ignored, with
//! the reason (see `crates/erkin/build.rs`); in CI that fails the suite.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

const PASSPHRASE: &str = "correct horse battery";

fn erkin(passphrase: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_erkin"));
    c.env("ERKIN_PASSPHRASE", passphrase)
        .env("ERKIN_SCRYPT_WORK_FACTOR", "10")
        .env_remove("ERKIN_DIR")
        .stdin(Stdio::null());
    c
}

fn quote(p: &Path) -> String {
    let s = p.to_str().expect("temp paths are UTF-8");
    assert!(!s.contains('\''), "{s}");
    format!("'{s}'")
}

/// Runs `age ARGS` on a pseudo-terminal, typing `typed` into it.
fn age_on_a_terminal(args: &str, typed: &str) {
    let mut child = Command::new("script")
        .args(["-qec", &format!("age {args}"), "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(typed.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "age {args}: {out:?}");
}

fn key_new(dir: &Path, name: &str) -> (std::path::PathBuf, String) {
    let path = dir.join(format!("{name}.key.age"));
    let out = erkin(PASSPHRASE)
        .args(["--dir", dir.to_str().unwrap(), "key", "new", "--out"])
        .arg(&path)
        .args(["--name", name])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let vk = String::from_utf8(out.stdout).unwrap().trim().to_string();
    (path, vk)
}

#[test]
#[cfg_attr(
    not(erkin_test_age),
    ignore = "the age and script CLIs are not installed (apt-get install age util-linux)"
)]
fn age_decrypts_an_erkin_key_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, vk) = key_new(tmp.path(), "aigerim");
    let plain = tmp.path().join("plain.txt");
    age_on_a_terminal(
        &format!("-d -o {} {}", quote(&plain), quote(&key)),
        &format!("{PASSPHRASE}\n"),
    );
    let text = std::fs::read_to_string(&plain).unwrap();
    assert!(text.starts_with("PRIVATE+KEY+aigerim+"), "{text}");
    // The same key: name and key ID agree with the printed verifier key.
    let name_and_id: Vec<&str> = vk.splitn(3, '+').take(2).collect();
    assert!(
        text.starts_with(&format!("PRIVATE+KEY+{}+", name_and_id.join("+"))),
        "{text} does not belong to {vk}"
    );

    // A wrong passphrase is refused by age too (the file is really encrypted).
    let wrong = tmp.path().join("wrong.txt");
    let out = Command::new("script")
        .args([
            "-qec",
            &format!("age -d -o {} {}", quote(&wrong), quote(&key)),
            "/dev/null",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b"not the passphrase\n")?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(!out.status.success(), "age accepted a wrong passphrase");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("incorrect passphrase"), "{said}");
    assert!(std::fs::read(&wrong).map_or(true, |b| b.is_empty()));
}

#[test]
#[cfg_attr(
    not(erkin_test_age),
    ignore = "the age and script CLIs are not installed (apt-get install age util-linux)"
)]
fn erkin_opens_a_key_file_made_by_age() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, vk) = key_new(tmp.path(), "dauren");
    let plain = tmp.path().join("plain.txt");
    age_on_a_terminal(
        &format!("-d -o {} {}", quote(&plain), quote(&key)),
        &format!("{PASSPHRASE}\n"),
    );
    // Re-encrypted by age itself (binary format, age's own scrypt cost) to
    // another passphrase, typed twice as age asks.
    let reencrypted = tmp.path().join("by-age.age");
    let other = "another passphrase";
    age_on_a_terminal(
        &format!("-p -o {} {}", quote(&reencrypted), quote(&plain)),
        &format!("{other}\n{other}\n"),
    );
    assert!(std::fs::read(&reencrypted)
        .unwrap()
        .starts_with(b"age-encryption.org/v1\n"));
    let out = erkin(other)
        .args(["--dir", tmp.path().to_str().unwrap(), "key", "show"])
        .arg(&reencrypted)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), vk);
}
