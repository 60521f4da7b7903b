//! `erkin demo`: found a small demo publication, export it and verify it,
//! and print how to look around: commands naming the binary that ran and the
//! address the demo serves (`commands::run_demo` decides where and serves).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use erkin_core::action::{
    Action, Ballot, Charter, Close, Consent, Motion, Nominate, Propose, Statement, Vote,
};
use erkin_core::blob::DEFAULT_MAX_BLOB_LEN;
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::verify::verify_copy;
use erkin_export::DirCopy;
use erkin_store::keyfile::write_key_file;
use erkin_store::{Publication, LOG_KEY_FILE};

use crate::exit;
use crate::govern::DEADLINE_SLACK;
use crate::term::{now, outln, shell_word};

/// Demo keys are encrypted like real ones, with a passphrase everyone knows,
/// and a low scrypt cost so the demo starts quickly. Never use them for real.
pub const DEMO_PASSPHRASE: &str = "erkin-demo-passphrase";
const DEMO_WORK_FACTOR: u8 = 12;

/// The demo's articles, correction and retraction, embedded so `erkin demo`
/// works from the binary alone. Original texts written for the demo.
const DEMO_FILES: &[(&str, &[u8])] = &[
    (
        "articles/01-chto-takoe-redaktsiya-kooperativ.md",
        include_bytes!("../demo/articles/01-chto-takoe-redaktsiya-kooperativ.md"),
    ),
    (
        "articles/02-kooperativ-redaktsiia-degenimiz-ne.md",
        include_bytes!("../demo/articles/02-kooperativ-redaktsiia-degenimiz-ne.md"),
    ),
    (
        "articles/03-what-is-a-cooperative-newsroom.md",
        include_bytes!("../demo/articles/03-what-is-a-cooperative-newsroom.md"),
    ),
    (
        "articles/04-sait-bugattalsa-bizdi-qalai-oquga-bolady.md",
        include_bytes!("../demo/articles/04-sait-bugattalsa-bizdi-qalai-oquga-bolady.md"),
    ),
    (
        "articles/05-zamok-v-adresnoi-stroke-eshche-ne-garantiya.md",
        include_bytes!("../demo/articles/05-zamok-v-adresnoi-stroke-eshche-ne-garantiya.md"),
    ),
    (
        "articles/06-nege-ar-maqalaga-qol-qoiylady.md",
        include_bytes!("../demo/articles/06-nege-ar-maqalaga-qol-qoiylady.md"),
    ),
    (
        "articles/07-pochemu-kazhdaya-statya-podpisana.md",
        include_bytes!("../demo/articles/07-pochemu-kazhdaya-statya-podpisana.md"),
    ),
    (
        "articles/08-why-every-article-is-signed.md",
        include_bytes!("../demo/articles/08-why-every-article-is-signed.md"),
    ),
    (
        "articles/09-how-to-verify-a-copy-of-our-archive.md",
        include_bytes!("../demo/articles/09-how-to-verify-a-copy-of-our-archive.md"),
    ),
    (
        "articles/10-chitatel-v-demokente-otklyuchili-mobilnyi-internet.md",
        include_bytes!("../demo/articles/10-chitatel-v-demokente-otklyuchili-mobilnyi-internet.md"),
    ),
    (
        "articles/11-demokent-council-raises-water-tariff.md",
        include_bytes!("../demo/articles/11-demokent-council-raises-water-tariff.md"),
    ),
    (
        "articles/12-derekkozderimizdi-qalai-qorgaimyz.md",
        include_bytes!("../demo/articles/12-derekkozderimizdi-qalai-qorgaimyz.md"),
    ),
    (
        "articles/media/mirror-diagram.png",
        include_bytes!("../demo/articles/media/mirror-diagram.png"),
    ),
    (
        "corrections/demokent-council-raises-water-tariff.md",
        include_bytes!("../demo/corrections/demokent-council-raises-water-tariff.md"),
    ),
    ("retraction.txt", include_bytes!("../demo/retraction.txt")),
];

