//! A newsroom for the object-store tests: a publication founded with one
//! editor, and articles published into it. Shared by erkin-s3's suite and
//! the erkin binary's `s3_e2e` (included there by path, as `garage.rs` is).

use erkin_core::action::{Action, Charter, Publish};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_store::Publication;

/// The log time the newsroom is founded at.
pub const T0: u64 = 1_790_000_000;

pub struct Newsroom {
    _tmp: tempfile::TempDir,
    pub dir: std::path::PathBuf,
    log: SecretKey,
    editor: SecretKey,
}

/// Founds a publication at `origin` with one editor, aigerim.
pub fn found(origin: &str) -> Newsroom {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let log = SecretKey::generate(&mut rand_core::OsRng, origin).unwrap();
    let editor = SecretKey::generate(&mut rand_core::OsRng, "aigerim").unwrap();
    Publication::found(
        &dir,
        "Bucket test",
        &log,
        &[editor.verifier_key().clone()],
        Charter::default(),
        T0,
    )
    .unwrap();
    Newsroom {
        _tmp: tmp,
        dir,
        log,
        editor,
    }
}

/// One article per slug, all committed in one batch.
pub fn publish_batch(n: &Newsroom, slugs: &[String]) {
    let mut p = Publication::open(&n.dir).unwrap();
    let now = T0 + p.state().size();
    let mut entries = Vec::new();
    for slug in slugs {
        let id = p
            .put_blob(
                format!("# {slug}\n\nThe text of {slug}.").as_bytes(),
                1 << 20,
            )
            .unwrap();
        let action = Action::Publish(Publish {
            slug: slug.clone(),
            lang: "en".into(),
            title: format!("Title of {slug}"),
            summary: format!("Summary of {slug}"),
            authors: vec!["aigerim".into()],
            bylines: vec![],
            tags: vec!["press-freedom".into()],
            body: id.to_string(),
            media: vec![],
            translation_of: None,
            first_published: None,
        });
        entries.push(p.sign(&EntryBody { time: now, action }, &n.editor).unwrap());
    }
    let outcome = p.submit(&entries, now, &n.log).unwrap();
    assert!(outcome.results.iter().all(|r| r.is_ok()), "{outcome:?}");
}

/// One article, in a batch of its own.
pub fn publish(n: &Newsroom, slug: &str) {
    publish_batch(n, &[slug.to_string()]);
}
