//! The injection log of low-dose subcutaneous courses: [`log`] records a shot given, or a planned shot skipped
//! with its reason (the patient for their own record, a nurse or a physician), idempotent on its `client_id`;
//! [`list`] reads the log back (the care team and the patient); [`latest_course_log`] is the log of the
//! patient's latest low-dose course with its planned slots, for the pages; `checked_import_entry` applies the same
//! rules for the FHIR import.
//!
//! What may be logged (the course low-dose, the slot of its schedule at its level, one standing entry per slot
//! because a missed dose is never made up with two, the hold after an urgent check-in) is decided by the core's
//! `course::may_log_shot_in_course`; the first shot given of a course passes the first-dose screening gate
//! ([`crate::screening_gate`]) on every path. A mistake is corrected by a new entry whose `corrects_id` names the
//! one it replaces; nothing is changed or deleted.

use il2care_content::SiteNumbers;
use il2care_core::Refusal;
use il2care_core::course::{HomeCheckIn, LoggedShot, ShotCourse, ShotEntry, may_log_shot_in_course};
use il2care_core::regimens::{Regimen, Route, regimen};
use il2care_core::schedule::{Schedule, ScheduleRequest, schedule};
use il2care_store::record::{self, Course, Injection};
use il2care_store::{Conn, Store, StoreError};
use il2care_wire::json::{refuse_unknown_fields, required, string, timestamp};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

use crate::access::{self, Action, Actor, Role};
use crate::checkins::take_client_id;
use crate::{Error, screening_gate};

/// The fields of an injection document (besides `client_id`).
pub const FIELDS: [&str; 9] =
    ["course_id", "status", "at", "slot", "dose_level", "site", "skip_reason", "note", "corrects_id"];

/// Where a shot may be given, with the words a patient reads.
pub const SITES: [(&str, &str); 6] = [
    ("abdomen_left", "Belly, left side"),
    ("abdomen_right", "Belly, right side"),
    ("thigh_left", "Left thigh"),
    ("thigh_right", "Right thigh"),
    ("arm_left", "Left upper arm"),
    ("arm_right", "Right upper arm"),
];

/// The words for a site id (the id itself when unknown, so nothing stored is hidden).
pub fn site_label(id: &str) -> &str {
    SITES.iter().find(|(known, _)| *known == id).map_or(id, |(_, label)| label)
}

/// Longest free text of a skip reason or a note.
const MAX_TEXT: usize = 500;

/// How far ahead of `now` a shot may be timed (clocks of phones drift): a shot is logged once it happened.
const CLOCK_SLACK: SignedDuration = SignedDuration::from_mins(5);

/// A shot given, or a planned shot skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShotStatus {
    Given,
    Skipped,
}

impl ShotStatus {
    /// The id documents and the record spell.
    pub const fn id(self) -> &'static str {
        match self {
            ShotStatus::Given => "given",
            ShotStatus::Skipped => "skipped",
        }
    }

    /// The status spelled `id`, if any.
    pub fn from_id(id: &str) -> Option<ShotStatus> {
        [ShotStatus::Given, ShotStatus::Skipped].into_iter().find(|status| status.id() == id)
    }
}

/// What an injection document asks to record, before it is checked against the course and the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InjectionRequest {
    pub course_id: i64,
    pub status: ShotStatus,
    pub at: Timestamp,
    pub slot: Option<u32>,
    pub dose_level: Option<String>,
    pub site: Option<&'static str>,
    pub skip_reason: Option<String>,
    pub note: Option<String>,
    pub corrects_id: Option<i64>,
}

fn record_id(value: Option<&Value>, field: &str) -> Result<Option<i64>, Refusal> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            value.as_i64().filter(|id| *id > 0).map(Some).ok_or_else(|| Refusal::new(field, "must be a record id"))
        }
    }
}

fn text(object: &Map<String, Value>, field: &str) -> Result<Option<String>, Refusal> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let text = string(value, field)?.trim().to_string();
            if text.is_empty() || text.chars().count() > MAX_TEXT {
                return Err(Refusal::new(field, format!("must be 1 to {MAX_TEXT} characters")));
            }
            Ok(Some(text))
        }
    }
}

