//! Messages reach WebSocket subscribers from every entry point: raw Redis
//! PUBLISH, the ingest stream, and other clients; in JSON and MessagePack.

use asynchronio_e2e::{RedisServer, Service, WsClient};
use asynchronio_protocol::{ClientFrame, Codec, ServerFrame};
use serde_json::json;

#[tokio::test]
async fn raw_publish_reaches_websocket_subscriber() {
    let redis = RedisServer::start();
    let _bridge = Service::bridge(&redis.url(), &["--lease-ms", "600"]);
    let gateway = Service::gateway(&redis.url(), &[]);
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("news", None).await;

    // The bridge takes its partitions on its first tick; publish until it does.
    let mut received = None;
    for _ in 0..50 {
        redis.cli(&["PUBLISH", "asynchronio:publish:news", r#"{"title":"hi"}"#]);
        if let Ok(message) =
            tokio::time::timeout(std::time::Duration::from_millis(200), client.message()).await
        {
            received = Some(message);
            break;
        }
    }
    let (channel, offset, _, data) = received.expect("raw PUBLISH never reached the client");
    assert_eq!(channel, "news");
    assert_eq!(offset, 1);
    assert_eq!(data, json!({"title": "hi"}));

    // A payload that is not JSON arrives as a JSON string.
    redis.cli(&["PUBLISH", "asynchronio:publish:news", "plain words"]);
    let (_, offset, _, data) = client.message().await;
    assert_eq!((offset, data), (2, json!("plain words")));
}

#[tokio::test]
async fn ingest_stream_reaches_websocket_subscriber() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("orders", None).await;
    // Entries added before the bridge starts are not lost either.
    redis.cli(&[
        "XADD",
        "asynchronio:ingest",
        "*",
        "channel",
        "orders",
        "data",
        r#"{"n":1}"#,
    ]);
    let _bridge = Service::bridge(&redis.url(), &["--lease-ms", "600"]);
    redis.cli(&[
        "XADD",
        "asynchronio:ingest",
        "*",
        "channel",
        "orders",
        "data",
        r#"{"n":2}"#,
    ]);
    let first = client.message().await;
    let second = client.message().await;
    assert_eq!((first.1, first.3), (1, json!({"n": 1})));
    assert_eq!((second.1, second.3), (2, json!({"n": 2})));
    // Processed entries are acknowledged and removed; nothing is pending.
    for _ in 0..50 {
        if redis.cli(&["XLEN", "asynchronio:ingest"]) == "0" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(redis.cli(&["XLEN", "asynchronio:ingest"]), "0");

    // A bad entry is kept aside with its reason, not silently dropped.
    redis.cli(&[
        "XADD",
        "asynchronio:ingest",
        "*",
        "channel",
        "bad channel",
        "data",
        "x",
    ]);
    redis.cli(&[
        "XADD",
        "asynchronio:ingest",
        "*",
        "channel",
        "orders",
        "data",
        r#"{"n":3}"#,
    ]);
    assert_eq!(client.message().await.1, 3);
    let rejected = redis.cli(&["XRANGE", "asynchronio:ingest:rejected", "-", "+"]);
    assert!(
        rejected.contains("bad channel") && rejected.contains("channel name contains"),
        "{rejected}"
    );
}

#[tokio::test]
async fn client_publish_reaches_other_clients_in_both_codecs() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let mut json_client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let mut msgpack_client = WsClient::connect(&gateway.ws_url(), Codec::MsgPack).await;
    json_client.subscribe("chat", None).await;
    msgpack_client.subscribe("chat", None).await;

    let mut publisher = WsClient::connect(&gateway.ws_url(), Codec::MsgPack).await;
    for n in 1..=3u64 {
        publisher
            .send(&ClientFrame::Publish {
                id: Some(n),
                channel: "chat".into(),
                data: serde_json::to_vec(&json!({"n": n, "text": "héllo"}))
                    .expect("json")
                    .into(),
                trace: None,
            })
            .await;
        match publisher.frame().await {
            ServerFrame::Ok { id, offset, epoch } => {
                assert_eq!(id, Some(n));
                assert_eq!(offset.map(|o| o.0), Some(n));
                assert!(epoch.is_some());
            }
            other => panic!("expected ok, got {other:?}"),
        }
    }
    for client in [&mut json_client, &mut msgpack_client] {
        for n in 1..=3u64 {
            let (channel, offset, _, data) = client.message().await;
            assert_eq!((channel.as_str(), offset), ("chat", n));
            assert_eq!(data, json!({"n": n, "text": "héllo"}));
        }
    }
}

/// The bridge's payload limit kept its old environment variable when it got
/// its own name: a deployment that set ASYNCHRONIO_MAX_MESSAGE_SIZE for every
/// service keeps its limit on the bridge.
#[tokio::test]
async fn the_bridge_still_reads_its_former_payload_limit_variable() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("orders", None).await;
    let args: Vec<String> = ["--redis-url", &redis.url(), "--lease-ms", "600"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let _bridge = Service::start_with_env(
        "redis-bridge",
        asynchronio_e2e::free_port(),
        &args,
        &[("ASYNCHRONIO_MAX_MESSAGE_SIZE", "16")],
    );
    let long = format!("\"{}\"", "x".repeat(40));
    redis.cli(&[
        "XADD",
        "asynchronio:ingest",
        "*",
        "channel",
        "orders",
        "data",
        &long,
    ]);
    redis.cli(&[
        "XADD",
        "asynchronio:ingest",
        "*",
        "channel",
        "orders",
        "data",
        "1",
    ]);
    let (_, offset, _, data) = client.message().await;
    assert_eq!(
        (offset, data),
        (1, json!(1)),
        "only the short entry is published"
    );
    let rejected = redis.cli(&["XRANGE", "asynchronio:ingest:rejected", "-", "+"]);
    assert!(rejected.contains("the limit is 16"), "{rejected}");
}
