//! The API end to end, per role, on both databases: stateless triage, sign-in, the patient boundary,
//! idempotent check-ins, refusals that store nothing, the worklist, and the audit trail.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

fn fever_checkin() -> Value {
    json!({"at": "2026-11-27T08:30:00-05:00", "answers": {"temperature": {"value": 100.8, "unit": "[degF]"}, "chills": "moderate"}})
}

async fn stateless_triage_answers_like_the_command_line(app: &TestApp) {
    let (status, result) = app.post("/api/v1/triage", None, &fever_checkin()).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["level"], "call_now");
    assert!(result["fired"].as_array().unwrap().iter().any(|rule| rule["id"] == "triage.fever"));
    assert!(result["message"].as_str().unwrap().starts_with("Call your care team now"));
}

fn assessment(observation: Value) -> Value {
    json!({"at": "2026-11-27T16:00:00Z", "rule_set": "label",
           "patient": {"sex": "female", "baseline_weight": {"value": 80, "unit": "kg"}},
           "course": {"regimen": "hd-iv", "started_at": "2026-11-25T08:00:00Z", "cycle": 1, "doses_given_this_cycle": 6,
                      "doses_given_this_course": 6, "holds_this_cycle": 1, "last_dose_at": "2026-11-27T08:00:00Z", "pending_holds": []},
           "observations": [observation], "findings_reviewed": true, "findings": []})
}

async fn stateless_assessment_holds_for_low_blood_pressure_and_refuses_impossible_values(app: &TestApp) {
    let low = json!({"code": "systolic_bp", "value": {"value": 86, "unit": "mm[Hg]"}, "at": "2026-11-27T15:40:00Z"});
    let (status, result) = app.post("/api/v1/assess", None, &assessment(low)).await;
    assert_eq!(status, StatusCode::OK, "{result}");
    assert_eq!(result["decision"], "hold");
    assert!(result["fired"].as_array().unwrap().iter().any(|rule| rule["id"] == "label.hold.sbp-below-90"));
    let impossible = json!({"code": "spo2", "value": {"value": 140, "unit": "%"}, "at": "2026-11-27T15:40:00Z"});
    let (status, error) = app.post("/api/v1/assess", None, &assessment(impossible)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["field"].as_str().unwrap().starts_with("observations[0]"), "{error}");
}

async fn bad_bodies_are_refused_with_a_named_field_and_a_4xx(app: &TestApp) {
    let bare = json!({"at": "2026-11-27T08:30:00-05:00", "answers": {"temperature": 100.8}});
    let (status, error) = app.post("/api/v1/triage", None, &bare).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("answers.temperature"))
    );
    let unknown = json!({"at": "2026-11-27T08:30:00-05:00", "answers": {}, "extra": 1});
    let (status, error) = app.post("/api/v1/triage", None, &unknown).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("extra")));
    let (status, _) = app.send(Method::POST, "/api/v1/triage", None, "text/plain", "{}").await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = format!("{{\"at\": \"{}\"}}", "x".repeat(300 * 1024));
    let (status, _) = app.send(Method::POST, "/api/v1/triage", None, "application/json", &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let (status, error) = app.send(Method::POST, "/api/v1/triage", None, "application/json", "{not json").await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("document")));
}

