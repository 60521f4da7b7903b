//! Fixtures for the mirror's adversarial tests: a newsroom that publishes, a
//! hostile HTTP source that serves an exported copy and can be told to lie,
//! and a snapshot of a mirror directory to prove a refused sync changed
//! nothing.
//!
//! The server speaks HTTP/1.1 by hand over tokio's `TcpStream` (one request
//! per connection, `Connection: close`): the hostile answers need control of
//! every byte — headers then silence, a declared length with a short body, a
//! chunked body with no length at all.

#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use erkin_core::action::{Action, Charter, Publish, Statement};
use erkin_core::blob::BlobId;
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::tiles::{entry_bundles, hash_tiles};
use erkin_core::verify::CopyReader;
use erkin_store::{Publication, Store};

pub const T0: u64 = 1_790_000_000;
pub const ORIGIN: &str = "hostile.example/news";

pub fn key(name: &str) -> SecretKey {
    SecretKey::generate(&mut rand_core::OsRng, name).unwrap()
}

// ---------------------------------------------------------------------------
// The newsroom

pub struct Newsroom {
    pub dir: PathBuf,
    pub log: SecretKey,
    pub editor: SecretKey,
    pub p: Publication,
}

impl Newsroom {
    /// Founds a publication in `dir` with `log` as its log key and a fresh
    /// editor as its only founder.
    pub fn found(dir: &Path, name: &str, log: &SecretKey) -> Self {
        let editor = key("aigerim");
        let p = Publication::found(
            dir,
            name,
            log,
            &[editor.verifier_key().clone()],
            Charter::default(),
            T0,
        )
        .unwrap();
        Self {
            dir: dir.to_path_buf(),
            log: log.clone(),
            editor,
            p,
        }
    }

    pub fn size(&self) -> u64 {
        self.p.store().size()
    }

    /// The newsroom's clock stands at the founding time: its log records no
    /// tick (the log time stays T0), so sizes are the entries' own count.
    fn now(&self) -> u64 {
        T0
    }

    /// Publishes an article whose body is `body`; returns the body's blob ID.
    pub fn publish(&mut self, slug: &str, body: &str) -> BlobId {
        let id = self.p.put_blob(body.as_bytes(), 1 << 24).unwrap();
        let action = Action::Publish(Publish {
            slug: slug.into(),
            lang: "en".into(),
            title: format!("Title of {slug}"),
            summary: format!("Summary of {slug}"),
            authors: vec!["aigerim".into()],
            bylines: vec![],
            tags: vec!["press-freedom".into()],
            body: id.to_string(),
            media: vec![],
            translation_of: None,
            first_published: None,
        });
        let now = self.now();
        let entry = self
            .p
            .sign(&EntryBody { time: now, action }, &self.editor)
            .unwrap();
        let outcome = self.p.submit(&[entry], now, &self.log).unwrap();
        assert!(outcome.results[0].is_ok(), "{:?}", outcome.results);
        id
    }

    /// Appends `n` statements (one batch, one checkpoint), texts `{prefix} {i}`.
    pub fn statements(&mut self, n: usize, prefix: &str) {
        let now = self.now();
        let entries: Vec<Vec<u8>> = (0..n)
            .map(|i| {
                let action = Action::Statement(Statement {
                    text: format!("{prefix} {i}"),
                });
                self.p
                    .sign(&EntryBody { time: now, action }, &self.editor)
                    .unwrap()
            })
            .collect();
        let outcome = self.p.submit(&entries, now, &self.log).unwrap();
        assert!(
            outcome.results.iter().all(|r| r.is_ok()),
            "{:?}",
            outcome.results
        );
    }

    /// Grows the log to exactly `size` entries with statements.
    pub fn statements_to(&mut self, size: u64, prefix: &str) {
        assert!(size >= self.size());
        let n = (size - self.size()) as usize;
        if n > 0 {
            self.statements(n, prefix);
        }
    }

    /// Writes (or updates) the static copy in `out`.
    pub fn export(&self, out: &Path) {
        erkin_export::export(&self.p, out).unwrap();
    }

