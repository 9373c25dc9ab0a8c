//! The gateway's one Redis pub/sub connection: subscribing and
//! unsubscribing delivery topics in the order the hub asks, and feeding
//! every message that arrives to the hub.
//!
//! All SUBSCRIBE/UNSUBSCRIBE commands go through one task, in order, so a
//! channel that is dropped and re-joined in quick succession always ends up
//! subscribed. Requests that queue up meanwhile are sent as one command.

use std::time::Duration;

use asynchronio_bus::fred::clients::SubscriberClient;
use asynchronio_bus::fred::interfaces::EventInterface;
use asynchronio_bus::{Backoff, Bus};
use asynchronio_protocol::Envelope;
use asynchronio_protocol::presence::PresenceEvent;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::delivery::Delivery;
use crate::hub::ChannelHub;

/// A change to the set of subscribed topics.
pub enum TopicCommand {
    /// Subscribe; the sender learns when Redis has confirmed it.
    Subscribe(Vec<String>, oneshot::Sender<()>),
    Unsubscribe(Vec<String>),
}

/// The sending side, held by the hub.
pub type TopicControl = mpsc::UnboundedSender<TopicCommand>;

/// Most topics sent in one SUBSCRIBE or UNSUBSCRIBE.
const BATCH: usize = 512;

/// Applies topic commands in order. The queue is unbounded because it is
/// bounded by the connections themselves: each connection has at most one
/// subscribe in flight and every entry is at most one per channel change.
pub async fn run_topic_control(
    bus: Bus,
    subscriber: SubscriberClient,
    mut commands: mpsc::UnboundedReceiver<TopicCommand>,
) {
    let mut batch: Vec<TopicCommand> = Vec::with_capacity(BATCH);
    while commands.recv_many(&mut batch, BATCH).await > 0 {
        let mut drained = batch.drain(..).peekable();
        while let Some(first) = drained.next() {
            let subscribing = matches!(first, TopicCommand::Subscribe(..));
            let mut run = vec![first];
            while let Some(next) =
                drained.next_if(|c| matches!(c, TopicCommand::Subscribe(..)) == subscribing)
            {
                run.push(next);
            }
            apply(&bus, &subscriber, run, subscribing).await;
        }
    }
}

async fn apply(
    bus: &Bus,
    subscriber: &SubscriberClient,
    run: Vec<TopicCommand>,
    subscribing: bool,
) {
    let mut topics = Vec::with_capacity(run.len());
    let mut acks = Vec::new();
    for command in run {
        match command {
            TopicCommand::Subscribe(names, ack) => {
                topics.extend(names);
                acks.push(ack);
            }
            TopicCommand::Unsubscribe(names) => topics.extend(names),
        }
    }
    let mut backoff = Backoff::new(Duration::from_millis(50), Duration::from_secs(2));
    loop {
        let result = if subscribing {
            bus.subscribe_topics(subscriber, topics.clone()).await
        } else {
            bus.unsubscribe_topics(subscriber, topics.clone()).await
        };
        match result {
            Ok(()) => break,
            // An unsubscribe that fails because Redis is away needs no retry:
            // the subscription died with the connection and is not tracked.
            Err(error) if !subscribing => {
                tracing::debug!(%error, "unsubscribe failed; the topic is not tracked any more");
                break;
            }
            Err(error) => {
                let delay = backoff.next_delay();
                tracing::warn!(
                    %error, topics = topics.len(), retry_in_ms = delay.as_millis() as u64,
                    "could not subscribe to delivery topics; is Redis up? retrying"
                );
                tokio::time::sleep(delay).await;
            }
        }
    }
    for ack in acks {
        let _ = ack.send(());
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
