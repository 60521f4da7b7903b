//! The sequencer's secret ballots (issue 15, docs/BALLOT.md §8): intake
//! with real proofs, the held table, seals before a departure, and the
//! close's run of ballots that the fold accepts.

use erkin_core::action::{Action, Ballot, BallotKey, CastBallot, Charter, Motion, Propose, Resign};
use erkin_core::api::{pad_ballot, verify_ballot_receipt, BallotBodyError, BALLOT_PLAINTEXT_LEN};
use erkin_core::ballot::BallotError;
use erkin_core::ballot_secret::BallotSecret;
use erkin_core::entry::{EntryBody, ParsedEntry};
use erkin_core::keys::SecretKey;
use erkin_core::secret::SecretVote;
use erkin_core::state::Rejection;
use erkin_store::{
    BallotRefusal, CloseStuck, Publication, CLOSE_RETRY_MAX_SECS, REVOTE_INTERVAL_SECS,
};
use erkin_testkit::ballots::{body, cast, commitment, encrypt, secret};

const T0: u64 = 1_790_000_000;
const H: u64 = 3600;
/// When the proposals are made.
const T1: u64 = T0 + 60;
/// When members vote.
const T2: u64 = T1 + 60;
const CLOSES: u64 = T1 + 200 * H;
const ORIGIN: &str = "store.example/log";
const FOUNDERS: [&str; 4] = ["aigerim", "bolat", "dana", "erlan"];

struct Vote {
    _dir: tempfile::TempDir,
    dir: std::path::PathBuf,
    p: Publication,
    log: SecretKey,
    keys: Vec<SecretKey>,
    secrets: Vec<BallotSecret>,
    identity: age::x25519::Identity,
    recipient: String,
}

fn secret_charter() -> Charter {
    let mut c = Charter::default();
    c.resolution.secret = true;
    c.remove.secret = true;
    c
}

/// Submits `entries` at `now`; each must be admitted. Their indexes.
fn admit(v: &mut Vote, entries: &[Vec<u8>], now: u64) -> Vec<u64> {
    let out = v.p.submit(entries, now, &v.log).unwrap();
    out.results
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("refused: {e:?}")))
        .collect()
}

fn signed(v: &Vote, who: usize, time: u64, action: Action) -> Vec<u8> {
    v.p.sign(&EntryBody { time, action }, &v.keys[who]).unwrap()
}

/// Four founders under a charter deciding resolutions and removals
/// secretly; each registers a ballot key; the ballot box is published.
fn founded() -> Vote {
    let dir = tempfile::tempdir().unwrap();
    let log = SecretKey::generate(&mut rand_core::OsRng, ORIGIN).unwrap();
    let keys: Vec<SecretKey> = FOUNDERS
        .iter()
        .map(|h| SecretKey::generate(&mut rand_core::OsRng, h).unwrap())
        .collect();
    let p = Publication::found(
        dir.path(),
        "Ballot test",
        &log,
        &keys
            .iter()
            .map(|k| k.verifier_key().clone())
            .collect::<Vec<_>>(),
        secret_charter(),
        T0,
    )
    .unwrap();
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let mut v = Vote {
        dir: dir.path().to_path_buf(),
        _dir: dir,
        p,
        log,
        keys,
        secrets: (0..FOUNDERS.len()).map(|i| secret("store", i)).collect(),
        identity,
        recipient,
    };
    let registrations: Vec<Vec<u8>> = (0..FOUNDERS.len())
        .map(|i| {
            signed(
                &v,
                i,
                T0 + 10,
                Action::BallotKey(BallotKey {
                    scheme: "semaphore-v3-16".into(),
                    commitment: commitment(&v.secrets[i]),
                }),
            )
        })
        .collect();
    admit(&mut v, &registrations, T0 + 10);
    let recipient = v.recipient.clone();
    assert!(v.p.set_ballot_box(&recipient, T0 + 20, &v.log).unwrap());
    assert!(!v.p.set_ballot_box(&recipient, T0 + 30, &v.log).unwrap());
    assert_eq!(v.p.state().ballot_box(), Some(recipient.as_str()));
    v
}

fn propose(v: &mut Vote, who: usize, motion: Motion) -> u64 {
    propose_until(v, who, motion, CLOSES)
}

fn propose_until(v: &mut Vote, who: usize, motion: Motion, closes_at: u64) -> u64 {
    let e = signed(
        v,
        who,
        T1,
        Action::Propose(Propose {
            title: "A question".into(),
            closes_at,
            motion,
        }),
    );
    admit(v, &[e], T1)[0]
}

fn resolution(v: &mut Vote) -> u64 {
    propose(
        v,
        0,
        Motion::Resolution {
            text: "Publish the audit".into(),
        },
    )
}

fn vote_of(v: &Vote, id: u64) -> SecretVote {
    (**v.p.state().proposal(id).unwrap().secret.as_ref().unwrap()).clone()
}

/// Member `who`'s ballot on `id` against its current epoch's tree.
fn ballot(v: &Vote, id: u64, who: usize, seq: u64, choice: Ballot) -> CastBallot {
    let vote = vote_of(v, id);
    let epoch = vote.roots.len() - 1;
    cast(ORIGIN, id, &vote, epoch, &v.secrets[who], seq, choice)
}

