//! The admin's audit page (`/audit`): the log filtered by patient, actor, action, outcome and a range of days
//! in the ward's time zone, newest first, a page at a time (keyset paging on the entry id, never OFFSET, so the
//! thousandth page costs what the first does), times in the ward's zone, and the filtered rows as CSV
//! (`/audit.csv`). The filters are those of `GET /api/v1/audit` (`audit::AuditParams`), read once there; the
//! reads are the use cases of `il2care_app::audit_log`.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use il2care_app::audit_log::{self, AuditRecord};
use il2care_core::Refusal;
use maud::{Markup, html};

use super::admin::refusal_banner;
use super::layout::{Audience, shell};
use super::view::local_time;
use super::{PageResult, page, signed_in};
use crate::AppState;
use crate::audit::{AuditParams, ward_time};
use crate::auth::Actor;
use crate::error::AppError;

/// Entries a page shows.
pub const PAGE_SIZE: i64 = 50;
/// The most rows one CSV export holds (read a page of 1,000 at a time); narrow the filters for more.
pub const MAX_CSV_ROWS: usize = 100_000;

/// Actions the log holds, offered as suggestions (any text may be typed).
const ACTIONS: [&str; 17] = [
    "read",
    "write",
    "denied",
    "unauthenticated",
    "login",
    "login_failed",
    "login_rate_limited",
    "login_disabled",
    "login_temporary_password_spent",
    "logout",
    "account_create",
    "account_disable",
    "account_enable",
    "account_unlock",
    "account_password_reset",
    "password_change",
    "refusals_summarised",
];

/// The query string of `params` without the page cursor (for the CSV link and the next page).
fn query_of(params: &AuditParams, before: Option<i64>) -> String {
    let mut params = params.clone();
    params.before = before.map(|id| id.to_string());
    let pairs: Vec<(&str, &str)> = [
        ("patient_id", &params.patient_id),
        ("actor", &params.actor),
        ("action", &params.action),
        ("outcome", &params.outcome),
        ("from", &params.from),
        ("to", &params.to),
        ("before", &params.before),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.as_deref().map(str::trim).filter(|value| !value.is_empty()).map(|v| (name, v)))
    .collect();
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

fn filter_form(params: &AuditParams, refusal: Option<&Refusal>) -> Markup {
    let value = |value: &Option<String>| value.clone().unwrap_or_default();
    let mark = |name: &str| if refusal.is_some_and(|refusal| refusal.field == name) { "invalid" } else { "" };
    html! {
        form.filters.audit-filters method="get" action="/audit" {
            label class=(mark("patient_id")) { "Patient record " input type="number" name="patient_id" min="1" value=(value(&params.patient_id)); }
            label class=(mark("actor")) { "Who (username) " input type="text" name="actor" value=(value(&params.actor)); }
            label class=(mark("action")) { "Action " input type="text" name="action" list="audit-actions" value=(value(&params.action)); }
            datalist id="audit-actions" { @for action in ACTIONS { option value=(action) {} } }
            label class=(mark("outcome")) { "Outcome "
                select name="outcome" {
                    @for (id, words) in [("", "any"), ("ok", "ok"), ("denied", "denied"), ("refused", "refused")] {
                        option value=(id) selected[params.outcome.as_deref().unwrap_or("") == id] { (words) }
                    }
                }
            }
            label class=(mark("from")) { "From day " input type="date" name="from" value=(value(&params.from)); }
            label class=(mark("to")) { "To day " input type="date" name="to" value=(value(&params.to)); }
            button type="submit" { "Filter" }
            " " a href="/audit" { "Clear" }
        }
    }
}

fn entries_table(entries: &[AuditRecord], zone: &str) -> Markup {
    html! {
        table.cards.audit {
            thead { tr { th scope="col" { "When" } th scope="col" { "Who" } th scope="col" { "Action" }
                         th scope="col" { "What" } th scope="col" { "Patient" } th scope="col" { "Outcome" }
                         th scope="col" { "From" } } }
            tbody {
                @for entry in entries {
                    tr data-id=(entry.id) {
                        td data-label="When" { (local_time(entry.at_ms, zone)) }
                        td data-label="Who" { (entry.actor) " " small { "(" (entry.actor_role) ")" } }
                        td data-label="Action" { (entry.action) }
                        td data-label="What" { small.code { (entry.resource) } }
                        td data-label="Patient" { (entry.patient_id.map(|id| id.to_string()).unwrap_or_default()) }
                        td data-label="Outcome" { (entry.outcome) }
                        td data-label="From" { small.code { (entry.remote) } }
                    }
                }
            }
        }
    }
}

/// `GET /audit` (admin): one page of the filtered log; a bad filter comes back marked (422).
pub async fn audit_log(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Query(params): Query<AuditParams>,
) -> PageResult {
    let actor = signed_in(actor)?;
    let zone = state.site.ward_time_zone.clone();
    let (filter, refusal) = match params.filter(&zone) {
        Ok((filter, _)) => (Some(filter), None),
        Err(refusal) => (None, Some(refusal)),
    };
    let entries = match &filter {
        Some(filter) => {
            audit_log::page(&state.store, actor.app(), filter, PAGE_SIZE, crate::now()).await.map_err(AppError::from)?
        }
        None => {
            audit_log::may_read(&state.store, actor.app(), crate::now()).await.map_err(AppError::from)?;
            Vec::new()
        }
    };
    let next = (entries.len() as i64 == PAGE_SIZE).then(|| entries.last().map(|entry| entry.id)).flatten();
    let paged = filter.as_ref().is_some_and(|filter| filter.before_id.is_some());
    let markup = shell(
        "Audit log",
        Some(&actor),
        Audience::Staff,
        html! {},
        html! {
            h1 { "Audit log" }
            p.note { "Every read and write of the record, every sign-in and every refusal, newest first, "
                     (PAGE_SIZE) " a page. Times and days in the ward's time zone, " (zone) "." }
            (refusal_banner(refusal.as_ref()))
            (filter_form(&params, refusal.as_ref()))
            @if refusal.is_none() {
                p { a href=(format!("/audit.csv?{}", query_of(&params, None))) download { "Download these entries as CSV" }
                    " " small.note { "(every matching entry, up to " (MAX_CSV_ROWS) ")" } }
                @if entries.is_empty() {
                    p id="audit-empty" { "No entry matches these filters." }
                } @else {
                    (entries_table(&entries, &zone))
                }
                nav.pager aria-label="Pages" {
                    @if paged { a href=(format!("/audit?{}", query_of(&params, None))) { "Newest entries" } " " }
                    @if let Some(next) = next {
                        a href=(format!("/audit?{}", query_of(&params, Some(next)))) rel="next" id="older" { "Older entries" }
                    }
                }
            }
        },
    );
    let status = if refusal.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, page(markup)).into_response())
}

