//! Observations: `POST /api/v1/patients/{id}/observations` stores one observation or a batch
//! (`{"observations": [...]}`), each validated exactly as in an assessment document and refused as a
//! whole batch if any is wrong; a `client_id` per observation makes retries harmless. `GET` lists them.
//!
//! HTTP only: the use cases (access, validation, storing, audit) are `il2care_app::observations`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_app::observations;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::auth::Actor;
use crate::body::{Body, json_text};
use crate::error::AppError;

/// Most observations in one batch.
pub const MAX_BATCH: usize = observations::MAX_BATCH;

/// `POST /api/v1/patients/{id}/observations` (nurse, physician).
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

/// Validates and stores one observation or a batch (the text of the POST body): shared by the API and the pages.
pub async fn submit_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    let recorded = observations::record(&state.store, actor.app(), patient_id, text, crate::now()).await?;
    let status = if recorded.created > 0 { StatusCode::CREATED } else { StatusCode::OK };
    let already_present = recorded.ids.len() - recorded.created;
    Ok((status, json!({"ids": recorded.ids, "created": recorded.created, "already_present": already_present})))
}

/// `GET /api/v1/patients/{id}/observations`: everything recorded, oldest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let list = observations::list(&state.store, actor.app(), patient_id, crate::now()).await?;
    Ok(Json(json!({"observations": list})))
}
