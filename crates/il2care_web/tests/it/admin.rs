//! Administration on SQLite and PostgreSQL: the accounts API and pages (admin only, every refusal audited), the
//! one-time temporary password and the forced change, disabling, unlocking after wrong passwords; the audit
//! log's filters (exact rows, days in the ward's zone), keyset paging and CSV export; admitting a patient and
//! starting a course from the pages.

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use il2care_store::administration::{AuditFilter, audit_entries};
use il2care_store::audit::{AuditEntry, append};
use il2care_web::{AppState, router};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::on_both_backends;
use crate::support::{PASSWORD, TestApp};

/// A response: status, headers and the body as text.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|value| value.to_str().ok()).unwrap_or("")
    }
}

/// One request to `app` (or to `on`, a router of other site settings), with a bearer token and a form or JSON.
async fn send(
    on: &axum::Router,
    method: Method,
    path: &str,
    token: Option<&str>,
    content_type: &str,
    body: &str,
) -> Answer {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if !body.is_empty() {
        builder = builder.header(header::CONTENT_TYPE, content_type);
    }
    let response = on.clone().oneshot(builder.body(Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 64 * 1024 * 1024).await.unwrap();
    Answer { status, headers, text: String::from_utf8_lossy(&bytes).into_owned() }
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Answer {
    send(&app.router, Method::GET, path, token, "", "").await
}

async fn post_json(app: &TestApp, path: &str, token: Option<&str>, body: &Value) -> Answer {
    send(&app.router, Method::POST, path, token, "application/json", &body.to_string()).await
}

async fn post_form(app: &TestApp, path: &str, token: Option<&str>, form: &[(&str, &str)]) -> Answer {
    let body = serde_urlencoded::to_string(form).unwrap();
    send(&app.router, Method::POST, path, token, "application/x-www-form-urlencoded", &body).await
}

async fn sign_in(app: &TestApp, username: &str, password: &str) -> Answer {
    post_json(app, "/api/v1/session", None, &json!({"username": username, "password": password})).await
}

/// Audit entries by `actor` with `action`, as the store filters them.
async fn entries(app: &TestApp, actor: &str, action: &str) -> usize {
    let mut conn = app.db.store.connection().await.unwrap();
    let filter = AuditFilter { actor: Some(actor.into()), action: Some(action.into()), ..AuditFilter::default() };
    audit_entries(&mut conn, &filter, 10_000).await.unwrap().len()
}

async fn user_id(app: &TestApp, admin: &str, username: &str) -> i64 {
    let list = get(app, "/api/v1/accounts", Some(admin)).await.json();
    list["accounts"].as_array().unwrap().iter().find(|account| account["username"] == username).unwrap()["id"]
        .as_i64()
        .unwrap()
}

async fn state_of(app: &TestApp, admin: &str, username: &str) -> (String, i64) {
    let list = get(app, "/api/v1/accounts", Some(admin)).await.json();
    let account =
        list["accounts"].as_array().unwrap().iter().find(|account| account["username"] == username).unwrap().clone();
    (account["state"].as_str().unwrap().to_string(), account["recent_failures"].as_i64().unwrap())
}

async fn every_administration_endpoint_is_refused_and_audited_for_every_other_role(app: &TestApp) {
    let admin = app.token("admin").await;
    let nurse_id = user_id(app, &admin, "nurse").await;
    let endpoints: Vec<(Method, String, &str)> = vec![
        (Method::GET, "/api/v1/accounts".into(), ""),
        (Method::POST, "/api/v1/accounts".into(), r#"{"username":"x","display_name":"X","role":"nurse"}"#),
        (Method::POST, format!("/api/v1/accounts/{nurse_id}/disable"), ""),
        (Method::POST, format!("/api/v1/accounts/{nurse_id}/enable"), ""),
        (Method::POST, format!("/api/v1/accounts/{nurse_id}/unlock"), ""),
        (Method::POST, format!("/api/v1/accounts/{nurse_id}/password-reset"), ""),
        (Method::GET, "/api/v1/audit".into(), ""),
        (Method::GET, "/api/v1/audit?actor=nurse".into(), ""),
        (Method::GET, "/admin/accounts".into(), ""),
        (Method::GET, "/audit".into(), ""),
        (Method::GET, "/audit.csv".into(), ""),
    ];
    let form_endpoints: Vec<String> = vec![
        "/admin/accounts".into(),
        format!("/admin/accounts/{nurse_id}/disable"),
        format!("/admin/accounts/{nurse_id}/enable"),
        format!("/admin/accounts/{nurse_id}/unlock"),
        format!("/admin/accounts/{nurse_id}/reset"),
    ];
    for username in ["nurse", "physician", "pharmacist", "patient_a"] {
        let token = app.token(username).await;
        for (method, path, body) in &endpoints {
            let before = entries(app, username, "denied").await;
            let answer = send(&app.router, method.clone(), path, Some(&token), "application/json", body).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{username} {method} {path}: {}", answer.text);
            assert!(entries(app, username, "denied").await > before, "{username} {method} {path}: audited");
        }
        for path in &form_endpoints {
            let before = entries(app, username, "denied").await;
            let answer = post_form(app, path, Some(&token), &[("username", "x"), ("display_name", "X")]).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{username} POST {path}");
            assert!(entries(app, username, "denied").await > before, "{username} POST {path}: audited");
        }
    }
    // Nobody signed in: 401, and the nurse's account is untouched by all of it.
    for (method, path, body) in &endpoints {
        let answer = send(&app.router, method.clone(), path, None, "application/json", body).await;
        assert!(matches!(answer.status, StatusCode::UNAUTHORIZED | StatusCode::SEE_OTHER), "{path}");
    }
    assert_eq!(state_of(app, &admin, "nurse").await.0, "active");
    assert_eq!(sign_in(app, "nurse", PASSWORD).await.status, StatusCode::OK);
}

async fn a_new_nurses_temporary_password_works_once_and_must_be_replaced(app: &TestApp) {
    let admin = app.token("admin").await;
    let created = post_json(
        app,
        "/api/v1/accounts",
        Some(&admin),
        &json!({"username": "nina", "display_name": "Nina Nurse", "role": "nurse"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let temporary = created.json()["temporary_password"].as_str().unwrap().to_string();
    assert_eq!(temporary.len(), 23, "{temporary}");
    assert_eq!(state_of(app, &admin, "nina").await.0, "temporary_password");
    // A taken username is refused naming the field; nothing else was made.
    let taken = post_json(
        app,
        "/api/v1/accounts",
        Some(&admin),
        &json!({"username": "nina", "display_name": "Other", "role": "nurse"}),
    )
    .await;
    assert_eq!(
        (taken.status, taken.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("username"))
    );

    let session = sign_in(app, "nina", &temporary).await;
    assert_eq!(session.status, StatusCode::OK, "{}", session.text);
    assert_eq!(session.json()["must_change_password"], true);
    let token = session.json()["token"].as_str().unwrap().to_string();
    // Until the password is changed the session reaches nothing else (refusal audited).
    assert_eq!(get(app, "/api/v1/worklist", Some(&token)).await.status, StatusCode::FORBIDDEN);
    let page = get(app, "/worklist", Some(&token)).await;
    assert_eq!((page.status, page.location()), (StatusCode::SEE_OTHER, "/account/password"));
    // The temporary password worked once: a second sign-in with it is refused and audited.
    assert_eq!(sign_in(app, "nina", &temporary).await.status, StatusCode::FORBIDDEN);
    assert_eq!(entries(app, "nina", "login_temporary_password_spent").await, 1);
    // The new password: 11 characters refused, 12 accepted; the current password must be right.
    let change = |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let short = post_json(app, "/api/v1/account/password", Some(&token), &change(&temporary, "elevenchars")).await;
    assert_eq!(
        (short.status, short.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("new_password"))
    );
    let wrong = post_json(app, "/api/v1/account/password", Some(&token), &change("not it", "twelve chars")).await;
    assert_eq!(
        (wrong.status, wrong.json()["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("current_password"))
    );
    let done = post_json(app, "/api/v1/account/password", Some(&token), &change(&temporary, "twelve chars")).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert_eq!(get(app, "/api/v1/worklist", Some(&token)).await.status, StatusCode::OK);
    assert_eq!(sign_in(app, "nina", "twelve chars").await.status, StatusCode::OK);
    assert_eq!(sign_in(app, "nina", &temporary).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(state_of(app, &admin, "nina").await.0, "active");
    assert_eq!(entries(app, "admin", "account_create").await, 1);
    assert_eq!(entries(app, "nina", "password_change").await, 2, "the refused change and the change");

    // A reset: the old password and sessions stop working; the new temporary one works once.
    let nina = user_id(app, &admin, "nina").await;
    let reset = post_json(app, &format!("/api/v1/accounts/{nina}/password-reset"), Some(&admin), &json!({})).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.text);
    let second = reset.json()["temporary_password"].as_str().unwrap().to_string();
    assert_ne!(second, temporary);
    assert_eq!(get(app, "/api/v1/worklist", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(app, "nina", "twelve chars").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(app, "nina", &second).await.status, StatusCode::OK);
    assert_eq!(sign_in(app, "nina", &second).await.status, StatusCode::FORBIDDEN);
    assert_eq!(entries(app, "admin", "account_password_reset").await, 1);
}

async fn a_disabled_account_cannot_sign_in_and_its_sessions_end(app: &TestApp) {
    let admin = app.token("admin").await;
    let nurse = app.token("nurse").await;
    let nurse_id = user_id(app, &admin, "nurse").await;
    let disabled = post_json(app, &format!("/api/v1/accounts/{nurse_id}/disable"), Some(&admin), &json!({})).await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.text);
    assert_eq!(get(app, "/api/v1/worklist", Some(&nurse)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(sign_in(app, "nurse", PASSWORD).await.status, StatusCode::FORBIDDEN);
    assert_eq!(state_of(app, &admin, "nurse").await.0, "disabled");
    assert_eq!(entries(app, "nurse", "login_disabled").await, 1);
    let enabled = post_json(app, &format!("/api/v1/accounts/{nurse_id}/enable"), Some(&admin), &json!({})).await;
    assert_eq!(enabled.status, StatusCode::OK);
    assert_eq!(sign_in(app, "nurse", PASSWORD).await.status, StatusCode::OK);
    // An admin cannot disable their own account.
    let admin_id = user_id(app, &admin, "admin").await;
    let own = post_json(app, &format!("/api/v1/accounts/{admin_id}/disable"), Some(&admin), &json!({})).await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(get(app, "/api/v1/accounts", Some(&admin)).await.status, StatusCode::OK);
    assert_eq!((entries(app, "admin", "account_disable").await, entries(app, "admin", "account_enable").await), (1, 1));
}

async fn an_admin_unlocks_an_account_after_five_wrong_passwords(app: &TestApp) {
    let admin = app.token("admin").await;
    for attempt in 1..=4 {
        assert_eq!(sign_in(app, "pharmacist", "wrong password").await.status, StatusCode::UNAUTHORIZED, "{attempt}");
    }
    assert_eq!(state_of(app, &admin, "pharmacist").await, ("active".to_string(), 4), "four: not locked yet");
    assert_eq!(sign_in(app, "pharmacist", "wrong password").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(state_of(app, &admin, "pharmacist").await, ("locked".to_string(), 5), "five: locked");
    // Locked: even the right password waits, and so does another account from the same client.
    assert_eq!(sign_in(app, "pharmacist", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sign_in(app, "physician", PASSWORD).await.status, StatusCode::TOO_MANY_REQUESTS);
    let id = user_id(app, &admin, "pharmacist").await;
    let unlocked = post_json(app, &format!("/api/v1/accounts/{id}/unlock"), Some(&admin), &json!({})).await;
    assert_eq!(unlocked.status, StatusCode::OK);
    assert_eq!(state_of(app, &admin, "pharmacist").await, ("active".to_string(), 0));
    assert_eq!(sign_in(app, "pharmacist", PASSWORD).await.status, StatusCode::OK);
    // The unlocked account's failures no longer count against the client (a shared ward computer) either.
    assert_eq!(sign_in(app, "physician", PASSWORD).await.status, StatusCode::OK);
    assert_eq!(entries(app, "admin", "account_unlock").await, 1);
}

/// One seeded entry: actor, action, outcome, patient, time, resource, remote.
type Seed<'a> = (&'a str, &'a str, &'a str, Option<i64>, i64, &'a str, &'a str);

/// Seeds audit entries straight into the log.
async fn seed(app: &TestApp, rows: &[Seed<'_>]) {
    let mut conn = app.db.store.connection().await.unwrap();
    for (actor, action, outcome, patient_id, at_ms, resource, remote) in rows {
        let entry = AuditEntry {
            at_ms: *at_ms,
            actor,
            actor_role: "nurse",
            action,
            resource,
            patient_id: *patient_id,
            outcome,
            remote,
        };
        append(&mut conn, &entry).await.unwrap();
    }
}

fn ms(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_millisecond()
}

/// The ids (seeded order, newest first) an audit answer lists, mapped to the seeds' resources.
fn resources(answer: &Value) -> Vec<String> {
    answer["entries"].as_array().unwrap().iter().map(|entry| entry["resource"].as_str().unwrap().to_string()).collect()
}

async fn audit_filters_return_exactly_the_matching_rows_in_the_wards_days(app: &TestApp) {
    // The ward is in New York: its 1 March 2026 runs from 05:00 UTC on 1 March to 05:00 UTC on 2 March.
    let site = il2care_web::site::Site { ward_time_zone: "America/New_York".into(), ..Default::default() };
    let ward = router(AppState::new(app.db.store.clone()).with_site(site));
    seed(
        app,
        &[
            ("fil", "read", "ok", Some(app.patient_a), ms("2026-03-01T04:59:59.999Z"), "r1", "x"),
            ("fil", "read", "ok", Some(app.patient_a), ms("2026-03-01T05:00:00Z"), "r2", "x"),
            ("fil", "write", "ok", Some(app.patient_b), ms("2026-03-01T12:00:00Z"), "r3", "x"),
            ("fil", "denied", "denied", Some(app.patient_a), ms("2026-03-02T04:59:59.999Z"), "r4", "x"),
            ("fil", "read", "ok", None, ms("2026-03-02T05:00:00Z"), "r5", "x"),
            ("other", "read", "ok", Some(app.patient_a), ms("2026-03-01T06:00:00Z"), "r6", "x"),
            // Written last, timed mid-day: ids and times need not run in the same order.
            ("fil", "read", "ok", None, ms("2026-03-01T10:00:00Z"), "r7", "x"),
        ],
    )
    .await;
    let admin = app.token("admin").await;
    let query = |params: &str| {
        let ward = ward.clone();
        let admin = admin.clone();
        let path = format!("/api/v1/audit?{params}");
        async move { send(&ward, Method::GET, &path, Some(&admin), "", "").await }
    };
    let pa = app.patient_a;
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("actor=fil".into(), vec!["r7", "r5", "r4", "r3", "r2", "r1"]),
        ("actor=fil&from=2026-03-01&to=2026-03-01".into(), vec!["r7", "r4", "r3", "r2"]),
        ("actor=fil&from=2026-03-01&to=2026-03-01&limit=2".into(), vec!["r7", "r4"]),
        ("actor=fil&from=2026-03-02".into(), vec!["r5"]),
        ("actor=fil&to=2026-02-28".into(), vec!["r1"]),
        (format!("actor=fil&patient_id={pa}"), vec!["r4", "r2", "r1"]),
        (format!("patient_id={pa}&action=read&from=2026-03-01&to=2026-03-01"), vec!["r6", "r2"]),
        ("actor=fil&outcome=denied".into(), vec!["r4"]),
        ("actor=fil&action=write".into(), vec!["r3"]),
        ("actor=nobody".into(), vec![]),
    ];
    for (params, expected) in cases {
        let answer = query(&params).await;
        assert_eq!(answer.status, StatusCode::OK, "{params}: {}", answer.text);
        assert_eq!(resources(&answer.json()), expected, "{params}");
    }
    // Times are shown in the ward's zone too.
    let answer = query("actor=fil&action=write").await.json();
    assert_eq!(answer["entries"][0]["at_ward"], "2026-03-01T07:00:00-05:00");
    // The page shows the same rows, times in the ward's zone.
    let page = send(&ward, Method::GET, "/audit?actor=fil&from=2026-03-01&to=2026-03-01", Some(&admin), "", "").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text.matches("<tr data-id=").count(), 4, "{}", page.text);
    assert!(page.text.contains("07:00 EST"));
    // Bad filters are refused naming the parameter; nothing is listed.
    for (params, field) in [
        ("from=2026-02-30", "from"),
        ("patient_id=abc", "patient_id"),
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("before=-3", "before"),
        ("from=2026-03-02&to=2026-03-01", "to"),
    ] {
        let answer = query(params).await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{params}");
        assert_eq!(answer.json()["error"]["field"], field, "{params}");
    }
    assert_eq!(query("limit=1000").await.status, StatusCode::OK);
    let page = send(&ward, Method::GET, "/audit?from=2026-02-30", Some(&admin), "", "").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.text.contains("field invalid") || page.text.contains("class=\"invalid\""));
}

async fn audit_paging_walks_the_matching_rows_by_id_without_gaps_or_repeats(app: &TestApp) {
    let rows: Vec<(String, i64)> = (0..7).map(|index| (format!("p{index}"), 1_000 + index)).collect();
    let seeds: Vec<Seed<'_>> =
        rows.iter().map(|(resource, at)| ("pager", "read", "ok", None, *at, resource.as_str(), "x")).collect();
    seed(app, &seeds).await;
    let admin = app.token("admin").await;
    let mut seen = Vec::new();
    let mut before: Option<i64> = None;
    let mut pages = 0;
    loop {
        let cursor = before.map(|id| format!("&before={id}")).unwrap_or_default();
        let answer = get(app, &format!("/api/v1/audit?actor=pager&limit=3{cursor}"), Some(&admin)).await.json();
        pages += 1;
        let page = resources(&answer);
        assert!(page.len() <= 3);
        seen.extend(page);
        match answer["next_before"].as_i64() {
            Some(id) => before = Some(id),
            None => break,
        }
    }
    assert_eq!(pages, 3, "3 + 3 + 1");
    assert_eq!(seen, ["p6", "p5", "p4", "p3", "p2", "p1", "p0"]);
    // A page exactly full points on; the page after it is empty and ends.
    let full = get(app, "/api/v1/audit?actor=pager&limit=7", Some(&admin)).await.json();
    let next = full["next_before"].as_i64().unwrap();
    let after = get(app, &format!("/api/v1/audit?actor=pager&limit=7&before={next}"), Some(&admin)).await.json();
    assert_eq!((resources(&after).len(), after["next_before"].clone()), (0, Value::Null));
    let eight = get(app, "/api/v1/audit?actor=pager&limit=8", Some(&admin)).await.json();
    assert_eq!((resources(&eight).len(), eight["next_before"].clone()), (7, Value::Null));
}

async fn the_audit_csv_quotes_fields_and_defuses_formulas(app: &TestApp) {
    seed(
        app,
        &[
            ("=HYPERLINK(\"http://x\")", "read", "ok", None, 5_000, "a,b \"c\"\nd", "@evil"),
            ("=HYPERLINK(\"http://x\")", "-cmd", "ok", None, 5_001, "+1", "plain"),
        ],
    )
    .await;
    let admin = app.token("admin").await;
    let path = format!("/audit.csv?{}", serde_urlencoded::to_string([("actor", "=HYPERLINK(\"http://x\")")]).unwrap());
    let csv = get(app, &path, Some(&admin)).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text);
    assert!(csv.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let lines: Vec<&str> = csv.text.split("\r\n").collect();
    assert!(lines[0].starts_with("id,at_ward_time,at_utc,actor"));
    assert_eq!(lines.len(), 4, "header, two rows, the end: {lines:?}");
    assert!(lines[1].contains(",\"'=HYPERLINK(\"\"http://x\"\")\",nurse,'-cmd,'+1,,ok,plain"), "{}", lines[1]);
    assert!(lines[2].contains(",read,\"a,b \"\"c\"\"\nd\",,ok,'@evil"), "{}", lines[2]);
    // The export was audited as a read of the log.
    assert_eq!(
        {
            let mut conn = app.db.store.connection().await.unwrap();
            let filter = AuditFilter { actor: Some("admin".into()), ..AuditFilter::default() };
            audit_entries(&mut conn, &filter, 100)
                .await
                .unwrap()
                .iter()
                .filter(|e| e.resource == "audit/export")
                .count()
        },
        1
    );
}

async fn a_nurse_admits_and_a_physician_starts_a_course_from_the_pages(app: &TestApp) {
    let nurse = app.token("nurse").await;
    let admitted = [
        ("name", "Rosa Diaz"),
        ("date_of_birth", "1961-05-04"),
        ("sex", "female"),
        ("mrn", "MRN-77"),
        ("mrn_system", "urn:oid:1.2.3"),
        ("time_zone", "America/Chicago"),
        ("language", "es"),
        ("units", "us"),
    ];
    // A refused form comes back filled in, the field marked; nothing stored.
    let mut bad = admitted.to_vec();
    bad[1] = ("date_of_birth", "2999-01-01");
    let refused = post_form(app, "/patients/new", Some(&nurse), &bad).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("value=\"Rosa Diaz\"") && refused.text.contains("field invalid"));
    assert!(refused.text.contains("is in the future"));
    let before = app.get("/api/v1/patients", Some(&nurse)).await.1["patients"].as_array().unwrap().len();
    assert_eq!(before, 2);
    let done = post_form(app, "/patients/new", Some(&nurse), &admitted).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text);
    let patient_id: i64 = done.location().trim_start_matches("/patients/").parse().unwrap();
    let patient = app.get(&format!("/api/v1/patients/{patient_id}"), Some(&nurse)).await.1;
    assert_eq!((patient["mrn"].as_str(), patient["time_zone"].as_str()), (Some("MRN-77"), Some("America/Chicago")));
    let mut conn = app.db.store.connection().await.unwrap();
    let preferences = il2care_store::administration::patient_preferences(&mut conn, patient_id).await.unwrap().unwrap();
    drop(conn);
    assert_eq!(
        (preferences.mrn_system.as_str(), preferences.language.as_str(), preferences.units.as_str()),
        ("urn:oid:1.2.3", "es", "us")
    );
    // The same MRN again is refused on the MRN field.
    let twice = post_form(app, "/patients/new", Some(&nurse), &admitted).await;
    assert_eq!(twice.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Only a physician starts a course (refusal audited).
    let path = format!("/patients/{patient_id}/courses/new");
    assert_eq!(get(app, &path, Some(&nurse)).await.status, StatusCode::FORBIDDEN);
    let physician = app.token("physician").await;
    let form = get(app, &path, Some(&physician)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.text.contains("Rosa Diaz") && form.text.contains("value=\"consensus\" selected"));
    let course = |weight: &'static str| {
        vec![
            ("regimen", "hd-iv"),
            ("rule_set", "label"),
            ("baseline_weight", weight),
            ("baseline_weight_unit", "[lb_av]"),
            ("height", "68"),
            ("height_unit", "[in_i]"),
            ("started_at", "2026-12-01T08:00"),
        ]
    };
    // 60 lb is 27.2 kg, below the dosing limit of 30 kg: refused, filled in, nothing stored.
    let refused = post_form(app, &path, Some(&physician), &course("60")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("value=\"60\"") && refused.text.contains("field invalid"), "{}", refused.text);
    let courses_path = format!("/api/v1/patients/{patient_id}/courses");
    assert_eq!(app.get(&courses_path, Some(&physician)).await.1["courses"].as_array().unwrap().len(), 0);
    let started = post_form(app, &path, Some(&physician), &course("176")).await;
    assert_eq!(
        (started.status, started.location()),
        (StatusCode::SEE_OTHER, format!("/patients/{patient_id}").as_str())
    );
    let courses = app.get(&courses_path, Some(&physician)).await.1;
    let stored = &courses["courses"][0];
    assert_eq!(stored["regimen"], "hd-iv");
    assert_eq!(stored["rule_set"], "label");
    // 8:00 in the ward's zone (UTC in the test site).
    assert_eq!(stored["started_at"], "2026-12-01T08:00:00Z");
    let kg: f64 = stored["baseline_weight"]["value"].as_f64().unwrap();
    assert!((kg - 79.832_257_12).abs() < 0.001, "{kg}");
    let observations = app.get(&format!("/api/v1/patients/{patient_id}/observations"), Some(&physician)).await.1;
    assert!(observations.to_string().contains("height"), "{observations}");
}

async fn a_temporary_password_leads_the_sign_in_form_to_the_password_change(app: &TestApp) {
    let admin = app.token("admin").await;
    let created = post_form(
        app,
        "/admin/accounts",
        Some(&admin),
        &[("username", "paula"), ("display_name", "Paula Pharm"), ("role", "pharmacist"), ("patient_id", "")],
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.text);
    let temporary = created
        .text
        .split("id=\"temporary-password\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_string();
    let refused = post_form(
        app,
        "/admin/accounts",
        Some(&admin),
        &[("username", "has space"), ("display_name", "X"), ("role", "nurse")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("value=\"has space\"") && refused.text.contains("field invalid"));
    let signed = post_form(app, "/signin", None, &[("username", "paula"), ("password", &temporary)]).await;
    assert_eq!((signed.status, signed.location()), (StatusCode::SEE_OTHER, "/account/password"));
    let cookie = signed.headers[header::SET_COOKIE].to_str().unwrap();
    let token = cookie.trim_start_matches("il2care_session=").split(';').next().unwrap().to_string();
    let mismatch = post_form(
        app,
        "/account/password",
        Some(&token),
        &[("current_password", &temporary), ("new_password", "a long new password"), ("confirm_password", "other")],
    )
    .await;
    assert_eq!(mismatch.status, StatusCode::UNPROCESSABLE_ENTITY);
    let changed = post_form(
        app,
        "/account/password",
        Some(&token),
        &[
            ("current_password", &temporary),
            ("new_password", "a long new password"),
            ("confirm_password", "a long new password"),
        ],
    )
    .await;
    assert_eq!((changed.status, changed.location()), (StatusCode::SEE_OTHER, "/pharmacy"));
    assert_eq!(sign_in(app, "paula", "a long new password").await.status, StatusCode::OK);
}

on_both_backends!(
    every_administration_endpoint_is_refused_and_audited_for_every_other_role,
    a_new_nurses_temporary_password_works_once_and_must_be_replaced,
    a_disabled_account_cannot_sign_in_and_its_sessions_end,
    an_admin_unlocks_an_account_after_five_wrong_passwords,
    audit_filters_return_exactly_the_matching_rows_in_the_wards_days,
    audit_paging_walks_the_matching_rows_by_id_without_gaps_or_repeats,
    the_audit_csv_quotes_fields_and_defuses_formulas,
    a_nurse_admits_and_a_physician_starts_a_course_from_the_pages,
    a_temporary_password_leads_the_sign_in_form_to_the_password_change,
);
