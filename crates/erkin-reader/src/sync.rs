//! One sync of the reader's copy: probe every known copy, race the newest,
//! keep the first that verifies. See the crate doc for the order.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use erkin_core::checkpoint::{Checkpoint, MAX_CHECKPOINT_LEN};
use erkin_core::keys::VerifierKey;
use erkin_core::mirrors::{is_onion_host, MirrorKind};
use erkin_mirror::{HttpCopy, HttpOptions, Mirror, MirrorError, SyncOptions};
use sha2::{Digest, Sha256};

use crate::state::{ReaderState, COPY_DIR, RACE_DIR};

#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The pinned key: nothing that does not verify against it is kept.
    pub key: VerifierKey,
    /// The publication's reader folder ([`crate::data_dir`]).
    pub folder: PathBuf,
    /// Sources given this time (URLs of copies, or a bundle file), tried
    /// with the ones remembered and learned.
    pub sources: Vec<String>,
    /// Timeouts, proxy, roots. Retries are best left at 0: another copy is
    /// tried instead.
    pub http: HttpOptions,
    /// How long the last good copy races alone before the others start.
    pub head_start: Duration,
    /// The longest the race waits for a copy as new as the newest
    /// checkpoint seen, once some copy has finished.
    pub patience: Duration,
    /// The longest the whole race may take.
    pub deadline: Duration,
    /// The clock (Unix seconds), for evidence files and `last_verified`.
    pub now: u64,
}

/// A reader's HTTP settings: short phases (a blocked handshake fails in
/// 6 s), no retries (another copy is tried instead), no redirects.
pub fn reader_http() -> HttpOptions {
    HttpOptions {
        timeout: Duration::from_secs(20),
        retries: 0,
        concurrency: 4,
        phase_timeout: Some(Duration::from_secs(6)),
        follow_redirects: false,
        ..HttpOptions::default()
    }
}

impl ReadOptions {
    pub fn new(key: VerifierKey, folder: PathBuf, now: u64) -> Self {
        Self {
            key,
            folder,
            sources: Vec::new(),
            http: reader_http(),
            head_start: Duration::from_secs(2),
            patience: Duration::from_secs(10),
            deadline: Duration::from_secs(300),
            now,
        }
    }
}

/// What happened with one source.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// The local copy now holds what this source served (all verified).
    Used { size: u64 },
    /// It holds no newer log than the local copy: nothing to take.
    UpToDate { size: u64 },
    /// Its signed log is older than one already held: a rolled-back or
    /// stale copy.
    Stale { size: u64, have: u64 },
    /// It did not answer in time, refused the connection, reset it, or
    /// answered with something other than the copy (a redirect elsewhere,
    /// an error).
    Unreachable { reason: String },
    /// What it served does not verify against the pinned key: tampered
    /// with, forged, or intercepted and altered on the way. Never shown.
    NotGenuine { reason: String },
    /// It was still fetching when another copy won the race (slow or
    /// throttled).
    Slower,
    /// Not tried: an onion service without a proxy, a bundle's URL.
    Skipped { reason: String },
}

