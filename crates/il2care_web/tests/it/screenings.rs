//! Pre-treatment screenings through the API, on both databases: a pharmacist screens a patient and the result
//! is stored beside the document, the record's lasting flag brings the contrast warning, refusals name the
//! field and store nothing, a retry is stored once, and only the care team reads and writes (refusals audited).

use axum::http::{Method, StatusCode};
use il2care_store::administration::{AuditFilter, audit_entries};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

/// The screening document of a readable case file.
fn case_document(text: &str) -> Value {
    serde_json::from_str::<Value>(text).unwrap()["document"].clone()
}

fn interactions_case() -> Value {
    case_document(include_str!(
        "../../../../tests/cases/screen/19-medication-list-with-interactions-and-an-unknown-name.json"
    ))
}

async fn a_pharmacist_screens_a_patient_and_the_team_reads_the_stored_result(app: &TestApp) {
    let pharmacist = app.token("pharmacist").await;
    let path = format!("/api/v1/patients/{}/screenings", app.patient_a);
    let mut document = interactions_case();
    document["client_id"] = json!("form-1");
    let (status, first) = app.post(&path, Some(&pharmacist), &document).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["result"]["status"], "needs_review");
    assert_eq!(first["result"]["unrecognised"], json!(["Zyxoflamin 20 mg"]));
    let (status, retry) = app.post(&path, Some(&pharmacist), &document).await;
    assert_eq!((status, &retry["id"]), (StatusCode::OK, &first["id"]), "a retry is stored once");
    let nurse = app.token("nurse").await;
    let (status, listed) = app.get(&path, Some(&nurse)).await;
    assert_eq!(status, StatusCode::OK);
    let screenings = listed["screenings"].as_array().unwrap();
    assert_eq!(screenings.len(), 1);
    assert_eq!(
        (screenings[0]["status"].as_str(), screenings[0]["recorded_by"].as_str()),
        (Some("needs_review"), Some("pharmacist"))
    );
    let classes: Vec<&str> = screenings[0]["result"]["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|hit| hit["class"].as_str())
        .collect();
    assert_eq!(classes, ["glucocorticoids", "antihypertensives", "psychotropic_opioids"]);
    let audit = app.audit_actions(app.patient_a).await;
    assert!(audit.iter().any(|(actor, action, _)| actor == "pharmacist" && action == "write"));
    assert!(audit.iter().any(|(actor, action, _)| actor == "nurse" && action == "read"));
}

async fn the_records_lasting_flag_brings_the_contrast_warning_the_document_forgot(app: &TestApp) {
    let mut conn = app.db.store.connection().await.unwrap();
    il2care_store::record::add_flag(&mut conn, app.patient_a, "received_interleukin_2", "first dose", 1, "nurse")
        .await
        .unwrap();
    drop(conn);
    let mut document = interactions_case();
    document["planned_contrast"] =
        json!([{"agent": "iodinated", "at": "2026-12-01T10:00:00-05:00", "description": "CT"}]);
    let physician = app.token("physician").await;
    let path = format!("/api/v1/patients/{}/screenings", app.patient_a);
    let (status, stored) = app.post(&path, Some(&physician), &document).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let contrast = stored["result"]["contrast"].as_array().unwrap();
    assert!(
        contrast.iter().any(|notice| notice["agent"] == "iodinated" && notice["level"] == "warning"),
        "{contrast:?}"
    );
    let (_, listed) = app.get(&path, Some(&physician)).await;
    assert_eq!(listed["screenings"][0]["document"]["patient"]["flags"], json!(["received_interleukin_2"]));
}

async fn a_bad_screening_document_is_refused_naming_the_field_and_stores_nothing(app: &TestApp) {
    let physician = app.token("physician").await;
    let path = format!("/api/v1/patients/{}/screenings", app.patient_a);
    let mut document = interactions_case();
    document["labs"] = json!([{"code": "creatinine", "value": 1.0, "at": "2026-11-25T07:00:00-05:00"}]);
    let (status, error) = app.post(&path, Some(&physician), &document).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error["error"]["field"].as_str().unwrap().starts_with("labs[0].value"), "{error}");
    let (status, error) = app.post(&path, Some(&physician), &json!({"regimen": "hd-iv"})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("at")));
    let (_, listed) = app.get(&path, Some(&physician)).await;
    assert!(listed["screenings"].as_array().unwrap().is_empty());
}

async fn only_physicians_and_pharmacists_screen_and_patients_do_not_read_screenings(app: &TestApp) {
    let path = format!("/api/v1/patients/{}/screenings", app.patient_a);
    for username in ["nurse", "patient_a", "admin"] {
        let token = app.token(username).await;
        assert_eq!(app.post(&path, Some(&token), &interactions_case()).await.0, StatusCode::FORBIDDEN, "{username}");
    }
    let patient = app.token("patient_a").await;
    assert_eq!(app.get(&path, Some(&patient)).await.0, StatusCode::FORBIDDEN);
    let denied = app.audit_actions(app.patient_a).await;
    assert_eq!(denied.iter().filter(|(_, action, _)| action == "denied").count(), 4, "{denied:?}");
}

