//! Secret ballots over HTTP (issue 15, docs/BALLOT.md §8, §9): the route
//! on the members' listener and the tips listener, its receipt and every
//! refusal's status and code, the budget of refused proofs, no cookie and
//! no line in the request log; the close publishes what was held.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use erkin_core::action::{Action, Ballot, BallotKey, CastBallot, Charter, Motion, Propose};
use erkin_core::api::{
    pad_ballot, verify_ballot_receipt, ApiError, BallotAnswer, BallotReceipt, ErrorDocument,
    StateDocument, BALLOTS_PATH, BALLOT_ANSWER_LEN, BALLOT_PLAINTEXT_LEN,
};
use erkin_core::ballot_secret::BallotSecret;
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::secret::SecretVote;
use erkin_server::sequencer::Clock;
use erkin_store::{BallotBox, Publication};
use erkin_testkit::ballots::{body, cast, commitment, encrypt, payload_len, reply, secret};
use erkin_testkit::Reply;

const ORIGIN: &str = "ballots.example/news";
const T0: u64 = 1_790_000_000;
const H: u64 = 3600;
const T1: u64 = T0 + 60;
const CLOSES: u64 = T1 + 100 * H;

struct Newsroom {
    _tmp: tempfile::TempDir,
    dir: std::path::PathBuf,
    addr: SocketAddr,
    tips: Option<SocketAddr>,
    stop: Option<crate::http::Stop>,
    log: SecretKey,
    secrets: Vec<BallotSecret>,
    ballot_box: BallotBox,
    clock: Arc<AtomicU64>,
    /// The request log's lines.
    logged: Arc<Mutex<Vec<String>>>,
    /// The secret resolution and an open admission.
    secret_id: u64,
    other_id: u64,
    open_id: u64,
}

fn propose(p: &mut Publication, log: &SecretKey, key: &SecretKey, motion: Motion) -> u64 {
    let e = p
        .sign(
            &EntryBody {
                time: T1,
                action: Action::Propose(Propose {
                    title: "A question".into(),
                    closes_at: CLOSES,
                    motion,
                }),
            },
            key,
        )
        .unwrap();
    let mut out = p.submit(&[e], T1, log).unwrap();
    out.results.remove(0).unwrap()
}

