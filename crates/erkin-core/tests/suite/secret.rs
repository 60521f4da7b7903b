//! Secret proposals in the fold (issue 15, docs/BALLOT.md §4.4, §5.2–§7):
//! the charter's `secret` field and its entrenched floor.

use erkin_core::action::Charter;
use erkin_core::charter::CharterError;
use erkin_core::state::Rejection;

use crate::governance::{amend, propose, publication, FOUNDERS, H, T1};

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
