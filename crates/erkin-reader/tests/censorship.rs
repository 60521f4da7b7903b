//! `erkin read` against the censorship harness (tests/harness): every
//! scenario ends with the reader holding the genuine, newest copy and
//! nothing altered in it; bad input leaves the local copy intact.

mod harness;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use erkin_reader::{sync, Outcome, ReadOptions, ReadReport, ReaderState};
use harness::*;

const GENUINE: &str = "GENUINE: the mine collapsed on Tuesday; eleven miners are missing.";
const ALTERED: &str = "ALTERED: nothing happened at the mine; the report is false.";
const NOW: u64 = T0 + 86_400;

struct World {
    tmp: tempfile::TempDir,
    news: Newsroom,
    mirrors: Mirrors,
    public: Ca,
    state_root: Ca,
    old_size: u64,
    new_size: u64,
    /// Mirror URLs by role.
    working: String,
    refused: String,
    hang: String,
    /// Another name on the hanging copy's address, not filtered.
    same_address: String,
    reset: String,
    throttled: String,
    mitm: String,
    stale: String,
    tampered: String,
}

fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let mirrors = Mirrors::new();
    let public = Ca::new("Test Public Root CA");
    let state_root = Ca::new("Information Security Certification Authority CA");
    let l_working = mirrors.bind([127, 0, 0, 2]);
    let working_url = mirrors.url(&l_working);
    let mut news = Newsroom::found(&root.join("news"));
    news.publish("first", "The first story.");
    // The log names the working copy: a reader learns it from any copy.
    news.set_mirrors(std::slice::from_ref(&working_url));
    let old_size = news.size();
    let old = root.join("old");
    news.export(&old);
    news.publish("mine-collapse", GENUINE);
    for i in 0..40 {
        news.statement(&format!(
            "A statement to make the log bigger, number {i}. {}",
            "Text. ".repeat(40)
        ));
    }
    let new_size = news.size();
    let new = root.join("new");
    news.export(&new);
    // The interceptor's copy: the article altered wherever it appears.
    let mitm_dir = root.join("mitm");
    copy_tree(&new, &mitm_dir);
    let mut altered = 0;
    for f in files(&mitm_dir) {
        let p = mitm_dir.join(&f);
        let bytes = std::fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        if text.contains(GENUINE) {
            std::fs::write(&p, text.replace(GENUINE, ALTERED)).unwrap();
            altered += 1;
        }
    }
    assert!(altered >= 2, "the blob and the page altered");
    // A copy with one entry tile's byte flipped.
    let tampered_dir = root.join("tampered");
    copy_tree(&new, &tampered_dir);
    let tile = files(&tampered_dir)
        .into_iter()
        .find(|f| f.starts_with("tile/entries/"))
        .expect("an entry tile");
    let p = tampered_dir.join(&tile);
    let mut bytes = std::fs::read(&p).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x20;
    std::fs::write(&p, bytes).unwrap();

    let serve = |dir: &Path, rate: Option<usize>| Behaviour::Serve {
        root: dir.to_path_buf(),
        rate,
    };
    let working = mirrors.start_named(l_working, &public, serve(&new, None));
    let refused = mirrors.refused([127, 0, 0, 3]);
    // The SNI filter: on 127.0.0.4 the handshake for mirror-4.test hangs
    // after its ClientHello; another name on the same address is served.
    let sni = mirrors.start_sni(
        mirrors.bind([127, 0, 0, 4]),
        vec![
            (
                "mirror-4.test".into(),
                public.server_config_for("mirror-4.test"),
                Behaviour::HangAfterHello,
            ),
            (
                "unlisted-4.test".into(),
                public.server_config_for("unlisted-4.test"),
                serve(&new, None),
            ),
        ],
    );
    let (hang, same_address) = (sni[0].clone(), sni[1].clone());
    let reset = mirrors.start_named(mirrors.bind([127, 0, 0, 5]), &public, Behaviour::Reset);
    let throttled = mirrors.start_named(
        mirrors.bind([127, 0, 0, 6]),
        &public,
        serve(&new, Some(2 * 1024)),
    );
    let mitm = mirrors.start_named(
        mirrors.bind([127, 0, 0, 7]),
        &state_root,
        serve(&mitm_dir, None),
    );
    let stale = mirrors.start_named(mirrors.bind([127, 0, 0, 8]), &public, serve(&old, None));
    let tampered = mirrors.start_named(
        mirrors.bind([127, 0, 0, 9]),
        &public,
        serve(&tampered_dir, None),
    );
    World {
        tmp,
        news,
        mirrors,
        public,
        state_root,
        old_size,
        new_size,
        working,
        refused,
        hang,
        same_address,
        reset,
        throttled,
        mitm,
        stale,
        tampered,
    }
}

