//! Secret-ballot benchmark (issue 15; not a test): sign and verify time
//! per ballot, and the tally of electorates of 20, 200 and 2,000 members,
//! beside the open (roll-call) Ed25519 vote in the same run, as ratios.
//!
//! For each size `n` it builds, with erkin-core's real fold, two
//! publications that differ only in their charter: `n` members (100
//! founders, the genesis maximum, and the rest admitted by votes), each
//! holding a ballot key, with one yes/no resolution and one STV election
//! open — secret in the one, open in the other. Then, per ballot:
//!
//! - sign: proving one ballot with `semaphore-rs` 0.6.0 (depth 16, what the
//!   CLI runs), beside signing one `vote` entry (Ed25519, erkin-core's
//!   `sign_entry`);
//! - verify: decoding one published ballot (canonical field elements; the
//!   proof's curve and subgroup checks), recomputing its signal and checking
//!   Groth16 with erkin-core's `ballot::Verifier` (the pinned key prepared
//!   once), beside parsing one `vote` entry and checking its signature;
//!
//! and the tally: folding the close batch of each proposal on a copy of
//! the state — a tick, the `n` ballot entries (each checked by the fold:
//! the log key's signature, shape, root, order, nullifier, Groth16) and the
//! log key's close (the count; STV for the election) — beside folding the
//! `n` signed vote entries of the open twin and its close, which is what a
//! recount of an open vote does. Medians and the range over `--runs`.
//!
//! Every tally verifies `n` distinct ballots from `n` distinct members.
//! Proving them is the long part (about 0.4 s of both cores each): they
//! are proved once in parallel threads and kept in `--cache` (default
//! `target/bench/ballot-proofs`), one file per proposal's scope and root;
//! a later run checks each kept proof with the verifier and proves again
//! only those missing or not valid. The publications are built from fixed
//! seeds, so the scopes and roots are the same on every run. The timed
//! proofs (`--proofs` per size) are always made afresh.
//!
//! Run: `cargo run --release -p erkin-bench --bin ballot [-- --sizes
//! 20,200,2000 --proofs 20 --runs 5]`.

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{anyhow, bail, ensure, Context, Result};
use erkin_bench::arg;
use erkin_core::action::{
    Action, Ballot, BallotKey, CastBallot, Charter, Close, Genesis, Motion, Nominate, Propose,
    Tick, Vote,
};
use erkin_core::ballot::{self, BallotProof, ElectorateTree, FieldElement, Proof, Verifier};
use erkin_core::charter::Fraction;
use erkin_core::entry::{sign_entry, EntryBody, ParsedEntry};
use erkin_core::governance::Outcome;
use erkin_core::keys::SecretKey;
use erkin_core::state::{Applied, State};
use rand_core::{CryptoRng, RngCore};
use semaphore_rs::identity::Identity;
use semaphore_rs::packed_proof::PackedProof;
use semaphore_rs::poseidon_tree::{Branch, Proof as MerklePath};
use semaphore_rs::protocol::{generate_nullifier_hash, generate_proof};
use semaphore_rs::Field;

const ORIGIN: &str = "bench.example/ballots";
const T0: u64 = 1_790_000_000;
const H: u64 = 3600;
/// Candidates in the election (self-nominated members m0000…m0004).
const CANDIDATES: usize = 5;

// ---------------------------------------------------------------------------
// Fixed seeds: the same keys, logs, scopes and roots on every run.

/// SplitMix64: a deterministic generator for the benchmark's keys, so the
/// publications (and the proofs kept for them) are the same on every run.
/// A benchmark fixture, not a source of secrets.
struct SplitMix(u64);

