//! The cross-domain cache: `GET|PUT|DELETE /api/v1/cache/{key}`, values of
//! any content type with an optional `?ttl=` in seconds.
//!
//! Values come from callers with the publish scope and are read by anyone,
//! from the dashboard's origin: a value stored as `text/html` would be a
//! stored-XSS path to every logged-in admin. So a value is served with its
//! content type only when that type is inert ([`INERT_TYPES`]), otherwise
//! as `application/octet-stream`; and every API answer carries `nosniff`,
//! `Content-Disposition: attachment` and a CSP that forbids everything
//! (`crate::routes::configure`).

use actix_web::{HttpRequest, HttpResponse, delete, get, put, web};
use asynchronio_protocol::cache::MAX_CACHE_TTL_SECS;
use asynchronio_store::Scope;
use serde::Deserialize;

use crate::audit::audit;
use crate::body::Body;
use crate::caller::Caller;
use crate::error::ApiError;
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

/// Content types a browser never runs or renders as a document; any other
/// stored type is served as `application/octet-stream`.
const INERT_TYPES: &[&str] = &[
    "application/json",
    "application/msgpack",
    "application/octet-stream",
    "application/x-msgpack",
    "image/gif",
    "image/jpeg",
    "image/png",
    "image/webp",
    "text/csv",
    "text/plain",
];

/// The content type a stored value is served with: its essence when that
/// is inert, else `application/octet-stream`.
fn served_type(stored: &str) -> &'static str {
    let essence = stored
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    INERT_TYPES
        .iter()
        .find(|inert| **inert == essence)
        .copied()
        .unwrap_or("application/octet-stream")
}

#[utoipa::path(get, path = "/api/v1/cache/{key}", tag = "cache",
    params(("key" = String, Path, description = "Cache key")),
    responses((status = 200, description = "The value, with the content type it was stored with when that type is inert, else application/octet-stream"), (status = 404, description = "Nothing cached")))]
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
            response.content_type(served_type(&cached.content_type));
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
    params(("key" = String, Path, description = "Cache key"), ("ttl" = Option<u64>, Query, description = "Seconds to keep it: 1 to 31536000")),
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
        Some(text) => Some(
            text.parse::<u64>()
                .ok()
                .filter(|t| (1..=MAX_CACHE_TTL_SECS).contains(t))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "bad_parameter",
                        format!(
                            "ttl must be a whole number of seconds from 1 to {MAX_CACHE_TTL_SECS} (365 days); leave it out to keep the value until it is replaced"
                        ),
                    )
                })?,
        ),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inert_types_are_served_as_stored() {
        assert_eq!(served_type("application/json"), "application/json");
        assert_eq!(served_type("Text/Plain; charset=utf-8"), "text/plain");
        for active in [
            "text/html",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/xml",
            "",
            "text/javascript",
        ] {
            assert_eq!(served_type(active), "application/octet-stream", "{active}");
        }
    }
}
