//! The fold (src/state.rs): genesis, membership, order, replays, and that a
//! rejected entry leaves the state exactly as it was.

use erkin_core::action::{
    Action, Charter, Genesis, Statement, Tick, MAX_FOUNDERS, MAX_NAME_LEN, MAX_STATEMENT_LEN,
};
use erkin_core::entry::{sign_entry, EntryBody, EntryError};
use erkin_core::keys::SecretKey;
use erkin_core::note::{sign_note, NoteError};
use erkin_core::rejection::{BadGenesis, TextField};
use erkin_core::state::{check_clock, Member, Rejection, State, MAX_AHEAD_SECS, MAX_BEHIND_SECS};

const ORIGIN: &str = "news.example/erkin";
const T0: u64 = 1_764_345_600;

fn key(name: &str) -> SecretKey {
    SecretKey::generate(&mut rand_core::OsRng, name).unwrap()
}

struct World {
    log: SecretKey,
    aigerim: SecretKey,
    bolat: SecretKey,
}

fn world() -> World {
    World {
        log: key(ORIGIN),
        aigerim: key("aigerim"),
        bolat: key("bolat"),
    }
}

fn genesis_body(log_key: &str, founders: &[&SecretKey], time: u64) -> EntryBody {
    EntryBody {
        time,
        action: Action::Genesis(Genesis {
            name: "Erkin Habar".into(),
            log_key: log_key.into(),
            founders: founders
                .iter()
                .map(|k| k.verifier_key().to_string())
                .collect(),
            charter: Charter::default(),
        }),
    }
}

fn statement(time: u64, text: &str) -> EntryBody {
    EntryBody {
        time,
        action: Action::Statement(Statement { text: text.into() }),
    }
}

fn tick(time: u64) -> EntryBody {
    EntryBody {
        time,
        action: Action::Tick(Tick {}),
    }
}

fn entry(body: &EntryBody, k: &SecretKey) -> Vec<u8> {
    sign_entry(ORIGIN, body, k).unwrap()
}

impl World {
    fn genesis_bytes(&self) -> Vec<u8> {
        entry(
            &genesis_body(
                self.log.verifier_key().as_str(),
                &[&self.aigerim, &self.bolat],
                T0,
            ),
            &self.log,
        )
    }

    fn start(&self) -> State {
        let (state, applied) =
            State::genesis(self.log.verifier_key(), &self.genesis_bytes()).unwrap();
        assert_eq!(applied.index, 0);
        state
    }
}

/// What must not change when an entry is rejected.
#[derive(Debug, PartialEq)]
struct Snapshot {
    size: u64,
    last_time: u64,
    members: Vec<Member>,
}

fn snap(s: &State) -> Snapshot {
    Snapshot {
        size: s.size(),
        last_time: s.last_time(),
        members: s.members().cloned().collect(),
    }
}

/// Applies `bytes`, expects exactly `expected`, and checks the state is untouched.
fn reject(state: &mut State, bytes: &[u8], expected: Rejection) {
    let before = snap(state);
    assert_eq!(state.apply(bytes).unwrap_err(), expected);
    assert_eq!(snap(state), before, "a rejection changed the state");
}

#[test]
fn genesis_founds_the_publication() {
    let w = world();
    let bytes = w.genesis_bytes();
    let (state, applied) = State::genesis(w.log.verifier_key(), &bytes).unwrap();
    assert_eq!(applied.index, 0);
    assert_eq!(applied.signer, ORIGIN);
    assert_eq!(applied.leaf_hash, tlog_tiles::record_hash(&bytes));
    assert_eq!(
        applied.body,
        genesis_body(w.log.verifier_key().as_str(), &[&w.aigerim, &w.bolat], T0)
    );
    assert_eq!(state.origin(), ORIGIN);
    assert_eq!(state.name(), "Erkin Habar");
    assert_eq!(state.log_key(), w.log.verifier_key());
    assert_eq!(state.charter(), &Charter::default());
    assert_eq!(state.size(), 1);
    assert_eq!(state.last_time(), T0);
    let members: Vec<(String, String, u64)> = state
        .members()
        .map(|m| (m.handle.clone(), m.key.to_string(), m.since))
        .collect();
    assert_eq!(
        members,
        [
            ("aigerim".into(), w.aigerim.verifier_key().to_string(), 0),
            ("bolat".into(), w.bolat.verifier_key().to_string(), 0),
        ]
    );
}

