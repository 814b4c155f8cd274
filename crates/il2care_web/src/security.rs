//! The service's own protections around every request: a strict cross-site check on state-changing requests
//! that a browser could send with the session cookie (sign-in included), response headers that keep answers
//! out of caches and frames, the `Secure` cookie flag when the service is served over HTTPS, and an audit
//! entry for every 401 and 403 (anonymous refusals from one client summarised past a few a minute).
//!
//! The public base URL (`--public-url`, `IL2CARE_PUBLIC_URL`) is configuration: it is never taken from `Host`
//! or `X-Forwarded-Proto`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use il2care_store::accounts;
use il2care_store::group_commit::OwnedAudit;

use crate::AppState;
use crate::auth::{SESSION_COOKIE, token_digest};

/// The base URL used when none is configured (tests, a service on loopback).
pub const DEFAULT_PUBLIC_URL: &str = "http://localhost:8080";

/// Individual audit entries for anonymous 401s from one client per minute; past them, one summary entry.
const ANONYMOUS_REFUSALS_AUDITED_PER_MINUTE: u32 = 10;
/// The most clients whose anonymous refusals are counted at once (the map is cleared when full).
const MAX_COUNTED_CLIENTS: usize = 10_000;

/// The security configuration of one service.
#[derive(Debug)]
pub struct Security {
    /// `scheme://host[:port]` with no trailing slash.
    public_url: String,
    /// The `Origin` of the public URL, as a browser sends it.
    public_origin: String,
    /// The session cookie carries `Secure` (the public URL is https).
    secure_cookie: bool,
    /// Check-ins and injection entries a patient account may send per hour; 0: no limit.
    pub patient_writes_per_hour: i64,
    /// Anonymous refusals per client in the current minute: (minute, count).
    anonymous_refusals: Mutex<HashMap<String, (i64, u32)>>,
}

impl Default for Security {
    fn default() -> Security {
        Security::new(DEFAULT_PUBLIC_URL).expect("the default public URL is valid")
    }
}

impl Security {
    /// The configuration for a service reached at `public_url` (`http://` or `https://`, host, optional port,
    /// no path, query or fragment).
    pub fn new(public_url: &str) -> Result<Security, String> {
        let trimmed = public_url.trim().trim_end_matches('/');
        let (scheme, rest) = trimmed
            .split_once("://")
            .ok_or_else(|| format!("public URL {public_url:?} must start with http:// or https://"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!("public URL {public_url:?} must start with http:// or https://"));
        }
        if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) || rest.chars().any(char::is_control) {
            return Err(format!("public URL {public_url:?} must be scheme://host[:port] with nothing after the host"));
        }
        let host = rest.to_ascii_lowercase();
        let origin = format!("{scheme}://{host}");
        Ok(Security {
            public_url: origin.clone(),
            public_origin: origin,
            secure_cookie: scheme == "https",
            patient_writes_per_hour: PATIENT_WRITES_PER_HOUR,
            anonymous_refusals: Mutex::new(HashMap::new()),
        })
    }

    /// The public base URL, `scheme://host[:port]`, without a trailing slash.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Whether the session cookie is marked `Secure`.
    pub fn secure_cookie(&self) -> bool {
        self.secure_cookie
    }

    /// Whether a state-changing request comes from this service's own pages (or from no browser at all).
    /// A browser sends `Origin` with every POST; when it is present it must be this service: the configured
    /// public origin, or the `Host` the request was sent to (which a cross-site page cannot choose). `Origin:
    /// null` is refused. Without `Origin`, a `Referer` is checked the same way; with neither, the request
    /// comes from a client that is not a browser, which no other site can drive.
    pub fn same_origin(&self, headers: &HeaderMap) -> bool {
        let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).map(str::to_ascii_lowercase);
        let matches = |origin: &str| {
            let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
            if origin == self.public_origin {
                return true;
            }
            let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
            matches!((authority, &host), (Some(authority), Some(host)) if authority == host)
        };
        // Browsers send `Sec-Fetch-Site`, which no page can set or forge. It is the one signal left when this
        // service's own `Referrer-Policy: no-referrer` makes the browser send `Origin: null` on a same-origin
        // form post (Chromium does): `same-origin` passes, anything else (cross-site, same-site) is refused.
        if let Some(site) = headers.get("sec-fetch-site") {
            return site.as_bytes() == b"same-origin";
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            return origin.to_str().is_ok_and(matches);
        }
        if let Some(referer) = headers.get(header::REFERER) {
            let Ok(referer) = referer.to_str() else { return false };
            let Some((scheme, rest)) = referer.split_once("://") else { return false };
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            return matches(&format!("{scheme}://{authority}"));
        }
        true
    }

    /// Whether an anonymous refusal from `remote` at `now_ms` gets its own audit entry; `Some(n)` when the
    /// previous minute's `n` unaudited refusals should be summarised first.
    pub(crate) fn count_anonymous(&self, remote: &str, now_ms: i64) -> (bool, Option<u32>) {
        let minute = now_ms / 60_000;
        let mut counts = self.anonymous_refusals.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if counts.len() >= MAX_COUNTED_CLIENTS && !counts.contains_key(remote) {
            counts.clear();
        }
        let entry = counts.entry(remote.to_string()).or_insert((minute, 0));
        let mut summary = None;
        if entry.0 != minute {
            if entry.1 > ANONYMOUS_REFUSALS_AUDITED_PER_MINUTE {
                summary = Some(entry.1 - ANONYMOUS_REFUSALS_AUDITED_PER_MINUTE);
            }
            *entry = (minute, 0);
        }
        entry.1 += 1;
        (entry.1 <= ANONYMOUS_REFUSALS_AUDITED_PER_MINUTE, summary)
    }
}

