//! The access-control matrix: every role (and no sign-in) against every patient-record endpoint, for the
//! caller's own patient and a foreign one, generated from one policy table and run on SQLite and
//! PostgreSQL. Every refusal and every successful record read appears in the audit log.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

/// Who calls: a username, or nobody.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Caller {
    Anonymous,
    User(&'static str),
}

const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::User("patient_a"),
    Caller::User("patient_b"),
    Caller::User("nurse"),
    Caller::User("physician"),
    Caller::User("pharmacist"),
    Caller::User("admin"),
];

/// Who may call an endpoint on patient A's record (patient_a is the owner, patient_b a stranger).
#[derive(Clone, Copy, Debug)]
enum Policy {
    /// Staff who read records (nurse, physician, pharmacist) and the owner.
    ReadRecord,
    /// The owner, nurse, physician.
    SubmitCheckin,
    /// Nurse and physician.
    BedsideWrite,
    /// Physician only.
    PhysicianOnly,
    /// The care team without the owner (nurse, physician, pharmacist).
    StaffRead,
    /// Physician and pharmacist (pre-treatment screening).
    Screen,
    /// Admin only.
    AdminOnly,
}

fn allowed(policy: Policy, user: &str) -> bool {
    match policy {
        Policy::ReadRecord => matches!(user, "patient_a" | "nurse" | "physician" | "pharmacist"),
        Policy::SubmitCheckin => matches!(user, "patient_a" | "nurse" | "physician"),
        Policy::BedsideWrite => matches!(user, "nurse" | "physician"),
        Policy::PhysicianOnly => user == "physician",
        Policy::StaffRead => matches!(user, "nurse" | "physician" | "pharmacist"),
        Policy::Screen => matches!(user, "physician" | "pharmacist"),
        Policy::AdminOnly => user == "admin",
    }
}

/// The endpoints, with `{p}` for patient A and a body for writes.
fn endpoints() -> Vec<(Method, &'static str, Policy, Option<Value>)> {
    let checkin = json!({"at": "2026-11-27T08:30:00Z", "answers": {"fatigue": "mild"}});
    let course = json!({"regimen": "hd-iv", "started_at": "2026-11-25T08:00:00Z"});
    let observation =
        json!({"code": "heart_rate", "value": {"value": 88, "unit": "/min"}, "at": "2026-11-27T08:00:00Z"});
    let screening =
        json!({"at": "2026-11-27T09:00:00Z", "regimen": "hd-iv", "patient": {"date_of_birth": "1971-05-14"}});
    vec![
        (Method::GET, "/api/v1/patients/{p}", Policy::ReadRecord, None),
        (Method::GET, "/api/v1/patients/{p}/checkins", Policy::ReadRecord, None),
        (Method::GET, "/api/v1/patients/{p}/courses", Policy::ReadRecord, None),
        (Method::GET, "/api/v1/patients/{p}/observations", Policy::ReadRecord, None),
        (Method::GET, "/api/v1/patients/{p}/assessments", Policy::ReadRecord, None),
        (Method::GET, "/api/v1/patients/{p}/injections", Policy::ReadRecord, None),
        (Method::GET, "/api/v1/patients/{p}/screenings", Policy::StaffRead, None),
        (Method::POST, "/api/v1/patients/{p}/screenings", Policy::Screen, Some(screening)),
        (Method::POST, "/api/v1/patients/{p}/checkins", Policy::SubmitCheckin, Some(checkin)),
        (Method::POST, "/api/v1/patients/{p}/observations", Policy::BedsideWrite, Some(observation)),
        (Method::POST, "/api/v1/patients/{p}/courses", Policy::PhysicianOnly, Some(course)),
        (Method::GET, "/api/v1/worklist", Policy::BedsideWrite, None),
        (Method::GET, "/api/v1/audit", Policy::AdminOnly, None),
    ]
}

async fn every_role_reaches_exactly_what_the_policy_allows(app: &TestApp) {
    let mut tokens = Vec::new();
    for caller in CALLERS {
        tokens.push(match caller {
            Caller::Anonymous => None,
            Caller::User(name) => Some(app.token(name).await),
        });
    }
    let mut failures = Vec::new();
    let mut checked = 0;
    for (method, template, policy, body) in endpoints() {
        let path = template.replace("{p}", &app.patient_a.to_string());
        for (caller, token) in CALLERS.iter().zip(&tokens) {
            let body_text = body.as_ref().map(Value::to_string).unwrap_or_default();
            let (status, answer) =
                app.send(method.clone(), &path, token.as_deref(), "application/json", &body_text).await;
            let expected_ok = match caller {
                Caller::Anonymous => false,
                Caller::User(name) => allowed(policy, name),
            };
            let ok = match (caller, expected_ok) {
                (Caller::Anonymous, _) => status == StatusCode::UNAUTHORIZED,
                (_, true) => status.is_success(),
                (_, false) => status == StatusCode::FORBIDDEN,
            };
            checked += 1;
            if !ok {
                failures.push(format!("{method} {template} as {caller:?}: {status} {answer}"));
            }
        }
    }
    assert!(failures.is_empty(), "{} of {checked} calls broke the policy:\n{}", failures.len(), failures.join("\n"));

    // Every refused attempt on patient A's record by a signed-in user, and every read of it, was audited.
    let audit = app.audit_actions(app.patient_a).await;
    let denied_by_stranger =
        audit.iter().filter(|(actor, action, _)| actor == "patient_b" && action == "denied").count();
    assert!(denied_by_stranger >= 5, "patient_b's refused reads are audited ({denied_by_stranger})");
    for reader in ["patient_a", "nurse", "physician", "pharmacist"] {
        let reads = audit.iter().filter(|(actor, action, _)| actor == reader && action == "read").count();
        assert!(reads >= 5, "{reader}'s five record reads are audited ({reads})");
    }
}

on_both_backends!(every_role_reaches_exactly_what_the_policy_allows);
