//! Issue 16 on both databases: the screening entered in the form (stored by the API's function, refused forms
//! back filled in with the field named, more medication rows without script), a physician's acknowledgements
//! and overrides from the page until the first dose is allowed, and the first low-dose shot gated like the
//! first high-dose dose (a patient at home is told to call the team).

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::on_both_backends;
use crate::support::TestApp;

struct Page {
    status: StatusCode,
    location: String,
    text: String,
}

/// A course of patient A without a dosing weight, started `hours` ago.
async fn course_without_weight(app: &TestApp, regimen: &str, hours: i64) -> i64 {
    let physician = app.token("physician").await;
    let body = json!({"regimen": regimen, "started_at": ago(hours * 60)});
    let (status, course) =
        app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    course["id"].as_i64().unwrap()
}

async fn request(app: &TestApp, method: Method, path: &str, token: &str, form: &str) -> Page {
    let mut builder =
        Request::builder().method(method).uri(path).header(header::COOKIE, format!("il2care_session={token}"));
    if !form.is_empty() {
        builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let response = app.router.clone().oneshot(builder.body(Body::from(form.to_string())).unwrap()).await.unwrap();
    let status = response.status();
    let location =
        response.headers().get(header::LOCATION).and_then(|value| value.to_str().ok()).unwrap_or("").to_string();
    let bytes = axum::body::to_bytes(response.into_body(), 10 * 1024 * 1024).await.unwrap();
    Page { status, location, text: String::from_utf8_lossy(&bytes).into_owned() }
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{}={}", urlencoding(key), urlencoding(value)))
        .collect::<Vec<_>>()
        .join("&")
}

fn urlencoding(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn ago(minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes)).to_string()
}

async fn course(app: &TestApp, regimen: &str, hours: i64) -> i64 {
    let physician = app.token("physician").await;
    let body =
        json!({"regimen": regimen, "started_at": ago(hours * 60), "baseline_weight": {"value": 80, "unit": "kg"}});
    let (status, course) =
        app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    course["id"].as_i64().unwrap()
}

async fn screenings(app: &TestApp) -> Vec<Value> {
    let physician = app.token("physician").await;
    let (status, listed) = app.get(&format!("/api/v1/patients/{}/screenings", app.patient_a), Some(&physician)).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    listed["screenings"].as_array().unwrap().clone()
}

/// A screening with nothing documented but an organ allograft: items need review, item 8 fails.
fn allograft_form(course_id: i64) -> Vec<(&'static str, String)> {
    vec![
        ("regimen", "hd-iv".into()),
        ("course_id", course_id.to_string()),
        ("client_id", "form-1".into()),
        ("history.organ_allograft", "yes".into()),
        ("labs.at", "2026-12-01T07:00".into()),
        ("labs.potassium.value", "6.5".into()),
        ("labs.potassium.unit", "mmol/L".into()),
        ("medications.0.name", "prednisone".into()),
        ("medications.0.route", "oral".into()),
        ("medications.0.daily_dose.value", "5".into()),
        ("medications.0.daily_dose.unit", "mg".into()),
        ("medications.0.purpose", "adrenal_replacement".into()),
        ("medications.1.name", "".into()),
        ("action", "screen".into()),
    ]
}

