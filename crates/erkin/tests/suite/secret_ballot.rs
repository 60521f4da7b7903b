//! Secret ballots end to end (issue 15; docs/BALLOT.md §13): twenty
//! members, a real `erkin serve --sequence` on loopback, every ballot cast
//! with `erkin vote` through a SOCKS5 proxy the test runs, and the refusals
//! of ballots no honest client makes, proved here with the command line's
//! own prover (`src/prove.rs`) and posted as the client would.
//!
//! Deadlines of days pass through the test clock (`ERKIN_TEST_CLOCK_FILE`,
//! debug builds only), shared by the server and every command: the test
//! moves it past a deadline and waits for the sequencer's close; no
//! assertion depends on how long anything takes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use erkin_core::action::{Action, Ballot, CastBallot, Motion};
use erkin_core::api;
use erkin_core::ballot::{self, BallotProof, ElectorateTree, FieldElement, Proof, Verifier};
use erkin_core::ballot_secret::BallotSecret;
use erkin_core::entry::ParsedEntry;
use erkin_core::governance::Proposal;
use erkin_core::state::State;
use erkin_testkit::{eventually, post};

use crate::common::{erkin, s, Launch, Server, PASSPHRASE};

#[path = "../../src/prove.rs"]
#[allow(dead_code)]
mod prove;

const CLOCK_ENV: &str = "ERKIN_TEST_CLOCK_FILE";
const MEMBERS: usize = 20;
/// The server's name as `erkin vote` is given it when it votes through the
/// proxy: only the proxy resolves it (to loopback), so a request that
/// does not go through the proxy cannot reach the server at all.
const PROXIED_HOST: &str = "ballots.invalid";

fn handle(i: usize) -> String {
    format!("m{i:02}")
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

// ---------------------------------------------------------------------------
// A SOCKS5 proxy with username/password authentication (RFC 1928, 1929),
// CONNECT only, that records what each connection carried.

#[derive(Debug, Clone)]
struct Seen {
    user: String,
    pass: String,
    /// Everything the client sent through it.
    sent: Arc<Mutex<Vec<u8>>>,
    /// The proxy's own port towards the server: the address the server saw.
    outbound: u16,
    /// The host the client asked for.
    host: String,
}

struct Socks {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Socks {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = seen.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming().flatten() {
                let log = log.clone();
                std::thread::spawn(move || {
                    let _ = socks_connection(conn, &log);
                });
            }
        });
        Socks { addr, seen }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn read_n(c: &mut TcpStream, n: usize) -> std::io::Result<Vec<u8>> {
    let mut b = vec![0u8; n];
    c.read_exact(&mut b)?;
    Ok(b)
}

fn socks_connection(mut c: TcpStream, log: &Mutex<Vec<Seen>>) -> std::io::Result<()> {
    c.set_read_timeout(Some(Duration::from_secs(60)))?;
    let head = read_n(&mut c, 2)?;
    let methods = read_n(&mut c, head[1] as usize)?;
    if head[0] != 5 || !methods.contains(&2) {
        // Only clients that authenticate are served: a ballot sent without
        // credentials would share a Tor circuit.
        c.write_all(&[5, 0xff])?;
        return Ok(());
    }
    c.write_all(&[5, 2])?;
    let v = read_n(&mut c, 2)?;
    let user = String::from_utf8_lossy(&read_n(&mut c, v[1] as usize)?).into_owned();
    let plen = read_n(&mut c, 1)?[0] as usize;
    let pass = String::from_utf8_lossy(&read_n(&mut c, plen)?).into_owned();
    c.write_all(&[1, 0])?;
    let req = read_n(&mut c, 4)?;
    let host = match req[3] {
        1 => {
            let b = read_n(&mut c, 4)?;
            format!("{}.{}.{}.{}", b[0], b[1], b[2], b[3])
        }
        3 => {
            let n = read_n(&mut c, 1)?[0] as usize;
            String::from_utf8_lossy(&read_n(&mut c, n)?).into_owned()
        }
        _ => return Ok(()),
    };
    let p = read_n(&mut c, 2)?;
    let port = u16::from_be_bytes([p[0], p[1]]);
    let resolved = if host == PROXIED_HOST {
        "127.0.0.1"
    } else {
        host.as_str()
    };
    let mut target = TcpStream::connect((resolved, port))?;
    c.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0])?;
    let sent: Arc<Mutex<Vec<u8>>> = Arc::default();
    log.lock().unwrap().push(Seen {
        user,
        pass,
        sent: sent.clone(),
        outbound: target.local_addr()?.port(),
        host,
    });
    let mut back_from = target.try_clone()?;
    let mut back_to = c.try_clone()?;
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut back_from, &mut back_to);
        let _ = back_to.shutdown(std::net::Shutdown::Write);
    });
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = match c.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        sent.lock().unwrap().extend_from_slice(&buf[..n]);
        target.write_all(&buf[..n])?;
    }
    let _ = target.shutdown(std::net::Shutdown::Write);
    Ok(())
}

// ---------------------------------------------------------------------------
// The world: twenty members, their files, a server, a proxy, a clock.

struct Member {
    handle: String,
    key: PathBuf,
    /// The member's verifier key (public).
    vk: String,
    ballot_key: PathBuf,
    secret: BallotSecret,
    /// The registered ballot key (the identity commitment), hex.
    commitment: String,
}

