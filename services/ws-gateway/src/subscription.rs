//! The gateway's one Redis pub/sub connection: subscribing and
//! unsubscribing delivery topics as the hub asks, and feeding every message
//! that arrives to the hub.
//!
//! The hub does not queue commands; it records, per channel, the change it
//! wants ([`TopicQueue`]): subscribe (with the actor waiting for the
//! confirmation) or unsubscribe. A later change to the same channel
//! replaces the earlier one, so the queue holds at most one entry per
//! channel however long Redis is away and however often clients retry. One
//! task applies the pending changes in batches; a subscribe that fails goes
//! back into the queue (unless a newer change replaced it) and is retried
//! with backoff.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use asynchronio_bus::fred::clients::SubscriberClient;
use asynchronio_bus::fred::interfaces::EventInterface;
use asynchronio_bus::{Backoff, Bus};
use asynchronio_protocol::Envelope;
use asynchronio_protocol::presence::PresenceEvent;
use parking_lot::Mutex;
use tokio::sync::{Notify, broadcast, oneshot};

use crate::delivery::Delivery;
use crate::hub::ChannelHub;

/// The change wanted for one channel's topics.
enum Change {
    /// Subscribe; the sender learns when Redis has confirmed it.
    Subscribe(oneshot::Sender<()>),
    Unsubscribe,
}

#[derive(Default)]
struct Pending {
    /// At most one change per channel.
    changes: HashMap<Arc<str>, Change>,
    /// Channels whose subscribe was sent (or is being sent) and not yet
    /// followed by an unsubscribe: Redis may hold their topics. A channel
    /// not in here needs no unsubscribe.
    maybe_subscribed: HashSet<Arc<str>>,
}

/// Pending topic changes, coalesced per channel. The hub records changes
/// under its own lock, so they are recorded in the order it decided them.
#[derive(Default)]
pub struct TopicQueue {
    pending: Mutex<Pending>,
    /// Changes taken by the control task and not yet applied.
    in_flight: AtomicUsize,
    wake: Notify,
}

/// Most channels changed per round of SUBSCRIBE/UNSUBSCRIBE commands.
const BATCH: usize = 256;

impl TopicQueue {
    /// Wants `channel`'s topics subscribed; `ack` is told once they are.
    pub fn subscribe(&self, channel: &Arc<str>, ack: oneshot::Sender<()>) {
        // Replaces a pending unsubscribe: subscribing a topic Redis still
        // holds is a no-op, and the new actor needs its confirmation.
        self.pending
            .lock()
            .changes
            .insert(Arc::clone(channel), Change::Subscribe(ack));
        self.wake.notify_one();
    }

    /// Wants `channel`'s topics unsubscribed.
    pub fn unsubscribe(&self, channel: &Arc<str>) {
        let mut pending = self.pending.lock();
        if pending.maybe_subscribed.contains(channel) {
            pending
                .changes
                .insert(Arc::clone(channel), Change::Unsubscribe);
            drop(pending);
            self.wake.notify_one();
        } else {
            // Its subscribe never went out: forget both.
            pending.changes.remove(channel);
        }
    }

    /// Changes waiting to be applied: at most one per channel.
    pub fn len(&self) -> usize {
        self.pending.lock().changes.len()
    }

    /// Changes being applied now: at most one round ([`BATCH`]).
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Acquire)
    }

    /// Takes up to [`BATCH`] pending changes, waiting until there are some.
    async fn take(&self) -> Vec<(Arc<str>, Change)> {
        loop {
            let notified = self.wake.notified();
            {
                let mut pending = self.pending.lock();
                if !pending.changes.is_empty() {
                    let channels: Vec<Arc<str>> =
                        pending.changes.keys().take(BATCH).cloned().collect();
                    let mut batch = Vec::with_capacity(channels.len());
                    for channel in channels {
                        let Some(change) = pending.changes.remove(&channel) else {
                            continue;
                        };
                        match change {
                            Change::Subscribe(_) => {
                                pending.maybe_subscribed.insert(Arc::clone(&channel));
                            }
                            Change::Unsubscribe => {
                                pending.maybe_subscribed.remove(&channel);
                            }
                        }
                        batch.push((channel, change));
                    }
                    self.in_flight.store(batch.len(), Ordering::Release);
                    return batch;
                }
            }
            notified.await;
        }
    }

    /// Puts back subscribes that failed, unless a newer change for their
    /// channel arrived meanwhile (then the newer one stands).
    fn put_back(&self, failed: Vec<(Arc<str>, oneshot::Sender<()>)>) {
        let mut pending = self.pending.lock();
        for (channel, ack) in failed {
            pending
                .changes
                .entry(channel)
                .or_insert(Change::Subscribe(ack));
        }
        self.in_flight.store(0, Ordering::Release);
    }
}

