//! Time properties of the fold under any sequencer clock (issue 12): for
//! any sequence of entries and any behaviour of the sequencer's clock
//! (jumps forward and back, stalls), no proposal closes before its minimum
//! period in log time (unless every eligible member voted), and no vote
//! reaching the sequencer after the deadline counts.
//!
//! The sequencer is modelled faithfully on `erkin-store`'s
//! `Publication::submit` (the core cannot depend on the store): before a
//! batch it appends a tick at its clock when the clock is past the log time
//! and the batch holds an entry a time rule judges (or a proposal is due,
//! or the log time is `TICK_EVERY_SECS` old); each entry must pass the
//! clock check against the sequencer's clock and then the fold; after the
//! batch it closes, signed by the log key at the log time, every proposal
//! `State::overdue` names; a batch that admits nothing takes its tick back.

use crate::common;

use std::collections::BTreeMap;

use erkin_core::action::{
    Action, Ballot, Charter, Close, Consent, Genesis, Motion, Nominate, Propose, Tick, Vote,
    REOPEN_NOMINATIONS,
};
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::governance::Judged;
use erkin_core::keys::SecretKey;
use erkin_core::state::{check_clock, State};
use proptest::prelude::*;

const ORIGIN: &str = "props.example/erkin";
const T0: u64 = 1_764_345_600;
const H: u64 = 3600;
/// `erkin_store::publication::TICK_EVERY_SECS`.
const TICK_EVERY_SECS: u64 = 60;
const NAMES: [&str; 3] = ["aigerim", "bolat", "dana"];

fn key(name: &str) -> SecretKey {
    common::seeded_key("erkin properties test key\n", name, 0)
}

/// What happens next: the sequencer's clock moves, a member submits a
/// batch, or the idle sequencer checks for proposals due.
#[derive(Debug, Clone)]
enum Event {
    /// The clock moves by `secs` (negative: jumps back; 0: stalls).
    Clock(i64),
    /// One member's entry reaches the sequencer, dated `skew` seconds from
    /// the sequencer's clock.
    Submit { who: u8, skew: i16, what: What },
    /// The idle sequencer closes what is due (an empty batch).
    Idle,
}

#[derive(Debug, Clone)]
enum What {
    /// A resolution (or, if `election`, an election) open `hours`.
    Propose {
        hours: u16,
        election: bool,
    },
    Vote {
        pick: u8,
        yes: bool,
    },
    Nominate {
        pick: u8,
        whom: u8,
    },
    Consent {
        pick: u8,
    },
    Close {
        pick: u8,
    },
}

fn event() -> impl Strategy<Value = Event> {
    let clock = prop_oneof![
        3 => 0i64..600,
        2 => 600i64..(5 * 24 * 3600),
        1 => -(3 * 24 * 3600i64)..0,
        1 => Just(0i64),
    ];
    let what = prop_oneof![
        2 => (0u16..400, any::<bool>()).prop_map(|(hours, election)| What::Propose { hours, election }),
        5 => (any::<u8>(), any::<bool>()).prop_map(|(pick, yes)| What::Vote { pick, yes }),
        2 => (any::<u8>(), any::<u8>()).prop_map(|(pick, whom)| What::Nominate { pick, whom }),
        1 => any::<u8>().prop_map(|pick| What::Consent { pick }),
        1 => any::<u8>().prop_map(|pick| What::Close { pick }),
    ];
    prop_oneof![
        3 => clock.prop_map(Event::Clock),
        6 => (any::<u8>(), -1000i16..400, what).prop_map(|(who, skew, what)| Event::Submit { who, skew, what }),
        1 => Just(Event::Idle),
    ]
}

/// The sequencer and what it saw: the arrival log time of every vote it
/// admitted, by proposal and voter (the last one counts).
struct Sequencer {
    state: State,
    log_key: SecretKey,
    now: u64,
    votes: BTreeMap<(u64, String), u64>,
}

