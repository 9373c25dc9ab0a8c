//! Controlling the process manager from the `asynchronio` CLI and from
//! rest-api's `/api/v1/processes` endpoints, both through Redis only.

use std::process::Command;
use std::time::Duration;

use asynchronio_e2e::http::request;
use asynchronio_e2e::manager::wait_states;
use asynchronio_e2e::process::binary;
use asynchronio_e2e::{Manager, RedisServer, Service};
use asynchronio_protocol::process::ProcessStatus;

const ADMIN: &str = "admin-key-for-process-tests";

fn cli(redis: &RedisServer, args: &[&str]) -> (bool, String, String) {
    let output = Command::new(binary("asynchronio"))
        .arg("--redis-url")
        .arg(redis.url())
        .args(args)
        .output()
        .expect("run asynchronio");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_cli_controls_processes_and_channels() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let _manager = Manager::start(
        &redis.url(),
        "[process.talker]\ncommand = \"sh\"\nargs = [\"-c\", \"echo ready to talk; exec sleep 1000\"]\n",
    );
    wait_states(&bus, Duration::from_secs(10), "talker running", |s| {
        s.iter()
            .any(|s| s.name == "talker" && s.status == ProcessStatus::Running)
    })
    .await;

    let (ok, out, err) = cli(&redis, &["ps", "--json"]);
    assert!(ok, "{err}");
    let line: serde_json::Value =
        serde_json::from_str(out.lines().next().expect("a line")).expect("json");
    for field in [
        "name",
        "instance",
        "pid",
        "status",
        "restarts",
        "uptime_ms",
        "cpu_percent",
        "rss_bytes",
    ] {
        assert!(line.get(field).is_some(), "ps --json lacks {field}: {line}");
    }
    assert_eq!(line["status"], "running");

    let (ok, out, err) = cli(&redis, &["scale", "talker", "3"]);
    assert!(ok, "{err}");
    assert!(out.contains("from 1 to 3"), "{out}");
    let (_, out, _) = cli(&redis, &["ps"]);
    assert_eq!(out.matches("running").count(), 3, "{out}");

    let (ok, out, err) = cli(&redis, &["stop", "talker"]);
    assert!(ok && out.contains("stopped"), "{out}{err}");
    let (ok, _, err) = cli(&redis, &["restart", "nosuch"]);
    assert!(!ok && err.contains("no program named \"nosuch\""), "{err}");

    let (ok, out, _) = cli(&redis, &["logs", "talker"]);
    assert!(ok && out.contains("ready to talk"), "{out}");

    let (ok, out, err) = cli(&redis, &["publish", "news", "{\"title\":\"hi\"}"]);
    assert!(
        ok && out.contains("offset 00000000000000000001"),
        "{out}{err}"
    );
    let (ok, out, _) = cli(&redis, &["history", "news", "--json"]);
    assert!(ok);
    let history: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(history[0]["data"]["title"], "hi");
    let (ok, _, err) = cli(&redis, &["publish", "bad{name}", "x"]);
    assert!(!ok && err.contains("channel name"), "{err}");
}

