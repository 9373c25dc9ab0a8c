//! The process manager's Prometheus metrics, served at `GET /metrics` on
//! `--metrics-listen` when it is given: instances by status, restarts, and
//! each pipeline stage's processed, errors and dead-lettered totals.
//!
//! Nothing here is on a per-message path: stages already count into their
//! [`crate::stage::StageCounters`] atomics, which are copied into the
//! exported counters when `/metrics` is rendered; statuses are tracked by
//! the reporter, which sees every state change.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use asynchronio_protocol::process::ProcessStatus;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

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
    for stage in stages.borrow().iter() {
        let name = stage.spec.name.clone();
        let counters = &stage.counters;
        let load =
            |value: &std::sync::atomic::AtomicU64| value.load(std::sync::atomic::Ordering::Relaxed);
        metrics::counter!(STAGE_PROCESSED, "stage" => name.clone())
            .absolute(load(&counters.processed));
        metrics::counter!(STAGE_ERRORS, "stage" => name.clone()).absolute(load(&counters.errors));
        metrics::counter!(STAGE_DEAD_LETTERED, "stage" => name)
            .absolute(load(&counters.dead_lettered));
    }
    asynchronio_service::metrics::handle()
        .map(|handle| handle.render())
        .unwrap_or_default()
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
    Ok(serve(listener, stages, stop))
}

async fn serve(
    listener: TcpListener,
    stages: watch::Receiver<Vec<ConfiguredStage>>,
    stop: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                let body = render(&stages);
                tokio::spawn(async move {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(5), answer(stream, body)).await;
                });
            }
            Err(error) => {
                tracing::warn!(%error, "metrics endpoint accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn answer(mut stream: TcpStream, metrics: String) -> std::io::Result<()> {
    let mut request = [0u8; 1024];
    let read = stream.read(&mut request).await?;
    let line = std::str::from_utf8(request.get(..read).unwrap_or_default())
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("");
    let (status, content_type, body) = if line.starts_with("GET /metrics ") {
        (
            "200 OK",
            asynchronio_service::metrics::CONTENT_TYPE,
            metrics,
        )
    } else {
        (
            "404 Not Found",
            "text/plain; charset=utf-8",
            "only GET /metrics is served here".to_owned(),
        )
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
