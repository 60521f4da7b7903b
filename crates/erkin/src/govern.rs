//! The governance commands: propose, vote, close, and the listings.

use std::path::Path;

use anyhow::{bail, Context, Result};
use erkin_core::action::{
    Action, Ballot, Close, Consent, Motion, Nominate, Propose, Resign, RotateKey, StepDown, Vote,
};
use erkin_core::charter::{Charter, Rule};
use erkin_core::governance::{Judged, Proposal};
use erkin_core::keys::{SecretKey, VerifierKey};
use erkin_core::state::State;
use erkin_core::stv;
use erkin_views::i18n::EN;
use serde::Serialize;

use crate::ballot::say;
use crate::cli::{
    CharterArgs, CloseArgs, ConsentArgs, MotionArgs, NominateArgs, ProposeArgs, RotateKeyArgs,
    TallyArgs, VoteArgs,
};
use crate::desk::{Desk, Place};
use crate::secret;
use crate::term::{now, outln, print_json, time};

/// Signs `action` with the member key at `key_path`, submits it to the local
/// publication and returns its log index. `make` is given a state that may
/// not hold the articles (`Desk::open_lazily`): it reads the members, the
/// charter, the proposals, the mirrors; the fold reads the articles if the
/// action needs them.
pub fn submit_action(
    place: &Place,
    key_path: &Path,
    make: impl FnOnce(&State) -> Result<Action>,
) -> Result<u64> {
    let mut desk = Desk::open_lazily(place)?;
    let member = secret::open_key(key_path, "your member key")?;
    submit_signed(&mut desk, &member, make)
}

fn submit_signed(
    desk: &mut Desk,
    member: &SecretKey,
    make: impl FnOnce(&State) -> Result<Action>,
) -> Result<u64> {
    let action = make(desk.state())?;
    match desk.sign_and_submit(member, &[action])?.into_iter().next() {
        Some(Ok(index)) => Ok(index),
        Some(Err(rejection)) => bail!("the publication refused it: {rejection}"),
        None => bail!("the publication returned no result"),
    }
}

pub fn read_charter(path: &Path) -> Result<Charter> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let charter: Charter = toml::from_str(&text)
        .with_context(|| format!("{}: not a valid charter", path.display()))?;
    charter
        .validate()
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(charter)
}

/// What `propose --json` prints.
#[derive(Serialize)]
struct Proposed {
    /// The proposal's number (its entry's index).
    proposal: u64,
    /// When voting closes, in Unix seconds.
    closes_at: u64,
}

/// What `vote --json` prints.
#[derive(Serialize)]
struct Voted {
    /// The vote's entry index.
    index: u64,
    proposal: u64,
}

/// What `close --json` prints.
#[derive(Serialize)]
struct Closed<'a> {
    /// The closing entry's index.
    index: u64,
    proposal: u64,
    passed: bool,
    /// What the decision did.
    effect: &'a str,
}

/// The motion a `propose` command puts (a charter file is read and checked).
fn motion_of(args: MotionArgs) -> Result<Motion> {
    Ok(match args {
        MotionArgs::Admit { member_key } => {
            let key = VerifierKey::parse(&member_key).context("the new member's key")?;
            Motion::Admit {
                key: key.to_string(),
            }
        }
        MotionArgs::Remove { handle } => Motion::Remove { handle },
        MotionArgs::Elect => Motion::Elect {
            seats: 0,
            nominations_close: 0,
        },
        MotionArgs::ByElection { seats } => Motion::ByElection {
            seats,
            nominations_close: 0,
        },
        MotionArgs::Recall { handle } => Motion::Recall { handle },
        MotionArgs::Amend { charter } => Motion::Amend {
            charter: read_charter(&charter)?,
        },
        MotionArgs::Retract { article, reason } => Motion::Retract { article, reason },
        MotionArgs::Redact { target, reason } => Motion::Redact { target, reason },
        MotionArgs::Resolution { text } => Motion::Resolution { text },
        MotionArgs::TipReaders { handles } => Motion::TipReaders { handles },
    })
}

