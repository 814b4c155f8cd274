//! The evaluation: every rule of the active set against one assessment, the pending holds, the count rules,
//! and the decision by precedence (ASSESSMENT §1, §5, §7, §9). Evaluation never fails: missing or stale data
//! becomes `not_evaluated`, never a default. No IO, no clock: the decision time is the document's `at`.

mod exact;

use std::cell::OnceCell;

use jiff::{SignedDuration, Timestamp};
use rust_decimal::Decimal;

use super::inputs::{
    ALL_OBSERVATION_CODES, Assessment, FindingCode, FindingKind, FindingValue, ObservationCode, OutputInterval,
    PatientFlag, Reading, Word,
};
use super::logic::{Evidence, Input, Missing, MissingReason, Truth};
use super::thresholds::{Parameters, ScheduleLimits};
use super::windows::{Shift, covers, last_shift_end, moved, rate_above, rate_below, shift_ending};
use super::{Decision, Rule, RuleSet};
use crate::grading::{self, Grade, Graded};
use crate::units::{
    Creatinine, LitresPerMinute, Measure, MicrogramsPerKilogramPerMinute, Millilitres, MillimetresMercury, Percent,
};
use exact::{Exact, compare, exact};

/// A rule that fired, with the values behind it.
#[derive(Clone, Debug, PartialEq)]
pub struct Fired {
    pub rule: Rule,
    pub evidence: Vec<Evidence>,
}

/// A hold from an earlier slot whose resume condition is not met (or cannot be checked: `missing`).
#[derive(Clone, Debug, PartialEq)]
pub struct Pending {
    pub rule: Rule,
    pub missing: Vec<Missing>,
}

/// A rule that could not be evaluated, and the input it lacks (one entry per missing input).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NotEvaluated {
    pub rule: Rule,
    pub missing: Missing,
}

/// The result of one assessment (ASSESSMENT §8).
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    pub decision: Decision,
    pub rule_set: RuleSet,
    pub rule_set_version: &'static str,
    pub evaluated_at: Timestamp,
    /// The cycle whose window contains the decision time (`None` outside both windows).
    pub cycle: Option<u8>,
    /// The cycle day (day 1 = the first 24 h from `course.started_at`); `None` before the course started.
    pub cycle_day: Option<i64>,
    /// The 8-hour slot of the cycle the decision time falls in (1 = the first 8 h of the cycle).
    pub slot: Option<u32>,
    pub doses_given_cycle: Option<u32>,
    pub doses_given_course: Option<u32>,
    /// Strongest first, then in catalogue order.
    pub fired: Vec<Fired>,
    pub resume_pending: Vec<Pending>,
    /// Pending hold ids that the active rule set does not run: ignored, and reported (ASSESSMENT §9.3).
    pub pending_ignored: Vec<Rule>,
    pub not_evaluated: Vec<NotEvaluated>,
    pub grades: Vec<Grade>,
    /// A lasting patient flag this decision sets (`il2_retreatment_contraindicated` on a permanent stop).
    pub sets_flag: Option<PatientFlag>,
    /// The thresholds used (for the result's `threshold` texts).
    pub parameters: Parameters,
    /// The target systolic pressure used by the consensus set.
    pub target_systolic_bp: MillimetresMercury,
}

/// The disclaimer every result carries (ASSESSMENT §8).
pub const DISCLAIMER: &str = "Decision support: the treating clinician decides.";

/// Evaluates the assessment's rule set against its data at its decision time, with the CTCAE grades of
/// the same data: the complete result of ASSESSMENT §8.
pub fn assess(assessment: &Assessment, parameters: &Parameters) -> Evaluation {
    let mut evaluation = decide(assessment, parameters);
    evaluation.grades = grading::grade_assessment(assessment, &parameters.max_ages);
    evaluation
}

/// The decision alone: every rule, pending hold and limit, without the CTCAE grades (`grades` is empty);
/// callers that show a result use [`assess`]. `product.hold.grade-4` (ASSESSMENT §10.1) reads the grade-4
/// pass of the same grading code (`grading::grade_four`).
pub fn decide(assessment: &Assessment, parameters: &Parameters) -> Evaluation {
    let context = Context::new(assessment, parameters);
    let rule_set = assessment.rule_set;
    let pending_ignored: Vec<Rule> = assessment
        .course
        .pending_holds
        .iter()
        .copied()
        .filter(|rule| !rule.is_hold() || !rule.runs_in(rule_set))
        .collect();

    // Every rule of the set in catalogue order (the count rules, which `trigger` answers false and which
    // are not holds, are decided after the loop).
    let mut fired: Vec<Fired> = Vec::new();
    let mut resume_pending: Vec<Pending> = Vec::new();
    let mut not_evaluated: Vec<NotEvaluated> = Vec::new();
    let pending_holds = &assessment.course.pending_holds;
    for rule in Rule::of_set(rule_set) {
        let pending = !pending_holds.is_empty() && rule.is_hold() && pending_holds.contains(&rule);
        match context.trigger(rule) {
            Truth::Yes(evidence) => fired.push(Fired { rule, evidence }),
            trigger if pending => match context.resume(rule) {
                Truth::Yes(_) => {
                    if let Truth::Unknown(missing) = trigger {
                        not_evaluated.extend(missing.into_iter().map(|missing| NotEvaluated { rule, missing }));
                    }
                }
                Truth::No => resume_pending.push(Pending { rule, missing: Vec::new() }),
                Truth::Unknown(missing) => resume_pending.push(Pending { rule, missing }),
            },
            Truth::No => {}
            Truth::Unknown(missing) => {
                not_evaluated.extend(missing.into_iter().map(|missing| NotEvaluated { rule, missing }))
            }
        }
    }

    if rule_set == RuleSet::Consensus {
        count_rules(&context, &mut fired, &resume_pending, &mut not_evaluated);
    }

    fired.sort_by_key(|fired| (fired.rule.action().decision(), fired.rule));
    let strongest = strongest(&fired, &resume_pending);
    let decision = match strongest {
        Some(decision) => decision,
        None if !not_evaluated.is_empty() => Decision::InsufficientData,
        None => Decision::Give,
    };
    let (cycle_day, cycle, slot) = context.cycle_position();
    let target_systolic_bp = context.target_systolic_bp();
    Evaluation {
        decision,
        rule_set,
        rule_set_version: parameters.version(rule_set),
        evaluated_at: assessment.at,
        cycle,
        cycle_day,
        slot,
        doses_given_cycle: assessment.course.doses_given_cycle,
        doses_given_course: assessment.course.doses_given_course,
        fired,
        resume_pending,
        pending_ignored,
        not_evaluated,
        grades: Vec::new(),
        sets_flag: (decision == Decision::DiscontinuePermanently).then_some(PatientFlag::Il2RetreatmentContraindicated),
        parameters: *parameters,
        target_systolic_bp,
    }
}

/// The strongest decision among fired rules and pending holds (a pending hold counts as fired, §7).
fn strongest(fired: &[Fired], pending: &[Pending]) -> Option<Decision> {
    let from_fired = fired.iter().map(|fired| fired.rule.action().decision());
    let from_pending = pending.iter().map(|_| Decision::Hold);
    from_fired.chain(from_pending).min()
}

