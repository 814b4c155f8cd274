//! SMART App Launch 2.x, EHR launch: il2care as a confidential client (`client-confidential-symmetric`) that
//! an EHR opens at `GET /smart/launch?iss=…&launch=…` (for example from the `smart` link of a patient-view
//! card) and that ends on the launched patient's course page, signed in as the EHR's clinician.
//!
//! The steps, each refused with a plain page and an audit entry (never a stack trace, never a token):
//! 1. `iss` must be a FHIR base URL of the site's `--smart-config` file; its
//!    `{iss}/.well-known/smart-configuration` is read (bounded) and must name the authorization and token
//!    endpoints, the OpenID Connect `issuer` and `jwks_uri`, and `S256` among `code_challenge_methods_supported`.
//! 2. The browser goes to the authorization endpoint with `response_type=code`, `client_id`, `redirect_uri`
//!    (`{public_url}/smart/callback`), `launch`, `scope` (default `launch openid fhirUser patient/*.read`),
//!    `state`, `aud` (= `iss`), `code_challenge` and `code_challenge_method=S256`. The `state` (256 random
//!    bits) is stored only as its digest, for ten minutes and one callback; the PKCE verifier lives only in an
//!    HttpOnly cookie of this browser, named after the state, so the callback must come back to the browser
//!    that launched (the database holds the `code_challenge`, which opens nothing).
//! 3. `GET /smart/callback?code&state`: the state is taken (single use, unexpired), the cookie's verifier must
//!    hash to the stored challenge, and the code is exchanged at the token endpoint with HTTP Basic client
//!    authentication (`client_secret_basic`) and the `code_verifier`.
//! 4. The `id_token` is verified: an asymmetric signature by a key of the discovered `jwks_uri`, `iss` = the
//!    discovered `issuer`, `aud` = the `client_id` (and `azp` when there are several audiences), `exp` (30 s
//!    leeway), `sub`. Its `fhirUser` (absolute, or relative to `iss`) must be mapped to a clinical role by the
//!    site's file; an unmapped user is refused.
//! 5. The token response's `patient` is read from `{iss}/Patient/{id}` with the access token
//!    ([`crate::fhir_client`]) and matched as CDS Hooks patient-view matches: an identifier of the site's MRN
//!    system, cross-checked against birth date, family name and gender
//!    ([`il2care_wire::fhir::matching`]). A mismatch is "patient could not be matched", audited, no session.
//! 6. A session is opened for the clinician's account (created on first sign-in, role from the mapping) and
//!    the browser is sent on to `/patients/{id}`. The session cookie is `SameSite=Strict`, which a browser
//!    does not send on a redirect chain that began on the EHR's site, so the callback answers a small page
//!    that moves on by itself (`<meta http-equiv="refresh">`, with a link): that navigation starts on il2care.
//!
//! The access token is used for that one read and dropped; nothing of the token response is stored or logged.

use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use il2care_core::Refusal;
use il2care_store::record;
use il2care_store::smart::{self as store_smart, Launch, Taken};
use il2care_wire::fhir::matching;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{AlgorithmFamily, DecodingKey, Validation};
use maud::html;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::auth::{Remote, Role};

/// The scopes il2care asks for unless the site's file says otherwise.
pub const DEFAULT_SCOPES: &str = "launch openid fhirUser patient/*.read";
/// How long a launch may take from the EHR's click to the callback.
pub const LAUNCH_MINUTES: i64 = 10;
/// Clock skew tolerated on the id_token's `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;
/// The whole of one call to the EHR (discovery, token, keys).
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest answer read from the EHR.
pub const MAX_ANSWER_BYTES: u64 = 256 * 1024;
/// The prefix of the cookie that carries one launch's PKCE verifier (followed by part of its state digest).
pub const LAUNCH_COOKIE_PREFIX: &str = "il2care_smart_";
/// The longest `launch` parameter accepted.
pub const MAX_LAUNCH_CHARS: usize = 2048;

/// A secret that never prints.
#[derive(Clone)]
struct Secret(String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("Secret(…)")
    }
}

/// One EHR that may launch il2care.
#[derive(Clone, Debug)]
struct SmartIssuer {
    /// The FHIR base URL, without trailing slash.
    iss: String,
    client_id: String,
    client_secret: Secret,
    /// The scopes asked for, space-separated.
    scope: String,
    /// `Practitioner/123` → the role its clinician gets.
    fhir_users: Vec<(String, Role)>,
}

/// The site's SMART configuration (`il2care serve --smart-config`), checked once at start-up.
#[derive(Clone, Debug)]
pub struct SmartConfig {
    issuers: Vec<SmartIssuer>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    issuers: Vec<IssuerEntry>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerEntry {
    iss: String,
    client_id: String,
    client_secret: Option<String>,
    client_secret_file: Option<String>,
    scopes: Option<Vec<String>>,
    fhir_users: std::collections::BTreeMap<String, String>,
}

/// Whether `host` (of `scheme://host[:port]`) is this machine, where plain http is allowed (tests, a local
/// EHR sandbox); anything else must be https, as the specification requires TLS for codes and tokens.
fn is_loopback(authority: &str) -> bool {
    let host = match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(host, _)| host),
    };
    host == "localhost" || host == "::1" || host.parse::<std::net::Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// An absolute https URL (http only on loopback) without user info or fragment, trailing slash removed.
fn endpoint_url(text: &str, query_allowed: bool) -> Option<String> {
    let url = text.trim().trim_end_matches('/');
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let scheme_ok = scheme == "https" || (scheme == "http" && is_loopback(authority));
    let clean = !authority.is_empty()
        && !url.contains(['#', ' ', '@', '\\'])
        && !url.chars().any(char::is_control)
        && (query_allowed || !url.contains('?'));
    (scheme_ok && clean).then(|| url.to_string())
}

