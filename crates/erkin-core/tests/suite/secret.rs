//! Secret proposals in the fold (issue 15, docs/BALLOT.md §4.4, §5.2–§7):
//! the charter's `secret` field and its entrenched floor; secret
//! proposals, their ballots (real proofs from semaphore-rs) and their count.

use erkin_core::action::Charter;
use erkin_core::charter::CharterError;
use erkin_core::state::Rejection;

use crate::ballot::{fe, identity, prove, prove_with};
use crate::governance::{amend, propose, publication, FOUNDERS, H, T1};
use crate::governance::{ballot_key, elect, key, resolution, Pub, ORIGIN, T0};
use erkin_core::action::{Action, Ballot, CastBallot, Close, Resign, Statement, Vote};
use erkin_core::ballot::{self, BallotError, ElectorateTree, FieldElement};
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::governance::{Effect, Outcome};
use erkin_core::secret::{SecretTally, SecretVote};
use semaphore_rs::identity::Identity;
use sha2::{Digest, Sha256};

/// A charter with every decision secret.
fn all_secret() -> Charter {
    let mut c = Charter::default();
    for r in [
        &mut c.admit,
        &mut c.remove,
        &mut c.amend,
        &mut c.retract,
        &mut c.redact,
        &mut c.resolution,
        &mut c.recall,
    ] {
        r.secret = true;
    }
    c.elect.secret = true;
    c
}

#[test]
fn a_charter_without_the_field_reads_every_kind_open_and_keeps_its_bytes() {
    let c = Charter::default();
    let json = serde_json::to_string(&c).unwrap();
    // Open rules write no `secret`: a charter's bytes (and every digest
    // and hash over them) are those it had before the field existed.
    assert!(!json.contains("secret"), "{json}");
    let back: Charter = serde_json::from_str(&json).unwrap();
    assert_eq!(back, c);
    for secret in [
        back.admit.secret,
        back.remove.secret,
        back.elect.secret,
        back.amend.secret,
        back.retract.secret,
        back.redact.secret,
        back.resolution.secret,
        back.recall.secret,
    ] {
        assert!(!secret);
    }
    // A secret rule writes the field, and reads it back.
    let s = all_secret();
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(json.matches("\"secret\":true").count(), 8, "{json}");
    assert_eq!(serde_json::from_str::<Charter>(&json).unwrap(), s);
    // `false` spelled out reads as open too (a hand-written charter).
    let spelled = serde_json::to_string(&c)
        .unwrap()
        .replace("\"min_hours\":72}", "\"min_hours\":72,\"secret\":false}");
    assert!(spelled.contains("\"secret\":false"));
    assert_eq!(serde_json::from_str::<Charter>(&spelled).unwrap(), c);
    all_secret().validate().unwrap();
}

#[test]
fn an_amendment_may_not_make_a_vote_on_people_open_again() {
    let mut p = publication(&FOUNDERS, all_secret());
    let closes_at = T1 + 168 * H;
    for (field, open) in [
        ("elect.secret", {
            let mut c = all_secret();
            c.elect.secret = false;
            c
        }),
        ("remove.secret", {
            let mut c = all_secret();
            c.remove.secret = false;
            c
        }),
        ("recall.secret", {
            let mut c = all_secret();
            c.recall.secret = false;
            c
        }),
    ] {
        let r = Rejection::BadCharter(CharterError::SecretEntrenched { rule: field });
        assert_eq!(r.code(), "bad_charter");
        assert!(r.to_string().contains(field), "{r}");
        p.refuse("aigerim", T1, propose(T1, closes_at, amend(open)), r);
    }
    // Every other kind may be made open again, and any kind secret.
    let mut c = all_secret();
    c.admit.secret = false;
    c.amend.secret = false;
    c.retract.secret = false;
    c.redact.secret = false;
    c.resolution.secret = false;
    p.propose("aigerim", T1, closes_at, amend(c));
    let mut open = publication(&FOUNDERS, Charter::default());
    open.propose("aigerim", T1, closes_at, amend(all_secret()));
    // A founding charter is the founders' choice: any mix is valid.
    let mut c = Charter::default();
    c.elect.secret = true;
    c.validate().unwrap();
    assert_eq!(
        c.check_amendment_of(&all_secret()),
        Err(CharterError::SecretEntrenched {
            rule: "remove.secret"
        })
    );
    assert_eq!(all_secret().check_amendment_of(&Charter::default()), Ok(()));
}

// ---------------------------------------------------------------------------
// Secret proposals and their ballots in the fold (§4.4, §5.2–§7), with real
// proofs from semaphore-rs.

/// The founders' ballot identities, in FOUNDERS' order.
fn ids() -> Vec<Identity> {
    (0..FOUNDERS.len())
        .map(|i| identity("secret-fold", i))
        .collect()
}

/// Resolutions, removals and elections decided secretly.
fn secret_charter() -> Charter {
    let mut c = Charter::default();
    c.resolution.secret = true;
    c.remove.secret = true;
    c.elect.secret = true;
    c
}

/// Six founders under [`secret_charter`]; all but kairat register a ballot key.
fn secret_pub() -> (Pub, Vec<Identity>) {
    let mut p = publication(&FOUNDERS, secret_charter());
    let ids = ids();
    for (h, id) in FOUNDERS.iter().zip(&ids).take(5) {
        p.act(h, T0 + 60, ballot_key(&fe(id.commitment()).to_hex()));
    }
    (p, ids)
}

fn secret_of(p: &Pub, id: u64) -> SecretVote {
    (**p.state
        .proposal(id)
        .unwrap()
        .secret
        .as_ref()
        .expect("a secret proposal"))
    .clone()
}

/// The tree of proposal `id` in `epoch`, from what the state records.
fn tree_of(p: &Pub, id: u64, epoch: usize) -> ElectorateTree {
    let s = secret_of(p, id);
    let leaves: Vec<FieldElement> = s
        .leaves
        .iter()
        .map(|l| {
            if s.departed[..epoch].contains(&l.handle) {
                FieldElement::ZERO
            } else {
                FieldElement::from_hex(&l.commitment).unwrap()
            }
        })
        .collect();
    let tree = ElectorateTree::new(&leaves).unwrap();
    assert_eq!(tree.root().to_hex(), s.roots[epoch]);
    tree
}

/// Member `who`'s ballot on proposal `id`, proved against `epoch`'s tree.
fn cast_in(
    p: &Pub,
    ids: &[Identity],
    id: u64,
    epoch: usize,
    who: &str,
    seq: u64,
    choice: Ballot,
) -> CastBallot {
    cast_with(p, ids, id, epoch, who, seq, choice, None)
}

/// [`cast_in`] with the proof's randomness from `rng` when given.
#[allow(clippy::too_many_arguments)]
fn cast_with(
    p: &Pub,
    ids: &[Identity],
    id: u64,
    epoch: usize,
    who: &str,
    seq: u64,
    choice: Ballot,
    rng: Option<&mut ark_std::rand::rngs::StdRng>,
) -> CastBallot {
    let s = secret_of(p, id);
    let tree = tree_of(p, id, epoch);
    let pos = s
        .leaves
        .iter()
        .position(|l| l.handle == who)
        .expect("a leaf");
    let i = FOUNDERS.iter().position(|h| *h == who).unwrap();
    let scope = FieldElement::from_hex(&s.scope).unwrap();
    let signal = ballot::signal(ORIGIN, id, seq, &ballot::choice_json(&choice).unwrap());
    let b = prove_with(&ids[i], &tree, pos, scope, signal, rng);
    CastBallot {
        proposal: id,
        root: b.root.to_hex(),
        nullifier: b.nullifier.to_hex(),
        seq,
        choice,
        proof: b.proof.to_hex(),
    }
}

