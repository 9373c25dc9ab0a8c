//! Every service's `GET /metrics`, scraped and read with a real Prometheus
//! parser: the counters move by exactly what happened.

use std::time::Duration;

use asynchronio_e2e::scrape::{scrape, scrape_until};
use asynchronio_e2e::{Received, RedisServer, Service, WsClient};
use asynchronio_protocol::{ClientFrame, Codec, EnvelopeDraft, Offset, ServerFrame, Since};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

const DELIVERIES: &str = "asynchronio_gateway_deliveries_total";
const LATENCY: &str = "asynchronio_gateway_delivery_latency_seconds";
const BYTES: &str = "asynchronio_gateway_written_bytes_total";
const RECOVERIES: &str = "asynchronio_gateway_recoveries_total";
const RECONNECTS: &str = "asynchronio_gateway_redis_reconnects_total";
const GAP_FILLS: &str = "asynchronio_gateway_gap_fills_total";

/// Reads `n` message frames as they came over the wire (their offsets
/// must be `first..first + n`), returning the bytes of their payloads.
async fn message_bytes(client: &mut WsClient, first: u64, n: u64) -> u64 {
    let mut bytes = 0;
    let mut expected = first;
    while expected < first + n {
        let next = tokio::time::timeout(Duration::from_secs(10), client.ws.next()).await;
        let raw = match next {
            Ok(Some(Ok(Message::Text(text)))) => Bytes::from(text),
            Ok(Some(Ok(Message::Binary(raw)))) => raw,
            Ok(Some(Ok(_))) => continue,
            other => panic!("expected message {expected}, got {other:?}"),
        };
        match client.codec.decode_server(&raw) {
            Ok(ServerFrame::Message { offset, .. }) => assert_eq!(offset.0, expected),
            other => panic!("expected message {expected}, got {other:?}"),
        }
        bytes += raw.len() as u64;
        expected += 1;
    }
    bytes
}

