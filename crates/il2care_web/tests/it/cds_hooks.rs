//! CDS Hooks 2.0 end to end, on both databases: discovery, patient-view, order-sign and order-select for
//! aldesleukin and iodinated contrast orders, 412 without the patient prefetch, and feedback in the audit log.
//! Requests follow the shape of the specification's examples; every response is checked against the card
//! invariants (summary under 140 characters, indicator, source label, no nulls, selectionBehavior with suggestions).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

fn minutes_ago(minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes)).to_string()
}

/// The specification's patient-view request example, with the EHR's Patient prefetched (MRN as identifier).
fn hook_request(hook: &str, mrn: &str, context: Value) -> Value {
    let mut request = json!({
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "fhirServer": "http://hooks.smarthealthit.org:9080",
        "hook": hook,
        "context": {"userId": "Practitioner/example", "patientId": "1288992"},
        "prefetch": {"patient": {"resourceType": "Patient", "id": "1288992",
                                 "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": mrn}],
                                 "birthDate": "1970-01-01"}}
    });
    if let Value::Object(extra) = context {
        for (key, value) in extra {
            request["context"][key] = value;
        }
    }
    request
}

/// A course of 80 kg, a low systolic pressure, a decision that holds, a dose given `given_minutes_ago` with an
/// override reason (it sets the lasting IL-2 flag) and the held dose.
async fn course_on_hold(app: &TestApp, patient: i64, given_minutes_ago: i64) {
    let physician = app.token("physician").await;
    let nurse = app.token("nurse").await;
    let course = json!({"regimen": "hd-iv", "rule_set": "label", "started_at": minutes_ago(given_minutes_ago + 60), "baseline_weight": {"value": 80, "unit": "kg"}});
    let (status, course) = app.post(&format!("/api/v1/patients/{patient}/courses"), Some(&physician), &course).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    let pressure = json!({"code": "systolic_bp", "value": {"value": 84, "unit": "mm[Hg]"}, "at": minutes_ago(15)});
    assert_eq!(
        app.post(&format!("/api/v1/patients/{patient}/observations"), Some(&nurse), &pressure).await.0,
        StatusCode::CREATED
    );
    let doses = format!("/api/v1/patients/{patient}/doses");
    let given_ms = (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(given_minutes_ago)).as_millisecond();
    crate::support::seed_given_dose(app, patient, course["id"].as_i64().unwrap(), given_ms).await;
    let request = json!({"course_id": course["id"], "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let (status, decided) = app.post(&format!("/api/v1/patients/{patient}/assessments"), Some(&nurse), &request).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    if given_minutes_ago < 24 * 60 {
        assert_eq!(decided["result"]["decision"], "hold", "{decided}");
    }
    let held = json!({"course_id": course["id"], "status": "held", "at": minutes_ago(0), "assessment_id": decided["id"],
                      "slot": crate::support::slot_of(&decided)});
    assert_eq!(app.post(&doses, Some(&nurse), &held).await.0, StatusCode::CREATED);
}

fn no_nulls(value: &Value, path: &str) {
    assert!(!value.is_null(), "{path} is null");
    match value {
        Value::Object(map) => map.iter().for_each(|(key, child)| no_nulls(child, &format!("{path}.{key}"))),
        Value::Array(list) => {
            list.iter().enumerate().for_each(|(index, child)| no_nulls(child, &format!("{path}[{index}]")))
        }
        _ => {}
    }
}

/// The card invariants of the specification; returns the cards.
fn cards_obeying_the_specification(response: &Value) -> Vec<Value> {
    no_nulls(response, "response");
    let cards = response["cards"].as_array().expect("cards is a list").clone();
    for card in &cards {
        let summary = card["summary"].as_str().expect("summary");
        assert!(!summary.is_empty() && summary.chars().count() < 140, "summary too long: {summary}");
        assert!(["info", "warning", "critical"].contains(&card["indicator"].as_str().unwrap()), "{card}");
        assert!(!card["source"]["label"].as_str().unwrap().is_empty());
        assert!(card["uuid"].as_str().unwrap().len() == 36);
        if card.get("suggestions").is_some() {
            assert!(["at-most-one", "any"].contains(&card["selectionBehavior"].as_str().unwrap()), "{card}");
            for suggestion in card["suggestions"].as_array().unwrap() {
                assert!(!suggestion["label"].as_str().unwrap().is_empty());
            }
        }
    }
    cards
}

fn card_with<'a>(cards: &'a [Value], indicator: &str, words: &str) -> Option<&'a Value> {
    cards.iter().find(|card| card["indicator"] == indicator && card["summary"].as_str().unwrap().contains(words))
}

