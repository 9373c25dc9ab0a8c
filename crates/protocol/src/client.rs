//! Frames exchanged between clients and the WebSocket gateway.
//!
//! The shapes are documented for users in `docs/protocol.md`; this module is
//! their single definition. Decoding and encoding to bytes live in
//! [`crate::codec`].

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::position::Offset;
use crate::trace::TraceContext;

/// A position a client resumes from: the last offset it received and the
/// epoch that offset belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Since {
    /// The last offset received.
    pub offset: Offset,
    /// The epoch `offset` belongs to; another epoch means the channel
    /// restarted and the client must reload.
    pub epoch: String,
}

/// What a client asks of the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    /// Receive a channel's messages, from `since` on when given.
    Subscribe {
        /// Request id, echoed in the reply.
        id: Option<u64>,
        /// The channel.
        channel: String,
        /// Where the client left off, to be caught up from.
        since: Option<Since>,
        /// Also deliver `join`/`leave` frames for this channel.
        presence: bool,
    },
    /// Stop receiving a channel's messages.
    Unsubscribe {
        /// Request id, echoed in the reply.
        id: Option<u64>,
        /// The channel.
        channel: String,
    },
    /// Publish a message; `data` is the message as JSON text. Decoding
    /// checks only that it is JSON: the gateway applies the payload rule
    /// ([`crate::payload::checked_json`]) before it publishes, as for every
    /// other publisher.
    Publish {
        /// Request id, echoed in the reply.
        id: Option<u64>,
        /// The channel.
        channel: String,
        /// The message as JSON text (not yet checked against
        /// [`crate::payload::checked_json`]).
        data: Bytes,
        /// The publisher's W3C trace context (the frame's optional
        /// `headers` object), checked; stored in the envelope.
        trace: Option<TraceContext>,
    },
    /// Asks for a `pong`.
    Ping {
        /// Request id, echoed in the reply.
        id: Option<u64>,
    },
    /// Authenticates the connection with a token the REST API issued.
    Connect {
        /// Request id, echoed in the reply.
        id: Option<u64>,
        /// The token (a JWT).
        token: String,
    },
}

impl ClientFrame {
    /// The request id the client chose, echoed in the reply.
    pub fn id(&self) -> Option<u64> {
        match self {
            ClientFrame::Subscribe { id, .. }
            | ClientFrame::Unsubscribe { id, .. }
            | ClientFrame::Publish { id, .. }
            | ClientFrame::Ping { id }
            | ClientFrame::Connect { id, .. } => *id,
        }
    }
}

/// Machine-readable reason carried by an `error` frame; the accompanying
/// message says what to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame is not valid JSON (or MessagePack).
    BadRequest,
    /// The frame parses but a field is missing or has the wrong type.
    InvalidFrame,
    /// `op` names no operation.
    UnknownOp,
    /// The channel name is empty, too long or has characters outside the alphabet.
    InvalidChannel,
    /// `since` names an offset that is not one of ours.
    InvalidOffset,
    /// The connection is already subscribed to the channel.
    AlreadySubscribed,
    /// The connection is not subscribed to the channel.
    NotSubscribed,
    /// The connection holds as many subscriptions as the gateway allows.
    TooManySubscriptions,
    /// The published data is larger than the gateway accepts.
    PayloadTooLarge,
    /// No valid token: connect with one the REST API issued.
    Unauthorized,
    /// The client may not do this.
    Forbidden,
    /// Redis cannot be reached right now; retry later.
    Unavailable,
    /// Too many attempts (subscribes) in too short a time; slow down and
    /// retry after a second.
    RateLimited,
    /// A server fault; the message says more.
    Internal,
}

/// What the gateway sends to a client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum ServerFrame {
    /// The subscription holds; messages after `offset` follow.
    Subscribed {
        /// The subscribe request's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        /// The channel.
        channel: String,
        /// The channel's position when the subscription began.
        offset: Offset,
        /// The channel's epoch.
        epoch: String,
        /// Whether everything after the client's `since` was caught up.
        recovered: bool,
    },
    /// One message of a subscribed channel.
    Message {
        /// The channel.
        channel: String,
        /// The message's offset.
        offset: Offset,
        /// The epoch the offset belongs to.
        epoch: String,
        /// Publish time, milliseconds since the Unix epoch.
        ts: u64,
        /// The payload as JSON.
        data: serde_json::Value,
    },
    /// A message whose data is a [`crate::render::Fragment`] to apply to
    /// the page.
    Render {
        /// The channel.
        channel: String,
        /// The message's offset.
        offset: Offset,
        /// The epoch the offset belongs to.
        epoch: String,
        /// Publish time, milliseconds since the Unix epoch.
        ts: u64,
        /// The fragment.
        data: serde_json::Value,
    },
    /// A request succeeded.
    Ok {
        /// The request's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        /// Where a published message landed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<Offset>,
        /// The epoch of `offset`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<String>,
    },
    /// The answer to a `ping`.
    Pong {
        /// The ping's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
    },
    /// A client subscribed to the channel (to subscribers that asked).
    Join {
        /// The channel.
        channel: String,
        /// The client, as `{gateway}/{connection}`.
        client: String,
        /// The client's token subject, if it presented a token.
        #[serde(default)]
        user: Option<String>,
    },
    /// A client left the channel.
    Leave {
        /// The channel.
        channel: String,
        /// The client, as `{gateway}/{connection}`.
        client: String,
        /// The client's token subject, if it presented a token.
        #[serde(default)]
        user: Option<String>,
    },
    /// The token was accepted; `sub` is its subject.
    Connected {
        /// The connect request's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        /// The token's subject.
        sub: String,
    },
    /// A request failed, or the server ends something (a subscription).
    Error {
        /// The failed request's id, if it had one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        /// Why, for machines.
        code: ErrorCode,
        /// Why and what to do, for people.
        message: String,
    },
}

impl ServerFrame {
    /// An error frame.
    pub fn error(id: Option<u64>, code: ErrorCode, message: impl Into<String>) -> Self {
        ServerFrame::Error {
            id,
            code,
            message: message.into(),
        }
    }
}
