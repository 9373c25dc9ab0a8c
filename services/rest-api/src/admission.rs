//! [`admit`]: the middleware every request passes first. It spends the
//! caller's rate-limit token up front (`RateLimits::admit`), answers 429
//! when none is left, and settles once the response is known: the token
//! comes back only if the request authenticated (`rate_limit` explains
//! why). It also counts every response, its duration by route and status,
//! and every 429, for `/metrics`.
//!
//! The buckets themselves live in `rate_limit`; this is only the HTTP side.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _, web};

use crate::rate_limit::{self, Authenticated};
use crate::state::AppState;

/// Admits `request` under the rate limits, or answers 429 without calling
/// the rest of the chain.
pub async fn admit<B: MessageBody>(
    state: web::Data<AppState>,
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let authorization = request
        .headers()
        .get("authorization")
        .map(|v| v.to_str().unwrap_or("(not text)"));
    // A credential known to be good is let through even while its
    // address's allowance is spent by failed guesses.
    let known = authorization.is_some_and(|h| crate::auth::known_credential(&state, h));
    let started = std::time::Instant::now();
    let address = state.rate_limits.address_of_request(request.request());
    let admission = match state.rate_limits.admit(authorization, known, address) {
        Ok(admission) => admission,
        Err(limited) => {
            let response = request
                .into_response(rate_limit::too_many(limited))
                .map_into_right_body();
            state.metrics.count_rate_limited();
            finished(&state, &response, started);
            return Ok(response);
        }
    };
    let response = next.call(request).await?;
    let authenticated = response.request().extensions().contains::<Authenticated>();
    state.rate_limits.settle(&admission, authenticated);
    finished(&state, &response, started);
    Ok(response.map_into_left_body())
}

/// Counts `response` and how long its request took.
fn finished<B>(state: &AppState, response: &ServiceResponse<B>, started: std::time::Instant) {
    let status = response.status().as_u16();
    state.metrics.count_response(status);
    state.metrics.request_finished(
        response.request().match_pattern(),
        status,
        started.elapsed(),
    );
}
