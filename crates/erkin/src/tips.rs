//! `erkin tips`: the tip readers' side of the source inbox (docs/TIPS.md).
//! The logic is `erkin-tips`' (client, identity, reply); this module is
//! the grammar, the prompts and the output.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use erkin_core::action::{Action, TipKey};
use erkin_core::descriptor::Descriptor;
use erkin_tips::client::{unpack, TipsClient};

use crate::cli::{PlaceArgs, TipsCommand, TipsFetchArgs};
use crate::desk::Place;
use crate::term::{outln, print_json};
use crate::{exit, govern, secret};

/// What `tips fetch --json` prints.
#[derive(serde::Serialize)]
struct Fetched {
    id: String,
    day: String,
    thread: String,
    dir: PathBuf,
    files: Vec<PathBuf>,
}

const TIMEOUT: Duration = Duration::from_secs(120);

/// The publication's origin, from the server's `erkin.json`.
fn origin_of(server: &str) -> Result<String> {
    let url = format!("{}/erkin.json", server.trim_end_matches('/'));
    let body = ureq_get(&url)?;
    let d: Descriptor =
        serde_json::from_slice(&body).with_context(|| format!("{url}: not erkin.json"))?;
    Ok(d.origin)
}

fn ureq_get(url: &str) -> Result<Vec<u8>> {
    erkin_tips::client::get_small(url, TIMEOUT).with_context(|| format!("fetching {url}"))
}

fn client(server: &str, key: &Path) -> Result<TipsClient> {
    let origin = origin_of(server)?;
    let member = secret::open_key(key, "your member key")?;
    Ok(TipsClient::new(server, &origin, member, TIMEOUT))
}

fn open_identity(path: &Path) -> Result<age::x25519::Identity> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    if erkin_tips::identity::is_plaintext(&bytes) {
        eprintln!(
            "erkin: warning: {} is not encrypted; keep tip reader identities encrypted (erkin tips key)",
            path.display()
        );
        let text = String::from_utf8_lossy(&bytes);
        return Ok(erkin_tips::identity::parse(&text)?);
    }
    let pass = secret::passphrase(&format!(
        "Passphrase for your tip reader identity ({}): ",
        path.display()
    ))?;
    Ok(erkin_tips::identity::decrypt(&bytes, &pass)?)
}

pub fn run(place: impl FnOnce(PlaceArgs) -> Place, command: TipsCommand) -> Result<u8> {
    match command {
        TipsCommand::Key { out } => {
            if out.exists() {
                bail!(
                    "{}: already exists; erkin never overwrites a key file",
                    out.display()
                );
            }
            let pass = secret::new_passphrase("the tip reader identity")?;
            let identity = age::x25519::Identity::generate();
            let file = erkin_tips::identity::encrypt(&identity, &pass, secret::work_factor()?)?;
            write_new(&out, &file)?;
            outln!("{}", identity.to_public());
            eprintln!(
                "Wrote {} (encrypted). The line above is your recipient: publish it with erkin tips publish --recipient ...",
                out.display()
            );
            Ok(exit::SUCCESS)
        }
        TipsCommand::Publish(args) => {
            let place = place(args.place);
            let recipient = args.recipient;
            let index = govern::submit_action(&place, &args.key, |_| {
                Ok(Action::TipKey(TipKey { recipient }))
            })?;
            outln!("{index}");
            eprintln!("Recorded as entry {index}: the inbox seals new tips to this recipient.");
            Ok(exit::SUCCESS)
        }
        TipsCommand::Fetch(args) => {
            let server = server_of(place(PlaceArgs {
                dir: None,
                server: args.place.server.clone(),
            }))?;
            fetch(&server, args)
        }
        TipsCommand::Reply(args) => {
            let text = match (&args.message, &args.file) {
                (Some(m), _) => m.clone(),
                (None, Some(f)) => std::fs::read_to_string(f)
                    .with_context(|| format!("reading {}", f.display()))?,
                (None, None) => bail!("give the reply with --message TEXT or --file FILE"),
            };
            let server = server_of(place(PlaceArgs {
                dir: None,
                server: args.place.server.clone(),
            }))?;
            let c = client(&server, &args.key)?;
            let id = c.reply(&args.thread, &text)?;
            outln!("{id}");
            eprintln!("The reply is sealed to the source's codename and waits on the server.");
            Ok(exit::SUCCESS)
        }
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Writes a cleaned copy of each file under `dir/clean/`, and warns about
/// each file it could not clean.
fn clean_into(dir: &Path, files: &[PathBuf]) -> Result<()> {
    for f in files {
        let rel = f.strip_prefix(dir).unwrap_or(f);
        // The source's own message is ours to read, not a document.
        if !rel.starts_with("files") {
            continue;
        }
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let (out, outcome) = erkin_tips::clean::clean(&bytes);
        let target = dir.join("clean").join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&target, out).with_context(|| format!("writing {}", target.display()))?;
        match outcome {
            erkin_tips::clean::Outcome::Cleaned { kind, removed } => {
                eprintln!("Cleaned {} ({kind}: removed {removed}).", target.display())
            }
            erkin_tips::clean::Outcome::Untouched { why } => eprintln!(
                "erkin: warning: {} is NOT cleaned ({why}): check it by hand (mat2, exiftool) before it leaves this machine",
                target.display()
            ),
            _ => {}
        }
    }
    Ok(())
}

/// The server a command must talk to (its --server, or ERKIN_SERVER).
fn server_of(place: Place) -> Result<String> {
    place
        .server
        .ok_or_else(|| anyhow::anyhow!("name the newsroom's server with --server URL"))
}

fn fetch(server: &str, args: TipsFetchArgs) -> Result<u8> {
    let identity = open_identity(&args.identity)?;
    let c = client(server, &args.key)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut fetched = Vec::new();
    for tip in c.list()? {
        let dir = args.out.join(format!("{}-{}", tip.day, tip.id));
        if dir.exists() {
            continue;
        }
        let ciphertext = c.download(&tip.id)?;
        // Unpacked beside, then renamed: a folder under --out is complete.
        let staging = args.out.join(format!(".{}.partial", tip.id));
        let _ = std::fs::remove_dir_all(&staging);
        let files = unpack(&tip.id, &ciphertext, &identity, &staging)?;
        std::fs::write(staging.join("reply-to"), format!("thread {}\n", tip.thread))?;
        std::fs::rename(&staging, &dir)
            .with_context(|| format!("renaming into {}", dir.display()))?;
        let files: Vec<PathBuf> = files
            .iter()
            .filter_map(|f| f.strip_prefix(&staging).ok().map(|p| dir.join(p)))
            .collect();
        if args.clean {
            clean_into(&dir, &files)?;
        }
        if args.delete {
            c.delete(&tip.id)?;
        }
        if !args.json {
            outln!("{}", dir.display());
        }
        fetched.push(Fetched {
            id: tip.id,
            day: tip.day,
            thread: tip.thread,
            dir,
            files,
        });
    }
    if args.json {
        print_json(&fetched)?;
    } else {
        eprintln!("{} new tip(s) in {}.", fetched.len(), args.out.display());
    }
    Ok(exit::SUCCESS)
}
