//! The container stack of docker-compose.yml, end to end, on this machine's
//! Docker engine: three gateways and two bridges behind the load balancer,
//! publishing through the REST API and with `PUBLISH` inside the redis
//! container, a gateway killed while a client streams 10,000 messages, and
//! Redis restarted with history and process state surviving on its volume.
//! Prometheus finds and scrapes every replica of every service on its own
//! (Docker DNS service discovery).
//!
//! Ignored by `cargo test`: it needs the images (`make images`) and takes
//! minutes. `make compose-test` runs it (from `make test` and `.ci/run`)
//! when a Docker engine answers, and says why it skips when none does.

use std::process::Command;
use std::time::{Duration, Instant};

use asynchronio_bus::{Bus, BusConfig};
use asynchronio_e2e::bridge::owned_partitions;
use asynchronio_e2e::compose::{Stack, docker, ip_of};
use asynchronio_e2e::{Received, WsClient, http};
use asynchronio_protocol::{Codec, EnvelopeDraft, Keys, Offset, ServerFrame, Since};
use bytes::Bytes;

const ADMIN_KEY: &str = "compose-test-admin-key";
const STREAMED: u64 = 10_000;

fn curl_publish(port: u16, channel: &str, body: &str) -> String {
    let output = Command::new("curl")
        .args(["-sS", "--fail-with-body", "-X", "POST"])
        .args(["-H", &format!("authorization: Bearer {ADMIN_KEY}")])
        .args(["-H", "content-type: application/json"])
        .args(["--data", body])
        .arg(format!(
            "http://127.0.0.1:{port}/api/v1/channels/{channel}/messages"
        ))
        .output();
    match output {
        Ok(output) if output.status.success() => {
            String::from_utf8_lossy(&output.stdout).into_owned()
        }
        Ok(output) => panic!(
            "curl publish failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => panic!("cannot run curl (apt-get install curl): {error}"),
    }
}

/// Sum of the partitions the bridges hold, read from their health endpoints.
fn bridge_partitions(stack: &Stack) -> u64 {
    stack
        .containers("redis-bridge")
        .iter()
        .map(|id| owned_partitions(&ip_of(id), 8090).unwrap_or(0))
        .sum()
}

/// `GET path` on the REST API through the load balancer, as the admin.
fn api_get(stack: &Stack, path: &str) -> http::Response {
    let response = http::request(
        stack.api_port,
        "GET",
        path,
        &[("authorization", &format!("Bearer {ADMIN_KEY}"))],
        b"",
    );
    assert_eq!(response.status, 200, "GET {path}: {}", response.text());
    response
}

/// The compose services Prometheus scrapes (one job each, named after the
/// service, in deploy/prometheus/prometheus.yml).
const SCRAPED: [&str; 4] = ["ws-gateway", "redis-bridge", "rest-api", "process-manager"];

/// Waits until Prometheus' `/api/v1/targets` lists, for every service of
/// [`SCRAPED`], exactly its running containers' addresses, each scraped and
/// up; fails with the last answer after `limit`.
fn wait_scraped(stack: &Stack, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let response = http::request(
            stack.prometheus_port,
            "GET",
            "/api/v1/targets?state=active",
            &[],
            b"",
        );
        let targets = if response.status == 200 {
            response.json()["data"]["activeTargets"].clone()
        } else {
            serde_json::Value::Null
        };
        let mut missing = Vec::new();
        for service in SCRAPED {
            let mut wanted: Vec<String> = stack
                .containers(service)
                .iter()
                .map(|id| ip_of(id))
                .collect();
            wanted.sort();
            let mut up: Vec<String> = targets
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| t["labels"]["job"] == service && t["health"] == "up")
                .filter_map(|t| t["labels"]["instance"].as_str())
                .map(|instance| instance.rsplit_once(':').map_or(instance, |(ip, _)| ip))
                .map(str::to_owned)
                .collect();
            up.sort();
            if up != wanted {
                missing.push(format!("{service}: up {up:?}, containers {wanted:?}"));
            }
        }
        if missing.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus did not scrape every replica within {limit:?}: {missing:#?}\n{}",
            response.text()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// A REST offset: a fixed-width decimal string.
fn offset_of(value: &serde_json::Value) -> Option<u64> {
    value["offset"].as_str().and_then(|o| o.parse().ok())
}

async fn next_message(client: &mut WsClient) -> Option<(u64, serde_json::Value)> {
    match client.recv().await {
        Received::Frame(ServerFrame::Message { offset, data, .. }) => Some((offset.0, data)),
        Received::Frame(other) => panic!("expected a message, got {other:?}"),
        Received::Closed(_) => None,
    }
}

#[tokio::test]
#[ignore = "needs Docker and the images; run by `make compose-test`"]
async fn compose_stack_scales_survives_a_gateway_kill_and_a_redis_restart() {
    let stack = Stack::new("asynchronio-e2e", ADMIN_KEY);
    stack.up_scaled();
    // Every replica found by Docker DNS and scraped (5 s interval and
    // refresh: well within the limit).
    let started = Instant::now();
    wait_scraped(&stack, Duration::from_secs(45));
    eprintln!(
        "Prometheus scraped all 7 service replicas {:?} after the stack was healthy",
        started.elapsed()
    );

    let redis_ip = ip_of(&stack.containers("redis")[0]);
    let bus = match Bus::connect(
        BusConfig::new(format!("redis://{redis_ip}:6379"), Keys::default()),
        "compose test",
    )
    .await
    {
        Ok(bus) => bus,
        Err(error) => panic!("cannot reach the redis container: {error}"),
    };

    // One client on each gateway replica, straight to its container.
    let gateways = stack.containers("ws-gateway");
    assert_eq!(gateways.len(), 3);
    let mut clients = Vec::new();
    for id in &gateways {
        let mut client =
            WsClient::connect(&format!("ws://{}:8080/ws", ip_of(id)), Codec::Json).await;
        client.subscribe("compose-news", None).await;
        clients.push(client);
    }
    // And one through the load balancer.
    let mut balanced =
        WsClient::connect(&format!("ws://127.0.0.1:{}/ws", stack.ws_port), Codec::Json).await;
    balanced.subscribe("compose-news", None).await;
    clients.push(balanced);

    // A raw PUBLISH is taken by whichever bridge owns the channel: wait
    // until the two bridges hold every partition between them.
    let deadline = Instant::now() + Duration::from_secs(30);
    while bridge_partitions(&stack) != 64 {
        assert!(
            Instant::now() < deadline,
            "bridges did not share the 64 partitions"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let published = curl_publish(stack.api_port, "compose-news", r#"{"n":1,"via":"rest"}"#);
    let published: serde_json::Value = serde_json::from_str(&published).unwrap_or_default();
    assert_eq!(offset_of(&published), Some(1), "{published}");
    let receivers = stack.compose_ok(&[
        "exec",
        "-T",
        "redis",
        "redis-cli",
        "PUBLISH",
        "asynchronio:publish:compose-news",
        r#"{"n":2,"via":"redis"}"#,
    ]);
    // Both bridges hear it; the one holding the channel's partition publishes.
    assert_eq!(receivers, "2", "both bridges listen on the publish pattern");
    for client in &mut clients {
        for n in 1..=2u64 {
            let (offset, data) = next_message(client)
                .await
                .expect("a message on every replica");
            assert_eq!((offset, &data["n"]), (n, &serde_json::json!(n)));
        }
    }

    // Stream 10,000 messages to a client on the first gateway, kill that
    // gateway part-way, reconnect to another replica with `since`.
    let victim = gateways[0].clone();
    let mut client =
        WsClient::connect(&format!("ws://{}:8080/ws", ip_of(&victim)), Codec::Json).await;
    client.subscribe("compose-stream", None).await;
    // The publisher holds the second part of the stream back until the
    // gateway is dead, so the client must reconnect to get it.
    let (killed_tx, killed_rx) = tokio::sync::watch::channel(false);
    let publisher = {
        let bus = bus.clone();
        tokio::spawn(async move {
            let mut n = 1;
            while n <= STREAMED {
                if n > 2_500 {
                    let mut killed = killed_rx.clone();
                    let _ = killed.wait_for(|k| *k).await;
                }
                let end = if n <= 2_500 { 2_501 } else { STREAMED + 1 };
                let drafts: Vec<EnvelopeDraft> = (n..(n + 50).min(end))
                    .map(|i| {
                        EnvelopeDraft::new("compose-stream", Bytes::from(format!("{{\"n\":{i}}}")))
                    })
                    .collect();
                for result in bus.publish_drafts(&drafts).await {
                    if let Err(error) = result {
                        panic!("publish failed: {error}");
                    }
                }
                n += drafts.len() as u64;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut seen: Vec<u64> = Vec::with_capacity(STREAMED as usize);
    let mut killed = false;
    let mut reconnects = 0;
    let deadline = Instant::now() + Duration::from_secs(120);
    while (seen.len() as u64) < STREAMED {
        assert!(
            Instant::now() < deadline,
            "only {} of {STREAMED} arrived",
            seen.len()
        );
        if !killed && seen.len() >= 2_000 {
            docker(&["kill", &victim]);
            killed = true;
            let _ = killed_tx.send(true);
        }
        match next_message(&mut client).await {
            Some((offset, data)) => {
                assert_eq!(data["n"], serde_json::json!(offset));
                seen.push(offset);
            }
            None => {
                assert!(
                    killed,
                    "the connection dropped before the gateway was killed"
                );
                reconnects += 1;
                // Any replica but the killed one (gateways[0]).
                let next = &gateways[1 + (reconnects - 1) % (gateways.len() - 1)];
                let url = format!("ws://{}:8080/ws", ip_of(next));
                client = WsClient::connect(&url, Codec::Json).await;
                // The channel's epoch came with its first message.
                let epoch = bus
                    .position("compose-stream")
                    .await
                    .expect("position")
                    .epoch;
                let since = seen.last().map(|last| Since {
                    offset: Offset(*last),
                    epoch: epoch.clone(),
                });
                match client.subscribe("compose-stream", since).await {
                    ServerFrame::Subscribed { recovered, .. } => assert!(recovered),
                    other => panic!("{other:?}"),
                }
            }
        }
    }
    publisher.await.expect("publisher");
    assert!(killed, "the gateway was killed mid-stream");
    assert!(
        reconnects >= 1,
        "the client never had to reconnect: the kill came too late"
    );
    eprintln!("10,000 offsets exactly once across {reconnects} reconnect(s)");
    assert_eq!(
        seen,
        (1..=STREAMED).collect::<Vec<_>>(),
        "every offset exactly once, in order"
    );

    // Redis restarts; AOF on the volume brings history and process state back.
    let states_before = bus.process_states().await.expect("process states");
    assert!(
        states_before.iter().any(|s| s.name == "demo-producer"),
        "process-manager reported its programs: {states_before:?}"
    );
    // (The killed gateway stays down: Docker does not restart a container
    // it was told to kill; ten containers remain.)
    let epoch = bus
        .position("compose-stream")
        .await
        .expect("position")
        .epoch;
    stack.compose_ok(&["restart", "redis"]);
    stack.wait_healthy(10, Duration::from_secs(120));
    let deadline = Instant::now() + Duration::from_secs(30);
    let position = loop {
        match bus.position("compose-stream").await {
            Ok(position) => break position,
            Err(error) => {
                assert!(
                    Instant::now() < deadline,
                    "Redis did not come back: {error}"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
    };
    assert_eq!(position.offset, Offset(STREAMED));
    assert_eq!(
        position.epoch, epoch,
        "the channel kept its epoch across the restart"
    );
    let history = api_get(
        &stack,
        "/api/v1/channels/compose-stream/messages?since=9990&limit=100",
    );
    let offsets: Vec<u64> = history.json()["messages"]
        .as_array()
        .map(|m| m.iter().filter_map(offset_of).collect())
        .unwrap_or_default();
    assert_eq!(offsets, (9991..=STREAMED).collect::<Vec<_>>());
    let states_after = bus.process_states().await.expect("process states");
    let names = |states: &[asynchronio_protocol::process::InstanceState]| {
        let mut names: Vec<String> = states
            .iter()
            .map(|s| format!("{}#{}", s.name, s.instance))
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        names(&states_after),
        names(&states_before),
        "process state survived the restart"
    );
    let processes = api_get(&stack, "/api/v1/processes");
    assert!(
        processes.text().contains("uppercase"),
        "{}",
        processes.text()
    );
}