fn hold(
    v: &mut Vote,
    b: &CastBallot,
    now: u64,
) -> Result<erkin_core::api::BallotReceipt, BallotRefusal> {
    let identity = v.identity.clone();
    taken(v.p.take_ballot(&body(b, &v.recipient), &identity, now, &v.log))
}

/// The outcome of a body that named its reply recipient (the testkit's):
/// what the sequencer answers to that recipient alone.
fn taken(
    r: Result<erkin_store::Taken, BallotRefusal>,
) -> Result<erkin_core::api::BallotReceipt, BallotRefusal> {
    let t = r.expect("the body decrypts and names its reply recipient");
    assert_eq!(t.reply.to_string(), erkin_testkit::ballots::reply());
    t.outcome
}

fn refused_with(
    r: Result<erkin_core::api::BallotReceipt, BallotRefusal>,
    code: &str,
) -> BallotRefusal {
    let e = r.expect_err("refused");
    assert_eq!(e.code(), code, "{e:?}");
    e
}

/// The kinds of the log's entries from `from` on, ticks left out (where
/// the sequencer puts one is its own affair).
fn kinds(v: &Vote, from: u64) -> Vec<&'static str> {
    let size = v.p.store().size();
    v.p.store()
        .entries(from, size)
        .unwrap()
        .iter()
        .map(|e| ParsedEntry::parse(e, ORIGIN).unwrap().body.action.kind())
        .filter(|k| *k != "tick")
        .collect()
}

