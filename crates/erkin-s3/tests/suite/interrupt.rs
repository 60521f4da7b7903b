//! An export cut off partway — the exporter's connections to the store all
//! drop at once, as when its process is killed — while a reader polls the
//! website: no checkpoint it is ever served names a tile or bundle that is
//! missing, and a re-run leaves a copy that verifies.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use erkin_core::tiles::{entry_bundles, hash_tiles};
use erkin_s3::{export, BucketUrl};
use erkin_store::Publication;

use crate::export::{newsroom, publish, web_get_at, T0};
use crate::garage::Garage;

/// Where a proxy in front of the store cuts the exporter off.
#[derive(Clone, Copy)]
enum Cut {
    /// When the exporter starts its Nth upload (that one never arrives).
    AtPut(usize),
    /// When it starts uploading the key ending so.
    AtKey(&'static str),
    /// When it starts uploading the first shard of its manifest.
    Manifest,
}

/// A TCP proxy to `upstream` that forwards until its cut, then drops every
/// connection and refuses new ones: from the store's side, the exporter
/// died at that moment.
struct Proxy {
    endpoint: String,
    dead: Arc<AtomicBool>,
    puts: Arc<AtomicUsize>,
}

impl Proxy {
    fn start(upstream: &str, cut: Cut) -> Self {
        let upstream = upstream.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let dead = Arc::new(AtomicBool::new(false));
        let puts = Arc::new(AtomicUsize::new(0));
        let conns: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (d, p) = (dead.clone(), puts.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { break };
                if d.load(Ordering::SeqCst) {
                    continue; // dropped: refused
                }
                let server = TcpStream::connect(&upstream).unwrap();
                {
                    let mut c = conns.lock().unwrap();
                    c.push(client.try_clone().unwrap());
                    c.push(server.try_clone().unwrap());
                }
                // Server to client: plain copy.
                let (mut from, mut to) = (server.try_clone().unwrap(), client.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(Shutdown::Both);
                });
                // Client to server: watch for uploads, cut at the chosen one.
                let (d, p, conns) = (d.clone(), p.clone(), conns.clone());
                let (mut from, mut to) = (client, server);
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 64 * 1024];
                    loop {
                        let n = match from.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => n,
                        };
                        let chunk = &buf[..n];
                        let mut cut_here = false;
                        for at in find_all(chunk, b"PUT /") {
                            let line = &chunk[at..];
                            let path = line[5..]
                                .iter()
                                .take_while(|&&b| b != b' ' && b != b'?')
                                .copied()
                                .collect::<Vec<u8>>();
                            let count = p.fetch_add(1, Ordering::SeqCst) + 1;
                            cut_here |= match cut {
                                Cut::AtPut(k) => count >= k,
                                Cut::AtKey(suffix) => path.ends_with(suffix.as_bytes()),
                                Cut::Manifest => {
                                    let path = String::from_utf8_lossy(&path);
                                    path.contains("/.erkin-files.d/") && !path.contains("/pending/")
                                }
                            };
                        }
                        if cut_here || d.load(Ordering::SeqCst) {
                            d.store(true, Ordering::SeqCst);
                            for s in conns.lock().unwrap().iter() {
                                let _ = s.shutdown(Shutdown::Both);
                            }
                            break;
                        }
                        if to.write_all(chunk).is_err() {
                            break;
                        }
                    }
                    let _ = to.shutdown(Shutdown::Both);
                });
            }
        });
        Proxy {
            endpoint,
            dead,
            puts,
        }
    }
}

fn find_all(hay: &[u8], needle: &[u8]) -> Vec<usize> {
    hay.windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect()
}

/// What the polling reader saw.
#[derive(Default, Debug)]
struct Seen {
    polls: usize,
    sizes: std::collections::BTreeSet<u64>,
    missing: Vec<String>,
}

