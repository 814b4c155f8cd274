//! FHIR R4 JSON under `/fhir`: `GET /fhir/Patient/{id}` (read), `GET /fhir/Patient/{id}/$everything` (the
//! record as a searchset Bundle), `GET /fhir/Observation?patient=&code=&date=` (search) and `POST /fhir` (import a Bundle, answered with an OperationOutcome or a
//! transaction-response Bundle). The import and the record's gathering are use cases of the application
//! layer (`il2care_app::fhir`, also used by `il2care import`/`export`); access, the reads and their audit are
//! `il2care_app::fhir_rest`'s; [`import_text`] here is a thin wrapper with its old signature.
//!
//! HTTP only: the wire crate renders and reads FHIR, the application layer decides access, reads the record and
//! audits, as for the API; a `transaction` Bundle is stored all or nothing.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use il2care_app::fhir::ImportStatus;
use il2care_app::fhir_rest;
use il2care_wire::fhir::export::{self, BundleType};
use il2care_wire::fhir::import::{self, Issue};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::auth::Actor;
use crate::body::{Body, json_text};
use crate::error::AppError;

/// The FHIR JSON media type.
pub const FHIR_JSON: &str = "application/fhir+json";

pub use il2care_app::fhir::{Applied, ImportProgress, gather};

/// The outcome of an import: the HTTP status and the FHIR body (also printed by `il2care import`).
#[derive(Clone, Debug)]
pub struct ImportOutcome {
    pub status: StatusCode,
    pub body: Value,
    /// Whether anything was refused.
    pub refused: bool,
}

impl From<il2care_app::fhir::ImportOutcome> for ImportOutcome {
    fn from(outcome: il2care_app::fhir::ImportOutcome) -> Self {
        let status = match outcome.status {
            ImportStatus::Unreadable => StatusCode::BAD_REQUEST,
            ImportStatus::Refused => StatusCode::UNPROCESSABLE_ENTITY,
            ImportStatus::Stored => StatusCode::OK,
        };
        ImportOutcome { status, body: outcome.body, refused: outcome.refused }
    }
}

/// Imports a Bundle's text: a transaction all or nothing, a collection (or batch) resource by resource.
/// (Moved to `il2care_app::fhir::import_text`.)
pub async fn import_text(
    state: &AppState,
    text: &str,
    by: &il2care_app::Actor,
    physician: bool,
) -> Result<ImportOutcome, AppError> {
    import_text_reporting(state, text, by, physician, &|_| {}).await
}

