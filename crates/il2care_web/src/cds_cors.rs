//! Cross-origin access to the CDS services for browser-based EHRs (CDS Hooks 2.0, "Cross-Origin Resource
//! Sharing": CDS Services and browser-based CDS Clients will require CORS support). Only the origins the site
//! configures (`il2care serve --cds-cors-origins`) get CORS headers, only on `/cds-services` and below;
//! a preflight (`OPTIONS` with `Access-Control-Request-Method`) from such an origin is answered here with the
//! methods GET and POST and the request headers `Authorization` and `Content-Type`. Credentials are never
//! allowed: an EHR authenticates with its JWT in `Authorization`, never with il2care's session cookie.
//! Every other origin gets no CORS header at all, so a browser keeps the answer from its page.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// How long a browser may reuse a preflight answer, in seconds.
pub const PREFLIGHT_MAX_AGE_SECONDS: u32 = 600;

/// The configured EHR origins, each `scheme://host[:port]` in lower case.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CorsOrigins(Vec<String>);

impl CorsOrigins {
    /// Parses a comma-separated list of origins (`https://ehr.example.org,https://ehr2.example.org:8443`);
    /// `*`, `null`, paths and anything but http(s) are refused with the reason.
    pub fn parse(list: &str) -> Result<CorsOrigins, String> {
        let mut origins = Vec::new();
        for item in list.split(',').map(str::trim).filter(|item| !item.is_empty()) {
            let origin = item.trim_end_matches('/').to_ascii_lowercase();
            let Some((scheme, host)) = origin.split_once("://") else {
                return Err(format!(
                    "{item:?} is not an origin: give scheme://host[:port], such as https://ehr.example.org"
                ));
            };
            let valid_host = !host.is_empty()
                && !host.contains(['/', '?', '#', '@', '*', ' '])
                && !host.chars().any(char::is_control);
            if !(scheme == "https" || scheme == "http") || !valid_host {
                return Err(format!(
                    "{item:?} is not an origin: give scheme://host[:port] with http or https and nothing after the host (no wildcards)"
                ));
            }
            if !origins.contains(&origin) {
                origins.push(origin);
            }
        }
        Ok(CorsOrigins(origins))
    }

    /// The configured origins.
    pub fn origins(&self) -> &[String] {
        &self.0
    }

    /// The request's `Origin` when it is one of the configured origins (compared without case).
    fn allowed<'a>(&self, headers: &'a HeaderMap) -> Option<&'a HeaderValue> {
        let origin = headers.get(header::ORIGIN)?;
        let text = origin.to_str().ok()?.trim_end_matches('/').to_ascii_lowercase();
        self.0.contains(&text).then_some(origin)
    }
}

fn is_cds_path(path: &str) -> bool {
    path == "/cds-services" || path.starts_with("/cds-services/")
}

/// Middleware: answers preflights on `/cds-services*` and adds CORS headers for configured origins.
pub async fn cors(State(state): State<AppState>, request: Request, next: Next) -> Response {
    if !is_cds_path(request.uri().path()) {
        return next.run(request).await;
    }
    let allowed = state.cds_cors_origins.allowed(request.headers()).cloned();
    let preflight =
        request.method() == Method::OPTIONS && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let mut response = StatusCode::NO_CONTENT.into_response();
        let set = response.headers_mut();
        set.insert(
            header::VARY,
            HeaderValue::from_static("Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        );
        if let Some(origin) = allowed {
            set.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            set.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
            set.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("Authorization, Content-Type"));
            set.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from(PREFLIGHT_MAX_AGE_SECONDS));
        }
        return response;
    }
    let mut response = next.run(request).await;
    let set = response.headers_mut();
    set.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed {
        set.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        // A refused token's reason is in WWW-Authenticate; the EHR's page may read it.
        set.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("WWW-Authenticate"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_parse_or_are_refused_with_the_reason() {
        let parsed = CorsOrigins::parse(" https://EHR.example.org/ , http://localhost:3000,,").unwrap();
        assert_eq!(parsed.origins(), ["https://ehr.example.org", "http://localhost:3000"]);
        for bad in [
            "*",
            "null",
            "ftp://ehr.example.org",
            "https://ehr.example.org/path",
            "https://*.example.org",
            "ehr.example.org",
        ] {
            assert!(CorsOrigins::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(CorsOrigins::parse("").unwrap(), CorsOrigins::default());
    }
}
