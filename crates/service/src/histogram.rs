//! [`LatencyHistogram`]: a fixed-bucket latency histogram kept in plain
//! atomics, for latencies recorded on a hot path (the gateway's delivery
//! latency: up to a million samples a second).
//!
//! Why not the exporter's histogram: `metrics-exporter-prometheus` keeps
//! every sample in a buffer until its upkeep folds it into the buckets, so a
//! sample costs a push (and memory) per record. Here a record is two relaxed
//! atomic adds (its bucket and the sum), whatever the rate, and memory is
//! fixed: one counter per bucket of [`BUCKETS_MICROS`] plus `+Inf`, and
//! the sum. The count is not a third counter: it is the sum of the
//! buckets, so `_count` always equals the `+Inf` bucket in a scrape even
//! while records land concurrently.
//!
//! A histogram lives in a `static` ([`LatencyHistogram::new`] is `const`)
//! and is rendered into `GET /metrics` once [`crate::metrics::register`]ed.
//! [`LatencyHistogram::snapshot`] reads it for other uses (the Nodes
//! page's p50/p99: two snapshots a few seconds apart, their difference
//! [`LatencySnapshot::since`], its [`LatencySnapshot::quantile`]).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// The upper bounds of the buckets, in microseconds: 0.1 ms to 10 s. The
/// one home of the buckets of every histogram: the exporter's
/// ([`crate::metrics::BUCKETS_SECONDS`]) are these, in seconds.
pub const BUCKETS_MICROS: [u64; BUCKETS] = [
    100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
    1_000_000, 2_500_000, 5_000_000, 10_000_000,
];

/// How many finite buckets there are (the `+Inf` bucket comes after them).
pub const BUCKETS: usize = 16;

/// [`BUCKETS_MICROS`] in seconds, computed at compile time.
pub const BUCKETS_SECONDS: [f64; BUCKETS] = {
    let mut seconds = [0.0; BUCKETS];
    let mut i = 0;
    while i < BUCKETS {
        // Bounds are at most 10^7 µs: exact in an f64.
        #[allow(clippy::cast_precision_loss)]
        let micros = BUCKETS_MICROS[i] as f64;
        seconds[i] = micros / 1_000_000.0;
        i += 1;
    }
    seconds
};

/// A latency histogram with the fixed buckets [`BUCKETS_MICROS`], updated
/// with relaxed atomic adds only.
pub struct LatencyHistogram {
    name: &'static str,
    help: &'static str,
    /// Per bucket (not cumulative), the last one `+Inf`.
    buckets: [AtomicU64; BUCKETS + 1],
    /// Sum of every recorded latency, in microseconds (saturating at about
    /// 584 000 years of latency).
    sum_micros: AtomicU64,
}

impl LatencyHistogram {
    /// An empty histogram exported as `name` (a Prometheus metric name,
    /// ending in `_seconds`) with `help` as its HELP text.
    pub const fn new(name: &'static str, help: &'static str) -> Self {
        Self {
            name,
            help,
            buckets: [const { AtomicU64::new(0) }; BUCKETS + 1],
            sum_micros: AtomicU64::new(0),
        }
    }

    /// The metric's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Records `n` observations of `micros` microseconds each: two relaxed
    /// atomic adds, no lock, no allocation.
    pub fn record_many_us(&self, micros: u64, n: u64) {
        if n == 0 {
            return;
        }
        self.buckets[bucket_of(micros)].fetch_add(n, Ordering::Relaxed);
        self.sum_micros
            .fetch_add(micros.saturating_mul(n), Ordering::Relaxed);
    }

    /// The counts so far. Each counter is read once; records landing during
    /// the read are either in it or in the next one.
    pub fn snapshot(&self) -> LatencySnapshot {
        let mut buckets = [0; BUCKETS + 1];
        for (count, bucket) in buckets.iter_mut().zip(&self.buckets) {
            *count = bucket.load(Ordering::Relaxed);
        }
        LatencySnapshot {
            buckets,
            sum_micros: self.sum_micros.load(Ordering::Relaxed),
        }
    }