fn cast(p: &Pub, ids: &[Identity], id: u64, who: &str, seq: u64, choice: Ballot) -> CastBallot {
    cast_in(p, ids, id, 0, who, seq, choice)
}

fn ballot_hash(b: &CastBallot) -> String {
    hex::encode(Sha256::digest(serde_json::to_vec(b).unwrap()))
}

/// `action` signed by the log key, dated `time`.
fn log_key_entry(time: u64, action: Action) -> Vec<u8> {
    sign_entry(ORIGIN, &EntryBody { time, action }, &key(ORIGIN)).unwrap()
}

/// `action` signed by the log key, dated at the log time.
fn by_log_key(p: &Pub, action: Action) -> Vec<u8> {
    log_key_entry(p.state.log_time(), action)
}

/// Ballots of one epoch in the order the sequencer publishes them.
fn sorted(mut ballots: Vec<CastBallot>) -> Vec<CastBallot> {
    ballots.sort_by_key(ballot_hash);
    ballots
}

fn publish(p: &mut Pub, b: CastBallot) {
    let bytes = by_log_key(p, Action::Ballot(b));
    p.apply_bytes(&bytes);
}

fn log_key_close(p: &mut Pub, id: u64) -> Outcome {
    let bytes = by_log_key(
        p,
        Action::Close(Close {
            proposal: id,
            salts: Vec::new(),
        }),
    );
    p.apply_bytes(&bytes);
    p.outcome(id)
}

/// The close batch: a tick at `closes_at`, the ballots in order, the log
/// key's close.
fn close_batch(p: &mut Pub, id: u64, closes_at: u64, ballots: Vec<CastBallot>) -> Outcome {
    p.tick(closes_at);
    for b in ballots {
        publish(p, b);
    }
    log_key_close(p, id)
}

fn refuse_ballot(p: &mut Pub, b: CastBallot, expected: Rejection) {
    let bytes = by_log_key(p, Action::Ballot(b));
    p.refuse_bytes(&bytes, expected);
}

#[test]
fn a_secret_proposal_records_its_scope_and_the_tree_of_ballot_keys() {
    let (mut p, ids) = secret_pub();
    let (id, _) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let prop = p.state.proposal(id).unwrap().clone();
    assert!(prop.rule.secret());
    let s = secret_of(&p, id);
    // Five leaves in handle order; kairat, without a ballot key, has none
    // (every leaf after the fifth is zero).
    let handles: Vec<&str> = s.leaves.iter().map(|l| l.handle.as_str()).collect();
    assert_eq!(handles, &FOUNDERS[..5]);
    let commitments: Vec<FieldElement> = ids[..5].iter().map(|i| fe(i.commitment())).collect();
    for (l, c) in s.leaves.iter().zip(&commitments) {
        assert_eq!(l.commitment, c.to_hex());
    }
    // Epoch 0's root is semaphore-rs's tree over those leaves.
    assert_eq!(
        s.roots,
        vec![crate::ballot::semaphore_root(&commitments).to_hex()]
    );
    // The scope names the origin, the proposal and its propose entry's leaf.
    let leaf = p
        .state
        .entry_hashes()
        .find(|h| ballot::scope(ORIGIN, id, &h.0).to_hex() == s.scope);
    assert!(leaf.is_some(), "the scope is of one of the log's entries");
    assert!(s.ballots.is_empty() && s.departed.is_empty());
    assert!(prop.votes.is_empty());
    // A ballot key registered after the proposal does not enter its tree.
    p.act(
        "kairat",
        T1 + 60,
        ballot_key(&fe(ids[5].commitment()).to_hex()),
    );
    assert_eq!(secret_of(&p, id).leaves.len(), 5);
    // A proposal under an open rule records none of it, and its JSON (the
    // digest's input) has no `secret` field.
    let mut open = publication(&FOUNDERS, Charter::default());
    let (oid, _) = open.propose_min("aigerim", T1, resolution("Publish the audit"));
    let op = open.state.proposal(oid).unwrap();
    assert!(op.secret.is_none() && !op.rule.secret());
    assert!(!serde_json::to_string(op).unwrap().contains("secret"));
    assert!(serde_json::to_string(&prop)
        .unwrap()
        .contains("\"secret\":{"));
}

#[test]
fn a_secret_yes_no_vote_counts_the_last_ballot_per_nullifier() {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    // Epoch 0: aigerim no (seq 1), bolat yes, dana yes, erlan abstains.
    let mut epoch0 = vec![
        cast(&p, &ids, id, "aigerim", 1, Ballot::No),
        cast(&p, &ids, id, "bolat", 1, Ballot::Yes),
        cast(&p, &ids, id, "dana", 1, Ballot::Yes),
        cast(&p, &ids, id, "erlan", 1, Ballot::Abstain),
    ];
    // farida resigns while the vote is open (the sequencer seals the
    // ballots it holds first): her leaf is zeroed, epoch 1.
    seal_then_resign(
        &mut p,
        id,
        "farida",
        T1 + H,
        &epoch0.iter().collect::<Vec<_>>(),
    );
    let s = secret_of(&p, id);
    assert_eq!(s.roots.len(), 2);
    assert_eq!(s.departed, ["farida"]);
    // aigerim votes again, later, against the new tree: yes, seq 2.
    let revote = cast_in(&p, &ids, id, 1, "aigerim", 2, Ballot::Yes);
    epoch0 = sorted(epoch0);
    let mut run = epoch0.clone();
    run.push(revote);
    let digest_before = p.state.digest();
    let o = close_batch_with(&mut p, id, closes_at, run, &[SALT]);
    // Counted: aigerim's later ballot (yes), bolat, dana (yes), erlan
    // (abstain); eligible: the five still members.
    assert_eq!(
        (o.tally.yes, o.tally.no, o.tally.abstain, o.tally.eligible),
        (3, 0, 1, 5)
    );
    assert!(o.quorum_met && o.passed, "{o:?}");
    assert_eq!(o.effect, Effect::Resolved);
    assert!(o.counted.is_empty(), "nobody knows whose ballots counted");
    assert_eq!(
        o.secret,
        Some(SecretTally {
            turnout: 4,
            ballots: 5,
            departed: 1,
            roots: s.roots.clone(),
        })
    );
    let s = secret_of(&p, id);
    assert_eq!(s.ballots.len(), 5);
    assert_eq!(s.counted().len(), 4);
    assert_eq!(
        s.counted().iter().filter(|b| b.seq == 2).count(),
        1,
        "the re-vote counts, not the first"
    );
    assert_ne!(p.state.digest(), digest_before);
    // After the close the run is over: any entry may follow.
    p.act(
        "bolat",
        closes_at + 1,
        Action::Statement(Statement {
            text: "done".into(),
        }),
    );
    // The state survives a snapshot, secret proposal and all.
    let back = crate::common::through_snapshot(&p.state);
    assert_eq!(back.proposal(id), p.state.proposal(id));
    assert_eq!(back.digest(), p.state.digest());
    assert_eq!(erkin_core::snapshot::FORMAT, 8);

    // The same count with aigerim's re-vote left out: her "no" counts.
    let (mut q, ids) = secret_pub();
    let (id, closes_at) = q.propose_min("aigerim", T1, resolution("Publish the audit"));
    let run = sorted(vec![
        cast(&q, &ids, id, "aigerim", 1, Ballot::No),
        cast(&q, &ids, id, "bolat", 1, Ballot::Yes),
    ]);
    let o = close_batch(&mut q, id, closes_at, run);
    assert_eq!((o.tally.yes, o.tally.no, o.tally.eligible), (1, 1, 6));
    assert!(!o.passed && o.quorum_met);
    assert_eq!(o.secret.as_ref().unwrap().turnout, 2);
}

