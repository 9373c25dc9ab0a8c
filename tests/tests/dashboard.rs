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
args = ["-c", "echo 'worker says {EVIL}'; printf '\\033[2m2026-12-01T10:00:00Z\\033[0m \\033[32m INFO\\033[0m worker: \\033[1;31mhot <script>window.pwned=3</script>\\033]0;title\\007\\033[0m\\n'; printf 'WARN disk nearly full, needle\\n' >&2; exec sleep 1000"]
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
    // From the top: a whole-page capture of a scrolled page would draw the
    // sticky header where the window was.
    page.eval("window.scrollTo(0, 0); true").await;
    for dir in screenshot_dirs() {
        page.screenshot(&dir.join(format!("{name}.png"))).await;
    }
}

/// The page at phone size (390 × 844): a screenshot `{name}-390`, and no
/// element wider than the window; then back to 1280 × 900.
async fn at_phone_size(page: &mut Page, name: &str) {
    page.viewport(390, 844).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    shoot(page, &format!("{name}-390")).await;
    let wide = page
        .eval("[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().width > window.innerWidth + 1).map((e) => e.tagName + (e.id ? '#' + e.id : '') + (e.className?.baseVal ?? e.className ? '.' + (e.className?.baseVal ?? e.className) : ''))")
        .await;
    assert_eq!(
        wide,
        serde_json::json!([]),
        "elements wider than 390 px on {name}"
    );
    page.viewport(1280, 900).await;
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
    page.log_in(port, ADMIN_KEY, "/processes", "/processes")
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

/// The worker's ANSI-coloured line shows coloured, without an escape
/// character, its markup as text, and its level is read from its words (not
/// from its stream); the level filter and the search hide other lines.
async fn log_tail_reads_like_a_terminal(page: &mut Page, rest_port: u16) {
    page.wait_for(
        "document.getElementById('log-lines').textContent.includes('needle')",
        Duration::from_secs(10),
        "the worker's ANSI and stderr lines in the log tail",
    )
    .await;
    let seen = page
        .eval(
            r#"(() => {
  const lines = document.getElementById('log-lines');
  const line = (text) => [...lines.querySelectorAll('.line')].find((l) => l.textContent.includes(text));
  const hot = [...lines.querySelectorAll('span.ansi-fg-1')].find((s) => s.textContent === 'hot <script>window.pwned=3</script>');
  return {
    escapes: /[\x00-\x08\x0b-\x1f\x7f]|\[0m|\[32m|title/.test(lines.textContent),
    hot: hot ? [getComputedStyle(hot).color, hot.classList.contains('ansi-bold')] : null,
    green: getComputedStyle(lines.querySelector('span.ansi-fg-2')).color,
    info: line('hot <script>').dataset.level,
    warn: [line('needle').dataset.level, getComputedStyle(line('needle')).color],
    plain: line('worker says').dataset.level,
    time: /^\d\d:\d\d:\d\d\.\d{3}$/.test(line('needle').querySelector('time').textContent),
    injected: lines.querySelectorAll('script').length + (window.pwned || 0),
  };
})()"#,
        )
        .await;
    assert_eq!(
        seen,
        serde_json::json!({
            "escapes": false,
            "hot": ["rgb(255, 123, 114)", true],
            "green": "rgb(126, 231, 135)",
            "info": "info",
            "warn": ["warn", "rgb(245, 194, 107)"],
            "plain": "none",
            "time": true,
            "injected": 0,
        }),
        "the log tail's reading of ANSI and levels"
    );
    let visible = "[...document.querySelectorAll('#log-lines .line')].filter((l) => !l.hidden).map((l) => l.dataset.level + ':' + l.textContent.includes('needle'))";
    page.eval("(() => { const s = document.getElementById('log-level'); s.value = 'warn'; s.dispatchEvent(new Event('change')); return true; })()")
        .await;
    let warn_and_above = page.eval(visible).await;
    assert!(
        warn_and_above
            .as_array()
            .is_some_and(|lines| !lines.is_empty() && lines.iter().all(|l| l == "warn:true")),
        "only warnings stay at 'warn and above': {warn_and_above}"
    );
    page.eval("(() => { const s = document.getElementById('log-level'); s.value = 'all'; s.dispatchEvent(new Event('change')); const q = document.getElementById('log-search'); q.value = 'NEEDLE'; q.dispatchEvent(new Event('input')); return true; })()")
        .await;
    let searched = page.eval(visible).await;
    assert!(
        searched
            .as_array()
            .is_some_and(|lines| !lines.is_empty() && lines.iter().all(|l| l == "warn:true")),
        "the search keeps only the lines holding it: {searched}"
    );
    page.eval("(() => { const q = document.getElementById('log-search'); q.value = ''; q.dispatchEvent(new Event('input')); return true; })()")
        .await;
    // Scrolled up, the view stays where the reader is while new lines
    // come, and a button says how many wait below; it follows again from
    // there.
    let scrollable = page
        .eval("(() => { const l = document.getElementById('log-lines'); l.style.height = '60px'; l.scrollTop = 0; return l.scrollHeight > l.clientHeight; })()")
        .await;
    assert_eq!(scrollable, serde_json::Value::Bool(true));
    let restarted = asynchronio_e2e::http::request(
        rest_port,
        "POST",
        "/api/v1/processes/worker/restart",
        &[("authorization", &format!("Bearer {ADMIN_KEY}"))],
        b"",
    );
    assert_eq!(restarted.status, 200, "{}", restarted.text());
    page.wait_for(
        "!document.getElementById('log-follow').hidden && /^\\d+ new lines?: follow$/.test(document.getElementById('log-follow').textContent) && document.getElementById('log-lines').scrollTop === 0",
        Duration::from_secs(15),
        "new lines waiting below a reader who scrolled up",
    )
    .await;
    click(page, "#log-follow").await;
    page.wait_for(
        "(() => { const l = document.getElementById('log-lines'); return document.getElementById('log-follow').hidden && l.scrollHeight - l.scrollTop - l.clientHeight < 8; })()",
        Duration::from_secs(5),
        "the view following new lines again",
    )
    .await;
    page.eval("(() => { document.getElementById('log-lines').style.height = ''; return true; })()")
        .await;
}

/// Clicks the element `selector` names as a mouse would: it takes the focus,
/// then gets the click.
async fn click(page: &mut Page, selector: &str) {
    let clicked = page
        .eval(&format!(
            "(() => {{ const b = document.querySelector({selector:?}); if (!b) return false; b.focus(); b.dispatchEvent(new MouseEvent('click', {{bubbles: true, cancelable: true}})); return true; }})()"
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
    click(&mut page, "#prog-worker button[data-action=stop]").await;
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
    // The row was re-rendered, and the focus is still on it; a stopped
    // program shows no figures that look live.
    page.wait_for(
        "document.activeElement.closest('tr')?.id === 'prog-worker' && ['#prog-worker', '#proc-worker-0'].every((row) => [...document.querySelectorAll(row + ' td.num')].slice(3).every((td) => td.textContent.trim() === '–'))",
        Duration::from_secs(5),
        "the focus kept on the acted-on row, and '–' for uptime, CPU and memory",
    )
    .await;
    click(&mut page, "#prog-worker button[data-action=start]").await;
    page.wait_for(
        "document.querySelector('#proc-worker-0.status-running')",
        Duration::from_secs(15),
        "the row to change back to running",
    )
    .await;
    // Restart asks first; Cancel restarts nothing.
    click(&mut page, "#prog-demo button[data-action=restart]").await;
    page.wait_for(
        "document.getElementById('confirm-dialog').open && document.getElementById('confirm-text').textContent === 'Restart every instance of demo?' && document.getElementById('confirm-impact').hidden",
        Duration::from_secs(5),
        "the restart confirmation",
    )
    .await;
    click(&mut page, "#confirm-dialog button[data-close]").await;
    page.wait_for(
        "!document.getElementById('confirm-dialog').open",
        Duration::from_secs(5),
        "the dialog closed by Cancel",
    )
    .await;
    click(&mut page, "#prog-worker button[data-action=scale]").await;
    page.eval("document.getElementById('scale-count').value = '2'; true")
        .await;
    // Enter in the dialog scales (its primary action), it does not cancel.
    page.press_enter("#scale-count").await;
    page.wait_for(
        "document.querySelector('#proc-worker-1.status-running')",
        Duration::from_secs(15),
        "a second worker row after scaling to 2",
    )
    .await;
    // One row per program; its instances show when it is expanded, each
    // with its own restart.
    let hidden = page
        .eval("[...document.querySelectorAll('#process-rows tr.instance')].every((r) => r.hidden) && document.querySelectorAll('#process-rows tr.program').length === 4")
        .await;
    assert_eq!(
        hidden,
        serde_json::Value::Bool(true),
        "instances collapsed under one row per program"
    );
    click(&mut page, "#prog-worker button[data-action=expand]").await;
    page.wait_for(
        "!document.getElementById('proc-worker-0').hidden && !document.getElementById('proc-worker-1').hidden && document.getElementById('proc-demo-0').hidden && document.getElementById('prog-worker').textContent.includes('2/2')",
        Duration::from_secs(5),
        "worker's two instances shown",
    )
    .await;
    let pids = "[0, 1].map((i) => document.querySelector(`#proc-worker-${i} td:nth-child(3)`).textContent).join(',')";
    let before = page.eval(pids).await;
    click(
        &mut page,
        "#proc-worker-1 button[data-action=restart-instance]",
    )
    .await;
    click(&mut page, "#confirm-ok").await;
    page.wait_for(
        &format!(
            "(() => {{ const [zero, one] = ({pids}).split(','); const [was0, was1] = {before}.split(','); return zero === was0 && one !== was1 && one !== '–' && document.querySelector('#proc-worker-1.status-running') && !document.getElementById('proc-worker-1').hidden; }})()"
        ),
        Duration::from_secs(15),
        "instance 1 restarted alone, still shown",
    )
    .await;
    // A refused action says why next to the program's actions, and keeps
    // saying it when the row is drawn again.
    page.eval("(() => { const b = document.createElement('button'); b.id = 'bogus'; b.dataset.action = 'restart-instance'; b.dataset.name = 'worker'; b.dataset.instance = '9'; document.querySelector('#prog-worker td.actions').append(b); return true; })()")
        .await;
    click(&mut page, "#bogus").await;
    click(&mut page, "#confirm-ok").await;
    page.wait_for(
        "document.querySelector('#prog-worker td.actions .field-error')?.textContent.includes('no instance 9')",
        Duration::from_secs(10),
        "the refusal next to worker's actions",
    )
    .await;
    // Sparklines of CPU and memory in the program rows.
    page.wait_for(
        "document.querySelector('#prog-demo td.cpu svg.spark') && document.querySelector('#prog-demo td.rss svg.spark')",
        Duration::from_secs(5),
        "CPU and memory sparklines",
    )
    .await;

    // The log tail shows what the worker printed, as text.
    click(&mut page, "#prog-worker button[data-action=logs]").await;
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
    log_tail_reads_like_a_terminal(&mut page, stack.rest.port).await;
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
    // No element wider than the viewport; each process row a card with its
    // name and its actions in view together; touch targets of 44 px; the
    // header on at most two lines.
    let phone = page
        .eval(
            r#"(() => {
  const width = window.innerWidth;
  const wide = [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().width > width + 1)
    .map((e) => e.tagName + (e.id ? '#' + e.id : ''));
  const rows = [...document.querySelectorAll('#process-rows tr.program, #process-rows tr.instance:not([hidden])')].filter((row) => {
    const name = row.querySelector('td.name').getBoundingClientRect();
    const actions = [...row.querySelectorAll('td.actions button')].map((b) => b.getBoundingClientRect());
    const inView = (r) => r.left >= 0 && r.right <= width + 1 && r.width > 0;
    return !(inView(name) && actions.length > 0 && actions.every(inView)
      && Math.max(...actions.map((a) => a.bottom)) - name.top < 200);
  }).map((row) => row.id);
  const small = [...document.querySelectorAll('button, select, input, header nav a')]
    .filter((e) => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
    .map((e) => e.id || e.textContent.trim());
  const header = document.querySelector('header.top').getBoundingClientRect().height;
  return { wide, rows, small, compactHeader: header < 130 };
})()"#,
        )
        .await;
    assert_eq!(
        phone,
        serde_json::json!({"wide": [], "rows": [], "small": [], "compactHeader": true}),
        "the processes page at 390 px"
    );
    page.viewport(1280, 900).await;

    // The gateway goes away: the page says so, greys out what may be stale,
    // then recovers by itself and shows what changed meanwhile.
    stack.gateway.kill();
    page.wait_for(
        "document.getElementById('connection').dataset.state === 'reconnecting'",
        Duration::from_secs(10),
        "the page to show the lost connection",
    )
    .await;
    page.wait_for(
        "document.body.dataset.live === 'stale' && Number(getComputedStyle(document.querySelector('#process-rows').closest('.live-region')).opacity) < 0.6 && /^last update \\d+ s ago$/.test(document.querySelector('.live-region').dataset.stale)",
        Duration::from_secs(2),
        "the processes table greyed out with its age within 2 s",
    )
    .await;
    let sticky = page
        .eval("getComputedStyle(document.querySelector('header.top')).position")
        .await;
    assert_eq!(sticky, "sticky", "the header with the badge scrolls away");
    let stopped = asynchronio_e2e::http::request(
        stack.rest.port,
        "POST",
        "/api/v1/processes/demo/stop",
        &[("authorization", &format!("Bearer {ADMIN_KEY}"))],
        b"",
    );
    assert_eq!(stopped.status, 200, "{stopped:?}");
    let redis_url = stack._redis.url();
    stack.gateway = gateway(&redis_url, stack.gateway_port);
    live(&mut page).await;
    page.wait_for(
        "document.querySelector('#proc-demo-0.status-stopped') && document.body.dataset.live === undefined && !document.querySelector('.live-region[data-stale]') && document.getElementById('toast').textContent.includes('reconnected')",
        Duration::from_secs(10),
        "the demo stopped while the gateway was down, shown live again",
    )
    .await;
    let started = asynchronio_e2e::http::request(
        stack.rest.port,
        "POST",
        "/api/v1/processes/demo/start",
        &[("authorization", &format!("Bearer {ADMIN_KEY}"))],
        b"",
    );
    assert_eq!(started.status, 200, "{started:?}");
    page.wait_for(
        "document.querySelector('#proc-demo-0.status-running')",
        Duration::from_secs(10),
        "the demo running again",
    )
    .await;
    click(&mut page, "#prog-worker button[data-action=stop]").await;
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
    // The channel input's pattern compiles (Chrome's v flag) and checks.
    let validity = page
        .eval("(() => { const input = document.getElementById('series-channel'); const was = input.value; const check = (v) => { input.value = v; return input.checkValidity(); }; const seen = [check('a.b:c@d/e=f$g-h_i'), check('bad name'), check('x{y}')]; input.value = was; return seen; })()")
        .await;
    assert_eq!(
        validity,
        serde_json::json!([true, false, false]),
        "the channel pattern"
    );
    // The last minutes came from history: points older than the page.
    let from_history = page
        .eval("Number(document.getElementById('chart').dataset.oldest) < performance.timeOrigin - 1000")
        .await;
    assert_eq!(
        from_history,
        serde_json::Value::Bool(true),
        "no point from before the page was opened"
    );
    // Ticks are nice numbers (steps of 1, 2 or 5 × 10^k), and no rate is
    // drawn below zero.
    let axes = page
        .eval(
            r#"(() => {
  const chart = window.dashboardChart;
  const nice = (axis) => {
    const ticks = (chart.scales[axis]?.ticks ?? []).map((t) => t.value);
    if (ticks.length < 2) return true;
    const step = ticks[1] - ticks[0];
    const mantissa = step / 10 ** Math.floor(Math.log10(step));
    return [1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-9)
      && ticks.every((t) => Math.abs(t / step - Math.round(t / step)) < 1e-6);
  };
  const rates = chart.data.datasets.filter((d) => d.yAxisID === 'rate').flatMap((d) => d.data.map((p) => p.y));
  return { rate: nice('rate'), value: nice('value'), rateMin: chart.scales.rate ? chart.scales.rate.min >= 0 : true, negative: rates.some((y) => y < 0) };
})()"#,
        )
        .await;
    assert_eq!(
        axes,
        serde_json::json!({"rate": true, "value": true, "rateMin": true, "negative": false}),
        "the chart's axes"
    );
    // The plotted channel and a hidden series stay in the address, and a
    // reload shows the same.
    page.eval("(() => { const box = [...document.querySelectorAll('#legend label')].find((l) => l.textContent.includes('demo.metrics.sine')).querySelector('input'); box.click(); return true; })()")
        .await;
    let address = page.eval("location.search").await;
    assert_eq!(
        address, "?plot=demo.metrics&hide=demo.metrics.sine",
        "the chart's address"
    );
    page.goto(&format!(
        "http://127.0.0.1:{port}/charts?plot=demo.metrics&hide=demo.metrics.sine"
    ))
    .await;
    live(&mut page).await;
    page.wait_for(
        "(() => { const l = [...document.querySelectorAll('#legend label')].find((l) => l.textContent.includes('demo.metrics.sine')); return l && !l.querySelector('input').checked; })()",
        Duration::from_secs(5),
        "the hidden series still hidden after a reload",
    )
    .await;
    // A channel that cannot be read (over 255 bytes, yet matching the
    // pattern): the answer shows next to the input.
    page.eval("(() => { document.getElementById('series-channel').value = 'a'.repeat(300); document.querySelector('#add-series button').click(); return true; })()")
        .await;
    page.wait_for(
        "document.getElementById('series-error').textContent.includes('the limit is 255')",
        Duration::from_secs(5),
        "the refusal next to the series input",
    )
    .await;
    page.eval("(() => { document.getElementById('series-channel').value = 'demo.metrics'; document.querySelector('#add-series button').click(); return true; })()")
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    shoot(&mut page, "charts").await;
    at_phone_size(&mut page, "charts").await;

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
    page.wait_for(
        "document.querySelector('#flow [data-stage=shout] .sparkline') && document.getElementById('stage-figures').textContent.startsWith('healthok') && !document.querySelector('#flow .node.failing, #flow .node.degraded')",
        Duration::from_secs(10),
        "a healthy stage's health and its last-minute sparkline",
    )
    .await;
    shoot(&mut page, "flowchart").await;
    at_phone_size(&mut page, "flowchart").await;

    // A message the stage cannot handle (a number, for upper.py): the stage
    // turns red, and its dead letter can be read, replayed and deleted.
    let published = asynchronio_e2e::http::request(
        stack.rest.port,
        "POST",
        "/api/v1/channels/orders/messages",
        &[
            ("authorization", &format!("Bearer {ADMIN_KEY}")),
            ("content-type", "application/json"),
        ],
        b"42",
    );
    assert_eq!(published.status, 201, "{}", published.text());
    page.wait_for(
        "document.querySelector('#flow .node.stage.failing[data-stage=shout]') && document.querySelector('#dead-rows tr[data-id]')?.textContent.includes('expected a string')",
        Duration::from_secs(20),
        "the failing stage in red, and its dead letter listed",
    )
    .await;
    let first = page
        .eval("document.querySelector('#dead-rows tr[data-id]').dataset.id")
        .await;
    click(&mut page, "#dead-rows tr[data-id] button[data-dead=show]").await;
    page.wait_for(
        "!document.querySelector('#dead-rows tr.dead-full').hidden && document.querySelector('#dead-rows tr.dead-full pre').textContent === '42'",
        Duration::from_secs(5),
        "the dead letter shown in full",
    )
    .await;
    shoot(&mut page, "flowchart-dead-letters").await;
    click(&mut page, "#dead-rows tr[data-id] button[data-dead=replay]").await;
    page.wait_for(
        &format!(
            "document.getElementById('dead-result').textContent.includes('replaying 1 dead letter') && document.querySelector('#dead-rows tr[data-id]') && document.querySelector('#dead-rows tr[data-id]').dataset.id !== {first}"
        ),
        Duration::from_secs(20),
        "the replay, failing again as a new dead letter",
    )
    .await;
    click(&mut page, "#dead-rows tr[data-id] button[data-dead=delete]").await;
    page.wait_for(
        "!document.querySelector('#dead-rows tr[data-id]') && !document.getElementById('dead-empty').hidden",
        Duration::from_secs(10),
        "no dead letter left",
    )
    .await;
    // The stage panel's own actions: scale (Enter in the field), a
    // restart confirmed by a second click, and the stage's logs.
    page.eval(
        "(() => { document.getElementById('stage-scale-count').value = '2'; return true; })()",
    )
    .await;
    page.press_enter("#stage-scale-count").await;
    page.wait_for(
        "document.querySelectorAll('#stage-processes tr').length === 2",
        Duration::from_secs(15),
        "shout scaled to 2 from its panel",
    )
    .await;
    page.eval(
        "(() => { document.getElementById('stage-scale-count').value = '1'; return true; })()",
    )
    .await;
    page.press_enter("#stage-scale-count").await;
    page.wait_for(
        "document.querySelectorAll('#stage-processes tr').length === 1",
        Duration::from_secs(15),
        "shout scaled back to 1",
    )
    .await;
    click(&mut page, "#stage-restart").await;
    let armed = page
        .eval("document.getElementById('stage-restart').textContent")
        .await;
    assert_eq!(armed, "Click again to restart");
    click(&mut page, "#stage-restart").await;
    page.wait_for(
        "document.getElementById('stage-result').textContent.includes('shout')",
        Duration::from_secs(15),
        "the restart's answer",
    )
    .await;
    let logs = page
        .eval("document.getElementById('stage-logs').getAttribute('href')")
        .await;
    assert_eq!(logs, "/processes?logs=shout");
    // A channel node opens that channel's recent messages.
    click(&mut page, "#flow [data-channel=\"orders\"]").await;
    page.wait_for(
        "location.pathname === '/channels' && document.getElementById('recent-channel').textContent === 'on orders' && document.readyState === 'complete'",
        Duration::from_secs(10),
        "the orders channel's recent messages",
    )
    .await;

    // Channels: publish through the form; the message shows as text.
    page.goto(&format!("http://127.0.0.1:{port}/channels"))
        .await;
    live(&mut page).await;
    // A bare word is not JSON: the form says strings need quotes, next to it.
    page.eval("document.getElementById('publish-channel').value = 'orders'; document.getElementById('publish-data').value = 'hello'; document.querySelector('#publish button').click(); true")
        .await;
    page.wait_for(
        "document.getElementById('publish-result').textContent.includes('strings need quotes, as in \"hello\"')",
        Duration::from_secs(5),
        "the quoting hint under the publish form",
    )
    .await;
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
    // Data shows as JSON: a string keeps its quotes; objects pretty-print
    // on demand.
    page.eval("document.getElementById('publish-data').value = '\"plain words\"'; document.querySelector('#publish button').click(); true")
        .await;
    page.wait_for(
        "[...document.querySelectorAll('#recent code.data')].some((c) => c.textContent === '\"plain words\"')",
        Duration::from_secs(10),
        "a string message shown with its quotes",
    )
    .await;
    page.eval("(() => { const b = [...document.querySelectorAll('#recent button.link')][0]; b.click(); return true; })()")
        .await;
    page.wait_for(
        "document.querySelector('#recent pre.data')?.textContent.includes('\\n')",
        Duration::from_secs(5),
        "an object pretty-printed on demand",
    )
    .await;
    // The search narrows the table; selecting another channel moves the
    // publish target only because it still named the selection, and says so.
    page.eval("(() => { const q = document.getElementById('channel-search'); q.value = 'UPPER'; q.dispatchEvent(new Event('input')); return true; })()")
        .await;
    let visible = page
        .eval("[...document.querySelectorAll('#channel-rows tr[data-channel]')].filter((r) => !r.hidden).map((r) => r.dataset.channel)")
        .await;
    assert_eq!(visible, serde_json::json!(["orders.upper"]), "the search");
    click(
        &mut page,
        "#channel-rows button[data-channel=\"orders.upper\"]",
    )
    .await;
    page.wait_for(
        "document.getElementById('publish-channel').value === 'orders.upper' && document.getElementById('publish-result').textContent === 'Publishing to orders.upper now.'",
        Duration::from_secs(5),
        "the publish target following the selection, said aloud",
    )
    .await;
    page.eval("(() => { document.getElementById('publish-channel').value = 'mine'; const q = document.getElementById('channel-search'); q.value = ''; q.dispatchEvent(new Event('input')); return true; })()")
        .await;
    click(&mut page, "#channel-rows button[data-channel=\"orders\"]").await;
    page.wait_for(
        "document.getElementById('recent-channel').textContent === 'on orders'",
        Duration::from_secs(5),
        "orders selected",
    )
    .await;
    let kept = page
        .eval("document.getElementById('publish-channel').value")
        .await;
    assert_eq!(kept, "mine", "the publish target changed silently");
    // Selected one right after the other: only the last one's messages.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mixed = page
        .eval("[...document.querySelectorAll('#recent code.data')].filter((c) => c.textContent === c.textContent.toUpperCase() && /[A-Z]/.test(c.textContent)).length")
        .await;
    assert_eq!(
        mixed,
        serde_json::json!(0),
        "orders.upper's messages in the orders list"
    );
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
    at_phone_size(&mut page, "channels").await;

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
    assert_eq!(login.header("location"), Some("/nodes"));
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
