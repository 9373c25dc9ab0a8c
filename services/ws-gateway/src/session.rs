//! [`Session`]: one client's protocol state — its subscriptions and where
//! each stands — and the handling of every client frame.
//!
//! Recovery happens here: a subscribe with `since` joins the channel first
//! (so nothing published from then on is missed), then replays the stream
//! from `since` to the join position, and finally lets live deliveries
//! through, skipping any offset already sent. No gap, no duplicate.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use asynchronio_bus::Bus;
use asynchronio_protocol::envelope::ContentType;
use asynchronio_protocol::presence::{PresenceEvent, PresenceInfo, PresenceKind};
use asynchronio_protocol::token::{Claims, TokenKeys};
use asynchronio_protocol::{
    ChannelName, ClientFrame, Codec, EnvelopeDraft, ErrorCode, Offset, ServerFrame, Since,
};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::access::{self, Action};
use crate::channel::SubscriberHandle;
use crate::close::CloseReason;
use crate::config::Limits;
use crate::delivery::{Delivery, Payload, to_message};
use crate::hub::ChannelHub;
use crate::limits::{AddressBuckets, Bucket};
use crate::revocation::{Holding, Revocations};
use crate::socket::ClientSocket;

/// Messages read from the stream per page while replaying history.
const HISTORY_PAGE: usize = 1000;

/// Where one subscription stands.
struct Subscription {
    epoch: String,
    /// The last offset sent to the client.
    cursor: u64,
    /// Whether join/leave notices are wanted.
    presence: bool,
}

/// Everything a connection needs besides its socket.
pub struct SessionContext {
    pub hub: ChannelHub,
    pub bus: Bus,
    pub limits: Limits,
    /// Keys to verify client tokens with, if configured.
    pub token_keys: Option<TokenKeys>,
    pub require_token: bool,
    /// This gateway's name in Redis, for presence entries.
    pub gateway_id: String,
    /// Revoked API keys, whose tokens are refused.
    pub revocations: Arc<Revocations>,
    /// Subscribe attempts left per IP address.
    pub address_buckets: AddressBuckets,
}

impl SessionContext {
    /// Verifies a presented token: signature, expiry, `nbf`, and that the
    /// API key that issued it is not revoked. The error says what to do.
    pub fn verify_token(&self, token: &str) -> Result<Claims, String> {
        let Some(keys) = &self.token_keys else {
            return Err(
                "this gateway has no token key configured (ASYNCHRONIO_TOKEN_SECRET)".into(),
            );
        };
        let claims = keys.verify(token).map_err(|e| e.to_string())?;
        self.revocations.check(&claims).map_err(|e| e.to_string())?;
        Ok(claims)
    }
}

/// Who is on the other end of a new connection.
pub struct ClientInfo {
    /// This gateway's number for the connection.
    pub conn_id: u64,
    /// The negotiated encoding.
    pub codec: Codec,
    /// The client's IP address, for per-address limits.
    pub peer: IpAddr,
    /// The token it presented as `?token=`, verified.
    pub claims: Option<Claims>,
}

pub struct Session {
    conn_id: u64,
    codec: Codec,
    context: Arc<SessionContext>,
    queue: mpsc::Sender<Arc<Delivery>>,
    slow: CancellationToken,
    subscriptions: HashMap<Arc<str>, Subscription>,
    /// The verified token, once the client presented one.
    claims: Option<Box<Claims>>,
    /// Changes whenever `claims` does, so the event loop knows to re-arm
    /// the expiry timer.
    token_generation: u64,
    /// Registration as a holder of the token's API key: revoking the key
    /// cancels `slow`, the connection's one close signal (no second token
    /// per connection: idle connections are most of a gateway's memory).
    holding: Option<Holding>,
    /// The client's IP address, for per-address limits.
    peer: IpAddr,
    /// Subscribe attempts left on this connection.
    subscribe_bucket: Bucket,
    /// Publish frames left on this connection.
    publish_bucket: Bucket,
}

