//! Revoked API keys, as the gateways see them: rest-api records a key's id
//! when the key is revoked, and every gateway refuses (and disconnects)
//! client tokens that key issued.
//!
//! One sorted set, scored by when an entry may be forgotten: the revocation
//! time plus the longest token lifetime, after which no token of the key
//! can still be valid. Writers trim expired entries, so the set holds only
//! the keys revoked within one token lifetime.

use std::collections::HashSet;
use std::time::Duration;

use fred::interfaces::SortedSetsInterface;
use fred::types::Value;

use crate::bus::Bus;
use crate::error::BusError;

impl Bus {
    /// Records that the tokens API key `key_id` issued are void for `keep`
    /// (the longest token lifetime), and forgets entries past theirs.
    pub async fn revoke_token_issuer(&self, key_id: &str, keep: Duration) -> Result<(), BusError> {
        let key = self.keys().revoked_keys();
        let now = asynchronio_protocol::clock::now_secs();
        let until = now.saturating_add(keep.as_secs());
        let pipeline = self.client.pipeline();
        // GT: a second revocation never shortens the first one's entry.
        let _: () = pipeline
            .zadd(
                &key,
                None,
                Some(fred::types::sorted_sets::Ordering::GreaterThan),
                false,
                false,
                (until as f64, key_id),
            )
            .await?;
        let _: () = pipeline
            .zremrangebyscore(&key, f64::NEG_INFINITY, now as f64)
            .await?;
        let _: Vec<Value> = pipeline.all().await?;
        Ok(())
    }

    /// The ids of API keys whose tokens are void now.
    pub async fn revoked_token_issuers(&self) -> Result<HashSet<String>, BusError> {
        let members: Vec<String> = self
            .client
            .zrangebyscore(
                self.keys().revoked_keys(),
                asynchronio_protocol::clock::now_secs() as f64,
                f64::INFINITY,
                false,
                None,
            )
            .await?;
        Ok(members.into_iter().collect())
    }
}
