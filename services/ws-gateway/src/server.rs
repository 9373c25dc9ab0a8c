//! Accepting TCP connections and upgrading them to WebSocket (other HTTP
//! requests go to [`http`]): path routing,
//! subprotocol (codec) negotiation, the connection limit, the handshake
//! timeout, and the small per-connection buffers that keep idle
//! connections cheap.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use asynchronio_protocol::Codec;
use asynchronio_protocol::token::Claims;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::prefixed::PrefixedStream;
use crate::session::SessionContext;
use crate::socket::ClientSocket;
use crate::{connection, echo, http};

/// An upgraded connection, ready to run until it closes.
type Connection = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What an upgraded connection serves.
enum Route {
    /// The client protocol, with the token presented as `?token=`, if any.
    Client(Codec, Option<Claims>),
    Echo,
}

/// The listener's shared state.
pub struct Server {
    pub context: Arc<SessionContext>,
    pub ws_path: String,
    pub echo_path: Option<String>,
    /// Where the browser client and demo are served from, if anywhere.
    pub static_dir: Option<PathBuf>,
    open: AtomicUsize,
    next_id: AtomicU64,
}

impl Server {
    pub fn new(
        context: Arc<SessionContext>,
        ws_path: String,
        echo_path: Option<String>,
        static_dir: Option<PathBuf>,
    ) -> Self {
        Self {
            context,
            ws_path,
            echo_path,
            static_dir,
            open: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
        }
    }

    fn websocket_config(&self) -> WebSocketConfig {
        let max = self.context.limits.max_message_size;
        WebSocketConfig::default()
            // Small buffers: an idle connection should cost a few KiB. Reads
            // of larger messages simply take more calls.
            .read_buffer_size(256)
            .write_buffer_size(8 * 1024)
            .max_write_buffer_size(8 * 1024 + max.max(1 << 20) * 2)
            .max_message_size(Some(max))
            .max_frame_size(Some(max))
    }

    /// Accepts connections until shutdown, then gives open connections the
    /// grace period to close.
    pub async fn run(
        self: Arc<Self>,
        listener: TcpListener,
        shutdown: CancellationToken,
        grace: Duration,
    ) {
        let tracker = TaskTracker::new();
        loop {
            let accepted = tokio::select! {
                () = shutdown.cancelled() => break,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => {
                    let server = Arc::clone(&self);
                    let shutdown = shutdown.clone();
                    tracker.spawn(async move {
                        server.open.fetch_add(1, Ordering::AcqRel);
                        // The handshake's state is large but short-lived;
                        // boxing it keeps the task itself to a few words
                        // plus the boxed connection it returns.
                        if let Some(connection) = Box::pin(server.accept(stream, shutdown)).await {
                            connection.await;
                        }
                        server.open.fetch_sub(1, Ordering::AcqRel);
                        tracing::trace!(%peer, "connection ended");
                    });
                }
                Err(error) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!(%error, "accept failed; raise the open-file limit or lower --max-connections");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        tracker.close();
        tracing::info!(
            open = self.open.load(Ordering::Acquire),
            "closing client connections"
        );
        if tokio::time::timeout(grace, tracker.wait()).await.is_err() {
            tracing::warn!("some connections did not close within the grace period");
        }
    }

    #[allow(
        clippy::result_large_err,
        reason = "tungstenite's handshake callback returns ErrorResponse"
    )]
    /// Reads the request and, for a WebSocket upgrade, completes the
    /// handshake and returns the connection to run.
    async fn accept(
        &self,
        mut stream: TcpStream,
        shutdown: CancellationToken,
    ) -> Option<Connection> {
        let _ = stream.set_nodelay(true);
        let limits = &self.context.limits;
        let head = http::read_head(&mut stream, limits.handshake_timeout).await?;
        if !head.upgrade {
            let open = self.open.load(Ordering::Acquire).saturating_sub(1);
            http::respond(stream, &head, self.static_dir.as_deref(), open).await;
            return None;
        }
        let stream = PrefixedStream::new(head.bytes, stream);
        let over_limit = self.open.load(Ordering::Acquire) > limits.max_connections;
        let mut route = None;
        let callback = |request: &Request, response: Response| {
            self.route(request, response, over_limit)
                .map(|(decided, response)| {
                    route = Some(decided);
                    response
                })
        };
        let handshake = tokio_tungstenite::accept_hdr_async_with_config(
            stream,
            callback,
            Some(self.websocket_config()),
        );
        let ws = match tokio::time::timeout(limits.handshake_timeout, handshake).await {
            Ok(Ok(ws)) => ws,
            Ok(Err(error)) => {
                tracing::debug!(%error, "WebSocket handshake failed");
                return None;
            }
            Err(_) => {
                tracing::debug!("WebSocket handshake timed out");
                return None;
            }
        };
        let route = route?;
        let slow = CancellationToken::new();
        let socket = ClientSocket::new(ws, limits.write_timeout, slow.clone(), limits.send_queue);
        Some(match route {
            Route::Client(codec, claims) => {
                let conn_id = self.next_id.fetch_add(1, Ordering::Relaxed);
                Box::pin(connection::serve(
                    socket,
                    slow,
                    conn_id,
                    codec,
                    Arc::clone(&self.context),
                    claims,
                    shutdown,
                ))
            }
            Route::Echo => Box::pin(echo::serve(socket, shutdown)),
        })
    }

