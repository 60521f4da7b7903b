//! What to do next, for the errors the libraries report: they say what went
//! wrong; only the command line knows its own commands and options, so the
//! advice that names them is here, in one place, beside the exit codes
//! (`exit.rs`). `main` prints it after the error as `erkin: hint: ...`.

use erkin_core::blob::BlobError;
use erkin_export::ExportError;
use erkin_mirror::{BundleError, MirrorError};
use erkin_store::keyfile::KeyFileError;
use erkin_store::{PublicationError, StoreError};

/// The advice for the first error in `e`'s chain that has some.
pub fn of_error(e: &anyhow::Error) -> Option<String> {
    e.chain().find_map(of_cause)
}

/// Advice for one error. The libraries wrap one another's errors
/// transparently (a wrapper's source is its inner error's source), so each
/// wrapper is looked into here.
fn of_cause(cause: &(dyn std::error::Error + 'static)) -> Option<String> {
    if let Some(e) = cause.downcast_ref::<StoreError>() {
        return of_store(e);
    }
    if let Some(e) = cause.downcast_ref::<BlobError>() {
        return of_blob(e);
    }
    if let Some(e) = cause.downcast_ref::<PublicationError>() {
        return of_publication(e);
    }
    if let Some(ExportError::Store(e)) = cause.downcast_ref::<ExportError>() {
        return of_store(e);
    }
    if let Some(e) = cause.downcast_ref::<BundleError>() {
        return of_bundle(e);
    }
    if let Some(e) = cause.downcast_ref::<MirrorError>() {
        return of_mirror(e);
    }
    if let Some(KeyFileError::Exists(_)) = cause.downcast_ref::<KeyFileError>() {
        return Some("move it away or choose another --out".into());
    }
    None
}

fn of_store(e: &StoreError) -> Option<String> {
    match e {
        StoreError::NotFound { path } => {
            let dir = path.parent().map(|p| p.display().to_string());
            Some(format!(
                "run `erkin init --dir {}` to found a publication, or pass the right --dir",
                dir.unwrap_or_default()
            ))
        }
        StoreError::Corrupt { .. } => Some(
            "restore it from a backup or re-mirror it from a copy; `erkin verify` shows details"
                .into(),
        ),
        StoreError::Blob(b) => of_blob(b),
        StoreError::NewerFormat { .. } => Some("upgrade erkin to read it".into()),
        _ => None,
    }
}

fn of_blob(e: &BlobError) -> Option<String> {
    match e {
        BlobError::TooLarge { .. } => {
            Some("raise the limit with --max-blob-size if this is intended".into())
        }
        _ => None,
    }
}

fn of_publication(e: &PublicationError) -> Option<String> {
    match e {
        PublicationError::Store(s) => of_store(s),
        PublicationError::Invalid { .. } => Some("`erkin verify` on it gives a full report".into()),
        _ => None,
    }
}

fn of_bundle(e: &BundleError) -> Option<String> {
    match e {
        BundleError::TooLarge { .. } => Some("raise --max-bundle-size if this is intended".into()),
        BundleError::TooMuchGrowth { .. } => {
            Some("raise --max-growth only if the log is truly that large".into())
        }
        BundleError::Store(s) => of_store(s),
        _ => None,
    }
}

fn of_mirror(e: &MirrorError) -> Option<String> {
    match e {
        MirrorError::NoKey => {
            Some("pass --key (ask the newsroom, or read it from its mirrors page)".into())
        }
        MirrorError::BundleGap { have, .. } => Some(format!(
            "import a full bundle (or one made with --since {have} or less) first"
        )),
        MirrorError::Bundle(b) => of_bundle(b),
        MirrorError::Store(s) => of_store(s),
        MirrorError::Publication(p) => of_publication(p),
        MirrorError::Export(ExportError::Store(s)) => of_store(s),
        _ => None,
    }
}