/// Whether a scope only reads, or asks for context or identity: il2care never writes to the EHR.
fn allowed_scope(scope: &str) -> bool {
    if matches!(scope, "launch" | "openid" | "fhirUser" | "launch/patient" | "launch/encounter" | "online_access") {
        return true;
    }
    let Some(rest) = scope.strip_prefix("patient/").or_else(|| scope.strip_prefix("user/")) else {
        return false;
    };
    let Some((resource, permissions)) = rest.split_once('.') else { return false };
    let permissions = permissions.split('?').next().unwrap_or("");
    let resource_ok = resource == "*" || (!resource.is_empty() && resource.chars().all(|c| c.is_ascii_alphabetic()));
    let read_only =
        permissions == "read" || (!permissions.is_empty() && permissions.chars().all(|c| c == 'r' || c == 's'));
    resource_ok && read_only
}

/// `Practitioner/123` from a relative reference or an absolute one on `iss`; `None` for anything else.
fn user_reference(text: &str, iss: &str) -> Option<String> {
    let relative = text.strip_prefix(iss).and_then(|rest| rest.strip_prefix('/')).unwrap_or(text);
    let (kind, id) = relative.split_once('/')?;
    let kind_ok = matches!(kind, "Practitioner" | "PractitionerRole" | "Patient" | "RelatedPerson" | "Person");
    (kind_ok && crate::fhir_client::is_fhir_id(id)).then(|| relative.to_string())
}

impl SmartConfig {
    /// Reads and checks the file at `path` (a `client_secret_file` is relative to its folder).
    pub fn load(path: &Path) -> Result<SmartConfig, Refusal> {
        let text = std::fs::read_to_string(path)
            .map_err(|error| Refusal::new("--smart-config", format!("cannot read {}: {error}", path.display())))?;
        SmartConfig::from_json(&text, path.parent().unwrap_or(Path::new(".")))
    }

    /// Checks the configuration document: each EHR once, with a FHIR base URL, a client id, exactly one
    /// secret source, read-only scopes that include `launch openid fhirUser`, and at least one EHR user
    /// mapped to a clinical role (nurse, physician, pharmacist).
    pub fn from_json(text: &str, folder: &Path) -> Result<SmartConfig, Refusal> {
        let file: ConfigFile = serde_json::from_str(text)
            .map_err(|error| Refusal::new("--smart-config", format!("not a valid SMART configuration: {error}")))?;
        if file.issuers.is_empty() {
            return Err(Refusal::new("issuers", "must list at least one EHR"));
        }
        let mut issuers: Vec<SmartIssuer> = Vec::new();
        for (index, entry) in file.issuers.into_iter().enumerate() {
            let field = |name: &str| format!("issuers[{index}].{name}");
            let iss = endpoint_url(&entry.iss, false).ok_or_else(|| {
                Refusal::new(
                    field("iss"),
                    "must be the EHR's FHIR base URL over https, such as https://ehr.example.org/fhir",
                )
            })?;
            if issuers.iter().any(|known| known.iss == iss) {
                return Err(Refusal::new(field("iss"), "names an EHR listed before"));
            }
            let client_id = entry.client_id.trim().to_string();
            if client_id.is_empty() || client_id.chars().any(char::is_control) {
                return Err(Refusal::new(field("client_id"), "must be the client id the EHR gave il2care"));
            }
            let secret = match (entry.client_secret, entry.client_secret_file) {
                (Some(secret), None) => secret,
                (None, Some(file)) => {
                    let path = folder.join(file);
                    std::fs::read_to_string(&path).map_err(|error| {
                        Refusal::new(field("client_secret_file"), format!("cannot read {}: {error}", path.display()))
                    })?
                }
                _ => {
                    return Err(Refusal::new(
                        field("client_secret"),
                        "give exactly one of client_secret or client_secret_file",
                    ));
                }
            };
            let secret = secret.trim().to_string();
            if secret.is_empty() || secret.chars().any(char::is_control) {
                return Err(Refusal::new(field("client_secret"), "is empty or has control characters"));
            }
            let scopes: Vec<String> = match entry.scopes {
                Some(scopes) => scopes,
                None => DEFAULT_SCOPES.split(' ').map(str::to_string).collect(),
            };
            for (number, scope) in scopes.iter().enumerate() {
                if !allowed_scope(scope) {
                    return Err(Refusal::new(
                        field(&format!("scopes[{number}]")),
                        "is not a read-only, launch or identity scope (il2care never writes to the EHR)",
                    ));
                }
            }
            for needed in ["launch", "openid", "fhirUser"] {
                if !scopes.iter().any(|scope| scope == needed) {
                    return Err(Refusal::new(field("scopes"), format!("must include {needed}")));
                }
            }
            if entry.fhir_users.is_empty() {
                return Err(Refusal::new(field("fhir_users"), "must map at least one EHR user to a role"));
            }
            let mut fhir_users = Vec::new();
            for (user, role) in entry.fhir_users {
                let user_field = field(&format!("fhir_users.{user}"));
                let reference = user_reference(&user, &iss)
                    .filter(|reference| reference.starts_with("Practitioner"))
                    .ok_or_else(|| {
                    Refusal::new(
                        &user_field,
                        "must be a Practitioner or PractitionerRole reference, such as Practitioner/123",
                    )
                })?;
                let role = Role::parse(&role).filter(|role| role.is_clinical_staff()).ok_or_else(|| {
                    Refusal::new(
                        &user_field,
                        "must map to nurse, physician or pharmacist (the course page is for the care team)",
                    )
                })?;
                fhir_users.push((reference, role));
            }
            issuers.push(SmartIssuer {
                iss,
                client_id,
                client_secret: Secret(secret),
                scope: scopes.join(" "),
                fhir_users,
            });
        }
        Ok(SmartConfig { issuers })
    }

    /// The FHIR base URLs that may launch il2care.
    pub fn issuer_names(&self) -> Vec<&str> {
        self.issuers.iter().map(|issuer| issuer.iss.as_str()).collect()
    }

    fn issuer(&self, iss: &str) -> Option<&SmartIssuer> {
        let iss = iss.trim_end_matches('/');
        self.issuers.iter().find(|issuer| issuer.iss == iss)
    }
}

/// The browser routes of the launch (pages, like `crate::pages`, so not in the API's OpenAPI document).
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/smart/launch", axum::routing::get(launch))
        .route("/smart/callback", axum::routing::get(callback))
}

