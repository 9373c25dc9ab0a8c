//! [`Session`]: one client's protocol state — its token, its subscriptions
//! and where each stands — and the routing of each client frame to the
//! file that handles it:
//!
//! * `subscribe`: subscribe and unsubscribe frames (checks, joining);
//! * `recovery`: replaying history for a subscribe with `since`;
//! * `publish`: publish frames;
//! * `token`: connect frames, token expiry and revocation;
//! * `presence`: join and leave notices;
//! * `context`: what every connection's session shares.
//!
//! Live deliveries reach the client through [`Session::accept`], which
//! drops what the client is not subscribed to or already has.

mod context;
mod presence;
mod publish;
mod recovery;
mod subscribe;
mod token;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use asynchronio_protocol::token::Claims;
use asynchronio_protocol::{ChannelName, ClientFrame, Codec, ErrorCode, ServerFrame};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

pub use self::context::{ClientInfo, SessionContext};
use crate::access::{self, Action};
use crate::close::CloseReason;
use crate::delivery::{Delivery, Payload, to_message};
use crate::limits::TokenBucket;
use crate::revocation::Holding;
use crate::socket::ClientSocket;

/// Where one of the client's channel subscriptions stands.
struct SubscriptionState {
    /// The epoch of the last offset sent.
    epoch: String,
    /// The last offset sent to the client.
    cursor: u64,
    /// Whether join/leave notices are wanted.
    presence: bool,
}

/// One client's protocol state, owned by its connection's task.
pub struct Session {
    conn_id: u64,
    codec: Codec,
    context: Arc<SessionContext>,
    queue: mpsc::Sender<Arc<Delivery>>,
    slow: CancellationToken,
    subscriptions: HashMap<Arc<str>, SubscriptionState>,
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
    subscribe_bucket: TokenBucket,
    /// Publish frames left on this connection.
    publish_bucket: TokenBucket,
}

impl Session {
    /// The session of a new connection: `queue` is where its channels put
    /// live deliveries, `slow` its one close signal.
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
        let now = Instant::now();
        let subscribe_bucket = TokenBucket::full(context.limits.subscribe_rate, now);
        let publish_bucket = TokenBucket::full(context.limits.publish_rate, now);
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

    /// The connection's encoding.
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
            ClientFrame::Publish {
                id,
                channel,
                data,
                trace,
            } => {
                let reply = self.publish(id, &channel, data, trace).await;
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

    /// Whether the connection's token (or lack of one) allows `action` on
    /// `channel`; the error frame when not.
    fn allowed(&self, action: Action, channel: &str, id: Option<u64>) -> Result<(), ServerFrame> {
        access::check(
            self.claims.as_deref(),
            self.context.require_token,
            action,
            channel,
        )
        .map_err(|denied| ServerFrame::error(id, denied.code, denied.message))
    }

    /// `name` as a valid channel name, or the error frame (without an id:
    /// see [`with_id`]).
    fn channel(&self, name: &str) -> Result<ChannelName, ServerFrame> {
        ChannelName::parse(name, &self.context.limits.channel_rules)
            .map_err(|e| ServerFrame::error(None, ErrorCode::InvalidChannel, e.to_string()))
    }

    /// Encodes and sends one reply frame.
    async fn reply(
        &self,
        socket: &mut ClientSocket,
        frame: ServerFrame,
    ) -> Result<(), CloseReason> {
        if let ServerFrame::Error { code, .. } = &frame {
            crate::metrics::error_frame(*code);
        }
        match self.codec.encode_server(&frame) {
            Ok(bytes) => socket.send(to_message(bytes)).await,
            Err(error) => Err(CloseReason::Internal(error.to_string())),
        }
    }
}

/// An error frame answering the frame numbered `id`.
fn with_id(frame: ServerFrame, id: Option<u64>) -> ServerFrame {
    match frame {
        ServerFrame::Error { code, message, .. } => ServerFrame::Error { id, code, message },
        other => other,
    }
}
