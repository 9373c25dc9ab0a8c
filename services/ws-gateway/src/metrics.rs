//! The gateway's Prometheus metrics, resolved once into [`GatewayMetrics`]
//! (see [`get`]) so that recording is an atomic add on a cached handle.
//! Labelled counters whose label is only known at the event (close code,
//! error code, recovery result) are looked up then: those events are per
//! connection or per frame, never per delivery.
//!
//! What the gateway also reads itself (the Nodes page heartbeat, through
//! [`read`]) lives in plain atomics here, not in the exporter: the gauges
//! (connections open, subscriptions, channels), updated where they change
//! (connect and close, the hub's join and leave) so a scrape never takes
//! the hub's lock; the deliveries counter; and the delivery latency, a
//! [`LatencyHistogram`] (a fixed-bucket histogram in atomics: the
//! exporter's keeps one sample per record). [`refresh`] copies the
//! atomics into the exporter's gauges and counter when `/metrics` is
//! served; the histogram renders itself.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use asynchronio_protocol::ErrorCode;
use asynchronio_service::histogram::{LatencyHistogram, LatencySnapshot};
use metrics::{Counter, Gauge, Unit};

/// Connections open now.
pub const CONNECTIONS_OPEN: &str = "asynchronio_gateway_connections_open";
/// WebSocket connections opened.
pub const CONNECTIONS_OPENED: &str = "asynchronio_gateway_connections_opened_total";
/// Connections closed, by close code.
pub const CONNECTIONS_CLOSED: &str = "asynchronio_gateway_connections_closed_total";
/// Subscriptions held by connections now.
pub const SUBSCRIPTIONS: &str = "asynchronio_gateway_subscriptions";
/// Channels with local subscribers now.
pub const CHANNELS: &str = "asynchronio_gateway_channels";
/// Messages written to clients.
pub const DELIVERIES: &str = "asynchronio_gateway_deliveries_total";
/// Bytes of delivery frames written to clients.
pub const BYTES_WRITTEN: &str = "asynchronio_gateway_written_bytes_total";
/// Publish time to frame flushed.
pub const DELIVERY_LATENCY: &str = "asynchronio_gateway_delivery_latency_seconds";
/// Connections cut off for falling behind.
pub const SLOW_CONSUMERS: &str = "asynchronio_gateway_slow_consumer_disconnects_total";
/// Gaps in live delivery filled from a channel's stream.
pub const GAP_FILLS: &str = "asynchronio_gateway_gap_fills_total";
/// Subscribes with `since`, by result.
pub const RECOVERIES: &str = "asynchronio_gateway_recoveries_total";
/// Reconnections of the pub/sub connection to Redis.
pub const REDIS_RECONNECTS: &str = "asynchronio_gateway_redis_reconnects_total";
/// Error frames sent to clients, by code.
pub const ERROR_FRAMES: &str = "asynchronio_gateway_error_frames_total";

/// The delivery latency: from the envelope's publish time (Redis clock,
/// ms) to its frame flushed to a live subscriber. Recovery replays are not
/// in it (their "latency" is the age of the history they replay); gap
/// fills are (late live messages, late by as much as they were).
pub static DELIVERY_LATENCY_HISTOGRAM: LatencyHistogram = LatencyHistogram::new(
    DELIVERY_LATENCY,
    "Time from a message's publish (Redis clock, ms) to its frame flushed to a live subscriber (recovery replays excluded).",
);

/// Upgraded connections open now (client protocol and echo).
static OPEN: AtomicU64 = AtomicU64::new(0);
/// Subscriptions the hub holds now (members summed over channels).
static SUBSCRIBED: AtomicU64 = AtomicU64::new(0);
/// Channels the hub serves now.
static CHANNELS_NOW: AtomicU64 = AtomicU64::new(0);
/// Messages written to clients, live and replayed.
static DELIVERED: AtomicU64 = AtomicU64::new(0);

/// What the gateway's own atomics read now, for its heartbeat.
#[derive(Clone, Copy, Debug)]
#[allow(dead_code, reason = "the Nodes page heartbeat reads every field")]
pub struct GatewayReadings {
    /// Upgraded WebSocket connections open.
    pub connections_open: u64,
    /// Subscriptions held by open connections.
    pub subscriptions: u64,
    /// Channels with at least one local subscriber.
    pub channels: u64,
    /// Messages written to clients since start (live and replayed).
    pub deliveries_total: u64,
    /// The delivery latency histogram's counts since start; two readings'
    /// [`LatencySnapshot::since`] is the latency over the interval.
    pub latency: LatencySnapshot,
}

