//! End-to-end tests of the `erkin` binary: every command is run as a real
//! process, on real files, and judged by its exit code and its words.
//!
//! Every run sets ERKIN_PASSPHRASE (so no terminal is needed),
//! ERKIN_SCRYPT_WORK_FACTOR=10 (so key files are cheap to open) and passes
//! `--dir` explicitly. Exit codes: 0 ok, 1 error, 2 usage, 3 verify failed.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

const PASSPHRASE: &str = "correct horse battery";
const ORIGIN: &str = "news.example/kz";

// ---------------------------------------------------------------------------
// Running the binary

/// `erkin` with the test environment and nothing inherited that could change
/// its behaviour.
fn erkin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_erkin"));
    c.env("ERKIN_PASSPHRASE", PASSPHRASE)
        .env("ERKIN_SCRYPT_WORK_FACTOR", "10")
        .env_remove("ERKIN_DIR")
        .stdin(Stdio::null());
    c
}

#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn from_output(what: &str, o: Output) -> Self {
        let code = o
            .status
            .code()
            .unwrap_or_else(|| panic!("{what}: killed by a signal: {o:?}"));
        Run {
            code,
            stdout: String::from_utf8(o.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(o.stderr).expect("stderr is UTF-8"),
        }
    }

    /// Everything the run printed, for looking for a phrase wherever it went.
    fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// Asserts success and returns stdout's first line.
    fn ok_line(&self) -> String {
        assert_eq!(self.code, 0, "expected success, got {self:#?}");
        self.stdout.lines().next().unwrap_or("").to_string()
    }

    /// Asserts exit code `code` and that every phrase appears in the output.
    fn fails_with(&self, code: i32, phrases: &[&str]) {
        assert_eq!(self.code, code, "wrong exit code: {self:#?}");
        let all = self.all();
        for p in phrases {
            assert!(all.contains(p), "output lacks {p:?}: {self:#?}");
        }
    }
}

/// Runs `erkin --dir DIR ARGS...`.
fn run_in(dir: &Path, args: &[&str]) -> Run {
    run_cmd(erkin().arg("--dir").arg(dir).args(args))
}

fn run_cmd(cmd: &mut Command) -> Run {
    let what = format!("{cmd:?}");
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {what}: {e}"));
    Run::from_output(&what, out)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

// ---------------------------------------------------------------------------
// A founded publication with one statement, and its export

struct Fixture {
    tmp: TempDir,
    /// Data directory.
    data: PathBuf,
    /// aigerim's key file (a founder).
    key_a: PathBuf,
    /// saule's key file (not a member).
    key_c: PathBuf,
    /// The publication's verifier key.
    vkey: String,
    /// An export of the log after the statement.
    export: PathBuf,
}

impl Fixture {
    fn path(&self, rel: &str) -> PathBuf {
        self.tmp.path().join(rel)
    }
}

/// Runs `erkin key new --out DIR/FILE --name NAME`; returns the verifier key.
fn new_key(dir: &Path, file: &str, name: &str) -> (PathBuf, String) {
    let path = dir.join(file);
    let vk = run_in(
        &dir.join("unused"),
        &["key", "new", "--out", s(&path), "--name", name],
    )
    .ok_line();
    (path, vk)
}

fn init(data: &Path, founders: &[&str]) -> Run {
    let mut args = vec!["init", "--origin", ORIGIN, "--name", "Test"];
    for f in founders {
        args.push("--founder");
        args.push(f);
    }
    run_in(data, &args)
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (key_a, vk_a) = new_key(&root, "aigerim.key.age", "aigerim");
    let (_, vk_b) = new_key(&root, "dauren.key.age", "dauren");
    let (key_c, _) = new_key(&root, "saule.key.age", "saule");
    let data = root.join("data");
    let vkey = init(&data, &[&vk_a, &vk_b]).ok_line();
    let index = run_in(
        &data,
        &[
            "statement",
            "--key",
            s(&key_a),
            "Біз — тәуелсіз басылымбыз.",
        ],
    )
    .ok_line();
    assert_eq!(
        index,
        index_of_statement(&data, "Біз — тәуелсіз басылымбыз.")
    );
    let export = root.join("export");
    run_in(&data, &["export", s(&export)]).ok_line();
    Fixture {
        tmp,
        data,
        key_a,
        key_c,
        vkey,
        export,
    }
}

fn verify(source: &Path, vkey: &str) -> Run {
    run_in(
        &source.join("no-such-data-dir"),
        &["verify", s(source), "--key", vkey],
    )
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// A fresh copy of the fixture's export, to tamper with.
fn export_copy(f: &Fixture, name: &str) -> PathBuf {
    let to = f.path(name);
    copy_dir(&f.export, &to);
    to
}

/// The one file in `root/dir` (e.g. the width file of `tile/0/000.p`), as a
/// layout path relative to `root`.
fn only_file_in(root: &Path, dir: &str) -> String {
    let names: Vec<String> = fs::read_dir(root.join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 1, "{dir} holds {names:?}");
    format!("{dir}/{}", names[0])
}

fn flip_bit(path: &Path, offset: usize, mask: u8) {
    let mut b = fs::read(path).unwrap();
    b[offset] ^= mask;
    fs::write(path, b).unwrap();
}

fn log_json(data: &Path) -> Vec<Value> {
    let out = run_in(data, &["log", "--json"]);
    assert_eq!(out.code, 0, "{out:#?}");
    let v: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("log --json is not JSON ({e}): {}", out.stdout));
    v.as_array().expect("log --json is an array").clone()
}

/// The log without the sequencer's ticks: whether a command's batch was led
/// by a tick depends on whether the clock's second changed since the last
/// one, which a test does not control.
fn log_without_ticks(data: &Path) -> Vec<Value> {
    log_json(data)
        .into_iter()
        .filter(|e| e["action"] != "tick")
        .collect()
}

/// The log index of the statement with `text`.
fn index_of_statement(data: &Path, text: &str) -> String {
    log_json(data)
        .iter()
        .find(|e| e["summary"] == format!("statement: {text}"))
        .unwrap_or_else(|| panic!("no statement {text:?} in the log"))["index"]
        .to_string()
}

fn sqlite3(db: &Path, sql: &str) {
    let out = Command::new("sqlite3").arg(db).arg(sql).output().unwrap();
    assert!(out.status.success(), "sqlite3 {sql:?}: {out:?}");
}

// ---------------------------------------------------------------------------
// 1. key new / key show

#[test]
fn key_new_and_show() {
    let tmp = tempfile::tempdir().unwrap();
    let (path, vk) = new_key(tmp.path(), "k.age", "aigerim");
    assert!(vk.starts_with("aigerim+"), "{vk}");
    // name+id+key; the base64 key may itself contain '+'.
    let parts: Vec<&str> = vk.splitn(3, '+').collect();
    assert_eq!(parts.len(), 3, "{vk}");
    assert!(
        parts[1].len() == 8 && parts[1].bytes().all(|b| b.is_ascii_hexdigit()),
        "key ID of {vk}"
    );
    let bytes = fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains("PRIVATE"), "secret key in plaintext: {text}");
    assert!(
        text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "key file mode {mode:o} is readable by others"
        );
    }

    let dir = tmp.path().join("unused");
    assert_eq!(run_in(&dir, &["key", "show", s(&path)]).ok_line(), vk);

    let wrong = run_cmd(erkin().env("ERKIN_PASSPHRASE", "not the passphrase").args([
        "--dir",
        s(&dir),
        "key",
        "show",
        s(&path),
    ]));
    wrong.fails_with(1, &["passphrase is wrong"]);
    assert!(wrong.stdout.is_empty(), "{wrong:#?}");

    // Never overwritten.
    let again = run_in(
        &dir,
        &["key", "new", "--out", s(&path), "--name", "aigerim"],
    );
    again.fails_with(1, &["already exists"]);
    assert_eq!(fs::read(&path).unwrap(), bytes, "the key file was changed");
    assert_eq!(run_in(&dir, &["key", "show", s(&path)]).ok_line(), vk);
}

