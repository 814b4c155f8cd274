//! Who calls the CDS Hooks services: an EHR with a signed JWT (CDS Hooks 2.0 security), or a signed-in staff
//! account. Holds the issuer allow-list (`CdsIssuers`, read and checked once at start-up), the JWT check and
//! the `CdsCaller` extractor. It fetches nothing over the network: public keys come from the configuration.
//!
//! The check, in order: the header names an asymmetric algorithm (HS* and `none` are refused); the unverified
//! `iss` is only used to pick the allow-listed issuer's keys; the signature verifies with one of them; `iss`,
//! `aud`, `exp`, `iat` and `jti` are present (`sub` is optional, as in CDS Hooks 2.0); a `crit` header is
//! refused (il2care understands no JWS extension, RFC 7515 §4.1.11); `exp` has not passed (30 s leeway) and lies at most five
//! minutes (plus leeway) ahead; `aud` is the endpoint called: the configured base URL followed by the request
//! path (`https://host/cds-services/il2care-patient-view`, with or without a trailing slash), as the
//! specification says; `jti` is at most 255 characters. A token is good for one call: its `jti` is recorded
//! with the call's audit entry in the same commit (`il2care_store::group_commit`), and a second use, on any
//! instance sharing the database, is refused with 401 and audited as `replayed_token`. Header fields that point
//! at keys (`jku`, `jwk`, `x5u`) are ignored: a token never brings its own key.
//!
//! An issuer may also list `fhir_servers`: the FHIR base URLs il2care may read the patient from when the EHR
//! sends no prefetch (`crate::fhir_client`). A `fhirServer` not on its issuer's list is never contacted.

use std::path::Path;

use axum::Json;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use il2care_core::Refusal;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{Actor, Role, remote_of};
use crate::error::AppError;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
pub const LEEWAY_SECONDS: u64 = 30;
/// The specification: `exp` is "no more than five minutes in the future".
pub const MAX_LIFETIME_SECONDS: u64 = 5 * 60;
/// The audit log's role for an EHR.
pub const EHR_ROLE: &str = "ehr";

/// One public key of an issuer, with the algorithms it may verify (checked at start-up).
#[derive(Clone)]
struct PublicKey {
    kid: Option<String>,
    key: DecodingKey,
    algorithms: Vec<Algorithm>,
}

/// An allow-listed EHR.
#[derive(Clone)]
struct Issuer {
    iss: String,
    keys: Vec<PublicKey>,
    /// FHIR base URLs (no trailing slash) il2care may read from for this EHR.
    fhir_servers: Vec<String>,
}

/// The EHRs allowed to call the CDS services and the base URL they address. Key material never prints.
#[derive(Clone)]
pub struct CdsIssuers {
    audience: String,
    issuers: Vec<Issuer>,
}

impl std::fmt::Debug for CdsIssuers {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let issuers: Vec<String> =
            self.issuers.iter().map(|issuer| format!("{} ({} keys)", issuer.iss, issuer.keys.len())).collect();
        formatter.debug_struct("CdsIssuers").field("audience", &self.audience).field("issuers", &issuers).finish()
    }
}

/// The configuration file as written.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuersFile {
    issuers: Vec<IssuerEntry>,
    audience: String,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerEntry {
    iss: String,
    public_key_pem: Option<String>,
    jwks_file: Option<String>,
    #[serde(default)]
    fhir_servers: Vec<String>,
}

/// An absolute http(s) URL without query or fragment, trailing slash removed; `None` if it is not one.
fn base_url(text: &str) -> Option<String> {
    let url = text.trim_end_matches('/');
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    let host_ok = url.split('/').nth(2).is_some_and(|host| !host.is_empty());
    (scheme_ok && host_ok && !url.contains(['?', '#', ' ', '@'])).then(|| url.to_string())
}

/// Whether a key verifies `algorithm`: building a verifier parses the key, so a bad key fails here, at
/// start-up, rather than on the first call. The signature checked is a dummy and never matches.
fn verifies(key: &DecodingKey, algorithm: Algorithm) -> bool {
    jsonwebtoken::crypto::verify("AA", b"probe", key, algorithm).is_ok()
}

