//! The process manager and the `asynchronio` CLI against hostile (or just
//! unlucky) programs and set-ups: the default stack on an external Redis,
//! processors publishing outside their declared outputs, output lines of
//! hundreds of megabytes, non-UTF-8 answers and a processor that closes its
//! stdout.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use asynchronio_bus::Bus;
use asynchronio_e2e::manager::{memory_kb, wait_states};
use asynchronio_e2e::process::binary;
use asynchronio_e2e::{Manager, RedisServer, Service, Watch, WsClient, free_port};
use asynchronio_protocol::process::{PROCESSES_CHANNEL, ProcessStatus, logs_channel};
use asynchronio_protocol::{Codec, EnvelopeDraft, Offset};
use bytes::Bytes;
use tempfile::TempDir;

/// The manager's peak resident size must stay under this while a child
/// floods it (the manager idles at about 10 MB).
const MANAGER_PEAK_KB: u64 = 60 * 1024;

/// The repository root (the default `asynchronio.toml`, `deploy/`, `web/`).
fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A test processor: one Python script whose behaviour is its first
/// argument.
/// - `route`: publishes the message to the channel named by its `to` field
///   (the stage's default output when absent); a message with `nest: N`
///   is answered with data nested N arrays deep;
/// - `huge`: answers the message `"huge"` with a 200 MB line, others as is;
/// - `non-utf8`: writes a line that is not UTF-8 before every answer.
const PROCESSOR: &str = r#"
import json, sys
mode = sys.argv[1]
out = sys.stdout.buffer
for line in sys.stdin.buffer:
    request = json.loads(line)
    data = request["data"]
    if mode == "huge" and data == "huge":
        out.write(b'{"id":' + json.dumps(request["id"]).encode() + b',"out":[{"data":"')
        chunk = b"x" * (1 << 20)
        for _ in range(200):
            out.write(chunk)
        out.write(b'"}]}\n')
        out.flush()
        continue
    if mode == "non-utf8":
        out.write(b"\xff\xfe not UTF-8 \xc3\x28\n")
    output = {"data": data}
    if mode == "route" and isinstance(data, dict) and data.get("to") is not None:
        output["channel"] = data["to"]
    if mode == "route" and isinstance(data, dict) and "nest" in data:
        value = 1
        for _ in range(data["nest"]):
            value = [value]
        output["data"] = value
    out.write(json.dumps({"id": request["id"], "out": [output]}).encode() + b"\n")
    out.flush()
"#;

/// Writes [`PROCESSOR`] into a fresh directory.
fn processor_script() -> (TempDir, String) {
    let dir = asynchronio_e2e::setup!(tempfile::tempdir(), "temporary directory");
    let path = dir.path().join("processor.py");
    asynchronio_e2e::setup!(std::fs::write(&path, PROCESSOR), "write the processor");
    let path = path.display().to_string();
    (dir, path)
}

/// A manager running one pipeline stage `name` of the test processor in
/// `mode` (see [`PROCESSOR`]), from `input` to `outputs`, with `extra`
/// lines in its table; returned once the stage runs.
async fn start_stage(
    redis: &RedisServer,
    bus: &Bus,
    script: &str,
    (name, mode): (&str, &str),
    (input, outputs): (&str, &[&str]),
    extra: &str,
) -> Manager {
    let outputs: Vec<String> = outputs.iter().map(|o| format!("{o:?}")).collect();
    let manager = Manager::start(
        &redis.url(),
        &format!(
            "[[pipeline]]\nname = {name:?}\ninput = {input:?}\noutputs = [{}]\n\
             command = \"python3\"\nargs = [\"-u\", {script:?}, {mode:?}]\n{extra}\n",
            outputs.join(", ")
        ),
    );
    wait_states(bus, Duration::from_secs(20), name, |s| {
        s.iter()
            .any(|s| s.name == name && s.status == ProcessStatus::Running)
    })
    .await;
    manager
}

