//! The lists' rows ([`crate::lists`]) as a stored snapshot writes them, in
//! its transaction: the tables, and each article's places put in or taken
//! out. Nothing here reads for a render.

use std::collections::BTreeMap;

use erkin_core::lists::{lists_of_row, ListKey};
use erkin_core::snapshot::Encoded;
use rusqlite::{params, OptionalExtension, Transaction};

/// `state_lists`: one row per place, ordered as a list reads (newest
/// first: the time kept negated, then the slug, then the occurrence);
/// `state_list_lens`: each list's length; `state_lists_of`: the snapshot
/// size they are of, and the time zone their months are of.
pub(crate) const LISTS_TABLES: &str = "CREATE TABLE IF NOT EXISTS state_lists (kind INTEGER NOT NULL, lang TEXT NOT NULL, name TEXT NOT NULL, minus_at INTEGER NOT NULL, slug TEXT NOT NULL, k INTEGER NOT NULL, PRIMARY KEY (kind, lang, name, minus_at, slug, k)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_list_lens (kind INTEGER NOT NULL, lang TEXT NOT NULL, name TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (kind, lang, name)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state_lists_of (id INTEGER PRIMARY KEY CHECK (id = 1), size INTEGER NOT NULL, zone TEXT NOT NULL) STRICT;";

/// Empties the lists (a snapshot removed, or about to be written whole).
pub(crate) const CLEAR_LISTS: &str =
    "DELETE FROM state_lists; DELETE FROM state_list_lens; DELETE FROM state_lists_of;";

/// A time as kept: negated, so the index reads newest first.
pub(crate) fn minus(at: u64) -> i64 {
    i64::try_from(at).map_or(i64::MIN, |a| -a)
}

pub(crate) fn unminus(m: i64) -> u64 {
    m.checked_neg()
        .and_then(|a| u64::try_from(a).ok())
        .unwrap_or(0)
}

/// A row that does not read, as SQLite's error (inside a transaction that
/// is then rolled back).
fn bad_row(slug: &str, why: &'static str) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(format!("snapshot row of {slug}: {why}").into())
}

/// The lists' part of storing snapshot `snap` (of `snap.size` entries),
/// inside its transaction, before its rows replace the stored ones (an
/// article's old places are read from its old row). `stored`: the size of
/// the snapshot being completed, `None` when `snap` is written whole.
pub(crate) fn write(
    tx: &Transaction<'_>,
    snap: &Encoded,
    stored: Option<u64>,
) -> rusqlite::Result<()> {
    let of: Option<(u64, String)> = tx
        .query_row(
            "SELECT size, zone FROM state_lists_of WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let tz = erkin_core::lists::zone(&snap.zone);
    let mut lens: BTreeMap<ListKey, i64> = BTreeMap::new();
    // The places to take out first; then every written row's go in.
    match stored {
        Some(size) if of.as_ref() == Some(&(size, snap.zone.clone())) => {
            // The old rows' places out.
            let mut old = tx.prepare_cached("SELECT data FROM state_articles WHERE slug = ?1")?;
            let mut rows: Vec<(&str, Vec<u8>)> = Vec::new();
            for (slug, _) in &snap.articles {
                if let Some(row) = old.query_row([slug], |r| r.get(0)).optional()? {
                    rows.push((slug, row));
                }
            }
            let rows = rows.iter().map(|(s, b)| (*s, b));
            places(tx, DELETE_PLACE, &tz, rows, &mut lens, -1)?;
        }
        Some(_) => {
            // Not of the snapshot being completed (made by an erkin that
            // kept none, or left behind), or of another time zone: made
            // again from every row, the stored ones (one at a time) and
            // these.
            tx.execute_batch(CLEAR_LISTS)?;
            let written: std::collections::BTreeSet<&str> =
                snap.articles.iter().map(|(s, _)| s.as_str()).collect();
            let mut all = tx.prepare("SELECT slug, data FROM state_articles")?;
            let mut rows = all.query([])?;
            while let Some(r) = rows.next()? {
                let slug: String = r.get(0)?;
                if !written.contains(slug.as_str()) {
                    let row: Vec<u8> = r.get(1)?;
                    let one = std::iter::once((slug.as_str(), &row));
                    places(tx, INSERT_PLACE, &tz, one, &mut lens, 1)?;
                }
            }
        }
        None => tx.execute_batch(CLEAR_LISTS)?,
    }
    let written = snap.articles.iter().map(|(s, b)| (s.as_str(), b));
    places(tx, INSERT_PLACE, &tz, written, &mut lens, 1)?;
    let mut add = tx.prepare_cached(
        "INSERT INTO state_list_lens (kind, lang, name, n) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, lang, name) DO UPDATE SET n = n + excluded.n",
    )?;
    for (key, delta) in lens.into_iter().filter(|(_, d)| *d != 0) {
        add.execute(params![key.kind.code(), key.lang, key.name, delta])?;
    }
    tx.execute("DELETE FROM state_list_lens WHERE n <= 0", [])?;
    tx.execute(
        "INSERT OR REPLACE INTO state_lists_of (id, size, zone) VALUES (1, ?1, ?2)",
        params![snap.size, snap.zone],
    )?;
    Ok(())
}

const INSERT_PLACE: &str = "INSERT OR REPLACE INTO state_lists (kind, lang, name, minus_at, slug, k) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
const DELETE_PLACE: &str = "DELETE FROM state_lists WHERE kind = ?1 AND lang = ?2 AND name = ?3 AND minus_at = ?4 AND slug = ?5 AND k = ?6";

/// Runs `sql` ([`INSERT_PLACE`] or [`DELETE_PLACE`]) with each place of
/// the articles `rows` (slug, row), counting each `by` into `lens`.
fn places<'r, B: AsRef<[u8]> + 'r>(
    tx: &Transaction<'_>,
    sql: &str,
    tz: &erkin_core::lists::TimeZone,
    rows: impl Iterator<Item = (&'r str, &'r B)>,
    lens: &mut BTreeMap<ListKey, i64>,
    by: i64,
) -> rusqlite::Result<()> {
    let mut stmt = tx.prepare_cached(sql)?;
    for (slug, row) in rows {
        for p in lists_of_row(row.as_ref(), tz).map_err(|why| bad_row(slug, why))? {
            stmt.execute(params![
                p.key.kind.code(),
                p.key.lang,
                p.key.name,
                minus(p.at),
                slug,
                p.occurrence
            ])?;
            *lens.entry(p.key).or_default() += by;
        }
    }
    Ok(())
}
