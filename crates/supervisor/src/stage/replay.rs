//! Replays of dead letters. The manager queues a stage's dead letters here
//! by id (the `replay` command); whichever of the stage's instances has
//! room for one more message takes the next id, reads the letter again (a
//! letter deleted meanwhile is skipped) and handles it like a new message,
//! under its original input entry id and envelope, so its outputs keep
//! their idempotency keys and are not published twice. A replay that
//! succeeds deletes its dead letter; one that fails again is dead-lettered
//! anew (and the old letter deleted); one lost with its processor stays a
//! dead letter, to be replayed again. A letter is queued or in replay at
//! most once at a time, across all the stage's instances.

use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

use tokio::sync::{Notify, Semaphore};

/// Most dead letters queued for replay per stage; a larger replay is
/// answered with how many were taken, and can be run again for the rest.
pub const MAX_QUEUED: usize = 10_000;

/// A stage's dead letters waiting to be replayed, shared by its instances.
#[derive(Debug, Default)]
pub struct ReplayQueue {
    /// A std Mutex, not tokio's: it is never held across an await.
    state: Mutex<State>,
    ready: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Dead-letter ids waiting, oldest first.
    queued: VecDeque<String>,
    /// Every id queued or taken and not yet settled.
    busy: HashSet<String>,
}

/// What [`ReplayQueue::push`] did with the ids it was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Queueing {
    /// Newly queued.
    pub queued: usize,
    /// Already queued or being replayed, so not again.
    pub already: usize,
    /// Left out because the queue was full.
    pub over: usize,
}

impl ReplayQueue {
    /// Queues dead letters by id, oldest first, and wakes the instances.
    pub fn push(&self, ids: impl IntoIterator<Item = String>) -> Queueing {
        let mut done = Queueing::default();
        {
            let mut state = self.lock();
            for id in ids {
                if state.busy.contains(&id) {
                    done.already += 1;
                } else if state.queued.len() >= MAX_QUEUED {
                    done.over += 1;
                } else {
                    state.busy.insert(id.clone());
                    state.queued.push_back(id);
                    done.queued += 1;
                }
            }
        }
        self.ready.notify_waiters();
        done
    }

    /// Waits for a queued id and a place among the instance's `credits`,
    /// and takes both; the id stays busy until [`Self::settled`].
    /// Cancel-safe: nothing is taken until both are there, and then
    /// nothing is awaited.
    pub async fn next(&self, credits: &Semaphore) -> String {
        loop {
            let ready = self.ready.notified();
            tokio::pin!(ready);
            // Registered before looking, so a push in between is not missed.
            ready.as_mut().enable();
            if self.lock().queued.is_empty() {
                ready.await;
                continue;
            }
            let Ok(permit) = credits.acquire().await else {
                // The instance is stopping.
                std::future::pending::<()>().await;
                continue;
            };
            if let Some(id) = self.lock().queued.pop_front() {
                permit.forget();
                return id;
            }
        }
    }

    /// The replay of `id` is over (done, failed for good, or lost): it may
    /// be queued again.
    pub fn settled(&self, id: &str) {
        self.lock().busy.remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding it leaves a consistent state (every change
        // is one insert, push or pop), so a poisoned lock is used as it is.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn ids_are_queued_once_until_settled_and_taken_with_a_credit() {
        let queue = ReplayQueue::default();
        let ids = |list: &[&str]| list.iter().map(|id| (*id).to_owned()).collect::<Vec<_>>();
        let pushed = queue.push(ids(&["1-0", "1-0", "2-0"]));
        assert_eq!(
            pushed,
            Queueing {
                queued: 2,
                already: 1,
                over: 0
            }
        );
        let credits = Semaphore::new(1);
        assert_eq!(queue.next(&credits).await, "1-0");
        assert_eq!(credits.available_permits(), 0, "the replay took the credit");
        // Taken but not settled: asking again queues nothing.
        assert_eq!(queue.push(ids(&["1-0"])).already, 1);
        queue.settled("1-0");
        assert_eq!(queue.push(ids(&["1-0"])).queued, 1);
        // No credit: next waits until one is given back.
        let waiting = queue.next(&credits);
        tokio::pin!(waiting);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(50), waiting.as_mut())
                .await
                .is_err()
        );
        credits.add_permits(1);
        assert_eq!(waiting.await, "2-0");
    }
}
