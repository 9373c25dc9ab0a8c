//! Every kind of bad input gets its documented answer — an `error` frame
//! or the RFC 6455 close code — and never disturbs other clients.

use std::io::{Read, Write};
use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_e2e::{Received, RedisServer, Service, WsClient};
use asynchronio_protocol::{Codec, EnvelopeDraft, ErrorCode, ServerFrame};
use bytes::Bytes;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// What a case must provoke.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Error(ErrorCode),
    Close(u16),
}

fn text(s: &str) -> Message {
    Message::Text(Utf8Bytes::from(s.to_owned()))
}

fn cases() -> Vec<(&'static str, Vec<Message>, Expect)> {
    use ErrorCode::*;
    let long = "x".repeat(300);
    vec![
        ("truncated JSON", vec![text("{")], Expect::Error(BadRequest)),
        (
            "not JSON at all",
            vec![text("hello")],
            Expect::Error(BadRequest),
        ),
        (
            "JSON array",
            vec![text("[1,2]")],
            Expect::Error(InvalidFrame),
        ),
        (
            "JSON string",
            vec![text("\"subscribe\"")],
            Expect::Error(InvalidFrame),
        ),
        (
            "missing op",
            vec![text(r#"{"id":1}"#)],
            Expect::Error(InvalidFrame),
        ),
        (
            "op of wrong type",
            vec![text(r#"{"op":42,"id":1}"#)],
            Expect::Error(InvalidFrame),
        ),
        (
            "unknown op",
            vec![text(r#"{"op":"dance","id":1}"#)],
            Expect::Error(UnknownOp),
        ),
        (
            "id of wrong type",
            vec![text(r#"{"op":"ping","id":"one"}"#)],
            Expect::Error(InvalidFrame),
        ),
        (
            "negative id",
            vec![text(r#"{"op":"ping","id":-1}"#)],
            Expect::Error(InvalidFrame),
        ),
        (
            "subscribe without channel",
            vec![text(r#"{"op":"subscribe","id":1}"#)],
            Expect::Error(InvalidFrame),
        ),
        (
            "channel of wrong type",
            vec![text(r#"{"op":"subscribe","id":1,"channel":7}"#)],
            Expect::Error(InvalidFrame),
        ),
        (
            "empty channel",
            vec![text(r#"{"op":"subscribe","id":1,"channel":""}"#)],
            Expect::Error(InvalidChannel),
        ),
        (
            "channel with space",
            vec![text(r#"{"op":"subscribe","id":1,"channel":"a b"}"#)],
            Expect::Error(InvalidChannel),
        ),
        (
            "channel with braces",
            vec![text(r#"{"op":"subscribe","id":1,"channel":"a{b}"}"#)],
            Expect::Error(InvalidChannel),
        ),
        (
            "channel too long",
            vec![text(&format!(
                r#"{{"op":"subscribe","id":1,"channel":"{long}"}}"#
            ))],
            Expect::Error(InvalidChannel),
        ),
        (
            "since offset not a number",
            vec![text(
                r#"{"op":"subscribe","id":1,"channel":"a","since":{"offset":"abc","epoch":"e"}}"#,
            )],
            Expect::Error(InvalidFrame),
        ),
        (
            "since without epoch",
            vec![text(
                r#"{"op":"subscribe","id":1,"channel":"a","since":{"offset":"1"}}"#,
            )],
            Expect::Error(InvalidFrame),
        ),
        (
            "publish without data",
            vec![text(r#"{"op":"publish","id":1,"channel":"a"}"#)],
            Expect::Error(InvalidFrame),
        ),
        (
            "publish to a system channel",
            vec![text(
                r#"{"op":"publish","id":1,"channel":"$sys:processes","data":1}"#,
            )],
            Expect::Error(Forbidden),
        ),
        (
            "subscribe twice",
            vec![
                text(r#"{"op":"subscribe","id":1,"channel":"dup"}"#),
                text(r#"{"op":"subscribe","id":2,"channel":"dup"}"#),
            ],
            Expect::Error(AlreadySubscribed),
        ),
        (
            "unsubscribe when not subscribed",
            vec![text(r#"{"op":"unsubscribe","id":1,"channel":"x"}"#)],
            Expect::Error(NotSubscribed),
        ),
        (
            "too many subscriptions",
            (0..4)
                .map(|i| {
                    text(&format!(
                        r#"{{"op":"subscribe","id":{i},"channel":"many-{i}"}}"#
                    ))
                })
                .collect(),
            Expect::Error(TooManySubscriptions),
        ),
        (
            "binary frame on the JSON protocol",
            vec![Message::Binary(Bytes::from_static(b"\x81\xa2op"))],
            Expect::Close(1003),
        ),
        (
            "invalid UTF-8 in a text frame",
            vec![Message::Frame(Frame::message(
                Bytes::from_static(b"{\"op\":\"\xff\"}"),
                OpCode::Data(Data::Text),
                true,
            ))],
            Expect::Close(1007),
        ),
        (
            "message over the size limit",
            vec![text(&"y".repeat(5_000))],
            Expect::Close(1009),
        ),
        (
            "reserved opcode",
            vec![Message::Frame(Frame::message(
                Bytes::from_static(b"x"),
                OpCode::Data(Data::Reserved(3)),
                true,
            ))],
            Expect::Close(1002),
        ),
    ]
}

/// Publishes to `watch` every few milliseconds while the cases run.
async fn keep_publishing(bus: Bus, stop: tokio::sync::watch::Receiver<bool>) -> u64 {
    let mut sent = 0;
    while !*stop.borrow() {
        let draft = EnvelopeDraft::new("watch", Bytes::from(format!("{sent}")));
        if bus.publish(&draft, None).await.is_ok() {
            sent += 1;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    sent
}

#[tokio::test]
async fn bad_input_gets_its_documented_answer_and_harms_no_one_else() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(
        &redis.url(),
        &["--max-message-size", "4096", "--max-subscriptions", "3"],
    );
    let mut watcher = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    watcher.subscribe("watch", None).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let publisher = tokio::spawn(keep_publishing(redis.bus().await, stopped));

    let cases = cases();
    assert!(cases.len() >= 20);
    for (name, messages, expect) in cases {
        let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
        let mut answer = None;
        for message in messages {
            client.send_raw(message).await;
            // Replies to the set-up frames of multi-frame cases are skipped.
            match client.recv().await {
                Received::Frame(ServerFrame::Subscribed { .. }) => {}
                other => answer = Some(other),
            }
            if answer.is_some() {
                break;
            }
        }
        let answer = answer.unwrap_or_else(|| panic!("{name}: no answer"));
        match (expect, &answer) {
            (
                Expect::Error(code),
                Received::Frame(ServerFrame::Error {
                    code: got, message, ..
                }),
            ) => {
                assert_eq!(*got, code, "{name}: {message}");
                assert!(!message.is_empty(), "{name}: error without explanation");
            }
            (Expect::Close(code), Received::Closed(Some((got, reason)))) => {
                assert_eq!(*got, code, "{name}: {reason}");
            }
            _ => panic!("{name}: expected {expect:?}, got {answer:?}"),
        }
        // After an error frame the connection still works.
        if matches!(expect, Expect::Error(_)) {
            client.send_raw(text(r#"{"op":"ping","id":99}"#)).await;
            assert_eq!(
                client.frame().await,
                ServerFrame::Pong { id: Some(99) },
                "{name}"
            );
        }
    }

    // MessagePack connections: garbage gets an error, text frames a 1003.
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::MsgPack).await;
    client
        .send_raw(Message::Binary(Bytes::from_static(b"\xc1\xc1")))
        .await;
    match client.frame().await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::BadRequest),
        other => panic!("{other:?}"),
    }
    client
        .send_raw(Message::Binary(Bytes::from_static(b"\x82\xa2op")))
        .await;
    match client.frame().await {
        ServerFrame::Error { code, .. } => assert_eq!(code, ErrorCode::BadRequest),
        other => panic!("{other:?}"),
    }
    client.send_raw(text("{}")).await;
    assert!(matches!(
        client.recv().await,
        Received::Closed(Some((1003, _)))
    ));

    // An unmasked client frame breaks RFC 6455: 1002.
    assert_eq!(unmasked_frame_close_code(gateway.port), Some(1002));
    // A path that is not an endpoint is refused during the handshake.
    assert!(http_status(gateway.port, "/nope").starts_with("HTTP/1.1 404"));

    // Let the publisher run on a little after the last case.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = stop.send(true);
    let sent = publisher.await.expect("publisher task");
    assert!(sent > 10, "the publisher barely ran");
    for expected in 1..=sent {
        assert_eq!(
            watcher.message().await.1,
            expected,
            "the watcher missed a message"
        );
    }
}

/// Upgrades by hand and sends an unmasked text frame; returns the close
/// code the server answers with.
fn unmasked_frame_close_code(port: u16) -> Option<u16> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .ok()?;
    let mut response = Vec::new();
    let mut byte = [0u8; 1];
    while !response.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).ok()?;
        response.push(byte[0]);
    }
    stream.write_all(&[0x81, 0x02, b'h', b'i']).ok()?;
    let mut header = [0u8; 2];
    stream.read_exact(&mut header).ok()?;
    if header[0] & 0x0f != 0x8 {
        return None;
    }
    let mut code = [0u8; 2];
    stream.read_exact(&mut code).ok()?;
    Some(u16::from_be_bytes(code))
}

fn http_status(port: u16, path: &str) -> String {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}
