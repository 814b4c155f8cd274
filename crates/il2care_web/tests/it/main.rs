//! The service's one integration test binary: the router in-process (`oneshot`) on SQLite and on
//! PostgreSQL, plus real-socket tests. Each test gets a fresh database.

#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

mod access;
mod admin;
mod api;
mod bad_input;
mod cds_auth;
mod cds_cards;
mod cds_hooks;
mod course_page;
mod fhir;
mod fhir_conformance;
mod fhir_validator;
mod hardening;
mod injections;
mod interop;
mod pages;
mod pharmacy;
mod refusals;
mod renamed_paths;
mod screenings;
mod smart;
mod support;
mod ward;