/// The `smart` link a patient-view card carries when SMART is configured: the EHR opens il2care's launch URL
/// with its `iss` and `launch` (CDS Hooks: a link of type `smart`).
pub fn patient_view_link(state: &AppState) -> Option<Value> {
    state.smart.as_ref()?;
    Some(json!({"label": "Open the il2care course page", "url": format!("{}/smart/launch", state.public_url()),
                "type": "smart"}))
}

/// Adds the `smart` link to each patient-view card (CDS Hooks JSON), when SMART is configured.
pub fn add_links_to_cards(state: &AppState, hook: &str, cards: &mut [Value]) {
    if hook != "patient-view" {
        return;
    }
    let Some(link) = patient_view_link(state) else { return };
    for card in cards {
        match card["links"].as_array_mut() {
            Some(links) => links.push(link.clone()),
            None => card["links"] = json!([link.clone()]),
        }
    }
}

// ---- small encodings ----

fn base64(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, byte)| n | (u32::from(*byte) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(alphabet[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

/// Base64url without padding (RFC 7636 appendix A).
pub fn base64url(bytes: &[u8]) -> String {
    base64(bytes, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false)
}

/// The PKCE S256 challenge of a verifier: `BASE64URL(SHA256(ASCII(code_verifier)))`.
pub fn code_challenge(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()))
}

/// The `Authorization` value of HTTP Basic client authentication (RFC 6749 §2.3.1: both parts form-encoded).
pub fn basic_authorization(client_id: &str, secret: &str) -> String {
    let encode = |text: &str| serde_urlencoded::to_string([("", text)]).unwrap_or_default().split_off(1);
    let pair = format!("{}:{}", encode(client_id), encode(secret));
    format!(
        "Basic {}",
        base64(pair.as_bytes(), b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true)
    )
}

/// 256 random bits, base64url (43 characters: a valid PKCE verifier, and a state past the 122 bits asked).
fn random_token() -> Result<String, Refused> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| Refused::internal("no randomness"))?;
    Ok(base64url(&bytes))
}

fn digest_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

fn launch_cookie_name(state_digest: &str) -> String {
    format!("{LAUNCH_COOKIE_PREFIX}{}", &state_digest[..16.min(state_digest.len())])
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| pair.trim().strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
}

// ---- refusals ----

/// A refused step: the page's status, heading and words, and what the audit entry names.
#[derive(Debug)]
struct Refused {
    status: StatusCode,
    heading: &'static str,
    message: String,
    /// The last part of the audit resource (`smart/launch/<reason>`, `smart/callback/<reason>`).
    reason: String,
}

impl Refused {
    fn new(status: StatusCode, heading: &'static str, message: impl Into<String>, reason: &str) -> Refused {
        Refused { status, heading, message: message.into(), reason: reason.to_string() }
    }

    fn internal(what: &str) -> Refused {
        tracing::error!(what, "SMART launch failed");
        Refused::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The sign-in could not be completed",
            "il2care could not complete this step; the cause is in the server log. Open il2care from the EHR again.",
            "internal",
        )
    }

    fn ehr(what: &str, reason: &str) -> Refused {
        Refused::new(
            StatusCode::BAD_GATEWAY,
            "The EHR could not be reached",
            format!(
                "{what}. Open il2care from the EHR again; if this persists, tell the site's il2care administrator."
            ),
            reason,
        )
    }
}

impl From<il2care_store::StoreError> for Refused {
    fn from(error: il2care_store::StoreError) -> Refused {
        tracing::error!(error = %error, "SMART launch: the record could not be read or written");
        Refused::internal("store")
    }
}

impl From<crate::error::AppError> for Refused {
    fn from(error: crate::error::AppError) -> Refused {
        tracing::error!(error = %error, "SMART launch: the audit could not be written");
        Refused::internal("audit")
    }
}

/// Who a refusal is audited as.
struct AuditedAs {
    actor: String,
    role: String,
    patient_id: Option<i64>,
}

impl AuditedAs {
    fn anonymous() -> AuditedAs {
        AuditedAs { actor: "anonymous".into(), role: "unknown".into(), patient_id: None }
    }
    fn ehr(iss: &str) -> AuditedAs {
        AuditedAs { actor: format!("ehr:{iss}"), role: crate::cds_auth::EHR_ROLE.into(), patient_id: None }
    }
}

/// A plain page for people: a heading and what to do; no codes beyond the small print.
fn plain_page(status: StatusCode, heading: &str, message: &str) -> Response {
    let markup = crate::pages::layout::shell(
        heading,
        None,
        crate::pages::layout::Audience::Staff,
        html! {},
        html! {
            h1 { (heading) }
            div.error role="alert" { p { (message) } }
            p { small { "HTTP " (status.as_u16()) } }
        },
    );
    let mut response = crate::pages::page(markup);
    *response.status_mut() = status;
    response
}

/// Audits a refused step and answers its page (marked audited, so the 401/403 audit does not repeat it).
/// Anonymous refusals are audited a few a minute per client, the rest summarised, as for sign-in.
async fn refuse(state: &AppState, remote: &str, step: &str, who: AuditedAs, refused: Refused) -> Response {
    let now = crate::now_ms();
    let resource: String = format!("smart/{step}/{}", refused.reason).chars().take(200).collect();
    let mut entries = Vec::new();
    if who.actor == "anonymous" {
        let (individually, summary) = state.security.count_anonymous(remote, now);
        if let Some(more) = summary {
            let what = format!("{more} more refusals from this client in the previous minute");
            entries.push((
                "anonymous".to_string(),
                "unknown".to_string(),
                "refusals_summarised".to_string(),
                what,
                None,
            ));
        }
        if individually {
            entries.push((who.actor, who.role, format!("smart_{step}"), resource, who.patient_id));
        }
    } else {
        entries.push((who.actor, who.role, format!("smart_{step}"), resource, who.patient_id));
    }
    for (actor, actor_role, action, resource, patient_id) in entries {
        let entry = il2care_store::group_commit::OwnedAudit {
            at_ms: now,
            actor,
            actor_role,
            action,
            resource,
            patient_id,
            outcome: "denied".into(),
            remote: remote.to_string(),
        };
        if let Err(error) = state.store.audit_durably(entry).await {
            tracing::error!(error = %error, "a refused SMART step could not be audited");
        }
    }
    tracing::warn!(step, reason = %refused.reason, "SMART launch refused");
    let mut response = plain_page(refused.status, refused.heading, &refused.message);
    response.extensions_mut().insert(crate::security::Audited);
    response
}

