//! Publishing to channels and reading their history.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use asynchronio_protocol::{
    ChannelKind, ChannelName, Codec, ContentType, Envelope, EnvelopeDraft, Offset, OutboundFrame,
    checked_json,
};
use asynchronio_store::Scope;
use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;
use tracing::Instrument as _;

use crate::archiver::archived;
use crate::audit::audit;
use crate::body::Body;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use crate::trace::{self, RequestTrace};

/// Longest accepted Idempotency-Key.
const MAX_IDEMPOTENCY_KEY: usize = 128;
/// Most channels one broadcast may name.
const MAX_BROADCAST: usize = 1000;
/// Most messages one history page returns.
const MAX_HISTORY: usize = 1000;

pub(crate) fn channel(state: &AppState, name: &str) -> Result<ChannelName, ApiError> {
    ChannelName::parse(name, &state.channel_rules)
        .map_err(|e| ApiError::bad_request("invalid_channel", e.to_string()))
}

/// History that starts in the archive (for offsets Redis has trimmed) and
/// continues from the stream, in offset order, each offset once.
async fn merged_history(
    state: &AppState,
    channel: &str,
    epoch: &str,
    since: Offset,
    limit: usize,
) -> Result<Vec<Envelope>, ApiError> {
    let oldest = state.bus.oldest_offset(channel).await?;
    let mut out = Vec::with_capacity(limit);
    let mut after = since.0;
    let needs_archive = oldest.is_none_or(|oldest| oldest.0 > since.0 + 1);
    if needs_archive {
        for row in state
            .store
            .archived_after(channel, epoch, since.0, limit as u64)
            .await?
        {
            if oldest.is_some_and(|oldest| row.offset >= oldest.0) {
                break;
            }
            match Envelope::decode(&row.envelope) {
                Ok(envelope) => {
                    after = envelope.offset;
                    out.push(envelope);
                }
                Err(error) => {
                    tracing::warn!(%error, channel, offset = row.offset, "archived message does not decode")
                }
            }
        }
    }
    if out.len() < limit {
        out.extend(
            state
                .bus
                .history(channel, Offset(after), None, limit - out.len())
                .await?,
        );
    }
    Ok(out)
}

/// The channel named in a read request, if the caller may read it
/// ([`Caller::may_read`]).
pub(crate) fn readable_channel(
    state: &AppState,
    caller: &Caller,
    name: &str,
) -> Result<ChannelName, ApiError> {
    let channel = channel(state, name)?;
    caller.may_read(channel.kind(), !state.require_token)?;
    Ok(channel)
}

/// The channel named in a publish request, if anyone may publish there.
pub(crate) fn writable_channel(state: &AppState, name: &str) -> Result<ChannelName, ApiError> {
    let channel = channel(state, name)?;
    check_publishable(&channel)?;
    Ok(channel)
}

/// Who may publish where: `$sys:` channels belong to Asynchronio itself.
fn check_publishable(channel: &ChannelName) -> Result<(), ApiError> {
    if channel.kind() == ChannelKind::System {
        return Err(ApiError::forbidden(
            "$sys: channels are written by Asynchronio itself",
        ));
    }
    Ok(())
}

/// The body as the JSON payload to publish ([`checked_json`]), or 400.
fn json_payload(body: Bytes) -> Result<Bytes, ApiError> {
    checked_json(body).map_err(|e| ApiError::bad_request("bad_json", e.to_string()))
}

fn draft(channel: &ChannelName, payload: Bytes, caller: &Caller) -> EnvelopeDraft {
    EnvelopeDraft {
        channel: channel.to_string(),
        content_type: ContentType::Json,
        payload,
        headers: Vec::new(),
        publisher: Some(caller.actor()),
    }
}

/// `POST /api/v1/channels/{channel}/messages`: the body is the message.
#[utoipa::path(post, path = "/api/v1/channels/{channel}/messages", tag = "messages",
    params(("channel" = String, Path, description = "Channel name"),
           ("Idempotency-Key" = Option<String>, Header, description = "Retries with the same key publish once")),
    request_body(content_type = "application/json", description = "The message: any JSON value"),
    responses((status = 201, description = "Published: {channel, offset, epoch}"),
              (status = 400, description = "Body is not JSON, or bad channel name or key"),
              (status = 401, description = "No or unknown API key"), (status = 403, description = "Key lacks publish scope, or $sys: channel"),
              (status = 409, description = "Idempotency-Key already used on this channel with another body (compared byte for byte)"),
              (status = 413, description = "Body over --max-body"), (status = 429, description = "Rate limited"),
              (status = 503, description = "Redis unavailable")),
    security(("api_key" = [])))]
