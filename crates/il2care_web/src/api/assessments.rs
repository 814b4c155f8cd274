//! Stored per-dose decisions: `POST /api/v1/patients/{id}/assessments` evaluates the course's next dose from the
//! record and stores the decision with the rule-set version that produced it; `GET` lists them.
//!
//! The decision comes from the record (ASSESSMENT §10.4): the caller sends `course_id`, `at`, the findings, and
//! any observations measured now (`observations`, stored with the decision in one transaction). The course
//! state (`il2care_core::course`), the patient's baselines, target systolic pressure and flags, and the site's
//! tachycardia threshold are read from the store; a caller-supplied `course`, `patient` or `parameters` block
//! is refused naming it. A refused assessment stores nothing, not even the observations sent with it.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_core::assessment::thresholds::{Parameters, SiteOverrides};
use il2care_core::assessment::{Decision, RuleSet, assess};
use il2care_core::course::{CourseEvents, CourseState, course_state};
use il2care_core::units::PerMinute;
use il2care_store::Conn;
use il2care_store::record::{self, Assessment, Course, Patient};
use il2care_wire::assessment::{assessment_from_object, result_json};
use il2care_wire::json::{parse_object, required, timestamp};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::api::courses::course_events;
use crate::api::patients::{authorize, authorize_write};
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

const HOUR_MS: i64 = 3_600_000;
/// How far back stored observations are offered to the rules (every window in ASSESSMENT.md is shorter).
const OBSERVATION_LOOKBACK_MS: i64 = 48 * HOUR_MS;
/// The fields the record endpoint takes; the rest comes from the record.
const FIELDS: [&str; 7] =
    ["course_id", "at", "observations", "findings_reviewed", "findings", "prepared_at", "rule_set"];
/// Blocks that only the stateless `/api/v1/assess` takes (ASSESSMENT §10.4).
const FROM_THE_RECORD: [(&str, &str); 3] = [
    ("course", "the course state (cycle, doses, holds, pending holds, discontinuation, last dose)"),
    ("patient", "the patient's baselines, target systolic pressure and flags"),
    ("parameters", "the site's thresholds (site settings)"),
];

/// The site setting that holds the consensus tachycardia threshold (/min).
pub const TACHYCARDIA_SETTING: &str = "tachycardia_hold_min";

fn decimal_quantity(text: Option<&str>, unit: &str) -> Option<Value> {
    let value: rust_decimal::Decimal = text?.parse().ok()?;
    Some(json!({"value": il2care_wire::json::number(value), "unit": unit}))
}

/// The `patient` block from the record (read by the same parser as any document).
fn patient_block(patient: &Patient, course: &Course, flags: &[String], target: Option<&str>) -> Value {
    let mut block = Map::new();
    block.insert("sex".into(), json!(patient.sex));
    if let Some(weight) = decimal_quantity(course.baseline_weight_kg.as_deref(), "kg") {
        block.insert("baseline_weight".into(), weight);
    }
    if let Some(creatinine) = decimal_quantity(course.baseline_creatinine_mg_dl.as_deref(), "mg/dL") {
        block.insert("baseline_creatinine".into(), creatinine);
    }
    if let Some(target) = decimal_quantity(target, "mm[Hg]") {
        block.insert("target_systolic_bp".into(), target);
    }
    let known = ["il2_retreatment_contraindicated", "received_interleukin_2"];
    block.insert("flags".into(), json!(flags.iter().filter(|flag| known.contains(&flag.as_str())).collect::<Vec<_>>()));
    Value::Object(block)
}

/// The course state as stored beside the decision (so the record shows what the rules were given).
fn course_block(course: &Course, events: &CourseEvents, state: &CourseState, prepared_at: Option<&Value>) -> Value {
    let mut block = json!({"regimen": course.regimen, "started_at": crate::rfc3339(course.started_at_ms),
        "cycle": state.cycle, "doses_given_this_cycle": state.doses_given_cycle,
        "doses_given_this_course": state.doses_given_course, "holds_this_cycle": state.holds_this_cycle,
        "pending_holds": state.pending_holds.iter().map(|rule| rule.id()).collect::<Vec<_>>(),
        "discontinued": state.discontinued});
    if let Some(last) = state.last_dose_at {
        block["last_dose_at"] = json!(last.to_string());
    }
    if let Some(prepared) = prepared_at {
        block["prepared_at"] = prepared.clone();
    }
    if let Some(day) = events.cycle_two_start_day {
        block["cycle_two_start_day"] = json!(day);
    }
    block
}

