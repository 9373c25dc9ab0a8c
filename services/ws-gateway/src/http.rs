//! The plain-HTTP side of the gateway's port: reading a request head to
//! tell WebSocket upgrades from ordinary requests, a health check, and the
//! browser client and demo page as static files (with `--static-dir`).

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
    pub bytes: Vec<u8>,
    pub method: String,
    pub path: String,
    pub upgrade: bool,
}

/// Reads until the end of the request head (or fails on a bad one).
pub async fn read_head(stream: &mut TcpStream, limit: Duration) -> Option<RequestHead> {
    let mut bytes = Vec::with_capacity(1024);
    let read = async {
        let mut chunk = [0u8; 1024];
        loop {
            let n = stream.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            bytes.extend_from_slice(&chunk[..n]);
            if let Some(end) = find_head_end(&bytes) {
                return Some(end);
            }
            if bytes.len() > MAX_HEAD {
                return None;
            }
        }
    };
    let end = tokio::time::timeout(limit, read).await.ok()??;
    let head = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?;
    let path = target.split('?').next().unwrap_or("/").to_owned();
    let upgrade = lines.any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("upgrade")
                && value.trim().eq_ignore_ascii_case("websocket")
        })
    });
    Some(RequestHead {
        bytes,
        method,
        path,
        upgrade,
    })
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
    open: usize,
) {
    let (status, content_type, body) = match (head.method.as_str(), head.path.as_str()) {
        ("GET" | "HEAD", "/healthz") => (
            "200 OK",
            "application/json",
            format!("{{\"status\":\"ok\",\"connections\":{open}}}").into_bytes(),
        ),
        ("GET" | "HEAD", path) => match static_dir {
            Some(root) => static_file(root, path).await,
            None => not_found(),
        },
        _ => (
            "405 Method Not Allowed",
            "text/plain; charset=utf-8",
            b"only GET is served here; WebSocket clients connect to /ws".to_vec(),
        ),
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
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
