//! The pharmacist's desk through the API (issue 16): a prepared dose verified and signed off
//! (`POST /api/v1/patients/{id}/courses/{course_id}/verifications`, pharmacist: the lot and its expiry, when it
//! was prepared; the dose is the core's calculation from the course, never typed), the verifications listed
//! (`GET`, the care team), and a course's missing dosing weight or height entered
//! (`POST .../measurements`, pharmacist or physician; unit required, dosing limits refused naming the field).
//! Each is audited, allowed or refused. The pages call the same functions.
//!
//! HTTP only: the use cases (access, validation, storing, audit) are `il2care_app::pharmacy`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use il2care_app::pharmacy::{self, DoseVerification, DosingMeasurement};
use il2care_core::Refusal;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Actor;
use crate::body::{Body, json_text};
use crate::error::AppError;

fn ids(patient_text: &str, course_text: &str) -> Result<(i64, i64), AppError> {
    let id = |text: &str, field: &str| {
        text.parse::<i64>().map_err(|_| {
            AppError::Refused(Refusal::new(field, format!("`{text}` is not a record id (a whole number)")))
        })
    };
    Ok((id(patient_text, "patient_id")?, id(course_text, "course_id")?))
}

/// A verification as JSON.
pub fn verification_json(verification: &DoseVerification) -> Value {
    json!({"id": verification.id, "patient_id": verification.patient_id, "course_id": verification.course_id,
           "slot": verification.slot_number,
           "dose": {"value": il2care_wire::json::number(verification.dose_iu.parse().unwrap_or_default()), "unit": "[iU]"},
           "volume": {"value": il2care_wire::json::number(verification.volume_ml.parse().unwrap_or_default()), "unit": "mL"},
           "bag": verification.bag_ml.as_ref().map(|bag| json!({"value": il2care_wire::json::number(bag.parse().unwrap_or_default()), "unit": "mL"})),
           "final_concentration": verification.final_concentration.as_ref()
               .map(|value| json!({"value": il2care_wire::json::number(value.parse().unwrap_or_default()), "unit": "ug/mL"})),
           "lot": verification.lot, "lot_expires_on": verification.lot_expires_on,
           "prepared_at": crate::rfc3339(verification.prepared_at_ms),
           "expires_at": crate::rfc3339(verification.expires_at_ms),
           "verified_at": crate::rfc3339(verification.verified_at_ms), "verified_by": verification.verified_by})
}

/// Verifies and signs off a prepared dose (the text of the POST body).
pub async fn verify_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    course_id: i64,
    text: &str,
) -> Result<DoseVerification, AppError> {
    Ok(pharmacy::verify(&state.store, actor.app(), patient_id, course_id, text, crate::now()).await?)
}

/// `POST /api/v1/patients/{patient_id}/courses/{course_id}/verifications` (pharmacist): 201 with the
/// verification.
pub async fn verify(
    State(state): State<AppState>,
    actor: Actor,
    Path((patient_text, course_text)): Path<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (patient_id, course_id) = ids(&patient_text, &course_text)?;
    let stored = verify_document(&state, &actor, patient_id, course_id, &json_text(&headers, &body)?).await?;
    Ok((StatusCode::CREATED, Json(verification_json(&stored))))
}

/// `GET /api/v1/patients/{patient_id}/courses/{course_id}/verifications` (the care team): the latest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Path((patient_text, course_text)): Path<(String, String)>,
) -> Result<Json<Value>, AppError> {
    let (patient_id, course_id) = ids(&patient_text, &course_text)?;
    let listed = pharmacy::verifications(&state.store, actor.app(), patient_id, course_id, crate::now()).await?;
    Ok(Json(json!({"verifications": listed.iter().map(verification_json).collect::<Vec<_>>()})))
}

/// Enters a course's dosing weight or height (the text of the POST body).
pub async fn measurement_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    course_id: i64,
    text: &str,
) -> Result<DosingMeasurement, AppError> {
    Ok(pharmacy::record_measurement(&state.store, actor.app(), patient_id, course_id, text, crate::now()).await?)
}

/// `POST /api/v1/patients/{patient_id}/courses/{course_id}/measurements` (pharmacist, physician): 201.
pub async fn measure(
    State(state): State<AppState>,
    actor: Actor,
    Path((patient_text, course_text)): Path<(String, String)>,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (patient_id, course_id) = ids(&patient_text, &course_text)?;
    let stored = measurement_document(&state, &actor, patient_id, course_id, &json_text(&headers, &body)?).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": stored.id, "course_id": stored.course_id, "code": stored.code,
                    "value": {"value": il2care_wire::json::number(stored.value.parse().unwrap_or_default()), "unit": stored.unit},
                    "entered": stored.entered, "recorded_by": stored.recorded_by,
                    "recorded_at": crate::rfc3339(stored.recorded_at_ms)})),
    ))
}
