//! REST request bodies whose rules live in a library: the first byte picks
//! the body. `POST /api/v1/tokens` (`TokenRequest`): a request that passes
//! its checks becomes a token that verifies to exactly the claims asked
//! for, within the limits. The dead-letter replay and delete bodies' ids
//! (`dead_letter::checked_ids`): every id accepted is a stream entry id.
//! (Publish bodies are the `headers` target's `checked_json`, render bodies
//! the `render_fragment` target.)
#![no_main]

use std::sync::LazyLock;

use asynchronio_protocol::dead_letter::checked_ids;
use asynchronio_protocol::token::request::{MAX_PATTERN_LEN, MAX_PATTERNS, MAX_SUB_LEN};
use asynchronio_protocol::token::{TokenKeys, TokenRequest, now_secs};
use libfuzzer_sys::fuzz_target;

/// The cap on lifetimes here (the server's default, 24 h).
const MAX_TTL: u64 = 24 * 3600;

static KEYS: LazyLock<TokenKeys> = LazyLock::new(|| {
    TokenKeys::hs256(b"a fuzz secret that is long enough for HS256 keys ok")
        .expect("a valid secret")
        .with_max_ttl(MAX_TTL)
});

fuzz_target!(|data: &[u8]| {
    let Some((&mode, body)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let Ok(request) = TokenRequest::from_json(body) else {
            return;
        };
        let Ok(checked) = request.checked(MAX_TTL) else {
            return;
        };
        assert!((1..=MAX_TTL).contains(&checked.ttl()));
        // One clock reading for making and checking the token, so that a
        // second passing in between cannot expire a 1 s token.
        let now = now_secs();
        let claims = checked.into_claims(now, Some("key-1".into()));
        assert!(!claims.sub.is_empty() && claims.sub.len() <= MAX_SUB_LEN);
        assert!(claims.subscribe.len() + claims.publish.len() <= MAX_PATTERNS);
        assert!(
            claims
                .subscribe
                .iter()
                .chain(&claims.publish)
                .all(|p| !p.is_empty() && p.len() <= MAX_PATTERN_LEN)
        );
        let token = KEYS.sign(&claims).expect("an accepted request signs");
        assert_eq!(
            KEYS.verify_at(&token, now)
                .expect("a signed token verifies"),
            claims
        );
    } else {
        let Ok(ids) = serde_json::from_slice::<Vec<String>>(body) else {
            return;
        };
        // An id goes into XRANGE and XDEL: it must be two decimal u64s
        // joined by one '-', checked here without `is_id`.
        if checked_ids(&ids).is_ok() {
            for id in &ids {
                let parts: Vec<&str> = id.split('-').collect();
                assert_eq!(parts.len(), 2, "{id:?} accepted");
                for part in parts {
                    assert!(
                        !part.is_empty()
                            && part.bytes().all(|b| b.is_ascii_digit())
                            && part.parse::<u64>().is_ok(),
                        "{id:?} accepted"
                    );
                }
            }
        }
    }
});
