//! The web pages served by `il2care serve`: server-rendered HTML (maud) that works without JavaScript, for
//! the care team (worklist, course page, pharmacist page) and the patient (check-in, result, history,
//! education). Handlers here are glue over the same functions as the JSON API, so a page and the API store,
//! triage, decide and audit alike; what a page shows is built by the pure functions of `view` and `chart`.
//!
//! Nothing clinical is decided here and no SQL is written here.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;

use crate::AppState;
use crate::auth::Actor;
use crate::error::AppError;

pub mod admin;
pub mod admission;
pub mod audit_page;
pub mod forms;
pub mod injection_log;
pub mod layout;
pub mod patient;
pub mod screening_view;
pub mod signin;
pub mod staff;
pub mod view;
pub mod words;
// Issue 14 (the ward): the course page's charts, the rule catalogue page, the dose form's co-signature and the
// worklist's time since the last vital signs.
pub mod cosign;
pub mod course_charts;
pub mod date_only;
pub mod rules;
pub mod vitals;
// Issue 16 (pharmacy and screening in the application): the screening form and the first-dose gate.
pub mod screening_form;
// Issue 16: the pharmacist's desk (working, verification, label, weight and height).
pub mod pharmacy;

/// The page routes (merged into the application router beside the API).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(signin::start))
        .route("/signin", get(signin::form).post(signin::submit))
        .route("/signout", post(signin::sign_out))
        .route("/worklist", get(staff::worklist))
        .route("/patients/{patient_id}", get(staff::course_page))
        .route("/patients/{patient_id}/education", get(staff::patient_education))
        .route("/patients/{patient_id}/timeline.csv", get(staff::timeline_csv))
        .route("/patients/{patient_id}/assessment", post(staff::assess))
        .route("/patients/{patient_id}/dose", post(staff::record_dose))
        .route("/checkins/{checkin_id}/call-back", post(staff::call_back))
        // Deprecated (issue 13): the old name of `/call-back`, kept for one release (forms in open browser tabs).
        .route("/checkins/{checkin_id}/acknowledge", post(staff::call_back))
        .route("/pharmacy", get(pharmacy::desk_page))
        .route("/pharmacy/screenings", post(pharmacy::import_screening))
        .route("/audit", get(audit_page::audit_log))
        .route("/me", get(patient::checkin_form))
        .route("/me/checkins", post(patient::submit_checkin))
        .route("/me/checkins/{checkin_id}", get(patient::result))
        .route("/me/history", get(patient::history))
        .route("/me/injections", get(patient::injections).post(patient::log_injection))
        .route("/me/education", get(patient::education))
        .route("/rules", get(rules::catalogue))
        .route("/audit.csv", get(audit_page::audit_csv_export))
        .route("/admin/accounts", get(admin::accounts).post(admin::create))
        .route("/admin/accounts/{user_id}/disable", post(admin::disable))
        .route("/admin/accounts/{user_id}/enable", post(admin::enable))
        .route("/admin/accounts/{user_id}/unlock", post(admin::unlock))
        .route("/admin/accounts/{user_id}/reset", post(admin::reset))
        .route("/account/password", get(admin::password_form).post(admin::change_password))
        .route("/patients/new", get(admission::admit_form).post(admission::admit))
        .route("/patients/{patient_id}/courses/new", get(admission::course_form).post(admission::start_course))
        .route("/patients/{patient_id}/screening", get(screening_form::form).post(screening_form::submit))
        .route("/patients/{patient_id}/screening/{screening_id}/decisions", post(screening_form::decide))
        .route("/pharmacy/courses/{course_id}/verifications", post(pharmacy::verify))
        .route("/pharmacy/courses/{course_id}/measurements", post(pharmacy::measure))
        .route("/pharmacy/verifications/{verification_id}/label", get(pharmacy::label))
}

/// A page request that failed: an HTML page with the status of the API's `AppError`, or, for a missing or
/// expired session, the way to the sign-in page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        PageError(error)
    }
}

impl From<il2care_app::Error> for PageError {
    fn from(error: il2care_app::Error) -> Self {
        PageError(error.into())
    }
}

impl From<il2care_core::Refusal> for PageError {
    fn from(refusal: il2care_core::Refusal) -> Self {
        PageError(refusal.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        if status == StatusCode::UNAUTHORIZED && matches!(self.0, AppError::Unauthenticated) {
            return Redirect::to("/signin").into_response();
        }
        // A session opened with a temporary password goes to choose the user's own password first.
        if matches!(&self.0, AppError::Forbidden(message) if message == crate::auth::PASSWORD_CHANGE_REQUIRED) {
            return Redirect::to("/account/password").into_response();
        }
        let message = match &self.0 {
            AppError::Refused(refusal) => format!("{} — {}", refusal.field, refusal.reason),
            AppError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "page request failed");
                "Internal error; the cause is in the server log.".to_string()
            }
            other => other.to_string(),
        };
        (status, page(layout::error_page(status, &message))).into_response()
    }
}

/// What a page may load: nothing but its own inline styles (pages run no script), forms post only here, and
/// no other site may frame it.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// HTML as a response: never cached (pages carry patient data), under the content security policy.
pub fn html_response(text: String) -> Response {
    ([(header::CACHE_CONTROL, "no-store"), (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)], Html(text))
        .into_response()
}

/// The one script the education sheet runs: its print button's `onclick="window.print()"`, allowed by hash
/// (CSP `'unsafe-hashes'` with the SHA-256 of exactly that text, checked by a test), nothing else.
pub const SHEET_CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; \
     script-src 'unsafe-hashes' 'sha256-MguIPR6qNR8D3B+eAlK+bIRTZe8t3wkOY4B/56Me9FU='; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// The printable education sheet as a response: like [`html_response`], with the print button allowed.
pub fn sheet_response(text: String) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store"), (header::CONTENT_SECURITY_POLICY, SHEET_CONTENT_SECURITY_POLICY)],
        Html(text),
    )
        .into_response()
}

/// A rendered page as a response.
pub fn page(markup: Markup) -> Response {
    html_response(markup.into_string())
}

/// The signed-in actor of a page request, or the redirect to the sign-in page.
pub fn signed_in(actor: Result<Actor, AppError>) -> Result<Actor, PageError> {
    actor.map_err(PageError)
}

/// The result of a page handler.
pub type PageResult = Result<Response, PageError>;

#[cfg(test)]
mod tests {
    use sha2::Digest as _;

    use super::SHEET_CONTENT_SECURITY_POLICY;

    #[test]
    fn the_sheet_policy_allows_exactly_the_print_buttons_handler() {
        let sheet = il2care_content::sheet_html();
        let handler = sheet.split("onclick=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap();
        assert_eq!(handler, "window.print()");
        let digest = sha2::Sha256::digest(handler.as_bytes());
        let encoded = base64_standard(&digest);
        assert!(SHEET_CONTENT_SECURITY_POLICY.contains(&format!("'sha256-{encoded}'")), "{encoded}");
        assert_eq!(sheet.matches("onclick=").count(), 1, "no other handler runs on the sheet");
    }

    /// Standard base64 with padding (the CSP hash form).
    fn base64_standard(bytes: &[u8]) -> String {
        const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for index in 0..4 {
                if index <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * index)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}
