//! Dispatch: reading what arrives on the gateway's one Redis pub/sub
//! connection and handing each message or presence notice, decoded once,
//! to the hub ([`ChannelHub::deliver`]); after a reconnect or an overflow,
//! every channel catches up from its stream. (Which topics the connection
//! holds is `topic_control`'s job.)

use std::time::Duration;

use asynchronio_bus::{Backoff, Bus, Subscriber};
use asynchronio_protocol::Envelope;
use asynchronio_protocol::presence::PresenceEvent;
use tokio::sync::broadcast;

use crate::delivery::Delivery;
use crate::hub::ChannelHub;

/// Reads pub/sub messages and hands each, decoded once, to the hub. When
/// the subscriber's queue overflowed, or the connection was re-established,
/// every channel catches up from its stream so nothing is lost.
pub async fn run_dispatch(bus: Bus, subscriber: Subscriber, hub: ChannelHub) {
    let keys = bus.keys().clone();
    let mut messages = subscriber.messages();
    let mut reconnects = subscriber.reconnects();
    loop {
        tokio::select! {
            message = messages.recv() => match message {
                Ok(message) => {
                    let Some(bytes) = message.payload() else { continue };
                    if keys.channel_of_presence_topic(message.topic()).is_some() {
                        match PresenceEvent::decode(bytes) {
                            Ok(event) => hub.deliver(Delivery::presence(event)),
                            Err(error) => tracing::debug!(%error, "a presence notice does not decode"),
                        }
                        continue;
                    }
                    match Envelope::decode(bytes) {
                        Ok(envelope) => hub.deliver(Delivery::new(envelope)),
                        Err(error) => tracing::warn!(
                            topic = %message.topic(), %error,
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
                Ok(()) => {
                    crate::metrics::get().redis_reconnects.increment(1);
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
async fn resubscribe(bus: Bus, subscriber: Subscriber, hub: ChannelHub) {
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