#[post("/channels/{channel}/messages")]
pub async fn publish(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    Body(body): Body,
) -> Result<HttpResponse, ApiError> {
    let trace = trace::request_trace(&request, "POST /api/v1/channels/{channel}/messages");
    traced(
        &trace,
        publish_message(state, caller, path, request, body, &trace),
    )
    .await
}

/// Runs a request's work inside its span, then notes the status.
async fn traced(
    trace: &RequestTrace,
    work: impl Future<Output = Result<HttpResponse, ApiError>>,
) -> Result<HttpResponse, ApiError> {
    let result = work.instrument(trace.span.clone()).await;
    trace.record_status(match &result {
        Ok(response) => response.status(),
        Err(error) => error.status,
    });
    result
}

/// [`publish`]'s work, inside the request's span.
async fn publish_message(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    request: HttpRequest,
    body: Bytes,
    trace: &RequestTrace,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Publish)?;
    let channel = channel(&state, &path)?;
    check_publishable(&channel)?;
    let body = json_payload(body)?;
    let idempotency_key = match request.headers().get("idempotency-key") {
        None => None,
        Some(value) => {
            let key = value
                .to_str()
                .ok()
                .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY && k.bytes().all(|b| b.is_ascii_graphic()))
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "bad_idempotency_key",
                        format!("Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters"),
                    )
                })?;
            Some(key.to_owned())
        }
    };
    let mut drafts = [draft(&channel, body, &caller)];
    let publish_span = trace.publish_span(&mut drafts);
    let [draft] = drafts;
    let published = match state
        .bus
        .publish(&draft, idempotency_key.as_deref())
        .instrument(publish_span)
        .await
    {
        Ok(published) if published.conflict => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "idempotency_key_reused",
                "this Idempotency-Key was already used on this channel with another body; \
                 retry with the same body, or use another key for a new message",
            ));
        }
        Ok(published) => published,
        Err(error) => {
            state.metrics.publish_failures.increment(1);
            return Err(error.into());
        }
    };
    state.metrics.published.increment(1);
    audit(
        &state,
        &caller,
        "publish",
        channel.as_str(),
        if published.duplicate {
            "duplicate"
        } else {
            "ok"
        },
    )
    .await;
    let mut response = HttpResponse::Created();
    if published.duplicate {
        response.insert_header(("idempotent-replayed", "true"));
    }
    Ok(response.json(serde_json::json!({
        "channel": channel.as_str(),
        "offset": published.offset,
        "epoch": published.epoch,
    })))
}

#[derive(Deserialize)]
pub struct Broadcast {
    channels: Vec<String>,
    data: Box<RawValue>,
}

/// `POST /api/v1/broadcast`: one message to many channels.
#[utoipa::path(post, path = "/api/v1/broadcast", tag = "messages",
    request_body(content_type = "application/json", description = "{\"channels\": [names], \"data\": message}"),
    responses((status = 201, description = "Published: {results: [{channel, offset, epoch}]}"),
              (status = 400, description = "Bad JSON or channel names"), (status = 401, description = "No or unknown API key"),
              (status = 403, description = "Key lacks publish scope"), (status = 503, description = "Redis unavailable")),
    security(("api_key" = [])))]
#[post("/broadcast")]
pub async fn broadcast(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Body(body): Body,
) -> Result<HttpResponse, ApiError> {
    let trace = trace::request_trace(&request, "POST /api/v1/broadcast");
    traced(&trace, broadcast_message(state, caller, body, &trace)).await
}

