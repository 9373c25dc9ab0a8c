//! The web dashboard in headless Chromium against the real stack (Redis,
//! process-manager with a worker, a demo producer and a two-stage pipeline,
//! ws-gateway, rest-api): log in, control a process and see its row change
//! through render frames, follow its log, see the chart move, the flowchart
//! show every stage, publish on the channels page, survive a gateway
//! restart. Escaping, CSRF and login are checked over plain HTTP too.
//! Screenshots go to target/screenshots/ (and docs/screenshots/ with
//! ASYNCHRONIO_UPDATE_SCREENSHOTS=1).

use std::path::{Path, PathBuf};
use std::time::Duration;

use asynchronio_e2e::browser::{Browser, Page};
use asynchronio_e2e::http::request;
use asynchronio_e2e::process::binary;
use asynchronio_e2e::{Manager, RedisServer, Service, free_port};

const ADMIN_KEY: &str = "dashboard-admin-key";
const SECRET: &str = "dashboard-token-secret";
const EVIL: &str = "<script>window.pwned=1</script><img src=x onerror=window.pwned=2>";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn config(redis_url: &str) -> String {
    let example = root().join("examples/processors/upper.py");
    format!(
        r#"
[process.worker]
command = "sh"
args = ["-c", "echo 'worker says {EVIL}'; exec sleep 1000"]
stop_grace_ms = 2000

[process.demo]
command = "{demo}"
args = ["--redis-url", "{redis_url}", "demo", "--channel", "demo.metrics", "--rate", "10"]

[[pipeline]]
name = "shout"
input = "orders"
outputs = ["orders.upper"]
command = "python3"
args = ["{example}"]

[[pipeline]]
name = "again"
input = "orders.upper"
outputs = ["orders.done"]
command = "python3"
args = ["{example}"]
"#,
        demo = binary("asynchronio").display(),
        example = example.display(),
    )
}

fn screenshot_dirs() -> Vec<PathBuf> {
    let mut dirs = vec![root().join("target/screenshots")];
    if std::env::var("ASYNCHRONIO_UPDATE_SCREENSHOTS").is_ok() {
        dirs.push(root().join("docs/screenshots"));
    }
    dirs
}

async fn shoot(page: &mut Page, name: &str) {
    for dir in screenshot_dirs() {
        page.screenshot(&dir.join(format!("{name}.png"))).await;
    }
}

struct Stack {
    _redis: RedisServer,
    _manager: Manager,
    gateway: Service,
    gateway_port: u16,
    rest: Service,
    _db: tempfile::TempDir,
}

fn gateway(redis_url: &str, port: u16) -> Service {
    Service::start_with_env(
        "ws-gateway",
        port,
        &["--redis-url".to_owned(), redis_url.to_owned()],
        &[("ASYNCHRONIO_TOKEN_SECRET", SECRET)],
    )
}

async fn stack() -> Stack {
    let redis = RedisServer::start();
    let manager = Manager::start(&redis.url(), &config(&redis.url()));
    let gateway_port = free_port();
    let gateway = gateway(&redis.url(), gateway_port);
    let db = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}?mode=rwc", db.path().join("api.db").display());
    let gateway_url = format!("ws://127.0.0.1:{gateway_port}/ws");
    let rest = Service::rest_with_env(
        &redis.url(),
        &database,
        ADMIN_KEY,
        &[],
        &[
            ("ASYNCHRONIO_TOKEN_SECRET", SECRET),
            ("ASYNCHRONIO_GATEWAY_URL", &gateway_url),
        ],
    );
    Stack {
        _redis: redis,
        _manager: manager,
        gateway,
        gateway_port,
        rest,
        _db: db,
    }
}

async fn log_in(page: &mut Page, port: u16) {
    page.goto(&format!("http://127.0.0.1:{port}/processes"))
        .await;
    page.wait_for(
        "location.pathname === '/login' && document.getElementById('key')",
        Duration::from_secs(10),
        "the login form",
    )
    .await;
    page.eval(&format!(
        "document.getElementById('key').value = '{ADMIN_KEY}'; document.querySelector('form.login').submit(); true"
    ))
    .await;
    page.wait_for(
        "location.pathname === '/processes' && document.readyState === 'complete'",
        Duration::from_secs(10),
        "the processes page after login",
    )
    .await;
}

