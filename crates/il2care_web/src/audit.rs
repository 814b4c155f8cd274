//! Writing the audit log from handlers, and the admins' `GET /api/v1/audit`.
//!
//! Every read of a patient's record and every write is audited; a write's entry goes into the same
//! transaction as the write. Entries name ids and actions, never clinical values.

use axum::Json;
use axum::extract::{Query, State};
use il2care_store::Conn;
use il2care_store::audit::{self, AuditEntry, AuditQuery};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{Actor, Role};
use crate::error::AppError;

/// Appends one entry.
#[allow(clippy::too_many_arguments)]
pub async fn record(
    conn: &mut Conn,
    at_ms: i64,
    actor: &str,
    actor_role: &str,
    action: &str,
    resource: &str,
    patient_id: Option<i64>,
    outcome: &str,
    remote: &str,
) -> Result<(), AppError> {
    let entry = AuditEntry { at_ms, actor, actor_role, action, resource, patient_id, outcome, remote };
    audit::append(conn, &entry).await?;
    Ok(())
}

/// Appends an entry for `actor`.
pub async fn by_actor(
    conn: &mut Conn,
    actor: &Actor,
    action: &str,
    resource: &str,
    patient_id: Option<i64>,
    outcome: &str,
) -> Result<(), AppError> {
    record(
        conn,
        crate::now_ms(),
        &actor.user.username,
        actor.role.as_str(),
        action,
        resource,
        patient_id,
        outcome,
        &actor.remote,
    )
    .await
}

/// Query parameters of `GET /api/v1/audit`.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    pub patient_id: Option<i64>,
    pub actor: Option<String>,
    pub limit: Option<i64>,
}

/// `GET /api/v1/audit`: the log, newest first (admins only).
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<AuditParams>,
) -> Result<Json<Value>, AppError> {
    let mut conn = state.store.connection().await?;
    if let Err(error) = actor.require(&[Role::Admin]) {
        by_actor(&mut conn, &actor, "denied", "audit", None, "denied").await?;
        return Err(error);
    }
    let query = AuditQuery { patient_id: params.patient_id, actor: params.actor, limit: params.limit.unwrap_or(100) };
    let entries = audit::query(&mut conn, &query).await?;
    by_actor(&mut conn, &actor, "read", "audit", None, "ok").await?;
    let entries: Vec<Value> = entries
        .iter()
        .map(|entry| {
            json!({"id": entry.id, "at": crate::rfc3339(entry.at_ms), "actor": entry.actor, "actor_role": entry.actor_role,
                   "action": entry.action, "resource": entry.resource, "patient_id": entry.patient_id,
                   "outcome": entry.outcome, "remote": entry.remote})
        })
        .collect();
    Ok(Json(json!({"entries": entries})))
}
