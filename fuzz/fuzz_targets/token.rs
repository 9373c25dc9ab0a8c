//! A client token (JWT) as a connect frame or `?token=` carries it, and the
//! channel patterns a token grants. Nothing here verifies (the key is one
//! the fuzzer cannot know), so what is exercised is everything a forged
//! token reaches before its signature is refused, and pattern matching.
#![no_main]

use std::sync::LazyLock;

use asynchronio_protocol::token::{TokenKeys, pattern_matches};
use libfuzzer_sys::fuzz_target;

static KEYS: LazyLock<TokenKeys> = LazyLock::new(|| {
    TokenKeys::hs256(b"a fuzz secret that is long enough for HS256 keys ok")
        .expect("a valid secret")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    assert!(
        KEYS.verify(text).is_err(),
        "a token verified without the key"
    );
    if let Some((pattern, channel)) = text.split_once('\n') {
        let matched = pattern_matches(pattern, channel);
        // A pattern without `*` matches only itself.
        if !pattern.contains('*') {
            assert_eq!(matched, pattern == channel);
        }
        // `*` matches every channel.
        assert!(pattern_matches("*", channel));
    }
});