impl RngCore for SplitMix {
    fn next_u32(&mut self) -> u32 {
        self.next_u64() as u32
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

// A benchmark fixture only: deterministic on purpose.
impl CryptoRng for SplitMix {}

fn seed_of(text: &str) -> u64 {
    // FNV-1a: enough to give each name its own stream.
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn key(name: &str) -> Result<SecretKey> {
    Ok(SecretKey::generate(
        &mut SplitMix(seed_of(&format!("key/{name}"))),
        name,
    )?)
}

fn handle(i: usize) -> String {
    format!("m{i:04}")
}

/// Member `i`'s ballot identity (as `erkin ballot-key new` makes one from
/// 32 random bytes; here from a fixed seed).
fn identity(i: usize) -> Identity {
    let mut secret = [0u8; 32];
    SplitMix(seed_of(&format!("ballot/{i}"))).fill_bytes(&mut secret);
    Identity::from_secret(&mut secret, None)
}

fn fe(x: Field) -> FieldElement {
    FieldElement::from_be_bytes(x.to_be_bytes::<32>()).expect("semaphore-rs fields are canonical")
}

fn field(x: FieldElement) -> Field {
    Field::from_be_bytes(x.to_be_bytes())
}

/// Member `i`'s choice on the resolution: 3 yes, 1 no, 1 abstention in 5.
fn yes_no(i: usize) -> Ballot {
    match i % 5 {
        0..=2 => Ballot::Yes,
        3 => Ballot::No,
        _ => Ballot::Abstain,
    }
}

/// Member `i`'s ranking in the election: from 1 to all candidates, starting
/// at a different one, skewed so the count takes several stages.
fn ranking(i: usize) -> Ballot {
    let start = (i * i + i / 3) % CANDIDATES;
    let len = 1 + (i / 7) % CANDIDATES;
    Ballot::Ranked(
        (0..len)
            .map(|k| handle((start + k * (1 + i % 2)) % CANDIDATES))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
    )
}

// ---------------------------------------------------------------------------
// A publication through the real fold.

struct Log {
    state: State,
    log: SecretKey,
    members: Vec<SecretKey>,
}

/// The two votes of a publication, and when they close.
#[derive(Clone, Copy)]
struct Votes {
    resolution: u64,
    resolution_closes: u64,
    election: u64,
    nominations_close: u64,
    election_closes: u64,
}

fn signed(k: &SecretKey, time: u64, action: Action) -> Result<Vec<u8>> {
    Ok(sign_entry(ORIGIN, &EntryBody { time, action }, k)?)
}

fn apply(state: &mut State, bytes: &[u8]) -> Result<Applied> {
    state.apply(bytes).map_err(|e| {
        anyhow!(
            "the fold refused an entry: {e:?}: {}",
            String::from_utf8_lossy(bytes).lines().nth(2).unwrap_or("")
        )
    })
}

impl Log {
    fn tick_bytes(&self, time: u64) -> Result<Vec<u8>> {
        signed(&self.log, time, Action::Tick(Tick {}))
    }

    fn tick(&mut self, time: u64) -> Result<()> {
        if time > self.state.log_time() {
            let t = self.tick_bytes(time)?;
            apply(&mut self.state, &t)?;
        }
        Ok(())
    }

    /// Member `i` signs `action`, dated at the log time; the fold applies it.
    fn by(&mut self, i: usize, action: Action) -> Result<Applied> {
        let bytes = signed(&self.members[i], self.state.log_time(), action)?;
        apply(&mut self.state, &bytes)
    }

    fn log_close(&self, time: u64, proposal: u64) -> Result<Vec<u8>> {
        signed(
            &self.log,
            time,
            Action::Close(Close {
                proposal,
                salts: Vec::new(),
            }),
        )
    }
}

/// Every kind decided as today's default charter says, but for: admission
/// by one vote (quorum 0, a majority of votes cast, the one-day floor), so
/// that 1,900 members can be admitted without 1,900 roll calls; and the
/// resolution and the election secret when `secret`.
fn charter(secret: bool) -> Charter {
    let mut c = Charter::default();
    c.admit.quorum = Fraction { num: 0, den: 1 };
    c.admit.min_hours = erkin_core::charter::MIN_HOURS_FLOOR;
    c.resolution.secret = secret;
    c.elect.secret = secret;
    c
}

/// A publication of `n` members, every one with a ballot key (when
/// `secret`), and the resolution and the election open.
fn build(n: usize, secret: bool) -> Result<(Log, Votes)> {
    let founders = n.min(erkin_core::action::MAX_FOUNDERS);
    let log = key(ORIGIN)?;
    let members: Vec<SecretKey> = (0..n).map(|i| key(&handle(i))).collect::<Result<_>>()?;
    let c = charter(secret);
    let genesis = signed(
        &log,
        T0,
        Action::Genesis(Genesis {
            name: "Bench".into(),
            log_key: log.verifier_key().to_string(),
            founders: members[..founders]
                .iter()
                .map(|k| k.verifier_key().to_string())
                .collect(),
            charter: c.clone(),
        }),
    )?;
    let (state, _) = State::genesis(log.verifier_key(), &genesis)
        .map_err(|e| anyhow!("genesis refused: {e:?}"))?;
    let mut l = Log {
        state,
        log,
        members,
    };

    // The others are admitted: each proposed by a founder, who votes yes;
    // all closed by the log key at the deadline.
    l.tick(T0 + 60)?;
    let closes_at = l.state.log_time() + u64::from(c.admit.min_hours) * H;
    let mut admissions = Vec::new();
    for i in founders..n {
        let by = i % founders;
        let motion = Motion::Admit {
            key: l.members[i].verifier_key().to_string(),
        };
        let id = l
            .by(
                by,
                Action::Propose(Propose {
                    title: format!("Admit {}", handle(i)),
                    closes_at,
                    motion,
                }),
            )?
            .index;
        l.by(
            by,
            Action::Vote(Vote {
                proposal: id,
                ballot: Ballot::Yes,
            }),
        )?;
        admissions.push(id);
    }
    l.tick(closes_at)?;
    for id in admissions {
        let close = l.log_close(closes_at, id)?;
        apply(&mut l.state, &close)?;
    }
    ensure!(
        l.state.members().count() == n,
        "{} members, not {n}",
        l.state.members().count()
    );

    // Ballot keys, then the two votes.
    l.tick(l.state.log_time() + 60)?;
    if secret {
        for i in 0..n {
            l.by(
                i,
                Action::BallotKey(BallotKey {
                    scheme: ballot::SCHEME.into(),
                    commitment: fe(identity(i).commitment()).to_hex(),
                }),
            )?;
        }
    }
    let t2 = l.state.log_time();
    let resolution_closes = t2 + u64::from(c.resolution.min_hours) * H;
    let resolution = l
        .by(
            0,
            Action::Propose(Propose {
                title: "Publish the audit".into(),
                closes_at: resolution_closes,
                motion: Motion::Resolution {
                    text: "The cooperative publishes its audit.".into(),
                },
            }),
        )?
        .index;
    let nominations_close = t2 + u64::from(c.elect.nomination_hours) * H;
    let election_closes = nominations_close + u64::from(c.elect.min_hours) * H;
    let election = l
        .by(
            1,
            Action::Propose(Propose {
                title: "Elect the board".into(),
                closes_at: election_closes,
                motion: Motion::Elect {
                    seats: c.board.seats,
                    nominations_close,
                },
            }),
        )?
        .index;
    for i in 0..CANDIDATES.min(n) {
        l.by(
            i,
            Action::Nominate(Nominate {
                proposal: election,
                handle: handle(i),
            }),
        )?;
    }
    Ok((
        l,
        Votes {
            resolution,
            resolution_closes,
            election,
            nominations_close,
            election_closes,
        },
    ))
}

// ---------------------------------------------------------------------------
// Ballots.

/// What a prover needs for one secret proposal: its scope and tree, as the
/// state records them.
struct Electorate {
    id: u64,
    scope: FieldElement,
    tree: ElectorateTree,
    /// Tree position of member i.
    position: Vec<usize>,
}

fn electorate(state: &State, id: u64, n: usize) -> Result<Electorate> {
    let p = state.proposal(id).context("the proposal")?;
    let s = p.secret.as_deref().context("a secret proposal")?;
    let leaves: Vec<FieldElement> = s
        .leaves
        .iter()
        .map(|l| FieldElement::from_hex(&l.commitment))
        .collect::<Result<_, _>>()?;
    let tree = ElectorateTree::new(&leaves)?;
    ensure!(tree.root().to_hex() == s.roots[0], "the tree's root");
    let at: BTreeMap<&str, usize> = s
        .leaves
        .iter()
        .enumerate()
        .map(|(k, l)| (l.handle.as_str(), k))
        .collect();
    let position = (0..n)
        .map(|i| {
            let h = handle(i);
            at.get(h.as_str())
                .copied()
                .with_context(|| format!("{h} has no leaf"))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Electorate {
        id,
        scope: FieldElement::from_hex(&s.scope)?,
        tree,
        position,
    })
}

fn choice(election: bool, i: usize) -> Ballot {
    if election {
        ranking(i)
    } else {
        yes_no(i)
    }
}

fn signal(e: &Electorate, choice: &Ballot) -> Result<FieldElement> {
    Ok(ballot::signal(
        ORIGIN,
        e.id,
        1,
        &ballot::choice_json(choice)?,
    ))
}

/// Member `i` proves their ballot (seq 1) with semaphore-rs, using the
/// core's Merkle path; the 512 hex digits of the packed proof.
fn prove(e: &Electorate, i: usize, choice: &Ballot) -> Result<String> {
    let path = e
        .tree
        .path(e.position[i])
        .ok_or_else(|| anyhow!("no leaf {}", e.position[i]))?;
    let branches = path
        .iter()
        .map(|(s, right)| {
            if *right {
                Branch::Right(field(*s))
            } else {
                Branch::Left(field(*s))
            }
        })
        .collect();
    let proof = generate_proof(
        &identity(i),
        &MerklePath { 0: branches },
        field(e.scope),
        field(signal(e, choice)?),
    )?;
    Ok(hex::encode(PackedProof::from(proof).0))
}

fn nullifier(e: &Electorate, i: usize) -> String {
    fe(generate_nullifier_hash(&identity(i), field(e.scope))).to_hex()
}

fn cast(e: &Electorate, i: usize, choice: Ballot, proof: String) -> CastBallot {
    CastBallot {
        proposal: e.id,
        root: e.tree.root().to_hex(),
        nullifier: nullifier(e, i),
        seq: 1,
        choice,
        proof,
    }
}

/// What the fold does to check one published ballot's proof: decode the
/// field elements and the proof (with its curve and subgroup checks),
/// recompute the signal, check Groth16 under the prepared pinned key.
fn check(v: &Verifier, b: &CastBallot, scope: FieldElement, roots: &[FieldElement]) -> Result<()> {
    let claim = BallotProof {
        root: FieldElement::from_hex(&b.root)?,
        nullifier: FieldElement::from_hex(&b.nullifier)?,
        signal: ballot::signal(ORIGIN, b.proposal, b.seq, &ballot::choice_json(&b.choice)?),
        scope,
        proof: Proof::from_hex(&b.proof)?,
    };
    v.verify(&claim, scope, roots)?;
    Ok(())
}

/// Every member's ballot on `e`: the kept proofs that still verify, the
/// others proved now in parallel threads (and kept). Returns the ballots
/// and how many were proved now.
fn all_ballots(
    v: &Verifier,
    e: &Electorate,
    election: bool,
    n: usize,
    cache: &Path,
) -> Result<(Vec<CastBallot>, usize, f64)> {
    fs::create_dir_all(cache)?;
    let file = cache.join(format!(
        "{}-{}.proofs",
        e.scope.to_hex(),
        &e.tree.root().to_hex()[..16]
    ));
    let mut kept: BTreeMap<usize, String> = BTreeMap::new();
    if let Ok(text) = fs::read_to_string(&file) {
        for line in text.lines() {
            if let Some((i, proof)) = line.split_once(' ') {
                if let Ok(i) = i.parse::<usize>() {
                    if i < n && proof.len() == 2 * ballot::PROOF_LEN {
                        kept.insert(i, proof.to_string());
                    }
                }
            }
        }
    }
    let roots = [e.tree.root()];
    let mut ballots: Vec<Option<CastBallot>> = vec![None; n];
    for (i, proof) in kept {
        let b = cast(e, i, choice(election, i), proof);
        if check(v, &b, e.scope, &roots).is_ok() {
            ballots[i] = Some(b);
        }
    }
    let missing: Vec<usize> = (0..n).filter(|i| ballots[*i].is_none()).collect();
    let t = Instant::now();
    if !missing.is_empty() {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
        eprintln!(
            "ballot: proving {} ballots of {n} members ({}) in {threads} threads, kept in {}",
            missing.len(),
            if election { "election" } else { "resolution" },
            file.display()
        );
        let out = Mutex::new(
            OpenOptions::new()
                .create(true)
                .append(true)
                .open(&file)
                .with_context(|| format!("{}", file.display()))?,
        );
        let next = AtomicUsize::new(0);
        let made: Vec<Result<Vec<(usize, String)>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| -> Result<Vec<(usize, String)>> {
                        let mut mine = Vec::new();
                        loop {
                            let k = next.fetch_add(1, Ordering::Relaxed);
                            let Some(&i) = missing.get(k) else {
                                return Ok(mine);
                            };
                            let proof = prove(e, i, &choice(election, i))?;
                            writeln!(
                                out.lock().map_err(|_| anyhow!("a poisoned lock"))?,
                                "{i} {proof}"
                            )?;
                            if (k + 1).is_multiple_of(100) {
                                eprintln!("ballot: {} of {}", k + 1, missing.len());
                            }
                            mine.push((i, proof));
                        }
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err(anyhow!("a prover panicked")))
                })
                .collect()
        });
        for part in made {
            for (i, proof) in part? {
                ballots[i] = Some(cast(e, i, choice(election, i), proof));
            }
        }
    }
    let proving = t.elapsed().as_secs_f64();
    let ballots = ballots
        .into_iter()
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| anyhow!("a ballot is missing"))?;
    Ok((ballots, missing.len(), proving))
}

