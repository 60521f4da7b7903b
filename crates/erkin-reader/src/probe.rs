//! `erkin probe`: measures how each known copy is reached — DNS, TCP, TLS
//! (timings, the certificate chain), HTTP, and whether the content verifies
//! against the pinned key — classifies each failure, and writes one record
//! per copy shaped like OONI's Web Connectivity data format
//! (`docs/probe.schema.json` holds the fields it shares and ours, `x_erkin`).
//!
//! Interception is detected by verifying the presented chain against the
//! public web PKI (Mozilla's roots built in, never the system's store) and
//! against the certificate pins the signed mirror list gives; a chain whose
//! top issuer is a known state interception root (`data/interception-roots.json`,
//! with sources) is named. After a failed verification the probe still
//! reads the checkpoint over that connection, as evidence; content is judged
//! only by the pinned key, and nothing read here is ever shown as the
//! publication.
//!
//! Nothing is sent anywhere: the record goes to a file or stdout, for the
//! reader to share or not.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use erkin_core::checkpoint::Checkpoint;
use erkin_core::keys::VerifierKey;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, RootCertStore, SignatureScheme};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The known state interception roots, with sources.
pub const INTERCEPTION_ROOTS: &str = include_str!("../data/interception-roots.json");

#[derive(Debug, Clone, Deserialize)]
struct RootList {
    roots: Vec<KnownRoot>,
}

#[derive(Debug, Clone, Deserialize)]
struct KnownRoot {
    name: String,
    subject_cn: Vec<String>,
    sha256: Vec<String>,
    sources: Vec<String>,
}

/// What the probe is given.
#[derive(Clone)]
pub struct ProbeOptions {
    pub key: VerifierKey,
    /// The public web PKI: Mozilla's roots ([`ProbeOptions::new`]), or a
    /// test's own.
    pub public_roots: Arc<RootCertStore>,
    /// The size of the verified copy held (0: none): a smaller signed
    /// checkpoint is a stale copy.
    pub local_size: u64,
    pub phase_timeout: Duration,
    /// Below this many bytes a second, a fetch is throttled.
    pub throttle_below: u64,
    /// `YYYY-MM-DD hh:mm:ss` (UTC), the measurement's start.
    pub start_time: String,
    pub software_version: String,
    /// Where the content check syncs a scratch copy (emptied first); with
    /// `None` the content is judged by the checkpoint alone.
    pub scratch: Option<std::path::PathBuf>,
    /// The HTTP settings of the content check (the device's view: the
    /// roots it trusts, the proxy).
    pub http: erkin_mirror::HttpOptions,
}

impl ProbeOptions {
    pub fn new(key: VerifierKey, start_time: String) -> Self {
        let roots = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        Self {
            key,
            public_roots: Arc::new(roots),
            local_size: 0,
            phase_timeout: Duration::from_secs(10),
            throttle_below: 16 * 1024,
            start_time,
            software_version: env!("CARGO_PKG_VERSION").into(),
            scratch: None,
            http: crate::sync::reader_http(),
        }
    }
}

