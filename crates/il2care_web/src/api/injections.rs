//! The injection log of low-dose subcutaneous courses: `POST /api/v1/patients/{id}/injections` records a shot
//! given, or a planned shot skipped with its reason (the patient for their own record, a nurse or a physician);
//! `GET` lists the log (the care team and the patient). Idempotent with a client-supplied `client_id`.
//!
//! One entry per planned slot: a second shot for a slot that already has one is refused naming `slot`, because
//! a missed dose is never made up with two (EDUCATION.md home.missed-dose). A mistake is corrected by a new entry
//! whose `corrects_id` names the one it replaces; nothing is changed or deleted.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_core::course::{HomeCheckIn, LoggedShot, ShotRequest, may_log_shot};
use il2care_core::regimens::{Regimen, Route, regimen};
use il2care_core::schedule::{Schedule, ScheduleRequest, schedule};
use il2care_store::record::{self, Course, Injection, standing_injections};
use il2care_wire::json::{parse_object, refuse_unknown_fields, required, string, timestamp};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::api::checkins::take_client_id;
use crate::api::patients::{authorize, authorize_write};
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

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

/// What the document asks to record, before it is checked against the course and the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InjectionRequest {
    pub course_id: i64,
    /// `given` or `skipped`.
    pub status: &'static str,
    pub at: jiff::Timestamp,
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
pub fn injection_request(object: &Map<String, Value>, now: jiff::Timestamp) -> Result<InjectionRequest, Refusal> {
    refuse_unknown_fields(object, &FIELDS, "")?;
    let course_id = record_id(Some(required(object, "course_id", "")?), "course_id")?
        .ok_or_else(|| Refusal::new("course_id", "is required"))?;
    let status = match string(required(object, "status", "")?, "status")? {
        "given" => "given",
        "skipped" => "skipped",
        other => return Err(Refusal::new("status", format!("`{other}` is not given or skipped"))),
    };
    let at = timestamp(required(object, "at", "")?, "at")?;
    if at > now + jiff::SignedDuration::from_mins(5) {
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
        "given" => {
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
        _ => {
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
    let start = jiff::Timestamp::from_millisecond(course.started_at_ms)
        .map_err(|_| "the course start is out of range".to_string())?;
    let time_zone = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let request = ScheduleRequest { regimen, start: start.to_zoned(time_zone), level: None, days: None, cycles: None };
    schedule(&request).map_err(|refusal| format!("{}: {}", refusal.field, refusal.reason))
}

/// Whether a course's shots are logged by the patient (low-dose subcutaneous regimens).
pub fn is_injection_course(course: &Course) -> bool {
    regimen(&course.regimen).is_some_and(|regimen| regimen.route == Route::Subcutaneous)
}

/// Checks a request against the course's regimen, its schedule and the log so far, and returns the entry to
/// store (without id, client id or author). `entries` is the patient's whole log.
pub fn checked_entry(
    request: &InjectionRequest,
    course: &Course,
    plan: Result<&Schedule, &str>,
    entries: &[Injection],
) -> Result<Injection, Refusal> {
    checked_entry_after(request, course, plan, entries, &[])
}

/// [`checked_entry`] with the patient's check-ins: a shot given after a check-in at call_now or emergency
/// is refused until a clinician records that the call-back cleared it (TRIAGE amendment item 3).
pub fn checked_entry_after(
    request: &InjectionRequest,
    course: &Course,
    plan: Result<&Schedule, &str>,
    entries: &[Injection],
    checkins: &[HomeCheckIn],
) -> Result<Injection, Refusal> {
    let regimen: &Regimen =
        regimen(&course.regimen).filter(|regimen| regimen.route == Route::Subcutaneous).ok_or_else(|| {
            Refusal::new("course_id", "is not a low-dose subcutaneous course; its doses are not logged here")
        })?;
    let slot = match (request.slot, plan) {
        (None, _) => None,
        (Some(number), Ok(plan)) => Some(plan.slots.iter().find(|slot| slot.number == number).ok_or_else(|| {
            Refusal::new("slot", format!("{number} is not a slot of this course (1 to {})", plan.slots.len()))
        })?),
        (Some(_), Err(why)) => {
            return Err(Refusal::new(
                "slot",
                format!("cannot be matched: the schedule is not laid out ({why}); give dose_level"),
            ));
        }
    };
    let dose_level = match (&request.dose_level, slot) {
        (Some(level), _) if regimen.level(level).is_none() => {
            let ids: Vec<&str> = regimen.levels.iter().map(|level| level.id).collect();
            return Err(Refusal::new(
                "dose_level",
                format!("`{level}` is not a level of {}: {}", regimen.id, ids.join(", ")),
            ));
        }
        (Some(level), Some(slot)) if slot.level.id != level => {
            return Err(Refusal::new(
                "dose_level",
                format!("slot {} is at level {}, not {level}", slot.number, slot.level.id),
            ));
        }
        (Some(level), _) => Some(level.clone()),
        (None, Some(slot)) => Some(slot.level.id.to_string()),
        (None, None) => None,
    };
    if request.at.as_millisecond() < course.started_at_ms - 24 * 3_600_000 {
        return Err(Refusal::new("at", "is before this course started"));
    }
    // One standing entry per slot and the hold after an urgent check-in: decided once, in the core.
    let shots: Vec<LoggedShot> = entries
        .iter()
        .filter(|entry| entry.course_id == course.id)
        .map(|entry| {
            Ok(LoggedShot {
                id: entry.id,
                slot: entry.slot_number.and_then(|slot| u32::try_from(slot).ok()),
                given: entry.status == "given",
                at: timestamp_of(entry.at_ms)?,
                corrects_id: entry.corrects_id,
            })
        })
        .collect::<Result<_, Refusal>>()?;
    let shot = ShotRequest {
        slot: slot.map(|slot| slot.number),
        given: request.status == "given",
        at: request.at,
        corrects_id: request.corrects_id,
    };
    if let Some(corrects_id) = request.corrects_id
        && !entries.iter().any(|entry| entry.id == corrects_id && entry.course_id == course.id)
    {
        return Err(Refusal::new("corrects_id", "is not an entry of this course's injection log"));
    }
    may_log_shot(&shot, &shots, checkins).map_err(|refusal| Refusal::new(refusal.field, refusal.reason))?;
    Ok(Injection {
        id: 0,
        patient_id: course.patient_id,
        course_id: course.id,
        client_id: None,
        status: request.status.to_string(),
        slot_number: slot.map(|slot| i64::from(slot.number)),
        dose_level,
        at_ms: request.at.as_millisecond(),
        site: request.site.map(str::to_string),
        skip_reason: request.skip_reason.clone(),
        note: request.note.clone(),
        corrects_id: request.corrects_id,
        recorded_by: String::new(),
    })
}

fn timestamp_of(ms: i64) -> Result<jiff::Timestamp, Refusal> {
    jiff::Timestamp::from_millisecond(ms).map_err(|_| Refusal::new("at", "a stored time is out of range"))
}

/// A patient's check-ins as the injection log reads them: urgent (call_now, emergency) or not, cleared or not.
pub async fn home_checkins(conn: &mut il2care_store::Conn, patient_id: i64) -> Result<Vec<HomeCheckIn>, AppError> {
    let cleared = record::cleared_checkins(conn, patient_id).await?;
    record::checkins(conn, patient_id)
        .await?
        .iter()
        .map(|checkin| {
            Ok(HomeCheckIn {
                id: checkin.id,
                at: timestamp_of(checkin.at_ms)?,
                urgent: matches!(checkin.level.as_str(), "call_now" | "emergency"),
                cleared: cleared.contains(&checkin.id),
            })
        })
        .collect::<Result<_, Refusal>>()
        .map_err(AppError::Refused)
}

/// A log entry as JSON; `stands` is false once a later entry corrects it.
pub fn injection_json(entry: &Injection, stands: bool) -> Value {
    json!({"id": entry.id, "course_id": entry.course_id, "client_id": entry.client_id, "status": entry.status,
           "slot": entry.slot_number, "dose_level": entry.dose_level, "at": crate::rfc3339(entry.at_ms),
           "site": entry.site, "skip_reason": entry.skip_reason, "note": entry.note,
           "corrects_id": entry.corrects_id, "recorded_by": entry.recorded_by, "stands": stands})
}

/// `POST /api/v1/patients/{id}/injections`: 201 with the entry, or 200 with the stored one when the
/// `client_id` was already submitted.
pub async fn submit(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (status, value) = submit_document(&state, &actor, patient_id, &json_text(&headers, &body)?).await?;
    Ok((status, Json(value)))
}

/// Checks and stores an injection document (the text of the POST body): shared by the API and the pages.
pub async fn submit_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    let resource = format!("patient/{patient_id}/injections");
    // Authorization before validation: who may not write here learns nothing about the document.
    authorize_write(state, actor, &[Role::Patient, Role::Nurse, Role::Physician], Some(patient_id), &resource).await?;
    let mut object = parse_object(text)?;
    let client_id = take_client_id(&mut object)?;
    let request = injection_request(&object, jiff::Timestamp::now())?;
    let mut tx = state.store.begin().await?;
    let patient = record::patient(&mut tx, patient_id).await?;
    // A retry is answered with what the first submission stored, before the log (which now holds it) is
    // checked again.
    if let Some(client_id) = &client_id
        && let Some(existing) = record::injection_by_client_id(&mut tx, patient_id, client_id).await?
    {
        by_actor(&mut tx, actor, "write", &format!("injection/{}", existing.id), Some(patient_id), "ok").await?;
        tx.commit().await?;
        let entry = injection_json(&existing, true);
        return Ok((
            StatusCode::OK,
            json!({"id": existing.id, "entry": entry, "duplicate_of_earlier_submission": true}),
        ));
    }
    let course = record::courses(&mut tx, patient_id)
        .await?
        .into_iter()
        .find(|course| course.id == request.course_id)
        .ok_or_else(|| AppError::Refused(Refusal::new("course_id", "is not a course of this patient")))?;
    let plan = planned_slots(&course, &patient.time_zone);
    let entries = record::injections(&mut tx, patient_id).await?;
    let checkins = home_checkins(&mut tx, patient_id).await?;
    let mut entry = checked_entry_after(&request, &course, plan.as_ref().map_err(String::as_str), &entries, &checkins)?;
    entry.client_id = client_id;
    entry.recorded_by = actor.user.username.clone();
    // The first shot given of a course passes the same screening gate as a high-dose course's first dose
    // (SCREENING §1 amendment). A patient logging at home is told to call the team, not the checklist.
    if entry.status == "given"
        && !entries.iter().any(|logged| logged.course_id == course.id && logged.status == "given")
        && let Err(error) =
            il2care_app::screening_gate::check_first_dose(&mut tx, course.id, request.at).await.map_err(AppError::from)
    {
        return Err(match (error, actor.role) {
            (AppError::Refused(_), Role::Patient) => {
                let words = il2care_content::injection_text("injections.screening-review")
                    .map(|entry| entry.filled(&state.site.numbers).plain_text().trim().to_string())
                    .unwrap_or_else(|| "Do not take this shot yet. Call your clinic.".to_string());
                AppError::Refused(Refusal::new("course_id", words))
            }
            (error, _) => error,
        });
    }
    let written = match record::add_injection(&mut tx, &entry, crate::now_ms()).await {
        Ok(written) => written,
        // A concurrent shot for the same slot committed first (unique index, migration 0007).
        Err(il2care_store::StoreError::Conflict(_)) => {
            return Err(AppError::Conflict(format!(
                "slot: slot {} already has an entry; never two shots to catch up",
                entry.slot_number.unwrap_or_default()
            )));
        }
        Err(error) => return Err(error.into()),
    };
    entry.id = written.id();
    if entry.status == "given" {
        super::doses::mark_interleukin_2_given(&mut tx, patient_id, entry.at_ms, &entry.recorded_by).await?;
    }
    by_actor(&mut tx, actor, "write", &format!("injection/{}", entry.id), Some(patient_id), "ok").await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, json!({"id": entry.id, "entry": injection_json(&entry, true)})))
}

