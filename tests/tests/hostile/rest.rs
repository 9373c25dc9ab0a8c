//! Hostile inputs against the REST API and the dashboard's HTTP side:
//! stored XSS through the cache, rate-limit bypass, scope leaks, open
//! redirects, render fragments that carry script, keys created by reads,
//! idempotency keys reused for another body, TTL overflow and payloads the
//! two codecs would deliver differently.

use asynchronio_e2e::http::{Response, request};
use asynchronio_e2e::{Received, RedisServer, Service, Watch, WsClient};
use asynchronio_protocol::{Codec, ServerFrame};
use tempfile::TempDir;

const ADMIN: &str = "hostile-admin-key";

/// Redis, a gateway, a rest-api (SQLite) and the witness.
struct Stack {
    redis: RedisServer,
    gateway: Service,
    rest: Service,
    _db: TempDir,
}

impl Stack {
    async fn start(extra: &[&str]) -> (Stack, Watch) {
        let redis = RedisServer::start();
        let gateway = Service::gateway(&redis.url(), &[]);
        let db = asynchronio_e2e::setup!(tempfile::tempdir(), "tempdir");
        let db_url = format!("sqlite://{}?mode=rwc", db.path().join("h.db").display());
        let rest = Service::rest(&redis.url(), &db_url, ADMIN, extra);
        let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
        (
            Stack {
                redis,
                gateway,
                rest,
                _db: db,
            },
            watch,
        )
    }

    fn call(&self, method: &str, path: &str, key: Option<&str>, body: &[u8]) -> Response {
        self.call_with(
            method,
            path,
            key,
            &[("content-type", "application/json")],
            body,
        )
    }

    fn call_with(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let auth = key.map(|k| format!("Bearer {k}"));
        let mut all: Vec<(&str, &str)> = headers.to_vec();
        if let Some(auth) = &auth {
            all.push(("authorization", auth.as_str()));
        }
        request(self.rest.port, method, path, &all, body)
    }

    /// A stored key with `scopes`; returns its secret.
    fn key(&self, scopes: &[&str]) -> String {
        let body = serde_json::json!({"name": "hostile", "scopes": scopes}).to_string();
        let created = self.call("POST", "/api/v1/keys", Some(ADMIN), body.as_bytes());
        assert_eq!(created.status, 201, "{}", created.text());
        created.json()["secret"]
            .as_str()
            .expect("secret")
            .to_owned()
    }
}

