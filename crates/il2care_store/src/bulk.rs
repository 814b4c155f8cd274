//! Many rows in few statements, for large imports: observations appended in multi-row `INSERT`s, so a
//! 100,000-Observation FHIR Bundle costs 200 statements instead of 100,000 (each statement through `sqlx::Any`
//! is a round trip to the database or to SQLite's worker thread). Same rows, same conflict rule and same
//! answers as [`crate::record::add_observation`] one at a time.

use sqlx::Row;

use crate::record::{Observation, Written};
use crate::{Conn, StoreError};

/// Rows per statement: 11 parameters a row, 5,500 a statement (SQLite allows 32,766, PostgreSQL 65,535).
pub const OBSERVATIONS_PER_STATEMENT: usize = 500;

/// Appends `observations` in order, as [`crate::record::add_observation`] would one by one: a row whose
/// `(patient_id, client_id)` is already stored (or repeats an earlier row of the list) is not written and
/// answers the stored row's id. One [`Written`] per row, in the order given.
pub async fn add_observations(
    conn: &mut Conn,
    observations: &[Observation],
    now_ms: i64,
    by: &str,
) -> Result<Vec<Written>, StoreError> {
    let mut written = Vec::with_capacity(observations.len());
    let mut sql = String::new();
    let mut sql_rows = 0;
    for chunk in observations.chunks(OBSERVATIONS_PER_STATEMENT) {
        if sql_rows != chunk.len() {
            sql = insert_sql(chunk.len());
            sql_rows = chunk.len();
        }
        let mut query = sqlx::query(&sql);
        for observation in chunk {
            query = query
                .bind(observation.patient_id)
                .bind(observation.client_id.as_deref())
                .bind(&observation.code)
                .bind(&observation.value)
                .bind(&observation.unit)
                .bind(observation.at_ms)
                .bind(observation.start_ms)
                .bind(&observation.document)
                .bind(observation.corrects_id)
                .bind(now_ms)
                .bind(by);
        }
        let rows = query.fetch_all(&mut *conn).await?;
        let mut inserted: Vec<(i64, Option<String>)> = Vec::with_capacity(rows.len());
        for row in &rows {
            inserted.push((row.try_get("id")?, row.try_get("client_id")?));
        }
        // Ids are given in the order the rows are inserted, which is the order of the VALUES list; a row
        // left out by the conflict rule returns nothing (only a row with a client id can conflict).
        inserted.sort_unstable_by_key(|(id, _)| *id);
        let mut next = inserted.into_iter().peekable();
        for observation in chunk {
            match next.peek() {
                Some((id, client_id)) if *client_id == observation.client_id => {
                    written.push(Written::Created(*id));
                    next.next();
                }
                _ => {
                    let existing =
                        sqlx::query("SELECT id FROM observations WHERE patient_id = $1 AND client_id = $2")
                            .bind(observation.patient_id)
                            .bind(observation.client_id.as_deref())
                            .fetch_one(&mut *conn)
                            .await?;
                    written.push(Written::AlreadyPresent(existing.try_get("id")?));
                }
            }
        }
        if next.next().is_some() {
            return Err(StoreError::Corrupt("a multi-row insert returned more rows than it was given".into()));
        }
    }
    Ok(written)
}

fn insert_sql(rows: usize) -> String {
    let mut sql = String::with_capacity(200 + rows * 60);
    sql.push_str(
        "INSERT INTO observations (patient_id, client_id, code, value, unit, at_ms, start_ms, document, corrects_id, \
         recorded_at_ms, recorded_by) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for column in 0..11 {
            if column > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(row * 11 + column + 1).to_string());
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (patient_id, client_id) DO NOTHING RETURNING id, client_id");
    sql
}
