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
//! - **Resumable, nothing orphaned.** Each batch of uploads is named in a
//!   journal object before the first of them is sent, and what a run will
//!   delete is journaled before the record forgets it; the record (sharded,
//!   so a change re-uploads only the shards it touches: see [`manifest`])
//!   is written after the checkpoint, and the journal deleted last. An
//!   export killed midway leaves the previous checkpoint (whose objects are
//!   all still there, since nothing is deleted before the new checkpoint);
//!   the next run uploads again whatever the journal names, and deletes
//!   what it names that the site no longer has (a superseded partial tile,
//!   a redacted blob).
//! - **Never hangs.** Every request has a timeout; a store that accepts and
//!   then stalls is [`S3Error::Stalled`] after the retries.
//! - **Never backwards, never over another publication.** A bucket whose
//!   checkpoint is another log's, or a larger tree of this one, is refused.
//! - **Served right.** Each object carries its `Content-Type` and
//!   `Cache-Control` from `erkin_core::serving`, the rule `erkin serve` uses:
//!   a year for tiles, bundles, blobs and media; seconds for the checkpoint.
//!
//! Credentials and region come from the standard `AWS_*` environment
//! variables; the endpoint from `--endpoint` (or `AWS_ENDPOINT_URL`).
//! Requests are path-style, which every S3-compatible store takes.

