//! The dashboard's pages: each is rendered once on the server (so it shows
//! the current state at once and works before any script runs) and then
//! kept live by its script over the WebSocket gateway.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use asynchronio_protocol::channel::{NAME_PATTERN, kind_rules};
use asynchronio_protocol::node::MISSED_PERIODS_TOLERATED;
use asynchronio_protocol::process::{METRICS_CHANNEL, PIPELINES_CHANNEL, PROCESSES_CHANNEL};
use asynchronio_protocol::system::{NODES_CHANNEL, PROCESSES_RENDER_CHANNEL};
use asynchronio_protocol::token::{Claims, now_secs};
use tera::Context;

use crate::caller::Caller;
use crate::dashboard::html::html;
use crate::dashboard::login;
use crate::dashboard::node_list;
use crate::dashboard::process_table::{self, ROWS_TARGET};
use crate::error::ApiError;
use crate::state::AppState;

/// How long the gateway token a page fetches stays valid; the page fetches
/// a fresh one on every reconnect.
const PAGE_TOKEN_TTL: u64 = 600;

/// The login and the context every page shares (what `base.html` names),
/// or a redirect to login. Each page adds only what its own template names:
/// Tera refuses to render a name it was not given, so a variable missing
/// here fails the page loudly, while an unused one would go unnoticed.
async fn page_context(
    request: &HttpRequest,
    state: &AppState,
    page: &str,
) -> Result<Result<Context, HttpResponse>, ApiError> {
    let Some(login) = login::current(request, state).await? else {
        let next = request.uri().path();
        return Ok(Err(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/login?next={next}")))
            .finish()));
    };
    let mut context = Context::new();
    context.insert("page", page);
    context.insert("actor", &login.actor);
    context.insert("csrf", &login.csrf);
    context.insert("gateway_url", &state.gateway_url);
    // The channel-kind rules for the pages' scripts (`live.js`
    // `channelKind`, read from `<body data-channel-kinds>`), so the
    // scripts restate no rule.
    context.insert("channel_kinds", &kind_rules());
    Ok(Ok(context))
}

/// `GET /`: the first page, the one a login leads to.
#[get("/")]
pub async fn home() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, login::HOME))
        .finish()
}

/// `GET /nodes`: every live replica of every service, from their
/// heartbeats. The nodes alive now are given to the page's script in
/// `data-nodes` (JSON, escaped as an attribute) with the channel's
/// position read before them, so it shows them at once and misses nothing
/// published since; it forgets a node whose heartbeats stop.
#[get("/nodes")]
pub async fn nodes(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut context = match page_context(&request, &state, "nodes").await? {
        Ok(context) => context,
        Err(redirect) => return Ok(redirect),
    };
    let now = asynchronio_protocol::clock::now_ms();
    let (position, nodes) = node_list::read(&state.bus, now).await?;
    let nodes = serde_json::to_string(&nodes).map_err(|error| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("cannot list the nodes: {error}"),
        )
    })?;
    context.insert("nodes_channel", NODES_CHANNEL);
    context.insert("nodes_offset", &position.offset.to_string());
    context.insert("nodes_epoch", &position.epoch);
    context.insert("nodes", &nodes);
    context.insert("missed_periods", &MISSED_PERIODS_TOLERATED);
    html(&state, "nodes.html", &context, StatusCode::OK)
}

/// `GET /processes`: the table of instances (kept live by render frames),
/// actions, and a log tail.
#[get("/processes")]
pub async fn processes(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut context = match page_context(&request, &state, "processes").await? {
        Ok(context) => context,
        Err(redirect) => return Ok(redirect),
    };
    // The position first, then the rows: every change after this offset
    // arrives as a render frame, so the page misses nothing.
    let position = state.bus.position(PROCESSES_RENDER_CHANNEL).await?;
    let states = state.bus.process_states().await?;
    let now = asynchronio_protocol::clock::now_ms();
    // The same rows, by the same templates, as the render frames send.
    let rows: Vec<String> = process_table::render_rows(&state.templates, &states, now)
        .map_err(|error| {
            tracing::error!(%error, "the process row templates failed");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "template_failed",
                format!(
                    "the processes table could not be rendered ({error}); see the rest-api log"
                ),
            )
        })?
        .into_values()
        .map(|(_, html)| html)
        .collect();
    let mut programs: Vec<&str> = states.iter().map(|s| s.name.as_str()).collect();
    programs.dedup();
    context.insert("rows", &rows);
    context.insert("programs", &programs);
    context.insert("render_channel", PROCESSES_RENDER_CHANNEL);
    context.insert("render_offset", &position.offset.to_string());
    context.insert("render_epoch", &position.epoch);
    context.insert("rows_target", ROWS_TARGET);
    context.insert("manager", &state.bus.manager_alive().await?);
    html(&state, "processes.html", &context, StatusCode::OK)
}

/// A page whose data all arrives over the WebSocket: only the shared
/// context and the page's own `variables` (the channels its script reads,
/// the channel-name pattern of its inputs) are rendered on the server.
async fn live_page(
    request: &HttpRequest,
    state: &AppState,
    page: &str,
    variables: &[(&str, &str)],
) -> Result<HttpResponse, ApiError> {
    match page_context(request, state, page).await? {
        Ok(mut context) => {
            for (variable, value) in variables {
                context.insert(*variable, value);
            }
            html(state, &format!("{page}.html"), &context, StatusCode::OK)
        }
        Err(redirect) => Ok(redirect),
    }
}

/// `GET /charts`: messages per second per channel, and the demo series.
#[get("/charts")]
pub async fn charts(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    live_page(
        &request,
        &state,
        "charts",
        &[
            ("metrics_channel", METRICS_CHANNEL),
            ("channel_pattern", NAME_PATTERN),
        ],
    )
    .await
}

/// `GET /flowchart`: the pipelines as a graph with live rates and lag.
#[get("/flowchart")]
pub async fn flowchart(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    live_page(
        &request,
        &state,
        "flowchart",
        &[
            ("pipelines_channel", PIPELINES_CHANNEL),
            ("processes_channel", PROCESSES_CHANNEL),
        ],
    )
    .await
}

/// `GET /channels`: channels with subscribers and rates, recent messages,
/// and a publish form.
#[get("/channels")]
pub async fn channels(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    live_page(
        &request,
        &state,
        "channels",
        &[
            ("metrics_channel", METRICS_CHANNEL),
            ("channel_pattern", NAME_PATTERN),
        ],
    )
    .await
}

/// `POST /dashboard/token`: a short-lived admin token for the gateway, so
/// the page may subscribe to `$sys:` channels. Needs the login and its
/// CSRF token.
#[post("/dashboard/token")]
pub async fn token(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let Caller::Dashboard { actor } = &caller else {
        return Err(ApiError::unauthorized(
            "log in to the dashboard first (POST /login)",
        ));
    };
    let now = now_secs();
    let claims = Claims {
        sub: format!("dashboard:{actor}"),
        exp: now + PAGE_TOKEN_TTL,
        iat: now,
        subscribe: vec!["*".into()],
        publish: vec!["*".into()],
        admin: true,
        ..Default::default()
    };
    let token = crate::token_signing::sign(&state, &claims)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "token": token, "expires_at": claims.exp })))
}
