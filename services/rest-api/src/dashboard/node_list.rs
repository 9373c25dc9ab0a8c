//! The nodes the Nodes page shows when it opens: the newest heartbeat of
//! every replica still within its ttl, read from `$sys:nodes`' short
//! history (every heartbeat after that arrives over the WebSocket).

use asynchronio_bus::{Bus, BusError, Position};
use asynchronio_protocol::Offset;
use asynchronio_protocol::node::{NODES_CHANNEL, NodeHeartbeat};
use asynchronio_service::node_heartbeat::HISTORY;
use serde::Serialize;

/// A live node as the page's script takes it: the heartbeat, and how long
/// ago Redis received it (so the browser's own clock can age it).
#[derive(Debug, Serialize)]
pub struct LiveNode {
    /// The node's newest heartbeat.
    #[serde(flatten)]
    pub heartbeat: NodeHeartbeat,
    /// Milliseconds since it was published, by this replica's clock against
    /// Redis' publish time.
    pub age_ms: u64,
}

/// The channel's position (read first: whatever is published after it
/// reaches the page as a live message), then the live nodes, newest
/// heartbeat per replica, in kind and id order. Payloads that are not
/// heartbeats are skipped: anyone with the publish scope could have
/// written one.
pub async fn read(bus: &Bus, now_ms: u64) -> Result<(Position, Vec<LiveNode>), BusError> {
    let position = bus.position(NODES_CHANNEL).await?;
    let limit = usize::try_from(HISTORY.size).unwrap_or(usize::MAX);
    let newest_first = bus
        .history_newest_first(NODES_CHANNEL, Offset(0), limit)
        .await?;
    let mut nodes: Vec<LiveNode> = Vec::new();
    for envelope in newest_first {
        let Ok(heartbeat) = NodeHeartbeat::decode(&envelope.payload) else {
            continue;
        };
        let age_ms = now_ms.saturating_sub(envelope.ts);
        if age_ms > heartbeat.ttl_ms() {
            continue;
        }
        let seen = nodes
            .iter()
            .any(|n| n.heartbeat.kind == heartbeat.kind && n.heartbeat.id == heartbeat.id);
        if !seen {
            nodes.push(LiveNode { heartbeat, age_ms });
        }
    }
    nodes.sort_by(|a, b| {
        (a.heartbeat.kind, &a.heartbeat.id).cmp(&(b.heartbeat.kind, &b.heartbeat.id))
    });
    Ok((position, nodes))
}
