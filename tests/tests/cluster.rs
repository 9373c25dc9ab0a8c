//! The same services, unchanged, against a Redis Cluster (three masters,
//! three replicas on loopback): delivery through every entry point, two
//! gateways, recovery with `since`, and a master killed mid-stream with its
//! replica promoted, losing no acknowledged message.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use asynchronio_bus::Bus;
use asynchronio_bus::fred::interfaces::{EventInterface, PubsubInterface, StreamsInterface};
use asynchronio_e2e::bridge::wait_balanced;
use asynchronio_e2e::{RedisCluster, Service, WsClient, http};
use asynchronio_protocol::{Codec, EnvelopeDraft, Keys, Offset, ServerFrame, Since};
use bytes::Bytes;

const CHANNELS: usize = 6;

fn channel(c: usize) -> String {
    format!("room-{c}")
}

/// Reads messages until every channel has `per_channel` of them; returns
/// each channel's (offset, n) in arrival order.
async fn collect(
    client: &mut WsClient,
    channels: usize,
    per_channel: usize,
) -> BTreeMap<String, Vec<(u64, u64)>> {
    let mut seen: BTreeMap<String, Vec<(u64, u64)>> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.len() < channels || seen.values().any(|v| v.len() < per_channel) {
        assert!(
            Instant::now() < deadline,
            "messages missing after 30 s: {:?}",
            seen.iter().map(|(c, v)| (c, v.len())).collect::<Vec<_>>()
        );
        let (name, offset, _, data) = client.message().await;
        let n = data["n"].as_u64().unwrap_or(u64::MAX);
        seen.entry(name).or_default().push((offset, n));
    }
    seen
}

