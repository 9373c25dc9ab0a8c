//! The plain-HTTP side of the gateway's port: reading a request head to
//! tell WebSocket upgrades from ordinary requests, checking an upgrade
//! request before the handshake (so a refused one gets an HTTP answer that
//! says why, RFC 6455 §4.2.2), a health check, Prometheus metrics
//! (`/metrics`), and the browser client and
//! demo page as static files (with `--static-dir`).

use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

pub use asynchronio_service::upgrade::{HeadError, Refusal, RequestHead, check_upgrade};
use asynchronio_service::upgrade::{MAX_HEAD, find_head_end, parse_head};

/// Largest static file served.
const MAX_FILE: u64 = 8 * 1024 * 1024;

/// Reads until the end of the request head.
pub async fn read_head(stream: &mut TcpStream, limit: Duration) -> Result<RequestHead, HeadError> {
    let mut bytes = Vec::with_capacity(1024);
    let read = async {
        let mut chunk = [0u8; 1024];
        loop {
            let n = stream.read(&mut chunk).await.map_err(|_| HeadError::Gone)?;
            if n == 0 {
                return Err(HeadError::Gone);
            }
            bytes.extend_from_slice(&chunk[..n]);
            // parse_head decides whether a head that ended is too long.
            if let Some(end) = find_head_end(&bytes) {
                return Ok(end);
            }
            if bytes.len() > MAX_HEAD {
                return Err(HeadError::TooLarge);
            }
        }
    };
    let end = tokio::time::timeout(limit, read)
        .await
        .map_err(|_| HeadError::Gone)??;
    parse_head(bytes, end)
}

/// Answers with `refusal` and closes.
pub async fn refuse(mut stream: TcpStream, refusal: &Refusal) {
    let body = format!("{}\n", refusal.message);
    let response = format!(
        "HTTP/1.1 {}\r\n{}content-type: text/plain; charset=utf-8\r\ncontent-length: {}\r\n\
         x-content-type-options: nosniff\r\nconnection: close\r\n\r\n{body}",
        refusal.status,
        refusal.headers,
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(2), async {
        let _ = stream.write_all(response.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

/// What `/healthz` reports.
#[derive(Debug, Clone, Copy)]
pub struct Health {
    /// Upgraded WebSocket connections.
    pub connections: usize,
    /// Sockets still in their request or handshake.
    pub pending_handshakes: usize,
    /// Topic changes waiting for Redis (at most one per channel).
    pub topic_queue: usize,
    /// Topic changes being applied (at most one round of commands).
    pub topic_in_flight: usize,
}

/// Answers a request that is not a WebSocket upgrade.
pub async fn respond(
    mut stream: TcpStream,
    head: &RequestHead,
    static_dir: Option<&Path>,
    ws_path: &str,
    health: Health,
) {
    let mut extra = "";
    let (status, content_type, body) = match (head.method.as_str(), head.path.as_str()) {
        ("GET" | "HEAD", "/healthz") => (
            "200 OK",
            "application/json",
            format!(
                "{{\"status\":\"ok\",\"connections\":{},\"pending_handshakes\":{},\"topic_queue\":{},\"topic_in_flight\":{}}}",
                health.connections,
                health.pending_handshakes,
                health.topic_queue,
                health.topic_in_flight
            )
            .into_bytes(),
        ),
        ("GET" | "HEAD", "/metrics") => match asynchronio_service::metrics::handle() {
            Some(metrics) => (
                "200 OK",
                asynchronio_service::metrics::CONTENT_TYPE,
                metrics.render().into_bytes(),
            ),
            None => not_found(),
        },
        ("GET" | "HEAD", path) if path == ws_path => {
            extra = "upgrade: websocket\r\nsec-websocket-version: 13\r\n";
            (
                "426 Upgrade Required",
                "text/plain; charset=utf-8",
                b"this is the WebSocket endpoint: connect with a WebSocket client".to_vec(),
            )
        }
        ("GET" | "HEAD", path) => match static_dir {
            Some(root) => static_file(root, path).await,
            None => not_found(),
        },
        _ => {
            extra = "allow: GET, HEAD\r\n";
            (
                "405 Method Not Allowed",
                "text/plain; charset=utf-8",
                b"only GET and HEAD are served here; WebSocket clients connect to /ws".to_vec(),
            )
        }
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\n{extra}content-type: {content_type}\r\ncontent-length: {}\r\n\
         cache-control: no-cache\r\nx-content-type-options: nosniff\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if head.method != "HEAD" {
        response.extend_from_slice(&body);
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        let _ = stream.write_all(&response).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

fn not_found() -> (&'static str, &'static str, Vec<u8>) {
    (
        "404 Not Found",
        "text/plain; charset=utf-8",
        b"not found; WebSocket clients connect to /ws, the demo is at /demo.html".to_vec(),
    )
}

async fn static_file(root: &Path, path: &str) -> (&'static str, &'static str, Vec<u8>) {
    let path = if path == "/" { "/demo.html" } else { path };
    let Some(file) = safe_join(root, path) else {
        return not_found();
    };
    match tokio::fs::metadata(&file).await {
        Ok(meta) if meta.is_file() && meta.len() <= MAX_FILE => {}
        _ => return not_found(),
    }
    match tokio::fs::read(&file).await {
        Ok(body) => ("200 OK", content_type(&file), body),
        Err(_) => not_found(),
    }
}

/// Joins a URL path under `root`, refusing anything that could leave it.
fn safe_join(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    let mut joined = root.to_path_buf();
    for component in relative.components() {
        match component {
            Component::Normal(part) if !part.to_string_lossy().starts_with('.') => {
                joined.push(part)
            }
            _ => return None,
        }
    }
    Some(joined)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_escape_the_root() {
        let root = Path::new("/srv/static");
        assert_eq!(
            safe_join(root, "/demo.html"),
            Some(PathBuf::from("/srv/static/demo.html"))
        );
        assert_eq!(safe_join(root, "/../etc/passwd"), None);
        assert_eq!(safe_join(root, "/a/../../b"), None);
        assert_eq!(safe_join(root, "/.git/config"), None);
    }
}
