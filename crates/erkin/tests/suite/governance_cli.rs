//! Governance through the real binary: two founders admit a third member,
//! elect a board by ranked ballots, amend the charter from a TOML file, and
//! every refusal is named.

use std::process::{Command, Stdio};

use crate::binary::{erkin, ok, refused, PASSPHRASE};

#[test]
fn members_govern_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let d = t.join("pub");
    let key = |name: &str| {
        let path = t.join(format!("{name}.key"));
        let vkey = ok(
            t,
            &[
                "key",
                "new",
                "--name",
                name,
                "--out",
                path.to_str().unwrap(),
            ],
        );
        (path.to_str().unwrap().to_string(), vkey)
    };
    let (a, a_vk) = key("aigerim");
    let (b, b_vk) = key("dauren");
    let (c, c_vk) = key("saule");
    let (x, _) = key("stranger");
    let log_vk = ok(
        &d,
        &[
            "init",
            "--origin",
            "gov.example/news",
            "--name",
            "Gov",
            "--founder",
            &a_vk,
            "--founder",
            &b_vk,
        ],
    );

    // Admit saule: both founders vote (one changes their mind). The
    // proposal's ID is its log index: 1, or 2 when the sequencer's clock
    // moved on since the founding and a tick leads the batch.
    let id = ok(
        &d,
        &[
            "propose",
            "--key",
            &a,
            "--title",
            "Admit Saule",
            "admit",
            &c_vk,
        ],
    );
    assert!(id == "1" || id == "2", "{id}");
    let id = id.as_str();
    refused(&d, &["vote", id, "yes", "--key", &x], "not a member");
    refused(&d, &["vote", id, "maybe", "--key", &a], "not a vote");
    refused(
        &d,
        &["vote", id, "--rank", "aigerim", "--key", &a],
        "wrong kind of ballot",
    );
    refused(&d, &["vote", "99", "yes", "--key", &a], "no proposal #99");
    // A proxy is for secret ballots: a malformed $ERKIN_BALLOT_PROXY does
    // not stop an open vote (review s10 L6), and --proxy is refused on one.
    refused(
        &d,
        &[
            "vote",
            id,
            "yes",
            "--key",
            &a,
            "--proxy",
            "socks5h://127.0.0.1:9050",
        ],
        "--ballot-key, --proxy and --receipt are for secret ballots",
    );
    let o = Command::new(env!("CARGO_BIN_EXE_erkin"))
        .env("ERKIN_PASSPHRASE", PASSPHRASE)
        .env("ERKIN_SCRYPT_WORK_FACTOR", "10")
        .env_remove("ERKIN_DIR")
        .env("ERKIN_BALLOT_PROXY", "socks5://me:secret@127.0.0.1:9050")
        .stdin(Stdio::null())
        .arg("--dir")
        .arg(&d)
        .args(["vote", id, "yes", "--key", &a])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    refused(
        &d,
        &["close", id, "--key", &a],
        "not every eligible member has voted",
    );
    ok(&d, &["vote", id, "no", "--key", &b]);
    ok(&d, &["vote", id, "yes", "--key", &b]);
    assert_eq!(
        ok(&d, &["close", id, "--key", &b]),
        format!("#{id}: admitted saule")
    );
    refused(&d, &["vote", id, "no", "--key", &b], "already closed");
    let members = ok(&d, &["members", "--json"]);
    let members: serde_json::Value = serde_json::from_str(&members).unwrap();
    let handles: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["handle"].as_str().unwrap())
        .collect();
    assert_eq!(handles, ["aigerim", "dauren", "saule"]);

    // A board election opens for nominations: saule stands herself,
    // aigerim nominates dauren, who must consent; nobody ranks anyone until
    // the nomination deadline (days away), and only members may nominate.
    let id = ok(&d, &["propose", "--key", &c, "--title", "Board", "elect"]);
    ok(&d, &["nominate", &id, "saule", "--key", &c]);
    ok(&d, &["nominate", &id, "dauren", "--key", &a]);
    refused(
        &d,
        &["nominate", &id, "dauren", "--key", &b],
        "already nominated",
    );
    refused(
        &d,
        &["nominate", &id, "aigerim", "--key", &x],
        "not a member",
    );
    refused(
        &d,
        &["consent", &id, "--key", &a],
        "aigerim is not nominated",
    );
    let listed = ok(&d, &["proposals"]);
    assert!(
        listed.contains("candidates: saule (nominated, not yet consented: dauren)"),
        "{listed}"
    );
    ok(&d, &["consent", &id, "--key", &b]);
    refused(&d, &["consent", &id, "--key", &b], "already consented");
    assert!(
        ok(&d, &["tally", &id]).contains("candidates: dauren, saule"),
        "the tally lists the consenting candidates"
    );
    refused(
        &d,
        &["vote", &id, "--rank", "saule,+reopen", "--key", &a],
        "nominations are still open",
    );
    refused(
        &d,
        &[
            "propose", "--key", &a, "--title", "Recall", "recall", "saule",
        ],
        "holds no current board seat",
    );
    // aigerim (a founder, so an editor) steps down from the board and stays
    // a member; once off it, a second step-down is refused.
    ok(&d, &["step-down", "--key", &a]);
    let board = ok(&d, &["board", "--json"]);
    assert!(!board.contains("\"aigerim\""), "{board}");
    assert!(ok(&d, &["members"]).contains("aigerim"));
    refused(
        &d,
        &["step-down", "--key", &a],
        "only editors step down from the board; aigerim holds no current board seat",
    );
    // Two of the three seats are vacant now (the charter's 3, one founder
    // left on the board): a by-election may fill two, not three.
    refused(
        &d,
        &[
            "propose",
            "--key",
            &a,
            "--title",
            "Fill",
            "by-election",
            "--seats",
            "3",
        ],
        "a by-election for 3 seat(s) needs that many vacant seats; 2 are vacant",
    );
    let by = ok(
        &d,
        &[
            "propose",
            "--key",
            &a,
            "--title",
            "Fill",
            "by-election",
            "--seats",
            "2",
        ],
    );
    // The sitting editor cannot stand in it; aigerim can.
    refused(
        &d,
        &["nominate", &by, "dauren", "--key", &b],
        "already holds a board seat",
    );
    ok(&d, &["nominate", &by, "aigerim", "--key", &a]);

    // Amend the charter from TOML: the default printed, edited, proposed.
    let toml = ok(&d, &["charter", "--toml"]);
    let edited = toml.replacen("seats = 3", "seats = 5", 1);
    assert_ne!(edited, toml);
    let file = t.join("charter.toml");
    std::fs::write(&file, edited).unwrap();
    let id = ok(
        &d,
        &[
            "propose",
            "--key",
            &a,
            "--title",
            "Bigger board",
            "amend",
            file.to_str().unwrap(),
        ],
    );
    // The amendment is shown as the rule it changes, old → new.
    let change = "the editorial board: 3 seats, a 365-day term → 5 seats, a 365-day term";
    let listed = ok(&d, &["proposals"]);
    assert!(listed.contains(&format!("changes {change}")), "{listed}");
    let tally = ok(&d, &["tally", &id]);
    assert!(tally.contains(&format!("Changes {change}")), "{tally}");
    for k in [&a, &b, &c] {
        ok(&d, &["vote", &id, "yes", "--key", k]);
    }
    ok(&d, &["close", &id, "--key", &a]);
    assert!(ok(&d, &["charter"]).contains("(5 seats"));

    // A broken charter file is refused before anything is signed.
    std::fs::write(&file, "languages = [\"de\"]").unwrap();
    refused(
        &d,
        &[
            "propose",
            "--key",
            &a,
            "--title",
            "Bad",
            "amend",
            file.to_str().unwrap(),
        ],
        "not a valid charter",
    );

    // A voting period shorter than the charter's minimum is refused.
    refused(
        &d,
        &[
            "propose",
            "--key",
            &a,
            "--title",
            "Quick",
            "--hours",
            "1",
            "resolution",
            "Now.",
        ],
        "before the earliest the charter allows",
    );
    // Its times are shown in the member's local time, with the difference:
    // here a time zone file of UTC+05:00 (TZif, no transitions).
    let mut tzif = b"TZif".to_vec();
    tzif.extend([0u8; 16]);
    for n in [0u32, 0, 0, 0, 1, 4] {
        tzif.extend(n.to_be_bytes());
    }
    tzif.extend(18_000i32.to_be_bytes());
    tzif.extend([0, 0]);
    tzif.extend(b"+05\0");
    let zone = t.join("plus5.tzif");
    std::fs::write(&zone, tzif).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_erkin"))
        .env("ERKIN_PASSPHRASE", PASSPHRASE)
        .env("ERKIN_SCRYPT_WORK_FACTOR", "10")
        .env("TZ", &zone)
        .env_remove("ERKIN_DIR")
        .stdin(Stdio::null())
        .arg("--dir")
        .arg(&d)
        .args(["propose", "--key", &a, "--title", "Quick", "--hours", "1"])
        .args(["resolution", "Now."])
        .output()
        .unwrap();
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("voting period too short: the deadline asked, ")
            // 1 hour asked, 72 required: 71 hours short.
            && err.contains("(UTC+05:00), is 2 d 23 h before the earliest the charter allows, ")
            && err.contains("(period_too_short)")
            && !err.contains("UTC+00:00"),
        "{err}"
    );

    // Key rotation: the old key stops working, the new one acts.
    let new = t.join("aigerim2.key");
    let new_vk = ok(
        &d,
        &["rotate-key", "--key", &a, "--new", new.to_str().unwrap()],
    );
    assert!(new_vk.starts_with("aigerim+"));
    refused(&d, &["statement", "--key", &a, "hello"], "retired key");
    ok(&d, &["statement", "--key", new.to_str().unwrap(), "hello"]);

    // Resignation.
    ok(&d, &["resign", "--key", &c]);
    refused(&d, &["statement", "--key", &c, "back"], "not a member");

    // Everything above verifies from the export against the pinned key.
    let site = t.join("site");
    ok(&d, &["export", site.to_str().unwrap()]);
    let (code, out, _) = erkin(&d, &["verify", site.to_str().unwrap(), "--key", &log_vk]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("OK"), "{out}");
}

