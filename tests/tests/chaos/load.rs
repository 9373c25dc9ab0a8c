//! The steady load: a publisher per path and WebSocket subscribers that
//! reconnect and resume with `since` the way `asynchronio.js` does (back
//! off with jitter, resubscribe every channel from the last offset and
//! epoch it saw).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use asynchronio_bus::fred::prelude::*;
use asynchronio_e2e::http;
use asynchronio_e2e::{Received as Frame, WsClient};
use asynchronio_protocol::{ClientFrame, Codec, Keys, Offset, ServerFrame, Since};
use bytes::Bytes;
use tokio_util::sync::CancellationToken;

use super::ledger::{Ledger, Path, Publish, Received};
use super::rng::Rng;

/// A subscriber that hears nothing for this long takes its connection for
/// dead and reconnects (every channel carries messages several times a
/// second, so silence means a frozen gateway or a cut link).
const SILENCE: Duration = Duration::from_secs(8);

/// The reconnect delay's ceiling at first and at most, ms (asynchronio.js'
/// `minDelay` and `maxDelay`).
const MIN_BACKOFF_MS: u64 = 250;
const MAX_BACKOFF_MS: u64 = 10_000;

/// How long one publish may take before the publisher gives up on it.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the load goes.
#[derive(Clone)]
pub struct Target {
    /// The WebSocket URL through the load balancer.
    pub ws_url: String,
    /// The REST API's port on loopback, through the load balancer.
    pub api_port: u16,
    /// The admin key, for REST publishes.
    pub admin_key: String,
    /// Redis' address, for raw PUBLISH and the ingest stream.
    pub redis_url: String,
}

