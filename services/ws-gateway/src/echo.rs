//! The echo endpoint: sends every data message back unchanged, through the
//! same WebSocket stack, limits and close handling as the client endpoint.
//! It exists for RFC 6455 conformance runs and is off unless configured.

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::close::CloseReason;
use crate::socket::ClientSocket;

/// Echoes every data frame back until the client closes or the gateway
/// stops.
pub async fn serve(mut socket: ClientSocket, shutdown: CancellationToken) {
    let reason = loop {
        let incoming = tokio::select! {
            () = shutdown.cancelled() => break CloseReason::Shutdown,
            incoming = socket.ws.next() => incoming,
        };
        let step = match incoming {
            None => Err(CloseReason::PeerGone),
            Some(Err(error)) => Err(CloseReason::from_read_error(&error)),
            Some(Ok(message @ (Message::Text(_) | Message::Binary(_)))) => {
                socket.send(message).await
            }
            Some(Ok(Message::Ping(_))) => socket.flush().await,
            Some(Ok(Message::Close(_))) => {
                let _ = socket.flush().await;
                Err(CloseReason::PeerGone)
            }
            Some(Ok(Message::Pong(_) | Message::Frame(_))) => Ok(()),
        };
        if let Err(reason) = step {
            break reason;
        }
    };
    crate::metrics::connection_closed(reason.frame().map(|frame| u16::from(frame.code)));
    socket.close(&reason).await;
}
