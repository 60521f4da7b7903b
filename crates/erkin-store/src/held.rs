//! Secret ballots the sequencer holds until their proposal's close
//! (docs/BALLOT.md §8), and the salts of its seals.
//!
//! `held_ballots` is declared `WITHOUT ROWID` with the primary key
//! (proposal, epoch, ballot hash): rows sit in that order, so nothing
//! records the order ballots arrived in, and no column holds a time, an
//! address or anything about the connection. `nullifier` and `seq` are read
//! from the ballot itself (the `body`, its canonical JSON), kept apart only
//! to find a nullifier's ballots without parsing every body. Per nullifier
//! and epoch one row: a re-vote replaces it. Two indexes find a ballot by
//! its hash and a nullifier's ballots (`held_ballots_hash`: proposal,
//! ballot hash; `held_ballots_nullifier`: proposal, nullifier, seq) without
//! reading every row of the proposal: the intake looks both up for every
//! ballot before its proof, and a scan of a few thousand rows of 1.5 KiB
//! costs milliseconds, as much as the proof it is there to spare. They
//! hold nothing the table does not, in an order of their own (no time).
//! `held_salts` keeps each seal's
//! salt until the close reveals it. The store's `secure_delete` overwrites
//! the rows deleted after the close, and every change to the held tables
//! is followed by a `wal_checkpoint(TRUNCATE)`, so the write-ahead log
//! keeps no frames of held ballots in their arrival order.

use rusqlite::{params, OptionalExtension, Transaction, TransactionBehavior};

use crate::store::{sql_err, Store, StoreError};

// The tables' schema is `store::HELD_TABLES`, beside the store's others.

/// One held ballot, as the close publishes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldBallot {
    pub epoch: u64,
    pub hash: [u8; 32],
    /// The ballot's canonical JSON.
    pub body: Vec<u8>,
}

