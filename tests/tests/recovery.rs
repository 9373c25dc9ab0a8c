//! Recovery: a client that drops and comes back with `since` gets exactly
//! what it missed, once, in order, then live messages; and Redis restarts
//! lose nothing that was acknowledged.

use std::collections::HashSet;
use std::time::Duration;

use asynchronio_bus::{Bus, HistorySettings};
use asynchronio_e2e::{Received, RedisServer, Service, WsClient};
use asynchronio_protocol::{Codec, EnvelopeDraft, Offset, ServerFrame, Since};
use bytes::Bytes;

const TOTAL: u64 = 10_000;

/// Publishes `count` messages numbered from `first` in batches, pausing a
/// little between batches so the reader sees a live stream.
async fn publish_numbers(bus: Bus, channel: &'static str, first: u64, count: u64) {
    let mut n = first;
    while n < first + count {
        let drafts: Vec<EnvelopeDraft> = (n..(n + 100).min(first + count))
            .map(|i| EnvelopeDraft::new(channel, Bytes::from(format!("{{\"n\":{i}}}"))))
            .collect();
        for result in bus.publish_drafts(&drafts).await {
            if let Err(error) = result {
                panic!("publish failed: {error}");
            }
        }
        n += drafts.len() as u64;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test]
async fn reconnecting_client_receives_every_offset_exactly_once() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &["--send-queue", "4096"]);
    let bus = redis.bus().await;

    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let ServerFrame::Subscribed {
        mut epoch, offset, ..
    } = client.subscribe("ticks", None).await
    else {
        unreachable!()
    };
    assert_eq!(offset, Offset(0));
    // Nobody has published yet: no epoch exists (reading creates none); the
    // first message brings it.
    assert_eq!(epoch, "");
    let publisher = tokio::spawn(publish_numbers(bus.clone(), "ticks", 1, TOTAL));

    let mut seen = Vec::with_capacity(TOTAL as usize);
    // Read part of the stream, then vanish without a close handshake.
    while seen.len() < 3_000 {
        let (_, offset, got_epoch, data) = client.message().await;
        if epoch.is_empty() {
            epoch.clone_from(&got_epoch);
        }
        assert_eq!(got_epoch, epoch);
        assert_eq!(data["n"], serde_json::json!(offset));
        seen.push(offset);
    }
    drop(client);
    tokio::time::sleep(Duration::from_millis(150)).await;

    let last = *seen.last().expect("read some");
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let since = Since {
        offset: Offset(last),
        epoch: epoch.clone(),
    };
    match client.subscribe("ticks", Some(since)).await {
        ServerFrame::Subscribed {
            recovered,
            epoch: again,
            ..
        } => {
            assert!(
                recovered,
                "history covers the gap, so recovery must succeed"
            );
            assert_eq!(again, epoch);
        }
        other => panic!("{other:?}"),
    }
    while (seen.len() as u64) < TOTAL {
        let (_, offset, _, _) = client.message().await;
        seen.push(offset);
    }
    if let Err(error) = publisher.await {
        panic!("publisher task failed: {error}");
    }
    let expected: Vec<u64> = (1..=TOTAL).collect();
    assert_eq!(seen.len(), expected.len());
    let unique: HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a message was delivered twice");
    assert_eq!(seen, expected, "messages missing or out of order");

    // Then live messages continue after the recovered range.
    publish_numbers(bus, "ticks", TOTAL + 1, 1).await;
    assert_eq!(client.message().await.1, TOTAL + 1);
}

#[tokio::test]
async fn recovery_reports_unrecoverable_positions() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &["--history-size", "50"]);
    // History length is applied by whoever publishes.
    let bus = redis
        .bus_with(HistorySettings {
            size: 50,
            ..HistorySettings::default()
        })
        .await;
    publish_numbers(bus, "short", 1, 500).await;

    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let ServerFrame::Subscribed { epoch, offset, .. } = client.subscribe("short", None).await
    else {
        unreachable!()
    };
    assert_eq!(offset, Offset(500));
    drop(client);

    // An offset older than the retained history cannot be recovered.
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let since = Since {
        offset: Offset(3),
        epoch: epoch.clone(),
    };
    match client.subscribe("short", Some(since)).await {
        ServerFrame::Subscribed {
            recovered, offset, ..
        } => {
            assert!(!recovered);
            assert_eq!(offset, Offset(500));
        }
        other => panic!("{other:?}"),
    }
    drop(client);

    // Neither can a position from another epoch.
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let since = Since {
        offset: Offset(499),
        epoch: "not-this-one".into(),
    };
    match client.subscribe("short", Some(since)).await {
        ServerFrame::Subscribed { recovered, .. } => assert!(!recovered),
        other => panic!("{other:?}"),
    }
    drop(client);

    // A recent position is recovered from history.
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let since = Since {
        offset: Offset(495),
        epoch,
    };
    match client.subscribe("short", Some(since)).await {
        ServerFrame::Subscribed { recovered, .. } => assert!(recovered),
        other => panic!("{other:?}"),
    }
    for expected in 496..=500 {
        assert_eq!(client.message().await.1, expected);
    }
}

#[tokio::test]
async fn redis_restart_keeps_history_and_delivery_resumes() {
    let mut redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let bus = redis.bus().await;
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("durable", None).await;
    publish_numbers(bus.clone(), "durable", 1, 20).await;
    // The channel's epoch comes with its messages (it had none before).
    let mut epoch = String::new();
    for expected in 1..=20 {
        let (_, offset, got_epoch, _) = client.message().await;
        assert_eq!(offset, expected);
        epoch = got_epoch;
    }

    // appendfsync everysec: let the AOF reach the disk, then crash Redis.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    redis.restart();

    // The gateway reconnects and resubscribes on its own; publishing again
    // (retrying while the bus reconnects) reaches the same client.
    let mut published = false;
    for _ in 0..100 {
        let draft = EnvelopeDraft::new("durable", Bytes::from_static(b"{\"n\":21}"));
        if bus.publish(&draft, None).await.is_ok() {
            published = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(published, "could not publish after the Redis restart");
    let (_, offset, got_epoch, _) = client.message().await;
    assert_eq!(
        (offset, got_epoch.as_str()),
        (21, epoch.as_str()),
        "AOF must keep offsets and epoch"
    );

    // History from before the crash is still there for a recovering client.
    let mut late = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let since = Since {
        offset: Offset(10),
        epoch,
    };
    match late.subscribe("durable", Some(since)).await {
        ServerFrame::Subscribed { recovered, .. } => assert!(recovered),
        other => panic!("{other:?}"),
    }
    for expected in 11..=21 {
        assert_eq!(late.message().await.1, expected);
    }
    drop(late);
    drop(client);
}

#[tokio::test]
async fn sigterm_closes_clients_with_going_away() {
    let redis = RedisServer::start();
    let mut gateway = Service::gateway(&redis.url(), &[]);
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("bye", None).await;
    gateway.signal("TERM");
    match client.recv().await {
        Received::Closed(Some((code, _))) => assert_eq!(code, 1001),
        other => panic!("expected a 1001 close, got {other:?}"),
    }
    assert_eq!(
        gateway.wait_exit(Duration::from_secs(10)),
        Some(true),
        "gateway must exit cleanly"
    );
}
