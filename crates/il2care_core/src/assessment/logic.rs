//! Three-valued rule logic: a condition is true (with the evidence behind it), false, or unknown (with the
//! inputs whose absence leaves it open). Unknown is never read as false: ASSESSMENT §5 and §9.1. Nothing here
//! knows any rule.

use jiff::Timestamp;

use super::inputs::{FindingCode, FindingValue, ObservationCode, PatientFlag};
use super::{Rule, RuleSet};
use crate::grading::Term;
use crate::units::{Millilitres, Quantity};

/// An input a rule reads, as results name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Input {
    Observation(ObservationCode),
    Finding(FindingCode),
    /// A second creatinine within 24 h, for "rising creatinine" (ASSESSMENT §9.12).
    CreatinineTrend,
    /// The course dosing weight (DOSING §4).
    BaselineWeight,
    /// `course.last_dose_at`, needed once a dose was given (ASSESSMENT §9.7).
    LastDoseAt,
    DosesGivenCycle,
    DosesGivenCourse,
    HoldsThisCycle,
    /// `course.started_at` (cycle windows).
    CourseStart,
    /// `course.prepared_at`.
    PreparedAt,
}

impl Input {
    /// The id results use.
    pub const fn id(self) -> &'static str {
        match self {
            Input::Observation(code) => code.id(),
            Input::Finding(code) => code.id(),
            Input::CreatinineTrend => "creatinine_trend",
            Input::BaselineWeight => "patient.baseline_weight",
            Input::LastDoseAt => "course.last_dose_at",
            Input::DosesGivenCycle => "course.doses_given_this_cycle",
            Input::DosesGivenCourse => "course.doses_given_this_course",
            Input::HoldsThisCycle => "course.holds_this_cycle",
            Input::CourseStart => "course.started_at",
            Input::PreparedAt => "course.prepared_at",
        }
    }
}

/// Why an input could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MissingReason {
    /// Nothing recorded (or, for a finding, not answered).
    NotRecorded,
    /// The latest value is older than its maximum age; there is no fall-back to an older one.
    Stale { at: Timestamp },
    /// An output window is not covered by recorded intervals (a gap longer than allowed, or none recent).
    NotCovered,
    /// The answer is not current: a later measurement contradicts it (ASSESSMENT §10.2: oxygen above room air
    /// recorded, `at`, after `o2_device` = none).
    Contradicted { at: Timestamp },
}

/// One missing input of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Missing {
    pub input: Input,
    pub reason: MissingReason,
}

/// A value behind a fired rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// A measured value, as given (unit included) and when.
    Observation { code: ObservationCode, value: Quantity, at: Timestamp },
    /// A summed output volume over a window.
    Output { code: ObservationCode, volume: Millilitres, start: Timestamp, end: Timestamp },
    /// The highest rate of an output interval in a window (oliguria), with that interval.
    OutputRate { code: ObservationCode, volume: Millilitres, start: Timestamp, end: Timestamp },
    /// A finding's answer; `implied` when it comes from `findings_reviewed` rather than the list.
    Finding { code: FindingCode, value: FindingValue, at: Timestamp, implied: bool },
    /// A patient baseline (dosing weight) the rule compares against.
    Baseline { input: Input, value: Quantity },
    /// A course count from the record.
    Count { input: Input, value: u32 },
    /// A course time from the record.
    Time { input: Input, at: Timestamp },
    /// The cycle day of the decision time (day 1 = the first 24 h from `course.started_at`).
    CycleDay { day: i64 },
    /// A patient flag that is set.
    Flag(PatientFlag),
    /// Another rule, counted by a count rule.
    Rule(Rule),
    /// A finding reported present that no rule of the active set reads (ASSESSMENT §10.1); results name the
    /// rules of the other set that read it (`Rule::readers`).
    UnreadFinding { code: FindingCode, value: FindingValue, at: Timestamp, other_set: RuleSet },
    /// A computed CTCAE grade (ASSESSMENT §10.1 `product.hold.grade-4`), with the value graded.
    Grade { term: Term, grade: u8, value: Quantity, at: Timestamp },
}

/// The value of a condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Truth {
    Yes(Vec<Evidence>),
    No,
    Unknown(Vec<Missing>),
}

impl Truth {
    /// True with one piece of evidence.
    pub fn yes(evidence: Evidence) -> Truth {
        Truth::Yes(vec![evidence])
    }

    /// Unknown for one missing input.
    pub fn unknown(missing: Missing) -> Truth {
        Truth::Unknown(vec![missing])
    }

    /// True or false from a test, with the evidence when true.
    #[inline]
    pub fn when(condition: bool, evidence: Evidence) -> Truth {
        if condition { Truth::yes(evidence) } else { Truth::No }
    }

    /// Kleene conjunction; `other` is not computed when `self` is already false.
    #[inline]
    pub fn and(self, other: impl FnOnce() -> Truth) -> Truth {
        match self {
            Truth::No => Truth::No,
            Truth::Yes(mut evidence) => match other() {
                Truth::Yes(more) => {
                    evidence.extend(more);
                    Truth::Yes(evidence)
                }
                other => other,
            },
            Truth::Unknown(mut missing) => match other() {
                Truth::No => Truth::No,
                Truth::Yes(_) => Truth::Unknown(missing),
                Truth::Unknown(more) => {
                    missing.extend(more);
                    Truth::Unknown(missing)
                }
            },
        }
    }

    /// Kleene disjunction; evidence of every true side is kept.
    #[inline]
    pub fn or(self, other: impl FnOnce() -> Truth) -> Truth {
        match self {
            Truth::No => other(),
            Truth::Yes(mut evidence) => {
                if let Truth::Yes(more) = other() {
                    evidence.extend(more);
                }
                Truth::Yes(evidence)
            }
            Truth::Unknown(mut missing) => match other() {
                Truth::No => Truth::Unknown(missing),
                yes @ Truth::Yes(_) => yes,
                Truth::Unknown(more) => {
                    missing.extend(more);
                    Truth::Unknown(missing)
                }
            },
        }
    }

    /// Negation (evidence is dropped: a negated condition is only used for "the trigger no longer fires").
    #[inline]
    pub fn negated(self) -> Truth {
        match self {
            Truth::Yes(_) => Truth::No,
            Truth::No => Truth::Yes(Vec::new()),
            unknown @ Truth::Unknown(_) => unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn missing() -> Missing {
        Missing { input: Input::BaselineWeight, reason: MissingReason::NotRecorded }
    }

    #[test]
    fn unknown_is_never_read_as_false_and_false_settles_a_conjunction() {
        let yes = || Truth::Yes(Vec::new());
        assert_eq!(Truth::unknown(missing()).and(|| Truth::No), Truth::No);
        assert_eq!(Truth::unknown(missing()).and(yes), Truth::unknown(missing()));
        assert_eq!(Truth::unknown(missing()).or(yes), yes());
        assert_eq!(Truth::unknown(missing()).or(|| Truth::No), Truth::unknown(missing()));
        assert_eq!(Truth::No.or(|| Truth::unknown(missing())), Truth::unknown(missing()));
        assert_eq!(Truth::No.negated(), yes());
        assert_eq!(Truth::unknown(missing()).negated(), Truth::unknown(missing()));
    }
}
