//! The fold is a pure function of the accepted entries (src/state.rs,
//! src/governance.rs): random sequences of member actions, many of them
//! refused, always fold to the same state when the accepted entries are
//! replayed, and a refused entry never changes the state.

use crate::common;

use std::sync::OnceLock;

use erkin_core::action::{
    Action, Ballot, Charter, Close, Correct, Genesis, Motion, Propose, Publish, Resign, RotateKey,
    Statement, Tick, Vote,
};
use erkin_core::blob::BlobId;
use erkin_core::charter::{Base, Comparison, Fraction};
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::governance::Judged;
use erkin_core::keys::SecretKey;
use erkin_core::state::{Rejection, State};
use proptest::prelude::*;

const ORIGIN: &str = "news.example/erkin";
const T0: u64 = 1_764_345_600;
const H: u64 = 3600;
/// Founders first; the others can only be admitted.
const NAMES: [&str; 7] = [
    "aigerim", "bolat", "dana", "erlan", "farida", "zhanna", "yerlan",
];
const FOUNDERS: usize = 5;
/// Keys per name: members rotate among them, and the spare ones forge.
const KEYS_PER_NAME: u32 = 2;

// ---------------------------------------------------------------------------
// Keys, derived once from fixed seeds.

fn make_key(name: &str, n: u32) -> SecretKey {
    common::seeded_key("erkin determinism test key\n", name, n)
}

struct Keys {
    log: SecretKey,
    /// `by_name[i][n]`: the `n`th key named `NAMES[i]`.
    by_name: Vec<Vec<SecretKey>>,
    genesis: Vec<u8>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let log = make_key(ORIGIN, 0);
        let by_name: Vec<Vec<SecretKey>> = NAMES
            .iter()
            .map(|n| (0..KEYS_PER_NAME).map(|i| make_key(n, i)).collect())
            .collect();
        let body = EntryBody {
            time: T0,
            action: Action::Genesis(Genesis {
                name: "Erkin Habar".into(),
                log_key: log.verifier_key().to_string(),
                founders: by_name[..FOUNDERS]
                    .iter()
                    .map(|ks| ks[0].verifier_key().to_string())
                    .collect(),
                charter: Charter::default(),
            }),
        };
        let genesis = sign_entry(ORIGIN, &body, &log).unwrap();
        Keys {
            log,
            by_name,
            genesis,
        }
    })
}

fn fresh() -> State {
    let k = keys();
    State::genesis(k.log.verifier_key(), &k.genesis).unwrap().0
}

// ---------------------------------------------------------------------------
// Generated steps, interpreted against the state at the time they are made
// (which proposal a vote picks, which key a member signs with).

#[derive(Debug, Clone)]
enum Op {
    Statement {
        text: u8,
    },
    Propose {
        kind: u8,
        arg: u8,
        hours: u16,
    },
    Vote {
        pick: u8,
        ballot: u8,
        ranking: Vec<u8>,
    },
    Close {
        pick: u8,
    },
    Rotate {
        to: u8,
    },
    Resign,
    /// Re-submit an entry made earlier (accepted or not).
    Replay {
        pick: u8,
    },
}

#[derive(Debug, Clone)]
struct Step {
    who: u8,
    /// Sign with a key that is not the signer's current one.
    forge: bool,
    /// The sequencer's clock jumps back `dt` seconds before this step (its
    /// tick is refused), and the member dates the entry by that clock.
    backwards: bool,
    /// Seconds the sequencer's clock moves on before this step (a tick).
    dt: u64,
    /// How far from the log time the member dates the entry: 0 is on time,
    /// otherwise seconds ahead (odd) or behind (even), perhaps past the
    /// window.
    skew: u16,
    op: Op,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => any::<u8>().prop_map(|text| Op::Statement { text }),
        8 => (any::<u8>(), any::<u8>(), prop_oneof![1 => 0u16..80, 3 => 60u16..200, 1 => 150u16..400])
            .prop_map(|(kind, arg, hours)| Op::Propose { kind, arg, hours }),
        20 => (any::<u8>(), 0u8..8, prop::collection::vec(any::<u8>(), 0..5))
            .prop_map(|(pick, ballot, ranking)| Op::Vote { pick, ballot, ranking }),
        6 => any::<u8>().prop_map(|pick| Op::Close { pick }),
        2 => any::<u8>().prop_map(|to| Op::Rotate { to }),
        1 => Just(Op::Resign),
        2 => any::<u8>().prop_map(|pick| Op::Replay { pick }),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    (
        any::<u8>(),
        prop::bool::weighted(0.05),
        prop::bool::weighted(0.05),
        prop_oneof![
            6 => 0u64..120,
            3 => 0u64..(12 * H),
            1 => (72 * H)..(250 * H),
        ],
        op(),
        prop_oneof![6 => Just(0u16), 3 => 0u16..400, 1 => 0u16..2000],
    )
        .prop_map(|(who, forge, backwards, dt, op, skew)| Step {
            who,
            forge,
            backwards,
            dt,
            op,
            skew,
        })
}

