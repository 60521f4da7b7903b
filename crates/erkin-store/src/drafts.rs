//! Members' private drafts, kept by the newsroom's server for its desk.
//!
//! Drafts are not part of the publication: they live in their own SQLite
//! file, `drafts.sqlite` in the data directory, beside (never inside) the
//! log's `erkin.sqlite`, so no export, bundle or mirror — which all read the
//! log — ever carries one. A draft belongs to the member who wrote it; once
//! handed to the editors, editors may open, change and publish it.
//!
//! Bounded: a draft is at most [`MAX_DRAFT_LEN`] bytes, a member keeps at
//! most [`MAX_DRAFTS_PER_MEMBER`]. Who may read what is decided by the
//! caller (the server's desk), which knows who is signed in and who is an
//! editor; this module only stores.

use std::path::Path;

use erkin_core::api::{DraftDocument, DraftFields, DraftSummary};
use rusqlite::{params, Connection, OptionalExtension};

/// The drafts file's name inside a data directory.
pub const DRAFTS_FILE: &str = "drafts.sqlite";
/// The most bytes one draft's fields may take (as JSON).
pub const MAX_DRAFT_LEN: usize = 256 * 1024;
/// The most drafts one member keeps on the server.
pub const MAX_DRAFTS_PER_MEMBER: u64 = 200;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DraftError {
    #[error("the drafts file could not be used: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("a draft's ID is 32 lowercase hex digits")]
    BadId,
    #[error("the draft is {len} bytes, more than the {MAX_DRAFT_LEN} allowed")]
    TooLarge { len: usize },
    #[error("a member keeps at most {MAX_DRAFTS_PER_MEMBER} drafts on the server")]
    TooMany,
    #[error("the draft is another member's")]
    NotOwner,
    #[error("the stored draft is unreadable: {0}")]
    Corrupt(String),
}

/// The drafts file of one data directory.
pub struct Drafts {
    db: Connection,
}

/// Whether `id` is a draft ID: 32 lowercase hex digits.
pub fn is_draft_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

