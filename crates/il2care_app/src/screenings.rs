//! Pre-treatment screening use cases: [`submit`] evaluates a screening document (docs/screening.md) with the
//! core's `screen` and stores it with its result (idempotent on its `client_id`, optionally tied to a course);
//! [`list`] reads them back, the latest first, each with its decisions and its course's gate; [`decide`]
//! records a physician's acknowledgement of a `needs_review` item or override of a `fail` item; [`course_gate`]
//! and [`page`] give the pages the course's first-dose gate (SCREENING §1 amendment of 2026-12-04) and what the
//! screening page shows.
//!
//! The record's lasting flags (`received_interleukin_2`, `il2_retreatment_contraindicated`) are added to the
//! document's `patient.flags` before it is evaluated, because a flag is never removed: a document that forgets
//! one must not lose the contrast warning it brings. The stored document is the one evaluated.

use il2care_core::Refusal;
use il2care_core::screening::gate::{DecisionKind, Gate, GateScreening, first_dose_gate, status_from_id};
use il2care_core::screening::{Item, Status, screen};
use il2care_store::record::{self, Screening, ScreeningDecision, Written};
use il2care_store::{Conn, Store, StoreError};
use il2care_wire::json::{not_in_the_future, parse_object, timestamp};
use il2care_wire::screening::{result_json, screening_from_object};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::Error;
use crate::access::{self, Action, Actor};
use crate::checkins::take_client_id;
use crate::patients::Patient;
use crate::screening_gate::{gate_screening, item_decisions};

/// A course as the record holds it (the store's row: plain data), as the screening page shows it.
pub use il2care_store::record::Course;

/// The record flags a screening document knows (docs/screening.md `patient.flags`).
const SCREENING_FLAGS: [&str; 2] = ["received_interleukin_2", "il2_retreatment_contraindicated"];

/// The longest reason a decision keeps.
const REASON_MAX: usize = 2000;

/// Adds the record's lasting flags to `patient.flags` of a document (a document without a `patient` object is
/// left for the wire crate to refuse).
pub fn with_record_flags(document: &mut Map<String, Value>, record_flags: &[String]) {
    let Some(Value::Object(patient)) = document.get_mut("patient") else { return };
    let flags = patient.entry("flags").or_insert_with(|| Value::Array(Vec::new()));
    if flags.is_null() {
        *flags = Value::Array(Vec::new());
    }
    let Value::Array(list) = flags else { return };
    for flag in record_flags.iter().filter(|flag| SCREENING_FLAGS.contains(&flag.as_str())) {
        if !list.iter().any(|present| present.as_str() == Some(flag.as_str())) {
            list.push(json!(flag));
        }
    }
}

/// The optional `course_id` of a document: the course the screening is run for (its latest screening gates
/// the course's first dose).
fn take_course_id(object: &mut Map<String, Value>) -> Result<Option<i64>, Refusal> {
    match object.remove("course_id") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or_else(|| Refusal::new("course_id", "must be a course id (a whole number)")),
    }
}

/// Stored JSON text read back; text that is not JSON is a damaged record, never `null`.
fn stored_json(text: &str, id: i64) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|_| Error::Store(StoreError::Corrupt(format!("screening {id}: stored JSON"))))
}

/// A stored screening, its document and result read.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredScreening {
    pub id: i64,
    pub patient_id: i64,
    pub client_id: Option<String>,
    /// The screen's evaluation time (`at` of the document).
    pub at_ms: i64,
    pub regimen: String,
    /// The overall status (`None`: a stored id this version does not know).
    pub status: Option<Status>,
    /// The overall status as stored.
    pub status_id: String,
    pub document: Value,
    /// The result document (docs/screening.md).
    pub result: Value,
    pub recorded_at_ms: i64,
    pub recorded_by: String,
}

impl TryFrom<Screening> for StoredScreening {
    type Error = Error;

    /// A stored row read; JSON that does not parse is a damaged record.
    fn try_from(row: Screening) -> Result<StoredScreening, Error> {
        Ok(StoredScreening {
            document: stored_json(&row.document, row.id)?,
            result: stored_json(&row.result, row.id)?,
            status: status_from_id(&row.status),
            id: row.id,
            patient_id: row.patient_id,
            client_id: row.client_id,
            at_ms: row.at_ms,
            regimen: row.regimen,
            status_id: row.status,
            recorded_at_ms: row.recorded_at_ms,
            recorded_by: row.recorded_by,
        })
    }
}

