//! Hostile clients at scale against one gateway, all at once: a thousand
//! slowloris sockets (a request head that never ends), a thousand
//! connections that subscribe to a busy channel and never read, a client
//! sending 10,000 subscribe frames a second, and clients sending oversize
//! frames as fast as they can. Meanwhile a well-behaved client's latency
//! and the gateway's resident memory are measured, and the witness must get
//! every message.
//!
//! `CROWD_SECONDS` (default 15) sets how long the crowd stays; `make
//! crowds` runs it for 60 s on release binaries.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asynchronio_e2e::manager::memory_kb;
use asynchronio_e2e::{RedisServer, Service, Watch, WsClient};
use asynchronio_protocol::{Codec, EnvelopeDraft, ServerFrame};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

/// Connections of each kind of attacker.
const SLOWLORIS: usize = 1_000;
const NON_READERS: usize = 1_000;
/// Subscribe frames the flooding client sends per second.
const SUBSCRIBES_PER_SECOND: u64 = 10_000;
/// Clients sending oversize frames back to back.
const OVERSIZE_CLIENTS: usize = 4;

/// The gateway's resident memory may not pass this while the crowd is in
/// (README "Configuration" documents it): the non-readers' queues are
/// bounded (1,024 frames of shared buffers each) and the pending sockets
/// are capped.
const RSS_BOUND_KIB: u64 = 128 * 1024;

/// The well-behaved client's p99 publish-to-receive latency bound: 50 ms
/// on release binaries (`make crowds`); the debug build `make test` runs is
/// several times slower, so there it only has to stay under 200 ms.
const P99_BOUND: Duration = if cfg!(debug_assertions) {
    Duration::from_millis(200)
} else {
    Duration::from_millis(50)
};

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |t| t.as_micros() as u64)
}

