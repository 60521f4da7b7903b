//! Secret ballots from the command line (docs/BALLOT.md §8, §9, §11):
//! `erkin vote P CHOICE` on a proposal the state says is secret.
//!
//! From the member's verified copy: the tree of the proposal's current
//! epoch (as the state records its leaves and departures), the member's
//! leaf found by their ballot key, the scope and signal (the core's
//! encodings), a proof (`prove.rs`, `semaphore-rs`) checked with the core's
//! own verifier before anything is sent. Then the ballot's canonical JSON
//! is padded to a fixed length, encrypted to the ballot box (age X25519),
//! and posted on a fresh HTTP agent of its own — no cookie, no connection
//! that carried a signed entry, through a SOCKS5 proxy with fresh
//! credentials when given (Tor's stream isolation). The receipt is checked
//! against the pinned log key.
//!
//! The member's `seq` for each proposal is kept in `ballots.json` beside
//! the ballot secret (proposal → seq only: no choice, no nullifier), or
//! taken from the sequencer's `stale_ballot` answer.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use erkin_core::action::{Ballot, CastBallot};
use erkin_core::api::{self, ApiError, BallotReceipt, ErrorDocument};
use erkin_core::ballot::{self as core_ballot, ElectorateTree, FieldElement};
use erkin_core::ballot_secret::BallotSecret;
use erkin_core::governance::{Judged, Proposal};
use erkin_core::keys::VerifierKey;
use erkin_core::secret::SecretVote;
use erkin_core::state::State;
use rand_core::RngCore as _;
use serde::Serialize;

use crate::prove;

/// The proxy secret ballots go through when `--proxy` is not given.
pub const PROXY_ENV: &str = "ERKIN_BALLOT_PROXY";

/// The file of `seq` counters, beside the ballot secret.
pub const COUNTERS_FILE: &str = "ballots.json";

/// The longest a ballot's answer may be (a receipt is well under 1 KiB).
const MAX_ANSWER: u64 = 64 * 1024;