#[test]
fn genesis_naming_another_log_key_is_refused() {
    let w = world();
    let other = key(ORIGIN);
    // Signed by the pinned key, but naming another.
    let bytes = entry(
        &genesis_body(other.verifier_key().as_str(), &[&w.aigerim], T0),
        &w.log,
    );
    assert_eq!(
        State::genesis(w.log.verifier_key(), &bytes).unwrap_err(),
        Rejection::LogKeyMismatch {
            pinned: w.log.verifier_key().to_string(),
            found: other.verifier_key().to_string(),
        }
    );
    // An impostor log key signing a genesis that names itself: still not the pinned key.
    let bytes = entry(
        &genesis_body(other.verifier_key().as_str(), &[&w.aigerim], T0),
        &other,
    );
    assert_eq!(
        State::genesis(w.log.verifier_key(), &bytes).unwrap_err(),
        Rejection::LogKeyMismatch {
            pinned: w.log.verifier_key().to_string(),
            found: other.verifier_key().to_string(),
        }
    );
}

#[test]
fn genesis_signed_by_impostor_naming_the_pinned_key_is_refused() {
    let w = world();
    let other = key(ORIGIN);
    let bytes = entry(
        &genesis_body(w.log.verifier_key().as_str(), &[&w.aigerim], T0),
        &other,
    );
    assert_eq!(
        State::genesis(w.log.verifier_key(), &bytes).unwrap_err(),
        Rejection::Entry(EntryError::Note(NoteError::NotSignedBy {
            expected: w.log.verifier_key().to_string(),
            found: format!("{ORIGIN}+{:08x}", other.verifier_key().key_id()),
        }))
    );
}

#[test]
fn genesis_signed_by_a_founder_is_refused() {
    let w = world();
    let bytes = entry(
        &genesis_body(w.log.verifier_key().as_str(), &[&w.aigerim, &w.bolat], T0),
        &w.aigerim,
    );
    assert_eq!(
        State::genesis(w.log.verifier_key(), &bytes).unwrap_err(),
        Rejection::Entry(EntryError::Note(NoteError::NotSignedBy {
            expected: w.log.verifier_key().to_string(),
            found: format!("aigerim+{:08x}", w.aigerim.verifier_key().key_id()),
        }))
    );
}

#[test]
fn genesis_with_altered_text_is_bad_signature() {
    let w = world();
    let bytes = w.genesis_bytes();
    let text = String::from_utf8(bytes).unwrap();
    let altered = text.replacen("Erkin Habar", "Erkin Hasar", 1);
    assert_ne!(altered, text);
    assert_eq!(
        State::genesis(w.log.verifier_key(), altered.as_bytes()).unwrap_err(),
        Rejection::Entry(EntryError::Note(NoteError::BadSignature {
            name: ORIGIN.into(),
            id: w.log.verifier_key().key_id(),
        }))
    );
}

#[test]
fn first_entry_must_be_genesis() {
    let w = world();
    let bytes = entry(&statement(T0, "hello"), &w.aigerim);
    assert_eq!(
        State::genesis(w.log.verifier_key(), &bytes).unwrap_err(),
        Rejection::NotGenesis { found: "statement" }
    );
    // Even when signed by the log key itself.
    let bytes = entry(&statement(T0, "hello"), &w.log);
    assert_eq!(
        State::genesis(w.log.verifier_key(), &bytes).unwrap_err(),
        Rejection::NotGenesis { found: "statement" }
    );
}

