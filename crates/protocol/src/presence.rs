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
    Join,
    Leave,
}

/// One presence change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceEvent {
    pub kind: PresenceKind,
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

    pub fn decode(bytes: &[u8]) -> Result<PresenceEvent, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
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
    }
}
