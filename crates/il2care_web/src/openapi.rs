//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 description of the API, kept in `openapi.json` beside this
//! file. A test checks that every route of the router is described and every described path is routed.

use axum::Json;
use serde_json::Value;

/// The document's text, embedded at build time.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<Value> {
    Json(serde_json::from_str(OPENAPI_JSON).expect("openapi.json is valid JSON (checked by a test)"))
}