/// A checked public key: the algorithms of its family that it can verify, at least one.
fn public_key(kid: Option<String>, key: DecodingKey, field: &str) -> Result<PublicKey, Refusal> {
    if key.family() == AlgorithmFamily::Hmac {
        return Err(Refusal::new(field, "is a shared secret; CDS Hooks needs the EHR's public key"));
    }
    let algorithms: Vec<Algorithm> =
        key.family().algorithms().iter().copied().filter(|algorithm| verifies(&key, *algorithm)).collect();
    if algorithms.is_empty() {
        return Err(Refusal::new(field, "is not a usable RSA, EC (P-256, P-384) or Ed25519 public key"));
    }
    Ok(PublicKey { kid, key, algorithms })
}

fn pem_key(pem: &str, field: &str) -> Result<PublicKey, Refusal> {
    if pem.contains("PRIVATE KEY") {
        return Err(Refusal::new(field, "holds a private key; give the EHR's public key only"));
    }
    let bytes = pem.as_bytes();
    let key = DecodingKey::from_rsa_pem(bytes)
        .or_else(|_| DecodingKey::from_ec_pem(bytes))
        .or_else(|_| DecodingKey::from_ed_pem(bytes))
        .map_err(|_| Refusal::new(field, "is not a PEM public key (-----BEGIN PUBLIC KEY-----)"))?;
    public_key(None, key, field)
}

fn jwks_keys(path: &Path, field: &str) -> Result<Vec<PublicKey>, Refusal> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| Refusal::new(field, format!("cannot read {}: {error}", path.display())))?;
    let raw: Value = serde_json::from_str(&text)
        .map_err(|error| Refusal::new(field, format!("{} is not JSON: {error}", path.display())))?;
    // A private JWK carries `d` (and RSA's primes); such a file must not sit in the service's configuration.
    let private = raw["keys"].as_array().into_iter().flatten().any(|key| key.get("d").is_some());
    if private {
        return Err(Refusal::new(
            field,
            format!("{} holds private key material; publish public keys only", path.display()),
        ));
    }
    let set: JwkSet = serde_json::from_value(raw)
        .map_err(|error| Refusal::new(field, format!("{} is not a JWK Set: {error}", path.display())))?;
    if set.keys.is_empty() {
        return Err(Refusal::new(field, format!("{} has no keys", path.display())));
    }
    set.keys
        .iter()
        .enumerate()
        .map(|(index, jwk)| {
            let key_field = format!("{field}.keys[{index}]");
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|_| Refusal::new(&key_field, "is not an RSA, EC or OKP public key"))?;
            let mut checked = public_key(jwk.common.key_id.clone(), key, &key_field)?;
            // A JWK that names its algorithm is held to it.
            if let Some(named) = jwk.common.key_algorithm
                && let Ok(named) = named.to_string().parse::<Algorithm>()
            {
                checked.algorithms.retain(|algorithm| *algorithm == named);
                if checked.algorithms.is_empty() {
                    return Err(Refusal::new(&key_field, "names an algorithm the key cannot verify"));
                }
            }
            Ok(checked)
        })
        .collect()
}

impl CdsIssuers {
    /// Reads and checks the configuration file; `jwks_file` paths are relative to the file's folder.
    pub fn load(path: &Path) -> Result<CdsIssuers, Refusal> {
        let field = "--cds-issuers";
        let text = std::fs::read_to_string(path)
            .map_err(|error| Refusal::new(field, format!("cannot read {}: {error}", path.display())))?;
        CdsIssuers::from_json(&text, path.parent().unwrap_or(Path::new(".")))
    }