/// One measurement: the OONI top-level fields and `test_keys`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Measurement {
    pub input: String,
    pub measurement_start_time: String,
    pub probe_asn: String,
    pub probe_cc: String,
    pub probe_ip: String,
    pub resolver_ip: String,
    pub report_id: String,
    pub software_name: String,
    pub software_version: String,
    pub test_name: String,
    pub test_version: String,
    pub test_runtime: f64,
    pub data_format_version: String,
    pub annotations: std::collections::BTreeMap<String, String>,
    pub test_keys: TestKeys,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestKeys {
    pub queries: Vec<Query>,
    pub tcp_connect: Vec<TcpConnect>,
    pub tls_handshakes: Vec<TlsHandshake>,
    pub requests: Vec<Request>,
    /// `false`, or `"dns"`, `"tcp_ip"`, `"http-failure"`, `"http-diff"`.
    pub blocking: serde_json::Value,
    pub accessible: bool,
    pub x_erkin: ErkinKeys,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Query {
    pub engine: String,
    pub hostname: String,
    pub query_type: String,
    pub answers: Vec<Answer>,
    pub failure: Option<String>,
    pub resolver_address: String,
    pub t0: f64,
    pub t: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Answer {
    pub answer_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TcpConnect {
    pub ip: String,
    pub port: u16,
    pub status: TcpStatus,
    pub t0: f64,
    pub t: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TcpStatus {
    pub success: bool,
    pub failure: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Cert {
    pub format: String,
    pub data: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TlsHandshake {
    pub address: String,
    pub server_name: String,
    pub tls_version: String,
    pub cipher_suite: String,
    pub negotiated_protocol: String,
    pub no_tls_verify: bool,
    pub peer_certificates: Vec<Cert>,
    pub failure: Option<String>,
    pub t0: f64,
    pub t: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Request {
    pub request: HttpRequest,
    pub response: HttpResponse,
    pub failure: Option<String>,
    pub t0: f64,
    pub t: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpRequest {
    pub url: String,
    pub method: String,
    pub headers_list: Vec<(String, String)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HttpResponse {
    pub code: u16,
    pub body: String,
    pub body_length: u64,
    pub headers_list: Vec<(String, String)>,
}

/// Our own keys (OONI's convention: `x_` for non-standard ones).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErkinKeys {
    /// `ok`, `dns`, `tcp_refused`, `tcp_timeout`, `tls_handshake_timeout`,
    /// `connection_reset`, `tls_interception`, `http_failure`, `throttled`,
    /// `tampered`, `stale`.
    pub classification: String,
    /// The public web PKI's verdict on the chain (`null`: valid).
    pub public_pki_failure: Option<String>,
    /// Whether the leaf's SHA-256 is among the mirror list's pins (`null`:
    /// no pins listed).
    pub pin_match: Option<bool>,
    /// A known state interception root at the top of the chain.
    pub interception_root: Option<NamedRoot>,
    /// The signed checkpoint's size, when it verified.
    pub checkpoint_size: Option<u64>,
    /// The copy held's size, to judge staleness.
    pub local_size: u64,
    /// Bytes a second of the largest fetch.
    pub rate: Option<u64>,
    /// What the content check found, in words.
    pub verification: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NamedRoot {
    pub name: String,
    pub issuer_cn: String,
    pub sources: Vec<String>,
}

/// Records the chain and the public PKI's verdict, and lets the handshake
/// go on, so the probe can read what an interceptor serves as evidence.
#[derive(Debug)]
struct Recorder {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
    seen: Mutex<Option<Seen>>,
}

/// The chain presented (DER, leaf first) and the public PKI's objection.
type Seen = (Vec<Vec<u8>>, Option<rustls::Error>);

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.to_vec())
            .collect();
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some((chain, verdict.err()));
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// OONI's failure string for a TLS verification error (df-007).
fn tls_failure(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer) => {
            "ssl_unknown_authority".into()
        }
        rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName
            | rustls::CertificateError::NotValidForNameContext { .. },
        ) => "ssl_invalid_hostname".into(),
        _ => "ssl_invalid_certificate".into(),
    }
}

/// OONI's failure string for an I/O error.
fn io_failure(e: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    match e.kind() {
        ConnectionRefused => "connection_refused".into(),
        ConnectionReset | ConnectionAborted | BrokenPipe => "connection_reset".into(),
        UnexpectedEof => "eof_error".into(),
        TimedOut => "generic_timeout_error".into(),
        _ => format!("unknown_failure: {e}"),
    }
}

fn issuer_cn(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    let cn = cert
        .issuer()
        .iter_common_name()
        .next()?
        .as_str()
        .ok()?
        .to_string();
    Some(cn)
}

fn known_root(chain: &[Vec<u8>]) -> Option<NamedRoot> {
    let list: RootList = serde_json::from_str(INTERCEPTION_ROOTS).ok()?;
    for der in chain.iter().rev() {
        let fp = hex::encode(Sha256::digest(der));
        let cn = issuer_cn(der).unwrap_or_default();
        for r in &list.roots {
            if r.sha256.iter().any(|s| s.eq_ignore_ascii_case(&fp)) || r.subject_cn.contains(&cn) {
                return Some(NamedRoot {
                    name: r.name.clone(),
                    issuer_cn: cn,
                    sources: r.sources.clone(),
                });
            }
        }
    }
    None
}

fn secs(start: Instant, at: Instant) -> f64 {
    at.duration_since(start).as_secs_f64()
}

struct Fetched {
    code: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn parse_response(raw: &[u8]) -> Option<Fetched> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.lines();
    let code = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Fetched {
        code,
        headers,
        body: raw[end + 4..].to_vec(),
    })
}

/// Probes one copy's address.
pub async fn probe(url: &str, pins: &[String], o: &ProbeOptions) -> Measurement {
    let start = Instant::now();
    let mut keys = TestKeys {
        queries: vec![],
        tcp_connect: vec![],
        tls_handshakes: vec![],
        requests: vec![],
        blocking: serde_json::Value::Bool(false),
        accessible: false,
        x_erkin: ErkinKeys {
            classification: String::new(),
            public_pki_failure: None,
            pin_match: None,
            interception_root: None,
            checkpoint_size: None,
            local_size: o.local_size,
            rate: None,
            verification: String::new(),
        },
    };
    let class = run(url, pins, o, start, &mut keys).await;
    let (blocking, accessible) = match class {
        "ok" | "throttled" | "stale" => (serde_json::Value::Bool(false), true),
        "dns" => ("dns".into(), false),
        "tcp_refused" | "tcp_timeout" => ("tcp_ip".into(), false),
        "tampered" => ("http-diff".into(), false),
        _ => ("http-failure".into(), false),
    };
    keys.blocking = blocking;
    keys.accessible = accessible;
    keys.x_erkin.classification = class.into();
    Measurement {
        input: url.into(),
        measurement_start_time: o.start_time.clone(),
        // Never looked up: nothing about the reader's network is recorded
        // beyond what the measurement itself needs.
        probe_asn: "AS0".into(),
        probe_cc: "ZZ".into(),
        probe_ip: "127.0.0.1".into(),
        resolver_ip: "127.0.0.1".into(),
        report_id: String::new(),
        software_name: "erkin-probe".into(),
        software_version: o.software_version.clone(),
        test_name: "web_connectivity".into(),
        test_version: "0.5.0".into(),
        test_runtime: start.elapsed().as_secs_f64(),
        data_format_version: "0.2.0".into(),
        annotations: [("erkin_key".to_string(), o.key.to_string())]
            .into_iter()
            .collect(),
        test_keys: keys,
    }
}

async fn run(
    url: &str,
    pins: &[String],
    o: &ProbeOptions,
    start: Instant,
    keys: &mut TestKeys,
) -> &'static str {
    let Ok(parsed) = url::Url::parse(url) else {
        keys.x_erkin.verification = "not a URL".into();
        return "http_failure";
    };
    let host = parsed
        .host_str()
        .unwrap_or("")
        .trim_matches(['[', ']'])
        .to_string();
    let port = parsed.port_or_known_default().unwrap_or(443);
    // DNS.
    let addrs: Vec<SocketAddr> = if let Ok(ip) = host.parse::<std::net::IpAddr>() {
        vec![SocketAddr::new(ip, port)]
    } else if let Some(ip) = erkin_mirror::resolve_override(&o.http.resolve, &host) {
        // The reader's `--resolve`: no DNS asked. Recorded as its own
        // engine so the record does not pass the address off as DNS's.
        let now = secs(start, Instant::now());
        keys.queries.push(Query {
            engine: "erkin_resolve_override".into(),
            hostname: host.clone(),
            query_type: "ANY".into(),
            answers: vec![Answer {
                answer_type: if ip.is_ipv4() { "A" } else { "AAAA" }.into(),
                ipv4: ip.is_ipv4().then(|| ip.to_string()),
                ipv6: ip.is_ipv6().then(|| ip.to_string()),
            }],
            failure: None,
            resolver_address: String::new(),
            t0: now,
            t: now,
        });
        vec![SocketAddr::new(ip, port)]
    } else {
        let t0 = Instant::now();
        let r = tokio::time::timeout(
            o.phase_timeout,
            tokio::net::lookup_host((host.as_str(), port)),
        )
        .await;
        let (answers, failure) = match r {
            Ok(Ok(a)) => (a.collect::<Vec<_>>(), None),
            Ok(Err(_)) => (vec![], Some("dns_nxdomain_error".to_string())),
            Err(_) => (vec![], Some("generic_timeout_error".to_string())),
        };
        keys.queries.push(Query {
            engine: "system".into(),
            hostname: host.clone(),
            query_type: "ANY".into(),
            answers: answers
                .iter()
                .map(|a| Answer {
                    answer_type: if a.is_ipv4() { "A" } else { "AAAA" }.into(),
                    ipv4: a.is_ipv4().then(|| a.ip().to_string()),
                    ipv6: a.is_ipv6().then(|| a.ip().to_string()),
                })
                .collect(),
            failure: failure.clone(),
            resolver_address: String::new(),
            t0: secs(start, t0),
            t: secs(start, Instant::now()),
        });
        if failure.is_some() || answers.is_empty() {
            return "dns";
        }
        answers
    };
    let addr = addrs[0];
    // TCP.
    let t0 = Instant::now();
    let tcp = tokio::time::timeout(o.phase_timeout, tokio::net::TcpStream::connect(addr)).await;
    let (tcp, failure) = match tcp {
        Ok(Ok(s)) => (Some(s), None),
        Ok(Err(e)) => (None, Some(io_failure(&e))),
        Err(_) => (None, Some("generic_timeout_error".to_string())),
    };
    keys.tcp_connect.push(TcpConnect {
        ip: addr.ip().to_string(),
        port,
        status: TcpStatus {
            success: tcp.is_some(),
            failure: failure.clone(),
        },
        t0: secs(start, t0),
        t: secs(start, Instant::now()),
    });
    let Some(tcp) = tcp else {
        return if failure.as_deref() == Some("connection_refused") {
            "tcp_refused"
        } else {
            "tcp_timeout"
        };
    };
    let plain = parsed.scheme() == "http";
    let (mut stream, intercepted): (Box<dyn Stream>, bool) = if plain {
        // An onion service or a plain-HTTP copy: no TLS to measure.
        (Box::new(tcp), false)
    } else {
        match tls_phase(tcp, pins, &host, addr, o, start, keys).await {
            Ok(r) => r,
            Err(class) => return class,
        }
    };
    http_phase(&mut stream, url, &parsed, o, start, keys, intercepted).await
}

/// Anything the HTTP phase reads from and writes to.
trait Stream: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send {}
impl<T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send> Stream for T {}

/// The TLS handshake: the stream and whether it is intercepted, or the
/// classification of its failure.
async fn tls_phase(
    tcp: tokio::net::TcpStream,
    pins: &[String],
    host: &str,
    addr: SocketAddr,
    o: &ProbeOptions,
    start: Instant,
    keys: &mut TestKeys,
) -> Result<(Box<dyn Stream>, bool), &'static str> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let Ok(inner) = rustls::client::WebPkiServerVerifier::builder_with_provider(
        o.public_roots.clone(),
        provider.clone(),
    )
    .build() else {
        keys.x_erkin.verification = "no public roots".into();
        return Err("http_failure");
    };
    let recorder = Arc::new(Recorder {
        inner,
        seen: Mutex::new(None),
    });
    let Ok(builder) =
        rustls::ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions()
    else {
        return Err("http_failure");
    };
    let mut config = builder
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let Ok(server_name) = ServerName::try_from(host.to_string()) else {
        return Err("http_failure");
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let t0 = Instant::now();
    let tls = tokio::time::timeout(o.phase_timeout, connector.connect(server_name, tcp)).await;
    let seen = recorder.seen.lock().ok().and_then(|mut s| s.take());
    let (chain, verdict) = seen.unwrap_or_default();
    let (tls, failure) = match tls {
        Ok(Ok(s)) => (Some(s), None),
        Ok(Err(e)) => (None, Some(io_failure(&e))),
        Err(_) => (None, Some("generic_timeout_error".to_string())),
    };
    let pki_failure = verdict.as_ref().map(tls_failure);
    let mut handshake = TlsHandshake {
        address: addr.to_string(),
        server_name: host.to_string(),
        tls_version: String::new(),
        cipher_suite: String::new(),
        negotiated_protocol: String::new(),
        no_tls_verify: false,
        peer_certificates: chain
            .iter()
            .map(|c| Cert {
                format: "base64".into(),
                data: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, c),
            })
            .collect(),
        failure: failure.clone().or(pki_failure.clone()),
        t0: secs(start, t0),
        t: secs(start, Instant::now()),
    };
    if let Some(s) = &tls {
        let (_, conn) = s.get_ref();
        handshake.tls_version = conn
            .protocol_version()
            .map(|v| format!("{v:?}").replace('_', "v").replace("TLSvv", "TLSv"))
            .unwrap_or_default();
        handshake.cipher_suite = conn
            .negotiated_cipher_suite()
            .map(|c| format!("{:?}", c.suite()))
            .unwrap_or_default();
        handshake.negotiated_protocol = conn
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .unwrap_or_default();
    }
    keys.tls_handshakes.push(handshake);
    keys.x_erkin.public_pki_failure = pki_failure.clone();
    if !pins.is_empty() {
        let leaf = chain.first().map(|c| hex::encode(Sha256::digest(c)));
        keys.x_erkin.pin_match = Some(leaf.is_some_and(|l| pins.contains(&l)));
    }
    keys.x_erkin.interception_root = known_root(&chain);
    let Some(tls) = tls else {
        return Err(match failure.as_deref() {
            Some("generic_timeout_error") => "tls_handshake_timeout",
            Some("connection_reset") | Some("eof_error") => "connection_reset",
            _ => "http_failure",
        });
    };
    let intercepted = pki_failure.is_some() || keys.x_erkin.pin_match == Some(false);
    Ok((Box::new(tls), intercepted))
}

/// The HTTP phase and the content check.
async fn http_phase(
    tls: &mut Box<dyn Stream>,
    url: &str,
    parsed: &url::Url,
    o: &ProbeOptions,
    start: Instant,
    keys: &mut TestKeys,
    intercepted: bool,
) -> &'static str {
    // HTTP: the signed checkpoint, as evidence even over an intercepted
    // connection.
    let base = url.trim_end_matches('/');
    let target = format!("{base}/checkpoint");
    let path = format!("{}checkpoint", parsed.path());
    let headers = vec![
        (
            "Host".to_string(),
            parsed.host_str().unwrap_or("").to_string(),
        ),
        ("User-Agent".to_string(), "erkin-probe".to_string()),
        ("Connection".to_string(), "close".to_string()),
    ];
    let mut req = format!("GET {path} HTTP/1.1\r\n");
    for (k, v) in &headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    let t0 = Instant::now();
    let fetched = tokio::time::timeout(o.phase_timeout * 3, async {
        tls.write_all(req.as_bytes()).await?;
        let mut raw = Vec::new();
        (&mut *tls).take(256 * 1024).read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    })
    .await;
    let took = t0.elapsed();
    let (fetched, failure) = match fetched {
        Ok(Ok(raw)) => (parse_response(&raw), None),
        Ok(Err(e)) => (None, Some(io_failure(&e))),
        Err(_) => (None, Some("generic_timeout_error".to_string())),
    };
    let failure = failure.or_else(|| fetched.is_none().then(|| "http_request_failed".to_string()));
    keys.requests.push(Request {
        request: HttpRequest {
            url: target,
            method: "GET".into(),
            headers_list: headers,
        },
        response: HttpResponse {
            code: fetched.as_ref().map_or(0, |f| f.code),
            body: fetched
                .as_ref()
                .map(|f| {
                    String::from_utf8_lossy(&f.body)
                        .chars()
                        .take(4096)
                        .collect()
                })
                .unwrap_or_default(),
            body_length: fetched.as_ref().map_or(0, |f| f.body.len() as u64),
            headers_list: fetched
                .as_ref()
                .map(|f| f.headers.clone())
                .unwrap_or_default(),
        },
        failure: failure.clone(),
        t0: secs(start, t0),
        t: secs(start, Instant::now()),
    });
    let Some(fetched) = fetched.filter(|f| f.code == 200) else {
        if intercepted {
            return "tls_interception";
        }
        return match failure.as_deref() {
            Some("generic_timeout_error") => "throttled",
            Some("connection_reset") => "connection_reset",
            _ => "http_failure",
        };
    };
    let n = fetched.body.len() as u64;
    let rate = (n as f64 / took.as_secs_f64().max(0.001)) as u64;
    keys.x_erkin.rate = Some(rate);
    let verdict = Checkpoint::open(&fetched.body, &o.key);
    match verdict {
        Ok(c) => {
            keys.x_erkin.checkpoint_size = Some(c.size);
            keys.x_erkin.verification = "the checkpoint is signed by the pinned key".into();
            if c.size < o.local_size && !intercepted {
                return "stale";
            }
            let content = check_content(url, o).await;
            if let Some(words) = &content.words {
                keys.x_erkin.verification = words.clone();
            }
            if let Some(r) = content.rate {
                keys.x_erkin.rate = Some(r);
            }
            if intercepted {
                return "tls_interception";
            }
            if content.tampered {
                return "tampered";
            }
            if content.slow || (took > Duration::from_secs(1) && rate < o.throttle_below) {
                return "throttled";
            }
            "ok"
        }
        Err(e) => {
            keys.x_erkin.verification = format!("the checkpoint does not verify: {e}");
            if intercepted {
                return "tls_interception";
            }
            "tampered"
        }
    }
}

