//! A database made by the hand-made migration runner (il2care before `sqlx::migrate!`: migrations 0001..0009
//! applied as scripts, each version recorded in `schema_migrations`) migrates forward with nothing lost, on
//! SQLite and PostgreSQL: the store adopts the applied versions into `_sqlx_migrations` with their checksums,
//! applies the rest, every row is still there, and the audit chain verifies.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use il2care_store::audit::{self, AuditEntry, Verification};
use il2care_store::migrations;
use il2care_store::record::{self, Course, Decision, DoseEvent, Observation, Patient, StoredCheckIn};
use il2care_store::testing::EmptyDb;
use il2care_store::{Backend, Conn, Store};
use sqlx::{Connection, Executor};

/// The versions the hand-made runner of today's main applied.
const OLD_VERSIONS: std::ops::RangeInclusive<i64> = 1..=9;

async fn connect(url: &str) -> Conn {
    sqlx::any::install_default_drivers();
    let url = if url.starts_with("sqlite:") { format!("{url}?mode=rwc") } else { url.to_string() };
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    if url.starts_with("sqlite:") {
        conn.execute("PRAGMA foreign_keys = ON").await.unwrap();
    }
    conn
}

/// Applies the old migrations `versions` as the old runner did: each script in a transaction with its
/// `schema_migrations` row.
async fn apply_the_old_way(conn: &mut Conn, backend: Backend, versions: std::ops::RangeInclusive<i64>) {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at_ms BIGINT NOT NULL)",
    )
    .await
    .unwrap();
    for migration in migrations::migrator(backend).iter().filter(|m| versions.contains(&m.version)) {
        let mut transaction = conn.begin().await.unwrap();
        sqlx::raw_sql(&migration.sql).execute(&mut *transaction).await.unwrap();
        sqlx::query("INSERT INTO schema_migrations (version, applied_at_ms) VALUES ($1, $2)")
            .bind(migration.version)
            .bind(1_700_000_000_000_i64 + migration.version)
            .execute(&mut *transaction)
            .await
            .unwrap();
        transaction.commit().await.unwrap();
    }
}

fn entry<'a>(at_ms: i64, action: &'a str, resource: &'a str, patient_id: Option<i64>) -> AuditEntry<'a> {
    AuditEntry {
        at_ms,
        actor: "nurse.a",
        actor_role: "nurse",
        action,
        resource,
        patient_id,
        outcome: "ok",
        remote: "127.0.0.1",
    }
}

/// Writes one row of each kind through the store's functions (and the audit chain through `audit::append`).
async fn write_records(conn: &mut Conn) -> i64 {
    let patient = Patient {
        id: 0,
        mrn: "MRN-OLD-1".into(),
        display_name: "Old Patient".into(),
        date_of_birth: "1958-03-01".into(),
        sex: "male".into(),
        time_zone: "Europe/Amsterdam".into(),
    };
    let patient_id = record::create_patient(conn, &patient, 10_000, "nurse.a").await.unwrap();
    let course = Course {
        id: 0,
        patient_id,
        regimen: "hd_ivb_rcc_mm_q8h".into(),
        rule_set: "label".into(),
        started_at_ms: 20_000,
        baseline_weight_kg: Some("72.3".into()),
        baseline_creatinine_mg_dl: Some("0.9".into()),
    };
    let course_id = record::create_course(conn, &course, 20_000, "nurse.a").await.unwrap();
    let observation = Observation {
        id: 0,
        patient_id,
        client_id: Some("obs-1".into()),
        code: "systolic_bp".into(),
        value: "118".into(),
        unit: "mm[Hg]".into(),
        at_ms: 30_000,
        start_ms: None,
        document: "{\"value\":\"118\"}".into(),
        corrects_id: None,
    };
    record::add_observation(conn, &observation, 30_000, "nurse.a").await.unwrap();
    let checkin = StoredCheckIn {
        id: 0,
        patient_id,
        client_id: Some("checkin-1".into()),
        at_ms: 40_000,
        level: "call_today".into(),
        level_rank: 1,
        document: "{}".into(),
        result: "{\"level\":\"call_today\"}".into(),
        called_back: false,
    };
    let written = record::add_checkin(conn, &checkin, 40_000, "patient.a").await.unwrap();
    record::record_call_back(conn, written.id(), "called back", 41_000, "nurse.a").await.unwrap();
    let assessment = Decision {
        id: 0,
        patient_id,
        course_id: Some(course_id),
        at_ms: 50_000,
        rule_set: "label".into(),
        rule_set_version: "1".into(),
        decision: "give".into(),
        document: "{}".into(),
        result: "{\"decision\":\"give\",\"fired\":[]}".into(),
    };
    let assessment_id = record::add_decision(conn, &assessment, 50_000, "nurse.a").await.unwrap();
    let dose = DoseEvent {
        id: 0,
        patient_id,
        course_id,
        assessment_id: Some(assessment_id),
        status: "given".into(),
        at_ms: 60_000,
        override_reason: None,
        corrects_id: None,
        recorded_by: "nurse.a".into(),
    };
    record::add_dose_event(conn, &dose, 60_000).await.unwrap();
    record::add_flag(conn, patient_id, "received_interleukin_2", "course 1", 60_000, "nurse.a").await.unwrap();
    audit::append(conn, &entry(61_000, "write", "patient/1/doses", Some(patient_id))).await.unwrap();
    audit::append(conn, &entry(62_000, "read", "patient/1", Some(patient_id))).await.unwrap();
    patient_id
}

