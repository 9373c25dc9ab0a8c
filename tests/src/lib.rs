//! Test harness for end-to-end tests: real `redis-server` processes on free
//! loopback ports with their own data directories, the real service
//! binaries, and a small WebSocket client speaking the client protocol.
//!
//! Nothing is mocked. Every process started here is killed when its handle
//! drops, so a failing test leaves nothing behind.

#![warn(missing_docs)]

pub mod bridge;
pub mod browser;
pub mod client;
pub mod cluster;
pub mod compose;
pub mod http;
pub mod manager;
pub mod otlp;
pub mod postgres;
pub mod process;
pub mod redis;
pub mod scrape;
pub mod watch;

pub use client::{Received, WsClient};
pub use cluster::RedisCluster;
pub use manager::Manager;
pub use postgres::PostgresServer;
pub use process::{Service, free_port};
pub use redis::RedisServer;
pub use watch::Watch;

/// Panics with a message; for test set-up that cannot go on.
#[macro_export]
macro_rules! setup {
    ($result:expr, $($what:tt)+) => {
        match $result {
            Ok(value) => value,
            Err(error) => panic!("{}: {error}", format!($($what)+)),
        }
    };
}