#[tokio::test]
async fn gateway_counts_every_delivery_and_its_latency() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let before = scrape(gateway.port);
    let deliveries_before = before.value(DELIVERIES, &[]);
    let bytes_before = before.value(BYTES, &[]);

    let mut first = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    first.subscribe("metered", None).await;
    let mut second = WsClient::connect(&gateway.ws_url(), Codec::MsgPack).await;
    second.subscribe("metered", None).await;
    let mut other = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    other.subscribe("metered", None).await;
    other.subscribe("elsewhere", None).await;
    let gauges = scrape(gateway.port);
    assert_eq!(gauges.value("asynchronio_gateway_subscriptions", &[]), 4.0);
    assert_eq!(gauges.value("asynchronio_gateway_channels", &[]), 2.0);
    assert_eq!(
        gauges.value("asynchronio_gateway_connections_open", &[]),
        3.0
    );
    assert_eq!(
        gauges.value("asynchronio_gateway_connections_opened_total", &[]),
        3.0
    );
    // One leaves a channel: the gauges follow at once.
    let id = other.next_id();
    other
        .send(&ClientFrame::Unsubscribe {
            id: Some(id),
            channel: "metered".to_owned(),
        })
        .await;
    let _ = other.frame().await;
    let gauges = scrape(gateway.port);
    assert_eq!(gauges.value("asynchronio_gateway_subscriptions", &[]), 3.0);
    assert_eq!(gauges.value("asynchronio_gateway_channels", &[]), 2.0);

    const N: u64 = 40;
    let bus = redis.bus().await;
    let started = std::time::Instant::now();
    for i in 0..N {
        let draft = EnvelopeDraft::new("metered", Bytes::from(format!("{{\"n\":{i}}}")));
        assert!(bus.publish_drafts(&[draft]).await.iter().all(Result::is_ok));
    }
    let mut received_bytes = 0;
    for client in [&mut first, &mut second] {
        received_bytes += message_bytes(client, 1, N).await;
    }

    let expected = (2 * N) as f64;
    let after = scrape_until(gateway.port, "2N deliveries counted", |m| {
        m.value(DELIVERIES, &[]) - deliveries_before >= expected
            && m.histogram_count(LATENCY, &[]) >= expected
    })
    .await;
    // Every observation happened within the test's own window (plus the
    // millisecond the envelope's ts truncates away).
    let window = started.elapsed().as_secs_f64() + 0.001;
    assert_eq!(after.value(DELIVERIES, &[]) - deliveries_before, expected);
    assert_eq!(after.histogram_count(LATENCY, &[]), expected);
    // Exactly the payload bytes of the frames the clients received.
    assert_eq!(
        after.value(BYTES, &[]) - bytes_before,
        received_bytes as f64,
        "bytes written must be the sum of the delivered frames"
    );
    let bounds = after.histogram_bounds(LATENCY);
    assert!(
        bounds.first().is_some_and(|b| (b - 0.0001).abs() < 1e-12) && bounds.contains(&10.0),
        "latency buckets must run from 0.1 ms to 10 s: {bounds:?}"
    );
    let sum = after.value(&format!("{LATENCY}_sum"), &[]);
    assert!(
        (0.0..=expected * window).contains(&sum),
        "latency sum {sum} s for {expected} deliveries within {window} s"
    );
    // Every observation is in the first bucket that covers the window.
    let (bound, within) = after
        .histogram_buckets(LATENCY)
        .into_iter()
        .find(|(bound, _)| *bound >= window)
        .unwrap_or((f64::INFINITY, 0.0));
    assert_eq!(within, expected, "observations above {bound} s");

    // An error frame is counted by its code.
    first
        .send(&ClientFrame::Unsubscribe {
            id: Some(7),
            channel: "never-joined".to_owned(),
        })
        .await;
    let _ = first.frame().await;
    scrape_until(gateway.port, "error frame counted", |m| {
        m.value(
            "asynchronio_gateway_error_frames_total",
            &[("code", "not_subscribed")],
        ) == 1.0
    })
    .await;

    // A client that leaves is counted closed, without a close code of ours.
    drop(second);
    let closed = scrape_until(gateway.port, "a closed connection", |m| {
        m.value("asynchronio_gateway_connections_closed_total", &[]) >= 1.0
    })
    .await;
    assert_eq!(
        closed.value(
            "asynchronio_gateway_connections_closed_total",
            &[("code", "none")]
        ),
        1.0
    );

    for name in [
        "asynchronio_gateway_connections_open",
        "asynchronio_gateway_connections_opened_total",
        "asynchronio_gateway_connections_closed_total",
        "asynchronio_gateway_subscriptions",
        "asynchronio_gateway_channels",
        DELIVERIES,
        BYTES,
        LATENCY,
        "asynchronio_gateway_error_frames_total",
    ] {
        closed.assert_help(name);
    }

    // Everybody leaves: every gauge is back to 0.
    drop(first);
    drop(other);
    let empty = scrape_until(gateway.port, "gauges back to 0", |m| {
        m.value("asynchronio_gateway_connections_open", &[]) == 0.0
    })
    .await;
    assert_eq!(
        empty.value("asynchronio_gateway_connections_closed_total", &[]),
        3.0
    );
    scrape_until(gateway.port, "no subscriptions, no channels", |m| {
        m.value("asynchronio_gateway_subscriptions", &[]) == 0.0
            && m.value("asynchronio_gateway_channels", &[]) == 0.0
    })
    .await;
}