/// Every table's row count (except the migration bookkeeping), by name.
async fn row_counts(conn: &mut Conn, backend: Backend) -> Vec<(String, i64)> {
    let sql = match backend {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS name FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    let tables: Vec<(String,)> = sqlx::query_as(sql).fetch_all(&mut *conn).await.unwrap();
    let mut counts = Vec::new();
    for (table,) in tables {
        if table == "_sqlx_migrations" {
            continue;
        }
        let (count,): (i64,) =
            sqlx::query_as(&format!("SELECT COUNT(*) FROM {table}")).fetch_one(&mut *conn).await.unwrap();
        counts.push((table, count));
    }
    counts
}

/// What the store's readers answer about the patient, as text to compare before and after.
async fn snapshot(conn: &mut Conn, patient_id: i64) -> String {
    let courses = record::courses(conn, patient_id).await.unwrap();
    let doses = record::dose_events(conn, courses[0].id).await.unwrap();
    format!(
        "{:?}\n{courses:?}\n{:?}\n{:?}\n{:?}\n{doses:?}\n{:?}\n{:?}",
        record::patient(conn, patient_id).await.unwrap(),
        record::observations(conn, patient_id, 0).await.unwrap(),
        record::checkins(conn, patient_id).await.unwrap(),
        record::decisions(conn, patient_id).await.unwrap(),
        record::flag_rows(conn, patient_id).await.unwrap(),
        audit::query(conn, &audit::AuditQuery { limit: 100, ..Default::default() }).await.unwrap(),
    )
}

async fn a_database_of_the_hand_made_runner_migrates_forward_with_nothing_lost(empty: EmptyDb, backend: Backend) {
    let mut conn = connect(&empty.url).await;
    // History before the chain (migration 8): an entry written by the runner's version 7.
    apply_the_old_way(&mut conn, backend, 1..=7).await;
    sqlx::query(
        "INSERT INTO audit_log (at_ms, actor, actor_role, action, resource, patient_id, outcome, remote) \
         VALUES (5000, 'admin', 'admin', 'login', 'session', NULL, 'ok', '127.0.0.1')",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    apply_the_old_way(&mut conn, backend, 8..=*OLD_VERSIONS.end()).await;
    let patient_id = write_records(&mut conn).await;
    let counts_before = row_counts(&mut conn, backend).await;
    let before = snapshot(&mut conn, patient_id).await;
    assert!(matches!(audit::verify(&mut conn).await.unwrap(), Verification::Intact { entries: 2, unchained: 1, .. }));
    conn.close().await.unwrap();

    let db = empty.open().await;
    let mut conn = db.store.connection().await.unwrap();
    // (`success` is read as a number: the Any driver does not decode SQLite booleans.)
    let applied: Vec<(i64, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT version, CASE WHEN success THEN 1 ELSE 0 END AS success, checksum FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let migrator = migrations::migrator(backend);
    let expected: Vec<(i64, i64, Vec<u8>)> = migrator.iter().map(|m| (m.version, 1, m.checksum.to_vec())).collect();
    assert_eq!(applied, expected, "every migration is recorded once with its file's checksum");
    assert!(expected.iter().any(|(version, ..)| OLD_VERSIONS.contains(version)));
    let (old_rows,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM schema_migrations").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(old_rows, 9, "the old bookkeeping is kept as it was");

    let counts_after: Vec<(String, i64)> = row_counts(&mut conn, backend).await;
    for (table, count) in &counts_before {
        let after = counts_after.iter().find(|(name, _)| name == table).map(|(_, count)| *count);
        assert_eq!(after, Some(*count), "rows of {table} after migrating forward");
    }
    assert_eq!(snapshot(&mut conn, patient_id).await, before, "the record reads the same");
    // Migration 16 filled in the latest decision of the course decided before it, as its trigger does after.
    let courses = record::courses_of_regimen_with_latest_decision(&mut conn, "hd_ivb_rcc_mm_q8h").await.unwrap();
    assert_eq!(courses.len(), 1);
    assert_eq!(
        courses[0].latest.as_ref().map(|latest| (latest.at_ms, latest.decision.as_str())),
        Some((50_000, "give"))
    );
    drop(conn);
    match db.store.verify_audit().await.unwrap() {
        Verification::Intact { entries, unchained, .. } => assert_eq!((entries, unchained), (2, 1)),
        broken => panic!("the audit chain must verify after migrating: {broken:?}"),
    }

    // The store still writes (the triggers of 0008 refuse changes, and the chain goes on).
    let mut conn = db.store.connection().await.unwrap();
    let refused = sqlx::query("UPDATE patients SET display_name = 'x'").execute(&mut *conn).await;
    assert!(refused.is_err(), "append-only triggers survive the adoption");
    audit::append(&mut conn, &entry(70_000, "read", "patient/1", Some(patient_id))).await.unwrap();
    drop(conn);
    assert!(matches!(db.store.verify_audit().await.unwrap(), Verification::Intact { entries: 3, unchained: 1, .. }));

    // Reopening adopts nothing again and applies nothing twice.
    let again = Store::open(&db.url).await.unwrap();
    let mut conn = again.connection().await.unwrap();
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&mut *conn).await.unwrap();
    assert_eq!(rows, migrator.iter().count() as i64);
    drop(conn);
    again.close().await;
    db.drop().await;
}

async fn a_database_with_an_unknown_migration_is_refused(empty: EmptyDb, backend: Backend) {
    let mut conn = connect(&empty.url).await;
    apply_the_old_way(&mut conn, backend, OLD_VERSIONS).await;
    sqlx::query("INSERT INTO schema_migrations (version, applied_at_ms) VALUES (9999, 1)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let opened = Store::open(&empty.url).await;
    let error = opened.expect_err("a database newer than the program is refused").to_string();
    assert!(error.contains("9999"), "{error}");
    // Nothing was adopted: the refusal rolled the adoption back.
    let mut conn = connect(&empty.url).await;
    let adopted: Result<Vec<(i64,)>, _> =
        sqlx::query_as("SELECT version FROM _sqlx_migrations").fetch_all(&mut conn).await;
    assert!(adopted.map(|rows| rows.is_empty()).unwrap_or(true));
    conn.close().await.unwrap();
    empty.drop().await;
}

async fn a_fresh_database_runs_every_migration(empty: EmptyDb, backend: Backend) {
    let db = empty.open().await;
    let mut conn = db.store.connection().await.unwrap();
    let (rows,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM _sqlx_migrations WHERE success = TRUE")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(rows, migrations::migrator(backend).iter().count() as i64);
    // The triggers (SQLite BEGIN ... END bodies, PostgreSQL $$ functions) came through sqlx whole.
    audit::append(&mut conn, &entry(1_000, "read", "patient/1", None)).await.unwrap();
    let refused = sqlx::query("DELETE FROM audit_log").execute(&mut *conn).await;
    assert!(refused.unwrap_err().to_string().contains("append-only"));
    drop(conn);
    db.drop().await;
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn a_database_of_the_hand_made_runner_migrates_forward_with_nothing_lost() {
        super::a_database_of_the_hand_made_runner_migrates_forward_with_nothing_lost(
            EmptyDb::sqlite().await,
            Backend::Sqlite,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_database_with_an_unknown_migration_is_refused() {
        super::a_database_with_an_unknown_migration_is_refused(EmptyDb::sqlite().await, Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_fresh_database_runs_every_migration() {
        super::a_fresh_database_runs_every_migration(EmptyDb::sqlite().await, Backend::Sqlite).await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread")]
    async fn a_database_of_the_hand_made_runner_migrates_forward_with_nothing_lost() {
        super::a_database_of_the_hand_made_runner_migrates_forward_with_nothing_lost(
            EmptyDb::postgres().await,
            Backend::Postgres,
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_database_with_an_unknown_migration_is_refused() {
        super::a_database_with_an_unknown_migration_is_refused(EmptyDb::postgres().await, Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_fresh_database_runs_every_migration() {
        super::a_fresh_database_runs_every_migration(EmptyDb::postgres().await, Backend::Postgres).await;
    }
}
