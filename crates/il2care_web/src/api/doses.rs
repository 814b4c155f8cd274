//! Dose administration: `POST /api/v1/patients/{id}/doses` records a dose given or held for one slot, against
//! the decision it follows. What may be recorded is decided once, by `il2care_core::course::may_record_dose`
//! (ASSESSMENT §10.6): `give` by a nurse or physician citing the latest decision for the slot with nothing
//! recorded since; `hold`/`insufficient_data` only by a physician with a reason code and free text;
//! `discontinue_*` only by a physician, `discontinue_permanently` also co-signed by a second physician (their
//! session token in `cosigner_token`); `not_permitted` never. One `given` per slot is also held by a unique
//! index (409 naming the slot), and the form's `idempotency_key` answers a resubmission with the first result.
//! The first dose given sets the lasting flag `received_interleukin_2`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_core::course::{
    DoseRecordRequest, DoseSlot, DoseStatus, ReasonCode, RecordRefusal, Recorder, RecorderRole, RefusalKind,
    may_record_dose,
};
use il2care_store::StoreError;
use il2care_store::accounts;
use il2care_store::record::{self, DoseEvent, DoseRecord};
use il2care_wire::json::{parse_object, refuse_unknown_fields, required, string, timestamp};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::api::courses::course_events;
use crate::api::patients::authorize_write;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

const FIELDS: [&str; 10] = [
    "course_id",
    "status",
    "at",
    "slot",
    "assessment_id",
    "reason_code",
    "override_reason",
    "cosigner_token",
    "corrects_id",
    "idempotency_key",
];

/// What the request asks to record.
struct DoseRequest {
    course_id: i64,
    status: DoseStatus,
    at: jiff::Timestamp,
    slot: DoseSlot,
    assessment_id: Option<i64>,
    reason_code: Option<ReasonCode>,
    override_reason: Option<String>,
    cosigner_token: Option<String>,
    corrects_id: Option<i64>,
    idempotency_key: Option<String>,
}

fn id(value: Option<&Value>, field: &str) -> Result<Option<i64>, Refusal> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            value.as_i64().filter(|id| *id > 0).map(Some).ok_or_else(|| Refusal::new(field, "must be a record id"))
        }
    }
}

fn optional_text(object: &serde_json::Map<String, Value>, field: &str, max: usize) -> Result<Option<String>, Refusal> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            let text = string(value, field)?.trim().to_string();
            if text.is_empty() || text.chars().count() > max {
                return Err(Refusal::new(field, format!("must be 1 to {max} characters")));
            }
            Ok(Some(text))
        }
    }
}

