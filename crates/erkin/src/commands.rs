//! One function per subcommand: gather inputs, call the libraries, print.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use erkin_core::action::{Action, Charter, Statement};
use erkin_core::blob::DEFAULT_MAX_BLOB_LEN;
use erkin_core::keys::{SecretKey, VerifierKey};
use erkin_core::state::Applied;
use erkin_core::verify::{verify_copy, CopyReader, Report};
use erkin_export::DirCopy;
use erkin_store::publication::fold_store;
use erkin_store::{Publication, Store, LOG_KEY_FILE};
use serde_json::json;

use crate::articles;
use crate::cli::{Cli, Command, KeyCommand};
use crate::exit;
use crate::govern;
use crate::outln;
use crate::secret;

pub fn run(cli: Cli) -> Result<u8> {
    let dir = cli.dir.as_path();
    match cli.command {
        Command::Demo(args) => {
            let (data, code) = crate::demo::run(args.into.as_deref())?;
            if code != 0 || args.no_serve {
                return Ok(code);
            }
            // The demo's newsroom takes members' entries too; its log key's
            // passphrase is the demo's, printed above.
            let log_key = erkin_store::keyfile::read_key_file(
                &data.join(LOG_KEY_FILE),
                crate::demo::DEMO_PASSPHRASE,
            )?;
            let options = erkin_server::ServeOptions {
                members: Some(erkin_server::MembersApi {
                    log_key,
                    sequencer: Default::default(),
                    limits: Default::default(),
                }),
                ..Default::default()
            };
            serve(&data, args.listen, options)
        }
        Command::Serve(args) => {
            let mut options = erkin_server::ServeOptions {
                log_requests: !args.quiet,
                ..Default::default()
            };
            if args.sequence {
                let log_key =
                    secret::open_key(&dir.join(LOG_KEY_FILE), "the publication's log key")?;
                options.members = Some(erkin_server::MembersApi {
                    log_key,
                    sequencer: erkin_server::SequencerConfig {
                        max_batch: args.batch_size.max(1),
                        max_delay: std::time::Duration::from_millis(args.batch_delay_ms),
                        ..Default::default()
                    },
                    limits: erkin_server::ApiLimits {
                        per_key_rate: args.rate_per_key,
                        // A burst of four seconds' worth: --rate-per-key 1
                        // means about one a second, not 200 at once.
                        per_key_burst: (args.rate_per_key * 4.0).max(1.0),
                        ..Default::default()
                    },
                });
            }
            if let Some(source) = &args.follow {
                let key = args
                    .key
                    .as_deref()
                    .map(|k| VerifierKey::parse(k).context("--key"))
                    .transpose()?;
                options.follow = Some(erkin_server::Follow {
                    source: source.clone(),
                    interval: std::time::Duration::from_secs(args.follow_every.max(1)),
                    options: erkin_mirror::SyncOptions {
                        key,
                        now: now(),
                        ..Default::default()
                    },
                });
            }
            serve(dir, args.listen, options)
        }
        Command::Key(KeyCommand::New { out, name }) => {
            let key = SecretKey::generate(&mut rand_core::OsRng, &name)?;
            secret::write_new_key(&out, &key, "the new key")?;
            outln!("{}", key.verifier_key());
            eprintln!("Wrote {} (encrypted). The line above is your verifier key: share it, it is public.", out.display());
            Ok(0)
        }
        Command::Key(KeyCommand::Show { file }) => {
            let key = secret::open_key(&file, "the key")?;
            outln!("{}", key.verifier_key());
            Ok(0)
        }
        Command::Init(args) => {
            let founders = args
                .founders
                .iter()
                .map(|f| VerifierKey::parse(f).with_context(|| format!("--founder {f:?}")))
                .collect::<Result<Vec<_>>>()?;
            let charter = match &args.charter {
                Some(path) => govern::read_charter(path)?,
                None => Charter::default(),
            };
            let vkey = init(dir, &args.origin, &args.name, &founders, charter)?;
            outln!("{vkey}");
            eprintln!(
                "Founded {:?} in {}. The line above is the publication's verifier key: readers and mirrors pin it.",
                args.name,
                dir.display()
            );
            Ok(0)
        }
        Command::Log(args) => log(dir, args.json),
        Command::Statement(args) => {
            let text = args.text;
            let index = govern::submit_action(dir, &args.key, |_| {
                Ok(Action::Statement(Statement { text }))
            })?;
            outln!("{index}");
            eprintln!("Recorded as entry {index}.");
            Ok(0)
        }
        Command::Publish(args) => articles::publish(dir, &args.key, &args.file),
        Command::Correct(args) => articles::correct(
            dir, &args.key, &args.slug, &args.file, args.note, args.major,
        ),
        Command::Import(args) => articles::import(dir, &args.key, &args.root),
        Command::Propose(args) => govern::propose(dir, args),
        Command::Vote(args) => govern::vote(dir, args),
        Command::Close(args) => govern::close(dir, args.proposal, &args.key),
        Command::Proposals(args) => govern::proposals(dir, args.json),
        Command::Members(args) => govern::members(dir, args.json),
        Command::Board(args) => govern::board(dir, args.json),
        Command::Charter(args) => govern::charter(dir, args),
        Command::Tally(args) => govern::tally(dir, args),
        Command::RotateKey(args) => govern::rotate_key(dir, args),
        Command::Resign(args) => govern::resign(dir, &args.key),
        Command::Export(args) => {
            let publication = Publication::open(dir)?;
            let stats = erkin_export::export(&publication, &args.out)?;
            eprintln!(
                "Exported {} entries to {}: {} files written, {} unchanged, {} removed.",
                publication.store().size(),
                args.out.display(),
                stats.written,
                stats.unchanged,
                stats.deleted
            );
            Ok(0)
        }
        Command::Verify(args) => {
            let key = VerifierKey::parse(&args.key).context("--key")?;
            verify(&args.source, &key, args.json)
        }
        Command::Mirror(args) => crate::copies::mirror(&args),
        Command::Bundle(args) => crate::copies::bundle(dir, &args),
        Command::Evidence(args) => crate::copies::evidence(&args),
    }
}

