//! [`SessionContext`]: what every connection's session shares (the hub,
//! the bus, the limits, the token keys), and [`ClientInfo`]: who is on the
//! other end of one new connection.

use std::net::IpAddr;
use std::sync::Arc;

use asynchronio_bus::Bus;
use asynchronio_protocol::Codec;
use asynchronio_protocol::token::{Claims, TokenKeys};

use crate::config::Limits;
use crate::hub::ChannelHub;
use crate::limits::AddressBuckets;
use crate::revocation::Revocations;

/// Everything a connection needs besides its socket.
pub struct SessionContext {
    /// The channels with local subscribers, shared by every connection.
    pub hub: ChannelHub,
    /// Commands to Redis: publish, history, presence.
    pub bus: Bus,
    /// Per-connection limits and timings.
    pub limits: Limits,
    /// Keys to verify client tokens with, if configured.
    pub token_keys: Option<TokenKeys>,
    /// Whether anonymous clients are refused (`--require-token`).
    pub require_token: bool,
    /// This gateway's name in Redis, for presence entries.
    pub gateway_id: String,
    /// Revoked API keys, whose tokens are refused.
    pub revocations: Arc<Revocations>,
    /// Subscribe attempts left per IP address.
    pub address_buckets: AddressBuckets,
}

impl SessionContext {
    /// Verifies a presented token: signature, expiry, `nbf`, and that the
    /// API key that issued it is not revoked. The error says what to do.
    pub fn verify_token(&self, token: &str) -> Result<Claims, String> {
        let Some(keys) = &self.token_keys else {
            return Err(
                "this gateway has no token key configured (ASYNCHRONIO_TOKEN_SECRET)".into(),
            );
        };
        let claims = keys.verify(token).map_err(|e| e.to_string())?;
        self.revocations.check(&claims).map_err(|e| e.to_string())?;
        Ok(claims)
    }
}

/// Who is on the other end of a new connection.
pub struct ClientInfo {
    /// This gateway's number for the connection.
    pub conn_id: u64,
    /// The negotiated encoding.
    pub codec: Codec,
    /// The client's IP address, for per-address limits.
    pub peer: IpAddr,
    /// The token it presented as `?token=`, verified.
    pub claims: Option<Claims>,
}
