//! Exports into a bucket, read back through the website endpoint.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use erkin_s3::{export, BucketUrl, S3Error};
use erkin_store::Publication;

use crate::garage::Garage;

pub use crate::newsroom::{publish, Newsroom, T0};

/// A newsroom with `articles` articles, each published in a batch of its own.
pub fn newsroom(origin: &str, articles: usize) -> Newsroom {
    let n = crate::newsroom::found(origin);
    for i in 0..articles {
        publish(&n, &format!("story-{i}"));
    }
    n
}

/// A GET from the website endpoint: status, headers (lowercase), body.
pub fn web_get(g: &Garage, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    web_get_at(g.web_port, path)
}

/// A GET from the website endpoint on `port`.
pub fn web_get_at(port: u16, path: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (status, headers, raw[split + 4..].to_vec())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The keys in the bucket, from Garage's own listing.
fn objects(g: &Garage) -> usize {
    let out = g.garage(&["bucket", "info", "localhost"], true);
    out.lines()
        .find_map(|l| l.trim().strip_prefix("Objects:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no object count in: {out}"))
}

#[test]
#[cfg_attr(not(erkin_test_garage), ignore = "garage is not installed")]
fn export_serve_mirror_verify_and_upload_only_what_changed() {
    let g = Garage::start();
    let n = newsroom("bucket.example/news", 3);
    let url = BucketUrl::parse("s3://localhost").unwrap();
    let p = Publication::open(&n.dir).unwrap();
    let report = erkin_s3::export_report(&p, &url, &g.options()).unwrap();
    let first = report.files;
    assert!(first.written > 20, "{first:?}");
    assert_eq!((first.unchanged, first.deleted), (0, 0), "{first:?}");
    // Every uploaded file, and the manifest's root and shards; the journal
    // (one page for the uploads) is gone.
    let shards = erkin_s3::manifest::shard_count(first.written);
    assert_eq!(objects(&g), first.written + 1 + shards as usize);
    assert_eq!(report.manifest_objects, 1 + 1 + shards as usize);

    // A website, with the layout's headers.
    let (status, headers, page) = web_get(&g, "index.html");
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(String::from_utf8_lossy(&page).contains("Title of story-0"));
    // Stored as is, never precompressed: the website mode serves every
    // client the same bytes (compression is the CDN edge's; see DEPLOY.md).
    assert_eq!(header(&headers, "content-encoding"), None);
    let bundle = format!("tile/entries/000.p/{}", p.store().size());
    let (status, headers, _) = web_get(&g, &bundle);
    assert_eq!(status, 200);
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let (status, headers, _) = web_get(&g, "checkpoint");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "cache-control"), Some("public, max-age=5"));
    assert_eq!(
        header(&headers, "content-type"),
        Some("text/plain; charset=utf-8")
    );

    // A mirror of the website is a genuine copy of the publication.
    let mirror_dir = tempfile::tempdir().unwrap();
    let mut mirror = erkin_mirror::Mirror::open(&mirror_dir.path().join("m")).unwrap();
    let options = erkin_mirror::SyncOptions {
        key: Some(p.store().log_key().clone()),
        now: T0 + 3600,
        ..Default::default()
    };
    let report = mirror.sync(Some(&g.website()), &options).unwrap();
    assert_eq!(report.new_size, p.store().size(), "{report:?}");
    let copy = erkin_store::Publication::open(&mirror_dir.path().join("m")).unwrap();
    assert_eq!(copy.state().digest(), p.state().digest());

    // Nothing new: nothing uploaded.
    let again = export(&p, &url, &g.options()).unwrap();
    assert_eq!((again.written, again.deleted), (0, 0), "{again:?}");
    drop(p);

    // One more article: only its objects and the pages it changes.
    publish(&n, "story-new");
    let p = Publication::open(&n.dir).unwrap();
    let more = export(&p, &url, &g.options()).unwrap();
    assert!(more.written > 0 && more.written < first.written, "{more:?}");
    assert!(more.unchanged > 0, "{more:?}");
    let (_, _, page) = web_get(&g, "index.html");
    assert!(String::from_utf8_lossy(&page).contains("Title of story-new"));
    let report = mirror.sync(Some(&g.website()), &options).unwrap();
    assert_eq!(report.new_size, p.store().size(), "{report:?}");
}

