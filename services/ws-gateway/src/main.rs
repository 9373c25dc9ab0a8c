//! `ws-gateway`: serves the Asynchronio client protocol over WebSocket.
//!
//! Startup wires the pieces: one command connection to Redis (publish,
//! history), one pub/sub connection (delivery topics), the [`ChannelHub`]
//! between them, and the listener. SIGTERM/SIGINT stop accepting, close
//! every connection with 1001, and finish Redis work before exiting.

mod access;
mod channel;
mod close;
mod config;
mod connection;
mod delivery;
mod dispatch;
mod echo;
mod heartbeat;
mod http;
mod hub;
mod limits;
mod metrics;
mod prefixed;
mod revocation;
mod server;
mod session;
mod socket;
mod topic_control;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use asynchronio_bus::{Bus, Subscriber};
use asynchronio_protocol::node::{GatewayFigures, NodeKind};
use asynchronio_service::node_heartbeat::{self, Node};
use asynchronio_service::shutdown::{FAREWELL, farewell, join_within};
use asynchronio_service::{Shutdown, run_service};
use clap::Parser;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::GatewayArgs;
use crate::hub::ChannelHub;
use crate::server::Server;
use crate::session::SessionContext;

fn main() -> anyhow::Result<()> {
    let args = GatewayArgs::parse();
    let log = args.log.clone();
    run_service(&log, run(args))
}

async fn run(args: GatewayArgs) -> anyhow::Result<()> {
    let shutdown = Shutdown::on_signals();
    // Before any metric handle is resolved (see `metrics::get`).
    asynchronio_service::metrics::install()?;
    metrics::get();
    let token_keys = args.tokens.keys()?;
    if args.tokens.require_token && token_keys.is_none() {
        anyhow::bail!(
            "--require-token needs a key to verify tokens: set ASYNCHRONIO_TOKEN_SECRET (or --token-public-key)"
        );
    }
    let listener = listen(&args).await?;

    let bus_config = args.redis.bus_config();
    let connect = async {
        let bus = Bus::connect(bus_config, "ws-gateway").await?;
        let subscriber = bus.subscriber("ws-gateway pub/sub").await?;
        anyhow::Ok((bus, subscriber))
    };
    let (bus, subscriber) = tokio::select! {
        connected = connect => connected?,
        () = shutdown.wait() => return Ok(()),
    };

    let gateway_id = asynchronio_service::instance_id(args.gateway_id.as_deref());
    let (hub, control, dispatch) = start_channels(&bus, &subscriber);

    let limits = args.limits();
    let revocations = Arc::new(revocation::Revocations::default());
    // Read before the first client arrives, so tokens naming a key are not
    // refused as "not checked yet" (Redis answered the connect just now).
    tokio::select! {
        () = revocations.refresh(&bus) => {}
        () = shutdown.wait() => return Ok(()),
    }
    let context = Arc::new(SessionContext {
        hub: hub.clone(),
        bus: bus.clone(),
        address_buckets: limits::AddressBuckets::new(limits.address_subscribe_rate),
        limits,
        token_keys,
        require_token: args.tokens.require_token,
        gateway_id: gateway_id.clone(),
        revocations: Arc::clone(&revocations),
    });
    let stop_background = tokio_util::sync::CancellationToken::new();
    let revocation = tokio::spawn(revocations.run(bus.clone(), stop_background.clone()));
    let node = Node {
        kind: NodeKind::WsGateway,
        id: gateway_id.clone(),
        version: env!("CARGO_PKG_VERSION"),
    };
    let node_task =
        node_heartbeat::start_with(&bus, node, stop_background.clone(), gateway_figures());
    let heartbeat_task = tokio::spawn(heartbeat::run(
        bus.clone(),
        hub.clone(),
        gateway_id.clone(),
        stop_background.clone(),
    ));
    let server = Arc::new(Server::new(
        context,
        args.ws_path.clone(),
        args.echo_path.clone(),
        args.static_dir.clone(),
    ));
    server
        .run(
            listener,
            shutdown.token().clone(),
            Duration::from_millis(args.shutdown_grace_ms),
        )
        .await;

    stop_background.cancel();
    join_within(heartbeat_task, FAREWELL * 2, "the gateway heartbeat").await;
    node_task.abort();
    // Aborted, not awaited: a read from an unresponsive Redis must not
    // hold up the exit.
    revocation.abort();
    drop(hub);
    control.abort();
    dispatch.abort();
    farewell("closing the pub/sub connection", subscriber.quit()).await;
    farewell("closing the Redis connection", bus.quit()).await;
    tracing::info!("ws-gateway stopped");
    Ok(())
}

/// The gateway's part of its node heartbeat, from its own atomics (no
/// scrape): connections open now, and deliveries per second and the p50/p99
/// delivery latency over the time since the previous heartbeat.
fn gateway_figures() -> impl FnMut(Duration) -> Option<GatewayFigures> + Send + 'static {
    let mut previous = metrics::read();
    move |period| {
        let now = metrics::read();
        let delivered = now
            .deliveries_total
            .saturating_sub(previous.deliveries_total);
        let latency = now.latency.since(&previous.latency);
        previous = now;
        // The first heartbeat comes at once: no period to count a rate over.
        let seconds = period.as_secs_f64();
        #[allow(clippy::cast_precision_loss, reason = "a rate for people")]
        let deliveries_per_second = if seconds >= 0.5 {
            delivered as f64 / seconds
        } else {
            0.0
        };
        Some(GatewayFigures {
            connections: now.connections_open,
            deliveries_per_second,
            p50_seconds: latency.quantile(0.5),
            p99_seconds: latency.quantile(0.99),
        })
    }
}

/// Binds the listening socket; the error says what to do when it is taken.
async fn listen(args: &GatewayArgs) -> anyhow::Result<TcpListener> {
    let listener = TcpListener::bind(args.listen).await.with_context(|| {
        format!(
            "cannot listen on {}: is another process using it? choose another address with --listen",
            args.listen
        )
    })?;
    tracing::info!(listen = %args.listen, path = %args.ws_path, echo = ?args.echo_path, "ws-gateway listening");
    Ok(listener)
}

/// The hub and the two tasks around it: topic control (subscribing the
/// topics the hub asks for) and dispatch (handing what arrives to the hub).
fn start_channels(
    bus: &Bus,
    subscriber: &Subscriber,
) -> (ChannelHub, JoinHandle<()>, JoinHandle<()>) {
    let topics = Arc::new(topic_control::TopicQueue::default());
    let hub = ChannelHub::new(bus.clone(), Arc::clone(&topics));
    let keys = bus.keys().clone();
    let control = tokio::spawn(topic_control::run_topic_control(
        bus.clone(),
        subscriber.clone(),
        topics,
        move |channel| topic_control::topics_of(&keys, channel),
    ));
    let dispatch = tokio::spawn(dispatch::run_dispatch(
        bus.clone(),
        subscriber.clone(),
        hub.clone(),
    ));
    (hub, control, dispatch)
}
