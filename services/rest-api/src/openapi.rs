//! The OpenAPI 3 description of the API, generated from the handlers'
//! annotations and served at `GET /api/v1/openapi.json`.

use std::sync::OnceLock;

use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{cache, channels, dead_letters, health, keys, messages, processes, tokens};

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
        processes::list, processes::act, processes::scale, processes::restart_instance, processes::logs, processes::pipelines,
        dead_letters::list, dead_letters::show, dead_letters::replay, dead_letters::delete,
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

/// The methods the API serves at the request path `path`, read from the
/// OpenAPI document (the one list of routes and methods): what a 405 names
/// in `Allow`. Empty when no route has that path.
pub fn allowed_methods(path: &str) -> Vec<&'static str> {
    type Route = (Vec<String>, Vec<&'static str>);
    static ROUTES: OnceLock<Vec<Route>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        ApiDoc::openapi()
            .paths
            .paths
            .iter()
            .map(|(template, item)| {
                let methods = [
                    ("GET", item.get.is_some()),
                    ("PUT", item.put.is_some()),
                    ("POST", item.post.is_some()),
                    ("DELETE", item.delete.is_some()),
                ]
                .into_iter()
                .filter_map(|(method, served)| served.then_some(method))
                .collect();
                (template.split('/').map(str::to_owned).collect(), methods)
            })
            .collect()
    });
    let segments: Vec<&str> = path.split('/').collect();
    let mut allowed = Vec::new();
    for (template, methods) in routes {
        let matches = template.len() == segments.len()
            && template.iter().zip(&segments).all(|(part, segment)| {
                (part.starts_with('{') && !segment.is_empty()) || part == segment
            });
        if matches {
            allowed.extend(methods.iter().copied());
        }
    }
    allowed.sort_unstable();
    allowed.dedup();
    allowed
}

#[get("/api/v1/openapi.json")]
pub async fn document() -> HttpResponse {
    static DOCUMENT: OnceLock<String> = OnceLock::new();
    let text = DOCUMENT.get_or_init(|| ApiDoc::openapi().to_json().unwrap_or_else(|_| "{}".into()));
    HttpResponse::Ok()
        .content_type("application/json")
        .body(text.as_str())
}
