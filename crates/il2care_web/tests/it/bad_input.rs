//! The bad-input catalogues of the service, on both databases: every case of `tests/bad-input/api.json` (the
//! JSON API) and of `tests/bad-input/import.json` (FHIR Bundles, through `POST /fhir`) is refused with its
//! status, the refusal names the expected field (the error's `field`, or an OperationOutcome issue's
//! `expression`), and nothing is stored: the rows of every record table are the same before and after, and
//! the only audit entries a case may add are `denied` or `refused` ones (a case that expects one says which).

use axum::http::{Method, StatusCode};
use il2care_store::audit::{self, AuditQuery};
use il2care_store::record;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

fn catalogue(name: &str) -> Vec<Value> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/bad-input").join(name);
    let catalogue: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    catalogue["cases"].as_array().unwrap().clone()
}

/// The ids and times the catalogues' placeholders stand for.
struct Seed {
    values: Vec<(&'static str, String)>,
}

impl Seed {
    /// Replaces `"{name}"` with a bare number (ids) and `{name}` inside text (paths, times, strings), and
    /// `{repeat:N}` with N letters `x` (long texts that a catalogue line cannot hold readably).
    fn fill(&self, text: &str) -> String {
        let mut filled = text.to_string();
        for (name, value) in &self.values {
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
}

fn hours_from_now(hours: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(hours)).to_string()
}

async fn created(app: &TestApp, path: &str, token: &str, body: Value) -> i64 {
    let (status, value) = app.post(path, Some(token), &body).await;
    assert_eq!(status, StatusCode::CREATED, "seeding {path}: {value}");
    value["id"].as_i64().unwrap()
}

/// A record to refuse things against: a high-dose course with a decision (insufficient data: nothing was
/// measured) for patient A, a low-dose course whose slot 3 is logged, a check-in, and a course for patient B.
async fn seed(app: &TestApp) -> Seed {
    let physician = app.token("physician").await;
    let nurse = app.token("nurse").await;
    let patient = app.token("patient_a").await;
    let (a, b) = (app.patient_a, app.patient_b);
    let hd_course = created(
        app,
        &format!("/api/v1/patients/{a}/courses"),
        &physician,
        json!({"regimen": "hd-iv", "started_at": hours_from_now(-48), "baseline_weight": {"value": 80, "unit": "kg"}}),
    )
    .await;
    let sc_course = created(
        app,
        &format!("/api/v1/patients/{a}/courses"),
        &physician,
        json!({"regimen": "saadoun-2011-sc", "started_at": hours_from_now(-50)}),
    )
    .await;
    crate::support::open_screening_gate(app, a, sc_course).await;
    let course_b = created(
        app,
        &format!("/api/v1/patients/{b}/courses"),
        &physician,
        json!({"regimen": "hd-iv", "started_at": hours_from_now(-48)}),
    )
    .await;
    let assessment = created(
        app,
        &format!("/api/v1/patients/{a}/assessments"),
        &nurse,
        json!({"course_id": hd_course, "at": hours_from_now(-1), "findings_reviewed": true, "findings": []}),
    )
    .await;
    let checkin = created(
        app,
        &format!("/api/v1/patients/{a}/checkins"),
        &patient,
        json!({"at": hours_from_now(-1), "answers": {"chills": "mild"}}),
    )
    .await;
    created(
        app,
        &format!("/api/v1/patients/{a}/injections"),
        &patient,
        json!({"course_id": sc_course, "status": "given", "at": hours_from_now(-1), "slot": 3, "site": "thigh_left"}),
    )
    .await;
    Seed {
        values: vec![
            ("patient_a", a.to_string()),
            ("patient_b", b.to_string()),
            ("patient", a.to_string()),
            ("hd_course", hd_course.to_string()),
            ("course", hd_course.to_string()),
            ("sc_course", sc_course.to_string()),
            ("course_b", course_b.to_string()),
            ("assessment", assessment.to_string()),
            ("checkin", checkin.to_string()),
            ("missing", "999999".to_string()),
            ("recent", hours_from_now(-1)),
            ("future", hours_from_now(48)),
        ],
    }
}

/// Rows per record table (patients, courses, observations, checkins, checkin_acknowledgements, assessments,
/// dose_events, flags, injections, screenings), read through the store's own queries.
async fn record_rows(app: &TestApp) -> Vec<(&'static str, usize)> {
    let mut conn = app.db.store.connection().await.unwrap();
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
        // One call back per check-in at most (a unique constraint): called-back check-ins count the rows.
        add("checkin_acknowledgements", checkins.iter().filter(|checkin| checkin.called_back).count());
        add("assessments", record::decisions(&mut conn, patient.id).await.unwrap().len());
        add("flags", record::flag_rows(&mut conn, patient.id).await.unwrap().len());
        add("injections", record::injections(&mut conn, patient.id).await.unwrap().len());
        add("screenings", record::screenings(&mut conn, patient.id).await.unwrap().len());
    }
    rows
}

/// The newest audit entries (id, action, outcome), newest first.
async fn audit_entries(app: &TestApp) -> Vec<(i64, String, String)> {
    let mut conn = app.db.store.connection().await.unwrap();
    let query = AuditQuery { patient_id: None, actor: None, limit: 1000 };
    let entries = audit::query(&mut conn, &query).await.unwrap();
    entries.into_iter().map(|entry| (entry.id, entry.action, entry.outcome)).collect()
}

/// A body the catalogue cannot hold as JSON text.
fn generated(name: &str) -> Vec<u8> {
    match name {
        // Over the 256 KiB body limit.
        "huge_document" => format!("{{\"note\": \"{}\"}}", "x".repeat(300 * 1024)).into_bytes(),
        // 100 000 nested lists: far beyond any parser's recursion limit, still under the body limit.
        "deep_nesting" => format!("{{\"at\": {}{}}}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        // 0xFF 0xFE inside a string: not UTF-8.
        "invalid_utf8" => {
            let mut bytes = b"{\"at\": \"2026-11-27T08:30:00Z\", \"answers\": {\"chills\": \"".to_vec();
            bytes.extend_from_slice(&[0xff, 0xfe]);
            bytes.extend_from_slice(b"\"}}");
            bytes
        }
        // One observation over the batch limit of 500.
        "observation_batch_501" => {
            let one =
                json!({"code": "heart_rate", "value": {"value": 80, "unit": "/min"}, "at": "2026-11-27T08:00:00Z"});
            json!({"observations": vec![one; 501]}).to_string().into_bytes()
        }
        // A Bundle whose only entry is nested 10 000 extensions deep (still under the body limit).
        "deep_bundle" => format!(
            "{{\"resourceType\": \"Bundle\", \"type\": \"transaction\", \"entry\": [{{\"resource\": {}{}}}]}}",
            "{\"extension\": [".repeat(10_000),
            "]}".repeat(10_000)
        )
        .into_bytes(),
        // A transaction Bundle with a Patient whose name is not UTF-8.
        "invalid_utf8_bundle" => {
            let mut bytes = b"{\"resourceType\": \"Bundle\", \"type\": \"transaction\", \"entry\": [{\"resource\": \
                {\"resourceType\": \"Patient\", \"identifier\": [{\"value\": \"U-1\"}], \"birthDate\": \"1970-01-01\", \
                \"name\": [{\"text\": \""
                .to_vec();
            bytes.extend_from_slice(&[0xc3, 0x28]);
            bytes.extend_from_slice(b"\"}]}}]}");
            bytes
        }
        other => panic!("unknown generator `{other}`"),
    }
}

/// The body of a case: `generator`, `body_text` (raw, for text that is not JSON) or `body` (a JSON value).
fn body_of(case: &Value, key: &str, seed: &Seed) -> Vec<u8> {
    if let Some(generator) = case["generator"].as_str() {
        return generated(generator);
    }
    if let Some(text) = case["body_text"].as_str() {
        return seed.fill(text).into_bytes();
    }
    seed.fill(&case[key].to_string()).into_bytes()
}

/// What went wrong with one case, if anything: the status, the named field, the record and the audit.
#[allow(clippy::too_many_arguments)] // The pieces of one observation of one case.
async fn check_case(
    app: &TestApp,
    name: &str,
    expected_status: u64,
    status: StatusCode,
    named: bool,
    answer: &Value,
    rows_before: &[(&'static str, usize)],
    audit_before: i64,
    expected_audit: Option<&str>,
) -> Option<String> {
    let rows_after = record_rows(app).await;
    let added: Vec<(i64, String, String)> =
        audit_entries(app).await.into_iter().filter(|(id, _, _)| *id > audit_before).collect();
    let mut wrong = Vec::new();
    if u64::from(status.as_u16()) != expected_status {
        wrong.push(format!("status {status}, expected {expected_status}"));
    }
    if !named {
        wrong.push("the expected field is not named".to_string());
    }
    if rows_after != rows_before {
        wrong.push(format!("stored something: {rows_before:?} -> {rows_after:?}"));
    }
    if let Some((_, action, outcome)) = added.iter().find(|(_, _, outcome)| outcome != "denied" && outcome != "refused")
    {
        wrong.push(format!("audited `{action}` `{outcome}`: only denied or refused entries may follow a refusal"));
    }
    if let Some(expected) = expected_audit
        && !added.iter().any(|(_, _, outcome)| outcome == expected)
    {
        wrong.push(format!("no `{expected}` audit entry (added: {added:?})"));
    }
    (!wrong.is_empty()).then(|| format!("{name}: {} (answer {answer})", wrong.join("; ")))
}

async fn every_catalogued_bad_api_request_is_refused_naming_its_field_and_stores_nothing(app: &TestApp) {
    let cases = catalogue("api.json");
    assert!(cases.len() >= 70, "the API catalogue holds {} cases", cases.len());
    let seed = seed(app).await;
    let mut tokens = std::collections::HashMap::new();
    for role in ["nurse", "physician", "pharmacist", "admin", "patient_a", "patient_b"] {
        tokens.insert(role, app.token(role).await);
    }
    let mut failures = Vec::new();
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let field = case["field"].as_str();
        let message = case["message"].as_str();
        assert!(field.is_some() || message.is_some(), "{name}: a case names the field or the message it expects");
        let method = Method::from_bytes(case["method"].as_str().unwrap().as_bytes()).unwrap();
        let path = seed.fill(case["path"].as_str().unwrap());
        let token = case["role"].as_str().map(|role| tokens[role].as_str());
        let content_type = case["content_type"].as_str().unwrap_or("application/json");
        let body = body_of(case, "body", &seed);
        let rows_before = record_rows(app).await;
        let audit_before = audit_entries(app).await.first().map_or(0, |(id, _, _)| *id);
        let (status, answer) = app.send_bytes(method, &path, token, content_type, body).await;
        // Under /fhir an error is an OperationOutcome: the field is its issue's expression, the message its
        // diagnostics.
        let issue = &answer["issue"][0];
        let named = match (field, message) {
            (Some(field), _) => {
                answer["error"]["field"].as_str() == Some(field) || issue["expression"][0].as_str() == Some(field)
            }
            (None, Some(message)) => [&answer["error"]["message"], &issue["diagnostics"]]
                .into_iter()
                .any(|text| text.as_str().is_some_and(|text| text.contains(message))),
            (None, None) => false,
        };
        let expected_status = case["status"].as_u64().unwrap();
        let audit = case["audit"].as_str();
        if let Some(failure) =
            check_case(app, name, expected_status, status, named, &answer, &rows_before, audit_before, audit).await
        {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// Whether an OperationOutcome has an error issue whose expression starts with `expression` (and whose
/// diagnostics contain `diagnostics`, when given).
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

async fn every_catalogued_bad_bundle_posted_to_fhir_is_refused_naming_the_resource_and_stores_nothing(app: &TestApp) {
    let cases = catalogue("import.json");
    assert!(cases.len() >= 25, "the import catalogue holds {} cases", cases.len());
    let seed = seed(app).await;
    let physician = app.token("physician").await;
    let mut failures = Vec::new();
    let on_the_web = |case: &&Value| {
        case.get("surfaces").is_none_or(|surfaces| surfaces.as_array().unwrap().iter().any(|surface| surface == "web"))
    };
    for case in cases.iter().filter(on_the_web) {
        let name = case["name"].as_str().unwrap();
        let body = body_of(case, "bundle", &seed);
        let rows_before = record_rows(app).await;
        let audit_before = audit_entries(app).await.first().map_or(0, |(id, _, _)| *id);
        let (status, answer) =
            app.send_bytes(Method::POST, "/fhir", Some(&physician), "application/fhir+json", body).await;
        let diagnostics = case["diagnostics"].as_str().map(|text| seed.fill(text));
        let named = names_expression(&answer, case["expression"].as_str().unwrap(), diagnostics.as_deref());
        let expected_status = case["status"].as_u64().unwrap();
        if let Some(failure) =
            check_case(app, name, expected_status, status, named, &answer, &rows_before, audit_before, Some("refused"))
                .await
        {
            failures.push(failure);
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

on_both_backends!(
    every_catalogued_bad_api_request_is_refused_naming_its_field_and_stores_nothing,
    every_catalogued_bad_bundle_posted_to_fhir_is_refused_naming_the_resource_and_stores_nothing,
);
