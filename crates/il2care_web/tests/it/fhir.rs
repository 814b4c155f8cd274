//! FHIR R4 end to end, on both databases: `$everything` validated by an independent library (fhir.resources,
//! R4B), import with per-resource OperationOutcomes (a transaction all or nothing, a collection resource by
//! resource), the round trip export -> import into an empty database -> export, and the patient boundary.

use axum::http::{Method, StatusCode};
use il2care_app::access::{Actor, Role};
use il2care_store::Backend;
use il2care_store::testing::TestDb;
use il2care_web::AppState;
use il2care_web::fhir::{gather, import_text};
use il2care_wire::fhir::export::{BundleType, bundle};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

fn minutes_ago(minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes)).to_string()
}

/// Builds a record through the API: a course, vitals, a lab with its range, urine output, a decision that
/// holds, a held dose, a dose given with an override reason, and a check-in.
async fn record_a_course(app: &TestApp) {
    let physician = app.token("physician").await;
    let nurse = app.token("nurse").await;
    let patient = app.patient_a;
    let course = json!({"regimen": "hd-iv", "rule_set": "label", "started_at": minutes_ago(30 * 60), "baseline_weight": {"value": 80, "unit": "kg"},
                        "baseline_creatinine": {"value": 0.9, "unit": "mg/dL"}});
    let (status, course) = app.post(&format!("/api/v1/patients/{patient}/courses"), Some(&physician), &course).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    let batch = json!({"observations": [
        {"client_id": "monitor-1", "code": "systolic_bp", "value": {"value": 86, "unit": "mm[Hg]"}, "at": minutes_ago(20)},
        {"code": "heart_rate", "value": {"value": 104, "unit": "/min"}, "at": minutes_ago(20)},
        {"code": "temperature", "value": {"value": 100.4, "unit": "[degF]"}, "at": minutes_ago(25)},
        {"code": "stool_output", "value": {"value": 150, "unit": "mL"}, "start": minutes_ago(600), "end": minutes_ago(300)},
        {"code": "urine_output", "value": {"value": 300, "unit": "mL"}, "start": minutes_ago(480), "end": minutes_ago(1)},
        {"code": "creatinine", "value": {"value": 1.3, "unit": "mg/dL"}, "at": minutes_ago(120),
         "reference_range": {"low": {"value": 0.6, "unit": "mg/dL"}, "high": {"value": 1.2, "unit": "mg/dL"}}}]});
    let (status, stored) = app.post(&format!("/api/v1/patients/{patient}/observations"), Some(&nurse), &batch).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let request = json!({"course_id": course["id"], "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let (status, decided) = app.post(&format!("/api/v1/patients/{patient}/assessments"), Some(&nurse), &request).await;
    assert_eq!((status, decided["result"]["decision"].as_str()), (StatusCode::CREATED, Some("hold")), "{decided}");
    let doses = format!("/api/v1/patients/{patient}/doses");
    let given_ms = (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(600)).as_millisecond();
    crate::support::seed_given_dose(app, patient, course["id"].as_i64().unwrap(), given_ms).await;
    let held = json!({"course_id": course["id"], "status": "held", "at": minutes_ago(0), "assessment_id": decided["id"],
                      "slot": crate::support::slot_of(&decided)});
    assert_eq!(app.post(&doses, Some(&nurse), &held).await.0, StatusCode::CREATED);
    let checkin = json!({"at": minutes_ago(60), "answers": {"temperature": {"value": 100.8, "unit": "[degF]"}, "chills": "moderate"}});
    let (status, _) = app.post(&format!("/api/v1/patients/{patient}/checkins"), Some(&nurse), &checkin).await;
    assert_eq!(status, StatusCode::CREATED);
}

fn resources<'a>(bundle: &'a Value, kind: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| &entry["resource"])
        .filter(|r| r["resourceType"] == kind)
        .collect()
}

