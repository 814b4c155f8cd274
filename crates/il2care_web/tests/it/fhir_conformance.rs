//! FHIR REST conformance on both databases: the CapabilityStatement and the extensions' StructureDefinitions
//! (validated by fhir.resources), every error an OperationOutcome with its status (and `WWW-Authenticate` on
//! 401), 406 for formats not served, Observation search with category, `_count` paging at its boundaries and
//! date prefixes at theirs, `$everything` with `_type`/`_since`/`_count`, the blood-pressure panel, the
//! structured dosage and the override mark of a dose given against its decision.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::fhir::validate_with_fhir_resources;
use crate::on_both_backends;
use crate::support::TestApp;

/// Sends a GET with headers; the status, the headers and the body as JSON.
async fn get_with(
    app: &TestApp,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut request = Request::builder().method(Method::GET).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app.router.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 10 * 1024 * 1024).await.unwrap();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn assert_outcome(body: &Value, code: &str) {
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    assert_eq!(body["issue"][0]["severity"], "error", "{body}");
    assert_eq!(body["issue"][0]["code"], code, "{body}");
    assert!(body["issue"][0]["diagnostics"].as_str().is_some_and(|text| !text.is_empty()), "{body}");
}

fn minutes_ago(minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes)).to_string()
}

async fn the_capability_statement_and_the_extension_definitions_are_served_and_valid(app: &TestApp) {
    let (status, headers, statement) = get_with(app, "/fhir/metadata", None, &[]).await;
    assert_eq!(status, StatusCode::OK, "{statement}");
    assert!(headers["content-type"].to_str().unwrap().starts_with("application/fhir+json"));
    assert_eq!(
        (statement["resourceType"].as_str(), statement["fhirVersion"].as_str()),
        (Some("CapabilityStatement"), Some("4.0.1"))
    );
    assert_eq!(statement["format"], json!(["json"]));
    let mut entries = vec![json!({"resource": statement})];
    for name in [
        "time-zone",
        "regimen",
        "rule-set",
        "baseline-weight",
        "baseline-creatinine",
        "injection-slot",
        "dose-level",
        "override",
    ] {
        let (status, _, definition) = get_with(app, &format!("/fhir/StructureDefinition/{name}"), None, &[]).await;
        assert_eq!(status, StatusCode::OK, "{name}: {definition}");
        assert_eq!(definition["url"], format!("https://il2care.org/fhir/StructureDefinition/{name}"));
        entries.push(json!({"resource": definition}));
    }
    validate_with_fhir_resources(
        &json!({"resourceType": "Bundle", "type": "collection", "entry": entries}),
        "conformance",
    );
    let (status, _, missing) = get_with(app, "/fhir/StructureDefinition/nothing-here", None, &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_outcome(&missing, "not-found");
}

async fn every_fhir_error_is_an_operation_outcome_with_its_status(app: &TestApp) {
    let everything = format!("/fhir/Patient/{}/$everything", app.patient_a);
    // 401: no token, with WWW-Authenticate.
    let (status, headers, body) = get_with(app, &everything, None, &[]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(headers["www-authenticate"].to_str().unwrap().starts_with("Bearer"), "{headers:?}");
    assert_outcome(&body, "login");
    // 403: another patient.
    let other = app.token("patient_b").await;
    let (status, _, body) = get_with(app, &everything, Some(&other), &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_outcome(&body, "forbidden");
    // 404: a patient that does not exist, and a path not served.
    let nurse = app.token("nurse").await;
    let (status, _, body) = get_with(app, "/fhir/Patient/999999", Some(&nurse), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_outcome(&body, "not-found");
    let (status, _, body) = get_with(app, "/fhir/Encounter/1", Some(&nurse), &[]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_outcome(&body, "not-found");
    // 400: a bad search parameter, named.
    let (status, _, body) =
        get_with(app, &format!("/fhir/Observation?patient={}&_count=many", app.patient_a), Some(&nurse), &[]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_outcome(&body, "invalid");
    assert_eq!(body["issue"][0]["expression"][0], "_count");
    let (status, _, body) =
        get_with(app, &format!("/fhir/Observation?patient={}&_sort=value", app.patient_a), Some(&nurse), &[]).await;
    assert_eq!((status, body["issue"][0]["expression"][0].as_str()), (StatusCode::BAD_REQUEST, Some("_sort")));
    // 403 on import by a patient, and 422 for a refused transaction: OperationOutcomes too.
    let own = app.token("patient_a").await;
    let (status, body) = app.post("/fhir", Some(&own), &json!({"resourceType": "Bundle", "type": "collection"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_outcome(&body, "forbidden");
    // 422: a transaction with a resource il2care refuses, stored as nothing.
    let bad = json!({"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {
        "resourceType": "Observation", "status": "final", "subject": {"reference": format!("Patient/{}", app.patient_a)},
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]}, "effectiveDateTime": minutes_ago(5),
        "valueQuantity": {"value": 96, "unit": "beats/minute"}}, "request": {"method": "POST", "url": "Observation"}}]});
    let (status, body) = app.post("/fhir", Some(&nurse), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["resourceType"], "OperationOutcome");
    // 405: a method not served on a FHIR path.
    let (status, body) = app.post("/fhir/Observation", Some(&nurse), &json!({})).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_outcome(&body, "not-supported");
    // 415 (a body that is not JSON) is not-supported.
    let (status, body) = app.send(Method::POST, "/fhir", Some(&nurse), "text/plain", "hello").await;
    assert!(status.is_client_error(), "{status}");
    assert_eq!(body["resourceType"], "OperationOutcome", "{body}");
    // An API error outside /fhir keeps the API's shape.
    let (status, body) = app.get("/api/v1/patients/999999", Some(&nurse)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"]["message"].is_string(), "{body}");
}

async fn formats_other_than_json_are_answered_406(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let path = format!("/fhir/Patient/{}", app.patient_a);
    for query in ["_format=xml", "_format=application/fhir%2Bxml", "_format=ttl", "_format=text/turtle"] {
        let (status, _, body) = get_with(app, &format!("{path}?{query}"), Some(&nurse), &[]).await;
        assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{query}");
        assert_outcome(&body, "not-supported");
    }
    for accept in ["application/fhir+xml", "application/xml", "text/turtle"] {
        let (status, _, _) = get_with(app, &path, Some(&nurse), &[("accept", accept)]).await;
        assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{accept}");
    }
    for query in ["_format=json", "_format=application/json", "_format=application/fhir%2Bjson"] {
        let (status, _, body) = get_with(app, &format!("{path}?{query}"), Some(&nurse), &[]).await;
        assert_eq!((status, body["resourceType"].as_str()), (StatusCode::OK, Some("Patient")), "{query}");
    }
    for accept in ["application/fhir+json", "application/json", "application/fhir+json; fhirVersion=4.0", "*/*"] {
        let (status, _, _) = get_with(app, &path, Some(&nurse), &[("accept", accept)]).await;
        assert_eq!(status, StatusCode::OK, "{accept}");
    }
    let (status, _, _) = get_with(app, "/fhir/metadata?_format=xml", None, &[]).await;
    assert_eq!(status, StatusCode::NOT_ACCEPTABLE);
}

/// Stores `count` heart rates one minute apart (the newest `minutes_ago(10)`), plus a creatinine.
async fn store_rates(app: &TestApp, count: i64) {
    let nurse = app.token("nurse").await;
    let mut observations: Vec<Value> = (0..count)
        .map(|index| json!({"code": "heart_rate", "value": {"value": 80 + index, "unit": "/min"}, "at": minutes_ago(10 + index)}))
        .collect();
    observations.push(json!({"code": "creatinine", "value": {"value": 1.0, "unit": "mg/dL"}, "at": minutes_ago(5)}));
    let (status, stored) = app
        .post(
            &format!("/api/v1/patients/{}/observations", app.patient_a),
            Some(&nurse),
            &json!({"observations": observations}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
}

fn next_link(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|link| link["relation"] == "next")
        .map(|link| link["url"].as_str().unwrap().to_string())
}

fn relative(url: &str) -> String {
    format!("/fhir/{}", url.split("/fhir/").nth(1).unwrap())
}

async fn observation_search_pages_at_exactly_count_and_count_plus_one(app: &TestApp) {
    store_rates(app, 3).await;
    let nurse = app.token("nurse").await;
    let patient = app.patient_a;
    let search = |query: String| {
        let nurse = nurse.clone();
        async move { get_with(app, &format!("/fhir/Observation?patient={patient}&{query}"), Some(&nurse), &[]).await.2 }
    };
    // Exactly _count matches: one page, no next link.
    let page = search("code=8867-4&_count=3".into()).await;
    assert_eq!((page["total"].as_u64(), page["entry"].as_array().unwrap().len()), (Some(3), 3), "{page}");
    assert!(next_link(&page).is_none(), "{page}");
    assert!(page["link"][0]["relation"] == "self");
    // _count + 1 matches: a full page and a next page with the one left, oldest first.
    let all = search("category=vital-signs&_count=2".into()).await;
    assert_eq!(all["total"], 3);
    let first: Vec<Value> =
        all["entry"].as_array().unwrap().iter().map(|e| e["resource"]["valueQuantity"]["value"].clone()).collect();
    assert_eq!(first, [json!(82), json!(81)], "oldest first: {all}");
    let next = next_link(&all).expect("a next link");
    let (_, _, second) = get_with(app, &relative(&next), Some(&nurse), &[]).await;
    let values: Vec<Value> =
        second["entry"].as_array().unwrap().iter().map(|e| e["resource"]["valueQuantity"]["value"].clone()).collect();
    assert_eq!(values, [json!(80)], "{second}");
    assert!(next_link(&second).is_none());
    // Newest first, and the category filter keeps the lab out (laboratory) or alone.
    let newest = search("category=vital-signs&_sort=-date&_count=1".into()).await;
    assert_eq!(newest["entry"][0]["resource"]["valueQuantity"]["value"], json!(80));
    let labs =
        search("category=http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2Fobservation-category%7Claboratory".into())
            .await;
    assert_eq!(labs["total"], 1, "{labs}");
    // _count=0: only the total; a _count above the maximum is served as the maximum.
    let counted = search("_count=0".into()).await;
    assert_eq!(counted["total"], 4);
    assert!(counted.get("entry").is_none());
    let capped = search("_count=100000".into()).await;
    assert!(capped["link"][0]["url"].as_str().unwrap().contains("_count=500"), "{capped}");
}

async fn date_prefixes_hold_at_their_boundaries(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let at = "2026-11-27T15:40:00Z";
    let body = json!({"observations": [{"code": "heart_rate", "value": {"value": 90, "unit": "/min"}, "at": at}]});
    let (status, stored) =
        app.post(&format!("/api/v1/patients/{}/observations", app.patient_a), Some(&nurse), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let cases = [
        ("eq2026-11-27T15:40:00Z", 1),
        ("2026-11-27", 1),
        ("2026-11", 1),
        ("2026", 1),
        ("eq2026-11-28", 0),
        ("lt2026-11-27T15:40:00Z", 0),
        ("le2026-11-27T15:40:00Z", 1),
        ("gt2026-11-27T15:40:00Z", 0),
        ("ge2026-11-27T15:40:00Z", 1),
        ("gt2026-11-27T15:39:59Z", 1),
        ("lt2026-11-27T15:40:01Z", 1),
        ("ge2026-11-28", 0),
        ("lt2026-11-28", 1),
        ("gt2026-11-26", 1),
        ("lt2026-12", 1),
        ("ge2026-12", 0),
    ];
    for (date, expected) in cases {
        let path = format!("/fhir/Observation?patient={}&date={}", app.patient_a, date.replace('+', "%2B"));
        let (status, _, found) = get_with(app, &path, Some(&nurse), &[]).await;
        assert_eq!((status, found["total"].as_u64()), (StatusCode::OK, Some(expected)), "date={date}: {found}");
    }
}

async fn everything_filters_by_type_and_time_and_pages(app: &TestApp) {
    store_rates(app, 3).await;
    let nurse = app.token("nurse").await;
    let base = format!("/fhir/Patient/{}/$everything", app.patient_a);
    let (_, _, observations) = get_with(app, &format!("{base}?_type=Observation"), Some(&nurse), &[]).await;
    let kinds: Vec<&str> = observations["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["resourceType"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Patient", "Observation", "Observation", "Observation", "Observation"], "{observations}");
    let since = minutes_ago(11).replace('+', "%2B");
    let (_, _, recent) = get_with(app, &format!("{base}?_type=Observation&_since={since}"), Some(&nurse), &[]).await;
    assert_eq!(recent["total"], 3, "the Patient, the rate 10 minutes ago and the creatinine: {recent}");
    let (_, _, first) = get_with(app, &format!("{base}?_type=Observation&_count=4"), Some(&nurse), &[]).await;
    assert_eq!((first["total"].as_u64(), first["entry"].as_array().unwrap().len()), (Some(5), 4));
    let (_, _, second) = get_with(app, &relative(&next_link(&first).unwrap()), Some(&nurse), &[]).await;
    assert_eq!(second["entry"].as_array().unwrap().len(), 1);
    assert!(next_link(&second).is_none());
    let (_, _, exact) = get_with(app, &format!("{base}?_type=Observation&_count=5"), Some(&nurse), &[]).await;
    assert!(next_link(&exact).is_none(), "{exact}");
    let (status, _, refused) = get_with(app, &format!("{base}?_since=yesterday"), Some(&nurse), &[]).await;
    assert_eq!((status, refused["issue"][0]["expression"][0].as_str()), (StatusCode::BAD_REQUEST, Some("_since")));
}

async fn pressure_is_a_panel_doses_carry_dosage_and_an_override_is_marked(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let physician = app.token("physician").await;
    let patient = app.patient_a;
    let course = json!({"regimen": "hd-iv", "rule_set": "label", "started_at": minutes_ago(60),
                        "baseline_weight": {"value": 80, "unit": "kg"}, "baseline_creatinine": {"value": 0.9, "unit": "mg/dL"}});
    let (status, course) = app.post(&format!("/api/v1/patients/{patient}/courses"), Some(&physician), &course).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    crate::support::open_screening_gate(app, patient, course["id"].as_i64().unwrap()).await;
    let at = minutes_ago(3);
    let pressures = json!({"observations": [
        {"code": "systolic_bp", "value": {"value": 118, "unit": "mm[Hg]"}, "at": at},
        {"code": "diastolic_bp", "value": {"value": 72, "unit": "mm[Hg]"}, "at": at},
        {"code": "urine_output", "value": {"value": 300, "unit": "mL"}, "start": minutes_ago(240), "end": minutes_ago(1)}]});
    assert_eq!(
        app.post(&format!("/api/v1/patients/{patient}/observations"), Some(&nurse), &pressures).await.0,
        StatusCode::CREATED
    );
    // Nothing else measured: insufficient data, then a physician gives the dose anyway (an override).
    let request = json!({"course_id": course["id"], "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let (status, decided) = app.post(&format!("/api/v1/patients/{patient}/assessments"), Some(&nurse), &request).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    let decision = decided["result"]["decision"].as_str().unwrap().to_string();
    assert_ne!(decision, "give", "{decided}");
    let dose = json!({"course_id": course["id"], "status": "given", "at": minutes_ago(0), "assessment_id": decided["id"],
                      "slot": crate::support::slot_of(&decided), "reason_code": "finding_resolved_on_review",
                      "override_reason": "repeat vitals normal"});
    let (status, given) = app.post(&format!("/api/v1/patients/{patient}/doses"), Some(&physician), &dose).await;
    assert_eq!(status, StatusCode::CREATED, "{given}");
    let (status, _, bundle) = get_with(app, &format!("/fhir/Patient/{patient}/$everything"), Some(&nurse), &[]).await;
    assert_eq!(status, StatusCode::OK);
    validate_with_fhir_resources(&bundle, "panel-override");
    let resources: Vec<&Value> = bundle["entry"].as_array().unwrap().iter().map(|e| &e["resource"]).collect();
    let panel = resources.iter().find(|r| r["code"]["coding"][0]["code"] == "85354-9").expect("a blood-pressure panel");
    assert_eq!(panel["component"][0]["code"]["coding"][0]["code"], "8480-6");
    assert_eq!(panel["component"][1]["code"]["coding"][0]["code"], "8462-4");
    assert_eq!(panel["component"][1]["valueQuantity"]["value"], json!(72));
    assert_eq!(panel["category"][0]["coding"][0]["code"], "vital-signs");
    assert!(!resources.iter().any(|r| r["code"]["coding"][0]["code"] == "8480-6"), "no bare systolic beside the panel");
    let urine = resources.iter().find(|r| r["code"]["coding"][0]["code"] == "9187-6").unwrap();
    assert_ne!(
        urine["category"][0]["coding"][0]["code"], "vital-signs",
        "urine output is not in the vital-signs value set"
    );
    let administration = resources.iter().find(|r| r["resourceType"] == "MedicationAdministration").unwrap();
    assert_eq!(administration["status"], "completed");
    let mark = &administration["extension"][0];
    assert_eq!(mark["url"], "https://il2care.org/fhir/StructureDefinition/override");
    let part = |name: &str| mark["extension"].as_array().unwrap().iter().find(|p| p["url"] == name).cloned();
    assert_eq!(part("decision").unwrap()["valueCode"], decision.as_str());
    assert_eq!(part("reasonCode").unwrap()["valueCoding"]["code"], "finding_resolved_on_review");
    assert_eq!(part("reason").unwrap()["valueString"], "repeat vitals normal");
    assert!(administration["reasonCode"][0]["text"].as_str().unwrap().starts_with("Override"));
    // The structured dosage: 600,000 IU/kg x 80 kg, intravenous, with a rate.
    assert_eq!(
        administration["dosage"]["dose"],
        json!({"value": 48000000, "unit": "[iU]", "system": "http://unitsofmeasure.org", "code": "[iU]"})
    );
    assert_eq!(administration["dosage"]["route"]["coding"][0]["code"], "47625008");
    assert_eq!(administration["dosage"]["rateQuantity"]["code"], "mL/h");
    let order = resources.iter().find(|r| r["resourceType"] == "MedicationRequest").unwrap();
    assert_eq!(order["dosageInstruction"][0]["timing"]["repeat"]["duration"], json!(15));
    assert_eq!(order["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"], json!(48000000));
    assert_eq!(order["extension"][0]["url"], "https://il2care.org/fhir/StructureDefinition/regimen");
    // Search by the systolic code finds the panel; the panel's own code too.
    let (_, _, systolic) =
        get_with(app, &format!("/fhir/Observation?patient={patient}&code=8480-6"), Some(&nurse), &[]).await;
    assert_eq!(systolic["total"], 1);
    let (_, _, panels) =
        get_with(app, &format!("/fhir/Observation?patient={patient}&code=http://loinc.org|85354-9"), Some(&nurse), &[])
            .await;
    assert_eq!(panels["total"], 1);
}

/// The course page's HTML, signed in by session cookie.
async fn page_text(app: &TestApp, path: &str, token: &str) -> String {
    let request =
        Request::builder().uri(path).header("cookie", format!("il2care_session={token}")).body(Body::empty()).unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 10 * 1024 * 1024).await.unwrap();
    String::from_utf8_lossy(&bytes).into_owned()
}

async fn a_date_only_result_is_kept_as_a_date_shown_and_exported_as_one_and_never_decides_a_dose(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let physician = app.token("physician").await;
    let patient = app.patient_a;
    let course = json!({"regimen": "hd-iv", "rule_set": "label", "started_at": minutes_ago(60),
                        "baseline_weight": {"value": 80, "unit": "kg"}, "baseline_creatinine": {"value": 0.9, "unit": "mg/dL"}});
    let (status, course) = app.post(&format!("/api/v1/patients/{patient}/courses"), Some(&physician), &course).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    let today = jiff::Timestamp::now().to_zoned(jiff::tz::TimeZone::UTC).date().to_string();
    let creatinine = json!({"resourceType": "Observation", "status": "final", "subject": {"reference": format!("Patient/{patient}")},
        "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0"}]}, "effectiveDateTime": today,
        "valueQuantity": {"value": 1.1, "unit": "mg/dL"}});
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": creatinine}]});
    let (status, outcome) = app.post("/fhir", Some(&nurse), &bundle).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert!(outcome["issue"][0]["diagnostics"].as_str().unwrap().starts_with("stored as Observation/"), "{outcome}");
    // The API lists it with its date, not a time.
    let (_, listed) = app.get(&format!("/api/v1/patients/{patient}/observations"), Some(&nurse)).await;
    assert_eq!(listed["observations"][0]["at_date"], today.as_str(), "{listed}");
    assert!(listed["observations"][0].get("at").is_none());
    // The decision reads creatinine as missing and says why.
    let request = json!({"course_id": course["id"], "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let (status, decided) = app.post(&format!("/api/v1/patients/{patient}/assessments"), Some(&nurse), &request).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    assert_eq!(decided["result"]["decision"], "insufficient_data", "{decided}");
    let missing: Vec<&Value> = decided["result"]["not_evaluated"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["missing"] == "creatinine")
        .collect();
    assert!(!missing.is_empty(), "{decided}");
    assert!(missing.iter().all(|entry| entry["reason"] == "date only"), "{decided}");
    let heart =
        decided["result"]["not_evaluated"].as_array().unwrap().iter().find(|entry| entry["missing"] == "heart_rate");
    assert!(
        heart.is_none_or(|entry| entry.get("reason").is_none()),
        "only date-only codes carry the reason: {decided}"
    );
    // Exported back as the same date, searchable by that day.
    let (_, _, found) =
        get_with(app, &format!("/fhir/Observation?patient={patient}&date={today}"), Some(&nurse), &[]).await;
    assert_eq!(found["total"], 1, "{found}");
    assert_eq!(found["entry"][0]["resource"]["effectiveDateTime"], today.as_str());
    // The course page shows it as a date.
    let page = page_text(app, &format!("/patients/{patient}"), &nurse).await;
    assert!(page.contains("Results with a date only"), "the date-only list is on the course page");
    assert!(page.contains(&format!("{today}</time> (date only)")), "shown with its date");
}

on_both_backends!(
    the_capability_statement_and_the_extension_definitions_are_served_and_valid,
    every_fhir_error_is_an_operation_outcome_with_its_status,
    formats_other_than_json_are_answered_406,
    observation_search_pages_at_exactly_count_and_count_plus_one,
    date_prefixes_hold_at_their_boundaries,
    everything_filters_by_type_and_time_and_pages,
    pressure_is_a_panel_doses_carry_dosage_and_an_override_is_marked,
    a_date_only_result_is_kept_as_a_date_shown_and_exported_as_one_and_never_decides_a_dose,
);
