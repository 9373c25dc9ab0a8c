//! A WebSocket client speaking the Asynchronio client protocol, for tests.

use std::time::Duration;

use asynchronio_protocol::{ClientFrame, Codec, OutboundFrame, ServerFrame, Since};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Bytes, Message, Utf8Bytes};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for any one frame.
pub const FRAME_TIMEOUT: Duration = Duration::from_secs(10);

/// What arrived.
#[derive(Debug, Clone, PartialEq)]
pub enum Received {
    /// A frame the gateway sent, decoded with the client's codec.
    Frame(ServerFrame),
    /// The server closed the connection, with its close code and reason.
    Closed(Option<(u16, String)>),
}

/// A WebSocket client of the gateway speaking the client protocol in one
/// codec; every failure panics with what went wrong (it is a test's client).
pub struct WsClient {
    /// The connection, for tests that send or read raw WebSocket messages.
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The codec negotiated through the subprotocol.
    pub codec: Codec,
    next_id: u64,
}

impl WsClient {
    /// Connects with the subprotocol of `codec`.
    pub async fn connect(url: &str, codec: Codec) -> WsClient {
        match WsClient::try_connect(url, codec).await {
            Ok(client) => client,
            Err(error) => panic!("{error}"),
        }
    }

    /// Connects with the subprotocol of `codec`, or says why it could not:
    /// for clients that expect failures and reconnect (the chaos suite).
    pub async fn try_connect(url: &str, codec: Codec) -> Result<WsClient, String> {
        let mut request = url
            .into_client_request()
            .map_err(|error| format!("bad test URL {url}: {error}"))?;
        request.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static(codec.subprotocol()),
        );
        let (ws, response) = tokio_tungstenite::connect_async(request)
            .await
            .map_err(|error| format!("cannot connect to {url}: {error}"))?;
        let chosen = response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok());
        if chosen != Some(codec.subprotocol()) {
            return Err(format!(
                "server did not accept the subprotocol: it chose {chosen:?}"
            ));
        }
        Ok(WsClient {
            ws,
            codec,
            next_id: 1,
        })
    }

    /// A fresh request id for frames that carry one.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Encodes `frame` with the client's codec and sends it.
    pub async fn send(&mut self, frame: &ClientFrame) {
        if let Err(error) = self.try_send(frame).await {
            panic!("{error}");
        }
    }

    /// Encodes `frame` with the client's codec and sends it, or says why
    /// it could not.
    pub async fn try_send(&mut self, frame: &ClientFrame) -> Result<(), String> {
        let encoded = self
            .codec
            .encode_client(frame)
            .map_err(|error| format!("cannot encode {frame:?}: {error}"))?;
        let message = match encoded {
            OutboundFrame::Text(text) => Message::Text(Utf8Bytes::from(text)),
            OutboundFrame::Binary(bytes) => Message::Binary(Bytes::from(bytes)),
        };
        self.ws
            .send(message)
            .await
            .map_err(|error| format!("cannot send to the gateway: {error}"))
    }

    /// Sends a WebSocket message as it is (hostile and malformed input).
    pub async fn send_raw(&mut self, message: Message) {
        if let Err(error) = self.ws.send(message).await {
            panic!("cannot send to the gateway: {error}");
        }
    }

    /// The next frame or the close, within [`FRAME_TIMEOUT`].
    pub async fn recv(&mut self) -> Received {
        self.recv_within(FRAME_TIMEOUT).await
    }

    /// The next frame or the close, within `limit`; panics after it.
    pub async fn recv_within(&mut self, limit: Duration) -> Received {
        match self.try_recv_within(limit).await {
            Ok(received) => received,
            Err(error) => panic!("{error}"),
        }
    }

    /// The next frame or the close, within `limit`; an error when nothing
    /// came in time or a frame did not decode.
    pub async fn try_recv_within(&mut self, limit: Duration) -> Result<Received, String> {
        loop {
            let next = tokio::time::timeout(limit, self.ws.next())
                .await
                .map_err(|_| format!("no frame from the gateway within {limit:?}"))?;
            let bytes = match next {
                None | Some(Err(_)) => return Ok(Received::Closed(None)),
                Some(Ok(Message::Close(frame))) => {
                    return Ok(Received::Closed(
                        frame.map(|f| (u16::from(f.code), f.reason.to_string())),
                    ));
                }
                Some(Ok(Message::Text(text))) => Bytes::from(text),
                Some(Ok(Message::Binary(bytes))) => bytes,
                Some(Ok(_)) => continue,
            };
            return self
                .codec
                .decode_server(&bytes)
                .map(Received::Frame)
                .map_err(|error| format!("gateway sent a frame that does not decode: {error}"));
        }
    }

    /// The next frame, failing the test if the connection closed instead.
    pub async fn frame(&mut self) -> ServerFrame {
        match self.recv().await {
            Received::Frame(frame) => frame,
            Received::Closed(close) => panic!("connection closed unexpectedly: {close:?}"),
        }
    }

    /// Subscribes and returns the `subscribed` reply.
    pub async fn subscribe(&mut self, channel: &str, since: Option<Since>) -> ServerFrame {
        self.subscribe_with(channel, since, false).await
    }

    /// Subscribes, asking for join/leave notices when `presence` is set.
    pub async fn subscribe_with(
        &mut self,
        channel: &str,
        since: Option<Since>,
        presence: bool,
    ) -> ServerFrame {
        let id = self.next_id();
        self.send(&ClientFrame::Subscribe {
            id: Some(id),
            channel: channel.to_owned(),
            since,
            presence,
        })
        .await;
        let reply = self.frame().await;
        match &reply {
            ServerFrame::Subscribed { id: Some(got), .. } if *got == id => reply,
            other => panic!("expected subscribed for {channel}, got {other:?}"),
        }
    }

    /// The next `message` frame as (channel, offset, epoch, data).
    pub async fn message(&mut self) -> (String, u64, String, serde_json::Value) {
        match self.frame().await {
            ServerFrame::Message {
                channel,
                offset,
                epoch,
                data,
                ..
            } => (channel, offset.0, epoch, data),
            other => panic!("expected a message, got {other:?}"),
        }
    }
}
