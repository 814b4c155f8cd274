//! The audit log: who read or wrote what, when, and from where. Append-only: there is no update or delete.
//!
//! Entries carry ids and actions, never clinical values or names.

use sqlx::Row;

use crate::{Conn, StoreError};

/// One audit entry to append.
#[derive(Clone, Debug)]
pub struct AuditEntry<'a> {
    pub at_ms: i64,
    /// The username, or `anonymous`.
    pub actor: &'a str,
    pub actor_role: &'a str,
    /// `read`, `write`, `login`, `login_failed`, `denied`, ...
    pub action: &'a str,
    /// What was touched: `patient/3/observations`, `checkin/17`.
    pub resource: &'a str,
    pub patient_id: Option<i64>,
    /// `ok`, `refused`, `denied`.
    pub outcome: &'a str,
    pub remote: &'a str,
}

/// A stored audit entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRecord {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub resource: String,
    pub patient_id: Option<i64>,
    pub outcome: String,
    pub remote: String,
}

/// Appends one entry.
pub async fn append(conn: &mut Conn, entry: &AuditEntry<'_>) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (at_ms, actor, actor_role, action, resource, patient_id, outcome, remote) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(entry.at_ms)
    .bind(entry.actor)
    .bind(entry.actor_role)
    .bind(entry.action)
    .bind(entry.resource)
    .bind(entry.patient_id)
    .bind(entry.outcome)
    .bind(entry.remote)
    .execute(conn)
    .await?;
    Ok(())
}

/// Filters for reading the log (admins only, enforced by the caller).
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    pub patient_id: Option<i64>,
    pub actor: Option<String>,
    pub limit: i64,
}

/// Entries matching `query`, newest first.
pub async fn query(conn: &mut Conn, query: &AuditQuery) -> Result<Vec<AuditRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at_ms, actor, actor_role, action, resource, patient_id, outcome, remote FROM audit_log \
         WHERE ($1 IS NULL OR patient_id = $1) AND ($2 IS NULL OR actor = $2) ORDER BY id DESC LIMIT $3",
    )
    .bind(query.patient_id)
    .bind(query.actor.as_deref())
    .bind(query.limit.clamp(1, 1000))
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditRecord {
                id: row.try_get("id")?,
                at_ms: row.try_get("at_ms")?,
                actor: row.try_get("actor")?,
                actor_role: row.try_get("actor_role")?,
                action: row.try_get("action")?,
                resource: row.try_get("resource")?,
                patient_id: row.try_get("patient_id")?,
                outcome: row.try_get("outcome")?,
                remote: row.try_get("remote")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}