/// The tree of a secret proposal's current epoch, as the state records it:
/// its leaves in order, those of the members who left zeroed; the epoch
/// number; and that epoch's root as recorded (checked against the tree).
pub fn current_tree(secret: &SecretVote) -> Result<(ElectorateTree, u64)> {
    let leaves = secret
        .leaves
        .iter()
        .map(|l| {
            if secret.departed.contains(&l.handle) {
                Ok(FieldElement::ZERO)
            } else {
                FieldElement::from_hex(&l.commitment)
                    .map_err(|e| anyhow!("a ballot key in the state does not decode: {e}"))
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let tree = ElectorateTree::new(&leaves).map_err(|e| anyhow!("the electorate tree: {e}"))?;
    let epoch = secret
        .roots
        .len()
        .checked_sub(1)
        .context("the proposal records no electorate root")?;
    if tree.root().to_hex() != secret.roots[epoch] {
        bail!(
            "the electorate tree built from your copy does not give the root the state records for epoch {epoch}: your copy may be damaged (run `erkin verify --deep`)"
        );
    }
    Ok((tree, epoch as u64))
}

/// Why a member cannot cast a secret ballot in `p`, before any proving.
fn check_eligible(p: &Proposal, secret: &SecretVote, commitment: &str) -> Result<usize> {
    let position = secret
        .leaves
        .iter()
        .position(|l| l.commitment == commitment);
    let Some(position) = position else {
        bail!(
            "your ballot key is not in the electorate of proposal #{}: only members with a ballot key registered before it was made can cast a secret ballot in it (keys registered later count for later proposals)",
            p.id
        );
    };
    let handle = &secret.leaves[position].handle;
    if secret.departed.contains(handle) {
        bail!(
            "your ballot key's place in proposal #{}'s electorate was withdrawn when its member left: a ballot from it would not count",
            p.id
        );
    }
    Ok(position)
}

/// A proved ballot, ready to send.
pub struct Prepared {
    pub ballot: CastBallot,
    pub epoch: u64,
}

/// Builds and proves member `secret`'s ballot `choice` with `seq` in the
/// secret proposal `p` of `state`, and checks it with the core's verifier.
pub fn prepare(
    state: &State,
    p: &Proposal,
    secret_key: &BallotSecret,
    choice: &Ballot,
    seq: u64,
) -> Result<Prepared> {
    let secret = p
        .secret
        .as_deref()
        .with_context(|| format!("proposal #{} is decided by open vote", p.id))?;
    let commitment = secret_key
        .commitment()
        .map_err(|e| anyhow!("your ballot key: {e}"))?
        .to_hex();
    let position = check_eligible(p, secret, &commitment)?;
    let (tree, epoch) = current_tree(secret)?;
    let scope = FieldElement::from_hex(&secret.scope)
        .map_err(|e| anyhow!("the proposal's scope does not decode: {e}"))?;
    let choice_json = core_ballot::choice_json(choice).map_err(|e| anyhow!("the choice: {e}"))?;
    let signal = core_ballot::signal(state.origin(), p.id, seq, &choice_json);
    let identity = secret_key.identity();
    let claim = prove::prove(&identity, &tree, position, scope, signal)?;
    // The core's own verifier, under the pinned key, against this epoch's
    // root: a ballot the fold would refuse is never sent.
    let roots = [tree.root()];
    core_ballot::verify(&claim, scope, &roots)
        .map_err(|e| anyhow!("the proof made here does not verify ({e}): nothing was sent"))?;
    let expected = core_ballot::nullifier(identity.nullifier, scope)
        .map_err(|e| anyhow!("the nullifier: {e}"))?;
    if expected != claim.nullifier {
        bail!("the prover's nullifier is not the core's: nothing was sent");
    }
    Ok(Prepared {
        ballot: CastBallot {
            proposal: p.id,
            root: claim.root.to_hex(),
            nullifier: claim.nullifier.to_hex(),
            seq,
            choice: choice.clone(),
            proof: claim.proof.to_hex(),
        },
        epoch,
    })
}

/// The choice a secret ballot may carry in `p`: a ranking for an
/// election, yes/no/abstain for a motion (the sequencer checks the rest).
fn check_choice_kind(p: &Proposal, choice: &Ballot) -> Result<()> {
    match (&p.rule, choice) {
        (Judged::Election(_), Ballot::Ranked(_) | Ballot::Abstain) => Ok(()),
        (Judged::Election(_), _) => bail!(
            "proposal #{} is an election: rank the candidates with --rank a,b,c (or abstain)",
            p.id
        ),
        (Judged::Vote(_), Ballot::Ranked(_)) => bail!(
            "proposal #{} is not an election: vote yes, no or abstain",
            p.id
        ),
        (Judged::Vote(_), _) => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// The counter file

/// `ballots.json` beside the ballot secret: proposal → the highest `seq`
/// this member sent (and had received).
fn counters_path(ballot_key: &Path) -> PathBuf {
    ballot_key
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
        .join(COUNTERS_FILE)
}

fn read_counters(path: &Path) -> Result<BTreeMap<u64, u64>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{}: not a ballot counter file", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Writes the counters atomically: a temporary file beside it, synced,
/// renamed over it.
fn write_counters(path: &Path, counters: &BTreeMap<u64, u64>) -> Result<()> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing beside {}", path.display()))?;
    tmp.write_all(&serde_json::to_vec(counters)?)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Sending

/// `--proxy`: `socks5h://HOST:PORT` only (names resolved by the proxy, so
/// no DNS query leaves the machine), without credentials (erkin makes
/// fresh ones for every ballot). `None`: no proxy.
pub fn check_proxy(proxy: &str) -> Result<String> {
    let rest = proxy.strip_prefix("socks5h://").with_context(|| {
        format!("--proxy {proxy}: a secret ballot goes only through a SOCKS5 proxy that resolves names itself: socks5h://HOST:PORT (Tor: socks5h://127.0.0.1:9050)")
    })?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains(['@', '/', '?', '#']) {
        bail!("--proxy {proxy}: give socks5h://HOST:PORT only, without a user name or password: erkin makes fresh ones for every ballot");
    }
    Ok(rest.to_string())
}

/// Said before a secret ballot is sent without a proxy, in `lang` (kk, ru,
/// else en): the server and anyone on the path see the member's address
/// when they vote (docs/BALLOT.md §9).
pub fn no_proxy_warning(lang: &str) -> &'static str {
    match lang {
        "kk" => "ЕСКЕРТУ: бұл құпия бюллетень проксисіз, тікелей сіздің байланысыңызбен жіберіледі: сервер де, желідегі жолдағы кез келген адам да (провайдер, TLS-ті ашатын делдал) дауыс берген сәттегі IP мекенжайыңызды көреді, ал сервер бюллетеньді уақыты бойынша сізбен байланыстыра алады. Tor арқылы дауыс беріңіз: --proxy socks5h://127.0.0.1:9050 (немесе ERKIN_BALLOT_PROXY).",
        "ru" => "ВНИМАНИЕ: этот тайный бюллетень отправляется без прокси, напрямую с вашего подключения: сервер и любой на сетевом пути (провайдер, посредник, вскрывающий TLS) видят ваш IP-адрес в момент голосования, и сервер может связать бюллетень с вами по времени. Голосуйте через Tor: --proxy socks5h://127.0.0.1:9050 (или ERKIN_BALLOT_PROXY).",
        _ => "WARNING: this secret ballot is sent without a proxy, straight from your connection: the server and anyone on the network path (your provider, a TLS interceptor) see your IP address at the moment you vote, and the server can link the ballot to you by its time. Vote through Tor: --proxy socks5h://127.0.0.1:9050 (or ERKIN_BALLOT_PROXY).",
    }
}

/// Said when a re-vote refused `revote_too_soon` is sent again in `wait`
/// seconds, in `lang` (kk, ru, else en).
pub fn revote_retry_notice(lang: &str, id: u64, wait: u64) -> String {
    match lang {
        "kk" => format!(
            "Сервер #{id} ұсыныс бойынша бюллетеніңізді жаңа ғана қабылдады, келесісін {wait} секундтан кейін қабылдайды: бұл бюллетень сонда жіберіледі."
        ),
        "ru" => format!(
            "Сервер только что принял ваш бюллетень по предложению #{id} и примет следующий через {wait} с: этот будет отправлен тогда."
        ),
        _ => format!(
            "The server held a ballot of yours on proposal #{id} moments ago and takes the next one in {wait} s: sending this one then."
        ),
    }
}

/// What the sequencer answered.
enum Answer {
    Receipt(BallotReceipt),
    /// The refusal, and the `Retry-After` seconds it came with (in clear:
    /// 429, 503), if any.
    Refused(ApiError, Option<u64>),
}

/// Random SOCKS credentials: Tor puts each distinct pair on its own
/// circuit (IsolateSOCKSAuth).
pub(crate) fn fresh_credentials() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand_core::OsRng.fill_bytes(&mut bytes);
    (hex::encode(&bytes[..16]), hex::encode(&bytes[16..]))
}

/// Posts a ballot's canonical JSON to `url`, encrypted to the ballot box
/// with a reply recipient made for this one submission, on an agent made
/// for it alone; the answer, decrypted (a submission that decrypts is
/// answered with 200 and an age file to the reply recipient, so its status
/// and size tell an onlooker nothing), or the refusal in clear of one that
/// did not (`bad_body`, or the server busy).
fn post(
    url: &str,
    proxy: Option<&str>,
    ballot_box: &age::x25519::Recipient,
    json: &[u8],
) -> Result<Answer> {
    let reply = age::x25519::Identity::generate();
    let plain = api::pad_ballot(json, &reply.to_public().to_string())
        .map_err(|e| anyhow!("the ballot: {e}"))?;
    let body = age::encrypt(ballot_box, &plain)
        .map_err(|e| anyhow!("encrypting the ballot to the ballot box: {e}"))?;
    let mut config = ureq::Agent::config_builder();
    if let Some(hostport) = proxy {
        let (user, pass) = fresh_credentials();
        let proxy = ureq::Proxy::new(&format!("socks5h://{user}:{pass}@{hostport}"))
            .map_err(|e| anyhow!("--proxy socks5h://{hostport}: {e}"))?;
        config = config.proxy(Some(proxy));
    }
    let agent: ureq::Agent = config
        // Tor circuits are slow to build.
        .timeout_global(Some(Duration::from_secs(180)))
        .http_status_as_error(false)
        .max_redirects(0)
        // The same for every member.
        .user_agent("erkin")
        .build()
        .into();
    let mut response = agent
        .post(url)
        .header("content-type", "application/octet-stream")
        .send(&body[..])
        .with_context(|| format!("sending the ballot to {url}"))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_vec()
        .with_context(|| format!("reading the answer from {url}"))?;
    if status == 200 {
        let plain = age::decrypt(&reply, &bytes).map_err(|e| {
            anyhow!("{url} answered the ballot with something not encrypted to its reply key: {e}")
        })?;
        return Ok(
            match api::read_ballot_answer(&plain)
                .map_err(|e| anyhow!("{url}'s answer to the ballot: {e}"))?
            {
                api::BallotAnswer::Receipt(r) => Answer::Receipt(r),
                api::BallotAnswer::Refused(ErrorDocument { error }) => Answer::Refused(error, None),
            },
        );
    }
    let text = String::from_utf8_lossy(&bytes);
    let ErrorDocument { error } = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "{url} answered HTTP {status}, not the ballot API's document ({e}): {}",
            text.chars().take(200).collect::<String>()
        )
    })?;
    Ok(Answer::Refused(error, retry_after))
}