// ---------------------------------------------------------------------------
// Figures.

/// Median and range of a set of timings, in seconds.
#[derive(Clone, Copy)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

fn spread(mut xs: Vec<f64>) -> Spread {
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    let median = if xs.len().is_multiple_of(2) {
        (xs[m - 1] + xs[m]) / 2.0
    } else {
        xs[m]
    };
    Spread {
        median,
        min: xs[0],
        max: xs[xs.len() - 1],
    }
}

fn time(s: f64) -> String {
    if s >= 1.0 {
        format!("{s:.2} s")
    } else if s >= 1e-3 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.1} µs", s * 1e6)
    }
}

fn show(s: Spread) -> String {
    format!("{} ({}–{})", time(s.median), time(s.min), time(s.max))
}

fn ratio(a: Spread, b: Spread) -> String {
    let r = a.median / b.median;
    if r >= 10.0 {
        format!("{r:.0}×")
    } else {
        format!("{r:.1}×")
    }
}

/// Folds `batch` on a copy of `state` `runs` times; the time of each fold
/// (the copy is made outside the clock), and the outcome of `proposal`.
fn fold_batch(
    state: &State,
    batch: &[Vec<u8>],
    proposal: u64,
    runs: usize,
) -> Result<(Spread, Outcome)> {
    let mut times = Vec::with_capacity(runs);
    let mut outcome = None;
    for _ in 0..runs {
        let mut s = state.clone();
        let t = Instant::now();
        for e in batch {
            apply(&mut s, e)?;
        }
        times.push(t.elapsed().as_secs_f64());
        outcome = s.proposal(proposal).and_then(|p| p.outcome.clone());
    }
    Ok((spread(times), outcome.context("the proposal closed")?))
}

