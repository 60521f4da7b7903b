//! Key derivations and `erkin batch` (issue 17, item 4): a local command
//! derives each key it needs once; a batch file of actions costs one
//! derivation per key however many lines it holds, lands every line, and
//! refuses a malformed line by its number before anything lands.
//!
//! The count is what the binary says on exit with ERKIN_REPORT_DERIVATIONS
//! set (erkin_store::keyfile::derivations()).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::binary::PASSPHRASE;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The derivations the command reported on exit.
    fn derivations(&self) -> u64 {
        let line = self
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("erkin: key derivations: "))
            .unwrap_or_else(|| panic!("no derivation count in {:?}", self.stderr));
        line.trim().parse().unwrap()
    }

    fn ok(self) -> Self {
        assert_eq!(self.code, 0, "{}{}", self.stdout, self.stderr);
        self
    }
}

fn erkin(data: &Path, args: &[&str]) -> Run {
    let o = Command::new(env!("CARGO_BIN_EXE_erkin"))
        .env("ERKIN_PASSPHRASE", PASSPHRASE)
        .env("ERKIN_SCRYPT_WORK_FACTOR", "10")
        .env("ERKIN_REPORT_DERIVATIONS", "1")
        .env_remove("ERKIN_DIR")
        .env_remove("ERKIN_SERVER")
        .stdin(Stdio::null())
        .arg("--dir")
        .arg(data)
        .args(args)
        .output()
        .unwrap();
    Run {
        code: o.status.code().expect("exited normally"),
        stdout: String::from_utf8(o.stdout).unwrap(),
        stderr: String::from_utf8(o.stderr).unwrap(),
    }
}

struct Newsroom {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    data: PathBuf,
    aigerim: PathBuf,
    bolat: PathBuf,
}

impl Newsroom {
    fn path(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    fn run(&self, args: &[&str]) -> Run {
        erkin(&self.data, args)
    }

    /// The log's entries other than the sequencer's ticks (where a tick
    /// lands depends on the clock).
    fn entries(&self) -> Vec<Value> {
        let out = self.run(&["log", "--json"]).ok();
        let all: Value = serde_json::from_str(&out.stdout).unwrap();
        all.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] != "tick")
            .cloned()
            .collect()
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, text).unwrap();
        path
    }

    fn article(&self, name: &str, slug: &str) -> PathBuf {
        self.write(
            name,
            &format!("---\ntitle: About {slug}\nslug: {slug}\nlang: en\nsummary: A test.\nauthors: [aigerim]\n---\n\nSome text about {slug}.\n"),
        )
    }
}

