//! Check-ins: `POST /api/v1/patients/{id}/checkins` triages and stores a check-in (idempotent with a
//! client-supplied `client_id`), `GET` lists them, and a nurse's call-back is a new acknowledgement row.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_core::triage::triage;
use il2care_store::group_commit::AuditOf;
use il2care_store::record::{self, CheckIn, Written};
use il2care_wire::checkin::checkin_from_object;
use il2care_wire::json::{parse_object, refuse_unknown_fields, required, string};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::api::patients::{authorize, authorize_write};
use crate::api::stateless::triage_json;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

/// Splits the optional `client_id` (the idempotency key) off a submitted document.
pub fn take_client_id(object: &mut serde_json::Map<String, Value>) -> Result<Option<String>, Refusal> {
    match object.remove("client_id") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let id = string(&value, "client_id")?;
            if id.is_empty() || id.len() > 100 {
                return Err(Refusal::new("client_id", "must be 1 to 100 characters"));
            }
            Ok(Some(id.to_string()))
        }
    }
}

/// The stored check-in as JSON.
fn checkin_json(checkin: &CheckIn) -> Value {
    let document: Value = serde_json::from_str(&checkin.document).unwrap_or(Value::Null);
    let result: Value = serde_json::from_str(&checkin.result).unwrap_or(Value::Null);
    json!({"id": checkin.id, "patient_id": checkin.patient_id, "client_id": checkin.client_id, "at": crate::rfc3339(checkin.at_ms),
           "level": checkin.level, "acknowledged": checkin.acknowledged, "checkin": document, "result": result})
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
    let resource = format!("patient/{patient_id}/checkins");
    // Authorization before validation: who may not write here learns nothing about the document.
    authorize_write(state, actor, &[Role::Patient, Role::Nurse, Role::Physician], Some(patient_id), &resource).await?;
    let mut object = parse_object(text)?;
    let client_id = take_client_id(&mut object)?;
    refuse_unknown_fields(&object, &il2care_wire::checkin::FIELDS, "")?;
    let parsed = checkin_from_object(&object)?;
    if parsed.at > jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5) {
        return Err(Refusal::new("at", "is in the future; a check-in tells how you feel now").into());
    }
    let result = triage(&parsed);
    let result_value = triage_json(&result);
    {
        let mut conn = state.store.connection().await?;
        record::patient(&mut conn, patient_id).await?;
    }
    let stored = CheckIn {
        id: 0,
        patient_id,
        client_id,
        at_ms: parsed.at.as_millisecond(),
        level: result.level.id().to_string(),
        level_rank: result.level as i64,
        document: Value::Object(object).to_string(),
        result: result_value.to_string(),
        acknowledged: false,
    };
    // The check-in and its audit entry commit together, batched with concurrent submissions (group commit);
    // the answer waits for the commit, so an acknowledged check-in is durable.
    let audit = AuditOf {
        at_ms: crate::now_ms(),
        actor: actor.user.username.clone(),
        actor_role: actor.role.as_str().to_string(),
        remote: actor.remote.clone(),
    };
    let written = state.store.add_checkin_durably(stored, audit).await?;
    match written {
        Written::Created(id) => Ok((StatusCode::CREATED, json!({"id": id, "result": result_value}))),
        Written::AlreadyPresent(id) => {
            let mut conn = state.store.connection().await?;
            let existing = record::checkin(&mut conn, id).await?;
            let result: Value = serde_json::from_str(&existing.result).unwrap_or(Value::Null);
            Ok((StatusCode::OK, json!({"id": id, "result": result, "duplicate_of_earlier_submission": true})))
        }
    }
}

/// `GET /api/v1/patients/{id}/checkins`, newest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}/checkins");
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    let checkins = record::checkins(&mut conn, patient_id).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    Ok(Json(json!({"checkins": checkins.iter().map(checkin_json).collect::<Vec<_>>()})))
}

/// `POST /api/v1/checkins/{id}/acknowledgements` with `{"note"}` (nurse, physician): the call back.
pub async fn acknowledge(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(checkin_id): RecordId,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let (status, value) = acknowledge_document(&state, &actor, checkin_id, &json_text(&headers, &body)?).await?;
    Ok((status, Json(value)))
}

/// Records a call back (`{"note"}`, the text of the POST body): shared by the API and the pages.
pub async fn acknowledge_document(
    state: &AppState,
    actor: &Actor,
    checkin_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    let resource = format!("checkin/{checkin_id}/acknowledgement");
    authorize_write(state, actor, &[Role::Nurse, Role::Physician], None, &resource).await?;
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &["note", "clears_next_shot"], "")?;
    let clears = match object.get("clears_next_shot") {
        None | Some(Value::Null) => false,
        Some(value) => il2care_wire::json::boolean(value, "clears_next_shot")?,
    };
    let note = object.get("note").map(|value| string(value, "note")).transpose()?.unwrap_or("").to_string();
    if note.len() > 2000 {
        return Err(Refusal::new("note", "must be at most 2000 characters").into());
    }
    let mut tx = state.store.begin().await?;
    let checkin = record::checkin(&mut tx, checkin_id).await?;
    let id = record::acknowledge_checkin(&mut tx, checkin_id, &note, crate::now_ms(), &actor.user.username).await?;
    by_actor(&mut tx, actor, "write", &format!("checkin/{checkin_id}/acknowledgement"), Some(checkin.patient_id), "ok")
        .await?;
    if clears {
        let cleared = record::clear_checkin(&mut tx, checkin_id, &note, crate::now_ms(), &actor.user.username).await?;
        by_actor(
            &mut tx,
            actor,
            "write",
            &format!("checkin/{checkin_id}/clearance/{cleared}"),
            Some(checkin.patient_id),
            "ok",
        )
        .await?;
    }
    tx.commit().await?;
    Ok((StatusCode::CREATED, json!({"id": id, "checkin_id": checkin_id, "clears_next_shot": clears})))
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
    let resource = format!("checkin/{checkin_id}/clearance");
    authorize_write(&state, &actor, &[Role::Nurse, Role::Physician], None, &resource).await?;
    let object = parse_object(&json_text(&headers, &body)?)?;
    refuse_unknown_fields(&object, &["note"], "")?;
    let note = string(required(&object, "note", "")?, "note")?.trim().to_string();
    if note.is_empty() || note.len() > 2000 {
        return Err(Refusal::new("note", "is required: what the call-back found, 1 to 2000 characters").into());
    }
    let mut tx = state.store.begin().await?;
    let checkin = record::checkin(&mut tx, checkin_id).await?;
    let id = record::clear_checkin(&mut tx, checkin_id, &note, crate::now_ms(), &actor.user.username).await?;
    by_actor(&mut tx, &actor, "write", &format!("checkin/{checkin_id}/clearance/{id}"), Some(checkin.patient_id), "ok")
        .await?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id, "checkin_id": checkin_id}))))
}
