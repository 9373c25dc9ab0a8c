//! The envelope: one published message as Redis stores and delivers it.
//!
//! An envelope is a MessagePack array. A publisher encodes the fields it
//! knows ([`EnvelopeDraft::encode_head`]); the Lua publish script in
//! [`crate::script`] appends the three fields only Redis can assign
//! atomically (publish time, offset, epoch). The result is written to the
//! channel's stream and published on its delivery topic as the very same
//! bytes, so every reader decodes one format and nothing is encoded twice.

use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Number of fields in an encoded envelope.
const FIELD_COUNT: u32 = 8;

/// What the payload bytes are, decided once at publish time so that readers
/// never have to guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContentType {
    /// A valid JSON document (UTF-8).
    Json,
    /// UTF-8 text that is not JSON; clients receive it as a JSON string.
    Text,
    /// Arbitrary bytes.
    Binary,
}

impl ContentType {
    /// Classifies a raw payload: JSON if it is JSON that
    /// [`crate::payload::checked_json`] accepts, else text if it is UTF-8,
    /// else binary.
    pub fn detect(payload: &[u8]) -> ContentType {
        if crate::payload::is_json(payload) {
            ContentType::Json
        } else if std::str::from_utf8(payload).is_ok() {
            ContentType::Text
        } else {
            ContentType::Binary
        }
    }

    fn code(self) -> u8 {
        match self {
            ContentType::Json => 0,
            ContentType::Text => 1,
            ContentType::Binary => 2,
        }
    }
}

impl Serialize for ContentType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.code())
    }
}

impl<'de> Deserialize<'de> for ContentType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u8::deserialize(deserializer)? {
            0 => Ok(ContentType::Json),
            1 => Ok(ContentType::Text),
            2 => Ok(ContentType::Binary),
            other => Err(serde::de::Error::custom(format_args!(
                "unknown content type code {other}"
            ))),
        }
    }
}

/// A published message with its place in the channel's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The channel it was published on.
    pub channel: String,
    /// What the payload is.
    pub content_type: ContentType,
    /// The payload's bytes (JSON in its stored form, see
    /// [`crate::payload::checked_json`]).
    pub payload: Bytes,
    /// Optional metadata such as `traceparent`, in the order given.
    pub headers: Vec<(String, String)>,
    /// Who published it (a service name, an API key id), when known.
    pub publisher: Option<String>,
    /// Publish time in milliseconds since the Unix epoch, from Redis' clock.
    pub ts: u64,
    /// Position in the channel within `epoch`, from 1.
    pub offset: u64,
    /// The channel's epoch when it was published.
    pub epoch: String,
}

/// The part of an envelope a publisher knows before Redis assigns its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeDraft {
    /// The channel to publish on.
    pub channel: String,
    /// What the payload is.
    pub content_type: ContentType,
    /// The payload's bytes.
    pub payload: Bytes,
    /// Optional metadata such as `traceparent`, in the order given.
    pub headers: Vec<(String, String)>,
    /// Who publishes it, when known.
    pub publisher: Option<String>,
}

