//! The chaos suite: the container stack of docker-compose.yml (redis,
//! PostgreSQL, 3 gateways, 2 bridges, rest-api, and a process manager
//! running a two-stage pipeline) under a steady mixed load, while faults
//! drawn from a seed hit it: SIGKILLs, pauses, partitions from Redis, slow
//! and lossy links, Redis restarts from AOF, `CLIENT KILL`s and a
//! read-only archive database. At the end every subscriber's deliveries
//! are checked against the ledger of acknowledged publishes, the pipeline's
//! outputs against its inputs, and the archive against the streams.
//!
//! `make chaos` runs it for `CHAOS_SECONDS` (600 by default); `make test`
//! runs it for 60 s (through `make compose-test`). The seed and the whole
//! schedule are printed first: `make chaos CHAOS_SEED=… CHAOS_SECONDS=…`
//! replays a run. Ignored by `cargo test`: it needs Docker and the images.
//!
//! Layout:
//! - `rng.rs`: the seeded generator everything random comes from;
//! - `faults.rs`: the kinds of fault, how each is made and undone, and the
//!   schedule;
//! - `load.rs`: the publishers (one per publish path) and the subscribers;
//! - `ledger.rs`: what was published and received, and the check.

mod faults;
mod ledger;
mod load;
mod rng;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use asynchronio_bus::{Bus, BusConfig};
use asynchronio_e2e::bridge::owned_partitions;
use asynchronio_e2e::compose::{SCALED_CONTAINERS, Stack, docker, ip_of, try_docker};
use asynchronio_e2e::free_port;
use asynchronio_protocol::{Keys, Offset};
use tokio_util::sync::CancellationToken;

use faults::{Kind, Target};
use ledger::{Ledger, Path};

const ADMIN_KEY: &str = "chaos-admin-key";

/// The channels the publishers spread over; each subscriber takes two.
const CHANNELS: [&str; 4] = ["chaos.0", "chaos.1", "chaos.2", "chaos.3"];

/// The pipeline's input and its second stage's output
/// (tests/chaos/process-manager.toml).
const PIPELINE_INPUT: &str = "chaos.orders";
const PIPELINE_OUTPUT: &str = "chaos.orders.done";

/// The services the faults may hit, in the order the report lists them.
const SERVICES: [&str; 6] = [
    "ws-gateway",
    "redis-bridge",
    "rest-api",
    "process-manager",
    "redis",
    "postgres",
];

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) if !value.is_empty() => match value.parse() {
            Ok(number) => number,
            Err(_) => panic!("{name} must be a whole number, not {value:?}"),
        },
        _ => default,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Docker and the images; run by `make chaos` and `make compose-test`"]