/// Charters an amendment may propose, one of them invalid.
fn charter_variant(n: u8) -> Charter {
    let mut c = Charter::default();
    match n % 6 {
        0 => {}
        1 => {
            c.admit.threshold.comparison = Comparison::AtLeast;
            c.admit.threshold.fraction = Fraction { num: 3, den: 4 };
            c.admit.threshold.of = Base::Members;
        }
        2 => c.remove.threshold.comparison = Comparison::Greater,
        3 => {
            c.resolution.min_hours = 1;
            c.admit.min_hours = 2;
        }
        4 => {
            c.board.seats = 2;
            c.board.term_days = 30;
        }
        _ => c.board.seats = 0,
    }
    c
}

/// The tick the sequencer signs at `time`.
fn tick(time: u64) -> Vec<u8> {
    let body = EntryBody {
        time,
        action: Action::Tick(Tick {}),
    };
    sign_entry(ORIGIN, &body, &keys().log).unwrap()
}

/// Builds the entry a step describes, against the current state, dated
/// `time` by its signer.
fn build(state: &State, made: &[Vec<u8>], s: &Step, time: u64) -> Vec<u8> {
    let k = keys();
    // Mostly a current member; sometimes anyone, member or not.
    let members: Vec<usize> = (0..NAMES.len())
        .filter(|&i| state.member(NAMES[i]).is_some())
        .collect();
    let who = if s.who < 208 && !members.is_empty() {
        members[usize::from(s.who) % members.len()]
    } else {
        usize::from(s.who) % NAMES.len()
    };
    let name = NAMES[who];
    if let Op::Replay { pick } = s.op {
        if !made.is_empty() {
            return made[usize::from(pick) % made.len()].clone();
        }
    }
    // The signer's current key if a member, else their first; a forger
    // signs with a key of the same name that is not the current one.
    let current = state.member(name).and_then(|m| {
        k.by_name[who]
            .iter()
            .position(|sk| sk.verifier_key() == &m.key)
    });
    let key_index = match (current, s.forge) {
        (Some(i), false) => i,
        (Some(i), true) => (i + 1) % KEYS_PER_NAME as usize,
        (None, _) => 0,
    };
    let signer = &k.by_name[who][key_index];
    // Mostly an open proposal; sometimes any, or an ID that may be none.
    let all: Vec<u64> = state.proposals().map(|p| p.id).collect();
    let open: Vec<u64> = state
        .proposals()
        .filter(|p| p.outcome.is_none())
        .map(|p| p.id)
        .collect();
    let pick_proposal = |pick: u8| -> u64 {
        let among = if pick < 224 && !open.is_empty() {
            &open
        } else {
            &all
        };
        if among.is_empty() || pick == 255 {
            u64::from(pick)
        } else {
            among[usize::from(pick) % among.len()]
        }
    };
    let handle = |n: u8| NAMES[usize::from(n) % NAMES.len()].to_string();
    let action = match &s.op {
        // Some "statements" are corrections or publications instead, so
        // articles change, and retractions and redactions have articles to
        // act on (only editors may publish).
        Op::Statement { text } if *text >= 240 => Action::Correct(Correct {
            slug: format!("story-{}", text % 4),
            title: format!("Story {text}, corrected"),
            summary: String::new(),
            body: BlobId::of(&[*text, 1]).to_string(),
            media: vec![],
            note: format!("Corrected ({text})."),
            major: text % 2 == 0,
        }),
        Op::Statement { text } if *text >= 200 => Action::Publish(Publish {
            slug: format!("story-{}", text % 4),
            lang: "en".into(),
            title: format!("Story {text}"),
            summary: String::new(),
            authors: vec![name.to_string()],
            bylines: vec![],
            tags: vec![],
            body: BlobId::of(&[*text]).to_string(),
            media: vec![],
            translation_of: None,
            first_published: None,
        }),
        Op::Statement { text } => Action::Statement(Statement {
            text: if *text == 0 {
                " ".into()
            } else {
                format!("statement {text}")
            },
        }),
        Op::Propose { kind, arg, hours } => {
            let motion = match kind % 7 {
                0 => {
                    let i = usize::from(*arg) % NAMES.len();
                    let n = usize::from(*arg / 7) % KEYS_PER_NAME as usize;
                    Motion::Admit {
                        key: k.by_name[i][n].verifier_key().to_string(),
                    }
                }
                1 => Motion::Remove {
                    handle: handle(*arg),
                },
                2 => Motion::Elect {
                    seats: if arg % 11 == 0 {
                        2
                    } else {
                        state.charter().board.seats
                    },
                    // Nominations close around the default 72 hours
                    // (sometimes too soon).
                    nominations_close: time + (69 + u64::from(*arg % 8)) * H,
                },
                3 => Motion::Amend {
                    charter: charter_variant(*arg),
                },
                4 => Motion::Retract {
                    article: format!("story-{}", arg % 4),
                    reason: "wrong".into(),
                },
                5 => Motion::Redact {
                    target: format!("story-{}", arg % 4),
                    reason: "names a source".into(),
                },
                _ => Motion::Resolution {
                    text: format!("resolution {arg}"),
                },
            };
            Action::Propose(Propose {
                title: format!("motion {kind} {arg}"),
                // An election's vote is counted from its nomination deadline.
                closes_at: motion.election().map_or(time, |(_, nc)| nc) + u64::from(*hours) * H,
                motion,
            })
        }
        Op::Vote {
            pick,
            ballot,
            ranking,
        } => {
            let proposal = pick_proposal(*pick);
            let candidates: Vec<String> = match state.proposal(proposal) {
                Some(p) if matches!(p.motion, Motion::Elect { .. }) => p.candidates(),
                _ => Vec::new(),
            };
            let ballot = match ballot {
                0..=2 => Ballot::Yes,
                3 => Ballot::No,
                4 => Ballot::Abstain,
                // Any handles, perhaps repeated or not candidates.
                5 => Ballot::Ranked(ranking.iter().map(|&n| handle(n)).collect()),
                _ if candidates.is_empty() => Ballot::Yes,
                // A valid ranking of an election's candidates.
                _ => {
                    let mut order: Vec<(u8, String)> = candidates
                        .iter()
                        .enumerate()
                        .map(|(i, c)| (ranking.get(i).copied().unwrap_or(i as u8), c.clone()))
                        .collect();
                    order.sort();
                    order.truncate(ranking.len().max(1));
                    Ballot::Ranked(order.into_iter().map(|(_, c)| c).collect())
                }
            };
            Action::Vote(Vote { proposal, ballot })
        }
        Op::Close { pick } => Action::Close(Close {
            proposal: pick_proposal(*pick),
            salts: Vec::new(),
        }),
        Op::Rotate { to } => {
            // Mostly the member's other key; sometimes another name's key.
            let i = if to % 5 == 0 {
                usize::from(*to / 5) % NAMES.len()
            } else {
                who
            };
            let n = usize::from(*to) % KEYS_PER_NAME as usize;
            Action::RotateKey(RotateKey {
                new_key: k.by_name[i][n].verifier_key().to_string(),
            })
        }
        Op::Resign | Op::Replay { .. } => Action::Resign(Resign {}),
    };
    sign_entry(ORIGIN, &EntryBody { time, action }, signer).unwrap()
}

