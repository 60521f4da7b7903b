//! `erkin mirror`, `erkin bundle`, `erkin evidence`: copies and their proofs.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use erkin_core::evidence::{check, Evidence, ForkProof, Verdict};
use erkin_core::keys::VerifierKey;
use erkin_mirror::{HttpOptions, Mirror, Progress, SyncOptions};
use erkin_store::Publication;

use crate::cli::{BundleArgs, EvidenceArgs, MirrorArgs};
use crate::term::outln;

/// A bar of fetched files for each batch a sync fetches (hidden when
/// stderr is not a terminal), and the callback that moves it.
fn fetch_progress() -> (indicatif::ProgressBar, Progress) {
    let bar = crate::term::progress(Some(0), "files fetched");
    let moved = bar.clone();
    let tell = Progress(std::sync::Arc::new(move |done, total| {
        moved.set_length(total as u64);
        moved.set_position(done as u64);
    }));
    (bar, tell)
}

pub fn mirror(args: &MirrorArgs) -> Result<u8> {
    let key = args
        .key
        .as_deref()
        .map(|k| VerifierKey::parse(k).context("--key"))
        .transpose()?;
    // Into object storage: the verified copy is a data directory of its
    // own (--copy), and the bucket gets its static copy.
    let bucket = match args.into.to_str().and_then(erkin_s3::BucketUrl::parse) {
        Some(bucket) => Some(bucket),
        None if args.into.to_string_lossy().starts_with("s3:") => anyhow::bail!(
            "--into {}: not a bucket URL (s3://BUCKET or s3://BUCKET/PREFIX)",
            args.into.display()
        ),
        None => None,
    };
    let local = match (&bucket, &args.copy) {
        (None, None) => args.into.clone(),
        (Some(_), Some(copy)) => copy.clone(),
        (Some(bucket), None) => anyhow::bail!(
            "--into {bucket} needs --copy DIR: the mirror's verified data directory, kept \
             between runs so each one fetches and uploads only what is new"
        ),
        (None, Some(_)) => anyhow::bail!("--copy is for --into s3://…; here the copy is --into"),
    };
    let (bar, progress) = fetch_progress();
    let options = SyncOptions {
        key,
        http: HttpOptions {
            timeout: Duration::from_secs(args.timeout.max(1)),
            retries: args.retries,
            concurrency: args.concurrency.max(1),
            progress: Some(progress),
            ..Default::default()
        },
        max_blob_len: args.max_blob_size,
        max_growth: args.max_growth,
        site: !args.no_site && bucket.is_none(),
        now: crate::term::now(),
        ..SyncOptions::default()
    };
    let mut mirror = match Mirror::open(&local) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("erkin: error: {e}");
            return Ok(crate::exit::of_mirror(&e));
        }
    };
    let synced = mirror.sync(args.source.as_deref(), &options);
    bar.finish_and_clear();
    let report = match synced {
        Ok(r) => r,
        Err(e) => {
            eprintln!("erkin: error: {e}");
            return Ok(crate::exit::of_mirror(&e));
        }
    };
    if let Some(k) = &report.trusted_on_first_use {
        eprintln!(
            "WARNING: no --key given: trusting the key the source names, on first use:\n  {k}\n\
             Check it against the key the newsroom publishes (its mirrors page, a printed QR, a person you trust).\n\
             From now on {} accepts only this key.",
            local.display()
        );
    }
    drop(mirror);
    let uploaded = match &bucket {
        Some(bucket) => {
            let publication = Publication::open(&local)?;
            Some(erkin_s3::export_report(
                &publication,
                bucket,
                &args.s3.options(),
            )?)
        }
        None => None,
    };
    if args.json {
        let json = serde_json::json!({
            "source": report.source,
            "old_size": report.old_size,
            "new_size": report.new_size,
            "blobs_fetched": report.blobs_fetched,
            "blobs_deleted": report.blobs_deleted,
            "requests": report.requests,
            "bytes": report.bytes,
            "site_files_written": report.site.as_ref().map(|s| s.written),
            "objects_uploaded": uploaded.as_ref().map(|u| u.files.written),
            "objects_deleted": uploaded.as_ref().map(|u| u.files.deleted),
        });
        outln!("{json}");
    } else if report.new_size == report.old_size {
        eprintln!("Up to date: {} entries.", report.new_size);
    } else {
        eprintln!(
            "Synced {} -> {} entries from {} ({} blobs{}). Verified and committed.",
            report.old_size,
            report.new_size,
            report.source,
            report.blobs_fetched,
            if report.requests > 0 {
                format!(", {} requests, {} bytes", report.requests, report.bytes)
            } else {
                String::new()
            }
        );
    }
    if let (Some(bucket), Some(up)) = (&bucket, &uploaded) {
        eprintln!(
            "Static copy in {bucket}: {} objects uploaded, {} unchanged, {} removed.",
            up.files.written, up.files.unchanged, up.files.deleted
        );
    }
    if let Some(site) = &report.site {
        eprintln!(
            "Static copy in {}: {} files written, {} unchanged, {} removed.",
            local.join(erkin_mirror::mirror::SITE_DIR).display(),
            site.written,
            site.unchanged,
            site.deleted
        );
    }
    Ok(0)
}

