//! Articles from Markdown files with YAML front matter (the Hugo/Jekyll form
//! `erkin import` and `publish` read), and the publish, correct and import
//! commands.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use erkin_core::action::{Action, Correct, Publish};
use erkin_core::blob::DEFAULT_MAX_BLOB_LEN;
use erkin_core::keys::SecretKey;
use serde::{Deserialize, Serialize};

use crate::cli::{CorrectArgs, ImportArgs, PublishArgs};
use crate::desk::{Desk, Place};
use crate::secret;
use crate::term::{now, outln, print_json, progress};

/// The front matter fields erkin reads; others (Hugo's `draft`, `weight`, …)
/// are ignored.
#[derive(Debug, Deserialize)]
pub struct FrontMatter {
    pub title: String,
    pub slug: String,
    pub lang: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Member handles become authors; any other name becomes a byline.
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub bylines: Vec<String>,
    pub date: Option<String>,
    pub translation_of: Option<String>,
    /// For `correct`: the public correction note and its weight.
    pub correction: Option<String>,
    pub major: Option<bool>,
}

/// An article file: its front matter and Markdown body.
pub struct ArticleFile {
    pub path: PathBuf,
    pub front: FrontMatter,
    pub body: String,
}

/// Front matter longer than this is not front matter.
const MAX_FRONT_MATTER: usize = 64 * 1024;

pub fn read_article(path: &Path) -> Result<ArticleFile> {
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if meta.len() > DEFAULT_MAX_BLOB_LEN {
        bail!(
            "{}: {} bytes is more than an article may be",
            path.display(),
            meta.len()
        );
    }
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading {} (it must be UTF-8)", path.display()))?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
        .with_context(|| {
            format!(
                "{}: no front matter (the file must start with a line '---')",
                path.display()
            )
        })?;
    let end = rest
        .find("\n---\n")
        .or_else(|| rest.find("\n---\r\n"))
        .or_else(|| rest.strip_suffix("\n---").map(|r| r.len()))
        .with_context(|| {
            format!(
                "{}: the front matter has no closing '---' line",
                path.display()
            )
        })?;
    if end > MAX_FRONT_MATTER {
        bail!(
            "{}: the front matter is longer than {MAX_FRONT_MATTER} bytes",
            path.display()
        );
    }
    let yaml = &rest[..end];
    let body = rest[end..]
        .trim_start_matches('\n')
        .trim_start_matches("---")
        .trim_start_matches(['\r', '\n']);
    let front: FrontMatter = serde_yaml_ng::from_str(yaml)
        .with_context(|| format!("{}: front matter", path.display()))?;
    Ok(ArticleFile {
        path: path.to_path_buf(),
        front,
        body: body.to_string(),
    })
}

/// Parses an RFC 3339 date (`2026-10-05T09:00:00Z`) to Unix seconds.
fn parse_date(path: &Path, d: &str) -> Result<u64> {
    let t = humantime::parse_rfc3339_weak(d.trim()).with_context(|| {
        format!(
            "{}: date {d:?} is not an RFC 3339 time like 2026-10-05T09:00:00Z",
            path.display()
        )
    })?;
    Ok(t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0))
}

/// Uploads the local images a body refers to as blobs and rewrites their
/// references to `blob:<sha256>.<ext>`, which the renderer resolves to the
/// copy's own `media/<sha256>.<ext>`. Remote images are left for the renderer, which never
/// loads them from a third party.
fn upload_media(p: &Desk, file: &ArticleFile) -> Result<(String, Vec<String>)> {
    let mut body = file.body.clone();
    let mut media = Vec::new();
    for image in local_images(file)? {
        let bytes = std::fs::read(&image.path)
            .with_context(|| format!("{}: image {:?}", file.path.display(), image.target))?;
        let id = p.put_blob(&bytes)?;
        body = body.replace(
            &format!("]({})", image.target),
            &format!("](blob:{id}.{})", image.ext),
        );
        media.push(id.to_string());
    }
    media.sort();
    media.dedup();
    Ok((body, media))
}

/// A local image an article's body refers to.
struct LocalImage {
    /// As the body writes it.
    target: String,
    /// The file: the target below the article's folder.
    path: PathBuf,
    /// Its extension as the copy names it.
    ext: &'static str,
}

