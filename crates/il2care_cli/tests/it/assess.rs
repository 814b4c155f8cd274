//! assess command tests.