#[test]
fn a_held_ballot_gets_a_receipt_and_a_re_vote_replaces_it() {
    let mut v = founded();
    let id = resolution(&mut v);
    let a = ballot(&v, id, 0, 1, Ballot::Yes);
    let size = v.p.store().size();
    let r = hold(&mut v, &a, T2).unwrap();
    assert_eq!((r.proposal, r.epoch, r.ballot_hash), (id, 0, a.hash()));
    verify_ballot_receipt(&r, v.log.verifier_key(), &a.hash()).unwrap();
    // Held, not logged: nothing is appended before the close.
    assert_eq!(v.p.store().size(), size);
    let held = v.p.store().held_ballots(id).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!((held[0].epoch, held[0].hash), (0, a.hash()));
    assert_eq!(held[0].body, a.canonical_json());
    // The same ballot again (a lost answer): the same receipt.
    assert_eq!(hold(&mut v, &a, T2 + 1).unwrap(), r);
    // A second ballot with the same seq: stale, with the held seq; the
    // retry above it replaces the held one.
    let b = ballot(&v, id, 0, 1, Ballot::No);
    match refused_with(hold(&mut v, &b, T2 + 2), "stale_ballot") {
        BallotRefusal::StaleBallot { held_seq } => assert_eq!(held_seq, 1),
        other => panic!("{other:?}"),
    }
    let b = ballot(&v, id, 0, 2, Ballot::No);
    // A valid re-vote less than REVOTE_INTERVAL_SECS after the nullifier's
    // last held ballot waits (review finding 8): refused with the time to
    // send it again, the held ballot kept, no budget spent.
    for now in [T2 + 3, T2 + REVOTE_INTERVAL_SECS - 1] {
        let e = refused_with(hold(&mut v, &b, now), "revote_too_soon");
        assert!(!e.spent_proof());
        match e {
            BallotRefusal::RevoteTooSoon { now: at, retry_at } => {
                assert_eq!((at, retry_at), (now, T2 + REVOTE_INTERVAL_SECS))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(v.p.store().held_ballots(id).unwrap()[0].hash, a.hash());
    }
    let r = hold(&mut v, &b, T2 + REVOTE_INTERVAL_SECS).unwrap();
    verify_ballot_receipt(&r, v.log.verifier_key(), &b.hash()).unwrap();
    // The next re-vote waits from this one.
    let b3 = ballot(&v, id, 0, 3, Ballot::Abstain);
    match refused_with(
        hold(&mut v, &b3, T2 + 2 * REVOTE_INTERVAL_SECS - 1),
        "revote_too_soon",
    ) {
        BallotRefusal::RevoteTooSoon { retry_at, .. } => {
            assert_eq!(retry_at, T2 + 2 * REVOTE_INTERVAL_SECS)
        }
        other => panic!("{other:?}"),
    }
    let held = v.p.store().held_ballots(id).unwrap();
    assert_eq!(
        held.len(),
        1,
        "a re-vote in the same epoch replaces the row"
    );
    assert_eq!(held[0].hash, b.hash());
    // A lower seq than held is stale too.
    let old = ballot(&v, id, 0, 1, Ballot::Abstain);
    match refused_with(hold(&mut v, &old, T2 + 4), "stale_ballot") {
        BallotRefusal::StaleBallot { held_seq } => assert_eq!(held_seq, 2),
        other => panic!("{other:?}"),
    }
    // (Its proof verified: a stale ballot spends no budget.)
    assert!(!hold(&mut v, &old, T2 + 4).unwrap_err().spent_proof());
    // Another member's ballot is a row of its own.
    let c = ballot(&v, id, 1, 1, Ballot::Yes);
    hold(&mut v, &c, T2 + 5).unwrap();
    assert_eq!(v.p.store().held_ballots(id).unwrap().len(), 2);
}

/// Review s10 M1: a member resending a superseded ballot of their own (or
/// a premature re-vote) is refused by what is held for the nullifier it
/// claims before its proof is verified — each resend cost the writer a
/// Groth16 check and spent no budget. Shown with proofs that do not verify:
/// the refusal is stale_ballot / revote_too_soon, not bad_ballot.
#[test]
fn a_superseded_or_premature_ballot_is_refused_before_its_proof_is_checked() {
    let mut v = founded();
    let id = resolution(&mut v);
    let a1 = ballot(&v, id, 0, 1, Ballot::Yes);
    let a2 = ballot(&v, id, 0, 2, Ballot::No);
    let a3 = ballot(&v, id, 0, 3, Ballot::Abstain);
    let stranger = ballot(&v, id, 1, 1, Ballot::Yes);
    hold(&mut v, &a1, T2).unwrap();
    hold(&mut v, &a2, T2 + REVOTE_INTERVAL_SECS).unwrap();
    // A well-formed proof that does not prove this ballot (another's).
    let unproved = |b: &CastBallot| CastBallot {
        proof: stranger.proof.clone(),
        ..b.clone()
    };
    for _ in 0..3 {
        let e = refused_with(
            hold(&mut v, &unproved(&a1), T2 + REVOTE_INTERVAL_SECS + 1),
            "stale_ballot",
        );
        assert!(
            matches!(e, BallotRefusal::StaleBallot { held_seq: 2 }),
            "{e:?}"
        );
        assert!(!e.spent_proof());
    }
    let e = refused_with(
        hold(&mut v, &unproved(&a3), T2 + REVOTE_INTERVAL_SECS + 2),
        "revote_too_soon",
    );
    match e {
        BallotRefusal::RevoteTooSoon { now, retry_at } => assert_eq!(
            (now, retry_at),
            (T2 + REVOTE_INTERVAL_SECS + 2, T2 + 2 * REVOTE_INTERVAL_SECS)
        ),
        other => panic!("{other:?}"),
    }
    // Once the wait is over the proof is checked as ever: the unproved
    // re-vote is refused for its proof, the proved one held.
    let later = T2 + 2 * REVOTE_INTERVAL_SECS;
    match refused_with(hold(&mut v, &unproved(&a3), later), "bad_ballot") {
        BallotRefusal::Rejected(Rejection::BadBallot { reason }) => {
            assert_eq!(reason, BallotError::BadProof)
        }
        other => panic!("{other:?}"),
    }
    hold(&mut v, &a3, later).unwrap();
    // A nullifier nothing is held for goes to the proof as before.
    let fresh = unproved(&ballot(&v, id, 2, 1, Ballot::No));
    match refused_with(hold(&mut v, &fresh, later), "bad_ballot") {
        BallotRefusal::Rejected(Rejection::BadBallot { reason }) => {
            assert_eq!(reason, BallotError::BadProof)
        }
        other => panic!("{other:?}"),
    }
    let held = v.p.store().held_ballots(id).unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(held[0].hash, a3.hash());
}

/// Review s10 L5: the re-vote wait is by the sequencer's wall clock; if it
/// steps back, a re-vote waits at most REVOTE_INTERVAL_SECS from now, not
/// until the clock is back where the last ballot was held.
#[test]
fn a_clock_that_steps_back_delays_a_re_vote_by_the_interval_at_most() {
    let mut v = founded();
    let id = resolution(&mut v);
    let a1 = ballot(&v, id, 0, 1, Ballot::Yes);
    let a2 = ballot(&v, id, 0, 2, Ballot::No);
    let ahead = T2 + H;
    hold(&mut v, &a1, ahead).unwrap();
    // The clock is set back an hour.
    match refused_with(hold(&mut v, &a2, T2), "revote_too_soon") {
        BallotRefusal::RevoteTooSoon { now, retry_at } => {
            assert_eq!((now, retry_at), (T2, T2 + REVOTE_INTERVAL_SECS))
        }
        other => panic!("{other:?}"),
    }
    let e = refused_with(
        hold(&mut v, &a2, T2 + REVOTE_INTERVAL_SECS - 1),
        "revote_too_soon",
    );
    assert!(
        matches!(e, BallotRefusal::RevoteTooSoon { retry_at, .. } if retry_at == T2 + REVOTE_INTERVAL_SECS),
        "{e:?}"
    );
    let r = hold(&mut v, &a2, T2 + REVOTE_INTERVAL_SECS).unwrap();
    verify_ballot_receipt(&r, v.log.verifier_key(), &a2.hash()).unwrap();
    assert_eq!(v.p.store().held_ballots(id).unwrap()[0].hash, a2.hash());
}

#[test]
fn every_refusal_of_the_intake_has_its_code() {
    let mut v = founded();
    let id = resolution(&mut v);
    let other = propose(
        &mut v,
        1,
        Motion::Remove {
            handle: "erlan".into(),
        },
    );
    let a = ballot(&v, id, 0, 1, Ballot::Yes);
    // After the deadline by the sequencer's clock.
    match refused_with(hold(&mut v, &a, CLOSES), "voting_ended") {
        BallotRefusal::Rejected(Rejection::VotingEnded {
            closes_at, time, ..
        }) => {
            assert_eq!((closes_at, time), (CLOSES, CLOSES))
        }
        other => panic!("{other:?}"),
    }
    // Made for another proposal (same electorate, so the same root): the
    // scope differs and the proof fails.
    let elsewhere = CastBallot {
        proposal: other,
        ..a.clone()
    };
    match refused_with(hold(&mut v, &elsewhere, T2), "bad_ballot") {
        BallotRefusal::Rejected(Rejection::BadBallot { reason }) => {
            assert_eq!(reason, BallotError::BadProof)
        }
        other => panic!("{other:?}"),
    }
    assert!(hold(&mut v, &elsewhere, T2).unwrap_err().spent_proof());
    // Only a proof that was verified and failed spends the budget: a
    // malformed root, nullifier or proof, or a stale root, costs nothing.
    for cheap in [
        CastBallot {
            root: "00".into(),
            ..a.clone()
        },
        CastBallot {
            nullifier: "zz".repeat(32),
            ..a.clone()
        },
        CastBallot {
            proof: "00".repeat(256),
            ..a.clone()
        },
        CastBallot {
            root: "1".repeat(64),
            ..a.clone()
        },
    ] {
        let e = hold(&mut v, &cheap, T2).unwrap_err();
        assert!(!e.spent_proof(), "{e:?}");
    }
    // A ballot on an open (roll-call) vote: admissions are open under
    // this charter.
    let open = propose(
        &mut v,
        2,
        Motion::Admit {
            key: SecretKey::generate(&mut rand_core::OsRng, "farida")
                .unwrap()
                .verifier_key()
                .to_string(),
        },
    );
    let on_open = CastBallot {
        proposal: open,
        ..a.clone()
    };
    match refused_with(hold(&mut v, &on_open, T2), "secret_ballot") {
        BallotRefusal::Rejected(Rejection::BallotOnOpenVote { proposal }) => {
            assert_eq!(proposal, open)
        }
        other => panic!("{other:?}"),
    }
    // A ballot of a member who left, against the tree they were in: the
    // intake takes only the current epoch's root.
    let erlans = ballot(&v, id, 3, 1, Ballot::No);
    let resign = signed(&v, 3, T2 + 10, Action::Resign(Resign {}));
    admit(&mut v, &[resign], T2 + 10);
    match refused_with(hold(&mut v, &erlans, T2 + 20), "stale_root") {
        BallotRefusal::Rejected(Rejection::StaleRoot { proposal }) => assert_eq!(proposal, id),
        other => panic!("{other:?}"),
    }
    // Bodies: not to the ballot box, armored, damaged, too long, or a
    // plaintext of the wrong length.
    let identity = v.identity.clone();
    let stranger = age::x25519::Identity::generate().to_public().to_string();
    let plain = erkin_testkit::ballots::plain(&a);
    let mut damaged = body(&a, &v.recipient);
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    // (Two X25519 stanzas, the box's among them: a client makes one, and
    // each costs a Diffie-Hellman to try.)
    let two = erkin_testkit::ballots::encrypt_to(&plain, &[&stranger, &v.recipient]);
    for bad in [
        encrypt(&plain, &stranger),
        two,
        damaged,
        b"not age at all".to_vec(),
        vec![0; erkin_store::MAX_BALLOT_BODY_LEN + 1],
    ] {
        let e = refused_with(
            v.p.take_ballot(&bad, &identity, T2, &v.log)
                .map(|t| t.outcome.unwrap()),
            "bad_body",
        );
        assert!(matches!(e, BallotRefusal::Undecryptable), "{e:?}");
    }
    let e = refused_with(
        v.p.take_ballot(
            &encrypt(&plain[..BALLOT_PLAINTEXT_LEN - 1], &v.recipient),
            &identity,
            T2,
            &v.log,
        )
        .map(|t| t.outcome.unwrap()),
        "bad_body",
    );
    assert!(
        matches!(
            e,
            BallotRefusal::Body(BallotBodyError::WrongLength { len, .. }) if len == BALLOT_PLAINTEXT_LEN - 1
        ),
        "{e:?}"
    );
    let mut long = plain.clone();
    long.push(0);
    let e = refused_with(
        v.p.take_ballot(&encrypt(&long, &v.recipient), &identity, T2, &v.log)
            .map(|t| t.outcome.unwrap()),
        "bad_body",
    );
    assert!(
        matches!(e, BallotRefusal::Body(BallotBodyError::WrongLength { .. })),
        "{e:?}"
    );
    // Not canonical JSON inside: bad_ballot.
    let spaced = String::from_utf8(a.canonical_json())
        .unwrap()
        .replace(",\"seq\"", ", \"seq\"");
    // (Answered to the reply recipient: the body named one.)
    let e = refused_with(
        taken(v.p.take_ballot(
            &encrypt(
                &pad_ballot(spaced.as_bytes(), &erkin_testkit::ballots::reply()).unwrap(),
                &v.recipient,
            ),
            &identity,
            T2,
            &v.log,
        )),
        "bad_ballot",
    );
    assert!(
        matches!(e, BallotRefusal::Body(BallotBodyError::NotCanonical)),
        "{e:?}"
    );
    // A plaintext without a reply recipient (a client of before): refused
    // in clear, nothing of it read as a ballot.
    let mut old = a.canonical_json();
    old.push(b'\n');
    old.resize(BALLOT_PLAINTEXT_LEN, 0);
    let e = refused_with(
        v.p.take_ballot(&encrypt(&old, &v.recipient), &identity, T2, &v.log)
            .map(|t| t.outcome.unwrap()),
        "bad_body",
    );
    assert!(
        matches!(e, BallotRefusal::Body(BallotBodyError::NoReply)),
        "{e:?}"
    );
    // Nothing refused was held.
    assert!(v.p.store().held_ballots(id).unwrap().is_empty());
}

#[test]
fn a_departure_is_sealed_and_the_close_publishes_every_held_ballot() {
    let mut v = founded();
    let id = resolution(&mut v);
    let a = ballot(&v, id, 0, 1, Ballot::Yes);
    let d = ballot(&v, id, 3, 1, Ballot::No);
    hold(&mut v, &a, T2).unwrap();
    hold(&mut v, &d, T2).unwrap();
    // erlan resigns: a seal of the vote's epoch 0 goes right before.
    let from = v.p.store().size();
    let resign = signed(&v, 3, T2 + 10, Action::Resign(Resign {}));
    admit(&mut v, &[resign], T2 + 10);
    assert_eq!(kinds(&v, from), ["seal", "resign"]);
    let vote = vote_of(&v, id);
    assert_eq!((vote.seals.len(), vote.roots.len()), (1, 2));
    // aigerim votes again in epoch 1; bolat votes for the first time.
    let a2 = ballot(&v, id, 0, 2, Ballot::No);
    let r = hold(&mut v, &a2, T2 + 20).unwrap();
    assert_eq!(r.epoch, 1);
    let b = ballot(&v, id, 1, 1, Ballot::No);
    hold(&mut v, &b, T2 + 20).unwrap();
    assert_eq!(v.p.store().held_ballots(id).unwrap().len(), 4);
    // The deadline passes: one batch of the tick, the held ballots in
    // (epoch, hash) order and the close with the seal's salt.
    let from = v.p.store().size();
    let out = v.p.submit(&[], CLOSES + 5, &v.log).unwrap();
    assert!(out.checkpoint.is_some());
    assert_eq!(
        kinds(&v, from),
        ["ballot", "ballot", "ballot", "ballot", "close"]
    );
    let size = v.p.store().size();
    let entries = v.p.store().entries(from, size).unwrap();
    let published: Vec<(u64, [u8; 32])> = entries
        .iter()
        .filter_map(|e| match ParsedEntry::parse(e, ORIGIN).unwrap().body {
            EntryBody {
                time,
                action: Action::Ballot(b),
            } => {
                assert_eq!(time, v.p.state().log_time(), "dated at the log time");
                let epoch = if b.root == vote.roots[0] { 0 } else { 1 };
                Some((epoch, b.hash()))
            }
            _ => None,
        })
        .collect();
    let mut sorted = published.clone();
    sorted.sort();
    assert_eq!(published, sorted);
    let mut expected = vec![(0, a.hash()), (0, d.hash()), (1, a2.hash()), (1, b.hash())];
    expected.sort();
    assert_eq!(published, expected);
    let p = v.p.state().proposal(id).unwrap();
    let outcome = p.outcome.as_ref().expect("closed");
    let tally = outcome.secret.as_ref().unwrap();
    // aigerim counted once (her later "no"), erlan's "no" from before he
    // left, bolat's "no".
    assert_eq!((tally.turnout, tally.ballots, tally.departed), (3, 4, 1));
    assert_eq!((outcome.tally.yes, outcome.tally.no), (0, 3));
    // A ballot after the close: proposal_closed (whatever the clock).
    let c = cast(
        ORIGIN,
        id,
        &vote_of(&v, id),
        1,
        &v.secrets[2],
        1,
        Ballot::Yes,
    );
    match refused_with(hold(&mut v, &c, T2 + 30), "proposal_closed") {
        BallotRefusal::Rejected(Rejection::ProposalClosed(p)) => assert_eq!(p, id),
        other => panic!("{other:?}"),
    }
    // The held rows are gone; a refold of the log agrees.
    assert!(v.p.store().held_ballots(id).unwrap().is_empty());
    assert!(v.p.store().held_proposals().unwrap().is_empty());
    let digest = v.p.state().digest();
    drop(v.p);
    let again = Publication::open(&v.dir).unwrap();
    assert_eq!(again.state().digest(), digest);
}

#[test]
fn held_ballots_survive_reopening_and_are_published_at_the_close() {
    let mut v = founded();
    let id = resolution(&mut v);
    let a = ballot(&v, id, 0, 1, Ballot::Yes);
    let b = ballot(&v, id, 1, 1, Ballot::Yes);
    hold(&mut v, &a, T2).unwrap();
    hold(&mut v, &b, T2).unwrap();
    // The server stops (its publication dropped) and starts again.
    let reopened = Publication::open(&v.dir).unwrap();
    v.p = reopened;
    assert_eq!(v.p.store().held_ballots(id).unwrap().len(), 2);
    let from = v.p.store().size();
    v.p.submit(&[], CLOSES, &v.log).unwrap();
    assert_eq!(kinds(&v, from), ["ballot", "ballot", "close"]);
    let outcome = v.p.state().proposal(id).unwrap().outcome.clone().unwrap();
    assert!(outcome.passed);
    assert_eq!(outcome.secret.unwrap().turnout, 2);
    assert!(v.p.store().held_ballots(id).unwrap().is_empty());
    // A crash right after a close's batch leaves its held rows (put back
    // here by hand): the sequencer's start deletes them.
    v.p.store()
        .hold_ballot(id, 0, &a.hash(), &a.nullifier, 1, &a.canonical_json())
        .unwrap();
    v.p.store().put_salt(id, 0, &[7; 32]).unwrap();
    v.p = Publication::open(&v.dir).unwrap();
    assert_eq!(v.p.store().held_proposals().unwrap(), [id]);
    let recipient = v.recipient.clone();
    assert!(!v.p.set_ballot_box(&recipient, CLOSES + 60, &v.log).unwrap());
    assert!(v.p.store().held_proposals().unwrap().is_empty());
}

#[test]
fn the_write_ahead_log_keeps_no_held_ballot() {
    // Review finding 6: each held ballot was a WAL commit of its own, its
    // page (body, nullifier, choice) kept in erkin.sqlite-wal in arrival
    // order between the log's appends until a later checkpoint.
    let mut v = founded();
    let id = resolution(&mut v);
    let wal = v.dir.join("erkin.sqlite-wal");
    let a = ballot(&v, id, 0, 1, Ballot::Yes);
    let b = ballot(&v, id, 1, 1, Ballot::No);
    for x in [&a, &b] {
        hold(&mut v, x, T2).unwrap();
        let bytes = std::fs::read(&wal).unwrap_or_default();
        for held in [&a, &b] {
            for needle in [held.nullifier.as_bytes(), &held.proof.as_bytes()[..64]] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "a held ballot in the WAL ({} bytes)",
                    bytes.len()
                );
            }
        }
    }
    // The rows are in the database itself (held until the close).
    assert_eq!(v.p.store().held_ballots(id).unwrap().len(), 2);
}

