//! The ward's pages of issue 14 on both databases: the course page's charts (only what the course records, the
//! active rule set's bands, urine per shift, the ward's clock, no negative axis), the dose form's co-signature
//! for giving against `discontinue_permanently` (refused forms come back filled in, the field marked, never the
//! password), the rule catalogue and the links to it from every decision reason, and the worklist's time since
//! the last vital signs and override mark.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use il2care_store::accounts::{self, NewUser};
use serde_json::json;
use tower::ServiceExt;

use crate::on_both_backends;
use crate::support::{PASSWORD, TestApp};

struct Page {
    status: StatusCode,
    location: String,
    text: String,
}

async fn request(router: &axum::Router, method: Method, path: &str, token: &str, form: &str) -> Page {
    let mut builder =
        Request::builder().method(method).uri(path).header(header::COOKIE, format!("il2care_session={token}"));
    if !form.is_empty() {
        builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let response = router.clone().oneshot(builder.body(Body::from(form.to_string())).unwrap()).await.unwrap();
    let status = response.status();
    let location =
        response.headers().get(header::LOCATION).and_then(|value| value.to_str().ok()).unwrap_or("").to_string();
    let bytes = axum::body::to_bytes(response.into_body(), 10 * 1024 * 1024).await.unwrap();
    Page { status, location, text: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get(app: &TestApp, path: &str, token: &str) -> Page {
    request(&app.router, Method::GET, path, token, "").await
}

async fn post(app: &TestApp, path: &str, token: &str, form: &str) -> Page {
    request(&app.router, Method::POST, path, token, form).await
}

fn ago(minutes: i64) -> String {
    (jiff::Timestamp::now() - jiff::SignedDuration::from_mins(minutes)).to_string()
}

/// A high-dose course of patient A under `rule_set`, started `hours` ago, screening gate open.
async fn course(app: &TestApp, rule_set: &str, hours: i64) -> i64 {
    let physician = app.token("physician").await;
    let body = json!({"regimen": "hd-iv", "rule_set": rule_set, "started_at": ago(hours * 60),
                      "baseline_weight": {"value": 80, "unit": "kg"}});
    let (status, course) =
        app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    let id = course["id"].as_i64().unwrap();
    crate::support::open_screening_gate(app, app.patient_a, id).await;
    id
}

/// The value of a hidden field of the page (`name="slot" value="3"`).
fn hidden(text: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = text.find(&marker).unwrap_or_else(|| panic!("no field {name}")) + marker.len();
    text[start..].split('"').next().unwrap().to_string()
}

async fn the_charts_show_what_the_course_records_with_the_rule_sets_bands(app: &TestApp) {
    let course_id = course(app, "consensus", 10).await;
    let nurse = app.token("nurse").await;
    let observations = json!({"observations": [
        {"code": "systolic_bp", "value": {"value": 86, "unit": "mm[Hg]"}, "at": ago(300)},
        {"code": "systolic_bp", "value": {"value": 112, "unit": "mm[Hg]"}, "at": ago(60)},
        {"code": "heart_rate", "value": {"value": 104, "unit": "/min"}, "at": ago(60)},
        {"code": "spo2", "value": {"value": 95, "unit": "%"}, "at": ago(60)},
        {"code": "respiratory_rate", "value": {"value": 18, "unit": "/min"}, "at": ago(60)},
        {"code": "urine_output", "value": {"value": 120, "unit": "mL"}, "start": ago(480), "end": ago(240)},
        {"code": "urine_output", "value": {"value": 90, "unit": "mL"}, "start": ago(240), "end": ago(0)}]});
    let (status, stored) =
        app.post(&format!("/api/v1/patients/{}/observations", app.patient_a), Some(&nurse), &observations).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let site = il2care_web::site::Site { ward_time_zone: "America/New_York".into(), ..Default::default() };
    let router = il2care_web::router(il2care_web::AppState::new(app.db.store.clone()).with_site(site));
    let page = request(&router, Method::GET, &format!("/patients/{}", app.patient_a), &nurse, "").await;
    assert_eq!(page.status, StatusCode::OK);
    let text = &page.text;
    assert!(
        text.find("id=\"charts\"").unwrap() < text.find("id=\"decision\"").unwrap(),
        "the charts come first on the page"
    );
    for id in ["systolic_bp", "heart_rate", "spo2", "respiratory_rate", "urine_output"] {
        assert!(text.contains(&format!("id=\"chart-{id}\"")), "a chart of {id}");
    }
    for id in ["temperature", "weight", "creatinine", "platelets", "stool_output"] {
        assert!(!text.contains(&format!("id=\"chart-{id}\"")), "no chart of {id}: the course records none");
    }
    assert!(text.contains("Times in America/New_York"), "the ward's clock");
    assert!(text.contains(" EST"), "times in the ward's zone");
    assert!(text.contains("href=\"/rules#consensus.hold.sinus-tachycardia\""), "the heart-rate band names its rule");
    assert!(text.contains("href=\"/rules#consensus.stop.urine-below-80-shift\""), "the urine bands are per shift");
    assert!(!text.contains("href=\"/rules#label.hold.sbp-below-90\""), "no band of the other rule set");
    assert!(text.contains("class=\"band band-hold\"") && text.contains("class=\"band band-stop\""));
    assert!(text.contains("210 mL"), "the last 8-h shift sums both 4-h intervals: {text}");
    assert!(text.contains("breaths/min") && text.contains("beats/min") && text.contains("mmHg"), "units in words");
    for label in text.split("class=\"ytick\"").skip(1) {
        let value = label.split('>').nth(1).unwrap().split('<').next().unwrap();
        assert!(!value.starts_with('-'), "axis label {value}");
    }
    assert!(text.contains("<title id=\"chart-spo2-title\">"), "each chart has a title");
    assert!(text.contains("<summary>Values (2)</summary>"), "the values as a table: {text}");
    let _ = course_id;
}

async fn a_second_physician_co_signs_giving_against_discontinue_permanently(app: &TestApp) {
    let hash = il2care_web::auth::hash_password(PASSWORD).unwrap();
    let mut conn = app.db.store.connection().await.unwrap();
    let second = NewUser {
        username: "physician2",
        display_name: "Dr. Second",
        password_hash: &hash,
        role: "physician",
        patient_id: None,
        now_ms: 1,
    };
    accounts::create_user(&mut conn, &second).await.unwrap();
    drop(conn);
    let course_id = course(app, "label", 2).await;
    let physician = app.token("physician").await;
    let course_page = format!("/patients/{}", app.patient_a);
    let assess = format!(
        "course_id={course_id}&form_token=t1&systolic_bp=120&heart_rate=80&spo2=97&findings_reviewed=yes&finding.ecg_ischemia_changes=present"
    );
    let decided = post(app, &format!("{course_page}/assessment"), &physician, &assess).await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.text);
    let page = get(app, &course_page, &physician).await;
    assert!(page.text.contains("Discontinue permanently"), "{}", page.text);
    assert!(page.text.contains("Required to give against Discontinue permanently"), "the co-signature is asked for");
    let slot = hidden(&page.text, "slot");
    assert!(page.text.contains(&format!("This records <strong>slot {slot}</strong>")), "the form names its slot");
    let decision = hidden(&page.text, "assessment_id");
    let key = hidden(&page.text, "idempotency_key");
    let dose = |cosigner: &str| {
        format!(
            "course_id={course_id}&idempotency_key={key}&slot={slot}&assessment_id={decision}&status=given\
             &reason_code=protocol_exception_approved&override_reason=cardiology+reviewed+the+ECG{cosigner}"
        )
    };
    // Without a co-signer, with oneself, with a wrong password: refused, the form back, nothing recorded.
    let password = PASSWORD.replace(' ', "+");
    for (cosigner, why) in [
        (String::new(), "a second physician"),
        (format!("&cosigner_username=physician&cosigner_password={password}"), "another account"),
        ("&cosigner_username=physician2&cosigner_password=wrong".to_string(), "username or password is wrong"),
    ] {
        let refused = post(app, &format!("{course_page}/dose"), &physician, &dose(&cosigner)).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{cosigner}: {}", refused.text);
        assert!(refused.text.contains("Not recorded: please check"), "{}", refused.text);
        assert!(refused.text.contains(why), "{why}: {}", refused.text);
        assert!(refused.text.contains("cosign invalid"), "the co-signature is marked: {}", refused.text);
        assert!(refused.text.contains("cardiology reviewed the ECG"), "the reason in words is kept");
        assert!(refused.text.contains("value=\"protocol_exception_approved\" selected"), "the reason code is kept");
        assert!(!refused.text.contains(PASSWORD) && !refused.text.contains("value=\"wrong\""), "never the password");
    }
    let (_, courses) = app.get(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician)).await;
    assert_eq!(courses["courses"][0]["doses"].as_array().unwrap().len(), 0, "nothing was recorded");
    let signed = format!("&cosigner_username=physician2&cosigner_password={password}");
    let given = post(app, &format!("{course_page}/dose"), &physician, &dose(&signed)).await;
    assert_eq!(given.status, StatusCode::SEE_OTHER, "{}", given.text);
    assert_eq!(given.location, format!("{course_page}#schedule-heading"));
    let again = post(app, &format!("{course_page}/dose"), &physician, &dose(&signed)).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "Back + resubmit answers the first record");
    let (_, courses) = app.get(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician)).await;
    let doses = courses["courses"][0]["doses"].as_array().unwrap().clone();
    assert_eq!(doses.len(), 1, "{doses:?}");
    assert_eq!(doses[0]["cosigned_by"], "physician2");
    let page = get(app, &course_page, &physician).await;
    assert!(page.text.contains("a dose was given against this decision"), "the decision shows its override");
    assert!(page.text.contains("td class=\"override\""), "the schedule shows the override in its own colour");
    let worklist = get(app, "/worklist", &physician).await;
    assert!(worklist.text.contains("last dose given against its decision"), "{}", worklist.text);
    let audit = app.audit_actions(app.patient_a).await;
    assert!(audit.iter().any(|(actor, action, outcome)| actor == "physician" && action == "write" && outcome == "ok"));
    let mut conn = app.db.store.connection().await.unwrap();
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: Some("physician2".into()), limit: 100 };
    let entries = il2care_store::audit::query(&mut conn, &query).await.unwrap();
    assert!(entries.iter().any(|entry| entry.action == "login"), "the co-signature's sign-in is audited");
}

