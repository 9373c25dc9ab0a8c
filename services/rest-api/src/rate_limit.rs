//! Per-caller rate limiting: a token bucket per API key (or per client
//! address for anonymous calls). Over the limit a request gets 429 with
//! `Retry-After`, before any work is done.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use parking_lot::Mutex;

/// Buckets kept at most; idle ones are dropped beyond this.
const MAX_BUCKETS: usize = 100_000;

struct Bucket {
    tokens: f64,
    updated: Instant,
}

pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// `per_second` requests per caller, with bursts of the same size;
    /// 0 turns limiting off.
    pub fn new(per_second: u32) -> Self {
        Self {
            per_second: f64::from(per_second),
            burst: f64::from(per_second.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The caller a request counts against.
    pub fn caller_key(authorization: Option<&str>, peer: Option<IpAddr>) -> String {
        match authorization {
            // The key id part is enough and avoids keeping secrets around.
            Some(auth) => format!("auth:{}", auth.get(..40).unwrap_or(auth)),
            None => format!(
                "ip:{}",
                peer.map_or_else(|| "unknown".into(), |ip| ip.to_string())
            ),
        }
    }

    /// `Ok` when the request may go ahead, else the seconds to wait.
    pub fn check(&self, caller: &str) -> Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock();
        if buckets.len() >= MAX_BUCKETS {
            let burst = self.burst;
            let rate = self.per_second;
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.updated).as_secs_f64() * rate < burst
            });
        }
        let bucket = buckets.entry(caller.to_owned()).or_insert(Bucket {
            tokens: self.burst,
            updated: now,
        });
        let refill = now.duration_since(bucket.updated).as_secs_f64() * self.per_second;
        bucket.tokens = (bucket.tokens + refill).min(self.burst);
        bucket.updated = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_then_refuses_then_refills() {
        let limiter = RateLimiter::new(5);
        for _ in 0..5 {
            assert!(limiter.check("a").is_ok());
        }
        assert_eq!(limiter.check("a"), Err(1));
        assert!(limiter.check("b").is_ok(), "callers are limited separately");
        std::thread::sleep(std::time::Duration::from_millis(250));
        assert!(limiter.check("a").is_ok(), "tokens come back over time");
        assert!(RateLimiter::new(0).check("a").is_ok());
    }
}
