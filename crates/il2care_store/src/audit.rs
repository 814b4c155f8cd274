//! The audit log: who read or wrote what, when, and from where. Append-only: there is no update or delete
//! (database triggers refuse both), and tamper-evident: each entry carries its place in a hash chain, a
//! SHA-256 over its fields and the previous entry's hash, and the chain head (last place and hash) is kept in
//! one row updated in the same transaction. [`verify`] walks the chain: an edited entry no longer matches its
//! hash, a deleted one breaks the link of the next, and a deleted newest entry leaves the head pointing past
//! the end. On PostgreSQL the head row is locked (`FOR UPDATE`) before an extension, so concurrent writers
//! extend the chain one after the other; on SQLite every writer holds the database's write lock already.
//!
//! Entries carry ids and actions, never clinical values or names.

use sha2::{Digest, Sha256};
use sqlx::{Connection, Row};

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

/// Appends one entry. Inside a transaction the entry commits with it; on a connection outside one, the entry
/// gets a transaction of its own (the chain head must move with it).
pub async fn append(conn: &mut Conn, entry: &AuditEntry<'_>) -> Result<(), StoreError> {
    if conn.is_in_transaction() {
        return append_all(conn, std::slice::from_ref(entry)).await;
    }
    let is_sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let mut transaction = if is_sqlite { conn.begin_with("BEGIN IMMEDIATE").await? } else { conn.begin().await? };
    append_all(&mut transaction, std::slice::from_ref(entry)).await?;
    transaction.commit().await?;
    Ok(())
}

