//! Governance (src/governance.rs, src/charter.rs): every kind of decision under
//! the default charter, the edges of thresholds, quorums and deadlines, who may
//! vote, elections by STV, and what passed decisions do to the state.
//!
//! Every rejection is checked for its exact variant and for leaving the state
//! exactly as it was (digest and size).

use crate::common;

use std::collections::BTreeMap;

use base64::Engine as _;
use erkin_core::action::{
    Action, Ballot, Charter, Close, Genesis, Motion, Propose, Resign, RotateKey, Statement,
    StepDown, Tick, Vote, REOPEN_NOMINATIONS,
};
use erkin_core::charter::CharterError;
use erkin_core::charter::{
    amendment_min_hours, judge_amendment, loosens_amendment_rule, Base, Comparison, Fraction, Rule,
    Tally, Threshold, AMEND_THRESHOLD_FLOOR, ENTRENCHED_AMEND, MAX_HOURS, MAX_SEATS,
    MIN_HOURS_FLOOR, PROTECTED_MIN_HOURS_FLOOR, PROTECTED_QUORUM_FLOOR, THRESHOLD_FLOOR,
};
use erkin_core::entry::{sign_entry, EntryBody, EntryError};
use erkin_core::governance::{lot_seed, Effect, Judged, NoEffect, Outcome};
use erkin_core::keys::{KeyError, SecretKey};
use erkin_core::note::NoteError;
use erkin_core::rejection::{BallotKind, KeyConflict, KeyField};
use erkin_core::state::{Applied, Rejection, State, DAY_SECS};
use erkin_core::stv;
use num_bigint::BigInt;
use num_rational::BigRational;

pub(crate) const ORIGIN: &str = "news.example/erkin";
pub(crate) const T0: u64 = 1_764_345_600;
pub(crate) const H: u64 = 3600;
/// When the scenarios start: an hour after genesis.
pub(crate) const T1: u64 = T0 + H;
pub(crate) const FOUNDERS: [&str; 6] = ["aigerim", "bolat", "dana", "erlan", "farida", "kairat"];
const ELIGIBLE: u64 = FOUNDERS.len() as u64;

const THRESHOLD_FAILED: Effect = Effect::Rejected;
const QUORUM_FAILED: Effect = Effect::NoQuorum;

fn admitted(handle: &str) -> Effect {
    Effect::Admitted {
        handle: handle.into(),
    }
}

fn removed(handle: &str) -> Effect {
    Effect::Removed {
        handle: handle.into(),
    }
}

fn cannot(why: NoEffect) -> Effect {
    Effect::CouldNotTakeEffect { why }
}

// ---------------------------------------------------------------------------
// Keys: derived from fixed seeds, so every run signs the same bytes and the
// STV lot (seeded by the propose entry's hash) is the same every time.

/// The `n`th test key named `name`.
pub(crate) fn key_n(name: &str, n: u32) -> SecretKey {
    common::seeded_key("erkin governance test key\n", name, n)
}

pub(crate) fn key(name: &str) -> SecretKey {
    key_n(name, 0)
}

// ---------------------------------------------------------------------------
// A publication under test.

pub(crate) struct Pub {
    pub(crate) state: State,
    /// The key each handle signs with now.
    pub(crate) keys: BTreeMap<String, SecretKey>,
    /// Every accepted entry's body, genesis first.
    pub(crate) log: Vec<EntryBody>,
}

pub(crate) fn publication(founders: &[&str], charter: Charter) -> Pub {
    let log = key(ORIGIN);
    let keys: BTreeMap<String, SecretKey> =
        founders.iter().map(|h| (h.to_string(), key(h))).collect();
    let body = EntryBody {
        time: T0,
        action: Action::Genesis(Genesis {
            name: "Erkin Habar".into(),
            log_key: log.verifier_key().to_string(),
            founders: founders
                .iter()
                .map(|h| keys[*h].verifier_key().to_string())
                .collect(),
            charter,
        }),
    };
    let bytes = sign_entry(ORIGIN, &body, &log).unwrap();
    let (state, _) = State::genesis(log.verifier_key(), &bytes).unwrap();
    Pub {
        state,
        keys,
        log: vec![body],
    }
}

/// Six founders under the default charter.
pub(crate) fn six() -> Pub {
    publication(&FOUNDERS, Charter::default())
}

/// Six founders and two articles, published by a founder (founders are the
/// first board, so they are editors): retraction and redaction need targets.
fn six_with_articles() -> Pub {
    let mut p = six();
    for slug in ["mine-collapse", "water-tariff"] {
        p.act(
            "aigerim",
            T0,
            Action::Publish(erkin_core::action::Publish {
                slug: slug.into(),
                lang: "en".into(),
                title: format!("About {slug}"),
                summary: String::new(),
                authors: vec!["aigerim".into()],
                bylines: vec![],
                tags: vec![],
                body: erkin_core::blob::BlobId::of(slug.as_bytes()).to_string(),
                media: vec![],
                translation_of: None,
                first_published: None,
            }),
        );
    }
    p
}

pub(crate) fn snapshot(s: &State) -> ([u8; 32], u64) {
    (s.digest(), s.size())
}

impl Pub {
    /// Records `time` as the log time, as the sequencer does before a batch
    /// (a tick signed by the log key), if it is later than the log time.
    pub(crate) fn tick(&mut self, time: u64) {
        if time > self.state.log_time() {
            let bytes = sign_entry(
                ORIGIN,
                &EntryBody {
                    time,
                    action: Action::Tick(Tick {}),
                },
                &key(ORIGIN),
            )
            .unwrap();
            self.state
                .apply(&bytes)
                .expect("a tick forward is accepted");
            assert_eq!(self.state.log_time(), time);
        }
    }

    /// Signs as `k` at `time`, the entry reaching the sequencer at that
    /// time (the log time is brought up to it first).
    pub(crate) fn sign_with(&mut self, k: &SecretKey, time: u64, action: Action) -> Vec<u8> {
        self.tick(time);
        sign_entry(ORIGIN, &EntryBody { time, action }, k).unwrap()
    }

    pub(crate) fn sign(&mut self, who: &str, time: u64, action: Action) -> Vec<u8> {
        let k = self
            .keys
            .get(who)
            .unwrap_or_else(|| panic!("no key for {who}"))
            .clone();
        self.sign_with(&k, time, action)
    }

    pub(crate) fn apply_bytes(&mut self, bytes: &[u8]) -> Applied {
        let before = snapshot(&self.state);
        match self.state.apply(bytes) {
            Ok(a) => {
                assert_eq!(a.index, before.1, "an accepted entry gets the next index");
                assert_eq!(self.state.size(), before.1 + 1);
                self.log.push(a.body.clone());
                a
            }
            Err(e) => panic!(
                "rejected: {e:?}\n{}",
                String::from_utf8_lossy(bytes).lines().nth(2).unwrap_or("")
            ),
        }
    }

    pub(crate) fn act(&mut self, who: &str, time: u64, action: Action) -> Applied {
        // An election's ballots move the log time past its nomination
        // deadline; what a scenario does "later" happens at that log time.
        let time = time.max(self.state.log_time());
        let bytes = self.sign(who, time, action);
        self.apply_bytes(&bytes)
    }

    /// Expects `bytes` to be refused with exactly `expected`, changing nothing.
    pub(crate) fn refuse_bytes(&mut self, bytes: &[u8], expected: Rejection) {
        let before = snapshot(&self.state);
        assert_eq!(self.state.apply(bytes), Err(expected));
        assert_eq!(
            snapshot(&self.state),
            before,
            "a rejection changed the state"
        );
    }

    pub(crate) fn refuse(&mut self, who: &str, time: u64, action: Action, expected: Rejection) {
        let bytes = self.sign(who, time, action);
        self.refuse_bytes(&bytes, expected);
    }

    pub(crate) fn propose(&mut self, who: &str, time: u64, closes_at: u64, motion: Motion) -> u64 {
        let id = self.act(who, time, propose(time, closes_at, motion)).index;
        assert!(self.state.proposal(id).unwrap().outcome.is_none());
        id
    }

    /// Proposes with the shortest period the charter allows; returns the ID
    /// and the deadline.
    pub(crate) fn propose_min(&mut self, who: &str, time: u64, motion: Motion) -> (u64, u64) {
        let mut motion = motion;
        let mut start = time;
        if let Motion::Elect {
            nominations_close, ..
        }
        | Motion::ByElection {
            nominations_close, ..
        } = &mut motion
        {
            if *nominations_close == 0 {
                *nominations_close = time + NOMINATIONS;
            }
            start = *nominations_close;
        }
        let closes_at = start + min_hours(self.state.charter(), &motion) * H;
        let id = self.propose(who, time, closes_at, motion.clone());
        if matches!(motion, Motion::Elect { .. }) {
            for c in STANDING.with(|s| std::mem::take(&mut *s.borrow_mut())) {
                self.nominate(&c, time, id, &c);
            }
        }
        (id, closes_at)
    }

    /// `by` nominates `handle` in election `id`.
    pub(crate) fn nominate(&mut self, by: &str, time: u64, id: u64, handle: &str) {
        self.act(by, time, nominate(id, handle));
    }

    /// A time `time` in an election's voting period: shifted past the
    /// nomination deadline by as long as it is after the proposal.
    pub(crate) fn ballot_time(&self, proposal: u64, time: u64) -> u64 {
        match self.state.proposal(proposal) {
            Some(p) => match p.motion.election() {
                Some((_, nc)) if time < nc => nc + time.saturating_sub(p.opened_at),
                _ => time,
            },
            None => time,
        }
    }

    pub(crate) fn vote(&mut self, who: &str, time: u64, proposal: u64, ballot: Ballot) {
        let time = self.ballot_time(proposal, time);
        self.act(who, time, vote(proposal, ballot));
        assert!(self
            .state
            .proposal(proposal)
            .unwrap()
            .votes
            .contains_key(who));
    }

    pub(crate) fn votes(&mut self, time: u64, proposal: u64, ballots: &[(&str, Ballot)]) {
        for (who, b) in ballots {
            self.vote(who, time, proposal, b.clone());
        }
    }

    pub(crate) fn close(&mut self, who: &str, time: u64, proposal: u64) -> Outcome {
        let time = time.max(self.state.log_time());
        let applied = self.act(who, time, close(proposal));
        let o = self.outcome(proposal);
        assert_eq!(o.closed_at, time);
        assert_eq!(o.closed_by, applied.index);
        o
    }

    pub(crate) fn outcome(&self, proposal: u64) -> Outcome {
        self.state
            .proposal(proposal)
            .unwrap()
            .outcome
            .clone()
            .expect("closed")
    }

    /// Proposes `motion` at T1 (shortest period), casts `ballots` a minute
    /// later, and closes at the deadline.
    pub(crate) fn decide(&mut self, motion: Motion, ballots: &[(&str, Ballot)]) -> (u64, Outcome) {
        self.decide_at(T1, motion, ballots)
    }

    /// As [`Pub::decide`], proposed at `time`.
    pub(crate) fn decide_at(
        &mut self,
        time: u64,
        motion: Motion,
        ballots: &[(&str, Ballot)],
    ) -> (u64, Outcome) {
        let (id, closes_at) = self.propose_min("aigerim", time, motion);
        self.votes(time + 60, id, ballots);
        let o = self.close("bolat", closes_at, id);
        (id, o)
    }

    pub(crate) fn is_member(&self, handle: &str) -> bool {
        self.state.member(handle).is_some()
    }

    pub(crate) fn board(&self) -> Vec<String> {
        self.state
            .board()
            .iter()
            .map(|s| s.handle.clone())
            .collect()
    }
}

// ---------------------------------------------------------------------------
// Actions and motions.

pub(crate) fn propose(time: u64, closes_at: u64, motion: Motion) -> Action {
    Action::Propose(Propose {
        title: format!("{} (proposed at {time})", motion.kind()),
        closes_at,
        motion,
    })
}

pub(crate) fn vote(proposal: u64, ballot: Ballot) -> Action {
    Action::Vote(Vote { proposal, ballot })
}

pub(crate) fn nominate(proposal: u64, handle: &str) -> Action {
    Action::Nominate(erkin_core::action::Nominate {
        proposal,
        handle: handle.into(),
    })
}

fn consent(proposal: u64) -> Action {
    Action::Consent(erkin_core::action::Consent { proposal })
}

pub(crate) fn close(proposal: u64) -> Action {
    Action::Close(Close {
        proposal,
        salts: Vec::new(),
    })
}

fn statement(text: &str) -> Action {
    Action::Statement(Statement { text: text.into() })
}

fn admit(k: &SecretKey) -> Motion {
    Motion::Admit {
        key: k.verifier_key().to_string(),
    }
}

pub(crate) fn remove(handle: &str) -> Motion {
    Motion::Remove {
        handle: handle.into(),
    }
}

thread_local! {
    /// The candidates the next election proposed by `propose_min` stands
    /// (each nominates themselves right after the proposal).
    static STANDING: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// An election for the charter's 3 seats; `propose_min` nominates
/// `candidates` (self-nominations) and votes follow the nomination deadline.
pub(crate) fn elect(candidates: &[&str]) -> Motion {
    STANDING.with(|s| *s.borrow_mut() = candidates.iter().map(|c| c.to_string()).collect());
    Motion::Elect {
        seats: 3,
        nominations_close: 0,
    }
}

/// The default nomination period, in seconds.
pub(crate) const NOMINATIONS: u64 = 72 * H;

pub(crate) fn amend(charter: Charter) -> Motion {
    Motion::Amend { charter }
}

fn retract(article: &str) -> Motion {
    Motion::Retract {
        article: article.into(),
        reason: "the source recanted".into(),
    }
}

fn redact(target: &str) -> Motion {
    Motion::Redact {
        target: target.into(),
        reason: "it names a protected source".into(),
    }
}

pub(crate) fn resolution(text: &str) -> Motion {
    Motion::Resolution { text: text.into() }
}

pub(crate) fn ranked(handles: &[&str]) -> Ballot {
    Ballot::Ranked(handles.iter().map(|s| s.to_string()).collect())
}

pub(crate) fn min_hours(c: &Charter, m: &Motion) -> u64 {
    u64::from(match m {
        Motion::Admit { .. } | Motion::TipReaders { .. } => c.admit.min_hours,
        Motion::Remove { .. } => c.remove.min_hours,
        Motion::Elect { .. } | Motion::ByElection { .. } => c.elect.min_hours,
        Motion::Recall { .. } => c.recall.min_hours,
        Motion::Amend { .. } => c.amend.min_hours,
        Motion::Retract { .. } => c.retract.min_hours,
        Motion::Redact { .. } => c.redact.min_hours,
        Motion::Resolution { .. } => c.resolution.min_hours,
    })
}

fn tally(yes: u64, no: u64, abstain: u64, eligible: u64) -> Tally {
    Tally {
        yes,
        no,
        abstain,
        eligible,
    }
}

/// Checks what a close decided.
fn assert_decided(o: &Outcome, quorum_met: bool, passed: bool, t: Tally, effect: Effect) {
    assert_eq!(
        (o.quorum_met, o.passed, o.tally, o.effect.clone()),
        (quorum_met, passed, t, effect),
        "{o:?}"
    );
}

fn handles(hs: &[&str]) -> Vec<String> {
    hs.iter().map(|s| s.to_string()).collect()
}

use Ballot::{Abstain, No, Yes};

// ---------------------------------------------------------------------------
// Each kind of decision: passes, fails the threshold, fails the quorum.

#[test]
fn admit_passes_with_more_yes_than_no() {
    let mut p = six();
    let zhanna = key("zhanna");
    let (_, o) = p.decide(
        admit(&zhanna),
        &[("aigerim", Yes), ("bolat", Yes), ("dana", No)],
    );
    assert_decided(&o, true, true, tally(2, 1, 0, ELIGIBLE), admitted("zhanna"));
    assert_eq!(o.counted, handles(&["aigerim", "bolat", "dana"]));
    assert!(o.elected.is_empty());
    let m = p.state.member("zhanna").unwrap();
    assert_eq!(&m.key, zhanna.verifier_key());
    assert_eq!(m.since, o.closed_by);
    assert_eq!(p.state.members().count(), 7);
    // Admission is membership, not a board seat.
    assert!(!p.board().contains(&"zhanna".to_string()));
}

#[test]
fn admit_abstentions_count_toward_quorum_not_threshold() {
    // 1 yes + 1 abstain: 2 voters of 6 meets the 1/3 quorum; 1 > 1/2 of 1 cast.
    let mut p = six();
    let (_, o) = p.decide(
        admit(&key("zhanna")),
        &[("aigerim", Yes), ("bolat", Abstain)],
    );
    assert_decided(&o, true, true, tally(1, 0, 1, ELIGIBLE), admitted("zhanna"));
    // Only abstentions: the quorum is met but nothing passes without a yes.
    let mut p = six();
    let (_, o) = p.decide(
        admit(&key("zhanna")),
        &[("aigerim", Abstain), ("bolat", Abstain)],
    );
    assert_decided(&o, true, false, tally(0, 0, 2, ELIGIBLE), THRESHOLD_FAILED);
    assert!(!p.is_member("zhanna"));
}

#[test]
fn admit_fails_on_threshold() {
    let mut p = six();
    let (_, o) = p.decide(
        admit(&key("zhanna")),
        &[("aigerim", Yes), ("bolat", No), ("dana", Abstain)],
    );
    assert_decided(&o, true, false, tally(1, 1, 1, ELIGIBLE), THRESHOLD_FAILED);
    assert!(!p.is_member("zhanna"));
}

#[test]
fn admit_tie_fails_because_the_rule_is_more_than_half() {
    let mut p = six();
    let (_, o) = p.decide(
        admit(&key("zhanna")),
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", No),
            ("erlan", No),
        ],
    );
    assert_decided(&o, true, false, tally(2, 2, 0, ELIGIBLE), THRESHOLD_FAILED);
    assert!(!p.is_member("zhanna"));
}

