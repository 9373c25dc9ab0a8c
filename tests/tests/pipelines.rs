//! Pipeline stages with real processors (Python, shell) against a real
//! Redis: 10,000 messages with the processor killed twice mid-stream, none
//! lost; a poison message and a crashing message end in the dead-letter
//! stream; the topology is published.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use asynchronio_bus::Bus;
use asynchronio_e2e::manager::{alive, wait_states};
use asynchronio_e2e::{Manager, RedisServer};
use asynchronio_protocol::process::{PIPELINES_CHANNEL, ProcessStatus};
use asynchronio_protocol::{EnvelopeDraft, Offset};
use bytes::Bytes;

fn example(name: &str) -> String {
    format!(
        "{}/../examples/processors/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// Every output message's source offset (from its `source` header).
async fn sources(bus: &Bus, channel: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let mut after = Offset(0);
    loop {
        let page = bus
            .history(channel, after, None, 5_000)
            .await
            .expect("history");
        let Some(last) = page.last() else { break };
        after = Offset(last.offset);
        for envelope in &page {
            let source = envelope
                .headers
                .iter()
                .find(|(k, _)| k == "source")
                .and_then(|(_, v)| v.rsplit_once('@'))
                .and_then(|(_, offset)| offset.parse::<u64>().ok())
                .expect("outputs carry their source");
            out.push(source);
        }
    }
    out
}

#[tokio::test]
async fn ten_thousand_messages_survive_two_processor_kills() {
    const TOTAL: u64 = 10_000;
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let _manager = Manager::start(
        &redis.url(),
        &format!(
            r#"
[[pipeline]]
name = "upper"
input = "orders"
outputs = ["orders.upper"]
command = "python3"
args = ["-u", "{}"]
instances = 2
max_retries = 5
backoff = {{ initial_ms = 50, max_ms = 500 }}
"#,
            example("upper.py")
        ),
    );
    wait_states(&bus, Duration::from_secs(20), "2 stage instances", |s| {
        s.iter()
            .filter(|s| s.name == "upper" && s.status == ProcessStatus::Running)
            .count()
            == 2
    })
    .await;
    // The stage's consumer group exists once an instance reads.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let publisher = tokio::spawn({
        let bus = bus.clone();
        async move {
            for batch in 0..(TOTAL / 500) {
                let drafts: Vec<EnvelopeDraft> = (0..500)
                    .map(|i| {
                        let n = batch * 500 + i;
                        EnvelopeDraft::new("orders", Bytes::from(format!("\"order {n}\"")))
                    })
                    .collect();
                for result in bus.publish_drafts(&drafts).await {
                    result.expect("publish");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    });

    let started = Instant::now();
    let mut kills = 0;
    let mut killed = Vec::new();
    loop {
        let done = bus
            .position("orders.upper")
            .await
            .expect("position")
            .offset
            .0;
        if (kills == 0 && done >= 2_000) || (kills == 1 && done >= 6_000) {
            let states = bus.process_states().await.expect("states");
            let victim = states
                .iter()
                .filter(|s| s.name == "upper" && s.status == ProcessStatus::Running)
                .find_map(|s| s.pid)
                .expect("a running processor");
            std::process::Command::new("kill")
                .args(["-KILL", &victim.to_string()])
                .status()
                .expect("kill");
            killed.push(victim);
            kills += 1;
        }
        let distinct: HashSet<u64> = if done >= TOTAL {
            sources(&bus, "orders.upper").await.into_iter().collect()
        } else {
            HashSet::new()
        };
        if distinct.len() as u64 == TOTAL {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "only {done} outputs after 2 minutes"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    publisher.await.expect("publisher");
    assert_eq!(kills, 2, "the processor was killed twice mid-stream");
    assert!(killed.iter().all(|p| !alive(*p)));

    let all = sources(&bus, "orders.upper").await;
    let mut seen: HashMap<u64, u32> = HashMap::new();
    for source in &all {
        *seen.entry(*source).or_default() += 1;
    }
    let duplicates = all.len() - seen.len();
    eprintln!(
        "pipeline: {TOTAL} in, {} out, {duplicates} duplicates, in {:?} with 2 processor kills",
        all.len(),
        started.elapsed()
    );
    assert_eq!(seen.len() as u64, TOTAL, "every input produced an output");
    assert!((1..=TOTAL).all(|offset| seen.contains_key(&offset)));
    // Idempotency keys derived from the input offset suppress republishing.
    assert_eq!(duplicates, 0, "redelivered messages published twice");
    let sample = bus
        .history("orders.upper", Offset(0), None, 1)
        .await
        .expect("history");
    assert!(String::from_utf8_lossy(&sample[0].payload).starts_with("\"ORDER "));

    // The topology reports the stage with its figures.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let topology = bus.pipeline_topology().await.expect("topology");
        if let Some(stage) = topology
            .as_ref()
            .and_then(|t| t.stages.iter().find(|s| s.name == "upper"))
            && stage.processed >= TOTAL
        {
            assert_eq!(stage.input, "orders");
            assert_eq!(stage.outputs, vec!["orders.upper".to_owned()]);
            assert!(
                stage.errors > 0,
                "messages in flight at a kill count as errors"
            );
            assert_eq!(stage.undelivered, 0);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "topology never showed the work: {topology:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let events = bus
        .history(PIPELINES_CHANNEL, Offset(0), None, 10)
        .await
        .expect("events");
    assert!(
        !events.is_empty(),
        "topology is published on $sys:pipelines"
    );
}

#[tokio::test]
async fn poison_and_crashing_messages_end_in_the_dead_letter_stream() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let processor = r#"
import json, os, sys
for line in sys.stdin:
    m = json.loads(line)
    if m["data"] == "poison":
        print(json.dumps({"id": m["id"], "error": "cannot digest poison"}), flush=True)
    elif m["data"] == "crash":
        os._exit(3)
    else:
        print(json.dumps({"id": m["id"], "out": [{"data": m["data"]}, {"channel": "audit", "data": {"seen": m["offset"]}}]}), flush=True)
"#;
    let manager = Manager::start(
        &redis.url(),
        r#"
[[pipeline]]
name = "picky"
input = "in"
outputs = ["out", "audit"]
command = "python3"
args = ["-u", "picky.py"]
max_retries = 2
max_in_flight = 1
retry_backoff_ms = 50
backoff = { initial_ms = 50, max_ms = 200 }
max_quick_failures = 10
"#,
    );
    std::fs::write(manager.path("picky.py"), processor).expect("write processor");
    wait_states(&bus, Duration::from_secs(20), "picky running", |s| {
        s.iter()
            .any(|s| s.name == "picky" && s.status == ProcessStatus::Running)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for data in ["\"ok-1\"", "\"poison\"", "\"crash\"", "\"ok-2\""] {
        bus.publish(&EnvelopeDraft::new("in", Bytes::from(data)), None)
            .await
            .expect("publish");
    }
    let dead_key = bus.keys().pm_dead_letters("picky");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let out = bus.history("out", Offset(0), None, 10).await.expect("out");
        let dead = redis.cli(&["XLEN", &dead_key]);
        if out.len() == 2 && dead == "2" {
            let payloads: Vec<String> = out
                .iter()
                .map(|e| String::from_utf8_lossy(&e.payload).into_owned())
                .collect();
            assert_eq!(payloads, vec!["\"ok-1\"", "\"ok-2\""]);
            break;
        }
        assert!(
            Instant::now() < deadline,
            "out: {}, dead letters: {dead}",
            out.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let audit = bus
        .history("audit", Offset(0), None, 10)
        .await
        .expect("audit");
    assert_eq!(
        audit.len(),
        2,
        "an answer may name another of the stage's outputs"
    );
    let dead = redis.cli(&["XRANGE", &dead_key, "-", "+"]);
    assert!(dead.contains("cannot digest poison"), "{dead}");
    assert!(dead.contains("crashed"), "{dead}");
    assert!(
        dead.contains("\"poison\"") && dead.contains("\"crash\""),
        "{dead}"
    );
    let topology = bus.pipeline_topology().await.expect("topology");
    let _ = topology;
}

#[tokio::test]
async fn a_shell_processor_works_too() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let _manager = Manager::start(
        &redis.url(),
        &format!(
            "[[pipeline]]\nname = \"tag\"\ninput = \"raw\"\noutputs = [\"tagged\"]\ncommand = \"sh\"\nargs = [\"{}\"]\n",
            example("tag.sh")
        ),
    );
    wait_states(&bus, Duration::from_secs(20), "tag running", |s| {
        s.iter()
            .any(|s| s.name == "tag" && s.status == ProcessStatus::Running)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..50 {
        let body = format!("{{\"n\":{i}}}");
        bus.publish(&EnvelopeDraft::new("raw", Bytes::from(body)), None)
            .await
            .expect("publish");
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = bus
            .history("tagged", Offset(0), None, 100)
            .await
            .expect("history");
        if out.len() == 50 {
            for (i, envelope) in out.iter().enumerate() {
                let value: serde_json::Value =
                    serde_json::from_slice(&envelope.payload).expect("json");
                assert_eq!(value["original"]["n"], i, "order kept with one instance");
                assert!(value["seen_at"].is_u64());
            }
            break;
        }
        assert!(Instant::now() < deadline, "{} of 50 tagged", out.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_native_rust_processor_built_with_the_sdk() {
    let redis = RedisServer::start();
    let bus = redis.bus().await;
    let upper = asynchronio_e2e::process::binary("process-manager")
        .parent()
        .map(|dir| dir.join("examples/upper"))
        .expect("target dir");
    assert!(
        upper.exists(),
        "{} is missing: build it with cargo build -p asynchronio-processor --examples (make test does)",
        upper.display()
    );
    let _manager = Manager::start(
        &redis.url(),
        &format!(
            "[[pipeline]]\nname = \"native\"\ninput = \"words\"\noutputs = [\"WORDS\"]\ncommand = \"{}\"\nmax_retries = 0\n",
            upper.display()
        ),
    );
    wait_states(&bus, Duration::from_secs(20), "native running", |s| {
        s.iter()
            .any(|s| s.name == "native" && s.status == ProcessStatus::Running)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for data in ["\"abc\"", "\"\"", "42", "\"xyz\""] {
        bus.publish(&EnvelopeDraft::new("words", Bytes::from(data)), None)
            .await
            .expect("publish");
    }
    let dead_key = bus.keys().pm_dead_letters("native");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = bus
            .history("WORDS", Offset(0), None, 10)
            .await
            .expect("history");
        if out.len() == 2 && redis.cli(&["XLEN", &dead_key]) == "1" {
            let payloads: Vec<String> = out
                .iter()
                .map(|e| String::from_utf8_lossy(&e.payload).into_owned())
                .collect();
            assert_eq!(
                payloads,
                vec!["\"ABC\"", "\"XYZ\""],
                "empty dropped, number dead-lettered"
            );
            break;
        }
        assert!(Instant::now() < deadline, "{} outputs", out.len());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_stopped_stage_loses_nothing_beyond_the_history_size() {
    let redis = RedisServer::start();
    // Publishers keep only 50 messages per channel.
    let bus = redis
        .bus_with(asynchronio_bus::HistorySettings {
            size: 50,
            ..asynchronio_bus::HistorySettings::default()
        })
        .await;
    let _manager = Manager::start(
        &redis.url(),
        &format!(
            "[[pipeline]]\nname = \"later\"\ninput = \"jobs\"\noutputs = [\"done\"]\ncommand = \"python3\"\nargs = [\"-u\", \"{}\"]\n",
            example("upper.py")
        ),
    );
    wait_states(&bus, Duration::from_secs(20), "later running", |s| {
        s.iter()
            .any(|s| s.name == "later" && s.status == ProcessStatus::Running)
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let publish = |range: std::ops::Range<u32>| {
        let bus = bus.clone();
        async move {
            let drafts: Vec<EnvelopeDraft> = range
                .map(|i| EnvelopeDraft::new("jobs", Bytes::from(format!("\"job {i}\""))))
                .collect();
            for result in bus.publish_drafts(&drafts).await {
                result.expect("publish");
            }
        }
    };
    publish(0..10).await;
    let wait_done = |count: u64| {
        let bus = bus.clone();
        async move {
            let deadline = Instant::now() + Duration::from_secs(30);
            while bus.position("done").await.expect("position").offset.0 < count {
                assert!(Instant::now() < deadline, "fewer than {count} done");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    wait_done(10).await;
    // The manager records the stage's hold once a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stopped = asynchronio_e2e::manager::command(
        &bus,
        asynchronio_protocol::process::ProcessAction::Stop {
            name: "later".into(),
        },
    )
    .await;
    assert!(stopped.ok, "{stopped:?}");
    publish(10..310).await;
    assert_eq!(
        redis.cli(&["HGET", "asynchronio:meta:{jobs}", "floor"]),
        "10"
    );
    let kept = redis.cli(&["XLEN", "asynchronio:stream:{jobs}"]);
    assert!(
        kept.parse::<u64>().expect("XLEN") >= 300,
        "trimmed what the stage needs: {kept}"
    );

    let started = asynchronio_e2e::manager::command(
        &bus,
        asynchronio_protocol::process::ProcessAction::Start {
            name: "later".into(),
        },
    )
    .await;
    assert!(started.ok, "{started:?}");
    wait_done(310).await;
    let all: HashSet<u64> = sources(&bus, "done").await.into_iter().collect();
    assert_eq!(all.len(), 310, "every job handled once");
    // Once it caught up, the channel may trim again.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    publish(310..311).await;
    let kept = redis.cli(&["XLEN", "asynchronio:stream:{jobs}"]);
    assert!(
        kept.parse::<u64>().expect("XLEN") < 300,
        "history trims again: {kept}"
    );
}