#[test]
fn genesis_for_another_publication_is_wrong_origin() {
    let w = world();
    let body = genesis_body(w.log.verifier_key().as_str(), &[&w.aigerim], T0);
    let bytes = sign_entry("elsewhere.example", &body, &w.log).unwrap();
    assert_eq!(
        State::genesis(w.log.verifier_key(), &bytes).unwrap_err(),
        Rejection::Entry(EntryError::WrongOrigin {
            expected: ORIGIN.into(),
            found: "elsewhere.example".into(),
        })
    );
}

#[test]
fn founders_statements_are_applied_in_order() {
    let w = world();
    let mut state = w.start();
    for (i, (k, t)) in [(&w.aigerim, T0), (&w.bolat, T0), (&w.aigerim, T0 + 60)]
        .into_iter()
        .enumerate()
    {
        let body = statement(t, &format!("statement number {i}"));
        let bytes = entry(&body, k);
        let applied = state.apply(&bytes).unwrap();
        assert_eq!(applied.index, i as u64 + 1);
        assert_eq!(applied.signer, k.name());
        assert_eq!(applied.body, body);
        assert_eq!(applied.leaf_hash, tlog_tiles::record_hash(&bytes));
        assert_eq!(state.size(), i as u64 + 2);
        assert_eq!(state.last_time(), t);
    }
}

#[test]
fn non_member_statement_is_refused() {
    let w = world();
    let mut state = w.start();
    let mallory = key("mallory");
    let bytes = entry(&statement(T0, "let me in"), &mallory);
    reject(
        &mut state,
        &bytes,
        Rejection::NotAMember {
            name: "mallory".into(),
            id: mallory.verifier_key().key_id(),
        },
    );
    // The log key is not a member either: it signs only genesis and ticks.
    let bytes = entry(&statement(T0, "from the server"), &w.log);
    reject(
        &mut state,
        &bytes,
        Rejection::LogKeyAction { kind: "statement" },
    );
    // A member cannot record the log's time.
    reject(
        &mut state,
        &entry(&tick(T0 + 1), &w.aigerim),
        Rejection::TickNotByLogKey,
    );
}

#[test]
fn another_key_with_a_members_name_is_not_a_member() {
    let w = world();
    let mut state = w.start();
    let forger = key("aigerim");
    assert_ne!(
        forger.verifier_key().key_id(),
        w.aigerim.verifier_key().key_id(),
        "astronomically unlikely key ID collision"
    );
    let bytes = entry(&statement(T0, "I resign"), &forger);
    reject(
        &mut state,
        &bytes,
        Rejection::NotAMember {
            name: "aigerim".into(),
            id: forger.verifier_key().key_id(),
        },
    );
}

#[test]
fn altered_member_entry_is_bad_signature() {
    let w = world();
    let mut state = w.start();
    let bytes = entry(&statement(T0, "I support the motion"), &w.bolat);
    let altered = String::from_utf8(bytes)
        .unwrap()
        .replacen("support", "oppose!", 1);
    reject(
        &mut state,
        altered.as_bytes(),
        Rejection::Entry(EntryError::Note(NoteError::BadSignature {
            name: "bolat".into(),
            id: w.bolat.verifier_key().key_id(),
        })),
    );
}

#[test]
fn member_times_need_no_order_but_the_log_time_never_goes_backwards() {
    let w = world();
    let mut state = w.start();
    // A member dating an entry ahead (within the window) holds nobody back:
    // an entry signed earlier is still admitted after it.
    state
        .apply(&entry(
            &statement(T0 + 240, "four minutes ahead"),
            &w.aigerim,
        ))
        .unwrap();
    let applied = state
        .apply(&entry(&statement(T0 + 1, "an honest clock"), &w.bolat))
        .unwrap();
    assert_eq!(applied.index, 2);
    assert_eq!(state.log_time(), T0, "members' times are no log time");
    // The log time moves only by ticks of the log key, never backwards.
    state.apply(&entry(&tick(T0 + 100), &w.log)).unwrap();
    assert_eq!(state.log_time(), T0 + 100);
    reject(
        &mut state,
        &entry(&tick(T0 + 99), &w.log),
        Rejection::TimeWentBackwards {
            time: T0 + 99,
            previous: T0 + 100,
        },
    );
    // A tick by another key with the log's name is no tick.
    let impostor = key(ORIGIN);
    reject(
        &mut state,
        &entry(&tick(T0 + 200), &impostor),
        Rejection::NotAMember {
            name: ORIGIN.into(),
            id: impostor.verifier_key().key_id(),
        },
    );
}

