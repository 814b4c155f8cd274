//! CDS Hooks cards of issue 17 item 5 and issue 16 item 2, on both databases: feedback only for cards il2care
//! issued (audited under the card's patient), low-dose shots counted, orders in mg or [iU]/kg compared with the
//! pair named, a card when the weight is missing, imaging orders with contrast (coded, and words only to
//! review), the first-dose screening gate in patient-view and beside an aldesleukin order, and CORS for the
//! configured EHR origins only.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::on_both_backends;
use crate::support::TestApp;

fn hours_ago(hours: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours)).to_string()
}

fn hook_request(hook: &str, mrn: &str, context: Value) -> Value {
    let mut request = json!({
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "hook": hook,
        "context": {"userId": "Practitioner/example", "patientId": "1288992"},
        "prefetch": {"patient": {"resourceType": "Patient", "id": "1288992",
                                 "identifier": [{"system": crate::support::TEST_MRN_SYSTEM, "value": mrn}],
                                 "birthDate": "1970-01-01"}}
    });
    if let Value::Object(extra) = context {
        for (key, value) in extra {
            request["context"][key] = value;
        }
    }
    request
}

async fn cards(app: &TestApp, service: &str, mrn: &str, context: Value) -> Vec<Value> {
    let nurse = app.token("nurse").await;
    let hook = service.trim_start_matches("il2care-");
    let (status, response) =
        app.post(&format!("/cds-services/{service}"), Some(&nurse), &hook_request(hook, mrn, context)).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    response["cards"].as_array().unwrap().clone()
}

fn find<'a>(cards: &'a [Value], indicator: &str, words: &str) -> Option<&'a Value> {
    cards.iter().find(|card| card["indicator"] == indicator && card["summary"].as_str().unwrap().contains(words))
}

async fn course(app: &TestApp, patient: i64, body: Value) -> i64 {
    let physician = app.token("physician").await;
    let (status, course) = app.post(&format!("/api/v1/patients/{patient}/courses"), Some(&physician), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    course["id"].as_i64().unwrap()
}

/// An hd-iv course of `weight` (or none) with one dose given an hour ago (the gate is behind it) and the flag.
async fn hd_course_with_a_dose(app: &TestApp, patient: i64, weight: Option<i64>) -> i64 {
    let mut body = json!({"regimen": "hd-iv", "rule_set": "label", "started_at": hours_ago(2)});
    if let Some(kg) = weight {
        body["baseline_weight"] = json!({"value": kg, "unit": "kg"});
    }
    let id = course(app, patient, body).await;
    let at = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1)).as_millisecond();
    crate::support::seed_given_dose(app, patient, id, at).await;
    let mut conn = app.db.store.connection().await.unwrap();
    il2care_web::api::doses::mark_interleukin_2_given(&mut conn, patient, at, "test").await.unwrap();
    id
}

fn order(id: &str, value: Value, code: &str) -> Value {
    json!({"resource": {"resourceType": "MedicationRequest", "id": id, "status": "draft", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "70223", "display": "aldesleukin"}]},
        "dosageInstruction": [{"doseAndRate": [{"doseQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": code}}]}]}})
}

fn draft(entries: Vec<Value>) -> Value {
    json!({"draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": entries}})
}