#[test]
fn admit_fails_on_quorum() {
    // One voter of six: below 1/3, even though every vote cast is yes.
    let mut p = six();
    let (_, o) = p.decide(admit(&key("zhanna")), &[("aigerim", Yes)]);
    assert_decided(&o, false, false, tally(1, 0, 0, ELIGIBLE), QUORUM_FAILED);
    assert!(!p.is_member("zhanna"));
}

#[test]
fn remove_passes_at_exactly_two_thirds() {
    // 2 yes, 1 no is exactly 2/3 of cast; the rule is ≥ 2/3. 3 voters of 6
    // meets the 1/2 quorum exactly.
    let mut p = six();
    let (_, o) = p.decide(
        remove("kairat"),
        &[("aigerim", Yes), ("bolat", Yes), ("kairat", No)],
    );
    assert_decided(&o, true, true, tally(2, 1, 0, ELIGIBLE), removed("kairat"));
    assert!(!p.is_member("kairat"));
    assert_eq!(p.state.members().count(), 5);
    assert!(!p.board().contains(&"kairat".to_string()));
}

#[test]
fn remove_fails_on_threshold() {
    // 3 yes, 2 no: 3/5 < 2/3.
    let mut p = six();
    let (_, o) = p.decide(
        remove("kairat"),
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", Yes),
            ("erlan", No),
            ("kairat", No),
        ],
    );
    assert_decided(&o, true, false, tally(3, 2, 0, ELIGIBLE), THRESHOLD_FAILED);
    assert!(p.is_member("kairat"));
}

#[test]
fn remove_fails_on_quorum() {
    // 2 voters of 6 < 1/2, though both say yes.
    let mut p = six();
    let (_, o) = p.decide(remove("kairat"), &[("aigerim", Yes), ("bolat", Yes)]);
    assert_decided(&o, false, false, tally(2, 0, 0, ELIGIBLE), QUORUM_FAILED);
    assert!(p.is_member("kairat"));
}

#[test]
fn strictly_more_than_two_thirds_fails_at_exactly_two_thirds() {
    let mut charter = Charter::default();
    charter.remove.threshold.comparison = Comparison::Greater;
    let mut p = publication(&FOUNDERS, charter);
    let (id, o) = p.decide(
        remove("kairat"),
        &[("aigerim", Yes), ("bolat", Yes), ("kairat", No)],
    );
    assert_decided(&o, true, false, tally(2, 1, 0, ELIGIBLE), THRESHOLD_FAILED);
    assert!(p.is_member("kairat"));
    let Judged::Vote(rule) = p.state.proposal(id).unwrap().rule else {
        panic!("a removal is a yes/no vote");
    };
    assert_eq!(rule.threshold.comparison, Comparison::Greater);
    // One more yes is strictly more than 2/3.
    let mut charter = Charter::default();
    charter.remove.threshold.comparison = Comparison::Greater;
    let mut p = publication(&FOUNDERS, charter);
    let (_, o) = p.decide(
        remove("kairat"),
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", Yes),
            ("kairat", No),
        ],
    );
    assert_decided(&o, true, true, tally(3, 1, 0, ELIGIBLE), removed("kairat"));
}

/// The hand-counted election of this file: 6 ballots, 3 seats, Droop quota
/// floor(6/4) + 1 = 2.
///
/// - aigerim, bolat, dana: aigerim > erlan; erlan: aigerim > dana;
///   farida, kairat: bolat.
/// - First preferences: aigerim 4, bolat 2, dana 0, erlan 0. aigerim and
///   bolat reach the quota and are elected (aigerim first, more votes).
/// - aigerim's surplus of 2 moves at 2/4 = 1/2 a paper: erlan 3/2, dana 1/2.
///   bolat has no surplus.
/// - No one reaches the quota; dana (1/2) is excluded; her paper has no
///   further preference and is non-transferable.
/// - erlan is the only continuing candidate for the last seat: elected.
///
/// Counting first preferences alone would have tied dana and erlan at 0.
const CANDIDATES: [&str; 4] = ["aigerim", "bolat", "dana", "erlan"];

fn hand_counted_ballots() -> Vec<(&'static str, Ballot)> {
    vec![
        ("aigerim", ranked(&["aigerim", "erlan"])),
        ("bolat", ranked(&["aigerim", "erlan"])),
        ("dana", ranked(&["aigerim", "erlan"])),
        ("erlan", ranked(&["aigerim", "dana"])),
        ("farida", ranked(&["bolat"])),
        ("kairat", ranked(&["bolat"])),
    ]
}

fn r(n: i64, d: i64) -> BigRational {
    BigRational::new(BigInt::from(n), BigInt::from(d))
}

#[test]
fn elect_passes_and_matches_the_hand_count() {
    let mut p = six();
    let (id, o) = p.decide(elect(&CANDIDATES), &hand_counted_ballots());
    assert_decided(
        &o,
        true,
        true,
        tally(6, 0, 0, ELIGIBLE),
        Effect::BoardElected {
            seats: handles(&["aigerim", "bolat", "erlan"]),
            term_ends: o.closed_at + 365 * DAY_SECS,
            vacant: 0,
        },
    );
    assert_eq!(o.elected, handles(&["aigerim", "bolat", "erlan"]));
    assert_eq!(o.counted, handles(&FOUNDERS));
    // The count stage by stage, recomputed from the state's own election.
    let proposal = p.state.proposal(id).unwrap();
    let e = p.state.stv_election(proposal, &o.counted);
    assert_eq!(e.seats, 3);
    // The candidates, then "re-open nominations", which nobody ranked.
    let mut with_ron = handles(&CANDIDATES);
    with_ron.push(REOPEN_NOMINATIONS.to_string());
    assert_eq!(e.candidates, with_ron);
    let count = stv::count(&e).unwrap();
    assert_eq!(count.quota, r(2, 1));
    assert_eq!(count.elected, vec![0, 1, 3]);
    assert_eq!(count.stages.len(), 4);
    assert_eq!(count.stages[0].kind, stv::StageKind::FirstPreferences);
    assert_eq!(
        count.stages[0].votes,
        vec![r(4, 1), r(2, 1), r(0, 1), r(0, 1), r(0, 1)]
    );
    assert_eq!(count.stages[0].elected, vec![0, 1]);
    assert_eq!(count.stages[1].kind, stv::StageKind::Surplus { from: 0 });
    assert_eq!(
        count.stages[1].votes,
        vec![r(2, 1), r(2, 1), r(1, 2), r(3, 2), r(0, 1)]
    );
    assert!(count.stages[1].elected.is_empty());
    // RON, with no vote, is excluded first, like any candidate.
    assert_eq!(count.stages[2].kind, stv::StageKind::Exclusion { of: 4 });
    assert_eq!(count.stages[3].kind, stv::StageKind::Exclusion { of: 2 });
    assert_eq!(count.stages[3].non_transferable, r(1, 2));
    assert_eq!(count.stages[3].elected, vec![3]);
    // The new board replaces the founders' board, for one term from the close.
    let seats: Vec<(String, u64, u64)> = p
        .state
        .board()
        .iter()
        .map(|s| (s.handle.clone(), s.since, s.until))
        .collect();
    let until = o.closed_at + 365 * DAY_SECS;
    assert_eq!(
        seats,
        vec![
            ("aigerim".to_string(), o.closed_at, until),
            ("bolat".to_string(), o.closed_at, until),
            ("erlan".to_string(), o.closed_at, until),
        ]
    );
}

#[test]
fn elect_fails_on_quorum() {
    // One ranked ballot of six: below 1/3. The founders stay the board.
    let mut p = six();
    let (_, o) = p.decide(elect(&CANDIDATES), &[("aigerim", ranked(&["dana"]))]);
    assert_decided(&o, false, false, tally(1, 0, 0, ELIGIBLE), QUORUM_FAILED);
    assert!(o.elected.is_empty());
    assert_eq!(p.board(), handles(&FOUNDERS));
}

#[test]
fn elect_with_no_candidate_left_elects_no_one() {
    // An election has no yes/no threshold; it fails the count when no
    // candidate is still a member at the close.
    let mut p = six();
    let (id, closes_at) = p.propose_min("aigerim", T1, elect(&["farida"]));
    p.votes(
        T1 + 60,
        id,
        &[
            ("aigerim", ranked(&["farida"])),
            ("bolat", ranked(&["farida"])),
        ],
    );
    p.act("farida", T1 + 120, Action::Resign(Resign {}));
    let o = p.close("bolat", closes_at, id);
    // Fewer consenting candidates still members than seats: void.
    assert_decided(
        &o,
        true,
        false,
        tally(2, 0, 0, 5),
        Effect::TooFewCandidates {
            candidates: 0,
            seats: 3,
        },
    );
    assert!(o.elected.is_empty());
    assert_eq!(
        p.board(),
        handles(&["aigerim", "bolat", "dana", "erlan", "kairat"])
    );
}

fn stricter_charter() -> Charter {
    let mut c = Charter::default();
    c.admit.min_hours = 96;
    c.resolution.quorum = Fraction { num: 1, den: 2 };
    c
}

/// The default amendment rule is the entrenched one: yes from at least 2/3
/// of *all* members. (Before protected rules it was 2/3 of votes cast, and
/// this test passed an amendment with 2 yes, 1 no of 6 members; that is now
/// exactly the capture it must refuse.)
#[test]
fn amend_passes_at_two_thirds_of_all_members() {
    let mut p = six();
    let (_, o) = p.decide(
        amend(stricter_charter()),
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", Yes),
            ("erlan", Yes),
            ("farida", No),
            ("kairat", No),
        ],
    );
    assert_decided(
        &o,
        true,
        true,
        tally(4, 2, 0, ELIGIBLE),
        Effect::CharterAmended,
    );
    assert_eq!(p.state.charter(), &stricter_charter());
}

#[test]
fn amend_fails_with_every_vote_cast_yes_but_under_two_thirds_of_members() {
    // 3 yes, nobody against: all votes cast, but 3/6 < 2/3 of members.
    let mut p = six();
    let (_, o) = p.decide(
        amend(stricter_charter()),
        &[("aigerim", Yes), ("bolat", Yes), ("dana", Yes)],
    );
    assert_decided(&o, true, false, tally(3, 0, 0, ELIGIBLE), THRESHOLD_FAILED);
    assert_eq!(p.state.charter(), &Charter::default());
    // And the old premise, 2 yes and 1 no, fails too.
    let mut p = six();
    let (_, o) = p.decide(
        amend(stricter_charter()),
        &[("aigerim", Yes), ("bolat", Yes), ("kairat", No)],
    );
    assert_decided(&o, true, false, tally(2, 1, 0, ELIGIBLE), THRESHOLD_FAILED);
    assert_eq!(p.state.charter(), &Charter::default());
}

#[test]
fn amend_fails_on_threshold() {
    let mut p = six();
    let (_, o) = p.decide(
        amend(stricter_charter()),
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", Yes),
            ("erlan", No),
            ("kairat", No),
            ("farida", Abstain),
        ],
    );
    assert_decided(&o, true, false, tally(3, 2, 1, ELIGIBLE), THRESHOLD_FAILED);
    assert_eq!(p.state.charter(), &Charter::default());
}

#[test]
fn amend_fails_on_quorum() {
    let mut p = six();
    let (_, o) = p.decide(
        amend(stricter_charter()),
        &[("aigerim", Yes), ("bolat", Yes)],
    );
    assert_decided(&o, false, false, tally(2, 0, 0, ELIGIBLE), QUORUM_FAILED);
    assert_eq!(p.state.charter(), &Charter::default());
}

#[test]
fn amend_to_an_invalid_charter_is_refused_when_proposed() {
    let mut p = six();
    let mut bad = Charter::default();
    bad.board.seats = 0;
    p.refuse(
        "aigerim",
        T1,
        propose(T1, T1 + 168 * H, amend(bad)),
        Rejection::BadCharter(CharterError::Seats { max: MAX_SEATS }),
    );
}

// ---------------------------------------------------------------------------
// Protected rules: the entrenched floors and the amendment rule.

fn frac(num: u32, den: u32) -> Fraction {
    Fraction { num, den }
}

/// The charter of the capture attack: quorum 0, threshold "> 0" of cast and
/// a 1-hour minimum period, for every decision.
fn captured_charter() -> Charter {
    let mut c = Charter::default();
    for r in [
        &mut c.admit,
        &mut c.remove,
        &mut c.amend,
        &mut c.retract,
        &mut c.redact,
        &mut c.resolution,
    ] {
        *r = Rule {
            threshold: Threshold {
                comparison: Comparison::Greater,
                fraction: frac(0, 1),
                of: Base::Cast,
            },
            quorum: frac(0, 1),
            min_hours: 1,
            secret: false,
        };
    }
    c.elect.quorum = frac(0, 1);
    c.elect.min_hours = 1;
    c
}

#[test]
fn the_capture_attack_is_refused_by_the_fold() {
    // The attack: in 6 members, 2 yes and 1 no adopt the captured charter,
    // then one member removes the other five, one per hour.
    let mut p = six();
    let attack = amend(captured_charter());
    // Proposing it is refused, whatever the votes would be: the first floor
    // it breaks is the simple majority (admit's "> 0").
    p.refuse(
        "aigerim",
        T1,
        propose(T1, T1 + 168 * H, attack),
        Rejection::BadCharter(CharterError::ThresholdBelowMajority { rule: "admit" }),
    );
    // Each lever alone is refused with its own reason.
    let mut c = Charter::default();
    c.remove.quorum = frac(0, 1);
    p.refuse(
        "aigerim",
        T1,
        propose(T1, T1 + 168 * H, amend(c)),
        Rejection::BadCharter(CharterError::QuorumBelowFloor {
            rule: "remove",
            floor: PROTECTED_QUORUM_FLOOR,
        }),
    );
    let mut c = Charter::default();
    c.remove.min_hours = 1;
    p.refuse(
        "aigerim",
        T1,
        propose(T1, T1 + 168 * H, amend(c)),
        Rejection::BadCharter(CharterError::PeriodBelowFloor {
            rule: "remove",
            floor: PROTECTED_MIN_HOURS_FLOOR,
        }),
    );
    let mut c = Charter::default();
    c.amend.threshold.of = Base::Cast;
    p.refuse(
        "aigerim",
        T1,
        propose(T1, T1 + 168 * H, amend(c)),
        Rejection::BadCharter(CharterError::AmendmentBelowTwoThirdsOfMembers),
    );
    // A valid amendment carried by 2 yes and 1 no does not pass.
    let (_, o) = p.decide(
        amend(stricter_charter()),
        &[("aigerim", Yes), ("bolat", Yes), ("dana", No)],
    );
    assert_decided(&o, true, false, tally(2, 1, 0, ELIGIBLE), THRESHOLD_FAILED);
    // And a removal open for an hour is refused.
    p.refuse(
        "aigerim",
        T1 + 200 * H,
        propose(T1 + 200 * H, T1 + 201 * H, remove("bolat")),
        Rejection::PeriodTooShort {
            kind: Motion::Remove {
                handle: "bolat".into(),
            }
            .kind(),
            min_hours: 168,
            closes_at: T1 + 201 * H,
            earliest: T1 + 200 * H + 168 * H,
        },
    );
    assert_eq!(p.state.charter(), &Charter::default());
    assert_eq!(p.state.members().count(), 6);
}

