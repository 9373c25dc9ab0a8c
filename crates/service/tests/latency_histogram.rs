//! A registered [`LatencyHistogram`] in `GET /metrics`: read back with a
//! real Prometheus text-format parser. (Its own test binary, so it installs
//! the process's one recorder without meeting other tests' metrics.)

use asynchronio_service::histogram::LatencyHistogram;
use prometheus_parse::{Scrape, Value};

static LATENCY: LatencyHistogram = LatencyHistogram::new(
    "test_delivery_latency_seconds",
    "Time from publish to flush, as a test records it.",
);

#[test]
fn a_registered_histogram_renders_as_a_prometheus_histogram() -> anyhow::Result<()> {
    let handle = asynchronio_service::metrics::install()?;
    asynchronio_service::metrics::register(&LATENCY);
    // Registering again must not export the name twice.
    asynchronio_service::metrics::register(&LATENCY);
    metrics::counter!("test_other_total").increment(2);
    LATENCY.record_many_us(80, 2); // le 0.0001
    LATENCY.record_many_us(3_000, 5); // le 0.005
    LATENCY.record_many_us(20_000_000, 1); // +Inf
    let text = handle.render();
    assert_eq!(
        text.matches("# TYPE test_delivery_latency_seconds histogram")
            .count(),
        1,
        "{text}"
    );
    let scrape = Scrape::parse(text.lines().map(|line| Ok(line.to_owned())))?;
    let sample = scrape
        .samples
        .iter()
        .find(|sample| sample.metric == "test_delivery_latency_seconds")
        .ok_or_else(|| anyhow::anyhow!("no histogram in {text}"))?;
    let Value::Histogram(buckets) = &sample.value else {
        anyhow::bail!("not a histogram: {:?}", sample.value);
    };
    assert_eq!(buckets.len(), 17, "16 bounds and +Inf: {text}");
    let at = |le: f64| {
        buckets
            .iter()
            .find(|bucket| bucket.less_than == le || (bucket.less_than - le).abs() < 1e-12)
            .map(|bucket| bucket.count)
    };
    assert_eq!(at(0.0001), Some(2.0), "{text}");
    assert_eq!(at(0.0025), Some(2.0), "cumulative: {text}");
    assert_eq!(at(0.005), Some(7.0), "{text}");
    assert_eq!(at(10.0), Some(7.0), "{text}");
    assert_eq!(at(f64::INFINITY), Some(8.0), "{text}");
    let scalar = |name: &str| {
        scrape
            .samples
            .iter()
            .find(|sample| sample.metric == name)
            .and_then(|sample| match sample.value {
                Value::Untyped(v) | Value::Counter(v) | Value::Gauge(v) => Some(v),
                _ => None,
            })
    };
    assert_eq!(scalar("test_delivery_latency_seconds_count"), Some(8.0));
    let sum = scalar("test_delivery_latency_seconds_sum").unwrap_or(f64::NAN);
    assert!((sum - 20.01516).abs() < 1e-9, "{sum}");
    assert_eq!(
        scrape
            .docs
            .get("test_delivery_latency_seconds")
            .map(String::as_str),
        Some("Time from publish to flush, as a test records it.")
    );
    assert_eq!(scalar("test_other_total"), Some(2.0), "exporter text kept");
    Ok(())
}
