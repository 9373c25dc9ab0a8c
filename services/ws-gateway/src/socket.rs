//! [`ClientSocket`]: writes to one client with a time limit, batching frames
//! into as few socket writes as possible, and giving up as soon as the
//! client is flagged as too slow.

use std::time::Duration;

use futures_util::SinkExt;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::close::CloseReason;
use crate::prefixed::PrefixedStream;

/// The client's WebSocket plus what is needed to write to it safely.
pub struct ClientSocket {
    /// The WebSocket itself.
    pub ws: WebSocketStream<PrefixedStream>,
    write_timeout: Duration,
    slow: CancellationToken,
    send_queue: usize,
}

impl ClientSocket {
    /// Wraps `ws`: a write may take `write_timeout`, `slow` is the
    /// connection's close signal, `send_queue` the queue length a
    /// slow-consumer close reports.
    pub fn new(
        ws: WebSocketStream<PrefixedStream>,
        write_timeout: Duration,
        slow: CancellationToken,
        send_queue: usize,
    ) -> Self {
        Self {
            ws,
            write_timeout,
            slow,
            send_queue,
        }
    }

    /// Buffers a frame; it reaches the socket at the next flush (or when
    /// the write buffer fills).
    pub async fn feed(&mut self, message: Message) -> Result<(), CloseReason> {
        let limit = self.write_timeout;
        let slow = self.slow.clone();
        let queue = self.send_queue;
        tokio::select! {
            result = self.ws.feed(message) => result.map_err(|e| CloseReason::from_read_error(&e)),
            () = slow.cancelled() => Err(CloseReason::SlowConsumer { queue }),
            () = tokio::time::sleep(limit) => Err(CloseReason::WriteTimeout),
        }
    }

    /// Writes everything buffered.
    pub async fn flush(&mut self) -> Result<(), CloseReason> {
        let limit = self.write_timeout;
        let slow = self.slow.clone();
        let queue = self.send_queue;
        tokio::select! {
            result = self.ws.flush() => result.map_err(|e| CloseReason::from_read_error(&e)),
            () = slow.cancelled() => Err(CloseReason::SlowConsumer { queue }),
            () = tokio::time::sleep(limit) => Err(CloseReason::WriteTimeout),
        }
    }

    /// Feeds and flushes one frame.
    pub async fn send(&mut self, message: Message) -> Result<(), CloseReason> {
        self.feed(message).await?;
        self.flush().await
    }

    /// Sends the close frame for `reason` (if it has one) and waits briefly
    /// for the client's answer, so the close handshake completes.
    pub async fn close(mut self, reason: &CloseReason) {
        let Some(frame) = reason.frame() else {
            return;
        };
        // A slow client gets longer: its close frame queues behind the
        // frames already buffered for it, which it may still be reading.
        let grace = match reason {
            CloseReason::SlowConsumer { .. } | CloseReason::WriteTimeout => Duration::from_secs(5),
            _ => Duration::from_secs(1),
        };
        let _ = tokio::time::timeout(grace, async {
            if self.ws.close(Some(frame)).await.is_err() {
                return;
            }
            // Read until the peer's close frame or end of stream.
            use futures_util::StreamExt;
            while let Some(Ok(_)) = self.ws.next().await {}
        })
        .await;
    }
}
