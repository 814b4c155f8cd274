//! The schema's migrations: the files in `migrations/sqlite/` and `migrations/postgres/` (`NNNN_name.sql`),
//! embedded at compile time by `sqlx::migrate!` and applied by sqlx, which records each in `_sqlx_migrations`
//! with its checksum (a released migration edited later is refused at start-up, not silently skipped).
//! Adding a migration is adding a file to both folders; there is no list to keep.
//!
//! Databases created before sqlx ran the migrations (il2care's own runner, which recorded applied versions in
//! `schema_migrations` without checksums) are adopted once: in one transaction, every version listed in
//! `schema_migrations` is recorded in `_sqlx_migrations` with the checksum of this build's file, then sqlx
//! applies the rest. `schema_migrations` is left as it was (nothing is removed).

use sqlx::migrate::{Migrate, MigrateError, Migrator};
use sqlx::{AnyConnection, Connection};

use crate::{Backend, StoreError};

/// The SQLite migrations.
pub static SQLITE: Migrator = sqlx::migrate!("./migrations/sqlite");
/// The PostgreSQL migrations.
pub static POSTGRES: Migrator = sqlx::migrate!("./migrations/postgres");

/// The migrations of one backend.
pub fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE,
        Backend::Postgres => &POSTGRES,
    }
}

/// Adopts a database of the hand-made runner (if it is one and not yet adopted), then applies every pending
/// migration, each in its own transaction. On PostgreSQL, instances starting together take turns (sqlx's
/// advisory lock); on SQLite the adoption takes the write lock.
pub async fn run(connection: &mut AnyConnection, backend: Backend) -> Result<(), StoreError> {
    let migrator = migrator(backend);
    connection.lock().await.map_err(migrate_error)?;
    let adopted = adopt_schema_migrations(connection, backend, migrator).await;
    connection.unlock().await.map_err(migrate_error)?;
    let adopted = adopted?;
    if !adopted.is_empty() {
        tracing::info!(versions = ?adopted, "adopted migrations applied by the earlier runner");
    }
    migrator.run(&mut *connection).await.map_err(migrate_error)?;
    Ok(())
}

/// Records in `_sqlx_migrations` the versions the earlier runner applied (listed in `schema_migrations`), with
/// this build's checksums, in one transaction; answers the versions adopted (none when there is no
/// `schema_migrations` table or `_sqlx_migrations` already has rows). A version this build does not know is
/// refused: the database is newer than the program.
pub async fn adopt_schema_migrations(
    connection: &mut AnyConnection,
    backend: Backend,
    migrator: &Migrator,
) -> Result<Vec<i64>, StoreError> {
    if !table_exists(connection, backend, "schema_migrations").await? {
        return Ok(Vec::new());
    }
    if table_exists(connection, backend, "_sqlx_migrations").await? {
        let (rows,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&mut *connection).await?;
        if rows > 0 {
            return Ok(Vec::new());
        }
    }
    let mut transaction = match backend {
        Backend::Sqlite => connection.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => connection.begin().await?,
    };
    transaction.ensure_migrations_table().await.map_err(migrate_error)?;
    let versions: Vec<(i64,)> =
        sqlx::query_as("SELECT version FROM schema_migrations ORDER BY version").fetch_all(&mut *transaction).await?;
    let mut adopted = Vec::with_capacity(versions.len());
    for (version,) in versions {
        let Some(migration) = migrator.iter().find(|m| m.version == version && m.migration_type.is_up_migration())
        else {
            return Err(StoreError::Corrupt(format!(
                "the database has migration {version}, which this build of il2care does not know (a newer version made it)"
            )));
        };
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES ($1, $2, TRUE, $3, 0)",
        )
        .bind(version)
        .bind(migration.description.as_ref())
        .bind(migration.checksum.as_ref())
        .execute(&mut *transaction)
        .await?;
        adopted.push(version);
    }
    transaction.commit().await?;
    Ok(adopted)
}

async fn table_exists(connection: &mut AnyConnection, backend: Backend, table: &str) -> Result<bool, StoreError> {
    let sql = match backend {
        Backend::Sqlite => "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    let (count,): (i64,) = sqlx::query_as(sql).bind(table).fetch_one(&mut *connection).await?;
    Ok(count > 0)
}

fn migrate_error(error: MigrateError) -> StoreError {
    match error {
        MigrateError::Execute(error) => StoreError::Db(error),
        other => StoreError::Corrupt(format!("migrations: {other}")),
    }
}
