//! Single transferable vote: Scottish STV (the weighted inclusive Gregory
//! method, WIGM) with a Droop quota, counted in exact rational arithmetic.
//!
//! The rules, as the Scottish Local Government Elections Order 2007 has them,
//! with two documented differences:
//! - **Exact arithmetic.** Transfer values are exact fractions (the Order
//!   truncates to five decimal places). Anyone can recount with the BLT file
//!   and any exact WIGM counter.
//! - **Deterministic lot.** Where the Order draws lots, we order the tied
//!   candidates by SHA-256(seed ‖ candidate name) and take the first. The
//!   seed is fixed when the election is proposed, so the lot cannot be chosen
//!   after the ballots are known.
//!
//! The count:
//! 1. Quota = floor(valid ballots / (seats + 1)) + 1.
//! 2. First preferences are counted.
//! 3. Every continuing candidate with at least the quota is elected, most
//!    votes first.
//! 4. If an elected candidate has an untransferred surplus, the largest is
//!    transferred: every ballot the candidate holds moves to its next
//!    continuing preference at value × surplus / candidate's total; ballots
//!    with no further continuing preference are non-transferable.
//! 5. Otherwise the continuing candidate with the fewest votes is excluded and
//!    all their ballots move on at their current value.
//! 6. When the continuing candidates are no more than the seats left, they are
//!    all elected. The count ends, recording no further stage, when all
//!    seats are filled or no candidate is left continuing.
//!
//! Ties (for largest surplus, fewest votes, or order of election) are broken
//! by the most recent earlier stage at which the tied candidates had unequal
//! votes, then by the lot.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::Zero;
use sha2::{Digest, Sha256};

/// Limits that keep a hostile BLT file or election from exhausting memory.
pub const MAX_CANDIDATES: usize = 1000;
pub const MAX_BALLOT_LINES: usize = 2_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    pub weight: u64,
    /// Candidate indexes, most preferred first. May be empty (a blank ballot).
    pub ranking: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Election {
    pub seats: usize,
    pub candidates: Vec<String>,
    pub ballots: Vec<Ballot>,
    /// Seeds the lot for ties no earlier stage breaks.
    pub seed: [u8; 32],
}

