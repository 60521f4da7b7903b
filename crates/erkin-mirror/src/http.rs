//! A copy served over HTTP(S), read with limits, timeouts, retries and
//! bounded concurrency.
//!
//! Nothing fetched is trusted: the sync checks every byte against the pinned
//! key. TLS is therefore not what makes a mirror safe (HTTPS in Kazakhstan
//! has been intercepted with a state root certificate); it only hides what is
//! read. Certificates are checked against the Mozilla roots built into the
//! binary, not the system's store, so a root installed on the machine by
//! decree is not trusted.
//!
//! Fetched files are staged on disk under the sync's staging directory
//! (memory stays flat however big the log), and files that never change —
//! full tiles and bundles, blobs — are reused from there by the next run, so
//! an interrupted sync resumes instead of starting over. They are verified
//! again like everything else, and the staging directory is cleared after a
//! commit or a refusal.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use erkin_core::blob::BlobId;
use erkin_core::tiles::TilePath;
use erkin_core::verify::{CopyReader, ReadError};

#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The longest one request may take, body included. A stalled response
    /// fails after this and is retried.
    pub timeout: Duration,
    /// Attempts after the first for a failed request (network error,
    /// timeout, 429 or 5xx). A 404 or an oversize response is not retried.
    pub retries: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Told how many of a batch of files are fetched, and of how many
    /// (`done, total`), as they arrive: the CLI draws its bar from it. The
    /// library itself never prints.
    pub progress: Option<Progress>,
    /// The longest each phase before the response's headers may take:
    /// resolving, connecting with the TLS handshake, sending the request,
    /// waiting for the answer. A copy blocked by a handshake that never
    /// finishes (the SNI filter in Kazakhstan) fails after this, not after
    /// `timeout`. `None`: 10 s, capped by `timeout`.
    pub phase_timeout: Option<Duration>,
    /// A proxy every request goes through, `socks5h://HOST:PORT` (host
    /// names resolved by the proxy: Tor's SOCKS port), `socks5://`,
    /// `http://`. `None`: the environment's proxy variables, as before
    /// (`ALL_PROXY`, `HTTPS_PROXY`, `NO_PROXY`).
    pub proxy: Option<String>,
    /// Certificates (DER) to trust as roots instead of the Mozilla roots
    /// built in: for a private deployment, and for tests with their own
    /// certificate authority.
    pub roots: Option<std::sync::Arc<Vec<Vec<u8>>>>,
    /// Follow redirects (at most 5). A reader's client turns this off: a
    /// copy is read from the address it was given, and a redirect
    /// elsewhere is refused with its target named.
    pub follow_redirects: bool,
    /// Host names connected to at a given address instead of the one DNS
    /// answers, on any port (curl's `--resolve`): for a reader whose DNS is
    /// poisoned, who knows a copy's real address. The URL keeps the name,
    /// so TLS still sends it as SNI and checks the certificate against it.
    /// Names are compared without case. With a `socks5h://` proxy the
    /// proxy resolves names and this is not consulted for them.
    pub resolve: Vec<(String, IpAddr)>,
}

/// Parses `NAME=ADDR` (`habar.kz=203.0.113.7`, `habar.kz=[2001:db8::1]`)
/// for [`HttpOptions::resolve`]; the reason if it is not one.
pub fn parse_resolve(s: &str) -> Result<(String, IpAddr), String> {
    let (name, addr) = s
        .split_once('=')
        .ok_or_else(|| format!("{s:?}: expected NAME=ADDRESS"))?;
    let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        return Err(format!("{s:?}: {name:?} is not a host name"));
    }
    let addr = addr.trim().trim_start_matches('[').trim_end_matches(']');
    let ip = addr
        .parse::<IpAddr>()
        .map_err(|_| format!("{s:?}: {addr:?} is not an IP address"))?;
    Ok((name, ip))
}

/// The address [`HttpOptions::resolve`] gives `host`, if any.
pub fn resolve_override(resolve: &[(String, IpAddr)], host: &str) -> Option<IpAddr> {
    let host = host.trim_end_matches('.');
    resolve
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(host))
        .map(|(_, ip)| *ip)
}

/// ureq's resolver with [`HttpOptions::resolve`] consulted first.
#[derive(Debug)]
struct OverrideResolver {
    names: Vec<(String, IpAddr)>,
    system: ureq::unversioned::resolver::DefaultResolver,
}

