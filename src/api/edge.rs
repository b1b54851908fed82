//! Helpers every server function uses: the application state, the visitor, the CSRF check, cookies, and the one
//! place an `AppError` becomes an HTTP response.

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::HttpMessage;
use leptos::prelude::use_context;
use leptos_actix::{Request, ResponseOptions};
use std::future::Future;

use crate::server::auth::sessions;
use crate::server::auth::visitor::{removal_cookie, session_cookie, SignedIn, Visitor};
use crate::server::services::actor::Actor;
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};

fn internal(what: &str) -> AppError {
    tracing::error!("{what} missing from the request context");
    AppError::new(ErrorCode::Internal)
}

pub fn state() -> AppResult<AppState> {
    use_context::<AppState>().ok_or_else(|| internal("application state"))
}

pub fn visitor() -> AppResult<Visitor> {
    let request = use_context::<Request>().ok_or_else(|| internal("request"))?;
    let visitor = request.extensions().get::<Visitor>().cloned();
    visitor.ok_or_else(|| internal("visitor"))
}

/// For a state-changing call: checks the CSRF token against this browser and returns state and visitor.
pub fn form(csrf_token: Option<&str>) -> AppResult<(AppState, Visitor)> {
    let state = state()?;
    let visitor = visitor()?;
    state
        .csrf
        .verify(visitor.csrf_binding.as_deref(), csrf_token)?;
    Ok((state, visitor))
}

/// Like `form`, and the caller must be signed in. A browser whose session ended is told so, rather than that its
/// form's token (bound to the ended session) no longer matches.
pub fn signed_in_form(csrf_token: Option<&str>) -> AppResult<(AppState, SignedIn, Visitor)> {
    let state = state()?;
    let visitor = visitor()?;
    let signed_in = visitor.user()?.clone();
    state
        .csrf
        .verify(visitor.csrf_binding.as_deref(), csrf_token)?;
    Ok((state, signed_in, visitor))
}

/// For a read: the state and the signed-in person.
pub fn reader() -> AppResult<(AppState, SignedIn)> {
    let state = state()?;
    let signed_in = visitor()?.user()?.clone();
    Ok((state, signed_in))
}

fn add_cookie(cookie: &Cookie<'_>) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        header::HeaderValue::from_str(&cookie.to_string()),
    ) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// The signed-in person as the services' authorization sees them: with how this session signed in, which decides
/// whether they may act in an organization that allows only single sign-on.
pub fn actor(me: &SignedIn) -> Actor {
    Actor::signed_in(me.user.id, &me.session)
}

pub fn set_session_cookie(state: &AppState, token: &str) {
    add_cookie(&session_cookie(
        token,
        state.config.secure_cookies(),
        state.config.session_absolute_hours,
    ));
}

pub fn clear_session_cookie(state: &AppState) {
    add_cookie(&removal_cookie(
        sessions::COOKIE,
        state.config.secure_cookies(),
    ));
}

/// A browser posting a plain HTML form (no JavaScript) gets leptos' redirect back to the page it came from (its
/// `Referer`), which carries the error; everyone else gets the error's own status.
fn redirected_back() -> bool {
    use_context::<Request>().is_some_and(|r| {
        let accepts_html = r
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        accepts_html && r.headers().contains_key(header::REFERER)
    })
}

/// Runs a server function's body and converts its failure into the response: the HTTP status of the error code.
pub async fn run<T>(body: impl Future<Output = AppResult<T>>) -> AppResult<T> {
    let result = body.await;
    if let Err(err) = &result {
        respond_with(err);
    }
    result
}

/// Logs a failure and gives the response the error's HTTP status. Also called for failures of the server-function
/// machinery itself (an argument that does not parse), which never reach `run`.
pub fn respond_with(err: &AppError) {
    if err.code == ErrorCode::Internal {
        tracing::error!(code = %err.code, message = %err.message, "request failed");
    } else {
        tracing::info!(code = %err.code, "request refused");
    }
    if !redirected_back() {
        if let (Some(response), Ok(status)) = (
            use_context::<ResponseOptions>(),
            StatusCode::from_u16(err.status()),
        ) {
            response.set_status(status);
        }
    }
}

/// After a login factor: sets the session cookie and goes on, or goes to the second step's page.
pub fn continue_login(
    state: &AppState,
    progress: crate::server::services::login::Progress,
) -> crate::shared::models::LoginStep {
    use crate::server::services::login::Progress;
    use crate::shared::models::LoginStep;
    match progress {
        Progress::SignedIn {
            session_token,
            next,
        } => {
            set_session_cookie(state, &session_token);
            redirect(&next);
            LoginStep::SignedIn { next }
        }
        Progress::Waiting(step) => {
            redirect("/login/two-factor");
            step
        }
        // Only SSO logins wait for a confirmation, and those answer at the ACS, never here.
        Progress::Confirm { .. } => {
            redirect("/login");
            LoginStep::SecondFactor
        }
    }
}

/// Sends the browser to `path` after the call (both with and without JavaScript).
pub fn redirect(path: &str) {
    leptos_actix::redirect(path);
}
