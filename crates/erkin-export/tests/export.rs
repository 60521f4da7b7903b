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

/// Every file below `dir` (relative path, bytes), sorted.
fn tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

/// A fresh export writes its pages and blobs straight to their names, with
/// no temporary file. Should it be cut short (files half written, the
/// manifest not yet written), the next export must find and replace every
/// wrong file — a half blob too, which a mere "is it there" would keep —
/// and leave exactly what an export into an empty folder leaves.
#[test]
fn an_export_cut_short_is_made_whole_by_the_next() {
    use erkin_core::action::Publish;
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, log, member) = publication(&tmp.path().join("d"), "export.example/a");
    let mut entries = Vec::new();
    let mut ids = Vec::new();
    for i in 0..40 {
        let text = format!("The body of story {i}, long enough to be cut in half.");
        let id = p.put_blob(text.as_bytes(), 1 << 20).unwrap();
        ids.push(id);
        let action = Action::Publish(Publish {
            slug: format!("story-{i}"),
            lang: "en".into(),
            title: format!("Story {i}"),
            summary: "Summary".into(),
            authors: vec!["saule".into()],
            bylines: vec![],
            tags: vec!["news".into()],
            body: id.to_string(),
            media: vec![],
            translation_of: None,
            first_published: None,
        });
        entries.push(p.sign(&EntryBody { time: T0, action }, &member).unwrap());
    }
    let results = p.submit(&entries, T0, &log).unwrap().results;
    assert!(results.iter().all(|r| r.is_ok()));
    let reference = tmp.path().join("reference");
    let stats = export(&p, &reference).unwrap();
    assert_eq!((stats.unchanged, stats.deleted), (0, 0));
    let files = tree(&reference);
    assert_eq!(
        stats.written,
        files.len() - 1,
        "every file but the manifest"
    );
    assert!(
        !files.iter().any(|(rel, _)| rel.ends_with(".tmp")),
        "no temporary file left"
    );

    // The same export, cut short: no manifest yet, a page and a blob half
    // written, another page not written at all.
    let out = tmp.path().join("out");
    export(&p, &out).unwrap();
    std::fs::remove_file(out.join(erkin_export::MANIFEST_FILE)).unwrap();
    let half = |rel: &str| {
        let path = out.join(rel);
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    };
    half("a/story-3/index.html");
    half(&format!("blob/{}", ids[7]));
    std::fs::remove_file(out.join("a/story-5/index.html")).unwrap();
    let again = export(&p, &out).unwrap();
    assert_eq!(again.written, 3, "{again:?}");
    assert_eq!(tree(&out), files);

    // A blob the manifest lists, cut short afterwards (by a power loss
    // before its data reached the disk after an export of the whole site,
    // say): a whole export checks every file, and its length gives it
    // away. (An export from the copy's size trusts its record: it reads
    // nothing per file of the archive, and fsyncs what it wrote before
    // recording it.)
    half(&format!("blob/{}", ids[9]));
    let again = erkin_export::export_whole(&p, &out, &mut |_| {}).unwrap();
    assert_eq!(again.written, 1, "{again:?}");
    assert_eq!(tree(&out), files);
    // And a file that is not the export's in the way of a new one is read
    // and replaced, not taken as is.
    std::fs::remove_file(out.join(erkin_export::MANIFEST_FILE)).unwrap();
    std::fs::write(out.join("a/story-8/index.html"), b"someone else's").unwrap();
    let again = export(&p, &out).unwrap();
    assert_eq!(again.written, 1, "{again:?}");
    assert_eq!(tree(&out), files);
}

