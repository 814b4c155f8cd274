//! The clinical record: patients, courses, observations, check-ins with their triage, assessments with their
//! decision, dose events, flags. Append-only: nothing is updated or deleted; a correction is a new row that
//! points at the row it corrects (`corrects_id`).
//!
//! Documents are stored as the JSON text that was accepted, next to the few columns queries need, so the
//! record keeps exactly what the clinician sent and what il2care answered.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Conn, StoreError, conflict_on_unique};

/// A patient as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Patient {
    pub id: i64,
    pub mrn: String,
    pub display_name: String,
    pub date_of_birth: String,
    pub sex: String,
    pub time_zone: String,
}

fn patient_from(row: &AnyRow) -> Result<Patient, sqlx::Error> {
    Ok(Patient {
        id: row.try_get("id")?,
        mrn: row.try_get("mrn")?,
        display_name: row.try_get("display_name")?,
        date_of_birth: row.try_get("date_of_birth")?,
        sex: row.try_get("sex")?,
        time_zone: row.try_get("time_zone")?,
    })
}

/// Creates a patient; a taken MRN is a conflict.
pub async fn create_patient(conn: &mut Conn, patient: &Patient, now_ms: i64, by: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO patients (mrn, display_name, date_of_birth, sex, time_zone, created_at_ms, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&patient.mrn)
    .bind(&patient.display_name)
    .bind(&patient.date_of_birth)
    .bind(&patient.sex)
    .bind(&patient.time_zone)
    .bind(now_ms)
    .bind(by)
    .fetch_one(conn)
    .await
    .map_err(|error| conflict_on_unique(error, "a patient with this MRN exists"))?;
    Ok(row.try_get("id")?)
}

/// One patient.
pub async fn patient(conn: &mut Conn, id: i64) -> Result<Patient, StoreError> {
    let row = sqlx::query("SELECT id, mrn, display_name, date_of_birth, sex, time_zone FROM patients WHERE id = $1")
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("patient {id}")))?;
    Ok(patient_from(&row)?)
}

/// The patient with this MRN, if any (an indexed look-up: MRNs are unique).
pub async fn patient_by_mrn(conn: &mut Conn, mrn: &str) -> Result<Option<Patient>, StoreError> {
    let row = sqlx::query("SELECT id, mrn, display_name, date_of_birth, sex, time_zone FROM patients WHERE mrn = $1")
        .bind(mrn)
        .fetch_optional(conn)
        .await?;
    Ok(row.as_ref().map(patient_from).transpose()?)
}

/// How much of a patient's record the CDS cards read: rows per table. The record is append-only (corrections
/// are new rows), so every change to what the cards show changes a count, on every instance sharing the
/// database, even when concurrent transactions commit out of id order (which a maximum id would miss).
/// Whoever adds an UPDATE or DELETE of these tables must make it move the extent too, or the CDS services
/// would answer from stale facts (`il2care_web::cds_hooks::FactsCache`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RecordExtent {
    pub courses: i64,
    pub dose_events: i64,
    pub assessments: i64,
    pub flags: i64,
    /// Logged low-dose shots (a given shot moves the last dose of interleukin-2).
    pub injections: i64,
    /// Screenings and the physicians' decisions on their items (they open or close the first-dose gate).
    pub screenings: i64,
    pub screening_decisions: i64,
}

/// The id of the patient with this MRN and the extent of its record, in one indexed query.
pub async fn patient_extent_by_mrn(conn: &mut Conn, mrn: &str) -> Result<Option<(i64, RecordExtent)>, StoreError> {
    let row = sqlx::query(
        "SELECT p.id, \
         (SELECT COUNT(*) FROM courses c WHERE c.patient_id = p.id) AS courses, \
         (SELECT COUNT(*) FROM dose_events d WHERE d.patient_id = p.id) AS dose_events, \
         (SELECT COUNT(*) FROM assessments a WHERE a.patient_id = p.id) AS assessments, \
         (SELECT COUNT(*) FROM flags f WHERE f.patient_id = p.id) AS flags, \
         (SELECT COUNT(*) FROM injections i WHERE i.patient_id = p.id) AS injections, \
         (SELECT COUNT(*) FROM screenings s WHERE s.patient_id = p.id) AS screenings, \
         (SELECT COUNT(*) FROM screening_decisions sd JOIN screenings s ON s.id = sd.screening_id \
          WHERE s.patient_id = p.id) AS screening_decisions \
         FROM patients p WHERE p.mrn = $1",
    )
    .bind(mrn)
    .fetch_optional(conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let extent = RecordExtent {
        courses: row.try_get("courses")?,
        dose_events: row.try_get("dose_events")?,
        assessments: row.try_get("assessments")?,
        flags: row.try_get("flags")?,
        injections: row.try_get("injections")?,
        screenings: row.try_get("screenings")?,
        screening_decisions: row.try_get("screening_decisions")?,
    };
    Ok(Some((row.try_get("id")?, extent)))
}

/// Every patient, by id.
pub async fn patients(conn: &mut Conn) -> Result<Vec<Patient>, StoreError> {
    let rows = sqlx::query("SELECT id, mrn, display_name, date_of_birth, sex, time_zone FROM patients ORDER BY id")
        .fetch_all(conn)
        .await?;
    Ok(rows.iter().map(patient_from).collect::<Result<_, _>>()?)
}

/// A course of treatment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Course {
    pub id: i64,
    pub patient_id: i64,
    pub regimen: String,
    pub rule_set: String,
    pub started_at_ms: i64,
    /// Decimal text in kg.
    pub baseline_weight_kg: Option<String>,
    /// Decimal text in mg/dL.
    pub baseline_creatinine_mg_dl: Option<String>,
}

fn course_from(row: &AnyRow) -> Result<Course, sqlx::Error> {
    Ok(Course {
        id: row.try_get("id")?,
        patient_id: row.try_get("patient_id")?,
        regimen: row.try_get("regimen")?,
        rule_set: row.try_get("rule_set")?,
        started_at_ms: row.try_get("started_at_ms")?,
        baseline_weight_kg: row.try_get("baseline_weight_kg")?,
        baseline_creatinine_mg_dl: row.try_get("baseline_creatinine_mg_dl")?,
    })
}

