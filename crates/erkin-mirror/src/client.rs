//! The members' client: sends entries signed on this machine and blobs to a
//! newsroom server, and believes a receipt only once it checks out.
//!
//! A receipt is the entry's index, the server's signed checkpoint and an
//! inclusion proof. The client verifies the checkpoint against the pinned
//! log key and the proof against the entry's own hash before it reports
//! success, so a server (or anyone between) cannot claim to have recorded an
//! entry it did not.

use std::time::Duration;

use erkin_core::api::{
    ApiError, BlobReceipt, EntryReceipt, ErrorDocument, BLOBS_PATH, ENTRIES_PATH, UPLOAD_HEADER,
};
use erkin_core::blob::{upload_text, BlobId};
use erkin_core::checkpoint::Checkpoint;
use erkin_core::keys::SecretKey;
use erkin_core::keys::VerifierKey;
use erkin_core::note::sign_note;
use erkin_core::tree::{check_inclusion, record_hash};
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{url}: {reason}")]
    Http { url: String, reason: String },
    /// The server refused, with its stable code and message.
    #[error("{error}")]
    Refused {
        status: u16,
        #[source]
        error: ApiError,
    },
    #[error("the server's receipt does not check out: {0}. The entry may not be recorded; do not rely on it")]
    BadReceipt(String),
}

/// A verified receipt.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub index: u64,
    pub checkpoint: Checkpoint,
}

pub struct MembersClient {
    base: String,
    agent: ureq::Agent,
    log_key: VerifierKey,
}

impl MembersClient {
    pub fn new(base: &str, log_key: VerifierKey, timeout: Duration) -> Self {
        let mut base = base.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent("erkin")
            .build();
        Self {
            base,
            agent: config.into(),
            log_key,
        }
    }

    /// Posts `body` and reads the answer: the document `T` on success, the
    /// server's [`ErrorDocument`] otherwise.
    fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &[u8],
        upload: Option<&str>,
    ) -> Result<T, ClientError> {
        let url = format!("{}{path}", self.base);
        let http = |reason: String| ClientError::Http {
            url: url.clone(),
            reason,
        };
        // A busy server says when to come back; try a few times.
        for attempt in 0..5u32 {
            let mut request = self
                .agent
                .post(&url)
                .header("content-type", "application/octet-stream");
            if let Some(u) = upload {
                request = request.header(UPLOAD_HEADER, u);
            }
            let mut response = request.send(body).map_err(|e| http(e.to_string()))?;
            let status = response.status().as_u16();
            let text = response
                .body_mut()
                .with_config()
                .limit(1 << 20)
                .read_to_string()
                .map_err(|e| http(e.to_string()))?;
            let not_the_document = |e: serde_json::Error| {
                http(format!(
                    "HTTP {status}, not the API's document ({e}): {}",
                    text.chars().take(200).collect::<String>()
                ))
            };
            if status == 200 {
                return serde_json::from_str(&text).map_err(not_the_document);
            }
            let ErrorDocument { error } = serde_json::from_str(&text).map_err(not_the_document)?;
            let retryable = matches!(status, 429 | 503) && error.code != "storage";
            if retryable && attempt < 4 {
                std::thread::sleep(Duration::from_millis(200 << attempt));
                continue;
            }
            return Err(ClientError::Refused { status, error });
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// Submits one signed entry and verifies the receipt.
    pub fn submit(&self, entry: &[u8]) -> Result<Receipt, ClientError> {
        let r: EntryReceipt = self.post(ENTRIES_PATH, entry, None)?;
        let bad = |why: String| ClientError::BadReceipt(why);
        let checkpoint = Checkpoint::open(r.checkpoint.as_bytes(), &self.log_key)
            .map_err(|e| bad(format!("checkpoint: {e}")))?;
        let leaf = record_hash(entry);
        if r.leaf_hash != leaf {
            return Err(bad("the leaf hash is not this entry's".into()));
        }
        check_inclusion(
            &r.inclusion_proof,
            checkpoint.size,
            checkpoint.root,
            r.index,
            leaf,
        )
        .map_err(|_| {
            bad("the inclusion proof does not place this entry in the signed log".into())
        })?;
        Ok(Receipt {
            index: r.index,
            checkpoint,
        })
    }

    /// Uploads a blob, vouched for by `member` (the server takes blobs only
    /// from members); the server must name it by its hash.
    pub fn put_blob(&self, bytes: &[u8], member: &SecretKey) -> Result<BlobId, ClientError> {
        use base64::Engine as _;
        let id = BlobId::of(bytes);
        let note = sign_note(&upload_text(self.log_key.name(), &id), member);
        let header = base64::engine::general_purpose::STANDARD.encode(note);
        let r: BlobReceipt = self.post(BLOBS_PATH, bytes, Some(&header))?;
        if r.id != id {
            return Err(ClientError::BadReceipt(format!(
                "the server named blob {id} {}",
                r.id
            )));
        }
        Ok(id)
    }
}
