//! The pharmacist's desk in the record (migration 0011): each prepared dose a pharmacist verified and signed
//! off (IU, mL, bag, lot and its expiry, prepared at, who and when), and a course's dosing weight or height
//! entered at the desk. Append-only like the rest of the record; the caller checks roles, values and units.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Conn, StoreError};

/// A prepared dose a pharmacist verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseVerification {
    pub id: i64,
    pub patient_id: i64,
    pub course_id: i64,
    pub slot_number: Option<i64>,
    /// The dose of record in IU, as a decimal text.
    pub dose_iu: String,
    /// The reconstituted drug volume in mL, as shown (rounded for measuring).
    pub volume_ml: String,
    pub bag_ml: Option<String>,
    /// µg/mL, as shown.
    pub final_concentration: Option<String>,
    pub lot: String,
    /// The vial lot's expiry date, `YYYY-MM-DD`.
    pub lot_expires_on: String,
    pub prepared_at_ms: i64,
    /// Prepared at plus the stability window.
    pub expires_at_ms: i64,
    pub verified_at_ms: i64,
    pub verified_by: String,
}

const VERIFICATION_COLUMNS: &str = "id, patient_id, course_id, slot_number, dose_iu, volume_ml, bag_ml, \
     final_concentration, lot, lot_expires_on, prepared_at_ms, expires_at_ms, verified_at_ms, verified_by";

fn verification_from(row: &AnyRow) -> Result<DoseVerification, sqlx::Error> {
    Ok(DoseVerification {
        id: row.try_get("id")?,
        patient_id: row.try_get("patient_id")?,
        course_id: row.try_get("course_id")?,
        slot_number: row.try_get("slot_number")?,
        dose_iu: row.try_get("dose_iu")?,
        volume_ml: row.try_get("volume_ml")?,
        bag_ml: row.try_get("bag_ml")?,
        final_concentration: row.try_get("final_concentration")?,
        lot: row.try_get("lot")?,
        lot_expires_on: row.try_get("lot_expires_on")?,
        prepared_at_ms: row.try_get("prepared_at_ms")?,
        expires_at_ms: row.try_get("expires_at_ms")?,
        verified_at_ms: row.try_get("verified_at_ms")?,
        verified_by: row.try_get("verified_by")?,
    })
}

/// Stores a verification; its id.
pub async fn add_verification(conn: &mut Conn, verification: &DoseVerification) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO dose_verifications (patient_id, course_id, slot_number, dose_iu, volume_ml, bag_ml, \
         final_concentration, lot, lot_expires_on, prepared_at_ms, expires_at_ms, verified_at_ms, verified_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(verification.patient_id)
    .bind(verification.course_id)
    .bind(verification.slot_number)
    .bind(&verification.dose_iu)
    .bind(&verification.volume_ml)
    .bind(verification.bag_ml.clone())
    .bind(verification.final_concentration.clone())
    .bind(&verification.lot)
    .bind(&verification.lot_expires_on)
    .bind(verification.prepared_at_ms)
    .bind(verification.expires_at_ms)
    .bind(verification.verified_at_ms)
    .bind(&verification.verified_by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// The verifications of a course, the latest first.
pub async fn verifications(conn: &mut Conn, course_id: i64) -> Result<Vec<DoseVerification>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {VERIFICATION_COLUMNS} FROM dose_verifications WHERE course_id = $1 \
         ORDER BY verified_at_ms DESC, id DESC"
    ))
    .bind(course_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(verification_from).collect::<Result<_, sqlx::Error>>().map_err(StoreError::from)
}

/// One verification by id.
pub async fn verification(conn: &mut Conn, id: i64) -> Result<DoseVerification, StoreError> {
    let row = sqlx::query(&format!("SELECT {VERIFICATION_COLUMNS} FROM dose_verifications WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("dose verification {id}")))?;
    Ok(verification_from(&row)?)
}

/// A course's dosing weight or height entered at the desk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DosingMeasurement {
    pub id: i64,
    pub patient_id: i64,
    pub course_id: i64,
    /// `weight` or `height`.
    pub code: String,
    /// In the canonical unit (kg, cm), as a decimal text.
    pub value: String,
    pub unit: String,
    /// As entered (`176 [lb_av]`).
    pub entered: String,
    pub recorded_at_ms: i64,
    pub recorded_by: String,
}

/// Stores a measurement; its id.
pub async fn add_measurement(conn: &mut Conn, measurement: &DosingMeasurement) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO dosing_measurements (patient_id, course_id, code, value, unit, entered, recorded_at_ms, \
         recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(measurement.patient_id)
    .bind(measurement.course_id)
    .bind(&measurement.code)
    .bind(&measurement.value)
    .bind(&measurement.unit)
    .bind(&measurement.entered)
    .bind(measurement.recorded_at_ms)
    .bind(&measurement.recorded_by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// The latest measurement of `code` for a course, if any.
pub async fn latest_measurement(
    conn: &mut Conn,
    course_id: i64,
    code: &str,
) -> Result<Option<DosingMeasurement>, StoreError> {
    let row = sqlx::query(
        "SELECT id, patient_id, course_id, code, value, unit, entered, recorded_at_ms, recorded_by \
         FROM dosing_measurements WHERE course_id = $1 AND code = $2 ORDER BY recorded_at_ms DESC, id DESC LIMIT 1",
    )
    .bind(course_id)
    .bind(code)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(DosingMeasurement {
        id: row.try_get("id")?,
        patient_id: row.try_get("patient_id")?,
        course_id: row.try_get("course_id")?,
        code: row.try_get("code")?,
        value: row.try_get("value")?,
        unit: row.try_get("unit")?,
        entered: row.try_get("entered")?,
        recorded_at_ms: row.try_get("recorded_at_ms")?,
        recorded_by: row.try_get("recorded_by")?,
    }))
}
