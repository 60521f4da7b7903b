//! `erkin read KEY_OR_URL [COPY...]`: the reader's client (erkin-reader).
//!
//! Decisions:
//! - The key is best given (`erkin read KEY`, from the mirrors page's QR
//!   code or a friend). Given only a copy's address or a bundle, the key is
//!   taken from it on first use and said loudly, with the advice to compare
//!   it; after that the folder is pinned to it.
//! - The copy is served on 127.0.0.1 only, on the port asked for (any free
//!   one by default), and opened in the browser unless `--no-open`.
//! - Nothing is sent anywhere but to the copies themselves (through
//!   `--proxy` when given).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use erkin_core::keys::VerifierKey;
use erkin_reader::sync::describe;
use erkin_reader::{data_dir, sync, Banner, Outcome, ReadOptions};

use crate::term::{now, outln, time};

#[derive(Debug, Args)]
pub struct ReadArgs {
    /// The publication's verifier key (best: from its mirrors page's QR code
    /// or someone you trust), a copy's address, or a bundle file (.tar.gz).
    pub target: String,
    /// More copies to try: addresses or bundle files.
    pub copies: Vec<String>,
    /// The key to pin when TARGET is an address or a bundle.
    #[arg(long)]
    pub key: Option<String>,
    /// Send every request through this proxy; socks5h://127.0.0.1:9050 is
    /// Tor (host names are resolved by the proxy, not here).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Connect to NAME at ADDR instead of what DNS answers (curl's
    /// --resolve), when your DNS is poisoned and you know a copy's real
    /// address; the certificate is still checked for NAME. Repeatable.
    #[arg(long, value_name = "NAME=ADDR", value_parser = erkin_mirror::parse_resolve)]
    pub resolve: Vec<(String, std::net::IpAddr)>,
    /// Keep the copies under this folder instead of your data folder.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Serve on this port of 127.0.0.1 [default: any free port].
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Do not open the browser; print the address.
    #[arg(long)]
    pub no_open: bool,
    /// Only bring the copy up to date; do not serve it.
    #[arg(long)]
    pub sync_only: bool,
}

fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

/// The key: given, or read from the copy (first use).
fn find_key(
    args: &ReadArgs,
    options_http: &erkin_mirror::HttpOptions,
) -> Result<(VerifierKey, Vec<String>)> {
    let mut sources = args.copies.clone();
    if let Ok(k) = VerifierKey::parse(args.target.trim()) {
        return Ok((k, sources));
    }
    sources.insert(0, args.target.clone());
    if let Some(k) = &args.key {
        let k = VerifierKey::parse(k.trim()).context("--key")?;
        return Ok((k, sources));
    }
    let advertised = if is_url(&args.target) {
        let staging = tempfile::tempdir()?;
        let copy = erkin_mirror::HttpCopy::new(&args.target, staging.path(), options_http.clone());
        use erkin_core::verify::CopyReader;
        let bytes = copy
            .read(erkin_core::descriptor::DESCRIPTOR_FILE, 64 * 1024)
            .with_context(|| format!("{}: reading its erkin.json", args.target))?
            .with_context(|| {
                format!(
                    "{}: not a copy of a publication (no erkin.json)",
                    args.target
                )
            })?;
        let d: erkin_core::descriptor::Descriptor = serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: erkin.json", args.target))?;
        d.verifier_key
    } else if std::path::Path::new(&args.target).is_file() {
        let tmp = tempfile::tempdir()?;
        let manifest = erkin_mirror::unpack_bundle(
            std::path::Path::new(&args.target),
            tmp.path(),
            &erkin_mirror::BundleLimits::default(),
        )?;
        manifest.verifier_key
    } else {
        bail!(
            "{}: not a verifier key, a copy's address (https://...) or a bundle file",
            args.target
        );
    };
    let key = VerifierKey::parse(&advertised).context("the copy's verifier key")?;
    eprintln!(
        "erkin: the key was taken from the copy itself: {key}\n\
         erkin: compare it with the key on the publication's mirrors page or from someone you trust; \
         from now on only copies signed by it are shown."
    );
    Ok((key, sources))
}

pub fn run(args: ReadArgs) -> Result<u8> {
    if let Some(p) = &args.proxy {
        erkin_mirror::check_proxy(p).map_err(|e| anyhow::anyhow!("--proxy {e}"))?;
    }
    let mut probe_http = erkin_reader::reader_http();
    probe_http.proxy = args.proxy.clone();
    probe_http.resolve = args.resolve.clone();
    let (key, sources) = find_key(&args, &probe_http)?;
    let folder = data_dir(args.data.as_deref(), key.name())
        .context("no data folder for this user (set --data)")?;
    let mut options = ReadOptions::new(key.clone(), folder.clone(), now());
    options.sources = sources;
    options.http.proxy = args.proxy.clone();
    options.http.resolve = args.resolve.clone();
    let report = sync(&options);
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            if let erkin_reader::ReadError::NothingWorked { attempts } = &e {
                for a in attempts {
                    eprintln!("erkin: {}: {}", a.source, describe(&a.outcome));
                }
            }
            return Err(e.into());
        }
    };
    for a in &report.attempts {
        let mark = match a.outcome {
            Outcome::Used { .. } => "✓",
            Outcome::NotGenuine { .. } => "✗",
            _ => "·",
        };
        eprintln!("{mark} {}: {}", a.source, describe(&a.outcome));
    }
    for l in &report.learned {
        eprintln!("+ learned from the log: {l}");
    }
    let verified = report
        .last_verified
        .map_or_else(|| "never against a live copy".to_string(), time);
    let source = report
        .source
        .clone()
        .unwrap_or_else(|| "this device".into());
    eprintln!(
        "Genuine copy of {} ({} entries), from {source}, last verified {verified}. Kept in {}.",
        key.name(),
        report.new_size,
        folder.display()
    );
    if args.sync_only {
        return Ok(0);
    }
    let site = folder.join("copy").join("site");
    let banner = Banner {
        source,
        verified,
        size: report.new_size,
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
            .await
            .context("listening on 127.0.0.1")?;
        let url = format!("http://{}/", listener.local_addr()?);
        outln!("{url}");
        if !args.no_open {
            open_browser(&url);
        }
        eprintln!("Serving the copy at {url} (Ctrl-C stops).");
        erkin_reader::serve(listener, &site, banner, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
        anyhow::Ok(())
    })?;
    Ok(0)
}