#[test]
fn the_held_table_keeps_no_time_and_no_order() {
    let v = founded();
    let conn = rusqlite::Connection::open(v.dir.join("erkin.sqlite")).unwrap();
    let columns: Vec<String> = conn
        .prepare("SELECT name FROM pragma_table_info('held_ballots') ORDER BY cid")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        columns,
        [
            "proposal",
            "epoch",
            "ballot_hash",
            "nullifier",
            "seq",
            "body"
        ]
    );
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'held_ballots'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(sql.contains("WITHOUT ROWID"), "{sql}");
    assert!(
        sql.contains("PRIMARY KEY (proposal, epoch, ballot_hash)"),
        "{sql}"
    );
    // Its indexes hold the table's own columns, in no time order; the
    // intake's lookups before the proof (a ballot by its hash, a
    // nullifier's held seq) use them instead of reading every held row of
    // the proposal (review s10 M1: milliseconds at a few thousand rows).
    let index_columns = |index: &str| -> Vec<String> {
        conn.prepare(&format!(
            "SELECT name FROM pragma_index_info('{index}') ORDER BY seqno"
        ))
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
    };
    assert_eq!(
        index_columns("held_ballots_hash"),
        ["proposal", "ballot_hash"]
    );
    assert_eq!(
        index_columns("held_ballots_nullifier"),
        ["proposal", "nullifier", "seq"]
    );
    // (The queries of held.rs: held_ballot_epoch, held_seq.)
    for (query, index) in [
        (
            "SELECT epoch FROM held_ballots WHERE proposal = ?1 AND ballot_hash = ?2",
            "held_ballots_hash (proposal=? AND ballot_hash=?)",
        ),
        (
            "SELECT MAX(seq) FROM held_ballots WHERE proposal = ?1 AND nullifier = ?2",
            "held_ballots_nullifier (proposal=? AND nullifier=?)",
        ),
    ] {
        let plan: String = conn
            .query_row(
                &format!("EXPLAIN QUERY PLAN {query}"),
                rusqlite::params![1, "00"],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.ends_with(&format!("INDEX {index}")), "{query}: {plan}");
    }
}

