//! The holds task: keeps each stage's input channel from trimming what the
//! stage has not handled. Every period it moves the stage's hold (its name
//! is [`stage_holder`]) to just before the oldest entry the stage's group
//! has not acknowledged, or to the last entry delivered when nothing is
//! pending; when a stage leaves the configuration (or reads another
//! input), it gives the old hold back. It is the one writer of stage holds,
//! and runs on its own period, independent of the statistics task, so the
//! rule "trimming never passes a hold" depends on nothing else.

use std::collections::BTreeSet;
use std::time::Duration;

use asynchronio_bus::{Bus, GroupBacklog};
use asynchronio_protocol::Offset;
use asynchronio_protocol::process::stage_group;
use asynchronio_protocol::system::stage_holder;
use tokio::sync::watch;

use crate::supervisor::ConfiguredStage;

/// How often holds follow the stages' progress. A hold that lags only
/// keeps more history than needed, never less.
pub const HOLD_EVERY: Duration = Duration::from_secs(1);

/// Keeps the holds of the configured `stages` until the supervisor is
/// gone (its watch closes); the manager ends it sooner at shutdown.
pub async fn keep_holds(
    bus: Bus,
    mut stages: watch::Receiver<Vec<ConfiguredStage>>,
    every: Duration,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut configured = inputs(&stages.borrow_and_update());
    loop {
        tokio::select! {
            _ = tick.tick() => {
                for (stage, input) in &configured {
                    hold_input(&bus, stage, input).await;
                }
            }
            changed = stages.changed() => {
                // A closed watch is the supervisor gone (the manager
                // stopping), not every stage removed: keep the holds.
                if changed.is_err() {
                    return;
                }
                let now = inputs(&stages.borrow_and_update());
                for (stage, input) in configured.difference(&now) {
                    release(&bus, stage, input).await;
                }
                configured = now;
            }
        }
    }
}

/// (stage, input channel) of every configured stage.
fn inputs(stages: &[ConfiguredStage]) -> BTreeSet<(String, String)> {
    stages
        .iter()
        .filter_map(|stage| {
            let input = stage.spec.stage.as_ref()?.input.clone();
            Some((stage.spec.name.clone(), input))
        })
        .collect()
}

/// Gives back a stage's hold on a channel it no longer reads.
async fn release(bus: &Bus, stage: &str, input: &str) {
    if let Err(error) = bus.hold(input, None, &stage_holder(stage), None).await {
        tracing::warn!(%error, stage, "cannot release the input channel");
    }
}

/// Moves one stage's hold on its input: through the entry before its
/// oldest unacknowledged one, or through its last delivered entry when
/// nothing is pending. Nothing while the group has read nothing.
async fn hold_input(bus: &Bus, stage: &str, input: &str) {
    let stream = bus.keys().stream(input);
    let group = stage_group(stage);
    let backlog: GroupBacklog = match bus.group_backlog(&stream, &group).await {
        Ok(backlog) => backlog.unwrap_or_default(),
        Err(_) => return,
    };
    if backlog.last_delivered == 0 && backlog.pending == 0 {
        return;
    }
    let through = if backlog.pending > 0 {
        match bus.oldest_pending(&stream, &group).await {
            Ok(Some(oldest)) => oldest.saturating_sub(1),
            _ => return,
        }
    } else {
        backlog.last_delivered
    };
    if let Err(error) = bus
        .hold(input, None, &stage_holder(stage), Some(Offset(through)))
        .await
    {
        tracing::warn!(%error, stage, "cannot hold the input channel's history");
    }
}
