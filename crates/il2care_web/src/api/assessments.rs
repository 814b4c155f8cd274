//! Stored per-dose decisions: `POST /api/v1/patients/{id}/assessments` evaluates an assessment document and
//! records the decision with the rule-set version that produced it; `GET` lists them.
//!
//! The document is the one of `POST /api/v1/assess` plus `course_id`. What it leaves out, the service fills
//! from the record before the same parser validates it: `patient` (sex, the course's baseline weight and
//! creatinine, lasting flags), `course` (start, doses given in the cycle and course, holds this cycle, last
//! dose, pending holds, discontinuation) and `observations` (the last 48 hours). The filled document is
//! stored, so every decision can be replayed exactly.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_core::assessment::assess;
use il2care_store::Conn;
use il2care_store::record::{self, Assessment, Course, Patient};
use il2care_wire::assessment::{assessment_from_object, result_json};
use il2care_wire::json::{parse_object, required, timestamp};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::api::patients::authorize;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

const HOUR_MS: i64 = 3_600_000;
/// How far back stored observations are offered to the rules (every window in ASSESSMENT.md is shorter).
const OBSERVATION_LOOKBACK_MS: i64 = 48 * HOUR_MS;

/// Which cycle window `at_ms` falls in or follows (cycle 2 starts on day 15).
fn cycle_of(course: &Course, at_ms: i64) -> (i64, i64, i64) {
    let day = (at_ms - course.started_at_ms).div_euclid(24 * HOUR_MS);
    if day >= 14 {
        (2, course.started_at_ms + 14 * 24 * HOUR_MS, i64::MAX)
    } else {
        (1, course.started_at_ms, course.started_at_ms + 14 * 24 * HOUR_MS)
    }
}

fn decimal_quantity(text: Option<&str>, unit: &str) -> Option<Value> {
    let value: rust_decimal::Decimal = text?.parse().ok()?;
    Some(json!({"value": il2care_wire::json::number(value), "unit": unit}))
}

/// The `patient` block from the record.
fn patient_block(patient: &Patient, course: &Course, flags: &[String]) -> Value {
    let mut block = Map::new();
    block.insert("sex".into(), json!(patient.sex));
    if let Some(weight) = decimal_quantity(course.baseline_weight_kg.as_deref(), "kg") {
        block.insert("baseline_weight".into(), weight);
    }
    if let Some(creatinine) = decimal_quantity(course.baseline_creatinine_mg_dl.as_deref(), "mg/dL") {
        block.insert("baseline_creatinine".into(), creatinine);
    }
    let known = ["il2_retreatment_contraindicated", "received_interleukin_2"];
    block.insert("flags".into(), json!(flags.iter().filter(|flag| known.contains(&flag.as_str())).collect::<Vec<_>>()));
    Value::Object(block)
}