#[test]
fn a_secret_close_with_no_ballots_fails_on_quorum_and_is_the_log_keys_at_its_deadline() {
    let (mut p, _) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    // A member may not close a secret proposal, even after its deadline.
    p.refuse(
        "bolat",
        closes_at,
        erkin_core::action::Action::Close(Close {
            proposal: id,
            salts: Vec::new(),
        }),
        Rejection::SecretCloseByMember { proposal: id },
    );
    assert_eq!(
        Rejection::SecretCloseByMember { proposal: id }.code(),
        "not_permitted"
    );
    // Nor the log key before it (no early close of a secret vote).
    let mut early = secret_pub().0;
    let (eid, ecloses) = early.propose_min("aigerim", T1, resolution("Publish the audit"));
    early.tick(ecloses - 1);
    let bytes = by_log_key(
        &early,
        Action::Close(Close {
            proposal: eid,
            salts: Vec::new(),
        }),
    );
    early.refuse_bytes(
        &bytes,
        Rejection::TooEarly {
            proposal: eid,
            closes_at: ecloses,
            time: ecloses - 1,
        },
    );
    let o = log_key_close(&mut p, id);
    assert_eq!(o.effect, Effect::NoQuorum);
    assert_eq!(o.secret.as_ref().map(|s| s.turnout), Some(0));
}

#[test]
fn a_secret_stv_election_counts_the_rankings() {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) =
        p.propose_min("aigerim", T1, elect(&["aigerim", "bolat", "dana", "erlan"]));
    // Nominations are public and signed, as in an open election.
    assert_eq!(p.state.proposal(id).unwrap().candidates().len(), 4);
    let rankings = [
        ("aigerim", vec!["aigerim", "bolat"]),
        ("bolat", vec!["bolat", "aigerim"]),
        ("dana", vec!["dana", "aigerim"]),
        ("erlan", vec!["aigerim", "dana"]),
        ("farida", vec!["bolat", "dana"]),
    ];
    let ballots: Vec<CastBallot> = rankings
        .iter()
        .map(|(who, r)| {
            cast(
                &p,
                &ids,
                id,
                who,
                1,
                Ballot::Ranked(r.iter().map(|s| s.to_string()).collect()),
            )
        })
        .collect();
    let o = close_batch(&mut p, id, closes_at, sorted(ballots));
    assert!(o.quorum_met && o.passed, "{o:?}");
    assert!(o.counted.is_empty());
    assert_eq!(o.secret.as_ref().unwrap().turnout, 5);
    // The same rankings counted by STV directly, with the seed drawn at
    // the close, elect the same editors.
    let prop = p.state.proposal(id).unwrap();
    let election = p.state.stv_election(prop, &[]);
    assert_eq!(election.ballots.len(), 5);
    assert_eq!(election.seed, prop.seed);
    let outcome = erkin_core::stv::count(&election).unwrap();
    let elected: Vec<String> = outcome
        .elected
        .iter()
        .map(|&i| election.candidates[i].clone())
        .collect();
    assert_eq!(o.elected, elected);
    assert_eq!(o.elected.len(), 3);
    assert!(matches!(o.effect, Effect::BoardElected { .. }), "{o:?}");
    let mut board = p.board();
    board.sort();
    let mut want = o.elected.clone();
    want.sort();
    assert_eq!(board, want);
}

#[test]
fn a_ballot_for_another_proposal_or_from_an_outsider_is_refused() {
    let (mut p, ids) = secret_pub();
    let (a, _) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let (b, closes_b) = p.propose_min("aigerim", T1 + 60, resolution("Buy a printer"));
    // Same electorate, same keys: the same tree, different scopes.
    assert_eq!(secret_of(&p, a).roots, secret_of(&p, b).roots);
    assert_ne!(secret_of(&p, a).scope, secret_of(&p, b).scope);
    let for_a = cast(&p, &ids, a, "bolat", 1, Ballot::Yes);
    p.tick(closes_b);
    // Replayed under b: its proof does not open for b's scope and signal.
    let replayed = CastBallot {
        proposal: b,
        ..for_a.clone()
    };
    let r = || Rejection::BadBallot {
        reason: BallotError::BadProof,
    };
    assert_eq!(r().code(), "bad_ballot");
    refuse_ballot(&mut p, replayed, r());
    // An outsider: a real identity, proved against a tree holding the
    // electorate and them. Its root is none of b's.
    let stranger = identity("secret-outsider", 0);
    let s = secret_of(&p, b);
    let mut leaves: Vec<FieldElement> = s
        .leaves
        .iter()
        .map(|l| FieldElement::from_hex(&l.commitment).unwrap())
        .collect();
    leaves.push(fe(stranger.commitment()));
    let bigger = ElectorateTree::new(&leaves).unwrap();
    let scope = FieldElement::from_hex(&s.scope).unwrap();
    let signal = ballot::signal(ORIGIN, b, 1, "\"no\"");
    let proof = prove(&stranger, &bigger, 5, scope, signal);
    let outsider = CastBallot {
        proposal: b,
        root: proof.root.to_hex(),
        nullifier: proof.nullifier.to_hex(),
        seq: 1,
        choice: Ballot::No,
        proof: proof.proof.to_hex(),
    };
    let stale = Rejection::StaleRoot { proposal: b };
    assert_eq!(stale.code(), "stale_root");
    refuse_ballot(&mut p, outsider.clone(), stale);
    // Claiming the electorate's root: no leaf of it opens to the proof.
    let claimed = CastBallot {
        root: s.roots[0].clone(),
        ..outsider
    };
    refuse_ballot(&mut p, claimed, r());
    // A forged linkage: bolat's ballot with dana's nullifier.
    let danas = cast(&p, &ids, b, "dana", 1, Ballot::Yes);
    let bolats = cast(&p, &ids, b, "bolat", 1, Ballot::Yes);
    let forged = CastBallot {
        nullifier: danas.nullifier.clone(),
        ..bolats.clone()
    };
    refuse_ballot(&mut p, forged, r());
    // A changed choice: the signal binds it.
    let changed = CastBallot {
        choice: Ballot::No,
        ..bolats.clone()
    };
    refuse_ballot(&mut p, changed, r());
    // The genuine ballot is accepted.
    publish(&mut p, bolats);
}

