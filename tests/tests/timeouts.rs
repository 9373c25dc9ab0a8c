//! Keepalive and timeouts: silent clients are dropped, live ones kept, and
//! Redis being down gives a clear `unavailable` answer, not a hang or crash.

use std::io::Read;
use std::time::{Duration, Instant};

use asynchronio_e2e::{Received, RedisServer, Service, WsClient};
use asynchronio_protocol::{ClientFrame, Codec, ErrorCode, ServerFrame};
use futures_util::StreamExt;

#[tokio::test]
async fn pings_keep_readers_alive_and_silent_clients_are_dropped() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(
        &redis.url(),
        &["--ping-interval-ms", "100", "--idle-timeout-ms", "400"],
    );
    // A client that reads answers pings (tungstenite does so automatically).
    let mut alive = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    alive.subscribe("beat", None).await;
    // A client that never reads never answers.
    let mut silent = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    silent.subscribe("beat", None).await;

    // Reading drives the automatic pong replies; nothing else arrives.
    let reader = tokio::spawn(async move {
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(1_500) {
            let _ = tokio::time::timeout(Duration::from_millis(50), alive.ws.next()).await;
        }
        alive.send(&ClientFrame::Ping { id: Some(7) }).await;
        alive.frame().await
    });

    // The silent client is dropped after the idle timeout; it reads the
    // close frame while the gateway still waits for its answer.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut close = None;
    while close.is_none() {
        if let Received::Closed(frame) = silent.recv().await {
            close = Some(frame);
        }
    }
    match close.flatten() {
        Some((code, reason)) => {
            assert_eq!(code, 1001, "{reason}");
            assert!(reason.contains("idle"), "{reason}");
        }
        None => panic!("the silent client got no close frame"),
    }
    assert_eq!(
        reader.await.expect("reader"),
        ServerFrame::Pong { id: Some(7) },
        "the reading client was dropped"
    );
}

#[tokio::test]
async fn a_connection_that_never_completes_the_handshake_is_closed() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &["--handshake-timeout-ms", "300"]);
    let started = Instant::now();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", gateway.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut buffer = [0u8; 16];
    // The gateway hangs up: read returns end of stream.
    assert_eq!(stream.read(&mut buffer).ok(), Some(0));
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn redis_down_means_unavailable_then_service_resumes() {
    let mut redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &["--redis-timeout", "1"]);
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("weather", None).await;

    redis.kill();
    client
        .send(&ClientFrame::Publish {
            id: Some(1),
            channel: "weather".into(),
            data: bytes::Bytes::from_static(b"{\"rain\":true}"),
            trace: None,
        })
        .await;
    match client.frame().await {
        ServerFrame::Error { id, code, message } => {
            assert_eq!((id, code), (Some(1), ErrorCode::Unavailable));
            assert!(message.contains("retry"), "{message}");
        }
        other => panic!("expected unavailable, got {other:?}"),
    }
    // The gateway is still serving its clients.
    client.send(&ClientFrame::Ping { id: Some(2) }).await;
    assert_eq!(client.frame().await, ServerFrame::Pong { id: Some(2) });

    redis.restart();
    let mut published = false;
    for id in 3..60 {
        client
            .send(&ClientFrame::Publish {
                id: Some(id),
                channel: "weather".into(),
                data: bytes::Bytes::from_static(b"{\"rain\":false}"),
                trace: None,
            })
            .await;
        match client.frame().await {
            ServerFrame::Ok { .. } => {
                published = true;
                break;
            }
            ServerFrame::Error {
                code: ErrorCode::Unavailable,
                ..
            } => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            // The first live message may overtake a later reply.
            ServerFrame::Message { .. } => {
                published = true;
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(
        published,
        "publishing never worked again after Redis came back"
    );
}
