//! The sequencer's ballot box and the intake's pure contract (issue 15,
//! docs/BALLOT.md §5.6, §8, §9): the `ballot_box` entry, the padded
//! plaintext of a submission and the signed ballot receipt.

use erkin_core::action::{Action, Ballot, BallotBox, CastBallot};
use erkin_core::api::{
    ballot_receipt_text, pad_ballot, pad_ballot_answer, read_ballot, read_ballot_answer,
    unpad_ballot, verify_ballot_receipt, ApiError, BallotAnswer, BallotAnswerError,
    BallotBodyError, BallotReceipt, BallotReceiptError, ErrorDocument, BALLOT_ANSWER_LEN,
    BALLOT_PLAINTEXT_LEN,
};
use erkin_core::note::NoteError;
use erkin_core::recipient::RecipientError;
use erkin_core::state::Rejection;

use crate::common::through_snapshot;
use crate::governance::{key, six, ORIGIN, T0};

// Two real recipients (age-keygen).
const R1: &str = "age1mnd2gq9lq6ppndd0g59z8wkae7cupne38wld7c8zp7tdgll9v95qywh9fw";
const R2: &str = "age14mxkcv7gwksa09yj3249hfter4ae94vv5nh7sppgce3pqcv55gtsa9kx2h";

fn ballot_box(recipient: &str) -> Action {
    Action::BallotBox(BallotBox {
        recipient: recipient.into(),
    })
}

#[test]
fn the_log_key_sets_the_ballot_box_and_the_latest_is_in_force() {
    let mut p = six();
    assert_eq!(p.state.ballot_box(), None);
    let digest_before = p.state.digest();
    let log = key(ORIGIN);
    let bytes = p.sign_with(&log, T0, ballot_box(R1));
    let a = p.apply_bytes(&bytes);
    assert_eq!(a.signer, ORIGIN);
    assert_eq!(p.state.ballot_box(), Some(R1));
    assert_ne!(p.state.digest(), digest_before);
    let bytes = p.sign_with(&log, T0 + 60, ballot_box(R2));
    p.apply_bytes(&bytes);
    assert_eq!(p.state.ballot_box(), Some(R2));
    // The snapshot carries it.
    let again = through_snapshot(&p.state);
    assert_eq!(again.ballot_box(), Some(R2));
    assert_eq!(again.digest(), p.state.digest());
}

#[test]
fn a_members_ballot_box_is_not_permitted() {
    let mut p = six();
    let bytes = p.sign("aigerim", T0, ballot_box(R1));
    let r = Rejection::BallotBoxNotByLogKey;
    assert_eq!(r.code(), "not_permitted");
    p.refuse_bytes(&bytes, r);
    assert_eq!(p.state.ballot_box(), None);
}

#[test]
fn a_malformed_ballot_box_is_an_invalid_action() {
    let mut p = six();
    let log = key(ORIGIN);
    for (recipient, reason) in [
        ("age1MND2", RecipientError::NotBech32),
        // Bech32 of 32 bytes with another prefix; of 31 bytes.
        (
            "agf1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc0s43wcss",
            RecipientError::NotAge,
        ),
        (
            "age1qqqsyqcyq5rqwzqfpg9scrgwpugpzysnzs23v9ccrydpk8qarc535lh4",
            RecipientError::WrongLength,
        ),
        ("", RecipientError::NotBech32),
    ] {
        let bytes = p.sign_with(&log, T0, ballot_box(recipient));
        let r = Rejection::BadBallotBox { reason };
        assert_eq!(r.code(), "invalid_action");
        p.refuse_bytes(&bytes, r);
    }
    assert_eq!(p.state.ballot_box(), None);
}

fn a_ballot(choice: Ballot) -> CastBallot {
    CastBallot {
        proposal: 14,
        root: "0".repeat(64),
        nullifier: "1".repeat(64),
        seq: 2,
        choice,
        proof: "ab".repeat(256),
    }
}

#[test]
fn a_padded_ballot_reads_back_and_every_body_has_one_size() {
    for choice in [
        Ballot::Yes,
        Ballot::Ranked(vec!["saule".into(), "aigerim".into(), "+reopen".into()]),
    ] {
        let b = a_ballot(choice);
        let plain = pad_ballot(&b.canonical_json(), R2).unwrap();
        assert_eq!(plain.len(), BALLOT_PLAINTEXT_LEN);
        assert_eq!(
            unpad_ballot(&plain).unwrap(),
            (b.canonical_json().as_slice(), R2)
        );
        assert_eq!(read_ballot(&plain).unwrap(), (b, R2.to_string()));
    }
    // The hash is SHA-256 of the canonical JSON, the object of the entry.
    let b = a_ballot(Ballot::No);
    use sha2::Digest as _;
    let expected: [u8; 32] = sha2::Sha256::digest(b.canonical_json()).into();
    assert_eq!(b.hash(), expected);
    let entry = serde_json::to_string(&Action::Ballot(b.clone())).unwrap();
    let inner = String::from_utf8(b.canonical_json()).unwrap();
    assert_eq!(entry, format!("{{\"ballot\":{inner}}}"));
}