/// [`import_text`], telling `progress` how far it has come.
pub async fn import_text_reporting(
    state: &AppState,
    text: &str,
    by: &il2care_app::Actor,
    physician: bool,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Result<ImportOutcome, AppError> {
    let outcome = il2care_app::fhir::import_text_reporting(
        &state.store,
        &state.mrn_system,
        text,
        by,
        physician,
        crate::now(),
        progress,
    )
    .await?;
    Ok(outcome.into())
}

fn fhir_response(status: StatusCode, body: Value) -> Response {
    let mut response = (status, Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    response
}

/// The FHIR base URL, for `fullUrl`s: the configured public URL (`--public-url`), never a request header.
fn base_url(state: &AppState) -> String {
    format!("{}/fhir", state.public_url())
}

/// `POST /fhir` (nurse, physician; a course needs a physician): imports a Bundle.
pub async fn import_bundle(
    State(state): State<AppState>,
    actor: Actor,
    headers: HeaderMap,
    Body(body): Body,
) -> Result<Response, AppError> {
    let now = crate::now();
    let actor = actor.app();
    let admitted = fhir_rest::admit_import(&state.store, actor, now).await?;
    // A body that is not UTF-8 is answered as FHIR answers a bad Bundle: an OperationOutcome, audited.
    let text = match json_text(&headers, &body) {
        Ok(text) => Ok(text),
        Err(AppError::Refused(refusal)) => Err(refusal),
        Err(other) => return Err(other),
    };
    let outcome = fhir_rest::import(&state.store, admitted, &state.mrn_system, actor, text, now).await?;
    let outcome = ImportOutcome::from(outcome);
    Ok(fhir_response(outcome.status, outcome.body))
}

/// `GET /fhir/Patient/{id}`: the Patient resource.
pub async fn read_patient(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Response, AppError> {
    let entry = fhir_rest::read_patient(&state.store, actor.app(), patient_id, crate::now()).await?;
    Ok(fhir_response(StatusCode::OK, export::prune(export::patient_resource(&entry))))
}

/// `GET /fhir/Patient/{id}/$everything[?_type=A,B][&_since=instant][&_count=N]`: the whole record as a
/// searchset Bundle (the audit entries only for staff: a patient sees their record, not who read it). `_type`
/// keeps the resources of those types (the Patient always), `_since` those whose time (effective, authored,
/// recorded) is at or after the instant (the Patient and the courses always), `_count` pages the answer (`next`
/// links with `_offset`; the order is stable: Patient, then by type and time).
pub async fn everything(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let options = match everything_options(query.as_deref().unwrap_or("")) {
        Ok(options) => options,
        Err(refusal) => return Ok(refusal_outcome(refusal)),
    };
    let snapshot = fhir_rest::everything(&state.store, actor.app(), patient_id, crate::now()).await?;
    let kept: Vec<Value> = export::resources(&snapshot)
        .into_iter()
        .filter(|resource| {
            let kind = resource["resourceType"].as_str().unwrap_or_default();
            kind == "Patient" || options.types.is_empty() || options.types.iter().any(|wanted| wanted == kind)
        })
        .filter(|resource| options.since.is_none_or(|since| resource_time(resource).is_none_or(|at| at >= since)))
        .collect();
    let total = kept.len();
    let size = options.count.unwrap_or(usize::MAX);
    let page: Vec<Value> = kept.into_iter().skip(options.offset).take(size).collect();
    let base = base_url(&state);
    let mut bundle = export::bundle_of(page, BundleType::Searchset, &base, crate::now_ms());
    bundle["total"] = json!(total);
    let link = |offset: usize| {
        let mut query = options.query.clone();
        query.push(format!("_offset={offset}"));
        format!("{base}/Patient/{patient_id}/$everything?{}", query.join("&"))
    };
    let mut links = vec![json!({"relation": "self", "url": link(options.offset)})];
    if options.count.is_some() && options.offset.saturating_add(size) < total {
        links.push(json!({"relation": "next", "url": link(options.offset + size)}));
    }
    bundle["link"] = Value::Array(links);
    Ok(fhir_response(StatusCode::OK, bundle))
}

/// The parameters of `$everything`.
#[derive(Clone, Debug, Default)]
struct EverythingOptions {
    types: Vec<String>,
    since: Option<jiff::Timestamp>,
    count: Option<usize>,
    offset: usize,
    /// The parameters as they go into links (without `_offset`).
    query: Vec<String>,
}

fn everything_options(query: &str) -> Result<EverythingOptions, il2care_core::Refusal> {
    use il2care_core::Refusal;
    let mut options = EverythingOptions::default();
    for pair in query.split('&').filter(|pair| !pair.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let value =
            value.replace("%2C", ",").replace("%2c", ",").replace("%3A", ":").replace("%3a", ":").replace("%2B", "+");
        match key {
            "_type" => {
                options.types.extend(value.split(',').filter(|kind| !kind.is_empty()).map(str::to_string));
                options.query.push(format!("_type={}", options.types.join(",")));
            }
            "_since" => {
                let since = value.parse::<jiff::Timestamp>().map_err(|_| {
                    Refusal::new("_since", format!("`{value}` is not an instant with an offset (2026-11-27T08:00:00Z)"))
                })?;
                options.since = Some(since);
                options.query.push(format!("_since={}", since));
            }
            "_count" => {
                let count = value
                    .parse::<usize>()
                    .map_err(|_| Refusal::new("_count", format!("`{value}` is not a whole number of entries")))?;
                let count = count.min(il2care_wire::fhir::conformance::MAX_COUNT);
                options.count = Some(count);
                options.query.push(format!("_count={count}"));
            }
            "_offset" => {
                options.offset = value
                    .parse::<usize>()
                    .map_err(|_| Refusal::new("_offset", format!("`{value}` is not an offset of a next link")))?;
            }
            _ => {}
        }
    }
    Ok(options)
}

/// The time of a resource for `_since`: its effective time or period start, authored or recorded time.
fn resource_time(resource: &Value) -> Option<jiff::Timestamp> {
    let text = [
        &resource["effectiveDateTime"],
        &resource["effectivePeriod"]["start"],
        &resource["authored"],
        &resource["recorded"],
        &resource["identifiedDateTime"],
        &resource["period"]["start"],
    ]
    .into_iter()
    .find_map(Value::as_str)?;
    text.parse().ok().or_else(|| il2care_wire::fhir::search::civil_range(text).map(|(from, _)| from))
}

/// A refused search parameter as a 400 OperationOutcome naming it.
fn refusal_outcome(refusal: il2care_core::Refusal) -> Response {
    let issue = Issue {
        severity: "error",
        code: "invalid",
        diagnostics: format!("{}: {}", refusal.field, refusal.reason),
        expression: refusal.field,
    };
    fhir_response(StatusCode::BAD_REQUEST, import::operation_outcome(&[issue]))
}

/// `GET /fhir/Observation?patient=ID[&category=][&code=system|code][&date=ge2026-11-27][&_count=][&_sort=-date]`:
/// one patient's Observations as a searchset Bundle with `total` (every match) and `self`/`next` links (keyset
/// paging on date then id); a search without a patient is refused with an OperationOutcome (400).
pub async fn search_observations(
    State(state): State<AppState>,
    actor: Actor,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let search = match il2care_wire::fhir::search::parse(query.as_deref().unwrap_or("")) {
        Ok(search) => search,
        Err(refusal) => return Ok(refusal_outcome(refusal)),
    };
    let patient_id = search.patient;
    let snapshot = fhir_rest::observations(&state.store, actor.app(), patient_id, crate::now()).await?;
    let subject = json!({"reference": format!("Patient/{patient_id}")});
    let found: Vec<Value> = export::observation_resources(&snapshot.observations, &subject)
        .into_iter()
        .map(export::prune)
        .filter(|resource| il2care_wire::fhir::search::matches(resource, &search))
        .collect();
    let page = il2care_wire::fhir::search::page(found, &search);
    let base = base_url(&state);
    let query = search.query_string();
    let mut bundle = export::bundle_of(page.entries, BundleType::Searchset, &base, crate::now_ms());
    bundle["total"] = json!(page.total);
    let this = match &search.after {
        Some((ms, id)) => format!("{base}/Observation?{query}&_after={ms}_{id}"),
        None => format!("{base}/Observation?{query}"),
    };
    let mut links = vec![json!({"relation": "self", "url": this})];
    if let Some(next) = page.next {
        links.push(json!({"relation": "next", "url": format!("{base}/Observation?{query}&_after={next}")}));
    }
    bundle["link"] = Value::Array(links);
    Ok(fhir_response(StatusCode::OK, bundle))
}
