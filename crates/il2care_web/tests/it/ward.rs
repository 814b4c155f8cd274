//! The ward's record-side safety end to end (ASSESSMENT §10.4-§10.6, TRIAGE amendment 3): a stored decision comes
//! from the record and a refused one stores nothing; a dose names its slot, one `given` per slot (also under 20
//! concurrent requests), a resubmitted form answers its first record; overrides follow §10.6; the injection log
//! holds the next shot after an urgent check-in until a clinician clears it; every refused write is audited.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

fn minutes_ago(minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes)).to_string()
}

/// An hd-iv course of patient A started `hours` ago.
async fn hd_course(app: &TestApp, hours: i64) -> i64 {
    let physician = app.token("physician").await;
    let course = json!({"regimen": "hd-iv", "started_at": minutes_ago(hours * 60), "baseline_weight": {"value": 80, "unit": "kg"}});
    let (status, course) =
        app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &course).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    let id = course["id"].as_i64().unwrap();
    // These tests are about what is recorded after the screening gate (tested in api.rs).
    crate::support::open_screening_gate(app, app.patient_a, id).await;
    id
}

fn slot_of(decided: &Value) -> i64 {
    let result = &decided["result"];
    (result["cycle"].as_i64().unwrap() - 1) * 15 + result["slot"].as_i64().unwrap()
}

async fn stored_observations(app: &TestApp, token: &str) -> usize {
    let (_, listed) = app.get(&format!("/api/v1/patients/{}/observations", app.patient_a), Some(token)).await;
    listed["observations"].as_array().unwrap().len()
}

async fn a_refused_assessment_stores_nothing_and_the_next_one_works(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let course = hd_course(app, 2).await;
    let path = format!("/api/v1/patients/{}/assessments", app.patient_a);
    let urine = |start: i64, end: i64| json!({"code": "urine_output", "value": {"value": 200, "unit": "mL"}, "start": minutes_ago(start), "end": minutes_ago(end)});
    let first = json!({"observations": [urine(240, 120)]});
    let (status, _) = app.post(&format!("/api/v1/patients/{}/observations", app.patient_a), Some(&nurse), &first).await;
    assert_eq!(status, StatusCode::CREATED);
    // An interval overlapping the stored one: refused, and neither it nor the pressure sent with it is kept.
    let overlapping = json!({"course_id": course, "at": minutes_ago(0), "findings_reviewed": true, "findings": [],
        "observations": [urine(180, 10), {"code": "systolic_bp", "value": {"value": 120, "unit": "mm[Hg]"}, "at": minutes_ago(5)}]});
    let (status, error) = app.post(&path, Some(&nurse), &overlapping).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(stored_observations(app, &nurse).await, 1, "the refused assessment stored nothing");
    let (_, history) = app.get(&path, Some(&nurse)).await;
    assert_eq!(history["assessments"].as_array().unwrap().len(), 0);
    // The next assessment, with an interval that starts where the last one ended, is evaluated and stored.
    let valid = json!({"course_id": course, "at": minutes_ago(0), "findings_reviewed": true, "findings": [],
        "observations": [urine(120, 10)]});
    let (status, decided) = app.post(&path, Some(&nurse), &valid).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    assert_eq!(stored_observations(app, &nurse).await, 2, "the accepted assessment stored its observation");
    assert_eq!(decided["result"]["rule_set"], "consensus", "new courses default to consensus");
}