/// How far past the charter's minimum a default deadline is set (see
/// [`proposing`]).
pub(crate) const DEADLINE_SLACK: u64 = 60;

/// A proposal put now under `state`'s charter: the action, when voting
/// closes and, for an election, when nominations close.
struct Proposing {
    action: Action,
    closes_at: u64,
    nominations_until: Option<u64>,
}

fn proposing(
    state: &State,
    title: String,
    hours: Option<u32>,
    nomination_hours: Option<u32>,
    mut motion: Motion,
) -> Proposing {
    let charter = state.charter();
    // A deadline left to the charter's minimum is set a minute past it:
    // the sequencer records the proposal at its own clock's second, which
    // may be later than this one, and the minimum runs from that log time,
    // so exactly the minimum from now could come out a second short. A
    // period asked for (--hours) is kept as asked.
    let slack = |asked: Option<u32>| if asked.is_none() { DEADLINE_SLACK } else { 0 };
    let mut start = now();
    let mut nominations_until = None;
    if let Motion::Elect {
        seats,
        nominations_close,
    }
    | Motion::ByElection {
        seats,
        nominations_close,
    } = &mut motion
    {
        if *seats == 0 {
            *seats = charter.board.seats;
        }
        let h = nomination_hours.unwrap_or(charter.elect.nomination_hours);
        *nominations_close = start + u64::from(h) * 3600 + slack(nomination_hours);
        start = *nominations_close;
        nominations_until = Some(start);
    }
    let min = charter.min_hours(&motion);
    let closes_at = start + u64::from(hours.unwrap_or(min)) * 3600 + slack(hours);
    Proposing {
        action: Action::Propose(Propose {
            title,
            closes_at,
            motion,
        }),
        closes_at,
        nominations_until,
    }
}

/// The action a `propose` line of a batch stands for.
pub fn propose_action(state: &State, args: ProposeArgs) -> Result<Action> {
    let motion = motion_of(args.motion)?;
    Ok(proposing(state, args.title, args.hours, args.nomination_hours, motion).action)
}

pub fn propose(place: &Place, args: ProposeArgs) -> Result<u8> {
    let motion = motion_of(args.motion)?;
    let (title, hours, nomination_hours) = (args.title, args.hours, args.nomination_hours);
    let mut closes_at = 0;
    let mut nominations_until = None;
    let index = submit_action(place, &args.key, |state| {
        let p = proposing(state, title, hours, nomination_hours, motion);
        closes_at = p.closes_at;
        nominations_until = p.nominations_until;
        Ok(p.action)
    })?;
    if args.json {
        print_json(&Proposed {
            proposal: index,
            closes_at,
        })?;
        return Ok(0);
    }
    outln!("{index}");
    match nominations_until {
        Some(until) => eprintln!(
            "Election #{index} is open for nominations until {}: members nominate with `erkin nominate {index} HANDLE --key KEY` (a nominee consents with `erkin consent {index} --key KEY`), then rank the candidates with `erkin vote {index} --rank a,b,+reopen --key KEY` until {}.",
            crate::when::local(until),
            crate::when::local(closes_at)
        ),
        None => eprintln!("Proposal #{index} is open. Members vote with `erkin vote {index} yes|no|abstain --key KEY`."),
    }
    Ok(0)
}

/// The ballot a `vote` command casts: yes, no or abstain, or a ranking.
pub fn ballot(choice: Option<&str>, rank: Option<Vec<String>>) -> Result<Ballot> {
    Ok(match (choice, rank) {
        (Some("yes"), None) => Ballot::Yes,
        (Some("no"), None) => Ballot::No,
        (Some("abstain"), None) => Ballot::Abstain,
        (None, Some(rank)) => {
            Ballot::Ranked(rank.into_iter().map(|s| s.trim().to_string()).collect())
        }
        (Some(other), None) => {
            bail!("{other:?} is not a vote: use yes, no or abstain (or --rank for elections)")
        }
        (Some(_), Some(_)) => bail!("give either yes/no/abstain or --rank, not both"),
        (None, None) => {
            bail!("say how you vote: yes, no or abstain (or --rank a,b,c for elections)")
        }
    })
}

