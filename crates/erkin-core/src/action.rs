//! Member actions: what one log entry asks the publication to do.
//!
//! Each action is one variant of [`Action`], serialized as strict JSON with the
//! variant name as the only key (`{"statement":{"text":"..."}}`). Unknown fields
//! are rejected, so an old binary never silently ignores part of a newer action;
//! it refuses the entry and says so.

use serde::{Deserialize, Serialize};

/// Longest publication name, in bytes.
pub const MAX_NAME_LEN: usize = 200;
/// Longest statement, in bytes.
pub const MAX_STATEMENT_LEN: usize = 16 * 1024;
/// Most founders a genesis entry may name.
pub const MAX_FOUNDERS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// The first entry of every log: founds the publication. Signed by the log
    /// key, because no member exists yet.
    Genesis(Genesis),
    /// A member's signed public statement, kept in the record (for example a
    /// declaration of interest). Any member may make one.
    Statement(Statement),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    /// The publication's human name ("Erkin Habar").
    pub name: String,
    /// The log key's verifier key; its name is the origin.
    pub log_key: String,
    /// Founders' verifier keys. A key's name is the founder's public handle.
    pub founders: Vec<String>,
    pub charter: Charter,
}

/// The publication's constitution. For now it records only the languages; the
/// decision rules (thresholds, quorums, voting periods, board) arrive with the
/// governance work and will extend this struct.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charter {
    pub languages: Vec<String>,
}

impl Default for Charter {
    fn default() -> Self {
        Self {
            languages: vec!["kk".into(), "ru".into(), "en".into()],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    pub text: String,
}

impl Action {
    /// The action's name as it appears in JSON.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Genesis(_) => "genesis",
            Action::Statement(_) => "statement",
        }
    }

    /// One human line describing the action (for `erkin log`).
    pub fn summary(&self) -> String {
        match self {
            Action::Genesis(g) => {
                format!("founded {:?} with {} founder(s)", g.name, g.founders.len())
            }
            Action::Statement(s) => {
                let first: String = s
                    .text
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(80)
                    .collect();
                format!("statement: {first}")
            }
        }
    }
}
