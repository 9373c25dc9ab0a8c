//! Presence: adding the connection to a channel's presence list when it
//! subscribes (and announcing the join), removing it when it leaves.

use std::sync::Arc;

use asynchronio_protocol::presence::{PresenceEvent, PresenceInfo, PresenceKind};

use super::Session;

impl Session {
    /// This connection's name in presence lists.
    fn presence_id(&self) -> String {
        format!("{}/{}", self.context.gateway_id, self.conn_id)
    }

    /// Adds this connection to the channel's presence.
    pub(super) async fn announce(&self, channel: &str) {
        let info = PresenceInfo {
            user: self.claims.as_ref().map(|c| c.sub.clone()),
            joined_ms: asynchronio_protocol::clock::now_ms(),
        };
        if let Err(error) = self
            .context
            .bus
            .presence_add(channel, &self.presence_id(), &info.to_json())
            .await
        {
            tracing::debug!(%error, channel, "could not record presence");
        }
        let event = self.presence_event(PresenceKind::Join, channel);
        if let Err(error) = self.context.bus.publish_presence(&event).await {
            tracing::debug!(%error, channel, "could not announce a join");
        }
    }

    fn presence_event(&self, kind: PresenceKind, channel: &str) -> PresenceEvent {
        PresenceEvent {
            kind,
            channel: channel.to_owned(),
            client: self.presence_id(),
            user: self.claims.as_ref().map(|c| c.sub.clone()),
        }
    }

    /// Removes this connection from channels' presence and tells the
    /// channels' other subscribers, in the background.
    pub(super) fn depart(&self, channels: Vec<Arc<str>>) {
        if channels.is_empty() {
            return;
        }
        let bus = self.context.bus.clone();
        let client = self.presence_id();
        let events: Vec<PresenceEvent> = channels
            .iter()
            .map(|channel| self.presence_event(PresenceKind::Leave, channel))
            .collect();
        tokio::spawn(async move {
            for (channel, event) in channels.iter().zip(events) {
                if let Err(error) = bus.presence_remove(channel, &client).await {
                    tracing::debug!(%error, "could not remove a presence entry; it expires with the gateway");
                }
                let _ = bus.publish_presence(&event).await;
            }
        });
    }
}
