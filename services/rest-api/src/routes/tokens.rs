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
use asynchronio_protocol::token::{TokenRequest, TokenRequestError, now_secs};
use asynchronio_store::Scope;

use crate::audit::audit;
use crate::body::Body;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;

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
    let request = TokenRequest::from_json(&body)
        .map_err(|e| ApiError::bad_request("bad_json", e.to_string()))?;
    require_scopes(&caller, &request)?;
    let max_ttl = crate::token_signing::max_ttl(&state);
    let request = request.checked(max_ttl).map_err(|e| {
        let code = match e {
            TokenRequestError::Ttl { .. } => "bad_parameter",
            _ => "bad_request",
        };
        ApiError::bad_request(code, e.to_string())
    })?;
    let key = match &caller {
        Caller::Key { id, .. } => Some(id.clone()),
        _ => None,
    };
    let claims = request.into_claims(now_secs(), key);
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
