//! `erkin batch FILE`: a file of actions, one per line, each written as the
//! arguments of the command it stands for (`vote 12 yes`), signed and
//! submitted by one process. Each key the file needs (the members' keys,
//! and locally the log key) is opened, and its passphrase's scrypt
//! derivation paid, once for the whole file; no secret is written anywhere.
//!
//! Nothing surprising lands: every line is parsed and checked, and the files
//! it names read, before any key is opened or anything submitted, so a
//! malformed line (reported by its number) leaves the log as it was. The
//! actions are then submitted in order, one at a time; the first one the
//! publication refuses stops the batch, and the error names its line and
//! the lines that landed before it.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use clap::Parser as _;
use erkin_core::action::{Action, Close, Consent, Nominate, Resign, Statement, StepDown, Vote};
use erkin_core::keys::{SecretKey, VerifierKey};
use serde::Serialize;

use crate::cli::{BatchArgs, BatchLine, LineCommand, MotionArgs, PlaceArgs};
use crate::desk::{Desk, Place};
use crate::term::{outln, print_json};
use crate::{articles, govern, secret};

/// A batch file larger than this is refused (its actions are kept in memory).
pub const MAX_BATCH_BYTES: u64 = 16 * 1024 * 1024;
/// The most actions one batch may hold.
pub const MAX_BATCH_ACTIONS: usize = 10_000;

/// A line read and checked.
#[derive(Debug)]
struct Line {
    /// Its number in the file, from 1.
    number: usize,
    /// The key file that signs it.
    key: PathBuf,
    command: LineCommand,
}

/// Why a line was refused before anything was submitted.
#[derive(Debug, PartialEq, Eq)]
struct LineError {
    number: usize,
    reason: String,
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.number, self.reason)
    }
}

fn word(command: &LineCommand) -> &'static str {
    match command {
        LineCommand::Statement(_) => "statement",
        LineCommand::Publish(_) => "publish",
        LineCommand::Correct(_) => "correct",
        LineCommand::Propose(_) => "propose",
        LineCommand::Vote(_) => "vote",
        LineCommand::Close(_) => "close",
        LineCommand::Nominate(_) => "nominate",
        LineCommand::Consent(_) => "consent",
        LineCommand::Resign(_) => "resign",
        LineCommand::StepDown(_) => "step-down",
    }
}

/// A line's place, whether it asked for JSON, and its key.
fn parts(command: &LineCommand) -> (&PlaceArgs, bool, &Path) {
    match command {
        LineCommand::Statement(a) => (&a.place, a.json, &a.key),
        LineCommand::Publish(a) => (&a.place, a.json, &a.key),
        LineCommand::Correct(a) => (&a.place, a.json, &a.key),
        LineCommand::Propose(a) => (&a.place, a.json, &a.key),
        // `parse` puts a --key on every line that has none.
        LineCommand::Vote(a) => (&a.place, a.json, a.key.as_deref().unwrap_or(Path::new(""))),
        LineCommand::Close(a) => (&a.place, a.json, &a.key),
        LineCommand::Nominate(a) => (&a.place, a.json, &a.key),
        LineCommand::Consent(a) => (&a.place, a.json, &a.key),
        LineCommand::Resign(a) | LineCommand::StepDown(a) => (&a.place, false, &a.key),
    }
}

/// Parses a batch file's text into its lines; `default_key` signs the lines
/// without a `--key`. Reads nothing but the text.
fn parse(text: &str, default_key: Option<&Path>) -> Result<Vec<Line>, LineError> {
    let mut lines = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let number = i + 1;
        let refuse = |reason: String| LineError { number, reason };
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if lines.len() == MAX_BATCH_ACTIONS {
            return Err(refuse(format!(
                "more than {MAX_BATCH_ACTIONS} actions in one batch: split the file"
            )));
        }
        let mut words = shlex::split(trimmed).ok_or_else(|| {
            refuse("a quote is not closed (or the line ends in a lone \\)".into())
        })?;
        let has_key = words
            .iter()
            .take_while(|w| *w != "--")
            .any(|w| w == "--key" || w.starts_with("--key="));
        if !has_key {
            let key = default_key.ok_or_else(|| {
                refuse("no --key on the line, and none given to `erkin batch` (--key FILE)".into())
            })?;
            let at = 1.min(words.len());
            words.insert(at, "--key".into());
            words.insert(at + 1, key.to_string_lossy().into_owned());
        }
        let parsed = BatchLine::try_parse_from(&words).map_err(|e| {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("not a command");
            refuse(first.trim_start_matches("error: ").to_string())
        })?;
        let (place, json, key) = parts(&parsed.command);
        if place.dir.is_some() || place.server.is_some() {
            return Err(refuse(
                "--dir and --server are given to `erkin batch`, for the whole file".into(),
            ));
        }
        if json {
            return Err(refuse(
                "--json is given to `erkin batch`, for the whole file".into(),
            ));
        }
        let key = key.to_path_buf();
        lines.push(Line {
            number,
            key,
            command: parsed.command,
        });
    }
    Ok(lines)
}

