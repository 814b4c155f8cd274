//! Pre-treatment screenings: `POST /api/v1/patients/{id}/screenings` (physician, pharmacist) evaluates a
//! screening document (docs/screening.md) with the core's `screen` and stores the document with its result;
//! `GET` lists them, the latest first (the care team). Idempotent with a client-supplied `client_id`.
//!
//! The record's lasting flags (`received_interleukin_2`, `il2_retreatment_contraindicated`) are added to the
//! document's `patient.flags` before it is evaluated, because a flag is never removed: a document that forgets
//! one must not lose the contrast warning it brings. The stored document is the one evaluated.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_core::screening::gate::{DecisionKind, GateScreening, ItemDecision, first_dose_gate};
use il2care_core::screening::{Item, screen};
use il2care_store::record::{self, Screening, ScreeningDecision, Written};
use il2care_wire::json::{parse_object, timestamp};
use il2care_wire::screening::{result_json, screening_from_object};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::api::checkins::take_client_id;
use crate::api::patients::authorize;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

/// The record flags a screening document knows (docs/screening.md `patient.flags`).
const SCREENING_FLAGS: [&str; 2] = ["received_interleukin_2", "il2_retreatment_contraindicated"];

/// Adds the record's lasting flags to `patient.flags` of a document (a document without a `patient` object is
/// left for the wire crate to refuse).
pub fn with_record_flags(document: &mut Map<String, Value>, record_flags: &[String]) {
    let Some(Value::Object(patient)) = document.get_mut("patient") else { return };
    let flags = patient.entry("flags").or_insert_with(|| Value::Array(Vec::new()));
    if flags.is_null() {
        *flags = Value::Array(Vec::new());
    }
    let Value::Array(list) = flags else { return };
    for flag in record_flags.iter().filter(|flag| SCREENING_FLAGS.contains(&flag.as_str())) {
        if !list.iter().any(|present| present.as_str() == Some(flag.as_str())) {
            list.push(json!(flag));
        }
    }
}

/// The optional `course_id` of a POST body: the course the screening is run for (its latest screening gates
/// the course's first dose, SCREENING §1 amendment of 2026-12-04).
fn take_course_id(object: &mut Map<String, Value>) -> Result<Option<i64>, Refusal> {
    match object.remove("course_id") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or_else(|| Refusal::new("course_id", "must be a course id (a whole number)")),
    }
}

/// The gate's view of a stored result (`il2care_app::screening_gate::gate_screening`).
pub fn gate_screening(at_ms: i64, result: &Value) -> GateScreening {
    il2care_app::screening_gate::gate_screening(at_ms, result)
}

/// The core's decisions from the stored ones (`il2care_app::screening_gate::item_decisions`).
pub fn item_decisions(decisions: &[ScreeningDecision]) -> Vec<ItemDecision> {
    il2care_app::screening_gate::item_decisions(decisions)
}

/// The inputs of the first-dose gate of a course as the record holds them
/// (`il2care_app::screening_gate::gate_inputs`): the one reader for the dose record, the injection log and the
/// CDS cards, so all decide with the same `first_dose_gate`.
pub async fn gate_inputs(
    conn: &mut il2care_store::Conn,
    course_id: i64,
) -> Result<(Option<GateScreening>, Vec<ItemDecision>), AppError> {
    Ok(il2care_app::screening_gate::gate_inputs(conn, course_id).await?)
}

/// The gate for a first dose now (SCREENING §1 amendment): `null` when the screening is not tied to a course.
fn gate_json(course_id: Option<i64>, screening: Option<&GateScreening>, decisions: &[ScreeningDecision]) -> Value {
    let Some(course_id) = course_id else { return Value::Null };
    let now = jiff::Timestamp::now();
    let gate = first_dose_gate(screening, &item_decisions(decisions), now);
    let blockers: Vec<Value> = gate
        .blockers
        .iter()
        .map(|blocker| json!({"item": blocker.item.map(|item| item.number()), "reason": blocker.reason}))
        .collect();
    json!({"course_id": course_id, "first_dose_may_be_given": gate.open, "at": now.to_string(), "blockers": blockers})
}

