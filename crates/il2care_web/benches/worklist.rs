//! Worklist benchmark: `worklist_items` over a ward of 10,000 active high-dose patients with 14 days of
//! 4-hourly vitals each, on SQLite and PostgreSQL. It measures; it asserts nothing about the figures.
//!
//! Workload (fixed, relative to `NOW` = 2026-11-28T00:00:00Z so a cached database stays valid):
//! - 10,000 patients, each with a high-dose IV course (`hd-iv`) started 1-119 hours before `NOW` (in the
//!   cycle 1 dosing window), and 1,000 more outpatients with a low-dose SC course (`koreth-2016-sc`,
//!   `kim-2021-sc`) that the worklist must skip;
//! - 84 time points (14 days, every 4 hours) of systolic pressure, heart rate, temperature and SpO2 for each
//!   high-dose patient: 3,360,000 observation rows with their accepted JSON and a `client_id`;
//! - 0-6 stored decisions per high-dose course (about 34,000), the latest a `give` for most, a `hold` for one
//!   in ten, `insufficient_data` for one in 25, none for one in 20 (`needs_assessment`); documents and
//!   results are real ones: `tests/cases/assess/*.json` evaluated by the core and the wire crate;
//! - one called-back check-in per patient (11,000) and one nobody has called back for 5 % of them (550), triaged
//!   from `tests/cases/triage/*.json`.
//!
//! Patients, courses, decisions, check-ins and call backs go through the store's own insert functions;
//! the 3.36 M observations are written with multi-row `INSERT`s in large transactions (the same columns
//! `record::add_observation` writes), which is the only SQL here. The schema and indexes are the
//! production ones: the store's migrations are applied by `Store::open`, also to a cached database.
//!
//! Run: `cargo bench -p il2care_web --bench worklist` (SQLite; the seeded file is cached as
//! `target/bench-data/worklist-v{SEED_VERSION}-{patients}.db` and reused) and
//! `cargo bench -p il2care_web --bench worklist -- --postgres` (on `IL2CARE_TEST_POSTGRES_URL`'s server, default
//! `postgres://postgres@127.0.0.1:5432/postgres`; the seeded database is cached as
//! `il2care_bench_worklist_v{SEED_VERSION}_{patients}` and reused, `VACUUM ANALYZE`d before each measurement).
//! Options: `--runs N` (default 25), `--patients N` (default 10000), `--drop` (drop the PostgreSQL database
//! after measuring).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // A bench: a failed setup ends it.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use il2care_store::record::{self, Course, Decision, Patient, StoredCheckIn};
use il2care_store::{Conn, Store};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use sqlx::{Connection, Executor};

/// Bump when the seeded content changes, so a stale cached database is not reused.
const SEED_VERSION: u32 = 1;
const HOUR_MS: i64 = 3_600_000;
/// Vitals per time point, with their unit and how a value is made from a seed.
const VITALS: [(&str, &str); 4] =
    [("systolic_bp", "mm[Hg]"), ("heart_rate", "/min"), ("temperature", "Cel"), ("spo2", "%")];
/// Time points of vitals per patient: 14 days every 4 hours.
const TIME_POINTS: i64 = 14 * 6;
/// Observation rows per multi-row `INSERT` (9 parameters each, well under both databases' limits).
const ROWS_PER_INSERT: usize = 250;

struct Options {
    postgres: bool,
    /// Drops the cached PostgreSQL database after measuring.
    drop: bool,
    runs: usize,
    patients: i64,
}

fn options() -> Options {
    let mut options = Options { postgres: false, drop: false, runs: 25, patients: 10_000 };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--postgres" => options.postgres = true,
            "--drop" => options.drop = true,
            "--runs" => options.runs = args.next().and_then(|n| n.parse().ok()).expect("--runs N"),
            "--patients" => options.patients = args.next().and_then(|n| n.parse().ok()).expect("--patients N"),
            _ => {} // `cargo bench` passes `--bench`; filters are not used.
        }
    }
    options
}

