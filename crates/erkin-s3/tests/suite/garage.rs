//! Real Garage nodes on loopback, made and torn down per test: one node, or
//! a cluster of several joined over RPC with a replication factor of 3. S3
//! API and website endpoint on every node, one bucket (named `localhost`,
//! so the website answers `http://localhost:PORT/` without any DNS), one
//! key with full rights.

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

/// One `garage server` process, its config and data directories kept so
/// it can be stopped and started again as the same node.
pub struct Node {
    child: Option<Child>,
    config: PathBuf,
    pub rpc: u16,
    pub s3: String,
    pub web_port: u16,
}

impl Node {
    fn new(dir: &std::path::Path, secret: &str, replication: usize) -> Self {
        std::fs::create_dir_all(dir).unwrap();
        let (rpc, s3, web) = (free_port(), free_port(), free_port());
        let config = dir.join("garage.toml");
        let d = dir.display();
        std::fs::write(
            &config,
            format!(
                r#"metadata_dir = "{d}/meta"
data_dir = "{d}/data"
db_engine = "sqlite"
replication_factor = {replication}
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
        let mut node = Node {
            child: None,
            config,
            rpc,
            s3: format!("http://127.0.0.1:{s3}"),
            web_port: web,
        };
        node.start();
        node
    }

    /// Starts the server (again), and waits until its CLI answers.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "node already running");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.config.with_file_name("server.log"))
            .unwrap();
        self.child = Some(
            Command::new(binary())
                .arg("-c")
                .arg(&self.config)
                .arg("server")
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("garage starts"),
        );
        self.id();
    }

    /// Kills the server (SIGKILL), as a crash or a pulled plug would.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The node's ID, once its server answers.
    fn id(&self) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = self.garage(&["node", "id", "-q"], false);
            if let Some(id) = out.split('@').next().filter(|id| id.len() >= 16) {
                return id.trim().to_string();
            }
            assert!(
                Instant::now() < deadline,
                "garage did not start: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `garage -c CONFIG ARGS`; its stdout. `must`: retried while it fails
    /// (the CLI's RPC can time out on a loaded machine), for at most 30 s,
    /// then a failure fails the test.
    pub fn garage(&self, args: &[&str], must: bool) -> String {
        if must {
            return self.garage_until_ok(args);
        }
        let out = Command::new(binary())
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `garage ARGS` until it succeeds (a cluster settling its layout), at
    /// most 30 s.
    fn garage_until_ok(&self, args: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = Command::new(binary())
                .arg("-c")
                .arg(&self.config)
                .args(args)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            if out.status.success() {
                return String::from_utf8_lossy(&out.stdout).into_owned();
            }
            assert!(
                Instant::now() < deadline,
                "garage {args:?}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.config.with_file_name("server.log")).unwrap_or_default()
    }

    /// The website's URL for the bucket through this node.
    pub fn website(&self) -> String {
        format!("http://localhost:{}/", self.web_port)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
    }
}

pub struct Garage {
    pub nodes: Vec<Node>,
    _dir: tempfile::TempDir,
    /// Node 1's S3 endpoint and website port.
    pub s3: String,
    pub web_port: u16,
    pub key_id: String,
    pub secret: String,
}

impl Garage {
    /// A running node with bucket `localhost`, website access on.
    pub fn start() -> Self {
        Self::cluster(1)
    }

    /// `n` nodes, each in its own zone, replication factor `min(n, 3)`:
    /// with 3, every object is on every node and any two answer.
    pub fn cluster(n: usize) -> Self {
        assert!(n == 1 || n >= 3, "replication factor 3 needs 3 nodes");
        let dir = tempfile::tempdir().unwrap();
        let secret: String = (0..32)
            .map(|_| {
                format!(
                    "{:02x}",
                    rand_core::RngCore::next_u32(&mut rand_core::OsRng) as u8
                )
            })
            .collect();
        let replication = n.min(3);
        let nodes: Vec<Node> = (0..n)
            .map(|i| Node::new(&dir.path().join(format!("node{i}")), &secret, replication))
            .collect();
        let first = &nodes[0];
        let ids: Vec<String> = nodes.iter().map(Node::id).collect();
        for (node, id) in nodes.iter().zip(&ids).skip(1) {
            first.garage_until_ok(&["node", "connect", &format!("{id}@127.0.0.1:{}", node.rpc)]);
        }
        for (i, id) in ids.iter().enumerate() {
            let zone = format!("dc{}", i + 1);
            first.garage(&["layout", "assign", "-z", &zone, "-c", "1G", id], true);
        }
        first.garage(&["layout", "apply", "--version", "1"], true);
        first.garage_until_ok(&["bucket", "create", "localhost"]);
        let key = first.garage_until_ok(&["key", "create", "erkin-test"]);
        let field = |name: &str| {
            key.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| panic!("no {name} in: {key}"))
        };
        let (key_id, key_secret) = (field("Key ID:"), field("Secret key:"));
        first.garage_until_ok(&[
            "bucket",
            "allow",
            "--read",
            "--write",
            "--owner",
            "localhost",
            "--key",
            "erkin-test",
        ]);
        first.garage_until_ok(&["bucket", "website", "--allow", "localhost"]);
        Garage {
            s3: first.s3.clone(),
            web_port: first.web_port,
            nodes,
            _dir: dir,
            key_id,
            secret: key_secret,
        }
    }

    /// `garage ARGS` through node 1.
    pub fn garage(&self, args: &[&str], must: bool) -> String {
        self.nodes[0].garage(args, must)
    }

    /// The website's URL for the bucket, through node 1.
    pub fn website(&self) -> String {
        self.nodes[0].website()
    }

    /// Export options for node 1.
    pub fn options(&self) -> erkin_s3::S3Options {
        self.options_via(0)
    }

    /// Export options for node `i`'s S3 endpoint.
    pub fn options_via(&self, i: usize) -> erkin_s3::S3Options {
        erkin_s3::S3Options {
            endpoint: Some(self.nodes[i].s3.clone()),
            region: Some("garage".into()),
            credentials: Some((self.key_id.clone(), self.secret.clone())),
            retries: 1,
            ..Default::default()
        }
    }
}
