//! The course as a state derived from typed record events (decisions, doses given or held, cycle-2 delays,
//! home check-ins and their call-back clearances, the injection log), and the rules for what may be recorded
//! against it (ASSESSMENT §6, §7, §10.5, §10.6; TRIAGE amendment item 3; DOSING §4).
//!
//! Pure: the caller reads the record and passes the events and the time; nothing here reads a clock, a
//! database or JSON. The API, the pages and CDS Hooks all derive course facts here, so they agree.

use jiff::{SignedDuration, Timestamp};

use crate::Source;
use crate::assessment::{Action, Decision, Rule};
use crate::regimens::{Regimen, Route};
use crate::schedule::{Slot, high_dose};

const DAY: SignedDuration = SignedDuration::from_hours(24);

/// The rules of this module: what may be recorded against the course, each with its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordRule {
    /// `give`: nurse or physician, citing the latest decision for the slot with nothing recorded since.
    GiveNeedsLatestDecision,
    /// `hold` / `insufficient_data`: only a physician may give, with a reason code and free text.
    OverrideHoldByPhysician,
    /// `discontinue_*`: only a physician; `discontinue_permanently` also a second physician's co-signature.
    OverrideDiscontinueByPhysician,
    /// `not_permitted` is a hard stop: never given.
    NotPermittedNeverGiven,
    /// A hold against `give` (or with no decision) records a reason code.
    HoldAgainstGiveNeedsReason,
    /// One `given` per dose slot; a slot given is not held afterwards (correct the entry instead).
    OneGivenPerSlot,
    /// Who records doses: nurses and physicians only.
    RecordedByClinician,
    /// The injection log: one standing entry per slot; never two shots to catch up.
    OneShotPerSlot,
    /// After a check-in at call_now or emergency the next shot waits for a clinician's clearance.
    HoldNextShotAfterUrgentCheckIn,
    /// The injection log is for low-dose subcutaneous courses; high-dose doses are recorded by the care team.
    ShotOnlyForLowDoseCourse,
    /// A logged shot answers a slot of the course's schedule (or a level of its regimen) at its level, and is
    /// not timed before the course started.
    ShotMatchesSchedule,
}

impl RecordRule {
    /// Every rule, for the catalogue test.
    pub const ALL: [RecordRule; 11] = [
        RecordRule::GiveNeedsLatestDecision,
        RecordRule::OverrideHoldByPhysician,
        RecordRule::OverrideDiscontinueByPhysician,
        RecordRule::NotPermittedNeverGiven,
        RecordRule::HoldAgainstGiveNeedsReason,
        RecordRule::OneGivenPerSlot,
        RecordRule::RecordedByClinician,
        RecordRule::OneShotPerSlot,
        RecordRule::HoldNextShotAfterUrgentCheckIn,
        RecordRule::ShotOnlyForLowDoseCourse,
        RecordRule::ShotMatchesSchedule,
    ];

    /// The stable id.
    pub const fn id(self) -> &'static str {
        match self {
            RecordRule::GiveNeedsLatestDecision => "record.dose.give-latest-decision",
            RecordRule::OverrideHoldByPhysician => "record.dose.override-hold-physician",
            RecordRule::OverrideDiscontinueByPhysician => "record.dose.override-discontinue-cosigned",
            RecordRule::NotPermittedNeverGiven => "record.dose.not-permitted-never-given",
            RecordRule::HoldAgainstGiveNeedsReason => "record.dose.hold-against-give-reason",
            RecordRule::OneGivenPerSlot => "record.dose.one-given-per-slot",
            RecordRule::RecordedByClinician => "record.dose.clinician-only",
            RecordRule::OneShotPerSlot => "record.injection.one-shot-per-slot",
            RecordRule::HoldNextShotAfterUrgentCheckIn => "record.injection.hold-after-urgent-check-in",
            RecordRule::ShotOnlyForLowDoseCourse => "record.injection.low-dose-course",
            RecordRule::ShotMatchesSchedule => "record.injection.slot-of-schedule",
        }
    }

    /// Where the rule comes from.
    pub const fn source(self) -> Source {
        match self {
            RecordRule::GiveNeedsLatestDecision
            | RecordRule::OverrideHoldByPhysician
            | RecordRule::OverrideDiscontinueByPhysician
            | RecordRule::NotPermittedNeverGiven
            | RecordRule::HoldAgainstGiveNeedsReason
            | RecordRule::RecordedByClinician => Source("PRODUCT; LABEL-2024 §2.4"),
            RecordRule::OneGivenPerSlot => Source("PRODUCT; LABEL-2024 T1"),
            RecordRule::OneShotPerSlot => Source("EDU; PRODUCT"),
            RecordRule::HoldNextShotAfterUrgentCheckIn => Source("PRODUCT; LABEL-2024 §2.4"),
            RecordRule::ShotOnlyForLowDoseCourse => Source("PRODUCT; LABEL-2024 §2.2"),
            RecordRule::ShotMatchesSchedule => Source("PRODUCT; EDU"),
        }
    }
}

