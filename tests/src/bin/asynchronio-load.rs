//! `asynchronio-load`: measures a running stack from the outside.
//!
//! * `fanout`: N WebSocket subscribers spread over C channels while a
//!   publisher sends R messages per second through the real publish script;
//!   reports deliveries per second and publish-to-receive latency percentiles
//!   (the publisher stamps each payload with its send time in µs).
//! * `idle`: opens M subscribed connections and holds them, reporting the
//!   gateway's resident memory per connection (read from /proc).
//! * `publish-script`: prints the Lua publish script, so redis-benchmark can
//!   run exactly the Redis work a publish costs.
//!
//! Runs are bounded in count and time and target loopback only. A run that
//! cannot connect, subscribe or publish exits with status 1, and so does a
//! `fanout --expect-all` run that delivered fewer messages than published
//! times subscribers (`make bench-smoke` relies on both).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asynchronio_bus::{Bus, BusConfig};
use asynchronio_protocol::{EnvelopeDraft, Keys};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_owned())
}

fn num(args: &[String], name: &str, default: u64) -> u64 {
    let text = arg(args, name, &default.to_string());
    text.parse().unwrap_or_else(|_| {
        eprintln!("{name} must be a whole number, got {text:?}");
        std::process::exit(2)
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let Ok(runtime) = runtime else {
        eprintln!("cannot start the runtime");
        std::process::exit(1)
    };
    match args.get(1).map(String::as_str) {
        Some("fanout") => exit_on_failure(runtime.block_on(fanout(&args))),
        Some("idle") => exit_on_failure(runtime.block_on(idle(&args))),
        // The publish script, for redis-benchmark runs of the same Redis work.
        Some("publish-script") => print!("{}", asynchronio_protocol::script::PUBLISH),
        _ => {
            eprintln!(
                "usage:\n  asynchronio-load fanout --url ws://127.0.0.1:8080/ws --redis-url redis://127.0.0.1:6379 \
                 [--subscribers 1000] [--channels 1] [--rate 1000] [--seconds 10] [--payload 64] [--expect-all]\n  \
                 asynchronio-load idle --url ws://127.0.0.1:8080/ws --gateway-pid PID [--connections 10000] [--seconds 10]"
            );
            std::process::exit(2)
        }
    }
}

/// Ends the process with status 1 and the reason when a run failed.
fn exit_on_failure(outcome: Result<(), String>) {
    if let Err(reason) = outcome {
        eprintln!("asynchronio-load: {reason}");
        std::process::exit(1)
    }
}

async fn connect(
    url: &str,
) -> Option<
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
> {
    let config = WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(0);
    match tokio_tungstenite::connect_async_with_config(url, Some(config), true).await {
        Ok((ws, _)) => Some(ws),
        Err(error) => {
            eprintln!("connect failed: {error}");
            None
        }
    }
}

fn subscribe_frame(channel: &str) -> Message {
    Message::Text(Utf8Bytes::from(format!(
        r#"{{"op":"subscribe","id":1,"channel":"{channel}"}}"#
    )))
}

/// The send time the publisher put in the payload: `{"t":MICROS,...}`.
fn stamp(text: &str) -> Option<u64> {
    let start = text.find("\"data\":{\"t\":")? + 12;
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

async fn fanout(args: &[String]) -> Result<(), String> {
    let url = arg(args, "--url", "ws://127.0.0.1:8080/ws");
    let redis_url = arg(args, "--redis-url", "redis://127.0.0.1:6379");
    let subscribers = num(args, "--subscribers", 1000);
    let channels = num(args, "--channels", 1).max(1);
    let rate = num(args, "--rate", 1000);
    let seconds = num(args, "--seconds", 10).min(600);
    let payload = num(args, "--payload", 64) as usize;
    let expect_all = args.iter().any(|a| a == "--expect-all");

    let delivered = Arc::new(AtomicU64::new(0));
    let measuring = Arc::new(AtomicBool::new(false));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut readers = Vec::new();
    for i in 0..subscribers {
        let Some(mut ws) = connect(&url).await else {
            return Err(format!("subscriber {i} could not connect to {url}"));
        };
        let channel = format!("load-{}", i % channels);
        if ws.send(subscribe_frame(&channel)).await.is_err() {
            return Err(format!("subscriber {i} could not subscribe"));
        }
        // Wait for `subscribed` so no message is published before it.
        let _ = ws.next().await;
        let delivered = Arc::clone(&delivered);
        let measuring = Arc::clone(&measuring);
        let mut stopped = stopped.clone();
        readers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let message = tokio::select! {
                    _ = stopped.changed() => break,
                    message = ws.next() => message,
                };
                let Some(Ok(message)) = message else { break };
                if let Message::Text(text) = message
                    && let Some(sent) = stamp(&text)
                {
                    delivered.fetch_add(1, Ordering::Relaxed);
                    if measuring.load(Ordering::Relaxed) {
                        latencies.push(now_us().saturating_sub(sent) as u32);
                    }
                }
            }
            latencies
        }));
    }
    eprintln!(
        "{subscribers} subscribers on {channels} channel(s); publishing {rate}/s for {seconds}s"
    );

    let mut config = BusConfig::new(redis_url, Keys::default());
    config.history.size = 1000;
    let bus = Bus::connect(config, "load")
        .await
        .map_err(|error| format!("cannot connect to Redis: {error}"))?;
    let filler = "x".repeat(payload.saturating_sub(24));
    let tick = Duration::from_millis(10);
    let per_tick = (rate / 100).max(1);
    let warmup = Duration::from_secs(1);
    let started = Instant::now();
    let mut published = 0u64;
    let mut ticker = tokio::time::interval(tick);
    let mut measured_from = None;
    while started.elapsed() < warmup + Duration::from_secs(seconds) {
        ticker.tick().await;
        if measured_from.is_none() && started.elapsed() >= warmup {
            measuring.store(true, Ordering::Relaxed);
            measured_from = Some((Instant::now(), delivered.load(Ordering::Relaxed)));
        }
        publish_tick(&bus, per_tick, channels, &filler).await?;
        published += per_tick;
    }
    let (from, delivered_before) = measured_from.unwrap_or((started, 0));
    let elapsed = from.elapsed().as_secs_f64();
    let delivered_during = delivered.load(Ordering::Relaxed) - delivered_before;
    measuring.store(false, Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let expected = published * subscribers / channels;
    let total = delivered.load(Ordering::Relaxed);

    let _ = stop.send(true);
    let mut latencies: Vec<u32> = Vec::new();
    for reader in readers {
        if let Ok(mut l) = reader.await {
            latencies.append(&mut l);
        }
    }
    latencies.sort_unstable();
    let pct = |p: f64| {
        if latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((latencies.len() as f64 - 1.0) * p).round() as usize;
        f64::from(latencies[i]) / 1000.0
    };
    println!(
        "published {published} messages, delivered {total} of {expected} expected; \
         {:.0} deliveries/s over {elapsed:.1}s",
        delivered_during as f64 / elapsed
    );
    if !latencies.is_empty() {
        println!(
            "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}  ({} samples)",
            pct(0.5),
            pct(0.9),
            pct(0.99),
            pct(1.0),
            latencies.len()
        );
    }
    if expect_all && total < expected {
        return Err(format!(
            "delivered {total} of {expected} messages (--expect-all)"
        ));
    }
    Ok(())
}