/// `erkin vote`: a signed vote on an open vote, an anonymous ballot on a
/// secret one (`ballot.rs`) — which one is the state's to say, never the
/// member's, so an open vote is never sent for a secret proposal.
pub fn vote(place: &Place, args: VoteArgs) -> Result<u8> {
    let ballot = ballot(args.choice.as_deref(), args.rank)?;
    let proposal = args.proposal;
    // The proxy is for secret ballots only: an open vote is a signed entry
    // published under the member's name, and goes direct. With a proxy, a
    // secret ballot's every request goes through it, the sync of the copy
    // too (on credentials of its own): the server must not see the
    // member's address seconds before an anonymous ballot (docs/BALLOT.md
    // §9). A proposal's secrecy is fixed when it is made, so the copy as
    // it is tells: an open vote there ignores $ERKIN_BALLOT_PROXY (and
    // refuses --proxy); a secret one refuses a proxy that is not one
    // before anything is sent; a proposal the copy does not have yet is
    // synced through a good proxy, or direct past a bad one, which is
    // then refused if the proposal is secret, before any ballot is made.
    let asked = args
        .proxy
        .clone()
        .or_else(|| std::env::var(crate::ballot::PROXY_ENV).ok())
        .filter(|p| !p.is_empty());
    let mut proxy: Option<String> = None;
    let mut bad_proxy = None;
    let mut desk = Desk::open_choosing(place, |copy| {
        let known = copy
            .and_then(|s| s.proposal(proposal))
            .map(|p| p.secret.is_some());
        match (known, &asked) {
            (Some(false), _) if args.proxy.is_some() => bail!(open_vote_flags(proposal)),
            (Some(false), _) | (_, None) => {}
            (Some(true), Some(p)) => proxy = Some(crate::ballot::check_proxy(p)?),
            (None, Some(p)) => match crate::ballot::check_proxy(p) {
                Ok(p) => proxy = Some(p),
                Err(e) => bad_proxy = Some(e),
            },
        }
        Ok(proxy.clone())
    })?;
    let secret_vote = desk
        .state()
        .proposal(proposal)
        .is_some_and(|p| p.secret.is_some());
    if secret_vote {
        let lang = crate::when::language();
        let Some(server) = place.server.as_deref() else {
            bail!(say(&lang, [
                format!("#{proposal} ұсыныс жасырын дауыспен шешіледі: бюллетень жергілікті журналға емес, редакция серверінің бюллетень жәшігіне түседі; --server URL арқылы дауыс беріңіз (және --dir — көшірмеңіз)"),
                format!("предложение #{proposal} решается тайным голосованием: бюллетень идёт в урну для бюллетеней на сервере редакции, а не в локальный журнал; голосуйте с --server URL (и --dir — ваша копия)"),
                format!("proposal #{proposal} is decided by secret ballot: a ballot goes to the newsroom server's ballot box, not into a local log; vote with --server URL (and --dir, your copy)"),
            ]));
        };
        if let Some(e) = bad_proxy {
            return Err(e);
        }
        let ballot_key = match (&args.ballot_key, &args.key) {
            (Some(b), _) => b.clone(),
            (None, Some(k)) => k
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default()
                .join("ballot.age"),
            (None, None) => bail!(say(
                &lang,
                [
                    "жасырын бюллетень үшін бюллетень құпияңыз керек: --ballot-key FILE".into(),
                    "для тайного бюллетеня нужен секрет вашего ключа бюллетеня: --ballot-key FILE"
                        .into(),
                    "a secret ballot needs your ballot secret: --ballot-key FILE".into(),
                ]
            )),
        };
        if proxy.is_none() {
            eprintln!("{}", crate::ballot::no_proxy_warning(&lang));
        }
        let log_key = desk.publication().store().log_key().clone();
        return crate::ballot::cast(
            desk.state(),
            &log_key,
            proposal,
            &ballot,
            &crate::ballot::Casting {
                url: args.ballot_server.as_deref().unwrap_or(server),
                proxy: proxy.as_deref(),
                ballot_key: &ballot_key,
                receipt: args.receipt.as_deref(),
                json: args.json,
            },
        );
    }
    if args.ballot_key.is_some() || args.proxy.is_some() || args.receipt.is_some() {
        bail!(open_vote_flags(proposal));
    }
    let key = args
        .key
        .context("an open vote is signed with your member key: --key FILE")?;
    let member = secret::open_key(&key, "your member key")?;
    let index = submit_signed(&mut desk, &member, |_| {
        Ok(Action::Vote(Vote { proposal, ballot }))
    })?;
    if args.json {
        print_json(&Voted { index, proposal })?;
        return Ok(0);
    }
    eprintln!("Vote recorded as entry {index}. You may change it until the proposal closes.");
    Ok(0)
}

