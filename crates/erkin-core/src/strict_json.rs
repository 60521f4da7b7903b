//! The checks serde's typed parsing does not make: duplicate object keys
//! (`serde_json` keeps the last one, so `{"a":1,"a":2}` could mean different
//! things to different readers) and control characters hidden in strings as
//! `\u0000`-style escapes (they would reach terminals and pages).

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// The first problem found in a JSON text, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    DuplicateKey(String),
    ControlCharacter(u32),
}

/// Scans `json` for duplicate keys (at any depth) and escaped control
/// characters other than newline and tab. Syntax errors are left to the typed
/// parse that follows, which reports them with a position.
pub fn first_problem(json: &str) -> Option<Problem> {
    serde_json::from_str::<Scan>(json).ok().and_then(|s| s.0)
}

struct Scan(Option<Problem>);

impl<'de> Deserialize<'de> for Scan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScanVisitor)
    }
}

struct ScanVisitor;

fn check_str(s: &str) -> Option<Problem> {
    s.chars()
        .find(|&c| c.is_control() && c != '\n' && c != '\t')
        .map(|c| Problem::ControlCharacter(c as u32))
}

impl<'de> Visitor<'de> for ScanVisitor {
    type Value = Scan;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Scan, E> {
        Ok(Scan(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<Scan, E> {
        Ok(Scan(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<Scan, E> {
        Ok(Scan(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Scan, E> {
        Ok(Scan(None))
    }
    fn visit_str<E>(self, s: &str) -> Result<Scan, E> {
        Ok(Scan(check_str(s)))
    }
    fn visit_unit<E>(self) -> Result<Scan, E> {
        Ok(Scan(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scan, A::Error> {
        let mut first = None;
        while let Some(Scan(p)) = seq.next_element()? {
            first = first.or(p);
        }
        Ok(Scan(first))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scan, A::Error> {
        let mut first = None;
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            first = first.or_else(|| check_str(&key));
            let Scan(p) = map.next_value()?;
            first = first.or(p);
            if !seen.insert(key.clone()) {
                first = first.or(Some(Problem::DuplicateKey(key.into_owned())));
            }
        }
        Ok(Scan(first))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_duplicates_at_any_depth() {
        assert_eq!(first_problem(r#"{"a":1,"b":2}"#), None);
        assert_eq!(
            first_problem(r#"{"a":1,"a":2}"#),
            Some(Problem::DuplicateKey("a".into()))
        );
        assert_eq!(
            first_problem(r#"{"x":[{"k":{"z":1,"z":1}}]}"#),
            Some(Problem::DuplicateKey("z".into()))
        );
        // Escapes do not hide a duplicate: "\u0061" is "a".
        assert_eq!(
            first_problem(r#"{"a":1,"\u0061":2}"#),
            Some(Problem::DuplicateKey("a".into()))
        );
    }

    #[test]
    fn finds_escaped_control_characters() {
        assert_eq!(first_problem(r#"{"t":"line\nnext\tcol"}"#), None);
        assert_eq!(
            first_problem(r#"{"t":"bell\u0007"}"#),
            Some(Problem::ControlCharacter(7))
        );
        assert_eq!(
            first_problem(r#"{"t":"\u001b[31m"}"#),
            Some(Problem::ControlCharacter(0x1b))
        );
        assert_eq!(
            first_problem(r#"{"t":"\u0085"}"#),
            Some(Problem::ControlCharacter(0x85))
        );
    }
}
