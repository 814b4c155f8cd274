//! dose command tests.