#[tokio::test]
async fn services_run_unchanged_on_a_cluster() {
    let cluster = RedisCluster::start();
    let url = cluster.url();
    let bus = cluster.bus().await;
    assert!(bus.is_cluster());
    // The channels live on more than one master, or this proves little.
    let keys = Keys::default();
    let masters: std::collections::BTreeSet<u16> = (0..CHANNELS)
        .map(|c| cluster.master_of(&keys.stream(&channel(c))))
        .collect();
    assert!(masters.len() >= 2, "test channels all hash to one master");

    let db = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}?mode=rwc", db.path().join("api.db").display());
    let bridge = Service::bridge(&url, &["--lease-ms", "900"]);
    let rest = Service::rest(&url, &database, "cluster-admin-key", &[]);
    let gateway_1 = Service::gateway(&url, &[]);
    let gateway_2 = Service::gateway(&url, &[]);
    let mut client_1 = WsClient::connect(&gateway_1.ws_url(), Codec::Json).await;
    let mut client_2 = WsClient::connect(&gateway_2.ws_url(), Codec::MsgPack).await;
    for c in 0..CHANNELS {
        client_2.subscribe(&channel(c), None).await;
        match client_1.subscribe(&channel(c), None).await {
            ServerFrame::Subscribed { .. } => {}
            other => panic!("subscribe on a cluster: {other:?}"),
        }
    }

    // Messages 1..=10 by plain PUBLISH (the bridge, which pattern-subscribes
    // on one node; classic pub/sub reaches every node), 11..=20 through the
    // REST API, 21..=30 through the ingest stream.
    // A raw PUBLISH with no bridge holding its channel is gone (the
    // documented at-most-once path): wait until the bridge holds them all.
    wait_balanced(&[&bridge], Duration::from_secs(10)).await;
    for n in 1..=10u64 {
        for c in 0..CHANNELS {
            let topic = format!("asynchronio:publish:{}", channel(c));
            let sent: Result<i64, _> = bus.client().publish(topic, format!("{{\"n\":{n}}}")).await;
            assert!(sent.is_ok(), "raw PUBLISH on a cluster failed: {sent:?}");
        }
    }
    // The three entry points publish in this order on every channel.
    wait_for_offset(&bus, CHANNELS, 10).await;
    for n in 11..=20u64 {
        for c in 0..CHANNELS {
            let response = http::request(
                rest.port,
                "POST",
                &format!("/api/v1/channels/{}/messages", channel(c)),
                &[
                    ("authorization", "Bearer cluster-admin-key"),
                    ("content-type", "application/json"),
                ],
                format!("{{\"n\":{n}}}").as_bytes(),
            );
            assert!(
                response.status == 201 || response.status == 200,
                "REST publish: {} {}",
                response.status,
                response.text()
            );
        }
    }
    for n in 21..=30u64 {
        for c in 0..CHANNELS {
            let added: Result<String, _> = bus
                .client()
                .xadd(
                    keys.ingest(),
                    false,
                    None,
                    "*",
                    vec![("channel", channel(c)), ("data", format!("{{\"n\":{n}}}"))],
                )
                .await;
            assert!(added.is_ok(), "XADD to the ingest stream failed: {added:?}");
        }
    }
    let expected: Vec<(u64, u64)> = (1..=30).map(|n| (n, n)).collect();
    for client in [&mut client_1, &mut client_2] {
        let seen = collect(client, CHANNELS, 30).await;
        for (name, got) in &seen {
            assert_eq!(
                got, &expected,
                "{name}: lost, duplicated or reordered on a cluster"
            );
        }
    }

    // Recovery: client 1 drops, 20 more per channel are published, and it
    // comes back with `since` for every channel (in the epoch each channel
    // got with its first message).
    drop(client_1);
    let mut epochs = BTreeMap::new();
    for c in 0..CHANNELS {
        let position = bus.position(&channel(c)).await.expect("position");
        epochs.insert(channel(c), position.epoch);
    }
    let drafts: Vec<EnvelopeDraft> = (31..=50u64)
        .flat_map(|n| {
            (0..CHANNELS)
                .map(move |c| EnvelopeDraft::new(channel(c), Bytes::from(format!("{{\"n\":{n}}}"))))
        })
        .collect();
    for result in bus.publish_drafts(&drafts).await {
        assert!(result.is_ok(), "publish on a cluster failed: {result:?}");
    }
    // Each channel's missed messages follow its `subscribed` reply, before
    // the next subscription's reply.
    let mut client_1 = WsClient::connect(&gateway_2.ws_url(), Codec::Json).await;
    let expected: Vec<(u64, u64)> = (31..=50).map(|n| (n, n)).collect();
    for c in 0..CHANNELS {
        let since = Since {
            offset: Offset(30),
            epoch: epochs[&channel(c)].clone(),
        };
        match client_1.subscribe(&channel(c), Some(since)).await {
            ServerFrame::Subscribed { recovered, .. } => {
                assert!(recovered, "recovery on a cluster")
            }
            other => panic!("{other:?}"),
        }
        let seen = collect(&mut client_1, 1, 20).await;
        assert_eq!(
            seen.get(&channel(c)),
            Some(&expected),
            "{}: recovery lost or repeated messages",
            channel(c)
        );
    }
    // Delivery is sharded pub/sub: the gateway with subscribers (gateway 2;
    // gateway 1 let go when its client left) holds a shard subscription on
    // the master that owns the channel, and no classic one; and the publish
    // script delivers with SPUBLISH, which a shard subscriber gets.
    let topic = keys.topic("room-0");
    let shard = cluster.cli_on_master_of(&topic, &["pubsub", "shardnumsub", &topic]);
    assert!(shard.ends_with("\n1"), "SHARDNUMSUB {topic}: {shard:?}");
    let classic = cluster.cli_on_master_of(&topic, &["pubsub", "numsub", &topic]);
    assert!(classic.ends_with("\n0"), "NUMSUB {topic}: {classic:?}");
    let subscriber = bus.subscriber("test").await.expect("subscriber");
    let mut messages = subscriber.message_rx();
    bus.subscribe_topics(&subscriber, vec![topic.clone()])
        .await
        .expect("SSUBSCRIBE");
    let published = bus
        .publish(
            &EnvelopeDraft::new("room-0", Bytes::from_static(b"{\"n\":51}")),
            None,
        )
        .await
        .expect("publish");
    let delivered = tokio::time::timeout(Duration::from_secs(5), messages.recv())
        .await
        .expect("the publish script's SPUBLISH reaches a shard subscriber")
        .expect("message");
    assert_eq!(delivered.channel.to_string(), topic);
    assert_eq!(published.offset, Offset(51));

    // History and channel listing read every master.
    let response = http::request(
        rest.port,
        "GET",
        "/api/v1/channels/room-0/messages?since=0&limit=100",
        &[("authorization", "Bearer cluster-admin-key")],
        b"",
    );
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json()["messages"].as_array().map(Vec::len),
        Some(51)
    );
    let mut known = bus.known_channels().await.expect("known channels");
    known.retain(|c| c.starts_with("room-"));
    assert_eq!(known, (0..CHANNELS).map(channel).collect::<Vec<_>>());
    // The stream holds each message once: no entry point published twice.
    let length: u64 = bus
        .client()
        .xlen(keys.stream("room-0"))
        .await
        .expect("XLEN");
    assert_eq!(length, 51);
}