async fn caller_supplied_course_and_patient_blocks_are_refused(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let course = hd_course(app, 2).await;
    let path = format!("/api/v1/patients/{}/assessments", app.patient_a);
    for (field, block) in [
        ("course", json!({"started_at": minutes_ago(120), "pending_holds": []})),
        ("patient", json!({"sex": "female"})),
        ("parameters", json!({"tachycardia_hold_min": {"value": 130, "unit": "/min"}})),
    ] {
        let mut request = json!({"course_id": course, "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
        request[field] = block;
        let (status, error) = app.post(&path, Some(&nurse), &request).await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(field)),
            "{error}"
        );
    }
    let mut other_set = json!({"course_id": course, "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    other_set["rule_set"] = json!("label");
    assert_eq!(app.post(&path, Some(&nurse), &other_set).await.1["error"]["field"], "rule_set");
}

async fn stored_settings_are_set_by_a_physician_and_used(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let physician = app.token("physician").await;
    let settings = format!("/api/v1/patients/{}/settings", app.patient_a);
    let target = json!({"target_systolic_bp": {"value": 100, "unit": "mm[Hg]"}});
    assert_eq!(app.post(&settings, Some(&nurse), &target).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&settings, Some(&physician), &target).await.0, StatusCode::CREATED);
    let bad = json!({"tachycardia_hold_min": {"value": 150, "unit": "/min"}});
    let (status, error) = app.post("/api/v1/settings", Some(&physician), &bad).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("tachycardia_hold_min"))
    );
    let site = json!({"tachycardia_hold_min": {"value": 120, "unit": "/min"}, "default_rule_set": "label"});
    assert_eq!(app.post("/api/v1/settings", Some(&physician), &site).await.0, StatusCode::CREATED);
    let course = hd_course(app, 2).await;
    let request = json!({"course_id": course, "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let (status, decided) =
        app.post(&format!("/api/v1/patients/{}/assessments", app.patient_a), Some(&nurse), &request).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    assert_eq!(decided["result"]["rule_set"], "label", "the site chose label for new courses");
    let audit = app.audit_actions(app.patient_a).await;
    assert!(audit.iter().any(|(actor, action, _)| actor == "physician" && action == "write"));
    // A cycle-2 delay: physician only, with a reason.
    let delays = format!("/api/v1/patients/{}/cycle-2-delays", app.patient_a);
    let delay = json!({"course_id": course, "start_day": 21, "reason": "creatinine still recovering"});
    assert_eq!(app.post(&delays, Some(&nurse), &delay).await.0, StatusCode::FORBIDDEN);
    let no_reason = json!({"course_id": course, "start_day": 21, "reason": " "});
    assert_eq!(app.post(&delays, Some(&physician), &no_reason).await.1["error"]["field"], "reason");
    let day_15 = json!({"course_id": course, "start_day": 15, "reason": "x"});
    assert_eq!(app.post(&delays, Some(&physician), &day_15).await.1["error"]["field"], "start_day");
    let (status, delayed) = app.post(&delays, Some(&physician), &delay).await;
    assert_eq!((status, delayed["cycle_2_days"].clone()), (StatusCode::CREATED, json!([21, 25])), "{delayed}");
}

async fn doses_follow_the_override_rules_one_given_per_slot(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let physician = app.token("physician").await;
    let course = hd_course(app, 1).await;
    let request = json!({"course_id": course, "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let (status, decided) =
        app.post(&format!("/api/v1/patients/{}/assessments", app.patient_a), Some(&nurse), &request).await;
    assert_eq!(status, StatusCode::CREATED, "{decided}");
    assert_eq!(decided["result"]["decision"], "insufficient_data", "nothing measured: {decided}");
    let slot = slot_of(&decided);
    let doses = format!("/api/v1/patients/{}/doses", app.patient_a);
    let dose = |extra: Value| {
        let mut body = json!({"course_id": course, "status": "given", "at": minutes_ago(0), "slot": slot,
                              "assessment_id": decided["id"]});
        for (key, value) in extra.as_object().unwrap() {
            body[key] = value.clone();
        }
        body
    };
    let reason = json!({"reason_code": "finding_resolved_on_review", "override_reason": "repeat vitals normal"});
    assert_eq!(app.post(&doses, Some(&nurse), &dose(reason.clone())).await.0, StatusCode::FORBIDDEN, "nurse");
    let without_slot = {
        let mut body = dose(reason.clone());
        body.as_object_mut().unwrap().remove("slot");
        body
    };
    assert_eq!(app.post(&doses, Some(&physician), &without_slot).await.1["error"]["field"], "slot");
    let no_code = json!({"override_reason": "repeat vitals normal"});
    assert_eq!(app.post(&doses, Some(&physician), &dose(no_code)).await.1["error"]["field"], "reason_code");
    let mut keyed = dose(reason.clone());
    keyed["idempotency_key"] = json!("form-1");
    let (status, first) = app.post(&doses, Some(&physician), &keyed).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!((first["override"].as_bool(), first["slot"].as_i64()), (Some(true), Some(slot)));
    // Back + resubmit: the first record, not a second.
    let (status, again) = app.post(&doses, Some(&physician), &keyed).await;
    assert_eq!((status, again["id"].clone()), (StatusCode::OK, first["id"].clone()), "{again}");
    // A second `given` for the slot, another form: 409 naming the slot.
    let (status, error) = app.post(&doses, Some(&physician), &dose(reason)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("slot"), "{error}");
    let (_, courses) = app.get(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&nurse)).await;
    let given = courses["courses"][0]["doses"].as_array().unwrap().iter().filter(|d| d["status"] == "given").count();
    assert_eq!(given, 1);
    // The next decision carries the dose: the interval limit now fires.
    let later = json!({"course_id": course, "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let (_, next) = app.post(&format!("/api/v1/patients/{}/assessments", app.patient_a), Some(&nurse), &later).await;
    assert_eq!(next["result"]["doses_given_course"], 1, "{next}");
}

/// 20 simultaneous requests through the router.
async fn twenty_at_once(app: &TestApp, path: &str, token: &str, bodies: Vec<Value>) -> Vec<StatusCode> {
    let mut handles = Vec::new();
    for body in bodies {
        let router = app.router.clone();
        let request = axum::http::Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(axum::body::Body::from(body.to_string()))
            .unwrap();
        handles.push(tokio::spawn(async move {
            use tower::ServiceExt;
            router.oneshot(request).await.unwrap().status()
        }));
    }
    let mut statuses = Vec::new();
    for handle in handles {
        statuses.push(handle.await.unwrap());
    }
    statuses
}

async fn twenty_concurrent_givens_for_one_slot_store_one(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let physician = app.token("physician").await;
    let course = hd_course(app, 1).await;
    let request = json!({"course_id": course, "at": minutes_ago(0), "findings_reviewed": true, "findings": []});
    let (_, decided) =
        app.post(&format!("/api/v1/patients/{}/assessments", app.patient_a), Some(&nurse), &request).await;
    let bodies = (0..20)
        .map(|n| {
            json!({"course_id": course, "status": "given", "at": minutes_ago(0), "slot": slot_of(&decided),
                   "assessment_id": decided["id"], "reason_code": "protocol_exception_approved",
                   "override_reason": "approved", "idempotency_key": format!("form-{n}")})
        })
        .collect();
    let statuses = twenty_at_once(app, &format!("/api/v1/patients/{}/doses", app.patient_a), &physician, bodies).await;
    let created = statuses.iter().filter(|status| **status == StatusCode::CREATED).count();
    assert_eq!(created, 1, "{statuses:?}");
    // The others are refused: 409 (the slot is taken) or, when the winner committed between two reads, 422
    // (something was recorded after the decision: assess again). Never a second dose.
    let refused = [StatusCode::CREATED, StatusCode::CONFLICT, StatusCode::UNPROCESSABLE_ENTITY];
    assert!(statuses.iter().all(|s| refused.contains(s)), "{statuses:?}");
    let (_, courses) = app.get(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&nurse)).await;
    assert_eq!(courses["courses"][0]["doses"].as_array().unwrap().len(), 1);

    // The injection log: 20 shots for one slot of a low-dose course store one.
    let patient = app.token("patient_a").await;
    let sc = json!({"regimen": "saadoun-2011-sc", "started_at": minutes_ago(3 * 24 * 60)});
    let (_, sc) = app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &sc).await;
    crate::support::open_screening_gate(app, app.patient_a, sc["id"].as_i64().unwrap()).await;
    let shots = (0..20)
        .map(|n| {
            json!({"course_id": sc["id"], "status": "given", "at": minutes_ago(10), "slot": 2, "site": "thigh_left",
                   "client_id": format!("phone-{n}")})
        })
        .collect();
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    let statuses = twenty_at_once(app, &path, &patient, shots).await;
    assert_eq!(statuses.iter().filter(|status| **status == StatusCode::CREATED).count(), 1, "{statuses:?}");
    let (_, log) = app.get(&path, Some(&patient)).await;
    assert_eq!(log["injections"].as_array().unwrap().len(), 1, "{log}");
}

async fn an_urgent_check_in_holds_the_next_shot_until_a_clinician_clears_it(app: &TestApp) {
    let physician = app.token("physician").await;
    let nurse = app.token("nurse").await;
    let patient = app.token("patient_a").await;
    let sc = json!({"regimen": "saadoun-2011-sc", "started_at": minutes_ago(3 * 24 * 60)});
    let (_, sc) = app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &sc).await;
    crate::support::open_screening_gate(app, app.patient_a, sc["id"].as_i64().unwrap()).await;
    let checkin = json!({"at": minutes_ago(30), "answers": {"temperature": {"value": 38.6, "unit": "Cel"}}});
    let (status, checked) =
        app.post(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&patient), &checkin).await;
    assert_eq!((status, checked["result"]["level"].as_str()), (StatusCode::CREATED, Some("call_now")), "{checked}");
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    let shot = json!({"course_id": sc["id"], "status": "given", "at": minutes_ago(5), "slot": 3, "site": "arm_left"});
    let (status, error) = app.post(&path, Some(&patient), &shot).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("status")),
        "{error}"
    );
    let skipped =
        json!({"course_id": sc["id"], "status": "skipped", "at": minutes_ago(5), "slot": 3, "skip_reason": "fever"});
    let earlier =
        json!({"course_id": sc["id"], "status": "given", "at": minutes_ago(60), "slot": 2, "site": "arm_left"});
    assert_eq!(app.post(&path, Some(&patient), &earlier).await.0, StatusCode::CREATED, "a shot before the check-in");
    let clear = format!("/api/v1/checkins/{}/clearances", checked["id"]);
    assert_eq!(app.post(&clear, Some(&patient), &json!({"note": "fine"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&clear, Some(&nurse), &json!({"note": "called back, settled"})).await.0, StatusCode::CREATED);
    let (status, logged) = app.post(&path, Some(&patient), &shot).await;
    assert_eq!(status, StatusCode::CREATED, "{logged}");
    assert_eq!(app.post(&path, Some(&patient), &skipped).await.0, StatusCode::UNPROCESSABLE_ENTITY, "slot 3 is taken");
}

/// Every write endpoint, with a body that passes validation for someone allowed.
fn write_endpoints(app: &TestApp) -> Vec<(String, Value)> {
    let p = app.patient_a;
    vec![
        (
            "/api/v1/patients".into(),
            json!({"mrn": "Z-9", "name": "Z", "date_of_birth": "1970-01-01", "sex": "female", "time_zone": "UTC"}),
        ),
        (format!("/api/v1/patients/{p}/courses"), json!({"regimen": "hd-iv", "started_at": minutes_ago(60)})),
        (
            format!("/api/v1/patients/{p}/observations"),
            json!({"code": "heart_rate", "value": {"value": 88, "unit": "/min"}, "at": minutes_ago(5)}),
        ),
        (
            format!("/api/v1/patients/{p}/doses"),
            json!({"course_id": 1, "status": "held", "at": minutes_ago(1), "slot": 1, "reason_code": "clinical_concern"}),
        ),
        (
            format!("/api/v1/patients/{p}/assessments"),
            json!({"course_id": 1, "at": minutes_ago(0), "findings_reviewed": true, "findings": []}),
        ),
        (format!("/api/v1/patients/{p}/checkins"), json!({"at": minutes_ago(5), "answers": {"fatigue": "mild"}})),
        (
            format!("/api/v1/patients/{p}/injections"),
            json!({"course_id": 1, "status": "skipped", "at": minutes_ago(5), "slot": 1, "skip_reason": "x"}),
        ),
        (format!("/api/v1/patients/{p}/settings"), json!({"target_systolic_bp": null})),
        (format!("/api/v1/patients/{p}/cycle-2-delays"), json!({"course_id": 1, "start_day": 20, "reason": "x"})),
        ("/api/v1/settings".into(), json!({"default_rule_set": "consensus"})),
        ("/api/v1/checkins/1/acknowledgements".into(), json!({"note": "x"})),
        ("/api/v1/checkins/1/clearances".into(), json!({"note": "x"})),
    ]
}

async fn denied_count(app: &TestApp, actor: &str) -> usize {
    let mut conn = app.db.store.connection().await.unwrap();
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: Some(actor.into()), limit: 100_000 };
    il2care_store::audit::query(&mut conn, &query).await.unwrap().iter().filter(|e| e.action == "denied").count()
}