/// Why a batch casts no secret ballot.
const SECRET_ALONE: &str = "a secret ballot is cast alone, with `erkin vote P CHOICE --ballot-key FILE`, never in a batch of signed entries (sent with them, it could be linked to you)";

/// What can be checked of a line without a key or the publication: the
/// files it names are articles (or a charter), its ballot is one, a new
/// member's key is one.
fn check(command: &LineCommand) -> Result<()> {
    match command {
        LineCommand::Publish(a) => {
            articles::read_article(&a.file)?;
        }
        LineCommand::Correct(a) => {
            let article = articles::read_article(&a.file)?;
            if a.note.is_none() && article.front.correction.is_none() {
                bail!(
                    "a correction needs a public note: --note \"An earlier version misstated ...\""
                );
            }
        }
        LineCommand::Vote(a) => {
            if a.ballot_key.is_some()
                || a.proxy.is_some()
                || a.receipt.is_some()
                || a.ballot_server.is_some()
            {
                bail!("{SECRET_ALONE}");
            }
            govern::ballot(a.choice.as_deref(), a.rank.clone())?;
        }
        LineCommand::Propose(a) => match &a.motion {
            MotionArgs::Admit { member_key } => {
                VerifierKey::parse(member_key).context("the new member's key")?;
            }
            MotionArgs::Amend { charter } => {
                govern::read_charter(charter)?;
            }
            _ => {}
        },
        _ => {}
    }
    Ok(())
}

/// The action a line stands for, built on the publication's state
/// (uploading an article's body and images).
fn build(desk: &Desk, command: LineCommand) -> Result<Action> {
    Ok(match command {
        LineCommand::Statement(a) => Action::Statement(Statement { text: a.text }),
        LineCommand::Publish(a) => {
            articles::publish_action(desk, &articles::read_article(&a.file)?)?
        }
        LineCommand::Correct(a) => articles::correction(desk, &a)?,
        LineCommand::Propose(a) => govern::propose_action(desk.state(), a)?,
        LineCommand::Vote(a) => {
            if desk
                .state()
                .proposal(a.proposal)
                .is_some_and(|p| p.secret.is_some())
            {
                bail!(
                    "proposal #{} is decided by secret ballot: {SECRET_ALONE}",
                    a.proposal
                );
            }
            Action::Vote(Vote {
                proposal: a.proposal,
                ballot: govern::ballot(a.choice.as_deref(), a.rank)?,
            })
        }
        LineCommand::Close(a) => Action::Close(Close {
            proposal: a.proposal,
            salts: Vec::new(),
        }),
        LineCommand::Nominate(a) => Action::Nominate(Nominate {
            proposal: a.proposal,
            handle: a.handle,
        }),
        LineCommand::Consent(a) => Action::Consent(Consent {
            proposal: a.proposal,
        }),
        LineCommand::Resign(_) => Action::Resign(Resign {}),
        LineCommand::StepDown(_) => Action::StepDown(StepDown {}),
    })
}