/// One source's attempt, for the reader and for `erkin read --json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub source: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Default)]
pub struct ReadReport {
    /// The local copy's size before and after.
    pub old_size: u64,
    pub new_size: u64,
    /// The source the copy now comes from (the last good one if nothing
    /// newer was found).
    pub source: Option<String>,
    /// When the copy was last verified against a live source (or the
    /// bundle); `None` if never.
    pub last_verified: Option<u64>,
    pub attempts: Vec<Attempt>,
    /// Sources learned from the log's mirror list this time.
    pub learned: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// No source to read from: none given, none remembered. The caller
    /// should ask for a copy's address or a bundle.
    #[error("no copy is known yet: give a copy's address or a bundle file")]
    NoSources,
    /// No source gave a genuine copy and none is held yet. The attempts say
    /// why each failed; the caller should try another copy, a proxy or a
    /// bundle.
    #[error("no copy could be read: {}", summary(.attempts))]
    NothingWorked { attempts: Vec<Attempt> },
    /// The local copy itself (its folder, its store) failed. Nothing was
    /// shown from elsewhere.
    #[error("the local copy: {0}")]
    Local(#[source] MirrorError),
    /// The local copy is pinned to another publication's key.
    #[error("{folder} holds the publication with key {pinned}, not {given}")]
    OtherKey {
        folder: PathBuf,
        pinned: String,
        given: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn summary(attempts: &[Attempt]) -> String {
    attempts
        .iter()
        .map(|a| format!("{}: {}", a.source, describe(&a.outcome)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// An outcome in English words (the CLI says it in the reader's language).
pub fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Used { size } => format!("read, {size} entries, verified"),
        Outcome::UpToDate { size } => format!("no newer than the copy held ({size} entries)"),
        Outcome::Stale { size, have } => {
            format!("stale or rolled back: {size} entries, the copy held has {have}")
        }
        Outcome::Unreachable { reason } => format!("unreachable: {reason}"),
        Outcome::NotGenuine { reason } => format!("NOT GENUINE, refused: {reason}"),
        Outcome::Slower => "slower than another copy".into(),
        Outcome::Skipped { reason } => format!("skipped: {reason}"),
    }
}

/// Whether `s` is a URL the HTTP client reads (a copy's root).
fn is_url(s: &str) -> bool {
    s.starts_with("https://") || s.starts_with("http://")
}

fn kind(url: &str) -> MirrorKind {
    erkin_core::mirrors::MirrorEntry {
        url: url.to_string(),
        pins: vec![],
    }
    .kind()
}

/// The staging mirror for one source.
fn race_dir(folder: &Path, source: &str) -> PathBuf {
    let h = Sha256::digest(source.as_bytes());
    folder.join(RACE_DIR).join(hex::encode(&h[..12]))
}

/// A checkpoint probe: the verified size, or why not.
fn probe(
    source: &str,
    key: &VerifierKey,
    http: &HttpOptions,
    staging: &Path,
) -> Result<u64, Outcome> {
    let copy = HttpCopy::new(source, staging, http.clone());
    use erkin_core::verify::CopyReader;
    match copy.read("checkpoint", MAX_CHECKPOINT_LEN as u64) {
        Ok(Some(bytes)) => {
            Checkpoint::open(&bytes, key)
                .map(|c| c.size)
                .map_err(|e| Outcome::NotGenuine {
                    reason: format!("checkpoint: {e}"),
                })
        }
        Ok(None) => Err(Outcome::Unreachable {
            reason: "it has no checkpoint (not a copy)".into(),
        }),
        Err(erkin_core::verify::ReadError::Io { reason, .. }) => {
            Err(Outcome::Unreachable { reason })
        }
        Err(e) => Err(Outcome::NotGenuine {
            reason: e.to_string(),
        }),
    }
}

/// What a failed mirror sync means for the reader.
fn outcome_of(e: &MirrorError) -> Outcome {
    use erkin_mirror::Blame;
    match e.blame() {
        Blame::Local => Outcome::Unreachable {
            reason: e.to_string(),
        },
        Blame::Rollback => Outcome::Stale { size: 0, have: 0 },
        _ => Outcome::NotGenuine {
            reason: e.to_string(),
        },
    }
}

/// Syncs the reader's copy (see the crate doc). The local copy is only
/// ever changed by a fully verified sync.
pub fn sync(options: &ReadOptions) -> Result<ReadReport, ReadError> {
    let folder = &options.folder;
    let mut state = ReaderState::load(folder);
    let key = options.key.to_string();
    if !state.key.is_empty() && state.key != key {
        return Err(ReadError::OtherKey {
            folder: folder.clone(),
            pinned: state.key.clone(),
            given: key,
        });
    }
    state.key = key;
    let mut main = Mirror::open(&folder.join(COPY_DIR)).map_err(ReadError::Local)?;
    let local = main.size();
    let mut report = ReadReport {
        old_size: local,
        new_size: local,
        source: state.source.clone(),
        last_verified: state.last_verified,
        ..ReadReport::default()
    };
    let sync_options = |site: bool| SyncOptions {
        key: Some(options.key.clone()),
        http: options.http.clone(),
        site,
        now: options.now,
        ..SyncOptions::default()
    };

    // A bundle file: no network at all.
    let (bundles, given): (Vec<&String>, Vec<&String>) = options
        .sources
        .iter()
        .partition(|s| !is_url(s) && Path::new(s.as_str()).is_file());
    for b in bundles {
        match main.sync(Some(b), &sync_options(true)) {
            Ok(r) => {
                report.new_size = r.new_size;
                report.source = Some(b.clone());
                state.source = Some(b.clone());
                report.last_verified = Some(options.now);
                state.last_verified = Some(options.now);
                report.attempts.push(Attempt {
                    source: b.clone(),
                    outcome: Outcome::Used { size: r.new_size },
                });
            }
            Err(e) => report.attempts.push(Attempt {
                source: b.clone(),
                outcome: match outcome_of(&e) {
                    Outcome::Stale { .. } => Outcome::Stale {
                        size: 0,
                        have: main.size(),
                    },
                    o => o,
                },
            }),
        }
    }
    for s in &given {
        state.learn(s);
    }
    let only_bundles = given.is_empty() && !options.sources.is_empty();
    let mut sources: Vec<String> = Vec::new();
    if !only_bundles {
        // The last good copy first, then the others in the order known.
        sources.extend(state.last_good.iter().cloned());
        for s in state.sources.iter() {
            if !sources.contains(s) {
                sources.push(s.clone());
            }
        }
    }
    if sources.is_empty() && report.attempts.is_empty() {
        if local == 0 {
            return Err(ReadError::NoSources);
        }
        // Nothing to ask: the copy held is read as it is.
        state.save(folder).map_err(|source| ReadError::Io {
            path: folder.clone(),
            source,
        })?;
        return Ok(report);
    }

    // Probe every copy's checkpoint, in parallel.
    let staging_root = folder.join(".probe");
    let _ = std::fs::remove_dir_all(&staging_root);
    let mut probes: Vec<(String, Result<u64, Outcome>, Duration)> = Vec::new();
    std::thread::scope(|scope| {
        let handles: Vec<_> = sources
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let staging = staging_root.join(i.to_string());
                let http = &options.http;
                let key = &options.key;
                scope.spawn(move || {
                    let started = Instant::now();
                    let result = match kind(s) {
                        MirrorKind::Bundle => Err(Outcome::Skipped {
                            reason: "a bundle's address: download it and read the file".into(),
                        }),
                        _ if !is_url(s) => Err(Outcome::Skipped {
                            reason: "neither a copy's address nor a bundle file here".into(),
                        }),
                        _ if url_host_is_onion(s) && http.proxy.is_none() => {
                            Err(Outcome::Skipped {
                                reason: "an onion service: read with --proxy socks5h://127.0.0.1:9050 (Tor)".into(),
                            })
                        }
                        _ => probe(s, key, http, &staging),
                    };
                    (s.clone(), result, started.elapsed())
                })
            })
            .collect();
        for h in handles {
            if let Ok(p) = h.join() {
                probes.push(p);
            }
        }
    });
    let _ = std::fs::remove_dir_all(&staging_root);

    let mut newer: Vec<(String, u64, Duration)> = Vec::new();
    let mut answered = false;
    for (s, result, took) in probes {
        match result {
            Ok(size) if size > local => newer.push((s, size, took)),
            Ok(size) if size == local => {
                answered = true;
                report.attempts.push(Attempt {
                    source: s,
                    outcome: Outcome::UpToDate { size },
                });
            }
            Ok(size) => report.attempts.push(Attempt {
                source: s,
                outcome: Outcome::Stale { size, have: local },
            }),
            Err(outcome) => report.attempts.push(Attempt { source: s, outcome }),
        }
    }
    if newer.is_empty() {
        if answered {
            report.last_verified = Some(options.now);
            state.last_verified = Some(options.now);
        }
    } else {
        // By size, newest first: a tier is raced only if every copy of the
        // newer tiers failed; once one wins, the older ones are stale.
        let mut sizes: Vec<u64> = newer.iter().map(|n| n.1).collect();
        sizes.sort_unstable_by(|a, b| b.cmp(a));
        sizes.dedup();
        let mut won: Option<u64> = None;
        for size in sizes {
            let tier: Vec<(String, u64, Duration)> =
                newer.iter().filter(|n| n.1 == size).cloned().collect();
            if let Some(have) = won {
                for (source, size, _) in tier {
                    report.attempts.push(Attempt {
                        source,
                        outcome: Outcome::Stale { size, have },
                    });
                }
                continue;
            }
            if race(
                options,
                &mut main,
                &mut state,
                &mut report,
                tier,
                &sync_options,
            )? {
                won = Some(main.size());
            }
        }
    }

    // Learn new copies from the verified log's mirror list.
    if let Some(p) = main.publication() {
        for m in p.state().mirrors() {
            if state.learn(&m.url) {
                report.learned.push(m.url.clone());
            }
        }
    }
    report.new_size = main.size();
    state.save(folder).map_err(|source| ReadError::Io {
        path: folder.clone(),
        source,
    })?;
    if main.size() == 0 {
        return Err(ReadError::NothingWorked {
            attempts: report.attempts,
        });
    }
    Ok(report)
}

fn url_host_is_onion(s: &str) -> bool {
    s.split("://")
        .nth(1)
        .and_then(|rest| rest.split(['/', ':']).next())
        .is_some_and(is_onion_host)
}

/// Races the copies holding a newer log, each into its own staging mirror;
/// the newest verified one is taken into the local copy.
fn race(
    options: &ReadOptions,
    main: &mut Mirror,
    state: &mut ReaderState,
    report: &mut ReadReport,
    mut newer: Vec<(String, u64, Duration)>,
    sync_options: &dyn Fn(bool) -> SyncOptions,
) -> Result<bool, ReadError> {
    let best = newer.iter().map(|n| n.1).max().unwrap_or(0);
    let last_good = state.last_good.clone();
    // The newest first; among equals the last good, then the quickest.
    newer.sort_by_key(|(s, size, took)| {
        (
            std::cmp::Reverse(*size),
            Some(s) != last_good.as_ref(),
            *took,
        )
    });
    let (tx, rx) = mpsc::channel::<(String, Result<u64, MirrorError>)>();
    let start = |source: String| {
        let tx = tx.clone();
        let dir = race_dir(&options.folder, &source);
        let opts = sync_options(false);
        std::thread::spawn(move || {
            let result = Mirror::open(&dir)
                .and_then(|mut m| m.sync(Some(&source), &opts).map(|r| r.new_size));
            let _ = tx.send((source, result));
        });
    };
    let began = Instant::now();
    let mut waiting: Vec<String> = Vec::new();
    let mut pending: std::collections::VecDeque<String> =
        newer.iter().map(|n| n.0.clone()).collect();
    // The first (the last good copy, if it is as new as any) alone for a
    // head start; the rest after it, or at once if it fails.
    if let Some(first) = pending.pop_front() {
        waiting.push(first.clone());
        start(first);
    }
    let mut head_start_over = false;
    let mut done: Vec<(String, u64)> = Vec::new();
    let mut first_done: Option<Instant> = None;
    loop {
        if !head_start_over && (began.elapsed() >= options.head_start || waiting.is_empty()) {
            head_start_over = true;
            for s in pending.drain(..) {
                waiting.push(s.clone());
                start(s);
            }
        }
        if waiting.is_empty() && pending.is_empty() {
            break;
        }
        if done.iter().any(|d| d.1 >= best) {
            break;
        }
        if first_done.is_some_and(|t| t.elapsed() >= options.patience)
            || began.elapsed() >= options.deadline
        {
            break;
        }
        let tick = if head_start_over {
            Duration::from_millis(200)
        } else {
            options
                .head_start
                .saturating_sub(began.elapsed())
                .max(Duration::from_millis(10))
        };
        match rx.recv_timeout(tick) {
            Ok((source, result)) => {
                waiting.retain(|w| *w != source);
                match result {
                    Ok(size) => {
                        first_done.get_or_insert_with(Instant::now);
                        done.push((source, size));
                    }
                    Err(e) => {
                        let outcome = match outcome_of(&e) {
                            Outcome::Stale { .. } => Outcome::Stale {
                                size: 0,
                                have: best,
                            },
                            o => o,
                        };
                        report.attempts.push(Attempt { source, outcome });
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    for w in waiting {
        report.attempts.push(Attempt {
            source: w,
            outcome: Outcome::Slower,
        });
    }
    done.sort_by_key(|d| std::cmp::Reverse(d.1));
    let mut used = false;
    for (source, _) in done {
        if used {
            report.attempts.push(Attempt {
                source,
                outcome: Outcome::Slower,
            });
            continue;
        }
        // The staging mirror is a verified data directory: the local copy
        // takes it, checking everything again.
        let dir = race_dir(&options.folder, &source);
        match main.sync(Some(&dir.to_string_lossy()), &sync_options(true)) {
            Ok(r) => {
                used = true;
                report.source = Some(source.clone());
                report.last_verified = Some(options.now);
                state.last_good = Some(source.clone());
                state.source = Some(source.clone());
                state.last_verified = Some(options.now);
                report.attempts.push(Attempt {
                    source,
                    outcome: Outcome::Used { size: r.new_size },
                });
            }
            Err(e) if e.blame() == erkin_mirror::Blame::Local => {
                return Err(ReadError::Local(e));
            }
            Err(e) => report.attempts.push(Attempt {
                source,
                outcome: outcome_of(&e),
            }),
        }
    }
    Ok(used)
}
