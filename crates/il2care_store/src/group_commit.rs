//! Group commit for check-ins and read-audit entries: concurrent writes are queued to one writer task, which
//! stores as many as are waiting in one transaction (one fsync for all of them) and answers each only after
//! the commit. A record read is answered only after its audit entry is durable.
//!
//! Why: SQLite has one writer and every durable commit is an fsync, so one transaction per request caps
//! throughput at the disk's fsync rate. Batching keeps every acknowledged write durable (the answer waits for
//! the commit) while sharing the fsync. Each job runs inside its own savepoint, so one bad job (a missing
//! patient) is refused alone and never takes the others down, on SQLite and on PostgreSQL alike.
//!
//! Faults: a batch whose transaction fails (an I/O error, a full disk, a lost connection) is answered with an
//! error for each of its jobs, nothing of it is visible, and its connection is closed rather than reused (a
//! SQLite connection whose COMMIT failed is left believing it is still in a transaction: the pool's
//! `before_acquire` check closes it, and a lost PostgreSQL connection fails the pool's ping); the next batch
//! gets a fresh one. The writer keeps running: service resumes by itself as soon as the database accepts
//! writes again. `probe` is a write that `/healthz` waits for, so health follows the writer.
//!
//! An EHR's read also records its token id (`jti`) in the same commit: a token seen before (on any instance
//! sharing the database) is a replay, audited as denied, and the read is not answered. Ids past their
//! `kept_until_ms` are pruned at most once a minute.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use sqlx::{AnyPool, Row};
use tokio::sync::{mpsc, oneshot};

use crate::audit::{self, AuditEntry};
use crate::record::{self, StoredCheckIn, Written};
use crate::{Backend, StoreError};

/// The most jobs one transaction takes.
const MAX_BATCH: usize = 256;

/// Who wrote the check-in, for its audit entry (the resource, `checkin/{id}`, is known only after the insert).
#[derive(Clone, Debug)]
pub struct AuditOf {
    pub at_ms: i64,
    pub actor: String,
    pub actor_role: String,
    pub remote: String,
}

/// An audit entry that owns its text, for a read audited through the writer.
#[derive(Clone, Debug)]
pub struct OwnedAudit {
    pub at_ms: i64,
    pub actor: String,
    pub actor_role: String,
    pub action: String,
    pub resource: String,
    pub patient_id: Option<i64>,
    pub outcome: String,
    pub remote: String,
}

/// One use of an EHR's token: remembered until `kept_until_ms`, so the same token cannot be used twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenUse {
    pub iss: String,
    pub jti: String,
    /// When the token can no longer be accepted anyway (its `exp` plus the clock leeway).
    pub kept_until_ms: i64,
}

/// A CDS Hooks card as issued: kept with its patient and service until `kept_until_ms`, so that feedback can
/// be accepted for it (and only for it) and audited under its patient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCard {
    pub uuid: String,
    pub service_id: String,
    pub patient_id: i64,
    /// The audit actor the card was issued to (`ehr:<iss>` or a staff account).
    pub issued_to: String,
    pub kept_until_ms: i64,
}

/// Whether a token was used for the first time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenCheck {
    Fresh,
    /// Seen before: the read was audited as denied.
    Replayed,
}

enum Job {
    Checkin {
        checkin: StoredCheckIn,
        audit: AuditOf,
        reply: oneshot::Sender<Result<Written, StoreError>>,
    },
    Audit {
        entry: OwnedAudit,
        token: Option<TokenUse>,
        /// Cards issued by the call audited (stored only when its token is fresh).
        cards: Vec<IssuedCard>,
        reply: oneshot::Sender<Result<TokenCheck, StoreError>>,
    },
    /// A write that only proves writes commit (for `/healthz`).
    Probe {
        at_ms: i64,
        reply: oneshot::Sender<Result<(), StoreError>>,
    },
}

/// What one job stored.
enum Done {
    Written(Written),
    Audited(TokenCheck),
    Probed,
}

impl Job {
    /// Answers the job with the outcome of its part of the batch (`None`: the batch failed with `error`).
    fn answer(self, outcome: Option<Result<Done, StoreError>>, error: &str) {
        let outcome = outcome.unwrap_or_else(|| Err(StoreError::Unavailable(error.to_string())));
        let unexpected = || StoreError::Unavailable("the writer stored something other than asked".into());
        match self {
            Job::Checkin { reply, .. } => {
                let _ = reply.send(outcome.and_then(|done| match done {
                    Done::Written(written) => Ok(written),
                    Done::Audited(_) | Done::Probed => Err(unexpected()),
                }));
            }
            Job::Audit { reply, .. } => {
                let _ = reply.send(outcome.and_then(|done| match done {
                    Done::Audited(check) => Ok(check),
                    Done::Written(_) | Done::Probed => Err(unexpected()),
                }));
            }
            Job::Probe { reply, .. } => {
                let _ = reply.send(outcome.and_then(|done| match done {
                    Done::Probed => Ok(()),
                    Done::Written(_) | Done::Audited(_) => Err(unexpected()),
                }));
            }
        }
    }

