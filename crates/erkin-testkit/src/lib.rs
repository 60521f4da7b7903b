//! What the test suites share, in one place: a plain HTTP/1.1 client over
//! `std::net` that shows exactly what a server sent (status, headers, raw
//! body) and lets a test send what no well-behaved client would; free
//! loopback ports; polling with a deadline; a seeded generator for
//! randomised runs ([`Rng`]).
//!
//! A dev-dependency of the suites only; nothing here is in the binary.
//! With the feature `ballots`: real secret ballots ([`ballots`]).

#[cfg(feature = "ballots")]
pub mod ballots;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// What a server answered.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// By lowercase name.
    pub headers: HashMap<String, String>,
    /// The body, de-chunked, as many bytes as Content-Length says.
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }

    /// The body as JSON, for tests that look inside any document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.text()))
    }

    /// Asserts an API error: this status, JSON, and this stable code, with a
    /// message. Returns the message.
    pub fn api_error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status, status, "{} {}", self.status, self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        let v = self.json();
        assert_eq!(v["error"]["code"].as_str(), Some(code), "{v}");
        let message = v["error"]["message"].as_str().unwrap_or_default();
        assert!(!message.is_empty(), "an error names its cause: {v}");
        message.to_string()
    }
}

/// Decodes a chunked body.
fn dechunk(mut raw: &[u8]) -> std::io::Result<Vec<u8>> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad chunked body");
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n").ok_or_else(bad)?;
        let size_text = std::str::from_utf8(&raw[..line_end]).map_err(|_| bad())?;
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| bad())?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if raw.len() < size + 2 {
            return Err(bad());
        }
        out.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// Sends a raw request (`head` is the request line and headers, ending in
/// an empty line) on a fresh connection and reads the whole answer. Write
/// errors are tolerated when an answer arrives anyway (a server may answer
/// 413 before it has read the body).
pub fn exchange(addr: SocketAddr, head: &str, body: &[u8]) -> std::io::Result<Reply> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    s.set_write_timeout(Some(Duration::from_secs(60)))?;
    // The answer to HEAD names a length but carries no body.
    let headless = head.starts_with("HEAD ");
    let wrote = s.write_all(head.as_bytes()).and_then(|_| s.write_all(body));
    let mut raw = Vec::new();
    let read = s.read_to_end(&mut raw);
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        wrote?;
        read?;
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!(
                "no answer: {:?}",
                String::from_utf8_lossy(&raw[..raw.len().min(200)])
            ),
        ));
    };
    let reply_head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = reply_head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {reply_head:?}")))?;
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headless {
        // Nothing to decode.
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        body = dechunk(&body)?;
    } else if let Some(len) = headers
        .get("content-length")
        .and_then(|v| v.parse::<usize>().ok())
    {
        if body.len() < len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "truncated body",
            ));
        }
        body.truncate(len);
    }
    Ok(Reply {
        status,
        headers,
        body,
    })
}

/// `METHOD path` with extra headers and a body (`extra` must declare its
/// length, or not: a test may lie).
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    extra: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in extra {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    exchange(addr, &head, body)
}

/// `METHOD path` with extra headers and no body; the server must answer.
pub fn request(addr: SocketAddr, method: &str, path: &str, extra: &[(&str, &str)]) -> Reply {
    send(addr, method, path, extra, b"").expect("the server answers")
}

pub fn get(addr: SocketAddr, path: &str) -> std::io::Result<Reply> {
    send(addr, "GET", path, &[], b"")
}

pub fn post(addr: SocketAddr, path: &str, body: &[u8]) -> std::io::Result<Reply> {
    let len = body.len().to_string();
    send(
        addr,
        "POST",
        path,
        &[
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", &len),
        ],
        body,
    )
}

/// POST with a chunked body: no Content-Length for the server to judge by.
pub fn post_chunked(addr: SocketAddr, path: &str, body: &[u8]) -> std::io::Result<Reply> {
    let mut chunked = Vec::new();
    for chunk in body.chunks(8192) {
        chunked.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        chunked.extend_from_slice(chunk);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    send(
        addr,
        "POST",
        path,
        &[
            ("Content-Type", "application/octet-stream"),
            ("Transfer-Encoding", "chunked"),
        ],
        &chunked,
    )
}

/// A loopback port free a moment ago (a server started on it may still
/// find it taken, and should try another).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `check` every 100 ms until it holds or `limit` passes; how long it
/// took, or `None`.
pub fn eventually(limit: Duration, mut check: impl FnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    loop {
        if check() {
            return Some(started.elapsed());
        }
        if started.elapsed() > limit {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A small seeded generator (splitmix64) for randomised test runs, so a
/// failure names its seed and runs again the same. Not for anything secret.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number below `n` (which must not be 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
    /// True `percent` times in a hundred.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}
