//! il2care's JSON documents (`spec/INTERFACES.md` in the project docs): parsing them into core types,
//! refusing bad input as a whole with a [`Refusal`] that names the field, and rendering results as JSON.
//!
//! This crate owns the wire format; the core owns the meaning. Core types never derive serde: every
//! conversion between the two is written out here, so either side can change without touching the other.
//! No IO happens here either: callers read files or request bodies and pass the text in.

pub mod assessment;
pub mod checkin;
pub mod dosing;
pub mod fhir;
pub mod json;
pub mod patient;
pub mod screening;

pub use il2care_core::Refusal;
