//! Entries (src/entry.rs, src/action.rs): signing, parsing and every way an
//! entry can be refused, each checked by its exact error.

use erkin_core::action::{Action, Charter, Genesis, Statement};
use erkin_core::entry::{
    sign_entry, EntryBody, EntryError, ParsedEntry, ENTRY_FORMAT, MAX_ENTRY_LEN,
};
use erkin_core::keys::SecretKey;
use erkin_core::note::{sign_note, NoteError};
use proptest::prelude::*;

const ORIGIN_A: &str = "news.example/a";
const ORIGIN_B: &str = "news.example/b";

fn key(name: &str) -> SecretKey {
    SecretKey::generate(&mut rand_core::OsRng, name).unwrap()
}

fn statement(time: u64, text: &str) -> EntryBody {
    EntryBody {
        time,
        action: Action::Statement(Statement { text: text.into() }),
    }
}

/// The `name+<id>` form `describe_signers` uses.
fn signer_desc(k: &SecretKey) -> String {
    format!("{}+{:08x}", k.name(), k.verifier_key().key_id())
}

/// Signs arbitrary entry text (as a hostile or buggy author could).
fn signed_text(origin: &str, json: &str, k: &SecretKey) -> Vec<u8> {
    sign_note(&format!("{ENTRY_FORMAT}\n{origin}\n{json}\n"), k)
}

fn parse_err(bytes: &[u8], origin: &str) -> EntryError {
    ParsedEntry::parse(bytes, origin).expect_err("entry should be refused")
}

#[test]
fn round_trip_statement() {
    let k = key("aigerim");
    let body = statement(1_764_345_600, "I declare no conflicts of interest.");
    let bytes = sign_entry(ORIGIN_A, &body, &k).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    assert!(
        text.starts_with(&format!(
            "{ENTRY_FORMAT}\n{ORIGIN_A}\n{{\"time\":1764345600,\"action\":{{\"statement\":{{\"text\":"
        )),
        "{text}"
    );
    let parsed = ParsedEntry::parse(&bytes, ORIGIN_A).unwrap();
    assert_eq!(parsed.body, body);
    assert_eq!(parsed.signer(), ("aigerim", k.verifier_key().key_id()));
    assert_eq!(parsed.leaf_hash, tlog_tiles::record_hash(&bytes));
    parsed.verify_by(k.verifier_key()).unwrap();
}

#[test]
fn round_trip_genesis_with_unicode_and_escapes() {
    let log = key(ORIGIN_A);
    let f = key("bolat");
    let body = EntryBody {
        time: 0,
        action: Action::Genesis(Genesis {
            name: "Еркін Хабар \"free\" \\ news\ttab\nline".into(),
            log_key: log.verifier_key().to_string(),
            founders: vec![f.verifier_key().to_string()],
            charter: Charter::default(),
        }),
    };
    let bytes = sign_entry(ORIGIN_A, &body, &log).unwrap();
    let parsed = ParsedEntry::parse(&bytes, ORIGIN_A).unwrap();
    assert_eq!(parsed.body, body);
    parsed.verify_by(log.verifier_key()).unwrap();
    // The JSON stays on one line, so the entry text is still three lines.
    let text = std::str::from_utf8(&bytes).unwrap();
    assert_eq!(text.split_once("\n\n").unwrap().0.lines().count(), 3);
}

#[test]
fn flipped_byte_in_json_gives_bad_signature() {
    let k = key("aigerim");
    let bytes = sign_entry(ORIGIN_A, &statement(10, "abcdef"), &k).unwrap();
    let pos = bytes.windows(6).position(|w| w == b"abcdef").unwrap();
    let mut bad = bytes.clone();
    bad[pos] ^= 0x03; // 'a' -> 'b': still valid JSON, still one line
    let parsed = ParsedEntry::parse(&bad, ORIGIN_A).unwrap();
    assert_eq!(parsed.body, statement(10, "bbcdef"));
    assert_eq!(
        parsed.verify_by(k.verifier_key()).unwrap_err(),
        EntryError::Note(NoteError::BadSignature {
            name: "aigerim".into(),
            id: k.verifier_key().key_id(),
        })
    );
    // Changing the time is caught the same way.
    let pos = bytes.windows(7).position(|w| w == b"time\":1").unwrap() + 6;
    let mut bad = bytes.clone();
    bad[pos] = b'2';
    let parsed = ParsedEntry::parse(&bad, ORIGIN_A).unwrap();
    assert_eq!(parsed.body.time, 20);
    assert!(matches!(
        parsed.verify_by(k.verifier_key()),
        Err(EntryError::Note(NoteError::BadSignature { .. }))
    ));
}