#[test]
fn key_new_refuses_a_short_passphrase() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("k.age");
    let out = run_cmd(erkin().env("ERKIN_PASSPHRASE", "short").args([
        "--dir",
        s(&tmp.path().join("unused")),
        "key",
        "new",
        "--out",
        s(&path),
    ]));
    out.fails_with(1, &["too short"]);
    assert!(!path.exists(), "a key file was written anyway");
}

// ---------------------------------------------------------------------------
// 2. init

#[test]
fn init_founds_once() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, k1) = new_key(tmp.path(), "a.age", "aigerim");
    let (_, k2) = new_key(tmp.path(), "b.age", "dauren");
    let data = tmp.path().join("data");
    let vkey = init(&data, &[&k1, &k2]).ok_line();
    assert!(vkey.starts_with(&format!("{ORIGIN}+")), "{vkey}");
    let log_key = fs::read(data.join("log-key.age")).expect("log-key.age exists");
    assert!(
        !String::from_utf8_lossy(&log_key).contains("PRIVATE"),
        "log key in plaintext"
    );

    let again = init(&data, &[&k1, &k2]);
    again.fails_with(1, &["already exists"]);
    assert_eq!(
        fs::read(data.join("log-key.age")).unwrap(),
        log_key,
        "the log key was replaced"
    );
    // The original publication is intact.
    assert_eq!(log_json(&data).len(), 1);
}

#[test]
fn init_with_a_malformed_founder_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, k1) = new_key(tmp.path(), "a.age", "aigerim");
    let data = tmp.path().join("data");
    let out = init(&data, &[&k1, "dauren+12345678+notbase64!"]);
    out.fails_with(1, &["--founder", "not a verifier key"]);
    assert!(
        !data.join("log-key.age").exists(),
        "a log key was left behind"
    );
    assert!(
        !data.join("erkin.sqlite").exists(),
        "a store was left behind"
    );
}

#[test]
fn init_with_founders_sharing_a_handle_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, k1) = new_key(tmp.path(), "a.age", "aigerim");
    let (_, k2) = new_key(tmp.path(), "b.age", "aigerim");
    let data = tmp.path().join("data");
    init(&data, &[&k1, &k2]).fails_with(1, &["genesis is invalid", "aigerim"]);
    assert!(
        !data.join("log-key.age").exists(),
        "a log key was left behind"
    );
    assert!(
        !data.join("erkin.sqlite").exists(),
        "a store was left behind"
    );
    // And the directory is usable for a correct init afterwards.
    init(&data, &[&k1]).ok_line();
}

#[test]
fn init_with_a_short_passphrase_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, k1) = new_key(tmp.path(), "a.age", "aigerim");
    let data = tmp.path().join("data");
    let out = run_cmd(erkin().env("ERKIN_PASSPHRASE", "short").args([
        "--dir",
        s(&data),
        "init",
        "--origin",
        ORIGIN,
        "--name",
        "Test",
        "--founder",
        &k1,
    ]));
    out.fails_with(1, &["too short"]);
    assert!(
        out.stdout.is_empty(),
        "a verifier key was printed: {out:#?}"
    );
    assert!(
        !data.join("log-key.age").exists(),
        "a log key was left behind"
    );
    assert!(
        !data.join("erkin.sqlite").exists(),
        "a store was left behind"
    );
}

#[test]
fn init_never_touches_an_existing_store() {
    let f = fixture();
    // The log key was moved away; the store is still a publication.
    fs::rename(f.data.join("log-key.age"), f.path("log-key.moved")).unwrap();
    let (_, k) = new_key(f.tmp.path(), "other.age", "aigerim");
    init(&f.data, &[&k]).fails_with(1, &["already exists"]);
    assert!(
        !f.data.join("log-key.age").exists(),
        "a new log key was written"
    );
    let log = log_json(&f.data);
    assert_eq!(log.len(), 2, "the existing log was changed: {log:#?}");
    verify(&f.data, &f.vkey).ok_line();
}

#[test]
fn init_without_a_founder_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    run_in(&data, &["init", "--origin", ORIGIN, "--name", "Test"]).fails_with(2, &["--founder"]);
    assert!(!data.exists());
}

// ---------------------------------------------------------------------------
// 3, 4. statement and log

/// `erkin ballot-key new | show | register`: a ballot secret in its own
/// encrypted file, its ballot key printed and registered by a member's
/// signed `ballot_key` entry; each refusal names its reason.
#[test]
fn ballot_key_new_show_and_register() {
    let f = fixture();
    let path = f.path("ballot.age");
    let made = run_in(&f.data, &["ballot-key", "new", "--out", s(&path)]);
    let key = made.ok_line();
    assert!(
        key.len() == 64
            && key
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "a ballot key is 64 lowercase hex digits: {made:#?}"
    );
    let bytes = fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{text}"
    );
    assert!(
        !text.contains("erkin-ballot-secret"),
        "plaintext secret: {text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "ballot secret mode {mode:o} is readable by others"
        );
    }
    assert_eq!(
        run_in(&f.data, &["ballot-key", "show", s(&path)]).ok_line(),
        key
    );

    // Never overwritten; a wrong passphrase, or a member key file given as
    // a ballot secret, is named.
    run_in(&f.data, &["ballot-key", "new", "--out", s(&path)]).fails_with(1, &["already exists"]);
    assert_eq!(
        fs::read(&path).unwrap(),
        bytes,
        "the ballot secret was changed"
    );
    let wrong = run_cmd(erkin().env("ERKIN_PASSPHRASE", "not the passphrase").args([
        "--dir",
        s(&f.data),
        "ballot-key",
        "show",
        s(&path),
    ]));
    wrong.fails_with(1, &["passphrase is wrong"]);
    assert!(wrong.stdout.is_empty(), "{wrong:#?}");
    run_in(&f.data, &["ballot-key", "show", s(&f.key_a)]).fails_with(1, &["not a ballot secret"]);

    let before = log_without_ticks(&f.data).len();
    let register = |key: &Path, json: bool| {
        let mut args = vec![
            "ballot-key",
            "register",
            "--key",
            s(key),
            "--ballot-key",
            s(&path),
        ];
        if json {
            args.push("--json");
        }
        run_in(&f.data, &args)
    };
    // A non-member cannot register one.
    register(&f.key_c, false).fails_with(1, &["not a member"]);
    let index = register(&f.key_a, true);
    assert_eq!(index.code, 0, "{index:#?}");
    let entry: Value = serde_json::from_str(&index.stdout).unwrap();
    let log = log_without_ticks(&f.data);
    assert_eq!(log.len(), before + 1, "{log:#?}");
    let last = log.last().unwrap();
    assert_eq!(last["index"], entry["index"], "{log:#?}");
    assert_eq!(last["action"], "ballot_key");
    assert_eq!(last["signer"], "aigerim");
    // The same key again is refused: a ballot key is registered once, ever.
    register(&f.key_a, false).fails_with(1, &["registered before"]);
    assert_eq!(log_without_ticks(&f.data).len(), before + 1);
}

