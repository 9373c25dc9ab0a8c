//! Who is calling: an API key from `Authorization: Bearer …` (or the
//! bootstrap admin key), a logged-in dashboard user (the login cookie, plus
//! the CSRF token on every state-changing request), or nobody. Handlers take
//! a [`Caller`] as an extractor, ask it for the scope they need
//! (`crate::caller`) and get 401 or 403 otherwise.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use asynchronio_protocol::secret::same;

use crate::caller::Caller;
use crate::dashboard::login;
use crate::error::ApiError;
use crate::rate_limit::Authenticated;
use crate::state::AppState;

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let header = request
            .headers()
            .get("authorization")
            .map(|v| v.to_str().map(str::to_owned));
        let request = request.clone();
        Box::pin(async move {
            let Some(state) = state else {
                return Err(ApiError::unavailable("server not initialised"));
            };
            let token = match header {
                None => {
                    let caller = dashboard_caller(&request, &state).await?;
                    if caller != Caller::Anonymous {
                        request.extensions_mut().insert(Authenticated);
                    }
                    return Ok(caller);
                }
                Some(Err(_)) => {
                    return Err(ApiError::unauthorized("Authorization header is not text"));
                }
                Some(Ok(value)) => match value.strip_prefix("Bearer ") {
                    Some(token) => token.trim().to_owned(),
                    None => return Err(ApiError::unauthorized("use Authorization: Bearer <key>")),
                },
            };
            let caller = key_caller(&state, &token).await?;
            request.extensions_mut().insert(Authenticated);
            Ok(caller)
        })
    }
}

/// The caller behind a bearer key: the bootstrap key, or a stored key
/// (checked in the database unless verified in the last seconds).
async fn key_caller(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    if let Some(admin) = &state.admin_key
        && same(admin.as_bytes(), token.as_bytes())
    {
        return Ok(Caller::Bootstrap);
    }
    if let Some(caller) = state.key_cache.get(token) {
        return Ok(caller);
    }
    match state.store.verify_api_key(token).await? {
        Some(key) => {
            let caller = Caller::Key {
                id: key.id,
                scopes: key.scopes,
            };
            state.key_cache.put(token, caller.clone());
            Ok(caller)
        }
        None => Err(ApiError::unauthorized("unknown or revoked API key")),
    }
}

/// Whether an `Authorization` header holds a credential already known to
/// be good (the bootstrap key, or a key verified in the last seconds),
/// without a database query: the rate limiter lets such requests through
/// even while their address's allowance is spent by failed guesses.
pub fn known_credential(state: &AppState, header: &str) -> bool {
    let Some(token) = header.strip_prefix("Bearer ").map(str::trim) else {
        return false;
    };
    state
        .admin_key
        .as_ref()
        .is_some_and(|admin| same(admin.as_bytes(), token.as_bytes()))
        || state.key_cache.get(token).is_some()
}

/// The dashboard login behind the request's cookie, if any. Requests
/// that change state must carry the login's CSRF token in
/// `X-CSRF-Token`, so another site cannot make a logged-in browser act.
async fn dashboard_caller(request: &HttpRequest, state: &AppState) -> Result<Caller, ApiError> {
    let Some(user) = login::current(request, state).await? else {
        return Ok(Caller::Anonymous);
    };
    let safe = matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    let presented = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    if !safe && !login::csrf_matches(&user, presented) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "csrf_failed",
            "missing or wrong X-CSRF-Token for this session; reload the page",
        ));
    }
    Ok(Caller::Dashboard { actor: user.actor })
}
