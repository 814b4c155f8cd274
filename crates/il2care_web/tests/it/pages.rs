//! The web pages in-process (SQLite): sign-in by form and the session cookie, the redirect to sign-in, a
//! nurse's assessment and dose forms holding a dose with its reason, a patient's check-in form answered with
//! "Call now" first, and the patient boundary (refusals audited). The browser flows are in tests/browser/.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use serde_json::json;
use tower::ServiceExt;

use crate::support::{PASSWORD, TestApp};

/// A page response: status, headers and the body as text.
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|value| value.to_str().ok()).unwrap_or("")
    }
}

async fn request(app: &TestApp, method: Method, path: &str, token: Option<&str>, form: &str) -> Page {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header(header::COOKIE, format!("il2care_session={token}"));
    }
    if !form.is_empty() {
        builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let response = app.router.clone().oneshot(builder.body(Body::from(form.to_string())).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 10 * 1024 * 1024).await.unwrap();
    Page { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Page {
    request(app, Method::GET, path, token, "").await
}

async fn post(app: &TestApp, path: &str, token: Option<&str>, form: &str) -> Page {
    request(app, Method::POST, path, token, form).await
}

async fn app() -> TestApp {
    TestApp::new(il2care_store::testing::TestDb::sqlite().await).await
}

/// Starts a high-dose course for patient A, ten hours ago, at 80 kg.
async fn high_dose_course(app: &TestApp) -> i64 {
    let physician = app.token("physician").await;
    let started = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(10);
    let body = json!({"regimen": "hd-iv", "rule_set": "label", "started_at": started.to_string(), "baseline_weight": {"value": 80, "unit": "kg"}});
    let (status, course) =
        app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    course["id"].as_i64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sign_in_form_sets_the_session_cookie_and_opens_the_roles_start_page() {
    let app = app().await;
    let page = post(&app, "/signin", None, &format!("username=nurse&password={}", PASSWORD.replace(' ', "+"))).await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/worklist"));
    let cookie = page.headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("il2care_session=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict")
    );
    let token = cookie.trim_start_matches("il2care_session=").split(';').next().unwrap().to_string();
    let worklist = get(&app, "/worklist", Some(&token)).await;
    assert_eq!(worklist.status, StatusCode::OK);
    assert!(worklist.text.contains("<h1>Worklist</h1>"));
    assert!(worklist.text.contains("Decision support: the treating clinician decides."));
    let policy = worklist.headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
    assert!(policy.contains("default-src 'none'"), "pages load nothing from elsewhere and run no script");
    assert_eq!(worklist.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    let start = get(&app, "/", Some(&token)).await;
    assert_eq!(start.location(), "/worklist");
    let patient =
        post(&app, "/signin", None, &format!("username=patient_a&password={}", PASSWORD.replace(' ', "+"))).await;
    assert_eq!(patient.location(), "/me");
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_shows_the_form_again_and_is_audited_like_the_api() {
    let app = app().await;
    let page = post(&app, "/signin", None, "username=nurse&password=guess").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.text.contains("Wrong username or password.") && page.text.contains("value=\"nurse\""));
    let mut conn = app.db.store.connection().await.unwrap();
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: Some("nurse".into()), limit: 10 };
    let entries = il2care_store::audit::query(&mut conn, &query).await.unwrap();
    drop(conn);
    assert_eq!(entries[0].action, "login_failed");
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_without_a_session_lead_to_the_sign_in_page() {
    let app = app().await;
    for path in ["/", "/worklist", "/me", "/pharmacy", &format!("/patients/{}", app.patient_a)] {
        let page = get(&app, path, None).await;
        assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/signin"), "{path}");
    }
    let form = get(&app, "/signin", None).await;
    assert!(form.text.contains("<label for=\"username\">") && form.text.contains("<label for=\"password\">"));
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nurse_holds_a_dose_for_low_blood_pressure_and_sees_the_reason() {
    let app = app().await;
    let course_id = high_dose_course(&app).await;
    let nurse = app.token("nurse").await;
    let course_page = format!("/patients/{}", app.patient_a);
    let form = format!("course_id={course_id}&form_token=t1&systolic_bp=85&heart_rate=&findings_reviewed=yes");
    let page = post(&app, &format!("{course_page}/assessment"), Some(&nurse), &form).await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, format!("{course_page}#decision").as_str()));
    let page = get(&app, &course_page, Some(&nurse)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.contains("class=\"badge u3\">Hold</span>"), "the decision is shown as Hold");
    assert!(page.text.contains("label.hold.sbp-below-90"), "the hold reason names its rule");
    assert!(page.text.contains("systolic blood pressure 85 mmHg"), "the hold reason shows the value with its unit");
    assert!(page.text.contains("1 value from 85 to 85; latest 85 mmHg"), "the chart has the value");
    let given =
        post(&app, &format!("{course_page}/dose"), Some(&nurse), &format!("course_id={course_id}&slot=1&status=given"))
            .await;
    assert_eq!(given.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(given.text.contains("assessment_id"), "giving needs the decision for its slot");
    let held = post(
        &app,
        &format!("{course_page}/dose"),
        Some(&nurse),
        &format!("course_id={course_id}&slot=1&status=held&reason_code=clinical_concern"),
    )
    .await;
    assert_eq!(held.status, StatusCode::SEE_OTHER);
    assert!(get(&app, &course_page, Some(&nurse)).await.text.contains("class=\"held\">Held"));
    let timeline = get(&app, &format!("{course_page}/timeline.csv"), Some(&nurse)).await;
    assert_eq!(timeline.headers.get(header::CONTENT_TYPE).unwrap(), "text/csv; charset=utf-8");
    assert!(timeline.text.contains(",observation,systolic_bp,85,mm[Hg],"), "{}", timeline.text);
    assert!(timeline.text.contains(",decision,label rule set "), "{}", timeline.text);
    assert!(timeline.text.contains(",dose,"), "{}", timeline.text);
    let reads = app.audit_actions(app.patient_a).await;
    assert!(reads.iter().any(|(actor, action, _)| actor == "nurse" && action == "read"), "the page read is audited");
    assert!(reads.iter().filter(|(actor, action, _)| actor == "nurse" && action == "write").count() >= 3);
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_checks_in_with_a_fever_and_reads_call_now_first() {
    let app = app().await;
    let token = app.token("patient_a").await;
    let form = get(&app, "/me?step=2", Some(&token)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("What is your temperature?"));
    assert!(form.text.contains("Step 2 of 5"), "the patient sees how far along they are");
    assert!(form.text.contains(&il2care_content::disclaimer().headline()), "the patient disclaimer ends the page");
    let answers = "client_id=phone-1&temperature=38.5&temperature_unit=Cel&short_of_breath=none&fluids_not_kept_down_hours=0&rash=";
    let submitted = post(&app, "/me/checkins", Some(&token), answers).await;
    assert_eq!(submitted.status, StatusCode::SEE_OTHER, "{}", submitted.text);
    let retried = post(&app, "/me/checkins", Some(&token), answers).await;
    assert_eq!(retried.location(), submitted.location(), "the same form sent twice is stored once");
    let result = get(&app, submitted.location(), Some(&token)).await;
    let action = il2care_content::message("call_now").unwrap().headline();
    let (heading, action_at) = (result.text.find("Call now").unwrap(), result.text.find(&action).unwrap());
    assert!(heading < action_at, "the level comes first, then the action");
    assert!(result.text.contains(il2care_content::advice("fever").unwrap().title), "then the fever advice");
    let (_, stored) = app.get(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&token)).await;
    assert_eq!(stored["checkins"].as_array().unwrap().len(), 1);
    assert_eq!(stored["checkins"][0]["level"], "call_now");
    let history = get(&app, "/me/history", Some(&token)).await;
    assert!(history.text.contains(submitted.location()));
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nurse_sees_the_check_in_on_the_worklist_and_records_the_call_back() {
    let app = app().await;
    let patient = app.token("patient_a").await;
    let answers = "temperature=38.5&temperature_unit=Cel&short_of_breath=none&fluids_not_kept_down_hours=0";
    let submitted = post(&app, "/me/checkins", Some(&patient), answers).await;
    let checkin_id = submitted.location().rsplit('/').next().unwrap().to_string();
    let nurse = app.token("nurse").await;
    let worklist = get(&app, "/worklist", Some(&nurse)).await;
    assert!(worklist.text.contains("Check-in") && worklist.text.contains("Call now"));
    assert!(worklist.text.contains("New check-in, not yet called back"), "{}", worklist.text);
    let course_page = format!("/patients/{}", app.patient_a);
    let page = get(&app, &course_page, Some(&nurse)).await;
    assert!(page.text.contains("temperature 38.5 Cel (Call now)"), "the course page says what was reported");
    let form = format!("patient_id={}&note=Advised+to+come+in", app.patient_a);
    let called = post(&app, &format!("/checkins/{checkin_id}/acknowledge"), Some(&nurse), &form).await;
    assert_eq!((called.status, called.location()), (StatusCode::SEE_OTHER, format!("{course_page}#checkins").as_str()));
    assert!(get(&app, &course_page, Some(&nurse)).await.text.contains("Called back"));
    assert!(
        !get(&app, "/worklist", Some(&nurse)).await.text.contains("New check-in, not yet called back"),
        "it leaves the worklist"
    );
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_call_back_form_posts_to_call_back_and_the_deprecated_acknowledge_path_still_records_one() {
    let app = app().await;
    let patient = app.token("patient_a").await;
    let nurse = app.token("nurse").await;
    let course_page = format!("/patients/{}", app.patient_a);
    let form = format!("patient_id={}&note=Advised+to+come+in", app.patient_a);
    for (hours, client_id) in [(3, "page-1"), (2, "page-2")] {
        let at = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(hours)).to_string();
        let fever = json!({"client_id": client_id, "at": at,
                           "answers": {"temperature": {"value": 38.5, "unit": "Cel"}, "chills": "moderate"}});
        let (status, stored) =
            app.post(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&patient), &fever).await;
        assert_eq!(status, StatusCode::CREATED, "{stored}");
    }
    let (_, listed) = app.get(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&nurse)).await;
    let ids: Vec<i64> = listed["checkins"].as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    let page = get(&app, &course_page, Some(&nurse)).await;
    for id in &ids {
        assert!(page.text.contains(&format!("action=\"/checkins/{id}/call-back\"")), "{}", page.text);
        assert!(!page.text.contains(&format!("/checkins/{id}/acknowledge")), "the form uses the new name");
    }
    for path in [format!("/checkins/{}/call-back", ids[0]), format!("/checkins/{}/acknowledge", ids[1])] {
        let called = post(&app, &path, Some(&nurse), &form).await;
        assert_eq!(
            (called.status, called.location()),
            (StatusCode::SEE_OTHER, format!("{course_page}#checkins").as_str()),
            "{path}"
        );
    }
    let (_, listed) = app.get(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&nurse)).await;
    let called: Vec<bool> =
        listed["checkins"].as_array().unwrap().iter().map(|c| c["acknowledged"].as_bool().unwrap()).collect();
    assert_eq!(called, [true, true], "both paths record the call back: {listed}");
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_check_in_comes_back_with_the_answers_and_the_message_and_stores_nothing() {
    let app = app().await;
    let token = app.token("patient_a").await;
    let answers = "client_id=phone-2&temperature=60&temperature_unit=Cel&chills=mild";
    let page = post(&app, "/me/checkins", Some(&token), answers).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text.contains("role=\"alert\""), "the message is announced");
    assert!(page.text.contains("id=\"temperature-error\""), "the message sits at the temperature question");
    assert!(page.text.contains("value=\"60\""), "the temperature as typed is kept");
    assert!(page.text.contains("value=\"mild\" checked"), "the chosen answers are kept");
    assert!(
        page.text.contains("For chest pain, trouble breathing or fainting, call 911."),
        "a refused vital sign still gives safety advice"
    );
    let (_, stored) = app.get(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&token)).await;
    assert!(stored["checkins"].as_array().unwrap().is_empty());
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_reaches_only_their_own_pages_and_other_attempts_are_audited() {
    let app = app().await;
    let patient_b = app.token("patient_b").await;
    let answers = "temperature=37&temperature_unit=Cel&short_of_breath=none&fluids_not_kept_down_hours=0";
    let own = post(&app, "/me/checkins", Some(&patient_b), answers).await;
    let patient_a = app.token("patient_a").await;
    assert_eq!(get(&app, own.location(), Some(&patient_a)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&app, &format!("/patients/{}", app.patient_b), Some(&patient_a)).await.status,
        StatusCode::FORBIDDEN
    );
    let denied = app.audit_actions(app.patient_b).await;
    assert_eq!(denied.iter().filter(|(actor, action, _)| actor == "patient_a" && action == "denied").count(), 2);
    let nurse = app.token("nurse").await;
    assert_eq!(get(&app, "/me", Some(&nurse)).await.status, StatusCode::FORBIDDEN, "the check-in is the patient's own");
    let pharmacist = app.token("pharmacist").await;
    assert_eq!(get(&app, "/worklist", Some(&pharmacist)).await.status, StatusCode::FORBIDDEN);
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pharmacist_sees_the_dose_of_record_with_its_units() {
    let app = app().await;
    high_dose_course(&app).await;
    let pharmacist = app.token("pharmacist").await;
    let page = get(&app, "/pharmacy", Some(&pharmacist)).await;
    assert_eq!(page.status, StatusCode::OK);
    for expected in ["48,000,000 IU", "2.96 mg", "2.67 mL", "50 mL", "48 h"] {
        assert!(page.text.contains(expected), "{expected} is on the page");
    }
    app.db.drop().await;
}

/// Starts a Saadoun low-dose course for patient A 50 hours ago: slots 1 to 3 are 50, 26 and 2 hours ago.
async fn low_dose_course(app: &TestApp) -> i64 {
    let physician = app.token("physician").await;
    let started = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(50);
    let body = json!({"regimen": "saadoun-2011-sc", "started_at": started.to_string()});
    let (status, course) =
        app.post(&format!("/api/v1/patients/{}/courses", app.patient_a), Some(&physician), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    let id = course["id"].as_i64().unwrap();
    // The first shot given passes the screening gate (issue 16); this test is about the log page.
    crate::support::open_screening_gate(app, app.patient_a, id).await;
    id
}

#[tokio::test(flavor = "multi_thread")]
async fn a_patient_logs_a_shot_and_a_second_shot_for_the_slot_comes_back_refused_with_the_answers() {
    let app = app().await;
    let course_id = low_dose_course(&app).await;
    let token = app.token("patient_a").await;
    let form = get(&app, "/me/injections", Some(&token)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("<h1>My injection log</h1>"));
    assert!(form.text.contains(&il2care_content::injection_text("injections.never-double").unwrap().headline()));
    assert!(form.text.contains("href=\"/me/injections\""), "the patient's menu links the log");
    assert!(form.text.contains("<option value=\"3\" selected>Shot 3: "), "the shot nearest to now is chosen");
    assert!(form.text.contains("<label for=\"site-abdomen_left\">"), "every site has its label");
    let shot = format!("client_id=s1&course_id={course_id}&slot=3&status=given&site=abdomen_left&note=fine");
    let logged = post(&app, "/me/injections", Some(&token), &shot).await;
    assert_eq!((logged.status, logged.location()), (StatusCode::SEE_OTHER, "/me/injections#log"));
    let log = get(&app, "/me/injections", Some(&token)).await;
    assert!(log.text.contains("class=\"given\">Taken</span>"), "the shot is in the log");
    assert!(log.text.contains("Where: Belly, left side") && log.text.contains("Note: fine"));
    assert!(!log.text.contains("<option value=\"3\""), "a logged shot is not offered again");
    let again = format!("client_id=s2&course_id={course_id}&slot=3&status=given&site=thigh_right&note=again");
    let refused = post(&app, "/me/injections", Some(&token), &again).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("role=\"alert\"") && refused.text.contains("never two shots to catch up"));
    assert!(refused.text.contains(&il2care_content::injection_text("injections.already-logged").unwrap().headline()));
    assert!(refused.text.contains("value=\"thigh_right\" checked") && refused.text.contains("value=\"again\""));
    let (_, stored) = app.get(&format!("/api/v1/patients/{}/injections", app.patient_a), Some(&token)).await;
    assert_eq!(stored["injections"].as_array().unwrap().len(), 1, "the refused shot stored nothing");
    let skipped = format!("client_id=s3&course_id={course_id}&slot=2&status=skipped&skip_reason=fever&site=arm_left");
    assert_eq!(post(&app, "/me/injections", Some(&token), &skipped).await.status, StatusCode::SEE_OTHER);
    let nurse = app.token("nurse").await;
    let course_page = get(&app, &format!("/patients/{}", app.patient_a), Some(&nurse)).await;
    assert!(course_page.text.contains("<h2 id=\"injections-heading\">Injection log</h2>"));
    assert!(course_page.text.contains("Why: fever") && course_page.text.contains("Logged by patient_a"));
    assert_eq!(
        get(&app, "/me/injections", Some(&nurse)).await.status,
        StatusCode::FORBIDDEN,
        "the log page is the patient's own"
    );
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_demo_ward_shows_logged_injections_to_the_patient_and_on_the_course_page() {
    let db = il2care_store::testing::TestDb::sqlite().await;
    il2care_web::demo::create(&db.store, il2care_web::now_ms(), Some(PASSWORD)).await.unwrap();
    let router = il2care_web::router(il2care_web::AppState::new(db.store.clone()));
    let app = TestApp { db, router, patient_a: 0, patient_b: 0 };
    let patient = app.token("patient").await;
    let log = get(&app, "/me/injections", Some(&patient)).await;
    assert_eq!(log.status, StatusCode::OK);
    assert_eq!(log.text.matches("class=\"given\">Taken</span>").count(), 2, "two shots taken");
    assert!(log.text.contains("Why: felt feverish, called the clinic"), "and one skipped with its reason");
    assert!(log.text.contains("<option value=\"4\" selected>Shot 4: "), "the shot due now is offered");
    let nurse = app.token("nurse").await;
    let (_, patients) = app.get("/api/v1/patients", Some(&nurse)).await;
    let outpatient = patients["patients"].as_array().unwrap().iter().find(|p| p["mrn"] == "LD-2002").unwrap();
    let course_page = get(&app, &format!("/patients/{}", outpatient["id"]), Some(&nurse)).await;
    assert_eq!(course_page.text.matches("class=\"given\">Taken</span>").count(), 3, "the team sees the log");
    let pharmacist = app.token("pharmacist").await;
    let pharmacy = get(&app, "/pharmacy", Some(&pharmacist)).await;
    assert!(pharmacy.text.contains("Toprol-XL 50 mg daily") && pharmacy.text.contains("Zyxoflamin 20 mg"));
    assert!(pharmacy.text.contains("Contrast: Warning"), "the planned CT after the course gets the contrast warning");
    app.db.drop().await;
}

/// A form value percent-encoded (every byte but letters and digits).
fn form_value(text: &str) -> String {
    text.bytes()
        .map(|byte| if byte.is_ascii_alphanumeric() { (byte as char).to_string() } else { format!("%{byte:02X}") })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_pharmacist_pastes_a_screening_and_the_result_shows_on_the_pharmacist_and_course_pages() {
    let app = app().await;
    let case: serde_json::Value = serde_json::from_str(include_str!(
        "../../../../tests/cases/screen/19-medication-list-with-interactions-and-an-unknown-name.json"
    ))
    .unwrap();
    let pharmacist = app.token("pharmacist").await;
    let form = get(&app, "/pharmacy", Some(&pharmacist)).await;
    assert!(
        form.text.contains("<label for=\"screen-document\">") && form.text.contains("<label for=\"screen-patient\">")
    );
    let body =
        format!("client_id=f1&patient_id={}&document={}", app.patient_a, form_value(&case["document"].to_string()));
    let screened = post(&app, "/pharmacy/screenings", Some(&pharmacist), &body).await;
    assert_eq!(
        (screened.status, screened.location()),
        (StatusCode::SEE_OTHER, format!("/pharmacy#screening-{}", app.patient_a).as_str())
    );
    let page = get(&app, "/pharmacy", Some(&pharmacist)).await;
    assert!(page.text.contains("class=\"badge u3\">Needs review</span> Screened "), "the overall status");
    assert!(
        page.text.contains("17. Medication list") && page.text.contains("18. Antihypertensives"),
        "the items to review"
    );
    assert!(page.text.contains("Decadron 4 mg PO daily") && page.text.contains("Glucocorticoids"), "the interactions");
    assert!(page.text.contains("Not recognised (check each by hand): Zyxoflamin 20 mg"));
    let nurse = app.token("nurse").await;
    let course_page = get(&app, &format!("/patients/{}", app.patient_a), Some(&nurse)).await;
    assert!(course_page.text.contains("<h2 id=\"screening-heading\">Pre-treatment screening</h2>"));
    assert!(course_page.text.contains("LISINOPRIL 10 mg"), "the course page shows the latest screening too");
    let broken = format!("patient_id={}&document={}", app.patient_a, form_value("{\"regimen\": \"hd-iv\"}"));
    let refused = post(&app, "/pharmacy/screenings", Some(&pharmacist), &broken).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("at — "), "the refusal names the field");
    assert_eq!(post(&app, "/pharmacy/screenings", Some(&nurse), &body).await.status, StatusCode::FORBIDDEN);
    assert!(!get(&app, "/pharmacy", Some(&nurse)).await.text.contains("Screen a patient"), "no form for the nurse");
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_worklist_has_one_row_per_patient_and_a_recorded_dose_spends_the_decision() {
    let app = app().await;
    let course_id = high_dose_course(&app).await;
    let nurse = app.token("nurse").await;
    let course_page = format!("/patients/{}", app.patient_a);
    let patient_link = format!("href=\"{course_page}\"");
    let form = format!("course_id={course_id}&form_token=t1&systolic_bp=85&heart_rate=&findings_reviewed=yes");
    post(&app, &format!("{course_page}/assessment"), Some(&nurse), &form).await;
    let worklist = get(&app, "/worklist", Some(&nurse)).await;
    assert_eq!(worklist.text.matches(&patient_link).count(), 1, "{}", worklist.text);
    assert!(worklist.text.contains("Hold: systolic blood pressure &lt; 90 mmHg"), "the rule in words");
    assert!(worklist.text.contains("label.hold.sbp-below-90"), "the rule id in small print");

    let patient = app.token("patient_a").await;
    let answers = "temperature=38.5&temperature_unit=Cel&short_of_breath=none&fluids_not_kept_down_hours=0";
    assert_eq!(post(&app, "/me/checkins", Some(&patient), answers).await.status, StatusCode::SEE_OTHER);
    // An incomplete check-in can still arrive through the API (the page asks for the core questions).
    let incomplete = json!({"at": jiff::Timestamp::now().to_string(), "answers": {"chills": "mild"}});
    let (status, _) =
        app.post(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&patient), &incomplete).await;
    assert_eq!(status, StatusCode::CREATED);
    let worklist = get(&app, "/worklist", Some(&nurse)).await;
    assert_eq!(worklist.text.matches(&patient_link).count(), 1, "two check-ins and a dose are still one row");
    assert!(worklist.text.contains("and 2 more"), "{}", worklist.text);
    assert!(worklist.text.contains("Incomplete"), "a check-in without the core questions is not self care");
    assert!(!worklist.text.contains(">Self care<"), "{}", worklist.text);

    let searched = get(&app, "/worklist?q=no-such-patient&level=all", Some(&nurse)).await;
    assert!(searched.text.contains("No patient matches this filter"), "{}", searched.text);

    let form = format!("course_id={course_id}&slot=2&status=held&reason_code=clinical_concern");
    let held = post(&app, &format!("{course_page}/dose"), Some(&nurse), &form).await;
    assert_eq!(held.status, StatusCode::SEE_OTHER, "{}", held.text);
    let worklist = get(&app, "/worklist", Some(&nurse)).await;
    assert!(!worklist.text.contains("Hold: systolic blood pressure"), "the held slot's decision is spent");
    assert!(worklist.text.contains("assess before the next"), "{}", worklist.text);
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_bedside_form_records_scale_and_hour_findings_and_a_hallucination_holds_the_dose() {
    let app = app().await;
    let course_id = high_dose_course(&app).await;
    let nurse = app.token("nurse").await;
    let course_page = format!("/patients/{}", app.patient_a);
    let page = get(&app, &course_page, Some(&nurse)).await;
    for field in [
        "finding.mental_status_change",
        "finding.coma",
        "finding.ventricular_tachycardia",
        "finding.o2_device",
        "finding.asymptomatic",
        "finding.normal_sinus_rhythm",
        "finding.fobt_result",
        "stool_output",
        "phenylephrine_rate",
        "fio2",
        "bicarbonate",
    ] {
        assert!(page.text.contains(&format!("name=\"{field}\"")), "the bedside form offers {field}");
    }
    let assess = |finding: &'static str, token: &'static str| {
        format!(
            "course_id={course_id}&form_token={token}&systolic_bp=120&heart_rate=80&spo2=97&findings_reviewed=yes&{finding}"
        )
    };
    let moderate = assess("finding.mental_status_change=moderate", "t1");
    post(&app, &format!("{course_page}/assessment"), Some(&nurse), &moderate).await;
    let page = get(&app, &course_page, Some(&nurse)).await;
    assert!(page.text.contains("class=\"badge u3\">Hold</span>"), "a moderate mental status change holds");
    assert!(page.text.contains("mental status change"), "{}", page.text);

    let hallucinating = assess("finding.hallucinations=present", "t2");
    post(&app, &format!("{course_page}/assessment"), Some(&nurse), &hallucinating).await;
    let decisions = app.get(&format!("/api/v1/patients/{}/assessments", app.patient_a), Some(&nurse)).await;
    let latest = decisions.1["assessments"].as_array().unwrap().iter().max_by_key(|a| a["id"].as_i64()).unwrap();
    assert_eq!(latest["decision"], "hold", "a hallucinating patient is never given the dose: {latest}");
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_assessment_form_comes_back_filled_in_with_the_field_marked_and_the_next_one_works() {
    let app = app().await;
    let course_id = high_dose_course(&app).await;
    let nurse = app.token("nurse").await;
    let course_page = format!("/patients/{}", app.patient_a);
    let refused = format!(
        "course_id={course_id}&form_token=t9&systolic_bp=500&heart_rate=88&findings_reviewed=yes&finding.coma=2"
    );
    let page = post(&app, &format!("{course_page}/assessment"), Some(&nurse), &refused).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", page.text);
    assert!(page.text.contains("Not decided: please check systolic blood pressure"), "{}", page.text);
    assert!(page.text.contains("value=\"500\""), "the refused value is kept");
    assert!(page.text.contains("value=\"88\""), "the other entries are kept");
    assert!(page.text.contains("value=\"2\""), "the findings are kept");
    assert!(page.text.contains("field invalid"), "the field is marked");
    let (_, decisions) = app.get(&format!("/api/v1/patients/{}/assessments", app.patient_a), Some(&nurse)).await;
    assert_eq!(decisions["assessments"].as_array().unwrap().len(), 0, "nothing was decided");
    let valid = format!("course_id={course_id}&form_token=t10&systolic_bp=85&findings_reviewed=yes");
    let page = post(&app, &format!("{course_page}/assessment"), Some(&nurse), &valid).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "the next valid form is decided: {}", page.text);
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_red_flag_questions_come_first_and_a_yes_stores_the_check_in_and_shows_the_emergency_screen() {
    let app = app().await;
    let token = app.token("patient_a").await;
    let first = get(&app, "/me", Some(&token)).await;
    assert!(first.text.contains("Step 1 of 5") && first.text.contains("Do you have pain or tightness in your chest?"));
    assert!(!first.text.contains("What is your temperature?"), "the red flags have a screen of their own");
    assert!(first.text.contains("href=\"tel:911\""), "the emergency number is a tap-to-call link");

    let skipped = post(&app, "/me/checkins", Some(&token), "stage=red_flags&client_id=r1&chest_pain=no").await;
    assert_eq!(skipped.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(skipped.text.contains("Please answer every question on this page"), "{}", skipped.text);

    let none = "stage=red_flags&client_id=r2&hard_to_wake=no&seizure=no&chest_pain=no&short_of_breath=none&fainted=no&bleeding_wont_stop=no&palpitations=no";
    let next = post(&app, "/me/checkins", Some(&token), none).await;
    assert_eq!(next.status, StatusCode::SEE_OTHER, "{}", next.text);
    assert!(next.location().starts_with("/me?") && next.location().contains("step=2"), "{}", next.location());
    let step2 = get(&app, next.location(), Some(&token)).await;
    assert!(step2.text.contains("Step 2 of 5") && step2.text.contains("name=\"chest_pain\" value=\"no\""));

    let unsent = post(&app, "/me/checkins", Some(&token), "client_id=r3&chills=mild").await;
    assert_eq!(unsent.status, StatusCode::UNPROCESSABLE_ENTITY, "the core questions are required before sending");
    assert!(unsent.text.contains("Please answer these questions before you send"), "{}", unsent.text);

    let red = "stage=red_flags&client_id=r4&chest_pain=yes";
    let emergency = post(&app, "/me/checkins", Some(&token), red).await;
    assert_eq!(emergency.status, StatusCode::SEE_OTHER, "a red-flag yes is sent at once");
    assert!(emergency.location().starts_with("/me/checkins/"));
    let (_, stored) = app.get(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&token)).await;
    let levels: Vec<&str> =
        stored["checkins"].as_array().unwrap().iter().map(|c| c["level"].as_str().unwrap()).collect();
    assert_eq!(levels, ["emergency"], "only the red-flag check-in was stored");
    let screen = get(&app, emergency.location(), Some(&token)).await;
    assert!(screen.text.contains("Emergency"), "{}", screen.text);
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fahrenheit_temperature_typed_as_celsius_is_offered_one_tap_to_switch() {
    let app = app().await;
    let token = app.token("patient_a").await;
    let answers =
        "client_id=f1&temperature=101.5&temperature_unit=Cel&short_of_breath=none&fluids_not_kept_down_hours=0";
    let refused = post(&app, "/me/checkins", Some(&token), answers).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("Did you mean °F?"), "{}", refused.text);
    assert!(refused.text.contains("value=\"101.5\""), "the answer is kept");
    let switched = post(&app, "/me/checkins", Some(&token), &format!("{answers}&switch_unit=%5BdegF%5D")).await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER, "{}", switched.text);
    let (_, stored) = app.get(&format!("/api/v1/patients/{}/checkins", app.patient_a), Some(&token)).await;
    assert_eq!(stored["checkins"][0]["level"], "call_now", "101.5 °F is a fever");
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_spanish_check_in_works_end_to_end() {
    let app = app().await;
    let token = app.token("patient_a").await;
    let first = get(&app, "/me?lang=es", Some(&token)).await;
    assert!(first.text.contains("¿Cómo se siente hoy?") && first.text.contains("Paso 1 de 5"), "{}", first.text);
    assert!(first.text.contains("name=\"lang\" value=\"es\""), "the language rides along");
    let answers =
        "lang=es&client_id=es1&temperature=38.5&temperature_unit=Cel&short_of_breath=none&fluids_not_kept_down_hours=0";
    let sent = post(&app, "/me/checkins", Some(&token), answers).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.text);
    assert!(sent.location().ends_with("?lang=es"), "{}", sent.location());
    let result = get(&app, sent.location(), Some(&token)).await;
    let spanish = il2care_content::result_message_in(
        il2care_content::Language::Spanish,
        il2care_core::triage::Level::CallNow,
        &[],
        &il2care_content::SiteNumbers::default(),
    );
    assert!(result.text.contains(&spanish.headline), "the action in Spanish: {}", result.text);
    app.db.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn each_patient_reads_the_education_sheet_of_their_own_regimen_and_staff_can_print_it() {
    let app = app().await;
    let physician = app.token("physician").await;
    let started = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(30)).to_string();
    let immune = json!({"regimen": "saadoun-2011-sc", "started_at": started});
    let (status, _) = app.post(&format!("/api/v1/patients/{}/courses", app.patient_b), Some(&physician), &immune).await;
    assert_eq!(status, StatusCode::CREATED);
    high_dose_course(&app).await; // patient A: the high-dose cancer regimen
    let patient_b = app.token("patient_b").await;
    let own = get(&app, "/me/education", Some(&patient_b)).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(!own.text.contains("melanoma"), "a patient on a lupus or vasculitis regimen is not told about cancer");
    assert!(own.text.contains("graft-versus-host disease"), "the immune-condition text");
    let patient_a = app.token("patient_a").await;
    assert!(get(&app, "/me/education", Some(&patient_a)).await.text.contains("melanoma"), "the cancer text for hd-iv");
    let nurse = app.token("nurse").await;
    let staff = get(&app, &format!("/patients/{}/education", app.patient_b), Some(&nurse)).await;
    assert_eq!(staff.status, StatusCode::OK);
    assert!(
        staff.text.contains("Patient "),
        "the sheet carries the patient's name: {}",
        &staff.text[..200.min(staff.text.len())]
    );
    assert!(!staff.text.contains("melanoma"));
    assert_eq!(
        get(&app, &format!("/patients/{}/education", app.patient_b), Some(&patient_a)).await.status,
        StatusCode::FORBIDDEN
    );
    app.db.drop().await;
}