#[test]
fn ballots_wait_for_the_deadline_and_members_cannot_vote_openly() {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    // A member's signed vote on a secret proposal would publish their choice.
    let r = Rejection::SecretBallot { proposal: id };
    assert_eq!(r.code(), "secret_ballot");
    p.refuse(
        "bolat",
        T1 + 60,
        Action::Vote(Vote {
            proposal: id,
            ballot: Ballot::Yes,
        }),
        r,
    );
    // A real ballot, published before the deadline: too early.
    let b = cast(&p, &ids, id, "bolat", 1, Ballot::Yes);
    p.tick(closes_at - 1);
    let early = Rejection::BallotTooEarly {
        proposal: id,
        closes_at,
        time: closes_at - 1,
    };
    assert_eq!(early.code(), "too_early");
    assert_eq!(
        early.times().map(|t| (t.time, t.reference)),
        Some((closes_at - 1, closes_at))
    );
    refuse_ballot(&mut p, b.clone(), early);
    // A ballot signed by a member, not the log key: refused.
    p.tick(closes_at);
    let bytes = p.sign("bolat", closes_at, Action::Ballot(b.clone()));
    p.refuse_bytes(&bytes, Rejection::BallotNotByLogKey);
    assert_eq!(Rejection::BallotNotByLogKey.code(), "not_permitted");
    // A ballot on an open (roll-call) proposal, on none, on a closed one.
    let mut open = publication(&FOUNDERS, Charter::default());
    let (oid, ocloses) = open.propose_min("aigerim", T1, resolution("Publish the audit"));
    open.tick(ocloses);
    let on_open = CastBallot {
        proposal: oid,
        ..b.clone()
    };
    let r = Rejection::BallotOnOpenVote { proposal: oid };
    assert_eq!(r.code(), "secret_ballot");
    refuse_ballot(&mut open, on_open, r);
    let none = CastBallot {
        proposal: 999,
        ..b.clone()
    };
    refuse_ballot(&mut p, none, Rejection::UnknownProposal(999));
    log_key_close(&mut p, id);
    refuse_ballot(&mut p, b, Rejection::ProposalClosed(id));
}

#[test]
fn malformed_ballots_are_refused_with_their_own_reason() {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let b = cast(&p, &ids, id, "bolat", 1, Ballot::Yes);
    p.tick(closes_at);
    let bad = |reason| Rejection::BadBallot { reason };
    let r = "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    for (ballot, expected) in [
        (
            CastBallot {
                root: b.root[1..].into(),
                ..b.clone()
            },
            bad(BallotError::BadEncoding),
        ),
        (
            CastBallot {
                root: b.root.to_uppercase(),
                ..b.clone()
            },
            bad(BallotError::BadEncoding),
        ),
        (
            CastBallot {
                nullifier: r.into(),
                ..b.clone()
            },
            bad(BallotError::NonCanonical),
        ),
        (
            CastBallot {
                proof: "0".repeat(512),
                ..b.clone()
            },
            bad(BallotError::PointAtInfinity),
        ),
        (
            CastBallot {
                proof: b.proof[2..].into(),
                ..b.clone()
            },
            bad(BallotError::BadEncoding),
        ),
        (
            CastBallot {
                seq: 0,
                ..b.clone()
            },
            Rejection::BallotSeqZero,
        ),
        (
            CastBallot {
                choice: Ballot::Ranked(vec!["bolat".into()]),
                ..b.clone()
            },
            Rejection::WrongBallot {
                expected: erkin_core::rejection::BallotKind::YesNo,
            },
        ),
    ] {
        refuse_ballot(&mut p, ballot, expected);
    }
    assert_eq!(Rejection::BallotSeqZero.code(), "bad_ballot");
    // An unknown field: the entry is malformed.
    let json = serde_json::to_string(&Action::Ballot(b.clone()))
        .unwrap()
        .replacen("{\"proposal\"", "{\"epoch\":0,\"proposal\"", 1);
    let text = format!(
        "{}\n{ORIGIN}\n{{\"time\":{},\"action\":{json}}}\n",
        erkin_core::entry::ENTRY_FORMAT,
        p.state.log_time()
    );
    let bytes = erkin_core::note::sign_note(&text, &key(ORIGIN));
    let before = (p.state.digest(), p.state.size());
    assert_eq!(p.state.apply(&bytes).unwrap_err().code(), "bad_entry");
    assert_eq!((p.state.digest(), p.state.size()), before);
    publish(&mut p, b);
}

#[test]
fn the_run_is_sorted_and_unbroken() {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let (other, _) = p.propose_min("aigerim", T1, resolution("Buy a printer"));
    let ballots = sorted(vec![
        cast(&p, &ids, id, "aigerim", 1, Ballot::Yes),
        cast(&p, &ids, id, "bolat", 1, Ballot::No),
        cast(&p, &ids, id, "dana", 1, Ballot::Yes),
    ]);
    p.tick(closes_at);
    publish(&mut p, ballots[1].clone());
    // Out of hash order: refused.
    let unsorted = || Rejection::BallotUnsorted { proposal: id };
    assert_eq!(unsorted().code(), "ballot_order");
    refuse_ballot(&mut p, ballots[0].clone(), unsorted());
    // The same ballot again: the same entry bytes (a ballot is dated at
    // the log time, and Ed25519 signs deterministically), so a replay; in
    // an entry dated otherwise, refused for its date.
    let again = by_log_key(&p, Action::Ballot(ballots[1].clone()));
    p.refuse_bytes(&again, Rejection::Duplicate);
    let bytes = log_key_entry(p.state.log_time() + 1, Action::Ballot(ballots[1].clone()));
    p.refuse_bytes(
        &bytes,
        Rejection::BallotNotAtLogTime {
            time: p.state.log_time() + 1,
            log_time: p.state.log_time(),
        },
    );
    // Nothing else may come between the ballots and their close.
    let run = || Rejection::BallotRunOpen { proposal: id };
    assert_eq!(run().code(), "ballot_order");
    p.refuse(
        "erlan",
        closes_at,
        Action::Statement(Statement {
            text: "hello".into(),
        }),
        run(),
    );
    let tick = log_key_entry(closes_at + 60, Action::Tick(erkin_core::action::Tick {}));
    p.refuse_bytes(&tick, run());
    let bytes = by_log_key(
        &p,
        Action::Close(Close {
            proposal: other,
            salts: Vec::new(),
        }),
    );
    p.refuse_bytes(&bytes, run());
    let elsewhere = CastBallot {
        proposal: other,
        ..ballots[2].clone()
    };
    refuse_ballot(&mut p, elsewhere, run());
    publish(&mut p, ballots[2].clone());
    let o = log_key_close(&mut p, id);
    assert_eq!(o.secret.as_ref().unwrap().turnout, 2);
}

