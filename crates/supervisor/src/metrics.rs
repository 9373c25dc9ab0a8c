//! The process manager's Prometheus metrics, served at `GET /metrics` on
//! `--metrics-listen` when it is given: instances by status, restarts,
//! each pipeline stage's processed, errors and dead-lettered totals and its
//! backlog, and how long commands take.
//!
//! Nothing here is on a per-message path: stages already count into their
//! [`crate::stage::StageCounters`] atomics, whose growth is added to the
//! exported counters when `/metrics` is rendered; statuses are tracked by
//! the reporter, which sees every state change; the backlog gauges are set
//! by the statistics task, which reads it every second anyway.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use asynchronio_protocol::process::ProcessStatus;
use asynchronio_service::http_endpoint::{self, Answer};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::stage::StageCounters;

use crate::supervisor::ConfiguredStage;

/// Instances by status.
pub const INSTANCES: &str = "asynchronio_manager_instances";
/// Restarts, by program.
pub const RESTARTS: &str = "asynchronio_manager_restarts_total";
/// Messages a stage's processors answered, by stage.
pub const STAGE_PROCESSED: &str = "asynchronio_manager_stage_processed_total";
/// Messages a stage failed, by stage.
pub const STAGE_ERRORS: &str = "asynchronio_manager_stage_errors_total";
/// Messages a stage dead-lettered, by stage.
pub const STAGE_DEAD_LETTERED: &str = "asynchronio_manager_stage_dead_lettered_total";
/// Messages in a stage's input not yet delivered to its processors.
pub const STAGE_LAG: &str = "asynchronio_manager_stage_lag";
/// Messages delivered to a stage's processors and not yet acknowledged.
pub const STAGE_PENDING: &str = "asynchronio_manager_stage_pending";
/// How long a command took, from its receipt to its result, by command.
pub const COMMAND_DURATION: &str = "asynchronio_manager_command_duration_seconds";

const STATUSES: [ProcessStatus; 7] = [
    ProcessStatus::Starting,
    ProcessStatus::Running,
    ProcessStatus::Stopping,
    ProcessStatus::Stopped,
    ProcessStatus::Backoff,
    ProcessStatus::Fatal,
    ProcessStatus::Exited,
];

/// The latest status of every instance, by its state field.
static STATUS: LazyLock<Mutex<HashMap<String, ProcessStatus>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// Each stage's counters as last added to the exported ones: which
/// counters (a stage removed and added again starts new ones at 0) and
/// their values then.
static EXPORTED: LazyLock<Mutex<HashMap<String, Exported>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

struct Exported {
    counters: Arc<StageCounters>,
    values: [u64; 3],
}

fn describe() {
    metrics::describe_gauge!(INSTANCES, "Supervised instances, by status.");
    metrics::describe_counter!(
        RESTARTS,
        "Restarts of supervised instances after they exited or were killed, by program."
    );
    metrics::describe_counter!(
        STAGE_PROCESSED,
        "Messages a pipeline stage's processors answered, by stage."
    );
    metrics::describe_counter!(
        STAGE_ERRORS,
        "Messages a pipeline stage failed (error answers, bad lines, messages left by a processor that stopped), by stage."
    );
    metrics::describe_counter!(
        STAGE_DEAD_LETTERED,
        "Messages a pipeline stage moved to its dead-letter stream, by stage."
    );
    metrics::describe_gauge!(
        STAGE_LAG,
        "Messages in a pipeline stage's input stream not yet delivered to its processors, by stage."
    );
    metrics::describe_gauge!(
        STAGE_PENDING,
        "Messages delivered to a pipeline stage's processors and not yet acknowledged, by stage."
    );
    metrics::describe_histogram!(
        COMMAND_DURATION,
        metrics::Unit::Seconds,
        "Time from a process command's receipt by the manager to its result, by command."
    );
}

/// Notes instance `field`'s status (`None`: it was removed).
pub fn instance_status(field: &str, status: Option<ProcessStatus>) {
    let Ok(mut statuses) = STATUS.lock() else {
        return;
    };
    match status {
        Some(status) => {
            statuses.insert(field.to_owned(), status);
        }
        None => {
            statuses.remove(field);
        }
    }
}

