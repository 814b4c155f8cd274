//! Pre-treatment screenings: `POST /api/v1/patients/{id}/screenings` (physician, pharmacist) evaluates a
//! screening document (docs/screening.md) with the core's `screen` and stores the document with its result;
//! `GET` lists them, the latest first (the care team). Idempotent with a client-supplied `client_id`.
//!
//! The record's lasting flags (`received_interleukin_2`, `il2_retreatment_contraindicated`) are added to the
//! document's `patient.flags` before it is evaluated, because a flag is never removed: a document that forgets
//! one must not lose the contrast warning it brings. The stored document is the one evaluated.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_core::screening::screen;
use il2care_store::record::{self, Screening, Written};
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
    // A stored screening is of tests already done: one timed ahead is a typing error.
    if let Some(at) = object.get("at").filter(|at| !at.is_null())
        && timestamp(at, "at")? > jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5)
    {
        return Err(Refusal::new("at", "is in the future; a screening is recorded when it is done").into());
    }
    let mut tx = state.store.begin().await?;
    record::patient(&mut tx, patient_id).await?;
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
    by_actor(&mut tx, actor, "write", &format!("screening/{}", written.id()), Some(patient_id), "ok").await?;
    tx.commit().await?;
    match written {
        Written::Created(id) => Ok((StatusCode::CREATED, json!({"id": id, "result": result_value}))),
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
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    Ok(Json(json!({"screenings": screenings.iter().map(screening_json).collect::<Vec<_>>()})))
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
