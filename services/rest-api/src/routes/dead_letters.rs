//! A pipeline stage's dead letters over HTTP: `GET
//! /api/v1/pipelines/{name}/dead-letters` (a page, oldest first), `GET
//! …/dead-letters/{id}`, `POST …/dead-letters/replay` and `POST
//! …/dead-letters/delete` (a body naming `ids`, or `{"all": true}`).
//! Reads and deletions go straight to Redis; a replay is the process
//! manager's work, through its command stream. All need the admin scope
//! (and, from the dashboard, its CSRF token); changes are audited.

use actix_web::{HttpResponse, get, post, web};
use asynchronio_protocol::dead_letter::{self, MAX_IDS};
use asynchronio_protocol::process::{ProcessAction, is_program_name};
use asynchronio_store::Scope;
use serde::Deserialize;

use crate::audit::audit;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::routes::processes;
use crate::state::AppState;

/// Most letters one page holds.
const MOST_PER_PAGE: u64 = 1000;

fn stage_name(name: &str) -> Result<&str, ApiError> {
    if is_program_name(name) {
        Ok(name)
    } else {
        Err(ApiError::bad_request(
            "bad_parameter",
            "a stage name holds only letters, digits, '-', '_' and '.'",
        ))
    }
}

fn letter_id(id: &str) -> Result<(), ApiError> {
    dead_letter::checked_ids(&[id.to_owned()])
        .map_err(|message| ApiError::bad_request("bad_parameter", message))
}

/// The page asked for.
#[derive(Deserialize)]
pub struct PageQuery {
    after: Option<String>,
    limit: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/pipelines/{name}/dead-letters", tag = "processes",
    params(("name" = String, Path, description = "Stage name"),
           ("after" = Option<String>, Query, description = "Only letters after this id"),
           ("limit" = Option<u64>, Query, description = "1 to 1000, default 100")),
    responses((status = 200, description = "{name, total, letters: [{id, entry, channel, offset, data, error, attempts, replayable}]}")),
    security(("api_key" = [])))]
#[get("/pipelines/{name}/dead-letters")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let name = stage_name(&path)?;
    if let Some(after) = &query.after {
        letter_id(after)?;
    }
    let limit = query.limit.unwrap_or(100).clamp(1, MOST_PER_PAGE);
    let letters = state
        .bus
        .dead_letters(name, query.after.as_deref(), limit)
        .await?;
    let total = state.bus.dead_letter_count(name).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "name": name,
        "total": total,
        "letters": letters,
    })))
}

#[utoipa::path(get, path = "/api/v1/pipelines/{name}/dead-letters/{id}", tag = "processes",
    params(("name" = String, Path, description = "Stage name"),
           ("id" = String, Path, description = "Dead-letter id")),
    responses((status = 200, description = "The letter"), (status = 404, description = "Replayed, deleted or never there")),
    security(("api_key" = [])))]
#[get("/pipelines/{name}/dead-letters/{id}")]
pub async fn show(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let (name, id) = path.into_inner();
    let name = stage_name(&name)?;
    letter_id(&id)?;
    match state.bus.dead_letter(name, &id).await? {
        Some(letter) => Ok(HttpResponse::Ok().json(letter)),
        None => Err(ApiError::not_found(format!(
            "no dead letter {id} for {name}: it was replayed or deleted"
        ))),
    }
}

/// Which letters: `ids`, or `all`.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Chosen {
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    all: bool,
}

impl Chosen {
    fn checked(&self) -> Result<(), ApiError> {
        let refuse = |message: String| ApiError::bad_request("bad_request", message);
        if self.all != self.ids.is_empty() {
            return Err(refuse(
                "send {\"ids\": [\"…\"]} naming the letters, or {\"all\": true}".to_owned(),
            ));
        }
        dead_letter::checked_ids(&self.ids).map_err(refuse)
    }
}

#[utoipa::path(post, path = "/api/v1/pipelines/{name}/dead-letters/replay", tag = "processes",
    params(("name" = String, Path, description = "Stage name")),
    request_body = Chosen,
    responses((status = 200, description = "Queued; the message says how many"),
              (status = 422, description = "The manager refused"),
              (status = 503, description = "No process manager is running")),
    security(("api_key" = [])))]
#[post("/pipelines/{name}/dead-letters/replay")]
pub async fn replay(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<Chosen>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let name = stage_name(&path)?.to_owned();
    body.checked()?;
    let action = ProcessAction::Replay {
        name: name.clone(),
        ids: body.into_inner().ids,
    };
    processes::run(&state, &caller, action, &name).await
}

#[utoipa::path(post, path = "/api/v1/pipelines/{name}/dead-letters/delete", tag = "processes",
    params(("name" = String, Path, description = "Stage name")),
    request_body = Chosen,
    responses((status = 200, description = "{deleted: N}")),
    security(("api_key" = [])))]
#[post("/pipelines/{name}/dead-letters/delete")]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    body: web::Json<Chosen>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Admin)?;
    let name = stage_name(&path)?;
    body.checked()?;
    let mut deleted = 0;
    if body.all {
        // The letters there now, a page at a time: letters a failing stage
        // writes while this runs are not the ones the caller saw.
        let mut after: Option<String> = None;
        loop {
            let page = state
                .bus
                .dead_letters(name, after.as_deref(), MAX_IDS as u64)
                .await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(last.id.clone());
            let ids: Vec<String> = page.into_iter().map(|letter| letter.id).collect();
            deleted += state.bus.delete_dead_letters(name, &ids).await?;
            if ids.len() < MAX_IDS {
                break;
            }
        }
    } else {
        deleted = state.bus.delete_dead_letters(name, &body.ids).await?;
    }
    audit(
        &state,
        &caller,
        "dead_letters.delete",
        &format!("{name}: {deleted} deleted"),
        "ok",
    )
    .await;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "deleted": deleted })))
}
