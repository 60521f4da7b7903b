//! The accept loop: HTTP/1.1 connections with a header-read timeout, a stall
//! timeout, caps on connections in total and per client, and a bounded
//! graceful shutdown.
//!
//! `axum::serve` offers none of these, and each matters to a newsroom that a
//! hostile party would like to take off the air:
//! - a client that sends half its headers and stalls would otherwise hold a
//!   connection forever (slow loris), and would keep a shutting-down server
//!   from ever exiting — so SIGTERM could never drain the sequencer;
//! - a client that stops reading a response, or sends nothing at all, holds
//!   a connection (and its buffers) until [`ConnectionLimits::stall`] passes
//!   with no byte moving either way;
//! - one client (one IPv4 address, one IPv6 /64) may hold at most
//!   [`ConnectionLimits::per_client`] connections, so it cannot use up the
//!   process's file descriptors and lock everyone else out; past the cap its
//!   new connections are closed at once. Client addresses are only counted,
//!   in memory, while connected: never logged or kept.
//! - all clients together hold at most [`ConnectionLimits::total`], set below
//!   the descriptor limit so the server can still open its database; past it
//!   the server stops accepting until a connection ends.
//!
//! Each connection's kernel send buffer may be fixed
//! ([`ConnectionLimits::send_buffer`]); by default it
//! is left to Linux's autotuning, which grows it up to `tcp_wmem`'s maximum
//! (often 4 MiB). When kept blobs were copied into the socket, autotuning
//! made 64 and 256 readers of a 4 MiB blob close their receive windows
//! 20–60× as often as against nginx, and the p99 latency 6–7× nginx's; a
//! fixed 256 KiB buffer (d128051) cured it at 64 readers, not at 256. Kept
//! blobs now go with `sendfile` (`blob_cache.rs`), like nginx's, and with
//! `sendfile` autotuning measured better at 256 readers (p99 0.7–1.0×
//! nginx's against 1.05–1.3× with 256 KiB) and alike at 64
//! (`docs/BENCHMARKS.md`, "Reader load").

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, Response};
use axum::Router;
use futures_util::future::Either;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::{Instant, Sleep};

/// How long a client may take to send its request headers.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long connections get to finish after shutdown begins.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// What the accept loop allows; see the module's documentation.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// Connections open at once, from everyone.
    pub total: usize,
    /// Connections open at once from one client (IPv4 address or IPv6 /64).
    pub per_client: usize,
    /// How long a connection may go without a byte read or written.
    pub stall: Duration,
    /// The kernel send buffer of each connection (`SO_SNDBUF`); `None`
    /// leaves it to the kernel's autotuning.
    pub send_buffer: Option<usize>,
}

impl ConnectionLimits {
    /// Limits for this process: the soft descriptor limit is raised to the
    /// hard one where allowed, and connections are capped below it (a
    /// reserve stays for the database, blobs and the listener). One client
    /// gets at most a quarter of the total: readers behind one carrier's
    /// NAT share an address, so the default is generous, but never all.
    pub fn for_process(total: usize, per_client: usize, stall: Duration) -> Self {
        let soft = rlimit::increase_nofile_limit(u64::MAX)
            .or_else(|_| rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft))
            .unwrap_or(1024);
        let soft = usize::try_from(soft).unwrap_or(usize::MAX);
        let reserve = (soft / 4).min(128);
        let total = total.min(soft.saturating_sub(reserve)).max(1);
        Self {
            total,
            per_client: per_client.min(total / 4).max(1),
            stall,
            send_buffer: None,
        }
    }
}

/// Clients by address, counting their open connections.
#[derive(Default)]
struct Clients(Mutex<HashMap<IpAddr, usize>>);

/// One client's claim on a connection; released when dropped.
struct Claim {
    clients: Arc<Clients>,
    key: IpAddr,
}

