//! What every Asynchronio binary shares at its edge: the Redis options every
//! service takes ([`RedisArgs`]), the client's address behind trusted
//! proxies ([`client_address`]), logging ([`logging`]) and graceful shutdown
//! on SIGTERM/SIGINT ([`shutdown`]), starting the runtime ([`runtime`]),
//! the token bucket every rate limit counts with ([`token_bucket`]), and
//! the Prometheus recorder behind every `GET /metrics` ([`metrics`]) and
//! the tiny HTTP endpoint that serves it where a service has no web server
//! ([`http_endpoint`]), and OpenTelemetry tracing with the spans that
//! follow a message ([`telemetry`]), and the WebSocket upgrade's request
//! head, checks and limits ([`upgrade`]), here so that the fuzz targets can
//! reach them.
//!
//! [`node_heartbeat`] publishes each replica's heartbeat for the dashboard's
//! Nodes page, with the memory [`procfs`] reads.

#![warn(missing_docs)]

pub mod client_address;
pub mod histogram;
pub mod http_endpoint;
pub mod instance;
pub mod logging;
pub mod metrics;
pub mod node_heartbeat;
pub mod procfs;
pub mod redis_args;
pub mod runtime;
pub mod shutdown;
pub mod telemetry;
pub mod token_args;
pub mod token_bucket;
pub mod upgrade;

pub use instance::instance_id;
pub use logging::{LogArgs, LogFormat};
pub use redis_args::{HistoryArgs, RedisArgs};
pub use runtime::run_service;
pub use shutdown::Shutdown;
pub use token_args::TokenArgs;
