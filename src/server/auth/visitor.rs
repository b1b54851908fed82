//! The visitor: who is behind a request. A middleware resolves the session cookie once per request (ending expired
//! sessions and clearing their cookie), gives browsers without a session a pre-login cookie that CSRF tokens are
//! bound to, and stores the result in the request's extensions for pages, server functions and routes.

use actix_web::body::MessageBody;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};

use super::sessions::{self, Resolved};
use super::tokens::random_token;
use crate::server::db::entities::{identity_provider, session, user};
use crate::server::services::accounts::Origin;
use crate::server::state::AppState;
use crate::shared::error::{AppError, ErrorCode};
use crate::shared::paths::{encode_query_value, safe_next};

/// Names the browser before it signs in; CSRF tokens of the login and sign-up forms are bound to it.
pub const PRE_LOGIN_COOKIE: &str = "pc_pre";

/// The cookie that names a browser before it signs in.
pub fn pre_login_cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(PRE_LOGIN_COOKIE, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish()
}

/// A signed-in browser.
#[derive(Clone, Debug)]
pub struct SignedIn {
    /// The session's public id (hash of the cookie value).
    pub session_id: String,
    pub session: session::Model,
    pub user: user::Model,
}

#[derive(Clone, Debug)]
pub struct Visitor {
    pub signed_in: Option<SignedIn>,
    /// The cookie value CSRF tokens are bound to: the session cookie when signed in, else the pre-login cookie.
    pub csrf_binding: Option<String>,
    pub origin: Origin,
    /// The session cookie was present but its session has ended.
    pub session_ended: bool,
    /// The ended session was an SSO session of this identity provider (its SSO identifier): pages send the browser
    /// back there to sign in again.
    pub ended_sso_identifier: Option<String>,
}

impl Visitor {
    pub fn user(&self) -> Result<&SignedIn, AppError> {
        match &self.signed_in {
            Some(signed_in) => Ok(signed_in),
            None if self.session_ended => Err(AppError::new(ErrorCode::SessionExpired)),
            None => Err(AppError::new(ErrorCode::NotSignedIn)),
        }
    }

    pub fn csrf_token(&self, state: &AppState) -> String {
        self.csrf_binding
            .as_deref()
            .map(|b| state.csrf.token_for(b))
            .unwrap_or_default()
    }
}

