//! The stdio processor protocol: the lines a pipeline stage's manager and
//! its processor exchange (`docs/processors.md`).
//!
//! The manager writes one [`Request`] per line on the processor's stdin; the
//! processor writes one [`Answer`] per line on its stdout. Both sides use
//! these types (the supervisor's stage runner and the
//! `asynchronio-processor` crate), so the format is written once.
//!
//! The types are generic over how `data` is held: a processor parses it into
//! a [`serde_json::Value`] (the default), while the manager passes the stored
//! payload through untouched as a [`RawValue`], never parsing a message it
//! only forwards.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::envelope::{ContentType, Envelope};

/// One request line: a message handed to the processor.
///
/// Field order is the wire order (`id`, `channel`, `offset`, `attempt`,
/// `data`, then the optional `traceparent` and `tracestate`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request<D = serde_json::Value> {
    /// The message's stream entry id; the answer echoes it.
    pub id: String,
    /// The input channel.
    pub channel: String,
    /// The message's offset in the channel (20 digits).
    pub offset: String,
    /// 1 on first delivery, more on retries (1 when absent).
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    /// The payload: JSON as published, anything else as a JSON string (see
    /// [`request_data`]).
    pub data: D,
    /// The W3C `traceparent` of the stage's span for this message (absent
    /// when the message carries no trace): a processor that traces its own
    /// work makes its spans children of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    /// The W3C `tracestate` that goes with [`Self::traceparent`], when any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
}

fn first_attempt() -> u32 {
    1
}

impl<D: Serialize> Request<D> {
    /// The request as one line, newline included.
    pub fn to_line(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut line = serde_json::to_vec(self)?;
        line.push(b'\n');
        Ok(line)
    }
}

/// One message the processor asks to publish.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Output<D = serde_json::Value> {
    /// The channel; `None` (absent on the wire) is the stage's first output
    /// channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The payload to publish, as JSON.
    pub data: D,
}

/// What became of one message: the meaning of an [`Answer`].
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<D = serde_json::Value> {
    /// Publish these (none: the message is dropped) and acknowledge.
    Publish(Vec<Output<D>>),
    /// Failed: retried with backoff, then dead-lettered.
    Error(String),
}

impl<D> Outcome<D> {
    /// One output to the stage's first output channel.
    pub fn forward(data: D) -> Self {
        Outcome::Publish(vec![Output {
            channel: None,
            data,
        }])
    }

    /// Acknowledge without publishing anything.
    pub fn drop_message() -> Self {
        Outcome::Publish(Vec::new())
    }

    /// A failed attempt, with the reason the stage's log shows.
    pub fn error(why: impl Into<String>) -> Self {
        Outcome::Error(why.into())
    }
}

/// One answer line: `{"id":…,"out":[…]}` or `{"id":…,"error":"…"}`.
///
/// Read an answer's meaning with [`Answer::into_parts`] rather than its
/// fields: an `error` wins over `out`, and neither means "publish nothing".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer<D = serde_json::Value> {
    /// The id of the request answered.
    pub id: String,
    /// Messages to publish, when the attempt succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out: Option<Vec<Output<D>>>,
    /// Why the attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl<D> Answer<D> {
    /// The answer to request `id`.
    pub fn new(id: String, outcome: Outcome<D>) -> Self {
        match outcome {
            Outcome::Publish(outputs) => Answer {
                id,
                out: Some(outputs),
                error: None,
            },
            Outcome::Error(why) => Answer {
                id,
                out: None,
                error: Some(why),
            },
        }
    }

    /// The id answered and what the processor decided.
    pub fn into_parts(self) -> (String, Outcome<D>) {
        let outcome = match self.error {
            Some(why) => Outcome::Error(why),
            None => Outcome::Publish(self.out.unwrap_or_default()),
        };
        (self.id, outcome)
    }
}

impl<D: Serialize> Answer<D> {
    /// The answer as one line, newline included.
    pub fn to_line(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut line = serde_json::to_vec(self)?;
        line.push(b'\n');
        Ok(line)
    }
}

/// The `data` of a request for `envelope`: a JSON payload as it is, anything
/// else as a JSON string (binary payloads lossily), so a processor always
/// reads JSON.
pub fn request_data(envelope: &Envelope) -> Box<RawValue> {
    let as_string = || {
        let text = String::from_utf8_lossy(&envelope.payload);
        serde_json::to_string(&text)
            .ok()
            .and_then(|s| RawValue::from_string(s).ok())
    };
    let raw = match envelope.content_type {
        ContentType::Json => std::str::from_utf8(&envelope.payload)
            .ok()
            .and_then(|s| RawValue::from_string(s.to_owned()).ok())
            .or_else(as_string),
        _ => as_string(),
    };
    raw.unwrap_or_else(|| RawValue::NULL.to_owned())
}

