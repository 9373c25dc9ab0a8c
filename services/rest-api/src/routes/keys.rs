//! API keys: created by an admin, shown once, listed without secrets,
//! revoked by id. Every change is audited.

use actix_web::{HttpResponse, delete, get, post, web};
use asynchronio_store::Scope;
use serde::Deserialize;

use crate::audit::audit;
use crate::body::Body;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Deserialize)]
struct NewKey {
    name: String,
    scopes: Vec<Scope>,
}

/// `POST /api/v1/keys` `{"name":"ci","scopes":["publish","read"]}`.
#[utoipa::path(post, path = "/api/v1/keys", tag = "keys",
    request_body(content_type = "application/json", description = "{\"name\": \"ci\", \"scopes\": [\"publish\", \"read\", \"admin\"]}"),
    responses((status = 201, description = "The key, with its secret shown this once"),
              (status = 400, description = "Bad JSON or scopes"), (status = 401, description = "No or unknown API key"),
              (status = 403, description = "Not an admin key")),
    security(("api_key" = [])))]
#[post("/keys")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    Body(body): Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let request: NewKey = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!("send {{\"name\":\"…\",\"scopes\":[\"publish\",\"read\",\"admin\"]}}: {e}"),
        )
    })?;
    if request.name.trim().is_empty() || request.name.len() > 200 || request.scopes.is_empty() {
        return Err(ApiError::bad_request(
            "bad_request",
            "a key needs a name (up to 200 characters) and at least one scope",
        ));
    }
    let created = state
        .store
        .create_api_key(request.name.trim(), &request.scopes)
        .await?;
    audit(&state, &caller, "key.create", &created.key.id, "ok").await;
    Ok(HttpResponse::Created().json(created))
}

/// `GET /api/v1/keys`: every key, without secrets.
#[utoipa::path(get, path = "/api/v1/keys", tag = "keys",
    responses((status = 200, description = "{keys: [...]} without secrets"), (status = 403, description = "Not an admin key")),
    security(("api_key" = [])))]
#[get("/keys")]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "keys": state.store.list_api_keys().await? })))
}

/// `DELETE /api/v1/keys/{id}`: the key stops working at once.
#[utoipa::path(delete, path = "/api/v1/keys/{id}", tag = "keys",
    params(("id" = String, Path, description = "Key id")),
    responses((status = 204, description = "Revoked"), (status = 404, description = "No such key")),
    security(("api_key" = [])))]
#[delete("/keys/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let revoked = state.store.revoke_api_key(&path).await?;
    // After the database, so no request in between can cache it again.
    state.key_cache.forget(&path);
    if !revoked {
        audit(&state, &caller, "key.revoke", &path, "not_found").await;
        return Err(ApiError::not_found(format!(
            "no API key {:?}",
            path.as_str()
        )));
    }
    // Tokens the key issued die with it: gateways refuse (and disconnect)
    // them once its id is in the revocation set. Revoking again retries.
    let keep = std::time::Duration::from_secs(crate::token_signing::max_ttl(&state));
    if let Err(error) = state.bus.revoke_token_issuer(&path, keep).await {
        audit(&state, &caller, "key.revoke", &path, "tokens_not_revoked").await;
        return Err(ApiError::unavailable(format!(
            "the key is revoked, but its client tokens could not be voided ({error}); revoke it again once Redis answers"
        )));
    }
    audit(&state, &caller, "key.revoke", &path, "ok").await;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize)]
pub struct AuditQuery {
    limit: Option<u64>,
}

/// `GET /api/v1/audit?limit=`: the latest state-changing calls.
#[utoipa::path(get, path = "/api/v1/audit", tag = "keys",
    params(("limit" = Option<u32>, Query, description = "1 to 1000, default 100")),
    responses((status = 200, description = "{entries: [{at_ms, actor, action, target, result}]}")),
    security(("api_key" = [])))]
#[get("/audit")]
pub async fn audit_log(
    state: web::Data<AppState>,
    caller: Caller,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "entries": state.store.recent_audit(limit).await? })))
}
