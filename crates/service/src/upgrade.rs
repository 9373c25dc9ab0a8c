//! The WebSocket upgrade before the handshake: finding and parsing an HTTP
//! request head ([`find_head_end`], [`parse_head`]), checking an upgrade
//! request against RFC 6455 §4.2.1 ([`check_upgrade`]) so a refused one is
//! answered with a status that says why ([`Refusal`]), and the limits the
//! handshake and every frame after it are read with ([`websocket_config`]).
//!
//! It lives here, not in ws-gateway, so that the fuzz targets (`fuzz/`)
//! drive the gateway's own parser with hostile bytes: a service is a
//! binary, and a fuzz target can only link a library. Reading the bytes
//! off a socket and writing the answer stay in the gateway.

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Longest request head accepted: a longer one is answered 431.
pub const MAX_HEAD: usize = 16 * 1024;

/// The start of a request: the bytes read so far and what they say.
pub struct RequestHead {
    /// Every byte read, to replay to the WebSocket handshake.
    pub bytes: Vec<u8>,
    /// `GET`, normally.
    pub method: String,
    /// The request target's path (the query left out).
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
    /// added), for [`crate::client_address`].
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

/// Where the request head in `bytes` ends (just past its blank line), if
/// it has ended.
pub fn find_head_end(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| i + 4)
}

/// Parses the request head `bytes[..end]`, where `end` came from
/// [`find_head_end`]. The returned head keeps every byte of `bytes`
/// (the head and whatever the client sent after it) to replay to the
/// handshake.
pub fn parse_head(bytes: Vec<u8>, end: usize) -> Result<RequestHead, HeadError> {
    if end > MAX_HEAD {
        return Err(HeadError::TooLarge);
    }
    let head = bytes
        .get(..end)
        .and_then(|head| std::str::from_utf8(head).ok())
        .ok_or(HeadError::Malformed)?;
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
pub fn is_websocket_key(key: &str) -> bool {
    key.len() == 24
        && key.ends_with("==")
        && key[..22]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

/// The handshake's and every frame's limits for a server that accepts
/// client messages of up to `max_message` bytes.
pub fn websocket_config(max_message: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        // Small buffers: an idle connection should cost a few KiB. Reads
        // of larger messages simply take more calls.
        .read_buffer_size(256)
        .write_buffer_size(8 * 1024)
        .max_write_buffer_size(8 * 1024 + max_message.max(1 << 20) * 2)
        .max_message_size(Some(max_message))
        .max_frame_size(Some(max_message))
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
    fn a_head_is_parsed_and_checked() {
        let request = b"GET /ws?x=1 HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\
            Connection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n\
            Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\nextra"
            .to_vec();
        let end = find_head_end(&request).expect("a complete head");
        let head = parse_head(request.clone(), end).expect("a valid head");
        assert_eq!(head.path, "/ws");
        assert!(head.upgrade && head.connection_upgrade);
        assert_eq!(head.bytes, request);
        assert!(check_upgrade(&head).is_ok());
    }

    #[test]
    fn malformed_heads_are_refused() {
        for request in [
            &b"GET /ws\r\n\r\n"[..],
            b"GET /ws HTTP/1.1 extra\r\n\r\n",
            b"GET /ws HTTP/1.1\r\nno colon\r\n\r\n",
            b"GET /\xff HTTP/1.1\r\n\r\n",
        ] {
            let end = find_head_end(request).expect("a complete head");
            assert_eq!(
                parse_head(request.to_vec(), end).err(),
                Some(HeadError::Malformed),
                "{request:?}"
            );
        }
        assert_eq!(find_head_end(b"GET / HTTP/1.1\r\n"), None);
    }
}