/// Polls the website's checkpoint until `stop`; for each checkpoint served,
/// fetches every hash tile and entry bundle of its tree.
fn reader(web_port: u16, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Seen> {
    std::thread::spawn(move || {
        let mut seen = Seen::default();
        while !stop.load(Ordering::SeqCst) {
            let (status, _, cp) = web_get_at(web_port, "checkpoint");
            seen.polls += 1;
            if status != 200 {
                continue;
            }
            let text = String::from_utf8_lossy(&cp).into_owned();
            let size: u64 = text.lines().nth(1).unwrap().parse().unwrap();
            seen.sizes.insert(size);
            for tile in hash_tiles(0, size)
                .into_iter()
                .chain(entry_bundles(0, size))
            {
                let path = tile.to_string();
                let (status, _, _) = web_get_at(web_port, &path);
                if status != 200 {
                    seen.missing
                        .push(format!("checkpoint {size}: {path} is {status}"));
                }
            }
        }
        seen
    })
}

#[test]
#[cfg_attr(not(erkin_test_garage), ignore = "garage is not installed")]
fn an_export_cut_off_midway_never_serves_a_checkpoint_without_its_tiles() {
    let g = Garage::start();
    let url = BucketUrl::parse("s3://localhost").unwrap();
    // Over 200 entries: level-0 tile and bundle 000 are partial.
    let n = newsroom("cut.example/news", 0);
    let size = || Publication::open(&n.dir).unwrap().store().size();
    let mut i = 0;
    while size() < 200 {
        publish(&n, &format!("story-{i}"));
        i += 1;
    }
    let old_size = size();
    assert!(old_size < 256);

    let stop = Arc::new(AtomicBool::new(false));
    let polling = reader(g.web_port, stop.clone());
    let via = |proxy: &Proxy| erkin_s3::S3Options {
        endpoint: Some(proxy.endpoint.clone()),
        ..g.options()
    };

    // The first export cut off after a few uploads: nothing is served yet.
    let p = Publication::open(&n.dir).unwrap();
    let proxy = Proxy::start(&g.s3, Cut::AtPut(40));
    assert!(export(&p, &url, &via(&proxy)).is_err());
    assert!(proxy.dead.load(Ordering::SeqCst));
    assert_eq!(web_get_at(g.web_port, "checkpoint").0, 404);
    // The re-run completes it.
    export(&p, &url, &g.options()).unwrap();
    drop(p);

    // Past 256 entries: the full tile 000 supersedes 000.p/W, and 001.p/W
    // appears. Cut off midway, then after the checkpoint but before the
    // manifest (and so before the superseded partial tiles are deleted).
    while size() <= 256 {
        publish(&n, &format!("story-{i}"));
        i += 1;
    }
    let p = Publication::open(&n.dir).unwrap();
    let new_size = p.store().size();
    assert!(new_size > 256);
    let proxy = Proxy::start(&g.s3, Cut::AtPut(25));
    assert!(export(&p, &url, &via(&proxy)).is_err());
    let (_, _, cp) = web_get_at(g.web_port, "checkpoint");
    assert!(String::from_utf8_lossy(&cp).contains(&format!("\n{old_size}\n")));
    // Everything uploaded but the checkpoint: the old one, and all its
    // tiles, are still served.
    let proxy = Proxy::start(&g.s3, Cut::AtKey("/checkpoint"));
    assert!(export(&p, &url, &via(&proxy)).is_err());
    let (_, _, cp) = web_get_at(g.web_port, "checkpoint");
    assert!(String::from_utf8_lossy(&cp).contains(&format!("\n{old_size}\n")));
    for tile in hash_tiles(0, old_size)
        .into_iter()
        .chain(entry_bundles(0, old_size))
    {
        let path = tile.to_string();
        assert_eq!(web_get_at(g.web_port, &path).0, 200, "{path}");
    }
    let proxy = Proxy::start(&g.s3, Cut::Manifest);
    assert!(export(&p, &url, &via(&proxy)).is_err());
    assert!(proxy.puts.load(Ordering::SeqCst) > 25);
    let (_, _, cp) = web_get_at(g.web_port, "checkpoint");
    assert!(String::from_utf8_lossy(&cp).contains(&format!("\n{new_size}\n")));
    // The re-run finishes: manifest written, superseded objects deleted.
    let done = export(&p, &url, &g.options()).unwrap();
    assert!(done.deleted > 0, "{done:?}");
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    let seen = polling.join().unwrap();
    assert!(seen.missing.is_empty(), "{:?}", seen.missing);
    assert!(
        seen.sizes.contains(&old_size) && seen.sizes.contains(&new_size) && seen.polls > 10,
        "{seen:?}"
    );
    let partial = format!("tile/entries/000.p/{old_size}");
    assert_eq!(web_get_at(g.web_port, &partial).0, 404, "{partial} deleted");

    // The copy verifies.
    let dir = tempfile::tempdir().unwrap();
    let mut mirror = erkin_mirror::Mirror::open(&dir.path().join("m")).unwrap();
    let options = erkin_mirror::SyncOptions {
        key: Some(p.store().log_key().clone()),
        now: T0 + 3600,
        ..Default::default()
    };
    let report = mirror.sync(Some(&g.website()), &options).unwrap();
    assert_eq!(report.new_size, new_size, "{report:?}");
    let copy = Publication::open(&dir.path().join("m")).unwrap();
    assert_eq!(copy.state().digest(), p.state().digest());
}

/// Every key in the bucket, from the store's listing through S3.
fn keys(g: &Garage) -> std::collections::BTreeSet<String> {
    crate::cluster::listing(g, 0).into_keys().collect()
}

/// Every file of a directory export of `p`, by layout path (not the
/// directory export's own manifest).
fn files_of(p: &Publication) -> std::collections::BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    erkin_export::export(p, dir.path()).unwrap();
    let mut out = std::collections::BTreeSet::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir.path()).unwrap();
                out.insert(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.remove(".erkin-files");
    out
}