fn now_ms() -> i64 {
    "2026-11-28T00:00:00Z".parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// A real stored decision: a case file's document evaluated as the service evaluates it.
struct DecisionTemplate {
    decision: String,
    rule_set_version: String,
    document: String,
    result: String,
}

fn decision_template(case: &str) -> DecisionTemplate {
    let case: Value = serde_json::from_str(case).unwrap();
    let document: Map<String, Value> = case["document"].as_object().unwrap().clone();
    let parsed = il2care_wire::assessment::assessment_from_object(&document).unwrap();
    let evaluation = il2care_core::assessment::assess(&parsed.assessment, &parsed.parameters);
    let result = il2care_wire::assessment::result_json(&evaluation);
    DecisionTemplate {
        decision: result["decision"].as_str().unwrap().to_string(),
        rule_set_version: result["rule_set_version"].as_str().unwrap_or("unknown").to_string(),
        document: Value::Object(document).to_string(),
        result: result.to_string(),
    }
}

/// A real stored check-in: a case file's check-in triaged as the service triages it.
struct CheckInTemplate {
    level: String,
    level_rank: i64,
    document: String,
    result: String,
}

fn checkin_template(case: &str) -> CheckInTemplate {
    let case: Value = serde_json::from_str(case).unwrap();
    let object = case["checkin"].as_object().unwrap().clone();
    let parsed = il2care_wire::checkin::checkin_from_object(&object).unwrap();
    let result = il2care_core::triage::triage(&parsed);
    CheckInTemplate {
        level: result.level.id().to_string(),
        level_rank: result.level as i64,
        document: Value::Object(object).to_string(),
        result: il2care_web::api::stateless::triage_json(&result).to_string(),
    }
}

/// A deterministic spread of small numbers (no random generator needed, and the seed is reproducible).
fn spread(a: i64, b: i64, modulo: i64) -> i64 {
    (a.wrapping_mul(7919).wrapping_add(b.wrapping_mul(104_729)) ^ (a >> 3)).rem_euclid(modulo)
}

fn vital_value(code: &str, patient: i64, point: i64) -> String {
    let s = spread(patient, point, 1000);
    match code {
        "systolic_bp" => (95 + s % 45).to_string(),
        "heart_rate" => (62 + s % 50).to_string(),
        "temperature" => format!("{}.{}", 36 + (s % 30) / 10, s % 10),
        _ => (92 + s % 8).to_string(),
    }
}

async fn seed(store: &Store, patients: i64) {
    let started = Instant::now();
    let now = now_ms();
    let by = "bench";
    let decisions = [
        decision_template(include_str!("../../../tests/cases/assess/label-all-clear-give.json")),
        decision_template(include_str!("../../../tests/cases/assess/label-systolic-86-hold.json")),
        decision_template(include_str!("../../../tests/cases/assess/label-no-blood-pressure-insufficient.json")),
    ];
    let checkins = [
        checkin_template(include_str!("../../../tests/cases/triage/all-clear.json")),
        checkin_template(include_str!("../../../tests/cases/triage/fever-at-38-celsius.json")),
        checkin_template(include_str!("../../../tests/cases/triage/diarrhea-4-extra.json")),
        checkin_template(include_str!("../../../tests/cases/triage/chest-pain.json")),
    ];
    let outpatients = patients / 10;
    let chunk = 500;
    let mut first = 0;
    while first < patients + outpatients {
        let mut tx = store.begin().await.unwrap();
        for index in first..(first + chunk).min(patients + outpatients) {
            let high_dose = index < patients;
            let patient = Patient {
                id: 0,
                mrn: format!("BENCH-{index:06}"),
                display_name: format!("Bench Patient {index}"),
                date_of_birth: format!("19{:02}-0{}-1{}", 40 + index % 50, 1 + index % 9, index % 10),
                sex: if index % 2 == 0 { "female" } else { "male" }.into(),
                time_zone: "America/New_York".into(),
            };
            let patient_id = record::create_patient(&mut tx, &patient, now - 20 * 24 * HOUR_MS, by).await.unwrap();
            let started_at_ms = if high_dose {
                now - (1 + spread(index, 1, 119)) * HOUR_MS
            } else {
                now - (7 + spread(index, 2, 60)) * 24 * HOUR_MS
            };
            let regimen = if high_dose {
                "hd-iv"
            } else if index % 2 == 0 {
                "koreth-2016-sc"
            } else {
                "kim-2021-sc"
            };
            let course = Course {
                id: 0,
                patient_id,
                regimen: regimen.into(),
                rule_set: "label".into(),
                started_at_ms,
                baseline_weight_kg: Some(format!("{}.{}", 55 + index % 45, index % 10)),
                baseline_creatinine_mg_dl: Some(format!("0.{}", 7 + index % 3)),
            };
            let course_id = record::create_course(&mut tx, &course, started_at_ms - 2 * HOUR_MS, by).await.unwrap();
            if high_dose {
                // Decisions before past slots: none for one course in 20, otherwise 1-6.
                let count = if index % 20 == 7 { 0 } else { 1 + index % 6 };
                for k in 0..count {
                    let at_ms = (started_at_ms + k * 8 * HOUR_MS - HOUR_MS / 2).min(now - 10 * 60_000);
                    let latest = k == count - 1;
                    let template = if latest && index % 10 == 0 {
                        &decisions[1]
                    } else if latest && index % 25 == 1 {
                        &decisions[2]
                    } else {
                        &decisions[0]
                    };
                    let assessment = Decision {
                        id: 0,
                        patient_id,
                        course_id: Some(course_id),
                        at_ms,
                        rule_set: "label".into(),
                        rule_set_version: template.rule_set_version.clone(),
                        decision: template.decision.clone(),
                        document: template.document.clone(),
                        result: template.result.clone(),
                    };
                    record::add_decision(&mut tx, &assessment, at_ms + 1000, "nurse").await.unwrap();
                }
            }
            // One earlier check-in, called back; 5 % have one nobody has called back yet.
            let earlier = &checkins[(index % 3) as usize];
            let at_ms = now - (3 + spread(index, 3, 10)) * 24 * HOUR_MS;
            let stored = checkin_row(patient_id, format!("phone-{index}-1"), at_ms, earlier);
            let written = record::add_checkin(&mut tx, &stored, at_ms + 500, "patient").await.unwrap();
            record::record_call_back(&mut tx, written.id(), "Called back", at_ms + HOUR_MS, "nurse").await.unwrap();
            if index % 20 == 3 {
                let open = &checkins[(index / 20 % 4) as usize];
                let at_ms = now - spread(index, 4, 600) * 60_000;
                let stored = checkin_row(patient_id, format!("phone-{index}-2"), at_ms, open);
                record::add_checkin(&mut tx, &stored, at_ms + 500, "patient").await.unwrap();
            }
        }
        tx.commit().await.unwrap();
        first += chunk;
    }
    println!("seeded patients, courses, decisions and check-ins in {:.1?}", started.elapsed());
    seed_vitals(store, patients, now).await;
    println!("seeded the vitals in {:.1?} in all", started.elapsed());
}

fn checkin_row(patient_id: i64, client_id: String, at_ms: i64, template: &CheckInTemplate) -> StoredCheckIn {
    StoredCheckIn {
        id: 0,
        patient_id,
        client_id: Some(client_id),
        at_ms,
        level: template.level.clone(),
        level_rank: template.level_rank,
        document: template.document.clone(),
        result: template.result.clone(),
        called_back: false,
    }
}

/// 84 time points of four vitals for each high-dose patient (the first `patients` patients by id).
async fn seed_vitals(store: &Store, patients: i64, now: i64) {
    let mut conn = store.connection().await.unwrap();
    let ids: Vec<i64> = record::patients(&mut conn).await.unwrap().iter().map(|patient| patient.id).collect();
    let statement = vitals_insert(ROWS_PER_INSERT);
    let start = now - 14 * 24 * HOUR_MS;
    let mut rows: Vec<VitalRow> = Vec::with_capacity(ROWS_PER_INSERT);
    let mut tx = conn.begin().await.unwrap();
    let mut written = 0_usize;
    for (index, patient) in ids.iter().take(patients as usize).enumerate() {
        for point in 0..TIME_POINTS {
            let at_ms = start + point * 4 * HOUR_MS + spread(index as i64, point, 40) * 60_000;
            let at = jiff::Timestamp::from_millisecond(at_ms).unwrap();
            for (code, unit) in VITALS {
                let value = vital_value(code, index as i64, point);
                let document = format!(
                    "{{\"at\":\"{at}\",\"code\":\"{code}\",\"value\":{{\"unit\":\"{unit}\",\"value\":{value}}}}}"
                );
                rows.push((*patient, format!("monitor-{point}-{code}"), code, value, unit, at_ms, document));
                if rows.len() == ROWS_PER_INSERT {
                    insert_vitals(&mut tx, &statement, &rows).await;
                    written += rows.len();
                    rows.clear();
                    if written.is_multiple_of(100_000) {
                        tx.commit().await.unwrap();
                        tx = conn.begin().await.unwrap();
                    }
                }
            }
        }
    }
    if !rows.is_empty() {
        insert_vitals(&mut tx, &vitals_insert(rows.len()), &rows).await;
    }
    tx.commit().await.unwrap();
}

/// One observation row: patient, client id, code, value, unit, time, accepted JSON.
type VitalRow = (i64, String, &'static str, String, &'static str, i64, String);

/// A multi-row `INSERT` of `rows` observations with the columns `record::add_observation` writes.
fn vitals_insert(rows: usize) -> String {
    let list: Vec<String> = (0..rows)
        .map(|row| {
            let p = row * 9;
            format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, NULL, ${}, NULL, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5,
                p + 6,
                p + 7,
                p + 8,
                p + 9
            )
        })
        .collect();
    format!(
        "INSERT INTO observations (patient_id, client_id, code, value, unit, at_ms, start_ms, document, corrects_id, \
         recorded_at_ms, recorded_by) VALUES {}",
        list.join(", ")
    )
}

