//! [`ChannelActor`]: the one task that feeds a channel's local subscribers.
//!
//! It knows the last offset it delivered. A live message that follows it is
//! fanned out at once; a message that skips ahead (pub/sub dropped one, or
//! Redis reconnected) makes the actor read the missing range from the
//! channel's stream first, so subscribers see every offset once, in order.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use asynchronio_bus::{Backoff, Bus, Position};
use asynchronio_protocol::Offset;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::delivery::{Delivery, Payload};

/// How a channel reaches one local subscriber.
#[derive(Clone)]
pub struct SubscriberHandle {
    /// The connection's number, to find the subscriber again on leave.
    pub conn_id: u64,
    /// The connection's bounded send queue.
    pub queue: mpsc::Sender<Arc<Delivery>>,
    /// Cancelled when the connection cannot keep up and must be closed.
    pub slow: CancellationToken,
    /// Whether it asked for join/leave notices.
    pub presence: bool,
}

/// Why a join failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JoinError {
    #[error("Redis is unavailable; retry the subscription shortly")]
    Unavailable,
}

/// What the hub and the dispatcher tell a channel.
pub enum ChannelCommand {
    Live(Arc<Delivery>),
    /// Add a subscriber; the reply is the position it starts after.
    Join {
        subscriber: SubscriberHandle,
        reply: oneshot::Sender<Result<Position, JoinError>>,
    },
    Leave {
        conn_id: u64,
    },
    /// Read the stream for anything pub/sub may not have delivered.
    Resync,
    /// A join/leave notice for the subscribers that asked for them.
    Presence(Arc<Delivery>),
}

/// Messages read from the stream per catch-up request.
const CATCH_UP_PAGE: usize = 500;
/// How long a join waits for the channel to become ready.
const JOIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A join that arrived before the channel was ready.
struct WaitingJoin {
    since: Instant,
    subscriber: SubscriberHandle,
    reply: oneshot::Sender<Result<Position, JoinError>>,
}

/// The task serving one channel's local subscribers: it fans live
/// messages out in offset order and reads the stream to fill gaps.
pub struct ChannelActor {
    channel: Arc<str>,
    bus: Bus,
    mailbox: mpsc::Receiver<ChannelCommand>,
    /// Set by the dispatcher when it had to drop a live message.
    behind: Arc<AtomicBool>,
    subscribers: Vec<SubscriberHandle>,
    /// Epoch and last delivered offset, once the channel is ready.
    position: Option<(String, u64)>,
    waiting: Vec<WaitingJoin>,
    retry: Backoff,
    retry_at: Option<Instant>,
}

impl ChannelActor {
    /// An actor for `channel` reading commands from `mailbox`; the hub sets
    /// `behind` when it had to drop a live message for it.
    pub fn new(
        channel: Arc<str>,
        bus: Bus,
        mailbox: mpsc::Receiver<ChannelCommand>,
        behind: Arc<AtomicBool>,
    ) -> Self {
        Self {
            channel,
            bus,
            mailbox,
            behind,
            subscribers: Vec::new(),
            position: None,
            waiting: Vec::new(),
            retry: Backoff::new(Duration::from_millis(50), Duration::from_secs(2)),
            retry_at: None,
        }
    }

    /// Runs until the hub drops the channel. `subscribed` resolves once
    /// Redis confirmed the delivery topic subscription.
    pub async fn run(mut self, subscribed: oneshot::Receiver<()>) {
        let mut subscribed = Some(subscribed);
        let tick = tokio::time::sleep(Duration::from_millis(100));
        tokio::pin!(tick);
        loop {
            tokio::select! {
                command = self.mailbox.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                result = async { subscribed.as_mut().expect("guarded").await }, if subscribed.is_some() => {
                    subscribed = None;
                    if result.is_err() {
                        // The topic control task is gone: the service is stopping.
                        break;
                    }
                    self.become_ready().await;
                }
                () = &mut tick => {
                    tick.as_mut().reset(Instant::now() + Duration::from_millis(100));
                    self.on_tick(subscribed.is_none()).await;
                }
            }
        }
        for waiting in self.waiting.drain(..) {
            let _ = waiting.reply.send(Err(JoinError::Unavailable));
        }
    }

    async fn handle(&mut self, command: ChannelCommand) {
        match command {
            ChannelCommand::Live(delivery) => self.on_live(delivery).await,
            ChannelCommand::Join { subscriber, reply } => match &self.position {
                Some((epoch, last)) => {
                    let position = Position {
                        offset: Offset(*last),
                        epoch: epoch.clone(),
                    };
                    if reply.send(Ok(position)).is_ok() {
                        self.subscribers.push(subscriber);
                    }
                }
                None => self.waiting.push(WaitingJoin {
                    since: Instant::now(),
                    subscriber,
                    reply,
                }),
            },
            ChannelCommand::Leave { conn_id } => {
                self.subscribers.retain(|s| s.conn_id != conn_id);
                self.waiting.retain(|w| w.subscriber.conn_id != conn_id);
            }
            ChannelCommand::Resync => {
                self.behind.store(true, Ordering::Release);
                self.catch_up().await;
            }
            ChannelCommand::Presence(delivery) => {
                // Most channels have nobody who asked: skip the walk.
                if self.position.is_some() && self.subscribers.iter().any(|s| s.presence) {
                    self.fan_out_where(&delivery, |subscriber| subscriber.presence);
                }
            }
        }
    }