/// How many times a ballot is sent again after the server said to wait,
/// and the longest wait taken from its `Retry-After`.
const MAX_WAITS: u32 = 5;
const MAX_WAIT_SECS: u64 = 60;

/// Whether to send a ballot again after `error` came with `retry_after`
/// (429 `rate_limited`: the server's budget of failed proofs is spent;
/// 503 `busy`, `shutting_down`; or, in the encrypted answer,
/// `revote_too_soon` with the sequencer's time and when it takes the
/// nullifier's next ballot — after a `stale_ballot` retry, say), having
/// waited `waited` times already: the seconds to wait first. Bounded:
/// [`MAX_WAITS`] times, at most [`MAX_WAIT_SECS`] each.
fn wait_before_retry(error: &ApiError, retry_after: Option<u64>, waited: u32) -> Option<u64> {
    let transient = matches!(
        error.code.as_str(),
        "rate_limited" | "busy" | "shutting_down"
    );
    let retry_after = match (error.code.as_str(), error.times) {
        ("revote_too_soon", Some(t)) => Some(t.reference.saturating_sub(t.time)),
        ("revote_too_soon", None) => None,
        _ if transient => retry_after,
        _ => None,
    };
    match retry_after {
        Some(secs) if waited < MAX_WAITS => Some(secs.clamp(1, MAX_WAIT_SECS)),
        _ => None,
    }
}