/// Starts a course.
pub async fn create_course(conn: &mut Conn, course: &Course, now_ms: i64, by: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO courses (patient_id, regimen, rule_set, started_at_ms, baseline_weight_kg, baseline_creatinine_mg_dl, \
         created_at_ms, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(course.patient_id)
    .bind(&course.regimen)
    .bind(&course.rule_set)
    .bind(course.started_at_ms)
    .bind(course.baseline_weight_kg.as_deref())
    .bind(course.baseline_creatinine_mg_dl.as_deref())
    .bind(now_ms)
    .bind(by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// A patient's courses, oldest first.
pub async fn courses(conn: &mut Conn, patient_id: i64) -> Result<Vec<Course>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, patient_id, regimen, rule_set, started_at_ms, baseline_weight_kg, baseline_creatinine_mg_dl \
         FROM courses WHERE patient_id = $1 ORDER BY started_at_ms, id",
    )
    .bind(patient_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(course_from).collect::<Result<_, _>>()?)
}

/// An observation to store (already validated by the caller).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    pub id: i64,
    pub patient_id: i64,
    pub client_id: Option<String>,
    pub code: String,
    /// Decimal text, as given.
    pub value: String,
    pub unit: String,
    /// The time of a point observation, or the end of an interval.
    pub at_ms: i64,
    /// The start of an interval observation.
    pub start_ms: Option<i64>,
    /// The accepted JSON.
    pub document: String,
    pub corrects_id: Option<i64>,
}

fn observation_from(row: &AnyRow) -> Result<Observation, sqlx::Error> {
    Ok(Observation {
        id: row.try_get("id")?,
        patient_id: row.try_get("patient_id")?,
        client_id: row.try_get("client_id")?,
        code: row.try_get("code")?,
        value: row.try_get("value")?,
        unit: row.try_get("unit")?,
        at_ms: row.try_get("at_ms")?,
        start_ms: row.try_get("start_ms")?,
        document: row.try_get("document")?,
        corrects_id: row.try_get("corrects_id")?,
    })
}

/// Whether a write created a row or found the one a client had already submitted with the same id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    Created(i64),
    AlreadyPresent(i64),
}

impl Written {
    /// The row's id either way.
    pub fn id(self) -> i64 {
        match self {
            Written::Created(id) | Written::AlreadyPresent(id) => id,
        }
    }
}

/// The outcome of an `INSERT ... ON CONFLICT (patient_id, client_id) DO NOTHING RETURNING id` into `table`:
/// the new row's id, or the id of the row this client already submitted under the same `client_id`.
async fn created_or_existing(
    conn: &mut Conn,
    inserted: Option<AnyRow>,
    table: &'static str,
    patient_id: i64,
    client_id: Option<&str>,
) -> Result<Written, StoreError> {
    if let Some(row) = inserted {
        return Ok(Written::Created(row.try_get("id")?));
    }
    let existing = sqlx::query(&format!("SELECT id FROM {table} WHERE patient_id = $1 AND client_id = $2"))
        .bind(patient_id)
        .bind(client_id)
        .fetch_one(conn)
        .await?;
    Ok(Written::AlreadyPresent(existing.try_get("id")?))
}

/// Appends an observation; with a `client_id` already used for this patient, returns the existing row.
pub async fn add_observation(
    conn: &mut Conn,
    observation: &Observation,
    now_ms: i64,
    by: &str,
) -> Result<Written, StoreError> {
    let row = sqlx::query(
        "INSERT INTO observations (patient_id, client_id, code, value, unit, at_ms, start_ms, document, corrects_id, \
         recorded_at_ms, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
         ON CONFLICT (patient_id, client_id) DO NOTHING RETURNING id",
    )
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
    .bind(by)
    .fetch_optional(&mut *conn)
    .await?;
    created_or_existing(conn, row, "observations", observation.patient_id, observation.client_id.as_deref()).await
}

/// A patient's observations at or after `since_ms`, oldest first.
pub async fn observations(conn: &mut Conn, patient_id: i64, since_ms: i64) -> Result<Vec<Observation>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, patient_id, client_id, code, value, unit, at_ms, start_ms, document, corrects_id FROM observations \
         WHERE patient_id = $1 AND at_ms >= $2 ORDER BY at_ms, id",
    )
    .bind(patient_id)
    .bind(since_ms)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(observation_from).collect::<Result<_, _>>()?)
}

/// A check-in with its triage result, as stored (one row of `checkins`; the core's input is `triage::CheckIn`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCheckIn {
    pub id: i64,
    pub patient_id: i64,
    pub client_id: Option<String>,
    pub at_ms: i64,
    pub level: String,
    /// 0 self_care .. 3 emergency, for ordering.
    pub level_rank: i64,
    pub document: String,
    pub result: String,
    /// A nurse or physician has recorded a call back (a row of `checkin_acknowledgements`).
    pub called_back: bool,
}

fn checkin_from(row: &AnyRow) -> Result<StoredCheckIn, sqlx::Error> {
    let acknowledgements: i64 = row.try_get("acknowledgements")?;
    Ok(StoredCheckIn {
        id: row.try_get("id")?,
        patient_id: row.try_get("patient_id")?,
        client_id: row.try_get("client_id")?,
        at_ms: row.try_get("at_ms")?,
        level: row.try_get("level")?,
        level_rank: row.try_get("level_rank")?,
        document: row.try_get("document")?,
        result: row.try_get("result")?,
        called_back: acknowledgements > 0,
    })
}

