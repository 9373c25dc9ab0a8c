//! The one token bucket every limit in Asynchronio counts with: the
//! gateway's subscribe and publish budgets (per connection and per
//! address) and the REST API's per-caller request limits.
//!
//! A bucket starts full, refills continuously at its [`Rate`] and holds at
//! most the burst. The rate is passed to each call rather than stored in
//! the bucket: a limiter keeps one rate for thousands of buckets, and an
//! idle connection's bucket should cost only its two fields.

use std::time::Instant;

/// A sustained rate and the burst allowed above it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Tokens added per second, on average.
    pub per_second: f64,
    /// Most tokens a bucket holds: what may be spent at once.
    pub burst: f64,
}

impl Rate {
    /// `per_second` on average, `burst` at once (both at least 1).
    pub fn new(per_second: u32, burst: u32) -> Rate {
        Rate {
            per_second: f64::from(per_second.max(1)),
            burst: f64::from(burst.max(1)),
        }
    }

    /// `per_minute` on average, `burst` at once (both at least 1).
    pub fn per_minute(per_minute: u32, burst: u32) -> Rate {
        Rate {
            per_second: f64::from(per_minute.max(1)) / 60.0,
            burst: f64::from(burst.max(1)),
        }
    }
}

/// A token bucket: the tokens left and when they were last counted.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    tokens: f64,
    counted_at: Instant,
}

impl TokenBucket {
    /// A bucket holding the whole burst at `now`.
    pub fn full(rate: Rate, now: Instant) -> TokenBucket {
        TokenBucket {
            tokens: rate.burst,
            counted_at: now,
        }
    }

    /// Adds what `rate` gave since the last count, up to the burst.
    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.counted_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
        self.counted_at = now;
    }

    /// Takes one token if there is one; false (and nothing taken) if not.
    pub fn take(&mut self, rate: Rate, now: Instant) -> bool {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Seconds until the next token, as of the last count (0 when one is
    /// there now).
    pub fn seconds_to_next(&self, rate: Rate) -> f64 {
        ((1.0 - self.tokens) / rate.per_second).max(0.0)
    }

    /// Gives back one token taken earlier, up to the burst.
    pub fn refund(&mut self, rate: Rate) {
        self.tokens = (self.tokens + 1.0).min(rate.burst);
    }

    /// Whether the bucket has refilled completely by `now` (its owner was
    /// idle, so forgetting the bucket changes nothing).
    pub fn is_full(&mut self, rate: Rate, now: Instant) -> bool {
        self.refill(rate, now);
        self.tokens >= rate.burst
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_burst_then_the_rate() {
        let rate = Rate::new(2, 3);
        let start = Instant::now();
        let mut bucket = TokenBucket::full(rate, start);
        assert!(bucket.take(rate, start) && bucket.take(rate, start) && bucket.take(rate, start));
        assert!(!bucket.take(rate, start));
        assert!((bucket.seconds_to_next(rate) - 0.5).abs() < 1e-9);
        let later = start + Duration::from_millis(500);
        assert!(bucket.take(rate, later), "a token comes back at the rate");
        assert!(!bucket.take(rate, later));
        bucket.refund(rate);
        assert!(bucket.take(rate, later), "a refunded token can be spent");
        assert!(!bucket.is_full(rate, later));
        assert!(bucket.is_full(rate, later + Duration::from_secs(2)));
    }

    #[test]
    fn rates_are_at_least_one() {
        assert_eq!(
            Rate::new(0, 0),
            Rate {
                per_second: 1.0,
                burst: 1.0
            }
        );
        assert!((Rate::per_minute(30, 30).per_second - 0.5).abs() < 1e-9);
    }
}
