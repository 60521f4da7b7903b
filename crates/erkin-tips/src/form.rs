//! The submission form's body: `multipart/form-data` parsed by `multer`
//! with explicit limits, streamed into the sealer (`seal.rs`) as it
//! arrives. Nothing is kept unless the whole body parsed: on any error the
//! temporary ciphertext is deleted.
//!
//! Fields: `message` (the typed text), `file` (any number of files, empty
//! file inputs skipped), `codename` (when a source sends more to an
//! existing conversation). Anything else is refused.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::HeaderMap;

use crate::codename::MAX_CODENAME_LEN;
use crate::seal::{SealError, Sealed, Sealer};

/// The form's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes in a whole request body (default 100 MiB).
    pub max_total: u64,
    /// Most parts (fields and files) in one form.
    pub max_parts: usize,
    /// Longest field name or file name, in bytes.
    pub max_name_len: usize,
    /// Longest typed message, in bytes (held in memory while sealing).
    pub max_message: usize,
    /// Most bytes of tips kept at once (until tip readers delete them):
    /// past it the form answers 503, so nobody can fill the disk.
    pub max_stored: u64,
    /// Most submissions being received at once (each holds a temporary
    /// file of up to `max_total`); more are answered 503.
    pub max_receiving: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_total: 100 * 1024 * 1024,
            max_parts: 64,
            max_name_len: 1024,
            max_message: 1024 * 1024,
            max_stored: 20 * 1024 * 1024 * 1024,
            max_receiving: 8,
        }
    }
}

/// Why a form was refused; each maps to one 4xx page (`web.rs`).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FormError {
    /// Not `multipart/form-data` with a boundary: the form must be sent as
    /// the page sends it.
    #[error("the request is not multipart/form-data")]
    WrongContentType,
    /// The body is larger than the limit.
    #[error("the submission is larger than {max} bytes")]
    TooLarge { max: u64 },
    /// More parts than the limit.
    #[error("the form has more than {max} parts")]
    TooManyParts { max: usize },
    /// The body ended before the form did (a broken connection).
    #[error("the form arrived incomplete")]
    Truncated,
    /// The body is not a well-formed multipart form.
    #[error("the form is malformed")]
    Malformed,
    /// A field or file name is not UTF-8.
    #[error("a field or file name is not UTF-8")]
    NameNotUtf8,
    /// A field or file name is longer than the limit.
    #[error("a field or file name is longer than {max} bytes")]
    NameTooLong { max: usize },
    /// A field the form does not have.
    #[error("the form has no field named {0:?}")]
    UnknownField(String),
    /// The typed message is longer than the limit.
    #[error("the message is longer than {max} bytes")]
    MessageTooLong { max: usize },
    /// Neither a message nor a file.
    #[error("nothing to send: write a message or choose a file")]
    Empty,
    /// Sealing failed (no tip readers, disk).
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// A parsed, sealed form.
pub struct Received {
    pub sealed: Sealed,
    /// The codename typed for "send more", if any (not yet checked).
    pub codename: Option<String>,
}

fn multer_error(e: multer::Error, limits: &Limits) -> FormError {
    use multer::Error as E;
    match e {
        E::StreamSizeExceeded { .. } | E::FieldSizeExceeded { .. } => FormError::TooLarge {
            max: limits.max_total,
        },
        E::IncompleteStream | E::IncompleteFieldData { .. } | E::IncompleteHeaders => {
            FormError::Truncated
        }
        E::StreamReadFailed(_) => FormError::Truncated,
        E::NoMultipart | E::NoBoundary | E::DecodeContentType(_) => FormError::WrongContentType,
        _ => FormError::Malformed,
    }
}

/// The boundary, if the request is a multipart form.
pub fn boundary(headers: &HeaderMap) -> Result<String, FormError> {
    let ct = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .ok_or(FormError::WrongContentType)?;
    if !ct
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err(FormError::WrongContentType);
    }
    multer::parse_boundary(ct).map_err(|_| FormError::WrongContentType)
}

/// Reads and seals a form. The multipart stream is read on a blocking
/// thread (the sealer writes files), pulling each piece from the async
/// body as it needs it.
pub async fn receive(
    headers: &HeaderMap,
    body: Body,
    limits: Limits,
    recipients: Vec<age::x25519::Recipient>,
    tmp: PathBuf,
) -> Result<Received, FormError> {
    let boundary = boundary(headers)?;
    if let Some(len) = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limits.max_total {
            return Err(FormError::TooLarge {
                max: limits.max_total,
            });
        }
    }
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limits.max_total)
            .per_field(limits.max_total),
    );
    let multipart =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || read(handle, multipart, limits, &recipients, &tmp))
        .await
        .unwrap_or(Err(FormError::Malformed))
}

fn read(
    rt: tokio::runtime::Handle,
    mut multipart: multer::Multipart<'static>,
    limits: Limits,
    recipients: &[age::x25519::Recipient],
    tmp: &std::path::Path,
) -> Result<Received, FormError> {
    let err = |e| multer_error(e, &limits);
    let mut sealer = Sealer::new(recipients, tmp, limits.max_total)?;
    let mut parts = 0usize;
    let mut codename = None;
    let mut anything = false;
    while let Some(mut field) = rt.block_on(multipart.next_field()).map_err(err)? {
        parts += 1;
        if parts > limits.max_parts {
            return Err(FormError::TooManyParts {
                max: limits.max_parts,
            });
        }
        // multer drops a name that is not UTF-8; look at the raw header.
        let disposition = field
            .headers()
            .get(axum::http::header::CONTENT_DISPOSITION)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        if std::str::from_utf8(disposition).is_err() {
            return Err(FormError::NameNotUtf8);
        }
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        if name.len() > limits.max_name_len
            || file_name
                .as_ref()
                .is_some_and(|f| f.len() > limits.max_name_len)
        {
            return Err(FormError::NameTooLong {
                max: limits.max_name_len,
            });
        }
        match name.as_str() {
            "message" | "codename" => {
                let max = if name == "message" {
                    limits.max_message
                } else {
                    MAX_CODENAME_LEN
                };
                let mut text = Vec::new();
                while let Some(chunk) = rt.block_on(field.chunk()).map_err(err)? {
                    if text.len() + chunk.len() > max {
                        return Err(FormError::MessageTooLong { max });
                    }
                    text.extend_from_slice(&chunk);
                }
                if name == "codename" {
                    let typed = String::from_utf8_lossy(&text).trim().to_string();
                    if !typed.is_empty() {
                        codename = Some(typed);
                    }
                } else if !text.iter().all(u8::is_ascii_whitespace) {
                    sealer.add_message(&text)?;
                    anything = true;
                }
            }
            "file" => {
                let mut spool = sealer.spool()?;
                while let Some(chunk) = rt.block_on(field.chunk()).map_err(err)? {
                    spool.write(&chunk).map_err(SealError::Io)?;
                }
                let file_name = file_name.unwrap_or_default();
                if spool.is_empty() && file_name.is_empty() {
                    continue; // an empty file input
                }
                sealer.add_file(&file_name, spool)?;
                anything = true;
            }
            other => return Err(FormError::UnknownField(other.chars().take(100).collect())),
        }
    }
    if !anything {
        return Err(FormError::Empty);
    }
    Ok(Received {
        sealed: sealer.finish()?,
        codename,
    })
}
