//! `il2care audit verify` on SQLite and PostgreSQL: exit 0 on an intact log, exit 1 naming the entry after
//! one is edited or deleted in the database (with the append-only trigger dropped first, as the database's
//! owner could).

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::process::Command;

use il2care_store::audit::{self, AuditEntry, AuditQuery};
use il2care_store::testing::TestDb;
use il2care_store::{Backend, Store};
use sqlx::Executor;

fn verify(url: &str) -> (Option<i32>, String) {
    let output =
        Command::new(env!("CARGO_BIN_EXE_il2care")).args(["audit", "verify", "--database", url]).output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.code(), text)
}

async fn seed(store: &Store) -> Vec<i64> {
    let mut conn = store.connection().await.unwrap();
    for n in 0..4 {
        let resource = format!("patient/{n}/observations");
        let entry = AuditEntry {
            at_ms: 1_000 + n,
            actor: "nurse",
            actor_role: "nurse",
            action: "read",
            resource: &resource,
            patient_id: Some(n),
            outcome: "ok",
            remote: "10.1.1.1",
        };
        audit::append(&mut conn, &entry).await.unwrap();
    }
    let query = AuditQuery { patient_id: None, actor: None, limit: 100 };
    let mut ids: Vec<i64> = audit::query(&mut conn, &query).await.unwrap().iter().map(|e| e.id).collect();
    ids.sort_unstable();
    ids
}

async fn tamper(store: &Store, sql: &str) {
    let mut conn = store.connection().await.unwrap();
    let drop_trigger = match store.backend() {
        Backend::Sqlite => "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete",
        Backend::Postgres => "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    };
    conn.execute(drop_trigger).await.unwrap();
    conn.execute(sql).await.unwrap();
}

async fn verify_names_the_edited_then_the_deleted_entry(db: TestDb) {
    let ids = seed(&db.store).await;
    let (code, text) = verify(&db.url);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("intact: 4 chained entries"), "{text}");

    tamper(&db.store, &format!("UPDATE audit_log SET resource = 'patient/99/observations' WHERE id = {}", ids[1]))
        .await;
    let (code, text) = verify(&db.url);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&format!("entry id {}", ids[1])), "the edited entry is named: {text}");

    // Put the edited row back out of the way: delete it; the next entry is named as the broken link.
    tamper(&db.store, &format!("DELETE FROM audit_log WHERE id = {}", ids[1])).await;
    let (code, text) = verify(&db.url);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains(&format!("entry id {}", ids[2])), "the entry after the deleted one is named: {text}");
    assert!(text.contains("missing"), "{text}");
    db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sqlite_verify_detects_edits_and_deletions() {
    verify_names_the_edited_then_the_deleted_entry(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_verify_detects_edits_and_deletions() {
    verify_names_the_edited_then_the_deleted_entry(TestDb::postgres().await).await;
}
