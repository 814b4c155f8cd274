//! Courses: `POST /api/v1/patients/{id}/courses` starts one (physician); `GET` lists them with their
//! schedule in the patient's time zone and the doses given and held so far.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_core::regimens::{regimen, regimen_ids};
use il2care_core::schedule::{ScheduleRequest, schedule};
use il2care_core::units::{Creatinine, Kilograms};
use il2care_store::record::{self, Course};
use il2care_wire::dosing::schedule_json;
use il2care_wire::json::{measure, number, parse_object, refuse_unknown_fields, required, string, timestamp};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::api::patients::authorize;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

const FIELDS: [&str; 5] = ["regimen", "rule_set", "started_at", "baseline_weight", "baseline_creatinine"];

/// How far ahead a course may be entered: a planned start is normal, a start years ahead is a typing error.
pub const MAX_DAYS_AHEAD: i64 = 366;

fn new_course(text: &str, patient_id: i64, now: jiff::Timestamp) -> Result<Course, Refusal> {
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &FIELDS, "")?;
    let regimen_id = string(required(&object, "regimen", "")?, "regimen")?;
    regimen(regimen_id)
        .ok_or_else(|| Refusal::new("regimen", format!("unknown regimen `{regimen_id}`; one of: {}", regimen_ids())))?;
    let rule_set = match object.get("rule_set") {
        None => "label",
        Some(value) => match string(value, "rule_set")? {
            "label" => "label",
            "consensus" => "consensus",
            other => return Err(Refusal::new("rule_set", format!("`{other}` is not label or consensus"))),
        },
    };
    let started_at = timestamp(required(&object, "started_at", "")?, "started_at")?;
    if started_at > now + jiff::SignedDuration::from_hours(24 * MAX_DAYS_AHEAD) {
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
        rule_set: rule_set.to_string(),
        started_at_ms: started_at.as_millisecond(),
        baseline_weight_kg: weight,
        baseline_creatinine_mg_dl: creatinine,
    })
}

/// `POST /api/v1/patients/{id}/courses` (physician).
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    actor.require(&[Role::Physician])?;
    let course = new_course(&json_text(&headers, &body)?, patient_id, jiff::Timestamp::now())?;
    let mut tx = state.store.begin().await?;
    record::patient(&mut tx, patient_id).await?;
    let id = record::create_course(&mut tx, &course, crate::now_ms(), &actor.user.username).await?;
    by_actor(&mut tx, &actor, "write", &format!("patient/{patient_id}/course/{id}"), Some(patient_id), "ok").await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "patient_id": patient_id, "regimen": course.regimen}))))
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

/// `GET /api/v1/patients/{id}/courses`.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}/courses");
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    let patient = record::patient(&mut conn, patient_id).await?;
    let courses = record::courses(&mut conn, patient_id).await?;
    let mut list = Vec::new();
    for course in &courses {
        let events = record::dose_events(&mut conn, course.id).await?;
        let doses: Vec<Value> = events
            .iter()
            .map(|event| {
                json!({"id": event.id, "status": event.status, "at": crate::rfc3339(event.at_ms), "assessment_id": event.assessment_id,
                       "override_reason": event.override_reason, "corrects_id": event.corrects_id, "recorded_by": event.recorded_by})
            })
            .collect();
        list.push(json!({"id": course.id, "regimen": course.regimen, "rule_set": course.rule_set,
                         "started_at": crate::rfc3339(course.started_at_ms),
                         "baseline_weight": stored_quantity(course.baseline_weight_kg.as_deref(), "kg"),
                         "baseline_creatinine": stored_quantity(course.baseline_creatinine_mg_dl.as_deref(), "mg/dL"),
                         "doses": doses, "schedule": schedule_of(course, &patient.time_zone)}));
    }
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    Ok(Json(json!({"courses": list})))
}
