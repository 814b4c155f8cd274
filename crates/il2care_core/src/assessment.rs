//! placeholder: owned by the assessment work in progress.
