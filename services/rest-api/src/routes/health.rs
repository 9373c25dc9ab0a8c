//! Liveness, readiness and metrics.

use actix_web::{HttpResponse, get, web};

use crate::state::AppState;

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Up")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(serde_json::json!({"status": "ok"}))
}

/// Redis and the database both answer.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, description = "Redis and the database answer"), (status = 503, description = "One does not")))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let redis = state.bus.ping().await.is_ok();
    let database = state.store.ping().await;
    let body = serde_json::json!({"redis": redis, "database": database});
    if redis && database {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

#[utoipa::path(get, path = "/metrics", tag = "health", responses((status = 200, description = "Prometheus text")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(asynchronio_service::metrics::CONTENT_TYPE)
        .body(state.metrics.render())
}
