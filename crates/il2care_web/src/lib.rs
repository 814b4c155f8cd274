//! il2care's HTTP service: the JSON API under `/api/v1`, sign-in and roles, the audit trail, health and
//! metrics, over the store. Handlers are glue: the wire crate parses and renders documents, the core decides,
//! the store keeps the record. Each resource module owns its routes.
//!
//! State is cloneable and holds only shared handles; nothing clinical is kept in process memory, so several
//! instances behind one load balancer against one PostgreSQL behave as one system.

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use il2care_store::Store;

pub mod api;
pub mod audit;
pub mod auth;
pub mod body;
pub mod cds_auth;
pub mod cds_cors;
pub mod cds_hooks;
pub mod demo;
pub mod error;
pub mod fhir;
pub mod fhir_client;
pub mod fhir_rest;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod security;
pub mod server;
pub mod site;
pub mod smart;

/// What every handler may use.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub metrics: Arc<metrics::Metrics>,
    /// The EHRs allowed to call `/cds-services` with a JWT; `None` leaves only staff session tokens.
    pub cds_issuers: Option<Arc<cds_auth::CdsIssuers>>,
    /// The CDS services' per-patient facts, reused while the patient's record is unchanged.
    pub cds_facts: Arc<cds_hooks::FactsCache>,
    /// The ward's time zone and the telephone numbers the pages show.
    pub site: Arc<site::Site>,
    /// The public base URL, the cross-site check, the cookie flags and the audit of refusals.
    pub security: Arc<security::Security>,
    /// Password hashing runs on the blocking pool, at most this many at once, so sign-ins never take the
    /// threads that answer other requests.
    pub hashing: Arc<tokio::sync::Semaphore>,
    /// The identifier system of the site's MRNs (`il2care serve --mrn-system`): CDS Hooks and FHIR import
    /// match a Patient only on an identifier of this system.
    pub mrn_system: Arc<str>,
    /// The EHRs that may open il2care by SMART App Launch (`il2care serve --smart-config`); `None`: no launch.
    pub smart: Option<Arc<smart::SmartConfig>>,
    /// The EHR origins allowed cross-origin access to `/cds-services` (`il2care serve --cds-cors-origins`).
    pub cds_cors_origins: Arc<cds_cors::CorsOrigins>,
}

impl AppState {
    /// State over an opened store.
    pub fn new(store: Store) -> AppState {
        AppState {
            store,
            metrics: Arc::new(metrics::Metrics::default()),
            cds_issuers: None,
            cds_facts: Arc::new(cds_hooks::FactsCache::default()),
            mrn_system: Arc::from(il2care_wire::fhir::import::DEFAULT_MRN_SYSTEM),
            site: Arc::new(site::Site::default()),
            security: Arc::new(security::Security::default()),
            hashing: Arc::new(tokio::sync::Semaphore::new(auth::MAX_CONCURRENT_HASHES)),
            smart: None,
            cds_cors_origins: Arc::new(cds_cors::CorsOrigins::default()),
        }
    }

    /// The same state, served at `public_url` (`--public-url`): FHIR `fullUrl`s use it, the cross-site check
    /// accepts its origin, and an `https://` URL marks the session cookie `Secure`.
    pub fn with_public_url(self, public_url: &str) -> Result<AppState, String> {
        let limit = self.security.patient_writes_per_hour;
        let mut security = security::Security::new(public_url)?;
        security.patient_writes_per_hour = limit;
        Ok(AppState { security: Arc::new(security), ..self })
    }

    /// The same state with another hourly write limit for patient accounts (0: none).
    pub fn with_patient_writes_per_hour(self, limit: i64) -> AppState {
        let mut security = security::Security::new(self.security.public_url()).unwrap_or_default();
        security.patient_writes_per_hour = limit;
        AppState { security: Arc::new(security), ..self }
    }

    /// The public base URL, `scheme://host[:port]` (configuration, never a request header).
    pub fn public_url(&self) -> &str {
        self.security.public_url()
    }

    /// The same state with these site settings.
    pub fn with_site(self, site: site::Site) -> AppState {
        AppState { site: Arc::new(site), ..self }
    }

    /// The same state, matching patients on MRNs of this identifier system.
    pub fn with_mrn_system(self, mrn_system: &str) -> AppState {
        AppState { mrn_system: Arc::from(mrn_system), ..self }
    }

    /// The same state, giving these EHR origins cross-origin access to `/cds-services`.
    pub fn with_cds_cors_origins(self, origins: cds_cors::CorsOrigins) -> AppState {
        AppState { cds_cors_origins: Arc::new(origins), ..self }
    }

    /// The same state, accepting EHR JWTs from these issuers on `/cds-services`.
    pub fn with_cds_issuers(self, issuers: cds_auth::CdsIssuers) -> AppState {
        AppState { cds_issuers: Some(Arc::new(issuers)), ..self }
    }