/// Applies the hub's topic changes until the service stops.
pub async fn run_topic_control(
    bus: Bus,
    subscriber: SubscriberClient,
    queue: Arc<TopicQueue>,
    topics_of: impl Fn(&str) -> Vec<String>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));
    loop {
        let batch = queue.take().await;
        let mut subscribes = Vec::new();
        let mut unsubscribe = Vec::new();
        for (channel, change) in batch {
            match change {
                Change::Subscribe(ack) => subscribes.push((channel, ack)),
                Change::Unsubscribe => unsubscribe.extend(topics_of(&channel)),
            }
        }
        if !unsubscribe.is_empty()
            && let Err(error) = bus.unsubscribe_topics(&subscriber, unsubscribe).await
        {
            // No retry: a subscription that failed to end because Redis is
            // away died with the connection, and is not tracked any more.
            tracing::debug!(%error, "unsubscribe failed; the topics are not tracked any more");
        }
        if subscribes.is_empty() {
            queue.in_flight.store(0, Ordering::Release);
            continue;
        }
        let topics: Vec<String> = subscribes
            .iter()
            .flat_map(|(channel, _)| topics_of(channel))
            .collect();
        match bus.subscribe_topics(&subscriber, topics).await {
            Ok(()) => {
                backoff.reset();
                queue.in_flight.store(0, Ordering::Release);
                for (_, ack) in subscribes {
                    let _ = ack.send(());
                }
            }
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    %error, channels = subscribes.len(), retry_in_ms = delay.as_millis() as u64,
                    "could not subscribe to delivery topics; is Redis up? retrying"
                );
                queue.put_back(subscribes);
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Reads pub/sub messages and hands each, decoded once, to the hub. When
/// fred's queue overflowed, or the connection was re-established, every
/// channel catches up from its stream so nothing is lost.
pub async fn run_dispatch(bus: Bus, subscriber: SubscriberClient, hub: ChannelHub) {
    let keys = bus.keys().clone();
    let mut messages = subscriber.message_rx();
    let mut reconnects = subscriber.reconnect_rx();
    loop {
        tokio::select! {
            message = messages.recv() => match message {
                Ok(message) => {
                    let Some(bytes) = message.value.as_bytes() else { continue };
                    if keys.channel_of_presence_topic(&message.channel).is_some() {
                        match PresenceEvent::decode(bytes) {
                            Ok(event) => hub.deliver(Delivery::presence(event)),
                            Err(error) => tracing::debug!(%error, "a presence notice does not decode"),
                        }
                        continue;
                    }
                    match Envelope::decode(bytes) {
                        Ok(envelope) => hub.deliver(Delivery::new(envelope)),
                        Err(error) => tracing::warn!(
                            topic = %message.channel, %error,
                            "a message on a delivery topic is not an envelope; only the publish script may publish there"
                        ),
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "pub/sub reader fell behind; channels catch up from their streams");
                    hub.resync_all();
                }
                Err(broadcast::error::RecvError::Closed) => break,
            },
            event = reconnects.recv() => match event {
                Ok(_) => {
                    let subscriber = subscriber.clone();
                    let hub = hub.clone();
                    let bus = bus.clone();
                    tokio::spawn(async move { resubscribe(bus, subscriber, hub).await });
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
        }
    }
}

/// When to (re)subscribe after a reconnect event. On a cluster, fred
/// announces a new node before its connection is in the routing table, and
/// a failover settles over a few cluster syncs, so the subscriptions are
/// renewed again a little later; `SSUBSCRIBE` to a topic already subscribed
/// is a no-op, so repeating costs one round trip per slot.
const SINGLE_ROUNDS: &[Duration] = &[Duration::ZERO];
const CLUSTER_ROUNDS: &[Duration] = &[
    Duration::from_millis(100),
    Duration::from_millis(900),
    Duration::from_secs(2),
];

/// After a reconnect: subscribe every tracked topic again, then let every
/// channel read what was published while the connection was down.
async fn resubscribe(bus: Bus, subscriber: SubscriberClient, hub: ChannelHub) {
    let rounds = if bus.is_cluster() {
        CLUSTER_ROUNDS
    } else {
        SINGLE_ROUNDS
    };
    for delay in rounds {
        tokio::time::sleep(*delay).await;
        let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));
        let topics = loop {
            match bus.resubscribe_topics(&subscriber).await {
                Ok(topics) => break topics,
                Err(error) => {
                    let delay = backoff.next_delay();
                    tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "could not resubscribe after reconnecting; retrying");
                    tokio::time::sleep(delay).await;
                }
            }
        };
        tracing::info!(
            topics,
            "resubscribed after reconnecting; channels catch up from their streams"
        );
        hub.resync_all();
    }
}