/// Why a record is refused: the rule, the field at fault, the reason, and whether it conflicts with what the
/// record already holds (409) rather than being a bad request (422) or not allowed for this person (403).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRefusal {
    pub rule: RecordRule,
    pub field: &'static str,
    pub reason: String,
    pub kind: RefusalKind,
}

/// How a refusal is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// The request is incomplete or contradicts the record's decision (422).
    Refused,
    /// This person may not record it (403).
    Forbidden,
    /// The record already holds it (409).
    Conflict,
}

fn refuse(rule: RecordRule, field: &'static str, kind: RefusalKind, reason: impl Into<String>) -> RecordRefusal {
    RecordRefusal { rule, field, reason: reason.into(), kind }
}

/// The short list of reason codes for an override or a hold (ASSESSMENT §10.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReasonCode {
    FindingResolvedOnReview,
    DataEntryError,
    ProtocolExceptionApproved,
    ClinicalConcern,
    PatientDeclined,
    DrugOrAccessUnavailable,
}

impl ReasonCode {
    pub const ALL: [ReasonCode; 6] = [
        ReasonCode::FindingResolvedOnReview,
        ReasonCode::DataEntryError,
        ReasonCode::ProtocolExceptionApproved,
        ReasonCode::ClinicalConcern,
        ReasonCode::PatientDeclined,
        ReasonCode::DrugOrAccessUnavailable,
    ];

    /// The code as documents spell it.
    pub const fn id(self) -> &'static str {
        match self {
            ReasonCode::FindingResolvedOnReview => "finding_resolved_on_review",
            ReasonCode::DataEntryError => "data_entry_error",
            ReasonCode::ProtocolExceptionApproved => "protocol_exception_approved",
            ReasonCode::ClinicalConcern => "clinical_concern",
            ReasonCode::PatientDeclined => "patient_declined",
            ReasonCode::DrugOrAccessUnavailable => "drug_or_access_unavailable",
        }
    }

    /// Words for a form.
    pub const fn label(self) -> &'static str {
        match self {
            ReasonCode::FindingResolvedOnReview => "Finding resolved on review",
            ReasonCode::DataEntryError => "Data entry error",
            ReasonCode::ProtocolExceptionApproved => "Protocol exception approved",
            ReasonCode::ClinicalConcern => "Clinical concern",
            ReasonCode::PatientDeclined => "Patient declined",
            ReasonCode::DrugOrAccessUnavailable => "Drug or IV access unavailable",
        }
    }

    /// The code spelled `id`, if any.
    pub fn from_id(id: &str) -> Option<ReasonCode> {
        ReasonCode::ALL.into_iter().find(|code| code.id() == id)
    }

    /// Whether the code can justify giving a dose against the decision (the others only justify a hold).
    pub const fn justifies_giving(self) -> bool {
        matches!(
            self,
            ReasonCode::FindingResolvedOnReview | ReasonCode::DataEntryError | ReasonCode::ProtocolExceptionApproved
        )
    }
}

/// Who records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecorderRole {
    Nurse,
    Physician,
    /// Anyone else (pharmacist, admin, patient): never records a dose.
    Other,
}

/// A person recording, by role and account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorder {
    pub role: RecorderRole,
    pub account: String,
}

