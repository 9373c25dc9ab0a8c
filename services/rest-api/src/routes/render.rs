//! `POST /api/v1/channels/{channel}/render`: push an HTML fragment into
//! every page subscribed to a channel (the WebSocket rendering engine; see
//! docs/rendering.md). The fragment is either HTML the caller rendered, or
//! a tera template (built-in, or from `--templates-dir`) rendered here with
//! the given context, escaped. Either way the HTML is sanitised
//! (`asynchronio_protocol::render::sanitize`) before it is published.

use actix_web::{HttpResponse, post, web};
use asynchronio_protocol::render::{Fragment, RenderOp};
use asynchronio_store::Scope;
use serde::Deserialize;

use crate::body::Body;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::routes::messages::writable_channel;
use crate::state::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenderRequest {
    target: String,
    op: RenderOp,
    #[serde(default)]
    html: Option<String>,
    #[serde(default)]
    template: Option<String>,
    #[serde(default)]
    context: Option<serde_json::Value>,
}

#[utoipa::path(post, path = "/api/v1/channels/{channel}/render", tag = "messages",
    params(("channel" = String, Path, description = "Channel the pages subscribe to")),
    request_body(content_type = "application/json",
        description = "{\"target\": \"element-id\", \"op\": \"replace|append|remove\", \"html\": \"…\"} or {…, \"template\": \"name.html\", \"context\": {…}}"),
    responses((status = 201, description = "{offset, epoch}"), (status = 400, description = "Bad fragment or template"),
              (status = 403, description = "Key lacks publish scope")),
    security(("api_key" = [])))]
#[post("/channels/{channel}/render")]
pub async fn render(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<String>,
    Body(body): Body,
) -> Result<HttpResponse, ApiError> {
    caller.require(Scope::Publish)?;
    let channel = writable_channel(&state, &path)?;
    let request: RenderRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request(
            "bad_json",
            format!(
                "send {{\"target\":\"element-id\",\"op\":\"replace\",\"html\":\"<p>hi</p>\"}} \
                 or a \"template\" with a \"context\" object: {e}"
            ),
        )
    })?;
    let html =
        match (request.op, request.html, request.template) {
            (RenderOp::Remove, _, _) => String::new(),
            (_, Some(html), None) => html,
            (_, None, Some(template)) => {
                if !state.templates.has(&template) {
                    return Err(ApiError::bad_request(
                        "unknown_template",
                        format!("no template named {template:?}; put it under --templates-dir"),
                    ));
                }
                let context = tera::Context::from_value(
                    request.context.unwrap_or_else(|| serde_json::json!({})),
                )
                .map_err(|e| {
                    ApiError::bad_request("bad_context", format!("context must be an object: {e}"))
                })?;
                state
                    .templates
                    .render(&template, &context)
                    .map_err(|e| ApiError::bad_request("template_failed", e.to_string()))?
            }
            _ => {
                return Err(ApiError::bad_request(
                    "bad_request",
                    "give exactly one of \"html\" and \"template\"",
                ));
            }
        };
    let fragment = Fragment {
        target: request.target,
        op: request.op,
        html: asynchronio_protocol::render::sanitize::clean_fragment_html(&html),
    };
    let mut draft = fragment
        .draft(channel.as_str())
        .map_err(|e| ApiError::bad_request("bad_target", e.to_string()))?;
    draft.publisher = Some(caller.actor());
    let published = state.bus.publish(&draft, None).await?;
    Ok(HttpResponse::Created().json(serde_json::json!({
        "offset": published.offset.to_string(),
        "epoch": published.epoch,
    })))
}