    pub fn checkpoint(&self) -> Vec<u8> {
        self.p.store().latest_checkpoint_bytes().unwrap().unwrap()
    }
}

/// Writes the log files of the store in `data` (checkpoint, every hash tile
/// and entry bundle, every blob) into `out`, reading the store as a copy.
/// Works for a store that no publication can open (one holding a forbidden
/// entry), where `erkin_export::export` cannot be used.
pub fn raw_copy(data: &Path, out: &Path) {
    let store = Store::open_unverified(data).unwrap();
    let size = store.size();
    let mut paths = vec!["checkpoint".to_string()];
    paths.extend(hash_tiles(0, size).iter().map(|t| t.to_string()));
    paths.extend(entry_bundles(0, size).iter().map(|t| t.to_string()));
    paths.extend(
        store
            .blob_ids()
            .unwrap()
            .iter()
            .map(|id| format!("blob/{id}")),
    );
    for path in paths {
        let bytes = CopyReader::read(&store, &path, u64::MAX)
            .unwrap()
            .unwrap_or_else(|| panic!("{path} missing from the store"));
        let dest = out.join(&path);
        fs::create_dir_all(dest.parent().unwrap()).unwrap();
        fs::write(dest, bytes).unwrap();
    }
}

// ---------------------------------------------------------------------------
// The hostile source

/// How the source answers one path (overriding the file on disk).
#[derive(Clone, Debug)]
pub enum Rule {
    /// 200 with these bytes (and their Content-Length).
    Bytes(Vec<u8>),
    /// 200 with these bytes, chunked, no Content-Length.
    Chunked(Vec<u8>),
    /// 200 with these bytes gzip-compressed (`Content-Encoding: gzip`, the
    /// compressed length): a small response that inflates.
    Gzip(Vec<u8>),
    /// 404, as if the file were not there.
    NotFound,
    /// Read the request, never answer.
    Stall,
    /// Send the status line and headers (the file's real length) and a few
    /// bytes, then nothing more.
    StallAfterHeaders,
    /// Declare the file's real length, send half of it, close.
    CutShort,
}

#[derive(Default)]
struct Behaviour {
    root: PathBuf,
    rules: HashMap<String, Rule>,
    requests: Vec<String>,
}