impl Drafts {
    /// Opens (or creates) `dir/drafts.sqlite`.
    pub fn open(dir: &Path) -> Result<Self, DraftError> {
        let db = Connection::open(dir.join(DRAFTS_FILE))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "FULL")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        db.execute_batch(
            "CREATE TABLE IF NOT EXISTS drafts (
                id TEXT PRIMARY KEY,
                owner TEXT NOT NULL,
                handed_off INTEGER NOT NULL DEFAULT 0,
                updated INTEGER NOT NULL,
                fields TEXT NOT NULL
            );
            CREATE INDEX IF NOT EXISTS drafts_owner ON drafts(owner);",
        )?;
        Ok(Self { db })
    }

    /// The draft `id`, whoever wrote it (the caller decides who may see it).
    pub fn get(&self, id: &str) -> Result<Option<DraftDocument>, DraftError> {
        if !is_draft_id(id) {
            return Err(DraftError::BadId);
        }
        let row = self
            .db
            .query_row(
                "SELECT owner, handed_off, updated, fields FROM drafts WHERE id = ?1",
                params![id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, bool>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, String>(3)?,
                    ))
                },
            )
            .optional()?;
        row.map(|(owner, handed_off, updated, fields)| {
            Ok(DraftDocument {
                id: id.to_string(),
                owner,
                handed_off,
                updated: u64::try_from(updated).unwrap_or(0),
                fields: serde_json::from_str(&fields)
                    .map_err(|e| DraftError::Corrupt(e.to_string()))?,
            })
        })
        .transpose()
    }

    /// Saves `fields` as draft `id`. A new draft belongs to `writer`; an
    /// existing one keeps its owner, and only its owner may save it unless
    /// `editor_may` (the caller checked the writer is an editor and the
    /// draft was handed off).
    pub fn save(
        &mut self,
        id: &str,
        writer: &str,
        fields: &DraftFields,
        now: u64,
        editor_may: bool,
    ) -> Result<DraftDocument, DraftError> {
        if !is_draft_id(id) {
            return Err(DraftError::BadId);
        }
        let json = serde_json::to_string(fields).map_err(|e| DraftError::Corrupt(e.to_string()))?;
        if json.len() > MAX_DRAFT_LEN {
            return Err(DraftError::TooLarge { len: json.len() });
        }
        let tx = self.db.transaction()?;
        let existing: Option<(String, bool)> = tx
            .query_row(
                "SELECT owner, handed_off FROM drafts WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let now_i = i64::try_from(now).unwrap_or(i64::MAX);
        let (owner, handed_off) = match existing {
            Some((owner, handed_off)) => {
                if owner != writer && !(handed_off && editor_may) {
                    return Err(DraftError::NotOwner);
                }
                tx.execute(
                    "UPDATE drafts SET fields = ?2, updated = ?3 WHERE id = ?1",
                    params![id, json, now_i],
                )?;
                (owner, handed_off)
            }
            None => {
                let count: i64 = tx.query_row(
                    "SELECT count(*) FROM drafts WHERE owner = ?1",
                    params![writer],
                    |r| r.get(0),
                )?;
                if u64::try_from(count).unwrap_or(u64::MAX) >= MAX_DRAFTS_PER_MEMBER {
                    return Err(DraftError::TooMany);
                }
                tx.execute(
                    "INSERT INTO drafts (id, owner, handed_off, updated, fields) VALUES (?1, ?2, 0, ?3, ?4)",
                    params![id, writer, now_i, json],
                )?;
                (writer.to_string(), false)
            }
        };
        tx.commit()?;
        Ok(DraftDocument {
            id: id.to_string(),
            owner,
            handed_off,
            updated: now,
            fields: fields.clone(),
        })
    }

    /// Hands the owner's draft to the editors.
    pub fn hand_off(&mut self, id: &str, owner: &str) -> Result<(), DraftError> {
        if !is_draft_id(id) {
            return Err(DraftError::BadId);
        }
        let n = self.db.execute(
            "UPDATE drafts SET handed_off = 1 WHERE id = ?1 AND owner = ?2",
            params![id, owner],
        )?;
        if n == 0 {
            return Err(DraftError::NotOwner);
        }
        Ok(())
    }

    /// The member's own drafts and, if `editor`, every handed-off draft;
    /// newest first.
    pub fn list(&self, member: &str, editor: bool) -> Result<Vec<DraftSummary>, DraftError> {
        let mut stmt = self.db.prepare(
            "SELECT id, owner, handed_off, updated, fields FROM drafts
             WHERE owner = ?1 OR (?2 AND handed_off = 1)
             ORDER BY updated DESC, id LIMIT 1000",
        )?;
        let rows = stmt.query_map(params![member, editor], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, owner, handed_off, updated, fields) = row?;
            let fields: DraftFields =
                serde_json::from_str(&fields).map_err(|e| DraftError::Corrupt(e.to_string()))?;
            out.push(DraftSummary {
                id,
                owner,
                title: fields.title,
                handed_off,
                updated: u64::try_from(updated).unwrap_or(0),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "0123456789abcdef0123456789abcdef";

    fn fields(title: &str) -> DraftFields {
        DraftFields {
            title: title.into(),
            lang: "en".into(),
            body: "Once upon".into(),
            ..DraftFields::default()
        }
    }

    #[test]
    fn owner_saves_others_cannot_until_handed_off_to_an_editor() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = Drafts::open(dir.path()).unwrap();
        d.save(A, "dana", &fields("One"), 10, false).unwrap();
        assert!(matches!(
            d.save(A, "erlan", &fields("Mine now"), 11, false),
            Err(DraftError::NotOwner)
        ));
        // An editor cannot change it before it is handed off either.
        assert!(matches!(
            d.save(A, "alice", &fields("Edited"), 11, true),
            Err(DraftError::NotOwner)
        ));
        assert!(matches!(d.hand_off(A, "erlan"), Err(DraftError::NotOwner)));
        d.hand_off(A, "dana").unwrap();
        let saved = d.save(A, "alice", &fields("Edited"), 12, true).unwrap();
        assert_eq!((saved.owner.as_str(), saved.handed_off), ("dana", true));
        assert_eq!(d.get(A).unwrap().unwrap().fields.title, "Edited");
        assert_eq!(d.list("erlan", false).unwrap(), vec![]);
        assert_eq!(d.list("alice", true).unwrap().len(), 1);
        assert_eq!(d.list("dana", false).unwrap()[0].title, "Edited");
    }

    #[test]
    fn bad_ids_and_oversized_drafts_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = Drafts::open(dir.path()).unwrap();
        for id in [
            "",
            "../x",
            "0123456789ABCDEF0123456789ABCDEF",
            &"a".repeat(33),
        ] {
            assert!(matches!(d.get(id), Err(DraftError::BadId)), "{id}");
        }
        let mut big = fields("Big");
        big.body = "x".repeat(MAX_DRAFT_LEN);
        assert!(matches!(
            d.save(A, "dana", &big, 1, false),
            Err(DraftError::TooLarge { .. })
        ));
        assert!(d.get(A).unwrap().is_none());
    }

    #[test]
    fn a_member_keeps_a_bounded_number_of_drafts() {
        let dir = tempfile::tempdir().unwrap();
        let mut d = Drafts::open(dir.path()).unwrap();
        for i in 0..MAX_DRAFTS_PER_MEMBER {
            d.save(&format!("{i:032x}"), "dana", &fields("t"), 1, false)
                .unwrap();
        }
        assert!(matches!(
            d.save(&format!("{:032x}", 999_999), "dana", &fields("t"), 1, false),
            Err(DraftError::TooMany)
        ));
        // Saving an existing one still works, and others are not limited by her.
        d.save(&format!("{:032x}", 0), "dana", &fields("u"), 2, false)
            .unwrap();
        d.save(
            &format!("{:032x}", 999_999),
            "erlan",
            &fields("t"),
            1,
            false,
        )
        .unwrap();
    }
}