/// (digest, size) of the state after each accepted entry.
type Trace = Vec<([u8; 32], u64)>;

/// What one run of the fold did.
struct Run {
    /// Every entry offered, in order, with what the fold answered (the
    /// index it got, or why it was refused).
    offered: Vec<(Vec<u8>, Result<u64, Rejection>)>,
    trace: Trace,
    state: State,
}

/// Builds and offers the steps' entries to a fresh state, checking that a
/// refused entry changes nothing and an accepted one gets the next index.
fn run(steps: &[Step]) -> Result<Run, TestCaseError> {
    let mut state = fresh();
    let mut offered: Vec<(Vec<u8>, Result<u64, Rejection>)> = Vec::new();
    let mut trace = Vec::new();
    let mut offer = |state: &mut State,
                     offered: &mut Vec<(Vec<u8>, Result<u64, Rejection>)>,
                     bytes: Vec<u8>|
     -> Result<(), TestCaseError> {
        let (digest, size) = (state.digest(), state.size());
        let result = state.apply(&bytes).map(|a| a.index);
        match &result {
            Ok(index) => {
                prop_assert_eq!(*index, size);
                prop_assert_eq!(state.size(), size + 1);
                trace.push((state.digest(), state.size()));
            }
            Err(_) => {
                prop_assert_eq!(state.digest(), digest, "a refused entry changed the state");
                prop_assert_eq!(state.size(), size);
            }
        }
        offered.push((bytes, result));
        Ok(())
    };
    for s in steps {
        // The sequencer's clock: on by `dt` (a tick), or back by `dt` (a
        // tick the fold must refuse: the log time never moves backwards).
        let clock = if s.backwards {
            state.log_time().saturating_sub(s.dt.max(1))
        } else {
            state.log_time() + s.dt
        };
        if clock != state.log_time() {
            offer(&mut state, &mut offered, tick(clock))?;
        }
        let skew = u64::from(s.skew / 2);
        let time = match s.skew % 2 {
            1 => clock + skew,
            _ => clock.saturating_sub(skew),
        };
        let made: Vec<Vec<u8>> = offered.iter().map(|(b, _)| b.clone()).collect();
        let bytes = build(&state, &made, s, time);
        offer(&mut state, &mut offered, bytes)?;
    }
    Ok(Run {
        offered,
        trace,
        state,
    })
}

