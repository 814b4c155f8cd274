//! Audit page benchmark: `administration::audit_entries` (behind `GET /api/v1/audit`, `/audit` and
//! `/audit.csv`) over a log of 1,000,000 entries, on SQLite and PostgreSQL. It measures; it asserts nothing
//! about the figures.
//!
//! Workload (fixed): 1,000,000 entries one second apart from 2026-01-01T00:00Z, 200 actors (one in ten
//! entries by the first actor), actions `read` (about 80 %), `write` (about 15 %), `denied` (1 in 200), and
//! `login` for the rest, outcome `denied` exactly for the `denied` entries, a patient for nine in ten entries
//! (10,000 patients). Rows are written with multi-row `INSERT`s (the columns `audit::append` writes, without
//! the hash chain, which the query does not read); the schema and indexes are the production ones.
//!
//! Each query asks for one page of 50 newest first, as the audit page does. Run:
//! `cargo bench -p il2care_web --bench audit` (SQLite) and `cargo bench -p il2care_web --bench audit --
//! --postgres` (a fresh database on `IL2CARE_TEST_POSTGRES_URL`'s server, dropped afterwards). Options:
//! `--rows N` (default 1000000), `--runs N` (default 15).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // A bench: a failed setup ends it.

use std::time::{Duration, Instant};

use il2care_store::administration::{AuditFilter, audit_entries};
use il2care_store::testing::TestDb;

const ROWS_PER_INSERT: i64 = 1000;

fn start_ms() -> i64 {
    "2026-01-01T00:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

async fn seed(db: &TestDb, rows: i64) {
    let started = Instant::now();
    let mut first = 0;
    while first < rows {
        let mut tx = db.store.begin().await.unwrap();
        for chunk_start in (first..(first + 50 * ROWS_PER_INSERT).min(rows)).step_by(ROWS_PER_INSERT as usize) {
            let end = (chunk_start + ROWS_PER_INSERT).min(rows);
            let mut values = Vec::new();
            for index in chunk_start..end {
                let actor = if index % 10 == 0 { "user0".to_string() } else { format!("user{}", index % 200) };
                let action = match index % 200 {
                    0 => "denied",
                    1..=30 => "write",
                    31..=38 => "login",
                    _ => "read",
                };
                let outcome = if action == "denied" { "denied" } else { "ok" };
                let patient = if index % 10 == 9 { "NULL".to_string() } else { (1 + index % 10_000).to_string() };
                values.push(format!(
                    "({}, '{actor}', 'nurse', '{action}', 'patient/{patient}', {patient}, '{outcome}', '10.0.0.1')",
                    start_ms() + index * 1000
                ));
            }
            let sql = format!(
                "INSERT INTO audit_log (at_ms, actor, actor_role, action, resource, patient_id, outcome, remote) VALUES {}",
                values.join(", ")
            );
            sqlx::raw_sql(&sql).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
        first += 50 * ROWS_PER_INSERT;
    }
    let mut conn = db.store.connection().await.unwrap();
    // On PostgreSQL also VACUUM: autovacuum marks an insert-only table's pages all-visible soon after a load
    // (PostgreSQL 13 and later), and until then an index-only scan still reads every row's page.
    let analyze = if db.url.starts_with("sqlite") { "ANALYZE" } else { "VACUUM ANALYZE audit_log" };
    sqlx::raw_sql(analyze).execute(&mut *conn).await.unwrap();
    println!("seeded {rows} entries in {:.1} s", started.elapsed().as_secs_f64());
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(run());
}

async fn run() {
    let mut postgres = false;
    let mut rows: i64 = 1_000_000;
    let mut runs = 15;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--postgres" => postgres = true,
            "--rows" => rows = args.next().and_then(|n| n.parse().ok()).expect("--rows N"),
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            _ => {}
        }
    }
    let db = if postgres { TestDb::postgres().await } else { TestDb::sqlite().await };
    println!("backend: {}", if postgres { "PostgreSQL" } else { "SQLite" });
    seed(&db, rows).await;
    let day = 24 * 3600 * 1000;
    let middle = start_ms() + rows * 1000 / 2;
    let text = |value: &str| Some(value.to_string());
    let cases: Vec<(&str, AuditFilter)> = vec![
        ("no filter (newest page)", AuditFilter::default()),
        ("keyset page halfway down", AuditFilter { before_id: Some(rows / 2), ..AuditFilter::default() }),
        ("actor (1 in 10 entries)", AuditFilter { actor: text("user0"), ..AuditFilter::default() }),
        ("actor (1 in 200)", AuditFilter { actor: text("user7"), ..AuditFilter::default() }),
        ("actor that never acted", AuditFilter { actor: text("nobody"), ..AuditFilter::default() }),
        ("action denied (1 in 200)", AuditFilter { action: text("denied"), ..AuditFilter::default() }),
        ("outcome denied (1 in 200)", AuditFilter { outcome: text("denied"), ..AuditFilter::default() }),
        ("patient (about 90 entries)", AuditFilter { patient_id: Some(4321), ..AuditFilter::default() }),
        (
            "one day in the middle",
            AuditFilter { from_ms: Some(middle), until_ms: Some(middle + day), ..AuditFilter::default() },
        ),
        (
            "one day near the start",
            AuditFilter {
                from_ms: Some(start_ms() + day),
                until_ms: Some(start_ms() + 2 * day),
                ..AuditFilter::default()
            },
        ),
        (
            "one day, newest",
            AuditFilter {
                from_ms: Some(start_ms() + rows * 1000 - day),
                until_ms: Some(start_ms() + rows * 1000),
                ..AuditFilter::default()
            },
        ),
        (
            "31 days in the middle",
            AuditFilter {
                from_ms: Some(middle - 15 * day),
                until_ms: Some(middle + 16 * day),
                ..AuditFilter::default()
            },
        ),
        ("from a day in the middle on (open)", AuditFilter { from_ms: Some(middle), ..AuditFilter::default() }),
        (
            "actor + action + one day",
            AuditFilter {
                actor: text("user0"),
                action: text("read"),
                from_ms: Some(middle),
                until_ms: Some(middle + day),
                ..AuditFilter::default()
            },
        ),
        (
            "patient + outcome denied",
            AuditFilter { patient_id: Some(4321), outcome: text("denied"), ..AuditFilter::default() },
        ),
    ];
    let mut conn = db.store.connection().await.unwrap();
    println!("| query (page of 50) | rows | median | slowest |");
    println!("|---|---|---|---|");
    for (name, filter) in &cases {
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..runs {
            let started = Instant::now();
            found = audit_entries(&mut conn, filter, 50).await.unwrap().len();
            times.push(started.elapsed());
        }
        let slowest = *times.iter().max().unwrap();
        println!(
            "| {name} | {found} | {:.2} ms | {:.2} ms |",
            median(times).as_secs_f64() * 1000.0,
            slowest.as_secs_f64() * 1000.0
        );
    }
    drop(conn);
    db.drop().await;
}