impl Newsroom {
    /// Four founders with ballot keys; a secret resolution, a second one,
    /// and an open admission; the server's clock at T1 + 60; `limits` for
    /// the API; a tips listener if `tips`.
    fn new(limits: erkin_server::ApiLimits, tips: bool, with_box: bool) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        let log = SecretKey::generate(&mut rand_core::OsRng, ORIGIN).unwrap();
        let members: Vec<SecretKey> = ["aigerim", "bolat", "dana", "erlan"]
            .iter()
            .map(|h| SecretKey::generate(&mut rand_core::OsRng, h).unwrap())
            .collect();
        let mut charter = Charter::default();
        charter.resolution.secret = true;
        let mut p = Publication::found(
            &dir,
            "Ballots",
            &log,
            &members
                .iter()
                .map(|k| k.verifier_key().clone())
                .collect::<Vec<_>>(),
            charter,
            T0,
        )
        .unwrap();
        let secrets: Vec<BallotSecret> = (0..4).map(|i| secret("server", i)).collect();
        let keys: Vec<Vec<u8>> = members
            .iter()
            .zip(&secrets)
            .map(|(k, s)| {
                p.sign(
                    &EntryBody {
                        time: T0 + 10,
                        action: Action::BallotKey(BallotKey {
                            scheme: "semaphore-v3-16".into(),
                            commitment: commitment(s),
                        }),
                    },
                    k,
                )
                .unwrap()
            })
            .collect();
        assert!(p
            .submit(&keys, T0 + 10, &log)
            .unwrap()
            .results
            .iter()
            .all(|r| r.is_ok()));
        let resolution = |text: &str| Motion::Resolution { text: text.into() };
        let secret_id = propose(&mut p, &log, &members[0], resolution("Publish the audit"));
        let other_id = propose(&mut p, &log, &members[1], resolution("Publish the ledger"));
        let newcomer = SecretKey::generate(&mut rand_core::OsRng, "farida").unwrap();
        let open_id = propose(
            &mut p,
            &log,
            &members[2],
            Motion::Admit {
                key: newcomer.verifier_key().to_string(),
            },
        );
        drop(p);
        let clock = Arc::new(AtomicU64::new(T1 + 60));
        let ballot_box = BallotBox::generate();
        let logged = Arc::new(Mutex::new(Vec::new()));
        let (addr, tips, stop) = serve(
            &dir,
            &log,
            &clock,
            &logged,
            limits,
            tips,
            with_box.then(|| ballot_box.clone()),
        );
        let room = Newsroom {
            _tmp: tmp,
            dir,
            addr,
            tips,
            stop: Some(stop),
            log,
            secrets,
            ballot_box,
            clock,
            logged,
            secret_id,
            other_id,
            open_id,
        };
        if with_box {
            room.wait_for(|s| s.ballot_box.is_some(), "the ballot box published");
        }
        room
    }

    /// Stops the server and starts it again on the same data directory,
    /// with the same ballot box.
    fn restart(&mut self) {
        drop(self.stop.take());
        let (addr, tips, stop) = serve(
            &self.dir,
            &self.log,
            &self.clock,
            &self.logged,
            Default::default(),
            false,
            Some(self.ballot_box.clone()),
        );
        self.addr = addr;
        self.tips = tips;
        self.stop = Some(stop);
    }

    /// The served state document, once `ok` holds of it (10 s at most).
    fn wait_for(&self, ok: impl Fn(&StateDocument) -> bool, what: &str) -> StateDocument {
        let until = Instant::now() + Duration::from_secs(20);
        loop {
            let r = crate::http::get(self.addr, "/api/v1/state");
            if r.status == 200 {
                let doc: StateDocument = serde_json::from_slice(&r.body).unwrap();
                if ok(&doc) {
                    return doc;
                }
            }
            assert!(Instant::now() < until, "never: {what}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn vote_of(&self, id: u64) -> SecretVote {
        let p = Publication::open(&self.dir).unwrap();
        let vote = p.state().proposal(id).unwrap().secret.clone().unwrap();
        *vote
    }

    fn ballot(&self, id: u64, who: usize, seq: u64, choice: Ballot) -> CastBallot {
        let vote = self.vote_of(id);
        cast(
            ORIGIN,
            id,
            &vote,
            vote.roots.len() - 1,
            &self.secrets[who],
            seq,
            choice,
        )
    }

    fn post_to(&self, addr: SocketAddr, body: &[u8], headers: &[(&str, &str)]) -> Reply {
        let len = body.len().to_string();
        let mut headers = headers.to_vec();
        headers.push(("Content-Length", &len));
        erkin_testkit::send(addr, "POST", &format!("/{BALLOTS_PATH}"), &headers, body)
            .expect("the server answers")
    }

    fn post(&self, body: &[u8]) -> Reply {
        self.post_to(self.addr, body, &[])
    }

    fn send(&self, b: &CastBallot) -> Reply {
        self.post(&body(b, &self.ballot_box.recipient()))
    }
}

/// Starts a sequencing server on `dir` with the test's clock and request
/// log; a tips listener if `tips`.
fn serve(
    dir: &std::path::Path,
    log: &SecretKey,
    clock: &Arc<AtomicU64>,
    logged: &Arc<Mutex<Vec<String>>>,
    limits: erkin_server::ApiLimits,
    tips: bool,
    ballot_box: Option<BallotBox>,
) -> (SocketAddr, Option<SocketAddr>, crate::http::Stop) {
    let c = clock.clone();
    let sink = logged.clone();
    let tips_listener = tips.then(|| std::net::TcpListener::bind("127.0.0.1:0").unwrap());
    let tips_addr = tips_listener.as_ref().map(|l| l.local_addr().unwrap());
    let options = erkin_server::ServeOptions {
        log_requests: true,
        request_log: Some(Arc::new(move |line| sink.lock().unwrap().push(line))),
        members: Some(erkin_server::MembersApi {
            log_key: SecretKey::parse(log.expose_secret_text()).unwrap(),
            sequencer: erkin_server::SequencerConfig {
                max_delay: Duration::from_millis(1),
                clock: Clock::new(move || c.load(Ordering::SeqCst)),
                ballot_box,
                ..Default::default()
            },
            limits,
        }),
        tips: tips_listener.map(|l| erkin_server::TipsOptions {
            config: erkin_tips::TipsConfig::new(dir.to_path_buf()),
            listener: Some(l),
        }),
        ..Default::default()
    };
    let (addr, stop) = crate::http::start_with(dir, options);
    (addr, tips_addr, stop)
}

impl Drop for Newsroom {
    fn drop(&mut self) {
        drop(self.stop.take());
    }
}

/// The encrypted answer to a body that decrypted: always 200, binary,
/// never cached, one length of payload; read with the testkit's reply
/// identity.
fn answer(r: &Reply) -> BallotAnswer {
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!(r.header("set-cookie"), None);
    assert!(r.body.starts_with(b"age-encryption.org/v1\n"));
    assert_eq!(
        payload_len(&r.body),
        ANSWER_PAYLOAD,
        "every answer's payload has one length"
    );
    erkin_testkit::ballots::answer(&r.body).expect("the answer decrypts with the reply identity")
}

/// An age file's payload for the answer: its 16-byte nonce, then the one
/// chunk of `BALLOT_ANSWER_LEN` bytes and its 16-byte tag.
const ANSWER_PAYLOAD: usize = 16 + BALLOT_ANSWER_LEN + 16;

fn receipt(r: &Reply) -> BallotReceipt {
    match answer(r) {
        BallotAnswer::Receipt(rc) => rc,
        BallotAnswer::Refused(doc) => panic!("refused: {doc:?}"),
    }
}

/// A refusal inside the encrypted answer.
fn answered(r: &Reply, code: &str) -> ApiError {
    match answer(r) {
        BallotAnswer::Refused(doc) => {
            assert_eq!(doc.error.code, code, "{doc:?}");
            doc.error
        }
        BallotAnswer::Receipt(rc) => panic!("taken: {rc:?}"),
    }
}

fn refusal(r: &Reply, status: u16, code: &str) -> ApiError {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let doc: ErrorDocument = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(doc.error.code, code, "{}", r.text());
    doc.error
}

#[test]
fn a_ballot_is_held_with_a_receipt_and_no_cookie_or_log_line_and_published_at_the_close() {
    let room = Newsroom::new(Default::default(), false, true);
    let a = room.ballot(room.secret_id, 0, 1, Ballot::Yes);
    // A cookie is sent (as a careless client might): it changes nothing,
    // and none comes back.
    let r = room.post_to(
        room.addr,
        &body(&a, &room.ballot_box.recipient()),
        &[("Cookie", "erkin_desk=whatever")],
    );
    let rc = receipt(&r);
    assert_eq!(r.header("set-cookie"), None);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert_eq!((rc.proposal, rc.epoch), (room.secret_id, 0));
    verify_ballot_receipt(&rc, room.log.verifier_key(), &a.hash()).unwrap();
    // A stale seq: its code with the held seq, in the encrypted answer;
    // the retry above it is taken.
    let again = room.ballot(room.secret_id, 0, 1, Ballot::No);
    let e = answered(&room.send(&again), "stale_ballot");
    assert_eq!(e.held_seq, Some(1));
    let again = room.ballot(room.secret_id, 0, 2, Ballot::No);
    // Too soon after the first (review finding 8): refused with the
    // sequencer's time and when to send it again, in the encrypted answer.
    let held_at = room.clock.load(Ordering::SeqCst);
    let e = answered(&room.send(&again), "revote_too_soon");
    let times = e.times.expect("the times of a re-vote too soon");
    assert_eq!(
        (times.time, times.reference),
        (held_at, held_at + erkin_store::REVOTE_INTERVAL_SECS)
    );
    room.clock
        .fetch_add(erkin_store::REVOTE_INTERVAL_SECS, Ordering::SeqCst);
    receipt(&room.send(&again));
    let b = room.ballot(room.secret_id, 1, 1, Ballot::No);
    receipt(&room.send(&b));
    // Nothing in the log before the close, and no ballot in the state.
    let doc = room.wait_for(|_| true, "the state");
    let p = doc
        .proposals
        .iter()
        .find(|p| p.id == room.secret_id)
        .unwrap();
    assert!(p.secret.as_ref().unwrap().ballots.is_empty());
    // The request log has lines (the state's GETs) but none for a ballot.
    let lines = room.logged.lock().unwrap().clone();
    assert!(
        lines.iter().any(|l| l.contains("/api/v1/state")),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l.contains("ballots")), "{lines:?}");
    // At the deadline: voting_ended with the two times; then the idle
    // sequencer closes it with the held ballots.
    room.clock.store(CLOSES, Ordering::SeqCst);
    // (The idle sequencer may close it first: then it is closed. The
    // store's suite checks voting_ended without that race.)
    let late = room.ballot(room.secret_id, 2, 1, Ballot::Yes);
    let r = room.send(&late);
    let BallotAnswer::Refused(doc) = answer(&r) else {
        panic!("a late ballot taken");
    };
    if doc.error.code == "voting_ended" {
        let times = doc.error.times.expect("the times compared");
        assert_eq!((times.time, times.reference), (CLOSES, CLOSES));
    } else {
        answered(&r, "proposal_closed");
    }
    let doc = room.wait_for(
        |d| {
            d.proposals
                .iter()
                .any(|p| p.id == room.secret_id && p.outcome.is_some())
        },
        "the secret resolution closed",
    );
    let p = doc
        .proposals
        .iter()
        .find(|p| p.id == room.secret_id)
        .unwrap();
    let secret = p.secret.as_ref().unwrap();
    // aigerim's re-vote replaced her first ballot (same epoch): two.
    assert_eq!(secret.ballots.len(), 2);
    let mut published: Vec<&str> = secret.ballots.iter().map(|b| b.hash.as_str()).collect();
    let mut sorted = published.clone();
    sorted.sort();
    assert_eq!(published, sorted, "published in hash order");
    published.sort();
    let mut sent = [hex(again.hash()), hex(b.hash())];
    assert!(!published.contains(&hex(a.hash()).as_str()));
    sent.sort();
    assert_eq!(
        published,
        sent.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let outcome = p.outcome.as_ref().unwrap();
    assert_eq!(outcome.secret.as_ref().unwrap().turnout, 2);
    assert_eq!((outcome.tally.yes, outcome.tally.no), (0, 2));
    assert!(!room
        .logged
        .lock()
        .unwrap()
        .iter()
        .any(|l| l.contains("ballots")));
}

fn hex(h: [u8; 32]) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_interceptor_or_a_replayer_learns_nothing_from_the_answer() {
    // docs/BALLOT.md §9, TLS interception: whoever reads the connection
    // (or replays the captured body later) sees one status, one type and
    // one payload length whether the ballot was held, held already, stale
    // or refused, and no ballot hash: the answer is to the one-time reply
    // recipient the ballot's plaintext carries.
    let room = Newsroom::new(Default::default(), false, true);
    let a = room.ballot(room.secret_id, 0, 1, Ballot::Yes);
    let body_a = body(&a, &room.ballot_box.recipient());
    let first = room.post(&body_a);
    let replayed = room.post(&body_a);
    let b = room.ballot(room.secret_id, 0, 2, Ballot::No);
    room.clock
        .fetch_add(erkin_store::REVOTE_INTERVAL_SECS, Ordering::SeqCst);
    let re_vote = room.send(&b);
    let stale = room.post(&body_a);
    let elsewhere = CastBallot {
        proposal: room.other_id,
        ..a.clone()
    };
    let refused = room.send(&elsewhere);
    let hash_hex = hex(a.hash());
    for r in [&first, &replayed, &re_vote, &stale, &refused] {
        let _ = answer(r);
        let text = String::from_utf8_lossy(&r.body);
        assert!(!text.contains(&hash_hex), "the ballot hash in clear");
        assert!(!text.contains("stale_ballot") && !text.contains("erkin.ballot-receipt"));
    }
    verify_ballot_receipt(&receipt(&first), room.log.verifier_key(), &a.hash()).unwrap();
    verify_ballot_receipt(&receipt(&replayed), room.log.verifier_key(), &a.hash()).unwrap();
    verify_ballot_receipt(&receipt(&re_vote), room.log.verifier_key(), &b.hash()).unwrap();
    assert_eq!(answered(&stale, "stale_ballot").held_seq, Some(2));
    answered(&refused, "bad_ballot");
    // Another identity than the reply's cannot read it (the ballot box's
    // included: the answer is not to the box).
    let other = BallotBox::generate();
    assert!(erkin_store::open_answer(&stale.body, other.identity()).is_err());
    assert!(erkin_store::open_answer(&stale.body, room.ballot_box.identity()).is_err());
    // The store's reader, with the reply identity, reads what the
    // testkit's does.
    assert_eq!(
        erkin_store::open_answer(&stale.body, erkin_testkit::ballots::reply_identity()).unwrap(),
        answer(&stale)
    );
}

#[test]
fn a_stream_of_garbage_ballots_does_not_keep_a_due_proposal_open() {
    // Review finding 4: the sequencer closed due proposals only when its
    // queue fell silent for 200 ms; a body every 20 ms (free to send: it
    // does not decrypt) kept the secret resolution open forever.
    let room = Newsroom::new(Default::default(), false, true);
    let a = room.ballot(room.secret_id, 0, 1, Ballot::Yes);
    receipt(&room.send(&a));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let addr = room.addr;
    let flood = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut sent = 0u32;
            while !stop.load(Ordering::SeqCst) {
                let r = erkin_testkit::send(
                    addr,
                    "POST",
                    &format!("/{BALLOTS_PATH}"),
                    &[("Content-Length", "7")],
                    b"not age",
                )
                .expect("the server answers");
                assert_eq!(r.status, 400, "{}", r.text());
                sent += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            sent
        })
    };
    // Let the stream run, then pass the deadline while it still runs.
    std::thread::sleep(Duration::from_millis(500));
    room.clock.store(CLOSES, Ordering::SeqCst);
    let doc = room.wait_for(
        |d| {
            d.proposals
                .iter()
                .any(|p| p.id == room.secret_id && p.outcome.is_some())
        },
        "the secret resolution closed under a stream of bodies",
    );
    stop.store(true, Ordering::SeqCst);
    let sent = flood.join().unwrap();
    assert!(sent > 10, "the stream ran: {sent} bodies");
    let p = doc
        .proposals
        .iter()
        .find(|p| p.id == room.secret_id)
        .unwrap();
    assert_eq!(p.secret.as_ref().unwrap().ballots.len(), 1);
}