fn encoded(pairs: &[(&'static str, String)]) -> String {
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(key, value)| (*key, value.as_str())).collect();
    form(&borrowed)
}

async fn a_screening_entered_in_the_form_is_decided_item_by_item_until_the_first_dose_is_allowed(app: &TestApp) {
    let course_id = course(app, "hd-iv", 1).await;
    let pharmacist = app.token("pharmacist").await;
    let physician = app.token("physician").await;
    let path = format!("/patients/{}/screening", app.patient_a);
    let empty = request(app, Method::GET, &path, &pharmacist, "").await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.text.contains("First dose blocked"), "no screening: blocked");
    assert!(empty.text.contains("Valid for: 3 months"), "each item shows its window");
    // A lab value without its unit: the form comes back filled in, the field in words, nothing stored.
    let mut bare = allograft_form(course_id);
    bare.retain(|(key, _)| *key != "labs.potassium.unit");
    let refused = request(app, Method::POST, &path, &pharmacist, &encoded(&bare)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("please check Potassium (its unit)"), "{}", refused.text);
    assert!(refused.text.contains("value=\"prednisone\""), "the entries are kept");
    assert!(screenings(app).await.is_empty(), "nothing of a refused form is stored");
    // The wire crate's refusal is shown at the row it came from.
    let mut wrong_route = allograft_form(course_id);
    wrong_route.push(("medications.3.name", "aspirin".into()));
    wrong_route.push(("medications.3.daily_dose.value", "0".into()));
    wrong_route.push(("medications.3.daily_dose.unit", "mg".into()));
    let refused = request(app, Method::POST, &path, &pharmacist, &encoded(&wrong_route)).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.text);
    assert!(refused.text.contains("medication row 4"), "{}", refused.text);
    // The form stored by the API's function, tied to the course.
    let stored = request(app, Method::POST, &path, &pharmacist, &encoded(&allograft_form(course_id))).await;
    assert_eq!(stored.status, StatusCode::SEE_OTHER, "{}", stored.text);
    let listed = screenings(app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["course_id"], course_id);
    assert_eq!(listed[0]["recorded_by"], "pharmacist");
    assert_eq!(listed[0]["document"]["medications"][0]["purpose"], "adrenal_replacement");
    assert_eq!(listed[0]["gate"]["first_dose_may_be_given"], false);
    let screening_id = listed[0]["id"].as_i64().unwrap();
    let items = listed[0]["result"]["items"].as_array().unwrap().clone();
    let result = |number: i64| items.iter().find(|item| item["number"] == number).unwrap()["result"].clone();
    assert_eq!(result(8), "fail");
    assert_eq!(result(5), "needs_review", "potassium 6.5 mmol/L without a range needs review");
    let page = request(app, Method::GET, &path, &physician, "").await;
    assert!(page.text.contains("Organ allograft") && page.text.contains("LABEL-OLD"), "title and source shown");
    assert!(page.text.contains("Acknowledge item 5"), "a physician is offered the acknowledgement");
    let decisions = format!("/patients/{}/screening/{screening_id}/decisions", app.patient_a);
    // A pharmacist may not decide; a decision without a reason is refused.
    let denied = request(
        app,
        Method::POST,
        &decisions,
        &pharmacist,
        &form(&[("item", "8"), ("kind", "override"), ("reason", "x")]),
    )
    .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let no_reason = request(
        app,
        Method::POST,
        &decisions,
        &physician,
        &form(&[("item", "8"), ("kind", "override"), ("reason", " ")]),
    )
    .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_reason.text.contains("Not recorded"), "{}", no_reason.text);
    let wrong_kind = request(
        app,
        Method::POST,
        &decisions,
        &physician,
        &form(&[("item", "8"), ("kind", "acknowledge"), ("reason", "ok")]),
    )
    .await;
    assert_eq!(wrong_kind.status, StatusCode::UNPROCESSABLE_ENTITY, "a fail is overridden, not acknowledged");
    for item in &items {
        let kind = match item["result"].as_str() {
            Some("needs_review") => "acknowledge",
            Some("fail") => "override",
            _ => continue,
        };
        let number = item["number"].to_string();
        let answer = request(
            app,
            Method::POST,
            &decisions,
            &physician,
            &form(&[("item", &number), ("kind", kind), ("reason", "reviewed with the team")]),
        )
        .await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "item {number}: {}", answer.text);
    }
    let listed = screenings(app).await;
    assert_eq!(listed[0]["gate"]["first_dose_may_be_given"], true, "{}", listed[0]["gate"]);
    let course_page = request(app, Method::GET, &format!("/patients/{}", app.patient_a), &physician, "").await;
    assert!(course_page.text.contains("First dose allowed"), "the course page shows the gate");
    assert!(course_page.text.contains("Overridden item 8"), "and who decided what");
    let audit = app.audit_actions(app.patient_a).await;
    assert!(audit.iter().any(|(actor, action, _)| actor == "physician" && action == "override"));
    assert!(audit.iter().any(|(actor, action, _)| actor == "physician" && action == "acknowledge"));
    assert!(audit.iter().any(|(actor, action, _)| actor == "pharmacist" && action == "denied"));
}

async fn more_medication_rows_come_back_with_the_entries_kept_and_nothing_stored(app: &TestApp) {
    let course_id = course(app, "hd-iv", 1).await;
    let pharmacist = app.token("pharmacist").await;
    let path = format!("/patients/{}/screening", app.patient_a);
    let mut pairs = allograft_form(course_id);
    pairs.retain(|(key, _)| *key != "action");
    pairs.push(("action", "more_rows".into()));
    let page = request(app, Method::POST, &path, &pharmacist, &encoded(&pairs)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("name=\"medications.9.name\""), "ten rows after one click");
    assert!(!page.text.contains("name=\"medications.10.name\""));
    assert!(page.text.contains("value=\"prednisone\""));
    assert!(screenings(app).await.is_empty());
    let nurse = app.token("nurse").await;
    let denied = request(app, Method::POST, &path, &nurse, &encoded(&allograft_form(course_id))).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "a nurse reads the screening, does not enter one");
    let patient = app.token("patient_a").await;
    assert_eq!(request(app, Method::GET, &path, &patient, "").await.status, StatusCode::FORBIDDEN);
}

