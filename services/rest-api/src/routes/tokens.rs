//! `POST /api/v1/tokens`: client connection tokens for the WebSocket
//! gateway, naming the channel patterns the holder may use.
//!
//! A key grants in a token only what its own scopes allow over REST:
//!
//! * `subscribe` patterns need the `read` scope (a read key reads any
//!   channel's history, `private:` included);
//! * `publish` patterns need the `publish` scope;
//! * `$sys:` patterns and `admin: true` need the `admin` scope;
//! * a token with no patterns (identity only) needs `read` or `publish`.
//!
//! Lifetimes are capped at `--max-token-ttl` (24 h by default); asking for
//! more is a 400, never silently shortened. The token names the key that
//! issued it (`key` claim), so revoking the key voids its tokens on every
//! gateway. Tokens the bootstrap admin key or a dashboard login issue
//! carry no key id: only rotating the token secret voids them.

use actix_web::{HttpResponse, post, web};
use asynchronio_protocol::channel::{ChannelKind, kind_of};
use asynchronio_protocol::token::{Claims, now_secs};
use asynchronio_store::Scope;
use serde::Deserialize;

use crate::audit::audit;
use crate::body::Body;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    sub: String,
    /// Seconds; an hour (or the cap, if lower) when not given.
    #[serde(default)]
    ttl: Option<u64>,
    #[serde(default)]
    subscribe: Vec<String>,
    #[serde(default)]
    publish: Vec<String>,
    #[serde(default)]
    admin: bool,
}

/// Lifetime of a token when the request names none: an hour.
/// Most channel patterns one token may carry (it travels with every
/// connection and is checked on every subscribe).
const MAX_PATTERNS: usize = 100;

const DEFAULT_TTL: u64 = 3600;

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    request_body(content_type = "application/json",
        description = "{\"sub\": \"user-42\", \"ttl\": 3600, \"subscribe\": [patterns], \"publish\": [patterns], \"admin\": false}"),
    responses((status = 201, description = "{token, sub, expires_at}"), (status = 400, description = "Bad request"),
              (status = 403, description = "The key lacks a scope the token would grant: subscribe patterns need read, publish patterns publish, $sys: patterns and admin tokens admin"),
              (status = 503, description = "No token key configured")),
    security(("api_key" = [])))]
#[post("/tokens")]
pub async fn issue(
    state: web::Data<AppState>,
    caller: Caller,
    Body(body): Body,
) -> Result<HttpResponse, ApiError> {
    let request: TokenRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!("send {{\"sub\":\"user-42\",\"ttl\":3600,\"subscribe\":[\"news\"],\"publish\":[]}}: {e}"),
        )
    })?;
    require_scopes(&caller, &request)?;
    if request.sub.trim().is_empty() || request.sub.len() > 200 {
        return Err(ApiError::bad_request(
            "bad_request",
            "sub must be 1 to 200 characters",
        ));
    }
    let max_ttl = crate::token_signing::max_ttl(&state);
    let ttl = request.ttl.unwrap_or(DEFAULT_TTL.min(max_ttl));
    if ttl == 0 || ttl > max_ttl {
        return Err(ApiError::bad_request(
            "bad_parameter",
            format!(
                "ttl must be from 1 to {max_ttl} seconds (this server's --max-token-ttl); ask for a fresh token when it runs out"
            ),
        ));
    }
    let patterns_ok = request.subscribe.len() + request.publish.len() <= MAX_PATTERNS
        && request
            .subscribe
            .iter()
            .chain(&request.publish)
            .all(|p| !p.is_empty() && p.len() <= 255 && !p.contains(char::is_whitespace));
    if !patterns_ok {
        return Err(ApiError::bad_request(
            "bad_request",
            format!(
                "a token carries at most {MAX_PATTERNS} channel patterns of 1 to 255 characters without spaces; * matches any run"
            ),
        ));
    }
    let now = now_secs();
    let claims = Claims {
        sub: request.sub.trim().to_owned(),
        exp: now + ttl,
        iat: now,
        subscribe: request.subscribe,
        publish: request.publish,
        admin: request.admin,
        nbf: None,
        key: match &caller {
            Caller::Key { id, .. } => Some(id.clone()),
            _ => None,
        },
    };
    let token = crate::token_signing::sign(&state, &claims)?;
    audit(&state, &caller, "token.issue", &claims.sub, "ok").await;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "token": token,
        "sub": claims.sub,
        "expires_at": claims.exp,
    })))
}

/// Succeeds when the caller's scopes cover everything the token would
/// grant (see the module documentation).
fn require_scopes(caller: &Caller, request: &TokenRequest) -> Result<(), ApiError> {
    // A pattern's kind is its name's (`kind_of` reads only the prefix), so
    // `$sys:*` is a system pattern.
    let system = request
        .subscribe
        .iter()
        .chain(&request.publish)
        .any(|p| kind_of(p) == ChannelKind::System);
    if request.admin || system {
        caller.require(Scope::Admin)?;
    }
    if !request.subscribe.is_empty() {
        caller.require(Scope::Read)?;
    }
    if !request.publish.is_empty() {
        caller.require(Scope::Publish)?;
    }
    if request.subscribe.is_empty() && request.publish.is_empty() && !request.admin {
        caller
            .require(Scope::Read)
            .or_else(|_| caller.require(Scope::Publish))?;
    }
    Ok(())
}