pub mod manifest;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use erkin_core::checkpoint::Checkpoint;
use erkin_core::serving::{cache_control, content_type, is_immutable};
use erkin_export::{for_each_file, ExportStats, Part, Selection, MANIFEST_FILE};
use erkin_store::{Publication, StoreError};
use manifest::{Manifest, Stored};
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
    /// A request got no complete answer within the per-request timeout, on
    /// every attempt: the store (or something between) accepts connections
    /// and then stalls. Nothing readers see has changed; export again when
    /// the store answers, or raise the timeout for a slow link.
    #[error("{url}: the store did not answer {what} within {seconds} s, {attempts} times")]
    Stalled {
        url: String,
        what: String,
        seconds: u64,
        attempts: usize,
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

/// What an export did: the files (as a directory export counts them) and
/// the export's own record of the bucket, uploaded beside them.
#[derive(Debug, Default, Clone)]
pub struct S3Report {
    pub files: ExportStats,
    /// Objects of the export's manifest and journal uploaded.
    pub manifest_objects: usize,
    /// Their bytes.
    pub manifest_bytes: u64,
}

/// The largest manifest root (the first format held the whole record: a
/// 100,000-article archive's is ~20 MB) or shard read back.
const MAX_MANIFEST: u64 = 256 * 1024 * 1024;

/// The largest journal page read back.
const MAX_JOURNAL: u64 = 64 * 1024 * 1024;

/// The largest checkpoint read back.
const MAX_CHECKPOINT: u64 = erkin_core::checkpoint::MAX_CHECKPOINT_LEN as u64;

/// Uploads named by one journal page, at most.
const JOURNAL_BATCH: usize = 256;

/// Bytes of uploads held while their journal page is written, at most.
const JOURNAL_BATCH_BYTES: usize = 32 * 1024 * 1024;

/// Exports `publication` into the bucket: see the module's documentation.
/// Returns what was uploaded, left as it was, and deleted.
pub fn export(
    publication: &Publication,
    url: &BucketUrl,
    options: &S3Options,
) -> Result<ExportStats, S3Error> {
    export_report(publication, url, options).map(|r| r.files)
}

/// [`export`], also counting the manifest's own objects.
pub fn export_report(
    publication: &Publication,
    url: &BucketUrl,
    options: &S3Options,
) -> Result<S3Report, S3Error> {
    let bucket = Bucket::connect(url, options)?;
    let concurrency = options.concurrency.max(1);

    // What is there now: another publication's copy, a newer one, or ours.
    let existing = bucket.read("checkpoint", MAX_CHECKPOINT)?;
    if let Some(cp) = &existing {
        let log = publication.store();
        match Checkpoint::open(cp, log.log_key()) {
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
    let old = bucket.read_manifest(concurrency)?;
    let pending = &old.pending;

    // Everything but the checkpoint, each journaled before it is sent, a
    // bounded number in flight at once.
    let mut stats = ExportStats::default();
    let mut new = Manifest::new();
    let mut checkpoint = None;
    let mut uploads = Uploader::new(&bucket, concurrency);
    // The log's files and blobs never change at their path: one the last
    // export recorded is not read again (unless a cut-off run meant to
    // write it, and may have left it half-done).
    let skip = |path: &str, part: Part| {
        matches!(part, Part::Log | Part::Blob)
            && is_immutable(path)
            && old.files.contains_key(path)
            && !pending.contains(path)
    };
    let selection = Selection {
        since: 0,
        site: true,
        skip: &skip,
    };
    let mut visit = |path: &str, part: Part, bytes: Option<&[u8]>| -> Result<(), S3Error> {
        let Some(bytes) = bytes else {
            if let Some(hash) = old.files.get(path) {
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
        let same = old.files.get(path) == Some(&hash) && !pending.contains(path);
        new.insert(path.to_string(), hash);
        if same {
            stats.unchanged += 1;
        } else {
            stats.written += 1;
            uploads.add(path, bytes);
        }
        Ok(())
    };
    for_each_file(publication, &selection, &mut visit)?;
    // Nothing readers see has changed if this fails: the old checkpoint
    // still stands over objects that are all still there.
    uploads.finish()?;

    // Then the checkpoint.
    if let Some(cp) = checkpoint {
        new.insert("checkpoint".to_string(), hex::encode(Sha256::digest(&cp)));
        if existing.as_deref() != Some(&cp[..]) {
            stats.written += 1;
            bucket.put("checkpoint", cp)?;
        } else {
            stats.unchanged += 1;
        }
    }
    // What the site dropped (and what a cut-off run uploaded that the site
    // no longer has), journaled before the record forgets it.
    let stale: Vec<String> = old
        .files
        .keys()
        .chain(pending.iter())
        .filter(|p| !new.contains_key(*p))
        .cloned()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let unjournaled: Vec<String> = stale
        .iter()
        .filter(|p| !pending.contains(*p))
        .cloned()
        .collect();
    if !unjournaled.is_empty() {
        uploads.journal(&unjournaled)?;
    }

    // Then the record: the shards that changed, then the root.
    let shards = manifest::shard_count(new.len());
    let parts = manifest::split(&new, shards);
    let mut writes = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let before = (old.shards == Some(shards)).then(|| &old.parts[i]);
        if before != Some(part) {
            writes.push((
                manifest::shard_path(shards, i as u32),
                manifest::shard_bytes(part),
            ));
        }
    }
    bucket.put_all(&mut uploads.report, writes, concurrency)?;
    if old.shards != Some(shards) {
        let root = manifest::root_bytes(shards);
        uploads.report.manifest_objects += 1;
        uploads.report.manifest_bytes += root.len() as u64;
        bucket.put(MANIFEST_FILE, root)?;
    }

    // Then what is gone, the superseded record, and last the journal.
    stats.deleted += bucket.delete_all(stale, concurrency)?;
    let mut leftovers: Vec<String> = old.strays.clone();
    if let Some(before) = old.shards.filter(|s| *s != shards) {
        leftovers.extend((0..before).map(|i| manifest::shard_path(before, i)));
    }
    bucket.delete_all(leftovers, concurrency)?;
    let journal: Vec<String> = old
        .journal
        .iter()
        .chain(uploads.written.iter())
        .cloned()
        .collect();
    bucket.delete_all(journal, concurrency)?;
    let mut report = std::mem::take(&mut uploads.report);
    report.files = stats;
    Ok(report)
}

/// Every object under the copy's prefix, as layout paths (the site's
/// files, and the export's own record under `.erkin-files`), sorted.
pub fn list(url: &BucketUrl, options: &S3Options) -> Result<Vec<String>, S3Error> {
    use futures::TryStreamExt as _;
    let bucket = Bucket::connect(url, options)?;
    let prefix = (!url.prefix.is_empty()).then(|| ObjectPath::from(url.prefix.as_str()));
    let listed: Vec<object_store::ObjectMeta> = bucket
        .runtime
        .block_on(bucket.store.list(prefix.as_ref()).try_collect())
        .map_err(|e| bucket.error("the listing", e))?;
    let mut paths: Vec<String> = listed
        .iter()
        .map(|m| bucket.path_of(m.location.as_ref()))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The export's record as read back from the bucket.
struct OldRecord {
    files: Manifest,
    /// The number of shards it is kept in (`None`: no record, or the first
    /// format), and each shard.
    shards: Option<u32>,
    parts: Vec<Manifest>,
    /// Paths a cut-off run journaled, and the journal's pages.
    pending: BTreeSet<String>,
    journal: Vec<String>,
    /// Objects of the record's folder that are neither the current shards
    /// nor the journal (a set superseded by a run that was cut off).
    strays: Vec<String>,
}

/// A bucket and the runtime its requests run on.
struct Bucket {
    store: Arc<AmazonS3>,
    url: BucketUrl,
    runtime: tokio::runtime::Runtime,
    timeout: Duration,
    attempts: usize,
}

impl Bucket {
    fn connect(url: &BucketUrl, options: &S3Options) -> Result<Self, S3Error> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(S3Error::Runtime)?;
        Ok(Self {
            store: Arc::new(connect(url, options)?),
            url: url.clone(),
            runtime,
            timeout: options.timeout,
            attempts: options.retries + 1,
        })
    }

    /// The layout path of the object at `key`.
    fn path_of(&self, key: &str) -> String {
        match self.url.prefix.as_str() {
            "" => key,
            prefix => key
                .strip_prefix(prefix)
                .and_then(|k| k.strip_prefix('/'))
                .unwrap_or(key),
        }
        .to_string()
    }

    /// The error for `what` failing with `source`.
    fn error(&self, what: &str, source: object_store::Error) -> S3Error {
        error(&self.url, what, source, self.timeout, self.attempts)
    }

    fn read(&self, path: &str, max: u64) -> Result<Option<Vec<u8>>, S3Error> {
        self.runtime
            .block_on(read_small(&self.store, &self.url.key(path), max))
            .map_err(|e| self.error(path, e))
    }

    fn put(&self, path: &str, bytes: Vec<u8>) -> Result<(), S3Error> {
        self.runtime
            .block_on(
                self.store
                    .put_opts(&self.url.key(path), bytes.into(), put_options(path)),
            )
            .map(|_| ())
            .map_err(|e| self.error(path, e))
    }

    /// Uploads `objects`, `concurrency` at once, counting them as the
    /// record's.
    fn put_all(
        &self,
        report: &mut S3Report,
        objects: Vec<(String, Vec<u8>)>,
        concurrency: usize,
    ) -> Result<(), S3Error> {
        use futures::StreamExt as _;
        report.manifest_objects += objects.len();
        report.manifest_bytes += objects.iter().map(|(_, b)| b.len() as u64).sum::<u64>();
        let results: Vec<(String, Result<(), object_store::Error>)> = self.runtime.block_on(
            futures::stream::iter(objects)
                .map(|(path, bytes)| {
                    let (store, key, opts) =
                        (self.store.clone(), self.url.key(&path), put_options(&path));
                    async move {
                        let r = store.put_opts(&key, bytes.into(), opts).await.map(|_| ());
                        (path, r)
                    }
                })
                .buffer_unordered(concurrency)
                .collect(),
        );
        for (path, r) in results {
            r.map_err(|e| self.error(&path, e))?;
        }
        Ok(())
    }

    /// Deletes `paths` (one already gone is fine), `concurrency` at once;
    /// how many.
    fn delete_all(&self, paths: Vec<String>, concurrency: usize) -> Result<usize, S3Error> {
        use futures::StreamExt as _;
        let n = paths.len();
        let results: Vec<(String, Result<(), object_store::Error>)> = self.runtime.block_on(
            futures::stream::iter(paths)
                .map(|path| {
                    let (store, key) = (self.store.clone(), self.url.key(&path));
                    async move {
                        let r = match store.delete(&key).await {
                            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
                            Err(e) => Err(e),
                        };
                        (path, r)
                    }
                })
                .buffer_unordered(concurrency)
                .collect(),
        );
        for (path, r) in results {
            r.map_err(|e| self.error(&path, e))?;
        }
        Ok(n)
    }

    /// The record, its shards and its journal.
    fn read_manifest(&self, concurrency: usize) -> Result<OldRecord, S3Error> {
        use futures::{StreamExt as _, TryStreamExt as _};
        let bad = |reason: String| S3Error::BadManifest {
            url: self.url.to_string(),
            reason,
        };
        let mut record = OldRecord {
            files: Manifest::new(),
            shards: None,
            parts: Vec::new(),
            pending: BTreeSet::new(),
            journal: Vec::new(),
            strays: Vec::new(),
        };
        match self.read(MANIFEST_FILE, MAX_MANIFEST)? {
            None => {}
            Some(bytes) => match manifest::parse_root(&bytes).map_err(bad)? {
                Stored::Whole(files) => record.files = files,
                Stored::Sharded(shards) => {
                    let paths: Vec<String> = (0..shards)
                        .map(|i| manifest::shard_path(shards, i))
                        .collect();
                    let read: Vec<(usize, Option<Vec<u8>>)> = self
                        .runtime
                        .block_on(
                            futures::stream::iter(paths.iter().enumerate())
                                .map(|(i, p)| {
                                    let (store, key) = (self.store.clone(), self.url.key(p));
                                    async move {
                                        read_small(&store, &key, MAX_MANIFEST).await.map(|b| (i, b))
                                    }
                                })
                                .buffer_unordered(concurrency)
                                .try_collect(),
                        )
                        .map_err(|e| self.error(manifest::DIR, e))?;
                    record.parts = vec![Manifest::new(); shards as usize];
                    for (i, bytes) in read {
                        // A shard that is missing is read as empty: what it
                        // named is uploaded again, never trusted.
                        if let Some(bytes) = bytes {
                            let part: Manifest = serde_json::from_slice(&bytes)
                                .map_err(|e| bad(format!("{}: {e}", paths[i])))?;
                            if part
                                .keys()
                                .any(|p| manifest::shard_of(p, shards) as usize != i)
                            {
                                return Err(bad(format!("{}: a path of another shard", paths[i])));
                            }
                            record.parts[i] = part;
                        }
                    }
                    record.files = record
                        .parts
                        .iter()
                        .flatten()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    record.shards = Some(shards);
                }
            },
        }
        // The record's folder: the journal, and anything superseded.
        let folder = self.url.key(manifest::DIR);
        let listed: Vec<object_store::ObjectMeta> = self
            .runtime
            .block_on(self.store.list(Some(&folder)).try_collect())
            .map_err(|e| self.error(manifest::DIR, e))?;
        let current = record.shards.map(|s| format!("{}/{s}/", manifest::DIR));
        for meta in listed {
            let path = self.path_of(meta.location.as_ref());
            if path.starts_with(&format!("{}/", manifest::JOURNAL)) {
                let page = self
                    .read(&path, MAX_JOURNAL)?
                    .unwrap_or_else(|| b"[]".to_vec());
                let paths: Vec<String> =
                    serde_json::from_slice(&page).map_err(|e| bad(format!("{path}: {e}")))?;
                record.pending.extend(paths);
                record.journal.push(path);
            } else if current
                .as_ref()
                .is_none_or(|c| !path.starts_with(c.as_str()))
            {
                record.strays.push(path);
            }
        }
        Ok(record)
    }
}

/// Uploads with a journal: each batch's paths are written to a journal
/// page before any of them is sent.
struct Uploader<'a> {
    bucket: &'a Bucket,
    run: String,
    concurrency: usize,
    batch: Vec<(String, Vec<u8>)>,
    batch_bytes: usize,
    inflight: JoinSet<Result<(), (String, object_store::Error)>>,
    failure: Option<S3Error>,
    /// The journal pages this run wrote.
    written: Vec<String>,
    report: S3Report,
}

impl<'a> Uploader<'a> {
    fn new(bucket: &'a Bucket, concurrency: usize) -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        Self {
            bucket,
            // Runs are sequential; the time names them apart, and its
            // order is the journal's.
            run: format!("{:020}", now.as_nanos()),
            concurrency,
            batch: Vec::new(),
            batch_bytes: 0,
            inflight: JoinSet::new(),
            failure: None,
            written: Vec::new(),
            report: S3Report::default(),
        }
    }

    fn add(&mut self, path: &str, bytes: &[u8]) {
        if self.failure.is_some() {
            return;
        }
        self.batch_bytes += bytes.len();
        self.batch.push((path.to_string(), bytes.to_vec()));
        if self.batch.len() >= JOURNAL_BATCH || self.batch_bytes >= JOURNAL_BATCH_BYTES {
            self.flush();
        }
    }

    /// Writes a journal page naming `paths`.
    fn journal(&mut self, paths: &[String]) -> Result<(), S3Error> {
        let page = manifest::journal_path(&self.run, self.written.len());
        let bytes = serde_json::to_vec(paths).expect("strings serialize");
        self.report.manifest_objects += 1;
        self.report.manifest_bytes += bytes.len() as u64;
        self.bucket.put(&page, bytes)?;
        self.written.push(page);
        Ok(())
    }

    fn flush(&mut self) {
        if self.batch.is_empty() || self.failure.is_some() {
            return;
        }
        let paths: Vec<String> = self.batch.iter().map(|(p, _)| p.clone()).collect();
        if let Err(e) = self.journal(&paths) {
            self.failure = Some(e);
            return;
        }
        self.batch_bytes = 0;
        for (path, bytes) in std::mem::take(&mut self.batch) {
            while self.inflight.len() >= self.concurrency {
                self.join_one();
            }
            if self.failure.is_some() {
                return;
            }
            let (store, key, opts) = (
                self.bucket.store.clone(),
                self.bucket.url.key(&path),
                put_options(&path),
            );
            self.inflight.spawn_on(
                async move {
                    store
                        .put_opts(&key, bytes.into(), opts)
                        .await
                        .map(|_| ())
                        .map_err(|e| (path, e))
                },
                self.bucket.runtime.handle(),
            );
        }
    }

    fn join_one(&mut self) {
        if let Some(Ok(Err((path, e)))) = self.bucket.runtime.block_on(self.inflight.join_next()) {
            if self.failure.is_none() {
                self.failure = Some(self.bucket.error(&path, e));
            }
        }
    }

    /// Sends what is left and waits for every upload.
    fn finish(&mut self) -> Result<(), S3Error> {
        self.flush();
        while !self.inflight.is_empty() {
            self.join_one();
        }
        match self.failure.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A store's failure as the export reports it: a stall (every attempt timed
/// out) apart from the rest.
fn error(
    url: &BucketUrl,
    what: &str,
    source: object_store::Error,
    timeout: Duration,
    attempts: usize,
) -> S3Error {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&source);
    let mut timed_out = false;
    while let Some(e) = cause {
        if let Some(http) = e.downcast_ref::<object_store::client::HttpError>() {
            timed_out |= http.kind() == object_store::client::HttpErrorKind::Timeout;
        }
        cause = e.source();
    }
    if timed_out {
        return S3Error::Stalled {
            url: url.to_string(),
            what: what.to_string(),
            seconds: timeout.as_secs(),
            attempts,
        };
    }
    S3Error::Store {
        url: url.to_string(),
        source,
    }
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
///
/// No `Content-Encoding`: objects are stored as the bytes themselves. A
/// store's website mode (Garage's, S3's) has no content negotiation — a
/// gzip object is served gzip to every client, asked or not — and tiles,
/// bundles and blobs must reach a verifier byte for byte. Compressing pages
/// for readers who ask is a CDN edge's job (docs/DEPLOY.md).
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
        assert_eq!(o.attributes.get(&Attribute::ContentEncoding), None);
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
