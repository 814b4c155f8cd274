//! Dose administration: [`record()`] stores a dose given or held for one slot, against the decision it follows.
//! What may be recorded is decided once, by `il2care_core::course::may_record_dose` (ASSESSMENT §10.6): `give`
//! by a nurse or physician citing the latest decision for the slot with nothing recorded since;
//! `hold`/`insufficient_data` only by a physician with a reason code and free text; `discontinue_*` only by a
//! physician, `discontinue_permanently` also co-signed by a second physician (their session token in
//! `cosigner_token`); `not_permitted` never. One `given` per slot is also held by a unique index (a conflict
//! naming the slot), and the form's `idempotency_key` answers a resubmission with the first result. The first
//! dose given passes the screening gate and sets the lasting flag `received_interleukin_2`.

use il2care_core::Refusal;
use il2care_core::assessment::Decision;
use il2care_core::course::{
    DoseRecordRequest, DoseSlot, DoseStatus, ReasonCode, RecordRefusal, Recorder, RecorderRole, RefusalKind,
    course_state, may_record_dose,
};
use il2care_store::accounts;
use il2care_store::record::{self, DoseEvent, DoseRecord};
use il2care_store::{Store, StoreError};
use il2care_wire::json::{parse_object, refuse_unknown_fields, required, string, timestamp};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::Error;
use crate::access::{self, Action, Actor, Role};
use crate::courses::{DoseView, course_events, course_of, dose_status_id};
pub use crate::screening_gate::mark_interleukin_2_given;

/// How far ahead of `now` a dose may be timed (clock skew).
const CLOCK_SLACK: SignedDuration = SignedDuration::from_mins(5);

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
    at: Timestamp,
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

