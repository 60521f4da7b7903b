//! The sequencer over HTTP, in process: receipts check out against the log
//! key; entries are sequenced in arrival order after the batch's tick, so a
//! member's own date holds nobody back; and time is the log's: the attacks
//! of issue 12 on time, each with a fake clock injected into the sequencer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use erkin_core::action::{Action, Ballot, Charter, Close, Motion, Propose, Statement, Vote};
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::governance::{Effect, Outcome};
use erkin_core::keys::SecretKey;
use erkin_mirror::{ClientError, MembersClient};
use erkin_server::sequencer::Clock;
use erkin_store::Publication;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn start_with_clock(
    dir: &std::path::Path,
    log: &SecretKey,
    delay: Duration,
    clock: Clock,
) -> (String, crate::http::Stop) {
    let sequencer = erkin_server::SequencerConfig {
        max_delay: delay,
        clock,
        ..Default::default()
    };
    start_with_config(dir, log, sequencer)
}

fn start_with_config(
    dir: &std::path::Path,
    log: &SecretKey,
    sequencer: erkin_server::SequencerConfig,
) -> (String, crate::http::Stop) {
    let options = erkin_server::ServeOptions {
        members: Some(erkin_server::MembersApi {
            log_key: SecretKey::parse(log.expose_secret_text()).unwrap(),
            sequencer,
            limits: Default::default(),
        }),
        ..Default::default()
    };
    let (addr, stop) = crate::http::start_with(dir, options);
    (format!("http://{addr}/"), stop)
}

fn statement(origin: &str, key: &SecretKey, time: u64, text: &str) -> Vec<u8> {
    let body = EntryBody {
        time,
        action: Action::Statement(Statement { text: text.into() }),
    };
    sign_entry(origin, &body, key).unwrap()
}

#[test]
fn a_batch_is_sequenced_in_arrival_order_after_its_tick_and_receipts_verify() {
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
            // Founded over a minute ago, so even a batch of statements is
            // led by a tick (`TICK_EVERY_SECS`).
            t0 - 2 * erkin_store::publication::TICK_EVERY_SECS,
        )
        .unwrap(),
    );
    // A batch of two, held open long enough for both submissions: the batch
    // is committed when the second arrives. The second is sent well after
    // the first (half a second), so that "arrival order" holds on a loaded
    // machine too (with 50 ms, it once did not); later single submissions
    // each wait out the window.
    let (url, stop) = start_with_config(
        &tmp.path().join("d"),
        &log,
        erkin_server::SequencerConfig {
            max_batch: 2,
            max_delay: Duration::from_secs(2),
            ..Default::default()
        },
    );
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
    let second = submit(earlier, 500);
    let later_receipt = first.join().unwrap().expect("the later entry is admitted");
    let earlier_receipt = second
        .join()
        .unwrap()
        .expect("the earlier entry is admitted");
    assert_eq!(
        later_receipt.index + 1,
        earlier_receipt.index,
        "arrival order"
    );
    // Genesis, the batch's tick, the two statements.
    assert_eq!(later_receipt.index, 2, "the tick leads the batch");
    assert_eq!(later_receipt.checkpoint.size, 4);
    assert_eq!(
        earlier_receipt.checkpoint.size, 4,
        "both in one batch, one checkpoint"
    );

    // An entry dated before the last one is admitted too: members' own
    // times need no order (the log time is the ticks').
    let client = MembersClient::new(&url, log.verifier_key().clone(), Duration::from_secs(30));
    let late = statement(origin, &b, t0 - 5, "dated before the last entry");
    assert!(client.submit(&late).is_ok());
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
    drop(stop);
}

// ---------------------------------------------------------------------------
// Time attacks (issue 12), with the sequencer's clock in the test's hands.

const ORIGIN: &str = "time.example/news";
const T0: u64 = 1_790_000_000;
const H: u64 = 3600;

struct Newsroom {
    _tmp: tempfile::TempDir,
    url: String,
    stop: Option<crate::http::Stop>,
    log: SecretKey,
    members: Vec<SecretKey>,
    /// The sequencer's clock, set by the test.
    clock: Arc<AtomicU64>,
}

