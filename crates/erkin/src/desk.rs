//! Where a member's signed entries go: the local data directory (the
//! newsroom's own machine, which holds the log key) or a newsroom server
//! over HTTP (`--server URL`), which never sees the member's key.
//!
//! Remote work happens against a verified local copy: the member's `--dir`
//! is a mirror of the server, synced (and checked against the pinned log
//! key) before every command, so the state an action is built on is the
//! log's, not whatever the server's JSON says.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use erkin_core::blob::{BlobId, DEFAULT_MAX_BLOB_LEN};
use erkin_core::entry::EntryBody;
use erkin_core::keys::SecretKey;
use erkin_core::state::State;
use erkin_mirror::{MembersClient, Mirror, SyncOptions};
use erkin_store::{Publication, LOG_KEY_FILE};

use crate::secret;
use crate::term::now;

/// Where a command acts: the data directory, and the newsroom server when
/// it acts on one (`--server`), in which case `dir` is the member's copy.
#[derive(Debug, Clone)]
pub struct Place {
    pub dir: PathBuf,
    pub server: Option<String>,
}

/// Why the publication refused an entry: the stable code and the message.
#[derive(Debug, Clone)]
pub struct Refused {
    pub code: String,
    pub message: String,
    /// For refusals about time, the two times compared.
    pub times: Option<erkin_core::rejection::RefusalTimes>,
}

impl std::fmt::Display for Refused {
    /// The message; a refusal about time in local time with the difference.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.times.and_then(|t| crate::when::explain(&self.code, t)) {
            Some(words) => write!(f, "{words} ({})", self.code),
            None => f.write_str(&self.message),
        }
    }
}

pub enum Desk {
    // Boxed: both are large, and a desk is made once per command.
    Local {
        dir: PathBuf,
        publication: Box<Publication>,
        log_key: Option<Box<SecretKey>>,
    },
    Remote {
        mirror: Box<Mirror>,
        client: Box<MembersClient>,
        url: String,
        /// The member who vouches for uploaded blobs (the server takes
        /// blobs only from members).
        uploader: Option<Box<SecretKey>>,
    },
}

/// How a member's copy syncs: no static site, only the store; through
/// `proxy` (a full proxy URL) when given.
fn copy_options(proxy: Option<String>) -> SyncOptions {
    let mut options = SyncOptions {
        site: false,
        now: now(),
        ..SyncOptions::default()
    };
    if let Some(proxy) = proxy {
        options.http.proxy = Some(proxy);
        // Tor builds a circuit before the first answer.
        options.http.phase_timeout = Some(Duration::from_secs(60));
        options.http.timeout = Duration::from_secs(180);
    }
    options
}

/// Syncs the member's copy from `url` into `dir`, through `proxy` when
/// given.
fn sync_copy(dir: &Path, url: &str, proxy: Option<String>) -> Result<Mirror> {
    sync_copy_choosing(dir, url, |_| Ok(proxy))
}

/// [`sync_copy`] through the proxy `choose` picks from the copy's state
/// as it is before the sync (`None`: no copy yet).
fn sync_copy_choosing(
    dir: &Path,
    url: &str,
    choose: impl FnOnce(Option<&State>) -> Result<Option<String>>,
) -> Result<Mirror> {
    let mut mirror = Mirror::open(dir)?;
    let proxy = choose(mirror.publication().map(Publication::state))?;
    let report = mirror
        .sync(Some(url), &copy_options(proxy))
        .with_context(|| format!("syncing your copy of {url} into {}", dir.display()))?;
    if let Some(k) = &report.trusted_on_first_use {
        eprintln!(
            "WARNING: first contact with {url}: trusting its log key on first use:\n  {k}\n\
             Check it against the key the newsroom publishes; {} accepts only this key from now on.",
            dir.display()
        );
    }
    Ok(mirror)
}

impl Desk {
    /// The desk for `place`: local, or remote when it names a server.
    pub fn open(place: &Place) -> Result<Self> {
        Self::open_with(place, false, |_| Ok(None))
    }

    /// [`Desk::open`] for a member's action that reads no article (a
    /// statement, a vote, most proposals): a local publication is opened
    /// without reading its articles' rows until something needs them
    /// (`Publication::open_lazily`); a remote desk is as [`Desk::open`].
    pub fn open_lazily(place: &Place) -> Result<Self> {
        Self::open_with(place, true, |_| Ok(None))
    }

