//! The dashboard's Nodes page in headless Chromium against real services:
//! every replica's heartbeat on `$sys:nodes` makes a row (two gateways, a
//! bridge, rest-api and a process manager), a gateway's row shows its own
//! connection count, a killed gateway disappears within 15 s, hostile
//! heartbeats stay text, and the page fits a phone's width.

use std::path::Path;
use std::time::{Duration, Instant};

use asynchronio_e2e::browser::{Browser, Page};
use asynchronio_e2e::client::WsClient;
use asynchronio_e2e::{Manager, RedisServer, Service};
use asynchronio_protocol::node::{HEARTBEAT_EVERY_MS, NODES_CHANNEL, NodeHeartbeat, NodeKind};
use asynchronio_protocol::{Codec, EnvelopeDraft};
use serde_json::Value;

const ADMIN_KEY: &str = "nodes-admin-key";
const SECRET: &str = "nodes-token-secret";
const EVIL: &str = "<img src=x onerror=window.pwned=1><script>window.pwned=2</script>";

/// The rows of one kind, as `[[id, connections], ...]`.
fn rows_of(kind: &str) -> String {
    format!(
        "[...document.querySelectorAll('#node-rows tr[data-kind=\"{kind}\"]')].map(r => [r.dataset.id, r.querySelector('.connections').textContent])"
    )
}

