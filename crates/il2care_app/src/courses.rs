//! Course use cases: [`create`] starts a course (physician), [`list`] reads a patient's courses with their
//! doses, [`delay_cycle_two`] moves the start of cycle 2 (ASSESSMENT §10.5), [`patient_settings`] and
//! [`site_settings`] set the target systolic pressure and the site's thresholds. [`course_events`] is the one
//! reader of a course's typed events (decisions, dose records, cycle-2 delay) for the core's
//! `il2care_core::course`, used by the dose decision, the dose record, the pages and CDS Hooks.

use il2care_core::Refusal;
use il2care_core::assessment::RuleSet;
use il2care_core::assessment::thresholds::{Parameters, SiteOverrides};
use il2care_core::course::{CYCLE_TWO_DAY, DoseStatus, LATEST_CYCLE_TWO_DAY, course_state, cycle_windows};
use il2care_core::regimens::{regimen, regimen_ids};
use il2care_core::units::{Creatinine, Kilograms, MillimetresMercury, PerMinute};
use il2care_store::record::{self, DoseRecord};
use il2care_store::{Conn, Store, StoreError};
use il2care_wire::json::{measure, parse_object, refuse_unknown_fields, required, string, timestamp};
use jiff::{SignedDuration, Timestamp};
use rust_decimal_macros::dec;
use serde_json::Value;

use crate::Error;
use crate::access::{self, Action, Actor};

/// A course as stored (the store's row, named here so adapters need not reach the store).
pub use il2care_store::record::Course;
/// An observation as stored, for the pages' charts.
pub use il2care_store::record::Observation;
/// A course's vital signs as the ward's one-statement read gives them, for the pages.
pub use il2care_store::ward::CourseVitals;

const FIELDS: [&str; 5] = ["regimen", "rule_set", "started_at", "baseline_weight", "baseline_creatinine"];

/// How far ahead a course may be entered: a planned start is normal, a start years ahead is a typing error.
pub const MAX_DAYS_AHEAD: i64 = 366;

/// The site setting that chooses the rule set of new courses.
pub const DEFAULT_RULE_SET_SETTING: &str = "default_rule_set";

/// The site setting that holds the consensus tachycardia threshold (/min).
pub const TACHYCARDIA_SETTING: &str = "tachycardia_hold_min";

fn corrupt(what: String) -> Error {
    Error::Store(StoreError::Corrupt(what))
}

fn new_course(text: &str, patient_id: i64, now: Timestamp, default: RuleSet) -> Result<Course, Refusal> {
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &FIELDS, "")?;
    let regimen_id = string(required(&object, "regimen", "")?, "regimen")?;
    regimen(regimen_id)
        .ok_or_else(|| Refusal::new("regimen", format!("unknown regimen `{regimen_id}`; one of: {}", regimen_ids())))?;
    let rule_set = match object.get("rule_set") {
        None => default,
        Some(value) => {
            let id = string(value, "rule_set")?;
            RuleSet::from_id(id).ok_or_else(|| Refusal::new("rule_set", format!("`{id}` is not label or consensus")))?
        }
    };
    let started_at = timestamp(required(&object, "started_at", "")?, "started_at")?;
    if started_at > now + SignedDuration::from_hours(24 * MAX_DAYS_AHEAD) {
        return Err(Refusal::new("started_at", format!("is more than {MAX_DAYS_AHEAD} days ahead; check the year")));
    }
    let weight = object
        .get("baseline_weight")
        .map(|value| {
            let weight: Kilograms = measure(value, "baseline_weight")?;
            if weight.value() < dec!(30) || weight.value() > dec!(250) {
                return Err(Refusal::new(
                    "baseline_weight",
                    format!("{weight} is outside the dosing limits 30 to 250 kg"),
                ));
            }
            Ok(weight.value().normalize().to_string())
        })
        .transpose()?;
    let creatinine = object
        .get("baseline_creatinine")
        .map(|value| {
            let creatinine: Creatinine = measure(value, "baseline_creatinine")?;
            if creatinine.value() < dec!(0.1) || creatinine.value() > dec!(25) {
                return Err(Refusal::new("baseline_creatinine", format!("{creatinine} is outside 0.1 to 25 mg/dL")));
            }
            Ok(creatinine.value().normalize().to_string())
        })
        .transpose()?;
    Ok(Course {
        id: 0,
        patient_id,
        regimen: regimen_id.to_string(),
        rule_set: rule_set.id().to_string(),
        started_at_ms: started_at.as_millisecond(),
        baseline_weight_kg: weight,
        baseline_creatinine_mg_dl: creatinine,
    })
}