    /// Checks the configuration document: every issuer named once with exactly one key source whose keys
    /// parse, and an absolute http(s) audience.
    pub fn from_json(text: &str, folder: &Path) -> Result<CdsIssuers, Refusal> {
        let file: IssuersFile = serde_json::from_str(text)
            .map_err(|error| Refusal::new("--cds-issuers", format!("not a valid issuer file: {error}")))?;
        let audience = base_url(&file.audience).ok_or_else(|| {
            Refusal::new("audience", "must be the service's base URL, such as https://il2care.example.org")
        })?;
        if file.issuers.is_empty() {
            return Err(Refusal::new("issuers", "must list at least one EHR"));
        }
        let mut issuers: Vec<Issuer> = Vec::new();
        for (index, entry) in file.issuers.into_iter().enumerate() {
            let field = |name: &str| format!("issuers[{index}].{name}");
            if entry.iss.trim().is_empty() {
                return Err(Refusal::new(field("iss"), "is required"));
            }
            if issuers.iter().any(|issuer| issuer.iss == entry.iss) {
                return Err(Refusal::new(field("iss"), "is listed twice"));
            }
            let keys = match (entry.public_key_pem, entry.jwks_file) {
                (Some(pem), None) => vec![pem_key(&pem, &field("public_key_pem"))?],
                (None, Some(file)) => jwks_keys(&folder.join(file), &field("jwks_file"))?,
                _ => {
                    return Err(Refusal::new(
                        field("public_key_pem"),
                        "give exactly one of public_key_pem or jwks_file",
                    ));
                }
            };
            let fhir_servers = entry
                .fhir_servers
                .iter()
                .enumerate()
                .map(|(server, url)| {
                    base_url(url).ok_or_else(|| {
                        Refusal::new(
                            field(&format!("fhir_servers[{server}]")),
                            "must be a FHIR base URL, such as https://ehr.example.org/fhir",
                        )
                    })
                })
                .collect::<Result<Vec<String>, Refusal>>()?;
            issuers.push(Issuer { iss: entry.iss, keys, fhir_servers });
        }
        Ok(CdsIssuers { audience, issuers })
    }

    /// The base URL the EHRs address.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// The allow-listed issuers.
    pub fn issuer_names(&self) -> Vec<&str> {
        self.issuers.iter().map(|issuer| issuer.iss.as_str()).collect()
    }

    /// Checks a token sent to `path` at `now` (seconds since the epoch); `Ok` is the verified issuer and subject.
    pub fn verify(&self, token: &str, path: &str, now: u64) -> Result<EhrCaller, TokenRefused> {
        if let Some(unknown) = critical_extension(token) {
            return Err(TokenRefused::new(format!(
                "the token's crit header names {unknown}, an extension il2care does not understand (RFC 7515 §4.1.11)"
            )));
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| TokenRefused::new("the token is not a JWT signed with RS*, PS*, ES256, ES384 or EdDSA"))?;
        if header.alg.family() == AlgorithmFamily::Hmac {
            return Err(TokenRefused::new(format!(
                "{:?} is a shared-secret algorithm; CDS Hooks needs an asymmetric signature",
                header.alg
            )));
        }
        // Unverified: used only to choose whose keys to try; the verified claims must name the same issuer.
        let claimed: Value = jsonwebtoken::dangerous::insecure_decode_claims(token)
            .map_err(|_| TokenRefused::new("the token's claims are not a JSON object"))?;
        let claimed_iss = claimed["iss"].as_str().ok_or_else(|| TokenRefused::new("the token has no iss"))?;
        let issuer = self
            .issuers
            .iter()
            .find(|issuer| issuer.iss == claimed_iss)
            .ok_or_else(|| TokenRefused::new("the token's issuer is not on this service's allow-list"))?;
        let endpoint = format!("{}{}", self.audience, path.trim_end_matches('/'));
        let candidates: Vec<&PublicKey> = issuer
            .keys
            .iter()
            .filter(|key| key.kid.is_none() || key.kid == header.kid)
            .filter(|key| key.algorithms.contains(&header.alg))
            .collect();
        if candidates.is_empty() {
            return Err(TokenRefused::new(format!("no key of this issuer verifies {:?} with this kid", header.alg)));
        }
        for candidate in candidates {
            let mut validation = Validation::new(header.alg);
            validation.algorithms = candidate.algorithms.clone();
            validation.leeway = LEEWAY_SECONDS;
            validation.validate_nbf = true;
            validation.set_required_spec_claims(&["exp", "iss", "aud"]);
            validation.set_issuer(&[&issuer.iss]);
            validation.set_audience(&[endpoint.clone(), format!("{endpoint}/")]);
            match jsonwebtoken::decode::<Claims>(token, &candidate.key, &validation) {
                Ok(data) => {
                    if data.claims.exp > now + MAX_LIFETIME_SECONDS + LEEWAY_SECONDS {
                        return Err(TokenRefused::new("exp is more than five minutes ahead"));
                    }
                    if data.claims.jti.is_empty() || data.claims.jti.chars().count() > MAX_JTI_CHARS {
                        return Err(TokenRefused::new("jti must be 1 to 255 characters"));
                    }
                    let kept_until = data.claims.exp.saturating_add(LEEWAY_SECONDS).min(i64::MAX as u64 / 1000);
                    return Ok(EhrCaller {
                        iss: issuer.iss.clone(),
                        sub: data.claims.sub,
                        jti: data.claims.jti,
                        kept_until_ms: kept_until as i64 * 1000,
                        fhir_servers: issuer.fhir_servers.clone(),
                    });
                }
                Err(error) if *error.kind() == ErrorKind::InvalidSignature => continue,
                Err(error) => return Err(TokenRefused::from_kind(error.kind(), &endpoint)),
            }
        }
        Err(TokenRefused::new("the signature does not verify with the issuer's keys"))
    }
}

