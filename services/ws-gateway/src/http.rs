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

/// Longest request head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Largest static file served.
const MAX_FILE: u64 = 8 * 1024 * 1024;

/// The start of a request: the bytes read so far and what they say.
pub struct RequestHead {
    /// Every byte read, to replay to the WebSocket handshake.
    pub bytes: Vec<u8>,
    /// `GET`, normally.
    pub method: String,
    /// The request target, query included.
    pub path: String,
    /// `HTTP/1.1`, normally.
    pub version: String,
    /// `Upgrade: websocket` was sent.
    pub upgrade: bool,
    /// `Connection` names `upgrade`.
    pub connection_upgrade: bool,
    /// `Sec-WebSocket-Version`, if sent.
    pub websocket_version: Option<String>,
    /// `Sec-WebSocket-Key`, if sent.
    pub websocket_key: Option<String>,
    /// The last `X-Forwarded-For` header line (the one the nearest proxy
    /// added), for `asynchronio_service::client_address`.
    pub forwarded_for: Option<String>,
}

/// Why no request head could be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadError {
    /// The peer closed, or sent nothing in time: nobody to answer.
    Gone,
    /// Longer than [`MAX_HEAD`]: 431.
    TooLarge,
    /// Not an HTTP request head: 400.
    Malformed,
}

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
            if let Some(end) = find_head_end(&bytes) {
                return if end > MAX_HEAD {
                    Err(HeadError::TooLarge)
                } else {
                    Ok(end)
                };
            }
            if bytes.len() > MAX_HEAD {
                return Err(HeadError::TooLarge);
            }
        }
    };
    let end = tokio::time::timeout(limit, read)
        .await
        .map_err(|_| HeadError::Gone)??;
    let head = std::str::from_utf8(&bytes[..end]).map_err(|_| HeadError::Malformed)?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().ok_or(HeadError::Malformed)?.split(' ');
    let (Some(method), Some(target), Some(version), None) = (
        request_line.next(),
        request_line.next(),
        request_line.next(),
        request_line.next(),
    ) else {
        return Err(HeadError::Malformed);
    };
    let mut parsed = RequestHead {
        method: method.to_owned(),
        path: target.split('?').next().unwrap_or("/").to_owned(),
        version: version.to_owned(),
        upgrade: false,
        connection_upgrade: false,
        websocket_version: None,
        websocket_key: None,
        forwarded_for: None,
        bytes: Vec::new(),
    };
    for line in lines.filter(|line| !line.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(HeadError::Malformed)?;
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("upgrade") {
            parsed.upgrade |= value.eq_ignore_ascii_case("websocket");
        } else if name.eq_ignore_ascii_case("connection") {
            parsed.connection_upgrade |= value
                .split(',')
                .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
        } else if name.eq_ignore_ascii_case("sec-websocket-version") {
            parsed.websocket_version = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("sec-websocket-key") {
            parsed.websocket_key = Some(value.to_owned());
        } else if name.eq_ignore_ascii_case("x-forwarded-for") {
            parsed.forwarded_for = Some(value.to_owned());
        }
    }
    parsed.bytes = bytes;
    Ok(parsed)
}

/// A refusal: status line, extra headers, and what to do.
pub struct Refusal {
    /// The status line's code and reason, e.g. `503 Service Unavailable`.
    pub status: &'static str,
    /// Extra header lines, each ending in CRLF.
    pub headers: &'static str,
    /// The body: what went wrong and what to do.
    pub message: String,
}

impl Refusal {
    fn new(status: &'static str, headers: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            headers,
            message: message.into(),
        }
    }

    /// 400, with what is wrong.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Refusal::new("400 Bad Request", "", message)
    }

    /// 431: the request head is over 16 KiB.
    pub fn too_large() -> Self {
        Refusal::new(
            "431 Request Header Fields Too Large",
            "",
            "the request head (URL and headers) is over 16 KiB; shorten the query string or headers",
        )
    }

    /// 503, with why.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Refusal::new("503 Service Unavailable", "retry-after: 1\r\n", message)
    }

    /// 404 for a path that is no endpoint.
    pub fn not_found(path: &str, ws_path: &str) -> Self {
        Refusal::new(
            "404 Not Found",
            "",
            format!("no WebSocket endpoint at {path}; connect to {ws_path}"),
        )
    }
}

/// Checks a WebSocket upgrade request against RFC 6455 §4.2.1 before the
/// handshake, so that a bad one is answered rather than dropped.
pub fn check_upgrade(head: &RequestHead) -> Result<(), Refusal> {
    if head.method != "GET" {
        return Err(Refusal::new(
            "405 Method Not Allowed",
            "allow: GET\r\n",
            format!(
                "a WebSocket handshake is a GET request, not {}",
                head.method
            ),
        ));
    }
    if head.version != "HTTP/1.1" {
        return Err(Refusal::bad_request(format!(
            "a WebSocket handshake needs HTTP/1.1, not {}",
            head.version
        )));
    }
    if head.websocket_version.as_deref() != Some("13") {
        return Err(Refusal::new(
            "426 Upgrade Required",
            "sec-websocket-version: 13\r\nupgrade: websocket\r\n",
            "this gateway speaks WebSocket version 13 only (Sec-WebSocket-Version: 13)",
        ));
    }
    if !head.connection_upgrade {
        return Err(Refusal::bad_request(
            "a WebSocket handshake needs Connection: Upgrade",
        ));
    }
    if !head.websocket_key.as_deref().is_some_and(is_websocket_key) {
        return Err(Refusal::bad_request(
            "Sec-WebSocket-Key must be 16 random bytes in base64 (24 characters)",
        ));
    }
    Ok(())
}

/// Whether `key` is the base64 of 16 bytes: 22 base64 digits and `==`.
fn is_websocket_key(key: &str) -> bool {
    key.len() == 24
        && key.ends_with("==")
        && key[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
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

fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
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
    fn websocket_keys_are_16_bytes_of_base64() {
        assert!(is_websocket_key("dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_websocket_key("short"));
        assert!(!is_websocket_key("dGhlIHNhbXBsZSBub25jZQ=A"));
        assert!(!is_websocket_key("dGhlIHNhbXBsZSBub25jZ!=="));
    }

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
