//! [`LeaseKeeper`]: holds one lease over time ("hold this lease and run
//! this while held"). A task of its own renews the lease every third of its
//! TTL, so renewal never waits on the owner's work (as long as the owner
//! keeps the lease on a connection its work does not block), and tells the owner
//! whether the lease is held; the owner does its exclusive work only while
//! it is, and gives the lease back when it stops.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::bus::Bus;
use crate::error::BusError;
use crate::lease::Lease;

/// How often [`Bus::take_lease`] asks again while another owner holds the
/// lease.
const TAKE_RETRY: Duration = Duration::from_millis(250);

/// When a kept lease counts as lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseLoss {
    /// Only when a renewal finds another owner holding it. A renewal that
    /// fails (Redis unreachable) is logged and the lease still counts as
    /// held: for an owner whose work must go on while Redis is away (the
    /// process manager, which may be running that very Redis).
    WhenTaken,
    /// Also when a renewal fails: the owner stops its exclusive work at the
    /// first doubt and resumes once a renewal succeeds again.
    WhenUnsure,
}

/// Keeps one lease: renews it every third of its TTL in a task of its own
/// (taking it whenever it is free), until [`LeaseKeeper::release`] or
/// [`LeaseKeeper::stop_renewing`] (or the keeper is dropped).
///
/// Invariants: at most one owner holds a lease at a time (the acquire script
/// is atomic); with [`LeaseLoss::WhenUnsure`] an owner believes it holds the
/// lease at most one renewal period (plus one command timeout) longer than
/// Redis does; the lease
/// is given back only if it is ours, so releasing never frees another
/// owner's.
pub struct LeaseKeeper {
    bus: Bus,
    lease: Lease,
    held: watch::Receiver<bool>,
    stop: CancellationToken,
    renewing: JoinHandle<()>,
}

impl Bus {
    /// Keeps `lease` from now on: the first attempt to take it is made at
    /// once, then one every third of its TTL.
    pub fn keep_lease(&self, lease: Lease, loss: LeaseLoss) -> LeaseKeeper {
        LeaseKeeper::start(self.clone(), lease, loss, false)
    }

    /// Takes `lease`, waiting up to `patience` for its holder to let it go
    /// (a killed owner's lease expires after its TTL), then keeps it as
    /// [`Bus::keep_lease`] does. [`BusError::LeaseHeld`] when another owner
    /// still holds it after `patience`.
    pub async fn take_lease(
        &self,
        lease: Lease,
        loss: LeaseLoss,
        patience: Duration,
    ) -> Result<LeaseKeeper, BusError> {
        let deadline = tokio::time::Instant::now() + patience;
        let mut told = false;
        loop {
            if self.acquire_lease(&lease).await? {
                return Ok(LeaseKeeper::start(self.clone(), lease, loss, true));
            }
            let holder = self.lease_holder(&lease).await?.unwrap_or_default();
            if tokio::time::Instant::now() >= deadline {
                return Err(BusError::LeaseHeld {
                    key: lease.key,
                    holder,
                });
            }
            if !told {
                tracing::info!(holder, lease = lease.key, "waiting for the lease to expire");
                told = true;
            }
            tokio::time::sleep(TAKE_RETRY).await;
        }
    }
}

impl LeaseKeeper {
    fn start(bus: Bus, lease: Lease, loss: LeaseLoss, held: bool) -> LeaseKeeper {
        let (held_tx, held_rx) = watch::channel(held);
        let stop = CancellationToken::new();
        // Just taken: the first renewal is due a period from now.
        let first = tokio::time::Instant::now() + if held { lease.ttl / 3 } else { Duration::ZERO };
        let renewing = tokio::spawn(renew(
            bus.clone(),
            lease.clone(),
            loss,
            first,
            held_tx,
            stop.clone(),
        ));
        LeaseKeeper {
            bus,
            lease,
            held: held_rx,
            stop,
            renewing,
        }
    }

    /// The lease being kept.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// Whether the lease is held now (as of the last renewal).
    pub fn is_held(&self) -> bool {
        *self.held.borrow()
    }

    /// Waits until the lease changes hands (ours or not), and answers
    /// whether it is held now. Never returns once renewal has stopped.
    pub async fn changed(&mut self) -> bool {
        if self.held.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
        *self.held.borrow_and_update()
    }

    /// Waits until the lease is held (at once if it is).
    pub async fn gained(&mut self) {
        self.wait_for(true).await;
    }

    /// Waits until the lease is not held (at once if it is not).
    pub async fn lost(&mut self) {
        self.wait_for(false).await;
    }

    async fn wait_for(&mut self, held: bool) {
        if self.held.wait_for(|now| *now == held).await.is_err() {
            // Renewal stopped: the state never changes again.
            std::future::pending::<()>().await;
        }
    }

    /// Stops renewing without giving the lease back: it expires after its
    /// TTL unless [`LeaseKeeper::release`] comes first.
    pub fn stop_renewing(&self) {
        self.stop.cancel();
    }

    /// Stops renewing and gives the lease back if it is held, best effort
    /// within [`Lease::RELEASE_TIMEOUT`] (an unreleased lease expires after
    /// its TTL).
    pub async fn release(mut self) {
        self.stop.cancel();
        // Renewal has ended before the release is sent, so no renewal can
        // take the lease again after it.
        let _ = (&mut self.renewing).await;
        if !self.is_held() {
            return;
        }
        if let Err(error) = self.bus.release_lease(&self.lease).await {
            tracing::debug!(%error, lease = self.lease.key, "could not give the lease back; it will expire");
        }
    }

    /// Runs `work` whenever the lease is held, until `stop`; then gives the
    /// lease back. `work` gets a token that is cancelled when the lease is
    /// lost or at `stop`, and must return soon after; it is started again
    /// the next time the lease is held. If it returns while the lease is
    /// still held, it is started again only after the lease was lost and
    /// taken again.
    pub async fn run_while_held<F, Fut>(mut self, stop: &CancellationToken, mut work: F)
    where
        F: FnMut(CancellationToken) -> Fut,
        Fut: Future<Output = ()>,
    {
        loop {
            tokio::select! {
                biased;
                () = stop.cancelled() => break,
                () = self.gained() => {}
            }
            let held = stop.child_token();
            let run = work(held.clone());
            tokio::pin!(run);
            tokio::select! {
                () = &mut run => {
                    // Returned early: wait for the lease to change hands.
                    tokio::select! {
                        () = stop.cancelled() => {}
                        () = self.lost() => {}
                    }
                }
                () = self.lost() => {
                    held.cancel();
                    run.await;
                }
            }
        }
        self.release().await;
    }
}

impl Drop for LeaseKeeper {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The renewal task: every third of the TTL, take or renew the lease and
/// publish whether it is held.
async fn renew(
    bus: Bus,
    lease: Lease,
    loss: LeaseLoss,
    first: tokio::time::Instant,
    held: watch::Sender<bool>,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval_at(first, lease.ttl / 3);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            biased;
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        // A Redis that does not answer must not hold up stopping.
        let renewed = tokio::select! {
            biased;
            () = stop.cancelled() => return,
            renewed = bus.acquire_lease(&lease) => renewed,
        };
        let now = match renewed {
            Ok(now) => now,
            Err(error) => {
                tracing::warn!(%error, lease = lease.key, "cannot renew a lease; retrying");
                match loss {
                    LeaseLoss::WhenTaken => *held.borrow(),
                    LeaseLoss::WhenUnsure => false,
                }
            }
        };
        held.send_if_modified(|was| std::mem::replace(was, now) != now);
    }
}
