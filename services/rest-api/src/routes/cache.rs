//! The cross-domain cache: `GET|PUT|DELETE /api/v1/cache/{key}`, values of
//! any content type with an optional `?ttl=` in seconds.

use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use asynchronio_store::Scope;
use serde::Deserialize;

use crate::auth::Caller;
use crate::body::Body;
use crate::error::ApiError;
use crate::routes::keys::audit;
use crate::state::AppState;

fn check_key(key: &str) -> Result<(), ApiError> {
    let ok = !key.is_empty()
        && key.len() <= 200
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.:@/".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::bad_request(
            "invalid_key",
            "cache keys are 1 to 200 characters: letters, digits and _ - . : @ /",
        ))
    }
}

#[utoipa::path(get, path = "/api/v1/cache/{key}", tag = "cache",
    params(("key" = String, Path, description = "Cache key")),
    responses((status = 200, description = "The value, with the content type it was stored with"), (status = 404, description = "Nothing cached")))]
#[get("/cache/{key}")]
pub async fn get(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require_read(!state.require_token)?;
    check_key(&path)?;
    match state.bus.cache_get(&path).await? {
        Some(cached) => {
            let mut response = HttpResponse::Ok();
            response.content_type(cached.content_type);
            if let Some(ttl) = cached.ttl_secs {
                response.insert_header(("cache-control", format!("max-age={ttl}")));
            }
            Ok(response.body(cached.value))
        }
        None => Err(ApiError::not_found(format!(
            "nothing cached under {:?}",
            path.as_str()
        ))),
    }
}

#[derive(Deserialize)]
pub struct PutQuery {
    ttl: Option<String>,
}

#[utoipa::path(put, path = "/api/v1/cache/{key}", tag = "cache",
    params(("key" = String, Path, description = "Cache key"), ("ttl" = Option<u64>, Query, description = "Seconds to keep it")),
    request_body(content_type = "application/octet-stream", description = "Any value"),
    responses((status = 204, description = "Stored"), (status = 400, description = "Bad key or ttl")),
    security(("api_key" = [])))]
#[put("/cache/{key}")]
pub async fn put(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<PutQuery>,
    request: HttpRequest,
    Body(body): Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Publish)?;
    check_key(&path)?;
    let ttl = match &query.ttl {
        None => None,
        Some(text) => Some(text.parse::<u64>().ok().filter(|t| *t > 0).ok_or_else(|| {
            ApiError::bad_request("bad_parameter", "ttl must be a positive number of seconds")
        })?),
    };
    let content_type = request
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_owned();
    state.bus.cache_put(&path, body, &content_type, ttl).await?;
    audit(&state, &caller, "cache.put", &path, "ok").await;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/api/v1/cache/{key}", tag = "cache",
    params(("key" = String, Path, description = "Cache key")),
    responses((status = 204, description = "Removed"), (status = 404, description = "Nothing cached")),
    security(("api_key" = [])))]
#[delete("/cache/{key}")]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Publish)?;
    check_key(&path)?;
    let removed = state.bus.cache_delete(&path).await?;
    audit(
        &state,
        &caller,
        "cache.delete",
        &path,
        if removed { "ok" } else { "not_found" },
    )
    .await;
    if removed {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::not_found(format!(
            "nothing cached under {:?}",
            path.as_str()
        )))
    }
}
