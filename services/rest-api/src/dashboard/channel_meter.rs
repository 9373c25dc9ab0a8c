//! [`ChannelMeter`]: messages per second per channel, measured from the
//! channels' offsets once a second and published on `$sys:metrics` for the
//! charts and channels pages.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use asynchronio_bus::{Bus, BusError};
use asynchronio_protocol::channel::is_render_channel;
use futures_util::future::join_all;
use serde::Serialize;

/// Channels measured per round, at most (the busiest pages stay readable
/// and a round stays one short burst of pipelined commands).
const MAX_CHANNELS: usize = 200;

/// How often the list of channels is re-read with SCAN.
const RESCAN_EVERY: Duration = Duration::from_secs(10);

/// One channel's figures in a `$sys:metrics` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelRate {
    pub channel: String,
    /// Messages per second since the previous round.
    pub rate: f64,
    /// Newest offset.
    pub offset: u64,
    /// Subscribers over all live gateways.
    pub subscribers: u64,
}

/// The payload of a `$sys:metrics` event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricsEvent {
    pub ts_ms: u64,
    /// Sum of every channel's rate.
    pub total_rate: f64,
    pub channels: Vec<ChannelRate>,
}

/// Remembers the previous round's offsets.
#[derive(Debug, Default)]
pub struct ChannelMeter {
    channels: Vec<String>,
    scanned: Option<Instant>,
    previous: HashMap<String, (u64, Instant)>,
}

/// System channels the meter leaves out (they would only measure itself).
fn measured(channel: &str) -> bool {
    !is_render_channel(channel) && channel != asynchronio_protocol::process::METRICS_CHANNEL
}

impl ChannelMeter {
    /// Measures every known channel once.
    pub async fn sample(&mut self, bus: &Bus, now_ms: u64) -> Result<MetricsEvent, BusError> {
        if self.scanned.is_none_or(|at| at.elapsed() >= RESCAN_EVERY) {
            let mut channels = bus.known_channels().await?;
            channels.retain(|c| measured(c));
            channels.truncate(MAX_CHANNELS);
            self.channels = channels;
            self.scanned = Some(Instant::now());
        }
        let positions = join_all(self.channels.iter().map(|c| bus.position(c))).await;
        let subscribers = bus.channel_counts().await?;
        let now = Instant::now();
        let mut rates = Vec::with_capacity(self.channels.len());
        for (channel, position) in self.channels.iter().zip(positions) {
            let offset = position?.offset.0;
            let rate = match self.previous.get(channel) {
                Some(&(before, at)) => {
                    let secs = now.duration_since(at).as_secs_f64().max(0.001);
                    // An offset going back means a new epoch: count from 0.
                    let delta = if offset >= before {
                        offset - before
                    } else {
                        offset
                    };
                    (delta as f64 / secs * 10.0).round() / 10.0
                }
                None => 0.0,
            };
            self.previous.insert(channel.clone(), (offset, now));
            rates.push(ChannelRate {
                channel: channel.clone(),
                rate,
                offset,
                subscribers: subscribers.get(channel).copied().unwrap_or(0),
            });
        }
        self.previous.retain(|c, _| self.channels.contains(c));
        Ok(MetricsEvent {
            ts_ms: now_ms,
            total_rate: rates.iter().map(|r| r.rate).sum(),
            channels: rates,
        })
    }
}
