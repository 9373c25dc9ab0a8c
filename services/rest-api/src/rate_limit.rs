//! Per-caller rate limiting: token buckets per client address and per API
//! key. Over a limit a request gets 429 with `Retry-After`, before any work
//! is done.
//!
//! Which buckets a request spends from ([`RateLimits::admit`] and
//! [`RateLimits::settle`]):
//! - every request that is not authenticated spends from its address's
//!   bucket, whatever `Authorization` header it carries: a request with a
//!   header is let through while its address has allowance left, and spends
//!   from it when authentication fails (401), so guessing keys is limited
//!   like any anonymous traffic;
//! - a request with a header also spends from that key's bucket
//!   (`--key-rate-limit`, off by default);
//! - `POST /login` spends from the address's bucket like an anonymous
//!   request, and each refused login also from a much smaller per-address
//!   login bucket (`--login-rate-limit` per minute).

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

/// One kind of bucket, keyed by caller.
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

    /// `per_minute` requests per caller, with bursts of the same size;
    /// 0 turns limiting off.
    pub fn per_minute(per_minute: u32) -> Self {
        Self {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(per_minute.max(1)),
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

    /// `Ok` when the request may go ahead (and spends one token), else the
    /// seconds to wait.
    pub fn check(&self, caller: &str) -> Result<(), u64> {
        self.take(caller, 1.0)
    }

    /// Like [`RateLimiter::check`], without spending anything.
    pub fn peek(&self, caller: &str) -> Result<(), u64> {
        self.take(caller, 0.0)
    }

    fn take(&self, caller: &str, cost: f64) -> Result<(), u64> {
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
            bucket.tokens -= cost;
            Ok(())
        } else {
            Err(((1.0 - bucket.tokens) / self.per_second).ceil().max(1.0) as u64)
        }
    }
}

/// The 429 answer, with the seconds to wait in `Retry-After`.
pub fn too_many(retry_after: u64) -> actix_web::HttpResponse {
    let error = crate::error::ApiError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many requests; retry in {retry_after} s or raise --rate-limit"),
    );
    let mut response = actix_web::ResponseError::error_response(&error);
    if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&retry_after.to_string()) {
        response
            .headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    response
}

/// Every limit of the API, and which of them a request spends from.
pub struct RateLimits {
    /// Per client address: anonymous and failed requests.
    pub address: RateLimiter,
    /// Per API key (`--key-rate-limit`).
    pub key: RateLimiter,
    /// Per client address: refused logins.
    pub login: RateLimiter,
}

/// What [`RateLimits::admit`] decided, to be settled once the answer is
/// known.
pub struct Admission {
    address: String,
    authorization: bool,
    login: bool,
}

impl RateLimits {
    /// Decides whether a request may go ahead, before any work is done;
    /// `Err` carries the seconds to wait. `known` says the `Authorization`
    /// header holds a credential already verified (`auth::known_credential`):
    /// such a request is not held back by its address's spent allowance.
    pub fn admit(
        &self,
        method: &str,
        path: &str,
        authorization: Option<&str>,
        known: bool,
        peer: Option<IpAddr>,
    ) -> Result<Admission, u64> {
        let address = RateLimiter::caller_key(None, peer);
        let login = method == "POST" && path == "/login";
        if login {
            self.login.peek(&address)?;
        }
        match authorization {
            Some(header) if !login => {
                if !known {
                    self.address.peek(&address)?;
                }
                self.key
                    .check(&RateLimiter::caller_key(Some(header), peer))?;
            }
            _ => self.address.check(&address)?,
        }
        Ok(Admission {
            address,
            authorization: authorization.is_some(),
            login,
        })
    }

    /// Spends what a failed request costs, once its status is known.
    pub fn settle(&self, admission: &Admission, status: u16) {
        if status != 401 {
            return;
        }
        if admission.login {
            let _ = self.login.check(&admission.address);
        } else if admission.authorization {
            let _ = self.address.check(&admission.address);
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

    #[test]
    fn failed_authentication_spends_the_address_allowance() {
        let limits = RateLimits {
            address: RateLimiter::new(3),
            key: RateLimiter::new(0),
            login: RateLimiter::per_minute(2),
        };
        let peer = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..3 {
            let admitted = limits.admit("GET", "/api/v1/keys", Some("x"), false, peer);
            let admitted = admitted.expect("allowance left");
            limits.settle(&admitted, 401);
        }
        assert!(
            limits
                .admit("GET", "/api/v1/keys", Some("y"), false, peer)
                .is_err()
        );
        assert!(limits.admit("GET", "/", None, false, peer).is_err());
        // A key known to be good is not held back by its neighbours' guesses.
        assert!(
            limits
                .admit("GET", "/api/v1/keys", Some("ok"), true, peer)
                .is_ok()
        );
        // Logins: two refusals a minute.
        let other = Some(IpAddr::from([10, 0, 0, 2]));
        for _ in 0..2 {
            let admitted = limits
                .admit("POST", "/login", Some("x"), false, other)
                .expect("login");
            limits.settle(&admitted, 401);
        }
        assert!(limits.admit("POST", "/login", None, false, other).is_err());
    }
}