async fn insert_vitals(conn: &mut Conn, statement: &str, rows: &[VitalRow]) {
    let mut query = sqlx::query(statement);
    for (patient, client_id, code, value, unit, at_ms, document) in rows {
        query = query
            .bind(*patient)
            .bind(client_id.as_str())
            .bind(*code)
            .bind(value.as_str())
            .bind(*unit)
            .bind(*at_ms)
            .bind(document.as_str())
            .bind(*at_ms + 120_000)
            .bind("monitor");
    }
    query.execute(&mut *conn).await.unwrap();
}

/// Times `worklist_items` `runs` times after two warm-up calls; prints median, p95 and max.
async fn measure(store: &Store, runs: usize, label: &str) {
    let mut conn = store.connection().await.unwrap();
    let now = now_ms();
    let mut digest = String::new();
    let mut count = 0;
    for _ in 0..2 {
        let items =
            il2care_web::api::worklist::items_json(&il2care_app::worklist::items(&mut conn, now).await.unwrap());
        count = items.len();
        digest = hex(&Sha256::digest(Value::Array(items).to_string()));
    }
    let mut times: Vec<Duration> = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let items =
            il2care_web::api::worklist::items_json(&il2care_app::worklist::items(&mut conn, now).await.unwrap());
        times.push(started.elapsed());
        assert_eq!(items.len(), count, "the same database gives the same worklist");
    }
    times.sort();
    let ms = |duration: Duration| duration.as_secs_f64() * 1000.0;
    // Where the time goes: the two store reads alone.
    let (mut checkins, mut courses) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let started = Instant::now();
        record::checkins_awaiting_call_back(&mut conn).await.unwrap();
        checkins.push(started.elapsed());
        let started = Instant::now();
        record::courses_of_regimen_with_latest_decision(&mut conn, "hd-iv").await.unwrap();
        courses.push(started.elapsed());
    }
    checkins.sort();
    courses.sort();
    println!(
        "{label}: store reads alone, median: checkins_awaiting_call_back {:.1} ms, courses_of_regimen_with_latest_decision {:.1} ms",
        ms(checkins[runs / 2]),
        ms(courses[runs / 2])
    );
    let p95 = times[((times.len() * 95).div_ceil(100)).saturating_sub(1)];
    println!(
        "{label}: worklist_items over {runs} runs: median {:.1} ms, p95 {:.1} ms, max {:.1} ms, min {:.1} ms; {count} items, sha256 {}",
        ms(times[times.len() / 2]),
        ms(p95),
        ms(times[times.len() - 1]),
        ms(times[0]),
        &digest[..16]
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

async fn sqlite(options: &Options) {
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join(format!("worklist-v{SEED_VERSION}-{}.db", options.patients));
    if !file.exists() {
        let partial = folder.join(format!("worklist-v{SEED_VERSION}-{}.seeding.db", options.patients));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
        }
        let store = Store::open(&format!("sqlite://{}", partial.display())).await.unwrap();
        seed(&store, options.patients).await;
        let mut conn = store.connection().await.unwrap();
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").await.unwrap();
        drop(conn);
        store.close().await;
        std::fs::rename(&partial, &file).unwrap();
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", partial.display()));
        }
    } else {
        println!("reusing the seeded database {}", file.display());
    }
    // Opening applies any migration added since the seed, as it would in production.
    let store = Store::open(&format!("sqlite://{}", file.display())).await.unwrap();
    measure(&store, options.runs, "SQLite").await;
    store.close().await;
}

