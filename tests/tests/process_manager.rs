//! The process manager against real processes and a real Redis: restart
//! backoff and `fatal`, graceful stop of a whole process group, a manager
//! killed with SIGKILL, restored desired state, 200 processes at once, and
//! bad configuration.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use asynchronio_e2e::manager::{alive, command, read_pid, wait_states};
use asynchronio_e2e::{Manager, RedisServer};
use asynchronio_protocol::Offset;
use asynchronio_protocol::process::{
    InstanceState, PROCESSES_CHANNEL, ProcessAction, ProcessStatus,
};

fn status_of(states: &[InstanceState], name: &str) -> Vec<ProcessStatus> {
    states
        .iter()
        .filter(|s| s.name == name)
        .map(|s| s.status)
        .collect()
}

fn all(states: &[InstanceState], name: &str, count: usize, status: ProcessStatus) -> bool {
    let of = status_of(states, name);
    of.len() == count && of.iter().all(|s| *s == status)
}

#[tokio::test]
async fn crash_loop_backs_off_then_gives_up_until_started_again() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let _manager = Manager::start(
        &redis.url(),
        r#"
[process.crasher]
command = "sh"
args = ["-c", "echo boom >&2; exit 7"]
backoff = { initial_ms = 100, max_ms = 400, reset_after_ms = 60000 }
max_quick_failures = 4
"#,
    );
    let started = Instant::now();
    let states = wait_states(&bus, Duration::from_secs(20), "crasher to be fatal", |s| {
        all(s, "crasher", 1, ProcessStatus::Fatal)
    })
    .await;
    let elapsed = started.elapsed();
    let crasher = &states[0];
    assert_eq!(crasher.exit_code, Some(7));
    assert_eq!(crasher.restarts, 3, "4 quick failures = 3 restarts");
    // The last exit is kept with when it happened, for the dashboard.
    let last = crasher.last_exit.expect("the last exit is recorded");
    assert_eq!(
        (last.code, last.signal, last.spawn_failed),
        (Some(7), None, false)
    );
    assert!(last.at_ms > 0 && last.at_ms <= crasher.updated_ms);
    assert_eq!(last.describe(), "exited with code 7");
    // Backoff with jitter: at least 50 + 100 + 200 ms between the runs.
    assert!(
        elapsed >= Duration::from_millis(350),
        "gave up too fast: {elapsed:?}"
    );

    // The events on $sys:processes went through backoff before fatal.
    let events = bus
        .history(PROCESSES_CHANNEL, Offset(0), None, 1000)
        .await
        .expect("events");
    let statuses: Vec<String> = events
        .iter()
        .filter_map(|e| serde_json::from_slice::<serde_json::Value>(&e.payload).ok())
        .filter(|v| v["name"] == "crasher")
        .map(|v| v["status"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| *s == "backoff").count(),
        3,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.last().map(String::as_str),
        Some("fatal"),
        "{statuses:?}"
    );

    // Its stderr was captured.
    let logs = bus
        .history("$sys:logs:crasher", Offset(0), None, 100)
        .await
        .expect("logs");
    assert!(
        logs.iter()
            .any(|e| String::from_utf8_lossy(&e.payload).contains("boom")),
        "stderr lines are captured"
    );

    // `start` takes it out of fatal and it fails its way back there.
    // (With no readiness probe it counts as started the moment it runs.)
    command(
        &bus,
        ProcessAction::Start {
            name: "crasher".into(),
        },
    )
    .await;
    wait_states(&bus, Duration::from_secs(20), "crasher fatal again", |s| {
        s.iter()
            .any(|s| s.name == "crasher" && s.status == ProcessStatus::Fatal && s.restarts >= 6)
    })
    .await;
}

#[tokio::test]
async fn stop_waits_the_grace_period_then_kills_the_whole_group() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let manager = Manager::start(
        &redis.url(),
        r#"
[process.stubborn]
command = "sh"
# Ignores SIGTERM and leaves a grandchild that ignores it too.
args = ["-c", "trap '' TERM; sleep 1000 & echo $! > grandchild.pid; while :; do sleep 0.1; done"]
stop_grace_ms = 800
"#,
    );
    let states = wait_states(&bus, Duration::from_secs(10), "stubborn running", |s| {
        all(s, "stubborn", 1, ProcessStatus::Running)
    })
    .await;
    let leader = states[0].pid.expect("pid");
    let grandchild = read_pid(&manager.path("grandchild.pid"), Duration::from_secs(5));
    assert!(alive(leader) && alive(grandchild));

    let started = Instant::now();
    let result = command(
        &bus,
        ProcessAction::Stop {
            name: "stubborn".into(),
        },
    )
    .await;
    let took = started.elapsed();
    assert!(result.ok, "{result:?}");
    assert!(
        took >= Duration::from_millis(800),
        "stopped before the grace period ended: {took:?}"
    );
    assert!(took < Duration::from_secs(5), "stop took {took:?}");
    assert!(!alive(leader), "the leader is gone and reaped");
    assert!(!alive(grandchild), "the grandchild did not survive");
    let states = wait_states(&bus, Duration::from_secs(2), "stubborn stopped", |s| {
        all(s, "stubborn", 1, ProcessStatus::Stopped)
    })
    .await;
    assert_eq!(states[0].pid, None);
}

