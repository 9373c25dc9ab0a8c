//! OpenTelemetry tracing: the one tracer every binary exports through, and
//! the spans that follow a message.
//!
//! It is configured only by the standard variables:
//! `OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`
//! (OTLP over HTTP/protobuf), `OTEL_SERVICE_NAME` (default: the binary's
//! name), `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG`,
//! `OTEL_RESOURCE_ATTRIBUTES`, and the batch processor's `OTEL_BSP_*`.
//! Without an endpoint nothing is installed: [`enabled`] is one atomic
//! (acquire) load that says no, and every per-message span below is
//! skipped.
//!
//! Two kinds of span, for two kinds of work:
//! * a request (rest-api) is a `tracing` span, exported by the
//!   `tracing-opentelemetry` layer [`crate::LogArgs::init`] installs; its
//!   parent comes from the request's headers ([`set_parent`]) and its
//!   context goes into the envelope ([`context_of`]);
//! * a message crossing a service (the bridge, each gateway, a pipeline
//!   stage) is a [`MessageSpan`], started straight on the OpenTelemetry
//!   tracer: no `tracing` subscriber work per message, explicit start and
//!   end times, and nothing at all when tracing is off.
//!
//! Either way the context a message carries is a
//! [`asynchronio_protocol::trace::TraceContext`] in its envelope's headers.
//!
//! Exporting runs on the SDK's own thread, off the runtime. Its queue is
//! bounded (`OTEL_BSP_MAX_QUEUE_SIZE`, 2048 spans): when the collector is
//! slow or down, new spans are dropped, nothing blocks and nothing grows.

use std::str::FromStr;
use std::sync::OnceLock;
use std::time::SystemTime;

use asynchronio_protocol::trace::TraceContext;
use opentelemetry::Context;
use opentelemetry::trace::{
    Span as _, SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState, Tracer as _,
    TracerProvider as _,
};
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// Re-exported so that services name span kinds and attributes without
/// depending on `opentelemetry` themselves.
pub use opentelemetry::KeyValue;
pub use opentelemetry::trace::SpanKind;

/// The tracer, set once when an endpoint is configured.
static TRACER: OnceLock<SdkTracer> = OnceLock::new();

/// Whether spans are exported: false unless an OTLP endpoint is configured.
/// Per-message code asks this first and does nothing more when it is false.
pub fn enabled() -> bool {
    TRACER.get().is_some()
}

/// Keeps the exporter alive; dropping it flushes the spans still queued
/// (bounded by the exporter's timeout) and stops the export thread.
#[must_use = "dropping the guard stops exporting spans"]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// A guard with nothing to flush (tracing off).
    pub(crate) fn off() -> Self {
        Telemetry { provider: None }
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "could not flush the last spans to the OTLP endpoint");
        }
    }
}

/// Where spans go, from the standard variables; `None` when no endpoint is
/// set (or `OTEL_SDK_DISABLED=true`, or `OTEL_TRACES_EXPORTER=none`).
fn configured_endpoint() -> Option<String> {
    let set = |name: &str| {
        std::env::var(name)
            .ok()
            .filter(|value| !value.trim().is_empty())
    };
    if set("OTEL_SDK_DISABLED").is_some_and(|value| value.eq_ignore_ascii_case("true"))
        || set("OTEL_TRACES_EXPORTER").is_some_and(|value| value.eq_ignore_ascii_case("none"))
    {
        return None;
    }
    set("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").or_else(|| set("OTEL_EXPORTER_OTLP_ENDPOINT"))
}

/// The binary's file name, the default `service.name`.
fn binary_name() -> String {
    std::env::args_os()
        .next()
        .as_deref()
        .map(std::path::Path::new)
        .and_then(|path| path.file_name())
        .map_or_else(
            || "asynchronio".to_owned(),
            |name| name.to_string_lossy().into_owned(),
        )
}

/// What [`install`] hands the logging set-up: the guard, and the layer that
/// exports `tracing` spans (when tracing is on).
pub(crate) type Installed = (
    Telemetry,
    Option<tracing_opentelemetry::OpenTelemetryLayer<tracing_subscriber::Registry, SdkTracer>>,
);