/// Reads an injection document (without `client_id`), refusing it as a whole naming the field. `now` bounds
/// the time: a shot is logged when it has happened.
pub fn injection_request(object: &Map<String, Value>, now: Timestamp) -> Result<InjectionRequest, Refusal> {
    refuse_unknown_fields(object, &FIELDS, "")?;
    let course_id = record_id(Some(required(object, "course_id", "")?), "course_id")?
        .ok_or_else(|| Refusal::new("course_id", "is required"))?;
    let status = string(required(object, "status", "")?, "status")?;
    let status = ShotStatus::from_id(status)
        .ok_or_else(|| Refusal::new("status", format!("`{status}` is not given or skipped")))?;
    let at = timestamp(required(object, "at", "")?, "at")?;
    if at > now + CLOCK_SLACK {
        return Err(Refusal::new("at", "is in the future; log a shot after you take it"));
    }
    let slot = match object.get("slot") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            value
                .as_u64()
                .and_then(|slot| u32::try_from(slot).ok())
                .filter(|slot| *slot > 0)
                .ok_or_else(|| Refusal::new("slot", "must be a slot number of the schedule (1, 2, ...)"))?,
        ),
    };
    let dose_level = object.get("dose_level").filter(|value| !value.is_null());
    let dose_level = dose_level.map(|value| string(value, "dose_level").map(str::to_string)).transpose()?;
    let site = match object.get("site") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let id = string(value, "site")?;
            let known = SITES.iter().find(|(known, _)| *known == id).map(|(known, _)| *known);
            Some(known.ok_or_else(|| {
                let ids: Vec<&str> = SITES.iter().map(|(known, _)| *known).collect();
                Refusal::new("site", format!("`{id}` is not one of {}", ids.join(", ")))
            })?)
        }
    };
    let skip_reason = text(object, "skip_reason")?;
    let note = text(object, "note")?;
    match status {
        ShotStatus::Given => {
            if site.is_none() {
                return Err(Refusal::new("site", "is required for a shot given: where on the body"));
            }
            if skip_reason.is_some() {
                return Err(Refusal::new("skip_reason", "is only for a skipped shot"));
            }
            if slot.is_none() && dose_level.is_none() {
                return Err(Refusal::new("slot", "is required (or dose_level): which planned shot this was"));
            }
        }
        ShotStatus::Skipped => {
            if skip_reason.is_none() {
                return Err(Refusal::new("skip_reason", "is required for a skipped shot: why it was skipped"));
            }
            if site.is_some() {
                return Err(Refusal::new("site", "is only for a shot given"));
            }
            if slot.is_none() {
                return Err(Refusal::new("slot", "is required for a skipped shot: which planned shot was skipped"));
            }
        }
    }
    Ok(InjectionRequest {
        course_id,
        status,
        at,
        slot,
        dose_level,
        site,
        skip_reason,
        note,
        corrects_id: record_id(object.get("corrects_id"), "corrects_id")?,
    })
}

/// The planned slots of a course in the patient's zone, or why they cannot be laid out (an open-ended regimen
/// has no duration on record; an unknown regimen or start is reported, never guessed).
pub fn planned_slots(course: &Course, zone: &str) -> Result<Schedule, String> {
    let regimen = regimen(&course.regimen).ok_or_else(|| format!("unknown regimen {}", course.regimen))?;
    let start = Timestamp::from_millisecond(course.started_at_ms)
        .map_err(|_| "the course start is out of range".to_string())?;
    let time_zone = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let request = ScheduleRequest { regimen, start: start.to_zoned(time_zone), level: None, days: None, cycles: None };
    schedule(&request).map_err(|refusal| format!("{}: {}", refusal.field, refusal.reason))
}

/// The regimen of a course whose shots are logged by the patient (low-dose subcutaneous regimens).
fn low_dose_regimen(course: &Course) -> Option<&'static Regimen> {
    regimen(&course.regimen).filter(|regimen| regimen.route == Route::Subcutaneous)
}

/// Whether a course's shots are logged by the patient (low-dose subcutaneous regimens).
pub fn is_injection_course(course: &Course) -> bool {
    low_dose_regimen(course).is_some()
}

fn timestamp_of(ms: i64) -> Result<Timestamp, Refusal> {
    Timestamp::from_millisecond(ms).map_err(|_| Refusal::new("at", "a stored time is out of range"))
}