/// Keeps `count` sockets from addresses 127.0.0.10 onwards (64 per address,
/// the gateway's per-address share) sending a request head one byte a
/// second, reopening each one the gateway closes.
async fn slowloris(port: u16, count: usize, opened: Arc<AtomicU64>, stop: CancellationToken) {
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..count {
        let source = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 10 + (index / 60) as u8));
        let (opened, stop) = (opened.clone(), stop.clone());
        tasks.spawn(async move {
            let head = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nX-Slow: ";
            while !stop.is_cancelled() {
                let Ok(socket) = tokio::net::TcpSocket::new_v4() else {
                    return;
                };
                if socket.bind(SocketAddr::new(source, 0)).is_err() {
                    return;
                }
                let target = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
                let Ok(mut stream) = socket.connect(target).await else {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                };
                opened.fetch_add(1, Ordering::Relaxed);
                for byte in head.iter().chain(std::iter::repeat(&b'a')) {
                    let one = [*byte];
                    let wrote = tokio::select! {
                        () = stop.cancelled() => return,
                        wrote = stream.write_all(&one) => wrote,
                    };
                    if wrote.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_crowds_leave_a_good_client_fast_and_the_gateway_small() {
    let seconds = std::env::var("CROWD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let bus = redis.bus().await;
    let watch = Watch::start(&gateway.ws_url(), bus.clone()).await;
    let stop = CancellationToken::new();
    let rss_idle = memory_kb(gateway.pid(), "VmRSS");

    // The well-behaved client, and a publisher stamping each probe with
    // its send time; a second publisher keeps the non-readers' channel busy.
    let mut good = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    good.subscribe("crowd-probe", None).await;
    let publishers = {
        let (bus, stop) = (bus.clone(), stop.clone());
        tokio::spawn(async move {
            let filler = "x".repeat(512);
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            let mut probes = 0u64;
            while !stop.is_cancelled() {
                tick.tick().await;
                let probe = EnvelopeDraft::new(
                    "crowd-probe",
                    Bytes::from(format!("{{\"t\":{}}}", now_us())),
                );
                if bus.publish(&probe, None).await.is_ok() {
                    probes += 1;
                }
                let busy = EnvelopeDraft::new(
                    "crowd-busy",
                    Bytes::from(format!("{{\"filler\":\"{filler}\"}}")),
                );
                let _ = bus.publish(&busy, None).await;
            }
            probes
        })
    };

    // The crowd.
    let opened = Arc::new(AtomicU64::new(0));
    let slow = tokio::spawn(slowloris(
        gateway.port,
        SLOWLORIS,
        opened.clone(),
        stop.clone(),
    ));
    let mut non_readers = Vec::new();
    for _ in 0..NON_READERS {
        let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
        client.subscribe("crowd-busy", None).await;
        non_readers.push(client);
    }
    let flood = {
        let client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
        let stop = stop.clone();
        tokio::spawn(async move {
            let (mut sink, mut stream) = client.ws.split();
            let reader = tokio::spawn(async move {
                let (mut replies, mut close) = (0u64, None);
                while let Some(Ok(message)) = stream.next().await {
                    match message {
                        Message::Close(frame) => {
                            close = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                            break;
                        }
                        _ => replies += 1,
                    }
                }
                (replies, close)
            });
            let mut sent = 0u64;
            let mut tick = tokio::time::interval(Duration::from_millis(10));
            'sending: while !stop.is_cancelled() {
                tick.tick().await;
                for _ in 0..SUBSCRIBES_PER_SECOND / 100 {
                    sent += 1;
                    let frame =
                        format!(r#"{{"op":"subscribe","id":{sent},"channel":"flood-{sent}"}}"#);
                    if sink.feed(Message::text(frame)).await.is_err() {
                        break 'sending;
                    }
                }
                // A hundred frames per write, as a flooding client would.
                if sink.flush().await.is_err() {
                    break 'sending;
                }
            }
            let _ = sink.close().await;
            let (replies, close) = reader.await.unwrap_or((0, None));
            (sent, replies, close)
        })
    };
    let oversize_closes = Arc::new(AtomicU64::new(0));
    let mut oversize = Vec::new();
    for _ in 0..OVERSIZE_CLIENTS {
        let (url, stop, closes) = (gateway.ws_url(), stop.clone(), oversize_closes.clone());
        oversize.push(tokio::spawn(async move {
            // Just over the gateway's 64 KiB default, so the attacker's bytes
            // go to the limit, not to copying.
            let big = vec![b'['; 65 * 1024];
            while !stop.is_cancelled() {
                let Ok(mut client) = WsClient::try_connect(&url, Codec::Json).await else {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                let _ = client.ws.send(Message::binary(big.clone())).await;
                if let Ok(asynchronio_e2e::Received::Closed(Some((code, _)))) =
                    client.try_recv_within(Duration::from_secs(5)).await
                {
                    assert_eq!(code, 1009, "an oversize frame closes with 1009");
                    closes.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    // Measure while the crowd is in.
    let started = Instant::now();
    let measured_from = now_us();
    let mut latencies = Vec::new();
    let mut rss_peak = 0;
    let mut next_sample = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        if Instant::now() >= next_sample {
            rss_peak = rss_peak.max(memory_kb(gateway.pid(), "VmRSS"));
            next_sample += Duration::from_millis(250);
        }
        // Probes sent while the crowd was gathering waited for this loop:
        // they are not counted.
        if let ServerFrame::Message { data, .. } = good.frame().await
            && let Some(sent) = data["t"].as_u64()
            && sent >= measured_from
        {
            latencies.push(Duration::from_micros(now_us().saturating_sub(sent)));
        }
    }
    stop.cancel();
    let probes = publishers.await.expect("publishers");
    let (flood_sent, flood_replies, flood_close) = flood.await.expect("flood");
    let _ = slow.await;
    for task in oversize {
        task.await.expect("an oversize client");
    }
    drop(non_readers);

    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let (p50, p99) = (p(0.50), p(0.99));
    eprintln!(
        "crowds for {seconds}s: slowloris sockets opened {}, oversize frames closed {}, \
         subscribe flood sent {flood_sent} got {flood_replies} replies then {flood_close:?}; \
         good client {} probes of {probes}, p50 {p50:?} p99 {p99:?}; gateway RSS {} KiB idle, \
         {} KiB peak",
        opened.load(Ordering::Relaxed),
        oversize_closes.load(Ordering::Relaxed),
        latencies.len(),
        rss_idle,
        rss_peak
    );
    assert!(opened.load(Ordering::Relaxed) >= SLOWLORIS as u64);
    assert!(oversize_closes.load(Ordering::Relaxed) > 0);
    assert!(
        flood_sent >= SUBSCRIBES_PER_SECOND * seconds / 2,
        "the flood was not sent: {flood_sent}"
    );
    assert!(
        rss_peak < RSS_BOUND_KIB,
        "gateway RSS peaked at {rss_peak} KiB"
    );
    assert!(p99 < P99_BOUND, "the good client's p99 was {p99:?}");
    watch.finish("hostile crowds").await;
}