#[test]
fn a_founding_charter_below_the_floors_is_refused() {
    let log = key(ORIGIN);
    let body = EntryBody {
        time: T0,
        action: Action::Genesis(Genesis {
            name: "Erkin Habar".into(),
            log_key: log.verifier_key().to_string(),
            founders: vec![key("aigerim").verifier_key().to_string()],
            charter: captured_charter(),
        }),
    };
    let bytes = sign_entry(ORIGIN, &body, &log).unwrap();
    assert_eq!(
        State::genesis(log.verifier_key(), &bytes).err(),
        Some(Rejection::BadGenesis(
            erkin_core::rejection::BadGenesis::Charter(CharterError::ThresholdBelowMajority {
                rule: "admit"
            })
        ))
    );
}

#[test]
fn each_floor_is_refused_with_its_own_reason_and_the_floor_itself_is_allowed() {
    type Edit = fn(&mut Charter);
    let refused: Vec<(Edit, CharterError)> = vec![
        // No threshold below a simple majority: "≥ 1/2" lets a tie pass.
        (
            |c| c.resolution.threshold.comparison = Comparison::AtLeast,
            CharterError::ThresholdBelowMajority { rule: "resolution" },
        ),
        (
            |c| c.admit.threshold.fraction = frac(2, 5),
            CharterError::ThresholdBelowMajority { rule: "admit" },
        ),
        (
            |c| {
                c.retract.threshold = Threshold {
                    comparison: Comparison::AtLeast,
                    fraction: frac(1, 2),
                    of: Base::Members,
                }
            },
            CharterError::ThresholdBelowMajority { rule: "retract" },
        ),
        (
            |c| c.remove.threshold.fraction = frac(1, 3),
            CharterError::ThresholdBelowMajority { rule: "remove" },
        ),
        // Amendments: 2/3 of all members, not of those voting.
        (
            |c| c.amend.threshold.of = Base::Cast,
            CharterError::AmendmentBelowTwoThirdsOfMembers,
        ),
        (
            |c| c.amend.threshold.fraction = frac(3, 5),
            CharterError::AmendmentBelowTwoThirdsOfMembers,
        ),
        // Quorums of the protected rules.
        (
            |c| c.remove.quorum = frac(49, 100),
            CharterError::QuorumBelowFloor {
                rule: "remove",
                floor: PROTECTED_QUORUM_FLOOR,
            },
        ),
        (
            |c| c.redact.quorum = frac(1, 3),
            CharterError::QuorumBelowFloor {
                rule: "redact",
                floor: PROTECTED_QUORUM_FLOOR,
            },
        ),
        (
            |c| c.amend.quorum = frac(0, 1),
            CharterError::QuorumBelowFloor {
                rule: "amend",
                floor: PROTECTED_QUORUM_FLOOR,
            },
        ),
        // Periods: two days for the protected rules, one for the others.
        (
            |c| c.remove.min_hours = 47,
            CharterError::PeriodBelowFloor {
                rule: "remove",
                floor: PROTECTED_MIN_HOURS_FLOOR,
            },
        ),
        (
            |c| c.redact.min_hours = 24,
            CharterError::PeriodBelowFloor {
                rule: "redact",
                floor: PROTECTED_MIN_HOURS_FLOOR,
            },
        ),
        (
            |c| c.amend.min_hours = 1,
            CharterError::PeriodBelowFloor {
                rule: "amend",
                floor: PROTECTED_MIN_HOURS_FLOOR,
            },
        ),
        (
            |c| c.admit.min_hours = 23,
            CharterError::PeriodBelowFloor {
                rule: "admit",
                floor: MIN_HOURS_FLOOR,
            },
        ),
        (
            |c| c.elect.min_hours = 0,
            CharterError::PeriodBelowFloor {
                rule: "elect",
                floor: MIN_HOURS_FLOOR,
            },
        ),
    ];
    for (edit, expected) in refused {
        let mut c = Charter::default();
        edit(&mut c);
        assert_eq!(c.validate(), Err(expected.clone()));
        // The fold refuses it as an amendment, leaving the state unchanged.
        let mut p = six();
        p.refuse(
            "aigerim",
            T1,
            propose(T1, T1 + 168 * H, amend(c)),
            Rejection::BadCharter(expected),
        );
    }
    // Exactly at every floor is allowed.
    let mut c = Charter::default();
    let at_floor = Rule {
        threshold: THRESHOLD_FLOOR,
        quorum: frac(0, 1),
        min_hours: MIN_HOURS_FLOOR,
        secret: false,
    };
    c.admit = at_floor;
    c.retract = at_floor;
    c.resolution = at_floor;
    c.elect.min_hours = MIN_HOURS_FLOOR;
    c.remove = Rule {
        threshold: THRESHOLD_FLOOR,
        quorum: PROTECTED_QUORUM_FLOOR,
        min_hours: PROTECTED_MIN_HOURS_FLOOR,
        secret: false,
    };
    c.redact = c.remove;
    c.amend = ENTRENCHED_AMEND;
    assert_eq!(c.validate(), Ok(()));
    assert_eq!(
        Charter::default().amend.threshold,
        AMEND_THRESHOLD_FLOOR,
        "the default amendment rule is the entrenched one"
    );
}

/// A charter whose amendment rule is tighter than the default: 5/6 of all
/// members, 2/3 of members voting, 10 days.
fn tight_amendment_charter() -> Charter {
    Charter {
        amend: Rule {
            threshold: Threshold {
                comparison: Comparison::AtLeast,
                fraction: frac(3, 4),
                of: Base::Members,
            },
            quorum: frac(2, 3),
            min_hours: 240,
            secret: false,
        },
        ..Charter::default()
    }
}

#[test]
fn tightening_the_amendment_rule_needs_the_rule_in_force_and_loosening_is_judged_by_it_too() {
    // Tightening passes with exactly the rule in force: 4 of 6 members.
    let mut p = six();
    let four_yes = [
        ("aigerim", Yes),
        ("bolat", Yes),
        ("dana", Yes),
        ("erlan", Yes),
        ("farida", No),
        ("kairat", No),
    ];
    let (_, o) = p.decide(amend(tight_amendment_charter()), &four_yes);
    assert_decided(
        &o,
        true,
        true,
        tally(4, 2, 0, ELIGIBLE),
        Effect::CharterAmended,
    );
    assert_eq!(p.state.charter(), &tight_amendment_charter());
    // Loosening it back is judged by the tight rule now in force (3/4 of members: 5 of 6),
    // over its 10-day period: 4 yes fails.
    let (id, o) = p.decide_at(T1 + 200 * H, amend(Charter::default()), &four_yes);
    assert_decided(&o, true, false, tally(4, 2, 0, ELIGIBLE), THRESHOLD_FAILED);
    let proposal = p.state.proposal(id).unwrap();
    assert_eq!(proposal.closes_at - proposal.opened_at, 240 * H);
    let (_, o) = p.decide_at(
        T1 + 500 * H,
        amend(Charter::default()),
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", Yes),
            ("erlan", Yes),
            ("farida", Yes),
            ("kairat", No),
        ],
    );
    assert_decided(
        &o,
        true,
        true,
        tally(5, 1, 0, ELIGIBLE),
        Effect::CharterAmended,
    );
    assert_eq!(p.state.charter(), &Charter::default());
}

#[test]
fn loosening_the_amendment_rule_needs_the_entrenched_majority_even_under_a_looser_rule() {
    // A rule in force looser than the floors (no valid charter has one; the
    // entrenchment must hold even so): > 1/2 of cast, quorum 1/3, 1 hour.
    let loose = Rule {
        threshold: THRESHOLD_FLOOR,
        quorum: frac(1, 3),
        min_hours: 1,
        secret: false,
    };
    let tighter = Charter {
        amend: Rule {
            threshold: THRESHOLD_FLOOR,
            quorum: frac(1, 2),
            min_hours: 1,
            secret: false,
        },
        ..Charter::default()
    };
    let looser = Charter {
        amend: Rule {
            threshold: THRESHOLD_FLOOR,
            quorum: frac(1, 4),
            min_hours: 1,
            secret: false,
        },
        ..Charter::default()
    };
    assert!(!loosens_amendment_rule(&loose, &tighter));
    assert!(loosens_amendment_rule(&loose, &looser));
    // Tightening: the rule in force is enough (2 yes, 1 no of 6).
    assert_eq!(
        judge_amendment(&loose, &tighter, &tally(2, 1, 0, 6)),
        (true, true)
    );
    assert_eq!(amendment_min_hours(&loose, &tighter), 1);
    // Loosening: 2 yes, 1 no fails (quorum and threshold: 3 of 6 voted, 2 < 4 yes),
    // 3 yes of 6 fails (half, not two thirds), 4 yes of 6 passes.
    assert_eq!(
        judge_amendment(&loose, &looser, &tally(2, 0, 0, 6)),
        (false, false)
    );
    assert_eq!(
        judge_amendment(&loose, &looser, &tally(2, 1, 0, 6)),
        (true, false)
    );
    assert_eq!(
        judge_amendment(&loose, &looser, &tally(3, 0, 0, 6)),
        (true, false)
    );
    assert_eq!(
        judge_amendment(&loose, &looser, &tally(4, 2, 0, 6)),
        (true, true)
    );
    assert_eq!(
        amendment_min_hours(&loose, &looser),
        PROTECTED_MIN_HOURS_FLOOR
    );
    // A lower threshold or a shorter period is loosening too; a change
    // elsewhere in the charter is not.
    let in_force = Charter::default().amend;
    let mut c = Charter::default();
    c.amend.min_hours -= 1;
    assert!(loosens_amendment_rule(&in_force, &c));
    let mut c = Charter::default();
    c.amend.threshold.comparison = Comparison::Greater;
    assert!(
        !loosens_amendment_rule(&in_force, &c),
        "> is stricter than ≥"
    );
    let c = tight_amendment_charter();
    assert!(loosens_amendment_rule(&c.amend, &Charter::default()));
    assert!(!loosens_amendment_rule(&in_force, &stricter_charter()));
}

/// A motion under the simple-majority rule (> 1/2 of cast, quorum 1/3):
/// passes with 2 yes, fails on a tie, fails with one voter.
fn simple_majority(motion: Motion, effect: Effect, took_effect: impl Fn(&State) -> bool) {
    let mut p = six_with_articles();
    let (_, o) = p.decide(motion.clone(), &[("aigerim", Yes), ("bolat", Yes)]);
    assert_decided(&o, true, true, tally(2, 0, 0, ELIGIBLE), effect);
    assert!(took_effect(&p.state), "{:?}", o.effect);

    let mut p = six_with_articles();
    let (_, o) = p.decide(motion.clone(), &[("aigerim", Yes), ("bolat", No)]);
    assert_decided(&o, true, false, tally(1, 1, 0, ELIGIBLE), THRESHOLD_FAILED);
    assert!(!took_effect(&p.state));

    let mut p = six_with_articles();
    let (_, o) = p.decide(motion, &[("aigerim", Yes)]);
    assert_decided(&o, false, false, tally(1, 0, 0, ELIGIBLE), QUORUM_FAILED);
    assert!(!took_effect(&p.state));
}

#[test]
fn retract_passes_and_fails_on_threshold_and_quorum() {
    simple_majority(
        retract("mine-collapse"),
        Effect::Retracted {
            slug: "mine-collapse".into(),
        },
        |s| {
            s.retracted().iter().collect::<Vec<_>>() == ["mine-collapse"] && s.redacted().is_empty()
        },
    );
}

/// Redaction is irreversible, so its default rule is removal's: at least 2/3
/// of votes cast, half the members voting. (Before protected rules it was a
/// simple majority with quorum 1/3, and this test used `simple_majority`.)
#[test]
fn redact_passes_and_fails_on_threshold_and_quorum() {
    let target = "water-tariff";
    let done = |s: &State| s.redacted().iter().collect::<Vec<_>>() == [target];
    let redacted = Effect::Redacted {
        target: target.into(),
    };
    // 2 yes, 1 no: exactly 2/3 of cast, 3 of 6 voting meets the quorum.
    let mut p = six_with_articles();
    let (_, o) = p.decide(
        redact(target),
        &[("aigerim", Yes), ("bolat", Yes), ("dana", No)],
    );
    assert_decided(&o, true, true, tally(2, 1, 0, ELIGIBLE), redacted);
    assert!(done(&p.state) && p.state.retracted().is_empty());
    // 3 yes, 2 no: a simple majority, but 3/5 < 2/3.
    let mut p = six_with_articles();
    let (_, o) = p.decide(
        redact(target),
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", Yes),
            ("erlan", No),
            ("farida", No),
        ],
    );
    assert_decided(&o, true, false, tally(3, 2, 0, ELIGIBLE), THRESHOLD_FAILED);
    assert!(!done(&p.state));
    // 2 yes of 6: the old 1/3 quorum would be met; 1/2 is not.
    let mut p = six_with_articles();
    let (_, o) = p.decide(redact(target), &[("aigerim", Yes), ("bolat", Yes)]);
    assert_decided(&o, false, false, tally(2, 0, 0, ELIGIBLE), QUORUM_FAILED);
    assert!(!done(&p.state));
}

#[test]
fn resolution_passes_and_fails_on_threshold_and_quorum() {
    // A resolution changes nothing but its own record.
    let mut p = six();
    let before = p.state.digest();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("We publish in Kazakh first."));
    assert_eq!(closes_at, T1 + 72 * H);
    p.votes(T1 + 60, id, &[("aigerim", Yes), ("bolat", Yes)]);
    let o = p.close("dana", closes_at, id);
    assert_decided(&o, true, true, tally(2, 0, 0, ELIGIBLE), Effect::Resolved);
    assert_ne!(p.state.digest(), before);
    assert_eq!(p.state.charter(), &Charter::default());
    assert_eq!(p.state.members().count(), 6);
    simple_majority(
        resolution("We publish in Kazakh first."),
        Effect::Resolved,
        |s| {
            s.proposals()
                .any(|p| p.outcome.as_ref().is_some_and(|o| o.passed))
        },
    );
}

// ---------------------------------------------------------------------------
// Votes and deadlines.

#[test]
fn the_last_vote_counts() {
    let mut p = six();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Open a Shymkent desk."));
    p.vote("aigerim", T1 + 10, id, Yes);
    p.vote("bolat", T1 + 10, id, Yes);
    p.vote("dana", T1 + 10, id, No);
    // bolat changes his mind twice; dana once.
    p.vote("bolat", T1 + 20, id, No);
    p.vote("dana", T1 + 30, id, Abstain);
    p.vote("bolat", T1 + 40, id, No);
    p.vote("dana", closes_at - 1, id, Yes);
    let votes: Vec<(&str, &Ballot)> = p
        .state
        .proposal(id)
        .unwrap()
        .votes
        .iter()
        .map(|(h, b)| (h.as_str(), b))
        .collect();
    assert_eq!(
        votes,
        vec![("aigerim", &Yes), ("bolat", &No), ("dana", &Yes)]
    );
    let o = p.close("erlan", closes_at, id);
    assert_decided(&o, true, true, tally(2, 1, 0, ELIGIBLE), Effect::Resolved);
}

#[test]
fn the_same_vote_signed_twice_at_the_same_time_is_a_replay() {
    let mut p = six();
    let (id, _) = p.propose_min("aigerim", T1, resolution("Hire a fact-checker."));
    let bytes = p.sign("bolat", T1 + 10, vote(id, Yes));
    p.apply_bytes(&bytes);
    p.refuse_bytes(&bytes, Rejection::Duplicate);
}