fn accepted(r: &Run) -> Vec<&[u8]> {
    r.offered
        .iter()
        .filter(|(_, res)| res.is_ok())
        .map(|(b, _)| b.as_slice())
        .collect()
}

/// Folds `entries` into a fresh state; every one must be accepted.
fn replay(entries: &[&[u8]]) -> Result<(State, Trace), TestCaseError> {
    let mut state = fresh();
    let mut trace = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        let applied = state.apply(e);
        prop_assert!(
            applied.is_ok(),
            "entry {} refused on replay: {:?}",
            i,
            applied
        );
        trace.push((state.digest(), state.size()));
    }
    Ok((state, trace))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Time is the log's: whatever the members claim and whatever the
    /// sequencer's clock does (jumps ahead, runs back), no vote counts that
    /// reached the log after its deadline in log time, no deadline is set
    /// sooner than the charter's minimum period after the log time of the
    /// proposal, and nothing closes before its deadline unless every
    /// eligible member voted.
    #[test]
    fn deadlines_and_periods_hold_in_log_time(
        steps in prop::collection::vec(step(), 1..=60)
    ) {
        let run = run(&steps)?;
        let mut state = fresh();
        for bytes in accepted(&run) {
            let log_time = state.log_time();
            let body: EntryBody = serde_json::from_str(
                String::from_utf8_lossy(bytes).lines().nth(2).unwrap(),
            )
            .unwrap();
            let index = state.size();
            state.apply(bytes).unwrap();
            match &body.action {
                Action::Vote(v) => {
                    let p = state.proposal(v.proposal).unwrap();
                    prop_assert!(log_time < p.closes_at, "a vote at log time {} counted after the deadline {}", log_time, p.closes_at);
                }
                Action::Propose(_) => {
                    let p = state.proposal(index).unwrap();
                    prop_assert_eq!(p.opened_at, log_time, "a proposal opens at the log time");
                    let min = match p.rule {
                        Judged::Vote(r) => r.min_hours,
                        Judged::Election(r) => r.min_hours,
                    };
                    prop_assert!(p.closes_at >= p.opened_at + u64::from(min) * H);
                }
                Action::Close(c) => {
                    let p = state.proposal(c.proposal).unwrap();
                    let o = p.outcome.as_ref().unwrap();
                    prop_assert_eq!(o.closed_at, log_time, "closed at the log time");
                    prop_assert!(
                        o.closed_at >= p.closes_at || o.tally.voters() == o.tally.eligible,
                        "closed at {} before the deadline {} without every vote",
                        o.closed_at,
                        p.closes_at
                    );
                }
                _ => {}
            }
        }
        // The log time never went backwards, whatever the clock did.
        let ticks: Vec<u64> = accepted(&run)
            .iter()
            .filter_map(|b| {
                let body: EntryBody =
                    serde_json::from_str(String::from_utf8_lossy(b).lines().nth(2).unwrap()).ok()?;
                matches!(body.action, Action::Tick(_)).then_some(body.time)
            })
            .collect();
        prop_assert!(ticks.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn replaying_the_accepted_entries_reaches_the_same_state(
        steps in prop::collection::vec(step(), 1..=60)
    ) {
        let first = run(&steps)?;
        let entries = accepted(&first);
        prop_assert_eq!(first.state.size(), 1 + entries.len() as u64);

        // (1) The accepted entries alone, from genesis: the same state after
        // every entry and at the end.
        let (again, trace) = replay(&entries)?;
        prop_assert_eq!(again.digest(), first.state.digest());
        prop_assert_eq!(again.size(), first.state.size());
        prop_assert_eq!(&trace, &first.trace);

        // (2) The same accepted sequence folded twice more: identical.
        let (third, _) = replay(&entries)?;
        prop_assert_eq!(third.digest(), again.digest());
        prop_assert_eq!(third.size(), again.size());

        // Offering the whole sequence again, refused entries included, gives
        // the same answers entry by entry (a refusal depends only on the
        // state before it).
        let mut state = fresh();
        for (i, (bytes, expected)) in first.offered.iter().enumerate() {
            let (digest, size) = (state.digest(), state.size());
            let got = state.apply(bytes).map(|a| a.index);
            prop_assert_eq!(&got, expected, "entry {} answered differently", i);
            // (3) A refused entry never changes the digest.
            if got.is_err() {
                prop_assert_eq!(state.digest(), digest);
                prop_assert_eq!(state.size(), size);
            }
        }
        prop_assert_eq!(state.digest(), first.state.digest());

        // Offering any accepted entry once more is always refused, and
        // changes nothing.
        let (digest, size) = (state.digest(), state.size());
        for e in &entries {
            prop_assert!(state.apply(e).is_err(), "an entry was accepted twice");
            prop_assert_eq!(state.digest(), digest);
            prop_assert_eq!(state.size(), size);
        }
    }
}

/// The generator is worth its cases: over a fixed set of sequences, every
/// kind of action is accepted somewhere and decisions do get made.
#[test]
fn the_generator_exercises_every_action() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = prop::collection::vec(step(), 60);
    let mut kinds = std::collections::BTreeSet::new();
    let mut motions = std::collections::BTreeSet::new();
    let (mut passed, mut refused, mut accepted_closes) = (0, 0, 0);
    let mut reasons = std::collections::BTreeMap::new();
    for _ in 0..64 {
        let steps = strategy.new_tree(&mut runner).unwrap().current();
        let r = run(&steps).unwrap();
        for (bytes, res) in &r.offered {
            if let Err(e) = res {
                refused += 1;
                let k = format!("{e:?}");
                *reasons
                    .entry(k.split(['(', ' ']).next().unwrap().to_string())
                    .or_insert(0) += 1;
                continue;
            }
            let text = String::from_utf8_lossy(bytes);
            let json = text.lines().nth(2).unwrap();
            let body: EntryBody = serde_json::from_str(json).unwrap();
            kinds.insert(body.action.kind());
            if body.action.kind() == "close" {
                accepted_closes += 1;
            }
            if let Action::Propose(p) = &body.action {
                motions.insert(p.motion.kind());
            }
        }
        passed += r
            .state
            .proposals()
            .filter(|p| p.outcome.as_ref().is_some_and(|o| o.passed))
            .count();
    }
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "close",
            "correct",
            "propose",
            "publish",
            "resign",
            "rotate_key",
            "statement",
            "tick",
            "vote"
        ]
    );
    assert_eq!(motions.len(), 7, "{motions:?}");
    assert!(passed >= 20, "only {passed} decisions passed");
    assert!(
        accepted_closes >= 40,
        "only {accepted_closes} closes accepted"
    );
    // And the refusals are of every kind a member can run into.
    for reason in [
        "BadCharter",
        "NominationPeriodTooShort",
        "NominationsOpen",
        "Duplicate",
        "FarFromLogTime",
        "KeyConflict",
        "NewKeyName",
        "NoRedactionTarget",
        "NoSuchArticle",
        "NotAMember",
        "PeriodTooShort",
        "ProposalClosed",
        "TimeWentBackwards",
        "TooEarly",
        "UnknownMember",
        "UnknownProposal",
        "VotingEnded",
        "WrongBallot",
    ] {
        assert!(
            reasons.contains_key(reason),
            "never refused as {reason}: {reasons:?}"
        );
    }
    assert!(refused > 100, "only {refused} entries refused");
}

