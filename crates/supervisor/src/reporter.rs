//! The one place instance states reach Redis. Instances send every change
//! here; the reporter keeps the latest state of each, samples CPU and
//! memory from `/proc`, and in batches writes the state hash, records
//! process groups for the stray sweep, and publishes each change on
//! `$sys:processes`. While Redis is away it keeps the latest states and
//! writes them once it is back.
//!
//! It is the only writer of the state hash: before its first write it
//! deletes the states a previous manager left (their instances are gone).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use asynchronio_bus::Bus;
use asynchronio_protocol::EnvelopeDraft;
use asynchronio_protocol::process::{InstanceState, PROCESSES_CHANNEL};
use tokio::sync::{mpsc, watch};

use crate::procfs;

/// What instances tell the reporter.
#[derive(Debug)]
pub enum Report {
    /// The full new state of one instance.
    State(InstanceState),
    /// An instance that no longer exists (scaled down or removed).
    Removed(String),
    /// A process group was started (pgid, leader start ticks).
    GroupStarted(u32, u64),
    /// A process group has no process left.
    GroupEnded(u32),
    /// Answered once everything reported before it is in Redis.
    Barrier(tokio::sync::oneshot::Sender<()>),
}

/// Cloneable handle instances report through.
#[derive(Debug, Clone)]
pub struct Reporter {
    tx: mpsc::Sender<Report>,
}

impl Reporter {
    /// Queues a report (waits while the queue is full).
    pub async fn send(&self, report: Report) {
        // The receiver lives as long as the manager; a failed send means
        // the manager is exiting and the report no longer matters.
        let _ = self.tx.send(report).await;
    }

    /// Waits (up to 5 s) until everything reported so far is in Redis, so
    /// that a command's result is never ahead of the states `ps` reads.
    pub async fn barrier(&self) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.send(Report::Barrier(tx)).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), rx).await;
    }
}

/// How often states are written and CPU/memory sampled.
#[derive(Debug, Clone, Copy)]
pub struct ReporterSettings {
    /// How often queued changes are written.
    pub flush_every: Duration,
    /// How often CPU and memory are sampled.
    pub sample_every: Duration,
}

impl Default for ReporterSettings {
    fn default() -> Self {
        Self {
            flush_every: Duration::from_millis(20),
            sample_every: Duration::from_secs(2),
        }
    }
}

/// Starts the reporter task. It writes once `bus` holds a connection and
/// stops after every [`Reporter`] is dropped and the last batch is out.
pub fn start(
    bus: watch::Receiver<Option<Bus>>,
    manager: String,
    settings: ReporterSettings,
) -> (Reporter, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(8192);
    let task = tokio::spawn(run(rx, bus, manager, settings));
    (Reporter { tx }, task)
}

#[derive(Default)]
struct Pending {
    /// Every state change in order, for the events: none is skipped even
    /// when a later one overwrites it in the hash.
    events: Vec<InstanceState>,
    barriers: Vec<tokio::sync::oneshot::Sender<()>>,
    changed: BTreeSet<String>,
    removed: BTreeSet<String>,
    groups_started: BTreeMap<u32, u64>,
    groups_ended: BTreeSet<u32>,
}

/// Events kept while Redis is away; older ones are dropped (the state hash
/// still gets the latest of each instance).
const MAX_EVENTS: usize = 10_000;

impl Pending {
    fn push_event(&mut self, state: InstanceState) {
        if self.events.len() >= MAX_EVENTS {
            self.events.drain(..MAX_EVENTS / 2);
        }
        self.events.push(state);
    }

    fn is_empty(&self) -> bool {
        self.events.is_empty()
            && self.barriers.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.groups_started.is_empty()
            && self.groups_ended.is_empty()
    }
}

/// CPU sample of one pid: ticks at a time.
struct CpuSample {
    pid: u32,
    ticks: u64,
    at: Instant,
}

async fn run(
    mut rx: mpsc::Receiver<Report>,
    mut bus: watch::Receiver<Option<Bus>>,
    manager: String,
    settings: ReporterSettings,
) {
    let mut states: BTreeMap<String, InstanceState> = BTreeMap::new();
    let mut samples: BTreeMap<String, CpuSample> = BTreeMap::new();
    let mut pending = Pending::default();
    let mut flush = tokio::time::interval(settings.flush_every);
    flush.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sample = tokio::time::interval(settings.sample_every);
    sample.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    // Whether a previous manager's states are deleted yet.
    let mut cleared = false;
    let mut open = true;
    while open || !pending.is_empty() {
        tokio::select! {
            report = rx.recv(), if open => match report {
                Some(report) => apply(report, &mut states, &mut pending, &manager),
                None => open = false,
            },
            _ = flush.tick() => {
                let Some(current) = bus.borrow().clone() else {
                    if !open { break; }
                    continue;
                };
                let written = async {
                    if !cleared {
                        current.clear_process_states().await?;
                        cleared = true;
                    }
                    write(&current, &states, &pending).await
                };
                match written.await {
                    Ok(()) => {
                        if failing {
                            tracing::info!("process states reach Redis again");
                            failing = false;
                        }
                        for barrier in std::mem::take(&mut pending).barriers {
                            let _ = barrier.send(());
                        }
                    }
                    Err(error) => {
                        if !failing {
                            tracing::warn!(%error, "cannot write process states to Redis; keeping them until it is back");
                            failing = true;
                        }
                        if !open {
                            break;
                        }
                    }
                }
            },
            _ = sample.tick() => sample_usage(&mut states, &mut samples, &mut pending),
            _ = bus.changed(), if open => {},
        }
    }
}

