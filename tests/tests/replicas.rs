//! Several gateways and bridges at once: every message once, in order, on
//! every gateway; a killed bridge's channels move to the survivor in time.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use asynchronio_bus::fred::interfaces::PubsubInterface;
use asynchronio_e2e::bridge::{owned_partitions, wait_balanced};
use asynchronio_e2e::{RedisServer, Service, WsClient};
use asynchronio_protocol::Codec;

const CHANNELS: usize = 8;
const PER_CHANNEL: u64 = 250;

async fn collect(client: &mut WsClient, total: usize) -> HashMap<String, Vec<u64>> {
    let mut seen: HashMap<String, Vec<u64>> = HashMap::new();
    for _ in 0..total {
        let (channel, offset, _, _) = client.message().await;
        seen.entry(channel).or_default().push(offset);
    }
    seen
}

#[tokio::test]
async fn two_gateways_two_bridges_deliver_each_message_once() {
    let redis = RedisServer::start();
    let bridge_a = Service::bridge(&redis.url(), &["--lease-ms", "900"]);
    let bridge_b = Service::bridge(&redis.url(), &["--lease-ms", "900"]);
    wait_balanced(&[&bridge_a, &bridge_b], Duration::from_secs(10)).await;

    let gateway_1 = Service::gateway(&redis.url(), &[]);
    let gateway_2 = Service::gateway(&redis.url(), &[]);
    let mut client_1 = WsClient::connect(&gateway_1.ws_url(), Codec::Json).await;
    let mut client_2 = WsClient::connect(&gateway_2.ws_url(), Codec::MsgPack).await;
    for c in 0..CHANNELS {
        client_1.subscribe(&format!("room-{c}"), None).await;
        client_2.subscribe(&format!("room-{c}"), None).await;
    }

    let bus = redis.bus().await;
    for n in 0..PER_CHANNEL {
        for c in 0..CHANNELS {
            let topic = format!("asynchronio:publish:room-{c}");
            let sent: Result<i64, _> = bus.client().publish(topic, format!("{{\"n\":{n}}}")).await;
            assert!(sent.is_ok(), "raw PUBLISH failed: {sent:?}");
        }
    }
    let total = CHANNELS * PER_CHANNEL as usize;
    let expected: Vec<u64> = (1..=PER_CHANNEL).collect();
    for client in [&mut client_1, &mut client_2] {
        let seen = collect(client, total).await;
        assert_eq!(seen.len(), CHANNELS);
        for (channel, offsets) in seen {
            assert_eq!(
                offsets, expected,
                "{channel}: lost, duplicated or reordered"
            );
        }
    }
    // Each channel's stream holds exactly one entry per message: no replica
    // published anything twice.
    for c in 0..CHANNELS {
        let len = redis.cli(&["XLEN", &format!("asynchronio:stream:{{room-{c}}}")]);
        assert_eq!(len, PER_CHANNEL.to_string(), "room-{c}");
    }
}

#[tokio::test]
async fn killed_bridge_hands_its_channels_over_within_five_seconds() {
    let redis = RedisServer::start();
    // Default lease settings: this is the guarantee users get.
    let mut bridge_a = Service::bridge(&redis.url(), &[]);
    let bridge_b = Service::bridge(&redis.url(), &[]);
    wait_balanced(&[&bridge_a, &bridge_b], Duration::from_secs(15)).await;

    let gateway = Service::gateway(&redis.url(), &[]);
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let channels: Vec<String> = (0..32).map(|c| format!("handover-{c}")).collect();
    for channel in &channels {
        client.subscribe(channel, None).await;
    }

    bridge_a.kill();
    let killed = Instant::now();
    while owned_partitions("127.0.0.1", bridge_b.port) != Some(64) {
        assert!(
            killed.elapsed() < Duration::from_secs(5),
            "survivor did not take every partition within 5 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let handover = killed.elapsed();
    eprintln!("partitions moved {handover:?} after the kill");

    // Every channel, whichever bridge owned it before, is published again.
    let bus = redis.bus().await;
    for channel in &channels {
        let sent: Result<i64, _> = bus
            .client()
            .publish(format!("asynchronio:publish:{channel}"), "{\"after\":true}")
            .await;
        assert!(sent.is_ok());
    }
    let seen = collect(&mut client, channels.len()).await;
    assert_eq!(
        seen.len(),
        channels.len(),
        "some channels were not taken over"
    );
    assert!(seen.values().all(|offsets| offsets == &vec![1]));
}

#[tokio::test]
async fn killed_gateway_client_resumes_on_another_without_loss() {
    use asynchronio_protocol::{EnvelopeDraft, Offset, ServerFrame, Since};

    const TOTAL: u64 = 5_000;
    let redis = RedisServer::start();
    let mut gateway_1 = Service::gateway(&redis.url(), &[]);
    let gateway_2 = Service::gateway(&redis.url(), &[]);
    let bus = redis.bus().await;

    let mut client = WsClient::connect(&gateway_1.ws_url(), Codec::Json).await;
    client.subscribe("stream", None).await;
    let publisher = tokio::spawn(async move {
        for chunk in (1..=TOTAL).collect::<Vec<_>>().chunks(50) {
            let drafts: Vec<_> = chunk
                .iter()
                .map(|n| EnvelopeDraft::new("stream", bytes::Bytes::from(n.to_string())))
                .collect();
            assert!(bus.publish_drafts(&drafts).await.iter().all(Result::is_ok));
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    });

    let mut seen = Vec::new();
    // The channel's epoch comes with its messages (it had none before).
    let mut epoch = String::new();
    while seen.len() < 1_500 {
        let (_, offset, got_epoch, _) = client.message().await;
        seen.push(offset);
        epoch = got_epoch;
    }
    // The gateway dies mid-stream; the client resumes on the other one.
    gateway_1.kill();
    let mut last = *seen.last().unwrap_or(&0);
    // Frames already in flight may still arrive before the close.
    while let asynchronio_e2e::Received::Frame(ServerFrame::Message { offset, .. }) =
        client.recv().await
    {
        seen.push(offset.0);
        last = offset.0;
    }
    let mut client = WsClient::connect(&gateway_2.ws_url(), Codec::Json).await;
    match client
        .subscribe(
            "stream",
            Some(Since {
                offset: Offset(last),
                epoch,
            }),
        )
        .await
    {
        ServerFrame::Subscribed { recovered, .. } => assert!(recovered),
        other => panic!("{other:?}"),
    }
    while (seen.len() as u64) < TOTAL {
        seen.push(client.message().await.1);
    }
    publisher.await.expect("publisher");
    assert_eq!(
        seen,
        (1..=TOTAL).collect::<Vec<_>>(),
        "lost, duplicated or reordered"
    );
}
