//! One function per subcommand: gather inputs, call the libraries, print.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::CommandFactory as _;
use erkin_core::action::{Action, BallotKey, Charter, Statement};
use erkin_core::ballot_secret::BallotSecret;
use erkin_core::blob::DEFAULT_MAX_BLOB_LEN;
use erkin_core::keys::{SecretKey, VerifierKey};
use erkin_core::state::Applied;
use erkin_core::verify::{verify_copy, CopyReader, Report};
use erkin_export::DirCopy;
use erkin_store::publication::fold_store;
use erkin_store::{Publication, Store, LOG_KEY_FILE};
use serde::Serialize;

use crate::cli::{self, BallotKeyCommand, Cli, Command, KeyCommand, PlaceArgs};
use crate::desk::Place;
use crate::exit;
use crate::secret;
use crate::term::{now, outln, print_json, progress, time, write_stdout};
use crate::tips;
use crate::{articles, demo, govern};

/// The options written before the command (`erkin --dir D log`), kept for
/// scripts written that way. A command's own options win over them.
struct Before {
    dir: Option<PathBuf>,
    server: Option<String>,
}

impl Before {
    /// The data directory: the command's `--dir`, the one before the
    /// command, `ERKIN_DIR`, or `./erkin-data`.
    fn dir(&self, own: Option<PathBuf>) -> PathBuf {
        own.or_else(|| self.dir.clone())
            .or_else(|| {
                std::env::var_os(cli::DIR_ENV)
                    .filter(|d| !d.is_empty())
                    .map(PathBuf::from)
            })
            .unwrap_or_else(|| PathBuf::from(cli::DEFAULT_DIR))
    }

    /// The data directory and the server (`--server`, the one before the
    /// command, `ERKIN_SERVER`, or none: local).
    fn place(&self, own: PlaceArgs) -> Place {
        Place {
            dir: self.dir(own.dir),
            server: own.server.or_else(|| self.server.clone()).or_else(|| {
                std::env::var(cli::SERVER_ENV)
                    .ok()
                    .filter(|s| !s.is_empty())
            }),
        }
    }
}

/// Whether the sequencer of the publication in `dir` takes secret ballots:
/// its charter in force decides something by secret ballot, or it has a
/// ballot box already. A publication without either gets no `ballot_box`
/// entry (its log stays as before); one whose charter is amended to make a
/// decision secret gets its ballot box at the sequencer's next start.
fn takes_secret_ballots(dir: &Path) -> Result<bool> {
    let publication = erkin_store::Publication::open(dir)?;
    let state = publication.state();
    let c = state.charter();
    let any_secret = [
        &c.admit,
        &c.remove,
        &c.amend,
        &c.retract,
        &c.redact,
        &c.resolution,
        &c.recall,
    ]
    .iter()
    .any(|r| r.secret)
        || c.elect.secret;
    Ok(any_secret || state.ballot_box().is_some())
}

/// Whether a command acts through `--server`.
fn takes_server(command: &Command) -> bool {
    matches!(
        command,
        Command::Log(_)
            | Command::Statement(_)
            | Command::BallotKey(BallotKeyCommand::Register(_))
            | Command::Publish(_)
            | Command::Correct(_)
            | Command::Import(_)
            | Command::Batch(_)
            | Command::Propose(_)
            | Command::Vote(_)
            | Command::Close(_)
            | Command::Nominate(_)
            | Command::Consent(_)
            | Command::Proposals(_)
            | Command::Members(_)
            | Command::Board(_)
            | Command::Charter(_)
            | Command::Tally(_)
            | Command::RotateKey(_)
            | Command::Resign(_)
            | Command::StepDown(_)
            | Command::Mirrors(_)
            | Command::Tips(_)
    )
}

/// What `init --json` prints.
#[derive(Serialize)]
struct Founded<'a> {
    /// The publication's verifier key: readers and mirrors pin it.
    verifier_key: String,
    name: &'a str,
    origin: &'a str,
    dir: &'a Path,
}

/// What `statement --json` prints.
#[derive(Serialize)]
struct Entry {
    /// The entry's index in the log.
    index: u64,
}

/// What `export --json` prints.
#[derive(Serialize)]
struct Exported<'a> {
    /// Entries in the exported log.
    entries: u64,
    out: &'a Path,
    written: usize,
    unchanged: usize,
    removed: usize,
    /// Object storage: objects and bytes of the export's own record.
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest_objects: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest_bytes: Option<u64>,
}

