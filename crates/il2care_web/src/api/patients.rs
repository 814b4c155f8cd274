//! Patients: `GET/POST /api/v1/patients`, `GET /api/v1/patients/{id}`.
//!
//! HTTP only: the use cases (access, validation, storing, audit) are `il2care_app::patients`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_app::patients::{self, Admitted, Patient};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::auth::Actor;
use crate::body::{Body, json_text};
use crate::error::AppError;

/// The patient as JSON.
pub fn patient_json(patient: &Patient, flags: &[String]) -> Value {
    json!({"id": patient.id, "mrn": patient.mrn, "name": patient.display_name, "date_of_birth": patient.date_of_birth,
           "sex": patient.sex, "time_zone": patient.time_zone, "flags": flags})
}

/// `GET /api/v1/patients`: staff see every patient; a patient sees only themself.
pub async fn list(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, AppError> {
    let patients = patients::list(&state.store, actor.app(), crate::now()).await?;
    let list: Vec<Value> = patients.iter().map(|patient| patient_json(patient, &[])).collect();
    Ok(Json(json!({"patients": list})))
}

/// `POST /api/v1/patients` (nurse, physician).
pub async fn create(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let admitted = create_document(&state, &actor, &json_text(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(patient_json(&admitted.patient, &[]))))
}

/// Admits a patient from a new-patient document (the text of the POST body, or the admission page's form as
/// JSON): shared by the API and the pages.
pub async fn create_document(state: &AppState, actor: &Actor, text: &str) -> Result<Admitted, AppError> {
    Ok(patients::admit(&state.store, actor.app(), text, &state.mrn_system, crate::now()).await?)
}

/// `GET /api/v1/patients/{id}`.
pub async fn read(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let read = patients::read(&state.store, actor.app(), patient_id, crate::now()).await?;
    Ok(Json(patient_json(&read.patient, &read.flags)))
}