/// Writes `text` to `path` readable by its owner only (0600 on unix, an
/// existing file's mode included): a receipt holds the ballot's hash,
/// which the close's publication maps to its choice.
fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write as _;
    let context = || format!("writing the receipt to {}", path.display());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).with_context(context)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(context)?;
    }
    file.write_all(text.as_bytes()).with_context(context)?;
    Ok(())
}

/// The refusal of a ballot in words, by its code (the sequencer's English
/// message for codes this version does not know).
pub fn refusal(proposal: u64, error: &ApiError) -> String {
    refusal_in(&crate::when::language(), proposal, error)
}

/// [`refusal`], the sentences said in the locale's language
/// (`revote_too_soon`'s) in `lang` (kk, ru, else en).
fn refusal_in(lang: &str, proposal: u64, error: &ApiError) -> String {
    // A refusal about time, in the member's local time.
    if let Some(words) = error
        .times
        .and_then(|t| crate::when::explain_in(lang, &error.code, t))
    {
        // (The re-vote's words are in the locale's language: its prefix too.)
        let prefix = match (error.code.as_str(), lang) {
            ("revote_too_soon", "kk") => format!("#{proposal} ұсыныс"),
            ("revote_too_soon", "ru") => format!("предложение #{proposal}"),
            _ => format!("proposal #{proposal}"),
        };
        return format!("{prefix}: {words} ({})", error.code);
    }
    let said = match error.code.as_str() {
        "stale_root" => format!(
            "the ballot was proved against an electorate of proposal #{proposal} that is no longer current (a member left meanwhile, or the ballot key is not in it): sync and vote again"
        ),
        "bad_ballot" => format!(
            "the sequencer found the ballot invalid for proposal #{proposal}: {}",
            error.message
        ),
        "voting_ended" => {
            format!("voting on proposal #{proposal} has ended: the ballot was not taken")
        }
        "nominations_open" => format!(
            "nominations for election #{proposal} are still open: ballots are cast after they close"
        ),
        "stale_ballot" => format!(
            "the sequencer already holds a later ballot of yours for proposal #{proposal} (sequence {}): this one was not taken",
            error.held_seq.map_or_else(|| "unknown".to_string(), |s| s.to_string())
        ),
        "secret_ballot" => format!(
            "proposal #{proposal} is not decided by secret ballot: vote with your member key"
        ),
        "unknown_proposal" => format!("there is no proposal #{proposal}"),
        "proposal_closed" => format!("proposal #{proposal} is already closed"),
        "no_ballot_box" => "the server takes no secret ballots yet: its sequencer holds no ballot box (it makes one at its start once the charter decides something by secret ballot): ask the newsroom to restart `erkin serve --sequence`".into(),
        "ballot_overflow" => format!(
            "proposal #{proposal} already has as many voters as ballot keys in its electorate: the sequencer took no more (report this to the members: it can mean forged ballots)"
        ),
        "shutting_down" | "storage" => "the server could not take the ballot now: try again later".into(),
        "bad_body" => format!(
            "the server could not read the encrypted ballot ({}): its ballot box may have changed; sync and vote again",
            error.message
        ),
        "busy" | "rate_limited" => "the server is busy: try again in a moment".into(),
        _ => error.message.clone(),
    };
    format!("{said} ({})", error.code)
}