#[test]
fn deadlines_closed_and_unknown_proposals() {
    let mut p = six();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the budget."));
    p.vote("aigerim", T1 + 60, id, Yes);
    // The last second of voting is still voting.
    p.vote("bolat", closes_at - 1, id, Yes);
    // Not closable before the deadline while some have not voted.
    p.refuse(
        "dana",
        closes_at - 1,
        close(id),
        Rejection::TooEarly {
            proposal: id,
            closes_at,
            time: closes_at - 1,
        },
    );
    // A vote dated at the deadline is refused.
    p.refuse(
        "dana",
        closes_at,
        vote(id, No),
        Rejection::VotingEnded {
            proposal: id,
            closes_at,
            time: closes_at,
        },
    );
    p.refuse(
        "dana",
        closes_at + 5 * H,
        vote(id, No),
        Rejection::VotingEnded {
            proposal: id,
            closes_at,
            time: closes_at + 5 * H,
        },
    );
    // Later entries are judged at the log time reached (5 hours late).
    let o = p.close("dana", closes_at + 5 * H + 10, id);
    assert_decided(&o, true, true, tally(2, 0, 0, ELIGIBLE), Effect::Resolved);
    // Once closed, neither votes nor a second close.
    p.refuse(
        "erlan",
        closes_at + 5 * H + 20,
        vote(id, No),
        Rejection::ProposalClosed(id),
    );
    p.refuse(
        "erlan",
        closes_at + 5 * H + 20,
        close(id),
        Rejection::ProposalClosed(id),
    );
    // No such proposal; and an index that is not a propose entry.
    p.refuse(
        "erlan",
        closes_at + 5 * H + 20,
        vote(999, Yes),
        Rejection::UnknownProposal(999),
    );
    p.refuse(
        "erlan",
        closes_at + 5 * H + 20,
        close(999),
        Rejection::UnknownProposal(999),
    );
    let s = p
        .act("erlan", closes_at + 5 * H + 30, statement("on the record"))
        .index;
    p.refuse(
        "erlan",
        closes_at + 5 * H + 40,
        vote(s, Yes),
        Rejection::UnknownProposal(s),
    );
    p.refuse(
        "erlan",
        closes_at + 5 * H + 40,
        close(0),
        Rejection::UnknownProposal(0),
    );
}

#[test]
fn early_close_needs_every_eligible_vote() {
    let mut p = six();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Move the server."));
    for h in &FOUNDERS[..5] {
        p.vote(h, T1 + 60, id, No);
    }
    p.refuse(
        "aigerim",
        T1 + 120,
        close(id),
        Rejection::TooEarly {
            proposal: id,
            closes_at,
            time: T1 + 120,
        },
    );
    p.vote("kairat", T1 + 180, id, Abstain);
    let o = p.close("aigerim", T1 + 240, id);
    assert!(o.closed_at < closes_at);
    assert_decided(&o, true, false, tally(0, 5, 1, ELIGIBLE), THRESHOLD_FAILED);

    // A member who left is no longer waited for.
    let mut p = six();
    let (id, _) = p.propose_min("aigerim", T1, resolution("Move the server."));
    for h in &FOUNDERS[..5] {
        p.vote(h, T1 + 60, id, Yes);
    }
    p.act("kairat", T1 + 120, Action::Resign(Resign {}));
    let o = p.close("aigerim", T1 + 180, id);
    assert_decided(&o, true, true, tally(5, 0, 0, 5), Effect::Resolved);
}

#[test]
fn a_voting_period_shorter_than_the_charter_minimum_is_refused() {
    let zhanna = key("zhanna");
    let motions: Vec<(Motion, &'static str, u32)> = vec![
        (admit(&zhanna), "admit", 72),
        (remove("kairat"), "remove", 168),
        (amend(stricter_charter()), "amend", 168),
        (retract("mine-collapse"), "retract", 72),
        (redact("water-tariff"), "redact", 72),
        (resolution("text"), "resolution", 72),
    ];
    for (motion, kind, min_hours) in motions {
        let mut p = six_with_articles();
        let shortest = T1 + u64::from(min_hours) * H;
        p.refuse(
            "aigerim",
            T1,
            propose(T1, shortest - 1, motion.clone()),
            Rejection::PeriodTooShort {
                kind,
                min_hours,
                closes_at: shortest - 1,
                earliest: shortest,
            },
        );
        p.refuse(
            "aigerim",
            T1,
            propose(T1, 0, motion.clone()),
            Rejection::PeriodTooShort {
                kind,
                min_hours,
                closes_at: 0,
                earliest: shortest,
            },
        );
        // Too long a period is refused too.
        p.refuse(
            "aigerim",
            T1,
            propose(T1, T1 + u64::from(MAX_HOURS) * H + 1, motion.clone()),
            Rejection::OpenTooLong {
                max_hours: MAX_HOURS,
            },
        );
        let id = p.propose("aigerim", T1, shortest, motion);
        assert_eq!(p.state.proposal(id).unwrap().closes_at, shortest);
    }
}

// ---------------------------------------------------------------------------
// Who may act and vote.

#[test]
fn a_non_members_vote_is_refused() {
    let mut p = six();
    let (id, _) = p.propose_min("aigerim", T1, resolution("Hire an editor."));
    let mallory = key("mallory");
    let bytes = p.sign_with(&mallory, T1 + 10, vote(id, Yes));
    p.refuse_bytes(
        &bytes,
        Rejection::NotAMember {
            name: "mallory".into(),
            id: mallory.verifier_key().key_id(),
        },
    );
}

#[test]
fn a_removed_member_can_no_longer_act() {
    let mut p = six();
    let open = p.propose(
        "aigerim",
        T1,
        T1 + 400 * H,
        resolution("A long consultation."),
    );
    let (id, closes_at) = p.propose_min("aigerim", T1, remove("kairat"));
    p.votes(
        T1 + 60,
        id,
        &[("aigerim", Yes), ("bolat", Yes), ("dana", Yes)],
    );
    let o = p.close("bolat", closes_at, id);
    assert_eq!(o.effect, removed("kairat"));
    let t = o.closed_at + 10;
    let kid = p.keys["kairat"].verifier_key().key_id();
    let not_member = || Rejection::NotAMember {
        name: "kairat".into(),
        id: kid,
    };
    p.refuse("kairat", t, vote(open, No), not_member());
    p.refuse("kairat", t, statement("I object"), not_member());
    p.refuse(
        "kairat",
        t,
        propose(t, t + 100 * H, resolution("Reinstate me")),
        not_member(),
    );
    p.refuse("kairat", t, close(open), not_member());
    p.refuse("kairat", t, Action::Resign(Resign {}), not_member());
}

/// Admits `k` by a vote of aigerim and bolat, starting at `time`; returns
/// the time of the close.
fn admit_now(p: &mut Pub, time: u64, k: &SecretKey) -> u64 {
    let closes_at = time + 72 * H;
    let id = p.propose("aigerim", time, closes_at, admit(k));
    p.votes(time + 1, id, &[("aigerim", Yes), ("bolat", Yes)]);
    let o = p.close("bolat", closes_at, id);
    assert_eq!(o.effect, admitted(k.name()));
    p.keys.insert(k.name().to_string(), k.clone());
    closes_at
}

#[test]
fn a_member_admitted_after_a_proposal_cannot_vote_on_it() {
    let mut p = six();
    let open = p.propose(
        "aigerim",
        T1,
        T1 + 400 * H,
        resolution("A long consultation."),
    );
    let zhanna = key("zhanna");
    let t = admit_now(&mut p, T1, &zhanna) + 10;
    p.refuse(
        "zhanna",
        t,
        vote(open, Yes),
        Rejection::NotEligible {
            handle: "zhanna".into(),
            proposal: open,
        },
    );
    // The new member acts: a statement, and a vote on a later proposal.
    p.act("zhanna", t, statement("Glad to be here."));
    let (later, closes_at) = p.propose_min("zhanna", t, resolution("Welcome zhanna."));
    p.vote("zhanna", t + 1, later, Yes);
    let o = p.close("aigerim", closes_at, later);
    assert_decided(&o, false, false, tally(1, 0, 0, 7), QUORUM_FAILED);
    assert_eq!(o.counted, handles(&["zhanna"]));
    // The earlier proposal's electorate is still the six founders.
    let o = p.close("aigerim", T1 + 400 * H, open);
    assert_eq!(o.tally.eligible, 6);
}

#[test]
fn a_handle_readmitted_after_leaving_does_not_vote_on_earlier_proposals() {
    // kairat votes, then leaves; someone is admitted under the handle
    // "kairat" with another key. The newcomer joined after the proposal was
    // made, so may not vote on it (governance.rs: "A member admitted later
    // does not vote on it").
    let mut p = six();
    let open = p.propose(
        "aigerim",
        T1,
        T1 + 400 * H,
        resolution("A long consultation."),
    );
    p.vote("kairat", T1 + 10, open, No);
    p.act("kairat", T1 + 20, Action::Resign(Resign {}));
    let newcomer = key_n("kairat", 1);
    let t = admit_now(&mut p, T1 + 30, &newcomer) + 10;
    assert_eq!(
        p.state.member("kairat").unwrap().key,
        *newcomer.verifier_key()
    );
    p.refuse(
        "kairat",
        t,
        vote(open, Yes),
        Rejection::NotEligible {
            handle: "kairat".into(),
            proposal: open,
        },
    );
}

#[test]
fn a_departed_members_vote_does_not_count_again_when_the_handle_returns() {
    // governance.rs: "a member who leaves before it closes no longer counts,
    // and neither does their vote" — also when a newcomer takes the handle.
    let mut p = six();
    let open = p.propose(
        "aigerim",
        T1,
        T1 + 400 * H,
        resolution("A long consultation."),
    );
    p.vote("aigerim", T1 + 10, open, Yes);
    p.vote("kairat", T1 + 10, open, No);
    p.act("kairat", T1 + 20, Action::Resign(Resign {}));
    admit_now(&mut p, T1 + 30, &key_n("kairat", 1));
    let o = p.close("aigerim", T1 + 400 * H, open);
    assert_eq!(o.counted, handles(&["aigerim"]));
    assert_decided(&o, false, false, tally(1, 0, 0, 5), QUORUM_FAILED);
}

#[test]
fn a_candidate_who_left_is_not_elected_when_the_handle_returns() {
    // "a candidate removed before close is not elected" — also when a
    // newcomer has been admitted under the departed candidate's handle.
    let mut p = six();
    let (election, closes_at) =
        p.propose_min("aigerim", T1, elect(&["dana", "erlan", "farida", "kairat"]));
    p.act("kairat", T1 + 70, Action::Resign(Resign {}));
    let back = admit_now(&mut p, T1 + 80, &key_n("kairat", 1));
    assert!(back < closes_at);
    p.votes(
        T1 + 60,
        election,
        &[
            ("aigerim", ranked(&["kairat"])),
            ("bolat", ranked(&["kairat"])),
            ("dana", ranked(&["kairat"])),
            ("erlan", ranked(&["erlan"])),
        ],
    );
    let o = p.close("aigerim", closes_at, election);
    assert!(o.passed);
    let mut elected = o.elected.clone();
    elected.sort();
    assert_eq!(elected, handles(&["dana", "erlan", "farida"]));
    assert!(!p.state.is_editor("kairat", closes_at));
}

#[test]
fn a_forged_key_with_a_members_name_is_not_a_member() {
    let mut p = six();
    let (id, _) = p.propose_min("aigerim", T1, resolution("Hire an editor."));
    let forger = key_n("aigerim", 7);
    assert_ne!(
        forger.verifier_key().key_id(),
        p.keys["aigerim"].verifier_key().key_id()
    );
    let bytes = p.sign_with(&forger, T1 + 10, vote(id, No));
    p.refuse_bytes(
        &bytes,
        Rejection::NotAMember {
            name: "aigerim".into(),
            id: forger.verifier_key().key_id(),
        },
    );
}

#[test]
fn corrupted_signature_bytes_are_a_bad_signature() {
    let mut p = six();
    let (id, _) = p.propose_min("aigerim", T1, resolution("Hire an editor."));
    let bytes = p.sign("bolat", T1 + 10, vote(id, Yes));
    let text = String::from_utf8(bytes).unwrap();
    // The signature line: "— bolat base64(key ID ‖ signature)".
    let (body, sig_line) = text.trim_end_matches('\n').rsplit_once('\n').unwrap();
    let (prefix, b64) = sig_line.rsplit_once(' ').unwrap();
    assert_eq!(prefix, "— bolat");
    let b64e = base64::engine::general_purpose::STANDARD;
    let mut raw = b64e.decode(b64).unwrap();
    assert_eq!(raw.len(), 4 + 64);
    raw[4 + 20] ^= 0x01; // a bit of the signature, not of the key ID
    let corrupted = format!("{body}\n{prefix} {}\n", b64e.encode(&raw));
    p.refuse_bytes(
        corrupted.as_bytes(),
        Rejection::Entry(EntryError::Note(NoteError::BadSignature {
            name: "bolat".into(),
            id: p.keys["bolat"].verifier_key().key_id(),
        })),
    );
    assert!(!p.state.proposal(id).unwrap().votes.contains_key("bolat"));
}

// ---------------------------------------------------------------------------
// Editor rights.

#[test]
fn founders_are_editors_for_one_term() {
    let p = six();
    let end = T0 + 365 * DAY_SECS;
    for h in FOUNDERS {
        assert!(p.state.is_editor(h, T0), "{h}");
        assert!(p.state.is_editor(h, end - 1), "{h}");
        assert!(!p.state.is_editor(h, end), "{h}");
        assert!(!p.state.is_editor(h, T0 - 1), "{h}");
    }
    assert!(!p.state.is_editor("mallory", T0));
}

#[test]
fn an_election_replaces_the_editors() {
    let mut p = six();
    let (_, o) = p.decide(elect(&CANDIDATES), &hand_counted_ballots());
    let t = o.closed_at;
    for h in ["aigerim", "bolat", "erlan"] {
        assert!(p.state.is_editor(h, t), "{h}");
        assert!(p.state.is_editor(h, t + 365 * DAY_SECS - 1), "{h}");
        assert!(!p.state.is_editor(h, t + 365 * DAY_SECS), "{h}");
    }
    // Founders not elected lose their seats at once, though their founders'
    // term has not run out.
    for h in ["dana", "farida", "kairat"] {
        assert!(!p.state.is_editor(h, t), "{h}");
        assert!(p.is_member(h));
    }
    assert_eq!(p.board(), handles(&["aigerim", "bolat", "erlan"]));
}

#[test]
fn a_removed_member_loses_editor_rights_at_once() {
    let mut p = six();
    assert!(p.state.is_editor("kairat", T1));
    let (_, o) = p.decide(
        remove("kairat"),
        &[("aigerim", Yes), ("bolat", Yes), ("dana", Yes)],
    );
    assert_eq!(o.effect, removed("kairat"));
    assert!(!p.state.is_editor("kairat", o.closed_at));
    assert!(!p.board().contains(&"kairat".to_string()));
    assert!(p.state.is_editor("aigerim", o.closed_at));
    // An elected editor who is removed leaves the board too.
    let mut p = six();
    let (_, o) = p.decide(elect(&CANDIDATES), &hand_counted_ballots());
    let t = o.closed_at + 60;
    let (id, closes_at) = p.propose_min("aigerim", t, remove("erlan"));
    p.votes(
        t + 1,
        id,
        &[("aigerim", Yes), ("bolat", Yes), ("dana", Yes)],
    );
    let o = p.close("aigerim", closes_at, id);
    assert_eq!(o.effect, removed("erlan"));
    assert_eq!(p.board(), handles(&["aigerim", "bolat"]));
    assert!(!p.state.is_editor("erlan", closes_at));
}

// ---------------------------------------------------------------------------
// Amendments: a proposal keeps the rule in force when it was made.

