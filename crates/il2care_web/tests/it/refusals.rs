//! Every refused write is audited (issue 13, "Done when"): this test walks every state-changing route of the
//! router (API POST/PUT/PATCH/DELETE and page form POSTs), and for each role the policy refuses (a patient on
//! another patient's record, an admin on clinical records, staff on admin routes, a pharmacist where only the
//! bedside team may write, ...) sends the request and asserts a 403 and a new `denied` audit entry naming the
//! actor. The routes are read from the router's source, so a new write route that is not in [`WRITES`] (or in
//! [`NOT_ROLE_GUARDED`], with its reason) fails the test until someone says who may not call it.
//!
//! The service's last line (`security.rs`) audits any 403 that a handler did not audit itself, naming the
//! method and path; this test also checks that each refusal is audited where it is decided (by the use case
//! or the handler, naming the record), listing the known exceptions in [`AUDITED_ONLY_BY_THE_LAST_LINE`].

use std::collections::BTreeSet;
use std::path::Path;

use axum::http::{Method, StatusCode};
use il2care_store::administration::{AuditFilter, audit_entries};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

/// How a route takes its body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Json,
    Form,
}

/// One write route: the method, the route as the router names it, how its body is sent, the body (with
/// `{p}`, `{q}`, `{course}`, `{checkin}`, `{screening}`, `{account}` filled in), and who must be refused on
/// patient A's record (`patient_b` is a stranger to it, `patient_a` its owner).
struct Write {
    method: Method,
    route: &'static str,
    kind: Kind,
    body: &'static str,
    refused: &'static [&'static str],
}

const fn api(method: Method, route: &'static str, body: &'static str, refused: &'static [&'static str]) -> Write {
    Write { method, route, kind: Kind::Json, body, refused }
}

const fn form(route: &'static str, body: &'static str, refused: &'static [&'static str]) -> Write {
    Write { method: Method::POST, route, kind: Kind::Form, body, refused }
}

const CHECKIN: &str = r#"{"at": "2026-11-27T08:30:00Z", "answers": {"fatigue": "mild"}}"#;
const OBSERVATION: &str =
    r#"{"code": "heart_rate", "value": {"value": 88, "unit": "/min"}, "at": "2026-11-27T08:00:00Z"}"#;
const SCREENING: &str =
    r#"{"at": "2026-11-27T09:00:00Z", "regimen": "hd-iv", "patient": {"date_of_birth": "1971-05-14"}}"#;
const COURSE: &str = r#"{"regimen": "hd-iv", "started_at": "2026-11-25T08:00:00Z"}"#;
const PATIENT: &str = r#"{"mrn": "C-3", "display_name": "C", "date_of_birth": "1970-01-01", "sex": "unknown"}"#;
const ACCOUNT: &str = r#"{"username": "x1", "display_name": "X", "role": "nurse"}"#;

/// Clinical staff and the stranger refused alike where only the bedside team (nurse, physician) writes.
const NOT_BEDSIDE: &[&str] = &["pharmacist", "admin", "patient_b", "patient_a"];
const NOT_PHYSICIAN: &[&str] = &["nurse", "pharmacist", "admin", "patient_b", "patient_a"];
const NOT_ADMIN: &[&str] = &["nurse", "physician", "pharmacist", "patient_a"];
const NOT_PATIENT: &[&str] = &["nurse", "physician", "pharmacist", "admin"];