/// What `vote --json` prints for a secret ballot: no nullifier, no hash.
#[derive(Serialize)]
struct Cast {
    proposal: u64,
    epoch: u64,
    seq: u64,
}

/// Where and how a secret ballot goes.
pub struct Casting<'a> {
    /// The base URL of the server (or its tips listener) to post to.
    pub url: &'a str,
    /// `HOST:PORT` of a `socks5h://` proxy ([`check_proxy`]).
    pub proxy: Option<&'a str>,
    pub ballot_key: &'a Path,
    pub receipt: Option<&'a Path>,
    pub json: bool,
}

/// Casts `choice` in the secret proposal `id`: proves, encrypts, sends,
/// checks the receipt; once more with the held `seq + 1` if the sequencer
/// holds a later ballot of this member's.
pub fn cast(
    state: &State,
    log_key: &VerifierKey,
    id: u64,
    choice: &Ballot,
    how: &Casting,
) -> Result<u8> {
    let p = state
        .proposal(id)
        .with_context(|| format!("there is no proposal #{id}"))?;
    if p.outcome.is_some() {
        bail!("proposal #{id} is already closed");
    }
    check_choice_kind(p, choice)?;
    let recipient = state.ballot_box().with_context(|| {
        "the publication has no ballot box yet (no `ballot_box` entry in the log): its sequencer publishes one when it starts with a charter that decides something by secret ballot; ask the newsroom to restart `erkin serve --sequence`"
    })?;
    let recipient = age::x25519::Recipient::from_str(recipient)
        .map_err(|e| anyhow!("the log's ballot box {recipient:?}: {e}"))?;
    // The ballot secret only now: nothing above needed it.
    let secret_key = crate::secret::open_ballot_secret(how.ballot_key)?;
    let counters_path = counters_path(how.ballot_key);
    let mut counters = read_counters(&counters_path)?;
    let mut seq = counters.get(&id).copied().unwrap_or(0).saturating_add(1);
    let url = format!("{}/{}", how.url.trim_end_matches('/'), api::BALLOTS_PATH);
    let mut prepared = prepare(state, p, &secret_key, choice, seq)?;
    let (mut stale_retried, mut waited) = (false, 0);
    loop {
        let json = prepared.ballot.canonical_json();
        match post(&url, how.proxy, &recipient, &json)? {
            Answer::Receipt(receipt) => {
                let hash = prepared.ballot.hash();
                api::verify_ballot_receipt(&receipt, log_key, &hash)
                    .map_err(|e| anyhow!("the server's receipt does not hold: {e}"))?;
                if (receipt.proposal, receipt.epoch) != (id, prepared.epoch) {
                    bail!(
                        "the server's receipt is for proposal #{} epoch {}, but the ballot was made for proposal #{id} epoch {}",
                        receipt.proposal,
                        receipt.epoch,
                        prepared.epoch
                    );
                }
                counters.insert(id, seq);
                write_counters(&counters_path, &counters)?;
                if let Some(path) = how.receipt {
                    let mut text = serde_json::to_string_pretty(&receipt)?;
                    text.push('\n');
                    write_private(path, &text)?;
                }
                if how.json {
                    crate::term::print_json(&Cast {
                        proposal: id,
                        epoch: receipt.epoch,
                        seq,
                    })?;
                } else {
                    eprintln!(
                        "Your secret ballot on proposal #{id} was received. It is published, with every other, at the close ({}); until then you may vote again, and only your last ballot counts.",
                        crate::when::local(p.closes_at)
                    );
                }
                return Ok(crate::exit::SUCCESS);
            }
            Answer::Refused(error, _)
                if error.code == "stale_ballot" && error.held_seq.is_some() =>
            {
                if stale_retried {
                    break;
                }
                // Another device of this member's sent a later one: go
                // above it.
                stale_retried = true;
                seq = error.held_seq.unwrap_or(seq).saturating_add(1);
                prepared = prepare(state, p, &secret_key, choice, seq)?;
            }
            Answer::Refused(error, retry_after) => {
                let Some(wait) = wait_before_retry(&error, retry_after, waited) else {
                    bail!("the ballot was refused: {}", refusal(id, &error));
                };
                // The same ballot again, on a fresh agent, credentials and
                // reply key, once the server's wait is over.
                waited += 1;
                if error.code == "revote_too_soon" {
                    eprintln!(
                        "{}",
                        revote_retry_notice(&crate::when::language(), id, wait)
                    );
                } else {
                    eprintln!(
                        "The server is busy ({}): sending the ballot again in {wait} s.",
                        error.code
                    );
                }
                std::thread::sleep(Duration::from_secs(wait));
            }
        }
    }
    bail!("the ballot was refused twice as stale: another device may be voting with the same ballot key at this moment")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_server_is_waited_for_a_bounded_number_of_times() {
        let busy = |code| ApiError::new(code, "busy");
        for code in ["rate_limited", "busy", "shutting_down"] {
            assert_eq!(wait_before_retry(&busy(code), Some(3), 0), Some(3));
            assert_eq!(wait_before_retry(&busy(code), Some(0), 0), Some(1));
            assert_eq!(
                wait_before_retry(&busy(code), Some(3600), 0),
                Some(MAX_WAIT_SECS)
            );
            assert_eq!(
                wait_before_retry(&busy(code), Some(3), MAX_WAITS - 1),
                Some(3)
            );
            assert_eq!(wait_before_retry(&busy(code), Some(3), MAX_WAITS), None);
            // No Retry-After: not told to wait, so not sent again.
            assert_eq!(wait_before_retry(&busy(code), None, 0), None);
        }
        // Refusals of the ballot itself are never retried.
        for code in ["bad_ballot", "bad_body", "stale_root", "no_ballot_box"] {
            assert_eq!(wait_before_retry(&busy(code), Some(1), 0), None, "{code}");
        }
    }

    #[test]
    fn a_re_vote_too_soon_is_explained_with_the_wait() {
        let mut e = ApiError::new("revote_too_soon", "held moments ago");
        e.times = Some(erkin_core::rejection::RefusalTimes {
            time: 1_790_000_120,
            reference: 1_790_000_130,
        });
        let said = refusal_in("en", 14, &e);
        assert!(
            said.starts_with("proposal #14: the sequencer held a ballot from your ballot key on this proposal moments ago and takes the next one only 10 s from now"),
            "{said}"
        );
        assert!(said.ends_with("(revote_too_soon)"), "{said}");
        // In the locale's language (review s10 L9), as the warning without
        // a proxy: the refusal and the notice of the retry.
        for (lang, refused, notice) in [
            (
                "kk",
                "#14 ұсыныс: сервер осы ұсыныс бойынша бюллетень кілтіңізден бюллетеньді жаңа ғана қабылдады, келесісін тек 10 секундтан кейін қабылдайды: содан кейін қайта дауыс беріңіз (тек соңғы бюллетеніңіз есептеледі) (revote_too_soon)",
                "Сервер #14 ұсыныс бойынша бюллетеніңізді жаңа ғана қабылдады, келесісін 10 секундтан кейін қабылдайды: бұл бюллетень сонда жіберіледі.",
            ),
            (
                "ru",
                "предложение #14: сервер только что принял бюллетень с вашим ключом бюллетеня по этому предложению и примет следующий только через 10 с: проголосуйте снова после этого (считается только ваш последний бюллетень) (revote_too_soon)",
                "Сервер только что принял ваш бюллетень по предложению #14 и примет следующий через 10 с: этот будет отправлен тогда.",
            ),
            (
                "en",
                "proposal #14: the sequencer held a ballot from your ballot key on this proposal moments ago and takes the next one only 10 s from now: vote again after that (only your last ballot counts) (revote_too_soon)",
                "The server held a ballot of yours on proposal #14 moments ago and takes the next one in 10 s: sending this one then.",
            ),
        ] {
            assert_eq!(refusal_in(lang, 14, &e), refused);
            assert_eq!(revote_retry_notice(lang, 14, 10), notice);
        }
        // Another refusal about time keeps its words.
        let mut ended = e.clone();
        ended.code = "voting_ended".into();
        assert!(refusal_in("ru", 14, &ended).starts_with("proposal #14: voting has ended"));
        // The same ballot is sent again once the wait is over, as for a
        // busy server, a bounded number of times.
        assert_eq!(wait_before_retry(&e, None, 0), Some(10));
        assert_eq!(wait_before_retry(&e, Some(1), 0), Some(10));
        assert_eq!(wait_before_retry(&e, None, MAX_WAITS), None);
        let mut late = e.clone();
        late.times = Some(erkin_core::rejection::RefusalTimes {
            time: 1_790_000_140,
            reference: 1_790_000_130,
        });
        assert_eq!(wait_before_retry(&late, None, 0), Some(1));
        late.times = None;
        assert_eq!(wait_before_retry(&late, Some(5), 0), None);
    }

    #[cfg(unix)]
    #[test]
    fn a_receipt_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("receipt.json");
        write_private(&path, "{}\n").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
        // A file there already, world-readable: made private, replaced.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_private(&path, "[]\n").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "[]\n");
    }
}
