//! Every Redis key and pub/sub topic name Asynchronio uses, in one place.
//!
//! All names start with a configurable prefix (default `asynchronio`). Keys
//! that belong to one channel carry the channel name as a Redis Cluster hash
//! tag (`{news}`), so a channel's stream, metadata and idempotency keys share
//! a slot and the publish script may touch them together.

use std::sync::Arc;

/// The default prefix of every key.
pub const DEFAULT_PREFIX: &str = "asynchronio";

/// Field of a stream entry that holds the envelope.
pub const ENVELOPE_FIELD: &str = "e";

/// Builds key and topic names under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: Arc<str>,
}

impl Default for Keys {
    fn default() -> Self {
        Self::new(DEFAULT_PREFIX)
    }
}

impl Keys {
    /// Names under `prefix` (`asynchronio` unless configured).
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: Arc::from(prefix),
        }
    }

    /// The prefix every name starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The stream holding a channel's recent history.
    pub fn stream(&self, channel: &str) -> String {
        format!("{}:stream:{{{channel}}}", self.prefix)
    }

    /// The hash holding a channel's epoch and last offset.
    pub fn meta(&self, channel: &str) -> String {
        format!("{}:meta:{{{channel}}}", self.prefix)
    }

    /// A `SCAN MATCH` pattern for every channel's metadata key.
    pub fn meta_pattern(&self) -> String {
        format!("{}:meta:{{*}}", self.prefix)
    }

    /// The channel a metadata key belongs to.
    pub fn channel_of_meta_key<'a>(&self, key: &'a str) -> Option<&'a str> {
        key.strip_prefix(&*self.prefix)?
            .strip_prefix(":meta:{")?
            .strip_suffix('}')
    }

    /// Hash of a channel's holders (archiver, pipeline stages) and the
    /// offset each has handled; the lowest is the meta field `floor`.
    pub fn holds(&self, channel: &str) -> String {
        format!("{}:holds:{{{channel}}}", self.prefix)
    }

    /// Remembers that a publish with this idempotency key already happened.
    pub fn idempotency(&self, channel: &str, key: &str) -> String {
        format!("{}:idem:{{{channel}}}:{key}", self.prefix)
    }

    /// The pub/sub topic on which a channel's envelopes are delivered live.
    pub fn topic(&self, channel: &str) -> String {
        format!("{}:live:{{{channel}}}", self.prefix)
    }

    /// The pub/sub topic on which a channel's join/leave events travel.
    pub fn presence_topic(&self, channel: &str) -> String {
        format!("{}:presence-events:{{{channel}}}", self.prefix)
    }

    /// The channel a presence topic belongs to.
    pub fn channel_of_presence_topic<'a>(&self, topic: &'a str) -> Option<&'a str> {
        topic
            .strip_prefix(&*self.prefix)?
            .strip_prefix(":presence-events:{")?
            .strip_suffix('}')
    }

    /// The channel a delivery topic belongs to.
    pub fn channel_of_topic<'a>(&self, topic: &'a str) -> Option<&'a str> {
        topic
            .strip_prefix(&*self.prefix)?
            .strip_prefix(":live:{")?
            .strip_suffix('}')
    }

    /// Pattern external publishers `PUBLISH` to: `{prefix}:publish:{channel}`.
    pub fn publish_pattern(&self) -> String {
        format!("{}:publish:*", self.prefix)
    }

    /// The topic an external publisher `PUBLISH`es `channel`'s messages to
    /// (the inverse of [`Keys::channel_of_publish_topic`]).
    pub fn publish_topic(&self, channel: &str) -> String {
        format!("{}:publish:{channel}", self.prefix)
    }

    /// The channel an external `PUBLISH` topic names.
    pub fn channel_of_publish_topic<'a>(&self, topic: &'a str) -> Option<&'a str> {
        topic.strip_prefix(&*self.prefix)?.strip_prefix(":publish:")
    }

    /// The stream at-least-once publishers `XADD` to (fields `channel`, `data`).
    pub fn ingest(&self) -> String {
        format!("{}:ingest", self.prefix)
    }

    /// Where ingest entries that cannot be published are kept, with the reason.
    pub fn ingest_rejected(&self) -> String {
        format!("{}:ingest:rejected", self.prefix)
    }

    /// Sorted set of live gateways, scored by heartbeat expiry (ms).
    pub fn gateways(&self) -> String {
        format!("{}:gateways", self.prefix)
    }

    /// Hash of one gateway's channels and their local subscriber counts.
    pub fn gateway_channels(&self, gateway: &str) -> String {
        format!("{}:gateway:{gateway}:channels", self.prefix)
    }

    /// Hash of a channel's subscribers: `{gateway}/{connection}` → JSON.
    pub fn presence(&self, channel: &str) -> String {
        format!("{}:presence:{{{channel}}}", self.prefix)
    }

    /// A value of the cross-domain cache (a string: [`crate::cache::CacheEntry`]).
    pub fn cache(&self, key: &str) -> String {
        format!("{}:cache:{key}", self.prefix)
    }

    /// Lease on one partition of channels, held by one bridge replica.
    pub fn bridge_partition_lease(&self, partition: u32) -> String {
        format!("{}:bridge:lease:{partition}", self.prefix)
    }

    /// Lease on reading the ingest stream, held by one bridge replica.
    pub fn bridge_ingest_lease(&self) -> String {
        format!("{}:bridge:lease:ingest", self.prefix)
    }

    /// Stream of commands to the process manager (field `c`, MessagePack).
    pub fn pm_commands(&self) -> String {
        format!("{}:pm:commands", self.prefix)
    }

    /// List the manager pushes one command's result to.
    pub fn pm_result(&self, command_id: &str) -> String {
        format!("{}:pm:result:{command_id}", self.prefix)
    }

    /// Hash of every instance's state: `{name}/{instance}` → MessagePack.
    pub fn pm_state(&self) -> String {
        format!("{}:pm:state", self.prefix)
    }

    /// Hash of every program's desired state: `{name}` → MessagePack.
    pub fn pm_desired(&self) -> String {
        format!("{}:pm:desired", self.prefix)
    }

    /// Key that exists while a process manager is alive (its id, with a TTL).
    pub fn pm_alive(&self) -> String {
        format!("{}:pm:alive", self.prefix)
    }

    /// Hash of the process groups the manager started: `{pgid}` → start
    /// time, so a restarted manager can sweep strays of a killed one.
    pub fn pm_groups(&self) -> String {
        format!("{}:pm:groups", self.prefix)
    }

    /// The latest pipeline topology and statistics (MessagePack).
    pub fn pm_pipelines(&self) -> String {
        format!("{}:pm:pipelines", self.prefix)
    }

    /// Dead-letter stream of one pipeline stage.
    pub fn pm_dead_letters(&self, stage: &str) -> String {
        format!("{}:pm:dead:{stage}", self.prefix)
    }

    /// A dashboard login, by the hex SHA-256 of its cookie value (the key
    /// still says `session`, as it always has: stored logins stay valid).
    pub fn login(&self, id_hash: &str) -> String {
        format!("{}:session:{id_hash}", self.prefix)
    }

    /// Lease held by the one rest-api replica that publishes the
    /// dashboard's live data (`$sys:metrics`, rendered process rows).
    pub fn dashboard_lease(&self) -> String {
        format!("{}:dashboard:lease", self.prefix)
    }

    /// Sorted set of live bridge replicas, scored by heartbeat expiry (ms).
    pub fn bridge_replicas(&self) -> String {
        format!("{}:bridge:replicas", self.prefix)
    }

    /// Sorted set of revoked API key ids whose client tokens gateways must
    /// refuse, scored by when the entry may be forgotten (Unix seconds: the
    /// revocation plus the longest token lifetime).
    pub fn revoked_keys(&self) -> String {
        format!("{}:revoked-keys", self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_keys_share_a_hash_tag() {
        let keys = Keys::default();
        assert_eq!(keys.stream("news"), "asynchronio:stream:{news}");
        assert_eq!(keys.meta("news"), "asynchronio:meta:{news}");
        assert_eq!(keys.idempotency("news", "k1"), "asynchronio:idem:{news}:k1");
        assert_eq!(keys.topic("news"), "asynchronio:live:{news}");
    }

    #[test]
    fn topics_map_back_to_channels() {
        let keys = Keys::new("app");
        assert_eq!(keys.channel_of_topic(&keys.topic("a:b")), Some("a:b"));
        assert_eq!(keys.channel_of_topic("other:live:{a}"), None);
        assert_eq!(
            keys.channel_of_publish_topic("app:publish:news"),
            Some("news")
        );
        assert_eq!(keys.channel_of_publish_topic("app:other:news"), None);
        assert_eq!(keys.publish_topic("news"), "app:publish:news");
        assert_eq!(
            keys.channel_of_publish_topic(&keys.publish_topic("a.b")),
            Some("a.b")
        );
        assert_eq!(keys.channel_of_meta_key(&keys.meta("x.y")), Some("x.y"));
    }
}