    fn token(&self) -> Option<&TokenUse> {
        match self {
            Job::Audit { token, .. } => token.as_ref(),
            Job::Checkin { .. } | Job::Probe { .. } => None,
        }
    }
}

/// How often used token ids are pruned, at most.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// What the writer shares with the store: whether its last batch failed, and (for tests) an injected fault.
#[derive(Debug, Default)]
pub struct WriterHealth {
    failing: AtomicBool,
    inject_failure: AtomicBool,
}

impl WriterHealth {
    /// Whether the last batch failed to commit.
    pub fn is_failing(&self) -> bool {
        self.failing.load(Ordering::Acquire)
    }

    /// Makes every batch fail at its commit, the way the database fails it (SQLite: the transaction is gone
    /// when COMMIT runs, as after an I/O error; PostgreSQL: the connection is cut), until set back to false.
    pub fn inject_commit_failure(&self, fail: bool) {
        self.inject_failure.store(fail, Ordering::Release);
    }
}

/// The queue to the writer task.
#[derive(Clone, Debug)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
    health: Arc<WriterHealth>,
}

impl Writer {
    /// Starts the writer task on the current runtime.
    pub fn start(pool: AnyPool, backend: Backend) -> Writer {
        let (queue, jobs) = mpsc::channel(4 * MAX_BATCH);
        let health = Arc::new(WriterHealth::default());
        tokio::spawn(run(pool, backend, jobs, Arc::clone(&health)));
        Writer { queue, health }
    }

    /// The writer's health, shared with its task.
    pub fn health(&self) -> &WriterHealth {
        &self.health
    }

    /// Writes one row through the writer and waits for the commit: fails while writes fail.
    pub async fn probe(&self, at_ms: i64) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job::Probe { at_ms, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the writer stopped before answering".into()))?
    }

    /// Queues one check-in and waits until it is committed (or refused).
    pub async fn submit(&self, checkin: StoredCheckIn, audit: AuditOf) -> Result<Written, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job::Checkin { checkin, audit, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the writer stopped before answering".into()))?
    }

    /// Queues one audit entry and waits until it is committed.
    pub async fn audit(&self, entry: OwnedAudit) -> Result<(), StoreError> {
        self.audit_with_token(entry, None).await.map(|_| ())
    }

    /// Queues one audit entry with the use of the caller's token and waits until both are committed; a token
    /// used before is `Replayed` and the entry is stored as a denial instead.
    pub async fn audit_with_token(&self, entry: OwnedAudit, token: Option<TokenUse>) -> Result<TokenCheck, StoreError> {
        self.audit_with_cards(entry, token, Vec::new()).await
    }

    /// As [`Writer::audit_with_token`], storing the cards the call issued in the same commit (none when the
    /// token was replayed).
    pub async fn audit_with_cards(
        &self,
        entry: OwnedAudit,
        token: Option<TokenUse>,
        cards: Vec<IssuedCard>,
    ) -> Result<TokenCheck, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job::Audit { entry, token, cards, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the writer stopped before answering".into()))?
    }
}

async fn run(pool: AnyPool, backend: Backend, mut jobs: mpsc::Receiver<Job>, health: Arc<WriterHealth>) {
    let mut last_prune: Option<std::time::Instant> = None;
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Prune with the batch's own clock (the callers' `at_ms`), at most once a minute.
        let prunes = |job: &Job| job.token().is_some() || matches!(job, Job::Audit { cards, .. } if !cards.is_empty());
        let prune_before = match batch.iter().find(|job| prunes(job)) {
            Some(_) if last_prune.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) => {
                last_prune = Some(std::time::Instant::now());
                batch
                    .iter()
                    .filter_map(|job| if let Job::Audit { entry, .. } = job { Some(entry.at_ms) } else { None })
                    .max()
            }
            _ => None,
        };
        let inject = health.inject_failure.load(Ordering::Acquire);
        match commit(&pool, backend, &batch, prune_before, inject).await {
            Ok(results) => {
                if health.failing.swap(false, Ordering::AcqRel) {
                    tracing::warn!("the writer commits again");
                }
                for (job, result) in batch.into_iter().zip(results) {
                    job.answer(Some(result), "");
                }
            }
            Err(error) => {
                health.failing.store(true, Ordering::Release);
                tracing::error!(error = %error, jobs = batch.len(), "batch not committed");
                let error = error.to_string();
                for job in batch {
                    job.answer(None, &error);
                }
            }
        }
    }
}