struct World {
    t: PathBuf,
    clock: PathBuf,
    copy: PathBuf,
    server_dir: PathBuf,
    members: Vec<Member>,
    socks: Socks,
    server: Option<Server>,
    /// `erkin vote` commands run through the proxy that got as far as
    /// syncing the copy.
    proxied_votes: std::cell::Cell<usize>,
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

impl World {
    /// `erkin ARGS` with the test clock, as a member: through the server,
    /// with the shared copy, every secret ballot through the proxy.
    fn member_cmd(&self, args: &[&str]) -> Run {
        self.member_cmd_with(args, &[])
    }

    /// [`World::member_cmd`] with more environment variables. `erkin vote`
    /// through the proxy is given the server by a name only the proxy
    /// resolves ([`PROXIED_HOST`]): every request it makes, the sync of
    /// the copy included, must go through the proxy.
    fn member_cmd_with(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let server = self.server.as_ref().expect("the server runs");
        let proxied = args.first() == Some(&"vote")
            && !env.iter().any(|(k, _)| *k == "ERKIN_BALLOT_PROXY")
            && !args.contains(&"--proxy");
        let url = if proxied {
            self.proxied_votes.set(self.proxied_votes.get() + 1);
            server.url.replace("127.0.0.1", PROXIED_HOST)
        } else {
            server.url.clone()
        };
        let out = erkin()
            .env(CLOCK_ENV, &self.clock)
            .env(
                "ERKIN_BALLOT_PROXY",
                format!("socks5h://{}", self.socks.addr),
            )
            .envs(env.iter().copied())
            .args(args)
            .args(["--dir", s(&self.copy), "--server", &url])
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            out: String::from_utf8_lossy(&out.stdout).into_owned(),
            err: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.member_cmd(args);
        assert_eq!(r.code, 0, "erkin {args:?} failed: {}{}", r.out, r.err);
        r.out.trim().to_string()
    }

    fn refused(&self, args: &[&str], phrase: &str) -> String {
        let r = self.member_cmd(args);
        assert_eq!(r.code, 1, "erkin {args:?} should fail: {}{}", r.out, r.err);
        assert!(
            r.err.contains(phrase),
            "erkin {args:?}: expected {phrase:?} in {}",
            r.err
        );
        r.err
    }

    /// Member `i` casts a secret ballot with `erkin vote`.
    fn vote(&self, i: usize, proposal: u64, choice: &[&str]) -> String {
        let m = &self.members[i];
        let id = proposal.to_string();
        let mut args = vec!["vote", &id];
        let rank;
        if choice.len() == 1 && ["yes", "no", "abstain"].contains(&choice[0]) {
            args.push(choice[0]);
        } else {
            rank = choice.join(",");
            args.extend(["--rank", &rank]);
        }
        args.extend(["--key", s(&m.key)]);
        self.ok(&args)
    }

    /// Moves the shared clock so that it reads `at` now.
    fn set_clock(&self, at: u64) {
        let offset = at as i64 - unix_now() as i64;
        std::fs::write(&self.clock, offset.to_string()).unwrap();
    }

    /// Moves the shared clock `secs` on (the sequencer's too).
    fn advance_clock(&self, secs: u64) {
        let offset: i64 =
            std::fs::read_to_string(&self.clock).map_or(0, |t| t.trim().parse().unwrap());
        std::fs::write(&self.clock, (offset + secs as i64).to_string()).unwrap();
    }

    /// The state of the member's copy, synced from the server now.
    fn state(&self) -> State {
        self.ok(&["proposals"]);
        let mirror = erkin_mirror::Mirror::open(&self.copy).unwrap();
        mirror.publication().unwrap().state().clone()
    }