#[test]
fn statements_and_the_log() {
    let f = fixture();
    // The fixture recorded index 1 by aigerim; a non-member is refused.
    let refused = run_in(
        &f.data,
        &["statement", "--key", s(&f.key_c), "I am not a member"],
    );
    refused.fails_with(1, &["not a member", "saule"]);
    // So is the publication's own log key: it orders entries, it is no member.
    let log_key = f.data.join("log-key.age");
    run_in(
        &f.data,
        &["statement", "--key", s(&log_key), "by the log key"],
    )
    .fails_with(1, &["not a member"]);
    // Blank text breaks the rules.
    run_in(&f.data, &["statement", "--key", s(&f.key_a), "  \n "])
        .fails_with(1, &["refused", "a statement must have"]);

    let log = log_without_ticks(&f.data);
    assert_eq!(
        log.len(),
        2,
        "refused statements must not be logged: {log:#?}"
    );
    assert_eq!(log[0]["index"], 0);
    assert_eq!(log[0]["action"], "genesis");
    assert_eq!(log[0]["signer"], ORIGIN);
    assert!(log[1]["index"].as_u64().is_some_and(|i| i >= 1), "{log:#?}");
    assert_eq!(log[1]["action"], "statement");
    assert_eq!(log[1]["signer"], "aigerim");
    assert_eq!(log[1]["summary"], "statement: Біз — тәуелсіз басылымбыз.");
    assert!(log[1]["time"].as_u64().is_some_and(|t| t > 1_600_000_000));
    assert_ne!(log[0]["leaf_hash"], log[1]["leaf_hash"]);

    let text = run_in(&f.data, &["log"]);
    assert_eq!(text.code, 0, "{text:#?}");
    let lines: Vec<&str> = text
        .stdout
        .lines()
        .filter(|l| !l.contains("records the log time"))
        .collect();
    assert_eq!(lines.len(), 2, "{text:#?}");
    assert!(
        lines[0].contains("founded \"Test\" with 2 founder(s)"),
        "{text:#?}"
    );
    assert!(
        lines[1].contains("aigerim") && lines[1].contains("statement:"),
        "{text:#?}"
    );

    // The next statement comes next in the log (after a tick, if the
    // sequencer's clock moved on).
    let first = log[1]["index"].as_u64().unwrap();
    let two = run_in(&f.data, &["statement", "--key", s(&f.key_a), "second"]).ok_line();
    assert_eq!(two, index_of_statement(&f.data, "second"));
    assert!(
        (first + 1..=first + 2).contains(&two.parse().unwrap()),
        "{two}"
    );
}

#[test]
fn log_without_a_publication_says_how_to_found_one() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run_in(&tmp.path().join("nothing"), &["log"]);
    out.fails_with(
        1,
        &["no erkin data here", "erkin: hint: run `erkin init --dir "],
    );
    // The library says what is wrong; only the CLI's hint names a command.
    let error = out
        .stderr
        .lines()
        .find(|l| l.starts_with("erkin: error:"))
        .expect("an error line");
    assert!(!error.contains("erkin init"), "{out:#?}");
}

// ---------------------------------------------------------------------------
// 5. export and verify

#[test]
fn export_and_verify() {
    let f = fixture();
    for rel in ["checkpoint", "erkin.json"] {
        assert!(
            f.export.join(rel).is_file(),
            "{rel} missing from the export"
        );
    }
    let desc: Value =
        serde_json::from_slice(&fs::read(f.export.join("erkin.json")).unwrap()).unwrap();
    assert_eq!(desc["origin"], ORIGIN);
    assert_eq!(desc["verifier_key"], f.vkey.as_str());

    let out = verify(&f.export, &f.vkey);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("OK"), "{out:#?}");
    assert!(out.stdout.contains("2 entries"), "{out:#?}");

    let out = verify(&f.data, &f.vkey);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("OK"), "{out:#?}");

    // --json
    let out = run_in(
        &f.data,
        &["verify", s(&f.export), "--key", &f.vkey, "--json"],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["size"], 2);
    assert_eq!(v["entries_checked"], 2);
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0));

    // Exporting an unchanged log writes nothing.
    let again = run_in(&f.data, &["export", s(&f.export)]);
    assert_eq!(again.code, 0, "{again:#?}");
    assert!(again.stderr.contains("0 files written"), "{again:#?}");

    // A new entry: the export is updated and still verifies.
    run_in(&f.data, &["statement", "--key", s(&f.key_a), "third entry"]).ok_line();
    let more = run_in(&f.data, &["export", s(&f.export)]);
    assert_eq!(more.code, 0, "{more:#?}");
    assert!(!more.stderr.contains(" 0 files written"), "{more:#?}");
    let size = log_json(&f.data).len();
    assert!(f
        .export
        .join(format!("tile/entries/000.p/{size}"))
        .is_file());
    assert!(f.export.join(format!("tile/0/000.p/{size}")).is_file());
    let out = verify(&f.export, &f.vkey);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("3 entries"), "{out:#?}");
}

// ---------------------------------------------------------------------------
// 6. Tampered copies: each fails with exit 3 and names what is wrong

#[test]
fn tampered_hash_tile_is_named() {
    let f = fixture();
    let t = export_copy(&f, "t");
    let tile = only_file_in(&t, "tile/0/000.p");
    assert_eq!(tile, "tile/0/000.p/2");
    flip_bit(&t.join(&tile), 37, 0x10);
    verify(&t, &f.vkey).fails_with(3, &["FAILED", &tile, "does not match"]);
}

#[test]
fn truncated_hash_tile_is_named() {
    let f = fixture();
    let t = export_copy(&f, "t");
    let tile = only_file_in(&t, "tile/0/000.p");
    let bytes = fs::read(t.join(&tile)).unwrap();
    fs::write(t.join(&tile), &bytes[..bytes.len() - 1]).unwrap();
    verify(&t, &f.vkey).fails_with(3, &[&tile, "63 bytes, expected 64"]);
}

#[test]
fn tampered_entry_bundle_is_named() {
    let f = fixture();
    let t = export_copy(&f, "t");
    let bundle = only_file_in(&t, "tile/entries/000.p");
    assert_eq!(bundle, "tile/entries/000.p/2");
    let path = t.join(&bundle);
    let bytes = fs::read(&path).unwrap();
    // Inside the statement's JSON text: "Б" is D0 91; flipping the low bit of
    // the continuation byte makes it "А" (D0 90), still valid UTF-8.
    let needle = "Біз".as_bytes();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the statement's text is in the bundle");
    flip_bit(&path, at + 1, 0x01);
    assert!(String::from_utf8_lossy(&fs::read(&path).unwrap()).contains("Аіз"));
    let out = verify(&t, &f.vkey);
    out.fails_with(
        3,
        &[
            &bundle,
            "entry 1 is not the entry the checkpoint commits to",
        ],
    );
    // The fold also catches the broken member signature.
    out.fails_with(3, &["entry 1", "does not verify"]);
}