#[derive(Debug, Clone, PartialEq)]
pub enum StageKind {
    FirstPreferences,
    Surplus { from: usize },
    Exclusion { of: usize },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    pub kind: StageKind,
    /// Each candidate's votes after this stage.
    pub votes: Vec<BigRational>,
    pub non_transferable: BigRational,
    /// Candidates elected at the end of this stage.
    pub elected: Vec<usize>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// In order of election.
    pub elected: Vec<usize>,
    pub quota: BigRational,
    pub stages: Vec<Stage>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum StvError {
    #[error("an election needs at least one seat and one candidate")]
    Empty,
    #[error("too many candidates ({0}; the limit is {MAX_CANDIDATES})")]
    TooManyCandidates(usize),
    #[error("ballot {ballot} ranks candidate {candidate}, but there are only {count} candidates")]
    UnknownCandidate {
        ballot: usize,
        candidate: usize,
        count: usize,
    },
    #[error("ballot {ballot} ranks candidate {candidate} twice")]
    DuplicateRanking { ballot: usize, candidate: usize },
    #[error("BLT line {line}: {reason}")]
    Blt { line: usize, reason: String },
    #[error("the ballot weights add up to more than {}", u64::MAX)]
    TotalWeightOverflow,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Continuing,
    Elected,
    Excluded,
}

/// A ballot paper in a candidate's pile: which ballot, how far down its
/// ranking it has travelled, and its current value.
struct Paper {
    ballot: usize,
    position: usize,
    value: BigRational,
}

impl Election {
    fn validate(&self) -> Result<(), StvError> {
        if self.seats == 0 || self.candidates.is_empty() {
            return Err(StvError::Empty);
        }
        if self.candidates.len() > MAX_CANDIDATES {
            return Err(StvError::TooManyCandidates(self.candidates.len()));
        }
        for (b, ballot) in self.ballots.iter().enumerate() {
            let mut seen = vec![false; self.candidates.len()];
            for &c in &ballot.ranking {
                let slot = seen.get_mut(c).ok_or(StvError::UnknownCandidate {
                    ballot: b,
                    candidate: c,
                    count: self.candidates.len(),
                })?;
                if *slot {
                    return Err(StvError::DuplicateRanking {
                        ballot: b,
                        candidate: c,
                    });
                }
                *slot = true;
            }
        }
        // The quota is computed from the total weight: it must not wrap.
        self.ballots
            .iter()
            .try_fold(0u64, |sum, b| sum.checked_add(b.weight))
            .ok_or(StvError::TotalWeightOverflow)?;
        Ok(())
    }
}

/// Counts an election.
pub fn count(e: &Election) -> Result<Outcome, StvError> {
    e.validate()?;
    let n = e.candidates.len();
    // Summed wide: `validate` bounds the total by u64::MAX, and this cannot
    // wrap even without that bound.
    let valid: u128 = e
        .ballots
        .iter()
        .filter(|b| !b.ranking.is_empty())
        .map(|b| u128::from(b.weight))
        .sum();
    let quota = BigRational::from_integer(BigInt::from(valid / (e.seats as u128 + 1) + 1));
    let lot = lot_order(e);
    let mut counter = Counter {
        e,
        status: vec![Status::Continuing; n],
        votes: vec![BigRational::zero(); n],
        piles: (0..n).map(|_| Vec::new()).collect(),
        non_transferable: BigRational::zero(),
        history: Vec::new(),
        lot,
    };
    for (i, b) in e.ballots.iter().enumerate() {
        if b.weight == 0 {
            continue;
        }
        let paper = Paper {
            ballot: i,
            position: 0,
            value: BigRational::from_integer(BigInt::from(b.weight)),
        };
        counter.place(paper);
    }
    let mut elected: Vec<usize> = Vec::new();
    let mut untransferred: Vec<usize> = Vec::new();
    let mut stages = Vec::new();
    let mut kind = StageKind::FirstPreferences;
    loop {
        counter.history.push(counter.votes.clone());
        // Elect everyone at or over the quota, most votes first.
        let mut reached: Vec<usize> = (0..n)
            .filter(|&c| counter.status[c] == Status::Continuing && counter.votes[c] >= quota)
            .collect();
        let mut now = Vec::new();
        while !reached.is_empty() && elected.len() < e.seats {
            let c = counter.pick(&reached, Pick::Most);
            reached.retain(|&x| x != c);
            counter.status[c] = Status::Elected;
            elected.push(c);
            untransferred.push(c);
            now.push(c);
        }
        let continuing: Vec<usize> = (0..n)
            .filter(|&c| counter.status[c] == Status::Continuing)
            .collect();
        // Too few continuing candidates left to contest: they all win.
        let mut continuing = continuing;
        if elected.len() < e.seats && continuing.len() <= e.seats - elected.len() {
            let mut rest = std::mem::take(&mut continuing);
            while !rest.is_empty() {
                let c = counter.pick(&rest, Pick::Most);
                rest.retain(|&x| x != c);
                counter.status[c] = Status::Elected;
                elected.push(c);
                now.push(c);
            }
        }
        stages.push(Stage {
            kind: kind.clone(),
            votes: counter.votes.clone(),
            non_transferable: counter.non_transferable.clone(),
            elected: now,
        });
        // Every seat filled, or every candidate elected or excluded: the
        // count is over, and no further stage is recorded.
        if elected.len() >= e.seats || continuing.is_empty() {
            break;
        }
        untransferred.retain(|&c| counter.votes[c] > quota);
        if !untransferred.is_empty() {
            let c = counter.pick(&untransferred, Pick::Most);
            untransferred.retain(|&x| x != c);
            counter.transfer_surplus(c, &quota);
            kind = StageKind::Surplus { from: c };
        } else {
            let c = counter.pick(&continuing, Pick::Fewest);
            counter.status[c] = Status::Excluded;
            counter.transfer_all(c);
            kind = StageKind::Exclusion { of: c };
        }
    }
    Ok(Outcome {
        elected,
        quota,
        stages,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pick {
    Most,
    Fewest,
}

struct Counter<'a> {
    e: &'a Election,
    status: Vec<Status>,
    votes: Vec<BigRational>,
    piles: Vec<Vec<Paper>>,
    non_transferable: BigRational,
    /// Votes at the end of each stage, for breaking ties by looking back.
    history: Vec<Vec<BigRational>>,
    /// Rank of each candidate in the lot (lower = drawn first).
    lot: Vec<usize>,
}

impl Counter<'_> {
    /// Gives a paper to its next continuing preference at or after its
    /// position, or sets it aside as non-transferable.
    fn place(&mut self, mut paper: Paper) {
        let ranking = &self.e.ballots[paper.ballot].ranking;
        while let Some(&c) = ranking.get(paper.position) {
            if self.status[c] == Status::Continuing {
                self.votes[c] += &paper.value;
                self.piles[c].push(paper);
                return;
            }
            paper.position += 1;
        }
        self.non_transferable += &paper.value;
    }

    fn transfer_surplus(&mut self, c: usize, quota: &BigRational) {
        let total = std::mem::replace(&mut self.votes[c], quota.clone());
        let factor = (&total - quota) / &total;
        for mut paper in std::mem::take(&mut self.piles[c]) {
            paper.value *= &factor;
            paper.position += 1;
            self.place(paper);
        }
    }

    fn transfer_all(&mut self, c: usize) {
        self.votes[c] = BigRational::zero();
        for mut paper in std::mem::take(&mut self.piles[c]) {
            paper.position += 1;
            self.place(paper);
        }
    }

    /// Picks the candidate with the most (or fewest) votes among `among`,
    /// breaking ties by the latest earlier stage that separates them, then
    /// by the lot.
    fn pick(&self, among: &[usize], pick: Pick) -> usize {
        let extreme = |set: &[usize], votes: &[BigRational]| -> Vec<usize> {
            let best = set
                .iter()
                .map(|&c| &votes[c])
                .reduce(|a, b| match pick {
                    Pick::Most => a.max(b),
                    Pick::Fewest => a.min(b),
                })
                .expect("non-empty");
            set.iter().copied().filter(|&c| &votes[c] == best).collect()
        };
        let mut tied = extreme(among, &self.votes);
        for past in self.history.iter().rev() {
            if tied.len() == 1 {
                break;
            }
            tied = extreme(&tied, past);
        }
        *tied
            .iter()
            .min_by_key(|&&c| self.lot[c])
            .expect("non-empty")
    }
}

fn lot_order(e: &Election) -> Vec<usize> {
    let mut keyed: Vec<([u8; 32], usize)> = e
        .candidates
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let mut h = Sha256::new();
            h.update(e.seed);
            h.update(name.as_bytes());
            (h.finalize().into(), i)
        })
        .collect();
    keyed.sort();
    let mut rank = vec![0; e.candidates.len()];
    for (r, (_, i)) in keyed.into_iter().enumerate() {
        rank[i] = r;
    }
    rank
}