#[tokio::test]
async fn killed_manager_leaves_no_orphans_and_its_successor_restores_desired_state() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let mut manager = Manager::start(
        &redis.url(),
        r#"
[process.worker]
command = "sh"
args = ["-c", "sleep 1000 & echo $! > gc-$ASYNCHRONIO_INSTANCE.pid; wait"]

[process.idle]
command = "sleep"
args = ["1000"]
"#,
    );
    wait_states(&bus, Duration::from_secs(10), "both running", |s| {
        all(s, "worker", 1, ProcessStatus::Running) && all(s, "idle", 1, ProcessStatus::Running)
    })
    .await;
    assert!(
        command(
            &bus,
            ProcessAction::Scale {
                name: "worker".into(),
                instances: 3
            }
        )
        .await
        .ok
    );
    assert!(
        command(
            &bus,
            ProcessAction::Stop {
                name: "idle".into()
            }
        )
        .await
        .ok
    );
    let states = wait_states(&bus, Duration::from_secs(10), "3 workers", |s| {
        all(s, "worker", 3, ProcessStatus::Running)
    })
    .await;
    let leaders: Vec<u32> = states
        .iter()
        .filter(|s| s.name == "worker")
        .filter_map(|s| s.pid)
        .collect();
    let grandchildren: Vec<u32> = (0..3)
        .map(|i| {
            read_pid(
                &manager.path(&format!("gc-{i}.pid")),
                Duration::from_secs(5),
            )
        })
        .collect();
    for i in 0..3 {
        let _ = std::fs::remove_file(manager.path(&format!("gc-{i}.pid")));
    }

    manager.kill();
    // Direct children die with the manager (parent-death signal).
    let deadline = Instant::now() + Duration::from_secs(3);
    while leaders.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        leaders.iter().all(|p| !alive(*p)),
        "children outlived a SIGKILLed manager"
    );

    // The successor sweeps what is left and restores 3 workers, idle stopped.
    manager.launch();
    let states = wait_states(
        &bus,
        Duration::from_secs(20),
        "restored desired state",
        |s| {
            all(s, "worker", 3, ProcessStatus::Running)
                && all(s, "idle", 1, ProcessStatus::Stopped)
                && s.iter()
                    .filter_map(|s| s.pid)
                    .all(|p| !leaders.contains(&p))
        },
    )
    .await;
    for pid in &grandchildren {
        assert!(
            !alive(*pid),
            "grandchild {pid} of the killed manager is still running"
        );
    }
    let new_leaders: HashSet<u32> = states.iter().filter_map(|s| s.pid).collect();
    assert!(leaders.iter().all(|p| !new_leaders.contains(p)));
}

#[tokio::test]
async fn supervises_200_processes_and_stops_them_all() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let mut manager = Manager::start(
        &redis.url(),
        "[process.many]\ncommand = \"sleep\"\nargs = [\"1000\"]\ninstances = 200\nstop_grace_ms = 2000\n",
    );
    let started = Instant::now();
    let states = wait_states(&bus, Duration::from_secs(60), "200 running", |s| {
        all(s, "many", 200, ProcessStatus::Running)
    })
    .await;
    eprintln!("200 processes running after {:?}", started.elapsed());
    let pids: HashSet<u32> = states.iter().filter_map(|s| s.pid).collect();
    assert_eq!(pids.len(), 200);
    assert!(pids.iter().all(|p| alive(*p)));
    assert!(
        manager.terminate(Duration::from_secs(20)),
        "manager exits on SIGTERM"
    );
    assert!(
        pids.iter().all(|p| !alive(*p)),
        "every child stopped with the manager"
    );
}

#[test]
fn bad_configuration_names_file_line_and_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("asynchronio.toml");
    std::fs::write(
        &path,
        "[process.web]\ncommand = \"x\"\ninstances = \"two\"\n",
    )
    .expect("write");
    for binary in ["process-manager", "asynchronio"] {
        let mut cmd = std::process::Command::new(asynchronio_e2e::process::binary(binary));
        if binary == "asynchronio" {
            cmd.arg("up");
        }
        let output = cmd
            .arg("--config")
            .arg(&path)
            .arg("--redis-url")
            .arg("redis://127.0.0.1:1")
            .output()
            .expect("run");
        assert!(!output.status.success(), "{binary} must fail");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&path.display().to_string()),
            "{binary}: {stderr}"
        );
        assert!(stderr.contains("line 3"), "{binary}: {stderr}");
        assert!(stderr.contains("invalid type"), "{binary}: {stderr}");
    }
}
