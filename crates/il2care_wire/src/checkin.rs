//! placeholder: owned by the checkin work in progress.
