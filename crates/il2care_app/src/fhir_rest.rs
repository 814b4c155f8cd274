//! The use cases of the service's FHIR REST routes: [`read_patient`] (`GET /fhir/Patient/{id}`),
//! [`everything`] (`$everything`), [`observations`] (the Observation search's record) and the `POST /fhir`
//! import ([`admit_import`], then [`import()`]), each deciding access through the one policy and auditing the
//! read or the refused import. The FHIR import and the record's gathering themselves are [`crate::fhir`]'s;
//! rendering, filtering and paging are the wire crate's and the service's.

use il2care_core::Refusal;
use il2care_store::Store;
use il2care_store::record;
use il2care_wire::fhir::export::{PatientEntry, PatientRecord};
use il2care_wire::fhir::import;
use jiff::Timestamp;

use crate::Error;
use crate::access::{self, Action, Actor, Role};
use crate::fhir::{ImportOutcome, ImportStatus, gather};

/// `GET /fhir/Patient/{id}`: the Patient, the read audited (`fhir/Patient/{id}`) before it is answered.
pub async fn read_patient(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    now: Timestamp,
) -> Result<PatientEntry, Error> {
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, &format!("patient/{patient_id}"), now)
        .await?;
    let patient = {
        let mut conn = store.connection().await?;
        record::patient(&mut conn, patient_id).await?
    };
    access::audit_read(store, actor, &format!("fhir/Patient/{patient_id}"), Some(patient_id), now).await?;
    Ok(crate::fhir::patient_entry(patient))
}

/// `GET /fhir/Patient/{id}/$everything`: the whole record, with the patient's audit entries only for the
/// care team (a patient sees their record, not who read it); the read audited before it is answered.
pub async fn everything(store: &Store, actor: &Actor, patient_id: i64, now: Timestamp) -> Result<PatientRecord, Error> {
    let resource = format!("patient/{patient_id}/fhir/everything");
    gathered(store, actor, patient_id, &resource, actor.role.is_clinical_staff(), now).await
}

/// `GET /fhir/Observation?patient=ID`: the record the search filters (no audit entries), the read audited.
pub async fn observations(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    now: Timestamp,
) -> Result<PatientRecord, Error> {
    let resource = format!("patient/{patient_id}/fhir/observations");
    gathered(store, actor, patient_id, &resource, false, now).await
}

async fn gathered(
    store: &Store,
    actor: &Actor,
    patient_id: i64,
    resource: &str,
    with_audit: bool,
    now: Timestamp,
) -> Result<PatientRecord, Error> {
    access::authorize(store, actor, Some(patient_id), Action::ReadRecord, resource, now).await?;
    let snapshot = {
        let mut conn = store.connection().await?;
        gather(&mut conn, patient_id, with_audit).await?
    };
    access::audit_read(store, actor, resource, Some(patient_id), now).await?;
    Ok(snapshot)
}

/// That the policy allowed an import (from [`admit_import`]).
#[derive(Debug)]
pub struct ImportAdmitted(());

/// `POST /fhir`: whether `actor` may import a Bundle (a refusal audited on `fhir/import`). Decided before the
/// body is read, so who may not import learns nothing about it.
pub async fn admit_import(store: &Store, actor: &Actor, now: Timestamp) -> Result<ImportAdmitted, Error> {
    access::authorize(store, actor, None, Action::ImportBundle, "fhir/import", now).await?;
    Ok(ImportAdmitted(()))
}

/// `POST /fhir`: imports the Bundle `text` (or answers a body that could not be read as text, `Err`, with an
/// OperationOutcome); a refused or unreadable Bundle is audited (`write` on `fhir/import`, `refused`). A
/// course (MedicationRequest) needs a physician.
pub async fn import(
    store: &Store,
    _admitted: ImportAdmitted,
    mrn_system: &str,
    actor: &Actor,
    text: Result<String, Refusal>,
    now: Timestamp,
) -> Result<ImportOutcome, Error> {
    let text = match text {
        Ok(text) => text,
        Err(refusal) => {
            audit_refused(store, actor, now).await?;
            let body = import::refused_bundle(format!("{}: {}", refusal.field, refusal.reason));
            return Ok(ImportOutcome { status: ImportStatus::Unreadable, body, refused: true });
        }
    };
    let physician = matches!(actor.role, Role::Physician | Role::Operator);
    let outcome = crate::fhir::import_text_reporting(store, mrn_system, &text, actor, physician, now, &|_| {}).await?;
    if outcome.refused && outcome.status != ImportStatus::Stored {
        audit_refused(store, actor, now).await?;
    }
    Ok(outcome)
}

/// The audit entry of a refused import.
async fn audit_refused(store: &Store, actor: &Actor, now: Timestamp) -> Result<(), Error> {
    let mut conn = store.connection().await?;
    access::append(&mut conn, actor, "write", "fhir/import", None, "refused", now).await
}