/// Validates and stores a new course (the document's text) for patient `patient_id`; the course and its audit
/// entry commit together. Returns its id and the stored course.
pub async fn create(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<(i64, Course), Error> {
    let resource = format!("patient/{patient_id}/courses");
    access::authorize(store, actor, Some(patient_id), Action::StartCourse, &resource, now).await?;
    let mut tx = store.begin().await?;
    let default = site_rule_set(&mut tx).await?;
    let course = new_course(text, patient_id, now, default)?;
    record::patient(&mut tx, patient_id).await?;
    let id = record::create_course(&mut tx, &course, now.as_millisecond(), &actor.username).await?;
    access::audit_write(&mut tx, actor, &format!("patient/{patient_id}/course/{id}"), Some(patient_id), now).await?;
    tx.commit().await?;
    Ok((id, Course { id, ..course }))
}

/// A dose record as the API and the pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseView {
    pub id: i64,
    pub course_id: i64,
    pub status: DoseStatus,
    pub at_ms: i64,
    /// The course-wide slot number (cycle 1: 1-15, cycle 2: 16-30).
    pub slot: Option<i64>,
    pub assessment_id: Option<i64>,
    pub reason_code: Option<String>,
    pub override_reason: Option<String>,
    /// A dose given against its decision: marked as an override wherever it appears.
    pub overrides: bool,
    pub cosigned_by: Option<String>,
    pub corrects_id: Option<i64>,
    pub recorded_by: String,
    pub idempotency_key: Option<String>,
}

/// The status of a stored dose record (`given`, otherwise `held`).
fn dose_status(stored: &str) -> DoseStatus {
    match stored {
        "given" => DoseStatus::Given,
        _ => DoseStatus::Held,
    }
}

/// The stored name of a dose status.
pub fn dose_status_id(status: DoseStatus) -> &'static str {
    match status {
        DoseStatus::Given => "given",
        DoseStatus::Held => "held",
    }
}

impl DoseView {
    pub fn from_record(stored: &DoseRecord) -> DoseView {
        let event = &stored.event;
        let status = dose_status(&event.status);
        DoseView {
            id: event.id,
            course_id: event.course_id,
            status,
            at_ms: event.at_ms,
            slot: stored.slot_number,
            assessment_id: event.assessment_id,
            reason_code: stored.reason_code.clone(),
            override_reason: event.override_reason.clone(),
            overrides: status == DoseStatus::Given && event.override_reason.is_some(),
            cosigned_by: stored.cosigned_by.clone(),
            corrects_id: event.corrects_id,
            recorded_by: event.recorded_by.clone(),
            idempotency_key: stored.idempotency_key.clone(),
        }
    }
}

/// A course with its dose records, oldest first.
#[derive(Clone, Debug)]
pub struct CourseView {
    pub course: Course,
    pub doses: Vec<DoseView>,
}

/// A patient's courses and the time zone their schedules are laid out in.
#[derive(Clone, Debug)]
pub struct CourseList {
    pub time_zone: String,
    pub courses: Vec<CourseView>,
}

/// Patient `patient_id`'s courses with their doses; the read is audited before it is answered.
pub async fn list(store: &Store, actor: &Actor, patient_id: i64, now: Timestamp) -> Result<CourseList, Error> {
    let resource = format!("patient/{patient_id}/courses");
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, &resource, now).await?;
    let list = {
        let mut conn = store.connection().await?;
        let patient = record::patient(&mut conn, patient_id).await?;
        let mut courses = Vec::new();
        for course in record::courses(&mut conn, patient_id).await? {
            let doses = record::dose_records(&mut conn, course.id).await?.iter().map(DoseView::from_record).collect();
            courses.push(CourseView { course, doses });
        }
        CourseList { time_zone: patient.time_zone, courses }
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    Ok(list)
}