/// Stored observations from the last 48 hours up to `at_ms`, as their accepted JSON.
async fn observation_block(conn: &mut Conn, patient_id: i64, at_ms: i64) -> Result<Value, AppError> {
    let stored = record::observations(conn, patient_id, at_ms - OBSERVATION_LOOKBACK_MS).await?;
    let corrected: Vec<i64> = stored.iter().filter_map(|observation| observation.corrects_id).collect();
    let mut documents = Vec::new();
    for observation in stored.iter().filter(|o| o.at_ms <= at_ms && !corrected.contains(&o.id)) {
        let document: Value = serde_json::from_str(&observation.document).map_err(|error| {
            AppError::Internal(anyhow::anyhow!("observation {} is unreadable: {error}", observation.id))
        })?;
        // A date-only observation (a FHIR import of a day's result) has no time: a per-dose decision never
        // uses it, so its rules read the code as missing (see `date_only_reasons`).
        if document.get(il2care_wire::fhir::import::DATE_ONLY_FIELD).is_some() {
            continue;
        }
        documents.push(document);
    }
    Ok(Value::Array(documents))
}

/// The codes the record holds only date-only observations of (in the lookback up to `at_ms`): a rule that
/// reports one of them missing says why, `"reason": "date only"`.
async fn date_only_reasons(conn: &mut Conn, patient_id: i64, at_ms: i64, result: &mut Value) -> Result<(), AppError> {
    let stored = record::observations(conn, patient_id, at_ms - OBSERVATION_LOOKBACK_MS).await?;
    let dated: Vec<&str> = stored
        .iter()
        .filter(|observation| {
            observation.at_ms <= at_ms && observation.document.contains(il2care_wire::fhir::import::DATE_ONLY_FIELD)
        })
        .filter(|observation| {
            serde_json::from_str::<Value>(&observation.document)
                .is_ok_and(|document| document.get(il2care_wire::fhir::import::DATE_ONLY_FIELD).is_some())
        })
        .map(|observation| observation.code.as_str())
        .collect();
    if dated.is_empty() {
        return Ok(());
    }
    for entry in result["not_evaluated"].as_array_mut().into_iter().flatten() {
        if entry["missing"].as_str().is_some_and(|code| dated.contains(&code)) {
            entry["reason"] = json!("date only");
        }
    }
    Ok(())
}