#[test]
fn an_amendment_applies_only_to_later_proposals() {
    let mut p = six();
    let old_rule = Charter::default().admit;
    let new_rule = Rule {
        threshold: Threshold {
            comparison: Comparison::AtLeast,
            fraction: Fraction { num: 3, den: 4 },
            of: Base::Members,
        },
        quorum: Fraction { num: 1, den: 3 },
        min_hours: 72,
        secret: false,
    };
    let charter = Charter {
        admit: new_rule,
        ..Charter::default()
    };

    let old = p.propose("aigerim", T1, T1 + 400 * H, admit(&key("zhanna")));
    let (amendment, amend_closes) = p.propose_min("aigerim", T1, amend(charter.clone()));
    p.votes(
        T1 + 60,
        amendment,
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", Yes),
            ("erlan", Yes),
        ],
    );
    // 2 yes, 1 no: passes "yes > 1/2 of cast", fails "yes ≥ 3/4 of members".
    p.votes(
        T1 + 60,
        old,
        &[("aigerim", Yes), ("bolat", Yes), ("dana", No)],
    );
    let o = p.close("aigerim", amend_closes, amendment);
    assert_eq!(o.effect, Effect::CharterAmended);
    assert_eq!(p.state.charter().admit, new_rule);

    // A new admission: 4 yes of 6 members passes the old rule but not ≥ 3/4
    // of members (4 × 4 = 16 < 3 × 6 = 18).
    let t2 = amend_closes + 60;
    let (new, new_closes) = p.propose_min("aigerim", t2, admit(&key("yerlan")));
    p.votes(
        t2 + 60,
        new,
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", Yes),
            ("erlan", Yes),
        ],
    );
    assert_eq!(p.state.proposal(old).unwrap().rule, Judged::Vote(old_rule));
    assert_eq!(p.state.proposal(new).unwrap().rule, Judged::Vote(new_rule));
    let o = p.close("bolat", new_closes, new);
    assert_decided(&o, true, false, tally(4, 0, 0, 6), THRESHOLD_FAILED);
    assert!(!p.is_member("yerlan"));

    // The old admission is still judged by yes > 1/2 of cast.
    let o = p.close("bolat", T1 + 400 * H, old);
    assert_decided(&o, true, true, tally(2, 1, 0, 6), admitted("zhanna"));
    assert!(p.is_member("zhanna"));
    p.keys.insert("zhanna".into(), key("zhanna"));

    // A proposal made later by the new rule passes with enough members.
    let t3 = T1 + 400 * H + 60;
    let (newer, newer_closes) = p.propose_min("aigerim", t3, admit(&key("yerlan")));
    // zhanna joined before this proposal: 7 members, 3/4 × 7 = 5.25 → 6 yes.
    p.votes(
        t3 + 60,
        newer,
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", Yes),
            ("erlan", Yes),
            ("farida", Yes),
            ("zhanna", Yes),
        ],
    );
    let o = p.close("bolat", newer_closes, newer);
    assert_decided(&o, true, true, tally(6, 0, 0, 7), admitted("yerlan"));
}

#[test]
fn a_passed_election_uses_the_board_term_in_force_at_its_close() {
    let mut p = six();
    let (election, election_closes) = p.propose_min("aigerim", T1, elect(&CANDIDATES));
    let mut charter = Charter::default();
    charter.board.term_days = 30;
    let amend_closes = election_closes;
    let amendment = p.propose("aigerim", T1, amend_closes, amend(charter));
    p.votes(T1 + 60, election, &hand_counted_ballots());
    // 4 of 6: the amendment rule is 2/3 of all members (was 3 yes of cast).
    p.votes(
        T1 + 60,
        amendment,
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", Yes),
            ("erlan", Yes),
        ],
    );
    assert_eq!(amend_closes, election_closes);
    p.close("aigerim", amend_closes, amendment);
    let o = p.close("aigerim", election_closes, election);
    assert!(o.passed);
    for s in p.state.board() {
        assert_eq!(s.until, election_closes + 30 * DAY_SECS);
    }
}

// ---------------------------------------------------------------------------
// Elections: ballots.

#[test]
fn election_ballots_are_checked() {
    let mut p = six();
    let (id, _) = p.propose_min("aigerim", T1, elect(&["aigerim", "bolat", "dana"]));
    // Ballots only once nominations have closed.
    p.refuse(
        "erlan",
        T1 + 60,
        vote(id, ranked(&["aigerim"])),
        Rejection::NominationsOpen {
            proposal: id,
            nominations_close: T1 + NOMINATIONS,
            time: T1 + 60,
        },
    );
    let t = p.ballot_time(id, T1 + 60);
    p.refuse(
        "erlan",
        t,
        vote(id, ranked(&["aigerim", "kairat"])),
        Rejection::NotACandidate {
            handle: "kairat".into(),
        },
    );
    p.refuse(
        "erlan",
        t,
        vote(id, ranked(&["mallory"])),
        Rejection::NotACandidate {
            handle: "mallory".into(),
        },
    );
    p.refuse(
        "erlan",
        t,
        vote(id, ranked(&["dana", "bolat", "dana"])),
        Rejection::RankedTwice {
            handle: "dana".into(),
        },
    );
    for b in [Yes, No] {
        p.refuse(
            "erlan",
            t,
            vote(id, b),
            Rejection::WrongBallot {
                expected: BallotKind::Ranking,
            },
        );
    }
    // Abstaining on an election is an empty ranking.
    p.vote("erlan", t, id, Abstain);
    assert_eq!(
        p.state.proposal(id).unwrap().votes["erlan"],
        Ballot::Ranked(vec![])
    );
    // A ranking on a yes/no proposal.
    let (yn, _) = p.propose_min("aigerim", t, resolution("Keep the name."));
    p.refuse(
        "erlan",
        t + 1,
        vote(yn, ranked(&["aigerim"])),
        Rejection::WrongBallot {
            expected: BallotKind::YesNo,
        },
    );
    p.refuse(
        "erlan",
        t + 1,
        vote(yn, ranked(&[])),
        Rejection::WrongBallot {
            expected: BallotKind::YesNo,
        },
    );
}

#[test]
fn election_abstentions_count_for_quorum() {
    // Empty rankings count toward the quorum and in the tally's abstain.
    let mut p = six();
    let (_, o) = p.decide(
        elect(&CANDIDATES),
        &[("aigerim", ranked(&["dana"])), ("bolat", Abstain)],
    );
    assert!(o.quorum_met);
    assert_eq!(o.tally, tally(1, 0, 1, ELIGIBLE));
    assert!(o.elected.contains(&"dana".to_string()));
}

#[test]
fn election_candidates_must_be_members_and_seats_the_charters() {
    let mut p = six();
    p.refuse(
        "aigerim",
        T1,
        propose(
            T1,
            T1 + NOMINATIONS + 168 * H,
            Motion::Elect {
                seats: 5,
                nominations_close: T1 + NOMINATIONS,
            },
        ),
        Rejection::SeatsMismatch {
            charter: 3,
            asked: 5,
        },
    );
}

#[test]
fn a_candidate_removed_before_the_close_is_not_elected() {
    let mut p = six();
    let (election, closes_at) = p.propose_min("aigerim", T1, elect(&CANDIDATES));
    let removal_closes = closes_at;
    let removal = p.propose("bolat", T1, closes_at, remove("aigerim"));
    // aigerim has the most first preferences.
    p.votes(T1 + 60, election, &hand_counted_ballots());
    p.votes(
        T1 + 60,
        removal,
        &[
            ("bolat", Yes),
            ("dana", Yes),
            ("erlan", Yes),
            ("aigerim", No),
        ],
    );
    assert_eq!(
        p.close("bolat", removal_closes, removal).effect,
        removed("aigerim")
    );
    let o = p.close("bolat", closes_at, election);
    assert!(o.passed);
    // Her own ballot no longer counts; the others' move to their next choice.
    assert_eq!(o.tally, tally(5, 0, 0, 5));
    assert_eq!(
        o.counted,
        handles(&["bolat", "dana", "erlan", "farida", "kairat"])
    );
    let mut elected = o.elected.clone();
    elected.sort();
    assert_eq!(elected, handles(&["bolat", "dana", "erlan"]));
    let mut board = p.board();
    board.sort();
    assert_eq!(board, elected);
    assert!(!p.state.is_editor("aigerim", closes_at));
}

#[test]
fn the_blt_of_an_election_names_no_voter() {
    let mut p = six();
    let (id, o) = p.decide(elect(&CANDIDATES), &hand_counted_ballots());
    let proposal = p.state.proposal(id).unwrap();
    let e = p.state.stv_election(proposal, &o.counted);
    let blt = stv::to_blt(&e, "Board election");
    // Identical rankings merged and sorted: [1 3] once, [1 4] three times,
    // [2] twice.
    assert_eq!(
        blt,
        "5 3\n1 1 3 0\n3 1 4 0\n2 2 0\n0\n\"aigerim\"\n\"bolat\"\n\"dana\"\n\"erlan\"\n\"+reopen\"\n\"Board election\"\n"
    );
    let lines: Vec<&str> = blt.lines().collect();
    let end = lines.iter().position(|l| *l == "0").unwrap();
    for l in &lines[..=end] {
        assert!(
            l.chars().all(|c| c.is_ascii_digit() || c == ' '),
            "a header or ballot line holds only numbers: {l:?}"
        );
    }
    let names: Vec<String> = CANDIDATES.iter().map(|c| format!("\"{c}\"")).collect();
    assert_eq!(&lines[end + 1..end + 1 + CANDIDATES.len()], &names[..]);
    assert_eq!(
        lines[end + 1 + CANDIDATES.len()..],
        ["\"+reopen\"", "\"Board election\""]
    );
    // Handles appear only in the candidate-name lines; voters who are not
    // candidates appear nowhere.
    let name_lines = end + 1..end + 1 + CANDIDATES.len();
    for (i, l) in lines.iter().enumerate() {
        for h in FOUNDERS {
            if l.contains(h) {
                assert!(name_lines.contains(&i), "{h} in line {i}: {l:?}");
            }
        }
    }
    for h in ["farida", "kairat"] {
        assert!(!blt.contains(h));
    }
    // Anyone can recount it: the same result with the election's seed.
    let (mut back, title) = stv::parse_blt(&blt).unwrap();
    assert_eq!(title, "Board election");
    back.seed = proposal.seed;
    let recount = stv::count(&back).unwrap();
    let elected: Vec<String> = recount
        .elected
        .iter()
        .map(|&i| back.candidates[i].clone())
        .collect();
    assert_eq!(elected, o.elected);
}

// ---------------------------------------------------------------------------
// Effects.

#[test]
fn an_admitted_member_can_act_and_vote() {
    let mut p = six();
    let zhanna = key("zhanna");
    let t = admit_now(&mut p, T1, &zhanna) + 10;
    p.act(
        "zhanna",
        t,
        statement("I declare no conflicts of interest."),
    );
    let (id, closes_at) = p.propose_min("zhanna", t, resolution("Open a Shymkent desk."));
    p.votes(
        t + 1,
        id,
        &[("zhanna", Yes), ("aigerim", Yes), ("bolat", No)],
    );
    let o = p.close("zhanna", closes_at, id);
    assert_decided(&o, true, true, tally(2, 1, 0, 7), Effect::Resolved);
    assert_eq!(o.counted, handles(&["aigerim", "bolat", "zhanna"]));
    assert!(!p.state.is_editor("zhanna", t));
}

#[test]
fn rotating_a_key() {
    let mut p = six();
    let (id, closes_at) = p.propose_min("bolat", T1, resolution("Rotate keys yearly."));
    p.vote("aigerim", T1 + 1, id, No);
    let old = p.keys["aigerim"].clone();
    let new = key_n("aigerim", 1);
    let rotate = |k: &SecretKey| {
        Action::RotateKey(RotateKey {
            new_key: k.verifier_key().to_string(),
        })
    };
    // A key with another name, the current key, or no key: refused.
    p.refuse(
        "aigerim",
        T1 + 2,
        rotate(&key("zhanna")),
        Rejection::NewKeyName {
            handle: "aigerim".into(),
        },
    );
    p.refuse(
        "aigerim",
        T1 + 2,
        rotate(&old),
        Rejection::KeyConflict(KeyConflict::KeyTaken),
    );
    p.refuse(
        "aigerim",
        T1 + 2,
        Action::RotateKey(RotateKey {
            new_key: "not a key".into(),
        }),
        Rejection::BadKey {
            field: KeyField::NewKey,
            source: KeyError::BadName("not a key".into()),
        },
    );
    p.act("aigerim", T1 + 3, rotate(&new));
    assert_eq!(&p.state.member("aigerim").unwrap().key, new.verifier_key());
    // The old key no longer acts for her: refused as her retired key, not
    // as a stranger's.
    p.refuse(
        "aigerim",
        T1 + 4,
        statement("signed with the old key"),
        Rejection::RetiredKey {
            handle: "aigerim".into(),
            id: old.verifier_key().key_id(),
        },
    );
    p.keys.insert("aigerim".into(), new);
    // The new one does; her vote is still hers, and she may change it.
    p.act("aigerim", T1 + 5, statement("signed with the new key"));
    p.vote("aigerim", T1 + 6, id, Yes);
    p.vote("bolat", T1 + 6, id, Yes);
    let o = p.close("aigerim", closes_at, id);
    assert_decided(&o, true, true, tally(2, 0, 0, 6), Effect::Resolved);
    assert!(p.state.is_editor("aigerim", closes_at));
}

#[test]
fn resigning() {
    let mut p = six();
    p.act("kairat", T1, Action::Resign(Resign {}));
    assert!(!p.is_member("kairat"));
    assert!(!p.board().contains(&"kairat".to_string()));
    assert_eq!(p.state.members().count(), 5);
    p.refuse(
        "kairat",
        T1 + 1,
        statement("I am back"),
        Rejection::NotAMember {
            name: "kairat".into(),
            id: p.keys["kairat"].verifier_key().key_id(),
        },
    );
    // Removing someone who already left: passed, without effect.
    let mut p = six();
    let (id, closes_at) = p.propose_min("aigerim", T1, remove("kairat"));
    p.votes(
        T1 + 1,
        id,
        &[("aigerim", Yes), ("bolat", Yes), ("dana", Yes)],
    );
    p.act("kairat", T1 + 2, Action::Resign(Resign {}));
    let o = p.close("aigerim", closes_at, id);
    assert_decided(
        &o,
        true,
        true,
        tally(3, 0, 0, 5),
        cannot(NoEffect::AlreadyLeft {
            handle: "kairat".into(),
        }),
    );
}

#[test]
fn the_last_member_can_neither_resign_nor_be_removed() {
    let mut p = publication(&["aigerim"], Charter::default());
    p.refuse(
        "aigerim",
        T1,
        Action::Resign(Resign {}),
        Rejection::LastMember,
    );
    let (id, closes_at) = p.propose_min("aigerim", T1, remove("aigerim"));
    p.vote("aigerim", T1 + 1, id, Yes);
    // Every eligible member has voted: it may close early.
    let o = p.close("aigerim", T1 + 2, id);
    assert!(o.closed_at < closes_at);
    assert_decided(
        &o,
        true,
        true,
        tally(1, 0, 0, 1),
        cannot(NoEffect::LastMember),
    );
    assert!(p.is_member("aigerim"));
    // Resigning down to one works until the last.
    let mut p = publication(&["aigerim", "bolat"], Charter::default());
    p.act("bolat", T1, Action::Resign(Resign {}));
    p.refuse(
        "aigerim",
        T1 + 1,
        Action::Resign(Resign {}),
        Rejection::LastMember,
    );
}

#[test]
fn admitting_a_handle_taken_meanwhile_passes_without_effect() {
    let mut p = six();
    let first = key_n("zhanna", 0);
    let second = key_n("zhanna", 1);
    let (a, a_closes) = p.propose_min("aigerim", T1, admit(&first));
    let (b, b_closes) = p.propose_min("bolat", T1, admit(&second));
    p.votes(T1 + 60, a, &[("aigerim", Yes), ("bolat", Yes)]);
    p.votes(T1 + 60, b, &[("aigerim", Yes), ("bolat", Yes)]);
    assert_eq!(p.close("dana", a_closes, a).effect, admitted("zhanna"));
    let o = p.close("dana", b_closes, b);
    assert_decided(
        &o,
        true,
        true,
        tally(2, 0, 0, 6),
        cannot(NoEffect::HandleTaken {
            handle: "zhanna".into(),
        }),
    );
    assert_eq!(&p.state.member("zhanna").unwrap().key, first.verifier_key());
    // Proposing to admit a current member's handle is refused outright.
    let t = b_closes + 1;
    p.refuse(
        "aigerim",
        t,
        propose(t, t + 72 * H, admit(&key_n("zhanna", 2))),
        Rejection::KeyConflict(KeyConflict::HandleTaken {
            handle: "zhanna".into(),
        }),
    );
}

