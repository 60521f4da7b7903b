//! The members' API end to end: the real `erkin` binary serves a newsroom
//! (`serve --sequence`) on 127.0.0.1, and members act only through it
//! (`erkin --server URL --dir THEIR_COPY ...`), each with their own key and
//! their own verified copy. Raw HTTP requests (std::net, hand-written
//! HTTP/1.1) check the API's answers: status, stable JSON error codes,
//! Retry-After, and that nothing a client sends gets a 500.
//!
//! Every run sets ERKIN_PASSPHRASE and a low ERKIN_SCRYPT_WORK_FACTOR so no
//! terminal is needed and key files open quickly.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::{erkin, s, Server, PASSPHRASE};
use erkin_core::action::{Action, Statement};
use erkin_core::blob::BlobId;
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::keys::SecretKey;
use erkin_testkit::{eventually, exchange, get, post, post_chunked, Reply};
use serde_json::Value;

// ---------------------------------------------------------------------------
// Running the binary

#[derive(Debug)]
struct Run {
    args: Vec<String>,
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts success; returns stdout, trimmed.
    fn ok(&self) -> String {
        assert_eq!(self.code, 0, "erkin {:?} failed: {self:#?}", self.args);
        self.stdout.trim().to_string()
    }

    /// Asserts the command failed (exit 1) and said `phrase`.
    fn refused(&self, phrase: &str) {
        assert_eq!(
            self.code, 1,
            "erkin {:?} should be refused: {self:#?}",
            self.args
        );
        assert!(
            self.stderr.contains(phrase),
            "expected {phrase:?} in the refusal: {self:#?}"
        );
    }
}

