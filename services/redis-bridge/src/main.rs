//! `redis-bridge`: turns messages that applications hand to Redis directly
//! into channel messages with offsets.
//!
//! Two paths: plain `PUBLISH {prefix}:publish:CHANNEL` (pattern.rs; each
//! channel handled by the replica owning its partition, ownership.rs), and
//! the ingest stream read through a consumer group by one leader at a time
//! (ingest.rs). Both publish through the shared atomic publish routine.

mod config;
mod health;
mod ingest;
mod metrics;
mod ownership;
mod pattern;
mod publish_queue;
mod trace;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Context;
use asynchronio_bus::{Bus, Lease};
use asynchronio_protocol::node::NodeKind;
use asynchronio_service::node_heartbeat::{self, Node};
use asynchronio_service::shutdown::{FAREWELL, GRACE_PERIOD, farewell, join_within};
use asynchronio_service::{Shutdown, run_service};
use clap::Parser;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::config::BridgeArgs;
use crate::health::Health;
use crate::ingest::IngestReader;
use crate::ownership::PartitionKeeper;
use crate::pattern::PatternListener;

/// Drafts waiting between the pattern listener and the publisher.
const PUBLISH_QUEUE: usize = 65_536;

/// At shutdown: how long the listeners may take to stop.
const LISTENERS_STOP: Duration = Duration::from_secs(1);

/// At shutdown: how long queued messages may take to reach Redis.
const DRAIN: Duration = Duration::from_secs(3);

// The shutdown steps' bounds add up to less than the grace period:
// listeners, draining (then a farewell for the publisher), leases and
// heartbeat (release timeout plus a farewell), the health server (a
// farewell) and closing connections (a farewell).
const _: () = assert!(
    LISTENERS_STOP.as_millis()
        + DRAIN.as_millis()
        + 4 * FAREWELL.as_millis()
        + Lease::RELEASE_TIMEOUT.as_millis()
        < GRACE_PERIOD.as_millis()
);

fn main() -> anyhow::Result<()> {
    let args = BridgeArgs::parse();
    let log = args.log.clone();
    run_service(&log, run(args))
}

async fn run(args: BridgeArgs) -> anyhow::Result<()> {
    let shutdown = Shutdown::on_signals();
    // Before any metric handle is resolved (see `metrics::get`).
    asynchronio_service::metrics::install()?;
    metrics::get();
    let replica = args.replica_id();
    let listener = TcpListener::bind(args.listen).await.with_context(|| {
        format!(
            "cannot listen on {} for the health endpoint: is it in use? choose another with --listen",
            args.listen
        )
    })?;
    let bus_config = args.redis.bus_config();
    let keys = bus_config.keys.clone();

    let connect = async {
        let bus = Bus::connect(bus_config.clone(), "redis-bridge").await?;
        let ingest_bus = Bus::connect(bus_config.clone(), "redis-bridge ingest").await?;
        let subscriber = bus.subscriber("redis-bridge pub/sub").await?;
        anyhow::Ok((bus, ingest_bus, subscriber))
    };
    let (bus, ingest_bus, subscriber) = tokio::select! {
        connected = connect => connected?,
        () = shutdown.wait() => return Ok(()),
    };

    let (keeper, ownership) =
        PartitionKeeper::new(bus.clone(), replica.clone(), args.partitions, args.lease());
    let ingest_leading = Arc::new(AtomicBool::new(false));
    let health = Arc::new(Health {
        replica: replica.clone(),
        ownership: Arc::clone(&ownership),
        ready: AtomicBool::new(true),
        bus: bus.clone(),
        ingest_leading: Arc::clone(&ingest_leading),
    });
    tracing::info!(replica, partitions = args.partitions, listen = %args.listen, "redis-bridge started");

    // Stop order: listeners first, then the publisher drains, then leases go.
    let stop_listening = CancellationToken::new();
    let stop_publishing = CancellationToken::new();
    let stop_keeping = CancellationToken::new();

    let keeper_task = tokio::spawn(keeper.run(stop_keeping.clone()));
    // Ends at once when the shutdown starts: nothing of it needs Redis then.
    let node = Node {
        kind: NodeKind::RedisBridge,
        id: replica.clone(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let node_task = node_heartbeat::start(&bus, node, shutdown.token().clone());
    let health_task = tokio::spawn(health::serve(
        listener,
        Arc::clone(&health),
        stop_keeping.clone(),
    ));

    let (drafts, queue) = mpsc::channel(PUBLISH_QUEUE);
    let publisher_task = tokio::spawn(publish_queue::run(
        bus.clone(),
        queue,
        stop_publishing.clone(),
    ));
    let mut patterns = vec![keys.publish_pattern()];
    patterns.extend(args.patterns.iter().filter(|p| !p.is_empty()).cloned());
    let listener_task = tokio::spawn(
        PatternListener {
            subscriber: subscriber.clone(),
            patterns,
            keys,
            ownership,
            max_payload_size: args.max_payload_size(),
            drafts,
        }
        .run(stop_listening.clone()),
    );
    let ingest_task = (!args.no_ingest).then(|| {
        tokio::spawn(
            IngestReader {
                bus: ingest_bus.clone(),
                leases: bus.clone(),
                replica: replica.clone(),
                lease: args.lease(),
                max_payload_size: args.max_payload_size(),
                leading: ingest_leading,
            }
            .run(stop_listening.clone()),
        )
    });

    shutdown.wait().await;
    // Every step is bounded, so the bridge exits within GRACE_PERIOD whether
    // or not Redis answers: listeners 1 s, draining 3 s (then 1 s for the
    // publisher), leases and heartbeat 2 s, the health server 1 s, closing
    // connections 1 s.
    stop_listening.cancel();
    let ingest = async {
        if let Some(task) = ingest_task {
            // An entry read but not yet acknowledged is read again by the
            // next leader, and deduplicated by its idempotency key.
            join_within(task, LISTENERS_STOP, "the ingest reader").await;
        }
    };
    tokio::join!(
        join_within(listener_task, LISTENERS_STOP, "the PUBLISH listener"),
        ingest
    );
    // Give queued messages a bounded time to land, then stop retrying.
    let mut publisher_task = publisher_task;
    if tokio::time::timeout(DRAIN, &mut publisher_task)
        .await
        .is_err()
    {
        stop_publishing.cancel();
        tracing::warn!(
            "publisher did not drain within {DRAIN:?} (is Redis down?); remaining messages dropped"
        );
        join_within(publisher_task, FAREWELL, "the publisher").await;
    }
    stop_keeping.cancel();
    join_within(
        keeper_task,
        Lease::RELEASE_TIMEOUT + FAREWELL,
        "giving back partition leases",
    )
    .await;
    join_within(health_task, FAREWELL, "the health server").await;
    node_task.abort();
    health.ready.store(false, Ordering::Release);
    farewell("closing the Redis connections", async {
        let _ = tokio::join!(subscriber.quit(), ingest_bus.quit(), bus.quit());
    })
    .await;
    tracing::info!("redis-bridge stopped");
    Ok(())
}