    /// [`Desk::open`], a remote copy synced through the SOCKS5 proxy
    /// `socks5h://HOST:PORT` that `choose` gives as `HOST:PORT`
    /// ([`crate::ballot::check_proxy`]), if any, from the member's copy as
    /// it is before the sync (`None`: no copy yet) — with fresh credentials
    /// of its own so that Tor puts the sync on a circuit of its own. A
    /// local desk syncs nothing and asks nothing. (`erkin vote` on a secret
    /// proposal: the server must not see the member's address a few
    /// seconds before their anonymous ballot; a proposal's secrecy is fixed
    /// when it is made, so a copy that has it already tells.) A vote reads
    /// no article: a local desk is opened as [`Desk::open_lazily`] does.
    pub fn open_choosing(
        place: &Place,
        choose: impl FnOnce(Option<&State>) -> Result<Option<String>>,
    ) -> Result<Self> {
        Self::open_with(place, true, choose)
    }

    /// The desk for `place`; `lazily`: a local publication's articles are
    /// read only when something needs them.
    fn open_with(
        place: &Place,
        lazily: bool,
        choose: impl FnOnce(Option<&State>) -> Result<Option<String>>,
    ) -> Result<Self> {
        let dir = place.dir.as_path();
        match place.server.as_deref() {
            None => Ok(Desk::Local {
                dir: dir.to_path_buf(),
                publication: Box::new(if lazily {
                    Publication::open_lazily(dir)?
                } else {
                    Publication::open(dir)?
                }),
                log_key: None,
            }),
            Some(url) => {
                let mirror = sync_copy_choosing(dir, url, |copy| {
                    Ok(choose(copy)?.map(|hostport| {
                        let (user, pass) = crate::ballot::fresh_credentials();
                        format!("socks5h://{user}:{pass}@{hostport}")
                    }))
                })?;
                let key = mirror
                    .publication()
                    .context("the server's copy is empty")?
                    .store()
                    .log_key()
                    .clone();
                Ok(Desk::Remote {
                    mirror: Box::new(mirror),
                    client: Box::new(MembersClient::new(url, key, Duration::from_secs(60))),
                    url: url.to_string(),
                    uploader: None,
                })
            }
        }
    }

    /// A local desk around a publication whose log key is at hand (demo).
    pub fn with_log_key(publication: Publication, log_key: SecretKey) -> Self {
        Desk::Local {
            dir: publication
                .store()
                .path()
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
            publication: Box::new(publication),
            log_key: Some(Box::new(log_key)),
        }
    }

    /// The local publication back (demo); `None` for a remote desk.
    pub fn into_publication(self) -> Option<Publication> {
        match self {
            Desk::Local { publication, .. } => Some(*publication),
            Desk::Remote { .. } => None,
        }
    }

    /// The member who vouches for blobs this desk uploads.
    pub fn set_uploader(&mut self, member: &SecretKey) {
        if let Desk::Remote { uploader, .. } = self {
            *uploader = Some(Box::new(member.clone()));
        }
    }

    /// A local publication appends many entries from here on, and stores
    /// its snapshot when they are in (`Publication::set_bulk`); a remote
    /// desk's server keeps its own.
    pub fn set_bulk(&mut self) {
        if let Desk::Local { publication, .. } = self {
            publication.set_bulk(true);
        }
    }

    /// A local publication stores its state's snapshot now (after an
    /// import: see `Publication::store_snapshot`); a remote desk's server
    /// keeps its own.
    pub fn store_snapshot(&mut self) -> Result<()> {
        if let Desk::Local { publication, .. } = self {
            publication.store_snapshot()?;
        }
        Ok(())
    }

    pub fn publication(&self) -> &Publication {
        match self {
            Desk::Local { publication, .. } => publication,
            Desk::Remote { mirror, .. } => mirror
                .publication()
                .expect("a remote desk is opened only with a copy"),
        }
    }

    pub fn state(&self) -> &State {
        self.publication().state()
    }

    /// Makes [`Desk::state`] answer for the articles `slugs` (a desk opened
    /// with [`Desk::open_lazily`] knows only those it fetched; a remote
    /// desk's copy knows every article).
    pub fn fetch_articles(&mut self, slugs: &[&str]) -> Result<()> {
        if let Desk::Local { publication, .. } = self {
            publication.fetch_articles(slugs)?;
        }
        Ok(())
    }

    pub fn sign(&self, body: &EntryBody, key: &SecretKey) -> Result<Vec<u8>> {
        Ok(self.publication().sign(body, key)?)
    }

