//! Client tokens end to end: the REST API issues them, the gateway verifies
//! them (as `?token=` or a `connect` frame) and enforces their channel
//! patterns, `private:` and `$sys:` rules, `--require-token` and expiry.

use std::time::Duration;

use asynchronio_e2e::http::{issue_token as issue, request};
use asynchronio_e2e::{Received, RedisServer, Service, WsClient};
use asynchronio_protocol::{ClientFrame, Codec, ErrorCode, ServerFrame};

const ADMIN: &str = "admin-key-for-tokens";
const SECRET: &str = "shared-token-secret";

async fn expect_error(client: &mut WsClient, frame: ClientFrame, code: ErrorCode) {
    client.send(&frame).await;
    match client.frame().await {
        ServerFrame::Error {
            code: got, message, ..
        } => assert_eq!(got, code, "{message}"),
        other => panic!("expected {code:?}, got {other:?}"),
    }
}

fn subscribe(channel: &str) -> ClientFrame {
    ClientFrame::Subscribe {
        id: Some(1),
        channel: channel.into(),
        since: None,
        presence: false,
    }
}

fn publish(channel: &str) -> ClientFrame {
    ClientFrame::Publish {
        id: Some(2),
        channel: channel.into(),
        data: bytes::Bytes::from_static(b"1"),
        trace: None,
    }
}

