//! `AppError`: every failure of a request, with one status mapping. The user gets a specific, actionable
//! message; the log gets the cause; nobody gets a stack trace.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use il2care_core::Refusal;
use il2care_store::StoreError;
use serde_json::json;

/// A failed request.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input refused as a whole (422), naming the field.
    #[error("{0}")]
    Refused(#[from] Refusal),
    #[error("sign in first")]
    Unauthenticated,
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("send the body as application/json")]
    UnsupportedMediaType,
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("too many failed sign-in attempts; wait a minute, then try again")]
    TooManyRequests,
    /// A patient's writes past the per-account limit (429), with a message the patient understands.
    #[error("{0}")]
    WriteLimit(String),
    /// The database does not accept writes just now (503); the request can be sent again.
    #[error("the record cannot be written just now; please try again in a minute")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Conflict(what) => AppError::Conflict(what),
            // The writer could not commit (a full disk, a lost connection): nothing was stored, and the
            // writer recovers by itself, so the client may send the same request again.
            StoreError::Unavailable(cause) => {
                tracing::error!(error = %cause, "a write was not committed");
                AppError::Unavailable
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<il2care_store::DbError> for AppError {
    fn from(error: il2care_store::DbError) -> Self {
        AppError::from(StoreError::from(error))
    }
}

impl AppError {
    /// The HTTP status of this failure.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Refused(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthenticated | AppError::WrongCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests | AppError::WriteLimit(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            AppError::Refused(refusal) => json!({"error": {"message": refusal.reason, "field": refusal.field}}),
            // The header and the body are input too: name them, as a refusal names its field.
            AppError::UnsupportedMediaType => json!({"error": {"message": self.to_string(), "field": "content-type"}}),
            AppError::PayloadTooLarge(_) => json!({"error": {"message": self.to_string(), "field": "document"}}),
            AppError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "request failed");
                json!({"error": {"message": "internal error; the cause is in the server log"}})
            }
            other => json!({"error": {"message": other.to_string()}}),
        };
        (status, Json(body)).into_response()
    }
}

impl From<il2care_app::Error> for AppError {
    fn from(error: il2care_app::Error) -> Self {
        match error {
            il2care_app::Error::Refused(refusal) => AppError::Refused(refusal),
            il2care_app::Error::Forbidden(message) => AppError::Forbidden(message),
            il2care_app::Error::NotFound(what) => AppError::NotFound(what),
            il2care_app::Error::Conflict(what) => AppError::Conflict(what),
            il2care_app::Error::Store(error) => AppError::from(error),
        }
    }
}

// The store's failures as a page's (the pages listed in the tidy test's `HANDLERS_STILL_TO_MOVE` still read
// the store themselves; a page of the application layer gets `il2care_app::Error`).
impl From<StoreError> for crate::pages::PageError {
    fn from(error: StoreError) -> Self {
        crate::pages::PageError(error.into())
    }
}

impl From<il2care_store::DbError> for crate::pages::PageError {
    fn from(error: il2care_store::DbError) -> Self {
        crate::pages::PageError(error.into())
    }
}