/// The `crit` entry of a token's header that il2care cannot honour (it understands no JWS extension), or a
/// `crit` that is not a list of names: RFC 7515 §4.1.11 says such a token must be refused. `None` when the
/// header has no `crit` (or is unreadable: `decode_header` refuses that).
fn critical_extension(token: &str) -> Option<String> {
    let segment = token.split('.').next()?;
    let header: Value = serde_json::from_slice(&base64url_decode(segment)?).ok()?;
    let crit = header.get("crit")?;
    match crit.as_array() {
        Some(names) if !names.is_empty() => Some(
            names
                .iter()
                .map(|name| name.as_str().map_or_else(|| name.to_string(), |n| format!("`{n}`")))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        _ => Some(format!("{crit} (crit must be a non-empty list of extension names)")),
    }
}

/// Base64url without padding (RFC 7515 §2); `None` for any other character.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for byte in text.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// The claims il2care reads; `iat` and `jti` are required by the specification (`sub` is not: CDS Hooks 2.0
/// names it optional).
#[derive(serde::Deserialize)]
struct Claims {
    #[serde(default)]
    sub: Option<String>,
    exp: u64,
    #[allow(dead_code)] // Required to be present (the specification).
    iat: u64,
    jti: String,
}

/// The longest `jti` accepted.
pub const MAX_JTI_CHARS: usize = 255;

/// A verified EHR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EhrCaller {
    pub iss: String,
    /// The token's `sub` (the EHR's client id), when it names one.
    pub sub: Option<String>,
    /// The token's id: one call per token.
    pub jti: String,
    /// Until when the token's id must be remembered (its `exp` plus the leeway), in ms since the epoch.
    pub kept_until_ms: i64,
    /// The FHIR base URLs this EHR's issuer entry allows il2care to read from.
    pub fhir_servers: Vec<String>,
}

/// A refused token: 401 with the reason (never the token).
#[derive(Debug)]
pub struct TokenRefused(pub String);

impl TokenRefused {
    fn new(reason: impl Into<String>) -> TokenRefused {
        TokenRefused(reason.into())
    }

