//! Reading request bodies: JSON only, size-limited, parsed as text so the wire crate can refuse it with a
//! named field. Nothing of a refused body is kept.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use il2care_core::Refusal;

use crate::error::AppError;

/// The largest body accepted, in bytes (a batch of observations fits many times over).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The body as UTF-8 JSON text, after checking its content type and size.
pub fn json_text(headers: &HeaderMap, body: &Bytes) -> Result<String, AppError> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") && !media_type.ends_with("+json") {
        return Err(AppError::UnsupportedMediaType);
    }
    if body.len() > MAX_BODY_BYTES {
        return Err(AppError::PayloadTooLarge(MAX_BODY_BYTES));
    }
    String::from_utf8(body.to_vec()).map_err(|_| AppError::Refused(Refusal::new("document", "is not valid UTF-8")))
}
