//! Group commit for check-ins: concurrent submissions are queued to one writer task, which stores as many
//! as are waiting in one transaction (one fsync for all of them) and answers each only after the commit.
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

struct Job {
    checkin: CheckIn,
    audit: AuditOf,
    reply: oneshot::Sender<Result<Written, StoreError>>,
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
            .send(Job { checkin, audit, reply })
            .await
            .map_err(|_| StoreError::Unavailable("the check-in writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the check-in writer stopped before answering".into()))?
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
                    let _ = job.reply.send(result);
                }
            }
            Err(error) => {
                tracing::error!(error = %error, jobs = batch.len(), "check-in batch not committed");
                for job in batch {
                    let _ = job.reply.send(Err(StoreError::Unavailable(error.to_string())));
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
) -> Result<Vec<Result<Written, StoreError>>, StoreError> {
    let mut transaction = match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    };
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        sqlx::query("SAVEPOINT checkin_job").execute(&mut *transaction).await?;
        let stored = async {
            let written =
                record::add_checkin(&mut transaction, &job.checkin, job.audit.at_ms, &job.audit.actor).await?;
            let resource = format!("checkin/{}", written.id());
            let entry = AuditEntry {
                at_ms: job.audit.at_ms,
                actor: &job.audit.actor,
                actor_role: &job.audit.actor_role,
                action: "write",
                resource: &resource,
                patient_id: Some(job.checkin.patient_id),
                outcome: "ok",
                remote: &job.audit.remote,
            };
            audit::append(&mut transaction, &entry).await?;
            Ok::<Written, StoreError>(written)
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
