//! Observation use cases: [`record()`] stores one observation or a batch (`{"observations": [...]}`), each
//! validated exactly as in an assessment document and refused as a whole batch if any is wrong (a `client_id`
//! per observation makes retries harmless); [`list`] reads them back. [`validated_rows`] is shared with the
//! assessment endpoint, which stores the observations sent with a decision.

use il2care_core::Refusal;
use il2care_store::Store;
use il2care_store::record::{self, Observation, Written};
use il2care_wire::assessment::validate_observations;
use il2care_wire::json::{decimal, parse_object, string, timestamp};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Map, Value};

use crate::Error;
use crate::access::{self, Action, Actor};
use crate::checkins::take_client_id;

/// Most observations in one batch.
pub const MAX_BATCH: usize = 500;

/// How far ahead of `now` an observation may be timed (clock skew).
const CLOCK_SLACK: SignedDuration = SignedDuration::from_mins(5);

/// One observation ready to store.
fn to_row(
    patient_id: i64,
    client_id: Option<String>,
    entry: &Map<String, Value>,
    path: &str,
) -> Result<Observation, Refusal> {
    let field = |name: &str| format!("{path}.{name}");
    let quantity =
        entry.get("value").and_then(Value::as_object).ok_or_else(|| Refusal::new(field("value"), "is required"))?;
    let value = decimal(quantity.get("value").unwrap_or(&Value::Null), &field("value.value"))?;
    let unit = string(quantity.get("unit").unwrap_or(&Value::Null), &field("value.unit"))?;
    let (at, start) = match (entry.get("at"), entry.get("start"), entry.get("end")) {
        (Some(at), _, _) => (timestamp(at, &field("at"))?, None),
        (None, Some(start), Some(end)) => (timestamp(end, &field("end"))?, Some(timestamp(start, &field("start"))?)),
        _ => return Err(Refusal::new(field("at"), "is required (or start and end for an interval)")),
    };
    Ok(Observation {
        id: 0,
        patient_id,
        client_id,
        code: string(entry.get("code").unwrap_or(&Value::Null), &field("code"))?.to_string(),
        value: value.normalize().to_string(),
        unit: unit.to_string(),
        at_ms: at.as_millisecond(),
        start_ms: start.map(|start| start.as_millisecond()),
        document: Value::Object(entry.clone()).to_string(),
        corrects_id: None,
    })
}

/// Validates a batch of observation documents (client ids, units, ranges, intervals, nothing after `now` and
/// its clock slack) into rows to store, refusing the batch as a whole naming the field.
pub fn validated_rows(
    patient_id: i64,
    entries: Vec<Value>,
    prefix: &str,
    now: Timestamp,
) -> Result<Vec<Observation>, Refusal> {
    if entries.is_empty() || entries.len() > MAX_BATCH {
        return Err(Refusal::new("observations", format!("must hold 1 to {MAX_BATCH} observations")));
    }
    let mut documents = Vec::with_capacity(entries.len());
    let mut client_ids = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let Value::Object(mut entry) = entry else {
            return Err(Refusal::new(format!("{prefix}[{index}]"), "must be an observation object"));
        };
        let client_id = take_client_id(&mut entry).map_err(|refusal| refusal.within(&format!("{prefix}[{index}]")))?;
        // One key names one observation: a key repeated within a batch would keep the first and drop the rest.
        if let Some(first) = client_id
            .as_ref()
            .and_then(|id| client_ids.iter().position(|seen: &Option<String>| seen.as_ref() == Some(id)))
        {
            return Err(Refusal::new(
                format!("{prefix}[{index}].client_id"),
                format!("repeats the client_id of {prefix}[{first}]; each observation of a batch needs its own"),
            ));
        }
        client_ids.push(client_id);
        documents.push(entry);
    }
    let list = Value::Array(documents.iter().cloned().map(Value::Object).collect());
    validate_observations(&list, now + CLOCK_SLACK)?;
    documents
        .iter()
        .zip(client_ids)
        .enumerate()
        .map(|(index, (entry, client_id))| to_row(patient_id, client_id, entry, &format!("{prefix}[{index}]")))
        .collect()
}

/// What a batch stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// The id of each observation, in the order sent (a retried one: the id stored the first time).
    pub ids: Vec<i64>,
    /// How many were new.
    pub created: usize,
}

/// Validates and stores one observation or a batch (the document's text) for patient `patient_id`; the batch
/// and its audit entry commit together.
pub async fn record(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    text: &str,
    now: Timestamp,
) -> Result<Recorded, Error> {
    let resource = format!("patient/{patient_id}/observations");
    access::authorize(store, actor, Some(patient_id), Action::RecordObservations, &resource, now).await?;
    let mut object = parse_object(text)?;
    let entries = match object.remove("observations") {
        Some(Value::Array(list)) if object.is_empty() => list,
        Some(_) => return Err(Refusal::new("observations", "must be a list, alone in the body").into()),
        None => vec![Value::Object(object)],
    };
    let rows = validated_rows(patient_id, entries, "observations", now)?;
    let mut tx = store.begin().await?;
    record::patient(&mut tx, patient_id).await?;
    let mut ids = Vec::with_capacity(rows.len());
    let mut created = 0;
    for row in &rows {
        let written = record::add_observation(&mut tx, row, now.as_millisecond(), &actor.username).await?;
        if matches!(written, Written::Created(_)) {
            created += 1;
        }
        ids.push(written.id());
    }
    access::audit_write(&mut tx, actor, &resource, Some(patient_id), now).await?;
    tx.commit().await?;
    Ok(Recorded { ids, created })
}

/// An observation as stored: its document with `id`, `client_id` and `corrects_id`.
pub type StoredObservation = Value;

/// Everything recorded for patient `patient_id`, oldest first; the read is audited before it is answered.
pub async fn list(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    now: Timestamp,
) -> Result<Vec<StoredObservation>, Error> {
    let resource = format!("patient/{patient_id}/observations");
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, &resource, now).await?;
    let stored = {
        let mut conn = store.connection().await?;
        record::observations(&mut conn, patient_id, i64::MIN).await?
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    stored
        .iter()
        .map(|observation| {
            let mut document: Value = serde_json::from_str(&observation.document).map_err(|_| {
                Error::Store(il2care_store::StoreError::Corrupt(format!("observation {}: stored JSON", observation.id)))
            })?;
            document["id"] = Value::from(observation.id);
            document["client_id"] = observation.client_id.clone().map_or(Value::Null, Value::from);
            document["corrects_id"] = observation.corrects_id.map_or(Value::Null, Value::from);
            Ok(document)
        })
        .collect()
}