/// The rule set a new course gets: `consensus` unless the site setting chooses `label` (ASSESSMENT, intro).
pub fn default_rule_set(site_setting: Option<&str>) -> RuleSet {
    match site_setting.and_then(RuleSet::from_id) {
        Some(RuleSet::Label) => RuleSet::Label,
        _ => RuleSet::Consensus,
    }
}

/// The rule set new courses get: `consensus` unless a physician set the site to `label`.
pub async fn site_rule_set(conn: &mut Conn) -> Result<RuleSet, Error> {
    let setting = record::site_setting(conn, DEFAULT_RULE_SET_SETTING).await?;
    Ok(default_rule_set(setting.as_deref()))
}

/// The site's consensus tachycardia threshold, when a physician set one.
pub async fn site_overrides(conn: &mut Conn) -> Result<SiteOverrides, Error> {
    let mut overrides = SiteOverrides::default();
    if let Some(text) = record::site_setting(conn, TACHYCARDIA_SETTING).await? {
        let value: rust_decimal::Decimal =
            text.parse().map_err(|_| corrupt("the stored tachycardia threshold is unreadable".into()))?;
        let quantity = serde_json::json!({"value": il2care_wire::json::number(value), "unit": "/min"});
        overrides.tachycardia_hold_min = Some(
            measure::<PerMinute>(&quantity, TACHYCARDIA_SETTING)
                .map_err(|refusal| corrupt(format!("the stored tachycardia threshold: {refusal}")))?,
        );
    }
    Ok(overrides)
}

// The course's typed events and a stored decision's value have one reader each: `crate::course_record`.
pub use crate::course_record::{course_events, decision_of};

/// Course `course_id` of patient `patient_id`, or a refusal naming `course_id`.
pub(crate) async fn course_of(conn: &mut Conn, patient_id: i64, course_id: i64) -> Result<Course, Error> {
    record::courses(conn, patient_id)
        .await?
        .into_iter()
        .find(|course| course.id == course_id)
        .ok_or_else(|| Refusal::new("course_id", "is not a course of this patient").into())
}

/// A stored cycle-2 delay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CycleTwoDelay {
    pub id: i64,
    pub course_id: i64,
    /// The course days of cycle 2, first and last.
    pub cycle_two_days: (i64, i64),
}

/// Delays cycle 2 (`{"course_id", "start_day", "reason"}`, physician): it starts on `start_day` (16 or later)
/// and runs five days (ASSESSMENT §10.5), refused once a dose of cycle 2 was given. Audited in its transaction.
pub async fn delay_cycle_two(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<CycleTwoDelay, Error> {
    let resource = format!("patient/{patient_id}/cycle-2-delays");
    access::authorize(store, actor, Some(patient_id), Action::DelayCycleTwo, &resource, now).await?;
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &["course_id", "start_day", "reason"], "")?;
    let course_id =
        required(&object, "course_id", "")?.as_i64().ok_or_else(|| Refusal::new("course_id", "must be a record id"))?;
    let first = CYCLE_TWO_DAY + 1;
    let last = LATEST_CYCLE_TWO_DAY;
    let start_day = required(&object, "start_day", "")?
        .as_u64()
        .and_then(|day| u32::try_from(day).ok())
        .filter(|day| (first..=last).contains(day))
        .ok_or_else(|| {
            Refusal::new("start_day", format!("must be a course day from {first} to {last} (day 15 is the label's)"))
        })?;
    let reason = string(required(&object, "reason", "")?, "reason")?.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(Refusal::new("reason", "is required: 1 to 2000 characters").into());
    }
    let mut tx = store.begin().await?;
    let course = course_of(&mut tx, patient_id, course_id).await?;
    let events = course_events(&mut tx, &course).await?;
    let state_now = course_state(&events, now);
    if state_now.cycle == 2 && state_now.doses_given_cycle > 0 {
        return Err(Refusal::new("start_day", "cycle 2 has begun: doses were given in it").into());
    }
    let id = record::add_cycle_two_delay(
        &mut tx,
        course.id,
        i64::from(start_day),
        &reason,
        now.as_millisecond(),
        &actor.username,
    )
    .await?;
    let written = format!("course/{}/cycle-2-delay/{id}", course.id);
    access::audit_write(&mut tx, actor, &written, Some(patient_id), now).await?;
    tx.commit().await?;
    Ok(CycleTwoDelay { id, course_id: course.id, cycle_two_days: cycle_windows(Some(start_day)).1 })
}

