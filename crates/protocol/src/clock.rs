//! The one wall clock: milliseconds since the Unix epoch.
//!
//! Every timestamp that Asynchronio writes (instance states, heartbeat
//! scores, presence, audit rows, metrics samples) and every comparison
//! against one is read here. It lives in `protocol`, not in `service`,
//! because `bus` writes heartbeat scores and `service` depends on `bus`;
//! `protocol` is the one crate every other crate already depends on.
//!
//! The wall clock, not `Instant`, because these values cross processes and
//! hosts through Redis. A clock before 1970 reads as 0 rather than failing:
//! a wrong clock must not stop a service.

use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch (0 if the system clock is before it).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// Microseconds since the Unix epoch (0 if the system clock is before it),
/// for latencies measured against a millisecond timestamp.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_micros()).unwrap_or(u64::MAX)
        })
}

/// Seconds since the Unix epoch (0 if the system clock is before it).
pub fn now_secs() -> u64 {
    now_ms() / 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_time_after_2020_and_agrees_with_itself() {
        let ms = now_ms();
        assert!(ms > 1_577_836_800_000, "{ms}");
        assert!(now_secs() >= ms / 1000);
    }
}