/// Why `--ballot-key`, `--proxy` and `--receipt` are refused on an open vote.
fn open_vote_flags(proposal: u64) -> String {
    say(&crate::when::language(), [
        format!("#{proposal} ұсыныс бойынша дауыс ашық беріледі: дауысыңызға мүше кілтіңізбен қол қойылып, ол жарияланады; --ballot-key, --proxy және --receipt жасырын бюллетеньге арналған"),
        format!("по предложению #{proposal} голосуют открыто: ваш голос подписывается вашим ключом члена и публикуется; --ballot-key, --proxy и --receipt — для тайных бюллетеней"),
        format!("proposal #{proposal} is decided by open vote: your vote is signed with your member key and published; --ballot-key, --proxy and --receipt are for secret ballots"),
    ])
}

pub fn close(place: &Place, args: &CloseArgs) -> Result<u8> {
    let proposal = args.proposal;
    let index = submit_action(place, &args.key, |_| {
        Ok(Action::Close(Close {
            proposal,
            salts: Vec::new(),
        }))
    })?;
    let state = crate::desk::view(place)?;
    let p = state
        .state()
        .proposal(proposal)
        .context("the proposal vanished")?;
    let effect = p
        .outcome
        .as_ref()
        .map_or(String::new(), |o| EN.effect(&o.effect));
    let effect = effect.as_str();
    if args.json {
        print_json(&Closed {
            index,
            proposal,
            passed: p.outcome.as_ref().is_some_and(|o| o.passed),
            effect,
        })?;
    } else {
        outln!("#{proposal}: {effect}");
    }
    Ok(0)
}

/// What `nominate --json` and `consent --json` print.
#[derive(Serialize)]
struct Nominated<'a> {
    /// The entry's index.
    index: u64,
    proposal: u64,
    handle: &'a str,
    /// Whether the nominee has consented (and so is a candidate).
    consented: bool,
}

pub fn nominate(place: &Place, args: &NominateArgs) -> Result<u8> {
    let (proposal, handle) = (args.proposal, args.handle.clone());
    let index = submit_action(place, &args.key, |_| {
        Ok(Action::Nominate(Nominate { proposal, handle }))
    })?;
    let consented = nominee_consented(place, proposal, &args.handle)?;
    if args.json {
        print_json(&Nominated {
            index,
            proposal,
            handle: &args.handle,
            consented,
        })?;
    } else if consented {
        eprintln!(
            "{} stands in election #{proposal} (entry {index}).",
            args.handle
        );
    } else {
        eprintln!(
            "{} is nominated in election #{proposal} (entry {index}); they stand once they consent with `erkin consent {proposal} --key THEIR_KEY` before the nomination deadline.",
            args.handle
        );
    }
    Ok(0)
}

pub fn consent(place: &Place, args: &ConsentArgs) -> Result<u8> {
    let proposal = args.proposal;
    let member = secret::open_key(&args.key, "your member key")?;
    let handle = member.name().to_string();
    let mut desk = Desk::open_lazily(place)?;
    let index = submit_signed(&mut desk, &member, |_| {
        Ok(Action::Consent(Consent { proposal }))
    })?;
    if args.json {
        print_json(&Nominated {
            index,
            proposal,
            handle: &handle,
            consented: true,
        })?;
    } else {
        eprintln!("You stand in election #{proposal} (entry {index}).");
    }
    Ok(0)
}