fn shot(course_id: i64, status: &str, slot: u32) -> Value {
    let mut body = json!({"course_id": course_id, "status": status, "at": ago(60), "slot": slot});
    if status == "given" {
        body["site"] = json!("abdomen_left");
    } else {
        body["skip_reason"] = json!("felt unwell");
    }
    body
}

async fn the_first_low_dose_shot_waits_for_the_screening_review(app: &TestApp) {
    // Saadoun: slots 1 to 3 are 50, 26 and 2 hours after the start.
    let course_id = course(app, "saadoun-2011-sc", 50).await;
    let path = format!("/api/v1/patients/{}/injections", app.patient_a);
    let patient = app.token("patient_a").await;
    let nurse = app.token("nurse").await;
    let (status, refused) = app.post(&path, Some(&patient), &shot(course_id, "given", 3)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["error"]["field"], "course_id", "{refused}");
    let words = refused.to_string();
    assert!(words.contains("safety check") && words.contains("Call"), "the patient is told to call: {words}");
    let (status, refused) = app.post(&path, Some(&nurse), &shot(course_id, "given", 3)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.to_string().contains("a screening review is needed"), "{refused}");
    // A skipped shot is not a dose given: it is logged.
    let (status, skipped) = app.post(&path, Some(&patient), &shot(course_id, "skipped", 1)).await;
    assert_eq!(status, StatusCode::CREATED, "{skipped}");
    // The patient's page shows the refusal in the patient's words.
    let form_text =
        form(&[("course_id", &course_id.to_string()), ("status", "given"), ("slot", "3"), ("site", "abdomen_left")]);
    let page = request(app, Method::POST, "/me/injections", &patient, &form_text).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text.contains("safety check"), "{}", page.text);
    crate::support::open_screening_gate(app, app.patient_a, course_id).await;
    let (status, given) = app.post(&path, Some(&patient), &shot(course_id, "given", 3)).await;
    assert_eq!(status, StatusCode::CREATED, "{given}");
}

async fn a_missing_weight_is_entered_at_the_desk_and_feeds_the_working(app: &TestApp) {
    let course_id = course_without_weight(app, "hd-iv", 1).await;
    let pharmacist = app.token("pharmacist").await;
    let nurse = app.token("nurse").await;
    let desk = request(app, Method::GET, "/pharmacy", &pharmacist, "").await;
    assert_eq!(desk.status, StatusCode::OK);
    assert!(desk.text.contains("Cannot calculate"), "no weight: no dose");
    assert!(
        desk.text.contains(&format!("/pharmacy/courses/{course_id}/measurements")),
        "the form is where it is needed"
    );
    let path = format!("/pharmacy/courses/{course_id}/measurements");
    let patient = app.patient_a.to_string();
    // A bare number, an implausible weight and a nurse are refused; nothing stored.
    let bare = request(
        app,
        Method::POST,
        &path,
        &pharmacist,
        &form(&[("patient_id", &patient), ("code", "weight"), ("value", "84")]),
    )
    .await;
    assert_eq!(bare.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bare.text.contains("without a unit"), "{}", bare.text);
    assert!(bare.text.contains("value=\"84\""), "the form comes back filled in");
    let heavy = request(
        app,
        Method::POST,
        &path,
        &pharmacist,
        &form(&[("patient_id", &patient), ("code", "weight"), ("value", "251"), ("unit", "kg")]),
    )
    .await;
    assert_eq!(heavy.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(heavy.text.contains("outside the dosing limits"), "{}", heavy.text);
    let api = format!("/api/v1/patients/{}/courses/{course_id}/measurements", app.patient_a);
    let (status, _) =
        app.post(&api, Some(&nurse), &json!({"code": "weight", "value": {"value": 84, "unit": "kg"}})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a nurse does not enter the dosing weight");
    let (status, refused) =
        app.post(&api, Some(&pharmacist), &json!({"code": "height", "value": {"value": 99, "unit": "cm"}})).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("value")));
    let saved = request(
        app,
        Method::POST,
        &path,
        &pharmacist,
        &form(&[("patient_id", &patient), ("code", "weight"), ("value", "84"), ("unit", "kg")]),
    )
    .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.text);
    let desk = request(app, Method::GET, "/pharmacy", &pharmacist, "").await;
    assert!(desk.text.contains("50,400,000 IU (50.4 MIU)"), "the entered weight feeds the working");
    assert!(desk.text.contains("2.8 mL") && desk.text.contains("3.108 mg"));
    assert!(desk.text.contains("entered at the desk by pharmacist"));
    assert!(!desk.text.contains("[iU]"), "no UCUM code for people");
    let audit = app.audit_actions(app.patient_a).await;
    assert!(audit.iter().any(|(actor, action, outcome)| actor == "pharmacist" && action == "write" && outcome == "ok"));
    assert!(audit.iter().any(|(actor, action, _)| actor == "nurse" && action == "denied"));
}