impl World {
    /// Options for a reader in `folder`, whose device trusts the public
    /// test root and the state's root.
    fn options(&self, folder: &Path, sources: &[&str]) -> ReadOptions {
        let mut o = ReadOptions::new(
            self.news.log.verifier_key().clone(),
            folder.to_path_buf(),
            NOW,
        );
        o.sources = sources.iter().map(|s| s.to_string()).collect();
        o.http.roots = Some(Arc::new(vec![self.public.der(), self.state_root.der()]));
        // The harness's names are known to the reader only this way.
        o.http.resolve = self.mirrors.resolve();
        o.http.phase_timeout = Some(Duration::from_secs(2));
        o.http.timeout = Duration::from_secs(10);
        o.head_start = Duration::from_millis(800);
        o.patience = Duration::from_secs(3);
        o.deadline = Duration::from_secs(60);
        o
    }

    fn folder(&self, name: &str) -> PathBuf {
        self.tmp.path().join("readers").join(name)
    }
}

/// The reader's copy holds the newest log and the genuine article, on the
/// page it serves and in the blob store; nothing altered anywhere.
fn assert_genuine_newest(w: &World, folder: &Path, report: &ReadReport) {
    assert_eq!(report.new_size, w.new_size, "{report:#?}");
    let site = folder.join("copy/site");
    let page = std::fs::read_to_string(site.join("a/mine-collapse/index.html")).unwrap();
    assert!(page.contains(GENUINE), "the genuine article is shown");
    for f in files(folder) {
        let bytes = std::fs::read(folder.join(&f)).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains(ALTERED),
            "altered content kept in {f}"
        );
    }
}

/// A figure for bench/reader.sh (never an assertion): the time from an
/// empty reader folder to the genuine newest copy, one line
/// `bench-reader: LABEL: MS ms`.
fn figure(label: &str, started: std::time::Instant) {
    eprintln!(
        "bench-reader: {label}: {:.1} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
}

fn outcome_of<'r>(report: &'r ReadReport, source: &str) -> &'r Outcome {
    &report
        .attempts
        .iter()
        .find(|a| a.source == source)
        .unwrap_or_else(|| panic!("no attempt for {source}: {report:#?}"))
        .outcome
}