/// The local images `file`'s body refers to, each a relative path below
/// the article's folder with an accepted extension.
fn local_images(file: &ArticleFile) -> Result<Vec<LocalImage>> {
    let dir = file.path.parent().unwrap_or(Path::new("."));
    local_image_targets(&file.body)
        .into_iter()
        .map(|target| {
            // Only files beside the article or below it: no `..` escapes.
            if target.split('/').any(|c| c == ".." || c.is_empty()) || target.starts_with('/') {
                bail!(
                    "{}: image {target:?} must be a relative path below the article's folder",
                    file.path.display()
                );
            }
            let ext = target.rsplit_once('.').map_or("", |(_, e)| e);
            let Some(ext) = erkin_core::media::media_extension(ext) else {
                bail!(
                    "{}: image {target:?}: only {} images are accepted (SVG can carry scripts: convert it to PNG)",
                    file.path.display(),
                    erkin_core::media::MEDIA_EXTENSIONS.join(", ")
                );
            };
            Ok(LocalImage {
                path: dir.join(&target),
                target,
                ext,
            })
        })
        .collect()
}

/// Checks what [`publish_action`] would refuse of `file` without uploading
/// anything: its date, and each local image (its path and extension, and
/// that it is a readable file no larger than a blob may be).
fn check_publishable(file: &ArticleFile) -> Result<()> {
    if let Some(d) = &file.front.date {
        parse_date(&file.path, d)?;
    }
    for image in local_images(file)? {
        let meta = std::fs::metadata(&image.path)
            .and_then(|m| {
                if m.is_file() {
                    Ok(m)
                } else {
                    Err(std::io::Error::other("not a file"))
                }
            })
            .with_context(|| format!("{}: image {:?}", file.path.display(), image.target))?;
        if meta.len() > DEFAULT_MAX_BLOB_LEN {
            bail!(
                "{}: image {:?}: {} bytes is more than a blob may be",
                file.path.display(),
                image.target,
                meta.len()
            );
        }
    }
    Ok(())
}

/// The link targets of Markdown images that are local paths.
fn local_image_targets(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = md;
    while let Some(i) = rest.find("![") {
        rest = &rest[i + 2..];
        let Some(close) = rest.find("](") else { break };
        let after = &rest[close + 2..];
        let Some(end) = after.find(')') else { break };
        let target = after[..end]
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_string();
        let remote = target.contains(':') || target.starts_with("//");
        if !target.is_empty() && !remote && !out.contains(&target) {
            out.push(target);
        }
        rest = &after[end..];
    }
    out
}

/// Builds the publish action for a file (uploading its body and images).
pub fn publish_action(p: &Desk, file: &ArticleFile) -> Result<Action> {
    let f = &file.front;
    let (body, media) = upload_media(p, file)?;
    let body_id = p.put_blob(body.as_bytes())?;
    let (authors, mut bylines): (Vec<String>, Vec<String>) = f
        .authors
        .iter()
        .cloned()
        .partition(|a| p.state().member(a).is_some());
    bylines.extend(f.bylines.iter().cloned());
    let first_published = match &f.date {
        Some(d) => Some(parse_date(&file.path, d)?.min(now())),
        None => None,
    };
    Ok(Action::Publish(Publish {
        slug: f.slug.clone(),
        lang: f.lang.clone(),
        title: f.title.clone(),
        summary: f.summary.clone(),
        authors,
        bylines,
        tags: f.tags.clone(),
        body: body_id.to_string(),
        media,
        translation_of: f.translation_of.clone(),
        first_published,
    }))
}

/// Signs each action with the editor's key and submits them in batches.
pub fn submit_actions(
    p: &mut Desk,
    editor: &SecretKey,
    actions: Vec<(PathBuf, Action)>,
) -> Result<Vec<u64>> {
    let mut indexes = Vec::with_capacity(actions.len());
    let total = actions.len();
    let bar = if total > 1 {
        progress(Some(total as u64), "articles recorded")
    } else {
        indicatif::ProgressBar::hidden()
    };
    for chunk in actions.chunks(BATCH) {
        if let Err(e) = submit_batch(p, editor, chunk, &mut indexes, total) {
            bar.abandon();
            return Err(e);
        }
        bar.set_position(indexes.len() as u64);
    }
    bar.finish_and_clear();
    Ok(indexes)
}

