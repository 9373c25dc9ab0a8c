//! [`AppState`]: what every handler shares.

use asynchronio_bus::Bus;
use asynchronio_protocol::ChannelRules;
use asynchronio_protocol::token::TokenKeys;
use asynchronio_store::Store;

use crate::audit_writer::AuditWriter;
use crate::auth::KeyCache;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimiter;

pub struct AppState {
    pub bus: Bus,
    pub store: Store,
    pub admin_key: Option<String>,
    pub require_token: bool,
    pub channel_rules: ChannelRules,
    pub metrics: Metrics,
    /// Keys to sign client tokens with, if configured.
    pub token_keys: Option<TokenKeys>,
    /// Channel patterns whose history is archived in the database.
    pub archive: Vec<String>,
    /// Limits anonymous callers, per address.
    pub anonymous_limit: RateLimiter,
    /// Limits each API key.
    pub key_limit: RateLimiter,
    pub audit: AuditWriter,
    pub key_cache: KeyCache,
}