/// A physician's decision on one item, as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedDecision {
    pub id: i64,
    pub screening_id: i64,
    /// The checklist item number, 1 to 19.
    pub item: i64,
    /// `None`: a stored kind this version does not know.
    pub kind: Option<DecisionKind>,
    /// The kind as stored.
    pub kind_id: String,
    pub reason: String,
    pub decided_at_ms: i64,
    pub decided_by: String,
}

impl From<ScreeningDecision> for RecordedDecision {
    fn from(row: ScreeningDecision) -> Self {
        RecordedDecision {
            kind: DecisionKind::from_id(&row.kind),
            id: row.id,
            screening_id: row.screening_id,
            item: row.item,
            kind_id: row.kind,
            reason: row.reason,
            decided_at_ms: row.decided_at_ms,
            decided_by: row.decided_by,
        }
    }
}

/// A course's first-dose gate at a time, decided by the core's `first_dose_gate`.
#[derive(Clone, Debug, PartialEq)]
pub struct CourseGate {
    pub course_id: i64,
    /// The time the gate was decided for (`now`).
    pub at: Timestamp,
    pub gate: Gate,
    /// The course's latest screening (the one that gates it).
    pub screening: Option<StoredScreening>,
    /// The decisions recorded on that screening.
    pub decisions: Vec<RecordedDecision>,
}

/// The first-dose gate of course `course_id` at `now`, from its latest screening and the decisions on it. No
/// access decision: the caller has decided it (the course page, the screening page, a use case here).
pub async fn course_gate(conn: &mut Conn, course_id: i64, now: Timestamp) -> Result<CourseGate, Error> {
    let screening = record::latest_screening_of_course(conn, course_id).await?;
    let decisions = match &screening {
        Some(screening) => record::screening_decisions(conn, screening.id).await?,
        None => Vec::new(),
    };
    let screening = screening.map(StoredScreening::try_from).transpose()?;
    let view = screening.as_ref().map(|screening| gate_screening(screening.at_ms, &screening.result));
    let gate = first_dose_gate(view.as_ref(), &item_decisions(&decisions), now);
    Ok(CourseGate {
        course_id,
        at: now,
        gate,
        screening,
        decisions: decisions.into_iter().map(RecordedDecision::from).collect(),
    })
}

/// A screening as submitted.
#[derive(Clone, Debug, PartialEq)]
pub struct Submitted {
    pub id: i64,
    pub course_id: Option<i64>,
    /// The result document (for a repeated `client_id`: the one stored the first time).
    pub result: Value,
    /// The course's gate right after this screening (none for a screening not tied to a course, or a repeat).
    pub gate: Option<CourseGate>,
    /// The `client_id` was submitted before: nothing new was stored.
    pub duplicate: bool,
}

