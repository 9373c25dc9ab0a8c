//! Accepting TCP connections and upgrading them to WebSocket (other HTTP
//! requests go to [`http`]): path routing, checking the upgrade request
//! (refusals get an HTTP answer), subprotocol (codec) negotiation, the
//! limits, the handshake timeout, and the small per-connection buffers that
//! keep idle connections cheap.
//!
//! A socket counts against `--max-connections` only once it has upgraded.
//! Until then it holds a pending place, bounded per address and in total,
//! for at most the handshake timeout: sockets that never upgrade cannot
//! lock clients out.

use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use asynchronio_protocol::Codec;
use asynchronio_protocol::token::Claims;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::http::Refusal;
use crate::limits::{PendingGuard, PendingSockets};
use crate::prefixed::PrefixedStream;
use crate::session::{ClientInfo, SessionContext};
use crate::socket::ClientSocket;
use crate::{connection, echo, http};
use asynchronio_service::client_address::{client_address, is_trusted};

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
    /// What every connection's session shares.
    pub context: Arc<SessionContext>,
    /// Path of the client protocol endpoint (`--ws-path`).
    pub ws_path: String,
    /// Path of the echo endpoint, if served (`--echo-path`).
    pub echo_path: Option<String>,
    /// Where the browser client and demo are served from, if anywhere.
    pub static_dir: Option<PathBuf>,
    /// Upgraded connections.
    open: AtomicUsize,
    /// Sockets not yet upgraded (or answered).
    pending: Arc<PendingSockets>,
    next_id: AtomicU64,
}

impl Server {
    /// The listener's state, before the first connection.
    pub fn new(
        context: Arc<SessionContext>,
        ws_path: String,
        echo_path: Option<String>,
        static_dir: Option<PathBuf>,
    ) -> Self {
        let pending = Arc::new(PendingSockets::new(
            context.limits.max_pending,
            context.limits.max_pending_per_address,
        ));
        Self {
            context,
            ws_path,
            echo_path,
            static_dir,
            open: AtomicUsize::new(0),
            pending,
            next_id: AtomicU64::new(1),
        }
    }