/// Opens `url` in the reader's browser, if one can be found; the address
/// is printed either way.
fn open_browser(url: &str) {
    let program = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let _ = std::process::Command::new(program)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The publication's verifier key, or a copy's address; without one,
    /// every publication read on this device.
    pub target: Option<String>,
    /// More copies to measure (addresses).
    pub copies: Vec<String>,
    /// The key to pin when TARGET is an address.
    #[arg(long)]
    pub key: Option<String>,
    /// The folder `erkin read --data` used.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Write the records (one JSON object a line) here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write a readable HTML report here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Connect to NAME at ADDR instead of asking DNS (as `erkin read
    /// --resolve`); the record names it as no DNS answer. Repeatable.
    #[arg(long, value_name = "NAME=ADDR", value_parser = erkin_mirror::parse_resolve)]
    pub resolve: Vec<(String, std::net::IpAddr)>,
}

/// What one publication's probe covers: its key, its copies with their
/// pins, the size of the copy held.
struct Target {
    key: VerifierKey,
    copies: Vec<(String, Vec<String>)>,
    local_size: u64,
}

fn target_for(
    key: VerifierKey,
    extra: Vec<String>,
    data: Option<&std::path::Path>,
) -> Result<Target> {
    let folder = data_dir(data, key.name()).context("no data folder for this user (set --data)")?;
    let state = erkin_reader::ReaderState::load(&folder);
    let mut copies: Vec<(String, Vec<String>)> = Vec::new();
    let mut add = |url: &str, pins: Vec<String>| {
        if is_url(url) && !copies.iter().any(|(u, _)| u == url) {
            copies.push((url.to_string(), pins));
        }
    };
    let copy_dir = folder.join("copy");
    let mut local_size = 0;
    if copy_dir.join(erkin_store::store::DB_FILE).is_file() {
        if let Ok(p) = erkin_store::Publication::open(&copy_dir) {
            local_size = p.store().size();
            for m in p.state().mirrors() {
                add(&m.url, m.pins.clone());
            }
        }
    }
    for s in extra.iter().chain(&state.sources) {
        add(s, vec![]);
    }
    Ok(Target {
        key,
        copies,
        local_size,
    })
}

pub fn probe(args: ProbeArgs) -> Result<u8> {
    let data = args.data.as_deref();
    let mut targets = Vec::new();
    match &args.target {
        Some(t) => {
            let read_args = ReadArgs {
                target: t.clone(),
                copies: args.copies.clone(),
                key: args.key.clone(),
                proxy: None,
                resolve: args.resolve.clone(),
                data: args.data.clone(),
                port: 0,
                no_open: true,
                sync_only: true,
            };
            let mut http = erkin_reader::reader_http();
            http.resolve = args.resolve.clone();
            let (key, sources) = find_key(&read_args, &http)?;
            targets.push(target_for(key, sources, data)?);
        }
        None => {
            let base = match data {
                Some(d) => d.to_path_buf(),
                None => data_dir(None, "x")
                    .and_then(|p| p.parent().map(PathBuf::from))
                    .context("no data folder for this user (set --data)")?,
            };
            for e in std::fs::read_dir(&base)
                .with_context(|| format!("{}: nothing read yet", base.display()))?
            {
                let state = erkin_reader::ReaderState::load(&e?.path());
                if let Ok(key) = VerifierKey::parse(&state.key) {
                    targets.push(target_for(key, args.copies.clone(), data)?);
                }
            }
        }
    }
    if targets.iter().all(|t| t.copies.is_empty()) {
        bail!("no copy's address is known to measure: give one (erkin probe KEY https://...)");
    }
    let start = time(now())
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_string();
    let scratch = tempfile::tempdir()?;
    let rt = tokio::runtime::Runtime::new()?;
    let mut records = Vec::new();
    for t in targets {
        let mut o = erkin_reader::probe::ProbeOptions::new(t.key.clone(), start.clone());
        o.local_size = t.local_size;
        o.scratch = Some(scratch.path().to_path_buf());
        o.http.resolve = args.resolve.clone();
        for (url, pins) in &t.copies {
            eprintln!("measuring {url} ...");
            let m = rt.block_on(erkin_reader::probe::probe(url, pins, &o));
            eprintln!(
                "  {}: {}",
                m.test_keys.x_erkin.classification, m.test_keys.x_erkin.verification
            );
            records.push(m);
        }
    }
    let mut lines = String::new();
    for m in &records {
        lines.push_str(&serde_json::to_string(m)?);
        lines.push('\n');
    }
    match &args.out {
        Some(p) => std::fs::write(p, &lines).with_context(|| p.display().to_string())?,
        None => outln!("{}", lines.trim_end()),
    }
    if let Some(p) = &args.html {
        std::fs::write(p, erkin_reader::probe::html_report(&records))
            .with_context(|| p.display().to_string())?;
    }
    eprintln!("Nothing was sent anywhere: the records are only where you wrote them.");
    Ok(0)
}
