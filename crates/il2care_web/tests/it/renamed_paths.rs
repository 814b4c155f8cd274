//! The renamed API paths (issue 13, one name per concept): `/api/v1/patients/{id}/decisions` and
//! `/api/v1/checkins/{id}/callbacks` answer exactly like their deprecated old names `.../assessments` and
//! `.../acknowledgements`, which keep answering for one release; openapi.json marks the old ones deprecated;
//! a call back on either path is audited under the stored name (`checkin/{id}/acknowledgement`), so old audit
//! chains and filters keep working.

use axum::http::StatusCode;
use il2care_store::administration::{AuditFilter, audit_entries};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

/// A stored answer without what differs between two records by construction (their row ids).
fn without_ids(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(members) => {
                for key in ["id", "patient_id", "checkin_id", "assessment_id"] {
                    members.remove(key);
                }
                members.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

fn minutes_ago(minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes)).to_string()
}

async fn decisions_answers_exactly_like_the_deprecated_assessments_path(app: &TestApp) {
    let physician = app.token("physician").await;
    let nurse = app.token("nurse").await;
    // The same course and the same low blood pressure for both patients: one decided on each path.
    let started = minutes_ago(60);
    let measured = minutes_ago(10);
    let decided_at = minutes_ago(0);
    let mut decided = Vec::new();
    for (patient, path) in [(app.patient_a, "decisions"), (app.patient_b, "assessments")] {
        let course = json!({"regimen": "hd-iv", "started_at": started, "baseline_weight": {"value": 80, "unit": "kg"}});
        let (status, course) =
            app.post(&format!("/api/v1/patients/{patient}/courses"), Some(&physician), &course).await;
        assert_eq!(status, StatusCode::CREATED, "{course}");
        let low = json!({"code": "systolic_bp", "value": {"value": 84, "unit": "mm[Hg]"}, "at": measured});
        let (status, stored) = app.post(&format!("/api/v1/patients/{patient}/observations"), Some(&nurse), &low).await;
        assert_eq!(status, StatusCode::CREATED, "{stored}");
        let request = json!({"course_id": course["id"], "at": decided_at, "findings_reviewed": true, "findings": []});
        let (status, answer) = app.post(&format!("/api/v1/patients/{patient}/{path}"), Some(&nurse), &request).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {answer}");
        assert_eq!(answer["result"]["decision"], "hold", "{path}: {answer}");
        decided.push(answer);
    }
    assert_ne!(decided[0]["id"], decided[1]["id"], "two decisions were stored");
    assert_eq!(without_ids(decided[0].clone()), without_ids(decided[1].clone()), "the same decision on both paths");

    // Listing: the very same answer on both paths, for the care team and the patient.
    let own = app.token("patient_a").await;
    for token in [&nurse, &own] {
        let (new_status, new) = app.get(&format!("/api/v1/patients/{}/decisions", app.patient_a), Some(token)).await;
        let (old_status, old) = app.get(&format!("/api/v1/patients/{}/assessments", app.patient_a), Some(token)).await;
        assert_eq!(new_status, StatusCode::OK, "{new}");
        assert_eq!((new_status, &new), (old_status, &old));
        assert_eq!(new["assessments"][0]["id"], decided[0]["id"], "{new}");
    }

    // Refusals: the same status and the same words on both paths.
    let bad = json!({"course_id": 999_999, "at": decided_at, "findings_reviewed": true, "findings": [], "extra": 1});
    let stranger = app.token("patient_b").await;
    let pharmacist = app.token("pharmacist").await;
    for (token, body, expected) in [
        (&nurse, &bad, StatusCode::UNPROCESSABLE_ENTITY),
        (&pharmacist, &json!({}), StatusCode::FORBIDDEN),
        (&stranger, &json!({}), StatusCode::FORBIDDEN),
    ] {
        let new = app.post(&format!("/api/v1/patients/{}/decisions", app.patient_a), Some(token), body).await;
        let old = app.post(&format!("/api/v1/patients/{}/assessments", app.patient_a), Some(token), body).await;
        assert_eq!(new.0, expected, "{}", new.1);
        assert_eq!(new, old);
    }
    let (status, _) = app.get(&format!("/api/v1/patients/{}/decisions", app.patient_a), Some(&stranger)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a stranger reads no decisions on the new path either");
}

async fn callbacks_answers_exactly_like_the_deprecated_acknowledgements_path(app: &TestApp) {
    let patient = app.token("patient_a").await;
    let nurse = app.token("nurse").await;
    let mut checkins = Vec::new();
    for (client_id, minutes) in [("renamed-1", 30), ("renamed-2", 20)] {
        let fever = json!({"client_id": client_id, "at": minutes_ago(minutes),
                           "answers": {"temperature": {"value": 100.8, "unit": "[degF]"}, "chills": "moderate"}});
        let (status, stored) =
            app.post(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&patient), &fever).await;
        assert_eq!(status, StatusCode::CREATED, "{stored}");
        assert_eq!(stored["result"]["level"], "call_now");
        checkins.push(stored["id"].as_i64().unwrap());
    }
    let new_path = |checkin: i64| format!("/api/v1/checkins/{checkin}/callbacks");
    let old_path = |checkin: i64| format!("/api/v1/checkins/{checkin}/acknowledgements");

    // Refusals before anything is recorded: the same answers on both paths.
    let pharmacist = app.token("pharmacist").await;
    let bad = json!({"note": "called", "unknown": true});
    for (token, body, expected) in
        [(&pharmacist, json!({"note": "x"}), StatusCode::FORBIDDEN), (&nurse, bad, StatusCode::UNPROCESSABLE_ENTITY)]
    {
        let new = app.post(&new_path(checkins[0]), Some(token), &body).await;
        let old = app.post(&old_path(checkins[0]), Some(token), &body).await;
        assert_eq!(new.0, expected, "{}", new.1);
        assert_eq!(new, old);
    }
    let missing = json!({"note": "called"});
    assert_eq!(
        app.post(&new_path(999_999), Some(&nurse), &missing).await,
        app.post(&old_path(999_999), Some(&nurse), &missing).await
    );

    // One call back on each path: the same answer but for the ids.
    let body = json!({"note": "called back, advised to come in", "clears_next_shot": true});
    let (new_status, new) = app.post(&new_path(checkins[0]), Some(&nurse), &body).await;
    let (old_status, old) = app.post(&old_path(checkins[1]), Some(&nurse), &body).await;
    assert_eq!(new_status, StatusCode::CREATED, "{new}");
    assert_eq!(new["checkin_id"], checkins[0]);
    assert_eq!(old["checkin_id"], checkins[1]);
    assert_eq!((new_status, without_ids(new)), (old_status, without_ids(old)));
    // A second call back on the other path is refused alike.
    let again_new = app.post(&new_path(checkins[1]), Some(&nurse), &body).await;
    let again_old = app.post(&old_path(checkins[0]), Some(&nurse), &body).await;
    assert_eq!(again_new.0, StatusCode::CONFLICT, "{}", again_new.1);
    assert_eq!(without_ids(again_new.1), without_ids(again_old.1));

    // Both are recorded as call backs, and audited under the stored resource name.
    let (_, listed) = app.get(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&nurse)).await;
    let called: Vec<bool> =
        listed["checkins"].as_array().unwrap().iter().map(|c| c["acknowledged"].as_bool().unwrap()).collect();
    assert_eq!(called, [true, true], "{listed}");
    let mut conn = app.db.store.connection().await.unwrap();
    let filter = AuditFilter { actor: Some("nurse".into()), action: Some("write".into()), ..AuditFilter::default() };
    let resources: Vec<String> =
        audit_entries(&mut conn, &filter, 1000).await.unwrap().into_iter().map(|entry| entry.resource).collect();
    for checkin in &checkins {
        let stored_name = format!("checkin/{checkin}/acknowledgement");
        assert!(resources.contains(&stored_name), "{stored_name} not in {resources:?}");
    }
}

async fn openapi_marks_the_old_names_deprecated_and_describes_the_new(app: &TestApp) {
    let (status, document) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    let paths = &document["paths"];
    for (new, old, methods) in [
        ("/api/v1/patients/{patient_id}/decisions", "/api/v1/patients/{patient_id}/assessments", &["get", "post"][..]),
        ("/api/v1/checkins/{checkin_id}/callbacks", "/api/v1/checkins/{checkin_id}/acknowledgements", &["post"][..]),
    ] {
        for method in methods {
            assert_eq!(paths[old][method]["deprecated"], true, "{old} {method}");
            assert!(paths[old][method]["description"].as_str().unwrap().contains(new), "{old} {method} names {new}");
            assert!(paths[new][method].is_object(), "{new} {method}");
            assert_eq!(paths[new][method].get("deprecated"), None, "{new} {method} is not deprecated");
        }
    }
    // The stateless assessment keeps its name.
    assert_eq!(paths["/api/v1/assess"]["post"].get("deprecated"), None);
}

on_both_backends!(
    decisions_answers_exactly_like_the_deprecated_assessments_path,
    callbacks_answers_exactly_like_the_deprecated_acknowledgements_path,
    openapi_marks_the_old_names_deprecated_and_describes_the_new,
);
