//! SMART App Launch (EHR launch) end to end, on both databases, against a small EHR written here: a real
//! HTTP server on loopback that serves `.well-known/smart-configuration`, `/authorize` (redirects back with a
//! code and the state), `/token` (checks HTTP Basic client authentication, the PKCE verifier against the
//! challenge, the redirect URI, and that each code is used once; answers an id_token signed with the
//! TEST-ONLY key `tests/keys/ehr-rsa.key`), its JWKS, and `Patient/{id}` (only with the access token).
//! il2care is driven in-process (`oneshot`) as the browser would drive it; il2care itself calls the EHR
//! over HTTP. Covered: the happy path (session cookie, course page, audit), a wrong state, a replayed state
//! and a replayed code, PKCE (a cookie from another browser, and a verifier the EHR does not accept), an
//! unknown `iss`, a patient whose birth date differs, an unmapped `fhirUser`, an expired id_token (and one
//! within the clock leeway), and the `smart` link on patient-view cards.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Form, Path as UrlPath, Query, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use il2care_store::audit::AuditQuery;
use il2care_web::smart::{SmartConfig, basic_authorization, code_challenge};
use il2care_web::{AppState, router};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::on_both_backends;
use crate::support::{TEST_MRN_SYSTEM, TestApp};

const CLIENT_ID: &str = "il2care-test-client";
const CLIENT_SECRET: &str = "test-secret-of-il2care";
/// il2care's redirect URI (the default public URL of a test state).
const REDIRECT_URI: &str = "http://localhost:8080/smart/callback";
const ACCESS_TOKEN: &str = "ehr-access-token-1";
const NURSE: &str = "Practitioner/nurse-1";

