//! Which channels this replica publishes: channels hash into partitions, and
//! each partition is held by one live replica through a lease in Redis.
//!
//! Every tick a replica renews its heartbeat and leases, computes its fair
//! share (partitions divided by live replicas), takes free partitions up to
//! that share and gives back any above it. A dead replica's leases expire,
//! and the others take its partitions on their next tick.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use asynchronio_protocol::clock::now_ms;

use asynchronio_bus::{Bus, BusError, Heartbeat, Lease};
use asynchronio_service::shutdown::farewell;
use tokio_util::sync::CancellationToken;

/// The partition a channel belongs to (FNV-1a); identical in every replica.
pub fn partition_of(channel: &str, partitions: u32) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in channel.as_bytes() {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash % partitions.max(1)
}

/// This replica's view of its partitions, read on every message.
pub struct Ownership {
    owned: Vec<AtomicBool>,
    /// Until when (ms since the epoch) the last successful renewal keeps the
    /// leases valid; past it nothing counts as owned, so a replica cut off
    /// from Redis stops publishing before others take over.
    valid_until_ms: AtomicU64,
}

impl Ownership {
    fn new(partitions: u32) -> Self {
        Self {
            owned: (0..partitions).map(|_| AtomicBool::new(false)).collect(),
            valid_until_ms: AtomicU64::new(0),
        }
    }

    /// Whether this replica should publish messages of `channel` now.
    pub fn owns(&self, channel: &str) -> bool {
        let partition = partition_of(channel, self.owned.len() as u32) as usize;
        now_ms() < self.valid_until_ms.load(Ordering::Acquire)
            && self.owned[partition].load(Ordering::Acquire)
    }

    pub fn owned_count(&self) -> usize {
        self.owned
            .iter()
            .filter(|o| o.load(Ordering::Acquire))
            .count()
    }
}

/// Keeps this replica's leases and heartbeat.
pub struct PartitionKeeper {
    bus: Bus,
    replica: String,
    lease: Duration,
    ownership: Arc<Ownership>,
}

impl PartitionKeeper {
    pub fn new(
        bus: Bus,
        replica: String,
        partitions: u32,
        lease: Duration,
    ) -> (Self, Arc<Ownership>) {
        let ownership = Arc::new(Ownership::new(partitions));
        let keeper = Self {
            bus,
            replica,
            lease,
            ownership: Arc::clone(&ownership),
        };
        (keeper, ownership)
    }

    fn lease_of(&self, partition: u32) -> Lease {
        Lease {
            key: self.bus.keys().bridge_partition_lease(partition),
            owner: self.replica.clone(),
            ttl: self.lease,
        }
    }

    /// This replica's entry in the replicas' heartbeat registry: it counts
    /// as alive for a lease period after each beat.
    fn heartbeat(&self) -> Heartbeat {
        Heartbeat {
            registry: self.bus.keys().bridge_replicas(),
            member: self.replica.clone(),
            ttl: self.lease,
        }
    }

    /// Renews and rebalances every third of a lease until shutdown, then
    /// gives every partition back so the others take over at once.
    pub async fn run(self, shutdown: CancellationToken) {
        let tick = self.lease / 3;
        loop {
            // A rebalance waiting on a Redis that is down is abandoned at
            // shutdown: release_all clears what it may have half done.
            tokio::select! {
                () = shutdown.cancelled() => break,
                renewed = self.rebalance() => if let Err(error) = renewed {
                    tracing::warn!(%error, "cannot renew partition leases; will retry");
                },
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(tick) => {}
            }
        }
        self.release_all().await;
    }

    async fn rebalance(&self) -> Result<(), BusError> {
        let started = now_ms();
        let live = self.bus.beat(&self.heartbeat()).await?;
        let partitions = self.ownership.owned.len() as u32;
        let share = partitions.div_ceil(live.max(1) as u32) as usize;

        // Renew what we hold.
        for partition in 0..partitions {
            if self.ownership.owned[partition as usize].load(Ordering::Acquire) {
                let held = self.bus.acquire_lease(&self.lease_of(partition)).await?;
                if !held {
                    tracing::warn!(partition, "lost a partition lease to another replica");
                }
                self.ownership.owned[partition as usize].store(held, Ordering::Release);
            }
        }
        let mut owned = self.ownership.owned_count();

        // Take free partitions up to our share, starting at a point of our
        // own so that replicas do not all race for partition 0.
        let start = partition_of(&self.replica, partitions);
        let mut taken = Vec::new();
        for step in 0..partitions {
            if owned >= share {
                break;
            }
            let partition = (start + step) % partitions;
            if self.ownership.owned[partition as usize].load(Ordering::Acquire) {
                continue;
            }
            if self.bus.acquire_lease(&self.lease_of(partition)).await? {
                self.ownership.owned[partition as usize].store(true, Ordering::Release);
                owned += 1;
                taken.push(partition);
            }
        }
        if !taken.is_empty() {
            tracing::info!(?taken, owned, live, "took over partitions");
        }

        // Give back what is above our share, for a replica that joined.
        let mut handed = Vec::new();
        for partition in (0..partitions).rev() {
            if owned <= share {
                break;
            }
            if self.ownership.owned[partition as usize].swap(false, Ordering::AcqRel) {
                self.bus.release_lease(&self.lease_of(partition)).await?;
                owned -= 1;
                handed.push(partition);
            }
        }
        if !handed.is_empty() {
            tracing::info!(?handed, owned, live, "handed partitions to other replicas");
        }
        // Valid for the lease period counted from before the renewals began.
        self.ownership
            .valid_until_ms
            .store(started + self.lease.as_millis() as u64, Ordering::Release);
        Ok(())
    }

    /// Gives every partition and the heartbeat back, best effort: within
    /// `Lease::RELEASE_TIMEOUT` and `FAREWELL`, whether or not Redis answers.
    async fn release_all(&self) {
        self.ownership.valid_until_ms.store(0, Ordering::Release);
        let held: Vec<Lease> = (0..self.ownership.owned.len() as u32)
            .filter(|&p| self.ownership.owned[p as usize].swap(false, Ordering::AcqRel))
            .map(|p| self.lease_of(p))
            .collect();
        if let Err(error) = self.bus.release_leases(&held).await {
            tracing::warn!(partitions = held.len(), %error, "could not give partition leases back; they expire within a lease period");
        }
        // One attempt, none while disconnected: the entry's score expires it.
        let heartbeat = self.heartbeat();
        let removed = farewell("removing the replica heartbeat", self.bus.leave(&heartbeat)).await;
        if let Some(Err(error)) = removed {
            tracing::debug!(%error, "could not remove the replica heartbeat");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_spread_and_are_stable() {
        let mut counts = [0u32; 8];
        for i in 0..8000 {
            counts[partition_of(&format!("channel-{i}"), 8) as usize] += 1;
        }
        assert!(counts.iter().all(|c| (700..1300).contains(c)), "{counts:?}");
        assert_eq!(partition_of("news", 64), partition_of("news", 64));
    }
}