#[tokio::test]
async fn rest_api_controls_processes_through_redis() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let database = format!("sqlite://{}?mode=rwc", dir.path().join("api.db").display());
    let rest = Service::rest(&redis.url(), &database, ADMIN, &[]);
    let auth = format!("Bearer {ADMIN}");
    let headers = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];

    // No manager yet: a clear 503.
    let response = request(
        rest.port,
        "POST",
        "/api/v1/processes/web/stop",
        &headers,
        b"",
    );
    assert_eq!(response.status, 503, "{}", response.text());
    assert!(
        response.text().contains("asynchronio up"),
        "{}",
        response.text()
    );

    let _manager = Manager::start(
        &redis.url(),
        "[process.web]\ncommand = \"sh\"\nargs = [\"-c\", \"echo serving; exec sleep 1000\"]\n",
    );
    wait_states(&bus, Duration::from_secs(10), "web running", |s| {
        s.iter()
            .any(|s| s.name == "web" && s.status == ProcessStatus::Running)
    })
    .await;

    let anonymous = request(rest.port, "GET", "/api/v1/processes", &[], b"");
    assert_eq!(anonymous.status, 401);
    let listed = request(rest.port, "GET", "/api/v1/processes", &headers, b"").json();
    assert_eq!(listed["processes"][0]["name"], "web");
    assert!(listed["manager"].is_string());

    let stopped = request(
        rest.port,
        "POST",
        "/api/v1/processes/web/stop",
        &headers,
        b"",
    );
    assert_eq!(stopped.status, 200, "{}", stopped.text());
    // The manager writes states in batches every few milliseconds.
    wait_states(&bus, Duration::from_secs(2), "web stopped", |s| {
        s.iter()
            .all(|s| s.name == "web" && s.status == ProcessStatus::Stopped)
    })
    .await;

    let scaled = request(
        rest.port,
        "POST",
        "/api/v1/processes/web/scale",
        &headers,
        br#"{"instances":2}"#,
    );
    assert_eq!(scaled.status, 200, "{}", scaled.text());
    let started = request(
        rest.port,
        "POST",
        "/api/v1/processes/web/start",
        &headers,
        b"",
    );
    assert_eq!(started.status, 200, "{}", started.text());
    wait_states(&bus, Duration::from_secs(10), "2 web running", |s| {
        s.iter()
            .filter(|s| s.name == "web" && s.status == ProcessStatus::Running)
            .count()
            == 2
    })
    .await;
    let unknown = request(
        rest.port,
        "POST",
        "/api/v1/processes/nope/restart",
        &headers,
        b"",
    );
    assert_eq!(unknown.status, 422, "{}", unknown.text());
    let bad = request(
        rest.port,
        "POST",
        "/api/v1/processes/web/explode",
        &headers,
        b"",
    );
    assert_eq!(bad.status, 404);

    let logs = request(
        rest.port,
        "GET",
        "/api/v1/processes/web/logs?limit=10",
        &headers,
        b"",
    )
    .json();
    assert!(
        logs["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .any(|l| l["line"] == "serving"),
        "{logs}"
    );
    let pipelines = request(rest.port, "GET", "/api/v1/pipelines", &headers, b"").json();
    assert_eq!(pipelines["stages"], serde_json::json!([]));
}

