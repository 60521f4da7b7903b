//! The tip reader's side (`erkin tips fetch`, `erkin tips reply`): signed
//! requests to the inbox's API, tips decrypted on the reader's own machine
//! and unpacked into a folder. The identity never leaves this process.

use std::io::{BufReader, Read};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use erkin_core::api::ErrorDocument;
use erkin_core::keys::SecretKey;
use rand_core::{OsRng, RngCore};
use serde::de::DeserializeOwned;

use crate::api::{Receipt, ReplyRequest, TipInfo, TipList};

/// Largest tip downloaded (the largest bucket for a 1 GiB limit).
pub const MAX_TIP_LEN: u64 = 1 << 31;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The server could not be reached or answered with something else
    /// than the API's documents.
    #[error("{url}: {reason}")]
    Http { url: String, reason: String },
    /// The server refused (its error document says why).
    #[error("the server refused (HTTP {status}): {error}")]
    Refused {
        status: u16,
        error: erkin_core::api::ApiError,
    },
    /// The tip does not open with this identity (sealed to other readers,
    /// or damaged).
    #[error("tip {id}: does not decrypt with this identity ({reason})")]
    Decrypt { id: String, reason: String },
    /// The decrypted tip is not the archive the inbox writes.
    #[error("tip {id}: not a tip archive ({reason})")]
    BadArchive { id: String, reason: String },
    /// Writing the tip's files failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// No tip of ours belongs to that thread (for a reply).
    #[error("no tip sealed to you belongs to thread {0}")]
    NoThread(String),
    #[error(transparent)]
    Reply(#[from] crate::reply::ReplyError),
}

/// A signed-in tip reader's client.
pub struct TipsClient {
    base: String,
    origin: String,
    key: SecretKey,
    agent: ureq::Agent,
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl TipsClient {
    /// `base` is the server's URL (the sequencing server or the tips
    /// listener); `origin` the publication's; `key` the member's own.
    pub fn new(base: &str, origin: &str, key: SecretKey, timeout: Duration) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent("erkin")
            .build();
        TipsClient {
            base: base.trim_end_matches('/').to_string(),
            origin: origin.to_string(),
            key,
            agent: config.into(),
        }
    }

    fn auth(&self, method: &str, path: &str, body: &[u8]) -> String {
        let mut nonce = [0u8; 16];
        OsRng.fill_bytes(&mut nonce);
        crate::auth::sign(&self.key, &self.origin, method, path, body, now(), nonce)
    }