fn key_text(name: &str) -> String {
    let keys: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys");
    std::fs::read_to_string(keys.join(name)).unwrap()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// What the test EHR does and what it saw.
struct EhrState {
    base: String,
    /// code → (code_challenge, redirect_uri, used)
    codes: HashMap<String, (String, String, bool)>,
    next_code: u32,
    /// The id_token's `exp`, in seconds from the token request.
    id_token_lifetime: i64,
    fhir_user: String,
    birth_date: String,
    /// `/authorize` records another challenge than the one sent (the verifier will not match).
    tamper_challenge: bool,
    discovery_hits: usize,
    token_requests: usize,
    token_refusals: Vec<String>,
    patient_reads: usize,
}

#[derive(Clone)]
struct Ehr(Arc<Mutex<EhrState>>);

impl Ehr {
    fn fhir_base(&self) -> String {
        format!("{}/fhir", self.0.lock().unwrap().base)
    }
    fn with<T>(&self, change: impl FnOnce(&mut EhrState) -> T) -> T {
        change(&mut self.0.lock().unwrap())
    }
}

async fn smart_configuration(State(ehr): State<Ehr>) -> Response {
    let base = ehr.with(|state| {
        state.discovery_hits += 1;
        state.base.clone()
    });
    axum::Json(json!({
        "issuer": format!("{base}/auth"),
        "jwks_uri": format!("{base}/auth/jwks"),
        "authorization_endpoint": format!("{base}/auth/authorize"),
        "token_endpoint": format!("{base}/auth/token"),
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "grant_types_supported": ["authorization_code"],
        "scopes_supported": ["openid", "fhirUser", "launch", "patient/*.read"],
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
        "capabilities": ["launch-ehr", "client-confidential-symmetric", "context-ehr-patient", "sso-openid-connect",
                         "permission-patient", "permission-v1"]
    }))
    .into_response()
}

async fn authorize(State(ehr): State<Ehr>, Query(query): Query<HashMap<String, String>>) -> Response {
    let fhir_base = ehr.fhir_base();
    let expect = |name: &str, value: &str| query.get(name).map(String::as_str) == Some(value);
    let scope: Vec<&str> = query.get("scope").map(|scope| scope.split(' ').collect()).unwrap_or_default();
    let good = expect("response_type", "code")
        && expect("client_id", CLIENT_ID)
        && expect("redirect_uri", REDIRECT_URI)
        && expect("launch", "launch-abc")
        && expect("aud", &fhir_base)
        && expect("code_challenge_method", "S256")
        && ["launch", "openid", "fhirUser", "patient/*.read"].iter().all(|needed| scope.contains(needed))
        && query.get("state").is_some_and(|state| state.len() >= 22)
        && query.get("code_challenge").is_some_and(|challenge| challenge.len() == 43);
    if !good {
        return (StatusCode::BAD_REQUEST, format!("bad authorization request: {query:?}")).into_response();
    }
    let code = ehr.with(|state| {
        state.next_code += 1;
        let code = format!("code-{}", state.next_code);
        let challenge =
            if state.tamper_challenge { code_challenge("another-verifier") } else { query["code_challenge"].clone() };
        state.codes.insert(code.clone(), (challenge, query["redirect_uri"].clone(), false));
        code
    });
    let back = serde_urlencoded::to_string([("code", code.as_str()), ("state", query["state"].as_str())]).unwrap();
    Redirect::to(&format!("{}?{back}", query["redirect_uri"])).into_response()
}

fn token_error(ehr: &Ehr, error: &str) -> Response {
    ehr.with(|state| state.token_refusals.push(error.to_string()));
    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": error}))).into_response()
}

async fn token(State(ehr): State<Ehr>, headers: HeaderMap, Form(form): Form<HashMap<String, String>>) -> Response {
    ehr.with(|state| state.token_requests += 1);
    let authorization = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
    if authorization != Some(basic_authorization(CLIENT_ID, CLIENT_SECRET).as_str()) {
        return token_error(&ehr, "invalid_client");
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return token_error(&ehr, "unsupported_grant_type");
    }
    let code = form.get("code").cloned().unwrap_or_default();
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let checked = ehr.with(|state| {
        let Some((challenge, redirect_uri, used)) = state.codes.get_mut(&code) else { return Err("unknown code") };
        if *used {
            return Err("code used before");
        }
        *used = true;
        if form.get("redirect_uri") != Some(redirect_uri) {
            return Err("redirect_uri differs");
        }
        if code_challenge(&verifier) != *challenge {
            return Err("PKCE verifier does not match");
        }
        Ok((state.base.clone(), state.fhir_user.clone(), state.id_token_lifetime))
    });
    let (base, fhir_user, lifetime) = match checked {
        Ok(found) => found,
        Err(why) => return token_error(&ehr, &format!("invalid_grant: {why}")),
    };
    let claims = json!({"iss": format!("{base}/auth"), "sub": "user-1", "aud": CLIENT_ID, "exp": now() + lifetime,
                        "iat": now(), "fhirUser": fhir_user, "name": "Nora Nurse"});
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some("ehr-1".into());
    let key = EncodingKey::from_rsa_pem(key_text("ehr-rsa.key").as_bytes()).unwrap();
    let id_token = encode(&header, &claims, &key).unwrap();
    let body = json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 300,
                      "scope": "launch openid fhirUser patient/*.read", "id_token": id_token, "patient": "ehr-pat-1"});
    ([(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], axum::Json(body)).into_response()
}

async fn jwks() -> Response {
    let key = EncodingKey::from_rsa_pem(key_text("ehr-rsa.key").as_bytes()).unwrap();
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::RS256).unwrap();
    jwk.common.key_id = Some("ehr-1".into());
    axum::Json(JwkSet { keys: vec![jwk] }).into_response()
}

async fn patient(State(ehr): State<Ehr>, UrlPath(id): UrlPath<String>, headers: HeaderMap) -> Response {
    let bearer = format!("Bearer {ACCESS_TOKEN}");
    if headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok()) != Some(bearer.as_str()) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if id != "ehr-pat-1" {
        return StatusCode::NOT_FOUND.into_response();
    }
    let birth_date = ehr.with(|state| {
        state.patient_reads += 1;
        state.birth_date.clone()
    });
    axum::Json(json!({"resourceType": "Patient", "id": "ehr-pat-1",
                      "identifier": [{"system": "urn:oid:9.9.9", "value": "A-1"},
                                     {"system": TEST_MRN_SYSTEM, "value": "A-1"}],
                      "name": [{"use": "official", "family": "A-1", "given": ["Patient"]}],
                      "birthDate": birth_date}))
    .into_response()
}