/// A stored entry's status; the record allows only `given` and `skipped` (a CHECK constraint), so anything
/// else is a damaged record, never read as either.
fn stored_status(entry: &Injection) -> Result<ShotStatus, Error> {
    ShotStatus::from_id(&entry.status)
        .ok_or_else(|| Error::Store(StoreError::Corrupt(format!("injection {}: status {}", entry.id, entry.status))))
}

/// Checks a request against the course's regimen, its schedule (`plan`, or why it cannot be laid out), the
/// patient's whole log (`entries`) and check-ins, and returns the entry to store (without id, client id or
/// author) with whether it is the course's first shot given (which the screening gate must then allow).
pub fn checked_entry(
    request: &InjectionRequest,
    course: &Course,
    plan: Result<&Schedule, &str>,
    entries: &[Injection],
    checkins: &[HomeCheckIn],
) -> Result<(Injection, bool), Refusal> {
    let not_low_dose =
        || Refusal::new("course_id", "is not a low-dose subcutaneous course; its doses are not logged here");
    let regimen = regimen(&course.regimen).ok_or_else(not_low_dose)?;
    let started_at = timestamp_of(course.started_at_ms)?;
    let shots: Vec<LoggedShot> = entries
        .iter()
        .filter(|entry| entry.course_id == course.id)
        .map(|entry| {
            Ok(LoggedShot {
                id: entry.id,
                slot: entry.slot_number.and_then(|slot| u32::try_from(slot).ok()),
                given: entry.status == ShotStatus::Given.id(),
                at: timestamp_of(entry.at_ms)?,
                corrects_id: entry.corrects_id,
            })
        })
        .collect::<Result<_, Refusal>>()?;
    let shot = ShotEntry {
        slot: request.slot,
        dose_level: request.dose_level.as_deref(),
        given: request.status == ShotStatus::Given,
        at: request.at,
        corrects_id: request.corrects_id,
    };
    let course_plan = ShotCourse { regimen, started_at, plan: plan.map(|plan| plan.slots.as_slice()) };
    // What may be logged is decided once, in the core.
    let permit = may_log_shot_in_course(&shot, &course_plan, &shots, checkins)
        .map_err(|refusal| Refusal::new(refusal.field, refusal.reason))?;
    let entry = Injection {
        id: 0,
        patient_id: course.patient_id,
        course_id: course.id,
        client_id: None,
        status: request.status.id().to_string(),
        slot_number: permit.slot.map(i64::from),
        dose_level: permit.dose_level.map(str::to_string),
        at_ms: request.at.as_millisecond(),
        site: request.site.map(str::to_string),
        skip_reason: request.skip_reason.clone(),
        note: request.note.clone(),
        corrects_id: request.corrects_id,
        recorded_by: String::new(),
    };
    Ok((entry, permit.first_given))
}

/// A patient's check-ins as the injection log reads them: urgent (call_now, emergency) or not, cleared or not.
pub async fn home_checkins(conn: &mut Conn, patient_id: i64) -> Result<Vec<HomeCheckIn>, Error> {
    let cleared = record::cleared_checkins(conn, patient_id).await?;
    let checkins = record::checkins(conn, patient_id).await?;
    let urgent = [il2care_core::triage::Level::CallNow.id(), il2care_core::triage::Level::Emergency.id()];
    let home = checkins
        .iter()
        .map(|checkin| {
            Ok(HomeCheckIn {
                id: checkin.id,
                at: timestamp_of(checkin.at_ms)?,
                urgent: urgent.contains(&checkin.level.as_str()),
                cleared: cleared.contains(&checkin.id),
            })
        })
        .collect::<Result<_, Refusal>>()?;
    Ok(home)
}

/// The injection log's rules for a FHIR import's logged injection (`crate::fhir`): the same checks as [`log`]
/// against the course, its slots in the patient's `time_zone` and the `logged` entries, without the patient's
/// check-ins. The row to store, or the refusal naming the field.
pub(crate) fn checked_import_entry(
    document: &Map<String, Value>,
    course: &Course,
    time_zone: &str,
    logged: &[Injection],
    now: Timestamp,
) -> Result<Injection, Refusal> {
    let plan = planned_slots(course, time_zone);
    let request = injection_request(document, now)?;
    checked_entry(&request, course, plan.as_ref().map_err(String::as_str), logged, &[]).map(|(entry, _)| entry)
}

