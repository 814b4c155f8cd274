//! Patient use cases: [`admit`] (a new patient and their preferences, one transaction, audited), [`read`] (one
//! patient with their lasting flags), [`list`] (the care team sees every patient, a patient only themself) and
//! [`course_form`] (what the start-a-course page needs: the patient and the site's default rule set).
//!
//! The new-patient document is read by the wire crate (`il2care_wire::patient`), where the birth-date check
//! lives once (the FHIR import uses it too).

use il2care_store::Store;
use il2care_store::administration::{self, PatientPreferences};
use il2care_store::record;
use il2care_wire::patient::new_patient;
use jiff::Timestamp;

use crate::Error;
use crate::access::{self, Action, Actor, Role};

/// A patient as the record holds them (the store's row: plain data).
pub use il2care_store::record::Patient;

/// A patient admitted: the stored patient (with their id) and their preferences.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admitted {
    pub patient: Patient,
    pub mrn_system: String,
    pub language: String,
    pub units: String,
}

/// Admits a patient from a new-patient document (the text; the MRN's system defaults to `default_mrn_system`):
/// the patient, their preferences and the audit entry commit together. A second patient with the same MRN is a
/// conflict, and nothing is stored.
pub async fn admit(
    store: &Store,
    actor: &Actor,
    text: &str,
    default_mrn_system: &str,
    now: Timestamp,
) -> Result<Admitted, Error> {
    access::authorize(store, actor, None, Action::AdmitPatient, "patients", now).await?;
    let today = now.to_zoned(jiff::tz::TimeZone::UTC).date();
    let new = new_patient(text, today, default_mrn_system)?;
    let mut patient = Patient {
        id: 0,
        mrn: new.mrn,
        display_name: new.name,
        date_of_birth: new.date_of_birth,
        sex: new.sex,
        time_zone: new.time_zone,
    };
    let preferences = PatientPreferences { mrn_system: new.mrn_system, language: new.language, units: new.units };
    let now_ms = now.as_millisecond();
    let mut tx = store.begin().await?;
    patient.id = record::create_patient(&mut tx, &patient, now_ms, &actor.username).await?;
    administration::add_patient_preferences(&mut tx, patient.id, &preferences, now_ms, &actor.username).await?;
    access::audit_write(&mut tx, actor, &format!("patient/{}", patient.id), Some(patient.id), now).await?;
    tx.commit().await?;
    let PatientPreferences { mrn_system, language, units } = preferences;
    Ok(Admitted { patient, mrn_system, language, units })
}

/// A patient with their lasting flags (`received_interleukin_2`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatientRecord {
    pub patient: Patient,
    pub flags: Vec<String>,
}

/// Patient `patient_id` and their flags; the read is audited before it is answered.
pub async fn read(store: &Store, actor: &Actor, patient_id: i64, now: Timestamp) -> Result<PatientRecord, Error> {
    let resource = format!("patient/{patient_id}");
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, &resource, now).await?;
    let (patient, flags) = {
        let mut conn = store.connection().await?;
        (record::patient(&mut conn, patient_id).await?, record::flags(&mut conn, patient_id).await?)
    };
    access::audit_read(store, actor, &resource, Some(patient_id), now).await?;
    Ok(PatientRecord { patient, flags })
}

/// The patients `actor` may see: the care team every patient, a patient only themself (none for a patient
/// account tied to no patient). Audited as a read of `patients`.
pub async fn list(store: &Store, actor: &Actor, now: Timestamp) -> Result<Vec<Patient>, Error> {
    access::authorize(store, actor, None, Action::ListPatients, "patients", now).await?;
    let patients = {
        let mut conn = store.connection().await?;
        match (actor.role, actor.patient_id) {
            (Role::Patient, Some(id)) => vec![record::patient(&mut conn, id).await?],
            (Role::Patient, None) => Vec::new(),
            _ => record::patients(&mut conn).await?,
        }
    };
    access::audit_read(store, actor, "patients", actor.patient_id, now).await?;
    Ok(patients)
}

/// What the start-a-course page shows: the patient and the site setting `rule_set_setting` (the default rule
/// set, as stored; `None` when the site set none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourseForm {
    pub patient: Patient,
    pub default_rule_set: Option<String>,
}

/// The start-a-course page's data for patient `patient_id` (physicians, who start courses); the refusal is
/// audited on `patient/{id}/courses`, the read on `patient/{id}`.
pub async fn course_form(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    rule_set_setting: &str,
    now: Timestamp,
) -> Result<CourseForm, Error> {
    let resource = format!("patient/{patient_id}/courses");
    access::authorize(store, actor, Some(patient_id), Action::StartCourse, &resource, now).await?;
    let form = {
        let mut conn = store.connection().await?;
        CourseForm {
            patient: record::patient(&mut conn, patient_id).await?,
            default_rule_set: record::site_setting(&mut conn, rule_set_setting).await?,
        }
    };
    access::audit_read(store, actor, &format!("patient/{patient_id}"), Some(patient_id), now).await?;
    Ok(form)
}

/// Whether `actor` may admit patients (the admission page before it is filled in); a refusal is audited.
pub async fn admission_form(store: &Store, actor: &Actor, now: Timestamp) -> Result<(), Error> {
    access::authorize(store, actor, None, Action::AdmitPatient, "patients", now).await
}
