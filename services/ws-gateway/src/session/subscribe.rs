//! Subscribe and unsubscribe frames: the checks before a subscription
//! (budget, name, grant, count), joining the channel's actor, and leaving.
//! What a subscribe with `since` replays is in `recovery`.

use std::sync::Arc;
use std::time::Instant;

use asynchronio_bus::Position;
use asynchronio_protocol::{ChannelName, ErrorCode, ServerFrame, Since};

use super::{Session, SubscriptionState, with_id};
use crate::access::Action;
use crate::channel::SubscriberHandle;
use crate::close::CloseReason;
use crate::socket::ClientSocket;

impl Session {
    /// Subscribes to channel `name`: join first (nothing published from
    /// then on is missed), replay from `since` to the join position, then
    /// live deliveries flow ([`Session::accept`] skips what was replayed).
    pub(super) async fn subscribe(
        &mut self,
        id: Option<u64>,
        name: &str,
        since: Option<Since>,
        presence: bool,
        socket: &mut ClientSocket,
    ) -> Result<(), CloseReason> {
        let channel = match self.admit_subscription(id, name) {
            Ok(channel) => channel,
            Err(reply) => return self.reply(socket, reply).await,
        };
        let key = Arc::clone(channel.as_arc());
        let position = match self.join(id, &key, presence).await {
            Ok(position) => position,
            Err(reply) => return self.reply(socket, reply).await,
        };
        let asked = since.is_some();
        let Ok(recovery) = self.start_recovery(&key, since, &position).await else {
            crate::metrics::recovery("failed");
            return self.fail_subscription(id, &key, socket).await;
        };
        if asked {
            crate::metrics::recovery(if recovery.recovered {
                "recovered"
            } else {
                "not_recovered"
            });
        }
        let subscribed = ServerFrame::Subscribed {
            id,
            channel: channel.to_string(),
            offset: position.offset,
            epoch: position.epoch.clone(),
            recovered: recovery.recovered,
        };
        self.reply(socket, subscribed).await?;
        self.replay(id, &key, recovery, &position, socket).await
    }

    /// The checks before a subscribe, in order: the attempt budgets, a
    /// valid name, the token's grant, not subscribed already, and room for
    /// one more subscription. The channel, or the error frame.
    fn admit_subscription(
        &mut self,
        id: Option<u64>,
        name: &str,
    ) -> Result<ChannelName, ServerFrame> {
        self.take_subscribe_attempt(id)?;
        let channel = self.channel(name).map_err(|reply| with_id(reply, id))?;
        self.allowed(Action::Subscribe, channel.as_str(), id)?;
        if self.subscriptions.contains_key(channel.as_str()) {
            return Err(ServerFrame::error(
                id,
                ErrorCode::AlreadySubscribed,
                format!("already subscribed to {channel}; unsubscribe first to resubscribe"),
            ));
        }
        let max = self.context.limits.max_subscriptions;
        if self.subscriptions.len() >= max {
            return Err(ServerFrame::error(
                id,
                ErrorCode::TooManySubscriptions,
                format!(
                    "a connection may hold at most {max} subscriptions; unsubscribe from some or open another connection"
                ),
            ));
        }
        Ok(channel)
    }

    /// Takes one subscribe attempt from the connection's and the address's
    /// budgets; the error frame when either is spent.
    fn take_subscribe_attempt(&mut self, id: Option<u64>) -> Result<(), ServerFrame> {
        let rate = self.context.limits.subscribe_rate;
        if !self.subscribe_bucket.take(rate, Instant::now()) {
            return Err(ServerFrame::error(
                id,
                ErrorCode::RateLimited,
                format!(
                    "too many subscribe attempts: at most {} per second per connection (bursts of {}); wait a second and retry",
                    rate.per_second, rate.burst
                ),
            ));
        }
        if !self.context.address_buckets.take(self.peer) {
            let rate = self
                .context
                .address_buckets
                .rate()
                .map_or(0.0, |r| r.per_second);
            return Err(ServerFrame::error(
                id,
                ErrorCode::RateLimited,
                format!(
                    "too many subscribe attempts from your address: at most {rate} per second; wait a second and retry"
                ),
            ));
        }
        Ok(())
    }

    /// Joins the channel's actor, records where the subscription starts
    /// and announces the connection's presence. The position joined at, or
    /// the error frame when the channel could not be joined.
    async fn join(
        &mut self,
        id: Option<u64>,
        channel: &Arc<str>,
        presence: bool,
    ) -> Result<Position, ServerFrame> {
        let handle = SubscriberHandle {
            conn_id: self.conn_id,
            queue: self.queue.clone(),
            slow: self.slow.clone(),
            presence,
        };
        let position = self
            .context
            .hub
            .join(channel, handle)
            .await
            .map_err(|error| ServerFrame::error(id, ErrorCode::Unavailable, error.to_string()))?;
        self.subscriptions.insert(
            Arc::clone(channel),
            SubscriptionState {
                epoch: position.epoch.clone(),
                cursor: position.offset.0,
                presence,
            },
        );
        self.announce(channel).await;
        Ok(position)
    }

    /// Ends the subscription to `name`: leaves the channel and its presence.
    pub(super) fn unsubscribe(&mut self, id: Option<u64>, name: &str) -> ServerFrame {
        let Some((channel, _)) = self.subscriptions.remove_entry(name) else {
            return ServerFrame::error(
                id,
                ErrorCode::NotSubscribed,
                format!("not subscribed to {name:?}"),
            );
        };
        self.context.hub.leave(&channel, self.conn_id);
        self.depart(vec![channel]);
        ServerFrame::Ok {
            id,
            offset: None,
            epoch: None,
        }
    }
}
