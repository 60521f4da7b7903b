//! The charter: the publication's constitution, as data in the log.
//!
//! Every decision's rule says explicitly whether it needs `>` or `≥`, a share
//! of votes *cast* (yes + no) or of *members* (the eligible electorate), and
//! what share of members must take part (the quorum; abstentions count toward
//! it, not toward the threshold). Founders set the charter in the genesis
//! entry; members change it by an `amend` proposal.
//!
//! A proposal is judged by the rule in force *when it was proposed*: an
//! amendment never changes the rules of a vote already under way.

use serde::{Deserialize, Serialize};

/// Upper bounds that keep a charter sane.
pub const MAX_SEATS: u32 = 50;
pub const MAX_HOURS: u32 = 24 * 366;
pub const MAX_TERM_DAYS: u32 = 3660;
pub const LANGUAGES: [&str; 3] = ["kk", "ru", "en"];

// ---------------------------------------------------------------------------
// Entrenched floors: no charter, in the genesis entry or by amendment, may go
// below them (`Charter::validate` refuses it). docs/GOVERNANCE.md ("What a
// charter can and cannot change") gives the reasons.

/// Quorum floor for the rules that are irreversible or change the rules
/// themselves (remove, redact, amend): at least half the members take part.
pub const PROTECTED_QUORUM_FLOOR: Fraction = Fraction { num: 1, den: 2 };
/// An amendment passes only with yes from at least two thirds of *all*
/// eligible members (not of those voting): staying away counts as no.
pub const AMEND_THRESHOLD_FLOOR: Threshold = Threshold {
    comparison: Comparison::AtLeast,
    fraction: Fraction { num: 2, den: 3 },
    of: Base::Members,
};
/// No yes/no rule may pass on less than a simple majority of votes cast.
pub const THRESHOLD_FLOOR: Threshold = Threshold {
    comparison: Comparison::Greater,
    fraction: Fraction { num: 1, den: 2 },
    of: Base::Cast,
};
/// The most the amendment rule may demand (its threshold, as a share of all
/// members, and its quorum): three quarters. Unanimity (or anything near
/// it) would let one member, or a handful, block every change for ever;
/// under this cap, more than a quarter of the members must stand together
/// to block one.
pub const AMEND_CAP: Fraction = Fraction { num: 3, den: 4 };
/// The longest voting period the amendment rule may demand: 30 days.
pub const AMEND_MAX_HOURS: u32 = 30 * 24;
/// Shortest nomination period of an election (from the proposal to the
/// nomination deadline): one day.
pub const NOMINATION_HOURS_FLOOR: u32 = 24;
/// Shortest voting period for remove, redact and amend: two days.
pub const PROTECTED_MIN_HOURS_FLOOR: u32 = 48;
/// Shortest voting period for every other decision (admit, elect, retract,
/// resolution): one day.
pub const MIN_HOURS_FLOOR: u32 = 24;
/// The entrenched amendment rule: an amendment that loosens the amendment
/// rule must also meet this, whatever the rule in force says.
pub const ENTRENCHED_AMEND: Rule = Rule {
    threshold: AMEND_THRESHOLD_FLOOR,
    quorum: PROTECTED_QUORUM_FLOOR,
    min_hours: PROTECTED_MIN_HOURS_FLOOR,
    secret: false,
};
/// The decisions whose secrecy is entrenched once on: votes on people
/// (the board, a member's removal, an editor's recall), where pressure on
/// members is greatest. An amendment may make any decision secret, but may
/// not make these open again (docs/BALLOT.md §5.7).
pub const ENTRENCHED_SECRET: [&str; 3] = ["elect", "remove", "recall"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fraction {
    pub num: u32,
    pub den: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Comparison {
    /// Strictly more than the fraction.
    #[serde(rename = ">")]
    Greater,
    /// At least the fraction.
    #[serde(rename = ">=")]
    AtLeast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Base {
    /// Of yes + no votes (abstentions excluded).
    Cast,
    /// Of all eligible members.
    Members,
}

/// "yes must be {comparison} {fraction} of {base}".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Threshold {
    pub comparison: Comparison,
    pub fraction: Fraction,
    pub of: Base,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    pub threshold: Threshold,
    /// Share of eligible members who must vote (yes, no or abstain): met when
    /// voters ≥ quorum × eligible.
    pub quorum: Fraction,
    /// The shortest voting period a proposal of this kind may have.
    pub min_hours: u32,
    /// Whether proposals of this kind are decided by secret ballot
    /// (docs/BALLOT.md). Absent (so its bytes are unchanged) when false: a
    /// charter written before secret ballots reads every kind as open.
    #[serde(default, skip_serializing_if = "is_false")]
    pub secret: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// Elections are counted by STV; only participation and time are ruled
/// here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ElectionRule {
    pub quorum: Fraction,
    /// The shortest voting period, counted from the nomination deadline.
    pub min_hours: u32,
    /// The shortest nomination period, from the proposal to its nomination
    /// deadline (a charter written before nominations: 72).
    #[serde(default = "default_nomination_hours")]
    pub nomination_hours: u32,
    /// Whether elections are by secret ballot (see [`Rule::secret`]).
    #[serde(default, skip_serializing_if = "is_false")]
    pub secret: bool,
}

fn default_nomination_hours() -> u32 {
    72
}

fn default_recall() -> Rule {
    Charter::default().recall
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardRule {
    /// Seats on the editorial board.
    pub seats: u32,
    /// How long an elected board serves, in days.
    pub term_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Charter {
    /// Languages the publication writes in (kk, ru, en).
    pub languages: Vec<String>,
    pub admit: Rule,
    pub remove: Rule,
    pub elect: ElectionRule,
    pub amend: Rule,
    pub retract: Rule,
    pub redact: Rule,
    pub resolution: Rule,
    /// Recalling one editor from the board (the seat, not the membership).
    /// A charter written before recall reads the default.
    #[serde(default = "default_recall")]
    pub recall: Rule,
    pub board: BoardRule,
    /// The publication's time zone (an IANA name such as "Asia/Almaty"), in
    /// which readers are shown dates; absent means [`DEFAULT_TIME_ZONE`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

/// The time zone of a charter that names none.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Almaty";

const fn frac(num: u32, den: u32) -> Fraction {
    Fraction { num, den }
}

const fn rule(
    comparison: Comparison,
    fraction: Fraction,
    quorum: Fraction,
    min_hours: u32,
) -> Rule {
    Rule {
        threshold: Threshold {
            comparison,
            fraction,
            of: Base::Cast,
        },
        quorum,
        min_hours,
        secret: false,
    }
}

impl Default for Charter {
    /// The defaults of DESIGN.md §4. Every decision is open (roll-call)
    /// for now: secret ballots are cast by the sequencer, the command line
    /// and the desk, which do not do so yet (docs/BALLOT.md, "What is
    /// built"); a charter may already make any kind secret.
    fn default() -> Self {
        use Comparison::*;
        Self {
            languages: LANGUAGES.iter().map(|s| s.to_string()).collect(),
            // yes > no  ==  yes > 1/2 of cast
            admit: rule(Greater, frac(1, 2), frac(1, 3), 72),
            // Irreversible: two thirds of cast, half the members voting.
            remove: rule(AtLeast, frac(2, 3), frac(1, 2), 168),
            elect: ElectionRule {
                quorum: frac(1, 3),
                min_hours: 168,
                nomination_hours: 72,
                secret: false,
            },
            // Two thirds of all members: the entrenched floor.
            amend: Rule {
                threshold: AMEND_THRESHOLD_FLOOR,
                quorum: frac(1, 2),
                min_hours: 168,
                secret: false,
            },
            retract: rule(Greater, frac(1, 2), frac(1, 3), 72),
            // Irreversible (the text is gone from every copy): like removal.
            redact: rule(AtLeast, frac(2, 3), frac(1, 2), 72),
            resolution: rule(Greater, frac(1, 2), frac(1, 3), 72),
            // Overturns an election: two thirds of cast, half the members
            // voting, like the irreversible acts (an editor under pressure
            // is not unseated by a small, quick majority).
            recall: rule(AtLeast, frac(2, 3), frac(1, 2), 72),
            board: BoardRule {
                seats: 3,
                term_days: 365,
            },
            time_zone: None,
        }
    }
}

/// The count of a yes/no vote among the eligible members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub yes: u64,
    pub no: u64,
    pub abstain: u64,
    pub eligible: u64,
}

impl Tally {
    pub fn voters(&self) -> u64 {
        self.yes + self.no + self.abstain
    }
}

/// True when `part ≥ fraction × whole`, in exact integer arithmetic.
pub fn quorum_met(voters: u64, eligible: u64, quorum: Fraction) -> bool {
    u128::from(voters) * u128::from(quorum.den) >= u128::from(quorum.num) * u128::from(eligible)
}

impl Threshold {
    /// Whether `tally` passes. A proposal never passes without at least one
    /// yes vote, even under a `≥ 0` rule or when every voter abstained.
    pub fn passes(&self, t: &Tally) -> bool {
        if t.yes == 0 {
            return false;
        }
        let base = match self.of {
            Base::Cast => t.yes + t.no,
            Base::Members => t.eligible,
        };
        let lhs = u128::from(t.yes) * u128::from(self.fraction.den);
        let rhs = u128::from(self.fraction.num) * u128::from(base);
        match self.comparison {
            Comparison::Greater => lhs > rhs,
            Comparison::AtLeast => lhs >= rhs,
        }
    }
}

/// `a ≥ b` for fractions, exactly.
fn frac_ge(a: Fraction, b: Fraction) -> bool {
    u64::from(a.num) * u64::from(b.den) >= u64::from(b.num) * u64::from(a.den)
}

fn frac_eq(a: Fraction, b: Fraction) -> bool {
    frac_ge(a, b) && frac_ge(b, a)
}

impl Threshold {
    /// Whether every tally that passes `self` also passes `other`'s
    /// requirement, i.e. `self` is at least as strict as `other`. A share of
    /// members is at least as strict as the same share of votes cast.
    pub fn at_least_as_strict_as(&self, other: &Threshold) -> bool {
        if self.of == Base::Cast && other.of == Base::Members {
            return false;
        }
        if frac_eq(self.fraction, other.fraction) {
            self.comparison == Comparison::Greater || other.comparison == Comparison::AtLeast
        } else {
            frac_ge(self.fraction, other.fraction)
        }
    }
}

impl Rule {
    /// Whether `self` is at least as strict as `other` in threshold, quorum
    /// and minimum period.
    pub fn at_least_as_strict_as(&self, other: &Rule) -> bool {
        self.threshold.at_least_as_strict_as(&other.threshold)
            && frac_ge(self.quorum, other.quorum)
            && self.min_hours >= other.min_hours
    }
}

/// Whether an amendment to `proposed` loosens the amendment rule `in_force`
/// (a lower threshold, a lower quorum or a shorter period, in any part).
pub fn loosens_amendment_rule(in_force: &Rule, proposed: &Charter) -> bool {
    !proposed.amend.at_least_as_strict_as(in_force)
}

/// How an amendment to `proposed` is judged, proposed under the amendment
/// rule `in_force`: (quorum met, passed). Tightening (or leaving alone) the
/// amendment rule needs only the rule in force; loosening it needs the
/// entrenched majority ([`ENTRENCHED_AMEND`]) as well, even if the rule in
/// force were looser.
pub fn judge_amendment(in_force: &Rule, proposed: &Charter, t: &Tally) -> (bool, bool) {
    let mut quorum = quorum_met(t.voters(), t.eligible, in_force.quorum);
    let mut passed = in_force.threshold.passes(t);
    if loosens_amendment_rule(in_force, proposed) {
        quorum &= quorum_met(t.voters(), t.eligible, ENTRENCHED_AMEND.quorum);
        passed &= ENTRENCHED_AMEND.threshold.passes(t);
    }
    (quorum, quorum && passed)
}

/// The shortest voting period for an amendment to `proposed` under the
/// amendment rule `in_force`.
pub fn amendment_min_hours(in_force: &Rule, proposed: &Charter) -> u32 {
    if loosens_amendment_rule(in_force, proposed) {
        in_force.min_hours.max(ENTRENCHED_AMEND.min_hours)
    } else {
        in_force.min_hours
    }
}

impl Charter {
    /// The time zone readers are shown dates in.
    pub fn time_zone(&self) -> &str {
        self.time_zone.as_deref().unwrap_or(DEFAULT_TIME_ZONE)
    }

    /// Checks the charter makes sense; the error names the field.
    pub fn validate(&self) -> Result<(), CharterError> {
        if let Some(tz) = &self.time_zone {
            // The IANA database bundled into the binary: no file is read.
            if tz.len() > 64 || jiff::tz::db().get(tz).is_err() {
                return Err(CharterError::UnknownTimeZone {
                    zone: tz.chars().take(64).collect(),
                });
            }
        }
        if self.languages.is_empty() {
            return Err(CharterError::NoLanguages);
        }
        let mut seen = Vec::new();
        for l in &self.languages {
            if !LANGUAGES.contains(&l.as_str()) {
                return Err(CharterError::UnknownLanguage { lang: l.clone() });
            }
            if seen.contains(&l) {
                return Err(CharterError::LanguageTwice { lang: l.clone() });
            }
            seen.push(l);
        }
        let fraction_ok = |field: &'static str, f: Fraction| {
            if f.den == 0 || f.num > f.den {
                Err(CharterError::BadFraction { field })
            } else {
                Ok(())
            }
        };
        for (rule, threshold, quorum, r) in [
            (
                "admit",
                "admit.threshold.fraction",
                "admit.quorum",
                &self.admit,
            ),
            (
                "remove",
                "remove.threshold.fraction",
                "remove.quorum",
                &self.remove,
            ),
            (
                "amend",
                "amend.threshold.fraction",
                "amend.quorum",
                &self.amend,
            ),
            (
                "retract",
                "retract.threshold.fraction",
                "retract.quorum",
                &self.retract,
            ),
            (
                "redact",
                "redact.threshold.fraction",
                "redact.quorum",
                &self.redact,
            ),
            (
                "resolution",
                "resolution.threshold.fraction",
                "resolution.quorum",
                &self.resolution,
            ),
            (
                "recall",
                "recall.threshold.fraction",
                "recall.quorum",
                &self.recall,
            ),
        ] {
            fraction_ok(threshold, r.threshold.fraction)?;
            fraction_ok(quorum, r.quorum)?;
            if r.min_hours > MAX_HOURS {
                return Err(CharterError::MinHours {
                    rule,
                    max: MAX_HOURS,
                });
            }
            let protected = matches!(rule, "remove" | "redact" | "amend" | "recall");
            if !r.threshold.at_least_as_strict_as(&THRESHOLD_FLOOR) {
                return Err(CharterError::ThresholdBelowMajority { rule });
            }
            if rule == "amend" && !r.threshold.at_least_as_strict_as(&AMEND_THRESHOLD_FLOOR) {
                return Err(CharterError::AmendmentBelowTwoThirdsOfMembers);
            }
            if rule == "amend" && !amend_within_cap(r) {
                return Err(CharterError::AmendmentAboveCap {
                    cap: AMEND_CAP,
                    max_hours: AMEND_MAX_HOURS,
                });
            }
            if protected && !frac_ge(r.quorum, PROTECTED_QUORUM_FLOOR) {
                return Err(CharterError::QuorumBelowFloor {
                    rule,
                    floor: PROTECTED_QUORUM_FLOOR,
                });
            }
            let floor = if protected {
                PROTECTED_MIN_HOURS_FLOOR
            } else {
                MIN_HOURS_FLOOR
            };
            if r.min_hours < floor {
                return Err(CharterError::PeriodBelowFloor { rule, floor });
            }
        }
        fraction_ok("elect.quorum", self.elect.quorum)?;
        if self.elect.min_hours > MAX_HOURS {
            return Err(CharterError::MinHours {
                rule: "elect",
                max: MAX_HOURS,
            });
        }
        if self.elect.min_hours < MIN_HOURS_FLOOR {
            return Err(CharterError::PeriodBelowFloor {
                rule: "elect",
                floor: MIN_HOURS_FLOOR,
            });
        }
        if self.elect.nomination_hours > MAX_HOURS {
            return Err(CharterError::MinHours {
                rule: "elect.nomination_hours",
                max: MAX_HOURS,
            });
        }
        if self.elect.nomination_hours < NOMINATION_HOURS_FLOOR {
            return Err(CharterError::PeriodBelowFloor {
                rule: "elect.nomination_hours",
                floor: NOMINATION_HOURS_FLOOR,
            });
        }
        if !(1..=MAX_SEATS).contains(&self.board.seats) {
            return Err(CharterError::Seats { max: MAX_SEATS });
        }
        if !(1..=MAX_TERM_DAYS).contains(&self.board.term_days) {
            return Err(CharterError::TermDays { max: MAX_TERM_DAYS });
        }
        Ok(())
    }
}

impl Charter {
    /// Checks a charter proposed by amendment against `in_force`, beyond
    /// [`Charter::validate`]: a decision on people made secret
    /// ([`ENTRENCHED_SECRET`]) stays secret.
    pub fn check_amendment_of(&self, in_force: &Charter) -> Result<(), CharterError> {
        for (rule, was, is) in [
            ("elect.secret", in_force.elect.secret, self.elect.secret),
            ("remove.secret", in_force.remove.secret, self.remove.secret),
            ("recall.secret", in_force.recall.secret, self.recall.secret),
        ] {
            if was && !is {
                return Err(CharterError::SecretEntrenched { rule });
            }
        }
        Ok(())
    }
}

/// Whether the amendment rule `r` demands no more than the cap: a
/// threshold and quorum of at most [`AMEND_CAP`] (a threshold of votes cast
/// is below any share of members, so always within it; "more than 3/4" is
/// above it) and at most [`AMEND_MAX_HOURS`].
fn amend_within_cap(r: &Rule) -> bool {
    let cap = Threshold {
        comparison: Comparison::AtLeast,
        fraction: AMEND_CAP,
        of: Base::Members,
    };
    cap.at_least_as_strict_as(&r.threshold)
        && frac_ge(AMEND_CAP, r.quorum)
        && r.min_hours <= AMEND_MAX_HOURS
}

/// Why a charter is invalid. `field` and `rule` are the charter's own field
/// names (as in its TOML form).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum CharterError {
    #[error("languages: name at least one of kk, ru, en")]
    NoLanguages,
    #[error("languages: {lang:?} is not one of kk, ru, en")]
    UnknownLanguage { lang: String },
    #[error("languages: {lang:?} is listed twice")]
    LanguageTwice { lang: String },
    #[error(
        "time_zone: {zone:?} is not a time zone of the IANA database (such as \"Asia/Almaty\")"
    )]
    UnknownTimeZone { zone: String },
    #[error("{field}: a fraction needs 0 ≤ num ≤ den and den > 0")]
    BadFraction { field: &'static str },
    #[error("{rule}.min_hours: at most {max}")]
    MinHours { rule: &'static str, max: u32 },
    #[error("board.seats: 1 to {max}")]
    Seats { max: u32 },
    #[error("board.term_days: 1 to {max}")]
    TermDays { max: u32 },
    /// An entrenched floor: every yes/no rule needs more than half the votes cast.
    #[error("{rule}.threshold: at least a simple majority (more than 1/2 of votes cast)")]
    ThresholdBelowMajority { rule: &'static str },
    /// An entrenched floor: amendments need two thirds of all members.
    #[error("amend.threshold: at least 2/3 of all members (of = \"members\")")]
    AmendmentBelowTwoThirdsOfMembers,
    /// An entrenched floor: remove, redact and amend need half the members voting.
    #[error("{rule}.quorum: at least {}/{} of members", floor.num, floor.den)]
    QuorumBelowFloor { rule: &'static str, floor: Fraction },
    /// The cap on the amendment rule: at most 3/4 (of members, voting) and
    /// 30 days, so that no small group can block every change.
    #[error("amend: at most {}/{} of all members, a quorum of at most {}/{}, open at most {max_hours} hours", cap.num, cap.den, cap.num, cap.den)]
    AmendmentAboveCap { cap: Fraction, max_hours: u32 },
    /// An entrenched floor: the shortest voting periods.
    #[error("{rule}.min_hours: at least {floor}")]
    PeriodBelowFloor { rule: &'static str, floor: u32 },
    /// Entrenched once on: elections, removals and recalls, once secret,
    /// are not made open again. `rule` names the field (`elect.secret`).
    #[error("{rule}: a vote on people, once secret, stays secret (an amendment may not make it open again)")]
    SecretEntrenched { rule: &'static str },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(yes: u64, no: u64, abstain: u64, eligible: u64) -> Tally {
        Tally {
            yes,
            no,
            abstain,
            eligible,
        }
    }

    #[test]
    fn greater_versus_at_least_at_the_exact_threshold() {
        let c = Charter::default();
        // 2 yes, 1 no: exactly 2/3 of cast.
        assert!(
            c.remove.threshold.passes(&t(2, 1, 0, 3)),
            "≥ 2/3 passes at exactly 2/3"
        );
        let strict = Threshold {
            comparison: Comparison::Greater,
            ..c.remove.threshold
        };
        assert!(!strict.passes(&t(2, 1, 0, 3)), "> 2/3 fails at exactly 2/3");
        // yes > no: a tie fails.
        assert!(!c.admit.threshold.passes(&t(2, 2, 0, 4)));
        assert!(c.admit.threshold.passes(&t(3, 2, 0, 5)));
    }

    #[test]
    fn abstentions_count_for_quorum_not_threshold() {
        let c = Charter::default();
        // 9 members, quorum 1/3 = 3 voters: 1 yes + 2 abstain meets it and passes.
        let tally = t(1, 0, 2, 9);
        assert!(quorum_met(tally.voters(), tally.eligible, c.admit.quorum));
        assert!(c.admit.threshold.passes(&tally));
        assert!(!quorum_met(2, 9, c.admit.quorum));
    }

    #[test]
    fn of_members_counts_non_voters() {
        let th = Threshold {
            comparison: Comparison::AtLeast,
            fraction: Fraction { num: 1, den: 2 },
            of: Base::Members,
        };
        assert!(!th.passes(&t(4, 0, 0, 9)));
        assert!(th.passes(&t(5, 0, 0, 10)));
    }

    #[test]
    fn never_passes_without_a_yes() {
        let th = Threshold {
            comparison: Comparison::AtLeast,
            fraction: Fraction { num: 0, den: 1 },
            of: Base::Cast,
        };
        assert!(!th.passes(&t(0, 0, 5, 5)));
    }

    #[test]
    fn the_time_zone_defaults_to_almaty_and_must_be_known() {
        let mut c = Charter::default();
        assert_eq!(c.time_zone(), "Asia/Almaty");
        c.time_zone = Some("Europe/Moscow".into());
        assert_eq!(c.validate(), Ok(()));
        c.time_zone = Some("Asia/Nowhere".into());
        assert_eq!(
            c.validate(),
            Err(CharterError::UnknownTimeZone {
                zone: "Asia/Nowhere".into()
            })
        );
    }

    #[test]
    fn default_charter_is_valid_and_bad_ones_are_named() {
        Charter::default().validate().unwrap();
        let mut c = Charter::default();
        c.amend.quorum = Fraction { num: 3, den: 2 };
        assert_eq!(
            c.validate(),
            Err(CharterError::BadFraction {
                field: "amend.quorum"
            })
        );
        let mut c = Charter::default();
        c.languages.push("de".into());
        assert_eq!(
            c.validate(),
            Err(CharterError::UnknownLanguage { lang: "de".into() })
        );
        let mut c = Charter::default();
        c.board.seats = 0;
        assert_eq!(c.validate(), Err(CharterError::Seats { max: MAX_SEATS }));
        assert!(c
            .validate()
            .unwrap_err()
            .to_string()
            .starts_with("board.seats"));
    }
}

/// The kinds of yes/no decision a charter rules, in the charter's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    Admit,
    Remove,
    Amend,
    Retract,
    Redact,
    Resolution,
    Recall,
}

/// One rule an amendment changes: the rule in force and the one proposed.
/// Typed, so that the views say it in every language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CharterChange {
    Languages {
        old: Vec<String>,
        new: Vec<String>,
    },
    Rule {
        kind: RuleKind,
        old: Rule,
        new: Rule,
    },
    Election {
        old: ElectionRule,
        new: ElectionRule,
    },
    Board {
        old: BoardRule,
        new: BoardRule,
    },
    /// The time zone readers are shown dates in (IANA names, the default
    /// spelled out when a charter names none).
    TimeZone {
        old: String,
        new: String,
    },
}

/// What changes from the charter `old` to `new`, rule by rule, in the
/// charter's order; empty if nothing does.
pub fn changes(old: &Charter, new: &Charter) -> Vec<CharterChange> {
    let mut out = Vec::new();
    if old.languages != new.languages {
        out.push(CharterChange::Languages {
            old: old.languages.clone(),
            new: new.languages.clone(),
        });
    }
    for (kind, o, n) in [
        (RuleKind::Admit, old.admit, new.admit),
        (RuleKind::Remove, old.remove, new.remove),
        (RuleKind::Amend, old.amend, new.amend),
        (RuleKind::Retract, old.retract, new.retract),
        (RuleKind::Redact, old.redact, new.redact),
        (RuleKind::Resolution, old.resolution, new.resolution),
        (RuleKind::Recall, old.recall, new.recall),
    ] {
        if o != n {
            out.push(CharterChange::Rule {
                kind,
                old: o,
                new: n,
            });
        }
    }
    if old.elect != new.elect {
        out.push(CharterChange::Election {
            old: old.elect,
            new: new.elect,
        });
    }
    if old.board != new.board {
        out.push(CharterChange::Board {
            old: old.board,
            new: new.board,
        });
    }
    // Compared as readers see it: naming the default zone changes nothing.
    if old.time_zone() != new.time_zone() {
        out.push(CharterChange::TimeZone {
            old: old.time_zone().to_string(),
            new: new.time_zone().to_string(),
        });
    }
    out
}
