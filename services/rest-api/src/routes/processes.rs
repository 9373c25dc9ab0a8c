//! Process manager over HTTP: `GET /api/v1/processes`, `POST
//! /api/v1/processes/{name}/{start|stop|restart}`, `POST
//! /api/v1/processes/{name}/scale`, `GET /api/v1/processes/{name}/logs`,
//! `GET /api/v1/pipelines`. Actions go through the manager's command
//! stream in Redis; reads come from the states it keeps there. All need
//! the admin scope.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use asynchronio_bus::BusError;
use asynchronio_protocol::Offset;
use asynchronio_protocol::process::{ProcessAction, logs_channel};
use asynchronio_store::Scope;
use serde::Deserialize;

use crate::audit::audit;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// How long an action may take before the API answers 504.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

#[utoipa::path(get, path = "/api/v1/processes", tag = "processes",
    responses((status = 200, description = "Every supervised instance and the live manager's id")),
    security(("api_key" = [])))]
#[get("/processes")]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let now = asynchronio_protocol::clock::now_ms();
    let mut processes = state.bus.process_states().await?;
    for process in &mut processes {
        process.uptime_ms = process.uptime_at(now);
    }
    let manager = state.bus.manager_alive().await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "manager": manager, "processes": processes })))
}

/// Sends `action` to the process manager, audits it and answers its result.
pub(crate) async fn run(
    state: &AppState,
    caller: &Caller,
    action: ProcessAction,
    target: &str,
) -> Result<HttpResponse, ApiError> {
    let verb = action.verb();
    let sender = format!("rest-api:{}", caller.actor());
    let result = match state
        .bus
        .send_process_command(action, &sender, COMMAND_TIMEOUT)
        .await
    {
        Ok(result) => result,
        Err(error @ BusError::NoAnswer { manager: None, .. }) => {
            return Err(ApiError::unavailable(error.to_string()));
        }
        Err(error @ BusError::NoAnswer { .. }) => {
            return Err(ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "timeout",
                error.to_string(),
            ));
        }
        Err(error) => return Err(error.into()),
    };
    audit(
        state,
        caller,
        &format!("process.{verb}"),
        target,
        if result.ok { "ok" } else { "failed" },
    )
    .await;
    if result.ok {
        Ok(HttpResponse::Ok().json(serde_json::json!({ "ok": true, "message": result.message })))
    } else {
        Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "command_failed",
            result.message,
        ))
    }
}

#[utoipa::path(post, path = "/api/v1/processes/{name}/{action}", tag = "processes",
    params(("name" = String, Path, description = "Program name"),
           ("action" = String, Path, description = "start, stop or restart")),
    responses((status = 200, description = "Done; the message says how it went"),
              (status = 422, description = "The manager refused or the program failed"),
              (status = 503, description = "No process manager is running")),
    security(("api_key" = [])))]
#[post("/processes/{name}/{action}")]
pub async fn act(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let (name, verb) = path.into_inner();
    let action = match verb.as_str() {
        "start" => ProcessAction::Start { name: name.clone() },
        "stop" => ProcessAction::Stop { name: name.clone() },
        "restart" => ProcessAction::Restart {
            name: name.clone(),
            instance: None,
        },
        "scale" => {
            return Err(ApiError::bad_request(
                "bad_request",
                "scale takes a JSON body {\"instances\": N}",
            ));
        }
        other => {
            return Err(ApiError::not_found(format!(
                "no action {other:?}; use start, stop, restart or scale"
            )));
        }
    };
    run(&state, &caller, action, &name).await
}

#[utoipa::path(post, path = "/api/v1/processes/{name}/instances/{instance}/restart", tag = "processes",
    params(("name" = String, Path, description = "Program name"),
           ("instance" = u32, Path, description = "Instance number, from 0")),
    responses((status = 200, description = "Restarted"),
              (status = 422, description = "No such instance, or the program is stopped"),
              (status = 503, description = "No process manager is running")),
    security(("api_key" = [])))]
#[post("/processes/{name}/instances/{instance}/restart")]
pub async fn restart_instance(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, u32)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let (name, instance) = path.into_inner();
    let action = ProcessAction::Restart {
        name: name.clone(),
        instance: Some(instance),
    };
    run(&state, &caller, action, &format!("{name}/{instance}")).await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ScaleBody {
    instances: u32,
}

#[utoipa::path(post, path = "/api/v1/processes/{name}/scale", tag = "processes",
    params(("name" = String, Path, description = "Program name")),
    request_body = ScaleBody,
    responses((status = 200, description = "Scaled"), (status = 503, description = "No process manager is running")),
    security(("api_key" = [])))]
#[post("/processes/{name}/scale")]
pub async fn scale(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<ScaleBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let name = path.into_inner();
    let action = ProcessAction::Scale {
        name: name.clone(),
        instances: body.instances,
    };
    run(&state, &caller, action, &name).await
}

#[derive(Deserialize)]
pub struct LogsQuery {
    limit: Option<usize>,
}

#[utoipa::path(get, path = "/api/v1/processes/{name}/logs", tag = "processes",
    params(("name" = String, Path, description = "Program name"),
           ("limit" = Option<usize>, Query, description = "Newest lines to return (default 100, at most 10000)")),
    responses((status = 200, description = "{name, lines (oldest first), channel, offset, epoch}: follow channel from offset for live lines")),
    security(("api_key" = [])))]
#[get("/processes/{name}/logs")]
pub async fn logs(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<LogsQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let limit = query.limit.unwrap_or(100).clamp(1, 10_000);
    let channel = logs_channel(&path);
    // The position first: a client that follows the channel from it sees
    // every later line exactly once.
    let position = state.bus.position(&channel).await?;
    let mut envelopes = state
        .bus
        .history_newest_first(&channel, Offset(0), limit)
        .await?;
    envelopes.retain(|e| e.offset <= position.offset.0);
    envelopes.reverse();
    let lines: Vec<serde_json::Value> = envelopes
        .iter()
        .map(|e| {
            let mut line: serde_json::Value = serde_json::from_slice(&e.payload).unwrap_or_else(
                |_| serde_json::json!({ "line": String::from_utf8_lossy(&e.payload) }),
            );
            if let Some(object) = line.as_object_mut() {
                object.insert("offset".into(), Offset(e.offset).to_string().into());
                object.insert("ts".into(), e.ts.into());
            }
            line
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "name": path.as_str(),
        "lines": lines,
        "channel": channel,
        "offset": position.offset.to_string(),
        "epoch": position.epoch,
    })))
}

#[utoipa::path(get, path = "/api/v1/pipelines", tag = "processes",
    responses((status = 200, description = "Pipeline stages with live rate, lag and error counts")),
    security(("api_key" = [])))]
#[get("/pipelines")]
pub async fn pipelines(
    state: web::Data<AppState>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let topology = state.bus.pipeline_topology().await?;
    Ok(HttpResponse::Ok().json(match topology {
        Some(topology) => serde_json::to_value(topology).unwrap_or_default(),
        None => serde_json::json!({ "stages": [], "updated_ms": null }),
    }))
}