    /// The same state, letting these EHRs open il2care by SMART App Launch.
    pub fn with_smart(self, config: smart::SmartConfig) -> AppState {
        AppState { smart: Some(Arc::new(config)), ..self }
    }
}

/// The current time in epoch milliseconds: the one place the service reads the clock for the record.
pub fn now_ms() -> i64 {
    now().as_millisecond()
}

/// The current time: the one place the service reads the clock (use cases get it as their `now`).
pub fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// Epoch milliseconds as RFC 3339 (UTC).
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |at| at.to_string())
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(api::health::healthz))
        .route("/metrics", get(metrics::render))
        .route("/api/v1/openapi.json", get(openapi::document))
        .route("/api/v1/session", post(auth::sign_in).delete(auth::sign_out))
        .route("/api/v1/triage", post(api::stateless::triage))
        .route("/api/v1/assess", post(api::stateless::assess))
        .route("/api/v1/questionnaire", get(api::stateless::questionnaire))
        .route("/api/v1/patients", get(api::patients::list).post(api::patients::create))
        .route("/api/v1/patients/{patient_id}", get(api::patients::read))
        .route("/api/v1/patients/{patient_id}/courses", get(api::courses::list).post(api::courses::create))
        .route(
            "/api/v1/patients/{patient_id}/decisions",
            get(api::assessments::list).post(api::assessments::evaluate_and_record),
        )
        // Deprecated (issue 13): the old name of `/decisions`, answered by the same handlers for one release.
        .route(
            "/api/v1/patients/{patient_id}/assessments",
            get(api::assessments::list).post(api::assessments::evaluate_and_record),
        )
        .route(
            "/api/v1/patients/{patient_id}/observations",
            get(api::observations::list).post(api::observations::submit),
        )
        .route("/api/v1/patients/{patient_id}/doses", post(api::doses::record_dose))
        .route("/api/v1/patients/{patient_id}/checkins", get(api::checkins::list).post(api::checkins::submit))
        .route("/api/v1/patients/{patient_id}/injections", get(api::injections::list).post(api::injections::submit))
        .route("/api/v1/patients/{patient_id}/screenings", get(api::screenings::list).post(api::screenings::submit))
        .route("/api/v1/patients/{patient_id}/screenings/{screening_id}/decisions", post(api::screenings::decide))
        .route("/api/v1/checkins/{checkin_id}/callbacks", post(api::checkins::call_back))
        // Deprecated (issue 13): the old name of `/callbacks`, answered by the same handler for one release.
        .route("/api/v1/checkins/{checkin_id}/acknowledgements", post(api::checkins::call_back))
        .route("/api/v1/checkins/{checkin_id}/clearances", post(api::checkins::clear))
        .route("/api/v1/patients/{patient_id}/cycle-2-delays", post(api::courses::delay_cycle_two))
        .route("/api/v1/patients/{patient_id}/settings", post(api::courses::patient_settings))
        .route("/api/v1/settings", post(api::courses::site_settings))
        .route("/api/v1/worklist", get(api::worklist::worklist))
        .route("/api/v1/audit", get(audit::list))
        .route("/fhir", post(fhir::import_bundle))
        .route("/fhir/Patient/{patient_id}", get(fhir::read_patient))
        .route("/fhir/Observation", get(fhir::search_observations))
        .route("/fhir/Patient/{patient_id}/$everything", get(fhir::everything))
        .route("/cds-services", get(cds_hooks::discovery))
        .route("/cds-services/{service_id}", post(cds_hooks::call))
        .route("/cds-services/{service_id}/feedback", post(cds_hooks::feedback))
        .route("/api/v1/accounts", get(api::accounts::list).post(api::accounts::create))
        .route("/api/v1/accounts/{account_id}/disable", post(api::accounts::disable))
        .route("/api/v1/accounts/{account_id}/enable", post(api::accounts::enable))
        .route("/api/v1/accounts/{account_id}/unlock", post(api::accounts::unlock))
        .route("/api/v1/accounts/{account_id}/password-reset", post(api::accounts::password_reset))
        .route("/api/v1/account/password", post(api::accounts::change_password))
        .route(
            "/api/v1/patients/{patient_id}/courses/{course_id}/verifications",
            get(api::pharmacy::list).post(api::pharmacy::verify),
        )
        .route("/api/v1/patients/{patient_id}/courses/{course_id}/measurements", post(api::pharmacy::measure))
        .route("/fhir/metadata", get(fhir_rest::metadata))
        .route("/fhir/StructureDefinition/{name}", get(fhir_rest::structure_definition))
        .merge(pages::routes())
        .merge(smart::routes())
        .layer(DefaultBodyLimit::max(body::MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(state.clone(), security::protect))
        .layer(axum::middleware::from_fn_with_state(state.clone(), metrics::count))
        .layer(axum::middleware::from_fn(fhir_rest::conform))
        .layer(axum::middleware::from_fn_with_state(state.clone(), cds_cors::cors))
        .with_state(state)
}
