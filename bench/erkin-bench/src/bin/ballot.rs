//! Secret-ballot benchmark (issue 15; not a test): per ballot, proving
//! (`semaphore-rs` 0.6.0, what the CLI will run) and verifying (erkin-core's
//! `ballot::Verifier`: decoding with its checks, then Groth16), and the
//! tally of electorates of 20, 200 and 2,000 (the electorate tree built
//! once, every ballot decoded and verified, the last per nullifier kept) —
//! beside the open vote it replaces, measured in the same run: a member's
//! signed `vote` entry (Ed25519 signing, and parsing and verifying the
//! entry), and the same tally over open votes.
//!
//! Run: `cargo run --release -p erkin-bench --bin ballot [-- --proofs 3]`.
//! The electorate's members all vote; a tally verifies `n` ballots made from
//! a few real proofs (proving 2,000 takes about 15 minutes on two cores, and
//! a Groth16 verification costs the same for any valid proof), each ballot
//! decoded from its hex as the fold would.

use std::collections::BTreeMap;
use std::time::Instant;

use anyhow::{anyhow, Result};
use erkin_bench::arg;
use erkin_core::action::{Action, Ballot, Vote};
use erkin_core::ballot::{self, BallotProof, ElectorateTree, FieldElement, Proof, Verifier};
use erkin_core::entry::{sign_entry, EntryBody, ParsedEntry};
use erkin_core::keys::SecretKey;
use semaphore_rs::identity::Identity;
use semaphore_rs::packed_proof::PackedProof;
use semaphore_rs::poseidon_tree::{Branch, Proof as MerklePath};
use semaphore_rs::protocol::{generate_nullifier_hash, generate_proof};
use semaphore_rs::Field;

const ORIGIN: &str = "bench.example/ballot";
const T0: u64 = 1_790_000_000;
const PROPOSAL: u64 = 14;

fn fe(x: Field) -> FieldElement {
    FieldElement::from_be_bytes(x.to_be_bytes::<32>()).expect("canonical")
}

fn field(x: FieldElement) -> Field {
    Field::from_be_bytes(x.to_be_bytes())
}

/// A ballot as the log will carry it: hex fields, and the content the
/// signal is computed from.
struct Published {
    root: String,
    nullifier: String,
    seq: u64,
    choice: Ballot,
    proof: String,
}

fn prove(
    id: &Identity,
    tree: &ElectorateTree,
    index: usize,
    scope: FieldElement,
    choice: &Ballot,
) -> Result<Published> {
    let signal = ballot::signal(ORIGIN, PROPOSAL, 1, &ballot::choice_json(choice)?);
    let path = tree.path(index).ok_or_else(|| anyhow!("no leaf {index}"))?;
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
    let proof = generate_proof(id, &MerklePath { 0: branches }, field(scope), field(signal))?;
    Ok(Published {
        root: tree.root().to_hex(),
        nullifier: fe(generate_nullifier_hash(id, field(scope))).to_hex(),
        seq: 1,
        choice: choice.clone(),
        proof: hex::encode(PackedProof::from(proof).0),
    })
}

/// What the fold does with one published ballot: decode, recompute the
/// signal, verify against the proposal's scope and roots.
fn check(
    v: &Verifier,
    b: &Published,
    scope: FieldElement,
    roots: &[FieldElement],
) -> Result<FieldElement> {
    let nullifier = FieldElement::from_hex(&b.nullifier)?;
    let ballot = BallotProof {
        root: FieldElement::from_hex(&b.root)?,
        nullifier,
        signal: ballot::signal(ORIGIN, PROPOSAL, b.seq, &ballot::choice_json(&b.choice)?),
        scope,
        proof: Proof::from_hex(&b.proof)?,
    };
    v.verify(&ballot, scope, roots)?;
    Ok(nullifier)
}

fn ms(s: f64) -> String {
    format!("{:.3} ms", s * 1e3)
}

