//! EHR JWT authentication of the CDS Hooks services, on both databases: an allow-listed issuer's RS256 or ES384
//! token is accepted and audited as `ehr:<iss>`; a wrong issuer, an expired token, a wrong audience, HS256,
//! `alg: none`, a foreign signature, a missing `jti` or a lifetime over five minutes are 401 with a JSON error;
//! staff session tokens still work. Issuer files that cannot be trusted are refused with the field named.
//! A token is good for one call (a replay is 401 and audited); discovery needs a caller once issuers are
//! configured. Without the patient prefetch, the Patient is read from an allow-listed `fhirServer` (a real
//! HTTP server on loopback here), and every other case is 412 without contacting anything.
//! The keys are the TEST-ONLY pairs in `tests/keys/`.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use il2care_web::cds_auth::CdsIssuers;
use il2care_web::{AppState, router};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::on_both_backends;
use crate::support::TestApp;

const AUDIENCE: &str = "https://il2care.test";
const RSA_EHR: &str = "https://ehr.example.org";
const EC_EHR: &str = "https://ehr-ec.example.org";
const PATIENT_VIEW: &str = "/cds-services/il2care-patient-view";

fn keys() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys")
}

fn key_text(name: &str) -> String {
    std::fs::read_to_string(keys().join(name)).unwrap()
}

/// The issuer file: the RSA EHR by PEM, the EC EHR by a JWKS file (relative to the keys folder).
fn issuers_document() -> Value {
    json!({"audience": AUDIENCE, "issuers": [
        {"iss": RSA_EHR, "public_key_pem": key_text("ehr-rsa.pub")},
        {"iss": EC_EHR, "jwks_file": "ehr-ec384.jwks.json"},
    ]})
}

fn issuers() -> CdsIssuers {
    CdsIssuers::from_json(&issuers_document().to_string(), &keys()).unwrap()
}

fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// Claims as an EHR sends them to `path`, each with a new `jti`.
fn claims(iss: &str, path: &str) -> Value {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let serial = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    json!({"iss": iss, "sub": "ehr-client-1", "aud": format!("{AUDIENCE}{path}"), "exp": now() + 120,
           "iat": now(), "jti": format!("jti-{}-{}-{serial}", std::process::id(), now())})
}

/// Base64url without padding, for hand-made token headers.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, byte)| n | (u32::from(*byte) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

fn rsa_token(claims: &Value) -> String {
    let key = EncodingKey::from_rsa_pem(key_text("ehr-rsa.key").as_bytes()).unwrap();
    encode(&Header::new(Algorithm::RS256), claims, &key).unwrap()
}

fn ec_token(claims: &Value) -> String {
    let key = EncodingKey::from_ec_pem(key_text("ehr-ec384.key").as_bytes()).unwrap();
    let mut header = Header::new(Algorithm::ES384);
    header.kid = Some("ehr-ec-1".into());
    encode(&header, claims, &key).unwrap()
}

fn patient_view_request() -> Value {
    json!({"hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea", "hook": "patient-view",
           "context": {"userId": "Practitioner/example", "patientId": "1288992"},
           "prefetch": {"patient": {"resourceType": "Patient", "id": "1288992",
                                    "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": "A-1"}],
                                    "birthDate": "1970-01-01"}}})
}

/// The uuid of a card il2care issued to the RSA EHR (feedback is accepted only for such cards): patient A gets a
/// course, and the EHR opens its chart with a token of its own.
async fn card_issued_to_the_ehr(app: &TestApp) -> String {
    let physician = app.token("physician").await;
    let course = json!({"regimen": "hd-iv", "rule_set": "label", "started_at": "2026-11-27T08:00:00Z",
                        "baseline_weight": {"value": 80, "unit": "kg"}});
    let path = format!("/api/v1/patients/{}/courses", app.patient_a);
    assert_eq!(app.post(&path, Some(&physician), &course).await.0, StatusCode::CREATED);
    let (status, response) =
        post(app, PATIENT_VIEW, &rsa_token(&claims(RSA_EHR, PATIENT_VIEW)), &patient_view_request()).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    response["cards"][0]["uuid"].as_str().expect("the course card").to_string()
}