#[test]
fn member_times_far_from_the_log_time_are_refused() {
    let w = world();
    let mut state = w.start();
    // Within the window on either side: admitted.
    state
        .apply(&entry(
            &statement(T0 - MAX_BEHIND_SECS, "a slow clock"),
            &w.aigerim,
        ))
        .unwrap();
    state
        .apply(&entry(
            &statement(T0 + MAX_AHEAD_SECS, "a fast clock"),
            &w.aigerim,
        ))
        .unwrap();
    for time in [
        T0 - MAX_BEHIND_SECS - 1,
        T0 + MAX_AHEAD_SECS + 1,
        // The year 2100.
        4_102_444_800,
    ] {
        reject(
            &mut state,
            &entry(&statement(time, "far off"), &w.bolat),
            Rejection::FarFromLogTime { time, log_time: T0 },
        );
    }
}

#[test]
fn replayed_entry_is_duplicate() {
    let w = world();
    let mut state = w.start();
    let bytes = entry(&statement(T0, "once"), &w.aigerim);
    state.apply(&bytes).unwrap();
    reject(&mut state, &bytes, Rejection::Duplicate);
    // Signing the same statement again gives the same bytes (Ed25519 is
    // deterministic), so it is the same replay.
    let again = entry(&statement(T0, "once"), &w.aigerim);
    assert_eq!(again, bytes);
    reject(&mut state, &again, Rejection::Duplicate);
    // Replaying the genesis entry is a replay too (not a second genesis).
    reject(&mut state, &w.genesis_bytes(), Rejection::Duplicate);
}

#[test]
fn second_genesis_is_refused() {
    let w = world();
    let mut state = w.start();
    let bytes = entry(
        &genesis_body(w.log.verifier_key().as_str(), &[&w.aigerim], T0),
        &w.aigerim,
    );
    reject(&mut state, &bytes, Rejection::SecondGenesis);
}

#[test]
fn empty_or_oversize_statement_is_invalid() {
    let w = world();
    let mut state = w.start();
    let too_long = || Rejection::TextLength {
        field: TextField::Statement,
        max: MAX_STATEMENT_LEN,
    };
    for text in [
        String::new(),
        " ".into(),
        "\n\t ".into(),
        "x".repeat(MAX_STATEMENT_LEN + 1),
    ] {
        let bytes = entry(&statement(T0, &text), &w.aigerim);
        reject(&mut state, &bytes, too_long());
        // Rejected entries are not remembered as seen: the same bytes are
        // refused for the same reason, not as a replay.
        reject(&mut state, &bytes, too_long());
    }
    let max = "x".repeat(MAX_STATEMENT_LEN);
    state
        .apply(&entry(&statement(T0, &max), &w.aigerim))
        .unwrap();
}

#[test]
fn malformed_entries_are_entry_rejections() {
    let w = world();
    let mut state = w.start();
    let wrong_origin = sign_entry("elsewhere.example", &statement(T0, "hi"), &w.aigerim).unwrap();
    reject(
        &mut state,
        &wrong_origin,
        Rejection::Entry(EntryError::WrongOrigin {
            expected: ORIGIN.into(),
            found: "elsewhere.example".into(),
        }),
    );
    let bad_json = sign_note(
        &format!("erkin.entry/v1\n{ORIGIN}\n{{not json}}\n"),
        &w.aigerim,
    );
    let before = snap(&state);
    assert!(matches!(
        state.apply(&bad_json),
        Err(Rejection::Entry(EntryError::Json(_)))
    ));
    assert_eq!(snap(&state), before);
}