#[test]
fn entry_of_one_publication_is_refused_by_another() {
    let k = key("aigerim");
    let bytes = sign_entry(ORIGIN_A, &statement(10, "hello"), &k).unwrap();
    assert_eq!(
        parse_err(&bytes, ORIGIN_B),
        EntryError::WrongOrigin {
            expected: ORIGIN_B.into(),
            found: ORIGIN_A.into(),
        }
    );
    // Rewriting the origin line makes it parse for B, but the member's key no
    // longer verifies it: an entry cannot be replayed into another publication.
    let text = String::from_utf8(bytes).unwrap();
    let moved = text.replacen(&format!("\n{ORIGIN_A}\n"), &format!("\n{ORIGIN_B}\n"), 1);
    assert_ne!(moved, text);
    let parsed = ParsedEntry::parse(moved.as_bytes(), ORIGIN_B).unwrap();
    assert_eq!(
        parsed.verify_by(k.verifier_key()).unwrap_err(),
        EntryError::Note(NoteError::BadSignature {
            name: "aigerim".into(),
            id: k.verifier_key().key_id(),
        })
    );
}

#[test]
fn unknown_key_is_not_signed_by() {
    let k = key("aigerim");
    let bytes = sign_entry(ORIGIN_A, &statement(10, "hello"), &k).unwrap();
    let parsed = ParsedEntry::parse(&bytes, ORIGIN_A).unwrap();
    for other in [key("bolat"), key("aigerim")] {
        assert_eq!(
            parsed.verify_by(other.verifier_key()).unwrap_err(),
            EntryError::Note(NoteError::NotSignedBy {
                expected: other.verifier_key().to_string(),
                found: signer_desc(&k),
            })
        );
    }
}

#[test]
fn oversize_entry_is_refused_at_parse() {
    let k = key("aigerim");
    let mut bytes = sign_entry(ORIGIN_A, &statement(10, "hello"), &k).unwrap();
    bytes.resize(MAX_ENTRY_LEN + 1, b'a');
    assert_eq!(
        parse_err(&bytes, ORIGIN_A),
        EntryError::TooLarge {
            len: MAX_ENTRY_LEN + 1
        }
    );
    // A signed note that is one byte too long, but otherwise well formed.
    let base = sign_entry(ORIGIN_A, &statement(10, ""), &k).unwrap();
    let pad = MAX_ENTRY_LEN + 1 - base.len();
    let big = sign_entry(ORIGIN_A, &statement(10, &"x".repeat(pad)), &k);
    assert_eq!(
        big.unwrap_err(),
        EntryError::TooLarge {
            len: MAX_ENTRY_LEN + 1
        }
    );
    let text = format!(
        "{ENTRY_FORMAT}\n{ORIGIN_A}\n{}\n",
        serde_json::to_string(&statement(10, &"x".repeat(pad))).unwrap()
    );
    let note = sign_note(&text, &k);
    assert_eq!(note.len(), MAX_ENTRY_LEN + 1);
    assert_eq!(
        parse_err(&note, ORIGIN_A),
        EntryError::TooLarge {
            len: MAX_ENTRY_LEN + 1
        }
    );
}

#[test]
fn entry_of_exactly_the_limit_is_accepted() {
    let k = key("aigerim");
    let base = sign_entry(ORIGIN_A, &statement(10, ""), &k).unwrap();
    let body = statement(10, &"x".repeat(MAX_ENTRY_LEN - base.len()));
    let bytes = sign_entry(ORIGIN_A, &body, &k).unwrap();
    assert_eq!(bytes.len(), MAX_ENTRY_LEN);
    let parsed = ParsedEntry::parse(&bytes, ORIGIN_A).unwrap();
    assert_eq!(parsed.body, body);
    parsed.verify_by(k.verifier_key()).unwrap();
}

#[test]
fn sign_entry_refuses_a_huge_statement() {
    let k = key("aigerim");
    let text = "y".repeat(100_000);
    let body = statement(10, &text);
    let json = serde_json::to_string(&body).unwrap();
    // Refused before signing, so the length reported is the text's.
    let expected_len = format!("{ENTRY_FORMAT}\n{ORIGIN_A}\n{json}\n").len();
    assert_eq!(
        sign_entry(ORIGIN_A, &body, &k).unwrap_err(),
        EntryError::TooLarge { len: expected_len }
    );
}