impl Newsroom {
    /// Four founders, founded at T0, the sequencer's clock at T0.
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let log = SecretKey::generate(&mut rand_core::OsRng, ORIGIN).unwrap();
        let members: Vec<SecretKey> = ["aigerim", "bolat", "dana", "erlan"]
            .iter()
            .map(|h| SecretKey::generate(&mut rand_core::OsRng, h).unwrap())
            .collect();
        let founders: Vec<_> = members.iter().map(|k| k.verifier_key().clone()).collect();
        drop(
            Publication::found(
                &tmp.path().join("d"),
                "Time",
                &log,
                &founders,
                Charter::default(),
                T0,
            )
            .unwrap(),
        );
        let clock = Arc::new(AtomicU64::new(T0));
        let c = clock.clone();
        let (url, stop) = start_with_clock(
            &tmp.path().join("d"),
            &log,
            Duration::from_millis(1),
            Clock::new(move || c.load(Ordering::SeqCst)),
        );
        Newsroom {
            _tmp: tmp,
            url,
            stop: Some(stop),
            log,
            members,
            clock,
        }
    }

    fn set_clock(&self, t: u64) {
        self.clock.store(t, Ordering::SeqCst);
    }

    /// Member `m` signs `action` dated `time` and submits it: its index, or
    /// the refusal's HTTP status and code.
    fn submit(&self, m: usize, time: u64, action: Action) -> Result<u64, (u16, String)> {
        self.submit_full(m, time, action)
            .map_err(|(status, e)| (status, e.code))
    }

    /// As [`Newsroom::submit`], with the whole error document.
    fn submit_full(
        &self,
        m: usize,
        time: u64,
        action: Action,
    ) -> Result<u64, (u16, erkin_core::api::ApiError)> {
        let entry = sign_entry(ORIGIN, &EntryBody { time, action }, &self.members[m]).unwrap();
        let client = MembersClient::new(
            &self.url,
            self.log.verifier_key().clone(),
            Duration::from_secs(30),
        );
        match client.submit(&entry) {
            Ok(receipt) => Ok(receipt.index),
            Err(ClientError::Refused { status, error }) => Err((status, error)),
            Err(e) => panic!("{e}"),
        }
    }

    fn state(&self) -> erkin_store::Publication {
        Publication::open(&self._tmp.path().join("d")).unwrap()
    }

    /// Waits (up to 10 s) for proposal `id` to be closed; its outcome.
    fn wait_closed(&self, id: u64) -> Outcome {
        let until = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let state = self.state();
            if let Some(o) = state.state().proposal(id).and_then(|p| p.outcome.clone()) {
                return o;
            }
            assert!(std::time::Instant::now() < until, "#{id} never closed");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Newsroom {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            drop(stop);
        }
    }
}

fn say(text: &str) -> Action {
    Action::Statement(Statement { text: text.into() })
}

fn resolution(closes_at: u64) -> Action {
    Action::Propose(Propose {
        title: "Adopt the budget".into(),
        closes_at,
        motion: Motion::Resolution {
            text: "We adopt the budget.".into(),
        },
    })
}

fn vote(proposal: u64, ballot: Ballot) -> Action {
    Action::Vote(Vote { proposal, ballot })
}

#[test]
fn a_late_vote_dated_before_the_deadline_is_refused() {
    let n = Newsroom::new();
    let closes_at = T0 + 72 * H;
    let id = n.submit(0, T0, resolution(closes_at)).unwrap();
    n.submit(0, T0 + 60, vote(id, Ballot::Yes)).unwrap();
    // Ten minutes after the deadline, a vote dated a second before it
    // (within the members' window of the log time) is refused. Since the
    // sequencer closes proposals at their deadline, the proposal is closed
    // by then (before, the vote was refused as `voting_ended`: the fold
    // tests keep that case); the vote still does not count.
    n.set_clock(closes_at + 600);
    let o = n.wait_closed(id);
    assert_eq!(o.closed_at, closes_at + 600);
    assert_eq!(
        n.submit(1, closes_at - 1, vote(id, Ballot::No)),
        Err((422, "proposal_closed".into()))
    );
    // Two hours late: the claimed date is too far from the log time.
    n.set_clock(closes_at + 2 * H);
    assert_eq!(
        n.submit(2, closes_at - 1, vote(id, Ballot::No)),
        Err((422, "clock_skew".into()))
    );
    let state = n.state();
    let p = state.state().proposal(id).unwrap();
    assert_eq!(p.votes.len(), 1, "no late vote counted");
    // A batch that admits nothing leaves no bare tick behind: the log
    // ends with the sequencer's tick and close.
    assert_eq!(state.state().log_time(), closes_at + 600);
    assert_eq!(state.state().size(), 5);
}

#[test]
fn a_member_dating_ahead_locks_nobody_out_and_far_future_dates_are_refused() {
    let n = Newsroom::new();
    n.set_clock(T0 + 10);
    // Four minutes ahead (inside the window): admitted.
    n.submit(0, T0 + 10 + 240, say("from a fast laptop"))
        .unwrap();
    // Everyone else, honestly dated, is still admitted at once.
    for m in 1..4 {
        n.submit(m, T0 + 10, say("an honest clock")).unwrap();
    }
    // The year 2100 is refused, by the sequencer and by the fold alike.
    assert_eq!(
        n.submit(1, 4_102_444_800, say("from the future")),
        Err((422, "clock_skew".into()))
    );
}

