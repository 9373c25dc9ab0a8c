//! Errors of Redis work, phrased for the operator who has to act on them.

use asynchronio_protocol::EnvelopeError;

/// What went wrong talking to Redis.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The Redis URL does not parse.
    #[error(
        "Redis URL {url:?} is not valid: {source}; use redis://host:port[/db], or redis-cluster://host1:port1,host2:port2 for a Redis Cluster"
    )]
    BadUrl {
        /// The URL as given.
        url: String,
        /// fred's reason.
        #[source]
        source: fred::error::Error,
    },
    /// A command failed (Redis unreachable, timed out, or refused it).
    #[error("Redis command failed: {0}; check that Redis is running and reachable")]
    Redis(#[from] fred::error::Error),
    /// An envelope could not be encoded or decoded.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// The process manager did not answer a command in time.
    #[error("{}", no_answer_message(command, *secs, manager.as_deref()))]
    NoAnswer {
        /// The command's verb.
        command: String,
        /// How long it waited, in seconds.
        secs: f32,
        /// The live manager's id, if one holds its lease.
        manager: Option<String>,
    },
    /// A cache TTL outside the accepted range (seconds).
    #[error(
        "a cache TTL of {0} s is out of range; give 1 to {max} seconds, or none",
        max = asynchronio_protocol::cache::MAX_CACHE_TTL_SECS
    )]
    CacheTtl(u64),
    /// Another owner still held a lease after waiting for it
    /// ([`crate::Bus::take_lease`]).
    #[error("the lease {key} is held by {holder}")]
    LeaseHeld {
        /// The lease's key.
        key: String,
        /// Who holds it.
        holder: String,
    },
    /// Redis answered something the routine cannot read.
    #[error("Redis gave an unexpected reply to {what}: {detail}")]
    UnexpectedReply {
        /// The command or script asked.
        what: &'static str,
        /// The reply, as debug text.
        detail: String,
    },
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
