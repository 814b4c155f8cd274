//! The stateless evaluations of INTERFACES.md: `POST /api/v1/triage` and `POST /api/v1/assess`.
//! The same documents and results as the command line; nothing is stored and no record is touched, so
//! these need no sign-in (an EHR or a kiosk can call them).

use axum::Json;
use axum::http::HeaderMap;
use il2care_core::assessment::assess as evaluate_assessment;
use il2care_core::triage::{TriageResult, triage as evaluate_triage};
use il2care_wire::assessment::{parse_assessment, result_json as assessment_json};
use il2care_wire::checkin::{parse_checkin, questionnaire_json};
use serde_json::Value;

use crate::body::{Body, json_text};
use crate::error::AppError;

/// The triage result JSON with the action-first `message` and the `disclaimer`, as the CLI prints it.
/// (Moved to `il2care_app::checkins::result_document`.)
pub fn triage_json(result: &TriageResult) -> Value {
    il2care_app::checkins::result_document(result)
}

/// `POST /api/v1/triage`.
pub async fn triage(headers: HeaderMap, Body(body): Body) -> Result<Json<Value>, AppError> {
    let checkin = parse_checkin(&json_text(&headers, &body)?)?;
    Ok(Json(triage_json(&evaluate_triage(&checkin))))
}

/// `GET /api/v1/questionnaire`: the check-in items in the order a patient answers them.
pub async fn questionnaire() -> Json<Value> {
    Json(questionnaire_json())
}

/// `POST /api/v1/assess`: the per-dose decision for an assessment document.
pub async fn assess(headers: HeaderMap, Body(body): Body) -> Result<Json<Value>, AppError> {
    let document = parse_assessment(&json_text(&headers, &body)?)?;
    Ok(Json(assessment_json(&evaluate_assessment(&document.assessment, &document.parameters))))
}