/// Waits until every test channel's offset reached `offset`.
async fn wait_for_offset(bus: &Bus, channels: usize, offset: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    for c in 0..channels {
        loop {
            let position = bus.position(&channel(c)).await.expect("position");
            if position.offset.0 >= offset {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} stuck at {:?}",
                channel(c),
                position.offset
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// What the publisher got back for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Acked {
    n: u64,
    offset: u64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_master_loses_no_acknowledged_message() {
    const PER_CHANNEL: u64 = 400;
    const STREAMED: usize = 3;
    let mut cluster = RedisCluster::start();
    let url = cluster.url();
    let gateway = Service::gateway(&url, &["--send-queue", "4096"]);
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    for c in 0..STREAMED {
        client.subscribe(&channel(c), None).await;
    }
    let bus = cluster.bus().await;

    // The publisher sends one message at a time, each with an idempotency
    // key, and retries until Redis acknowledges it: a retry after a reply
    // lost in the failover cannot publish the message twice.
    let (killed_tx, killed_rx) = tokio::sync::watch::channel(false);
    let publisher = {
        let bus = bus.clone();
        tokio::spawn(async move {
            let mut acked: BTreeMap<String, Vec<Acked>> = BTreeMap::new();
            let mut retries = 0u32;
            for n in 1..=PER_CHANNEL {
                if n == PER_CHANNEL / 2 {
                    // Wait for the kill, so some messages are published
                    // while the cluster fails over and some after.
                    let mut killed = killed_rx.clone();
                    let _ = killed.wait_for(|k| *k).await;
                }
                for c in 0..STREAMED {
                    let name = channel(c);
                    let draft =
                        EnvelopeDraft::new(name.clone(), Bytes::from(format!("{{\"n\":{n}}}")));
                    let key = format!("m-{n}");
                    let deadline = Instant::now() + Duration::from_secs(30);
                    let published = loop {
                        match bus.publish(&draft, Some(&key)).await {
                            Ok(published) => break published,
                            Err(error) => {
                                assert!(
                                    Instant::now() < deadline,
                                    "publishing never recovered: {error}"
                                );
                                retries += 1;
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                        }
                    };
                    acked.entry(name).or_default().push(Acked {
                        n,
                        offset: published.offset.0,
                    });
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            (acked, retries)
        })
    };

    // Let the first half through (the publisher then waits), kill the
    // master of the first channel, and let the publisher go on while the
    // cluster fails over.
    let mut seen: BTreeMap<String, Vec<Acked>> = BTreeMap::new();
    let mut received = 0u64;
    let total = PER_CHANNEL * STREAMED as u64;
    let mut killed = false;
    let deadline = Instant::now() + Duration::from_secs(90);
    while received < total {
        assert!(
            Instant::now() < deadline,
            "only {received} of {total} arrived after a failover"
        );
        if !killed && received >= (PER_CHANNEL / 2 - 1) * STREAMED as u64 {
            let victim_key = Keys::default().stream(&channel(0));
            let victim = cluster.kill_caught_up_master_of(&victim_key);
            killed = true;
            let _ = killed_tx.send(true);
            let promoted =
                tokio::task::block_in_place(|| cluster.wait_for_failover(&victim_key, victim));
            assert_ne!(victim, promoted, "a replica took over");
        }
        let (name, offset, _, data) = client.message().await;
        let n = data["n"].as_u64().unwrap_or(u64::MAX);
        seen.entry(name).or_default().push(Acked { n, offset });
        received += 1;
    }
    let (acked, retries) = publisher.await.expect("publisher");
    assert!(killed);
    for c in 0..STREAMED {
        let name = channel(c);
        let want = &acked[&name];
        // Every acknowledged message, under the offset it was acknowledged
        // with, exactly once and in order.
        assert_eq!(want.len() as u64, PER_CHANNEL);
        assert_eq!(
            seen.get(&name),
            Some(want),
            "{name}: the client's stream differs from what was acknowledged ({retries} retries during the failover)"
        );
        let offsets: Vec<u64> = want.iter().map(|a| a.offset).collect();
        assert_eq!(
            offsets,
            (1..=PER_CHANNEL).collect::<Vec<_>>(),
            "{name}: offsets have a gap"
        );
    }
}
