//! What every Asynchronio binary shares at its edge: the Redis options every
//! service takes ([`RedisArgs`]), logging ([`logging`]) and graceful shutdown
//! on SIGTERM/SIGINT ([`shutdown`]).

pub mod logging;
pub mod redis_args;
pub mod shutdown;

pub use logging::{LogArgs, LogFormat};
pub use redis_args::RedisArgs;
pub use shutdown::Shutdown;
