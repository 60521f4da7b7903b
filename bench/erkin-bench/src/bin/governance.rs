//! Governance benchmarks (not tests): the STV tally of a large election, and
//! fold throughput over a 100,000-entry log of votes and statements.
//!
//! Run: `cargo run --release -p erkin-bench --bin governance`.
//! There is no external reference counter on this machine, so the tally is
//! reported on its own; the fold is reported beside bare Ed25519 verification
//! (one per entry), measured in the same run.

use std::time::Instant;

use anyhow::Result;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _};
use erkin_core::action::{Action, Ballot, Charter, Close, Motion, Propose, Statement, Vote};
use erkin_core::entry::{sign_entry, EntryBody};
use erkin_core::keys::SecretKey;
use erkin_core::state::State;
use erkin_core::stv;
use rand_core::RngCore;

const T0: u64 = 1_790_000_000;
const ORIGIN: &str = "bench.example/governance";

/// A deterministic pseudo-random generator (xorshift), so every run counts
/// the same election.
struct Xorshift(u64);
impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn election(ballots: usize, candidates: usize, seats: usize) -> stv::Election {
    let mut rng = Xorshift(0x9E37_79B9_7F4A_7C15);
    // Candidates have different popularity, so counts take many stages.
    let ballots = (0..ballots)
        .map(|_| {
            let len = 1 + (rng.next() % candidates as u64) as usize;
            let mut ranking: Vec<usize> = Vec::with_capacity(len);
            while ranking.len() < len {
                let a = (rng.next() % candidates as u64) as usize;
                let b = (rng.next() % candidates as u64) as usize;
                let c = a.min(b); // skew toward low indexes
                if !ranking.contains(&c) {
                    ranking.push(c);
                }
            }
            stv::Ballot { weight: 1, ranking }
        })
        .collect();
    stv::Election {
        seats,
        candidates: (0..candidates).map(|i| format!("candidate{i}")).collect(),
        ballots,
        seed: [7; 32],
    }
}

fn main() -> Result<()> {
    println!("| what | figure |");
    println!("|---|---|");
    for (ballots, candidates, seats) in [(10_000, 20, 7), (100_000, 20, 7), (100_000, 50, 15)] {
        let e = election(ballots, candidates, seats);
        let t = Instant::now();
        let out = stv::count(&e)?;
        let s = t.elapsed().as_secs_f64();
        println!(
            "| STV tally: {ballots} ranked ballots, {candidates} candidates, {seats} seats ({} stages) | {s:.2} s |",
            out.stages.len()
        );
    }

    // Fold throughput: 100 founders (the genesis maximum) make 100,000
    // entries — statements, proposals, votes (many changed) and closes.
    let log = SecretKey::generate(&mut rand_core::OsRng, ORIGIN)?;
    let founders: Vec<SecretKey> = (0..100)
        .map(|i| SecretKey::generate(&mut rand_core::OsRng, &format!("m{i}")))
        .collect::<Result<_, _>>()?;
    let genesis = EntryBody {
        time: T0,
        action: Action::Genesis(erkin_core::action::Genesis {
            name: "Bench".into(),
            log_key: log.verifier_key().to_string(),
            founders: founders
                .iter()
                .map(|k| k.verifier_key().to_string())
                .collect(),
            charter: Charter::default(),
        }),
    };
    let genesis = sign_entry(ORIGIN, &genesis, &log)?;
    let mut entries = Vec::with_capacity(100_000);
    let mut rng = rand_core::OsRng;
    let mut open: Vec<u64> = Vec::new();
    let mut time = T0;
    while entries.len() < 99_999 {
        let i = entries.len() as u64 + 1;
        let who = &founders[(rng.next_u32() % 100) as usize];
        time += 1;
        let action = match (i % 50, open.last()) {
            (0, _) => {
                open.push(i);
                Action::Propose(Propose {
                    title: format!("Resolution {i}"),
                    closes_at: time + 72 * 3600,
                    motion: Motion::Resolution {
                        text: "Resolved.".into(),
                    },
                })
            }
            (1..=39, Some(&p)) => Action::Vote(Vote {
                proposal: p,
                ballot: [Ballot::Yes, Ballot::No, Ballot::Abstain][(rng.next_u32() % 3) as usize]
                    .clone(),
            }),
            (40, Some(&p)) if i % 200 == 40 => {
                time += 72 * 3600;
                open.pop();
                Action::Close(Close {
                    proposal: p,
                    salts: Vec::new(),
                })
            }
            _ => Action::Statement(Statement {
                text: format!("Statement {i}"),
            }),
        };
        entries.push(sign_entry(ORIGIN, &EntryBody { time, action }, who)?);
    }

    let t = Instant::now();
    let (mut state, _) = State::genesis(log.verifier_key(), &genesis)?;
    let mut rejected = 0;
    for e in &entries {
        if state.apply(e).is_err() {
            rejected += 1;
        }
    }
    let fold_s = t.elapsed().as_secs_f64();
    let n = entries.len() + 1;

    let sk = SigningKey::generate(&mut rand_core::OsRng);
    let vk = sk.verifying_key();
    let sigs: Vec<_> = entries.iter().map(|m| sk.sign(m)).collect();
    let t = Instant::now();
    for (m, s) in entries.iter().zip(&sigs) {
        vk.verify(m, s)?;
    }
    let ed_s = t.elapsed().as_secs_f64();
    println!(
        "| fold of {n} entries ({} proposals; {rejected} votes refused as late or duplicate) | {:.0} entries/s ({fold_s:.2} s); bare Ed25519 verify {:.0}/s, ratio {:.2} |",
        state.proposals().count(),
        n as f64 / fold_s,
        entries.len() as f64 / ed_s,
        (n as f64 / fold_s) / (entries.len() as f64 / ed_s)
    );
    Ok(())
}