fn main() -> Result<()> {
    let sizes: String = arg("--sizes", "20,200,2000".to_string())?;
    let sizes: Vec<usize> = sizes
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()
        .context("--sizes takes sizes such as 20,200,2000")?;
    let proofs: usize = arg("--proofs", 20)?;
    let runs: usize = arg("--runs", 5)?;
    let cache: PathBuf = arg("--cache", PathBuf::from("target/bench/ballot-proofs"))?;
    if proofs == 0 || runs == 0 || sizes.iter().any(|n| *n < 2 || *n > ballot::MAX_LEAVES) {
        bail!("--proofs and --runs take at least 1, --sizes 2 to 65,536 members");
    }

    let t = Instant::now();
    let verifier = Verifier::semaphore_v3_16()?;
    let prepare = t.elapsed().as_secs_f64();

    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let mut first_proof = None;
    for &n in &sizes {
        let t = Instant::now();
        let (secret, sv) = build(n, true)?;
        let (open, ov) = build(n, false)?;
        let build_s = t.elapsed().as_secs_f64();
        eprintln!(
            "ballot: {n} members: two publications of {} and {} entries in {build_s:.1} s",
            secret.state.size(),
            open.state.size()
        );
        let res = electorate(&secret.state, sv.resolution, n)?;
        let k = proofs.min(n);

        // The first proof of the process loads the proving key and the
        // witness graph: made once, untimed among the others.
        if first_proof.is_none() {
            let t = Instant::now();
            prove(&res, n - 1, &yes_no(n - 1))?;
            first_proof = Some(t.elapsed().as_secs_f64());
        }

        // Sign one: `k` members each prove a ballot; `k` members each sign a
        // vote entry (`runs` times over, for the much shorter Ed25519).
        let mut prove_s = Vec::with_capacity(k);
        for i in 0..k {
            let t = Instant::now();
            let p = prove(&res, i, &yes_no(i))?;
            prove_s.push(t.elapsed().as_secs_f64());
            check(
                &verifier,
                &cast(&res, i, yes_no(i), p),
                res.scope,
                &[res.tree.root()],
            )?;
        }
        let prove_s = spread(prove_s);
        let time_at = open.state.log_time();
        let mut sign_runs = Vec::new();
        let mut votes = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            votes = (0..k)
                .map(|i| {
                    signed(
                        &open.members[i],
                        time_at,
                        Action::Vote(Vote {
                            proposal: ov.resolution,
                            ballot: yes_no(i),
                        }),
                    )
                })
                .collect::<Result<_>>()?;
            sign_runs.push(t.elapsed().as_secs_f64() / k as f64);
        }
        let sign_s = spread(sign_runs);

        // Every member's ballot, for the tallies (kept proofs, or proved now).
        let (res_ballots, res_new, res_prove) = all_ballots(&verifier, &res, false, n, &cache)?;
        let el = electorate(&secret.state, sv.election, n)?;
        let (el_ballots, el_new, el_prove) = all_ballots(&verifier, &el, true, n, &cache)?;
        notes.push(format!(
            "{n} members: {} + {} entries in the two publications (built in {build_s:.1} s); ballots for the two tallies proved in this run: {res_new} + {el_new}{}, the rest kept from an earlier run and checked again",
            secret.state.size(),
            open.state.size(),
            if res_new + el_new > 0 {
                format!(" (in {})", time(res_prove + el_prove))
            } else {
                String::new()
            }
        ));

        // Verify one: `k` distinct ballots, decoded and checked, `runs`
        // times; `k` vote entries parsed and checked, `runs` times.
        let roots = [res.tree.root()];
        let mut verify_runs = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            for b in &res_ballots[..k] {
                check(&verifier, b, res.scope, &roots)?;
            }
            verify_runs.push(t.elapsed().as_secs_f64() / k as f64);
        }
        let verify_s = spread(verify_runs);
        let keys: Vec<_> = open.members[..k].iter().map(|m| m.verifier_key()).collect();
        let mut ed_runs = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            for (v, key) in votes.iter().zip(&keys) {
                ParsedEntry::parse(v, ORIGIN)?.verify_by(key)?;
            }
            ed_runs.push(t.elapsed().as_secs_f64() / k as f64);
        }
        let ed_verify_s = spread(ed_runs);

        // The tallies. Secret: the close batch (a tick at the deadline,
        // the ballots sorted by their hash, the log key's close). Open: the
        // members' vote entries and the close.
        let sorted = |mut ballots: Vec<CastBallot>| -> Result<Vec<CastBallot>> {
            ballots.sort_by_cached_key(CastBallot::hash);
            Ok(ballots)
        };
        let secret_batch = |closes: u64, proposal: u64, ballots: Vec<CastBallot>| {
            let mut batch = vec![secret.tick_bytes(closes)?];
            for b in sorted(ballots)? {
                batch.push(signed(&secret.log, closes, Action::Ballot(b))?);
            }
            batch.push(secret.log_close(closes, proposal)?);
            Ok::<_, anyhow::Error>(batch)
        };
        let open_batch = |now: u64, at: u64, closes: u64, proposal: u64, election: bool| {
            let mut batch = Vec::new();
            if at > now {
                batch.push(open.tick_bytes(at)?);
            }
            for (i, m) in open.members.iter().enumerate() {
                let ballot = if election { ranking(i) } else { yes_no(i) };
                batch.push(signed(m, at, Action::Vote(Vote { proposal, ballot }))?);
            }
            batch.push(open.tick_bytes(closes)?);
            batch.push(open.log_close(closes, proposal)?);
            Ok::<_, anyhow::Error>(batch)
        };

        // The same `n` ballots' proofs checked alone (no fold), and the `n`
        // vote entries parsed and checked alone: what the tallies cost
        // beyond the signatures and proofs is the fold's own work.
        let mut alone = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            for b in &res_ballots {
                check(&verifier, b, res.scope, &roots)?;
            }
            alone.push(t.elapsed().as_secs_f64());
        }
        let alone = spread(alone);
        let all_keys: Vec<_> = open.members.iter().map(|m| m.verifier_key()).collect();
        let all_votes: Vec<Vec<u8>> = open
            .members
            .iter()
            .enumerate()
            .map(|(i, m)| {
                signed(
                    m,
                    time_at,
                    Action::Vote(Vote {
                        proposal: ov.resolution,
                        ballot: yes_no(i),
                    }),
                )
            })
            .collect::<Result<_>>()?;
        let mut ed_alone = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            for (v, key) in all_votes.iter().zip(&all_keys) {
                ParsedEntry::parse(v, ORIGIN)?.verify_by(key)?;
            }
            ed_alone.push(t.elapsed().as_secs_f64());
        }
        let ed_alone = spread(ed_alone);

        let s_res = secret_batch(sv.resolution_closes, sv.resolution, res_ballots)?;
        let o_res = open_batch(
            open.state.log_time(),
            open.state.log_time(),
            ov.resolution_closes,
            ov.resolution,
            false,
        )?;
        let (s_res_t, s_res_out) = fold_batch(&secret.state, &s_res, sv.resolution, runs)?;
        let (o_res_t, o_out) = fold_batch(&open.state, &o_res, ov.resolution, runs)?;
        ensure!(
            s_res_out.tally == o_out.tally,
            "the secret count {:?} differs from the open one {:?}",
            s_res_out.tally,
            o_out.tally
        );
        ensure!(s_res_out.secret.as_ref().map(|t| t.turnout) == Some(n as u64));

        // The election closes later: both states move past the resolution's
        // close first (outside the clock).
        let mut secret_state = secret.state.clone();
        for e in &s_res {
            apply(&mut secret_state, e)?;
        }
        let mut open_state = open.state.clone();
        for e in &o_res {
            apply(&mut open_state, e)?;
        }
        let s_el = secret_batch(sv.election_closes, sv.election, el_ballots)?;
        let o_el = open_batch(
            open_state.log_time(),
            ov.nominations_close.max(ov.resolution_closes),
            ov.election_closes,
            ov.election,
            true,
        )?;
        let (s_el_t, s_out) = fold_batch(&secret_state, &s_el, sv.election, runs)?;
        let (o_el_t, o_out) = fold_batch(&open_state, &o_el, ov.election, runs)?;
        ensure!(s_out.tally == o_out.tally, "the election's counts differ");
        ensure!(s_out.secret.as_ref().map(|t| t.turnout) == Some(n as u64));
        ensure!(s_out.elected.len() == o_out.elected.len());
        eprintln!(
            "ballot: {n} members: resolution {:?} (passed: {}); elected, secret {:?}, open {:?}",
            s_res_out.tally, s_res_out.passed, s_out.elected, o_out.elected
        );

        rows.push(format!(
            "| {n} | sign one (prove, {k} members / sign a `vote` entry) | {} | {} | {} |",
            show(prove_s),
            show(sign_s),
            ratio(prove_s, sign_s)
        ));
        rows.push(format!(
            "| {n} | verify one (decode + Groth16, {k} distinct ballots / parse + Ed25519) | {} | {} | {} |",
            show(verify_s),
            show(ed_verify_s),
            ratio(verify_s, ed_verify_s)
        ));
        rows.push(format!(
            "| {n} | the {n} ballots' proofs checked alone, no fold / the {n} vote entries checked alone | {} | {} | {} |",
            show(alone),
            show(ed_alone),
            ratio(alone, ed_alone)
        ));
        rows.push(format!(
            "| {n} | tally yes/no: fold {n} ballots + close / {n} votes + close | {} | {} | {} |",
            show(s_res_t),
            show(o_res_t),
            ratio(s_res_t, o_res_t)
        ));
        rows.push(format!(
            "| {n} | tally STV (5 candidates, 3 seats) | {} | {} | {} |",
            show(s_el_t),
            show(o_el_t),
            ratio(s_el_t, o_el_t)
        ));
    }

    println!("| members | what (secret / open) | secret ballot: median (range) | open vote: median (range) | ratio of medians |");
    println!("|---|---|---|---|---|");
    for r in rows {
        println!("{r}");
    }
    println!();
    println!(
        "Preparing the pinned verifying key (once per process): {}. The process's first proof (loads the proving key and witness graph): {}. Runs per figure: {runs} (proving: one per member sampled).",
        time(prepare),
        first_proof.map_or("—".into(), time)
    );
    for note in notes {
        println!("- {note}");
    }
    Ok(())
}
