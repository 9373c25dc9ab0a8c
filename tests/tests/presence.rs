//! Channel lists, stats and presence come from the gateways' heartbeats in
//! Redis; a killed gateway's clients disappear within 30 s.

use std::time::{Duration, Instant};

use asynchronio_e2e::http::request;
use asynchronio_e2e::{RedisServer, Service, WsClient};
use asynchronio_protocol::{ClientFrame, Codec, ServerFrame};
use serde_json::Value;

const ADMIN: &str = "presence-admin";
const SECRET: &str = "presence-secret";

fn get(rest: &Service, path: &str) -> Value {
    let response = request(
        rest.port,
        "GET",
        path,
        &[("authorization", &format!("Bearer {ADMIN}"))],
        b"",
    );
    assert_eq!(response.status, 200, "{path}: {}", response.text());
    response.json()
}

/// Polls `path` until `done` holds, for at most `limit`.
async fn wait_for(
    rest: &Service,
    path: &str,
    limit: Duration,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let value = get(rest, path);
        if done(&value) {
            return value;
        }
        assert!(
            started.elapsed() < limit,
            "{path} never reached the expected state: {value}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn count(channels: &Value, name: &str) -> u64 {
    channels["channels"]
        .as_array()
        .and_then(|list| list.iter().find(|c| c["channel"] == name))
        .and_then(|c| c["subscribers"].as_u64())
        .unwrap_or(0)
}

#[tokio::test]
async fn presence_and_counts_follow_gateways() {
    let redis = RedisServer::start();
    let env = [("ASYNCHRONIO_TOKEN_SECRET", SECRET)];
    let gateway_a = Service::gateway_with_env(&redis.url(), &["--gateway-id", "gw-a"], &env);
    let mut gateway_b = Service::gateway_with_env(&redis.url(), &["--gateway-id", "gw-b"], &env);
    let db = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}?mode=rwc", db.path().join("p.db").display());
    let rest = Service::rest_with_env(&redis.url(), &db_url, ADMIN, &[], &env);

    let issued = request(
        rest.port,
        "POST",
        "/api/v1/tokens",
        &[("authorization", &format!("Bearer {ADMIN}"))],
        br#"{"sub":"alice","subscribe":["room"]}"#,
    );
    let token = issued.json()["token"].as_str().expect("token").to_owned();
    let mut alice = WsClient::connect(
        &format!("{}?token={token}", gateway_a.ws_url()),
        Codec::Json,
    )
    .await;
    alice.subscribe("room", None).await;
    let mut guest = WsClient::connect(&gateway_b.ws_url(), Codec::Json).await;
    guest.subscribe("room", None).await;
    guest.subscribe("other", None).await;

    let channels = wait_for(&rest, "/api/v1/channels", Duration::from_secs(10), |v| {
        count(v, "room") == 2 && count(v, "other") == 1
    })
    .await;
    assert_eq!(channels["gateways"], 2);
    let presence = get(&rest, "/api/v1/channels/room/presence");
    let clients = presence["clients"].as_array().expect("clients");
    assert_eq!(clients.len(), 2, "{presence}");
    assert!(clients.iter().any(|c| {
        c["user"] == "alice"
            && c["client"]
                .as_str()
                .is_some_and(|id| id.starts_with("gw-a/"))
    }));
    assert!(clients.iter().any(|c| {
        c["user"].is_null()
            && c["client"]
                .as_str()
                .is_some_and(|id| id.starts_with("gw-b/"))
    }));
    let stats = get(&rest, "/api/v1/channels/room");
    assert_eq!(stats["subscribers"], 2);
    assert!(stats["epoch"].is_string());

    // Gateway B dies: its client leaves presence and counts within 30 s.
    gateway_b.kill();
    let killed = Instant::now();
    wait_for(
        &rest,
        "/api/v1/channels/room/presence",
        Duration::from_secs(30),
        |v| v["clients"].as_array().is_some_and(|c| c.len() == 1),
    )
    .await;
    eprintln!(
        "presence of the dead gateway's client expired after {:?}",
        killed.elapsed()
    );
    let channels = wait_for(&rest, "/api/v1/channels", Duration::from_secs(30), |v| {
        count(v, "other") == 0
    })
    .await;
    assert_eq!(count(&channels, "room"), 1);
    assert_eq!(channels["gateways"], 1);

    // A clean unsubscribe leaves presence at once.
    alice
        .send(&ClientFrame::Unsubscribe {
            id: Some(5),
            channel: "room".into(),
        })
        .await;
    assert!(matches!(
        alice.frame().await,
        ServerFrame::Ok { id: Some(5), .. }
    ));
    wait_for(
        &rest,
        "/api/v1/channels/room/presence",
        Duration::from_secs(5),
        |v| v["clients"].as_array().is_some_and(|c| c.is_empty()),
    )
    .await;
}

#[tokio::test]
async fn clients_that_ask_get_join_and_leave_notices() {
    let redis = RedisServer::start();
    let env = [("ASYNCHRONIO_TOKEN_SECRET", SECRET)];
    let gateway_a = Service::gateway_with_env(&redis.url(), &["--gateway-id", "gw-a"], &env);
    let gateway_b = Service::gateway_with_env(&redis.url(), &["--gateway-id", "gw-b"], &env);
    let token = asynchronio_protocol::token::TokenKeys::hs256(SECRET.as_bytes())
        .expect("keys")
        .sign(&asynchronio_protocol::token::Claims {
            sub: "bob".into(),
            exp: asynchronio_protocol::token::now_secs() + 600,
            iat: 0,
            subscribe: vec!["lobby".into()],
            publish: vec![],
            admin: false,
            ..Default::default()
        })
        .expect("sign");

    let mut watcher = WsClient::connect(&gateway_a.ws_url(), Codec::Json).await;
    watcher.subscribe_with("lobby", None, true).await;
    let mut quiet = WsClient::connect(&gateway_a.ws_url(), Codec::Json).await;
    quiet.subscribe("lobby", None).await;

    // Bob joins through the other gateway, then leaves.
    let mut bob = WsClient::connect(
        &format!("{}?token={token}", gateway_b.ws_url()),
        Codec::MsgPack,
    )
    .await;
    bob.subscribe("lobby", None).await;
    let joined = loop {
        match watcher.frame().await {
            ServerFrame::Join {
                channel,
                client,
                user,
            } if client.starts_with("gw-b/") => break (channel, user),
            ServerFrame::Join { .. } => {}
            other => panic!("expected a join notice, got {other:?}"),
        }
    };
    assert_eq!(joined, ("lobby".to_owned(), Some("bob".to_owned())));
    bob.send(&ClientFrame::Unsubscribe {
        id: Some(3),
        channel: "lobby".into(),
    })
    .await;
    match watcher.frame().await {
        ServerFrame::Leave {
            channel,
            client,
            user,
        } => {
            assert_eq!((channel.as_str(), user.as_deref()), ("lobby", Some("bob")));
            assert!(client.starts_with("gw-b/"));
        }
        other => panic!("expected a leave notice, got {other:?}"),
    }

    // A subscriber that did not ask gets only messages.
    let bus = redis.bus().await;
    let drafts = [asynchronio_protocol::EnvelopeDraft::new(
        "lobby",
        bytes::Bytes::from_static(b"{\"hi\":1}"),
    )];
    assert!(bus.publish_drafts(&drafts).await.iter().all(Result::is_ok));
    assert!(matches!(quiet.frame().await, ServerFrame::Message { .. }));
    assert!(matches!(watcher.frame().await, ServerFrame::Message { .. }));
}
