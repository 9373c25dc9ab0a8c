//! A minimal HTTP health endpoint: `GET /healthz` answers 200 with what this
//! replica holds, for container health checks and operators; `GET /metrics`
//! is the Prometheus exposition.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use crate::ownership::Ownership;

/// What the endpoint reports.
pub struct Health {
    pub replica: String,
    pub ownership: Arc<Ownership>,
    /// True once connected to Redis.
    pub ready: AtomicBool,
}

pub async fn serve(listener: TcpListener, health: Arc<Health>, stop: CancellationToken) {
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                let health = Arc::clone(&health);
                tokio::spawn(async move {
                    let _ =
                        tokio::time::timeout(Duration::from_secs(5), answer(stream, &health)).await;
                });
            }
            Err(error) => {
                tracing::warn!(%error, "health endpoint accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn answer(mut stream: TcpStream, health: &Health) -> std::io::Result<()> {
    let mut request = [0u8; 1024];
    let read = stream.read(&mut request).await?;
    let line = std::str::from_utf8(&request[..read])
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("");
    let mut content_type = "application/json";
    let (status, body) = if line.starts_with("GET /metrics ") {
        content_type = asynchronio_service::metrics::CONTENT_TYPE;
        crate::metrics::get()
            .partitions
            .set(health.ownership.owned_count() as f64);
        match asynchronio_service::metrics::handle() {
            Some(metrics) => ("200 OK", metrics.render()),
            None => ("404 Not Found", "metrics are not installed".to_owned()),
        }
    } else if line.starts_with("GET /healthz ") {
        if health.ready.load(Ordering::Acquire) {
            (
                "200 OK",
                format!(
                    "{{\"status\":\"ok\",\"replica\":\"{}\",\"partitions\":{}}}",
                    health.replica.replace('"', ""),
                    health.ownership.owned_count()
                ),
            )
        } else {
            (
                "503 Service Unavailable",
                "{\"status\":\"connecting to Redis\"}".to_owned(),
            )
        }
    } else {
        (
            "404 Not Found",
            "{\"error\":\"only GET /healthz and GET /metrics are served here\"}".to_owned(),
        )
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
