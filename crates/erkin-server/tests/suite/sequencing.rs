//! The sequencer over HTTP, in process: receipts check out against the log
//! key, and entries that reach one batch out of time order are all admitted.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use erkin_core::action::{Action, Charter, Statement};
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::keys::SecretKey;
use erkin_mirror::{ClientError, MembersClient};
use erkin_store::Publication;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn start(
    dir: &std::path::Path,
    log: &SecretKey,
    delay: Duration,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = std::sync::mpsc::channel();
    let dir = dir.to_path_buf();
    let log_key = SecretKey::parse(log.expose_secret_text()).unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = erkin_server::bind("127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            addr_tx.send(listener.local_addr().unwrap()).unwrap();
            let options = erkin_server::ServeOptions {
                members: Some(erkin_server::MembersApi {
                    log_key,
                    sequencer: erkin_server::SequencerConfig {
                        max_delay: delay,
                        ..Default::default()
                    },
                    limits: Default::default(),
                }),
                ..Default::default()
            };
            erkin_server::serve_with(listener, &dir, options, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
    });
    let addr = addr_rx.recv_timeout(Duration::from_secs(30)).unwrap();
    (format!("http://{addr}/"), tx)
}

fn statement(origin: &str, key: &SecretKey, time: u64, text: &str) -> Vec<u8> {
    let body = EntryBody {
        time,
        action: Action::Statement(Statement { text: text.into() }),
    };
    sign_entry(origin, &body, key).unwrap()
}

#[test]
fn a_batch_is_sequenced_in_time_order_and_receipts_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let origin = "seq.example/news";
    let log = SecretKey::generate(&mut rand_core::OsRng, origin).unwrap();
    let a = SecretKey::generate(&mut rand_core::OsRng, "a").unwrap();
    let b = SecretKey::generate(&mut rand_core::OsRng, "b").unwrap();
    let t0 = now();
    drop(
        Publication::found(
            &tmp.path().join("d"),
            "Seq",
            &log,
            &[a.verifier_key().clone(), b.verifier_key().clone()],
            Charter::default(),
            t0 - 10,
        )
        .unwrap(),
    );
    // A long batch window, so both submissions land in one batch.
    let (url, stop) = start(&tmp.path().join("d"), &log, Duration::from_millis(400));
    let later = statement(origin, &a, t0 + 1, "signed a second later, arrives first");
    let earlier = statement(origin, &b, t0, "signed first, arrives second");
    let submit = |entry: Vec<u8>, pause: u64| {
        let url = url.clone();
        let vkey = log.verifier_key().clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(pause));
            MembersClient::new(&url, vkey, Duration::from_secs(30)).submit(&entry)
        })
    };
    let first = submit(later, 0);
    let second = submit(earlier, 50);
    let later_receipt = first.join().unwrap().expect("the later entry is admitted");
    let earlier_receipt = second
        .join()
        .unwrap()
        .expect("the earlier entry is admitted");
    assert_eq!(earlier_receipt.index + 1, later_receipt.index, "time order");
    assert_eq!(later_receipt.checkpoint.size, 3);

    // Once the later one is in the log, an entry dated before it is refused
    // with the fold's stable code.
    let late = statement(origin, &b, t0, "dated before the last entry");
    let client = MembersClient::new(&url, log.verifier_key().clone(), Duration::from_secs(30));
    match client.submit(&late) {
        Err(ClientError::Refused { status, error }) => {
            assert_eq!(status, 422);
            assert_eq!(error.code, "time_went_backwards");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    // A receipt checked against another key does not check out.
    let other_log = SecretKey::generate(&mut rand_core::OsRng, origin).unwrap();
    let wrong = MembersClient::new(
        &url,
        other_log.verifier_key().clone(),
        Duration::from_secs(30),
    );
    let fresh = statement(origin, &a, now() + 2, "a receipt for the wrong key");
    assert!(matches!(
        wrong.submit(&fresh),
        Err(ClientError::BadReceipt(_))
    ));
    let _ = stop.send(());
}
