//! The one access policy: `(actor, patient, action) -> allow or deny`, and the audit entries of accesses.
//!
//! A role may take an action when the action's table row lists it; a patient's record is within reach of the
//! clinical staff (nurse, physician, pharmacist) and of that patient, never of an admin. Every refusal is
//! audited (`denied`) before it is answered ([`authorize`]); every allowed write is audited in the write's
//! transaction ([`audit_write`]); every allowed read durably before it is answered ([`audit_read`]).

use il2care_store::audit::{self, AuditEntry};
use il2care_store::group_commit::{AuditOf, OwnedAudit};
use il2care_store::{Conn, Store};
use jiff::Timestamp;

use crate::Error;

/// Who may act. `Operator` is the person at the command line of the server (`il2care import`/`export`),
/// audited as `il2care-cli` with the role `cli`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Patient,
    Nurse,
    Physician,
    Pharmacist,
    Admin,
    Operator,
    /// An allow-listed EHR calling CDS Hooks with its signed JWT (authenticated by the service), audited as
    /// `ehr:<iss>` with the role `ehr`.
    Ehr,
}

impl Role {
    /// The role of an account stored as `text` (`cli` and `ehr` are never an account's role).
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "patient" => Some(Role::Patient),
            "nurse" => Some(Role::Nurse),
            "physician" => Some(Role::Physician),
            "pharmacist" => Some(Role::Pharmacist),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// The name stored in the audit log.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Patient => "patient",
            Role::Nurse => "nurse",
            Role::Physician => "physician",
            Role::Pharmacist => "pharmacist",
            Role::Admin => "admin",
            Role::Operator => "cli",
            Role::Ehr => "ehr",
        }
    }

    /// The care team: they reach every patient's record.
    pub fn is_clinical_staff(self) -> bool {
        matches!(self, Role::Nurse | Role::Physician | Role::Pharmacist)
    }
}

/// The one who acts: a signed-in user (or the command line's operator) and where the request came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub username: String,
    pub role: Role,
    /// The patient a patient account belongs to.
    pub patient_id: Option<i64>,
    /// The client address, or `local`.
    pub remote: String,
}

impl Actor {
    /// The operator of the command line, audited as `il2care-cli` from `local`.
    pub fn operator() -> Actor {
        Actor { username: "il2care-cli".into(), role: Role::Operator, patient_id: None, remote: "local".into() }
    }
}

/// What an actor asks to do. Each use case names one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read a patient's record (or a part of it).
    ReadRecord,
    /// Submit a check-in (the patient, or staff for them).
    SubmitCheckIn,
    /// Record a call back after a check-in.
    AcknowledgeCheckIn,
    /// Record that a call back cleared the next shot.
    ClearCheckIn,
    /// Import a FHIR Bundle into the record.
    ImportBundle,
    /// Record observations (vital signs, laboratory values, ...).
    RecordObservations,
    /// Export a patient's record as a FHIR Bundle.
    ExportRecord,
    /// Log a low-dose shot given or skipped (the patient, or staff for them).
    LogInjection,
    /// Manage the accounts: list them, add a user, disable, enable, unlock, reset to a temporary password.
    ManageAccounts,
    /// Read the audit log (a page, or its CSV export).
    ReadAuditLog,
    /// Read the pharmacy's work: the desk, a course's verifications, a preparation label.
    ReadPharmacy,
    /// Verify and sign off a prepared dose.
    VerifyDose,
    /// Enter a course's missing dosing weight or height.
    RecordDosingMeasurement,
    /// Call a CDS Hooks service (cards about the patient the EHR names) or send it feedback.
    CallCdsService,
    /// Read the rule catalogue (the rules and the thresholds in force at this site).
    ReadRuleCatalogue,
    /// Use the patient's own pages (check-in form, result, history, injection log): a patient, on their own
    /// record.
    UsePatientPages,
    /// Open the care team's pages of a patient (course page, timeline, the patient's education sheet).
    OpenStaffPages,
    /// Read the worklist (who needs the ward now).
    ReadWorklist,
    /// Start a course of interleukin-2.
    StartCourse,
    /// Decide the course's next dose from the record (a stored per-dose decision).
    DecideDose,
    /// Record a dose given or held against its decision.
    RecordDose,
    /// Delay the start of cycle 2.
    DelayCycleTwo,
    /// Set a patient's target systolic pressure.
    SetPatientSettings,
    /// Set the site's settings (tachycardia threshold, rule set of new courses).
    SetSiteSettings,
    /// Admit a new patient (the record of a patient not yet known).
    AdmitPatient,
    /// List the patients (the care team: all of them; a patient: themself).
    ListPatients,
    /// Submit a pre-treatment screening.
    ScreenPatient,
    /// Read a patient's pre-treatment screenings (the care team only, not the patient).
    ReadScreenings,
    /// Acknowledge a `needs_review` item of a screening or override a `fail` one (physicians).
    DecideScreeningItem,
}

