//! Many rows in few statements, for large imports: observations appended in multi-row `INSERT`s, so a
//! 100,000-Observation FHIR Bundle costs 50 statements instead of 100,000 (each statement through `sqlx::Any`
//! is a round trip to the database or to SQLite's worker thread). Same rows, same conflict rule and same
//! answers as [`crate::record::add_observation`] one at a time.

use sqlx::Row;

use crate::record::{Observation, Written};
use crate::{Conn, StoreError};

/// Rows per statement: 11 parameters a row, 22,000 a statement (SQLite allows 32,766, PostgreSQL 65,535). A
/// bulk import's 100,000 Observations took 1.41-1.48 s with 2,000 rows a statement, 1.47-1.68 s with 500 (the
/// import parses the next entries while SQLite runs a statement: longer statements leave it more time).
pub const OBSERVATIONS_PER_STATEMENT: usize = 2_000;

/// Appends `observations` in order, as [`crate::record::add_observation`] would one by one: a row whose
/// `(patient_id, client_id)` is already stored (or repeats an earlier row of the list) is not written and
/// answers the stored row's id. One [`Written`] per row, in the order given.
pub async fn add_observations(
    conn: &mut Conn,
    observations: &[Observation],
    now_ms: i64,
    by: &str,
) -> Result<Vec<Written>, StoreError> {
    let sqlite = conn.backend_name().eq_ignore_ascii_case("sqlite");
    let mut written = Vec::with_capacity(observations.len());
    let mut sql = String::new();
    let mut sql_shape = (0, false);
    for chunk in observations.chunks(OBSERVATIONS_PER_STATEMENT) {
        // Without client ids nothing can conflict: on SQLite the rows then need not come back one by one (each
        // returned row is a message from SQLite's thread), their ids are the run that ends at the last one.
        let returning = !sqlite || chunk.iter().any(|observation| observation.client_id.is_some());
        if sql_shape != (chunk.len(), returning) {
            sql = insert_sql(chunk.len(), sqlite, returning);
            sql_shape = (chunk.len(), returning);
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
        if !returning {
            let done = query.execute(&mut *conn).await?;
            written.extend(consecutive_ids(conn, done, chunk).await?);
            continue;
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
                    let existing = sqlx::query("SELECT id FROM observations WHERE patient_id = $1 AND client_id = $2")
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

/// The ids of the `rows` rows an insert without conflicts wrote (SQLite): the last id is SQLite's last insert
/// rowid, and ids are given in the order of the VALUES list, one after another (`AUTOINCREMENT`, the write
/// lock held, and no trigger that writes observations: a test of the schema keeps it so). Checked, not
/// assumed: the run ending at the last id holds exactly `rows` rows, and its first and last rows are the first
/// and last given.
async fn consecutive_ids(
    conn: &mut Conn,
    done: sqlx::any::AnyQueryResult,
    given: &[Observation],
) -> Result<impl Iterator<Item = Written> + use<>, StoreError> {
    let rows = given.len();
    let count = i64::try_from(rows).map_err(|_| StoreError::Corrupt("too many rows in one insert".into()))?;
    let run = sqlx::query(
        "SELECT run.last, run.stored, first.patient_id AS first_patient, first.at_ms AS first_at, \
         first.code AS first_code, last.patient_id AS last_patient, last.at_ms AS last_at, last.code AS last_code \
         FROM (SELECT last_insert_rowid() AS last, (SELECT COUNT(*) FROM observations \
               WHERE id BETWEEN last_insert_rowid() - $1 + 1 AND last_insert_rowid()) AS stored) AS run \
         LEFT JOIN observations AS first ON first.id = run.last - $1 + 1 \
         LEFT JOIN observations AS last ON last.id = run.last",
    )
    .bind(count)
    .fetch_one(&mut *conn)
    .await?;
    let (last, stored): (i64, i64) = (run.try_get("last")?, run.try_get("stored")?);
    let ends = |end: &str, observation: Option<&Observation>| -> Result<bool, StoreError> {
        let patient: Option<i64> = run.try_get(format!("{end}_patient").as_str())?;
        let at: Option<i64> = run.try_get(format!("{end}_at").as_str())?;
        let code: Option<String> = run.try_get(format!("{end}_code").as_str())?;
        Ok(observation.is_some_and(|given| {
            patient == Some(given.patient_id) && at == Some(given.at_ms) && code.as_deref() == Some(given.code.as_str())
        }))
    };
    let matched = ends("first", given.first())? && ends("last", given.last())?;
    if done.rows_affected() != rows as u64 || stored != count || !matched {
        return Err(StoreError::Corrupt(format!(
            "a multi-row insert of {rows} rows without client ids wrote {} rows, {stored} of them with consecutive \
             ids{}",
            done.rows_affected(),
            if matched { "" } else { ", not the rows given" }
        )));
    }
    Ok((last - count + 1..=last).map(Written::Created))
}

/// The statement for `rows` rows, returning each written row's id and client id when `returning`. On SQLite the parameters are anonymous (`?`, bound in order): the driver
/// looks up the name of every numbered parameter (`$n`) by a walk over the statement's list of names, which
/// made a 5,500-parameter statement cost more than the rows it writes (two thirds of a bulk import's CPU).
fn insert_sql(rows: usize, sqlite: bool, returning: bool) -> String {
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
            if sqlite {
                sql.push('?');
            } else {
                sql.push('$');
                sql.push_str(&(row * 11 + column + 1).to_string());
            }
        }
        sql.push(')');
    }
    sql.push_str(" ON CONFLICT (patient_id, client_id) DO NOTHING");
    if returning {
        sql.push_str(" RETURNING id, client_id");
    }
    sql
}

#[cfg(all(test, feature = "testing"))]
mod tests {
    #![allow(clippy::unwrap_used)] // Tests: a failure is a failed test.

    use sqlx::Row;

    use super::{OBSERVATIONS_PER_STATEMENT, add_observations};
    use crate::record::{Observation, Patient, Written, add_observation, create_patient, observations};
    use crate::testing::TestDb;

    fn row(patient_id: i64, client_id: Option<&str>, at_ms: i64) -> Observation {
        Observation {
            id: 0,
            patient_id,
            client_id: client_id.map(str::to_string),
            code: "heart_rate".into(),
            value: at_ms.to_string(),
            unit: "/min".into(),
            at_ms,
            start_ms: None,
            document: format!(r#"{{"n":{at_ms}}}"#),
            corrects_id: None,
        }
    }

    /// A patient in the record, for the observations to belong to.
    async fn new_patient(conn: &mut crate::Conn, mrn: &str) -> i64 {
        let patient = Patient {
            id: 0,
            mrn: mrn.into(),
            display_name: "B".into(),
            date_of_birth: "1970-01-01".into(),
            sex: "female".into(),
            time_zone: "UTC".into(),
        };
        create_patient(conn, &patient, 1, "t").await.unwrap()
    }

    /// Rows over several statements (the first two with client ids already stored, repeated in the list, and
    /// none; the short last one without client ids, whose ids SQLite does not return row by row): the answers
    /// and the rows are those of one `add_observation` per row.
    async fn many_rows_are_stored_as_one_at_a_time_would_store_them(db: TestDb) {
        let mut conn = db.store.connection().await.unwrap();
        let patient_id = new_patient(&mut conn, "B-1").await;
        let stored = add_observation(&mut conn, &row(patient_id, Some("seen"), 1), 1, "t").await.unwrap().id();
        let mut rows: Vec<Observation> =
            (0..2 * OBSERVATIONS_PER_STATEMENT as i64 + 7).map(|n| row(patient_id, None, 10 + n)).collect();
        rows[0].client_id = Some("seen".into());
        rows[1].client_id = Some("twice".into());
        rows[OBSERVATIONS_PER_STATEMENT - 1].client_id = Some("twice".into());
        rows[OBSERVATIONS_PER_STATEMENT].client_id = Some("seen".into());
        rows[OBSERVATIONS_PER_STATEMENT + 1].client_id = Some("new".into());
        let written = add_observations(&mut conn, &rows, 2, "t").await.unwrap();
        assert_eq!(written.len(), rows.len());
        assert_eq!(written[0], Written::AlreadyPresent(stored));
        let Written::Created(twice) = written[1] else { panic!("the first `twice` is new: {:?}", written[1]) };
        assert_eq!(
            written[OBSERVATIONS_PER_STATEMENT - 1],
            Written::AlreadyPresent(twice),
            "repeated in one statement"
        );
        assert_eq!(written[OBSERVATIONS_PER_STATEMENT], Written::AlreadyPresent(stored), "in the second statement");
        assert!(matches!(written[OBSERVATIONS_PER_STATEMENT + 1], Written::Created(_)));
        let created: Vec<i64> = written
            .iter()
            .filter_map(|written| if let Written::Created(id) = written { Some(*id) } else { None })
            .collect();
        assert_eq!(created.len(), rows.len() - 3);
        let all = observations(&mut conn, patient_id, i64::MIN).await.unwrap();
        assert_eq!(all.len(), 1 + created.len(), "nothing stored twice");
        for (given, written) in rows.iter().zip(&written) {
            let Written::Created(id) = written else { continue };
            let found = all.iter().find(|row| row.id == *id).unwrap();
            assert_eq!(
                (found.at_ms, &found.document, &found.client_id),
                (given.at_ms, &given.document, &given.client_id)
            );
        }
        assert!(add_observations(&mut conn, &[], 3, "t").await.unwrap().is_empty());
        drop(conn);
        db.drop().await;
    }

    /// `consecutive_ids` takes the ids of a multi-row insert as the run ending at the last rowid: no trigger may
    /// write observations while observations are inserted.
    #[tokio::test(flavor = "multi_thread")]
    async fn no_trigger_on_sqlite_writes_observations() {
        let db = TestDb::sqlite().await;
        let mut conn = db.store.connection().await.unwrap();
        let triggers: Vec<(String, String)> =
            sqlx::query("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'observations'")
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|row| (row.try_get("name").unwrap(), row.try_get("sql").unwrap()))
                .collect();
        assert!(triggers.iter().any(|(name, _)| name == "observations_latest"), "{triggers:?}");
        for (name, sql) in &triggers {
            let body = sql.to_lowercase();
            assert!(!body.contains("into observations"), "trigger {name} writes observations: {sql}");
        }
        drop(conn);
        db.drop().await;
    }

    /// Were a trigger to write observations anyway, the ids would not be taken on trust: the insert fails.
    #[tokio::test(flavor = "multi_thread")]
    async fn ids_of_a_run_broken_by_a_trigger_are_refused_not_mapped_to_other_rows() {
        let db = TestDb::sqlite().await;
        let mut conn = db.store.connection().await.unwrap();
        let patient_id = new_patient(&mut conn, "B-2").await;
        sqlx::query(
            "CREATE TRIGGER derived AFTER INSERT ON observations WHEN NEW.value = '10' BEGIN \
             INSERT INTO observations (patient_id, code, value, unit, at_ms, document, recorded_at_ms, recorded_by) \
             VALUES (NEW.patient_id, 'derived', '0', '', NEW.at_ms, '{}', 0, 'trigger'); END",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        let rows: Vec<Observation> = (0..5).map(|n| row(patient_id, None, 10 + n)).collect();
        let refused = add_observations(&mut conn, &rows, 2, "t").await;
        assert!(
            matches!(&refused, Err(crate::StoreError::Corrupt(why)) if why.contains("not the rows given")),
            "{refused:?}"
        );
        drop(conn);
        db.drop().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn bulk_observations_on_sqlite() {
        many_rows_are_stored_as_one_at_a_time_would_store_them(TestDb::sqlite().await).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn bulk_observations_on_postgres() {
        many_rows_are_stored_as_one_at_a_time_would_store_them(TestDb::postgres().await).await;
    }
}
