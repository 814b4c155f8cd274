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

/// Audits a record read by `actor` through the store's group-commit writer and waits until the entry is
/// durable, so the read is answered only once it is on record; concurrent reads share one commit.
pub async fn read(state: &AppState, actor: &Actor, resource: &str, patient_id: Option<i64>) -> Result<(), AppError> {
    let entry = il2care_store::group_commit::OwnedAudit {
        at_ms: crate::now_ms(),
        actor: actor.user.username.clone(),
        actor_role: actor.role.as_str().to_string(),
        action: "read".into(),
        resource: resource.to_string(),
        patient_id,
        outcome: "ok".into(),
        remote: actor.remote.clone(),
    };
    state.store.audit_durably(entry).await?;
    Ok(())
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
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, "audit", None).await?;
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
