//! Everything the server answers from memory, rendered when entries land.
//!
//! A snapshot is built once per log size: every page from the one renderer,
//! the JSON API documents, the checkpoint and the descriptor, each with its
//! ETag and its gzip and brotli forms. Requests then cost a hash lookup; the
//! log's tiles and blobs, which can be large, are read from the store.

use std::collections::HashMap;

use bytes::Bytes;
use std::io::Write;

use erkin_core::state::State;
use erkin_store::Store;
use serde_json::json;
use sha2::{Digest, Sha256};

/// One prepared response body.
pub struct Prepared {
    /// Shared, not copied, by every response that sends it: a reader who
    /// never reads pins no copy of their own.
    pub bytes: Bytes,
    pub gzip: Option<Bytes>,
    pub br: Option<Bytes>,
    pub etag: String,
    pub content_type: &'static str,
    pub cache_control: &'static str,
}

pub struct Snapshot {
    /// The log size this snapshot renders.
    pub size: u64,
    pub files: HashMap<String, Prepared>,
}

/// Bodies smaller than this are sent as they are: compression would not pay.
const COMPRESS_OVER: usize = 512;

pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "atom" => "application/atom+xml; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        _ if path == "checkpoint" => "text/plain; charset=utf-8",
        _ if path.starts_with("api/") => "application/json",
        _ => "application/octet-stream",
    }
}

fn cache_control(path: &str) -> &'static str {
    if path == "checkpoint" {
        // tlog-tiles: a checkpoint may be cached only for a few seconds.
        "public, max-age=5"
    } else if path.starts_with("api/") {
        "no-cache"
    } else if path.starts_with("media/") || path.starts_with("blob/") || path.starts_with("tile/") {
        // Content-addressed or immutable by the tlog-tiles rules.
        "public, max-age=31536000, immutable"
    } else if path == "style.css" {
        "public, max-age=3600"
    } else {
        "public, max-age=60"
    }
}

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
    Prepared {
        bytes: Bytes::from(bytes),
        gzip: gzip.map(Bytes::from),
        br: br.map(Bytes::from),
        etag,
        content_type,
        cache_control: cache_control(path),
    }
}

/// Renders a snapshot of `state`, reading blobs from `store`.
pub fn build(state: &State, store: &Store, cache: &erkin_views::BodyCache) -> Snapshot {
    let blobs = |id: &erkin_core::blob::BlobId| {
        store
            .blob(id, erkin_core::blob::DEFAULT_MAX_BLOB_LEN)
            .ok()
            .flatten()
    };
    let config = erkin_views::SiteConfig::for_state(state);
    let mut files = HashMap::new();
    for f in erkin_views::render_site_cached(state, &blobs, &config, cache) {
        files.insert(f.path.clone(), prepare(&f.path, f.bytes));
    }
    for (path, value) in api(state) {
        let mut bytes = serde_json::to_vec_pretty(&value).expect("JSON values serialize");
        bytes.push(b'\n');
        files.insert(path.clone(), prepare(&path, bytes));
    }
    // The checkpoint is not here: it is served from the store (see lib.rs).
    Snapshot {
        size: state.size(),
        files,
    }
}

/// The JSON API documents (read-only; the members' API comes with the
/// sequencing server).
fn api(state: &State) -> Vec<(String, serde_json::Value)> {
    let summary = |a: &erkin_core::article::Article| {
        let r = a.current();
        json!({
            "slug": a.slug,
            "lang": a.lang,
            "title": r.title,
            "summary": r.summary,
            "authors": a.authors,
            "bylines": a.bylines,
            "tags": a.tags,
            "published": a.published_at(),
            "updated": a.updated_at(),
            "retracted": state.retracted().contains(&a.slug),
            "redacted": state.redacted().contains(&a.slug),
            "url": format!("a/{}/", a.slug),
        })
    };
    let mut out = vec![(
        "api/v1/articles".to_string(),
        json!({ "articles": state.articles().map(summary).collect::<Vec<_>>() }),
    )];
    for a in state.articles() {
        let mut doc = summary(a);
        doc["translation_of"] = json!(a.translation_of);
        doc["revisions"] = serde_json::to_value(&a.revisions).expect("revisions serialize");
        out.push((format!("api/v1/articles/{}", a.slug), doc));
    }
    out.push((
        "api/v1/state".to_string(),
        json!({
            "origin": state.origin(),
            "name": state.name(),
            "verifier_key": state.log_key().as_str(),
            "size": state.size(),
            "digest": hex::encode(state.digest()),
            "members": state.members().map(|m| &m.handle).collect::<Vec<_>>(),
            "board": state.board(),
            "charter": state.charter(),
            "proposals": state.proposals().collect::<Vec<_>>(),
        }),
    ));
    out
}
