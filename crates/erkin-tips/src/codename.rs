//! Codenames: how a source finds their conversation again.
//!
//! A codename is [`WORDS`] words drawn uniformly from the EFF large wordlist
//! (7,776 words, `data/eff_large_wordlist.txt`, CC BY 3.0 US) with the
//! operating system's generator (`OsRng`): 7 × log2(7776) ≈ 90.5 bits. The
//! server never stores a codename; it stores the thread's lookup hash and the
//! reply recipient derived from it (`keys.rs`).

use rand_core::{OsRng, RngCore};
use std::sync::OnceLock;

/// Words in a codename (SecureDrop uses 7 from a similar list).
pub const WORDS: usize = 7;
/// Longest codename text accepted from a form, in bytes (7 words of at most
/// 9 letters and separators fit in 70; room for stray spaces).
pub const MAX_CODENAME_LEN: usize = 256;

const LIST: &str = include_str!("../data/eff_large_wordlist.txt");

/// The 7,776 words, in the list's order (sorted).
pub fn words() -> &'static [&'static str] {
    static WORDS_: OnceLock<Vec<&'static str>> = OnceLock::new();
    WORDS_.get_or_init(|| LIST.lines().filter_map(|l| l.split('\t').nth(1)).collect())
}

/// A new codename: [`WORDS`] words separated by single spaces.
pub fn generate() -> String {
    let list = words();
    let n = list.len() as u32;
    // Rejection sampling: uniform over the list, no modulo bias.
    let zone = u32::MAX - (u32::MAX % n);
    let mut out = Vec::with_capacity(WORDS);
    while out.len() < WORDS {
        let r = OsRng.next_u32();
        if r < zone {
            out.push(list[(r % n) as usize]);
        }
    }
    out.join(" ")
}

/// A codename as typed, in its one canonical form (lowercase words joined by
/// single spaces), or `None` when it is not [`WORDS`] words of the list.
/// Callers treat `None` exactly like an unknown codename (same work, same
/// answer), so a typo reveals nothing.
pub fn normalize(typed: &str) -> Option<String> {
    if typed.len() > MAX_CODENAME_LEN {
        return None;
    }
    let list = words();
    let parts: Vec<String> = typed
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    if parts.len() != WORDS
        || parts
            .iter()
            .any(|w| list.binary_search(&w.as_str()).is_err())
    {
        return None;
    }
    Some(parts.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_the_eff_large_list() {
        let w = words();
        assert_eq!(w.len(), 7776);
        assert_eq!(w[0], "abacus");
        assert_eq!(w[7775], "zoom");
        let mut sorted = w.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 7776, "distinct and sorted");
        assert_eq!(sorted, w, "binary search needs the list's order");
    }

    #[test]
    fn codenames_are_seven_listed_words_and_normalize_to_themselves() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(a.split(' ').count(), WORDS);
        assert_eq!(normalize(&a).as_deref(), Some(a.as_str()));
        let shouted = format!("  {}  ", a.to_uppercase().replace(' ', "\n "));
        assert_eq!(normalize(&shouted).as_deref(), Some(a.as_str()));
    }

    #[test]
    fn not_a_codename() {
        assert_eq!(normalize(""), None);
        assert_eq!(normalize("abacus abacus abacus"), None);
        assert_eq!(
            normalize("abacus abacus abacus abacus abacus abacus notaword"),
            None
        );
        assert_eq!(normalize(&"abacus ".repeat(8)), None);
        assert_eq!(normalize(&"a".repeat(10_000)), None);
    }
}