    fn answer<T: DeserializeOwned>(
        &self,
        url: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, ClientError> {
        let http = |reason: String| ClientError::Http {
            url: url.to_string(),
            reason,
        };
        let mut response = response.map_err(|e| http(e.to_string()))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .with_config()
            .limit(16 << 20)
            .read_to_string()
            .map_err(|e| http(e.to_string()))?;
        let not_doc = |e: serde_json::Error| {
            http(format!(
                "HTTP {status}, not the API's document ({e}): {}",
                text.chars().take(200).collect::<String>()
            ))
        };
        if status == 200 {
            return serde_json::from_str(&text).map_err(not_doc);
        }
        let ErrorDocument { error } = serde_json::from_str(&text).map_err(not_doc)?;
        Err(ClientError::Refused { status, error })
    }

    /// The tips sealed to this reader.
    pub fn list(&self) -> Result<Vec<TipInfo>, ClientError> {
        let path = "/tips/api/v1/tips";
        let url = format!("{}{path}", self.base);
        let r = self
            .agent
            .get(&url)
            .header(crate::auth::HEADER, self.auth("GET", path, b""))
            .call();
        Ok(self.answer::<TipList>(&url, r)?.tips)
    }

    /// One tip's ciphertext.
    pub fn download(&self, id: &str) -> Result<Vec<u8>, ClientError> {
        let path = format!("/tips/api/v1/tips/{id}");
        let url = format!("{}{path}", self.base);
        let http = |reason: String| ClientError::Http {
            url: url.clone(),
            reason,
        };
        let mut response = self
            .agent
            .get(&url)
            .header(crate::auth::HEADER, self.auth("GET", &path, b""))
            .call()
            .map_err(|e| http(e.to_string()))?;
        if response.status().as_u16() != 200 {
            return self.answer::<Vec<u8>>(&url, Ok(response));
        }
        response
            .body_mut()
            .with_config()
            .limit(MAX_TIP_LEN)
            .read_to_vec()
            .map_err(|e| http(e.to_string()))
    }

    /// Deletes a tip from the server (after it is safely fetched).
    pub fn delete(&self, id: &str) -> Result<(), ClientError> {
        let path = format!("/tips/api/v1/tips/{id}");
        let url = format!("{}{path}", self.base);
        let r = self
            .agent
            .delete(&url)
            .header(crate::auth::HEADER, self.auth("DELETE", &path, b""))
            .call();
        self.answer::<Receipt>(&url, r).map(|_| ())
    }

    /// Seals `text` to the thread's reply recipient and leaves it on the
    /// server for the source.
    pub fn reply(&self, thread: &str, text: &str) -> Result<String, ClientError> {
        let tip = self
            .list()?
            .into_iter()
            .find(|t| t.thread == thread)
            .ok_or_else(|| ClientError::NoThread(thread.to_string()))?;
        let ciphertext = crate::reply::seal(text, &tip.reply_recipient)?;
        let body = serde_json::to_vec(&ReplyRequest {
            thread: thread.to_string(),
            ciphertext: String::from_utf8_lossy(&ciphertext).into_owned(),
        })
        .expect("a struct of strings serializes");
        let path = "/tips/api/v1/replies";
        let url = format!("{}{path}", self.base);
        let r = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .header(crate::auth::HEADER, self.auth("POST", path, &body))
            .send(&body[..]);
        Ok(self.answer::<Receipt>(&url, r)?.id)
    }
}

/// Decrypts a tip with `identity` and unpacks its archive into `dir`
/// (created; must not exist). Returns the files written.
pub fn unpack(
    id: &str,
    ciphertext: &[u8],
    identity: &age::x25519::Identity,
    dir: &Path,
) -> Result<Vec<PathBuf>, ClientError> {
    let decrypt = |reason: String| ClientError::Decrypt {
        id: id.to_string(),
        reason,
    };
    let reader = age::Decryptor::new(BufReader::new(ciphertext))
        .map_err(|e| decrypt(e.to_string()))?
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| decrypt(e.to_string()))?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ClientError::Io { path, source }
    };
    std::fs::create_dir(dir).map_err(io(dir))?;
    let bad = |reason: String| ClientError::BadArchive {
        id: id.to_string(),
        reason,
    };
    let mut archive = tar::Archive::new(reader);
    let mut written = Vec::new();
    for entry in archive.entries().map_err(|e| bad(e.to_string()))? {
        let mut entry = entry.map_err(|e| bad(e.to_string()))?;
        let name = entry.path().map_err(|e| bad(e.to_string()))?.into_owned();
        // Only plain relative names, as the inbox writes them.
        if !name.components().all(|c| matches!(c, Component::Normal(_)))
            || entry.header().entry_type() != tar::EntryType::Regular
        {
            return Err(bad(format!("unexpected entry {}", name.display())));
        }
        let out = dir.join(&name);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent).map_err(io(parent))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&out)
            .map_err(io(&out))?;
        std::io::copy(&mut (&mut entry).take(MAX_TIP_LEN), &mut file).map_err(io(&out))?;
        written.push(out);
    }
    Ok(written)
}

/// A small public document (the server's `erkin.json`), at most 1 MiB.
pub fn get_small(url: &str, timeout: Duration) -> Result<Vec<u8>, ClientError> {
    let http = |reason: String| ClientError::Http {
        url: url.to_string(),
        reason,
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent("erkin")
        .build()
        .into();
    let mut r = agent.get(url).call().map_err(|e| http(e.to_string()))?;
    if r.status().as_u16() != 200 {
        return Err(http(format!("HTTP {}", r.status().as_u16())));
    }
    r.body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .map_err(|e| http(e.to_string()))
}