    fn from_kind(kind: &ErrorKind, endpoint: &str) -> TokenRefused {
        match kind {
            ErrorKind::ExpiredSignature => TokenRefused::new("the token has expired"),
            ErrorKind::ImmatureSignature => TokenRefused::new("the token is not valid yet (nbf)"),
            ErrorKind::InvalidAudience => TokenRefused::new(format!("aud must be {endpoint}")),
            ErrorKind::InvalidIssuer => TokenRefused::new("the token's issuer is not on this service's allow-list"),
            ErrorKind::MissingRequiredClaim(claim) => TokenRefused::new(format!("the token has no {claim}")),
            ErrorKind::InvalidAlgorithm => TokenRefused::new("the token's algorithm does not fit the issuer's key"),
            ErrorKind::Json(_) | ErrorKind::InvalidClaimFormat(_) => {
                TokenRefused::new("the token needs iss, aud, exp, iat and jti (numbers for times)")
            }
            _ => TokenRefused::new("the token cannot be verified"),
        }
    }
}

impl IntoResponse for TokenRefused {
    fn into_response(self) -> Response {
        let body = json!({"error": {"message": format!("EHR token refused: {}", self.0)}});
        (StatusCode::UNAUTHORIZED, [(header::WWW_AUTHENTICATE, "Bearer error=\"invalid_token\"")], Json(body))
            .into_response()
    }
}

/// Who is calling a CDS service.
#[derive(Clone, Debug)]
pub enum CdsCaller {
    /// An allow-listed EHR with a verified JWT.
    Ehr { caller: EhrCaller, remote: String },
    /// A signed-in staff account (the only way in without `--cds-issuers`).
    Staff(Actor),
}

impl CdsCaller {
    /// Refuses patients and admins; an allow-listed EHR may call.
    pub fn require_clinical(&self) -> Result<(), AppError> {
        match self {
            CdsCaller::Ehr { .. } => Ok(()),
            CdsCaller::Staff(actor) => actor.require(&[Role::Nurse, Role::Physician, Role::Pharmacist]),
        }
    }

    /// Appends an audit entry naming the caller (`ehr:<iss>` for an EHR).
    pub async fn audit(
        &self,
        conn: &mut il2care_store::Conn,
        action: &str,
        resource: &str,
        patient_id: Option<i64>,
        outcome: &str,
    ) -> Result<(), AppError> {
        match self {
            CdsCaller::Staff(actor) => crate::audit::by_actor(conn, actor, action, resource, patient_id, outcome).await,
            CdsCaller::Ehr { caller, remote } => {
                let actor = format!("ehr:{}", caller.iss);
                let now = crate::now_ms();
                crate::audit::record(conn, now, &actor, EHR_ROLE, action, resource, patient_id, outcome, remote).await
            }
        }
    }

    /// Audits a record read by this caller through the store's group-commit writer, durable before the
    /// answer (concurrent reads share one commit). An EHR's token is spent in the same commit: a token used
    /// before is refused (`Err` is then the 401 answer) and its use audited as a denial.
    pub async fn audit_read(
        &self,
        state: &AppState,
        resource: &str,
        patient_id: Option<i64>,
    ) -> Result<Result<(), TokenRefused>, AppError> {
        self.audit_durably(state, "read", resource, patient_id).await
    }

    /// Appends one audit entry through the group-commit writer, spending an EHR's token (see `audit_read`).
    pub async fn audit_durably(
        &self,
        state: &AppState,
        action: &str,
        resource: &str,
        patient_id: Option<i64>,
    ) -> Result<Result<(), TokenRefused>, AppError> {
        self.audit_outcome_durably(state, action, resource, patient_id, "ok", Vec::new()).await
    }

    /// The caller as the application layer's actor: an EHR is `ehr:<iss>` of the role `ehr`, a staff account
    /// itself.
    pub fn app(&self) -> il2care_app::Actor {
        match self {
            CdsCaller::Staff(actor) => actor.app().clone(),
            CdsCaller::Ehr { caller, remote } => il2care_app::Actor {
                username: format!("ehr:{}", caller.iss),
                role: il2care_app::Role::Ehr,
                patient_id: None,
                remote: remote.clone(),
            },
        }
    }

