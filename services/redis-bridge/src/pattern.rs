//! The fire-and-forget path: applications `PUBLISH {prefix}:publish:CHANNEL`
//! and the bridge replica that owns CHANNEL's partition publishes it.

use std::sync::Arc;
use std::time::Duration;

use asynchronio_bus::{Backoff, Subscriber};
use asynchronio_protocol::{ChannelName, ChannelRules, EnvelopeDraft, Keys};

use crate::publish_queue::Bridged;
use crate::trace::{self, Source};
use bytes::Bytes;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

use crate::ownership::Ownership;

/// What the listener needs to turn a Redis message into a draft.
pub struct PatternListener {
    pub subscriber: Subscriber,
    pub patterns: Vec<String>,
    pub keys: Keys,
    pub ownership: Arc<Ownership>,
    pub max_payload_size: usize,
    pub drafts: mpsc::Sender<Bridged>,
}

impl PatternListener {
    pub async fn run(self, stop: CancellationToken) {
        let mut messages = self.subscriber.messages();
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(5));
        while let Err(error) = self.subscriber.psubscribe(self.patterns.clone()).await {
            let delay = backoff.next_delay();
            tracing::warn!(%error, "cannot subscribe to the publish patterns; retrying");
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                () = stop.cancelled() => return,
            }
        }
        // Patterns are subscribed again after every reconnect.
        let manager = self.subscriber.resubscribe_on_reconnect();
        tracing::info!(patterns = ?self.patterns, "listening for PUBLISH");
        let rules = ChannelRules::default();
        loop {
            let message = tokio::select! {
                () = stop.cancelled() => break,
                message = messages.recv() => message,
            };
            match message {
                Ok(message) => {
                    let topic = message.topic();
                    let channel = self.keys.channel_of_publish_topic(topic).unwrap_or(topic);
                    if !self.ownership.owns(channel) {
                        continue;
                    }
                    let Some(draft) = self.draft(channel, message.payload(), &rules) else {
                        continue;
                    };
                    if self.drafts.send(draft).await.is_err() {
                        break;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => tracing::error!(
                    missed,
                    "bridge fell behind the PUBLISH rate and lost messages; use the ingest stream for at-least-once delivery or add replicas"
                ),
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
        // No PUNSUBSCRIBE: the bridge closes this connection next, which
        // ends its subscriptions, and Redis may be down.
        manager.abort();
    }

    fn draft(
        &self,
        channel: &str,
        payload: Option<&[u8]>,
        rules: &ChannelRules,
    ) -> Option<Bridged> {
        if let Err(error) = ChannelName::parse(channel, rules) {
            tracing::warn!(channel, %error, "PUBLISH to an invalid channel name ignored");
            return None;
        }
        let Some(payload) = payload else {
            tracing::warn!(channel, "PUBLISH payload is not a string; ignored");
            return None;
        };
        if payload.len() > self.max_payload_size {
            tracing::warn!(
                channel,
                size = payload.len(),
                max = self.max_payload_size,
                "PUBLISH payload over --max-payload-size ignored"
            );
            return None;
        }
        let mut draft = EnvelopeDraft::new(channel, Bytes::copy_from_slice(payload));
        draft.publisher = Some("redis-bridge".to_owned());
        let span = trace::start(Source::Pubsub, None, &mut draft);
        Some(Bridged { draft, span })
    }
}