/// The client's address: the peer, or, behind a trusted proxy, the last `X-Forwarded-For` entry: the one that proxy
/// appended. Earlier entries are whatever the client sent, so trusting them would let anyone pick their address
/// (and a fresh rate-limit bucket) per request.
pub fn client_ip(req: &HttpRequest, trust_forwarded_for: bool) -> String {
    if trust_forwarded_for {
        if let Some(forwarded) = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .last()
            .and_then(|v| v.rsplit(',').next())
        {
            let candidate = forwarded.trim();
            if candidate.parse::<std::net::IpAddr>().is_ok() {
                return candidate.to_string();
            }
        }
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub fn session_cookie(value: &str, secure: bool, max_age_hours: i64) -> Cookie<'static> {
    Cookie::build(sessions::COOKIE, value.to_owned())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .max_age(CookieDuration::hours(max_age_hours))
        .finish()
}

pub fn removal_cookie(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut cookie = Cookie::build(name, "")
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(secure)
        .finish();
    cookie.make_removal();
    cookie
}

fn skips_visitor(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path == "/favicon.ico"
        || path == "/healthz"
        || path.starts_with("/assets/")
        // The REST API authenticates by key, never by cookie.
        || path.starts_with("/api/v1/")
}

async fn resolve(req: &HttpRequest, state: &AppState) -> Result<Visitor, AppError> {
    let origin = Origin {
        ip: client_ip(req, state.config.trust_forwarded_for),
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let mut session_ended = false;
    let mut ended_sso_identifier = None;
    if let Some(cookie) = req.cookie(sessions::COOKIE) {
        let token = cookie.value().to_owned();
        match sessions::resolve(&state.db, &token, state.session_lifetimes(), state.now()).await? {
            Resolved::Active(found) => {
                if let Some(account) = user::Entity::find_by_id(found.user_id)
                    .one(&state.db)
                    .await?
                {
                    return Ok(Visitor {
                        signed_in: Some(SignedIn {
                            session_id: found.id.clone(),
                            session: *found,
                            user: account,
                        }),
                        csrf_binding: Some(token),
                        origin,
                        session_ended: false,
                        ended_sso_identifier: None,
                    });
                }
                session_ended = true;
            }
            Resolved::Expired {
                identity_provider_id,
            } => {
                session_ended = true;
                if let Some(id) = identity_provider_id {
                    ended_sso_identifier = identity_provider::Entity::find_by_id(id)
                        .one(&state.db)
                        .await?
                        .map(|idp| idp.identifier);
                }
            }
            Resolved::Unknown => session_ended = true,
        }
    }
    Ok(Visitor {
        signed_in: None,
        csrf_binding: req.cookie(PRE_LOGIN_COOKIE).map(|c| c.value().to_owned()),
        origin,
        session_ended,
        ended_sso_identifier,
    })
}

use sea_orm::EntityTrait;

/// When an SSO session has just ended, a page load goes back to its identity provider (which may sign the person in
/// again silently) and then returns to the same page. Server function calls and other requests get the usual
/// "session ended" answer instead.
fn back_to_identity_provider(req: &ServiceRequest, visitor: &Visitor) -> Option<String> {
    let identifier = visitor.ended_sso_identifier.as_deref()?;
    // Public pages stay reachable: someone may want another account, or a password login with the break-glass.
    let public = matches!(req.path(), "/" | "/login" | "/signup" | "/forgot-password");
    let is_page = req.method() == actix_web::http::Method::GET
        && !public
        && !req.path().starts_with("/api/")
        && !req.path().starts_with("/saml/");
    if !is_page {
        return None;
    }
    let here = match req.query_string() {
        "" => req.path().to_owned(),
        query => format!("{}?{query}", req.path()),
    };
    Some(format!(
        "/saml/{}?return_to={}",
        encode_query_value(identifier),
        encode_query_value(&safe_next(Some(&here)))
    ))
}

/// Actix middleware: resolves the visitor and maintains the session and pre-login cookies.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody + 'static>, actix_web::Error> {
    if skips_visitor(req.path()) {
        return Ok(next.call(req).await?.map_into_left_body());
    }
    let Some(state) = req
        .app_data::<web::Data<AppState>>()
        .map(|d| d.get_ref().clone())
    else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let mut visitor = resolve(req.request(), &state)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.message))?;
    let secure = state.config.secure_cookies();
    let mut new_pre_login = None;
    // The identity provider's cross-site POST to the ACS arrives without our (SameSite=Lax) cookies; a new
    // pre-login cookie there would replace the one the sign-in request is bound to.
    let is_acs = req.method() == actix_web::http::Method::POST && req.path().ends_with("/acs");
    if visitor.signed_in.is_none() && visitor.csrf_binding.is_none() && !is_acs {
        let value = random_token();
        visitor.csrf_binding = Some(value.clone());
        new_pre_login = Some(value);
    }
    let clear_session = visitor.session_ended;
    if let Some(location) = back_to_identity_provider(&req, &visitor) {
        let response = actix_web::HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .cookie(removal_cookie(sessions::COOKIE, secure))
            .finish();
        return Ok(req.into_response(response).map_into_right_body());
    }
    req.extensions_mut().insert(visitor);
    let mut res = next.call(req).await?.map_into_left_body();
    if let Some(value) = new_pre_login {
        res.response_mut()
            .add_cookie(&pre_login_cookie(value, secure))?;
    }
    if clear_session
        && !res.headers().get_all(header::SET_COOKIE).any(|v| {
            v.to_str()
                .is_ok_and(|s| s.starts_with(&format!("{}=", sessions::COOKIE)))
        })
    {
        res.response_mut()
            .add_cookie(&removal_cookie(sessions::COOKIE, secure))?;
    }
    Ok(res)
}
