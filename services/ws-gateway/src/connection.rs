//! One client connection's event loop: read frames, write deliveries in
//! batches, keep the connection alive, and close it with the right code.
//!
//! One timer serves both the keepalive and the token's expiry (it is set to
//! whichever comes first), and the connection's one close signal (`slow`)
//! serves both slow-consumer disconnects and revocation (the reason is read
//! when it fires), so neither adds work per delivery nor memory per idle
//! connection.

use std::sync::Arc;
use std::time::SystemTime;

use asynchronio_protocol::Codec;
use futures_util::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::{Bytes, Message};
use tokio_util::sync::CancellationToken;

use crate::close::CloseReason;
use crate::delivery::{Delivery, Payload};
use crate::metrics::FlushedBatch;
use crate::session::{ClientInfo, Session, SessionContext};
use crate::socket::ClientSocket;

/// Most deliveries written between two flushes.
const WRITE_BATCH: usize = crate::metrics::BATCH;

/// Serves one client until it leaves, misbehaves, falls behind, or the
/// service stops.
pub async fn serve(
    socket: ClientSocket,
    slow: CancellationToken,
    client: ClientInfo,
    context: Arc<SessionContext>,
    shutdown: CancellationToken,
) {
    let conn_id = client.conn_id;
    let limits = context.limits.clone();
    let (queue, mut deliveries) = mpsc::channel::<Arc<Delivery>>(limits.send_queue);
    let mut session = Session::new(client, context, queue, slow.clone());
    let mut socket = socket;
    let reason = run(
        &mut socket,
        &mut session,
        &mut deliveries,
        (&slow, &shutdown),
        &limits,
    )
    .await;
    session.leave_all();
    tracing::debug!(conn_id, ?reason, "connection closing");
    if matches!(
        reason,
        CloseReason::SlowConsumer { .. } | CloseReason::WriteTimeout
    ) {
        crate::metrics::get().slow_consumers.increment(1);
    }
    crate::metrics::connection_closed(reason.frame().map(|frame| u16::from(frame.code)));
    Box::pin(socket.close(&reason)).await;
}

async fn run(
    socket: &mut ClientSocket,
    session: &mut Session,
    deliveries: &mut mpsc::Receiver<Arc<Delivery>>,
    (close, shutdown): (&CancellationToken, &CancellationToken),
    limits: &crate::config::Limits,
) -> CloseReason {
    let mut next_ping = Instant::now() + limits.ping_interval;
    let mut expiry = session.token_deadline();
    let mut generation = session.token_generation();
    let timer = tokio::time::sleep_until(earliest(next_ping, expiry));
    tokio::pin!(timer);
    let mut last_heard = Instant::now();
    loop {
        let step = tokio::select! {
            biased;
            () = shutdown.cancelled() => Err(CloseReason::Shutdown),
            // The connection's one close signal: a channel found it too slow,
            // or revocation found its token's key revoked.
            () = close.cancelled() => Err(if session.token_revoked() {
                CloseReason::TokenRevoked
            } else {
                CloseReason::SlowConsumer { queue: limits.send_queue }
            }),
            Some(delivery) = deliveries.recv() => write_deliveries(socket, session, deliveries, delivery).await,
            incoming = socket.ws.next() => {
                last_heard = Instant::now();
                match incoming {
                    None => Err(CloseReason::PeerGone),
                    Some(Err(error)) => Err(CloseReason::from_read_error(&error)),
                    // Boxed: frame handling (publish, recovery) has a large
                    // state that an idle connection should not carry.
                    Some(Ok(message)) => {
                        let result = Box::pin(on_message(socket, session, message)).await;
                        if session.token_generation() != generation {
                            // A connect frame brought another token.
                            generation = session.token_generation();
                            expiry = session.token_deadline();
                            timer.as_mut().reset(earliest(next_ping, expiry));
                        }
                        result
                    }
                }
            }
            () = &mut timer => {
                let now = Instant::now();
                if expiry.is_some_and(|at| at <= now) {
                    Err(CloseReason::TokenExpired)
                } else if now < next_ping {
                    timer.as_mut().reset(earliest(next_ping, expiry));
                    Ok(())
                } else if last_heard.elapsed() > limits.idle_timeout {
                    Err(CloseReason::IdleTimeout)
                } else {
                    next_ping = now + limits.ping_interval;
                    timer.as_mut().reset(earliest(next_ping, expiry));
                    socket.send(Message::Ping(Bytes::new())).await
                }
            }
        };
        if let Err(reason) = step {
            return reason;
        }
    }
}

/// The sooner of the next ping and the token's expiry.
fn earliest(next_ping: Instant, expiry: Option<Instant>) -> Instant {
    expiry.map_or(next_ping, |at| at.min(next_ping))
}

/// Writes one delivery and any others already queued, then flushes once.
async fn write_deliveries(
    socket: &mut ClientSocket,
    session: &mut Session,
    deliveries: &mut mpsc::Receiver<Arc<Delivery>>,
    first: Arc<Delivery>,
) -> Result<(), CloseReason> {
    let mut batch = FlushedBatch::new();
    // Sampled messages whose span notes this flush; empty (no allocation)
    // unless tracing is on and sampled one.
    let mut traced = Vec::new();
    write_one(socket, session, &first, &mut batch).await?;
    if first.is_traced() {
        traced.push(first);
    }
    for _ in 1..WRITE_BATCH {
        let Ok(next) = deliveries.try_recv() else {
            break;
        };
        write_one(socket, session, &next, &mut batch).await?;
        if next.is_traced() {
            traced.push(next);
        }
    }
    socket.flush().await?;
    batch.flushed();
    if !traced.is_empty() {
        let now = SystemTime::now();
        for delivery in &traced {
            delivery.note_flush(now);
        }
    }
    Ok(())
}

/// Feeds `delivery`'s frame if the session takes it, noting it in `batch`.
async fn write_one(
    socket: &mut ClientSocket,
    session: &mut Session,
    delivery: &Delivery,
    batch: &mut FlushedBatch,
) -> Result<(), CloseReason> {
    let Some(frame) = session.accept(delivery) else {
        return Ok(());
    };
    match &delivery.payload {
        Payload::Message(envelope) => batch.message(envelope.ts, frame.len()),
        Payload::Presence(_) => batch.other(frame.len()),
    }
    socket.feed(frame).await
}

async fn on_message(
    socket: &mut ClientSocket,
    session: &mut Session,
    message: Message,
) -> Result<(), CloseReason> {
    match (message, session.codec()) {
        (Message::Text(text), Codec::Json) => session.handle(text.as_bytes(), socket).await,
        (Message::Binary(bytes), Codec::MsgPack) => session.handle(&bytes, socket).await,
        (Message::Binary(_), Codec::Json) => Err(CloseReason::UnsupportedData(
            "binary frame on the JSON protocol; send text frames or negotiate asynchronio.msgpack",
        )),
        (Message::Text(_), Codec::MsgPack) => Err(CloseReason::UnsupportedData(
            "text frame on the MessagePack protocol; send binary frames",
        )),
        // tungstenite queues the pong itself; it goes out with the next flush.
        (Message::Ping(_), _) => socket.flush().await,
        (Message::Close(_), _) => {
            // tungstenite answered the close; flush it and end.
            let _ = socket.flush().await;
            Err(CloseReason::PeerGone)
        }
        (Message::Pong(_) | Message::Frame(_), _) => Ok(()),
    }
}
