//! Counters exported at `GET /metrics` in the Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Request and publish counters for this process.
pub struct Metrics {
    started: Instant,
    /// Responses by status class: 2xx, 3xx, 4xx, 5xx.
    responses: [AtomicU64; 4],
    pub published: AtomicU64,
    pub publish_failures: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            started: Instant::now(),
            responses: Default::default(),
            published: AtomicU64::new(0),
            publish_failures: AtomicU64::new(0),
        }
    }
}

impl Metrics {
    pub fn count_response(&self, status: u16) {
        if let Some(slot) = (status / 100)
            .checked_sub(2)
            .and_then(|i| self.responses.get(i as usize))
        {
            slot.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The exposition text.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(1024);
        let _ = writeln!(
            out,
            "# HELP asynchronio_rest_responses_total HTTP responses by status class."
        );
        let _ = writeln!(out, "# TYPE asynchronio_rest_responses_total counter");
        for (i, class) in ["2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
            let _ = writeln!(
                out,
                "asynchronio_rest_responses_total{{class=\"{class}\"}} {}",
                self.responses[i].load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(
            out,
            "# HELP asynchronio_rest_published_total Messages published through the API."
        );
        let _ = writeln!(out, "# TYPE asynchronio_rest_published_total counter");
        let _ = writeln!(
            out,
            "asynchronio_rest_published_total {}",
            self.published.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP asynchronio_rest_publish_failures_total Publishes that failed."
        );
        let _ = writeln!(
            out,
            "# TYPE asynchronio_rest_publish_failures_total counter"
        );
        let _ = writeln!(
            out,
            "asynchronio_rest_publish_failures_total {}",
            self.publish_failures.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP asynchronio_rest_uptime_seconds Seconds since start."
        );
        let _ = writeln!(out, "# TYPE asynchronio_rest_uptime_seconds gauge");
        let _ = writeln!(
            out,
            "asynchronio_rest_uptime_seconds {}",
            self.started.elapsed().as_secs()
        );
        out
    }
}