fn not_configured() -> Refused {
    Refused::new(
        StatusCode::NOT_FOUND,
        "SMART launch is not set up",
        "This il2care site is not configured to be opened from an EHR (il2care serve --smart-config).",
        "not-configured",
    )
}

/// The query's parameters; a parameter given twice or an unreadable query is refused.
fn parameters(query: Option<&str>, step: &str) -> Result<std::collections::BTreeMap<String, String>, Refused> {
    let bad = || {
        Refused::new(
            StatusCode::BAD_REQUEST,
            "This link is not complete",
            format!("The {step} link is malformed."),
            "malformed",
        )
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or("")).map_err(|_| bad())?;
    let mut map = std::collections::BTreeMap::new();
    for (key, value) in pairs {
        if map.insert(key, value).is_some() {
            return Err(bad());
        }
    }
    Ok(map)
}

// ---- calls to the EHR ----

fn agent() -> &'static ureq::Agent {
    static AGENT: OnceLock<ureq::Agent> = OnceLock::new();
    AGENT.get_or_init(|| {
        ureq::Agent::config_builder()
            .timeout_global(Some(HTTP_TIMEOUT))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent("il2care")
            .build()
            .into()
    })
}

/// An answer from the EHR: its status and body (bounded).
struct Answer {
    status: u16,
    body: String,
}

async fn http(
    request: impl FnOnce(&ureq::Agent) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> + Send + 'static,
) -> Result<Answer, String> {
    tokio::task::spawn_blocking(move || {
        let mut response = request(agent()).map_err(|error| format!("{error}"))?;
        let status = response.status().as_u16();
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER_BYTES)
            .read_to_string()
            .map_err(|error| format!("the answer could not be read: {error}"))?;
        Ok(Answer { status, body })
    })
    .await
    .map_err(|_| "the call was interrupted".to_string())?
}

async fn get_json(url: &str) -> Result<Value, String> {
    let target = url.to_string();
    let answer = http(move |agent| agent.get(&target).header("Accept", "application/json").call()).await?;
    if answer.status != 200 {
        return Err(format!("it answered HTTP {}", answer.status));
    }
    serde_json::from_str(&answer.body).map_err(|_| "its answer is not JSON".to_string())
}

/// What discovery must name.
struct Discovered {
    authorization_endpoint: String,
    token_endpoint: String,
    issuer: String,
    jwks_uri: String,
}

fn discovered(document: &Value) -> Result<Discovered, String> {
    let url = |name: &str, query_allowed: bool| {
        document[name]
            .as_str()
            .and_then(|text| endpoint_url(text, query_allowed))
            .ok_or_else(|| format!("its SMART configuration has no https {name}"))
    };
    let methods = document["code_challenge_methods_supported"].as_array();
    if !methods.is_some_and(|methods| methods.iter().any(|method| method == "S256")) {
        return Err("its SMART configuration does not list S256 in code_challenge_methods_supported".into());
    }
    if let Some(auth_methods) = document["token_endpoint_auth_methods_supported"].as_array()
        && !auth_methods.iter().any(|method| method == "client_secret_basic")
    {
        return Err("its token endpoint does not accept client_secret_basic".into());
    }
    Ok(Discovered {
        authorization_endpoint: url("authorization_endpoint", true)?,
        token_endpoint: url("token_endpoint", true)?,
        issuer: document["issuer"]
            .as_str()
            .map(|issuer| issuer.trim().to_string())
            .filter(|issuer| !issuer.is_empty())
            .ok_or_else(|| "its SMART configuration names no OpenID Connect issuer".to_string())?,
        jwks_uri: url("jwks_uri", true)?,
    })
}

// ---- GET /smart/launch ----

/// `GET /smart/launch?iss=…&launch=…`: the EHR launch. Sends the browser to the EHR's authorization endpoint.
pub async fn launch(State(state): State<AppState>, Remote(remote): Remote, RawQuery(query): RawQuery) -> Response {
    match start(&state, &remote, query.as_deref()).await {
        Ok(response) => response,
        Err((who, refused)) => refuse(&state, &remote, "launch", who, refused).await,
    }
}