/// Runs the independent validator (installed on first use, see `fhir_validator`); fails, never skips.
pub fn validate_with_fhir_resources(bundle: &Value, name: &str) {
    // One file per call: the SQLite and PostgreSQL runs of a test validate under the same name at once.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let file = std::env::temp_dir().join(format!("il2care-{name}-{}-{call}.json", std::process::id()));
    std::fs::write(&file, serde_json::to_string_pretty(bundle).unwrap()).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fhir/validate.py");
    let output = std::process::Command::new(crate::fhir_validator::python())
        .arg(script)
        .arg(&file)
        .output()
        .expect("the FHIR validator's Python runs");
    let _ = std::fs::remove_file(&file);
    assert!(
        output.status.success(),
        "fhir.resources refused the bundle:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn everything_is_a_searchset_bundle_that_fhir_resources_validates(app: &TestApp) {
    record_a_course(app).await;
    let nurse = app.token("nurse").await;
    let (status, bundle) = app.get(&format!("/fhir/Patient/{}/$everything", app.patient_a), Some(&nurse)).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    assert_eq!(bundle["type"], "searchset");
    validate_with_fhir_resources(&bundle, "everything");
    let observations = resources(&bundle, "Observation");
    assert_eq!(observations.len(), 6);
    let urine = observations.iter().find(|o| o["code"]["coding"][0]["code"] == "9187-6").unwrap();
    assert!(urine["effectivePeriod"]["start"].is_string() && urine.get("effectiveDateTime").is_none());
    assert_eq!(urine["valueQuantity"]["system"], "http://unitsofmeasure.org");
    let creatinine = observations.iter().find(|o| o["code"]["coding"][0]["code"] == "2160-0").unwrap();
    assert_eq!(creatinine["referenceRange"][0]["high"]["value"], json!(1.2));
    let doses = resources(&bundle, "MedicationAdministration");
    let held = doses.iter().find(|dose| dose["status"] == "not-done").unwrap();
    assert_eq!(held["statusReason"][0]["text"], "Dose held; the decision was hold");
    let given = doses.iter().find(|dose| dose["status"] == "completed").unwrap();
    assert!(given["note"][0]["text"].as_str().unwrap().starts_with("first dose"));
    assert_eq!(
        resources(&bundle, "MedicationRequest")[0]["medicationCodeableConcept"]["coding"][1]["code"],
        "386917000"
    );
    assert_eq!(resources(&bundle, "Flag")[0]["code"]["coding"][0]["code"], "received_interleukin_2");
    assert_eq!(resources(&bundle, "DetectedIssue")[0]["code"]["coding"][0]["code"], "hold");
    assert_eq!(resources(&bundle, "QuestionnaireResponse").len(), 1);
    assert!(!resources(&bundle, "AuditEvent").is_empty());
}

/// The clinical content of a bundle: ids, references, identifiers of rows, timestamps of the export and the
/// audit trail removed; what a clinician reads kept.
fn clinical_content(bundle: &Value) -> Vec<Value> {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                for key in ["id", "fullUrl", "reference", "search"] {
                    map.remove(key);
                }
                if map.get("system").and_then(Value::as_str) == Some("urn:il2care:course") {
                    map.remove("value");
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(list) => list.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let kept = ["Patient", "Observation", "MedicationRequest", "MedicationAdministration", "Flag"];
    let mut list: Vec<Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["resource"].clone())
        .filter(|resource| kept.contains(&resource["resourceType"].as_str().unwrap()))
        .map(|mut resource| {
            // A held dose's reason names the decision, and decisions are not imported.
            if resource["resourceType"] == "MedicationAdministration" {
                resource.as_object_mut().unwrap().remove("statusReason");
            }
            strip(&mut resource);
            resource
        })
        .collect();
    list.sort_by_key(|resource| resource.to_string());
    list
}

async fn an_exported_record_imported_into_an_empty_database_exports_the_same_clinical_content(app: &TestApp) {
    record_a_course(app).await;
    let first = {
        let mut conn = app.db.store.connection().await.unwrap();
        bundle(&gather(&mut conn, app.patient_a, false).await.unwrap(), BundleType::Collection, "http://a/fhir", 0)
    };
    validate_with_fhir_resources(&first, "collection");
    let empty = match app.db.store.backend() {
        Backend::Sqlite => TestDb::sqlite().await,
        Backend::Postgres => TestDb::postgres().await,
    };
    let state = AppState::new(empty.store.clone());
    let by = Actor { username: "importer".into(), role: Role::Physician, patient_id: None, remote: "test".into() };
    let outcome = import_text(&state, &first.to_string(), &by, true).await.unwrap();
    assert_eq!(outcome.status, StatusCode::OK, "{}", outcome.body);
    assert!(!outcome.refused, "{}", outcome.body);
    let warnings: Vec<&Value> =
        outcome.body["issue"].as_array().unwrap().iter().filter(|i| i["severity"] == "warning").collect();
    assert_eq!(warnings.len(), 2, "the check-in and the decision are reported as not imported: {}", outcome.body);
    let mut conn = empty.store.connection().await.unwrap();
    let patients = il2care_store::record::patients(&mut conn).await.unwrap();
    assert_eq!(patients.len(), 1);
    let second =
        bundle(&gather(&mut conn, patients[0].id, false).await.unwrap(), BundleType::Collection, "http://b/fhir", 0);
    drop(conn);
    assert_eq!(clinical_content(&first), clinical_content(&second));
    assert_eq!(clinical_content(&first).len(), 1 + 6 + 1 + 2 + 1);
    // Importing the same file again matches the patient by MRN and keeps observations with a client id once.
    let again = import_text(&state, &first.to_string(), &by, true).await.unwrap();
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let mut conn = empty.store.connection().await.unwrap();
    assert_eq!(il2care_store::record::patients(&mut conn).await.unwrap().len(), 1);
    drop(conn);
    // The same MRN with another birth date is never merged into the stored patient: the whole transaction is refused.
    let mut other = first.clone();
    other["type"] = json!("transaction");
    other["entry"][0]["resource"]["birthDate"] = json!("1981-02-03");
    let refused = import_text(&state, &other.to_string(), &by, true).await.unwrap();
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body["issue"].as_array().unwrap().iter().any(|issue| issue["code"] == "business-rule"));
    empty.drop().await;
}

