//! The cross-domain cache: small values any service or browser can read by
//! key, with an optional expiry.

use asynchronio_protocol::cache::{CacheEntry, MAX_CACHE_TTL_SECS};
use bytes::Bytes;
use fred::interfaces::KeysInterface;
use fred::types::{Expiration, Value};

use crate::bus::Bus;
use crate::error::BusError;

/// A cached value and the content type it was stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedValue {
    /// The value's bytes.
    pub value: Bytes,
    /// The content type it was stored with, as given.
    pub content_type: String,
    /// Seconds left before it expires; `None` when it does not.
    pub ttl_secs: Option<u64>,
}

impl Bus {
    /// Stores `value` under `key`, replacing any previous value, in one
    /// `SET … EX`: a failure leaves the old value as it was. A TTL outside
    /// 1 s to [`MAX_CACHE_TTL_SECS`] is refused, never stored without one.
    pub async fn cache_put(
        &self,
        key: &str,
        value: Bytes,
        content_type: &str,
        ttl_secs: Option<u64>,
    ) -> Result<(), BusError> {
        let entry = CacheEntry {
            content_type: content_type.to_owned(),
            value: value.to_vec(),
        };
        let encoded = entry
            .encode()
            .map_err(|e| BusError::Envelope(asynchronio_protocol::EnvelopeError::Encode(e)))?;
        let expiry = match ttl_secs {
            None => None,
            Some(ttl) if (1..=MAX_CACHE_TTL_SECS).contains(&ttl) => {
                Some(Expiration::EX(ttl as i64))
            }
            Some(ttl) => return Err(BusError::CacheTtl(ttl)),
        };
        let _: () = self
            .client
            .set(
                self.keys().cache(key),
                Value::Bytes(encoded),
                expiry,
                None,
                false,
            )
            .await?;
        Ok(())
    }

    /// The value under `key`, if any. A value stored in an older layout
    /// (a hash) reads as absent; the next `cache_put` replaces it.
    pub async fn cache_get(&self, key: &str) -> Result<Option<CachedValue>, BusError> {
        let redis_key = self.keys().cache(key);
        let pipeline = self.client.pipeline();
        let _: () = pipeline.get(&redis_key).await?;
        let _: () = pipeline.ttl(&redis_key).await?;
        let results: Vec<Result<Value, fred::error::Error>> = pipeline.try_all().await;
        let mut results = results.into_iter();
        let stored = match results.next() {
            Some(Ok(Value::Bytes(bytes))) => bytes,
            Some(Ok(Value::String(text))) => text.into_inner(),
            Some(Ok(_)) => return Ok(None),
            Some(Err(error)) if error.details().starts_with("WRONGTYPE") => return Ok(None),
            Some(Err(error)) => return Err(error.into()),
            None => return Ok(None),
        };
        let ttl = match results.next() {
            Some(Ok(Value::Integer(ttl))) => u64::try_from(ttl).ok(),
            _ => None,
        };
        Ok(CacheEntry::decode(&stored).map(|entry| CachedValue {
            value: Bytes::from(entry.value),
            content_type: entry.content_type,
            ttl_secs: ttl,
        }))
    }

    /// Removes the value under `key`; true when there was one.
    pub async fn cache_delete(&self, key: &str) -> Result<bool, BusError> {
        let removed: u64 = self.client.del(self.keys().cache(key)).await?;
        Ok(removed > 0)
    }
}
