//! Readers under attack (a benchmark, not a test): wrk reads the front page
//! of `erkin serve --sequence` (the real binary, a child process on
//! 127.0.0.1) at 256 connections, first alone, then while one attacker on
//! 127.0.0.2 — one client, no key — runs each denial-of-service pattern of
//! issue 11 in turn:
//!
//! - (a) slow-loris headers: 400 connections, a header byte every 2 s;
//! - (b) slow bodies: 400 `POST /api/v1/entries` with Content-Length 60000,
//!   a body byte every 2 s;
//! - (c) 40 concurrent 32 MiB blob uploads without a member's note (none, a
//!   garbage one, a stranger's signed one), repeated;
//! - (d) 60 readers that ask for the 32 MiB blob and never read;
//! - (e) a replay flood: the publication's logged entries POSTed again as
//!   fast as 8 keep-alive connections allow;
//! - (f) a connection flood: 1,200 connections that send nothing.
//!
//! Each pattern is bounded in count and time (it starts 2 s before wrk and
//! stops by itself 1 s after), and only ever connects to loopback. A closed
//! connection is reopened after 1 s. Midway, a member (127.0.0.3) submits a
//! new entry and a fresh reader (127.0.0.3) asks for the front page.
//!
//! The server is restarted for each row, so each row's peak memory (VmHWM of
//! the server process) is that pattern's own, from start to the end of the
//! run; it is checked against a stated bound (512 MB, with the default
//! 32 MiB blob limit) and reported, never asserted.
//!
//! Run: cargo run --release -p erkin-bench --bin attack -- [--seconds 10]
//! [--connections 256] [--patterns abcdef]

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use erkin_bench::{arg, peak_rss, wrk, Wrk};
use erkin_core::action::{Action, Publish, Statement};
use erkin_core::blob::{upload_text, BlobId, DEFAULT_MAX_BLOB_LEN};
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::keys::{SecretKey, VerifierKey};
use erkin_core::note::sign_note;
use erkin_mirror::MembersClient;
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{sleep, sleep_until, timeout, timeout_at};

const PASSPHRASE: &str = "the attack bench's passphrase";
const ORIGIN: &str = "bench.example/attack";
/// The attacker: one client, as the server counts clients.
const ATTACKER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);
/// Where the member and the fresh reader probe from, midway.
const PROBE: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 3);
/// The stated bound on the server's peak memory.
const BOUND: u64 = 512_000_000;
const MB: f64 = 1e6;
/// The attacker's pace: a trickled byte, a reconnection after a cut.
const TRICKLE: Duration = Duration::from_secs(2);
const RECONNECT: Duration = Duration::from_secs(1);
/// How long before wrk the attacker starts, so its connections are in place.
const LEAD: Duration = Duration::from_secs(2);

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn erkin_command(erkin: &Path) -> Command {
    let mut c = Command::new(erkin);
    c.env("ERKIN_PASSPHRASE", PASSPHRASE)
        .env("ERKIN_SCRYPT_WORK_FACTOR", "10")
        .env_remove("ERKIN_DIR")
        .env_remove("ERKIN_SERVER")
        .stdin(Stdio::null());
    c
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .http_status_as_error(false)
        .build()
        .into()
}