#[test]
fn a_secret_removal_seals_the_other_secret_vote_its_member_leaves() {
    let mut v = founded();
    let remove = propose(
        &mut v,
        0,
        Motion::Remove {
            handle: "erlan".into(),
        },
    );
    let later = CLOSES + 10 * H;
    let id = propose_until(
        &mut v,
        1,
        Motion::Resolution {
            text: "Publish the audit".into(),
        },
        later,
    );
    // erlan votes on the resolution; three members vote to remove him.
    let e = ballot(&v, id, 3, 1, Ballot::Yes);
    hold(&mut v, &e, T2).unwrap();
    for who in 0..3 {
        let b = ballot(&v, remove, who, 1, Ballot::Yes);
        hold(&mut v, &b, T2).unwrap();
    }
    // At the removal's deadline: the resolution's seal, then the removal's
    // run of ballots and its close (which removes erlan).
    let from = v.p.store().size();
    v.p.submit(&[], CLOSES, &v.log).unwrap();
    assert_eq!(
        kinds(&v, from),
        ["seal", "ballot", "ballot", "ballot", "close"]
    );
    let outcome =
        v.p.state()
            .proposal(remove)
            .unwrap()
            .outcome
            .clone()
            .unwrap();
    assert!(outcome.passed, "{outcome:?}");
    assert!(!v.p.state().members().any(|m| m.handle == "erlan"));
    let vote = vote_of(&v, id);
    assert_eq!((vote.seals.len(), vote.roots.len()), (1, 2));
    assert!(v.p.store().held_ballots(remove).unwrap().is_empty());
    // The resolution goes on in epoch 1; its close opens the seal.
    let a = ballot(&v, id, 0, 1, Ballot::No);
    assert_eq!(hold(&mut v, &a, CLOSES + 60).unwrap().epoch, 1);
    let from = v.p.store().size();
    v.p.submit(&[], later, &v.log).unwrap();
    assert_eq!(kinds(&v, from), ["ballot", "ballot", "close"]);
    let outcome = v.p.state().proposal(id).unwrap().outcome.clone().unwrap();
    assert_eq!(outcome.secret.unwrap().turnout, 2);
}