impl Session {
    pub fn new(
        client: ClientInfo,
        context: Arc<SessionContext>,
        queue: mpsc::Sender<Arc<Delivery>>,
        slow: CancellationToken,
    ) -> Self {
        let ClientInfo {
            conn_id,
            codec,
            peer,
            claims,
        } = client;
        let subscribe_bucket = Bucket::full(context.limits.subscribe_rate);
        let publish_bucket = Bucket::full(context.limits.publish_rate);
        let holding = claims
            .as_ref()
            .and_then(|claims| context.revocations.hold(claims, conn_id, &slow));
        Self {
            conn_id,
            codec,
            context,
            queue,
            slow,
            subscriptions: HashMap::new(),
            claims: claims.map(Box::new),
            token_generation: 0,
            holding,
            peer,
            subscribe_bucket,
            publish_bucket,
        }
    }

    /// Whether the API key that issued the connection's token is revoked
    /// (read when the close signal fires, to say why).
    pub fn token_revoked(&self) -> bool {
        self.claims
            .as_ref()
            .and_then(|claims| claims.key.as_deref())
            .is_some_and(|key| self.context.revocations.is_revoked(key))
    }

    /// Changes whenever the connection presents a new token.
    pub fn token_generation(&self) -> u64 {
        self.token_generation
    }

    /// When the connection's token expires, if it has one.
    pub fn token_deadline(&self) -> Option<Instant> {
        let exp = self.claims.as_ref()?.exp;
        // Saturating: a far-future `exp` must not overflow the clock.
        let left = UNIX_EPOCH
            .checked_add(Duration::from_secs(exp))
            .and_then(|at| at.duration_since(SystemTime::now()).ok())
            .unwrap_or(Duration::ZERO)
            .min(Duration::from_secs(10 * 365 * 24 * 3600));
        Some(Instant::now() + left)
    }

    fn allowed(&self, action: Action, channel: &str, id: Option<u64>) -> Result<(), ServerFrame> {
        access::check(
            self.claims.as_deref(),
            self.context.require_token,
            action,
            channel,
        )
        .map_err(|denied| ServerFrame::error(id, denied.code, denied.message))
    }

    /// Adopts a new token: its key's registration replaces the old one's,
    /// and subscriptions the new token does not grant end (each with an
    /// error frame), so nothing outlives the token that allowed it.
    async fn connect(
        &mut self,
        id: Option<u64>,
        token: &str,
        socket: &mut ClientSocket,
    ) -> Result<(), CloseReason> {
        let claims = match self.context.verify_token(token) {
            Ok(claims) => claims,
            Err(message) => {
                let reply = ServerFrame::error(id, ErrorCode::Unauthorized, message);
                return self.reply(socket, reply).await;
            }
        };
        let sub = claims.sub.clone();
        // Dropped first: the old registration's drop must not remove the
        // new one (both are this connection's, under the same key).
        self.holding = None;
        self.holding = self
            .context
            .revocations
            .hold(&claims, self.conn_id, &self.slow);
        self.claims = Some(Box::new(claims));
        self.token_generation += 1;
        let ungranted: Vec<Arc<str>> = self
            .subscriptions
            .keys()
            .filter(|channel| self.allowed(Action::Subscribe, channel, None).is_err())
            .cloned()
            .collect();
        for channel in &ungranted {
            self.subscriptions.remove(channel);
            self.context.hub.leave(channel, self.conn_id);
        }
        self.depart(ungranted.clone());
        self.reply(socket, ServerFrame::Connected { id, sub })
            .await?;
        for channel in ungranted {
            let ended = ServerFrame::error(
                None,
                ErrorCode::Forbidden,
                format!(
                    "subscription to {channel} ended: the new token does not grant it; subscribe again with a token that does"
                ),
            );
            self.reply(socket, ended).await?;
        }
        Ok(())
    }