/// Marks a response whose refusal the handler has audited already.
#[derive(Clone, Copy, Debug)]
pub struct Audited;

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn carries_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .any(|pair| pair.trim().starts_with(SESSION_COOKIE))
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.trim().to_ascii_lowercase().starts_with("application/x-www-form-urlencoded"))
}

fn remote_of(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |ConnectInfo(address)| address.ip().to_string())
}

/// Paths that open a session: a cross-site POST there is login CSRF.
fn is_sign_in(path: &str) -> bool {
    path == "/signin" || path == "/api/v1/session"
}

/// Middleware: the cross-site check, the response headers, and the audit of refusals.
pub async fn protect(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let remote = remote_of(&request);
    let headers = request.headers().clone();
    let security = &state.security;
    let mut response = if is_state_changing(&method)
        && (carries_session_cookie(&headers) || is_sign_in(&path))
        && !security.same_origin(&headers)
    {
        let body = serde_json::json!({"error": {"message": "refused: this request came from another site", "field": "origin"}});
        (StatusCode::FORBIDDEN, axum::Json(body)).into_response()
    } else if let Some(refused) = write_limit(&state, &method, &path, &headers).await {
        refused
    } else if is_state_changing(&method) && is_form(&headers) {
        // Form bodies get the JSON bodies' edge check (no control characters, bounded lengths).
        let (parts, body) = request.into_parts();
        match axum::body::to_bytes(body, crate::body::MAX_BODY_BYTES).await {
            Err(_) => crate::error::AppError::PayloadTooLarge(crate::body::MAX_BODY_BYTES).into_response(),
            Ok(bytes) => match crate::body::check_form(&bytes) {
                Err(refusal) => crate::error::AppError::Refused(refusal).into_response(),
                Ok(()) => next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
            },
        }
    } else {
        next.run(request).await
    };
    let status = response.status();
    if (status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN)
        && response.extensions().get::<Audited>().is_none()
    {
        audit_refusal(&state, &headers, &method, &path, &remote, status).await;
    }
    let set = response.headers_mut();
    set.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    set.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    set.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !set.contains_key(header::CONTENT_SECURITY_POLICY) {
        set.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    }
    // Every answer may carry patient data or a session: none is stored by a browser or a proxy.
    if !set.contains_key(header::CACHE_CONTROL) {
        set.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if security.secure_cookie {
        let cookies: Vec<HeaderValue> = set
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|value| match value.to_str() {
                Ok(text) if text.starts_with(SESSION_COOKIE) && !text.contains("; Secure") => {
                    HeaderValue::from_str(&format!("{text}; Secure")).unwrap_or_else(|_| value.clone())
                }
                _ => value.clone(),
            })
            .collect();
        set.remove(header::SET_COOKIE);
        for cookie in cookies {
            set.append(header::SET_COOKIE, cookie);
        }
    }
    response
}

/// Check-ins and injection entries a patient account may send per hour (across every instance), unless
/// configured otherwise (`--patient-writes-per-hour`; 0 turns the limit off, for load tests).
pub const PATIENT_WRITES_PER_HOUR: i64 = 600;

/// What a patient past the limit is told.
pub const WRITE_LIMIT_MESSAGE: &str = "You have sent many entries in the last hour, so this one was not saved. \
Please wait a few minutes and try again. If you feel unwell or are worried, call your care team now; in an \
emergency, call 911.";

fn is_patient_write(method: &Method, path: &str) -> bool {
    if *method != Method::POST {
        return false;
    }
    if path == "/me/checkins" || path == "/me/injections" {
        return true;
    }
    let parts: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    matches!(parts.as_slice(), ["", "api", "v1", "patients", _, "checkins" | "injections"])
}