/// A statement beyond signed_note's own 1,000,000-byte text limit must be
/// refused with `TooLarge` like any other oversize entry, not panic inside
/// `sign_note`.
#[test]
fn sign_entry_refuses_a_statement_beyond_the_note_library_limit() {
    let k = key("aigerim");
    let body = statement(10, &"z".repeat(1_000_001));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sign_entry(ORIGIN_A, &body, &k)
    }));
    match result {
        Ok(Err(EntryError::TooLarge { len })) => assert!(len > MAX_ENTRY_LEN, "{len}"),
        Ok(other) => panic!("expected TooLarge, got {other:?}"),
        Err(_) => panic!("sign_entry panicked on a 1 MB statement instead of returning TooLarge"),
    }
}

#[test]
fn malformed_json_is_json_error() {
    let k = key("aigerim");
    let bytes = signed_text(ORIGIN_A, "{not json}", &k);
    assert!(matches!(parse_err(&bytes, ORIGIN_A), EntryError::Json(_)));
    for json in [
        "",
        "[]",
        "null",
        r#"{"time":1}"#,
        r#"{"action":{"statement":{"text":"a"}}}"#,
        r#"{"time":-1,"action":{"statement":{"text":"a"}}}"#,
        r#"{"time":"1","action":{"statement":{"text":"a"}}}"#,
        r#"{"time":1,"action":{"statement":{"text":"a"}}}x"#,
        r#"{"time":1,"action":{"speech":{"text":"a"}}}"#,
        r#"{"time":1,"action":{}}"#,
        r#"{"time":1,"action":{"statement":{"text":"a"},"genesis":{}}}"#,
    ] {
        let bytes = signed_text(ORIGIN_A, json, &k);
        let err = parse_err(&bytes, ORIGIN_A);
        assert!(matches!(err, EntryError::Json(_)), "{json:?}: {err:?}");
    }
}

#[test]
fn non_canonical_json_is_refused() {
    // One action has one encoding: white space, reordered keys and needless
    // escapes are all other spellings of the same body, and are refused.
    let k = key("aigerim");
    for json in [
        r#"{"time":1,"action":{"statement":{"text":"a"}}} "#,
        r#"{"time": 1,"action":{"statement":{"text":"a"}}}"#,
        r#"{"action":{"statement":{"text":"a"}},"time":1}"#,
        r#"{"time":1,"action":{"statement":{"text":"\u0061"}}}"#,
    ] {
        let bytes = signed_text(ORIGIN_A, json, &k);
        assert_eq!(
            parse_err(&bytes, ORIGIN_A),
            EntryError::NotCanonical,
            "{json}"
        );
    }
}

#[test]
fn duplicate_top_level_key_is_duplicate_key() {
    let k = key("aigerim");
    let bytes = signed_text(
        ORIGIN_A,
        r#"{"time":1,"time":2,"action":{"statement":{"text":"a"}}}"#,
        &k,
    );
    assert_eq!(
        parse_err(&bytes, ORIGIN_A),
        EntryError::DuplicateKey("time".into())
    );
}

#[test]
fn duplicate_nested_key_is_duplicate_key() {
    let k = key("aigerim");
    let bytes = signed_text(
        ORIGIN_A,
        r#"{"time":1,"action":{"statement":{"text":"a","text":"b"}}}"#,
        &k,
    );
    assert_eq!(
        parse_err(&bytes, ORIGIN_A),
        EntryError::DuplicateKey("text".into())
    );
}

#[test]
fn duplicate_key_is_refused_whatever_the_variant() {
    // Whatever variant reports it, no reading of a duplicate key may be accepted.
    let k = key("aigerim");
    for json in [
        r#"{"time":1,"time":2,"action":{"statement":{"text":"a"}}}"#,
        r#"{"time":1,"action":{"statement":{"text":"a","text":"b"}}}"#,
        r#"{"time":1,"action":{"statement":{"text":"a"}},"action":{"statement":{"text":"b"}}}"#,
        r#"{"time":1,"action":{"statement":{"text":"a"},"statement":{"text":"b"}}}"#,
        r#"{"time":1,"\u0074ime":2,"action":{"statement":{"text":"a"}}}"#,
    ] {
        let bytes = signed_text(ORIGIN_A, json, &k);
        let err = parse_err(&bytes, ORIGIN_A);
        assert!(
            matches!(err, EntryError::DuplicateKey(_) | EntryError::Json(_)),
            "{json}: {err:?}"
        );
    }
}

