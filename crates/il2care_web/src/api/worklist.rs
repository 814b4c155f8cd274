//! `GET /api/v1/worklist`: who needs attention now, most urgent first (nurse, physician). Today it lists
//! unacknowledged check-ins by triage level; due doses with their current decision join it with the
//! stored assessment workflow.

use axum::Json;
use axum::extract::State;
use il2care_store::record;
use serde_json::{Value, json};

use crate::AppState;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::error::AppError;

/// The worklist rows.
pub async fn worklist(State(state): State<AppState>, actor: Actor) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    if let Err(error) = actor.require(&[Role::Nurse, Role::Physician]) {
        by_actor(&mut conn, &actor, "denied", "worklist", None, "denied").await?;
        return Err(error);
    }
    let open = record::unacknowledged_checkins(&mut conn).await?;
    let rows: Vec<Value> = open
        .iter()
        .map(|checkin| {
            json!({"kind": "checkin", "patient_id": checkin.patient_id, "checkin_id": checkin.id,
                   "level": checkin.level, "at": crate::rfc3339(checkin.at_ms)})
        })
        .collect();
    by_actor(&mut conn, &actor, "read", "worklist", None, "ok").await?;
    Ok(Json(json!({"items": rows})))
}