// ---------------------------------------------------------------------------
// The state digest hashes typed data, never words.

/// One publication in which every kind of effect was decided (and a few
/// entries refused): admitted, removed, could not take effect, board
/// elected, charter amended, retracted, redacted, resolved, rejected, no
/// quorum. Returns it and the refusals' English messages.
fn every_effect() -> (Pub, Vec<String>) {
    let mut p = six_with_articles();
    let all_yes: Vec<(&str, Ballot)> = FOUNDERS.iter().map(|h| (*h, Yes)).collect();
    let all_no: Vec<(&str, Ballot)> = FOUNDERS.iter().map(|h| (*h, No)).collect();
    let motions = [
        (admit(&key("zhanna")), all_yes.clone()),
        (remove("kairat"), all_yes.clone()),
        // Closed after the first removal: kairat has already left.
        (remove("kairat"), all_yes.clone()),
        (elect(&CANDIDATES), hand_counted_ballots()),
        (amend(stricter_charter()), all_yes.clone()),
        (retract("mine-collapse"), all_yes.clone()),
        (redact("water-tariff"), all_yes.clone()),
        (resolution("We publish in Kazakh first."), all_yes.clone()),
        (resolution("We stop publishing."), all_no),
    ];
    let mut ids = Vec::new();
    for (i, (motion, ballots)) in motions.into_iter().enumerate() {
        // Each by another founder: the two removals are not one entry twice.
        // Every proposal open past the election's nomination deadline.
        let who = FOUNDERS[i % FOUNDERS.len()];
        let id = if matches!(motion, Motion::Elect { .. }) {
            p.propose_min(who, T1, motion).0
        } else {
            p.propose(who, T1, T1 + NOMINATIONS + 168 * H, motion)
        };
        ids.push((id, ballots));
    }
    let quiet_closes = T1 + NOMINATIONS + 168 * H;
    let quiet = p.propose("aigerim", T1, quiet_closes, resolution("Nobody cares."));
    for (id, ballots) in &ids {
        p.votes(T1 + 60, *id, ballots);
    }
    p.vote("aigerim", T1 + 60, quiet, Yes);
    // Everyone eligible voted: each closes early, in order.
    for (id, _) in &ids {
        p.close("bolat", T1 + 120, *id);
    }
    let o = p.close("bolat", quiet_closes, quiet);
    assert_eq!(o.effect, Effect::NoQuorum);
    // Refusals leave their words nowhere in the state.
    let mut refusals = Vec::new();
    for (who, action) in [
        ("bolat", close(quiet)),
        ("bolat", vote(999, Yes)),
        ("zhanna", statement("")),
        ("kairat", statement("I am back")),
    ] {
        let bytes = match p.keys.get(who) {
            Some(_) => p.sign(who, quiet_closes + 1, action),
            None => p.sign_with(&key(who), quiet_closes + 1, action),
        };
        refusals.push(p.state.apply(&bytes).unwrap_err().to_string());
    }
    (p, refusals)
}

#[test]
fn every_effect_is_typed_data() {
    let (p, _) = every_effect();
    let effects: Vec<Effect> = p
        .state
        .proposals()
        .map(|p| p.outcome.clone().expect("closed").effect)
        .collect();
    let term_ends = T1 + NOMINATIONS + 60 + 365 * DAY_SECS;
    assert_eq!(
        effects,
        vec![
            admitted("zhanna"),
            removed("kairat"),
            cannot(NoEffect::AlreadyLeft {
                handle: "kairat".into()
            }),
            Effect::BoardElected {
                // In order of election (kairat's ballot no longer counts).
                seats: handles(&["aigerim", "erlan", "bolat"]),
                term_ends,
                vacant: 0,
            },
            Effect::CharterAmended,
            Effect::Retracted {
                slug: "mine-collapse".into()
            },
            Effect::Redacted {
                target: "water-tariff".into()
            },
            Effect::Resolved,
            Effect::Rejected,
            Effect::NoQuorum,
        ]
    );
    // The JSON form names each case by a tag and carries its data.
    let json = serde_json::to_string(&effects[2]).unwrap();
    assert_eq!(
        json,
        r#"{"kind":"could_not_take_effect","why":{"reason":"already_left","handle":"kairat"}}"#
    );
}

/// The digest of the every-effect publication, fixed: keys, times and
/// entries are all deterministic, and the state holds no sentence, so this
/// changes only if the state's typed form (or the log) changes — never if
/// an English message, a page or a translation is reworded. A change here
/// is a change of the state's format: say so in the commit.
const EVERY_EFFECT_DIGEST: &str =
    "b8847ee0b69cecd3114818aff78875af8bffaf598b97b1e8d4a41037f1167d61";

#[test]
fn the_digest_of_a_fixed_log_is_fixed() {
    let (p, _) = every_effect();
    assert_eq!(hex::encode(p.state.digest()), EVERY_EFFECT_DIGEST);
}

/// Every string the digest hashes came from the log's own entries (names,
/// titles, keys, slugs, reasons), or is a hash in hex, a number used as a
/// map key, or a serde tag or field name (`snake_case`, `>`, `>=`): none is
/// a sentence the code wrote, such as a `Display` message or an effect in
/// words.
#[test]
fn the_digest_hashes_no_sentence() {
    let (p, refusals) = every_effect();
    let input = String::from_utf8(p.state.digest_input()).unwrap();
    let mut from_entries = std::collections::BTreeSet::new();
    for body in &p.log {
        strings(&serde_json::to_value(body).unwrap(), &mut |s| {
            from_entries.insert(s.to_string());
        });
    }
    from_entries.insert(p.state.origin().to_string());
    let is_tag = |s: &str| {
        !s.is_empty()
            && (s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                || s.bytes().all(|b| b.is_ascii_digit())
                || s == ">"
                || s == ">=")
    };
    let is_hash = |s: &str| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit());
    let mut seen = 0;
    strings(&serde_json::from_str(&input).unwrap(), &mut |s| {
        seen += 1;
        assert!(
            from_entries.contains(s) || is_tag(s) || is_hash(s),
            "the digest hashes a string no entry holds: {s:?}"
        );
    });
    assert!(seen > 100, "only {seen} strings");
    // And, directly: no refusal's message, and no effect in English words.
    assert_eq!(refusals.len(), 4);
    for r in &refusals {
        assert!(!input.contains(r.as_str()), "{r}");
    }
    // (The tags `admitted`, `removed`, … are data; the sentences are not.)
    for words in [
        "admitted zhanna",
        "removed kairat",
        "to the board",
        "amended the charter",
        "failed:",
        "passed, but",
    ] {
        assert!(!input.contains(words), "{words}");
    }
}

