//! Readiness probes: a started process counts as running once its probe
//! passes (a TCP port accepts, an HTTP URL answers 2xx, or a command exits
//! with 0). Programs that depend on it start only then.

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::config::ReadyProbe;

/// How long one probe attempt may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

/// Probes until it passes; the caller bounds the total time.
pub async fn wait_until_ready(probe: &ReadyProbe, cwd: &Path) {
    let mut pause = Duration::from_millis(5);
    loop {
        let passed = tokio::time::timeout(ATTEMPT_TIMEOUT, probe_once(probe, cwd))
            .await
            .unwrap_or(false);
        if passed {
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

async fn probe_once(probe: &ReadyProbe, cwd: &Path) -> bool {
    match probe {
        ReadyProbe::Tcp(address) => TcpStream::connect(address.as_str()).await.is_ok(),
        ReadyProbe::Http(url) => http_ok(url).await,
        ReadyProbe::Command(command) => tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(cwd)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .status()
            .await
            .is_ok_and(|status| status.success()),
    }
}

/// A plain HTTP/1.0 GET; true on a 2xx status.
async fn http_ok(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let address = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let Ok(mut stream) = TcpStream::connect(address).await else {
        return false;
    };
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut head = [0u8; 32];
    let mut read = 0;
    while read < 12 {
        match stream.read(&mut head[read..]).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => read += n,
        }
    }
    // "HTTP/1.x 2xx"
    head.get(9) == Some(&b'2')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn tcp_and_command_probes() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address").to_string();
        assert!(probe_once(&ReadyProbe::Tcp(address), Path::new(".")).await);
        drop(listener);
        assert!(probe_once(&ReadyProbe::Command("true".into()), Path::new(".")).await);
        assert!(!probe_once(&ReadyProbe::Command("exit 3".into()), Path::new(".")).await);
    }

    #[tokio::test]
    async fn http_probe_wants_2xx() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        tokio::spawn(async move {
            for status in ["200 OK", "503 Service Unavailable"] {
                let Ok((mut socket, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = [0u8; 256];
                let _ = socket.read(&mut buf).await;
                let reply = format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n");
                let _ = socket.write_all(reply.as_bytes()).await;
            }
        });
        let url = format!("http://{address}/readyz");
        assert!(http_ok(&url).await);
        assert!(!http_ok(&url).await);
    }
}