    fn websocket_config(&self) -> WebSocketConfig {
        asynchronio_service::upgrade::websocket_config(self.context.limits.max_client_message_size)
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
                    let trusted = is_trusted(peer.ip(), &self.context.limits.trusted_proxies);
                    let Some(pending) = self.pending.admit(peer.ip(), !trusted) else {
                        tracing::debug!(%peer, "too many pending sockets; refused");
                        tracker.spawn(async move {
                            let refusal = Refusal::unavailable(
                                "too many connections waiting for their handshake from your address; finish or close them and retry",
                            );
                            http::refuse(stream, &refusal).await;
                        });
                        continue;
                    };
                    tracker.spawn(async move {
                        // The handshake's state is large but short-lived;
                        // boxing it keeps the task itself to a few words
                        // plus the boxed connection it returns.
                        let accepted =
                            Box::pin(server.accept(stream, peer.ip(), pending, shutdown)).await;
                        if let Some(connection) = accepted {
                            connection.await;
                            // Counted by `accept` when it upgraded.
                            server.open.fetch_sub(1, Ordering::AcqRel);
                        }
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

    /// Reads the request and, for a WebSocket upgrade, completes the
    /// handshake and returns the connection to run; it then counts as open
    /// (the caller uncounts it when it ends).
    async fn accept(
        &self,
        stream: TcpStream,
        peer: IpAddr,
        pending: PendingGuard,
        shutdown: CancellationToken,
    ) -> Option<Connection> {
        let _ = stream.set_nodelay(true);
        let limits = &self.context.limits;
        // One deadline for reading the request and the handshake.
        let deadline = tokio::time::Instant::now() + limits.handshake_timeout;
        let (stream, head) = read_request(stream, limits.handshake_timeout).await?;
        // Behind a trusted proxy the client is the address it names.
        let peer = client_address(peer, head.forwarded_for.as_deref(), &limits.trusted_proxies);
        if !head.upgrade {
            self.answer_http(stream, &head).await;
            return None;
        }
        let known = head.path == self.ws_path || self.echo_path.as_deref() == Some(&head.path);
        let checked = if known {
            http::check_upgrade(&head)
        } else {
            Err(Refusal::not_found(&head.path, &self.ws_path))
        };
        if let Err(refusal) = checked {
            http::refuse(stream, &refusal).await;
            return None;
        }
        // Take a connection slot now, so concurrent handshakes cannot
        // overshoot the limit; given back if the handshake fails.
        if self.open.fetch_add(1, Ordering::AcqRel) >= limits.max_connections {
            self.open.fetch_sub(1, Ordering::AcqRel);
            http::refuse(
                stream,
                &Refusal::unavailable(
                    "connection limit reached; retry later or connect to another gateway",
                ),
            )
            .await;
            return None;
        }
        let upgraded = self.handshake(stream, head.bytes, deadline).await;
        drop(pending);
        let Some((ws, route)) = upgraded else {
            self.open.fetch_sub(1, Ordering::AcqRel);
            return None;
        };
        Some(self.start(ws, route, peer, shutdown))
    }

    /// Answers a plain HTTP request (health, static files, 404).
    async fn answer_http(&self, stream: TcpStream, head: &http::RequestHead) {
        let (topic_queue, topic_in_flight) = self.context.hub.topic_queue();
        if head.path == "/metrics" {
            // The gauges live in atomics kept where they change: reading
            // them takes no lock, whatever the scrape rate.
            crate::metrics::refresh();
        }
        let health = http::Health {
            connections: self.open.load(Ordering::Acquire),
            pending_handshakes: self.pending.total(),
            topic_queue,
            topic_in_flight,
        };
        http::respond(
            stream,
            head,
            self.static_dir.as_deref(),
            &self.ws_path,
            health,
        )
        .await;
    }

    /// The WebSocket handshake, replaying the request head already read;
    /// `None` when it fails or does not finish by `deadline`.
    #[allow(
        clippy::result_large_err,
        reason = "tungstenite's handshake callback returns ErrorResponse"
    )]
    async fn handshake(
        &self,
        stream: TcpStream,
        head: Vec<u8>,
        deadline: tokio::time::Instant,
    ) -> Option<(WebSocketStream<PrefixedStream>, Route)> {
        let stream = PrefixedStream::new(head, stream);
        let mut route = None;
        let callback = |request: &Request, response: Response| {
            self.route(request, response).map(|(decided, response)| {
                route = Some(decided);
                response
            })
        };
        let handshake = tokio_tungstenite::accept_hdr_async_with_config(
            stream,
            callback,
            Some(self.websocket_config()),
        );
        let ws = match tokio::time::timeout_at(deadline, handshake).await {
            Ok(Ok(ws)) => Some(ws),
            Ok(Err(error)) => {
                tracing::debug!(%error, "WebSocket handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!("WebSocket handshake timed out");
                None
            }
        };
        Some((ws?, route?))
    }

    /// The task of an upgraded connection: the client protocol or echo.
    fn start(
        &self,
        ws: WebSocketStream<PrefixedStream>,
        route: Route,
        peer: IpAddr,
        shutdown: CancellationToken,
    ) -> Connection {
        let limits = &self.context.limits;
        let slow = CancellationToken::new();
        let socket = ClientSocket::new(ws, limits.write_timeout, slow.clone(), limits.send_queue);
        let open = crate::metrics::OpenConnection::opened();
        let connection: Connection = match route {
            Route::Client(codec, claims) => {
                let conn_id = self.next_id.fetch_add(1, Ordering::Relaxed);
                Box::pin(connection::serve(
                    socket,
                    slow,
                    ClientInfo {
                        conn_id,
                        codec,
                        peer,
                        claims,
                    },
                    Arc::clone(&self.context),
                    shutdown,
                ))
            }
            Route::Echo => Box::pin(echo::serve(socket, shutdown)),
        };
        // Counted open until the connection's task ends.
        Box::pin(async move {
            let _open = open;
            connection.await;
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
    ) -> Result<(Route, Response), ErrorResponse> {
        let path = request.uri().path();
        if self.echo_path.as_deref() == Some(path) {
            return Ok((Route::Echo, response));
        }
        if path != self.ws_path {
            // Checked before the handshake; kept for safety.
            return Err(reject(
                StatusCode::NOT_FOUND,
                format!(
                    "no WebSocket endpoint at {path}; connect to {}",
                    self.ws_path
                ),
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
            Ok(None) => None,
            Ok(Some(token)) => match self.context.verify_token(&token) {
                Ok(claims) => Some(claims),
                Err(message) => return Err(reject(StatusCode::UNAUTHORIZED, message)),
            },
            Err(Undecodable) => {
                return Err(reject(
                    StatusCode::UNAUTHORIZED,
                    "the token parameter is not valid percent-encoded UTF-8; URL-encode the token"
                        .into(),
                ));
            }
        };
        Ok((Route::Client(codec, claims), response))
    }
}

/// A `token` parameter that does not percent-decode to UTF-8.
#[derive(Debug, PartialEq, Eq)]
struct Undecodable;

/// The `token` parameter of a query string, percent-decoded; `Ok(None)`
/// when there is none. A token that does not decode is an error, never
/// "no token": the client meant to present one.
fn query_token(query: Option<&str>) -> Result<Option<String>, Undecodable> {
    let Some(value) = query.and_then(|query| {
        query
            .split('&')
            .find_map(|pair| pair.strip_prefix("token="))
    }) else {
        return Ok(None);
    };
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|hex| std::str::from_utf8(hex).ok())
                    .ok_or(Undecodable)?;
                // from_str_radix accepts a sign; a hex digit pair has none.
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Undecodable);
                }
                out.push(u8::from_str_radix(hex, 16).map_err(|_| Undecodable)?);
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
    String::from_utf8(out).map(Some).map_err(|_| Undecodable)
}

/// Reads the request head; one too large or malformed is answered here.
/// `None` when there is nothing more to do with the socket.
async fn read_request(
    mut stream: TcpStream,
    timeout: Duration,
) -> Option<(TcpStream, http::RequestHead)> {
    match http::read_head(&mut stream, timeout).await {
        Ok(head) => Some((stream, head)),
        Err(http::HeadError::Gone) => None,
        Err(http::HeadError::TooLarge) => {
            http::refuse(stream, &Refusal::too_large()).await;
            None
        }
        Err(http::HeadError::Malformed) => {
            http::refuse(stream, &Refusal::bad_request("malformed HTTP request")).await;
            None
        }
    }
}

fn reject(status: StatusCode, message: String) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(message));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::{Undecodable, query_token};

    #[test]
    fn token_is_read_from_the_query() {
        assert_eq!(
            query_token(Some("token=abc.def")),
            Ok(Some("abc.def".into()))
        );
        assert_eq!(query_token(Some("x=1&token=a%2Eb")), Ok(Some("a.b".into())));
        assert_eq!(query_token(Some("x=1")), Ok(None));
        assert_eq!(query_token(None), Ok(None));
        for bad in [
            "token=%zz",
            "token=%",
            "token=%e9",
            "token=%+1",
            "token=ab%2",
        ] {
            assert_eq!(query_token(Some(bad)), Err(Undecodable), "{bad}");
        }
    }
}
