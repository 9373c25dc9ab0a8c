//! A tiny HTTP/1.1 endpoint for the services with no web server of their
//! own (the bridge's `/healthz` and `/metrics`, the process manager's
//! `/metrics`): one request per connection, answered from its request line,
//! then closed.
//!
//! Deliberately not actix-web: these endpoints serve a probe and a scraper
//! a few times a minute, and a whole HTTP stack (its worker threads
//! included) in the bridge would cost more than the rest of it. What a
//! hostile client can do here is bounded: the request is read once into a
//! 1 KiB buffer (longer lines are cut, which fails the route match), and a
//! connection that does not finish within [`ANSWER_TIMEOUT`] is dropped.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// How long one connection may take, from accept to the answer written.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// What to answer a request with.
pub struct Answer {
    /// The status line's code and reason, e.g. `200 OK`.
    pub status: &'static str,
    /// The `content-type` header.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
}

impl Answer {
    /// A 404 whose plain-text body says what is served here.
    pub fn not_found(what_is_served: &str) -> Self {
        Self {
            status: "404 Not Found",
            content_type: "text/plain; charset=utf-8",
            body: format!("only {what_is_served} is served here"),
        }
    }
}

/// Whether `request_line` is `GET {path}` (any HTTP version, no query).
pub fn is_get(request_line: &str, path: &str) -> bool {
    request_line
        .strip_prefix("GET ")
        .and_then(|rest| rest.strip_prefix(path))
        .is_some_and(|rest| rest.starts_with(' '))
}

/// Accepts connections on `listener` until `stop`, answering each request
/// with `answer(request line)` on a task of its own. An accept error is
/// logged and retried after 100 ms (running out of file descriptors must
/// not spin).
pub async fn serve<F, Fut>(listener: TcpListener, stop: CancellationToken, answer: F)
where
    F: Fn(String) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Answer> + Send,
{
    loop {
        let accepted = tokio::select! {
            () = stop.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _)) => {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let _ = tokio::time::timeout(ANSWER_TIMEOUT, respond(stream, answer)).await;
                });
            }
            Err(error) => {
                tracing::warn!(%error, "HTTP endpoint accept failed; retrying");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

async fn respond<F, Fut>(mut stream: TcpStream, answer: F) -> std::io::Result<()>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Answer>,
{
    let mut request = [0u8; 1024];
    let read = stream.read(&mut request).await?;
    let line = std::str::from_utf8(request.get(..read).unwrap_or_default())
        .unwrap_or("")
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    let Answer {
        status,
        content_type,
        body,
    } = answer(line).await;
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body.as_bytes()).await?;
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_the_whole_path() {
        assert!(is_get("GET /metrics HTTP/1.1", "/metrics"));
        assert!(!is_get("GET /metricsx HTTP/1.1", "/metrics"));
        assert!(!is_get("POST /metrics HTTP/1.1", "/metrics"));
        assert!(!is_get("GET /metrics", "/metrics"));
        assert!(!is_get("", "/metrics"));
    }

    #[tokio::test]
    async fn answers_one_request_and_closes() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("address");
        let stop = CancellationToken::new();
        let server = tokio::spawn(serve(listener, stop.clone(), |line: String| async move {
            if is_get(&line, "/x") {
                Answer {
                    status: "200 OK",
                    content_type: "text/plain",
                    body: "hello".to_owned(),
                }
            } else {
                Answer::not_found("GET /x")
            }
        }));
        for (request, expected) in [
            ("GET /x HTTP/1.1\r\n\r\n", "HTTP/1.1 200 OK"),
            ("GET /y HTTP/1.1\r\n\r\n", "HTTP/1.1 404 Not Found"),
        ] {
            let mut client = TcpStream::connect(address).await.expect("connect");
            client.write_all(request.as_bytes()).await.expect("write");
            let mut response = String::new();
            client.read_to_string(&mut response).await.expect("read");
            assert!(response.starts_with(expected), "{response}");
            let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
            assert!(response.contains(&format!("content-length: {}\r\n", body.len())));
        }
        stop.cancel();
        server.await.expect("server ends on stop");
    }
}