    /// The audit actor of this caller (`ehr:<iss>` or the staff account).
    pub fn actor_name(&self) -> String {
        match self {
            CdsCaller::Staff(actor) => actor.user.username.clone(),
            CdsCaller::Ehr { caller, .. } => format!("ehr:{}", caller.iss),
        }
    }

    /// Appends one audit entry with its outcome through the group-commit writer, spending an EHR's token and
    /// storing the cards the call issued in the same commit (see `audit_read`).
    pub async fn audit_outcome_durably(
        &self,
        state: &AppState,
        action: &str,
        resource: &str,
        patient_id: Option<i64>,
        outcome: &str,
        cards: Vec<il2care_store::group_commit::IssuedCard>,
    ) -> Result<Result<(), TokenRefused>, AppError> {
        use il2care_store::group_commit::{OwnedAudit, TokenCheck, TokenUse};
        let entry = |actor: String, actor_role: String, remote: String| OwnedAudit {
            at_ms: crate::now_ms(),
            actor,
            actor_role,
            action: action.to_string(),
            resource: resource.to_string(),
            patient_id,
            outcome: outcome.to_string(),
            remote,
        };
        match self {
            CdsCaller::Staff(actor) => {
                let entry =
                    entry(actor.user.username.clone(), actor.role().as_str().to_string(), actor.remote().to_string());
                state.store.audit_cards_durably(entry, None, cards).await?;
                Ok(Ok(()))
            }
            CdsCaller::Ehr { caller, remote } => {
                let entry = entry(format!("ehr:{}", caller.iss), EHR_ROLE.to_string(), remote.clone());
                let token =
                    TokenUse { iss: caller.iss.clone(), jti: caller.jti.clone(), kept_until_ms: caller.kept_until_ms };
                match state.store.audit_cards_durably(entry, Some(token), cards).await? {
                    TokenCheck::Fresh => Ok(Ok(())),
                    TokenCheck::Replayed => {
                        tracing::warn!(iss = %caller.iss, "EHR token replayed");
                        Ok(Err(TokenRefused::new("this token was already used (jti); send a new token for each call")))
                    }
                }
            }
        }
    }

    /// The FHIR base URLs il2care may read from for this caller (none for staff accounts).
    pub fn fhir_servers(&self) -> &[String] {
        match self {
            CdsCaller::Ehr { caller, .. } => &caller.fhir_servers,
            CdsCaller::Staff(_) => &[],
        }
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

impl FromRequestParts<AppState> for CdsCaller {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<CdsCaller, Response> {
        // Session tokens are hex; a JWT has dots. Anything else goes the staff way, as before.
        let Some(token) = bearer(parts).filter(|token| token.contains('.')) else {
            return Actor::from_request_parts(parts, state)
                .await
                .map(CdsCaller::Staff)
                .map_err(IntoResponse::into_response);
        };
        let remote = remote_of(parts);
        let Some(issuers) = &state.cds_issuers else {
            return Err(TokenRefused::new("EHR JWTs are not configured on this service (il2care serve --cds-issuers)")
                .into_response());
        };
        let now = crate::now().as_second().max(0) as u64;
        match issuers.verify(token, parts.uri.path(), now) {
            Ok(caller) => Ok(CdsCaller::Ehr { caller, remote }),
            Err(refused) => {
                tracing::warn!(reason = %refused.0, "EHR token refused");
                let service = parts.uri.path().trim_start_matches("/cds-services/");
                let resource: String = format!("cds/{service}").chars().take(200).collect();
                let mut conn = state.store.connection().await.map_err(|error| AppError::from(error).into_response())?;
                crate::audit::record(
                    &mut conn,
                    crate::now_ms(),
                    "ehr:unverified",
                    EHR_ROLE,
                    "denied",
                    &resource,
                    None,
                    "denied",
                    &remote,
                )
                .await
                .map_err(IntoResponse::into_response)?;
                Err(refused.into_response())
            }
        }
    }
}