#[test]
#[cfg_attr(not(erkin_test_garage), ignore = "garage is not installed")]
fn a_cut_off_runs_partial_tiles_are_deleted_by_the_next_run() {
    let g = Garage::start();
    let url = BucketUrl::parse("s3://localhost").unwrap();
    let n = newsroom("orphans.example/news", 4);
    export(&Publication::open(&n.dir).unwrap(), &url, &g.options()).unwrap();

    // One more article; the export is cut off when it comes to the
    // checkpoint, its uploads done: the partial tiles of this size among them.
    publish(&n, "cut-off");
    let p = Publication::open(&n.dir).unwrap();
    let w1 = p.store().size();
    let proxy = Proxy::start(&g.s3, Cut::AtKey("/checkpoint"));
    assert!(export(
        &p,
        &url,
        &erkin_s3::S3Options {
            endpoint: Some(proxy.endpoint.clone()),
            ..g.options()
        }
    )
    .is_err());
    drop(p);
    let partial = format!("tile/entries/000.p/{w1}");
    let after_cut = keys(&g);
    assert!(after_cut.contains(&partial), "{after_cut:?}");
    assert!(
        after_cut
            .iter()
            .any(|k| k.starts_with(".erkin-files.d/pending/")),
        "the uploads were journaled first: {after_cut:?}"
    );
    let (_, _, cp) = web_get_at(g.web_port, "checkpoint");
    assert!(!String::from_utf8_lossy(&cp).contains(&format!("\n{w1}\n")));

    // Another article before the re-run: the cut-off run's partial tiles
    // are superseded, and the re-run deletes them.
    publish(&n, "after-the-cut");
    let p = Publication::open(&n.dir).unwrap();
    let done = export(&p, &url, &g.options()).unwrap();
    assert!(done.deleted > 0, "{done:?}");
    let left = keys(&g);
    assert!(!left.contains(&partial), "{partial} left behind");
    // The bucket holds exactly the site and the export's record: nothing
    // orphaned, no journal.
    let site: std::collections::BTreeSet<String> = left
        .iter()
        .filter(|k| !k.starts_with(".erkin-files"))
        .cloned()
        .collect();
    assert_eq!(site, files_of(&p));
    assert!(left.iter().all(|k| !k.contains("/pending/")), "{left:?}");
}