/// Stores the batch in one transaction; the outer error means nothing was committed. Check-ins go one by one,
/// each in a savepoint (one can be refused alone); the audit jobs of the batch go together, in at most two
/// statements (their token uses, then their entries), since they fail only when the database does.
async fn commit(
    pool: &AnyPool,
    backend: Backend,
    batch: &[Job],
    prune_before: Option<i64>,
    inject: bool,
) -> Result<Vec<Result<Done, StoreError>>, StoreError> {
    let mut transaction = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    let mut results: Vec<Option<Result<Done, StoreError>>> = batch.iter().map(|_| None).collect();
    for (index, job) in batch.iter().enumerate() {
        if let Job::Probe { at_ms, .. } = job {
            sqlx::query("UPDATE writer_probe SET at_ms = $1 WHERE id = 1")
                .bind(*at_ms)
                .execute(&mut *transaction)
                .await?;
            results[index] = Some(Ok(Done::Probed));
        }
    }
    if let Some(now_ms) = prune_before {
        sqlx::query("DELETE FROM cds_token_uses WHERE kept_until_ms < $1")
            .bind(now_ms)
            .execute(&mut *transaction)
            .await?;
        sqlx::query("DELETE FROM cds_cards WHERE kept_until_ms < $1").bind(now_ms).execute(&mut *transaction).await?;
    }
    // Each stored check-in's audit entry joins the batch's other entries in one extension of the chain (one
    // read and one move of its head per batch), in the same transaction as the check-in.
    let mut written: Vec<OwnedAudit> = Vec::new();
    for (index, job) in batch.iter().enumerate() {
        let Job::Checkin { checkin, audit: by, .. } = job else { continue };
        sqlx::query("SAVEPOINT checkin_job").execute(&mut *transaction).await?;
        let stored = record::add_checkin(&mut transaction, checkin, by.at_ms, &by.actor).await;
        if let Ok(stored) = &stored {
            sqlx::query("RELEASE SAVEPOINT checkin_job").execute(&mut *transaction).await?;
            written.push(OwnedAudit {
                at_ms: by.at_ms,
                actor: by.actor.clone(),
                actor_role: by.actor_role.clone(),
                action: "write".into(),
                resource: format!("checkin/{}", stored.id()),
                patient_id: Some(checkin.patient_id),
                outcome: "ok".into(),
                remote: by.remote.clone(),
            });
        } else {
            sqlx::query("ROLLBACK TO SAVEPOINT checkin_job").execute(&mut *transaction).await?;
            sqlx::query("RELEASE SAVEPOINT checkin_job").execute(&mut *transaction).await?;
        }
        results[index] = Some(stored.map(Done::Written));
    }
    let audits: Vec<(usize, &OwnedAudit, Option<&TokenUse>)> = batch
        .iter()
        .enumerate()
        .filter_map(|(index, job)| match job {
            Job::Audit { entry, token, .. } => Some((index, entry, token.as_ref())),
            Job::Checkin { .. } | Job::Probe { .. } => None,
        })
        .collect();
    let fresh = use_tokens(&mut transaction, &audits).await?;
    let checks: Vec<TokenCheck> = audits
        .iter()
        .map(|(index, _, token)| match token {
            Some(_) if !fresh.contains(index) => TokenCheck::Replayed,
            _ => TokenCheck::Fresh,
        })
        .collect();
    append_audits(&mut transaction, &written, &audits, &checks).await?;
    let issued: Vec<(&IssuedCard, i64)> = batch
        .iter()
        .filter_map(|job| match job {
            Job::Audit { entry, cards, .. } => Some((entry, cards)),
            Job::Checkin { .. } | Job::Probe { .. } => None,
        })
        .zip(&checks)
        .filter(|(_, check)| **check == TokenCheck::Fresh)
        .flat_map(|((entry, cards), _)| cards.iter().map(move |card| (card, entry.at_ms)))
        .collect();
    store_cards(&mut transaction, &issued).await?;
    for ((index, ..), check) in audits.iter().zip(checks) {
        results[*index] = Some(Ok(Done::Audited(check)));
    }
    if inject {
        // The fault a full disk or an I/O error leaves: SQLite has rolled the transaction back by itself and
        // the COMMIT fails; on PostgreSQL, the connection is lost before the commit.
        match backend {
            Backend::Sqlite => {
                sqlx::query("ROLLBACK").execute(&mut *transaction).await?;
            }
            Backend::Postgres => {
                sqlx::query("SELECT pg_terminate_backend(pg_backend_pid())").execute(&mut *transaction).await?;
            }
        }
    }
    transaction.commit().await?;
    Ok(results
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err(StoreError::Unavailable("a job was not stored".into()))))
        .collect())
}