// ---------------------------------------------------------------------------
// State snapshots (src/snapshot.rs): a store keeps the folded state and folds
// on from it, so a snapshot must be the state, all of it.

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// The state after any prefix of a random log (redactions, retractions,
    /// key rotations, charter amendments, refused entries among them) reads
    /// back from its snapshot as exactly that state, and folds on exactly as
    /// the log does: every later entry gets the same answer and the end is
    /// the refold of the whole log.
    #[test]
    fn a_snapshot_is_the_state_and_folds_on_like_the_log(
        steps in prop::collection::vec(step(), 1..=60),
        cut in any::<prop::sample::Index>(),
    ) {
        use erkin_core::snapshot;
        let first = run(&steps)?;
        let k = cut.index(first.offered.len() + 1);
        let mut state = fresh();
        for (bytes, _) in &first.offered[..k] {
            let _ = state.apply(bytes);
        }
        let snap = snapshot::encode(&state);
        prop_assert_eq!(snap.size, state.size());
        prop_assert_eq!(snap.digest, state.digest());
        prop_assert_eq!(snap.weight, snapshot::weight_of(snap.bytes.len(), state.article_count()));
        // Hashed as written, the same as hashing the whole input.
        let whole: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(state.digest_input()).into();
        prop_assert_eq!(state.digest(), whole);
        // Folded from genesis: every article's row.
        prop_assert!(snap.complete);
        prop_assert_eq!(snap.articles.len(), state.articles().count());
        // Streamed (what a store writes): the same head and the same rows
        // in the same order, made as they are handed on, none held.
        let streamed = snapshot::encode_streamed(&state);
        prop_assert!(streamed.articles.is_empty());
        prop_assert_eq!(&streamed.bytes, &snap.bytes);
        prop_assert_eq!((streamed.size, streamed.digest, streamed.complete), (snap.size, snap.digest, true));
        let mut handed = Vec::new();
        streamed
            .for_each_row(|slug, row| {
                handed.push((slug.to_string(), row.to_vec()));
                Ok::<_, ()>(())
            })
            .unwrap();
        prop_assert_eq!(&handed, &snap.articles);
        let back = snapshot::decode(&snap.bytes, rows(&snap.articles), keys().log.verifier_key(), snap.size, &snap.digest, snap.base());
        prop_assert!(back.is_ok(), "{:?}", back.err());
        let mut back = back.unwrap();
        prop_assert_eq!(snapshot::fingerprint(&back), snapshot::fingerprint(&state));
        prop_assert_eq!(back.digest(), state.digest());
        prop_assert_eq!(snapshot::to_bytes(&back), snap.bytes);
        for (i, (bytes, expected)) in first.offered[k..].iter().enumerate() {
            let got = back.apply(bytes).map(|a| a.index);
            prop_assert_eq!(&got, expected, "entry {} after the snapshot answered differently", k + i);
        }
        prop_assert_eq!(snapshot::fingerprint(&back), snapshot::fingerprint(&first.state));
    }

    /// Snapshots stored incrementally — a head and the rows of the articles
    /// changed since the previous snapshot, over the rows already stored —
    /// after batches of random sizes of a random log (publications,
    /// corrections, redactions, retractions, key rotations, charter
    /// amendments, refused entries among them) read back, after every
    /// batch, as exactly the state the log folds to, and the last one as
    /// the refold of the whole log.
    #[test]
    fn incremental_snapshots_are_the_refold_after_every_batch(
        steps in prop::collection::vec(step(), 1..=60),
        batches in prop::collection::vec(1..6usize, 1..=40),
    ) {
        use erkin_core::snapshot;
        let first = run(&steps)?;
        let key = keys().log.verifier_key();
        let mut state = fresh();
        // What a store holds: the head and one row per article.
        let snap = snapshot::encode(&state);
        prop_assert!(snap.complete);
        // And the replay set's base, kept apart (written with the first).
        let mut base: Option<(u64, Vec<u8>)> = snap.base().map(|(at, b)| (at, b.to_vec()));
        prop_assert!(base.is_some());
        let mut head = snap.bytes;
        let mut stored: std::collections::BTreeMap<String, Vec<u8>> =
            snap.articles.into_iter().collect();
        state.clear_touched();
        let mut at = 0;
        let mut sizes = batches.iter().cycle();
        while at < first.offered.len() {
            let n = (*sizes.next().unwrap()).min(first.offered.len() - at);
            for (bytes, _) in &first.offered[at..at + n] {
                let _ = state.apply(bytes);
            }
            at += n;
            let snap = snapshot::encode(&state);
            prop_assert!(!snap.complete);
            prop_assert_eq!(snap.since, state.touched_since());
            // Streamed, an incremental snapshot is the same: its few rows.
            let streamed = snapshot::encode_streamed(&state);
            prop_assert!(streamed.rows_of.is_none());
            prop_assert_eq!(&streamed.articles, &snap.articles);
            // Only the articles the batch changed are written.
            prop_assert_eq!(snap.articles.len(), state.touched_articles().len());
            for (slug, row) in &snap.articles {
                prop_assert!(state.touched_articles().contains(slug));
                prop_assert_eq!(row, &snapshot::article_bytes(state.article(slug).unwrap()));
            }
            if let Some((at, b)) = snap.base() {
                base = Some((at, b.to_vec()));
            }
            head = snap.bytes;
            stored.extend(snap.articles);
            // The fingerprint hashed as it is written (what `verify --deep`
            // compares) is the SHA-256 of its text, and gives the state
            // back as it was, touched articles and all.
            let touched = state.touched_articles().clone();
            let print = snapshot::fingerprint(&state);
            let hashed = snapshot::fingerprint_digest(&mut state);
            let whole: [u8; 32] = <sha2::Sha256 as sha2::Digest>::digest(print.as_bytes()).into();
            prop_assert_eq!(hashed, whole);
            prop_assert_eq!(state.touched_articles(), &touched);
            prop_assert_eq!(snapshot::fingerprint(&state), print);
            state.clear_touched();
            let back = snapshot::decode(
                &head,
                stored.iter().map(|(s, b)| (s.as_str(), b.as_slice())),
                key,
                snap.size,
                &snap.digest,
 base.as_ref().map(|(at, b)| (*at, b.as_slice())),
            );
            prop_assert!(back.is_ok(), "{:?}", back.err());
            let mut back = back.unwrap();
            prop_assert_eq!(snapshot::fingerprint(&back), snapshot::fingerprint(&state));
            prop_assert_eq!(snapshot::fingerprint_digest(&mut back), hashed);
            prop_assert_eq!(snapshot::digest(&back), snap.digest);
        }
        prop_assert_eq!(snapshot::fingerprint(&state), snapshot::fingerprint(&first.state));
        let back = snapshot::decode(
            &head,
            stored.iter().map(|(s, b)| (s.as_str(), b.as_slice())),
            key,
            state.size(),
            &state.digest(),
 base.as_ref().map(|(at, b)| (*at, b.as_slice())),
        )
        .unwrap();
        prop_assert_eq!(snapshot::fingerprint(&back), snapshot::fingerprint(&first.state));
    }
}

