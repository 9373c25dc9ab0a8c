//! The REST API against real Redis and a real database: every endpoint,
//! the status codes of bad input, idempotent publish, keys and the audit
//! log. Run once with SQLite; the PostgreSQL run uses the same checks.

use asynchronio_e2e::http::{Response, request};
use asynchronio_e2e::{RedisServer, Service, WsClient};
use asynchronio_protocol::Codec;
use serde_json::json;

const ADMIN: &str = "test-admin-key";

struct Api {
    port: u16,
}

impl Api {
    fn call(&self, method: &str, path: &str, key: Option<&str>, body: &str) -> Response {
        let auth = key.map(|k| format!("Bearer {k}"));
        let mut headers = vec![("content-type", "application/json")];
        if let Some(auth) = &auth {
            headers.push(("authorization", auth.as_str()));
        }
        request(self.port, method, path, &headers, body.as_bytes())
    }

    fn error_code(&self, response: &Response) -> String {
        response.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// A bad call and its expected answer: method, path, key, body, status, code.
type BadCall = (
    &'static str,
    &'static str,
    Option<&'static str>,
    &'static str,
    u16,
    &'static str,
);

/// Every check, against a rest-api using `database_url`.
pub async fn exercise(database_url: &str) {
    let redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let rest = Service::rest(&redis.url(), database_url, ADMIN, &["--max-body", "2048"]);
    let api = Api { port: rest.port };

    // Publish reaches WebSocket subscribers and answers with the offset.
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("ticks", None).await;
    let published = api.call(
        "POST",
        "/api/v1/channels/ticks/messages",
        Some(ADMIN),
        r#"{"price":42}"#,
    );
    assert_eq!(published.status, 201, "{}", published.text());
    assert_eq!(published.json()["offset"], "00000000000000000001");
    let epoch = published.json()["epoch"]
        .as_str()
        .expect("epoch")
        .to_owned();
    let (_, offset, got_epoch, data) = client.message().await;
    assert_eq!(
        (offset, got_epoch.as_str(), data),
        (1, epoch.as_str(), json!({"price": 42}))
    );

    // A retried publish with the same Idempotency-Key lands once.
    let headers = [
        ("authorization", "Bearer test-admin-key"),
        ("idempotency-key", "order-7"),
    ];
    let first = request(
        api.port,
        "POST",
        "/api/v1/channels/ticks/messages",
        &headers,
        b"{\"n\":7}",
    );
    let again = request(
        api.port,
        "POST",
        "/api/v1/channels/ticks/messages",
        &headers,
        b"{\"n\":7}",
    );
    assert_eq!(first.status, 201);
    assert_eq!(again.status, 201);
    assert_eq!(first.json()["offset"], again.json()["offset"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(client.message().await.1, 2);
    assert_eq!(redis.cli(&["XLEN", "asynchronio:stream:{ticks}"]), "2");

    // Broadcast to several channels.
    let broadcast = api.call(
        "POST",
        "/api/v1/broadcast",
        Some(ADMIN),
        r#"{"channels":["ticks","other","third"],"data":{"all":true}}"#,
    );
    assert_eq!(broadcast.status, 201, "{}", broadcast.text());
    let results = broadcast.json()["results"]
        .as_array()
        .expect("results")
        .clone();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["offset"], "00000000000000000003");
    assert_eq!(results[1]["offset"], "00000000000000000001");
    assert_eq!(client.message().await.3, json!({"all": true}));

    // History: anonymous read of a public channel, limit, since, reverse.
    let history = api.call("GET", "/api/v1/channels/ticks/messages?limit=100", None, "");
    assert_eq!(history.status, 200, "{}", history.text());
    let messages = history.json()["messages"]
        .as_array()
        .expect("messages")
        .clone();
    assert_eq!(messages.len(), 3);
    assert_eq!(messages[0]["data"], json!({"price": 42}));
    let since = api.call(
        "GET",
        "/api/v1/channels/ticks/messages?since=1&limit=1",
        None,
        "",
    );
    assert_eq!(
        since.json()["messages"][0]["offset"],
        "00000000000000000002"
    );
    let newest = api.call(
        "GET",
        "/api/v1/channels/ticks/messages?reverse=true&limit=1",
        None,
        "",
    );
    assert_eq!(
        newest.json()["messages"][0]["offset"],
        "00000000000000000003"
    );

    // Keys: create, use, lack of scope, revoke, list, audit.
    let created = api.call(
        "POST",
        "/api/v1/keys",
        Some(ADMIN),
        r#"{"name":"publisher","scopes":["publish"]}"#,
    );
    assert_eq!(created.status, 201, "{}", created.text());
    let key = created.json()["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let key_id = created.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(
        api.call("POST", "/api/v1/channels/ticks/messages", Some(&key), "1")
            .status,
        201
    );
    let denied = api.call(
        "POST",
        "/api/v1/keys",
        Some(&key),
        r#"{"name":"x","scopes":["admin"]}"#,
    );
    assert_eq!(
        (denied.status, api.error_code(&denied).as_str()),
        (403, "forbidden")
    );
    assert_eq!(
        api.call("DELETE", &format!("/api/v1/keys/{key_id}"), Some(ADMIN), "")
            .status,
        204
    );
    let revoked = api.call("POST", "/api/v1/channels/ticks/messages", Some(&key), "1");
    assert_eq!(
        (revoked.status, api.error_code(&revoked).as_str()),
        (401, "unauthorized")
    );
    assert_eq!(revoked.header("www-authenticate"), Some("Bearer"));
    let listed = api.call("GET", "/api/v1/keys", Some(ADMIN), "");
    let keys = listed.json()["keys"].as_array().expect("keys").clone();
    assert!(
        keys.iter()
            .any(|k| k["id"] == key_id && k["revoked_ms"].is_number())
    );
    assert!(
        keys.iter()
            .all(|k| k.get("secret").is_none() && k.get("secret_hash").is_none())
    );
    assert_eq!(
        api.call("DELETE", "/api/v1/keys/nope", Some(ADMIN), "")
            .status,
        404
    );
    // The audit log is written in the background, in batches: poll briefly.
    let mut actions: Vec<String> = Vec::new();
    for _ in 0..40 {
        let audit = api.call("GET", "/api/v1/audit?limit=50", Some(ADMIN), "");
        actions = audit.json()["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| {
                format!(
                    "{} {} {}",
                    e["actor"].as_str().unwrap_or(""),
                    e["action"].as_str().unwrap_or(""),
                    e["result"].as_str().unwrap_or("")
                )
            })
            .collect();
        if actions.iter().any(|a| a == "bootstrap key.revoke ok") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(
        actions.contains(&"bootstrap key.create ok".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"bootstrap key.revoke ok".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&format!("key:{key_id} publish ok")),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"bootstrap publish duplicate".to_owned()),
        "{actions:?}"
    );

    // Bad input: each gets its status and code, nothing panics.
    let cases: &[BadCall] = &[
        (
            "POST",
            "/api/v1/channels/ticks/messages",
            Some(ADMIN),
            "{\"price\":",
            400,
            "bad_json",
        ),
        (
            "POST",
            "/api/v1/channels/ticks/messages",
            Some(ADMIN),
            "",
            400,
            "bad_json",
        ),
        (
            "POST",
            "/api/v1/channels/bad%20name/messages",
            Some(ADMIN),
            "1",
            400,
            "invalid_channel",
        ),
        (
            "POST",
            "/api/v1/channels/ticks/messages",
            None,
            "1",
            401,
            "unauthorized",
        ),
        (
            "POST",
            "/api/v1/channels/ticks/messages",
            Some("ak_nope_nope"),
            "1",
            401,
            "unauthorized",
        ),
        (
            "POST",
            "/api/v1/channels/$sys:x/messages",
            Some(ADMIN),
            "1",
            403,
            "forbidden",
        ),
        (
            "POST",
            "/api/v1/broadcast",
            Some(ADMIN),
            r#"{"channels":"ticks","data":1}"#,
            400,
            "bad_json",
        ),
        (
            "POST",
            "/api/v1/broadcast",
            Some(ADMIN),
            r#"{"channels":[],"data":1}"#,
            400,
            "bad_request",
        ),
        (
            "POST",
            "/api/v1/keys",
            Some(ADMIN),
            r#"{"name":"x","scopes":["root"]}"#,
            400,
            "bad_json",
        ),
        (
            "GET",
            "/api/v1/channels/ticks/messages?limit=0",
            None,
            "",
            400,
            "bad_parameter",
        ),
        (
            "GET",
            "/api/v1/channels/ticks/messages?limit=abc",
            None,
            "",
            400,
            "bad_parameter",
        ),
        (
            "GET",
            "/api/v1/channels/ticks/messages?since=-4",
            None,
            "",
            400,
            "bad_parameter",
        ),
        (
            "GET",
            "/api/v1/channels/ticks/messages?reverse=maybe",
            None,
            "",
            400,
            "bad_parameter",
        ),
        (
            "GET",
            "/api/v1/channels/private:x/messages",
            None,
            "",
            401,
            "unauthorized",
        ),
        ("GET", "/api/v1/nothing-here", None, "", 404, "not_found"),
        (
            "PUT",
            "/api/v1/cache/greeting",
            None,
            "hi",
            401,
            "unauthorized",
        ),
        (
            "PUT",
            "/api/v1/cache/bad%20key",
            Some(ADMIN),
            "hi",
            400,
            "invalid_key",
        ),
        (
            "PUT",
            "/api/v1/cache/greeting?ttl=-1",
            Some(ADMIN),
            "hi",
            400,
            "bad_parameter",
        ),
        ("GET", "/api/v1/cache/absent", None, "", 404, "not_found"),
    ];
    for (method, path, key, body, status, code) in cases {
        let response = api.call(method, path, *key, body);
        assert_eq!(
            response.status,
            *status,
            "{method} {path}: {}",
            response.text()
        );
        assert_eq!(
            api.error_code(&response),
            *code,
            "{method} {path}: {}",
            response.text()
        );
        assert!(
            !response.json()["error"]["message"]
                .as_str()
                .unwrap_or("")
                .is_empty()
        );
    }
    let oversize = "9".repeat(4096);
    let too_big = api.call(
        "POST",
        "/api/v1/channels/ticks/messages",
        Some(ADMIN),
        &oversize,
    );
    assert_eq!(
        (too_big.status, api.error_code(&too_big).as_str()),
        (413, "payload_too_large")
    );

    // The cache: put with a TTL, read back with its content type, delete.
    let put = request(
        api.port,
        "PUT",
        "/api/v1/cache/greeting?ttl=60",
        &[
            ("authorization", "Bearer test-admin-key"),
            ("content-type", "text/plain"),
        ],
        b"hello",
    );
    assert_eq!(put.status, 204, "{}", put.text());
    let got = api.call("GET", "/api/v1/cache/greeting", None, "");
    assert_eq!((got.status, got.text().as_str()), (200, "hello"));
    assert_eq!(got.header("content-type"), Some("text/plain"));
    assert!(
        got.header("cache-control")
            .is_some_and(|c| c.starts_with("max-age="))
    );
    assert_eq!(
        api.call("DELETE", "/api/v1/cache/greeting", Some(ADMIN), "")
            .status,
        204
    );
    assert_eq!(
        api.call("GET", "/api/v1/cache/greeting", None, "").status,
        404
    );

    // The OpenAPI document describes every endpoint.
    let spec = api.call("GET", "/api/v1/openapi.json", None, "");
    assert_eq!(spec.status, 200);
    let spec = spec.json();
    assert!(
        spec["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.")),
        "{spec}"
    );
    for (path, method) in [
        ("/api/v1/channels/{channel}/messages", "post"),
        ("/api/v1/channels/{channel}/messages", "get"),
        ("/api/v1/broadcast", "post"),
        ("/api/v1/channels", "get"),
        ("/api/v1/channels/{channel}/presence", "get"),
        ("/api/v1/keys/{id}", "delete"),
        ("/api/v1/tokens", "post"),
        ("/api/v1/cache/{key}", "put"),
        ("/readyz", "get"),
    ] {
        assert!(
            spec["paths"][path][method].is_object(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    assert_eq!(
        spec["components"]["securitySchemes"]["api_key"]["scheme"],
        "bearer"
    );

    // Health, readiness, metrics.
    assert_eq!(api.call("GET", "/healthz", None, "").status, 200);
    assert_eq!(
        api.call("GET", "/readyz", None, "").json(),
        json!({"redis": true, "database": true})
    );
    let metrics = api.call("GET", "/metrics", None, "").text();
    assert!(
        metrics.contains("asynchronio_rest_published_total 7"),
        "{metrics}"
    );
    assert!(
        metrics.contains("asynchronio_rest_responses_total{class=\"4xx\"}"),
        "{metrics}"
    );

    // Redis down: 503, and readiness says why.
    drop(client);
    drop(gateway);
    let mut redis = redis;
    redis.kill();
    let down = api.call("POST", "/api/v1/channels/ticks/messages", Some(ADMIN), "1");
    assert_eq!(
        (down.status, api.error_code(&down).as_str()),
        (503, "unavailable")
    );
    let ready = api.call("GET", "/readyz", None, "");
    assert_eq!(ready.status, 503);
    assert_eq!(ready.json()["redis"], false);
}

#[tokio::test]
async fn rest_api_with_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("api.db").display());
    exercise(&url).await;
}

#[tokio::test]
async fn rest_api_with_postgres() {
    let postgres = asynchronio_e2e::PostgresServer::start();
    exercise(&postgres.url()).await;
}

#[tokio::test]
async fn history_falls_back_to_the_archive_with_sqlite() {
    let db = tempfile::tempdir().expect("tempdir");
    archive_fallback(&format!(
        "sqlite://{}?mode=rwc",
        db.path().join("archive.db").display()
    ))
    .await;
}

#[tokio::test]
async fn history_falls_back_to_the_archive_with_postgres() {
    let postgres = asynchronio_e2e::PostgresServer::start();
    archive_fallback(&postgres.url()).await;
}

/// Redis trims an archived channel; history still returns every message.
async fn archive_fallback(db_url: &str) {
    use asynchronio_bus::HistorySettings;
    use asynchronio_protocol::EnvelopeDraft;

    let redis = RedisServer::start();
    let rest = Service::rest(
        &redis.url(),
        db_url,
        ADMIN,
        &["--archive", "audit.*", "--archive-interval-ms", "100"],
    );
    // Publishers keep only a short history, so Redis trims early messages.
    let bus = redis
        .bus_with(HistorySettings {
            size: 20,
            ..HistorySettings::default()
        })
        .await;
    // The archiver marks the channel as soon as it exists (its first
    // message); from then on Redis keeps whatever it has not copied yet,
    // however slow it is.
    let first = EnvelopeDraft::new("audit.trail", bytes::Bytes::from_static(b"{\"n\":1}"));
    bus.publish(&first, None).await.expect("first message");
    let marked = std::time::Instant::now();
    while redis
        .cli(&["HGET", "asynchronio:meta:{audit.trail}", "floor"])
        .is_empty()
    {
        assert!(
            marked.elapsed() < std::time::Duration::from_secs(10),
            "the archiver never marked the channel"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    for batch in 0..20u64 {
        let drafts: Vec<_> = (0..20u64)
            .filter(|i| batch * 20 + i + 1 > 1)
            .map(|i| {
                EnvelopeDraft::new(
                    "audit.trail",
                    bytes::Bytes::from(format!("{{\"n\":{}}}", batch * 20 + i + 1)),
                )
            })
            .collect();
        assert!(bus.publish_drafts(&drafts).await.iter().all(Result::is_ok));
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let oldest: u64 = redis
        .cli(&[
            "XRANGE",
            "asynchronio:stream:{audit.trail}",
            "-",
            "+",
            "COUNT",
            "1",
        ])
        .lines()
        .next()
        .and_then(|id| id.split('-').next())
        .and_then(|n| n.parse().ok())
        .expect("stream has entries");
    assert!(
        oldest > 100,
        "Redis should have trimmed the early messages (oldest {oldest})"
    );

    let api = Api { port: rest.port };
    let mut seen = Vec::new();
    let mut since = 0u64;
    loop {
        let page = api.call(
            "GET",
            &format!("/api/v1/channels/audit.trail/messages?since={since}&limit=150"),
            None,
            "",
        );
        assert_eq!(page.status, 200, "{}", page.text());
        let messages = page.json()["messages"]
            .as_array()
            .expect("messages")
            .clone();
        if messages.is_empty() {
            break;
        }
        for message in messages {
            let offset: u64 = message["offset"]
                .as_str()
                .and_then(|o| o.parse().ok())
                .expect("offset");
            assert_eq!(message["data"]["n"], json!(offset));
            seen.push(offset);
            since = offset;
        }
    }
    assert_eq!(
        seen,
        (1..=400).collect::<Vec<u64>>(),
        "archive and stream must join without gap or duplicate"
    );

    // With the archiver down, Redis keeps what it has not copied; after a
    // restart everything is archived and served.
    let mut rest = rest;
    rest.kill();
    for batch in 0..10u64 {
        let drafts: Vec<_> = (0..20u64)
            .map(|i| {
                EnvelopeDraft::new(
                    "audit.trail",
                    bytes::Bytes::from(format!("{{\"n\":{}}}", 401 + batch * 20 + i)),
                )
            })
            .collect();
        assert!(bus.publish_drafts(&drafts).await.iter().all(Result::is_ok));
    }
    let xlen: u64 = redis
        .cli(&["XLEN", "asynchronio:stream:{audit.trail}"])
        .parse()
        .unwrap_or(0);
    assert!(
        xlen >= 200,
        "Redis trimmed messages the archiver had not copied ({xlen} left)"
    );
    let rest = Service::rest(
        &redis.url(),
        db_url,
        ADMIN,
        &["--archive", "audit.*", "--archive-interval-ms", "100"],
    );
    let api = Api { port: rest.port };
    let started = std::time::Instant::now();
    loop {
        let page = api.call(
            "GET",
            "/api/v1/channels/audit.trail/messages?since=390&limit=1000",
            None,
            "",
        );
        let offsets: Vec<u64> = page.json()["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter_map(|m| m["offset"].as_str().and_then(|o| o.parse().ok()))
            .collect();
        if offsets == (391..=600).collect::<Vec<u64>>() {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(15),
            "after restart: {offsets:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // A channel that is not archived only has what Redis kept.
    // (Redis trims approximately, whole 100-entry nodes at a time.)
    let drafts: Vec<_> = (0..400)
        .map(|_| EnvelopeDraft::new("plain", bytes::Bytes::from_static(b"1")))
        .collect();
    assert!(bus.publish_drafts(&drafts).await.iter().all(Result::is_ok));
    let plain = api.call(
        "GET",
        "/api/v1/channels/plain/messages?limit=1000",
        None,
        "",
    );
    let count = plain.json()["messages"].as_array().map_or(0, Vec::len);
    assert!(count < 400, "plain channel was not trimmed ({count})");
}

#[tokio::test]
async fn callers_over_the_rate_limit_get_429() {
    let redis = RedisServer::start();
    let db = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}?mode=rwc", db.path().join("rate.db").display());
    let rest = Service::rest(
        &redis.url(),
        &db_url,
        ADMIN,
        &["--rate-limit", "3", "--key-rate-limit", "4"],
    );
    let api = Api { port: rest.port };
    for _ in 0..3 {
        assert_eq!(
            api.call("GET", "/api/v1/channels/x/messages", None, "")
                .status,
            200
        );
    }
    let limited = api.call("GET", "/api/v1/channels/x/messages", None, "");
    assert_eq!(
        (limited.status, api.error_code(&limited).as_str()),
        (429, "rate_limited")
    );
    assert!(
        limited
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1))
    );
    // Another caller has its own allowance.
    assert_eq!(
        api.call("GET", "/api/v1/channels/x/messages", Some(ADMIN), "")
            .status,
        200
    );
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert_eq!(
        api.call("GET", "/api/v1/channels/x/messages", None, "")
            .status,
        200
    );
}

#[tokio::test]
async fn browsers_may_call_from_allowed_origins_only() {
    let redis = RedisServer::start();
    let db = tempfile::tempdir().expect("tempdir");
    let db_url = format!("sqlite://{}?mode=rwc", db.path().join("cors.db").display());
    let rest = Service::rest(
        &redis.url(),
        &db_url,
        ADMIN,
        &["--cors-origin", "https://shop.example"],
    );
    let preflight = |origin: &str| {
        request(
            rest.port,
            "OPTIONS",
            "/api/v1/channels/ticks/messages",
            &[
                ("origin", origin),
                ("access-control-request-method", "POST"),
                (
                    "access-control-request-headers",
                    "authorization, content-type",
                ),
            ],
            b"",
        )
    };
    let allowed = preflight("https://shop.example");
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(
        allowed.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
    let refused = preflight("https://evil.example");
    assert_ne!(
        refused.header("access-control-allow-origin"),
        Some("https://evil.example")
    );
    let simple = request(
        rest.port,
        "GET",
        "/api/v1/cache/none",
        &[("origin", "https://shop.example")],
        b"",
    );
    assert_eq!(
        simple.header("access-control-allow-origin"),
        Some("https://shop.example")
    );
}
