//! schedule command tests.