impl Clients {
    /// The address a client is counted under: IPv4 as it is (also when
    /// mapped into IPv6), IPv6 by its /64, which one subscriber holds.
    fn key(ip: IpAddr) -> IpAddr {
        match ip {
            IpAddr::V4(v4) => IpAddr::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => IpAddr::V4(v4),
                None => {
                    let s = v6.segments();
                    IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
                }
            },
        }
    }

    fn claim(self: &Arc<Self>, ip: IpAddr, cap: usize) -> Option<Claim> {
        let key = Self::key(ip);
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(key).or_insert(0);
        if *n >= cap {
            return None;
        }
        *n += 1;
        Some(Claim {
            clients: self.clone(),
            key,
        })
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let mut map = self.clients.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// A connection that fails with `TimedOut` once no byte has moved either way
/// for the stall time while it waits to read or write. Progress in either
/// direction restarts the clock, so a slow but live download is never cut.
struct Stalling {
    inner: TcpStream,
    stall: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl Stalling {
    fn new(inner: TcpStream, stall: Duration) -> Self {
        Self {
            inner,
            stall,
            deadline: Box::pin(tokio::time::sleep(stall)),
        }
    }

    fn progressed(&mut self) {
        let stall = self.stall;
        self.deadline.as_mut().reset(Instant::now() + stall);
    }

    /// What a write came to: progress restarts the clock; a socket not
    /// ready is an error once stalled too long.
    fn wrote(
        &mut self,
        cx: &mut Context<'_>,
        wrote: Poll<std::io::Result<usize>>,
    ) -> Poll<std::io::Result<usize>> {
        match wrote {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.progressed();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Pending => match self.stalled(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
            other => other,
        }
    }

    /// Calls `send` once the socket is writable, again while it would
    /// block: what the first call that did not came to.
    fn poll_send(
        &mut self,
        cx: &mut Context<'_>,
        mut send: impl FnMut(&TcpStream) -> std::io::Result<usize>,
    ) -> Poll<std::io::Result<usize>> {
        loop {
            match self.inner.poll_write_ready(cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
            let inner = &self.inner;
            match inner.try_io(tokio::io::Interest::WRITABLE, || send(inner)) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                done => return Poll::Ready(done),
            }
        }
    }

    /// Called when the socket is not ready: an error once stalled too long
    /// (the deadline's waker is registered either way).
    fn stalled(&mut self, cx: &mut Context<'_>) -> Option<std::io::Error> {
        match self.deadline.as_mut().poll(cx) {
            Poll::Ready(()) => Some(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no byte moved on this connection for too long",
            )),
            Poll::Pending => None,
        }
    }
}

impl AsyncRead for Stalling {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.progressed();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending => match self.stalled(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
            other => other,
        }
    }
}

impl AsyncWrite for Stalling {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let wrote = Pin::new(&mut self.inner).poll_write(cx, data);
        self.wrote(cx, wrote)
    }

    /// A kept blob's bytes (`blob_cache::sendable`) go with `sendfile`
    /// from the blob's file, the rest as they are: the bytes before a kept
    /// blob's (the response's head) in one `send` flagged `MSG_MORE`, then
    /// the blob's alone. Should `sendfile` fail, the same bytes are written
    /// from memory.
    ///
    /// `MSG_MORE` is nginx's `tcp_nopush` for one write: the head waits in
    /// the kernel for the blob's first bytes and leaves in full segments
    /// with them, rather than alone at once (the connection has
    /// `TCP_NODELAY`). Sent alone, 64 readers of a 4 MiB blob closed their
    /// receive windows about 3,000 times in 5 s against nginx's 500–800,
    /// at 0.87–0.91× its requests/s; with it, about 400 times, at 0.96–1.02×
    /// (`docs/BENCHMARKS.md`, "On a quiet machine: the pages, and the
    /// 4 MiB blob's head sent with `MSG_MORE`").
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let mut bufs = bufs;
        let kept = bufs
            .iter()
            .enumerate()
            .find_map(|(i, b)| crate::blob_cache::sendable(b).map(|s| (i, s)));
        let head = kept
            .as_ref()
            .and_then(|(first, _)| bufs[..*first].iter().find(|b| !b.is_empty()));
        let this = &mut *self;
        match (kept, head) {
            (Some(_), Some(head)) => {
                let sent = this.poll_send(cx, |s| send_more(s, head));
                return this.wrote(cx, sent);
            }
            (Some((first, part)), None) => match this.poll_send(cx, |s| part.send(s)) {
                Poll::Ready(Ok(n)) if n > 0 => return this.wrote(cx, Poll::Ready(Ok(n))),
                Poll::Pending => return this.wrote(cx, Poll::Pending),
                // Nothing sent or an error: write the bytes instead.
                Poll::Ready(_) => bufs = &bufs[first..=first],
            },
            (None, _) => {}
        }
        let wrote = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.wrote(cx, wrote)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match Pin::new(&mut self.inner).poll_flush(cx) {
            Poll::Pending => match self.stalled(cx) {
                Some(e) => Poll::Ready(Err(e)),
                None => Poll::Pending,
            },
            other => other,
        }
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Sends `bytes` flagged `MSG_MORE`: more follows at once, so the kernel
/// holds them for it (see [`Stalling::poll_write_vectored`]).
fn send_more(socket: &TcpStream, bytes: &[u8]) -> std::io::Result<usize> {
    let sent = rustix::net::send(socket, bytes, rustix::net::SendFlags::MORE)?;
    #[cfg(test)]
    SENT_WITH_MORE.with(|n| n.set(n.get() + sent));
    Ok(sent)
}

#[cfg(test)]
thread_local! {
    /// Bytes this thread sent flagged `MSG_MORE` (for tests).
    static SENT_WITH_MORE: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Sets an accepted connection's socket options: no Nagle delay, and the
/// send buffer of `limits`. A failure leaves the kernel's default, which
/// serves as well, only less fairly under load.
fn tune(stream: &TcpStream, limits: &ConnectionLimits) {
    let _ = stream.set_nodelay(true);
    if let Some(bytes) = limits.send_buffer {
        let _ = socket2::SockRef::from(stream).set_send_buffer_size(bytes);
    }
}

/// Answers some requests before the router (the reader pages: see
/// `routes::reader_page`); `None` hands the request to the router.
pub(crate) type FastPath = Arc<dyn Fn(&Request<Incoming>) -> Option<Response<Body>> + Send + Sync>;

/// Serves `app` on `listener` until `shutdown` resolves; then stops
/// accepting, asks every connection to finish its current request, and
/// returns once they have (or after [`SHUTDOWN_GRACE`]). Requests `fast`
/// answers never reach `app`.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    fast: Option<FastPath>,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut connections = tokio::task::JoinSet::new();
    let slots = Arc::new(Semaphore::new(limits.total));
    let clients = Arc::new(Clients::default());
    tokio::pin!(shutdown);
    loop {
        // At the total cap, stop accepting until a connection ends.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(s) => s,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(ok) => ok,
                // Out of file descriptors and the like: wait, do not spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        // Over its own cap, a client's new connection is closed at once.
        let Some(claim) = clients.claim(peer.ip(), limits.per_client) else {
            drop(stream);
            continue;
        };
        tune(&stream, &limits);
        let routed = TowerToHyperService::new(app.clone());
        let fast = fast.clone();
        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
            match fast.as_ref().and_then(|f| f(&req)) {
                Some(answer) => Either::Left(std::future::ready(Ok(answer))),
                None => Either::Right(hyper::service::Service::call(&routed, req)),
            }
        });
        let mut stop = stop_rx.clone();
        let stream = Stalling::new(stream, limits.stall);
        connections.spawn(async move {
            let _held = (slot, claim);
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .keep_alive(true);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => return,
                _ = stop.wait_for(|s| *s) => {}
            }
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        connections.abort_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connected pair on loopback: (the accepted side, the client side).
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (accepted, _) = listener.accept().await.unwrap();
        (accepted, client)
    }

    fn limits(send_buffer: Option<usize>) -> ConnectionLimits {
        ConnectionLimits {
            total: 8,
            per_client: 2,
            stall: Duration::from_secs(1),
            send_buffer,
        }
    }

    fn send_buffer(stream: &TcpStream) -> usize {
        socket2::SockRef::from(stream).send_buffer_size().unwrap()
    }

    #[tokio::test]
    async fn accepted_connections_get_the_send_buffer_asked_for_and_no_delay() {
        let want = 64 * 1024;
        let (tuned, _c1) = pair().await;
        tune(&tuned, &limits(Some(want)));
        assert!(tuned.nodelay().unwrap());
        // Linux doubles the value for its bookkeeping; others keep it.
        let got = send_buffer(&tuned);
        assert!(
            (want..=2 * want).contains(&got),
            "asked for {want}, got {got}"
        );
        // Without a value the kernel's own is left alone.
        let (untouched, _c2) = pair().await;
        let (autotuned, _c3) = pair().await;
        tune(&autotuned, &limits(None));
        assert!(autotuned.nodelay().unwrap());
        assert_eq!(send_buffer(&autotuned), send_buffer(&untouched));
    }

    /// A kept blob's bytes are sent from its file, the bytes before them
    /// as they are, and the reader gets exactly both.
    #[tokio::test]
    async fn a_kept_blob_goes_with_sendfile_and_arrives_whole() {
        use std::future::poll_fn;
        use std::io::IoSlice;
        let dir = tempfile::tempdir().unwrap();
        let cache = crate::blob_cache::BlobCache::with_files(dir.path().to_path_buf());
        // Larger than the socket's buffers: sent in many calls.
        let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
        let kept = cache
            .keep(erkin_core::blob::BlobId::of(&bytes), bytes.clone())
            .expect("room");
        let (server, client) = pair().await;
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                client.readable().await.unwrap();
                match client.try_read(&mut buf) {
                    Ok(0) => return got,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
        });
        let mut out = Stalling::new(server, Duration::from_secs(10));
        let head = b"HTTP/1.1 200 OK\r\n\r\n";
        let before = crate::blob_cache::SENT_FROM_FILES.with(|n| n.get());
        let more_before = SENT_WITH_MORE.with(|n| n.get());
        // The head alone first, flagged: a write never mixes the two.
        let n = poll_fn(|cx| {
            Pin::new(&mut out).poll_write_vectored(cx, &[IoSlice::new(head), IoSlice::new(&kept)])
        })
        .await
        .unwrap();
        assert_eq!(n, head.len());
        assert_eq!(
            SENT_WITH_MORE.with(|n| n.get()) - more_before,
            head.len(),
            "the head waits for the blob (MSG_MORE)"
        );
        let mut sent = 0;
        while sent < kept.len() {
            sent += poll_fn(|cx| {
                Pin::new(&mut out).poll_write_vectored(cx, &[IoSlice::new(&kept[sent..])])
            })
            .await
            .unwrap();
        }
        poll_fn(|cx| Pin::new(&mut out).poll_shutdown(cx))
            .await
            .unwrap();
        drop(out);
        let from_files = crate::blob_cache::SENT_FROM_FILES.with(|n| n.get()) - before;
        assert_eq!(from_files, bytes.len(), "all of it with sendfile");
        let got = reader.await.unwrap();
        assert_eq!(got.len(), head.len() + bytes.len());
        assert_eq!(&got[..head.len()], head);
        assert!(got[head.len()..] == bytes[..], "the blob's bytes, in order");
    }

    #[test]
    fn the_process_limits_leave_the_send_buffer_to_the_kernel() {
        let l = ConnectionLimits::for_process(100, 10, Duration::from_secs(5));
        assert_eq!(l.send_buffer, None);
    }
}