fn dose_request(text: &str) -> Result<DoseRequest, Refusal> {
    let object = parse_object(text)?;
    refuse_unknown_fields(&object, &FIELDS, "")?;
    let course_id = id(Some(required(&object, "course_id", "")?), "course_id")?
        .ok_or_else(|| Refusal::new("course_id", "is required"))?;
    let status = match string(required(&object, "status", "")?, "status")? {
        "given" => DoseStatus::Given,
        "held" => DoseStatus::Held,
        other => return Err(Refusal::new("status", format!("`{other}` is not given or held"))),
    };
    let at = timestamp(required(&object, "at", "")?, "at")?;
    if at > jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5) {
        return Err(Refusal::new("at", "is in the future; record a dose when it happens"));
    }
    let slot = required(&object, "slot", "")
        .map_err(|_| Refusal::new("slot", "is required: the dose slot this records (1-15 cycle 1, 16-30 cycle 2)"))?
        .as_u64()
        .and_then(|slot| u32::try_from(slot).ok())
        .and_then(DoseSlot::from_number)
        .ok_or_else(|| Refusal::new("slot", "must be a dose slot of the course: 1-15 (cycle 1) or 16-30 (cycle 2)"))?;
    let reason_code = match object.get("reason_code") {
        None | Some(Value::Null) => None,
        Some(value) => {
            let code = string(value, "reason_code")?;
            Some(ReasonCode::from_id(code).ok_or_else(|| {
                let ids: Vec<&str> = ReasonCode::ALL.iter().map(|code| code.id()).collect();
                Refusal::new("reason_code", format!("`{code}` is not one of {}", ids.join(", ")))
            })?)
        }
    };
    Ok(DoseRequest {
        course_id,
        status,
        at,
        slot,
        assessment_id: id(object.get("assessment_id"), "assessment_id")?,
        reason_code,
        override_reason: optional_text(&object, "override_reason", 2000)?,
        cosigner_token: optional_text(&object, "cosigner_token", 200)?,
        corrects_id: id(object.get("corrects_id"), "corrects_id")?,
        idempotency_key: optional_text(&object, "idempotency_key", 100)?,
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

fn recorder_role(role: Role) -> RecorderRole {
    match role {
        Role::Nurse => RecorderRole::Nurse,
        Role::Physician => RecorderRole::Physician,
        _ => RecorderRole::Other,
    }
}

fn record_refusal(refusal: RecordRefusal) -> AppError {
    let reason = format!("{} [{}]", refusal.reason, refusal.rule.id());
    match refusal.kind {
        RefusalKind::Refused => AppError::Refused(Refusal::new(refusal.field, reason)),
        RefusalKind::Forbidden => AppError::Forbidden(reason),
        RefusalKind::Conflict => AppError::Conflict(format!("{}: {reason}", refusal.field)),
    }
}

fn dose_json(stored: &DoseRecord, duplicate: bool) -> Value {
    let event = &stored.event;
    let mut value = json!({"id": event.id, "course_id": event.course_id, "status": event.status,
        "at": crate::rfc3339(event.at_ms), "slot": stored.slot_number, "assessment_id": event.assessment_id,
        "reason_code": stored.reason_code, "override_reason": event.override_reason,
        "override": event.status == "given" && event.override_reason.is_some(), "cosigned_by": stored.cosigned_by,
        "corrects_id": event.corrects_id, "recorded_by": event.recorded_by, "idempotency_key": stored.idempotency_key});
    if duplicate {
        value["duplicate_of_earlier_submission"] = json!(true);
    }
    value
}

/// Records a dose given or held (the text of the POST body): shared by the API and the pages.
pub async fn record_dose_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    let resource = format!("patient/{patient_id}/doses");
    authorize_write(state, actor, &[Role::Nurse, Role::Physician], Some(patient_id), &resource).await?;
    let request = dose_request(text)?;
    let mut tx = state.store.begin().await?;
    // A resubmitted form (Back + resubmit) is answered with what the first submission stored.
    if let Some(key) = &request.idempotency_key
        && let Some(existing) = record::dose_record_by_key(&mut tx, patient_id, key).await?
    {
        by_actor(
            &mut tx,
            actor,
            "write",
            &format!("course/{}/dose/{}", existing.event.course_id, existing.event.id),
            Some(patient_id),
            "ok",
        )
        .await?;
        tx.commit().await?;
        return Ok((StatusCode::OK, dose_json(&existing, true)));
    }
    let course = record::courses(&mut tx, patient_id)
        .await?
        .into_iter()
        .find(|course| course.id == request.course_id)
        .ok_or_else(|| AppError::Refused(Refusal::new("course_id", "is not a course of this patient")))?;
    let cosigner = match &request.cosigner_token {
        None => None,
        Some(token) => {
            let user = accounts::session_user(&mut tx, &crate::auth::token_digest(token), crate::now_ms())
                .await?
                .ok_or_else(|| AppError::Refused(Refusal::new("cosigner_token", "is not a signed-in session")))?;
            let role = Role::parse(&user.role).map_or(RecorderRole::Other, recorder_role);
            Some(Recorder { role, account: user.username })
        }
    };
    let events = course_events(&mut tx, &course).await?;
    let last_change =
        record::last_change_ms(&mut tx, patient_id).await?.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok());
    let core_request = DoseRecordRequest {
        status: request.status,
        slot: request.slot,
        at: request.at,
        decision_id: request.assessment_id,
        reason_code: request.reason_code,
        reason_text: request.override_reason.clone(),
        recorder: Recorder { role: recorder_role(actor.role), account: actor.user.username.clone() },
        cosigner: cosigner.clone(),
        corrects_id: request.corrects_id,
    };
    let permit = match may_record_dose(&core_request, &events, last_change) {
        Ok(permit) => permit,
        Err(refusal) => {
            let error = record_refusal(refusal);
            if matches!(error, AppError::Forbidden(_)) {
                drop(tx);
                let mut conn = state.store.connection().await?;
                by_actor(&mut conn, actor, "denied", &resource, Some(patient_id), "denied").await?;
            }
            return Err(error);
        }
    };
    let given = request.status == DoseStatus::Given;
    if given
        && request.corrects_id.is_none()
        && il2care_core::course::course_state(&events, request.at).doses_given_course == 0
    {
        first_dose_gate(&mut tx, course.id, request.at).await?;
    }
    let stored = DoseRecord {
        event: DoseEvent {
            id: 0,
            patient_id,
            course_id: course.id,
            assessment_id: request.assessment_id,
            status: if given { "given" } else { "held" }.to_string(),
            at_ms: request.at.as_millisecond(),
            // Only an override carries its text here, so "override" is read from the record alone.
            override_reason: if given && !permit.overrides { None } else { request.override_reason.clone() },
            corrects_id: request.corrects_id,
            recorded_by: actor.user.username.clone(),
        },
        slot_number: Some(i64::from(request.slot.number())),
        idempotency_key: request.idempotency_key.clone(),
        reason_code: request.reason_code.map(|code| code.id().to_string()),
        cosigned_by: cosigner.filter(|_| permit.overrides).map(|cosigner| cosigner.account),
        recorded_at_ms: crate::now_ms(),
    };
    let mut stored = stored;
    stored.event.id = match record::add_dose_record(&mut tx, &stored).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            // A concurrent twin committed first: the same form answers its first result; another is a conflict.
            drop(tx);
            let mut conn = state.store.connection().await?;
            if let Some(key) = &request.idempotency_key
                && let Some(existing) = record::dose_record_by_key(&mut conn, patient_id, key).await?
            {
                return Ok((StatusCode::OK, dose_json(&existing, true)));
            }
            return Err(AppError::Conflict(format!(
                "slot: slot {} (cycle {} slot {}) already has a dose given",
                request.slot.number(),
                request.slot.cycle,
                request.slot.slot
            )));
        }
        Err(error) => return Err(error.into()),
    };
    if given {
        mark_interleukin_2_given(&mut tx, patient_id, stored.event.at_ms, &actor.user.username).await?;
    }
    by_actor(
        &mut tx,
        actor,
        "write",
        &format!("course/{}/dose/{}", course.id, stored.event.id),
        Some(patient_id),
        "ok",
    )
    .await?;
    tx.commit().await?;
    let mut answer = dose_json(&stored, false);
    answer["decision"] = json!(permit.decision.map(|decision| decision.id()));
    Ok((StatusCode::CREATED, answer))
}

/// The screening gate of the course's first dose (SCREENING §1 amendment): the course's latest screening,
/// within every item's validity window, with every `needs-review` item acknowledged and every `fail`
/// overridden by a physician, or the dose is refused naming what is missing. Decided by the core.
pub async fn first_dose_gate(
    conn: &mut il2care_store::Conn,
    course_id: i64,
    at: jiff::Timestamp,
) -> Result<(), AppError> {
    let (view, decisions) = il2care_app::screening_gate::gate_inputs(conn, course_id).await?;
    let gate = il2care_core::screening::gate::first_dose_gate(view.as_ref(), &decisions, at);
    if gate.open {
        return Ok(());
    }
    let blockers: Vec<String> = gate.blockers.iter().map(|blocker| blocker.reason.clone()).collect();
    Err(AppError::Refused(Refusal::new(
        "course_id",
        format!(
            "a screening review is needed: the first dose of this course is not permitted until its screening is complete: {}",
            blockers.join("; ")
        ),
    )))
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
