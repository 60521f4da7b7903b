//! Tip readers: the office of members who can read the source inbox
//! (docs/TIPS.md).
//!
//! The members designate it by vote: a `tip_readers` motion names the whole
//! office (judged by the charter's `admit` rule: appointing someone to read
//! sources' documents is an admission of trust; a motion naming fewer
//! members removes the others). A tip reader publishes an age X25519
//! recipient with a `tip_key` entry; the inbox seals each submission to the
//! recipients current at that moment, which `erkin.json` and the mirrors
//! page list for sources to check.
//!
//! A recipient a reader replaced, or held when they left the office or the
//! membership, is **retired**: the fold refuses it ever after, for anyone,
//! so a removed reader's key can never come back into use.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

pub use crate::recipient::{check_recipient, RecipientError, MAX_RECIPIENT_LEN};

use crate::members::Roll;
use crate::rejection::Rejection;

/// Most tip readers the office may hold.
pub const MAX_TIP_READERS: usize = 16;
/// The office and the recipients: part of the folded state and its digest.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipReaders {
    /// The office, by handle, with the recipient each has published.
    pub readers: BTreeMap<String, Option<String>>,
    /// Recipients that may never be used again.
    pub retired: BTreeSet<String>,
}

impl TipReaders {
    pub fn is_empty(&self) -> bool {
        self.readers.is_empty() && self.retired.is_empty()
    }

    pub fn is_reader(&self, handle: &str) -> bool {
        self.readers.contains_key(handle)
    }

    /// The current recipients: (handle, recipient), by handle.
    pub fn recipients(&self) -> impl Iterator<Item = (&str, &str)> {
        self.readers
            .iter()
            .filter_map(|(h, r)| r.as_deref().map(|r| (h.as_str(), r)))
    }

    /// Whether `handle` may publish `recipient` now.
    pub fn check_key(&self, handle: &str, recipient: &str) -> Result<(), Rejection> {
        if !self.is_reader(handle) {
            return Err(Rejection::NotTipReader {
                handle: handle.to_string(),
            });
        }
        check_recipient(recipient).map_err(|reason| Rejection::BadTipRecipient { reason })?;
        if self.retired.contains(recipient) {
            return Err(Rejection::TipRecipientRetired);
        }
        if let Some((holder, _)) = self.recipients().find(|(_, r)| *r == recipient) {
            return Err(Rejection::TipRecipientTaken {
                handle: holder.to_string(),
            });
        }
        Ok(())
    }

    /// A checked `tip_key`: the reader's previous recipient is retired.
    pub(crate) fn set_key(&mut self, handle: &str, recipient: String) {
        if let Some(slot) = self.readers.get_mut(handle) {
            if let Some(old) = slot.replace(recipient) {
                self.retired.insert(old);
            }
        }
    }

    /// A passed `tip_readers` motion: the office becomes `handles`; those
    /// who leave it have their recipients retired, those who stay keep
    /// theirs, newcomers publish one.
    pub(crate) fn set_office(&mut self, handles: &[String]) {
        let keep: BTreeSet<&String> = handles.iter().collect();
        let leaving: Vec<String> = self
            .readers
            .keys()
            .filter(|h| !keep.contains(h))
            .cloned()
            .collect();
        for h in leaving {
            self.leave(&h);
        }
        for h in handles {
            self.readers.entry(h.clone()).or_insert(None);
        }
    }

    /// A member left the publication (or the office).
    pub(crate) fn leave(&mut self, handle: &str) {
        if let Some(Some(old)) = self.readers.remove(handle) {
            self.retired.insert(old);
        }
    }
}

/// Checks a `tip_readers` motion: members only, each once, at most
/// [`MAX_TIP_READERS`].
pub fn check_appointment(handles: &[String], roll: Roll<'_>) -> Result<(), Rejection> {
    if handles.len() > MAX_TIP_READERS {
        return Err(Rejection::TooManyTipReaders {
            max: MAX_TIP_READERS,
        });
    }
    let mut seen = BTreeSet::new();
    for h in handles {
        if !roll.is_member(h) {
            return Err(Rejection::UnknownMember { handle: h.clone() });
        }
        if !seen.insert(h) {
            return Err(Rejection::TipReaderTwice { handle: h.clone() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // A real recipient (age-keygen) and its secret's neighbour.
    const R: &str = "age1mnd2gq9lq6ppndd0g59z8wkae7cupne38wld7c8zp7tdgll9v95qywh9fw";

    #[test]
    fn replaced_and_removed_recipients_are_retired() {
        let mut t = TipReaders::default();
        t.set_office(&["a".into(), "b".into()]);
        t.check_key("a", R).unwrap();
        t.set_key("a", R.into());
        assert_eq!(
            t.check_key("b", R),
            Err(Rejection::TipRecipientTaken { handle: "a".into() })
        );
        t.set_office(&["b".into()]);
        assert!(t.retired.contains(R));
        assert_eq!(t.recipients().count(), 0);
        assert_eq!(t.check_key("b", R), Err(Rejection::TipRecipientRetired));
        assert_eq!(
            t.check_key("a", R),
            Err(Rejection::NotTipReader { handle: "a".into() })
        );
    }
}