async fn publish_tick(bus: &Bus, count: u64, channels: u64, filler: &str) -> Result<(), String> {
    let drafts: Vec<EnvelopeDraft> = (0..count)
        .map(|i| {
            let body = format!(r#"{{"t":{},"f":"{filler}"}}"#, now_us());
            EnvelopeDraft::new(format!("load-{}", i % channels), Bytes::from(body))
        })
        .collect();
    for result in bus.publish_drafts(&drafts).await {
        result.map_err(|error| format!("publish failed: {error}"))?;
    }
    Ok(())
}

fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

async fn idle(args: &[String]) -> Result<(), String> {
    let url = arg(args, "--url", "ws://127.0.0.1:8080/ws");
    let pid = num(args, "--gateway-pid", 0) as u32;
    let connections = num(args, "--connections", 10_000);
    let seconds = num(args, "--seconds", 10).min(600);
    let Some(before) = rss_bytes(pid) else {
        return Err(format!(
            "cannot read /proc/{pid}/status: pass the gateway's --gateway-pid"
        ));
    };
    let mut held = Vec::with_capacity(connections as usize);
    for i in 0..connections {
        let Some(mut ws) = connect(&url).await else {
            break;
        };
        if ws
            .send(subscribe_frame(&format!("idle-{}", i % 100)))
            .await
            .is_err()
        {
            break;
        }
        let _ = ws.next().await;
        held.push(ws);
    }
    if held.is_empty() {
        return Err(format!("no connection to {url} could be opened"));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let Some(after) = rss_bytes(pid) else {
        return Err(format!("the gateway (pid {pid}) is gone"));
    };
    let per = after.saturating_sub(before) as f64 / held.len().max(1) as f64;
    println!(
        "{} idle subscribed connections: gateway RSS {:.1} MiB -> {:.1} MiB, {:.0} bytes ({:.2} KiB) per connection",
        held.len(),
        before as f64 / 1048576.0,
        after as f64 / 1048576.0,
        per,
        per / 1024.0
    );
    Ok(())
}