pub fn run(cli: Cli) -> Result<u8> {
    let before = Before {
        dir: cli.dir,
        server: cli.server,
    };
    if before.server.is_some() && !takes_server(&cli.command) {
        return Err(Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--server applies only to commands that act on a newsroom's publication \
                 (log, statement, publish, correct, import, batch, propose, vote, close, proposals, \
                 members, board, charter, tally, rotate-key, resign)",
            )
            .into());
    }
    match cli.command {
        Command::Demo(args) => run_demo(args, before.dir),
        Command::Serve(args) => {
            let dir = before.dir(args.data.dir.clone());
            let mut options = erkin_server::ServeOptions {
                log_requests: !args.quiet,
                connections: Some(erkin_server::ConnectionLimits::for_process(
                    args.max_connections.max(1),
                    args.max_connections_per_client.max(1),
                    std::time::Duration::from_secs(args.stall_timeout.max(1)),
                )),
                page_cache_bytes: Some(args.page_cache_mib.clamp(1, 1 << 20) << 20),
                ..Default::default()
            };
            if args.sequence {
                // The ballot box (docs/BALLOT.md §5.6) is encrypted with the
                // log key's passphrase, asked once for both; made on the
                // first start of a publication that has secret votes.
                let (log_key, passphrase) = secret::open_key_keeping_passphrase(
                    &dir.join(LOG_KEY_FILE),
                    "the publication's log key",
                )?;
                let ballot_box = if takes_secret_ballots(&dir)? {
                    Some(
                        erkin_store::BallotBox::open_or_make(
                            &dir.join(erkin_store::BALLOT_BOX_FILE),
                            &passphrase,
                            secret::work_factor()?,
                        )
                        .context("the sequencer's ballot box")?,
                    )
                } else {
                    None
                };
                options.members = Some(erkin_server::MembersApi {
                    log_key,
                    sequencer: erkin_server::SequencerConfig {
                        max_batch: args.batch_size.max(1),
                        max_delay: std::time::Duration::from_millis(args.batch_delay_ms),
                        max_pending: args.max_pending,
                        unnamed_grace: std::time::Duration::from_secs_f64(
                            (args.unnamed_blob_hours * 3600.0).clamp(1.0, 1e9),
                        ),
                        ballot_box,
                        clock: if crate::term::test_clock() {
                            erkin_server::sequencer::Clock::new(crate::term::now)
                        } else {
                            erkin_server::sequencer::Clock::system()
                        },
                        ..Default::default()
                    },
                    limits: erkin_server::ApiLimits {
                        per_key_rate: args.rate_per_key,
                        // A burst of four seconds' worth: --rate-per-key 1
                        // means about one a second, not 200 at once.
                        per_key_burst: (args.rate_per_key * 4.0).max(1.0),
                        upload_budget: args.upload_budget,
                        ..Default::default()
                    },
                });
            }
            if args.sequence && !args.no_tips {
                let mut config = erkin_tips::TipsConfig::new(dir.clone());
                config.limits.max_total = args.tips_max_mib.clamp(1, 4096) * 1024 * 1024;
                let listener = match args.tips {
                    Some(addr) => Some(
                        std::net::TcpListener::bind(addr)
                            .with_context(|| format!("--tips {addr}: cannot listen there"))?,
                    ),
                    None => None,
                };
                options.tips = Some(erkin_server::TipsOptions { config, listener });
            }
            if let Some(source) = &args.follow {
                if source.starts_with("s3:") {
                    bail!(
                        "--follow {source}: a follower reads a bucket through its website \
                         endpoint or a CDN in front of it, with no store credentials on a \
                         read-only node: --follow https://WEBSITE/ (see docs/DEPLOY.md)"
                    );
                }
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
            serve(&dir, args.listen, options)
        }
        Command::Key(KeyCommand::New { out, name }) => {
            let key = SecretKey::generate(&mut rand_core::OsRng, &name)?;
            secret::write_new_key(&out, &key, "the new key")?;
            outln!("{}", key.verifier_key());
            eprintln!("Wrote {} (encrypted). The line above is your verifier key: share it, it is public.", out.display());
            Ok(exit::SUCCESS)
        }
        Command::Key(KeyCommand::Show { file }) => {
            let key = secret::open_key(&file, "the key")?;
            outln!("{}", key.verifier_key());
            Ok(exit::SUCCESS)
        }
        Command::BallotKey(BallotKeyCommand::New { out }) => {
            let secret = BallotSecret::generate(&mut rand_core::OsRng);
            let commitment = secret.commitment()?;
            secret::write_new_ballot_secret(&out, &secret)?;
            outln!("{commitment}");
            eprintln!(
                "Wrote {} (encrypted). The line above is your ballot key: register it with `erkin ballot-key register`. Keep the file apart from your member key and never share it: whoever holds it can find how you voted.",
                out.display()
            );
            Ok(exit::SUCCESS)
        }
        Command::BallotKey(BallotKeyCommand::Show { file }) => {
            let secret = secret::open_ballot_secret(&file)?;
            outln!("{}", secret.commitment()?);
            Ok(exit::SUCCESS)
        }
        Command::BallotKey(BallotKeyCommand::Register(args)) => {
            let place = before.place(args.place);
            // The ballot secret is opened first: a wrong passphrase for it
            // costs no member-key derivation and signs nothing.
            let commitment = secret::open_ballot_secret(&args.ballot_key)?
                .commitment()?
                .to_hex();
            let index = govern::submit_action(&place, &args.key, |_| {
                Ok(Action::BallotKey(BallotKey {
                    scheme: erkin_core::ballot::SCHEME.to_string(),
                    commitment,
                }))
            })?;
            if args.json {
                print_json(&Entry { index })?;
            } else {
                outln!("{index}");
                eprintln!("Registered as entry {index}: your ballot key counts for proposals made from now on.");
            }
            Ok(exit::SUCCESS)
        }
        Command::Init(args) => {
            let dir = before.dir(args.data.dir);
            let founders = args
                .founders
                .iter()
                .map(|f| VerifierKey::parse(f).with_context(|| format!("--founder {f:?}")))
                .collect::<Result<Vec<_>>>()?;
            let charter = match &args.charter {
                Some(path) => govern::read_charter(path)?,
                None => Charter::default(),
            };
            let vkey = init(&dir, &args.origin, &args.name, &founders, charter)?;
            if args.json {
                print_json(&Founded {
                    verifier_key: vkey.to_string(),
                    name: &args.name,
                    origin: &args.origin,
                    dir: &dir,
                })?;
            } else {
                outln!("{vkey}");
                eprintln!(
                    "Founded {:?} in {}. The line above is the publication's verifier key: readers and mirrors pin it.",
                    args.name,
                    dir.display()
                );
            }
            Ok(exit::SUCCESS)
        }
        Command::Log(args) => log(&before.place(args.place), args.json),
        Command::Statement(args) => {
            let place = before.place(args.place);
            let text = args.text;
            let index = govern::submit_action(&place, &args.key, |_| {
                Ok(Action::Statement(Statement { text }))
            })?;
            if args.json {
                print_json(&Entry { index })?;
            } else {
                outln!("{index}");
                eprintln!("Recorded as entry {index}.");
            }
            Ok(exit::SUCCESS)
        }
        Command::Publish(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            articles::publish(&place, &args)
        }
        Command::Correct(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            articles::correct(&place, args)
        }
        Command::Import(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            articles::import(&place, &args)
        }
        Command::Batch(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            crate::batch::run(&place, &args)
        }
        Command::Propose(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            govern::propose(&place, args)
        }
        Command::Vote(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            govern::vote(&place, args)
        }
        Command::Close(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            govern::close(&place, &args)
        }
        Command::Nominate(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            govern::nominate(&place, &args)
        }
        Command::Consent(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            govern::consent(&place, &args)
        }
        Command::Proposals(args) => govern::proposals(&before.place(args.place), args.json),
        Command::Members(args) => govern::members(&before.place(args.place), args.json),
        Command::Board(args) => govern::board(&before.place(args.place), args.json),
        Command::Charter(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            govern::charter(&place, args)
        }
        Command::Tally(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            govern::tally(&place, args)
        }
        Command::RotateKey(mut args) => {
            let place = before.place(std::mem::take(&mut args.place));
            govern::rotate_key(&place, args)
        }
        Command::Resign(args) => govern::resign(&before.place(args.place), &args.key),
        Command::StepDown(args) => govern::step_down(&before.place(args.place), &args.key),
        Command::Read(args) => crate::read::run(args),
        Command::Probe(args) => crate::read::probe(args),
        Command::Mirrors(mut command) => {
            let place = before.place(command.place());
            crate::mirrors::run(&place, command)
        }
        Command::Export(args) => {
            let dir = before.dir(args.data.dir);
            // Opened without its articles: a copy already made at the
            // log's size is found so, and left, without reading one.
            let mut publication = Publication::open_lazily(&dir)?;
            let to_bucket = args.out.to_string_lossy().starts_with("s3:");
            let current = match args.full || to_bucket {
                true => None,
                false => erkin_export::up_to_date(&publication, &args.out)?,
            };
            // A bucket's export, or a whole one, reads every article; a
            // folder's reads those its new pages show where it can
            // (`export_lazily`).
            if current.is_none() && (args.full || to_bucket) {
                publication.read_articles()?;
            }
            let mut manifest = None;
            let stats = match args.out.to_str().and_then(erkin_s3::BucketUrl::parse) {
                Some(bucket) => {
                    let report =
                        erkin_s3::export_report(&publication, &bucket, &args.s3.options())?;
                    manifest = Some((report.manifest_objects, report.manifest_bytes));
                    report.files
                }
                None if to_bucket => {
                    bail!(
                        "{}: not a bucket URL (s3://BUCKET or s3://BUCKET/PREFIX)",
                        args.out.display()
                    )
                }
                None => match current {
                    Some(stats) => stats,
                    None => {
                        let bar = progress(None, "files exported");
                        let stats = if args.full {
                            erkin_export::export_whole(&publication, &args.out, &mut |_| bar.inc(1))
                        } else {
                            erkin_export::export_lazily(&mut publication, &args.out, &mut |_| {
                                bar.inc(1)
                            })
                        };
                        bar.finish_and_clear();
                        stats?
                    }
                },
            };
            let entries = publication.store().size();
            if args.json {
                print_json(&Exported {
                    entries,
                    out: &args.out,
                    written: stats.written,
                    unchanged: stats.unchanged,
                    removed: stats.deleted,
                    manifest_objects: manifest.map(|m| m.0),
                    manifest_bytes: manifest.map(|m| m.1),
                })?;
            } else {
                eprintln!(
                    "Exported {entries} entries to {}: {} files written, {} unchanged, {} removed.",
                    args.out.display(),
                    stats.written,
                    stats.unchanged,
                    stats.deleted
                );
            }
            Ok(exit::SUCCESS)
        }
        Command::Verify(args) => {
            let key = VerifierKey::parse(&args.key).context("--key")?;
            verify(&args.source, &key, args.deep, args.json)
        }
        Command::Mirror(args) => crate::copies::mirror(&args),
        Command::Bundle(args) => crate::copies::bundle(&before.dir(args.data.dir.clone()), &args),
        Command::Evidence(args) => crate::copies::evidence(&args),
        Command::Tips(command) => tips::run(|p| before.place(p), command),
        Command::Completions(args) => {
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut Cli::command(), "erkin", &mut script);
            write_raw(&script)
        }
        Command::Man(args) => man(args.out.as_deref()),
    }
}

