//! The reader's side through the real binary (issue 19): editors keep the
//! signed mirror list with `erkin mirrors`, and it reaches `erkin.json`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::binary::{erkin, ok, refused};

/// Founds Habar in `d` with one member, aigerim, whose key file is in `t`;
/// returns her key file and the publication's verifier key.
fn found(t: &Path, d: &Path) -> (PathBuf, String) {
    let key = t.join("aigerim.key");
    let vk = ok(
        t,
        &[
            "key",
            "new",
            "--name",
            "aigerim",
            "--out",
            key.to_str().unwrap(),
        ],
    );
    let log_vk = ok(
        d,
        &[
            "init",
            "--origin",
            "habar.example/news",
            "--name",
            "Habar",
            "--founder",
            &vk,
        ],
    );
    (key, log_vk)
}

#[test]
fn editors_keep_the_mirror_list_and_it_reaches_erkin_json() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let d = t.join("pub");
    let (key, _) = found(t, &d);
    let k = key.to_str().unwrap();
    assert_eq!(ok(&d, &["mirrors", "list", "--json"]), "[]");
    let pin = "AB:".repeat(31) + "AB";
    ok(
        &d,
        &[
            "mirrors",
            "add",
            "--key",
            k,
            "https://Habar.Example",
            "--pin",
            &pin,
        ],
    );
    ok(
        &d,
        &[
            "mirrors",
            "add",
            "--key",
            k,
            "http://2gzyxa5ihm7nsggfxnu52rck2vv4rvmdlkiu3zzui5du4xyclen53wid.onion",
        ],
    );
    let list: Vec<erkin_core::action::MirrorEntry> =
        serde_json::from_str(&ok(&d, &["mirrors", "list", "--json"])).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].url, "https://habar.example/", "written canonically");
    assert_eq!(list[0].pins, vec!["ab".repeat(32)]);
    assert!(ok(&d, &["mirrors", "list"]).contains("onion\thttp://2gzyxa5"));
    // Refusals come from the fold, each named.
    refused(
        &d,
        &["mirrors", "add", "--key", k, "http://habar.example/"],
        "plain http",
    );
    refused(
        &d,
        &["mirrors", "add", "--key", k, "https://habar.example/"],
        "already on the list",
    );
    refused(
        &d,
        &[
            "mirrors",
            "add",
            "--key",
            k,
            "https://x.example/",
            "--pin",
            "12",
        ],
        "not a SHA-256",
    );
    refused(
        &d,
        &["mirrors", "add", "--key", k, "habar.example"],
        "not an absolute URL",
    );
    refused(
        &d,
        &["mirrors", "remove", "--key", k, "https://nowhere.example/"],
        "not on the mirror list",
    );
    // The export's erkin.json carries the list.
    let out = t.join("site");
    ok(&d, &["export", out.to_str().unwrap()]);
    let descriptor: erkin_core::descriptor::Descriptor =
        serde_json::from_slice(&std::fs::read(out.join("erkin.json")).unwrap()).unwrap();
    assert_eq!(descriptor.mirrors, list);
    ok(
        &d,
        &["mirrors", "remove", "--key", k, "https://habar.example/"],
    );
    let list: Vec<erkin_core::action::MirrorEntry> =
        serde_json::from_str(&ok(&d, &["mirrors", "list", "--json"])).unwrap();
    assert_eq!(list.len(), 1);
}

