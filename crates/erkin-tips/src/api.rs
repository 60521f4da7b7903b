//! The tip readers' API documents (`/tips/api/v1/...`), one struct each,
//! shared by the server (`web.rs`) and `erkin tips` (the CLI), unknown
//! fields refused so the two cannot drift. Errors are
//! `erkin_core::api::ErrorDocument`.

use serde::{Deserialize, Serialize};

/// `GET /tips/api/v1/tips`: the tips sealed to the signer's recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipList {
    pub tips: Vec<TipInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TipInfo {
    /// 32 hex digits; `GET /tips/api/v1/tips/<id>` is its ciphertext.
    pub id: String,
    /// The day it came (`YYYY-MM-DD`, UTC): the only time kept.
    pub day: String,
    /// The ciphertext's size in bytes.
    pub len: u64,
    /// The conversation it belongs to (several tips from one codename).
    pub thread: String,
    /// Where replies to this conversation are sealed (`erkin tips reply`).
    pub reply_recipient: String,
}

/// `POST /tips/api/v1/replies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    pub thread: String,
    /// Armored age ciphertext to the thread's reply recipient.
    pub ciphertext: String,
}

/// The answer to a reply or a deletion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub id: String,
}