/// Writes bytes to stdout as they are (a generated script or page).
fn write_raw(bytes: &[u8]) -> Result<u8> {
    let text = String::from_utf8_lossy(bytes);
    write_stdout(format_args!("{}", text.trim_end_matches('\n')));
    Ok(exit::SUCCESS)
}

/// `erkin man`: the man page from the command-line grammar, printed, or
/// with `--out DIR` one page per command written there.
fn man(out: Option<&Path>) -> Result<u8> {
    let command = Cli::command();
    let Some(out) = out else {
        let mut page = Vec::new();
        clap_mangen::Man::new(command).render(&mut page)?;
        return write_raw(&page);
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    clap_mangen::generate_to(command, out)
        .with_context(|| format!("writing man pages into {}", out.display()))?;
    eprintln!("Wrote the man pages into {}.", out.display());
    Ok(exit::SUCCESS)
}

/// `erkin demo`: in `--dir`, or a temporary directory removed at exit
/// (unless `--keep`); serves it unless `--no-serve`. The listener is bound
/// before the demo is built, so a busy port fails at once and the hints
/// name the address really served.
fn run_demo(args: cli::DemoArgs, before_dir: Option<PathBuf>) -> Result<u8> {
    let mut temporary = None;
    let root = match args.dir.or(before_dir) {
        Some(dir) => dir,
        None => {
            let tmp = tempfile::Builder::new()
                .prefix("erkin-demo-")
                .tempdir()
                .context("making a temporary directory for the demo")?;
            if args.keep {
                tmp.keep()
            } else {
                let path = tmp.path().to_path_buf();
                temporary = Some(tmp);
                path
            }
        }
    };
    let serving = if args.no_serve {
        None
    } else {
        let runtime = runtime()?;
        let listener = runtime.block_on(bind(args.listen))?;
        Some((runtime, listener))
    };
    let listen = match &serving {
        Some((_, listener)) => listener.local_addr()?,
        None => args.listen,
    };
    let hints = demo::Hints {
        listen,
        serving: serving.is_some(),
        temporary: temporary.is_some(),
    };
    let (data, code) = demo::run(&root, &hints)?;
    let Some((runtime, listener)) = serving else {
        return Ok(code);
    };
    if code != exit::SUCCESS {
        return Ok(code);
    }
    // The demo's newsroom takes members' entries too; its log key's
    // passphrase is the demo's, printed above.
    let log_key =
        erkin_store::keyfile::read_key_file(&data.join(LOG_KEY_FILE), demo::DEMO_PASSPHRASE)?;
    let options = erkin_server::ServeOptions {
        members: Some(erkin_server::MembersApi {
            log_key,
            sequencer: Default::default(),
            limits: Default::default(),
        }),
        ..Default::default()
    };
    let code = serve_on(&runtime, listener, &data, options);
    // The temporary directory goes now, after the server has stopped.
    drop(temporary);
    code
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().context("starting the server runtime")
}

async fn bind(listen: std::net::SocketAddr) -> Result<tokio::net::TcpListener> {
    erkin_server::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen} (is another server using it? choose --listen)")
    })
}