async fn publish(bus: &Bus, channel: &str, data: &str) {
    let draft = EnvelopeDraft::new(channel, Bytes::from(data.to_owned()));
    bus.publish(&draft, None).await.expect("publish");
}

/// Waits until `channel` has at least `count` messages; returns its offset.
async fn wait_position(bus: &Bus, channel: &str, count: u64, limit: Duration) -> u64 {
    let deadline = Instant::now() + limit;
    loop {
        let at = bus.position(channel).await.expect("position").offset.0;
        if at >= count {
            return at;
        }
        assert!(
            Instant::now() < deadline,
            "{channel} has {at} message(s) after {limit:?}, expected {count}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Entries of a stage's dead-letter stream as (error, data) pairs.
fn dead_letters(redis: &RedisServer, bus: &Bus, stage: &str) -> Vec<(String, String)> {
    let key = bus.keys().pm_dead_letters(stage);
    // Without a terminal redis-cli prints one value a line: each entry's
    // id, then its fields and values.
    let text = redis.cli(&["XRANGE", &key, "-", "+"]);
    let values: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut out = Vec::new();
    let mut error = None;
    let mut data = None;
    let mut iter = values.iter();
    while let Some(value) = iter.next() {
        match value.as_str() {
            "error" => error = iter.next().cloned(),
            "data" => data = iter.next().cloned(),
            "attempts" => {
                iter.next();
                out.push((
                    error.take().unwrap_or_default(),
                    data.take().unwrap_or_default(),
                ));
            }
            _ => {}
        }
    }
    out
}

/// The last `count` lines published on `$sys:logs:{program}`.
async fn last_log_lines(bus: &Bus, program: &str, count: u64) -> Vec<serde_json::Value> {
    let channel = logs_channel(program);
    let at = bus.position(&channel).await.expect("position").offset.0;
    bus.history(
        &channel,
        Offset(at.saturating_sub(count)),
        None,
        count as usize,
    )
    .await
    .expect("history")
    .iter()
    .filter_map(|e| serde_json::from_slice(&e.payload).ok())
    .collect()
}

/// Waits until a line on `$sys:logs:{program}` satisfies `found`.
async fn wait_log(
    bus: &Bus,
    program: &str,
    limit: Duration,
    found: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + limit;
    loop {
        for line in last_log_lines(bus, program, 50).await {
            if let Some(text) = line["line"].as_str()
                && found(text)
            {
                return text.to_owned();
            }
        }
        assert!(
            Instant::now() < deadline,
            "no such line on $sys:logs:{program} within {limit:?}; last lines: {:?}",
            last_log_lines(bus, program, 10)
                .await
                .iter()
                .map(|l| l["line"]
                    .as_str()
                    .unwrap_or("")
                    .chars()
                    .take(200)
                    .collect::<String>())
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------
// A1: the default asynchronio.toml on an external Redis.

/// A copy of the repository's run layout in a temporary directory: the
/// default `asynchronio.toml` (its ports moved to free ones, so tests can
/// run side by side), `deploy/local/run.sh`, `web/` and `examples/`, and
/// `target/debug` pointing at the built binaries.
struct DefaultStack {
    dir: TempDir,
    child: Option<Child>,
}

impl DefaultStack {
    fn prepare() -> DefaultStack {
        let root = repository();
        let dir = asynchronio_e2e::setup!(tempfile::tempdir(), "temporary directory");
        let config = asynchronio_e2e::setup!(
            std::fs::read_to_string(root.join("asynchronio.toml")),
            "read the default asynchronio.toml"
        );
        let config = config
            .replace("8080", &free_port().to_string())
            .replace("8081", &free_port().to_string())
            .replace("8090", &free_port().to_string());
        let at = dir.path();
        asynchronio_e2e::setup!(
            std::fs::write(at.join("asynchronio.toml"), config),
            "write asynchronio.toml"
        );
        asynchronio_e2e::setup!(
            std::fs::create_dir_all(at.join("deploy/local")),
            "deploy/local"
        );
        asynchronio_e2e::setup!(
            std::fs::copy(
                root.join("deploy/local/run.sh"),
                at.join("deploy/local/run.sh")
            ),
            "copy run.sh"
        );
        // The rest of deploy/ (run.sh calls the install script beside it).
        for entry in asynchronio_e2e::setup!(std::fs::read_dir(root.join("deploy")), "deploy/") {
            let entry = asynchronio_e2e::setup!(entry, "deploy/");
            if entry.file_name() != "local" {
                asynchronio_e2e::setup!(
                    std::os::unix::fs::symlink(
                        entry.path(),
                        at.join("deploy").join(entry.file_name())
                    ),
                    "link deploy/{:?}",
                    entry.file_name()
                );
            }
        }
        asynchronio_e2e::setup!(std::fs::create_dir_all(at.join("target")), "target/");
        let binaries = binary("asynchronio")
            .parent()
            .map(Path::to_path_buf)
            .expect("binary directory");
        for (from, to) in [
            (binaries, at.join("target/debug")),
            (root.join("web"), at.join("web")),
            (root.join("examples"), at.join("examples")),
        ] {
            asynchronio_e2e::setup!(std::os::unix::fs::symlink(&from, &to), "link {to:?}");
        }
        DefaultStack { dir, child: None }
    }

    /// Starts `command` in the directory, its output in `up.log`.
    fn spawn(&mut self, mut command: Command) {
        let log = asynchronio_e2e::setup!(
            std::fs::File::create(self.dir.path().join("up.log")),
            "create up.log"
        );
        let log_too = asynchronio_e2e::setup!(log.try_clone(), "up.log");
        command
            .current_dir(self.dir.path())
            .env_remove("ASYNCHRONIO_KEY_PREFIX")
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_too);
        self.child = Some(asynchronio_e2e::setup!(command.spawn(), "start the stack"));
    }

    /// Waits until every program of the default file runs and the demo
    /// producer publishes; fails early when `up` exits.
    async fn assert_up(&mut self, bus: &Bus, form: &str) {
        let expected = [
            ("redis-bridge", 1),
            ("ws-gateway", 1),
            ("rest-api", 1),
            ("demo-producer", 1),
            ("uppercase", 2),
        ];
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                let read = |name: &str| {
                    std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
                };
                panic!(
                    "{form}: the stack exited ({status}) instead of coming up; its output:\n{}\nmanager log:\n{}",
                    read("up.log"),
                    read("data/logs/process-manager.log")
                );
            }
            let states = bus.process_states().await.unwrap_or_default();
            let up = expected.iter().all(|(name, count)| {
                states
                    .iter()
                    .filter(|s| s.name == *name && s.status == ProcessStatus::Running)
                    .count()
                    == *count
            });
            if up {
                assert!(
                    !states.iter().any(|s| s.name == "redis"),
                    "{form}: a private redis-server was started beside the external Redis: {states:#?}"
                );
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{form}: the default stack did not come up; states: {states:#?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // The demo producer runs: demo.metrics keeps growing.
        let first = wait_position(bus, "demo.metrics", 1, Duration::from_secs(15)).await;
        wait_position(bus, "demo.metrics", first + 3, Duration::from_secs(15)).await;
    }
}

impl Drop for DefaultStack {
    fn drop(&mut self) {
        // SIGTERM to `up`, which stops the manager and every program.
        if let Some(mut child) = self.child.take() {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status();
            let deadline = Instant::now() + Duration::from_secs(30);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[tokio::test]
async fn default_stack_runs_on_an_external_redis_through_up() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let mut stack = DefaultStack::prepare();
    let mut command = Command::new(stack.dir.path().join("target/debug/asynchronio"));
    command
        .args(["up", "--config", "asynchronio.toml", "--redis-url"])
        .arg(redis.url())
        .env_remove("REDIS_URL")
        .env("ASYNCHRONIO_ADMIN_KEY", "a1-admin-key-for-the-test")
        .env("ASYNCHRONIO_TOKEN_SECRET", "a1-token-secret-for-the-test");
    stack.spawn(command);
    stack.assert_up(&bus, "asynchronio up --redis-url").await;
}

#[tokio::test]
async fn default_stack_runs_on_an_external_redis_through_make_run() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let mut stack = DefaultStack::prepare();
    // What `REDIS_URL=… make run` does: the Makefile execs run.sh.
    let mut command = Command::new("bash");
    command
        .arg(stack.dir.path().join("deploy/local/run.sh"))
        .env("REDIS_URL", redis.url())
        .env("PROFILE", "debug");
    stack.spawn(command);
    stack.assert_up(&bus, "REDIS_URL=… make run").await;
}

// ---------------------------------------------------------------------------
// B9: outputs stay within the stage's declared outputs.

#[tokio::test]
async fn processor_outputs_outside_declared_outputs_are_dead_lettered() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let gateway = Service::gateway(&redis.url(), &[]);
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let (_scripts, script) = processor_script();
    let _manager = start_stage(
        &redis,
        &bus,
        &script,
        ("router", "route"),
        ("b9.in", &["b9.out", "b9.audit"]),
        "max_retries = 1\nretry_backoff_ms = 50",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut reader = WsClient::connect(&gateway.ws_url(), Codec::Json).await;
    reader.subscribe("b9.out", None).await;
    let processes_before = bus
        .position(PROCESSES_CHANNEL)
        .await
        .expect("position")
        .offset
        .0;

    let escapes = [
        r#"{"to":"$sys:processes","forged":"state"}"#,
        r#"{"to":"private:secret"}"#,
        r#"{"to":"b9.in"}"#,
        r#"{"to":"b9.undeclared"}"#,
    ];
    for data in escapes {
        publish(&bus, "b9.in", data).await;
    }
    // Output data no subscriber could parse safely (the payload rule every
    // publisher follows) fails too.
    publish(&bus, "b9.in", r#"{"nest":70}"#).await;
    // Allowed: the default output, and a declared one by name.
    publish(&bus, "b9.in", r#"{"n":1}"#).await;
    publish(&bus, "b9.in", r#"{"to":"b9.audit","n":2}"#).await;

    // The allowed outputs reach their channels (through the gateway too).
    let (channel, _, _, data) = reader.message().await;
    assert_eq!(
        (channel.as_str(), &data),
        ("b9.out", &serde_json::json!({"n":1}))
    );
    wait_position(&bus, "b9.audit", 1, Duration::from_secs(10)).await;

    // Every escape ends in the dead-letter stream, after its retry.
    let deadline = Instant::now() + Duration::from_secs(20);
    let letters = loop {
        let letters = dead_letters(&redis, &bus, "router");
        if letters.len() > escapes.len() || Instant::now() > deadline {
            break letters;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        letters.len(),
        escapes.len() + 1,
        "each escaping output is dead-lettered: {letters:?}"
    );
    let (too_deep, escaped): (Vec<_>, Vec<_>) = letters
        .iter()
        .partition(|(error, _)| error.contains("levels deep"));
    assert_eq!(too_deep.len(), 1, "the too-deep output: {letters:?}");
    for (error, _) in escaped {
        assert!(
            error.contains("outputs"),
            "the error names the declared outputs: {error}"
        );
    }
    // And nothing escaped.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        bus.position("private:secret")
            .await
            .expect("position")
            .offset
            .0,
        0,
        "a processor published to private:secret"
    );
    assert_eq!(
        bus.position("b9.undeclared")
            .await
            .expect("position")
            .offset
            .0,
        0,
        "a processor published to an undeclared channel"
    );
    assert_eq!(
        bus.position("b9.in").await.expect("position").offset.0,
        7,
        "a processor published to its own input (a loop)"
    );
    assert_eq!(bus.position("b9.out").await.expect("position").offset.0, 1);
    let forged = bus
        .history(PROCESSES_CHANNEL, Offset(processes_before), None, 10_000)
        .await
        .expect("history")
        .iter()
        .filter(|e| {
            e.publisher
                .as_deref()
                .is_some_and(|p| p.starts_with("pipeline:"))
        })
        .count();
    assert_eq!(forged, 0, "a processor forged a $sys:processes event");
    watch
        .finish("processor outputs outside declared outputs")
        .await;
}

// ---------------------------------------------------------------------------
// C14: line length is capped, and so is the manager's memory.

#[tokio::test]
async fn a_200_mb_output_line_is_split_and_the_manager_stays_small() {
    let redis = RedisServer::start();
    // The witness, which the misbehaving program must not disturb.
    let (_gateway, watch) = Watch::on_new_gateway(&redis).await;
    let bus = redis.bus().await;
    let manager = Manager::start(
        &redis.url(),
        r#"
[process.flood]
command = "sh"
args = ["-c", "head -c 200000000 /dev/zero | tr '\\0' x; echo; sleep 2; echo after-the-flood; sleep 600"]
"#,
    );
    let pid = manager.pid().expect("manager pid");
    wait_log(&bus, "flood", Duration::from_secs(60), |line| {
        line == "after-the-flood"
    })
    .await;
    let peak = memory_kb(pid, "VmHWM");
    let now = memory_kb(pid, "VmRSS");
    println!("manager after a 200 MB output line: peak {peak} KiB, now {now} KiB");
    assert!(
        peak > 0 && peak < MANAGER_PEAK_KB,
        "the manager peaked at {peak} KiB reading one 200 MB line (now {now} KiB)"
    );
    // The over-long line was counted, and said so on the program's log
    // just before its first piece.
    let first: Vec<String> = bus
        .history(&logs_channel("flood"), Offset(0), None, 3)
        .await
        .expect("history")
        .iter()
        .filter_map(|e| serde_json::from_slice::<serde_json::Value>(&e.payload).ok())
        .filter_map(|line| line["line"].as_str().map(|l| l.chars().take(300).collect()))
        .collect();
    assert!(
        first
            .iter()
            .any(|line| line.contains("max_line_bytes") && line.contains("split")),
        "no note about the split line: {first:?}"
    );
    watch.finish("a 200 MB output line").await;
}

#[tokio::test]
async fn a_200_mb_answer_fails_its_message_and_the_manager_stays_small() {
    let redis = RedisServer::start();
    // The witness, which the misbehaving program must not disturb.
    let (_gateway, watch) = Watch::on_new_gateway(&redis).await;
    let bus = redis.bus().await;
    let (_scripts, script) = processor_script();
    let manager = start_stage(
        &redis,
        &bus,
        &script,
        ("bloat", "huge"),
        ("c14.in", &["c14.out"]),
        "max_retries = 1\nretry_backoff_ms = 50",
    )
    .await;
    let pid = manager.pid().expect("manager pid");
    tokio::time::sleep(Duration::from_millis(500)).await;
    publish(&bus, "c14.in", r#""huge""#).await;
    publish(&bus, "c14.in", r#""small""#).await;
    wait_position(&bus, "c14.out", 1, Duration::from_secs(60)).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    let letters = loop {
        let letters = dead_letters(&redis, &bus, "bloat");
        if !letters.is_empty() || Instant::now() > deadline {
            break letters;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        letters.len(),
        1,
        "the huge answer is dead-lettered: {letters:?}"
    );
    assert!(letters[0].0.contains("max_line_bytes"), "{letters:?}");
    let peak = memory_kb(pid, "VmHWM");
    println!(
        "manager after two 200 MB answers: peak {peak} KiB, now {} KiB",
        memory_kb(pid, "VmRSS")
    );
    assert!(
        peak > 0 && peak < MANAGER_PEAK_KB,
        "the manager peaked at {peak} KiB reading a 200 MB answer"
    );
    // Only the small message was published.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(bus.position("c14.out").await.expect("position").offset.0, 1);
    watch.finish("a 200 MB answer").await;
}

// ---------------------------------------------------------------------------
// C15: a non-UTF-8 line does not stall a stage; a reader that ends restarts
// the processor.

#[tokio::test]
async fn non_utf8_stdout_lines_are_logged_and_the_stage_keeps_going() {
    let redis = RedisServer::start();
    // The witness, which the misbehaving program must not disturb.
    let (_gateway, watch) = Watch::on_new_gateway(&redis).await;
    let bus = redis.bus().await;
    let (_scripts, script) = processor_script();
    let _manager = start_stage(
        &redis,
        &bus,
        &script,
        ("garbled", "non-utf8"),
        ("c15.in", &["c15.out"]),
        "",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for n in 0..5 {
        publish(&bus, "c15.in", &n.to_string()).await;
    }
    wait_position(&bus, "c15.out", 5, Duration::from_secs(20)).await;
    let note = wait_log(&bus, "garbled", Duration::from_secs(5), |line| {
        line.contains("UTF-8")
    })
    .await;
    assert!(note.contains("not UTF-8"), "{note}");
    let states = bus.process_states().await.expect("states");
    let stage = states
        .iter()
        .find(|s| s.name == "garbled")
        .expect("stage state");
    assert_eq!(stage.restarts, 0, "a bad line is not a reason to restart");
    watch.finish("non-UTF-8 stdout lines").await;
}

#[tokio::test]
async fn a_processor_that_closes_stdout_is_restarted() {
    let redis = RedisServer::start();
    // The witness, which the misbehaving program must not disturb.
    let (_gateway, watch) = Watch::on_new_gateway(&redis).await;
    let bus = redis.bus().await;
    let _manager = Manager::start(
        &redis.url(),
        r#"
[[pipeline]]
name = "mute"
input = "c15b.in"
outputs = ["c15b.out"]
command = "sh"
args = ["-c", "exec 1>&-; sleep 600"]
backoff = { initial_ms = 100, max_ms = 200 }
"#,
    );
    wait_states(
        &bus,
        Duration::from_secs(30),
        "the mute stage to be restarted",
        |s| s.iter().any(|s| s.name == "mute" && s.restarts >= 1),
    )
    .await;
    wait_log(&bus, "mute", Duration::from_secs(5), |line| {
        line.contains("restarting")
    })
    .await;
    watch.finish("a processor that closes stdout").await;
}

// ---------------------------------------------------------------------------
// Reading a channel creates no key, so a stage gives its input channel an
// epoch itself: the first message must not start the stream afresh under
// the stage's consumer group.

#[tokio::test]
async fn a_stage_on_an_unpublished_channel_keeps_its_group_at_the_first_message() {
    let redis = RedisServer::start();
    // The witness, which the misbehaving program must not disturb.
    let (_gateway, watch) = Watch::on_new_gateway(&redis).await;
    let bus = redis.bus().await;
    let (_scripts, script) = processor_script();
    let _manager = start_stage(
        &redis,
        &bus,
        &script,
        ("fresh", "route"),
        ("fresh.in", &["fresh.out"]),
        "",
    )
    .await;
    let stream = "asynchronio:stream:{fresh.in}";
    let group = asynchronio_protocol::process::stage_group("fresh");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !redis.cli(&["XINFO", "GROUPS", stream]).contains(&group) {
        assert!(
            Instant::now() < deadline,
            "the stage never created its group"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The stage gave its input an epoch, so the first publish appends to
    // the stream the group reads instead of starting it afresh.
    let epoch = redis.cli(&["HGET", "asynchronio:meta:{fresh.in}", "epoch"]);
    assert!(!epoch.trim().is_empty(), "the stage's input has no epoch");
    publish(&bus, "fresh.in", r#"{"n":1}"#).await;
    assert_eq!(
        redis.cli(&["HGET", "asynchronio:meta:{fresh.in}", "epoch"]),
        epoch,
        "the first message started a new epoch under the stage"
    );
    let groups = redis.cli(&["XINFO", "GROUPS", stream]);
    assert!(
        groups.contains(&group),
        "the first message dropped the stage's group: {groups}"
    );
    wait_position(&bus, "fresh.out", 1, Duration::from_secs(5)).await;
    watch.finish("a stage on an unpublished channel").await;
}
