//! [`Delivery`]: one message on its way to many subscribers.
//!
//! The envelope is decoded once when it arrives from Redis; the client frame
//! is encoded at most once per codec, by whichever connection needs it first,
//! and every other subscriber sends a reference-counted clone of the same
//! bytes.

use std::sync::{Arc, OnceLock};

use asynchronio_protocol::{Codec, Envelope, OutboundFrame};
use bytes::Bytes;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// A decoded envelope plus its lazily encoded frames.
pub struct Delivery {
    pub envelope: Envelope,
    json: OnceLock<Option<Message>>,
    msgpack: OnceLock<Option<Message>>,
}

impl Delivery {
    pub fn new(envelope: Envelope) -> Arc<Delivery> {
        Arc::new(Delivery {
            envelope,
            json: OnceLock::new(),
            msgpack: OnceLock::new(),
        })
    }

    /// The `message` frame for `codec`; `None` only if the payload cannot be
    /// expressed in it (logged once).
    pub fn frame(&self, codec: Codec) -> Option<Message> {
        let cell = match codec {
            Codec::Json => &self.json,
            Codec::MsgPack => &self.msgpack,
        };
        cell.get_or_init(|| match codec.encode_message(&self.envelope) {
            Ok(frame) => Some(to_message(frame)),
            Err(error) => {
                tracing::warn!(
                    channel = %self.envelope.channel,
                    offset = self.envelope.offset,
                    %error,
                    "message cannot be encoded for {codec:?} clients; skipped"
                );
                None
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
