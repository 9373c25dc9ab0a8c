//! Redis access that every Asynchronio service shares.
//!
//! Services talk to each other only through Redis, and only through this
//! crate: it connects (retrying with backoff while Redis is down), runs the
//! atomic publish script from [`asynchronio_protocol::script`], reads channel
//! history by offset, and hands out pub/sub subscribers and leases. Key names
//! and byte formats come from the protocol crate; nothing here invents one.

mod bus;
mod cache;
mod config;
mod connection;
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
mod topics;

pub use bus::Bus;
pub use cache::CachedValue;
pub use config::{BusConfig, HistorySettings};
pub use connection::Backoff;
pub use error::BusError;
pub use group::{GroupBacklog, GroupRead, StreamEntry, is_missing_group};
pub use heartbeat::Heartbeat;
pub use history::Position;
pub use lease::Lease;
pub use lease_keeper::{LeaseKeeper, LeaseLoss};
pub use logins::random_secret;
pub use presence::PresenceEntry;
pub use processes::COMMAND_FIELD;
pub use publish::{PublishRequest, Published};

/// The fred client types, re-exported so services need no direct dependency
/// to hold a subscriber or issue a plain command.
pub use fred;