/// An envelope that could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    /// The bytes are not an envelope.
    #[error("envelope is not valid MessagePack of the expected shape: {0}")]
    Decode(#[from] rmp_serde::decode::Error),
    /// The envelope could not be written.
    #[error("envelope could not be encoded: {0}")]
    Encode(#[from] rmp_serde::encode::Error),
}

impl EnvelopeDraft {
    /// A draft for a payload whose content type is detected from its bytes.
    /// JSON is stored in the form both codecs agree on
    /// ([`crate::payload::checked_json`]); a payload JSON refuses is text
    /// (or binary), delivered as a string.
    pub fn new(channel: impl Into<String>, payload: Bytes) -> Self {
        let (content_type, payload) = match crate::payload::checked_json(payload.clone()) {
            Ok(json) => (ContentType::Json, json),
            Err(_) if std::str::from_utf8(&payload).is_ok() => (ContentType::Text, payload),
            Err(_) => (ContentType::Binary, payload),
        };
        Self {
            channel: channel.into(),
            content_type,
            payload,
            headers: Vec::new(),
            publisher: None,
        }
    }

    /// A draft carrying `value` as JSON, from `publisher`. The content type
    /// is known, so the payload is not parsed again to detect it.
    pub fn json<T: Serialize>(
        channel: impl Into<String>,
        value: &T,
        publisher: &str,
    ) -> Result<Self, serde_json::Error> {
        Ok(Self {
            channel: channel.into(),
            content_type: ContentType::Json,
            payload: Bytes::from(serde_json::to_vec(value)?),
            headers: Vec::new(),
            publisher: Some(publisher.to_owned()),
        })
    }

    /// Encodes the known fields as the head of an envelope array; appending
    /// the MessagePack encodings of `ts`, `offset` and `epoch` completes it.
    pub fn encode_head(&self) -> Result<Vec<u8>, EnvelopeError> {
        let mut buf = Vec::with_capacity(self.payload.len() + self.channel.len() + 32);
        rmp::encode::write_array_len(&mut buf, FIELD_COUNT)
            .map_err(|e| EnvelopeError::Encode(rmp_serde::encode::Error::InvalidValueWrite(e)))?;
        rmp_serde::encode::write(&mut buf, &self.channel)?;
        rmp_serde::encode::write(&mut buf, &self.content_type)?;
        rmp_serde::encode::write(&mut buf, &self.payload)?;
        rmp_serde::encode::write(&mut buf, &self.headers)?;
        rmp_serde::encode::write(&mut buf, &self.publisher)?;
        Ok(buf)
    }

    /// Completes the draft the way the publish script does; used by tests and
    /// benchmarks that need envelope bytes without Redis.
    pub fn complete(&self, ts: u64, offset: u64, epoch: &str) -> Result<Vec<u8>, EnvelopeError> {
        let mut buf = self.encode_head()?;
        rmp_serde::encode::write(&mut buf, &ts)?;
        rmp_serde::encode::write(&mut buf, &offset)?;
        rmp_serde::encode::write(&mut buf, epoch)?;
        Ok(buf)
    }
}

impl Envelope {
    /// Decodes an envelope read from a stream entry or a delivery topic.
    pub fn decode(bytes: &[u8]) -> Result<Envelope, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }

    /// Encodes the whole envelope (what Redis would hold after publishing).
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec(self)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn json_drafts_are_json_and_name_their_publisher() {
        let draft =
            EnvelopeDraft::json("c", &serde_json::json!({"a": [1, 2]}), "me").expect("encode");
        assert_eq!(draft.content_type, ContentType::Json);
        assert_eq!(draft.content_type, ContentType::detect(&draft.payload));
        assert_eq!(&draft.payload[..], br#"{"a":[1,2]}"#);
        assert_eq!(draft.publisher.as_deref(), Some("me"));
    }

    fn content_type() -> impl Strategy<Value = ContentType> {
        prop_oneof![
            Just(ContentType::Json),
            Just(ContentType::Text),
            Just(ContentType::Binary)
        ]
    }

    fn envelope() -> impl Strategy<Value = Envelope> {
        (
            "[a-z:._-]{1,40}",
            content_type(),
            proptest::collection::vec(any::<u8>(), 0..512),
            proptest::collection::vec((".{0,12}", ".{0,40}"), 0..4),
            proptest::option::of(".{0,20}"),
            any::<u64>(),
            any::<u64>(),
            "[0-9a-f]{1,16}",
        )
            .prop_map(
                |(channel, content_type, payload, headers, publisher, ts, offset, epoch)| {
                    Envelope {
                        channel,
                        content_type,
                        payload: Bytes::from(payload),
                        headers,
                        publisher,
                        ts,
                        offset,
                        epoch,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn envelope_round_trips(env in envelope()) {
            let bytes = env.encode().expect("encode");
            prop_assert_eq!(Envelope::decode(&bytes).expect("decode"), env);
        }

        #[test]
        fn head_plus_tail_is_the_whole_envelope(env in envelope()) {
            let draft = EnvelopeDraft {
                channel: env.channel.clone(),
                content_type: env.content_type,
                payload: env.payload.clone(),
                headers: env.headers.clone(),
                publisher: env.publisher.clone(),
            };
            let completed = draft.complete(env.ts, env.offset, &env.epoch).expect("complete");
            prop_assert_eq!(&completed, &env.encode().expect("encode"));
        }

        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
            let _ = Envelope::decode(&bytes);
        }
    }

    #[test]
    fn detects_content_types() {
        assert_eq!(ContentType::detect(br#"{"a":1}"#), ContentType::Json);
        assert_eq!(ContentType::detect(b" 42 "), ContentType::Json);
        assert_eq!(ContentType::detect(b"hello"), ContentType::Text);
        assert_eq!(ContentType::detect(&[0xff, 0xfe]), ContentType::Binary);
    }
}