fn code(response: &Response) -> String {
    response.json()["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// B3: a cache value stored as HTML is never served as active content from
/// the dashboard's origin, and every API answer forbids sniffing and
/// scripts.
#[tokio::test]
async fn cache_values_are_served_inert() {
    let (stack, watch) = Stack::start(&[]).await;
    let publisher = stack.key(&["publish"]);
    let script = b"<script>fetch('/api/v1/keys',{method:'POST'})</script>";
    for content_type in [
        "text/html",
        "image/svg+xml",
        "text/html; charset=utf-8",
        "TEXT/HTML",
        "application/xhtml+xml",
        "text/xml",
    ] {
        let put = stack.call_with(
            "PUT",
            "/api/v1/cache/page",
            Some(&publisher),
            &[("content-type", content_type)],
            script,
        );
        assert_eq!(put.status, 204, "{}", put.text());
        let got = stack.call("GET", "/api/v1/cache/page", None, b"");
        assert_eq!(got.status, 200);
        assert_eq!(got.body, script);
        assert_eq!(
            got.header("content-type"),
            Some("application/octet-stream"),
            "{content_type} was served as active content"
        );
        assert_eq!(got.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(got.header("content-disposition"), Some("attachment"));
        assert_eq!(
            got.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
    }
    // Inert types keep their type.
    let put = stack.call_with(
        "PUT",
        "/api/v1/cache/data",
        Some(&publisher),
        &[("content-type", "application/json")],
        b"{\"a\":1}",
    );
    assert_eq!(put.status, 204);
    let got = stack.call("GET", "/api/v1/cache/data", None, b"");
    assert_eq!(got.header("content-type"), Some("application/json"));
    // Every API answer, errors included, carries the same protection.
    for (method, path) in [
        ("GET", "/api/v1/channels"),
        ("GET", "/api/v1/cache/none"),
        ("POST", "/api/v1/keys"),
    ] {
        let answer = stack.call(method, path, None, b"");
        assert_eq!(
            answer.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert!(
            answer
                .header("content-security-policy")
                .is_some_and(|v| v.starts_with("default-src 'none'")),
            "{path}"
        );
    }
    watch.finish("cache_values_are_served_inert").await;
}

/// B4: failed and unauthenticated requests count against the per-address
/// limit, whatever Authorization header they carry; /login in particular.
#[tokio::test]
async fn failed_authentication_is_rate_limited_per_address() {
    let (stack, watch) = Stack::start(&["--rate-limit", "20"]).await;
    let form = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("authorization", "x"),
    ];
    let statuses: Vec<u16> = (0..40)
        .map(|i| {
            request(
                stack.rest.port,
                "POST",
                "/login",
                &form,
                format!("key=guess-{i}").as_bytes(),
            )
            .status
        })
        .collect();
    assert!(
        statuses.contains(&429),
        "login brute force was never limited: {statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 401).count() <= 12,
        "too many login tries answered: {statuses:?}"
    );
    // The same login under another spelling of its path is the same login.
    let encoded = request(stack.rest.port, "POST", "/%6cogin", &form, b"key=guess-x");
    assert_eq!(encoded.status, 429, "{}", encoded.text());
    // Tries sent together, before any answer, are limited too.
    let parallel: Vec<u16> = std::thread::scope(|scope| {
        let tries: Vec<_> = (0..30)
            .map(|i| {
                let port = stack.rest.port;
                scope.spawn(move || {
                    let form = [("content-type", "application/x-www-form-urlencoded")];
                    request(
                        port,
                        "POST",
                        "/login",
                        &form,
                        format!("key=p-{i}").as_bytes(),
                    )
                    .status
                })
            })
            .collect();
        tries.into_iter().map(|t| t.join().unwrap_or(0)).collect()
    });
    // (One may be a refill: the allowance grows by one every 6 s.)
    assert!(
        parallel.iter().filter(|s| **s != 429).count() <= 1,
        "parallel tries got through: {parallel:?}"
    );

    let (stack, watch2) = {
        watch.finish("login brute force").await;
        Stack::start(&["--rate-limit", "5"]).await
    };
    let statuses: Vec<u16> = (0..20)
        .map(|i| {
            stack
                .call("GET", "/api/v1/keys", Some(&format!("ak_wrong_{i}")), b"")
                .status
        })
        .collect();
    assert!(
        statuses.contains(&429),
        "wrong keys were never limited: {statuses:?}"
    );
    // A junk Authorization header on a route that asks for no credential
    // is an unauthenticated request like any other.
    let (stack, watch3) = {
        watch2.finish("wrong keys").await;
        Stack::start(&["--rate-limit", "5"]).await
    };
    let statuses: Vec<u16> = (0..20)
        .map(|_| {
            stack
                .call_with("GET", "/healthz", None, &[("authorization", "x")], b"")
                .status
        })
        .collect();
    assert!(
        statuses.contains(&429),
        "junk headers were never limited: {statuses:?}"
    );
    // A valid key is not held back by its neighbours.
    assert_eq!(
        stack
            .call("GET", "/api/v1/channels", Some(ADMIN), b"")
            .status,
        200
    );
    watch3
        .finish("failed_authentication_is_rate_limited_per_address")
        .await;
}

/// B5: `$sys:` channels are the engine's own: a read key reads none of them
/// over REST, as it may not through /processes/NAME/logs.
#[tokio::test]
async fn read_keys_do_not_read_system_channels() {
    let (stack, watch) = Stack::start(&[]).await;
    let reader = stack.key(&["read"]);
    let publisher = stack.key(&["publish"]);
    for path in [
        "/api/v1/channels/$sys:logs:web/messages",
        "/api/v1/channels/$sys:processes/messages",
        "/api/v1/channels/$sys:processes",
    ] {
        for key in [None, Some(reader.as_str()), Some(publisher.as_str())] {
            let answer = stack.call("GET", path, key, b"");
            assert!(
                matches!(answer.status, 401 | 403),
                "{path} with {key:?}: {}",
                answer.status
            );
        }
        assert_eq!(
            stack.call("GET", path, Some(ADMIN), b"").status,
            200,
            "{path}"
        );
    }
    // The read key still reads private channels, its purpose.
    assert_eq!(
        stack
            .call(
                "GET",
                "/api/v1/channels/private:x/messages",
                Some(&reader),
                b""
            )
            .status,
        200
    );
    watch.finish("read_keys_do_not_read_system_channels").await;
}

/// B7: only a local path survives as `next`, however it is disguised.
#[tokio::test]
async fn login_redirects_only_to_local_paths() {
    let (stack, watch) = Stack::start(&[]).await;
    for next in [
        "%2F%09%2Fevil.example",
        "%2F%0A%2Fevil.example",
        "%2F%0D%2Fevil.example",
        "%2F%2Fevil.example",
        "%2F%5Cevil.example",
        "%5C%5Cevil.example",
        "https%3A%2F%2Fevil.example",
        "%2F.%2F%2Fevil.example",
        "%2F%20%2Fevil.example",
        "%2F%00%2Fevil.example",
        "%2F..%2F%2Fevil.example",
        "evil.example",
    ] {
        let login = request(
            stack.rest.port,
            "POST",
            "/login",
            &[("content-type", "application/x-www-form-urlencoded")],
            format!("key={ADMIN}&next={next}").as_bytes(),
        );
        assert_eq!(login.status, 303, "{next}");
        // Refused: the dashboard's home, the Nodes page.
        assert_eq!(login.header("location"), Some("/nodes"), "next={next}");
    }
    let login = request(
        stack.rest.port,
        "POST",
        "/login",
        &[("content-type", "application/x-www-form-urlencoded")],
        format!("key={ADMIN}&next=%2Fcharts%3Fa%3D1").as_bytes(),
    );
    assert_eq!(login.header("location"), Some("/charts?a=1"));
    watch.finish("login_redirects_only_to_local_paths").await;
}

/// B8: a publish key's render fragment arrives without anything that runs.
#[tokio::test]
async fn render_fragments_are_sanitised_when_published() {
    let (stack, watch) = Stack::start(&[]).await;
    let publisher = stack.key(&["publish"]);
    let mut page = WsClient::connect(&stack.gateway.ws_url(), Codec::Json).await;
    page.subscribe("board", None).await;
    let html = concat!(
        "<p id=\"ok\" class=\"c\" title=\"t\">kept <b>bold</b><a href=\"https://example.com/x\">link</a></p>",
        "<img src=\"x\" onerror=\"alert(1)\">",
        "<script>alert(2)</script>",
        "<a href=\"javascript:alert(3)\">js</a>",
        "<a href=\" JaVaScRiPt:alert(4)\">js2</a>",
        "<iframe srcdoc=\"<script>alert(5)</script>\"></iframe>",
        "<object data=\"x\"></object><embed src=\"x\">",
        "<base href=\"https://evil.example/\"><meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
        "<svg><script>alert(6)</script><a xlink:href=\"javascript:alert(7)\">s</a></svg>",
        "<div style=\"background:url(javascript:alert(8))\" onclick=\"alert(9)\">d</div>",
        "<form action=\"https://evil.example\"><input name=\"k\"></form>",
    );
    let body = serde_json::json!({"target": "slot", "op": "append", "html": html}).to_string();
    let published = stack.call(
        "POST",
        "/api/v1/channels/board/render",
        Some(&publisher),
        body.as_bytes(),
    );
    assert_eq!(published.status, 201, "{}", published.text());
    let delivered = match page.frame().await {
        ServerFrame::Render { data, .. } => data["html"].as_str().unwrap_or_default().to_owned(),
        other => panic!("expected a render frame, got {other:?}"),
    };
    let lower = delivered.to_ascii_lowercase();
    for banned in [
        "onerror",
        "onclick",
        "<script",
        "javascript:",
        "<iframe",
        "srcdoc",
        "<object",
        "<embed",
        "<base",
        "<meta",
        "<form",
        "alert(",
    ] {
        assert!(!lower.contains(banned), "{banned} survived: {delivered}");
    }
    for kept in [
        "id=\"ok\"",
        "<b>bold</b>",
        "href=\"https://example.com/x\"",
        "kept",
    ] {
        assert!(delivered.contains(kept), "{kept} was lost: {delivered}");
    }
    watch
        .finish("render_fragments_are_sanitised_when_published")
        .await;
}

/// B10 (Redis side): reading or subscribing to a channel nobody published
/// to creates no key.
#[tokio::test]
async fn reading_unpublished_channels_creates_no_keys() {
    let (stack, watch) = Stack::start(&[]).await;
    for i in 0..50 {
        assert_eq!(
            stack
                .call("GET", &format!("/api/v1/channels/ghost-{i}"), None, b"")
                .status,
            200
        );
        assert_eq!(
            stack
                .call(
                    "GET",
                    &format!("/api/v1/channels/ghost-{i}/messages"),
                    None,
                    b""
                )
                .status,
            200
        );
    }
    let mut client = WsClient::connect(&stack.gateway.ws_url(), Codec::Json).await;
    for i in 0..3 {
        match client.subscribe(&format!("ghost-ws-{i}"), None).await {
            ServerFrame::Subscribed { offset, .. } => assert_eq!(offset.0, 0),
            other => panic!("{other:?}"),
        }
    }
    // While subscribed, a client is present on its channels (bounded by
    // its subscriptions); nothing else exists, and nothing outlives it.
    let keys = stack.redis.cli(&["--scan", "--pattern", "*ghost*"]);
    let unexpected: Vec<&str> = keys
        .lines()
        .filter(|k| !k.trim().is_empty() && !k.contains(":presence:"))
        .collect();
    assert!(unexpected.is_empty(), "reads created keys: {unexpected:?}");
    drop(client);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let left = stack.redis.cli(&["--scan", "--pattern", "*ghost*"]);
        if left.trim().is_empty() {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "keys outlived the reads: {left}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The first publish to a channel someone waits on still arrives, from
    // offset 1, and a client that saw offset 0 of no epoch recovers it.
    let mut client = WsClient::connect(&stack.gateway.ws_url(), Codec::Json).await;
    let epoch = match client.subscribe("ghost-ws-0", None).await {
        ServerFrame::Subscribed { epoch, offset, .. } => {
            assert_eq!(offset.0, 0);
            epoch
        }
        other => panic!("{other:?}"),
    };
    assert_eq!(epoch, "", "a channel nobody published to has no epoch yet");
    let published = stack.call(
        "POST",
        "/api/v1/channels/ghost-ws-0/messages",
        Some(ADMIN),
        b"{\"n\":1}",
    );
    assert_eq!(published.status, 201);
    let (channel, offset, _, data) = client.message().await;
    assert_eq!(
        (channel.as_str(), offset, data),
        ("ghost-ws-0", 1, serde_json::json!({"n": 1}))
    );
    let published = stack.call(
        "POST",
        "/api/v1/channels/ghost-ws-0/messages",
        Some(ADMIN),
        b"{\"n\":2}",
    );
    assert_eq!(published.status, 201);
    let mut late = WsClient::connect(&stack.gateway.ws_url(), Codec::Json).await;
    let since = asynchronio_protocol::Since {
        offset: asynchronio_protocol::Offset(0),
        epoch: String::new(),
    };
    match late.subscribe("ghost-ws-0", Some(since)).await {
        ServerFrame::Subscribed { recovered, .. } => {
            assert!(recovered, "offset 0 of no epoch was not recovered")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(late.message().await.1, 1);
    assert_eq!(late.message().await.1, 2);
    watch
        .finish("reading_unpublished_channels_creates_no_keys")
        .await;
}

/// B13: an Idempotency-Key reused with another body is refused, and the
/// new message is not silently dropped as a duplicate.
#[tokio::test]
async fn idempotency_keys_reused_with_another_body_are_refused() {
    let (stack, watch) = Stack::start(&[]).await;
    let headers = [
        ("content-type", "application/json"),
        ("idempotency-key", "order-9"),
    ];
    let first = stack.call_with(
        "POST",
        "/api/v1/channels/orders/messages",
        Some(ADMIN),
        &headers,
        b"{\"qty\":1}",
    );
    assert_eq!(first.status, 201);
    let same = stack.call_with(
        "POST",
        "/api/v1/channels/orders/messages",
        Some(ADMIN),
        &headers,
        b"{\"qty\":1}",
    );
    assert_eq!(
        (same.status, same.header("idempotent-replayed")),
        (201, Some("true"))
    );
    assert_eq!(same.json()["offset"], first.json()["offset"]);
    let other = stack.call_with(
        "POST",
        "/api/v1/channels/orders/messages",
        Some(ADMIN),
        &headers,
        b"{\"qty\":2}",
    );
    assert_eq!(
        (other.status, code(&other).as_str()),
        (409, "idempotency_key_reused"),
        "{}",
        other.text()
    );
    assert!(
        other.json()["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("another key"))
    );
    // The same key on another channel is another request.
    let elsewhere = stack.call_with(
        "POST",
        "/api/v1/channels/orders2/messages",
        Some(ADMIN),
        &headers,
        b"{\"qty\":2}",
    );
    assert_eq!(elsewhere.status, 201);
    watch
        .finish("idempotency_keys_reused_with_another_body_are_refused")
        .await;
}

/// C16: out-of-range TTLs are refused and leave the old value in place.
#[tokio::test]
async fn cache_ttls_out_of_range_are_refused() {
    let (stack, watch) = Stack::start(&[]).await;
    let put = |ttl: &str, body: &[u8]| {
        stack.call_with(
            "PUT",
            &format!("/api/v1/cache/k{ttl}"),
            Some(ADMIN),
            &[("content-type", "text/plain")],
            body,
        )
    };
    assert_eq!(put("?ttl=60", b"old").status, 204);
    for ttl in [
        "9223372036854775",
        "18446744073709551615",
        "0",
        "-1",
        "1e3",
        "31536001",
    ] {
        let refused = stack.call_with(
            "PUT",
            &format!("/api/v1/cache/k?ttl={ttl}"),
            Some(ADMIN),
            &[("content-type", "text/plain")],
            b"new",
        );
        assert_eq!(
            (refused.status, code(&refused).as_str()),
            (400, "bad_parameter"),
            "ttl={ttl}"
        );
        let kept = stack.call("GET", "/api/v1/cache/k", None, b"");
        assert_eq!(
            (kept.status, kept.body.as_slice()),
            (200, &b"old"[..]),
            "ttl={ttl}"
        );
    }
    let ok = stack.call_with(
        "PUT",
        "/api/v1/cache/k?ttl=31536000",
        Some(ADMIN),
        &[("content-type", "text/plain")],
        b"year",
    );
    assert_eq!(ok.status, 204);
    let ttl: i64 = stack
        .redis
        .cli(&["TTL", "asynchronio:cache:k"])
        .trim()
        .parse()
        .unwrap_or(-3);
    assert!(ttl > 31_535_000, "ttl {ttl}");
    watch.finish("cache_ttls_out_of_range_are_refused").await;
}

/// C20: every accepted payload reaches JSON and MessagePack subscribers as
/// the same value; payloads no codec can carry faithfully are refused.
#[tokio::test]
async fn both_codecs_deliver_the_same_value() {
    let (stack, watch) = Stack::start(&[]).await;
    let mut json = WsClient::connect(&stack.gateway.ws_url(), Codec::Json).await;
    let mut msgpack = WsClient::connect(&stack.gateway.ws_url(), Codec::MsgPack).await;
    json.subscribe("values", None).await;
    msgpack.subscribe("values", None).await;
    let deep = format!("{}1{}", "[".repeat(65), "]".repeat(65));
    let very_deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    for refused in [
        deep.as_str(),
        very_deep.as_str(),
        "1e999",
        "[-1e999]",
        "\"\\ud800\"",
        "{\"a\":\"\\udc00x\"}",
    ] {
        let answer = stack.call(
            "POST",
            "/api/v1/channels/values/messages",
            Some(ADMIN),
            refused.as_bytes(),
        );
        assert_eq!(
            answer.status,
            400,
            "{}: {}",
            &refused[..refused.len().min(20)],
            answer.text()
        );
        assert!(
            !answer.json()["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
    }
    let within = format!("{}1{}", "[".repeat(64), "]".repeat(64));
    for accepted in [
        within.as_str(),
        "123456789012345678901234567890",
        "{\"big\":-98765432109876543210,\"small\":18446744073709551615,\"neg\":-9223372036854775808}",
        "1.5e300",
        "\"\\ud83d\\ude00 ok\"",
        "0.1",
    ] {
        let answer = stack.call(
            "POST",
            "/api/v1/channels/values/messages",
            Some(ADMIN),
            accepted.as_bytes(),
        );
        assert_eq!(
            answer.status,
            201,
            "{}: {}",
            &accepted[..accepted.len().min(20)],
            answer.text()
        );
        let (_, _, _, from_json) = json.message().await;
        let (_, _, _, from_msgpack) = msgpack.message().await;
        assert_eq!(from_json, from_msgpack, "{accepted}");
    }
    // A client publish frame obeys the same rule.
    json.send_raw(tokio_tungstenite::tungstenite::Message::Text(
        format!("{{\"op\":\"publish\",\"id\":5,\"channel\":\"values\",\"data\":{deep}}}").into(),
    ))
    .await;
    loop {
        match json.recv().await {
            Received::Frame(ServerFrame::Error { id, .. }) => {
                assert_eq!(id, Some(5));
                break;
            }
            Received::Frame(ServerFrame::Message { .. }) => continue,
            other => panic!("a too-deep client publish got {other:?}"),
        }
    }
    watch.finish("both_codecs_deliver_the_same_value").await;
}

/// A method a path does not serve gets 405 naming the ones it does, not
/// 404; a path that does not exist stays 404.
#[tokio::test]
async fn wrong_methods_get_405_with_allow() {
    let (stack, watch) = Stack::start(&[]).await;
    for (method, path, allow) in [
        ("PUT", "/api/v1/channels/x/messages", "GET, POST"),
        ("DELETE", "/api/v1/channels", "GET"),
        ("POST", "/healthz", "GET"),
        ("PATCH", "/api/v1/cache/k", "DELETE, GET, PUT"),
    ] {
        let answer = stack.call(method, path, Some(ADMIN), b"");
        assert_eq!(answer.status, 405, "{method} {path}: {}", answer.text());
        assert_eq!(answer.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(code(&answer), "method_not_allowed");
    }
    assert_eq!(
        stack.call("GET", "/api/v1/nothing/here", None, b"").status,
        404
    );
    watch.finish("wrong_methods_get_405_with_allow").await;
}

/// Behind a trusted proxy the limits count the address the proxy added
/// (the last `X-Forwarded-For` line), never one the client sent itself.
#[tokio::test]
async fn forwarded_addresses_the_client_wrote_are_not_trusted() {
    let (stack, watch) = Stack::start(&["--rate-limit", "5", "--trusted-proxy", "127.0.0.1"]).await;
    let statuses: Vec<u16> = (0..20)
        .map(|i| {
            let spoofed = format!("198.51.100.{i}");
            let headers = [
                ("x-forwarded-for", spoofed.as_str()),
                ("x-forwarded-for", "203.0.113.9"),
            ];
            stack
                .call_with("GET", "/api/v1/channels", None, &headers, b"")
                .status
        })
        .collect();
    assert!(
        statuses.contains(&429),
        "spoofed X-Forwarded-For lines got round the limit: {statuses:?}"
    );
    // Another client behind the same proxy has its own allowance.
    let other = stack.call_with(
        "GET",
        "/api/v1/channels",
        None,
        &[("x-forwarded-for", "203.0.113.10")],
        b"",
    );
    assert_eq!(other.status, 200);
    watch
        .finish("forwarded_addresses_the_client_wrote_are_not_trusted")
        .await;
}
