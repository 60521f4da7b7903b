//! `erkin export s3://BUCKET/PREFIX`: the static copy of a publication in
//! S3-compatible object storage — a cloud bucket, or a Garage cluster run by
//! partner organisations — served by the store's website mode or any CDN.
//!
//! The same files as a directory export (`erkin_export::for_each_file`, the
//! one definition of a copy), uploaded through `object_store` (no
//! hand-written S3 signing), with the same invariants:
//! - **Checkpoint last.** Every object the new checkpoint covers is uploaded
//!   (and acknowledged by the store) before the checkpoint: a reader who
//!   fetches the checkpoint can always fetch its tiles. Superseded objects
//!   (a partial tile, a redacted image) are deleted only after it.
//! - **Incremental.** The export records what it uploaded, with each
//!   object's hash, in its own manifest object (`.erkin-files`); the next
//!   export uploads only what is new or changed, never reads the log's
//!   immutable files again, and deletes only objects it uploaded itself.
//! - **Resumable.** The manifest is written after the checkpoint: an export
//!   killed midway leaves the previous checkpoint (whose objects are all
//!   still there, since nothing is deleted before the new checkpoint) and
//!   the next run uploads again what it cannot be sure of.
//! - **Never backwards, never over another publication.** A bucket whose
//!   checkpoint is another log's, or a larger tree of this one, is refused.
//! - **Served right.** Each object carries its `Content-Type` and
//!   `Cache-Control` from `erkin_core::serving`, the rule `erkin serve` uses:
//!   a year for tiles, bundles, blobs and media; seconds for the checkpoint.
//!
//! Credentials and region come from the standard `AWS_*` environment
//! variables; the endpoint from `--endpoint` (or `AWS_ENDPOINT_URL`).
//! Requests are path-style, which every S3-compatible store takes.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use erkin_core::checkpoint::Checkpoint;
use erkin_core::serving::{cache_control, content_type, is_immutable};
use erkin_export::{for_each_file, ExportStats, Part, Selection, MANIFEST_FILE};
use erkin_store::{Publication, StoreError};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjectPath;
use object_store::{
    Attribute, Attributes, BackoffConfig, ClientOptions, ObjectStore, ObjectStoreExt, PutOptions,
    RetryConfig,
};
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

/// Where a copy goes: `s3://BUCKET` or `s3://BUCKET/PREFIX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketUrl {
    pub bucket: String,
    /// The folder inside the bucket, without slashes at either end ("" for
    /// the bucket's root).
    pub prefix: String,
}