/// Writes the election in BLT format, anonymised: identical rankings are
/// merged into one weighted line and lines are sorted, so nothing reveals who
/// voted or in what order. Names and the title are quoted by
/// [`blt_quote`], so every name reads back exactly.
pub fn to_blt(e: &Election, title: &str) -> String {
    // Summed wide, so merged weights never wrap (a total past u64::MAX is
    // refused when the file is read: `StvError::TotalWeightOverflow`).
    let mut merged: std::collections::BTreeMap<&[usize], u128> = std::collections::BTreeMap::new();
    for b in &e.ballots {
        if b.weight > 0 {
            *merged.entry(&b.ranking).or_default() += u128::from(b.weight);
        }
    }
    let mut out = format!("{} {}\n", e.candidates.len(), e.seats);
    for (ranking, weight) in merged {
        out.push_str(&weight.to_string());
        for c in ranking {
            out.push_str(&format!(" {}", c + 1));
        }
        out.push_str(" 0\n");
    }
    out.push_str("0\n");
    for name in &e.candidates {
        out.push_str(&blt_quote(name));
        out.push('\n');
    }
    out.push_str(&blt_quote(title));
    out.push('\n');
    out
}

/// A name or title as a BLT quoted string: in double quotes, with `\` and
/// `"` escaped by a backslash (`\\`, `\"`), as the BLT readers that accept
/// quotes in names (Droop's among them) read them; a line break or carriage
/// return is written `\n` or `\r`, so each name stays on its own line.
pub fn blt_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Reads one [`blt_quote`]d string (the whole trimmed line).
fn blt_unquote(line: &str) -> Result<String, &'static str> {
    let inner = line
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .filter(|_| line.len() >= 2)
        .ok_or("names and the title must be in double quotes")?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => match chars.next() {
                Some('\\') => out.push('\\'),
                Some('"') => out.push('"'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                _ => return Err("a backslash in a name must be followed by \\, \", n or r"),
            },
            '"' => return Err("a double quote inside a name must be written \\\""),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Reads a BLT file. Withdrawn candidates (`-n` lines) and equal rankings
/// (`=`) are not supported and are refused. The seed is all zeros: a BLT file
/// carries none, so give the election's own seed to reproduce its lot.
pub fn parse_blt(text: &str) -> Result<(Election, String), StvError> {
    let err = |line: usize, reason: &str| StvError::Blt {
        line: line + 1,
        reason: reason.to_string(),
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (hl, header) = lines
        .next()
        .ok_or_else(|| err(0, "empty file: expected a header 'candidates seats'"))?;
    let nums: Vec<&str> = header.split_whitespace().collect();
    let [nc, ns] = nums[..] else {
        return Err(err(hl, "the header must be 'candidates seats'"));
    };
    let nc: usize = nc
        .parse()
        .map_err(|_| err(hl, "the header's candidate count is not a number"))?;
    let seats: usize = ns
        .parse()
        .map_err(|_| err(hl, "the header's seat count is not a number"))?;
    if nc > MAX_CANDIDATES {
        return Err(StvError::TooManyCandidates(nc));
    }
    let mut ballots = Vec::new();
    loop {
        let (ln, line) = lines
            .next()
            .ok_or_else(|| err(hl, "ballots must end with a line holding only 0"))?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields == ["0"] {
            break;
        }
        if fields.first().is_some_and(|f| f.starts_with('-')) {
            return Err(err(ln, "withdrawn candidates are not supported"));
        }
        if ballots.len() == MAX_BALLOT_LINES {
            return Err(err(ln, "too many ballot lines"));
        }
        let (last, body) = fields
            .split_last()
            .ok_or_else(|| err(ln, "empty ballot line"))?;
        if *last != "0" {
            return Err(err(ln, "a ballot line must end with 0"));
        }
        let (w, prefs) = body
            .split_first()
            .ok_or_else(|| err(ln, "a ballot line needs a weight"))?;
        let weight: u64 = w
            .parse()
            .map_err(|_| err(ln, "the ballot weight is not a number"))?;
        let mut ranking = Vec::with_capacity(prefs.len());
        for p in prefs {
            if p.contains('=') {
                return Err(err(ln, "equal rankings (=) are not supported"));
            }
            let c: usize = p
                .parse()
                .map_err(|_| err(ln, "a preference is not a candidate number"))?;
            if c == 0 || c > nc {
                return Err(err(ln, &format!("candidate {c} is out of range 1..={nc}")));
            }
            if ranking.contains(&(c - 1)) {
                return Err(err(ln, &format!("duplicate candidate {c} in one ranking")));
            }
            ranking.push(c - 1);
        }
        ballots.push(Ballot { weight, ranking });
    }
    let mut names = Vec::with_capacity(nc + 1);
    for (ln, line) in lines {
        let name = blt_unquote(line.trim()).map_err(|reason| err(ln, reason))?;
        names.push(name);
    }
    if names.len() < nc {
        return Err(err(
            hl,
            &format!("expected {nc} candidate names, found {}", names.len()),
        ));
    }
    let title = if names.len() > nc {
        names.pop().unwrap_or_default()
    } else {
        String::new()
    };
    if names.len() != nc {
        return Err(err(hl, "more quoted lines than candidates and a title"));
    }
    let election = Election {
        seats,
        candidates: names,
        ballots,
        seed: [0; 32],
    };
    election.validate()?;
    Ok((election, title))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn election(seats: usize, names: &[&str], ballots: &[(u64, &[usize])]) -> Election {
        Election {
            seats,
            candidates: names.iter().map(|s| s.to_string()).collect(),
            ballots: ballots
                .iter()
                .map(|(w, r)| Ballot {
                    weight: *w,
                    ranking: r.to_vec(),
                })
                .collect(),
            seed: [0; 32],
        }
    }

    /// Wikipedia, "Single transferable vote", section "Example" (the food
    /// election): 20 voters, 3 seats, Droop quota 6; elected Chocolate,
    /// Oranges, Strawberries.
    #[test]
    fn wikipedia_food_election() {
        let e = election(
            3,
            &[
                "Oranges",
                "Pears",
                "Chocolate",
                "Strawberries",
                "Hamburgers",
            ],
            &[
                (4, &[0]),
                (2, &[1, 0]),
                (8, &[2, 3]),
                (4, &[2, 4]),
                (1, &[3]),
                (1, &[4]),
            ],
        );
        let out = count(&e).unwrap();
        assert_eq!(out.quota, BigRational::from_integer(6.into()));
        assert_eq!(out.elected, vec![2, 0, 3]);
        // Chocolate's surplus of 6 goes 8/12 to Strawberries, 4/12 to Hamburgers.
        assert_eq!(out.stages[1].kind, StageKind::Surplus { from: 2 });
        assert_eq!(out.stages[1].votes[3], BigRational::from_integer(5.into()));
        assert_eq!(out.stages[1].votes[4], BigRational::from_integer(3.into()));
    }

    #[test]
    fn exact_fractions_are_kept() {
        // 7 ballots, 2 seats: quota 3. A's surplus 2/5 of each of 5 ballots.
        let e = election(2, &["A", "B", "C"], &[(5, &[0, 1]), (1, &[2]), (1, &[1])]);
        let out = count(&e).unwrap();
        assert_eq!(out.elected, vec![0, 1]);
        assert_eq!(out.stages[1].votes[1], BigRational::new(3.into(), 1.into()));
    }

    #[test]
    fn blt_round_trip_and_rejections() {
        let e = election(1, &["A", "B"], &[(2, &[0, 1]), (1, &[1])]);
        let text = to_blt(&e, "Test");
        assert_eq!(text, "2 1\n2 1 2 0\n1 2 0\n0\n\"A\"\n\"B\"\n\"Test\"\n");
        let (back, title) = parse_blt(&text).unwrap();
        assert_eq!(title, "Test");
        assert_eq!(count(&back).unwrap().elected, count(&e).unwrap().elected);
        assert!(matches!(
            parse_blt("2 1\n1 3 0\n0\n\"A\"\n\"B\"\n"),
            Err(StvError::Blt { .. })
        ));
        assert!(matches!(
            parse_blt("2 1\n1 1 1 0\n0\n\"A\"\n\"B\"\n"),
            Err(StvError::Blt { .. })
        ));
        assert!(matches!(
            parse_blt("2 1\n1 1 0\n"),
            Err(StvError::Blt { .. })
        ));
    }
}
