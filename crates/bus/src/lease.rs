//! Leases: a key that one owner holds for a while and must keep renewing,
//! so that work is owned by exactly one live process and moves when it dies.
//! The scripts are [`asynchronio_protocol::script::LEASE_ACQUIRE_OR_RENEW`]
//! and [`asynchronio_protocol::script::LEASE_RELEASE`]; keeping a lease
//! over time is [`crate::LeaseKeeper`].

use std::time::Duration;

use fred::error::{Error as FredError, ErrorKind};
use fred::interfaces::{ClientLike, KeysInterface};
use fred::types::config::Options;
use fred::types::{ClusterHash, CustomCommand, Value};

use crate::bus::{Bus, is_noscript};
use crate::error::BusError;
use crate::reply;

/// A named lease as one owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The Redis key (from [`asynchronio_protocol::Keys`]).
    pub key: String,
    /// Who holds it when it is ours: unique per process.
    pub owner: String,
    /// How long it lasts without renewal.
    pub ttl: Duration,
}

impl Lease {
    /// The longest giving leases back may take. Releasing is a courtesy (an
    /// unreleased lease expires after its TTL and another owner takes it
    /// then), so it is tried once, fails at once while Redis is
    /// disconnected, and never holds up a shutdown for longer than this.
    pub const RELEASE_TIMEOUT: Duration = Duration::from_secs(1);
}

impl Bus {
    /// Acquires a free lease or renews our own; false when another owner has it.
    pub async fn acquire_lease(&self, lease: &Lease) -> Result<bool, BusError> {
        let reply = self
            .run_script(
                &self.scripts.lease_acquire,
                vec![lease.key.clone()],
                vec![
                    Value::from(lease.owner.as_str()),
                    Value::Integer(lease.ttl.as_millis() as i64),
                ],
            )
            .await?;
        Ok(reply::as_u64("the lease script", &reply)? == 1)
    }

    /// Who holds the lease now, if anyone.
    pub async fn lease_holder(&self, lease: &Lease) -> Result<Option<String>, BusError> {
        Ok(self.client.get(lease.key.as_str()).await?)
    }

    /// Releases the lease if we hold it; true when it was ours. Best
    /// effort within [`Lease::RELEASE_TIMEOUT`], as [`Bus::release_leases`].
    pub async fn release_lease(&self, lease: &Lease) -> Result<bool, BusError> {
        Ok(self.release_leases(std::slice::from_ref(lease)).await? == 1)
    }

    /// Releases those of `leases` we hold, all at once (the scripts share
    /// one connection's pipeline, not one round trip each), and answers how
    /// many were ours. Best effort: one attempt, no waiting for a reconnect,
    /// all within [`Lease::RELEASE_TIMEOUT`]; on failure the first error, and the
    /// leases not released expire after their TTL.
    pub async fn release_leases(&self, leases: &[Lease]) -> Result<usize, BusError> {
        let client = self.client.with_options(&Options {
            fail_fast: true,
            max_attempts: Some(1),
            timeout: Some(Lease::RELEASE_TIMEOUT),
            ..Options::default()
        });
        let script = &self.scripts.lease_release;
        // EVALSHA through `custom`, since fred applies per-command options
        // only there (WithOptions has no script interface); the key, the
        // third argument, picks the cluster node.
        let evalsha = CustomCommand::new_static("EVALSHA", ClusterHash::Offset(2), false);
        let release = |lease: &Lease| {
            let client = &client;
            let evalsha = evalsha.clone();
            let args = vec![
                Value::from(script.sha1().clone()),
                Value::Integer(1),
                Value::from(lease.key.as_str()),
                Value::from(lease.owner.as_str()),
            ];
            async move {
                let reply: Result<Value, FredError> =
                    match client.custom(evalsha.clone(), args.clone()).await {
                        // Redis restarted and forgot the script.
                        Err(error) if is_noscript(&error) => {
                            script.load(&self.client).await?;
                            client.custom(evalsha, args).await
                        }
                        other => other,
                    };
                Ok::<_, BusError>(reply::as_u64("the lease script", &reply?)? == 1)
            }
        };
        let all = futures_util::future::join_all(leases.iter().map(release));
        // fred's own timeout bounds each command; this bounds the script
        // reload too.
        let results = tokio::time::timeout(Lease::RELEASE_TIMEOUT, all)
            .await
            .map_err(|_| {
                FredError::new(
                    ErrorKind::Timeout,
                    format!("releasing leases took over {:?}", Lease::RELEASE_TIMEOUT),
                )
            })?;
        let mut released = 0;
        for result in results {
            released += usize::from(result?);
        }
        Ok(released)
    }
}