/// A dose slot of a high-dose course: the cycle and the 8-hour slot of that cycle, as the decision reports it
/// (ASSESSMENT §8 `cycle`, `slot`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DoseSlot {
    pub cycle: u8,
    pub slot: u32,
}

impl DoseSlot {
    /// The slot numbered across the course: cycle 1 slots 1-15, cycle 2 slots 16-30.
    pub fn number(self) -> u32 {
        (u32::from(self.cycle) - 1) * high_dose::SLOTS_PER_WINDOW + self.slot
    }

    /// The slot of a course-wide number (1-30), if it is one.
    pub fn from_number(number: u32) -> Option<DoseSlot> {
        let per = high_dose::SLOTS_PER_WINDOW;
        match number {
            n if (1..=per).contains(&n) => Some(DoseSlot { cycle: 1, slot: n }),
            n if (per + 1..=2 * per).contains(&n) => Some(DoseSlot { cycle: 2, slot: n - per }),
            _ => None,
        }
    }
}

/// A decision stored in the course.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedDecision {
    pub id: i64,
    /// The decision time.
    pub at: Timestamp,
    /// When it was stored.
    pub recorded_at: Timestamp,
    pub decision: Decision,
    /// The slot it decided, when the decision fell in a cycle window.
    pub slot: Option<DoseSlot>,
    /// The hold rules that fired or stayed pending in it (for the next slot's carry-over, ASSESSMENT §7).
    pub holds: Vec<Rule>,
}

/// Given or held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DoseStatus {
    Given,
    Held,
}

/// A dose event of the course.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedDose {
    pub id: i64,
    /// The actual start time (given) or when the hold was recorded.
    pub at: Timestamp,
    pub slot: Option<DoseSlot>,
    pub status: DoseStatus,
    pub decision_id: Option<i64>,
    /// Whether the dose went against its decision (an override).
    pub overrides: bool,
    pub corrects_id: Option<i64>,
}

/// Everything the course state is derived from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseEvents {
    pub started_at: Timestamp,
    /// The physician's delayed cycle-2 start day (ASSESSMENT §10.5), the latest recorded.
    pub cycle_two_start_day: Option<u32>,
    pub decisions: Vec<RecordedDecision>,
    pub doses: Vec<RecordedDose>,
}

/// The first cycle-2 day a delay may name: day 15 is the label's (LABEL-2024 T1); a delay is later.
pub const CYCLE_TWO_DAY: u32 = 15;
/// The latest cycle-2 start day a delay may name (PRODUCT: a plausibility bound; later is a new course).
pub const LATEST_CYCLE_TWO_DAY: u32 = 60;

/// The cycle windows of a course in cycle days (inclusive): cycle 1 days 1-5, cycle 2 days 15-19 or the
/// physician's delayed start day plus 4 (ASSESSMENT §10.5) [LABEL-2024 T1; PRODUCT].
pub fn cycle_windows(cycle_two_start_day: Option<u32>) -> ((i64, i64), (i64, i64)) {
    let start = i64::from(cycle_two_start_day.unwrap_or(CYCLE_TWO_DAY).max(CYCLE_TWO_DAY));
    ((1, 5), (start, start + 4))
}

/// The course at a time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseState {
    /// The cycle `at` belongs to for counting: 1 before cycle 2's first day, 2 from then on.
    pub cycle: u8,
    /// Whether `at` lies inside that cycle's dosing window.
    pub in_window: bool,
    pub windows: ((i64, i64), (i64, i64)),
    pub doses_given_cycle: u32,
    pub doses_given_course: u32,
    /// Slots of this cycle held and not given.
    pub holds_this_cycle: u32,
    /// Slots held in the whole course (for CDS Hooks: "held this course").
    pub holds_this_course: u32,
    pub last_dose_at: Option<Timestamp>,
    /// Hold rules of the latest decision of this cycle still waiting for their resume condition.
    pub pending_holds: Vec<Rule>,
    /// A decision discontinued the course and no dose was given against it by a permitted override.
    pub discontinued: bool,
    /// A decision in this course said `discontinue_permanently`.
    pub permanently_discontinued: bool,
    /// The latest decision (by time, then id).
    pub latest_decision: Option<RecordedDecision>,
    /// The standing dose events (those no later event corrects), oldest first.
    pub standing_doses: Vec<RecordedDose>,
}