#[tokio::test]
async fn tokens_grant_exactly_their_channels() {
    let redis = RedisServer::start();
    let db = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}?mode=rwc", db.path().join("t.db").display());
    let env = [("ASYNCHRONIO_TOKEN_SECRET", SECRET)];
    let rest = Service::rest_with_env(&redis.url(), &db_url, ADMIN, &[], &env);
    let gateway = Service::gateway_with_env(
        &redis.url(),
        &["--require-token", "--ping-interval-ms", "200"],
        &env,
    );

    let (status, user) = issue(
        &rest,
        ADMIN,
        r#"{"sub":"user-42","ttl":600,"subscribe":["news","private:user-42:*"],"publish":["chat"]}"#,
    );
    assert_eq!(status, 201, "{user}");
    let token = user["token"].as_str().expect("token").to_owned();
    assert_eq!(user["sub"], "user-42");

    // Without a token nothing is allowed on a --require-token gateway.
    let mut anonymous = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    expect_error(&mut anonymous, subscribe("news"), ErrorCode::Unauthorized).await;
    expect_error(&mut anonymous, publish("chat"), ErrorCode::Unauthorized).await;

    // ?token= on the URL: the token's patterns decide.
    let url = format!("{}?token={token}", gateway.ws_url());
    let mut client = WsClient::connect(&url, Codec::Json).await;
    client.subscribe("private:user-42:inbox", None).await;
    client.subscribe("news", None).await;
    expect_error(
        &mut client,
        subscribe("private:user-43:inbox"),
        ErrorCode::Forbidden,
    )
    .await;
    expect_error(&mut client, subscribe("weather"), ErrorCode::Forbidden).await;
    expect_error(
        &mut client,
        subscribe("$sys:processes"),
        ErrorCode::Forbidden,
    )
    .await;
    expect_error(&mut client, publish("news"), ErrorCode::Forbidden).await;
    client.send(&publish("chat")).await;
    assert!(matches!(client.frame().await, ServerFrame::Ok { .. }));

    // The connect frame works the same way.
    let mut later = WsClient::connect(&gateway.ws_url(), Codec::MsgPack).await;
    later
        .send(&ClientFrame::Connect {
            id: Some(9),
            token: token.clone(),
        })
        .await;
    assert_eq!(
        later.frame().await,
        ServerFrame::Connected {
            id: Some(9),
            sub: "user-42".into()
        }
    );
    later.subscribe("news", None).await;

    // Tampered or foreign tokens are refused.
    let mut tampered = token.clone();
    tampered.insert(tampered.len() / 2, 'x');
    let mut bad = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    expect_error(
        &mut bad,
        ClientFrame::Connect {
            id: Some(1),
            token: tampered.clone(),
        },
        ErrorCode::Unauthorized,
    )
    .await;
    let refused =
        tokio_tungstenite::connect_async(format!("{}?token={tampered}", gateway.ws_url())).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status().as_u16(), 401)
        }
        other => panic!("a bad ?token= must be refused with 401, got {other:?}"),
    }

    // Admin tokens reach $sys: channels, and only admin keys may issue them.
    let created = request(
        rest.port,
        "POST",
        "/api/v1/keys",
        &[("authorization", &format!("Bearer {ADMIN}"))],
        br#"{"name":"app","scopes":["publish"]}"#,
    );
    let app_key =
        serde_json::from_slice::<serde_json::Value>(&created.body).expect("json")["secret"]
            .as_str()
            .expect("secret")
            .to_owned();
    // A publish key grants publish patterns only (subscribe patterns need
    // the read scope).
    assert_eq!(
        issue(&rest, &app_key, r#"{"sub":"u","publish":["x"]}"#).0,
        201
    );
    assert_eq!(
        issue(&rest, &app_key, r#"{"sub":"u","subscribe":["x"]}"#).0,
        403
    );
    assert_eq!(
        issue(&rest, &app_key, r#"{"sub":"ops","admin":true}"#).0,
        403
    );
    let (_, admin) = issue(&rest, ADMIN, r#"{"sub":"ops","admin":true}"#);
    let admin_url = format!(
        "{}?token={}",
        gateway.ws_url(),
        admin["token"].as_str().expect("token")
    );
    let mut ops = WsClient::connect(&admin_url, Codec::Json).await;
    ops.subscribe("$sys:processes", None).await;
    expect_error(&mut ops, publish("$sys:processes"), ErrorCode::Forbidden).await;

    // Bad token requests.
    assert_eq!(issue(&rest, ADMIN, r#"{"sub":""}"#).0, 400);
    assert_eq!(issue(&rest, ADMIN, r#"{"sub":"u","ttl":0}"#).0, 400);
    assert_eq!(issue(&rest, ADMIN, r#"{"sub":"u","surprise":1}"#).0, 400);
    assert_eq!(issue(&rest, "ak_wrong_key", r#"{"sub":"u"}"#).0, 401);

    // An expired token ends the connection with 1008.
    let (_, short) = issue(
        &rest,
        ADMIN,
        r#"{"sub":"brief","ttl":2,"subscribe":["news"]}"#,
    );
    let short_url = format!(
        "{}?token={}",
        gateway.ws_url(),
        short["token"].as_str().expect("token")
    );
    let mut brief = WsClient::connect(&short_url, Codec::Json).await;
    brief.subscribe("news", None).await;
    // It expires after its two seconds (no leeway on expiry).
    let closed = loop {
        match brief.recv_within(Duration::from_secs(20)).await {
            Received::Closed(close) => break close,
            Received::Frame(_) => {}
        }
    };
    let (code, reason) = closed.expect("close frame");
    assert_eq!(code, 1008, "{reason}");
    assert!(reason.contains("token expired"), "{reason}");
}

#[tokio::test]
async fn rs256_tokens_signed_by_the_api_are_accepted_by_the_gateway() {
    let keys = tempfile::tempdir().expect("tempdir");
    let private = keys.path().join("private.pem");
    let public = keys.path().join("public.pem");
    let generated = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
        ])
        .arg(&private)
        .status()
        .expect("openssl is needed to make a test key pair (apt-get install openssl)");
    assert!(generated.success());
    let exported = std::process::Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&private)
        .arg("-out")
        .arg(&public)
        .status()
        .expect("openssl");
    assert!(exported.success());
    let (private, public) = (private.display().to_string(), public.display().to_string());

    let redis = RedisServer::start();
    let db = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}?mode=rwc", db.path().join("rs.db").display());
    let rest = Service::rest(
        &redis.url(),
        &db_url,
        ADMIN,
        &[
            "--token-public-key",
            &public,
            "--token-private-key",
            &private,
        ],
    );
    let gateway = Service::gateway(
        &redis.url(),
        &["--require-token", "--token-public-key", &public],
    );
    let (status, issued) = issue(&rest, ADMIN, r#"{"sub":"rsa-user","subscribe":["news"]}"#);
    assert_eq!(status, 201, "{issued}");
    let token = issued["token"].as_str().expect("token");
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client
        .send(&ClientFrame::Connect {
            id: Some(1),
            token: token.to_owned(),
        })
        .await;
    assert_eq!(
        client.frame().await,
        ServerFrame::Connected {
            id: Some(1),
            sub: "rsa-user".into()
        }
    );
    client.subscribe("news", None).await;

    // An HS256 token with any secret is refused by an RS256 gateway.
    let forged = asynchronio_protocol::token::TokenKeys::hs256(b"guess")
        .expect("keys")
        .sign(&asynchronio_protocol::token::Claims {
            sub: "mallory".into(),
            exp: asynchronio_protocol::token::now_secs() + 60,
            iat: 0,
            subscribe: vec!["*".into()],
            publish: vec![],
            admin: true,
            ..Default::default()
        })
        .expect("sign");
    let mut mallory = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    expect_error(
        &mut mallory,
        ClientFrame::Connect {
            id: Some(1),
            token: forged,
        },
        ErrorCode::Unauthorized,
    )
    .await;
}
