//! Turning client frames into bytes and back, in JSON or MessagePack.
//!
//! A connection picks its codec once, from the WebSocket subprotocol it
//! negotiated. JSON travels in text frames, MessagePack in binary frames.
//! Message frames are encoded straight from an [`Envelope`] so that the
//! gateway can encode each delivery once per codec and share the bytes.

use std::borrow::Cow;

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::client::{ClientFrame, ErrorCode, ServerFrame, Since};
use crate::envelope::{ContentType, Envelope};
use crate::position::Offset;
use crate::presence::{PresenceEvent, PresenceKind};
use crate::trace::TraceContext;

/// How one connection's frames are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// JSON in text frames; the default.
    Json,
    /// MessagePack (maps with named fields) in binary frames.
    MsgPack,
}

/// Bytes ready to go out in a WebSocket frame of the right kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundFrame {
    /// A text frame (JSON).
    Text(String),
    /// A binary frame (MessagePack).
    Binary(Vec<u8>),
}

impl OutboundFrame {
    /// The frame's bytes, whatever its kind.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            OutboundFrame::Text(text) => text.as_bytes(),
            OutboundFrame::Binary(bytes) => bytes,
        }
    }
}

/// A frame that could not be decoded, with the reply the client should get.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct DecodeError {
    /// The request id, when it could be read.
    pub id: Option<u64>,
    /// Why, for machines.
    pub code: ErrorCode,
    /// Why and what to do, for people.
    pub message: String,
}

/// An encoding failure; only possible for data that is not representable in
/// the target format.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    /// The JSON encoder failed.
    #[error("could not encode JSON frame: {0}")]
    Json(#[from] serde_json::Error),
    /// The MessagePack encoder failed.
    #[error("could not encode MessagePack frame: {0}")]
    MsgPack(#[from] rmp_serde::encode::Error),
}

impl DecodeError {
    fn new(id: Option<u64>, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            id,
            code,
            message: message.into(),
        }
    }
}

/// The client frame as it arrives, before each field is checked; `D` is the
/// codec's representation of arbitrary data.
#[derive(Deserialize)]
#[serde(bound(deserialize = "D: Deserialize<'de>"))]
struct RawClientFrame<'a, D> {
    #[serde(borrow)]
    op: Option<Cow<'a, str>>,
    id: Option<u64>,
    channel: Option<String>,
    since: Option<Since>,
    #[serde(default, deserialize_with = "present")]
    data: Option<D>,
    token: Option<String>,
    #[serde(default)]
    presence: bool,
    headers: Option<FrameHeaders>,
}

/// The `headers` object of a `publish` frame: only the W3C trace context
/// is accepted (anything else would be stored with every message, unread).
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrameHeaders {
    #[serde(skip_serializing_if = "Option::is_none")]
    traceparent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracestate: Option<String>,
}

/// Keeps an explicit `null` as present data rather than "missing".
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// Serializable form of [`ClientFrame`], used by client libraries and tests.
#[derive(Serialize)]
struct ClientFrameOut<'a, D> {
    op: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    since: Option<&'a Since>,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<D>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    presence: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    headers: Option<FrameHeaders>,
}

/// A message frame borrowed from its envelope.
#[derive(Serialize)]
struct MessageOut<'a> {
    op: &'static str,
    channel: &'a str,
    offset: Offset,
    epoch: &'a str,
    ts: u64,
    data: DataOut<'a>,
}

/// A payload as a codec presents it.
enum DataOut<'a> {
    RawJson(&'a RawValue),
    Value(serde_json::Value),
    Text(Cow<'a, str>),
    Bytes(&'a [u8]),
}

impl Serialize for DataOut<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            DataOut::RawJson(raw) => raw.serialize(serializer),
            DataOut::Value(value) => value.serialize(serializer),
            DataOut::Text(text) => serializer.serialize_str(text),
            DataOut::Bytes(bytes) => serializer.serialize_bytes(bytes),
        }
    }
}

/// Subprotocol that selects JSON frames.
pub const JSON_SUBPROTOCOL: &str = "asynchronio.json";
/// Subprotocol that selects MessagePack frames.
pub const MSGPACK_SUBPROTOCOL: &str = "asynchronio.msgpack";

