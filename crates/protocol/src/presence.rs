//! Presence events: a client joined or left a channel. Gateways publish
//! them on the channel's presence topic (MessagePack); clients that
//! subscribed with `"presence": true` receive them as `join`/`leave` frames.
//! They are live notices, not history: they carry no offset and are not
//! replayed on recovery.

use serde::{Deserialize, Serialize};

use crate::envelope::EnvelopeError;

/// Whether the client arrived or went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PresenceKind {
    /// The client subscribed to the channel.
    Join,
    /// The client's subscription ended.
    Leave,
}

/// One presence change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceEvent {
    /// Arrived or went.
    pub kind: PresenceKind,
    /// The channel.
    pub channel: String,
    /// `{gateway}/{connection}`, as in presence lists.
    pub client: String,
    /// The token subject, for authenticated clients.
    pub user: Option<String>,
}

impl PresenceEvent {
    /// The bytes published on the presence topic.
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec(self)?)
    }

    /// Reads the bytes of [`PresenceEvent::encode`].
    pub fn decode(bytes: &[u8]) -> Result<PresenceEvent, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}

/// What a presence entry in Redis says about one subscriber (stored as
/// JSON, keyed by `{gateway}/{connection}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceInfo {
    /// The token subject, for authenticated clients.
    pub user: Option<String>,
    /// When the subscription started, ms since the Unix epoch.
    pub joined_ms: u64,
}

impl PresenceInfo {
    /// The entry as stored in Redis.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Reads an entry; `None` for one that is not ours.
    pub fn from_json(text: &str) -> Option<PresenceInfo> {
        serde_json::from_str(text).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for user in [None, Some("alice".to_owned())] {
            let event = PresenceEvent {
                kind: PresenceKind::Leave,
                channel: "room".into(),
                client: "gw/7".into(),
                user,
            };
            assert_eq!(
                PresenceEvent::decode(&event.encode().expect("encode")).expect("decode"),
                event
            );
        }
        assert!(PresenceEvent::decode(b"\xc1").is_err());
        let info = PresenceInfo {
            user: Some("bob".into()),
            joined_ms: 7,
        };
        assert_eq!(PresenceInfo::from_json(&info.to_json()), Some(info));
        assert_eq!(PresenceInfo::from_json("nonsense"), None);
    }
}