/// Whether `handle` has consented to stand in election `proposal`.
fn nominee_consented(place: &Place, proposal: u64, handle: &str) -> Result<bool> {
    let p = crate::desk::view(place)?;
    Ok(p.state()
        .proposal(proposal)
        .and_then(|p| p.nominations.get(handle))
        .is_some_and(|n| n.consented))
}

pub fn rotate_key(place: &Place, args: RotateKeyArgs) -> Result<u8> {
    let mut desk = Desk::open_lazily(place)?;
    let old = secret::open_key(&args.key, "your current key")?;
    let new = SecretKey::generate(&mut rand_core::OsRng, old.name())?;
    // The new key is on disk before the log knows it: a crash in between
    // leaves an unused file, never a member locked out.
    secret::write_new_key(&args.new, &new, "your new key")?;
    let new_vkey = new.verifier_key().to_string();
    submit_signed(&mut desk, &old, |_| {
        Ok(Action::RotateKey(RotateKey { new_key: new_vkey }))
    })
    .with_context(|| {
        format!(
            "{} was written but is NOT your key in the log",
            args.new.display()
        )
    })?;
    outln!("{}", new.verifier_key());
    eprintln!(
        "Your key is now {}; the old one no longer acts for you.",
        args.new.display()
    );
    Ok(0)
}

pub fn resign(place: &Place, key: &Path) -> Result<u8> {
    submit_action(place, key, |_| Ok(Action::Resign(Resign {})))?;
    eprintln!("You have left the publication.");
    Ok(0)
}

pub fn step_down(place: &Place, key: &Path) -> Result<u8> {
    submit_action(place, key, |_| Ok(Action::StepDown(StepDown {})))?;
    eprintln!("You have left the editorial board; you are still a member.");
    Ok(0)
}

pub fn proposals(place: &Place, json: bool) -> Result<u8> {
    let p = crate::desk::view(place)?;
    let list: Vec<&Proposal> = p.state().proposals().collect();
    if json {
        print_json(&list)?;
        return Ok(0);
    }
    if list.is_empty() {
        outln!("No proposals yet.");
    }
    for p in list {
        let status = match &p.outcome {
            None => format!(
                "open until {} ({} of {} voted)",
                time(p.closes_at),
                p.votes.len(),
                p.electorate.len()
            ),
            Some(o) => {
                let t = &o.tally;
                format!(
                    "{} — yes {} no {} abstain {} of {} eligible — {}",
                    if o.passed { "PASSED" } else { "FAILED" },
                    t.yes,
                    t.no,
                    t.abstain,
                    t.eligible,
                    EN.effect(&o.effect)
                )
            }
        };
        outln!(
            "#{:<5} {:<10} {}  [{}]",
            p.id,
            p.motion.kind(),
            p.title,
            EN.motion(&p.motion)
        );
        outln!("       {status}");
        if let Some((_, until)) = p.motion.election() {
            outln!(
                "       nominations until {}; candidates: {}",
                time(until),
                candidates_line(p)
            );
        }
        for c in p.charter_changes() {
            outln!("       changes {}", EN.charter_change(&c));
        }
    }
    Ok(0)
}

pub fn members(place: &Place, json: bool) -> Result<u8> {
    let p = crate::desk::view(place)?;
    let members: Vec<_> = p.state().members().collect();
    if json {
        print_json(&members)?;
    } else {
        for m in members {
            outln!(
                "{:<20} member since entry {:<6} {}",
                m.handle,
                m.since,
                m.key
            );
        }
    }
    Ok(0)
}