impl Sequencer {
    fn new() -> Self {
        let log_key = key(ORIGIN);
        let body = EntryBody {
            time: T0,
            action: Action::Genesis(Genesis {
                name: "Props".into(),
                log_key: log_key.verifier_key().to_string(),
                founders: NAMES
                    .iter()
                    .map(|n| key(n).verifier_key().to_string())
                    .collect(),
                charter: Charter::default(),
            }),
        };
        let bytes = sign_entry(ORIGIN, &body, &log_key).unwrap();
        let (state, _) = State::genesis(log_key.verifier_key(), &bytes).unwrap();
        Sequencer {
            state,
            log_key,
            now: T0,
            votes: BTreeMap::new(),
        }
    }

    fn signed(&self, time: u64, action: Action) -> Vec<u8> {
        sign_entry(ORIGIN, &EntryBody { time, action }, &self.log_key).unwrap()
    }

    /// `Publication::submit` for one entry (or none: idle).
    fn submit(&mut self, entry: Option<(&str, Vec<u8>, u64, &Action)>) {
        let mark = self.state.tick_mark();
        let log_time = self.state.log_time();
        let timely = entry
            .as_ref()
            .is_some_and(|(_, _, _, a)| !matches!(a, Action::Statement(_)))
            || !self.state.overdue(self.now.max(log_time)).is_empty();
        let mut admitted = 0;
        let tick = if self.now > log_time
            && (timely || self.now >= log_time.saturating_add(TICK_EVERY_SECS))
        {
            let bytes = self.signed(self.now, Action::Tick(Tick {}));
            let applied = self.state.apply(&bytes).expect("a tick forward");
            Some(applied.leaf_hash)
        } else {
            None
        };
        // The time the entry reached the sequencer, as the log proves it.
        let arrival = self.now.max(log_time);
        if let Some((who, bytes, time, action)) = entry {
            // A member's entry is judged by time: the batch was ticked.
            assert_eq!(self.state.log_time(), arrival);
            if check_clock(time, self.now).is_ok() && self.state.apply(&bytes).is_ok() {
                admitted += 1;
                if let Action::Vote(v) = action {
                    let p = self.state.proposal(v.proposal).unwrap();
                    // The property: no vote reaching the sequencer at or
                    // after the deadline is admitted.
                    assert!(
                        arrival < p.closes_at,
                        "a vote arriving at {arrival} admitted after the deadline {}",
                        p.closes_at
                    );
                    self.votes.insert((v.proposal, who.to_string()), arrival);
                }
            }
        }
        for id in self.state.overdue(self.state.log_time()) {
            let bytes = self.signed(
                self.state.log_time(),
                Action::Close(Close {
                    proposal: id,
                    salts: Vec::new(),
                }),
            );
            if self.state.apply(&bytes).is_ok() {
                admitted += 1;
            }
        }
        if admitted == 0 {
            if let Some(leaf) = tick {
                assert!(self.state.undo_tick(mark, &leaf));
            }
        }
    }

    fn pick(&self, pick: u8) -> u64 {
        let ids: Vec<u64> = self.state.proposals().map(|p| p.id).collect();
        if ids.is_empty() {
            return 1;
        }
        ids[usize::from(pick) % ids.len()]
    }

    fn action(&self, signer: usize, what: &What) -> Action {
        let lt = self.state.log_time().max(self.now);
        match *what {
            What::Propose { hours, election } => {
                let motion = if election {
                    Motion::Elect {
                        seats: 3,
                        nominations_close: lt + 72 * H,
                    }
                } else {
                    Motion::Resolution {
                        text: "Resolved.".into(),
                    }
                };
                let start = motion.election().map_or(lt, |(_, nc)| nc);
                Action::Propose(Propose {
                    title: "p".into(),
                    closes_at: start + u64::from(hours) * H,
                    motion,
                })
            }
            What::Vote { pick, yes } => {
                let proposal = self.pick(pick);
                let ballot = match self.state.proposal(proposal) {
                    Some(p) if p.motion.election().is_some() => {
                        let mut r = p.candidates();
                        r.push(REOPEN_NOMINATIONS.into());
                        if !yes {
                            r.reverse();
                        }
                        Ballot::Ranked(r)
                    }
                    _ if yes => Ballot::Yes,
                    _ => Ballot::No,
                };
                Action::Vote(Vote { proposal, ballot })
            }
            What::Nominate { pick, whom } => Action::Nominate(Nominate {
                proposal: self.pick(pick),
                // Mostly oneself (which is consent), else anyone.
                handle: NAMES[if whom < 170 {
                    signer
                } else {
                    usize::from(whom) % NAMES.len()
                }]
                .into(),
            }),
            What::Consent { pick } => Action::Consent(Consent {
                proposal: self.pick(pick),
            }),
            What::Close { pick } => Action::Close(Close {
                proposal: self.pick(pick),
                salts: Vec::new(),
            }),
        }
    }