/// serde's derived structs also accept the array form (`[1, {...}]` for
/// `{"time":1,"action":{...}}`). Entry JSON is "strict": a second encoding of
/// the same struct is exactly the kind of thing other readers (a JavaScript
/// mirror reading `body.time`) would understand differently, as with
/// duplicate keys. Both are refused as not canonical.
#[test]
fn struct_in_array_form_is_refused() {
    let k = key("aigerim");
    for json in [
        r#"[1,{"statement":{"text":"hi"}}]"#,
        r#"{"time":1,"action":{"statement":["hi"]}}"#,
    ] {
        let bytes = signed_text(ORIGIN_A, json, &k);
        let result = ParsedEntry::parse(&bytes, ORIGIN_A).map(|p| p.body);
        assert!(
            matches!(result, Err(EntryError::NotCanonical)),
            "{json}: expected NotCanonical, got {result:?}"
        );
    }
}

#[test]
fn unknown_field_is_json_error_naming_it() {
    let k = key("aigerim");
    for (json, field) in [
        (
            r#"{"time":1,"action":{"statement":{"text":"a"}},"sneaky":true}"#,
            "sneaky",
        ),
        (
            r#"{"time":1,"action":{"statement":{"text":"a","mood":"calm"}}}"#,
            "mood",
        ),
    ] {
        let bytes = signed_text(ORIGIN_A, json, &k);
        match parse_err(&bytes, ORIGIN_A) {
            EntryError::Json(msg) => assert!(msg.contains(field), "{msg}"),
            other => panic!("{json}: expected Json, got {other:?}"),
        }
    }
}

#[test]
fn unknown_field_in_genesis_or_charter_is_json_error() {
    let k = key(ORIGIN_A);
    let json = format!(
        r#"{{"time":1,"action":{{"genesis":{{"name":"N","log_key":"{}","founders":[],"charter":{{"languages":[],"quorum":1}}}}}}}}"#,
        k.verifier_key()
    );
    match parse_err(&signed_text(ORIGIN_A, &json, &k), ORIGIN_A) {
        EntryError::Json(msg) => assert!(msg.contains("quorum"), "{msg}"),
        other => panic!("expected Json, got {other:?}"),
    }
}

#[test]
fn raw_control_character_is_note_error() {
    let k = key("aigerim");
    let bytes = sign_entry(ORIGIN_A, &statement(10, "bell here"), &k).unwrap();
    let pos = bytes.windows(4).position(|w| w == b"bell").unwrap() + 4;
    let mut bad = bytes.clone();
    bad[pos] = 0x07;
    assert_eq!(
        parse_err(&bad, ORIGIN_A),
        EntryError::Note(NoteError::ControlCharacter {
            offset: pos,
            code: 7
        })
    );
    // A carriage return before the newline is no better.
    let mut crlf = bytes.clone();
    let first_nl = crlf.iter().position(|&b| b == b'\n').unwrap();
    crlf.insert(first_nl, b'\r');
    assert_eq!(
        parse_err(&crlf, ORIGIN_A),
        EntryError::Note(NoteError::ControlCharacter {
            offset: first_nl,
            code: 13
        })
    );
}

#[test]
fn escaped_control_character_is_refused() {
    let k = key("aigerim");
    let bytes = signed_text(
        ORIGIN_A,
        r#"{"time":1,"action":{"statement":{"text":"ring \u0007"}}}"#,
        &k,
    );
    assert_eq!(parse_err(&bytes, ORIGIN_A), EntryError::ControlCharacter(7));
    let bytes = signed_text(
        ORIGIN_A,
        r#"{"time":1,"action":{"statement":{"text":"\u001b[31mred"}}}"#,
        &k,
    );
    assert_eq!(
        parse_err(&bytes, ORIGIN_A),
        EntryError::ControlCharacter(0x1b)
    );
    // Escaped newline and tab are allowed.
    let bytes = signed_text(
        ORIGIN_A,
        r#"{"time":1,"action":{"statement":{"text":"a\nb\tc"}}}"#,
        &k,
    );
    let parsed = ParsedEntry::parse(&bytes, ORIGIN_A).unwrap();
    assert_eq!(parsed.body, statement(1, "a\nb\tc"));
    parsed.verify_by(k.verifier_key()).unwrap();
}

#[test]
fn sign_entry_refuses_control_characters() {
    let k = key("aigerim");
    for (c, code) in [
        ('\u{7}', 7),
        ('\u{1b}', 0x1b),
        ('\u{7f}', 0x7f),
        ('\u{85}', 0x85),
    ] {
        let body = statement(1, &format!("x{c}y"));
        assert_eq!(
            sign_entry(ORIGIN_A, &body, &k).unwrap_err(),
            EntryError::ControlCharacter(code),
            "{code:#x}"
        );
    }
}

