//! `POST /api/v1/tokens`: client connection tokens for the WebSocket
//! gateway, naming the channel patterns the holder may use.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use asynchronio_protocol::token::{Claims, now_secs};
use asynchronio_store::Scope;
use serde::Deserialize;

use crate::auth::Caller;
use crate::body::Body;
use crate::error::ApiError;
use crate::routes::keys::audit;
use crate::state::AppState;

/// Longest token lifetime: 30 days.
const MAX_TTL: u64 = 30 * 24 * 3600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    sub: String,
    #[serde(default = "default_ttl")]
    ttl: u64,
    #[serde(default)]
    subscribe: Vec<String>,
    #[serde(default)]
    publish: Vec<String>,
    #[serde(default)]
    admin: bool,
}

fn default_ttl() -> u64 {
    3600
}

#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens",
    request_body(content_type = "application/json",
        description = "{\"sub\": \"user-42\", \"ttl\": 3600, \"subscribe\": [patterns], \"publish\": [patterns], \"admin\": false}"),
    responses((status = 201, description = "{token, sub, expires_at}"), (status = 400, description = "Bad request"),
              (status = 403, description = "Admin tokens need an admin key"),
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
    caller.require(if request.admin {
        Scope::Admin
    } else {
        Scope::Publish
    })?;
    if request.sub.trim().is_empty() || request.sub.len() > 200 {
        return Err(ApiError::bad_request(
            "bad_request",
            "sub must be 1 to 200 characters",
        ));
    }
    if request.ttl == 0 || request.ttl > MAX_TTL {
        return Err(ApiError::bad_request(
            "bad_parameter",
            format!("ttl must be from 1 to {MAX_TTL} seconds"),
        ));
    }
    let patterns_ok = request
        .subscribe
        .iter()
        .chain(&request.publish)
        .all(|p| !p.is_empty() && p.len() <= 255 && !p.contains(char::is_whitespace));
    if !patterns_ok {
        return Err(ApiError::bad_request(
            "bad_request",
            "channel patterns are 1 to 255 characters without spaces; * matches any run",
        ));
    }
    let now = now_secs();
    let claims = Claims {
        sub: request.sub.trim().to_owned(),
        exp: now + request.ttl,
        iat: now,
        subscribe: request.subscribe,
        publish: request.publish,
        admin: request.admin,
        ..Default::default()
    };
    let token = sign(&state, &claims)?;
    audit(&state, &caller, "token.issue", &claims.sub, "ok").await;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "token": token,
        "sub": claims.sub,
        "expires_at": claims.exp,
    })))
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
