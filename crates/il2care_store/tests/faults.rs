//! Fault recovery and the tamper-evident audit log, on SQLite and PostgreSQL: commits that fail (injected the
//! way the database fails them) leave the writer and the pool working by themselves, nothing acknowledged is
//! lost and nothing half-done is visible; the audit chain detects an edited, a deleted and a removed newest
//! entry, and the database refuses UPDATE and DELETE on the audit log and the clinical tables.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use il2care_store::audit::{self, AuditEntry, Verification};
use il2care_store::group_commit::AuditOf;
use il2care_store::record::{self, Patient, StoredCheckIn};
use il2care_store::testing::TestDb;

/// The time of the health check's probe write (any time will do: the probe only proves a write commits).
const NOW_MS: i64 = 1_764_000_000_000;
use il2care_store::{Backend, Store};
use sqlx::Executor;

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

fn checkin(patient_id: i64, client_id: &str, at_ms: i64) -> StoredCheckIn {
    StoredCheckIn {
        id: 0,
        patient_id,
        client_id: Some(client_id.into()),
        at_ms,
        level: "self_care".into(),
        level_rank: 0,
        document: "{}".into(),
        result: "{}".into(),
        called_back: false,
    }
}

fn by() -> AuditOf {
    AuditOf { at_ms: 5, actor: "p".into(), actor_role: "patient".into(), remote: "127.0.0.1".into() }
}

async fn new_patient(store: &Store, mrn: &str) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let id = record::create_patient(&mut tx, &patient(mrn), 1, "nurse").await.unwrap();
    tx.commit().await.unwrap();
    id
}

/// Submits `count` check-ins at once, named `{prefix}-{n}`; answers how many were acknowledged.
async fn submit(store: &Store, patient_id: i64, prefix: &str, count: usize) -> Vec<Result<i64, String>> {
    let mut handles = Vec::new();
    for n in 0..count {
        let store = store.clone();
        let job = checkin(patient_id, &format!("{prefix}-{n}"), n as i64);
        handles.push(tokio::spawn(async move {
            store.add_checkin_durably(job, by()).await.map(|written| written.id()).map_err(|error| error.to_string())
        }));
    }
    let mut results = Vec::new();
    for handle in handles {
        results.push(handle.await.unwrap());
    }
    results
}

async fn stored_client_ids(store: &Store, patient_id: i64) -> Vec<String> {
    let mut conn = store.connection().await.unwrap();
    let mut ids: Vec<String> =
        record::checkins(&mut conn, patient_id).await.unwrap().into_iter().filter_map(|c| c.client_id).collect();
    ids.sort();
    ids
}

async fn the_writer_recovers_by_itself_after_failed_commits(db: &TestDb) {
    let store = &db.store;
    let id = new_patient(store, "MRN-F").await;
    assert!(submit(store, id, "before", 10).await.iter().all(Result::is_ok));
    store.check(NOW_MS).await.unwrap();

    store.writer_health().inject_commit_failure(true);
    let failed = submit(store, id, "during", 10).await;
    assert!(failed.iter().all(Result::is_err), "no check-in is acknowledged while commits fail: {failed:?}");
    assert!(store.check(NOW_MS).await.is_err(), "health fails while writes fail");
    assert!(store.writer_health().is_failing());
    let read = il2care_store::group_commit::OwnedAudit {
        at_ms: 6,
        actor: "nurse".into(),
        actor_role: "nurse".into(),
        action: "read".into(),
        resource: format!("patient/{id}"),
        patient_id: Some(id),
        outcome: "ok".into(),
        remote: "127.0.0.1".into(),
    };
    assert!(store.audit_durably(read.clone()).await.is_err(), "a read is not answered while its audit fails");

    // The fault ends; no restart: the next batches commit on fresh connections.
    store.writer_health().inject_commit_failure(false);
    store.check(NOW_MS).await.unwrap();
    assert!(!store.writer_health().is_failing());
    let after = submit(store, id, "after", 10).await;
    assert!(after.iter().all(Result::is_ok), "service resumed by itself: {after:?}");
    store.audit_durably(read).await.unwrap();
    // The same check-ins again (a client retrying with its ids) are stored now.
    assert!(submit(store, id, "during", 10).await.iter().all(Result::is_ok));

    let stored = stored_client_ids(store, id).await;
    assert_eq!(stored.len(), 30, "every acknowledged check-in is stored, once: {stored:?}");
    for prefix in ["before", "after", "during"] {
        assert_eq!(stored.iter().filter(|c| c.starts_with(&format!("{prefix}-"))).count(), 10, "{prefix}");
    }
    // Nothing half-done: one write entry per stored check-in, and the audit chain holds.
    let mut conn = store.connection().await.unwrap();
    let query = audit::AuditQuery { patient_id: Some(id), actor: Some("p".into()), limit: 1000 };
    assert_eq!(audit::query(&mut conn, &query).await.unwrap().len(), 30);
    drop(conn);
    assert!(matches!(store.verify_audit().await.unwrap(), Verification::Intact { .. }));
}