impl BucketUrl {
    /// Parses `s3://BUCKET[/PREFIX]`; `None` for anything else.
    pub fn parse(url: &str) -> Option<Self> {
        let rest = url.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_matches('/');
        let plain = |s: &str| {
            !s.is_empty()
                && s.split('/')
                    .all(|part| !part.is_empty() && part != "." && part != "..")
        };
        if !plain(bucket) || bucket.contains('/') || !(prefix.is_empty() || plain(prefix)) {
            return None;
        }
        Some(Self {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    fn key(&self, path: &str) -> ObjectPath {
        if self.prefix.is_empty() {
            ObjectPath::from(path)
        } else {
            ObjectPath::from(format!("{}/{path}", self.prefix))
        }
    }
}

impl std::fmt::Display for BucketUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// How to reach the store and how hard to push it.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// The store's S3 endpoint (`http://127.0.0.1:3900` for a local Garage);
    /// `None`: `AWS_ENDPOINT_URL`, else AWS itself.
    pub endpoint: Option<String>,
    /// `None`: `AWS_REGION` / `AWS_DEFAULT_REGION`, else `us-east-1`.
    pub region: Option<String>,
    /// Uploads in flight at once.
    pub concurrency: usize,
    /// Attempts after the first for a failed request (with backoff).
    pub retries: usize,
    /// The longest one request may take.
    pub timeout: Duration,
    /// An access key ID and its secret; `None`: `AWS_ACCESS_KEY_ID` and
    /// `AWS_SECRET_ACCESS_KEY` (or the other sources AWS clients read).
    pub credentials: Option<(String, String)>,
}

impl Default for S3Options {
    fn default() -> Self {
        Self {
            endpoint: None,
            region: None,
            concurrency: 16,
            retries: 3,
            timeout: Duration::from_secs(60),
            credentials: None,
        }
    }
}

/// Why an export to object storage failed. Nothing the bucket's readers
/// see is ever half-done: until the new checkpoint is uploaded they see the
/// previous copy, complete.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum S3Error {
    /// The store could not be reached or refused a request (credentials, a
    /// missing bucket, a server error that outlasted the retries). Fix the
    /// cause and export again: the export resumes.
    #[error("{url}: {source}")]
    Store {
        url: String,
        #[source]
        source: object_store::Error,
    },
    /// The bucket holds a copy of another publication.
    #[error(
        "{0}: holds a copy of another publication (its checkpoint is not signed by this log key)"
    )]
    ForeignCopy(String),
    /// The bucket holds a larger tree of this log: exporting would roll its
    /// readers back.
    #[error("{url}: holds a newer copy ({theirs} entries) than this data directory ({ours})")]
    Rollback { url: String, theirs: u64, ours: u64 },
    #[error(transparent)]
    Local(#[from] StoreError),
    /// The manifest object is not one this export wrote.
    #[error("{url}: its {MANIFEST_FILE} is not an erkin export manifest ({reason})")]
    BadManifest { url: String, reason: String },
    #[error("cannot start the upload runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// The manifest: every object the export uploaded, by layout path, with
/// the SHA-256 of its bytes (hex).
type Manifest = BTreeMap<String, String>;

/// The largest manifest read back (a 100,000-article archive's is ~20 MB).
const MAX_MANIFEST: u64 = 256 * 1024 * 1024;

/// The largest checkpoint read back.
const MAX_CHECKPOINT: u64 = erkin_core::checkpoint::MAX_CHECKPOINT_LEN as u64;

/// Exports `publication` into the bucket: see the module's documentation.
/// Returns what was uploaded, left as it was, and deleted.
pub fn export(
    publication: &Publication,
    url: &BucketUrl,
    options: &S3Options,
) -> Result<ExportStats, S3Error> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(S3Error::Runtime)?;
    let bucket = Arc::new(connect(url, options)?);
    let store_err = |source| S3Error::Store {
        url: url.to_string(),
        source,
    };

    // What is there now: another publication's copy, a newer one, or ours.
    let existing = runtime.block_on(read_small(&bucket, &url.key("checkpoint"), MAX_CHECKPOINT));
    if let Some(cp) = existing.map_err(store_err)? {
        let log = publication.store();
        match Checkpoint::open(&cp, log.log_key()) {
            Err(_) => return Err(S3Error::ForeignCopy(url.to_string())),
            Ok(cp) if cp.size > log.size() => {
                return Err(S3Error::Rollback {
                    url: url.to_string(),
                    theirs: cp.size,
                    ours: log.size(),
                })
            }
            Ok(_) => {}
        }
    }
    let old: Manifest = match runtime
        .block_on(read_small(&bucket, &url.key(MANIFEST_FILE), MAX_MANIFEST))
        .map_err(store_err)?
    {
        None => Manifest::new(),
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| S3Error::BadManifest {
            url: url.to_string(),
            reason: e.to_string(),
        })?,
    };

    // Everything but the checkpoint, a bounded number in flight at once.
    let mut stats = ExportStats::default();
    let mut new = Manifest::new();
    let mut checkpoint = None;
    let mut uploads: JoinSet<Result<(), object_store::Error>> = JoinSet::new();
    let mut failure: Option<object_store::Error> = None;
    let concurrency = options.concurrency.max(1);
    // The log's files and blobs never change at their path: one the last
    // export uploaded is not read again.
    let skip = |path: &str, part: Part| {
        matches!(part, Part::Log | Part::Blob) && is_immutable(path) && old.contains_key(path)
    };
    let selection = Selection {
        since: 0,
        site: true,
        skip: &skip,
    };
    let mut visit = |path: &str, part: Part, bytes: Option<&[u8]>| -> Result<(), S3Error> {
        let Some(bytes) = bytes else {
            if let Some(hash) = old.get(path) {
                new.insert(path.to_string(), hash.clone());
            }
            stats.unchanged += 1;
            return Ok(());
        };
        if part == Part::Checkpoint {
            checkpoint = Some(bytes.to_vec());
            return Ok(());
        }
        let hash = hex::encode(Sha256::digest(bytes));
        new.insert(path.to_string(), hash.clone());
        if old.get(path) == Some(&hash) {
            stats.unchanged += 1;
            return Ok(());
        }
        stats.written += 1;
        while uploads.len() >= concurrency {
            if let Some(Ok(Err(e))) = runtime.block_on(uploads.join_next()) {
                failure.get_or_insert(e);
            }
        }
        if failure.is_none() {
            let bucket = bucket.clone();
            let key = url.key(path);
            let payload = bytes.to_vec();
            let options = put_options(path);
            uploads.spawn_on(
                async move {
                    bucket
                        .put_opts(&key, payload.into(), options)
                        .await
                        .map(|_| ())
                },
                runtime.handle(),
            );
        }
        Ok(())
    };
    for_each_file(publication, &selection, &mut visit)?;
    while let Some(done) = runtime.block_on(uploads.join_next()) {
        if let Ok(Err(e)) = done {
            failure.get_or_insert(e);
        }
    }
    if let Some(e) = failure {
        // Nothing readers see has changed: the old checkpoint still stands
        // over objects that are all still there.
        return Err(store_err(e));
    }

    // Then the checkpoint, then the manifest, then what the site dropped.
    if let Some(cp) = checkpoint {
        let hash = hex::encode(Sha256::digest(&cp));
        if old.get("checkpoint") != Some(&hash) {
            stats.written += 1;
            runtime
                .block_on(bucket.put_opts(
                    &url.key("checkpoint"),
                    cp.into(),
                    put_options("checkpoint"),
                ))
                .map_err(store_err)?;
        } else {
            stats.unchanged += 1;
        }
        new.insert("checkpoint".to_string(), hash);
    }
    // Unchanged when nothing was: no upload (it grows with the archive).
    if new != old {
        let manifest = serde_json::to_vec(&new).expect("a map of strings serializes");
        runtime
            .block_on(bucket.put_opts(
                &url.key(MANIFEST_FILE),
                manifest.into(),
                put_options(MANIFEST_FILE),
            ))
            .map_err(store_err)?;
    }
    let stale: BTreeSet<&String> = old.keys().filter(|p| !new.contains_key(*p)).collect();
    for path in stale {
        match runtime.block_on(bucket.delete(&url.key(path))) {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => stats.deleted += 1,
            Err(e) => return Err(store_err(e)),
        }
    }
    Ok(stats)
}