fn decision_json(decision: &ScreeningDecision) -> Value {
    json!({"id": decision.id, "item": decision.item, "kind": decision.kind, "reason": decision.reason,
           "at": crate::rfc3339(decision.decided_at_ms), "by": decision.decided_by})
}

/// A stored screening as JSON.
pub fn screening_json(screening: &Screening) -> Value {
    let document: Value = serde_json::from_str(&screening.document).unwrap_or(Value::Null);
    let result: Value = serde_json::from_str(&screening.result).unwrap_or(Value::Null);
    json!({"id": screening.id, "patient_id": screening.patient_id, "client_id": screening.client_id,
           "at": crate::rfc3339(screening.at_ms), "regimen": screening.regimen, "status": screening.status,
           "recorded_at": crate::rfc3339(screening.recorded_at_ms), "recorded_by": screening.recorded_by,
           "document": document, "result": result})
}

/// `POST /api/v1/patients/{id}/screenings` (physician, pharmacist): 201 with the result, or 200 with the stored
/// one when the `client_id` was already submitted.
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

/// Evaluates and stores a screening document (the text of the POST body): shared by the API and the pages.
pub async fn submit_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    let resource = format!("patient/{patient_id}/screenings");
    {
        // Authorization before validation: who may not write here learns nothing about the document.
        let mut conn = state.store.connection().await?;
        if let Err(error) = actor.require(&[Role::Physician, Role::Pharmacist]) {
            by_actor(&mut conn, actor, "denied", &resource, Some(patient_id), "denied").await?;
            return Err(error);
        }
    }
    let mut object = parse_object(text)?;
    let client_id = take_client_id(&mut object)?;
    let course_id = take_course_id(&mut object)?;
    // A stored screening is of tests already done: one timed ahead is a typing error.
    if let Some(at) = object.get("at").filter(|at| !at.is_null())
        && timestamp(at, "at")? > jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5)
    {
        return Err(Refusal::new("at", "is in the future; a screening is recorded when it is done").into());
    }
    let mut tx = state.store.begin().await?;
    record::patient(&mut tx, patient_id).await?;
    if let Some(course_id) = course_id
        && !record::courses(&mut tx, patient_id).await?.iter().any(|course| course.id == course_id)
    {
        return Err(Refusal::new("course_id", format!("course {course_id} is not a course of this patient")).into());
    }
    with_record_flags(&mut object, &record::flags(&mut tx, patient_id).await?);
    let input = screening_from_object(&object)?;
    let result = screen(&input);
    let result_value = result_json(&result);
    let stored = Screening {
        id: 0,
        patient_id,
        client_id,
        at_ms: input.at.instant.as_millisecond(),
        regimen: input.regimen.id.to_string(),
        status: result.status.id().to_string(),
        document: Value::Object(object).to_string(),
        result: result_value.to_string(),
        recorded_at_ms: crate::now_ms(),
        recorded_by: actor.user.username.clone(),
    };
    let written = record::add_screening(&mut tx, &stored).await?;
    if let (Written::Created(id), Some(course_id)) = (&written, course_id) {
        record::link_screening_to_course(&mut tx, *id, course_id).await?;
    }
    by_actor(&mut tx, actor, "write", &format!("screening/{}", written.id()), Some(patient_id), "ok").await?;
    tx.commit().await?;
    match written {
        Written::Created(id) => {
            let gate = gate_json(course_id, Some(&gate_screening(stored.at_ms, &result_value)), &[]);
            Ok((StatusCode::CREATED, json!({"id": id, "course_id": course_id, "result": result_value, "gate": gate})))
        }
        Written::AlreadyPresent(id) => {
            let mut conn = state.store.connection().await?;
            let existing = record::screening(&mut conn, id).await?;
            let result: Value = serde_json::from_str(&existing.result).unwrap_or(Value::Null);
            Ok((StatusCode::OK, json!({"id": id, "result": result, "duplicate_of_earlier_submission": true})))
        }
    }
}

