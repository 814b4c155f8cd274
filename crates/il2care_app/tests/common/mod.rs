//! What the use-case tests share: the fixed clock, an actor of a role, a patient in the record, and the audit
//! log read back oldest first (`il2care_store::on_both_backends!` runs each named test on SQLite and on PostgreSQL).

use il2care_app::access::{Actor, Role};
use il2care_store::audit::{self, AuditQuery};
use il2care_store::record::{self, Patient};
use il2care_store::testing::TestDb;
use jiff::Timestamp;

/// The tests' `now`: the caller's clock, fixed.
pub fn now() -> Timestamp {
    "2026-11-27T15:00:00Z".parse().unwrap()
}

/// A signed-in actor of `role` (a patient's own `patient_id` for the patient role).
pub fn actor(role: Role, patient_id: Option<i64>) -> Actor {
    Actor { username: format!("{}.a", role.as_str()), role, patient_id, remote: "10.0.0.9".into() }
}

/// A new patient with MRN `mrn`; its id.
pub async fn patient(db: &TestDb, mrn: &str) -> i64 {
    let mut conn = db.store.connection().await.unwrap();
    let patient = Patient {
        id: 0,
        mrn: mrn.into(),
        display_name: "Test Patient".into(),
        date_of_birth: "1960-04-02".into(),
        sex: "female".into(),
        time_zone: "America/New_York".into(),
    };
    record::create_patient(&mut conn, &patient, 1_000, "setup").await.unwrap()
}

/// The audit log as (actor, action, resource, outcome), oldest first (the last 500 entries).
pub async fn entries(db: &TestDb) -> Vec<(String, String, String, String)> {
    let mut conn = db.store.connection().await.unwrap();
    let query = AuditQuery { limit: 500, ..Default::default() };
    let mut list: Vec<_> = audit::query(&mut conn, &query)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| (entry.actor, entry.action, entry.resource, entry.outcome))
        .collect();
    list.reverse();
    list
}
