//! What callers send beside a message: W3C trace context headers (REST
//! headers, a publish frame's `headers`, ingest fields) and the JSON
//! payload itself. A checked context is bounded, survives being stored in
//! an envelope's headers; a payload the rule accepts is JSON every reader
//! parses, stored in a form the rule accepts unchanged.
#![no_main]

use asynchronio_protocol::payload::checked_json;
use asynchronio_protocol::trace::{MAX_TRACESTATE_LEN, TraceContext};
use bytes::Bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        let (parent, state) = match text.split_once('\n') {
            Some((parent, state)) => (parent, Some(state)),
            None => (text, None),
        };
        if let Ok(context) = TraceContext::checked(parent, state) {
            assert_eq!(context.traceparent.len(), 55);
            assert!(
                context
                    .tracestate
                    .as_ref()
                    .is_none_or(|s| s.len() <= MAX_TRACESTATE_LEN)
            );
            let mut headers = vec![("traceparent".to_owned(), "old".to_owned())];
            context.clone().write_into(&mut headers);
            assert_eq!(TraceContext::from_headers(&headers), Some(context));
        }
    } else {
        // Whatever the payload rule accepts, serde_json (what MessagePack
        // subscribers' values are made with) reads as a value, and its
        // stored form is accepted again, unchanged.
        if let Ok(stored) = checked_json(Bytes::copy_from_slice(rest)) {
            assert!(serde_json::from_slice::<serde_json::Value>(&stored).is_ok());
            assert_eq!(checked_json(stored.clone()).ok(), Some(stored));
        }
    }
});
