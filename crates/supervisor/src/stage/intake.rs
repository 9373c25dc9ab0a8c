//! The runner's intake: reads the stage's input stream through its
//! consumer group as credits (free places among `max_in_flight`) allow.
//! First the entries this consumer held before (a crashed processor's),
//! then new ones, and from time to time entries other consumers left idle
//! too long (`XAUTOCLAIM`). Each entry comes with the deliveries it had
//! before, which count as attempts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use asynchronio_bus::{Backoff, Bus, GroupRead, StreamEntry, is_missing_group};
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

/// Most entries asked for in one read.
const MOST_PER_READ: u64 = 256;

/// Where the intake reads, and as whom.
pub(super) struct Intake {
    /// A connection of its own: blocking reads do not hold up publishes.
    pub(super) bus: Bus,
    pub(super) stream: String,
    pub(super) group: String,
    pub(super) consumer: String,
    /// Entries pending this long with another consumer are taken over.
    pub(super) claim_idle: Duration,
}

impl Intake {
    /// Reads entries for the runner, each with its earlier deliveries, until
    /// the runner stops taking them.
    pub(super) async fn read_entries(
        self,
        credits: Arc<Semaphore>,
        out: mpsc::Sender<(StreamEntry, u32)>,
    ) {
        if !self.send_own_pending(&credits, &out).await {
            return;
        }
        let mut backoff = Backoff::default();
        let mut claim_cursor = "0-0".to_owned();
        let mut last_claim = Instant::now();
        loop {
            let Some(granted) = take_credits(&credits).await else {
                return;
            };
            let result = if last_claim.elapsed() >= self.claim_idle / 2 {
                last_claim = Instant::now();
                self.claim_idle_entries(&mut claim_cursor, granted).await
            } else {
                self.read_new(granted).await
            };
            match result {
                Ok(entries) => {
                    backoff.reset();
                    let unused = granted.saturating_sub(entries.len() as u64);
                    credits.add_permits(unused as usize);
                    for item in entries {
                        if out.send(item).await.is_err() {
                            return;
                        }
                    }
                }
                Err(error) => {
                    credits.add_permits(granted as usize);
                    if is_missing_group(&error) {
                        // The input's history expired and took the group along.
                        tracing::warn!(
                            stream = self.stream,
                            group = self.group,
                            "consumer group is gone; creating it again"
                        );
                        let _ = self
                            .bus
                            .ensure_group_from(&self.stream, &self.group, "0")
                            .await;
                    } else {
                        tracing::warn!(%error, stream = self.stream, "cannot read the input stream; retrying");
                        tokio::time::sleep(backoff.next_delay()).await;
                    }
                }
            }
        }
    }

    /// Sends this consumer's own pending entries first (retrying until
    /// Redis answers); false when the runner is gone.
    async fn send_own_pending(
        &self,
        credits: &Semaphore,
        out: &mpsc::Sender<(StreamEntry, u32)>,
    ) -> bool {
        let mut backoff = Backoff::default();
        loop {
            match self.recover_own().await {
                Ok(entries) => {
                    for item in entries {
                        take_credit(credits).await;
                        if out.send(item).await.is_err() {
                            return false;
                        }
                    }
                    return true;
                }
                Err(error) => {
                    tracing::warn!(%error, consumer = self.consumer, "cannot read pending entries; retrying");
                    tokio::time::sleep(backoff.next_delay()).await;
                }
            }
        }
    }

    /// This consumer's pending entries, claimed again (which counts a
    /// delivery) with the number of deliveries they had before: each was an
    /// attempt a processor did not finish.
    async fn recover_own(&self) -> Result<Vec<(StreamEntry, u32)>, asynchronio_bus::BusError> {
        let (bus, stream, group, consumer) = (&self.bus, &self.stream, &self.group, &self.consumer);
        let counts = bus
            .delivery_counts(stream, group, consumer, "-", "+", 10_000)
            .await?;
        if counts.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<String> = counts.iter().map(|(id, _)| id.clone()).collect();
        let times: HashMap<String, u64> = counts.into_iter().collect();
        let mut out = Vec::new();
        for chunk in ids.chunks(256) {
            for entry in bus.claim(stream, group, consumer, chunk).await? {
                let before = times.get(&entry.id).copied().unwrap_or(1) as u32;
                out.push((entry, before));
            }
        }
        Ok(out)
    }

    /// Up to `count` entries other consumers left pending longer than
    /// `claim_idle`, taken over; the cursor walks the pending list.
    async fn claim_idle_entries(
        &self,
        cursor: &mut String,
        count: u64,
    ) -> Result<Vec<(StreamEntry, u32)>, asynchronio_bus::BusError> {
        let (next, entries) = self
            .bus
            .autoclaim(
                &self.stream,
                &self.group,
                &self.consumer,
                self.claim_idle.as_millis() as u64,
                cursor.as_str(),
                count,
            )
            .await?;
        *cursor = next;
        Ok(entries.into_iter().map(|e| (e, 1)).collect())
    }

    /// Up to `count` entries never delivered, waiting up to a second.
    async fn read_new(
        &self,
        count: u64,
    ) -> Result<Vec<(StreamEntry, u32)>, asynchronio_bus::BusError> {
        let entries = self
            .bus
            .read_group(
                &self.stream,
                &self.group,
                &self.consumer,
                GroupRead::New,
                count,
                Some(1_000),
            )
            .await?;
        Ok(entries.into_iter().map(|e| (e, 0)).collect())
    }
}

/// Waits for one credit, then takes what else is free (at most
/// [`MOST_PER_READ`] in all); `None` when the semaphore is closed.
async fn take_credits(credits: &Semaphore) -> Option<u64> {
    let permit = credits.acquire().await.ok()?;
    permit.forget();
    let mut granted = 1u64;
    while granted < MOST_PER_READ {
        match credits.try_acquire() {
            Ok(permit) => {
                permit.forget();
                granted += 1;
            }
            Err(_) => break,
        }
    }
    Some(granted)
}

/// Waits for one credit and keeps it.
async fn take_credit(credits: &Semaphore) {
    if let Ok(permit) = credits.acquire().await {
        permit.forget();
    }
}
