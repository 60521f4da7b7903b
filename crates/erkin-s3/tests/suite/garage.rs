//! A real Garage node on loopback, made and torn down per test: S3 API,
//! website endpoint, one bucket (named `localhost`, so the website answers
//! `http://localhost:PORT/` without any DNS), one key with full rights.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The garage binary: on PATH, else the one kept beside the repository.
pub fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("PATH") {
        if let Some(found) = std::env::split_paths(&path)
            .map(|d| d.join("garage"))
            .find(|p| p.is_file())
        {
            return found;
        }
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/tools/garage")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Garage {
    child: Child,
    config: PathBuf,
    _dir: tempfile::TempDir,
    pub s3: String,
    pub web_port: u16,
    pub key_id: String,
    pub secret: String,
}

impl Garage {
    /// A running node with bucket `localhost`, website access on.
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (rpc, s3, web) = (free_port(), free_port(), free_port());
        let secret: String = (0..32)
            .map(|_| {
                format!(
                    "{:02x}",
                    rand_core::RngCore::next_u32(&mut rand_core::OsRng) as u8
                )
            })
            .collect();
        let config = dir.path().join("garage.toml");
        let d = dir.path().display();
        std::fs::write(
            &config,
            format!(
                r#"metadata_dir = "{d}/meta"
data_dir = "{d}/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "garage"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"

[s3_web]
bind_addr = "127.0.0.1:{web}"
root_domain = ".web.garage.localhost"
index = "index.html"
"#
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new(binary())
            .arg("-c")
            .arg(&config)
            .arg("server")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("garage starts");
        let mut g = Garage {
            child,
            config,
            _dir: dir,
            s3: format!("http://127.0.0.1:{s3}"),
            web_port: web,
            key_id: String::new(),
            secret: String::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let id = loop {
            let out = g.garage(&["node", "id", "-q"], false);
            if let Some(id) = out.split('@').next().filter(|id| id.len() >= 16) {
                break id.trim().to_string();
            }
            assert!(
                Instant::now() < deadline,
                "garage did not start: {}",
                g.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        g.garage(&["layout", "assign", "-z", "dc1", "-c", "1G", &id], true);
        g.garage(&["layout", "apply", "--version", "1"], true);
        g.garage(&["bucket", "create", "localhost"], true);
        let key = g.garage(&["key", "create", "erkin-test"], true);
        let field = |name: &str| {
            key.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| panic!("no {name} in: {key}"))
        };
        g.key_id = field("Key ID:");
        g.secret = field("Secret key:");
        g.garage(
            &[
                "bucket",
                "allow",
                "--read",
                "--write",
                "--owner",
                "localhost",
                "--key",
                "erkin-test",
            ],
            true,
        );
        g.garage(&["bucket", "website", "--allow", "localhost"], true);
        g
    }

    /// `garage -c CONFIG ARGS`; its stdout. `must`: a failure fails the test.
    pub fn garage(&self, args: &[&str], must: bool) -> String {
        let out = Command::new(binary())
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        if must {
            assert!(
                out.status.success(),
                "garage {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.config.with_file_name("server.log")).unwrap_or_default()
    }

    /// The website's URL for the bucket.
    pub fn website(&self) -> String {
        format!("http://localhost:{}/", self.web_port)
    }

    /// Export options for this node.
    pub fn options(&self) -> erkin_s3::S3Options {
        erkin_s3::S3Options {
            endpoint: Some(self.s3.clone()),
            region: Some("garage".into()),
            credentials: Some((self.key_id.clone(), self.secret.clone())),
            retries: 1,
            ..Default::default()
        }
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
