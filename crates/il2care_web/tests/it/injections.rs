//! The injection log of low-dose courses through the API, on both databases: a patient logs shots and skips,
//! a retry is stored once, a second shot for a slot is refused naming `slot`, corrections point at what they
//! correct, and the roles and the patient boundary hold (refusals audited).

use axum::http::{Method, StatusCode};
use il2care_store::administration::{AuditFilter, audit_entries};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

fn hours_ago(hours: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours)).to_string()
}

/// Starts a Saadoun low-dose course for `patient_id` 50 hours ago: slots 1 to 3 are 50, 26 and 2 hours ago.
async fn low_dose_course(app: &TestApp, patient_id: i64) -> i64 {
    let physician = app.token("physician").await;
    let body = json!({"regimen": "saadoun-2011-sc", "started_at": hours_ago(50)});
    let (status, course) = app.post(&format!("/api/v1/patients/{patient_id}/courses"), Some(&physician), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    let id = course["id"].as_i64().unwrap();
    // The first shot given passes the screening gate (issue 16): these tests are about the log.
    crate::support::open_screening_gate(app, patient_id, id).await;
    id
}

fn shot(course_id: i64, slot: u32, client_id: &str) -> Value {
    json!({"course_id": course_id, "status": "given", "at": hours_ago(1), "slot": slot, "site": "abdomen_left",
           "note": "a little sore", "client_id": client_id})
}

async fn a_patient_logs_shots_and_skips_and_a_retry_is_stored_once(app: &TestApp) {
    let course_id = low_dose_course(app, app.patient_a).await;
    let patient = app.token("patient_a").await;
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    let (status, first) = app.post(&path, Some(&patient), &shot(course_id, 3, "phone-1")).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    assert_eq!(first["entry"]["dose_level"], "1.5-miu", "the slot's dose level is recorded with the shot");
    let (status, retry) = app.post(&path, Some(&patient), &shot(course_id, 3, "phone-1")).await;
    assert_eq!((status, &retry["id"]), (StatusCode::OK, &first["id"]), "{retry}");
    let skipped = json!({"course_id": course_id, "status": "skipped", "at": hours_ago(20), "slot": 2,
                         "skip_reason": "fever, called the clinic"});
    assert_eq!(app.post(&path, Some(&patient), &skipped).await.0, StatusCode::CREATED);
    let (status, listed) = app.get(&path, Some(&patient)).await;
    assert_eq!(status, StatusCode::OK);
    let entries = listed["injections"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{listed}");
    assert_eq!((entries[0]["status"].as_str(), entries[0]["slot"].as_i64()), (Some("skipped"), Some(2)));
    assert_eq!(entries[1]["site"], "abdomen_left");
    let nurse = app.token("nurse").await;
    assert_eq!(app.get(&path, Some(&nurse)).await.0, StatusCode::OK);
    let pharmacist = app.token("pharmacist").await;
    assert_eq!(app.get(&path, Some(&pharmacist)).await.0, StatusCode::OK, "the pharmacist reads the log");
    let audit = app.audit_actions(app.patient_a).await;
    assert!(audit.iter().filter(|(actor, action, _)| actor == "patient_a" && action == "write").count() >= 2);
    assert!(audit.iter().any(|(actor, action, _)| actor == "pharmacist" && action == "read"));
}

async fn a_second_shot_for_the_same_slot_is_refused_naming_the_slot(app: &TestApp) {
    let course_id = low_dose_course(app, app.patient_a).await;
    let patient = app.token("patient_a").await;
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    let (_, first) = app.post(&path, Some(&patient), &shot(course_id, 3, "phone-1")).await;
    let (status, error) = app.post(&path, Some(&patient), &shot(course_id, 3, "phone-2")).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("slot")));
    assert!(error["error"]["message"].as_str().unwrap().contains("never two shots to catch up"), "{error}");
    let nurse = app.token("nurse").await;
    let mut catch_up = shot(course_id, 3, "nurse-1");
    catch_up["site"] = json!("thigh_right");
    assert_eq!(app.post(&path, Some(&nurse), &catch_up).await.0, StatusCode::UNPROCESSABLE_ENTITY, "nor for staff");
    // A wrong site is corrected by a new entry that points at the first; the first stays in the record.
    let mut correction = shot(course_id, 3, "phone-3");
    correction["site"] = json!("thigh_left");
    correction["corrects_id"] = first["id"].clone();
    assert_eq!(app.post(&path, Some(&patient), &correction).await.0, StatusCode::CREATED);
    let (_, listed) = app.get(&path, Some(&patient)).await;
    let stands: Vec<(bool, &str)> = listed["injections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| (entry["stands"].as_bool().unwrap(), entry["site"].as_str().unwrap()))
        .collect();
    assert_eq!(stands, [(false, "abdomen_left"), (true, "thigh_left")]);
    let (_, after) = app.get(&path, Some(&patient)).await;
    assert_eq!(after["injections"].as_array().unwrap().len(), 2, "refusals stored nothing");
}

async fn high_dose_courses_and_bad_documents_are_refused_with_the_field_and_store_nothing(app: &TestApp) {
    let physician = app.token("physician").await;
    let body = json!({"regimen": "hd-iv", "started_at": hours_ago(10), "baseline_weight": {"value": 80, "unit": "kg"}});
    let (_, course) = app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &body).await;
    let patient = app.token("patient_a").await;
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    let course_id = course["id"].as_i64().unwrap();
    let (status, error) = app.post(&path, Some(&patient), &shot(course_id, 1, "p-1")).await;
    assert_eq!((status, error["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("course_id")));
    let low = low_dose_course(app, app.patient_a).await;
    let mut future = shot(low, 1, "p-2");
    future["at"] = json!((jiff::Timestamp::now() + jiff::SignedDuration::from_hours(2)).to_string());
    assert_eq!(app.post(&path, Some(&patient), &future).await.1["error"]["field"], "at");
    let mut no_site = shot(low, 1, "p-3");
    no_site.as_object_mut().unwrap().remove("site");
    assert_eq!(app.post(&path, Some(&patient), &no_site).await.1["error"]["field"], "site");
    assert_eq!(app.post(&path, Some(&patient), &shot(low, 99, "p-4")).await.1["error"]["field"], "slot");
    let (_, listed) = app.get(&path, Some(&patient)).await;
    assert!(listed["injections"].as_array().unwrap().is_empty());
}

async fn only_the_patient_and_the_bedside_team_write_the_log_and_refusals_are_audited(app: &TestApp) {
    let course_id = low_dose_course(app, app.patient_a).await;
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    let patient_b = app.token("patient_b").await;
    assert_eq!(app.post(&path, Some(&patient_b), &shot(course_id, 1, "b-1")).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&path, Some(&patient_b)).await.0, StatusCode::FORBIDDEN);
    let pharmacist = app.token("pharmacist").await;
    assert_eq!(app.post(&path, Some(&pharmacist), &shot(course_id, 1, "ph-1")).await.0, StatusCode::FORBIDDEN);
    let admin = app.token("admin").await;
    assert_eq!(app.get(&path, Some(&admin)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&path, None).await.0, StatusCode::UNAUTHORIZED);
    let nurse = app.token("nurse").await;
    assert_eq!(app.post(&path, Some(&nurse), &shot(course_id, 1, "n-1")).await.0, StatusCode::CREATED);
    let denied = app.audit_actions(app.patient_a).await;
    for actor in ["patient_b", "pharmacist", "admin"] {
        assert!(denied.iter().any(|(who, action, _)| who == actor && action == "denied"), "{actor}: {denied:?}");
    }
}

/// The log in FHIR: each standing entry is a community, subcutaneous MedicationAdministration (a skip is
/// not-done with its reason) that fhir.resources validates. Imported again (the Bundle's course becomes a new
/// course), each entry goes through the log's own rules into the injection log, never a high-dose infusion.
async fn logged_injections_are_exported_as_administrations_and_not_imported_as_infusions(app: &TestApp) {
    let course_id = low_dose_course(app, app.patient_a).await;
    let patient = app.token("patient_a").await;
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    assert_eq!(app.post(&path, Some(&patient), &shot(course_id, 3, "phone-1")).await.0, StatusCode::CREATED);
    let skipped = json!({"course_id": course_id, "status": "skipped", "at": hours_ago(20), "slot": 2,
                         "skip_reason": "fever, called the clinic"});
    assert_eq!(app.post(&path, Some(&patient), &skipped).await.0, StatusCode::CREATED);
    let nurse = app.token("nurse").await;
    let (status, bundle) = app.get(&format!("/fhir/Patient/{}/$everything", app.patient_a), Some(&nurse)).await;
    assert_eq!(status, StatusCode::OK, "{bundle}");
    crate::fhir::validate_with_fhir_resources(&bundle, "injections");
    let administrations: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| &entry["resource"])
        .filter(|resource| resource["resourceType"] == "MedicationAdministration")
        .collect();
    let statuses: Vec<(&str, &str)> = administrations
        .iter()
        .map(|resource| {
            (resource["status"].as_str().unwrap(), resource["category"]["coding"][0]["code"].as_str().unwrap())
        })
        .collect();
    assert_eq!(statuses.len(), 2, "{administrations:?}");
    assert!(statuses.contains(&("completed", "community")) && statuses.contains(&("not-done", "community")));
    let skip = administrations.iter().find(|resource| resource["status"] == "not-done").unwrap();
    assert_eq!(skip["statusReason"][0]["text"], "fever, called the clinic");
    // Back in, into the same record: everything is matched on its identifiers (patient by MRN, course by
    // regimen and start, each shot by course, slot, time and status) and nothing changes.
    let mut collection = bundle.clone();
    collection["type"] = json!("collection");
    collection.as_object_mut().unwrap().remove("total");
    for entry in collection["entry"].as_array_mut().unwrap() {
        entry.as_object_mut().unwrap().remove("search");
    }
    let physician = app.token("physician").await;
    let (_, outcome) = app.post("/fhir", Some(&physician), &collection).await;
    let notes = |outcome: &Value, prefix: &str| -> usize {
        outcome["issue"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|issue| issue["diagnostics"].as_str())
            .filter(|text| text.starts_with(prefix))
            .count()
    };
    assert_eq!(notes(&outcome, "already in the record as MedicationAdministration/injection-"), 2, "{outcome}");
    assert_eq!(notes(&outcome, "stored as"), 0, "{outcome}");
    let (_, listed) = app.get(&path, Some(&nurse)).await;
    assert_eq!(listed["injections"].as_array().unwrap().len(), 2, "{listed}");
    // Into an empty database: the course is stored and the two entries go into its log, with their slots,
    // levels, site and reasons; no dose event is made of them.
    let empty = match app.db.store.backend() {
        il2care_store::Backend::Sqlite => il2care_store::testing::TestDb::sqlite().await,
        il2care_store::Backend::Postgres => il2care_store::testing::TestDb::postgres().await,
    };
    let state = il2care_web::AppState::new(empty.store.clone());
    let by = il2care_app::Actor {
        username: "importer".into(),
        role: il2care_app::access::Role::Physician,
        patient_id: None,
        remote: "test".into(),
    };
    let imported = il2care_web::fhir::import_text(&state, &collection.to_string(), &by, true).await.unwrap();
    assert_eq!(notes(&imported.body, "stored as MedicationAdministration/injection-"), 2, "{}", imported.body);
    let mut conn = empty.store.connection().await.unwrap();
    let patients = il2care_store::record::patients(&mut conn).await.unwrap();
    let entries = il2care_store::record::injections(&mut conn, patients[0].id).await.unwrap();
    let copied: Vec<(&str, Option<i64>, Option<&str>)> = entries
        .iter()
        .map(|entry| (entry.status.as_str(), entry.slot_number, entry.site.as_deref().or(entry.skip_reason.as_deref())))
        .collect();
    assert_eq!(copied.len(), 2, "{copied:?}");
    assert!(copied.contains(&("given", Some(3), Some("abdomen_left"))), "{copied:?}");
    assert!(copied.contains(&("skipped", Some(2), Some("fever, called the clinic"))), "{copied:?}");
    for course in il2care_store::record::courses(&mut conn, patients[0].id).await.unwrap() {
        let events = il2care_store::record::dose_events(&mut conn, course.id).await.unwrap();
        assert!(events.is_empty(), "no infusion was made of a shot: {events:?}");
    }
    drop(conn);
    empty.drop().await;
}

/// A shot given at home is a dose of interleukin-2: the first sets the lasting flag (a skip does not), and the
/// CDS contrast card counts its 14 days from the last shot, seen on the very next chart open.
async fn a_given_shot_sets_the_interleukin_2_flag_and_dates_the_contrast_card(app: &TestApp) {
    let course_id = low_dose_course(app, app.patient_a).await;
    let patient = app.token("patient_a").await;
    let nurse = app.token("nurse").await;
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    let view = || async {
        let request = json!({"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "hook": "patient-view",
            "context": {"userId": "Practitioner/example", "patientId": "1288992"},
            "prefetch": {"patient": {"resourceType": "Patient", "id": "1288992",
                                     "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": "A-1"}],
                                     "birthDate": "1970-01-01"}}});
        let (status, answer) = app.post("/cds-services/il2care-patient-view", Some(&nurse), &request).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["cards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|card| card["summary"].as_str().unwrap().contains("contrast"))
            .cloned()
    };
    let flags = || async {
        let (_, shown) = app.get(&format!("/api/v1/patients/{}", app.patient_a), Some(&nurse)).await;
        shown["flags"].clone()
    };
    let skipped = json!({"course_id": course_id, "status": "skipped", "at": hours_ago(20), "slot": 2,
                         "skip_reason": "fever"});
    assert_eq!(app.post(&path, Some(&patient), &skipped).await.0, StatusCode::CREATED);
    assert_eq!(flags().await, json!([]), "a skipped shot is no dose");
    assert!(view().await.is_none(), "no contrast card before any dose");
    assert_eq!(app.post(&path, Some(&patient), &shot(course_id, 3, "phone-1")).await.0, StatusCode::CREATED);
    assert_eq!(flags().await, json!(["received_interleukin_2"]));
    let card = view().await.expect("the contrast card after the first shot");
    assert_eq!(card["indicator"], "warning", "within 14 days of the shot: {card}");
}