    /// Appends the histogram in the Prometheus text exposition format
    /// (HELP, TYPE, cumulative `_bucket{le=..}` up to `+Inf`, `_sum`,
    /// `_count`) to `out`.
    pub fn render_into(&self, out: &mut String) {
        let snapshot = self.snapshot();
        let name = self.name;
        // Writing to a String cannot fail.
        let _ = writeln!(out, "# HELP {name} {}", escape_help(self.help));
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0_u64;
        for (bound, count) in BUCKETS_SECONDS.iter().zip(&snapshot.buckets) {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let count = snapshot.count();
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(out, "{name}_sum {}", snapshot.sum_seconds());
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// The bucket a latency of `micros` falls in: the first whose upper bound
/// is at least `micros` (Prometheus's `le` is inclusive), else `+Inf`.
fn bucket_of(micros: u64) -> usize {
    BUCKETS_MICROS.partition_point(|&bound| bound < micros)
}

/// HELP text escaped as the text format requires (backslash, newline).
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A [`LatencyHistogram`]'s counts at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LatencySnapshot {
    /// Per bucket (not cumulative), the last one `+Inf`.
    buckets: [u64; BUCKETS + 1],
    sum_micros: u64,
}

impl LatencySnapshot {
    /// How many observations.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }

    /// The sum of every observation, in seconds.
    pub fn sum_seconds(&self) -> f64 {
        // Precise to the microsecond up to 2^53 µs (285 years).
        #[allow(clippy::cast_precision_loss)]
        let micros = self.sum_micros as f64;
        micros / 1_000_000.0
    }

    /// Observations per bucket (not cumulative), the last one `+Inf`.
    pub fn bucket_counts(&self) -> &[u64; BUCKETS + 1] {
        &self.buckets
    }

    /// The `q`-quantile (0 ≤ q ≤ 1) in seconds, estimated as Prometheus's
    /// `histogram_quantile` does: find the bucket holding the rank
    /// `q × count`, then interpolate linearly between its lower bound (the
    /// previous bucket's upper bound, 0 for the first) and its upper
    /// bound. A rank in the `+Inf` bucket answers the highest finite bound
    /// (10 s): "at least that". `None` without observations or for `q`
    /// outside [0, 1].
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if !(0.0..=1.0).contains(&q) {
            return None;
        }
        let count = self.count();
        if count == 0 {
            return None;
        }
        #[allow(clippy::cast_precision_loss)]
        let rank = q * count as f64;
        let mut below = 0_u64;
        for (i, &in_bucket) in self.buckets.iter().enumerate() {
            let through = below + in_bucket;
            #[allow(clippy::cast_precision_loss)]
            if in_bucket > 0 && rank <= through as f64 {
                let Some(&upper) = BUCKETS_SECONDS.get(i) else {
                    // The +Inf bucket.
                    return Some(BUCKETS_SECONDS[BUCKETS - 1]);
                };
                let lower = if i == 0 { 0.0 } else { BUCKETS_SECONDS[i - 1] };
                let within = ((rank - below as f64) / in_bucket as f64).clamp(0.0, 1.0);
                return Some(lower + (upper - lower) * within);
            }
            below = through;
        }
        // Unreachable for q ≤ 1: the last non-empty bucket holds rank count.
        Some(BUCKETS_SECONDS[BUCKETS - 1])
    }

    /// What was recorded after `earlier` (a snapshot of the same histogram
    /// taken before this one): the latency over that interval. Counters
    /// only grow, so each difference saturates at 0 if `earlier` is not in
    /// fact earlier.
    #[must_use]
    pub fn since(&self, earlier: &LatencySnapshot) -> LatencySnapshot {
        let mut buckets = [0; BUCKETS + 1];
        for ((out, now), then) in buckets.iter_mut().zip(&self.buckets).zip(&earlier.buckets) {
            *out = now.saturating_sub(*then);
        }
        LatencySnapshot {
            buckets,
            sum_micros: self.sum_micros.saturating_sub(earlier.sum_micros),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_bounds_are_inclusive_and_ordered() {
        assert!(BUCKETS_MICROS.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(100), 0, "le is inclusive");
        assert_eq!(bucket_of(101), 1);
        assert_eq!(bucket_of(250), 1);
        assert_eq!(bucket_of(1_000), 3);
        assert_eq!(bucket_of(10_000_000), BUCKETS - 1);
        assert_eq!(bucket_of(10_000_001), BUCKETS, "+Inf");
        assert_eq!(bucket_of(u64::MAX), BUCKETS);
    }

    #[test]
    fn seconds_mirror_micros() {
        assert!((BUCKETS_SECONDS[0] - 0.0001).abs() < 1e-12);
        assert!((BUCKETS_SECONDS[BUCKETS - 1] - 10.0).abs() < 1e-12);
    }

    #[test]
    fn records_count_and_sum() {
        static H: LatencyHistogram = LatencyHistogram::new("t_seconds", "t");
        H.record_many_us(2_000, 3);
        H.record_many_us(50, 1);
        H.record_many_us(7, 0);
        let s = H.snapshot();
        assert_eq!(s.count(), 4);
        assert!((s.sum_seconds() - 0.00605).abs() < 1e-12);
        assert_eq!(s.bucket_counts()[0], 1);
        assert_eq!(s.bucket_counts()[4], 3);
    }

    #[test]
    fn quantiles_interpolate_within_the_bucket() {
        let h = LatencyHistogram::new("q_seconds", "q");
        assert_eq!(h.snapshot().quantile(0.5), None, "no observations");
        // 10 observations in (1 ms, 2.5 ms].
        h.record_many_us(2_000, 10);
        let s = h.snapshot();
        // Rank 5 of 10 in the bucket: half-way from 1 ms to 2.5 ms.
        let p50 = s.quantile(0.5).unwrap_or(f64::NAN);
        assert!((p50 - 0.00175).abs() < 1e-9, "{p50}");
        let p100 = s.quantile(1.0).unwrap_or(f64::NAN);
        assert!((p100 - 0.0025).abs() < 1e-9, "{p100}");
        assert_eq!(s.quantile(1.5), None);
        assert_eq!(s.quantile(f64::NAN), None);
        // 90 more in the first bucket: p50 is now there, p99 still above.
        h.record_many_us(10, 90);
        let s = h.snapshot();
        let p50 = s.quantile(0.5).unwrap_or(f64::NAN);
        assert!(p50 > 0.0 && p50 <= 0.0001, "{p50}");
        let p99 = s.quantile(0.99).unwrap_or(f64::NAN);
        assert!(p99 > 0.001 && p99 <= 0.0025, "{p99}");
    }

    #[test]
    fn a_quantile_past_the_last_bound_is_the_last_bound() {
        let h = LatencyHistogram::new("inf_seconds", "inf");
        h.record_many_us(60_000_000, 2);
        assert_eq!(h.snapshot().quantile(0.5), Some(10.0));
    }

    #[test]
    fn since_is_the_interval_between_snapshots() {
        let h = LatencyHistogram::new("since_seconds", "since");
        h.record_many_us(30_000_000, 5);
        let earlier = h.snapshot();
        h.record_many_us(200, 4);
        let interval = h.snapshot().since(&earlier);
        assert_eq!(interval.count(), 4);
        assert!((interval.sum_seconds() - 0.0008).abs() < 1e-12);
        // Only the interval's observations: its p99 is sub-millisecond,
        // though the histogram's is past 10 s.
        let p99 = interval.quantile(0.99).unwrap_or(f64::NAN);
        assert!(p99 <= 0.00025, "{p99}");
        assert_eq!(earlier.since(&h.snapshot()).count(), 0, "saturates");
    }
}