/// [`broadcast`]'s work, inside the request's span.
async fn broadcast_message(
    state: web::Data<AppState>,
    caller: Caller,
    body: Bytes,
    trace: &RequestTrace,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Publish)?;
    let request: Broadcast = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!("send {{\"channels\":[\"a\",\"b\"],\"data\":<message>}}: {e}"),
        )
    })?;
    if request.channels.is_empty() || request.channels.len() > MAX_BROADCAST {
        return Err(ApiError::bad_request(
            "bad_request",
            format!("name between 1 and {MAX_BROADCAST} channels"),
        ));
    }
    let payload = json_payload(Bytes::from(request.data.get().to_owned()))?;
    let mut drafts = Vec::with_capacity(request.channels.len());
    for name in &request.channels {
        let channel = channel(&state, name)?;
        check_publishable(&channel)?;
        drafts.push(draft(&channel, payload.clone(), &caller));
    }
    let publish_span = trace.publish_span(&mut drafts);
    let outcomes = state
        .bus
        .publish_drafts(&drafts)
        .instrument(publish_span)
        .await;
    let mut results = Vec::with_capacity(drafts.len());
    for (draft, result) in drafts.iter().zip(outcomes) {
        let published = result?;
        results.push(serde_json::json!({
            "channel": draft.channel,
            "offset": published.offset,
            "epoch": published.epoch,
        }));
    }
    state.metrics.published.increment(results.len() as u64);
    audit(
        &state,
        &caller,
        "broadcast",
        &request.channels.join(","),
        "ok",
    )
    .await;
    Ok(HttpResponse::Created().json(serde_json::json!({ "results": results })))
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    since: Option<String>,
    limit: Option<String>,
    reverse: Option<String>,
}

/// `GET /api/v1/channels/{channel}/messages?since=&limit=&reverse=`.
///
/// Messages are the same objects WebSocket clients receive (`op` is
/// `message`), oldest first unless `reverse=true`.
#[utoipa::path(get, path = "/api/v1/channels/{channel}/messages", tag = "messages",
    params(("channel" = String, Path, description = "Channel name"),
           ("since" = Option<String>, Query, description = "Return messages after this offset"),
           ("limit" = Option<u32>, Query, description = "1 to 1000, default 100"),
           ("reverse" = Option<bool>, Query, description = "Newest first")),
    responses((status = 200, description = "{channel, epoch, offset, messages: [message frames]}"),
              (status = 400, description = "Bad parameter"), (status = 401, description = "Private channel without a read key"),
              (status = 503, description = "Redis unavailable")))]
#[get("/channels/{channel}/messages")]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    query: web::Query<HistoryQuery>,
) -> Result<HttpResponse, ApiError> {
    let channel = readable_channel(&state, &caller, &path)?;
    let since = match &query.since {
        None => Offset(0),
        Some(text) => text
            .parse::<Offset>()
            .map_err(|e| ApiError::bad_request("bad_parameter", e.to_string()))?,
    };
    let limit = match &query.limit {
        None => 100,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=MAX_HISTORY).contains(&n) => n,
            _ => {
                return Err(ApiError::bad_request(
                    "bad_parameter",
                    format!("limit must be a number from 1 to {MAX_HISTORY}"),
                ));
            }
        },
    };
    let reverse = match query.reverse.as_deref() {
        None | Some("false") | Some("0") => false,
        Some("true") | Some("1") => true,
        Some(_) => {
            return Err(ApiError::bad_request(
                "bad_parameter",
                "reverse must be true or false",
            ));
        }
    };
    let position = state.bus.position(channel.as_str()).await?;
    let envelopes = if reverse {
        state
            .bus
            .history_newest_first(channel.as_str(), since, limit)
            .await?
    } else if archived(&state.archive, channel.as_str()) {
        merged_history(&state, channel.as_str(), &position.epoch, since, limit).await?
    } else {
        state
            .bus
            .history(channel.as_str(), since, None, limit)
            .await?
    };
    let mut messages = Vec::with_capacity(envelopes.len());
    for envelope in &envelopes {
        match Codec::Json.encode_message(envelope) {
            Ok(OutboundFrame::Text(text)) => match RawValue::from_string(text) {
                Ok(raw) => messages.push(raw),
                Err(error) => tracing::warn!(%error, "history entry is not JSON; skipped"),
            },
            Ok(OutboundFrame::Binary(_)) | Err(_) => {}
        }
    }
    Ok(HttpResponse::build(StatusCode::OK).json(serde_json::json!({
        "channel": channel.as_str(),
        "epoch": position.epoch,
        "offset": position.offset,
        "messages": messages,
    })))
}
