//! Dashboard logins in Redis: created at login, looked up (and kept
//! alive) on every request, deleted at logout. Any rest-api replica can
//! serve any login.

use std::time::Duration;

use bytes::Bytes;
use fred::interfaces::KeysInterface;
use fred::types::Expiration;
use sha2::{Digest, Sha256};

use asynchronio_protocol::login::DashboardLogin;

use crate::bus::Bus;
use crate::error::BusError;

/// A new random secret: 32 bytes from the OS-seeded CSPRNG, as hex.
pub fn random_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

impl Bus {
    /// Stores a new login and returns the id for the cookie.
    pub async fn create_login(
        &self,
        login: &DashboardLogin,
        ttl: Duration,
    ) -> Result<String, BusError> {
        let id = random_secret();
        let bytes = login.encode()?;
        let _: () = self
            .client
            .set(
                self.login_key(&id),
                Bytes::from(bytes),
                Some(Expiration::PX(ttl.as_millis() as i64)),
                None,
                false,
            )
            .await?;
        Ok(id)
    }

    /// The login behind a cookie value, with its lifetime renewed; `None`
    /// when unknown, expired or unreadable.
    pub async fn login(&self, id: &str, ttl: Duration) -> Result<Option<DashboardLogin>, BusError> {
        if id.is_empty() || id.len() > 128 {
            return Ok(None);
        }
        let key = self.login_key(id);
        let bytes: Option<Bytes> = self.client.get(&key).await?;
        let Some(bytes) = bytes else { return Ok(None) };
        let _: () = self
            .client
            .pexpire(&key, ttl.as_millis() as i64, None)
            .await?;
        match DashboardLogin::decode(&bytes) {
            Ok(login) => Ok(Some(login)),
            Err(error) => {
                tracing::warn!(%error, "a dashboard login does not decode; treated as logged out");
                Ok(None)
            }
        }
    }

    /// Ends a login (logout).
    pub async fn delete_login(&self, id: &str) -> Result<(), BusError> {
        let _: u64 = self.client.del(self.login_key(id)).await?;
        Ok(())
    }

    fn login_key(&self, id: &str) -> String {
        self.keys()
            .login(&hex::encode(Sha256::digest(id.as_bytes())))
    }
}