/// `GET /api/v1/patients/{id}/screenings` (nurse, physician, pharmacist): every screening, the latest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}/screenings");
    if !actor.role.is_clinical_staff() {
        by_actor(&mut conn, &actor, "denied", &resource, Some(patient_id), "denied").await?;
        return Err(AppError::Forbidden("screenings are read by the care team".into()));
    }
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    record::patient(&mut conn, patient_id).await?;
    let screenings = record::screenings(&mut conn, patient_id).await?;
    let mut listed = Vec::new();
    for screening in &screenings {
        let mut value = screening_json(screening);
        let decisions = record::screening_decisions(&mut conn, screening.id).await?;
        let course_id = record::course_of_screening(&mut conn, screening.id).await?;
        // The gate is the course's: computed from the course's latest screening, whichever this one is.
        let gate = match course_id {
            None => Value::Null,
            Some(course_id) => {
                let latest = record::latest_screening_of_course(&mut conn, course_id).await?;
                let latest_decisions = match &latest {
                    Some(latest) => record::screening_decisions(&mut conn, latest.id).await?,
                    None => Vec::new(),
                };
                let view = latest.as_ref().map(|latest| {
                    gate_screening(latest.at_ms, &serde_json::from_str(&latest.result).unwrap_or(Value::Null))
                });
                gate_json(Some(course_id), view.as_ref(), &latest_decisions)
            }
        };
        value["course_id"] = json!(course_id);
        value["decisions"] = Value::Array(decisions.iter().map(decision_json).collect());
        value["gate"] = gate;
        listed.push(value);
    }
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    Ok(Json(json!({"screenings": listed})))
}

/// `POST /api/v1/patients/{patient_id}/screenings/{screening_id}/decisions` (physician only): acknowledges a
/// `needs_review` item (`{"item": 15, "kind": "acknowledge", "reason": "..."}`) or overrides a `fail` item
/// (`"kind": "override"`), with who and when from the session; audited. 201 with the decision and the gate.
pub async fn decide(
    State(state): State<AppState>,
    actor: Actor,
    Path((patient_text, screening_text)): Path<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let id = |text: &str, field: &str| {
        text.parse::<i64>().map_err(|_| {
            AppError::Refused(Refusal::new(field, format!("`{text}` is not a record id (a whole number)")))
        })
    };
    let patient_id = id(&patient_text, "patient_id")?;
    let screening_id = id(&screening_text, "screening_id")?;
    let answer = decide_document(&state, &actor, patient_id, screening_id, &json_text(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(answer)))
}

