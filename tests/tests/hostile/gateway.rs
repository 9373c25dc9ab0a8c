//! Hostile inputs against the WebSocket gateway and the client tokens it
//! accepts: token tricks (scopes, lifetime, revocation, expiry, `nbf`,
//! undecodable `?token=`), subscribe churn, sockets that never upgrade,
//! handshake violations, and a Redis outage under retrying clients.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asynchronio_e2e::http::{issue_token as issue, request};
use asynchronio_e2e::{Received, RedisServer, Service, Watch, WsClient};
use asynchronio_protocol::token::{Claims, TokenKeys, now_secs};
use asynchronio_protocol::{ClientFrame, Codec, EnvelopeDraft, ErrorCode, ServerFrame};
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ADMIN: &str = "hostile-gateway-admin-key";
const SECRET: &str = "hostile-gateway-token-secret";

fn database_url(dir: &tempfile::TempDir) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("hostile.db").display()
    )
}

/// Creates an API key with `scopes`; its id and its secret.
fn create_key(rest: &Service, scopes: &str) -> (String, String) {
    let auth = format!("Bearer {ADMIN}");
    let body = format!(r#"{{"name":"hostile","scopes":{scopes}}}"#);
    let response = request(
        rest.port,
        "POST",
        "/api/v1/keys",
        &[("authorization", &auth)],
        body.as_bytes(),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let json = response.json();
    (
        json["id"].as_str().expect("id").to_owned(),
        json["secret"].as_str().expect("secret").to_owned(),
    )
}

/// Signs `claims` with the test secret, as the REST API would.
fn sign(claims: &Claims) -> String {
    TokenKeys::hs256(SECRET.as_bytes())
        .expect("keys")
        .sign(claims)
        .expect("sign")
}

/// The HTTP status a WebSocket handshake to `url` is refused with, or
/// `None` when it succeeds.
async fn refused_status(url: &str) -> Option<u16> {
    match tokio_tungstenite::connect_async(url).await {
        Ok(_) => None,
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            Some(response.status().as_u16())
        }
        Err(other) => panic!("handshake to {url} failed without an HTTP answer: {other}"),
    }
}

/// Waits for the connection to close; its close code and reason, and when.
async fn closed_within(client: &mut WsClient, limit: Duration) -> ((u16, String), SystemTime) {
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "the connection stayed open for {limit:?}");
        match client.recv_within(left).await {
            Received::Closed(close) => {
                return (close.expect("a close frame"), SystemTime::now());
            }
            Received::Frame(_) => {}
        }
    }
}

fn unix_secs(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH).expect("clock").as_secs_f64()
}

/// Sends raw bytes to the gateway and reads its whole answer (until it
/// closes or 5 s pass).
fn raw_exchange(port: u16, bytes: &[u8]) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let _ = stream.write_all(bytes);
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

fn upgrade_request(method: &str, target: &str, key: &str, version: &str) -> Vec<u8> {
    format!(
        "{method} {target} HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: {version}\r\n\r\n"
    )
    .into_bytes()
}

fn has_header(response: &str, name: &str, value: &str) -> bool {
    let head = response.split("\r\n\r\n").next().unwrap_or("");
    head.split("\r\n").skip(1).any(|line| {
        line.split_once(':').is_some_and(|(n, v)| {
            n.trim().eq_ignore_ascii_case(name) && v.to_ascii_lowercase().contains(value)
        })
    })
}

/// The gateway's `/healthz` JSON.
fn health(gateway: &Service) -> serde_json::Value {
    request(gateway.port, "GET", "/healthz", &[], b"").json()
}