/// The client for `url`'s bucket.
fn connect(url: &BucketUrl, options: &S3Options) -> Result<AmazonS3, S3Error> {
    let mut builder = AmazonS3Builder::from_env()
        .with_bucket_name(&url.bucket)
        .with_virtual_hosted_style_request(false)
        .with_retry(RetryConfig {
            backoff: BackoffConfig::default(),
            max_retries: options.retries,
            retry_timeout: Duration::from_secs(180),
        })
        .with_client_options(
            ClientOptions::new()
                .with_timeout(options.timeout)
                .with_connect_timeout(Duration::from_secs(10)),
        );
    if let Some(region) = &options.region {
        builder = builder.with_region(region);
    } else if std::env::var_os("AWS_REGION").is_none()
        && std::env::var_os("AWS_DEFAULT_REGION").is_none()
    {
        builder = builder.with_region("us-east-1");
    }
    if let Some((id, secret)) = &options.credentials {
        builder = builder
            .with_access_key_id(id)
            .with_secret_access_key(secret);
    }
    if let Some(endpoint) = &options.endpoint {
        builder = builder
            .with_allow_http(endpoint.starts_with("http://"))
            .with_endpoint(endpoint);
    }
    builder.build().map_err(|source| S3Error::Store {
        url: url.to_string(),
        source,
    })
}

/// The headers an object is served with: its type and its caching.
fn put_options(path: &str) -> PutOptions {
    let mut attributes = Attributes::new();
    attributes.insert(Attribute::ContentType, content_type(path).into());
    attributes.insert(Attribute::CacheControl, cache_control(path).into());
    PutOptions {
        attributes,
        ..PutOptions::default()
    }
}

/// An object's bytes if it exists and is at most `max` bytes (a larger one
/// reads as a refusal of the store, never as an allocation).
async fn read_small(
    bucket: &AmazonS3,
    key: &ObjectPath,
    max: u64,
) -> Result<Option<Vec<u8>>, object_store::Error> {
    let found = match bucket.get(key).await {
        Ok(found) => found,
        Err(object_store::Error::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    if found.meta.size > max {
        return Err(object_store::Error::Generic {
            store: "S3",
            source: format!(
                "{key} is {} bytes, more than the {max} expected",
                found.meta.size
            )
            .into(),
        });
    }
    Ok(Some(found.bytes().await?.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_urls() {
        let u = BucketUrl::parse("s3://news/habar/").unwrap();
        assert_eq!((u.bucket.as_str(), u.prefix.as_str()), ("news", "habar"));
        assert_eq!(u.key("tile/0/000").as_ref(), "habar/tile/0/000");
        assert_eq!(u.to_string(), "s3://news/habar");
        let root = BucketUrl::parse("s3://news").unwrap();
        assert_eq!(root.key("checkpoint").as_ref(), "checkpoint");
        for bad in [
            "s3://",
            "news/x",
            "s3:///x",
            "s3://b/../x",
            "s3://b/x//y",
            "http://b/x",
        ] {
            assert_eq!(BucketUrl::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn objects_carry_their_type_and_caching() {
        let o = put_options("tile/entries/000");
        assert_eq!(
            o.attributes
                .get(&Attribute::CacheControl)
                .map(|v| v.as_ref()),
            Some("public, max-age=31536000, immutable")
        );
        let o = put_options("checkpoint");
        assert_eq!(
            o.attributes
                .get(&Attribute::ContentType)
                .map(|v| v.as_ref()),
            Some("text/plain; charset=utf-8")
        );
        assert_eq!(
            o.attributes
                .get(&Attribute::CacheControl)
                .map(|v| v.as_ref()),
            Some("public, max-age=5")
        );
    }
}
