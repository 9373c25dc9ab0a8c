//! A client token (JWT) as a connect frame or `?token=` carries it, and the
//! channel patterns a token grants. Nothing here verifies (the key is one
//! the fuzzer cannot know), so what is exercised is everything a forged
//! token reaches before its signature is refused, and pattern matching
//! (`pattern\nchannel`), against a plain recursive glob.
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
        // Short ones only: the reference below backtracks.
        if pattern.len() <= 24 && channel.len() <= 48 {
            assert_eq!(
                pattern_matches(pattern, channel),
                reference(pattern.as_bytes(), channel.as_bytes()),
                "{pattern:?} against {channel:?}"
            );
        }
    }
});

/// `*` matches any run of bytes, everything else itself: the meaning the
/// token patterns document, written the obvious way.
fn reference(pattern: &[u8], channel: &[u8]) -> bool {
    match pattern.split_first() {
        None => channel.is_empty(),
        Some((b'*', rest)) => (0..=channel.len()).any(|skip| reference(rest, &channel[skip..])),
        Some((first, rest)) => channel.first() == Some(first) && reference(rest, &channel[1..]),
    }
}