/// One POST to a router that trusts the test issuers.
async fn post(app: &TestApp, path: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    send(app, issuers(), Request::post(path), Some(token), Body::from(body.to_string())).await
}

/// One request to a router that trusts `issuers`.
async fn send(
    app: &TestApp,
    issuers: CdsIssuers,
    request: axum::http::request::Builder,
    token: Option<&str>,
    body: Body,
) -> (StatusCode, Value) {
    let state =
        AppState::new(app.db.store.clone()).with_mrn_system(crate::support::TEST_MRN_SYSTEM).with_cds_issuers(issuers);
    let mut request = request.header("content-type", "application/json");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let response = router(state).oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn audit(app: &TestApp, actor: &str) -> Vec<(String, String, String)> {
    let mut conn = app.db.store.connection().await.unwrap();
    let query = il2care_store::audit::AuditQuery { patient_id: None, actor: Some(actor.into()), limit: 100 };
    let entries = il2care_store::audit::query(&mut conn, &query).await.unwrap();
    entries.into_iter().map(|entry| (entry.action, entry.resource, entry.outcome)).collect()
}

async fn an_allow_listed_ehr_token_is_accepted_and_every_call_is_audited_as_the_ehr(app: &TestApp) {
    let (status, response) =
        post(app, PATIENT_VIEW, &rsa_token(&claims(RSA_EHR, PATIENT_VIEW)), &patient_view_request()).await;
    assert_eq!(status, StatusCode::OK, "{response}");
    assert!(response["cards"].is_array());
    let (status, response) =
        post(app, PATIENT_VIEW, &ec_token(&claims(EC_EHR, PATIENT_VIEW)), &patient_view_request()).await;
    assert_eq!(status, StatusCode::OK, "ES384 with a kid from the JWKS file: {response}");
    let patient = app.patient_a;
    let read = ("read".to_string(), format!("patient/{patient}/cds/il2care-patient-view"), "ok".to_string());
    assert_eq!(audit(app, &format!("ehr:{RSA_EHR}")).await, std::slice::from_ref(&read));
    assert_eq!(audit(app, &format!("ehr:{EC_EHR}")).await, [read]);
    // The feedback endpoint is an endpoint of its own: its URL is the audience.
    let card = card_issued_to_the_ehr(app).await;
    let path = "/cds-services/il2care-patient-view/feedback";
    let feedback = json!({"feedback": [{"card": card, "outcome": "accepted"}]});
    let (status, answer) = post(app, path, &rsa_token(&claims(RSA_EHR, path)), &feedback).await;
    assert_eq!((status, answer["recorded"].as_i64()), (StatusCode::OK, Some(1)), "{answer}");
    let entries = audit(app, &format!("ehr:{RSA_EHR}")).await;
    assert!(entries.iter().any(|(action, _, _)| action == "cds_feedback"), "{entries:?}");
    // A trailing slash on the audience is the same endpoint (the specification allows both spellings).
    // `sub` is optional in CDS Hooks 2.0.
    let mut no_sub = claims(RSA_EHR, PATIENT_VIEW);
    no_sub.as_object_mut().unwrap().remove("sub");
    let (status, answer) = post(app, PATIENT_VIEW, &rsa_token(&no_sub), &patient_view_request()).await;
    assert_eq!(status, StatusCode::OK, "a token without sub: {answer}");
    let mut slash = claims(RSA_EHR, PATIENT_VIEW);
    slash["aud"] = json!(format!("{AUDIENCE}{PATIENT_VIEW}/"));
    assert_eq!(post(app, PATIENT_VIEW, &rsa_token(&slash), &patient_view_request()).await.0, StatusCode::OK);
}

/// Each row: what is wrong, the token, words of the message.
async fn untrusted_tokens_are_refused_with_401_and_a_json_error(app: &TestApp) {
    let good = claims(RSA_EHR, PATIENT_VIEW);
    let with = |key: &str, value: Value| {
        let mut claims = good.clone();
        claims[key] = value;
        claims
    };
    let foreign = EncodingKey::from_rsa_pem(key_text("other-rsa.key").as_bytes()).unwrap();
    let hs256 = encode(&Header::new(Algorithm::HS256), &good, &EncodingKey::from_secret(b"shared secret")).unwrap();
    let payload = rsa_token(&good).split('.').nth(1).unwrap().to_string();
    let mut no_jti = good.clone();
    no_jti.as_object_mut().unwrap().remove("jti");
    // RFC 7515 §4.1.11: a `crit` header naming an extension the recipient does not understand is refused.
    let signed = rsa_token(&good);
    let rest = signed.split_once('.').unwrap().1;
    let crit = |header: Value| format!("{}.{rest}", base64url(header.to_string().as_bytes()));
    let rows: Vec<(&str, String, &str)> = vec![
        ("issuer not allow-listed", rsa_token(&with("iss", json!("https://evil.example"))), "allow-list"),
        ("expired", rsa_token(&with("exp", json!(now() - 120))), "expired"),
        (
            "another endpoint",
            rsa_token(&with("aud", json!(format!("{AUDIENCE}/cds-services/il2care-order-sign")))),
            "aud must be",
        ),
        ("the base URL only", rsa_token(&with("aud", json!(AUDIENCE))), "aud must be"),
        ("HS256", hs256, "shared-secret"),
        ("alg none", format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}."), "not a JWT signed with"),
        ("signed with another key", encode(&Header::new(Algorithm::RS256), &good, &foreign).unwrap(), "signature"),
        (
            "the other EHR's iss on the RSA EHR's signature",
            rsa_token(&with("iss", json!(EC_EHR))),
            "no key of this issuer",
        ),
        ("no jti", rsa_token(&no_jti), "jti"),
        (
            "an unknown crit extension",
            crit(json!({"alg": "RS256", "typ": "JWT", "crit": ["http://example.org/ext"],
                                                  "http://example.org/ext": true})),
            "crit",
        ),
        ("crit not a list", crit(json!({"alg": "RS256", "typ": "JWT", "crit": "b64"})), "crit"),
        ("an hour to live", rsa_token(&with("exp", json!(now() + 3600))), "five minutes"),
        (
            "no exp",
            rsa_token(&{
                let mut claims = good.clone();
                claims.as_object_mut().unwrap().remove("exp");
                claims
            }),
            "exp",
        ),
    ];
    for (what, token, words) in &rows {
        let (status, error) = post(app, PATIENT_VIEW, token, &patient_view_request()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_else(|| panic!("{what}: no JSON error: {error}"));
        assert!(message.contains(words), "{what}: {message}");
    }
    let refused = audit(app, "ehr:unverified").await;
    assert_eq!(refused.len(), rows.len(), "every refusal is audited: {refused:?}");
    assert!(refused.iter().all(|(action, _, outcome)| action == "denied" && outcome == "denied"));
    assert!(audit(app, &format!("ehr:{RSA_EHR}")).await.is_empty(), "no refused call is audited as the EHR");
}

async fn a_jwt_without_configured_issuers_is_refused_and_staff_tokens_keep_working(app: &TestApp) {
    let token = rsa_token(&claims(RSA_EHR, PATIENT_VIEW));
    let (status, error) = app.post(PATIENT_VIEW, Some(&token), &patient_view_request()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("--cds-issuers"), "{error}");
    let nurse = app.token("nurse").await;
    assert_eq!(app.post(PATIENT_VIEW, Some(&nurse), &patient_view_request()).await.0, StatusCode::OK);
    assert_eq!(post(app, PATIENT_VIEW, &nurse, &patient_view_request()).await.0, StatusCode::OK);
}

async fn a_token_is_good_for_one_call_and_a_replay_is_refused_and_audited(app: &TestApp) {
    let token = rsa_token(&claims(RSA_EHR, PATIENT_VIEW));
    assert_eq!(post(app, PATIENT_VIEW, &token, &patient_view_request()).await.0, StatusCode::OK);
    let (status, error) = post(app, PATIENT_VIEW, &token, &patient_view_request()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert!(error["error"]["message"].as_str().unwrap().contains("already used"), "{error}");
    // A replay of a token first used on feedback is refused too, and records no feedback.
    let card = card_issued_to_the_ehr(app).await;
    let path = "/cds-services/il2care-patient-view/feedback";
    let feedback = json!({"feedback": [{"card": card, "outcome": "accepted"}]});
    let feedback_token = rsa_token(&claims(RSA_EHR, path));
    assert_eq!(post(app, path, &feedback_token, &feedback).await.0, StatusCode::OK);
    assert_eq!(post(app, path, &feedback_token, &feedback).await.0, StatusCode::UNAUTHORIZED);
    let entries = audit(app, &format!("ehr:{RSA_EHR}")).await;
    let outcomes: Vec<(&str, &str)> =
        entries.iter().map(|(action, _, outcome)| (action.as_str(), outcome.as_str())).collect();
    assert_eq!(
        outcomes.iter().filter(|entry| **entry == ("denied", "replayed_token")).count(),
        2,
        "each replay is audited as a denial: {outcomes:?}"
    );
    assert_eq!(outcomes.iter().filter(|entry| entry.0 == "cds_feedback").count(), 1, "{outcomes:?}");
    // A jti longer than 255 characters is refused before anything is read.
    let mut long = claims(RSA_EHR, PATIENT_VIEW);
    long["jti"] = json!("j".repeat(256));
    let (status, error) = post(app, PATIENT_VIEW, &rsa_token(&long), &patient_view_request()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
}

async fn discovery_needs_a_caller_once_issuers_are_configured(app: &TestApp) {
    let discovery = || Request::get("/cds-services");
    let (status, error) = send(app, issuers(), discovery(), None, Body::empty()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    let token = rsa_token(&claims(RSA_EHR, "/cds-services"));
    let (status, document) = send(app, issuers(), discovery(), Some(&token), Body::empty()).await;
    assert_eq!((status, document["services"].as_array().map(Vec::len)), (StatusCode::OK, Some(3)), "{document}");
    assert_eq!(send(app, issuers(), discovery(), Some(&token), Body::empty()).await.0, StatusCode::UNAUTHORIZED);
    let wrong_audience = rsa_token(&claims(RSA_EHR, PATIENT_VIEW));
    assert_eq!(
        send(app, issuers(), discovery(), Some(&wrong_audience), Body::empty()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let nurse = app.token("nurse").await;
    assert_eq!(send(app, issuers(), discovery(), Some(&nurse), Body::empty()).await.0, StatusCode::OK);
    // Without --cds-issuers there is no EHR to authenticate: discovery is public (it holds no patient data).
    assert_eq!(app.get("/cds-services", None).await.0, StatusCode::OK);
}

/// A FHIR server on loopback: `Patient/1288992` for the bearer token `ehr-access-token` (identifier A-1), a
/// Patient with another id at `Patient/other-id`, 401 without the token, 404 otherwise. Counts its requests.
async fn fhir_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::extract::Path as UrlPath;
    use axum::http::HeaderMap;
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    let app = axum::Router::new().route(
        "/fhir/Patient/{id}",
        axum::routing::get(move |UrlPath(id): UrlPath<String>, headers: HeaderMap| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if headers.get("authorization").and_then(|value| value.to_str().ok()) != Some("Bearer ehr-access-token")
                {
                    return (StatusCode::UNAUTHORIZED, String::new());
                }
                let patient = |id: &str| {
                    json!({"resourceType": "Patient", "id": id,
                           "identifier": [{"system": "urn:oid:2.16.840.1.113883.19.5", "value": "A-1"}],
                           "birthDate": "1970-01-01"})
                    .to_string()
                };
                match id.as_str() {
                    "1288992" => (StatusCode::OK, patient("1288992")),
                    "other-id" => (StatusCode::OK, patient("somebody-else")),
                    _ => (StatusCode::NOT_FOUND, String::new()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/fhir"), hits)
}

async fn without_prefetch_the_patient_is_read_from_an_allow_listed_fhir_server_or_412(app: &TestApp) {
    use std::sync::atomic::Ordering::SeqCst;
    let (server, hits) = fhir_server().await;
    let mut document = issuers_document();
    document["issuers"][0]["fhir_servers"] = json!([format!("{server}/")]);
    let trusting = || CdsIssuers::from_json(&document.to_string(), &keys()).unwrap();
    let without_prefetch = |patient_id: &str, fhir_server: &str, prefetch: Option<Value>| {
        let mut request = patient_view_request();
        request["context"]["patientId"] = json!(patient_id);
        request["fhirServer"] = json!(fhir_server);
        request["fhirAuthorization"] = json!({"access_token": "ehr-access-token", "token_type": "Bearer",
                                              "expires_in": 300, "scope": "patient/Patient.read", "subject": "il2care"});
        match prefetch {
            Some(prefetch) => request["prefetch"] = prefetch,
            None => drop(request.as_object_mut().unwrap().remove("prefetch")),
        }
        request
    };
    let call = |request: Value| {
        let token = rsa_token(&claims(RSA_EHR, PATIENT_VIEW));
        let issuers = trusting();
        async move { send(app, issuers, Request::post(PATIENT_VIEW), Some(&token), Body::from(request.to_string())).await }
    };
    let matched = format!("patient/{}/cds/il2care-patient-view", app.patient_a);
    // Absent and null prefetch: read from the server, matched by MRN, audited as a read of the record.
    for prefetch in [None, Some(json!({"patient": null})), Some(json!({}))] {
        let (status, answer) = call(without_prefetch("1288992", &server, prefetch.clone())).await;
        assert_eq!(status, StatusCode::OK, "{prefetch:?}: {answer}");
    }
    assert_eq!(hits.load(SeqCst), 3);
    let reads = audit(app, &format!("ehr:{RSA_EHR}")).await;
    assert_eq!(reads.iter().filter(|(_, resource, _)| *resource == matched).count(), 3, "{reads:?}");
    // Each row: the request, whether the server is contacted, words of the 412 reason.
    let mut wrong_token = without_prefetch("1288992", &server, None);
    wrong_token["fhirAuthorization"]["access_token"] = json!("stolen");
    let mut no_server = without_prefetch("1288992", &server, None);
    no_server.as_object_mut().unwrap().remove("fhirServer");
    no_server.as_object_mut().unwrap().remove("fhirAuthorization");
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        format!("http://{address}/fhir")
    };
    let rows: Vec<(&str, Value, bool, &str)> = vec![
        (
            "server not on the issuer's list",
            without_prefetch("1288992", &format!("{server}x"), None),
            false,
            "not configured",
        ),
        ("no fhirServer", no_server, false, "names no fhirServer"),
        ("patient unknown to the server", without_prefetch("404", &server, None), true, "answered 404"),
        ("the server refuses the access token", wrong_token, true, "answered 401"),
        ("the server answers another patient", without_prefetch("other-id", &server, None), true, "did not answer"),
        ("a patient id that is not a FHIR id", without_prefetch("../metadata", &server, None), false, "FHIR id"),
    ];
    for (what, request, contacted, words) in rows {
        let before = hits.load(SeqCst);
        let (status, error) = call(request).await;
        assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{what}: {error}");
        let message = error["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{what}: {message}");
        assert!(!message.contains("ehr-access-token"), "{what}: the access token never leaves: {message}");
        assert_eq!(hits.load(SeqCst) > before, contacted, "{what}: contacted the server");
    }
    // An allow-listed server that is down: 412, after a bounded wait.
    let mut down = issuers_document();
    down["issuers"][0]["fhir_servers"] = json!([closed]);
    let down = CdsIssuers::from_json(&down.to_string(), &keys()).unwrap();
    let token = rsa_token(&claims(RSA_EHR, PATIENT_VIEW));
    let body = Body::from(without_prefetch("1288992", &closed, None).to_string());
    let (status, error) = send(app, down, Request::post(PATIENT_VIEW), Some(&token), body).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED, "{error}");
    // A staff caller has no FHIR server to read from; a prefetch that is not a Patient is refused by name.
    let nurse = app.token("nurse").await;
    let (status, _) = app.post(PATIENT_VIEW, Some(&nurse), &without_prefetch("1288992", &server, None)).await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    let (status, error) =
        app.post(PATIENT_VIEW, Some(&nurse), &without_prefetch("1288992", &server, Some(json!({"patient": 7})))).await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("prefetch.patient"))
    );
}

on_both_backends!(
    a_token_is_good_for_one_call_and_a_replay_is_refused_and_audited,
    discovery_needs_a_caller_once_issuers_are_configured,
    without_prefetch_the_patient_is_read_from_an_allow_listed_fhir_server_or_412,
    an_allow_listed_ehr_token_is_accepted_and_every_call_is_audited_as_the_ehr,
    untrusted_tokens_are_refused_with_401_and_a_json_error,
    a_jwt_without_configured_issuers_is_refused_and_staff_tokens_keep_working,
);

/// Each row: a change to the issuer file, the field the refusal names.
#[test]
fn issuer_files_that_cannot_be_trusted_are_refused_naming_the_field() {
    let folder = std::env::temp_dir().join(format!("il2care-cds-issuers-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("private.json"), r#"{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"}]}"#)
        .unwrap();
    std::fs::write(folder.join("oct.json"), r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#).unwrap();
    std::fs::copy(keys().join("ehr-ec384.jwks.json"), folder.join("ehr-ec384.jwks.json")).unwrap();
    let issuer = |entry: Value| json!({"audience": AUDIENCE, "issuers": [entry]});
    let rows: Vec<(Value, &str)> = vec![
        (issuer(json!({"iss": RSA_EHR, "public_key_pem": key_text("ehr-rsa.key")})), "issuers[0].public_key_pem"),
        (
            issuer(
                json!({"iss": RSA_EHR, "public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}),
            ),
            "issuers[0].public_key_pem",
        ),
        (issuer(json!({"iss": RSA_EHR, "jwks_file": "private.json"})), "issuers[0].jwks_file"),
        (issuer(json!({"iss": RSA_EHR, "jwks_file": "oct.json"})), "issuers[0].jwks_file.keys[0]"),
        (issuer(json!({"iss": RSA_EHR, "jwks_file": "missing.json"})), "issuers[0].jwks_file"),
        (issuer(json!({"iss": RSA_EHR})), "issuers[0].public_key_pem"),
        (issuer(json!({"iss": "", "jwks_file": "ehr-ec384.jwks.json"})), "issuers[0].iss"),
        (
            json!({"audience": "il2care.test", "issuers": [{"iss": EC_EHR, "jwks_file": "ehr-ec384.jwks.json"}]}),
            "audience",
        ),
        (json!({"audience": AUDIENCE, "issuers": []}), "issuers"),
        (
            json!({"audience": AUDIENCE, "issuers": [{"iss": EC_EHR, "jwks_file": "ehr-ec384.jwks.json"},
                                                  {"iss": EC_EHR, "jwks_file": "ehr-ec384.jwks.json"}]}),
            "issuers[1].iss",
        ),
        (json!({"audience": AUDIENCE, "issuers": [], "secret": "x"}), "--cds-issuers"),
        (
            issuer(json!({"iss": EC_EHR, "jwks_file": "ehr-ec384.jwks.json",
                          "fhir_servers": ["https://ehr.example.org/fhir", "ftp://ehr.example.org/fhir"]})),
            "issuers[0].fhir_servers[1]",
        ),
        (
            issuer(json!({"iss": EC_EHR, "jwks_file": "ehr-ec384.jwks.json",
                          "fhir_servers": ["https://user:secret@ehr.example.org/fhir"]})),
            "issuers[0].fhir_servers[0]",
        ),
    ];
    for (document, field) in rows {
        let refusal = CdsIssuers::from_json(&document.to_string(), &folder).expect_err(&document.to_string());
        assert_eq!(refusal.field, field, "{document}: {}", refusal.reason);
    }
    let accepted = CdsIssuers::from_json(&issuers_document().to_string(), &keys()).unwrap();
    assert_eq!(accepted.issuer_names(), [RSA_EHR, EC_EHR]);
    assert!(!format!("{accepted:?}").contains("BEGIN"), "key material never prints");
    std::fs::remove_dir_all(&folder).unwrap();
}