/// The course gate (SCREENING §1 amendment of 2026-12-04): a screening tied to a course gates its first dose
/// until every fail is overridden and every needs_review item acknowledged by a physician, with a reason.
async fn a_physician_acknowledges_and_overrides_items_until_the_course_gate_opens(app: &TestApp) {
    let physician = app.token("physician").await;
    let course = json!({"regimen": "hd-iv", "started_at": "2026-03-06T13:00:00Z", "baseline_weight": {"value": 80, "unit": "kg"}});
    let (status, created) =
        app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &course).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let course_id = created["id"].as_i64().unwrap();
    let at = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(1)).to_string();
    // Nothing documented but the allergy: item 2 fails, every other item needs review.
    let document = json!({"at": at, "regimen": "hd-iv", "patient": {"date_of_birth": "1970-01-01"},
                          "history": {"hypersensitivity_to_aldesleukin": true}, "course_id": course_id});
    let path = format!("/api/v1/patients/{}/screenings", app.patient_a);
    let (status, screened) = app.post(&path, Some(&physician), &document).await;
    assert_eq!(status, StatusCode::CREATED, "{screened}");
    assert_eq!(screened["gate"]["first_dose_may_be_given"], false);
    assert_eq!(screened["gate"]["blockers"].as_array().unwrap().len(), 19);
    let decisions = format!("{path}/{}/decisions", screened["id"]);
    let nurse = app.token("nurse").await;
    let acknowledge = |item: u8| json!({"item": item, "kind": "acknowledge", "reason": "reviewed with the team"});
    assert_eq!(app.post(&decisions, Some(&nurse), &acknowledge(1)).await.0, StatusCode::FORBIDDEN);
    let (status, error) = app.post(&decisions, Some(&physician), &acknowledge(2)).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")),
        "a fail is overridden, not acknowledged"
    );
    let (status, error) =
        app.post(&decisions, Some(&physician), &json!({"item": 1, "kind": "override", "reason": "x"})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("kind")));
    let (status, error) =
        app.post(&decisions, Some(&physician), &json!({"item": 1, "kind": "acknowledge", "reason": " "})).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")));
    let (status, error) = app.post(&decisions, Some(&physician), &acknowledge(20)).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("item")));
    let override_2 = json!({"item": 2, "kind": "override", "reason": "mild rash only, allergist cleared"});
    let (status, answer) = app.post(&decisions, Some(&physician), &override_2).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["decision"]["by"], "physician");
    assert_eq!(answer["gate"]["blockers"].as_array().unwrap().len(), 18);
    for item in 1..=19u8 {
        if item == 2 {
            continue;
        }
        let (status, answer) = app.post(&decisions, Some(&physician), &acknowledge(item)).await;
        assert_eq!(status, StatusCode::CREATED, "{item}: {answer}");
        assert_eq!(answer["gate"]["first_dose_may_be_given"], item == 19, "{item}: {answer}");
    }
    let (_, listed) = app.get(&path, Some(&nurse)).await;
    let listed = &listed["screenings"][0];
    assert_eq!(listed["course_id"], json!(course_id));
    assert_eq!(listed["decisions"].as_array().unwrap().len(), 19);
    assert_eq!(listed["gate"]["first_dose_may_be_given"], true);
    let audit = app.audit_actions(app.patient_a).await;
    assert!(audit.iter().any(|(actor, action, _)| actor == "physician" && action == "override"), "{audit:?}");
    assert!(audit.iter().any(|(actor, action, _)| actor == "nurse" && action == "denied"), "{audit:?}");
    // A later screening of the course replaces the gate: its own items need their own decisions.
    let (_, again) = app.post(&path, Some(&physician), &document).await;
    assert_eq!(again["gate"]["first_dose_may_be_given"], false);
    let (_, course_of_other) = app
        .post(
            &path,
            Some(&physician),
            &json!({"at": at, "regimen": "hd-iv", "patient": {"date_of_birth": "1970-01-01"}, "course_id": 999999}),
        )
        .await;
    assert_eq!(course_of_other["error"]["field"], "course_id");
}

/// The `denied` audit entries of `actor`: (resource, patient).
async fn denied_entries(app: &TestApp, actor: &str) -> Vec<(String, Option<i64>)> {
    let mut conn = app.db.store.connection().await.unwrap();
    let filter = AuditFilter { actor: Some(actor.into()), action: Some("denied".into()), ..AuditFilter::default() };
    let entries = audit_entries(&mut conn, &filter, 10_000).await.unwrap();
    entries.into_iter().map(|entry| (entry.resource, entry.patient_id)).collect()
}