pub fn board(place: &Place, json: bool) -> Result<u8> {
    let p = crate::desk::view(place)?;
    let seats = p.state().board();
    if json {
        print_json(seats)?;
    } else {
        for s in seats {
            outln!("{:<20} editor until {}", s.handle, time(s.until));
        }
    }
    Ok(0)
}

pub fn charter(place: &Place, args: CharterArgs) -> Result<u8> {
    let charter = if args.default {
        Charter::default()
    } else {
        crate::desk::view(place)?.state().charter().clone()
    };
    if args.json {
        print_json(&charter)?;
    } else if args.toml {
        outln!("{}", toml::to_string_pretty(&charter)?);
    } else {
        outln!("Languages: {}", charter.languages.join(", "));
        for (what, rule) in [
            ("Admit a member", &charter.admit),
            ("Remove a member", &charter.remove),
            ("Amend the charter", &charter.amend),
            ("Retract an article", &charter.retract),
            ("Redact an article", &charter.redact),
            ("Other resolutions", &charter.resolution),
            (EN.recall_label(), &charter.recall),
        ] {
            outln!("{what}: {}", describe_rule(rule));
        }
        outln!(
            "Elect the board ({} seats, {}-day term): single transferable vote, with \"re-open nominations\" on every ballot; nominations open at least {} hours (nominees consent); at least {}/{} of members must vote; voting open at least {} hours after nominations close.",
            charter.board.seats,
            charter.board.term_days,
            charter.elect.nomination_hours,
            charter.elect.quorum.num,
            charter.elect.quorum.den,
            charter.elect.min_hours
        );
    }
    Ok(0)
}

/// An election's nominees: the candidates, and those still without consent.
fn candidates_line(p: &Proposal) -> String {
    let candidates = p.candidates();
    let waiting: Vec<&String> = p
        .nominations
        .iter()
        .filter(|(_, n)| !n.consented)
        .map(|(h, _)| h)
        .collect();
    let mut line = if candidates.is_empty() {
        "none yet".to_string()
    } else {
        candidates.join(", ")
    };
    if !waiting.is_empty() {
        let names: Vec<&str> = waiting.iter().map(|h| h.as_str()).collect();
        line.push_str(&format!(
            " (nominated, not yet consented: {})",
            names.join(", ")
        ));
    }
    line
}

fn describe_rule(r: &Rule) -> String {
    format!(
        "{}; at least {}/{} of members must vote (abstaining counts); open at least {} hours.",
        EN.threshold(&r.threshold),
        r.quorum.num,
        r.quorum.den,
        r.min_hours
    )
}