impl ureq::unversioned::resolver::Resolver for OverrideResolver {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let fixed = uri.host().and_then(|h| resolve_override(&self.names, h));
        let Some(ip) = fixed else {
            return self.system.resolve(uri, config, timeout);
        };
        let port = uri
            .port_u16()
            .or_else(|| match uri.scheme_str() {
                Some("http") => Some(80),
                Some("https") => Some(443),
                _ => None,
            })
            .ok_or(ureq::Error::HostNotFound)?;
        let mut addrs = self.empty();
        addrs.push(SocketAddr::new(ip, port));
        Ok(addrs)
    }
}

/// Whether `proxy` is a proxy address this client takes; the reason if not.
pub fn check_proxy(proxy: &str) -> Result<(), String> {
    ureq::Proxy::new(proxy)
        .map(|_| ())
        .map_err(|e| format!("{proxy}: {e}"))
}

/// A callback for fetch progress: `(done, total)` files of the current batch.
#[derive(Clone)]
pub struct Progress(pub std::sync::Arc<dyn Fn(usize, usize) + Send + Sync>);

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Progress(..)")
    }
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            retries: 3,
            concurrency: 8,
            progress: None,
            phase_timeout: None,
            proxy: None,
            roots: None,
            follow_redirects: true,
            resolve: Vec::new(),
        }
    }
}

/// Requests made and body bytes received (after HTTP decompression).
#[derive(Debug, Default)]
pub struct HttpStats {
    pub requests: AtomicU64,
    pub bytes: AtomicU64,
}

pub struct HttpCopy {
    base: String,
    agent: ureq::Agent,
    options: HttpOptions,
    staging: PathBuf,
    /// Paths fetched (and staged) in this run.
    fetched: Mutex<HashSet<String>>,
    /// Paths the source answered 404 for in this run.
    absent: Mutex<HashSet<String>>,
    /// Failures of prefetches, reported when the path is read.
    failed: Mutex<HashMap<String, ReadError>>,
    /// A proxy that does not parse: every request fails with it.
    bad_proxy: Option<String>,
    pub stats: HttpStats,
}

impl HttpCopy {
    /// `base` is the copy's root URL (`https://host/` or with a path
    /// prefix); `staging` a directory this copy may fill.
    pub fn new(base: &str, staging: &Path, options: HttpOptions) -> Self {
        let mut base = base.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        let phase = options
            .phase_timeout
            .unwrap_or(Duration::from_secs(10))
            .min(options.timeout);
        let (proxy, bad_proxy) = match options.proxy.as_deref().map(ureq::Proxy::new) {
            None => (None, None),
            Some(Ok(p)) => (Some(p), None),
            Some(Err(e)) => (None, Some(e.to_string())),
        };
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(roots) = &options.roots {
            let certs: Vec<ureq::tls::Certificate<'static>> = roots
                .iter()
                .map(|der| ureq::tls::Certificate::from_der(der).to_owned())
                .collect();
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let mut config = ureq::Agent::config_builder();
        if proxy.is_some() {
            config = config.proxy(proxy);
        }
        let config = config
            .timeout_global(Some(options.timeout))
            .timeout_resolve(Some(phase))
            .timeout_connect(Some(phase))
            .timeout_send_request(Some(phase))
            .timeout_recv_response(Some(phase))
            .http_status_as_error(false)
            .max_redirects(if options.follow_redirects { 5 } else { 0 })
            .tls_config(tls.build())
            // No identifying headers beyond what HTTP needs.
            .user_agent("erkin-mirror")
            .build();
        let agent = if options.resolve.is_empty() {
            config.into()
        } else {
            ureq::Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::default(),
                OverrideResolver {
                    names: options.resolve.clone(),
                    system: Default::default(),
                },
            )
        };
        Self {
            base,
            agent,
            options,
            staging: staging.to_path_buf(),
            fetched: Mutex::default(),
            absent: Mutex::default(),
            failed: Mutex::default(),
            bad_proxy,
            stats: HttpStats::default(),
        }
    }

    pub fn requests(&self) -> u64 {
        self.stats.requests.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.stats.bytes.load(Ordering::Relaxed)
    }

    /// Files that never change once they exist: reusable across runs.
    fn is_immutable(path: &str) -> bool {
        TilePath::parse(path).is_ok_and(|t| t.is_full())
            || path
                .strip_prefix("blob/")
                .is_some_and(|h| h.parse::<BlobId>().is_ok())
    }

    fn staged(&self, path: &str) -> PathBuf {
        self.staging.join(path)
    }

