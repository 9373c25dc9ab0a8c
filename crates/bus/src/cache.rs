//! The cross-domain cache: small values any service or browser can read by
//! key, with an optional expiry.

use bytes::Bytes;
use fred::interfaces::{HashesInterface, KeysInterface};
use fred::types::Value;

use crate::bus::Bus;
use crate::error::BusError;
use crate::reply;

/// A cached value and the content type it was stored with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedValue {
    pub value: Bytes,
    pub content_type: String,
    /// Seconds left before it expires; `None` when it does not.
    pub ttl_secs: Option<u64>,
}

impl Bus {
    /// Stores `value` under `key`, replacing any previous value.
    pub async fn cache_put(
        &self,
        key: &str,
        value: Bytes,
        content_type: &str,
        ttl_secs: Option<u64>,
    ) -> Result<(), BusError> {
        let redis_key = self.keys().cache(key);
        let pipeline = self.client.pipeline();
        let _: () = pipeline.del(&redis_key).await?;
        let _: () = pipeline
            .hset(
                &redis_key,
                [("v", Value::Bytes(value)), ("t", Value::from(content_type))],
            )
            .await?;
        if let Some(ttl) = ttl_secs.filter(|t| *t > 0) {
            let _: () = pipeline.expire(&redis_key, ttl as i64, None).await?;
        }
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    /// The value under `key`, if any.
    pub async fn cache_get(&self, key: &str) -> Result<Option<CachedValue>, BusError> {
        let redis_key = self.keys().cache(key);
        let pipeline = self.client.pipeline();
        let _: () = pipeline.hmget(&redis_key, vec!["v", "t"]).await?;
        let _: () = pipeline.ttl(&redis_key).await?;
        let (fields, ttl): (Vec<Value>, i64) = pipeline.all().await?;
        let (Some(value), Some(content_type)) = (fields.first(), fields.get(1)) else {
            return Ok(None);
        };
        if value.is_null() {
            return Ok(None);
        }
        Ok(Some(CachedValue {
            value: reply::as_bytes("HMGET", value)?,
            content_type: reply::as_string("HMGET", content_type)
                .unwrap_or_else(|_| "application/octet-stream".into()),
            ttl_secs: u64::try_from(ttl).ok(),
        }))
    }

    /// Removes the value under `key`; true when there was one.
    pub async fn cache_delete(&self, key: &str) -> Result<bool, BusError> {
        let removed: u64 = self.client.del(self.keys().cache(key)).await?;
        Ok(removed > 0)
    }
}
