//! How the cross-domain cache keeps a value in Redis: one string holding
//! the content type and the bytes, so that storing a value (with its
//! expiry) is one `SET … EX`, never a delete followed by writes.
//!
//! The string is a MessagePack array `[content_type, value]`.

use bytes::Bytes;
use serde::{Deserialize, Serialize};

/// Longest time a value may be cached, in seconds (365 days). Longer TTLs
/// are refused rather than overflowing Redis' expiry arithmetic.
pub const MAX_CACHE_TTL_SECS: u64 = 365 * 24 * 3600;

/// A cached value and the content type it was stored with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// The `Content-Type` the value was stored with, as given.
    pub content_type: String,
    /// The value's bytes.
    #[serde(with = "serde_bytes")]
    pub value: Vec<u8>,
}

impl CacheEntry {
    /// The string stored in Redis.
    pub fn encode(&self) -> Result<Bytes, rmp_serde::encode::Error> {
        rmp_serde::to_vec(self).map(Bytes::from)
    }

    /// Reads a stored string back; `None` when it is not an entry.
    pub fn decode(bytes: &[u8]) -> Option<CacheEntry> {
        rmp_serde::from_slice(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let entry = CacheEntry {
            content_type: "text/plain".into(),
            value: b"\x00hi".to_vec(),
        };
        let bytes = entry.encode().expect("encode");
        assert_eq!(CacheEntry::decode(&bytes), Some(entry));
        assert_eq!(CacheEntry::decode(b"\xc1"), None);
    }
}
