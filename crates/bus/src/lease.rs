//! Leases: a key that one owner holds for a while and must keep renewing,
//! so that work is owned by exactly one live process and moves when it dies.

use std::time::Duration;

use fred::types::Value;

use crate::bus::Bus;
use crate::error::BusError;
use crate::reply;

/// Takes the lease when free, renews it when ours. `KEYS[1]` lease key;
/// `ARGV` owner, TTL in ms. Returns 1 when held afterwards.
pub(crate) const ACQUIRE_OR_RENEW: &str = r#"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
"#;

/// Drops the lease if ours. `KEYS[1]` lease key; `ARGV[1]` owner.
pub(crate) const RELEASE: &str = r#"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"#;

/// A named lease as one owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    pub key: String,
    pub owner: String,
    pub ttl: Duration,
}

impl Bus {
    /// Acquires a free lease or renews our own; false when another owner has it.
    pub async fn acquire_lease(&self, lease: &Lease) -> Result<bool, BusError> {
        let reply = self
            .run_script(
                &self.scripts.lease_acquire,
                vec![lease.key.clone()],
                vec![
                    Value::from(lease.owner.as_str()),
                    Value::Integer(lease.ttl.as_millis() as i64),
                ],
            )
            .await?;
        Ok(reply::as_u64("the lease script", &reply)? == 1)
    }

    /// Releases the lease if we hold it; true when it was ours.
    pub async fn release_lease(&self, lease: &Lease) -> Result<bool, BusError> {
        let reply = self
            .run_script(
                &self.scripts.lease_release,
                vec![lease.key.clone()],
                vec![Value::from(lease.owner.as_str())],
            )
            .await?;
        Ok(reply::as_u64("the lease script", &reply)? == 1)
    }
}
