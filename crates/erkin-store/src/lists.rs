//! The snapshot's lists ([`erkin_core::lists`]) kept beside its article
//! rows: every place of every article on the site's lists, and each list's
//! length, written in the same transaction as the rows they are made of,
//! so a render of a few new articles reads the lists they join — their
//! newest places, their lengths — and not the archive.
//!
//! Like the rest of the snapshot, a cache: made again from the rows
//! whenever they are written whole, or found not to be of the stored
//! snapshot (`state_lists_of` names the snapshot size they were made at).
//! A reader asks them only of the snapshot it holds ([`Store::read_lists`]);
//! what was folded since is the reader's to lay over them
//! (`Overlay`).

use std::collections::BTreeMap;

use erkin_core::lists::{lists_of_row, ListKey, ListKind, Place, Window};
use erkin_core::state::State;
use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use crate::list_rows::unminus;
use crate::store::{sql_err, Store, StoreError};

/// The stored lists of one snapshot, read in one transaction
/// ([`Store::read_lists`]).
pub struct StoredLists<'s> {
    tx: Transaction<'s>,
    store: &'s Store,
    /// The zone their months are of.
    zone: erkin_core::lists::TimeZone,
}

impl StoredLists<'_> {
    fn sql(&self, e: rusqlite::Error) -> StoreError {
        sql_err(self.store.path(), e)
    }

    /// The newest `n` places of list `key` (newest first, ties in slug
    /// order, then by occurrence), and its length.
    pub fn newest(&self, key: &ListKey, n: usize) -> Result<Window, StoreError> {
        let k = key.kind.code();
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT minus_at, slug FROM state_lists WHERE kind = ?1 AND lang = ?2 AND name = ?3
                 ORDER BY minus_at, slug, k LIMIT ?4",
            )
            .map_err(|e| self.sql(e))?;
        let limit = i64::try_from(n).unwrap_or(i64::MAX);
        let items = stmt
            .query_map(params![k, key.lang, key.name, limit], |r| {
                Ok((unminus(r.get(0)?), r.get::<_, String>(1)?))
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(|e| self.sql(e))?;
        let len: i64 = self
            .tx
            .prepare_cached(
                "SELECT n FROM state_list_lens WHERE kind = ?1 AND lang = ?2 AND name = ?3",
            )
            .and_then(|mut s| {
                s.query_row(params![k, key.lang, key.name], |r| r.get(0))
                    .optional()
            })
            .map_err(|e| self.sql(e))?
            .unwrap_or(0);
        Ok(Window {
            items,
            len: usize::try_from(len).unwrap_or(0),
        })
    }

    /// Every list of `kind` among the articles of `lang` (empty: every
    /// language), with its length, by name.
    pub fn names(&self, kind: ListKind, lang: &str) -> Result<Vec<(String, usize)>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT name, n FROM state_list_lens WHERE kind = ?1 AND lang = ?2")
            .map_err(|e| self.sql(e))?;
        stmt.query_map(params![kind.code(), lang], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map(|v| {
            v.into_iter()
                .map(|(name, n)| (name, usize::try_from(n).unwrap_or(0)))
                .collect()
        })
        .map_err(|e| self.sql(e))
    }

    /// The places the snapshot's row of article `slug` has on the lists
    /// (none if it has no row).
    pub fn places_of(&self, slug: &str) -> Result<Vec<Place>, StoreError> {
        let row: Option<Vec<u8>> = self
            .tx
            .prepare_cached("SELECT data FROM state_articles WHERE slug = ?1")
            .and_then(|mut s| s.query_row([slug], |r| r.get(0)).optional())
            .map_err(|e| self.sql(e))?;
        match row {
            None => Ok(Vec::new()),
            Some(row) => lists_of_row(&row, &self.zone).map_err(|why| StoreError::Corrupt {
                path: self.store.path().to_path_buf(),
                reason: format!("the snapshot row of article {slug}: {why}"),
            }),
        }
    }
}

