//! Issue 19's hardening through the router, on SQLite and PostgreSQL: the cross-site check (sign-in included),
//! the response headers, sign-in throttling without lockout and its counting under concurrency, refusals
//! audited, `/healthz` following the writer through an injected fault; and on a real socket: a slow client
//! is cut off, connections past the cap get a 503, and shutdown ends within its grace.

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use il2care_web::{AppState, router};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

use crate::on_both_backends;
use crate::support::{PASSWORD, TestApp};

/// One request from client address `from`, with extra headers; answers the status, headers and JSON.
async fn request(
    router: &axum::Router,
    method: Method,
    path: &str,
    from: &str,
    headers: &[(&str, &str)],
    body: &str,
    content_type: &str,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let address: SocketAddr = format!("{from}:40000").parse().unwrap();
    let mut builder = Request::builder().method(method).uri(path).extension(ConnectInfo(address));
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    if !body.is_empty() {
        builder = builder.header("content-type", content_type);
    }
    let response = router.clone().oneshot(builder.body(Body::from(body.to_string())).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn sign_in(app: &TestApp, from: &str, username: &str, password: &str) -> StatusCode {
    let body = json!({"username": username, "password": password}).to_string();
    request(&app.router, Method::POST, "/api/v1/session", from, &[], &body, "application/json").await.0
}

async fn actions_of(app: &TestApp, actor: &str) -> Vec<String> {
    let mut conn = app.db.store.connection().await.unwrap();
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: Some(actor.into()), limit: 1000 };
    il2care_store::audit::query(&mut conn, &query).await.unwrap().into_iter().map(|e| e.action).collect()
}

async fn failures_stored(app: &TestApp) -> i64 {
    use sqlx::Row;
    let mut conn = app.db.store.connection().await.unwrap();
    sqlx::query("SELECT COUNT(*) AS n FROM login_attempts WHERE success = $1")
        .bind(false)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .try_get("n")
        .unwrap()
}

async fn a_cross_site_post_is_refused_and_audited(app: &TestApp) {
    let body = "username=nurse&password=correct+horse+battery";
    let form = "application/x-www-form-urlencoded";
    let evil = [("origin", "https://evil.example"), ("host", "localhost:8080")];
    let (status, _, refused) = request(&app.router, Method::POST, "/signin", "10.9.9.9", &evil, body, form).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "login CSRF: {refused}");
    assert_eq!(refused["error"]["field"], "origin");
    assert!(actions_of(app, "anonymous").await.contains(&"denied".to_string()), "the refusal is audited");
    // The same form from the service's own page signs in.
    let own = [("origin", "http://localhost:8080"), ("host", "localhost:8080")];
    let (status, headers, _) = request(&app.router, Method::POST, "/signin", "10.9.9.9", &own, body, form).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().to_string();
    assert!(!cookie.contains("Secure"), "plain http: no Secure flag");
    let session = cookie.split(';').next().unwrap().to_string();
    // A cross-site POST carrying the cookie is refused before the handler; a dose is not recorded.
    let dose = format!("/patients/{}/dose", app.patient_a);
    let with_cookie = [("origin", "https://evil.example"), ("cookie", session.as_str()), ("host", "localhost:8080")];
    let (status, _, _) =
        request(&app.router, Method::POST, &dose, "10.9.9.9", &with_cookie, "status=given", form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let referer_only = [("referer", "https://evil.example/page"), ("cookie", session.as_str())];
    let (status, _, _) = request(&app.router, Method::POST, "/signout", "10.9.9.9", &referer_only, "", form).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A bearer-token API client without cookie or Origin is not affected.
    let token = app.token("nurse").await;
    let (status, _) = app.get("/api/v1/patients", Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
}

async fn every_answer_carries_the_protective_headers(app: &TestApp) {
    let token = app.token("nurse").await;
    let bearer = format!("Bearer {token}");
    let patient = format!("/api/v1/patients/{}", app.patient_a);
    let fhir = format!("/fhir/Patient/{}/$everything", app.patient_a);
    for path in ["/healthz", "/api/v1/patients", patient.as_str(), fhir.as_str(), "/signin", "/nowhere"] {
        let (_, headers, _) =
            request(&app.router, Method::GET, path, "10.1.1.1", &[("authorization", &bearer)], "", "").await;
        assert_eq!(headers.get(header::X_CONTENT_TYPE_OPTIONS).unwrap(), "nosniff", "{path}");
        assert_eq!(headers.get(header::REFERRER_POLICY).unwrap(), "no-referrer", "{path}");
        assert_eq!(headers.get(header::CACHE_CONTROL).unwrap(), "no-store", "{path}");
        let policy = headers.get(header::CONTENT_SECURITY_POLICY).unwrap().to_str().unwrap();
        assert!(policy.contains("frame-ancestors 'none'"), "{path}: {policy}");
    }
}

async fn fhir_full_urls_use_the_configured_public_url_never_the_host(app: &TestApp) {
    let state = AppState::new(app.db.store.clone()).with_public_url("https://ward.example.org").unwrap();
    let secure = router(state);
    let body = json!({"username": "nurse", "password": PASSWORD}).to_string();
    let (status, headers, session) =
        request(&secure, Method::POST, "/api/v1/session", "10.2.2.2", &[], &body, "application/json").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get(header::SET_COOKIE).unwrap().to_str().unwrap().ends_with("; Secure"), "https: Secure cookie");
    let bearer = format!("Bearer {}", session["token"].as_str().unwrap());
    let spoofed = [("authorization", bearer.as_str()), ("host", "evil.example"), ("x-forwarded-proto", "gopher")];
    let path = format!("/fhir/Patient/{}/$everything", app.patient_a);
    let (status, _, bundle) = request(&secure, Method::GET, &path, "10.2.2.2", &spoofed, "", "").await;
    assert_eq!(status, StatusCode::OK);
    let text = bundle.to_string();
    assert!(text.contains("https://ward.example.org/fhir/"), "{text}");
    assert!(!text.contains("evil.example") && !text.contains("gopher"), "{text}");
}

async fn others_guessing_cannot_lock_an_account_out_of_its_known_client(app: &TestApp) {
    assert_eq!(sign_in(app, "10.0.0.1", "nurse", PASSWORD).await, StatusCode::OK, "the nurse's own workstation");
    for n in 0..12 {
        let status = sign_in(app, &format!("192.0.2.{n}"), "nurse", "guess").await;
        assert!(status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS, "{status}");
    }
    // Guessers from elsewhere are throttled; the nurse's known client still signs in.
    assert_eq!(sign_in(app, "192.0.2.200", "nurse", "guess").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sign_in(app, "10.0.0.1", "nurse", PASSWORD).await, StatusCode::OK);
    // One client rotating usernames is throttled by its address.
    for user in ["physician", "pharmacist", "admin", "patient_a", "patient_b", "nobody"] {
        sign_in(app, "198.51.100.7", user, "guess").await;
    }
    assert_eq!(sign_in(app, "198.51.100.7", "someone-else", "guess").await, StatusCode::TOO_MANY_REQUESTS);
}

async fn concurrent_wrong_passwords_are_each_counted(app: &TestApp) {
    let mut handles = Vec::new();
    for n in 0..40 {
        let router = app.router.clone();
        handles.push(tokio::spawn(async move {
            let body = json!({"username": "pharmacist", "password": format!("guess-{n}")}).to_string();
            request(&router, Method::POST, "/api/v1/session", "203.0.113.5", &[], &body, "application/json").await.0
        }));
    }
    let mut refused = 0;
    let mut throttled = 0;
    for handle in handles {
        match handle.await.unwrap() {
            StatusCode::UNAUTHORIZED => refused += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert_eq!(refused + throttled, 40);
    assert_eq!(refused, 5, "exactly the free failures had their password checked, not more under concurrency");
    assert_eq!(failures_stored(app).await, refused, "every checked failure is counted in the database");
    let actions = actions_of(app, "pharmacist").await;
    assert_eq!(actions.iter().filter(|a| *a == "login_failed").count(), 5);
}

async fn an_oversized_or_nul_username_is_refused_before_anything_is_stored(app: &TestApp) {
    let long = "u".repeat(65);
    for (username, reason) in [(long.as_str(), "longer than 64"), ("nurse\u{0}", "NUL"), ("", "empty")] {
        let body = json!({"username": username, "password": "x"}).to_string();
        let (status, _, error) =
            request(&app.router, Method::POST, "/api/v1/session", "10.3.3.3", &[], &body, "application/json").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert_eq!(error["error"]["field"], "username");
        assert!(error["error"]["message"].as_str().unwrap().contains(reason), "{error}");
    }
    assert_eq!(failures_stored(app).await, 0, "nothing of a refused sign-in is stored");
}

async fn refusals_are_audited_and_anonymous_floods_summarised(app: &TestApp) {
    for _ in 0..30 {
        let headers = [("authorization", "Bearer not-a-token")];
        let (status, _, _) = request(&app.router, Method::GET, "/api/v1/patients", "10.4.4.4", &headers, "", "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let anonymous = actions_of(app, "anonymous").await;
    let audited = anonymous.iter().filter(|a| *a == "unauthenticated").count();
    assert_eq!(audited, 10, "a few a minute per client, the rest summarised: {anonymous:?}");
    let token = app.token("patient_a").await;
    let other = format!("/api/v1/patients/{}/checkins", app.patient_b);
    let (status, _) = app.get(&other, Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(actions_of(app, "patient_a").await.iter().any(|a| a == "denied"), "a 403 is audited under its user");
}

async fn healthz_follows_the_writer_through_a_fault(app: &TestApp) {
    assert_eq!(app.get("/healthz", None).await.0, StatusCode::OK);
    app.db.store.writer_health().inject_commit_failure(true);
    let token = app.token("patient_a").await;
    let checkin = json!({"at": "2026-12-04T09:00:00Z", "answers": {"chills": "mild"}});
    let path = format!("/api/v1/patients/{}/checkins", app.patient_a);
    let (status, error) = app.post(&path, Some(&token), &checkin).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{error}");
    assert_eq!(app.get("/healthz", None).await.0, StatusCode::SERVICE_UNAVAILABLE);
    app.db.store.writer_health().inject_commit_failure(false);
    assert_eq!(app.get("/healthz", None).await.0, StatusCode::OK, "recovered without a restart");
    let (status, stored) = app.post(&path, Some(&token), &checkin).await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    let (status, _) = app.get(&path, Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(matches!(app.db.store.verify_audit().await.unwrap(), il2care_store::audit::Verification::Intact { .. }));
}

async fn a_patient_past_the_hourly_write_limit_is_told_plainly(app: &TestApp) {
    let limited = router(AppState::new(app.db.store.clone()).with_patient_writes_per_hour(30));
    let credentials = json!({"username": "patient_a", "password": PASSWORD}).to_string();
    let (_, _, session) =
        request(&limited, Method::POST, "/api/v1/session", "10.5.5.5", &[], &credentials, "application/json").await;
    let bearer = format!("Bearer {}", session["token"].as_str().unwrap());
    let path = format!("/api/v1/patients/{}/checkins", app.patient_a);
    let checkin = json!({"at": "2026-12-04T09:00:00Z", "answers": {"chills": "mild"}}).to_string();
    let post = |body: String| {
        let (limited, path, bearer) = (limited.clone(), path.clone(), bearer.clone());
        async move {
            let auth = [("authorization", bearer.as_str())];
            let (status, _, answer) =
                request(&limited, Method::POST, &path, "10.5.5.5", &auth, &body, "application/json").await;
            (status, answer)
        }
    };
    for n in 0..30 {
        let (status, body) = post(checkin.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "write {n}: {body}");
    }
    let (status, body) = post(checkin.clone()).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("call your care team"), "{body}");
    let nurse = app.token("nurse").await;
    let checkin: Value = serde_json::from_str(&checkin).unwrap();
    assert_eq!(app.post(&path, Some(&nurse), &checkin).await.0, StatusCode::CREATED, "staff are not limited");
}

on_both_backends!(
    a_patient_past_the_hourly_write_limit_is_told_plainly,
    a_cross_site_post_is_refused_and_audited,
    every_answer_carries_the_protective_headers,
    fhir_full_urls_use_the_configured_public_url_never_the_host,
    others_guessing_cannot_lock_an_account_out_of_its_known_client,
    concurrent_wrong_passwords_are_each_counted,
    an_oversized_or_nul_username_is_refused_before_anything_is_stored,
    refusals_are_audited_and_anonymous_floods_summarised,
    healthz_follows_the_writer_through_a_fault,
);

async fn start(
    limits: il2care_web::server::Limits,
) -> (SocketAddr, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>, il2care_store::testing::TestDb) {
    let db = il2care_store::testing::TestDb::sqlite().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = router(AppState::new(db.store.clone()));
    let server = tokio::spawn(async move {
        il2care_web::server::serve(listener, app, limits, async move {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    (address, stop, server, db)
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_clients_are_cut_off_excess_connections_get_503_and_shutdown_is_bounded() {
    let limits = il2care_web::server::Limits {
        max_connections: 2,
        idle_timeout: Duration::from_millis(500),
        shutdown_grace: Duration::from_millis(500),
    };
    let (address, stop, server, db) = start(limits).await;
    // Half-sent headers: the server closes the connection after the idle timeout.
    let mut slow = tokio::net::TcpStream::connect(address).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut buffer = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), slow.read_to_end(&mut buffer)).await;
    assert!(closed.is_ok(), "a half-sent request is not held open");
    // Two connections held: the third is told 503 and closed.
    let mut first = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut second = tokio::net::TcpStream::connect(address).await.unwrap();
    first.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    second.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut third = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(5), third.read_to_string(&mut answer)).await.unwrap().unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    // Shutdown with a client mid-request ends within the grace (plus scheduling slack).
    let started = std::time::Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), server).await.expect("shutdown ends").unwrap();
    assert!(started.elapsed() < Duration::from_secs(3), "{:?}", started.elapsed());
    drop((first, second));
    db.drop().await;
}