async fn wrong_passwords_are_refused_audited_and_rate_limited(app: &TestApp) {
    for _ in 0..5 {
        let (status, _) = app.post("/api/v1/session", None, &json!({"username": "nurse", "password": "guess"})).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) =
        app.post("/api/v1/session", None, &json!({"username": "nurse", "password": crate::support::PASSWORD})).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the sixth attempt within 15 minutes is refused, even if right");
    let mut conn = app.db.store.connection().await.unwrap();
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: Some("nurse".into()), limit: 100 };
    let actions: Vec<String> =
        il2care_store::audit::query(&mut conn, &query).await.unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions.iter().filter(|a| *a == "login_failed").count(), 5);
    assert_eq!(actions[0], "login_rate_limited");
    let (status, _) = app.get("/api/v1/patients", Some("not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_patient_reads_only_their_own_record_and_attempts_on_others_are_audited(app: &TestApp) {
    let token = app.token("patient_a").await;
    let (status, own) = app.get(&format!("/api/v1/patients/{}", app.patient_a), Some(&token)).await;
    assert_eq!((status, own["mrn"].as_str()), (StatusCode::OK, Some("A-1")));
    let (status, _) = app.get(&format!("/api/v1/patients/{}", app.patient_b), Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get(&format!("/api/v1/patients/{}/checkins", app.patient_b), Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, listed) = app.get("/api/v1/patients", Some(&token)).await;
    assert_eq!(listed["patients"].as_array().unwrap().len(), 1, "a patient's list holds only themself");
    let audit_b = app.audit_actions(app.patient_b).await;
    assert_eq!(audit_b.iter().filter(|(actor, action, _)| actor == "patient_a" && action == "denied").count(), 2);
    let audit_a = app.audit_actions(app.patient_a).await;
    assert!(audit_a.iter().any(|(actor, action, outcome)| actor == "patient_a" && action == "read" && outcome == "ok"));
}

async fn a_retried_checkin_is_stored_once_and_answers_the_same_result(app: &TestApp) {
    let token = app.token("patient_a").await;
    let mut document = fever_checkin();
    document["client_id"] = json!("phone-42");
    let path = format!("/api/v1/patients/{}/checkins", app.patient_a);
    let (first_status, first) = app.post(&path, Some(&token), &document).await;
    let (retry_status, retry) = app.post(&path, Some(&token), &document).await;
    assert_eq!((first_status, retry_status), (StatusCode::CREATED, StatusCode::OK), "{first} {retry}");
    assert_eq!(first["id"], retry["id"]);
    assert_eq!(retry["result"]["level"], "call_now");
    let (_, listed) = app.get(&path, Some(&token)).await;
    assert_eq!(listed["checkins"].as_array().unwrap().len(), 1);
}

async fn a_refused_checkin_stores_nothing(app: &TestApp) {
    let token = app.token("patient_a").await;
    let path = format!("/api/v1/patients/{}/checkins", app.patient_a);
    let refused = json!({"at": "2026-11-27T08:30:00-05:00", "answers": {"temperature": {"value": 60, "unit": "Cel"}}});
    let (status, error) = app.post(&path, Some(&token), &refused).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("answers.temperature"))
    );
    let (_, listed) = app.get(&path, Some(&token)).await;
    assert!(listed["checkins"].as_array().unwrap().is_empty());
}

async fn the_worklist_puts_the_most_urgent_checkin_first_until_acknowledged(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let calm = json!({"at": "2026-11-27T07:00:00Z", "answers": {"fatigue": "mild"}});
    app.post(&format!("/api/v1/patients/{}/checkins", app.patient_b), Some(&nurse), &calm).await;
    let (_, urgent) =
        app.post(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&nurse), &fever_checkin()).await;
    let (status, list) = app.get("/api/v1/worklist", Some(&nurse)).await;
    assert_eq!(status, StatusCode::OK);
    let levels: Vec<&str> =
        list["items"].as_array().unwrap().iter().map(|item| item["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["call_now", "self_care"]);
    let ack = format!("/api/v1/checkins/{}/acknowledgements", urgent["id"]);
    let (status, _) = app.post(&ack, Some(&nurse), &json!({"note": "called back"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, list) = app.get("/api/v1/worklist", Some(&nurse)).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let patient = app.token("patient_a").await;
    assert_eq!(app.get("/api/v1/worklist", Some(&patient)).await.0, StatusCode::FORBIDDEN);
}

async fn roles_decide_who_creates_patients_and_reads_the_audit_log(app: &TestApp) {
    let new_patient = json!({"mrn": "C-3", "name": "New Patient", "date_of_birth": "1980-01-01", "sex": "female", "time_zone": "Europe/Paris"});
    let pharmacist = app.token("pharmacist").await;
    assert_eq!(app.post("/api/v1/patients", Some(&pharmacist), &new_patient).await.0, StatusCode::FORBIDDEN);
    let nurse = app.token("nurse").await;
    let (status, created) = app.post("/api/v1/patients", Some(&nurse), &new_patient).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(app.post("/api/v1/patients", Some(&nurse), &new_patient).await.0, StatusCode::CONFLICT);
    let bad_zone =
        json!({"mrn": "D-4", "name": "X", "date_of_birth": "1980-01-01", "sex": "female", "time_zone": "Mars/Base"});
    let (status, error) = app.post("/api/v1/patients", Some(&nurse), &bad_zone).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("time_zone")));
    assert_eq!(app.get("/api/v1/audit", Some(&nurse)).await.0, StatusCode::FORBIDDEN);
    let admin = app.token("admin").await;
    let (status, log) = app.get("/api/v1/audit?limit=500", Some(&admin)).await;
    assert_eq!(status, StatusCode::OK);
    let entries = log["entries"].as_array().unwrap();
    assert!(
        entries.iter().any(|e| e["action"] == "write" && e["actor"] == "nurse" && e["patient_id"] == created["id"])
    );
    assert_eq!(app.get("/api/v1/patients", Some(&admin)).await.0, StatusCode::FORBIDDEN, "admins do not read records");
}

async fn a_physician_starts_a_course_and_everyone_on_the_record_sees_its_schedule(app: &TestApp) {
    let path = format!("/api/v1/patients/{}/courses", app.patient_a);
    let course = json!({"regimen": "hd-iv", "started_at": "2026-03-06T13:00:00Z", "baseline_weight": {"value": 176, "unit": "[lb_av]"}});
    let nurse = app.token("nurse").await;
    assert_eq!(app.post(&path, Some(&nurse), &course).await.0, StatusCode::FORBIDDEN);
    let physician = app.token("physician").await;
    let (status, created) = app.post(&path, Some(&physician), &course).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let light = json!({"regimen": "hd-iv", "started_at": "2026-03-06T13:00:00Z", "baseline_weight": {"value": 20, "unit": "kg"}});
    let (status, error) = app.post(&path, Some(&physician), &light).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("baseline_weight")));
    let patient = app.token("patient_a").await;
    let (status, listed) = app.get(&path, Some(&patient)).await;
    assert_eq!(status, StatusCode::OK);
    let first = &listed["courses"][0];
    assert_eq!(first["baseline_weight"], json!({"value": 79.83225712, "unit": "kg"}));
    assert_eq!(first["schedule"]["slots"].as_array().unwrap().len(), 28);
    let other = app.token("patient_b").await;
    assert_eq!(app.get(&path, Some(&other)).await.0, StatusCode::FORBIDDEN);
}