/// Records the batch's token uses in one statement; the answer is the indexes of the jobs whose token was
/// used for the first time. A token seen twice in one batch is fresh only for its first job.
async fn use_tokens(
    connection: &mut crate::Conn,
    audits: &[(usize, &OwnedAudit, Option<&TokenUse>)],
) -> Result<Vec<usize>, StoreError> {
    let mut candidates: Vec<(usize, &TokenUse, i64)> = Vec::new();
    for (index, entry, token) in audits {
        if let Some(token) = token
            && !candidates.iter().any(|(_, seen, _)| seen.iss == token.iss && seen.jti == token.jti)
        {
            candidates.push((*index, token, entry.at_ms));
        }
    }
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<String> = (0..candidates.len())
        .map(|row| format!("(${}, ${}, ${}, ${})", 4 * row + 1, 4 * row + 2, 4 * row + 3, 4 * row + 4))
        .collect();
    let sql = format!(
        "INSERT INTO cds_token_uses (iss, jti, kept_until_ms, used_at_ms) VALUES {} \
         ON CONFLICT (iss, jti) DO NOTHING RETURNING iss, jti",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql);
    for (_, token, at_ms) in &candidates {
        query = query.bind(&token.iss).bind(&token.jti).bind(token.kept_until_ms).bind(*at_ms);
    }
    let inserted = query.fetch_all(connection).await?;
    let mut fresh = Vec::with_capacity(inserted.len());
    for row in &inserted {
        let iss: String = row.try_get("iss")?;
        let jti: String = row.try_get("jti")?;
        fresh.extend(candidates.iter().filter(|(_, token, _)| token.iss == iss && token.jti == jti).map(|c| c.0));
    }
    Ok(fresh)
}

/// Stores the issued cards of the batch, at most a few hundred rows per statement.
async fn store_cards(connection: &mut crate::Conn, cards: &[(&IssuedCard, i64)]) -> Result<(), StoreError> {
    for chunk in cards.chunks(100) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| {
                let first = 6 * row;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${})",
                    first + 1,
                    first + 2,
                    first + 3,
                    first + 4,
                    first + 5,
                    first + 6
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO cds_cards (uuid, service_id, patient_id, issued_to, issued_at_ms, kept_until_ms) VALUES {} \
             ON CONFLICT (uuid) DO NOTHING",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (card, at_ms) in chunk {
            query = query
                .bind(&card.uuid)
                .bind(&card.service_id)
                .bind(card.patient_id)
                .bind(&card.issued_to)
                .bind(*at_ms)
                .bind(card.kept_until_ms);
        }
        query.execute(&mut *connection).await?;
    }
    Ok(())
}

/// Appends the batch's audit entries to the chain, the stored check-ins' first; a replayed token's entry is
/// stored as a denial.
async fn append_audits(
    connection: &mut crate::Conn,
    written: &[OwnedAudit],
    audits: &[(usize, &OwnedAudit, Option<&TokenUse>)],
    checks: &[TokenCheck],
) -> Result<(), StoreError> {
    let writes = written.iter().map(|entry| AuditEntry {
        at_ms: entry.at_ms,
        actor: &entry.actor,
        actor_role: &entry.actor_role,
        action: &entry.action,
        resource: &entry.resource,
        patient_id: entry.patient_id,
        outcome: &entry.outcome,
        remote: &entry.remote,
    });
    let entries: Vec<AuditEntry<'_>> = writes
        .chain(audits.iter().zip(checks).map(|((_, entry, _), check)| {
            let replayed = *check == TokenCheck::Replayed;
            AuditEntry {
                at_ms: entry.at_ms,
                actor: &entry.actor,
                actor_role: &entry.actor_role,
                action: if replayed { "denied" } else { entry.action.as_str() },
                resource: &entry.resource,
                patient_id: entry.patient_id,
                outcome: if replayed { "replayed_token" } else { entry.outcome.as_str() },
                remote: &entry.remote,
            }
        }))
        .collect();
    audit::append_all(connection, &entries).await
}