#[test]
fn a_nullifier_votes_once_per_epoch_with_a_rising_seq() {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    // Two ballots of aigerim's in epoch 0: whichever sorts second is refused.
    let pair = sorted(vec![
        cast(&p, &ids, id, "aigerim", 1, Ballot::Yes),
        cast(&p, &ids, id, "aigerim", 2, Ballot::No),
    ]);
    assert_eq!(pair[0].nullifier, pair[1].nullifier);
    // farida leaves: epoch 1 (the sequencer held pair[0], the later of
    // the two it was sent). aigerim's epoch-1 ballots: seq 1 (not above
    // her epoch-0 ballot's) and seq 3.
    seal_then_resign(&mut p, id, "farida", T1 + H, &[&pair[0]]);
    let low = cast_in(&p, &ids, id, 1, "aigerim", pair[0].seq, Ballot::No);
    let high = cast_in(&p, &ids, id, 1, "aigerim", 3, Ballot::No);
    p.tick(closes_at);
    publish(&mut p, pair[0].clone());
    let twice = Rejection::BallotSeqNotAbove {
        proposal: id,
        seq: pair[1].seq,
        previous: pair[0].seq,
    };
    assert_eq!(twice.code(), "ballot_order");
    refuse_ballot(&mut p, pair[1].clone(), twice);
    refuse_ballot(
        &mut p,
        low,
        Rejection::BallotSeqNotAbove {
            proposal: id,
            seq: pair[0].seq,
            previous: pair[0].seq,
        },
    );
    publish(&mut p, high);
    let bytes = by_log_key(&p, salted_close(id, &[SALT]));
    p.apply_bytes(&bytes);
    let o = p.outcome(id);
    // One member voted; her last ballot (no) counts; farida left.
    assert_eq!((o.tally.yes, o.tally.no, o.tally.eligible), (0, 1, 5));
    assert_eq!(
        o.secret
            .as_ref()
            .map(|s| (s.turnout, s.ballots, s.departed)),
        Some((1, 2, 1))
    );
}

/// A forger's ballot on proposal `id`: any nullifier, proved under a key
/// whose setup the forger knows (`crate::ballot::forger`).
fn forged(p: &Pub, forger: &crate::ballot::forger::Forger, id: u64, n: u64) -> CastBallot {
    let s = secret_of(p, id);
    let root = FieldElement::from_hex(&s.roots[0]).unwrap();
    let nullifier = FieldElement::from_hex(&format!("{n:064x}")).unwrap();
    let scope = FieldElement::from_hex(&s.scope).unwrap();
    let signal = ballot::signal(ORIGIN, id, 1, "\"yes\"");
    CastBallot {
        proposal: id,
        root: root.to_hex(),
        nullifier: nullifier.to_hex(),
        seq: 1,
        choice: Ballot::Yes,
        proof: forger.prove([root, nullifier, signal, scope]).to_hex(),
    }
}

#[test]
fn more_nullifiers_than_ballot_keys_is_a_broken_setup_and_refused() {
    let forger = crate::ballot::forger::new();
    // Under the pinned key a forged ballot is refused outright.
    let (mut honest, _) = secret_pub();
    let (id, closes_at) = honest.propose_min("aigerim", T1, resolution("Publish the audit"));
    let ballot = forged(&honest, &forger, id, 1);
    honest.tick(closes_at);
    refuse_ballot(
        &mut honest,
        ballot,
        Rejection::BadBallot {
            reason: BallotError::BadProof,
        },
    );
    // A fold whose key the forger holds (a broken trusted setup): six
    // ballots with distinct nullifiers, but only five ballot keys.
    let (mut p, _) = secret_pub();
    p.state.judge_ballots_with(forger.verifier.clone());
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let six = sorted((1..=6).map(|n| forged(&p, &forger, id, n)).collect());
    p.tick(closes_at);
    let mut six = six.into_iter();
    for b in six.by_ref().take(5) {
        publish(&mut p, b);
    }
    // The sixth distinct nullifier is refused as it is published (so a run
    // stays bounded: at most one ballot per leaf and epoch).
    let r = Rejection::BallotOverflow {
        proposal: id,
        nullifiers: 6,
        leaves: 5,
    };
    assert_eq!(r.code(), "ballot_overflow");
    refuse_ballot(&mut p, six.next().unwrap(), r);
    // Five forged ballots pass the tripwire: a forger can take the place
    // of members who did not vote (BALLOT.md §4.5), which is why it is
    // stated, not hidden.
    let (mut q, _) = secret_pub();
    q.state.judge_ballots_with(forger.verifier.clone());
    let (id, closes_at) = q.propose_min("aigerim", T1, resolution("Publish the audit"));
    let five = sorted((1..=5).map(|n| forged(&q, &forger, id, n)).collect());
    let o = close_batch(&mut q, id, closes_at, five);
    assert_eq!(o.secret.as_ref().map(|s| s.turnout), Some(5));
}

#[test]
fn an_amendment_cannot_undo_at_its_close_the_secrecy_another_has_since_made() {
    use erkin_core::governance::NoEffect;
    let mut p = publication(&FOUNDERS, Charter::default());
    // A: proposed while elections are open, leaves them open (and changes
    // something else). B: makes elections secret, and closes first.
    let mut a_charter = Charter::default();
    a_charter.admit.min_hours = 96;
    let a = p.propose("aigerim", T1, T1 + 200 * H, amend(a_charter));
    let mut b_charter = Charter::default();
    b_charter.elect.secret = true;
    let b = p.propose("bolat", T1, T1 + 168 * H, amend(b_charter.clone()));
    for who in FOUNDERS {
        p.vote(who, T1 + 60, a, Ballot::Yes);
        p.vote(who, T1 + 60, b, Ballot::Yes);
    }
    // Everyone has voted: both may close now; B first.
    let o = p.close("dana", T1 + 120, b);
    assert_eq!(o.effect, Effect::CharterAmended);
    assert!(p.state.charter().elect.secret);
    let o = p.close("dana", T1 + 180, a);
    assert!(o.passed);
    assert_eq!(
        o.effect,
        Effect::CouldNotTakeEffect {
            why: NoEffect::SecretEntrenched {
                field: "elect.secret".into()
            }
        }
    );
    assert_eq!(*p.state.charter(), b_charter, "B's charter stays in force");
    assert_eq!(
        serde_json::to_string(&o.effect).unwrap(),
        r#"{"kind":"could_not_take_effect","why":{"reason":"secret_entrenched","field":"elect.secret"}}"#
    );
}

#[test]
fn a_secret_removal_passes_and_starts_a_new_epoch_in_another_open_secret_vote() {
    use crate::governance::remove;
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1 + 60, remove("farida"));
    // Another secret vote, still open when the removal closes.
    let (other, _) = p.propose_min("aigerim", T1 + 100 * H, resolution("Publish the audit"));
    assert!(p.state.proposal(id).unwrap().rule.secret());
    let ballots: Vec<CastBallot> = [
        ("aigerim", Ballot::Yes),
        ("bolat", Ballot::Yes),
        ("dana", Ballot::Yes),
        ("farida", Ballot::No),
    ]
    .into_iter()
    .map(|(who, b)| cast(&p, &ids, id, who, 1, b))
    .collect();
    let hashes: Vec<String> = sorted(ballots.clone()).iter().map(ballot_hash).collect();
    // The close batch: tick, the seal of the other vote, the ballots, the close.
    p.tick(closes_at);
    let bytes = by_log_key(&p, seal(other, commit_to(other, 0, &SALT, &[])));
    p.apply_bytes(&bytes);
    let o = close_batch(&mut p, id, closes_at, sorted(ballots));
    // 3 yes, 1 no: at least 2/3 of the votes cast, 4 of 6 took part.
    assert_eq!((o.tally.yes, o.tally.no, o.tally.eligible), (3, 1, 6));
    assert_eq!(
        o.effect,
        Effect::Removed {
            handle: "farida".into()
        }
    );
    assert!(p.state.member("farida").is_none());
    // The log published each ballot under the hash the member computed.
    let published: Vec<String> = secret_of(&p, id)
        .ballots
        .iter()
        .map(|b| b.hash.clone())
        .collect();
    assert_eq!(published, hashes);
    // farida held a leaf in the other open secret vote: it starts epoch 1
    // without her.
    let s = secret_of(&p, other);
    assert_eq!(s.departed, ["farida"]);
    assert_eq!(s.roots.len(), 2);
    tree_of(&p, other, 1);
    // Her ballot key is retired with her membership.
    assert!(p.state.ballot_keys().get("farida").is_none());
}

