//! [`ChannelHub`]: which channels have local subscribers, and the actor
//! that serves each.
//!
//! The hub holds one Redis subscription per channel with at least one local
//! subscriber, reference-counted by joins and leaves: the first join
//! subscribes the channel's delivery topic and starts its
//! [`ChannelActor`]; the last leave unsubscribes and stops it.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use asynchronio_bus::{Bus, Position};
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::channel::{ChannelActor, ChannelCommand, JoinError, SubscriberHandle};
use crate::delivery::{Delivery, Payload};
use crate::topic_control::TopicQueue;

/// Live messages that may wait for one channel's actor; when it is full the
/// channel catches up from its stream instead.
const MAILBOX: usize = 4096;

/// Cheap to clone; every connection and the dispatcher share one.
#[derive(Clone)]
pub struct ChannelHub {
    inner: Arc<HubInner>,
}

struct HubInner {
    channels: Mutex<HashMap<Arc<str>, ChannelEntry>>,
    bus: Bus,
    topics: Arc<TopicQueue>,
}

struct ChannelEntry {
    mailbox: mpsc::Sender<ChannelCommand>,
    members: usize,
    behind: Arc<AtomicBool>,
}

impl ChannelHub {
    /// A hub with no channels; it records topic changes in `topics`, which
    /// `topic_control` applies.
    pub fn new(bus: Bus, topics: Arc<TopicQueue>) -> Self {
        Self {
            inner: Arc::new(HubInner {
                channels: Mutex::new(HashMap::new()),
                bus,
                topics,
            }),
        }
    }

    /// Adds a local subscriber and returns the channel position it starts
    /// after. On error the subscriber is not joined.
    pub async fn join(
        &self,
        channel: &Arc<str>,
        subscriber: SubscriberHandle,
    ) -> Result<Position, JoinError> {
        let conn_id = subscriber.conn_id;
        let mailbox = self.member(channel);
        let (reply, answer) = oneshot::channel();
        let result = match mailbox
            .send(ChannelCommand::Join { subscriber, reply })
            .await
        {
            Ok(()) => answer.await.unwrap_or(Err(JoinError::Unavailable)),
            Err(_) => Err(JoinError::Unavailable),
        };
        if result.is_err() {
            self.leave(channel, conn_id);
        }
        result
    }

    /// Counts one more member of `channel`, starting the channel if new, and
    /// returns its mailbox.
    fn member(&self, channel: &Arc<str>) -> mpsc::Sender<ChannelCommand> {
        let mut channels = self.inner.channels.lock();
        if let Some(entry) = channels.get_mut(channel) {
            entry.members += 1;
            crate::metrics::joined(false);
            return entry.mailbox.clone();
        }
        let (mailbox, inbox) = mpsc::channel(MAILBOX);
        let behind = Arc::new(AtomicBool::new(false));
        let (subscribed, confirmation) = oneshot::channel();
        // Recorded under the lock so that topic changes for one channel
        // are recorded in the order the hub decided them.
        self.inner.topics.subscribe(channel, subscribed);
        let actor = ChannelActor::new(
            Arc::clone(channel),
            self.inner.bus.clone(),
            inbox,
            Arc::clone(&behind),
        );
        tokio::spawn(actor.run(confirmation));
        channels.insert(
            Arc::clone(channel),
            ChannelEntry {
                mailbox: mailbox.clone(),
                members: 1,
                behind,
            },
        );
        crate::metrics::joined(true);
        mailbox
    }

    /// Removes a local subscriber; the last one out stops the channel.
    pub fn leave(&self, channel: &str, conn_id: u64) {
        let mut channels = self.inner.channels.lock();
        let Some(entry) = channels.get_mut(channel) else {
            return;
        };
        entry.members = entry.members.saturating_sub(1);
        crate::metrics::left(entry.members == 0);
        if entry.members == 0 {
            // Dropping the entry drops the hub's mailbox sender; the actor
            // ends once the last in-flight sender is gone.
            if let Some((channel, _)) = channels.remove_entry(channel) {
                self.inner.topics.unsubscribe(&channel);
            }
            return;
        }
        let command = ChannelCommand::Leave { conn_id };
        if let Err(mpsc::error::TrySendError::Full(command)) = entry.mailbox.try_send(command) {
            let mailbox = entry.mailbox.clone();
            tokio::spawn(async move {
                let _ = mailbox.send(command).await;
            });
        }
    }

    /// Topic changes waiting for Redis (at most one per channel), and
    /// those being applied (at most one round).
    pub fn topic_queue(&self) -> (usize, usize) {
        (self.inner.topics.len(), self.inner.topics.in_flight())
    }

    /// Routes what arrived from Redis to its channel, never waiting: a full
    /// mailbox marks the channel as behind instead (presence notices, which
    /// have no history to recover from, are dropped then).
    pub fn deliver(&self, delivery: Arc<Delivery>) {
        let channels = self.inner.channels.lock();
        let Some(entry) = channels.get(delivery.channel()) else {
            return;
        };
        let command = match delivery.payload {
            Payload::Message(_) => ChannelCommand::Live(delivery),
            Payload::Presence(_) => {
                let _ = entry.mailbox.try_send(ChannelCommand::Presence(delivery));
                return;
            }
        };
        if entry.mailbox.try_send(command).is_err() {
            entry.behind.store(true, Ordering::Release);
        }
    }

    /// Makes every channel read its stream for messages pub/sub may have
    /// lost (after a reconnect or an overflow).
    pub fn resync_all(&self) {
        let channels = self.inner.channels.lock();
        for entry in channels.values() {
            entry.behind.store(true, Ordering::Release);
            let _ = entry.mailbox.try_send(ChannelCommand::Resync);
        }
    }

    /// Every channel with local subscribers and how many it has.
    pub fn member_counts(&self) -> Vec<(String, u64)> {
        self.inner
            .channels
            .lock()
            .iter()
            .map(|(channel, entry)| (channel.to_string(), entry.members as u64))
            .collect()
    }
}