/// `head` read as the head of `snap`, with its rows, size, digest and base.
fn decode_as(
    head: &[u8],
    snap: &erkin_core::snapshot::Encoded,
    key: &erkin_core::keys::VerifierKey,
) -> Result<State, erkin_core::snapshot::SnapshotError> {
    erkin_core::snapshot::decode(
        head,
        rows(&snap.articles),
        key,
        snap.size,
        &snap.digest,
        snap.base(),
    )
}

/// A snapshot's article rows as `snapshot::decode` reads them.
fn rows(articles: &[(String, Vec<u8>)]) -> impl Iterator<Item = (&str, &[u8])> {
    articles.iter().map(|(s, b)| (s.as_str(), b.as_slice()))
}

/// A snapshot is trusted for nothing: another format version, another log,
/// another size, a digest that is not its state's, and damage are each
/// refused with their own error.
#[test]
fn a_snapshot_that_is_not_this_states_is_refused() {
    use erkin_core::snapshot::{self, SnapshotError, FORMAT};
    let mut state = fresh();
    state.apply(&tick(T0 + 60)).unwrap();
    // An article, so the snapshot has a row.
    let bolat_key = &keys().by_name[1][0];
    let publish = EntryBody {
        time: T0 + 61,
        action: Action::Publish(Publish {
            slug: "story".into(),
            lang: "en".into(),
            title: "A story".into(),
            summary: String::new(),
            authors: vec!["bolat".into()],
            bylines: vec![],
            tags: vec![],
            body: BlobId::of(b"story").to_string(),
            media: vec![],
            translation_of: None,
            first_published: None,
        }),
    };
    state
        .apply(&sign_entry(ORIGIN, &publish, bolat_key).unwrap())
        .unwrap();
    let snap = snapshot::encode(&state);
    assert_eq!(snap.articles.len(), 1);
    let key = keys().log.verifier_key();
    assert!(decode_as(&snap.bytes, &snap, key).is_ok());

    // An older format (and a newer one): rebuilt, never read.
    let body = &snap.bytes[snap.bytes.iter().position(|&b| b == b'\n').unwrap()..];
    for version in [FORMAT - 1, FORMAT + 1] {
        let mut old = format!("erkin-state {version}").into_bytes();
        old.extend_from_slice(body);
        assert_eq!(
            decode_as(&old, &snap, key).unwrap_err(),
            SnapshotError::Format { found: version }
        );
    }
    // Filed under a digest that is not the one the head records.
    let mut digest = snap.digest;
    digest[0] ^= 1;
    assert_eq!(
        snapshot::decode(
            &snap.bytes,
            rows(&snap.articles),
            key,
            snap.size,
            &digest,
            snap.base()
        )
        .unwrap_err(),
        SnapshotError::WrongDigest
    );
    // A state altered under its digest (a member's key swapped for a
    // stranger's is still a well-formed snapshot) decodes: the digest is
    // recorded, not recomputed on open; `verify --deep` finds it, by the
    // refold's digest.
    let text = String::from_utf8(snap.bytes.clone()).unwrap();
    let bolat = keys().by_name[1][0].verifier_key().to_string();
    let other = keys().by_name[1][1].verifier_key().to_string();
    let altered = text.replace(&bolat, &other);
    assert_ne!(altered, text);
    let back = decode_as(altered.as_bytes(), &snap, key).unwrap();
    assert_ne!(snapshot::digest(&back), snap.digest);
    assert_ne!(snapshot::fingerprint(&back), snapshot::fingerprint(&state));
    assert_ne!(
        snapshot::fingerprint_digest(&mut back.clone()),
        snapshot::fingerprint_digest(&mut state.clone())
    );
    // Article rows that are not the head's: one missing, one too many, one
    // filed under another slug, one damaged.
    assert_eq!(
        snapshot::decode(
            &snap.bytes,
            rows(&[]),
            key,
            snap.size,
            &snap.digest,
            snap.base()
        )
        .unwrap_err(),
        SnapshotError::WrongArticles {
            expected: 1,
            found: 0
        }
    );
    // A head whose article count is huge (damaged, or hostile) makes
    // room for a bounded number of rows, then counts the rows it gets.
    let text = String::from_utf8(snap.bytes.clone()).unwrap();
    let huge = text.replace("\"articles\":1,", &format!("\"articles\":{},", u64::MAX));
    assert_ne!(huge, text);
    assert_eq!(
        decode_as(huge.as_bytes(), &snap, key).unwrap_err(),
        SnapshotError::WrongArticles {
            expected: u64::MAX,
            found: 1
        }
    );
    let mut two = snap.articles.clone();
    two.push(("other".into(), snap.articles[0].1.clone()));
    assert_eq!(
        snapshot::decode(
            &snap.bytes,
            rows(&two),
            key,
            snap.size,
            &snap.digest,
            snap.base()
        )
        .unwrap_err(),
        SnapshotError::WrongArticles {
            expected: 1,
            found: 2
        }
    );
    let renamed = vec![("other".to_string(), snap.articles[0].1.clone())];
    assert!(matches!(
        snapshot::decode(
            &snap.bytes,
            rows(&renamed),
            key,
            snap.size,
            &snap.digest,
            snap.base()
        ),
        Err(SnapshotError::Malformed { .. })
    ));
    let damaged = vec![("story".to_string(), b"{\"article\":".to_vec())];
    assert!(matches!(
        snapshot::decode(
            &snap.bytes,
            rows(&damaged),
            key,
            snap.size,
            &snap.digest,
            snap.base()
        ),
        Err(SnapshotError::Malformed { .. })
    ));
    // Filed at another size.
    assert_eq!(
        snapshot::decode(
            &snap.bytes,
            rows(&snap.articles),
            key,
            snap.size + 1,
            &snap.digest,
            snap.base()
        )
        .unwrap_err(),
        SnapshotError::WrongSize {
            expected: snap.size + 1,
            found: snap.size
        }
    );
    // Another log's key.
    let stranger = make_key(ORIGIN, 9);
    assert_eq!(
        snapshot::decode(
            &snap.bytes,
            rows(&snap.articles),
            stranger.verifier_key(),
            snap.size,
            &snap.digest,
            snap.base()
        )
        .unwrap_err(),
        SnapshotError::OtherLog
    );
    // Damage: cut short, or not a snapshot at all.
    assert!(matches!(
        decode_as(&snap.bytes[..snap.bytes.len() - 3], &snap, key),
        Err(SnapshotError::Malformed { .. })
    ));
    assert!(matches!(
        decode_as(b"{}", &snap, key),
        Err(SnapshotError::Malformed { .. })
    ));
}

