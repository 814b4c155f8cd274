//! Per-dose decision use cases: [`decide`] evaluates the course's next dose from the record and stores the
//! decision with the rule-set version that produced it; [`list`] reads the stored decisions.
//!
//! The decision comes from the record (ASSESSMENT §10.4): the caller sends `course_id`, `at`, the findings, and
//! any observations measured now (`observations`, stored with the decision in one transaction). The course
//! state (`il2care_core::course::course_state`), the patient's baselines, target systolic pressure and flags,
//! and the site's tachycardia threshold are read from the store; a caller-supplied `course`, `patient` or
//! `parameters` block is refused naming it. A refused assessment stores nothing, not even the observations.

use il2care_core::Refusal;
use il2care_core::assessment::thresholds::Parameters;
use il2care_core::assessment::{Decision, RuleSet, assess};
use il2care_core::course::{CourseEvents, CourseState, course_state};
use il2care_store::record::{self, Patient};
use il2care_store::{Conn, Store, StoreError};
use il2care_wire::assessment::{assessment_from_object, result_json};
use il2care_wire::fhir::import::DATE_ONLY_FIELD;
use il2care_wire::json::{parse_object, required, timestamp};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value, json};

use crate::Error;
use crate::access::{self, Action, Actor};
use crate::courses::{Course, course_events, course_of, decision_of};
pub use crate::courses::{TACHYCARDIA_SETTING, default_rule_set, site_overrides};

/// How far back stored observations are offered to the rules (every window in ASSESSMENT.md is shorter).
const OBSERVATION_LOOKBACK: SignedDuration = SignedDuration::from_hours(48);
/// How far ahead of `now` a decision may be timed (clock skew).
const CLOCK_SLACK: SignedDuration = SignedDuration::from_mins(5);
/// The fields the record endpoint takes; the rest comes from the record.
const FIELDS: [&str; 7] =
    ["course_id", "at", "observations", "findings_reviewed", "findings", "prepared_at", "rule_set"];
/// Blocks that only the stateless `/api/v1/assess` takes (ASSESSMENT §10.4).
const FROM_THE_RECORD: [(&str, &str); 3] = [
    ("course", "the course state (cycle, doses, holds, pending holds, discontinuation, last dose)"),
    ("patient", "the patient's baselines, target systolic pressure and flags"),
    ("parameters", "the site's thresholds (site settings)"),
];

fn corrupt(what: String) -> Error {
    Error::Store(StoreError::Corrupt(what))
}

fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |at| at.to_string())
}

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
    let mut block = json!({"regimen": course.regimen, "started_at": rfc3339(course.started_at_ms),
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

/// Whether a stored observation is date-only (a FHIR import of a day's result, without a time).
fn is_date_only(document: &Value) -> bool {
    document.get(DATE_ONLY_FIELD).is_some()
}

/// Stored observations from the lookback up to `at`, as their accepted JSON (date-only ones left out: a
/// per-dose decision never uses them), and the codes the record holds only date-only observations of there.
async fn observation_block(conn: &mut Conn, patient_id: i64, at: Timestamp) -> Result<(Value, Vec<String>), Error> {
    let at_ms = at.as_millisecond();
    let stored = record::observations(conn, patient_id, (at - OBSERVATION_LOOKBACK).as_millisecond()).await?;
    let corrected: Vec<i64> = stored.iter().filter_map(|observation| observation.corrects_id).collect();
    let mut documents = Vec::new();
    let mut date_only = Vec::new();
    for observation in stored.iter().filter(|o| o.at_ms <= at_ms) {
        let document: Value = serde_json::from_str(&observation.document)
            .map_err(|error| corrupt(format!("observation {} is unreadable: {error}", observation.id)))?;
        if is_date_only(&document) {
            date_only.push(observation.code.clone());
        } else if !corrected.contains(&observation.id) {
            documents.push(document);
        }
    }
    Ok((Value::Array(documents), date_only))
}

/// A rule that reports a code missing that the record holds only date-only observations of says why,
/// `"reason": "date only"`.
fn mark_date_only(result: &mut Value, dated: &[String]) {
    for entry in result["not_evaluated"].as_array_mut().into_iter().flatten() {
        if entry["missing"].as_str().is_some_and(|code| dated.iter().any(|dated| dated == code)) {
            entry["reason"] = json!("date only");
        }
    }
}

/// A decision stored: its id and the result as answered.
#[derive(Clone, Debug, PartialEq)]
pub struct Decided {
    pub id: i64,
    pub result: Value,
}

/// Evaluates and stores a per-dose decision (the document's text) for patient `patient_id` (nurse, physician):
/// the observations sent with it, the decision, the lasting flag of a permanent discontinuation and their
/// audit entries commit together; a refusal stores nothing.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<Decided, Error> {
    let resource = format!("patient/{patient_id}/assessments");
    access::authorize(store, actor, Some(patient_id), Action::DecideDose, &resource, now).await?;
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
        .ok_or_else(|| Refusal::new("course_id", "is required: the course this dose belongs to"))?;
    let at = timestamp(required(&document, "at", "")?, "at")?;
    // A stored decision is about a dose now: one timed ahead would be decided on data not yet measured.
    if at > now + CLOCK_SLACK {
        return Err(Refusal::new("at", "is in the future; a decision is recorded when it is made").into());
    }
    let at_ms = at.as_millisecond();
    // Observations measured now are stored with the decision: validated first, written in the same transaction.
    let submitted = match document.remove("observations") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) if list.is_empty() => Vec::new(),
        Some(Value::Array(list)) => crate::observations::validated_rows(patient_id, list, "observations", now)?,
        Some(_) => return Err(Refusal::new("observations", "must be a list of observations").into()),
    };
    let prepared_at = document.remove("prepared_at");
    let mut tx = store.begin().await?;
    let patient = record::patient(&mut tx, patient_id).await?;
    let course = course_of(&mut tx, patient_id, course_id).await?;
    if let Some(asked) = document.remove("rule_set")
        && asked.as_str() != Some(course.rule_set.as_str())
    {
        return Err(Refusal::new(
            "rule_set",
            format!("is the course's protocol setting (`{}`); a decision cannot choose another", course.rule_set),
        )
        .into());
    }
    for row in &submitted {
        record::add_observation(&mut tx, row, now.as_millisecond(), &actor.username).await?;
    }
    if !submitted.is_empty() {
        access::audit_write(&mut tx, actor, &format!("patient/{patient_id}/observations"), Some(patient_id), now)
            .await?;
    }
    let events = course_events(&mut tx, &course).await?;
    let course_now = course_state(&events, at);
    let flags = record::flags(&mut tx, patient_id).await?;
    let target = record::target_systolic_bp(&mut tx, patient_id).await?;
    let overrides = site_overrides(&mut tx).await?;
    let (observations, date_only) = observation_block(&mut tx, patient_id, at).await?;
    document.insert("rule_set".into(), json!(course.rule_set));
    document.insert("patient".into(), patient_block(&patient, &course, &flags, target.as_deref()));
    document.insert("course".into(), course_block(&course, &events, &course_now, prepared_at.as_ref()));
    document.insert("observations".into(), observations);
    // The stored course block carries the delay for the record; the parser reads the typed state instead.
    let mut parse_copy = document.clone();
    if let Some(block) = parse_copy.get_mut("course").and_then(Value::as_object_mut) {
        block.remove("cycle_two_start_day");
        block.remove("cycle");
    }
    // A refusal here returns before the commit: the transaction is rolled back and nothing is stored.
    let mut parsed = assessment_from_object(&parse_copy)?;
    let mut parameters = Parameters::with_overrides(&overrides)?;
    parameters.limits.cycle_two_days = course_now.windows.1;
    parsed.assessment.course.doses_given_cycle = Some(course_now.doses_given_cycle);
    parsed.assessment.course.doses_given_course = Some(course_now.doses_given_course);
    parsed.assessment.course.holds_this_cycle = Some(course_now.holds_this_cycle);
    parsed.assessment.course.last_dose_at = course_now.last_dose_at;
    parsed.assessment.course.pending_holds = course_now.pending_holds.clone();
    parsed.assessment.course.discontinued = course_now.discontinued;
    let evaluation = assess(&parsed.assessment, &parameters);
    let mut result = result_json(&evaluation);
    mark_date_only(&mut result, &date_only);
    let stored = record::Decision {
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
    let id = record::add_decision(&mut tx, &stored, now.as_millisecond(), &actor.username).await?;
    if evaluation.decision == Decision::DiscontinuePermanently {
        let detail = format!("decision {id}: discontinue permanently");
        record::add_flag(&mut tx, patient_id, "il2_retreatment_contraindicated", &detail, at_ms, &actor.username)
            .await?;
    }
    access::audit_write(&mut tx, actor, &format!("course/{}/assessment/{id}", course.id), Some(patient_id), now)
        .await?;
    tx.commit().await?;
    Ok(Decided { id, result })
}

/// A stored per-dose decision, typed.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredDecision {
    pub id: i64,
    pub course_id: Option<i64>,
    pub at_ms: i64,
    pub decision: Decision,
    pub rule_set: RuleSet,
    pub rule_set_version: String,
    /// The result as answered when it was decided.
    pub result: Value,
}

fn stored_decision(assessment: &record::Decision) -> Result<StoredDecision, Error> {
    let unreadable = |what: &str| corrupt(format!("decision {}: {what}", assessment.id));
    Ok(StoredDecision {
        id: assessment.id,
        course_id: assessment.course_id,
        at_ms: assessment.at_ms,
        decision: decision_of(&assessment.decision).ok_or_else(|| unreadable("unknown decision"))?,
        rule_set: RuleSet::from_id(&assessment.rule_set).ok_or_else(|| unreadable("unknown rule set"))?,
        rule_set_version: assessment.rule_set_version.clone(),
        result: serde_json::from_str(&assessment.result).map_err(|_| unreadable("stored JSON"))?,
    })
}

/// Patient `patient_id`'s stored decisions, newest first; the read is audited before it is answered.
pub async fn list(store: &Store, actor: &Actor, patient_id: i64, now: Timestamp) -> Result<Vec<StoredDecision>, Error> {
    let resource = format!("patient/{patient_id}/assessments");
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, &resource, now).await?;
    let stored = {
        let mut conn = store.connection().await?;
        record::decisions(&mut conn, patient_id).await?
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    stored.iter().map(stored_decision).collect()
}