#[test]
fn every_refusal_of_the_route_has_its_status_and_code() {
    let room = Newsroom::new(Default::default(), false, true);
    let recipient = room.ballot_box.recipient();
    let a = room.ballot(room.secret_id, 0, 1, Ballot::Yes);
    // Bodies that do not decrypt, or whose plaintext is not 8,192 bytes.
    let plain = pad_ballot(&a.canonical_json(), &reply()).unwrap();
    let stranger = BallotBox::generate().recipient();
    for bad in [
        encrypt(&plain, &stranger),
        b"not age".to_vec(),
        encrypt(&plain[..BALLOT_PLAINTEXT_LEN - 1], &recipient),
    ] {
        refusal(&room.post(&bad), 400, "bad_body");
    }
    // Too large a body.
    refusal(&room.post(&vec![0u8; 64 * 1024]), 413, "too_large");
    // Made for another proposal: the proof fails for its scope.
    let elsewhere = CastBallot {
        proposal: room.other_id,
        ..a.clone()
    };
    answered(&room.send(&elsewhere), "bad_ballot");
    // On an open (roll-call) vote.
    let open = CastBallot {
        proposal: room.open_id,
        ..a.clone()
    };
    answered(&room.send(&open), "secret_ballot");
    // A JSON that is not canonical inside a good body.
    let spaced = String::from_utf8(a.canonical_json())
        .unwrap()
        .replace(",\"seq\"", ", \"seq\"");
    answered(
        &room.post(&encrypt(
            &pad_ballot(spaced.as_bytes(), &reply()).unwrap(),
            &recipient,
        )),
        "bad_ballot",
    );
    // A plaintext without a reply recipient (a client of before), or with
    // one that is not a recipient: in clear, nothing read as a ballot.
    let mut old = a.canonical_json();
    old.push(b'\n');
    old.resize(BALLOT_PLAINTEXT_LEN, 0);
    refusal(&room.post(&encrypt(&old, &recipient)), 400, "bad_body");
    let mut odd = pad_ballot(&a.canonical_json(), &reply()).unwrap();
    odd[a.canonical_json().len() + 6] ^= 1;
    refusal(&room.post(&encrypt(&odd, &recipient)), 400, "bad_body");
    // Any other path under the API is still not found.
    let r = erkin_testkit::send(
        room.addr,
        "POST",
        "/api/v1/ballot",
        &[("Content-Length", "1")],
        b"x",
    )
    .unwrap();
    refusal(&r, 404, "not_found");
    // The good ballot is still taken after all of that.
    receipt(&room.send(&a));
}

