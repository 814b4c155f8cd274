//! The store's one test binary: every test runs on SQLite (a fresh file) and on PostgreSQL (a fresh database
//! on 127.0.0.1:5432, dropped afterwards), so both backends prove the same behaviour.
//!
//! Set `IL2CARE_TEST_POSTGRES_URL` to use another server (default `postgres://postgres@127.0.0.1:5432/postgres`).

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use il2care_store::accounts::{self, NewUser};
use il2care_store::audit::{self, AuditEntry, AuditQuery};
use il2care_store::record::{self, DoseEvent, Injection, Observation, Patient, Screening, StoredCheckIn, Written};
use il2care_store::{Store, StoreError};

use il2care_store::testing::TestDb;

/// The time of the health check's probe write (any time will do: the probe only proves a write commits).
const NOW_MS: i64 = 1_764_000_000_000;

fn patient(mrn: &str) -> Patient {
    Patient {
        id: 0,
        mrn: mrn.into(),
        display_name: "Test Patient".into(),
        date_of_birth: "1960-04-02".into(),
        sex: "female".into(),
        time_zone: "America/New_York".into(),
    }
}

fn observation(patient_id: i64, client_id: Option<&str>, value: &str) -> Observation {
    Observation {
        id: 0,
        patient_id,
        client_id: client_id.map(str::to_string),
        code: "systolic_bp".into(),
        value: value.into(),
        unit: "mm[Hg]".into(),
        at_ms: 1_000,
        start_ms: None,
        document: "{}".into(),
        corrects_id: None,
    }
}

fn checkin(patient_id: i64, client_id: &str, level: &str, rank: i64, at_ms: i64) -> StoredCheckIn {
    StoredCheckIn {
        id: 0,
        patient_id,
        client_id: Some(client_id.into()),
        at_ms,
        level: level.into(),
        level_rank: rank,
        document: "{}".into(),
        result: "{}".into(),
        called_back: false,
    }
}

async fn migrations_run_once_and_reopening_is_harmless(db: &TestDb) {
    let again = Store::open(&db.url).await.unwrap();
    again.check(NOW_MS).await.unwrap();
    let mut conn = again.connection().await.unwrap();
    assert!(record::patients(&mut conn).await.unwrap().is_empty());
}

async fn patients_are_created_and_a_second_mrn_is_a_conflict(db: &TestDb) {
    let mut tx = db.store.begin().await.unwrap();
    let id = record::create_patient(&mut tx, &patient("MRN-1"), 10, "nurse").await.unwrap();
    tx.commit().await.unwrap();
    let mut conn = db.store.connection().await.unwrap();
    assert_eq!(record::patient(&mut conn, id).await.unwrap().mrn, "MRN-1");
    let duplicate = record::create_patient(&mut conn, &patient("MRN-1"), 11, "nurse").await;
    assert!(matches!(duplicate, Err(StoreError::Conflict(_))), "{duplicate:?}");
    assert!(matches!(record::patient(&mut conn, id + 100).await, Err(StoreError::NotFound(_))));
}

async fn a_retried_observation_with_the_same_client_id_is_stored_once(db: &TestDb) {
    let mut conn = db.store.connection().await.unwrap();
    let id = record::create_patient(&mut conn, &patient("MRN-2"), 10, "nurse").await.unwrap();
    let first = record::add_observation(&mut conn, &observation(id, Some("phone-1"), "88"), 20, "nurse").await.unwrap();
    let retry = record::add_observation(&mut conn, &observation(id, Some("phone-1"), "88"), 21, "nurse").await.unwrap();
    assert!(matches!(first, Written::Created(_)));
    assert_eq!(retry, Written::AlreadyPresent(first.id()));
    record::add_observation(&mut conn, &observation(id, None, "92"), 22, "nurse").await.unwrap();
    record::add_observation(&mut conn, &observation(id, None, "93"), 23, "nurse").await.unwrap();
    let stored = record::observations(&mut conn, id, 0).await.unwrap();
    assert_eq!(stored.iter().map(|o| o.value.as_str()).collect::<Vec<_>>(), ["88", "92", "93"]);
}

