//! Delivery topics on a single Redis and on a Redis Cluster: the one place
//! that decides between classic pub/sub (`SUBSCRIBE`/`PUBLISH`) and sharded
//! pub/sub (`SSUBSCRIBE`/`SPUBLISH`).
//!
//! On a cluster a classic `PUBLISH` is copied to every node; a sharded one
//! stays on the node that owns the topic's slot, which is the slot of the
//! channel's stream (both carry the `{channel}` hash tag), so delivery
//! scales with the cluster. `SSUBSCRIBE` accepts only topics of one slot
//! per call, so subscriptions are grouped by slot here.

use fred::interfaces::PubsubInterface;
use fred::types::Value;

use crate::bus::Bus;
use crate::error::BusError;
use crate::subscriber::Subscriber;

impl Bus {
    /// True when connected to a Redis Cluster (a `redis-cluster://` URL).
    pub fn is_cluster(&self) -> bool {
        self.cluster
    }

    /// Subscribes `subscriber` to delivery topics, sharded on a cluster.
    pub async fn subscribe_topics(
        &self,
        subscriber: &Subscriber,
        topics: Vec<String>,
    ) -> Result<(), BusError> {
        self.change_topics(subscriber, topics, true).await
    }

    /// Unsubscribes `subscriber` from delivery topics.
    pub async fn unsubscribe_topics(
        &self,
        subscriber: &Subscriber,
        topics: Vec<String>,
    ) -> Result<(), BusError> {
        self.change_topics(subscriber, topics, false).await
    }

    /// One `(UN)SUBSCRIBE` on a single Redis; on a cluster one
    /// `S(UN)SUBSCRIBE` per hash slot, sent concurrently.
    async fn change_topics(
        &self,
        subscriber: &Subscriber,
        topics: Vec<String>,
        subscribe: bool,
    ) -> Result<(), BusError> {
        if topics.is_empty() {
            return Ok(());
        }
        if !self.cluster {
            if subscribe {
                subscriber.client.subscribe(topics).await?;
            } else {
                subscriber.client.unsubscribe(topics).await?;
            }
            return Ok(());
        }
        let calls = fred::util::group_by_hash_slot(topics)?
            .into_values()
            .map(|group| async move {
                let group = Vec::from(group);
                if subscribe {
                    subscriber.client.ssubscribe(group).await
                } else {
                    subscriber.client.sunsubscribe(group).await
                }
            });
        for result in futures_util::future::join_all(calls).await {
            result?;
        }
        Ok(())
    }

    /// Subscribes again to every topic `subscriber` tracks, after a
    /// reconnect. (fred's `resubscribe_all` also sends `SUBSCRIBE` and
    /// `PSUBSCRIBE` with no topics, which a cluster refuses.)
    pub async fn resubscribe_topics(&self, subscriber: &Subscriber) -> Result<usize, BusError> {
        let topics: Vec<String> = if self.cluster {
            subscriber.client.tracked_shard_channels()
        } else {
            subscriber.client.tracked_channels()
        }
        .into_iter()
        .map(|topic| topic.to_string())
        .collect();
        let count = topics.len();
        self.subscribe_topics(subscriber, topics).await?;
        Ok(count)
    }

    /// Publishes raw bytes on a topic (the publish script does this itself
    /// for messages; this is for notices that have no offset).
    pub(crate) async fn publish_on_topic(
        &self,
        topic: String,
        bytes: Vec<u8>,
    ) -> Result<(), BusError> {
        let message = Value::Bytes(bytes.into());
        let _: Value = if self.cluster {
            self.client.spublish(topic, message).await?
        } else {
            self.client.publish(topic, message).await?
        };
        Ok(())
    }

    /// The command the publish script delivers with.
    pub(crate) fn publish_command(&self) -> &'static str {
        if self.cluster { "SPUBLISH" } else { "PUBLISH" }
    }
}