async fn rows(page: &mut Page, kind: &str) -> Vec<(String, String)> {
    let value = page.eval(&rows_of(kind)).await;
    value
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|r| {
                    (
                        r[0].as_str().unwrap_or_default().to_owned(),
                        r[1].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn gateway(redis_url: &str, id: &str) -> Service {
    Service::gateway_with_env(
        redis_url,
        &["--gateway-id", id],
        &[("ASYNCHRONIO_TOKEN_SECRET", SECRET)],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_page_lists_every_replica_and_forgets_a_killed_gateway() {
    let redis = RedisServer::start();
    let _manager = Manager::start(&redis.url(), "");
    let seen = gateway(&redis.url(), "gateway-seen");
    let mut other = gateway(&redis.url(), "gateway-other");
    let _bridge = Service::bridge(&redis.url(), &[]);
    let db = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}?mode=rwc", db.path().join("api.db").display());
    let rest = Service::rest_with_env(
        &redis.url(),
        &database,
        ADMIN_KEY,
        &[],
        &[
            ("ASYNCHRONIO_TOKEN_SECRET", SECRET),
            ("ASYNCHRONIO_GATEWAY_URL", &seen.ws_url()),
        ],
    );
    let port = rest.port;

    let browser = Browser::start();
    let mut page = browser.page().await;
    // The Nodes page is where a login leads.
    page.log_in(port, ADMIN_KEY, "/", "/nodes").await;
    page.wait_for(
        "document.getElementById('connection').dataset.state === 'open'",
        Duration::from_secs(10),
        "the page's WebSocket to open",
    )
    .await;

    // Every service's replicas, within a heartbeat period or two.
    let every = Duration::from_millis(HEARTBEAT_EVERY_MS);
    for kind in NodeKind::ALL {
        page.wait_for(
            &format!(
                "document.querySelectorAll('#node-rows tr[data-kind=\"{}\"]').length === {}",
                kind.as_str(),
                if kind == NodeKind::WsGateway { 2 } else { 1 }
            ),
            every * 3,
            &format!("the {} rows", kind.as_str()),
        )
        .await;
    }
    let gateways = rows(&mut page, "ws-gateway").await;
    let ids: Vec<&str> = gateways.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["gateway-other", "gateway-seen"], "{gateways:?}");

    // Three clients on the other gateway: its row counts them; the page's
    // own connection is on the first.
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(WsClient::connect(&other.ws_url(), Codec::Json).await);
    }
    page.wait_for(
        "(() => { const r = document.querySelector('#node-rows tr[data-id=\"gateway-other\"] .connections'); return r && r.textContent === '3'; })()",
        every * 3,
        "gateway-other to show 3 connections",
    )
    .await;
    let seen_count: u64 = rows(&mut page, "ws-gateway")
        .await
        .iter()
        .find(|(id, _)| id == "gateway-seen")
        .and_then(|(_, n)| n.parse().ok())
        .expect("gateway-seen's connections");
    assert!(seen_count >= 1, "the page's own connection: {seen_count}");
    let total = page
        .eval("document.querySelector('[data-total=\"connections\"] dd').textContent")
        .await;
    assert_eq!(
        total.as_str(),
        Some((3 + seen_count).to_string().as_str()),
        "total connections"
    );
    // The page's gateway delivers it the heartbeats: its row shows a rate
    // and latency percentiles from the gateway's own histogram.
    page.wait_for(
        "(() => { const r = document.querySelector('#node-rows tr[data-id=\"gateway-seen\"]'); return r && r.querySelector('.deliveries').textContent !== '0.0/s' && /s$/.test(r.querySelector('.p50').textContent) && /s$/.test(r.querySelector('.p99').textContent); })()",
        every * 3,
        "gateway-seen's deliveries and p50/p99",
    )
    .await;
    let replicas = page
        .eval("document.querySelector('[data-total=\"ws-gateway\"] dd').textContent")
        .await;
    assert_eq!(replicas.as_str(), Some("2"));

    // A hostile heartbeat and a malformed one: the first is shown as text,
    // the second ignored, and nothing runs.
    let bus = redis.bus().await;
    let evil = NodeHeartbeat {
        kind: NodeKind::RestApi,
        id: EVIL.into(),
        version: "<i>v</i><script>window.pwned=3</script>".into(),
        started_at_ms: 1,
        sent_at_ms: 2,
        every_ms: HEARTBEAT_EVERY_MS,
        rss_bytes: None,
        redis_rtt_us: None,
        gateway: None,
    };
    let payload = evil.encode().expect("a valid heartbeat, however hostile");
    for payload in [payload, br#"{"kind":"ws-gateway","id":{"x":1}}"#.to_vec()] {
        let draft = EnvelopeDraft::new(NODES_CHANNEL, payload.into());
        bus.publish(&draft, None).await.expect("publish");
    }
    page.wait_for(
        "document.querySelectorAll('#node-rows tr[data-kind=\"rest-api\"]').length === 2",
        Duration::from_secs(5),
        "the hostile heartbeat's row",
    )
    .await;
    let shown = page
        .eval("[...document.querySelectorAll('#node-rows td.id')].map(td => td.textContent)")
        .await;
    assert!(
        shown
            .as_array()
            .is_some_and(|ids| ids.iter().any(|id| id.as_str() == Some(EVIL))),
        "the hostile id is shown as text: {shown}"
    );
    // Server-rendered too: reload, and the hostile node comes from history.
    page.goto(&format!("http://127.0.0.1:{port}/nodes")).await;
    page.wait_for(
        "document.readyState === 'complete' && document.querySelectorAll('#node-rows tr[data-kind=\"ws-gateway\"]').length === 2 && document.querySelectorAll('#node-rows tr[data-kind=\"rest-api\"]').length === 2",
        Duration::from_secs(5),
        "the nodes from history right after loading",
    )
    .await;
    assert_eq!(
        page.eval("window.pwned === undefined && document.querySelectorAll('#node-rows img, #node-rows script').length === 0").await,
        Value::Bool(true),
        "markup from a heartbeat ran or became elements"
    );

    // A phone: the page is no wider than the screen (the table scrolls
    // inside its box).
    page.viewport(390, 800).await;
    let fits = page
        .eval("document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(
        fits,
        Value::Bool(true),
        "the page overflows a 390 px screen"
    );
    // Into target/screenshots, and docs/screenshots too when
    // ASYNCHRONIO_UPDATE_SCREENSHOTS is set.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut dirs = vec![root.join("target/screenshots")];
    if std::env::var("ASYNCHRONIO_UPDATE_SCREENSHOTS").is_ok() {
        dirs.push(root.join("docs/screenshots"));
    }
    for dir in &dirs {
        page.screenshot(&dir.join("nodes-390.png")).await;
    }
    page.viewport(1280, 800).await;
    for dir in &dirs {
        page.screenshot(&dir.join("nodes.png")).await;
    }

    // Killed (no goodbye): its row goes within 15 s.
    other.kill();
    let killed = Instant::now();
    page.wait_for(
        "!document.querySelector('#node-rows tr[data-id=\"gateway-other\"]')",
        Duration::from_secs(15),
        "the killed gateway to disappear",
    )
    .await;
    eprintln!(
        "the killed gateway disappeared after {:?}",
        killed.elapsed()
    );
    assert_eq!(
        ids_now(&mut page).await,
        ["gateway-seen"],
        "the live gateway stays"
    );
    drop(clients);
    assert!(page.problems().is_empty(), "{:?}", page.problems());
}

async fn ids_now(page: &mut Page) -> Vec<String> {
    rows(page, "ws-gateway")
        .await
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

/// The newest heartbeat of `kind` in the channel's history, if any.
async fn newest(bus: &asynchronio_bus::Bus, kind: NodeKind) -> Option<NodeHeartbeat> {
    let entries = bus
        .history_newest_first(NODES_CHANNEL, asynchronio_protocol::Offset(0), 64)
        .await
        .ok()?;
    entries
        .iter()
        .filter_map(|e| NodeHeartbeat::decode(&e.payload).ok())
        .find(|h| h.kind == kind)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_survive_redis_going_away() {
    let mut redis = RedisServer::start();
    let mut bridge = Service::bridge(&redis.url(), &[]);
    let every = Duration::from_millis(HEARTBEAT_EVERY_MS);
    let deadline = Instant::now() + every * 2;
    let first = loop {
        if let Some(heartbeat) = newest(&redis.bus().await, NodeKind::RedisBridge).await {
            break heartbeat;
        }
        assert!(Instant::now() < deadline, "no bridge heartbeat");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(first.version, env!("CARGO_PKG_VERSION"));
    assert!(
        first.rss_bytes.is_some_and(|rss| rss > 1 << 20),
        "{first:?}"
    );
    assert!(first.redis_rtt_us.is_some(), "{first:?}");
    assert!(first.gateway.is_none());

    // Redis away for two periods: the bridge keeps running...
    redis.kill();
    tokio::time::sleep(every * 2).await;
    assert_eq!(
        bridge.wait_exit(Duration::from_millis(200)),
        None,
        "the bridge exited while Redis was away"
    );
    // ...and beats again once it is back.
    redis.restart();
    let back = asynchronio_protocol::clock::now_ms();
    let deadline = Instant::now() + every * 4;
    loop {
        if let Some(heartbeat) = newest(&redis.bus().await, NodeKind::RedisBridge).await
            && heartbeat.sent_at_ms >= back
        {
            assert_eq!(heartbeat.id, first.id);
            assert_eq!(heartbeat.started_at_ms, first.started_at_ms);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no bridge heartbeat after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