/// Runs `erkin serve` until Ctrl-C or SIGTERM.
pub fn serve(
    dir: &Path,
    listen: std::net::SocketAddr,
    options: erkin_server::ServeOptions,
) -> Result<u8> {
    let runtime = runtime()?;
    let listener = runtime.block_on(bind(listen))?;
    serve_on(&runtime, listener, dir, options)
}

/// Serves `dir` on a bound listener until Ctrl-C or SIGTERM.
fn serve_on(
    runtime: &tokio::runtime::Runtime,
    listener: tokio::net::TcpListener,
    dir: &Path,
    options: erkin_server::ServeOptions,
) -> Result<u8> {
    runtime.block_on(async {
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
        Ok(exit::SUCCESS)
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

/// One entry in `log --json`.
#[derive(Serialize)]
struct LogRow<'a> {
    index: u64,
    /// Unix seconds.
    time: u64,
    signer: &'a str,
    action: &'static str,
    summary: String,
    leaf_hash: String,
}

fn log(place: &Place, as_json: bool) -> Result<u8> {
    // With --server: bring the member's copy up to date first.
    crate::desk::refresh(place)?;
    let store = Store::open(&place.dir)?;
    let mut rows: Vec<Applied> = Vec::new();
    fold_store(&store, |a| rows.push(a.clone()))?;
    if as_json {
        let list: Vec<LogRow> = rows
            .iter()
            .map(|a| LogRow {
                index: a.index,
                time: a.body.time,
                signer: &a.signer,
                action: a.body.action.kind(),
                summary: erkin_views::i18n::action_summary(&a.body.action),
                leaf_hash: a.leaf_hash.to_string(),
            })
            .collect();
        print_json(&list)?;
    } else {
        for a in &rows {
            outln!(
                "{:>6}  {}  {:<16}  {}",
                a.index,
                time(a.body.time),
                a.signer,
                erkin_views::i18n::action_summary(&a.body.action)
            );
        }
    }
    Ok(exit::SUCCESS)
}

/// What `verify --json` prints.
#[derive(Serialize)]
struct Verified<'a> {
    ok: bool,
    origin: &'a str,
    size: u64,
    root: String,
    entries_checked: u64,
    tiles_checked: usize,
    blobs_checked: usize,
    findings: &'a [String],
    /// Two copies with the same digest fold to the same publication.
    state_digest: Option<String>,
}

/// What `verify --json` prints when the copy cannot be checked at all.
#[derive(Serialize)]
struct Unverifiable {
    ok: bool,
    fatal: String,
}

fn verify(source: &Path, key: &VerifierKey, deep: bool, as_json: bool) -> Result<u8> {
    let is_store = source.join(erkin_store::store::DB_FILE).is_file();
    let copy: Box<dyn CopyReader> = if is_store {
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
    let bar = crate::term::progress(Some(0), "entries verified");
    let checked = verify_copy(
        copy.as_ref(),
        key,
        DEFAULT_MAX_BLOB_LEN,
        &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        },
    );
    bar.finish_and_clear();
    let mut report = match checked {
        Ok(r) => r,
        Err(e) => {
            if as_json {
                outln!(
                    "{}",
                    serde_json::to_string(&Unverifiable {
                        ok: false,
                        fatal: e.to_string(),
                    })?
                );
            } else {
                eprintln!("FAILED: {}: {e}", source.display());
            }
            return Ok(exit::VERIFY_FAILED);
        }
    };
    // The log's time against this machine's clock: a sequencer whose clock
    // ran ahead wrote times no honest copy can have yet.
    let ahead = report
        .state
        .as_ref()
        .and_then(|s| erkin_core::state::check_log_time(s.log_time(), now()).err());
    // The state's digest, then the state let go: `--deep` folds the log
    // again, and one state is in memory at a time (at 100,000 articles,
    // the two together took the peak past the 250 MB).
    let digest = report.state.take().map(|s| hex::encode(s.digest()));
    // --deep: the state snapshot a data directory opens from must be the
    // state the log folds to.
    let mut snapshot_findings = Vec::new();
    let mut snapshot_line = None;
    if deep && is_store && report.is_ok() {
        use erkin_store::{check_snapshot, SnapshotCheck};
        let store = Store::open_unverified(source)?;
        match check_snapshot(&store)? {
            SnapshotCheck::Agrees { size } => {
                // The lists kept beside it must be those its rows make.
                let lists = match store.lists_match_rows()? {
                    Some(true) => ", and so do the lists kept beside it",
                    Some(false) => {
                        snapshot_findings.push(format!(
                            "the lists kept beside the state snapshot at {size} entries are not those its articles make (remove the snapshot to have it rebuilt: erkin verify --deep finds it again until then)"
                        ));
                        ""
                    }
                    None => " (no lists kept beside it: the next snapshot stores them)",
                };
                // And the leaves its next snapshot's digest is made from.
                if store.leaves_match_rows()? == Some(false) {
                    snapshot_findings.push(format!(
                        "the leaves kept beside the state snapshot at {size} entries are not those of its articles' rows (remove the snapshot to have it rebuilt: erkin verify --deep finds it again until then)"
                    ));
                }
                snapshot_line = Some(format!(
                    "  snapshot    the state at {size} entries agrees with a refold{lists}"
                ))
            }
            SnapshotCheck::Missing => {
                snapshot_line = Some("  snapshot    none stored (the next open stores one)".into())
            }
            SnapshotCheck::Unusable { why } => snapshot_findings.push(format!(
                "the stored state snapshot is not usable and will be rebuilt on open: {why:?}"
            )),
            SnapshotCheck::Differs { size } => snapshot_findings.push(format!(
                "the stored state snapshot at {size} entries is not the state the log folds to"
            )),
        }
    }
    print_report(
        source,
        key,
        &report,
        digest,
        ahead,
        &snapshot_findings,
        as_json,
    )?;
    if let (Some(line), false) = (snapshot_line, as_json) {
        outln!("{line}");
    }
    Ok(
        if report.is_ok() && ahead.is_none() && snapshot_findings.is_empty() {
            exit::SUCCESS
        } else {
            exit::VERIFY_FAILED
        },
    )
}

fn print_report(
    source: &Path,
    key: &VerifierKey,
    r: &Report,
    digest: Option<String>,
    ahead: Option<erkin_core::state::LogTimeAhead>,
    extra: &[String],
    as_json: bool,
) -> Result<()> {
    let mut findings: Vec<String> = r.findings.iter().map(|f| f.to_string()).collect();
    findings.extend(ahead.map(|a| a.to_string()));
    findings.extend(extra.iter().cloned());
    let ok = r.is_ok() && ahead.is_none() && extra.is_empty();
    if as_json {
        return print_json(&Verified {
            ok,
            origin: &r.checkpoint.origin,
            size: r.checkpoint.size,
            root: r.checkpoint.root.to_string(),
            entries_checked: r.entries_checked,
            tiles_checked: r.tiles_checked,
            blobs_checked: r.blobs_checked,
            findings: &findings,
            state_digest: digest,
        });
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
    if let Some(digest) = &digest {
        outln!("  state       digest {digest}");
    }
    if ok {
        outln!("OK: this copy is complete and genuine.");
    } else {
        outln!("FAILED: {} problem(s):", findings.len());
        for f in &findings {
            outln!("  - {f}");
        }
    }
    Ok(())
}
