//! Limits on what one connection or one IP address may do: token buckets
//! for subscribe attempts, and the count of sockets still in their
//! handshake.
//!
//! Subscribe attempts are limited, not just live subscriptions: every
//! subscribe costs Redis a SUBSCRIBE (and an UNSUBSCRIBE when the last
//! subscriber leaves), so subscribe/unsubscribe churn must run out of
//! attempts even though it never holds many subscriptions.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

pub use asynchronio_service::client_address::{Cidr, address_key};
pub use asynchronio_service::token_bucket::{Rate, TokenBucket};

/// Addresses remembered before idle (refilled) buckets are dropped. Only
/// addresses with upgraded connections ever get a bucket, so the map is
/// bounded by the connection limit plus recently active addresses.
const PRUNE_AT: usize = 4096;

/// One subscribe-attempt bucket per IP address, shared by all of that
/// address's connections.
pub struct AddressBuckets {
    rate: Option<Rate>,
    /// The buckets, and when idle ones were last dropped (at most once a
    /// second: a scan per new address would cost O(n) each).
    buckets: Mutex<(HashMap<IpAddr, TokenBucket>, Option<Instant>)>,
}

impl AddressBuckets {
    /// Buckets at `rate` per address; `None` for no per-address limit.
    pub fn new(rate: Option<Rate>) -> Self {
        Self {
            rate,
            buckets: Mutex::new((HashMap::new(), None)),
        }
    }

    /// The per-address rate, if any.
    pub fn rate(&self) -> Option<Rate> {
        self.rate
    }

    /// Takes one attempt from `address`'s bucket; false when it is empty.
    pub fn take(&self, address: IpAddr) -> bool {
        let Some(rate) = self.rate else {
            return true;
        };
        let address = address_key(address);
        let mut guard = self.buckets.lock();
        let now = Instant::now();
        let (buckets, pruned) = &mut *guard;
        if buckets.len() >= PRUNE_AT
            && !buckets.contains_key(&address)
            && pruned.is_none_or(|at| now.duration_since(at) >= Duration::from_secs(1))
        {
            *pruned = Some(now);
            buckets.retain(|_, bucket| !bucket.is_full(rate, now));
        }
        buckets
            .entry(address)
            .or_insert_with(|| TokenBucket::full(rate, now))
            .take(rate, now)
    }
}

/// Sockets accepted but not yet upgraded (or answered), in total and per
/// address. They do not count against `--max-connections`.
pub struct PendingSockets {
    max_total: usize,
    max_per_address: usize,
    counts: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// Holds one pending place until dropped.
pub struct PendingGuard {
    sockets: Arc<PendingSockets>,
    address: IpAddr,
}

impl PendingSockets {
    /// At most `max_total` pending sockets, `max_per_address` from one
    /// address.
    pub fn new(max_total: usize, max_per_address: usize) -> Self {
        Self {
            max_total,
            max_per_address,
            counts: Mutex::new((0, HashMap::new())),
        }
    }

    /// A place for a new socket from `address`, or `None` when it (or the
    /// gateway) has as many pending sockets as allowed. A trusted proxy
    /// (`limit_address` false) is held only to the total.
    pub fn admit(self: &Arc<Self>, address: IpAddr, limit_address: bool) -> Option<PendingGuard> {
        let address = address_key(address);
        let mut counts = self.counts.lock();
        let (total, per_address) = &mut *counts;
        let mine = per_address.entry(address).or_insert(0);
        let cap = if limit_address {
            self.max_per_address
        } else {
            usize::MAX
        };
        if *total >= self.max_total || *mine >= cap {
            if *mine == 0 {
                per_address.remove(&address);
            }
            return None;
        }
        *mine += 1;
        *total += 1;
        Some(PendingGuard {
            sockets: Arc::clone(self),
            address,
        })
    }

    /// Sockets pending now.
    pub fn total(&self) -> usize {
        self.counts.lock().0
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        let mut counts = self.sockets.counts.lock();
        let (total, per_address) = &mut *counts;
        *total = total.saturating_sub(1);
        if let Some(mine) = per_address.get_mut(&self.address) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                per_address.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_buckets_allow_the_burst_then_the_rate() {
        let buckets = AddressBuckets::new(Some(Rate::new(1, 3)));
        let a: IpAddr = [10, 0, 0, 1].into();
        assert!(buckets.take(a) && buckets.take(a) && buckets.take(a));
        assert!(!buckets.take(a));
        assert!(buckets.take([10, 0, 0, 2].into()), "addresses apart");
        assert!(AddressBuckets::new(None).take(a), "no limit");
    }

    #[test]
    fn pending_sockets_are_bounded_per_address_and_in_total() {
        let sockets = Arc::new(PendingSockets::new(3, 2));
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let first = sockets.admit(a, true).expect("first");
        let _second = sockets.admit(a, true).expect("second");
        assert!(sockets.admit(a, true).is_none(), "per address");
        let _third = sockets.admit(b, true).expect("other address");
        assert!(sockets.admit(b, true).is_none(), "in total");
        drop(first);
        assert!(sockets.admit(b, true).is_some());
        assert_eq!(sockets.total(), 2);
    }
}