    /// Waits until the sequencer has closed `proposal` (the clock is
    /// already past its deadline); the state then.
    fn closed(&self, proposal: u64) -> State {
        let mut last = None;
        let waited = eventually(Duration::from_secs(120), || {
            let st = self.state();
            let done = st.proposal(proposal).unwrap().outcome.is_some();
            last = Some(st);
            done
        });
        assert!(
            waited.is_some(),
            "the sequencer did not close #{proposal}: {}",
            self.server.as_ref().unwrap().stderr()
        );
        last.unwrap()
    }
}

fn proposal_of(state: &State, id: u64) -> &Proposal {
    state.proposal(id).unwrap()
}

/// The leaves of `p`'s tree in its latest epoch (departed ones zeroed).
fn leaves(p: &Proposal) -> Vec<FieldElement> {
    let sv = p.secret.as_deref().unwrap();
    sv.leaves
        .iter()
        .map(|l| {
            if sv.departed.contains(&l.handle) {
                FieldElement::ZERO
            } else {
                FieldElement::from_hex(&l.commitment).unwrap()
            }
        })
        .collect()
}

/// A ballot proved by `secret` as leaf `index` of the tree of `leaves`,
/// for proposal `scope_of` (scope) but labelled `proposal`, with `seq`
/// and `choice`: what a client would post.
#[allow(clippy::too_many_arguments)]
fn craft(
    origin: &str,
    scope_of: &Proposal,
    proposal: u64,
    secret: &BallotSecret,
    leaves: &[FieldElement],
    index: usize,
    seq: u64,
    choice: &Ballot,
) -> CastBallot {
    let tree = ElectorateTree::new(leaves).unwrap();
    let scope = FieldElement::from_hex(&scope_of.secret.as_deref().unwrap().scope).unwrap();
    let signal = ballot::signal(origin, proposal, seq, &ballot::choice_json(choice).unwrap());
    let claim = prove::prove(&secret.identity(), &tree, index, scope, signal).unwrap();
    CastBallot {
        proposal,
        root: claim.root.to_hex(),
        nullifier: claim.nullifier.to_hex(),
        seq,
        choice: choice.clone(),
        proof: claim.proof.to_hex(),
    }
}

/// Posts `b` as a client does: padded, encrypted to the ballot box.
fn submit(server: &Server, state: &State, b: &CastBallot) -> Refusal {
    let recipient = age::x25519::Recipient::from_str(state.ballot_box().unwrap()).unwrap();
    let reply = age::x25519::Identity::generate();
    let plain = api::pad_ballot(&b.canonical_json(), &reply.to_public().to_string()).unwrap();
    let body = age::encrypt(&recipient, &plain).unwrap();
    let r = post(server.addr, &format!("/{}", api::BALLOTS_PATH), &body).unwrap();
    // A body that decrypts is answered 200, encrypted to its reply key.
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = age::decrypt(&reply, &r.body).unwrap();
    Refusal(api::read_ballot_answer(&answer).unwrap())
}

/// The sequencer's answer to a ballot the test expects refused.
struct Refusal(api::BallotAnswer);

impl Refusal {
    /// Asserts a refusal with this code and a message.
    fn code(&self, code: &str) {
        match &self.0 {
            api::BallotAnswer::Refused(doc) => {
                assert_eq!(doc.error.code, code, "{doc:?}");
                assert!(!doc.error.message.is_empty(), "{doc:?}");
            }
            other => panic!("expected {code}, the ballot was taken: {other:?}"),
        }
    }
}

/// Every `ballot` entry in the log of the copy: its index, its raw bytes
/// and the ballot.
fn ballot_entries(copy: &Path, state: &State) -> Vec<(u64, Vec<u8>, CastBallot)> {
    let mirror = erkin_mirror::Mirror::open(copy).unwrap();
    let store = mirror.publication().unwrap().store();
    let raw = store.entries(0, store.size()).unwrap();
    raw.into_iter()
        .enumerate()
        .filter_map(|(i, bytes)| {
            let e = ParsedEntry::parse(&bytes, state.origin()).unwrap();
            match e.body.action {
                Action::Ballot(b) => Some((i as u64, bytes, b)),
                _ => None,
            }
        })
        .collect()
}

/// The length of an age ciphertext without its header's grease stanza
/// (`-> TAG-grease ...` and its body lines): random filler age adds to
/// every header, of a random length that says nothing of the plaintext.
fn size_without_grease(body: &[u8]) -> usize {
    let mac = body
        .windows(5)
        .position(|w| w == b"\n--- ")
        .expect("an age header ends in its MAC line");
    let header = std::str::from_utf8(&body[..mac + 1]).expect("an age header is text");
    let mut grease = 0;
    let mut in_grease = false;
    for line in header.split_inclusive('\n') {
        if line.starts_with("-> ") {
            in_grease = line
                .trim_end()
                .split(' ')
                .nth(1)
                .is_some_and(|tag| tag.ends_with("-grease"));
        }
        if in_grease {
            grease += line.len();
        }
    }
    assert!(grease > 0, "age greases every header: {header:?}");
    body.len() - grease
}

/// The sequencer's held ballots, as `sqlite3` reads them from its store
/// while it runs: one line per row, `|`-separated (proposal, epoch,
/// ballot hash, nullifier, seq, body).
fn held_rows(server_dir: &Path) -> Vec<String> {
    let out = std::process::Command::new("sqlite3")
        .arg("-readonly")
        .arg(server_dir.join("erkin.sqlite"))
        .arg(
            "SELECT proposal, epoch, hex(ballot_hash), nullifier, seq, CAST(body AS TEXT) \
             FROM held_ballots",
        )
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sqlite3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Checks that a ballot names no member but the candidates its ranking
/// lists, and holds no verifier key or ballot key: `raw` is what holds it
/// (an entry, a stored row), `b` the ballot in it.
fn names_nobody(members: &[Member], raw: &str, b: &CastBallot, candidates: &BTreeSet<String>) {
    let mut anonymous = b.clone();
    anonymous.choice = Ballot::Abstain;
    let fields = String::from_utf8(anonymous.canonical_json()).unwrap();
    if let Ballot::Ranked(r) = &b.choice {
        assert!(r.iter().all(|h| candidates.contains(h)), "{r:?}");
    }
    for m in members {
        assert!(!fields.contains(&m.handle), "{} in {fields}", m.handle);
        assert!(!raw.contains(&m.vk), "{}'s key in {raw}", m.handle);
        assert!(
            !raw.contains(&m.commitment),
            "{}'s ballot key in {raw}",
            m.handle
        );
    }
}

fn setup() -> (tempfile::TempDir, World) {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().to_path_buf();
    let clock = t.join("clock");
    std::fs::write(&clock, "0").unwrap();
    let local = |dir: &Path, args: &[&str]| -> String {
        let out = erkin()
            .env(CLOCK_ENV, &clock)
            .args(["--dir", s(dir)])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "erkin {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let mut members = Vec::new();
    for i in 0..MEMBERS {
        let h = handle(i);
        let home = t.join(&h);
        std::fs::create_dir_all(&home).unwrap();
        let key = home.join("member.key");
        let ballot_key = home.join("ballot.age");
        let vk = local(&t, &["key", "new", "--name", &h, "--out", s(&key)]);
        let commitment = local(&t, &["ballot-key", "new", "--out", s(&ballot_key)]);
        let secret =
            erkin_store::keyfile::read_ballot_secret_file(&ballot_key, PASSPHRASE).unwrap();
        assert_eq!(secret.commitment().unwrap().to_hex(), commitment);
        members.push(Member {
            handle: h,
            key,
            vk,
            ballot_key,
            secret,
            commitment,
        });
    }
    // The charter: the defaults, with elections and removals secret.
    let scratch = t.join("scratch");
    local(
        &scratch,
        &[
            "init",
            "--origin",
            "scratch.example/x",
            "--name",
            "Scratch",
            "--founder",
            &members[0].vk,
        ],
    );
    let defaults = local(&scratch, &["charter", "--toml"]);
    let secret_toml = defaults
        .replace("[remove]\n", "[remove]\nsecret = true\n")
        .replace("[elect]\n", "[elect]\nsecret = true\n");
    assert_eq!(
        secret_toml.matches("secret = true").count(),
        2,
        "{defaults}"
    );
    std::fs::write(t.join("charter.toml"), &secret_toml).unwrap();
    let server_dir = t.join("server");
    let mut init = vec![
        "init",
        "--origin",
        "ballots.example/news",
        "--name",
        "Ballots",
        "--charter",
    ];
    let charter = t.join("charter.toml");
    init.push(s(&charter));
    for m in &members {
        init.extend(["--founder", m.vk.as_str()]);
    }
    local(&server_dir, &init);
    // Nineteen register their ballot keys now; m19 only after the removal
    // is proposed, so it is in the election's electorate and not in the
    // removal's.
    for m in &members[..MEMBERS - 1] {
        local(
            &server_dir,
            &[
                "ballot-key",
                "register",
                "--key",
                s(&m.key),
                "--ballot-key",
                s(&m.ballot_key),
            ],
        );
    }
    let socks = Socks::start();
    let server = Server::start_with(
        &server_dir,
        &["--sequence"],
        None,
        &t.join("serve.log"),
        &Launch {
            env: vec![(CLOCK_ENV.into(), s(&clock).into())],
            log_requests: true,
            stdout_to_log: true,
        },
    );
    let world = World {
        copy: t.join("copy"),
        t,
        clock,
        server_dir,
        members,
        socks,
        server: Some(server),
        proxied_votes: std::cell::Cell::new(0),
    };
    // The sequencer publishes its ballot box.
    let mut state = None;
    eventually(Duration::from_secs(60), || {
        let st = world.state();
        let has = st.ballot_box().is_some();
        state = Some(st);
        has
    })
    .expect("the sequencer publishes a ballot box");
    (tmp, world)
}

/// The "Done when", through the binary: a secret removal and a
/// secret STV election with twenty members; every ballot cast with
/// `erkin vote` through a SOCKS5 proxy with fresh credentials; a re-vote
/// replacing the first ballot, in the same epoch and in the next; a stale
/// `seq` retried; the refusals of a non-member's ballot, a ballot of
/// another proposal's electorate, a forged linkage, a ballot after the
/// deadline and a removed member's ballot, each with its code; the results
/// correct and recounted identically from an export; and nothing that
/// links a ballot to a member, by the scheme's own verification and in the
/// server's data and output.
#[test]
#[cfg_attr(
    not(erkin_test_sqlite3),
    ignore = "sqlite3 is not installed (apt-get install sqlite3)"
)]
fn a_secret_removal_and_a_secret_election_with_twenty_members() {
    let (_tmp, mut w) = setup();
    let key = |i: usize| s(&w.members[i].key).to_string();
    let m0 = key(0);

    // The removal of m19, then m19's ballot key, then the election.
    let removal: u64 = w
        .ok(&[
            "propose",
            "--key",
            &m0,
            "--title",
            "Remove m19",
            "remove",
            "m19",
        ])
        .parse()
        .unwrap();
    let m19 = &w.members[MEMBERS - 1];
    w.ok(&[
        "ballot-key",
        "register",
        "--key",
        s(&m19.key),
        "--ballot-key",
        s(&m19.ballot_key),
    ]);
    let election: u64 = w
        .ok(&["propose", "--key", &m0, "--title", "Board", "elect"])
        .parse()
        .unwrap();
    for i in 1..=5 {
        let h = handle(i);
        w.ok(&["nominate", &election.to_string(), &h, "--key", &key(i)]);
    }
    let st = w.state();
    let origin = st.origin().to_string();
    let (removal_p, election_p) = (proposal_of(&st, removal), proposal_of(&st, election));
    let removal_sv = removal_p.secret.as_deref().expect("the removal is secret");
    let election_sv = election_p
        .secret
        .as_deref()
        .expect("the election is secret");
    assert_eq!(removal_sv.leaves.len(), MEMBERS - 1);
    assert_eq!(election_sv.leaves.len(), MEMBERS);
    assert!(removal_p.closes_at < election_p.closes_at);

    // ---- The removal: 14 yes (m00 after first voting no), 3 no, 2
    // abstain; m19 has no leaf in it.
    w.vote(0, removal, &["no"]);
    for i in 1..=13 {
        w.vote(i, removal, &["yes"]);
    }
    for i in 14..=16 {
        w.vote(i, removal, &["no"]);
    }
    for i in 17..=18 {
        w.vote(i, removal, &["abstain"]);
    }
    // m00 changes their mind: the second ballot replaces the first. (The
    // sequencer takes a nullifier's next ballot REVOTE_INTERVAL_SECS after
    // its last, by the clock, not by how fast the commands between ran.)
    w.advance_clock(erkin_store::REVOTE_INTERVAL_SECS);
    w.vote(0, removal, &["yes"]);
    let err = w.refused(
        &["vote", &removal.to_string(), "no", "--key", &key(19)],
        "your ballot key is not in the electorate of proposal",
    );
    assert!(!err.contains(&w.members[19].commitment), "{err}");
    // Through the proxy, no warning; without one, a warning that the
    // server and the path see the member's address, in the locale's
    // language (review finding 3).
    assert!(!err.contains("without a proxy"), "{err}");
    let without_proxy = |lang: &str, refused: &str| {
        let r = w.member_cmd_with(
            &["vote", &removal.to_string(), "no", "--key", &key(19)],
            &[
                ("ERKIN_BALLOT_PROXY", ""),
                ("LC_ALL", ""),
                ("LC_MESSAGES", ""),
                ("LANG", lang),
            ],
        );
        assert_eq!(r.code, 1, "{}{}", r.out, r.err);
        // The refusal in the same language (review s10 L9).
        assert!(r.err.contains(refused), "{}", r.err);
        r.err
    };
    let err = without_proxy(
        "ru_RU.UTF-8",
        &format!("вашего ключа бюллетеня нет среди голосующих по предложению #{removal}"),
    );
    assert!(
        err.contains("ВНИМАНИЕ: этот тайный бюллетень отправляется без прокси")
            && err.contains("видят ваш IP-адрес в момент голосования"),
        "{err}"
    );
    let err = without_proxy(
        "kk_KZ.UTF-8",
        &format!("бюллетень кілтіңіз #{removal} ұсыныстың сайлаушылары арасында жоқ"),
    );
    assert!(
        err.contains("ЕСКЕРТУ: бұл құпия бюллетень проксисіз"),
        "{err}"
    );
    let err = without_proxy(
        "C.UTF-8",
        &format!("your ballot key is not in the electorate of proposal #{removal}"),
    );
    assert!(
        err.contains("WARNING: this secret ballot is sent without a proxy")
            && err.contains("see your IP address at the moment you vote"),
        "{err}"
    );
    // Only a proxy that resolves names itself, and without credentials of
    // the member's choosing (fresh ones are made per ballot).
    let rid = removal.to_string();
    for (proxy, phrase) in [
        (
            "socks5://127.0.0.1:9050".to_string(),
            "only through a SOCKS5 proxy that resolves names itself",
        ),
        (
            "http://127.0.0.1:8080".to_string(),
            "only through a SOCKS5 proxy that resolves names itself",
        ),
        (
            "socks5h://me:secret@127.0.0.1:9050".to_string(),
            "without a user name or password",
        ),
    ] {
        w.refused(
            &["vote", &rid, "yes", "--key", &key(5), "--proxy", &proxy],
            phrase,
        );
    }
    // A batch signs entries on one connection: it casts no secret ballot.
    let batch = w.t.join("batch.txt");
    std::fs::write(&batch, format!("vote {removal} yes\n")).unwrap();
    w.refused(
        &["batch", s(&batch), "--key", &key(5)],
        "is decided by secret ballot: a secret ballot is cast alone",
    );
    std::fs::write(
        &batch,
        format!(
            "vote {removal} yes --ballot-key {}\n",
            s(&w.members[5].ballot_key)
        ),
    )
    .unwrap();
    w.refused(
        &["batch", s(&batch), "--key", &key(5)],
        "a secret ballot is cast alone",
    );

    // Refusals at intake, each with its code.
    let server = w.server.as_ref().unwrap();
    let removal_leaves = leaves(removal_p);
    // A non-member: a real identity, proved against a tree holding it.
    let outsider = BallotSecret::from_bytes([9; 32]);
    let mut with_outsider = removal_leaves.clone();
    with_outsider.push(outsider.commitment().unwrap());
    let b = craft(
        &origin,
        removal_p,
        removal,
        &outsider,
        &with_outsider,
        MEMBERS - 1,
        1,
        &Ballot::No,
    );
    submit(server, &st, &b).code("stale_root");
    // Another proposal's electorate: m19 is in the election's tree, not in
    // the removal's; a ballot for the removal proved against the
    // election's tree.
    let b = craft(
        &origin,
        removal_p,
        removal,
        &w.members[19].secret,
        &leaves(election_p),
        MEMBERS - 1,
        1,
        &Ballot::No,
    );
    submit(server, &st, &b).code("stale_root");
    // A ballot made for the election, relabelled for the removal (same
    // members, so the same tree): its scope and signal are the election's.
    let b = craft(
        &origin,
        election_p,
        removal,
        &w.members[3].secret,
        &removal_leaves,
        3,
        7,
        &Ballot::No,
    );
    submit(server, &st, &b).code("bad_ballot");
    // A forged linkage: m01's valid ballot carrying m02's nullifier.
    let mut b = craft(
        &origin,
        removal_p,
        removal,
        &w.members[1].secret,
        &removal_leaves,
        1,
        9,
        &Ballot::No,
    );
    let scope = FieldElement::from_hex(&removal_sv.scope).unwrap();
    b.nullifier = ballot::nullifier(w.members[2].secret.identity().nullifier, scope)
        .unwrap()
        .to_hex();
    submit(server, &st, &b).code("bad_ballot");
    // A valid ballot of m17's, made now, sent after the deadline.
    let late = craft(
        &origin,
        removal_p,
        removal,
        &w.members[17].secret,
        &removal_leaves,
        17,
        5,
        &Ballot::No,
    );

    // ---- The election, once nominations close. Quota 6 of 20: m01 (7)
    // and m03 (6) are elected outright; the last seat goes to m04 (4)
    // over m05 (3) only if m14's second ballot replaces its first (which
    // ranks m05: 3 to 4 the other way).
    let nominations_until = match &election_p.motion {
        Motion::Elect {
            nominations_close, ..
        } => *nominations_close,
        other => panic!("not an election: {other:?}"),
    };
    // Before the nomination deadline the sequencer refuses a ballot, and
    // `erkin vote` says why, in the member's local time.
    let err = w.refused(
        &[
            "vote",
            &election.to_string(),
            "--rank",
            "m01",
            "--key",
            &key(1),
        ],
        "the ballot was refused: proposal #",
    );
    assert!(
        err.contains("nominations are still open: the log time is"),
        "{err}"
    );
    w.set_clock(nominations_until + 60);
    for i in 0..=6 {
        w.vote(i, election, &["m01", "m02"]);
    }
    for i in 7..=12 {
        w.vote(i, election, &["m03", "m02"]);
    }
    for i in [13, 15, 16] {
        w.vote(i, election, &["m04"]);
    }
    // m14 first ranks m05; re-votes after the removal (epoch 1).
    w.vote(14, election, &["m05"]);
    for i in 17..=19 {
        w.vote(i, election, &["m05"]);
    }
    // A second device: m07's counter is lost, so `vote` starts again at
    // seq 1, is told the sequencer holds 1, and proves again with seq 2.
    let counters = w.members[7]
        .ballot_key
        .parent()
        .unwrap()
        .join("ballots.json");
    let before: BTreeMap<String, u64> =
        serde_json::from_slice(&std::fs::read(&counters).unwrap()).unwrap();
    assert_eq!(before.get(&election.to_string()), Some(&1), "{before:?}");
    std::fs::remove_file(&counters).unwrap();
    w.advance_clock(erkin_store::REVOTE_INTERVAL_SECS);
    let receipt = w.t.join("m07.receipt");
    let r = w.member_cmd(&[
        "vote",
        &election.to_string(),
        "--rank",
        "m03,m02",
        "--key",
        &key(7),
        "--receipt",
        s(&receipt),
        "--json",
    ]);
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    let cast: serde_json::Value = serde_json::from_str(r.out.trim()).unwrap();
    assert_eq!(cast["seq"], 2, "{cast}");
    assert_eq!(cast["epoch"], 0, "{cast}");
    let after: BTreeMap<String, u64> =
        serde_json::from_slice(&std::fs::read(&counters).unwrap()).unwrap();
    assert_eq!(after, BTreeMap::from([(election.to_string(), 2)]));
    // The receipt holds under the pinned log key; nothing printed names the
    // nullifier or the hash.
    let saved: api::BallotReceipt =
        serde_json::from_slice(&std::fs::read(&receipt).unwrap()).unwrap();
    assert_eq!((saved.proposal, saved.epoch), (election, 0));
    let log_key = st.log_key().clone();
    api::verify_ballot_receipt(&saved, &log_key, &saved.ballot_hash).unwrap();
    let hash_hex = hex::encode(saved.ballot_hash);
    assert!(!r.out.contains(&hash_hex) && !r.err.contains(&hash_hex));

    // What the sequencer stores while it holds them: one row per member
    // and epoch (re-votes replaced), no time, no address, and nothing that
    // names a member.
    let rows = held_rows(&w.server_dir);
    assert_eq!(rows.len(), 19 + 20, "{rows:#?}");
    let candidates: BTreeSet<String> = (1..=5).map(handle).collect();
    for row in &rows {
        let body = row.splitn(6, '|').nth(5).unwrap();
        let b: CastBallot = serde_json::from_str(body).unwrap();
        names_nobody(&w.members, row, &b, &candidates);
    }

    // ---- The removal's deadline passes: m19 is removed, the election's
    // tree moves to epoch 1 behind a seal.
    w.set_clock(removal_p.closes_at + 60);
    let st = w.closed(removal);
    let out = proposal_of(&st, removal).outcome.as_ref().unwrap();
    assert!(out.passed, "{out:?}");
    let tally = out.secret.as_ref().unwrap();
    // m00's first ballot was replaced while held: one ballot per member.
    assert_eq!((tally.turnout, tally.ballots), (19, 19), "{tally:?}");
    assert_eq!((out.tally.yes, out.tally.no, out.tally.abstain), (14, 3, 2));
    assert!(st.member("m19").is_none(), "m19 was removed");
    let election_now = proposal_of(&st, election);
    let esv = election_now.secret.as_deref().unwrap();
    assert_eq!(esv.roots.len(), 2, "m19's leaving starts epoch 1");
    assert_eq!(esv.departed, vec!["m19".to_string()]);
    assert_eq!(esv.seals.len(), 1);

    let server = w.server.as_ref().unwrap();
    // After the deadline: m17's valid ballot, made while it was open, is
    // refused now that the sequencer has closed it. (Between the deadline
    // and the close, a window of one idle tick, the code is voting_ended:
    // the server's own suite covers it.)
    submit(server, &st, &late).code("proposal_closed");
    // The removed member: a ballot proved against the tree they were in.
    let b = craft(
        &origin,
        election_p,
        election,
        &w.members[19].secret,
        &leaves(election_p),
        MEMBERS - 1,
        2,
        &Ballot::Ranked(vec!["m02".into()]),
    );
    submit(server, &st, &b).code("stale_root");
    // And `erkin vote` will not make one.
    w.refused(
        &[
            "vote",
            &election.to_string(),
            "--rank",
            "m02",
            "--key",
            &key(19),
        ],
        "was withdrawn when its member left",
    );
    // m14's second ballot, in epoch 1. The member key only says where the
    // ballot secret is: one key derivation, the ballot secret's.
    let r = w.member_cmd_with(
        &[
            "vote",
            &election.to_string(),
            "--rank",
            "m04",
            "--key",
            &key(14),
            "--json",
        ],
        &[("ERKIN_REPORT_DERIVATIONS", "1")],
    );
    assert_eq!(r.code, 0, "{}{}", r.out, r.err);
    assert!(r.err.contains("erkin: key derivations: 1\n"), "{}", r.err);
    let cast: serde_json::Value = serde_json::from_str(r.out.trim()).unwrap();
    assert_eq!(
        (cast["epoch"].as_u64(), cast["seq"].as_u64()),
        (Some(1), Some(2))
    );

    // ---- The election closes.
    w.set_clock(election_p.closes_at + 60);
    let st = w.closed(election);
    let out = proposal_of(&st, election).outcome.as_ref().unwrap();
    let elected: BTreeSet<&str> = out.elected.iter().map(String::as_str).collect();
    assert_eq!(elected, BTreeSet::from(["m01", "m03", "m04"]), "{out:?}");
    let tally = out.secret.as_ref().unwrap();
    // 20 voters (m19's ballot, cast before leaving, counts); m07's second
    // ballot replaced its first while held (one epoch), m14's second is of
    // epoch 1, so both of m14's are published (the later counts).
    assert_eq!((tally.turnout, tally.ballots, tally.departed), (20, 21, 1));

    // ---- The proxy: one connection per ballot, each with fresh
    // credentials, one request each, nothing identifying in it, every
    // body the same size.
    let all = w.socks.seen();
    // Every connection of `erkin vote` went through the proxy to the name
    // only it resolves: the copy's sync too (review finding 3).
    for x in &all {
        assert_eq!(x.host, PROXIED_HOST);
    }
    let is_ballot = |x: &Seen| {
        x.sent
            .lock()
            .unwrap()
            .starts_with(format!("POST /{} ", api::BALLOTS_PATH).as_bytes())
    };
    let (seen, syncs): (Vec<Seen>, Vec<Seen>) = all.into_iter().partition(is_ballot);
    // The removal's 19 and m00's second; one refused before the
    // nomination deadline; the election's 20, m07's stale try and its
    // retry, m14's second. Commands refused before sending sent nothing.
    assert_eq!(
        seen.len(),
        20 + 1 + 20 + 2 + 1,
        "one connection per ballot sent"
    );
    let creds: BTreeSet<(String, String)> = seen
        .iter()
        .map(|x| (x.user.clone(), x.pass.clone()))
        .collect();
    assert_eq!(
        creds.len(),
        seen.len(),
        "fresh credentials for every ballot"
    );
    // The syncs: only reads, each command's on credentials of its own,
    // never a ballot's (so Tor puts the sync and the ballot on different
    // circuits); every proxied `erkin vote` synced that way, those refused
    // for a bad --proxy not at all.
    let sync_creds: BTreeSet<(String, String)> = syncs
        .iter()
        .map(|x| (x.user.clone(), x.pass.clone()))
        .collect();
    assert_eq!(sync_creds.len(), w.proxied_votes.get(), "one sync per vote");
    assert!(sync_creds.is_disjoint(&creds));
    for x in &syncs {
        let sent = x.sent.lock().unwrap().clone();
        let text = String::from_utf8_lossy(&sent);
        for line in text.split("\r\n").filter(|l| l.contains(" HTTP/1.1")) {
            assert!(line.starts_with("GET "), "{line}");
        }
    }
    let mut sizes = BTreeSet::new();
    let mut identities: Vec<String> = Vec::new();
    for m in &w.members {
        identities.extend([m.handle.clone(), m.vk.clone(), m.commitment.clone()]);
        // The verifier key's own key part, without its name.
        identities.push(m.vk.split('+').next_back().unwrap_or("").to_string());
    }
    for x in &seen {
        let sent = x.sent.lock().unwrap().clone();
        let split = sent.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
        let head = String::from_utf8_lossy(&sent[..split]).to_lowercase();
        assert!(
            head.starts_with(&format!("post /{} http/1.1", api::BALLOTS_PATH)),
            "{head}"
        );
        assert_eq!(head.matches("http/1.1").count(), 1, "{head}");
        assert!(
            !head.contains("cookie") && !head.contains("erkin-upload"),
            "{head}"
        );
        sizes.insert(size_without_grease(&sent[split + 4..]));
        // The head is text: no handle, no key. The body is ciphertext, in
        // which a three-letter handle turns up by chance (a key or a ballot
        // key, 64 characters, cannot).
        let head = String::from_utf8_lossy(&sent[..split]);
        let text = String::from_utf8_lossy(&sent);
        for m in &w.members {
            assert!(!head.contains(&m.handle), "{} in {head}", m.handle);
        }
        for id in &identities {
            assert!(
                id.len() < 32 || !text.contains(id.as_str()),
                "{id} in a ballot's request"
            );
        }
    }
    // age adds a "grease" stanza of random length to every header (the
    // same for any plaintext); all else is one size.
    assert_eq!(
        sizes.len(),
        1,
        "every ballot's body has one size but for age's grease: {sizes:?}"
    );

    // ---- No linkage.
    let ballots = ballot_entries(&w.copy, &st);
    assert_eq!(ballots.len(), 19 + 21);
    let verifier = Verifier::semaphore_v3_16().unwrap();
    let by_id = |id: u64| proposal_of(&st, id).secret.as_deref().unwrap();
    let mut nullifiers: BTreeMap<(usize, u64), String> = BTreeMap::new();
    for (i, m) in w.members.iter().enumerate() {
        let one_leaf = ElectorateTree::new(&[FieldElement::from_hex(&m.commitment).unwrap()])
            .unwrap()
            .root();
        for p in [removal, election] {
            let scope = FieldElement::from_hex(&by_id(p).scope).unwrap();
            nullifiers.insert(
                (i, p),
                ballot::nullifier(m.secret.identity().nullifier, scope)
                    .unwrap()
                    .to_hex(),
            );
        }
        for (_, _, b) in &ballots {
            let sv = by_id(b.proposal);
            let scope = FieldElement::from_hex(&sv.scope).unwrap();
            let claim = BallotProof {
                root: FieldElement::from_hex(&b.root).unwrap(),
                nullifier: FieldElement::from_hex(&b.nullifier).unwrap(),
                signal: ballot::signal(
                    &origin,
                    b.proposal,
                    b.seq,
                    &ballot::choice_json(&b.choice).unwrap(),
                ),
                scope,
                proof: Proof::from_hex(&b.proof).unwrap(),
            };
            let roots: Vec<FieldElement> = sv
                .roots
                .iter()
                .map(|r| FieldElement::from_hex(r).unwrap())
                .collect();
            verifier
                .verify(&claim, scope, &roots)
                .expect("every published ballot verifies against its electorate");
            // (a) against a tree of this member alone it verifies for nobody.
            let alone = BallotProof {
                root: one_leaf,
                ..claim
            };
            assert!(verifier.verify(&alone, scope, &[one_leaf]).is_err());
        }
    }
    // (c) every ballot entry is the publication's, and names no member
    // but the candidates its ranking lists.
    for (_, raw, b) in &ballots {
        let e = ParsedEntry::parse(raw, &origin).unwrap();
        assert_eq!(
            e.signer().0,
            origin,
            "a ballot is signed by the log key only"
        );
        names_nobody(&w.members, &String::from_utf8_lossy(raw), b, &candidates);
    }
    // (b) each member's nullifier finds exactly their own ballots, and the
    // same member's nullifiers differ between the two proposals.
    let cast_by = |i: usize, p: u64| -> usize {
        match (p == removal, i) {
            (true, 19) => 0,
            (true, _) => 1,
            (false, 14) => 2,
            (false, _) => 1,
        }
    };
    for i in 0..MEMBERS {
        assert_ne!(nullifiers[&(i, removal)], nullifiers[&(i, election)]);
        for p in [removal, election] {
            let n = &nullifiers[&(i, p)];
            let found = ballots
                .iter()
                .filter(|(_, _, b)| b.proposal == p && &b.nullifier == n)
                .count();
            assert_eq!(found, cast_by(i, p), "member {i}, proposal {p}");
        }
    }
    // The server's output holds no ballot request, no member's identity
    // written during the ballots, no address a ballot came from; neither
    // does any file of its data directory hold a ballot's address.
    let server = w.server.take().unwrap();
    assert_eq!(server.stop(), 0);
    let said = std::fs::read_to_string(w.t.join("serve.log")).unwrap();
    assert!(!said.contains(api::BALLOTS_PATH), "{said}");
    for x in &seen {
        let addr = format!("127.0.0.1:{}", x.outbound);
        assert!(!said.contains(&addr), "{addr} in the server's output");
    }
    for m in &w.members {
        assert!(!said.contains(&m.commitment), "a ballot key in the output");
    }
    let mut files = vec![w.server_dir.clone()];
    let mut scanned = 0;
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        scanned += 1;
        let text = String::from_utf8_lossy(&bytes);
        for x in &seen {
            let addr = format!("127.0.0.1:{}", x.outbound);
            assert!(!text.contains(&addr), "{addr} in {}", path.display());
        }
    }
    assert!(scanned > 3, "the data directory has files");

