//! Which gateways are alive, how many subscribers each channel has, and who
//! they are (presence).
//!
//! Every gateway renews its heartbeat in the gateways' heartbeat registry
//! ([`crate::heartbeat`]) and rewrites the hash of its channels' subscriber
//! counts; presence entries are keyed by
//! `{gateway}/{connection}`. Readers only count gateways whose heartbeat is
//! current, so a killed gateway's subscribers vanish when it expires.

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use asynchronio_protocol::clock::now_ms;

use fred::interfaces::{HashesInterface, KeysInterface};
use fred::types::Value;

use crate::bus::Bus;
use crate::error::BusError;
use crate::heartbeat::{Heartbeat, queue_beat};
use crate::reply;

/// One subscriber of a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresenceEntry {
    /// `{gateway}/{connection}`.
    pub client: String,
    /// Information the gateway stored (JSON text: user, joined_ms).
    pub info: String,
}

impl Bus {
    /// Renews a gateway's heartbeat for `ttl` and replaces its channel counts.
    pub async fn gateway_heartbeat(
        &self,
        gateway: &str,
        ttl: Duration,
        counts: &[(String, u64)],
    ) -> Result<(), BusError> {
        let channels = self.keys().gateway_channels(gateway);
        let pipeline = self.client.pipeline();
        queue_beat(
            &pipeline,
            &self.gateway_heartbeat_of(gateway, ttl),
            now_ms(),
        )
        .await?;
        let _: () = pipeline.del(&channels).await?;
        if !counts.is_empty() {
            let fields: Vec<(String, Value)> = counts
                .iter()
                .map(|(channel, n)| (channel.clone(), Value::Integer(*n as i64)))
                .collect();
            let _: () = pipeline.hset(&channels, fields).await?;
            let _: () = pipeline
                .pexpire(&channels, ttl.as_millis() as i64, None)
                .await?;
        }
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    /// Removes a gateway that is shutting down, best effort (see
    /// [`Bus::leave`]).
    pub async fn gateway_leave(&self, gateway: &str) -> Result<(), BusError> {
        // The TTL plays no part in leaving.
        self.leave(&self.gateway_heartbeat_of(gateway, Duration::ZERO))
            .await?;
        let _: Value = self
            .client
            .del(self.keys().gateway_channels(gateway))
            .await?;
        Ok(())
    }

    /// Gateways whose heartbeat is current.
    pub async fn live_gateways(&self) -> Result<HashSet<String>, BusError> {
        self.live_members(&self.keys().gateways()).await
    }

    /// A gateway's entry in the gateways' heartbeat registry.
    fn gateway_heartbeat_of(&self, gateway: &str, ttl: Duration) -> Heartbeat {
        Heartbeat {
            registry: self.keys().gateways(),
            member: gateway.to_owned(),
            ttl,
        }
    }

    /// Subscriber counts per channel, summed over live gateways.
    pub async fn channel_counts(&self) -> Result<BTreeMap<String, u64>, BusError> {
        let mut totals = BTreeMap::new();
        for gateway in self.live_gateways().await? {
            let counts: BTreeMap<String, u64> = self
                .client
                .hgetall(self.keys().gateway_channels(&gateway))
                .await?;
            for (channel, n) in counts {
                *totals.entry(channel).or_insert(0) += n;
            }
        }
        Ok(totals)
    }

    /// Records that `client` (`{gateway}/{connection}`) subscribed.
    pub async fn presence_add(
        &self,
        channel: &str,
        client: &str,
        info: &str,
    ) -> Result<(), BusError> {
        let _: Value = self
            .client
            .hset(self.keys().presence(channel), (client, info))
            .await?;
        Ok(())
    }

    /// Tells every gateway with subscribers of the event's channel.
    pub async fn publish_presence(
        &self,
        event: &asynchronio_protocol::presence::PresenceEvent,
    ) -> Result<(), BusError> {
        let topic = self.keys().presence_topic(&event.channel);
        self.publish_on_topic(topic, event.encode()?).await
    }

    /// Records that `client` left.
    pub async fn presence_remove(&self, channel: &str, client: &str) -> Result<(), BusError> {
        let _: Value = self
            .client
            .hdel(self.keys().presence(channel), client)
            .await?;
        Ok(())
    }

    /// The channel's subscribers on live gateways; entries of dead gateways
    /// are removed on the way.
    pub async fn presence(&self, channel: &str) -> Result<Vec<PresenceEntry>, BusError> {
        let live = self.live_gateways().await?;
        let key = self.keys().presence(channel);
        let all: Value = self.client.hgetall(&key).await?;
        let pairs: Vec<(String, String)> = match all {
            Value::Map(map) => map
                .inner()
                .into_iter()
                .filter_map(|(k, v)| {
                    Some((
                        k.as_str()?.to_string(),
                        reply::as_string("HGETALL", &v).ok()?,
                    ))
                })
                .collect(),
            Value::Array(flat) => flat
                .chunks(2)
                .filter_map(|pair| {
                    Some((
                        reply::as_string("HGETALL", pair.first()?).ok()?,
                        reply::as_string("HGETALL", pair.get(1)?).ok()?,
                    ))
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut entries = Vec::with_capacity(pairs.len());
        let mut stale = Vec::new();
        for (client, info) in pairs {
            let gateway = client.split('/').next().unwrap_or_default();
            if live.contains(gateway) {
                entries.push(PresenceEntry { client, info });
            } else {
                stale.push(client);
            }
        }
        if !stale.is_empty() {
            let _: Result<Value, _> = self.client.hdel(&key, stale).await;
        }
        entries.sort_by(|a, b| a.client.cmp(&b.client));
        Ok(entries)
    }
}