async fn checkins_awaiting_call_back_come_most_urgent_first_and_leave_when_called_back(db: &TestDb) {
    let mut conn = db.store.connection().await.unwrap();
    let id = record::create_patient(&mut conn, &patient("MRN-3"), 10, "nurse").await.unwrap();
    let calm = record::add_checkin(&mut conn, &checkin(id, "a", "self_care", 0, 100), 100, "p").await.unwrap();
    let urgent = record::add_checkin(&mut conn, &checkin(id, "b", "call_now", 2, 200), 200, "p").await.unwrap();
    let retry = record::add_checkin(&mut conn, &checkin(id, "b", "call_now", 2, 200), 201, "p").await.unwrap();
    assert_eq!(retry, Written::AlreadyPresent(urgent.id()));
    let open: Vec<i64> = record::checkins_awaiting_call_back(&mut conn).await.unwrap().iter().map(|c| c.id).collect();
    assert_eq!(open, [urgent.id(), calm.id()]);
    record::record_call_back(&mut conn, urgent.id(), "called back", 300, "nurse").await.unwrap();
    let open: Vec<i64> = record::checkins_awaiting_call_back(&mut conn).await.unwrap().iter().map(|c| c.id).collect();
    assert_eq!(open, [calm.id()]);
    assert!(record::checkin(&mut conn, urgent.id()).await.unwrap().called_back);
}

async fn a_dose_correction_is_a_new_event_pointing_at_the_old_one(db: &TestDb) {
    let mut conn = db.store.connection().await.unwrap();
    let patient_id = record::create_patient(&mut conn, &patient("MRN-4"), 10, "nurse").await.unwrap();
    let course = record::Course {
        id: 0,
        patient_id,
        regimen: "hd-iv".into(),
        rule_set: "label".into(),
        started_at_ms: 0,
        baseline_weight_kg: Some("80".into()),
        baseline_creatinine_mg_dl: None,
    };
    let course_id = record::create_course(&mut conn, &course, 10, "physician").await.unwrap();
    let event = DoseEvent {
        id: 0,
        patient_id,
        course_id,
        assessment_id: None,
        status: "given".into(),
        at_ms: 1_000,
        override_reason: None,
        corrects_id: None,
        recorded_by: "nurse".into(),
    };
    let given = record::add_dose_event(&mut conn, &event, 1_000).await.unwrap();
    let correction = DoseEvent { status: "held".into(), corrects_id: Some(given), ..event };
    record::add_dose_event(&mut conn, &correction, 2_000).await.unwrap();
    let events = record::dose_events(&mut conn, course_id).await.unwrap();
    assert_eq!(events.len(), 2, "the original stays");
    assert_eq!((events[1].status.as_str(), events[1].corrects_id), ("held", Some(given)));
}

async fn sessions_expire_and_failed_sign_ins_are_counted_across_instances(db: &TestDb) {
    let mut conn = db.store.connection().await.unwrap();
    let user = NewUser {
        username: "nina",
        display_name: "Nina",
        password_hash: "x",
        role: "nurse",
        patient_id: None,
        now_ms: 1,
    };
    let user_id = accounts::create_user(&mut conn, &user).await.unwrap();
    assert!(matches!(accounts::create_user(&mut conn, &user).await, Err(StoreError::Conflict(_))));
    accounts::create_session(&mut conn, "digest", user_id, 100, 200).await.unwrap();
    // A second instance sees the same session: it lives in the database.
    let other_instance = Store::open(&db.url).await.unwrap();
    let mut other = other_instance.connection().await.unwrap();
    assert_eq!(accounts::session_user(&mut other, "digest", 150).await.unwrap().unwrap().username, "nina");
    assert!(accounts::session_user(&mut other, "digest", 200).await.unwrap().is_none(), "expired at 200");
    accounts::delete_session(&mut conn, "digest").await.unwrap();
    assert!(accounts::session_user(&mut conn, "digest", 150).await.unwrap().is_none());
    for at in [10, 20, 30] {
        accounts::record_login_attempt(&mut conn, "nina", "127.0.0.1", at, false).await.unwrap();
    }
    accounts::record_login_attempt(&mut conn, "nina", "127.0.0.1", 40, true).await.unwrap();
    assert_eq!(accounts::failed_logins_since(&mut other, "nina", 20).await.unwrap(), 2);
}

