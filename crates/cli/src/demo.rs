//! `asynchronio demo`: the demo producer `up` starts, so a fresh install
//! has messages moving: a sine wave, a sawtooth and a counter, as JSON, at
//! a steady rate.

use std::time::{Duration, Instant};

use asynchronio_bus::Bus;
use asynchronio_protocol::EnvelopeDraft;
use bytes::Bytes;

pub async fn run(bus: &Bus, channel: &str, rate: f64) -> anyhow::Result<()> {
    let period = Duration::from_secs_f64(1.0 / rate.clamp(0.1, 10_000.0));
    let mut tick = tokio::time::interval(period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let started = Instant::now();
    let mut count: u64 = 0;
    eprintln!(
        "publishing a sample series to {channel} every {} ms",
        period.as_millis()
    );
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = tick.tick() => {}
        }
        count += 1;
        let t = started.elapsed().as_secs_f64();
        let body = serde_json::json!({
            "seq": count,
            "sine": ((t * 0.5).sin() * 100.0).round() / 100.0,
            "saw": ((t % 10.0) / 10.0 * 100.0).round() / 100.0,
        });
        let mut draft = EnvelopeDraft::new(channel, Bytes::from(body.to_string()));
        draft.publisher = Some("demo".into());
        if let Err(error) = bus.publish(&draft, None).await {
            eprintln!("publish failed ({error}); retrying on the next tick");
        }
    }
}
