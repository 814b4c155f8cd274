//! What the worklist page shows beside each high-dose course besides its decision (issue 14): when the
//! patient's vital signs were last measured and whether the course's latest dose record was an override.
//! One statement for the whole ward over the small derived tables of migration 0010 (`latest_observations`:
//! the latest time of each code per patient; `latest_dose_events`: each course's latest dose record), kept by
//! insert triggers in the writing transaction: never a query per patient, never a look into the observations.

use sqlx::Row;

use crate::{Conn, StoreError};

/// One course of a regimen with the latest time of each asked observation code and its latest dose record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseVitals {
    pub course_id: i64,
    pub patient_id: i64,
    pub started_at_ms: i64,
    /// The latest `at_ms` of each code asked for, in the order asked (`None`: never recorded).
    pub latest_ms: Vec<Option<i64>>,
    /// Whether the latest dose record of the course (the last written) is a dose given against its decision.
    pub last_dose_override: bool,
}

/// Every course of `regimen`, by id, with the patient's latest time of each of `codes` (at most 8) and
/// whether the course's latest dose record is an override. A correction is a new observation and counts at its
/// own time.
pub async fn course_vitals_of_regimen(
    conn: &mut Conn,
    regimen: &str,
    codes: &[&str],
) -> Result<Vec<CourseVitals>, StoreError> {
    let codes = &codes[..codes.len().min(8)];
    let mut select = String::from(
        "SELECT c.id, c.patient_id, c.started_at_ms, \
         ld.given_override AS last_override",
    );
    let mut joins = String::new();
    for index in 0..codes.len() {
        select.push_str(&format!(", l{index}.at_ms AS v{index}"));
        joins.push_str(&format!(
            " LEFT JOIN latest_observations l{index} ON l{index}.patient_id = c.patient_id AND l{index}.code = ${}",
            index + 2
        ));
    }
    let sql = format!(
        "{select} FROM courses c \
         LEFT JOIN latest_dose_events ld ON ld.course_id = c.id{joins} \
         WHERE c.regimen = $1 ORDER BY c.id"
    );
    let mut query = sqlx::query(&sql).bind(regimen);
    for code in codes {
        query = query.bind(*code);
    }
    let rows = query.fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            let latest_ms = (0..codes.len())
                .map(|index| row.try_get::<Option<i64>, _>(format!("v{index}").as_str()))
                .collect::<Result<Vec<_>, _>>()?;
            let last_override: Option<i64> = row.try_get("last_override")?;
            Ok(CourseVitals {
                course_id: row.try_get("id")?,
                patient_id: row.try_get("patient_id")?,
                started_at_ms: row.try_get("started_at_ms")?,
                latest_ms,
                last_dose_override: last_override == Some(1),
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}