/// One entry of the log as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogEntry {
    pub id: i64,
    pub course_id: i64,
    pub client_id: Option<String>,
    pub status: ShotStatus,
    pub slot: Option<i64>,
    pub dose_level: Option<String>,
    pub at_ms: i64,
    pub site: Option<String>,
    pub skip_reason: Option<String>,
    pub note: Option<String>,
    pub corrects_id: Option<i64>,
    pub recorded_by: String,
    /// No later entry corrects it.
    pub stands: bool,
}

impl LogEntry {
    fn from_row(entry: &Injection, stands: bool) -> Result<LogEntry, Error> {
        Ok(LogEntry {
            id: entry.id,
            course_id: entry.course_id,
            client_id: entry.client_id.clone(),
            status: stored_status(entry)?,
            slot: entry.slot_number,
            dose_level: entry.dose_level.clone(),
            at_ms: entry.at_ms,
            site: entry.site.clone(),
            skip_reason: entry.skip_reason.clone(),
            note: entry.note.clone(),
            corrects_id: entry.corrects_id,
            recorded_by: entry.recorded_by.clone(),
            stands,
        })
    }
}

/// A patient's whole log, oldest first, each entry marked standing or corrected.
fn log_entries(entries: &[Injection]) -> Result<Vec<LogEntry>, Error> {
    let corrected: Vec<i64> = entries.iter().filter_map(|entry| entry.corrects_id).collect();
    entries.iter().map(|entry| LogEntry::from_row(entry, !corrected.contains(&entry.id))).collect()
}

/// What [`log`] stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub entry: LogEntry,
    /// The `client_id` was submitted before: nothing new was stored, `entry` is the first submission's.
    pub duplicate: bool,
}

/// Checks and stores an injection document (its text) for patient `patient_id`; the entry and its audit entry
/// commit together. `numbers` fill the words a patient reads when the screening gate holds their first shot.
pub async fn log(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    text: &str,
    numbers: &SiteNumbers,
    now: Timestamp,
) -> Result<Logged, Error> {
    let resource = format!("patient/{patient_id}/injections");
    // Authorization before validation: who may not write here learns nothing about the document.
    access::authorize(store, actor, Some(patient_id), Action::LogInjection, &resource, now).await?;
    let mut object = il2care_wire::json::parse_object(text)?;
    let client_id = take_client_id(&mut object)?;
    let request = injection_request(&object, now)?;
    let mut tx = store.begin().await?;
    let patient = record::patient(&mut tx, patient_id).await?;
    // A retry is answered with what the first submission stored, before the log (which now holds it) is
    // checked again.
    if let Some(client_id) = &client_id
        && let Some(existing) = record::injection_by_client_id(&mut tx, patient_id, client_id).await?
    {
        access::audit_write(&mut tx, actor, &format!("injection/{}", existing.id), Some(patient_id), now).await?;
        tx.commit().await?;
        return Ok(Logged { entry: LogEntry::from_row(&existing, true)?, duplicate: true });
    }
    let course = record::courses(&mut tx, patient_id)
        .await?
        .into_iter()
        .find(|course| course.id == request.course_id)
        .ok_or_else(|| Refusal::new("course_id", "is not a course of this patient"))?;
    let plan = planned_slots(&course, &patient.time_zone);
    let entries = record::injections(&mut tx, patient_id).await?;
    let checkins = home_checkins(&mut tx, patient_id).await?;
    let (mut entry, first_given) =
        checked_entry(&request, &course, plan.as_ref().map_err(String::as_str), &entries, &checkins)?;
    entry.client_id = client_id;
    entry.recorded_by = actor.username.clone();
    // The first shot given of a course passes the same screening gate as a high-dose course's first dose
    // (SCREENING §1 amendment). A patient logging at home is told to call the team, not the checklist.
    if first_given && let Err(error) = screening_gate::check_first_dose(&mut tx, course.id, request.at).await {
        return Err(match (error, actor.role) {
            (Error::Refused(_), Role::Patient) => {
                let words = il2care_content::injection_text("injections.screening-review")
                    .map(|text| text.filled(numbers).plain_text().trim().to_string())
                    .unwrap_or_else(|| "Do not take this shot yet. Call your clinic.".to_string());
                Error::Refused(Refusal::new("course_id", words))
            }
            (error, _) => error,
        });
    }
    let written = match record::add_injection(&mut tx, &entry, now.as_millisecond()).await {
        Ok(written) => written,
        // A concurrent shot for the same slot committed first (unique index, migration 0007).
        Err(StoreError::Conflict(_)) => {
            return Err(Error::Conflict(format!(
                "slot: slot {} already has an entry; never two shots to catch up",
                entry.slot_number.unwrap_or_default()
            )));
        }
        Err(error) => return Err(error.into()),
    };
    entry.id = written.id();
    if request.status == ShotStatus::Given {
        screening_gate::mark_interleukin_2_given(&mut tx, patient_id, entry.at_ms, &entry.recorded_by).await?;
    }
    access::audit_write(&mut tx, actor, &format!("injection/{}", entry.id), Some(patient_id), now).await?;
    tx.commit().await?;
    Ok(Logged { entry: LogEntry::from_row(&entry, true)?, duplicate: false })
}

