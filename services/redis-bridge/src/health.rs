//! The bridge's HTTP endpoint: `GET /healthz` answers 200 with what this
//! replica holds, for container health checks and operators; `GET /metrics`
//! is the Prometheus exposition.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_protocol::system::INGEST_GROUP;
use asynchronio_service::http_endpoint::{self, Answer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::ownership::Ownership;

/// How long a scrape waits for the ingest backlog before serving the
/// previous figures: a slow Redis must not hold the scraper up.
const BACKLOG_TIMEOUT: Duration = Duration::from_secs(1);

/// What the endpoint reports.
pub struct Health {
    pub replica: String,
    pub ownership: Arc<Ownership>,
    /// True once connected to Redis.
    pub ready: AtomicBool,
    /// The connection the ingest backlog is read on at a scrape.
    pub bus: Bus,
    /// Whether this replica leads the ingest stream now (set by the
    /// [`crate::ingest::IngestReader`]).
    pub ingest_leading: Arc<AtomicBool>,
}

/// Serves `GET /healthz` and `GET /metrics` on `listener` until `stop`.
pub async fn serve(listener: TcpListener, health: Arc<Health>, stop: CancellationToken) {
    http_endpoint::serve(listener, stop, move |line: String| {
        let health = Arc::clone(&health);
        async move { answer(&line, &health).await }
    })
    .await;
}

async fn answer(line: &str, health: &Health) -> Answer {
    if http_endpoint::is_get(line, "/metrics") {
        let Some(metrics) = asynchronio_service::metrics::handle() else {
            return Answer {
                status: "404 Not Found",
                content_type: "text/plain; charset=utf-8",
                body: "metrics are not installed".to_owned(),
            };
        };
        refresh(health).await;
        return Answer {
            status: "200 OK",
            content_type: asynchronio_service::metrics::CONTENT_TYPE,
            body: metrics.render(),
        };
    }
    if !http_endpoint::is_get(line, "/healthz") {
        return Answer {
            status: "404 Not Found",
            content_type: "application/json",
            body: "{\"error\":\"only GET /healthz and GET /metrics are served here\"}".to_owned(),
        };
    }
    if health.ready.load(Ordering::Acquire) {
        Answer {
            status: "200 OK",
            content_type: "application/json",
            body: format!(
                "{{\"status\":\"ok\",\"replica\":\"{}\",\"partitions\":{}}}",
                health.replica.replace('"', ""),
                health.ownership.owned_count()
            ),
        }
    } else {
        Answer {
            status: "503 Service Unavailable",
            content_type: "application/json",
            body: "{\"status\":\"connecting to Redis\"}".to_owned(),
        }
    }
}

/// Sets the gauges read at a scrape: partitions owned, and the ingest
/// backlog. Only the ingest leader reports the backlog (the others report
/// 0), so summing over replicas counts it once; it is read from Redis
/// (`XINFO GROUPS`) now, not kept on the ingest path.
#[allow(clippy::cast_precision_loss, reason = "gauges for people")]
async fn refresh(health: &Health) {
    let metrics = crate::metrics::get();
    metrics
        .partitions
        .set(health.ownership.owned_count() as f64);
    if !health.ingest_leading.load(Ordering::Acquire) {
        metrics.ingest_lag.set(0.0);
        metrics.ingest_pending.set(0.0);
        return;
    }
    let stream = health.bus.keys().ingest();
    let read = health.bus.group_backlog(&stream, INGEST_GROUP);
    match tokio::time::timeout(BACKLOG_TIMEOUT, read).await {
        Ok(Ok(backlog)) => {
            let backlog = backlog.unwrap_or_default();
            metrics.ingest_lag.set(backlog.undelivered as f64);
            metrics.ingest_pending.set(backlog.pending as f64);
        }
        Ok(Err(error)) => {
            tracing::warn!(%error, "cannot read the ingest backlog for /metrics; serving the last figures");
        }
        Err(_) => {
            tracing::warn!(
                "the ingest backlog took over {BACKLOG_TIMEOUT:?} to read; serving the last figures"
            );
        }
    }
}