/// Two founders (both editors): making each key and founding derive once each.
fn newsroom() -> Newsroom {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let data = root.join("data");
    let mut vkeys = Vec::new();
    for name in ["aigerim", "bolat"] {
        let out = erkin(
            &data,
            &[
                "key",
                "new",
                "--name",
                name,
                "--out",
                root.join(format!("{name}.key")).to_str().unwrap(),
            ],
        )
        .ok();
        assert_eq!(out.derivations(), 1, "key new encrypts once");
        vkeys.push(out.stdout.trim().to_string());
    }
    let init = erkin(
        &data,
        &[
            "init",
            "--origin",
            "batch.example/news",
            "--name",
            "Batch",
            "--founder",
            &vkeys[0],
            "--founder",
            &vkeys[1],
        ],
    )
    .ok();
    assert_eq!(init.derivations(), 1, "init encrypts the log key once");
    Newsroom {
        aigerim: root.join("aigerim.key"),
        bolat: root.join("bolat.key"),
        _tmp: tmp,
        root,
        data,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_local_command_derives_each_key_once() {
    let n = newsroom();
    let st = n.run(&["statement", "--key", s(&n.aigerim), "hello"]).ok();
    assert_eq!(st.derivations(), 2, "the member's key and the log key");
    let a = n.article("a.md", "first-story");
    let p = n.run(&["publish", "--key", s(&n.aigerim), s(&a)]).ok();
    assert_eq!(p.derivations(), 2);
    let prop = n
        .run(&[
            "propose",
            "--key",
            s(&n.aigerim),
            "--title",
            "Mondays",
            "resolution",
            "We meet on Mondays",
        ])
        .ok();
    assert_eq!(prop.derivations(), 2);
    let proposal = prop.stdout.trim().to_string();
    let v = n
        .run(&["vote", &proposal, "yes", "--key", s(&n.bolat)])
        .ok();
    assert_eq!(v.derivations(), 2);
    // Rotating a key: the old one opened, the new one encrypted, the log key.
    let new = n.path("aigerim-2.key");
    let r = n
        .run(&["rotate-key", "--key", s(&n.aigerim), "--new", s(&new)])
        .ok();
    assert_eq!(r.derivations(), 3);
    // Reading derives nothing.
    assert_eq!(n.run(&["members", "--json"]).ok().derivations(), 0);
    // A wrong passphrase is one attempt, and the command stops there.
    let wrong = Command::new(env!("CARGO_BIN_EXE_erkin"))
        .env("ERKIN_PASSPHRASE", "not the passphrase")
        .env("ERKIN_REPORT_DERIVATIONS", "1")
        .stdin(Stdio::null())
        .args(["--dir", s(&n.data), "statement", "--key", s(&new), "no"])
        .output()
        .unwrap();
    let err = String::from_utf8(wrong.stderr).unwrap();
    assert_eq!(wrong.status.code(), Some(1), "{err}");
    assert!(err.contains("passphrase is wrong"), "{err}");
    assert!(err.contains("erkin: key derivations: 1"), "{err}");
}

#[test]
fn a_batch_lands_every_line_with_one_derivation_per_key() {
    let n = newsroom();
    let a = n.article("story.md", "batch-story");
    let batch = n.write(
        "actions.txt",
        &format!(
            "# the morning's work\n\
             statement \"first, from the batch\"\n\
             \n\
             publish {}\n\
             statement 'from bolat' --key {}\n\
             propose --title Mondays resolution \"We meet on Mondays\"\n\
             statement \"last, from aigerim\"\n",
            s(&a),
            s(&n.bolat)
        ),
    );
    let before = n.entries().len();
    let out = n
        .run(&["batch", "--key", s(&n.aigerim), s(&batch), "--json"])
        .ok();
    assert_eq!(
        out.derivations(),
        3,
        "aigerim's key, bolat's key and the log key, once each: {}",
        out.stderr
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let recorded = report["entries"].as_array().unwrap();
    let lines: Vec<(u64, &str)> = recorded
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["command"].as_str().unwrap()))
        .collect();
    assert_eq!(
        lines,
        [
            (2, "statement"),
            (4, "publish"),
            (5, "statement"),
            (6, "propose"),
            (7, "statement")
        ]
    );
    let entries = n.entries();
    assert_eq!(entries.len(), before + 5);
    let landed: Vec<(&str, &str)> = entries[before..]
        .iter()
        .map(|e| {
            (
                e["signer"].as_str().unwrap(),
                e["summary"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(landed[0], ("aigerim", "statement: first, from the batch"));
    assert_eq!(landed[1].0, "aigerim");
    assert!(landed[1].1.contains("batch-story"), "{landed:?}");
    assert_eq!(landed[2], ("bolat", "statement: from bolat"));
    assert_eq!(landed[3].0, "aigerim");
    assert!(landed[3].1.contains("Mondays"), "{landed:?}");
    assert_eq!(landed[4], ("aigerim", "statement: last, from aigerim"));
    // Each reported index is the entry's own.
    for (r, e) in recorded.iter().zip(&entries[before..]) {
        assert_eq!(r["index"], e["index"]);
    }
    // Without --json: one index a line on stdout, in the file's order.
    let again = n.write("again.txt", "statement one\nstatement two\n");
    let out = n.run(&["batch", "--key", s(&n.aigerim), s(&again)]).ok();
    assert_eq!(out.derivations(), 2);
    let printed: Vec<&str> = out.stdout.lines().collect();
    let entries = n.entries();
    let last_two: Vec<String> = entries[entries.len() - 2..]
        .iter()
        .map(|e| e["index"].to_string())
        .collect();
    assert_eq!(printed, last_two);
}

#[test]
fn a_malformed_line_is_refused_by_number_and_nothing_lands() {
    let n = newsroom();
    let before = n.entries();
    let a = n.article("fine.md", "fine-story");
    for (text, phrases) in [
        (
            format!("statement fine\npublish {}\nvote twelve yes\n", s(&a)),
            vec!["line 3", "twelve"],
        ),
        (
            "statement fine\n# a comment\nstatement \"never closed\n".to_string(),
            vec!["line 3", "quote is not closed"],
        ),
        (
            "statement fine\nimport somewhere/\n".to_string(),
            vec!["line 2", "import"],
        ),
        (
            "statement fine\nstatement other --server http://127.0.0.1:9/\n".to_string(),
            vec!["line 2", "--dir and --server are given to `erkin batch`"],
        ),
        // Checked before anything is submitted: the files a line names,
        // the ballot's words.
        (
            "statement fine\npublish no-such-article.md\n".to_string(),
            vec!["line 2 (publish)", "no-such-article.md"],
        ),
        (
            "statement fine\nvote 3 maybe\n".to_string(),
            vec!["line 2 (vote)", "\"maybe\" is not a vote"],
        ),
    ] {
        let batch = n.write("bad.txt", &text);
        let out = n.run(&["batch", "--key", s(&n.aigerim), s(&batch)]);
        assert_eq!(out.code, 1, "{text}: {}{}", out.stdout, out.stderr);
        for p in phrases.iter().chain(&["nothing was submitted"]) {
            assert!(
                out.stderr.contains(p),
                "{text}: expected {p:?} in {}",
                out.stderr
            );
        }
        assert_eq!(out.derivations(), 0, "refused before any key was opened");
        assert_eq!(n.entries(), before, "{text}: something landed");
    }
    // An empty file and a line without a key are refused too.
    let empty = n.write("empty.txt", "# nothing\n\n");
    let out = n.run(&["batch", "--key", s(&n.aigerim), s(&empty)]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no actions"), "{}", out.stderr);
    let keyless = n.write("keyless.txt", "statement hi\n");
    let out = n.run(&["batch", s(&keyless)]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("line 1: no --key"), "{}", out.stderr);
    assert_eq!(n.entries(), before);
}

#[test]
fn a_refused_action_stops_the_batch_and_names_its_line() {
    let n = newsroom();
    let batch = n.write(
        "actions.txt",
        "statement \"lands first\"\nvote 999999 yes\nstatement \"never submitted\"\n",
    );
    let before = n.entries().len();
    let out = n.run(&["batch", "--key", s(&n.aigerim), s(&batch)]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let entries = n.entries();
    assert_eq!(
        entries.len(),
        before + 1,
        "only the line before the refusal"
    );
    let first = &entries[before];
    assert_eq!(first["summary"], "statement: lands first");
    for p in [
        "line 2 (vote): the publication refused it",
        &format!(
            "1 of 3 actions landed before it (line 1, entry {})",
            first["index"]
        ),
        "the 1 after it was not submitted",
    ] {
        assert!(out.stderr.contains(p), "expected {p:?} in {}", out.stderr);
    }
}

/// The scrypt work factor in an armored age file's header.
fn work_factor(file: &Path) -> u8 {
    use std::io::Read as _;
    let bytes = fs::read(file).unwrap();
    let mut plain = Vec::new();
    age::armor::ArmoredReader::new(&bytes[..])
        .read_to_end(&mut plain)
        .unwrap();
    let text = String::from_utf8_lossy(&plain);
    let stanza = text
        .lines()
        .find(|l| l.starts_with("-> scrypt "))
        .unwrap_or_else(|| panic!("{}: no scrypt stanza", file.display()));
    stanza.rsplit(' ').next().unwrap().parse().unwrap()
}

/// Every key erkin makes, with no work factor asked for, gets the fixed 2^18
/// (not age's calibration to the machine's load): a member's key, the log
/// key, a rotated key, a tip reader's identity.
#[test]
fn every_key_erkin_makes_has_the_fixed_work_factor() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let data = root.join("data");
    let run = |args: &[&str]| {
        let o = Command::new(env!("CARGO_BIN_EXE_erkin"))
            .env("ERKIN_PASSPHRASE", PASSPHRASE)
            .env_remove("ERKIN_SCRYPT_WORK_FACTOR")
            .env_remove("ERKIN_DIR")
            .stdin(Stdio::null())
            .arg("--dir")
            .arg(&data)
            .args(args)
            .output()
            .unwrap();
        let out = String::from_utf8(o.stdout).unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {out}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        out.trim().to_string()
    };
    let key = root.join("aigerim.key");
    let vk = run(&["key", "new", "--name", "aigerim", "--out", s(&key)]);
    run(&[
        "init",
        "--origin",
        "wf.example/news",
        "--name",
        "WF",
        "--founder",
        &vk,
    ]);
    let rotated = root.join("aigerim-2.key");
    run(&["rotate-key", "--key", s(&key), "--new", s(&rotated)]);
    let identity = root.join("tips.age");
    run(&["tips", "key", "--out", s(&identity)]);
    for file in [key, data.join("log-key.age"), rotated, identity] {
        assert_eq!(work_factor(&file), 18, "{}", file.display());
    }
}
