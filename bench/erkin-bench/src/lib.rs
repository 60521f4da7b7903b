//! What the benchmark binaries share: reading their flags, and running
//! `erkin serve` in process on loopback.

use std::net::SocketAddr;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result};

/// The value after `name` on the command line, or `default` when absent.
pub fn arg<T: FromStr>(name: &str, default: T) -> Result<T> {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .with_context(|| format!("{name} takes a value of the right kind")),
    }
}

/// Starts `erkin serve` over `dir` on a free loopback port, in a thread of
/// its own, for as long as the process runs; returns its address.
pub fn serve_in_process(dir: &Path, options: erkin_server::ServeOptions) -> Result<SocketAddr> {
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
        rt.block_on(async move {
            let listener = erkin_server::bind("127.0.0.1:0".parse().expect("an address"))
                .await
                .expect("a loopback port");
            let _ = addr_tx.send(listener.local_addr().expect("an address"));
            if let Err(e) =
                erkin_server::serve_with(listener, &dir, options, std::future::pending()).await
            {
                eprintln!("bench server: {e}");
            }
        });
    });
    Ok(addr_rx.recv()?)
}
