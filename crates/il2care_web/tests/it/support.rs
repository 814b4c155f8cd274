//! A test application: a fresh database, the router, accounts for each role, and one-line requests.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use il2care_store::accounts::{self, NewUser};
use il2care_store::record::{self, Patient};
use il2care_store::testing::TestDb;
use il2care_web::{AppState, router};
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

/// The app under test.
pub struct TestApp {
    pub db: TestDb,
    pub router: axum::Router,
    /// Two patients, each with a patient account (`patient_a`, `patient_b`).
    pub patient_a: i64,
    pub patient_b: i64,
}

/// The MRN identifier system of the test site (the CDS Hooks specification's example hospital).
pub const TEST_MRN_SYSTEM: &str = "urn:oid:2.16.840.1.113883.19.5";

impl TestApp {
    pub async fn new(db: TestDb) -> TestApp {
        let router = router(AppState::new(db.store.clone()).with_mrn_system(TEST_MRN_SYSTEM));
        let mut tx = db.store.begin().await.unwrap();
        let mut ids = Vec::new();
        for mrn in ["A-1", "B-2"] {
            let patient = Patient {
                id: 0,
                mrn: mrn.into(),
                display_name: format!("Patient {mrn}"),
                date_of_birth: "1970-01-01".into(),
                sex: "unknown".into(),
                time_zone: "UTC".into(),
            };
            ids.push(record::create_patient(&mut tx, &patient, 1, "test").await.unwrap());
        }
        let hash = il2care_web::auth::hash_password(PASSWORD).unwrap();
        for (username, role, patient_id) in [
            ("nurse", "nurse", None),
            ("physician", "physician", None),
            ("pharmacist", "pharmacist", None),
            ("admin", "admin", None),
            ("patient_a", "patient", Some(ids[0])),
            ("patient_b", "patient", Some(ids[1])),
        ] {
            let user = NewUser { username, display_name: username, password_hash: &hash, role, patient_id, now_ms: 1 };
            accounts::create_user(&mut tx, &user).await.unwrap();
        }
        tx.commit().await.unwrap();
        TestApp { db, router, patient_a: ids[0], patient_b: ids[1] }
    }

    /// Sends one request; `body` is sent as JSON text unless `content_type` says otherwise.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &str,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        if !body.is_empty() {
            request = request.header("content-type", content_type);
        }
        let response = self.router.clone().oneshot(request.body(Body::from(body.to_string())).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 10 * 1024 * 1024).await.unwrap();
        let value =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, value)
    }

    /// Sends one request with a body of raw bytes (which need not be UTF-8) under `content_type`.
    pub async fn send_bytes(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path).header("content-type", content_type);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = self.router.clone().oneshot(request.body(Body::from(body)).unwrap()).await.unwrap();
        let status = response.status();
        let bytes = axum::body::to_bytes(response.into_body(), 10 * 1024 * 1024).await.unwrap();
        let value =
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, value)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.send(Method::GET, path, token, "", "").await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, token, "application/json", &body.to_string()).await
    }

    /// Signs in and returns the bearer token.
    pub async fn token(&self, username: &str) -> String {
        let body = serde_json::json!({"username": username, "password": PASSWORD});
        let (status, value) = self.post("/api/v1/session", None, &body).await;
        assert_eq!(status, StatusCode::OK, "{value}");
        value["token"].as_str().unwrap().to_string()
    }

    /// Audit entries (as the admin sees them) for a patient.
    pub async fn audit_actions(&self, patient_id: i64) -> Vec<(String, String, String)> {
        let mut conn = self.db.store.connection().await.unwrap();
        let query = il2care_store::audit::AuditQuery { patient_id: Some(patient_id), actor: None, limit: 1000 };
        il2care_store::audit::query(&mut conn, &query)
            .await
            .unwrap()
            .into_iter()
            .map(|entry| (entry.actor, entry.action, entry.outcome))
            .collect()
    }
}

/// Runs each named test on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                let app = $crate::support::TestApp::new(il2care_store::testing::TestDb::sqlite().await).await;
                super::$name(&app).await;
                app.db.drop().await;
            })+
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread")]
            async fn $name() {
                let app = $crate::support::TestApp::new(il2care_store::testing::TestDb::postgres().await).await;
                super::$name(&app).await;
                app.db.drop().await;
            })+
        }
    };
}

/// Stores a dose given at `at_ms` straight into the record, as a dose from before il2care was in use: the API
/// records a `given` only against the latest decision for its slot (ASSESSMENT §10.6).
pub async fn seed_given_dose(app: &TestApp, patient_id: i64, course_id: i64, at_ms: i64) {
    let mut tx = app.db.store.begin().await.unwrap();
    let record = record::DoseRecord {
        event: record::DoseEvent {
            id: 0,
            patient_id,
            course_id,
            assessment_id: None,
            status: "given".into(),
            at_ms,
            override_reason: Some("first dose of the course, given before il2care was in use".into()),
            corrects_id: None,
            recorded_by: "test".into(),
        },
        slot_number: None,
        idempotency_key: None,
        reason_code: None,
        cosigned_by: None,
        recorded_at_ms: 1,
    };
    record::add_dose_record(&mut tx, &record).await.unwrap();
    record::add_flag(&mut tx, patient_id, "received_interleukin_2", "seeded", at_ms, "test").await.unwrap();
    tx.commit().await.unwrap();
}

/// The course-wide slot number of a stored decision (`result.cycle`, `result.slot`; 1 outside the windows).
pub fn slot_of(decided: &Value) -> i64 {
    let result = &decided["result"];
    match (result["cycle"].as_i64(), result["slot"].as_i64()) {
        (Some(cycle), Some(slot)) => (cycle - 1) * 15 + slot,
        _ => 1,
    }
}

/// A screening of `course_id` whose every item is not applicable, so the first-dose gate (SCREENING §1
/// amendment) is open: for tests about what happens after the gate.
pub async fn open_screening_gate(app: &TestApp, patient_id: i64, course_id: i64) {
    let items: Vec<serde_json::Value> =
        (1..=19).map(|number| serde_json::json!({"number": number, "result": "not_applicable"})).collect();
    let mut conn = app.db.store.connection().await.unwrap();
    let screening = record::Screening {
        id: 0,
        patient_id,
        client_id: None,
        at_ms: jiff::Timestamp::now().as_millisecond() - 3_600_000 * 48,
        regimen: "hd-iv".into(),
        status: "pass".into(),
        document: "{}".into(),
        result: serde_json::json!({"items": items}).to_string(),
        recorded_at_ms: 1,
        recorded_by: "test".into(),
    };
    let id = match record::add_screening(&mut conn, &screening).await.unwrap() {
        record::Written::Created(id) | record::Written::AlreadyPresent(id) => id,
    };
    record::link_screening_to_course(&mut conn, id, course_id).await.unwrap();
}