async fn start(state: &AppState, remote: &str, query: Option<&str>) -> Result<Response, (AuditedAs, Refused)> {
    let anonymous = |refused| (AuditedAs::anonymous(), refused);
    let config = state.smart.clone().ok_or_else(|| anonymous(not_configured()))?;
    let parameters = parameters(query, "launch").map_err(anonymous)?;
    let (Some(iss), Some(launch)) = (parameters.get("iss"), parameters.get("launch")) else {
        return Err(anonymous(Refused::new(
            StatusCode::BAD_REQUEST,
            "This link is not complete",
            "An EHR launch names the EHR's FHIR server (iss) and the launch (launch). Open il2care from the EHR.",
            "missing-parameter",
        )));
    };
    let issuer = config.issuer(iss).ok_or_else(|| {
        anonymous(Refused::new(
            StatusCode::FORBIDDEN,
            "This EHR is not allowed to open il2care",
            "The FHIR server that sent this launch is not in this site's SMART configuration.",
            "unknown-iss",
        ))
    })?;
    let who = || AuditedAs::ehr(&issuer.iss);
    if launch.is_empty() || launch.chars().count() > MAX_LAUNCH_CHARS || launch.chars().any(char::is_control) {
        return Err((
            who(),
            Refused::new(
                StatusCode::BAD_REQUEST,
                "This link is not complete",
                "The launch value is not usable.",
                "bad-launch",
            ),
        ));
    }
    let discovery_url = format!("{}/.well-known/smart-configuration", issuer.iss);
    let document = get_json(&discovery_url).await.map_err(|why| {
        (who(), Refused::ehr(&format!("The EHR's SMART configuration could not be read ({why})"), "discovery"))
    })?;
    let found = discovered(&document).map_err(|why| {
        (who(), Refused::ehr(&format!("The EHR's SMART configuration is not usable: {why}"), "discovery"))
    })?;
    let state_token = random_token().map_err(|refused| (who(), refused))?;
    let verifier = random_token().map_err(|refused| (who(), refused))?;
    let state_digest = digest_hex(&state_token);
    let now = crate::now_ms();
    let row = Launch {
        state_digest: state_digest.clone(),
        code_challenge: code_challenge(&verifier),
        iss: issuer.iss.clone(),
        token_endpoint: found.token_endpoint,
        jwks_uri: found.jwks_uri,
        oidc_issuer: found.issuer,
        created_at_ms: now,
        expires_at_ms: now + LAUNCH_MINUTES * 60 * 1000,
    };
    let stored: Result<(), Refused> = async {
        let mut tx = state.store.begin().await?;
        store_smart::begin_launch(&mut tx, &row).await?;
        let actor = format!("ehr:{}", issuer.iss);
        crate::audit::record(
            &mut tx,
            now,
            &actor,
            crate::cds_auth::EHR_ROLE,
            "smart_launch",
            "smart/launch",
            None,
            "ok",
            remote,
        )
        .await?;
        tx.commit().await.map_err(il2care_store::StoreError::from)?;
        Ok(())
    }
    .await;
    stored.map_err(|refused| (who(), refused))?;
    let redirect_uri = format!("{}/smart/callback", state.public_url());
    let request = serde_urlencoded::to_string([
        ("response_type", "code"),
        ("client_id", issuer.client_id.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("launch", launch.as_str()),
        ("scope", issuer.scope.as_str()),
        ("state", state_token.as_str()),
        ("aud", issuer.iss.as_str()),
        ("code_challenge", row.code_challenge.as_str()),
        ("code_challenge_method", "S256"),
    ])
    .map_err(|_| (who(), Refused::internal("encoding the authorization request")))?;
    let separator = if found.authorization_endpoint.contains('?') { '&' } else { '?' };
    let location = format!("{}{separator}{request}", found.authorization_endpoint);
    let secure = if state.security.secure_cookie() { "; Secure" } else { "" };
    let cookie = format!(
        "{}={verifier}; HttpOnly; SameSite=Lax; Path=/smart/callback; Max-Age={}{secure}",
        launch_cookie_name(&state_digest),
        LAUNCH_MINUTES * 60
    );
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    let location = HeaderValue::from_str(&location).map_err(|_| (who(), Refused::internal("the authorization URL")))?;
    headers.insert(header::LOCATION, location);
    headers.append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| (who(), Refused::internal("the cookie")))?,
    );
    Ok(response)
}

// ---- GET /smart/callback ----