#[test]
fn tampered_checkpoint_body_fails_its_signature() {
    let f = fixture();
    let original = fs::read_to_string(f.export.join("checkpoint")).unwrap();
    let lines: Vec<&str> = original.split('\n').collect();
    assert_eq!(&lines[..2], &[ORIGIN, "2"], "{original}");

    // The size: '2' (0x32) with one bit flipped is '3'.
    let t = export_copy(&f, "size");
    flip_bit(&t.join("checkpoint"), ORIGIN.len() + 1, 0x01);
    assert!(fs::read_to_string(t.join("checkpoint"))
        .unwrap()
        .starts_with(&format!("{ORIGIN}\n3\n")));
    verify(&t, &f.vkey).fails_with(3, &["checkpoint", "does not verify"]);

    // One base64 character of the root replaced by another.
    let t = export_copy(&f, "root");
    let at = ORIGIN.len() + 1 + 2 + 10;
    let mut b = original.clone().into_bytes();
    b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    fs::write(t.join("checkpoint"), &b).unwrap();
    verify(&t, &f.vkey).fails_with(3, &["checkpoint", "does not verify"]);
}

#[test]
fn tampered_checkpoint_signature_fails() {
    let f = fixture();
    let t = export_copy(&f, "t");
    let text = fs::read_to_string(t.join("checkpoint")).unwrap();
    let sig_line = text
        .lines()
        .find(|l| l.starts_with("— "))
        .expect("a signature line");
    // "— <name> <base64(key ID || signature)>": change one character inside
    // the signature, well past the 4-byte key ID.
    let b64_start = text.find(sig_line).unwrap() + sig_line.rfind(' ').unwrap() + 1;
    let at = b64_start + 40;
    let mut b = text.into_bytes();
    b[at] = if b[at] == b'A' { b'B' } else { b'A' };
    fs::write(t.join("checkpoint"), &b).unwrap();
    verify(&t, &f.vkey).fails_with(3, &["FAILED", "checkpoint", "does not verify"]);
}

#[test]
fn missing_files_are_named() {
    let f = fixture();
    let t = export_copy(&f, "tile");
    let tile = only_file_in(&t, "tile/0/000.p");
    fs::remove_file(t.join(&tile)).unwrap();
    verify(&t, &f.vkey).fails_with(3, &[&format!("{tile}: missing")]);

    let t = export_copy(&f, "bundle");
    let bundle = only_file_in(&t, "tile/entries/000.p");
    fs::remove_file(t.join(&bundle)).unwrap();
    verify(&t, &f.vkey).fails_with(3, &[&format!("{bundle}: missing")]);

    let t = export_copy(&f, "checkpoint");
    fs::remove_file(t.join("checkpoint")).unwrap();
    // Without a checkpoint it is no longer recognisable as a copy at all.
    verify(&t, &f.vkey).fails_with(1, &["neither a data directory"]);
}

#[test]
fn checkpoint_of_another_publication_is_refused() {
    let f = fixture();
    // A second publication with the same origin (another log key).
    let (_, k) = new_key(f.tmp.path(), "other.age", "aigerim");
    let other = f.path("other-data");
    let other_vkey = init(&other, &[&k]).ok_line();
    assert_ne!(other_vkey, f.vkey);
    assert!(other_vkey.starts_with(&format!("{ORIGIN}+")));
    let other_export = f.path("other-export");
    run_in(&other, &["export", s(&other_export)]).ok_line();
    verify(&other_export, &other_vkey).ok_line();

    let t = export_copy(&f, "t");
    fs::copy(other_export.join("checkpoint"), t.join("checkpoint")).unwrap();
    verify(&t, &f.vkey).fails_with(3, &["checkpoint", "not signed by", &f.vkey]);

    // And the genuine copy checked against the wrong pinned key.
    verify(&f.export, &other_vkey).fails_with(3, &["not signed by"]);
    verify(&f.data, &other_vkey).fails_with(3, &["not signed by"]);
}

/// `verify --deep` of a data directory: the stored state snapshot against
/// a refold of the log, after the ordinary checks; a snapshot whose
/// recorded digest is not its head's is named, and the exit is 3.
#[test]
fn verify_deep_checks_the_state_snapshot_against_a_refold() {
    let f = fixture();
    let deep = |dir: &Path| run_in(dir, &["verify", s(dir), "--key", &f.vkey, "--deep"]);
    let good = deep(&f.data);
    assert_eq!(good.code, 0, "{good:#?}");
    assert!(good.stdout.contains("agrees with a refold"), "{good:#?}");
    assert!(good.stdout.contains("state       digest "), "{good:#?}");
    assert!(
        good.stdout.contains("so do the lists kept beside it"),
        "{good:#?}"
    );
    // A place no article has, put into the lists kept beside the
    // snapshot: named.
    {
        let db = rusqlite::Connection::open(f.data.join(erkin_store::store::DB_FILE)).unwrap();
        let put = db
            .execute(
                "INSERT INTO state_lists (kind, lang, name, minus_at, slug, k) VALUES (1, '', 'made-up', -1, 'nobody', 0)",
                [],
            )
            .unwrap();
        assert_eq!(put, 1);
    }
    deep(&f.data).fails_with(
        3,
        &[
            "lists kept beside the state snapshot",
            "not those its articles make",
        ],
    );
    // A leaf kept beside the snapshot that is not its row's: named too
    // (a snapshot of the articles stored first: the fixture's is older).
    {
        let story = f.path("leaf.md");
        article(&story, "with-a-leaf", "With a leaf");
        run_in(&f.data, &["publish", "--key", s(&f.key_a), s(&story)]).ok_line();
        let mut p = erkin_store::Publication::open(&f.data).unwrap();
        assert!(p.store_snapshot().unwrap());
        assert!(p.state().article_count() > 0);
        drop(p);
        let db = rusqlite::Connection::open(f.data.join(erkin_store::store::DB_FILE)).unwrap();
        let changed = db
            .execute(
                "UPDATE state_article_leaves SET leaf = zeroblob(32) WHERE slug = (SELECT MIN(slug) FROM state_article_leaves)",
                [],
            )
            .unwrap();
        assert_eq!(changed, 1);
    }
    deep(&f.data).fails_with(
        3,
        &[
            "lists kept beside the state snapshot",
            "leaves kept beside the state snapshot",
            "not those of its articles' rows",
        ],
    );
    // The snapshot refiled under a digest that is not the one its head
    // records: opening would refold; --deep says so.
    {
        let p = erkin_store::Publication::open(&f.data).unwrap();
        let mut snap = erkin_core::snapshot::encode(p.state());
        snap.digest = [0; 32];
        assert!(p.store().put_snapshot(&snap, true).unwrap());
    }
    deep(&f.data).fails_with(3, &["state snapshot is not usable", "WrongDigest"]);
}

#[test]
fn verify_json_reports_findings() {
    let f = fixture();
    let t = export_copy(&f, "t");
    let tile = only_file_in(&t, "tile/0/000.p");
    flip_bit(&t.join(&tile), 0, 0x80);
    let out = run_in(&t, &["verify", s(&t), "--key", &f.vkey, "--json"]);
    assert_eq!(out.code, 3, "{out:#?}");
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{v:#}");
    assert!(
        findings[0]
            .as_str()
            .unwrap()
            .starts_with(&format!("{tile}:")),
        "{v:#}"
    );

    fs::copy(f.export.join("checkpoint"), t.join("checkpoint")).unwrap();
    let mut b = fs::read(t.join("checkpoint")).unwrap();
    b[ORIGIN.len() + 1] ^= 0x01;
    fs::write(t.join("checkpoint"), b).unwrap();
    let out = run_in(&t, &["verify", s(&t), "--key", &f.vkey, "--json"]);
    assert_eq!(out.code, 3, "{out:#?}");
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["ok"], false);
    assert!(
        v["fatal"].as_str().unwrap().contains("does not verify"),
        "{v:#}"
    );
}

// ---------------------------------------------------------------------------
// 7. verify's own errors are exit 1, not 3