/// Starts the test EHR on a loopback port.
async fn start_ehr() -> Ehr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let ehr = Ehr(Arc::new(Mutex::new(EhrState {
        base,
        codes: HashMap::new(),
        next_code: 0,
        id_token_lifetime: 300,
        fhir_user: NURSE.into(),
        birth_date: "1970-01-01".into(),
        tamper_challenge: false,
        discovery_hits: 0,
        token_requests: 0,
        token_refusals: Vec::new(),
        patient_reads: 0,
    })));
    let app = axum::Router::new()
        .route("/fhir/.well-known/smart-configuration", get(smart_configuration))
        .route("/fhir/Patient/{id}", get(patient))
        .route("/auth/authorize", get(authorize))
        .route("/auth/token", post(token))
        .route("/auth/jwks", get(jwks))
        .with_state(ehr.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    ehr
}

/// il2care with this EHR configured: the nurse and a physician mapped, the secret in the file.
fn il2care(app: &TestApp, ehr: &Ehr) -> axum::Router {
    let document = json!({"issuers": [{"iss": ehr.fhir_base(), "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                       "fhir_users": {NURSE: "nurse", "Practitioner/doc-1": "physician"}}]});
    let config = SmartConfig::from_json(&document.to_string(), Path::new(".")).unwrap();
    router(AppState::new(app.db.store.clone()).with_mrn_system(TEST_MRN_SYSTEM).with_smart(config))
}

/// One answer of il2care: status, headers, body text.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn cookies(&self) -> Vec<String> {
        self.headers.get_all(header::SET_COOKIE).iter().map(|value| value.to_str().unwrap().to_string()).collect()
    }

    /// The session cookie's `name=value`, if one was set.
    fn session(&self) -> Option<String> {
        self.cookies()
            .into_iter()
            .find(|cookie| cookie.starts_with("il2care_session=") && !cookie.contains("Max-Age=0"))
            .map(|cookie| cookie.split(';').next().unwrap().to_string())
    }
}

async fn get_page(il2care: &axum::Router, path: &str, cookie: Option<&str>) -> Answer {
    let mut request = Request::builder().uri(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = il2care.clone().oneshot(request.body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    Answer { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
}

/// The launch and the EHR's authorization as the browser goes through them: the callback's query string and
/// the launch cookie (`name=value`).
async fn launch_and_authorize(il2care: &axum::Router, ehr: &Ehr) -> (String, String) {
    let query = serde_urlencoded::to_string([("iss", ehr.fhir_base().as_str()), ("launch", "launch-abc")]).unwrap();
    let launched = get_page(il2care, &format!("/smart/launch?{query}"), None).await;
    assert_eq!(launched.status, StatusCode::SEE_OTHER, "{}", launched.body);
    let cookie = launched.cookies().into_iter().find(|cookie| cookie.starts_with("il2care_smart_")).unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/smart/callback"));
    let location = launched.headers[header::LOCATION].to_str().unwrap().to_string();
    assert!(location.starts_with(&format!("{}/auth/authorize?", ehr.with(|state| state.base.clone()))), "{location}");
    // The browser at the EHR's authorization endpoint: a real HTTP request, which redirects back.
    let back = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent =
            ureq::Agent::config_builder().max_redirects(0).http_status_as_error(false).build().into();
        let response = agent.get(&location).call().unwrap();
        assert_eq!(response.status().as_u16(), 303, "the EHR's /authorize accepted the request");
        response.headers()["location"].to_str().unwrap().to_string()
    })
    .await
    .unwrap();
    let query = back.strip_prefix(&format!("{REDIRECT_URI}?")).unwrap().to_string();
    (query, cookie.split(';').next().unwrap().to_string())
}

fn query_value(query: &str, name: &str) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    pairs.into_iter().find(|(key, _)| key == name).unwrap().1
}

fn with_value(query: &str, name: &str, value: &str) -> String {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let pairs: Vec<(String, String)> =
        pairs.into_iter().map(|(key, old)| if key == name { (key, value.to_string()) } else { (key, old) }).collect();
    serde_urlencoded::to_string(pairs).unwrap()
}

/// The audit entries of `actor`: (action, resource, outcome, patient id).
async fn audit_of(app: &TestApp, actor: &str) -> Vec<(String, String, String, Option<i64>)> {
    let mut conn = app.db.store.connection().await.unwrap();
    let query = AuditQuery { patient_id: None, actor: Some(actor.to_string()), limit: 1000 };
    il2care_store::audit::query(&mut conn, &query)
        .await
        .unwrap()
        .into_iter()
        .map(|entry| (entry.action, entry.resource, entry.outcome, entry.patient_id))
        .collect()
}

fn has(entries: &[(String, String, String, Option<i64>)], action: &str, resource: &str, outcome: &str) -> bool {
    entries.iter().any(|(a, r, o, _)| a == action && r.contains(resource) && o == outcome)
}

async fn a_launch_from_the_ehr_signs_the_nurse_in_on_the_patients_course_page(app: &TestApp) {
    let ehr = start_ehr().await;
    let il2care = il2care(app, &ehr);
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let answer = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let target = format!("/patients/{}", app.patient_a);
    assert!(answer.body.contains(&format!("url={target}")), "moves on to the course page: {}", answer.body);
    assert!(answer.body.contains(&format!("href=\"{target}\"")));
    let session = answer.session().expect("a session cookie is set");
    let set = answer.cookies().into_iter().find(|cookie| cookie.starts_with("il2care_session=")).unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    assert!(answer.cookies().iter().any(|c| c.starts_with("il2care_smart_") && c.contains("Max-Age=0")), "spent");
    assert!(!answer.body.contains(ACCESS_TOKEN), "no token on the page");
    assert_eq!(ehr.with(|state| (state.token_requests, state.patient_reads)), (1, 1));

    let course = get_page(&il2care, &target, Some(&session)).await;
    assert_eq!(course.status, StatusCode::OK, "{}", course.body);
    assert!(course.body.contains("Patient A-1"), "the launched patient's course page");
    assert!(course.body.contains("Nora Nurse"), "signed in under the id_token's name");

    let user = format!("{}/{NURSE}", ehr.fhir_base());
    let entries = audit_of(app, &user).await;
    assert!(has(&entries, "login", "session/smart", "ok"), "{entries:?}");
    assert!(entries.iter().any(|(a, _, _, patient)| a == "login" && *patient == Some(app.patient_a)));
    assert!(has(&entries, "read", &format!("patient/{}", app.patient_a), "ok"), "the course page read: {entries:?}");
    let launches = audit_of(app, &format!("ehr:{}", ehr.fhir_base())).await;
    assert!(has(&launches, "smart_launch", "smart/launch", "ok"), "{launches:?}");

    // A second launch of the same clinician reuses the account.
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let again = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.session().is_some());
}

async fn a_wrong_state_is_refused_before_the_code_is_exchanged(app: &TestApp) {
    let ehr = start_ehr().await;
    let il2care = il2care(app, &ehr);
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let forged = with_value(&query, "state", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    let answer = get_page(&il2care, &format!("/smart/callback?{forged}"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("not recognised"), "{}", answer.body);
    assert!(!answer.body.contains("panicked") && !answer.body.contains("src/"), "a plain page");
    assert!(answer.session().is_none());
    assert_eq!(ehr.with(|state| state.token_requests), 0, "the code was not exchanged");
    let entries = audit_of(app, "anonymous").await;
    assert!(has(&entries, "smart_callback", "smart/callback/unknown-state", "denied"), "{entries:?}");
    // No state at all.
    let answer = get_page(&il2care, "/smart/callback?code=x", None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.session().is_none());
}

async fn a_replayed_callback_or_code_opens_no_session(app: &TestApp) {
    let ehr = start_ehr().await;
    let il2care = il2care(app, &ehr);
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let first = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    // The same callback again: the state is spent.
    let replayed = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(replayed.status, StatusCode::BAD_REQUEST);
    assert!(replayed.body.contains("used already"), "{}", replayed.body);
    assert!(replayed.session().is_none());
    assert_eq!(ehr.with(|state| state.token_requests), 1);
    // The spent code under a fresh launch's state: the EHR refuses it, il2care opens nothing.
    let (fresh, fresh_cookie) = launch_and_authorize(&il2care, &ehr).await;
    let stolen = with_value(&fresh, "code", &query_value(&query, "code"));
    let answer = get_page(&il2care, &format!("/smart/callback?{stolen}"), Some(&fresh_cookie)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(answer.body.contains("refused"), "{}", answer.body);
    assert!(answer.session().is_none());
    assert!(ehr.with(|state| state.token_refusals.iter().any(|refusal| refusal.contains("code used before"))));
    let ehr_entries = audit_of(app, &format!("ehr:{}", ehr.fhir_base())).await;
    assert!(
        has(&ehr_entries, "smart_callback", "smart/callback/token-refused-invalid_grant", "denied"),
        "{ehr_entries:?}"
    );
    let anonymous = audit_of(app, "anonymous").await;
    assert!(has(&anonymous, "smart_callback", "smart/callback/state-reused", "denied"), "{anonymous:?}");
}

async fn a_pkce_mismatch_opens_no_session(app: &TestApp) {
    let ehr = start_ehr().await;
    let il2care = il2care(app, &ehr);
    // Another browser's cookie (a verifier that does not hash to this launch's challenge): refused by il2care.
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let (name, _) = cookie.split_once('=').unwrap();
    let other = format!("{name}=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
    let answer = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&other)).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.body.contains("another browser"), "{}", answer.body);
    assert!(answer.session().is_none());
    assert_eq!(ehr.with(|state| state.token_requests), 0);
    // Without the cookie at all.
    let (query, _) = launch_and_authorize(&il2care, &ehr).await;
    let answer = get_page(&il2care, &format!("/smart/callback?{query}"), None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert!(answer.session().is_none());
    // The EHR holds another challenge for the code: its token endpoint refuses the verifier.
    ehr.with(|state| state.tamper_challenge = true);
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let answer = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert!(answer.session().is_none());
    assert!(ehr.with(|state| state.token_refusals.iter().any(|refusal| refusal.contains("PKCE"))));
    let entries = audit_of(app, &format!("ehr:{}", ehr.fhir_base())).await;
    assert!(has(&entries, "smart_callback", "smart/callback/browser-mismatch", "denied"), "{entries:?}");
    assert!(has(&entries, "smart_callback", "smart/callback/token-refused", "denied"), "{entries:?}");
}

async fn a_launch_from_an_unknown_fhir_server_is_refused_without_contacting_it(app: &TestApp) {
    let ehr = start_ehr().await;
    let il2care = il2care(app, &ehr);
    let elsewhere = format!("{}/other-fhir", ehr.with(|state| state.base.clone()));
    for iss in ["https://evil.example.org/fhir", elsewhere.as_str()] {
        let query = serde_urlencoded::to_string([("iss", iss), ("launch", "launch-abc")]).unwrap();
        let answer = get_page(&il2care, &format!("/smart/launch?{query}"), None).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
        assert!(answer.body.contains("not allowed to open il2care"), "{}", answer.body);
        assert!(answer.headers.get(header::LOCATION).is_none() && answer.cookies().is_empty());
    }
    assert_eq!(ehr.with(|state| state.discovery_hits), 0);
    // A launch without iss or launch.
    let answer = get_page(&il2care, "/smart/launch?launch=x", None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    let entries = audit_of(app, "anonymous").await;
    assert!(has(&entries, "smart_launch", "smart/launch/unknown-iss", "denied"), "{entries:?}");
    assert!(has(&entries, "smart_launch", "smart/launch/missing-parameter", "denied"), "{entries:?}");
    // Without --smart-config there is no launch at all.
    let plain = router(AppState::new(app.db.store.clone()));
    let query = serde_urlencoded::to_string([("iss", ehr.fhir_base().as_str()), ("launch", "launch-abc")]).unwrap();
    let answer = get_page(&plain, &format!("/smart/launch?{query}"), None).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

async fn a_launched_patient_whose_birth_date_differs_could_not_be_matched(app: &TestApp) {
    let ehr = start_ehr().await;
    let il2care = il2care(app, &ehr);
    ehr.with(|state| state.birth_date = "1971-01-01".into());
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let answer = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert!(answer.body.contains("Patient could not be matched"), "{}", answer.body);
    assert!(!answer.body.contains("Patient A-1"), "nothing of the stored record is shown");
    assert!(answer.session().is_none());
    let user = format!("{}/{NURSE}", ehr.fhir_base());
    let entries = audit_of(app, &user).await;
    let mismatch = format!("smart/callback/patient/{}/mismatch/birthDate", app.patient_a);
    assert!(
        entries
            .iter()
            .any(|(a, r, o, p)| a == "smart_callback" && *r == mismatch && o == "denied" && *p == Some(app.patient_a)),
        "{entries:?}"
    );
    assert!(!has(&entries, "login", "session/smart", "ok"));
}

async fn an_ehr_user_the_site_has_not_mapped_is_refused(app: &TestApp) {
    let ehr = start_ehr().await;
    let il2care = il2care(app, &ehr);
    ehr.with(|state| state.fhir_user = "Practitioner/stranger".into());
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let answer = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("not set up to use il2care"), "{}", answer.body);
    assert!(answer.session().is_none());
    assert_eq!(ehr.with(|state| state.patient_reads), 0, "no patient data read for an unmapped user");
    let entries = audit_of(app, &format!("{}/Practitioner/stranger", ehr.fhir_base())).await;
    assert!(has(&entries, "smart_callback", "smart/callback/unmapped-user", "denied"), "{entries:?}");
    // A fhirUser on another server is not this EHR's user either (absolute, elsewhere).
    ehr.with(|state| state.fhir_user = format!("https://other.example.org/fhir/{NURSE}"));
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let answer = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.session().is_none());
    // The absolute form on the launching server is the mapped nurse.
    ehr.with(|state| state.fhir_user = format!("{}/{NURSE}", state.base.clone() + "/fhir"));
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let answer = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

async fn an_expired_id_token_opens_no_session(app: &TestApp) {
    let ehr = start_ehr().await;
    let il2care = il2care(app, &ehr);
    // Expired two minutes ago: past the 30 s leeway.
    ehr.with(|state| state.id_token_lifetime = -120);
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let answer = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(answer.body.contains("expired"), "{}", answer.body);
    assert!(answer.session().is_none());
    assert_eq!(ehr.with(|state| state.patient_reads), 0);
    let entries = audit_of(app, &format!("ehr:{}", ehr.fhir_base())).await;
    assert!(has(&entries, "smart_callback", "smart/callback/id-token-expired", "denied"), "{entries:?}");
    // Expired five seconds ago: within the leeway, accepted.
    ehr.with(|state| state.id_token_lifetime = -5);
    let (query, cookie) = launch_and_authorize(&il2care, &ehr).await;
    let answer = get_page(&il2care, &format!("/smart/callback?{query}"), Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

async fn patient_view_cards_carry_a_smart_link_when_smart_is_configured(app: &TestApp) {
    let mut tx = app.db.store.begin().await.unwrap();
    il2care_store::record::add_flag(&mut tx, app.patient_a, "received_interleukin_2", "seeded", 1, "test")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let token = app.token("nurse").await;
    let request = json!({"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "hook": "patient-view",
        "context": {"userId": "Practitioner/example", "patientId": "1288992"},
        "prefetch": {"patient": {"resourceType": "Patient", "id": "1288992",
                                 "identifier": [{"system": TEST_MRN_SYSTEM, "value": "A-1"}], "birthDate": "1970-01-01"}}});
    let call = |router: axum::Router| {
        let request = Request::post("/cds-services/il2care-patient-view")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(request.to_string()))
            .unwrap();
        async move {
            let response = router.oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
            serde_json::from_slice::<Value>(&bytes).unwrap()
        }
    };
    let ehr = start_ehr().await;
    let with_smart = call(il2care(app, &ehr)).await;
    let cards = with_smart["cards"].as_array().unwrap();
    assert!(!cards.is_empty());
    for card in cards {
        assert_eq!(
            card["links"],
            json!([{"label": "Open the il2care course page", "url": "http://localhost:8080/smart/launch", "type": "smart"}]),
            "{card}"
        );
    }
    let without = call(app.router.clone()).await;
    assert!(without["cards"].as_array().unwrap().iter().all(|card| card.get("links").is_none()), "{without}");
}

on_both_backends!(
    a_launch_from_the_ehr_signs_the_nurse_in_on_the_patients_course_page,
    a_wrong_state_is_refused_before_the_code_is_exchanged,
    a_replayed_callback_or_code_opens_no_session,
    a_pkce_mismatch_opens_no_session,
    a_launch_from_an_unknown_fhir_server_is_refused_without_contacting_it,
    a_launched_patient_whose_birth_date_differs_could_not_be_matched,
    an_ehr_user_the_site_has_not_mapped_is_refused,
    an_expired_id_token_opens_no_session,
    patient_view_cards_carry_a_smart_link_when_smart_is_configured,
);