fn main() -> Result<()> {
    let proofs: usize = arg("--proofs", 3)?;
    let verifies: usize = arg("--verifies", 200)?;
    let choices = [Ballot::Yes, Ballot::No, Ballot::Abstain];
    let scope = ballot::scope(ORIGIN, PROPOSAL, &[7; 32]);

    // The open vote: one member signs a vote entry; the fold parses and
    // verifies it.
    let log = SecretKey::generate(&mut rand_core::OsRng, ORIGIN)?;
    let member = SecretKey::generate(&mut rand_core::OsRng, "aigerim")?;
    let body = EntryBody {
        time: T0,
        action: Action::Vote(Vote {
            proposal: PROPOSAL,
            ballot: Ballot::Yes,
        }),
    };
    let rounds = 2_000;
    let t = Instant::now();
    let mut signed = Vec::new();
    for _ in 0..rounds {
        signed = sign_entry(ORIGIN, &body, &member)?;
    }
    let ed_sign = t.elapsed().as_secs_f64() / rounds as f64;
    let key = member.verifier_key();
    let t = Instant::now();
    for _ in 0..rounds {
        ParsedEntry::parse(&signed, ORIGIN)?.verify_by(key)?;
    }
    let ed_verify = t.elapsed().as_secs_f64() / rounds as f64;
    drop(log);

    let t = Instant::now();
    let verifier = Verifier::semaphore_v3_16()?;
    let prepare = t.elapsed().as_secs_f64();

    println!("| what | secret ballot | open vote (Ed25519 entry) | ratio |");
    println!("|---|---|---|---|");
    let mut first_proof = None;
    for n in [20usize, 200, 2000] {
        let ids: Vec<Identity> = (0..n)
            .map(|i| {
                let mut secret = [0u8; 32];
                secret[..8].copy_from_slice(&(i as u64).to_le_bytes());
                secret[8..16].copy_from_slice(&(n as u64).to_le_bytes());
                Identity::from_secret(&mut secret, None)
            })
            .collect();
        let leaves: Vec<FieldElement> = ids.iter().map(|id| fe(id.commitment())).collect();
        let t = Instant::now();
        let tree = ElectorateTree::new(&leaves)?;
        let tree_s = t.elapsed().as_secs_f64();
        let roots = [tree.root()];

        // Proving: a few members of this electorate.
        let mut made = Vec::new();
        let mut prove_s = Vec::new();
        for k in 0..proofs.max(1) {
            let index = (k * 7919) % n;
            let t = Instant::now();
            made.push(prove(&ids[index], &tree, index, scope, &choices[k % 3])?);
            prove_s.push(t.elapsed().as_secs_f64());
        }
        if first_proof.is_none() {
            first_proof = Some(prove_s[0]);
        }
        // The first proof of the run also loads the proving key and witness
        // graph; the median of the others is the steady cost.
        let mut steady: Vec<f64> = if n == 20 && prove_s.len() > 1 {
            prove_s[1..].to_vec()
        } else {
            prove_s.clone()
        };
        steady.sort_by(f64::total_cmp);
        let prove_med = steady[steady.len() / 2];

        // Verifying one ballot (decode + signal + Groth16), `verifies` times.
        let t = Instant::now();
        for i in 0..verifies {
            check(&verifier, &made[i % made.len()], scope, &roots)?;
        }
        let verify_s = t.elapsed().as_secs_f64() / verifies as f64;

        // The tally: tree + every member's ballot verified + last per
        // nullifier counted.
        let t = Instant::now();
        let tree2 = ElectorateTree::new(&leaves)?;
        let roots2 = [tree2.root()];
        let mut counted: BTreeMap<FieldElement, usize> = BTreeMap::new();
        // (Only `made.len()` distinct nullifiers: the map's cost is the
        // same order as a real tally's, and negligible beside Groth16.)
        for i in 0..n {
            let b = &made[i % made.len()];
            let nullifier = check(&verifier, b, scope, &roots2)?;
            counted.insert(nullifier, i);
        }
        let tally_s = t.elapsed().as_secs_f64();

        // The same tally over open votes: n members' signed vote entries,
        // each parsed and verified, the last per member kept.
        let keys: Vec<SecretKey> = (0..n)
            .map(|i| SecretKey::generate(&mut rand_core::OsRng, &format!("m{i}")))
            .collect::<Result<_, _>>()?;
        let votes: Vec<Vec<u8>> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let body = EntryBody {
                    time: T0 + i as u64,
                    action: Action::Vote(Vote {
                        proposal: PROPOSAL,
                        ballot: choices[i % 3].clone(),
                    }),
                };
                sign_entry(ORIGIN, &body, k)
            })
            .collect::<Result<_, _>>()?;
        let vkeys: Vec<_> = keys.iter().map(|k| k.verifier_key()).collect();
        let t = Instant::now();
        let mut open: BTreeMap<String, usize> = BTreeMap::new();
        for (i, (v, k)) in votes.iter().zip(&vkeys).enumerate() {
            let e = ParsedEntry::parse(v, ORIGIN)?;
            e.verify_by(k)?;
            open.insert(e.signer().0.to_string(), i);
        }
        let open_s = t.elapsed().as_secs_f64();
        assert_eq!(open.len(), n);
        assert!(!counted.is_empty());

        println!(
            "| {n} members: sign one ballot (prove; median of {}) | {} | {} | {:.0} |",
            steady.len(),
            ms(prove_med),
            ms(ed_sign),
            prove_med / ed_sign
        );
        println!(
            "| {n} members: verify one ballot (decode, checks, Groth16; mean of {verifies}) | {} | {} | {:.0} |",
            ms(verify_s),
            ms(ed_verify),
            verify_s / ed_verify
        );
        println!(
            "| {n} members: electorate tree (level by level) | {} | — | — |",
            ms(tree_s)
        );
        println!(
            "| {n} members: tally of {n} ballots (tree + verify each + last per nullifier; {} distinct proofs reused) | {} | {} | {:.0} |",
            made.len(),
            ms(tally_s),
            ms(open_s),
            tally_s / open_s
        );
    }
    println!(
        "| preparing the pinned verifying key (once per fold) | {} | — | — |",
        ms(prepare)
    );
    if let Some(p) = first_proof {
        println!(
            "| the run's first proof (loads the proving key and witness graph) | {} | — | — |",
            ms(p)
        );
    }
    Ok(())
}
