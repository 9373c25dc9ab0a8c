//! An envelope read from a channel's Redis stream (anyone with Redis
//! access can write one). Decoding never panics; a decoded envelope
//! encodes to bytes that decode to the same envelope, and both codecs can
//! deliver it, its trace headers included.
#![no_main]

use asynchronio_protocol::trace::TraceContext;
use asynchronio_protocol::{Codec, Envelope};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(envelope) = Envelope::decode(data) else {
        return;
    };
    let encoded = envelope.encode().expect("a decoded envelope encodes");
    let again = Envelope::decode(&encoded).expect("an encoded envelope decodes");
    assert_eq!(envelope, again);
    for codec in [Codec::Json, Codec::MsgPack] {
        codec
            .encode_message(&envelope)
            .expect("a decoded envelope can be delivered");
    }
    let _ = TraceContext::from_headers(&envelope.headers);
});