#[test]
fn state_is_unchanged_after_every_kind_of_rejection() {
    let w = world();
    let mut state = w.start();
    state
        .apply(&entry(&statement(T0 + 10, "first"), &w.aigerim))
        .unwrap();
    let seen = entry(&statement(T0 + 10, "seen"), &w.bolat);
    state.apply(&seen).unwrap();
    let before = snap(&state);
    let mallory = key("mallory");
    let rejected: Vec<(Vec<u8>, Rejection)> = vec![
        (
            entry(&statement(T0 + 20, "x"), &mallory),
            Rejection::NotAMember {
                name: "mallory".into(),
                id: mallory.verifier_key().key_id(),
            },
        ),
        (
            entry(&statement(T0 + MAX_AHEAD_SECS + 1, "x"), &w.aigerim),
            Rejection::FarFromLogTime {
                time: T0 + MAX_AHEAD_SECS + 1,
                log_time: T0,
            },
        ),
        (
            entry(&tick(T0 - 1), &w.log),
            Rejection::TimeWentBackwards {
                time: T0 - 1,
                previous: T0,
            },
        ),
        (seen.clone(), Rejection::Duplicate),
        (
            entry(
                &genesis_body(w.log.verifier_key().as_str(), &[&w.bolat], T0 + 20),
                &w.bolat,
            ),
            Rejection::SecondGenesis,
        ),
        (
            entry(&statement(T0 + 20, ""), &w.bolat),
            Rejection::TextLength {
                field: TextField::Statement,
                max: MAX_STATEMENT_LEN,
            },
        ),
        (
            b"garbage".to_vec(),
            Rejection::Entry(EntryError::Note(NoteError::NoSignatureBlock)),
        ),
    ];
    for (bytes, expected) in rejected {
        reject(&mut state, &bytes, expected);
        assert_eq!(snap(&state), before);
    }
    // And the next valid entry gets the next index.
    let applied = state
        .apply(&entry(&statement(T0 + 20, "next"), &w.bolat))
        .unwrap();
    assert_eq!(applied.index, before.size);
}

#[test]
fn duplicate_founder_handles_are_bad_genesis() {
    let w = world();
    let twin = key("aigerim");
    for founders in [vec![&w.aigerim, &twin], vec![&w.aigerim, &w.aigerim]] {
        let bytes = entry(
            &genesis_body(w.log.verifier_key().as_str(), &founders, T0),
            &w.log,
        );
        assert_eq!(
            State::genesis(w.log.verifier_key(), &bytes).unwrap_err(),
            Rejection::BadGenesis(BadGenesis::FounderTwice {
                handle: "aigerim".into()
            })
        );
    }
}

#[test]
fn other_bad_geneses() {
    let w = world();
    let log_vk = w.log.verifier_key().as_str().to_string();
    type Expected = fn(&BadGenesis) -> bool;
    let cases: Vec<(Genesis, Expected)> = vec![
        (
            Genesis {
                name: "Erkin".into(),
                log_key: log_vk.clone(),
                founders: vec![],
                charter: Charter::default(),
            },
            |e| *e == BadGenesis::FounderCount { max: MAX_FOUNDERS },
        ),
        (
            Genesis {
                name: "  ".into(),
                log_key: log_vk.clone(),
                founders: vec![w.aigerim.verifier_key().to_string()],
                charter: Charter::default(),
            },
            |e| *e == BadGenesis::Name { max: MAX_NAME_LEN },
        ),
        (
            Genesis {
                name: "Erkin".into(),
                log_key: log_vk.clone(),
                founders: vec!["not a key".into()],
                charter: Charter::default(),
            },
            |e| matches!(e, BadGenesis::FounderKey { key, .. } if key == "not a key"),
        ),
        (
            Genesis {
                name: "Erkin".into(),
                log_key: log_vk.clone(),
                // The log key may not also be a founder (its name is the origin).
                founders: vec![log_vk.clone()],
                charter: Charter::default(),
            },
            |e| *e == BadGenesis::FounderIsOrigin,
        ),
    ];
    for (g, expected) in cases {
        let bytes = entry(
            &EntryBody {
                time: T0,
                action: Action::Genesis(g),
            },
            &w.log,
        );
        match State::genesis(w.log.verifier_key(), &bytes).unwrap_err() {
            Rejection::BadGenesis(e) => assert!(expected(&e), "{e:?}"),
            other => panic!("expected BadGenesis, got {other:?}"),
        }
    }
}

