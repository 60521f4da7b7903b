//! A response prepared once: its body, its gzip and brotli forms, its ETag
//! and header values, so sending it again costs reference counts, not
//! formatting, hashing or compressing. Pages read from the served copy and
//! JSON documents are prepared when first asked for and kept in the page
//! cache (`page_cache.rs`); the checkpoint and tiles are prepared per
//! request.

use axum::http::HeaderValue;
use bytes::Bytes;
use std::io::Write;

use erkin_core::serving::{cache_control, content_type};
use sha2::{Digest, Sha256};

/// One form of a body (as it is, gzip or brotli) and its `Content-Length`.
pub struct Form {
    /// Shared, not copied, by every response that sends it: a reader who
    /// never reads pins no copy of their own.
    pub bytes: Bytes,
    pub length: HeaderValue,
}

impl Form {
    fn new(bytes: Bytes) -> Self {
        let length = HeaderValue::from(bytes.len());
        Self { bytes, length }
    }
}

/// One prepared response: its bodies and header values, made once, so a
/// request costs reference counts, not formatting or copying.
pub struct Prepared {
    pub body: Form,
    pub gzip: Option<Form>,
    pub br: Option<Form>,
    /// The quoted ETag (`"…"`).
    pub etag: HeaderValue,
    pub content_type: HeaderValue,
    pub cache_control: HeaderValue,
}

/// Bodies smaller than this are sent as they are: compression would not pay.
const COMPRESS_OVER: usize = 512;

pub fn prepare(path: &str, bytes: Vec<u8>) -> Prepared {
    prepare_with(path, bytes, true)
}

/// Like [`prepare`], without compressed forms: for tiles and blobs read from
/// the store per request, where compressing a 32 MiB blob for every reader
/// would let a few requests stall the server.
pub fn prepare_raw(path: &str, bytes: Vec<u8>) -> Prepared {
    prepare_with(path, bytes, false)
}

fn prepare_with(path: &str, bytes: Vec<u8>, compress: bool) -> Prepared {
    let content_type = content_type(path);
    let compressible = compress
        && (bytes.len() > COMPRESS_OVER && !content_type.starts_with("image/")
            || content_type == "image/svg+xml");
    let (gzip, br) = if compressible {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
        let gzip = gz.write_all(&bytes).and_then(|_| gz.finish()).ok();
        let mut br = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 6,
            lgwin: 22,
            ..Default::default()
        };
        let br = brotli::BrotliCompress(&mut &bytes[..], &mut br, &params)
            .ok()
            .map(|_| br);
        (gzip, br)
    } else {
        (None, None)
    };
    let etag = format!("\"{}\"", &hex::encode(Sha256::digest(&bytes))[..32]);
    let form = |b: Vec<u8>| Form::new(Bytes::from(b));
    Prepared {
        body: form(bytes),
        gzip: gzip.map(form),
        br: br.map(form),
        // Hex between quotes is always a valid header value.
        etag: HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"\"")),
        content_type: HeaderValue::from_static(content_type),
        cache_control: HeaderValue::from_static(cache_control(path)),
    }
}