/// `consensus.stop.three-relative` and `consensus.stop.held-three-times` (ASSESSMENT §4.2, §9.4).
fn count_rules(
    context: &Context<'_>,
    fired: &mut Vec<Fired>,
    pending: &[Pending],
    not_evaluated: &mut Vec<NotEvaluated>,
) {
    let thresholds = &context.parameters.consensus;
    let relative_fired = fired.iter().filter(|fired| fired.rule.is_consensus_relative()).count();
    let mut relative_open: Vec<Rule> =
        not_evaluated.iter().map(|entry| entry.rule).filter(|rule| rule.is_consensus_relative()).collect();
    relative_open.dedup();
    let needed = thresholds.relative_criteria_stop_at as usize;
    let rule = Rule::ConsensusStopThreeRelative;
    if relative_fired >= needed {
        let evidence = fired
            .iter()
            .filter(|fired| fired.rule.is_consensus_relative())
            .map(|fired| Evidence::Rule(fired.rule))
            .collect();
        fired.push(Fired { rule, evidence });
    } else if relative_fired + relative_open.len() >= needed {
        let missing: Vec<Missing> = not_evaluated
            .iter()
            .filter(|entry| relative_open.contains(&entry.rule))
            .map(|entry| entry.missing)
            .collect();
        not_evaluated.extend(missing.into_iter().map(|missing| NotEvaluated { rule, missing }));
    }

    let rule = Rule::ConsensusStopHeldThreeTimes;
    let holds = context.assessment.course.holds_this_cycle;
    let would_be = strongest(fired, pending);
    let hold_still_open = would_be.is_none() && not_evaluated.iter().any(|entry| entry.rule.is_hold());
    let enough = |count: u32| count >= thresholds.earlier_holds_stop_at;
    match (would_be, holds) {
        (Some(Decision::Hold), Some(count)) if enough(count) => {
            fired.push(Fired { rule, evidence: vec![Evidence::Count { input: Input::HoldsThisCycle, value: count }] })
        }
        (Some(Decision::Hold), None) => not_evaluated.push(NotEvaluated {
            rule,
            missing: Missing { input: Input::HoldsThisCycle, reason: MissingReason::NotRecorded },
        }),
        (None, holds) if hold_still_open && holds.is_none_or(enough) => {
            let missing: Vec<Missing> =
                not_evaluated.iter().filter(|entry| entry.rule.is_hold()).map(|entry| entry.missing).collect();
            not_evaluated.extend(missing.into_iter().map(|missing| NotEvaluated { rule, missing }));
        }
        _ => {}
    }
}

/// Cycle day, cycle and slot of `at` in a course started at `started_at` (ASSESSMENT §9.6): cycle days are
/// 24-hour periods from the start (day 1 = the first 24 h); cycle 1 is days 1-5, cycle 2 days 15-19; the slot
/// counts 8-hour periods from the first day of the cycle. `None` where the time lies before the start or
/// outside both windows.
pub fn cycle_position(
    started_at: Timestamp,
    at: Timestamp,
    limits: &ScheduleLimits,
) -> (Option<i64>, Option<u8>, Option<u32>) {
    let elapsed = at.duration_since(started_at);
    if elapsed < SignedDuration::ZERO {
        return (None, None, None);
    }
    let day = elapsed.as_secs().div_euclid(86_400) + 1;
    let (cycle, first_day) = if (limits.cycle_one_days.0..=limits.cycle_one_days.1).contains(&day) {
        (1, limits.cycle_one_days.0)
    } else if (limits.cycle_two_days.0..=limits.cycle_two_days.1).contains(&day) {
        (2, limits.cycle_two_days.0)
    } else {
        return (Some(day), None, None);
    };
    let into_cycle = elapsed.as_secs() - (first_day - 1) * 86_400;
    let slot = u32::try_from(into_cycle / limits.slot_interval.as_secs().max(1) + 1).ok();
    (Some(day), Some(cycle), slot)
}

/// What every rule reads: the assessment, the thresholds and the decision time.
struct Context<'a> {
    assessment: &'a Assessment,
    parameters: &'a Parameters,
    at: Timestamp,
    /// The decision time in nanoseconds, so that ages are compared in integers (exact, and cheap).
    at_nanos: i128,
    /// Shifts are read by several rules; each is computed once per evaluation. Index: [`shift_slot`].
    shifts: [OnceCell<Option<Shift>>; 4],
    /// The phenylephrine rate now and the highest of the interval, computed once.
    phenylephrine: [OnceCell<Result<(MicrogramsPerKilogramPerMinute, Evidence), Truth>>; 2],
    /// Any mental-status change (read by a label hold and a consensus stop), computed once.
    mental_status: OnceCell<Truth>,
    /// The index of the latest reading of each observation series (several rules read the same series).
    latest: [OnceCell<Option<usize>>; ALL_OBSERVATION_CODES.len()],
    /// The grade-4 pass of the CTCAE grading (read by `product.hold.grade-4`), computed once.
    graded: OnceCell<Graded>,
    /// Whether `o2_device` = none is contradicted by a later oxygen reading (ASSESSMENT §10.2), computed once.
    o2_contradiction: OnceCell<Option<Missing>>,
}

/// The index of the latest reading of a series; of two at the same time, the later in the list (as
/// `max_by_key` would choose), in one plain pass: every vital sign series is searched once per evaluation.
fn latest_index<M>(series: &[Reading<M>]) -> Option<usize> {
    let mut latest: Option<(usize, Timestamp)> = None;
    for (index, reading) in series.iter().enumerate() {
        if latest.is_none_or(|(_, at)| reading.at >= at) {
            latest = Some((index, reading.at));
        }
    }
    latest.map(|(index, _)| index)
}

/// The cache slot of a shift: urine or stool, the last completed shift or the one before it.
fn shift_slot(code: ObservationCode, earlier: bool) -> usize {
    usize::from(code == ObservationCode::StoolOutput) * 2 + usize::from(earlier)
}

fn missing(input: Input, reason: MissingReason) -> Missing {
    Missing { input, reason }
}

/// Unknown: `input` is not recorded. Out of line, like every result that allocates, so that the rules'
/// usual answers stay short.
#[cold]
#[inline(never)]
fn not_recorded(input: Input) -> Truth {
    Truth::unknown(missing(input, MissingReason::NotRecorded))
}

/// Unknown: the latest value of `input` (taken `at`) is too old to be used.
#[cold]
#[inline(never)]
fn stale(input: Input, at: Timestamp) -> Truth {
    Truth::unknown(missing(input, MissingReason::Stale { at }))
}

/// True, with a finding's answer as the evidence.
#[inline(never)]
fn finding_evidence(code: FindingCode, value: FindingValue, at: Timestamp, implied: bool) -> Truth {
    Truth::yes(Evidence::Finding { code, value, at, implied })
}

fn present(value: FindingValue) -> bool {
    value == FindingValue::Flag(true)
}

fn hours_of(value: FindingValue) -> Decimal {
    match value {
        FindingValue::Hours(hours) => hours,
        _ => Decimal::ZERO,
    }
}

/// Whether a number of hours is above `limit` (>= 0); the usual answer, 0 h, is settled without a decimal
/// comparison.
fn hours_above(value: FindingValue, limit: Decimal) -> bool {
    match value {
        FindingValue::Hours(hours) if !hours.is_zero() => compare(hours, limit).is_gt(),
        _ => false,
    }
}

fn word_of(value: FindingValue) -> Option<Word> {
    match value {
        FindingValue::Word(word) => Some(word),
        _ => None,
    }
}