/// Reads the gateway's counters and gauges: a few atomic loads, no lock.
pub fn read() -> GatewayReadings {
    GatewayReadings {
        connections_open: OPEN.load(Ordering::Relaxed),
        subscriptions: SUBSCRIBED.load(Ordering::Relaxed),
        channels: CHANNELS_NOW.load(Ordering::Relaxed),
        deliveries_total: DELIVERED.load(Ordering::Relaxed),
        latency: DELIVERY_LATENCY_HISTOGRAM.snapshot(),
    }
}

/// Copies the atomics into the exporter's gauges and deliveries counter;
/// called right before `/metrics` is rendered. The counter is set with
/// `absolute`: its source only grows for the life of the process.
pub fn refresh() {
    let metrics = get();
    let readings = read();
    #[allow(clippy::cast_precision_loss)]
    {
        metrics
            .connections_open
            .set(readings.connections_open as f64);
        metrics.subscriptions.set(readings.subscriptions as f64);
        metrics.channels.set(readings.channels as f64);
    }
    metrics.deliveries.absolute(readings.deliveries_total);
}

/// An upgraded connection, counted open until dropped.
pub struct OpenConnection(());

impl OpenConnection {
    /// Counts a connection opened (and open, until the value is dropped).
    pub fn opened() -> Self {
        OPEN.fetch_add(1, Ordering::Relaxed);
        get().connections_opened.increment(1);
        Self(())
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The hub gained a subscription; `new_channel` when it is the channel's
/// first (called under the hub's lock, so the gauges move with it).
pub fn joined(new_channel: bool) {
    SUBSCRIBED.fetch_add(1, Ordering::Relaxed);
    if new_channel {
        CHANNELS_NOW.fetch_add(1, Ordering::Relaxed);
    }
}

/// The hub lost a subscription; `last` when the channel went with it.
pub fn left(last: bool) {
    SUBSCRIBED.fetch_sub(1, Ordering::Relaxed);
    if last {
        CHANNELS_NOW.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Counts `messages` recovery-replayed messages of `bytes` bytes, just
/// flushed: deliveries and bytes written, not the latency histogram.
pub fn replayed(messages: u64, bytes: u64) {
    if messages > 0 {
        DELIVERED.fetch_add(messages, Ordering::Relaxed);
    }
    if bytes > 0 {
        get().bytes_written.increment(bytes);
    }
}

/// The handles every event records through, resolved once.
pub struct GatewayMetrics {
    /// See [`CONNECTIONS_OPEN`].
    pub connections_open: Gauge,
    /// See [`CONNECTIONS_OPENED`].
    pub connections_opened: Counter,
    /// See [`SUBSCRIPTIONS`].
    pub subscriptions: Gauge,
    /// See [`CHANNELS`].
    pub channels: Gauge,
    /// See [`DELIVERIES`].
    pub deliveries: Counter,
    /// See [`BYTES_WRITTEN`].
    pub bytes_written: Counter,
    /// See [`SLOW_CONSUMERS`].
    pub slow_consumers: Counter,
    /// See [`GAP_FILLS`].
    pub gap_fills: Counter,
    /// See [`REDIS_RECONNECTS`].
    pub redis_reconnects: Counter,
}

static METRICS: LazyLock<GatewayMetrics> = LazyLock::new(|| {
    describe();
    asynchronio_service::metrics::register(&DELIVERY_LATENCY_HISTOGRAM);
    GatewayMetrics {
        connections_open: metrics::gauge!(CONNECTIONS_OPEN),
        connections_opened: metrics::counter!(CONNECTIONS_OPENED),
        subscriptions: metrics::gauge!(SUBSCRIPTIONS),
        channels: metrics::gauge!(CHANNELS),
        deliveries: metrics::counter!(DELIVERIES),
        bytes_written: metrics::counter!(BYTES_WRITTEN),
        slow_consumers: metrics::counter!(SLOW_CONSUMERS),
        gap_fills: metrics::counter!(GAP_FILLS),
        redis_reconnects: metrics::counter!(REDIS_RECONNECTS),
    }
});

/// The gateway's metric handles; the first call resolves them against the
/// recorder installed then, so `main` installs it before anything records.
pub fn get() -> &'static GatewayMetrics {
    &METRICS
}

fn describe() {
    metrics::describe_gauge!(
        CONNECTIONS_OPEN,
        "WebSocket connections open (upgraded; client protocol and echo)."
    );
    metrics::describe_counter!(CONNECTIONS_OPENED, "WebSocket connections opened.");
    metrics::describe_counter!(
        CONNECTIONS_CLOSED,
        "WebSocket connections closed, by the close code the gateway sent (none: the client left first)."
    );
    metrics::describe_gauge!(
        SUBSCRIPTIONS,
        "Channel subscriptions held by open connections."
    );
    metrics::describe_gauge!(CHANNELS, "Channels with at least one local subscriber.");
    metrics::describe_counter!(
        DELIVERIES,
        "Messages written to clients (one per subscriber), live and recovery-replayed."
    );
    metrics::describe_counter!(
        BYTES_WRITTEN,
        Unit::Bytes,
        "Bytes of message and presence frames written to clients."
    );
    metrics::describe_counter!(
        SLOW_CONSUMERS,
        "Connections closed for falling behind (send queue full or a write timed out)."
    );
    metrics::describe_counter!(
        GAP_FILLS,
        "Gaps in live delivery filled by reading a channel's stream (catch-ups that delivered at least one message)."
    );
    metrics::describe_counter!(
        RECOVERIES,
        "Subscribes with since, by result: recovered, not_recovered (history trimmed or another epoch), failed (Redis unavailable)."
    );
    metrics::describe_counter!(
        REDIS_RECONNECTS,
        "Reconnections of the Redis pub/sub connection."
    );
    metrics::describe_counter!(ERROR_FRAMES, "Error frames sent to clients, by code.");
}

/// Counts a closed connection by the close code sent (`None`: no close
/// frame, the client left first).
pub fn connection_closed(code: Option<u16>) {
    let code = code.map_or_else(|| "none".to_owned(), |code| code.to_string());
    metrics::counter!(CONNECTIONS_CLOSED, "code" => code).increment(1);
}

/// Counts a subscribe with `since` by `result`.
pub fn recovery(result: &'static str) {
    metrics::counter!(RECOVERIES, "result" => result).increment(1);
}

/// Counts an error frame sent with `code`.
pub fn error_frame(code: ErrorCode) {
    metrics::counter!(ERROR_FRAMES, "code" => error_code_name(code)).increment(1);
}

/// The protocol's name for `code` (its `snake_case` wire form).
fn error_code_name(code: ErrorCode) -> &'static str {
    match code {
        ErrorCode::BadRequest => "bad_request",
        ErrorCode::InvalidFrame => "invalid_frame",
        ErrorCode::UnknownOp => "unknown_op",
        ErrorCode::InvalidChannel => "invalid_channel",
        ErrorCode::InvalidOffset => "invalid_offset",
        ErrorCode::AlreadySubscribed => "already_subscribed",
        ErrorCode::NotSubscribed => "not_subscribed",
        ErrorCode::TooManySubscriptions => "too_many_subscriptions",
        ErrorCode::PayloadTooLarge => "payload_too_large",
        ErrorCode::Unauthorized => "unauthorized",
        ErrorCode::Forbidden => "forbidden",
        ErrorCode::Unavailable => "unavailable",
        ErrorCode::RateLimited => "rate_limited",
        ErrorCode::Internal => "internal",
    }
}

/// Publish times (ms) of the messages written in one batch, recorded into
/// the latency histogram once the batch is flushed; runs of one publish
/// time are recorded together.
pub struct FlushedBatch {
    published: [u64; BATCH],
    len: usize,
    bytes: u64,
}

/// Most deliveries in one batch.
pub const BATCH: usize = 64;

impl FlushedBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self {
            published: [0; BATCH],
            len: 0,
            bytes: 0,
        }
    }

