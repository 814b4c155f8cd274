//! Administration: the accounts an admin manages (their state, disabling, one-time temporary passwords,
//! unlocking after wrong passwords), the audit log read through filters with keyset paging, and the
//! preferences a patient is admitted with.
//!
//! Accounts are not clinical tables: their rows change in place (migration 8 protects the record and the audit
//! log, not `users`); every change is audited by the caller in the same transaction. Patient preferences are
//! part of the record and append-only.

use sqlx::Row;

use crate::accounts::{USER_COLUMNS, User, user_of};
use crate::audit::AuditRecord;
use crate::{Conn, StoreError};

/// An account as the admin sees it: the user and the wrong passwords that bear on it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountState {
    pub user: User,
    pub created_at_ms: i64,
    /// Wrong passwords on the account since the window began (and since its last unlock).
    pub recent_failures: i64,
    /// The latest of them.
    pub last_failure_ms: Option<i64>,
}

/// Every account, by username, with its failures since `since_ms` (ignoring those up to its last unlock).
pub async fn accounts(conn: &mut Conn, since_ms: i64) -> Result<Vec<AccountState>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, u.created_at_ms, \
           (SELECT COUNT(*) FROM login_attempts a WHERE a.username = u.username AND a.success = $1 \
              AND a.at_ms >= $2 AND a.at_ms > COALESCE(u.unlocked_at_ms, $3)) AS failures, \
           (SELECT MAX(a.at_ms) FROM login_attempts a WHERE a.username = u.username AND a.success = $1 \
              AND a.at_ms >= $2 AND a.at_ms > COALESCE(u.unlocked_at_ms, $3)) AS last_failure \
         FROM users u ORDER BY u.username"
    ))
    .bind(false)
    .bind(since_ms)
    .bind(i64::MIN)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AccountState {
                user: user_of(row)?,
                created_at_ms: row.try_get("created_at_ms")?,
                recent_failures: row.try_get("failures")?,
                last_failure_ms: row.try_get("last_failure")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// The user with `id`.
pub async fn user_by_id(conn: &mut Conn, id: i64) -> Result<User, StoreError> {
    let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("account {id}")))?;
    Ok(user_of(&row)?)
}

/// Ends every session of a user (after disabling or a password reset).
pub async fn end_sessions(conn: &mut Conn, user_id: i64) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(conn).await?;
    Ok(())
}

/// Disables (`Some(at)`) or enables (`None`) an account; disabling ends its sessions.
pub async fn set_disabled(conn: &mut Conn, user_id: i64, disabled_at_ms: Option<i64>) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET disabled_at_ms = $1 WHERE id = $2")
        .bind(disabled_at_ms)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    if disabled_at_ms.is_some() {
        end_sessions(conn, user_id).await?;
    }
    Ok(())
}

/// Gives an account a one-time temporary password (its hash), usable until `expires_at_ms`; ends its sessions.
pub async fn set_temporary_password(
    conn: &mut Conn,
    user_id: i64,
    password_hash: &str,
    expires_at_ms: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE users SET password_hash = $1, temporary_password_expires_at_ms = $2, \
         temporary_password_used_at_ms = NULL WHERE id = $3",
    )
    .bind(password_hash)
    .bind(expires_at_ms)
    .bind(user_id)
    .execute(&mut *conn)
    .await?;
    end_sessions(conn, user_id).await
}

/// Marks a temporary password as used; `false` when it was used already (by a concurrent sign-in).
pub async fn use_temporary_password(conn: &mut Conn, user_id: i64, now_ms: i64) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE users SET temporary_password_used_at_ms = $1 WHERE id = $2 \
         AND temporary_password_expires_at_ms IS NOT NULL AND temporary_password_used_at_ms IS NULL",
    )
    .bind(now_ms)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the user's own new password (its hash): no longer temporary.
pub async fn set_password(conn: &mut Conn, user_id: i64, password_hash: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE users SET password_hash = $1, temporary_password_expires_at_ms = NULL, \
         temporary_password_used_at_ms = NULL WHERE id = $2",
    )
    .bind(password_hash)
    .bind(user_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Unlocks an account: its wrong passwords up to `now_ms` no longer delay sign-in.
pub async fn unlock(conn: &mut Conn, user_id: i64, now_ms: i64) -> Result<(), StoreError> {
    sqlx::query("UPDATE users SET unlocked_at_ms = $1 WHERE id = $2").bind(now_ms).bind(user_id).execute(conn).await?;
    Ok(())
}

/// Filters of the audit page and `GET /api/v1/audit`; each one given narrows the rows (all must match).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub patient_id: Option<i64>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    /// Entries at or after this time.
    pub from_ms: Option<i64>,
    /// Entries before this time.
    pub until_ms: Option<i64>,
    /// Keyset paging: entries with an id below this one (the last id of the previous page).
    pub before_id: Option<i64>,
    /// Entries with an id above this one.
    pub after_id: Option<i64>,
}

/// The longest span of time first turned into its range of ids.
pub const BOUNDED_SPAN_MS: i64 = 7 * 24 * 3600 * 1000;

