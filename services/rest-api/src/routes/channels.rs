//! Active channels, one channel's stats, and who is subscribed (presence),
//! as reported by live gateways.

use actix_web::{HttpResponse, get, web};
use asynchronio_protocol::presence::PresenceInfo;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::routes::messages::readable_channel;
use crate::state::AppState;
use asynchronio_protocol::channel::kind_of;

/// `GET /api/v1/channels`: channels with subscribers right now.
#[utoipa::path(get, path = "/api/v1/channels", tag = "channels",
    responses((status = 200, description = "{channels: [{channel, subscribers}], gateways}")))]
#[get("/channels")]
pub async fn list(state: web::Data<AppState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let open = !state.require_token;
    caller.require_read(open)?;
    let counts = state.bus.channel_counts().await?;
    let channels: Vec<_> = counts
        .into_iter()
        .filter(|(name, _)| caller.may_read(kind_of(name), open).is_ok())
        .map(|(name, subscribers)| serde_json::json!({"channel": name, "subscribers": subscribers}))
        .collect();
    let gateways = state.bus.live_gateways().await?.len();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "channels": channels, "gateways": gateways })))
}

/// `GET /api/v1/channels/{channel}`: subscribers and stream position.
#[utoipa::path(get, path = "/api/v1/channels/{channel}", tag = "channels",
    params(("channel" = String, Path, description = "Channel name")),
    responses((status = 200, description = "{channel, subscribers, offset, epoch, oldest_offset}")))]
#[get("/channels/{channel}")]
pub async fn stats(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let channel = readable_channel(&state, &caller, &path)?;
    let subscribers = state
        .bus
        .channel_counts()
        .await?
        .get(channel.as_str())
        .copied()
        .unwrap_or(0);
    let position = state.bus.position(channel.as_str()).await?;
    let oldest = state.bus.oldest_offset(channel.as_str()).await?;
    Ok(HttpResponse::Ok().json(serde_json::json!({
        "channel": channel.as_str(),
        "subscribers": subscribers,
        "offset": position.offset,
        "epoch": position.epoch,
        "oldest_offset": oldest,
    })))
}

/// `GET /api/v1/channels/{channel}/presence`: the subscribers themselves.
#[utoipa::path(get, path = "/api/v1/channels/{channel}/presence", tag = "channels",
    params(("channel" = String, Path, description = "Channel name")),
    responses((status = 200, description = "{channel, clients: [{client, user, joined_ms}]}")))]
#[get("/channels/{channel}/presence")]
pub async fn presence(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let channel = readable_channel(&state, &caller, &path)?;
    let clients: Vec<_> = state
        .bus
        .presence(channel.as_str())
        .await?
        .into_iter()
        .map(|entry| {
            let info = PresenceInfo::from_json(&entry.info);
            serde_json::json!({
                "client": entry.client,
                "user": info.as_ref().and_then(|i| i.user.clone()),
                "joined_ms": info.map(|i| i.joined_ms),
            })
        })
        .collect();
    Ok(HttpResponse::Ok()
        .json(serde_json::json!({ "channel": channel.as_str(), "clients": clients })))
}
