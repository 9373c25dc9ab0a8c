//! The REST API against real Redis and a real database: every endpoint,
//! the status codes of bad input, idempotent publish, keys and the audit
//! log. Run once with SQLite; the PostgreSQL run uses the same checks.
//!
//! The main scenario is a table ([`scenario`]): named steps, each an HTTP
//! call with the checks its answer must pass (or a WebSocket delivery, a
//! Redis answer, the audit log, Redis stopping), run in order against one
//! stack by [`exercise`]. Steps save values (a new key, the epoch) for
//! later ones.

use std::collections::HashMap;

use asynchronio_e2e::http::{Response, request};
use asynchronio_e2e::{RedisServer, Service, WsClient};
use asynchronio_protocol::Codec;
use serde_json::{Value, json};

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

/// The values steps save for later ones: `{name}` in a later call's path,
/// key or body, or in an audit entry, is replaced by the saved value.
type Saved = HashMap<&'static str, String>;

/// Replaces every `{name}` of a saved value in `text`.
fn fill(text: &str, saved: &Saved) -> String {
    saved.iter().fold(text.to_owned(), |text, (name, value)| {
        text.replace(&format!("{{{name}}}"), value)
    })
}

/// One HTTP call of the scenario.
struct Call {
    method: &'static str,
    path: &'static str,
    /// Sent as `Authorization: Bearer …`.
    key: Option<&'static str>,
    /// `application/json` unless a step says otherwise.
    content_type: Option<&'static str>,
    /// Further headers.
    headers: &'static [(&'static str, &'static str)],
    body: String,
}

impl Call {
    fn new(method: &'static str, path: &'static str) -> Self {
        Self {
            method,
            path,
            key: None,
            content_type: Some("application/json"),
            headers: &[],
            body: String::new(),
        }
    }

    fn key(mut self, key: &'static str) -> Self {
        self.key = Some(key);
        self
    }

    fn body(mut self, body: impl Into<String>) -> Self {
        self.body = body.into();
        self
    }

    fn content_type(mut self, content_type: Option<&'static str>) -> Self {
        self.content_type = content_type;
        self
    }

    fn headers(mut self, headers: &'static [(&'static str, &'static str)]) -> Self {
        self.headers = headers;
        self
    }

    fn send(&self, port: u16, saved: &Saved) -> Response {
        let auth = self.key.map(|k| format!("Bearer {}", fill(k, saved)));
        let mut headers: Vec<(&str, &str)> = Vec::new();
        if let Some(content_type) = self.content_type {
            headers.push(("content-type", content_type));
        }
        if let Some(auth) = &auth {
            headers.push(("authorization", auth.as_str()));
        }
        headers.extend_from_slice(self.headers);
        let path = fill(self.path, saved);
        let body = fill(&self.body, saved);
        request(port, self.method, &path, &headers, body.as_bytes())
    }

    /// The call and what its answer must show.
    fn expect(self, checks: Vec<Check>) -> Step {
        Step::Call(self, checks)
    }
}