fn apply(
    report: Report,
    states: &mut BTreeMap<String, InstanceState>,
    pending: &mut Pending,
    manager: &str,
) {
    match report {
        Report::State(mut state) => {
            let field = state.field();
            crate::metrics::instance_status(&field, Some(state.status));
            // Keep the last CPU/memory sample while the process is the same.
            if let Some(old) = states.get(&field)
                && old.pid == state.pid
                && state.status.is_alive()
            {
                state.cpu_percent = old.cpu_percent;
                state.rss_bytes = old.rss_bytes;
            }
            if state.pid.is_none() {
                state.cpu_percent = 0.0;
                state.rss_bytes = 0;
            }
            state.manager = manager.to_owned();
            pending.removed.remove(&field);
            pending.changed.insert(field.clone());
            pending.push_event(state.clone());
            states.insert(field, state);
        }
        Report::Removed(field) => {
            crate::metrics::instance_status(&field, None);
            states.remove(&field);
            pending.changed.remove(&field);
            pending.removed.insert(field);
        }
        Report::GroupStarted(pgid, ticks) => {
            pending.groups_ended.remove(&pgid);
            pending.groups_started.insert(pgid, ticks);
        }
        Report::GroupEnded(pgid) => {
            if pending.groups_started.remove(&pgid).is_none() {
                pending.groups_ended.insert(pgid);
            }
        }
        Report::Barrier(tx) => pending.barriers.push(tx),
    }
}

/// Samples CPU and memory of every live instance; only changes worth
/// showing (0.5 points of CPU, 1% of memory) become events.
fn sample_usage(
    states: &mut BTreeMap<String, InstanceState>,
    samples: &mut BTreeMap<String, CpuSample>,
    pending: &mut Pending,
) {
    let now = Instant::now();
    let ticks_per_second = procfs::ticks_per_second() as f64;
    samples.retain(|field, _| states.contains_key(field));
    for (field, state) in states.iter_mut() {
        let Some(pid) = state.pid.filter(|_| state.status.is_alive()) else {
            continue;
        };
        let Some(stat) = procfs::stat(pid) else {
            continue;
        };
        let cpu = match samples.get(field) {
            Some(prev) if prev.pid == pid => {
                let seconds = now.duration_since(prev.at).as_secs_f64().max(0.001);
                let used = stat.cpu_ticks.saturating_sub(prev.ticks) as f64 / ticks_per_second;
                (used / seconds * 100.0) as f32
            }
            _ => 0.0,
        };
        samples.insert(
            field.clone(),
            CpuSample {
                pid,
                ticks: stat.cpu_ticks,
                at: now,
            },
        );
        let rss_moved = state.rss_bytes.abs_diff(stat.rss_bytes) * 100 > state.rss_bytes.max(1);
        if (cpu - state.cpu_percent).abs() >= 0.5 || rss_moved {
            state.cpu_percent = (cpu * 10.0).round() / 10.0;
            state.rss_bytes = stat.rss_bytes;
            state.updated_ms = asynchronio_protocol::clock::now_ms();
            state.uptime_ms = state.uptime_at(state.updated_ms);
            pending.changed.insert(field.clone());
            pending.push_event(state.clone());
        }
    }
}

async fn write(
    bus: &Bus,
    states: &BTreeMap<String, InstanceState>,
    pending: &Pending,
) -> Result<(), asynchronio_bus::BusError> {
    if pending.is_empty() {
        return Ok(());
    }
    let changed: Vec<InstanceState> = pending
        .changed
        .iter()
        .filter_map(|field| states.get(field).cloned())
        .collect();
    let removed: Vec<String> = pending.removed.iter().cloned().collect();
    bus.write_process_states(&changed, &removed).await?;
    for (&pgid, &ticks) in &pending.groups_started {
        bus.remember_group(pgid, ticks).await?;
    }
    for &pgid in &pending.groups_ended {
        bus.forget_group(pgid).await?;
    }
    let drafts: Vec<EnvelopeDraft> = pending
        .events
        .iter()
        .filter_map(|state| EnvelopeDraft::json(PROCESSES_CHANNEL, state, "process-manager").ok())
        .collect();
    for result in bus.publish_drafts(&drafts).await {
        result?;
    }
    Ok(())
}
