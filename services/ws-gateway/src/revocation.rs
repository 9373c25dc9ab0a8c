//! Tokens whose issuing API key was revoked: the set of revoked key ids,
//! mirrored from Redis once a second, checked when a token is presented,
//! and used to close live connections holding such a token.
//!
//! Nothing here runs per message: a connection registers its token's key
//! id once (when the token is presented), and the refresher cancels the
//! registered connections of a newly revoked key, which the connection's
//! event loop already watches (its stop token).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use asynchronio_bus::Bus;
use asynchronio_protocol::token::Claims;
use parking_lot::{Mutex, RwLock};
use tokio_util::sync::CancellationToken;

/// How often the revoked set is read from Redis: a revoked key's live
/// connections close within this plus a round trip.
const REFRESH: Duration = Duration::from_secs(1);

/// Why a token is refused here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("token revoked: the API key that issued it was revoked; get a new token")]
    Revoked,
    #[error("cannot check whether the token was revoked yet (Redis unavailable); retry shortly")]
    Unknown,
}

/// The gateway's view of the revoked keys and who holds their tokens.
#[derive(Default)]
pub struct Revocations {
    revoked: RwLock<HashSet<String>>,
    /// Set once the set was read from Redis; until then tokens with a key
    /// id are refused rather than trusted blindly.
    loaded: AtomicBool,
    /// Connections holding a token of each key: connection id → its stop.
    holders: Mutex<HashMap<String, HashMap<u64, CancellationToken>>>,
}

/// Keeps a connection registered as a holder of its key's token.
pub struct Holding {
    revocations: Arc<Revocations>,
    key: String,
    conn_id: u64,
}

impl Drop for Holding {
    fn drop(&mut self) {
        let mut holders = self.revocations.holders.lock();
        if let Some(connections) = holders.get_mut(&self.key) {
            connections.remove(&self.conn_id);
            if connections.is_empty() {
                holders.remove(&self.key);
            }
        }
    }
}

impl Revocations {
    /// Whether `claims` may be used: tokens without a key id always may.
    pub fn check(&self, claims: &Claims) -> Result<(), Refused> {
        let Some(key) = &claims.key else {
            return Ok(());
        };
        if !self.loaded.load(Ordering::Acquire) {
            return Err(Refused::Unknown);
        }
        if self.revoked.read().contains(key) {
            return Err(Refused::Revoked);
        }
        Ok(())
    }

    /// Registers connection `conn_id` as holding a token of `claims`' key;
    /// `stop` is cancelled if the key is revoked while it is held. `None`
    /// for tokens without a key id.
    pub fn hold(
        self: &Arc<Self>,
        claims: &Claims,
        conn_id: u64,
        stop: &CancellationToken,
    ) -> Option<Holding> {
        let key = claims.key.clone()?;
        self.holders
            .lock()
            .entry(key.clone())
            .or_default()
            .insert(conn_id, stop.clone());
        // Revoked between the check and now: the refresher has already
        // passed this key by.
        if self.revoked.read().contains(&key) {
            stop.cancel();
        }
        Some(Holding {
            revocations: Arc::clone(self),
            key,
            conn_id,
        })
    }

    /// Whether `key` is revoked, as of the last read.
    pub fn is_revoked(&self, key: &str) -> bool {
        self.revoked.read().contains(key)
    }

    /// Replaces the revoked set and stops the holders of newly revoked keys.
    fn update(&self, revoked: HashSet<String>) {
        let fresh: Vec<String> = {
            let current = self.revoked.read();
            revoked.difference(&current).cloned().collect()
        };
        if !fresh.is_empty() || revoked.len() != self.revoked.read().len() {
            *self.revoked.write() = revoked;
        }
        self.loaded.store(true, Ordering::Release);
        if fresh.is_empty() {
            return;
        }
        let holders = self.holders.lock();
        for key in &fresh {
            if let Some(connections) = holders.get(key) {
                tracing::info!(key = %key, connections = connections.len(), "API key revoked; closing the connections holding its tokens");
                for stop in connections.values() {
                    stop.cancel();
                }
            }
        }
    }

    /// Reads the revoked set from Redis once.
    pub async fn refresh(&self, bus: &Bus) {
        match bus.revoked_token_issuers().await {
            Ok(revoked) => self.update(revoked),
            Err(error) => {
                tracing::warn!(%error, "cannot read the revoked API keys; using the last known set")
            }
        }
    }

    /// Reads the revoked set from Redis every [`REFRESH`] until `stop`.
    pub async fn run(self: Arc<Self>, bus: Bus, stop: CancellationToken) {
        loop {
            self.refresh(&bus).await;
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(REFRESH) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(key: Option<&str>) -> Claims {
        Claims {
            sub: "u".into(),
            exp: u64::MAX,
            key: key.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn revoking_a_key_refuses_and_stops_its_tokens() {
        let revocations = Arc::new(Revocations::default());
        assert_eq!(
            revocations.check(&claims(Some("k1"))),
            Err(Refused::Unknown)
        );
        assert_eq!(revocations.check(&claims(None)), Ok(()));
        revocations.update(HashSet::new());
        assert_eq!(revocations.check(&claims(Some("k1"))), Ok(()));
        let stop = CancellationToken::new();
        let other = CancellationToken::new();
        let _held = revocations.hold(&claims(Some("k1")), 1, &stop);
        let _kept = revocations.hold(&claims(Some("k2")), 2, &other);
        revocations.update(["k1".to_owned()].into());
        assert!(stop.is_cancelled());
        assert!(!other.is_cancelled());
        assert_eq!(
            revocations.check(&claims(Some("k1"))),
            Err(Refused::Revoked)
        );
        drop(_kept);
        assert!(revocations.holders.lock().get("k2").is_none());
    }
}
