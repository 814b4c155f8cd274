//! Pre-treatment screenings: `POST /api/v1/patients/{id}/screenings` (physician, pharmacist) evaluates a
//! screening document (docs/screening.md) and stores it with its result; `GET` lists them, the latest first
//! (the care team); `POST .../screenings/{screening_id}/decisions` (physician) acknowledges or overrides an item.
//!
//! HTTP only: the use cases (access, validation, screening, the first-dose gate, storing, audit) are
//! `il2care_app::screenings`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use il2care_app::screenings::{self, CourseGate, RecordedDecision, StoredScreening};
use il2care_core::Refusal;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::auth::Actor;
use crate::body::{Body, json_text};
use crate::error::AppError;

/// The gate for a first dose at the gate's time (SCREENING §1 amendment); `null` when there is none.
fn gate_json(gate: Option<&CourseGate>) -> Value {
    let Some(gate) = gate else { return Value::Null };
    let blockers: Vec<Value> = gate
        .gate
        .blockers
        .iter()
        .map(|blocker| json!({"item": blocker.item.map(|item| item.number()), "reason": blocker.reason}))
        .collect();
    json!({"course_id": gate.course_id, "first_dose_may_be_given": gate.gate.open, "at": gate.at.to_string(),
           "blockers": blockers})
}

fn decision_json(decision: &RecordedDecision) -> Value {
    json!({"id": decision.id, "item": decision.item, "kind": decision.kind_id, "reason": decision.reason,
           "at": crate::rfc3339(decision.decided_at_ms), "by": decision.decided_by})
}

/// A stored screening as JSON.
pub fn screening_json(screening: &StoredScreening) -> Value {
    json!({"id": screening.id, "patient_id": screening.patient_id, "client_id": screening.client_id,
           "at": crate::rfc3339(screening.at_ms), "regimen": screening.regimen, "status": screening.status_id,
           "recorded_at": crate::rfc3339(screening.recorded_at_ms), "recorded_by": screening.recorded_by,
           "document": screening.document, "result": screening.result})
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
    let submitted = screenings::submit(&state.store, actor.app(), patient_id, text, crate::now()).await?;
    Ok(if submitted.duplicate {
        (
            StatusCode::OK,
            json!({"id": submitted.id, "result": submitted.result, "duplicate_of_earlier_submission": true}),
        )
    } else {
        let gate = gate_json(submitted.gate.as_ref());
        (
            StatusCode::CREATED,
            json!({"id": submitted.id, "course_id": submitted.course_id, "result": submitted.result, "gate": gate}),
        )
    })
}

/// `GET /api/v1/patients/{id}/screenings` (nurse, physician, pharmacist): every screening, the latest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let listed = screenings::list(&state.store, actor.app(), patient_id, crate::now()).await?;
    let listed: Vec<Value> = listed
        .iter()
        .map(|listed| {
            let mut value = screening_json(&listed.screening);
            value["course_id"] = json!(listed.course_id);
            value["decisions"] = Value::Array(listed.decisions.iter().map(decision_json).collect());
            value["gate"] = gate_json(listed.gate.as_ref());
            value
        })
        .collect();
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
    let decided = screenings::decide(&state.store, actor.app(), patient_id, screening_id, text, crate::now()).await?;
    Ok(json!({"decision": decision_json(&decided.decision), "gate": gate_json(decided.gate.as_ref())}))
}