async fn decisions_link_to_the_rule_catalogue(app: &TestApp) {
    let course_id = course(app, "label", 2).await;
    let nurse = app.token("nurse").await;
    let course_page = format!("/patients/{}", app.patient_a);
    let form =
        format!("course_id={course_id}&form_token=t1&systolic_bp=85&heart_rate=88&spo2=97&findings_reviewed=yes");
    assert_eq!(post(app, &format!("{course_page}/assessment"), &nurse, &form).await.status, StatusCode::SEE_OTHER);
    let page = get(app, &course_page, &nurse).await;
    assert!(page.text.contains("<a class=\"rule-link\" href=\"/rules#label.hold.sbp-below-90\">"), "{}", page.text);
    let worklist = get(app, "/worklist", &nurse).await;
    assert!(worklist.text.contains("href=\"/rules#label.hold.sbp-below-90\""), "{}", worklist.text);
    let rules = get(app, "/rules", &nurse).await;
    assert_eq!(rules.status, StatusCode::OK);
    assert!(rules.text.contains("<tr class=\"rule\" id=\"label.hold.sbp-below-90\">"), "one anchor per rule");
    assert_eq!(rules.text.matches("id=\"label.hold.spo2-below-90\"").count(), 1, "a rule of both sets once");
    assert!(rules.text.contains("Hold: systolic blood pressure &lt; 90 mmHg"), "the title in words");
    assert!(rules.text.contains("Dutcher JP"), "the source's citation");
    assert!(rules.text.contains("id=\"consensus.stop.creatinine-3\""), "the other rule set too");
    let patient = app.token("patient_a").await;
    assert_eq!(get(app, "/rules", &patient).await.status, StatusCode::FORBIDDEN);
    let mut conn = app.db.store.connection().await.unwrap();
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: Some("patient_a".into()), limit: 100 };
    let entries = il2care_store::audit::query(&mut conn, &query).await.unwrap();
    assert!(entries.iter().any(|entry| entry.action == "denied" && entry.resource == "rules"), "refusal audited");
}