/// What an answer must show.
enum Check {
    /// This status code.
    Status(u16),
    /// An error answer with this code and a message that is not empty.
    Error(&'static str),
    /// The JSON value at a pointer (RFC 6901; "" is the whole body).
    Json(&'static str, Value),
    /// The JSON string at a pointer equals a saved value.
    JsonSaved(&'static str, &'static str),
    /// The JSON array at a pointer has this many items.
    Len(&'static str, usize),
    /// A header's value (`None`: the header is absent).
    Header(&'static str, Option<&'static str>),
    /// A header is present and starts with this.
    HeaderStarts(&'static str, &'static str),
    /// The whole body, as text.
    Text(&'static str),
    /// The body, as text, contains this.
    TextContains(&'static str),
    /// The OpenAPI document in the body describes this path and method.
    Documented(&'static str, &'static str),
    /// A property of the JSON body, described, that may need saved values.
    Holds(&'static str, fn(&Value, &Saved) -> bool),
    /// Saves the JSON string at a pointer under a name.
    Save(&'static str, &'static str),
}

impl Check {
    fn verify(&self, response: &Response, saved: &mut Saved, context: &str) {
        let context = format!("{context}: {}", response.text());
        let at = |pointer: &str| response.json().pointer(pointer).cloned();
        match self {
            Check::Status(status) => assert_eq!(response.status, *status, "{context}"),
            Check::Error(code) => {
                let body = response.json();
                assert_eq!(body["error"]["code"], *code, "{context}");
                let message = body["error"]["message"].as_str().unwrap_or_default();
                assert!(!message.is_empty(), "no error message: {context}");
            }
            Check::Json(pointer, value) => {
                assert_eq!(at(pointer).as_ref(), Some(value), "{pointer}: {context}")
            }
            Check::JsonSaved(pointer, name) => assert_eq!(
                at(pointer).as_ref().and_then(Value::as_str),
                saved.get(name).map(String::as_str),
                "{pointer} vs saved {name}: {context}"
            ),
            Check::Len(pointer, len) => assert_eq!(
                at(pointer).as_ref().and_then(Value::as_array).map(Vec::len),
                Some(*len),
                "length of {pointer}: {context}"
            ),
            Check::Header(name, value) => {
                assert_eq!(response.header(name), *value, "header {name}: {context}")
            }
            Check::HeaderStarts(name, prefix) => assert!(
                response.header(name).is_some_and(|v| v.starts_with(prefix)),
                "header {name} should start with {prefix}: {context}"
            ),
            Check::Text(text) => assert_eq!(response.text(), *text, "{context}"),
            Check::TextContains(text) => {
                assert!(response.text().contains(text), "missing {text}: {context}")
            }
            Check::Documented(path, method) => assert!(
                response.json()["paths"][path][method].is_object(),
                "{method} {path} missing from the OpenAPI document"
            ),
            Check::Holds(what, holds) => {
                assert!(holds(&response.json(), saved), "{what}: {context}")
            }
            Check::Save(pointer, name) => {
                let value = at(pointer);
                let value = value.as_ref().and_then(Value::as_str);
                let value = value.unwrap_or_else(|| panic!("no string at {pointer}: {context}"));
                saved.insert(name, value.to_owned());
            }
        }
    }
}

/// One step of the scenario; the steps run in order against one stack.
enum Step {
    /// An HTTP call and its checks.
    Call(Call, Vec<Check>),
    /// The WebSocket client subscribed to `ticks` receives the message at
    /// this offset, in the epoch saved as `epoch`, with this payload.
    Delivered(u64, Value),
    /// A `redis-cli` command answers this.
    Redis(&'static [&'static str], &'static str),
    /// The audit log (written in the background, in batches) comes to
    /// hold these entries, as `actor action result`.
    Audited(&'static [&'static str]),
    /// Redis stops (the gateway and its client go first).
    RedisDown,
}

/// A bad call: its status and error code.
fn refused(call: Call, status: u16, code: &'static str) -> Step {
    call.expect(vec![Check::Status(status), Check::Error(code)])
}

/// The scenario, as named steps.
fn scenario() -> Vec<(&'static str, Step)> {
    use Check::*;
    let ticks = "/api/v1/channels/ticks/messages";
    let offset = |n: u64| json!(format!("{n:020}"));
    let idempotent: &'static [(&str, &str)] = &[("idempotency-key", "order-7")];
    let mut steps = vec![
        // Publish reaches WebSocket subscribers and answers with the offset.
        (
            "publish",
            Call::new("POST", ticks)
                .key(ADMIN)
                .body(r#"{"price":42}"#)
                .expect(vec![
                    Status(201),
                    Json("/offset", offset(1)),
                    Save("/epoch", "epoch"),
                ]),
        ),
        (
            "publish delivered",
            Step::Delivered(1, json!({"price": 42})),
        ),
        // A retried publish with the same Idempotency-Key lands once.
        (
            "idempotent publish",
            Call::new("POST", ticks)
                .key(ADMIN)
                .content_type(None)
                .headers(idempotent)
                .body(r#"{"n":7}"#)
                .expect(vec![Status(201), Save("/offset", "idempotent offset")]),
        ),
        (
            "idempotent publish retried",
            Call::new("POST", ticks)
                .key(ADMIN)
                .content_type(None)
                .headers(idempotent)
                .body(r#"{"n":7}"#)
                .expect(vec![
                    Status(201),
                    JsonSaved("/offset", "idempotent offset"),
                    Header("idempotent-replayed", Some("true")),
                ]),
        ),
        (
            "idempotent publish delivered",
            Step::Delivered(2, json!({"n": 7})),
        ),
        (
            "idempotent publish stored once",
            Step::Redis(&["XLEN", "asynchronio:stream:{ticks}"], "2"),
        ),
        // Broadcast to several channels.
        (
            "broadcast",
            Call::new("POST", "/api/v1/broadcast")
                .key(ADMIN)
                .body(r#"{"channels":["ticks","other","third"],"data":{"all":true}}"#)
                .expect(vec![
                    Status(201),
                    Len("/results", 3),
                    Json("/results/0/offset", offset(3)),
                    Json("/results/1/offset", offset(1)),
                ]),
        ),
        (
            "broadcast delivered",
            Step::Delivered(3, json!({"all": true})),
        ),
        // History: anonymous read of a public channel, limit, since, reverse.
        (
            "history",
            Call::new("GET", "/api/v1/channels/ticks/messages?limit=100").expect(vec![
                Status(200),
                Len("/messages", 3),
                Json("/messages/0/data", json!({"price": 42})),
            ]),
        ),
        (
            "history since",
            Call::new("GET", "/api/v1/channels/ticks/messages?since=1&limit=1")
                .expect(vec![Status(200), Json("/messages/0/offset", offset(2))]),
        ),
        (
            "history newest first",
            Call::new(
                "GET",
                "/api/v1/channels/ticks/messages?reverse=true&limit=1",
            )
            .expect(vec![Status(200), Json("/messages/0/offset", offset(3))]),
        ),
        // Keys: create, use, lack of scope, revoke, list, audit.
        (
            "key created",
            Call::new("POST", "/api/v1/keys")
                .key(ADMIN)
                .body(r#"{"name":"publisher","scopes":["publish"]}"#)
                .expect(vec![
                    Status(201),
                    Save("/secret", "key"),
                    Save("/id", "key_id"),
                ]),
        ),
        (
            "key publishes",
            Call::new("POST", ticks)
                .key("{key}")
                .body("1")
                .expect(vec![Status(201)]),
        ),
        (
            "key lacks the admin scope",
            refused(
                Call::new("POST", "/api/v1/keys")
                    .key("{key}")
                    .body(r#"{"name":"x","scopes":["admin"]}"#),
                403,
                "forbidden",
            ),
        ),
        (
            "key revoked",
            Call::new("DELETE", "/api/v1/keys/{key_id}")
                .key(ADMIN)
                .expect(vec![Status(204)]),
        ),
        (
            "revoked key refused",
            Call::new("POST", ticks).key("{key}").body("1").expect(vec![
                Status(401),
                Error("unauthorized"),
                Header("www-authenticate", Some("Bearer")),
            ]),
        ),
        (
            "keys listed",
            Call::new("GET", "/api/v1/keys").key(ADMIN).expect(vec![
                Status(200),
                Holds(
                    "the revoked key is listed with its revocation time",
                    |body, saved| {
                        body["keys"].as_array().is_some_and(|keys| {
                            keys.iter().any(|k| {
                                k["id"].as_str() == saved.get("key_id").map(String::as_str)
                                    && k["revoked_ms"].is_number()
                            })
                        })
                    },
                ),
                Holds("no secret or hash is listed", |body, _| {
                    body["keys"].as_array().is_some_and(|keys| {
                        keys.iter()
                            .all(|k| k.get("secret").is_none() && k.get("secret_hash").is_none())
                    })
                }),
            ]),
        ),
        (
            "unknown key not revoked",
            Call::new("DELETE", "/api/v1/keys/nope")
                .key(ADMIN)
                .expect(vec![Status(404)]),
        ),
        (
            "audit log",
            Step::Audited(&[
                "bootstrap key.create ok",
                "bootstrap key.revoke ok",
                "key:{key_id} publish ok",
                "bootstrap publish duplicate",
            ]),
        ),
    ];
    // Bad input: each gets its status and code, nothing panics.
    let bad: Vec<(&str, Call, u16, &str)> = vec![
        (
            "truncated JSON",
            Call::new("POST", ticks).key(ADMIN).body("{\"price\":"),
            400,
            "bad_json",
        ),
        (
            "empty body",
            Call::new("POST", ticks).key(ADMIN),
            400,
            "bad_json",
        ),
        (
            "bad channel name",
            Call::new("POST", "/api/v1/channels/bad%20name/messages")
                .key(ADMIN)
                .body("1"),
            400,
            "invalid_channel",
        ),
        (
            "publish without a key",
            Call::new("POST", ticks).body("1"),
            401,
            "unauthorized",
        ),
        (
            "publish with an unknown key",
            Call::new("POST", ticks).key("ak_nope_nope").body("1"),
            401,
            "unauthorized",
        ),
        (
            "publish on a system channel",
            Call::new("POST", "/api/v1/channels/$sys:x/messages")
                .key(ADMIN)
                .body("1"),
            403,
            "forbidden",
        ),
        (
            "broadcast channels not a list",
            Call::new("POST", "/api/v1/broadcast")
                .key(ADMIN)
                .body(r#"{"channels":"ticks","data":1}"#),
            400,
            "bad_json",
        ),
        (
            "broadcast to no channel",
            Call::new("POST", "/api/v1/broadcast")
                .key(ADMIN)
                .body(r#"{"channels":[],"data":1}"#),
            400,
            "bad_request",
        ),
        (
            "unknown scope",
            Call::new("POST", "/api/v1/keys")
                .key(ADMIN)
                .body(r#"{"name":"x","scopes":["root"]}"#),
            400,
            "bad_json",
        ),
        (
            "history limit 0",
            Call::new("GET", "/api/v1/channels/ticks/messages?limit=0"),
            400,
            "bad_parameter",
        ),
        (
            "history limit not a number",
            Call::new("GET", "/api/v1/channels/ticks/messages?limit=abc"),
            400,
            "bad_parameter",
        ),
        (
            "history since negative",
            Call::new("GET", "/api/v1/channels/ticks/messages?since=-4"),
            400,
            "bad_parameter",
        ),
        (
            "history reverse not a boolean",
            Call::new("GET", "/api/v1/channels/ticks/messages?reverse=maybe"),
            400,
            "bad_parameter",
        ),
        (
            "private history without a key",
            Call::new("GET", "/api/v1/channels/private:x/messages"),
            401,
            "unauthorized",
        ),
        (
            "no such endpoint",
            Call::new("GET", "/api/v1/nothing-here"),
            404,
            "not_found",
        ),
        (
            "cache put without a key",
            Call::new("PUT", "/api/v1/cache/greeting").body("hi"),
            401,
            "unauthorized",
        ),
        (
            "bad cache key",
            Call::new("PUT", "/api/v1/cache/bad%20key")
                .key(ADMIN)
                .body("hi"),
            400,
            "invalid_key",
        ),
        (
            "negative cache TTL",
            Call::new("PUT", "/api/v1/cache/greeting?ttl=-1")
                .key(ADMIN)
                .body("hi"),
            400,
            "bad_parameter",
        ),
        (
            "cache miss",
            Call::new("GET", "/api/v1/cache/absent"),
            404,
            "not_found",
        ),
        (
            "body over --max-body",
            Call::new("POST", ticks).key(ADMIN).body("9".repeat(4096)),
            413,
            "payload_too_large",
        ),
    ];
    steps.extend(
        bad.into_iter()
            .map(|(name, call, status, code)| (name, refused(call, status, code))),
    );
    steps.extend([
        // The cache: put with a TTL, read back with its content type, delete.
        (
            "cache put",
            Call::new("PUT", "/api/v1/cache/greeting?ttl=60")
                .key(ADMIN)
                .content_type(Some("text/plain"))
                .body("hello")
                .expect(vec![Status(204)]),
        ),
        (
            "cache get",
            Call::new("GET", "/api/v1/cache/greeting").expect(vec![
                Status(200),
                Text("hello"),
                Header("content-type", Some("text/plain")),
                HeaderStarts("cache-control", "max-age="),
            ]),
        ),
        (
            "cache delete",
            Call::new("DELETE", "/api/v1/cache/greeting")
                .key(ADMIN)
                .expect(vec![Status(204)]),
        ),
        (
            "cache deleted",
            Call::new("GET", "/api/v1/cache/greeting").expect(vec![Status(404)]),
        ),
        // The OpenAPI document describes every endpoint.
        (
            "OpenAPI document",
            Call::new("GET", "/api/v1/openapi.json").expect(vec![
                Status(200),
                Holds("OpenAPI 3", |spec, _| {
                    spec["openapi"]
                        .as_str()
                        .is_some_and(|v| v.starts_with("3."))
                }),
                Documented("/api/v1/channels/{channel}/messages", "post"),
                Documented("/api/v1/channels/{channel}/messages", "get"),
                Documented("/api/v1/broadcast", "post"),
                Documented("/api/v1/channels", "get"),
                Documented("/api/v1/channels/{channel}/presence", "get"),
                Documented("/api/v1/keys/{id}", "delete"),
                Documented("/api/v1/tokens", "post"),
                Documented("/api/v1/cache/{key}", "put"),
                Documented("/readyz", "get"),
                Json(
                    "/components/securitySchemes/api_key/scheme",
                    json!("bearer"),
                ),
            ]),
        ),
        // Health, readiness, metrics.
        (
            "healthz",
            Call::new("GET", "/healthz").expect(vec![Status(200)]),
        ),
        (
            "readyz",
            Call::new("GET", "/readyz").expect(vec![
                Status(200),
                Json("", json!({"redis": true, "database": true})),
            ]),
        ),
        (
            "metrics",
            Call::new("GET", "/metrics").expect(vec![
                Status(200),
                TextContains("asynchronio_rest_published_total 7"),
                TextContains("asynchronio_rest_responses_total{class=\"4xx\"}"),
            ]),
        ),
        // Redis down: 503, and readiness says why.
        ("Redis stops", Step::RedisDown),
        (
            "publish with Redis down",
            refused(
                Call::new("POST", ticks).key(ADMIN).body("1"),
                503,
                "unavailable",
            ),
        ),
        (
            "readyz with Redis down",
            Call::new("GET", "/readyz").expect(vec![Status(503), Json("/redis", json!(false))]),
        ),
    ]);
    steps
}

/// Every step of [`scenario`], in order, against a rest-api using
/// `database_url`.
pub async fn exercise(database_url: &str) {
    let mut redis = RedisServer::start();
    let gateway = Service::gateway(&redis.url(), &[]);
    let rest = Service::rest(&redis.url(), database_url, ADMIN, &["--max-body", "2048"]);
    let api = Api { port: rest.port };
    let mut client = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    client.subscribe("ticks", None).await;
    // The client and its gateway, until Redis stops (dropped in that order).
    let mut live = Some((client, gateway));
    let mut saved = Saved::new();
    for (name, step) in scenario() {
        match step {
            Step::Call(call, checks) => {
                let response = call.send(api.port, &saved);
                let context = format!("{name} ({} {})", call.method, call.path);
                for check in &checks {
                    check.verify(&response, &mut saved, &context);
                }
            }
            Step::Delivered(offset, data) => {
                let (client, _) = live
                    .as_mut()
                    .expect("the client is connected until Redis stops");
                let (_, got_offset, got_epoch, got_data) = client.message().await;
                assert_eq!(
                    (got_offset, Some(&got_epoch), got_data),
                    (offset, saved.get("epoch"), data),
                    "{name}"
                );
            }
            Step::Redis(command, answer) => assert_eq!(redis.cli(command), answer, "{name}"),
            Step::Audited(expected) => {
                let expected: Vec<String> = expected.iter().map(|e| fill(e, &saved)).collect();
                let actions = audited(&api, &expected).await;
                for entry in &expected {
                    assert!(actions.contains(entry), "{name}: {entry} in {actions:?}");
                }
            }
            Step::RedisDown => {
                live = None;
                redis.kill();
            }
        }
    }
}

/// The audit log as `actor action result` lines, once it holds every
/// `expected` entry or after two seconds.
async fn audited(api: &Api, expected: &[String]) -> Vec<String> {
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
        if expected.iter().all(|e| actions.contains(e)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    actions
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
