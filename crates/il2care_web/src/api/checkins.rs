//! Check-ins: `POST /api/v1/patients/{id}/checkins` triages and stores a check-in (idempotent with a
//! client-supplied `client_id`), `GET` lists them, and a nurse's call back is a new row
//! (`POST /api/v1/checkins/{id}/callbacks`; `.../acknowledgements` is its deprecated old name).
//!
//! HTTP only: the use cases (access, validation, triage, storing, audit) are `il2care_app::checkins`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_app::checkins;
use il2care_core::Refusal;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::auth::Actor;
use crate::body::{Body, json_text};
use crate::error::AppError;

/// Splits the optional `client_id` (the idempotency key) off a submitted document.
pub fn take_client_id(object: &mut serde_json::Map<String, Value>) -> Result<Option<String>, Refusal> {
    checkins::take_client_id(object)
}

/// `POST /api/v1/patients/{id}/checkins`: 201 with the triage result, or 200 with the stored one when the
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

/// Triages and stores a check-in document (the text of the POST body): shared by the API and the pages.
pub async fn submit_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    let submitted = checkins::submit(&state.store, actor.app(), patient_id, text, crate::now()).await?;
    Ok(if submitted.duplicate {
        (
            StatusCode::OK,
            json!({"id": submitted.id, "result": submitted.result, "duplicate_of_earlier_submission": true}),
        )
    } else {
        (StatusCode::CREATED, json!({"id": submitted.id, "result": submitted.result}))
    })
}

/// `GET /api/v1/patients/{id}/checkins`, newest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let stored = checkins::list(&state.store, actor.app(), patient_id, crate::now()).await?;
    let list: Vec<Value> = stored
        .into_iter()
        .map(|checkin| {
            json!({"id": checkin.id, "patient_id": checkin.patient_id, "client_id": checkin.client_id,
                   "at": crate::rfc3339(checkin.at_ms), "level": checkin.level, "acknowledged": checkin.called_back,
                   "checkin": checkin.document, "result": checkin.result})
        })
        .collect();
    Ok(Json(json!({"checkins": list})))
}

/// `POST /api/v1/checkins/{id}/callbacks` (and the deprecated `.../acknowledgements`) with `{"note"}` (nurse,
/// physician): the call back.
pub async fn call_back(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(checkin_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (status, value) = call_back_document(&state, &actor, checkin_id, &json_text(&headers, &body)?).await?;
    Ok((status, Json(value)))
}

/// Records a call back (`{"note"}`, the text of the POST body): shared by the API and the pages.
pub async fn call_back_document(
    state: &AppState,
    actor: &Actor,
    checkin_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    let done = checkins::call_back(&state.store, actor.app(), checkin_id, text, crate::now()).await?;
    Ok((
        StatusCode::CREATED,
        json!({"id": done.id, "checkin_id": done.checkin_id, "clears_next_shot": done.clears_next_shot}),
    ))
}

/// `POST /api/v1/checkins/{id}/clearances` with `{"note"}` (nurse, physician): the call-back after a check-in
/// at call_now or emergency cleared the patient's next shot (TRIAGE amendment item 3). Audited; until it is
/// recorded the injection log refuses the next shot.
pub async fn clear(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(checkin_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let text = json_text(&headers, &body)?;
    let done = checkins::clear(&state.store, actor.app(), checkin_id, &text, crate::now()).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": done.id, "checkin_id": done.checkin_id}))))
}
