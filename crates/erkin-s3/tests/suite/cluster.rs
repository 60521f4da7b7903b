//! A three-node Garage cluster on loopback, replication factor 3: an
//! export survives one node going down, and the node comes back.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use erkin_s3::{export, BucketUrl};
use erkin_store::Publication;
use futures::TryStreamExt as _;

use crate::export::{newsroom, publish, T0};
use crate::garage::Garage;

/// Every key in the bucket with its last-modified time, from the store's
/// own listing through node `via`.
pub fn listing(g: &Garage, via: usize) -> BTreeMap<String, SystemTime> {
    use object_store::ObjectStore as _;
    let bucket = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name("localhost")
        .with_endpoint(&g.nodes[via].s3)
        .with_allow_http(true)
        .with_region("garage")
        .with_access_key_id(&g.key_id)
        .with_secret_access_key(&g.secret)
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(bucket.list(None).try_collect::<Vec<_>>())
        .unwrap()
        .into_iter()
        .map(|m| (m.location.to_string(), m.last_modified.into()))
        .collect()
}

fn sync_from(
    website: &str,
    mirror: &mut erkin_mirror::Mirror,
    p: &Publication,
) -> erkin_mirror::SyncReport {
    let options = erkin_mirror::SyncOptions {
        key: Some(p.store().log_key().clone()),
        now: T0 + 3600,
        ..Default::default()
    };
    mirror.sync(Some(website), &options).unwrap()
}

/// [`listing`] through node `via` once `settled` holds of it. A listing
/// through a node other than the one written to may lag the write for a
/// moment (the nodes' replicas of the bucket's index catch up), so it is
/// asked again until it settles; one that never does within 30 s fails,
/// naming `what`.
fn settled_listing(
    g: &Garage,
    via: usize,
    what: &str,
    settled: impl Fn(&BTreeMap<String, SystemTime>) -> bool,
) -> BTreeMap<String, SystemTime> {
    let waited = std::time::Instant::now();
    loop {
        let now = listing(g, via);
        if settled(&now) {
            return now;
        }
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "through node {via}, still not {what} after 30 s: {:?}",
            now.keys().collect::<Vec<_>>()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
#[cfg_attr(not(erkin_test_garage), ignore = "garage is not installed")]
fn a_three_node_cluster_serves_a_genuine_copy_with_one_node_down() {
    let mut g = Garage::cluster(3);
    let n = newsroom("cluster.example/news", 3);
    let url = BucketUrl::parse("s3://localhost").unwrap();
    let p = Publication::open(&n.dir).unwrap();
    let first = export(&p, &url, &g.options_via(0)).unwrap();
    assert!(first.written > 20, "{first:?}");
    // Every object is listed by every node (replication factor 3).
    let objects = first.written + 1 + erkin_s3::manifest::shard_count(first.written) as usize;
    for via in 0..3 {
        settled_listing(&g, via, &format!("{objects} objects"), |l| {
            l.len() == objects
        });
    }

    // Node 3 goes down; the website of node 2 still serves a genuine copy.
    g.nodes[2].stop();
    let mirror_dir = tempfile::tempdir().unwrap();
    let mut mirror = erkin_mirror::Mirror::open(&mirror_dir.path().join("m")).unwrap();
    let report = sync_from(&g.nodes[1].website(), &mut mirror, &p);
    assert_eq!(report.new_size, p.store().size(), "{report:?}");
    let copy = Publication::open(&mirror_dir.path().join("m")).unwrap();
    assert_eq!(copy.state().digest(), p.state().digest());
    drop(copy);
    // Nothing new: an export with a node down uploads nothing and succeeds.
    let again = export(&p, &url, &g.options_via(1)).unwrap();
    assert_eq!((again.written, again.deleted), (0, 0), "{again:?}");
    drop(p);

    // It comes back with the same config and data; one more article is
    // exported, and only its objects (and the pages it changes) are written.
    g.nodes[2].start();
    publish(&n, "story-after-outage");
    let before = listing(&g, 0);
    std::thread::sleep(Duration::from_millis(1100));
    let since = SystemTime::now() - Duration::from_millis(100);
    let p = Publication::open(&n.dir).unwrap();
    let more = export(&p, &url, &g.options_via(0)).unwrap();
    assert!(more.written > 0 && more.written < first.written, "{more:?}");
    // The run deletes its journal last; the node that was down may list
    // the deleted journal objects for a moment longer.
    let after = settled_listing(&g, 2, "without the run's journal", |l| {
        !l.keys().any(|k| k.starts_with(".erkin-files.d/pending/"))
    });
    let touched: Vec<&String> = after
        .iter()
        .filter(|(k, t)| before.get(*k) != Some(t) || **t >= since)
        .map(|(k, _)| k)
        .collect();
    // The uploads and a few of the manifest's shards, nothing else, seen by
    // the node that was down.
    let (record, files): (Vec<&String>, Vec<&String>) =
        touched.iter().partition(|k| k.starts_with(".erkin-files"));
    assert_eq!(files.len(), more.written, "{touched:?} vs {more:?}");
    assert!(
        !record.is_empty() && record.iter().all(|k| k.starts_with(".erkin-files.d/1/")),
        "{record:?}"
    );
    assert!(touched.iter().any(|k| k.starts_with("tile/entries/")));
    assert!(touched
        .iter()
        .all(|k| !k.starts_with("blob/") || !before.contains_key(*k)));

    // Its website serves the new copy, genuine.
    let report = sync_from(&g.nodes[2].website(), &mut mirror, &p);
    assert_eq!(report.new_size, p.store().size(), "{report:?}");
    let copy = Publication::open(&mirror_dir.path().join("m")).unwrap();
    assert_eq!(copy.state().digest(), p.state().digest());
}
