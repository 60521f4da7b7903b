//! What the reader's client remembers about a publication, beside its copy:
//! the copies it knows, the last one that worked, when it last verified.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The file in a publication's reader folder.
pub const STATE_FILE: &str = "reader.json";
/// The mirror directory (the verified copy) in a publication's reader folder.
pub const COPY_DIR: &str = "copy";
/// Staging mirrors, one per source raced.
pub const RACE_DIR: &str = "race";
const MAX_STATE_LEN: u64 = 256 * 1024;
/// Most sources remembered.
pub const MAX_SOURCES: usize = 256;

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReaderState {
    /// The pinned verifier key.
    pub key: String,
    /// Every copy known: given by the reader, or learned from the log.
    pub sources: Vec<String>,
    /// The copy address the last successful sync came from (tried first).
    pub last_good: Option<String>,
    /// Where the copy held came from last: an address or a bundle file
    /// (for the banner).
    #[serde(default)]
    pub source: Option<String>,
    /// When a copy last verified (Unix seconds): the local copy is at least
    /// as new as every copy that answered then.
    pub last_verified: Option<u64>,
}

impl ReaderState {
    /// Reads the state in `folder` (none yet: the default).
    pub fn load(folder: &Path) -> Self {
        let path = folder.join(STATE_FILE);
        match std::fs::File::open(&path) {
            Ok(f) => {
                use std::io::Read;
                let mut bytes = Vec::new();
                if f.take(MAX_STATE_LEN).read_to_end(&mut bytes).is_err() {
                    return Self::default();
                }
                serde_json::from_slice(&bytes).unwrap_or_default()
            }
            Err(_) => Self::default(),
        }
    }

    /// Writes it whole (a temporary file, then a rename).
    pub fn save(&self, folder: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(folder)?;
        let tmp = folder.join(format!("{STATE_FILE}.tmp"));
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(tmp, folder.join(STATE_FILE))
    }

    /// Adds a source if it is new (up to [`MAX_SOURCES`]); whether it was.
    pub fn learn(&mut self, source: &str) -> bool {
        if self.sources.iter().any(|s| s == source) || self.sources.len() >= MAX_SOURCES {
            return false;
        }
        self.sources.push(source.to_string());
        true
    }
}

/// The reader's folder for the publication whose key is named `origin`:
/// `$XDG_DATA_HOME/erkin/read/<origin>` on Linux (the platform's data
/// folder elsewhere), unless `base` is given. The origin is made a safe
/// folder name.
pub fn data_dir(base: Option<&Path>, origin: &str) -> Option<PathBuf> {
    let base = match base {
        Some(b) => b.to_path_buf(),
        None => directories::ProjectDirs::from("", "", "erkin")?
            .data_dir()
            .join("read"),
    };
    let safe: String = origin
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Some(base.join(safe))
}