async fn the_worklist_says_how_old_the_vital_signs_are(app: &TestApp) {
    let course_id = course(app, "label", 2).await;
    let nurse = app.token("nurse").await;
    let worklist = get(app, "/worklist", &nurse).await;
    assert!(worklist.text.contains("class=\"vitals stale\">no vital signs recorded"), "{}", worklist.text);
    let old = json!({"observations": [
        {"code": "systolic_bp", "value": {"value": 118, "unit": "mm[Hg]"}, "at": ago(5 * 60)},
        {"code": "heart_rate", "value": {"value": 80, "unit": "/min"}, "at": ago(5 * 60)}]});
    app.post(&format!("/api/v1/patients/{}/observations", app.patient_a), Some(&nurse), &old).await;
    let worklist = get(app, "/worklist", &nurse).await;
    assert!(
        worklist.text.contains("no oxygen saturation (SpO2) recorded; other vital signs 5 h ago"),
        "{}",
        worklist.text
    );
    let spo2 = json!({"observations": [{"code": "spo2", "value": {"value": 96, "unit": "%"}, "at": ago(4 * 60 + 30)}]});
    app.post(&format!("/api/v1/patients/{}/observations", app.patient_a), Some(&nurse), &spo2).await;
    let worklist = get(app, "/worklist", &nurse).await;
    assert!(
        worklist.text.contains("class=\"vitals stale\">vital signs 5 h ago (too old for a decision)"),
        "the oldest of the latest counts: {}",
        worklist.text
    );
    let form =
        format!("course_id={course_id}&form_token=t1&systolic_bp=118&heart_rate=80&spo2=98&findings_reviewed=yes");
    post(app, &format!("/patients/{}/assessment", app.patient_a), &nurse, &form).await;
    let worklist = get(app, "/worklist", &nurse).await;
    assert!(worklist.text.contains("class=\"vitals\">vital signs 0 min ago"), "{}", worklist.text);
    // A reading entered late, timed before the latest, does not make the vital signs look older.
    let late = json!({"observations": [{"code": "spo2", "value": {"value": 95, "unit": "%"}, "at": ago(6 * 60)}]});
    let (status, _) = app.post(&format!("/api/v1/patients/{}/observations", app.patient_a), Some(&nurse), &late).await;
    assert_eq!(status, StatusCode::CREATED);
    let worklist = get(app, "/worklist", &nurse).await;
    assert!(worklist.text.contains("class=\"vitals\">vital signs 0 min ago"), "{}", worklist.text);
}

on_both_backends!(
    the_charts_show_what_the_course_records_with_the_rule_sets_bands,
    a_second_physician_co_signs_giving_against_discontinue_permanently,
    decisions_link_to_the_rule_catalogue,
    the_worklist_says_how_old_the_vital_signs_are,
);