impl Store {
    /// Runs `f` with the stored lists, in one read transaction, if they
    /// are of the stored snapshot, that is of `size` entries, and their
    /// months are of time zone `zone`; `Ok(None)` if not (none stored,
    /// another snapshot stored meanwhile, lists of another snapshot or
    /// zone: render from the articles instead).
    pub fn read_lists<T>(
        &self,
        size: u64,
        zone: &str,
        f: impl FnOnce(&StoredLists<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let sql = |e| sql_err(self.path(), e);
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Deferred).map_err(sql)?;
        let sizes: Option<(u64, u64, String)> = match tx
            .query_row(
                "SELECT s.size, l.size, l.zone FROM state_snapshot s, state_lists_of l WHERE s.id = 1 AND l.id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        {
            Ok(s) => s,
            Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => None,
            Err(e) => return Err(sql(e)),
        };
        if sizes != Some((size, size, zone.to_string())) {
            return Ok(None);
        }
        let lists = StoredLists {
            tx,
            store: self,
            zone: erkin_core::lists::zone(zone),
        };
        let out = f(&lists)?;
        lists.tx.commit().map_err(sql)?;
        Ok(Some(out))
    }
}

/// What a publication folded since its stored snapshot, on the lists: the
/// places its changed articles had there (their snapshot rows') and have
/// now. Laid over the stored lists, they give the lists of its state.
pub struct Overlay {
    size: u64,
    zone: String,
    touched: std::collections::BTreeSet<String>,
    old: BTreeMap<ListKey, Vec<(u64, String)>>,
    new: BTreeMap<ListKey, Vec<(u64, String)>>,
}

/// Newest first, ties in slug order (stable: a name given twice stays in
/// its occurrences' order).
fn sort_newest(items: &mut [(u64, String)]) {
    items.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
}

impl Overlay {
    /// The articles `state` changed since the snapshot it counts them from
    /// ([`State::touched_since`]), on the lists; `None` if `store`'s lists
    /// are not of that snapshot (render from every article). `state` is
    /// the fold of `store`'s entries: a publication's, or one a server
    /// holds apart from its store.
    pub fn of(store: &Store, state: &State) -> Result<Option<Overlay>, StoreError> {
        let size = state.touched_since();
        if size == 0 {
            return Ok(None);
        }
        let touched = state.touched_articles().clone();
        let zone = state.charter().time_zone();
        let tz = erkin_core::lists::zone(zone);
        store.read_lists(size, zone, |lists| {
            let mut old: BTreeMap<ListKey, Vec<(u64, String)>> = BTreeMap::new();
            let mut new: BTreeMap<ListKey, Vec<(u64, String)>> = BTreeMap::new();
            for slug in &touched {
                let mut places = lists.places_of(slug)?;
                places.sort_by_key(|p| p.occurrence);
                for p in places {
                    old.entry(p.key).or_default().push((p.at, slug.clone()));
                }
                let mut places = state
                    .article(slug)
                    .map(|a| erkin_core::lists::lists_of(a, &tz))
                    .unwrap_or_default();
                places.sort_by_key(|p| p.occurrence);
                for p in places {
                    new.entry(p.key).or_default().push((p.at, slug.clone()));
                }
            }
            Ok(Overlay {
                size,
                zone: zone.to_string(),
                touched,
                old,
                new,
            })
        })
    }