async fn feedback_is_accepted_only_for_cards_il2care_issued_and_names_their_patient(app: &TestApp) {
    hd_course_with_a_dose(app, app.patient_a, Some(80)).await;
    let issued = cards(app, "il2care-patient-view", "A-1", json!({})).await;
    let uuid = issued[0]["uuid"].as_str().unwrap().to_string();
    let nurse = app.token("nurse").await;
    let entry = |card: &str| {
        json!({"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-12-04T10:00:00Z",
                                    "overrideReason": {"reason": {"system": "urn:il2care:override-reason", "code": "other-documented"}}})
    };
    let (status, answer) = app
        .post("/cds-services/il2care-patient-view/feedback", Some(&nurse), &json!({"feedback": [entry(&uuid)]}))
        .await;
    assert_eq!((status, answer["recorded"].as_i64()), (StatusCode::OK, Some(1)), "{answer}");
    let mut conn = app.db.store.connection().await.unwrap();
    let query =
        il2care_store::audit::AuditQuery { patient_id: Some(app.patient_a), actor: Some("nurse".into()), limit: 100 };
    let entries = il2care_store::audit::query(&mut conn, &query).await.unwrap();
    let feedback: Vec<_> = entries.iter().filter(|entry| entry.action == "cds_feedback").collect();
    assert_eq!(feedback.len(), 1, "the feedback's audit entry names the card's patient");
    assert!(feedback[0].resource.contains(&uuid), "{}", feedback[0].resource);
    drop(conn);
    // A uuid il2care never issued, a card of another service, and a mix: refused whole, naming the field.
    let never = "9368d37b-283f-44a0-93ea-547cebab93ed";
    let body = json!({"feedback": [entry(&uuid), entry(never)]});
    let (status, error) = app.post("/cds-services/il2care-patient-view/feedback", Some(&nurse), &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["error"]["field"], "feedback[1].card");
    assert_eq!(error["resourceType"], "OperationOutcome");
    let other = json!({"feedback": [entry(&uuid)]});
    let (status, error) = app.post("/cds-services/il2care-order-sign/feedback", Some(&nurse), &other).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("feedback[0].card"))
    );
    // Another account did not get the card.
    let physician = app.token("physician").await;
    let (status, _) = app.post("/cds-services/il2care-patient-view/feedback", Some(&physician), &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut conn = app.db.store.connection().await.unwrap();
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: Some("nurse".into()), limit: 200 };
    let entries = il2care_store::audit::query(&mut conn, &query).await.unwrap();
    assert_eq!(entries.iter().filter(|entry| entry.action == "cds_feedback").count(), 1, "nothing of a refusal stored");
    assert!(entries.iter().any(|entry| entry.outcome == "unknown_card" && entry.resource.contains(never)));
}

async fn patient_view_counts_the_shots_of_a_low_dose_course(app: &TestApp) {
    let physician = app.token("physician").await;
    let id = course(app, app.patient_a, json!({"regimen": "saadoun-2011-sc", "started_at": hours_ago(50)})).await;
    crate::support::open_screening_gate(app, app.patient_a, id).await;
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    for (slot, status, at) in [(1, "given", 47), (2, "skipped", 25), (3, "given", 1)] {
        let mut entry = json!({"course_id": id, "status": status, "at": hours_ago(at), "slot": slot});
        if status == "given" {
            entry["site"] = json!("abdomen_left");
        } else {
            entry["skip_reason"] = json!("fever");
        }
        let (code, answer) = app.post(&path, Some(&physician), &entry).await;
        assert_eq!(code, StatusCode::CREATED, "{answer}");
    }
    let shown = cards(app, "il2care-patient-view", "A-1", json!({})).await;
    let card = find(&shown, "info", "saadoun-2011-sc course: given 2 shots, skipped 1").expect("the shots");
    assert!(!card["summary"].as_str().unwrap().contains("given 0"), "{card}");
    assert!(find(&shown, "warning", "First dose blocked").is_none(), "shots were given: {shown:?}");
}

async fn orders_in_mg_and_per_kg_are_compared_with_the_pair_named(app: &TestApp) {
    hd_course_with_a_dose(app, app.patient_a, Some(80)).await;
    let shown = cards(app, "il2care-order-sign", "A-1", draft(vec![order("mr-1", json!(600000), "[iU]/kg")])).await;
    let card =
        find(&shown, "info", "Ordered 600000 [iU]/kg x 80 kg = 48000000 IU matches hd-iv for 80 kg: 48000000 IU")
            .unwrap_or_else(|| panic!("{shown:?}"));
    assert!(card["detail"].as_str().unwrap().contains("dose of record"), "{card}");
    let shown = cards(app, "il2care-order-sign", "A-1", draft(vec![order("mr-2", json!(2.96), "mg")])).await;
    let card =
        find(&shown, "info", "Ordered 2.96 mg matches hd-iv for 80 kg: 2.96 mg").unwrap_or_else(|| panic!("{shown:?}"));
    assert!(card["detail"].as_str().unwrap().contains("0.037 mg/kg"), "the pair is named: {card}");
    let shown = cards(app, "il2care-order-sign", "A-1", draft(vec![order("mr-3", json!(3.2), "mg")])).await;
    assert!(find(&shown, "warning", "Ordered 3.2 mg differs from hd-iv for 80 kg: 2.96 mg").is_some(), "{shown:?}");
    assert!(shown.iter().all(|card| !card["detail"].as_str().unwrap_or("").contains("no dose in IU")), "{shown:?}");
    // No weight on the course: said, never silent.
    hd_course_with_a_dose(app, app.patient_b, None).await;
    let shown = cards(app, "il2care-order-sign", "B-2", draft(vec![order("mr-4", json!(600000), "[iU]/kg")])).await;
    let card = find(&shown, "warning", "No weight on the il2care course").unwrap_or_else(|| panic!("{shown:?}"));
    assert!(card["detail"].as_str().unwrap().contains("600000 [iU]/kg"), "{card}");
}

