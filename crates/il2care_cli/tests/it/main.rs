//! The command line's one integration test binary: runs the built `il2care` and checks output and exit codes.

mod assess;
mod dose;
mod schedule;
mod support;
mod triage;
