//! The bridge's command line, as `redis-bridge --help` shows it.

use std::net::SocketAddr;
use std::time::Duration;

use asynchronio_service::{LogArgs, RedisArgs};

/// Redis bridge of Asynchronio: applications `PUBLISH {prefix}:publish:CHANNEL
/// DATA` (fire and forget) or `XADD {prefix}:ingest * channel CHANNEL data DATA`
/// (at least once), and the bridge publishes each message to the channel's
/// subscribers with an offset, exactly once across bridge replicas.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "redis-bridge", version, about, long_about = None)]
pub struct BridgeArgs {
    /// Address of the health endpoint (GET /healthz).
    #[arg(
        long,
        env = "ASYNCHRONIO_BRIDGE_LISTEN",
        default_value = "0.0.0.0:8090"
    )]
    pub listen: SocketAddr,

    /// More Redis channel patterns to bridge, besides {prefix}:publish:*.
    /// A message on such a topic is published to the channel named like the
    /// topic itself. Repeat the option or separate with commas.
    #[arg(
        long = "pattern",
        env = "ASYNCHRONIO_BRIDGE_PATTERNS",
        value_delimiter = ','
    )]
    pub patterns: Vec<String>,

    /// Do not read the ingest stream {prefix}:ingest.
    #[arg(long, env = "ASYNCHRONIO_BRIDGE_NO_INGEST")]
    pub no_ingest: bool,

    /// Partitions channels are divided into among replicas. Every replica
    /// must use the same number.
    #[arg(long, env = "ASYNCHRONIO_BRIDGE_PARTITIONS", default_value_t = 64)]
    pub partitions: u32,

    /// Milliseconds a replica's leases last without renewal; a dead replica's
    /// channels move to the others within about this time plus a third.
    #[arg(long, env = "ASYNCHRONIO_BRIDGE_LEASE_MS", default_value_t = 3_000)]
    pub lease_ms: u64,

    /// Name of this replica in Redis (default: host name, process id and a
    /// random suffix).
    #[arg(long, env = "ASYNCHRONIO_REPLICA_ID")]
    pub replica_id: Option<String>,

    /// Largest payload (the `DATA` of a PUBLISH or an ingest entry)
    /// accepted, in bytes; larger ones are rejected with a log line (and,
    /// from the ingest stream, kept in {prefix}:ingest:rejected).
    /// [default: 1048576]
    #[arg(long = "max-payload-size", env = "ASYNCHRONIO_BRIDGE_MAX_PAYLOAD_SIZE")]
    pub max_payload_size: Option<usize>,

    /// The former name of --max-payload-size, still read when the new one
    /// is not given, so that a deployment that set ASYNCHRONIO_MAX_MESSAGE_SIZE
    /// for every service keeps its limit (the gateway reads it too, as its
    /// client message limit).
    #[arg(
        long = "max-message-size",
        env = "ASYNCHRONIO_MAX_MESSAGE_SIZE",
        hide = true
    )]
    pub max_message_size: Option<usize>,

    #[command(flatten)]
    pub redis: RedisArgs,

    #[command(flatten)]
    pub log: LogArgs,
}

/// The payload limit when neither option is given.
const DEFAULT_MAX_PAYLOAD_SIZE: usize = 1_048_576;

impl BridgeArgs {
    /// The payload limit: --max-payload-size, else the former
    /// --max-message-size, else 1 MiB.
    pub fn max_payload_size(&self) -> usize {
        self.max_payload_size
            .or(self.max_message_size)
            .unwrap_or(DEFAULT_MAX_PAYLOAD_SIZE)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_millis(self.lease_ms.max(300))
    }

    pub fn replica_id(&self) -> String {
        asynchronio_service::instance_id(self.replica_id.as_deref())
    }
}