fn imaging(id: &str, resource_type: &str, concept: Value) -> Value {
    let key = if resource_type == "ImagingStudy" { "procedureCode" } else { "code" };
    let concept = if resource_type == "ImagingStudy" { json!([concept]) } else { concept };
    json!({"resource": {"resourceType": resource_type, "id": id, "status": "draft", "intent": "order", key: concept}})
}

async fn imaging_orders_with_contrast_get_cards_and_words_only_need_review(app: &TestApp) {
    hd_course_with_a_dose(app, app.patient_a, Some(80)).await;
    let ct = imaging(
        "ct-1",
        "ServiceRequest",
        json!({"coding": [{"system": "http://loinc.org", "code": "24628-0", "display": "CT Chest W contrast IV"}]}),
    );
    let shown = cards(app, "il2care-order-sign", "A-1", draft(vec![ct])).await;
    let card = find(&shown, "warning", "iodinated contrast").unwrap_or_else(|| panic!("{shown:?}"));
    assert!(card["detail"].as_str().unwrap().contains("LOINC 24628-0"), "{card}");
    let mr = imaging("mr-1", "ImagingStudy", json!({"coding": [{"system": "http://loinc.org", "code": "24589-4"}]}));
    let shown = cards(app, "il2care-order-sign", "A-1", draft(vec![mr])).await;
    assert!(find(&shown, "info", "gadolinium contrast").is_some(), "{shown:?}");
    let snomed = imaging(
        "ct-2",
        "ServiceRequest",
        json!({"coding": [{"system": "http://snomed.info/sct", "code": "32962002"}]}),
    );
    assert!(
        find(&cards(app, "il2care-order-sign", "A-1", draft(vec![snomed])).await, "warning", "iodinated").is_some()
    );
    let words = imaging(
        "ct-3",
        "ServiceRequest",
        json!({"text": "CT abdomen with IV contrast", "coding": [{"system": "urn:local", "code": "CTABD"}]}),
    );
    let shown = cards(app, "il2care-order-sign", "A-1", draft(vec![words])).await;
    let card =
        find(&shown, "warning", "Review: this imaging order mentions contrast").unwrap_or_else(|| panic!("{shown:?}"));
    assert!(card["detail"].as_str().unwrap().contains("iodinated"), "{card}");
    let plain = imaging("ct-4", "ServiceRequest", json!({"text": "CT abdomen without contrast"}));
    assert!(cards(app, "il2care-order-sign", "A-1", draft(vec![plain])).await.is_empty(), "no contrast, no card");
    // A code wins over the words: a coded study is not a review card.
    let both = imaging(
        "ct-5",
        "ServiceRequest",
        json!({"text": "CT chest with contrast", "coding": [{"system": "http://loinc.org", "code": "24628-0"}]}),
    );
    let shown = cards(app, "il2care-order-sign", "A-1", draft(vec![both])).await;
    assert!(find(&shown, "warning", "Review").is_none() && shown.len() == 1, "{shown:?}");
}

