//! Settings every service passes to the bus.

use std::time::Duration;

use asynchronio_protocol::Keys;

/// How much of each channel's history Redis keeps.
///
/// Every publisher (bridge, gateway, REST API) applies these on each publish,
/// so they should share one value across a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistorySettings {
    /// Entries kept per channel stream (trimmed approximately, never below).
    pub size: u64,
    /// Seconds a channel's history outlives its last publish; 0 keeps it forever.
    pub ttl_secs: u64,
    /// Seconds an idempotency key is remembered.
    pub idempotency_ttl_secs: u64,
}

impl Default for HistorySettings {
    fn default() -> Self {
        Self {
            size: 10_000,
            ttl_secs: 86_400,
            idempotency_ttl_secs: 86_400,
        }
    }
}

/// Where Redis is and how to name things in it.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// `redis://[user:password@]host:port[/db]`.
    pub redis_url: String,
    pub keys: Keys,
    pub history: HistorySettings,
    /// How long one command may wait (including while Redis is unreachable)
    /// before it fails with a timeout.
    pub command_timeout: Duration,
    /// Capacity of the pub/sub message queue between fred and the service;
    /// a reader that falls further behind is told it lagged.
    pub pubsub_capacity: usize,
}

impl BusConfig {
    pub fn new(redis_url: impl Into<String>, keys: Keys) -> Self {
        Self {
            redis_url: redis_url.into(),
            keys,
            history: HistorySettings::default(),
            command_timeout: Duration::from_secs(5),
            pubsub_capacity: 16_384,
        }
    }
}