#[test]
fn every_prefix_of_an_entry_is_refused() {
    let k = key("aigerim");
    // A non-ASCII statement so some cuts fall inside a UTF-8 sequence.
    let bytes = sign_entry(ORIGIN_A, &statement(1_764_345_600, "Сөз бостандығы"), &k).unwrap();
    for cut in 0..bytes.len() {
        let prefix = &bytes[..cut];
        let err = ParsedEntry::parse(prefix, ORIGIN_A)
            .map(|p| p.body)
            .expect_err(&format!("prefix of {cut} bytes parsed"));
        assert!(
            matches!(
                err,
                EntryError::Note(
                    NoteError::NoSignatureBlock
                        | NoteError::NotUtf8
                        | NoteError::MalformedSignatureLine { .. }
                )
            ),
            "cut {cut}: {err:?}"
        );
    }
    ParsedEntry::parse(&bytes, ORIGIN_A)
        .unwrap()
        .verify_by(k.verifier_key())
        .unwrap();
}

#[test]
fn wrong_number_of_lines_is_wrong_shape() {
    let k = key("aigerim");
    let two = sign_note(&format!("{ENTRY_FORMAT}\n{ORIGIN_A}\n"), &k);
    assert_eq!(
        parse_err(&two, ORIGIN_A),
        EntryError::WrongShape { lines: 2 }
    );
    let one = sign_note(&format!("{ENTRY_FORMAT}\n"), &k);
    assert_eq!(
        parse_err(&one, ORIGIN_A),
        EntryError::WrongShape { lines: 1 }
    );
    let json = serde_json::to_string(&statement(1, "a")).unwrap();
    let four = sign_note(&format!("{ENTRY_FORMAT}\n{ORIGIN_A}\n{json}\n{json}\n"), &k);
    assert_eq!(
        parse_err(&four, ORIGIN_A),
        EntryError::WrongShape { lines: 4 }
    );
}

#[test]
fn unknown_format_line_is_refused() {
    let k = key("aigerim");
    let json = serde_json::to_string(&statement(1, "a")).unwrap();
    for format in [
        "erkin.entry/v2",
        "erkin.entry/v1 ",
        "ERKIN.ENTRY/V1",
        ORIGIN_A,
    ] {
        let bytes = sign_note(&format!("{format}\n{ORIGIN_A}\n{json}\n"), &k);
        assert_eq!(
            parse_err(&bytes, ORIGIN_A),
            EntryError::UnknownFormat {
                found: format.into()
            }
        );
    }
}

#[test]
fn two_signatures_are_refused() {
    let a = key("aigerim");
    let b = key("bolat");
    let one = sign_entry(ORIGIN_A, &statement(1, "joint"), &a).unwrap();
    let other = sign_entry(ORIGIN_A, &statement(1, "joint"), &b).unwrap();
    let text_len = one.windows(2).rposition(|w| w == b"\n\n").unwrap() + 2;
    assert_eq!(one[..text_len], other[..text_len]);
    let mut both = one.clone();
    both.extend_from_slice(&other[text_len..]);
    assert_eq!(parse_err(&both, ORIGIN_A), EntryError::SignatureCount(2));
    // The same signature twice is no better.
    let mut twice = one.clone();
    twice.extend_from_slice(&one[text_len..]);
    assert_eq!(parse_err(&twice, ORIGIN_A), EntryError::SignatureCount(2));
}

#[test]
fn kind() {
    let s = Action::Statement(Statement {
        text: "first line\nsecond".into(),
    });
    assert_eq!(s.kind(), "statement");
    let g = Action::Genesis(Genesis {
        name: "Erkin".into(),
        log_key: "k".into(),
        founders: vec!["a".into(), "b".into()],
        charter: Charter::default(),
    });
    assert_eq!(g.kind(), "genesis");
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = ParsedEntry::parse(&bytes, ORIGIN_A);
    }

    /// Bytes that look almost like an entry (a valid one with a few bytes
    /// overwritten) never panic, and if they still parse they are refused by
    /// the author's key unless they are byte-identical to the original.
    #[test]
    fn mutated_entries_never_panic_nor_verify(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)
    ) {
        let k = mutation_key();
        let original = sign_entry(ORIGIN_A, &statement(5, "mutate me"), k).unwrap();
        let mut bytes = original.clone();
        for (i, b) in edits {
            let i = i.index(bytes.len());
            bytes[i] = b;
        }
        if let Ok(p) = ParsedEntry::parse(&bytes, ORIGIN_A) {
            if p.verify_by(k.verifier_key()).is_ok() {
                prop_assert_eq!(p.body, statement(5, "mutate me"));
            }
        }
    }
}

fn mutation_key() -> &'static SecretKey {
    static K: std::sync::OnceLock<SecretKey> = std::sync::OnceLock::new();
    K.get_or_init(|| key("aigerim"))
}