async fn pooled_connections_recover_after_a_failed_commit(db: &TestDb) {
    let store = &db.store;
    // More failed transactions than the pool has connections: each one left broken must be replaced.
    for n in 0..20 {
        let mut tx = store.begin().await.unwrap();
        record::create_patient(&mut tx, &patient(&format!("LOST-{n}")), 1, "nurse").await.unwrap();
        match store.backend() {
            // As after an I/O error: SQLite rolled the transaction back itself, so COMMIT fails.
            Backend::Sqlite => {
                tx.execute("ROLLBACK").await.unwrap();
            }
            // The connection is lost before the commit.
            Backend::Postgres => {
                let _ = tx.execute("SELECT pg_terminate_backend(pg_backend_pid())").await;
            }
        }
        assert!(tx.commit().await.is_err(), "the commit fails");
    }
    for n in 0..20 {
        new_patient(store, &format!("KEPT-{n}")).await;
    }
    let mut conn = store.connection().await.unwrap();
    let patients = record::patients(&mut conn).await.unwrap();
    assert_eq!(patients.len(), 20, "only the committed patients are visible");
    assert!(patients.iter().all(|p| p.mrn.starts_with("KEPT-")));
    drop(conn);
    store.check(NOW_MS).await.unwrap();
}

fn entry<'a>(actor: &'a str, resource: &'a str) -> AuditEntry<'a> {
    AuditEntry {
        at_ms: 9,
        actor,
        actor_role: "nurse",
        action: "read",
        resource,
        patient_id: Some(1),
        outcome: "ok",
        remote: "10.0.0.1",
    }
}

async fn append_five(store: &Store) {
    let mut conn = store.connection().await.unwrap();
    for n in 0..5 {
        audit::append(&mut conn, &entry("nurse", &format!("patient/{n}"))).await.unwrap();
    }
}

/// Runs `sql` with the audit log's append-only triggers out of the way, as someone with the database's
/// owner rights could.
async fn tamper(db: &TestDb, sql: &str) {
    let mut conn = db.store.connection().await.unwrap();
    match db.store.backend() {
        Backend::Sqlite => {
            conn.execute("DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete").await.unwrap();
        }
        Backend::Postgres => {
            conn.execute("DROP TRIGGER audit_log_append_only ON audit_log").await.unwrap();
        }
    }
    conn.execute(sql).await.unwrap();
}

async fn entry_ids(store: &Store) -> Vec<i64> {
    let mut conn = store.connection().await.unwrap();
    let query = audit::AuditQuery { patient_id: None, actor: None, limit: 1000 };
    let mut ids: Vec<i64> = audit::query(&mut conn, &query).await.unwrap().iter().map(|e| e.id).collect();
    ids.sort_unstable();
    ids
}

