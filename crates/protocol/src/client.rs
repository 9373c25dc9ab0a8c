//! Frames exchanged between clients and the WebSocket gateway.
//!
//! The shapes are documented for users in `docs/protocol.md`; this module is
//! their single definition. Decoding and encoding to bytes live in
//! [`crate::codec`].

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use crate::position::Offset;

/// A position a client resumes from: the last offset it received and the
/// epoch that offset belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Since {
    pub offset: Offset,
    pub epoch: String,
}

/// What a client asks of the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    Subscribe {
        id: Option<u64>,
        channel: String,
        since: Option<Since>,
        /// Also deliver `join`/`leave` frames for this channel.
        presence: bool,
    },
    Unsubscribe {
        id: Option<u64>,
        channel: String,
    },
    /// `data` is the message as JSON text, already validated.
    Publish {
        id: Option<u64>,
        channel: String,
        data: Bytes,
    },
    Ping {
        id: Option<u64>,
    },
    /// Authenticates the connection with a token the REST API issued.
    Connect {
        id: Option<u64>,
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
    AlreadySubscribed,
    NotSubscribed,
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
    Subscribed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        channel: String,
        offset: Offset,
        epoch: String,
        recovered: bool,
    },
    Message {
        channel: String,
        offset: Offset,
        epoch: String,
        ts: u64,
        data: serde_json::Value,
    },
    /// A message whose data is a [`crate::render::Fragment`] to apply to
    /// the page.
    Render {
        channel: String,
        offset: Offset,
        epoch: String,
        ts: u64,
        data: serde_json::Value,
    },
    Ok {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        offset: Option<Offset>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epoch: Option<String>,
    },
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
    },
    /// A client subscribed to the channel (to subscribers that asked).
    Join {
        channel: String,
        client: String,
        #[serde(default)]
        user: Option<String>,
    },
    /// A client left the channel.
    Leave {
        channel: String,
        client: String,
        #[serde(default)]
        user: Option<String>,
    },
    /// The token was accepted; `sub` is its subject.
    Connected {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        sub: String,
    },
    Error {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<u64>,
        code: ErrorCode,
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
