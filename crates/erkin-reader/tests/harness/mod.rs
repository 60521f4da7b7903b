//! The censorship harness on loopback (issue 19): a newsroom's copies served
//! over TLS from 127.0.0.0/8 addresses, each with its own certificate, one
//! per way copies are blocked or corrupted in Kazakhstan.
//!
//! - a test CA plays the public web PKI; a second plays the state's
//!   interception root, which the reader's device trusts (as pressured
//!   users' devices did in 2019, 2020 and 2024);
//! - each mirror has its own address, a host name (`mirror-N.test` for
//!   127.0.0.N) and a certificate for that name. The test machine resolves
//!   no such names: the reader is told where they are with the HTTP
//!   client's resolve override (`erkin read --resolve NAME=ADDR`,
//!   [`Mirrors::resolve`]), so every connection sends its name as SNI as a
//!   real reader's does;
//! - behaviours: serve (optionally throttled to a few KB/s), refuse TCP
//!   (nothing listens), hang after the ClientHello, reset after it;
//! - [`Mirrors::start_sni`] filters by SNI as Kazakhstan's DPI does: one
//!   address, several names, the ClientHello read with rustls' server-side
//!   `Acceptor` and the connection handled by the name it asks for (a
//!   blocked name hangs, another on the same address is served).
//!
//! HTTP/1.1 is spoken by hand (one request per connection, `Connection:
//! close`), so every byte and every pause is the harness's.

#![allow(dead_code)]

use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use erkin_core::action::{Action, Charter, MirrorEntry, Publish, SetMirrors, Statement};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_store::Publication;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const T0: u64 = 1_790_000_000;
pub const ORIGIN: &str = "habar.example/news";

pub fn key(name: &str) -> SecretKey {
    SecretKey::generate(&mut rand_core::OsRng, name).unwrap()
}

// ---------------------------------------------------------------------------
// Certificates

pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        Self { issuer }
    }

    pub fn der(&self) -> Vec<u8> {
        self.issuer.der().to_vec()
    }

    /// A leaf certificate for `ip` and its key, for a rustls server.
    pub fn server_config(&self, ip: IpAddr) -> Arc<rustls::ServerConfig> {
        self.server_config_for(&ip.to_string())
    }

    /// The same for a host name or an address.
    pub fn server_config_for(&self, name: &str) -> Arc<rustls::ServerConfig> {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec![name.to_string()]).unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let chain = vec![cert.der().clone()];
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
        Arc::new(config)
    }
}

// ---------------------------------------------------------------------------
// The newsroom

pub struct Newsroom {
    pub log: SecretKey,
    pub editor: SecretKey,
    pub p: Publication,
}

impl Newsroom {
    pub fn found(dir: &Path) -> Self {
        let log = key(ORIGIN);
        let editor = key("aigerim");
        let p = Publication::found(
            dir,
            "Habar",
            &log,
            &[editor.verifier_key().clone()],
            Charter::default(),
            T0,
        )
        .unwrap();
        Self { log, editor, p }
    }

    fn submit(&mut self, action: Action) {
        let entry = self
            .p
            .sign(&EntryBody { time: T0, action }, &self.editor)
            .unwrap();
        let outcome = self.p.submit(&[entry], T0, &self.log).unwrap();
        assert!(outcome.results[0].is_ok(), "{:?}", outcome.results);
    }

    pub fn publish(&mut self, slug: &str, body: &str) {
        let id = self.p.put_blob(body.as_bytes(), 1 << 24).unwrap();
        self.submit(Action::Publish(Publish {
            slug: slug.into(),
            lang: "en".into(),
            title: format!("Title of {slug}"),
            summary: format!("Summary of {slug}"),
            authors: vec!["aigerim".into()],
            bylines: vec![],
            tags: vec![],
            body: id.to_string(),
            media: vec![],
            translation_of: None,
            first_published: None,
        }));
    }

    pub fn statement(&mut self, text: &str) {
        self.submit(Action::Statement(Statement { text: text.into() }));
    }