#[test]
fn refused_proofs_spend_a_budget_after_which_ballots_wait() {
    let limits = erkin_server::ApiLimits {
        ballot_proof_rate: 0.001,
        ballot_proof_burst: 2.0,
        ..Default::default()
    };
    let room = Newsroom::new(limits, false, true);
    let a = room.ballot(room.secret_id, 0, 1, Ballot::Yes);
    let elsewhere = CastBallot {
        proposal: room.other_id,
        ..a.clone()
    };
    answered(&room.send(&elsewhere), "bad_ballot");
    answered(&room.send(&elsewhere), "bad_ballot");
    // The budget is spent: even a good ballot waits, before it is read.
    let r = room.send(&a);
    refusal(&r, 429, "rate_limited");
    assert!(r.header("retry-after").is_some());
    // Bodies refused before any proof is verified spend nothing (checked
    // on a fresh server: undecryptable bodies, then well-formed ones with
    // a malformed root, nullifier or proof, a stale root, a wrong choice,
    // each more times than the burst, then a good ballot).
    let room = Newsroom::new(
        erkin_server::ApiLimits {
            ballot_proof_rate: 0.001,
            ballot_proof_burst: 2.0,
            ..Default::default()
        },
        false,
        true,
    );
    for _ in 0..20 {
        refusal(&room.post(b"not age"), 400, "bad_body");
    }
    let a = room.ballot(room.secret_id, 0, 1, Ballot::Yes);
    let cheap = [
        (
            CastBallot {
                root: "00".into(),
                ..a.clone()
            },
            "bad_ballot",
        ),
        (
            CastBallot {
                nullifier: "zz".repeat(32),
                ..a.clone()
            },
            "bad_ballot",
        ),
        (
            CastBallot {
                proof: "00".repeat(256),
                ..a.clone()
            },
            "bad_ballot",
        ),
        (
            CastBallot {
                root: "1".repeat(64),
                ..a.clone()
            },
            "stale_root",
        ),
    ];
    for (b, code) in &cheap {
        for _ in 0..3 {
            answered(&room.send(b), code);
        }
    }
    receipt(&room.send(&a));
    // Proofs that verified spend nothing either: a stale re-send of a
    // real ballot, again and again.
    let a2 = room.ballot(room.secret_id, 0, 2, Ballot::No);
    room.clock
        .fetch_add(erkin_store::REVOTE_INTERVAL_SECS, Ordering::SeqCst);
    receipt(&room.send(&a2));
    for _ in 0..3 {
        answered(&room.send(&a), "stale_ballot");
    }
    let b = room.ballot(room.secret_id, 1, 1, Ballot::Yes);
    receipt(&room.send(&b));
}