async fn live(page: &mut Page) {
    page.wait_for(
        "document.getElementById('connection').dataset.state === 'open'",
        Duration::from_secs(10),
        "the page's WebSocket to open",
    )
    .await;
}

async fn click(page: &mut Page, selector: &str) {
    let clicked = page
        .eval(&format!(
            "(() => {{ const b = document.querySelector({selector:?}); if (!b) return false; b.dispatchEvent(new MouseEvent('click', {{bubbles: true, cancelable: true}})); return true; }})()"
        ))
        .await;
    assert_eq!(
        clicked,
        serde_json::Value::Bool(true),
        "nothing to click at {selector}"
    );
}

#[tokio::test]
async fn dashboard_works_in_a_real_browser() {
    let mut stack = stack().await;
    let port = stack.rest.port;
    let browser = Browser::start();
    let mut page = browser.page().await;
    page.viewport(1280, 900).await;
    log_in(&mut page, port).await;
    live(&mut page).await;

    // Processes: the worker's row, then stop (with confirmation), start, scale.
    page.wait_for(
        "document.querySelector('#proc-worker-0.status-running')",
        Duration::from_secs(20),
        "the worker's row to show running",
    )
    .await;
    click(&mut page, "#proc-worker-0 button[data-action=stop]").await;
    page.wait_for(
        "document.getElementById('confirm-dialog').open",
        Duration::from_secs(5),
        "the stop confirmation",
    )
    .await;
    click(&mut page, "#confirm-ok").await;
    page.wait_for(
        "document.querySelector('#proc-worker-0.status-stopped')",
        Duration::from_secs(15),
        "the row to change to stopped without a reload",
    )
    .await;
    click(&mut page, "#proc-worker-0 button[data-action=start]").await;
    page.wait_for(
        "document.querySelector('#proc-worker-0.status-running')",
        Duration::from_secs(15),
        "the row to change back to running",
    )
    .await;
    click(&mut page, "#proc-worker-0 button[data-action=scale]").await;
    page.eval("document.getElementById('scale-count').value = '2'; true")
        .await;
    click(&mut page, "#scale-ok").await;
    page.wait_for(
        "document.querySelector('#proc-worker-1.status-running')",
        Duration::from_secs(15),
        "a second worker row after scaling to 2",
    )
    .await;

    // The log tail shows what the worker printed, as text.
    click(&mut page, "#proc-worker-0 button[data-action=logs]").await;
    page.wait_for(
        "document.getElementById('log-lines').textContent.includes('worker says <script>')",
        Duration::from_secs(10),
        "the worker's line in the log tail",
    )
    .await;
    let injected = page
        .eval("document.querySelectorAll('#log-lines script, #log-lines img').length + (window.pwned || 0)")
        .await;
    assert_eq!(
        injected,
        serde_json::json!(0),
        "log line was interpreted as HTML"
    );
    shoot(&mut page, "processes").await;
    page.viewport(390, 844).await;
    shoot(&mut page, "processes-390").await;
    let overflow = page
        .eval("document.documentElement.scrollWidth <= window.innerWidth + 1")
        .await;
    assert_eq!(
        overflow,
        serde_json::Value::Bool(true),
        "page wider than 390 px"
    );
    page.viewport(1280, 900).await;

    // The gateway goes away: the page says so, then recovers by itself.
    stack.gateway.kill();
    page.wait_for(
        "document.getElementById('connection').dataset.state === 'reconnecting'",
        Duration::from_secs(10),
        "the page to show the lost connection",
    )
    .await;
    let redis_url = stack._redis.url();
    stack.gateway = gateway(&redis_url, stack.gateway_port);
    live(&mut page).await;
    click(&mut page, "#proc-worker-1 button[data-action=stop]").await;
    click(&mut page, "#confirm-ok").await;
    page.wait_for(
        "document.querySelector('#proc-worker-1.status-stopped')",
        Duration::from_secs(15),
        "a change after the reconnect, without a reload",
    )
    .await;

    // Charts: points within 2 s of the connection opening.
    page.goto(&format!("http://127.0.0.1:{port}/charts")).await;
    live(&mut page).await;
    let took = page
        .wait_for(
            "Number(document.getElementById('chart').dataset.points || 0) > 0",
            Duration::from_secs(2),
            "the chart's first points",
        )
        .await;
    assert!(took <= Duration::from_secs(2));
    page.wait_for(
        "document.getElementById('legend').textContent.includes('demo.metrics.sine')",
        Duration::from_secs(5),
        "the demo series in the legend",
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    shoot(&mut page, "charts").await;

    // Flowchart: every stage of the test pipelines, and a stage's processes.
    page.goto(&format!("http://127.0.0.1:{port}/flowchart"))
        .await;
    live(&mut page).await;
    page.wait_for(
        "document.querySelector('#flow [data-stage=shout]') && document.querySelector('#flow [data-stage=again]') && document.querySelector('#flow [data-channel=\"orders.done\"]')",
        Duration::from_secs(15),
        "both stages and their channels in the flowchart",
    )
    .await;
    click(&mut page, "#flow [data-stage=shout]").await;
    page.wait_for(
        "!document.getElementById('stage-panel').hidden && document.querySelectorAll('#stage-processes tr').length >= 1",
        Duration::from_secs(10),
        "the stage's processes",
    )
    .await;
    shoot(&mut page, "flowchart").await;

    // Channels: publish through the form; the message shows as text.
    page.goto(&format!("http://127.0.0.1:{port}/channels"))
        .await;
    live(&mut page).await;
    page.eval(&format!(
        "document.getElementById('publish-channel').value = 'orders'; document.getElementById('publish-data').value = JSON.stringify({{text: {EVIL:?}}}); document.querySelector('#publish button').click(); true"
    ))
    .await;
    page.wait_for(
        "document.getElementById('recent').textContent.includes('<script>window.pwned=1</script>')",
        Duration::from_secs(10),
        "the published message in the recent list",
    )
    .await;
    page.wait_for(
        "document.querySelector('#channel-rows [data-channel=\"orders.upper\"]')",
        Duration::from_secs(10),
        "the pipeline's output channel in the list",
    )
    .await;
    let injected = page
        .eval(
            "document.querySelectorAll('#recent script, #recent img').length + (window.pwned || 0)",
        )
        .await;
    assert_eq!(
        injected,
        serde_json::json!(0),
        "message was interpreted as HTML"
    );
    shoot(&mut page, "channels").await;

    assert!(
        page.problems().is_empty(),
        "console errors: {:?}",
        page.problems()
    );
}

/// The session cookie's flags, CSRF on every action, and the login form's
/// refusals, over plain HTTP.
#[tokio::test]
async fn sessions_need_the_csrf_token_for_actions() {
    let stack = stack().await;
    let port = stack.rest.port;
    let page = request(port, "GET", "/processes", &[], b"");
    assert_eq!(page.status, 303);
    assert_eq!(page.header("location"), Some("/login?next=/processes"));

    let refused = request(
        port,
        "POST",
        "/login",
        &[("content-type", "application/x-www-form-urlencoded")],
        b"key=wrong&next=%2Fprocesses",
    );
    assert_eq!(refused.status, 401);
    assert!(refused.text().contains("not an admin key"));

    let login = request(
        port,
        "POST",
        "/login",
        &[("content-type", "application/x-www-form-urlencoded")],
        format!("key={ADMIN_KEY}&next=%2F%2Fevil.example").as_bytes(),
    );
    assert_eq!(login.status, 303);
    assert_eq!(login.header("location"), Some("/processes"));
    let cookie_header = login
        .header("set-cookie")
        .expect("a session cookie")
        .to_owned();
    assert!(cookie_header.contains("HttpOnly"), "{cookie_header}");
    assert!(cookie_header.contains("SameSite=Strict"), "{cookie_header}");
    let cookie = cookie_header.split(';').next().expect("cookie").to_owned();

    let page = request(port, "GET", "/processes", &[("cookie", &cookie)], b"");
    assert_eq!(page.status, 200);
    let html = page.text();
    let csrf = html
        .split("name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("csrf meta tag")
        .to_owned();
    assert_eq!(csrf.len(), 64);
    assert!(
        page.header("content-security-policy")
            .is_some_and(|c| c.contains("script-src 'self'"))
    );

    let forged = request(
        port,
        "POST",
        "/api/v1/processes/worker/stop",
        &[("cookie", &cookie)],
        b"",
    );
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert_eq!(forged.json()["error"]["code"], "csrf_failed");
    let wrong = request(
        port,
        "POST",
        "/dashboard/token",
        &[("cookie", &cookie), ("x-csrf-token", "0000")],
        b"",
    );
    assert_eq!(wrong.status, 403);
    let token = request(
        port,
        "POST",
        "/dashboard/token",
        &[("cookie", &cookie), ("x-csrf-token", &csrf)],
        b"",
    );
    assert_eq!(token.status, 200, "{}", token.text());
    assert!(token.json()["token"].as_str().is_some_and(|t| t.len() > 20));
    let anonymous = request(port, "POST", "/dashboard/token", &[], b"");
    assert_eq!(anonymous.status, 401);
    let reads = request(
        port,
        "GET",
        "/api/v1/processes",
        &[("cookie", &cookie)],
        b"",
    );
    assert_eq!(reads.status, 200, "{}", reads.text());

    let logout = request(
        port,
        "POST",
        "/logout",
        &[
            ("cookie", &cookie),
            ("content-type", "application/x-www-form-urlencoded"),
        ],
        format!("csrf={csrf}").as_bytes(),
    );
    assert_eq!(logout.status, 303);
    let after = request(port, "GET", "/processes", &[("cookie", &cookie)], b"");
    assert_eq!(after.status, 303, "the session outlived logout");
}

/// A user's own render frame through the REST API reaches a page as a
/// `render` frame, and a tera template escapes what it is given.
#[tokio::test]
async fn render_api_publishes_render_frames() {
    use asynchronio_e2e::WsClient;
    use asynchronio_protocol::{Codec, ServerFrame};
    let stack = stack().await;
    let port = stack.rest.port;
    let mut client = WsClient::connect(&stack.gateway.ws_url(), Codec::Json).await;
    client.subscribe("page.main", None).await;
    let auth = format!("Bearer {ADMIN_KEY}");
    let html = request(
        port,
        "POST",
        "/api/v1/channels/page.main/render",
        &[
            ("authorization", &auth),
            ("content-type", "application/json"),
        ],
        br#"{"target":"news","op":"append","html":"<li>hello</li>"}"#,
    );
    assert_eq!(html.status, 201, "{}", html.text());
    match client.frame().await {
        ServerFrame::Render { data, .. } => {
            assert_eq!(data["target"], "news");
            assert_eq!(data["op"], "append");
            assert_eq!(data["html"], "<li>hello</li>");
        }
        other => panic!("expected a render frame, got {other:?}"),
    }
    let bad = request(
        port,
        "POST",
        "/api/v1/channels/page.main/render",
        &[("authorization", &auth)],
        br##"{"target":"#news li","op":"replace","html":"x"}"##,
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["error"]["code"], "bad_target");
    // A user's tera template, rendered by rest-api with escaping.
    let templates = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        templates.path().join("news_item.html"),
        "<li id=\"n-{{ id }}\">{{ title }}</li>",
    )
    .expect("write template");
    // The database beside the templates: what is not a template is skipped.
    let database = format!(
        "sqlite://{}?mode=rwc",
        templates.path().join("api.db").display()
    );
    let templated = Service::rest_with_env(
        &stack._redis.url(),
        &database,
        ADMIN_KEY,
        &["--templates-dir", &templates.path().display().to_string()],
        &[],
    );
    let rendered = request(
        templated.port,
        "POST",
        "/api/v1/channels/page.main/render",
        &[("authorization", &auth)],
        br#"{"target":"news","op":"append","template":"news_item.html","context":{"id":7,"title":"<b>x</b>"}}"#,
    );
    assert_eq!(rendered.status, 201, "{}", rendered.text());
    match client.frame().await {
        ServerFrame::Render { data, .. } => {
            // Escaped by the template, then normalised by the sanitiser:
            // the title is text either way.
            assert_eq!(data["html"], "<li id=\"n-7\">&lt;b&gt;x&lt;/b&gt;</li>");
        }
        other => panic!("expected a render frame, got {other:?}"),
    }
    let unknown = request(
        templated.port,
        "POST",
        "/api/v1/channels/page.main/render",
        &[("authorization", &auth)],
        br#"{"target":"news","op":"append","template":"nope.html"}"#,
    );
    assert_eq!(unknown.status, 400);
    assert_eq!(unknown.json()["error"]["code"], "unknown_template");

    let sys = request(
        port,
        "POST",
        "/api/v1/channels/$sys:render:processes/render",
        &[("authorization", &auth)],
        br#"{"target":"x","op":"remove"}"#,
    );
    assert_eq!(sys.status, 403);
}