/// Calls `f` on every string in `v`: values and object keys.
fn strings(v: &serde_json::Value, f: &mut impl FnMut(&str)) {
    match v {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, f)),
        serde_json::Value::Object(o) => {
            for (k, x) in o {
                f(k);
                strings(x, f);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------
// Fair elections: no lot without rankings, a lot drawn at the close, and
// stepping down from the board.

#[test]
fn an_election_in_which_nobody_ranked_anybody_fails_and_fills_no_seat() {
    // Three of six abstain: the quorum (1/3) is met, but no ballot names a
    // candidate. Before, STV filled the three seats from the four
    // candidates by lot; now the election fails and the board stays.
    let mut p = six();
    let (_, o) = p.decide(
        elect(&CANDIDATES),
        &[
            ("aigerim", Abstain),
            ("bolat", ranked(&[])),
            ("dana", Abstain),
        ],
    );
    assert_decided(
        &o,
        true,
        false,
        tally(0, 0, 3, ELIGIBLE),
        Effect::NobodyRanked,
    );
    assert!(!o.effect.took_effect());
    assert!(o.elected.is_empty());
    assert_eq!(p.board(), handles(&FOUNDERS));
    // One ranking is enough for the count to run (and the seats it cannot
    // fill go to the candidates left, as STV ends).
    let mut p = six();
    let (_, o) = p.decide(
        elect(&CANDIDATES),
        &[
            ("aigerim", Abstain),
            ("bolat", ranked(&["dana"])),
            ("dana", Abstain),
        ],
    );
    assert!(o.passed);
    assert_eq!(o.elected.first().map(String::as_str), Some("dana"));
}

/// Four candidates for three seats, one first preference each: nobody
/// reaches the quota (2) and the exclusion is a four-way tie that only the
/// lot breaks. Returns who was left out, and the election's ID.
fn tied_election(title: &str, close_at: u64) -> (Pub, u64, String) {
    let mut p = six();
    let motion = Motion::Elect {
        seats: 3,
        nominations_close: T1 + NOMINATIONS,
    };
    let closes_at = T1 + NOMINATIONS + min_hours(p.state.charter(), &motion) * H;
    let mut action = propose(T1, closes_at, motion);
    if let Action::Propose(pr) = &mut action {
        pr.title = title.into();
    }
    let id = p.act("aigerim", T1, action).index;
    for c in ["dana", "erlan", "farida", "kairat"] {
        p.nominate(c, T1, id, c);
    }
    assert_eq!(
        p.state.proposal(id).unwrap().seed,
        [0; 32],
        "no lot while open"
    );
    p.votes(
        T1 + 60,
        id,
        &[
            ("aigerim", ranked(&["dana"])),
            ("bolat", ranked(&["erlan"])),
            ("dana", ranked(&["farida"])),
            ("erlan", ranked(&["kairat"])),
        ],
    );
    let o = p.close("bolat", close_at, id);
    assert!(o.passed);
    assert_eq!(o.elected.len(), 3);
    let out = ["dana", "erlan", "farida", "kairat"]
        .into_iter()
        .find(|c| !o.elected.iter().any(|e| e == c))
        .unwrap()
        .to_string();
    (p, id, out)
}

#[test]
fn the_proposer_cannot_choose_the_winner_by_grinding_the_title() {
    let deadline = T1 + NOMINATIONS + 168 * H;
    // The attack: the proposer tries titles until the lot favours them.
    // With the lot seeded by the propose entry, different titles left out
    // different candidates; now every title gives the same result, because
    // the seed is drawn at the close from the log time's tick.
    let mut left_out = std::collections::BTreeSet::new();
    for n in 0..12 {
        let (_, _, out) = tied_election(&format!("Board 2027, take {n}"), deadline);
        left_out.insert(out);
    }
    assert_eq!(left_out.len(), 1, "the title chose the lot: {left_out:?}");
    // The lot is drawn from the log at the close: closing at a different
    // log time draws another seed, and the seed recorded is the tick's.
    let (p, id, _) = tied_election("Board 2027", deadline);
    let tick = sign_entry(
        ORIGIN,
        &EntryBody {
            time: deadline,
            action: Action::Tick(Tick {}),
        },
        &key(ORIGIN),
    )
    .unwrap();
    let leaf = erkin_core::entry::ParsedEntry::parse(&tick, ORIGIN)
        .unwrap()
        .leaf_hash;
    let seed = p.state.proposal(id).unwrap().seed;
    assert_eq!(seed, lot_seed(&leaf, id));
    let mut seeds = std::collections::BTreeSet::from([seed]);
    let mut outs = std::collections::BTreeSet::new();
    for late in 0..12 {
        let (p, id, out) = tied_election("Board 2027", deadline + late);
        seeds.insert(p.state.proposal(id).unwrap().seed);
        outs.insert(out);
    }
    assert_eq!(seeds.len(), 12, "each close time draws its own lot");
    assert!(outs.len() > 1, "the lot never changed: {outs:?}");
}

#[test]
fn an_editor_can_step_down_from_the_board_and_stay_a_member() {
    let mut p = six();
    assert!(p.state.is_editor("dana", T1));
    let applied = p.act("dana", T1, Action::StepDown(StepDown {}));
    assert_eq!(applied.body.action.kind(), "step_down");
    assert!(p.is_member("dana"));
    assert!(!p.state.is_editor("dana", T1));
    assert_eq!(
        p.board(),
        handles(&["aigerim", "bolat", "erlan", "farida", "kairat"])
    );
    // No longer an editor: publishing, or stepping down again, is refused.
    p.refuse(
        "dana",
        T1 + 60,
        Action::StepDown(StepDown {}),
        Rejection::NotEditor {
            handle: "dana".into(),
            action: erkin_core::rejection::EditorAction::StepDown,
        },
    );
    // Still a member: dana votes, and can propose.
    let (id, _) = p.propose_min("dana", T1 + 60, resolution("We thank dana."));
    p.vote("dana", T1 + 120, id, Yes);
    // A member never on the board cannot step down from it either.
    let mut p = six();
    let (_, o) = p.decide(elect(&CANDIDATES), &hand_counted_ballots());
    let after = o.closed_at + 60;
    p.refuse(
        "kairat",
        after,
        Action::StepDown(StepDown {}),
        Rejection::NotEditor {
            handle: "kairat".into(),
            action: erkin_core::rejection::EditorAction::StepDown,
        },
    );
    // An elected editor steps down; the others keep their seats.
    p.act("erlan", after, Action::StepDown(StepDown {}));
    assert_eq!(p.board(), handles(&["aigerim", "bolat"]));
    assert!(p.is_member("erlan"));
}

#[test]
fn a_close_signed_by_the_log_key_is_judged_like_a_members() {
    let mut p = six();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("We adopt the budget."));
    p.votes(T1 + 60, id, &[("aigerim", Yes), ("bolat", Yes)]);
    let log = key(ORIGIN);
    // Before the deadline, with votes missing: too early, as for a member.
    let early = p.sign_with(&log, T1 + 120, close(id));
    p.refuse_bytes(
        &early,
        Rejection::TooEarly {
            proposal: id,
            closes_at,
            time: T1 + 120,
        },
    );
    // Dated outside the members' window around the log time: refused.
    p.tick(closes_at);
    let far = sign_entry(
        ORIGIN,
        &EntryBody {
            time: closes_at + 301,
            action: close(id),
        },
        &log,
    )
    .unwrap();
    p.refuse_bytes(
        &far,
        Rejection::FarFromLogTime {
            time: closes_at + 301,
            log_time: closes_at,
        },
    );
    // At the deadline: accepted, counted and carried out like a member's
    // close; the log time does not move.
    let bytes = p.sign_with(&log, closes_at, close(id));
    let applied = p.apply_bytes(&bytes);
    assert_eq!(applied.signer, ORIGIN);
    assert_eq!(p.state.log_time(), closes_at);
    let o = p.outcome(id);
    assert_eq!(o.closed_by, applied.index);
    assert_decided(&o, true, true, tally(2, 0, 0, ELIGIBLE), Effect::Resolved);
    assert_eq!(p.state.overdue(closes_at), Vec::<u64>::new());
    // The log key still signs nothing else a member does.
    let said = p.sign_with(&log, closes_at, statement("the server speaks"));
    p.refuse_bytes(&said, Rejection::LogKeyAction { kind: "statement" });
}

#[test]
fn overdue_lists_the_open_proposals_whose_deadline_has_passed() {
    let mut p = six();
    let (a, a_closes) = p.propose_min("aigerim", T1, resolution("First."));
    let (b, b_closes) = p.propose_min("aigerim", T1 + H, resolution("Second."));
    assert!(p.state.overdue(a_closes - 1).is_empty());
    assert_eq!(p.state.overdue(a_closes), vec![a]);
    assert_eq!(p.state.overdue(b_closes), vec![a, b]);
    p.close("bolat", a_closes, a);
    assert_eq!(p.state.overdue(b_closes), vec![b]);
}

#[test]
fn an_amendment_lists_the_rules_it_changes_against_the_charter_in_force() {
    use erkin_core::charter::{changes, CharterChange, RuleKind};
    let mut p = six();
    let (id, _) = p.propose_min("aigerim", T1, amend(stricter_charter()));
    let old = Charter::default();
    let new = stricter_charter();
    let expected = vec![
        CharterChange::Rule {
            kind: RuleKind::Admit,
            old: old.admit,
            new: new.admit,
        },
        CharterChange::Rule {
            kind: RuleKind::Resolution,
            old: old.resolution,
            new: new.resolution,
        },
    ];
    let proposal = p.state.proposal(id).unwrap();
    assert_eq!(proposal.charter_in_force.as_deref(), Some(&old));
    assert_eq!(proposal.charter_changes(), expected);
    // Every part of the charter is compared; nothing else is listed.
    let mut all = Charter {
        languages: vec!["kk".into()],
        ..Charter::default()
    };
    all.elect.min_hours += 24;
    all.board.seats = 5;
    all.time_zone = Some("Europe/Moscow".into());
    let kinds: Vec<&str> = changes(&old, &all)
        .iter()
        .map(|c| match c {
            CharterChange::Languages { .. } => "languages",
            CharterChange::Rule { .. } => "rule",
            CharterChange::Election { .. } => "election",
            CharterChange::Board { .. } => "board",
            CharterChange::TimeZone { .. } => "time_zone",
        })
        .collect();
    assert_eq!(kinds, ["languages", "election", "board", "time_zone"]);
    assert_eq!(
        changes(&old, &all).last(),
        Some(&CharterChange::TimeZone {
            old: "Asia/Almaty".into(),
            new: "Europe/Moscow".into()
        })
    );
    assert!(changes(&old, &old).is_empty());
    // Naming the zone in force is no change a reader could see.
    let named = Charter {
        time_zone: Some("Asia/Almaty".into()),
        ..Charter::default()
    };
    assert!(changes(&old, &named).is_empty());
    // Other motions carry no charter.
    let (r, _) = p.propose_min("aigerim", T1, resolution("No change."));
    assert!(p.state.proposal(r).unwrap().charter_in_force.is_none());
    assert!(p.state.proposal(r).unwrap().charter_changes().is_empty());
}

// ---------------------------------------------------------------------------
// Elections with nominations, consent, "re-open nominations", by-elections
// and recall.

/// An election proposed by aigerim at T1 with the default periods, nobody
/// nominated yet; returns its ID, nomination deadline and deadline.
fn open_election(p: &mut Pub) -> (u64, u64, u64) {
    STANDING.with(|s| s.borrow_mut().clear());
    let nc = T1 + NOMINATIONS;
    let closes_at = nc + 168 * H;
    let id = p.propose(
        "aigerim",
        T1,
        closes_at,
        Motion::Elect {
            seats: 3,
            nominations_close: nc,
        },
    );
    (id, nc, closes_at)
}

#[test]
fn nominations_need_the_nominees_consent_before_the_deadline() {
    let mut p = six();
    let (id, nc, closes_at) = open_election(&mut p);
    // Self-nomination is consent; nominating another is not.
    p.nominate("dana", T1 + 60, id, "dana");
    p.nominate("aigerim", T1 + 60, id, "erlan");
    let prop = p.state.proposal(id).unwrap();
    assert_eq!(prop.candidates(), handles(&["dana"]));
    assert!(!prop.nominations["erlan"].consented);
    assert_eq!(prop.nominations["erlan"].by, "aigerim");
    // Each fault has its own refusal.
    p.refuse(
        "bolat",
        T1 + 70,
        nominate(id, "erlan"),
        Rejection::AlreadyNominated {
            handle: "erlan".into(),
            proposal: id,
        },
    );
    p.refuse(
        "bolat",
        T1 + 70,
        nominate(id, "mallory"),
        Rejection::NomineeNotEligible {
            handle: "mallory".into(),
            proposal: id,
        },
    );
    p.refuse(
        "bolat",
        T1 + 70,
        consent(id),
        Rejection::NotNominated {
            handle: "bolat".into(),
            proposal: id,
        },
    );
    p.refuse(
        "dana",
        T1 + 70,
        consent(id),
        Rejection::AlreadyConsented {
            handle: "dana".into(),
            proposal: id,
        },
    );
    let (yn, _) = p.propose_min("bolat", T1 + 70, resolution("Not an election."));
    p.refuse(
        "bolat",
        T1 + 80,
        nominate(yn, "bolat"),
        Rejection::NotAnElection(yn),
    );
    p.refuse("bolat", T1 + 80, consent(yn), Rejection::NotAnElection(yn));
    // A stranger cannot nominate.
    let mallory = key("mallory");
    let bytes = p.sign_with(&mallory, T1 + 80, nominate(id, "bolat"));
    p.refuse_bytes(
        &bytes,
        Rejection::NotAMember {
            name: "mallory".into(),
            id: mallory.verifier_key().key_id(),
        },
    );
    let t = T1 + 90;
    // Ballots rank only candidates who consented, and only after the
    // nomination deadline.
    p.refuse(
        "bolat",
        t,
        vote(id, ranked(&["dana"])),
        Rejection::NominationsOpen {
            proposal: id,
            nominations_close: nc,
            time: t,
        },
    );
    // erlan consents a second before the deadline; after it, neither a
    // consent nor a nomination counts, whatever it claims.
    p.act("erlan", nc - 1, consent(id));
    p.nominate("farida", nc - 1, id, "farida");
    p.refuse(
        "kairat",
        nc,
        nominate(id, "kairat"),
        Rejection::NominationsClosed {
            proposal: id,
            nominations_close: nc,
            time: nc,
        },
    );
    p.act(
        "bolat",
        nc,
        vote(id, ranked(&["erlan", REOPEN_NOMINATIONS])),
    );
    p.refuse(
        "dana",
        nc,
        vote(id, ranked(&["kairat"])),
        Rejection::NotACandidate {
            handle: "kairat".into(),
        },
    );
    p.act("dana", nc, vote(id, ranked(&["erlan"])));
    let o = p.close("aigerim", closes_at, id);
    assert!(o.elected.contains(&"erlan".to_string()), "{o:?}");
    let r = Rejection::NominationsClosed {
        proposal: id,
        nominations_close: nc,
        time: nc,
    };
    assert_eq!(r.code(), "nominations_closed");
    assert_eq!(
        r.times(),
        Some(erkin_core::rejection::RefusalTimes {
            time: nc,
            reference: nc
        })
    );
}

#[test]
fn a_nominee_who_never_consented_cannot_be_ranked() {
    // The attack: the proposer chose the candidate list. Now a nomination
    // of someone who did not consent puts nobody on the ballot.
    let mut p = six();
    let (id, nc, closes_at) = open_election(&mut p);
    for h in ["aigerim", "bolat", "dana"] {
        p.nominate("aigerim", T1 + 60, id, h);
    }
    p.refuse(
        "erlan",
        nc + 60,
        vote(id, ranked(&["bolat"])),
        Rejection::NoConsent {
            handle: "bolat".into(),
        },
    );
    let o = p.close("erlan", closes_at, id);
    assert_decided(
        &o,
        false,
        false,
        tally(0, 0, 0, ELIGIBLE),
        Effect::TooFewCandidates {
            candidates: 1,
            seats: 3,
        },
    );
    assert_eq!(p.board(), handles(&FOUNDERS));
    assert_eq!(
        Rejection::NoConsent { handle: "x".into() }.code(),
        "no_consent"
    );
}

#[test]
fn a_one_name_slate_with_low_turnout_no_longer_makes_one_person_the_board() {
    // The attack: 2 of 6 members take part, one candidate stands; before
    // nominations it made her the whole board. Now fewer candidates than
    // seats void the election and the board stays.
    let mut p = six();
    let (id, nc, closes_at) = open_election(&mut p);
    p.nominate("dana", T1 + 60, id, "dana");
    p.votes(
        nc + 60,
        id,
        &[("dana", ranked(&["dana"])), ("erlan", ranked(&["dana"]))],
    );
    let o = p.close("dana", closes_at, id);
    assert_decided(
        &o,
        true,
        false,
        tally(2, 0, 0, ELIGIBLE),
        Effect::TooFewCandidates {
            candidates: 1,
            seats: 3,
        },
    );
    assert!(!o.effect.took_effect());
    assert_eq!(p.board(), handles(&FOUNDERS));
}

#[test]
fn re_open_nominations_can_win_a_seat_which_stays_vacant_for_a_by_election() {
    let mut p = six();
    let (id, nc, closes_at) = open_election(&mut p);
    for h in ["dana", "erlan", "farida"] {
        p.nominate(h, T1 + 60, id, h);
    }
    // Four of six rank "re-open nominations" first: it reaches the quota
    // (6/4 + 1 = 2) and wins a seat; dana and erlan take the others.
    let ron = || ranked(&[REOPEN_NOMINATIONS]);
    p.votes(
        nc + 60,
        id,
        &[
            ("aigerim", ron()),
            ("bolat", ron()),
            ("dana", ranked(&["dana"])),
            ("erlan", ranked(&["erlan"])),
            ("farida", ranked(&["dana", "erlan"])),
            ("kairat", ranked(&["erlan"])),
        ],
    );
    let o = p.close("aigerim", closes_at, id);
    let term_ends = o.closed_at + 365 * DAY_SECS;
    assert_decided(
        &o,
        true,
        true,
        tally(6, 0, 0, ELIGIBLE),
        Effect::BoardElected {
            // In order of election.
            seats: handles(&["erlan", "dana"]),
            term_ends,
            vacant: 1,
        },
    );
    assert_eq!(p.board(), handles(&["erlan", "dana"]));
    // The vacant seat is open to a by-election; a by-election for more
    // seats than are vacant is refused, and sitting editors cannot stand.
    let t = o.closed_at + 60;
    p.refuse(
        "aigerim",
        t,
        propose(
            t,
            t + NOMINATIONS + 168 * H,
            Motion::ByElection {
                seats: 2,
                nominations_close: t + NOMINATIONS,
            },
        ),
        Rejection::NoVacancy {
            asked: 2,
            vacant: 1,
        },
    );
    let by = p.propose(
        "aigerim",
        t,
        t + NOMINATIONS + 168 * H,
        Motion::ByElection {
            seats: 1,
            nominations_close: t + NOMINATIONS,
        },
    );
    p.refuse(
        "dana",
        t + 60,
        nominate(by, "dana"),
        Rejection::AlreadyOnBoard {
            handle: "dana".into(),
        },
    );
    p.nominate("kairat", t + 60, by, "kairat");
    p.nominate("bolat", t + 60, by, "bolat");
    p.votes(
        t + NOMINATIONS + 60,
        by,
        &[
            ("aigerim", ranked(&["kairat"])),
            ("bolat", ranked(&["kairat"])),
            ("kairat", ranked(&["kairat"])),
        ],
    );
    let o = p.close("aigerim", t + NOMINATIONS + 168 * H, by);
    // The sitting editors stay; kairat serves until their term ends.
    assert_decided(
        &o,
        true,
        true,
        tally(3, 0, 0, ELIGIBLE),
        Effect::ByElected {
            seats: handles(&["kairat"]),
            term_ends,
            vacant: 0,
        },
    );
    assert_eq!(p.board(), handles(&["erlan", "dana", "kairat"]));
    assert!(p.state.board().iter().all(|s| s.until == term_ends));
}

#[test]
fn an_editor_is_recalled_by_vote_and_stays_a_member() {
    let mut p = six();
    // Only a sitting editor can be recalled.
    p.refuse(
        "aigerim",
        T1,
        propose(
            T1,
            T1 + 72 * H,
            Motion::Recall {
                handle: "mallory".into(),
            },
        ),
        Rejection::NotOnBoard {
            handle: "mallory".into(),
        },
    );
    // The default rule: at least 2/3 of votes cast, half the members.
    let recall = || Motion::Recall {
        handle: "kairat".into(),
    };
    let (_, o) = p.decide(
        recall(),
        &[
            ("aigerim", Yes),
            ("bolat", Yes),
            ("dana", No),
            ("erlan", No),
        ],
    );
    assert_decided(&o, true, false, tally(2, 2, 0, ELIGIBLE), THRESHOLD_FAILED);
    let (_, o) = p.decide_at(T1 + 100 * H, recall(), &[("aigerim", Yes), ("bolat", Yes)]);
    assert_decided(&o, false, false, tally(2, 0, 0, ELIGIBLE), QUORUM_FAILED);
    let (_, o) = p.decide_at(
        T1 + 200 * H,
        recall(),
        &[("aigerim", Yes), ("bolat", Yes), ("dana", No)],
    );
    assert_decided(
        &o,
        true,
        true,
        tally(2, 1, 0, ELIGIBLE),
        Effect::Recalled {
            handle: "kairat".into(),
        },
    );
    assert!(p.is_member("kairat"));
    assert!(!p.board().contains(&"kairat".to_string()));
    assert!(!p.state.is_editor("kairat", o.closed_at));
    // Two recalls of the same editor: the second finds the seat gone.
    let (first, c1) = p.propose_min(
        "aigerim",
        o.closed_at + 60,
        Motion::Recall {
            handle: "dana".into(),
        },
    );
    let second = p.propose(
        "bolat",
        o.closed_at + 60,
        c1,
        Motion::Recall {
            handle: "dana".into(),
        },
    );
    let all_yes: Vec<(&str, Ballot)> = FOUNDERS.iter().map(|h| (*h, Yes)).collect();
    p.votes(o.closed_at + 120, first, &all_yes);
    p.votes(o.closed_at + 120, second, &all_yes);
    p.close("erlan", c1, first);
    let o2 = p.close("erlan", c1, second);
    assert_eq!(
        o2.effect,
        cannot(NoEffect::NotOnBoard {
            handle: "dana".into()
        })
    );
}

#[test]
fn the_amendment_rule_cannot_be_tightened_past_three_quarters() {
    // Unanimity would let one member block every change for ever.
    let mut unanimity = Charter::default();
    unanimity.amend.threshold.fraction = frac(1, 1);
    assert_eq!(
        unanimity.validate(),
        Err(CharterError::AmendmentAboveCap {
            cap: erkin_core::charter::AMEND_CAP,
            max_hours: erkin_core::charter::AMEND_MAX_HOURS,
        })
    );
    let mut p = six();
    p.refuse(
        "aigerim",
        T1,
        propose(T1, T1 + 168 * H, amend(unanimity)),
        Rejection::BadCharter(CharterError::AmendmentAboveCap {
            cap: erkin_core::charter::AMEND_CAP,
            max_hours: erkin_core::charter::AMEND_MAX_HOURS,
        }),
    );
    // "More than 3/4", a quorum above 3/4, a period over 30 days: above it.
    let mut c = Charter::default();
    c.amend.threshold.fraction = frac(3, 4);
    c.amend.threshold.comparison = Comparison::Greater;
    assert!(matches!(
        c.validate(),
        Err(CharterError::AmendmentAboveCap { .. })
    ));
    let mut c = Charter::default();
    c.amend.quorum = frac(4, 5);
    assert!(matches!(
        c.validate(),
        Err(CharterError::AmendmentAboveCap { .. })
    ));
    let mut c = Charter::default();
    c.amend.min_hours = 30 * 24 + 1;
    assert!(matches!(
        c.validate(),
        Err(CharterError::AmendmentAboveCap { .. })
    ));
    // The cap itself is allowed.
    let mut c = Charter::default();
    c.amend.threshold.fraction = frac(3, 4);
    c.amend.quorum = frac(3, 4);
    c.amend.min_hours = 30 * 24;
    c.validate().unwrap();
}

#[test]
fn the_nomination_period_has_a_floor() {
    let mut p = six();
    let nc = T1 + NOMINATIONS - 1;
    p.refuse(
        "aigerim",
        T1,
        propose(
            T1,
            nc + 168 * H,
            Motion::Elect {
                seats: 3,
                nominations_close: nc,
            },
        ),
        Rejection::NominationPeriodTooShort {
            min_hours: 72,
            nominations_close: nc,
            earliest: T1 + NOMINATIONS,
        },
    );
    // The vote runs at least the election's period after nominations close.
    let nc = T1 + NOMINATIONS;
    p.refuse(
        "aigerim",
        T1,
        propose(
            T1,
            nc + 168 * H - 1,
            Motion::Elect {
                seats: 3,
                nominations_close: nc,
            },
        ),
        Rejection::PeriodTooShort {
            kind: "elect",
            min_hours: 168,
            closes_at: nc + 168 * H - 1,
            earliest: nc + 168 * H,
        },
    );
    let mut c = Charter::default();
    c.elect.nomination_hours = 23;
    assert_eq!(
        c.validate(),
        Err(CharterError::PeriodBelowFloor {
            rule: "elect.nomination_hours",
            floor: 24
        })
    );
}

// ---------------------------------------------------------------------------
// The mirror list (`set_mirrors`, src/mirrors.rs).

fn mirrors(urls: &[&str]) -> Action {
    Action::SetMirrors(erkin_core::action::SetMirrors {
        mirrors: urls
            .iter()
            .map(|u| erkin_core::action::MirrorEntry {
                url: u.to_string(),
                pins: vec![],
            })
            .collect(),
    })
}

#[test]
fn editors_set_the_mirror_list_and_it_reaches_the_descriptor_and_snapshot() {
    let mut p = six();
    let empty_digest = p.state.digest();
    assert!(p.state.mirrors().is_empty());
    let applied = p.act(
        "aigerim",
        T1,
        mirrors(&[
            "https://habar.example/",
            "https://files.example/habar.tar.gz",
        ]),
    );
    assert_eq!(applied.body.action.kind(), "set_mirrors");
    assert_eq!(p.state.mirrors().len(), 2);
    assert_ne!(p.state.digest(), empty_digest, "the list is in the digest");
    let d = erkin_core::descriptor::Descriptor::for_state(&p.state);
    assert_eq!(d.mirrors, p.state.mirrors());
    let json = serde_json::to_string(&d).unwrap();
    let back: erkin_core::descriptor::Descriptor = serde_json::from_str(&json).unwrap();
    assert_eq!(back, d);
    // The snapshot carries it.
    let state = common::through_snapshot(&p.state);
    assert_eq!(state.mirrors(), p.state.mirrors());
    // A later list replaces it, and an empty one clears it.
    p.act("bolat", T1 + 60, mirrors(&["https://other.example/"]));
    assert_eq!(p.state.mirrors()[0].url, "https://other.example/");
    p.act("bolat", T1 + 120, mirrors(&[]));
    assert!(p.state.mirrors().is_empty());
    let d = erkin_core::descriptor::Descriptor::for_state(&p.state);
    assert!(!serde_json::to_string(&d).unwrap().contains("mirrors"));
}

#[test]
fn only_editors_set_mirrors_and_a_bad_list_changes_nothing() {
    let mut p = six();
    p.act("dana", T1, Action::StepDown(StepDown {}));
    p.refuse(
        "dana",
        T1 + 60,
        mirrors(&["https://habar.example/"]),
        Rejection::NotEditor {
            handle: "dana".into(),
            action: erkin_core::rejection::EditorAction::SetMirrors,
        },
    );
    p.act("aigerim", T1 + 60, mirrors(&["https://habar.example/"]));
    p.refuse(
        "aigerim",
        T1 + 120,
        mirrors(&["https://habar.example/", "http://plain.example/"]),
        Rejection::MirrorPlainHttp { index: 1 },
    );
    assert_eq!(p.state.mirrors()[0].url, "https://habar.example/");
    assert_eq!(p.state.mirrors().len(), 1);
}

// ---------------------------------------------------------------------------
// Tip readers (issue 18): an office designated by vote; each reader
// publishes an age recipient; replaced and removed recipients are retired.

/// A real age X25519 recipient (age-keygen).
const TIP_R1: &str = "age1mnd2gq9lq6ppndd0g59z8wkae7cupne38wld7c8zp7tdgll9v95qywh9fw";

/// Another well-formed recipient, the `n`th.
fn tip_recipient(n: u8) -> String {
    use bech32::ToBase32;
    bech32::encode("age", [n; 32].to_base32(), bech32::Variant::Bech32).unwrap()
}

fn tip_readers(handles: &[&str]) -> Motion {
    Motion::TipReaders {
        handles: handles.iter().map(|h| h.to_string()).collect(),
    }
}

fn tip_key(recipient: &str) -> Action {
    Action::TipKey(erkin_core::action::TipKey {
        recipient: recipient.into(),
    })
}

fn recipients(p: &Pub) -> Vec<(String, String)> {
    p.state
        .tip_readers()
        .recipients()
        .map(|(h, r)| (h.to_string(), r.to_string()))
        .collect()
}

#[test]
fn tip_readers_are_appointed_by_vote_and_their_old_keys_never_return() {
    let mut p = six();
    let digest_before = p.state.digest();
    p.refuse(
        "aigerim",
        T1,
        tip_key(TIP_R1),
        Rejection::NotTipReader {
            handle: "aigerim".into(),
        },
    );
    // Judged by the admit rule: yes > no, a third of the members voting.
    let (_, o) = p.decide(
        tip_readers(&["aigerim", "bolat"]),
        &[("aigerim", Yes), ("bolat", Yes)],
    );
    assert_eq!(
        o.effect,
        Effect::TipReadersAppointed {
            handles: vec!["aigerim".into(), "bolat".into()]
        }
    );
    assert_ne!(
        p.state.digest(),
        digest_before,
        "the office is in the digest"
    );
    assert!(recipients(&p).is_empty(), "nobody has published a key yet");
    let t = p.state.log_time();
    p.act("aigerim", t, tip_key(TIP_R1));
    assert_eq!(
        recipients(&p),
        [("aigerim".to_string(), TIP_R1.to_string())]
    );
    let d = erkin_core::descriptor::Descriptor::for_state(&p.state);
    assert_eq!(d.tip_readers.len(), 1);
    assert_eq!(d.tip_readers[0].recipient, TIP_R1);

    // Malformed keys, and another reader's.
    use erkin_core::tip_readers::RecipientError;
    for (bad, reason) in [
        ("age1nope", RecipientError::NotBech32),
        (&TIP_R1.to_uppercase()[..], RecipientError::NotBech32),
        (&"x".repeat(200)[..], RecipientError::TooLong),
    ] {
        p.refuse(
            "bolat",
            t,
            tip_key(bad),
            Rejection::BadTipRecipient { reason },
        );
    }
    p.refuse(
        "bolat",
        t,
        tip_key(TIP_R1),
        Rejection::TipRecipientTaken {
            handle: "aigerim".into(),
        },
    );
    // Not a reader: dana.
    p.refuse(
        "dana",
        t,
        tip_key(&tip_recipient(9)),
        Rejection::NotTipReader {
            handle: "dana".into(),
        },
    );

    // A replaced key is retired, for everyone.
    p.act("aigerim", t, tip_key(&tip_recipient(2)));
    p.act("bolat", t, tip_key(&tip_recipient(3)));
    p.refuse("bolat", t, tip_key(TIP_R1), Rejection::TipRecipientRetired);

    // A vote that leaves aigerim out retires her key; bolat keeps his.
    let (_, o) = p.decide_at(
        t + 60,
        tip_readers(&["bolat"]),
        &[("bolat", Yes), ("dana", Yes)],
    );
    assert!(o.passed);
    assert_eq!(recipients(&p), [("bolat".to_string(), tip_recipient(3))]);
    let t = p.state.log_time();
    p.refuse(
        "aigerim",
        t,
        tip_key(&tip_recipient(4)),
        Rejection::NotTipReader {
            handle: "aigerim".into(),
        },
    );
    // Appointed again, she cannot bring her old key back.
    let (_, o) = p.decide_at(
        t + 60,
        tip_readers(&["aigerim", "bolat"]),
        &[("bolat", Yes), ("dana", Yes)],
    );
    assert!(o.passed);
    let t = p.state.log_time();
    p.refuse(
        "aigerim",
        t,
        tip_key(&tip_recipient(2)),
        Rejection::TipRecipientRetired,
    );
    p.act("aigerim", t, tip_key(&tip_recipient(5)));

    // Removed from the membership: out of the office, key retired.
    let (_, o) = p.decide_at(
        t + 60,
        remove("bolat"),
        &[("aigerim", Yes), ("dana", Yes), ("erlan", Yes)],
    );
    assert_eq!(o.effect, removed("bolat"));
    assert_eq!(recipients(&p), [("aigerim".to_string(), tip_recipient(5))]);
    assert!(p.state.tip_readers().retired.contains(&tip_recipient(3)));
}

#[test]
fn a_tip_readers_motion_names_members_once_and_few() {
    let mut p = six();
    let refuse = |p: &mut Pub, m: Motion, r: Rejection| {
        let t = p.state.log_time().max(T1);
        p.refuse("aigerim", t, propose(t, t + 30 * DAY_SECS, m), r);
    };
    refuse(
        &mut p,
        tip_readers(&["aigerim", "zhanna"]),
        Rejection::UnknownMember {
            handle: "zhanna".into(),
        },
    );
    refuse(
        &mut p,
        tip_readers(&["bolat", "bolat"]),
        Rejection::TipReaderTwice {
            handle: "bolat".into(),
        },
    );
    let many: Vec<&str> = std::iter::repeat_n("aigerim", 17).collect();
    refuse(
        &mut p,
        tip_readers(&many),
        Rejection::TooManyTipReaders {
            max: erkin_core::tip_readers::MAX_TIP_READERS,
        },
    );
}

#[test]
fn tip_reader_rejections_have_stable_codes() {
    use erkin_core::tip_readers::RecipientError;
    for (r, code) in [
        (
            Rejection::NotTipReader { handle: "a".into() },
            "not_tip_reader",
        ),
        (
            Rejection::BadTipRecipient {
                reason: RecipientError::WrongLength,
            },
            "bad_tip_recipient",
        ),
        (Rejection::TipRecipientRetired, "tip_recipient_retired"),
        (
            Rejection::TipRecipientTaken { handle: "a".into() },
            "tip_recipient_taken",
        ),
        (
            Rejection::TipReaderTwice { handle: "a".into() },
            "tip_reader_twice",
        ),
        (
            Rejection::TooManyTipReaders { max: 16 },
            "too_many_tip_readers",
        ),
    ] {
        assert_eq!(r.code(), code);
    }
}

// ---------------------------------------------------------------------------
// Ballot keys (issue 15, docs/BALLOT.md §5.1): each member registers a
// Semaphore identity commitment for secret ballots; a commitment is
// registered once, ever; replaced and departed members' keys are retired.

pub(crate) fn commitment(n: u64) -> String {
    format!("{n:064x}")
}

pub(crate) fn ballot_key(c: &str) -> Action {
    Action::BallotKey(erkin_core::action::BallotKey {
        scheme: erkin_core::ballot::SCHEME.into(),
        commitment: c.into(),
    })
}

fn ballot_keys(p: &Pub) -> Vec<(String, String)> {
    p.state
        .ballot_keys()
        .current
        .iter()
        .map(|(h, c)| (h.clone(), c.clone()))
        .collect()
}

#[test]
fn members_register_ballot_keys_once_ever() {
    let mut p = six();
    let digest_before = p.state.digest();
    let applied = p.act("aigerim", T1, ballot_key(&commitment(1)));
    assert_eq!(applied.body.action.kind(), "ballot_key");
    assert_eq!(ballot_keys(&p), [("aigerim".into(), commitment(1))]);
    assert_eq!(
        p.state.ballot_keys().get("aigerim"),
        Some(erkin_core::ballot::FieldElement::from_hex(&commitment(1)).unwrap())
    );
    assert_eq!(p.state.ballot_keys().get("bolat"), None);
    assert_ne!(
        p.state.digest(),
        digest_before,
        "ballot keys are in the digest"
    );

    // Another member's current key, or one's own again: taken.
    p.refuse(
        "bolat",
        T1 + 1,
        ballot_key(&commitment(1)),
        Rejection::BallotKeyTaken,
    );
    p.refuse(
        "aigerim",
        T1 + 1,
        ballot_key(&commitment(1)),
        Rejection::BallotKeyTaken,
    );
    p.act("bolat", T1 + 2, ballot_key(&commitment(2)));
    // A replacement retires the old key: nobody may register it again.
    p.act("aigerim", T1 + 3, ballot_key(&commitment(3)));
    assert_eq!(
        ballot_keys(&p),
        [
            ("aigerim".into(), commitment(3)),
            ("bolat".into(), commitment(2))
        ]
    );
    assert!(p.state.ballot_keys().retired.contains(&commitment(1)));
    for who in ["aigerim", "dana"] {
        p.refuse(
            who,
            T1 + 4,
            ballot_key(&commitment(1)),
            Rejection::BallotKeyTaken,
        );
    }
    // A member who leaves: their key is retired with them.
    p.act("bolat", T1 + 5, Action::Resign(Resign {}));
    assert_eq!(ballot_keys(&p), [("aigerim".into(), commitment(3))]);
    p.refuse(
        "dana",
        T1 + 6,
        ballot_key(&commitment(2)),
        Rejection::BallotKeyTaken,
    );

    // The state with ballot keys survives a snapshot.
    let back = common::through_snapshot(&p.state);
    assert_eq!(back.ballot_keys(), p.state.ballot_keys());
    assert_eq!(
        erkin_core::snapshot::fingerprint(&back),
        erkin_core::snapshot::fingerprint(&p.state)
    );
}

#[test]
fn malformed_ballot_keys_are_refused() {
    use erkin_core::ballot::BallotError;
    let mut p = six();
    let bad = |reason| Rejection::BadBallotKey { reason };
    // Zero: the value of an empty leaf.
    p.refuse(
        "aigerim",
        T1,
        ballot_key(&commitment(0)),
        bad(BallotError::ZeroCommitment),
    );
    // r (the field's order): non-canonical; so is anything above it.
    let r = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    p.refuse("aigerim", T1, ballot_key(r), bad(BallotError::NonCanonical));
    p.refuse(
        "aigerim",
        T1,
        ballot_key(&"f".repeat(64)),
        bad(BallotError::NonCanonical),
    );
    // Not 64 lowercase hex digits.
    for c in [
        String::new(),
        commitment(1)[1..].to_string(),
        commitment(10).to_uppercase(),
        format!("0x{}", &commitment(1)[2..]),
    ] {
        p.refuse("aigerim", T1, ballot_key(&c), bad(BallotError::BadEncoding));
    }
    // Another scheme.
    p.refuse(
        "aigerim",
        T1,
        Action::BallotKey(erkin_core::action::BallotKey {
            scheme: "semaphore-v4-16".into(),
            commitment: commitment(1),
        }),
        bad(BallotError::UnknownScheme),
    );
    // An unknown field in the action: the entry is refused as malformed.
    let json = format!(
        r#"{{"time":{T1},"action":{{"ballot_key":{{"scheme":"semaphore-v3-16","commitment":"{}","epoch":1}}}}}}"#,
        commitment(1)
    );
    let text = format!("{}\n{ORIGIN}\n{json}\n", erkin_core::entry::ENTRY_FORMAT);
    let bytes = erkin_core::note::sign_note(&text, &p.keys["aigerim"]);
    let before = snapshot(&p.state);
    let r = p.state.apply(&bytes);
    assert!(
        matches!(r, Err(Rejection::Entry(EntryError::Json(_)))),
        "{r:?}"
    );
    assert_eq!(r.unwrap_err().code(), "bad_entry");
    assert_eq!(snapshot(&p.state), before);
    assert!(ballot_keys(&p).is_empty());
    assert_eq!(
        Rejection::BadBallotKey {
            reason: BallotError::ZeroCommitment
        }
        .code(),
        "invalid_action"
    );
    assert_eq!(Rejection::BallotKeyTaken.code(), "ballot_key_taken");
}

#[test]
fn only_members_register_ballot_keys() {
    let mut p = six();
    let mallory = key("mallory");
    let bytes = p.sign_with(&mallory, T1, ballot_key(&commitment(5)));
    p.refuse_bytes(
        &bytes,
        Rejection::NotAMember {
            name: "mallory".into(),
            id: mallory.verifier_key().key_id(),
        },
    );
    // The log key is not a member either.
    let bytes = sign_entry(
        ORIGIN,
        &EntryBody {
            time: T1,
            action: ballot_key(&commitment(5)),
        },
        &key(ORIGIN),
    )
    .unwrap();
    p.refuse_bytes(&bytes, Rejection::LogKeyAction { kind: "ballot_key" });
    // A member's rotated-away key: retired, not theirs any more.
    let old = p.keys["aigerim"].clone();
    let new = key_n("aigerim", 1);
    p.act(
        "aigerim",
        T1 + 1,
        Action::RotateKey(RotateKey {
            new_key: new.verifier_key().to_string(),
        }),
    );
    p.keys.insert("aigerim".into(), new);
    let bytes = p.sign_with(&old, T1 + 2, ballot_key(&commitment(5)));
    p.refuse_bytes(
        &bytes,
        Rejection::RetiredKey {
            handle: "aigerim".into(),
            id: old.verifier_key().key_id(),
        },
    );
    assert!(ballot_keys(&p).is_empty());
    p.act("aigerim", T1 + 3, ballot_key(&commitment(5)));
    assert_eq!(ballot_keys(&p), [("aigerim".into(), commitment(5))]);
}