/// An incremental export renames the log's new files and the checkpoint
/// into place and fsyncs their folders (and each folder made for them has
/// its own parent fsynced), so a power loss cannot leave a checkpoint whose
/// tiles are missing; the site's files are not. A whole export on Linux
/// instead syncs the filesystem once, just before the checkpoint, so the
/// only folder it fsyncs is the checkpoint's.
#[test]
fn an_export_syncs_the_folders_of_the_log_and_the_checkpoint_only() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, log, member) = publication(&tmp.path().join("d"), "export.example/a");
    add(&mut p, &log, &member, 300);
    let out = tmp.path().join("out");
    let before = erkin_export::dir_syncs();
    export(&p, &out).unwrap();
    let synced = erkin_export::dir_syncs() - before;
    // 301 entries: tile/0/000, tile/0/001.p/45, tile/1/000.p/1,
    // tile/entries/000, tile/entries/001.p/45 and the checkpoint.
    let log_files = tree(&out)
        .iter()
        .filter(|(rel, _)| rel.starts_with("tile/") || rel == "checkpoint")
        .count();
    assert_eq!(log_files, 6);
    if cfg!(target_os = "linux") {
        // The checkpoint's folder, after its rename.
        assert_eq!(synced, 1);
    } else {
        // Each renamed (6), and the folders tile, tile/0, tile/0/001.p,
        // tile/1, tile/1/000.p, tile/entries, tile/entries/001.p made (7).
        assert_eq!(synced, 6 + 7);
    }
    // 601 entries, incrementally: tile/0/001 (full), tile/0/002.p/89,
    // tile/1/000.p/2, tile/entries/001, tile/entries/002.p/89 and the
    // checkpoint, each renamed (6), and the folders tile/0/002.p and
    // tile/entries/002.p made (2).
    add(&mut p, &log, &member, 300);
    let before = erkin_export::dir_syncs();
    let stats = export(&p, &out).unwrap();
    assert!(stats.unchanged > 0, "{stats:?}");
    assert_eq!(erkin_export::dir_syncs() - before, 6 + 2);
}

/// Puts a folder, not empty, where `rel` goes in `out`, and checks that a
/// whole export by `writers` threads stops with the error of writing `rel`.
fn whole_export_fails_at(p: &Publication, out: &std::path::Path, writers: usize, rel: &str) {
    std::fs::create_dir_all(out.join(rel).join("in-the-way")).unwrap();
    match erkin_export::export_whole_with(p, out, &mut |_| {}, writers) {
        Err(ExportError::Io { path, .. }) => assert_eq!(path, out.join(rel), "{writers} writers"),
        other => panic!("{writers} writers: {other:?}"),
    }
}

/// A whole export syncs the filesystem before it writes the checkpoint
/// (Linux): when the checkpoint cannot be written (a folder, not empty,
/// is in its place), the sync has already happened and no tile was
/// fsynced one by one.
#[cfg(target_os = "linux")]
#[test]
fn a_whole_export_syncs_before_its_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, log, member) = publication(&tmp.path().join("d"), "export.example/a");
    add(&mut p, &log, &member, 300);
    for writers in [1, 4] {
        let out = tmp.path().join(format!("out-{writers}"));
        let (syncs, dirs) = (erkin_export::filesystem_syncs(), erkin_export::dir_syncs());
        whole_export_fails_at(&p, &out, writers, "checkpoint");
        assert_eq!(
            erkin_export::filesystem_syncs() - syncs,
            1,
            "{writers} writers"
        );
        assert_eq!(erkin_export::dir_syncs() - dirs, 0, "{writers} writers");
        assert!(out.join("tile/0/000").is_file());
    }
}

/// A whole export makes what it wrote durable (one syncfs on Linux) before
/// it writes the record the next export trusts; an export with nothing new
/// writes nothing and syncs nothing.
#[test]
fn a_whole_export_is_made_durable_before_its_record() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, log, member) = publication(&tmp.path().join("d"), "export.example/a");
    add(&mut p, &log, &member, 20);
    let out = tmp.path().join("out");
    let before = erkin_export::filesystem_syncs();
    export(&p, &out).unwrap();
    assert_eq!(erkin_export::filesystem_syncs() - before, 1);
    let again = export(&p, &out).unwrap();
    assert_eq!(again.written, 0, "{again:?}");
    assert_eq!(erkin_export::filesystem_syncs() - before, 1);
}

/// A page that cannot be written stops a whole export with that page's
/// error, whether one thread or several write, and the checkpoint (which
/// would tell readers the copy is complete) is not written.
#[test]
fn a_page_that_cannot_be_written_stops_the_export_before_its_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, log, member) = publication(&tmp.path().join("d"), "export.example/a");
    add(&mut p, &log, &member, 40);
    for writers in [1, 4] {
        let out = tmp.path().join(format!("out-{writers}"));
        whole_export_fails_at(&p, &out, writers, "index.html");
        assert!(!out.join("checkpoint").exists(), "{writers} writers");
        assert!(!out.join(erkin_export::MANIFEST_FILE).exists());
        // Out of the way, the next export completes the copy.
        std::fs::remove_dir_all(out.join("index.html")).unwrap();
        erkin_export::export_whole_with(&p, &out, &mut |_| {}, writers).unwrap();
        assert!(out.join("checkpoint").is_file());
    }
}
