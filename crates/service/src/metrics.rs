//! Prometheus metrics, one home for every service: [`install`] sets the
//! process-wide recorder of the `metrics` crate (exported by
//! `metrics-exporter-prometheus`, without its own HTTP listener) and returns
//! a [`MetricsHandle`] whose [`MetricsHandle::render`] is the body of
//! `GET /metrics`.
//!
//! Services resolve their `Counter`/`Gauge`/`Histogram` handles once (at
//! start, into a struct) and record through them: an increment is an atomic
//! add, a histogram sample a lock-free push drained by a background upkeep
//! thread every [`UPKEEP_INTERVAL`], so memory stays bounded without a
//! scrape. Every histogram has the buckets [`BUCKETS_SECONDS`] (0.1 ms to
//! 10 s), rendered as a Prometheus histogram (not a summary).
//!
//! A histogram recorded on a hot path is a [`LatencyHistogram`] instead (a
//! fixed-bucket histogram in atomics, no per-sample buffer): [`register`]
//! it and [`MetricsHandle::render`] appends it after the exporter's text.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::histogram::LatencyHistogram;

/// The buckets, in seconds, of every histogram: 0.1 ms to 10 s (defined
/// once, in [`crate::histogram::BUCKETS_MICROS`]).
pub const BUCKETS_SECONDS: &[f64] = &crate::histogram::BUCKETS_SECONDS;

/// How often histogram samples are folded into their buckets.
pub const UPKEEP_INTERVAL: Duration = Duration::from_secs(1);

/// The content type of the Prometheus text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

static HANDLE: OnceLock<MetricsHandle> = OnceLock::new();

/// Renders the process's metrics in the Prometheus text format.
#[derive(Clone)]
pub struct MetricsHandle {
    inner: PrometheusHandle,
}

impl MetricsHandle {
    /// The Prometheus text exposition of every metric recorded so far, the
    /// [`register`]ed histograms last.
    pub fn render(&self) -> String {
        let mut text = self.inner.render();
        for histogram in registered() {
            histogram.render_into(&mut text);
        }
        text
    }
}

/// The histograms [`register`]ed, rendered by every [`MetricsHandle`].
/// A lock taken at registration and per scrape, never per record.
static REGISTERED: std::sync::Mutex<Vec<&'static LatencyHistogram>> =
    std::sync::Mutex::new(Vec::new());

/// Adds `histogram` to every `/metrics` rendering (once: registering it
/// again, or another histogram of the same name, changes nothing, so a
/// name is never exported twice).
pub fn register(histogram: &'static LatencyHistogram) {
    let mut registered = REGISTERED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if registered
        .iter()
        .all(|known| known.name() != histogram.name())
    {
        registered.push(histogram);
    }
}

fn registered() -> Vec<&'static LatencyHistogram> {
    REGISTERED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// Installs the process-wide recorder (once; later calls return the same
/// handle) and starts its upkeep thread. Call it before resolving any
/// metric handle: a handle resolved earlier records nowhere.
pub fn install() -> anyhow::Result<MetricsHandle> {
    // One install at a time, so the handle is published only once its
    // recorder really is the global one (a std Mutex: this runs once, at
    // start-up, outside any async task).
    static INSTALLING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _installing = INSTALLING
        .lock()
        .map_err(|_| anyhow::anyhow!("a metrics install panicked"))?;
    if let Some(handle) = HANDLE.get() {
        return Ok(handle.clone());
    }
    let recorder = PrometheusBuilder::new()
        .set_buckets(BUCKETS_SECONDS)?
        .build_recorder();
    let handle = MetricsHandle {
        inner: recorder.handle(),
    };
    metrics::set_global_recorder(recorder).map_err(|error| {
        anyhow::anyhow!(
            "another metrics recorder is installed, so /metrics would stay empty: {error}"
        )
    })?;
    // Only after the recorder is installed: a handle in HANDLE always
    // renders what the process records.
    let _ = HANDLE.set(handle.clone());
    let upkeep = handle.inner.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_INTERVAL);
                upkeep.run_upkeep();
            }
        })?;
    Ok(handle)
}

/// The handle [`install`] returned, if it was called.
pub fn handle() -> Option<MetricsHandle> {
    HANDLE.get().cloned()
}

/// Seconds since `ts_ms` (milliseconds since the Unix epoch, e.g. an
/// envelope's publish time), or 0 when that is in the future (clock skew).
pub fn seconds_since_unix_ms(ts_ms: u64) -> f64 {
    seconds_from_unix_ms(ts_ms, asynchronio_protocol::clock::now_us())
}

/// Seconds from `ts_ms` (milliseconds since the Unix epoch) to `now_us`
/// (microseconds since it, read once for a batch), or 0 when `ts_ms` is
/// later (clock skew).
pub fn seconds_from_unix_ms(ts_ms: u64, now_us: u64) -> f64 {
    // Microseconds fit an f64 exactly for a very long time.
    #[allow(clippy::cast_precision_loss)]
    let seconds = micros_from_unix_ms(ts_ms, now_us) as f64 / 1_000_000.0;
    seconds
}

/// Microseconds from `ts_ms` (milliseconds since the Unix epoch) to
/// `now_us` (microseconds since it), or 0 when `ts_ms` is later (clock
/// skew): the one latency computation, what a [`LatencyHistogram`]
/// records.
pub fn micros_from_unix_ms(ts_ms: u64, now_us: u64) -> u64 {
    now_us.saturating_sub(ts_ms.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_help_counters_and_histogram_buckets() -> anyhow::Result<()> {
        let handle = install()?;
        metrics::describe_counter!("test_things_total", "Things counted by the test.");
        metrics::describe_histogram!(
            "test_latency_seconds",
            metrics::Unit::Seconds,
            "Latency seen by the test."
        );
        let counter = metrics::counter!("test_things_total");
        let histogram = metrics::histogram!("test_latency_seconds");
        counter.increment(3);
        histogram.record(0.0002);
        histogram.record_many(2.0, 2);
        let text = handle.render();
        assert!(
            text.contains("# HELP test_things_total Things counted by the test."),
            "{text}"
        );
        assert!(text.contains("test_things_total 3"), "{text}");
        assert!(
            text.contains("# TYPE test_latency_seconds histogram"),
            "{text}"
        );
        assert!(
            text.contains("test_latency_seconds_bucket{le=\"0.00025\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("test_latency_seconds_bucket{le=\"2.5\"} 3"),
            "{text}"
        );
        assert!(text.contains("test_latency_seconds_count 3"), "{text}");
        Ok(())
    }

    #[test]
    fn seconds_since_is_never_negative() {
        assert!(seconds_since_unix_ms(u64::MAX / 2000).abs() < f64::EPSILON);
        assert!(seconds_since_unix_ms(0) > 1.0e9);
    }
}