async fn discovery_lists_three_services_with_their_prefetch_templates(app: &TestApp) {
    let (status, discovery) = app.get("/cds-services", None).await;
    assert_eq!(status, StatusCode::OK);
    no_nulls(&discovery, "discovery");
    let services = discovery["services"].as_array().unwrap();
    let hooks: Vec<&str> = services.iter().map(|service| service["hook"].as_str().unwrap()).collect();
    assert_eq!(hooks, ["patient-view", "order-select", "order-sign"]);
    for service in services {
        assert!(service["id"].is_string() && service["description"].is_string() && service["title"].is_string());
        assert_eq!(service["prefetch"]["patient"], "Patient/{{context.patientId}}");
    }
}

async fn patient_view_shows_the_course_the_current_decision_and_the_contrast_flag(app: &TestApp) {
    course_on_hold(app, app.patient_a, 480).await;
    let nurse = app.token("nurse").await;
    let (status, response) = app
        .post("/cds-services/il2care-patient-view", Some(&nurse), &hook_request("patient-view", "A-1", json!({})))
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let cards = cards_obeying_the_specification(&response);
    assert!(card_with(&cards, "info", "hd-iv course, cycle 1: given 1 (1 this cycle), held 1").is_some(), "{response}");
    let decision = card_with(&cards, "critical", ": hold").expect("the hold is a critical card");
    assert!(decision["detail"].as_str().unwrap().contains("label.hold.sbp-below-90"));
    assert!(card_with(&cards, "warning", "iodinated contrast").is_some(), "within 14 days of the dose: {response}");
    let actions = app.audit_actions(app.patient_a).await;
    assert!(actions.contains(&("nurse".into(), "read".into(), "ok".into())));
}

/// Charts are opened again and again: the cards are answered from cached facts only while the record is
/// unchanged, so each new course, dose, decision or flag shows on the very next call.
async fn a_chart_opened_again_shows_every_change_to_the_record_at_once(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let view = || async {
        let request = hook_request("patient-view", "B-2", json!({}));
        let (status, response) = app.post("/cds-services/il2care-patient-view", Some(&nurse), &request).await;
        assert_eq!(status, StatusCode::OK, "{response}");
        cards_obeying_the_specification(&response)
    };
    assert!(view().await.is_empty(), "no course yet");
    course_on_hold(app, app.patient_b, 480).await;
    let cards = view().await;
    assert!(card_with(&cards, "info", "given 1 (1 this cycle), held 1").is_some(), "{cards:?}");
    let hold = card_with(&cards, "critical", ": hold").expect("the hold");
    assert!(hold["detail"].as_str().unwrap().contains("label.hold.sbp-below-90"), "{hold}");
    assert_eq!(view().await.len(), cards.len(), "a second look, unchanged");
    // A new decision that gives: the hold card goes at once.
    let courses: Value = app.get(&format!("/api/v1/patients/{}/courses", app.patient_b), Some(&nurse)).await.1;
    let course_id = courses["courses"][0]["id"].clone();
    let normal = json!({"code": "systolic_bp", "value": {"value": 118, "unit": "mm[Hg]"}, "at": minutes_ago(1)});
    let observations = format!("/api/v1/patients/{}/observations", app.patient_b);
    assert_eq!(app.post(&observations, Some(&nurse), &normal).await.0, StatusCode::CREATED);
    let request = json!({"course_id": course_id, "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let assessments = format!("/api/v1/patients/{}/assessments", app.patient_b);
    let (status, decided) = app.post(&assessments, Some(&nurse), &request).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    // Still a hold (its resume condition is not met yet), but now a pending one: the card shows the new
    // decision, which no longer lists the low pressure among the rules that fired.
    assert!(decided["result"]["fired"].as_array().unwrap().is_empty(), "{decided}");
    let card = card_with(&view().await, "critical", ": hold").cloned().expect("the pending hold");
    assert!(!card["detail"].as_str().unwrap().contains("label.hold.sbp-below-90"), "the newer decision: {card}");
    // A dose given: the count moves on the next call.
    let doses = format!("/api/v1/patients/{}/doses", app.patient_b);
    let given = json!({"course_id": course_id, "status": "given", "at": minutes_ago(0), "assessment_id": decided["id"],
                       "slot": crate::support::slot_of(&decided), "reason_code": "finding_resolved_on_review",
                       "override_reason": "pressure recovered, reassessed by the physician"});
    let physician = app.token("physician").await;
    let (status, answer) = app.post(&doses, Some(&physician), &given).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    // The held slot was then given (a physician's override): it counts as given, not held (core::course).
    let cards = view().await;
    assert!(card_with(&cards, "info", "given 2 (2 this cycle), held 0").is_some(), "{cards:?}");
}

fn aldesleukin_order(id: &str, dose_iu: i64) -> Value {
    json!({"resource": {"resourceType": "MedicationRequest", "id": id, "status": "draft", "intent": "order",
                        "subject": {"reference": "Patient/1288992"},
                        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "70223", "display": "aldesleukin"}]},
                        "dosageInstruction": [{"doseAndRate": [{"doseQuantity": {"value": dose_iu, "unit": "IU", "system": "http://unitsofmeasure.org", "code": "[iU]"}}]}]}})
}