#[test]
fn every_malformed_plaintext_is_refused_with_its_reason() {
    let json = a_ballot(Ballot::Yes).canonical_json();
    let good = pad_ballot(&json, R1).unwrap();
    // Too long to pad with its reply recipient.
    let long = vec![b'x'; BALLOT_PLAINTEXT_LEN - R1.len() - 1];
    assert_eq!(
        pad_ballot(&long, R1),
        Err(BallotBodyError::TooLong {
            len: long.len(),
            max: BALLOT_PLAINTEXT_LEN
        })
    );
    assert!(pad_ballot(&long[1..], R1).is_ok());
    assert_eq!(pad_ballot(b"{}\n", R1), Err(BallotBodyError::NotCanonical));
    // A reply recipient that is not one.
    assert_eq!(
        pad_ballot(&json, "age1nope"),
        Err(BallotBodyError::BadReply(RecipientError::NotBech32))
    );
    let mut p = good.clone();
    p[json.len() + 4] ^= 1;
    let e = unpad_ballot(&p).unwrap_err();
    assert!(matches!(e, BallotBodyError::BadReply(_)), "{e:?}");
    assert_eq!(e.code(), "bad_body");
    // No reply recipient: the plaintext of a client of before (JSON, a
    // newline, NULs), or a recipient without its newline.
    let mut old = json.clone();
    old.push(b'\n');
    old.resize(BALLOT_PLAINTEXT_LEN, 0);
    assert_eq!(unpad_ballot(&old), Err(BallotBodyError::NoReply));
    let mut p = good.clone();
    p[json.len() + 1 + R1.len()] = 0;
    assert_eq!(unpad_ballot(&p), Err(BallotBodyError::NoReply));
    assert_eq!(BallotBodyError::NoReply.code(), "bad_body");
    // Wrong length, either way.
    for len in [0, BALLOT_PLAINTEXT_LEN - 1, BALLOT_PLAINTEXT_LEN + 1] {
        let mut p = good.clone();
        p.resize(len, 0);
        let e = unpad_ballot(&p).unwrap_err();
        assert_eq!(
            e,
            BallotBodyError::WrongLength {
                len,
                expected: BALLOT_PLAINTEXT_LEN
            }
        );
        assert_eq!(e.code(), "bad_body");
    }
    // No newline.
    let mut p = good.clone();
    p[json.len()] = 0;
    p[json.len() + 1 + R1.len()] = 0;
    assert_eq!(unpad_ballot(&p), Err(BallotBodyError::NoNewline));
    // Something other than NUL in the padding.
    let mut p = good.clone();
    p[BALLOT_PLAINTEXT_LEN - 1] = b' ';
    assert_eq!(unpad_ballot(&p), Err(BallotBodyError::BadPadding));
    assert_eq!(BallotBodyError::BadPadding.code(), "bad_body");
    // Not a ballot; an unknown field; not canonical (spacing, order).
    let text = String::from_utf8(json.clone()).unwrap();
    for (bad, canonical) in [
        ("{\"proposal\":14}".to_string(), false),
        (
            text.replace("{\"proposal\"", "{\"x\":1,\"proposal\""),
            false,
        ),
        (text.replace(",\"seq\"", ", \"seq\""), true),
        (
            text.replace("\"proposal\":14,", "")
                .replace("\"seq\"", "\"proposal\":14,\"seq\""),
            true,
        ),
    ] {
        let e = read_ballot(&pad_ballot(bad.as_bytes(), R1).unwrap()).unwrap_err();
        assert_eq!(e.code(), "bad_ballot", "{bad}");
        assert_eq!(
            matches!(e, BallotBodyError::NotCanonical),
            canonical,
            "{bad}: {e:?}"
        );
    }
}