/// Evaluates and stores a screening document (its text) for patient `patient_id` (physicians, pharmacists).
pub async fn submit(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<Submitted, Error> {
    let resource = format!("patient/{patient_id}/screenings");
    // Authorization before validation: who may not write here learns nothing about the document.
    access::authorize(store, actor, Some(patient_id), Action::ScreenPatient, &resource, now).await?;
    let mut object = parse_object(text)?;
    let client_id = take_client_id(&mut object)?;
    let course_id = take_course_id(&mut object)?;
    // A stored screening is of tests already done: one timed ahead is a typing error.
    if let Some(at) = object.get("at").filter(|at| !at.is_null()) {
        not_in_the_future(timestamp(at, "at")?, now, "at", "a screening is recorded when it is done")?;
    }
    let mut tx = store.begin().await?;
    record::patient(&mut tx, patient_id).await?;
    if let Some(course_id) = course_id
        && !record::courses(&mut tx, patient_id).await?.iter().any(|course| course.id == course_id)
    {
        return Err(Refusal::new("course_id", format!("course {course_id} is not a course of this patient")).into());
    }
    with_record_flags(&mut object, &record::flags(&mut tx, patient_id).await?);
    let input = screening_from_object(&object)?;
    let result = screen(&input);
    let result_value = result_json(&result);
    let stored = Screening {
        id: 0,
        patient_id,
        client_id,
        at_ms: input.at.instant.as_millisecond(),
        regimen: input.regimen.id.to_string(),
        status: result.status.id().to_string(),
        document: Value::Object(object).to_string(),
        result: result_value.to_string(),
        recorded_at_ms: now.as_millisecond(),
        recorded_by: actor.username.clone(),
    };
    let written = record::add_screening(&mut tx, &stored).await?;
    if let (Written::Created(id), Some(course_id)) = (&written, course_id) {
        record::link_screening_to_course(&mut tx, *id, course_id).await?;
    }
    access::audit_write(&mut tx, actor, &format!("screening/{}", written.id()), Some(patient_id), now).await?;
    tx.commit().await?;
    match written {
        Written::Created(id) => {
            // The gate of a screening just stored: this screening, no decisions yet.
            let gate = course_id.map(|course_id| {
                let view = gate_screening(stored.at_ms, &result_value);
                CourseGate {
                    course_id,
                    at: now,
                    gate: first_dose_gate(Some(&view), &[], now),
                    screening: None,
                    decisions: Vec::new(),
                }
            });
            Ok(Submitted { id, course_id, result: result_value, gate, duplicate: false })
        }
        Written::AlreadyPresent(id) => {
            let mut conn = store.connection().await?;
            let existing = record::screening(&mut conn, id).await?;
            Ok(Submitted {
                id,
                course_id: None,
                result: stored_json(&existing.result, id)?,
                gate: None,
                duplicate: true,
            })
        }
    }
}

/// A stored screening with the course it gates, the decisions on it and that course's gate now.
#[derive(Clone, Debug, PartialEq)]
pub struct Listed {
    pub screening: StoredScreening,
    pub course_id: Option<i64>,
    pub decisions: Vec<RecordedDecision>,
    /// The course's gate, computed from the course's latest screening, whichever this one is.
    pub gate: Option<CourseGate>,
}

/// Patient `patient_id`'s screenings, the latest first (the care team); the read is audited before it is
/// answered.
pub async fn list(store: &Store, actor: &Actor, patient_id: i64, now: Timestamp) -> Result<Vec<Listed>, Error> {
    let resource = format!("patient/{patient_id}/screenings");
    access::authorize(store, actor, Some(patient_id), Action::ReadScreenings, &resource, now).await?;
    let mut listed = Vec::new();
    {
        let mut conn = store.connection().await?;
        record::patient(&mut conn, patient_id).await?;
        for screening in record::screenings(&mut conn, patient_id).await? {
            let decisions = record::screening_decisions(&mut conn, screening.id).await?;
            let course_id = record::course_of_screening(&mut conn, screening.id).await?;
            let gate = match course_id {
                Some(course_id) => Some(course_gate(&mut conn, course_id, now).await?),
                None => None,
            };
            listed.push(Listed {
                screening: StoredScreening::try_from(screening)?,
                course_id,
                decisions: decisions.into_iter().map(RecordedDecision::from).collect(),
                gate,
            });
        }
    }
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    Ok(listed)
}

/// A decision as recorded, with the course's gate after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Decided {
    pub decision: RecordedDecision,
    pub gate: Option<CourseGate>,
}

/// Records a physician's decision (`{"item": 15, "kind": "acknowledge" | "override", "reason": "..."}`, the
/// text) on one item of screening `screening_id` of patient `patient_id`: an acknowledgement of a
/// `needs_review` item or an override of a `fail` one, with who and when from the actor and `now`; audited
/// with the kind as its action, in the decision's transaction.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    screening_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<Decided, Error> {
    let resource = format!("screening/{screening_id}/decisions");
    access::authorize(store, actor, Some(patient_id), Action::DecideScreeningItem, &resource, now).await?;
    let object = parse_object(text)?;
    if let Some(unknown) = object.keys().find(|key| !["item", "kind", "reason"].contains(&key.as_str())) {
        return Err(Refusal::new(unknown.clone(), "unknown field; expected item, kind, reason").into());
    }
    let item = object
        .get("item")
        .and_then(Value::as_u64)
        .and_then(|number| u8::try_from(number).ok())
        .and_then(Item::from_number)
        .ok_or_else(|| Refusal::new("item", "must be a checklist item number, 1 to 19"))?;
    let kind =
        object.get("kind").and_then(Value::as_str).and_then(DecisionKind::from_id).ok_or_else(|| {
            Refusal::new("kind", "must be acknowledge (a needs_review item) or override (a fail item)")
        })?;
    let reason = object.get("reason").and_then(Value::as_str).map(str::trim).unwrap_or_default();
    if reason.is_empty() || reason.len() > REASON_MAX {
        return Err(Refusal::new("reason", "is required: 1 to 2000 characters saying why").into());
    }
    let mut tx = store.begin().await?;
    let screening = record::screening(&mut tx, screening_id).await?;
    if screening.patient_id != patient_id {
        return Err(Error::NotFound(format!("screening {screening_id} of patient {patient_id}")));
    }
    let view: GateScreening = gate_screening(screening.at_ms, &stored_json(&screening.result, screening.id)?);
    let status = view.items.iter().find(|screened| screened.item == item).map(|screened| screened.status);
    if status.and_then(DecisionKind::needed_for) != Some(kind) {
        let found = status.map_or("unreadable", |status| status.id());
        return Err(Refusal::new(
            "kind",
            format!("item {} is {found}: acknowledge a needs_review item, override a fail item", item.number()),
        )
        .into());
    }
    let decision = ScreeningDecision {
        id: 0,
        screening_id,
        item: i64::from(item.number()),
        kind: kind.id().to_string(),
        reason: reason.to_string(),
        decided_at_ms: now.as_millisecond(),
        decided_by: actor.username.clone(),
    };
    let decision_id = record::add_screening_decision(&mut tx, &decision).await?;
    access::append(&mut tx, actor, kind.id(), &resource, Some(patient_id), "ok", now).await?;
    let gate = match record::course_of_screening(&mut tx, screening_id).await? {
        Some(course_id) => Some(course_gate(&mut tx, course_id, now).await?),
        None => None,
    };
    tx.commit().await?;
    Ok(Decided { decision: ScreeningDecision { id: decision_id, ..decision }.into(), gate })
}

