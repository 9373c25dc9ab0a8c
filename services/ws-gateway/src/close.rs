//! Why a connection ends, and the RFC 6455 close frame that says so.

use std::borrow::Cow;

use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::error::{CapacityError, ProtocolError};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The reason a connection is being closed by the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The client closed or vanished; nothing left to say.
    PeerGone,
    /// The service is stopping (1001).
    Shutdown,
    /// The client's send queue overflowed (1008).
    SlowConsumer { queue: usize },
    /// A write to the client blocked too long (1008).
    WriteTimeout,
    /// No frame or pong from the client for too long (1001).
    IdleTimeout,
    /// The connection's token expired (1008).
    TokenExpired,
    /// The API key that issued the connection's token was revoked (1008).
    TokenRevoked,
    /// A frame broke RFC 6455 (1002).
    Protocol(String),
    /// A binary frame on the JSON protocol or text on MessagePack (1003).
    UnsupportedData(&'static str),
    /// Text that is not UTF-8 (1007).
    InvalidUtf8,
    /// A message over the size limit (1009).
    TooBig(String),
    /// A server-side fault (1011).
    Internal(String),
}

impl CloseReason {
    /// Classifies an error read from the socket.
    pub fn from_read_error(error: &WsError) -> CloseReason {
        match error {
            WsError::ConnectionClosed | WsError::AlreadyClosed | WsError::Io(_) => {
                CloseReason::PeerGone
            }
            WsError::Utf8(_) => CloseReason::InvalidUtf8,
            WsError::Capacity(CapacityError::MessageTooLong { size, max_size }) => {
                CloseReason::TooBig(format!(
                    "message of {size} bytes exceeds the {max_size}-byte limit"
                ))
            }
            WsError::Capacity(other) => CloseReason::TooBig(other.to_string()),
            WsError::Protocol(ProtocolError::ResetWithoutClosingHandshake) => CloseReason::PeerGone,
            WsError::Protocol(other) => CloseReason::Protocol(other.to_string()),
            other => CloseReason::Internal(other.to_string()),
        }
    }

    /// The close frame to send, if any.
    pub fn frame(&self) -> Option<CloseFrame> {
        let (code, reason): (CloseCode, Cow<'_, str>) = match self {
            CloseReason::PeerGone => return None,
            CloseReason::Shutdown => (CloseCode::Away, "server shutting down; reconnect".into()),
            CloseReason::SlowConsumer { queue } => (
                CloseCode::Policy,
                format!("slow consumer: more than {queue} frames waiting; reconnect and resume with since").into(),
            ),
            CloseReason::WriteTimeout => {
                (CloseCode::Policy, "slow consumer: write timed out; reconnect".into())
            }
            CloseReason::IdleTimeout => (CloseCode::Away, "idle timeout: no frames or pongs".into()),
            CloseReason::TokenExpired => (
                CloseCode::Policy,
                "token expired: reconnect with a fresh token".into(),
            ),
            CloseReason::TokenRevoked => (
                CloseCode::Policy,
                "token revoked: its API key was revoked; reconnect with a new token".into(),
            ),
            CloseReason::Protocol(why) => (CloseCode::Protocol, format!("protocol error: {why}").into()),
            CloseReason::UnsupportedData(why) => (CloseCode::Unsupported, (*why).into()),
            CloseReason::InvalidUtf8 => (CloseCode::Invalid, "text frame is not valid UTF-8".into()),
            CloseReason::TooBig(why) => (CloseCode::Size, why.as_str().into()),
            CloseReason::Internal(why) => (CloseCode::Error, format!("internal error: {why}").into()),
        };
        Some(CloseFrame {
            code,
            reason: truncate(&reason).into(),
        })
    }
}

/// Close reasons must fit a control frame (123 bytes of text).
fn truncate(reason: &str) -> String {
    if reason.len() <= 123 {
        return reason.to_owned();
    }
    let mut end = 123;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_rfc_6455() {
        let code = |r: CloseReason| r.frame().map(|f| u16::from(f.code));
        assert_eq!(code(CloseReason::PeerGone), None);
        assert_eq!(code(CloseReason::Shutdown), Some(1001));
        assert_eq!(code(CloseReason::SlowConsumer { queue: 8 }), Some(1008));
        assert_eq!(code(CloseReason::Protocol("x".into())), Some(1002));
        assert_eq!(code(CloseReason::UnsupportedData("x")), Some(1003));
        assert_eq!(code(CloseReason::InvalidUtf8), Some(1007));
        assert_eq!(code(CloseReason::TooBig("x".into())), Some(1009));
        assert_eq!(code(CloseReason::Internal("x".into())), Some(1011));
    }

    #[test]
    fn long_reasons_fit_a_control_frame() {
        let frame = CloseReason::Internal("é".repeat(200))
            .frame()
            .expect("frame");
        assert!(frame.reason.len() <= 123);
    }
}
