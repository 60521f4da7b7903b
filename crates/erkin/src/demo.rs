//! `erkin demo`: found a small demo publication, export it and verify it.
//!
//! Until the reader website and server exist, this is honest about what it
//! does: it writes the log part of a copy and checks it, and prints how to look.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use erkin_core::action::{Action, Charter, Statement};
use erkin_core::blob::DEFAULT_MAX_BLOB_LEN;
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::verify::verify_copy;
use erkin_export::DirCopy;
use erkin_store::keyfile::write_key_file;
use erkin_store::{Publication, LOG_KEY_FILE};

use crate::commands::now;
use crate::outln;

/// Demo keys are encrypted like real ones, with a passphrase everyone knows,
/// and a low scrypt cost so the demo starts quickly. Never use them for real.
const DEMO_PASSPHRASE: &str = "erkin-demo-passphrase";
const DEMO_WORK_FACTOR: u8 = 12;

const STATEMENTS: &[(&str, &str)] = &[
    ("aigerim", "Біз — тәуелсіз басылымбыз. Әр мақала қол қойылған журналда сақталады, оны ешкім үнсіз өзгерте алмайды."),
    ("dauren", "Мы — кооператив: один член, один голос. Ни владелец, ни редактор в одиночку не может удалить архив."),
    ("saule", "Every copy of this publication proves itself: readers check the log's signature, not the server that sent it."),
    ("aigerim", "Оқырман бақыланбайды: бөгде сұраулар жоқ, cookie жоқ, JavaScript қажет емес."),
];

pub fn run(into: Option<&Path>) -> Result<u8> {
    let root: PathBuf = match into {
        Some(p) => p.to_path_buf(),
        None => std::env::temp_dir().join(format!("erkin-demo-{}-{}", std::process::id(), now())),
    };
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
    outln!("");
    outln!("Look around:");
    outln!("  erkin --dir {} log", data.display());
    outln!("  erkin verify {} --key {vkey}", site.display());
    outln!("The reader website and `erkin serve` are not built yet; this demo founds, exports and verifies the log.");
    Ok(if report.is_ok() {
        0
    } else {
        crate::exit::VERIFY_FAILED
    })
}