/// One CSV cell: quoted when it holds a comma, a quote or a line break (RFC 4180, quotes doubled); a cell
/// that a spreadsheet could run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return)
/// is prefixed with `'`.
pub fn csv_cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

/// The CSV of `entries`: a header line, then one line per entry (CRLF line ends).
pub fn audit_csv(entries: &[AuditRecord], zone: &str) -> String {
    let mut csv = String::from("id,at_ward_time,at_utc,actor,actor_role,action,resource,patient_id,outcome,remote\r\n");
    for entry in entries {
        let cells = [
            entry.id.to_string(),
            ward_time(entry.at_ms, zone),
            crate::rfc3339(entry.at_ms),
            entry.actor.clone(),
            entry.actor_role.clone(),
            entry.action.clone(),
            entry.resource.clone(),
            entry.patient_id.map(|id| id.to_string()).unwrap_or_default(),
            entry.outcome.clone(),
            entry.remote.clone(),
        ];
        csv.push_str(&cells.iter().map(|cell| csv_cell(cell)).collect::<Vec<_>>().join(","));
        csv.push_str("\r\n");
    }
    csv
}

/// `GET /audit.csv` (admin): every entry the filters match (up to [`MAX_CSV_ROWS`]), newest first; audited
/// as one read of the log.
pub async fn audit_csv_export(
    State(state): State<AppState>,
    actor: Result<Actor, AppError>,
    Query(params): Query<AuditParams>,
) -> PageResult {
    let actor = signed_in(actor)?;
    audit_log::may_read(&state.store, actor.app(), crate::now()).await.map_err(AppError::from)?;
    let zone = state.site.ward_time_zone.clone();
    let (filter, _) = params.filter(&zone)?;
    let entries = audit_log::export(&state.store, actor.app(), &filter, MAX_CSV_ROWS, crate::now())
        .await
        .map_err(AppError::from)?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"il2care-audit.csv\"".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        audit_csv(&entries, &zone),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::csv_cell;

    #[test]
    fn cells_are_quoted_when_needed_and_never_run_as_formulas() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-1"), "'-1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("=a,b"), "\"'=a,b\"");
        assert_eq!(csv_cell("a=1"), "a=1");
    }
}