/// Every write route and who must be refused.
const WRITES: &[Write] = &[
    api(Method::POST, "/api/v1/patients", PATIENT, &["pharmacist", "admin", "patient_a"]),
    api(Method::POST, "/api/v1/patients/{patient_id}/courses", COURSE, NOT_PHYSICIAN),
    api(Method::POST, "/api/v1/patients/{patient_id}/decisions", "{}", NOT_BEDSIDE),
    // The deprecated old name of `/decisions` (issue 13), the same handler.
    api(Method::POST, "/api/v1/patients/{patient_id}/assessments", "{}", NOT_BEDSIDE),
    api(Method::POST, "/api/v1/patients/{patient_id}/observations", OBSERVATION, NOT_BEDSIDE),
    api(Method::POST, "/api/v1/patients/{patient_id}/doses", "{}", NOT_BEDSIDE),
    api(Method::POST, "/api/v1/patients/{patient_id}/checkins", CHECKIN, &["pharmacist", "admin", "patient_b"]),
    api(Method::POST, "/api/v1/patients/{patient_id}/injections", "{}", &["pharmacist", "admin", "patient_b"]),
    api(
        Method::POST,
        "/api/v1/patients/{patient_id}/screenings",
        SCREENING,
        &["nurse", "admin", "patient_b", "patient_a"],
    ),
    api(Method::POST, "/api/v1/patients/{patient_id}/screenings/{screening_id}/decisions", "{}", NOT_PHYSICIAN),
    api(Method::POST, "/api/v1/checkins/{checkin_id}/callbacks", "{}", NOT_BEDSIDE),
    // The deprecated old name of `/callbacks` (issue 13), the same handler.
    api(Method::POST, "/api/v1/checkins/{checkin_id}/acknowledgements", "{}", NOT_BEDSIDE),
    api(Method::POST, "/api/v1/checkins/{checkin_id}/clearances", "{}", NOT_BEDSIDE),
    api(Method::POST, "/api/v1/patients/{patient_id}/cycle-2-delays", "{}", NOT_PHYSICIAN),
    api(Method::POST, "/api/v1/patients/{patient_id}/settings", "{}", NOT_PHYSICIAN),
    api(Method::POST, "/api/v1/settings", "{}", NOT_PHYSICIAN),
    api(
        Method::POST,
        "/fhir",
        r#"{"resourceType": "Bundle", "type": "transaction", "entry": []}"#,
        &["pharmacist", "admin", "patient_a"],
    ),
    api(Method::POST, "/cds-services/{service_id}", "{}", &["admin", "patient_a"]),
    api(Method::POST, "/cds-services/{service_id}/feedback", "{}", &["admin", "patient_a"]),
    api(Method::POST, "/api/v1/accounts", ACCOUNT, NOT_ADMIN),
    api(Method::POST, "/api/v1/accounts/{account_id}/disable", "", NOT_ADMIN),
    api(Method::POST, "/api/v1/accounts/{account_id}/enable", "", NOT_ADMIN),
    api(Method::POST, "/api/v1/accounts/{account_id}/unlock", "", NOT_ADMIN),
    api(Method::POST, "/api/v1/accounts/{account_id}/password-reset", "", NOT_ADMIN),
    api(
        Method::POST,
        "/api/v1/patients/{patient_id}/courses/{course_id}/verifications",
        r#"{"lot": "L1", "lot_expires_on": "2099-01-01"}"#,
        &["nurse", "physician", "admin", "patient_b", "patient_a"],
    ),
    api(
        Method::POST,
        "/api/v1/patients/{patient_id}/courses/{course_id}/measurements",
        r#"{"code": "height", "value": {"value": 170, "unit": "cm"}}"#,
        &["nurse", "admin", "patient_b", "patient_a"],
    ),
    form("/patients/{patient_id}/assessment", "course_id={course}", &["pharmacist", "admin", "patient_b"]),
    form("/patients/{patient_id}/dose", "course_id={course}&status=given", &["pharmacist", "admin", "patient_b"]),
    form("/checkins/{checkin_id}/call-back", "note=called", &["pharmacist", "admin", "patient_a"]),
    // The deprecated old name of `/call-back` (issue 13), the same handler.
    form("/checkins/{checkin_id}/acknowledge", "note=called", &["pharmacist", "admin", "patient_a"]),
    form("/pharmacy/screenings", "patient_id={p}&document=%7B%7D", &["nurse", "admin", "patient_a"]),
    form("/me/checkins", "step=red_flags", NOT_PATIENT),
    form("/me/injections", "slot=1", NOT_PATIENT),
    form("/admin/accounts", "username=x2&display_name=X&role=nurse", NOT_ADMIN),
    form("/admin/accounts/{user_id}/disable", "", NOT_ADMIN),
    form("/admin/accounts/{user_id}/enable", "", NOT_ADMIN),
    form("/admin/accounts/{user_id}/unlock", "", NOT_ADMIN),
    form("/admin/accounts/{user_id}/reset", "", NOT_ADMIN),
    form(
        "/patients/new",
        "mrn=D-4&display_name=D&date_of_birth=1970-01-01&sex=unknown",
        &["pharmacist", "admin", "patient_a"],
    ),
    form("/patients/{patient_id}/courses/new", "regimen=hd-iv", NOT_PHYSICIAN),
    form("/patients/{patient_id}/screening", "regimen=hd-iv", &["nurse", "admin", "patient_b"]),
    form("/patients/{patient_id}/screening/{screening_id}/decisions", "item=1&decision=acknowledge", NOT_PHYSICIAN),
    form(
        "/pharmacy/courses/{course_id}/verifications",
        "patient_id={p}&lot=L1&lot_expires_on=2099-01-01",
        &["nurse", "physician", "admin", "patient_b"],
    ),
    form(
        "/pharmacy/courses/{course_id}/measurements",
        "patient_id={p}&code=height&value=170&unit=cm",
        &["nurse", "admin", "patient_b"],
    ),
];

