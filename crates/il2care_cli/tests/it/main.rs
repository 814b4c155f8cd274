//! The command line's one integration test binary: runs the built `il2care` and checks output and exit codes.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod assess;
mod bad_input;
mod batch;
mod crash;
mod dose;
mod fhir;
mod schedule;
mod screen;
mod serve;
mod support;
mod triage;