async fn a_dose_given_without_a_give_decision_needs_an_override_reason(app: &TestApp) {
    let physician = app.token("physician").await;
    let course =
        json!({"regimen": "hd-iv", "started_at": minutes_ago(60), "baseline_weight": {"value": 80, "unit": "kg"}});
    let (_, created) =
        app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &course).await;
    let doses = format!("/api/v1/patients/{}/doses", app.patient_a);
    let nurse = app.token("nurse").await;
    let given = json!({"course_id": created["id"], "status": "given", "at": minutes_ago(0), "slot": 1});
    let (status, error) = app.post(&doses, Some(&nurse), &given).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("assessment_id")));
    let (_, patient) = app.get(&format!("/api/v1/patients/{}", app.patient_a), Some(&nurse)).await;
    assert_eq!(patient["flags"], json!([]), "nothing of the refused dose was stored");
    let request = json!({"course_id": created["id"], "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let (_, decided) =
        app.post(&format!("/api/v1/patients/{}/assessments", app.patient_a), Some(&nurse), &request).await;
    let mut overridden = given.clone();
    overridden["assessment_id"] = decided["id"].clone();
    overridden["at"] = json!(minutes_ago(0));
    overridden["slot"] = json!(crate::support::slot_of(&decided));
    overridden["reason_code"] = json!("protocol_exception_approved");
    overridden["override_reason"] = json!("assessed at the bedside; decision entered late");
    assert_eq!(app.post(&doses, Some(&nurse), &overridden).await.0, StatusCode::FORBIDDEN, "only a physician");
    let (status, gate) = app.post(&doses, Some(&physician), &overridden).await;
    assert_eq!(
        (status, gate["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("course_id")),
        "the first dose of a course without a screening is refused (SCREENING §1 amendment): {gate}"
    );
    assert!(gate["error"]["message"].as_str().unwrap().contains("no screening of this course"), "{gate}");
    crate::support::open_screening_gate(app, app.patient_a, created["id"].as_i64().unwrap()).await;
    let (status, recorded) = app.post(&doses, Some(&physician), &overridden).await;
    assert_eq!(status, StatusCode::CREATED, "{recorded}");
    let (_, patient) = app.get(&format!("/api/v1/patients/{}", app.patient_a), Some(&nurse)).await;
    assert_eq!(patient["flags"], json!(["received_interleukin_2"]));
    let wrong_course = json!({"course_id": 999_999, "status": "held", "at": minutes_ago(0), "slot": 1});
    assert_eq!(app.post(&doses, Some(&nurse), &wrong_course).await.1["error"]["field"], "course_id");
    let pharmacist = app.token("pharmacist").await;
    assert_eq!(app.post(&doses, Some(&pharmacist), &overridden).await.0, StatusCode::FORBIDDEN);
}

fn minutes_ago(minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes)).to_string()
}

async fn the_stored_workflow_records_observations_then_decides_from_the_record(app: &TestApp) {
    let physician = app.token("physician").await;
    let course = json!({"regimen": "hd-iv", "rule_set": "label", "started_at": minutes_ago(30 * 60), "baseline_weight": {"value": 80, "unit": "kg"}});
    let (_, course) = app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &course).await;
    let nurse = app.token("nurse").await;
    let observations = format!("/api/v1/patients/{}/observations", app.patient_a);
    let batch = json!({"observations": [
        {"client_id": "monitor-1", "code": "systolic_bp", "value": {"value": 86, "unit": "mm[Hg]"}, "at": minutes_ago(20)},
        {"code": "heart_rate", "value": {"value": 104, "unit": "/min"}, "at": minutes_ago(20)}]});
    let (status, stored) = app.post(&observations, Some(&nurse), &batch).await;
    assert_eq!((status, stored["created"].as_i64()), (StatusCode::CREATED, Some(2)), "{stored}");
    let retry = json!({"client_id": "monitor-1", "code": "systolic_bp", "value": {"value": 86, "unit": "mm[Hg]"}, "at": minutes_ago(20)});
    let (status, again) = app.post(&observations, Some(&nurse), &retry).await;
    assert_eq!((status, again["already_present"].as_i64()), (StatusCode::OK, Some(1)));
    let bad = json!({"observations": [
        {"code": "heart_rate", "value": {"value": 90, "unit": "/min"}, "at": minutes_ago(5)},
        {"code": "spo2", "value": {"value": 140, "unit": "%"}, "at": minutes_ago(5)}]});
    let (status, error) = app.post(&observations, Some(&nurse), &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error["error"]["field"].as_str().unwrap().starts_with("observations[1]"), "{error}");
    let future = json!({"code": "heart_rate", "value": {"value": 90, "unit": "/min"}, "at": minutes_ago(-120)});
    assert_eq!(app.post(&observations, Some(&nurse), &future).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, listed) = app.get(&observations, Some(&nurse)).await;
    assert_eq!(listed["observations"].as_array().unwrap().len(), 2, "refused batches store nothing");

    let assessments = format!("/api/v1/patients/{}/assessments", app.patient_a);
    let request = json!({"course_id": course["id"], "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let (status, decided) = app.post(&assessments, Some(&nurse), &request).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    assert_eq!(decided["result"]["decision"], "hold");
    assert!(decided["result"]["fired"].as_array().unwrap().iter().any(|rule| rule["id"] == "label.hold.sbp-below-90"));
    let doses = format!("/api/v1/patients/{}/doses", app.patient_a);
    let slot = crate::support::slot_of(&decided);
    let against = json!({"course_id": course["id"], "status": "given", "at": minutes_ago(0), "assessment_id": decided["id"],
                         "slot": slot});
    let (status, error) = app.post(&doses, Some(&nurse), &against).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only a physician gives against a hold: {error}");
    let held = json!({"course_id": course["id"], "status": "held", "at": minutes_ago(0), "assessment_id": decided["id"],
                      "slot": slot});
    assert_eq!(app.post(&doses, Some(&nurse), &held).await.0, StatusCode::CREATED);
    let patient = app.token("patient_a").await;
    let (_, history) = app.get(&assessments, Some(&patient)).await;
    assert_eq!(history["assessments"][0]["rule_set_version"], decided["result"]["rule_set_version"]);
}

async fn the_openapi_document_describes_every_route(app: &TestApp) {
    let (status, document) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    let source = include_str!("../../src/lib.rs");
    let routed: Vec<&str> = source.split(".route(").skip(1).filter_map(|chunk| chunk.split('"').nth(1)).collect();
    let described: Vec<&String> = document["paths"].as_object().unwrap().keys().collect();
    assert!(routed.len() >= 10);
    for path in &routed {
        assert!(described.iter().any(|d| d == path), "{path} is routed but not in openapi.json");
    }
    for path in described {
        assert!(routed.contains(&path.as_str()), "{path} is in openapi.json but not routed");
    }
    let (status, health) = app.get("/healthz", None).await;
    assert_eq!((status, health["status"].as_str()), (StatusCode::OK, Some("ok")));
}

on_both_backends!(
    stateless_triage_answers_like_the_command_line,
    stateless_assessment_holds_for_low_blood_pressure_and_refuses_impossible_values,
    bad_bodies_are_refused_with_a_named_field_and_a_4xx,
    wrong_passwords_are_refused_audited_and_rate_limited,
    a_patient_reads_only_their_own_record_and_attempts_on_others_are_audited,
    a_retried_checkin_is_stored_once_and_answers_the_same_result,
    a_refused_checkin_stores_nothing,
    the_worklist_puts_the_most_urgent_checkin_first_until_acknowledged,
    roles_decide_who_creates_patients_and_reads_the_audit_log,
    a_physician_starts_a_course_and_everyone_on_the_record_sees_its_schedule,
    a_dose_given_without_a_give_decision_needs_an_override_reason,
    the_stored_workflow_records_observations_then_decides_from_the_record,
    the_openapi_document_describes_every_route,
);