impl Store {
    /// Holds a ballot durably (one transaction, fsynced), replacing the
    /// nullifier's ballot of the same epoch, if any.
    pub fn hold_ballot(
        &self,
        proposal: u64,
        epoch: u64,
        hash: &[u8; 32],
        nullifier: &str,
        seq: u64,
        body: &[u8],
    ) -> Result<(), StoreError> {
        let sql = |e| sql_err(&self.path, e);
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(sql)?;
        tx.execute(
            "DELETE FROM held_ballots WHERE proposal = ?1 AND epoch = ?2 AND nullifier = ?3",
            params![proposal, epoch, nullifier],
        )
        .map_err(sql)?;
        tx.execute(
            "INSERT INTO held_ballots (proposal, epoch, ballot_hash, nullifier, seq, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![proposal, epoch, &hash[..], nullifier, seq, body],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        self.truncate_wal()
    }

    /// Copies the write-ahead log into the database file and truncates it
    /// to nothing (`wal_checkpoint(TRUNCATE)`), so no trail of held
    /// ballots in their arrival order, between the log's appends, stays
    /// in `erkin.sqlite-wal` for whoever takes the disk (review finding
    /// 6). Ballots are rare; the checkpoint costs one fsync of the pages
    /// changed since the last one. Best effort while a reader holds an
    /// older snapshot (SQLite then copies what it can; the next ballot's
    /// checkpoint finishes the job).
    fn truncate_wal(&self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(|e| sql_err(&self.path, e))
    }

    /// The epoch of the held ballot of `proposal` with this hash, if held.
    pub fn held_ballot_epoch(
        &self,
        proposal: u64,
        hash: &[u8; 32],
    ) -> Result<Option<u64>, StoreError> {
        self.conn
            .query_row(
                "SELECT epoch FROM held_ballots WHERE proposal = ?1 AND ballot_hash = ?2",
                params![proposal, &hash[..]],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_err(&self.path, e))
    }

    /// The highest `seq` held for `nullifier` on `proposal`, in any epoch.
    pub fn held_seq(&self, proposal: u64, nullifier: &str) -> Result<Option<u64>, StoreError> {
        self.conn
            .query_row(
                "SELECT MAX(seq) FROM held_ballots WHERE proposal = ?1 AND nullifier = ?2",
                params![proposal, nullifier],
                |r| r.get(0),
            )
            .map_err(|e| sql_err(&self.path, e))
    }

    /// How many distinct nullifiers `proposal`'s held ballots carry.
    pub fn held_nullifiers(&self, proposal: u64) -> Result<u64, StoreError> {
        self.conn
            .query_row(
                "SELECT COUNT(DISTINCT nullifier) FROM held_ballots WHERE proposal = ?1",
                params![proposal],
                |r| r.get(0),
            )
            .map_err(|e| sql_err(&self.path, e))
    }

    /// Every held ballot of `proposal`, in (epoch, ballot hash) order: the
    /// order its close publishes them in.
    pub fn held_ballots(&self, proposal: u64) -> Result<Vec<HeldBallot>, StoreError> {
        let sql = |e| sql_err(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT epoch, ballot_hash, body FROM held_ballots WHERE proposal = ?1
                 ORDER BY epoch, ballot_hash",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map(params![proposal], |r| {
                Ok((
                    r.get::<_, u64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })
            .map_err(sql)?;
        let mut out = Vec::new();
        for row in rows {
            let (epoch, hash, body) = row.map_err(sql)?;
            let hash: [u8; 32] = hash.try_into().map_err(|_| StoreError::Corrupt {
                path: self.path.clone(),
                reason: "a held ballot's hash is not 32 bytes".into(),
            })?;
            out.push(HeldBallot { epoch, hash, body });
        }
        Ok(out)
    }

    /// The hashes of `proposal`'s held ballots of `epoch`, ascending (what
    /// its seal commits to).
    pub fn held_hashes(&self, proposal: u64, epoch: u64) -> Result<Vec<[u8; 32]>, StoreError> {
        Ok(self
            .held_ballots(proposal)?
            .into_iter()
            .filter(|b| b.epoch == epoch)
            .map(|b| b.hash)
            .collect())
    }

    /// Keeps the salt of `proposal`'s seal of `epoch` (replacing one a
    /// failed batch left behind), durably, before the seal is appended.
    pub fn put_salt(&self, proposal: u64, epoch: u64, salt: &[u8; 32]) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR REPLACE INTO held_salts (proposal, epoch, salt) VALUES (?1, ?2, ?3)",
                params![proposal, epoch, &salt[..]],
            )
            .map(|_| ())
            .map_err(|e| sql_err(&self.path, e))
    }

    /// The salt kept for `proposal`'s seal of `epoch`.
    pub fn salt(&self, proposal: u64, epoch: u64) -> Result<Option<[u8; 32]>, StoreError> {
        let raw: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT salt FROM held_salts WHERE proposal = ?1 AND epoch = ?2",
                params![proposal, epoch],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| sql_err(&self.path, e))?;
        raw.map(|s| {
            s.try_into().map_err(|_| StoreError::Corrupt {
                path: self.path.clone(),
                reason: "a seal's salt is not 32 bytes".into(),
            })
        })
        .transpose()
    }

    /// The proposals with held ballots or salts.
    pub fn held_proposals(&self) -> Result<Vec<u64>, StoreError> {
        let sql = |e| sql_err(&self.path, e);
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT proposal FROM held_ballots
                 UNION SELECT DISTINCT proposal FROM held_salts ORDER BY 1",
            )
            .map_err(sql)?;
        let rows = stmt.query_map([], |r| r.get(0)).map_err(sql)?;
        rows.collect::<Result<Vec<u64>, _>>().map_err(sql)
    }

    /// Deletes `proposal`'s held ballots and salts (after its close is in
    /// the log), in one transaction.
    pub fn drop_held(&self, proposal: u64) -> Result<(), StoreError> {
        let sql = |e| sql_err(&self.path, e);
        let tx =
            Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate).map_err(sql)?;
        tx.execute(
            "DELETE FROM held_ballots WHERE proposal = ?1",
            params![proposal],
        )
        .map_err(sql)?;
        tx.execute(
            "DELETE FROM held_salts WHERE proposal = ?1",
            params![proposal],
        )
        .map_err(sql)?;
        tx.commit().map_err(sql)?;
        self.truncate_wal()
    }
}