#[test]
fn every_blocking_scenario_ends_with_the_genuine_newest_copy() {
    let w = world();
    type Check = fn(&Outcome) -> bool;
    let cases: [(&str, &str, Check); 7] = [
        ("refused", &w.refused, |o| {
            matches!(o, Outcome::Unreachable { .. })
        }),
        ("hang after ClientHello", &w.hang, |o| {
            matches!(o, Outcome::Unreachable { .. })
        }),
        ("reset", &w.reset, |o| {
            matches!(o, Outcome::Unreachable { .. })
        }),
        ("throttled", &w.throttled, |o| matches!(o, Outcome::Slower)),
        ("state-root MITM altering the article", &w.mitm, |o| {
            matches!(o, Outcome::NotGenuine { .. })
        }),
        ("stale", &w.stale, |o| matches!(o, Outcome::Stale { .. })),
        ("tampered tile", &w.tampered, |o| {
            matches!(o, Outcome::NotGenuine { .. })
        }),
    ];
    // The reference: the same sync from the working copy alone.
    let started = std::time::Instant::now();
    let base = w.folder("reference");
    sync(&w.options(&base, &[&w.working])).unwrap();
    figure("reference (the working copy alone)", started);
    for (name, bad, expected) in cases {
        let folder = w.folder(&name.replace(' ', "-"));
        // The blocked copy worked last time: it is tried first.
        ReaderState {
            key: w.news.log.verifier_key().to_string(),
            sources: vec![bad.to_string(), w.working.clone()],
            last_good: Some(bad.to_string()),
            source: None,
            last_verified: None,
        }
        .save(&folder)
        .unwrap();
        let started = std::time::Instant::now();
        let report = sync(&w.options(&folder, &[])).unwrap_or_else(|e| panic!("{name}: {e}"));
        // A figure for the report, never an assertion.
        figure(name, started);
        assert_genuine_newest(&w, &folder, &report);
        let got = outcome_of(&report, bad);
        assert!(expected(got), "{name}: {got:?}");
        assert_eq!(
            outcome_of(&report, &w.working),
            &Outcome::Used { size: w.new_size },
            "{name}"
        );
        assert_eq!(report.last_verified, Some(NOW));
        let state = ReaderState::load(&folder);
        assert_eq!(
            state.last_good.as_deref(),
            Some(w.working.as_str()),
            "{name}"
        );
    }
}

#[test]
fn all_at_once_and_then_a_rolled_back_copy_changes_nothing() {
    let w = world();
    let folder = w.folder("all");
    let all = [
        w.refused.as_str(),
        &w.hang,
        &w.reset,
        &w.throttled,
        &w.mitm,
        &w.stale,
        &w.tampered,
        &w.working,
    ];
    // The reference in this world: the working copy alone.
    let started = std::time::Instant::now();
    sync(&w.options(&w.folder("all-reference"), &[&w.working])).unwrap();
    figure("reference (the working copy alone)", started);
    let started = std::time::Instant::now();
    let report = sync(&w.options(&folder, &all)).unwrap();
    figure("all eight at once", started);
    assert_genuine_newest(&w, &folder, &report);
    assert_eq!(
        outcome_of(&report, &w.working),
        &Outcome::Used { size: w.new_size }
    );
    assert!(matches!(
        outcome_of(&report, &w.stale),
        Outcome::Stale { .. }
    ));
    // Later, only the stale copy answers: it is older than the copy held.
    ReaderState {
        key: w.news.log.verifier_key().to_string(),
        sources: vec![w.stale.clone()],
        last_good: Some(w.working.clone()),
        source: None,
        last_verified: Some(NOW),
    }
    .save(&folder)
    .unwrap();
    let mut o = w.options(&folder, &[]);
    o.now = NOW + 60;
    let report = sync(&o).unwrap();
    assert_eq!(
        outcome_of(&report, &w.stale),
        &Outcome::Stale {
            size: w.old_size,
            have: w.new_size
        }
    );
    assert_genuine_newest(&w, &folder, &report);
}

#[test]
fn a_reader_learns_new_copies_from_the_verified_log() {
    let w = world();
    let folder = w.folder("learn");
    // Only the stale copy is known: its log names the working one.
    let report = sync(&w.options(&folder, &[&w.stale])).unwrap();
    assert_eq!(report.new_size, w.old_size);
    assert_eq!(report.learned, vec![w.working.clone()]);
    let report = sync(&w.options(&folder, &[])).unwrap();
    assert_genuine_newest(&w, &folder, &report);
}

#[test]
fn a_bundle_is_read_with_no_network() {
    let w = world();
    let folder = w.folder("bundle");
    let bundle = w.tmp.path().join("habar.tar.gz");
    erkin_mirror::write_bundle(&w.news.p, &bundle, 0).unwrap();
    let report = sync(&w.options(&folder, &[bundle.to_str().unwrap()])).unwrap();
    assert_genuine_newest(&w, &folder, &report);
    assert!(w.mirrors.seen.lock().unwrap().is_empty(), "no request made");
}