/// Records a physician's decision on one item of a stored screening (the text of the POST body): shared by
/// the API and the screening form's acknowledge and override buttons. The answer holds the decision and the
/// course's gate.
pub async fn decide_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    screening_id: i64,
    text: &str,
) -> Result<Value, AppError> {
    let resource = format!("screening/{screening_id}/decisions");
    {
        let mut conn = state.store.connection().await?;
        if let Err(error) = actor.require(&[Role::Physician]) {
            by_actor(&mut conn, actor, "denied", &resource, Some(patient_id), "denied").await?;
            return Err(error);
        }
    }
    let object = parse_object(text)?;
    if let Some(unknown) = object.keys().find(|key| !["item", "kind", "reason"].contains(&key.as_str())) {
        return Err(Refusal::new(unknown.clone(), "unknown field; expected item, kind, reason").into());
    }
    let item = object
        .get("item")
        .and_then(Value::as_u64)
        .and_then(|number| u8::try_from(number).ok())
        .and_then(Item::from_number)
        .ok_or_else(|| Refusal::new("item", "must be a checklist item number, 1 to 19"))?;
    let kind =
        object.get("kind").and_then(Value::as_str).and_then(DecisionKind::from_id).ok_or_else(|| {
            Refusal::new("kind", "must be acknowledge (a needs_review item) or override (a fail item)")
        })?;
    let reason = object.get("reason").and_then(Value::as_str).map(str::trim).unwrap_or_default();
    if reason.is_empty() || reason.len() > 2000 {
        return Err(Refusal::new("reason", "is required: 1 to 2000 characters saying why").into());
    }
    let mut tx = state.store.begin().await?;
    let screening = record::screening(&mut tx, screening_id).await?;
    if screening.patient_id != patient_id {
        return Err(AppError::NotFound(format!("screening {screening_id} of patient {patient_id}")));
    }
    let result: Value = serde_json::from_str(&screening.result).unwrap_or(Value::Null);
    let view = gate_screening(screening.at_ms, &result);
    let status = view.items.iter().find(|screened| screened.item == item).map(|screened| screened.status);
    if status.and_then(DecisionKind::needed_for) != Some(kind) {
        let found = status.map_or("unreadable", |status| status.id());
        return Err(Refusal::new(
            "kind",
            format!("item {} is {found}: acknowledge a needs_review item, override a fail item", item.number()),
        )
        .into());
    }
    let decision = ScreeningDecision {
        id: 0,
        screening_id,
        item: i64::from(item.number()),
        kind: kind.id().to_string(),
        reason: reason.to_string(),
        decided_at_ms: crate::now_ms(),
        decided_by: actor.user.username.clone(),
    };
    let decision_id = record::add_screening_decision(&mut tx, &decision).await?;
    by_actor(&mut tx, actor, kind.id(), &resource, Some(patient_id), "ok").await?;
    let course_id = record::course_of_screening(&mut tx, screening_id).await?;
    let gate = match course_id {
        None => Value::Null,
        Some(course_id) => {
            let latest = record::latest_screening_of_course(&mut tx, course_id).await?;
            let decisions = match &latest {
                Some(latest) => record::screening_decisions(&mut tx, latest.id).await?,
                None => Vec::new(),
            };
            let view = latest.as_ref().map(|latest| {
                gate_screening(latest.at_ms, &serde_json::from_str(&latest.result).unwrap_or(Value::Null))
            });
            gate_json(Some(course_id), view.as_ref(), &decisions)
        }
    };
    tx.commit().await?;
    let stored = ScreeningDecision { id: decision_id, ..decision };
    Ok(json!({"decision": decision_json(&stored), "gate": gate}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags_after(document: Value, record_flags: &[&str]) -> Value {
        let mut object = document.as_object().unwrap().clone();
        let record_flags: Vec<String> = record_flags.iter().map(|flag| flag.to_string()).collect();
        with_record_flags(&mut object, &record_flags);
        object.get("patient").and_then(|patient| patient.get("flags")).cloned().unwrap_or(Value::Null)
    }

    #[test]
    fn the_records_lasting_flags_join_the_documents_and_nothing_else_does() {
        let received = ["received_interleukin_2"];
        assert_eq!(flags_after(json!({"patient": {}}), &received), json!(["received_interleukin_2"]));
        assert_eq!(flags_after(json!({"patient": {"flags": null}}), &received), json!(["received_interleukin_2"]));
        assert_eq!(
            flags_after(json!({"patient": {"flags": ["received_interleukin_2"]}}), &received),
            json!(["received_interleukin_2"]),
            "a flag already given is not repeated"
        );
        assert_eq!(flags_after(json!({"patient": {}}), &["some_other_flag"]), json!([]), "unknown codes stay out");
        assert_eq!(flags_after(json!({"at": "x"}), &received), Value::Null, "no patient: the wire crate refuses it");
    }
}