/// The `id` of an answer read from the start of its line, which may be cut
/// anywhere after the id (an answer longer than the reader holds): the
/// string after the first `"id":`.
pub fn answer_id(start: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"id\"";
    let at = start.windows(KEY.len()).position(|w| w == KEY)?;
    let rest = &start[at + KEY.len()..];
    let skip = |bytes: &[u8]| bytes.iter().position(|b| !b.is_ascii_whitespace());
    let rest = &rest[skip(rest)?..];
    let rest = rest.strip_prefix(b":")?;
    let rest = &rest[skip(rest)?..];
    // The first JSON value after the colon, which must be a string; what
    // follows it may be cut.
    serde_json::Deserializer::from_slice(rest)
        .into_iter::<String>()
        .next()?
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_is_in_wire_order() {
        let data = RawValue::from_string("{\"a\":1}".into()).expect("json");
        let request = Request {
            id: "1-0".into(),
            channel: "in".into(),
            offset: "00000000000000000001".into(),
            attempt: 2,
            data: &*data,
            traceparent: None,
            tracestate: None,
        };
        assert_eq!(
            request.to_line().expect("encodes"),
            b"{\"id\":\"1-0\",\"channel\":\"in\",\"offset\":\"00000000000000000001\",\"attempt\":2,\"data\":{\"a\":1}}\n"
        );
        let traced = Request {
            traceparent: Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into()),
            ..request
        };
        let line = traced.to_line().expect("encodes");
        assert!(line.ends_with(b"\"data\":{\"a\":1},\"traceparent\":\"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\"}\n"));
        let parsed: Request =
            serde_json::from_str("{\"id\":\"2-0\",\"channel\":\"in\",\"offset\":\"x\",\"data\":7}")
                .expect("parses");
        assert_eq!(parsed.attempt, 1);
        assert_eq!(parsed.data, serde_json::json!(7));
    }

    #[test]
    fn answers_keep_their_shape_both_ways() {
        let answer = Answer::new(
            "1-0".into(),
            Outcome::Publish(vec![
                Output {
                    channel: None,
                    data: serde_json::json!("A"),
                },
                Output {
                    channel: Some("audit".into()),
                    data: serde_json::json!(1),
                },
            ]),
        );
        assert_eq!(
            answer.to_line().expect("encodes"),
            b"{\"id\":\"1-0\",\"out\":[{\"data\":\"A\"},{\"channel\":\"audit\",\"data\":1}]}\n"
        );
        let error = Answer::<serde_json::Value>::new("2-0".into(), Outcome::error("no"));
        assert_eq!(
            error.to_line().expect("encodes"),
            b"{\"id\":\"2-0\",\"error\":\"no\"}\n"
        );

        let read = |line: &str| {
            serde_json::from_str::<Answer<Box<RawValue>>>(line)
                .expect("parses")
                .into_parts()
        };
        let (id, outcome) = read("{\"id\":\"3-0\",\"out\":[{\"data\":{\"b\":2}}]}");
        assert_eq!(id, "3-0");
        match outcome {
            Outcome::Publish(outputs) => {
                assert_eq!(outputs.len(), 1);
                assert_eq!(outputs[0].channel, None);
                assert_eq!(outputs[0].data.get(), "{\"b\":2}");
            }
            Outcome::Error(why) => panic!("not an error: {why}"),
        }
        assert!(matches!(read("{\"id\":\"4-0\"}").1, Outcome::Publish(o) if o.is_empty()));
        assert!(
            matches!(read("{\"id\":\"5-0\",\"out\":null}").1, Outcome::Publish(o) if o.is_empty())
        );
        assert!(matches!(
            read("{\"id\":\"6-0\",\"out\":[],\"error\":\"e\"}").1,
            Outcome::Error(e) if e == "e"
        ));
    }

    #[test]
    fn data_is_json_or_a_json_string() {
        let envelope = |content_type, payload: &'static [u8]| Envelope {
            channel: "in".into(),
            content_type,
            payload: bytes::Bytes::from_static(payload),
            headers: Vec::new(),
            publisher: None,
            ts: 0,
            offset: 1,
            epoch: String::new(),
        };
        assert_eq!(
            request_data(&envelope(ContentType::Json, b"{\"a\":1}")).get(),
            "{\"a\":1}"
        );
        assert_eq!(
            request_data(&envelope(ContentType::Text, b"hi \"x\"")).get(),
            "\"hi \\\"x\\\"\""
        );
    }

    #[test]
    fn the_id_is_read_from_the_start_of_a_cut_answer() {
        assert_eq!(
            answer_id(br#"{"id":"42-0","out":[{"data":"xxxxx"#),
            Some("42-0".into())
        );
        assert_eq!(
            answer_id(br#"{ "out": [], "id" : "7-0" "#),
            Some("7-0".into())
        );
        assert_eq!(answer_id(br#"{"out":[{"data":"xxxx"#), None);
        assert_eq!(answer_id(br#"{"id":"42-"#), None);
        assert_eq!(answer_id(br#"{"id":42}"#), None);
    }
}