#[test]
fn a_departed_members_proof_does_not_open_under_the_new_root() {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    seal_then_resign(&mut p, id, "farida", T1 + H, &[]);
    // farida can only prove against epoch 0's tree (her leaf is zero in
    // epoch 1's); presented with epoch 1's root, the proof does not open.
    let old = cast_in(&p, &ids, id, 0, "farida", 1, Ballot::Yes);
    let s = secret_of(&p, id);
    assert_eq!(old.root, s.roots[0]);
    let relabelled = CastBallot {
        root: s.roots[1].clone(),
        ..old
    };
    p.tick(closes_at);
    refuse_ballot(
        &mut p,
        relabelled,
        Rejection::BadBallot {
            reason: BallotError::BadProof,
        },
    );
    // A member still in the tree proves against the new root.
    let danas = cast_in(&p, &ids, id, 1, "dana", 1, Ballot::Yes);
    publish(&mut p, danas);
}

// ---------------------------------------------------------------------------
// Seals (§5.4, §6 "seal"): a departure during a secret vote is announced by
// a seal of the ballots held so far, and the close opens it.

fn seal(id: u64, commitment: String) -> Action {
    Action::Seal(erkin_core::action::Seal {
        proposal: id,
        commitment,
    })
}

fn hash_bytes(b: &CastBallot) -> [u8; 32] {
    Sha256::digest(serde_json::to_vec(b).unwrap()).into()
}

/// The commitment to `held` for epoch `epoch` of proposal `id`.
fn commit_to(id: u64, epoch: u64, salt: &[u8; 32], held: &[&CastBallot]) -> String {
    let mut hashes: Vec<[u8; 32]> = held.iter().map(|b| hash_bytes(b)).collect();
    hashes.sort_unstable();
    erkin_core::secret::seal_commitment(ORIGIN, id, epoch, salt, &hashes)
}

fn salted_close(id: u64, salts: &[[u8; 32]]) -> Action {
    Action::Close(Close {
        proposal: id,
        salts: salts.iter().map(hex::encode).collect(),
    })
}

const SALT: [u8; 32] = [7; 32];

/// A secret vote on which aigerim's ballot is held when farida leaves: the
/// seal of epoch 0, then her resignation.
fn sealed_scenario() -> (Pub, Vec<Identity>, u64, u64, CastBallot) {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let a = cast(&p, &ids, id, "aigerim", 1, Ballot::Yes);
    p.tick(T1 + H);
    let bytes = by_log_key(&p, seal(id, commit_to(id, 0, &SALT, &[&a])));
    p.apply_bytes(&bytes);
    p.act("farida", T1 + H, Action::Resign(Resign {}));
    (p, ids, id, closes_at, a)
}

#[test]
fn a_departure_during_a_secret_vote_is_sealed_and_the_close_opens_the_seal() {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let a = cast(&p, &ids, id, "aigerim", 1, Ballot::Yes);
    // A resignation that changes the open vote's tree needs a seal first.
    let missing = Rejection::MissingSeal { proposal: id };
    assert_eq!(missing.code(), "missing_seal");
    p.refuse("farida", T1 + H, Action::Resign(Resign {}), missing);
    // Seals: the log key's only, on an open secret vote before its
    // deadline, with a well-formed commitment.
    let commitment = commit_to(id, 0, &SALT, &[&a]);
    let bytes = p.sign("bolat", T1 + H, seal(id, commitment.clone()));
    p.refuse_bytes(&bytes, Rejection::SealNotByLogKey);
    assert_eq!(Rejection::SealNotByLogKey.code(), "not_permitted");
    let bytes = by_log_key(&p, seal(id, "ab".into()));
    p.refuse_bytes(&bytes, Rejection::BadSeal);
    let bytes = by_log_key(&p, seal(999, commitment.clone()));
    p.refuse_bytes(&bytes, Rejection::UnknownProposal(999));
    let mut open = publication(&FOUNDERS, Charter::default());
    let (oid, _) = open.propose_min("aigerim", T1, resolution("Publish the audit"));
    let bytes = by_log_key(&open, seal(oid, commitment.clone()));
    open.refuse_bytes(&bytes, Rejection::BallotOnOpenVote { proposal: oid });
    // The seal; then anything but the tree's change is refused, a second
    // seal of the same vote too.
    let bytes = by_log_key(&p, seal(id, commitment.clone()));
    p.apply_bytes(&bytes);
    assert_eq!(secret_of(&p, id).seals, std::slice::from_ref(&commitment));
    let not_followed = || Rejection::SealNotFollowed { proposal: id };
    assert_eq!(not_followed().code(), "missing_seal");
    p.refuse(
        "bolat",
        T1 + H,
        Action::Statement(Statement { text: "hi".into() }),
        not_followed(),
    );
    let bytes = by_log_key(&p, seal(id, commit_to(id, 0, &[9; 32], &[])));
    p.refuse_bytes(&bytes, not_followed());
    // A resignation that changes no sealed tree does not follow it either
    // (kairat holds no leaf).
    p.refuse("kairat", T1 + H, Action::Resign(Resign {}), not_followed());
    p.act("farida", T1 + H, Action::Resign(Resign {}));
    assert_eq!(secret_of(&p, id).roots.len(), 2);
    p.act(
        "bolat",
        T1 + H + 60,
        Action::Statement(Statement { text: "hi".into() }),
    );
    let d = cast_in(&p, &ids, id, 1, "dana", 1, Ballot::Yes);
    // At the close: the epoch-0 ballots, the epoch-1 ballots, the salts.
    p.tick(closes_at);
    publish(&mut p, a);
    publish(&mut p, d);
    let mismatch = || Rejection::SealMismatch { proposal: id };
    assert_eq!(mismatch().code(), "seal_mismatch");
    for salts in [vec![], vec![[8; 32]], vec![SALT, SALT]] {
        let bytes = by_log_key(&p, salted_close(id, &salts));
        p.refuse_bytes(&bytes, mismatch());
    }
    let bytes = by_log_key(&p, salted_close(id, &[SALT]));
    p.apply_bytes(&bytes);
    let o = p.outcome(id);
    assert_eq!((o.tally.yes, o.tally.eligible), (2, 5));
    // After the deadline a seal is too late.
    let (mut late, _) = secret_pub();
    let (lid, lcloses) = late.propose_min("aigerim", T1, resolution("Publish the audit"));
    late.tick(lcloses);
    let bytes = by_log_key(&late, seal(lid, commitment));
    late.refuse_bytes(
        &bytes,
        Rejection::VotingEnded {
            proposal: lid,
            closes_at: lcloses,
            time: lcloses,
        },
    );
    // And a departure after the deadline needs none (no ballot can be
    // cast any more): the tree stays as it was.
    late.act("farida", lcloses, Action::Resign(Resign {}));
    assert_eq!(secret_of(&late, lid).roots.len(), 1);
    // Salts on an open vote's close: nothing to open.
    let (ocloses, oid2) = {
        let (i, c) = open.propose_min("bolat", T1 + 60, resolution("Buy a printer"));
        (c, i)
    };
    open.tick(ocloses);
    let bytes = by_log_key(&open, salted_close(oid2, &[SALT]));
    open.refuse_bytes(&bytes, Rejection::SealMismatch { proposal: oid2 });
}

