//! [`AppState`]: what every handler shares.

use asynchronio_bus::Bus;
use asynchronio_protocol::ChannelRules;
use asynchronio_protocol::token::TokenKeys;
use asynchronio_store::Store;

use crate::audit_writer::AuditWriter;
use crate::dashboard::templates::Templates;
use crate::key_cache::KeyCache;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimits;

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
    /// Request limits per address, per key and for logins.
    pub rate_limits: RateLimits,
    pub audit: AuditWriter,
    pub key_cache: KeyCache,
    /// The dashboard's templates (and a user's, for render frames).
    pub templates: std::sync::Arc<Templates>,
    /// The gateway URL dashboard pages connect to; `None`: the page's host,
    /// port 8080.
    pub gateway_url: Option<String>,
    /// Whether login cookies are marked Secure (HTTPS only).
    pub secure_cookies: bool,
}