/// The events no later event corrects.
fn standing(doses: &[RecordedDose]) -> Vec<RecordedDose> {
    let corrected: Vec<i64> = doses.iter().filter_map(|dose| dose.corrects_id).collect();
    doses.iter().filter(|dose| !corrected.contains(&dose.id)).cloned().collect()
}

/// The course state at `at` from its events (ASSESSMENT §6, §7, §9.6, §10.5) [LABEL-2024 T1; PRODUCT].
pub fn course_state(events: &CourseEvents, at: Timestamp) -> CourseState {
    let windows = cycle_windows(events.cycle_two_start_day);
    let cycle_two_from = events.started_at + DAY * i32::try_from(windows.1.0 - 1).expect("cycle-2 day is small");
    let cycle_of = |time: Timestamp| if time < cycle_two_from { 1u8 } else { 2u8 };
    let cycle = cycle_of(at);
    let day = at.duration_since(events.started_at).as_secs().div_euclid(86_400) + 1;
    let window = if cycle == 1 { windows.0 } else { windows.1 };
    let in_window = (window.0..=window.1).contains(&day);
    let doses: Vec<RecordedDose> = standing(&events.doses).into_iter().filter(|dose| dose.at <= at).collect::<Vec<_>>();
    let given: Vec<&RecordedDose> = doses.iter().filter(|dose| dose.status == DoseStatus::Given).collect();
    let given_slots: Vec<Option<DoseSlot>> = given.iter().map(|dose| dose.slot).collect();
    // A slot held and later given counts as given, not held; holds without a slot count one each.
    let held: Vec<&RecordedDose> = doses
        .iter()
        .filter(|dose| dose.status == DoseStatus::Held && (dose.slot.is_none() || !given_slots.contains(&dose.slot)))
        .collect();
    let mut held_slots: Vec<(u8, Option<DoseSlot>, i64)> = Vec::new();
    for dose in &held {
        let key = (cycle_of(dose.at), dose.slot, if dose.slot.is_some() { 0 } else { dose.id });
        if !held_slots.contains(&key) {
            held_slots.push(key);
        }
    }
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let last_dose_at = given.iter().map(|dose| dose.at).max();
    let mut decisions: Vec<&RecordedDecision> = events.decisions.iter().filter(|d| d.at <= at).collect();
    decisions.sort_by_key(|decision| (decision.at, decision.id));
    let latest = decisions.last().copied();
    // ASSESSMENT §7: the holds of the latest decision of this cycle carry over, unless a dose was given after it.
    let pending_holds = match latest {
        Some(latest) if cycle_of(latest.at) == cycle && last_dose_at.is_none_or(|dose| dose < latest.at) => {
            let mut rules: Vec<Rule> = Vec::new();
            for rule in latest.holds.iter().filter(|rule| rule.action() == Action::Hold) {
                if !rules.contains(rule) {
                    rules.push(*rule);
                }
            }
            rules
        }
        _ => Vec::new(),
    };
    let overridden = |decision: &RecordedDecision| {
        given.iter().any(|dose| dose.decision_id == Some(decision.id) && dose.overrides && dose.at >= decision.at)
    };
    let discontinuing = |decision: &&&RecordedDecision| {
        matches!(decision.decision, Decision::DiscontinueCourse | Decision::DiscontinuePermanently)
    };
    let discontinued = decisions.iter().filter(discontinuing).any(|decision| !overridden(decision));
    let permanently_discontinued =
        decisions.iter().any(|decision| decision.decision == Decision::DiscontinuePermanently);
    CourseState {
        cycle,
        in_window,
        windows,
        doses_given_cycle: count(given.iter().filter(|dose| cycle_of(dose.at) == cycle).count()),
        doses_given_course: count(given.len()),
        holds_this_cycle: count(held_slots.iter().filter(|(c, _, _)| *c == cycle).count()),
        holds_this_course: count(held_slots.len()),
        last_dose_at,
        pending_holds,
        discontinued,
        permanently_discontinued,
        latest_decision: latest.cloned(),
        standing_doses: doses,
    }
}

