//! Courses: `POST /api/v1/patients/{id}/courses` starts one (physician); `GET` lists them with their
//! schedule in the patient's time zone and the doses given and held so far; cycle-2 delays and the patient's
//! and the site's settings.
//!
//! HTTP only: the use cases (access, validation, storing, audit) are `il2care_app::courses`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_app::courses::{self, Course, DoseView, dose_status_id};
use il2care_core::regimens::regimen;
use il2care_core::schedule::{ScheduleRequest, schedule};
use il2care_wire::dosing::schedule_json;
use il2care_wire::json::number;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::auth::Actor;
use crate::body::{Body, json_text};
use crate::error::AppError;

pub use il2care_app::courses::{DEFAULT_RULE_SET_SETTING, MAX_DAYS_AHEAD, course_events, site_rule_set};

/// `POST /api/v1/patients/{id}/courses` (physician).
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (id, course) = create_document(&state, &actor, patient_id, &json_text(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "patient_id": patient_id, "regimen": course.regimen}))))
}

/// Validates and stores a new course (the text of the POST body, or the start-a-course page's form as JSON);
/// audited. Shared by the API and the pages.
pub async fn create_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(i64, Course), AppError> {
    Ok(courses::create(&state.store, actor.app(), patient_id, text, crate::now()).await?)
}

/// The course's schedule as JSON in `time_zone`, or why it cannot be laid out.
fn schedule_of(course: &Course, time_zone: &str) -> Value {
    let Some(regimen) = regimen(&course.regimen) else {
        return json!({"unavailable": format!("unknown regimen {}", course.regimen)});
    };
    let zone = jiff::tz::TimeZone::get(time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let Ok(start) = jiff::Timestamp::from_millisecond(course.started_at_ms) else {
        return json!({"unavailable": "the start time is out of range"});
    };
    let request = ScheduleRequest { regimen, start: start.to_zoned(zone), level: None, days: None, cycles: None };
    match schedule(&request) {
        Ok(plan) => schedule_json(&plan, &|_| None),
        Err(refusal) => json!({"unavailable": format!("{}: {}", refusal.field, refusal.reason)}),
    }
}

/// A decimal stored as text, back as a quantity (`null` when absent).
fn stored_quantity(text: Option<&str>, unit: &str) -> Value {
    text.and_then(|text| text.parse::<Decimal>().ok())
        .map_or(Value::Null, |value| json!({"value": number(value), "unit": unit}))
}

/// A dose as the course list shows it: an override (a dose given against its decision) is marked as one
/// wherever the dose appears.
fn listed_dose(dose: &DoseView) -> Value {
    json!({"id": dose.id, "status": dose_status_id(dose.status), "at": crate::rfc3339(dose.at_ms),
           "assessment_id": dose.assessment_id, "slot": dose.slot, "override": dose.overrides,
           "reason_code": dose.reason_code, "override_reason": dose.override_reason, "cosigned_by": dose.cosigned_by,
           "corrects_id": dose.corrects_id, "recorded_by": dose.recorded_by})
}

/// `GET /api/v1/patients/{id}/courses`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let listed = courses::list(&state.store, actor.app(), patient_id, crate::now()).await?;
    let list: Vec<Value> = listed
        .courses
        .iter()
        .map(|view| {
            let course = &view.course;
            json!({"id": course.id, "regimen": course.regimen, "rule_set": course.rule_set,
                   "started_at": crate::rfc3339(course.started_at_ms),
                   "baseline_weight": stored_quantity(course.baseline_weight_kg.as_deref(), "kg"),
                   "baseline_creatinine": stored_quantity(course.baseline_creatinine_mg_dl.as_deref(), "mg/dL"),
                   "doses": view.doses.iter().map(listed_dose).collect::<Vec<_>>(),
                   "schedule": schedule_of(course, &listed.time_zone)})
        })
        .collect();
    Ok(Json(json!({"courses": list})))
}

/// `POST /api/v1/patients/{id}/cycle-2-delays` with `{"course_id", "start_day", "reason"}` (physician): cycle 2
/// starts on `start_day` (16 or later) and runs five days (ASSESSMENT §10.5). Audited.
pub async fn delay_cycle_two(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let text = json_text(&headers, &body)?;
    let delay = courses::delay_cycle_two(&state.store, actor.app(), patient_id, &text, crate::now()).await?;
    let (first, last) = delay.cycle_two_days;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": delay.id, "course_id": delay.course_id, "cycle_2_days": [first, last]})),
    ))
}

/// `POST /api/v1/patients/{id}/settings` with `{"target_systolic_bp": {"value", "unit": "mm[Hg]"} | null}`
/// (physician): the patient's consensus target systolic pressure, used by every decision. Audited.
pub async fn patient_settings(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let text = json_text(&headers, &body)?;
    let (id, value) = courses::patient_settings(&state.store, actor.app(), patient_id, &text, crate::now()).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "target_systolic_bp": value}))))
}

/// `POST /api/v1/settings` with `{"tachycardia_hold_min": {"value", "unit": "/min"}, "default_rule_set"}`
/// (physician): the site's consensus tachycardia threshold (60 to 130 /min) and the rule set of new courses.
/// Audited; used by every later decision.
pub async fn site_settings(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let text = json_text(&headers, &body)?;
    let set = courses::site_settings(&state.store, actor.app(), &text, crate::now()).await?;
    Ok((StatusCode::CREATED, Json(json!({"set": set}))))
}
