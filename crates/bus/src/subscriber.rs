//! [`Subscriber`]: a pub/sub connection of its own, and what arrives on it.
//! Delivery topics are subscribed through [`Bus::subscribe_topics`] (which
//! picks classic or sharded pub/sub); the raw patterns redis-bridge listens
//! on through [`Subscriber::psubscribe`].

use fred::clients::SubscriberClient;
use fred::interfaces::{ClientLike, EventInterface, PubsubInterface};
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

use crate::bus::Bus;
use crate::connection;
use crate::error::BusError;

/// A pub/sub connection. Cloning is cheap and shares the connection.
#[derive(Clone)]
pub struct Subscriber {
    pub(crate) client: SubscriberClient,
}

/// The messages a [`Subscriber`] receives, from the moment it was asked
/// for. A reader that falls behind loses the oldest and is told how many
/// (`RecvError::Lagged`); `RecvError::Closed` means the connection is gone
/// for good.
pub struct Messages {
    receiver: broadcast::Receiver<fred::types::Message>,
}

/// One pub/sub message: the topic it came on and its payload.
pub struct PubsubMessage {
    message: fred::types::Message,
}

/// The reconnections of a [`Subscriber`], from the moment it was asked for:
/// after each, the subscriptions must be renewed and whatever was
/// published meanwhile read from the streams.
pub struct Reconnects {
    receiver: broadcast::Receiver<fred::types::config::Server>,
}

impl Bus {
    /// A separate connection for pub/sub, with the same settings, connected
    /// (after retries) before it is returned.
    pub async fn subscriber(&self, role: &str) -> Result<Subscriber, BusError> {
        Ok(Subscriber {
            client: connection::connect_subscriber(&self.config, role).await?,
        })
    }
}

impl Subscriber {
    /// Every message from now on.
    pub fn messages(&self) -> Messages {
        Messages {
            receiver: self.client.message_rx(),
        }
    }

    /// Every reconnection from now on.
    pub fn reconnects(&self) -> Reconnects {
        Reconnects {
            receiver: self.client.reconnect_rx(),
        }
    }

    /// Subscribes to topic patterns (`PSUBSCRIBE`; classic pub/sub only,
    /// for applications that `PUBLISH` to Redis directly).
    pub async fn psubscribe(&self, patterns: Vec<String>) -> Result<(), BusError> {
        self.client.psubscribe(patterns).await?;
        Ok(())
    }

    /// Renews every subscription after each reconnection, until the
    /// returned handle is aborted.
    pub fn resubscribe_on_reconnect(&self) -> AbortHandle {
        self.client.manage_subscriptions().abort_handle()
    }

    /// Closes the connection (which ends its subscriptions).
    pub async fn quit(&self) {
        if let Err(error) = self.client.quit().await {
            tracing::debug!(%error, "closing the pub/sub connection");
        }
    }
}

impl Messages {
    /// The next message.
    pub async fn recv(&mut self) -> Result<PubsubMessage, broadcast::error::RecvError> {
        self.receiver
            .recv()
            .await
            .map(|message| PubsubMessage { message })
    }
}

impl PubsubMessage {
    /// The topic (Redis channel) it was published on.
    pub fn topic(&self) -> &str {
        &self.message.channel
    }

    /// The payload, when it is a string (every message Asynchronio sends
    /// is).
    pub fn payload(&self) -> Option<&[u8]> {
        self.message.value.as_bytes()
    }
}

impl Reconnects {
    /// Waits for the next reconnection.
    pub async fn recv(&mut self) -> Result<(), broadcast::error::RecvError> {
        self.receiver.recv().await.map(|_| ())
    }
}

/// The raw fred subscriber, for the end-to-end tests only (they play
/// applications that talk to Redis directly).
#[cfg(feature = "test-support")]
impl std::ops::Deref for Subscriber {
    type Target = SubscriberClient;

    fn deref(&self) -> &SubscriberClient {
        &self.client
    }
}
