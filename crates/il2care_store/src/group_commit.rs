//! Group commit for check-ins and read-audit entries: concurrent writes are queued to one writer task, which
//! stores as many as are waiting in one transaction (one fsync for all of them) and answers each only after
//! the commit. A record read is answered only after its audit entry is durable.
//!
//! Why: SQLite has one writer and every durable commit is an fsync, so one transaction per request caps
//! throughput at the disk's fsync rate. Batching keeps every acknowledged write durable (the answer waits for
//! the commit) while sharing the fsync. Each job runs inside its own savepoint, so one bad job (a missing
//! patient) is refused alone and never takes the others down, on SQLite and on PostgreSQL alike.

use sqlx::AnyPool;
use tokio::sync::{mpsc, oneshot};

use crate::audit::{self, AuditEntry};
use crate::record::{self, CheckIn, Written};
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

enum Job {
    Checkin { checkin: CheckIn, audit: AuditOf, reply: oneshot::Sender<Result<Written, StoreError>> },
    Audit { entry: OwnedAudit, reply: oneshot::Sender<Result<(), StoreError>> },
}

impl Job {
    /// Answers the job with the outcome of its part of the batch (`None`: the batch failed with `error`).
    fn answer(self, outcome: Option<Result<Option<Written>, StoreError>>, error: &str) {
        let outcome = outcome.unwrap_or_else(|| Err(StoreError::Unavailable(error.to_string())));
        match self {
            Job::Checkin { reply, .. } => {
                let _ = reply.send(outcome.and_then(|written| {
                    written.ok_or_else(|| StoreError::Unavailable("no check-in was written".into()))
                }));
            }
            Job::Audit { reply, .. } => {
                let _ = reply.send(outcome.map(|_| ()));
            }
        }
    }
}

/// The queue to the writer task.
#[derive(Clone, Debug)]
pub struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer task on the current runtime.
    pub fn start(pool: AnyPool, backend: Backend) -> Writer {
        let (queue, jobs) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(run(pool, backend, jobs));
        Writer { queue }
    }

    /// Queues one check-in and waits until it is committed (or refused).
    pub async fn submit(&self, checkin: CheckIn, audit: AuditOf) -> Result<Written, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job::Checkin { checkin, audit, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the writer stopped before answering".into()))?
    }

    /// Queues one audit entry and waits until it is committed.
    pub async fn audit(&self, entry: OwnedAudit) -> Result<(), StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Job::Audit { entry, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the writer stopped before answering".into()))?
    }
}

async fn run(pool: AnyPool, backend: Backend, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        match commit(&pool, backend, &batch).await {
            Ok(results) => {
                for (job, result) in batch.into_iter().zip(results) {
                    job.answer(Some(result), "");
                }
            }
            Err(error) => {
                tracing::error!(error = %error, jobs = batch.len(), "batch not committed");
                let error = error.to_string();
                for job in batch {
                    job.answer(None, &error);
                }
            }
        }
    }
}

/// Stores the batch in one transaction; the outer error means nothing was committed.
async fn commit(
    pool: &AnyPool,
    backend: Backend,
    batch: &[Job],
) -> Result<Vec<Result<Option<Written>, StoreError>>, StoreError> {
    let mut transaction = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        sqlx::query("SAVEPOINT checkin_job").execute(&mut *transaction).await?;
        let stored = async {
            match job {
                Job::Checkin { checkin, audit: by, .. } => {
                    let written = record::add_checkin(&mut transaction, checkin, by.at_ms, &by.actor).await?;
                    let resource = format!("checkin/{}", written.id());
                    let entry = AuditEntry {
                        at_ms: by.at_ms,
                        actor: &by.actor,
                        actor_role: &by.actor_role,
                        action: "write",
                        resource: &resource,
                        patient_id: Some(checkin.patient_id),
                        outcome: "ok",
                        remote: &by.remote,
                    };
                    audit::append(&mut transaction, &entry).await?;
                    Ok::<Option<Written>, StoreError>(Some(written))
                }
                Job::Audit { entry, .. } => {
                    let borrowed = AuditEntry {
                        at_ms: entry.at_ms,
                        actor: &entry.actor,
                        actor_role: &entry.actor_role,
                        action: &entry.action,
                        resource: &entry.resource,
                        patient_id: entry.patient_id,
                        outcome: &entry.outcome,
                        remote: &entry.remote,
                    };
                    audit::append(&mut transaction, &borrowed).await?;
                    Ok(None)
                }
            }
        }
        .await;
        match stored {
            Ok(written) => {
                sqlx::query("RELEASE SAVEPOINT checkin_job").execute(&mut *transaction).await?;
                results.push(Ok(written));
            }
            Err(error) => {
                sqlx::query("ROLLBACK TO SAVEPOINT checkin_job").execute(&mut *transaction).await?;
                sqlx::query("RELEASE SAVEPOINT checkin_job").execute(&mut *transaction).await?;
                results.push(Err(error));
            }
        }
    }
    transaction.commit().await?;
    Ok(results)
}
