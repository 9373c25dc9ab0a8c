//! Publish frames: a client publishing a JSON message to a channel,
//! within its token's grants, its publish budget and the size limit.

use std::time::Instant;

use asynchronio_protocol::envelope::ContentType;
use asynchronio_protocol::trace::TraceContext;
use asynchronio_protocol::{ChannelName, EnvelopeDraft, ErrorCode, ServerFrame};
use asynchronio_service::telemetry::{KeyValue, MessageSpan, SpanKind};
use bytes::Bytes;

use super::{Session, with_id};
use crate::access::Action;

impl Session {
    /// Publishes `data` to channel `name`, continuing the client's trace
    /// `trace` when it sent one; the reply says where it landed or why it
    /// did not.
    pub(super) async fn publish(
        &mut self,
        id: Option<u64>,
        name: &str,
        data: Bytes,
        trace: Option<TraceContext>,
    ) -> ServerFrame {
        let (channel, payload) = match self.admit_publish(id, name, data) {
            Ok(admitted) => admitted,
            Err(reply) => return reply,
        };
        let mut draft = EnvelopeDraft {
            channel: channel.to_string(),
            content_type: ContentType::Json,
            payload,
            headers: Vec::new(),
            publisher: Some(match &self.claims {
                Some(claims) => format!("user:{}", claims.sub),
                None => "ws-gateway".to_owned(),
            }),
        };
        let mut span = MessageSpan::stamp(
            "publish",
            SpanKind::Producer,
            trace,
            channel.as_str(),
            Vec::new(),
            &mut draft.headers,
        );
        match self.context.bus.publish(&draft, None).await {
            Ok(published) => {
                if let Some(span) = &mut span {
                    span.set_attribute(KeyValue::new(
                        "asynchronio.offset",
                        published.offset.0 as i64,
                    ));
                }
                ServerFrame::Ok {
                    id,
                    offset: Some(published.offset),
                    epoch: Some(published.epoch),
                }
            }
            Err(error) => {
                if let Some(span) = &mut span {
                    span.set_error(error.to_string());
                }
                tracing::warn!(channel = %channel, %error, "client publish failed");
                ServerFrame::error(
                    id,
                    ErrorCode::Unavailable,
                    "could not publish: Redis is unavailable; retry shortly",
                )
            }
        }
    }

    /// The checks before a publish, in order: a valid channel name, the
    /// token's grant, the connection's publish budget, the size limit and
    /// JSON. The channel and the checked payload, or the error frame.
    fn admit_publish(
        &mut self,
        id: Option<u64>,
        name: &str,
        data: Bytes,
    ) -> Result<(ChannelName, Bytes), ServerFrame> {
        let channel = self.channel(name).map_err(|reply| with_id(reply, id))?;
        self.allowed(Action::Publish, channel.as_str(), id)?;
        let rate = self.context.limits.publish_rate;
        if !self.publish_bucket.take(rate, Instant::now()) {
            return Err(ServerFrame::error(
                id,
                ErrorCode::RateLimited,
                format!(
                    "too many publishes: at most {} per second per connection (bursts of {}); slow down, or publish through the REST API",
                    rate.per_second, rate.burst
                ),
            ));
        }
        let max = self.context.limits.max_client_message_size;
        if data.len() > max {
            return Err(ServerFrame::error(
                id,
                ErrorCode::PayloadTooLarge,
                format!("data is {} bytes; the limit is {max}", data.len()),
            ));
        }
        let payload = asynchronio_protocol::checked_json(data)
            .map_err(|error| ServerFrame::error(id, ErrorCode::BadRequest, error.to_string()))?;
        Ok((channel, payload))
    }
}
