//! Reading request bodies: JSON only, size-limited, parsed as text so the wire crate can refuse it with a
//! named field. Nothing of a refused body is kept.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use il2care_core::Refusal;

use crate::error::AppError;

/// The largest body accepted, in bytes (a batch of observations fits many times over).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The raw body, read up to the router's limit. Unlike axum's `Bytes`, a body over the limit is refused as
/// an [`AppError`] (413 naming `document`), not with a plain-text answer.
#[derive(Debug)]
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        Bytes::from_request(request, state).await.map(Body).map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::PayloadTooLarge(MAX_BODY_BYTES)
            } else {
                AppError::Refused(Refusal::new("document", "could not be read to its end"))
            }
        })
    }
}

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