/// Builds the exporter and tracer when an endpoint is configured. Errors
/// (an unparsable endpoint, say) are returned for the caller to log once
/// logging is up; the service then runs without tracing.
pub(crate) fn install() -> Result<Installed, String> {
    let Some(endpoint) = configured_endpoint() else {
        return Ok((Telemetry::off(), None));
    };
    // The traces-specific variable wins over the general one, as the OTLP
    // exporter specification says.
    for name in [
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_PROTOCOL",
    ] {
        match std::env::var(name) {
            Ok(protocol) if protocol.trim().is_empty() => continue,
            Ok(protocol) if protocol.trim() == "http/protobuf" => break,
            Ok(protocol) => {
                return Err(format!(
                    "{name}={protocol} is not supported: Asynchronio exports OTLP over HTTP/protobuf; unset it or set http/protobuf (and point the endpoint at the collector's HTTP port, usually 4318)"
                ));
            }
            Err(_) => continue,
        }
    }
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .map_err(|error| {
            format!(
                "cannot export traces to {endpoint}: {error}; check OTEL_EXPORTER_OTLP_ENDPOINT"
            )
        })?;
    let mut resource = opentelemetry_sdk::Resource::builder()
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")));
    let named_in_attributes = std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|attributes| {
        attributes
            .split(',')
            .any(|pair| pair.trim().starts_with("service.name="))
    });
    if std::env::var("OTEL_SERVICE_NAME").map_or(true, |name| name.is_empty())
        && !named_in_attributes
    {
        resource = resource.with_service_name(binary_name());
    }
    // The sampler and the batch processor's limits come from the standard
    // variables, read by the SDK's defaults.
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("asynchronio");
    let layer = tracing_opentelemetry::layer().with_tracer(tracer.clone());
    let _ = TRACER.set(tracer);
    Ok((
        Telemetry {
            provider: Some(provider),
        },
        Some(layer),
    ))
}

/// Installs the tracer alone, for a command-line tool that logs no
/// `tracing` events (`asynchronio publish`); a configuration problem is
/// printed to stderr and the command runs untraced. Build it before any
/// async runtime: the exporter's blocking HTTP client must not be created
/// inside one.
pub fn install_for_command() -> Telemetry {
    match install() {
        Ok((guard, _layer)) => guard,
        Err(problem) => {
            eprintln!("tracing is off: {problem}");
            Telemetry::off()
        }
    }
}

