//! Graceful shutdown: SIGTERM or SIGINT cancels one token that every task
//! of the service watches; tasks then finish their current work and stop,
//! each step bounded so that the service exits within [`GRACE_PERIOD`]
//! whether or not Redis answers ([`join_within`], [`farewell`]).

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The grace period of every service that supervises no child processes
/// (redis-bridge, ws-gateway, rest-api): the longest it runs after SIGTERM
/// or SIGINT, whether or not Redis answers. What supervises a service must
/// wait at least this long before SIGKILL: the process manager's default
/// `stop_grace_ms` is 10 s, docker-compose.yml and the Kubernetes manifests
/// give 15 s. The process manager's own grace period is this plus its
/// programs' longest `stop_grace_ms`, since it stops them first.
pub const GRACE_PERIOD: Duration = Duration::from_secs(10);

/// The longest one goodbye to Redis may take at shutdown (unsubscribing,
/// removing a heartbeat, closing a connection). Each is a courtesy that key
/// expiry makes up for, and Redis may be gone: never worth a retry.
pub const FAREWELL: Duration = Duration::from_secs(1);

/// Runs one goodbye step of a shutdown within [`FAREWELL`]; gives up on it
/// (with a log line naming `what`) when Redis takes longer.
pub async fn farewell<F: Future>(what: &str, step: F) -> Option<F::Output> {
    match tokio::time::timeout(FAREWELL, step).await {
        Ok(output) => Some(output),
        Err(_) => {
            tracing::warn!(
                step = what,
                "gave up after {FAREWELL:?} while shutting down (is Redis down?); exiting anyway"
            );
            None
        }
    }
}

/// Waits up to `limit` for a task told to stop, then aborts it (with a log
/// line naming `what`): a task stuck on Redis must not hold the exit up.
pub async fn join_within<T>(task: JoinHandle<T>, limit: Duration, what: &str) -> Option<T> {
    let abort = task.abort_handle();
    match tokio::time::timeout(limit, task).await {
        Ok(joined) => joined.ok(),
        Err(_) => {
            abort.abort();
            tracing::warn!(
                task = what,
                "did not stop within {limit:?} (is Redis down?); abandoned"
            );
            None
        }
    }
}

/// A handle every task clones to learn that the service is stopping.
#[derive(Debug, Clone, Default)]
pub struct Shutdown {
    token: CancellationToken,
}

impl Shutdown {
    /// A shutdown that fires on SIGTERM or SIGINT (Ctrl-C).
    pub fn on_signals() -> Self {
        let shutdown = Shutdown::default();
        let trigger = shutdown.clone();
        tokio::spawn(async move {
            let reason = wait_for_signal().await;
            tracing::info!(signal = reason, "shutting down gracefully");
            trigger.trigger();
        });
        shutdown
    }

    /// Starts shutdown from inside the service.
    pub fn trigger(&self) {
        self.token.cancel();
    }

    /// Resolves once shutdown has started.
    pub async fn wait(&self) {
        self.token.cancelled().await
    }

    /// The underlying token, for APIs that take one.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

#[cfg(unix)]
async fn wait_for_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(mut term), Ok(mut int)) => tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        },
        _ => {
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}
