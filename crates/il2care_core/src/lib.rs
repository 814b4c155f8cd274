//! il2care's clinical core: units, dosing and schedules (and, as they land, the per-dose assessment,
//! CTCAE grading and symptom triage), as pure functions over typed values.
//!
//! Nothing here does IO: no clock, no environment, no files, no database, no logging, no serialization.
//! The caller passes the time and the data; every function returns a value (a decision with its reasons,
//! or a [`Refusal`] that names the field at fault). See `ARCHITECTURE.md` for the map.

pub mod assessment;
pub mod course;
pub mod dosing;
pub mod grading;
pub mod regimens;
pub mod schedule;
pub mod screening;
pub mod source;
pub mod triage;
pub mod units;

pub use source::Source;

/// Input refused as a whole: the field at fault and what is wrong with it, in words a clinician can act on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Refusal {
    /// The field as the document or command line names it (`weight`, `observations[2].value`).
    pub field: String,
    /// What is wrong, and where useful what is expected.
    pub reason: String,
}

impl Refusal {
    /// A refusal of `field` for `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Refusal {
        Refusal { field: field.into(), reason: reason.into() }
    }

    /// The same refusal, its field placed under `parent` (`value` under `observations[2]`).
    pub fn within(self, parent: &str) -> Refusal {
        Refusal { field: format!("{parent}.{}", self.field), reason: self.reason }
    }
}
