//! Signing client tokens with this server's token key: [`sign`] for
//! `POST /api/v1/tokens` and the dashboard's page tokens alike, and
//! [`max_ttl`], the longest lifetime this server issues (also how long a
//! revoked key's id must stay in the revocation set).

use actix_web::http::StatusCode;
use asynchronio_protocol::token::Claims;

use crate::error::ApiError;
use crate::state::AppState;

/// The longest token lifetime this server issues, in seconds; also how
/// long a revoked key's id stays in the revocation set.
pub(crate) fn max_ttl(state: &AppState) -> u64 {
    state
        .token_keys
        .as_ref()
        .map_or(asynchronio_protocol::token::DEFAULT_MAX_TTL_SECS, |keys| {
            keys.max_ttl()
        })
}

/// Signs `claims` with the configured token key (503 when none is set).
pub(crate) fn sign(state: &AppState, claims: &Claims) -> Result<String, ApiError> {
    let Some(keys) = &state.token_keys else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            "no token key is configured; set ASYNCHRONIO_TOKEN_SECRET (shared with the gateways)",
        ));
    };
    keys.sign(claims).map_err(|e| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_configured",
            e.to_string(),
        )
    })
}
