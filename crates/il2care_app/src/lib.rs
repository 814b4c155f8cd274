//! The application layer: one function per use case, between the adapters (the HTTP service in `il2care_web`,
//! the `il2care` command line) and the record (`il2care_store`). Each use case takes typed input, the actor and
//! the current time (`now`, injected: nothing here reads the clock), decides access once through
//! [`access::decide`], and writes the audit entry in the same place: a refusal's entry before it is answered, a
//! write's entry in the write's own transaction, a read's entry durably before the read is answered.
//!
//! No HTTP (no status codes, no headers) and no SQL (the store's functions only).
//!
//! One module per area of use cases; each module's documentation lists its use cases. [`access`] is the one
//! access policy and the audit entries of accesses.

pub mod access;
pub mod accounts;
pub mod assessments;
pub mod audit_log;
pub mod cds;
pub mod checkins;
pub mod course_record;
pub mod courses;
pub mod doses;
pub mod fhir;
pub mod fhir_rest;
pub mod injections;
pub mod observations;
pub mod patients;
pub mod pharmacy;
pub mod rules;
pub mod screening_gate;
pub mod screenings;
pub mod views;
pub mod worklist;

pub use access::{Action, Actor, Decision, Role};

use il2care_core::Refusal;
use il2care_store::StoreError;

/// Why a use case did not happen. The adapters map each to their own answer (an HTTP status, an exit code).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input refused as a whole, naming the field; nothing was stored.
    #[error("{0}")]
    Refused(#[from] Refusal),
    /// The access policy said no (the refusal is audited already).
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The record failed (the database, or a write that could not be committed).
    #[error("{0}")]
    Store(StoreError),
}

impl From<StoreError> for Error {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => Error::NotFound(what),
            StoreError::Conflict(what) => Error::Conflict(what),
            other => Error::Store(other),
        }
    }
}

impl From<il2care_store::DbError> for Error {
    fn from(error: il2care_store::DbError) -> Self {
        Error::from(StoreError::from(error))
    }
}