/// `erkin read` through the binary: a bundle with no network (the key taken
/// from it on first use, said loudly), then by key alone from the copy kept,
/// served on 127.0.0.1 with the banner.
#[test]
fn erkin_read_takes_a_bundle_offline_and_serves_the_copy_with_its_banner() {
    use std::io::{BufRead, Read, Write};
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let d = t.join("pub");
    let (key, log_vk) = found(t, &d);
    ok(
        &d,
        &[
            "statement",
            "--key",
            key.to_str().unwrap(),
            "Reading around blocking.",
        ],
    );
    let bundle = t.join("habar.tar.gz");
    ok(&d, &["bundle", bundle.to_str().unwrap()]);
    let data = t.join("reader");
    let data_s = data.to_str().unwrap();
    let (code, _, err) = erkin(
        t,
        &[
            "read",
            bundle.to_str().unwrap(),
            "--data",
            data_s,
            "--sync-only",
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("the key was taken from the copy itself"),
        "{err}"
    );
    assert!(
        err.contains("Genuine copy of habar.example/news (2 entries)"),
        "{err}"
    );
    // Later, by key alone: the copy kept is read with no source at all.
    let (code, _, err) = erkin(t, &["read", &log_vk, "--data", data_s, "--sync-only"]);
    assert_eq!(code, 0, "offline, from the copy kept: {err}");
    let (code, _, err) = erkin(t, &["read", "not-a-key-or-copy", "--data", data_s]);
    assert_eq!(code, 1);
    assert!(
        err.contains("not a verifier key, a copy's address"),
        "{err}"
    );
    // Served on 127.0.0.1 with the banner on every page.
    let mut child = Command::new(env!("CARGO_BIN_EXE_erkin"))
        .args(["read", &log_vk, "--data", data_s, "--no-open"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.as_mut().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET /en/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut page = String::new();
    s.read_to_string(&mut page).unwrap();
    child.kill().unwrap();
    let _ = child.wait();
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    assert!(
        page.contains("Genuine copy: verified against the publication's key (2 entries)"),
        "{page}"
    );
    assert!(
        page.contains("habar.tar.gz"),
        "the banner names the copy's source"
    );
}

/// `erkin probe` through the binary against a served copy: one OONI-shaped
/// record a line, the copy verified, an HTML report; nothing to measure is
/// a clear error.
#[test]
fn erkin_probe_measures_a_served_copy() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let d = t.join("pub");
    let (_, log_vk) = found(t, &d);
    let data = t.join("reader");
    let data_s = data.to_str().unwrap();
    let (code, _, err) = erkin(t, &["probe", &log_vk, "--data", data_s]);
    assert_eq!(code, 1);
    assert!(err.contains("no copy's address is known"), "{err}");
    let server = crate::common::Server::start(&d, &[]);
    let out = t.join("probe.jsonl");
    let html = t.join("probe.html");
    let (code, _, err) = erkin(
        t,
        &[
            "probe",
            &log_vk,
            &server.url,
            "--data",
            data_s,
            "--out",
            out.to_str().unwrap(),
            "--html",
            html.to_str().unwrap(),
        ],
    );
    // --resolve: a name nothing resolves, taken to the server's address;
    // no DNS asked, and the record says so.
    let named = server.url.replace("127.0.0.1", "habar-copy.test");
    assert_ne!(named, server.url);
    let resolve = "habar-copy.test=127.0.0.1";
    let named_out = t.join("named.jsonl");
    let (named_code, _, named_err) = erkin(
        t,
        &[
            "probe",
            &log_vk,
            &named,
            "--data",
            data_s,
            "--resolve",
            resolve,
            "--out",
            named_out.to_str().unwrap(),
        ],
    );
    let other = t.join("reader-named");
    let (read_code, _, read_err) = erkin(
        t,
        &[
            "read",
            &log_vk,
            &named,
            "--resolve",
            resolve,
            "--data",
            other.to_str().unwrap(),
            "--sync-only",
        ],
    );
    let (bad_code, _, bad_err) = erkin(t, &["read", &log_vk, "--resolve", "habar-copy.test"]);
    server.stop();
    assert_eq!(named_code, 0, "{named_err}");
    let r: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&named_out).unwrap().trim()).unwrap();
    assert_eq!(r["test_keys"]["x_erkin"]["classification"], "ok", "{r:#}");
    assert_eq!(
        r["test_keys"]["queries"][0]["engine"],
        "erkin_resolve_override"
    );
    assert_eq!(r["test_keys"]["queries"][0]["hostname"], "habar-copy.test");
    assert_eq!(read_code, 0, "{read_err}");
    assert!(
        read_err.contains("Genuine copy of habar.example/news"),
        "{read_err}"
    );
    assert!(
        read_err.contains(&format!("from {named}")),
        "read by its name: {read_err}"
    );
    assert_ne!(bad_code, 0);
    assert!(bad_err.contains("expected NAME=ADDRESS"), "{bad_err}");
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r["test_name"], "web_connectivity");
    assert_eq!(r["test_keys"]["x_erkin"]["classification"], "ok", "{r:#}");
    assert_eq!(r["test_keys"]["accessible"], true);
    assert_eq!(r["test_keys"]["tcp_connect"][0]["status"]["success"], true);
    assert!(std::fs::read_to_string(&html)
        .unwrap()
        .contains("verifies against the pinned key"));
    assert!(err.contains("Nothing was sent anywhere"));
}
