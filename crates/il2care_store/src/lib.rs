//! The record: patients, courses, observations, check-ins, assessments, dose events, flags, the injection log
//! of low-dose courses, pre-treatment screenings, accounts, and the append-only audit log, in SQLite (embedded,
//! the default) or PostgreSQL. Only this crate knows SQL.
//!
//! One SQL text serves both databases through `sqlx::Any` (numbered `$1` parameters, integer ids, times as
//! epoch milliseconds, decimals and documents as text), so the same test suite proves both. Functions take a
//! connection or transaction; callers (the web handlers) own transaction boundaries, so that an audit entry
//! is written in the same transaction as the change it records. Nothing here decides anything clinical.

use std::str::FromStr;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};

pub use group_commit::WriterHealth;

pub mod accounts;
pub mod administration;
pub mod audit;
pub mod bulk;
pub mod cds;
pub mod group_commit;
pub mod migrations;
pub mod record;
pub mod smart;
#[cfg(feature = "testing")]
pub mod testing;
pub mod ward;
// Issue 16: the pharmacist's desk (dose verifications, dosing weight and height).
pub mod pharmacy;

/// The database driver's error, for callers that commit or roll back a transaction.
pub use sqlx::Error as DbError;

/// A connection or a transaction; every store function takes one.
pub type Conn = AnyConnection;
/// An open transaction.
pub type Transaction = sqlx::Transaction<'static, sqlx::Any>;

/// Failures of the store, mapped by the web layer to one status each.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error("the write could not be committed: {0}")]
    Unavailable(String),
}

/// Turns a unique-constraint violation into a domain conflict.
pub(crate) fn conflict_on_unique(error: sqlx::Error, what: &str) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what.to_string()),
        _ => StoreError::Db(error),
    }
}

/// Which database is behind the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The record behind a pool of connections.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    /// The one connection of the group-commit writer.
    writer_pool: AnyPool,
    backend: Backend,
    /// The group-commit writer of check-ins (see `group_commit`).
    checkins: group_commit::Writer,
}

