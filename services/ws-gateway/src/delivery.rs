//! [`Delivery`]: one thing on its way to many subscribers — a message, or a
//! presence notice.
//!
//! It is decoded once when it arrives from Redis; the client frame is
//! encoded at most once per codec, by whichever connection needs it first,
//! and every other subscriber sends a reference-counted clone of the same
//! bytes.

use std::sync::{Arc, OnceLock};

use asynchronio_protocol::presence::PresenceEvent;
use asynchronio_protocol::{Codec, Envelope, OutboundFrame};
use bytes::Bytes;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// What is being delivered.
pub enum Payload {
    /// A published message, with its offset.
    Message(Envelope),
    /// A client joined or left; only for subscribers that asked.
    Presence(PresenceEvent),
}

/// A decoded payload plus its lazily encoded frames.
pub struct Delivery {
    /// What is delivered, decoded once.
    pub payload: Payload,
    json: OnceLock<Option<Message>>,
    msgpack: OnceLock<Option<Message>>,
}

impl Delivery {
    /// A published message on its way to subscribers.
    pub fn new(envelope: Envelope) -> Arc<Delivery> {
        Self::of(Payload::Message(envelope))
    }

    /// A presence notice on its way to the subscribers that asked.
    pub fn presence(event: PresenceEvent) -> Arc<Delivery> {
        Self::of(Payload::Presence(event))
    }

    fn of(payload: Payload) -> Arc<Delivery> {
        Arc::new(Delivery {
            payload,
            json: OnceLock::new(),
            msgpack: OnceLock::new(),
        })
    }

    /// The channel this is for.
    pub fn channel(&self) -> &str {
        match &self.payload {
            Payload::Message(envelope) => &envelope.channel,
            Payload::Presence(event) => &event.channel,
        }
    }

    /// The client frame for `codec`; `None` only if the payload cannot be
    /// expressed in it (logged once).
    pub fn frame(&self, codec: Codec) -> Option<Message> {
        let cell = match codec {
            Codec::Json => &self.json,
            Codec::MsgPack => &self.msgpack,
        };
        cell.get_or_init(|| {
            let encoded = match &self.payload {
                Payload::Message(envelope) => codec.encode_message(envelope),
                Payload::Presence(event) => codec.encode_presence(event),
            };
            match encoded {
                Ok(frame) => Some(to_message(frame)),
                Err(error) => {
                    tracing::warn!(channel = %self.channel(), %error, "cannot encode for {codec:?} clients; skipped");
                    None
                }
            }
        })
        .clone()
    }
}

/// Wraps encoded bytes in the WebSocket frame kind their codec uses.
pub fn to_message(frame: OutboundFrame) -> Message {
    match frame {
        OutboundFrame::Text(text) => Message::Text(Utf8Bytes::from(text)),
        OutboundFrame::Binary(bytes) => Message::Binary(Bytes::from(bytes)),
    }
}