/// Appends a check-in with its result; with a `client_id` already used for this patient, returns the
/// existing row, so a phone that retries never creates a duplicate.
pub async fn add_checkin(
    conn: &mut Conn,
    checkin: &StoredCheckIn,
    now_ms: i64,
    by: &str,
) -> Result<Written, StoreError> {
    let row = sqlx::query(
        "INSERT INTO checkins (patient_id, client_id, at_ms, level, level_rank, document, result, submitted_at_ms, \
         submitted_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (patient_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(checkin.patient_id)
    .bind(checkin.client_id.as_deref())
    .bind(checkin.at_ms)
    .bind(&checkin.level)
    .bind(checkin.level_rank)
    .bind(&checkin.document)
    .bind(&checkin.result)
    .bind(now_ms)
    .bind(by)
    .fetch_optional(&mut *conn)
    .await?;
    created_or_existing(conn, row, "checkins", checkin.patient_id, checkin.client_id.as_deref()).await
}

const CHECKIN_COLUMNS: &str = "c.id, c.patient_id, c.client_id, c.at_ms, c.level, c.level_rank, c.document, c.result, \
     (SELECT COUNT(*) FROM checkin_acknowledgements a WHERE a.checkin_id = c.id) AS acknowledgements";

/// One check-in.
pub async fn checkin(conn: &mut Conn, id: i64) -> Result<StoredCheckIn, StoreError> {
    let row = sqlx::query(&format!("SELECT {CHECKIN_COLUMNS} FROM checkins c WHERE c.id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("check-in {id}")))?;
    Ok(checkin_from(&row)?)
}

/// A patient's check-ins, newest first.
pub async fn checkins(conn: &mut Conn, patient_id: i64) -> Result<Vec<StoredCheckIn>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {CHECKIN_COLUMNS} FROM checkins c WHERE c.patient_id = $1 ORDER BY c.at_ms DESC, c.id DESC"
    ))
    .bind(patient_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(checkin_from).collect::<Result<_, _>>()?)
}

/// Check-ins nobody has called back yet, most urgent first, then oldest first. The open ones are found from
/// the ids alone (an index of `checkins` and `checkin_acknowledgements_by_checkin`, migration 0005), so only
/// their rows, with the documents, are read.
pub async fn checkins_awaiting_call_back(conn: &mut Conn) -> Result<Vec<StoredCheckIn>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {CHECKIN_COLUMNS} FROM checkins c WHERE c.id IN (SELECT k.id FROM checkins k WHERE NOT EXISTS \
         (SELECT 1 FROM checkin_acknowledgements a WHERE a.checkin_id = k.id)) ORDER BY c.level_rank DESC, c.at_ms, c.id"
    ))
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(checkin_from).collect::<Result<_, _>>()?)
}

/// Records a call back: a nurse or physician called the patient back after the check-in (a new row of
/// `checkin_acknowledgements`; the check-in itself is never changed).
pub async fn record_call_back(
    conn: &mut Conn,
    checkin_id: i64,
    note: &str,
    now_ms: i64,
    by: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO checkin_acknowledgements (checkin_id, note, acknowledged_at_ms, acknowledged_by) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(checkin_id)
    .bind(note)
    .bind(now_ms)
    .bind(by)
    .fetch_one(conn)
    .await
    .map_err(|error| conflict_on_unique(error, "already called back"))?;
    Ok(row.try_get("id")?)
}

/// A stored per-dose decision (one row of `assessments`; the core's input is `assessment::Assessment`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub id: i64,
    pub patient_id: i64,
    pub course_id: Option<i64>,
    pub at_ms: i64,
    pub rule_set: String,
    pub rule_set_version: String,
    pub decision: String,
    pub document: String,
    pub result: String,
}

fn decision_from(row: &AnyRow) -> Result<Decision, sqlx::Error> {
    Ok(Decision {
        id: row.try_get("id")?,
        patient_id: row.try_get("patient_id")?,
        course_id: row.try_get("course_id")?,
        at_ms: row.try_get("at_ms")?,
        rule_set: row.try_get("rule_set")?,
        rule_set_version: row.try_get("rule_set_version")?,
        decision: row.try_get("decision")?,
        document: row.try_get("document")?,
        result: row.try_get("result")?,
    })
}

/// Appends a decision, with the rule-set version that produced it.
pub async fn add_decision(conn: &mut Conn, decision: &Decision, now_ms: i64, by: &str) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO assessments (patient_id, course_id, at_ms, rule_set, rule_set_version, decision, document, result, \
         recorded_at_ms, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(decision.patient_id)
    .bind(decision.course_id)
    .bind(decision.at_ms)
    .bind(&decision.rule_set)
    .bind(&decision.rule_set_version)
    .bind(&decision.decision)
    .bind(&decision.document)
    .bind(&decision.result)
    .bind(now_ms)
    .bind(by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// A patient's decisions, newest first.
pub async fn decisions(conn: &mut Conn, patient_id: i64) -> Result<Vec<Decision>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, patient_id, course_id, at_ms, rule_set, rule_set_version, decision, document, result FROM assessments \
         WHERE patient_id = $1 ORDER BY at_ms DESC, id DESC",
    )
    .bind(patient_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(decision_from).collect::<Result<_, _>>()?)
}

/// The latest decision of one course of a patient (newest by time, then by id), if any.
pub async fn latest_decision_of_course(
    conn: &mut Conn,
    patient_id: i64,
    course_id: i64,
) -> Result<Option<Decision>, StoreError> {
    let row = sqlx::query(
        "SELECT id, patient_id, course_id, at_ms, rule_set, rule_set_version, decision, document, result FROM assessments \
         WHERE patient_id = $1 AND course_id = $2 ORDER BY at_ms DESC, id DESC LIMIT 1",
    )
    .bind(patient_id)
    .bind(course_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(decision_from).transpose()?)
}

/// A dose given or held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseEvent {
    pub id: i64,
    pub patient_id: i64,
    pub course_id: i64,
    pub assessment_id: Option<i64>,
    /// `given` or `held`.
    pub status: String,
    pub at_ms: i64,
    /// Required by the caller when the dose goes against the decision.
    pub override_reason: Option<String>,
    pub corrects_id: Option<i64>,
    pub recorded_by: String,
}