    /// The properties every state reached must have.
    fn check(&self) {
        let c = self.state.charter();
        for p in self.state.proposals() {
            let min = match p.rule {
                Judged::Vote(r) => u64::from(r.min_hours) * H,
                Judged::Election(r) => u64::from(r.min_hours + c.elect.nomination_hours) * H,
            };
            assert!(
                p.closes_at >= p.opened_at + min,
                "#{} may close {} s after it opened, under its minimum {min} s",
                p.id,
                p.closes_at - p.opened_at
            );
            if let Some(o) = &p.outcome {
                // No proposal closes before its minimum period in log time
                // (nor before its deadline), unless every eligible member
                // voted.
                let everyone = o.tally.voters() == o.tally.eligible;
                assert!(
                    o.closed_at >= p.closes_at || everyone,
                    "#{} closed at {} before its deadline {} without every vote",
                    p.id,
                    o.closed_at,
                    p.closes_at
                );
                assert!(o.closed_at >= p.opened_at + min || everyone);
                // Every vote counted reached the sequencer before the
                // deadline.
                for h in &o.counted {
                    let arrived = self.votes[&(p.id, h.clone())];
                    assert!(arrived < p.closes_at, "{h}'s vote on #{} counted", p.id);
                }
            }
        }
    }
}

/// Runs the events through the modelled sequencer, checking the
/// properties after each; returns the sequencer.
fn run(events: &[Event]) -> Sequencer {
    let mut s = Sequencer::new();
    let keys: Vec<SecretKey> = NAMES.iter().map(|n| key(n)).collect();
    let mut log_time = s.state.log_time();
    for e in events {
        match e {
            Event::Clock(d) => s.now = s.now.saturating_add_signed(*d).max(T0 / 2),
            Event::Idle => s.submit(None),
            Event::Submit { who, skew, what } => {
                let i = usize::from(*who) % NAMES.len();
                let action = s.action(i, what);
                let time = s.now.saturating_add_signed(i64::from(*skew));
                let body = EntryBody {
                    time,
                    action: action.clone(),
                };
                let bytes = sign_entry(ORIGIN, &body, &keys[i]).unwrap();
                s.submit(Some((NAMES[i], bytes, time, &action)));
            }
        }
        // The log time never moves backwards, whatever the clock does.
        assert!(s.state.log_time() >= log_time);
        log_time = s.state.log_time();
        s.check();
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 64,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn no_early_close_and_no_late_vote_under_any_sequencer_clock(
        events in prop::collection::vec(event(), 1..120)
    ) {
        run(&events);
    }
}

/// The generator reaches what the properties are about: votes admitted,
/// proposals closed at their deadline by the sequencer, closed early with
/// every vote, elections decided (a minimum period of nominations and
/// voting).
#[test]
fn the_clock_generator_exercises_closes_and_votes() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let (mut votes, mut at_deadline, mut early, mut elections) = (0, 0, 0, 0);
    for _ in 0..64 {
        let events = prop::collection::vec(event(), 60..120)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        let s = run(&events);
        votes += s.votes.len();
        for p in s.state.proposals() {
            if let Some(o) = &p.outcome {
                if o.closed_at >= p.closes_at {
                    at_deadline += 1;
                } else {
                    early += 1;
                }
                if p.motion.election().is_some() {
                    elections += 1;
                }
            }
        }
    }
    assert!(votes > 50, "{votes} votes");
    assert!(at_deadline > 20, "{at_deadline} closed at the deadline");
    assert!(early > 5, "{early} closed early");
    assert!(elections > 0, "no election decided");
}