const STATEMENTS: &[(&str, &str)] = &[
    ("aigerim", "Біз — тәуелсіз басылымбыз. Әр мақала қол қойылған журналда сақталады, оны ешкім үнсіз өзгерте алмайды."),
    ("dauren", "Мы — кооператив: один член, один голос. Ни владелец, ни редактор в одиночку не может удалить архив."),
    ("saule", "Every copy of this publication proves itself: readers check the log's signature, not the server that sent it."),
    ("aigerim", "Оқырман бақыланбайды: бөгде сұраулар жоқ, cookie жоқ, JavaScript қажет емес."),
];

/// A proposal closing `hours` from now, and a minute more: the sequencer
/// records it at its own clock's second, which may be later than this one,
/// and a charter's minimum runs from that log time
/// ([`crate::govern::DEADLINE_SLACK`], as `erkin propose` does).
fn propose(title: &str, hours: u64, motion: Motion) -> Action {
    Action::Propose(Propose {
        title: title.to_string(),
        closes_at: now() + hours * 3600 + DEADLINE_SLACK,
        motion,
    })
}

/// Signs and submits one action; returns its log index.
fn act(
    p: &mut Publication,
    log_key: &SecretKey,
    member: &SecretKey,
    action: Action,
) -> Result<u64> {
    let entry = p.sign(
        &EntryBody {
            time: now(),
            action,
        },
        member,
    )?;
    let outcome = p.submit(&[entry], now(), log_key)?;
    match outcome.results.into_iter().next() {
        Some(Ok(index)) => Ok(index),
        Some(Err(r)) => anyhow::bail!("a demo action was refused: {r}"),
        None => anyhow::bail!("no result"),
    }
}

/// Where the demo's hints send the reader.
pub struct Hints {
    /// The address it serves at (or would, with `--no-serve`).
    pub listen: SocketAddr,
    /// Whether the demo is about to serve.
    pub serving: bool,
    /// Whether the demo's directory is removed when the demo exits.
    pub temporary: bool,
}

/// The URL a browser on this machine reaches `addr` at: an unspecified
/// address (0.0.0.0, ::) is reached through loopback.
pub fn url_of(addr: SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}/")
}

/// How to run this very binary from a shell: `erkin` when that is what
/// `PATH` finds, else its full path (after `cargo run`, erkin is not on
/// `PATH`).
fn this_binary() -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "erkin".to_string();
    };
    let exe = exe.canonicalize().unwrap_or(exe);
    let on_path = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            dir.join("erkin")
                .canonicalize()
                .is_ok_and(|found| found == exe)
        })
    });
    if on_path {
        "erkin".to_string()
    } else {
        shell_word(&exe.display().to_string())
    }
}

