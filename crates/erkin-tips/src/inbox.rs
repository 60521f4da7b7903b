//! The inbox on disk: `<data dir>/tips/`.
//!
//! ```text
//! tips/tips.sqlite     threads, tips and replies (no plaintext, no exact time)
//! tips/salt            32 random bytes: this inbox's salt for thread IDs
//! tips/<id>.age        one sealed tip (age ciphertext, padded to its bucket)
//! tips/tmp/            ciphertext being written; emptied on open
//! ```
//!
//! A thread row holds its ID (Argon2id of the codename, `keys.rs`) and its
//! reply recipient; a tip row its ID (random), thread, day (days since
//! 1970-01-01 UTC), sizes and the recipients it was sealed to; a reply row
//! its ciphertext (age, to the thread's reply recipient). Times are whole
//! days, and every file this module writes is dated at the start of its day
//! (`set_modified`), so the file system's modification times do not keep
//! the minute either (their change times still do: docs/TIPS.md).
//! SQLite runs with a rollback journal (no WAL file left behind) and
//! `secure_delete`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand_core::{OsRng, RngCore};
use rusqlite::{params, Connection, OptionalExtension};

use crate::keys::{self, Cost};
use crate::seal::Sealed;

/// Longest reply ciphertext a member may post, in bytes.
pub const MAX_REPLY_LEN: usize = 256 * 1024;
/// Most replies kept per thread (the oldest go first).
pub const MAX_REPLIES_PER_THREAD: i64 = 200;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The inbox's files could not be read or written: the operator must
    /// fix the disk or permissions of `<data dir>/tips`.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The inbox's database failed.
    #[error("tips.sqlite: {0}")]
    Sql(#[from] rusqlite::Error),
    /// The salt file is not 32 bytes: the inbox was damaged; threads cannot
    /// be found without it.
    #[error("{0}: not a 32-byte salt; the inbox is damaged")]
    BadSalt(PathBuf),
    /// No thread has this ID (a reply to a thread that does not exist).
    #[error("no such thread")]
    NoThread,
    /// No tip has this ID.
    #[error("no such tip")]
    NoTip,
    /// A reply larger than [`MAX_REPLY_LEN`].
    #[error("a reply is at most {MAX_REPLY_LEN} bytes")]
    ReplyTooLarge,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> InboxError + '_ {
    move |source| InboxError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Today, in days since 1970-01-01 UTC.
pub fn today() -> i64 {
    (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
        / 86_400) as i64
}

/// A day number as `YYYY-MM-DD` (proleptic Gregorian; Howard Hinnant's
/// civil-from-days).
pub fn day_string(day: i64) -> String {
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

fn day_start(day: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(day.max(0) as u64 * 86_400)
}

/// A stored tip, as listed for a tip reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TipRow {
    pub id: String,
    pub thread: String,
    pub reply_recipient: String,
    pub day: i64,
    pub len: u64,
    pub bucket: u64,
    pub recipients: Vec<String>,
}

/// What a codename found: its thread's replies, decrypted.
pub struct Conversation {
    pub thread: String,
    pub tips: usize,
    pub replies: Vec<(i64, String)>,
}

pub struct Inbox {
    dir: PathBuf,
    salt: [u8; 32],
    cost: Cost,
    conn: Mutex<Connection>,
}

fn random_id() -> String {
    let mut b = [0u8; 16];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

impl Inbox {
    /// Opens (creating if needed) the inbox under `data_dir/tips`, and
    /// removes any ciphertext a crash left half-written in `tmp/`.
    pub fn open(data_dir: &Path, cost: Cost) -> Result<Self, InboxError> {
        let dir = data_dir.join("tips");
        let tmp = dir.join("tmp");
        fs::create_dir_all(&tmp).map_err(io(&tmp))?;
        for e in fs::read_dir(&tmp).map_err(io(&tmp))?.flatten() {
            let _ = fs::remove_file(e.path());
        }
        let salt_path = dir.join("salt");
        let salt = match fs::read(&salt_path) {
            Ok(b) => b
                .try_into()
                .map_err(|_| InboxError::BadSalt(salt_path.clone()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut salt = [0u8; 32];
                OsRng.fill_bytes(&mut salt);
                let mut opts = fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(&salt_path).map_err(io(&salt_path))?;
                f.write_all(&salt)
                    .and_then(|_| f.sync_all())
                    .map_err(io(&salt_path))?;
                salt
            }
            Err(e) => return Err(io(&salt_path)(e)),
        };
        let conn = Connection::open(dir.join("tips.sqlite"))?;
        conn.execute_batch(
            "PRAGMA journal_mode=DELETE;
             PRAGMA synchronous=FULL;
             PRAGMA secure_delete=ON;
             CREATE TABLE IF NOT EXISTS threads (
                 id TEXT PRIMARY KEY,
                 reply_recipient TEXT NOT NULL,
                 day INTEGER NOT NULL);
             CREATE TABLE IF NOT EXISTS tips (
                 id TEXT PRIMARY KEY,
                 thread TEXT NOT NULL REFERENCES threads(id),
                 day INTEGER NOT NULL,
                 len INTEGER NOT NULL,
                 bucket INTEGER NOT NULL,
                 recipients TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS replies (
                 id TEXT PRIMARY KEY,
                 thread TEXT NOT NULL REFERENCES threads(id),
                 day INTEGER NOT NULL,
                 body BLOB NOT NULL);",
        )?;
        let inbox = Inbox {
            dir,
            salt,
            cost,
            conn: Mutex::new(conn),
        };
        inbox.blur_times(today());
        Ok(inbox)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Where sealing writes its temporary ciphertext.
    pub fn tmp_dir(&self) -> PathBuf {
        self.dir.join("tmp")
    }

    /// A tip's file.
    pub fn tip_path(&self, id: &str) -> Option<PathBuf> {
        (id.len() == 32
            && id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()))
        .then(|| self.dir.join(format!("{id}.age")))
    }

    /// The thread ID and reply recipient of a codename: two Argon2id
    /// hashes, the same work for every input.
    pub fn derive(&self, codename: &str) -> (String, age::x25519::Identity) {
        (
            keys::thread_id(self.cost, codename, &self.salt),
            keys::reply_identity(self.cost, codename),
        )
    }

    /// Bytes of tips kept now.
    pub fn stored_bytes(&self) -> Result<u64, InboxError> {
        let n: i64 = self
            .conn()
            .query_row("SELECT coalesce(sum(len), 0) FROM tips", [], |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// Whether a thread exists.
    pub fn has_thread(&self, thread: &str) -> Result<bool, InboxError> {
        Ok(self
            .conn()
            .query_row("SELECT 1 FROM threads WHERE id = ?1", [thread], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Keeps a sealed tip in `thread`, creating the thread (with its reply
    /// recipient) if it is new. The file is synced and renamed into place
    /// before the row is committed; a failure leaves nothing behind.
    pub fn keep(
        &self,
        sealed: Sealed,
        thread: &str,
        reply_recipient: &str,
        recipients: &[String],
    ) -> Result<String, InboxError> {
        let day = today();
        let id = random_id();
        let path = self.dir.join(format!("{id}.age"));
        let file = sealed.file;
        file.as_file().sync_all().map_err(io(&path))?;
        let _ = file.as_file().set_modified(day_start(day));
        let kept = file
            .persist_noclobber(&path)
            .map_err(|e| io(&path)(e.error))?;
        drop(kept);
        let stored = (|| -> Result<(), InboxError> {
            let mut conn = self.conn();
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT OR IGNORE INTO threads (id, reply_recipient, day) VALUES (?1, ?2, ?3)",
                params![thread, reply_recipient, day],
            )?;
            tx.execute(
                "INSERT INTO tips (id, thread, day, len, bucket, recipients) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    thread,
                    day,
                    sealed.len as i64,
                    sealed.bucket as i64,
                    recipients.join(" ")
                ],
            )?;
            tx.commit()?;
            Ok(())
        })();
        if let Err(e) = stored {
            let _ = fs::remove_file(&path);
            return Err(e);
        }
        self.blur_times(day);
        Ok(id)
    }

    /// Dates the database and the directory at the start of the day.
    fn blur_times(&self, day: i64) {
        let t = day_start(day);
        for p in [
            self.dir.join("tips.sqlite"),
            self.dir.join("salt"),
            self.dir.clone(),
            self.tmp_dir(),
        ] {
            if let Ok(f) = fs::File::open(&p) {
                let _ = f.set_modified(t);
            }
        }
    }

    /// The conversation a codename (already normalized, or as typed when it
    /// did not normalize) opens, if any. Always derives both keys first.
    pub fn conversation(&self, codename: &str) -> Result<Option<Conversation>, InboxError> {
        let (thread, identity) = self.derive(codename);
        let conn = self.conn();
        let tips: i64 = conn.query_row(
            "SELECT count(*) FROM tips WHERE thread = ?1",
            [&thread],
            |r| r.get(0),
        )?;
        let exists = conn
            .query_row("SELECT 1 FROM threads WHERE id = ?1", [&thread], |_| Ok(()))
            .optional()?
            .is_some();
        let mut stmt =
            conn.prepare("SELECT day, body FROM replies WHERE thread = ?1 ORDER BY rowid")?;
        let rows: Vec<(i64, Vec<u8>)> = stmt
            .query_map([&thread], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        if !exists {
            return Ok(None);
        }
        let replies = rows
            .into_iter()
            .map(|(day, body)| (day, crate::reply::open(&body, &identity)))
            .collect();
        Ok(Some(Conversation {
            thread,
            tips: tips as usize,
            replies,
        }))
    }

    /// Tips sealed to `recipient`, oldest first.
    pub fn list_for(&self, recipient: &str) -> Result<Vec<TipRow>, InboxError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT t.id, t.thread, th.reply_recipient, t.day, t.len, t.bucket, t.recipients
             FROM tips t JOIN threads th ON th.id = t.thread ORDER BY t.rowid",
        )?;
        let rows = stmt
            .query_map([], |r| {
                let recipients: String = r.get(6)?;
                Ok(TipRow {
                    id: r.get(0)?,
                    thread: r.get(1)?,
                    reply_recipient: r.get(2)?,
                    day: r.get(3)?,
                    len: r.get::<_, i64>(4)? as u64,
                    bucket: r.get::<_, i64>(5)? as u64,
                    recipients: recipients.split(' ').map(str::to_string).collect(),
                })
            })?
            .filter_map(Result::ok)
            .filter(|t| t.recipients.iter().any(|r| r == recipient))
            .collect();
        Ok(rows)
    }

    /// Keeps a member's reply (age ciphertext to the thread's reply
    /// recipient) in `thread`.
    pub fn reply(&self, thread: &str, ciphertext: &[u8]) -> Result<String, InboxError> {
        if ciphertext.len() > MAX_REPLY_LEN {
            return Err(InboxError::ReplyTooLarge);
        }
        if !self.has_thread(thread)? {
            return Err(InboxError::NoThread);
        }
        let day = today();
        let id = random_id();
        {
            let conn = self.conn();
            conn.execute(
                "INSERT INTO replies (id, thread, day, body) VALUES (?1, ?2, ?3, ?4)",
                params![id, thread, day, ciphertext],
            )?;
            conn.execute(
                "DELETE FROM replies WHERE thread = ?1 AND rowid NOT IN
                 (SELECT rowid FROM replies WHERE thread = ?1 ORDER BY rowid DESC LIMIT ?2)",
                params![thread, MAX_REPLIES_PER_THREAD],
            )?;
        }
        self.blur_times(day);
        Ok(id)
    }

    /// Deletes a tip (its file and row) once a reader has it.
    pub fn delete(&self, id: &str) -> Result<(), InboxError> {
        let path = self.tip_path(id).ok_or(InboxError::NoTip)?;
        let n = self
            .conn()
            .execute("DELETE FROM tips WHERE id = ?1", [id])?;
        if n == 0 {
            return Err(InboxError::NoTip);
        }
        fs::remove_file(&path).map_err(io(&path))?;
        self.blur_times(today());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_need_a_thread_and_a_bound() {
        let dir = tempfile::tempdir().unwrap();
        let cheap = Cost {
            memory_kib: 64,
            passes: 1,
        };
        let inbox = Inbox::open(dir.path(), cheap).unwrap();
        assert!(matches!(
            inbox.reply("no-such-thread", b"x"),
            Err(InboxError::NoThread)
        ));
        assert!(matches!(
            inbox.reply("no-such-thread", &vec![0; MAX_REPLY_LEN + 1]),
            Err(InboxError::ReplyTooLarge)
        ));
        assert!(matches!(inbox.delete("zz"), Err(InboxError::NoTip)));
        assert!(matches!(
            inbox.delete(&"a".repeat(32)),
            Err(InboxError::NoTip)
        ));
        // A damaged salt is named, not replaced.
        drop(inbox);
        std::fs::write(dir.path().join("tips/salt"), b"short").unwrap();
        assert!(matches!(
            Inbox::open(dir.path(), cheap),
            Err(InboxError::BadSalt(_))
        ));
    }

    #[test]
    fn days_are_dates() {
        assert_eq!(day_string(0), "1970-01-01");
        assert_eq!(day_string(19_723), "2024-01-01");
        assert_eq!(day_string(11_016), "2000-02-29");
    }
}