/// Every file of the local copy, with its bytes.
fn snapshot(folder: &Path) -> Vec<(String, Vec<u8>)> {
    let copy = folder.join("copy");
    files(&copy)
        .into_iter()
        .filter(|f| !f.starts_with(".sync"))
        .map(|f| {
            let b = std::fs::read(copy.join(&f)).unwrap();
            (f, b)
        })
        .collect()
}

#[test]
fn bad_input_gets_a_clear_reason_and_the_local_copy_stays_intact() {
    let w = world();
    let folder = w.folder("bad");
    sync(&w.options(&folder, &[&w.working])).unwrap();
    // Another publication (another log key) served as if it were this one.
    let other_dir = w.tmp.path().join("other");
    let mut other = Newsroom::found(&w.tmp.path().join("other-news"));
    for i in 0..60 {
        other.statement(&format!("Forged {i}"));
    }
    other.export(&other_dir);
    let forged = w.mirrors.start_named(
        w.mirrors.bind([127, 0, 0, 11]),
        &w.public,
        Behaviour::Serve {
            root: other_dir,
            rate: None,
        },
    );
    let redirect = w.mirrors.start_named(
        w.mirrors.bind([127, 0, 0, 12]),
        &w.public,
        Behaviour::Redirect("https://elsewhere.example/".into()),
    );
    let endless = w.mirrors.start_named(
        w.mirrors.bind([127, 0, 0, 13]),
        &w.public,
        Behaviour::Endless,
    );
    let malformed = "htps:/habar example";
    let before = snapshot(&folder);
    // Only the bad sources are known this time.
    ReaderState {
        key: w.news.log.verifier_key().to_string(),
        sources: vec![],
        last_good: None,
        source: None,
        last_verified: Some(NOW),
    }
    .save(&folder)
    .unwrap();
    let report = sync(&w.options(&folder, &[&forged, &redirect, &endless, malformed])).unwrap();
    match outcome_of(&report, &forged) {
        Outcome::NotGenuine { reason } => assert!(reason.contains("checkpoint"), "{reason}"),
        o => panic!("forged: {o:?}"),
    }
    match outcome_of(&report, &redirect) {
        Outcome::Unreachable { reason } => {
            assert!(
                reason.contains("redirects to \"https://elsewhere.example/checkpoint\""),
                "{reason}"
            )
        }
        o => panic!("redirect: {o:?}"),
    }
    match outcome_of(&report, &endless) {
        Outcome::NotGenuine { reason } => assert!(reason.contains("larger than"), "{reason}"),
        o => panic!("endless: {o:?}"),
    }
    match outcome_of(&report, malformed) {
        Outcome::Skipped { reason } => assert!(reason.contains("neither"), "{reason}"),
        o => panic!("malformed: {o:?}"),
    }
    assert_eq!(report.new_size, w.new_size);
    assert_eq!(snapshot(&folder), before, "the local copy changed");
    assert_eq!(
        report.last_verified,
        Some(NOW),
        "no new verification claimed"
    );
}

