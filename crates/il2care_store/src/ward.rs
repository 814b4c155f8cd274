//! What the worklist page shows beside each high-dose course besides its decision (issue 14): when the
//! patient's vital signs were last measured and whether the course's latest dose record was an override.
//! One statement for the whole ward, with index look-ups per course (`observations_by_patient`,
//! `dose_events_by_course`), never a query per patient.

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
    /// Whether the latest dose record of the course (by recording time) is a dose given against its decision.
    pub last_dose_override: bool,
}

/// Every course of `regimen` with the patient's latest time of each of `codes` (at most 8) and whether the
/// course's latest dose record is an override. Corrected observations count at their own time (a correction
/// is a new row); the codes are the caller's (the vital signs the rules read).
pub async fn course_vitals_of_regimen(
    conn: &mut Conn,
    regimen: &str,
    codes: &[&str],
) -> Result<Vec<CourseVitals>, StoreError> {
    let codes = &codes[..codes.len().min(8)];
    let mut select = String::from("SELECT c.id, c.patient_id, c.started_at_ms");
    for (index, _) in codes.iter().enumerate() {
        select.push_str(&format!(
            ", (SELECT MAX(o.at_ms) FROM observations o WHERE o.patient_id = c.patient_id AND o.code = ${}) AS v{index}",
            index + 2
        ));
    }
    select.push_str(
        ", (SELECT CAST(CASE WHEN d.status = 'given' AND d.override_reason IS NOT NULL THEN 1 ELSE 0 END AS BIGINT) \
         FROM dose_events d WHERE d.course_id = c.id ORDER BY d.recorded_at_ms DESC, d.id DESC LIMIT 1) AS last_override \
         FROM courses c WHERE c.regimen = $1 ORDER BY c.id",
    );
    let mut query = sqlx::query(&select).bind(regimen);
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