impl Codec {
    /// The codec a subprotocol name selects, if it is one of ours.
    pub fn from_subprotocol(name: &str) -> Option<Codec> {
        match name.trim() {
            JSON_SUBPROTOCOL => Some(Codec::Json),
            MSGPACK_SUBPROTOCOL => Some(Codec::MsgPack),
            _ => None,
        }
    }

    /// The subprotocol name that selects this codec.
    pub fn subprotocol(self) -> &'static str {
        match self {
            Codec::Json => JSON_SUBPROTOCOL,
            Codec::MsgPack => MSGPACK_SUBPROTOCOL,
        }
    }

    /// Whether this codec travels in binary WebSocket frames.
    pub fn is_binary(self) -> bool {
        matches!(self, Codec::MsgPack)
    }

    /// Decodes a client frame, checking every field.
    pub fn decode_client(self, bytes: &[u8]) -> Result<ClientFrame, DecodeError> {
        match self {
            Codec::Json => {
                let raw: RawClientFrame<'_, Box<RawValue>> =
                    serde_json::from_slice(bytes).map_err(json_decode_error)?;
                let id = raw.id;
                raw.into_frame(|data| Ok(Bytes::from(data.get().to_owned().into_bytes())))
                    .map_err(|e| e.with_id(id))
            }
            Codec::MsgPack => {
                let raw: RawClientFrame<'_, serde_json::Value> =
                    rmp_serde::from_slice(bytes).map_err(msgpack_decode_error)?;
                let id = raw.id;
                raw.into_frame(|data| {
                    serde_json::to_vec(&data).map(Bytes::from).map_err(|e| {
                        DecodeError::new(
                            None,
                            ErrorCode::InvalidFrame,
                            format!("data cannot be represented as JSON: {e}"),
                        )
                    })
                })
                .map_err(|e| e.with_id(id))
            }
        }
    }

    /// Encodes a client frame (for client libraries and tests).
    pub fn encode_client(self, frame: &ClientFrame) -> Result<OutboundFrame, EncodeError> {
        let mut token = None;
        let mut presence = false;
        let mut headers = None;
        let (op, id, channel, since, data) = match frame {
            ClientFrame::Subscribe {
                id,
                channel,
                since,
                presence: wants,
            } => {
                presence = *wants;
                (
                    "subscribe",
                    *id,
                    Some(channel.as_str()),
                    since.as_ref(),
                    None,
                )
            }
            ClientFrame::Unsubscribe { id, channel } => {
                ("unsubscribe", *id, Some(channel.as_str()), None, None)
            }
            ClientFrame::Publish {
                id,
                channel,
                data,
                trace,
            } => {
                headers = trace.as_ref().map(|trace| FrameHeaders {
                    traceparent: Some(trace.traceparent.clone()),
                    tracestate: trace.tracestate.clone(),
                });
                ("publish", *id, Some(channel.as_str()), None, Some(data))
            }
            ClientFrame::Ping { id } => ("ping", *id, None, None, None),
            ClientFrame::Connect { id, token: t } => {
                token = Some(t.as_str());
                ("connect", *id, None, None, None)
            }
        };
        let data = match data {
            None => None,
            Some(json) => Some(json_data(self, json)?),
        };
        self.encode_value(&ClientFrameOut {
            op,
            id,
            channel,
            since,
            data,
            token,
            presence,
            headers,
        })
    }

    /// Encodes a reply or error frame.
    pub fn encode_server(self, frame: &ServerFrame) -> Result<OutboundFrame, EncodeError> {
        self.encode_value(frame)
    }

    /// Decodes a server frame (for client libraries and tests).
    pub fn decode_server(self, bytes: &[u8]) -> Result<ServerFrame, DecodeError> {
        match self {
            Codec::Json => serde_json::from_slice(bytes).map_err(json_decode_error),
            Codec::MsgPack => rmp_serde::from_slice(bytes).map_err(msgpack_decode_error),
        }
    }

    /// Encodes the `message` frame that delivers `envelope` (a `render`
    /// frame, same fields, when it carries a [`crate::render::Fragment`]).
    ///
    /// JSON payloads are embedded as they are; text becomes a string; binary
    /// payloads become a (lossy) string in JSON and a byte string in
    /// MessagePack.
    pub fn encode_message(self, envelope: &Envelope) -> Result<OutboundFrame, EncodeError> {
        let payload = &envelope.payload[..];
        let data = match (self, envelope.content_type) {
            (Codec::Json, ContentType::Json) => {
                match serde_json::from_slice::<&RawValue>(payload) {
                    Ok(raw) => DataOut::RawJson(raw),
                    Err(_) => DataOut::Text(String::from_utf8_lossy(payload)),
                }
            }
            (Codec::MsgPack, ContentType::Json) => {
                match serde_json::from_slice::<serde_json::Value>(payload) {
                    Ok(value) => DataOut::Value(value),
                    Err(_) => DataOut::Text(String::from_utf8_lossy(payload)),
                }
            }
            (Codec::MsgPack, ContentType::Binary) => DataOut::Bytes(payload),
            (_, _) => DataOut::Text(String::from_utf8_lossy(payload)),
        };
        // A render frame is a message with another name, so that clients
        // know to apply it to the page rather than hand it to the app.
        let op = if crate::render::Fragment::is_render(&envelope.headers) {
            "render"
        } else {
            "message"
        };
        self.encode_value(&MessageOut {
            op,
            channel: &envelope.channel,
            offset: Offset(envelope.offset),
            epoch: &envelope.epoch,
            ts: envelope.ts,
            data,
        })
    }

    /// Encodes the `join` or `leave` frame for a presence event.
    pub fn encode_presence(self, event: &PresenceEvent) -> Result<OutboundFrame, EncodeError> {
        let frame = match event.kind {
            PresenceKind::Join => ServerFrame::Join {
                channel: event.channel.clone(),
                client: event.client.clone(),
                user: event.user.clone(),
            },
            PresenceKind::Leave => ServerFrame::Leave {
                channel: event.channel.clone(),
                client: event.client.clone(),
                user: event.user.clone(),
            },
        };
        self.encode_value(&frame)
    }

    fn encode_value<T: Serialize>(self, value: &T) -> Result<OutboundFrame, EncodeError> {
        Ok(match self {
            Codec::Json => OutboundFrame::Text(serde_json::to_string(value)?),
            Codec::MsgPack => OutboundFrame::Binary(rmp_serde::to_vec_named(value)?),
        })
    }
}

