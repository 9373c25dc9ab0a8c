//! A client frame from a WebSocket, in either codec: the first byte picks
//! the codec, the rest is the frame. Decoding never panics, and every frame
//! the gateway goes on to accept (a publish's data must also pass the
//! payload rule, `checked_json`) encodes and decodes again to the same
//! frame.
#![no_main]

use asynchronio_protocol::{ClientFrame, Codec, checked_json};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, frame)) = data.split_first() else {
        return;
    };
    let codec = if mode & 1 == 0 {
        Codec::Json
    } else {
        Codec::MsgPack
    };
    let Ok(decoded) = codec.decode_client(frame) else {
        return;
    };
    if let ClientFrame::Publish { data, .. } = &decoded {
        if checked_json(data.clone()).is_err() {
            // Refused by the gateway's publish check, never published.
            return;
        }
    }
    // Both codecs carry every frame the gateway accepted.
    for codec in [Codec::Json, Codec::MsgPack] {
        let encoded = codec
            .encode_client(&decoded)
            .expect("a decoded frame encodes");
        let again = codec
            .decode_client(encoded.as_bytes())
            .expect("an encoded frame decodes");
        // `data` is JSON text whose form may change once (MessagePack has no
        // JSON text), so compare after a second trip.
        let third = codec
            .decode_client(codec.encode_client(&again).expect("encodes").as_bytes())
            .expect("decodes");
        assert_eq!(again, third, "{codec:?} round trip is not stable");
        assert_eq!(decoded.id(), again.id());
    }
});