    /// Reads the channel's position; until it succeeds joins wait.
    async fn become_ready(&mut self) {
        match self.bus.position(&self.channel).await {
            Ok(position) => {
                self.retry.reset();
                self.retry_at = None;
                self.position = Some((position.epoch.clone(), position.offset.0));
                for waiting in std::mem::take(&mut self.waiting) {
                    if waiting.reply.send(Ok(position.clone())).is_ok() {
                        self.subscribers.push(waiting.subscriber);
                    }
                }
                // Anything published between SUBSCRIBE and this read is
                // already counted in `position`; later messages come live.
                self.behind.store(false, Ordering::Release);
            }
            Err(error) => {
                let delay = self.retry.next_delay();
                tracing::warn!(channel = %self.channel, %error, "cannot read channel position; retrying");
                self.retry_at = Some(Instant::now() + delay);
            }
        }
    }

    async fn on_tick(&mut self, subscribed: bool) {
        let now = Instant::now();
        let (expired, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|w| now.duration_since(w.since) >= JOIN_TIMEOUT);
        self.waiting = waiting;
        for waiting in expired {
            let _ = waiting.reply.send(Err(JoinError::Unavailable));
        }
        let due = self.retry_at.is_none_or(|at| at <= now);
        if !due {
            return;
        }
        if subscribed && self.position.is_none() {
            self.become_ready().await;
        } else if self.behind.load(Ordering::Acquire) {
            self.catch_up().await;
        }
    }

    async fn on_live(&mut self, delivery: Arc<Delivery>) {
        let Payload::Message(envelope) = &delivery.payload else {
            return;
        };
        let Some((epoch, last)) = &mut self.position else {
            // Not ready: the position read that follows covers this message.
            return;
        };
        if envelope.epoch != *epoch {
            // The empty epoch is a channel nobody had published to yet: its
            // first epoch is no reset.
            if !epoch.is_empty() {
                tracing::info!(
                    channel = %self.channel, old = %epoch, new = %envelope.epoch,
                    "channel history was reset (new epoch); delivering from its start"
                );
            }
            *epoch = envelope.epoch.clone();
            *last = 0;
            self.behind.store(true, Ordering::Release);
        }
        if self.behind.load(Ordering::Acquire) {
            // The stream already holds this message (it is written before it
            // is published), so catching up delivers it in order.
            self.catch_up().await;
            return;
        }
        let offset = envelope.offset;
        if offset <= *last {
            return;
        }
        if offset == *last + 1 {
            *last = offset;
            self.fan_out(&delivery);
        } else {
            self.behind.store(true, Ordering::Release);
            self.catch_up().await;
        }
    }

    /// Delivers everything in the stream after the last delivered offset;
    /// a catch-up that delivered anything counts as a gap fill.
    async fn catch_up(&mut self) {
        let mut filled = false;
        self.read_missing(&mut filled).await;
        if filled {
            crate::metrics::get().gap_fills.increment(1);
        }
    }

    /// [`Self::catch_up`]'s reading; sets `filled` when it delivered.
    async fn read_missing(&mut self, filled: &mut bool) {
        let Some((epoch, _)) = &self.position else {
            return;
        };
        let mut epoch = epoch.clone();
        loop {
            let last = self.position.as_ref().map_or(0, |(_, last)| *last);
            match self
                .bus
                .history(&self.channel, Offset(last), None, CATCH_UP_PAGE)
                .await
            {
                Ok(page) => {
                    let full = page.len() == CATCH_UP_PAGE;
                    if let Some(first) = page.first()
                        && first.offset > last + 1
                        && last > 0
                    {
                        tracing::warn!(
                            channel = %self.channel, from = last + 1, to = first.offset - 1,
                            "messages were trimmed from history before they could be delivered"
                        );
                    }
                    for envelope in page {
                        // The empty epoch (nobody had published when we
                        // joined) becomes the first epoch the stream shows:
                        // a message published while live delivery was down
                        // is caught up here, not left for the next publish.
                        if epoch.is_empty() {
                            epoch.clone_from(&envelope.epoch);
                        }
                        if envelope.epoch != epoch || envelope.offset <= last {
                            continue;
                        }
                        if let Some((position_epoch, last)) = &mut self.position {
                            if position_epoch.is_empty() {
                                position_epoch.clone_from(&envelope.epoch);
                            }
                            *last = envelope.offset;
                        }
                        *filled = true;
                        self.fan_out(&Delivery::new(envelope));
                    }
                    if !full {
                        self.behind.store(false, Ordering::Release);
                        self.retry.reset();
                        self.retry_at = None;
                        return;
                    }
                }
                Err(error) => {
                    let delay = self.retry.next_delay();
                    tracing::warn!(
                        channel = %self.channel, %error, retry_in_ms = delay.as_millis() as u64,
                        "cannot read channel history to catch up; retrying"
                    );
                    self.retry_at = Some(Instant::now() + delay);
                    return;
                }
            }
        }
    }

    /// Hands the delivery to every subscriber's queue without waiting; a
    /// subscriber whose queue is full is told to disconnect.
    fn fan_out(&mut self, delivery: &Arc<Delivery>) {
        self.fan_out_where(delivery, |_| true);
    }

    /// Like [`Self::fan_out`], for the subscribers `wanted` selects.
    fn fan_out_where(
        &mut self,
        delivery: &Arc<Delivery>,
        wanted: impl Fn(&SubscriberHandle) -> bool,
    ) {
        delivery.start_trace();
        let mut queued = 0;
        self.subscribers.retain(|subscriber| {
            if !wanted(subscriber) {
                return true;
            }
            match subscriber.queue.try_send(Arc::clone(delivery)) {
                Ok(()) => {
                    queued += 1;
                    true
                }
                Err(mpsc::error::TrySendError::Full(_)) => {
                    subscriber.slow.cancel();
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
        delivery.note_subscribers(queued);
    }
}