    #[allow(
        clippy::result_large_err,
        reason = "tungstenite's handshake callback returns ErrorResponse"
    )]
    fn route(
        &self,
        request: &Request,
        mut response: Response,
        over_limit: bool,
    ) -> Result<(Route, Response), ErrorResponse> {
        let path = request.uri().path();
        if self.echo_path.as_deref() == Some(path) {
            return Ok((Route::Echo, response));
        }
        if path != self.ws_path {
            return Err(reject(
                StatusCode::NOT_FOUND,
                format!(
                    "no WebSocket endpoint at {path}; connect to {}",
                    self.ws_path
                ),
            ));
        }
        if over_limit {
            return Err(reject(
                StatusCode::SERVICE_UNAVAILABLE,
                "connection limit reached; retry later or connect to another gateway".into(),
            ));
        }
        let offered = request
            .headers()
            .get_all("sec-websocket-protocol")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .find_map(Codec::from_subprotocol);
        let codec = offered.unwrap_or(Codec::Json);
        if offered.is_some() {
            response.headers_mut().insert(
                "sec-websocket-protocol",
                HeaderValue::from_static(codec.subprotocol()),
            );
        }
        let claims = match query_token(request.uri().query()) {
            None => None,
            Some(token) => {
                let Some(keys) = &self.context.token_keys else {
                    return Err(reject(
                        StatusCode::UNAUTHORIZED,
                        "this gateway has no token key configured (ASYNCHRONIO_TOKEN_SECRET)"
                            .into(),
                    ));
                };
                match keys.verify(&token) {
                    Ok(claims) => Some(claims),
                    Err(error) => return Err(reject(StatusCode::UNAUTHORIZED, error.to_string())),
                }
            }
        };
        Ok((Route::Client(codec, claims), response))
    }
}

/// The `token` parameter of a query string, percent-decoded.
fn query_token(query: Option<&str>) -> Option<String> {
    let value = query?
        .split('&')
        .find_map(|pair| pair.strip_prefix("token="))?;
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

fn reject(status: StatusCode, message: String) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(message));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::query_token;

    #[test]
    fn token_is_read_from_the_query() {
        assert_eq!(query_token(Some("token=abc.def")), Some("abc.def".into()));
        assert_eq!(query_token(Some("x=1&token=a%2Eb")), Some("a.b".into()));
        assert_eq!(query_token(Some("x=1")), None);
        assert_eq!(query_token(None), None);
        assert_eq!(query_token(Some("token=%zz")), None);
    }
}