#[test]
fn the_tips_listener_takes_ballots_and_a_server_without_a_box_refuses_them() {
    let room = Newsroom::new(Default::default(), true, true);
    let a = room.ballot(room.secret_id, 0, 1, Ballot::Yes);
    let r = room.post_to(
        room.tips.expect("a tips listener"),
        &body(&a, &room.ballot_box.recipient()),
        &[],
    );
    let rc = receipt(&r);
    assert_eq!(r.header("set-cookie"), None);
    verify_ballot_receipt(&rc, room.log.verifier_key(), &a.hash()).unwrap();
    // Without a ballot box: 503 no_ballot_box.
    let bare = Newsroom::new(Default::default(), false, false);
    let b = bare.ballot(bare.secret_id, 0, 1, Ballot::Yes);
    refusal(
        &bare.post(&body(&b, &BallotBox::generate().recipient())),
        503,
        "no_ballot_box",
    );
}

#[test]
fn held_ballots_survive_a_restart_and_the_box_is_published_once() {
    let mut room = Newsroom::new(Default::default(), false, true);
    let a = room.ballot(room.secret_id, 0, 1, Ballot::Yes);
    let b = room.ballot(room.secret_id, 1, 1, Ballot::Yes);
    receipt(&room.send(&a));
    receipt(&room.send(&b));
    room.restart();
    // The same box: no second ballot_box entry.
    let boxes = || {
        let p = Publication::open(&room.dir).unwrap();
        let size = p.store().size();
        p.store()
            .entries(0, size)
            .unwrap()
            .iter()
            .filter(|e| {
                matches!(
                    erkin_core::entry::ParsedEntry::parse(e, ORIGIN)
                        .unwrap()
                        .body
                        .action,
                    Action::BallotBox(_)
                )
            })
            .count()
    };
    assert_eq!(boxes(), 1);
    // The ballot sent again after the restart is held already: its receipt.
    verify_ballot_receipt(&receipt(&room.send(&a)), room.log.verifier_key(), &a.hash()).unwrap();
    room.clock.store(CLOSES, Ordering::SeqCst);
    let doc = room.wait_for(
        |d| {
            d.proposals
                .iter()
                .any(|p| p.id == room.secret_id && p.outcome.is_some())
        },
        "the secret resolution closed",
    );
    let p = doc
        .proposals
        .iter()
        .find(|p| p.id == room.secret_id)
        .unwrap();
    assert_eq!(p.secret.as_ref().unwrap().ballots.len(), 2);
    let outcome = p.outcome.as_ref().unwrap();
    assert!(outcome.passed);
    assert_eq!(outcome.tally.yes, 2);
    assert_eq!(boxes(), 1);
}