/// Counts a restart of an instance of `program`.
pub fn restarted(program: &str) {
    metrics::counter!(RESTARTS, "program" => program.to_owned()).increment(1);
}

/// Records that a `command` (its verb) took `took`, receipt to result.
pub fn command_took(command: &'static str, took: Duration) {
    metrics::histogram!(COMMAND_DURATION, "command" => command).record(took.as_secs_f64());
}

/// Sets stage `stage`'s backlog gauges: `lag` messages not yet delivered
/// to its processors, `pending` delivered and not yet acknowledged.
#[allow(clippy::cast_precision_loss, reason = "gauges for people")]
pub fn stage_backlog(stage: &str, lag: u64, pending: u64) {
    metrics::gauge!(STAGE_LAG, "stage" => stage.to_owned()).set(lag as f64);
    metrics::gauge!(STAGE_PENDING, "stage" => stage.to_owned()).set(pending as f64);
}

/// Brings the exported values up to date, then renders them.
fn render(stages: &watch::Receiver<Vec<ConfiguredStage>>) -> String {
    let mut counts = [0u32; STATUSES.len()];
    if let Ok(statuses) = STATUS.lock() {
        for status in statuses.values() {
            if let Some(i) = STATUSES.iter().position(|s| s == status) {
                counts[i] += 1;
            }
        }
    }
    for (status, count) in STATUSES.iter().zip(counts) {
        metrics::gauge!(INSTANCES, "status" => status.as_str()).set(f64::from(count));
    }
    if let Ok(mut exported) = EXPORTED.lock() {
        for stage in stages.borrow().iter() {
            export_stage(&mut exported, &stage.spec.name, &stage.counters);
        }
    }
    asynchronio_service::metrics::handle()
        .map(|handle| handle.render())
        .unwrap_or_default()
}

/// Adds what stage `name`'s counters grew by since last exported. Adding,
/// not `Counter::absolute`: a stage removed and added again counts from 0
/// in new counters, and an absolute value below the exported one would be
/// ignored until the new counters passed it.
fn export_stage(
    exported: &mut HashMap<String, Exported>,
    name: &str,
    counters: &Arc<StageCounters>,
) {
    let values = [
        counters.processed.load(Ordering::Relaxed),
        counters.errors.load(Ordering::Relaxed),
        counters.dead_lettered.load(Ordering::Relaxed),
    ];
    let before = match exported.get(name) {
        Some(last) if Arc::ptr_eq(&last.counters, counters) => last.values,
        _ => [0; 3],
    };
    for ((metric, value), before) in [STAGE_PROCESSED, STAGE_ERRORS, STAGE_DEAD_LETTERED]
        .into_iter()
        .zip(values)
        .zip(before)
    {
        // Also at 0: a stage's counters are exported from its start.
        metrics::counter!(metric, "stage" => name.to_owned())
            .increment(value.saturating_sub(before));
    }
    exported.insert(
        name.to_owned(),
        Exported {
            counters: Arc::clone(counters),
            values,
        },
    );
}

/// Installs the recorder and binds `listen` for `GET /metrics`; the
/// returned future serves it until `stop`.
pub async fn start(
    listen: SocketAddr,
    stages: watch::Receiver<Vec<ConfiguredStage>>,
    stop: CancellationToken,
) -> anyhow::Result<impl Future<Output = ()>> {
    asynchronio_service::metrics::install()?;
    describe();
    let listener = TcpListener::bind(listen).await.with_context(|| {
        format!("cannot listen on {listen} for /metrics: is it in use? choose another with --metrics-listen")
    })?;
    Ok(http_endpoint::serve(listener, stop, move |line: String| {
        let stages = stages.clone();
        async move {
            if !http_endpoint::is_get(&line, "/metrics") {
                return Answer::not_found("GET /metrics");
            }
            Answer {
                status: "200 OK",
                content_type: asynchronio_service::metrics::CONTENT_TYPE,
                body: render(&stages),
            }
        }
    }))
}