#[test]
fn a_ballot_added_to_or_dropped_from_a_sealed_epoch_does_not_open_the_seal() {
    // farida's ballot made after she left, against the old tree (she still
    // knows her secret), slipped into the sealed epoch by the sequencer.
    let (mut p, ids, id, closes_at, a) = sealed_scenario();
    let late = cast_in(&p, &ids, id, 0, "farida", 1, Ballot::No);
    p.tick(closes_at);
    for b in sorted(vec![a, late]) {
        publish(&mut p, b);
    }
    let bytes = by_log_key(&p, salted_close(id, &[SALT]));
    p.refuse_bytes(&bytes, Rejection::SealMismatch { proposal: id });
    // aigerim's sealed ballot dropped from the close.
    let (mut q, _, id, closes_at, _) = sealed_scenario();
    q.tick(closes_at);
    let bytes = by_log_key(&q, salted_close(id, &[SALT]));
    q.refuse_bytes(&bytes, Rejection::SealMismatch { proposal: id });
}

#[test]
fn a_removal_by_a_close_needs_seals_for_the_other_open_secret_votes() {
    use crate::governance::remove;
    for sealed in [false, true] {
        let (mut p, ids) = secret_pub();
        let (r, r_closes) = p.propose_min("aigerim", T1, remove("farida"));
        // Another secret vote, still open when the removal closes.
        let (other, other_closes) =
            p.propose_min("bolat", T1 + 100 * H, resolution("Publish the audit"));
        assert!(other_closes > r_closes);
        let ballots = sorted(
            ["aigerim", "bolat", "dana"]
                .into_iter()
                .map(|who| cast(&p, &ids, r, who, 1, Ballot::Yes))
                .collect(),
        );
        p.tick(r_closes);
        if sealed {
            let bytes = by_log_key(&p, seal(other, commit_to(other, 0, &SALT, &[])));
            p.apply_bytes(&bytes);
        }
        for b in ballots {
            publish(&mut p, b);
        }
        let bytes = by_log_key(&p, salted_close(r, &[]));
        if !sealed {
            p.refuse_bytes(&bytes, Rejection::MissingSeal { proposal: other });
            continue;
        }
        p.apply_bytes(&bytes);
        assert_eq!(
            p.outcome(r).effect,
            Effect::Removed {
                handle: "farida".into()
            }
        );
        let s = secret_of(&p, other);
        assert_eq!((s.departed.len(), s.roots.len(), s.seals.len()), (1, 2, 1));
        // The other vote closes with its salt: no ballot was held in epoch 0.
        let d = cast_in(&p, &ids, other, 1, "dana", 1, Ballot::Yes);
        let o = close_batch_with(&mut p, other, other_closes, vec![d], &[SALT]);
        assert_eq!(o.secret.as_ref().map(|s| s.turnout), Some(1));
    }
}

fn close_batch_with(
    p: &mut Pub,
    id: u64,
    closes_at: u64,
    ballots: Vec<CastBallot>,
    salts: &[[u8; 32]],
) -> Outcome {
    p.tick(closes_at);
    for b in ballots {
        publish(p, b);
    }
    let bytes = by_log_key(p, salted_close(id, salts));
    p.apply_bytes(&bytes);
    p.outcome(id)
}

/// The sequencer's seal of `held` (the ballots it holds for proposal
/// `id`'s current epoch), then `who`'s resignation.
fn seal_then_resign(p: &mut Pub, id: u64, who: &str, time: u64, held: &[&CastBallot]) {
    p.tick(time);
    let epoch = secret_of(p, id).seals.len() as u64;
    let bytes = by_log_key(p, seal(id, commit_to(id, epoch, &SALT, held)));
    p.apply_bytes(&bytes);
    p.act(who, time, Action::Resign(Resign {}));
}

/// As [`cast_in`], the proof's randomness drawn from `rng` (so the bytes,
/// and a digest over them, are the same on every run).
#[allow(clippy::too_many_arguments)]
fn cast_seeded(
    p: &Pub,
    ids: &[Identity],
    id: u64,
    epoch: usize,
    who: &str,
    seq: u64,
    choice: Ballot,
    rng: &mut ark_std::rand::rngs::StdRng,
) -> CastBallot {
    cast_with(p, ids, id, epoch, who, seq, choice, Some(rng))
}

/// A golden digest of a log with a secret resolution (a sealed departure,
/// a re-vote in the next epoch) and a secret STV election: any change to
/// how the fold records secret votes changes it, and must be deliberate
/// (old snapshots are rebuilt: `snapshot::FORMAT`).
#[test]
fn a_log_with_secret_votes_folds_to_a_fixed_digest() {
    use ark_std::rand::SeedableRng;
    let mut rng = ark_std::rand::rngs::StdRng::seed_from_u64(15);
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let a = cast_seeded(&p, &ids, id, 0, "aigerim", 1, Ballot::No, &mut rng);
    let b = cast_seeded(&p, &ids, id, 0, "bolat", 1, Ballot::Yes, &mut rng);
    seal_then_resign(&mut p, id, "farida", T1 + H, &[&a, &b]);
    let a2 = cast_seeded(&p, &ids, id, 1, "aigerim", 2, Ballot::Yes, &mut rng);
    let mut run = sorted(vec![a, b]);
    run.push(a2);
    let o = close_batch_with(&mut p, id, closes_at, run, &[SALT]);
    assert_eq!((o.tally.yes, o.tally.no), (2, 0));
    let (e, e_closes) = p.propose_min(
        "bolat",
        closes_at + 60,
        elect(&["aigerim", "bolat", "dana", "erlan"]),
    );
    let ballots: Vec<CastBallot> = [
        ("aigerim", vec!["aigerim", "dana"]),
        ("bolat", vec!["bolat"]),
        ("dana", vec!["dana", "erlan"]),
        ("erlan", vec!["erlan", "aigerim"]),
    ]
    .into_iter()
    .map(|(who, r)| {
        let r = Ballot::Ranked(r.into_iter().map(String::from).collect());
        cast_seeded(&p, &ids, e, 0, who, 1, r, &mut rng)
    })
    .collect();
    let o = close_batch(&mut p, e, e_closes, sorted(ballots));
    assert_eq!(o.elected.len(), 3);
    assert_eq!(
        hex::encode(p.state.digest()),
        "82f71e99e1161968378e44a0dfb8149877db6465393837f260d308e811470020"
    );
}

/// A ballot's entry carries the log time and nothing else: a date a
/// member's entry may carry (minutes around the log time) could tell when
/// each ballot arrived (BALLOT.md §5.3, §9).
#[test]
fn a_ballot_is_dated_exactly_at_the_log_time() {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let b = cast(&p, &ids, id, "aigerim", 1, Ballot::Yes);
    p.tick(closes_at);
    let log_time = p.state.log_time();
    for time in [log_time - 1, log_time + 1, log_time - 600] {
        let bytes = log_key_entry(time, Action::Ballot(b.clone()));
        let expected = Rejection::BallotNotAtLogTime { time, log_time };
        assert_eq!(expected.code(), "bad_ballot");
        p.refuse_bytes(&bytes, expected);
    }
    publish(&mut p, b);
    let o = log_key_close(&mut p, id);
    assert_eq!(o.secret.as_ref().unwrap().turnout, 1);
}

