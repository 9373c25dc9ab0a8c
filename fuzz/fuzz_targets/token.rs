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
        assert_eq!(
            pattern_matches(pattern, channel),
            reference(pattern.as_bytes(), channel.as_bytes()),
            "{pattern:?} against {channel:?}"
        );
    }
});

/// `*` matches any run of bytes, everything else itself: the meaning the
/// token patterns document, as the textbook table (whether the first i
/// pattern bytes match the first j channel bytes), in O(pattern × channel).
fn reference(pattern: &[u8], channel: &[u8]) -> bool {
    let mut matched = vec![false; channel.len() + 1];
    matched[0] = true;
    for &p in pattern {
        let mut next = vec![false; channel.len() + 1];
        if p == b'*' {
            let mut any = false;
            for j in 0..=channel.len() {
                any |= matched[j];
                next[j] = any;
            }
        } else {
            for j in 1..=channel.len() {
                next[j] = matched[j - 1] && channel[j - 1] == p;
            }
        }
        matched = next;
    }
    matched[channel.len()]
}
