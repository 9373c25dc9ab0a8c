//! Every service's node heartbeat: a task that publishes a
//! [`NodeHeartbeat`] on [`NODES_CHANNEL`] every [`HEARTBEAT_EVERY_MS`]
//! (kind, instance id, version, start time, resident memory, the Redis
//! round trip, and what only the service knows, from a closure), for the
//! dashboard's Nodes page.
//!
//! It publishes through the one publish path (`Bus::publish`), so the
//! heartbeats have offsets and a short history a page reads when it opens;
//! that history is kept small ([`HISTORY`]) by publishing with its own
//! history settings. Redis being away is logged once and retried on the next
//! period; nothing here panics or waits longer than a period.

use std::time::Duration;

use asynchronio_bus::{Bus, HistorySettings};
use asynchronio_protocol::EnvelopeDraft;
use asynchronio_protocol::clock::now_ms;
use asynchronio_protocol::node::{
    GatewayFigures, HEARTBEAT_EVERY_MS, NODES_CHANNEL, NodeHeartbeat, NodeKind,
};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

/// How much of [`NODES_CHANNEL`] Redis keeps: the newest 256 heartbeats
/// (with 5 s periods, 16 s of 80 replicas: more than a heartbeat's ttl),
/// for ten minutes after the last one. Every publisher of the channel is
/// this task, so they all trim alike.
pub const HISTORY: HistorySettings = HistorySettings {
    size: 256,
    ttl_secs: 600,
    idempotency_ttl_secs: 60,
};

/// Who is beating: the parts of a heartbeat that never change.
#[derive(Debug, Clone)]
pub struct Node {
    /// Which service.
    pub kind: NodeKind,
    /// Its instance id (see [`crate::instance_id`]).
    pub id: String,
    /// The binary's version: pass `env!("CARGO_PKG_VERSION")`.
    pub version: &'static str,
}

/// Starts the heartbeat task of a service without figures of its own; it
/// ends when `stop` is cancelled.
pub fn start(bus: &Bus, node: Node, stop: CancellationToken) -> JoinHandle<()> {
    start_with(bus, node, stop, |_| None)
}

/// Starts the heartbeat task; before each heartbeat `figures` is called with
/// the time since its previous call (for rates) and returns what only this
/// service knows (a gateway's figures). It ends when `stop` is cancelled.
pub fn start_with<F>(bus: &Bus, node: Node, stop: CancellationToken, figures: F) -> JoinHandle<()>
where
    F: FnMut(Duration) -> Option<GatewayFigures> + Send + 'static,
{
    tokio::spawn(run(
        bus.with_history(HISTORY),
        node,
        Duration::from_millis(HEARTBEAT_EVERY_MS),
        stop,
        figures,
    ))
}

async fn run<F>(bus: Bus, node: Node, every: Duration, stop: CancellationToken, mut figures: F)
where
    F: FnMut(Duration) -> Option<GatewayFigures>,
{
    let started_at_ms = now_ms();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut previous = Instant::now();
    let mut failing = false;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let now = Instant::now();
        let gateway = figures(now - previous);
        previous = now;
        // Bounded by the period: a Redis that does not answer costs one
        // heartbeat, never a pile of them.
        let beat = tokio::select! {
            () = stop.cancelled() => return,
            beat = tokio::time::timeout(every, beat(&bus, &node, started_at_ms, gateway)) => beat,
        };
        match beat {
            Ok(Ok(())) => {
                if failing {
                    tracing::info!(channel = NODES_CHANNEL, "node heartbeat published again");
                }
                failing = false;
            }
            Ok(Err(error)) => report(&mut failing, &error),
            Err(_) => report(
                &mut failing,
                "Redis did not answer within a heartbeat period",
            ),
        }
    }
}

/// Logs the first failure of a run of them as a warning, the rest quietly.
fn report(failing: &mut bool, error: &str) {
    if *failing {
        tracing::debug!(error, "node heartbeat still failing");
    } else {
        tracing::warn!(
            error,
            channel = NODES_CHANNEL,
            "cannot publish the node heartbeat (is Redis down?); retrying every period"
        );
    }
    *failing = true;
}

/// Measures the Redis round trip, then publishes one heartbeat.
async fn beat(
    bus: &Bus,
    node: &Node,
    started_at_ms: u64,
    gateway: Option<GatewayFigures>,
) -> Result<(), String> {
    let sent = Instant::now();
    bus.ping().await.map_err(|e| e.to_string())?;
    let rtt = sent.elapsed();
    let heartbeat = NodeHeartbeat {
        kind: node.kind,
        id: node.id.clone(),
        version: node.version.to_owned(),
        started_at_ms,
        sent_at_ms: now_ms(),
        every_ms: HEARTBEAT_EVERY_MS,
        rss_bytes: crate::procfs::own_rss_bytes(),
        redis_rtt_us: Some(u64::try_from(rtt.as_micros()).unwrap_or(u64::MAX)),
        gateway,
    };
    let payload = heartbeat.encode().map_err(|e| e.to_string())?;
    let mut draft = EnvelopeDraft::new(NODES_CHANNEL, payload.into());
    draft.publisher = Some(node.kind.as_str().to_owned());
    bus.publish(&draft, None).await.map_err(|e| e.to_string())?;
    Ok(())
}