/// `GET /smart/callback?code=…&state=…`: the authorization server's answer. Ends on the patient's course page.
pub async fn callback(
    State(state): State<AppState>,
    Remote(remote): Remote,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let mut response = match finish(&state, &remote, &headers, query.as_deref()).await {
        Ok(response) => response,
        Err((who, refused)) => refuse(&state, &remote, "callback", who, refused).await,
    };
    // The launch cookie is spent whatever happened.
    if let Some(name) = parameters(query.as_deref(), "callback")
        .ok()
        .and_then(|parameters| parameters.get("state").map(|state| launch_cookie_name(&digest_hex(state))))
        && let Ok(value) =
            HeaderValue::from_str(&format!("{name}=; HttpOnly; SameSite=Lax; Path=/smart/callback; Max-Age=0"))
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

type Failure = (AuditedAs, Refused);

async fn finish(state: &AppState, remote: &str, headers: &HeaderMap, query: Option<&str>) -> Result<Response, Failure> {
    let anonymous = |refused| (AuditedAs::anonymous(), refused);
    let config = state.smart.clone().ok_or_else(|| anonymous(not_configured()))?;
    let parameters = parameters(query, "callback").map_err(anonymous)?;
    let Some(state_token) = parameters.get("state") else {
        return Err(anonymous(Refused::new(
            StatusCode::BAD_REQUEST,
            "This sign-in is not recognised",
            "The answer from the EHR carries no state. Open il2care from the EHR again.",
            "missing-state",
        )));
    };
    let state_digest = digest_hex(state_token);
    let now = crate::now_ms();
    let taken = async {
        let mut conn = state.store.connection().await?;
        store_smart::take_launch(&mut conn, &state_digest, now).await
    }
    .await
    .map_err(|error| anonymous(error.into()))?;
    let launch = match taken {
        Taken::Unknown => {
            return Err(anonymous(Refused::new(
                StatusCode::BAD_REQUEST,
                "This sign-in is not recognised",
                "il2care did not start this sign-in. Open il2care from the EHR again.",
                "unknown-state",
            )));
        }
        Taken::AlreadyUsed => {
            return Err(anonymous(Refused::new(
                StatusCode::BAD_REQUEST,
                "This sign-in was used already",
                "Each sign-in from the EHR works once. Open il2care from the EHR again.",
                "state-reused",
            )));
        }
        Taken::Launch(launch) => launch,
    };
    let who = || AuditedAs::ehr(&launch.iss);
    if launch.expires_at_ms < now {
        return Err((
            who(),
            Refused::new(
                StatusCode::BAD_REQUEST,
                "This sign-in has expired",
                format!(
                    "A sign-in from the EHR must finish within {LAUNCH_MINUTES} minutes. Open il2care from the EHR again."
                ),
                "expired-state",
            ),
        ));
    }
    let verifier = cookie_value(headers, &launch_cookie_name(&state_digest)).unwrap_or("");
    if verifier.is_empty() || code_challenge(verifier) != launch.code_challenge {
        return Err((
            who(),
            Refused::new(
                StatusCode::BAD_REQUEST,
                "This sign-in belongs to another browser",
                "The sign-in did not start in this browser (or its cookie was removed). Open il2care from the EHR again.",
                "browser-mismatch",
            ),
        ));
    }
    if let Some(error) = parameters.get("error") {
        let code: String = error.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect();
        return Err((
            who(),
            Refused::new(
                StatusCode::FORBIDDEN,
                "The EHR did not allow the sign-in",
                format!("The EHR's authorization server answered: {}.", code.replace('_', " ")),
                &format!("authorization-{code}"),
            ),
        ));
    }
    let Some(code) = parameters.get("code").filter(|code| !code.is_empty() && code.len() <= 4096) else {
        return Err((
            who(),
            Refused::new(
                StatusCode::BAD_REQUEST,
                "This sign-in is not complete",
                "The EHR's answer carries no code.",
                "missing-code",
            ),
        ));
    };
    let issuer = config.issuer(&launch.iss).ok_or_else(|| {
        (
            who(),
            Refused::new(
                StatusCode::FORBIDDEN,
                "This EHR is not allowed to open il2care",
                "The EHR of this sign-in is no longer in this site's SMART configuration.",
                "unknown-iss",
            ),
        )
    })?;
    let tokens = exchange(state, issuer, &launch, code, verifier).await.map_err(|refused| (who(), refused))?;
    let identity = verify_id_token(&tokens.id_token, issuer, &launch).await.map_err(|refused| (who(), refused))?;
    let user_actor = format!("{}/{}", issuer.iss, identity.fhir_user);
    let Some(role) = issuer.fhir_users.iter().find(|(user, _)| *user == identity.fhir_user).map(|(_, role)| *role)
    else {
        return Err((
            AuditedAs { actor: user_actor, role: "unknown".into(), patient_id: None },
            Refused::new(
                StatusCode::FORBIDDEN,
                "You are not set up to use il2care",
                "Your EHR user is not mapped to a role in il2care. Ask the site's il2care administrator to add you.",
                "unmapped-user",
            ),
        ));
    };
    let as_user = |patient_id| AuditedAs { actor: user_actor.clone(), role: role.as_str().into(), patient_id };
    let ehr_patient = crate::fhir_client::read_patient(&issuer.iss, &tokens.patient, Some(&tokens.access_token))
        .await
        .map_err(|why| {
            (as_user(None), Refused::ehr(&format!("The patient could not be read from the EHR: {why}"), "patient-read"))
        })?;
    let patient_id = match matched(state, &ehr_patient).await.map_err(|refused| (as_user(None), refused))? {
        Match::Matched(patient_id) => patient_id,
        Match::NotFound => {
            return Err((
                as_user(None),
                Refused::new(
                    StatusCode::NOT_FOUND,
                    "This patient has no il2care record",
                    "No il2care patient has this patient's medical record number. Check the MRN in the EHR, or open il2care to add the patient.",
                    "patient-not-found",
                ),
            ));
        }
        Match::Mismatch(patient_id, fields) => {
            return Err((
                as_user(Some(patient_id)),
                Refused::new(
                    StatusCode::CONFLICT,
                    "Patient could not be matched",
                    "The patient could not be matched: the medical record number is in il2care, but the birth date, family name or gender differ, so il2care shows nothing about that record. Check the MRN in both systems; the mismatch is in il2care's audit log.",
                    &format!("patient/{patient_id}/mismatch/{}", fields.join(",")),
                ),
            ));
        }
    };
    let display_name = identity.name.unwrap_or_else(|| identity.fhir_user.clone());
    let token = sign_in(state, remote, &user_actor, &display_name, role, patient_id, now)
        .await
        .map_err(|refused| (as_user(Some(patient_id)), refused))?;
    let target = format!("/patients/{patient_id}");
    let markup = crate::pages::layout::shell(
        "Opening the course page",
        None,
        crate::pages::layout::Audience::Staff,
        html! { meta http-equiv="refresh" content=(format!("0; url={target}")); },
        html! {
            h1 { "Signed in" }
            p { "Opening the patient's course page. If it does not open, " a href=(target) { "open the course page" } "." }
        },
    );
    let mut response = crate::pages::page(markup);
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&crate::auth::session_cookie(&token))
            .map_err(|_| (as_user(Some(patient_id)), Refused::internal("the session cookie")))?,
    );
    Ok(response)
}

/// What the token endpoint answered that il2care uses.
struct Tokens {
    access_token: String,
    id_token: String,
    patient: String,
}

async fn exchange(
    state: &AppState,
    issuer: &SmartIssuer,
    launch: &Launch,
    code: &str,
    verifier: &str,
) -> Result<Tokens, Refused> {
    let redirect_uri = format!("{}/smart/callback", state.public_url());
    let form: Vec<(String, String)> = vec![
        ("grant_type".into(), "authorization_code".into()),
        ("code".into(), code.to_string()),
        ("redirect_uri".into(), redirect_uri),
        ("code_verifier".into(), verifier.to_string()),
    ];
    let authorization = basic_authorization(&issuer.client_id, &issuer.client_secret.0);
    let endpoint = launch.token_endpoint.clone();
    let answer = http(move |agent| {
        agent
            .post(&endpoint)
            .header("Authorization", &authorization)
            .header("Accept", "application/json")
            .send_form(form.iter().map(|(key, value)| (key.as_str(), value.as_str())))
    })
    .await
    .map_err(|why| Refused::ehr(&format!("The EHR's token endpoint could not be reached ({why})"), "token-endpoint"))?;
    let body: Value = serde_json::from_str(&answer.body).unwrap_or(Value::Null);
    if answer.status != 200 {
        let error: String = body["error"]
            .as_str()
            .unwrap_or("")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        return Err(Refused::new(
            StatusCode::FORBIDDEN,
            "The EHR refused the sign-in",
            format!(
                "The EHR's token endpoint refused il2care's sign-in code (HTTP {}{}). Open il2care from the EHR again.",
                answer.status,
                if error.is_empty() { String::new() } else { format!(", {}", error.replace('_', " ")) }
            ),
            &format!("token-refused{}", if error.is_empty() { String::new() } else { format!("-{error}") }),
        ));
    }
    let field = |name: &str| body[name].as_str().filter(|text| !text.is_empty()).map(str::to_string);
    let missing = |name: &str| {
        Refused::new(
            StatusCode::BAD_GATEWAY,
            "The EHR's answer is not complete",
            format!("The EHR's token response has no {name}; il2care needs it to open the course page."),
            &format!("token-no-{name}"),
        )
    };
    if !body["token_type"].as_str().is_some_and(|kind| kind.eq_ignore_ascii_case("bearer")) {
        return Err(missing("token_type Bearer"));
    }
    let access_token = field("access_token").ok_or_else(|| missing("access_token"))?;
    let id_token = field("id_token").ok_or_else(|| missing("id_token"))?;
    let patient = field("patient").filter(|id| crate::fhir_client::is_fhir_id(id)).ok_or_else(|| missing("patient"))?;
    Ok(Tokens { access_token, id_token, patient })
}