    pub fn set_mirrors(&mut self, urls: &[String]) {
        self.submit(Action::SetMirrors(SetMirrors {
            mirrors: urls
                .iter()
                .map(|u| MirrorEntry {
                    url: u.clone(),
                    pins: vec![],
                })
                .collect(),
        }));
    }

    pub fn size(&self) -> u64 {
        self.p.store().size()
    }

    pub fn export(&self, out: &Path) {
        erkin_export::export(&self.p, out).unwrap();
    }
}

/// Copies a directory tree.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Every file under `root`, relative paths.
pub fn files(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------
// Mirrors

#[derive(Clone)]
pub enum Behaviour {
    /// Serve the copy in this directory, at most `rate` bytes a second.
    Serve { root: PathBuf, rate: Option<usize> },
    /// Take the connection and the ClientHello, then never answer.
    HangAfterHello,
    /// Take the ClientHello, then reset the connection.
    Reset,
    /// Answer every request with a redirect to another host.
    Redirect(String),
    /// Answer with headers, then bytes without end.
    Endless,
}

pub struct Mirrors {
    rt: tokio::runtime::Runtime,
    /// Requests served, by mirror address.
    pub seen: Arc<Mutex<Vec<(SocketAddr, String)>>>,
    /// Each mirror's host name and address, for the client's resolve
    /// override.
    names: Mutex<Vec<(String, IpAddr)>>,
}

/// The harness's host name for a mirror on `addr` (127.0.0.N: mirror-N.test).
pub fn mirror_name(addr: SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(v4) => format!("mirror-{}.test", v4.octets()[3]),
        IpAddr::V6(_) => "mirror-v6.test".into(),
    }
}

impl Mirrors {
    pub fn new() -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        Self {
            rt,
            seen: Arc::default(),
            names: Mutex::default(),
        }
    }

    /// A listening socket on `ip` (any free port).
    pub fn bind(&self, ip: [u8; 4]) -> std::net::TcpListener {
        let l = std::net::TcpListener::bind((IpAddr::from(ip), 0)).unwrap();
        l.set_nonblocking(true).unwrap();
        l
    }

    /// What the client's resolve override needs: every mirror's name and
    /// address.
    pub fn resolve(&self) -> Vec<(String, IpAddr)> {
        self.names.lock().unwrap().clone()
    }

    /// Registers `name` at `addr`; the URL of that name there.
    pub fn name(&self, name: &str, addr: SocketAddr) -> String {
        let mut names = self.names.lock().unwrap();
        if !names.iter().any(|(n, _)| n == name) {
            names.push((name.to_string(), addr.ip()));
        }
        format!("https://{name}:{}/", addr.port())
    }

    /// The URL (by its name) of a mirror on `listener`.
    pub fn url(&self, listener: &std::net::TcpListener) -> String {
        let addr = listener.local_addr().unwrap();
        self.name(&mirror_name(addr), addr)
    }

    /// An address where nothing listens (TCP refused).
    pub fn refused(&self, ip: [u8; 4]) -> String {
        let l = self.bind(ip);
        let url = self.url(&l);
        drop(l);
        url
    }

    /// Starts a mirror on `listener` named `mirror-N.test`, with `ca`'s
    /// certificate for that name, behaving as `behaviour`; returns its URL.
    pub fn start_named(
        &self,
        listener: std::net::TcpListener,
        ca: &Ca,
        behaviour: Behaviour,
    ) -> String {
        let url = self.url(&listener);
        let name = mirror_name(listener.local_addr().unwrap());
        self.start(listener, ca.server_config_for(&name), behaviour);
        url
    }

    /// One address, several names, each with its certificate and its
    /// behaviour ([`Behaviour::HangAfterHello`] or [`Behaviour::Serve`]),
    /// chosen by the ClientHello's SNI as read by rustls' `Acceptor`. A
    /// name not listed (or none) is dropped. Returns each name's URL.
    pub fn start_sni(
        &self,
        listener: std::net::TcpListener,
        names: Vec<(String, Arc<rustls::ServerConfig>, Behaviour)>,
    ) -> Vec<String> {
        let addr = listener.local_addr().unwrap();
        let urls = names.iter().map(|(n, _, _)| self.name(n, addr)).collect();
        let seen = self.seen.clone();
        let names = Arc::new(names);
        self.rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let names = names.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    let acceptor = tokio_rustls::LazyConfigAcceptor::new(
                        rustls::server::Acceptor::default(),
                        tcp,
                    );
                    let Ok(start) = acceptor.await else { return };
                    let sni = start.client_hello().server_name().map(str::to_string);
                    let Some((_, tls, behaviour)) =
                        names.iter().find(|(n, _, _)| Some(n) == sni.as_ref())
                    else {
                        return;
                    };
                    match behaviour {
                        Behaviour::HangAfterHello => {
                            // Hold the connection, answer nothing.
                            let _held = start;
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        Behaviour::Serve { .. } => {
                            if let Ok(stream) = start.into_stream(tls.clone()).await {
                                respond(stream, behaviour.clone(), addr, seen).await;
                            }
                        }
                        _ => panic!("start_sni: hang or serve only"),
                    }
                });
            }
        });
        urls
    }

    /// Starts a mirror on `listener` with `tls` behaving as `behaviour`;
    /// returns its URL by address (no SNI sent).
    pub fn start(
        &self,
        listener: std::net::TcpListener,
        tls: Arc<rustls::ServerConfig>,
        behaviour: Behaviour,
    ) -> String {
        let addr = listener.local_addr().unwrap();
        let seen = self.seen.clone();
        self.rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let acceptor = tokio_rustls::TlsAcceptor::from(tls);
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let acceptor = acceptor.clone();
                let behaviour = behaviour.clone();
                let seen = seen.clone();
                tokio::spawn(async move {
                    connection(tcp, acceptor, behaviour, addr, seen).await;
                });
            }
        });
        format!("https://{addr}/")
    }
}