/// Write routes no role is refused on, and why.
const NOT_ROLE_GUARDED: &[(&str, &str, &str)] = &[
    ("POST", "/api/v1/session", "signing in: no one is signed in yet"),
    ("DELETE", "/api/v1/session", "signing out ends the caller's own session"),
    ("POST", "/signin", "signing in: no one is signed in yet"),
    ("POST", "/signout", "signing out ends the caller's own session"),
    ("POST", "/api/v1/triage", "stateless: touches no record, needs no sign-in"),
    ("POST", "/api/v1/assess", "stateless: touches no record, needs no sign-in"),
    ("POST", "/api/v1/account/password", "every signed-in user changes their own password"),
    ("POST", "/account/password", "every signed-in user changes their own password"),
];

/// Refusals audited only by the service's last line (`security.rs`, resource `METHOD /path`), not where they are
/// decided: (method, route, who). Known gaps in files of other handlers; this list may only shrink.
const AUDITED_ONLY_BY_THE_LAST_LINE: &[(&str, &str, &str)] = &[];

/// The write routes the router declares, read from its source: `(method, route)` for each `post(`, `put(`,
/// `patch(` and `delete(` in a `.route(...)` call of a file under `src/`.
fn declared_write_routes() -> BTreeSet<(String, String)> {
    fn walk(folder: &Path, into: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(folder).unwrap().filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, into);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                into.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut files);
    let mut routes = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            // The call's text, up to its closing parenthesis.
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find(|(_, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    depth == 0
                })
                .map_or(rest.len(), |(index, _)| index);
            let call = &rest[..end];
            let Some(route) = call.split('"').nth(1) else { continue };
            for (token, method) in [("post(", "POST"), ("put(", "PUT"), ("patch(", "PATCH"), ("delete(", "DELETE")] {
                let found = call.match_indices(token).any(|(index, _)| {
                    // `post(` as a routing function, not the end of a longer name (`repost(`).
                    call[..index].chars().last().is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
                });
                if found {
                    routes.insert((method.to_string(), route.to_string()));
                }
            }
        }
    }
    routes
}

async fn denied_entries(app: &TestApp, actor: &str) -> Vec<String> {
    let mut conn = app.db.store.connection().await.unwrap();
    let filter = AuditFilter { actor: Some(actor.into()), action: Some("denied".into()), ..AuditFilter::default() };
    audit_entries(&mut conn, &filter, 100_000).await.unwrap().into_iter().map(|entry| entry.resource).collect()
}