#[test]
fn verify_with_a_malformed_key_is_an_error() {
    let f = fixture();
    let bad = f.vkey.replace('+', "-");
    run_in(&f.data, &["verify", s(&f.export), "--key", &bad])
        .fails_with(1, &["--key", "not a verifier key"]);
    let truncated = &f.vkey[..f.vkey.len() - 4];
    run_in(&f.data, &["verify", s(&f.export), "--key", truncated]).fails_with(1, &["--key"]);
}

#[test]
fn verify_of_an_empty_directory_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, vk) = new_key(tmp.path(), "k.age", ORIGIN);
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    verify(&empty, &vk).fails_with(1, &["neither a data directory"]);
    verify(&tmp.path().join("does-not-exist"), &vk).fails_with(1, &["neither a data directory"]);
}

// ---------------------------------------------------------------------------
// 8. Opening a damaged store

#[test]
fn garbage_store_is_not_an_erkin_database() {
    let f = fixture();
    let db = f.data.join("erkin.sqlite");
    for side in ["erkin.sqlite-wal", "erkin.sqlite-shm"] {
        let _ = fs::remove_file(f.data.join(side));
    }
    fs::write(&db, vec![0x5a; 8192]).unwrap();
    run_in(&f.data, &["log"]).fails_with(1, &["erkin.sqlite", "not an erkin database"]);
    run_in(&f.data, &["statement", "--key", s(&f.key_a), "hello"])
        .fails_with(1, &["not an erkin database"]);
    run_in(&f.data, &["export", s(&f.path("out"))]).fails_with(1, &["not an erkin database"]);
    assert!(!f.path("out").exists());
}

#[test]
#[cfg_attr(
    not(erkin_test_sqlite3),
    ignore = "sqlite3 is not installed (apt-get install sqlite3)"
)]
fn other_sqlite_database_is_not_an_erkin_database() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    fs::create_dir(&data).unwrap();
    sqlite3(
        &data.join("erkin.sqlite"),
        "CREATE TABLE t (x); INSERT INTO t VALUES (1);",
    );
    run_in(&data, &["log"]).fails_with(1, &["not an erkin database", "application_id"]);
}

#[test]
#[cfg_attr(
    not(erkin_test_sqlite3),
    ignore = "sqlite3 is not installed (apt-get install sqlite3)"
)]
fn store_from_a_newer_erkin_is_refused() {
    let f = fixture();
    sqlite3(&f.data.join("erkin.sqlite"), "PRAGMA user_version = 99;");
    run_in(&f.data, &["log"]).fails_with(
        1,
        &["newer erkin", "format 99", "erkin: hint: upgrade erkin"],
    );
    run_in(&f.data, &["statement", "--key", s(&f.key_a), "hello"]).fails_with(1, &["newer erkin"]);
}

#[test]
#[cfg_attr(
    not(erkin_test_sqlite3),
    ignore = "sqlite3 is not installed (apt-get install sqlite3)"
)]
fn tampered_entry_in_a_data_directory_is_named() {
    let f = fixture();
    verify(&f.data, &f.vkey).ok_line();
    sqlite3(
        &f.data.join("erkin.sqlite"),
        "UPDATE entries SET data = CAST(REPLACE(CAST(data AS TEXT), 'Біз', 'Сіз') AS BLOB) WHERE idx = 1;",
    );
    verify(&f.data, &f.vkey).fails_with(
        3,
        &[
            "tile/entries/000.p/2",
            "entry 1 is not the entry the checkpoint commits to",
        ],
    );
}

/// BUG: `erkin verify DATA_DIR` on a data directory whose stored checkpoint
/// was altered exits 1 ("error") with "the store is corrupt ... `erkin verify`
/// shows details", while the same tampering in an export exits 3. The exit
/// code of `verify` must not depend on which kind of copy was tampered with:
/// scripts rely on 3 meaning "this copy is not genuine".
#[test]
#[cfg_attr(
    not(erkin_test_sqlite3),
    ignore = "sqlite3 is not installed (apt-get install sqlite3)"
)]
fn tampered_checkpoint_in_a_data_directory_fails_verification() {
    let f = fixture();
    // The latest checkpoint's size line "2" becomes "3" (one bit).
    sqlite3(
        &f.data.join("erkin.sqlite"),
        &format!(
            "UPDATE checkpoints SET note = CAST(REPLACE(CAST(note AS TEXT), '{ORIGIN}' || char(10) || '2' || char(10), '{ORIGIN}' || char(10) || '3' || char(10)) AS BLOB) WHERE size = 2;"
        ),
    );
    verify(&f.data, &f.vkey).fails_with(3, &["checkpoint", "does not verify"]);
}

