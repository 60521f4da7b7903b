//! Export: incremental, checkpoint-last, and never over another copy.

use erkin_core::action::{Action, Charter, Statement};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_export::{export, ExportError};
use erkin_store::Publication;

const T0: u64 = 1_790_000_000;

fn publication(dir: &std::path::Path, origin: &str) -> (Publication, SecretKey, SecretKey) {
    let log = SecretKey::generate(&mut rand_core::OsRng, origin).unwrap();
    let member = SecretKey::generate(&mut rand_core::OsRng, "saule").unwrap();
    let p = Publication::found(
        dir,
        "Export test",
        &log,
        &[member.verifier_key().clone()],
        Charter::default(),
        T0,
    )
    .unwrap();
    (p, log, member)
}

fn add(p: &mut Publication, log: &SecretKey, member: &SecretKey, n: u64) {
    let entries: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let body = EntryBody {
                time: T0,
                action: Action::Statement(Statement {
                    text: format!("s{} {i}", p.state().size()),
                }),
            };
            p.sign(&body, member).unwrap()
        })
        .collect();
    p.submit(&entries, T0, log).unwrap();
}

#[test]
fn export_is_incremental_and_deterministic() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, log, member) = publication(&tmp.path().join("d"), "export.example/a");
    add(&mut p, &log, &member, 300);
    let out = tmp.path().join("out");
    let first = export(&p, &out).unwrap();
    assert_eq!(first.unchanged, 0);
    // Nothing changed: nothing is rewritten.
    assert_eq!(export(&p, &out).unwrap().written, 0);
    // 301 entries -> 302: the new partial level-0 tile and bundle (.p/46)
    // and the checkpoint are written; level 1 (tile/1/000.p/1, which only
    // covers the full level-0 tile) and erkin.json are unchanged. The site
    // rewrites only the pages that show the new statement: per section the
    // statements list's index, its newest numbered page (new: the 301st
    // statement starts one) and the one before it, and the pages that show
    // a member's latest statements.
    add(&mut p, &log, &member, 1);
    let one = export(&p, &out).unwrap().written;
    // A second export directory gets byte-identical files.
    let again = tmp.path().join("again");
    export(&p, &again).unwrap();
    for rel in [
        "checkpoint",
        "erkin.json",
        "tile/0/000",
        "tile/0/001.p/46",
        "tile/entries/001.p/46",
    ] {
        assert_eq!(
            std::fs::read(out.join(rel)).unwrap(),
            std::fs::read(again.join(rel)).unwrap(),
            "{rel}"
        );
    }
    // The same change at twice the archive (the 601st statement, again the
    // first of a new numbered page, again one partial tile) costs the same:
    // no list page is re-numbered as the archive grows.
    add(&mut p, &log, &member, 299);
    export(&p, &out).unwrap();
    add(&mut p, &log, &member, 1);
    assert_eq!(export(&p, &out).unwrap().written, one);
    assert!(one < 30, "{one} files for one statement");
}

#[test]
fn export_refuses_another_publications_copy_and_rollback() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut a, log, member) = publication(&tmp.path().join("a"), "export.example/a");
    let (b, _, _) = publication(&tmp.path().join("b"), "export.example/a");
    let out = tmp.path().join("out");
    export(&b, &out).unwrap();
    assert!(matches!(export(&a, &out), Err(ExportError::ForeignCopy(_))));

    let out = tmp.path().join("out2");
    add(&mut a, &log, &member, 5);
    export(&a, &out).unwrap();
    // An older backup of the same publication must not roll readers back.
    let backup = tmp.path().join("backup");
    std::fs::create_dir_all(&backup).unwrap();
    let a_dir = tmp.path().join("a");
    drop(a);
    // Take the backup at size 6, then grow the original to 8 and export it.
    copy_dir(&a_dir, &backup);
    let mut a = Publication::open(&a_dir).unwrap();
    add(&mut a, &log, &member, 2);
    export(&a, &out).unwrap();
    let backup_pub = Publication::open(&backup).unwrap();
    match export(&backup_pub, &out) {
        Err(ExportError::Rollback {
            theirs: 8, ours: 6, ..
        }) => {}
        other => panic!("expected a rollback refusal, got {other:?}"),
    }
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// A copy missing a blob the log names is reported incomplete (and its
/// state is still the log's); a blob the members redacted is not missed.
#[test]
fn verify_reports_a_missing_article_body() {
    use erkin_core::action::Publish;
    use erkin_core::verify::{verify_copy, Finding};
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, log, member) = publication(&tmp.path().join("d"), "export.example/a");
    let id = p.put_blob(b"The body of the story.", 1 << 20).unwrap();
    let action = Action::Publish(Publish {
        slug: "story".into(),
        lang: "en".into(),
        title: "A story".into(),
        summary: "Summary".into(),
        authors: vec!["saule".into()],
        bylines: vec![],
        tags: vec![],
        body: id.to_string(),
        media: vec![],
        translation_of: None,
        first_published: None,
    });
    let entry = p.sign(&EntryBody { time: T0, action }, &member).unwrap();
    assert!(p.submit(&[entry], T0, &log).unwrap().results[0].is_ok());
    // A blob nobody's entry names is stored but never published.
    let stray = p.put_blob(b"uploaded, never used", 1 << 20).unwrap();
    let out = tmp.path().join("out");
    export(&p, &out).unwrap();
    assert!(out.join(format!("blob/{id}")).is_file());
    assert!(!out.join(format!("blob/{stray}")).exists());
    let key = log.verifier_key();
    let copy = erkin_export::DirCopy::new(&out);
    let report = verify_copy(&copy, key, 1 << 20, &mut |_, _| {}).unwrap();
    assert!(report.is_ok(), "{:?}", report.findings);
    std::fs::remove_file(out.join(format!("blob/{id}"))).unwrap();
    let report = verify_copy(&copy, key, 1 << 20, &mut |_, _| {}).unwrap();
    assert_eq!(
        report.findings,
        [Finding::Missing {
            path: format!("blob/{id}")
        }]
    );
    assert!(
        report.state.is_some(),
        "a missing blob does not unsettle the state"
    );
}
