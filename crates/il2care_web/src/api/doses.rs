//! Dose administration: `POST /api/v1/patients/{id}/doses` records a dose given or held for one slot, against
//! the decision it follows (ASSESSMENT §10.6; the rules are `il2care_core::course::may_record_dose`).
//!
//! HTTP only: the use case (access, the core's rule, the screening gate, storing, audit) is
//! `il2care_app::doses::record`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_app::courses::{DoseView, dose_status_id};
use il2care_app::doses;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::auth::Actor;
use crate::body::{Body, json_text};
use crate::error::AppError;

pub use il2care_app::doses::mark_interleukin_2_given;

/// `POST /api/v1/patients/{id}/doses` (nurse, physician).
pub async fn record_dose(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (status, value) = record_dose_document(&state, &actor, patient_id, &json_text(&headers, &body)?).await?;
    Ok((status, Json(value)))
}

/// A dose record as the API answers it (with `idempotency_key`; the course list leaves it out).
pub fn dose_json(dose: &DoseView) -> Value {
    json!({"id": dose.id, "course_id": dose.course_id, "status": dose_status_id(dose.status),
        "at": crate::rfc3339(dose.at_ms), "slot": dose.slot, "assessment_id": dose.assessment_id,
        "reason_code": dose.reason_code, "override_reason": dose.override_reason, "override": dose.overrides,
        "cosigned_by": dose.cosigned_by, "corrects_id": dose.corrects_id, "recorded_by": dose.recorded_by,
        "idempotency_key": dose.idempotency_key})
}

/// Records a dose given or held (the text of the POST body): shared by the API and the pages.
pub async fn record_dose_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    let recorded = doses::record(&state.store, actor.app(), patient_id, text, crate::now()).await?;
    let mut answer = dose_json(&recorded.dose);
    if recorded.duplicate {
        answer["duplicate_of_earlier_submission"] = json!(true);
        return Ok((StatusCode::OK, answer));
    }
    answer["decision"] = json!(recorded.decision.map(|decision| decision.id()));
    Ok((StatusCode::CREATED, answer))
}