#[test]
#[cfg_attr(not(erkin_test_garage), ignore = "garage is not installed")]
fn another_publication_or_an_older_copy_is_refused() {
    let g = Garage::start();
    let url = BucketUrl::parse("s3://localhost/habar").unwrap();
    let n = newsroom("habar.example/news", 1);
    // An older copy of the data directory, kept before one more article.
    let older = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(&n.dir).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), older.path().join(f.file_name())).unwrap();
    }
    publish(&n, "later");
    let p = Publication::open(&n.dir).unwrap();
    export(&p, &url, &g.options()).unwrap();
    let size = p.store().size();
    drop(p);

    let old = Publication::open(older.path()).unwrap();
    let old_size = old.store().size();
    assert!(old_size < size);
    match export(&old, &url, &g.options()) {
        Err(S3Error::Rollback { theirs, ours, .. }) => assert_eq!((theirs, ours), (size, old_size)),
        other => panic!("an older copy over a newer one: {other:?}"),
    }
    let other = newsroom("other.example/news", 1);
    let other = Publication::open(&other.dir).unwrap();
    assert!(
        matches!(
            export(&other, &url, &g.options()),
            Err(S3Error::ForeignCopy(_))
        ),
        "another publication's copy"
    );
    // The bucket's copy is untouched: the newer checkpoint is still served.
    let (_, _, cp) = web_get(&g, "habar/checkpoint");
    assert!(String::from_utf8_lossy(&cp).contains(&format!("\n{size}\n")));
}

#[test]
#[cfg_attr(not(erkin_test_garage), ignore = "garage is not installed")]
fn wrong_credentials_and_a_missing_bucket_are_clear_errors() {
    let g = Garage::start();
    let n = newsroom("creds.example/news", 1);
    let p = Publication::open(&n.dir).unwrap();
    let mut wrong = g.options();
    wrong.credentials = Some((g.key_id.clone(), "0".repeat(64)));
    match export(&p, &BucketUrl::parse("s3://localhost").unwrap(), &wrong) {
        Err(S3Error::Store { url, .. }) => assert_eq!(url, "s3://localhost"),
        other => panic!("wrong secret: {other:?}"),
    }
    match export(
        &p,
        &BucketUrl::parse("s3://no-such-bucket").unwrap(),
        &g.options(),
    ) {
        Err(e @ S3Error::Store { .. }) => assert!(e.to_string().contains("no-such-bucket"), "{e}"),
        other => panic!("missing bucket: {other:?}"),
    }
    // Nothing was written by either.
    assert_eq!(objects(&g), 0);
}

#[test]
#[cfg_attr(not(erkin_test_garage), ignore = "garage is not installed")]
fn an_object_altered_in_the_bucket_is_refused_by_its_mirrors() {
    use object_store::ObjectStoreExt as _;
    let g = Garage::start();
    let n = newsroom("altered.example/news", 2);
    let p = Publication::open(&n.dir).unwrap();
    export(
        &p,
        &BucketUrl::parse("s3://localhost").unwrap(),
        &g.options(),
    )
    .unwrap();
    // The storage operator (or whoever holds its keys) changes a log file.
    let bucket = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name("localhost")
        .with_endpoint(&g.s3)
        .with_allow_http(true)
        .with_region("garage")
        .with_access_key_id(&g.key_id)
        .with_secret_access_key(&g.secret)
        .build()
        .unwrap();
    let bundle = format!("tile/entries/000.p/{}", p.store().size());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = object_store::path::Path::from(bundle.as_str());
    let mut bytes = rt
        .block_on(async { bucket.get(&key).await.unwrap().bytes().await })
        .unwrap()
        .to_vec();
    let last = bytes.len() - 2;
    bytes[last] ^= 1;
    rt.block_on(bucket.put(&key, bytes.into())).unwrap();
    // A mirror of the website refuses it, and keeps nothing.
    let dir = tempfile::tempdir().unwrap();
    let mut mirror = erkin_mirror::Mirror::open(&dir.path().join("m")).unwrap();
    let options = erkin_mirror::SyncOptions {
        key: Some(p.store().log_key().clone()),
        now: T0 + 3600,
        ..Default::default()
    };
    let err = mirror.sync(Some(&g.website()), &options).unwrap_err();
    assert_eq!(err.blame(), erkin_mirror::Blame::Source, "{err}");
}

#[test]
fn a_store_that_answers_500_is_a_clear_error_after_its_retries() {
    // A "store" on loopback that answers every request with a 500.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { break };
            count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let mut buf = [0u8; 4096];
            let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let n = newsroom("flaky.example/news", 1);
    let p = Publication::open(&n.dir).unwrap();
    let options = erkin_s3::S3Options {
        endpoint: Some(endpoint),
        region: Some("garage".into()),
        credentials: Some(("id".into(), "secret".into())),
        retries: 2,
        timeout: Duration::from_secs(5),
        ..Default::default()
    };
    match export(&p, &BucketUrl::parse("s3://news").unwrap(), &options) {
        Err(e @ S3Error::Store { .. }) => assert!(e.to_string().contains("s3://news"), "{e}"),
        other => panic!("a store answering 500: {other:?}"),
    }
    // The first request was retried, never more than asked.
    let n = served.load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(n, 3, "requests made");
}