/// What the screening page shows of a patient.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    pub patient: Patient,
    /// The patient's latest course (by start), if any.
    pub course: Option<Course>,
    /// That course's gate now.
    pub gate: Option<CourseGate>,
    /// The result shown: the course's latest screening, else the patient's latest.
    pub shown: Option<StoredScreening>,
    /// The decisions on the screening shown.
    pub decisions: Vec<RecordedDecision>,
}

/// The screening page's data for patient `patient_id` (the care team); the read is audited before it is
/// answered.
pub async fn page(store: &Store, actor: &Actor, patient_id: i64, now: Timestamp) -> Result<Page, Error> {
    let resource = format!("patient/{patient_id}/screenings");
    access::authorize(store, actor, Some(patient_id), Action::ReadScreenings, &resource, now).await?;
    let page = {
        let mut conn = store.connection().await?;
        let patient = record::patient(&mut conn, patient_id).await?;
        let course = crate::course_record::latest_course(&mut conn, patient_id).await?;
        let gate = match &course {
            Some(course) => Some(course_gate(&mut conn, course.id, now).await?),
            None => None,
        };
        let shown = match gate.as_ref().and_then(|gate| gate.screening.clone()) {
            Some(screening) => Some(screening),
            None => record::screenings(&mut conn, patient_id)
                .await?
                .into_iter()
                .next()
                .map(StoredScreening::try_from)
                .transpose()?,
        };
        let decisions = match &shown {
            Some(screening) => record::screening_decisions(&mut conn, screening.id).await?,
            None => Vec::new(),
        };
        Page { patient, course, gate, shown, decisions: decisions.into_iter().map(RecordedDecision::from).collect() }
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    Ok(page)
}

/// The patient of a screening form, before the form is read (the form takes the date of birth and sex from
/// the record): physicians and pharmacists, who screen; a refusal is audited as a refused screening.
pub async fn patient_to_screen(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    now: Timestamp,
) -> Result<Patient, Error> {
    let resource = format!("patient/{patient_id}/screenings");
    access::authorize(store, actor, Some(patient_id), Action::ScreenPatient, &resource, now).await?;
    let mut conn = store.connection().await?;
    Ok(record::patient(&mut conn, patient_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags_after(document: Value, record_flags: &[&str]) -> Value {
        let mut object = document.as_object().unwrap().clone();
        let record_flags: Vec<String> = record_flags.iter().map(|flag| flag.to_string()).collect();
        with_record_flags(&mut object, &record_flags);
        object.get("patient").and_then(|patient| patient.get("flags")).cloned().unwrap_or(Value::Null)
    }

    #[test]
    fn the_records_lasting_flags_join_the_documents_and_nothing_else_does() {
        let received = ["received_interleukin_2"];
        assert_eq!(flags_after(json!({"patient": {}}), &received), json!(["received_interleukin_2"]));
        assert_eq!(flags_after(json!({"patient": {"flags": null}}), &received), json!(["received_interleukin_2"]));
        assert_eq!(
            flags_after(json!({"patient": {"flags": ["received_interleukin_2"]}}), &received),
            json!(["received_interleukin_2"]),
            "a flag already given is not repeated"
        );
        assert_eq!(flags_after(json!({"patient": {}}), &["some_other_flag"]), json!([]), "unknown codes stay out");
        assert_eq!(flags_after(json!({"at": "x"}), &received), Value::Null, "no patient: the wire crate refuses it");
    }
}