/// The batch file's name (for messages) and text.
fn read(file: &Path) -> Result<(String, String)> {
    let (name, mut reader): (String, Box<dyn std::io::Read>) = if file == Path::new("-") {
        ("standard input".into(), Box::new(std::io::stdin()))
    } else {
        let f = std::fs::File::open(file).with_context(|| format!("reading {}", file.display()))?;
        (file.display().to_string(), Box::new(f))
    };
    let mut bytes = Vec::new();
    reader
        .by_ref()
        .take(MAX_BATCH_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {name}"))?;
    if bytes.len() as u64 > MAX_BATCH_BYTES {
        bail!(
            "{name}: more than {} MiB: split the file",
            MAX_BATCH_BYTES / 1024 / 1024
        );
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "{name}: not UTF-8 text (byte {}); nothing was submitted",
            e.utf8_error().valid_up_to()
        )
    })?;
    Ok((name, text))
}

/// What landed before a refusal, in words.
fn landed_words(landed: &[Recorded], total: usize) -> String {
    let after = total - landed.len() - 1;
    let before = match (landed.first(), landed.last()) {
        (Some(first), _) if landed.len() == 1 => format!(
            "1 of {total} actions landed before it (line {}, entry {})",
            first.line, first.index
        ),
        (Some(first), Some(last)) => format!(
            "{} of {total} actions landed before it (lines {} to {}, entries {} to {})",
            landed.len(),
            first.line,
            last.line,
            first.index,
            last.index
        ),
        _ => "nothing landed before it".to_string(),
    };
    match after {
        0 => before,
        1 => format!("{before}; the 1 after it was not submitted"),
        _ => format!("{before}; the {after} after it were not submitted"),
    }
}

/// One entry `batch --json` reports.
#[derive(Debug, Serialize)]
struct Recorded {
    /// The line of the batch file.
    line: usize,
    command: &'static str,
    /// The entry's index in the log.
    index: u64,
}

/// What `batch --json` prints.
#[derive(Serialize)]
struct Batched<'a> {
    entries: &'a [Recorded],
}