/// A "store" on loopback that accepts connections and then, per `trickle`,
/// never answers or answers one byte a second forever.
fn stalling_store(trickle: bool) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { break };
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
                let _ = s.read(&mut buf);
                let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
                for i in 0.. {
                    if trickle {
                        let byte = answer.get(i).copied().unwrap_or(b'x');
                        if s.write_all(&[byte]).is_err() {
                            return;
                        }
                    } else if matches!(s.peek(&mut buf), Ok(0)) {
                        return; // the client gave up
                    }
                    std::thread::sleep(Duration::from_millis(500));
                }
            });
        }
    });
    endpoint
}

#[test]
fn a_store_that_stalls_or_trickles_is_a_clear_error_not_a_hang() {
    let n = newsroom("stall.example/news", 1);
    for trickle in [false, true] {
        let options = erkin_s3::S3Options {
            endpoint: Some(stalling_store(trickle)),
            region: Some("garage".into()),
            credentials: Some(("id".into(), "secret".into())),
            retries: 1,
            timeout: Duration::from_secs(2),
            ..Default::default()
        };
        let dir = n.dir.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let p = Publication::open(&dir).unwrap();
            let _ = tx.send(export(
                &p,
                &BucketUrl::parse("s3://news").unwrap(),
                &options,
            ));
        });
        // A bound far above the 2 × 2 s the export may take: only a hang
        // reaches it.
        let result = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("the export hung (trickle: {trickle})"));
        match result {
            Err(
                e @ S3Error::Stalled {
                    seconds: 2,
                    attempts: 2,
                    ..
                },
            ) => {
                let text = e.to_string();
                assert!(
                    text.contains("s3://news") && text.contains("checkpoint"),
                    "{text}"
                );
            }
            other => panic!("a store that stalls (trickle: {trickle}): {other:?}"),
        }
    }
}

#[test]
#[cfg_attr(not(erkin_test_garage), ignore = "garage is not installed")]
fn a_record_tampered_with_is_refused_and_a_lost_shard_is_uploaded_again() {
    use erkin_s3::manifest::{shard_of, shard_path};
    use object_store::ObjectStoreExt as _;
    let g = Garage::start();
    // Enough files for two shards and more.
    let n = newsroom("record.example/news", 12);
    let url = BucketUrl::parse("s3://localhost").unwrap();
    let p = Publication::open(&n.dir).unwrap();
    let first = export(&p, &url, &g.options()).unwrap();
    let shards = erkin_s3::manifest::shard_count(first.written);
    assert!(shards >= 2, "{first:?}");
    let bucket = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name("localhost")
        .with_endpoint(&g.s3)
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
    let put = |path: &str, bytes: Vec<u8>| {
        rt.block_on(bucket.put(&object_store::path::Path::from(path), bytes.into()))
            .unwrap();
    };
    let shard0 = shard_path(shards, 0);
    let original = rt
        .block_on(async {
            bucket
                .get(&object_store::path::Path::from(shard0.as_str()))
                .await
                .unwrap()
                .bytes()
                .await
        })
        .unwrap()
        .to_vec();

    // A shard naming a path that belongs to another shard.
    let stranger = (0..)
        .map(|i| format!("x/{i}"))
        .find(|p| shard_of(p, shards) != 0)
        .unwrap();
    put(&shard0, format!(r#"{{"{stranger}":"00"}}"#).into_bytes());
    match export(&p, &url, &g.options()) {
        Err(S3Error::BadManifest { reason, .. }) => {
            assert!(reason.contains("another shard"), "{reason}")
        }
        other => panic!("a shard with another's path: {other:?}"),
    }
    // A root that is not a record at all.
    put(&shard0, original);
    put(".erkin-files", b"<html>not a record</html>".to_vec());
    assert!(matches!(
        export(&p, &url, &g.options()),
        Err(S3Error::BadManifest { .. })
    ));
    put(".erkin-files", erkin_s3::manifest::root_bytes(shards));
    assert_eq!(export(&p, &url, &g.options()).unwrap().written, 0);

    // A shard lost: what it named is uploaded again, never trusted.
    rt.block_on(bucket.delete(&object_store::path::Path::from(shard0.as_str())))
        .unwrap();
    let again = export(&p, &url, &g.options()).unwrap();
    assert!(again.written > 0, "{again:?}");
    assert_eq!(export(&p, &url, &g.options()).unwrap().written, 0);
}
