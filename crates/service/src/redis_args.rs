//! Command-line options for reaching Redis, identical in every service.

use std::time::Duration;

use asynchronio_bus::{BusConfig, HistorySettings};
use asynchronio_protocol::Keys;

/// How much history channels keep: the options every publisher takes (the
/// services through [`RedisArgs`], the process manager on its own), since
/// each publish trims by its publisher's settings.
#[derive(Debug, Clone, clap::Args)]
pub struct HistoryArgs {
    /// Messages kept per channel for recovery and history (approximate trim,
    /// never fewer). Use the same value in every service.
    #[arg(long, env = "ASYNCHRONIO_HISTORY_SIZE", default_value_t = 10_000)]
    pub history_size: u64,

    /// Seconds a channel's history is kept after its last message; 0 keeps it
    /// for ever. Use the same value in every service.
    #[arg(long, env = "ASYNCHRONIO_HISTORY_TTL", default_value_t = 86_400)]
    pub history_ttl: u64,
}

impl HistoryArgs {
    /// The history settings these options describe.
    pub fn settings(&self) -> HistorySettings {
        HistorySettings {
            size: self.history_size,
            ttl_secs: self.history_ttl,
            ..HistorySettings::default()
        }
    }
}

/// Where Redis is, the key prefix, and how much history channels keep.
#[derive(Debug, Clone, clap::Args)]
pub struct RedisArgs {
    /// Redis to connect to: redis://[user:password@]host:port[/db].
    #[arg(long, env = "REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,

    /// Prefix of every Redis key and topic this deployment uses.
    #[arg(long, env = "ASYNCHRONIO_KEY_PREFIX", default_value = "asynchronio")]
    pub key_prefix: String,

    /// How much history channels keep.
    #[command(flatten)]
    pub history: HistoryArgs,

    /// Seconds a Redis command may wait (also while Redis is unreachable)
    /// before it fails.
    #[arg(long, env = "ASYNCHRONIO_REDIS_TIMEOUT", default_value_t = 5)]
    pub redis_timeout: u64,
}

impl RedisArgs {
    /// The bus settings these options describe.
    pub fn bus_config(&self) -> BusConfig {
        let mut config = BusConfig::new(self.redis_url.clone(), Keys::new(&self.key_prefix));
        config.history = self.history.settings();
        config.command_timeout = Duration::from_secs(self.redis_timeout.max(1));
        config
    }
}