/// The `course` block from the record: counts from dose events, pending holds from the last decision.
async fn course_block(conn: &mut Conn, course: &Course, at_ms: i64) -> Result<Value, AppError> {
    let events = record::dose_events(conn, course.id).await?;
    // A corrected event is replaced by its correction.
    let corrected: Vec<i64> = events.iter().filter_map(|event| event.corrects_id).collect();
    let current: Vec<_> =
        events.iter().filter(|event| !corrected.contains(&event.id) && event.at_ms <= at_ms).collect();
    let (cycle, cycle_start, cycle_end) = cycle_of(course, at_ms);
    let in_cycle = |at: i64| at >= cycle_start && at < cycle_end;
    let given: Vec<_> = current.iter().filter(|event| event.status == "given").collect();
    let given_cycle = given.iter().filter(|event| in_cycle(event.at_ms)).count();
    let holds_cycle = current.iter().filter(|event| event.status == "held" && in_cycle(event.at_ms)).count();
    let last_dose = given.iter().map(|event| event.at_ms).max();
    let decisions: Vec<Assessment> = record::assessments(conn, course.patient_id)
        .await?
        .into_iter()
        .filter(|assessment| assessment.course_id == Some(course.id) && assessment.at_ms <= at_ms)
        .collect();
    // Pending holds: the hold rules of the latest decision of this cycle, unless a dose was given after it.
    let mut pending = Vec::new();
    if let Some(latest) = decisions.iter().find(|assessment| in_cycle(assessment.at_ms))
        && last_dose.is_none_or(|dose| dose < latest.at_ms)
        && let Ok(result) = serde_json::from_str::<Value>(&latest.result)
    {
        for entry in result["fired"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(result["resume_pending"].as_array().into_iter().flatten())
        {
            let id = entry["id"].as_str().or_else(|| entry.as_str());
            let is_hold = entry["action"].as_str().is_none_or(|action| action == "hold");
            if let Some(id) = id.filter(|_| is_hold)
                && !pending.contains(&id.to_string())
            {
                pending.push(id.to_string());
            }
        }
    }
    // Discontinued when a decision said so and no dose was given after it with an override reason.
    let discontinued = decisions.iter().any(|decision| {
        decision.decision.starts_with("discontinue")
            && !current
                .iter()
                .any(|event| event.status == "given" && event.at_ms > decision.at_ms && event.override_reason.is_some())
    });
    let mut block = json!({"regimen": course.regimen, "started_at": crate::rfc3339(course.started_at_ms), "cycle": cycle,
                           "doses_given_this_cycle": given_cycle, "doses_given_this_course": given.len(),
                           "holds_this_cycle": holds_cycle, "pending_holds": pending, "discontinued": discontinued});
    if let Some(last) = last_dose {
        block["last_dose_at"] = json!(crate::rfc3339(last));
    }
    Ok(block)
}

/// Stored observations from the last 48 hours up to `at_ms`, as their accepted JSON.
async fn observation_block(conn: &mut Conn, patient_id: i64, at_ms: i64) -> Result<Value, AppError> {
    let stored = record::observations(conn, patient_id, at_ms - OBSERVATION_LOOKBACK_MS).await?;
    let corrected: Vec<i64> = stored.iter().filter_map(|observation| observation.corrects_id).collect();
    let documents: Vec<Value> = stored
        .iter()
        .filter(|observation| observation.at_ms <= at_ms && !corrected.contains(&observation.id))
        .filter_map(|observation| serde_json::from_str(&observation.document).ok())
        .collect();
    Ok(Value::Array(documents))
}

/// `POST /api/v1/patients/{id}/assessments` (nurse, physician).
pub async fn evaluate_and_record(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (status, value) =
        evaluate_and_record_document(&state, &actor, patient_id, &json_text(&headers, &body)?).await?;
    Ok((status, Json(value)))
}

/// Evaluates and records an assessment document (the text of the POST body): shared by the API and the pages.
pub async fn evaluate_and_record_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    actor.require(&[Role::Nurse, Role::Physician])?;
    let mut document = parse_object(text)?;
    let course_id = document
        .remove("course_id")
        .and_then(|value| value.as_i64())
        .ok_or_else(|| AppError::Refused(Refusal::new("course_id", "is required: the course this dose belongs to")))?;
    let at = timestamp(required(&document, "at", "")?, "at")?;
    // A stored decision is about a dose now: one timed ahead would be decided on data not yet measured.
    if at > jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5) {
        return Err(Refusal::new("at", "is in the future; a decision is recorded when it is made").into());
    }
    let at_ms = at.as_millisecond();
    let mut tx = state.store.begin().await?;
    let patient = record::patient(&mut tx, patient_id).await?;
    let course = record::courses(&mut tx, patient_id)
        .await?
        .into_iter()
        .find(|course| course.id == course_id)
        .ok_or_else(|| AppError::Refused(Refusal::new("course_id", "is not a course of this patient")))?;
    if !document.contains_key("rule_set") {
        document.insert("rule_set".into(), json!(course.rule_set));
    }
    if !document.contains_key("patient") {
        let flags = record::flags(&mut tx, patient_id).await?;
        document.insert("patient".into(), patient_block(&patient, &course, &flags));
    }
    if !document.contains_key("course") {
        document.insert("course".into(), course_block(&mut tx, &course, at_ms).await?);
    }
    if !document.contains_key("observations") {
        document.insert("observations".into(), observation_block(&mut tx, patient_id, at_ms).await?);
    }
    let parsed = assessment_from_object(&document)?;
    let evaluation = assess(&parsed.assessment, &parsed.parameters);
    let result = result_json(&evaluation);
    let decision = result["decision"].as_str().unwrap_or("insufficient_data").to_string();
    let stored = Assessment {
        id: 0,
        patient_id,
        course_id: Some(course.id),
        at_ms,
        rule_set: result["rule_set"].as_str().unwrap_or("label").to_string(),
        rule_set_version: result["rule_set_version"].as_str().unwrap_or("unknown").to_string(),
        decision: decision.clone(),
        document: Value::Object(document).to_string(),
        result: result.to_string(),
    };
    let id = record::add_assessment(&mut tx, &stored, crate::now_ms(), &actor.user.username).await?;
    if decision == "discontinue_permanently" {
        let detail = format!("decision {id}: discontinue permanently");
        record::add_flag(&mut tx, patient_id, "il2_retreatment_contraindicated", &detail, at_ms, &actor.user.username)
            .await?;
    }
    by_actor(&mut tx, actor, "write", &format!("course/{}/assessment/{id}", course.id), Some(patient_id), "ok").await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, json!({"id": id, "result": result})))
}

/// `GET /api/v1/patients/{id}/assessments`, newest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}/assessments");
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    let assessments = record::assessments(&mut conn, patient_id).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    let list: Vec<Value> = assessments
        .iter()
        .map(|assessment| {
            json!({"id": assessment.id, "course_id": assessment.course_id, "at": crate::rfc3339(assessment.at_ms),
                   "decision": assessment.decision, "rule_set": assessment.rule_set, "rule_set_version": assessment.rule_set_version,
                   "result": serde_json::from_str::<Value>(&assessment.result).unwrap_or(Value::Null)})
        })
        .collect();
    Ok(Json(json!({"assessments": list})))
}
