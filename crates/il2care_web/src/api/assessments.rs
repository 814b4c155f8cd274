//! Stored per-dose decisions: `POST /api/v1/patients/{id}/decisions` evaluates the course's next dose from the
//! record and stores the decision with the rule-set version that produced it; `GET` lists them. The old path
//! `/api/v1/patients/{id}/assessments` is deprecated and answered by the same handlers for one release.
//!
//! HTTP only: the use cases (access, reading the record, the core's rules, storing, audit) are
//! `il2care_app::assessments`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_app::assessments;
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::auth::Actor;
use crate::body::{Body, json_text};
use crate::error::AppError;

pub use il2care_app::assessments::{TACHYCARDIA_SETTING, default_rule_set, site_overrides};

/// `POST /api/v1/patients/{id}/decisions` (and the deprecated `.../assessments`) (nurse, physician).
pub async fn evaluate_and_record(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (status, value) =
        evaluate_and_record_document(&state, &actor, patient_id, &json_text(&headers, &body)?).await?;
    Ok((status, Json(value)))
}

/// Evaluates and records an assessment document (the text of the POST body): shared by the API and the pages.
pub async fn evaluate_and_record_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    let decided = assessments::decide(&state.store, actor.app(), patient_id, text, crate::now()).await?;
    Ok((StatusCode::CREATED, json!({"id": decided.id, "result": decided.result})))
}

/// `GET /api/v1/patients/{id}/decisions` (and the deprecated `.../assessments`), newest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let stored = assessments::list(&state.store, actor.app(), patient_id, crate::now()).await?;
    let list: Vec<Value> = stored
        .into_iter()
        .map(|decision| {
            json!({"id": decision.id, "course_id": decision.course_id, "at": crate::rfc3339(decision.at_ms),
                   "decision": decision.decision.id(), "rule_set": decision.rule_set.id(),
                   "rule_set_version": decision.rule_set_version, "result": decision.result})
        })
        .collect();
    Ok(Json(json!({"assessments": list})))
}
