//! One writer per data directory.
//!
//! The store already refuses an append checked against a stale size
//! (`StoreError::Conflict`), so two writers never corrupt the log. But a
//! sequencing server keeps the folded state in memory and renders pages
//! from it: an entry another process appended behind its back would be in
//! the log yet on none of its pages. So writing takes an exclusive advisory
//! lock on `erkin.lock` in the data directory (`flock`, released by the
//! kernel when the process ends, however it ends) and records who holds it,
//! so the refusal can name the other process.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::Path;

use crate::store::StoreError;

/// The lock file's name inside a data directory.
pub const LOCK_FILE: &str = "erkin.lock";

/// A held claim to write to a data directory; released when dropped.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

impl WriterLock {
    /// Takes the directory's writer lock for this process, described to
    /// others as `who`, or names who holds it ([`StoreError::Locked`]).
    pub fn acquire(dir: &Path, who: &str) -> Result<Self, StoreError> {
        let path = dir.join(LOCK_FILE);
        let io = |e: std::io::Error| StoreError::NotAStore {
            path: path.clone(),
            reason: format!("cannot open the writer lock: {e}"),
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut held = String::new();
                let _ = file.take(4096).read_to_string(&mut held);
                let mut lines = held.lines();
                let pid = lines.next().unwrap_or("unknown").to_string();
                let who = lines.next().unwrap_or("another erkin").to_string();
                return Err(StoreError::Locked {
                    dir: dir.to_path_buf(),
                    pid,
                    who,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}\n{who}\n", std::process::id()).map_err(io)?;
        Ok(Self { _file: file })
    }
}

impl Drop for WriterLock {
    /// Unlocks before the file is closed: a child process forked by
    /// another thread at this moment holds a duplicate of the descriptor
    /// until it execs, and closing ours alone would leave the lock held
    /// (flock belongs to the open file, not to one descriptor).
    fn drop(&mut self) {
        let _ = self._file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropping_releases_the_lock_while_a_duplicate_of_its_file_lives() {
        let dir = tempfile::tempdir().unwrap();
        let lock = WriterLock::acquire(dir.path(), "first").unwrap();
        // What a child forked at this moment holds until it execs.
        let inherited = lock._file.try_clone().unwrap();
        assert!(matches!(
            WriterLock::acquire(dir.path(), "second"),
            Err(StoreError::Locked { .. })
        ));
        drop(lock);
        WriterLock::acquire(dir.path(), "second").unwrap();
        drop(inherited);
    }
}