pub fn run(place: &Place, args: &BatchArgs) -> Result<u8> {
    let (name, text) = read(&args.file)?;
    let lines = parse(&text, args.key.as_deref())
        .map_err(|e| anyhow!("{name}, {e}; nothing was submitted"))?;
    if lines.is_empty() {
        bail!("{name}: no actions (only blank lines and # comments); nothing was submitted");
    }
    for line in &lines {
        check(&line.command).with_context(|| {
            format!(
                "{name}, line {} ({}); nothing was submitted",
                line.number,
                word(&line.command)
            )
        })?;
    }
    let mut desk = Desk::open(place)?;
    // Each key file once, however many lines it signs.
    let mut keys: Vec<SecretKey> = Vec::new();
    let mut key_of: HashMap<PathBuf, usize> = HashMap::new();
    let mut signer = Vec::with_capacity(lines.len());
    for line in &lines {
        let same = std::fs::canonicalize(&line.key).unwrap_or_else(|_| line.key.clone());
        let i = match key_of.get(&same) {
            Some(&i) => i,
            None => {
                let what = format!("the member key of line {}", line.number);
                keys.push(secret::open_key(&line.key, &what)?);
                key_of.insert(same, keys.len() - 1);
                keys.len() - 1
            }
        };
        signer.push(i);
    }
    // Every action is built (bodies and images uploaded) before any is
    // submitted.
    let actions: Vec<(usize, &'static str, usize)> = lines
        .iter()
        .zip(&signer)
        .map(|(line, &k)| (line.number, word(&line.command), k))
        .collect();
    let mut built = Vec::with_capacity(lines.len());
    for (line, &k) in lines.into_iter().zip(&signer) {
        desk.set_uploader(&keys[k]);
        let (number, command) = (line.number, word(&line.command));
        built.push(build(&desk, line.command).with_context(|| {
            format!("{name}, line {number} ({command}); nothing was submitted")
        })?);
    }
    let total = built.len();
    let mut landed: Vec<Recorded> = Vec::with_capacity(total);
    for ((line, command, k), action) in actions.into_iter().zip(built) {
        let outcome = desk.sign_and_submit(&keys[k], &[action]).with_context(|| {
            format!(
                "{name}, line {line} ({command}): {}",
                landed_words(&landed, total)
            )
        })?;
        match outcome.into_iter().next() {
            Some(Ok(index)) => landed.push(Recorded {
                line,
                command,
                index,
            }),
            Some(Err(refused)) => bail!(
                "{name}, line {line} ({command}): the publication refused it: {refused}; {}",
                landed_words(&landed, total)
            ),
            None => bail!("{name}, line {line} ({command}): the publication returned no result"),
        }
    }
    if args.json {
        print_json(&Batched { entries: &landed })?;
    } else {
        for r in &landed {
            outln!("{}", r.index);
        }
        let (first, last) = (landed[0].index, landed[total - 1].index);
        eprintln!("Recorded {total} actions from {name} as entries {first} to {last}.");
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> LineError {
        parse(text, Some(Path::new("me.key"))).unwrap_err()
    }

    #[test]
    fn lines_are_commands_with_the_batch_key_unless_their_own() {
        let lines = parse(
            "# the morning's work\n\nstatement \"a, b and c\"\nvote 12 yes --key other.key\n  publish a.md\npropose --title T resolution \"do it\"\nstep-down\n",
            Some(Path::new("me.key")),
        )
        .unwrap();
        let seen: Vec<(usize, &str, &Path)> = lines
            .iter()
            .map(|l| (l.number, word(&l.command), l.key.as_path()))
            .collect();
        assert_eq!(
            seen,
            [
                (3, "statement", Path::new("me.key")),
                (4, "vote", Path::new("other.key")),
                (5, "publish", Path::new("me.key")),
                (6, "propose", Path::new("me.key")),
                (7, "step-down", Path::new("me.key")),
            ]
        );
        match &lines[0].command {
            LineCommand::Statement(a) => assert_eq!(a.text, "a, b and c"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_lines_are_named_by_number() {
        let e = refused("statement ok\nstatement \"not closed\n");
        assert_eq!(e.number, 2);
        assert!(e.reason.contains("quote is not closed"), "{e}");

        let e = refused("statement ok\n\n# fine\nfrobnicate 1\n");
        assert_eq!(e.number, 4);
        assert!(e.reason.contains("frobnicate"), "{e}");

        let e = refused("vote 12 yes --colour red\n");
        assert_eq!(e.number, 1);
        assert!(e.reason.contains("--colour"), "{e}");

        let e = refused("vote twelve yes\n");
        assert!(e.reason.contains("twelve"), "{e}");

        let e = refused("statement a\nstatement b --dir elsewhere\n");
        assert_eq!(
            e,
            LineError {
                number: 2,
                reason: "--dir and --server are given to `erkin batch`, for the whole file".into()
            }
        );
        let e = refused("close 3 --json\n");
        assert!(e.reason.contains("--json is given to `erkin batch`"), "{e}");

        // Commands that do not sign one entry are not batch lines.
        let e = refused("import articles/\n");
        assert!(e.reason.contains("import"), "{e}");
        let e = refused("rotate-key --new k2\n");
        assert!(e.reason.contains("rotate-key"), "{e}");

        let e = parse("statement hi\n", None).unwrap_err();
        assert_eq!(e.number, 1);
        assert!(e.reason.contains("no --key"), "{e}");
    }

    #[test]
    fn a_batch_is_bounded() {
        let text = "statement x\n".repeat(MAX_BATCH_ACTIONS + 1);
        let e = refused(&text);
        assert_eq!(e.number, MAX_BATCH_ACTIONS + 1);
        assert!(e.reason.contains("split the file"), "{e}");
        assert_eq!(
            parse(
                &"statement x\n".repeat(MAX_BATCH_ACTIONS),
                Some(Path::new("k"))
            )
            .unwrap()
            .len(),
            MAX_BATCH_ACTIONS
        );
    }

    #[test]
    fn what_landed_before_a_refusal() {
        let r = |line, index| Recorded {
            line,
            command: "statement",
            index,
        };
        assert_eq!(landed_words(&[], 1), "nothing landed before it");
        assert_eq!(
            landed_words(&[], 3),
            "nothing landed before it; the 2 after it were not submitted"
        );
        assert_eq!(
            landed_words(&[r(2, 7)], 2),
            "1 of 2 actions landed before it (line 2, entry 7)"
        );
        assert_eq!(
            landed_words(&[r(1, 7), r(3, 9)], 4),
            "2 of 4 actions landed before it (lines 1 to 3, entries 7 to 9); the 1 after it was not submitted"
        );
    }
}
