//! Dose administration: `POST /api/v1/patients/{id}/doses` records a dose given or held, against the
//! decision it follows. Giving a dose against a decision that is not `give` needs an override reason, which
//! is stored with its author. The first dose given sets the lasting flag `received_interleukin_2`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_store::record::{self, DoseEvent};
use il2care_wire::json::{parse_object, refuse_unknown_fields, required, string, timestamp};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

const FIELDS: [&str; 6] = ["course_id", "status", "at", "assessment_id", "override_reason", "corrects_id"];

/// What the request asks to record.
struct DoseRequest {
    course_id: i64,
    status: &'static str,
    at_ms: i64,
    assessment_id: Option<i64>,
    override_reason: Option<String>,
    corrects_id: Option<i64>,
}

fn id(value: Option<&Value>, field: &str) -> Result<Option<i64>, Refusal> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            value.as_i64().filter(|id| *id > 0).map(Some).ok_or_else(|| Refusal::new(field, "must be a record id"))
        }
    }
}

fn dose_request(text: &str) -> Result<DoseRequest, Refusal> {
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &FIELDS, "")?;
    let course_id = id(Some(required(&object, "course_id", "")?), "course_id")?
        .ok_or_else(|| Refusal::new("course_id", "is required"))?;
    let status = match string(required(&object, "status", "")?, "status")? {
        "given" => "given",
        "held" => "held",
        other => return Err(Refusal::new("status", format!("`{other}` is not given or held"))),
    };
    let at = timestamp(required(&object, "at", "")?, "at")?;
    if at > jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5) {
        return Err(Refusal::new("at", "is in the future; record a dose when it happens"));
    }
    let override_reason = match object.get("override_reason") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let reason = string(value, "override_reason")?.trim().to_string();
            if reason.is_empty() || reason.len() > 2000 {
                return Err(Refusal::new("override_reason", "must be 1 to 2000 characters"));
            }
            Some(reason)
        }
    };
    Ok(DoseRequest {
        course_id,
        status,
        at_ms: at.as_millisecond(),
        assessment_id: id(object.get("assessment_id"), "assessment_id")?,
        override_reason,
        corrects_id: id(object.get("corrects_id"), "corrects_id")?,
    })
}

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

/// Records a dose given or held (the text of the POST body): shared by the API and the pages.
pub async fn record_dose_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    actor.require(&[Role::Nurse, Role::Physician])?;
    let request = dose_request(text)?;
    let mut tx = state.store.begin().await?;
    let course = record::courses(&mut tx, patient_id)
        .await?
        .into_iter()
        .find(|course| course.id == request.course_id)
        .ok_or_else(|| AppError::Refused(Refusal::new("course_id", "is not a course of this patient")))?;
    let decision = match request.assessment_id {
        Some(assessment_id) => Some(
            record::assessments(&mut tx, patient_id)
                .await?
                .into_iter()
                .find(|assessment| assessment.id == assessment_id && assessment.course_id == Some(course.id))
                .ok_or_else(|| AppError::Refused(Refusal::new("assessment_id", "is not a decision of this course")))?
                .decision,
        ),
        None => None,
    };
    // Safety: a dose given without a `give` decision (or with none at all) is an override and needs a reason.
    if request.status == "given" && decision.as_deref() != Some("give") && request.override_reason.is_none() {
        let why = match &decision {
            Some(decision) => format!("is required: the decision was {decision}"),
            None => "is required: no decision (assessment_id) was given for this dose".to_string(),
        };
        return Err(Refusal::new("override_reason", why).into());
    }
    let event = DoseEvent {
        id: 0,
        patient_id,
        course_id: course.id,
        assessment_id: request.assessment_id,
        status: request.status.to_string(),
        at_ms: request.at_ms,
        override_reason: request.override_reason.clone(),
        corrects_id: request.corrects_id,
        recorded_by: actor.user.username.clone(),
    };
    let now = crate::now_ms();
    let id = record::add_dose_event(&mut tx, &event, now).await?;
    if request.status == "given" {
        mark_interleukin_2_given(&mut tx, patient_id, request.at_ms, &actor.user.username).await?;
    }
    by_actor(&mut tx, actor, "write", &format!("course/{}/dose/{id}", course.id), Some(patient_id), "ok").await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        json!({"id": id, "status": request.status, "decision": decision, "override_reason": request.override_reason}),
    ))
}

/// Sets the lasting flag `received_interleukin_2` at the first dose of interleukin-2 given, by any route (a
/// high-dose infusion or a logged low-dose shot): SCREENING.md §3. It is never removed.
pub async fn mark_interleukin_2_given(
    conn: &mut il2care_store::Conn,
    patient_id: i64,
    at_ms: i64,
    by: &str,
) -> Result<(), AppError> {
    if !record::flags(conn, patient_id).await?.iter().any(|flag| flag == "received_interleukin_2") {
        let detail = format!("first dose given {}", crate::rfc3339(at_ms));
        record::add_flag(conn, patient_id, "received_interleukin_2", &detail, at_ms, by).await?;
    }
    Ok(())
}
