//! Check-in use cases: [`submit`] (triage a patient's check-in and store it, idempotent on its `client_id`),
//! [`list`] (a patient's check-ins, newest first), [`call_back`] (a nurse's call back, a new row) and
//! [`clear`] (the call back that clears the next shot after a check-in at call_now or emergency).
//!
//! Each takes the actor, the document's text and the time (`now`), decides access through the policy before
//! it reads the document (who may not act learns nothing about it), and writes its audit entry in the same
//! place: a check-in's entry commits with it (the group-commit writer), a call back's in its transaction.

use il2care_core::Refusal;
use il2care_core::triage::{TriageResult, triage};
use il2care_store::record::{self, Written};
use il2care_store::{Store, StoreError};
use il2care_wire::checkin::CheckInDocument;
use il2care_wire::json::{self, string};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::Error;
use crate::access::{self, Action, Actor};

/// How far ahead of `now` a check-in's `at` may be (clocks of phones drift).
const CLOCK_SLACK: SignedDuration = SignedDuration::from_mins(5);

/// Splits the optional `client_id` (the idempotency key) off a submitted document.
pub fn take_client_id(object: &mut Map<String, Value>) -> Result<Option<String>, Refusal> {
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

/// The triage result document: the wire crate's result with the action-first `message` and the `disclaimer`
/// from the content crate (as the command line prints it).
pub fn result_document(result: &TriageResult) -> Value {
    let mut value = il2care_wire::checkin::result_json(result);
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

/// A stored check-in and its triage result.
#[derive(Clone, Debug, PartialEq)]
pub struct Submitted {
    pub id: i64,
    /// The triage result document (for a repeated `client_id`: the one stored the first time).
    pub result: Value,
    /// The `client_id` was submitted before: nothing new was stored.
    pub duplicate: bool,
}

/// Triages and stores a check-in document for patient `patient_id`.
pub async fn submit(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<Submitted, Error> {
    let resource = format!("patient/{patient_id}/checkins");
    access::authorize(store, actor, Some(patient_id), Action::SubmitCheckIn, &resource, now).await?;
    // Parsed once, from the text into types; the text as sent is what the record keeps.
    let document: CheckInDocument = json::document(text)?;
    let client_id = document.client_id.clone().map(|id| id.0);
    let parsed = document.into_checkin()?;
    if parsed.at > now + CLOCK_SLACK {
        return Err(Refusal::new("at", "is in the future; a check-in tells how you feel now").into());
    }
    let result = triage(&parsed);
    let result_value = result_document(&result);
    {
        let mut conn = store.connection().await?;
        record::patient(&mut conn, patient_id).await?;
    }
    let stored = record::StoredCheckIn {
        id: 0,
        patient_id,
        client_id,
        at_ms: parsed.at.as_millisecond(),
        level: result.level.id().to_string(),
        level_rank: result.level as i64,
        document: text.to_string(),
        result: result_value.to_string(),
        called_back: false,
    };
    // The check-in and its audit entry commit together, batched with concurrent submissions (group commit);
    // the answer waits for the commit, so an acknowledged check-in is durable.
    match store.add_checkin_durably(stored, access::audit_of(actor, now)).await? {
        Written::Created(id) => Ok(Submitted { id, result: result_value, duplicate: false }),
        Written::AlreadyPresent(id) => {
            let mut conn = store.connection().await?;
            let existing = record::checkin(&mut conn, id).await?;
            Ok(Submitted { id, result: stored_json(&existing.result, id)?, duplicate: true })
        }
    }
}

/// A stored check-in as read back.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredCheckIn {
    pub id: i64,
    pub patient_id: i64,
    pub client_id: Option<String>,
    pub at_ms: i64,
    pub level: String,
    /// A nurse or physician has recorded a call back.
    pub called_back: bool,
    /// The check-in document as submitted (without `client_id`, which is [`StoredCheckIn::client_id`]).
    pub document: Value,
    /// The triage result document.
    pub result: Value,
}

/// A stored check-in document as listed: its `client_id` is a column of its own.
fn without_client_id(mut document: Value) -> Value {
    if let Value::Object(members) = &mut document {
        members.remove("client_id");
    }
    document
}

/// Stored JSON text read back; text that is not JSON is a damaged record, never `null`.
fn stored_json(text: &str, id: i64) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|_| Error::Store(StoreError::Corrupt(format!("check-in {id}: stored JSON"))))
}