async fn every_refused_write_by_every_role_is_audited(app: &TestApp) {
    let mut missing = Vec::new();
    let mut refused = 0;
    for user in ["patient_a", "patient_b", "nurse", "physician", "pharmacist", "admin"] {
        let token = app.token(user).await;
        for (path, body) in write_endpoints(app) {
            let before = denied_count(app, user).await;
            let (status, _) = app.post(&path, Some(&token), &body).await;
            if status == StatusCode::FORBIDDEN {
                refused += 1;
                if denied_count(app, user).await <= before {
                    missing.push(format!("POST {path} as {user}"));
                }
            }
        }
    }
    assert!(refused >= 30, "the matrix refuses many calls ({refused})");
    assert!(missing.is_empty(), "refused without an audit entry:\n{}", missing.join("\n"));
}

on_both_backends!(
    a_refused_assessment_stores_nothing_and_the_next_one_works,
    caller_supplied_course_and_patient_blocks_are_refused,
    stored_settings_are_set_by_a_physician_and_used,
    doses_follow_the_override_rules_one_given_per_slot,
    twenty_concurrent_givens_for_one_slot_store_one,
    an_urgent_check_in_holds_the_next_shot_until_a_clinician_clears_it,
    every_refused_write_by_every_role_is_audited,
);