/// Article rows come in any order (a store returns them in its own): the
/// state reads back the same from rows in reverse; two rows of one article
/// are refused, even when the count matches the head's.
#[test]
fn a_snapshots_rows_read_in_any_order_and_never_twice() {
    use erkin_core::snapshot::{self, SnapshotError};
    let mut state = fresh();
    state.apply(&tick(T0 + 60)).unwrap();
    let bolat_key = &keys().by_name[1][0];
    for (i, slug) in ["apple", "banana", "cherry"].into_iter().enumerate() {
        let publish = EntryBody {
            time: T0 + 61 + i as u64,
            action: Action::Publish(Publish {
                slug: slug.into(),
                lang: "en".into(),
                title: format!("About {slug}"),
                summary: String::new(),
                authors: vec!["bolat".into()],
                bylines: vec![],
                tags: vec![],
                body: BlobId::of(slug.as_bytes()).to_string(),
                media: vec![],
                translation_of: None,
                first_published: None,
            }),
        };
        state
            .apply(&sign_entry(ORIGIN, &publish, bolat_key).unwrap())
            .unwrap();
    }
    let snap = snapshot::encode(&state);
    assert_eq!(snap.articles.len(), 3);
    let key = keys().log.verifier_key();
    let mut reversed = snap.articles.clone();
    reversed.reverse();
    let back = snapshot::decode(
        &snap.bytes,
        rows(&reversed),
        key,
        snap.size,
        &snap.digest,
        snap.base(),
    )
    .unwrap();
    assert_eq!(snapshot::fingerprint(&back), snapshot::fingerprint(&state));
    let slugs: Vec<&str> = back.articles().map(|a| a.slug.as_str()).collect();
    assert_eq!(slugs, ["apple", "banana", "cherry"]);
    let mut twice = snap.articles.clone();
    twice[2] = twice[0].clone();
    assert_eq!(
        snapshot::decode(
            &snap.bytes,
            rows(&twice),
            key,
            snap.size,
            &snap.digest,
            snap.base()
        )
        .unwrap_err(),
        SnapshotError::Malformed {
            reason: "two rows of article apple".into()
        }
    );
}