/// A message's data: its id and some text for the pipeline to upper-case.
pub fn data(id: &str) -> String {
    format!(r#"{{"id":"{id}","text":"chaos {id}"}}"#)
}

/// The id in a message's data (the pipeline's output keeps it under
/// `original`).
pub fn id_of(data: &serde_json::Value) -> Option<String> {
    data["id"]
        .as_str()
        .or_else(|| data["original"]["id"].as_str())
        .map(str::to_owned)
}

/// Publishes on `path` to `channels` in turn, one every `every`, until
/// `stop`; records every attempt in `ledger`.
pub async fn publish(
    path: Path,
    target: Target,
    channels: Vec<String>,
    every: Duration,
    ledger: Arc<Ledger>,
    stop: CancellationToken,
) -> Result<(), String> {
    let redis = match path {
        Path::Ingest | Path::Raw => Some(redis_client(&target.redis_url).await?),
        _ => None,
    };
    let mut client: Option<WsClient> = None;
    let mut failing_since: Option<Instant> = None;
    let mut n: u64 = 0;
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.is_cancelled() {
        tick.tick().await;
        n += 1;
        let id = format!("{}-{n}", path.name());
        let channel = channels[(n as usize) % channels.len()].clone();
        let began = Instant::now();
        let outcome = match path {
            Path::RestKeyed => rest(&target, &channel, &id, true, &stop).await,
            Path::RestUnkeyed => rest(&target, &channel, &id, false, &stop).await,
            Path::Ingest => ingest(redis.as_ref(), &channel, &id).await,
            Path::Raw => raw(redis.as_ref(), &channel, &id).await,
            Path::ClientFrame => client_frame(&mut client, &target, &channel, &id).await,
        };
        let acked = outcome.is_ok();
        // A keyed publish retries inside `rest` until it lands.
        if path == Path::RestKeyed && began.elapsed() > PUBLISH_TIMEOUT {
            ledger.outage(path, began.elapsed());
        }
        match (&outcome, failing_since) {
            (Ok(_), Some(since)) => {
                ledger.outage(path, since.elapsed());
                failing_since = None;
            }
            (Err(_), None) => failing_since = Some(Instant::now()),
            _ => {}
        }
        ledger.record(Publish {
            id,
            channel,
            acked,
            offset: outcome.ok().flatten(),
        });
    }
    if let Some(since) = failing_since {
        ledger.outage(path, since.elapsed());
    }
    Ok(())
}

/// A fred client of the suite's own, as an application would have one:
/// it reconnects, but sends each command once (`max_command_attempts` 1),
/// so that the ledger knows exactly what was sent.
async fn redis_client(url: &str) -> Result<Client, String> {
    let config = Config::from_url(url).map_err(|e| format!("bad Redis URL {url}: {e}"))?;
    let client = Builder::from_config(config)
        .with_connection_config(|connection| {
            connection.max_command_attempts = 1;
            connection.connection_timeout = Duration::from_secs(2);
        })
        .with_performance_config(|performance| {
            performance.default_command_timeout = PUBLISH_TIMEOUT;
        })
        .set_policy(ReconnectPolicy::new_constant(0, 250))
        .build()
        .map_err(|e| format!("cannot make a Redis client: {e}"))?;
    client
        .init()
        .await
        .map_err(|e| format!("cannot reach Redis at {url}: {e}"))?;
    Ok(client)
}

/// A REST publish; with `keyed`, retried with the same key until it is
/// acknowledged or the run stops. The offset it landed at.
async fn rest(
    target: &Target,
    channel: &str,
    id: &str,
    keyed: bool,
    stop: &CancellationToken,
) -> Result<Option<u64>, String> {
    loop {
        let (port, key, channel, id) = (
            target.api_port,
            target.admin_key.clone(),
            channel.to_owned(),
            id.to_owned(),
        );
        let response = tokio::task::spawn_blocking(move || {
            let auth = format!("Bearer {key}");
            let mut headers = vec![
                ("authorization", auth.as_str()),
                ("content-type", "application/json"),
            ];
            if keyed {
                headers.push(("idempotency-key", id.as_str()));
            }
            http::try_request_to(
                "127.0.0.1",
                port,
                "POST",
                &format!("/api/v1/channels/{channel}/messages"),
                &headers,
                data(&id).as_bytes(),
                PUBLISH_TIMEOUT,
            )
        })
        .await
        .map_err(|e| e.to_string())?;
        let outcome = match response {
            Ok(response) if (200..300).contains(&response.status) => {
                let body: serde_json::Value =
                    serde_json::from_slice(&response.body).unwrap_or_default();
                return Ok(body["offset"].as_str().and_then(|o| o.parse().ok()));
            }
            Ok(response) => Err(format!("HTTP {}: {}", response.status, response.text())),
            Err(error) => Err(error),
        };
        // A keyed publish is retried until the run's end: the key makes
        // the retry safe.
        if !keyed || stop.is_cancelled() {
            return outcome.map(|()| None);
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `XADD {prefix}:ingest * channel CHANNEL data DATA`.
async fn ingest(redis: Option<&Client>, channel: &str, id: &str) -> Result<Option<u64>, String> {
    let redis = redis.ok_or("no Redis client")?;
    let fields = vec![("channel", channel.to_owned()), ("data", data(id))];
    let _: String = redis
        .xadd(Keys::default().ingest(), false, None, "*", fields)
        .await
        .map_err(|e| e.to_string())?;
    Ok(None)
}

/// `PUBLISH {prefix}:publish:CHANNEL DATA`; acknowledged when a bridge
/// heard it.
async fn raw(redis: Option<&Client>, channel: &str, id: &str) -> Result<Option<u64>, String> {
    let redis = redis.ok_or("no Redis client")?;
    let heard: i64 = redis
        .publish(Keys::default().publish_topic(channel), data(id))
        .await
        .map_err(|e| e.to_string())?;
    if heard > 0 {
        Ok(None)
    } else {
        Err("no bridge listened".to_owned())
    }
}

/// A `publish` frame on the publisher's own connection (opened again when
/// it broke); the offset the `ok` reply gave.
async fn client_frame(
    client: &mut Option<WsClient>,
    target: &Target,
    channel: &str,
    id: &str,
) -> Result<Option<u64>, String> {
    if client.is_none() {
        let connected = tokio::time::timeout(
            PUBLISH_TIMEOUT,
            WsClient::try_connect(&target.ws_url, Codec::Json),
        )
        .await
        .map_err(|_| "connect timed out".to_owned())??;
        *client = Some(connected);
    }
    let Some(connection) = client.as_mut() else {
        return Err("no connection".to_owned());
    };
    let request = connection.next_id();
    let outcome = async {
        connection
            .try_send(&ClientFrame::Publish {
                id: Some(request),
                channel: channel.to_owned(),
                data: Bytes::from(data(id)),
                trace: None,
            })
            .await?;
        loop {
            match connection.try_recv_within(PUBLISH_TIMEOUT).await? {
                Frame::Frame(ServerFrame::Ok {
                    id: Some(got),
                    offset,
                    ..
                }) if got == request => return Ok(offset.map(|o| o.0)),
                Frame::Frame(ServerFrame::Error { id: Some(got), .. }) if got == request => {
                    return Err("refused".to_owned());
                }
                Frame::Frame(_) => {}
                Frame::Closed(close) => return Err(format!("closed: {close:?}")),
            }
        }
    }
    .await;
    if outcome.is_err() {
        *client = None;
    }
    outcome
}

/// Figures a subscriber keeps besides its deliveries.
#[derive(Default)]
pub struct Counters {
    /// Messages received, all subscribers.
    pub deliveries: AtomicU64,
    /// Connections lost and opened again, all subscribers.
    pub reconnects: AtomicU64,
    /// Subscriptions that could not be resumed (`recovered: false`, or a
    /// new epoch).
    pub unrecovered: AtomicU64,
    /// The longest time, in ms, from losing a connection to being
    /// subscribed again to every channel.
    pub longest_recovery_ms: AtomicU64,
}

/// One subscriber: subscribes to `channels` at `url`, records every
/// message, and reconnects with `since` until `stop`. What it received,
/// per channel. It reports on `ready` once first subscribed.
pub async fn subscribe(
    url: String,
    channels: Vec<String>,
    seed: u64,
    counters: Arc<Counters>,
    ready: tokio::sync::mpsc::Sender<()>,
    stop: CancellationToken,
) -> BTreeMap<String, Received> {
    let mut rng = Rng::new(seed);
    // Every channel is listed, received from or not: a channel that got
    // nothing must show as losses.
    let mut received: BTreeMap<String, Received> = channels
        .iter()
        .map(|channel| (channel.clone(), Received::new()))
        .collect();
    let mut positions: BTreeMap<String, Since> = BTreeMap::new();
    let mut lost_at: Option<Instant> = None;
    let mut first = true;
    let mut backoff = MIN_BACKOFF_MS;
    while !stop.is_cancelled() {
        if lost_at.is_some() {
            // Back off with jitter, as asynchronio.js does by default: a
            // ceiling from 250 ms doubling to 10 s, waiting half of it
            // plus a random part of the other half.
            let wait = rng.between(backoff / 2, backoff);
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(Duration::from_millis(wait)) => {}
            }
            backoff = (backoff * 2).min(MAX_BACKOFF_MS);
        }
        let Ok(Ok(mut client)) =
            tokio::time::timeout(SILENCE, WsClient::try_connect(&url, Codec::Json)).await
        else {
            lost_at.get_or_insert_with(Instant::now);
            continue;
        };
        // Subscribe to every channel, from where it left off.
        let mut subscribed = true;
        let mut requests = Vec::new();
        for channel in &channels {
            let since = positions.get(channel).cloned();
            let request = client.next_id();
            requests.push(request);
            let sent = client
                .try_send(&ClientFrame::Subscribe {
                    id: Some(request),
                    channel: channel.clone(),
                    since: since.clone(),
                    presence: false,
                })
                .await;
            let reply = match sent {
                Ok(()) => {
                    await_subscribed(&mut client, request, &mut received, &mut positions).await
                }
                Err(error) => Err(error),
            };
            match reply {
                Ok((offset, epoch, recovered)) => {
                    // A channel that had no message yet has no epoch.
                    let resumed = since.as_ref().is_none_or(|since| {
                        recovered && (since.epoch == epoch || since.epoch.is_empty())
                    });
                    if !resumed {
                        counters.unrecovered.fetch_add(1, Ordering::Relaxed);
                    }
                    if !resumed || !positions.contains_key(channel) {
                        positions.insert(
                            channel.clone(),
                            Since {
                                offset: Offset(offset),
                                epoch,
                            },
                        );
                    }
                }
                Err(_) => {
                    subscribed = false;
                    break;
                }
            }
        }
        if !subscribed {
            lost_at.get_or_insert_with(Instant::now);
            continue;
        }
        if first {
            first = false;
            let _ = ready.send(()).await;
        }
        if let Some(lost) = lost_at.take() {
            counters
                .longest_recovery_ms
                .fetch_max(lost.elapsed().as_millis() as u64, Ordering::Relaxed);
        }
        backoff = MIN_BACKOFF_MS;
        // Read until the connection breaks or falls silent.
        loop {
            let next = tokio::select! {
                () = stop.cancelled() => break,
                next = client.try_recv_within(SILENCE) => next,
            };
            match next {
                // A subscription that failed after `subscribed` (a replay
                // that could not be read): start again from the positions.
                Ok(Frame::Frame(ServerFrame::Error { id: Some(id), .. }))
                    if requests.contains(&id) =>
                {
                    counters.reconnects.fetch_add(1, Ordering::Relaxed);
                    lost_at = Some(Instant::now());
                    break;
                }
                Ok(Frame::Frame(frame)) => {
                    if record(&frame, &mut received, &mut positions) {
                        counters.deliveries.fetch_add(1, Ordering::Relaxed);
                    }
                }
                Ok(Frame::Closed(_)) | Err(_) => {
                    counters.reconnects.fetch_add(1, Ordering::Relaxed);
                    lost_at = Some(Instant::now());
                    break;
                }
            }
        }
    }
    received
}

/// Waits for the `subscribed` reply to request `request`, recording any
/// message that comes first; (offset, epoch, recovered).
async fn await_subscribed(
    client: &mut WsClient,
    request: u64,
    received: &mut BTreeMap<String, Received>,
    positions: &mut BTreeMap<String, Since>,
) -> Result<(u64, String, bool), String> {
    loop {
        match client.try_recv_within(SILENCE).await? {
            Frame::Frame(ServerFrame::Subscribed {
                id: Some(got),
                offset,
                epoch,
                recovered,
                ..
            }) if got == request => return Ok((offset.0, epoch, recovered)),
            Frame::Frame(ServerFrame::Error { id: Some(got), .. }) if got == request => {
                return Err("subscribe refused".to_owned());
            }
            Frame::Frame(frame) => {
                record(&frame, received, positions);
            }
            Frame::Closed(close) => return Err(format!("closed: {close:?}")),
        }
    }
}

/// Records a message frame: its offset and id, and the position to resume
/// from. Whether `frame` was a message.
fn record(
    frame: &ServerFrame,
    received: &mut BTreeMap<String, Received>,
    positions: &mut BTreeMap<String, Since>,
) -> bool {
    if let ServerFrame::Message {
        channel,
        offset,
        epoch,
        data,
        ..
    } = frame
    {
        let id = id_of(data).unwrap_or_default();
        received
            .entry(channel.clone())
            .or_default()
            .push((offset.0, id));
        positions.insert(
            channel.clone(),
            Since {
                offset: *offset,
                epoch: epoch.clone(),
            },
        );
        true
    } else {
        false
    }
}