/// The site's consensus tachycardia threshold, when a physician set one.
pub async fn site_overrides(conn: &mut Conn) -> Result<SiteOverrides, AppError> {
    let mut overrides = SiteOverrides::default();
    if let Some(text) = record::site_setting(conn, TACHYCARDIA_SETTING).await? {
        let value: rust_decimal::Decimal = text
            .parse()
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the stored tachycardia threshold is unreadable")))?;
        let quantity = json!({"value": il2care_wire::json::number(value), "unit": "/min"});
        overrides.tachycardia_hold_min =
            Some(il2care_wire::json::measure::<PerMinute>(&quantity, TACHYCARDIA_SETTING).map_err(|refusal| {
                AppError::Internal(anyhow::anyhow!("the stored tachycardia threshold: {refusal}"))
            })?);
    }
    Ok(overrides)
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
    let resource = format!("patient/{patient_id}/assessments");
    authorize_write(state, actor, &[Role::Nurse, Role::Physician], Some(patient_id), &resource).await?;
    let mut document = parse_object(text)?;
    for (field, what) in FROM_THE_RECORD {
        if document.contains_key(field) {
            return Err(Refusal::new(
                field,
                format!("is read from the record on this endpoint ({what}); send only course_id, at, observations and findings"),
            )
            .into());
        }
    }
    il2care_wire::json::refuse_unknown_fields(&document, &FIELDS, "")?;
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
    // Observations measured now are stored with the decision: validated first, written in the same transaction.
    let submitted = match document.remove("observations") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) if list.is_empty() => Vec::new(),
        Some(Value::Array(list)) => crate::api::observations::validated_rows(patient_id, list, "observations")?,
        Some(_) => return Err(Refusal::new("observations", "must be a list of observations").into()),
    };
    let prepared_at = document.remove("prepared_at");
    let mut tx = state.store.begin().await?;
    let patient = record::patient(&mut tx, patient_id).await?;
    let course = record::courses(&mut tx, patient_id)
        .await?
        .into_iter()
        .find(|course| course.id == course_id)
        .ok_or_else(|| AppError::Refused(Refusal::new("course_id", "is not a course of this patient")))?;
    if let Some(asked) = document.remove("rule_set")
        && asked.as_str() != Some(course.rule_set.as_str())
    {
        return Err(Refusal::new(
            "rule_set",
            format!("is the course's protocol setting (`{}`); a decision cannot choose another", course.rule_set),
        )
        .into());
    }
    let now = crate::now_ms();
    for row in &submitted {
        record::add_observation(&mut tx, row, now, &actor.user.username).await?;
    }
    if !submitted.is_empty() {
        by_actor(&mut tx, actor, "write", &format!("patient/{patient_id}/observations"), Some(patient_id), "ok")
            .await?;
    }
    let events = course_events(&mut tx, &course).await?;
    let course_now = course_state(&events, at);
    let flags = record::flags(&mut tx, patient_id).await?;
    let target = record::target_systolic_bp(&mut tx, patient_id).await?;
    let overrides = site_overrides(&mut tx).await?;
    document.insert("rule_set".into(), json!(course.rule_set));
    document.insert("patient".into(), patient_block(&patient, &course, &flags, target.as_deref()));
    document.insert("course".into(), course_block(&course, &events, &course_now, prepared_at.as_ref()));
    document.insert("observations".into(), observation_block(&mut tx, patient_id, at_ms).await?);
    // The stored course block carries the delay for the record; the parser reads the typed state instead.
    let mut parse_copy = document.clone();
    if let Some(block) = parse_copy.get_mut("course").and_then(Value::as_object_mut) {
        block.remove("cycle_two_start_day");
        block.remove("cycle");
    }
    // A refusal here returns before the commit: the transaction is rolled back and nothing is stored.
    let mut parsed = assessment_from_object(&parse_copy)?;
    let mut parameters = Parameters::with_overrides(&overrides).map_err(AppError::Refused)?;
    parameters.limits.cycle_two_days = course_now.windows.1;
    parsed.assessment.course.doses_given_cycle = Some(course_now.doses_given_cycle);
    parsed.assessment.course.doses_given_course = Some(course_now.doses_given_course);
    parsed.assessment.course.holds_this_cycle = Some(course_now.holds_this_cycle);
    parsed.assessment.course.last_dose_at = course_now.last_dose_at;
    parsed.assessment.course.pending_holds = course_now.pending_holds.clone();
    parsed.assessment.course.discontinued = course_now.discontinued;
    let evaluation = assess(&parsed.assessment, &parameters);
    let mut result = result_json(&evaluation);
    date_only_reasons(&mut tx, patient_id, at_ms, &mut result).await?;
    let stored = Assessment {
        id: 0,
        patient_id,
        course_id: Some(course.id),
        at_ms,
        rule_set: parsed.assessment.rule_set.id().to_string(),
        rule_set_version: result["rule_set_version"].as_str().unwrap_or("unknown").to_string(),
        decision: evaluation.decision.id().to_string(),
        document: Value::Object(document).to_string(),
        result: result.to_string(),
    };
    let id = record::add_assessment(&mut tx, &stored, now, &actor.user.username).await?;
    if evaluation.decision == Decision::DiscontinuePermanently {
        let detail = format!("decision {id}: discontinue permanently");
        record::add_flag(&mut tx, patient_id, "il2_retreatment_contraindicated", &detail, at_ms, &actor.user.username)
            .await?;
    }
    by_actor(&mut tx, actor, "write", &format!("course/{}/assessment/{id}", course.id), Some(patient_id), "ok").await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, json!({"id": id, "result": result})))
}

/// The rule set a new course gets: `consensus` unless the site setting chooses `label` (ASSESSMENT, intro).
pub fn default_rule_set(site_setting: Option<&str>) -> RuleSet {
    match site_setting {
        Some("label") => RuleSet::Label,
        _ => RuleSet::Consensus,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_courses_default_to_consensus_unless_the_site_chooses_label() {
        // ASSESSMENT introduction (amendment 2026-12-04).
        assert_eq!(default_rule_set(None), RuleSet::Consensus);
        assert_eq!(default_rule_set(Some("consensus")), RuleSet::Consensus);
        assert_eq!(default_rule_set(Some("label")), RuleSet::Label);
    }
}