/// What a person asks to record for a dose slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseRecordRequest {
    pub status: DoseStatus,
    pub slot: DoseSlot,
    /// The actual start time.
    pub at: Timestamp,
    pub decision_id: Option<i64>,
    pub reason_code: Option<ReasonCode>,
    pub reason_text: Option<String>,
    pub recorder: Recorder,
    /// The second physician's account, for `discontinue_permanently`.
    pub cosigner: Option<Recorder>,
    pub corrects_id: Option<i64>,
}

/// What the record allows: whether the dose is an override of its decision, and the decision it follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseRecordPermit {
    pub overrides: bool,
    pub decision: Option<Decision>,
}

/// Whether a dose may be recorded (ASSESSMENT §10.6) [PRODUCT; LABEL-2024 §2.4; DOSING §4]. `last_change` is
/// when anything that could change a decision was last recorded for the patient (an observation, a dose, a
/// flag, a setting, a cycle-2 delay); a `give` must be newer.
pub fn may_record_dose(
    request: &DoseRecordRequest,
    events: &CourseEvents,
    last_change: Option<Timestamp>,
) -> Result<DoseRecordPermit, RecordRefusal> {
    use RefusalKind::{Conflict, Forbidden, Refused};
    if request.recorder.role == RecorderRole::Other {
        return Err(refuse(
            RecordRule::RecordedByClinician,
            "status",
            Forbidden,
            "only a nurse or a physician records doses",
        ));
    }
    let doses = standing(&events.doses);
    if let Some(corrects_id) = request.corrects_id
        && !doses.iter().any(|dose| dose.id == corrects_id)
    {
        return Err(refuse(
            RecordRule::OneGivenPerSlot,
            "corrects_id",
            Refused,
            "is not a standing dose record of this course (it may already be corrected)",
        ));
    }
    let taken = doses.iter().find(|dose| {
        dose.slot == Some(request.slot) && dose.status == DoseStatus::Given && Some(dose.id) != request.corrects_id
    });
    if let Some(taken) = taken {
        return Err(refuse(
            RecordRule::OneGivenPerSlot,
            "slot",
            Conflict,
            format!(
                "slot {} (cycle {} slot {}) already has a dose given (record {}); correct that record instead",
                request.slot.number(),
                request.slot.cycle,
                request.slot.slot,
                taken.id
            ),
        ));
    }
    let held_twice = doses.iter().any(|dose| {
        dose.slot == Some(request.slot) && dose.status == DoseStatus::Held && Some(dose.id) != request.corrects_id
    });
    if request.status == DoseStatus::Held && held_twice {
        return Err(refuse(
            RecordRule::OneGivenPerSlot,
            "slot",
            Conflict,
            format!("slot {} is already recorded as held", request.slot.number()),
        ));
    }
    let decision = match request.decision_id {
        Some(id) => Some(events.decisions.iter().find(|decision| decision.id == id).ok_or_else(|| {
            refuse(RecordRule::GiveNeedsLatestDecision, "assessment_id", Refused, "is not a decision of this course")
        })?),
        None => None,
    };
    match request.status {
        DoseStatus::Held => {
            let against_give = decision.is_none_or(|decision| decision.decision == Decision::Give);
            if against_give && request.reason_code.is_none() {
                return Err(refuse(
                    RecordRule::HoldAgainstGiveNeedsReason,
                    "reason_code",
                    Refused,
                    format!("is required to hold against `give` or without a decision: one of {}", reason_ids()),
                ));
            }
            Ok(DoseRecordPermit { overrides: false, decision: decision.map(|decision| decision.decision) })
        }
        DoseStatus::Given => {
            let decision = decision.ok_or_else(|| {
                refuse(
                    RecordRule::GiveNeedsLatestDecision,
                    "assessment_id",
                    Refused,
                    "is required: a dose is given against the latest decision for its slot; assess first",
                )
            })?;
            latest_for_slot(request, decision, events, last_change)?;
            give_against(request, decision)
        }
    }
}

fn reason_ids() -> String {
    ReasonCode::ALL.iter().map(|code| code.id()).collect::<Vec<_>>().join(", ")
}

