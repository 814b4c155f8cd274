//! The injection log of low-dose subcutaneous courses: `POST /api/v1/patients/{id}/injections` records a shot
//! given, or a planned shot skipped with its reason (the patient for their own record, a nurse or a physician);
//! `GET` lists the log (the care team and the patient). Idempotent with a client-supplied `client_id`.
//!
//! HTTP only: the use cases (access, validation, one shot per slot, the first shot's screening gate, storing,
//! audit) are `il2care_app::injections`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_app::injections::{self, LogEntry};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::auth::Actor;
use crate::body::{Body, json_text};
use crate::error::AppError;

/// A log entry as JSON; `stands` is false once a later entry corrects it.
pub fn injection_json(entry: &LogEntry) -> Value {
    json!({"id": entry.id, "course_id": entry.course_id, "client_id": entry.client_id, "status": entry.status.id(),
           "slot": entry.slot, "dose_level": entry.dose_level, "at": crate::rfc3339(entry.at_ms),
           "site": entry.site, "skip_reason": entry.skip_reason, "note": entry.note,
           "corrects_id": entry.corrects_id, "recorded_by": entry.recorded_by, "stands": entry.stands})
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
    let logged =
        injections::log(&state.store, actor.app(), patient_id, text, &state.site.numbers, crate::now()).await?;
    let entry = injection_json(&logged.entry);
    Ok(if logged.duplicate {
        (StatusCode::OK, json!({"id": logged.entry.id, "entry": entry, "duplicate_of_earlier_submission": true}))
    } else {
        (StatusCode::CREATED, json!({"id": logged.entry.id, "entry": entry}))
    })
}

/// `GET /api/v1/patients/{id}/injections`: the whole log, oldest first, corrected entries marked.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let entries = injections::list(&state.store, actor.app(), patient_id, crate::now()).await?;
    let list: Vec<Value> = entries.iter().map(injection_json).collect();
    Ok(Json(json!({"injections": list})))
}