#[test]
fn a_server_clock_three_days_fast_is_caught() {
    let n = Newsroom::new();
    let id = n.submit(0, T0, resolution(T0 + 72 * H)).unwrap();
    n.submit(0, T0 + 1, vote(id, Ballot::Yes)).unwrap();
    n.submit(1, T0 + 1, vote(id, Ballot::Yes)).unwrap();
    // The server's clock jumps three days ahead: the honest members' entries,
    // dated by their true clocks, are refused rather than admitted…
    let fast = T0 + 3 * 24 * H + 60;
    n.set_clock(fast);
    assert_eq!(
        n.submit(2, T0 + 2, say("true time")),
        Err((422, "clock_skew".into()))
    );
    // …and whatever the fast clock let through (here the sequencer's own
    // close of the proposal, due by its clock), the log now records a time
    // three days ahead: every member's and mirror's clock sees it.
    assert_eq!(n.wait_closed(id).closed_at, fast);
    let state = n.state();
    assert_eq!(state.state().log_time(), fast);
    let ahead = erkin_core::state::check_log_time(state.state().log_time(), T0 + 5)
        .expect_err("a reader's clock refuses the log's time");
    assert_eq!(ahead.log_time, fast);
    // When the clock is put back, the log time does not move backwards:
    // entries dated by the true clock stay refused until time catches up.
    drop(state);
    n.set_clock(T0 + 10);
    assert_eq!(
        n.submit(3, T0 + 10, say("back to true time")),
        Err((422, "clock_skew".into()))
    );
    assert_eq!(n.state().state().log_time(), fast);
}

#[test]
fn the_sequencer_closes_a_proposal_at_its_deadline_in_log_time() {
    let n = Newsroom::new();
    let closes_at = T0 + 72 * H;
    let id = n.submit(0, T0, resolution(closes_at)).unwrap();
    n.submit(0, T0 + 60, vote(id, Ballot::Yes)).unwrap();
    n.submit(1, T0 + 60, vote(id, Ballot::Yes)).unwrap();
    // A second before the deadline: batches and idle moments pass, and
    // nothing closes it; a member's close is too early.
    n.set_clock(closes_at - 1);
    n.submit(2, closes_at - 1, say("still open?")).unwrap();
    let (status, early) = n
        .submit_full(
            2,
            closes_at - 1,
            Action::Close(Close {
                proposal: id,
                salts: Vec::new(),
            }),
        )
        .unwrap_err();
    assert_eq!((status, early.code.as_str()), (422, "too_early"));
    // The refusal carries its times, for clients to show in local time:
    // the log time and the deadline.
    assert_eq!(
        early.times,
        Some(erkin_core::rejection::RefusalTimes {
            time: closes_at - 1,
            reference: closes_at,
        })
    );
    std::thread::sleep(Duration::from_millis(600));
    assert!(n.state().state().proposal(id).unwrap().outcome.is_none());
    // At the deadline, with nobody submitting anything, the idle sequencer
    // ticks and closes it: a close signed by the log key, judged like a
    // member's and counted the same way.
    n.set_clock(closes_at);
    let o = n.wait_closed(id);
    assert_eq!(o.closed_at, closes_at);
    assert!(o.passed);
    assert_eq!(o.effect, Effect::Resolved);
    let state = n.state();
    let entries = state
        .store()
        .entries(o.closed_by - 1, o.closed_by + 1)
        .unwrap();
    let tick = erkin_core::entry::ParsedEntry::parse(&entries[0], ORIGIN).unwrap();
    let close = erkin_core::entry::ParsedEntry::parse(&entries[1], ORIGIN).unwrap();
    assert_eq!(tick.body.action.kind(), "tick");
    assert_eq!(tick.body.time, closes_at);
    assert_eq!(
        close.body.action,
        Action::Close(Close {
            proposal: id,
            salts: Vec::new(),
        }),
        "the entry after the tick is the close"
    );
    assert_eq!(close.signer().0, ORIGIN, "signed by the log key");
    assert_eq!(o.closed_by + 1, state.state().size());
    drop(state);
    // Closed once: a member's close afterwards is refused.
    assert_eq!(
        n.submit(
            3,
            closes_at,
            Action::Close(Close {
                proposal: id,
                salts: Vec::new(),
            })
        ),
        Err((422, "proposal_closed".into()))
    );
}