/// Patient `patient_id`'s whole log, oldest first, corrected entries marked; the read is audited before it is
/// answered.
pub async fn list(store: &Store, actor: &Actor, patient_id: i64, now: Timestamp) -> Result<Vec<LogEntry>, Error> {
    let resource = format!("patient/{patient_id}/injections");
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, &resource, now).await?;
    let entries = {
        let mut conn = store.connection().await?;
        record::patient(&mut conn, patient_id).await?;
        record::injections(&mut conn, patient_id).await?
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    log_entries(&entries)
}

/// The log of one low-dose course as the pages show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseLog {
    pub course_id: i64,
    pub regimen: &'static Regimen,
    /// The patient's time zone, in which the slots are laid out.
    pub time_zone: String,
    /// The planned slots, or why they cannot be laid out.
    pub plan: Result<Schedule, String>,
    /// The course's entries, oldest first, corrected ones marked.
    pub entries: Vec<LogEntry>,
}

/// The log of `course` from the patient's whole log, `None` when the course's shots are not logged (a
/// high-dose course).
pub fn course_log(course: &Course, entries: &[Injection], time_zone: &str) -> Result<Option<CourseLog>, Error> {
    let Some(regimen) = low_dose_regimen(course) else { return Ok(None) };
    let entries = log_entries(entries)?.into_iter().filter(|entry| entry.course_id == course.id).collect();
    Ok(Some(CourseLog {
        course_id: course.id,
        regimen,
        time_zone: time_zone.to_string(),
        plan: planned_slots(course, time_zone),
        entries,
    }))
}

/// A patient's injection log page: their time zone and the log of their latest low-dose course.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientLog {
    pub time_zone: String,
    /// `None` when the patient has no low-dose course.
    pub course: Option<CourseLog>,
}