async fn every_acknowledged_message_arrives_once_in_order_under_random_faults() {
    let window = Duration::from_secs(env_u64("CHAOS_SECONDS", 60));
    let seed = env_u64(
        "CHAOS_SEED",
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(1, |t| t.as_nanos() as u64),
    );
    let subscriber_count = env_u64("CHAOS_SUBSCRIBERS", 500) as usize;
    let rate = env_u64("CHAOS_RATE", 25).max(1);
    eprintln!(
        "chaos: seed {seed}, {}s of faults, {subscriber_count} subscribers, {rate} publishes/s \
         (replay: make chaos CHAOS_SEED={seed} CHAOS_SECONDS={})",
        window.as_secs(),
        window.as_secs()
    );

    let mut stack = Stack::new("asynchronio-chaos", ADMIN_KEY);
    stack.overrides.push("tests/chaos/compose.yml".to_owned());
    let redis_port = free_port();
    stack
        .env
        .push(("CHAOS_REDIS_PORT".to_owned(), redis_port.to_string()));
    stack.up_scaled();

    // Containers by service and replica, sorted by name.
    let mut containers: BTreeMap<Target, String> = BTreeMap::new();
    let mut replicas: BTreeMap<&'static str, usize> = BTreeMap::new();
    for service in SERVICES {
        let mut named: Vec<(String, String)> = stack
            .containers(service)
            .into_iter()
            .map(|id| (docker(&["inspect", "-f", "{{.Name}}", &id]), id))
            .collect();
        named.sort();
        replicas.insert(service, named.len());
        for (replica, (_, id)) in named.into_iter().enumerate() {
            containers.insert(Target { service, replica }, id);
        }
    }
    let container = |target: &Target| containers.get(target).cloned().unwrap_or_default();
    let redis = container(&Target {
        service: "redis",
        replica: 0,
    });
    let gateway = container(&Target {
        service: "ws-gateway",
        replica: 0,
    });

    // What this machine can inject: partitions and slow links need
    // nsenter, root and iptables on this host, and slow links tc: netem
    // where the kernel has it, else a throttle.
    let mut kinds = Vec::new();
    let mut shaper = faults::Shaper::Netem;
    for kind in Kind::ALL {
        let probe = match kind {
            Kind::Partition => faults::can_enter(&gateway, &[&["iptables", "-S", "INPUT"]]),
            Kind::SlowLink => {
                let netem = faults::can_enter(
                    &gateway,
                    &[
                        &[
                            "tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "1ms",
                        ],
                        &["tc", "qdisc", "del", "dev", "eth0", "root"],
                    ],
                );
                netem.or_else(|why| {
                    eprintln!("chaos: slow links throttle instead of delaying: {why}");
                    shaper = faults::Shaper::Throttle;
                    faults::can_enter(
                        &gateway,
                        &[
                            &[
                                "tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate",
                                "1mbit", "burst", "32kbit", "latency", "400ms",
                            ],
                            &["tc", "qdisc", "del", "dev", "eth0", "root"],
                        ],
                    )
                })
            }
            _ => Ok(()),
        };
        match probe {
            Ok(()) => kinds.push(kind),
            Err(why) => eprintln!("chaos: no {} faults on this machine: {why}", kind.name()),
        }
    }
    let schedule = faults::schedule(seed, window, &replicas, &kinds);
    eprintln!("chaos: the schedule ({} faults):", schedule.len());
    for fault in &schedule {
        eprintln!("  {fault}");
    }

    // Raw PUBLISH is heard by the bridge holding the channel's partition:
    // start when the two bridges hold all 64 between them.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let held: u64 = (0..replicas["redis-bridge"])
            .map(|replica| {
                let id = container(&Target {
                    service: "redis-bridge",
                    replica,
                });
                owned_partitions(&ip_of(&id), 8090).unwrap_or(0)
            })
            .sum();
        if held == 64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "bridges did not share the 64 partitions"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let redis_url = format!("redis://127.0.0.1:{redis_port}");
    let target = load::Target {
        ws_url: format!("ws://127.0.0.1:{}/ws", stack.ws_port),
        api_port: stack.api_port,
        admin_key: ADMIN_KEY.to_owned(),
        redis_url: redis_url.clone(),
    };

    // Subscribers first: each takes two channels, from their position at
    // subscription, before anything is published.
    let counters = Arc::new(load::Counters::default());
    let stop_all = CancellationToken::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel(subscriber_count.max(1));
    let mut subscribers = Vec::new();
    for index in 0..subscriber_count {
        let channels = vec![
            CHANNELS[index % CHANNELS.len()].to_owned(),
            CHANNELS[(index + 1) % CHANNELS.len()].to_owned(),
        ];
        subscribers.push(tokio::spawn(load::subscribe(
            target.ws_url.clone(),
            channels,
            seed ^ index as u64,
            counters.clone(),
            ready_tx.clone(),
            stop_all.clone(),
        )));
    }
    drop(ready_tx);
    let started = Instant::now();
    for _ in 0..subscriber_count {
        let ready = tokio::time::timeout(Duration::from_secs(120), ready_rx.recv()).await;
        assert!(
            matches!(ready, Ok(Some(()))),
            "not every subscriber subscribed within 2 minutes"
        );
    }
    eprintln!(
        "chaos: {subscriber_count} subscribers subscribed in {:.1}s",
        started.elapsed().as_secs_f64()
    );

    // The publishers, one per path, and one feeding the pipeline.
    let ledger = Arc::new(Ledger::default());
    let pipeline_ledger = Arc::new(Ledger::default());
    let stop_publishing = CancellationToken::new();
    let every = Duration::from_millis((1_000 * Path::ALL.len() as u64 / rate).max(1));
    let mut publishers = Vec::new();
    for path in Path::ALL {
        publishers.push(tokio::spawn(load::publish(
            path,
            target.clone(),
            CHANNELS.iter().map(|c| (*c).to_owned()).collect(),
            every,
            ledger.clone(),
            stop_publishing.clone(),
        )));
    }
    publishers.push(tokio::spawn(load::publish(
        Path::RestKeyed,
        target.clone(),
        vec![PIPELINE_INPUT.to_owned()],
        Duration::from_millis(500),
        pipeline_ledger.clone(),
        stop_publishing.clone(),
    )));

    // The faults, each on its own clock: made at its time and undone at
    // its time plus its hold, however long another one takes.
    let load_started = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for fault in schedule.clone() {
        let (id, redis) = (container(&fault.target), redis.clone());
        running.spawn(async move {
            tokio::time::sleep_until((load_started + fault.at).into()).await;
            let made = fault.clone();
            let undo = match tokio::task::spawn_blocking(move || {
                faults::inject(&made, &id, &redis, shaper)
            })
            .await
            {
                Ok(Ok(undo)) => undo,
                Ok(Err(error)) => return (fault.kind, Err(format!("injecting {fault}: {error}"))),
                Err(error) => return (fault.kind, Err(format!("injecting {fault}: {error}"))),
            };
            tokio::time::sleep_until((load_started + fault.at + fault.hold).into()).await;
            match tokio::task::spawn_blocking(move || faults::undo(undo)).await {
                Ok(Ok(())) => (fault.kind, Ok(())),
                Ok(Err(error)) => (fault.kind, Err(format!("undoing {fault}: {error}"))),
                Err(error) => (fault.kind, Err(format!("undoing {fault}: {error}"))),
            }
        });
    }
    let mut injected: BTreeMap<Kind, u64> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    while let Some(done) = running.join_next().await {
        match done {
            Ok((kind, Ok(()))) => *injected.entry(kind).or_default() += 1,
            Ok((_, Err(error))) => failures.push(error),
            Err(error) => failures.push(error.to_string()),
        }
    }
    tokio::time::sleep_until((load_started + window).into()).await;
    assert!(
        failures.is_empty(),
        "faults that could not be made or undone: {failures:#?}"
    );
    stop_publishing.cancel();
    // Reconnects from here on are subscribers noticing the silence.
    let reconnects = counters.reconnects.load(Ordering::Relaxed);
    for publisher in publishers {
        match publisher.await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => panic!("a publisher could not start: {error}"),
            Err(error) => panic!("a publisher failed: {error}"),
        }
    }
    eprintln!(
        "chaos: faults over after {:.1}s; waiting for the stack and the subscribers",
        load_started.elapsed().as_secs_f64()
    );
    stack.wait_healthy(SCALED_CONTAINERS, Duration::from_secs(180));

    // The subscribers catch up: wait until no delivery came for longer
    // than a silent subscriber takes to notice and reconnect (8 s of
    // silence, then at most 10 s of back-off).
    let bus = match Bus::connect(BusConfig::new(redis_url, Keys::default()), "chaos suite").await {
        Ok(bus) => bus,
        Err(error) => panic!("cannot reach the redis container: {error}"),
    };
    let drain = Instant::now();
    let mut last = (0, Instant::now());
    loop {
        let now = counters.deliveries.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        }
        if last.1.elapsed() > Duration::from_secs(25) || drain.elapsed() > Duration::from_secs(120)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    stop_all.cancel();
    let mut received = Vec::new();
    for subscriber in subscribers {
        match subscriber.await {
            Ok(deliveries) => received.push(deliveries),
            Err(error) => panic!("a subscriber failed: {error}"),
        }
    }
    let mut stored: BTreeMap<String, Vec<(u64, String)>> = BTreeMap::new();
    for channel in CHANNELS {
        stored.insert(channel.to_owned(), stream(&bus, channel).await);
    }
    let publishes = ledger.publishes();
    let outcome = ledger::check(&publishes, &received, &stored);

    // The pipeline: every acknowledged input once in the second stage's
    // output.
    let inputs: Vec<String> = pipeline_ledger
        .publishes()
        .into_iter()
        .filter(|p| p.acked)
        .map(|p| p.id)
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    let (pipeline_missing, pipeline_duplicated) = loop {
        let outputs = stream(&bus, PIPELINE_OUTPUT).await;
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for (_, id) in &outputs {
            *counts.entry(id.as_str()).or_default() += 1;
        }
        let missing: Vec<&String> = inputs
            .iter()
            .filter(|id| !counts.contains_key(id.as_str()))
            .collect();
        let duplicated: Vec<String> = counts
            .iter()
            .filter(|(_, count)| **count > 1)
            .map(|(id, count)| format!("{id} ×{count}"))
            .collect();
        if missing.is_empty() || Instant::now() > deadline {
            break (
                missing.iter().map(|id| (*id).clone()).collect::<Vec<_>>(),
                duplicated,
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    // The archive: every stored message of the suite's channels copied.
    let deadline = Instant::now() + Duration::from_secs(60);
    let postgres = container(&Target {
        service: "postgres",
        replica: 0,
    });
    let archive_behind = loop {
        let mut behind = Vec::new();
        for channel in CHANNELS.iter().chain([&PIPELINE_INPUT]) {
            let length = stream(&bus, channel).await.len();
            let archived = archived(&postgres, channel);
            if archived != length {
                behind.push(format!("{channel}: {archived} archived of {length}"));
            }
        }
        if behind.is_empty() || Instant::now() > deadline {
            break behind;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };

    // The report.
    eprintln!(
        "\nchaos report (seed {seed}, {}s of faults)",
        window.as_secs()
    );
    eprintln!("faults injected:");
    for (kind, count) in &injected {
        eprintln!("  {:<18} {count}", kind.name());
    }
    eprintln!(
        "{:<13} {:>9} {:>7} {:>9} {:>9} {:>6} {:>6} {:>7} {:>8} {:>7} {:>8}",
        "path",
        "attempted",
        "acked",
        "expected",
        "delivered",
        "lost",
        "dup",
        "stored2",
        "unacked+",
        "offset≠",
        "outage"
    );
    let outages = ledger.outages();
    for (path, f) in &outcome.paths {
        eprintln!(
            "{:<13} {:>9} {:>7} {:>9} {:>9} {:>6} {:>6} {:>7} {:>8} {:>7} {:>7.1}s",
            path.name(),
            f.attempted,
            f.acked,
            f.expected,
            f.delivered,
            f.lost,
            f.duplicated,
            f.stored_twice,
            f.unacked_arrived,
            f.wrong_offset,
            outages.get(path).copied().unwrap_or_default().as_secs_f64()
        );
    }
    eprintln!(
        "subscribers: {subscriber_count}, reconnects while publishing {}, unresumable subscriptions {}, \
         longest recovery {:.1}s, out of order {}",
        reconnects,
        counters.unrecovered.load(Ordering::Relaxed),
        counters.longest_recovery_ms.load(Ordering::Relaxed) as f64 / 1000.0,
        outcome.out_of_order
    );
    eprintln!(
        "pipeline: {} inputs acknowledged, {} missing from the output, {} duplicated",
        inputs.len(),
        pipeline_missing.len(),
        pipeline_duplicated.len()
    );
    eprintln!(
        "archive: {}",
        if archive_behind.is_empty() {
            "complete".to_owned()
        } else {
            archive_behind.join("; ")
        }
    );
    for example in &outcome.examples {
        eprintln!("  {example}");
    }

    // The guarantees.
    assert!(
        !injected.is_empty() || window < Duration::from_secs(10),
        "no fault was injected"
    );
    assert_eq!(outcome.out_of_order, 0, "deliveries out of offset order");
    for (path, f) in &outcome.paths {
        assert!(f.acked > 0, "{}: nothing was acknowledged", path.name());
        if path.must_arrive() {
            assert_eq!(f.lost, 0, "{}: acknowledged messages lost", path.name());
        }
        assert_eq!(
            f.duplicated,
            0,
            "{}: a subscriber got a message twice",
            path.name()
        );
        if path.stored_once() {
            assert_eq!(f.stored_twice, 0, "{}: a message stored twice", path.name());
        }
        assert_eq!(
            f.wrong_offset,
            0,
            "{}: delivered at another offset than acknowledged",
            path.name()
        );
    }
    assert!(
        pipeline_missing.is_empty(),
        "pipeline inputs without output: {pipeline_missing:?}"
    );
    assert!(
        pipeline_duplicated.is_empty(),
        "pipeline outputs twice: {pipeline_duplicated:?}"
    );
    assert!(
        archive_behind.is_empty(),
        "the archive did not catch up: {archive_behind:?}"
    );
}

/// A channel's whole stream as (offset, message id).
async fn stream(bus: &Bus, channel: &str) -> Vec<(u64, String)> {
    let mut entries = Vec::new();
    let mut after = Offset(0);
    loop {
        let page = match bus.history(channel, after, None, 1_000).await {
            Ok(page) => page,
            Err(error) => panic!("cannot read {channel}'s history: {error}"),
        };
        let Some(last) = page.last() else {
            return entries;
        };
        after = Offset(last.offset);
        for envelope in &page {
            let data: serde_json::Value =
                serde_json::from_slice(&envelope.payload).unwrap_or_default();
            entries.push((envelope.offset, load::id_of(&data).unwrap_or_default()));
        }
    }
}

/// How many messages of `channel` the archive holds.
fn archived(postgres: &str, channel: &str) -> usize {
    let query = format!("SELECT count(*) FROM archived_messages WHERE channel = '{channel}'");
    try_docker(&[
        "exec",
        postgres,
        "psql",
        "-tA",
        "-U",
        "asynchronio",
        "-d",
        "asynchronio",
        "-c",
        &query,
    ])
    .ok()
    .and_then(|count| count.trim().parse().ok())
    .unwrap_or(0)
}
