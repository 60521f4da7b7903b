//! The members' client: sends entries signed on this machine and blobs to a
//! newsroom server, and believes a receipt only once it checks out.
//!
//! A receipt is the entry's index, the server's signed checkpoint and an
//! inclusion proof. The client verifies the checkpoint against the pinned
//! log key and the proof against the entry's own hash before it reports
//! success, so a server (or anyone between) cannot claim to have recorded an
//! entry it did not.

use std::time::Duration;

use erkin_core::blob::{upload_text, BlobId};
use erkin_core::checkpoint::Checkpoint;
use erkin_core::keys::SecretKey;
use erkin_core::keys::VerifierKey;
use erkin_core::note::sign_note;
use erkin_core::tree::{check_inclusion, record_hash};
use erkin_core::Hash;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{url}: {reason}")]
    Http { url: String, reason: String },
    /// The server refused, with its stable code and message.
    #[error("{message} ({code})")]
    Refused {
        status: u16,
        code: String,
        message: String,
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

    fn post(
        &self,
        path: &str,
        body: &[u8],
        upload: Option<&str>,
    ) -> Result<serde_json::Value, ClientError> {
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
                request = request.header("erkin-upload", u);
            }
            let mut response = request.send(body).map_err(|e| http(e.to_string()))?;
            let status = response.status().as_u16();
            let text = response
                .body_mut()
                .with_config()
                .limit(1 << 20)
                .read_to_string()
                .map_err(|e| http(e.to_string()))?;
            let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| {
                http(format!(
                    "HTTP {status}, not JSON: {}",
                    text.chars().take(200).collect::<String>()
                ))
            })?;
            if status == 200 {
                return Ok(value);
            }
            let code = value["error"]["code"]
                .as_str()
                .unwrap_or("unknown")
                .to_string();
            let message = value["error"]["message"].as_str().unwrap_or("").to_string();
            let retryable = matches!(status, 429 | 503) && code != "storage";
            if retryable && attempt < 4 {
                std::thread::sleep(Duration::from_millis(200 << attempt));
                continue;
            }
            return Err(ClientError::Refused {
                status,
                code,
                message,
            });
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// Submits one signed entry and verifies the receipt.
    pub fn submit(&self, entry: &[u8]) -> Result<Receipt, ClientError> {
        let v = self.post("api/v1/entries", entry, None)?;
        let bad = |why: &str| ClientError::BadReceipt(why.to_string());
        let index = v["index"].as_u64().ok_or_else(|| bad("no index"))?;
        let note = v["checkpoint"]
            .as_str()
            .ok_or_else(|| bad("no checkpoint"))?;
        let checkpoint = Checkpoint::open(note.as_bytes(), &self.log_key)
            .map_err(|e| ClientError::BadReceipt(format!("checkpoint: {e}")))?;
        let proof = v["inclusion_proof"]
            .as_array()
            .ok_or_else(|| bad("no inclusion proof"))?
            .iter()
            .map(|h| {
                let bytes = hex_decode(h.as_str().unwrap_or(""))?;
                <[u8; 32]>::try_from(bytes).ok().map(Hash)
            })
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| bad("a proof hash is malformed"))?;
        check_inclusion(
            &proof,
            checkpoint.size,
            checkpoint.root,
            index,
            record_hash(entry),
        )
        .map_err(|_| bad("the inclusion proof does not place this entry in the signed log"))?;
        Ok(Receipt { index, checkpoint })
    }

    /// Uploads a blob, vouched for by `member` (the server takes blobs only
    /// from members); the server must name it by its hash.
    pub fn put_blob(&self, bytes: &[u8], member: &SecretKey) -> Result<BlobId, ClientError> {
        use base64::Engine as _;
        let id = BlobId::of(bytes);
        let note = sign_note(&upload_text(self.log_key.name(), &id), member);
        let header = base64::engine::general_purpose::STANDARD.encode(note);
        let v = self.post("api/v1/blobs", bytes, Some(&header))?;
        if v["id"].as_str() != Some(id.to_string().as_str()) {
            return Err(ClientError::BadReceipt(format!(
                "the server named blob {id} {:?}",
                v["id"]
            )));
        }
        Ok(id)
    }
}

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}