fn run(args: &[&str]) -> Run {
    let o = erkin()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running erkin {args:?}: {e}"));
    Run {
        args: args.iter().map(|s| s.to_string()).collect(),
        code: o
            .status
            .code()
            .unwrap_or_else(|| panic!("erkin {args:?} was killed: {o:?}")),
        stdout: String::from_utf8(o.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(o.stderr).expect("stderr is UTF-8"),
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

// ---------------------------------------------------------------------------
// Members: each with a home of their own (key and copy), never shared

struct Member {
    name: String,
    /// Their home directory: the key and the copy live below it.
    home: PathBuf,
    key: String,
    vk: String,
    /// Their local, verified copy of the publication.
    copy: String,
}

impl Member {
    fn new(root: &Path, name: &str) -> Self {
        let home = root.join(format!("{name}-home"));
        fs::create_dir_all(home.join("keys")).unwrap();
        let key = home.join("keys").join(format!("{name}.key.age"));
        let vk = run(&[
            "--dir",
            s(&home.join("no-data-here")),
            "key",
            "new",
            "--out",
            s(&key),
            "--name",
            name,
        ])
        .ok();
        Member {
            name: name.to_string(),
            key: s(&key).to_string(),
            vk,
            copy: s(&home.join("copy")).to_string(),
            home,
        }
    }

    /// `erkin --server URL --dir MY_COPY ARGS...`.
    fn act(&self, server: &Server, args: &[&str]) -> Run {
        let mut all = vec!["--server", server.url.as_str(), "--dir", &self.copy];
        all.extend_from_slice(args);
        run(&all)
    }

    fn statement(&self, server: &Server, text: &str) -> Run {
        self.act(server, &["statement", "--key", &self.key, text])
    }

    /// The secret key, decrypted here (the test plays the member's machine).
    fn secret(&self) -> SecretKey {
        erkin_store::keyfile::read_key_file(Path::new(&self.key), PASSPHRASE).unwrap()
    }
}

/// Founds a publication in `root/server` with `founders`; returns the data
/// directory and the log's verifier key.
fn found(root: &Path, origin: &str, founders: &[&Member]) -> (PathBuf, String) {
    let dir = root.join("server");
    let mut args = vec![
        "--dir",
        s(&dir),
        "init",
        "--origin",
        origin,
        "--name",
        "Members' API test",
    ];
    for f in founders {
        args.push("--founder");
        args.push(&f.vk);
    }
    let log_vk = run(&args).ok();
    (dir, log_vk)
}

fn statement_entry(origin: &str, key: &SecretKey, time: u64, text: &str) -> Vec<u8> {
    sign_entry(
        origin,
        &EntryBody {
            time,
            action: Action::Statement(Statement {
                text: text.to_string(),
            }),
        },
        key,
    )
    .unwrap()
}

// ---------------------------------------------------------------------------
// Plain HTTP/1.1 over std::net

fn post_entry(addr: SocketAddr, entry: &[u8]) -> Reply {
    post(addr, "/api/v1/entries", entry).expect("the server answers")
}

/// The checkpoint's text (origin, size, root), without its signature.
fn checkpoint_body(addr: SocketAddr) -> String {
    let r = get(addr, "/checkpoint").expect("the server answers");
    assert_eq!(r.status, 200, "{}", r.text());
    let text = r.text();
    text.split("\n\n").next().unwrap().to_string()
}

/// The entries in the log at `dir` that are not the sequencer's ticks (a
/// tick leads a batch whenever the clock's second changed since the last,
/// which a test does not control).
fn logged_without_ticks(dir: &Path) -> u64 {
    let store = erkin_store::Store::open_unverified(dir).unwrap();
    store
        .entries(0, store.size())
        .unwrap()
        .iter()
        .filter(|e| !String::from_utf8_lossy(e).contains(r#""action":{"tick":{}}"#))
        .count() as u64
}

fn checkpoint_size(addr: SocketAddr) -> u64 {
    checkpoint_body(addr)
        .lines()
        .nth(1)
        .and_then(|l| l.parse().ok())
        .expect("a checkpoint names its size on its second line")
}

// ---------------------------------------------------------------------------
// Servers: `erkin serve` as a child process

fn files_below(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            files_below(&e.path(), out);
        } else {
            out.push(e.path());
        }
    }
}

fn handles(members_json: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(members_json).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|m| m["handle"].as_str().unwrap().to_string())
        .collect()
}

/// The proposal `id` from `proposals --json`.
fn proposal(list_json: &str, id: u64) -> Value {
    let v: Value = serde_json::from_str(list_json).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"].as_u64() == Some(id))
        .unwrap_or_else(|| panic!("no proposal #{id} in {v}"))
        .clone()
}

/// Verifies a data directory against the pinned log key with the binary.
fn verify_ok(dir: &Path, log_vk: &str) {
    let r = run(&["verify", s(dir), "--key", log_vk]);
    assert_eq!(r.code, 0, "verify {}: {r:#?}", dir.display());
    assert!(r.stdout.contains("OK"), "{r:#?}");
}

// A tiny PNG (1×1), as an editor's photo.
const PHOTO: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\0\x01\0\0\x05\0\x01\r\n-\xb4\0\0\0\0IEND\xaeB`\x82";

// ---------------------------------------------------------------------------
// 1 + 3. Governance and publishing through the API only

#[test]
fn members_govern_and_publish_through_the_server_only() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let bob = Member::new(t, "bob");
    let carol = Member::new(t, "carol");
    let origin = "api.example/news";
    let (server_dir, log_vk) = found(t, origin, &[&alice, &bob]);
    let server = Server::start(&server_dir, &["--sequence"]);

    // Alice proposes admitting carol; both founders vote; all voted, so the
    // proposal closes early.
    let id = alice
        .act(
            &server,
            &[
                "propose",
                "--key",
                &alice.key,
                "--title",
                "Admit Carol",
                "admit",
                &carol.vk,
            ],
        )
        .ok();
    // Its log index: 1, or 2 if a tick of the log time leads its batch.
    assert!(id == "1" || id == "2", "{id}");
    bob.act(&server, &["vote", &id, "no", "--key", &bob.key])
        .ok();
    alice
        .act(&server, &["vote", &id, "yes", "--key", &alice.key])
        .ok();
    // Bob changes his mind; only the last vote counts.
    bob.act(&server, &["vote", &id, "yes", "--key", &bob.key])
        .ok();
    assert_eq!(
        bob.act(&server, &["close", &id, "--key", &bob.key]).ok(),
        format!("#{id}: admitted carol")
    );
    let p = proposal(
        &alice.act(&server, &["proposals", "--json"]).ok(),
        id.parse().unwrap(),
    );
    assert_eq!(p["outcome"]["passed"], Value::Bool(true), "{p}");
    assert_eq!(p["outcome"]["tally"]["yes"], 2, "{p}");
    assert_eq!(p["outcome"]["tally"]["no"], 0, "{p}");
    assert_eq!(
        handles(&bob.act(&server, &["members", "--json"]).ok()),
        ["alice", "bob", "carol"]
    );
    // Carol, admitted, acts from her own machine.
    let idx: u64 = carol
        .statement(&server, "Hello from carol.")
        .ok()
        .parse()
        .unwrap();
    // It is the last entry of the log, and it is hers.
    assert_eq!(idx + 1, checkpoint_size(server.addr));
    let log: Value = serde_json::from_str(&carol.act(&server, &["log", "--json"]).ok()).unwrap();
    let last = log
        .as_array()
        .and_then(|l| l.last())
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (last["index"].as_u64(), last["signer"].as_str()),
        (Some(idx), Some("carol"))
    );

    // An editor (founders are the first board) publishes an article with a
    // photo: the photo goes up as a blob, then the entry that names it.
    let desk = alice.home.join("story");
    fs::create_dir_all(&desk).unwrap();
    fs::write(desk.join("photo.png"), PHOTO).unwrap();
    let title = "Members publish through the API";
    fs::write(
        desk.join("story.md"),
        format!(
            "---\ntitle: \"{title}\"\nslug: members-api\nlang: en\n\
             summary: Sent from alice's own machine.\nauthors: [alice]\n---\n\
             Signed on a laptop, sequenced by the newsroom.\n\n![A photo](photo.png)\n"
        ),
    )
    .unwrap();
    let published = alice
        .act(
            &server,
            &["publish", "--key", &alice.key, s(&desk.join("story.md"))],
        )
        .ok();
    // The last entry of the log (after a tick, if the clock moved on).
    assert_eq!(published, (checkpoint_size(server.addr) - 1).to_string());
    let photo_id = BlobId::of(PHOTO).to_string();
    let mut page = String::new();
    let waited = eventually(Duration::from_secs(10), || {
        match get(server.addr, "/a/members-api/") {
            Ok(r) if r.status == 200 => {
                page = r.text();
                true
            }
            _ => false,
        }
    });
    assert!(waited.is_some(), "the article page never appeared");
    assert!(page.contains(title), "{page}");
    assert!(
        page.contains(&format!("media/{photo_id}.png")),
        "the page shows the uploaded photo: {page}"
    );
    // The export writes a page's media before the page: once the page is
    // served, so is its photo.
    let media = get(server.addr, &format!("/media/{photo_id}.png")).unwrap();
    assert_eq!(media.status, 200);
    assert_eq!(media.body, PHOTO);
    let blob = get(server.addr, &format!("/blob/{photo_id}")).unwrap();
    assert_eq!(blob.status, 200);
    assert_eq!(blob.body, PHOTO);

    // 3. Removing bob needs ≥ 2/3 of the votes cast: alice and carol vote
    // yes, bob no.
    let id = alice
        .act(
            &server,
            &[
                "propose",
                "--key",
                &alice.key,
                "--title",
                "Remove Bob",
                "remove",
                "bob",
            ],
        )
        .ok();
    for (m, choice) in [(&alice, "yes"), (&bob, "no"), (&carol, "yes")] {
        m.act(&server, &["vote", &id, choice, "--key", &m.key]).ok();
    }
    assert_eq!(
        carol
            .act(&server, &["close", &id, "--key", &carol.key])
            .ok(),
        format!("#{id}: removed bob")
    );
    let p = proposal(
        &carol.act(&server, &["proposals", "--json"]).ok(),
        id.parse().unwrap(),
    );
    assert_eq!(p["outcome"]["passed"], Value::Bool(true), "{p}");
    assert_eq!(p["outcome"]["tally"]["yes"], 2, "{p}");
    assert_eq!(p["outcome"]["tally"]["no"], 1, "{p}");
    assert_eq!(
        handles(&carol.act(&server, &["members", "--json"]).ok()),
        ["alice", "carol"]
    );
    let before = checkpoint_size(server.addr);
    bob.statement(&server, "I am still here.")
        .refused("not a member");
    let entry = statement_entry(origin, &bob.secret(), now(), "Still here, by hand.");
    let message = post_entry(server.addr, &entry).api_error(422, "not_a_member");
    assert!(message.contains("bob"), "{message}");
    assert_eq!(checkpoint_size(server.addr), before, "nothing was recorded");

    // The server never held a member's key: not as an argument, not as an
    // open file, not as a file in its data directory, not as secret text.
    let members = [&alice, &bob, &carol];
    let cmdline = fs::read(format!("/proc/{}/cmdline", server.child.id())).unwrap();
    let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    for m in members {
        let home = s(&m.home);
        assert!(!cmdline.contains(home), "{cmdline}");
        assert!(!cmdline.contains(&m.key), "{cmdline}");
        assert!(!server.argv.iter().any(|a| a.contains(home)));
    }
    for fd in fs::read_dir(format!("/proc/{}/fd", server.child.id())).unwrap() {
        if let Ok(target) = fs::read_link(fd.unwrap().path()) {
            for m in members {
                assert!(!target.starts_with(&m.home), "server holds {target:?}");
            }
        }
    }
    assert_eq!(server.stop(), 0);
    // Every file the server left in its data directory, read once it has
    // stopped (while it runs, its copy's files are written through
    // temporary files renamed into place: one listed may be gone when read).
    let mut server_files = Vec::new();
    files_below(&server_dir, &mut server_files);
    assert!(!server_files.is_empty());
    let secrets: Vec<(Vec<u8>, String)> = members
        .iter()
        .map(|m| {
            (
                fs::read(&m.key).unwrap(),
                m.secret().expose_secret_text().to_string(),
            )
        })
        .collect();
    for f in &server_files {
        let bytes = fs::read(f).unwrap();
        for (m, (key_file, secret_text)) in members.iter().zip(&secrets) {
            assert_ne!(&bytes, key_file, "{} is {}'s key file", f.display(), m.name);
            // The key material: PRIVATE+KEY+<name>+<id>+<base64, which may
            // itself hold '+'>.
            let material = secret_text.splitn(5, '+').nth(4).unwrap().as_bytes();
            assert!(material.len() > 40, "{secret_text:?} has its key last");
            assert!(
                !bytes.windows(material.len()).any(|w| w == material),
                "{} holds {}'s secret key",
                f.display(),
                m.name
            );
        }
    }

    // Everything done through the API verifies, on the server and in the
    // members' own copies.
    verify_ok(&server_dir, &log_vk);
    verify_ok(Path::new(&alice.copy), &log_vk);
    let log: Value =
        serde_json::from_str(&run(&["--dir", s(&server_dir), "log", "--json"]).ok()).unwrap();
    let signers: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["signer"].as_str().unwrap())
        .collect();
    assert!(signers.contains(&"carol") && signers.contains(&"bob"));
}

// ---------------------------------------------------------------------------
// 2. A non-member

#[test]
fn a_non_members_entry_is_refused_with_the_folds_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let bob = Member::new(t, "bob");
    let stranger = Member::new(t, "stranger");
    let origin = "strangers.example/news";
    let (server_dir, log_vk) = found(t, origin, &[&alice, &bob]);
    let server = Server::start(&server_dir, &["--sequence"]);

    stranger
        .statement(&server, "hi")
        .refused("not a member of this publication");

    let entry = statement_entry(origin, &stranger.secret(), now(), "hi, by hand");
    let r = post_entry(server.addr, &entry);
    let message = r.api_error(422, "not_a_member");
    assert!(message.contains("stranger"), "{message}");
    assert_eq!(checkpoint_size(server.addr), 1, "only the genesis entry");

    // A member's entry still goes through.
    let index = alice.statement(&server, "Welcome.").ok();
    assert!(
        index == "1" || index == "2",
        "{index} (2 when a tick leads)"
    );
    assert_eq!(server.stop(), 0);
    verify_ok(&server_dir, &log_vk);
}

// ---------------------------------------------------------------------------
// 4. Errors: stable codes, never a 500

#[test]
fn api_errors_have_stable_codes_and_never_500() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let bob = Member::new(t, "bob");
    let origin = "errors.example/news";
    let (server_dir, log_vk) = found(t, origin, &[&alice, &bob]);
    let key = alice.secret();
    let server = Server::start(&server_dir, &["--sequence"]);
    let a = server.addr;
    let entries = "/api/v1/entries";

    // Malformed bodies: 400 malformed.
    for body in [
        &b"hello"[..],
        b"",
        b"{\"time\":1,\"action\":{}}",
        b"erkin.entry/v1\nerrors.example/news\n{}\n",
        b"\xff\xfe\0\0not utf-8",
    ] {
        post(a, entries, body).unwrap().api_error(400, "malformed");
    }

    // Oversize: 413 too_large, whether the length is declared or not.
    let big = vec![b'x'; 70_000];
    post(a, entries, &big).unwrap().api_error(413, "too_large");
    post_chunked(a, entries, &big)
        .unwrap()
        .api_error(413, "too_large");
    // One byte over the limit, declared.
    post(a, entries, &vec![b'x'; 65_536])
        .unwrap()
        .api_error(413, "too_large");

    // A body that is not valid HTTP (bad chunked encoding) is a bad body,
    // not an oversize one.
    exchange(
        a,
        "POST /api/v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Transfer-Encoding: chunked\r\n\r\n",
        b"zz-not-a-chunk-size\r\nhello\r\n0\r\n\r\n",
    )
    .unwrap()
    .api_error(400, "bad_body");

    // A well-formed entry signed for another publication: the fold's code.
    let foreign = statement_entry("elsewhere.example/news", &key, now(), "replayed");
    post_entry(a, &foreign).api_error(422, "bad_entry");

    // The same signed bytes twice: the second is a replay.
    let entry = statement_entry(origin, &key, now(), "Said once.");
    let first = post_entry(a, &entry);
    assert_eq!(first.status, 200, "{}", first.text());
    let receipt = first.json();
    assert_eq!(receipt["index"], 1, "{receipt}");
    assert_eq!(
        receipt["leaf_hash"].as_str().unwrap().len(),
        64,
        "{receipt}"
    );
    assert!(receipt["checkpoint"].as_str().unwrap().starts_with(origin));
    post_entry(a, &entry).api_error(422, "duplicate");
    // The same bytes twice at once (likely one batch): one is recorded.
    let twice = statement_entry(origin, &key, now(), "Said twice at once.");
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let twice = twice.clone();
            std::thread::spawn(move || post_entry(a, &twice))
        })
        .collect();
    let mut statuses: Vec<u16> = racers
        .into_iter()
        .map(|h| {
            let r = h.join().unwrap();
            if r.status != 200 {
                r.api_error(422, "duplicate");
            }
            r.status
        })
        .collect();
    statuses.sort();
    assert_eq!(statuses, [200, 422]);

    // Blobs: only from a member, vouching for exactly that blob.
    let r = post(a, "/api/v1/blobs", PHOTO).unwrap();
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(r.json()["error"]["code"], "unauthorized");
    let upload = |signer: &SecretKey, id: &BlobId| {
        use base64::Engine as _;
        let note = erkin_core::note::sign_note(&erkin_core::blob::upload_text(origin, id), signer);
        base64::engine::general_purpose::STANDARD.encode(note)
    };
    let post_blob = |header: &str, body: &[u8]| {
        exchange(
            a,
            &format!(
                "POST /api/v1/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                 Erkin-Upload: {header}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            ),
            body,
        )
        .unwrap()
    };
    let stranger = SecretKey::generate(&mut rand_core::OsRng, "stranger").unwrap();
    for (what, header) in [
        ("a stranger's note", upload(&stranger, &BlobId::of(PHOTO))),
        ("not base64", "%%%".to_string()),
    ] {
        let r = post_blob(&header, PHOTO);
        assert_eq!(r.status, 401, "{what}: {}", r.text());
        assert_eq!(r.json()["error"]["code"], "unauthorized", "{what}");
    }
    // A member's note for another blob: the body is not what they signed.
    post_blob(&upload(&key, &BlobId::of(b"other")), PHOTO).api_error(400, "blob_mismatch");
    // A blob declared larger than the largest blob: without a member's
    // note, unauthorized; with one, refused before a byte of it is read.
    let too_big = erkin_core::blob::DEFAULT_MAX_BLOB_LEN + 1;
    let declared_too_big = |header: Option<&str>| {
        let auth = header.map_or(String::new(), |h| format!("Erkin-Upload: {h}\r\n"));
        exchange(
            a,
            &format!(
                "POST /api/v1/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                 {auth}Content-Length: {too_big}\r\n\r\n"
            ),
            b"",
        )
        .unwrap()
    };
    declared_too_big(None).api_error(401, "unauthorized");
    declared_too_big(Some(&upload(&key, &BlobId::of(b"big")))).api_error(413, "too_large");
    // Stored by their hash.
    let r = post_blob(&upload(&key, &BlobId::of(PHOTO)), PHOTO);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json()["id"].as_str(),
        Some(BlobId::of(PHOTO).to_string().as_str())
    );

    // Nowhere to POST.
    post(a, "/api/v1/nothing", b"x")
        .unwrap()
        .api_error(404, "not_found");

    // A read-only server (no --sequence) on the same data directory.
    // Clocks: an entry far ahead of the server's clock, or far behind it
    // (beyond the members' window), is refused and named as such.
    post_entry(
        a,
        &statement_entry(origin, &key, now() + 3600, "From the future."),
    )
    .api_error(422, "clock_skew");
    post_entry(
        a,
        &statement_entry(origin, &key, now() - 3600, "From the past."),
    )
    .api_error(422, "clock_skew");

    let read_only = Server::start(&server_dir, &[]);
    let r = post_entry(read_only.addr, &statement_entry(origin, &key, now(), "no"));
    let message = r.api_error(405, "read_only");
    assert!(message.contains("--sequence"), "{message}");
    assert_eq!(r.header("allow"), Some("GET, HEAD"), "{r:?}");
    post(read_only.addr, "/api/v1/blobs", PHOTO)
        .unwrap()
        .api_error(405, "read_only");
    post(read_only.addr, entries, b"")
        .unwrap()
        .api_error(405, "read_only");
    assert_eq!(read_only.stop(), 0);

    assert_eq!(
        logged_without_ticks(&server_dir),
        3,
        "genesis and the two statements"
    );
    assert_eq!(server.stop(), 0);
    verify_ok(&server_dir, &log_vk);
}

/// Starts a newsroom with `--rate-per-key 1` and sends `n` quick, distinct
/// statements from alice; returns the replies.
fn quick_submissions(n: usize) -> Vec<Reply> {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let bob = Member::new(t, "bob");
    let origin = "rate.example/news";
    let (server_dir, log_vk) = found(t, origin, &[&alice, &bob]);
    let key = alice.secret();
    let server = Server::start(&server_dir, &["--sequence", "--rate-per-key", "1"]);
    let time = now();
    let replies: Vec<Reply> = (0..n)
        .map(|i| {
            post_entry(
                server.addr,
                &statement_entry(origin, &key, time, &format!("#{i}")),
            )
        })
        .collect();
    for r in &replies {
        match r.status {
            200 => {}
            429 => {
                r.api_error(429, "rate_limited");
                let wait: u64 = r
                    .header("retry-after")
                    .expect("a 429 says when to come back")
                    .parse()
                    .expect("Retry-After is whole seconds");
                assert!((1..=60).contains(&wait), "Retry-After: {wait}");
            }
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    let accepted = replies.iter().filter(|r| r.status == 200).count() as u64;
    assert_eq!(logged_without_ticks(&server_dir), 1 + accepted);
    assert_eq!(server.stop(), 0);
    verify_ok(&server_dir, &log_vk);
    replies
}

#[test]
fn rate_of_one_per_second_refuses_five_quick_submissions() {
    let replies = quick_submissions(5);
    assert!(
        replies.iter().any(|r| r.status == 429),
        "5 submissions within a second at --rate-per-key 1: {:?}",
        replies.iter().map(|r| r.status).collect::<Vec<_>>()
    );
}

#[test]
fn rate_limited_submissions_get_429_with_retry_after() {
    // Enough to exhaust any burst allowance the server grants.
    let replies = quick_submissions(230);
    let limited = replies.iter().filter(|r| r.status == 429).count();
    assert!(limited > 0, "no 429 in 230 quick submissions at 1/s");
}

#[test]
fn forged_entries_do_not_spend_a_members_rate_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let bob = Member::new(t, "bob");
    let origin = "forged.example/news";
    let (server_dir, _log_vk) = found(t, origin, &[&alice, &bob]);
    let server = Server::start(&server_dir, &["--sequence", "--rate-per-key", "1"]);
    // Mallory is no member; her key merely carries alice's name.
    let mallory = SecretKey::generate(&mut rand_core::OsRng, "alice").unwrap();
    let time = now();
    for i in 0..10 {
        let r = post_entry(
            server.addr,
            &statement_entry(origin, &mallory, time, &format!("forged #{i}")),
        );
        assert!(
            r.status == 422 || r.status == 429,
            "{} {}",
            r.status,
            r.text()
        );
    }
    let genuine = statement_entry(origin, &alice.secret(), time, "Really alice.");
    let r = post_entry(server.addr, &genuine);
    assert_eq!(
        r.status,
        200,
        "alice's own entry was refused after forgeries in her name: {}",
        r.text()
    );
}

// ---------------------------------------------------------------------------
// 5. SIGTERM drains

#[test]
fn sigterm_drains_every_acknowledged_submission() {
    const N: usize = 50;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let bob = Member::new(t, "bob");
    let origin = "drain.example/news";
    let (server_dir, log_vk) = found(t, origin, &[&alice, &bob]);
    let keys = [alice.secret(), bob.secret()];
    // One time for all: concurrent entries never go backwards in time.
    let time = now();
    let entries: Vec<Vec<u8>> = (0..N)
        .map(|i| statement_entry(origin, &keys[i % 2], time, &format!("drain #{i}")))
        .collect();
    // A long batch window: SIGTERM arrives while entries wait to be committed.
    let server = Server::start(&server_dir, &["--sequence", "--batch-delay-ms", "400"]);
    let addr = server.addr;
    let barrier = Arc::new(Barrier::new(N + 1));
    let threads: Vec<_> = entries
        .iter()
        .cloned()
        .map(|entry| {
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                barrier.wait();
                post(addr, "/api/v1/entries", &entry)
            })
        })
        .collect();
    barrier.wait();
    std::thread::sleep(Duration::from_millis(150));
    server.signal("TERM");
    let results: Vec<std::io::Result<Reply>> =
        threads.into_iter().map(|h| h.join().unwrap()).collect();
    let mut server = server;
    let code = server.wait(Duration::from_secs(60));
    assert_eq!(
        code,
        0,
        "erkin serve exits 0 after a drain: {}",
        server.stderr()
    );
    assert!(server.stderr().contains("Every entry taken was committed."));

    let mut acked: HashMap<u64, Vec<u8>> = HashMap::new();
    let mut statuses = Vec::new();
    for (entry, result) in entries.iter().zip(&results) {
        match result {
            Ok(r) => {
                statuses.push(r.status);
                assert_ne!(r.status, 500, "{}", r.text());
                if r.status == 200 {
                    let index = r.json()["index"].as_u64().unwrap();
                    assert!(
                        acked.insert(index, entry.clone()).is_none(),
                        "index {index} twice"
                    );
                } else {
                    r.api_error(503, "shutting_down");
                }
            }
            Err(_) => statuses.push(0),
        }
    }
    assert!(
        !acked.is_empty(),
        "SIGTERM should have found submissions in flight: {statuses:?}"
    );

    // Every acknowledged entry is in the log, at its index.
    let log: Value =
        serde_json::from_str(&run(&["--dir", s(&server_dir), "log", "--json"]).ok()).unwrap();
    let log = log.as_array().unwrap();
    let by_index: HashMap<u64, &str> = log
        .iter()
        .map(|e| {
            (
                e["index"].as_u64().unwrap(),
                e["leaf_hash"].as_str().unwrap(),
            )
        })
        .collect();
    for (index, entry) in &acked {
        let leaf = erkin_core::tree::record_hash(entry).to_string();
        assert_eq!(by_index.get(index), Some(&leaf.as_str()), "entry {index}");
    }
    // And nothing else but what was sent (and the sequencer's ticks of the
    // log time).
    let sent: HashSet<String> = entries
        .iter()
        .map(|e| erkin_core::tree::record_hash(e).to_string())
        .collect();
    for e in log[1..].iter().filter(|e| e["action"] != "tick") {
        assert!(sent.contains(e["leaf_hash"].as_str().unwrap()), "{e}");
    }
    verify_ok(&server_dir, &log_vk);
    eprintln!(
        "drain: {} of {N} acknowledged before exit, {} in the log",
        acked.len(),
        log.len() - 1
    );
}

#[test]
fn sigterm_under_continuous_load_loses_nothing_acknowledged() {
    const THREADS: usize = 6;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let bob = Member::new(t, "bob");
    let origin = "drain2.example/news";
    let (server_dir, log_vk) = found(t, origin, &[&alice, &bob]);
    let keys = Arc::new([alice.secret(), bob.secret()]);
    let time = now();
    let mut acked: Vec<(u64, Vec<u8>)> = Vec::new();
    for (round, delay_ms) in [60u64, 170, 330].into_iter().enumerate() {
        let mut server = Server::start(&server_dir, &["--sequence", "--rate-per-key", "0"]);
        let addr = server.addr;
        let stop = Arc::new(AtomicBool::new(false));
        let threads: Vec<_> = (0..THREADS)
            .map(|th| {
                let (stop, keys) = (stop.clone(), keys.clone());
                std::thread::spawn(move || {
                    let mut out = Vec::new();
                    for i in 0.. {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let text = format!("round {round} thread {th} #{i}");
                        let entry = statement_entry(origin, &keys[th % 2], time, &text);
                        match post(addr, "/api/v1/entries", &entry) {
                            Ok(r) => out.push((entry, r.status, r.body)),
                            Err(_) => std::thread::sleep(Duration::from_millis(2)),
                        }
                    }
                    out
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(delay_ms));
        server.signal("TERM");
        let code = server.wait(Duration::from_secs(60));
        stop.store(true, Ordering::Relaxed);
        assert_eq!(code, 0, "round {round}: {}", server.stderr());
        let (before, mut refused) = (acked.len(), 0);
        for h in threads {
            for (entry, status, body) in h.join().unwrap() {
                let v: Value = serde_json::from_slice(&body).unwrap_or_else(|_| {
                    panic!("{status}: not JSON: {}", String::from_utf8_lossy(&body))
                });
                match status {
                    200 => acked.push((v["index"].as_u64().unwrap(), entry)),
                    503 => {
                        assert_eq!(v["error"]["code"], "shutting_down", "{v}");
                        refused += 1;
                    }
                    other => panic!("round {round}: unexpected {other}: {v}"),
                }
            }
        }
        eprintln!(
            "round {round}: SIGTERM after {delay_ms} ms: {} acknowledged, {refused} shutting_down",
            acked.len() - before
        );
        let store = erkin_store::Store::open(&server_dir).unwrap();
        let log = store.entries(0, store.size()).unwrap();
        for (index, entry) in &acked {
            assert_eq!(
                log.get(*index as usize),
                Some(entry),
                "round {round}: acknowledged entry {index} is not in the log"
            );
        }
        let distinct: HashSet<&Vec<u8>> = log.iter().collect();
        assert_eq!(distinct.len(), log.len(), "an entry is in the log twice");
        verify_ok(&server_dir, &log_vk);
    }
    assert!(!acked.is_empty());
}

#[test]
fn sigterm_is_not_held_up_by_a_client_that_never_finishes_its_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let (server_dir, _log_vk) = found(t, "stall.example/news", &[&alice]);
    let mut server = Server::start(&server_dir, &["--sequence"]);
    let mut stalled = TcpStream::connect(server.addr).unwrap();
    stalled
        .write_all(b"POST /api/v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    server.signal("TERM");
    // Nothing was taken from this client; at the most it is owed the 30 s
    // the API gives any request body to arrive.
    let deadline = Instant::now() + Duration::from_secs(40);
    while server.child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "erkin serve still running 40 s after SIGTERM, held by a stalled client"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(server.wait(Duration::ZERO), 0, "{}", server.stderr());
    drop(stalled);
}

// ---------------------------------------------------------------------------
// 6. Followers

#[test]
fn a_follower_catches_up_and_refuses_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let bob = Member::new(t, "bob");
    let origin = "follow.example/news";
    let (server_dir, log_vk) = found(t, origin, &[&alice, &bob]);
    let primary = Server::start(&server_dir, &["--sequence"]);
    alice.statement(&primary, "Before the follower.").ok();

    let follower_dir = t.join("follower");
    let follower = Server::start(
        &follower_dir,
        &[
            "--follow",
            &primary.url,
            "--follow-every",
            "1",
            "--key",
            &log_vk,
        ],
    );
    assert_eq!(
        checkpoint_body(follower.addr),
        checkpoint_body(primary.addr)
    );

    // A new entry on the primary reaches the follower within seconds.
    // Its index: after the earlier entries, and any ticks of the log time.
    let index: u64 = alice
        .statement(&primary, "After the follower.")
        .ok()
        .parse()
        .unwrap();
    assert!(index >= 2, "{index}");
    let want = checkpoint_body(primary.addr);
    assert!(want.contains(&format!("\n{}\n", index + 1)), "{want}");
    let took = eventually(Duration::from_secs(10), || {
        checkpoint_body(follower.addr) == want
    });
    assert!(
        took.is_some(),
        "the follower did not catch up: {} vs {want}: {}",
        checkpoint_body(follower.addr),
        follower.stderr()
    );
    eprintln!("follower caught up in {:?}", took.unwrap());

    // Followers take no entries: members are told to use the newsroom.
    let entry = statement_entry(origin, &alice.secret(), now(), "To the follower.");
    let r = post_entry(follower.addr, &entry);
    let message = r.api_error(405, "read_only");
    assert!(message.contains("follower"), "{message}");
    assert_eq!(r.header("allow"), Some("GET, HEAD"), "{r:?}");
    post(follower.addr, "/api/v1/blobs", PHOTO)
        .unwrap()
        .api_error(405, "read_only");

    assert_eq!(follower.stop(), 0);
    assert_eq!(primary.stop(), 0);
    verify_ok(&follower_dir, &log_vk);
}

// ---------------------------------------------------------------------------
// 6. Nobody without a key can take the server down (issue 11)

/// The most memory the process has held so far (VmHWM), in bytes.
fn peak_rss(pid: u32) -> u64 {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("Linux reports VmHWM");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    kib * 1024
}

const MIB: u64 = 1024 * 1024;

/// A member's `Erkin-Upload` header for blob `id`.
fn upload_header(origin: &str, signer: &SecretKey, id: &BlobId) -> String {
    use base64::Engine as _;
    let note = erkin_core::note::sign_note(&erkin_core::blob::upload_text(origin, id), signer);
    base64::engine::general_purpose::STANDARD.encode(note)
}

/// An editor's entry publishing an article whose body is blob `body`.
fn publish_entry(origin: &str, key: &SecretKey, slug: &str, body: &BlobId) -> Vec<u8> {
    sign_entry(
        origin,
        &EntryBody {
            time: now(),
            action: Action::Publish(erkin_core::action::Publish {
                slug: slug.into(),
                lang: "en".into(),
                title: "A large document".into(),
                summary: "Published whole.".into(),
                authors: vec![key.name().to_string()],
                bylines: vec![],
                tags: vec![],
                body: body.to_string(),
                media: vec![],
                translation_of: None,
                first_published: None,
            }),
        },
        key,
    )
    .unwrap()
}

/// Uploads `bytes` as `signer`; the reply.
fn upload_blob(addr: SocketAddr, origin: &str, signer: &SecretKey, bytes: &[u8]) -> Reply {
    let header = upload_header(origin, signer, &BlobId::of(bytes));
    exchange(
        addr,
        &format!(
            "POST /api/v1/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
             Erkin-Upload: {header}\r\nContent-Length: {}\r\n\r\n",
            bytes.len()
        ),
        bytes,
    )
    .unwrap()
}

/// A blob of `len` bytes of readable Markdown, different for each `seed`.
fn big_blob(len: usize, seed: u8) -> Vec<u8> {
    let line = format!("Paragraph {seed} of a long leaked document.\n\n");
    line.as_bytes().iter().copied().cycle().take(len).collect()
}

#[test]
fn strangers_uploading_large_bodies_cost_the_server_no_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let origin = "uploads.example/news";
    let (server_dir, _) = found(t, origin, &[&alice]);
    let server = Server::start(&server_dir, &["--sequence"]);
    let a = server.addr;
    let pid = server.child.id();
    let before = peak_rss(pid);
    // 20 strangers at once, each sending a full 32 MiB body: without a
    // note, with garbage, and with a stranger's signed note.
    let stranger = SecretKey::generate(&mut rand_core::OsRng, "stranger").unwrap();
    let body = Arc::new(vec![b'x'; erkin_core::blob::DEFAULT_MAX_BLOB_LEN as usize]);
    let attackers: Vec<_> = (0..20)
        .map(|i| {
            let body = body.clone();
            let auth = match i % 3 {
                0 => String::new(),
                1 => "Erkin-Upload: bm90IGEgbm90ZQ==\r\n".to_string(),
                _ => format!(
                    "Erkin-Upload: {}\r\n",
                    upload_header(origin, &stranger, &BlobId::of(&body))
                ),
            };
            std::thread::spawn(move || {
                let head = format!(
                    "POST /api/v1/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                     {auth}Content-Length: {}\r\n\r\n",
                    body.len()
                );
                // The server may answer and close before the body is sent.
                exchange(a, &head, &body).ok().map(|r| r.status)
            })
        })
        .collect();
    for h in attackers {
        if let Some(status) = h.join().unwrap() {
            assert_eq!(status, 401, "a stranger's upload");
        }
    }
    let grew = peak_rss(pid).saturating_sub(before);
    eprintln!("peak memory grew by {} KiB", grew / 1024);
    assert!(
        grew < 64 * MIB,
        "20 strangers' 32 MiB uploads grew the server's peak memory by {} MiB",
        grew / MIB
    );
    // Still serving, and a member can still upload.
    assert_eq!(get(a, "/").unwrap().status, 200);
    let r = upload_blob(a, origin, &alice.secret(), PHOTO);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(server.stop(), 0);
}

#[test]
fn members_uploads_at_once_are_held_to_the_upload_budget() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let origin = "budget.example/news";
    let (server_dir, _) = found(t, origin, &[&alice]);
    let server = Server::start(&server_dir, &["--sequence"]);
    let a = server.addr;
    let pid = server.child.id();
    let key = alice.secret();
    let before = peak_rss(pid);
    let len = erkin_core::blob::DEFAULT_MAX_BLOB_LEN as usize;
    let blobs: Vec<Vec<u8>> = (0..8).map(|i| big_blob(len, i)).collect();
    // Eight uploads announce themselves at once (headers only, so far).
    let mut streams: Vec<TcpStream> = blobs
        .iter()
        .map(|b| {
            let mut s = TcpStream::connect(a).unwrap();
            let head = format!(
                "POST /api/v1/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
                 Erkin-Upload: {}\r\nContent-Length: {}\r\n\r\n",
                upload_header(origin, &key, &BlobId::of(b)),
                b.len()
            );
            s.write_all(head.as_bytes()).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    // Those past the budget (4 × 32 MiB by default) were answered at once.
    let mut busy = 0;
    let mut taken = Vec::new();
    for (i, s) in streams.iter_mut().enumerate() {
        s.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut raw = Vec::new();
        match s.read_to_end(&mut raw) {
            Ok(_) => {
                let text = String::from_utf8_lossy(&raw);
                assert!(text.starts_with("HTTP/1.1 503"), "{text}");
                assert!(text.contains("\"busy\""), "{text}");
                assert!(text.to_ascii_lowercase().contains("retry-after"), "{text}");
                busy += 1;
            }
            Err(e) => {
                assert!(
                    matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ),
                    "{e}"
                );
                taken.push(i);
            }
        }
    }
    assert_eq!(
        (taken.len(), busy),
        (4, 4),
        "uploads taken and refused as busy"
    );
    for i in taken {
        let s = &mut streams[i];
        s.write_all(&blobs[i]).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    }
    let grew = peak_rss(pid).saturating_sub(before);
    eprintln!("peak memory grew by {} KiB", grew / 1024);
    assert!(
        grew < 320 * MIB,
        "four 32 MiB uploads at once grew the server's peak memory by {} MiB",
        grew / MIB
    );
    assert_eq!(server.stop(), 0);
}

#[test]
fn readers_who_never_read_a_large_blob_pin_no_copy_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let origin = "readers.example/news";
    let (server_dir, _) = found(t, origin, &[&alice]);
    let server = Server::start(&server_dir, &["--sequence"]);
    let a = server.addr;
    let pid = server.child.id();
    let key = alice.secret();
    let blob = big_blob(erkin_core::blob::DEFAULT_MAX_BLOB_LEN as usize, 1);
    let id = BlobId::of(&blob);
    let path = format!("/blob/{id}");
    let r = upload_blob(a, origin, &key, &blob);
    assert_eq!(r.status, 200, "{}", r.text());
    // An upload no entry names is not served from the newsroom's domain.
    assert_eq!(get(a, &path).unwrap().status, 404, "an unnamed upload");
    let r = post_entry(a, &publish_entry(origin, &key, "large", &id));
    assert_eq!(r.status, 200, "{}", r.text());
    // Named: served, whole, from the instant the entry is in the log.
    let whole = get(a, &path).unwrap();
    assert_eq!(whole.status, 200);
    assert!(whole.body == blob, "the served blob is the uploaded one");
    assert!(
        eventually(Duration::from_secs(30), || get(a, "/a/large/")
            .is_ok_and(|r| r.status == 200))
        .is_some(),
        "the article page appears"
    );
    std::thread::sleep(Duration::from_secs(1));
    let before = peak_rss(pid);
    // 40 readers ask for it and never read a byte of the answer.
    let stalled: Vec<TcpStream> = (0..40)
        .map(|_| {
            let mut s = TcpStream::connect(a).unwrap();
            write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_secs(3));
    // Others are still served, promptly.
    let started = Instant::now();
    assert_eq!(get(a, "/").unwrap().status, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
    let grew = peak_rss(pid).saturating_sub(before);
    eprintln!("peak memory grew by {} KiB", grew / 1024);
    assert!(
        grew < 96 * MIB,
        "40 stalled readers of a 32 MiB blob grew the server's peak memory by {} MiB",
        grew / MIB
    );
    drop(stalled);
    assert_eq!(server.stop(), 0);
}

#[test]
fn replaying_a_members_logged_entries_does_not_spend_their_rate_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let origin = "replay.example/news";
    let (server_dir, log_vk) = found(t, origin, &[&alice]);
    let server = Server::start(&server_dir, &["--sequence", "--rate-per-key", "1"]);
    let a = server.addr;
    let key = alice.secret();
    let time = now();
    let said = statement_entry(origin, &key, time, "On the record.");
    assert_eq!(post_entry(a, &said).status, 200);
    let logged = checkpoint_size(a);
    // Anyone can copy it from the public log and send it again, many times.
    for _ in 0..30 {
        post_entry(a, &said).api_error(422, "duplicate");
    }
    assert_eq!(checkpoint_size(a), logged, "a replay added to the log");
    // Alice's own new entries are not held back by the replays.
    for i in 0..3 {
        let r = post_entry(
            a,
            &statement_entry(origin, &key, time, &format!("New #{i}")),
        );
        assert_eq!(r.status, 200, "alice's entry after replays: {}", r.text());
    }
    // Three more, and at most a tick before each batch.
    assert!((logged + 3..=logged + 6).contains(&checkpoint_size(a)));
    assert_eq!(server.stop(), 0);
    verify_ok(&server_dir, &log_vk);
}

#[test]
fn one_client_cannot_use_up_the_servers_connections() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let origin = "fds.example/news";
    let (server_dir, _) = found(t, origin, &[&alice]);
    // 256 descriptors, as a small host might give the process.
    let server = Server::start_limited(&server_dir, &["--sequence"], Some(256));
    let a = server.addr;
    // One client (127.0.0.2) opens 400 connections that start a slow body
    // and stall.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let held = rt.block_on(async {
        let mut held = Vec::new();
        let mut refused = 0;
        for _ in 0..400 {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.bind("127.0.0.2:0".parse().unwrap()).unwrap();
            // A server that no longer even queues connections is full:
            // after a few of those, the attack has done what it can.
            let Ok(Ok(s)) =
                tokio::time::timeout(Duration::from_millis(1500), socket.connect(a)).await
            else {
                refused += 1;
                if refused == 5 {
                    break;
                }
                continue;
            };
            let mut s = s.into_std().unwrap();
            s.set_nonblocking(false).unwrap();
            s.set_write_timeout(Some(Duration::from_secs(1))).unwrap();
            let _ = s.write_all(
                b"POST /api/v1/entries HTTP/1.1\r\nHost: x\r\nContent-Length: 60000\r\n\r\nerkin",
            );
            held.push(s);
        }
        held
    });
    assert!(
        held.len() > 300,
        "the attacker connected {} times",
        held.len()
    );
    std::thread::sleep(Duration::from_secs(1));
    // A reader elsewhere (127.0.0.1) is served at once.
    let mut s = TcpStream::connect_timeout(&a, Duration::from_secs(3))
        .expect("a reader can connect during the attack");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    let read = s.read_to_end(&mut raw);
    assert!(
        read.is_ok() && raw.starts_with(b"HTTP/1.1 200"),
        "a reader during the attack: {read:?} {}",
        String::from_utf8_lossy(&raw[..raw.len().min(200)])
    );
    // And a member can still submit.
    let r = post_entry(
        a,
        &statement_entry(origin, &alice.secret(), now(), "Still here."),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    drop(held);
    assert_eq!(server.stop(), 0);
}

#[test]
fn a_local_writer_is_refused_while_the_server_sequences() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let origin = "onewriter.example/news";
    let (server_dir, log_vk) = found(t, origin, &[&alice]);
    let server = Server::start(&server_dir, &["--sequence"]);
    // Writing into the server's own data directory, behind its back: the
    // entry would be in the log and on none of its pages.
    let r = run(&[
        "--dir",
        s(&server_dir),
        "statement",
        "--key",
        &alice.key,
        "Written behind the server's back.",
    ]);
    r.refused("another process is writing to this data directory");
    assert!(r.stderr.contains("erkin serve --sequence"), "{r:#?}");
    assert!(
        r.stderr.contains(&server.child.id().to_string()),
        "names the server's process: {r:#?}"
    );
    assert_eq!(checkpoint_size(server.addr), 1, "nothing was written");
    // Through the server, the same member is heard.
    alice.statement(&server, "Through the server.").ok();
    assert_eq!(logged_without_ticks(&server_dir), 2);
    assert_eq!(server.stop(), 0);
    // With the server gone, the local command writes.
    run(&[
        "--dir",
        s(&server_dir),
        "statement",
        "--key",
        &alice.key,
        "Now that nobody else writes here.",
    ])
    .ok();
    verify_ok(&server_dir, &log_vk);
}

#[test]
fn uploads_no_entry_names_are_deleted_after_the_grace_period() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let origin = "unnamed.example/news";
    let (server_dir, _) = found(t, origin, &[&alice]);
    // A grace of about two seconds (0.0005 h).
    let server = Server::start(
        &server_dir,
        &["--sequence", "--unnamed-blob-hours", "0.0005"],
    );
    let a = server.addr;
    let key = alice.secret();
    let kept = b"named by an entry".to_vec();
    let dropped = b"named by nothing: hosting under the newsroom's name".to_vec();
    for b in [&kept, &dropped] {
        let r = upload_blob(a, origin, &key, b);
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let r = post_entry(a, &publish_entry(origin, &key, "kept", &BlobId::of(&kept)));
    assert_eq!(r.status, 200, "{}", r.text());
    let stored = |b: &[u8]| {
        erkin_store::Store::open_unverified(&server_dir)
            .unwrap()
            .has_blob(&BlobId::of(b))
            .unwrap()
    };
    assert!(
        eventually(Duration::from_secs(30), || !stored(&dropped)).is_some(),
        "the unnamed upload is still stored"
    );
    assert!(stored(&kept), "the named blob was deleted");
    assert_eq!(
        get(a, &format!("/blob/{}", BlobId::of(&kept)))
            .unwrap()
            .status,
        200
    );
    assert_eq!(
        get(a, &format!("/blob/{}", BlobId::of(&dropped)))
            .unwrap()
            .status,
        404
    );
    assert_eq!(server.stop(), 0);
}