/// The decision must be the latest of the course, for this slot, with nothing recorded since.
fn latest_for_slot(
    request: &DoseRecordRequest,
    decision: &RecordedDecision,
    events: &CourseEvents,
    last_change: Option<Timestamp>,
) -> Result<(), RecordRefusal> {
    let rule = RecordRule::GiveNeedsLatestDecision;
    let again = |why: String| refuse(rule, "assessment_id", RefusalKind::Refused, format!("{why}; assess again"));
    let newer = events.decisions.iter().find(|other| (other.at, other.id) > (decision.at, decision.id));
    if let Some(newer) = newer {
        return Err(again(format!("is not the latest decision of this course (decision {} is newer)", newer.id)));
    }
    if decision.slot != Some(request.slot) {
        return Err(again(format!("decided another slot than slot {}", request.slot.number())));
    }
    if request.at < decision.at {
        return Err(again("was made after the dose started".to_string()));
    }
    if let Some(change) = last_change
        && change > decision.recorded_at
    {
        return Err(again("was made before something that could change it was recorded".to_string()));
    }
    Ok(())
}

/// Who may give against which decision (ASSESSMENT §10.6).
fn give_against(request: &DoseRecordRequest, decision: &RecordedDecision) -> Result<DoseRecordPermit, RecordRefusal> {
    use RefusalKind::{Forbidden, Refused};
    let physician = request.recorder.role == RecorderRole::Physician;
    let needs_reason = |rule: RecordRule| -> Result<(), RecordRefusal> {
        match request.reason_code {
            Some(code) if code.justifies_giving() => {}
            _ => {
                let ids: Vec<&str> =
                    ReasonCode::ALL.iter().filter(|code| code.justifies_giving()).map(|code| code.id()).collect();
                return Err(refuse(rule, "reason_code", Refused, format!("is required: one of {}", ids.join(", "))));
            }
        }
        if request.reason_text.as_deref().is_none_or(|text| text.trim().is_empty()) {
            return Err(refuse(rule, "override_reason", Refused, "is required: say why in words"));
        }
        Ok(())
    };
    let word = decision.decision.id();
    match decision.decision {
        Decision::Give => Ok(DoseRecordPermit { overrides: false, decision: Some(Decision::Give) }),
        Decision::NotPermitted => Err(refuse(
            RecordRule::NotPermittedNeverGiven,
            "status",
            Forbidden,
            "the decision is not_permitted (schedule, course limit or expired bag): a hard stop that nobody overrides",
        )),
        Decision::Hold | Decision::InsufficientData => {
            if !physician {
                return Err(refuse(
                    RecordRule::OverrideHoldByPhysician,
                    "status",
                    Forbidden,
                    format!("only a physician may give against `{word}`"),
                ));
            }
            needs_reason(RecordRule::OverrideHoldByPhysician)?;
            Ok(DoseRecordPermit { overrides: true, decision: Some(decision.decision) })
        }
        Decision::DiscontinueCourse | Decision::DiscontinuePermanently => {
            let rule = RecordRule::OverrideDiscontinueByPhysician;
            if !physician {
                return Err(refuse(rule, "status", Forbidden, format!("only a physician may give against `{word}`")));
            }
            needs_reason(rule)?;
            if decision.decision == Decision::DiscontinuePermanently {
                let cosigned = request.cosigner.as_ref().is_some_and(|cosigner| {
                    cosigner.role == RecorderRole::Physician && cosigner.account != request.recorder.account
                });
                if !cosigned {
                    return Err(refuse(
                        rule,
                        "cosigned_by",
                        Refused,
                        "a second physician (another account) must co-sign giving against discontinue_permanently",
                    ));
                }
            }
            Ok(DoseRecordPermit { overrides: true, decision: Some(decision.decision) })
        }
    }
}

/// An entry of a low-dose course's injection log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedShot {
    pub id: i64,
    pub slot: Option<u32>,
    pub given: bool,
    pub at: Timestamp,
    pub corrects_id: Option<i64>,
}

/// A home check-in as the injection log needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HomeCheckIn {
    pub id: i64,
    pub at: Timestamp,
    /// The result was `call_now` or `emergency`.
    pub urgent: bool,
    /// A clinician recorded that the call-back cleared the next shot.
    pub cleared: bool,
}

