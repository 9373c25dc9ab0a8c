//! The OpenAPI 3 description of the API, generated from the handlers'
//! annotations and served at `GET /api/v1/openapi.json`.

use std::sync::OnceLock;

use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{cache, channels, health, keys, messages, processes, tokens};

#[derive(OpenApi)]
#[openapi(
    info(title = "Asynchronio REST API", description = "Publish to channels, read history, manage keys and tokens."),
    paths(
        messages::publish, messages::broadcast,
        crate::routes::render::render, messages::history,
        channels::list, channels::stats, channels::presence,
        keys::create, keys::list, keys::revoke, keys::audit_log,
        tokens::issue,
        cache::get, cache::put, cache::delete,
        processes::list, processes::act, processes::scale, processes::logs, processes::pipelines,
        health::healthz, health::readyz, health::metrics,
    ),
    modifiers(&ApiKeyAuth)
)]
struct ApiDoc;

/// Declares the bearer API key the secured operations refer to.
struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[get("/api/v1/openapi.json")]
pub async fn document() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let text = DOCUMENT.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_else(|_| "{}".into()));
    HttpResponse::Ok()
        .content_type("application/json")
        .body(text.as_str())
}