/// Member `who`'s ballot on `id`, held at `now` (it must be taken): its
/// epoch.
fn held(v: &mut Vote, id: u64, who: usize, seq: u64, choice: Ballot, now: u64) -> u64 {
    let b = ballot(v, id, who, seq, choice);
    hold(v, &b, now)
        .unwrap_or_else(|e| panic!("refused at intake: {e:?}"))
        .epoch
}

/// Review s10 M2: a held ballot the fold refuses stops its proposal's close
/// for good, so every ballot the intake takes must be one the close's fold
/// takes. Over the cases that change what is held: every ballot key used
/// (the `ballot_overflow` edge), re-votes in one epoch and across epochs,
/// a resignation sealing two open votes, a removal closing and sealing the
/// other vote, the ballots of members who then left.
#[test]
fn every_ballot_the_intake_holds_is_published_by_the_close() {
    let mut v = founded();
    let later = CLOSES + 10 * H;
    let id = propose_until(
        &mut v,
        0,
        Motion::Resolution {
            text: "Publish the audit".into(),
        },
        later,
    );
    let rm = propose(
        &mut v,
        1,
        Motion::Remove {
            handle: "erlan".into(),
        },
    );
    let leaves = vote_of(&v, id).voters_possible();
    assert_eq!(leaves, 4);
    // Every ballot key votes on the resolution (as many nullifiers as
    // leaves); aigerim votes again in epoch 0.
    for who in 0..4 {
        assert_eq!(held(&mut v, id, who, 1, Ballot::Yes, T2), 0);
    }
    assert_eq!(
        held(&mut v, id, 0, 2, Ballot::No, T2 + REVOTE_INTERVAL_SECS),
        0
    );
    for who in 0..3 {
        held(&mut v, rm, who, 1, Ballot::Yes, T2);
    }
    // dana resigns: both votes are sealed and go to epoch 1.
    let from = v.p.store().size();
    let resign = signed(&v, 2, T2 + 100, Action::Resign(Resign {}));
    admit(&mut v, &[resign], T2 + 100);
    assert_eq!(kinds(&v, from), ["seal", "seal", "resign"]);
    // Re-votes across the epochs: aigerim's third, erlan's second.
    let t = T2 + 200;
    assert_eq!(held(&mut v, id, 0, 3, Ballot::Yes, t), 1);
    assert_eq!(held(&mut v, id, 3, 2, Ballot::No, t), 1);
    // bolat votes again on the removal in its epoch 1.
    assert_eq!(held(&mut v, rm, 1, 2, Ballot::Yes, t), 1);
    // The removal closes: the resolution is sealed again (erlan's leaf).
    let held_rm = v.p.store().held_ballots(rm).unwrap().len();
    let from = v.p.store().size();
    v.p.submit(&[], CLOSES, &v.log).unwrap();
    assert!(v.p.take_close_failures().is_empty());
    let mut expected = vec!["seal"];
    expected.extend(std::iter::repeat_n("ballot", held_rm));
    expected.push("close");
    assert_eq!(kinds(&v, from), expected);
    let o = v.p.state().proposal(rm).unwrap().outcome.clone().unwrap();
    assert!(o.passed, "{o:?}");
    assert!(!v.p.state().members().any(|m| m.handle == "erlan"));
    assert_eq!(vote_of(&v, id).roots.len(), 3);
    // Epoch 2: aigerim and bolat vote again; the departed members' ballots
    // stay held.
    let t = CLOSES + 60;
    assert_eq!(held(&mut v, id, 0, 4, Ballot::No, t), 2);
    assert_eq!(held(&mut v, id, 1, 2, Ballot::No, t), 2);
    let rows = v.p.store().held_ballots(id).unwrap();
    let epochs: Vec<u64> = rows.iter().map(|r| r.epoch).collect();
    assert_eq!(epochs, [0, 0, 0, 0, 1, 1, 2, 2]);
    // The close publishes every held ballot and counts each member once.
    let from = v.p.store().size();
    v.p.submit(&[], later, &v.log).unwrap();
    assert!(v.p.take_close_failures().is_empty());
    let mut expected = vec!["ballot"; rows.len()];
    expected.push("close");
    assert_eq!(kinds(&v, from), expected);
    let o = v.p.state().proposal(id).unwrap().outcome.clone().unwrap();
    let tally = o.secret.clone().unwrap();
    assert_eq!((tally.turnout, tally.ballots, tally.departed), (4, 8, 2));
    // aigerim's "no" (seq 4), bolat's "no", dana's "yes" and erlan's "no"
    // (cast before they left).
    assert_eq!((o.tally.yes, o.tally.no), (1, 3));
    assert!(v.p.store().held_proposals().unwrap().is_empty());
}