/// BUG: two `erkin statement` runs that overlap both report the same index.
/// `Publication::submit` admits entries against the state folded when the
/// store was opened; `Store::append` then re-reads the size under the write
/// lock and appends at the true end, so the entry lands at index N+1 while the
/// command prints N (and rules are checked against a stale state).
///
/// The overlap is made deterministic (no race on timing): run A reads its member
/// key from a FIFO, which it opens only after it has opened the store and
/// folded the log. While A waits on the FIFO, run B records a statement; then
/// A is fed the key and finishes.
#[cfg(target_os = "linux")]
#[test]
fn overlapping_statements_report_their_true_index() {
    use std::os::unix::fs::OpenOptionsExt;
    const O_NONBLOCK: i32 = 0o4000; // Linux

    let f = fixture();
    let fifo = f.path("key.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());

    let mut a: std::process::Child = erkin()
        .args([
            "--dir",
            s(&f.data),
            "statement",
            "--key",
            s(&fifo),
            "from A",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Open the FIFO for writing once A has opened it for reading (which it
    // does after folding the log). Poll so that a failed A ends the test.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let mut writer = loop {
        match fs::OpenOptions::new()
            .write(true)
            .custom_flags(O_NONBLOCK)
            .open(&fifo)
        {
            Ok(w) => break w,
            Err(e) if e.raw_os_error() == Some(6) => {} // ENXIO: no reader yet
            Err(e) => panic!("opening the FIFO: {e}"),
        }
        if let Some(status) = a.try_wait().unwrap() {
            panic!(
                "A ended before reading its key: {status} {:?}",
                a.wait_with_output()
            );
        }
        assert!(
            std::time::Instant::now() < deadline,
            "A never opened the FIFO"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    };

    let b = run_in(&f.data, &["statement", "--key", s(&f.key_a), "from B"]).ok_line();
    assert_eq!(b, index_of_statement(&f.data, "from B"));

    writer.write_all(&fs::read(&f.key_a).unwrap()).unwrap();
    drop(writer);
    let a = Run::from_output("A", a.wait_with_output().unwrap());
    let a_index = a.ok_line();

    let log = log_json(&f.data);
    let recorded = log
        .iter()
        .find(|e| e["summary"] == "statement: from A")
        .expect("A's statement is in the log");
    assert_eq!(
        a_index,
        recorded["index"].to_string(),
        "A printed {a_index}, but its statement is entry {}; log: {log:#?}",
        recorded["index"]
    );
}

// ---------------------------------------------------------------------------
// 9. demo

#[test]
fn demo_founds_exports_and_verifies() {
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("demo");
    let out = run_in(
        &tmp.path().join("unused"),
        &["demo", "--no-serve", "--into", s(&into)],
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("verification"), "{out:#?}");
    assert!(out.stdout.contains("OK"), "{out:#?}");
    assert!(!out.stdout.contains("FAILED"), "{out:#?}");

    // What it made is real: the copy verifies against the printed key, and
    // the data directory opens.
    let vkey = out
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("verifier key"))
        .expect("the demo prints its verifier key")
        .trim()
        .to_string();
    let site = into.join("site");
    let v = verify(&site, &vkey);
    assert_eq!(v.code, 0, "{v:#?}");
    // Genesis, 4 statements, an admission (propose, 3 votes, close), a board
    // election opened (propose, 3 nominations, a consent), 12 articles, a correction
    // and a retraction (propose, 4 votes, close).
    // (The sequencer's ticks come on top, wherever its clock's second
    // changed between batches.)
    let logged: Value = serde_json::from_str(
        &run_cmd(erkin().args(["log", "--dir", s(&into.join("data")), "--json"])).stdout,
    )
    .unwrap();
    let ticks = logged.as_array().map_or(0, |all| {
        all.iter().filter(|e| e["action"] == "tick").count()
    });
    assert!(
        v.stdout.contains(&format!("{} entries", 34 + ticks)),
        "{v:#?}"
    );
    let log = run_cmd(
        erkin()
            .env("ERKIN_PASSPHRASE", "erkin-demo-passphrase")
            .args(["--dir", s(&into.join("data")), "log", "--json"]),
    );
    assert_eq!(log.code, 0, "{log:#?}");
    let v: Value = serde_json::from_str(&log.stdout).unwrap();
    assert_eq!(v.as_array().map(Vec::len), Some(34 + ticks));
    let board = run_cmd(erkin().args(["--dir", s(&into.join("data")), "board", "--json"]));
    let board: Value = serde_json::from_str(&board.stdout).unwrap();
    assert_eq!(
        board.as_array().map(Vec::len),
        Some(3),
        "the demo elects a 3-seat board"
    );
}

/// The demo's hint lines: the commands it tells the reader to run.
fn demo_hint<'a>(stdout: &'a str, needle: &str) -> &'a str {
    stdout
        .lines()
        .map(str::trim)
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no hint with {needle:?} in {stdout}"))
}

#[test]
fn demo_writes_into_dir_and_its_hints_name_the_real_address_and_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let into = tmp.path().join("my demo");
    let out = run_cmd(erkin().args([
        "demo",
        "--no-serve",
        "--dir",
        s(&into),
        "--listen",
        "127.0.0.1:18123",
    ]));
    assert_eq!(out.code, 0, "{out:#?}");
    // Written where --dir said, and kept.
    assert!(into.join("data/erkin.sqlite").is_file(), "{out:#?}");
    assert!(into.join("site/checkpoint").is_file(), "{out:#?}");
    assert!(into.join("keys/saule.key.age").is_file(), "{out:#?}");
    // The hints name the address given, never the default port.
    assert!(out.stdout.contains("http://127.0.0.1:18123/"), "{out:#?}");
    assert!(!out.stdout.contains("8080"), "{out:#?}");
    // ... and a binary that runs: the test's PATH has no `erkin`, so the
    // hint names this very binary; running the printed `log` line works.
    let exe = fs::canonicalize(env!("CARGO_BIN_EXE_erkin")).unwrap();
    let hint = demo_hint(&out.stdout, " log --dir ");
    let words: Vec<String> = hint
        .split(" log --dir ")
        .map(|w| w.trim_matches('\'').to_string())
        .collect();
    assert_eq!(fs::canonicalize(&words[0]).unwrap(), exe, "{hint}");
    let log = run_cmd(
        Command::new(&words[0])
            .args(["log", "--dir", &words[1], "--json"])
            .stdin(Stdio::null()),
    );
    let entries: Value = serde_json::from_str(&log.stdout).unwrap();
    // The demo's 34 entries, and the sequencer's ticks wherever its clock's
    // second changed between batches.
    let members_entries = entries
        .as_array()
        .map(|all| all.iter().filter(|e| e["action"] != "tick").count());
    assert_eq!(members_entries, Some(34), "{log:#?}");
}

#[test]
fn demo_without_dir_cleans_up_unless_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let scratch = tmp.path().join("tmp");
    fs::create_dir_all(&scratch).unwrap();
    let left = || fs::read_dir(&scratch).unwrap().count();
    let out = run_cmd(erkin().env("TMPDIR", &scratch).args(["demo", "--no-serve"]));
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(out.stdout.contains("temporary directory"), "{out:#?}");
    assert_eq!(left(), 0, "the demo left files behind: {out:#?}");
    let out = run_cmd(
        erkin()
            .env("TMPDIR", &scratch)
            .args(["demo", "--no-serve", "--keep"]),
    );
    assert_eq!(out.code, 0, "{out:#?}");
    assert_eq!(left(), 1, "--keep keeps the demo: {out:#?}");
}

#[test]
fn options_live_on_the_commands_that_use_them() {
    let help = |args: &[&str]| {
        let r = run_cmd(erkin().args(args).arg("--help"));
        assert_eq!(r.code, 0, "{r:#?}");
        r.stdout
    };
    let mirror = help(&["mirror"]);
    assert!(
        !mirror.contains("--dir") && !mirror.contains("--server"),
        "{mirror}"
    );
    let verify = help(&["verify"]);
    assert!(
        !verify.contains("--dir") && !verify.contains("--server"),
        "{verify}"
    );
    let export = help(&["export"]);
    assert!(
        export.contains("--dir") && !export.contains("--server"),
        "{export}"
    );
    let vote = help(&["vote"]);
    assert!(
        vote.contains("--dir") && vote.contains("--server"),
        "{vote}"
    );

    // A server given to a command that cannot use it is a usage error, not
    // silently ignored.
    let tmp = tempfile::tempdir().unwrap();
    let r = run_cmd(erkin().args(["--server", "http://127.0.0.1:9/", "export", s(tmp.path())]));
    r.fails_with(2, &["--server"]);

    // Both forms name the same directory; the command's own option wins.
    let f = fixture();
    let before = run_in(&f.data, &["log", "--json"]);
    let after = run_cmd(erkin().args(["log", "--json", "--dir", s(&f.data)]));
    assert_eq!(before.code, 0, "{before:#?}");
    assert_eq!(before.stdout, after.stdout);
    let own_wins = run_in(
        &f.path("nothing-here"),
        &["log", "--json", "--dir", s(&f.data)],
    );
    assert_eq!(own_wins.stdout, before.stdout, "{own_wins:#?}");
    // ERKIN_DIR is read when no --dir is given.
    let env = run_cmd(erkin().env("ERKIN_DIR", &f.data).args(["log", "--json"]));
    assert_eq!(env.stdout, before.stdout, "{env:#?}");
}

#[test]
fn mirror_refusing_a_tampered_copy_exits_3() {
    let f = fixture();
    let copy = export_copy(&f, "tampered");
    let bundle = copy.join(only_file_in(&copy, "tile/entries/000.p"));
    let bytes = fs::read(&bundle).unwrap();
    let needle = "Біз".as_bytes();
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap();
    flip_bit(&bundle, at + 1, 0x01);
    let r = run_cmd(erkin().args([
        "mirror",
        s(&copy),
        "--into",
        s(&f.path("mirror")),
        "--key",
        &f.vkey,
    ]));
    r.fails_with(3, &["refused"]);
}

/// Parses stdout as exactly one JSON document.
fn json_of(r: &Run) -> Value {
    assert_eq!(r.code, 0, "{r:#?}");
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}): {r:#?}"))
}