/// Patient `patient_id`'s check-ins, newest first; the read is audited before it is answered.
pub async fn list(store: &Store, actor: &Actor, patient_id: i64, now: Timestamp) -> Result<Vec<StoredCheckIn>, Error> {
    let resource = format!("patient/{patient_id}/checkins");
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, &resource, now).await?;
    let stored = {
        let mut conn = store.connection().await?;
        record::checkins(&mut conn, patient_id).await?
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    stored
        .into_iter()
        .map(|checkin| {
            Ok(StoredCheckIn {
                document: without_client_id(stored_json(&checkin.document, checkin.id)?),
                result: stored_json(&checkin.result, checkin.id)?,
                id: checkin.id,
                patient_id: checkin.patient_id,
                client_id: checkin.client_id,
                at_ms: checkin.at_ms,
                level: checkin.level,
                called_back: checkin.called_back,
            })
        })
        .collect()
}

/// A call back as sent (`POST /api/v1/checkins/{id}/callbacks`, or the deprecated `.../acknowledgements`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a call-back document (a JSON object)")]
struct CallBack {
    #[serde(default)]
    note: Option<String>,
    /// The call back also clears the next shot (a clearance row is stored with it).
    #[serde(default)]
    clears_next_shot: Option<bool>,
}

/// A clearance as sent (`POST /api/v1/checkins/{id}/clearances`): the note is required.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, expecting = "a clearance document (a JSON object)")]
struct Clearance {
    #[serde(default)]
    note: Option<String>,
}

/// A call back as recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalledBack {
    pub id: i64,
    pub checkin_id: i64,
    /// The call back also cleared the next shot (a clearance row was stored with it).
    pub clears_next_shot: bool,
}

/// The longest note a call back keeps.
const NOTE_MAX: usize = 2000;

/// Records a call back (`{"note", "clears_next_shot"}`) after check-in `checkin_id`.
pub async fn call_back(
    store: &Store,
    actor: &Actor,
    checkin_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<CalledBack, Error> {
    // The audit resource keeps its stored name (`acknowledgement`): old audit chains and filters use it.
    let resource = format!("checkin/{checkin_id}/acknowledgement");
    access::authorize(store, actor, None, Action::AcknowledgeCheckIn, &resource, now).await?;
    let document: CallBack = json::document(text)?;
    let clears = document.clears_next_shot.unwrap_or(false);
    let note = document.note.unwrap_or_default();
    if note.len() > NOTE_MAX {
        return Err(Refusal::new("note", "must be at most 2000 characters").into());
    }
    let at_ms = now.as_millisecond();
    let mut tx = store.begin().await?;
    let checkin = record::checkin(&mut tx, checkin_id).await?;
    let id = record::record_call_back(&mut tx, checkin_id, &note, at_ms, &actor.username).await?;
    access::audit_write(&mut tx, actor, &resource, Some(checkin.patient_id), now).await?;
    if clears {
        let cleared = record::clear_checkin(&mut tx, checkin_id, &note, at_ms, &actor.username).await?;
        let resource = format!("checkin/{checkin_id}/clearance/{cleared}");
        access::audit_write(&mut tx, actor, &resource, Some(checkin.patient_id), now).await?;
    }
    tx.commit().await?;
    Ok(CalledBack { id, checkin_id, clears_next_shot: clears })
}

/// A clearance as recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cleared {
    pub id: i64,
    pub checkin_id: i64,
}

/// Records (`{"note"}`, required) that the call back after check-in `checkin_id` (at call_now or emergency)
/// cleared the patient's next shot (TRIAGE amendment item 3); until it is recorded the injection log refuses
/// the next shot.
pub async fn clear(
    store: &Store,
    actor: &Actor,
    checkin_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<Cleared, Error> {
    let resource = format!("checkin/{checkin_id}/clearance");
    access::authorize(store, actor, None, Action::ClearCheckIn, &resource, now).await?;
    let document: Clearance = json::document(text)?;
    let note = document.note.unwrap_or_default().trim().to_string();
    if note.is_empty() || note.len() > NOTE_MAX {
        return Err(Refusal::new("note", "is required: what the call-back found, 1 to 2000 characters").into());
    }
    let mut tx = store.begin().await?;
    let checkin = record::checkin(&mut tx, checkin_id).await?;
    let id = record::clear_checkin(&mut tx, checkin_id, &note, now.as_millisecond(), &actor.username).await?;
    access::audit_write(&mut tx, actor, &format!("checkin/{checkin_id}/clearance/{id}"), Some(checkin.patient_id), now)
        .await?;
    tx.commit().await?;
    Ok(Cleared { id, checkin_id })
}
