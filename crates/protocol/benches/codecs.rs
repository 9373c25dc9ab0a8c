//! Costs of the per-message encoding work on the delivery path: decoding an
//! envelope read from Redis, and encoding it once per client codec.

use bytes::Bytes;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use asynchronio_protocol::{Codec, Envelope, EnvelopeDraft};

fn sample_envelope_bytes() -> Vec<u8> {
    let payload = br#"{"symbol":"ACME","price":42.5,"volume":1200,"tags":["a","b"]}"#;
    EnvelopeDraft::new("ticks", Bytes::from_static(payload))
        .complete(1_700_000_000_000, 123_456, "18c2f00a1b2c3")
        .expect("sample envelope encodes")
}

fn codecs(c: &mut Criterion) {
    let bytes = sample_envelope_bytes();
    let envelope = Envelope::decode(&bytes).expect("sample decodes");
    let draft = EnvelopeDraft::new("ticks", envelope.payload.clone());

    c.bench_function("envelope_encode_head", |b| {
        b.iter(|| black_box(&draft).encode_head())
    });
    c.bench_function("envelope_decode", |b| {
        b.iter(|| Envelope::decode(black_box(&bytes)))
    });
    c.bench_function("message_frame_json", |b| {
        b.iter(|| Codec::Json.encode_message(black_box(&envelope)))
    });
    c.bench_function("message_frame_msgpack", |b| {
        b.iter(|| Codec::MsgPack.encode_message(black_box(&envelope)))
    });
    let publish = br#"{"op":"publish","id":7,"channel":"ticks","data":{"price":42.5}}"#;
    c.bench_function("client_frame_decode_json", |b| {
        b.iter(|| Codec::Json.decode_client(black_box(publish)))
    });
}

criterion_group!(benches, codecs);
criterion_main!(benches);