/// The clinician the id_token names.
struct Identity {
    /// `Practitioner/123`, relative to `iss`.
    fhir_user: String,
    name: Option<String>,
}

#[derive(serde::Deserialize)]
struct IdClaims {
    #[serde(rename = "fhirUser")]
    fhir_user: Option<String>,
    azp: Option<String>,
    aud: Value,
    name: Option<String>,
    #[allow(dead_code)] // Required to be present (OpenID Connect Core §2).
    sub: String,
}

async fn verify_id_token(token: &str, issuer: &SmartIssuer, launch: &Launch) -> Result<Identity, Refused> {
    let refused = |what: &str, reason: &str| {
        Refused::new(
            StatusCode::UNAUTHORIZED,
            "Your sign-in could not be confirmed",
            format!("The EHR's identity token was refused: {what}. Open il2care from the EHR again."),
            reason,
        )
    };
    let header =
        jsonwebtoken::decode_header(token).map_err(|_| refused("it is not a signed JWT", "id-token-malformed"))?;
    if header.alg.family() == AlgorithmFamily::Hmac {
        return Err(refused("it is signed with a shared secret, not the EHR's key", "id-token-algorithm"));
    }
    let keys = get_json(&launch.jwks_uri)
        .await
        .map_err(|why| Refused::ehr(&format!("The EHR's signing keys could not be read ({why})"), "jwks"))?;
    let private = keys["keys"].as_array().into_iter().flatten().any(|key| key.get("d").is_some());
    let set: JwkSet = serde_json::from_value(keys)
        .ok()
        .filter(|_| !private)
        .ok_or_else(|| Refused::ehr("The EHR's signing keys are not a public JWK Set", "jwks"))?;
    let candidates: Vec<DecodingKey> = set
        .keys
        .iter()
        .filter(|jwk| header.kid.is_none() || jwk.common.key_id == header.kid)
        .filter_map(|jwk| DecodingKey::from_jwk(jwk).ok())
        .filter(|key| key.family() == header.alg.family())
        .collect();
    if candidates.is_empty() {
        return Err(refused("no key of the EHR fits its signature", "id-token-key"));
    }
    let mut outcome = Err(refused("the signature does not verify with the EHR's keys", "id-token-signature"));
    for key in &candidates {
        let mut validation = Validation::new(header.alg);
        validation.leeway = LEEWAY_SECONDS;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.set_issuer(&[&launch.oidc_issuer]);
        validation.set_audience(&[&issuer.client_id]);
        match jsonwebtoken::decode::<IdClaims>(token, key, &validation) {
            Ok(data) => {
                outcome = Ok(data.claims);
                break;
            }
            Err(error) => {
                use jsonwebtoken::errors::ErrorKind;
                let kind = error.kind();
                if *kind == ErrorKind::InvalidSignature {
                    continue;
                }
                outcome = Err(match kind {
                    ErrorKind::ExpiredSignature => refused("it has expired", "id-token-expired"),
                    ErrorKind::ImmatureSignature => refused("it is not valid yet", "id-token-nbf"),
                    ErrorKind::InvalidIssuer => refused("it was issued by someone else", "id-token-iss"),
                    ErrorKind::InvalidAudience => refused("it was issued to another client", "id-token-aud"),
                    ErrorKind::MissingRequiredClaim(_) => refused("it lacks iss, aud, exp or sub", "id-token-claims"),
                    _ => refused("it cannot be read", "id-token-invalid"),
                });
                break;
            }
        }
    }
    let claims = outcome?;
    let audiences = claims.aud.as_array().map_or(1, Vec::len);
    if (audiences > 1 || claims.azp.is_some()) && claims.azp.as_deref() != Some(issuer.client_id.as_str()) {
        return Err(refused("it was issued to another client (azp)", "id-token-azp"));
    }
    let fhir_user = claims
        .fhir_user
        .as_deref()
        .and_then(|user| user_reference(user, &issuer.iss))
        .ok_or_else(|| refused("it names no fhirUser on this EHR's FHIR server", "id-token-fhir-user"))?;
    let name = claims.name.map(|name| name.chars().filter(|c| !c.is_control()).take(100).collect::<String>());
    Ok(Identity { fhir_user, name: name.filter(|name| !name.trim().is_empty()) })
}