/// A publication whose charter decides resolutions by secret ballot: a
/// member registers a ballot key, a resolution is proposed, and `tally`
/// says the ballots come at the close instead of counting open votes; an
/// open vote on it is refused, and `tally --ballots` names why it has
/// nothing to list, for a secret vote still open and for an open vote.
#[test]
fn a_secret_vote_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let path = |name: &str| t.join(name).to_str().unwrap().to_string();
    let a = path("aigerim.key");
    let a_vk = ok(t, &["key", "new", "--name", "aigerim", "--out", &a]);
    // The charter: the defaults, with resolutions secret.
    let open = t.join("open");
    ok(
        &open,
        &[
            "init",
            "--origin",
            "open.example/news",
            "--name",
            "Open",
            "--founder",
            &a_vk,
        ],
    );
    let defaults = ok(&open, &["charter", "--toml"]);
    assert!(defaults.contains("[resolution]"), "{defaults}");
    let secret_toml = defaults.replace("[resolution]\n", "[resolution]\nsecret = true\n");
    assert_ne!(secret_toml, defaults);
    std::fs::write(t.join("secret.toml"), &secret_toml).unwrap();
    let d = t.join("secret");
    ok(
        &d,
        &[
            "init",
            "--origin",
            "secret.example/news",
            "--name",
            "Secret",
            "--founder",
            &a_vk,
            "--charter",
            &path("secret.toml"),
        ],
    );
    let ballot = path("aigerim.ballot");
    ok(t, &["ballot-key", "new", "--out", &ballot]);
    ok(
        &d,
        &[
            "ballot-key",
            "register",
            "--key",
            &a,
            "--ballot-key",
            &ballot,
        ],
    );
    let id = ok(
        &d,
        &[
            "propose",
            "--key",
            &a,
            "--title",
            "Audit",
            "resolution",
            "Publish the audit.",
        ],
    );
    let id = id.as_str();

    refused(
        &d,
        &["vote", id, "yes", "--key", &a],
        "decided by secret ballot",
    );
    let tally = ok(&d, &["tally", id]);
    assert!(
        tally.contains("by secret ballot: the ballots are published at the close, and who voted is recorded nowhere"),
        "{tally}"
    );
    assert!(!tally.contains("have voted"), "{tally}");
    refused(&d, &["tally", id, "--ballots"], "a secret vote still open");

    // An open vote has no ballots to list: its votes are the tally itself.
    let open_id = ok(
        &open,
        &[
            "propose",
            "--key",
            &a,
            "--title",
            "Open",
            "resolution",
            "Meet on Mondays.",
        ],
    );
    refused(
        &open,
        &["tally", &open_id, "--ballots"],
        "decided by open vote",
    );
}