fn observation(code: &str, value: Value, unit: &str, system: &str, patient: i64) -> Value {
    json!({"resource": {"resourceType": "Observation", "status": "final",
                        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
                        "subject": {"reference": format!("Patient/{patient}")}, "effectiveDateTime": minutes_ago(10),
                        "valueQuantity": {"value": value, "unit": unit, "system": system, "code": unit}}})
}

fn mixed_bundle(kind: &str, patient: i64) -> Value {
    json!({"resourceType": "Bundle", "type": kind, "entry": [
        observation("8867-4", json!(96), "/min", "http://unitsofmeasure.org", patient),
        observation("2339-0", json!(5.4), "mmol/L", "http://unitsofmeasure.org", patient),
        observation("8867-4", json!(96), "kg", "http://unitsofmeasure.org", patient),
        observation("8310-5", json!(38.2), "Cel", "http://example.org/not-ucum", patient),
        observation("59408-5", json!(140), "%", "http://unitsofmeasure.org", patient),
        {"resource": {"resourceType": "Observation", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
                      "subject": {"reference": format!("Patient/{patient}")}, "effectiveDateTime": minutes_ago(10),
                      "component": [
                          {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
                           "valueQuantity": {"value": 92, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
                          {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
                           "valueQuantity": {"value": 58, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}]}},
        {"resource": {"resourceType": "Observation", "status": "final",
                      "code": {"coding": [{"system": "http://loinc.org", "code": "9187-6"}]},
                      "subject": {"reference": format!("Patient/{patient}")},
                      "effectivePeriod": {"start": minutes_ago(240), "end": minutes_ago(60)},
                      "valueQuantity": {"value": 210, "unit": "mL", "system": "http://unitsofmeasure.org", "code": "mL"}}}
    ]})
}

async fn stored_observations(app: &TestApp, token: &str) -> Vec<Value> {
    let (_, listed) = app.get(&format!("/api/v1/patients/{}/observations", app.patient_a), Some(token)).await;
    listed["observations"].as_array().unwrap().clone()
}

fn error_entries(outcome: &Value) -> Vec<(String, String)> {
    outcome["issue"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|issue| issue["severity"] == "error")
        .map(|issue| {
            (issue["expression"][0].as_str().unwrap().to_string(), issue["code"].as_str().unwrap().to_string())
        })
        .collect()
}

async fn a_transaction_with_a_bad_resource_stores_nothing_and_names_each_bad_resource(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let body = mixed_bundle("transaction", app.patient_a).to_string();
    let (status, outcome) = app.send(Method::POST, "/fhir", Some(&nurse), "application/fhir+json", &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{outcome}");
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    assert_eq!(
        error_entries(&outcome),
        [
            ("Bundle.entry[2].resource.valueQuantity".to_string(), "code-invalid".to_string()),
            ("Bundle.entry[3].resource.valueQuantity.system".to_string(), "code-invalid".to_string()),
            ("Bundle.entry[4].resource.valueQuantity".to_string(), "value".to_string()),
        ]
    );
    // An Observation il2care does not read (a code outside its list) is skipped as information: it never
    // fails a transaction by itself.
    let skipped: Vec<&Value> =
        outcome["issue"].as_array().unwrap().iter().filter(|i| i["severity"] == "information").collect();
    assert_eq!(skipped.len(), 1, "{outcome}");
    assert_eq!(
        (skipped[0]["code"].as_str(), skipped[0]["expression"][0].as_str()),
        (Some("not-supported"), Some("Bundle.entry[1].resource.code"))
    );
    assert!(stored_observations(app, &nurse).await.is_empty(), "half a transaction is never stored");
}

async fn a_collection_stores_the_valid_resources_and_reports_the_bad_ones(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let body = mixed_bundle("collection", app.patient_a).to_string();
    let (status, outcome) = app.send(Method::POST, "/fhir", Some(&nurse), "application/fhir+json", &body).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(error_entries(&outcome).len(), 3, "the unknown code is a warning, not an error: {outcome}");
    let stored = stored_observations(app, &nurse).await;
    let codes: Vec<&str> = stored.iter().map(|o| o["code"].as_str().unwrap()).collect();
    assert_eq!(codes.len(), 4, "{stored:?}");
    for code in ["heart_rate", "systolic_bp", "diastolic_bp", "urine_output"] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    let urine = stored.iter().find(|o| o["code"] == "urine_output").unwrap();
    assert!(urine["start"].is_string() && urine["end"].is_string());
    assert!(app.audit_actions(app.patient_a).await.contains(&("nurse".into(), "write".into(), "ok".into())));
    // A valid transaction answers a transaction-response with a location per stored entry.
    let good = json!({"resourceType": "Bundle", "type": "transaction",
                      "entry": [observation("8867-4", json!(88), "/min", "http://unitsofmeasure.org", app.patient_a)]});
    let (status, response) =
        app.send(Method::POST, "/fhir", Some(&nurse), "application/fhir+json", &good.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    assert_eq!(response["type"], "transaction-response");
    assert!(response["entry"][0]["response"]["location"].as_str().unwrap().starts_with("Observation/"));
    let (status, refused) =
        app.send(Method::POST, "/fhir", Some(&nurse), "application/fhir+json", "{\"resourceType\": \"Patient\"}").await;
    assert_eq!((status, refused["resourceType"].as_str()), (StatusCode::BAD_REQUEST, Some("OperationOutcome")));
}

async fn fhir_endpoints_require_sign_in_and_keep_the_patient_boundary(app: &TestApp) {
    let everything = format!("/fhir/Patient/{}/$everything", app.patient_a);
    assert_eq!(app.get(&everything, None).await.0, StatusCode::UNAUTHORIZED);
    let other = app.token("patient_b").await;
    assert_eq!(app.get(&everything, Some(&other)).await.0, StatusCode::FORBIDDEN);
    let admin = app.token("admin").await;
    assert_eq!(app.get(&everything, Some(&admin)).await.0, StatusCode::FORBIDDEN);
    let own = app.token("patient_a").await;
    let (status, bundle) = app.get(&everything, Some(&own)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(resources(&bundle, "AuditEvent").is_empty(), "a patient does not see who read their record");
    let (status, patient) = app.get(&format!("/fhir/Patient/{}", app.patient_a), Some(&own)).await;
    assert_eq!((status, patient["identifier"][0]["value"].as_str()), (StatusCode::OK, Some("A-1")));
    let (status, _) = app.post("/fhir", Some(&own), &mixed_bundle("collection", app.patient_a)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a patient does not import");
    let actions = app.audit_actions(app.patient_a).await;
    assert!(actions.contains(&("patient_b".into(), "denied".into(), "denied".into())));
    assert!(actions.contains(&("patient_a".into(), "read".into(), "ok".into())));
}

async fn observations_are_searched_by_patient_code_and_date(app: &TestApp) {
    record_a_course(app).await;
    let nurse = app.token("nurse").await;
    let nurse = nurse.as_str();
    let search = |query: String| async move { app.get(&format!("/fhir/Observation?{query}"), Some(nurse)).await };
    let patient = app.patient_a;
    let (status, all) = search(format!("patient={patient}")).await;
    assert_eq!((status, all["type"].as_str(), all["total"].as_u64()), (StatusCode::OK, Some("searchset"), Some(6)));
    let (_, pressure) = search(format!("patient=Patient/{patient}&code=http%3A%2F%2Floinc.org%7C8480-6")).await;
    assert_eq!(pressure["total"], 1);
    assert_eq!(pressure["entry"][0]["resource"]["valueQuantity"]["value"], json!(86));
    let (_, labs) = search(format!("patient={patient}&code=2160-0,8867-4")).await;
    assert_eq!(labs["total"], 2);
    let (_, future) = search(format!("patient={patient}&date=gt{}", minutes_ago(-60))).await;
    assert_eq!(future["total"], 0);
    assert!(future.get("entry").is_none(), "no empty entry list: {future}");
    let (_, recent) = search(format!("patient={patient}&date=ge{}", minutes_ago(22))).await;
    assert_eq!(
        recent["total"], 3,
        "the pressure and heart rate 20 minutes ago, and the urine period that ends in the range: {recent}"
    );
    let (status, refused) = search("code=8480-6".to_string()).await;
    assert_eq!((status, refused["resourceType"].as_str()), (StatusCode::BAD_REQUEST, Some("OperationOutcome")));
    let other = app.token("patient_b").await;
    let (status, _) = app.get(&format!("/fhir/Observation?patient={patient}"), Some(&other)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

on_both_backends!(
    observations_are_searched_by_patient_code_and_date,
    everything_is_a_searchset_bundle_that_fhir_resources_validates,
    an_exported_record_imported_into_an_empty_database_exports_the_same_clinical_content,
    a_transaction_with_a_bad_resource_stores_nothing_and_names_each_bad_resource,
    a_collection_stores_the_valid_resources_and_reports_the_bad_ones,
    fhir_endpoints_require_sign_in_and_keep_the_patient_boundary,
);
