//! The stateless evaluations of INTERFACES.md: `POST /api/v1/triage` and `POST /api/v1/assess`.
//! The same documents and results as the command line; nothing is stored and no record is touched, so
//! these need no sign-in (an EHR or a kiosk can call them).

use axum::Json;
use axum::http::HeaderMap;
use il2care_core::assessment::assess as evaluate_assessment;
use il2care_core::triage::{TriageResult, triage as evaluate_triage};
use il2care_wire::assessment::{parse_assessment, result_json as assessment_json};
use il2care_wire::checkin::{parse_checkin, questionnaire_json, result_json};
use serde_json::Value;

use crate::body::{Body, json_text};
use crate::error::AppError;

/// The triage result JSON with the action-first `message` and the `disclaimer`, as the CLI prints it.
pub fn triage_json(result: &TriageResult) -> Value {
    let mut value = result_json(result);
    if let Value::Object(object) = &mut value {
        // The chooser, never the level's message alone: an incomplete self-care check-in is not reassured
        // (TRIAGE.md amendment of 2026-12-04, 1). Site numbers are not known here; the defaults read well.
        let numbers = il2care_content::SiteNumbers::default();
        let message = il2care_content::result_message(result.level, &result.unanswered, &numbers).plain_text();
        object.insert("message".into(), Value::from(message.trim_end()));
        object.insert("disclaimer".into(), Value::from(il2care_content::disclaimer().plain_text().trim_end()));
    }
    value
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
