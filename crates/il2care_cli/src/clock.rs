//! The command line's one clock reader: the commands that touch the record get the time from here and pass it
//! to the use cases as their `now`.

/// The current time.
pub fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}
