//! `rest-api`: Asynchronio over HTTP and JSON.
//!
//! It shares nothing with the other services but Redis (through `bus`) and
//! keeps its own records (API keys, audit log) in SQL (through `store`).

mod archiver;
mod audit_writer;
mod auth;
mod body;
mod config;
mod dashboard;
mod error;
mod metrics;
mod openapi;
mod rate_limit;
mod routes;
mod sanitize;
mod state;

use actix_cors::Cors;
use actix_web::HttpMessage as _;
use actix_web::dev::Service as _;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use asynchronio_bus::Bus;
use asynchronio_protocol::ChannelRules;
use asynchronio_service::{Shutdown, run_service};
use asynchronio_store::Store;
use clap::Parser;

use crate::config::RestArgs;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::rate_limit::{RateLimiter, RateLimits};
use crate::state::AppState;
use futures_util::future::Either;

fn main() -> anyhow::Result<()> {
    let args = RestArgs::parse();
    let log = args.log.clone();
    run_service(&log, run(args))
}

async fn run(args: RestArgs) -> anyhow::Result<()> {
    let shutdown = Shutdown::on_signals();
    let database_url = args.database_url()?;
    let connect = async {
        let store = Store::connect(&database_url).await?;
        let bus = Bus::connect(args.redis.bus_config(), "rest-api").await?;
        anyhow::Ok((store, bus))
    };
    let (store, bus) = tokio::select! {
        connected = connect => connected?,
        () = shutdown.wait() => return Ok(()),
    };
    let templates = std::sync::Arc::new(
        dashboard::templates::Templates::load(args.templates_dir.as_deref())
            .context("cannot load the dashboard templates")?,
    );
    let (audit, audit_task) = audit_writer::AuditWriter::start(store.clone());
    let state = web::Data::new(AppState {
        bus: bus.clone(),
        store,
        admin_key: args.admin_key.clone().filter(|k| !k.is_empty()),
        require_token: args.tokens.require_token,
        channel_rules: ChannelRules::default(),
        metrics: Metrics::default(),
        token_keys: args.tokens.keys()?,
        rate_limits: RateLimits {
            address: RateLimiter::new(args.rate_limit),
            key: RateLimiter::new(args.key_rate_limit),
            login: RateLimiter::per_minute(args.login_rate_limit),
            trusted_proxies: args.proxies.trusted_proxies.clone(),
        },
        audit,
        key_cache: auth::KeyCache::default(),
        templates: templates.clone(),
        gateway_url: args.gateway_url.clone().filter(|u| !u.is_empty()),
        secure_cookies: args.secure_cookies,
        archive: args
            .archive
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect(),
    });
    let stop_background = tokio_util::sync::CancellationToken::new();
    let archiver = tokio::spawn(archiver::run(
        bus.clone(),
        state.store.clone(),
        state.archive.clone(),
        std::time::Duration::from_millis(args.archive_interval_ms.max(50)),
        stop_background.clone(),
    ));
    let publisher = (!args.no_dashboard_publisher).then(|| {
        tokio::spawn(dashboard::live_feed::run(
            bus.clone(),
            templates.clone(),
            stop_background.clone(),
        ))
    });
    let max_body = args.max_body;
    let origins = args.cors_origins.clone();
    let server_state = state.clone();
    let mut server = HttpServer::new(move || {
        let state = server_state.clone();
        App::new()
            .app_data(state.clone())
            .app_data(web::PayloadConfig::new(max_body))
            .app_data(web::PathConfig::default().error_handler(|error, _| {
                ApiError::bad_request("bad_parameter", error.to_string()).into()
            }))
            .app_data(web::QueryConfig::default().error_handler(|error, _| {
                ApiError::bad_request("bad_parameter", error.to_string()).into()
            }))
            .wrap(cors(&origins))
            .wrap_fn(move |request, service| {
                let state = state.clone();
                let authorization = request
                    .headers()
                    .get("authorization")
                    .map(|v| v.to_str().unwrap_or("(not text)"));
                let known = authorization.is_some_and(|h| auth::known_credential(&state, h));
                let address = state.rate_limits.address_of_request(request.request());
                let admitted = state.rate_limits.admit(authorization, known, address);
                let response = match &admitted {
                    Ok(_) => Either::Left(service.call(request)),
                    Err(limited) => Either::Right(std::future::ready(Ok(request
                        .into_response(rate_limit::too_many(*limited))
                        .map_into_right_body()))),
                };
                async move {
                    let response = response.await?;
                    if let Ok(admission) = &admitted {
                        let authenticated = response
                            .request()
                            .extensions()
                            .contains::<rate_limit::Authenticated>();
                        state.rate_limits.settle(admission, authenticated);
                    }
                    state.metrics.count_response(response.status().as_u16());
                    Ok(response)
                }
            })
            .configure(routes::configure)
            .configure(dashboard::configure)
            .default_service(web::to(no_route))
    })
    .disable_signals()
    .shutdown_timeout(10)
    .bind(args.listen)
    .with_context(|| {
        format!(
            "cannot listen on {}: is it in use? choose another with --listen",
            args.listen
        )
    })?;
    if let Some(workers) = args.workers {
        server = server.workers(workers.max(1));
    }
    let server = server.run();
    let handle = server.handle();
    tracing::info!(listen = %args.listen, "rest-api listening");
    tokio::spawn(async move {
        shutdown.wait().await;
        handle.stop(true).await;
    });
    server.await.context("the HTTP server failed")?;
    stop_background.cancel();
    let _ = archiver.await;
    if let Some(publisher) = publisher {
        let _ = publisher.await;
    }
    // The last handle to the audit queue goes with the state; the writer
    // then writes what is left and ends.
    drop(state);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), audit_task).await;
    bus.quit().await;
    tracing::info!("rest-api stopped");
    Ok(())
}

/// A request no route serves: 405 with `Allow` when the path exists for
/// other methods, else 404.
async fn no_route(request: actix_web::HttpRequest) -> HttpResponse {
    let allowed = openapi::allowed_methods(request.path());
    if allowed.is_empty() {
        return HttpResponse::NotFound().json(serde_json::json!({"error": {
            "code": "not_found",
            "message": "no such endpoint; the API lives under /api/v1, the dashboard at /"
        }}));
    }
    let allow = allowed.join(", ");
    HttpResponse::MethodNotAllowed()
        .insert_header(("allow", allow.clone()))
        .json(serde_json::json!({"error": {
            "code": "method_not_allowed",
            "message": format!("{} is not served at this path; use {allow}", request.method())
        }}))
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "DELETE"])
        .allowed_headers(["authorization", "content-type", "idempotency-key"])
        .max_age(3600);
    for origin in origins.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}