/// The per-account write limit of patients: past `patient_writes_per_hour` writes within the hour, counted
/// from the audit log, the request is answered 429 with a message a patient understands. Staff are not limited.
async fn write_limit(state: &AppState, method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
    let limit = state.security.patient_writes_per_hour;
    if limit <= 0 || !is_patient_write(method, path) {
        return None;
    }
    let token = crate::auth::token_from(headers)?;
    let now = crate::now_ms();
    let mut conn = state.store.connection().await.ok()?;
    let user = accounts::session_user(&mut conn, &token_digest(&token), now).await.ok().flatten()?;
    let patient_id = user.patient_id.filter(|_| user.role == "patient")?;
    let writes = accounts::writes_since(&mut conn, &user.username, patient_id, now - 3600 * 1000).await.ok()?;
    (writes >= limit).then(|| crate::error::AppError::WriteLimit(WRITE_LIMIT_MESSAGE.to_string()).into_response())
}

/// Audits a 401 or 403: under the signed-in user when the request carries a valid session, else as
/// `anonymous`, at most a few a minute per client (the rest summarised in one entry).
async fn audit_refusal(
    state: &AppState,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    remote: &str,
    status: StatusCode,
) {
    let now = crate::now_ms();
    let user = match crate::auth::token_from(headers) {
        Some(token) => match state.store.connection().await {
            Ok(mut conn) => accounts::session_user(&mut conn, &token_digest(&token), now).await.ok().flatten(),
            Err(_) => None,
        },
        None => None,
    };
    let action = if status == StatusCode::UNAUTHORIZED { "unauthenticated" } else { "denied" };
    // The resource names the route, never a query string (which could carry values).
    let resource: String = format!("{method} {path}").chars().take(200).collect();
    let mut entries = Vec::new();
    match &user {
        Some(user) => entries.push((user.username.clone(), user.role.clone(), action.to_string(), resource)),
        None => {
            let (individually, summary) = state.security.count_anonymous(remote, now);
            if let Some(more) = summary {
                entries.push((
                    "anonymous".into(),
                    "unknown".into(),
                    "refusals_summarised".into(),
                    format!("{more} more anonymous 401/403 answers in the previous minute"),
                ));
            }
            if individually {
                entries.push(("anonymous".into(), "unknown".into(), action.to_string(), resource));
            }
        }
    }
    for (actor, actor_role, action, resource) in entries {
        let entry = OwnedAudit {
            at_ms: now,
            actor,
            actor_role,
            action,
            resource,
            patient_id: None,
            outcome: "denied".into(),
            remote: remote.to_string(),
        };
        if let Err(error) = state.store.audit_durably(entry).await {
            tracing::error!(error = %error, "a refusal could not be audited");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(name.clone(), HeaderValue::from_str(value).expect("a header value"));
        }
        headers
    }

    #[test]
    fn only_this_service_passes_the_cross_site_check() {
        let security = Security::new("https://ward.example.org/").expect("a valid URL");
        assert_eq!(security.public_url(), "https://ward.example.org");
        assert!(security.secure_cookie());
        assert!(security.same_origin(&with(&[(header::ORIGIN, "https://ward.example.org")])));
        assert!(
            security.same_origin(&with(&[(header::HOST, "127.0.0.1:8080"), (header::ORIGIN, "http://127.0.0.1:8080")]))
        );
        assert!(
            !security
                .same_origin(&with(&[(header::HOST, "ward.example.org"), (header::ORIGIN, "https://evil.example")]))
        );
        assert!(!security.same_origin(&with(&[(header::ORIGIN, "null")])));
        let fetch_site = header::HeaderName::from_static("sec-fetch-site");
        assert!(
            security.same_origin(&with(&[(header::ORIGIN, "null"), (fetch_site.clone(), "same-origin")])),
            "a browser's own same-origin form post under no-referrer"
        );
        assert!(!security.same_origin(&with(&[(header::ORIGIN, "null"), (fetch_site.clone(), "cross-site")])));
        assert!(!security.same_origin(&with(&[
            (header::HOST, "ward.example.org"),
            (header::ORIGIN, "https://ward.example.org"),
            (fetch_site, "same-site")
        ])));
        assert!(!security.same_origin(&with(&[(header::REFERER, "https://evil.example/ward.example.org")])));
        assert!(security.same_origin(&with(&[(header::REFERER, "https://ward.example.org/signin")])));
        assert!(security.same_origin(&HeaderMap::new()), "a client that is no browser sends neither");
    }

    #[test]
    fn a_public_url_is_scheme_and_host_only() {
        for bad in ["ward.example.org", "ftp://ward.example.org", "https://ward.example.org/path", "https://"] {
            assert!(Security::new(bad).is_err(), "{bad}");
        }
        assert!(!Security::new("http://localhost:8080").expect("valid").secure_cookie());
    }

    #[test]
    fn anonymous_refusals_are_summarised_past_the_bound() {
        let security = Security::default();
        let audited = (0..25).filter(|_| security.count_anonymous("10.0.0.9", 60_000).0).count();
        assert_eq!(audited, ANONYMOUS_REFUSALS_AUDITED_PER_MINUTE as usize);
        assert_eq!(security.count_anonymous("10.0.0.9", 120_000), (true, Some(15)));
    }
}