async fn postgres(options: &Options) {
    let admin = il2care_store::testing::postgres_admin_url();
    let name = format!("il2care_bench_worklist_v{SEED_VERSION}_{}", options.patients);
    let url_of = |database: &str| format!("{}/{database}", admin.rsplit_once('/').unwrap().0);
    let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
    let cached = sqlx::query("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name.as_str())
        .fetch_optional(&mut conn)
        .await
        .unwrap()
        .is_some();
    if cached {
        println!("reusing the seeded database {name}");
    } else {
        // Seeded under another name and renamed when complete, so an interrupted seed is never reused.
        let partial = format!("{name}_seeding");
        conn.execute(format!("DROP DATABASE IF EXISTS {partial} WITH (FORCE)").as_str()).await.unwrap();
        conn.execute(format!("CREATE DATABASE {partial}").as_str()).await.unwrap();
        let store = Store::open(&url_of(&partial)).await.unwrap();
        seed(&store, options.patients).await;
        store.close().await;
        conn.execute(format!("ALTER DATABASE {partial} RENAME TO {name}").as_str()).await.unwrap();
    }
    // Opening applies any migration added since the seed, as it would in production.
    let store = Store::open(&url_of(&name)).await.unwrap();
    {
        let mut conn = store.connection().await.unwrap();
        conn.execute("VACUUM ANALYZE").await.unwrap();
        // Write the seed's dirty pages out now, not while the worklist is being timed.
        conn.execute("CHECKPOINT").await.unwrap();
    }
    measure(&store, options.runs, "PostgreSQL").await;
    store.close().await;
    if options.drop {
        conn.execute(format!("DROP DATABASE {name} WITH (FORCE)").as_str()).await.unwrap();
        println!("dropped the database {name}");
    }
}

fn main() {
    let options = options();
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        if options.postgres {
            postgres(&options).await;
        } else {
            sqlite(&options).await;
        }
    });
}