impl Store {
    /// Opens (and for SQLite creates) the database at `url` and applies pending migrations.
    ///
    /// `sqlite://PATH` uses WAL with `synchronous=FULL`, so an acknowledged commit survives a crash;
    /// `postgres://...` uses the server as configured.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(StoreError::Conflict(format!("database URL must start with sqlite: or postgres: ({url})")));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") => {
                format!("{url}{}mode=rwc", if url.contains('?') { "&" } else { "?" })
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)?.disable_statement_logging();
        let pool_with = |connections: u32| {
            // A SQLite connection is a file handle that cannot go stale: no ping before each use (it costs
            // a round trip to the connection's thread). PostgreSQL connections are checked, as by default.
            AnyPoolOptions::new()
                .max_connections(connections)
                .test_before_acquire(backend == Backend::Postgres)
                // A connection whose transaction could not be ended (its COMMIT and ROLLBACK failed, as after
                // an I/O error) is closed instead of handed out again: the next user gets a fresh one.
                .before_acquire(|connection, _| {
                    let usable = !connection.is_in_transaction();
                    Box::pin(async move {
                        if !usable {
                            tracing::warn!("closing a pooled connection left inside a failed transaction");
                        }
                        Ok(usable)
                    })
                })
                .after_connect(move |connection, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        connection
                            .execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;")
                            .await?;
                    }
                    Ok(())
                })
            })
        };
        let pool = pool_with(if backend == Backend::Sqlite { 8 } else { 16 }).connect_with(options.clone()).await?;
        // The group-commit writer has a connection of its own: handlers wait for it while holding pooled
        // connections, so it must never wait for the shared pool.
        let writer_pool = pool_with(1).connect_with(options).await?;
        let checkins = group_commit::Writer::start(writer_pool.clone(), backend);
        let store = Store { pool, writer_pool, backend, checkins };
        store.migrate().await?;
        Ok(store)
    }

    /// The database behind the store.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction. SQLite transactions take the write lock at once (`BEGIN IMMEDIATE`), so two
    /// writers wait for each other instead of failing half-way.
    pub async fn begin(&self) -> Result<Transaction, StoreError> {
        let transaction = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(transaction)
    }

    /// A pooled connection for one bulk write (an import). On SQLite its statement journals are kept in memory
    /// (`PRAGMA temp_store = MEMORY`: a multi-row insert journals its pages, and a temporary file costs a write
    /// per page), and it is closed instead of pooled again once dropped, so no other use inherits the setting.
    pub async fn bulk_connection(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        let mut connection = self.pool.acquire().await?;
        if self.backend == Backend::Sqlite {
            connection.close_on_drop();
            connection.execute("PRAGMA temp_store = MEMORY").await?;
        }
        Ok(connection)
    }

    /// Starts a transaction on `connection` (one of [`Store::bulk_connection`]) as [`Store::begin`] does.
    pub async fn begin_on<'c>(&self, connection: &'c mut Conn) -> Result<sqlx::Transaction<'c, sqlx::Any>, StoreError> {
        let transaction = match self.backend {
            Backend::Sqlite => sqlx::Connection::begin_with(connection, "BEGIN IMMEDIATE").await?,
            Backend::Postgres => sqlx::Connection::begin(connection).await?,
        };
        Ok(transaction)
    }

    /// Stores a check-in and its audit entry through the group-commit writer: many concurrent submissions
    /// share one transaction and one fsync, and each is answered only after that transaction committed.
    pub async fn add_checkin_durably(
        &self,
        checkin: record::StoredCheckIn,
        audit: group_commit::AuditOf,
    ) -> Result<record::Written, StoreError> {
        self.checkins.submit(checkin, audit).await
    }

    /// Appends an audit entry through the group-commit writer and waits until it is durable: for record
    /// reads, which have no transaction of their own to put it in.
    pub async fn audit_durably(&self, entry: group_commit::OwnedAudit) -> Result<(), StoreError> {
        self.checkins.audit(entry).await
    }

    /// Appends an EHR's audit entry together with the use of its token, durably; a token used before is
    /// `Replayed` (the entry is stored as a denial).
    pub async fn audit_token_durably(
        &self,
        entry: group_commit::OwnedAudit,
        token: group_commit::TokenUse,
    ) -> Result<group_commit::TokenCheck, StoreError> {
        self.checkins.audit_with_token(entry, Some(token)).await
    }

    /// Appends a CDS call's audit entry, the use of the EHR's token (when an EHR calls) and the cards the call
    /// issued, durably and in one commit shared with other waiting writes: a replayed token stores no card.
    pub async fn audit_cards_durably(
        &self,
        entry: group_commit::OwnedAudit,
        token: Option<group_commit::TokenUse>,
        cards: Vec<group_commit::IssuedCard>,
    ) -> Result<group_commit::TokenCheck, StoreError> {
        self.checkins.audit_with_cards(entry, token, cards).await
    }

    /// A pooled connection for reads outside a transaction.
    pub async fn connection(&self) -> Result<sqlx::pool::PoolConnection<sqlx::Any>, StoreError> {
        Ok(self.pool.acquire().await?)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
        self.writer_pool.close().await;
    }

    /// Applies every pending migration of this backend (see [`migrations`]).
    async fn migrate(&self) -> Result<(), StoreError> {
        let mut connection = self.pool.acquire().await?;
        migrations::run(&mut connection, self.backend).await
    }

    /// The group-commit writer's health (and, for tests, its fault injection).
    pub fn writer_health(&self) -> &WriterHealth {
        self.checkins.health()
    }

    /// Checks that a write commits through the group-commit writer: what `/healthz` waits for, so it fails
    /// while writes fail and recovers with them.
    pub async fn check_writes(&self, now_ms: i64) -> Result<(), StoreError> {
        self.checkins.probe(now_ms).await
    }

    /// Walks the audit log's hash chain (see [`audit::verify`]).
    pub async fn verify_audit(&self) -> Result<audit::Verification, StoreError> {
        let mut connection = self.pool.acquire().await?;
        audit::verify(&mut connection).await
    }

    /// Checks the database opens, answers, and commits a write through the group-commit writer; for `/healthz`
    /// (which so fails while writes fail and recovers with them) and after a restart. `now_ms` times the probe
    /// write; the caller reads the clock.
    pub async fn check(&self, now_ms: i64) -> Result<(), StoreError> {
        self.check_reads().await?;
        self.check_writes(now_ms).await
    }

    /// Checks the database opens and answers reads (SQLite: its integrity check).
    async fn check_reads(&self) -> Result<(), StoreError> {
        let mut connection = self.pool.acquire().await?;
        if self.backend == Backend::Sqlite {
            let (result,): (String,) = sqlx::query_as("PRAGMA quick_check").fetch_one(&mut *connection).await?;
            if result != "ok" {
                return Err(StoreError::Corrupt(result));
            }
        } else {
            sqlx::query("SELECT 1").execute(&mut *connection).await?;
        }
        Ok(())
    }

    /// Writes a consistent copy of a SQLite database to `path` (`VACUUM INTO`).
    pub async fn backup_sqlite(&self, path: &str) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Conflict("backup of PostgreSQL is pg_dump's job".into()));
        }
        let mut connection = self.pool.acquire().await?;
        sqlx::query("VACUUM INTO $1").bind(path).execute(&mut *connection).await?;
        Ok(())
    }
}
