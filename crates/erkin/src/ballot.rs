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
use crate::when::language;

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
        bail!(say(&language(), [
            format!("көшірмеңізден құрылған сайлаушылар ағашы күй {epoch} дәуірі үшін жазған түбірді бермейді: көшірмеңіз бүлінген болуы мүмкін (`erkin verify --deep` іске қосыңыз)"),
            format!("дерево избирателей, построенное по вашей копии, не даёт корня, записанного в состоянии для эпохи {epoch}: возможно, копия повреждена (запустите `erkin verify --deep`)"),
            format!("the electorate tree built from your copy does not give the root the state records for epoch {epoch}: your copy may be damaged (run `erkin verify --deep`)"),
        ]));
    }
    Ok((tree, epoch as u64))
}

/// Why a member cannot cast a secret ballot in `p`, before any proving.
fn check_eligible(p: &Proposal, secret: &SecretVote, commitment: &str) -> Result<usize> {
    let position = secret
        .leaves
        .iter()
        .position(|l| l.commitment == commitment);
    let id = p.id;
    let Some(position) = position else {
        bail!(say(&language(), [
            format!("бюллетень кілтіңіз #{id} ұсыныстың сайлаушылары арасында жоқ: онда жасырын бюллетеньді тек ұсыныс енгізілгенге дейін бюллетень кілтін тіркеген мүшелер бере алады (кейін тіркелген кілттер кейінгі ұсыныстарда есептеледі)"),
            format!("вашего ключа бюллетеня нет среди голосующих по предложению #{id}: тайный бюллетень в нём могут подать только члены, зарегистрировавшие ключ бюллетеня до того, как оно было внесено (ключи, зарегистрированные позже, действуют для следующих предложений)"),
            format!("your ballot key is not in the electorate of proposal #{id}: only members with a ballot key registered before it was made can cast a secret ballot in it (keys registered later count for later proposals)"),
        ]));
    };
    let handle = &secret.leaves[position].handle;
    if secret.departed.contains(handle) {
        bail!(say(&language(), [
            format!("бюллетень кілтіңіздің #{id} ұсыныстың сайлаушылары арасындағы орны оның мүшесі шыққанда алынып тасталды: одан берілген бюллетень есептелмейді"),
            format!("место вашего ключа бюллетеня среди голосующих по предложению #{id} снято, когда его владелец покинул издание: бюллетень с ним не будет засчитан"),
            format!("your ballot key's place in proposal #{id}'s electorate was withdrawn when its member left: a ballot from it would not count"),
        ]));
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
    let secret = p.secret.as_deref().with_context(|| {
        let id = p.id;
        say(
            &language(),
            [
                format!("#{id} ұсыныс бойынша дауыс ашық беріледі"),
                format!("по предложению #{id} голосуют открыто"),
                format!("proposal #{id} is decided by open vote"),
            ],
        )
    })?;
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
        .map_err(|e| {
            anyhow!(say(&language(), [
                format!("осында жасалған дәлел тексеруден өтпеді ({e}): ештеңе жіберілген жоқ"),
                format!("доказательство, сделанное здесь, не проходит проверку ({e}): ничего не отправлено"),
                format!("the proof made here does not verify ({e}): nothing was sent"),
            ]))
        })?;
    let expected = core_ballot::nullifier(identity.nullifier, scope)
        .map_err(|e| anyhow!("the nullifier: {e}"))?;
    if expected != claim.nullifier {
        bail!(say(&language(), [
            "дәлелдеушінің нуллификаторы ядроның нуллификаторымен сәйкес емес: ештеңе жіберілген жоқ".into(),
            "нуллификатор доказывающей программы не совпадает с нуллификатором ядра: ничего не отправлено".into(),
            "the prover's nullifier is not the core's: nothing was sent".into(),
        ]));
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
    let id = p.id;
    match (&p.rule, choice) {
        (Judged::Election(_), Ballot::Ranked(_) | Ballot::Abstain) => Ok(()),
        (Judged::Election(_), _) => bail!(say(&language(), [
            format!("#{id} ұсыныс — сайлау: кандидаттарды --rank a,b,c арқылы рет-ретімен қойыңыз (немесе қалыс қалыңыз)"),
            format!("предложение #{id} — выборы: расставьте кандидатов по порядку с --rank a,b,c (или воздержитесь)"),
            format!("proposal #{id} is an election: rank the candidates with --rank a,b,c (or abstain)"),
        ])),
        (Judged::Vote(_), Ballot::Ranked(_)) => bail!(say(&language(), [
            format!("#{id} ұсыныс сайлау емес: иә, жоқ немесе қалыс деп дауыс беріңіз (yes, no, abstain)"),
            format!("предложение #{id} — не выборы: голосуйте за, против или воздержитесь (yes, no, abstain)"),
            format!("proposal #{id} is not an election: vote yes, no or abstain"),
        ])),
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
        Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
            let path = path.display();
            say(
                &language(),
                [
                    format!("{path}: бюллетень есептегішінің файлы емес"),
                    format!("{path}: не файл счётчиков бюллетеней"),
                    format!("{path}: not a ballot counter file"),
                ],
            )
        }),
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
        say(&language(), [
            format!("--proxy {proxy}: жасырын бюллетень тек атауларды өзі шешетін SOCKS5 проксиі арқылы жіберіледі: socks5h://HOST:PORT (Tor: socks5h://127.0.0.1:9050)"),
            format!("--proxy {proxy}: тайный бюллетень идёт только через SOCKS5-прокси, который сам разрешает имена: socks5h://HOST:PORT (Tor: socks5h://127.0.0.1:9050)"),
            format!("--proxy {proxy}: a secret ballot goes only through a SOCKS5 proxy that resolves names itself: socks5h://HOST:PORT (Tor: socks5h://127.0.0.1:9050)"),
        ])
    })?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains(['@', '/', '?', '#']) {
        bail!(say(&language(), [
            format!("--proxy {proxy}: тек socks5h://HOST:PORT беріңіз, пайдаланушы аты мен құпия сөзсіз: erkin әр бюллетеньге жаңаларын жасайды"),
            format!("--proxy {proxy}: укажите только socks5h://HOST:PORT, без имени пользователя и пароля: erkin создаёт новые для каждого бюллетеня"),
            format!("--proxy {proxy}: give socks5h://HOST:PORT only, without a user name or password: erkin makes fresh ones for every ballot"),
        ]));
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

/// The sentence of `lang` (kk, ru, else en) among `[kk, ru, en]`.
pub(crate) fn say(lang: &str, [kk, ru, en]: [String; 3]) -> String {
    match lang {
        "kk" => kk,
        "ru" => ru,
        _ => en,
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
    let lang = language();
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
        .with_context(|| {
            say(
                &lang,
                [
                    format!("бюллетень {url} мекенжайына жіберілмеді"),
                    format!("не удалось отправить бюллетень на {url}"),
                    format!("sending the ballot to {url}"),
                ],
            )
        })?;
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
        .with_context(|| {
            say(
                &lang,
                [
                    format!("{url} жауабы оқылмады"),
                    format!("не удалось прочитать ответ {url}"),
                    format!("reading the answer from {url}"),
                ],
            )
        })?;
    if status == 200 {
        let plain = age::decrypt(&reply, &bytes).map_err(|e| {
            anyhow!(say(&lang, [
                format!("{url} бюллетеньге жауап кілтіне шифрланбаған нәрсемен жауап берді: {e}"),
                format!("{url} ответил на бюллетень чем-то, что не зашифровано для ключа ответа: {e}"),
                format!("{url} answered the ballot with something not encrypted to its reply key: {e}"),
            ]))
        })?;
        return Ok(
            match api::read_ballot_answer(&plain).map_err(|e| {
                anyhow!(say(
                    &lang,
                    [
                        format!("{url} бюллетеньге берген жауап: {e}"),
                        format!("ответ {url} на бюллетень: {e}"),
                        format!("{url}'s answer to the ballot: {e}"),
                    ]
                ))
            })? {
                api::BallotAnswer::Receipt(r) => Answer::Receipt(r),
                api::BallotAnswer::Refused(ErrorDocument { error }) => Answer::Refused(error, None),
            },
        );
    }
    let text = String::from_utf8_lossy(&bytes);
    let ErrorDocument { error } = serde_json::from_str(&text).map_err(|e| {
        let text: String = text.chars().take(200).collect();
        anyhow!(say(&lang, [
            format!("{url} HTTP {status} деп жауап берді, бюллетень API құжатымен емес ({e}): {text}"),
            format!("{url} ответил HTTP {status}, а не документом API бюллетеней ({e}): {text}"),
            format!("{url} answered HTTP {status}, not the ballot API's document ({e}): {text}"),
        ]))
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
    let context = || {
        let path = path.display();
        say(
            &language(),
            [
                format!("түбіртек {path} файлына жазылмады"),
                format!("не удалось записать квитанцию в {path}"),
                format!("writing the receipt to {path}"),
            ],
        )
    };
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
/// message for codes this version does not know), in `lang` (kk, ru, else
/// en).
fn refusal_in(lang: &str, proposal: u64, error: &ApiError) -> String {
    // A refusal about time, in the member's local time.
    if let Some(words) = error
        .times
        .and_then(|t| crate::when::explain_in(lang, &error.code, t))
    {
        let prefix = say(
            lang,
            [
                format!("#{proposal} ұсыныс"),
                format!("предложение #{proposal}"),
                format!("proposal #{proposal}"),
            ],
        );
        return format!("{prefix}: {words} ({})", error.code);
    }
    let p = proposal;
    let said = match error.code.as_str() {
        "stale_root" => say(lang, [
            format!("бюллетень #{p} ұсыныстың енді күшінде емес сайлаушылар ағашына дәлелденген (осы аралықта бір мүше шығып кетті, не бюллетень кілтіңіз онда жоқ): көшірмені жаңартып, қайта дауыс беріңіз"),
            format!("бюллетень доказан для дерева избирателей предложения #{p}, которое уже не действует (тем временем кто-то из членов вышел, или вашего ключа бюллетеня в нём нет): обновите копию и проголосуйте снова"),
            format!("the ballot was proved against an electorate of proposal #{p} that is no longer current (a member left meanwhile, or the ballot key is not in it): sync and vote again"),
        ]),
        "bad_ballot" => {
            let m = &error.message;
            say(lang, [
                format!("секвенсер бюллетеньді #{p} ұсыныс үшін жарамсыз деп тапты: {m}"),
                format!("секвенсор признал бюллетень недействительным для предложения #{p}: {m}"),
                format!("the sequencer found the ballot invalid for proposal #{p}: {m}"),
            ])
        }
        "voting_ended" => say(lang, [
            format!("#{p} ұсыныс бойынша дауыс беру аяқталды: бюллетень қабылданбады"),
            format!("голосование по предложению #{p} закончилось: бюллетень не принят"),
            format!("voting on proposal #{p} has ended: the ballot was not taken"),
        ]),
        "nominations_open" => say(lang, [
            format!("#{p} сайлауында кандидат ұсыну әлі жүріп жатыр: дауыс одан кейін беріледі"),
            format!("выдвижение кандидатов на выборах #{p} ещё идёт: голосуют после него"),
            format!("nominations for election #{p} are still open: ballots are cast after they close"),
        ]),
        "stale_ballot" => {
            let seq = error.held_seq.map(|s| s.to_string());
            let seq = |unknown: &str| seq.clone().unwrap_or_else(|| unknown.to_string());
            say(lang, [
                format!("секвенсерде #{p} ұсыныс бойынша сіздің кейінірек жіберілген бюллетеніңіз бар (реттік нөмірі {}): бұл бюллетень қабылданбады", seq("белгісіз")),
                format!("у секвенсора уже есть ваш более поздний бюллетень по предложению #{p} (порядковый номер {}): этот не принят", seq("неизвестен")),
                format!("the sequencer already holds a later ballot of yours for proposal #{p} (sequence {}): this one was not taken", seq("unknown")),
            ])
        }
        "secret_ballot" => say(lang, [
            format!("#{p} ұсыныс жасырын дауыспен шешілмейді: мүше кілтіңізбен дауыс беріңіз"),
            format!("предложение #{p} решается не тайным голосованием: голосуйте своим ключом члена"),
            format!("proposal #{p} is not decided by secret ballot: vote with your member key"),
        ]),
        "unknown_proposal" => say(lang, [
            format!("#{p} ұсыныс жоқ"),
            format!("предложения #{p} нет"),
            format!("there is no proposal #{p}"),
        ]),
        "proposal_closed" => say(lang, [
            format!("#{p} ұсыныс жабылып қойған"),
            format!("предложение #{p} уже закрыто"),
            format!("proposal #{p} is already closed"),
        ]),
        "no_ballot_box" => say(lang, [
            "сервер әзірге жасырын бюллетень қабылдамайды: оның секвенсерінде бюллетень жәшігі жоқ (жарғы бір мәселені жасырын дауыспен шешетін болса, секвенсер оны іске қосылғанда жасайды): редакциядан `erkin serve --sequence` қайта іске қосуын сұраңыз".into(),
            "сервер пока не принимает тайные бюллетени: у его секвенсора нет урны для бюллетеней (он создаёт её при запуске, если устав что-то решает тайным голосованием): попросите редакцию перезапустить `erkin serve --sequence`".into(),
            "the server takes no secret ballots yet: its sequencer holds no ballot box (it makes one at its start once the charter decides something by secret ballot): ask the newsroom to restart `erkin serve --sequence`".into(),
        ]),
        "ballot_overflow" => say(lang, [
            format!("#{p} ұсыныста дауыс берушілер саны оның сайлаушыларындағы бюллетень кілттерінің санына жетті: секвенсер бұдан артық қабылдамады (бұл туралы мүшелерге хабарлаңыз: бұл жалған бюллетеньдердің белгісі болуы мүмкін)"),
            format!("по предложению #{p} уже столько голосующих, сколько ключей бюллетеня среди его избирателей: секвенсор больше не принимает (сообщите об этом членам: это может означать поддельные бюллетени)"),
            format!("proposal #{p} already has as many voters as ballot keys in its electorate: the sequencer took no more (report this to the members: it can mean forged ballots)"),
        ]),
        "shutting_down" | "storage" => say(lang, [
            "сервер бюллетеньді қазір қабылдай алмады: кейінірек қайталап көріңіз".into(),
            "сервер не смог принять бюллетень сейчас: попробуйте позже".into(),
            "the server could not take the ballot now: try again later".into(),
        ]),
        "bad_body" => {
            let m = &error.message;
            say(lang, [
                format!("сервер шифрланған бюллетеньді оқи алмады ({m}): оның бюллетень жәшігі өзгерген болуы мүмкін; көшірмені жаңартып, қайта дауыс беріңіз"),
                format!("сервер не смог прочитать зашифрованный бюллетень ({m}): возможно, его урна для бюллетеней сменилась; обновите копию и проголосуйте снова"),
                format!("the server could not read the encrypted ballot ({m}): its ballot box may have changed; sync and vote again"),
            ])
        }
        "busy" | "rate_limited" => say(lang, [
            "сервер бос емес: сәлден кейін қайталап көріңіз".into(),
            "сервер занят: попробуйте чуть позже".into(),
            "the server is busy: try again in a moment".into(),
        ]),
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
    let lang = language();
    let p = state
        .proposal(id)
        .with_context(|| refusal_words(&lang, id, "unknown_proposal"))?;
    if p.outcome.is_some() {
        bail!(refusal_words(&lang, id, "proposal_closed"));
    }
    check_choice_kind(p, choice)?;
    let recipient = state.ballot_box().with_context(|| {
        say(&lang, [
            "басылымда әзірге бюллетень жәшігі жоқ (журналда `ballot_box` жазбасы жоқ): жарғы бір мәселені жасырын дауыспен шешетін болса, секвенсер оны іске қосылғанда жариялайды; редакциядан `erkin serve --sequence` қайта іске қосуын сұраңыз".into(),
            "у издания пока нет урны для бюллетеней (в журнале нет записи `ballot_box`): секвенсор публикует её при запуске, если устав что-то решает тайным голосованием; попросите редакцию перезапустить `erkin serve --sequence`".into(),
            "the publication has no ballot box yet (no `ballot_box` entry in the log): its sequencer publishes one when it starts with a charter that decides something by secret ballot; ask the newsroom to restart `erkin serve --sequence`".into(),
        ])
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
                api::verify_ballot_receipt(&receipt, log_key, &hash).map_err(|e| {
                    anyhow!(say(
                        &lang,
                        [
                            format!("сервердің түбіртегі тексеруден өтпеді: {e}"),
                            format!("квитанция сервера не проходит проверку: {e}"),
                            format!("the server's receipt does not hold: {e}"),
                        ]
                    ))
                })?;
                if (receipt.proposal, receipt.epoch) != (id, prepared.epoch) {
                    let (their, their_epoch, epoch) =
                        (receipt.proposal, receipt.epoch, prepared.epoch);
                    bail!(say(&lang, [
                        format!("сервердің түбіртегі #{their} ұсыныстың {their_epoch} дәуіріне берілген, ал бюллетень #{id} ұсыныстың {epoch} дәуіріне жасалған"),
                        format!("квитанция сервера выдана для предложения #{their}, эпоха {their_epoch}, а бюллетень сделан для предложения #{id}, эпоха {epoch}"),
                        format!("the server's receipt is for proposal #{their} epoch {their_epoch}, but the ballot was made for proposal #{id} epoch {epoch}"),
                    ]));
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
                    eprintln!("{}", received_notice(&lang, id, p.closes_at));
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
                    let why = refusal_in(&lang, id, &error);
                    bail!(say(
                        &lang,
                        [
                            format!("бюллетень қабылданбады: {why}"),
                            format!("бюллетень отклонён: {why}"),
                            format!("the ballot was refused: {why}"),
                        ]
                    ));
                };
                // The same ballot again, on a fresh agent, credentials and
                // reply key, once the server's wait is over.
                waited += 1;
                if error.code == "revote_too_soon" {
                    eprintln!("{}", revote_retry_notice(&lang, id, wait));
                } else {
                    eprintln!("{}", busy_retry_notice(&lang, &error.code, wait));
                }
                std::thread::sleep(Duration::from_secs(wait));
            }
        }
    }
    bail!(say(&lang, [
        "бюллетень ескірген деп екі рет қабылданбады: дәл қазір сол бюллетень кілтімен басқа құрылғыдан дауыс берілуі мүмкін".into(),
        "бюллетень дважды отклонён как устаревший: возможно, прямо сейчас с тем же ключом бюллетеня голосует другое устройство".into(),
        "the ballot was refused twice as stale: another device may be voting with the same ballot key at this moment".into(),
    ]))
}

/// The words of the refusal `code` of a ballot in `proposal`, in `lang`,
/// without the code.
fn refusal_words(lang: &str, proposal: u64, code: &str) -> String {
    let said = refusal_in(lang, proposal, &ApiError::new(code, ""));
    said.strip_suffix(&format!(" ({code})"))
        .map_or(said.clone(), str::to_string)
}

/// Said once the server took a secret ballot in `id`, which closes at
/// `closes_at`, in `lang` (kk, ru, else en).
fn received_notice(lang: &str, id: u64, closes_at: u64) -> String {
    let close = crate::when::local(closes_at);
    say(lang, [
        format!("#{id} ұсыныс бойынша жасырын бюллетеніңіз қабылданды. Ол басқаларымен бірге дауыс беру жабылғанда ({close}) жарияланады; оған дейін қайта дауыс бере аласыз, тек соңғы бюллетеніңіз есептеледі."),
        format!("Ваш тайный бюллетень по предложению #{id} принят. Он будет опубликован вместе со всеми остальными при закрытии ({close}); до тех пор вы можете проголосовать снова, и засчитывается только ваш последний бюллетень."),
        format!("Your secret ballot on proposal #{id} was received. It is published, with every other, at the close ({close}); until then you may vote again, and only your last ballot counts."),
    ])
}

/// Said when a ballot the busy server refused (`code`) is sent again in
/// `wait` seconds, in `lang` (kk, ru, else en).
fn busy_retry_notice(lang: &str, code: &str, wait: u64) -> String {
    say(
        lang,
        [
            format!("Сервер бос емес ({code}): бюллетень {wait} секундтан кейін қайта жіберіледі."),
            format!("Сервер занят ({code}): бюллетень будет отправлен снова через {wait} с."),
            format!("The server is busy ({code}): sending the ballot again in {wait} s."),
        ],
    )
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
                "предложение #14: сервер только что принял бюллетень с вашим ключом бюллетеня по этому предложению и примет следующий только через 10 с: проголосуйте снова после этого (засчитывается только ваш последний бюллетень) (revote_too_soon)",
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
        // Another refusal about time, in the same language.
        let mut ended = e.clone();
        ended.code = "voting_ended".into();
        let said = refusal_in("ru", 14, &ended);
        assert!(
            said.starts_with("предложение #14: голосование закончилось: это попало в журнал в ")
                && said.contains(", через 10 с после срока (")
                && said.ends_with(") (voting_ended)"),
            "{said}"
        );
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

    /// Whether `said` is in Kazakh or Russian: its letters Cyrillic but
    /// for the words kept as they are (commands, codes, the ballot's
    /// fields, the server's own message).
    fn cyrillic(said: &str) -> bool {
        let mut rest = said.to_string();
        for kept in [
            "erkin serve --sequence",
            "ballot_box",
            "socks5h",
            "SOCKS5",
            "HOST",
            "PORT",
            "Tor",
            "--rank a,b,c",
            "yes, no, abstain",
            "--proxy",
            "--server URL",
            "--dir",
            "--ballot-key FILE",
            "--receipt",
            "seq",
            "tick",
            "UTC",
        ] {
            rest = rest.replace(kept, "");
        }
        let letters: Vec<char> = rest.chars().filter(|c| c.is_alphabetic()).collect();
        let latin = letters.iter().filter(|c| c.is_ascii_alphabetic()).count();
        !letters.is_empty() && latin == 0
    }

    /// Every refusal of a ballot, and what is said around it (received,
    /// busy, refused twice as stale), in kk and ru as well as en (review
    /// s10 L9); the English words unchanged.
    #[test]
    fn every_refusal_of_a_ballot_is_said_in_the_locale_language() {
        let codes = [
            ("stale_root", "the ballot was proved against an electorate of proposal #14 that is no longer current (a member left meanwhile, or the ballot key is not in it): sync and vote again (stale_root)"),
            ("bad_ballot", "the sequencer found the ballot invalid for proposal #14: 0 (bad_ballot)"),
            ("voting_ended", "voting on proposal #14 has ended: the ballot was not taken (voting_ended)"),
            ("nominations_open", "nominations for election #14 are still open: ballots are cast after they close (nominations_open)"),
            ("stale_ballot", "the sequencer already holds a later ballot of yours for proposal #14 (sequence unknown): this one was not taken (stale_ballot)"),
            ("secret_ballot", "proposal #14 is not decided by secret ballot: vote with your member key (secret_ballot)"),
            ("unknown_proposal", "there is no proposal #14 (unknown_proposal)"),
            ("proposal_closed", "proposal #14 is already closed (proposal_closed)"),
            ("no_ballot_box", "the server takes no secret ballots yet: its sequencer holds no ballot box (it makes one at its start once the charter decides something by secret ballot): ask the newsroom to restart `erkin serve --sequence` (no_ballot_box)"),
            ("ballot_overflow", "proposal #14 already has as many voters as ballot keys in its electorate: the sequencer took no more (report this to the members: it can mean forged ballots) (ballot_overflow)"),
            ("shutting_down", "the server could not take the ballot now: try again later (shutting_down)"),
            ("storage", "the server could not take the ballot now: try again later (storage)"),
            ("bad_body", "the server could not read the encrypted ballot (0): its ballot box may have changed; sync and vote again (bad_body)"),
            ("busy", "the server is busy: try again in a moment (busy)"),
            ("rate_limited", "the server is busy: try again in a moment (rate_limited)"),
        ];
        for (code, en) in codes {
            // (The server's message, said within two refusals, as it is.)
            let e = ApiError::new(code, "0");
            assert_eq!(refusal_in("en", 14, &e), en);
            for lang in ["kk", "ru"] {
                let said = refusal_in(lang, 14, &e);
                let words = said.strip_suffix(&format!(" ({code})")).unwrap();
                assert!(cyrillic(words), "{lang} {code}: {said}");
                assert_eq!(said.contains("#14"), en.contains("#14"), "{said}");
            }
        }
        let mut held = ApiError::new("stale_ballot", "0");
        held.held_seq = Some(7);
        assert!(refusal_in("kk", 14, &held).contains("(реттік нөмірі 7)"));
        assert!(refusal_in("ru", 14, &held).contains("(порядковый номер 7)"));
        // A code this version does not know: the server's message.
        assert_eq!(
            refusal_in("ru", 14, &ApiError::new("new_code", "said so")),
            "said so (new_code)"
        );
        assert_eq!(
            refusal_words("en", 3, "proposal_closed"),
            "proposal #3 is already closed"
        );
        assert_eq!(
            refusal_words("ru", 3, "unknown_proposal"),
            "предложения #3 нет"
        );
        for lang in ["kk", "ru"] {
            for said in [
                received_notice(lang, 14, 1_790_000_000),
                busy_retry_notice(lang, "", 5),
                revote_retry_notice(lang, 14, 5),
            ] {
                assert!(cyrillic(&said), "{said}");
            }
        }
        assert!(received_notice("en", 14, 1_790_000_000)
            .starts_with("Your secret ballot on proposal #14 was received. It is published, with every other, at the close (2026-"));
        assert_eq!(
            busy_retry_notice("en", "busy", 5),
            "The server is busy (busy): sending the ballot again in 5 s."
        );
        assert_eq!(
            busy_retry_notice("ru", "busy", 5),
            "Сервер занят (busy): бюллетень будет отправлен снова через 5 с."
        );
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