/// The log of patient `patient_id`'s latest low-dose course (by start, then id); the read is audited before it
/// is answered.
pub async fn latest_course_log(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    now: Timestamp,
) -> Result<PatientLog, Error> {
    let resource = format!("patient/{patient_id}/injections");
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, &resource, now).await?;
    let (patient, course, entries) = {
        let mut conn = store.connection().await?;
        let patient = record::patient(&mut conn, patient_id).await?;
        let course = record::courses(&mut conn, patient_id)
            .await?
            .into_iter()
            .filter(is_injection_course)
            .max_by_key(|course| (course.started_at_ms, course.id));
        (patient, course, record::injections(&mut conn, patient_id).await?)
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    let course = match course {
        Some(course) => course_log(&course, &entries, &patient.time_zone)?,
        None => None,
    };
    Ok(PatientLog { time_zone: patient.time_zone, course })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Timestamp {
        "2026-11-28T12:00:00Z".parse().unwrap()
    }

    fn request(document: Value) -> Result<InjectionRequest, Refusal> {
        injection_request(document.as_object().unwrap(), now())
    }

    fn course() -> Course {
        Course {
            id: 5,
            patient_id: 1,
            regimen: "saadoun-2011-sc".into(),
            rule_set: "label".into(),
            started_at_ms: "2026-11-25T13:00:00Z".parse::<Timestamp>().unwrap().as_millisecond(),
            baseline_weight_kg: None,
            baseline_creatinine_mg_dl: None,
        }
    }

    fn given(slot: u32) -> Value {
        json!({"course_id": 5, "status": "given", "at": "2026-11-27T13:05:00Z", "slot": slot, "site": "thigh_left"})
    }

    fn entry(id: i64, slot: i64, corrects_id: Option<i64>) -> Injection {
        Injection {
            id,
            patient_id: 1,
            course_id: 5,
            client_id: None,
            status: "given".into(),
            slot_number: Some(slot),
            dose_level: Some("1.5-miu".into()),
            at_ms: 0,
            site: Some("abdomen_left".into()),
            skip_reason: None,
            note: None,
            corrects_id,
            recorded_by: "patient".into(),
        }
    }

    fn check_in(course: &Course, document: Value, entries: &[Injection]) -> Result<Injection, Refusal> {
        let plan = planned_slots(course, "UTC");
        checked_entry(&request(document)?, course, plan.as_ref().map_err(String::as_str), entries, &[])
            .map(|(entry, _)| entry)
    }

    fn check(document: Value, entries: &[Injection]) -> Result<Injection, Refusal> {
        check_in(&course(), document, entries)
    }

    #[test]
    fn bad_injection_documents_are_refused_naming_the_field() {
        let refused = |document: Value, field: &str| {
            assert_eq!(request(document.clone()).unwrap_err().field, field, "{document}");
        };
        refused(json!({"status": "given"}), "course_id");
        refused(json!({"course_id": 5, "status": "taken", "at": "2026-11-27T13:00:00Z"}), "status");
        refused(json!({"course_id": 5, "status": "given", "at": "2026-11-27 13:00"}), "at");
        refused(
            json!({"course_id": 5, "status": "given", "at": "2026-11-29T13:00:00Z", "slot": 1, "site": "thigh_left"}),
            "at",
        );
        refused(json!({"course_id": 5, "status": "given", "at": "2026-11-27T13:00:00Z", "slot": 1}), "site");
        refused(
            json!({"course_id": 5, "status": "given", "at": "2026-11-27T13:00:00Z", "slot": 1, "site": "ear"}),
            "site",
        );
        refused(json!({"course_id": 5, "status": "given", "at": "2026-11-27T13:00:00Z", "site": "thigh_left"}), "slot");
        refused(
            json!({"course_id": 5, "status": "given", "at": "2026-11-27T13:00:00Z", "slot": 0, "site": "thigh_left"}),
            "slot",
        );
        refused(json!({"course_id": 5, "status": "skipped", "at": "2026-11-27T13:00:00Z", "slot": 2}), "skip_reason");
        refused(
            json!({"course_id": 5, "status": "skipped", "at": "2026-11-27T13:00:00Z", "skip_reason": "fever"}),
            "slot",
        );
        refused(
            json!({"course_id": 5, "status": "skipped", "at": "2026-11-27T13:00:00Z", "slot": 2, "skip_reason": "fever", "site": "arm_left"}),
            "site",
        );
        refused(
            json!({"course_id": 5, "status": "given", "at": "2026-11-27T13:00:00Z", "slot": 1, "site": "arm_left", "note": ""}),
            "note",
        );
        refused(
            json!({"course_id": 5, "status": "given", "at": "2026-11-27T13:00:00Z", "slot": 1, "site": "arm_left", "dose": 2}),
            "dose",
        );
    }

    #[test]
    fn a_shot_takes_its_slots_dose_level_and_a_second_shot_for_the_slot_is_refused() {
        let stored = check(given(3), &[]).unwrap();
        assert_eq!((stored.slot_number, stored.dose_level.as_deref()), (Some(3), Some("1.5-miu")));
        let refusal = check(given(3), &[entry(9, 3, None)]).unwrap_err();
        assert_eq!(refusal.field, "slot");
        assert!(refusal.reason.contains("never two shots to catch up"), "{}", refusal.reason);
        let skipped = json!({"course_id": 5, "status": "skipped", "at": "2026-11-27T13:00:00Z", "slot": 3, "skip_reason": "fever"});
        assert_eq!(
            check(skipped, &[entry(9, 3, None)]).unwrap_err().field,
            "slot",
            "a skip cannot follow a shot either"
        );
        assert_eq!(check(given(4), &[entry(9, 3, None)]).unwrap().slot_number, Some(4));
    }

    #[test]
    fn only_the_courses_first_shot_given_is_held_for_the_screening_gate() {
        let plan = planned_slots(&course(), "UTC").unwrap();
        let first = |document: Value, entries: &[Injection]| {
            checked_entry(&request(document).unwrap(), &course(), Ok(&plan), entries, &[]).unwrap().1
        };
        assert!(first(given(1), &[]));
        assert!(!first(given(2), &[entry(9, 1, None)]));
        let mut other_course = entry(9, 1, None);
        other_course.course_id = 6;
        assert!(first(given(2), &[other_course]), "another course's shot is not this course's first");
        let skipped = json!({"course_id": 5, "status": "skipped", "at": "2026-11-27T13:00:00Z", "slot": 3, "skip_reason": "fever"});
        assert!(!first(skipped, &[]), "a skipped shot is never gated");
    }

    #[test]
    fn a_correction_replaces_its_entry_once_and_frees_nothing_else() {
        let mut correction = given(3);
        correction["corrects_id"] = json!(9);
        assert_eq!(check(correction.clone(), &[entry(9, 3, None)]).unwrap().corrects_id, Some(9));
        let refusal = check(correction.clone(), &[entry(9, 3, None), entry(10, 3, Some(9))]).unwrap_err();
        assert_eq!(refusal.field, "corrects_id", "an entry already corrected is corrected through its replacement");
        correction["corrects_id"] = json!(77);
        assert_eq!(check(correction, &[entry(9, 3, None)]).unwrap_err().field, "corrects_id");
    }

    #[test]
    fn slots_and_levels_must_belong_to_the_courses_regimen() {
        assert_eq!(check(given(21), &[]).unwrap_err().field, "slot", "saadoun has 20 slots");
        let mut wrong_level = given(6);
        wrong_level["dose_level"] = json!("1.5-miu");
        assert_eq!(check(wrong_level, &[]).unwrap_err().field, "dose_level", "slot 6 is at 3 MIU");
        let mut unknown = given(1);
        unknown["dose_level"] = json!("9-miu");
        assert_eq!(check(unknown, &[]).unwrap_err().field, "dose_level");
        let high_dose = Course { regimen: "hd-iv".into(), ..course() };
        let refusal = check_in(&high_dose, given(1), &[]).unwrap_err();
        assert_eq!(refusal.field, "course_id", "high-dose IV doses are recorded by the care team");
        let unknown_regimen = Course { regimen: "no-such-regimen".into(), ..course() };
        assert_eq!(check_in(&unknown_regimen, given(1), &[]).unwrap_err().field, "course_id");
    }

    #[test]
    fn an_open_ended_course_logs_by_dose_level_because_it_has_no_laid_out_slots() {
        let open_ended = Course { regimen: "whangbo-2019-sc".into(), ..course() };
        let plan = planned_slots(&open_ended, "UTC");
        assert!(plan.is_err(), "the record holds no duration for an open-ended regimen");
        let by_level = json!({"course_id": 5, "status": "given", "at": "2026-11-27T13:00:00Z", "dose_level": "adult-start", "site": "arm_right"});
        let stored = check_in(&open_ended, by_level, &[]).unwrap();
        assert_eq!((stored.slot_number, stored.dose_level.as_deref()), (None, Some("adult-start")));
        assert_eq!(check_in(&open_ended, given(1), &[]).unwrap_err().field, "slot");
    }

    #[test]
    fn the_course_log_marks_corrected_entries_and_keeps_only_its_course() {
        let mut other = entry(11, 1, None);
        other.course_id = 6;
        let log = course_log(&course(), &[entry(9, 3, None), entry(10, 3, Some(9)), other], "UTC").unwrap().unwrap();
        let shown: Vec<(i64, bool)> = log.entries.iter().map(|entry| (entry.id, entry.stands)).collect();
        assert_eq!(shown, [(9, false), (10, true)]);
        assert_eq!(log.plan.as_ref().map(|plan| plan.slots.len()), Ok(20));
        let high_dose = Course { regimen: "hd-iv".into(), ..course() };
        assert_eq!(course_log(&high_dose, &[], "UTC").unwrap(), None);
        let mut damaged = entry(9, 3, None);
        damaged.status = "taken".into();
        assert!(matches!(course_log(&course(), &[damaged], "UTC"), Err(Error::Store(StoreError::Corrupt(_)))));
    }
}