#[tokio::test]
async fn gateway_counts_echo_connections_closed() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &["--echo-path", "/echo"]);
    let url = format!("ws://127.0.0.1:{}/echo", gateway.port);
    let (mut echo, _) = match tokio_tungstenite::connect_async(url.as_str()).await {
        Ok(connected) => connected,
        Err(error) => panic!("cannot connect to {url}: {error}"),
    };
    assert!(echo.send(Message::text("ping")).await.is_ok());
    assert!(matches!(echo.next().await, Some(Ok(Message::Text(_)))));
    let open = scrape(gateway.port);
    assert_eq!(open.value("asynchronio_gateway_connections_open", &[]), 1.0);
    assert_eq!(
        open.value("asynchronio_gateway_connections_opened_total", &[]),
        1.0
    );
    drop(echo);
    let closed = scrape_until(gateway.port, "the echo connection closed", |m| {
        m.value("asynchronio_gateway_connections_closed_total", &[]) >= 1.0
    })
    .await;
    assert_eq!(
        closed.value("asynchronio_gateway_connections_closed_total", &[]),
        1.0
    );
    scrape_until(gateway.port, "no connection open", |m| {
        m.value("asynchronio_gateway_connections_open", &[]) == 0.0
    })
    .await;
}

#[tokio::test]
async fn gateway_counts_recovery_replays_as_deliveries_not_latency() {
    const N: u64 = 12;
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let bus = redis.bus().await;
    for i in 0..N {
        let draft = EnvelopeDraft::new("replayed", Bytes::from(format!("{{\"n\":{i}}}")));
        assert!(bus.publish_drafts(&[draft]).await.iter().all(Result::is_ok));
    }
    let before = scrape(gateway.port);
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    // Offset 0 of the empty epoch: "I saw nothing yet", so all N replay.
    let since = Since {
        offset: Offset(0),
        epoch: String::new(),
    };
    match client.subscribe("replayed", Some(since)).await {
        ServerFrame::Subscribed { recovered, .. } => assert!(recovered),
        other => panic!("{other:?}"),
    }
    let replayed_bytes = message_bytes(&mut client, 1, N).await;
    let after = scrape_until(gateway.port, "the replay counted", |m| {
        m.value(DELIVERIES, &[]) - before.value(DELIVERIES, &[]) >= N as f64
    })
    .await;
    assert_eq!(
        after.value(RECOVERIES, &[("result", "recovered")]),
        1.0,
        "{}",
        after.text
    );
    assert_eq!(
        after.value(DELIVERIES, &[]) - before.value(DELIVERIES, &[]),
        N as f64
    );
    assert_eq!(
        after.value(BYTES, &[]) - before.value(BYTES, &[]),
        replayed_bytes as f64
    );
    // A replay's age is the history's, not a delivery latency.
    assert_eq!(after.histogram_count(LATENCY, &[]), 0.0);

    // A since from another epoch cannot be recovered.
    let mut stale = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let since = Since {
        offset: Offset(3),
        epoch: "not-this-epoch".to_owned(),
    };
    match stale.subscribe("replayed", Some(since)).await {
        ServerFrame::Subscribed { recovered, .. } => assert!(!recovered),
        other => panic!("{other:?}"),
    }
    scrape_until(gateway.port, "not_recovered counted", |m| {
        m.value(RECOVERIES, &[("result", "not_recovered")]) == 1.0
    })
    .await
    .assert_help(RECOVERIES);
}