/// The status of `GET url`, or 0 when nothing answered.
fn status(agent: &ureq::Agent, url: &str) -> u16 {
    agent.get(url).call().map_or(0, |r| r.status().as_u16())
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

// ---------------------------------------------------------------------------
// The server: `erkin --dir DATA serve --sequence` as a child process

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts it on a free port; returns once the front page answers 200.
    fn start(erkin: &Path, data: &Path, log: &Path) -> Result<Self> {
        let agent = agent();
        for _attempt in 0..5 {
            let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
            let stderr = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)?;
            let mut child = erkin_command(erkin)
                .arg("--dir")
                .arg(data)
                .args(["serve", "--sequence", "--quiet", "--listen"])
                .arg(addr.to_string())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .context("starting erkin serve")?;
            let deadline = Instant::now() + Duration::from_secs(120);
            loop {
                if child.try_wait()?.is_some() {
                    break; // The port was taken meanwhile: another one.
                }
                if status(&agent, &format!("http://{addr}/")) == 200 {
                    return Ok(Server { child, addr });
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    bail!("erkin serve did not answer within 120 s; see {log:?}");
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        bail!("erkin serve would not start; see {log:?}")
    }

    fn peak(&self) -> u64 {
        peak_rss(&self.child.id().to_string()).unwrap_or(0)
    }

    /// SIGTERM, then up to 40 s to drain (30 s is the server's grace).
    fn stop(mut self) -> Result<String> {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        let deadline = Instant::now() + Duration::from_secs(40);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status.to_string());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.child.kill()?;
        self.child.wait()?;
        Ok("killed after 40 s".into())
    }
}

// ---------------------------------------------------------------------------
// Founding the publication, through the binary and the members' API

/// What the attacker and the probes know of the publication.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    /// `/blob/<id>` of the 32 MiB article body.
    blob_path: String,
    /// Entries anyone can copy from the public log.
    logged: Arc<Vec<Vec<u8>>>,
    /// A 32 MiB body, and `Erkin-Upload` values from no member.
    upload_body: Arc<Vec<u8>>,
    bad_notes: Arc<Vec<String>>,
    member: SecretKey,
}

/// A blob of `len` bytes of readable Markdown.
fn markdown(len: usize, seed: usize) -> Vec<u8> {
    let line = format!("Paragraph {seed} of a long leaked document, published whole.\n\n");
    line.bytes().cycle().take(len).collect()
}

