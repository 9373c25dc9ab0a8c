//! Topic control: subscribing and unsubscribing the delivery topics of the
//! gateway's one Redis pub/sub connection as the hub asks. (What arrives on
//! those topics is read by `dispatch`.)
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

use asynchronio_bus::{Backoff, Bus, Subscriber};
use asynchronio_protocol::Keys;
use parking_lot::Mutex;
use tokio::sync::{Notify, oneshot};

/// The Redis topics a channel's actor listens to: its deliveries and its
/// presence notices.
pub fn topics_of(keys: &Keys, channel: &str) -> Vec<String> {
    vec![keys.topic(channel), keys.presence_topic(channel)]
}

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
    subscriber: Subscriber,
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
