//! [`Delivery`]: one thing on its way to many subscribers — a message, or a
//! presence notice.
//!
//! It is decoded once when it arrives from Redis; the client frame is
//! encoded at most once per codec, by whichever connection needs it first,
//! and every other subscriber sends a reference-counted clone of the same
//! bytes.
//!
//! With tracing on, a message fanned out to local subscribers carries the
//! gateway's one span for it ([`Delivery::start_trace`]): not one per
//! subscriber, which at a million deliveries a second would cost more than
//! the delivery. Connections note their flushes on it, and it ends when the
//! last subscriber has let go of the message, at the last flush.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use asynchronio_protocol::presence::PresenceEvent;
use asynchronio_protocol::{Codec, Envelope, OutboundFrame};
use asynchronio_service::telemetry::{self, KeyValue, MessageSpan, SpanKind};
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
    /// When it arrived, only when tracing is on: the start of its span.
    /// A plain field, so with tracing off asking "traced?" costs no atomic.
    received: Option<SystemTime>,
    /// The gateway's span for this message, when it was sampled.
    trace: OnceLock<Box<DeliveryTrace>>,
}

/// The gateway's span for one message and what its subscribers' writes
/// added to it.
struct DeliveryTrace {
    span: MessageSpan,
    /// How many local subscribers it was queued to.
    subscribers: AtomicU32,
    /// The last flush that carried it, microseconds since the Unix epoch.
    last_flush_us: AtomicU64,
    /// How many connections flushed it.
    flushes: AtomicU32,
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
        let received = match payload {
            Payload::Message(_) if telemetry::enabled() => Some(SystemTime::now()),
            _ => None,
        };
        Arc::new(Delivery {
            payload,
            json: OnceLock::new(),
            msgpack: OnceLock::new(),
            received,
            trace: OnceLock::new(),
        })
    }

    /// Starts the message's span, before it is queued to any subscriber
    /// (so that no flush happens before there is a span to note it on); a
    /// child of the publisher's span its envelope names. Does nothing with
    /// tracing off, for presence notices, or when the sampler declines.
    pub fn start_trace(&self) {
        let (Some(received), Payload::Message(envelope)) = (self.received, &self.payload) else {
            return;
        };
        // No attributes for the sampler: the ones below are built only for
        // a span it kept.
        let Some(mut span) = MessageSpan::for_headers(
            "deliver",
            SpanKind::Consumer,
            &envelope.headers,
            Some(received),
            Vec::new(),
        )
        .filter(MessageSpan::is_recording) else {
            return;
        };
        for attribute in [
            KeyValue::new("messaging.system", "asynchronio"),
            KeyValue::new("messaging.destination.name", envelope.channel.clone()),
            KeyValue::new("asynchronio.offset", envelope.offset as i64),
            KeyValue::new("asynchronio.epoch", envelope.epoch.clone()),
        ] {
            span.set_attribute(attribute);
        }
        let _ = self.trace.set(Box::new(DeliveryTrace {
            span,
            subscribers: AtomicU32::new(0),
            last_flush_us: AtomicU64::new(0),
            flushes: AtomicU32::new(0),
        }));
    }

    /// Notes that the message was queued to `subscribers` local
    /// subscribers; recorded on its span when the span ends.
    pub fn note_subscribers(&self, subscribers: u32) {
        if let Some(trace) = self.trace.get() {
            trace.subscribers.store(subscribers, Ordering::Relaxed);
        }
    }

    /// Whether this message carries a span its flushes should be noted on.
    pub fn is_traced(&self) -> bool {
        self.received.is_some() && self.trace.get().is_some()
    }

    /// Notes that a connection flushed this message at `at`.
    pub fn note_flush(&self, at: SystemTime) {
        if let Some(trace) = self.trace.get() {
            let micros = at
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |since| since.as_micros() as u64);
            trace.last_flush_us.fetch_max(micros, Ordering::Relaxed);
            trace.flushes.fetch_add(1, Ordering::Relaxed);
        }
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

impl Drop for Delivery {
    /// The last subscriber let go: the span ends at the last flush, with
    /// the frames' sizes and how many codecs they were encoded for.
    fn drop(&mut self) {
        let Some(trace) = self.trace.take() else {
            return;
        };
        let DeliveryTrace {
            mut span,
            subscribers,
            last_flush_us,
            flushes,
        } = *trace;
        span.set_attribute(KeyValue::new(
            "asynchronio.subscribers",
            i64::from(subscribers.into_inner()),
        ));
        let frames: Vec<usize> = [self.json.get(), self.msgpack.get()]
            .into_iter()
            .flatten()
            .flatten()
            .map(Message::len)
            .collect();
        span.set_attribute(KeyValue::new(
            "asynchronio.encoded_bytes",
            frames.iter().sum::<usize>() as i64,
        ));
        span.set_attribute(KeyValue::new("asynchronio.codecs", frames.len() as i64));
        let flushes = flushes.into_inner();
        let last_flush_us = last_flush_us.into_inner();
        if flushes == 0 {
            span.end_at(SystemTime::now());
            return;
        }
        let last_flush = SystemTime::UNIX_EPOCH + Duration::from_micros(last_flush_us);
        span.add_event_at(
            "last flush",
            last_flush,
            vec![KeyValue::new("asynchronio.flushes", i64::from(flushes))],
        );
        span.end_at(last_flush);
    }
}

/// Wraps encoded bytes in the WebSocket frame kind their codec uses.
pub fn to_message(frame: OutboundFrame) -> Message {
    match frame {
        OutboundFrame::Text(text) => Message::Text(Utf8Bytes::from(text)),
        OutboundFrame::Binary(bytes) => Message::Binary(Bytes::from(bytes)),
    }
}
