//! `rest-api`: Asynchronio over HTTP and JSON.
//!
//! It shares nothing with the other services but Redis (through `bus`) and
//! keeps its own records (API keys, audit log) in SQL (through `store`).

mod admission;
mod archiver;
mod audit;
mod audit_writer;
mod auth;
mod body;
mod caller;
mod config;
mod dashboard;
mod error;
mod key_cache;
mod metrics;
mod openapi;
mod rate_limit;
mod routes;
mod state;
mod token_signing;
mod trace;

use actix_cors::Cors;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use asynchronio_bus::Bus;
use asynchronio_protocol::ChannelRules;
use asynchronio_protocol::node::NodeKind;
use asynchronio_service::node_heartbeat::{self, Node};
use asynchronio_service::{Shutdown, run_service};
use asynchronio_store::Store;
use clap::Parser;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::audit_writer::AuditWriter;
use crate::config::RestArgs;
use crate::dashboard::templates::Templates;
use crate::error::ApiError;
use crate::metrics::Metrics;
use crate::rate_limit::{RateLimiter, RateLimits};
use crate::state::AppState;

fn main() -> anyhow::Result<()> {
    let args = RestArgs::parse();
    let log = args.log.clone();
    run_service(&log, run(args))
}

/// Connects, serves until a signal, then stops in order: the HTTP server
/// (finishing requests in flight), the background tasks, the audit writer
/// (writing what is queued), Redis.
async fn run(args: RestArgs) -> anyhow::Result<()> {
    asynchronio_service::metrics::install()?;
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
        Templates::load(args.templates_dir.as_deref())
            .context("cannot load the dashboard templates")?,
    );
    let (audit, audit_task) = AuditWriter::start(store.clone());
    let state = web::Data::new(app_state(&args, store, bus.clone(), templates, audit)?);
    let background = Background::start(&args, &state);
    let server = http_server(&args, state.clone())?;
    let handle = server.handle();
    tracing::info!(listen = %args.listen, "rest-api listening");
    tokio::spawn(async move {
        shutdown.wait().await;
        handle.stop(true).await;
    });
    server.await.context("the HTTP server failed")?;
    background.stop().await;
    // The last handle to the audit queue goes with the state; the writer
    // then writes what is left and ends.
    drop(state);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), audit_task).await;
    bus.quit().await;
    tracing::info!("rest-api stopped");
    Ok(())
}

/// What every handler shares, from the command line and the connections.
fn app_state(
    args: &RestArgs,
    store: Store,
    bus: Bus,
    templates: std::sync::Arc<Templates>,
    audit: AuditWriter,
) -> anyhow::Result<AppState> {
    Ok(AppState {
        bus,
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
        key_cache: key_cache::KeyCache::default(),
        templates,
        gateway_url: args.gateway_url.clone().filter(|u| !u.is_empty()),
        secure_cookies: args.secure_cookies,
        archive: args
            .archive
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect(),
    })
}

/// The tasks that run beside the HTTP server: the archiver, the node
/// heartbeat and (unless turned off) the dashboard's live feed.
struct Background {
    stop: CancellationToken,
    archiver: JoinHandle<()>,
    node_heartbeat: JoinHandle<()>,
    live_feed: Option<JoinHandle<()>>,
}

impl Background {
    fn start(args: &RestArgs, state: &AppState) -> Self {
        let stop = CancellationToken::new();
        let archiver = tokio::spawn(archiver::run(
            state.bus.clone(),
            state.store.clone(),
            state.archive.clone(),
            std::time::Duration::from_millis(args.archive_interval_ms.max(50)),
            stop.clone(),
        ));
        let node = Node {
            kind: NodeKind::RestApi,
            id: asynchronio_service::instance_id(None),
            version: env!("CARGO_PKG_VERSION"),
        };
        let node_heartbeat = node_heartbeat::start(&state.bus, node, stop.clone());
        let live_feed = (!args.no_dashboard_publisher).then(|| {
            tokio::spawn(dashboard::live_feed::run(
                state.bus.clone(),
                state.templates.clone(),
                stop.clone(),
            ))
        });
        Self {
            stop,
            archiver,
            node_heartbeat,
            live_feed,
        }
    }

    /// Tells the tasks to stop and waits for them.
    async fn stop(self) {
        self.stop.cancel();
        let _ = self.archiver.await;
        let _ = self.node_heartbeat.await;
        if let Some(live_feed) = self.live_feed {
            let _ = live_feed.await;
        }
    }
}

/// The HTTP server, bound and started: every route, behind CORS
/// and the request admission (rate limits, response counts).
fn http_server(
    args: &RestArgs,
    state: web::Data<AppState>,
) -> anyhow::Result<actix_web::dev::Server> {
    let max_body = args.max_body;
    let origins = args.cors_origins.clone();
    let mut server = HttpServer::new(move || {
        let admitted = state.clone();
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
            .wrap(from_fn(move |request, next| {
                admission::admit(admitted.clone(), request, next)
            }))
            // The API document lists the routes, so it is registered here
            // rather than by them (openapi reads routes, not the reverse).
            .service(openapi::document)
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
    Ok(server.run())
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