fn optional_text(object: &Map<String, Value>, field: &str, max: usize) -> Result<Option<String>, Refusal> {
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

fn dose_request(text: &str, now: Timestamp) -> Result<DoseRequest, Refusal> {
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
    if at > now + CLOCK_SLACK {
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

/// The core's view of a role that records a dose.
fn recorder_role(role: Role) -> RecorderRole {
    match role {
        Role::Nurse => RecorderRole::Nurse,
        Role::Physician => RecorderRole::Physician,
        _ => RecorderRole::Other,
    }
}

fn record_refusal(refusal: RecordRefusal) -> Error {
    let reason = format!("{} [{}]", refusal.reason, refusal.rule.id());
    match refusal.kind {
        RefusalKind::Refused => Error::Refused(Refusal::new(refusal.field, reason)),
        RefusalKind::Forbidden => Error::Forbidden(reason),
        RefusalKind::Conflict => Error::Conflict(format!("{}: {reason}", refusal.field)),
    }
}

/// The digest a session token is stored under (one place: the service stores sessions under it too).
pub fn token_digest(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// A dose recorded (or found, for a resubmitted form).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub dose: DoseView,
    /// The form was submitted before: this is what the first submission stored.
    pub duplicate: bool,
    /// The decision the dose follows (none for a resubmission or a dose without one).
    pub decision: Option<Decision>,
}

/// Records a dose given or held (the document's text) for patient `patient_id` (nurse, physician). A
/// refusal of the core's rule that is about who records (`Forbidden`) is audited as `denied`; the dose, the
/// lasting flag and the write's audit entry commit together.
pub async fn record(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<Recorded, Error> {
    let resource = format!("patient/{patient_id}/doses");
    access::authorize(store, actor, Some(patient_id), Action::RecordDose, &resource, now).await?;
    let request = dose_request(text, now)?;
    let mut tx = store.begin().await?;
    // A resubmitted form (Back + resubmit) is answered with what the first submission stored.
    if let Some(key) = &request.idempotency_key
        && let Some(existing) = record::dose_record_by_key(&mut tx, patient_id, key).await?
    {
        let written = format!("course/{}/dose/{}", existing.event.course_id, existing.event.id);
        access::audit_write(&mut tx, actor, &written, Some(patient_id), now).await?;
        tx.commit().await?;
        return Ok(Recorded { dose: DoseView::from_record(&existing), duplicate: true, decision: None });
    }
    let course = course_of(&mut tx, patient_id, request.course_id).await?;
    let cosigner = match &request.cosigner_token {
        None => None,
        Some(token) => {
            let user = accounts::session_user(&mut tx, &token_digest(token), now.as_millisecond())
                .await?
                .ok_or_else(|| Refusal::new("cosigner_token", "is not a signed-in session"))?;
            let role = Role::parse(&user.role).map_or(RecorderRole::Other, recorder_role);
            Some(Recorder { role, account: user.username })
        }
    };
    let events = course_events(&mut tx, &course).await?;
    let last_change =
        record::last_change_ms(&mut tx, patient_id).await?.and_then(|ms| Timestamp::from_millisecond(ms).ok());
    let core_request = DoseRecordRequest {
        status: request.status,
        slot: request.slot,
        at: request.at,
        decision_id: request.assessment_id,
        reason_code: request.reason_code,
        reason_text: request.override_reason.clone(),
        recorder: Recorder { role: recorder_role(actor.role), account: actor.username.clone() },
        cosigner: cosigner.clone(),
        corrects_id: request.corrects_id,
    };
    let permit = match may_record_dose(&core_request, &events, last_change) {
        Ok(permit) => permit,
        Err(refusal) => {
            let error = record_refusal(refusal);
            if matches!(error, Error::Forbidden(_)) {
                drop(tx);
                let mut conn = store.connection().await?;
                access::append(&mut conn, actor, "denied", &resource, Some(patient_id), "denied", now).await?;
            }
            return Err(error);
        }
    };
    let given = request.status == DoseStatus::Given;
    if given && request.corrects_id.is_none() && course_state(&events, request.at).doses_given_course == 0 {
        crate::screening_gate::check_first_dose(&mut tx, course.id, request.at).await?;
    }
    let mut stored = DoseRecord {
        event: DoseEvent {
            id: 0,
            patient_id,
            course_id: course.id,
            assessment_id: request.assessment_id,
            status: dose_status_id(request.status).to_string(),
            at_ms: request.at.as_millisecond(),
            // Only an override carries its text here, so "override" is read from the record alone.
            override_reason: if given && !permit.overrides { None } else { request.override_reason.clone() },
            corrects_id: request.corrects_id,
            recorded_by: actor.username.clone(),
        },
        slot_number: Some(i64::from(request.slot.number())),
        idempotency_key: request.idempotency_key.clone(),
        reason_code: request.reason_code.map(|code| code.id().to_string()),
        cosigned_by: cosigner.filter(|_| permit.overrides).map(|cosigner| cosigner.account),
        recorded_at_ms: now.as_millisecond(),
    };
    stored.event.id = match record::add_dose_record(&mut tx, &stored).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            // A concurrent twin committed first: the same form answers its first result; another is a conflict.
            drop(tx);
            let mut conn = store.connection().await?;
            if let Some(key) = &request.idempotency_key
                && let Some(existing) = record::dose_record_by_key(&mut conn, patient_id, key).await?
            {
                return Ok(Recorded { dose: DoseView::from_record(&existing), duplicate: true, decision: None });
            }
            return Err(Error::Conflict(format!(
                "slot: slot {} (cycle {} slot {}) already has a dose given",
                request.slot.number(),
                request.slot.cycle,
                request.slot.slot
            )));
        }
        Err(error) => return Err(error.into()),
    };
    if given {
        mark_interleukin_2_given(&mut tx, patient_id, stored.event.at_ms, &actor.username).await?;
    }
    let written = format!("course/{}/dose/{}", course.id, stored.event.id);
    access::audit_write(&mut tx, actor, &written, Some(patient_id), now).await?;
    tx.commit().await?;
    Ok(Recorded { dose: DoseView::from_record(&stored), duplicate: false, decision: permit.decision })
}

/// Ends a co-signer's session (it served one dose record).
pub async fn close_cosigner_session(store: &Store, token: &str) -> Result<(), Error> {
    let mut conn = store.connection().await?;
    accounts::delete_session(&mut conn, &token_digest(token)).await?;
    Ok(())
}
