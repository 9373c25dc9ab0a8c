//! A WebSocket connection's bytes as the gateway reads them, over an
//! in-memory stream. Bit 0 of the first byte picks where they start: at
//! the HTTP request head (the gateway's own head parsing and upgrade
//! checks, then tungstenite's handshake), or just after the handshake
//! (frames only, so the fuzzer need not find a valid handshake first).
//! The handshake is tungstenite's `accept_async_with_config`; the gateway
//! calls the `hdr` variant with a callback that routes by path and picks
//! the codec, which this target leaves out.
//! Bit 1 picks the codec client messages are decoded with. The gateway's
//! limits apply: no message read is over the limit, whatever the frames
//! claim.
#![no_main]

use std::io;
use std::pin::Pin;
use std::sync::LazyLock;
use std::task::{Context, Poll};

use asynchronio_protocol::Codec;
use asynchronio_service::upgrade::{
    HeadError, MAX_HEAD, check_upgrade, find_head_end, parse_head, websocket_config,
};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

/// The largest client message accepted here: the gateway's default is
/// far larger, and a small one lets inputs of libFuzzer's usual sizes
/// cross it (fuzz/run.sh lets this target's inputs grow to 20,000 bytes,
/// past the 16 KiB request head limit too).
const LIMIT: usize = 256;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
});

/// The client's bytes to read; what the server writes is counted and
/// dropped.
struct Memory<'a> {
    input: &'a [u8],
    written: usize,
}

impl AsyncRead for Memory<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        // A few bytes at a time, so that every partial read is exercised.
        let n = self.input.len().min(buf.remaining()).min(97);
        let (now, rest) = self.input.split_at(n);
        buf.put_slice(now);
        self.input = rest;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Memory<'_> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.written += buf.len();
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

async fn read_messages(mut ws: WebSocketStream<Memory<'_>>, codec: Codec) {
    use futures_util::StreamExt;
    while let Some(message) = ws.next().await {
        let Ok(message) = message else {
            return;
        };
        match message {
            Message::Text(text) => {
                assert!(
                    text.len() <= LIMIT,
                    "a {} byte message was read",
                    text.len()
                );
                let _ = codec.decode_client(text.as_bytes());
            }
            Message::Binary(bytes) => {
                assert!(
                    bytes.len() <= LIMIT,
                    "a {} byte message was read",
                    bytes.len()
                );
                let _ = codec.decode_client(&bytes);
            }
            Message::Ping(bytes) | Message::Pong(bytes) => assert!(bytes.len() <= 125),
            Message::Close(_) | Message::Frame(_) => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, input)) = data.split_first() else {
        return;
    };
    let codec = if mode & 2 == 0 {
        Codec::Json
    } else {
        Codec::MsgPack
    };
    RUNTIME.block_on(async {
        let stream = Memory { input, written: 0 };
        if mode & 1 == 0 {
            let Some(end) = find_head_end(input) else {
                return;
            };
            let parsed = parse_head(input.to_vec(), end);
            if end > MAX_HEAD {
                assert_eq!(parsed.err(), Some(HeadError::TooLarge));
                return;
            }
            let Ok(head) = parsed else {
                return;
            };
            if check_upgrade(&head).is_err() {
                return;
            }
            let accepted =
                tokio_tungstenite::accept_async_with_config(stream, Some(websocket_config(LIMIT)))
                    .await;
            if let Ok(ws) = accepted {
                read_messages(ws, codec).await;
            }
        } else {
            let ws = WebSocketStream::from_raw_socket(
                stream,
                Role::Server,
                Some(websocket_config(LIMIT)),
            )
            .await;
            read_messages(ws, codec).await;
        }
    });
});