#[tokio::test]
async fn process_events_reach_an_admin_websocket_client_live() {
    use asynchronio_protocol::Codec;
    use asynchronio_protocol::token::{Claims, TokenKeys, now_secs};

    const SECRET: &str = "secret-for-process-events";
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let gateway =
        Service::gateway_with_env(&redis.url(), &[], &[("ASYNCHRONIO_TOKEN_SECRET", SECRET)]);
    let _manager = Manager::start(
        &redis.url(),
        "[process.svc]\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    );
    wait_states(&bus, Duration::from_secs(10), "svc running", |s| {
        s.iter()
            .any(|s| s.name == "svc" && s.status == ProcessStatus::Running)
    })
    .await;
    let token = TokenKeys::hs256(SECRET.as_bytes())
        .expect("keys")
        .sign(&Claims {
            sub: "ops".into(),
            exp: now_secs() + 300,
            iat: now_secs(),
            subscribe: vec!["*".into()],
            publish: vec![],
            admin: true,
            ..Default::default()
        })
        .expect("sign");
    let mut ops = asynchronio_e2e::WsClient::connect(
        &format!("{}?token={token}", gateway.ws_url()),
        Codec::Json,
    )
    .await;
    ops.subscribe("$sys:processes", None).await;
    assert!(
        bus.send_process_command(
            asynchronio_protocol::process::ProcessAction::Stop { name: "svc".into() },
            "test",
            Duration::from_secs(30)
        )
        .await
        .expect("stop")
        .ok
    );
    let mut seen = Vec::new();
    while !seen.contains(&"stopped".to_owned()) {
        let (channel, _, _, data) = ops.message().await;
        assert_eq!(channel, "$sys:processes");
        assert_eq!(data["name"], "svc");
        seen.push(data["status"].as_str().unwrap_or_default().to_owned());
    }
    // The states hash is written before the start's events are published,
    // so under load those may still arrive after the subscription.
    seen.retain(|status| status != "starting" && status != "running");
    assert_eq!(seen, vec!["stopping", "stopped"]);

    // Anonymous clients cannot watch system channels.
    let mut anonymous = asynchronio_e2e::WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    let id = anonymous.next_id();
    anonymous
        .send(&asynchronio_protocol::ClientFrame::Subscribe {
            id: Some(id),
            channel: "$sys:processes".into(),
            since: None,
            presence: false,
        })
        .await;
    match anonymous.frame().await {
        asynchronio_protocol::ServerFrame::Error { .. } => {}
        other => panic!("anonymous client got {other:?}"),
    }
}

#[tokio::test]
async fn reload_applies_a_changed_configuration() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let manager = Manager::start(
        &redis.url(),
        "[process.a]\ncommand = \"sleep\"\nargs = [\"1000\"]\n\n[process.b]\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    );
    let before = wait_states(&bus, Duration::from_secs(10), "a and b running", |s| {
        s.iter()
            .filter(|s| s.status == ProcessStatus::Running)
            .count()
            == 2
    })
    .await;
    let a_pid = before.iter().find(|s| s.name == "a").and_then(|s| s.pid);
    // b removed, c added, a unchanged.
    std::fs::write(
        manager.path("asynchronio.toml"),
        "[process.a]\ncommand = \"sleep\"\nargs = [\"1000\"]\n\n[process.c]\ncommand = \"sleep\"\nargs = [\"2000\"]\ninstances = 2\n",
    )
    .expect("rewrite");
    let (ok, out, err) = cli(&redis, &["reload"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("1 added") && out.contains("1 removed"),
        "{out}"
    );
    let after = wait_states(
        &bus,
        Duration::from_secs(10),
        "a and two c running, b gone",
        |s| {
            s.iter()
                .filter(|s| s.name == "c" && s.status == ProcessStatus::Running)
                .count()
                == 2
                && !s.iter().any(|s| s.name == "b")
        },
    )
    .await;
    assert_eq!(
        after.iter().find(|s| s.name == "a").and_then(|s| s.pid),
        a_pid,
        "a untouched"
    );

    // A broken file is refused with its line; nothing changes.
    std::fs::write(
        manager.path("asynchronio.toml"),
        "[process.a]\ncommand = 3\n",
    )
    .expect("rewrite");
    let (ok, _, err) = cli(&redis, &["reload"]);
    assert!(!ok && err.contains("line 2"), "{err}");
    assert_eq!(bus.process_states().await.expect("states").len(), 3);
}

#[tokio::test]
async fn ps_watch_prints_changes_as_they_happen() {
    use std::io::BufRead;
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let _manager = Manager::start(
        &redis.url(),
        "[process.w]\ncommand = \"sleep\"\nargs = [\"1000\"]\n",
    );
    wait_states(&bus, Duration::from_secs(10), "w running", |s| {
        s.iter()
            .any(|s| s.name == "w" && s.status == ProcessStatus::Running)
    })
    .await;
    let mut watcher = Command::new(binary("asynchronio"))
        .arg("--redis-url")
        .arg(redis.url())
        .args(["ps", "--watch", "--json"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start ps --watch");
    let stdout = watcher.stdout.take().expect("stdout");
    // Each line is one state change; collect (status, pid) until the
    // restarted instance runs under a new pid.
    let (tx, rx) = std::sync::mpsc::channel::<(String, Option<u64>)>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let value: serde_json::Value = serde_json::from_str(&line).expect("json line");
            let status = value["status"].as_str().unwrap_or_default().to_owned();
            if tx.send((status, value["pid"].as_u64())).is_err() {
                break;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let old_pid = bus.process_states().await.expect("states")[0].pid;
    let (ok, _, err) = cli(&redis, &["restart", "w"]);
    assert!(ok, "{err}");
    let events = tokio::task::spawn_blocking(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut events = Vec::new();
        while let Ok(event) =
            rx.recv_timeout(deadline.saturating_duration_since(std::time::Instant::now()))
        {
            let done =
                event.0 == "running" && event.1.is_some() && event.1 != old_pid.map(u64::from);
            events.push(event);
            if done {
                break;
            }
        }
        events
    })
    .await
    .expect("join");
    let _ = watcher.kill();
    let _ = watcher.wait();
    let statuses: Vec<&str> = events.iter().map(|(s, _)| s.as_str()).collect();
    let stopping = statuses.iter().position(|s| *s == "stopping");
    let starting = statuses.iter().rposition(|s| *s == "starting");
    assert!(
        stopping.is_some() && starting > stopping && statuses.last() == Some(&"running"),
        "expected stopping, then starting, then running under a new pid: {events:?}"
    );

    // One instance: a number it does not have is refused, saying how many
    // it runs; instance 0 restarts under a new pid.
    let (ok, _, err) = cli(&redis, &["restart", "w", "--instance", "5"]);
    assert!(
        !ok && err.contains("no instance 5") && err.contains("it runs 1"),
        "{err}"
    );
    let before = bus.process_states().await.expect("states")[0].pid;
    let (ok, out, err) = cli(&redis, &["restart", "w", "--instance", "0"]);
    assert!(ok && out.contains("w instance 0"), "{out}{err}");
    let after = bus.process_states().await.expect("states")[0].pid;
    assert!(
        after.is_some() && after != before,
        "{before:?} -> {after:?}"
    );
}
