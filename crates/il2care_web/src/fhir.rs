//! FHIR R4 JSON under `/fhir`: `GET /fhir/Patient/{id}` (read), `GET /fhir/Patient/{id}/$everything` (the
//! record as a searchset Bundle), `GET /fhir/Observation?patient=&code=&date=` (search) and `POST /fhir` (import a Bundle, answered with an OperationOutcome or a
//! transaction-response Bundle). The import and the record's gathering are use cases of the application
//! layer (`il2care_app::fhir`, also used by `il2care import`/`export`); [`gather`], [`apply`] and
//! [`import_text`] here are thin wrappers with their old signatures.
//!
//! Glue only: the wire crate renders and reads FHIR, the store keeps the record. Every read and write is
//! role-checked and audited like the API; a `transaction` Bundle is stored all or nothing.

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use il2care_app::fhir::ImportStatus;
use il2care_store::Conn;
use il2care_store::record;
use il2care_wire::fhir::export::{self, BundleType, PatientRecord};
use il2care_wire::fhir::import::{self, ImportPlan, Issue};
use serde_json::{Value, json};

use crate::AppState;
use crate::api::RecordId;
use crate::api::patients::authorize;
use crate::audit::by_actor;
use crate::auth::{Actor, Role};
use crate::body::{Body, json_text};
use crate::error::AppError;
use crate::use_cases::INJECTION_LOG_RULES;

/// The FHIR JSON media type.
pub const FHIR_JSON: &str = "application/fhir+json";

/// Reads everything exported about a patient; `with_audit` adds the patient's audit entries (oldest first).
/// (Moved to `il2care_app::fhir::gather`.)
pub async fn gather(conn: &mut Conn, patient_id: i64, with_audit: bool) -> Result<PatientRecord, AppError> {
    Ok(il2care_app::fhir::gather(conn, patient_id, with_audit).await?)
}

pub use il2care_app::fhir::{Applied, ImportProgress, Importer};

/// Stores a plan's items on `conn` (a transaction the caller commits or rolls back), with the injection log's
/// rules of this service. (Moved to `il2care_app::fhir::apply`.)
pub async fn apply(
    conn: &mut Conn,
    plan: &ImportPlan,
    by: &Importer,
    now_ms: i64,
    progress: &(dyn Fn(ImportProgress) + Sync),
) -> Result<Applied, AppError> {
    Ok(il2care_app::fhir::apply(conn, plan, by, now_ms, &INJECTION_LOG_RULES, progress).await?)
}

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
    by: &Importer,
    physician: bool,
) -> Result<ImportOutcome, AppError> {
    import_text_reporting(state, text, by, physician, &|_| {}).await
}

/// [`import_text`], telling `progress` how far it has come.
pub async fn import_text_reporting(
    state: &AppState,
    text: &str,
    by: &Importer,
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
        &INJECTION_LOG_RULES,
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
    if let Err(error) = actor.require(&[Role::Nurse, Role::Physician]) {
        let mut conn = state.store.connection().await?;
        by_actor(&mut conn, &actor, "denied", "fhir/import", None, "denied").await?;
        return Err(error);
    }
    // A body that is not UTF-8 is answered as FHIR answers a bad Bundle: an OperationOutcome, audited.
    let text = match json_text(&headers, &body) {
        Ok(text) => text,
        Err(AppError::Refused(refusal)) => {
            let mut conn = state.store.connection().await?;
            by_actor(&mut conn, &actor, "write", "fhir/import", None, "refused").await?;
            let outcome = import::refused_bundle(format!("{}: {}", refusal.field, refusal.reason));
            return Ok(fhir_response(StatusCode::BAD_REQUEST, outcome));
        }
        Err(other) => return Err(other),
    };
    let outcome = import_text(&state, &text, &Importer::of(&actor), actor.role == Role::Physician).await?;
    if outcome.refused && outcome.status != StatusCode::OK {
        let mut conn = state.store.connection().await?;
        by_actor(&mut conn, &actor, "write", "fhir/import", None, "refused").await?;
    }
    Ok(fhir_response(outcome.status, outcome.body))
}

/// `GET /fhir/Patient/{id}`: the Patient resource.
pub async fn read_patient(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Response, AppError> {
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}");
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    let patient = record::patient(&mut conn, patient_id).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &format!("fhir/Patient/{patient_id}"), Some(patient_id)).await?;
    let entry = export::PatientEntry {
        id: patient.id,
        mrn: patient.mrn,
        name: patient.display_name,
        date_of_birth: patient.date_of_birth,
        sex: patient.sex,
        time_zone: patient.time_zone,
    };
    Ok(fhir_response(StatusCode::OK, export::prune(export::patient_resource(&entry))))
}

/// `GET /fhir/Patient/{id}/$everything`: the whole record as a searchset Bundle (the audit entries only for
/// staff: a patient sees their record, not who read it).
pub async fn everything(
    State(state): State<AppState>,
    actor: Actor,
    RecordId(patient_id): RecordId,
) -> Result<Response, AppError> {
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}/fhir/everything");
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    let snapshot = gather(&mut conn, patient_id, actor.role.is_clinical_staff()).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    let bundle = export::bundle(&snapshot, BundleType::Searchset, &base_url(&state), crate::now_ms());
    Ok(fhir_response(StatusCode::OK, bundle))
}

/// `GET /fhir/Observation?patient=ID[&code=system|code][&date=ge2026-11-27]`: one patient's Observations as a
/// searchset Bundle; a search without a patient is refused with an OperationOutcome (400).
pub async fn search_observations(
    State(state): State<AppState>,
    actor: Actor,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let search = match il2care_wire::fhir::search::parse(query.as_deref().unwrap_or("")) {
        Ok(search) => search,
        Err(refusal) => {
            let issue = Issue {
                severity: "error",
                code: "invalid",
                diagnostics: format!("{}: {}", refusal.field, refusal.reason),
                expression: refusal.field,
            };
            return Ok(fhir_response(StatusCode::BAD_REQUEST, import::operation_outcome(&[issue])));
        }
    };
    let patient_id = search.patient;
    let mut conn = state.store.connection().await?;
    let resource = format!("patient/{patient_id}/fhir/observations");
    authorize(&mut conn, &actor, patient_id, &resource).await?;
    let snapshot = gather(&mut conn, patient_id, false).await?;
    drop(conn); // Back to the pool before the audit commit is awaited.
    crate::audit::read(&state, &actor, &resource, Some(patient_id)).await?;
    let subject = json!({"reference": format!("Patient/{patient_id}")});
    let found: Vec<Value> = snapshot
        .observations
        .iter()
        .filter_map(|observation| export::observation_resource(observation, &subject))
        .map(export::prune)
        .filter(|resource| il2care_wire::fhir::search::matches(resource, &search))
        .collect();
    let bundle = export::bundle_of(found, BundleType::Searchset, &base_url(&state), crate::now_ms());
    Ok(fhir_response(StatusCode::OK, bundle))
}