/// Published JSON text as the codec carries it.
fn json_data(codec: Codec, json: &Bytes) -> Result<DataOut<'_>, EncodeError> {
    Ok(match codec {
        Codec::Json => DataOut::RawJson(serde_json::from_slice(json)?),
        Codec::MsgPack => DataOut::Value(serde_json::from_slice(json)?),
    })
}

impl DecodeError {
    fn with_id(mut self, id: Option<u64>) -> Self {
        self.id = self.id.or(id);
        self
    }
}

impl<D> RawClientFrame<'_, D> {
    fn into_frame(
        self,
        data_to_json: impl FnOnce(D) -> Result<Bytes, DecodeError>,
    ) -> Result<ClientFrame, DecodeError> {
        let id = self.id;
        let Some(op) = self.op else {
            return Err(DecodeError::new(
                id,
                ErrorCode::InvalidFrame,
                "frame has no \"op\"; send one of connect, subscribe, unsubscribe, publish, ping",
            ));
        };
        let channel = |channel: Option<String>| {
            channel.ok_or_else(|| {
                DecodeError::new(
                    id,
                    ErrorCode::InvalidFrame,
                    format!("{op} needs a \"channel\" string"),
                )
            })
        };
        match &*op {
            "subscribe" => Ok(ClientFrame::Subscribe {
                id,
                channel: channel(self.channel)?,
                since: self.since,
                presence: self.presence,
            }),
            "unsubscribe" => Ok(ClientFrame::Unsubscribe {
                id,
                channel: channel(self.channel)?,
            }),
            "publish" => {
                let channel = channel(self.channel)?;
                let Some(data) = self.data else {
                    return Err(DecodeError::new(
                        id,
                        ErrorCode::InvalidFrame,
                        "publish needs \"data\": the message to publish",
                    ));
                };
                let trace = match self.headers {
                    None => None,
                    Some(headers) => TraceContext::checked_optional(
                        headers.traceparent.as_deref(),
                        headers.tracestate.as_deref(),
                    )
                    .map_err(|error| {
                        DecodeError::new(id, ErrorCode::InvalidFrame, format!("headers: {error}"))
                    })?,
                };
                Ok(ClientFrame::Publish {
                    id,
                    channel,
                    data: data_to_json(data)?,
                    trace,
                })
            }
            "ping" => Ok(ClientFrame::Ping { id }),
            "connect" => match self.token {
                Some(token) => Ok(ClientFrame::Connect { id, token }),
                None => Err(DecodeError::new(
                    id,
                    ErrorCode::InvalidFrame,
                    "connect needs a \"token\" string issued by the REST API",
                )),
            },
            other => Err(DecodeError::new(
                id,
                ErrorCode::UnknownOp,
                format!(
                    "unknown op {other:?}; send one of connect, subscribe, unsubscribe, publish, ping"
                ),
            )),
        }
    }
}

