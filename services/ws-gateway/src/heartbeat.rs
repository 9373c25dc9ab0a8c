//! Keeps this gateway visible in Redis: a heartbeat in the gateways'
//! heartbeat registry every few seconds, with the subscriber count of each
//! of its channels (`Bus::gateway_heartbeat`), so the REST API can list
//! channels and presence, and forget this gateway soon after it dies.

use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_service::shutdown::farewell;
use tokio_util::sync::CancellationToken;

use crate::hub::ChannelHub;

/// How often the heartbeat is renewed.
const INTERVAL: Duration = Duration::from_secs(5);
/// How long a heartbeat counts; a gateway silent for longer is dead.
const TTL: Duration = Duration::from_secs(15);

/// Beats every [`INTERVAL`] until `stop`, then leaves the registry.
pub async fn run(bus: Bus, hub: ChannelHub, gateway: String, stop: CancellationToken) {
    loop {
        // Raced against the stop: with Redis down a heartbeat waits out its
        // timeout, and shutdown must not wait with it.
        let counts = hub.member_counts();
        let beat = tokio::select! {
            biased;
            () = stop.cancelled() => break,
            beat = bus.gateway_heartbeat(&gateway, TTL, &counts) => beat,
        };
        if let Err(error) = beat {
            tracing::warn!(%error, "cannot renew the gateway heartbeat; retrying");
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(INTERVAL) => {}
        }
    }
    if let Some(Err(error)) = farewell(
        "removing the gateway heartbeat",
        bus.gateway_leave(&gateway),
    )
    .await
    {
        tracing::debug!(%error, "could not remove the gateway heartbeat; it will expire");
    }
}
