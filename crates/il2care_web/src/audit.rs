//! Writing the audit log from handlers, and the admins' `GET /api/v1/audit`.
//!
//! Every read of a patient's record and every write is audited; a write's entry goes into the same
//! transaction as the write. Entries name ids and actions, never clinical values.

use axum::Json;
use axum::extract::{Query, State};
use il2care_core::Refusal;
use il2care_store::Conn;
use il2care_store::administration::AuditFilter;
use il2care_store::audit::{self, AuditEntry};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::Actor;
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
        actor.role().as_str(),
        action,
        resource,
        patient_id,
        outcome,
        actor.remote(),
    )
    .await
}

/// Audits a record read by `actor` through the store's group-commit writer and waits until the entry is
/// durable, so the read is answered only once it is on record; concurrent reads share one commit.
pub async fn read(state: &AppState, actor: &Actor, resource: &str, patient_id: Option<i64>) -> Result<(), AppError> {
    let entry = il2care_store::group_commit::OwnedAudit {
        at_ms: crate::now_ms(),
        actor: actor.user.username.clone(),
        actor_role: actor.role().as_str().to_string(),
        action: "read".into(),
        resource: resource.to_string(),
        patient_id,
        outcome: "ok".into(),
        remote: actor.remote().to_string(),
    };
    state.store.audit_durably(entry).await?;
    Ok(())
}

/// Query parameters of `GET /api/v1/audit` and of the audit page (`/audit`, `/audit.csv`): every filter is
/// optional text (an empty one is no filter), so a form left blank and a bad value are told apart by name.
#[derive(Clone, Debug, Default, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    pub patient_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    /// The first day, `YYYY-MM-DD` in the ward's time zone.
    pub from: Option<String>,
    /// The last day (included), `YYYY-MM-DD` in the ward's time zone.
    pub to: Option<String>,
    /// Keyset paging: the entries older than entry `before` (the `next_before` of the previous page).
    pub before: Option<String>,
    pub limit: Option<String>,
}

/// The most entries one page or answer holds.
pub const MAX_PAGE: i64 = 1000;

fn given(text: Option<&String>) -> Option<&str> {
    text.map(|text| text.trim()).filter(|text| !text.is_empty())
}

fn record_id(text: Option<&String>, field: &str) -> Result<Option<i64>, Refusal> {
    given(text)
        .map(|text| {
            text.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| Refusal::new(field, format!("`{text}` is not a record id (a whole number)")))
        })
        .transpose()
}

/// The start of day `text` (`YYYY-MM-DD`) in `zone`, plus `days`, in epoch ms.
fn day_start_ms(text: &str, field: &str, zone: &jiff::tz::TimeZone, days: i64) -> Result<i64, Refusal> {
    let date = text
        .parse::<jiff::civil::Date>()
        .map_err(|_| Refusal::new(field, format!("`{text}` is not a date such as 2026-12-04")))?;
    let date = date
        .checked_add(jiff::Span::new().days(days))
        .map_err(|_| Refusal::new(field, format!("`{text}` is out of range")))?;
    date.to_zoned(zone.clone())
        .map(|start| start.timestamp().as_millisecond())
        .map_err(|_| Refusal::new(field, format!("`{text}` is out of range")))
}

impl AuditParams {
    /// The store's filter (dates read in `zone`, the ward's) and the page size, or the refusal naming the
    /// parameter.
    pub fn filter(&self, zone: &str) -> Result<(AuditFilter, i64), Refusal> {
        let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let text = |value: Option<&String>, field: &str| -> Result<Option<String>, Refusal> {
            match given(value) {
                Some(text) if text.chars().count() > 200 => Err(Refusal::new(field, "is longer than 200 characters")),
                other => Ok(other.map(str::to_string)),
            }
        };
        let from_ms = given(self.from.as_ref()).map(|text| day_start_ms(text, "from", &tz, 0)).transpose()?;
        let until_ms = given(self.to.as_ref()).map(|text| day_start_ms(text, "to", &tz, 1)).transpose()?;
        if let (Some(from), Some(until)) = (from_ms, until_ms)
            && until <= from
        {
            return Err(Refusal::new("to", "is before the first day (from)"));
        }
        let limit = match given(self.limit.as_ref()) {
            None => 100,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|limit| (1..=MAX_PAGE).contains(limit))
                .ok_or_else(|| Refusal::new("limit", format!("must be a whole number from 1 to {MAX_PAGE}")))?,
        };
        let filter = AuditFilter {
            patient_id: record_id(self.patient_id.as_ref(), "patient_id")?,
            actor: text(self.actor.as_ref(), "actor")?,
            action: text(self.action.as_ref(), "action")?,
            outcome: text(self.outcome.as_ref(), "outcome")?,
            from_ms,
            until_ms,
            before_id: record_id(self.before.as_ref(), "before")?,
            after_id: None,
        };
        Ok((filter, limit))
    }
}

/// One page of the filtered log for `actor` (an admin; a refusal is audited, the read too).
pub async fn filtered(
    state: &AppState,
    actor: &Actor,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<il2care_store::audit::AuditRecord>, AppError> {
    Ok(il2care_app::audit_log::page(&state.store, actor.app(), filter, limit, crate::now()).await?)
}

/// An entry's time in the ward's zone, as RFC 3339 with the zone's offset.
pub fn ward_time(ms: i64, zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    jiff::Timestamp::from_millisecond(ms)
        .map(|at| at.to_zoned(tz).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_else(|_| ms.to_string())
}

/// `GET /api/v1/audit`: the log, newest first (admins only), filtered by `patient_id`, `actor`, `action`,
/// `outcome` and the days `from`..`to` (in the ward's zone), `limit` entries a page; `next_before` pages on.
pub async fn list(
    State(state): State<AppState>,
    actor: Actor,
    Query(params): Query<AuditParams>,
) -> Result<Json<Value>, AppError> {
    // Who may not read the log learns nothing about their filters.
    il2care_app::audit_log::may_read(&state.store, actor.app(), crate::now()).await?;
    let zone = state.site.ward_time_zone.clone();
    let (filter, limit) = params.filter(&zone)?;
    let entries = filtered(&state, &actor, &filter, limit).await?;
    let next_before = (entries.len() as i64 == limit).then(|| entries.last().map(|entry| entry.id)).flatten();
    let entries: Vec<Value> = entries
        .iter()
        .map(|entry| {
            json!({"id": entry.id, "at": crate::rfc3339(entry.at_ms), "at_ward": ward_time(entry.at_ms, &zone),
                   "actor": entry.actor, "actor_role": entry.actor_role,
                   "action": entry.action, "resource": entry.resource, "patient_id": entry.patient_id,
                   "outcome": entry.outcome, "remote": entry.remote})
        })
        .collect();
    Ok(Json(json!({"entries": entries, "next_before": next_before, "ward_time_zone": zone})))
}
