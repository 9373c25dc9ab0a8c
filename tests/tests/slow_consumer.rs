//! A client that stops reading is cut off with a close code that says why,
//! while the others keep receiving everything; the gateway's memory for it
//! stays bounded by the send queue.

use std::time::Duration;

use asynchronio_e2e::{Received, RedisServer, Service, WsClient};
use asynchronio_protocol::{Codec, EnvelopeDraft};
use bytes::Bytes;

const MESSAGES: u64 = 3_000;

#[tokio::test]
async fn slow_client_is_disconnected_and_others_keep_receiving() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(
        &redis.url(),
        &["--send-queue", "256", "--write-timeout-ms", "60000"],
    );
    let mut slow = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    slow.subscribe("firehose", None).await;
    let mut fast = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    fast.subscribe("firehose", None).await;

    // The slow client reads nothing for a second, then drains what its
    // buffers hold and finds the close frame at the end.
    let slow_reader = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let mut received = 0u64;
        loop {
            match slow.recv().await {
                Received::Frame(_) => received += 1,
                Received::Closed(close) => return (received, close),
            }
        }
    });
    let reader = tokio::spawn(async move {
        let mut offsets = Vec::with_capacity(MESSAGES as usize);
        while (offsets.len() as u64) < MESSAGES {
            offsets.push(fast.message().await.1);
        }
        offsets
    });

    // 3,000 messages of 16 KiB: far more than socket buffers hold.
    let bus = redis.bus().await;
    let payload = format!("\"{}\"", "z".repeat(16 * 1024));
    for chunk in (0..MESSAGES).collect::<Vec<_>>().chunks(20) {
        let drafts: Vec<_> = chunk
            .iter()
            .map(|_| EnvelopeDraft::new("firehose", Bytes::from(payload.clone())))
            .collect();
        assert!(bus.publish_drafts(&drafts).await.iter().all(Result::is_ok));
        tokio::time::sleep(Duration::from_millis(5)).await;
    }

    let offsets = reader.await.expect("fast reader");
    assert_eq!(
        offsets,
        (1..=MESSAGES).collect::<Vec<_>>(),
        "the fast client must get everything"
    );

    let (received, close) = slow_reader.await.expect("slow reader");
    let (code, reason) = close.expect("a close frame with a reason");
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("slow consumer"), "{reason}");
    assert!(received < MESSAGES, "the slow client was not cut off");
}
