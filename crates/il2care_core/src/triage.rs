//! placeholder: owned by the triage work in progress.