/// B6: a key grants in a token only what its own scopes allow; lifetimes
/// are capped; revoking a key ends its tokens, live connections included.
#[tokio::test]
async fn tokens_grant_no_more_than_their_key_and_die_with_it() {
    let redis = RedisServer::start();
    let db = tempfile::tempdir().expect("tempdir");
    let env = [("ASYNCHRONIO_TOKEN_SECRET", SECRET)];
    let rest = Service::rest_with_env(&redis.url(), &database_url(&db), ADMIN, &[], &env);
    let gateway = Service::gateway_with_env(&redis.url(), &[], &env);
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;

    let (_, publisher) = create_key(&rest, r#"["publish"]"#);
    let (reader_id, reader) = create_key(&rest, r#"["read"]"#);

    // The attack: a publish-only key minting a month-long token for every
    // private channel.
    let (status, body) = issue(
        &rest,
        &publisher,
        r#"{"sub":"m","subscribe":["private:*"],"ttl":2592000}"#,
    );
    assert_eq!(status, 403, "{body}");
    let (status, body) = issue(
        &rest,
        &publisher,
        r#"{"sub":"m","subscribe":["private:*"],"ttl":600}"#,
    );
    assert_eq!(
        status, 403,
        "subscribe patterns need the read scope: {body}"
    );
    // What each scope does grant.
    let (status, body) = issue(&rest, &publisher, r#"{"sub":"p","publish":["chat"]}"#);
    assert_eq!(status, 201, "{body}");
    let (status, body) = issue(&rest, &reader, r#"{"sub":"r","publish":["chat"]}"#);
    assert_eq!(
        status, 403,
        "publish patterns need the publish scope: {body}"
    );
    let (status, body) = issue(&rest, &reader, r#"{"sub":"r","subscribe":["$sys:*"]}"#);
    assert_eq!(status, 403, "$sys: patterns need the admin scope: {body}");
    let (status, body) = issue(&rest, &reader, r#"{"sub":"r","admin":true}"#);
    assert_eq!(status, 403, "{body}");
    // Lifetime: at most 24 h by default, whoever asks.
    let (status, body) = issue(&rest, ADMIN, r#"{"sub":"m","ttl":2592000}"#);
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("86400"), "{body}");
    let (status, body) = issue(&rest, ADMIN, r#"{"sub":"m","ttl":86400}"#);
    assert_eq!(status, 201, "{body}");

    // A token of the read key works until the key is revoked.
    let (status, body) = issue(
        &rest,
        &reader,
        r#"{"sub":"r","subscribe":["private:r:*"],"ttl":600}"#,
    );
    assert_eq!(status, 201, "{body}");
    let token = body["token"].as_str().expect("token").to_owned();
    let url = format!("{}?token={token}", gateway.ws_url());
    let mut live = WsClient::connect(&url, Codec::Json).await;
    live.subscribe("private:r:inbox", None).await;
    let mut by_frame = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    by_frame
        .send(&ClientFrame::Connect {
            id: Some(1),
            token: token.clone(),
        })
        .await;
    assert!(matches!(
        by_frame.frame().await,
        ServerFrame::Connected { .. }
    ));
    let (_, admin_body) = issue(&rest, ADMIN, r#"{"sub":"ops","subscribe":["private:*"]}"#);
    let admin_url = format!(
        "{}?token={}",
        gateway.ws_url(),
        admin_body["token"].as_str().expect("token")
    );
    let mut bootstrap = WsClient::connect(&admin_url, Codec::Json).await;
    bootstrap.subscribe("private:r:inbox", None).await;

    let auth = format!("Bearer {ADMIN}");
    let revoked = request(
        rest.port,
        "DELETE",
        &format!("/api/v1/keys/{reader_id}"),
        &[("authorization", &auth)],
        b"",
    );
    assert_eq!(revoked.status, 204, "{}", revoked.text());
    let start = Instant::now();
    for client in [&mut live, &mut by_frame] {
        let ((code, reason), _) = closed_within(client, Duration::from_secs(10)).await;
        assert_eq!(code, 1008, "{reason}");
        assert!(reason.contains("revoked"), "{reason}");
    }
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "live connections of a revoked key closed only after {:?}",
        start.elapsed()
    );
    assert_eq!(refused_status(&url).await, Some(401));
    let mut again = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    again
        .send(&ClientFrame::Connect {
            id: Some(2),
            token: token.clone(),
        })
        .await;
    match again.frame().await {
        ServerFrame::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::Unauthorized, "{message}");
            assert!(message.contains("revoked"), "{message}");
        }
        other => panic!("a revoked key's token was accepted: {other:?}"),
    }
    // Tokens of the bootstrap key have no key to revoke: still live.
    bootstrap.send(&ClientFrame::Ping { id: Some(3) }).await;
    assert_eq!(bootstrap.frame().await, ServerFrame::Pong { id: Some(3) });

    watch
        .finish("tokens_grant_no_more_than_their_key_and_die_with_it")
        .await;
}

/// B11: a connection closes when its token expires (give or take a
/// second), not at the next keepalive tick.
#[tokio::test]
async fn expired_tokens_close_their_connection_on_time() {
    let redis = RedisServer::start();
    let env = [("ASYNCHRONIO_TOKEN_SECRET", SECRET)];
    // Default keepalive (25 s): expiry must not wait for it.
    let gateway = Service::gateway_with_env(&redis.url(), &[], &env);
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;

    let claims = |ttl: u64| Claims {
        sub: "brief".into(),
        exp: now_secs() + ttl,
        iat: now_secs(),
        subscribe: vec!["news".into()],
        ..Default::default()
    };
    // As ?token=.
    let short = claims(2);
    let mut by_url = WsClient::connect(
        &format!("{}?token={}", gateway.ws_url(), sign(&short)),
        Codec::Json,
    )
    .await;
    by_url.subscribe("news", None).await;
    // As a connect frame on an open connection.
    let mut by_frame = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let framed = claims(3);
    by_frame
        .send(&ClientFrame::Connect {
            id: Some(1),
            token: sign(&framed),
        })
        .await;
    assert!(matches!(
        by_frame.frame().await,
        ServerFrame::Connected { .. }
    ));
    for (client, exp) in [(&mut by_url, short.exp), (&mut by_frame, framed.exp)] {
        let ((code, reason), at) = closed_within(client, Duration::from_secs(30)).await;
        assert_eq!(code, 1008, "{reason}");
        assert!(reason.contains("token expired"), "{reason}");
        let late = unix_secs(at) - exp as f64;
        assert!(
            (-1.0..=1.5).contains(&late),
            "closed {late:.2} s after the token's expiry"
        );
    }
    watch
        .finish("expired_tokens_close_their_connection_on_time")
        .await;
}

/// B12: an undecodable `?token=` is refused, not treated as anonymous,
/// and a token is not used before its `nbf`.
#[tokio::test]
async fn undecodable_and_not_yet_valid_tokens_are_refused() {
    let redis = RedisServer::start();
    let env = [("ASYNCHRONIO_TOKEN_SECRET", SECRET)];
    let gateway = Service::gateway_with_env(&redis.url(), &[], &env);
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;

    for query in ["token=%zz", "token=%", "token=%e9", "x=1&token=ab%2"] {
        let url = format!("{}?{query}", gateway.ws_url());
        assert_eq!(refused_status(&url).await, Some(401), "{query}");
    }
    let later = Claims {
        sub: "early".into(),
        exp: now_secs() + 600,
        iat: now_secs(),
        nbf: Some(now_secs() + 300),
        subscribe: vec!["news".into()],
        ..Default::default()
    };
    let url = format!("{}?token={}", gateway.ws_url(), sign(&later));
    assert_eq!(refused_status(&url).await, Some(401), "nbf in the future");
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client
        .send(&ClientFrame::Connect {
            id: Some(1),
            token: sign(&later),
        })
        .await;
    match client.frame().await {
        ServerFrame::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::Unauthorized, "{message}")
        }
        other => panic!("a token used before its nbf was accepted: {other:?}"),
    }
    let valid = Claims {
        nbf: Some(now_secs().saturating_sub(10)),
        ..later
    };
    let mut ok = WsClient::connect(
        &format!("{}?token={}", gateway.ws_url(), sign(&valid)),
        Codec::Json,
    )
    .await;
    ok.subscribe("news", None).await;
    watch
        .finish("undecodable_and_not_yet_valid_tokens_are_refused")
        .await;
}

/// Subscribes to `channel` and returns the answer (subscribed or error).
async fn try_subscribe(client: &mut WsClient, id: u64, channel: &str) -> ServerFrame {
    client
        .send(&ClientFrame::Subscribe {
            id: Some(id),
            channel: channel.into(),
            since: None,
            presence: false,
        })
        .await;
    client.frame().await
}

/// B10 (gateway): subscribe attempts are limited per connection and per
/// address, so subscribe/unsubscribe churn cannot get round the cap; an
/// over-limit attempt is refused and costs the client nothing else.
#[tokio::test]
async fn subscribe_churn_is_rate_limited() {
    let redis = RedisServer::start();
    // Defaults: per connection.
    let gateway = Service::gateway(&redis.url(), &[]);
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("kept", None).await;
    let mut limited = None;
    for i in 0..5_000u64 {
        match try_subscribe(&mut client, i, &format!("churn-{i}")).await {
            ServerFrame::Subscribed { .. } => {
                client
                    .send(&ClientFrame::Unsubscribe {
                        id: Some(i),
                        channel: format!("churn-{i}"),
                    })
                    .await;
                assert!(matches!(client.frame().await, ServerFrame::Ok { .. }));
            }
            ServerFrame::Error { code, message, .. } => {
                assert_eq!(code, ErrorCode::RateLimited, "{message}");
                assert!(message.contains("per second"), "{message}");
                limited = Some(i);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    let limited = limited.expect("5,000 subscribe/unsubscribe attempts were never limited");
    assert!(limited >= 128, "limited after only {limited} attempts");
    // Nothing else is lost: the connection and its subscription still work.
    client.send(&ClientFrame::Ping { id: Some(7) }).await;
    assert_eq!(client.frame().await, ServerFrame::Pong { id: Some(7) });
    redis
        .bus()
        .await
        .publish(&EnvelopeDraft::new("kept", Bytes::from_static(b"1")), None)
        .await
        .expect("publish");
    assert_eq!(client.message().await.0, "kept");
    watch
        .finish("subscribe_churn_is_rate_limited (connection)")
        .await;

    // Per address: many connections from one address share one budget
    // (another Redis, so the second witness starts from offset 1).
    let redis = RedisServer::start();
    let gateway = Service::gateway(
        &redis.url(),
        &[
            "--address-subscribe-burst",
            "40",
            "--address-subscribe-rate",
            "1",
        ],
    );
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let mut refused = 0;
    for c in 0..4 {
        let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
        for i in 0..15u64 {
            match try_subscribe(&mut client, i, &format!("spread-{c}-{i}")).await {
                ServerFrame::Subscribed { .. } => {}
                ServerFrame::Error {
                    code: ErrorCode::RateLimited,
                    ..
                } => refused += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    assert!(
        (15..=25).contains(&refused),
        "60 attempts against a budget of 40 (minus the witness's one): {refused} refused"
    );
    watch
        .finish("subscribe_churn_is_rate_limited (address)")
        .await;
}

/// Opens a TCP connection to the gateway from `source` and sends nothing.
async fn idle_socket(source: IpAddr, port: u16) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(source, 0)).expect("bind");
    socket
        .connect(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
        .await
        .expect("connect")
}

/// C17: sockets that never upgrade do not take connection slots; they are
/// bounded per address and time out.
#[tokio::test]
async fn idle_sockets_do_not_lock_clients_out() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(
        &redis.url(),
        &["--max-connections", "5", "--handshake-timeout-ms", "2000"],
    );
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let attacker = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(idle_socket(attacker, gateway.port).await);
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Real clients still get in, up to the limit (the witness holds one).
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(WsClient::connect(&gateway.ws_url(), Codec::Json).await);
    }
    assert_eq!(refused_status(&gateway.ws_url()).await, Some(503));
    // The attacker's sockets beyond its per-address share were refused at
    // once; the rest are closed when the handshake timeout passes.
    let mut last = idle.pop().expect("socket");
    let mut buf = Vec::new();
    let read = tokio::time::timeout(Duration::from_millis(500), last.read_to_end(&mut buf)).await;
    assert!(read.is_ok(), "an over-limit idle socket was kept open");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for mut socket in idle {
        let _ = socket.write_all(b"G").await;
        let mut buf = [0u8; 64];
        let read = tokio::time::timeout(Duration::from_millis(500), socket.read(&mut buf)).await;
        assert!(
            matches!(read, Ok(Ok(_)) | Ok(Err(_))),
            "an idle socket outlived the handshake timeout"
        );
    }
    let health = health(&gateway);
    assert_eq!(health["connections"], 5, "{health}");
    drop(clients);
    watch.finish("idle_sockets_do_not_lock_clients_out").await;
}

/// C19: a handshake the gateway refuses gets an HTTP answer that says why
/// (RFC 6455 §4.2.2), and wrong methods get 405 with `Allow`.
#[tokio::test]
async fn failed_handshakes_get_an_http_answer() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let key = "dGhlIHNhbXBsZSBub25jZQ==";
    let port = gateway.port;

    let bad_key = raw_exchange(port, &upgrade_request("GET", "/ws", "short", "13"));
    assert!(bad_key.starts_with("HTTP/1.1 400"), "bad key: {bad_key:?}");
    let no_key = raw_exchange(
        port,
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Version: 13\r\n\r\n",
    );
    assert!(no_key.starts_with("HTTP/1.1 400"), "no key: {no_key:?}");
    let no_connection = raw_exchange(
        port,
        format!(
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nSec-WebSocket-Key: {key}\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    );
    assert!(
        no_connection.starts_with("HTTP/1.1 400"),
        "no Connection: Upgrade: {no_connection:?}"
    );
    let version = raw_exchange(port, &upgrade_request("GET", "/ws", key, "8"));
    assert!(
        version.starts_with("HTTP/1.1 426"),
        "version 8: {version:?}"
    );
    assert!(
        has_header(&version, "sec-websocket-version", "13"),
        "{version:?}"
    );
    let post = raw_exchange(port, &upgrade_request("POST", "/ws", key, "13"));
    assert!(post.starts_with("HTTP/1.1 405"), "POST upgrade: {post:?}");
    assert!(has_header(&post, "allow", "get"), "{post:?}");
    let long = format!("/ws?pad={}", "a".repeat(17 * 1024));
    let too_long = raw_exchange(port, &upgrade_request("GET", &long, key, "13"));
    assert!(
        too_long.starts_with("HTTP/1.1 431"),
        "17 KiB query: {too_long:?}"
    );
    let plain_post = raw_exchange(
        port,
        b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(plain_post.starts_with("HTTP/1.1 405"), "{plain_post:?}");
    assert!(has_header(&plain_post, "allow", "get"), "{plain_post:?}");
    let delete = raw_exchange(port, b"DELETE /ws HTTP/1.1\r\nHost: x\r\n\r\n");
    assert!(delete.starts_with("HTTP/1.1 405"), "{delete:?}");
    let nope = raw_exchange(port, &upgrade_request("GET", "/nope", key, "13"));
    assert!(nope.starts_with("HTTP/1.1 404"), "{nope:?}");
    // A good handshake still works.
    let good = raw_exchange(port, &upgrade_request("GET", "/ws", key, "13"));
    assert!(good.starts_with("HTTP/1.1 101"), "{good:?}");
    watch.finish("failed_handshakes_get_an_http_answer").await;
}

/// The pid of the Redis server, from `INFO server`.
fn redis_pid(redis: &RedisServer) -> u32 {
    let info = redis.cli(&["INFO", "server"]);
    info.lines()
        .find_map(|line| line.strip_prefix("process_id:"))
        .and_then(|pid| pid.trim().parse().ok())
        .unwrap_or_else(|| panic!("no process_id in INFO server: {info}"))
}

fn signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{name} {pid}");
}

/// How Redis goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outage {
    /// SIGSTOP, then SIGCONT: connections stay up, nothing answers.
    Stopped,
    /// Killed, then restarted (from its AOF): connections are refused.
    Killed,
}

/// C21: while Redis is stopped, 1,000 clients retrying their subscriptions
/// keep the gateway's topic-control queue at one pending change per
/// channel; when Redis continues, every subscription and message arrives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_queue_stays_bounded_while_redis_is_stopped() {
    topic_queue_stays_bounded_through(Outage::Stopped).await;
}

/// C21 with Redis killed: subscribes then fail (rather than wait), which
/// is what made the old command queue grow by 2,000 entries every 5 s.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_queue_stays_bounded_while_redis_is_down() {
    topic_queue_stays_bounded_through(Outage::Killed).await;
}

async fn topic_queue_stays_bounded_through(outage: Outage) {
    const CLIENTS: usize = 1_000;
    let case = format!("topic queue bounded through Redis {outage:?}");
    let mut redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let mut clients = Vec::with_capacity(CLIENTS);
    for _ in 0..CLIENTS {
        clients.push(WsClient::connect(&gateway.ws_url(), Codec::Json).await);
    }
    let pid = redis_pid(&redis);
    match outage {
        Outage::Stopped => signal(pid, "STOP"),
        Outage::Killed => redis.kill(),
    }
    let stopped_at = Instant::now();
    let (done, _) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::with_capacity(CLIENTS);
    for (i, mut client) in clients.into_iter().enumerate() {
        let mut done = done.subscribe();
        tasks.push(tokio::spawn(async move {
            let channel = format!("outage-{i}");
            let mut attempts = 0u64;
            loop {
                attempts += 1;
                client
                    .send(&ClientFrame::Subscribe {
                        id: Some(attempts),
                        channel: channel.clone(),
                        since: None,
                        presence: false,
                    })
                    .await;
                match client.recv_within(Duration::from_secs(60)).await {
                    Received::Frame(ServerFrame::Subscribed { .. }) => break,
                    Received::Frame(ServerFrame::Error { code, message, .. }) => {
                        assert!(
                            matches!(code, ErrorCode::Unavailable | ErrorCode::RateLimited),
                            "{message}"
                        );
                        // Retry at once, as an impatient client would.
                        if *done.borrow_and_update() && attempts > 100 {
                            panic!("{channel}: never subscribed after {attempts} attempts");
                        }
                    }
                    other => panic!("{channel}: {other:?}"),
                }
            }
            (client, attempts)
        }));
    }
    let mut largest = 0;
    while stopped_at.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let health = health(&gateway);
        let queue = health["topic_queue"]
            .as_u64()
            .unwrap_or_else(|| panic!("/healthz does not report topic_queue: {health}"));
        let in_flight = health["topic_in_flight"].as_u64().unwrap_or(0);
        assert!(in_flight <= 256, "{case}: {in_flight} changes in flight");
        largest = largest.max(queue);
        assert!(
            queue <= CLIENTS as u64 + 10,
            "{case}: the topic queue holds {queue} changes for {CLIENTS} channels after {:?}",
            stopped_at.elapsed()
        );
    }
    match outage {
        Outage::Stopped => signal(pid, "CONT"),
        Outage::Killed => redis.restart(),
    }
    let _ = done.send(true);
    let mut total_attempts = 0;
    let mut subscribed = Vec::with_capacity(CLIENTS);
    for task in tasks {
        let (client, attempts) = tokio::time::timeout(Duration::from_secs(60), task)
            .await
            .expect("a client did not subscribe within 60 s of Redis continuing")
            .expect("client task");
        total_attempts += attempts;
        subscribed.push(client);
    }
    assert!(
        total_attempts > 2 * CLIENTS as u64,
        "clients barely retried ({total_attempts} attempts); the outage was not exercised"
    );
    // Every channel delivers again.
    let bus = redis.bus().await;
    for i in (0..CLIENTS).step_by(97) {
        let channel = format!("outage-{i}");
        bus.publish(
            &EnvelopeDraft::new(&channel, Bytes::from_static(b"1")),
            None,
        )
        .await
        .expect("publish");
        assert_eq!(subscribed[i].message().await.0, channel);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let health = health(&gateway);
        if health["topic_queue"] == 0 && health["topic_in_flight"] == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the topic queue never drained: {health}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("{case}: largest topic queue {largest}; {total_attempts} subscribe attempts");
    watch.finish(&case).await;
}

type RawSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket connected from `source` with `X-Forwarded-For: forwarded`.
async fn connect_forwarded(gateway: &Service, source: IpAddr, forwarded: &str) -> RawSocket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = gateway.ws_url().into_client_request().expect("request");
    request
        .headers_mut()
        .insert("x-forwarded-for", forwarded.parse().expect("header value"));
    let stream = idle_socket(source, gateway.port).await;
    let (ws, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await
            .expect("handshake");
    ws
}

/// Subscribes over a raw socket; whether the gateway said `subscribed`
/// (false: `rate_limited`).
async fn raw_subscribe(ws: &mut RawSocket, id: u64, channel: &str) -> bool {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let frame = format!(r#"{{"op":"subscribe","id":{id},"channel":"{channel}"}}"#);
    ws.send(Message::Text(frame.into())).await.expect("send");
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("an answer")
            .expect("open")
            .expect("frame");
        let Message::Text(text) = message else {
            continue;
        };
        match Codec::Json.decode_server(text.as_bytes()).expect("frame") {
            ServerFrame::Subscribed { .. } => return true,
            ServerFrame::Error { code, message, .. } => {
                assert_eq!(code, ErrorCode::RateLimited, "{message}");
                return false;
            }
            other => panic!("{other:?}"),
        }
    }
}

/// B10 behind a load balancer: with `--trusted-proxy`, per-address limits
/// count the client address the proxy names, and nobody else can name one.
#[tokio::test]
async fn per_address_limits_follow_trusted_proxies() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(
        &redis.url(),
        &[
            "--trusted-proxy",
            "127.0.0.1",
            "--address-subscribe-burst",
            "5",
            "--address-subscribe-rate",
            "1",
        ],
    );
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let proxy = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let stranger = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    // Two clients behind the proxy: a budget each.
    for client in ["203.0.113.1", "10.9.9.9, 203.0.113.2"] {
        let mut ws = connect_forwarded(&gateway, proxy, client).await;
        for i in 0..5 {
            assert!(
                raw_subscribe(&mut ws, i, &format!("p-{i}")).await,
                "{client}: {i}"
            );
        }
        assert!(
            !raw_subscribe(&mut ws, 9, "p-9").await,
            "{client}: over budget"
        );
    }
    // A client that is no trusted proxy cannot name another address.
    let mut first = connect_forwarded(&gateway, stranger, "198.51.100.1").await;
    for i in 0..5 {
        assert!(raw_subscribe(&mut first, i, &format!("s-{i}")).await);
    }
    let mut second = connect_forwarded(&gateway, stranger, "198.51.100.2").await;
    assert!(
        !raw_subscribe(&mut second, 1, "s-x").await,
        "X-Forwarded-For from an untrusted address was believed"
    );
    watch
        .finish("per_address_limits_follow_trusted_proxies")
        .await;
}

/// A channel's very first message, published while the gateway's live
/// delivery is down, arrives when the gateway catches up after
/// reconnecting, not only with the next message (the subscriber joined
/// when the channel had no epoch yet).
#[tokio::test]
async fn a_first_message_missed_live_is_caught_up() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let bus = redis.bus().await;
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    match client.subscribe("first-missed", None).await {
        ServerFrame::Subscribed { epoch, .. } => assert_eq!(epoch, ""),
        other => panic!("{other:?}"),
    }
    // Cut the gateway's pub/sub connection; it reconnects after a backoff
    // (100 ms at least), and the message lands in that gap.
    redis.cli(&["CLIENT", "KILL", "TYPE", "pubsub"]);
    let draft = EnvelopeDraft::new("first-missed", Bytes::from_static(b"{\"n\":1}"));
    bus.publish(&draft, None).await.expect("publish");
    match client.recv_within(Duration::from_secs(5)).await {
        Received::Frame(ServerFrame::Message { offset, data, .. }) => {
            assert_eq!((offset.0, data), (1, serde_json::json!({"n": 1})));
        }
        other => panic!("the first message never arrived: {other:?}"),
    }
    watch
        .finish("a first message missed live is caught up")
        .await;
}

/// A second `connect` frame replaces the token entirely: presenting
/// another token of the same key does not escape that key's revocation,
/// and subscriptions the new token does not grant end at once.
#[tokio::test]
async fn a_new_token_replaces_the_old_ones_grants_and_revocation() {
    let redis = RedisServer::start();
    let db = tempfile::tempdir().expect("tempdir");
    let env = [("ASYNCHRONIO_TOKEN_SECRET", SECRET)];
    let rest = Service::rest_with_env(&redis.url(), &database_url(&db), ADMIN, &[], &env);
    let gateway = Service::gateway_with_env(&redis.url(), &[], &env);
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let (reader_id, reader) = create_key(&rest, r#"["read"]"#);
    let token = |body: &str| {
        let (status, answer) = issue(&rest, &reader, body);
        assert_eq!(status, 201, "{answer}");
        answer["token"].as_str().expect("token").to_owned()
    };
    let private = token(r#"{"sub":"r","subscribe":["private:r:*"],"ttl":600}"#);
    let public = token(r#"{"sub":"r","subscribe":["news"],"ttl":600}"#);

    // Subscriptions the new token does not grant end.
    let mut client = WsClient::connect(
        &format!("{}?token={private}", gateway.ws_url()),
        Codec::Json,
    )
    .await;
    client.subscribe("private:r:inbox", None).await;
    client
        .send(&ClientFrame::Connect {
            id: Some(7),
            token: public,
        })
        .await;
    assert!(matches!(
        client.frame().await,
        ServerFrame::Connected { id: Some(7), .. }
    ));
    match client.frame().await {
        ServerFrame::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::Forbidden, "{message}");
            assert!(message.contains("private:r:inbox"), "{message}");
        }
        other => panic!("the ungranted subscription did not end: {other:?}"),
    }
    // Nothing of the ended channel arrives any more: the next message is
    // the one published after it, on a channel the new token grants.
    client.subscribe("news", None).await;
    let bus = redis.bus().await;
    for (channel, data) in [("private:r:inbox", "{\"secret\":1}"), ("news", "{\"n\":1}")] {
        let draft = EnvelopeDraft::new(channel, Bytes::from(data.to_owned()));
        bus.publish(&draft, None).await.expect("publish");
    }
    let (channel, _, _, _) = client.message().await;
    assert_eq!(channel, "news", "a channel delivered after its grant ended");

    // The same key's token presented again still dies with the key.
    let mut again = WsClient::connect(
        &format!("{}?token={private}", gateway.ws_url()),
        Codec::Json,
    )
    .await;
    again
        .send(&ClientFrame::Connect {
            id: Some(1),
            token: private.clone(),
        })
        .await;
    assert!(matches!(again.frame().await, ServerFrame::Connected { .. }));
    let auth = format!("Bearer {ADMIN}");
    let revoked = request(
        rest.port,
        "DELETE",
        &format!("/api/v1/keys/{reader_id}"),
        &[("authorization", &auth)],
        b"",
    );
    assert_eq!(revoked.status, 204, "{}", revoked.text());
    let ((code, reason), _) = closed_within(&mut again, Duration::from_secs(5)).await;
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("revoked"), "{reason}");
    watch
        .finish("a new token replaces the old one's grants and revocation")
        .await;
}

/// Every publish may create a channel's keys, so one connection cannot
/// publish without bound: past its burst it gets `rate_limited`, and what
/// it published before is kept.
#[tokio::test]
async fn publish_floods_are_rate_limited() {
    let redis = RedisServer::start();
    let gateway = Service::gateway(
        &redis.url(),
        &["--publish-rate", "5", "--publish-burst", "20"],
    );
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let mut accepted = 0;
    let mut limited = 0;
    for i in 0..60u64 {
        client
            .send(&ClientFrame::Publish {
                id: Some(i),
                channel: format!("flood-{i}"),
                data: Bytes::from_static(b"1"),
                trace: None,
            })
            .await;
        match client.frame().await {
            ServerFrame::Ok { .. } => accepted += 1,
            ServerFrame::Error { code, message, .. } => {
                assert_eq!(code, ErrorCode::RateLimited, "{message}");
                limited += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(limited > 0, "60 publishes at once were never limited");
    assert!(
        accepted <= 25,
        "{accepted} publishes accepted past a burst of 20"
    );
    let keys = redis.cli(&["--scan", "--pattern", "*flood-*"]);
    assert!(
        keys.lines().count() <= 2 * 25,
        "refused publishes created keys: {keys}"
    );
    watch.finish("publish floods are rate limited").await;
}