    /// Notes a message frame published at `ts_ms` of `bytes` bytes.
    pub fn message(&mut self, ts_ms: u64, bytes: usize) {
        if let Some(slot) = self.published.get_mut(self.len) {
            *slot = ts_ms;
            self.len += 1;
        }
        self.bytes += bytes as u64;
    }

    /// Notes a frame that is not a message (presence) of `bytes` bytes.
    pub fn other(&mut self, bytes: usize) {
        self.bytes += bytes as u64;
    }

    /// Records the batch: it was just flushed.
    pub fn flushed(&self) {
        if self.bytes > 0 {
            get().bytes_written.increment(self.bytes);
        }
        if self.len == 0 {
            return;
        }
        DELIVERED.fetch_add(self.len as u64, Ordering::Relaxed);
        let now_us = asynchronio_protocol::clock::now_us();
        let published = &self.published[..self.len.min(BATCH)];
        let mut start = 0;
        while let Some(&ts) = published.get(start) {
            let run = published[start..]
                .iter()
                .take_while(|&&other| other == ts)
                .count();
            // A future ts (clock skew) counts as 0.
            let latency_us = asynchronio_service::metrics::micros_from_unix_ms(ts, now_us);
            DELIVERY_LATENCY_HISTOGRAM.record_many_us(latency_us, run as u64);
            start += run;
        }
    }
}