async fn the_audit_log_is_filtered_by_patient_and_newest_first(db: &TestDb) {
    let mut tx = db.store.begin().await.unwrap();
    for (at, patient_id) in [(1, Some(7)), (2, None), (3, Some(7))] {
        let entry = AuditEntry {
            at_ms: at,
            actor: "nina",
            actor_role: "nurse",
            action: "read",
            resource: "patient/7",
            patient_id,
            outcome: "ok",
            remote: "127.0.0.1",
        };
        audit::append(&mut tx, &entry).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut conn = db.store.connection().await.unwrap();
    let query = AuditQuery { patient_id: Some(7), actor: None, limit: 10 };
    let entries = audit::query(&mut conn, &query).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.at_ms).collect::<Vec<_>>(), [3, 1]);
}

async fn a_rolled_back_transaction_leaves_nothing_behind(db: &TestDb) {
    let mut tx = db.store.begin().await.unwrap();
    record::create_patient(&mut tx, &patient("MRN-ROLLBACK"), 10, "nurse").await.unwrap();
    tx.rollback().await.unwrap();
    let mut conn = db.store.connection().await.unwrap();
    assert!(record::patients(&mut conn).await.unwrap().iter().all(|p| p.mrn != "MRN-ROLLBACK"));
}

async fn the_injection_log_keeps_retries_once_and_corrections_beside_what_they_correct(db: &TestDb) {
    let mut conn = db.store.connection().await.unwrap();
    let patient_id = record::create_patient(&mut conn, &patient("MRN-LD"), 10, "nurse").await.unwrap();
    let course = record::Course {
        id: 0,
        patient_id,
        regimen: "saadoun-2011-sc".into(),
        rule_set: "label".into(),
        started_at_ms: 0,
        baseline_weight_kg: None,
        baseline_creatinine_mg_dl: None,
    };
    let course_id = record::create_course(&mut conn, &course, 10, "physician").await.unwrap();
    let shot = Injection {
        id: 0,
        patient_id,
        course_id,
        client_id: Some("phone-1".into()),
        status: "given".into(),
        slot_number: Some(1),
        dose_level: Some("1.5-miu".into()),
        at_ms: 1_000,
        site: Some("abdomen_left".into()),
        skip_reason: None,
        note: Some("no trouble".into()),
        corrects_id: None,
        recorded_by: "patient".into(),
    };
    let first = record::add_injection(&mut conn, &shot, 1_000).await.unwrap();
    let retry = record::add_injection(&mut conn, &shot, 1_001).await.unwrap();
    assert!(matches!(first, Written::Created(_)));
    assert_eq!(retry, Written::AlreadyPresent(first.id()));
    let found = record::injection_by_client_id(&mut conn, patient_id, "phone-1").await.unwrap().unwrap();
    assert_eq!((found.id, found.site.as_deref()), (first.id(), Some("abdomen_left")));
    assert!(record::injection_by_client_id(&mut conn, patient_id, "phone-2").await.unwrap().is_none());
    let correction = Injection {
        client_id: Some("phone-2".into()),
        site: Some("thigh_right".into()),
        corrects_id: Some(first.id()),
        ..shot.clone()
    };
    record::add_injection(&mut conn, &correction, 2_000).await.unwrap();
    let skipped = Injection {
        client_id: None,
        status: "skipped".into(),
        slot_number: Some(2),
        at_ms: 90_000,
        site: None,
        skip_reason: Some("fever".into()),
        note: None,
        ..shot.clone()
    };
    record::add_injection(&mut conn, &skipped, 90_000).await.unwrap();
    let log = record::injections(&mut conn, patient_id).await.unwrap();
    assert_eq!(log.len(), 3, "the corrected entry stays in the record");
    let standing = record::standing_injections(&log);
    let sites: Vec<Option<&str>> = standing.iter().map(|entry| entry.site.as_deref()).collect();
    assert_eq!(sites, [Some("thigh_right"), None], "the correction stands in place of the entry it corrects");
    assert_eq!(standing[1].skip_reason.as_deref(), Some("fever"));
}

