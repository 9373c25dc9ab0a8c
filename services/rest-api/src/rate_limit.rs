//! Per-caller rate limiting: token buckets per client address and per API
//! key. Over a limit a request gets 429 with `Retry-After`, before any work
//! is done.
//!
//! Which buckets a request spends from ([`RateLimits::admit`] and
//! [`RateLimits::settle`]):
//! - every request spends one token from its client address's bucket
//!   (`--rate-limit`) before it runs, whatever headers it carries, and gets
//!   it back afterwards only if it authenticated (the `Caller` extractor
//!   marks such requests with [`Authenticated`]). So anonymous requests,
//!   failed authentications and junk `Authorization` headers on routes
//!   that ask for no credential all count, and requests in flight cannot
//!   outrun the limit. A request whose credential is already known to be
//!   good skips the address bucket;
//! - a request with an `Authorization` header also spends from that key's
//!   bucket (`--key-rate-limit`, off by default);
//! - refused dashboard logins spend from a per-address login bucket
//!   (`--login-rate-limit` per minute), spent before the key is checked and
//!   given back when the login succeeds (`dashboard::login::login`).
//!
//! The client address is the TCP peer, or the address a trusted proxy
//! names (`--trusted-proxy`), counted by [`address_key`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Instant;

use asynchronio_service::client_address::{Cidr, address_key, client_address};
use asynchronio_service::token_bucket::{Rate, TokenBucket};
use parking_lot::Mutex;

/// Buckets kept at most. Beyond this, refilled (idle) buckets are dropped,
/// at most once per [`PRUNE_EVERY`]; while it stays full, new callers wait
/// (429) rather than grow the map: memory stays bounded whatever callers do.
const MAX_BUCKETS: usize = 100_000;

/// How often a full map may be scanned for idle buckets.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// One kind of bucket, keyed by caller.
pub struct RateLimiter {
    /// `None`: limiting is off.
    rate: Option<Rate>,
    buckets: Mutex<Buckets>,
}

/// The buckets and when the map was last pruned.
#[derive(Default)]
struct Buckets {
    by_caller: HashMap<String, TokenBucket>,
    pruned: Option<Instant>,
}

impl RateLimiter {
    /// `per_second` requests per caller, with bursts of the same size;
    /// 0 turns limiting off.
    pub fn new(per_second: u32) -> Self {
        Self {
            rate: (per_second > 0).then(|| Rate::new(per_second, per_second)),
            buckets: Mutex::new(Buckets::default()),
        }
    }

    /// `per_minute` requests per caller, with bursts of the same size;
    /// 0 turns limiting off.
    pub fn per_minute(per_minute: u32) -> Self {
        Self {
            rate: (per_minute > 0).then(|| Rate::per_minute(per_minute, per_minute)),
            buckets: Mutex::new(Buckets::default()),
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
        let Some(rate) = self.rate else {
            return Ok(());
        };
        let now = Instant::now();
        let mut guard = self.buckets.lock();
        let buckets = &mut *guard;
        if buckets.by_caller.len() >= MAX_BUCKETS && !buckets.by_caller.contains_key(caller) {
            let due = buckets
                .pruned
                .is_none_or(|at| now.duration_since(at) >= PRUNE_EVERY);
            if due {
                buckets.pruned = Some(now);
                buckets
                    .by_caller
                    .retain(|_, bucket| !bucket.is_full(rate, now));
            }
            if buckets.by_caller.len() >= MAX_BUCKETS {
                return Err(1);
            }
        }
        let bucket = buckets
            .by_caller
            .entry(caller.to_owned())
            .or_insert_with(|| TokenBucket::full(rate, now));
        if bucket.take(rate, now) {
            Ok(())
        } else {
            Err(bucket.seconds_to_next(rate).ceil().max(1.0) as u64)
        }
    }

    /// Gives back a token spent by [`RateLimiter::check`].
    pub fn refund(&self, caller: &str) {
        let Some(rate) = self.rate else {
            return;
        };
        if let Some(bucket) = self.buckets.lock().by_caller.get_mut(caller) {
            bucket.refund(rate);
        }
    }
}

/// The 429 answer, with the seconds to wait in `Retry-After` and the limit
/// that was reached.
pub fn too_many(limited: Limited) -> actix_web::HttpResponse {
    let error = crate::error::ApiError::new(
        actix_web::http::StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!(
            "too many requests; retry in {} s ({})",
            limited.retry_after, limited.which
        ),
    );
    let mut response = actix_web::ResponseError::error_response(&error);
    if let Ok(value) =
        actix_web::http::header::HeaderValue::from_str(&limited.retry_after.to_string())
    {
        response
            .headers_mut()
            .insert(actix_web::http::header::RETRY_AFTER, value);
    }
    response
}

/// A refusal: the seconds to wait, and which limit said no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Seconds until a request would be allowed.
    pub retry_after: u64,
    /// What to tell the caller (which option raises the limit).
    pub which: &'static str,
}