fn article(path: &Path, slug: &str, title: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(
        path,
        format!("---\ntitle: {title}\nslug: {slug}\nlang: en\nsummary: A test.\nauthors: [aigerim]\n---\n\nSome text about {title}.\n"),
    )
    .unwrap();
}

/// `erkin correct` weighs the correction against the article's current
/// text when the article's row is in the stored snapshot, not in the
/// entries after it (the command opens without reading every row and
/// fetches that one).
#[test]
fn a_correction_of_an_article_in_the_snapshot_is_weighed_against_it() {
    let f = fixture();
    let story = f.path("story.md");
    article(&story, "in-the-snapshot", "In the snapshot");
    let ka = s(&f.key_a);
    run_in(&f.data, &["publish", "--key", ka, s(&story)]).ok_line();
    {
        let mut p = erkin_store::Publication::open(&f.data).unwrap();
        assert!(p.store_snapshot().unwrap());
    }
    fs::write(
        &story,
        "---\ntitle: In the snapshot\nslug: in-the-snapshot\nlang: en\nsummary: A test.\nauthors: [aigerim]\n---\n\nwithdrawn entirely\n",
    )
    .unwrap();
    let r = run_in(
        &f.data,
        &[
            "correct",
            "in-the-snapshot",
            s(&story),
            "--key",
            ka,
            "--note",
            "Withdrawn.",
        ],
    );
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(
        r.stderr
            .contains("recorded as a major correction, and readers see it as one"),
        "{r:#?}"
    );
}

#[test]
fn json_on_every_command_whose_output_is_data() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let (key_a, vk_a) = new_key(root, "aigerim.key.age", "aigerim");
    let (key_b, vk_b) = new_key(root, "dauren.key.age", "dauren");
    let (ka, kb) = (s(&key_a), s(&key_b));
    let data = root.join("data");
    let d = s(&data);

    let founded = json_of(&run_cmd(erkin().args([
        "init",
        "--dir",
        d,
        "--origin",
        ORIGIN,
        "--name",
        "Test",
        "--founder",
        &vk_a,
        "--founder",
        &vk_b,
        "--json",
    ])));
    assert!(
        founded["verifier_key"]
            .as_str()
            .unwrap()
            .starts_with(ORIGIN),
        "{founded}"
    );
    assert_eq!(founded["name"], "Test");

    let st = json_of(&run_in(
        &data,
        &["statement", "--key", ka, "For the record.", "--json"],
    ));
    assert_eq!(
        st["index"].to_string(),
        index_of_statement(&data, "For the record.")
    );

    // A resolution both founders pass (founders are the first board, so
    // they may publish).
    let prop = json_of(&run_in(
        &data,
        &[
            "propose",
            "--key",
            ka,
            "--title",
            "Board",
            "--json",
            "resolution",
            "We publish daily.",
        ],
    ));
    let id = prop["proposal"].as_u64().unwrap();
    // A proposal's ID is its entry's index (after a tick, if the clock moved).
    let proposed = log_json(&data)
        .into_iter()
        .find(|e| e["action"] == "propose")
        .expect("the proposal is in the log");
    assert_eq!(proposed["index"].as_u64(), Some(id));
    assert!(prop["closes_at"].as_u64().unwrap() > 0, "{prop}");
    let ids = id.to_string();
    for k in [ka, kb] {
        let v = json_of(&run_in(&data, &["vote", &ids, "yes", "--key", k, "--json"]));
        assert_eq!(v["proposal"], id);
        assert!(v["index"].as_u64().unwrap() > id, "{v}");
    }
    let closed = json_of(&run_in(&data, &["close", &ids, "--key", ka, "--json"]));
    assert_eq!(closed["proposal"], id);
    assert_eq!(closed["passed"], true, "{closed}");
    assert!(closed["effect"].is_string(), "{closed}");

    let story = root.join("story.md");
    article(&story, "first-story", "First story");
    let published = json_of(&run_in(
        &data,
        &["publish", "--key", ka, s(&story), "--json"],
    ));
    assert_eq!(published["slug"], "first-story");
    let corrected = json_of(&run_in(
        &data,
        &[
            "correct",
            "first-story",
            s(&story),
            "--key",
            ka,
            "--note",
            "Fixed.",
            "--json",
        ],
    ));
    assert_eq!(corrected["slug"], "first-story");
    assert_eq!(
        corrected["index"].as_u64().unwrap(),
        published["index"].as_u64().unwrap() + 1
    );

    let folder = root.join("content");
    article(&folder.join("a.md"), "second", "Second");
    article(&folder.join("sub/b.md"), "third", "Third");
    let imported = json_of(&run_in(
        &data,
        &["import", "--key", ka, s(&folder), "--json"],
    ));
    assert_eq!(imported["imported"], 2);
    assert_eq!(imported["indexes"].as_array().map(Vec::len), Some(2));

    let site = root.join("site");
    let exported = json_of(&run_in(&data, &["export", s(&site), "--json"]));
    // The whole log, and after the close exactly the publication, its
    // correction and the two imported articles (plus the sequencer's ticks,
    // wherever its clock's second changed between batches: under load, one
    // more than on a quiet machine).
    let log = log_json(&data);
    assert_eq!(exported["entries"].as_u64(), Some(log.len() as u64));
    let after_close: Vec<&Value> = log
        .iter()
        .skip(closed["index"].as_u64().unwrap() as usize + 1)
        .filter(|e| e["action"] != "tick")
        .collect();
    assert_eq!(after_close.len(), 4, "{after_close:#?}");
    assert!(exported["written"].as_u64().unwrap() > 0, "{exported}");
    // The first correction changed nothing and warned of nothing.
    let r = run_in(
        &data,
        &[
            "correct",
            "first-story",
            s(&story),
            "--key",
            ka,
            "--note",
            "Again.",
        ],
    );
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(!r.stderr.contains("major correction"), "{r:#?}");
    // A "correction" that replaces the whole text is recorded as major,
    // and the editor is told so (nothing is asked).
    fs::write(
        &story,
        "---\ntitle: First story\nslug: first-story\nlang: en\nsummary: A test.\nauthors: [aigerim]\n---\n\nwithdrawn\n",
    )
    .unwrap();
    let r = run_in(
        &data,
        &[
            "correct",
            "first-story",
            s(&story),
            "--key",
            ka,
            "--note",
            "Withdrawn.",
        ],
    );
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(
        r.stderr
            .contains("recorded as a major correction, and readers see it as one"),
        "{r:#?}"
    );
    let last = log_json(&data)
        .into_iter()
        .rfind(|e| e["action"] == "correct")
        .expect("the correction is in the log");
    assert!(last.to_string().contains("major"), "{last}");
}