fn publish(key: &SecretKey, slug: &str, title: &str, body: &BlobId) -> Result<Vec<u8>> {
    Ok(sign_entry(
        ORIGIN,
        &EntryBody {
            time: now(),
            action: Action::Publish(Publish {
                slug: slug.into(),
                lang: "en".into(),
                title: title.into(),
                summary: "For the attack bench.".into(),
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
    )?)
}

fn statement(key: &SecretKey, text: &str) -> Result<Vec<u8>> {
    Ok(sign_entry(
        ORIGIN,
        &EntryBody {
            time: now(),
            action: Action::Statement(Statement { text: text.into() }),
        },
        key,
    )?)
}

/// Standard base64 (for a stranger's `Erkin-Upload` note).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `erkin init` with one founder (an editor), then five short articles, a
/// statement and an article whose body is a 32 MiB blob, all through the
/// members' API of a first server. Returns what the attacker knows, and that
/// server's peak memory (it took the member's 32 MiB upload).
fn found(erkin: &Path, data: &Path, log: &Path) -> Result<(Target, u64)> {
    let member = SecretKey::generate(&mut rand_core::OsRng, "editor")?;
    let out = erkin_command(erkin)
        .arg("--dir")
        .arg(data)
        .args(["init", "--origin", ORIGIN, "--name", "Attack bench"])
        .arg("--founder")
        .arg(member.verifier_key().as_str())
        .output()?;
    if !out.status.success() {
        bail!("erkin init: {}", String::from_utf8_lossy(&out.stderr));
    }
    let log_key = VerifierKey::parse(String::from_utf8(out.stdout)?.trim())?;
    let server = Server::start(erkin, data, log)?;
    let url = format!("http://{}/", server.addr);
    let client = MembersClient::new(&url, log_key, Duration::from_secs(300));
    let mut logged = Vec::new();
    for i in 0..5 {
        let id = client.put_blob(&markdown(4000, i), &member)?;
        let e = publish(&member, &format!("story-{i}"), &format!("Story {i}"), &id)?;
        client.submit(&e)?;
        logged.push(e);
    }
    let e = statement(&member, "On the record.")?;
    client.submit(&e)?;
    logged.push(e);
    let large = markdown(DEFAULT_MAX_BLOB_LEN as usize, 99);
    let id = client.put_blob(&large, &member)?;
    let e = publish(&member, "large", "A large document", &id)?;
    client.submit(&e)?;
    logged.push(e);
    let agent = agent();
    let deadline = Instant::now() + Duration::from_secs(300);
    while status(&agent, &format!("{url}a/large/")) != 200 {
        if Instant::now() > deadline {
            bail!("the large article's page did not appear within 300 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let blob_path = format!("/blob/{id}");
    let got = status(&agent, &format!("{url}{}", &blob_path[1..]));
    if got != 200 {
        bail!("{blob_path} answered {got}");
    }
    let (peak, addr) = (server.peak(), server.addr);
    server.stop()?;

    let upload_body = Arc::new(vec![b'x'; DEFAULT_MAX_BLOB_LEN as usize]);
    let stranger = SecretKey::generate(&mut rand_core::OsRng, "stranger")?;
    let note = sign_note(&upload_text(ORIGIN, &BlobId::of(&upload_body)), &stranger);
    let target = Target {
        addr,
        blob_path,
        logged: Arc::new(logged),
        upload_body,
        bad_notes: Arc::new(vec![
            String::new(),
            "Erkin-Upload: bm90IGEgbm90ZQ==\r\n".into(),
            format!("Erkin-Upload: {}\r\n", base64(&note)),
        ]),
        member,
    };
    Ok((target, peak))
}

// ---------------------------------------------------------------------------
// Raw HTTP/1.1 from a chosen loopback address (tokio's net API only)

async fn connect(from: Ipv4Addr, to: SocketAddr) -> io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseaddr(true)?;
    socket.bind(SocketAddr::new(IpAddr::V4(from), 0))?;
    timeout(Duration::from_secs(5), socket.connect(to))
        .await
        .map_err(|_| io::Error::from(io::ErrorKind::TimedOut))?
}

async fn write_all(s: &TcpStream, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        s.writable().await?;
        match s.try_write(buf) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

async fn read_some(s: &TcpStream, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        s.readable().await?;
        match s.try_read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

/// Reads until the server closes the connection (answers included).
async fn closed(s: &TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = read_some(s, &mut buf).await {
        if n == 0 {
            return;
        }
    }
}

/// Reads one response; its status, and whether the connection can carry
/// another request (a Content-Length body, no `Connection: close`).
async fn read_reply(s: &TcpStream) -> io::Result<(u16, bool)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let status = head
                .split_whitespace()
                .nth(1)
                .and_then(|s| s.parse().ok())
                .ok_or(io::ErrorKind::InvalidData)?;
            let Some(len) = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
            else {
                return Ok((status, false));
            };
            while buf.len() < end + 4 + len {
                let n = read_some(s, &mut chunk).await?;
                if n == 0 {
                    return Ok((status, false));
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Ok((status, !head.contains("connection: close")));
        }
        let n = read_some(s, &mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

// ---------------------------------------------------------------------------
// The attacker

#[derive(Clone, Copy, PartialEq)]
enum Pattern {
    SlowHeaders,
    SlowBodies,
    Uploads,
    StalledReaders,
    Replays,
    ConnectionFlood,
}

impl Pattern {
    const ALL: [(char, Pattern); 6] = [
        ('a', Pattern::SlowHeaders),
        ('b', Pattern::SlowBodies),
        ('c', Pattern::Uploads),
        ('d', Pattern::StalledReaders),
        ('e', Pattern::Replays),
        ('f', Pattern::ConnectionFlood),
    ];

    fn name(self) -> &'static str {
        match self {
            Pattern::SlowHeaders => "(a) slow-loris headers",
            Pattern::SlowBodies => "(b) slow entry bodies",
            Pattern::Uploads => "(c) 32 MiB uploads, no member's note",
            Pattern::StalledReaders => "(d) readers of the 32 MiB blob who never read",
            Pattern::Replays => "(e) replay flood of logged entries",
            Pattern::ConnectionFlood => "(f) idle-connection flood",
        }
    }

    /// How many connections (or uploads, or replaying connections) at once.
    fn width(self) -> usize {
        match self {
            Pattern::SlowHeaders | Pattern::SlowBodies => 400,
            Pattern::Uploads => 40,
            Pattern::StalledReaders => 60,
            Pattern::Replays => 8,
            Pattern::ConnectionFlood => 1200,
        }
    }
}

/// What the attacker saw.
#[derive(Default)]
struct Tally {
    opened: AtomicU64,
    /// Connections the server closed (or that failed) under the attacker.
    cut: AtomicU64,
    /// Connections that could not be opened.
    refused: AtomicU64,
    /// Body bytes the server took from uploads.
    sent: AtomicU64,
    /// Answers by status.
    answers: Mutex<BTreeMap<u16, u64>>,
}

impl Tally {
    fn count(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn answer(&self, status: u16) {
        *self
            .answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(status)
            .or_default() += 1;
    }

    fn describe(&self, pattern: Pattern) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let answers: Vec<String> = self
            .answers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(s, n)| format!("{n}× {s}"))
            .collect();
        let answers = if answers.is_empty() {
            "no answer".to_string()
        } else {
            answers.join(", ")
        };
        let (opened, cut, refused) = (get(&self.opened), get(&self.cut), get(&self.refused));
        let refused = if refused > 0 {
            format!(", {refused} connects failed")
        } else {
            String::new()
        };
        let width = pattern.width();
        match pattern {
            Pattern::SlowHeaders | Pattern::SlowBodies | Pattern::ConnectionFlood => {
                format!("{width} at once: {opened} opened, {cut} closed by the server{refused}")
            }
            Pattern::Uploads => format!(
                "{width} at once: {opened} uploads, {answers}; {:.0} MiB written into the socket before the refusal{refused}",
                get(&self.sent) as f64 / 1048576.0
            ),
            Pattern::StalledReaders => {
                format!("{opened} requests of the 32 MiB blob, never read{refused}")
            }
            Pattern::Replays => format!(
                "{width} keep-alive connections ({opened} opened): {answers}{refused}"
            ),
        }
    }
}

/// One attacker connection's life, reopened after each cut until `until`.
async fn attack_one(
    pattern: Pattern,
    t: Target,
    i: usize,
    until: tokio::time::Instant,
    c: Arc<Tally>,
) {
    while tokio::time::Instant::now() < until {
        let s = match connect(ATTACKER, t.addr).await {
            Ok(s) => s,
            Err(_) => {
                c.count(&c.refused);
                sleep(RECONNECT).await;
                continue;
            }
        };
        c.count(&c.opened);
        let stayed = timeout_at(until, async {
            match pattern {
                Pattern::SlowHeaders => {
                    trickle(&s, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n", b"X-Slow: ").await
                }
                Pattern::SlowBodies => {
                    trickle(
                        &s,
                        b"POST /api/v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                          Content-Type: application/octet-stream\r\nContent-Length: 60000\r\n\r\n",
                        b"erkin",
                    )
                    .await
                }
                Pattern::Uploads => upload(&s, &t, i, &c).await,
                Pattern::StalledReaders => {
                    let head = format!("GET {} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", t.blob_path);
                    if write_all(&s, head.as_bytes()).await.is_ok() {
                        // Never read: hold the connection until the end.
                        std::future::pending::<()>().await;
                    }
                }
                Pattern::Replays => replay(&s, &t, i, &c).await,
                Pattern::ConnectionFlood => closed(&s).await,
            }
        })
        .await;
        if stayed.is_ok() {
            // It ended before the attack did: the server closed it. Uploads
            // and replays go again at once; the others pace themselves.
            c.count(&c.cut);
            if !matches!(pattern, Pattern::Uploads | Pattern::Replays) {
                sleep(RECONNECT).await;
            }
        }
    }
}

/// Sends `head`, then one byte of `tail` (repeated) every [`TRICKLE`] until
/// the server closes the connection.
async fn trickle(s: &TcpStream, head: &[u8], tail: &[u8]) {
    if write_all(s, head).await.is_err() {
        return;
    }
    for i in 0.. {
        tokio::select! {
            _ = closed(s) => return,
            _ = sleep(TRICKLE) => {}
        }
        if write_all(s, &tail[i % tail.len()..][..1]).await.is_err() {
            return;
        }
    }
}

/// One 32 MiB upload without a member's note; then the connection is done.
async fn upload(s: &TcpStream, t: &Target, i: usize, c: &Tally) {
    let head = format!(
        "POST /api/v1/blobs HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{}\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        t.bad_notes[i % t.bad_notes.len()],
        t.upload_body.len()
    );
    if write_all(s, head.as_bytes()).await.is_err() {
        return;
    }
    let body = async {
        for piece in t.upload_body.chunks(256 * 1024) {
            if write_all(s, piece).await.is_err() {
                break;
            }
            c.sent.fetch_add(piece.len() as u64, Ordering::Relaxed);
        }
        std::future::pending::<()>().await;
    };
    tokio::select! {
        r = read_reply(s) => {
            if let Ok((status, _)) = r {
                c.answer(status);
            }
        }
        _ = body => {}
    }
    // The server has answered; it may still be sending or closing.
    let _ = timeout(Duration::from_secs(2), closed(s)).await;
}

/// Sends logged entries again, one after another, on one connection.
async fn replay(s: &TcpStream, t: &Target, i: usize, c: &Tally) {
    for n in i.. {
        let entry = &t.logged[n % t.logged.len()];
        let head = format!(
            "POST /api/v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
            entry.len()
        );
        if write_all(s, head.as_bytes()).await.is_err() || write_all(s, entry).await.is_err() {
            return;
        }
        match read_reply(s).await {
            Ok((status, again)) => {
                c.answer(status);
                if !again {
                    return;
                }
            }
            Err(_) => return,
        }
    }
}

/// What the probes saw midway: a member's new entry and a fresh reader.
#[derive(Default, Clone)]
struct Probe {
    entry: Option<(u16, f64)>,
    page: Option<(u16, f64)>,
}

impl Probe {
    fn describe(x: Option<(u16, f64)>) -> String {
        match x {
            Some((0, ms)) => format!("failed after {ms:.0} ms"),
            Some((status, ms)) => format!("{status} in {ms:.0} ms"),
            None => "—".into(),
        }
    }
}

/// Asks once, from [`PROBE`]: the status (0: no answer) and milliseconds.
async fn probe(t: &Target, head: String, body: &[u8]) -> (u16, f64) {
    let started = std::time::Instant::now();
    let result = timeout(Duration::from_secs(30), async {
        let s = connect(PROBE, t.addr).await?;
        write_all(&s, head.as_bytes()).await?;
        write_all(&s, body).await?;
        read_reply(&s).await
    })
    .await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(Ok((status, _))) => (status, ms),
        _ => (0, ms),
    }
}

/// Runs `pattern` (or nothing) until `until`, probing at `midway`.
async fn attacker(
    pattern: Option<Pattern>,
    t: Target,
    midway: tokio::time::Instant,
    until: tokio::time::Instant,
    tally: Arc<Tally>,
) -> Probe {
    let mut tasks = tokio::task::JoinSet::new();
    if let Some(p) = pattern {
        for i in 0..p.width() {
            tasks.spawn(attack_one(p, t.clone(), i, until, tally.clone()));
        }
    }
    sleep_until(midway).await;
    let entry = statement(&t.member, &format!("Midway, at {}.", now())).expect("signing");
    let head = format!(
        "POST /api/v1/entries HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        entry.len()
    );
    let got = Probe {
        entry: Some(probe(&t, head, &entry).await),
        page: Some(
            probe(
                &t,
                "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".into(),
                b"",
            )
            .await,
        ),
    };
    while tasks.join_next().await.is_some() {}
    got
}

// ---------------------------------------------------------------------------
// One row: a fresh server, wrk, and the attacker beside it

struct Row {
    pattern: Option<Pattern>,
    readers: Wrk,
    did: String,
    probe: Probe,
    at_rest: u64,
    peak: u64,
    exit: String,
}

fn run_row(
    pattern: Option<Pattern>,
    erkin: &Path,
    data: &Path,
    log: &Path,
    target: &Target,
    connections: usize,
    seconds: u64,
) -> Result<Row> {
    let server = Server::start(erkin, data, log)?;
    std::thread::sleep(Duration::from_millis(500));
    let at_rest = server.peak();
    let t = Target {
        addr: server.addr,
        ..target.clone()
    };
    let lead = if pattern.is_some() {
        LEAD
    } else {
        Duration::ZERO
    };
    let start = tokio::time::Instant::now();
    let midway = start + lead + Duration::from_millis(seconds * 500);
    let until = start + lead + Duration::from_secs(seconds) + Duration::from_secs(1);
    let tally = Arc::new(Tally::default());
    let attack = {
        let tally = tally.clone();
        std::thread::spawn(move || {
            // One thread: the attacker takes at most one of the cores.
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a tokio runtime")
                .block_on(attacker(pattern, t, midway, until, tally))
        })
    };
    std::thread::sleep(lead);
    let readers = wrk(&format!("http://{}/", server.addr), connections, seconds)?;
    let probe = attack
        .join()
        .map_err(|_| anyhow::anyhow!("the attacker panicked"))?;
    let peak = server.peak();
    let exit = server.stop()?;
    Ok(Row {
        pattern,
        readers,
        did: pattern.map_or_else(|| "—".into(), |p| tally.describe(p)),
        probe,
        at_rest,
        peak,
        exit,
    })
}

fn main() -> Result<()> {
    let seconds: u64 = arg("--seconds", 10)?;
    let connections: usize = arg("--connections", 256)?;
    let chosen: String = arg("--patterns", "abcdef".to_string())?;
    let patterns: Vec<Pattern> = Pattern::ALL
        .iter()
        .filter(|(c, _)| chosen.contains(*c))
        .map(|(_, p)| *p)
        .collect();
    let exe = std::env::current_exe()?;
    let erkin: PathBuf = exe.with_file_name("erkin");
    if !erkin.exists() {
        bail!("{erkin:?} is missing: cargo build --release -p erkin");
    }
    // Beside the build (a real disk, not a tmpfs in memory).
    let target_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("the binary's folder")?;
    let work = tempfile::Builder::new()
        .prefix("erkin-bench-attack-")
        .tempdir_in(target_dir)?;
    let data = work.path().join("data");
    let log = work.path().join("serve.log");
    eprintln!("attack: founding the publication (5 articles and a 32 MiB one)");
    let (target, setup_peak) = found(&erkin, &data, &log)?;

    let mut rows = Vec::new();
    // Readers alone first and last: the spread between the two is the noise.
    let runs = std::iter::once(None)
        .chain(patterns.into_iter().map(Some))
        .chain(std::iter::once(None));
    for pattern in runs {
        eprintln!(
            "attack: {}",
            pattern.map_or("readers alone (baseline)", Pattern::name)
        );
        let row = run_row(pattern, &erkin, &data, &log, &target, connections, seconds)?;
        eprintln!(
            "attack: {:.0} req/s, p99 {:.2} ms, {} errors, peak {:.0} MB, {}; server {}",
            row.readers.requests_per_sec,
            row.readers.p99_ms,
            row.readers.errors,
            row.peak as f64 / MB,
            row.did,
            row.exit
        );
        rows.push(row);
    }

    let base = rows[0].readers;
    println!(
        "Readers: `wrk -t2 -c{connections} -d{seconds}s --latency` on the front page, from 127.0.0.1. \
         Attacker: one client (127.0.0.2), one thread, started {} s before wrk and stopped 1 s after it. \
         The server (`erkin serve --sequence`, default limits) is restarted for each row; its peak memory \
         is that row's VmHWM, start to finish. Midway, from 127.0.0.3, a member submits a new entry and a \
         fresh reader asks for the front page.\n",
        LEAD.as_secs()
    );
    println!("| attacker | what the attacker did | readers req/s | vs. alone | p50 | p99 | reader errors | member's entry midway | fresh reader midway | server peak memory | under 512 MB |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (i, r) in rows.iter().enumerate() {
        let who = match r.pattern {
            Some(p) => p.name(),
            None if i == 0 => "none (readers alone)",
            None => "none (readers alone, again at the end)",
        };
        println!(
            "| {} | {} | {:.0} | {:.2} | {:.2} ms | {:.2} ms | {} | {} | {} | {:.0} MB (at rest {:.0}) | {} |",
            who,
            r.did,
            r.readers.requests_per_sec,
            r.readers.requests_per_sec / base.requests_per_sec,
            r.readers.p50_ms,
            r.readers.p99_ms,
            r.readers.errors,
            Probe::describe(r.probe.entry),
            Probe::describe(r.probe.page),
            r.peak as f64 / MB,
            r.at_rest as f64 / MB,
            if r.peak < BOUND { "yes" } else { "**no**" },
        );
    }
    let worst = rows.iter().map(|r| r.peak).max().unwrap_or(0);
    println!(
        "\nMemory bound: 512 MB (MB = 10^6 bytes) with the default 32 MiB blob limit. Highest peak: {:.0} MB: **{}**. \
         (The server that took the member's own 32 MiB upload while founding peaked at {:.0} MB.)",
        worst as f64 / MB,
        if worst < BOUND { "pass" } else { "FAIL" },
        setup_peak as f64 / MB
    );
    Ok(())
}