enum Match {
    Matched(i64),
    NotFound,
    Mismatch(i64, Vec<&'static str>),
}

/// The il2care patient of the EHR's Patient, by the rules of CDS Hooks patient-view: an identifier of the
/// site's MRN system names the record, and birth date, family name and gender must agree.
async fn matched(state: &AppState, patient: &Value) -> Result<Match, Refused> {
    let mut conn = state.store.connection().await?;
    let identifiers = patient["identifier"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|identifier| identifier["system"] == *state.mrn_system)
        .filter_map(|identifier| identifier["value"].as_str());
    for mrn in identifiers.take(20) {
        let Some((patient_id, _)) = record::patient_extent_by_mrn(&mut conn, mrn).await? else { continue };
        let stored = record::patient(&mut conn, patient_id).await?;
        let stored =
            matching::Stored { date_of_birth: &stored.date_of_birth, name: &stored.display_name, sex: &stored.sex };
        let fields = matching::mismatched_fields(stored, matching::Demographics::of_patient(patient));
        return Ok(if fields.is_empty() { Match::Matched(patient_id) } else { Match::Mismatch(patient_id, fields) });
    }
    Ok(Match::NotFound)
}

/// Opens a session for the clinician, audited as a `login` for the patient launched; answers the token.
async fn sign_in(
    state: &AppState,
    remote: &str,
    username: &str,
    display_name: &str,
    role: Role,
    patient_id: i64,
    now: i64,
) -> Result<String, Refused> {
    let mut tx = state.store.begin().await?;
    let user = match store_smart::smart_user(&mut tx, username, display_name, role.as_str(), now).await {
        Ok(user) => user,
        Err(il2care_store::StoreError::Conflict(_)) => {
            return Err(Refused::new(
                StatusCode::CONFLICT,
                "Your sign-in could not be completed",
                "An il2care account with your EHR user's name signs in with a password. Ask the site's il2care administrator.",
                "account-conflict",
            ));
        }
        Err(error) => return Err(error.into()),
    };
    let token = crate::auth::new_token()?;
    let expires_ms = now + crate::auth::SESSION_HOURS * 3600 * 1000;
    il2care_store::accounts::create_session(&mut tx, &crate::auth::token_digest(&token), user.id, now, expires_ms)
        .await?;
    crate::audit::record(
        &mut tx,
        now,
        &user.username,
        role.as_str(),
        "login",
        "session/smart",
        Some(patient_id),
        "ok",
        remote,
    )
    .await?;
    tx.commit().await.map_err(il2care_store::StoreError::from)?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(issuer: Value) -> Result<SmartConfig, Refusal> {
        SmartConfig::from_json(&json!({"issuers": [issuer]}).to_string(), Path::new("."))
    }

    fn entry() -> Value {
        json!({"iss": "https://ehr.example.org/fhir/", "client_id": "il2care", "client_secret": "s3cret",
               "fhir_users": {"Practitioner/123": "nurse", "https://ehr.example.org/fhir/Practitioner/456": "physician"}})
    }

    #[test]
    fn a_good_file_is_read_with_the_default_scopes_and_both_reference_forms() {
        let config = config(entry()).unwrap();
        let issuer = config.issuer("https://ehr.example.org/fhir").unwrap();
        assert_eq!(issuer.scope, DEFAULT_SCOPES);
        assert_eq!(
            issuer.fhir_users,
            [("Practitioner/123".to_string(), Role::Nurse), ("Practitioner/456".to_string(), Role::Physician)]
        );
        assert!(!format!("{config:?}").contains("s3cret"), "the secret never prints");
    }

    #[test]
    fn files_that_cannot_be_trusted_are_refused_with_the_field_named() {
        let refused = |change: &dyn Fn(&mut Value), field: &str| {
            let mut issuer = entry();
            change(&mut issuer);
            assert_eq!(config(issuer).unwrap_err().field, field);
        };
        refused(&|issuer| issuer["iss"] = json!("http://ehr.example.org/fhir"), "issuers[0].iss");
        refused(&|issuer| issuer["iss"] = json!("https://user@ehr.example.org/fhir"), "issuers[0].iss");
        refused(&|issuer| issuer["client_id"] = json!(" "), "issuers[0].client_id");
        refused(&|issuer| issuer["client_secret_file"] = json!("secret.txt"), "issuers[0].client_secret");
        refused(
            &|issuer| issuer["scopes"] = json!(["launch", "openid", "fhirUser", "patient/*.write"]),
            "issuers[0].scopes[3]",
        );
        refused(
            &|issuer| issuer["scopes"] = json!(["launch", "openid", "fhirUser", "patient/Observation.cruds"]),
            "issuers[0].scopes[3]",
        );
        refused(&|issuer| issuer["scopes"] = json!(["launch", "fhirUser", "patient/*.rs"]), "issuers[0].scopes");
        refused(
            &|issuer| issuer["fhir_users"] = json!({"Practitioner/1": "admin"}),
            "issuers[0].fhir_users.Practitioner/1",
        );
        refused(&|issuer| issuer["fhir_users"] = json!({"Patient/1": "nurse"}), "issuers[0].fhir_users.Patient/1");
        refused(&|issuer| issuer["fhir_users"] = json!({}), "issuers[0].fhir_users");
    }

    #[test]
    fn plain_http_is_allowed_only_on_this_machine() {
        assert!(endpoint_url("http://127.0.0.1:8080/fhir", false).is_some());
        assert!(endpoint_url("http://localhost/fhir", false).is_some());
        assert!(endpoint_url("http://[::1]:9/fhir", false).is_some());
        assert!(endpoint_url("http://10.0.0.1/fhir", false).is_none());
        assert!(endpoint_url("https://ehr.example.org/auth?tenant=1", true).is_some());
        assert!(endpoint_url("https://ehr.example.org/auth?tenant=1", false).is_none());
    }

    #[test]
    fn read_scopes_pass_and_write_scopes_do_not() {
        for good in [
            "patient/*.read",
            "patient/*.rs",
            "patient/Observation.r",
            "user/Patient.s",
            "launch",
            "openid",
            "fhirUser",
        ] {
            assert!(allowed_scope(good), "{good}");
        }
        for bad in
            ["patient/*.write", "patient/*.*", "patient/*.cruds", "system/*.rs", "offline_access", "patient/.rs", ""]
        {
            assert!(!allowed_scope(bad), "{bad}");
        }
    }

    #[test]
    fn pkce_and_basic_authentication_match_the_published_examples() {
        // RFC 7636 appendix B.
        assert_eq!(
            code_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        // SMART App Launch, client-confidential-symmetric.
        assert_eq!(basic_authorization("my-app", "my-app-secret-123"), "Basic bXktYXBwOm15LWFwcC1zZWNyZXQtMTIz");
    }

    #[test]
    fn fhir_users_are_relative_or_on_the_launching_server() {
        let iss = "https://ehr.example.org/fhir";
        assert_eq!(user_reference("Practitioner/123", iss).as_deref(), Some("Practitioner/123"));
        assert_eq!(
            user_reference("https://ehr.example.org/fhir/Practitioner/123", iss).as_deref(),
            Some("Practitioner/123")
        );
        assert_eq!(user_reference("https://other.example.org/fhir/Practitioner/123", iss), None);
        assert_eq!(user_reference("Practitioner/../x", iss), None);
        assert_eq!(user_reference("Observation/1", iss), None);
    }
}