pub fn tally(place: &Place, args: TallyArgs) -> Result<u8> {
    let publication = crate::desk::view(place)?;
    let state = publication.state();
    let p = state
        .proposal(args.proposal)
        .with_context(|| format!("no proposal #{} (see `erkin proposals`)", args.proposal))?;
    // Closed: the ballots that were counted. Open: every eligible vote so far.
    let counted: Vec<String> = match &p.outcome {
        Some(o) => o.counted.clone(),
        None => p
            .votes
            .keys()
            .filter(|h| state.member(h).is_some())
            .cloned()
            .collect(),
    };
    if args.blt {
        if !matches!(p.rule, Judged::Election(_)) {
            bail!(
                "proposal #{} is not an election; BLT is for ranked ballots",
                p.id
            );
        }
        let election = state.stv_election(p, &counted);
        outln!(
            "{}",
            stv::to_blt(
                &election,
                &format!("{} #{}: {}", state.name(), p.id, p.title)
            )
            .trim_end()
        );
        return Ok(0);
    }
    if args.ballots {
        let Some(secret) = &p.secret else {
            bail!(
                "proposal #{} is decided by open vote: `erkin tally {}` lists every member's vote",
                p.id,
                p.id
            );
        };
        if p.outcome.is_none() {
            bail!(
                "proposal #{} is a secret vote still open: its ballots are published only at its close ({})",
                p.id,
                time(p.closes_at)
            );
        }
        let counted: std::collections::BTreeSet<u64> =
            secret.counted().iter().map(|b| b.index).collect();
        for b in &secret.ballots {
            outln!(
                "{}\tepoch {}\tseq {}\t{}\t{}\t{}",
                b.index,
                b.epoch,
                b.seq,
                b.nullifier,
                erkin_views::site_words::EN.ballot(&b.choice),
                if counted.contains(&b.index) {
                    "counted"
                } else {
                    "superseded"
                }
            );
        }
        return Ok(0);
    }
    if args.json {
        print_json(p)?;
        return Ok(0);
    }
    outln!("#{} {} [{}]", p.id, p.title, EN.motion(&p.motion));
    if let Some((_, until)) = p.motion.election() {
        outln!(
            "Nominations until {}; candidates: {}",
            time(until),
            candidates_line(p)
        );
    }
    for c in p.charter_changes() {
        outln!("Changes {}", EN.charter_change(&c));
    }
    match &p.outcome {
        None if p.secret.is_some() => outln!(
            "Open until {}; by secret ballot: the ballots are published at the close, and who voted is recorded nowhere.",
            time(p.closes_at)
        ),
        None => outln!(
            "Open until {}; {} of {} have voted.",
            time(p.closes_at),
            counted.len(),
            p.electorate.len()
        ),
        Some(o) => {
            outln!(
                "Closed {}: yes {}, no {}, abstain {}, of {} eligible; quorum {}; {}.",
                time(o.closed_at),
                o.tally.yes,
                o.tally.no,
                o.tally.abstain,
                o.tally.eligible,
                if o.quorum_met { "met" } else { "not met" },
                if o.passed { "passed" } else { "failed" }
            );
            outln!("Effect: {}", EN.effect(&o.effect));
            if let Some(t) = &o.secret {
                outln!(
                    "Secret ballot: {} of {} members cast a ballot ({} published, re-votes included; `--ballots` lists them); who did is recorded nowhere.",
                    t.turnout,
                    p.electorate.len(),
                    t.ballots
                );
                if t.departed > 0 {
                    outln!(
                        "{} of them left during the vote: up to {} counted ballots may be theirs, cast before they left.",
                        t.departed,
                        t.departed
                    );
                }
            }
        }
    }
    if let Judged::Election(_) = p.rule {
        let election = state.stv_election(p, &counted);
        if !election.candidates.is_empty() {
            let outcome = stv::count(&election)?;
            outln!(
                "STV (Scottish rules, exact arithmetic), quota {}:",
                outcome.quota
            );
            for (i, stage) in outcome.stages.iter().enumerate() {
                let what = match stage.kind {
                    stv::StageKind::FirstPreferences => "first preferences".to_string(),
                    stv::StageKind::Surplus { from } => {
                        format!(
                            "surplus of {}",
                            EN.ranking(std::slice::from_ref(&election.candidates[from]))
                        )
                    }
                    stv::StageKind::Exclusion { of } => {
                        format!(
                            "exclusion of {}",
                            EN.ranking(std::slice::from_ref(&election.candidates[of]))
                        )
                    }
                };
                let votes: Vec<String> = election
                    .candidates
                    .iter()
                    .zip(&stage.votes)
                    .map(|(c, v)| format!("{} {}", EN.ranking(std::slice::from_ref(c)), decimal(v)))
                    .collect();
                let elected: Vec<&str> = stage
                    .elected
                    .iter()
                    .map(|&c| election.candidates[c].as_str())
                    .collect();
                outln!(
                    "  stage {}: {what}: {}{}",
                    i + 1,
                    votes.join(", "),
                    if elected.is_empty() {
                        String::new()
                    } else {
                        format!(" — elected {}", elected.join(", "))
                    }
                );
            }
        }
    }
    Ok(0)
}

/// A rational shown to five decimal places (the display of Scottish counts).
fn decimal(v: &num_rational::BigRational) -> String {
    let scaled = (v * num_rational::BigRational::from_integer(100_000.into()))
        .floor()
        .to_integer();
    let s = format!("{scaled:06}");
    let (int, frac) = s.split_at(s.len() - 5);
    format!("{int}.{frac}")
}
