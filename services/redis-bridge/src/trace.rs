//! The bridge's span for each message it publishes: a child of the trace
//! context an ingest entry carried, or a new root for a raw `PUBLISH`
//! (which has nowhere to carry one). Its context goes into the envelope,
//! so every gateway's span for the message hangs under it. Nothing happens
//! with tracing off ([`asynchronio_service::telemetry`]).

use asynchronio_bus::{BusError, Published};
use asynchronio_protocol::EnvelopeDraft;
use asynchronio_protocol::trace::TraceContext;
use asynchronio_service::telemetry::{KeyValue, MessageSpan, SpanKind};

/// Where a bridged message came from, as the span's `asynchronio.source`.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// A raw `PUBLISH {prefix}:publish:CHANNEL`.
    Pubsub,
    /// An entry of the ingest stream.
    Ingest,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Pubsub => "pubsub",
            Source::Ingest => "ingest",
        }
    }
}

/// Starts the span for `draft` (from `source`, continuing `parent` when
/// given) and writes its context into the draft ([`MessageSpan::stamp`]).
pub fn start(
    source: Source,
    parent: Option<TraceContext>,
    draft: &mut EnvelopeDraft,
) -> Option<MessageSpan> {
    let channel = draft.channel.clone();
    MessageSpan::stamp(
        "bridge",
        SpanKind::Consumer,
        parent,
        &channel,
        vec![KeyValue::new("asynchronio.source", source.name())],
        &mut draft.headers,
    )
}

/// Ends `span` with the publish's outcome.
pub fn finish(span: Option<MessageSpan>, result: &Result<Published, BusError>) {
    let Some(mut span) = span else {
        return;
    };
    match result {
        Ok(published) => {
            span.set_attribute(KeyValue::new(
                "asynchronio.offset",
                published.offset.0 as i64,
            ));
            if published.duplicate {
                span.set_attribute(KeyValue::new("asynchronio.duplicate", true));
            }
        }
        Err(error) => span.set_error(error.to_string()),
    }
}
