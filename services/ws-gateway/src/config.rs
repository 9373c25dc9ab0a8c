//! The gateway's command line: every option, its environment variable and
//! its default, as `ws-gateway --help` shows them.

use std::net::SocketAddr;
use std::time::Duration;

use asynchronio_protocol::ChannelRules;
use asynchronio_service::{LogArgs, RedisArgs, TokenArgs};

pub use crate::limits::{Cidr, Rate};
use asynchronio_service::client_address::ProxyArgs;

/// The largest WebSocket message a client may send unless configured: 64 KiB.
const DEFAULT_MAX_CLIENT_MESSAGE_SIZE: usize = 65_536;

/// WebSocket gateway of Asynchronio: clients subscribe to channels at
/// ws://HOST:PORT/ws and receive every message published to them, in order,
/// resuming after a disconnect from the last offset they saw.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "ws-gateway", version, about, long_about = None)]
pub struct GatewayArgs {
    /// Address to listen on for WebSocket clients.
    #[arg(long, env = "ASYNCHRONIO_WS_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// Path of the client protocol endpoint.
    #[arg(long, env = "ASYNCHRONIO_WS_PATH", default_value = "/ws")]
    pub ws_path: String,

    /// Also serve a plain echo endpoint at this path (same WebSocket stack
    /// and limits), for RFC 6455 conformance runs. Off unless given.
    #[arg(long, env = "ASYNCHRONIO_ECHO_PATH")]
    pub echo_path: Option<String>,

    /// Serve the files of this directory (the browser client and demo,
    /// web/static) over plain HTTP on the same port. Off unless given.
    #[arg(long, env = "ASYNCHRONIO_STATIC_DIR")]
    pub static_dir: Option<std::path::PathBuf>,

    /// Largest WebSocket message a client may send, in bytes (so also the
    /// largest `data` it may publish); larger ones close the connection
    /// with 1009. [default: 65536]
    #[arg(long, env = "ASYNCHRONIO_MAX_CLIENT_MESSAGE_SIZE")]
    pub max_client_message_size: Option<usize>,

    /// The former name of --max-client-message-size, still read when the
    /// new one is not given (the redis-bridge's payload limit, which shared
    /// the environment variable, is now ASYNCHRONIO_BRIDGE_MAX_PAYLOAD_SIZE).
    #[arg(long, env = "ASYNCHRONIO_MAX_MESSAGE_SIZE", hide = true)]
    pub max_message_size: Option<usize>,

    /// Most channels one connection may subscribe to.
    #[arg(long, env = "ASYNCHRONIO_MAX_SUBSCRIPTIONS", default_value_t = 128)]
    pub max_subscriptions: usize,

    /// Longest channel name, in bytes.
    #[arg(long, env = "ASYNCHRONIO_MAX_CHANNEL_LENGTH", default_value_t = 255)]
    pub max_channel_length: usize,

    /// Frames that may wait for one client; a client further behind is
    /// disconnected as a slow consumer (close code 1008) and may resume.
    #[arg(long, env = "ASYNCHRONIO_SEND_QUEUE", default_value_t = 1024)]
    pub send_queue: usize,

    /// Most concurrent WebSocket connections (counted once upgraded); more
    /// are refused with HTTP 503.
    #[arg(long, env = "ASYNCHRONIO_MAX_CONNECTIONS", default_value_t = 15_000)]
    pub max_connections: usize,

    /// Most sockets that have not finished their handshake (or HTTP
    /// request) at once, from all addresses; more are refused with 503.
    #[arg(long, env = "ASYNCHRONIO_MAX_PENDING", default_value_t = 4096)]
    pub max_pending: usize,

