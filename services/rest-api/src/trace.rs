//! Traces of REST requests: a request span that continues the caller's
//! trace (the W3C `traceparent` / `tracestate` request headers), and a
//! publish span whose context every envelope of the request carries
//! ([`asynchronio_service::telemetry`] exports them; nothing happens when
//! tracing is off).

use actix_web::HttpRequest;
use asynchronio_protocol::EnvelopeDraft;
use asynchronio_protocol::trace::{TRACEPARENT, TRACESTATE, TraceContext};
use asynchronio_service::telemetry;

/// The caller's trace context, when it sent a valid one. An invalid one is
/// ignored and the request starts a new trace, as W3C Trace Context asks of
/// a server (a proxy's malformed header must not fail a publish).
fn caller_context(request: &HttpRequest) -> Option<TraceContext> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
    };
    let parent = header(TRACEPARENT)?;
    match TraceContext::checked(parent, header(TRACESTATE)) {
        Ok(context) => Some(context),
        Err(error) => {
            tracing::debug!(%error, "ignoring the request's trace context; starting a new trace");
            None
        }
    }
}

/// A request's trace: its span, and the context the caller sent.
pub(crate) struct RequestTrace {
    /// The request span (disabled when tracing is off).
    pub span: tracing::Span,
    caller: Option<TraceContext>,
}

/// The trace of one request to `route` (`METHOD /path/{template}`): a span
/// that is a child of the caller's, when it sent a trace context.
pub(crate) fn request_trace(request: &HttpRequest, route: &'static str) -> RequestTrace {
    let caller = caller_context(request);
    if !telemetry::enabled() {
        return RequestTrace {
            span: tracing::Span::none(),
            caller,
        };
    }
    let span = tracing::info_span!(
        "request",
        otel.name = route,
        otel.kind = "server",
        http.route = route,
        http.response.status_code = tracing::field::Empty,
    );
    if let Some(context) = &caller {
        telemetry::set_parent(&span, context);
    }
    RequestTrace { span, caller }
}

impl RequestTrace {
    /// The span of the atomic publish of `drafts`, a child of the request
    /// span; each draft gets its context, so the gateways' spans hang under
    /// it. With tracing off here, the drafts keep the caller's context, so
    /// services that do trace still join the caller's trace.
    pub(crate) fn publish_span(&self, drafts: &mut [EnvelopeDraft]) -> tracing::Span {
        if !telemetry::enabled() {
            if let Some(context) = &self.caller {
                for draft in drafts.iter_mut() {
                    context.clone().write_into(&mut draft.headers);
                }
            }
            return tracing::Span::none();
        }
        let channel = match &*drafts {
            [one] => one.channel.clone(),
            _ => "(several)".to_owned(),
        };
        let span = tracing::info_span!(
            parent: &self.span,
            "publish",
            otel.kind = "producer",
            messaging.system = "asynchronio",
            messaging.destination.name = channel.as_str(),
            messaging.batch.message_count = drafts.len(),
        );
        if let Some(context) = telemetry::context_of(&span) {
            for draft in drafts.iter_mut() {
                context.clone().write_into(&mut draft.headers);
            }
        }
        span
    }

    /// Notes the response status on the request span.
    pub(crate) fn record_status(&self, status: actix_web::http::StatusCode) {
        self.span
            .record("http.response.status_code", status.as_u16());
    }
}
