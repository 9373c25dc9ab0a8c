//! Every service's `GET /metrics`, scraped and read with a real Prometheus
//! parser: the counters move by exactly what happened.

use std::time::Duration;

use asynchronio_e2e::scrape::{scrape, scrape_until};
use asynchronio_e2e::{Received, RedisServer, Service, WsClient};
use asynchronio_protocol::{ClientFrame, Codec, EnvelopeDraft};
use bytes::Bytes;

const DELIVERIES: &str = "asynchronio_gateway_deliveries_total";
const LATENCY: &str = "asynchronio_gateway_delivery_latency_seconds";

#[tokio::test]
async fn gateway_counts_every_delivery_and_its_latency() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let before = scrape(gateway.port);
    let deliveries_before = before.value(DELIVERIES, &[]);

    let mut first = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    first.subscribe("metered", None).await;
    let mut second = WsClient::connect(&gateway.ws_url(), Codec::MsgPack).await;
    second.subscribe("metered", None).await;
    let gauges = scrape(gateway.port);
    assert_eq!(gauges.value("asynchronio_gateway_subscriptions", &[]), 2.0);
    assert_eq!(gauges.value("asynchronio_gateway_channels", &[]), 1.0);
    assert_eq!(
        gauges.value("asynchronio_gateway_connections_open", &[]),
        2.0
    );
    assert_eq!(
        gauges.value("asynchronio_gateway_connections_opened_total", &[]),
        2.0
    );

    const N: u64 = 40;
    let bus = redis.bus().await;
    for i in 0..N {
        let draft = EnvelopeDraft::new("metered", Bytes::from(format!("{{\"n\":{i}}}")));
        assert!(bus.publish_drafts(&[draft]).await.iter().all(Result::is_ok));
    }
    for client in [&mut first, &mut second] {
        for offset in 1..=N {
            assert_eq!(client.message().await.1, offset);
        }
    }

    let expected = (2 * N) as f64;
    let after = scrape_until(gateway.port, "2N deliveries counted", |m| {
        m.value(DELIVERIES, &[]) - deliveries_before >= expected
            && m.histogram_count(LATENCY, &[]) >= expected
    })
    .await;
    assert_eq!(after.value(DELIVERIES, &[]) - deliveries_before, expected);
    assert_eq!(after.histogram_count(LATENCY, &[]), expected);
    let bounds = after.histogram_bounds(LATENCY);
    assert!(
        bounds.first().is_some_and(|b| (b - 0.0001).abs() < 1e-12) && bounds.contains(&10.0),
        "latency buckets must run from 0.1 ms to 10 s: {bounds:?}"
    );
    // Sent from this machine a moment ago: well under 10 s.
    assert!(after.value(&format!("{LATENCY}_sum"), &[]) < expected * 10.0);
    assert!(after.value("asynchronio_gateway_written_bytes_total", &[]) > 0.0);

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
        "asynchronio_gateway_written_bytes_total",
        LATENCY,
        "asynchronio_gateway_error_frames_total",
    ] {
        closed.assert_help(name);
    }
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
    use asynchronio_e2e::manager::wait_states;
    use asynchronio_protocol::Offset;
    use asynchronio_protocol::process::ProcessStatus;

    const N: usize = 20;
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let port = asynchronio_e2e::free_port();
    let listen = format!("127.0.0.1:{port}");
    let script = format!(
        "{}/../examples/processors/tag.sh",
        env!("CARGO_MANIFEST_DIR")
    );
    let _manager = Manager::start_with_args(
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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let out = bus
            .history("tagged", Offset(0), None, 100)
            .await
            .expect("history");
        if out.len() == N {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {N} tagged",
            out.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = scrape_until(port, "the stage's messages counted", |m| {
        m.value(
            "asynchronio_manager_stage_processed_total",
            &[("stage", "tag")],
        ) >= N as f64
    })
    .await;
    assert_eq!(
        metrics.value(
            "asynchronio_manager_stage_processed_total",
            &[("stage", "tag")]
        ),
        N as f64
    );
    assert_eq!(
        metrics.value(
            "asynchronio_manager_stage_errors_total",
            &[("stage", "tag")]
        ),
        0.0
    );
    for name in [
        "asynchronio_manager_stage_processed_total",
        "asynchronio_manager_stage_errors_total",
        "asynchronio_manager_stage_dead_lettered_total",
    ] {
        metrics.assert_help(name);
        assert!(metrics.has(name), "{name} missing:\n{}", metrics.text);
    }
}