#[test]
fn a_socks5h_proxy_carries_every_request_and_resolves_the_names() {
    let w = world();
    let name = "habar-mirror.test";
    let l = w.mirrors.bind([127, 0, 0, 14]);
    let addr = l.local_addr().unwrap();
    // A copy reachable only by a name the test machine cannot resolve.
    let new_dir = w.tmp.path().join("new");
    w.mirrors.start(
        l,
        w.public.server_config_for(name),
        Behaviour::Serve {
            root: new_dir,
            rate: None,
        },
    );
    assert!(
        std::net::ToSocketAddrs::to_socket_addrs(&(name, 443)).is_err(),
        "{name} must not resolve here"
    );
    let (proxy, seen) = w.mirrors.socks5(vec![(name.to_string(), addr)]);
    let url = format!("https://{name}:{}/", addr.port());
    let folder = w.folder("socks");
    let mut o = w.options(&folder, &[&url]);
    o.http.proxy = Some(proxy);
    let report = sync(&o).unwrap();
    assert_genuine_newest(&w, &folder, &report);
    let seen = seen.lock().unwrap().clone();
    assert!(!seen.is_empty());
    let wanted = format!("{name}:{}", addr.port());
    assert!(
        seen.iter().all(|s| *s == wanted),
        "every connection asked the proxy for the name: {seen:?}"
    );
    let served = w.mirrors.seen.lock().unwrap().len();
    assert!(
        served >= seen.len(),
        "each request through the proxy reached the copy"
    );
}