/// Sets patient `patient_id`'s consensus target systolic pressure (`{"target_systolic_bp": quantity | null}`,
/// physician), used by every later decision. Returns the setting's id and the value as sent. Audited.
pub async fn patient_settings(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<(i64, Value), Error> {
    let resource = format!("patient/{patient_id}/settings");
    access::authorize(store, actor, Some(patient_id), Action::SetPatientSettings, &resource, now).await?;
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &["target_systolic_bp"], "")?;
    let value = required(&object, "target_systolic_bp", "")?;
    let target = if value.is_null() {
        None
    } else {
        let target: MillimetresMercury = measure(value, "target_systolic_bp")?;
        if target.value() < dec!(60) || target.value() > dec!(200) {
            return Err(Refusal::new("target_systolic_bp", format!("{target} is outside 60 to 200 mm[Hg]")).into());
        }
        Some(target.value().normalize().to_string())
    };
    let mut tx = store.begin().await?;
    record::patient(&mut tx, patient_id).await?;
    let id =
        record::set_target_systolic_bp(&mut tx, patient_id, target.as_deref(), now.as_millisecond(), &actor.username)
            .await?;
    access::audit_write(&mut tx, actor, &format!("patient/{patient_id}/settings/{id}"), Some(patient_id), now).await?;
    tx.commit().await?;
    Ok((id, value.clone()))
}

/// Sets the site's settings (`{"tachycardia_hold_min": quantity, "default_rule_set"}`, physician): the consensus
/// tachycardia threshold (60 to 130 /min) and the rule set of new courses. Returns the names set. Audited.
pub async fn site_settings(
    store: &Store,
    actor: &Actor,
    text: &str,
    now: Timestamp,
) -> Result<Vec<&'static str>, Error> {
    access::authorize(store, actor, None, Action::SetSiteSettings, "settings", now).await?;
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &["tachycardia_hold_min", "default_rule_set"], "")?;
    let mut changes: Vec<(&'static str, String)> = Vec::new();
    if let Some(value) = object.get("tachycardia_hold_min") {
        let rate: PerMinute = measure(value, "tachycardia_hold_min")?;
        let overrides = SiteOverrides { tachycardia_hold_min: Some(rate), max_ages: Vec::new() };
        Parameters::with_overrides(&overrides)
            .map_err(|refusal| Refusal::new("tachycardia_hold_min", refusal.reason))?;
        changes.push((TACHYCARDIA_SETTING, rate.value().normalize().to_string()));
    }
    if let Some(value) = object.get("default_rule_set") {
        let id = string(value, "default_rule_set")?;
        if RuleSet::from_id(id).is_none() {
            return Err(Refusal::new("default_rule_set", format!("`{id}` is not label or consensus")).into());
        }
        changes.push((DEFAULT_RULE_SET_SETTING, id.to_string()));
    }
    if changes.is_empty() {
        return Err(Refusal::new("tachycardia_hold_min", "is required (or default_rule_set): nothing to set").into());
    }
    let mut tx = store.begin().await?;
    for (name, value) in &changes {
        let id = record::set_site_setting(&mut tx, name, value, now.as_millisecond(), &actor.username).await?;
        access::audit_write(&mut tx, actor, &format!("settings/{name}/{id}"), None, now).await?;
    }
    tx.commit().await?;
    Ok(changes.into_iter().map(|(name, _)| name).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_courses_default_to_consensus_unless_the_site_chooses_label() {
        // ASSESSMENT introduction (amendment 2026-12-04).
        assert_eq!(default_rule_set(None), RuleSet::Consensus);
        assert_eq!(default_rule_set(Some("consensus")), RuleSet::Consensus);
        assert_eq!(default_rule_set(Some("label")), RuleSet::Label);
        assert_eq!(default_rule_set(Some("other")), RuleSet::Consensus);
    }

    #[test]
    fn every_decision_reads_back_from_its_stored_id() {
        use il2care_core::assessment::Decision::*;
        for decision in [DiscontinuePermanently, DiscontinueCourse, NotPermitted, Hold, InsufficientData, Give] {
            assert_eq!(decision_of(decision.id()), Some(decision));
        }
        assert_eq!(decision_of("maybe"), None);
    }
}