#[test]
fn import_and_export_print_only_their_result_when_stderr_is_not_a_terminal() {
    // One founder: the first board, so she may publish.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (key, vk) = new_key(&root, "aigerim.key.age", "aigerim");
    let k = s(&key);
    let data = root.join("data");
    let log_vk = init(&data, &[&vk]).ok_line();
    let folder = root.join("content");
    for i in 0..3 {
        article(
            &folder.join(format!("{i}.md")),
            &format!("story-{i}"),
            &format!("Story {i}"),
        );
    }
    let import = run_in(&data, &["import", "--key", k, s(&folder)]);
    assert_eq!(import.code, 0, "{import:#?}");
    assert_eq!(import.stdout, "3\n", "{import:#?}");
    assert_eq!(
        import.stderr,
        format!("Imported 3 articles from {}.\n", folder.display()),
        "no progress bar or counter when stderr is not a terminal"
    );
    let site = root.join("site");
    let export = run_in(&data, &["export", s(&site)]);
    assert_eq!(export.code, 0, "{export:#?}");
    assert_eq!(export.stdout, "", "{export:#?}");
    assert_eq!(export.stderr.lines().count(), 1, "{export:#?}");
    assert!(export.stderr.starts_with("Exported "), "{export:#?}");
    assert!(
        !export.stderr.contains('\r') && !export.stderr.contains('\x1b'),
        "{export:#?}"
    );
    // verify and mirror: their results, and no bar either.
    let verify = run_cmd(erkin().args(["verify", s(&site), "--key", &log_vk]));
    assert_eq!(verify.code, 0, "{verify:#?}");
    let mirror = run_cmd(erkin().args([
        "mirror",
        s(&site),
        "--into",
        s(&root.join("mirror")),
        "--key",
        &log_vk,
    ]));
    assert_eq!(mirror.code, 0, "{mirror:#?}");
    for r in [&verify, &mirror] {
        assert!(
            !r.stderr.contains('\r') && !r.stderr.contains('\x1b'),
            "{r:#?}"
        );
    }
}

/// An article file dated `hour` hours into 2020 (UTC), in English or, with
/// `original`, its Russian translation.
fn dated_article(path: &Path, slug: &str, hour: u32, original: Option<&str>) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let (day, h) = (1 + hour / 24, hour % 24);
    let translation = original.map_or(String::new(), |o| format!("translation_of: {o}\n"));
    let lang = if original.is_some() { "ru" } else { "en" };
    fs::write(
        path,
        format!("---\ntitle: Title of {slug}\nslug: {slug}\nlang: {lang}\n{translation}date: 2020-01-{day:02}T{h:02}:00:00Z\nauthors: [aigerim]\n---\n\nText of {slug}.\n"),
    )
    .unwrap();
}

/// The slug of a publish entry of `log --json` (its summary names the page).
fn published_slug(entry: &Value) -> String {
    let summary = entry["summary"].as_str().unwrap_or_default();
    let start = summary
        .find("a/")
        .map(|i| i + 2)
        .expect("a publish names its page");
    let end = summary[start..].find('/').expect("a page path ends with /");
    summary[start..start + end].to_string()
}

/// 300 articles: numbered so that neither their files' order nor their
/// numbers are their dates' order, in folders, with two translations dated
/// before every original.
fn many_articles(folder: &Path) -> Vec<(bool, u32, String)> {
    let mut expected = Vec::new();
    for i in 0..300u32 {
        let hour = 24 + (i * 7) % 300;
        let slug = format!("story-{i:03}");
        dated_article(
            &folder.join(format!("{}/{slug}.md", i % 3)),
            &slug,
            hour,
            None,
        );
        expected.push((false, hour, slug));
    }
    for (i, original) in [(0, "story-005"), (1, "story-250")] {
        let slug = format!("perevod-{i}");
        dated_article(&folder.join(format!("{slug}.md")), &slug, i, Some(original));
        expected.push((true, i, slug));
    }
    expected.sort();
    expected
}

#[test]
fn import_records_every_article_in_order_over_several_batches_and_reports_each_index() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (key, vk) = new_key(&root, "aigerim.key.age", "aigerim");
    let data = root.join("data");
    init(&data, &[&vk]).ok_line();
    let folder = root.join("content");
    let expected = many_articles(&folder);
    let imported = json_of(&run_in(
        &data,
        &["import", "--key", s(&key), s(&folder), "--json"],
    ));
    assert_eq!(imported["imported"], 302, "{imported}");
    let indexes: Vec<u64> = imported["indexes"]
        .as_array()
        .expect("the indexes are a list")
        .iter()
        .map(|i| i.as_u64().expect("an index is a number"))
        .collect();
    // Each index is its article's entry, in the order they were recorded:
    // oldest first, translations after the originals.
    let published: Vec<Value> = log_json(&data)
        .into_iter()
        .filter(|e| e["action"] == "publish")
        .collect();
    let logged: Vec<u64> = published
        .iter()
        .map(|e| e["index"].as_u64().unwrap())
        .collect();
    assert_eq!(indexes, logged);
    let slugs: Vec<String> = published.iter().map(published_slug).collect();
    let in_order: Vec<String> = expected.into_iter().map(|(_, _, slug)| slug).collect();
    assert_eq!(slugs, in_order);
}

#[test]
fn an_import_with_a_file_it_would_refuse_records_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let (key, vk) = new_key(&root, "aigerim.key.age", "aigerim");
    let data = root.join("data");
    init(&data, &[&vk]).ok_line();
    let folder = root.join("content");
    many_articles(&folder);
    // The newest article, recorded last (after a whole batch of others),
    // is the one refused: nothing is recorded, not even the first batch.
    let last = folder.join("zz-last.md");
    for (text, error) in [
        (
            "date: 2020-12-31T09:00:00Z\n---\n\n![A photo](photos/missing.jpg)\n",
            "zz-last.md: image \"photos/missing.jpg\"",
        ),
        (
            "date: 2020-12-31T09:00:00Z\n---\n\n![A photo](../outside.jpg)\n",
            "zz-last.md: image \"../outside.jpg\" must be a relative path below the article's folder",
        ),
        (
            "date: 2020-12-31T09:00:00Z\n---\n\n![A drawing](drawing.svg)\n",
            "zz-last.md: image \"drawing.svg\": only",
        ),
        (
            "date: the last day of 2020\n---\n\nText.\n",
            "zz-last.md: date \"the last day of 2020\" is not an RFC 3339 time",
        ),
    ] {
        fs::write(
            &last,
            format!("---\ntitle: Last\nslug: zz-last\nlang: en\nauthors: [aigerim]\n{text}"),
        )
        .unwrap();
        if text.contains("drawing.svg") {
            fs::write(folder.join("drawing.svg"), "<svg/>").unwrap();
        }
        let out = run_in(&data, &["import", "--key", s(&key), s(&folder)]);
        assert_ne!(out.code, 0, "{out:#?}");
        assert!(out.stderr.contains(error), "{error}: {out:#?}");
        let published = log_json(&data)
            .into_iter()
            .filter(|e| e["action"] == "publish")
            .count();
        assert_eq!(published, 0, "{error}: something was recorded");
    }
}

#[test]
fn completions_and_man_page_come_from_the_grammar() {
    for shell in ["bash", "zsh", "fish"] {
        let r = run_cmd(erkin().args(["completions", shell]));
        assert_eq!(r.code, 0, "{r:#?}");
        for sub in ["publish", "mirror", "verify", "demo"] {
            assert!(r.stdout.contains(sub), "{shell} completions lack {sub}");
        }
    }
    run_cmd(erkin().args(["completions", "no-such-shell"])).fails_with(2, &[]);
    let man = run_cmd(erkin().arg("man"));
    assert_eq!(man.code, 0, "{man:#?}");
    assert!(
        man.stdout.starts_with(".ie") || man.stdout.contains(".TH erkin"),
        "{man:#?}"
    );
    for sub in ["publish", "mirror", "verify", "completions"] {
        assert!(man.stdout.contains(sub), "the man page lacks {sub}");
    }
    let tmp = tempfile::tempdir().unwrap();
    let r = run_cmd(erkin().args(["man", "--out", s(tmp.path())]));
    assert_eq!(r.code, 0, "{r:#?}");
    assert!(tmp.path().join("erkin.1").is_file());
    assert!(tmp.path().join("erkin-publish.1").is_file());
}