async fn every_refused_write_by_every_role_is_answered_403_and_audited(app: &TestApp) {
    // The table covers every write route of the router, and nothing else.
    let declared = declared_write_routes();
    assert!(
        declared.len() >= 45,
        "the router's source declares {} write routes: is the reader broken?",
        declared.len()
    );
    let listed: BTreeSet<(String, String)> = WRITES
        .iter()
        .map(|write| (write.method.to_string(), write.route.to_string()))
        .chain(NOT_ROLE_GUARDED.iter().map(|(method, route, _)| (method.to_string(), route.to_string())))
        .collect();
    let unlisted: Vec<_> = declared.difference(&listed).collect();
    assert!(
        unlisted.is_empty(),
        "write routes missing from the refusal walker's table (say who is refused): {unlisted:?}"
    );
    let stale: Vec<_> = listed.difference(&declared).collect();
    assert!(stale.is_empty(), "routes in the walker's table that the router no longer declares: {stale:?}");

    // What the routes act on: patient A's course, check-in and screening, the nurse's account.
    let physician = app.token("physician").await;
    let patient_a = app.token("patient_a").await;
    let admin = app.token("admin").await;
    let p = app.patient_a;
    let course_body = json!({"regimen": "hd-iv", "started_at": "2026-11-25T08:00:00Z",
                             "baseline_weight": {"value": 80, "unit": "kg"}});
    let (status, course) = app.post(&format!("/api/v1/patients/{p}/courses"), Some(&physician), &course_body).await;
    assert_eq!(status, StatusCode::CREATED, "{course}");
    let course_id = course["id"].as_i64().unwrap();
    let checkin: Value = serde_json::from_str(CHECKIN).unwrap();
    let (status, stored) = app.post(&format!("/api/v1/patients/{p}/checkins"), Some(&patient_a), &checkin).await;
    assert!(status.is_success(), "{stored}");
    let checkin_id = stored["id"].as_i64().unwrap();
    let screening: Value = serde_json::from_str(SCREENING).unwrap();
    let (status, stored) = app.post(&format!("/api/v1/patients/{p}/screenings"), Some(&physician), &screening).await;
    assert!(status.is_success(), "{stored}");
    let screening_id = stored["id"].as_i64().unwrap();
    let (_, accounts) = app.get("/api/v1/accounts", Some(&admin)).await;
    let account_id =
        accounts["accounts"].as_array().unwrap().iter().find(|account| account["username"] == "nurse").unwrap()["id"]
            .as_i64()
            .unwrap();
    let fill = |text: &str| {
        text.replace("{patient_id}", &p.to_string())
            .replace("{p}", &p.to_string())
            .replace("{course_id}", &course_id.to_string())
            .replace("{course}", &course_id.to_string())
            .replace("{checkin_id}", &checkin_id.to_string())
            .replace("{screening_id}", &screening_id.to_string())
            .replace("{account_id}", &account_id.to_string())
            .replace("{user_id}", &account_id.to_string())
            .replace("{service_id}", "il2care-patient-view")
    };

    let mut tokens = std::collections::HashMap::new();
    for username in ["patient_a", "patient_b", "nurse", "physician", "pharmacist", "admin"] {
        tokens.insert(username, app.token(username).await);
    }
    let mut failures = Vec::new();
    let mut last_line_only = Vec::new();
    let mut walked = 0;
    for write in WRITES {
        let path = fill(write.route);
        let body = fill(write.body);
        let content_type = match write.kind {
            Kind::Json => "application/json",
            Kind::Form => "application/x-www-form-urlencoded",
        };
        for &who in write.refused {
            let before = denied_entries(app, who).await;
            let (status, answer) = app.send(write.method.clone(), &path, Some(&tokens[who]), content_type, &body).await;
            let after = denied_entries(app, who).await;
            walked += 1;
            let call = format!("{} {} as {who}", write.method, write.route);
            if status != StatusCode::FORBIDDEN {
                let answer: String = answer.to_string().chars().take(300).collect();
                failures.push(format!("{call}: {status} (not 403): {answer}"));
                continue;
            }
            let new: Vec<&String> = after.iter().take(after.len() - before.len().min(after.len())).collect();
            if new.is_empty() {
                failures.push(format!("{call}: 403 without a denied entry naming {who}"));
                continue;
            }
            let last_line = format!("{} {path}", write.method);
            let where_decided = new.iter().any(|resource| **resource != last_line);
            let known = AUDITED_ONLY_BY_THE_LAST_LINE.iter().any(|(method, route, actor)| {
                *method == write.method.as_str() && *route == write.route && *actor == who
            });
            match (where_decided, known) {
                (true, true) => {
                    failures.push(format!("{call}: now audited where decided: remove it from the known gaps"))
                }
                (false, false) => {
                    last_line_only.push(format!("(\"{}\", \"{}\", \"{who}\"),", write.method, write.route))
                }
                _ => {}
            }
        }
    }
    assert!(walked > 100, "the walk covered {walked} refusals");
    assert!(failures.is_empty(), "{} refusals broke the rule:\n{}", failures.len(), failures.join("\n"));
    assert!(
        last_line_only.is_empty(),
        "refusals audited only by security.rs, not where they are decided (audit them in the use case):\n{}",
        last_line_only.join("\n")
    );
}

on_both_backends!(every_refused_write_by_every_role_is_answered_403_and_audited);
