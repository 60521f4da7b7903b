//! Differences between revisions of an article, word by word (the
//! `similar` crate's Myers diff over words), and how much of an article a
//! correction replaced: a pure computation from the revisions' texts, shared
//! by the history page and the command line's `correct`.

use similar::{ChangeTag, TextDiff};

/// A correction that changes more than this share of the words (of the
/// longer of the two texts) is a major one, whatever the editor said.
pub const MAJOR_SHARE: f64 = 0.5;

/// One run of a word-level difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Same(String),
    Removed(String),
    Added(String),
}

/// The word-level difference from `old` to `new`, consecutive pieces of the
/// same kind joined.
pub fn words(old: &str, new: &str) -> Vec<Piece> {
    let diff = TextDiff::configure()
        .timeout(std::time::Duration::from_secs(2))
        .diff_words(old, new);
    let mut out: Vec<Piece> = Vec::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        match (change.tag(), out.last_mut()) {
            (ChangeTag::Equal, Some(Piece::Same(s)))
            | (ChangeTag::Delete, Some(Piece::Removed(s)))
            | (ChangeTag::Insert, Some(Piece::Added(s))) => s.push_str(text),
            (ChangeTag::Equal, _) => out.push(Piece::Same(text.to_string())),
            (ChangeTag::Delete, _) => out.push(Piece::Removed(text.to_string())),
            (ChangeTag::Insert, _) => out.push(Piece::Added(text.to_string())),
        }
    }
    out
}

/// The share of words (0.0 to 1.0) a change from `old` to `new` replaced:
/// one minus the words kept, over the word count of the longer text.
pub fn changed_share(old: &str, new: &str) -> f64 {
    let count = |s: &str| s.split_whitespace().count();
    let longer = count(old).max(count(new));
    if longer == 0 {
        return 0.0;
    }
    let kept: usize = words(old, new)
        .iter()
        .map(|p| match p {
            Piece::Same(s) => count(s),
            _ => 0,
        })
        .sum();
    1.0 - kept as f64 / longer as f64
}

/// Whether a change from `old` to `new` replaces most of the text.
pub fn is_major(old: &str, new: &str) -> bool {
    changed_share(old, new) > MAJOR_SHARE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_word_changed_is_minor_and_a_rewrite_is_major() {
        let old = "The council approved 150 tenge for water on Monday.";
        let fixed = "The council approved 148 tenge for water on Monday.";
        assert!(!is_major(old, fixed));
        assert_eq!(
            words(old, fixed),
            vec![
                Piece::Same("The council approved ".into()),
                Piece::Removed("150".into()),
                Piece::Added("148".into()),
                Piece::Same(" tenge for water on Monday.".into()),
            ]
        );
        assert!(is_major(old, "withdrawn"));
        assert!(changed_share(old, "withdrawn") > 0.9);
        assert_eq!(changed_share("", ""), 0.0);
    }
}