struct Content {
    words: Option<String>,
    tampered: bool,
    slow: bool,
    rate: Option<u64>,
}

/// Syncs the whole copy into the scratch folder, verifying every byte
/// against the pinned key, within three phase timeouts: a copy that
/// answers the checkpoint quickly but serves the rest too slowly is
/// throttled; one whose content fails verification is tampered.
async fn check_content(url: &str, o: &ProbeOptions) -> Content {
    let Some(scratch) = o.scratch.clone() else {
        return Content {
            words: None,
            tampered: false,
            slow: false,
            rate: None,
        };
    };
    let url = url.to_string();
    let key = o.key.clone();
    let http = o.http.clone();
    let dir = scratch.join(hex::encode(&Sha256::digest(url.as_bytes())[..8]));
    let _ = std::fs::remove_dir_all(&dir);
    let started = Instant::now();
    let task = tokio::task::spawn_blocking(move || {
        let mut m = erkin_mirror::Mirror::open(&dir)?;
        m.sync(
            Some(&url),
            &erkin_mirror::SyncOptions {
                key: Some(key),
                http,
                site: false,
                ..erkin_mirror::SyncOptions::default()
            },
        )
    });
    match tokio::time::timeout(o.phase_timeout * 3, task).await {
        Err(_) => Content {
            words: Some("the content did not arrive in time".into()),
            tampered: false,
            slow: true,
            rate: None,
        },
        Ok(Ok(Ok(report))) => Content {
            words: Some(format!(
                "the whole copy verifies against the pinned key ({} entries)",
                report.new_size
            )),
            tampered: false,
            slow: false,
            rate: Some((report.bytes as f64 / started.elapsed().as_secs_f64().max(0.001)) as u64),
        },
        Ok(Ok(Err(e))) => {
            let not_genuine = !matches!(e.blame(), erkin_mirror::Blame::Local);
            Content {
                words: Some(format!(
                    "{}: {e}",
                    if not_genuine {
                        "NOT GENUINE"
                    } else {
                        "could not check the content"
                    }
                )),
                tampered: not_genuine,
                slow: false,
                rate: None,
            }
        }
        Ok(Err(_)) => Content {
            words: Some("the content check stopped".into()),
            tampered: false,
            slow: false,
            rate: None,
        },
    }
}