impl Default for Mirrors {
    fn default() -> Self {
        Self::new()
    }
}

async fn connection(
    mut tcp: tokio::net::TcpStream,
    acceptor: tokio_rustls::TlsAcceptor,
    behaviour: Behaviour,
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(SocketAddr, String)>>>,
) {
    match behaviour {
        Behaviour::HangAfterHello => {
            let mut buf = [0u8; 2048];
            let _ = tcp.read(&mut buf).await;
            tokio::time::sleep(Duration::from_secs(3600)).await;
            return;
        }
        Behaviour::Reset => {
            let mut buf = [0u8; 2048];
            let _ = tcp.read(&mut buf).await;
            // An RST instead of a FIN, as a middlebox resets.
            #[allow(deprecated)]
            let _ = tcp.set_linger(Some(Duration::ZERO));
            drop(tcp);
            return;
        }
        _ => {}
    }
    let Ok(tls) = acceptor.accept(tcp).await else {
        return;
    };
    respond(tls, behaviour, addr, seen).await;
}

/// Reads one request over `tls` and answers it as `behaviour` says.
async fn respond(
    mut tls: tokio_rustls::server::TlsStream<tokio::net::TcpStream>,
    behaviour: Behaviour,
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<(SocketAddr, String)>>>,
) {
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") && req.len() < 16 * 1024 {
        match tls.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&req)
        .lines()
        .next()
        .unwrap_or("")
        .to_string();
    let path = line.split(' ').nth(1).unwrap_or("/").to_string();
    seen.lock().unwrap().push((addr, path.clone()));
    match behaviour {
        Behaviour::Redirect(to) => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: {to}{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                path.trim_start_matches('/')
            );
            let _ = tls.write_all(head.as_bytes()).await;
        }
        Behaviour::Endless => {
            let _ = tls
                .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
                .await;
            let chunk = vec![b'x'; 64 * 1024];
            while tls.write_all(&chunk).await.is_ok() {}
        }
        Behaviour::Serve { root, rate } => {
            let file = safe_join(&root, &path).and_then(|p| std::fs::read(p).ok());
            let Some(body) = file else {
                let _ = tls
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    )
                    .await;
                let _ = tls.shutdown().await;
                return;
            };
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            if tls.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            match rate {
                None => {
                    let _ = tls.write_all(&body).await;
                }
                Some(rate) => {
                    // A few hundred bytes at a time, paced to `rate`.
                    let piece = (rate / 4).max(1);
                    for c in body.chunks(piece) {
                        if tls.write_all(c).await.is_err() || tls.flush().await.is_err() {
                            return;
                        }
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                }
            }
        }
        Behaviour::HangAfterHello | Behaviour::Reset => {}
    }
    let _ = tls.shutdown().await;
}

