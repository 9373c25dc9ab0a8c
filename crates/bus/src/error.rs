//! Errors of Redis work, phrased for the operator who has to act on them.

use asynchronio_protocol::EnvelopeError;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("Redis URL {url:?} is not valid: {source}; use redis://host:port[/db]")]
    BadUrl {
        url: String,
        #[source]
        source: fred::error::Error,
    },
    #[error("Redis command failed: {0}; check that Redis is running and reachable")]
    Redis(#[from] fred::error::Error),
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    #[error("Redis gave an unexpected reply to {what}: {detail}")]
    UnexpectedReply { what: &'static str, detail: String },
}

impl BusError {
    /// Whether the failure is Redis being unreachable or slow (worth
    /// retrying) rather than a bad request.
    pub fn is_unavailable(&self) -> bool {
        match self {
            BusError::Redis(e) => matches!(
                e.kind(),
                fred::error::ErrorKind::IO
                    | fred::error::ErrorKind::Timeout
                    | fred::error::ErrorKind::Canceled
                    | fred::error::ErrorKind::Backpressure
            ),
            _ => false,
        }
    }
}
