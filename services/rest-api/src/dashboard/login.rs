//! Logging in and out of the dashboard, and finding the login behind a
//! request. The login id lives in an HttpOnly, SameSite=Strict cookie; the
//! login itself (with its CSRF token) lives in Redis. ("Session" means a
//! client's protocol state in ws-gateway; the dashboard's is a login.)

use std::time::Duration;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use asynchronio_protocol::login::DashboardLogin;
use asynchronio_protocol::secret::same;
use asynchronio_store::Scope;
use serde::Deserialize;
use tera::Context;

use crate::dashboard::html::html;
use crate::error::ApiError;
use crate::state::AppState;

/// Name of the login cookie (its value is unchanged since the dashboard
/// called logins sessions, so browsers stay logged in).
pub const COOKIE: &str = "asynchronio_session";

/// A login unused for this long ends.
pub const LOGIN_TTL: Duration = Duration::from_secs(12 * 3600);

/// The login behind the request's cookie, if it has a live one.
pub async fn current(
    request: &HttpRequest,
    state: &AppState,
) -> Result<Option<DashboardLogin>, ApiError> {
    let Some(cookie) = request.cookie(COOKIE) else {
        return Ok(None);
    };
    Ok(state.bus.login(cookie.value(), LOGIN_TTL).await?)
}

/// Whether `presented` is the login's CSRF token (constant time).
pub fn csrf_matches(user: &DashboardLogin, presented: Option<&str>) -> bool {
    presented.is_some_and(|p| same(p.as_bytes(), user.csrf.as_bytes()))
}

/// The first page after login (and of `GET /`): the Nodes page.
pub const HOME: &str = "/nodes";

/// Where to go after logging in: a local path only, never another site.
///
/// Browsers drop tabs and newlines from URLs and read `\` as `/`, so
/// `/\t/evil.example` means `//evil.example` to them. A path is accepted
/// only when it has no control characters, spaces or backslashes, starts
/// with exactly one `/`, and still does after its dot segments are
/// resolved (`/.//evil.example` is `//evil.example` too).
fn local_path(next: Option<&str>) -> String {
    let Some(path) = next else {
        return HOME.to_owned();
    };
    let clean = path
        .chars()
        .all(|c| !c.is_control() && !c.is_whitespace() && c != '\\');
    if !clean || !path.starts_with('/') || path.starts_with("//") {
        return HOME.to_owned();
    }
    let path_part = path.split(['?', '#']).next().unwrap_or_default();
    let mut segments: Vec<&str> = Vec::new();
    for segment in path_part.split('/').skip(1) {
        match segment {
            "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    if segments.first().is_some_and(|first| first.is_empty()) && segments.len() > 1 {
        return HOME.to_owned();
    }
    path.to_owned()
}

/// The login form's query: where to go once logged in.
#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /login`: the login form.
#[get("/login")]
pub async fn login_form(
    state: web::Data<AppState>,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, ApiError> {
    login_page(
        &state,
        query.next.as_deref(),
        None,
        actix_web::http::StatusCode::OK,
    )
}

fn login_page(
    state: &AppState,
    next: Option<&str>,
    error: Option<&str>,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, ApiError> {
    let mut context = Context::new();
    context.insert("next", &local_path(next));
    context.insert("error", &error);
    html(state, "login.html", &context, status)
}

/// The posted login form: the admin key, and where to go next.
#[derive(Deserialize)]
pub struct LoginForm {
    key: String,
    next: Option<String>,
}

/// `POST /login`: an admin key (the bootstrap key or a stored key with the
/// admin scope) opens a login.
#[post("/login")]
pub async fn login(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, ApiError> {
    // Every attempt spends from the address's login allowance first; a
    // login that succeeds gives it back, so only refusals count.
    let address = state.rate_limits.address_of_request(&request);
    if let Err(limited) = state.rate_limits.login_attempt(&address) {
        tracing::warn!(%address, "dashboard logins refused: too many failures");
        return Ok(crate::rate_limit::too_many(limited));
    }
    let key = form.key.trim();
    let actor = if state
        .admin_key
        .as_deref()
        .is_some_and(|admin| same(admin.as_bytes(), key.as_bytes()))
    {
        Some("bootstrap".to_owned())
    } else if key.is_empty() || key.len() > 512 {
        None
    } else {
        match state.store.verify_api_key(key).await? {
            Some(stored) if Scope::Admin.granted_by(&stored.scopes) => {
                Some(format!("key:{}", stored.id))
            }
            _ => None,
        }
    };
    let Some(actor) = actor else {
        tracing::warn!(peer = ?request.peer_addr(), "dashboard login refused");
        return login_page(
            &state,
            form.next.as_deref(),
            Some(
                "That key is not an admin key. Use ASYNCHRONIO_ADMIN_KEY (make run keeps it in data/local.env) or a key with the admin scope.",
            ),
            actix_web::http::StatusCode::UNAUTHORIZED,
        );
    };
    state.rate_limits.login_succeeded(&address);
    let user = DashboardLogin {
        actor: actor.clone(),
        csrf: asynchronio_bus::random_secret(),
        created_ms: asynchronio_protocol::clock::now_ms(),
    };
    let id = state.bus.create_login(&user, LOGIN_TTL).await?;
    state
        .audit
        .record(actor.clone(), "dashboard.login", "-", "ok")
        .await;
    let cookie = Cookie::build(COOKIE, id)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.secure_cookies)
        .max_age(actix_web::cookie::time::Duration::seconds(
            LOGIN_TTL.as_secs() as i64,
        ))
        .finish();
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, local_path(form.next.as_deref())))
        .finish())
}

/// The posted logout form, which carries the login's CSRF token.
#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

/// `POST /logout`: ends the login (the form carries the CSRF token).
#[post("/logout")]
pub async fn logout(
    request: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LogoutForm>,
) -> Result<HttpResponse, ApiError> {
    if let Some(user) = current(&request, &state).await? {
        if !csrf_matches(&user, Some(&form.csrf)) {
            return Err(ApiError::forbidden(
                "the form's CSRF token does not match your session; reload the page",
            ));
        }
        if let Some(cookie) = request.cookie(COOKIE) {
            state.bus.delete_login(cookie.value()).await?;
        }
    }
    let mut gone = Cookie::build(COOKIE, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    gone.make_removal();
    Ok(HttpResponse::SeeOther()
        .cookie(gone)
        .insert_header((header::LOCATION, "/login"))
        .finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(local_path(Some("/charts")), "/charts");
        assert_eq!(local_path(Some("//evil.example")), HOME);
        assert_eq!(local_path(Some("https://evil.example")), HOME);
        assert_eq!(local_path(Some("/\\evil")), HOME);
        for bad in [
            "/\t/evil.example",
            "/\n/evil",
            "/ /evil",
            "/.//evil",
            "/a/..//evil",
            "/\u{0}/x",
        ] {
            assert_eq!(local_path(Some(bad)), HOME, "{bad:?}");
        }
        assert_eq!(local_path(Some("/charts?a=1")), "/charts?a=1");
        assert_eq!(local_path(Some("/")), "/");
        assert_eq!(local_path(None), HOME);
    }
}