/// `erkin probe` names every scenario, names the interception's root, and
/// every record validates against docs/probe.schema.json.
#[test]
fn the_probe_classifies_every_scenario_and_its_records_follow_the_schema() {
    use erkin_reader::probe::{probe, ProbeOptions};
    let w = world();
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../docs/probe.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(rustls::pki_types::CertificateDer::from(w.public.der()))
        .unwrap();
    let mut o = ProbeOptions::new(
        w.news.log.verifier_key().clone(),
        "2026-12-06 20:00:00".into(),
    );
    o.public_roots = Arc::new(roots);
    o.local_size = w.new_size;
    o.phase_timeout = Duration::from_secs(2);
    o.local_size = w.new_size;
    // The content check sees what the device trusts (the state root too).
    o.scratch = Some(w.tmp.path().join("probe-scratch"));
    o.http = w.options(&w.folder("probe"), &[]).http;
    let cases = [
        (&w.working, "ok"),
        (&w.refused, "tcp_refused"),
        (&w.hang, "tls_handshake_timeout"),
        (&w.same_address, "ok"),
        (&w.reset, "connection_reset"),
        (&w.throttled, "throttled"),
        (&w.mitm, "tls_interception"),
        (&w.stale, "stale"),
        (&w.tampered, "tampered"),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut records = Vec::new();
    for (url, want) in cases {
        let m = rt.block_on(probe(url, &[], &o));
        let json = serde_json::to_value(&m).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{url}: {errors:?}");
        assert_eq!(m.test_keys.x_erkin.classification, want, "{url}: {json:#}");
        records.push(m);
    }
    // The SNI filter: the blocked name and the served one share an
    // address; each handshake sent its own name.
    let (hang, open) = (&records[2].test_keys, &records[3].test_keys);
    assert_eq!(hang.tcp_connect[0].ip, open.tcp_connect[0].ip);
    assert_eq!(hang.tcp_connect[0].port, open.tcp_connect[0].port);
    assert_eq!(hang.tls_handshakes[0].server_name, "mirror-4.test");
    assert_eq!(open.tls_handshakes[0].server_name, "unlisted-4.test");
    assert_eq!(
        hang.tls_handshakes[0].failure.as_deref(),
        Some("generic_timeout_error")
    );
    assert!(open.accessible, "{:?}", open.x_erkin);
    // No DNS was asked: the override is recorded as such.
    assert_eq!(hang.queries[0].engine, "erkin_resolve_override");
    let mitm = &records[6].test_keys;
    assert_eq!(
        mitm.tls_handshakes[0].failure.as_deref(),
        Some("ssl_unknown_authority")
    );
    let root = mitm
        .x_erkin
        .interception_root
        .as_ref()
        .expect("the root named");
    assert!(root.name.contains("ISCA"), "{root:?}");
    assert!(root
        .sources
        .iter()
        .any(|s| s.contains("bugzilla.mozilla.org")));
    assert!(
        mitm.x_erkin.verification.starts_with("NOT GENUINE"),
        "the altered article is caught: {}",
        mitm.x_erkin.verification
    );
    assert!(
        !mitm.tls_handshakes[0].peer_certificates.is_empty(),
        "the chain kept"
    );
    assert_eq!(mitm.blocking, serde_json::json!("http-failure"));
    assert_eq!(records[0].test_keys.blocking, serde_json::json!(false));
    assert!(records[0].test_keys.accessible);
    // A pin the mirror list gives that the leaf does not match is interception too.
    let m = rt.block_on(probe(&w.working, &["00".repeat(32)], &o));
    assert_eq!(m.test_keys.x_erkin.classification, "tls_interception");
    assert_eq!(m.test_keys.x_erkin.pin_match, Some(false));
    // A schema that can fail: a record with a wrong blocking value is refused.
    let mut bad = serde_json::to_value(&records[0]).unwrap();
    bad["test_keys"]["blocking"] = serde_json::json!("blocked");
    assert!(!validator.is_valid(&bad));
    let html = erkin_reader::probe::html_report(&records);
    assert!(
        html.contains("tls_interception") && html.contains("ISCA") && !html.contains("<script")
    );
}

/// The SNI filter as Kazakhstan's DPI applies it: the handshake for the
/// blocked name hangs after its ClientHello; the same address under another
/// name is read. The reader, told where the names are (`--resolve`), ends
/// with the genuine newest copy from the other name.
#[test]
fn a_name_blocked_by_sni_hangs_and_another_name_on_the_same_address_is_read() {
    let w = world();
    let folder = w.folder("sni");
    let addr_of = |url: &str| {
        let host = url::Url::parse(url)
            .unwrap()
            .host_str()
            .unwrap()
            .to_string();
        erkin_mirror::resolve_override(&w.mirrors.resolve(), &host).unwrap()
    };
    assert_eq!(addr_of(&w.hang), addr_of(&w.same_address), "one address");
    ReaderState {
        key: w.news.log.verifier_key().to_string(),
        sources: vec![w.hang.clone(), w.same_address.clone()],
        last_good: Some(w.hang.clone()),
        source: None,
        last_verified: None,
    }
    .save(&folder)
    .unwrap();
    let started = std::time::Instant::now();
    let report = sync(&w.options(&folder, &[])).unwrap();
    figure("SNI-blocked name, another name on its address", started);
    assert_genuine_newest(&w, &folder, &report);
    match outcome_of(&report, &w.hang) {
        Outcome::Unreachable { reason } => assert!(reason.contains("mirror-4.test"), "{reason}"),
        o => panic!("the blocked name: {o:?}"),
    }
    assert_eq!(
        outcome_of(&report, &w.same_address),
        &Outcome::Used { size: w.new_size }
    );
    // Without the override the harness's names do not resolve: it is what
    // took the reader there.
    let bare = w.folder("sni-no-resolve");
    let mut o = w.options(&bare, &[&w.same_address]);
    o.http.resolve.clear();
    assert!(sync(&o).is_err(), "a name nobody resolves was reached");
}

#[test]
fn resolve_overrides_parse_or_say_why_not() {
    use erkin_mirror::parse_resolve;
    let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
    assert_eq!(
        parse_resolve("Habar.KZ.=203.0.113.7").unwrap(),
        ("habar.kz".to_string(), ip("203.0.113.7"))
    );
    assert_eq!(
        parse_resolve("habar.kz=[2001:db8::1]").unwrap().1,
        ip("2001:db8::1")
    );
    for (bad, says) in [
        ("habar.kz", "expected NAME=ADDRESS"),
        ("=203.0.113.7", "is not a host name"),
        ("ha bar.kz=203.0.113.7", "is not a host name"),
        ("habar.kz=habar.example", "is not an IP address"),
    ] {
        let e = parse_resolve(bad).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
    let names = vec![("habar.kz".to_string(), ip("203.0.113.7"))];
    assert_eq!(
        erkin_mirror::resolve_override(&names, "HABAR.kz."),
        Some(ip("203.0.113.7"))
    );
    assert_eq!(erkin_mirror::resolve_override(&names, "other.kz"), None);
}