async fn a_pharmacist_verifies_a_prepared_dose_and_the_nurse_sees_who_and_which_lot(app: &TestApp) {
    let course_id = course(app, "hd-iv", 1).await;
    let pharmacist = app.token("pharmacist").await;
    let nurse = app.token("nurse").await;
    let api = format!("/api/v1/patients/{}/courses/{course_id}/verifications", app.patient_a);
    let (status, refused) = app.post(&api, Some(&pharmacist), &json!({"lot_expires_on": "2099-01-01"})).await;
    assert_eq!((status, refused["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("lot")));
    let (status, refused) =
        app.post(&api, Some(&pharmacist), &json!({"lot": "L1", "lot_expires_on": "2020-01-01"})).await;
    assert_eq!(
        (status, refused["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("lot_expires_on"))
    );
    let (status, _) = app.post(&api, Some(&nurse), &json!({"lot": "L1", "lot_expires_on": "2099-01-01"})).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "only a pharmacist signs off");
    let (status, listed) = app.get(&api, Some(&nurse)).await;
    assert_eq!(
        (status, listed["verifications"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0)),
        "nothing refused is stored"
    );
    // The desk form: verified, then the label.
    let path = format!("/pharmacy/courses/{course_id}/verifications");
    let patient = app.patient_a.to_string();
    let back = request(
        app,
        Method::POST,
        &path,
        &pharmacist,
        &form(&[("patient_id", &patient), ("lot", "AB123"), ("lot_expires_on", "2020-01-01")]),
    )
    .await;
    assert_eq!(back.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        back.text.contains("the lot expired on 2020-01-01") && back.text.contains("value=\"AB123\""),
        "{}",
        back.text
    );
    let signed = request(
        app,
        Method::POST,
        &path,
        &pharmacist,
        &form(&[("patient_id", &patient), ("lot", "AB123"), ("lot_expires_on", "2099-06-30"), ("slot", "1")]),
    )
    .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER, "{}", signed.text);
    assert!(signed.location.starts_with("/pharmacy/verifications/") && signed.location.ends_with("/label"));
    let label = request(app, Method::GET, &signed.location, &nurse, "").await;
    assert_eq!(label.status, StatusCode::OK);
    for shown in [
        "Aldesleukin",
        "MRN",
        "48,000,000 IU (48 MIU)",
        "2.67 mL",
        "50 mL 5% dextrose",
        "µg/mL",
        "Prepared at",
        "Expires at",
        "AB123",
        "@media print",
    ] {
        assert!(label.text.contains(shown), "the label shows {shown}");
    }
    let (_, listed) = app.get(&api, Some(&nurse)).await;
    let verification = &listed["verifications"][0];
    assert_eq!(
        (verification["lot"].as_str(), verification["verified_by"].as_str()),
        (Some("AB123"), Some("pharmacist"))
    );
    assert_eq!(verification["dose"], json!({"value": 48000000, "unit": "[iU]"}));
    let prepared: jiff::Timestamp = verification["prepared_at"].as_str().unwrap().parse().unwrap();
    let expires: jiff::Timestamp = verification["expires_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(expires.duration_since(prepared), jiff::SignedDuration::from_hours(48), "expires = prepared + 48 h");
    let course_page = request(app, Method::GET, &format!("/patients/{}", app.patient_a), &nurse, "").await;
    assert!(
        course_page.text.contains("Verified by pharmacist") && course_page.text.contains("lot AB123"),
        "the nurse sees the sign-off"
    );
    let audit = app.audit_actions(app.patient_a).await;
    assert!(audit.iter().any(|(actor, action, _)| actor == "pharmacist" && action == "verify"));
    assert!(audit.iter().any(|(actor, action, _)| actor == "nurse" && action == "denied"));
}

on_both_backends!(
    a_missing_weight_is_entered_at_the_desk_and_feeds_the_working,
    a_pharmacist_verifies_a_prepared_dose_and_the_nurse_sees_who_and_which_lot,
    a_screening_entered_in_the_form_is_decided_item_by_item_until_the_first_dose_is_allowed,
    more_medication_rows_come_back_with_the_entries_kept_and_nothing_stored,
    the_first_low_dose_shot_waits_for_the_screening_review,
);
