//! triage command tests.
