//! Heartbeat registries: who is alive, as a sorted set in Redis whose
//! members are scored by the time (ms since the epoch) until which they
//! count as alive. A member renews its beat every so often; one that stops
//! (killed, cut off) drops out when its score passes, and every beat prunes
//! such members. Gateways ([`asynchronio_protocol::Keys::gateways`]) and
//! redis-bridge replicas ([`asynchronio_protocol::Keys::bridge_replicas`])
//! each have one.

use std::collections::HashSet;
use std::time::Duration;

use asynchronio_protocol::clock::now_ms;
use fred::clients::{Client, Pipeline};
use fred::interfaces::{ClientLike, SortedSetsInterface};
use fred::types::Value;
use fred::types::config::Options;

use crate::bus::Bus;
use crate::error::BusError;

/// One member's entry in a heartbeat registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    /// The registry's key (a sorted set).
    pub registry: String,
    /// This member's name in it: unique per process.
    pub member: String,
    /// How long one beat counts; renew well within it.
    pub ttl: Duration,
}

impl Heartbeat {
    /// The longest leaving a registry may take. Leaving is a courtesy (a
    /// member that does not leave drops out when its beat expires), so it is
    /// tried once and fails at once while Redis is disconnected.
    pub const LEAVE_TIMEOUT: Duration = Duration::from_secs(1);
}

/// Queues one beat on `pipeline`: renew `heartbeat` as of `now` (ms), and
/// prune members whose beat has expired. The one place a beat is written.
pub(crate) async fn queue_beat(
    pipeline: &Pipeline<Client>,
    heartbeat: &Heartbeat,
    now: u64,
) -> Result<(), BusError> {
    let until = now + heartbeat.ttl.as_millis() as u64;
    let _: () = pipeline
        .zadd(
            &heartbeat.registry,
            None,
            None,
            false,
            false,
            (until as f64, heartbeat.member.as_str()),
        )
        .await?;
    let _: () = pipeline
        .zremrangebyscore(&heartbeat.registry, f64::NEG_INFINITY, now as f64)
        .await?;
    Ok(())
}

impl Bus {
    /// Renews `heartbeat` (and prunes expired members), in one round trip;
    /// answers how many members are alive now, this one included.
    pub async fn beat(&self, heartbeat: &Heartbeat) -> Result<u64, BusError> {
        let pipeline = self.client.pipeline();
        queue_beat(&pipeline, heartbeat, now_ms()).await?;
        let _: () = pipeline.zcard(&heartbeat.registry).await?;
        let replies: Vec<Value> = pipeline.all().await?;
        let live =
            replies
                .last()
                .and_then(Value::as_u64)
                .ok_or_else(|| BusError::UnexpectedReply {
                    what: "ZCARD",
                    detail: format!("{replies:?}"),
                })?;
        Ok(live)
    }

    /// The members of `registry` whose beat is current.
    pub async fn live_members(&self, registry: &str) -> Result<HashSet<String>, BusError> {
        let members: Vec<String> = self
            .client
            .zrangebyscore(registry, now_ms() as f64, f64::INFINITY, false, None)
            .await?;
        Ok(members.into_iter().collect())
    }

    /// Removes `heartbeat` from its registry (a member shutting down), best
    /// effort: one attempt within [`Heartbeat::LEAVE_TIMEOUT`], none while
    /// Redis is disconnected; otherwise the beat expires.
    pub async fn leave(&self, heartbeat: &Heartbeat) -> Result<(), BusError> {
        let client = self.client.with_options(&Options {
            fail_fast: true,
            max_attempts: Some(1),
            timeout: Some(Heartbeat::LEAVE_TIMEOUT),
            ..Options::default()
        });
        let _: Value = client
            .zrem(&heartbeat.registry, heartbeat.member.as_str())
            .await?;
        Ok(())
    }
}