/// `GET /api/v1/patients/{id}/injections`: the whole log, oldest first, corrected entries marked.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}/injections");
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    record::patient(&mut conn, patient_id).await?;
    let entries = record::injections(&mut conn, patient_id).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    let standing: Vec<i64> = standing_injections(&entries).iter().map(|entry| entry.id).collect();
    let list: Vec<Value> = entries.iter().map(|entry| injection_json(entry, standing.contains(&entry.id))).collect();
    Ok(Json(json!({"injections": list})))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> jiff::Timestamp {
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
            started_at_ms: "2026-11-25T13:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond(),
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

    fn check(document: Value, entries: &[Injection]) -> Result<Injection, Refusal> {
        let plan = planned_slots(&course(), "UTC").unwrap();
        checked_entry(&request(document)?, &course(), Ok(&plan), entries)
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
        let plan = planned_slots(&high_dose, "UTC").unwrap();
        let refusal = checked_entry(&request(given(1)).unwrap(), &high_dose, Ok(&plan), &[]).unwrap_err();
        assert_eq!(refusal.field, "course_id", "high-dose IV doses are recorded by the care team");
    }

    #[test]
    fn an_open_ended_course_logs_by_dose_level_because_it_has_no_laid_out_slots() {
        let open_ended = Course { regimen: "whangbo-2019-sc".into(), ..course() };
        let plan = planned_slots(&open_ended, "UTC");
        assert!(plan.is_err(), "the record holds no duration for an open-ended regimen");
        let by_level = json!({"course_id": 5, "status": "given", "at": "2026-11-27T13:00:00Z", "dose_level": "adult-start", "site": "arm_right"});
        let why = plan.as_ref().map_err(String::as_str);
        let stored = checked_entry(&request(by_level).unwrap(), &open_ended, why, &[]).unwrap();
        assert_eq!((stored.slot_number, stored.dose_level.as_deref()), (None, Some("adult-start")));
        assert_eq!(checked_entry(&request(given(1)).unwrap(), &open_ended, why, &[]).unwrap_err().field, "slot");
    }
}
