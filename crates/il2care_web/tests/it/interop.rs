//! FHIR and CDS Hooks as an EHR integrator sends them, on both databases: patient matching on the site's MRN
//! system with the demographic cross-check (the wrong-patient case of issue 17), a Synthea-shaped transaction
//! imported once and then again without storing anything new, and a batch whose updates and deletes are
//! refused entry by entry.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TEST_MRN_SYSTEM, TestApp};

const PATIENT_VIEW: &str = "/cds-services/il2care-patient-view";

fn hours_ago(hours: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours)).to_string()
}

fn patient_view(patient: Value) -> Value {
    json!({"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "hook": "patient-view",
           "context": {"userId": "Practitioner/example", "patientId": "1288992"}, "prefetch": {"patient": patient}})
}

async fn audit_resources(app: &TestApp) -> Vec<(String, String)> {
    let mut conn = app.db.store.connection().await.unwrap();
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: None, limit: 1000 };
    let entries = il2care_store::audit::query(&mut conn, &query).await.unwrap();
    entries.into_iter().map(|entry| (entry.action, entry.resource)).collect()
}

/// Patient A-1 (born 1970-01-01) has a course, so a matched chart shows cards. A woman born 2001 at another
/// hospital whose identifier value is also A-1 gets none of them, with that hospital's system or with the
/// site's; a prefetch that is not a Patient is refused.
async fn a_woman_born_2001_whose_identifier_equals_a_demo_mrn_gets_no_cards_for_that_patient(app: &TestApp) {
    let physician = app.token("physician").await;
    let nurse = app.token("nurse").await;
    let course =
        json!({"regimen": "hd-iv", "started_at": hours_ago(10), "baseline_weight": {"value": 80, "unit": "kg"}});
    let path = format!("/api/v1/patients/{}/courses", app.patient_a);
    assert_eq!(app.post(&path, Some(&physician), &course).await.0, StatusCode::CREATED);
    let call = |patient: Value| {
        let nurse = nurse.clone();
        async move { app.post(PATIENT_VIEW, Some(&nurse), &patient_view(patient)).await }
    };
    // The same person: the course card.
    let same = json!({"resourceType": "Patient", "identifier": [{"system": TEST_MRN_SYSTEM, "value": "A-1"}],
                      "birthDate": "1970-01-01", "name": [{"family": "A-1", "given": ["Patient"]}]});
    let (status, answer) = call(same).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(!answer["cards"].as_array().unwrap().is_empty(), "the matched patient's cards: {answer}");
    // Another hospital's identifier with the same value: not followed at all.
    let elsewhere = json!({"resourceType": "Patient", "gender": "female", "birthDate": "2001-05-17",
                           "name": [{"family": "Jensen", "given": ["Maria"]}],
                           "identifier": [{"system": "https://other-hospital.example/mrn", "value": "A-1"}]});
    let (status, answer) = call(elsewhere.clone()).await;
    assert_eq!((status, answer), (StatusCode::OK, json!({"cards": []})));
    // The site's system with her demographics: one card saying the patient could not be matched, nothing more.
    let mut same_system = elsewhere.clone();
    same_system["identifier"][0]["system"] = json!(TEST_MRN_SYSTEM);
    let (status, answer) = call(same_system).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let cards = answer["cards"].as_array().unwrap();
    assert_eq!(cards.len(), 1, "{answer}");
    assert_eq!(
        (cards[0]["indicator"].as_str(), cards[0]["summary"].as_str()),
        (Some("info"), Some("il2care: patient could not be matched"))
    );
    assert!(!answer.to_string().contains("hd-iv"), "nothing of the stored patient's course: {answer}");
    // No birth date at all: nothing confirms the person.
    let no_birth_date = json!({"resourceType": "Patient", "identifier": [{"system": TEST_MRN_SYSTEM, "value": "A-1"}]});
    let (_, answer) = call(no_birth_date).await;
    assert_eq!(answer["cards"][0]["summary"], "il2care: patient could not be matched", "{answer}");
    let audited = audit_resources(app).await;
    let patient = app.patient_a;
    let mismatch =
        ("match".to_string(), format!("patient/{patient}/cds/il2care-patient-view/mismatch/birthDate,name.family"));
    assert!(audited.contains(&mismatch), "{audited:?}");
    let reads = audited
        .iter()
        .filter(|(action, resource)| action == "read" && resource.starts_with(&format!("patient/{patient}/cds")))
        .count();
    assert_eq!(reads, 1, "only the matched call is audited as a read of the patient: {audited:?}");
    // A prefetch that is not a Patient.
    let (status, answer) =
        call(json!({"resourceType": "Observation", "identifier": [{"system": TEST_MRN_SYSTEM, "value": "A-1"}]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
}

/// A Synthea-shaped R4 transaction: `urn:uuid` fullUrls, POST requests, a Patient whose first identifier is
/// Synthea's own and whose MRN is typed MR, an Encounter, Conditions, vital signs (a blood-pressure panel,
/// heart rate, respiratory rate, temperature, weight, height, BMI, pain), three SARS-CoV-2 PCR tests, an
/// Immunization, a MedicationRequest for another drug, a Claim.
fn synthea_bundle() -> Value {
    let uuid = |n: u32| format!("urn:uuid:5cbc121b-cd71-4428-b8b7-31e53eba{n:04x}");
    let patient = uuid(1);
    let encounter = uuid(2);
    let at = "2024-03-01T10:15:00-05:00";
    let mut entries = vec![
        json!({"fullUrl": patient, "request": {"method": "POST", "url": "Patient"}, "resource": {"resourceType": "Patient",
            "id": "5cbc121b-cd71-4428-b8b7-31e53eba0001",
            "identifier": [
                {"system": "https://github.com/synthetichealth/synthea", "value": "5cbc121b-cd71-4428-b8b7-31e53eba0001"},
                {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "SS"}]},
                 "system": "http://hl7.org/fhir/sid/us-ssn", "value": "999-51-2236"},
                {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                 "system": "http://hospital.smarthealthit.org", "value": "4e7a1d2c-mr-0001"}],
            "name": [{"use": "official", "family": "Rohan584", "given": ["Tyrell880"], "prefix": ["Mr."]}],
            "gender": "male", "birthDate": "1961-07-09"}}),
        json!({"fullUrl": encounter, "request": {"method": "POST", "url": "Encounter"}, "resource": {"resourceType": "Encounter",
            "status": "finished", "class": {"code": "AMB"}, "subject": {"reference": patient}}}),
        json!({"fullUrl": uuid(3), "request": {"method": "POST", "url": "Condition"}, "resource": {"resourceType": "Condition",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "93761005"}]}, "subject": {"reference": patient}}}),
        json!({"fullUrl": uuid(4), "request": {"method": "POST", "url": "Immunization"}, "resource": {"resourceType": "Immunization",
            "status": "completed", "patient": {"reference": patient}}}),
        json!({"fullUrl": uuid(5), "request": {"method": "POST", "url": "MedicationRequest"}, "resource": {"resourceType": "MedicationRequest",
            "status": "stopped", "intent": "order", "subject": {"reference": patient}, "authoredOn": at,
            "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "313782"}]}}}),
        json!({"fullUrl": uuid(6), "request": {"method": "POST", "url": "Claim"}, "resource": {"resourceType": "Claim",
            "status": "active", "patient": {"reference": patient}}}),
    ];
    let vital = |n: u32, loinc: &str, value: Value, unit: &str| {
        json!({"fullUrl": uuid(n), "request": {"method": "POST", "url": "Observation"}, "resource": {"resourceType": "Observation",
            "status": "final", "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]}, "subject": {"reference": patient},
            "encounter": {"reference": encounter}, "effectiveDateTime": at, "issued": "2024-03-01T10:15:00.123-05:00",
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}})
    };
    entries.push(vital(10, "8867-4", json!(82), "/min"));
    entries.push(vital(11, "9279-1", json!(14), "/min"));
    entries.push(vital(12, "8310-5", json!(37.1), "Cel"));
    entries.push(vital(13, "29463-7", json!(84.2), "kg"));
    entries.push(vital(14, "8302-2", json!(178.4), "cm"));
    entries.push(vital(15, "39156-5", json!(26.5), "kg/m2"));
    entries.push(vital(16, "72514-3", json!(2), "{score}"));
    let mut panel = vital(17, "85354-9", json!(0), "mm[Hg]");
    let resource = panel["resource"].as_object_mut().unwrap();
    resource.remove("valueQuantity");
    resource.insert(
        "component".into(),
        json!([
        {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
         "valueQuantity": {"value": 81, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
        {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
         "valueQuantity": {"value": 128, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}]),
    );
    entries.push(panel);
    for n in 20..23 {
        entries.push(json!({"fullUrl": uuid(n), "request": {"method": "POST", "url": "Observation"}, "resource": {"resourceType": "Observation",
            "status": "final", "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "94531-1", "display": "SARS-CoV-2 RNA Pnl Resp NAA+probe"}]},
            "subject": {"reference": patient}, "effectiveDateTime": at,
            "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "260385009", "display": "Negative"}]}}}));
    }
    json!({"resourceType": "Bundle", "type": "transaction", "entry": entries})
}

async fn count_observations(app: &TestApp, patient_id: i64) -> usize {
    let mut conn = app.db.store.connection().await.unwrap();
    il2care_store::record::observations(&mut conn, patient_id, i64::MIN).await.unwrap().len()
}

async fn a_synthea_transaction_imports_the_patient_and_its_vitals_and_again_stores_nothing_new(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let bundle = synthea_bundle();
    let entries = bundle["entry"].as_array().unwrap().len();
    let (status, response) = app.post("/fhir", Some(&nurse), &bundle).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    assert_eq!(response["type"], "transaction-response", "{response}");
    let statuses: Vec<&str> = response["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["response"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), entries);
    // Patient + heart rate, respiratory rate, temperature, weight, height and the pressure panel.
    assert_eq!(statuses.iter().filter(|status| **status == "201 Created").count(), 7, "{response}");
    let skipped = response["entry"][14]["response"]["outcome"]["issue"][0].clone();
    assert_eq!(
        (skipped["severity"].as_str(), skipped["code"].as_str()),
        (Some("information"), Some("not-supported")),
        "a PCR test: {response}"
    );
    let location = response["entry"][0]["response"]["location"].as_str().unwrap();
    let patient_id: i64 = location.strip_prefix("Patient/").unwrap().parse().unwrap();
    let mut conn = app.db.store.connection().await.unwrap();
    let patient = il2care_store::record::patient(&mut conn, patient_id).await.unwrap();
    drop(conn);
    assert_eq!(patient.mrn, "4e7a1d2c-mr-0001", "the MRN is the identifier typed MR, not the first or the SSN");
    assert_eq!(count_observations(app, patient_id).await, 7, "six vitals, the panel as systolic and diastolic");
    // Again: every entry is matched, nothing is stored.
    let (status, again) = app.post("/fhir", Some(&nurse), &bundle).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    let statuses: Vec<&str> =
        again["entry"].as_array().unwrap().iter().map(|entry| entry["response"]["status"].as_str().unwrap()).collect();
    assert!(!statuses.contains(&"201 Created"), "{again}");
    assert_eq!(again["entry"][0]["response"]["location"].as_str(), Some(location));
    assert!(again["entry"][0]["response"]["outcome"].to_string().contains("nothing changed"), "{again}");
    assert_eq!(count_observations(app, patient_id).await, 7);
    let mut conn = app.db.store.connection().await.unwrap();
    assert_eq!(
        il2care_store::record::patients(&mut conn).await.unwrap().len(),
        3,
        "the two test patients and this one"
    );
}

/// The same MRN with another birth date in an import: refused, naming the fields, audited.
async fn an_import_whose_mrn_names_another_person_is_refused_naming_the_fields(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:7d1e0c3a-0000-4000-8000-000000000001", "request": {"method": "POST", "url": "Patient"},
         "resource": {"resourceType": "Patient", "identifier": [{"system": TEST_MRN_SYSTEM, "value": "A-1"}],
                      "name": [{"family": "Jensen", "given": ["Maria"]}], "gender": "female", "birthDate": "2001-05-17"}}]});
    let (status, outcome) = app.post("/fhir", Some(&nurse), &bundle).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{outcome}");
    let issue = &outcome["issue"][0];
    assert_eq!(
        (issue["code"].as_str(), issue["expression"][0].as_str()),
        (Some("business-rule"), Some("Bundle.entry[0].resource.birthDate"))
    );
    assert!(issue["diagnostics"].as_str().unwrap().contains("birthDate, name.family"), "{outcome}");
    let audited = audit_resources(app).await;
    let entry = ("match".to_string(), format!("patient/{}/fhir-import/mismatch/birthDate,name.family", app.patient_a));
    assert!(audited.contains(&entry), "{audited:?}");
}

/// A batch: each entry on its own, answered with a batch-response; PUT and DELETE are refused (405), never
/// stored as creates.
async fn a_batch_is_answered_entry_by_entry_and_updates_and_deletes_are_refused(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let heart_rate = json!({"resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "subject": {"reference": format!("Patient/{}", app.patient_a)}, "effectiveDateTime": hours_ago(1),
        "valueQuantity": {"value": 88, "unit": "/min", "system": "http://unitsofmeasure.org", "code": "/min"}});
    let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        {"request": {"method": "POST", "url": "Observation"}, "resource": heart_rate},
        {"request": {"method": "PUT", "url": "Observation/1"}, "resource": heart_rate},
        {"request": {"method": "DELETE", "url": "Observation/1"}}]});
    let (status, response) = app.post("/fhir", Some(&nurse), &bundle).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    assert_eq!(response["type"], "batch-response");
    let statuses: Vec<&str> = response["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["response"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["201 Created", "405 Method Not Allowed", "405 Method Not Allowed"], "{response}");
    assert_eq!(count_observations(app, app.patient_a).await, 1, "the PUT and the DELETE stored nothing");
    // The same batch again: the heart rate is matched on patient, code, time and value.
    let (_, again) = app.post("/fhir", Some(&nurse), &bundle).await;
    assert_eq!(again["entry"][0]["response"]["status"], "200 OK", "{again}");
    assert_eq!(count_observations(app, app.patient_a).await, 1);
}

on_both_backends!(
    a_woman_born_2001_whose_identifier_equals_a_demo_mrn_gets_no_cards_for_that_patient,
    a_synthea_transaction_imports_the_patient_and_its_vitals_and_again_stores_nothing_new,
    an_import_whose_mrn_names_another_person_is_refused_naming_the_fields,
    a_batch_is_answered_entry_by_entry_and_updates_and_deletes_are_refused,
);