    /// Most such sockets from one IP address at once, so idle sockets from
    /// one host cannot crowd out others.
    #[arg(
        long,
        env = "ASYNCHRONIO_MAX_PENDING_PER_ADDRESS",
        default_value_t = 64
    )]
    pub max_pending_per_address: usize,

    /// Publish frames one connection may send per second, on average; more
    /// get a `rate_limited` error (every publish may create a channel's
    /// keys in Redis, so a client must not publish without bound).
    #[arg(long, env = "ASYNCHRONIO_PUBLISH_RATE", default_value_t = 100)]
    pub publish_rate: u32,

    /// Publish frames one connection may send at once before the rate
    /// applies.
    #[arg(long, env = "ASYNCHRONIO_PUBLISH_BURST", default_value_t = 1000)]
    pub publish_burst: u32,

    /// Subscribe attempts one connection may make per second, on average
    /// (successful or not: unsubscribing does not give them back); more
    /// get a `rate_limited` error.
    #[arg(long, env = "ASYNCHRONIO_SUBSCRIBE_RATE", default_value_t = 20)]
    pub subscribe_rate: u32,

    /// Subscribe attempts one connection may make at once before the rate
    /// applies (a reconnecting client resubscribes everything at once).
    #[arg(long, env = "ASYNCHRONIO_SUBSCRIBE_BURST", default_value_t = 256)]
    pub subscribe_burst: u32,

    /// Subscribe attempts all connections from one IP address may make per
    /// second, on average (0: no per-address limit).
    #[arg(
        long,
        env = "ASYNCHRONIO_ADDRESS_SUBSCRIBE_RATE",
        default_value_t = 2_000
    )]
    pub address_subscribe_rate: u32,

    /// Subscribe attempts from one IP address at once before its rate
    /// applies (many clients behind one NAT reconnecting together).
    #[arg(
        long,
        env = "ASYNCHRONIO_ADDRESS_SUBSCRIBE_BURST",
        default_value_t = 20_000
    )]
    pub address_subscribe_burst: u32,

    /// Milliseconds between keepalive pings to each client.
    #[arg(long, env = "ASYNCHRONIO_PING_INTERVAL_MS", default_value_t = 25_000)]
    pub ping_interval_ms: u64,

    /// Milliseconds without any frame from a client (pongs included) after
    /// which it is disconnected.
    #[arg(long, env = "ASYNCHRONIO_IDLE_TIMEOUT_MS", default_value_t = 60_000)]
    pub idle_timeout_ms: u64,

    /// Milliseconds a client has to send its request and complete the
    /// WebSocket handshake.
    #[arg(
        long,
        env = "ASYNCHRONIO_HANDSHAKE_TIMEOUT_MS",
        default_value_t = 5_000
    )]
    pub handshake_timeout_ms: u64,

    /// Milliseconds a write to one client may block before it is dropped.
    #[arg(long, env = "ASYNCHRONIO_WRITE_TIMEOUT_MS", default_value_t = 10_000)]
    pub write_timeout_ms: u64,

    /// Milliseconds connections get to close after SIGTERM.
    #[arg(long, env = "ASYNCHRONIO_SHUTDOWN_GRACE_MS", default_value_t = 5_000)]
    pub shutdown_grace_ms: u64,

    /// Name of this gateway in Redis (default: host name, process id and a
    /// random suffix).
    #[arg(long, env = "ASYNCHRONIO_GATEWAY_ID")]
    pub gateway_id: Option<String>,

    /// `--trusted-proxy`; the proxies themselves are held only to
    /// `--max-pending`.
    #[command(flatten)]
    pub proxies: ProxyArgs,

    #[command(flatten)]
    pub tokens: TokenArgs,

    #[command(flatten)]
    pub redis: RedisArgs,

    #[command(flatten)]
    pub log: LogArgs,
}

