//! The JSON API under `/api/v1`, one module per resource, and [`RecordId`], the record id every
//! `/patients/{patient_id}/...` route reads from its path.

use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use il2care_core::Refusal;

use crate::error::AppError;

pub mod accounts;
pub mod assessments;
pub mod checkins;
pub mod courses;
pub mod doses;
pub mod health;
pub mod injections;
pub mod observations;
pub mod patients;
pub mod screenings;
pub mod stateless;
pub mod worklist;
// Issue 16: the pharmacist's desk (verifications, dosing weight and height).
pub mod pharmacy;

/// The one record id of a route's path (`patient_id`, `checkin_id`). A path that does not hold a whole number
/// is refused naming the parameter (422), where axum's own `Path<i64>` answers in plain text naming nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for RecordId {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(parameters) = Path::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::Refused(Refusal::new("path", "is not valid UTF-8 once decoded")))?;
        let (name, value) = parameters.into_iter().next().ok_or_else(|| {
            AppError::Internal(anyhow::anyhow!("a route reads a record id but has no path parameter"))
        })?;
        value.parse::<i64>().map(RecordId).map_err(|_| {
            AppError::Refused(Refusal::new(name, format!("`{value}` is not a record id (a whole number)")))
        })
    }
}
