//! [`html`]: a rendered dashboard template as an HTTP response, with the
//! headers every dashboard page carries (no caching, no framing, a strict
//! content security policy). Its own module because both the pages and the
//! login form answer with it.

use actix_web::HttpResponse;
use actix_web::http::{StatusCode, header};
use tera::Context;

use crate::error::ApiError;
use crate::state::AppState;

/// Renders `template` as an HTML response.
pub fn html(
    state: &AppState,
    template: &str,
    context: &Context,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let body = state.templates.render(template, context).map_err(|e| {
        tracing::error!(template, error = %e, "a dashboard template failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "template_failed",
            format!("the page could not be rendered ({e}); see the rest-api log"),
        )
    })?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-frame-options", "DENY"))
        .insert_header(("x-content-type-options", "nosniff"))
        .insert_header((
            "content-security-policy",
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; \
             style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
             form-action 'self'",
        ))
        .body(body))
}