    /// Answers `queries` into `lists`, for the state this overlay is of:
    /// `store`'s lists with this laid over them. False if they are no
    /// longer of its snapshot (another process stored one meanwhile):
    /// render from every article.
    pub fn answer(
        &self,
        store: &Store,
        queries: &[erkin_core::lists::Query],
        into: &mut erkin_core::lists::Lists,
    ) -> Result<bool, StoreError> {
        use erkin_core::lists::Query;
        let overlay = self;
        let none = Vec::new();
        let answered = store.read_lists(overlay.size, &overlay.zone, |lists| {
            for q in queries {
                match q {
                    Query::Newest { key, n } => {
                        let old = overlay.old.get(key).unwrap_or(&none);
                        let new = overlay.new.get(key).unwrap_or(&none);
                        let stored = lists.newest(key, n.saturating_add(old.len()))?;
                        let mut items: Vec<(u64, String)> = stored
                            .items
                            .into_iter()
                            .filter(|(_, s)| !overlay.touched.contains(s))
                            .collect();
                        items.extend(new.iter().cloned());
                        sort_newest(&mut items);
                        items.truncate(*n);
                        into.windows.insert(
                            key.clone(),
                            Window {
                                items,
                                len: (stored.len + new.len()).saturating_sub(old.len()),
                            },
                        );
                    }
                    Query::Names { kind, lang } => {
                        let mut names: BTreeMap<String, i64> = lists
                            .names(*kind, lang)?
                            .into_iter()
                            .map(|(n, c)| (n, i64::try_from(c).unwrap_or(i64::MAX)))
                            .collect();
                        for (places, sign) in [(&overlay.old, -1), (&overlay.new, 1)] {
                            for (key, items) in places {
                                if key.kind == *kind && key.lang == *lang {
                                    let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                                    *names.entry(key.name.clone()).or_default() += sign * len;
                                }
                            }
                        }
                        into.names.insert(
                            (*kind, lang.clone()),
                            names
                                .into_iter()
                                .filter(|(_, c)| *c > 0)
                                .map(|(n, c)| (n, usize::try_from(c).unwrap_or(0)))
                                .collect(),
                        );
                    }
                    _ => return Ok(false),
                }
            }
            Ok(true)
        })?;
        Ok(answered == Some(true))
    }
}

impl Store {
    /// Whether the stored lists are those the stored snapshot's rows make
    /// (every place, every length): `None` if none are stored. What
    /// `erkin verify --deep` and the tests ask; reads every row.
    pub fn lists_match_rows(&self) -> Result<Option<bool>, StoreError> {
        let sql = |e| sql_err(self.path(), e);
        let of: Option<String> = match self
            .conn
            .query_row("SELECT zone FROM state_lists_of WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()
        {
            Ok(s) => s,
            Err(rusqlite::Error::SqliteFailure(_, Some(m))) if m.contains("no such table") => None,
            Err(e) => return Err(sql(e)),
        };
        let Some(zone) = of else {
            return Ok(None);
        };
        let tz = erkin_core::lists::zone(&zone);
        use erkin_core::lists::{place_hash, places_sum};
        // Both sides as a count and a sum of hashes, one row in memory at
        // a time, and each list's length.
        let (mut want, mut want_n) = (0u128, 0u64);
        let mut lens: BTreeMap<(i64, String, String), i64> = BTreeMap::new();
        let mut bad = false;
        self.for_each_snapshot_article(|slug, row| {
            match lists_of_row(row, &tz) {
                Ok(places) => {
                    for p in places {
                        let k = (p.key.kind.code(), p.key.lang, p.key.name);
                        want =
                            places_sum(want, place_hash(slug, k.0, &k.1, &k.2, p.at, p.occurrence));
                        want_n += 1;
                        *lens.entry(k).or_default() += 1;
                    }
                }
                Err(_) => bad = true,
            }
            Ok::<(), ()>(())
        })?
        .ok();
        let (mut have, mut have_n) = (0u128, 0u64);
        let mut stmt = self
            .conn
            .prepare("SELECT kind, lang, name, minus_at, slug, k FROM state_lists")
            .map_err(sql)?;
        let mut rows = stmt.query([]).map_err(sql)?;
        while let Some(r) = rows.next().map_err(sql)? {
            let (kind, lang, name): (i64, String, String) = (
                r.get(0).map_err(sql)?,
                r.get(1).map_err(sql)?,
                r.get(2).map_err(sql)?,
            );
            let (at, slug, k): (i64, String, u32) = (
                r.get(3).map_err(sql)?,
                r.get(4).map_err(sql)?,
                r.get(5).map_err(sql)?,
            );
            have = places_sum(have, place_hash(&slug, kind, &lang, &name, unminus(at), k));
            have_n += 1;
        }
        drop(rows);
        let mut stmt = self
            .conn
            .prepare("SELECT kind, lang, name, n FROM state_list_lens")
            .map_err(sql)?;
        let have_lens: BTreeMap<(i64, String, String), i64> = stmt
            .query_map([], |r| Ok(((r.get(0)?, r.get(1)?, r.get(2)?), r.get(3)?)))
            .and_then(|rows| rows.collect())
            .map_err(sql)?;
        Ok(Some(
            !bad && (want, want_n) == (have, have_n) && lens == have_lens,
        ))
    }
}