/// What the patient or a clinician asks to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShotRequest {
    pub slot: Option<u32>,
    pub given: bool,
    pub at: Timestamp,
    pub corrects_id: Option<i64>,
}

/// The log entries that stand (no later entry corrects them).
pub fn standing_shots(entries: &[LoggedShot]) -> Vec<&LoggedShot> {
    let corrected: Vec<i64> = entries.iter().filter_map(|entry| entry.corrects_id).collect();
    entries.iter().filter(|entry| !corrected.contains(&entry.id)).collect()
}

/// The urgent check-in still holding the next shot at `at`, if any (TRIAGE amendment item 3) (source: PRODUCT).
pub fn shot_hold(checkins: &[HomeCheckIn], at: Timestamp) -> Option<&HomeCheckIn> {
    checkins.iter().filter(|checkin| checkin.urgent && !checkin.cleared && checkin.at <= at).max_by_key(|c| c.at)
}

/// Whether a shot may be logged for one course (`entries` are that course's log): one standing entry per slot,
/// corrections through the entry they replace, and no shot given after an urgent check-in until cleared
/// [EDU home.missed-dose; TRIAGE amendment item 3; PRODUCT].
pub fn may_log_shot(
    request: &ShotRequest,
    entries: &[LoggedShot],
    checkins: &[HomeCheckIn],
) -> Result<(), RecordRefusal> {
    use RefusalKind::{Conflict, Refused};
    let standing = standing_shots(entries);
    if let Some(corrects_id) = request.corrects_id {
        if !entries.iter().any(|entry| entry.id == corrects_id) {
            return Err(refuse(
                RecordRule::OneShotPerSlot,
                "corrects_id",
                Refused,
                "is not an entry of this course's injection log",
            ));
        }
        if !standing.iter().any(|entry| entry.id == corrects_id) {
            return Err(refuse(
                RecordRule::OneShotPerSlot,
                "corrects_id",
                Refused,
                "was already corrected; correct the entry that replaced it",
            ));
        }
    }
    if let Some(slot) = request.slot
        && let Some(taken) =
            standing.iter().find(|entry| entry.slot == Some(slot) && Some(entry.id) != request.corrects_id)
    {
        return Err(refuse(
            RecordRule::OneShotPerSlot,
            "slot",
            Conflict,
            format!(
                "slot {slot} already has an entry ({}, record {}); never two shots to catch up: call the clinic, or \
                 correct that entry (corrects_id {})",
                if taken.given { "given" } else { "skipped" },
                taken.id,
                taken.id
            ),
        ));
    }
    if request.given
        && let Some(hold) = shot_hold(checkins, request.at)
    {
        return Err(refuse(
            RecordRule::HoldNextShotAfterUrgentCheckIn,
            "status",
            Conflict,
            format!(
                "the check-in of {} (record {}) asked to hold the next shot until the care team calls back and clears \
                 it; do not give it yet",
                hold.at, hold.id
            ),
        ));
    }
    Ok(())
}

/// A low-dose course's injection log at a time: the standing shots given and skipped, and the last given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShotCounts {
    pub given: u32,
    pub skipped: u32,
    pub last_given_at: Option<Timestamp>,
}

/// Counts the entries of one course's injection log timed at or before `at` that stand then (a correction
/// replaces the entry it corrects, so a shot corrected to skipped is not given) [EDU; PRODUCT].
pub fn shot_counts(entries: &[LoggedShot], at: Timestamp) -> ShotCounts {
    let logged: Vec<LoggedShot> = entries.iter().filter(|entry| entry.at <= at).cloned().collect();
    let standing = standing_shots(&logged);
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    ShotCounts {
        given: count(standing.iter().filter(|entry| entry.given).count()),
        skipped: count(standing.iter().filter(|entry| !entry.given).count()),
        last_given_at: standing.iter().filter(|entry| entry.given).map(|entry| entry.at).max(),
    }
}

