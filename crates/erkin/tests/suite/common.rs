//! What the erkin suite's modules that run `erkin serve` share: the binary
//! with a test environment, and a server as a child process. (HTTP, ports
//! and polling are `erkin_testkit`'s.)

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use erkin_testkit::{free_port, get};

/// The passphrase of every key file the suite makes.
pub const PASSPHRASE: &str = "correct horse battery";

/// The `erkin` binary, with ERKIN_PASSPHRASE and a low scrypt work factor,
/// so no terminal is needed and key files open quickly.
pub fn erkin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_erkin"));
    c.env("ERKIN_PASSPHRASE", PASSPHRASE)
        .env("ERKIN_SCRYPT_WORK_FACTOR", "10")
        .env_remove("ERKIN_DIR")
        .env_remove("ERKIN_SERVER")
        .stdin(Stdio::null());
    c
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

// ---------------------------------------------------------------------------
// Servers: `erkin serve` as a child process

/// How [`Server::start_with`] starts a server beyond its arguments.
#[derive(Default)]
pub struct Launch {
    /// Environment variables set for it (and nothing else changed).
    pub env: Vec<(String, String)>,
    /// Log requests (no `--quiet`).
    pub log_requests: bool,
    /// Its stdout goes to the log too (else nowhere).
    pub stdout_to_log: bool,
}

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub url: String,
    /// The arguments it was started with.
    pub argv: Vec<String>,
    /// Where its stderr goes.
    pub log: PathBuf,
}

impl Server {
    /// `erkin --dir DIR serve --listen 127.0.0.1:PORT --quiet EXTRA...`,
    /// once `GET /checkpoint` answers 200.
    pub fn start(dir: &Path, extra: &[&str]) -> Self {
        Self::start_limited(dir, extra, None)
    }

    /// [`Server::start`] with at most `nofile` file descriptors (hard and
    /// soft), as a small host or a container might give it.
    pub fn start_limited(dir: &Path, extra: &[&str], nofile: Option<u32>) -> Self {
        let log = dir
            .parent()
            .unwrap()
            .join(format!("serve-{}.log", free_port()));
        Self::start_logged(dir, extra, nofile, &log)
    }

    /// [`Server::start_limited`], its stderr appended to `log` (kept across
    /// restarts of the same server).
    pub fn start_logged(dir: &Path, extra: &[&str], nofile: Option<u32>, log: &Path) -> Self {
        Self::start_with(dir, extra, nofile, log, &Launch::default())
    }

    /// [`Server::start_logged`] as `launch` says: with these environment
    /// variables, logging requests (no `--quiet`), stdout into the log too.
    pub fn start_with(
        dir: &Path,
        extra: &[&str],
        nofile: Option<u32>,
        log: &Path,
        launch: &Launch,
    ) -> Self {
        let log = log.to_path_buf();
        for _attempt in 0..5 {
            let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
            let mut argv: Vec<String> = vec![
                "--dir".into(),
                s(dir).into(),
                "serve".into(),
                "--listen".into(),
                addr.to_string(),
            ];
            if !launch.log_requests {
                argv.push("--quiet".into());
            }
            argv.extend(extra.iter().map(|a| a.to_string()));
            let stderr = fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&log)
                .unwrap();
            let stdout = if launch.stdout_to_log {
                Stdio::from(stderr.try_clone().unwrap())
            } else {
                Stdio::null()
            };
            let mut command = erkin();
            if let Some(n) = nofile {
                let program = command.get_program().to_os_string();
                command = Command::new("sh");
                command
                    .env("ERKIN_PASSPHRASE", PASSPHRASE)
                    .stdin(Stdio::null())
                    .arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(program);
            }
            for (k, v) in &launch.env {
                command.env(k, v);
            }
            let child = command
                .args(&argv)
                .stdout(stdout)
                .stderr(stderr)
                .spawn()
                .unwrap();
            let mut server = Server {
                child,
                addr,
                url: format!("http://{addr}"),
                argv,
                log: log.clone(),
            };
            let deadline = Instant::now() + Duration::from_secs(60);
            loop {
                if let Some(status) = server.child.try_wait().unwrap() {
                    let said = server.stderr();
                    assert!(
                        said.contains("cannot listen"),
                        "erkin serve exited ({status}) before serving: {said}"
                    );
                    break; // The port was taken meanwhile: another one.
                }
                if get(addr, "/checkpoint").is_ok_and(|r| r.status == 200) {
                    return server;
                }
                assert!(
                    Instant::now() < deadline,
                    "erkin serve did not answer within 60 s: {}",
                    server.stderr()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        panic!("no free port for erkin serve after 5 attempts");
    }

    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn signal(&self, signal: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal} {}", self.child.id());
    }

    /// Waits up to `limit` for the process to end; its exit code.
    pub fn wait(&mut self, limit: Duration) -> i32 {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code().unwrap_or_else(|| {
                    panic!(
                        "erkin serve was killed by a signal ({status}): {}",
                        self.stderr()
                    )
                });
            }
            assert!(
                Instant::now() < deadline,
                "erkin serve did not exit within {limit:?}: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM, then its exit code.
    pub fn stop(mut self) -> i32 {
        self.signal("TERM");
        self.wait(Duration::from_secs(60))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
