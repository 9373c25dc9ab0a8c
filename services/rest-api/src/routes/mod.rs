//! The HTTP routes, one module per resource.

pub mod cache;
pub mod channels;
pub mod dead_letters;
pub mod health;
pub mod keys;
pub mod messages;
pub mod processes;
pub mod render;
pub mod tokens;

use actix_web::middleware::DefaultHeaders;
use actix_web::web;

/// Headers on every answer under `/api/v1`: nothing an API answers is ever
/// sniffed, rendered as a page or allowed to run script, even when a
/// browser is sent straight to it (routes/cache.rs says why).
fn api_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("x-content-type-options", "nosniff"))
        .add(("content-disposition", "attachment"))
        .add((
            "content-security-policy",
            "default-src 'none'; frame-ancestors 'none'",
        ))
}

/// Registers every route under its path.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        .service(
            web::scope("/api/v1")
                .wrap(api_headers())
                .service(channels::list)
                .service(channels::presence)
                .service(channels::stats)
                .service(messages::publish)
                .service(messages::history)
                .service(messages::broadcast)
                .service(render::render)
                .service(keys::create)
                .service(keys::list)
                .service(keys::revoke)
                .service(keys::audit_log)
                .service(tokens::issue)
                .service(cache::get)
                .service(cache::put)
                .service(cache::delete)
                .service(processes::list)
                .service(processes::scale)
                .service(processes::restart_instance)
                .service(processes::act)
                .service(processes::logs)
                .service(processes::pipelines)
                .service(dead_letters::list)
                .service(dead_letters::replay)
                .service(dead_letters::delete)
                .service(dead_letters::show),
        );
}