fn json_decode_error(e: serde_json::Error) -> DecodeError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => DecodeError::new(None, ErrorCode::InvalidFrame, format!("{e}")),
        Category::Syntax | Category::Eof | Category::Io => DecodeError::new(
            None,
            ErrorCode::BadRequest,
            format!("frame is not valid JSON: {e}"),
        ),
    }
}

fn msgpack_decode_error(e: rmp_serde::decode::Error) -> DecodeError {
    use rmp_serde::decode::Error;
    match e {
        // A marker MessagePack never uses: not MessagePack at all.
        Error::TypeMismatch(rmp::Marker::Reserved) => DecodeError::new(
            None,
            ErrorCode::BadRequest,
            format!("frame is not valid MessagePack: {e}"),
        ),
        Error::TypeMismatch(_)
        | Error::Syntax(_)
        | Error::OutOfRange
        | Error::LengthMismatch(_) => {
            DecodeError::new(None, ErrorCode::InvalidFrame, format!("{e}"))
        }
        _ => DecodeError::new(
            None,
            ErrorCode::BadRequest,
            format!("frame is not valid MessagePack: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const CODECS: [Codec; 2] = [Codec::Json, Codec::MsgPack];

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(serde_json::Value::from),
            ".{0,16}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-z]{1,6}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn since() -> impl Strategy<Value = Option<Since>> {
        proptest::option::of((any::<u64>(), "[0-9a-f]{1,12}").prop_map(|(o, e)| Since {
            offset: Offset(o),
            epoch: e,
        }))
    }

    fn client_frame() -> impl Strategy<Value = ClientFrame> {
        let id = proptest::option::of(any::<u64>());
        prop_oneof![
            (id.clone(), "[a-z:.]{1,20}", since(), any::<bool>()).prop_map(
                |(id, channel, since, presence)| ClientFrame::Subscribe {
                    id,
                    channel,
                    since,
                    presence
                }
            ),
            (id.clone(), "[a-z:.]{1,20}")
                .prop_map(|(id, channel)| ClientFrame::Unsubscribe { id, channel }),
            (id.clone(), "[a-z:.]{1,20}", json_value()).prop_map(|(id, channel, data)| {
                ClientFrame::Publish {
                    id,
                    channel,
                    data: Bytes::from(serde_json::to_vec(&data).expect("json")),
                    trace: None,
                }
            }),
            id.clone().prop_map(|id| ClientFrame::Ping { id }),
            (id, "[A-Za-z0-9._-]{1,40}").prop_map(|(id, token)| ClientFrame::Connect { id, token }),
        ]
    }

    fn server_frame() -> impl Strategy<Value = ServerFrame> {
        let id = proptest::option::of(any::<u64>());
        prop_oneof![
            (
                id.clone(),
                "[a-z]{1,8}",
                any::<u64>(),
                "[0-9a-f]{1,8}",
                any::<bool>()
            )
                .prop_map(|(id, channel, o, epoch, recovered)| {
                    ServerFrame::Subscribed {
                        id,
                        channel,
                        offset: Offset(o),
                        epoch,
                        recovered,
                    }
                }),
            (
                "[a-z]{1,8}",
                any::<u64>(),
                "[0-9a-f]{1,8}",
                any::<u64>(),
                json_value()
            )
                .prop_map(|(channel, o, epoch, ts, data)| ServerFrame::Message {
                    channel,
                    offset: Offset(o),
                    epoch,
                    ts,
                    data
                }),
            (
                id.clone(),
                proptest::option::of(any::<u64>()),
                proptest::option::of("[a-f]{1,4}")
            )
                .prop_map(|(id, o, epoch)| ServerFrame::Ok {
                    id,
                    offset: o.map(Offset),
                    epoch
                }),
            id.clone().prop_map(|id| ServerFrame::Pong { id }),
            (
                "[a-z]{1,8}",
                "[a-z0-9/-]{1,12}",
                proptest::option::of("[a-z]{1,8}")
            )
                .prop_map(|(channel, client, user)| ServerFrame::Join {
                    channel,
                    client,
                    user
                }),
            (
                "[a-z]{1,8}",
                "[a-z0-9/-]{1,12}",
                proptest::option::of("[a-z]{1,8}")
            )
                .prop_map(|(channel, client, user)| ServerFrame::Leave {
                    channel,
                    client,
                    user
                }),
            (id.clone(), "[a-z0-9-]{1,12}")
                .prop_map(|(id, sub)| ServerFrame::Connected { id, sub }),
            (id, ".{0,30}").prop_map(|(id, message)| ServerFrame::Error {
                id,
                code: ErrorCode::InvalidChannel,
                message
            }),
        ]
    }

    proptest! {
        #[test]
        fn client_frames_round_trip(frame in client_frame()) {
            for codec in CODECS {
                let bytes = codec.encode_client(&frame).expect("encode");
                let back = codec.decode_client(bytes.as_bytes()).expect("decode");
                match (&frame, &back) {
                    (ClientFrame::Publish { data: a, .. }, ClientFrame::Publish { data: b, .. }) => {
                        let a: serde_json::Value = serde_json::from_slice(a).expect("a");
                        let b: serde_json::Value = serde_json::from_slice(b).expect("b");
                        prop_assert_eq!(a, b);
                        prop_assert_eq!(frame.id(), back.id());
                    }
                    _ => prop_assert_eq!(&frame, &back),
                }
            }
        }

        #[test]
        fn server_frames_round_trip(frame in server_frame()) {
            for codec in CODECS {
                let bytes = codec.encode_server(&frame).expect("encode");
                prop_assert_eq!(codec.is_binary(), matches!(bytes, OutboundFrame::Binary(_)));
                prop_assert_eq!(codec.decode_server(bytes.as_bytes()).expect("decode"), frame.clone());
            }
        }

        #[test]
        fn message_frames_carry_the_envelope(data in json_value(), offset in any::<u64>(), ts in any::<u64>()) {
            let envelope = Envelope {
                channel: "news".into(),
                content_type: ContentType::Json,
                payload: Bytes::from(serde_json::to_vec(&data).expect("json")),
                headers: vec![],
                publisher: None,
                ts,
                offset,
                epoch: "e1".into(),
            };
            for codec in CODECS {
                let bytes = codec.encode_message(&envelope).expect("encode");
                prop_assert_eq!(
                    codec.decode_server(bytes.as_bytes()).expect("decode"),
                    ServerFrame::Message {
                        channel: "news".into(),
                        offset: Offset(offset),
                        epoch: "e1".into(),
                        ts,
                        data: data.clone(),
                    }
                );
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
            for codec in CODECS {
                let _ = codec.decode_client(&bytes);
            }
        }
    }

    #[test]
    fn text_payload_arrives_as_string() {
        let envelope = Envelope {
            channel: "c".into(),
            content_type: ContentType::Text,
            payload: Bytes::from_static(b"not json"),
            headers: vec![],
            publisher: None,
            ts: 1,
            offset: 2,
            epoch: "e".into(),
        };
        let frame = Codec::Json.encode_message(&envelope).expect("encode");
        let value: serde_json::Value = serde_json::from_slice(frame.as_bytes()).expect("json");
        assert_eq!(value["data"], json!("not json"));
        assert_eq!(value["offset"], json!("00000000000000000002"));
    }

    #[test]
    fn render_envelopes_become_render_frames_in_both_codecs() {
        let envelope = Envelope {
            channel: "page".into(),
            content_type: ContentType::Json,
            payload: Bytes::from_static(br#"{"target":"t","op":"replace","html":"<b>x</b>"}"#),
            headers: vec![(crate::render::RENDER_HEADER.into(), "1".into())],
            publisher: None,
            ts: 1,
            offset: 3,
            epoch: "e".into(),
        };
        for codec in [Codec::Json, Codec::MsgPack] {
            let frame = codec.encode_message(&envelope).expect("encode");
            match codec.decode_server(frame.as_bytes()).expect("decode") {
                ServerFrame::Render { data, offset, .. } => {
                    assert_eq!(data["html"], json!("<b>x</b>"));
                    assert_eq!(offset, Offset(3));
                }
                other => panic!("expected a render frame, got {other:?}"),
            }
        }
    }

    #[test]
    fn decode_errors_have_codes() {
        let cases: &[(&str, ErrorCode)] = &[
            ("{", ErrorCode::BadRequest),
            ("[1,2]", ErrorCode::InvalidFrame),
            (r#"{"op":1}"#, ErrorCode::InvalidFrame),
            (r#"{"id":1}"#, ErrorCode::InvalidFrame),
            (r#"{"op":"dance","id":5}"#, ErrorCode::UnknownOp),
            (
                r#"{"op":"subscribe","id":"x","channel":"a"}"#,
                ErrorCode::InvalidFrame,
            ),
            (r#"{"op":"subscribe","id":1}"#, ErrorCode::InvalidFrame),
            (
                r#"{"op":"subscribe","id":1,"channel":7}"#,
                ErrorCode::InvalidFrame,
            ),
            (
                r#"{"op":"publish","id":1,"channel":"a"}"#,
                ErrorCode::InvalidFrame,
            ),
            (
                r#"{"op":"subscribe","id":1,"channel":"a","since":{"offset":"x","epoch":"e"}}"#,
                ErrorCode::InvalidFrame,
            ),
        ];
        for (text, code) in cases {
            let err = Codec::Json.decode_client(text.as_bytes()).expect_err(text);
            assert_eq!(err.code, *code, "{text}: {}", err.message);
        }
        let err = Codec::Json
            .decode_client(br#"{"op":"dance","id":5}"#)
            .expect_err("unknown");
        assert_eq!(err.id, Some(5));
    }

    #[test]
    fn null_data_is_publishable() {
        let frame = Codec::Json
            .decode_client(br#"{"op":"publish","id":1,"channel":"a","data":null}"#)
            .expect("decode");
        assert_eq!(
            frame,
            ClientFrame::Publish {
                id: Some(1),
                channel: "a".into(),
                data: Bytes::from_static(b"null"),
                trace: None,
            }
        );
    }

    #[test]
    fn publish_headers_carry_a_checked_trace_context() {
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        for codec in CODECS {
            let frame = ClientFrame::Publish {
                id: Some(1),
                channel: "a".into(),
                data: Bytes::from_static(b"1"),
                trace: Some(TraceContext::checked(parent, Some("k=v")).expect("valid")),
            };
            let bytes = codec.encode_client(&frame).expect("encode");
            assert_eq!(
                codec.decode_client(bytes.as_bytes()).expect("decode"),
                frame
            );
        }
        let json = format!(
            r#"{{"op":"publish","id":3,"channel":"a","data":1,"headers":{{"traceparent":"{parent}"}}}}"#
        );
        let frame = Codec::Json.decode_client(json.as_bytes()).expect("decode");
        assert!(
            matches!(frame, ClientFrame::Publish { trace: Some(ref t), .. } if t.traceparent == parent)
        );
        // A well-formed frame with a bad context is answered under its id.
        for bad in [
            r#"{"op":"publish","id":4,"channel":"a","data":1,"headers":{"traceparent":"nope"}}"#,
            r#"{"op":"publish","id":4,"channel":"a","data":1,"headers":{"tracestate":"k=v"}}"#,
        ] {
            let error = Codec::Json.decode_client(bad.as_bytes()).expect_err(bad);
            assert_eq!(error.id, Some(4), "{bad}");
            assert!(error.message.contains("trace"), "{}", error.message);
        }
        // Other headers, or headers that are not an object, do not parse.
        for bad in [
            r#"{"op":"publish","id":4,"channel":"a","data":1,"headers":{"x-other":"v"}}"#,
            r#"{"op":"publish","id":4,"channel":"a","data":1,"headers":"traceparent"}"#,
        ] {
            Codec::Json.decode_client(bad.as_bytes()).expect_err(bad);
        }
    }
}