/// Up to `limit` entries matching `filter`, newest (highest id) first. Each filter is a condition of its own
/// (no `$n IS NULL OR ...`), so the planner uses the index of the column with the id (migration 12).
pub async fn audit_entries(conn: &mut Conn, filter: &AuditFilter, limit: i64) -> Result<Vec<AuditRecord>, StoreError> {
    // A span of a few days first becomes the range of ids its entries hold (read from the time index alone),
    // so the walk down the id order starts at the span's newest entry and stops at its oldest, wherever the
    // span lies in the log: exact, as the time conditions stay in the query. (A longer or open span costs more
    // to bound than to walk; see BENCHMARKS.md.)
    let mut filter = filter.clone();
    if let (Some(from), Some(until)) = (filter.from_ms, filter.until_ms)
        && until - from <= BOUNDED_SPAN_MS
    {
        // `id + 0`, not `id`: PostgreSQL turns a bare `MIN(id)` into a walk of the primary key filtered by time,
        // which reads half the log for a day in the middle (EXPLAIN ANALYZE: 1.1 s at 1,000,000 entries); over an
        // expression it reads the span's entries from the time index alone (50-130 ms). SQLite reads that index
        // either way.
        let row =
            sqlx::query("SELECT MIN(id + 0) AS lo, MAX(id + 0) AS hi FROM audit_log WHERE at_ms >= $1 AND at_ms < $2")
                .bind(from)
                .bind(until)
                .fetch_one(&mut *conn)
                .await?;
        let (lo, hi): (Option<i64>, Option<i64>) = (row.try_get("lo")?, row.try_get("hi")?);
        let (Some(lo), Some(hi)) = (lo, hi) else { return Ok(Vec::new()) };
        filter.before_id = Some(filter.before_id.map_or(hi + 1, |before| before.min(hi + 1)));
        filter.after_id = Some(lo - 1);
    }
    let filter = &filter;
    let mut conditions: Vec<String> = Vec::new();
    let mut place = 0;
    let mut next = || {
        place += 1;
        format!("${place}")
    };
    if filter.patient_id.is_some() {
        conditions.push(format!("patient_id = {}", next()));
    }
    if filter.actor.is_some() {
        conditions.push(format!("actor = {}", next()));
    }
    if filter.action.is_some() {
        conditions.push(format!("action = {}", next()));
    }
    if filter.outcome.is_some() {
        conditions.push(format!("outcome = {}", next()));
    }
    if filter.from_ms.is_some() {
        conditions.push(format!("at_ms >= {}", next()));
    }
    if filter.until_ms.is_some() {
        conditions.push(format!("at_ms < {}", next()));
    }
    if filter.before_id.is_some() {
        conditions.push(format!("id < {}", next()));
    }
    if filter.after_id.is_some() {
        conditions.push(format!("id > {}", next()));
    }
    let limit_place = next();
    let where_clause =
        if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
    let sql = format!(
        "SELECT id, at_ms, actor, actor_role, action, resource, patient_id, outcome, remote FROM audit_log\
         {where_clause} ORDER BY id DESC LIMIT {limit_place}"
    );
    let mut query = sqlx::query(&sql);
    if let Some(patient_id) = filter.patient_id {
        query = query.bind(patient_id);
    }
    if let Some(actor) = &filter.actor {
        query = query.bind(actor.as_str());
    }
    if let Some(action) = &filter.action {
        query = query.bind(action.as_str());
    }
    if let Some(outcome) = &filter.outcome {
        query = query.bind(outcome.as_str());
    }
    if let Some(from) = filter.from_ms {
        query = query.bind(from);
    }
    if let Some(until) = filter.until_ms {
        query = query.bind(until);
    }
    if let Some(before) = filter.before_id {
        query = query.bind(before);
    }
    if let Some(after) = filter.after_id {
        query = query.bind(after);
    }
    let rows = query.bind(limit.max(1)).fetch_all(conn).await?;
    rows.iter().map(crate::audit::audit_record).collect::<Result<_, sqlx::Error>>().map_err(StoreError::from)
}

/// What a patient was admitted with beyond the demographics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientPreferences {
    pub mrn_system: String,
    /// `en` or `es`.
    pub language: String,
    /// `metric` or `us`.
    pub units: String,
}

/// Appends a patient's preferences (the latest row is the current one).
pub async fn add_patient_preferences(
    conn: &mut Conn,
    patient_id: i64,
    preferences: &PatientPreferences,
    now_ms: i64,
    by: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO patient_preferences (patient_id, mrn_system, language, units, created_at_ms, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(patient_id)
    .bind(preferences.mrn_system.as_str())
    .bind(preferences.language.as_str())
    .bind(preferences.units.as_str())
    .bind(now_ms)
    .bind(by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// A patient's current preferences, if any were recorded.
pub async fn patient_preferences(conn: &mut Conn, patient_id: i64) -> Result<Option<PatientPreferences>, StoreError> {
    let row = sqlx::query(
        "SELECT mrn_system, language, units FROM patient_preferences WHERE patient_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(patient_id)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(PatientPreferences {
            mrn_system: row.try_get("mrn_system")?,
            language: row.try_get("language")?,
            units: row.try_get("units")?,
        })
    })
    .transpose()
    .map_err(|error: sqlx::Error| StoreError::from(error))
}
