//! The REST API's Prometheus metrics, exported at `GET /metrics` through
//! the shared recorder (`asynchronio_service::metrics`). The handles are
//! resolved once into [`Metrics`]; the request-duration histogram, labelled
//! by route and status, is looked up per request (a request is far rarer
//! than a delivery).

use std::time::{Duration, Instant};

use metrics::{Counter, Gauge, Unit};

/// Responses by status class.
pub const RESPONSES: &str = "asynchronio_rest_responses_total";
/// Messages published through the API.
pub const PUBLISHED: &str = "asynchronio_rest_published_total";
/// Publishes that failed.
pub const PUBLISH_FAILURES: &str = "asynchronio_rest_publish_failures_total";
/// Seconds since start.
pub const UPTIME: &str = "asynchronio_rest_uptime_seconds";
/// Request duration by route and status.
pub const REQUEST_DURATION: &str = "asynchronio_rest_request_duration_seconds";
/// Requests refused with 429.
pub const RATE_LIMITED: &str = "asynchronio_rest_rate_limited_requests_total";

/// Request and publish counters for this process.
pub struct Metrics {
    started: Instant,
    /// Responses by status class: 2xx, 3xx, 4xx, 5xx.
    responses: [Counter; 4],
    /// Messages published (one per message of a batch or broadcast).
    pub published: Counter,
    /// Publishes that failed.
    pub publish_failures: Counter,
    rate_limited: Counter,
    uptime: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        metrics::describe_counter!(RESPONSES, "HTTP responses by status class.");
        metrics::describe_counter!(PUBLISHED, "Messages published through the API.");
        metrics::describe_counter!(PUBLISH_FAILURES, "Publishes that failed.");
        metrics::describe_gauge!(UPTIME, Unit::Seconds, "Seconds since start.");
        metrics::describe_histogram!(
            REQUEST_DURATION,
            Unit::Seconds,
            "HTTP request duration, by route pattern (parameters written :name; unmatched: no route, or refused before routing) and status code."
        );
        metrics::describe_counter!(
            RATE_LIMITED,
            "Requests refused with 429 by the per-address or per-key rate limit."
        );
        Self {
            started: Instant::now(),
            responses: ["2xx", "3xx", "4xx", "5xx"]
                .map(|class| metrics::counter!(RESPONSES, "class" => class)),
            published: metrics::counter!(PUBLISHED),
            publish_failures: metrics::counter!(PUBLISH_FAILURES),
            rate_limited: metrics::counter!(RATE_LIMITED),
            uptime: metrics::gauge!(UPTIME),
        }
    }
}

impl Metrics {
    /// Counts a response by its status class.
    pub fn count_response(&self, status: u16) {
        if let Some(counter) = (status / 100)
            .checked_sub(2)
            .and_then(|i| self.responses.get(i as usize))
        {
            counter.increment(1);
        }
    }

    /// Counts a request the rate limits refused.
    pub fn count_rate_limited(&self) {
        self.rate_limited.increment(1);
    }

    /// Records how long a request to `route` took to answer with `status`.
    pub fn request_finished(&self, route: Option<String>, status: u16, took: Duration) {
        // `{channel}` is written `:channel`: label values without braces
        // read the same in every exposition parser.
        let route = route.map_or_else(
            || "unmatched".to_owned(),
            |route| route.replace('{', ":").replace('}', ""),
        );
        metrics::histogram!(REQUEST_DURATION, "route" => route, "status" => status.to_string())
            .record(took.as_secs_f64());
    }

    /// The exposition text (every metric of the process).
    pub fn render(&self) -> String {
        self.uptime.set(self.started.elapsed().as_secs() as f64);
        asynchronio_service::metrics::handle()
            .map(|handle| handle.render())
            .unwrap_or_default()
    }
}