    /// Takes one subscribe attempt from the connection's and the address's
    /// budgets; the error frame when either is spent.
    fn take_subscribe_attempt(&mut self, id: Option<u64>) -> Result<(), ServerFrame> {
        let rate = self.context.limits.subscribe_rate;
        if !self.subscribe_bucket.take(rate) {
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
                .map_or(0, |r| r.per_second);
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

    pub fn codec(&self) -> Codec {
        self.codec
    }

    /// The frame to send for a live delivery, or `None` when the client is
    /// not subscribed any more or already has this offset.
    pub fn accept(&mut self, delivery: &Delivery) -> Option<Message> {
        let envelope = match &delivery.payload {
            Payload::Message(envelope) => envelope,
            Payload::Presence(event) => {
                let subscription = self.subscriptions.get(event.channel.as_str())?;
                return subscription
                    .presence
                    .then(|| delivery.frame(self.codec))
                    .flatten();
            }
        };
        let subscription = self.subscriptions.get_mut(envelope.channel.as_str())?;
        if subscription.epoch != envelope.epoch {
            subscription.epoch.clone_from(&envelope.epoch);
        } else if envelope.offset <= subscription.cursor {
            return None;
        }
        subscription.cursor = envelope.offset;
        delivery.frame(self.codec)
    }

    /// Handles one frame's bytes and writes the replies.
    pub async fn handle(
        &mut self,
        bytes: &[u8],
        socket: &mut ClientSocket,
    ) -> Result<(), CloseReason> {
        let frame = match self.codec.decode_client(bytes) {
            Ok(frame) => frame,
            Err(error) => {
                return self
                    .reply(
                        socket,
                        ServerFrame::error(error.id, error.code, error.message),
                    )
                    .await;
            }
        };
        match frame {
            ClientFrame::Subscribe {
                id,
                channel,
                since,
                presence,
            } => self.subscribe(id, &channel, since, presence, socket).await,
            ClientFrame::Unsubscribe { id, channel } => {
                let reply = self.unsubscribe(id, &channel);
                self.reply(socket, reply).await
            }
            ClientFrame::Publish { id, channel, data } => {
                let reply = self.publish(id, &channel, data).await;
                self.reply(socket, reply).await
            }
            ClientFrame::Ping { id } => self.reply(socket, ServerFrame::Pong { id }).await,
            ClientFrame::Connect { id, token } => self.connect(id, &token, socket).await,
        }
    }

    /// Leaves every channel; called once when the connection ends.
    pub fn leave_all(&mut self) {
        let channels: Vec<Arc<str>> = self
            .subscriptions
            .drain()
            .map(|(channel, _)| channel)
            .collect();
        for channel in &channels {
            self.context.hub.leave(channel, self.conn_id);
        }
        self.depart(channels);
    }

    /// This connection's name in presence lists.
    fn presence_id(&self) -> String {
        format!("{}/{}", self.context.gateway_id, self.conn_id)
    }

    /// Adds this connection to the channel's presence.
    async fn announce(&self, channel: &str) {
        let info = PresenceInfo {
            user: self.claims.as_ref().map(|c| c.sub.clone()),
            joined_ms: asynchronio_protocol::clock::now_ms(),
        };
        if let Err(error) = self
            .context
            .bus
            .presence_add(channel, &self.presence_id(), &info.to_json())
            .await
        {
            tracing::debug!(%error, channel, "could not record presence");
        }
        let event = self.presence_event(PresenceKind::Join, channel);
        if let Err(error) = self.context.bus.publish_presence(&event).await {
            tracing::debug!(%error, channel, "could not announce a join");
        }
    }

    fn presence_event(&self, kind: PresenceKind, channel: &str) -> PresenceEvent {
        PresenceEvent {
            kind,
            channel: channel.to_owned(),
            client: self.presence_id(),
            user: self.claims.as_ref().map(|c| c.sub.clone()),
        }
    }

    /// Removes this connection from channels' presence and tells the
    /// channels' other subscribers, in the background.
    fn depart(&self, channels: Vec<Arc<str>>) {
        if channels.is_empty() {
            return;
        }
        let bus = self.context.bus.clone();
        let client = self.presence_id();
        let events: Vec<PresenceEvent> = channels
            .iter()
            .map(|channel| self.presence_event(PresenceKind::Leave, channel))
            .collect();
        tokio::spawn(async move {
            for (channel, event) in channels.iter().zip(events) {
                if let Err(error) = bus.presence_remove(channel, &client).await {
                    tracing::debug!(%error, "could not remove a presence entry; it expires with the gateway");
                }
                let _ = bus.publish_presence(&event).await;
            }
        });
    }

    fn channel(&self, name: &str) -> Result<ChannelName, ServerFrame> {
        ChannelName::parse(name, &self.context.limits.channel_rules)
            .map_err(|e| ServerFrame::error(None, ErrorCode::InvalidChannel, e.to_string()))
    }

    async fn subscribe(
        &mut self,
        id: Option<u64>,
        name: &str,
        since: Option<Since>,
        presence: bool,
        socket: &mut ClientSocket,
    ) -> Result<(), CloseReason> {
        if let Err(reply) = self.take_subscribe_attempt(id) {
            return self.reply(socket, reply).await;
        }
        let channel = match self.channel(name) {
            Ok(channel) => channel,
            Err(reply) => return self.reply(socket, with_id(reply, id)).await,
        };
        if let Err(reply) = self.allowed(Action::Subscribe, channel.as_str(), id) {
            return self.reply(socket, reply).await;
        }
        if self.subscriptions.contains_key(channel.as_str()) {
            let reply = ServerFrame::error(
                id,
                ErrorCode::AlreadySubscribed,
                format!("already subscribed to {channel}; unsubscribe first to resubscribe"),
            );
            return self.reply(socket, reply).await;
        }
        let max = self.context.limits.max_subscriptions;
        if self.subscriptions.len() >= max {
            let reply = ServerFrame::error(
                id,
                ErrorCode::TooManySubscriptions,
                format!(
                    "a connection may hold at most {max} subscriptions; unsubscribe from some or open another connection"
                ),
            );
            return self.reply(socket, reply).await;
        }
        let key = Arc::clone(channel.as_arc());
        let handle = SubscriberHandle {
            conn_id: self.conn_id,
            queue: self.queue.clone(),
            slow: self.slow.clone(),
            presence,
        };
        let position = match self.context.hub.join(&key, handle).await {
            Ok(position) => position,
            Err(error) => {
                let reply = ServerFrame::error(id, ErrorCode::Unavailable, error.to_string());
                return self.reply(socket, reply).await;
            }
        };
        self.subscriptions.insert(
            Arc::clone(&key),
            Subscription {
                epoch: position.epoch.clone(),
                cursor: position.offset.0,
                presence,
            },
        );
        self.announce(&key).await;

        // Recovery: replay (since, join position] when that range is whole.
        let mut first_page = Vec::new();
        let mut recovered = false;
        // A client that saw offset 0 of the empty epoch (the channel had no
        // messages yet) has missed everything since, in whatever epoch.
        let since = since.map(|s| {
            if s.epoch.is_empty() && s.offset.0 == 0 {
                Since {
                    offset: s.offset,
                    epoch: position.epoch.clone(),
                }
            } else {
                s
            }
        });
        if let Some(since) =
            since.filter(|s| s.epoch == position.epoch && s.offset <= position.offset)
        {
            if since.offset == position.offset {
                recovered = true;
            } else {
                match self
                    .context
                    .bus
                    .history(&key, since.offset, Some(position.offset), HISTORY_PAGE)
                    .await
                {
                    Ok(page) => {
                        recovered = page.first().is_some_and(|m| m.offset == since.offset.0 + 1);
                        first_page = page;
                    }
                    Err(error) => {
                        tracing::warn!(channel = %key, %error, "history read failed during recovery");
                        return self.fail_subscription(id, &key, socket).await;
                    }
                }
            }
        }
        let subscribed = ServerFrame::Subscribed {
            id,
            channel: channel.to_string(),
            offset: position.offset,
            epoch: position.epoch.clone(),
            recovered,
        };
        self.reply(socket, subscribed).await?;
        if !recovered || first_page.is_empty() {
            return Ok(());
        }
        let mut page = first_page;
        loop {
            let mut last = None;
            for envelope in page.drain(..) {
                last = Some(envelope.offset);
                if let Ok(frame) = self.codec.encode_message(&envelope) {
                    socket.feed(to_message(frame)).await?;
                }
            }
            socket.flush().await?;
            let Some(last) = last.filter(|last| *last < position.offset.0) else {
                return Ok(());
            };
            page = match self
                .context
                .bus
                .history(&key, Offset(last), Some(position.offset), HISTORY_PAGE)
                .await
            {
                Ok(page) if !page.is_empty() => page,
                Ok(_) => return Ok(()),
                Err(error) => {
                    tracing::warn!(channel = %key, %error, "history read failed during recovery");
                    return self.fail_subscription(id, &key, socket).await;
                }
            };
        }
    }

    /// Drops a subscription whose recovery could not complete; the client
    /// is told to subscribe again (from its last offset).
    async fn fail_subscription(
        &mut self,
        id: Option<u64>,
        channel: &Arc<str>,
        socket: &mut ClientSocket,
    ) -> Result<(), CloseReason> {
        self.subscriptions.remove(channel);
        self.context.hub.leave(channel, self.conn_id);
        let reply = ServerFrame::error(
            id,
            ErrorCode::Unavailable,
            "history could not be read (Redis unavailable); subscribe again with the same since",
        );
        self.reply(socket, reply).await
    }

    fn unsubscribe(&mut self, id: Option<u64>, name: &str) -> ServerFrame {
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

    async fn publish(&mut self, id: Option<u64>, name: &str, data: bytes::Bytes) -> ServerFrame {
        let channel = match self.channel(name) {
            Ok(channel) => channel,
            Err(reply) => return with_id(reply, id),
        };
        if let Err(reply) = self.allowed(Action::Publish, channel.as_str(), id) {
            return reply;
        }
        let rate = self.context.limits.publish_rate;
        if !self.publish_bucket.take(rate) {
            return ServerFrame::error(
                id,
                ErrorCode::RateLimited,
                format!(
                    "too many publishes: at most {} per second per connection (bursts of {}); slow down, or publish through the REST API",
                    rate.per_second, rate.burst
                ),
            );
        }
        let max = self.context.limits.max_message_size;
        if data.len() > max {
            return ServerFrame::error(
                id,
                ErrorCode::PayloadTooLarge,
                format!("data is {} bytes; the limit is {max}", data.len()),
            );
        }
        let payload = match asynchronio_protocol::checked_json(data) {
            Ok(payload) => payload,
            Err(error) => return ServerFrame::error(id, ErrorCode::BadRequest, error.to_string()),
        };
        let draft = EnvelopeDraft {
            channel: channel.to_string(),
            content_type: ContentType::Json,
            payload,
            headers: Vec::new(),
            publisher: Some(match &self.claims {
                Some(claims) => format!("user:{}", claims.sub),
                None => "ws-gateway".to_owned(),
            }),
        };
        match self.context.bus.publish(&draft, None).await {
            Ok(published) => ServerFrame::Ok {
                id,
                offset: Some(published.offset),
                epoch: Some(published.epoch),
            },
            Err(error) => {
                tracing::warn!(channel = %channel, %error, "client publish failed");
                ServerFrame::error(
                    id,
                    ErrorCode::Unavailable,
                    "could not publish: Redis is unavailable; retry shortly",
                )
            }
        }
    }

    async fn reply(
        &self,
        socket: &mut ClientSocket,
        frame: ServerFrame,
    ) -> Result<(), CloseReason> {
        match self.codec.encode_server(&frame) {
            Ok(bytes) => socket.send(to_message(bytes)).await,
            Err(error) => Err(CloseReason::Internal(error.to_string())),
        }
    }
}

fn with_id(frame: ServerFrame, id: Option<u64>) -> ServerFrame {
    match frame {
        ServerFrame::Error { code, message, .. } => ServerFrame::Error { id, code, message },
        other => other,
    }
}
