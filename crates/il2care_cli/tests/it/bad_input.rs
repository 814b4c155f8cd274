//! The bad-input catalogues of the command line: every malformed or hostile input of
//! `tests/bad-input/catalogue.json` is refused with exit code 2, the message names the expected field, and
//! nothing is printed on standard output; every bad Bundle of `tests/bad-input/import.json` makes
//! `il2care import` exit 2 with an OperationOutcome that names the resource, and stores nothing.

use il2care_store::Store;
use il2care_store::record::{self, Course, Patient};
use serde_json::Value;

use crate::support::il2care;

#[test]
fn every_catalogued_bad_input_is_refused_with_its_field_named() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bad-input/catalogue.json");
    let catalogue: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = catalogue["cases"].as_array().unwrap();
    assert!(cases.len() >= 100, "the catalogue holds {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let args: Vec<&str> = case["command"].as_array().unwrap().iter().map(|arg| arg.as_str().unwrap()).collect();
        let run = il2care(&args, case["stdin"].as_str());
        let field = case["field"].as_str().unwrap();
        let named = run.stderr.starts_with(&format!("refused: {field}: "));
        if run.code != 2 || !named || !run.stdout.is_empty() {
            failures.push(format!(
                "{name}: exit {}, stderr `{}` (expected field `{field}`)",
                run.code,
                run.stderr.trim()
            ));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// The ids and times `tests/bad-input/import.json`'s placeholders stand for, and `{repeat:N}` (N letters).
fn fill(text: &str, values: &[(&str, String)]) -> String {
    let mut filled = text.to_string();
    for (name, value) in values {
        if value.parse::<i64>().is_ok() {
            filled = filled.replace(&format!("\"{{{name}}}\""), value);
        }
        filled = filled.replace(&format!("{{{name}}}"), value);
    }
    while let Some(start) = filled.find("{repeat:") {
        let end = start + filled[start..].find('}').unwrap();
        let times: usize = filled[start + 8..end].parse().unwrap();
        filled.replace_range(start..=end, &"x".repeat(times));
    }
    filled
}

fn block_on<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(future)
}

/// A stored patient with a high-dose course, for Bundles that refer to the record: (patient, course).
fn seed_record(url: &str) -> (i64, i64) {
    block_on(async {
        let store = Store::open(url).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let patient = Patient {
            id: 0,
            mrn: "CLI-SEED".into(),
            display_name: "Seed Patient".into(),
            date_of_birth: "1970-01-01".into(),
            sex: "female".into(),
            time_zone: "UTC".into(),
        };
        let patient_id = record::create_patient(&mut tx, &patient, 1, "test").await.unwrap();
        let started_at_ms = jiff::Timestamp::now().as_millisecond() - 48 * 3_600_000;
        let course = Course {
            id: 0,
            patient_id,
            regimen: "hd-iv".into(),
            rule_set: "label".into(),
            started_at_ms,
            baseline_weight_kg: Some("80".into()),
            baseline_creatinine_mg_dl: None,
        };
        let course_id = record::create_course(&mut tx, &course, 1, "test").await.unwrap();
        tx.commit().await.unwrap();
        store.close().await;
        (patient_id, course_id)
    })
}

/// Rows per record table (patients, courses, dose_events, observations, checkins, checkin_acknowledgements,
/// assessments, flags, injections, screenings).
type Rows = Vec<(&'static str, usize)>;

/// Rows per record table, read through the store's own queries, and the audit entries' ids and outcomes,
/// newest first (an import that stores nothing audits nothing as `ok`).
fn record_rows(url: &str) -> (Rows, Vec<(i64, String)>) {
    block_on(async {
        let store = Store::open(url).await.unwrap();
        let mut conn = store.connection().await.unwrap();
        let patients = record::patients(&mut conn).await.unwrap();
        let mut rows = vec![("patients", patients.len())];
        let mut add = |table: &'static str, count: usize| match rows.iter_mut().find(|(name, _)| *name == table) {
            Some((_, total)) => *total += count,
            None => rows.push((table, count)),
        };
        for patient in &patients {
            let courses = record::courses(&mut conn, patient.id).await.unwrap();
            add("courses", courses.len());
            for course in &courses {
                add("dose_events", record::dose_events(&mut conn, course.id).await.unwrap().len());
            }
            add("observations", record::observations(&mut conn, patient.id, i64::MIN).await.unwrap().len());
            let checkins = record::checkins(&mut conn, patient.id).await.unwrap();
            add("checkins", checkins.len());
            add("checkin_acknowledgements", checkins.iter().filter(|checkin| checkin.called_back).count());
            add("assessments", record::decisions(&mut conn, patient.id).await.unwrap().len());
            add("flags", record::flag_rows(&mut conn, patient.id).await.unwrap().len());
            add("injections", record::injections(&mut conn, patient.id).await.unwrap().len());
            add("screenings", record::screenings(&mut conn, patient.id).await.unwrap().len());
        }
        let query = il2care_store::audit::AuditQuery { patient_id: None, actor: None, limit: 1000 };
        let audit = il2care_store::audit::query(&mut conn, &query).await.unwrap();
        drop(conn);
        store.close().await;
        (rows, audit.into_iter().map(|entry| (entry.id, entry.outcome)).collect())
    })
}

/// A Bundle the catalogue cannot hold as JSON text.
fn generated(name: &str) -> Vec<u8> {
    match name {
        // Nested 10 000 extensions deep: far beyond the parser's recursion limit.
        "deep_bundle" => format!(
            "{{\"resourceType\": \"Bundle\", \"type\": \"transaction\", \"entry\": [{{\"resource\": {}{}}}]}}",
            "{\"extension\": [".repeat(10_000),
            "]}".repeat(10_000)
        )
        .into_bytes(),
        // A Patient whose name holds a byte sequence that is not UTF-8.
        "invalid_utf8_bundle" => {
            let mut bytes = b"{\"resourceType\": \"Bundle\", \"type\": \"transaction\", \"entry\": [{\"resource\": \
                {\"resourceType\": \"Patient\", \"identifier\": [{\"value\": \"U-1\"}], \"name\": [{\"text\": \""
                .to_vec();
            bytes.extend_from_slice(&[0xc3, 0x28]);
            bytes.extend_from_slice(b"\"}]}}]}");
            bytes
        }
        other => panic!("unknown generator `{other}` (or a case that is not for the command line)"),
    }
}

/// Whether the OperationOutcome has an error issue naming `expression` (or an element below it).
fn names_expression(outcome: &Value, expression: &str, diagnostics: Option<&str>) -> bool {
    outcome["resourceType"] == "OperationOutcome"
        && outcome["issue"].as_array().into_iter().flatten().any(|issue| {
            issue["severity"] == "error"
                && issue["expression"].as_array().into_iter().flatten().any(|named| {
                    named
                        .as_str()
                        .is_some_and(|named| named == expression || named.starts_with(&format!("{expression}.")))
                })
                && diagnostics.is_none_or(|text| issue["diagnostics"].as_str().is_some_and(|said| said.contains(text)))
        })
}

#[test]
fn every_catalogued_bad_bundle_is_refused_by_il2care_import_naming_the_resource_and_storing_nothing() {
    let folder = std::env::temp_dir().join(format!("il2care-cli-bad-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    std::fs::create_dir_all(&folder).unwrap();
    let url = format!("sqlite://{}", folder.join("il2care.db").display());
    let (patient, course) = seed_record(&url);
    let hours_from_now = |hours: i64| (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(hours)).to_string();
    let values = [
        ("patient", patient.to_string()),
        ("course", course.to_string()),
        ("missing", "999999".to_string()),
        ("recent", hours_from_now(-1)),
        ("future", hours_from_now(48)),
    ];
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bad-input/import.json");
    let catalogue: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let cases = catalogue["cases"].as_array().unwrap();
    assert!(cases.len() >= 25, "the import catalogue holds {} cases", cases.len());
    let on_the_command_line = |case: &&Value| {
        case.get("surfaces").is_none_or(|surfaces| surfaces.as_array().unwrap().iter().any(|surface| surface == "cli"))
    };
    let mut failures = Vec::new();
    let mut walked = 0;
    for (number, case) in cases.iter().filter(on_the_command_line).enumerate() {
        walked += 1;
        let name = case["name"].as_str().unwrap();
        let body = match (case["generator"].as_str(), case["body_text"].as_str()) {
            (Some(generator), _) => generated(generator),
            (None, Some(text)) => fill(text, &values).into_bytes(),
            (None, None) => fill(&case["bundle"].to_string(), &values).into_bytes(),
        };
        let file = folder.join(format!("case-{number}.json"));
        std::fs::write(&file, body).unwrap();
        let (rows_before, audit_before) = record_rows(&url);
        let newest = audit_before.first().map_or(0, |(id, _)| *id);
        let file_name = file.display().to_string();
        let run = il2care(&["import", &file_name, "--database", &url], None);
        let (rows_after, audit_after) = record_rows(&url);
        let outcome: Value = serde_json::from_str(&run.stdout).unwrap_or(Value::Null);
        let diagnostics = case["diagnostics"].as_str().map(|text| fill(text, &values));
        let mut wrong = Vec::new();
        if run.code != 2 || !run.stderr.starts_with(&format!("refused: {file_name}: ")) {
            wrong.push(format!("exit {}, stderr `{}`", run.code, run.stderr.trim()));
        }
        if !names_expression(&outcome, case["expression"].as_str().unwrap(), diagnostics.as_deref()) {
            wrong.push(format!("the OperationOutcome does not name the resource: {}", run.stdout.trim()));
        }
        if rows_after != rows_before {
            wrong.push(format!("stored something: {rows_before:?} -> {rows_after:?}"));
        }
        if audit_after.iter().any(|(id, outcome)| *id > newest && outcome == "ok") {
            wrong.push("audited a write as ok".to_string());
        }
        if !wrong.is_empty() {
            failures.push(format!("{name}: {}", wrong.join("; ")));
        }
    }
    assert!(walked >= 25, "only {walked} import cases are for the command line");
    assert!(failures.is_empty(), "{} of {walked} cases failed:\n{}", failures.len(), failures.join("\n"));
    std::fs::remove_dir_all(&folder).unwrap();
}
