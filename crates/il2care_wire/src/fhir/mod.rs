//! FHIR R4 JSON at il2care's edge: the code tables ([`codes`]), the export of a patient's record as a Bundle
//! ([`export`]), the import of a Bundle into records ready to store ([`import`]) and Observation search
//! ([`search`]).
//!
//! Hand-written `serde_json` builders and readers, no FHIR model crate; an independent library validates the
//! output in the test suite. No IO and no clock: callers read the store and pass the current time.

pub mod codes;
pub mod conformance;
pub mod export;
pub mod import;
pub mod matching;
pub mod search;

#[cfg(test)]
mod date_only_tests;