/// Marks a request whose caller authenticated (a key or a dashboard login), set by
/// the `Caller` extractor; its address token is given back.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated;

/// Every limit of the API, and which of them a request spends from.
pub struct RateLimits {
    /// Per client address: every request until it authenticates.
    pub address: RateLimiter,
    /// Per API key (`--key-rate-limit`).
    pub key: RateLimiter,
    /// Per client address: refused logins.
    pub login: RateLimiter,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<Cidr>,
}

/// What [`RateLimits::admit`] spent, to be settled once the answer is known.
pub struct Admission {
    address: Option<String>,
}

impl RateLimits {
    /// The key the client behind `request` is counted by.
    pub fn address_of_request(&self, request: &actix_web::HttpRequest) -> String {
        let lines = request
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok());
        self.address_of(request.peer_addr().map(|a| a.ip()), lines)
    }

    /// The key a client address is counted by; `forwarded_for` are the
    /// `X-Forwarded-For` header lines, in order.
    pub fn address_of<'a>(
        &self,
        peer: Option<IpAddr>,
        forwarded_for: impl IntoIterator<Item = &'a str>,
    ) -> String {
        let ip = peer
            .map(|peer| address_key(client_address(peer, forwarded_for, &self.trusted_proxies)));
        RateLimiter::caller_key(None, ip)
    }

    /// Decides whether a request may go ahead, before any work is done.
    /// `known` says the `Authorization` header holds a credential already
    /// verified (`auth::known_credential`): such a request does not spend
    /// from its address.
    pub fn admit(
        &self,
        authorization: Option<&str>,
        known: bool,
        address: String,
    ) -> Result<Admission, Limited> {
        if let Some(header) = authorization {
            self.key
                .check(&RateLimiter::caller_key(Some(header), None))
                .map_err(|retry_after| Limited {
                    retry_after,
                    which: "this key's limit; raise --key-rate-limit",
                })?;
        }
        if known {
            return Ok(Admission { address: None });
        }
        self.address.check(&address).map_err(|retry_after| Limited {
            retry_after,
            which: "unauthenticated requests from your address; authenticate or raise --rate-limit",
        })?;
        Ok(Admission {
            address: Some(address),
        })
    }

    /// Gives the address token back when the request authenticated.
    pub fn settle(&self, admission: &Admission, authenticated: bool) {
        if let (true, Some(address)) = (authenticated, &admission.address) {
            self.address.refund(address);
        }
    }

    /// Spends a login attempt for `address` before the key is checked;
    /// [`RateLimits::login_succeeded`] gives it back.
    pub fn login_attempt(&self, address: &str) -> Result<(), Limited> {
        self.login.check(address).map_err(|retry_after| Limited {
            retry_after,
            which: "refused logins from your address; raise --login-rate-limit",
        })
    }

    /// Gives back the attempt of a login that succeeded.
    pub fn login_succeeded(&self, address: &str) {
        self.login.refund(address);
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
    fn unauthenticated_requests_spend_the_address_allowance() {
        let limits = RateLimits {
            address: RateLimiter::new(3),
            key: RateLimiter::new(0),
            login: RateLimiter::per_minute(2),
            trusted_proxies: vec!["10.0.0.0/8".parse().expect("cidr")],
        };
        let peer = Some(IpAddr::from([192, 0, 2, 1]));
        let address = limits.address_of(peer, ["203.0.113.9"]);
        assert_eq!(
            address, "ip:192.0.2.1",
            "an untrusted peer's header is ignored"
        );
        // Authenticated requests give their token back.
        for _ in 0..10 {
            let admitted = limits
                .admit(Some("x"), false, address.clone())
                .expect("allowance");
            limits.settle(&admitted, true);
        }
        // Failed ones, and junk headers on open routes, do not.
        for _ in 0..3 {
            let admitted = limits
                .admit(Some("x"), false, address.clone())
                .expect("allowance");
            limits.settle(&admitted, false);
        }
        assert!(limits.admit(Some("y"), false, address.clone()).is_err());
        assert!(limits.admit(None, false, address.clone()).is_err());
        // A key known to be good is not held back by its neighbours' guesses.
        assert!(limits.admit(Some("ok"), true, address.clone()).is_ok());
        // Behind a trusted proxy, clients are counted apart.
        let proxy = Some(IpAddr::from([10, 0, 0, 1]));
        assert_eq!(
            limits.address_of(proxy, ["6.6.6.6, 203.0.113.9"]),
            "ip:203.0.113.9"
        );
        // A line the client sent itself comes before the proxy's.
        assert_eq!(
            limits.address_of(proxy, ["6.6.6.6", "203.0.113.9"]),
            "ip:203.0.113.9"
        );
        // Logins: two refusals a minute; a success costs nothing.
        limits.login_attempt("ip:a").expect("first");
        limits.login_succeeded("ip:a");
        limits.login_attempt("ip:a").expect("second");
        limits.login_attempt("ip:a").expect("third");
        assert!(limits.login_attempt("ip:a").is_err());
    }
}