impl Action {
    /// The roles that may take this action (the policy's table).
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Action::ReadRecord => &[Patient, Nurse, Physician, Pharmacist],
            Action::SubmitCheckIn => &[Patient, Nurse, Physician],
            Action::AcknowledgeCheckIn | Action::ClearCheckIn | Action::RecordObservations => &[Nurse, Physician],
            Action::ImportBundle => &[Nurse, Physician, Operator],
            Action::ExportRecord => &[Nurse, Physician, Pharmacist, Operator],
            Action::LogInjection => &[Patient, Nurse, Physician],
            Action::ManageAccounts | Action::ReadAuditLog => &[Admin],
            Action::ReadPharmacy => &[Nurse, Physician, Pharmacist],
            Action::VerifyDose => &[Pharmacist],
            Action::RecordDosingMeasurement => &[Pharmacist, Physician],
            Action::CallCdsService => &[Nurse, Physician, Pharmacist, Ehr],
            Action::ReadRuleCatalogue => &[Nurse, Physician, Pharmacist],
            Action::UsePatientPages => &[Patient],
            Action::OpenStaffPages => &[Nurse, Physician, Pharmacist],
            Action::ReadWorklist => &[Nurse, Physician],
            Action::DecideDose | Action::RecordDose => &[Nurse, Physician],
            Action::StartCourse | Action::DelayCycleTwo | Action::SetPatientSettings | Action::SetSiteSettings => {
                &[Physician]
            }
            Action::AdmitPatient => &[Nurse, Physician],
            Action::ListPatients => &[Patient, Nurse, Physician, Pharmacist],
            Action::DecideScreeningItem => &[Physician],
            Action::ScreenPatient => &[Physician, Pharmacist],
            Action::ReadScreenings => &[Nurse, Physician, Pharmacist],
        }
    }
}

/// The policy's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Denied, with what to tell the actor.
    Deny(String),
}

/// Whether `role` (of an account tied to `own_patient`) reaches patient `patient_id`'s record: the clinical
/// staff and the command line's operator reach every record, a patient only their own, an admin none.
pub fn within_reach(role: Role, own_patient: Option<i64>, patient_id: i64) -> bool {
    role.is_clinical_staff() || role == Role::Operator || (role == Role::Patient && own_patient == Some(patient_id))
}

/// The policy: `actor` may take `action` on `patient` (when the action concerns one patient's record).
pub fn decide(actor: &Actor, patient: Option<i64>, action: Action) -> Decision {
    if !action.roles().contains(&actor.role) {
        return Decision::Deny(format!("the {} role may not do this", actor.role.as_str()));
    }
    match patient {
        Some(id) if !within_reach(actor.role, actor.patient_id, id) => {
            Decision::Deny("this record is not yours to see".into())
        }
        _ => Decision::Allow,
    }
}

/// Decides access; a refusal is audited (`denied`, on `resource`) before it is answered as
/// [`Error::Forbidden`]. Authorization comes before validation: who may not act learns nothing about the input.
pub async fn authorize(
    store: &Store,
    actor: &Actor,
    patient: Option<i64>,
    action: Action,
    resource: &str,
    now: Timestamp,
) -> Result<(), Error> {
    match decide(actor, patient, action) {
        Decision::Allow => Ok(()),
        Decision::Deny(message) => {
            let mut conn = store.connection().await?;
            append(&mut conn, actor, "denied", resource, patient, "denied", now).await?;
            Err(Error::Forbidden(message))
        }
    }
}

