//! placeholder: owned by the grading work in progress.
