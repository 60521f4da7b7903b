//! What an incremental sync over HTTP asks of the source: the requests for
//! one new entry (issue 17: at most 4; the checkpoint, the tiles at the
//! edge that the mirror cannot have or make from what it holds, the entry
//! bundle).

use crate::common::*;

use std::time::Duration;

use erkin_mirror::{HttpOptions, Mirror, SyncOptions, SyncReport};

/// A sync of the mirror in `dir` from `server`, and the paths it requested.
fn sync(
    dir: &std::path::Path,
    server: &Hostile,
    options: &SyncOptions,
) -> (SyncReport, Vec<String>) {
    server.clear_requests();
    let report = Mirror::open(dir)
        .unwrap()
        .sync(Some(&server.url()), options)
        .unwrap();
    let mut paths = server.requests();
    paths.sort();
    (report, paths)
}

/// One new entry at a time, over real HTTP on loopback, at each shape of
/// the tree's edge: inside a level-0 tile, where a level-0 tile becomes
/// full (and the level-1 tile above it grows), and just after. Each costs
/// 3 requests: the checkpoint, the level-0 tile of the new leaf and its
/// entry bundle. The level-1 tiles are the mirror's own or made from the
/// level-0 tile below (before, a 300-entry mirror fetched the level-1 tile
/// too). The mirror ends with the source's log, and a sync with nothing new
/// asks for the checkpoint alone.
#[test]
fn one_new_entry_costs_at_most_four_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let log = key(ORIGIN);
    let mut news = Newsroom::found(&tmp.path().join("data"), "Requests", &log);
    let site = tmp.path().join("site");
    let mirror = tmp.path().join("mirror");
    let options = SyncOptions {
        key: Some(log.verifier_key().clone()),
        http: HttpOptions {
            timeout: Duration::from_secs(10),
            retries: 0,
            ..Default::default()
        },
        site: false,
        now: T0 + 86_400,
        ..Default::default()
    };
    news.statements_to(300, "before");
    raw_copy(&news.dir, &site);
    let server = Hostile::start(&site);
    let (first, _) = sync(&mirror, &server, &options);
    assert_eq!(first.new_size, 300);

    for (size, edge) in [
        (301, "001.p/45"),
        (511, "001.p/255"),
        (512, "001"),
        (513, "002.p/1"),
    ] {
        // Up to one short of `size` (not counted), then one entry.
        if news.size() < size - 1 {
            news.statements_to(size - 1, "filler");
            raw_copy(&news.dir, &site);
            sync(&mirror, &server, &options);
        }
        news.statements(1, &format!("new at {size}"));
        assert_eq!(news.size(), size);
        raw_copy(&news.dir, &site);
        let (report, paths) = sync(&mirror, &server, &options);
        assert_eq!((report.old_size, report.new_size), (size - 1, size));
        assert!(report.requests <= 4, "{size}: {paths:?}");
        assert_eq!(report.requests, paths.len() as u64, "{size}: {paths:?}");
        let mut expected = vec![
            "checkpoint".to_string(),
            format!("tile/0/{edge}"),
            format!("tile/entries/{edge}"),
        ];
        expected.sort();
        assert_eq!(paths, expected, "{size}");
        let store = erkin_store::Store::open_unverified(&mirror).unwrap();
        assert_eq!(store.size(), size);
        assert_eq!(
            store.latest_checkpoint_bytes().unwrap(),
            Some(news.checkpoint())
        );
    }
    let (report, paths) = sync(&mirror, &server, &options);
    assert_eq!(report.new_size, 513);
    assert_eq!(paths, vec!["checkpoint".to_string()]);
}