// ---------------------------------------------------------------------------
// The sequencer's intake (§8 item 2): the state's checks of a ballot before
// it is held, by the sequencer's clock.

#[test]
fn the_intake_takes_a_ballot_for_the_current_tree_before_the_deadline_only() {
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let a = cast(&p, &ids, id, "aigerim", 1, Ballot::Yes);
    let now = p.state.log_time();
    let held = p.state.check_ballot_intake(now, &a).unwrap();
    assert_eq!(
        (held.proposal, held.epoch, held.hash, held.seq, held.leaves),
        (id, 0, a.hash(), 1, 5)
    );
    assert_eq!(held.nullifier, a.nullifier);
    // At the deadline by the sequencer's clock (the log time is earlier).
    let ended = Rejection::VotingEnded {
        proposal: id,
        closes_at,
        time: closes_at,
    };
    assert_eq!(ended.code(), "voting_ended");
    assert_eq!(p.state.check_ballot_intake(closes_at, &a), Err(ended));
    // Made for another proposal: its scope differs, the proof fails.
    let (other, _) = p.propose_min("bolat", T1 + 60, resolution("Publish the ledger"));
    let elsewhere = CastBallot {
        proposal: other,
        ..a.clone()
    };
    // The two proposals have the same electorate, so the same root.
    assert_eq!(secret_of(&p, other).roots, secret_of(&p, id).roots);
    let r = p.state.check_ballot_intake(now, &elsewhere).unwrap_err();
    assert_eq!(r.code(), "bad_ballot");
    assert_eq!(
        r,
        Rejection::BadBallot {
            reason: BallotError::BadProof
        }
    );
    // Its choice changed after proving: the signal differs.
    let changed = CastBallot {
        choice: Ballot::No,
        ..a.clone()
    };
    assert_eq!(
        p.state
            .check_ballot_intake(now, &changed)
            .unwrap_err()
            .code(),
        "bad_ballot"
    );
    // An open proposal; an unknown one; a choice that does not fit.
    let mut open = publication(&FOUNDERS, Charter::default());
    let (oid, _) = open.propose_min("aigerim", T1, resolution("Publish the audit"));
    assert_eq!(
        open.state.check_ballot_intake(
            now,
            &CastBallot {
                proposal: oid,
                ..a.clone()
            }
        ),
        Err(Rejection::BallotOnOpenVote { proposal: oid })
    );
    assert_eq!(
        p.state.check_ballot_intake(
            now,
            &CastBallot {
                proposal: 999,
                ..a.clone()
            }
        ),
        Err(Rejection::UnknownProposal(999))
    );
    assert_eq!(
        p.state
            .check_ballot_intake(
                now,
                &CastBallot {
                    choice: Ballot::Ranked(vec!["dana".into()]),
                    ..a.clone()
                }
            )
            .unwrap_err()
            .code(),
        "wrong_ballot"
    );
    // A member leaves: the tree's new epoch is the only one the intake
    // takes (the fold would still take epoch 0's at the close, sealed).
    p.tick(T1 + H);
    let seal_bytes = by_log_key(&p, seal(id, commit_to(id, 0, &SALT, &[&a])));
    // (the other proposal's tree changes too)
    p.apply_bytes(&seal_bytes);
    let seal_other = by_log_key(&p, seal(other, commit_to(other, 0, &SALT, &[])));
    p.apply_bytes(&seal_other);
    p.act("farida", T1 + H, Action::Resign(Resign {}));
    let now = p.state.log_time();
    assert_eq!(
        p.state.check_ballot_intake(now, &a),
        Err(Rejection::StaleRoot { proposal: id })
    );
    let again = cast_in(&p, &ids, id, 1, "aigerim", 2, Ballot::No);
    let held = p.state.check_ballot_intake(now, &again).unwrap();
    assert_eq!((held.epoch, held.seq), (1, 2));
    assert_eq!(held.nullifier, a.nullifier, "one member, one nullifier");
}

// ---------------------------------------------------------------------------
// Receipts against the log (§8 item 5): published, superseded, dropped.

#[test]
fn a_receipt_shows_whether_the_close_published_superseded_or_dropped_the_ballot() {
    use erkin_core::api::{
        judge_ballot_receipt, BallotReceipt, BallotReceiptError, ReceiptVerdict,
    };
    let (mut p, ids) = secret_pub();
    let (id, closes_at) = p.propose_min("aigerim", T1, resolution("Publish the audit"));
    let receipt = |b: &CastBallot| BallotReceipt::sign(&key(ORIGIN), b.proposal, 0, &b.hash());
    let a1 = cast(&p, &ids, id, "aigerim", 1, Ballot::Yes);
    let a2 = cast(&p, &ids, id, "aigerim", 2, Ballot::No);
    let b = cast(&p, &ids, id, "bolat", 1, Ballot::Yes);
    let d = cast(&p, &ids, id, "dana", 1, Ballot::No);
    assert_eq!(
        judge_ballot_receipt(&p.state, &d, &receipt(&d)),
        Ok(ReceiptVerdict::Open)
    );
    // The close publishes aigerim's re-vote and bolat's, not dana's.
    close_batch(&mut p, id, closes_at, sorted(vec![a2.clone(), b.clone()]));
    let index_of = |x: &CastBallot| {
        secret_of(&p, id)
            .ballots
            .iter()
            .find(|y| y.hash == hex::encode(x.hash()))
            .unwrap()
            .index
    };
    assert_eq!(
        judge_ballot_receipt(&p.state, &b, &receipt(&b)),
        Ok(ReceiptVerdict::Published {
            index: index_of(&b)
        })
    );
    assert_eq!(
        judge_ballot_receipt(&p.state, &a1, &receipt(&a1)),
        Ok(ReceiptVerdict::Superseded {
            index: index_of(&a2),
            seq: 2
        })
    );
    assert_eq!(
        judge_ballot_receipt(&p.state, &d, &receipt(&d)),
        Ok(ReceiptVerdict::Dropped)
    );
    // A receipt for another ballot, one naming another proposal, one not
    // signed by the log key, one for a proposal this copy lacks.
    assert_eq!(
        judge_ballot_receipt(&p.state, &d, &receipt(&b)),
        Err(BallotReceiptError::OtherBallot)
    );
    let elsewhere = BallotReceipt::sign(&key(ORIGIN), id + 1, 0, &d.hash());
    assert_eq!(
        judge_ballot_receipt(&p.state, &d, &elsewhere),
        Err(BallotReceiptError::OtherProposal {
            receipt: id + 1,
            ballot: id
        })
    );
    let forged = BallotReceipt::sign(&key("dana"), id, 0, &d.hash());
    assert!(matches!(
        judge_ballot_receipt(&p.state, &d, &forged),
        Err(BallotReceiptError::Note(_))
    ));
    let unknown = CastBallot {
        proposal: 999,
        ..d.clone()
    };
    assert_eq!(
        judge_ballot_receipt(&p.state, &unknown, &receipt(&unknown)),
        Err(BallotReceiptError::NoSuchProposal { proposal: 999 })
    );
}