/// The remote parent `context` names.
fn parent_context(context: &TraceContext) -> Option<Context> {
    let mut parts = context.traceparent.split('-');
    let (_version, trace_id, span_id, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let span_context = SpanContext::new(
        TraceId::from_hex(trace_id).ok()?,
        SpanId::from_hex(span_id).ok()?,
        TraceFlags::new(u8::from_str_radix(flags, 16).ok()? & TraceFlags::SAMPLED.to_u8()),
        true,
        context
            .tracestate
            .as_deref()
            .and_then(|state| TraceState::from_str(state).ok())
            .unwrap_or_default(),
    );
    Some(Context::new().with_remote_span_context(span_context))
}

/// The W3C form of `span_context`, when it is valid.
fn trace_context_of(span_context: &SpanContext) -> Option<TraceContext> {
    if !span_context.is_valid() {
        return None;
    }
    let traceparent = format!(
        "00-{}-{}-{:02x}",
        span_context.trace_id(),
        span_context.span_id(),
        span_context.trace_flags().to_u8()
    );
    let state = span_context.trace_state().header();
    TraceContext::checked(&traceparent, Some(&state)).ok()
}

/// Makes `span` (a `tracing` span) a child of `context`, a remote parent
/// the caller sent. Without tracing this does nothing.
pub fn set_parent(span: &tracing::Span, context: &TraceContext) {
    if let Some(parent) = parent_context(context) {
        // Fails only when the span was already started or is disabled;
        // either way the span keeps its own parent.
        let _ = span.set_parent(parent);
    }
}

/// The trace context of `span` (a `tracing` span) to store in an
/// envelope; `None` when tracing is off.
pub fn context_of(span: &tracing::Span) -> Option<TraceContext> {
    if !enabled() {
        return None;
    }
    trace_context_of(span.context().span().span_context())
}

/// A span for one message crossing one service, started straight on the
/// tracer. It ends when dropped, or at a given time with [`Self::end_at`].
///
/// A span the sampler declined still has a context: it is written into the
/// message so that the next service declines it too.
pub struct MessageSpan {
    span: opentelemetry_sdk::trace::Span,
}

impl MessageSpan {
    /// Starts span `name` of `kind` as a child of `parent` (a root when
    /// `None`), at `start` (now when `None`). `None` when tracing is off.
    pub fn start(
        name: &'static str,
        kind: SpanKind,
        parent: Option<&TraceContext>,
        start: Option<SystemTime>,
        attributes: Vec<KeyValue>,
    ) -> Option<MessageSpan> {
        let tracer = TRACER.get()?;
        let parent = parent.and_then(parent_context).unwrap_or_default();
        let mut builder = tracer
            .span_builder(name)
            .with_kind(kind)
            .with_attributes(attributes);
        if let Some(start) = start {
            builder = builder.with_start_time(start);
        }
        Some(MessageSpan {
            span: builder.start_with_context(tracer, &parent),
        })
    }

    /// Starts a span for the message whose envelope `headers` may carry
    /// its parent. `None` when tracing is off.
    pub fn for_headers(
        name: &'static str,
        kind: SpanKind,
        headers: &[(String, String)],
        start: Option<SystemTime>,
        attributes: Vec<KeyValue>,
    ) -> Option<MessageSpan> {
        if !enabled() {
            return None;
        }
        let parent = TraceContext::from_headers(headers);
        Self::start(name, kind, parent.as_ref(), start, attributes)
    }

    /// Starts span `name` for a message about to be published on
    /// `channel`, a child of `parent` (the context the publisher sent, if
    /// any), and stamps the draft's `headers` with its context; with
    /// tracing off, `parent` is stamped as it came, so services that do
    /// trace still join the publisher's trace. The one way every publisher
    /// (the gateway's client publish, the bridge, the CLI) starts its span.
    pub fn stamp(
        name: &'static str,
        kind: SpanKind,
        parent: Option<TraceContext>,
        channel: &str,
        mut attributes: Vec<KeyValue>,
        headers: &mut Vec<(String, String)>,
    ) -> Option<MessageSpan> {
        if !enabled() {
            if let Some(parent) = parent {
                parent.write_into(headers);
            }
            return None;
        }
        attributes.push(KeyValue::new("messaging.system", "asynchronio"));
        attributes.push(KeyValue::new(
            "messaging.destination.name",
            channel.to_owned(),
        ));
        let span = Self::start(name, kind, parent.as_ref(), None, attributes)?;
        span.write_into(headers);
        Some(span)
    }

    /// Whether the span is sampled (its attributes and events are kept).
    pub fn is_recording(&self) -> bool {
        self.span.is_recording()
    }

    /// The context to give the messages this span publishes.
    pub fn trace_context(&self) -> Option<TraceContext> {
        trace_context_of(self.span.span_context())
    }

    /// Writes this span's context into `headers` (an envelope draft's),
    /// replacing any there.
    pub fn write_into(&self, headers: &mut Vec<(String, String)>) {
        if let Some(context) = self.trace_context() {
            context.write_into(headers);
        }
    }

    /// Sets an attribute.
    pub fn set_attribute(&mut self, attribute: KeyValue) {
        self.span.set_attribute(attribute);
    }

    /// Records event `name` at `at`.
    pub fn add_event_at(&mut self, name: &'static str, at: SystemTime, attributes: Vec<KeyValue>) {
        self.span.add_event_with_timestamp(name, at, attributes);
    }

    /// Marks the span failed, with `description`.
    pub fn set_error(&mut self, description: impl Into<String>) {
        self.span
            .set_status(opentelemetry::trace::Status::error(description.into()));
    }

    /// Ends the span at `at`.
    pub fn end_at(mut self, at: SystemTime) {
        self.span.end_with_timestamp(at);
    }
}