pub struct Hostile {
    pub addr: SocketAddr,
    state: Arc<Mutex<Behaviour>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Hostile {
    /// Serves the files under `root` on a free loopback port.
    pub fn start(root: &Path) -> Self {
        let state = Arc::new(Mutex::new(Behaviour {
            root: root.to_path_buf(),
            ..Behaviour::default()
        }));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let shared = state.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                addr_tx.send(listener.local_addr().unwrap()).unwrap();
                let mut rx = rx;
                loop {
                    tokio::select! {
                        _ = &mut rx => break,
                        accepted = listener.accept() => {
                            let Ok((stream, _)) = accepted else { continue };
                            tokio::spawn(serve(stream, shared.clone()));
                        }
                    }
                }
            });
            // Dropping the runtime cancels every connection still open
            // (the stalled ones).
        });
        let addr = addr_rx.recv().unwrap();
        Self {
            addr,
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Serves another directory from now on.
    pub fn set_root(&self, root: &Path) {
        self.state.lock().unwrap().root = root.to_path_buf();
    }

    pub fn set(&self, path: &str, rule: Rule) {
        self.state
            .lock()
            .unwrap()
            .rules
            .insert(path.to_string(), rule);
    }

    /// Honest again: every override removed.
    pub fn honest(&self) {
        self.state.lock().unwrap().rules.clear();
    }

    /// Paths requested so far, in order.
    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn requests_of(&self, path: &str) -> usize {
        self.requests().iter().filter(|p| *p == path).count()
    }

    pub fn clear_requests(&self) {
        self.state.lock().unwrap().requests.clear();
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn read_request(s: &tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        s.readable().await.ok()?;
        match s.try_read(&mut chunk) {
            Ok(0) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(_) => return None,
        }
        if buf.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let line = head.lines().next()?;
    let mut parts = line.split(' ');
    let _method = parts.next()?;
    let target = parts.next()?;
    let path = target.split('?').next()?.trim_start_matches('/');
    Some(path.to_string())
}

async fn write_all(s: &tokio::net::TcpStream, mut data: &[u8]) -> std::io::Result<()> {
    while !data.is_empty() {
        s.writable().await?;
        match s.try_write(data) {
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn head(status: &str, len: Option<usize>) -> Vec<u8> {
    head_with(status, len, "")
}

fn head_with(status: &str, len: Option<usize>, extra: &str) -> Vec<u8> {
    let length = match len {
        Some(n) => format!("Content-Length: {n}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_string(),
    };
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/octet-stream\r\n{extra}{length}Connection: close\r\n\r\n"
    )
    .into_bytes()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

async fn serve(stream: tokio::net::TcpStream, state: Arc<Mutex<Behaviour>>) {
    let Some(path) = read_request(&stream).await else {
        return;
    };
    let (rule, file) = {
        let mut st = state.lock().unwrap();
        st.requests.push(path.clone());
        let rule = st.rules.get(&path).cloned();
        // Only plain relative paths name a file under the root.
        let plain = !path.is_empty()
            && path
                .split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..");
        let file = if plain {
            let f = st.root.join(&path);
            if f.is_file() {
                fs::read(f).ok()
            } else {
                None
            }
        } else {
            None
        };
        (rule, file)
    };
    let not_found = || head("404 Not Found", Some(0));
    let _ = match (rule, file) {
        (Some(Rule::NotFound), _) | (None, None) => write_all(&stream, &not_found()).await,
        (Some(Rule::Bytes(b)), _) => {
            let mut out = head("200 OK", Some(b.len()));
            out.extend_from_slice(&b);
            write_all(&stream, &out).await
        }
        (Some(Rule::Gzip(b)), _) => {
            let body = gzip(&b);
            let mut out = head_with("200 OK", Some(body.len()), "Content-Encoding: gzip\r\n");
            out.extend_from_slice(&body);
            write_all(&stream, &out).await
        }
        (Some(Rule::Chunked(b)), _) => {
            let mut r = write_all(&stream, &head("200 OK", None)).await;
            for c in b.chunks(16 * 1024) {
                if r.is_err() {
                    break;
                }
                let mut out = format!("{:x}\r\n", c.len()).into_bytes();
                out.extend_from_slice(c);
                out.extend_from_slice(b"\r\n");
                r = write_all(&stream, &out).await;
            }
            if r.is_ok() {
                r = write_all(&stream, b"0\r\n\r\n").await;
            }
            r
        }
        (Some(Rule::Stall), _) => {
            std::future::pending::<()>().await;
            Ok(())
        }
        (Some(Rule::StallAfterHeaders), file) => {
            let len = file.as_ref().map_or(1000, Vec::len).max(2);
            let mut out = head("200 OK", Some(len));
            out.push(file.as_ref().and_then(|f| f.first().copied()).unwrap_or(0));
            let _ = write_all(&stream, &out).await;
            std::future::pending::<()>().await;
            Ok(())
        }
        (Some(Rule::CutShort), file) => {
            let file = file.unwrap_or_else(|| vec![0; 1000]);
            let mut out = head("200 OK", Some(file.len()));
            out.extend_from_slice(&file[..file.len() / 2]);
            write_all(&stream, &out).await
        }
        (None, Some(b)) => {
            let mut out = head("200 OK", Some(b.len()));
            out.extend_from_slice(&b);
            write_all(&stream, &out).await
        }
    };
    // Half-close, so the client sees the end of what was sent.
    if let Ok(s) = stream.into_std() {
        let _ = s.shutdown(std::net::Shutdown::Write);
    }
}

// ---------------------------------------------------------------------------
// Snapshots of a mirror directory

/// Everything a refused sync must leave as it was.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    /// The store's size, latest checkpoint and blob IDs (None: no store).
    pub store: Option<(u64, Option<Vec<u8>>, Vec<String>)>,
    /// `site/`, file by file.
    pub site: BTreeMap<String, Vec<u8>>,
    /// `evidence/`, file by file.
    pub evidence: BTreeMap<String, Vec<u8>>,
    /// `mirror.json`.
    pub config: Option<Vec<u8>>,
}

pub fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let e = e.unwrap();
            let path = e.path();
            let ty = e.file_type().unwrap();
            if ty.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Takes a snapshot of the mirror in `dir` (no `Mirror` may be open on it).
pub fn snapshot(dir: &Path) -> Snapshot {
    let store = match Store::open_unverified(dir) {
        Ok(s) => {
            let mut blobs: Vec<String> = s
                .blob_ids()
                .unwrap()
                .iter()
                .map(|b| b.to_string())
                .collect();
            blobs.sort();
            Some((s.size(), s.latest_checkpoint_bytes().unwrap(), blobs))
        }
        Err(erkin_store::StoreError::NotFound { .. }) => None,
        Err(e) => panic!("{}: {e}", dir.display()),
    };
    Snapshot {
        store,
        site: files_under(&dir.join(erkin_mirror::mirror::SITE_DIR)),
        evidence: files_under(&dir.join(erkin_mirror::mirror::EVIDENCE_DIR)),
        config: fs::read(dir.join(erkin_mirror::mirror::CONFIG_FILE)).ok(),
    }
}

/// What differs between two snapshots, for people (empty when equal).
pub fn differences(before: &Snapshot, after: &Snapshot) -> Vec<String> {
    let mut out = Vec::new();
    match (&before.store, &after.store) {
        (None, None) => {}
        (Some(a), Some(b)) => {
            if a.0 != b.0 {
                out.push(format!("store size {} -> {}", a.0, b.0));
            }
            if a.1 != b.1 {
                out.push("store checkpoint changed".into());
            }
            if a.2 != b.2 {
                out.push(format!("store blobs {:?} -> {:?}", a.2, b.2));
            }
        }
        (a, b) => out.push(format!(
            "store existence {} -> {}",
            a.is_some(),
            b.is_some()
        )),
    }
    let mut maps = |name: &str, a: &BTreeMap<String, Vec<u8>>, b: &BTreeMap<String, Vec<u8>>| {
        for (k, v) in a {
            match b.get(k) {
                None => out.push(format!("{name}/{k} removed")),
                Some(w) if w != v => out.push(format!("{name}/{k} changed")),
                _ => {}
            }
        }
        for k in b.keys() {
            if !a.contains_key(k) {
                out.push(format!("{name}/{k} added"));
            }
        }
    };
    maps("site", &before.site, &after.site);
    maps("evidence", &before.evidence, &after.evidence);
    if before.config != after.config {
        out.push("mirror.json changed".into());
    }
    out
}

#[track_caller]
pub fn assert_unchanged(before: &Snapshot, after: &Snapshot) {
    let d = differences(before, after);
    assert!(d.is_empty(), "the mirror changed: {d:#?}");
}

/// Like [`assert_unchanged`], but `evidence/` must have gained exactly one
/// file (returned: its name and bytes) and nothing else changed.
#[track_caller]
pub fn assert_unchanged_but_evidence(before: &Snapshot, after: &Snapshot) -> (String, Vec<u8>) {
    let mut d = differences(before, after);
    let added: Vec<String> = after
        .evidence
        .keys()
        .filter(|k| !before.evidence.contains_key(*k))
        .cloned()
        .collect();
    assert_eq!(added.len(), 1, "expected one new evidence file: {d:#?}");
    d.retain(|x| *x != format!("evidence/{} added", added[0]));
    assert!(
        d.is_empty(),
        "the mirror changed beyond its evidence: {d:#?}"
    );
    let name = added[0].clone();
    let bytes = after.evidence[&name].clone();
    (name, bytes)
}