/// The hash of an entry at place `seq` of the chain after `prev_hash`: SHA-256 (hex) over every field,
/// each preceded by its length, so no two different entries share an input.
pub fn entry_hash(seq: i64, prev_hash: &str, entry: &AuditEntry<'_>) -> String {
    let mut hasher = Sha256::new();
    let patient = entry.patient_id.map_or_else(String::new, |id| id.to_string());
    let fields: [&str; 11] = [
        "il2care-audit-v1",
        &seq.to_string(),
        prev_hash,
        &entry.at_ms.to_string(),
        entry.actor,
        entry.actor_role,
        entry.action,
        entry.resource,
        &patient,
        entry.outcome,
        entry.remote,
    ];
    for field in fields {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Appends `entries`, in order, to the chain; the caller's transaction commits them (it must be one: the
/// head row is read, locked on PostgreSQL, and moved in it).
pub async fn append_all(conn: &mut Conn, entries: &[AuditEntry<'_>]) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let lock = if conn.backend_name().eq_ignore_ascii_case("sqlite") { "" } else { " FOR UPDATE" };
    let head = sqlx::query(&format!("SELECT seq, hash FROM audit_chain_head WHERE id = 1{lock}"))
        .fetch_one(&mut *conn)
        .await?;
    let mut seq: i64 = head.try_get("seq")?;
    let mut prev: String = head.try_get("hash")?;
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        seq += 1;
        let hash = entry_hash(seq, &prev, entry);
        rows.push((seq, prev, hash.clone()));
        prev = hash;
    }
    // At most 1,000 rows (11,000 parameters) per statement.
    for (chunk, chunk_rows) in entries.chunks(1000).zip(rows.chunks(1000)) {
        let places: Vec<String> = (0..chunk.len())
            .map(|row| {
                let first = 11 * row + 1;
                // Anonymous on SQLite: its driver looks up each numbered parameter's name by a linear walk.
                let places: Vec<String> = (first..first + 11)
                    .map(|place| if lock.is_empty() { "?".to_string() } else { format!("${place}") })
                    .collect();
                format!("({})", places.join(", "))
            })
            .collect();
        let sql = format!(
            "INSERT INTO audit_log (at_ms, actor, actor_role, action, resource, patient_id, outcome, remote, \
             chain_seq, prev_hash, hash) VALUES {}",
            places.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (entry, (seq, prev_hash, hash)) in chunk.iter().zip(chunk_rows) {
            query = query
                .bind(entry.at_ms)
                .bind(entry.actor)
                .bind(entry.actor_role)
                .bind(entry.action)
                .bind(entry.resource)
                .bind(entry.patient_id)
                .bind(entry.outcome)
                .bind(entry.remote)
                .bind(*seq)
                .bind(prev_hash.as_str())
                .bind(hash.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    sqlx::query("UPDATE audit_chain_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(seq)
        .bind(&prev)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The outcome of walking the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verification {
    /// Every chained entry matches; `unchained` entries predate the chain (migration 8).
    Intact { entries: i64, unchained: i64, head_hash: String },
    /// The first entry (by chain place) that does not match, or the place where one is missing.
    Broken { id: Option<i64>, seq: i64, reason: String },
}

/// Walks the whole chain, oldest first, and names the first place where it breaks.
pub async fn verify(conn: &mut Conn) -> Result<Verification, StoreError> {
    let head = sqlx::query("SELECT seq, hash FROM audit_chain_head WHERE id = 1").fetch_one(&mut *conn).await?;
    let head_seq: i64 = head.try_get("seq")?;
    let head_hash: String = head.try_get("hash")?;
    let first_chained: Option<i64> = sqlx::query("SELECT MIN(id) AS first FROM audit_log WHERE chain_seq IS NOT NULL")
        .fetch_one(&mut *conn)
        .await?
        .try_get("first")?;
    // Entries without a place: those before the chain began are history; any after it is a forgery.
    let unchained_rows =
        sqlx::query("SELECT id FROM audit_log WHERE chain_seq IS NULL ORDER BY id").fetch_all(&mut *conn).await?;
    let mut unchained = 0;
    for row in &unchained_rows {
        let id: i64 = row.try_get("id")?;
        if first_chained.is_some_and(|first| id > first) {
            return Ok(Verification::Broken {
                id: Some(id),
                seq: 0,
                reason: "an entry without a place in the chain was added after the chain began".into(),
            });
        }
        unchained += 1;
    }
    let mut expected_seq = 0;
    let mut prev = String::new();
    let mut last_id: i64 = 0;
    loop {
        let rows = sqlx::query(
            "SELECT id, at_ms, actor, actor_role, action, resource, patient_id, outcome, remote, chain_seq, \
             prev_hash, hash FROM audit_log WHERE chain_seq > $1 ORDER BY chain_seq LIMIT 5000",
        )
        .bind(expected_seq)
        .fetch_all(&mut *conn)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let id: i64 = row.try_get("id")?;
            let seq: i64 = row.try_get("chain_seq")?;
            expected_seq += 1;
            if seq != expected_seq {
                return Ok(Verification::Broken {
                    id: Some(id),
                    seq: expected_seq,
                    reason: format!("entry {expected_seq} of the chain is missing (the next one found is {seq})"),
                });
            }
            if id <= last_id {
                return Ok(Verification::Broken { id: Some(id), seq, reason: "entries are out of order".into() });
            }
            last_id = id;
            let (actor, actor_role, action, resource, outcome, remote): (
                String,
                String,
                String,
                String,
                String,
                String,
            ) = (
                row.try_get("actor")?,
                row.try_get("actor_role")?,
                row.try_get("action")?,
                row.try_get("resource")?,
                row.try_get("outcome")?,
                row.try_get("remote")?,
            );
            let entry = AuditEntry {
                at_ms: row.try_get("at_ms")?,
                actor: &actor,
                actor_role: &actor_role,
                action: &action,
                resource: &resource,
                patient_id: row.try_get("patient_id")?,
                outcome: &outcome,
                remote: &remote,
            };
            let prev_hash: Option<String> = row.try_get("prev_hash")?;
            let hash: Option<String> = row.try_get("hash")?;
            if prev_hash.as_deref() != Some(prev.as_str()) {
                return Ok(Verification::Broken {
                    id: Some(id),
                    seq,
                    reason: "its link to the previous entry does not match (an entry before it was removed or changed)"
                        .into(),
                });
            }
            let computed = entry_hash(seq, &prev, &entry);
            if hash.as_deref() != Some(computed.as_str()) {
                return Ok(Verification::Broken {
                    id: Some(id),
                    seq,
                    reason: "its content does not match its hash (the entry was changed)".into(),
                });
            }
            prev = computed;
        }
    }
    if expected_seq != head_seq || prev != head_hash {
        return Ok(Verification::Broken {
            id: None,
            seq: expected_seq + 1,
            reason: format!(
                "the chain ends at entry {expected_seq} but its head says {head_seq}: the newest entries were removed"
            ),
        });
    }
    Ok(Verification::Intact { entries: expected_seq, unchained, head_hash })
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
    rows.iter().map(audit_record).collect::<Result<_, sqlx::Error>>().map_err(StoreError::from)
}

/// An audit entry from a row of `audit_log` (every listing reads the same columns).
pub(crate) fn audit_record(row: &sqlx::any::AnyRow) -> Result<AuditRecord, sqlx::Error> {
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
}
