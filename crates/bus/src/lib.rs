//! Redis access that every Asynchronio service shares.
//!
//! Services talk to each other only through Redis, and only through this
//! crate: it connects (retrying with backoff while Redis is down), runs the
//! atomic publish script from [`asynchronio_protocol::script`], reads channel
//! history by offset, and hands out pub/sub subscribers ([`Subscriber`]),
//! leases ([`LeaseKeeper`]: hold a lease and work while it is held) and
//! heartbeats ([`Heartbeat`]: who is alive). Key names, Lua scripts and byte
//! formats come from the protocol crate; nothing here invents one.
//!
//! fred, the Redis client, stays inside this crate: no other crate or
//! service names it (`tests/tests/layout.rs` checks), so every Redis
//! command the system sends is a routine here. Only the end-to-end tests
//! reach the raw client, through the `test-support` feature.

#![warn(missing_docs)]

mod bus;
mod cache;
mod config;
mod connection;
mod dead_letters;
mod error;
mod group;
mod heartbeat;
mod history;
mod lease;
mod lease_keeper;
mod logins;
mod presence;
mod processes;
mod publish;
mod reply;
mod revocation;
mod subscriber;
mod topics;

pub use bus::Bus;
pub use cache::CachedValue;
pub use config::{BusConfig, HistorySettings};
pub use connection::Backoff;
pub use error::BusError;
pub use group::{FieldValue, GroupBacklog, GroupRead, StreamEntry, is_missing_group};
pub use heartbeat::Heartbeat;
pub use history::Position;
pub use lease::Lease;
pub use lease_keeper::{LeaseKeeper, LeaseLoss};
pub use logins::random_secret;
pub use presence::PresenceEntry;
pub use processes::COMMAND_FIELD;
pub use publish::{PublishRequest, Published};
pub use subscriber::{Messages, PubsubMessage, Reconnects, Subscriber};

/// The fred client, for the end-to-end tests only (feature `test-support`):
/// they play applications that talk to Redis directly. Nothing else outside
/// this crate names fred (`tests/tests/layout.rs` checks).
#[cfg(feature = "test-support")]
pub use fred;
