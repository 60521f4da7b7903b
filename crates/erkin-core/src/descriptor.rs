//! `erkin.json`, the descriptor every copy carries at its root: what the
//! copy is and which key checks it (docs/FORMATS.md, "Log layout").
//!
//! The renderer writes it, a mirror reads it to find the verifier key when
//! none is pinned, and the server serves it; all three use this one type.

use serde::{Deserialize, Serialize};

use crate::mirrors::MirrorEntry;
use crate::state::State;

/// The descriptor's path in every copy.
pub const DESCRIPTOR_FILE: &str = "erkin.json";

/// The layout version a descriptor names in `format`.
pub const DESCRIPTOR_FORMAT: &str = "erkin/1";

/// `{"format": "erkin/1", "origin", "name", "verifier_key", "mirrors"?}`. Unknown
/// fields are refused: a new field is a new format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Descriptor {
    /// Layout version of the copy ([`DESCRIPTOR_FORMAT`]).
    pub format: String,
    pub origin: String,
    pub name: String,
    /// The log's verifier key. A reader should pin it from a trusted channel
    /// (printed, QR, a friend) rather than from this file, which a hostile host
    /// could replace; it is here so mirrors and tools can find it.
    pub verifier_key: String,
    /// The mirror list editors set in the log (absent while empty, so a
    /// copy without one writes the same descriptor as before). A reader's
    /// client trusts it only from a copy that verified against the pinned
    /// key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mirrors: Vec<MirrorEntry>,
    /// The tip readers' age recipients, which the source inbox seals tips
    /// to (absent while there are none), so a source can check them on any
    /// mirror.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tip_readers: Vec<TipReaderEntry>,
}

/// A tip reader and their published age recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipReaderEntry {
    pub handle: String,
    pub recipient: String,
}

impl Descriptor {
    pub fn for_state(state: &State) -> Self {
        Self {
            format: DESCRIPTOR_FORMAT.into(),
            origin: state.origin().to_string(),
            name: state.name().to_string(),
            verifier_key: state.log_key().to_string(),
            mirrors: state.mirrors().to_vec(),
            tip_readers: state
                .tip_readers()
                .recipients()
                .map(|(handle, recipient)| TipReaderEntry {
                    handle: handle.to_string(),
                    recipient: recipient.to_string(),
                })
                .collect(),
        }
    }
}
