//! FHIR REST conformance around the `/fhir` routes: [`conform`] answers a format il2care does not serve with
//! 406 (`_format` or `Accept` asking for XML or Turtle; `application/fhir+json`, `application/json`, `json` and
//! `*/*` are served) and turns every error under `/fhir` into an OperationOutcome with the same status (and
//! `WWW-Authenticate: Bearer` on 401); [`metadata`] serves the CapabilityStatement and
//! [`structure_definition`] the definitions of il2care's extensions.

use axum::extract::{Path, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use il2care_wire::fhir::conformance;
use serde_json::{Value, json};

use crate::AppState;
use crate::fhir::FHIR_JSON;

/// The largest error body read back to rewrite it as an OperationOutcome.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Whether a media type (or a `_format` value) names a format il2care serves: FHIR JSON.
fn served(media: &str) -> bool {
    let media = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    matches!(media.as_str(), "" | "*/*" | "application/*" | "application/fhir+json" | "application/json" | "json")
}

/// The format a request asks for and il2care does not serve, if any: `_format` first (it overrides
/// `Accept`), then `Accept` (served when any of its types with a non-zero quality is).
fn unserved_format(request: &Request) -> Option<String> {
    let query = request.uri().query().unwrap_or_default();
    for pair in query.split('&') {
        if let Some(value) = pair.strip_prefix("_format=") {
            let value = value.replace("%2B", "+").replace("%2b", "+").replace("%2F", "/").replace("%2f", "/");
            let value = value.replace('+', if value.contains('/') { "+" } else { " " });
            return (!served(&value)).then_some(value);
        }
    }
    let accept = request.headers().get(header::ACCEPT)?.to_str().ok()?;
    let wanted: Vec<&str> = accept
        .split(',')
        .map(str::trim)
        .filter(|media| !media.is_empty())
        .filter(|media| {
            !media.split(';').skip(1).any(|param| {
                let param = param.trim().replace(' ', "");
                param.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()).is_some_and(|q| q <= 0.0)
            })
        })
        .collect();
    if wanted.is_empty() || wanted.iter().any(|media| served(media)) {
        return None;
    }
    Some(accept.to_string())
}

/// The FHIR issue type of an HTTP error status (FHIR R4 `issue-type`).
fn issue_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "invalid",
        401 => "login",
        403 => "forbidden",
        404 => "not-found",
        405 | 406 | 415 => "not-supported",
        409 | 412 => "conflict",
        413 => "too-costly",
        422 => "processing",
        429 => "throttled",
        503 => "transient",
        _ => "exception",
    }
}

/// An OperationOutcome with one error issue.
pub fn outcome(status: StatusCode, diagnostics: &str, expression: Option<&str>) -> Response {
    let mut issue = json!({"severity": "error", "code": issue_code(status), "diagnostics": diagnostics});
    if let Some(expression) = expression.filter(|expression| !expression.is_empty()) {
        issue["expression"] = json!([expression]);
    }
    let body = json!({"resourceType": "OperationOutcome", "issue": [issue]});
    let mut response = (status, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    response
}

/// The middleware of the FHIR routes (only paths under `/fhir`; everything else passes untouched).
pub async fn conform(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_string();
    if path != "/fhir" && !path.starts_with("/fhir/") {
        return next.run(request).await;
    }
    if let Some(format) = unserved_format(&request) {
        return outcome(
            StatusCode::NOT_ACCEPTABLE,
            &format!("`{format}` is not served: il2care answers FHIR JSON only (application/fhir+json)"),
            Some("_format"),
        );
    }
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let mut response = if is_fhir(&response) { response } else { rewrite(response, &path).await };
    if status == StatusCode::UNAUTHORIZED && !response.headers().contains_key(header::WWW_AUTHENTICATE) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"il2care\""));
    }
    response
}

fn is_fhir(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with(FHIR_JSON))
}

/// An error answered as `{"error": {"message", "field"}}` (or with no body: a path or a method not served) as an
/// OperationOutcome.
async fn rewrite(response: Response, path: &str) -> Response {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BODY).await.unwrap_or_default();
    let parsed: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let message = parsed["error"]["message"]
        .as_str()
        .or_else(|| parsed["error"].as_str())
        .map(str::to_string)
        .or_else(|| {
            let text = String::from_utf8_lossy(&bytes).trim().to_string();
            (!text.is_empty() && parsed.is_null()).then_some(text)
        })
        .unwrap_or_else(|| match parts.status {
            StatusCode::NOT_FOUND => format!("{path} is not served; GET /fhir/metadata lists what is"),
            StatusCode::METHOD_NOT_ALLOWED => {
                format!("this method is not served on {path}; GET /fhir/metadata lists what is")
            }
            other => other.canonical_reason().unwrap_or("error").to_string(),
        });
    let field = parsed["error"]["field"].as_str();
    let mut rewritten = outcome(parts.status, &message, field);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            rewritten.headers_mut().insert(name.clone(), value.clone());
        }
    }
    rewritten
}

/// `GET /fhir/metadata`: the CapabilityStatement (no sign-in needed, as FHIR expects).
pub async fn metadata(State(state): State<AppState>) -> Response {
    let base = format!("{}/fhir", state.public_url());
    fhir_json(conformance::capability_statement(&base))
}

/// `GET /fhir/StructureDefinition/{name}`: the definition of one il2care extension (no sign-in needed).
pub async fn structure_definition(Path(name): Path<String>) -> Response {
    match conformance::extension(&name) {
        Some(definition) => fhir_json(conformance::structure_definition(definition)),
        None => outcome(
            StatusCode::NOT_FOUND,
            &format!("StructureDefinition/{name} is not an il2care extension"),
            Some("StructureDefinition.id"),
        ),
    }
}

fn fhir_json(body: Value) -> Response {
    let mut response = (StatusCode::OK, axum::Json(body)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    response
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::*;

    fn asking(uri: &str, accept: Option<&str>) -> Option<String> {
        let mut builder = Request::builder().uri(uri);
        if let Some(accept) = accept {
            builder = builder.header(header::ACCEPT, accept);
        }
        unserved_format(&builder.body(Body::empty()).unwrap())
    }

    #[test]
    fn json_is_served_and_xml_or_turtle_is_not() {
        assert_eq!(asking("/fhir/metadata", None), None);
        assert_eq!(asking("/fhir/metadata?_format=json", None), None);
        assert_eq!(asking("/fhir/metadata?_format=application/fhir%2Bjson", None), None);
        assert_eq!(asking("/fhir/metadata?_format=application/json", None), None);
        assert_eq!(asking("/fhir/metadata", Some("application/fhir+json; fhirVersion=4.0")), None);
        assert_eq!(asking("/fhir/metadata", Some("application/fhir+xml, application/json;q=0.5")), None);
        assert_eq!(asking("/fhir/metadata", Some("*/*")), None);
        assert!(asking("/fhir/metadata?_format=xml", None).is_some());
        assert!(asking("/fhir/metadata?_format=ttl", None).is_some());
        assert!(asking("/fhir/metadata?_format=application/fhir%2Bxml", None).is_some());
        assert!(asking("/fhir/metadata", Some("application/fhir+xml")).is_some());
        assert!(asking("/fhir/metadata", Some("text/turtle")).is_some());
        assert!(asking("/fhir/metadata", Some("application/json;q=0, application/xml")).is_some());
        assert!(asking("/fhir/metadata?_format=xml", Some("application/json")).is_some(), "_format overrides Accept");
    }
}