/// A low-dose course as its injection log reads it: the regimen, the start, and the planned slots or why they
/// cannot be laid out (an open-ended regimen has no duration on record; its shots are logged by dose level).
#[derive(Clone, Copy, Debug)]
pub struct ShotCourse<'a> {
    pub regimen: &'static Regimen,
    pub started_at: Timestamp,
    pub plan: Result<&'a [Slot], &'a str>,
}

/// A shot as asked to be logged, before it is matched to the course's schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShotEntry<'a> {
    pub slot: Option<u32>,
    pub dose_level: Option<&'a str>,
    pub given: bool,
    pub at: Timestamp,
    pub corrects_id: Option<i64>,
}

/// What a shot allowed by [`may_log_shot_in_course`] is logged against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShotPermit {
    /// The slot of the schedule it answers (none for a course without laid-out slots).
    pub slot: Option<u32>,
    /// The dose level: the one asked, or the slot's.
    pub dose_level: Option<&'static str>,
    /// The shot is given and nothing given is logged for the course yet: the course's first dose, which passes
    /// the screening gate (`screening::gate::first_dose_gate`, SCREENING §1 amendment).
    pub first_given: bool,
}

/// How long before the course's start a shot may be timed (a clock set a little wrong, a late-entered start).
const SHOT_BEFORE_START: SignedDuration = SignedDuration::from_hours(24);

/// Whether a shot may be logged against a course: the course is low-dose subcutaneous, the slot is one of its
/// schedule and the level the slot's (or one of the regimen's), the time not before the course started, and
/// then [`may_log_shot`] (one standing entry per slot, the hold after an urgent check-in). `entries` are this
/// course's log [PRODUCT; LABEL-2024 §2.2; EDU home.missed-dose].
pub fn may_log_shot_in_course(
    entry: &ShotEntry<'_>,
    course: &ShotCourse<'_>,
    entries: &[LoggedShot],
    checkins: &[HomeCheckIn],
) -> Result<ShotPermit, RecordRefusal> {
    use RefusalKind::Refused;
    let regimen = course.regimen;
    if regimen.route != Route::Subcutaneous {
        return Err(refuse(
            RecordRule::ShotOnlyForLowDoseCourse,
            "course_id",
            Refused,
            "is not a low-dose subcutaneous course; its doses are not logged here",
        ));
    }
    let rule = RecordRule::ShotMatchesSchedule;
    let slot = match (entry.slot, course.plan) {
        (None, _) => None,
        (Some(number), Ok(plan)) => Some(plan.iter().find(|slot| slot.number == number).ok_or_else(|| {
            refuse(rule, "slot", Refused, format!("{number} is not a slot of this course (1 to {})", plan.len()))
        })?),
        (Some(_), Err(why)) => {
            return Err(refuse(
                rule,
                "slot",
                Refused,
                format!("cannot be matched: the schedule is not laid out ({why}); give dose_level"),
            ));
        }
    };
    let dose_level = match (entry.dose_level, slot) {
        (Some(level), slot) => {
            let Some(known) = regimen.level(level) else {
                let ids: Vec<&str> = regimen.levels.iter().map(|level| level.id).collect();
                return Err(refuse(
                    rule,
                    "dose_level",
                    Refused,
                    format!("`{level}` is not a level of {}: {}", regimen.id, ids.join(", ")),
                ));
            };
            if let Some(slot) = slot
                && slot.level.id != level
            {
                return Err(refuse(
                    rule,
                    "dose_level",
                    Refused,
                    format!("slot {} is at level {}, not {level}", slot.number, slot.level.id),
                ));
            }
            Some(known.id)
        }
        (None, Some(slot)) => Some(slot.level.id),
        (None, None) => None,
    };
    if entry.at < course.started_at - SHOT_BEFORE_START {
        return Err(refuse(rule, "at", Refused, "is before this course started"));
    }
    let request = ShotRequest {
        slot: slot.map(|slot| slot.number),
        given: entry.given,
        at: entry.at,
        corrects_id: entry.corrects_id,
    };
    may_log_shot(&request, entries, checkins)?;
    Ok(ShotPermit {
        slot: request.slot,
        dose_level,
        first_given: entry.given && !entries.iter().any(|logged| logged.given),
    })
}

#[cfg(test)]
mod tests;
