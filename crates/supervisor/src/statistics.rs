//! The statistics task: every second, each stage's figures (counters,
//! rate, backlog, instances wanted and running, the last minute's
//! failures and per-second counts, and its health by
//! [`StageHealth::judge`]) as a [`PipelineTopology`],
//! stored in Redis and published on [`PIPELINES_CHANNEL`] when it changed,
//! or every ten seconds anyway. It only reads: the stages' holds are the
//! holds task's ([`crate::holds`]).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::time::Duration;

use asynchronio_bus::{Bus, GroupBacklog};
use asynchronio_protocol::EnvelopeDraft;
use asynchronio_protocol::clock::now_ms;
use asynchronio_protocol::process::{PIPELINES_CHANNEL, PipelineTopology, StageStats, stage_group};
use asynchronio_protocol::stage_health::{HEALTH_WINDOW_SECS, StageHealth, StageWindow};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::supervisor::ConfiguredStage;

/// How often the figures are taken.
pub const STATISTICS_EVERY: Duration = Duration::from_secs(1);

/// Unchanged figures are published again this often, so a late reader
/// of the channel does not wait long.
const REPUBLISH_EVERY: Duration = Duration::from_secs(10);

/// Publishes the figures of the configured `stages` until the supervisor is
/// gone (its watch closes); the manager ends it sooner at shutdown.
pub async fn publish_statistics(
    bus: Bus,
    stages: watch::Receiver<Vec<ConfiguredStage>>,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    let mut counted = Counted::default();
    let mut last_stages: Option<Vec<StageStats>> = None;
    let mut last_published = Instant::now();
    loop {
        tick.tick().await;
        if stages.has_changed().is_err() {
            return;
        }
        let current = stages.borrow().clone();
        let topology = counted.topology(&bus, &current).await;
        if topology.stages.is_empty() {
            continue;
        }
        let changed = last_stages.as_ref() != Some(&topology.stages);
        if changed || last_published.elapsed() >= REPUBLISH_EVERY {
            last_published = Instant::now();
            last_stages = Some(topology.stages.clone());
            publish_topology(&bus, &topology).await;
        }
    }
}

/// Each stage's counters as taken every second over the last minute: rates,
/// the per-second sparkline and the health rule's window come from them.
#[derive(Default)]
struct Counted {
    samples: HashMap<String, VecDeque<Sample>>,
}

/// A stage's counters at one moment.
#[derive(Clone, Copy)]
struct Sample {
    at: Instant,
    processed: u64,
    errors: u64,
    dead_lettered: u64,
}

/// Samples kept per stage: a minute's worth, plus the one the minute is
/// counted from.
const SAMPLES_KEPT: usize = HEALTH_WINDOW_SECS as usize + 1;

impl Counted {
    /// Records `now` for `stage` and returns its samples, oldest first.
    fn record(&mut self, stage: &str, now: Sample) -> &VecDeque<Sample> {
        let samples = self.samples.entry(stage.to_owned()).or_default();
        // Counters that went down were started afresh (a reload that
        // changed the stage): the older samples would read as a minute
        // with nothing processed.
        if samples.back().is_some_and(|last| {
            now.processed < last.processed
                || now.errors < last.errors
                || now.dead_lettered < last.dead_lettered
        }) {
            samples.clear();
        }
        let window = Duration::from_secs(HEALTH_WINDOW_SECS);
        samples.push_back(now);
        while samples.len() > SAMPLES_KEPT
            || samples
                .front()
                .is_some_and(|oldest| now.at.duration_since(oldest.at) > window + STATISTICS_EVERY)
        {
            samples.pop_front();
        }
        samples
    }

    /// The topology with live figures.
    async fn topology(&mut self, bus: &Bus, stages: &[ConfiguredStage]) -> PipelineTopology {
        let mut figures = Vec::new();
        for configured in stages {
            let spec = &configured.spec;
            let Some(stage) = &spec.stage else { continue };
            let counters = &configured.counters;
            let running = configured.readiness.running();
            let desired = configured.desired;
            let now = Sample {
                at: Instant::now(),
                processed: counters.processed.load(Ordering::Relaxed),
                errors: counters.errors.load(Ordering::Relaxed),
                dead_lettered: counters.dead_lettered.load(Ordering::Relaxed),
            };
            let samples = self.record(&spec.name, now);
            let oldest = samples.front().copied().unwrap_or(now);
            let previous = samples.iter().rev().nth(1).copied().unwrap_or(now);
            let window = StageWindow {
                processed: now.processed.saturating_sub(oldest.processed),
                errors: now.errors.saturating_sub(oldest.errors),
                dead_lettered: now.dead_lettered.saturating_sub(oldest.dead_lettered),
            };
            let processed_per_second: Vec<u32> = samples
                .iter()
                .zip(samples.iter().skip(1))
                .map(|(before, after)| {
                    u32::try_from(after.processed.saturating_sub(before.processed))
                        .unwrap_or(u32::MAX)
                })
                .collect();
            let interval = now.at.duration_since(previous.at).as_secs_f64();
            let rate = if interval > 0.0 {
                (now.processed.saturating_sub(previous.processed) as f64 / interval * 10.0).round()
                    / 10.0
            } else {
                0.0
            };
            let stream = bus.keys().stream(&stage.input);
            let group = stage_group(&spec.name);
            // Unreadable (Redis down) shows as 0 on the page; the gauges
            // keep their last figures rather than claim an empty backlog.
            let backlog = match bus.group_backlog(&stream, &group).await {
                Ok(backlog) => {
                    let backlog = backlog.unwrap_or_default();
                    crate::metrics::stage_backlog(&spec.name, backlog.undelivered, backlog.pending);
                    backlog
                }
                Err(_) => GroupBacklog::default(),
            };
            let wanted = if desired.running {
                desired.instances
            } else {
                0
            };
            figures.push(StageStats {
                name: spec.name.clone(),
                input: stage.input.clone(),
                outputs: stage.outputs.clone(),
                instances: wanted,
                running,
                processed: now.processed,
                errors: now.errors,
                dead_lettered: now.dead_lettered,
                rate,
                pending: backlog.pending,
                undelivered: backlog.undelivered,
                errors_last_minute: window.errors,
                dead_lettered_last_minute: window.dead_lettered,
                processed_per_second,
                health: StageHealth::judge(window, wanted, running),
            });
        }
        // A stage no longer configured: its gauges say it holds nothing,
        // and it is forgotten here.
        let gone: Vec<String> = self
            .samples
            .keys()
            .filter(|name| !figures.iter().any(|stage| &stage.name == *name))
            .cloned()
            .collect();
        for name in gone {
            crate::metrics::stage_backlog(&name, 0, 0);
            self.samples.remove(&name);
        }
        PipelineTopology {
            stages: figures,
            updated_ms: now_ms(),
        }
    }
}

/// Stores the topology (what the REST API serves) and publishes it.
async fn publish_topology(bus: &Bus, topology: &PipelineTopology) {
    if let Err(error) = bus.write_pipeline_topology(topology).await {
        tracing::warn!(%error, "cannot store the pipeline topology");
        return;
    }
    let Ok(draft) = EnvelopeDraft::json(PIPELINES_CHANNEL, topology, "process-manager") else {
        return;
    };
    if let Err(error) = bus.publish(&draft, None).await {
        tracing::warn!(%error, "cannot publish the pipeline topology");
    }
}
