//! Dashboard logins as Redis keeps them, so that any rest-api replica can
//! serve a logged-in browser.
//!
//! The browser holds a random login id in an HttpOnly cookie; Redis holds
//! a [`DashboardLogin`] (MessagePack) under the SHA-256 of that id, so a
//! reader of Redis cannot replay a cookie. ("Session" is the word for a
//! client's protocol state in ws-gateway; a dashboard user has a login.)

use serde::{Deserialize, Serialize};

use crate::envelope::EnvelopeError;

/// A logged-in dashboard user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashboardLogin {
    /// Who logged in, as the audit log names them (`bootstrap`, `key:…`).
    pub actor: String,
    /// The CSRF token every state-changing request must echo.
    pub csrf: String,
    /// When the login began (ms since the Unix epoch).
    pub created_ms: u64,
}

impl DashboardLogin {
    /// The login as stored in Redis (named MessagePack fields).
    pub fn encode(&self) -> Result<Vec<u8>, EnvelopeError> {
        Ok(rmp_serde::to_vec_named(self)?)
    }

    /// A login as read back from Redis.
    pub fn decode(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        Ok(rmp_serde::from_slice(bytes)?)
    }
}
