//! Scraping a service's `GET /metrics` and reading it with a real
//! Prometheus text-format parser (`prometheus-parse`).

use std::time::Duration;

use prometheus_parse::{Sample, Scrape, Value};

/// One parsed scrape.
pub struct Metrics {
    /// What the parser read.
    pub scrape: Scrape,
    /// The body as served.
    pub text: String,
}

/// Scrapes `GET /metrics` on 127.0.0.1:`port`; fails the test unless it
/// answers 200 with a body the parser reads.
pub fn scrape(port: u16) -> Metrics {
    let response = crate::http::request(port, "GET", "/metrics", &[], b"");
    let text = response.text();
    assert_eq!(response.status, 200, "GET /metrics: {text}");
    assert!(
        response
            .header("content-type")
            .is_some_and(|value| value.starts_with("text/plain")),
        "content type of /metrics: {:?}",
        response.header("content-type")
    );
    let scrape = crate::setup!(
        Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))),
        "parse /metrics"
    );
    Metrics { scrape, text }
}

impl Metrics {
    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.scrape.samples.iter().filter(move |sample| {
            sample.metric == name
                && labels
                    .iter()
                    .all(|(key, value)| sample.labels.get(key) == Some(*value))
        })
    }

    /// The value of counter or gauge `name` with `labels` (summed over any
    /// other labels); 0 when absent (not yet recorded).
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels)
            .map(|sample| match &sample.value {
                Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => *v,
                other => panic!("{name} is not a counter or gauge: {other:?}"),
            })
            .sum()
    }

    /// Whether a sample called `name` is present.
    pub fn has(&self, name: &str) -> bool {
        self.matching(name, &[]).next().is_some()
    }

    /// Histogram `name`'s observation count (its `+Inf` bucket, which must
    /// equal its `_count`); 0 when absent.
    pub fn histogram_count(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let from_buckets: f64 = self
            .matching(name, labels)
            .map(|sample| match &sample.value {
                Value::Histogram(buckets) => buckets
                    .iter()
                    .find(|bucket| bucket.less_than.is_infinite())
                    .map_or(0.0, |bucket| bucket.count),
                other => panic!("{name} is not a histogram: {other:?}"),
            })
            .sum();
        let count = self.value(&format!("{name}_count"), labels);
        assert!(
            (from_buckets - count).abs() < f64::EPSILON,
            "{name}: +Inf bucket {from_buckets} but _count {count}"
        );
        count
    }

    /// Histogram `name`'s bucket upper bounds.
    pub fn histogram_bounds(&self, name: &str) -> Vec<f64> {
        match self.matching(name, &[]).next().map(|sample| &sample.value) {
            Some(Value::Histogram(buckets)) => buckets.iter().map(|b| b.less_than).collect(),
            other => panic!("{name} is not a histogram: {other:?}"),
        }
    }

    /// Histogram `name`'s cumulative buckets as (upper bound, count), in
    /// the order served.
    pub fn histogram_buckets(&self, name: &str) -> Vec<(f64, f64)> {
        match self.matching(name, &[]).next().map(|sample| &sample.value) {
            Some(Value::Histogram(buckets)) => {
                buckets.iter().map(|b| (b.less_than, b.count)).collect()
            }
            other => panic!("{name} is not a histogram: {other:?}"),
        }
    }

    /// Fails the test unless `name` has non-empty HELP text.
    pub fn assert_help(&self, name: &str) {
        assert!(
            self.scrape
                .docs
                .get(name)
                .is_some_and(|help| !help.is_empty()),
            "{name} has no HELP text:\n{}",
            self.text
        );
    }
}

/// Scrapes until `done` holds for a scrape (events are recorded just after
/// the client saw them), or fails the test after 10 s showing the last.
pub async fn scrape_until(port: u16, what: &str, done: impl Fn(&Metrics) -> bool) -> Metrics {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let metrics = scrape(port);
        if done(&metrics) {
            return metrics;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} never held; last scrape:\n{}",
            metrics.text
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