fn safe_join(root: &Path, path: &str) -> Option<PathBuf> {
    let path = path.split('?').next().unwrap_or("");
    let mut out = root.to_path_buf();
    for c in Path::new(path.trim_start_matches('/')).components() {
        match c {
            Component::Normal(p) => out.push(p),
            _ => return None,
        }
    }
    out.is_file().then_some(out)
}

// ---------------------------------------------------------------------------
// A SOCKS5 proxy (RFC 1928, no authentication, CONNECT only) that records
// what it was asked for and resolves names from its own table: a name the
// test machine cannot resolve reaches a mirror only through it.

/// What the proxy saw: each CONNECT's target as the client sent it
/// (`name:port` for a domain name, `ip:port` for an address).
pub type Seen = Arc<Mutex<Vec<String>>>;

impl Mirrors {
    /// Starts the proxy on 127.0.0.1; `names` maps host names to addresses.
    pub fn socks5(&self, names: Vec<(String, SocketAddr)>) -> (String, Seen) {
        let listener = self.bind([127, 0, 0, 1]);
        let addr = listener.local_addr().unwrap();
        let seen: Seen = Arc::default();
        let log = seen.clone();
        let names = Arc::new(names);
        self.rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let log = log.clone();
                let names = names.clone();
                tokio::spawn(async move {
                    let _ = socks_connection(tcp, &names, &log).await;
                });
            }
        });
        (format!("socks5h://{addr}"), seen)
    }
}

async fn socks_connection(
    mut c: tokio::net::TcpStream,
    names: &[(String, SocketAddr)],
    seen: &Seen,
) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    c.read_exact(&mut head).await?;
    let mut methods = vec![0u8; head[1] as usize];
    c.read_exact(&mut methods).await?;
    c.write_all(&[5, 0]).await?;
    let mut req = [0u8; 4];
    c.read_exact(&mut req).await?;
    let (target, shown) = match req[3] {
        3 => {
            let mut len = [0u8; 1];
            c.read_exact(&mut len).await?;
            let mut name = vec![0u8; len[0] as usize];
            c.read_exact(&mut name).await?;
            let mut port = [0u8; 2];
            c.read_exact(&mut port).await?;
            let name = String::from_utf8_lossy(&name).into_owned();
            let port = u16::from_be_bytes(port);
            let target = names
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, a)| SocketAddr::new(a.ip(), port));
            (target, format!("{name}:{port}"))
        }
        1 => {
            let mut ip = [0u8; 4];
            c.read_exact(&mut ip).await?;
            let mut port = [0u8; 2];
            c.read_exact(&mut port).await?;
            let a = SocketAddr::from((ip, u16::from_be_bytes(port)));
            (Some(a), a.to_string())
        }
        _ => (None, "unsupported address type".into()),
    };
    seen.lock().unwrap().push(shown);
    let Some(target) = target else {
        // 4: host unreachable.
        c.write_all(&[5, 4, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
        return Ok(());
    };
    let mut upstream = tokio::net::TcpStream::connect(target).await?;
    c.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut c, &mut upstream).await?;
    Ok(())
}