#[tokio::test]
async fn gateway_counts_redis_reconnects_and_gap_fills() {
    let mut redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let bus = redis.bus().await;
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("gappy", None).await;
    let before = scrape(gateway.port);
    assert_eq!(before.value(RECONNECTS, &[]), 0.0);

    // Cut the gateway's pub/sub connection while publishing every few
    // milliseconds: what is published before it resubscribes only reaches
    // the stream, and the channel fills that gap from it.
    let _ = redis.cli(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    let mut published = 0_u64;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let draft = EnvelopeDraft::new("gappy", Bytes::from_static(b"{}"));
        assert!(bus.publish_drafts(&[draft]).await.iter().all(Result::is_ok));
        published += 1;
        let now = scrape(gateway.port);
        if now.value(RECONNECTS, &[]) >= 1.0 && now.value(GAP_FILLS, &[]) >= 1.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reconnect and gap fill counted:\n{}",
            now.text
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Every message arrives once, in order, gap filled or live.
    message_bytes(&mut client, 1, published).await;
    let filled = scrape_until(gateway.port, "every delivery counted", |m| {
        m.value(DELIVERIES, &[]) == published as f64
    })
    .await;
    assert_eq!(filled.histogram_count(LATENCY, &[]), published as f64);
    filled.assert_help(RECONNECTS);
    filled.assert_help(GAP_FILLS);

    // A Redis restart is a reconnect too.
    let reconnects = filled.value(RECONNECTS, &[]);
    redis.restart();
    scrape_until(gateway.port, "the restart counted", |m| {
        m.value(RECONNECTS, &[]) > reconnects
    })
    .await;
}

#[tokio::test]
async fn gateway_counts_a_slow_consumer_cut_off() {
    const MESSAGES: u64 = 2_000;
    let redis = RedisServer::start();
    let gateway = Service::gateway(
        &redis.url(),
        &["--send-queue", "128", "--write-timeout-ms", "60000"],
    );
    assert_eq!(
        scrape(gateway.port).value("asynchronio_gateway_slow_consumer_disconnects_total", &[]),
        0.0
    );
    let mut slow = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    slow.subscribe("firehose", None).await;

    let bus = redis.bus().await;
    let payload = format!("\"{}\"", "z".repeat(16 * 1024));
    for chunk in (0..MESSAGES).collect::<Vec<_>>().chunks(20) {
        let drafts: Vec<_> = chunk
            .iter()
            .map(|_| EnvelopeDraft::new("firehose", Bytes::from(payload.clone())))
            .collect();
        assert!(bus.publish_drafts(&drafts).await.iter().all(Result::is_ok));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    // Now read: the close frame waits at the end of what was buffered.
    let close = loop {
        match slow.recv().await {
            Received::Frame(_) => {}
            Received::Closed(close) => break close,
        }
    };
    assert_eq!(close.map(|(code, _)| code), Some(1008));
    let metrics = scrape_until(gateway.port, "the slow consumer counted", |m| {
        m.value("asynchronio_gateway_slow_consumer_disconnects_total", &[]) >= 1.0
    })
    .await;
    assert_eq!(
        metrics.value("asynchronio_gateway_slow_consumer_disconnects_total", &[]),
        1.0
    );
    assert_eq!(
        metrics.value(
            "asynchronio_gateway_connections_closed_total",
            &[("code", "1008")]
        ),
        1.0
    );
    metrics.assert_help("asynchronio_gateway_slow_consumer_disconnects_total");
}

const BRIDGED: &str = "asynchronio_bridge_messages_bridged_total";

#[tokio::test]
async fn bridge_counts_what_it_bridges_by_source_and_what_it_rejects() {
    let redis = RedisServer::start();
    let bridge = Service::bridge(&redis.url(), &["--lease-ms", "600"]);
    let gateway = Service::gateway(&redis.url(), &[]);
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("news", None).await;

    // The bridge takes its partitions on its first tick; publish until it does.
    let mut offset = 0;
    for _ in 0..50 {
        redis.cli(&["PUBLISH", "asynchronio:publish:news", r#"{"warm":true}"#]);
        if let Ok(message) =
            tokio::time::timeout(Duration::from_millis(200), client.message()).await
        {
            offset = message.1;
            break;
        }
    }
    assert_eq!(offset, 1, "raw PUBLISH never reached the client");
    // One bridge owns all 64 partitions, as its health check says too.
    scrape_until(bridge.port, "all 64 partitions owned", |m| {
        (m.value("asynchronio_bridge_partitions_owned", &[]) - 64.0).abs() < f64::EPSILON
    })
    .await;
    assert_eq!(
        asynchronio_e2e::bridge::owned_partitions("127.0.0.1", bridge.port),
        Some(64)
    );
    let pubsub_before = scrape_until(bridge.port, "the first PUBLISH counted", |m| {
        m.value(BRIDGED, &[("source", "pubsub")]) >= 1.0
    })
    .await
    .value(BRIDGED, &[("source", "pubsub")]);

    for n in 0..5 {
        redis.cli(&[
            "PUBLISH",
            "asynchronio:publish:news",
            &format!("{{\"n\":{n}}}"),
        ]);
    }
    for _ in 0..5 {
        client.message().await;
    }
    for n in 0..3 {
        redis.cli(&[
            "XADD",
            "asynchronio:ingest",
            "*",
            "channel",
            "news",
            "data",
            &format!("{{\"ingested\":{n}}}"),
        ]);
    }
    redis.cli(&[
        "XADD",
        "asynchronio:ingest",
        "*",
        "channel",
        "bad channel",
        "data",
        "x",
    ]);
    for _ in 0..3 {
        client.message().await;
    }
    let metrics = scrape_until(bridge.port, "ingest and the rejection counted", |m| {
        m.value(BRIDGED, &[("source", "ingest")]) >= 3.0
            && m.value("asynchronio_bridge_rejected_entries_total", &[]) >= 1.0
    })
    .await;
    assert_eq!(
        metrics.value(BRIDGED, &[("source", "pubsub")]) - pubsub_before,
        5.0
    );
    assert_eq!(metrics.value(BRIDGED, &[("source", "ingest")]), 3.0);
    assert_eq!(
        metrics.value("asynchronio_bridge_rejected_entries_total", &[]),
        1.0
    );
    for name in [
        BRIDGED,
        "asynchronio_bridge_partitions_owned",
        "asynchronio_bridge_rejected_entries_total",
    ] {
        metrics.assert_help(name);
    }
}

#[tokio::test]
async fn bridge_leader_reports_the_ingest_backlog() {
    const LAG: &str = "asynchronio_bridge_ingest_lag";
    const PENDING: &str = "asynchronio_bridge_ingest_pending";
    let redis = RedisServer::start();
    // Before any bridge: the group exists, 5 entries wait, and another
    // consumer took 2 of them and never acknowledged them.
    redis.cli(&[
        "XGROUP",
        "CREATE",
        "asynchronio:ingest",
        "bridge",
        "0",
        "MKSTREAM",
    ]);
    for n in 0..5 {
        redis.cli(&[
            "XADD",
            "asynchronio:ingest",
            "*",
            "channel",
            "backlog",
            "data",
            &format!("{{\"n\":{n}}}"),
        ]);
    }
    // A sixth entry that a crashed leader published and never acknowledged:
    // the next leader publishes it again as a duplicate, not counted twice.
    let id = redis.cli(&[
        "XADD",
        "asynchronio:ingest",
        "*",
        "channel",
        "backlog",
        "data",
        "{\"n\":5}",
    ]);
    let bus = redis.bus().await;
    let key = asynchronio_protocol::system::ingest_entry_key(&id);
    let draft = EnvelopeDraft::new("backlog", Bytes::from_static(b"{\"n\":5}"));
    let first = bus.publish(&draft, Some(&key)).await.expect("publish");
    assert!(!first.duplicate);
    redis.cli(&[
        "XREADGROUP",
        "GROUP",
        "bridge",
        "someone",
        "COUNT",
        "2",
        "STREAMS",
        "asynchronio:ingest",
        ">",
    ]);
    let leader = Service::bridge(&redis.url(), &["--lease-ms", "600"]);
    let follower = Service::bridge(&redis.url(), &["--lease-ms", "600"]);
    // The leader publishes the other 4 (one a duplicate) and reports the 2
    // left pending and nothing undelivered.
    let (leader_port, follower_port) = {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (a, b) = (scrape(leader.port), scrape(follower.port));
            if a.value(PENDING, &[]) == 2.0 {
                break (leader.port, follower.port);
            }
            if b.value(PENDING, &[]) == 2.0 {
                break (follower.port, leader.port);
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "no leader bridged the ingest stream"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let lead = scrape_until(leader_port, "the backlog reported", |m| {
        m.value(PENDING, &[]) == 2.0
    })
    .await;
    assert_eq!(lead.value(LAG, &[]), 0.0);
    // Acknowledged only after publishing: pending 2 means the 4 were
    // published, of which 3 are new.
    assert_eq!(
        lead.value(BRIDGED, &[("source", "ingest")]),
        3.0,
        "{}",
        lead.text
    );
    let history = bus
        .history("backlog", Offset(0), None, 100)
        .await
        .expect("history");
    assert_eq!(history.len(), 4, "each entry published once");
    lead.assert_help(LAG);
    lead.assert_help(PENDING);
    // The other replica reports none of it: a sum over replicas counts once.
    let follows = scrape(follower_port);
    assert_eq!(follows.value(PENDING, &[]), 0.0);
    assert_eq!(follows.value(LAG, &[]), 0.0);
    // Acknowledged, the pending entries leave the figure.
    let pending = redis.cli(&["XPENDING", "asynchronio:ingest", "bridge", "-", "+", "10"]);
    let ids: Vec<&str> = pending
        .lines()
        .filter(|line| {
            line.contains('-') && line.chars().next().is_some_and(|c| c.is_ascii_digit())
        })
        .collect();
    assert_eq!(ids.len(), 2, "{pending}");
    let mut ack = vec!["XACK", "asynchronio:ingest", "bridge"];
    ack.extend(ids);
    redis.cli(&ack);
    scrape_until(leader_port, "the backlog emptied", |m| {
        m.value(PENDING, &[]) == 0.0
    })
    .await;
}

#[tokio::test]
async fn rest_api_counts_publishes_rate_limits_and_request_durations() {
    const ADMIN: &str = "metrics-admin-key";
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("api.db").display());
    let rest = Service::rest(&redis.url(), &database, ADMIN, &["--rate-limit", "20"]);
    let auth = format!("Bearer {ADMIN}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    for n in 0..3 {
        let response = asynchronio_e2e::http::request(
            rest.port,
            "POST",
            "/api/v1/channels/metered/messages",
            &headers,
            format!("{{\"n\":{n}}}").as_bytes(),
        );
        assert_eq!(response.status, 201, "{}", response.text());
    }
    // Anonymous requests past the per-address allowance get 429.
    let mut limited = 0;
    for _ in 0..60 {
        let response = asynchronio_e2e::http::request(rest.port, "GET", "/healthz", &[], b"");
        if response.status == 429 {
            limited += 1;
        }
    }
    assert!(limited > 0, "no request was rate limited");
    // Let the allowance refill so the scrape itself is admitted.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let metrics = scrape(rest.port);
    assert_eq!(metrics.value("asynchronio_rest_published_total", &[]), 3.0);
    assert_eq!(
        metrics.value("asynchronio_rest_rate_limited_requests_total", &[]),
        f64::from(limited)
    );
    assert_eq!(
        metrics.value("asynchronio_rest_responses_total", &[("class", "2xx")]),
        f64::from(63 - limited)
    );
    let publishes = metrics
        .scrape
        .samples
        .iter()
        .find(|sample| {
            sample.metric == "asynchronio_rest_request_duration_seconds"
                && sample.labels.get("status") == Some("201")
        })
        .unwrap_or_else(|| panic!("no duration for the publishes:\n{}", metrics.text));
    let route = publishes.labels.get("route").unwrap_or_default().to_owned();
    // The route pattern, not the path.
    assert_eq!(route, "/api/v1/channels/:channel/messages");
    assert_eq!(
        metrics.histogram_count(
            "asynchronio_rest_request_duration_seconds",
            &[("route", route.as_str()), ("status", "201")]
        ),
        3.0
    );
    assert_eq!(
        metrics.histogram_count(
            "asynchronio_rest_request_duration_seconds",
            &[("status", "429")]
        ),
        f64::from(limited)
    );
    for name in [
        "asynchronio_rest_responses_total",
        "asynchronio_rest_published_total",
        "asynchronio_rest_publish_failures_total",
        "asynchronio_rest_uptime_seconds",
        "asynchronio_rest_request_duration_seconds",
        "asynchronio_rest_rate_limited_requests_total",
    ] {
        metrics.assert_help(name);
    }
}

#[tokio::test]
async fn manager_counts_a_killed_and_restarted_process() {
    use asynchronio_e2e::Manager;
    use asynchronio_e2e::manager::wait_states;
    use asynchronio_protocol::process::ProcessStatus;

    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let port = asynchronio_e2e::free_port();
    let listen = format!("127.0.0.1:{port}");
    let _manager = Manager::start_with_args(
        &redis.url(),
        r#"
[process.sleeper]
command = "sleep"
args = ["300"]
backoff = { initial_ms = 50, max_ms = 100, reset_after_ms = 60000 }
"#,
        &["--metrics-listen", &listen],
    );
    let running = |states: &[asynchronio_protocol::process::InstanceState]| {
        states
            .iter()
            .any(|s| s.name == "sleeper" && s.status == ProcessStatus::Running)
    };
    let states = wait_states(&bus, Duration::from_secs(20), "sleeper running", running).await;
    let before = scrape_until(port, "one running instance", |m| {
        m.value("asynchronio_manager_instances", &[("status", "running")]) == 1.0
    })
    .await;
    assert_eq!(before.value("asynchronio_manager_restarts_total", &[]), 0.0);
    let pid = states
        .iter()
        .find(|s| s.name == "sleeper")
        .and_then(|s| s.pid)
        .expect("a running sleeper has a pid");
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(killed.success());
    wait_states(
        &bus,
        Duration::from_secs(20),
        "sleeper restarted",
        |states| {
            states.iter().any(|s| {
                s.name == "sleeper" && s.status == ProcessStatus::Running && s.restarts == 1
            })
        },
    )
    .await;
    let after = scrape_until(port, "the restart counted", |m| {
        m.value("asynchronio_manager_restarts_total", &[]) >= 1.0
            && m.value("asynchronio_manager_instances", &[("status", "running")]) == 1.0
    })
    .await;
    assert_eq!(
        after.value(
            "asynchronio_manager_restarts_total",
            &[("program", "sleeper")]
        ),
        1.0
    );
    for name in [
        "asynchronio_manager_instances",
        "asynchronio_manager_restarts_total",
    ] {
        after.assert_help(name);
    }
}

#[tokio::test]
async fn manager_counts_what_each_stage_processed() {
    use asynchronio_e2e::Manager;
    use asynchronio_e2e::manager::{command, wait_states};
    use asynchronio_protocol::process::{ProcessAction, ProcessStatus};
    const PROCESSED: &str = "asynchronio_manager_stage_processed_total";
    const LAG: &str = "asynchronio_manager_stage_lag";
    const PENDING: &str = "asynchronio_manager_stage_pending";
    const COMMAND: &str = "asynchronio_manager_command_duration_seconds";

    const N: usize = 20;
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let port = asynchronio_e2e::free_port();
    let listen = format!("127.0.0.1:{port}");
    let script = format!(
        "{}/../examples/processors/tag.sh",
        env!("CARGO_MANIFEST_DIR")
    );
    let manager = Manager::start_with_args(
        &redis.url(),
        &format!(
            "[[pipeline]]\nname = \"tag\"\ninput = \"raw\"\noutputs = [\"tagged\"]\ncommand = \"sh\"\nargs = [\"{script}\"]\n"
        ),
        &["--metrics-listen", &listen],
    );
    wait_states(&bus, Duration::from_secs(20), "tag running", |s| {
        s.iter()
            .any(|s| s.name == "tag" && s.status == ProcessStatus::Running)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..N {
        let body = format!("{{\"n\":{i}}}");
        bus.publish(&EnvelopeDraft::new("raw", Bytes::from(body)), None)
            .await
            .expect("publish");
    }
    wait_tagged(&bus, N).await;
    let metrics = scrape_until(port, "the stage's messages counted", |m| {
        m.value(PROCESSED, &[("stage", "tag")]) >= N as f64
    })
    .await;
    assert_eq!(metrics.value(PROCESSED, &[("stage", "tag")]), N as f64);
    assert_eq!(
        metrics.value(
            "asynchronio_manager_stage_errors_total",
            &[("stage", "tag")]
        ),
        0.0
    );
    for name in [
        PROCESSED,
        "asynchronio_manager_stage_errors_total",
        "asynchronio_manager_stage_dead_lettered_total",
        LAG,
        PENDING,
    ] {
        metrics.assert_help(name);
        assert!(metrics.has(name), "{name} missing:\n{}", metrics.text);
    }

    // Stopped, the stage falls behind: what is published meanwhile is its lag.
    let stopped = command(&bus, ProcessAction::Stop { name: "tag".into() }).await;
    assert!(stopped.ok, "{stopped:?}");
    const BEHIND: usize = 7;
    for i in 0..BEHIND {
        let body = format!("{{\"behind\":{i}}}");
        bus.publish(&EnvelopeDraft::new("raw", Bytes::from(body)), None)
            .await
            .expect("publish");
    }
    let behind = scrape_until(port, "the stopped stage's lag", |m| {
        m.value(LAG, &[("stage", "tag")]) == BEHIND as f64
    })
    .await;
    assert_eq!(behind.value(PENDING, &[("stage", "tag")]), 0.0);
    // The stop command took a measurable time, counted under its verb.
    assert_eq!(
        behind.value(&format!("{COMMAND}_count"), &[("command", "stop")]),
        1.0,
        "{}",
        behind.text
    );
    behind.assert_help(COMMAND);
    let started = command(&bus, ProcessAction::Start { name: "tag".into() }).await;
    assert!(started.ok, "{started:?}");
    wait_tagged(&bus, N + BEHIND).await;
    scrape_until(port, "the lag worked off", |m| {
        m.value(LAG, &[("stage", "tag")]) == 0.0
            && m.value(PENDING, &[("stage", "tag")]) == 0.0
            && m.value(PROCESSED, &[("stage", "tag")]) == (N + BEHIND) as f64
    })
    .await;

    // Removed and added back by two reloads, the stage counts from 0 in new
    // counters: the exported total still grows by what it processes.
    let config = std::fs::read_to_string(manager.path("asynchronio.toml")).expect("config");
    std::fs::write(manager.path("asynchronio.toml"), "").expect("write config");
    let reloaded = command(&bus, ProcessAction::Reload).await;
    assert!(reloaded.ok, "{reloaded:?}");
    std::fs::write(manager.path("asynchronio.toml"), &config).expect("write config");
    let reloaded = command(&bus, ProcessAction::Reload).await;
    assert!(reloaded.ok, "{reloaded:?}");
    wait_states(&bus, Duration::from_secs(20), "tag running again", |s| {
        s.iter()
            .any(|s| s.name == "tag" && s.status == ProcessStatus::Running)
    })
    .await;
    const AGAIN: usize = 3;
    for i in 0..AGAIN {
        let body = format!("{{\"again\":{i}}}");
        bus.publish(&EnvelopeDraft::new("raw", Bytes::from(body)), None)
            .await
            .expect("publish");
    }
    wait_tagged(&bus, N + BEHIND + AGAIN).await;
    let total = scrape_until(port, "the re-added stage's messages counted", |m| {
        m.value(PROCESSED, &[("stage", "tag")]) >= (N + BEHIND + AGAIN) as f64
    })
    .await;
    assert_eq!(
        total.value(PROCESSED, &[("stage", "tag")]),
        (N + BEHIND + AGAIN) as f64
    );
    assert_eq!(
        total.value(&format!("{COMMAND}_count"), &[("command", "reload")]),
        2.0
    );
}

/// Waits until `n` messages are in the `tagged` channel's history.
async fn wait_tagged(bus: &asynchronio_bus::Bus, n: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out = bus
            .history("tagged", Offset(0), None, 100)
            .await
            .expect("history");
        if out.len() == n {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {n} tagged",
            out.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
