//! Every service stops within its grace period whether or not Redis
//! answers (issue 13, C23): redis-bridge kept retrying Redis for more than
//! 40 s after SIGTERM while Redis was down, until it was SIGKILLed.
//!
//! Each case starts all four services against one Redis, lets them settle
//! (the bridge holding its partition leases, a client subscribed through the
//! gateway, a program supervised by the manager), then SIGTERMs them all at
//! once, with Redis killed beforehand or left running, and asserts that
//! each one exits, cleanly, within its grace period plus 2 s.

use std::time::{Duration, Instant};

use asynchronio_bus::Lease;
use asynchronio_e2e::http::request;
use asynchronio_e2e::manager::wait_states;
use asynchronio_e2e::{Manager, RedisServer, Service, Watch};
use asynchronio_protocol::process::ProcessStatus;
use asynchronio_service::shutdown::GRACE_PERIOD;

/// What the test allows beyond a grace period: process start-up and exit,
/// and a loaded machine.
const SLACK: Duration = Duration::from_secs(2);

/// The supervised program's `stop_grace_ms`: the manager's grace period is
/// the service one plus its programs' longest stop grace.
const PROGRAM_STOP_GRACE: Duration = Duration::from_millis(1_000);

#[tokio::test]
async fn every_service_stops_within_its_grace_period_with_redis_down() {
    stop_all("with Redis down", true).await;
}

#[tokio::test]
async fn every_service_stops_within_its_grace_period_with_redis_up() {
    stop_all("with Redis up", false).await;
}

async fn stop_all(case: &str, kill_redis: bool) {
    let mut redis = RedisServer::start();
    let url = redis.url();
    let db = asynchronio_e2e::setup!(tempfile::tempdir(), "temporary directory");
    let database = format!("sqlite://{}?mode=rwc", db.path().join("s.db").display());

    let gateway = Service::gateway(&url, &[]);
    let watch = Watch::start(&gateway.ws_url(), redis.bus().await).await;
    let rest = Service::rest(&url, &database, "shutdown-admin-key", &[]);
    let bridge = Service::bridge(&url, &[]);
    let mut manager = Manager::start(
        &url,
        &format!(
            r#"
[process.sleeper]
command = "sleep"
args = ["1000"]
stop_grace_ms = {}
"#,
            PROGRAM_STOP_GRACE.as_millis()
        ),
    );

    // Settled: the bridge holds partition leases (so it has some to give
    // back), the manager supervises its program.
    wait_for_bridge_partitions(&bridge).await;
    let bus = redis.bus().await;
    wait_states(&bus, Duration::from_secs(15), "sleeper running", |states| {
        states
            .iter()
            .any(|s| s.name == "sleeper" && s.status == ProcessStatus::Running)
    })
    .await;
    watch.finish(&format!("shutdown {case}")).await;

    if kill_redis {
        redis.kill();
        // Long enough for every service to notice the lost connection.
        tokio::time::sleep(Duration::from_millis(1_500)).await;
    }

    let services = [
        (gateway, GRACE_PERIOD),
        (rest, GRACE_PERIOD),
        (bridge, GRACE_PERIOD),
    ];
    let manager_limit = GRACE_PERIOD + PROGRAM_STOP_GRACE + SLACK;
    let results = std::thread::scope(|scope| {
        let mut waits = Vec::new();
        for (mut service, grace) in services {
            waits.push(scope.spawn(move || {
                let started = Instant::now();
                service.signal("TERM");
                let exit = service.wait_exit(grace + SLACK);
                (service.name.to_owned(), grace, started.elapsed(), exit)
            }));
        }
        let manager = &mut manager;
        waits.push(scope.spawn(move || {
            let started = Instant::now();
            let exited = manager.terminate(manager_limit);
            (
                "process-manager".to_owned(),
                GRACE_PERIOD + PROGRAM_STOP_GRACE,
                started.elapsed(),
                exited.then_some(true),
            )
        }));
        waits
            .into_iter()
            .map(|wait| match wait.join() {
                Ok(result) => result,
                Err(_) => panic!("a waiting thread panicked"),
            })
            .collect::<Vec<_>>()
    });

    let mut late = Vec::new();
    for (name, grace, took, exit) in &results {
        eprintln!("{case}: {name} exit {exit:?} after {took:?} (grace {grace:?})");
        match exit {
            Some(true) => {}
            Some(false) => late.push(format!(
                "{name} exited with a failure status after {took:?}"
            )),
            None => late.push(format!(
                "{name} still ran {took:?} after SIGTERM (grace period {grace:?} + {SLACK:?})"
            )),
        }
    }
    assert!(late.is_empty(), "{case}: {}", late.join("; "));
}

/// Waits until the bridge's health endpoint reports at least one partition.
async fn wait_for_bridge_partitions(bridge: &Service) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let response = request(bridge.port, "GET", "/healthz", &[], b"");
        if response.status == 200 && response.json()["partitions"].as_u64().unwrap_or(0) > 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the bridge took no partition within 15 s: {} {}",
            response.status,
            response.text()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Giving leases back works after Redis forgot its scripts (a restart), and
/// fails at once, not after retries, while Redis is down.
#[tokio::test]
async fn leases_are_given_back_once_and_never_wait_for_redis() {
    let mut redis = RedisServer::start();
    let bus = redis.bus().await;
    let leases: Vec<Lease> = (0..3)
        .map(|i| Lease {
            key: format!("shutdown-test:lease:{i}"),
            owner: "me".into(),
            ttl: Duration::from_secs(60),
        })
        .collect();
    for lease in &leases {
        assert!(bus.acquire_lease(lease).await.expect("acquire"));
    }
    redis.cli(&["SCRIPT", "FLUSH"]);
    let released = bus.release_leases(&leases[..2]).await.expect("release");
    assert_eq!(released, 2, "both held leases are given back");
    assert_eq!(redis.cli(&["EXISTS", &leases[0].key, &leases[1].key]), "0");

    redis.kill();
    let started = Instant::now();
    let result = bus.release_leases(&leases[2..]).await;
    let took = started.elapsed();
    assert!(result.is_err(), "a release with Redis down cannot succeed");
    assert!(
        took <= Lease::RELEASE_TIMEOUT + Duration::from_millis(200),
        "releasing with Redis down took {took:?}"
    );
}