/// How many actions one batch signs and submits: they share one fsync, and
/// 256 keeps a failed batch's report short. Also the most publish actions
/// an import holds at once.
const BATCH: usize = 256;

/// Signs and submits one batch of actions, adding their indexes to
/// `indexes`; the first refusal ends it, saying how many of `total` were
/// recorded before it.
fn submit_batch(
    p: &mut Desk,
    editor: &SecretKey,
    batch: &[(PathBuf, Action)],
    indexes: &mut Vec<u64>,
    total: usize,
) -> Result<()> {
    let just_actions: Vec<Action> = batch.iter().map(|(_, a)| a.clone()).collect();
    let results = p.sign_and_submit(editor, &just_actions)?;
    for ((path, _), result) in batch.iter().zip(results) {
        match result {
            Ok(i) => indexes.push(i),
            Err(r) => bail!(
                "{}: refused: {r} ({} of {total} recorded before it)",
                path.display(),
                indexes.len()
            ),
        }
    }
    Ok(())
}

/// What `publish --json` and `correct --json` print.
#[derive(Serialize)]
struct Recorded<'a> {
    /// The entry's index in the log.
    index: u64,
    slug: &'a str,
}

/// Signs and submits one article's action; its index.
fn submit_one(p: &mut Desk, editor: &SecretKey, file: &Path, action: Action) -> Result<u64> {
    submit_actions(p, editor, vec![(file.to_path_buf(), action)])?
        .first()
        .copied()
        .context("the publication returned no result")
}

pub fn publish(place: &Place, args: &PublishArgs) -> Result<u8> {
    // The fold fetches the rows it reads (the slug, a translation's
    // original, the redaction targets): no other article is read.
    let mut p = Desk::open_lazily(place)?;
    let editor = secret::open_key(&args.key, "your member key")?;
    p.set_uploader(&editor);
    let article = read_article(&args.file)?;
    let action = publish_action(&p, &article)?;
    let slug = article.front.slug.as_str();
    let index = submit_one(&mut p, &editor, &args.file, action)?;
    if args.json {
        print_json(&Recorded { index, slug })?;
    } else {
        outln!("{index}");
        eprintln!("Published a/{slug}/ as entry {index}.");
    }
    Ok(0)
}

/// The correction a `correct` command records (uploading its body). A
/// correction that replaces most of the text is a major one, whatever was
/// asked: the entry says so, readers see it as one, and the member is told
/// now (nothing is asked: scripts run this too).
pub fn correction(p: &Desk, args: &CorrectArgs) -> Result<Action> {
    let article = read_article(&args.file)?;
    let slug = args.slug.as_str();
    let mut action = correct_action(p, slug, &article, args.note.clone(), args.major)?;
    if let Some(share) = replaced_share(p, slug, &article) {
        if share > erkin_views::diff::MAJOR_SHARE {
            if let Action::Correct(c) = &mut action {
                if !c.major {
                    eprintln!(
                        "erkin: warning: this correction changes {:.0} % of the words of a/{slug}/ (more than half): it is recorded as a major correction, and readers see it as one",
                        share * 100.0
                    );
                }
                c.major = true;
            }
        }
    }
    Ok(action)
}

pub fn correct(place: &Place, args: CorrectArgs) -> Result<u8> {
    // Only the corrected article is read (to weigh how much it changes).
    let mut p = Desk::open_lazily(place)?;
    p.fetch_articles(&[args.slug.as_str()])?;
    let editor = secret::open_key(&args.key, "your member key")?;
    p.set_uploader(&editor);
    let action = correction(&p, &args)?;
    let slug = args.slug.as_str();
    let index = submit_one(&mut p, &editor, &args.file, action)?;
    if args.json {
        print_json(&Recorded { index, slug })?;
    } else {
        outln!("{index}");
        eprintln!("Corrected a/{slug}/ as entry {index}.");
    }
    Ok(0)
}

/// The share of words (0 to 1) the corrected file replaces in the current
/// revision of `slug` (title, summary and body), if the body is at hand.
fn replaced_share(p: &Desk, slug: &str, article: &ArticleFile) -> Option<f64> {
    let current = p.state().article(slug)?.current();
    let body = p
        .publication()
        .store()
        .blob(&current.body, DEFAULT_MAX_BLOB_LEN)
        .ok()
        .flatten()?;
    let old = format!(
        "{}\n{}\n{}",
        current.title,
        current.summary,
        String::from_utf8_lossy(&body)
    );
    let new = format!(
        "{}\n{}\n{}",
        article.front.title, article.front.summary, article.body
    );
    Some(erkin_views::diff::changed_share(&old, &new))
}