/// A readable report of measurements for a journalist to attach: plain
/// HTML, no script, no external resource.
pub fn html_report(ms: &[Measurement]) -> String {
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    }
    let mut out = String::from(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>erkin probe</title>\
         <h1>erkin probe · Тексеру · Проверка</h1><table border=\"1\"><tr><th>copy</th>\
         <th>result</th><th>TCP</th><th>TLS</th><th>HTTP</th><th>interception root</th><th>content</th></tr>",
    );
    for m in ms {
        let k = &m.test_keys;
        let tcp = k.tcp_connect.first().map_or("—".to_string(), |t| {
            format!(
                "{} ({:.0} ms)",
                t.status.failure.as_deref().unwrap_or("ok"),
                (t.t - t.t0) * 1000.0
            )
        });
        let tls = k.tls_handshakes.first().map_or("—".to_string(), |t| {
            format!(
                "{} ({:.0} ms) {}",
                t.failure.as_deref().unwrap_or("ok"),
                (t.t - t.t0) * 1000.0,
                t.tls_version
            )
        });
        let http = k.requests.first().map_or("—".to_string(), |r| {
            format!("{} {}", r.response.code, r.failure.as_deref().unwrap_or(""))
        });
        let root = k
            .x_erkin
            .interception_root
            .as_ref()
            .map_or(String::new(), |r| {
                format!("{} ({})", r.name, r.sources.join(", "))
            });
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&m.input),
            esc(&k.x_erkin.classification),
            esc(&tcp),
            esc(&tls),
            esc(&http),
            esc(&root),
            esc(&k.x_erkin.verification)
        ));
    }
    out.push_str("</table><p>Measured on this device; nothing was sent anywhere. Records follow OONI's Web Connectivity format (erkin docs/probe.schema.json).</p></html>\n");
    out
}