/// Issue 13: every write of patients and screenings (the API's and the admission and screening pages' POSTs),
/// sent by each role that may not make it, is refused (403) and leaves one `denied` audit entry naming what
/// was refused (beside the security layer's entry of the 403 itself); nothing is stored.
async fn every_refused_patient_and_screening_write_by_every_role_leaves_a_denied_entry(app: &TestApp) {
    let a = app.patient_a;
    let physician = app.token("physician").await;
    let mut document = interactions_case();
    document["client_id"] = json!("walk-1");
    let (status, screened) = app.post(&format!("/api/v1/patients/{a}/screenings"), Some(&physician), &document).await;
    assert_eq!(status, StatusCode::CREATED, "{screened}");
    let screening_id = screened["id"].as_i64().unwrap();
    let new_patient = json!({"mrn": "WALK-1", "name": "Walk Test", "date_of_birth": "1960-04-02", "sex": "female",
                             "time_zone": "UTC"});
    let decision = json!({"item": 15, "kind": "acknowledge", "reason": "reviewed"});
    let form = "application/x-www-form-urlencoded";
    let admit_form = "mrn=WALK-2&name=Walk+Test&date_of_birth=1960-04-02&sex=female&time_zone=UTC";
    let course_form =
        "regimen=hd-iv&rule_set=consensus&baseline_weight=80&baseline_weight_unit=kg&started_at=2026-12-04T08:00";
    let screening_form = "at=2026-12-04T08:00&regimen=hd-iv";
    let decision_form = "item=15&kind=acknowledge&reason=reviewed";
    let api_patients = "/api/v1/patients".to_string();
    let api_screenings = format!("/api/v1/patients/{a}/screenings");
    let api_decisions = format!("/api/v1/patients/{a}/screenings/{screening_id}/decisions");
    let page_course = format!("/patients/{a}/courses/new");
    let page_screening = format!("/patients/{a}/screening");
    let page_decisions = format!("/patients/{a}/screening/{screening_id}/decisions");
    let screenings_resource = format!("patient/{a}/screenings");
    let decisions_resource = format!("screening/{screening_id}/decisions");
    let courses_resource = format!("patient/{a}/courses");
    // (path, body, content type, refused roles, the entry's resource and patient)
    type Write<'a> = (&'a str, String, &'a str, &'a [&'a str], (&'a str, Option<i64>));
    let writes: [Write; 7] = [
        (
            &api_patients,
            new_patient.to_string(),
            "application/json",
            &["patient_a", "pharmacist", "admin"],
            ("patients", None),
        ),
        (
            &api_screenings,
            document.to_string(),
            "application/json",
            &["nurse", "patient_a", "patient_b", "admin"],
            (&screenings_resource, Some(a)),
        ),
        (
            &api_decisions,
            decision.to_string(),
            "application/json",
            &["nurse", "pharmacist", "patient_a", "admin"],
            (&decisions_resource, Some(a)),
        ),
        ("/patients/new", admit_form.into(), form, &["patient_a", "pharmacist", "admin"], ("patients", None)),
        (
            &page_course,
            course_form.into(),
            form,
            &["nurse", "pharmacist", "patient_a", "patient_b", "admin"],
            (&courses_resource, Some(a)),
        ),
        (
            &page_screening,
            screening_form.into(),
            form,
            &["nurse", "patient_a", "patient_b", "admin"],
            (&screenings_resource, Some(a)),
        ),
        (
            &page_decisions,
            decision_form.into(),
            form,
            &["nurse", "pharmacist", "patient_a", "admin"],
            (&decisions_resource, Some(a)),
        ),
    ];
    for (path, body, content_type, refused, (resource, patient)) in writes {
        for username in refused {
            let token = app.token(username).await;
            let before = denied_entries(app, username).await;
            let (status, answer) = app.send(Method::POST, path, Some(&token), content_type, &body).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{username} POST {path}: {answer}");
            let after = denied_entries(app, username).await;
            let expected = (resource.to_string(), patient);
            let count = |entries: &[(String, Option<i64>)]| entries.iter().filter(|entry| **entry == expected).count();
            assert_eq!(count(&after), count(&before) + 1, "{username} POST {path}: the entry names {expected:?}");
        }
    }
    let (_, listed) = app.get(&api_screenings, Some(&physician)).await;
    let listed = listed["screenings"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "refused screenings stored nothing");
    assert_eq!(listed[0]["decisions"], json!([]), "refused decisions stored nothing");
    let (_, patients) = app.get("/api/v1/patients", Some(&physician)).await;
    assert_eq!(patients["patients"].as_array().unwrap().len(), 2, "refused admissions stored nothing");
    let (_, courses) = app.get(&format!("/api/v1/patients/{a}/courses"), Some(&physician)).await;
    assert_eq!(courses["courses"], json!([]), "refused courses stored nothing: {courses}");
}

on_both_backends!(
    a_physician_acknowledges_and_overrides_items_until_the_course_gate_opens,
    a_pharmacist_screens_a_patient_and_the_team_reads_the_stored_result,
    the_records_lasting_flag_brings_the_contrast_warning_the_document_forgot,
    a_bad_screening_document_is_refused_naming_the_field_and_stores_nothing,
    only_physicians_and_pharmacists_screen_and_patients_do_not_read_screenings,
    every_refused_patient_and_screening_write_by_every_role_leaves_a_denied_entry,
);