/// The `denied` audit entries of `actor`: (resource, patient).
async fn denied_entries(app: &TestApp, actor: &str) -> Vec<(String, Option<i64>)> {
    let mut conn = app.db.store.connection().await.unwrap();
    let filter = AuditFilter { actor: Some(actor.into()), action: Some("denied".into()), ..AuditFilter::default() };
    let entries = audit_entries(&mut conn, &filter, 10_000).await.unwrap();
    entries.into_iter().map(|entry| (entry.resource, entry.patient_id)).collect()
}

/// How many of `entries` are `expected`.
fn count(entries: &[(String, Option<i64>)], expected: &(String, Option<i64>)) -> usize {
    entries.iter().filter(|entry| *entry == expected).count()
}

/// Every write of the injection log refused to a role that may not make it leaves a `denied` audit entry naming
/// what was refused (besides the service's entry of the 403 itself), and stores nothing: the API for another patient, the pharmacist and the admin; the
/// patient's page `/me/injections` for every staff role.
async fn every_refused_injection_write_by_every_role_is_audited_and_stores_nothing(app: &TestApp) {
    let course_id = low_dose_course(app, app.patient_a).await;
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    let resource = format!("patient/{}/injections", app.patient_a);
    for username in ["patient_b", "pharmacist", "admin"] {
        let token = app.token(username).await;
        let before = denied_entries(app, username).await;
        let (status, answer) = app.post(&path, Some(&token), &shot(course_id, 1, username)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{username}: {answer}");
        let after = denied_entries(app, username).await;
        let expected = (resource.clone(), Some(app.patient_a));
        assert_eq!(count(&after, &expected), count(&before, &expected) + 1, "{username}: names the log: {after:?}");
    }
    let form = format!("course_id={course_id}&slot=1&status=given&site=abdomen_left");
    for username in ["nurse", "physician", "pharmacist", "admin"] {
        let token = app.token(username).await;
        let before = denied_entries(app, username).await;
        let content_type = "application/x-www-form-urlencoded";
        let (status, _) = app.send(Method::POST, "/me/injections", Some(&token), content_type, &form).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{username}: the patient's page is the patient's");
        let after = denied_entries(app, username).await;
        let expected = ("me/injections".to_string(), None);
        assert_eq!(count(&after, &expected), count(&before, &expected) + 1, "{username}: names the page: {after:?}");
    }
    let nurse = app.token("nurse").await;
    let (_, listed) = app.get(&path, Some(&nurse)).await;
    assert_eq!(listed["injections"], json!([]), "refused writes stored nothing");
}

on_both_backends!(
    a_given_shot_sets_the_interleukin_2_flag_and_dates_the_contrast_card,
    logged_injections_are_exported_as_administrations_and_not_imported_as_infusions,
    a_patient_logs_shots_and_skips_and_a_retry_is_stored_once,
    a_second_shot_for_the_same_slot_is_refused_naming_the_slot,
    high_dose_courses_and_bad_documents_are_refused_with_the_field_and_store_nothing,
    only_the_patient_and_the_bedside_team_write_the_log_and_refusals_are_audited,
    every_refused_injection_write_by_every_role_is_audited_and_stores_nothing,
);