/// Appends one entry for `actor` on `conn` (inside a transaction, the entry commits with it).
pub async fn append(
    conn: &mut Conn,
    actor: &Actor,
    action: &str,
    resource: &str,
    patient: Option<i64>,
    outcome: &str,
    now: Timestamp,
) -> Result<(), Error> {
    let entry = AuditEntry {
        at_ms: now.as_millisecond(),
        actor: &actor.username,
        actor_role: actor.role.as_str(),
        action,
        resource,
        patient_id: patient,
        outcome,
        remote: &actor.remote,
    };
    audit::append(conn, &entry).await?;
    Ok(())
}

/// The audit entry of an allowed write, in the write's transaction `tx`.
pub async fn audit_write(
    tx: &mut Conn,
    actor: &Actor,
    resource: &str,
    patient: Option<i64>,
    now: Timestamp,
) -> Result<(), Error> {
    append(tx, actor, "write", resource, patient, "ok", now).await
}

/// The audit entry of an allowed read, durable (group-committed) before the read is answered.
pub async fn audit_read(
    store: &Store,
    actor: &Actor,
    resource: &str,
    patient: Option<i64>,
    now: Timestamp,
) -> Result<(), Error> {
    let entry = OwnedAudit {
        at_ms: now.as_millisecond(),
        actor: actor.username.clone(),
        actor_role: actor.role.as_str().to_string(),
        action: "read".into(),
        resource: resource.to_string(),
        patient_id: patient,
        outcome: "ok".into(),
        remote: actor.remote.clone(),
    };
    store.audit_durably(entry).await?;
    Ok(())
}

/// The audit entry that the group-commit writer stores with a write it batches (a check-in).
pub fn audit_of(actor: &Actor, now: Timestamp) -> AuditOf {
    AuditOf {
        at_ms: now.as_millisecond(),
        actor: actor.username.clone(),
        actor_role: actor.role.as_str().to_string(),
        remote: actor.remote.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role, patient_id: Option<i64>) -> Actor {
        Actor { username: "u".into(), role, patient_id, remote: "r".into() }
    }

    #[test]
    fn the_policy_table_by_role_patient_and_action() {
        use Action::*;
        use Role::*;
        let own = actor(Patient, Some(3));
        let rows: [(&Actor, Option<i64>, Action, bool); 28] = [
            (&own, Some(3), SubmitCheckIn, true),
            (&own, Some(4), SubmitCheckIn, false),
            (&own, Some(3), ReadRecord, true),
            (&own, Some(4), ReadRecord, false),
            (&own, None, AcknowledgeCheckIn, false),
            (&actor(Nurse, None), Some(4), SubmitCheckIn, true),
            (&actor(Nurse, None), None, AcknowledgeCheckIn, true),
            (&actor(Pharmacist, None), None, AcknowledgeCheckIn, false),
            (&actor(Pharmacist, None), Some(4), ReadRecord, true),
            (&actor(Admin, None), Some(4), ReadRecord, false),
            (&actor(Admin, None), None, ImportBundle, false),
            (&actor(Physician, None), None, ImportBundle, true),
            (&Actor::operator(), Some(4), ExportRecord, true),
            (&Actor::operator(), Some(4), SubmitCheckIn, false),
            (&own, Some(3), LogInjection, true),
            (&own, Some(4), LogInjection, false),
            (&actor(Pharmacist, None), Some(4), LogInjection, false),
            (&actor(Admin, None), Some(4), LogInjection, false),
            (&actor(Pharmacist, None), None, AdmitPatient, false),
            (&actor(Nurse, None), None, AdmitPatient, true),
            (&own, None, ListPatients, true),
            (&actor(Admin, None), None, ListPatients, false),
            (&actor(Nurse, None), Some(4), StartCourse, false),
            (&actor(Pharmacist, None), Some(4), ScreenPatient, true),
            (&actor(Nurse, None), Some(4), ScreenPatient, false),
            (&own, Some(3), ReadScreenings, false),
            (&actor(Pharmacist, None), Some(4), DecideScreeningItem, false),
            (&actor(Pharmacist, None), None, ReadWorklist, false),
        ];
        for (who, patient, action, allowed) in rows {
            let decision = decide(who, patient, action);
            assert_eq!(decision == Decision::Allow, allowed, "{who:?} {patient:?} {action:?}: {decision:?}");
        }
    }

    #[test]
    fn a_patient_account_without_a_patient_reaches_no_record() {
        assert!(!within_reach(Role::Patient, None, 1));
        assert!(within_reach(Role::Patient, Some(1), 1));
        assert!(!within_reach(Role::Admin, None, 1));
    }
}