async fn the_screening_gate_shows_until_the_first_dose_may_be_given(app: &TestApp) {
    let id = course(
        app,
        app.patient_a,
        json!({"regimen": "hd-iv", "rule_set": "label", "started_at": hours_ago(1),
                                              "baseline_weight": {"value": 80, "unit": "kg"}}),
    )
    .await;
    let shown = cards(app, "il2care-patient-view", "A-1", json!({})).await;
    let card = find(&shown, "warning", "First dose blocked: no screening").unwrap_or_else(|| panic!("{shown:?}"));
    assert!(card["detail"].as_str().unwrap().contains("no screening of this course"), "{card}");
    let signed = cards(app, "il2care-order-sign", "A-1", draft(vec![order("mr-1", json!(48000000), "[iU]")])).await;
    let card = find(&signed, "critical", "First dose blocked").unwrap_or_else(|| panic!("{signed:?}"));
    assert_eq!(card["suggestions"][0]["actions"][0]["resourceId"], "MedicationRequest/mr-1");
    // A screening with an item that fails and one that needs review: both named until decided.
    let mut conn = app.db.store.connection().await.unwrap();
    let items: Vec<Value> = (1..=19)
        .map(|number| {
            let result = match number {
                5 => "fail",
                7 => "needs_review",
                _ => "not_applicable",
            };
            json!({"number": number, "result": result})
        })
        .collect();
    let screening = il2care_store::record::Screening {
        id: 0,
        patient_id: app.patient_a,
        client_id: None,
        at_ms: jiff::Timestamp::now().as_millisecond() - 3_600_000,
        regimen: "hd-iv".into(),
        status: "fail".into(),
        document: "{}".into(),
        result: json!({"items": items}).to_string(),
        recorded_at_ms: 1,
        recorded_by: "test".into(),
    };
    let screening_id = match il2care_store::record::add_screening(&mut conn, &screening).await.unwrap() {
        il2care_store::record::Written::Created(id) | il2care_store::record::Written::AlreadyPresent(id) => id,
    };
    il2care_store::record::link_screening_to_course(&mut conn, screening_id, id).await.unwrap();
    drop(conn);
    let shown = cards(app, "il2care-patient-view", "A-1", json!({})).await;
    let card = find(&shown, "warning", "2 item(s) not cleared").unwrap_or_else(|| panic!("{shown:?}"));
    let detail = card["detail"].as_str().unwrap();
    assert!(detail.contains("item 5") && detail.contains("item 7"), "{detail}");
    // The physician's decisions open the gate: the card goes on the next call (the cache sees the change).
    let mut conn = app.db.store.connection().await.unwrap();
    for (item, kind) in [(5, "override"), (7, "acknowledge")] {
        let decision = il2care_store::record::ScreeningDecision {
            id: 0,
            screening_id,
            item,
            kind: kind.into(),
            reason: "reviewed with the patient".into(),
            decided_at_ms: jiff::Timestamp::now().as_millisecond() - 60_000,
            decided_by: "physician".into(),
        };
        il2care_store::record::add_screening_decision(&mut conn, &decision).await.unwrap();
    }
    drop(conn);
    let shown = cards(app, "il2care-patient-view", "A-1", json!({})).await;
    assert!(shown.iter().all(|card| !card["summary"].as_str().unwrap().contains("First dose blocked")), "{shown:?}");
}

async fn cors_headers_go_only_to_configured_ehr_origins_on_cds_services(app: &TestApp) {
    let origins = il2care_web::cds_cors::CorsOrigins::parse("https://ehr.example.org").unwrap();
    let state = il2care_web::AppState::new(app.db.store.clone())
        .with_mrn_system(crate::support::TEST_MRN_SYSTEM)
        .with_cds_cors_origins(origins);
    let router = il2care_web::router(state);
    let send = |method: &str, path: &str, origin: &str| {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "authorization, content-type")
            .body(Body::empty())
            .unwrap();
        router.clone().oneshot(request)
    };
    let allowed = send("OPTIONS", "/cds-services/il2care-patient-view", "https://ehr.example.org").await.unwrap();
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
    let headers = allowed.headers();
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://ehr.example.org");
    assert!(headers[header::ACCESS_CONTROL_ALLOW_HEADERS].to_str().unwrap().contains("Authorization"));
    assert!(headers[header::ACCESS_CONTROL_ALLOW_HEADERS].to_str().unwrap().contains("Content-Type"));
    assert!(headers[header::ACCESS_CONTROL_ALLOW_METHODS].to_str().unwrap().contains("POST"));
    assert!(!headers.contains_key(header::ACCESS_CONTROL_ALLOW_CREDENTIALS), "no credentials");
    let other = send("OPTIONS", "/cds-services/il2care-patient-view", "https://evil.example.com").await.unwrap();
    assert!(other.headers().keys().all(|name| !name.as_str().starts_with("access-control-")), "{:?}", other.headers());
    let elsewhere = send("OPTIONS", "/api/v1/patients", "https://ehr.example.org").await.unwrap();
    assert!(!elsewhere.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN), "only /cds-services*");
    let discovery = send("GET", "/cds-services", "https://ehr.example.org").await.unwrap();
    assert_eq!(discovery.status(), StatusCode::OK);
    assert_eq!(discovery.headers()[header::ACCESS_CONTROL_ALLOW_ORIGIN], "https://ehr.example.org");
    let discovery = send("GET", "/cds-services", "https://evil.example.com").await.unwrap();
    assert!(!discovery.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
    let api = send("GET", "/healthz", "https://ehr.example.org").await.unwrap();
    assert!(!api.headers().contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN));
}

on_both_backends!(
    feedback_is_accepted_only_for_cards_il2care_issued_and_names_their_patient,
    patient_view_counts_the_shots_of_a_low_dose_course,
    orders_in_mg_and_per_kg_are_compared_with_the_pair_named,
    imaging_orders_with_contrast_get_cards_and_words_only_need_review,
    the_screening_gate_shows_until_the_first_dose_may_be_given,
    cors_headers_go_only_to_configured_ehr_origins_on_cds_services,
);