    pub fn put_blob(&self, bytes: &[u8]) -> Result<BlobId> {
        match self {
            Desk::Local { publication, .. } => {
                Ok(publication.put_blob(bytes, DEFAULT_MAX_BLOB_LEN)?)
            }
            Desk::Remote {
                client,
                url,
                uploader,
                ..
            } => {
                let member = uploader
                    .as_ref()
                    .context("uploading a blob needs a member key to vouch for it")?;
                client
                    .put_blob(bytes, member)
                    .with_context(|| format!("uploading a blob to {url}"))
            }
        }
    }

    /// Signs each action now with `key` and submits them. An entry refused
    /// only because another member's entry, signed a moment later, was
    /// sequenced first (`time_went_backwards`) is signed again with the
    /// current time and resubmitted, a few times at most.
    pub fn sign_and_submit(
        &mut self,
        key: &SecretKey,
        actions: &[erkin_core::action::Action],
    ) -> Result<Vec<Result<u64, Refused>>> {
        let mut results: Vec<Option<Result<u64, Refused>>> = vec![None; actions.len()];
        let mut pending: Vec<usize> = (0..actions.len()).collect();
        for attempt in 0..4 {
            if attempt > 0 {
                std::thread::sleep(Duration::from_millis(500));
            }
            let entries = pending
                .iter()
                .map(|&i| {
                    self.sign(
                        &EntryBody {
                            time: now(),
                            action: actions[i].clone(),
                        },
                        key,
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            let outcome = self.submit(&entries)?;
            let mut again = Vec::new();
            for (&i, result) in pending.iter().zip(outcome) {
                match result {
                    Err(r) if r.code == "time_went_backwards" && attempt < 3 => again.push(i),
                    other => results[i] = Some(other),
                }
            }
            if again.is_empty() {
                break;
            }
            pending = again;
        }
        Ok(results
            .into_iter()
            .map(|r| r.expect("every action gets a result"))
            .collect())
    }

    /// Submits signed entries; each gets its index or the reason it was
    /// refused. Remote receipts are verified before they count.
    pub fn submit(&mut self, entries: &[Vec<u8>]) -> Result<Vec<Result<u64, Refused>>> {
        match self {
            Desk::Local {
                dir,
                publication,
                log_key,
            } => {
                if log_key.is_none() {
                    *log_key = Some(Box::new(secret::open_key(
                        &dir.join(LOG_KEY_FILE),
                        "the publication's log key",
                    )?));
                }
                let key = log_key.as_ref().expect("just loaded");
                let outcome = publication.submit(entries, now(), key)?;
                Ok(outcome
                    .results
                    .into_iter()
                    .map(|r| {
                        r.map_err(|e| Refused {
                            code: e.code().to_string(),
                            message: e.to_string(),
                            times: e.times(),
                        })
                    })
                    .collect())
            }
            Desk::Remote {
                mirror,
                client,
                url,
                ..
            } => {
                let mut results = Vec::with_capacity(entries.len());
                for entry in entries {
                    match client.submit(entry) {
                        Ok(receipt) => results.push(Ok(receipt.index)),
                        Err(erkin_mirror::ClientError::Refused { error, .. }) => {
                            results.push(Err(Refused {
                                code: error.code,
                                message: error.message,
                                times: error.times,
                            }))
                        }
                        Err(e) => bail!("{url}: {e}"),
                    }
                }
                // Bring the copy up to what was just recorded.
                mirror
                    .sync(Some(url.as_str()), &copy_options(None))
                    .with_context(|| format!("syncing your copy of {url}"))?;
                Ok(results)
            }
        }
    }
}

/// The publication to read the members, the board, the charter, the
/// proposals or the mirror list from: the local one, its articles not read
/// (`Publication::open_lazily`: none of these needs them), or the member's
/// copy of the server's, synced first.
pub fn view(place: &Place) -> Result<Publication> {
    match place.server.as_deref() {
        // The sync folded the copy already: take that, not a second fold.
        Some(url) => sync_copy(&place.dir, url, None)?
            .into_publication()
            .context("the server's copy is empty"),
        None => Ok(Publication::open_lazily(&place.dir)?),
    }
}

/// With `--server`, brings the member's copy up to date; locally, nothing.
pub fn refresh(place: &Place) -> Result<()> {
    if let Some(url) = place.server.as_deref() {
        sync_copy(&place.dir, url, None)?;
    }
    Ok(())
}