async fn screenings_are_kept_each_with_its_result_the_latest_first(db: &TestDb) {
    let mut conn = db.store.connection().await.unwrap();
    let patient_id = record::create_patient(&mut conn, &patient("MRN-SCREEN"), 10, "physician").await.unwrap();
    let screening = |at_ms: i64, status: &str, client_id: Option<&str>| Screening {
        id: 0,
        patient_id,
        client_id: client_id.map(str::to_string),
        at_ms,
        regimen: "hd-iv".into(),
        status: status.into(),
        document: "{}".into(),
        result: format!("{{\"status\": \"{status}\"}}"),
        recorded_at_ms: at_ms + 5,
        recorded_by: "pharmacist".into(),
    };
    let first = record::add_screening(&mut conn, &screening(1_000, "fail", Some("form-1"))).await.unwrap();
    let retry = record::add_screening(&mut conn, &screening(1_000, "fail", Some("form-1"))).await.unwrap();
    assert_eq!(retry, Written::AlreadyPresent(first.id()));
    let later = record::add_screening(&mut conn, &screening(2_000, "needs_review", None)).await.unwrap();
    let stored = record::screenings(&mut conn, patient_id).await.unwrap();
    assert_eq!(stored.iter().map(|s| s.id).collect::<Vec<_>>(), [later.id(), first.id()], "the latest first");
    assert_eq!(record::screening(&mut conn, first.id()).await.unwrap().result, "{\"status\": \"fail\"}");
    assert!(matches!(record::screening(&mut conn, later.id() + 100).await, Err(StoreError::NotFound(_))));
}

async fn concurrent_checkins_commit_together_and_a_bad_one_is_refused_alone(db: &TestDb) {
    let mut conn = db.store.connection().await.unwrap();
    let id = record::create_patient(&mut conn, &patient("MRN-GROUP"), 10, "nurse").await.unwrap();
    drop(conn);
    let audit = || il2care_store::group_commit::AuditOf {
        at_ms: 5,
        actor: "p".into(),
        actor_role: "patient".into(),
        remote: "test".into(),
    };
    let mut handles = Vec::new();
    for n in 0..40 {
        let store = db.store.clone();
        // Patient id + 1000 does not exist: that one job fails, alone.
        let patient_id = if n == 7 { id + 1000 } else { id };
        let job = checkin(patient_id, &format!("group-{n}"), "self_care", 0, n);
        handles.push(tokio::spawn(async move { store.add_checkin_durably(job, audit()).await }));
    }
    let mut refused = 0;
    for handle in handles {
        if handle.await.unwrap().is_err() {
            refused += 1;
        }
    }
    assert_eq!(refused, 1, "only the check-in for a missing patient is refused");
    let mut conn = db.store.connection().await.unwrap();
    assert_eq!(record::checkins(&mut conn, id).await.unwrap().len(), 39);
    let query = AuditQuery { patient_id: Some(id), actor: Some("p".into()), limit: 100 };
    assert_eq!(audit::query(&mut conn, &query).await.unwrap().len(), 39, "each stored check-in has its audit entry");
}

async fn audit_entries_commit_while_every_pooled_connection_is_held(db: &TestDb) {
    // Handlers hold a pooled connection while they wait for their read's audit entry: the writer must not
    // need the shared pool, or a busy server would deadlock.
    let mut held = Vec::new();
    while let Ok(Ok(conn)) = tokio::time::timeout(std::time::Duration::from_millis(300), db.store.connection()).await {
        held.push(conn);
    }
    assert!(held.len() >= 8, "the pool is exhausted ({} held)", held.len());
    let entry = il2care_store::group_commit::OwnedAudit {
        at_ms: 1,
        actor: "nurse".into(),
        actor_role: "nurse".into(),
        action: "read".into(),
        resource: "patient/1".into(),
        patient_id: Some(1),
        outcome: "ok".into(),
        remote: "test".into(),
    };
    let written = tokio::time::timeout(std::time::Duration::from_secs(10), db.store.audit_durably(entry)).await;
    assert!(matches!(written, Ok(Ok(()))), "the audit entry committed while the pool was exhausted: {written:?}");
    drop(held);
}

