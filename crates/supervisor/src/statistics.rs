//! The statistics task: every second, each stage's figures (counters,
//! rate, backlog, instances wanted and running) as a [`PipelineTopology`],
//! stored in Redis and published on [`PIPELINES_CHANNEL`] when it changed,
//! or every ten seconds anyway. It only reads: the stages' holds are the
//! holds task's ([`crate::holds`]).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_protocol::EnvelopeDraft;
use asynchronio_protocol::clock::now_ms;
use asynchronio_protocol::process::{PIPELINES_CHANNEL, PipelineTopology, StageStats, stage_group};
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
    let mut last_taken = Instant::now();
    let mut last_stages: Option<Vec<StageStats>> = None;
    let mut last_published = Instant::now();
    loop {
        tick.tick().await;
        if stages.has_changed().is_err() {
            return;
        }
        let interval = last_taken.elapsed();
        last_taken = Instant::now();
        let current = stages.borrow().clone();
        let topology = counted.topology(&bus, &current, interval).await;
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

/// Each stage's counters when last taken, for rates and "failing".
#[derive(Default)]
struct Counted {
    processed: HashMap<String, u64>,
    errors: HashMap<String, u64>,
}

impl Counted {
    /// The topology with live figures; `interval` is the time since the
    /// previous call (for rates).
    async fn topology(
        &mut self,
        bus: &Bus,
        stages: &[ConfiguredStage],
        interval: Duration,
    ) -> PipelineTopology {
        let mut figures = Vec::new();
        for configured in stages {
            let spec = &configured.spec;
            let Some(stage) = &spec.stage else { continue };
            let counters = &configured.counters;
            let running = configured.readiness.running();
            let desired = configured.desired;
            let processed = counters.processed.load(Ordering::Relaxed);
            let errors = counters.errors.load(Ordering::Relaxed);
            let before = self
                .processed
                .insert(spec.name.clone(), processed)
                .unwrap_or(processed);
            let errors_before = self
                .errors
                .insert(spec.name.clone(), errors)
                .unwrap_or(errors);
            let stream = bus.keys().stream(&stage.input);
            let group = stage_group(&spec.name);
            let backlog = bus
                .group_backlog(&stream, &group)
                .await
                .ok()
                .flatten()
                .unwrap_or_default();
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
                processed,
                errors,
                dead_lettered: counters.dead_lettered.load(Ordering::Relaxed),
                rate: (processed.saturating_sub(before) as f64 / interval.as_secs_f64().max(0.001)
                    * 10.0)
                    .round()
                    / 10.0,
                pending: backlog.pending,
                undelivered: backlog.undelivered,
                failing: errors > errors_before || (wanted > 0 && running == 0),
            });
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
