//! Errors of Redis work, phrased for the operator who has to act on them.

use asynchronio_protocol::EnvelopeError;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error(
        "Redis URL {url:?} is not valid: {source}; use redis://host:port[/db], or redis-cluster://host1:port1,host2:port2 for a Redis Cluster"
    )]
    BadUrl {
        url: String,
        #[source]
        source: fred::error::Error,
    },
    #[error("Redis command failed: {0}; check that Redis is running and reachable")]
    Redis(#[from] fred::error::Error),
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    #[error("{}", no_answer_message(command, *secs, manager.as_deref()))]
    NoAnswer {
        command: String,
        secs: f32,
        manager: Option<String>,
    },
    #[error(
        "a cache TTL of {0} s is out of range; give 1 to {max} seconds, or none",
        max = asynchronio_protocol::cache::MAX_CACHE_TTL_SECS
    )]
    CacheTtl(u64),
    /// Another owner still held a lease after waiting for it
    /// ([`crate::Bus::take_lease`]).
    #[error("the lease {key} is held by {holder}")]
    LeaseHeld { key: String, holder: String },
    #[error("Redis gave an unexpected reply to {what}: {detail}")]
    UnexpectedReply { what: &'static str, detail: String },
}

impl BusError {
    /// Whether the failure is Redis being unreachable or slow (worth
    /// retrying) rather than a bad request.
    pub fn is_unavailable(&self) -> bool {
        match self {
            BusError::Redis(e) => {
                matches!(
                    e.kind(),
                    fred::error::ErrorKind::IO
                        | fred::error::ErrorKind::Timeout
                        | fred::error::ErrorKind::Canceled
                        | fred::error::ErrorKind::Backpressure
                        | fred::error::ErrorKind::Cluster
                ) || is_cluster_transition(e.details())
            }
            _ => false,
        }
    }
}

/// Replies a Redis Cluster gives while it moves slots or fails over.
fn is_cluster_transition(details: &str) -> bool {
    [
        "CLUSTERDOWN",
        "TRYAGAIN",
        "MOVED",
        "ASK",
        "READONLY",
        "MASTERDOWN",
    ]
    .iter()
    .any(|prefix| details.starts_with(prefix))
}

fn no_answer_message(command: &str, secs: f32, manager: Option<&str>) -> String {
    match manager {
        Some(id) => format!(
            "the process manager ({id}) did not answer command {command} within {secs:.0} s; it may be busy stopping processes, check `asynchronio ps`"
        ),
        None => format!(
            "no process manager is running to answer command {command}; start the stack with `asynchronio up` (or run `process-manager`)"
        ),
    }
}
