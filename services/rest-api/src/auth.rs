//! Who is calling: an API key from `Authorization: Bearer …` (or the
//! bootstrap admin key), a logged-in dashboard session (cookie, plus the
//! CSRF token on every state-changing request), or nobody. Handlers ask the [`Caller`] for the
//! scope they need and get 401 or 403 otherwise.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use asynchronio_protocol::ChannelKind;
use asynchronio_protocol::secret::same;
use asynchronio_store::Scope;

use crate::error::ApiError;
use crate::rate_limit::Authenticated;
use crate::state::AppState;

/// The authenticated party behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The bootstrap admin key from ASYNCHRONIO_ADMIN_KEY.
    Bootstrap,
    /// A stored API key.
    Key { id: String, scopes: Vec<Scope> },
    /// A logged-in dashboard user (who logged in with an admin key).
    Dashboard { actor: String },
    /// No credentials.
    Anonymous,
}

impl Caller {
    /// The name recorded in the audit log.
    pub fn actor(&self) -> String {
        match self {
            Caller::Bootstrap => "bootstrap".into(),
            Caller::Key { id, .. } => format!("key:{id}"),
            Caller::Dashboard { actor } => format!("dashboard:{actor}"),
            Caller::Anonymous => "anonymous".into(),
        }
    }

    /// Succeeds when the caller holds `scope` (admin holds every scope).
    pub fn require(&self, scope: Scope) -> Result<(), ApiError> {
        match self {
            Caller::Bootstrap | Caller::Dashboard { .. } => Ok(()),
            Caller::Key { scopes, .. } if scope.granted_by(scopes) => Ok(()),
            Caller::Key { .. } => Err(ApiError::forbidden(format!(
                "this API key lacks the {scope} scope; create a key with it"
            ))),
            Caller::Anonymous => Err(ApiError::unauthorized(
                "send an API key as Authorization: Bearer <key>",
            )),
        }
    }

    /// For reads that anonymous callers may make unless tokens are required.
    pub fn require_read(&self, anonymous_allowed: bool) -> Result<(), ApiError> {
        match self {
            Caller::Anonymous if anonymous_allowed => Ok(()),
            other => other.require(Scope::Read),
        }
    }

    /// Succeeds when the caller may read channels of `kind`: `$sys:` ones
    /// need admin (they carry logs and process states, as
    /// `/processes/{name}/logs` does), `private:` ones the read scope,
    /// public ones nothing unless `open` is false (tokens required).
    pub fn may_read(&self, kind: ChannelKind, open: bool) -> Result<(), ApiError> {
        match kind {
            ChannelKind::System => self.require(Scope::Admin),
            ChannelKind::Private => self.require(Scope::Read),
            ChannelKind::Public => self.require_read(open),
        }
    }
}

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

/// The dashboard session behind the request's cookie, if any. Requests
/// that change state must carry the session's CSRF token in
/// `X-CSRF-Token`, so another site cannot make a logged-in browser act.
async fn dashboard_caller(request: &HttpRequest, state: &AppState) -> Result<Caller, ApiError> {
    let Some(session) = crate::dashboard::session::current(request, state).await? else {
        return Ok(Caller::Anonymous);
    };
    let safe = matches!(request.method().as_str(), "GET" | "HEAD" | "OPTIONS");
    let presented = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    if !safe && !crate::dashboard::session::csrf_matches(&session, presented) {
        return Err(ApiError::new(
            actix_web::http::StatusCode::FORBIDDEN,
            "csrf_failed",
            "missing or wrong X-CSRF-Token for this session; reload the page",
        ));
    }
    Ok(Caller::Dashboard {
        actor: session.actor,
    })
}

/// Keys verified recently, so that a busy client does not cost a database
/// query per request. Entries live a few seconds: a key revoked through this
/// instance stops working at once, through another within that time.
pub struct KeyCache {
    entries: parking_lot::Mutex<std::collections::HashMap<String, (Caller, std::time::Instant)>>,
}

/// How long a verified key is trusted without asking the database.
const KEY_CACHE_TTL: std::time::Duration = std::time::Duration::from_secs(5);
/// Most keys remembered.
const KEY_CACHE_SIZE: usize = 10_000;

impl Default for KeyCache {
    fn default() -> Self {
        Self {
            entries: parking_lot::Mutex::new(std::collections::HashMap::new()),
        }
    }
}

impl KeyCache {
    fn get(&self, presented: &str) -> Option<Caller> {
        let entries = self.entries.lock();
        let (caller, at) = entries.get(presented)?;
        (at.elapsed() < KEY_CACHE_TTL).then(|| caller.clone())
    }

    fn put(&self, presented: &str, caller: Caller) {
        let mut entries = self.entries.lock();
        if entries.len() >= KEY_CACHE_SIZE {
            entries.retain(|_, (_, at)| at.elapsed() < KEY_CACHE_TTL);
            if entries.len() >= KEY_CACHE_SIZE {
                entries.clear();
            }
        }
        entries.insert(presented.to_owned(), (caller, std::time::Instant::now()));
    }

    /// Drops a key (by id) at once, e.g. when it is revoked.
    pub fn forget(&self, id: &str) {
        self.entries.lock().retain(
            |_, (caller, _)| !matches!(caller, Caller::Key { id: cached, .. } if cached == id),
        );
    }
}