fn read_entry(at_ms: i64, actor: &str) -> il2care_store::group_commit::OwnedAudit {
    il2care_store::group_commit::OwnedAudit {
        at_ms,
        actor: actor.into(),
        actor_role: "ehr".into(),
        action: "read".into(),
        resource: "patient/1/cds/il2care-patient-view".into(),
        patient_id: Some(1),
        outcome: "ok".into(),
        remote: "test".into(),
    }
}

fn token_use(iss: &str, jti: &str, kept_until_ms: i64) -> il2care_store::group_commit::TokenUse {
    il2care_store::group_commit::TokenUse { iss: iss.into(), jti: jti.into(), kept_until_ms }
}

async fn a_token_id_is_accepted_once_across_instances_and_pruned_after_it_expires(db: &TestDb) {
    use il2care_store::group_commit::TokenCheck::{Fresh, Replayed};
    let store = &db.store;
    let first = store.audit_token_durably(read_entry(1_000, "ehr:a"), token_use("a", "t-1", 400_000)).await.unwrap();
    assert_eq!(first, Fresh);
    // Another instance on the same database sees the use: replays are refused everywhere.
    let other = Store::open(&db.url).await.unwrap();
    let again = other.audit_token_durably(read_entry(2_000, "ehr:a"), token_use("a", "t-1", 400_000)).await.unwrap();
    assert_eq!(again, Replayed);
    // The same id from another issuer is another token.
    let elsewhere = store.audit_token_durably(read_entry(3_000, "ehr:b"), token_use("b", "t-1", 400_000)).await;
    assert_eq!(elsewhere.unwrap(), Fresh);
    // Two concurrent uses of one new token: exactly one is fresh, even inside one batch.
    let (left, right) = tokio::join!(
        store.audit_token_durably(read_entry(4_000, "ehr:a"), token_use("a", "t-2", 400_000)),
        store.audit_token_durably(read_entry(4_000, "ehr:a"), token_use("a", "t-2", 400_000)),
    );
    let mut outcomes = vec![left.unwrap(), right.unwrap()];
    outcomes.sort_by_key(|check| *check == Replayed);
    assert_eq!(outcomes, vec![Fresh, Replayed]);
    let mut conn = store.connection().await.unwrap();
    let query = AuditQuery { patient_id: Some(1), actor: Some("ehr:a".into()), limit: 100 };
    let entries = audit::query(&mut conn, &query).await.unwrap();
    let denied = entries.iter().filter(|entry| entry.action == "denied" && entry.outcome == "replayed_token").count();
    assert_eq!((entries.len(), denied), (4, 2), "every use is audited and each replay as a denial: {entries:?}");
    // A new process's first batch prunes ids whose tokens can no longer be accepted (here: t-1 and t-2).
    let later = Store::open(&db.url).await.unwrap();
    let pruned = later.audit_token_durably(read_entry(500_000, "ehr:a"), token_use("a", "t-3", 900_000)).await;
    assert_eq!(pruned.unwrap(), Fresh);
    let kept: Vec<(String,)> =
        sqlx::query_as("SELECT jti FROM cds_token_uses ORDER BY jti").fetch_all(&mut *conn).await.unwrap();
    assert_eq!(kept, vec![("t-3".to_string(),)], "expired token ids are pruned");
    other.close().await;
    later.close().await;
}

il2care_store::on_both_backends!(
    migrations_run_once_and_reopening_is_harmless,
    patients_are_created_and_a_second_mrn_is_a_conflict,
    a_retried_observation_with_the_same_client_id_is_stored_once,
    checkins_awaiting_call_back_come_most_urgent_first_and_leave_when_called_back,
    a_dose_correction_is_a_new_event_pointing_at_the_old_one,
    sessions_expire_and_failed_sign_ins_are_counted_across_instances,
    the_audit_log_is_filtered_by_patient_and_newest_first,
    a_rolled_back_transaction_leaves_nothing_behind,
    concurrent_checkins_commit_together_and_a_bad_one_is_refused_alone,
    audit_entries_commit_while_every_pooled_connection_is_held,
    the_injection_log_keeps_retries_once_and_corrections_beside_what_they_correct,
    screenings_are_kept_each_with_its_result_the_latest_first,
    a_token_id_is_accepted_once_across_instances_and_pruned_after_it_expires,
);