    // ---- The recount from an export, by a copy that folds it afresh.
    let exported = w.t.join("export");
    let out = erkin()
        .env(CLOCK_ENV, &w.clock)
        .args(["--dir", s(&w.server_dir), "export", s(&exported)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fresh = w.t.join("fresh");
    let out = erkin()
        .env(CLOCK_ENV, &w.clock)
        .args([
            "mirror",
            s(&exported),
            "--into",
            s(&fresh),
            "--key",
            &log_key.to_string(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for id in [removal, election] {
        for extra in [&[][..], &["--ballots"][..]] {
            let mut args = vec!["tally".to_string(), id.to_string()];
            args.extend(extra.iter().map(|x| x.to_string()));
            let run = |dir: &Path| {
                let out = erkin()
                    .env(CLOCK_ENV, &w.clock)
                    .args(["--dir", s(dir)])
                    .args(&args)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                String::from_utf8_lossy(&out.stdout).into_owned()
            };
            assert_eq!(run(&fresh), run(&w.copy), "tally {args:?}");
        }
    }
    let blt = |dir: &Path| {
        let out = erkin()
            .env(CLOCK_ENV, &w.clock)
            .args(["--dir", s(dir), "tally", &election.to_string(), "--blt"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(blt(&fresh), blt(&w.copy));
    let fresh_state = erkin_mirror::Mirror::open(&fresh)
        .unwrap()
        .publication()
        .unwrap()
        .state()
        .digest();
    assert_eq!(
        fresh_state,
        st.digest(),
        "the export folds to the same state"
    );
}