impl<'a> Context<'a> {
    fn new(assessment: &'a Assessment, parameters: &'a Parameters) -> Context<'a> {
        Context {
            assessment,
            parameters,
            at: assessment.at,
            at_nanos: assessment.at.as_nanosecond(),
            shifts: Default::default(),
            phenylephrine: Default::default(),
            latest: Default::default(),
            mental_status: OnceCell::new(),
            graded: OnceCell::new(),
            o2_contradiction: OnceCell::new(),
        }
    }

    /// Whether `at` lies more than `max_age` before the decision time (a value exactly `max_age` old is not).
    fn older_than(&self, at: Timestamp, max_age: SignedDuration) -> bool {
        self.at_nanos - at.as_nanosecond() > max_age.as_nanos()
    }

    fn target_systolic_bp(&self) -> MillimetresMercury {
        self.assessment.patient.target_systolic_bp.unwrap_or(self.parameters.consensus.default_target_systolic_bp)
    }

    fn cycle_position(&self) -> (Option<i64>, Option<u8>, Option<u32>) {
        cycle_position(self.assessment.course.started_at, self.at, &self.parameters.limits)
    }

    // ---- observations ----

    /// The latest reading of a series if it is within its maximum age (inclusive, no fall-back, §9.2).
    fn latest<M: Measure>(&self, code: ObservationCode, series: &'a [Reading<M>]) -> Result<&'a Reading<M>, Missing> {
        let index = *self.latest[code as usize].get_or_init(|| latest_index(series));
        let Some(reading) = index.and_then(|index| series.get(index)) else {
            return Err(missing(Input::Observation(code), MissingReason::NotRecorded));
        };
        match self.parameters.max_ages.observation(code) {
            Some(max_age) if self.older_than(reading.at, max_age) => {
                Err(missing(Input::Observation(code), MissingReason::Stale { at: reading.at }))
            }
            _ => Ok(reading),
        }
    }

    fn evidence<M: Measure>(code: ObservationCode, reading: &Reading<M>) -> Evidence {
        Evidence::Observation { code, value: reading.value.quantity(), at: reading.at }
    }

    /// Whether the latest usable reading satisfies `test`.
    fn observed<M: Measure>(
        &self,
        code: ObservationCode,
        series: &'a [Reading<M>],
        test: impl Fn(Exact<M>) -> bool,
    ) -> Truth {
        match self.latest(code, series) {
            Ok(reading) if test(exact(reading.value)) => Truth::yes(Self::evidence(code, reading)),
            Ok(_) => Truth::No,
            Err(missing) => Truth::unknown(missing),
        }
    }

    // ---- findings ----

    /// The latest answer of a finding: listed, or implied absent by `findings_reviewed` at the document time.
    fn answer(&self, code: FindingCode) -> Option<(FindingValue, Timestamp, bool)> {
        let findings = &self.assessment.findings;
        match findings.latest(code) {
            Some(finding) => Some((finding.value, finding.at, false)),
            None if findings.reviewed => Some((code.absent_answer(), self.at, true)),
            None => None,
        }
    }

    fn fresh(&self, at: Timestamp) -> bool {
        !self.older_than(at, self.parameters.max_ages.findings)
    }

    /// A finding as a trigger: an answer reporting something counts whatever its age; an answer that would
    /// let the dose go ahead is only used while fresh (ASSESSMENT §9.2, read in the safe direction).
    ///
    /// Inlined into each rule, where `code` and `test` are constants: the usual case, an unlisted finding of
    /// a reviewed list (implied absent at the decision time, fresh by definition), then folds to a few
    /// instructions; the answers that build a result are out of line.
    #[inline(always)]
    fn finding(&self, code: FindingCode, test: impl Fn(FindingValue) -> bool) -> Truth {
        let findings = &self.assessment.findings;
        let (value, at, implied) = match findings.latest(code) {
            Some(finding) => (finding.value, finding.at, false),
            // An answer implied by `findings_reviewed` is given at the decision time: fresh by definition.
            None if findings.reviewed => (code.absent_answer(), self.at, true),
            None => return not_recorded(Input::Finding(code)),
        };
        let fresh = implied || self.fresh(at);
        if test(value) {
            if fresh || value.reports_something(code.kind()) {
                finding_evidence(code, value, at, implied)
            } else {
                stale(Input::Finding(code), at)
            }
        } else if fresh {
            Truth::No
        } else {
            stale(Input::Finding(code), at)
        }
    }

    /// A finding as a resume condition: it can end a hold only while fresh; an answer that keeps the hold
    /// counts whatever its age.
    fn finding_resumes(&self, code: FindingCode, test: impl Fn(FindingValue) -> bool) -> Truth {
        let Some((value, at, implied)) = self.answer(code) else {
            return Truth::unknown(missing(Input::Finding(code), MissingReason::NotRecorded));
        };
        match (test(value), implied || self.fresh(at)) {
            (true, true) => Truth::yes(Evidence::Finding { code, value, at, implied }),
            (false, _) => Truth::No,
            (true, false) => Truth::unknown(missing(Input::Finding(code), MissingReason::Stale { at })),
        }
    }

    #[inline(always)]
    fn finding_present(&self, code: FindingCode) -> Truth {
        debug_assert!(code.kind() == FindingKind::PresentAbsent);
        self.finding(code, present)
    }

    fn finding_absent_resumes(&self, code: FindingCode) -> Truth {
        self.finding_resumes(code, |value| value == FindingValue::Flag(false))
    }

    #[inline(always)]
    fn word(&self, code: FindingCode, word: Word) -> Truth {
        self.finding(code, |value| value == FindingValue::Word(word))
    }

    fn yes_resumes(&self, code: FindingCode) -> Truth {
        self.finding_resumes(code, |value| value == FindingValue::Flag(true))
    }

    /// Any mental-status change: the scale above none, or coma or toxic psychosis (which set it to severe).
    fn mental_status_changed(&self) -> Truth {
        self.mental_status.get_or_init(|| self.mental_status_changed_now()).clone()
    }

    fn mental_status_changed_now(&self) -> Truth {
        self.finding(FindingCode::MentalStatusChange, |value| word_of(value).is_some_and(|word| word.severity() >= 1))
            .or(|| self.finding(FindingCode::Coma, |value| hours_above(value, Decimal::ZERO)))
            .or(|| self.finding(FindingCode::ToxicPsychosis, |value| hours_above(value, Decimal::ZERO)))
    }

    // ---- derived inputs ----

    /// Creatinine rising: the latest above the lowest of the 24 h before the decision time (§9.12).
    fn creatinine_rising(&self) -> Truth {
        let series = &self.assessment.observations.creatinine;
        let latest = match self.latest(ObservationCode::Creatinine, series) {
            Ok(latest) => latest,
            Err(missing) => return Truth::unknown(missing),
        };
        let day = SignedDuration::from_hours(24);
        let recent = series.iter().filter(|reading| !self.older_than(reading.at, day));
        if recent.clone().count() < 2 {
            return Truth::unknown(missing(Input::CreatinineTrend, MissingReason::NotRecorded));
        }
        let lowest = recent.min_by_key(|reading| reading.value).expect("at least two readings");
        if latest.value > lowest.value {
            Truth::Yes(vec![
                Self::evidence(ObservationCode::Creatinine, latest),
                Self::evidence(ObservationCode::Creatinine, lowest),
            ])
        } else {
            Truth::No
        }
    }

    /// The oliguria trigger's urine part: every interval overlapping the 16-h window below 10 mL/h, the
    /// window covered (§9.12). A faster interval anywhere in the window settles it without coverage (§9.1).
    fn urine_low_for_window(&self) -> Truth {
        let label = &self.parameters.label;
        let start = moved(self.at, -label.oliguria_window);
        let intervals = &self.assessment.observations.urine_output;
        let overlapping = intervals.iter().filter(|interval| interval.end > start && interval.start < self.at);
        let slow = |interval: &OutputInterval| {
            rate_below(interval.volume, interval.end.duration_since(interval.start), label.oliguria_rate_below)
        };
        if overlapping.clone().any(|interval| !slow(interval)) {
            return Truth::No;
        }
        if !covers(overlapping.clone(), start, self.at, self.parameters.limits.largest_gap) {
            return Truth::unknown(missing(
                Input::Observation(ObservationCode::UrineOutput),
                MissingReason::NotCovered,
            ));
        }
        let volume: Decimal = overlapping.clone().map(|interval| interval.volume.value()).sum();
        let first = overlapping.clone().map(|interval| interval.start).min().unwrap_or(start);
        let last = overlapping.map(|interval| interval.end).max().unwrap_or(self.at);
        Truth::yes(Evidence::OutputRate {
            code: ObservationCode::UrineOutput,
            volume: Millilitres::new(volume).expect("a sum of volumes is not negative"),
            start: first,
            end: last,
        })
    }

    /// Oliguria resume: combined rate over the latest >= 4 h above 10 mL/h, and creatinine fallen by more
    /// than 1.5 mg/dL from the document's peak or at most the ULN (§9.13).
    fn oliguria_resumes(&self) -> Truth {
        let label = &self.parameters.label;
        let start = moved(self.at, -label.oliguria_resume_window);
        let intervals = &self.assessment.observations.urine_output;
        let overlapping = intervals.iter().filter(|interval| interval.end > start && interval.start < self.at);
        let urine = if covers(overlapping.clone(), start, self.at, self.parameters.limits.largest_gap) {
            let volume: Decimal = overlapping.clone().map(|interval| interval.volume.value()).sum();
            let duration: SignedDuration =
                overlapping.map(|interval| interval.end.duration_since(interval.start)).sum();
            let volume = Millilitres::new(volume).expect("a sum of volumes is not negative");
            if rate_above(volume, duration, label.oliguria_resume_rate_above) {
                Truth::Yes(Vec::new())
            } else {
                Truth::No
            }
        } else {
            Truth::unknown(missing(Input::Observation(ObservationCode::UrineOutput), MissingReason::NotCovered))
        };
        urine.and(|| {
            let series = &self.assessment.observations.creatinine;
            match self.latest(ObservationCode::Creatinine, series) {
                Err(missing) => Truth::unknown(missing),
                Ok(latest) => {
                    let peak = series.iter().map(|reading| reading.value).max().unwrap_or(latest.value);
                    let uln = latest
                        .reference_range
                        .map(|range| range.high)
                        .unwrap_or_else(|| grading::default_creatinine_uln(self.assessment.patient.sex));
                    let fallen = peak.value() - latest.value.value() > label.oliguria_resume_creatinine_fall.value();
                    if fallen || latest.value <= uln { Truth::Yes(Vec::new()) } else { Truth::No }
                }
            }
        })
    }

    /// The last completed shift (or the one before it) of an output, computed once per evaluation.
    fn shift(&self, code: ObservationCode, intervals: &[OutputInterval], earlier: bool) -> Option<Shift> {
        *self.shifts[shift_slot(code, earlier)].get_or_init(|| {
            let limits = &self.parameters.limits;
            let end = last_shift_end(intervals, self.at, limits.shift)?;
            let end = if earlier { moved(end, -limits.shift) } else { end };
            shift_ending(intervals, end, limits.shift, limits.largest_gap)
        })
    }

    fn shift_truth(
        &self,
        code: ObservationCode,
        intervals: &[OutputInterval],
        earlier: bool,
        test: impl Fn(Exact<Millilitres>) -> bool,
    ) -> Truth {
        match self.shift(code, intervals, earlier) {
            Some(shift) => Truth::when(
                test(exact(shift.volume)),
                Evidence::Output { code, volume: shift.volume, start: shift.start, end: shift.end },
            ),
            None => Truth::unknown(missing(Input::Observation(code), MissingReason::NotCovered)),
        }
    }

    /// The last completed shift's output satisfies `test` (§2.1, §9.11).
    fn last_shift(
        &self,
        code: ObservationCode,
        intervals: &[OutputInterval],
        test: impl Fn(Exact<Millilitres>) -> bool,
    ) -> Truth {
        self.shift_truth(code, intervals, false, test)
    }

    /// Each of the last two completed shifts satisfies `test`.
    fn last_two_shifts(
        &self,
        code: ObservationCode,
        intervals: &[OutputInterval],
        test: impl Fn(Exact<Millilitres>) -> bool,
    ) -> Truth {
        self.shift_truth(code, intervals, false, &test).and(|| self.shift_truth(code, intervals, true, &test))
    }

    /// The phenylephrine rate to compare: `now` is the latest charted rate; otherwise the highest in the
    /// window before the decision time, including the rate running when the window opens (§9.9). With no
    /// rate charted at all, the rate is 0 only when `pressor_requirement` = none.
    fn phenylephrine(&self, highest_in_window: bool) -> Result<(MicrogramsPerKilogramPerMinute, Evidence), Truth> {
        let code = ObservationCode::PhenylephrineRate;
        let series = &self.assessment.observations.phenylephrine_rate;
        if series.is_empty() {
            let pressor = FindingCode::PressorRequirement;
            return match self.answer(pressor) {
                Some((value @ FindingValue::Word(Word::None), at, implied)) if self.fresh(at) => {
                    let zero = MicrogramsPerKilogramPerMinute::new(Decimal::ZERO).expect("0 is a valid rate");
                    Ok((zero, Evidence::Finding { code: pressor, value, at, implied }))
                }
                Some((FindingValue::Word(Word::None), at, _)) => {
                    Err(Truth::unknown(missing(Input::Finding(pressor), MissingReason::Stale { at })))
                }
                Some(_) => Err(Truth::unknown(missing(Input::Observation(code), MissingReason::NotRecorded))),
                None => Err(Truth::unknown(missing(Input::Finding(pressor), MissingReason::NotRecorded))),
            };
        }
        let chosen = if highest_in_window {
            let opens = moved(self.at, -self.parameters.consensus.phenylephrine_interval);
            let running_at_open = series.iter().filter(|reading| reading.at <= opens).max_by_key(|reading| reading.at);
            let inside = series.iter().filter(|reading| reading.at > opens);
            running_at_open.into_iter().chain(inside).max_by_key(|reading| reading.value)
        } else {
            series.iter().max_by_key(|reading| reading.at)
        };
        let reading = chosen.expect("the series is not empty and the window includes the running rate");
        Ok((reading.value, Self::evidence(code, reading)))
    }

    fn phenylephrine_truth(
        &self,
        highest_in_window: bool,
        test: impl Fn(Exact<MicrogramsPerKilogramPerMinute>) -> bool,
    ) -> Truth {
        let cached =
            self.phenylephrine[usize::from(highest_in_window)].get_or_init(|| self.phenylephrine(highest_in_window));
        match cached {
            Ok((rate, evidence)) => Truth::when(test(exact(*rate)), *evidence),
            Err(unknown) => unknown.clone(),
        }
    }

    /// The nasal cannula flow satisfies `test` (device none or face mask settles it false, §9.1, §9.14).
    fn cannula_flow(&self, test: impl Fn(Exact<LitresPerMinute>) -> bool) -> Truth {
        self.word(FindingCode::O2Device, Word::NasalCannula)
            .and(|| self.observed(ObservationCode::OxygenFlow, &self.assessment.observations.oxygen_flow, test))
    }

    fn weight_gain_above(&self, fraction: Decimal) -> Truth {
        let weight = self.latest(ObservationCode::Weight, &self.assessment.observations.weight);
        let baseline = self.assessment.patient.baseline_weight;
        match (weight, baseline) {
            (Ok(reading), Some(baseline)) => {
                let gain = reading.value.value() - baseline.value();
                if compare(gain, fraction * baseline.value()).is_gt() {
                    Truth::Yes(vec![
                        Self::evidence(ObservationCode::Weight, reading),
                        Evidence::Baseline { input: Input::BaselineWeight, value: baseline.quantity() },
                    ])
                } else {
                    Truth::No
                }
            }
            (weight, baseline) => {
                let mut missing_inputs = Vec::new();
                if let Err(missing) = weight {
                    missing_inputs.push(missing);
                }
                if baseline.is_none() {
                    missing_inputs.push(missing(Input::BaselineWeight, MissingReason::NotRecorded));
                }
                Truth::Unknown(missing_inputs)
            }
        }
    }

    fn creatinine(&self, test: impl Fn(Exact<Creatinine>) -> bool) -> Truth {
        self.observed(ObservationCode::Creatinine, &self.assessment.observations.creatinine, test)
    }

    // ---- the safety envelope (ASSESSMENT §10) ----

    /// §10.2: the latest `o2_device` = none is not current when oxygen above room air (a flow above 0 L/min or
    /// an FiO2 above 21 %) was recorded after it. A `none` implied by `findings_reviewed` is not a recorded
    /// device entry: any such reading within its maximum age contradicts it. Computed once.
    fn o2_device_contradicted(&self) -> Option<Missing> {
        *self.o2_contradiction.get_or_init(|| {
            let code = FindingCode::O2Device;
            let findings = &self.assessment.findings;
            let recorded_at = match findings.latest(code) {
                Some(finding) if finding.value == FindingValue::Word(Word::None) => Some(finding.at),
                Some(_) => return None,
                None if findings.reviewed => None,
                None => return None,
            };
            let observations = &self.assessment.observations;
            let counts = |observation: ObservationCode, at: Timestamp| match recorded_at {
                Some(device_at) => at > device_at,
                None => self.parameters.max_ages.observation(observation).is_none_or(|age| !self.older_than(at, age)),
            };
            let room_air = Percent::new(Decimal::from(21)).expect("21 % is a valid FiO2");
            let flows = observations
                .oxygen_flow
                .iter()
                .filter(|reading| !reading.value.value().is_zero() && counts(ObservationCode::OxygenFlow, reading.at))
                .map(|reading| reading.at);
            let masks = observations
                .fio2
                .iter()
                .filter(|reading| reading.value > room_air && counts(ObservationCode::Fio2, reading.at))
                .map(|reading| reading.at);
            flows.chain(masks).max().map(|at| missing(Input::Finding(code), MissingReason::Contradicted { at }))
        })
    }

    /// `product.hold.unread-finding`: the findings reported present that no rule of the active set reads. An
    /// answer implied absent by `findings_reviewed` is not present; a present answer counts whatever its age
    /// (§9.2). Under a set that does not read `o2_device`, a contradicted device entry leaves it open.
    fn unread_finding(&self) -> Truth {
        let rule_set = self.assessment.rule_set;
        let other_set = match rule_set {
            RuleSet::Label => RuleSet::Consensus,
            RuleSet::Consensus => RuleSet::Label,
        };
        let findings = &self.assessment.findings;
        let unread = Rule::unread_findings(rule_set);
        let mut evidence = Vec::new();
        for &code in unread {
            if let Some(finding) = findings.latest(code)
                && finding.value.reports_something(code.kind())
            {
                evidence.push(Evidence::UnreadFinding { code, value: finding.value, at: finding.at, other_set });
            }
        }
        if !evidence.is_empty() {
            return Truth::Yes(evidence);
        }
        match self.o2_device_contradicted() {
            Some(missing) if unread.contains(&FindingCode::O2Device) => Truth::unknown(missing),
            _ => Truth::No,
        }
    }

    /// The unread-finding hold resumes when every finding the active set does not read is answered absent or
    /// none: listed within the findings' maximum age, or implied by `findings_reviewed` (§10.1).
    fn unread_findings_absent(&self) -> Truth {
        let mut result = Truth::Yes(Vec::new());
        for &code in Rule::unread_findings(self.assessment.rule_set) {
            result = result.and(|| {
                if code == FindingCode::O2Device
                    && let Some(missing) = self.o2_device_contradicted()
                {
                    return Truth::unknown(missing);
                }
                self.finding_resumes(code, |value| !value.reports_something(code.kind()))
            });
        }
        result
    }

    /// `product.hold.grade-4`: any computed grade 4 but Lymphocyte count decreased. A grade-4 result older than
    /// its maximum age cannot show that the grade is now below 4: the rule is then not evaluated.
    fn grade_four(&self) -> Truth {
        let graded = self.graded.get_or_init(|| grading::grade_four(self.assessment, &self.parameters.max_ages));
        let fours: Vec<Evidence> = graded
            .grades
            .iter()
            .filter(|grade| grading::holds_a_dose(grade.term, grade.grade))
            .map(|grade| Evidence::Grade { term: grade.term, grade: 4, value: grade.value, at: grade.at })
            .collect();
        if !fours.is_empty() {
            Truth::Yes(fours)
        } else if graded.stale_grade_four.is_empty() {
            Truth::No
        } else {
            Truth::Unknown(
                graded
                    .stale_grade_four
                    .iter()
                    .map(|stale| missing(Input::Observation(stale.code), MissingReason::Stale { at: stale.at }))
                    .collect(),
            )
        }
    }

    /// `product.hold.chest-pain-ecg-pending`: chest pain present and no ECG finding listed (present or absent)
    /// at or after it. An ECG finding implied absent by `findings_reviewed` is not an ECG that was done.
    fn chest_pain_ecg_pending(&self) -> Truth {
        let findings = &self.assessment.findings;
        self.finding_present(FindingCode::ChestPainAngina).and(|| {
            let pain_at = findings.latest(FindingCode::ChestPainAngina).map(|finding| finding.at);
            match (findings.latest(FindingCode::EcgIschemiaChanges), pain_at) {
                (Some(ecg), Some(pain_at)) if ecg.at >= pain_at => Truth::No,
                _ => Truth::Yes(Vec::new()),
            }
        })
    }

    /// The chest-pain hold resumes when `ecg_ischemia_changes` is listed absent, fresh, at or after the latest
    /// `chest_pain_angina` answer.
    fn ecg_absent_since_chest_pain(&self) -> Truth {
        let findings = &self.assessment.findings;
        let code = FindingCode::EcgIschemiaChanges;
        let pain_at = findings.latest(FindingCode::ChestPainAngina).map(|finding| finding.at);
        match findings.latest(code) {
            Some(ecg) if pain_at.is_none_or(|pain_at| ecg.at >= pain_at) => {
                if ecg.value != FindingValue::Flag(false) {
                    Truth::No
                } else if self.fresh(ecg.at) {
                    Truth::yes(Evidence::Finding { code, value: ecg.value, at: ecg.at, implied: false })
                } else {
                    stale(Input::Finding(code), ecg.at)
                }
            }
            _ => not_recorded(Input::Finding(code)),
        }
    }

    // ---- the rules ----

    /// Whether a rule's trigger fires now. The count rules are evaluated by [`count_rules`]. Inlined into the
    /// loop of [`decide`], so that each rule's usual answer (false) costs a jump and a few loads.
    #[inline(always)]
    fn trigger(&self, rule: Rule) -> Truth {
        let label = &self.parameters.label;
        let consensus = &self.parameters.consensus;
        let limits = &self.parameters.limits;
        let observations = &self.assessment.observations;
        let course = &self.assessment.course;
        use FindingCode as F;
        use ObservationCode as O;
        match rule {
            Rule::LabelHoldAtrialFibrillation | Rule::ConsensusStopAtrialFibrillation => {
                self.finding_present(F::AtrialFibrillation)
            }
            Rule::LabelHoldSvt | Rule::ConsensusStopSvt => self.finding_present(F::SupraventricularTachycardia),
            Rule::LabelHoldBradycardia => self.finding_present(F::BradycardiaRequiringTreatment),
            Rule::LabelHoldSbpBelow90 => {
                self.observed(O::SystolicBp, &observations.systolic_bp, |sbp| sbp < label.systolic_hold_below)
            }
            Rule::LabelHoldSpo2Below90 => self.observed(O::Spo2, &observations.spo2, |spo2| spo2 < label.spo2_hold_below),
            // Hallucinations and toxic psychosis are mental-status changes by definition (ASSESSMENT §10.1).
            Rule::LabelHoldMentalStatusChange => {
                self.mental_status_changed().or(|| self.finding_present(F::Hallucinations))
            }
            Rule::LabelHoldLethargySomnolence => self.finding(F::LethargySomnolence, |value| {
                word_of(value).is_some_and(|word| word.severity() >= Word::Moderate.severity())
            }),
            Rule::LabelHoldFobtPositive => self.word(F::FobtResult, Word::Positive),
            Rule::LabelHoldSepsisUnstable => self.finding_present(F::SepsisUnstable),
            Rule::LabelHoldCreatinineAbove4_5 => self.creatinine(|value| value > label.creatinine_hold_above),
            Rule::LabelHoldCreatinine4Complicated => {
                self.creatinine(|value| value >= label.creatinine_complicated_at_least).and(|| {
                    self.finding_present(F::SevereVolumeOverload)
                        .or(|| self.finding_present(F::Acidosis))
                        .or(|| self.finding_present(F::Hyperkalemia))
                })
            }
            Rule::LabelHoldOliguria => self.urine_low_for_window().and(|| self.creatinine_rising()),
            Rule::LabelHoldBullousDermatitis => self.finding_present(F::BullousDermatitis),
            Rule::LabelStopCourseHepaticFailure => self.finding_present(F::HepaticFailureSigns),
            Rule::LabelStopVtSustained => self.finding(F::VentricularTachycardia, |value| {
                matches!(value, FindingValue::Beats(beats) if beats >= label.ventricular_tachycardia_beats_at_least)
            }),
            Rule::LabelStopArrhythmiaUncontrolled => self.finding_present(F::ArrhythmiaUncontrolled),
            Rule::LabelStopEcgIschemia | Rule::ConsensusStopEcgIschemia => self.finding_present(F::EcgIschemiaChanges),
            // Chest pain with ECG changes (LABEL-OLD Table 1; ASSESSMENT §10.1); chest pain alone is the product
            // hold `product.hold.chest-pain-ecg-pending`.
            Rule::LabelStopChestPainAngina => {
                self.finding_present(F::ChestPainAngina).and(|| self.finding_present(F::EcgIschemiaChanges))
            }
            Rule::LabelStopCardiacTamponade => self.finding_present(F::CardiacTamponade),
            Rule::LabelStopIntubationOver72h => {
                self.finding(F::Intubated, |value| hours_above(value, label.intubation_hours_above))
            }
            Rule::LabelStopComaOver48h => self.finding(F::Coma, |value| hours_above(value, label.coma_hours_above)),
            Rule::LabelStopToxicPsychosisOver48h => {
                self.finding(F::ToxicPsychosis, |value| hours_above(value, label.toxic_psychosis_hours_above))
            }
            Rule::LabelStopSeizuresRepetitive => self.finding_present(F::SeizuresRepetitive),
            Rule::LabelStopBowelIschemiaPerforation => self.finding_present(F::BowelIschemiaPerforation),
            Rule::LabelStopGiBleedingSurgery => self.finding_present(F::GiBleedingRequiringSurgery),
            Rule::LabelStopDialysisOver72h => {
                self.finding(F::Dialysis, |value| hours_above(value, label.dialysis_hours_above))
            }
            Rule::ProductHoldIntubated => self.finding(F::Intubated, |value| {
                hours_above(value, Decimal::ZERO) && compare(hours_of(value), label.intubation_hours_above).is_le()
            }),
            Rule::ProductHoldOtherVasopressor => self.finding_present(F::VasopressorOther),
            Rule::ProductHoldUnreadFinding => self.unread_finding(),
            Rule::ProductHoldGrade4 => self.grade_four(),
            Rule::ProductHoldChestPainEcgPending => self.chest_pain_ecg_pending(),
            Rule::ProductLimitCycle14 => match course.doses_given_cycle {
                Some(count) => Truth::when(
                    count >= limits.doses_per_cycle,
                    Evidence::Count { input: Input::DosesGivenCycle, value: count },
                ),
                None => Truth::unknown(missing(Input::DosesGivenCycle, MissingReason::NotRecorded)),
            },
            Rule::ProductLimitCourse28 => match course.doses_given_course {
                Some(count) => Truth::when(
                    count >= limits.doses_per_course,
                    Evidence::Count { input: Input::DosesGivenCourse, value: count },
                ),
                None => Truth::unknown(missing(Input::DosesGivenCourse, MissingReason::NotRecorded)),
            },
            Rule::ProductLimitOutsideCycleWindow => match self.cycle_position() {
                (_, Some(_), _) => Truth::No,
                (day, None, _) => Truth::Yes(vec![
                    Evidence::Time { input: Input::CourseStart, at: course.started_at },
                    Evidence::CycleDay { day: day.unwrap_or(0) },
                ]),
            },
            Rule::ProductLimitInterval => match (course.last_dose_at, course.doses_given_course) {
                (Some(last), _) => Truth::when(
                    self.at.duration_since(last) < limits.minimum_interval,
                    Evidence::Time { input: Input::LastDoseAt, at: last },
                ),
                (None, Some(0)) => Truth::No,
                (None, _) => Truth::unknown(missing(Input::LastDoseAt, MissingReason::NotRecorded)),
            },
            Rule::ProductLimitCourseDiscontinued => Truth::when(
                course.discontinued,
                Evidence::Time { input: Input::CourseStart, at: course.started_at },
            ),
            Rule::ProductLimitRetreatmentContraindicated => {
                let flag = PatientFlag::Il2RetreatmentContraindicated;
                Truth::when(self.assessment.patient.flags.contains(&flag), Evidence::Flag(flag))
            }
            Rule::ProductLimitPreparationExpired => match course.prepared_at {
                // The bag finishes at `at + infusion`; ending exactly at `prepared_at + 48 h` is permitted (§9.8).
                Some(prepared) => Truth::when(
                    self.at.duration_since(prepared) + limits.infusion > limits.preparation_stability,
                    Evidence::Time { input: Input::PreparedAt, at: prepared },
                ),
                None => Truth::No,
            },
            Rule::ConsensusHoldSinusTachycardia => self.observed(O::HeartRate, &observations.heart_rate, |rate| {
                rate >= consensus.tachycardia_hold_min && rate <= consensus.tachycardia_stop_above
            }),
            Rule::ConsensusHoldSbpBelowTarget => {
                let target = self.target_systolic_bp();
                self.observed(O::SystolicBp, &observations.systolic_bp, |sbp| sbp < target)
            }
            Rule::ConsensusHoldDiarrhea1000Shift => self.last_shift(O::StoolOutput, &observations.stool_output, |volume| {
                volume >= consensus.diarrhea_per_shift_at_least
            }),
            Rule::ConsensusHoldIleusDistention => self.word(F::IleusDistention, Word::Present),
            Rule::ConsensusHoldBilirubinAbove7 => self.observed(O::BilirubinTotal, &observations.bilirubin_total, |value| {
                value > consensus.bilirubin_hold_above
            }),
            Rule::ConsensusHoldPhenylephrineInterval => self.phenylephrine_truth(true, |rate| {
                rate >= consensus.phenylephrine_interval_hold_at_least && rate < consensus.phenylephrine_interval_stop_at_least
            }),
            Rule::ConsensusHoldPhenylephrineAtDose => self.phenylephrine_truth(false, |rate| {
                rate > consensus.phenylephrine_now_hold_above && rate <= consensus.phenylephrine_now_stop_above
            }),
            Rule::ConsensusHoldHemePositive => self.finding_present(F::HemePositiveSecretions),
            Rule::ConsensusHoldPlatelets30To50k => self.observed(O::Platelets, &observations.platelets, |count| {
                count >= consensus.platelets_hold_at_least && count <= consensus.platelets_hold_at_most
            }),
            Rule::ConsensusHoldWeightGain15Pct => self.weight_gain_above(consensus.weight_gain_fraction_above),
            Rule::ConsensusHoldExtremeTightness => self.finding_present(F::ExtremeTightness),
            Rule::ConsensusHoldVividDreams => self.finding_present(F::VividDreams),
            Rule::ConsensusHoldAnxietyMild => self.finding_present(F::AnxietyMild),
            Rule::ConsensusHoldDyspneaAtRest => self.finding_present(F::DyspneaAtRest),
            Rule::ConsensusHoldOxygen3To4L => match self.o2_device_contradicted() {
                Some(missing) => Truth::unknown(missing),
                None => self.cannula_flow(|flow| {
                    flow >= consensus.oxygen_hold_at_least && flow <= consensus.oxygen_hold_at_most
                }),
            },
            Rule::ConsensusHoldRalesThird => self.word(F::RalesExtent, Word::LowerThird),
            Rule::ConsensusHoldUrine80To160Shift => self.last_shift(O::UrineOutput, &observations.urine_output, |volume| {
                volume >= consensus.urine_shift_hold_at_least && volume <= consensus.urine_shift_hold_at_most
            }),
            Rule::ConsensusHoldCreatinine2_5 => self.creatinine(|value| {
                value >= consensus.creatinine_hold_at_least && value < consensus.creatinine_stop_at_least
            }),
            Rule::ConsensusStopSinusTachycardiaAbove130 => {
                self.observed(O::HeartRate, &observations.heart_rate, |rate| rate > consensus.tachycardia_stop_above)
            }
            Rule::ConsensusStopVentricularArrhythmia => self
                .finding_present(F::VentricularEctopy)
                .or(|| self.finding(F::VentricularTachycardia, |value| matches!(value, FindingValue::Beats(beats) if beats >= 1))),
            Rule::ConsensusStopCardiacEnzymes => self.finding_present(F::CardiacEnzymesElevated),
            Rule::ConsensusStopMoistDesquamation => self.finding_present(F::MoistDesquamation),
            Rule::ConsensusStopDiarrheaTwoShifts => self.last_two_shifts(O::StoolOutput, &observations.stool_output, |volume| {
                volume >= consensus.diarrhea_per_shift_at_least
            }),
            Rule::ConsensusStopVomitingRefractory => self.finding_present(F::VomitingRefractory),
            Rule::ConsensusStopDistentionBreathing => self.word(F::IleusDistention, Word::SevereAffectingBreathing),
            Rule::ConsensusStopAbdominalPain => self.finding_present(F::AbdominalPainSevere),
            Rule::ConsensusStopPhenylephrineInterval => {
                self.phenylephrine_truth(true, |rate| rate >= consensus.phenylephrine_interval_stop_at_least)
            }
            Rule::ConsensusStopPhenylephrineAtDose => {
                self.phenylephrine_truth(false, |rate| rate > consensus.phenylephrine_now_stop_above)
            }
            Rule::ConsensusStopFrankBlood => self.finding_present(F::FrankBlood),
            Rule::ConsensusStopPlateletsBelow30k => {
                self.observed(O::Platelets, &observations.platelets, |count| count < consensus.platelets_hold_at_least)
            }
            Rule::ConsensusStopInfection => self.finding_present(F::InfectionSuspectedOrDocumented),
            Rule::ConsensusStopExtremeParesthesias => self.finding_present(F::ExtremeParesthesias),
            Rule::ConsensusStopHallucinations => self.finding_present(F::Hallucinations),
            Rule::ConsensusStopPersistentCrying => self.finding_present(F::PersistentCrying),
            Rule::ConsensusStopMentalStatus2h => self.mental_status_changed().and(|| {
                self.finding(F::MentalStatusChangeHours, |value| hours_above(value, consensus.mental_status_hours_above))
            }),
            Rule::ConsensusStopCognitiveScreen => self.word(F::CognitiveScreenFailed, Word::Yes),
            Rule::ConsensusStopOxygenAbove4L => match self.o2_device_contradicted() {
                Some(missing) => Truth::unknown(missing),
                None => self.cannula_flow(|flow| flow > consensus.oxygen_stop_above).or(|| {
                    self.word(F::O2Device, Word::FaceMask).and(|| {
                        self.observed(O::Fio2, &observations.fio2, |fio2| fio2 >= consensus.fio2_stop_at_least)
                    })
                }),
            },
            Rule::ConsensusStopIntubation => self.finding(F::Intubated, |value| hours_above(value, Decimal::ZERO)),
            Rule::ConsensusStopRalesHalf => self.word(F::RalesExtent, Word::HalfOrMore),
            Rule::ConsensusStopUrineBelow80Shift => self.last_shift(O::UrineOutput, &observations.urine_output, |volume| {
                volume < consensus.urine_shift_hold_at_least
            }),
            Rule::ConsensusStopCreatinine3 => self.creatinine(|value| value >= consensus.creatinine_stop_at_least),
            Rule::ConsensusStopBicarbonate18 => {
                self.observed(O::Bicarbonate, &observations.bicarbonate, |value| value <= consensus.bicarbonate_stop_at_most)
            }
            // Decided from the other rules' results by `count_rules`; never fires on its own.
            Rule::ConsensusStopThreeRelative | Rule::ConsensusStopHeldThreeTimes => Truth::No,
        }
    }

    /// Whether a pending hold's resume condition is met now (ASSESSMENT §7, §9.3). Rules that are not holds
    /// have no resume condition and are never pending.
    fn resume(&self, rule: Rule) -> Truth {
        let label = &self.parameters.label;
        let consensus = &self.parameters.consensus;
        let observations = &self.assessment.observations;
        use FindingCode as F;
        use ObservationCode as O;
        let rhythm = || self.yes_resumes(F::Asymptomatic).and(|| self.yes_resumes(F::NormalSinusRhythm));
        let renal = || {
            self.creatinine(|value| value < label.creatinine_resume_below)
                .and(|| self.yes_resumes(F::FluidElectrolytesStable))
        };
        match rule {
            Rule::LabelHoldAtrialFibrillation | Rule::LabelHoldSvt | Rule::LabelHoldBradycardia => rhythm(),
            Rule::LabelHoldSbpBelow90 => self
                .observed(O::SystolicBp, &observations.systolic_bp, |sbp| sbp >= label.systolic_hold_below)
                .and(|| self.yes_resumes(F::Asymptomatic))
                .and(|| {
                    self.finding_resumes(F::PressorRequirement, |value| {
                        matches!(word_of(value), Some(Word::None | Word::Decreasing | Word::Stable))
                    })
                }),
            Rule::LabelHoldSpo2Below90 => {
                self.observed(O::Spo2, &observations.spo2, |spo2| spo2 > label.spo2_resume_above)
            }
            Rule::LabelHoldMentalStatusChange => self
                .finding_resumes(F::MentalStatusChange, |value| value == FindingValue::Word(Word::None))
                .and(|| self.finding_resumes(F::Coma, |value| hours_of(value).is_zero()))
                .and(|| self.finding_resumes(F::ToxicPsychosis, |value| hours_of(value).is_zero()))
                .and(|| self.finding_absent_resumes(F::Hallucinations)),
            Rule::LabelHoldLethargySomnolence => self.finding_resumes(F::LethargySomnolence, |value| {
                word_of(value).is_some_and(|word| word.severity() <= Word::Mild.severity())
            }),
            Rule::LabelHoldFobtPositive => {
                self.finding_resumes(F::FobtResult, |value| value == FindingValue::Word(Word::Negative))
            }
            Rule::LabelHoldSepsisUnstable => {
                self.finding_absent_resumes(F::SepsisUnstable).and(|| self.yes_resumes(F::InfectionUnderTreatment))
            }
            Rule::LabelHoldCreatinineAbove4_5 | Rule::LabelHoldCreatinine4Complicated => renal(),
            Rule::LabelHoldOliguria => self.oliguria_resumes(),
            Rule::LabelHoldBullousDermatitis => self.finding_absent_resumes(F::BullousDermatitis),
            Rule::ProductHoldIntubated | Rule::ProductHoldOtherVasopressor | Rule::ProductHoldGrade4 => {
                self.trigger(rule).negated()
            }
            Rule::ProductHoldUnreadFinding => self.unread_findings_absent(),
            Rule::ProductHoldChestPainEcgPending => self.ecg_absent_since_chest_pain(),
            Rule::ConsensusHoldSinusTachycardia => {
                self.observed(O::HeartRate, &observations.heart_rate, |rate| rate < consensus.tachycardia_hold_min)
            }
            Rule::ConsensusHoldSbpBelowTarget => {
                let target = self.target_systolic_bp();
                self.observed(O::SystolicBp, &observations.systolic_bp, |sbp| sbp >= target)
            }
            Rule::ConsensusHoldDiarrhea1000Shift => {
                self.last_shift(O::StoolOutput, &observations.stool_output, |volume| {
                    volume < consensus.diarrhea_per_shift_at_least
                })
            }
            Rule::ConsensusHoldIleusDistention => {
                self.finding_resumes(F::IleusDistention, |value| value == FindingValue::Word(Word::None))
            }
            Rule::ConsensusHoldBilirubinAbove7 => {
                self.observed(O::BilirubinTotal, &observations.bilirubin_total, |value| {
                    value <= consensus.bilirubin_hold_above
                })
            }
            Rule::ConsensusHoldPhenylephrineInterval => {
                self.phenylephrine_truth(true, |rate| rate < consensus.phenylephrine_interval_hold_at_least)
            }
            Rule::ConsensusHoldPhenylephrineAtDose => {
                self.phenylephrine_truth(false, |rate| rate <= consensus.phenylephrine_now_hold_above)
            }
            Rule::ConsensusHoldHemePositive => self.finding_absent_resumes(F::HemePositiveSecretions),
            Rule::ConsensusHoldPlatelets30To50k => {
                self.observed(O::Platelets, &observations.platelets, |count| count > consensus.platelets_hold_at_most)
            }
            Rule::ConsensusHoldWeightGain15Pct => {
                self.weight_gain_above(consensus.weight_gain_fraction_above).negated()
            }
            Rule::ConsensusHoldExtremeTightness => self.finding_absent_resumes(F::ExtremeTightness),
            Rule::ConsensusHoldVividDreams => self.finding_absent_resumes(F::VividDreams),
            Rule::ConsensusHoldAnxietyMild => self.finding_absent_resumes(F::AnxietyMild),
            Rule::ConsensusHoldDyspneaAtRest => self.finding_absent_resumes(F::DyspneaAtRest),
            Rule::ConsensusHoldOxygen3To4L => {
                if let Some(missing) = self.o2_device_contradicted() {
                    return Truth::unknown(missing);
                }
                // Device none means a flow of 0 (§9.14), which is below 3 L/min.
                let device_none = self.finding_resumes(F::O2Device, |value| value == FindingValue::Word(Word::None));
                match device_none {
                    yes @ Truth::Yes(_) => yes,
                    _ => self.observed(O::OxygenFlow, &observations.oxygen_flow, |flow| {
                        flow < consensus.oxygen_hold_at_least
                    }),
                }
            }
            Rule::ConsensusHoldRalesThird => {
                self.finding_resumes(F::RalesExtent, |value| value == FindingValue::Word(Word::None))
            }
            Rule::ConsensusHoldUrine80To160Shift => {
                self.last_shift(O::UrineOutput, &observations.urine_output, |volume| {
                    volume > consensus.urine_shift_hold_at_most
                })
            }
            Rule::ConsensusHoldCreatinine2_5 => self.creatinine(|value| value < consensus.creatinine_hold_at_least),
            // Not holds: never pending (refused at the edge, ignored here).
            Rule::LabelStopCourseHepaticFailure
            | Rule::LabelStopVtSustained
            | Rule::LabelStopArrhythmiaUncontrolled
            | Rule::LabelStopEcgIschemia
            | Rule::LabelStopChestPainAngina
            | Rule::LabelStopCardiacTamponade
            | Rule::LabelStopIntubationOver72h
            | Rule::LabelStopComaOver48h
            | Rule::LabelStopToxicPsychosisOver48h
            | Rule::LabelStopSeizuresRepetitive
            | Rule::LabelStopBowelIschemiaPerforation
            | Rule::LabelStopGiBleedingSurgery
            | Rule::LabelStopDialysisOver72h
            | Rule::ProductLimitCycle14
            | Rule::ProductLimitCourse28
            | Rule::ProductLimitOutsideCycleWindow
            | Rule::ProductLimitInterval
            | Rule::ProductLimitCourseDiscontinued
            | Rule::ProductLimitRetreatmentContraindicated
            | Rule::ProductLimitPreparationExpired
            | Rule::ConsensusStopSinusTachycardiaAbove130
            | Rule::ConsensusStopEcgIschemia
            | Rule::ConsensusStopAtrialFibrillation
            | Rule::ConsensusStopSvt
            | Rule::ConsensusStopVentricularArrhythmia
            | Rule::ConsensusStopCardiacEnzymes
            | Rule::ConsensusStopMoistDesquamation
            | Rule::ConsensusStopDiarrheaTwoShifts
            | Rule::ConsensusStopVomitingRefractory
            | Rule::ConsensusStopDistentionBreathing
            | Rule::ConsensusStopAbdominalPain
            | Rule::ConsensusStopPhenylephrineInterval
            | Rule::ConsensusStopPhenylephrineAtDose
            | Rule::ConsensusStopFrankBlood
            | Rule::ConsensusStopPlateletsBelow30k
            | Rule::ConsensusStopInfection
            | Rule::ConsensusStopExtremeParesthesias
            | Rule::ConsensusStopHallucinations
            | Rule::ConsensusStopPersistentCrying
            | Rule::ConsensusStopMentalStatus2h
            | Rule::ConsensusStopCognitiveScreen
            | Rule::ConsensusStopOxygenAbove4L
            | Rule::ConsensusStopIntubation
            | Rule::ConsensusStopRalesHalf
            | Rule::ConsensusStopUrineBelow80Shift
            | Rule::ConsensusStopCreatinine3
            | Rule::ConsensusStopBicarbonate18
            | Rule::ConsensusStopThreeRelative
            | Rule::ConsensusStopHeldThreeTimes => Truth::Yes(Vec::new()),
        }
    }
}