async fn the_database_refuses_updates_and_deletes_of_the_record(db: &TestDb) {
    append_five(&db.store).await;
    let id = new_patient(&db.store, "MRN-T").await;
    db.store.add_checkin_durably(checkin(id, "c-1", 1), by()).await.unwrap();
    let mut conn = db.store.connection().await.unwrap();
    for sql in [
        "UPDATE audit_log SET actor = 'someone'".to_string(),
        "DELETE FROM audit_log".to_string(),
        format!("UPDATE patients SET display_name = 'x' WHERE id = {id}"),
        format!("DELETE FROM patients WHERE id = {id}"),
        "DELETE FROM checkins".to_string(),
        "UPDATE audit_chain_head SET seq = seq".to_string(),
    ] {
        let refused = conn.execute(sql.as_str()).await;
        if sql.contains("audit_chain_head") {
            // The head moves with every entry: it is not append-only, the chain itself detects its misuse.
            assert!(refused.is_ok(), "{sql}");
        } else {
            let message = refused.expect_err(&sql).to_string();
            assert!(message.contains("append-only"), "{sql}: {message}");
        }
    }
    drop(conn);
    assert_eq!(db.store.verify_audit().await.unwrap(), intact(&db.store).await);
}

async fn intact(store: &Store) -> Verification {
    match store.verify_audit().await.unwrap() {
        intact @ Verification::Intact { .. } => intact,
        broken => panic!("the chain should hold: {broken:?}"),
    }
}

async fn verify_detects_an_edited_entry(db: &TestDb) {
    append_five(&db.store).await;
    let Verification::Intact { entries, .. } = intact(&db.store).await else { unreachable!() };
    assert_eq!(entries, 5);
    let ids = entry_ids(&db.store).await;
    tamper(db, &format!("UPDATE audit_log SET actor = 'somebody-else' WHERE id = {}", ids[2])).await;
    match db.store.verify_audit().await.unwrap() {
        Verification::Broken { id, reason, .. } => {
            assert_eq!(id, Some(ids[2]), "the edited entry is named");
            assert!(reason.contains("changed"), "{reason}");
        }
        intact => panic!("an edited entry must be detected: {intact:?}"),
    }
}

async fn verify_detects_a_deleted_entry(db: &TestDb) {
    append_five(&db.store).await;
    let ids = entry_ids(&db.store).await;
    tamper(db, &format!("DELETE FROM audit_log WHERE id = {}", ids[1])).await;
    match db.store.verify_audit().await.unwrap() {
        Verification::Broken { id, reason, .. } => {
            assert_eq!(id, Some(ids[2]), "the entry after the deleted one is named");
            assert!(reason.contains("missing"), "{reason}");
        }
        intact => panic!("a deleted entry must be detected: {intact:?}"),
    }
}

async fn verify_detects_a_removed_newest_entry(db: &TestDb) {
    append_five(&db.store).await;
    let ids = entry_ids(&db.store).await;
    tamper(db, &format!("DELETE FROM audit_log WHERE id = {}", ids[4])).await;
    match db.store.verify_audit().await.unwrap() {
        Verification::Broken { reason, .. } => assert!(reason.contains("newest"), "{reason}"),
        intact => panic!("a removed newest entry must be detected: {intact:?}"),
    }
}

async fn concurrent_writers_extend_one_chain(db: &TestDb) {
    let mut handles = Vec::new();
    for n in 0..40 {
        let store = db.store.clone();
        handles.push(tokio::spawn(async move {
            let mut tx = store.begin().await.unwrap();
            let resource = format!("patient/{n}");
            audit::append(&mut tx, &entry("nurse", &resource)).await.unwrap();
            tx.commit().await.unwrap();
        }));
        let store = db.store.clone();
        handles.push(tokio::spawn(async move {
            let mut conn = store.connection().await.unwrap();
            audit::append(&mut conn, &entry("admin", "audit")).await.unwrap();
        }));
    }
    for handle in handles {
        handle.await.unwrap();
    }
    let Verification::Intact { entries, .. } = intact(&db.store).await else { unreachable!() };
    assert_eq!(entries, 80);
}

il2care_store::on_both_backends!(
    the_writer_recovers_by_itself_after_failed_commits,
    pooled_connections_recover_after_a_failed_commit,
    the_database_refuses_updates_and_deletes_of_the_record,
    verify_detects_an_edited_entry,
    verify_detects_a_deleted_entry,
    verify_detects_a_removed_newest_entry,
    concurrent_writers_extend_one_chain,
);