#[test]
fn every_answer_pads_to_one_length_and_reads_back() {
    let log = key(ORIGIN);
    let hash = a_ballot(Ballot::Yes).hash();
    let receipt = BallotAnswer::Receipt(BallotReceipt::sign(&log, 14, 1, &hash));
    let mut stale = ApiError::new("stale_ballot", "a later ballot is held");
    stale.held_seq = Some(7);
    let refused = |error| BallotAnswer::Refused(ErrorDocument { error });
    let answers = [
        receipt,
        refused(stale),
        refused(ApiError::new("bad_ballot", "the proof does not verify")),
        refused(ApiError::rejected(&Rejection::UnknownProposal(3))),
    ];
    for a in &answers {
        let plain = pad_ballot_answer(a);
        assert_eq!(plain.len(), BALLOT_ANSWER_LEN);
        assert_eq!(&read_ballot_answer(&plain).unwrap(), a);
        // The JSON is the document as the API has always sent it.
        let end = plain.iter().position(|&b| b == 0).unwrap();
        assert_eq!(&plain[..end], serde_json::to_vec(a).unwrap().as_slice());
    }
    let BallotAnswer::Refused(doc) = read_ballot_answer(&pad_ballot_answer(&answers[1])).unwrap()
    else {
        panic!("a refusal");
    };
    assert_eq!(
        (doc.error.code.as_str(), doc.error.held_seq),
        ("stale_ballot", Some(7))
    );
    // A refusal too long to fit keeps its code and held seq.
    let mut long = ApiError::new("stale_ballot", "x".repeat(2 * BALLOT_ANSWER_LEN));
    long.held_seq = Some(9);
    let plain = pad_ballot_answer(&refused(long));
    assert_eq!(plain.len(), BALLOT_ANSWER_LEN);
    let BallotAnswer::Refused(doc) = read_ballot_answer(&plain).unwrap() else {
        panic!("a refusal");
    };
    assert_eq!(
        (doc.error.code.as_str(), doc.error.held_seq),
        ("stale_ballot", Some(9))
    );
    // Malformed answers.
    let good = pad_ballot_answer(&answers[0]);
    assert_eq!(
        read_ballot_answer(&good[1..]),
        Err(BallotAnswerError::WrongLength {
            len: BALLOT_ANSWER_LEN - 1,
            expected: BALLOT_ANSWER_LEN
        })
    );
    let mut p = good.clone();
    p[BALLOT_ANSWER_LEN - 1] = b' ';
    assert_eq!(read_ballot_answer(&p), Err(BallotAnswerError::BadPadding));
    let mut p = vec![0u8; BALLOT_ANSWER_LEN];
    p[..2].copy_from_slice(b"{}");
    assert!(matches!(
        read_ballot_answer(&p),
        Err(BallotAnswerError::BadJson { .. })
    ));
}

#[test]
fn a_ballot_receipt_verifies_with_the_log_key_only() {
    let log = key(ORIGIN);
    let hash = a_ballot(Ballot::Yes).hash();
    let r = BallotReceipt::sign(&log, 14, 1, &hash);
    assert_eq!((r.proposal, r.epoch, r.ballot_hash), (14, 1, hash));
    assert!(r
        .receipt
        .starts_with(&ballot_receipt_text(ORIGIN, 14, 1, &hash)));
    assert_eq!(
        ballot_receipt_text(ORIGIN, 14, 1, &hash),
        format!(
            "erkin.ballot-receipt/v1\n{ORIGIN}\n14\n1\n{}\n",
            hex::encode(hash)
        )
    );
    verify_ballot_receipt(&r, log.verifier_key(), &hash).unwrap();
    // Through JSON, the hash as hex.
    let json = serde_json::to_string(&r).unwrap();
    assert!(json.contains(&hex::encode(hash)), "{json}");
    let back: BallotReceipt = serde_json::from_str(&json).unwrap();
    verify_ballot_receipt(&back, log.verifier_key(), &hash).unwrap();
    // Another ballot's hash.
    let other = a_ballot(Ballot::No).hash();
    assert_eq!(
        verify_ballot_receipt(&r, log.verifier_key(), &other),
        Err(BallotReceiptError::OtherBallot)
    );
    // Fields changed after signing: the signed text no longer matches.
    for changed in [
        BallotReceipt {
            epoch: 0,
            ..r.clone()
        },
        BallotReceipt {
            proposal: 15,
            ..r.clone()
        },
    ] {
        assert_eq!(
            verify_ballot_receipt(&changed, log.verifier_key(), &hash),
            Err(BallotReceiptError::WrongText)
        );
    }
    // Signed by another key of the same name.
    let forger = crate::governance::key_n(ORIGIN, 9);
    let forged = BallotReceipt::sign(&forger, 14, 1, &hash);
    assert!(matches!(
        verify_ballot_receipt(&forged, log.verifier_key(), &hash),
        Err(BallotReceiptError::Note(NoteError::NotSignedBy { .. }))
    ));
    // The text altered.
    let mut altered = r.clone();
    altered.receipt = altered.receipt.replacen("\n14\n", "\n15\n", 1);
    altered.proposal = 15;
    assert!(matches!(
        verify_ballot_receipt(&altered, log.verifier_key(), &hash),
        Err(BallotReceiptError::Note(NoteError::BadSignature { .. }))
    ));
}