/// Runs `erkin serve` until Ctrl-C or SIGTERM.
pub fn serve(
    dir: &Path,
    listen: std::net::SocketAddr,
    options: erkin_server::ServeOptions,
) -> Result<u8> {
    let runtime = tokio::runtime::Runtime::new().context("starting the server runtime")?;
    runtime.block_on(async {
        let listener = erkin_server::bind(listen).await.with_context(|| {
            format!("cannot listen on {listen} (is another server using it? choose --listen)")
        })?;
        let addr = listener.local_addr()?;
        eprintln!(
            "Serving {} at http://{addr}/ (Ctrl-C to stop)",
            dir.display()
        );
        let members = options.members.is_some();
        erkin_server::serve_with(listener, dir, options, shutdown_signal()).await?;
        if members {
            eprintln!("Every entry taken was committed.");
        }
        eprintln!("Stopped.");
        Ok(0)
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

/// Makes the log key, founds the publication and encrypts the key into the
/// data directory. Returns the publication's verifier key.
pub fn init(
    dir: &Path,
    origin: &str,
    name: &str,
    founders: &[VerifierKey],
    charter: Charter,
) -> Result<VerifierKey> {
    let log_key = SecretKey::generate(&mut rand_core::OsRng, origin)
        .context("--origin is the log key's name")?;
    let key_path = dir.join(LOG_KEY_FILE);
    if key_path.exists() {
        bail!(
            "{}: a publication already exists here; choose another --dir",
            dir.display()
        );
    }
    // Passphrase first: a typo in the confirmation must not leave a founded
    // publication without its key. `found` checks the genesis entry before it
    // writes anything, so bad founders leave nothing behind either.
    let pass = secret::new_passphrase("the publication's log key")?;
    let work_factor = secret::work_factor()?;
    Publication::found(dir, name, &log_key, founders, charter, now())?;
    if let Err(e) = erkin_store::keyfile::write_key_file(&key_path, &log_key, &pass, work_factor) {
        // Without its key the publication could never append: undo the found.
        for f in ["", "-wal", "-shm"] {
            std::fs::remove_file(dir.join(format!("{}{f}", erkin_store::store::DB_FILE))).ok();
        }
        return Err(e.into());
    }
    Ok(log_key.verifier_key().clone())
}

fn log(dir: &Path, as_json: bool) -> Result<u8> {
    // With --server: bring the member's copy up to date first.
    crate::desk::refresh(dir)?;
    let store = Store::open(dir)?;
    let mut rows: Vec<Applied> = Vec::new();
    fold_store(&store, |a| rows.push(a.clone()))?;
    if as_json {
        let list: Vec<_> = rows
            .iter()
            .map(|a| {
                json!({
                    "index": a.index,
                    "time": a.body.time,
                    "signer": a.signer,
                    "action": a.body.action.kind(),
                    "summary": a.body.action.summary(),
                    "leaf_hash": a.leaf_hash.to_string(),
                })
            })
            .collect();
        outln!("{}", serde_json::to_string_pretty(&list)?);
    } else {
        for a in &rows {
            let t =
                humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(a.body.time));
            outln!(
                "{:>6}  {t}  {:<16}  {}",
                a.index,
                a.signer,
                a.body.action.summary()
            );
        }
    }
    Ok(0)
}

fn verify(source: &Path, key: &VerifierKey, as_json: bool) -> Result<u8> {
    let copy: Box<dyn CopyReader> = if source.join(erkin_store::store::DB_FILE).is_file() {
        Box::new(Store::open_unverified(source)?)
    } else if DirCopy::looks_like_copy(source) {
        Box::new(DirCopy::new(source))
    } else {
        bail!(
            "{}: neither a data directory (no {}) nor an exported copy (no checkpoint)",
            source.display(),
            erkin_store::store::DB_FILE
        );
    };
    let report = match verify_copy(copy.as_ref(), key, DEFAULT_MAX_BLOB_LEN, &mut |_, _| {}) {
        Ok(r) => r,
        Err(e) => {
            if as_json {
                outln!("{}", json!({"ok": false, "fatal": e.to_string()}));
            } else {
                eprintln!("FAILED: {}: {e}", source.display());
            }
            return Ok(exit::VERIFY_FAILED);
        }
    };
    print_report(source, key, &report, as_json)?;
    Ok(if report.is_ok() {
        0
    } else {
        exit::VERIFY_FAILED
    })
}

fn hex_digest(d: &[u8; 32]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn print_report(source: &Path, key: &VerifierKey, r: &Report, as_json: bool) -> Result<()> {
    let findings: Vec<String> = r.findings.iter().map(|f| f.to_string()).collect();
    if as_json {
        let v = json!({
            "ok": r.is_ok(),
            "origin": r.checkpoint.origin,
            "size": r.checkpoint.size,
            "root": r.checkpoint.root.to_string(),
            "entries_checked": r.entries_checked,
            "tiles_checked": r.tiles_checked,
            "blobs_checked": r.blobs_checked,
            "findings": findings,
            // Two copies with the same digest fold to the same publication.
            "state_digest": r.state.as_ref().map(|s| hex_digest(&s.digest())),
        });
        outln!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    outln!("Verifying {} against {key}", source.display());
    outln!(
        "  checkpoint  {} entries, root {}: signature good",
        r.checkpoint.size,
        r.checkpoint.root
    );
    outln!(
        "  entries     {} checked (hashes, signatures, rules)",
        r.entries_checked
    );
    outln!("  tiles       {} checked", r.tiles_checked);
    outln!("  blobs       {} checked", r.blobs_checked);
    if let Some(state) = &r.state {
        outln!("  state       digest {}", hex_digest(&state.digest()));
    }
    if r.is_ok() {
        outln!("OK: this copy is complete and genuine.");
    } else {
        outln!("FAILED: {} problem(s):", findings.len());
        for f in &findings {
            outln!("  - {f}");
        }
    }
    Ok(())
}