/// Builds a correction from a corrected article file (uploading its body).
pub fn correct_action(
    p: &Desk,
    slug: &str,
    article: &ArticleFile,
    note: Option<String>,
    major: bool,
) -> Result<Action> {
    let note = note
        .or_else(|| article.front.correction.clone())
        .context("a correction needs a public note: --note \"An earlier version misstated ...\"")?;
    let major = major || article.front.major.unwrap_or(false);
    let (body, media) = upload_media(p, article)?;
    let body_id = p.put_blob(body.as_bytes())?;
    Ok(Action::Correct(Correct {
        slug: slug.to_string(),
        title: article.front.title.clone(),
        summary: article.front.summary.clone(),
        body: body_id.to_string(),
        media,
        note,
        major,
    }))
}

/// Every `.md` file below `root`, sorted by path.
fn markdown_files(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry?;
            let ty = entry.file_type()?;
            let path = entry.path();
            if ty.is_dir() {
                stack.push(path);
            } else if ty.is_file() && path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What `import --json` prints.
#[derive(Serialize)]
struct Imported {
    /// How many articles were published.
    imported: usize,
    /// Their entries' indexes, in the order they were recorded.
    indexes: Vec<u64>,
}

pub fn import(place: &Place, args: &ImportArgs) -> Result<u8> {
    let mut p = Desk::open(place)?;
    let editor = secret::open_key(&args.key, "your member key")?;
    p.set_uploader(&editor);
    p.set_bulk();
    let files = import_order(&args.root)?;
    let indexes = import_files(&mut p, &editor, &files)?;
    // Every later open reads the imported state whole, folding nothing.
    p.store_snapshot()?;
    let n = indexes.len();
    if args.json {
        print_json(&Imported {
            imported: n,
            indexes,
        })?;
    } else {
        outln!("{n}");
        eprintln!("Imported {n} articles from {}.", args.root.display());
    }
    Ok(0)
}

/// Every article below `root` in the order an import records them: oldest
/// first (by the front matter's date), originals before their translations.
/// Each file is read and checked whole — its front matter, date and local
/// images ([`check_publishable`]) — so a file that would be refused stops
/// the import before anything is uploaded or recorded. Only the order is
/// kept, never the archive's text.
pub fn import_order(root: &Path) -> Result<Vec<PathBuf>> {
    let mut order = markdown_files(root)?
        .into_iter()
        .map(|f| {
            let a = read_article(&f)?;
            check_publishable(&a)?;
            Ok((a.front.translation_of.is_some(), a.front.date, f))
        })
        .collect::<Result<Vec<_>>>()?;
    order.sort();
    Ok(order.into_iter().map(|(_, _, f)| f).collect())
}

/// Imports `files` in their order: reads each again, uploads its body and
/// images and records its publish action, a batch ([`BATCH`]) at a time, so
/// an import holds one batch of actions, never the archive's (100,000
/// articles' actions were about 60 MiB beside the state). The indexes of
/// the entries, in order. A file that cannot be read or uploaded now (it
/// changed since [`import_order`] checked it) or an action refused ends the
/// import, saying how many were recorded before it.
pub fn import_files(p: &mut Desk, editor: &SecretKey, files: &[PathBuf]) -> Result<Vec<u64>> {
    let total = files.len();
    let mut indexes = Vec::with_capacity(total);
    let bar = progress(Some(total as u64), "articles imported");
    for chunk in files.chunks(BATCH) {
        let batch = chunk
            .iter()
            .map(|path| {
                let f = read_article(path)?;
                let action = publish_action(p, &f)?;
                Ok((f.path, action))
            })
            .collect::<Result<Vec<_>>>();
        let done = match batch {
            Ok(batch) => submit_batch(p, editor, &batch, &mut indexes, total),
            Err(e) if indexes.is_empty() => Err(e),
            Err(e) => Err(e.context(format!("{} of {total} recorded before it", indexes.len()))),
        };
        if let Err(e) = done {
            bar.abandon();
            return Err(e);
        }
        bar.set_position(indexes.len() as u64);
    }
    bar.finish_and_clear();
    Ok(indexes)
}