/// Builds the demo in `root` and prints what it made and how to look
/// around; returns its data directory and the exit code so far.
pub fn run(root: &Path, hints: &Hints) -> Result<(PathBuf, u8)> {
    let data = root.join("data");
    let site = root.join("site");
    let keys = root.join("keys");
    std::fs::create_dir_all(&keys).with_context(|| format!("creating {}", keys.display()))?;

    eprintln!("Founding a demo cooperative in {} ...", root.display());
    let mut members = Vec::new();
    for handle in ["aigerim", "dauren", "saule"] {
        let key = SecretKey::generate(&mut rand_core::OsRng, handle)?;
        write_key_file(
            &keys.join(format!("{handle}.key.age")),
            &key,
            DEMO_PASSPHRASE,
            Some(DEMO_WORK_FACTOR),
        )?;
        members.push(key);
    }
    let log_key = SecretKey::generate(&mut rand_core::OsRng, "demo.erkin.example/habar")?;
    let founders: Vec<_> = members.iter().map(|k| k.verifier_key().clone()).collect();
    let mut publication = Publication::found(
        &data,
        "Erkin Habar (demo)",
        &log_key,
        &founders,
        Charter::default(),
        now(),
    )?;
    write_key_file(
        &data.join(LOG_KEY_FILE),
        &log_key,
        DEMO_PASSPHRASE,
        Some(DEMO_WORK_FACTOR),
    )?;

    let mut entries = Vec::new();
    for (handle, text) in STATEMENTS {
        let key = members
            .iter()
            .find(|k| k.name() == *handle)
            .expect("demo handles exist");
        let body = EntryBody {
            time: now(),
            action: Action::Statement(Statement {
                text: text.to_string(),
            }),
        };
        entries.push(publication.sign(&body, key)?);
    }
    let outcome = publication.submit(&entries, now(), &log_key)?;
    for r in outcome.results {
        r.context("a demo statement was refused")?;
    }

    // Governance: the founders admit a fourth member (everyone votes, so it
    // may close before its deadline), then open a board election.
    let nurlan = SecretKey::generate(&mut rand_core::OsRng, "nurlan")?;
    write_key_file(
        &keys.join("nurlan.key.age"),
        &nurlan,
        DEMO_PASSPHRASE,
        Some(DEMO_WORK_FACTOR),
    )?;
    let admit = act(
        &mut publication,
        &log_key,
        &members[0],
        propose(
            "Admit Nurlan",
            72,
            Motion::Admit {
                key: nurlan.verifier_key().to_string(),
            },
        ),
    )?;
    for m in &members {
        act(
            &mut publication,
            &log_key,
            m,
            Action::Vote(Vote {
                proposal: admit,
                ballot: Ballot::Yes,
            }),
        )?;
    }
    act(
        &mut publication,
        &log_key,
        &members[1],
        Action::Close(Close {
            proposal: admit,
            salts: Vec::new(),
        }),
    )?;
    members.push(nurlan);
    // The board election opens for nominations: two members stand, one
    // nominates the newcomer, who consents. Ballots are cast once the
    // nomination deadline (three days of log time) has passed, so the
    // founders stay the board in the demo.
    let charter = publication.state().charter().clone();
    let nominations_close =
        now() + u64::from(charter.elect.nomination_hours) * 3600 + DEADLINE_SLACK;
    let elect = act(
        &mut publication,
        &log_key,
        &members[2],
        Action::Propose(Propose {
            title: "Editorial board 2027".to_string(),
            closes_at: nominations_close + u64::from(charter.elect.min_hours) * 3600,
            motion: Motion::Elect {
                seats: charter.board.seats,
                nominations_close,
            },
        }),
    )?;
    let by_name = |name: &str| {
        members
            .iter()
            .find(|k| k.name() == name)
            .expect("demo handles exist")
            .clone()
    };
    for (by, handle) in [
        ("saule", "saule"),
        ("aigerim", "aigerim"),
        ("dauren", "nurlan"),
    ] {
        act(
            &mut publication,
            &log_key,
            &by_name(by),
            Action::Nominate(Nominate {
                proposal: elect,
                handle: handle.to_string(),
            }),
        )?;
    }
    act(
        &mut publication,
        &log_key,
        &by_name("nurlan"),
        Action::Consent(Consent { proposal: elect }),
    )?;

    // The board publishes: the demo articles in kk, ru and en, then a
    // correction, then the members vote to retract one article.
    let source = root.join("source");
    for (rel, text) in DEMO_FILES {
        let path = source.join(rel);
        std::fs::create_dir_all(path.parent().expect("relative paths have parents"))?;
        std::fs::write(&path, text)?;
    }
    let editor = members
        .iter()
        .find(|m| publication.state().is_editor(m.name(), now()))
        .context("the demo has no editor")?
        .clone();
    let mut desk = crate::desk::Desk::with_log_key(publication, log_key.clone());
    let files = crate::articles::import_order(&source.join("articles"))?;
    crate::articles::import_files(&mut desk, &editor, &files)?;
    let corrected = crate::articles::read_article(
        &source.join("corrections/demokent-council-raises-water-tariff.md"),
    )?;
    let slug = corrected.front.slug.clone();
    let correction = crate::articles::correct_action(&desk, &slug, &corrected, None, false)?;
    crate::articles::submit_actions(
        &mut desk,
        &editor,
        vec![(corrected.path.clone(), correction)],
    )?;
    let mut publication = desk.into_publication().context("the demo works locally")?;
    let retraction = std::fs::read_to_string(source.join("retraction.txt"))?;
    let mut lines = retraction.lines();
    let (article, reason) = (
        lines.next().unwrap_or_default().trim(),
        lines.next().unwrap_or_default().trim(),
    );
    let retract = act(
        &mut publication,
        &log_key,
        &members[0],
        propose(
            "Retract an unverified report",
            72,
            Motion::Retract {
                article: article.to_string(),
                reason: reason.to_string(),
            },
        ),
    )?;
    for m in &members {
        act(
            &mut publication,
            &log_key,
            m,
            Action::Vote(Vote {
                proposal: retract,
                ballot: Ballot::Yes,
            }),
        )?;
    }
    act(
        &mut publication,
        &log_key,
        &members[1],
        Action::Close(Close {
            proposal: retract,
            salts: Vec::new(),
        }),
    )?;

    let stats = erkin_export::export(&publication, &site)?;
    let report = verify_copy(
        &DirCopy::new(&site),
        log_key.verifier_key(),
        DEFAULT_MAX_BLOB_LEN,
        &mut |_, _| {},
    )?;
    let vkey = log_key.verifier_key();
    outln!("Demo publication: {}", publication.state().name());
    outln!("  data directory  {}", data.display());
    outln!(
        "  static copy     {} ({} files)",
        site.display(),
        stats.written
    );
    outln!(
        "  member keys     {} (passphrase: {DEMO_PASSPHRASE})",
        keys.display()
    );
    outln!("  verifier key    {vkey}");
    outln!(
        "  verification    {} entries, {} tiles: {}",
        report.entries_checked,
        report.tiles_checked,
        if report.is_ok() { "OK" } else { "FAILED" }
    );
    let bin = this_binary();
    let d = shell_word(&data.display().to_string());
    let url = url_of(hints.listen);
    outln!("");
    if hints.temporary {
        outln!(
            "The demo is in a temporary directory, removed when it {}; \
             run `{bin} demo --dir DIR` to keep one.",
            if hints.serving {
                "stops (Ctrl-C)"
            } else {
                "exits"
            }
        );
        if !hints.serving {
            // Nothing below would still be there to look at.
            let code = if report.is_ok() {
                exit::SUCCESS
            } else {
                exit::VERIFY_FAILED
            };
            return Ok((data, code));
        }
    }
    outln!("Look around:");
    outln!("  {bin} log --dir {d}");
    outln!("  {bin} proposals --dir {d}");
    outln!("  {bin} tally {elect} --dir {d}");
    outln!("  {bin} board --dir {d}");
    outln!(
        "  {bin} verify {} --key {vkey}",
        shell_word(&site.display().to_string())
    );
    if !hints.serving {
        outln!(
            "  ERKIN_PASSPHRASE={DEMO_PASSPHRASE} {bin} serve --dir {d} --sequence --listen {}",
            hints.listen
        );
    }
    outln!("");
    outln!(
        "While it serves at {url}, act as a member from elsewhere, mirror it, or carry it offline:"
    );
    outln!(
        "  ERKIN_PASSPHRASE={DEMO_PASSPHRASE} {bin} statement --server {url} --dir my-copy --key {} \"Hello from afar\"",
        shell_word(&keys.join("saule.key.age").display().to_string())
    );
    outln!("  {bin} mirror {url} --into mirror --key {vkey}");
    outln!("  {bin} bundle --dir mirror demo.tar.gz");
    let code = if report.is_ok() {
        exit::SUCCESS
    } else {
        exit::VERIFY_FAILED
    };
    Ok((data, code))
}
