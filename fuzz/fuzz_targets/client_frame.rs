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
    if let ClientFrame::Publish { data, .. } = &decoded
        && checked_json(data.clone()).is_err()
    {
        // Refused by the gateway's publish check, never published.
        return;
    }
    // Both codecs carry every frame the gateway accepts, every field kept.
    for codec in [Codec::Json, Codec::MsgPack] {
        let encoded = codec
            .encode_client(&decoded)
            .expect("a decoded frame encodes");
        let again = codec
            .decode_client(encoded.as_bytes())
            .expect("an encoded frame decodes");
        assert_same(&decoded, &again, codec);
    }
});

/// `a` and `b` are the same frame. A publish's `data` is compared as a JSON
/// value: MessagePack carries the value, not its text (whose spacing and
/// key order it does not keep).
fn assert_same(a: &ClientFrame, b: &ClientFrame, codec: Codec) {
    match (a, b) {
        (
            ClientFrame::Publish {
                id,
                channel,
                data,
                trace,
            },
            ClientFrame::Publish {
                id: id2,
                channel: channel2,
                data: data2,
                trace: trace2,
            },
        ) => {
            assert_eq!((id, channel, trace), (id2, channel2, trace2), "{codec:?}");
            if codec == Codec::Json {
                assert_eq!(data, data2, "JSON keeps data's text");
            }
            let value = |bytes: &[u8]| {
                serde_json::from_slice::<serde_json::Value>(bytes).expect("data is JSON")
            };
            assert_eq!(value(data), value(data2), "{codec:?}");
        }
        _ => assert_eq!(a, b, "{codec:?}"),
    }
}