/// Appends a dose event.
pub async fn add_dose_event(conn: &mut Conn, event: &DoseEvent, now_ms: i64) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO dose_events (patient_id, course_id, assessment_id, status, at_ms, override_reason, corrects_id, \
         recorded_at_ms, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(event.patient_id)
    .bind(event.course_id)
    .bind(event.assessment_id)
    .bind(&event.status)
    .bind(event.at_ms)
    .bind(event.override_reason.as_deref())
    .bind(event.corrects_id)
    .bind(now_ms)
    .bind(&event.recorded_by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// A course's dose events, oldest first.
pub async fn dose_events(conn: &mut Conn, course_id: i64) -> Result<Vec<DoseEvent>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, patient_id, course_id, assessment_id, status, at_ms, override_reason, corrects_id, recorded_by \
         FROM dose_events WHERE course_id = $1 ORDER BY at_ms, id",
    )
    .bind(course_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DoseEvent {
                id: row.try_get("id")?,
                patient_id: row.try_get("patient_id")?,
                course_id: row.try_get("course_id")?,
                assessment_id: row.try_get("assessment_id")?,
                status: row.try_get("status")?,
                at_ms: row.try_get("at_ms")?,
                override_reason: row.try_get("override_reason")?,
                corrects_id: row.try_get("corrects_id")?,
                recorded_by: row.try_get("recorded_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// Sets a lasting flag (such as `received_interleukin_2`); flags are never removed.
pub async fn add_flag(
    conn: &mut Conn,
    patient_id: i64,
    code: &str,
    detail: &str,
    at_ms: i64,
    by: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO flags (patient_id, code, detail, at_ms, recorded_by) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(patient_id)
    .bind(code)
    .bind(detail)
    .bind(at_ms)
    .bind(by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// The distinct flag codes set for a patient.
pub async fn flags(conn: &mut Conn, patient_id: i64) -> Result<Vec<String>, StoreError> {
    let rows = sqlx::query("SELECT DISTINCT code FROM flags WHERE patient_id = $1 ORDER BY code")
        .bind(patient_id)
        .fetch_all(conn)
        .await?;
    rows.iter().map(|row| row.try_get("code").map_err(StoreError::from)).collect()
}

/// Every course with its latest decision, if any. The latest decision of a course is its highest id, found
/// through `assessment_summaries_by_course` (migration 0005) with one index search per course.
pub async fn courses_with_latest_decision(conn: &mut Conn) -> Result<Vec<(Course, Option<Decision>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT c.id, c.patient_id, c.regimen, c.rule_set, c.started_at_ms, c.baseline_weight_kg, \
         c.baseline_creatinine_mg_dl, a.id AS a_id, a.patient_id AS a_patient_id, a.course_id AS a_course_id, \
         a.at_ms AS a_at_ms, a.rule_set AS a_rule_set, a.rule_set_version AS a_rule_set_version, \
         a.decision AS a_decision, a.document AS a_document, a.result AS a_result \
         FROM courses c LEFT JOIN assessments a \
         ON a.id = (SELECT MAX(s.assessment_id) FROM assessment_summaries s WHERE s.course_id = c.id) ORDER BY c.id",
    )
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            let course = course_from(row)?;
            let decision = match row.try_get::<Option<i64>, _>("a_id")? {
                None => None,
                Some(id) => Some(Decision {
                    id,
                    patient_id: row.try_get("a_patient_id")?,
                    course_id: row.try_get("a_course_id")?,
                    at_ms: row.try_get("a_at_ms")?,
                    rule_set: row.try_get("a_rule_set")?,
                    rule_set_version: row.try_get("a_rule_set_version")?,
                    decision: row.try_get("a_decision")?,
                    document: row.try_get("a_document")?,
                    result: row.try_get("a_result")?,
                }),
            };
            Ok((course, decision))
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// The latest decision of a course as the worklist shows it, without the stored documents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LatestDecision {
    pub at_ms: i64,
    pub decision: String,
    /// The ids of the rules that fired (`result.fired[*].id`) as a JSON array, `[]` when none.
    pub fired_ids: String,
}

/// A course of one regimen with its latest decision, if any (for the worklist).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseWithLatestDecision {
    pub course_id: i64,
    pub patient_id: i64,
    pub started_at_ms: i64,
    pub latest: Option<LatestDecision>,
}

/// Every course of `regimen`, by id, with its latest decision (highest id): one row per course from
/// `latest_assessment_summaries` (migration 0016, kept by a trigger on `assessment_summaries`), so nothing is
/// grouped and no stored document is read or parsed.
pub async fn courses_of_regimen_with_latest_decision(
    conn: &mut Conn,
    regimen: &str,
) -> Result<Vec<CourseWithLatestDecision>, StoreError> {
    let rows = sqlx::query(
        "SELECT c.id, c.patient_id, c.started_at_ms, s.at_ms, s.decision, s.fired_ids \
         FROM courses c LEFT JOIN latest_assessment_summaries s ON s.course_id = c.id \
         WHERE c.regimen = $1 ORDER BY c.id",
    )
    .bind(regimen)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            // Every summary has a time, so a missing one means the course has no decision yet.
            let latest = match row.try_get::<Option<i64>, _>("at_ms")? {
                None => None,
                Some(at_ms) => Some(LatestDecision {
                    at_ms,
                    decision: row.try_get("decision")?,
                    fired_ids: row.try_get("fired_ids")?,
                }),
            };
            Ok(CourseWithLatestDecision {
                course_id: row.try_get("id")?,
                patient_id: row.try_get("patient_id")?,
                started_at_ms: row.try_get("started_at_ms")?,
                latest,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// When a dose event (given or held) was last recorded for each course of `regimen` that has one, as
/// `(course_id, recorded_at_ms)`: the worklist treats a decision made before that record as spent, so the
/// next slot asks for a new decision instead of showing the old one.
pub async fn latest_dose_records_of_regimen(conn: &mut Conn, regimen: &str) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT d.course_id, MAX(d.recorded_at_ms) AS recorded_at_ms FROM dose_events d \
         JOIN courses c ON c.id = d.course_id WHERE c.regimen = $1 GROUP BY d.course_id",
    )
    .bind(regimen)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("course_id")?, row.try_get("recorded_at_ms")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// A lasting flag as stored, with when it was set (for the FHIR export).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlagRow {
    pub id: i64,
    pub patient_id: i64,
    pub code: String,
    pub detail: String,
    pub at_ms: i64,
}

/// Every flag row of a patient, oldest first (a flag set twice has two rows).
pub async fn flag_rows(conn: &mut Conn, patient_id: i64) -> Result<Vec<FlagRow>, StoreError> {
    let rows =
        sqlx::query("SELECT id, patient_id, code, detail, at_ms FROM flags WHERE patient_id = $1 ORDER BY at_ms, id")
            .bind(patient_id)
            .fetch_all(conn)
            .await?;
    rows.iter()
        .map(|row| {
            Ok(FlagRow {
                id: row.try_get("id")?,
                patient_id: row.try_get("patient_id")?,
                code: row.try_get("code")?,
                detail: row.try_get("detail")?,
                at_ms: row.try_get("at_ms")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// One entry of a low-dose course's injection log: a shot given, or a planned shot skipped with its reason.
/// Append-only: a correction is a new entry whose `corrects_id` names the entry it replaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Injection {
    pub id: i64,
    pub patient_id: i64,
    pub course_id: i64,
    /// The idempotency key of the phone or form that sent the entry.
    pub client_id: Option<String>,
    /// `given` or `skipped`.
    pub status: String,
    /// The planned slot of the course's schedule (1-based), when the entry answers one.
    pub slot_number: Option<i64>,
    /// The regimen's dose level id.
    pub dose_level: Option<String>,
    /// When the shot was given (for a skipped slot: when the skip was recorded).
    pub at_ms: i64,
    /// Where on the body (`abdomen_left`, ...); given shots only.
    pub site: Option<String>,
    pub skip_reason: Option<String>,
    pub note: Option<String>,
    pub corrects_id: Option<i64>,
    pub recorded_by: String,
}

const INJECTION_COLUMNS: &str = "id, patient_id, course_id, client_id, status, slot_number, dose_level, at_ms, site, \
     skip_reason, note, corrects_id, recorded_by";

fn injection_from(row: &AnyRow) -> Result<Injection, sqlx::Error> {
    Ok(Injection {
        id: row.try_get("id")?,
        patient_id: row.try_get("patient_id")?,
        course_id: row.try_get("course_id")?,
        client_id: row.try_get("client_id")?,
        status: row.try_get("status")?,
        slot_number: row.try_get("slot_number")?,
        dose_level: row.try_get("dose_level")?,
        at_ms: row.try_get("at_ms")?,
        site: row.try_get("site")?,
        skip_reason: row.try_get("skip_reason")?,
        note: row.try_get("note")?,
        corrects_id: row.try_get("corrects_id")?,
        recorded_by: row.try_get("recorded_by")?,
    })
}

/// The entry a client already sent with `client_id`, if any (checked before validating a retry against the
/// log, so that a retry is answered with its first result instead of "this slot already has a shot").
pub async fn injection_by_client_id(
    conn: &mut Conn,
    patient_id: i64,
    client_id: &str,
) -> Result<Option<Injection>, StoreError> {
    let row =
        sqlx::query(&format!("SELECT {INJECTION_COLUMNS} FROM injections WHERE patient_id = $1 AND client_id = $2"))
            .bind(patient_id)
            .bind(client_id)
            .fetch_optional(conn)
            .await?;
    Ok(row.as_ref().map(injection_from).transpose()?)
}

/// Appends an injection log entry; with a `client_id` already used for this patient, returns the existing row.
/// The caller has checked the entry against the log (one entry per slot) in the same transaction.
pub async fn add_injection(conn: &mut Conn, injection: &Injection, now_ms: i64) -> Result<Written, StoreError> {
    let row = sqlx::query(
        "INSERT INTO injections (patient_id, course_id, client_id, status, slot_number, dose_level, at_ms, site, \
         skip_reason, note, corrects_id, recorded_at_ms, recorded_by, standing_slot) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
         ON CONFLICT (patient_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(injection.patient_id)
    .bind(injection.course_id)
    .bind(injection.client_id.as_deref())
    .bind(&injection.status)
    .bind(injection.slot_number)
    .bind(injection.dose_level.as_deref())
    .bind(injection.at_ms)
    .bind(injection.site.as_deref())
    .bind(injection.skip_reason.as_deref())
    .bind(injection.note.as_deref())
    .bind(injection.corrects_id)
    .bind(now_ms)
    .bind(&injection.recorded_by)
    // One standing entry per slot, held by a unique index (migration 0007): an entry that is not a correction
    // claims its slot.
    .bind(if injection.corrects_id.is_none() { injection.slot_number } else { None })
    .fetch_optional(&mut *conn)
    .await
    .map_err(|error| conflict_on_unique(error, "this slot already has an entry in the injection log"))?;
    match row {
        Some(row) => Ok(Written::Created(row.try_get("id")?)),
        None => {
            let client_id = injection.client_id.as_deref().unwrap_or_default();
            let existing = injection_by_client_id(conn, injection.patient_id, client_id)
                .await?
                .ok_or_else(|| StoreError::Conflict("the injection entry conflicts with another".into()))?;
            Ok(Written::AlreadyPresent(existing.id))
        }
    }
}

/// A patient's injection log, every course, oldest first (corrected entries included; see
/// [`standing_injections`]).
pub async fn injections(conn: &mut Conn, patient_id: i64) -> Result<Vec<Injection>, StoreError> {
    let rows =
        sqlx::query(&format!("SELECT {INJECTION_COLUMNS} FROM injections WHERE patient_id = $1 ORDER BY at_ms, id"))
            .bind(patient_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.iter().map(injection_from).collect::<Result<_, _>>()?)
}

/// The entries that stand: every entry no later entry corrects.
pub fn standing_injections(entries: &[Injection]) -> Vec<&Injection> {
    let corrected: Vec<i64> = entries.iter().filter_map(|entry| entry.corrects_id).collect();
    entries.iter().filter(|entry| !corrected.contains(&entry.id)).collect()
}

/// A dose record as the ward writes it (migration 0007): its slot, the override's reason code and
/// co-signer, and the form's idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoseRecord {
    pub event: DoseEvent,
    /// The course-wide slot number (cycle 1: 1-15, cycle 2: 16-30).
    pub slot_number: Option<i64>,
    pub idempotency_key: Option<String>,
    pub reason_code: Option<String>,
    pub cosigned_by: Option<String>,
    pub recorded_at_ms: i64,
}

const DOSE_RECORD_COLUMNS: &str = "id, patient_id, course_id, assessment_id, status, at_ms, override_reason, \
     corrects_id, recorded_by, slot_number, idempotency_key, reason_code, cosigned_by, recorded_at_ms";

fn dose_record_from(row: &AnyRow) -> Result<DoseRecord, sqlx::Error> {
    Ok(DoseRecord {
        event: DoseEvent {
            id: row.try_get("id")?,
            patient_id: row.try_get("patient_id")?,
            course_id: row.try_get("course_id")?,
            assessment_id: row.try_get("assessment_id")?,
            status: row.try_get("status")?,
            at_ms: row.try_get("at_ms")?,
            override_reason: row.try_get("override_reason")?,
            corrects_id: row.try_get("corrects_id")?,
            recorded_by: row.try_get("recorded_by")?,
        },
        slot_number: row.try_get("slot_number")?,
        idempotency_key: row.try_get("idempotency_key")?,
        reason_code: row.try_get("reason_code")?,
        cosigned_by: row.try_get("cosigned_by")?,
        recorded_at_ms: row.try_get("recorded_at_ms")?,
    })
}

/// Appends a dose record. A second `given` for a slot, or a reused idempotency key, is a conflict (unique
/// indexes of migration 0007), so concurrent requests store one.
pub async fn add_dose_record(conn: &mut Conn, record: &DoseRecord) -> Result<i64, StoreError> {
    let event = &record.event;
    let row = sqlx::query(
        "INSERT INTO dose_events (patient_id, course_id, assessment_id, status, at_ms, override_reason, corrects_id, \
         recorded_at_ms, recorded_by, slot_number, idempotency_key, reason_code, cosigned_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
    )
    .bind(event.patient_id)
    .bind(event.course_id)
    .bind(event.assessment_id)
    .bind(&event.status)
    .bind(event.at_ms)
    .bind(event.override_reason.as_deref())
    .bind(event.corrects_id)
    .bind(record.recorded_at_ms)
    .bind(&event.recorded_by)
    .bind(record.slot_number)
    .bind(record.idempotency_key.as_deref())
    .bind(record.reason_code.as_deref())
    .bind(record.cosigned_by.as_deref())
    .fetch_one(conn)
    .await
    .map_err(|error| conflict_on_unique(error, "this slot already has a dose given, or the form was already sent"))?;
    Ok(row.try_get("id")?)
}

/// A course's dose records, oldest first.
pub async fn dose_records(conn: &mut Conn, course_id: i64) -> Result<Vec<DoseRecord>, StoreError> {
    let rows =
        sqlx::query(&format!("SELECT {DOSE_RECORD_COLUMNS} FROM dose_events WHERE course_id = $1 ORDER BY at_ms, id"))
            .bind(course_id)
            .fetch_all(conn)
            .await?;
    Ok(rows.iter().map(dose_record_from).collect::<Result<_, _>>()?)
}

/// The dose record a form already sent with `key`, if any.
pub async fn dose_record_by_key(conn: &mut Conn, patient_id: i64, key: &str) -> Result<Option<DoseRecord>, StoreError> {
    let row = sqlx::query(&format!(
        "SELECT {DOSE_RECORD_COLUMNS} FROM dose_events WHERE patient_id = $1 AND idempotency_key = $2"
    ))
    .bind(patient_id)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(dose_record_from).transpose()?)
}

/// When a course's decisions were stored, by assessment id.
pub async fn decisions_recorded_at(conn: &mut Conn, course_id: i64) -> Result<Vec<(i64, i64)>, StoreError> {
    let rows = sqlx::query("SELECT id, recorded_at_ms FROM assessments WHERE course_id = $1")
        .bind(course_id)
        .fetch_all(conn)
        .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("id")?, row.try_get("recorded_at_ms")?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

/// When anything that could change a decision was last recorded for a patient: an observation, a dose
/// record, a setting of the patient or the site, a cycle-2 delay (milliseconds; `None` when nothing is).
pub async fn last_change_ms(conn: &mut Conn, patient_id: i64) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query(
        "SELECT \
         (SELECT MAX(recorded_at_ms) FROM observations WHERE patient_id = $1) AS observations, \
         (SELECT MAX(recorded_at_ms) FROM dose_events WHERE patient_id = $1) AS doses, \
         (SELECT MAX(set_at_ms) FROM patient_settings WHERE patient_id = $1) AS patient_settings, \
         (SELECT MAX(set_at_ms) FROM site_settings) AS site_settings, \
         (SELECT MAX(d.recorded_at_ms) FROM cycle_two_delays d JOIN courses c ON c.id = d.course_id \
          WHERE c.patient_id = $1) AS delays",
    )
    .bind(patient_id)
    .fetch_one(conn)
    .await?;
    let mut latest: Option<i64> = None;
    for column in ["observations", "doses", "patient_settings", "site_settings", "delays"] {
        let value: Option<i64> = row.try_get(column)?;
        latest = latest.max(value);
    }
    Ok(latest)
}

/// Records a patient's target systolic pressure (decimal text in `mm[Hg]`; `None` = the rule set's default).
pub async fn set_target_systolic_bp(
    conn: &mut Conn,
    patient_id: i64,
    value: Option<&str>,
    now_ms: i64,
    by: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO patient_settings (patient_id, target_systolic_bp, set_at_ms, set_by) VALUES ($1, $2, $3, $4) \
         RETURNING id",
    )
    .bind(patient_id)
    .bind(value)
    .bind(now_ms)
    .bind(by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// A patient's current target systolic pressure (decimal text), if set.
pub async fn target_systolic_bp(conn: &mut Conn, patient_id: i64) -> Result<Option<String>, StoreError> {
    let row =
        sqlx::query("SELECT target_systolic_bp FROM patient_settings WHERE patient_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(patient_id)
            .fetch_optional(conn)
            .await?;
    Ok(match row {
        Some(row) => row.try_get("target_systolic_bp")?,
        None => None,
    })
}

/// Records a site setting.
pub async fn set_site_setting(
    conn: &mut Conn,
    name: &str,
    value: &str,
    now_ms: i64,
    by: &str,
) -> Result<i64, StoreError> {
    let row =
        sqlx::query("INSERT INTO site_settings (name, value, set_at_ms, set_by) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(name)
            .bind(value)
            .bind(now_ms)
            .bind(by)
            .fetch_one(conn)
            .await?;
    Ok(row.try_get("id")?)
}

/// A site setting's current value, if set.
pub async fn site_setting(conn: &mut Conn, name: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT value FROM site_settings WHERE name = $1 ORDER BY id DESC LIMIT 1")
        .bind(name)
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("value")?),
        None => None,
    })
}

/// Records a delayed cycle-2 start day for a course.
pub async fn add_cycle_two_delay(
    conn: &mut Conn,
    course_id: i64,
    start_day: i64,
    reason: &str,
    now_ms: i64,
    by: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO cycle_two_delays (course_id, start_day, reason, recorded_at_ms, recorded_by) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(course_id)
    .bind(start_day)
    .bind(reason)
    .bind(now_ms)
    .bind(by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// A course's latest delayed cycle-2 start day, if any.
pub async fn cycle_two_start_day(conn: &mut Conn, course_id: i64) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT start_day FROM cycle_two_delays WHERE course_id = $1 ORDER BY id DESC LIMIT 1")
        .bind(course_id)
        .fetch_optional(conn)
        .await?;
    Ok(match row {
        Some(row) => Some(row.try_get("start_day")?),
        None => None,
    })
}

/// Records that the call-back after a check-in cleared the next shot; a second clearance is a conflict.
pub async fn clear_checkin(
    conn: &mut Conn,
    checkin_id: i64,
    note: &str,
    now_ms: i64,
    by: &str,
) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO checkin_clearances (checkin_id, note, cleared_at_ms, cleared_by) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(checkin_id)
    .bind(note)
    .bind(now_ms)
    .bind(by)
    .fetch_one(conn)
    .await
    .map_err(|error| conflict_on_unique(error, "the next shot was already cleared after this check-in"))?;
    Ok(row.try_get("id")?)
}

/// The ids of a patient's check-ins whose call-back cleared the next shot.
pub async fn cleared_checkins(conn: &mut Conn, patient_id: i64) -> Result<Vec<i64>, StoreError> {
    let rows = sqlx::query(
        "SELECT k.checkin_id FROM checkin_clearances k JOIN checkins c ON c.id = k.checkin_id WHERE c.patient_id = $1",
    )
    .bind(patient_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|row| row.try_get("checkin_id").map_err(StoreError::from)).collect()
}

/// A pre-treatment screening as stored: the document evaluated and il2care's result (docs/screening.md).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screening {
    pub id: i64,
    pub patient_id: i64,
    pub client_id: Option<String>,
    /// The screen's evaluation time (`at` of the document).
    pub at_ms: i64,
    pub regimen: String,
    /// The overall status: `pass`, `needs_review` or `fail`.
    pub status: String,
    pub document: String,
    pub result: String,
    pub recorded_at_ms: i64,
    pub recorded_by: String,
}

const SCREENING_COLUMNS: &str =
    "id, patient_id, client_id, at_ms, regimen, status, document, result, recorded_at_ms, recorded_by";

fn screening_from(row: &AnyRow) -> Result<Screening, sqlx::Error> {
    Ok(Screening {
        id: row.try_get("id")?,
        patient_id: row.try_get("patient_id")?,
        client_id: row.try_get("client_id")?,
        at_ms: row.try_get("at_ms")?,
        regimen: row.try_get("regimen")?,
        status: row.try_get("status")?,
        document: row.try_get("document")?,
        result: row.try_get("result")?,
        recorded_at_ms: row.try_get("recorded_at_ms")?,
        recorded_by: row.try_get("recorded_by")?,
    })
}

/// Appends a screening with its result (`recorded_at_ms` is taken from the row given); with a `client_id`
/// already used for this patient, returns the existing row.
pub async fn add_screening(conn: &mut Conn, screening: &Screening) -> Result<Written, StoreError> {
    let row = sqlx::query(
        "INSERT INTO screenings (patient_id, client_id, at_ms, regimen, status, document, result, recorded_at_ms, \
         recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (patient_id, client_id) DO NOTHING RETURNING id",
    )
    .bind(screening.patient_id)
    .bind(screening.client_id.as_deref())
    .bind(screening.at_ms)
    .bind(&screening.regimen)
    .bind(&screening.status)
    .bind(&screening.document)
    .bind(&screening.result)
    .bind(screening.recorded_at_ms)
    .bind(&screening.recorded_by)
    .fetch_optional(&mut *conn)
    .await?;
    created_or_existing(conn, row, "screenings", screening.patient_id, screening.client_id.as_deref()).await
}

/// One screening.
pub async fn screening(conn: &mut Conn, id: i64) -> Result<Screening, StoreError> {
    let row = sqlx::query(&format!("SELECT {SCREENING_COLUMNS} FROM screenings WHERE id = $1"))
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or_else(|| StoreError::NotFound(format!("screening {id}")))?;
    Ok(screening_from(&row)?)
}

/// A patient's screenings, the latest first (by the screen's time, then by when it was stored).
pub async fn screenings(conn: &mut Conn, patient_id: i64) -> Result<Vec<Screening>, StoreError> {
    let rows = sqlx::query(&format!(
        "SELECT {SCREENING_COLUMNS} FROM screenings WHERE patient_id = $1 ORDER BY at_ms DESC, id DESC"
    ))
    .bind(patient_id)
    .fetch_all(conn)
    .await?;
    Ok(rows.iter().map(screening_from).collect::<Result<_, _>>()?)
}

// ---- The course gate (SCREENING §1 amendment of 2026-12-04): screenings of a course and physicians' decisions.

/// A physician's acknowledgement (`needs_review` item) or override (`fail` item) of one item of a screening.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreeningDecision {
    pub id: i64,
    pub screening_id: i64,
    /// The checklist item number, 1 to 19.
    pub item: i64,
    /// `acknowledge` or `override`.
    pub kind: String,
    pub reason: String,
    pub decided_at_ms: i64,
    pub decided_by: String,
}

/// Ties a screening to the course it was run for (once; a second tie of the same screening is refused).
pub async fn link_screening_to_course(conn: &mut Conn, screening_id: i64, course_id: i64) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO course_screenings (screening_id, course_id) VALUES ($1, $2)")
        .bind(screening_id)
        .bind(course_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The course a screening was run for, if it was tied to one.
pub async fn course_of_screening(conn: &mut Conn, screening_id: i64) -> Result<Option<i64>, StoreError> {
    let row = sqlx::query("SELECT course_id FROM course_screenings WHERE screening_id = $1")
        .bind(screening_id)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|row| row.try_get("course_id")).transpose()?)
}

/// The latest screening of a course (by the screen's time, then by when it was stored): the one that gates the
/// course's first dose slot (`il2care_core::screening::gate::first_dose_gate`).
pub async fn latest_screening_of_course(conn: &mut Conn, course_id: i64) -> Result<Option<Screening>, StoreError> {
    let columns: Vec<String> = SCREENING_COLUMNS.split(", ").map(|column| format!("s.{column}")).collect();
    let row = sqlx::query(&format!(
        "SELECT {} FROM screenings s JOIN course_screenings c ON c.screening_id = s.id WHERE c.course_id = $1 \
         ORDER BY s.at_ms DESC, s.id DESC LIMIT 1",
        columns.join(", ")
    ))
    .bind(course_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.as_ref().map(screening_from).transpose()?)
}

/// Records a physician's decision on an item (the caller checks the role, the item's status and the reason).
pub async fn add_screening_decision(conn: &mut Conn, decision: &ScreeningDecision) -> Result<i64, StoreError> {
    let row = sqlx::query(
        "INSERT INTO screening_decisions (screening_id, item, kind, reason, decided_at_ms, decided_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(decision.screening_id)
    .bind(decision.item)
    .bind(&decision.kind)
    .bind(&decision.reason)
    .bind(decision.decided_at_ms)
    .bind(&decision.decided_by)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("id")?)
}

/// The decisions recorded on a screening, oldest first.
pub async fn screening_decisions(conn: &mut Conn, screening_id: i64) -> Result<Vec<ScreeningDecision>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, screening_id, item, kind, reason, decided_at_ms, decided_by FROM screening_decisions \
         WHERE screening_id = $1 ORDER BY decided_at_ms, id",
    )
    .bind(screening_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(ScreeningDecision {
                id: row.try_get("id")?,
                screening_id: row.try_get("screening_id")?,
                item: row.try_get("item")?,
                kind: row.try_get("kind")?,
                reason: row.try_get("reason")?,
                decided_at_ms: row.try_get("decided_at_ms")?,
                decided_by: row.try_get("decided_by")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(StoreError::from)
}

#[cfg(all(test, feature = "testing"))]
mod worklist_tests {
    #![allow(clippy::unwrap_used)] // Tests: a failure is a failed test.

    use super::{
        Course, Decision, Patient, add_decision, courses_of_regimen_with_latest_decision, create_course, create_patient,
    };
    use crate::testing::TestDb;

    fn decision(patient_id: i64, course_id: i64, at_ms: i64, decision: &str, result: &str) -> Decision {
        Decision {
            id: 0,
            patient_id,
            course_id: Some(course_id),
            at_ms,
            rule_set: "label".into(),
            rule_set_version: "1".into(),
            decision: decision.into(),
            document: "{}".into(),
            result: result.into(),
        }
    }

    async fn the_latest_decision_of_each_course_comes_with_its_fired_rule_ids(db: TestDb) {
        let mut conn = db.store.connection().await.unwrap();
        let patient = Patient {
            id: 0,
            mrn: "W-1".into(),
            display_name: "W".into(),
            date_of_birth: "1970-01-01".into(),
            sex: "female".into(),
            time_zone: "UTC".into(),
        };
        let patient_id = create_patient(&mut conn, &patient, 1, "t").await.unwrap();
        let course = |regimen: &str| Course {
            id: 0,
            patient_id,
            regimen: regimen.into(),
            rule_set: "label".into(),
            started_at_ms: 10,
            baseline_weight_kg: None,
            baseline_creatinine_mg_dl: None,
        };
        let held = create_course(&mut conn, &course("hd-iv"), 2, "t").await.unwrap();
        let unreadable = create_course(&mut conn, &course("hd-iv"), 2, "t").await.unwrap();
        let undecided = create_course(&mut conn, &course("hd-iv"), 2, "t").await.unwrap();
        create_course(&mut conn, &course("kim-2021-sc"), 2, "t").await.unwrap();
        add_decision(&mut conn, &decision(patient_id, held, 50, "give", r#"{"fired":[]}"#), 3, "t").await.unwrap();
        let hold = r#"{"decision":"hold","fired":[{"id":"a.b","action":"hold"},{"action":"hold"},{"id":"c"}]}"#;
        // An earlier time but a later id: the latest is the last stored, as before.
        add_decision(&mut conn, &decision(patient_id, held, 40, "hold", hold), 4, "t").await.unwrap();
        add_decision(&mut conn, &decision(patient_id, unreadable, 60, "give", "not json"), 5, "t").await.unwrap();
        let listed = courses_of_regimen_with_latest_decision(&mut conn, "hd-iv").await.unwrap();
        let ids: Vec<i64> = listed.iter().map(|course| course.course_id).collect();
        assert_eq!(ids, vec![held, unreadable, undecided], "only this regimen, by course id");
        let latest = listed[0].latest.as_ref().unwrap();
        assert_eq!((latest.at_ms, latest.decision.as_str()), (40, "hold"));
        let fired: serde_json::Value = serde_json::from_str(&latest.fired_ids).unwrap();
        assert_eq!(fired, serde_json::json!(["a.b", null, "c"]), "as `result.fired[*].id` reads");
        assert_eq!(listed[1].latest.as_ref().unwrap().fired_ids, "[]", "an unreadable result has no reasons");
        assert_eq!(listed[2].latest, None);
        drop(conn);
        db.drop().await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn latest_decisions_on_sqlite() {
        the_latest_decision_of_each_course_comes_with_its_fired_rule_ids(TestDb::sqlite().await).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn latest_decisions_on_postgres() {
        the_latest_decision_of_each_course_comes_with_its_fired_rule_ids(TestDb::postgres().await).await;
    }
}
