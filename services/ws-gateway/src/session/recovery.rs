//! Recovery: a subscribe with `since` replays the stream from `since` to
//! the position the subscription joined at, when that range is whole.
//!
//! The join comes first (see `subscribe`), so nothing published from then
//! on is missed; the replay covers what came before; live deliveries
//! already sent by the replay are skipped by offset in
//! [`Session::accept`]. No gap, no duplicate. When the history cannot be
//! read, the subscription is dropped and the client told to subscribe
//! again with the same `since`.

use std::sync::Arc;

use asynchronio_bus::Position;
use asynchronio_protocol::{Envelope, ErrorCode, Offset, ServerFrame, Since};

use super::Session;
use crate::close::CloseReason;
use crate::delivery::to_message;
use crate::socket::ClientSocket;

/// Messages read from the stream per page while replaying history.
const HISTORY_PAGE: usize = 1000;

/// What recovery found before the client is told it is subscribed.
pub(super) struct Recovery {
    /// Whether the client will get every message after its `since`.
    pub(super) recovered: bool,
    /// The first page to replay (empty when there is nothing to replay).
    first_page: Vec<Envelope>,
}

/// Redis could not give the history to replay (logged where it happened).
pub(super) struct HistoryUnavailable;

/// Where replay starts: `since`, except that a client that saw offset 0
/// of the empty epoch (the channel had no messages yet) has missed
/// everything since, in whatever epoch. `None` when the range is not whole
/// (another epoch, or a `since` past the join position).
fn replay_from(since: Option<Since>, position: &Position) -> Option<Since> {
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
    since.filter(|s| s.epoch == position.epoch && s.offset <= position.offset)
}

impl Session {
    /// Reads the first page of (since, join position], to tell the client
    /// whether it recovered before replaying.
    pub(super) async fn start_recovery(
        &self,
        channel: &Arc<str>,
        since: Option<Since>,
        position: &Position,
    ) -> Result<Recovery, HistoryUnavailable> {
        let mut recovery = Recovery {
            recovered: false,
            first_page: Vec::new(),
        };
        let Some(since) = replay_from(since, position) else {
            return Ok(recovery);
        };
        if since.offset == position.offset {
            recovery.recovered = true;
            return Ok(recovery);
        }
        let page = self.history_page(channel, since.offset, position).await?;
        recovery.recovered = page.first().is_some_and(|m| m.offset == since.offset.0 + 1);
        recovery.first_page = page;
        Ok(recovery)
    }

    /// Sends the recovered messages, page by page, up to the join
    /// position. A page that cannot be read ends the subscription (the
    /// client subscribes again from its last offset).
    pub(super) async fn replay(
        &mut self,
        id: Option<u64>,
        channel: &Arc<str>,
        recovery: Recovery,
        position: &Position,
        socket: &mut ClientSocket,
    ) -> Result<(), CloseReason> {
        if !recovery.recovered || recovery.first_page.is_empty() {
            return Ok(());
        }
        let mut page = recovery.first_page;
        loop {
            let mut last = None;
            let (mut sent, mut bytes) = (0_u64, 0_u64);
            for envelope in page.drain(..) {
                last = Some(envelope.offset);
                if let Ok(frame) = self.codec.encode_message(&envelope) {
                    let message = to_message(frame);
                    bytes += message.len() as u64;
                    sent += 1;
                    socket.feed(message).await?;
                }
            }
            socket.flush().await?;
            // Deliveries, not in the latency histogram (see metrics).
            crate::metrics::replayed(sent, bytes);
            let Some(last) = last.filter(|last| *last < position.offset.0) else {
                return Ok(());
            };
            page = match self.history_page(channel, Offset(last), position).await {
                Ok(page) if !page.is_empty() => page,
                Ok(_) => return Ok(()),
                Err(HistoryUnavailable) => {
                    return self.fail_subscription(id, channel, socket).await;
                }
            };
        }
    }

    /// Drops a subscription whose recovery could not complete; the client
    /// is told to subscribe again (from its last offset).
    pub(super) async fn fail_subscription(
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

    /// One page of the channel's history after `after`, up to the join
    /// position.
    async fn history_page(
        &self,
        channel: &Arc<str>,
        after: Offset,
        position: &Position,
    ) -> Result<Vec<Envelope>, HistoryUnavailable> {
        self.context
            .bus
            .history(channel, after, Some(position.offset), HISTORY_PAGE)
            .await
            .map_err(|error| {
                tracing::warn!(channel = %channel, %error, "history read failed during recovery");
                HistoryUnavailable
            })
    }
}
