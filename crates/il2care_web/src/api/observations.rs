//! Observations: `POST /api/v1/patients/{id}/observations` stores one observation or a batch
//! (`{"observations": [...]}`), each validated exactly as in an assessment document and refused as a
//! whole batch if any is wrong; a `client_id` per observation makes retries harmless. `GET` lists them.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;
use il2care_store::record::{self, Observation};
use il2care_wire::assessment::validate_observations;
use il2care_wire::json::{decimal, parse_object, string, timestamp};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::api::checkins::take_client_id;
use crate::api::patients::{authorize, authorize_write};
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;

/// Most observations in one batch.
pub const MAX_BATCH: usize = 500;

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

/// Validates a batch of observation documents (client ids, units, ranges, intervals, nothing in the future)
/// into rows to store, refusing the batch as a whole naming the field: shared by this endpoint and the
/// assessment endpoint, which stores the observations sent with a decision.
pub fn validated_rows(patient_id: i64, entries: Vec<Value>, prefix: &str) -> Result<Vec<Observation>, Refusal> {
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
    // Nothing may be timed in the future (a few minutes of clock skew allowed).
    let bound = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5);
    let list = Value::Array(documents.iter().cloned().map(Value::Object).collect());
    validate_observations(&list, bound)?;
    let rows = documents
        .iter()
        .zip(client_ids)
        .enumerate()
        .map(|(index, (entry, client_id))| to_row(patient_id, client_id, entry, &format!("{prefix}[{index}]")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// `POST /api/v1/patients/{id}/observations` (nurse, physician).
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

/// Validates and stores one observation or a batch (the text of the POST body): shared by the API and the pages.
pub async fn submit_document(
    state: &AppState,
    actor: &Actor,
    patient_id: i64,
    text: &str,
) -> Result<(StatusCode, Value), AppError> {
    let resource = format!("patient/{patient_id}/observations");
    authorize_write(state, actor, &[Role::Nurse, Role::Physician], Some(patient_id), &resource).await?;
    let mut object = parse_object(text)?;
    let (entries, prefix) = match object.remove("observations") {
        Some(Value::Array(list)) if object.is_empty() => (list, "observations"),
        Some(_) => return Err(Refusal::new("observations", "must be a list, alone in the body").into()),
        None => (vec![Value::Object(object)], "observations"),
    };
    let rows = validated_rows(patient_id, entries, prefix)?;
    let mut tx = state.store.begin().await?;
    record::patient(&mut tx, patient_id).await?;
    let now = crate::now_ms();
    let mut ids = Vec::with_capacity(rows.len());
    let mut created = 0;
    for row in &rows {
        let written = record::add_observation(&mut tx, row, now, &actor.user.username).await?;
        if matches!(written, record::Written::Created(_)) {
            created += 1;
        }
        ids.push(written.id());
    }
    by_actor(&mut tx, actor, "write", &format!("patient/{patient_id}/observations"), Some(patient_id), "ok").await?;
    tx.commit().await?;
    let status = if created > 0 { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, json!({"ids": ids, "created": created, "already_present": rows.len() - created})))
}

/// `GET /api/v1/patients/{id}/observations`: everything recorded, oldest first.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}/observations");
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    let stored = record::observations(&mut conn, patient_id, i64::MIN).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    let list: Vec<Value> = stored
        .iter()
        .map(|observation| {
            let mut document: Value = serde_json::from_str(&observation.document).unwrap_or(Value::Null);
            document["id"] = json!(observation.id);
            document["client_id"] = json!(observation.client_id);
            document["corrects_id"] = json!(observation.corrects_id);
            document
        })
        .collect();
    Ok(Json(json!({"observations": list})))
}