    /// Fetches `path` and stages it. `Ok(false)` if the source has no such file.
    fn fetch(&self, path: &str, max_len: u64) -> Result<bool, ReadError> {
        let url = format!("{}{}", self.base, path);
        if let Some(e) = &self.bad_proxy {
            return Err(ReadError::Io {
                path: path.to_string(),
                reason: format!("the proxy: {e}"),
            });
        }
        let mut last = String::new();
        for attempt in 0..=self.options.retries {
            if attempt > 0 {
                // 0.25 s, 0.5 s, 1 s, ... capped at 8 s.
                let backoff = Duration::from_millis(250u64 << (attempt - 1).min(5));
                std::thread::sleep(backoff.min(Duration::from_secs(8)));
            }
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            let mut response = match self.agent.get(&url).call() {
                Ok(r) => r,
                Err(e) => {
                    last = e.to_string();
                    continue;
                }
            };
            let status = response.status().as_u16();
            match status {
                200 => {}
                404 | 410 => return Ok(false),
                429 | 500..=599 => {
                    last = format!("HTTP {status}");
                    continue;
                }
                300..=399 if !self.options.follow_redirects => {
                    let to = response
                        .headers()
                        .get("location")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("nowhere")
                        .chars()
                        .take(300)
                        .collect::<String>();
                    return Err(ReadError::Io {
                        path: path.to_string(),
                        reason: format!(
                            "{url}: HTTP {status}, redirects to {to:?}; a copy is read only from the address it was given"
                        ),
                    });
                }
                _ => {
                    return Err(ReadError::Io {
                        path: path.to_string(),
                        reason: format!("{url}: HTTP {status}"),
                    })
                }
            }
            let too_large = || ReadError::TooLarge {
                path: path.to_string(),
                max: max_len,
            };
            let declared = response
                .headers()
                .get("content-length")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if declared.is_some_and(|n| n > max_len) {
                return Err(too_large());
            }
            let mut body = Vec::new();
            let read = response
                .body_mut()
                .as_reader()
                .take(max_len.saturating_add(1))
                .read_to_end(&mut body);
            if let Err(e) = read {
                last = e.to_string();
                continue;
            }
            if body.len() as u64 > max_len {
                return Err(too_large());
            }
            self.stats
                .bytes
                .fetch_add(body.len() as u64, Ordering::Relaxed);
            let dest = self.staged(path);
            erkin_export::atomic_write(&dest, &body, false).map_err(|e| ReadError::Io {
                path: path.to_string(),
                reason: format!("staging: {e}"),
            })?;
            return Ok(true);
        }
        Err(ReadError::Io {
            path: path.to_string(),
            reason: match self.options.retries {
                0 => format!("{url}: {last}"),
                n => format!("{url}: gave up after {} attempts: {last}", n + 1),
            },
        })
    }

    /// Whether `path` is already available from staging in this run.
    fn have(&self, path: &str) -> bool {
        self.fetched.lock().expect("not poisoned").contains(path)
            || (Self::is_immutable(path) && self.staged(path).is_file())
    }

    fn record(&self, path: &str, result: Result<bool, ReadError>) {
        match result {
            Ok(true) => {
                self.fetched
                    .lock()
                    .expect("not poisoned")
                    .insert(path.to_string());
            }
            Ok(false) => {
                self.absent
                    .lock()
                    .expect("not poisoned")
                    .insert(path.to_string());
            }
            Err(e) => {
                self.failed
                    .lock()
                    .expect("not poisoned")
                    .insert(path.to_string(), e);
            }
        }
    }
}

impl CopyReader for HttpCopy {
    fn read(&self, path: &str, max_len: u64) -> Result<Option<Vec<u8>>, ReadError> {
        if let Some(e) = self.failed.lock().expect("not poisoned").get(path) {
            return Err(e.clone());
        }
        if self.absent.lock().expect("not poisoned").contains(path) {
            return Ok(None);
        }
        if !self.have(path) {
            let result = self.fetch(path, max_len);
            let found = matches!(result, Ok(true));
            self.record(path, result.clone());
            result?;
            if !found {
                return Ok(None);
            }
        }
        erkin_export::read_bounded(&self.staged(path), path, max_len)
    }

    /// Only the blobs a sync names are fetched; a remote copy is not listed.
    fn blob_ids(&self) -> Result<Vec<BlobId>, ReadError> {
        Ok(Vec::new())
    }

    fn prefetch(&self, paths: &[String], max_len: u64) {
        let todo: Vec<&String> = paths.iter().filter(|p| !self.have(p)).collect();
        if todo.is_empty() {
            return;
        }
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let total = todo.len();
        let workers = self.options.concurrency.clamp(1, 64).min(total);
        let progress = self.options.progress.as_ref();
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = todo.get(i) else { break };
                    let result = self.fetch(path, max_len);
                    self.record(path, result);
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if let Some(Progress(tell)) = progress {
                        tell(n, total);
                    }
                });
            }
        });
    }
}