/// Per-connection limits and timings, shared by every connection.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest WebSocket message a client may send, in bytes
    /// (`--max-client-message-size`).
    pub max_client_message_size: usize,
    /// Subscriptions one connection may hold (`--max-subscriptions`).
    pub max_subscriptions: usize,
    /// Channel name rules (`--max-channel-length`).
    pub channel_rules: ChannelRules,
    /// Frames a client may lag before it is cut off (`--send-queue`).
    pub send_queue: usize,
    /// Upgraded connections at most (`--max-connections`).
    pub max_connections: usize,
    /// Sockets still in their handshake, in total (`--max-pending`).
    pub max_pending: usize,
    /// Sockets still in their handshake per address
    /// (`--max-pending-per-address`).
    pub max_pending_per_address: usize,
    /// Proxies whose `X-Forwarded-For` names the client (`--trusted-proxy`).
    pub trusted_proxies: Vec<Cidr>,
    /// Subscribe attempts per connection: (per second, burst).
    pub subscribe_rate: Rate,
    /// Publish frames per connection: (per second, burst).
    pub publish_rate: Rate,
    /// Subscribe attempts per IP address, if limited.
    pub address_subscribe_rate: Option<Rate>,
    /// Time between keepalive pings (`--ping-interval-ms`).
    pub ping_interval: Duration,
    /// Silence after which a client is dropped (`--idle-timeout-ms`).
    pub idle_timeout: Duration,
    /// Time a socket has to finish its handshake (`--handshake-timeout-ms`).
    pub handshake_timeout: Duration,
    /// Time one write may take before the client is dropped
    /// (`--write-timeout-ms`).
    pub write_timeout: Duration,
}

impl GatewayArgs {
    /// The limits the options describe, shared by every connection.
    pub fn limits(&self) -> Limits {
        Limits {
            max_client_message_size: self
                .max_client_message_size
                .or(self.max_message_size)
                .unwrap_or(DEFAULT_MAX_CLIENT_MESSAGE_SIZE)
                .max(128),
            max_subscriptions: self.max_subscriptions,
            channel_rules: ChannelRules {
                max_len: self.max_channel_length,
            },
            send_queue: self.send_queue.max(1),
            max_connections: self.max_connections,
            max_pending: self.max_pending.max(1),
            max_pending_per_address: self.max_pending_per_address.max(1),
            trusted_proxies: self.proxies.trusted_proxies.clone(),
            subscribe_rate: Rate::new(self.subscribe_rate, self.subscribe_burst),
            publish_rate: Rate::new(self.publish_rate, self.publish_burst),
            address_subscribe_rate: (self.address_subscribe_rate > 0)
                .then(|| Rate::new(self.address_subscribe_rate, self.address_subscribe_burst)),
            ping_interval: Duration::from_millis(self.ping_interval_ms.max(10)),
            idle_timeout: Duration::from_millis(self.idle_timeout_ms.max(20)),
            handshake_timeout: Duration::from_millis(self.handshake_timeout_ms.max(10)),
            write_timeout: Duration::from_millis(self.write_timeout_ms.max(10)),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn client_message_limit(args: &[&str]) -> usize {
        let args =
            GatewayArgs::try_parse_from(std::iter::once("ws-gateway").chain(args.iter().copied()))
                .expect("options parse");
        args.limits().max_client_message_size
    }

    #[test]
    fn the_client_message_limit_keeps_its_former_name() {
        // Only when the environment does not set either variable itself.
        if std::env::var_os("ASYNCHRONIO_MAX_CLIENT_MESSAGE_SIZE").is_some()
            || std::env::var_os("ASYNCHRONIO_MAX_MESSAGE_SIZE").is_some()
        {
            return;
        }
        assert_eq!(client_message_limit(&[]), DEFAULT_MAX_CLIENT_MESSAGE_SIZE);
        assert_eq!(client_message_limit(&["--max-message-size", "4096"]), 4096);
        assert_eq!(
            client_message_limit(&["--max-client-message-size", "8192"]),
            8192
        );
        assert_eq!(
            client_message_limit(&[
                "--max-client-message-size",
                "8192",
                "--max-message-size",
                "4096"
            ]),
            8192,
            "the new name wins"
        );
    }
}