fn contrast_order(id: &str) -> Value {
    json!({"resource": {"resourceType": "ServiceRequest", "id": id, "status": "draft", "intent": "order",
                        "subject": {"reference": "Patient/1288992"}, "code": {"text": "CT abdomen with contrast (Omnipaque)"}}})
}

async fn order_sign_checks_an_aldesleukin_order_against_the_weight_the_limits_and_the_decision(app: &TestApp) {
    course_on_hold(app, app.patient_a, 480).await;
    let nurse = app.token("nurse").await;
    let draft = json!({"draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [aldesleukin_order("mr-1", 60_000_000)]}});
    let (status, response) =
        app.post("/cds-services/il2care-order-sign", Some(&nurse), &hook_request("order-sign", "A-1", draft)).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let cards = cards_obeying_the_specification(&response);
    assert!(
        card_with(&cards, "warning", "Ordered 60000000 IU differs from hd-iv for 80 kg: 48000000 IU").is_some(),
        "{response}"
    );
    let decision = card_with(&cards, "critical", ": hold").expect("the current decision is a critical card");
    assert_eq!(decision["overrideReasons"].as_array().unwrap().len(), 3);
    assert_eq!(decision["selectionBehavior"], "at-most-one");
    assert_eq!(
        decision["suggestions"][0]["actions"][0],
        json!({"type": "delete", "description": "Cancel the aldesleukin order", "resourceId": "MedicationRequest/mr-1"})
    );
    let right = json!({"draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [aldesleukin_order("mr-2", 48_000_000)]}});
    let (_, response) =
        app.post("/cds-services/il2care-order-sign", Some(&nurse), &hook_request("order-sign", "A-1", right)).await;
    let cards = cards_obeying_the_specification(&response);
    assert!(card_with(&cards, "info", "Ordered 48000000 IU matches").is_some(), "{response}");
    // A patient without a course: the order cannot be checked, and says so.
    let (_, response) = app.post("/cds-services/il2care-order-sign", Some(&nurse),
        &hook_request("order-sign", "B-2", json!({"draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [aldesleukin_order("mr-3", 1)]}}))).await;
    let cards = cards_obeying_the_specification(&response);
    assert!(card_with(&cards, "warning", "No il2care course").is_some(), "{response}");
}

async fn order_select_warns_about_iodinated_contrast_within_14_days_and_informs_after(app: &TestApp) {
    course_on_hold(app, app.patient_a, 480).await;
    course_on_hold(app, app.patient_b, 20 * 24 * 60).await;
    let nurse = app.token("nurse").await;
    let context = json!({"selections": ["ServiceRequest/ct-1"], "draftOrders": {"resourceType": "Bundle", "type": "collection",
                         "entry": [contrast_order("ct-1"), aldesleukin_order("mr-1", 60_000_000)]}});
    let (status, response) = app
        .post("/cds-services/il2care-order-select", Some(&nurse), &hook_request("order-select", "A-1", context.clone()))
        .await;
    assert_eq!(status, StatusCode::OK, "{response}");
    let cards = cards_obeying_the_specification(&response);
    assert_eq!(cards.len(), 1, "only the selected order is checked: {response}");
    assert_eq!(cards[0]["indicator"], "warning");
    assert!(cards[0]["detail"].as_str().unwrap().contains("avoid iodinated contrast"));
    let (_, response) = app
        .post("/cds-services/il2care-order-select", Some(&nurse), &hook_request("order-select", "B-2", context))
        .await;
    let cards = cards_obeying_the_specification(&response);
    assert_eq!(cards.len(), 1, "{response}");
    assert_eq!(cards[0]["indicator"], "info", "20 days after the last dose: {response}");
    assert!(cards[0]["detail"].as_str().unwrap().contains("months later"));
}

async fn a_missing_prefetch_is_412_and_unknown_patients_get_no_cards(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let path = "/cds-services/il2care-patient-view";
    let mut request = hook_request("patient-view", "A-1", json!({}));
    request.as_object_mut().unwrap().remove("prefetch");
    assert_eq!(app.post(path, Some(&nurse), &request).await.0, StatusCode::PRECONDITION_FAILED);
    request["prefetch"] = json!({"patient": null});
    assert_eq!(app.post(path, Some(&nurse), &request).await.0, StatusCode::PRECONDITION_FAILED);
    let (status, response) = app.post(path, Some(&nurse), &hook_request("patient-view", "Z-404", json!({}))).await;
    assert_eq!((status, response), (StatusCode::OK, json!({"cards": []})));
    assert_eq!(app.post("/cds-services/nonsense", Some(&nurse), &request).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.post(path, None, &request).await.0, StatusCode::UNAUTHORIZED);
    let patient = app.token("patient_a").await;
    assert_eq!(
        app.post(path, Some(&patient), &hook_request("patient-view", "A-1", json!({}))).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, error) = app.post(path, Some(&nurse), &hook_request("order-sign", "A-1", json!({}))).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("hook")));
}

async fn feedback_on_a_card_is_recorded_in_the_audit_log(app: &TestApp) {
    course_on_hold(app, app.patient_a, 480).await;
    let nurse = app.token("nurse").await;
    let draft = json!({"draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": [aldesleukin_order("mr-1", 60_000_000)]}});
    let (_, response) =
        app.post("/cds-services/il2care-order-sign", Some(&nurse), &hook_request("order-sign", "A-1", draft)).await;
    let issued = cards_obeying_the_specification(&response);
    let (accepted, overridden) = (issued[0]["uuid"].as_str().unwrap(), issued[1]["uuid"].as_str().unwrap());
    let feedback = json!({"feedback": [
        {"card": accepted, "outcome": "accepted",
         "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}], "outcomeTimestamp": "2026-11-27T16:00:00Z"},
        {"card": overridden, "outcome": "overridden",
         "overrideReason": {"reason": {"system": "urn:il2care:override-reason", "code": "clinician-reassessed"},
                            "userComment": "free text is not kept"}, "outcomeTimestamp": "2026-11-27T16:01:00Z"}]});
    let (status, answer) = app.post("/cds-services/il2care-order-sign/feedback", Some(&nurse), &feedback).await;
    assert_eq!((status, answer["recorded"].as_i64()), (StatusCode::OK, Some(2)), "{answer}");
    let mut conn = app.db.store.connection().await.unwrap();
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: Some("nurse".into()), limit: 100 };
    let entries: Vec<_> = il2care_store::audit::query(&mut conn, &query)
        .await
        .unwrap()
        .into_iter()
        .filter(|entry| entry.action == "cds_feedback")
        .collect();
    assert!(entries.iter().all(|entry| entry.patient_id == Some(app.patient_a)), "the card's patient");
    let resources: Vec<String> = entries.into_iter().map(|entry| entry.resource).collect();
    assert!(resources.contains(&format!("cds/il2care-order-sign/card/{accepted}/accepted")));
    assert!(resources.contains(&format!("cds/il2care-order-sign/card/{overridden}/overridden/clinician-reassessed")));
    assert!(resources.iter().all(|resource| !resource.contains("free text")));
    let bad = json!({"feedback": [{"card": "x", "outcome": "ignored"}]});
    let (status, error) = app.post("/cds-services/il2care-order-sign/feedback", Some(&nurse), &bad).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("feedback[0].outcome"))
    );
}

on_both_backends!(
    discovery_lists_three_services_with_their_prefetch_templates,
    patient_view_shows_the_course_the_current_decision_and_the_contrast_flag,
    order_sign_checks_an_aldesleukin_order_against_the_weight_the_limits_and_the_decision,
    order_select_warns_about_iodinated_contrast_within_14_days_and_informs_after,
    a_missing_prefetch_is_412_and_unknown_patients_get_no_cards,
    a_chart_opened_again_shows_every_change_to_the_record_at_once,
    feedback_on_a_card_is_recorded_in_the_audit_log,
);