/// Review finding 7: a secret close that fails is said (without a ballot's
/// data), keeps every held ballot — each got a receipt — and is tried
/// again only after a back-off that doubles.
#[test]
fn a_close_that_fails_keeps_its_held_ballots_says_why_and_backs_off() {
    let mut v = founded();
    let id = resolution(&mut v);
    let unreadable = resolution(&mut v);
    let a = ballot(&v, id, 0, 1, Ballot::Yes);
    hold(&mut v, &a, T2).unwrap();
    // Held beside it (as a changed core or a damaged row would leave it):
    // a ballot whose choice is not the one proved, which the fold refuses.
    let mut b = ballot(&v, id, 1, 1, Ballot::Yes);
    b.choice = Ballot::No;
    v.p.store()
        .hold_ballot(id, 0, &b.hash(), &b.nullifier, 1, &b.canonical_json())
        .unwrap();
    // And in the other proposal, a held row that does not read as a ballot.
    let c = ballot(&v, unreadable, 2, 1, Ballot::Yes);
    v.p.store()
        .hold_ballot(unreadable, 0, &c.hash(), &c.nullifier, 1, b"{\"not\":")
        .unwrap();

    let from = v.p.store().size();
    assert!(v.p.close_due(CLOSES));
    v.p.submit(&[], CLOSES, &v.log).unwrap();
    // Nothing closed, nothing dropped.
    assert!(kinds(&v, from).is_empty(), "{:?}", kinds(&v, from));
    for p in [id, unreadable] {
        assert!(v.p.state().proposal(p).unwrap().outcome.is_none());
    }
    assert_eq!(v.p.store().held_ballots(id).unwrap().len(), 2);
    assert_eq!(v.p.store().held_ballots(unreadable).unwrap().len(), 1);
    let failures = v.p.take_close_failures();
    assert_eq!(failures.len(), 2, "{failures:?}");
    assert_eq!(
        (failures[0].proposal, &failures[0].reason),
        (id, &CloseStuck::BallotRefused { code: "bad_ballot" })
    );
    assert_eq!(
        (failures[1].proposal, &failures[1].reason),
        (unreadable, &CloseStuck::UnreadableBallot)
    );
    for f in &failures {
        assert_eq!((f.tries, f.retry_at), (1, CLOSES + 1));
        let said = f.to_string();
        assert!(
            said.starts_with(&format!("secret proposal #{} cannot close: ", f.proposal)),
            "{said}"
        );
        for x in [&a, &b, &c] {
            for data in [
                x.hash()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
                x.nullifier.clone(),
                x.proof[..16].to_string(),
            ] {
                assert!(!said.contains(&data), "{said}");
            }
        }
    }
    assert!(v.p.take_close_failures().is_empty());

    // Not due again, nor tried by a batch, before the back-off is over.
    assert!(!v.p.close_due(CLOSES));
    v.p.submit(&[], CLOSES, &v.log).unwrap();
    assert!(v.p.take_close_failures().is_empty());
    // Then tried, failing again: the wait doubles, 1, 2, 4 s...
    let mut now = CLOSES + 1;
    for (tries, wait) in [(2, 2), (3, 4), (4, 8)] {
        assert!(v.p.close_due(now));
        v.p.submit(&[], now, &v.log).unwrap();
        let failures = v.p.take_close_failures();
        assert_eq!(failures.len(), 2, "{failures:?}");
        for f in &failures {
            assert_eq!((f.tries, f.retry_at), (tries, now + wait));
        }
        assert!(!v.p.close_due(now + wait - 1));
        now += wait;
    }
    assert_eq!(v.p.store().held_ballots(id).unwrap().len(), 2);
    assert!(kinds(&v, from).is_empty(), "{:?}", kinds(&v, from));
    // ... up to ten minutes.
    assert_eq!(erkin_store::close_retry_secs(1), 1);
    assert_eq!(erkin_store::close_retry_secs(10), 512);
    assert_eq!(erkin_store::close_retry_secs(11), CLOSE_RETRY_MAX_SECS);
    assert_eq!(
        erkin_store::close_retry_secs(u32::MAX),
        CLOSE_RETRY_MAX_SECS
    );
}