#[test]
fn check_clock_bounds() {
    let now = T0;
    for ok in [
        now,
        now + MAX_AHEAD_SECS,
        now - MAX_BEHIND_SECS,
        now + 1,
        now - 1,
    ] {
        assert_eq!(check_clock(ok, now), Ok(()), "{ok}");
    }
    for bad in [
        now + MAX_AHEAD_SECS + 1,
        now - MAX_BEHIND_SECS - 1,
        0,
        u64::MAX,
    ] {
        assert_eq!(
            check_clock(bad, now),
            Err(Rejection::ClockSkew { time: bad, now }),
            "{bad}"
        );
    }
    // Near the ends of the range nothing overflows.
    assert_eq!(check_clock(0, 0), Ok(()));
    assert_eq!(check_clock(MAX_AHEAD_SECS, 0), Ok(()));
    assert_eq!(
        check_clock(MAX_AHEAD_SECS + 1, 0),
        Err(Rejection::ClockSkew {
            time: MAX_AHEAD_SECS + 1,
            now: 0
        })
    );
    assert_eq!(check_clock(u64::MAX, u64::MAX), Ok(()));
    assert_eq!(
        check_clock(u64::MAX - MAX_BEHIND_SECS - 1, u64::MAX),
        Err(Rejection::ClockSkew {
            time: u64::MAX - MAX_BEHIND_SECS - 1,
            now: u64::MAX
        })
    );
}

#[test]
fn fold_is_deterministic() {
    let w = world();
    let mallory = key("mallory");
    let mut log = vec![w.genesis_bytes()];
    for i in 0..40u64 {
        let k = match i % 3 {
            0 => &w.aigerim,
            1 => &w.bolat,
            _ => &mallory,
        };
        log.push(entry(&statement(T0 + i / 2, &format!("statement {i}")), k));
    }
    log.push(log[1].clone()); // a replay
    log.push(entry(&statement(T0 + 3600, "far ahead"), &w.bolat)); // beyond the window

    let fold = || {
        let (mut state, _) = State::genesis(w.log.verifier_key(), &log[0]).unwrap();
        let outcomes: Vec<Result<u64, Rejection>> = log[1..]
            .iter()
            .map(|e| state.apply(e).map(|a| a.index))
            .collect();
        (snap(&state), outcomes)
    };
    let (a, outcomes_a) = fold();
    let (b, outcomes_b) = fold();
    assert_eq!(a, b);
    assert_eq!(outcomes_a, outcomes_b);
    // 40 statements, every third one by the non-member.
    let accepted = outcomes_a.iter().filter(|o| o.is_ok()).count() as u64;
    assert_eq!(accepted, 40 - 13);
    assert_eq!(a.size, 1 + accepted);
    assert_eq!(a.last_time, T0 + 19);
    // The replay of entry 1 is a replay; the entry dated an hour ahead of
    // the log time is refused for it.
    assert_eq!(outcomes_a[40], Err(Rejection::Duplicate));
    assert_eq!(
        outcomes_a[41],
        Err(Rejection::FarFromLogTime {
            time: T0 + 3600,
            log_time: T0
        })
    );
}