pub fn bundle(dir: &Path, args: &BundleArgs) -> Result<u8> {
    let publication = Publication::open(dir)?;
    let stats = erkin_mirror::write_bundle(&publication, &args.out, args.since)?;
    eprintln!(
        "Wrote {}: {} files, {} bytes before compression, entries {}..{}.",
        args.out.display(),
        stats.members,
        stats.bytes,
        args.since.min(publication.store().size()),
        publication.store().size()
    );
    Ok(0)
}

pub fn evidence(args: &EvidenceArgs) -> Result<u8> {
    let bytes = std::fs::read(&args.file).with_context(|| args.file.display().to_string())?;
    let evidence = Evidence::from_json(&bytes).with_context(|| args.file.display().to_string())?;
    let key_text = args
        .key
        .clone()
        .unwrap_or_else(|| evidence.verifier_key.clone());
    let key = VerifierKey::parse(&key_text).context("the verifier key")?;
    if args.key.is_none() {
        eprintln!(
            "Note: checking against the key named in the file; pass --key with the key you trust."
        );
    }
    match check(&evidence, &key) {
        Ok(verdict) => {
            let text = match verdict {
                Verdict::Rollback { accepted, served } => format!(
                    "PROVEN rollback: both checkpoints are signed by {key}; {} served {served} entries after {accepted} had been accepted (on the mirror's word), and the older tree is a prefix of the newer.",
                    evidence.source
                ),
                Verdict::Fork { how: ForkProof::SameSizeDifferentRoots { size } } => format!(
                    "PROVEN fork: {key} signed two different trees of {size} entries."
                ),
                Verdict::Fork { how: ForkProof::InconsistentTrees { smaller, larger } } => format!(
                    "PROVEN fork: {key} signed a tree of {larger} entries that does not contain its tree of {smaller} (the consistency proof from the larger tree's own tiles fails)."
                ),
                Verdict::Implausible { accepted, size } => format!(
                    "PROVEN: {key} signed a checkpoint of {size} entries (the mirror held {accepted}, on its word). Whether a log of that size is real, ask the newsroom; a seized or misused log key can sign any size."
                ),
                Verdict::ForbiddenEntry { index, rejection } => format!(
                    "PROVEN: entry {index} is in the log signed by {key}. The mirror's fold refused it: {rejection}. Re-check by running `erkin verify` on any copy."
                ),
            };
            outln!("{text}");
            Ok(0)
        }
        Err(e) => {
            eprintln!("erkin: {}: {e}", args.file.display());
            Ok(crate::exit::VERIFY_FAILED)
        }
    }
}
