//! The SAML endpoints (thin: request in, service call, response out):
//! - `GET /saml/start?identifier=…` — the login page's "Log in with Enterprise SSO" form lands here;
//! - `GET /saml/{identifier}` — sends an AuthnRequest (HTTP-Redirect, or an auto-posted form for HTTP-POST);
//! - `POST /saml/{identifier}/merge` — "Enable Enterprise SSO" after consent: a request bound to the session;
//! - `POST /saml/{identifier}/acs` — the assertion consumer service;
//! - `GET /saml/{identifier}/metadata` — our SP metadata for that identity provider.
//!
//! Our cookies are SameSite=Lax, so a browser does not send them with the identity provider's cross-site POST. The
//! ACS then answers with a page that re-posts the same form to itself, a same-site POST that carries them; only
//! then is the response checked against the requests this browser started.

use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::Deserialize;

use crate::server::auth::sessions;
use crate::server::auth::tokens::random_token;
use crate::server::auth::visitor::{pre_login_cookie, session_cookie, Visitor, PRE_LOGIN_COOKIE};
use crate::server::html::{escape, html_page, html_page_with_head, origin_of};
use crate::server::saml::core::envelope::check_post_sizes;
use crate::server::services::accounts::Origin;
use crate::server::services::identity_providers::{self, check_identifier};
use crate::server::services::login::{self, Progress};
use crate::server::services::merge;
use crate::server::services::sso::{self, AcsFailure, SsoRedirect, SsoSignedIn};
use crate::server::state::AppState;
use crate::shared::error::{AppError, ErrorCode};
use crate::shared::paths::encode_query_value;

/// The HTTP-level cap on the ACS form; the validator caps `SAMLResponse` itself before decoding it.
const ACS_FORM_LIMIT: usize = 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/saml/start", web::get().to(start))
        .route("/saml/confirm", web::post().to(confirm))
        .route("/saml/{identifier}", web::get().to(login))
        .route("/saml/{identifier}/merge", web::post().to(merge))
        .service(
            web::resource("/saml/{identifier}/acs")
                .app_data(web::FormConfig::default().limit(ACS_FORM_LIMIT))
                .route(web::post().to(acs)),
        )
        .route("/saml/{identifier}/metadata", web::get().to(metadata));
}

fn visitor(req: &HttpRequest) -> Option<Visitor> {
    req.extensions().get::<Visitor>().cloned()
}

fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Back to the login page with the error, which it explains next to the SSO identifier field.
fn back_to_login(code: ErrorCode, identifier: &str) -> HttpResponse {
    see_other(&format!(
        "/login?sso_error={}&sso_identifier={}",
        code.as_str(),
        encode_query_value(identifier)
    ))
}

#[derive(Deserialize)]
pub struct StartQuery {
    identifier: Option<String>,
    return_to: Option<String>,
}

/// The login form's target. It answers with a page that moves on by itself instead of a redirect: browsers apply
/// the login page's `form-action 'self'` to every redirect after a form submission, and the identity provider is
/// on another origin.
async fn start(query: web::Query<StartQuery>) -> HttpResponse {
    let raw = query.identifier.clone().unwrap_or_default();
    let identifier = raw.trim().to_lowercase();
    match check_identifier(&identifier) {
        Ok(identifier) => {
            let mut location = format!("/saml/{identifier}");
            if let Some(return_to) = query.return_to.as_deref().filter(|r| !r.is_empty()) {
                location.push_str(&format!("?return_to={}", encode_query_value(return_to)));
            }
            moving_on_page(&location)
        }
        Err(e) => back_to_login(e.code, &raw),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
}

async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    identifier: web::Path<String>,
    query: web::Query<LoginQuery>,
) -> HttpResponse {
    let Some(binding) = visitor(&req).and_then(|v| v.csrf_binding) else {
        return error_page(500, &AppError::new(ErrorCode::Internal), None, &identifier);
    };
    match sso::start_login(&state, &identifier, &binding, query.return_to.as_deref()).await {
        Ok(SsoRedirect::Location(url)) => see_other(&url),
        Ok(SsoRedirect::PostForm {
            action,
            saml_request,
            relay_state,
        }) => auto_post_page(
            &action,
            &[("SAMLRequest", &saml_request), ("RelayState", &relay_state)],
            "Continue to your identity provider",
        ),
        Err(e) if e.code == ErrorCode::IdpNotFound => back_to_login(e.code, &identifier),
        Err(e) => error_page(e.code.status(), &e, None, &identifier),
    }
}

#[derive(Deserialize)]
pub struct MergeForm {
    csrf_token: Option<String>,
    organization_id: Option<String>,
    consent: Option<String>,
}

/// The consent page's form: checks the person and their consent, then sends them to the identity provider. Refusals
/// go back to the consent page, which explains them.
async fn merge(
    req: HttpRequest,
    state: web::Data<AppState>,
    identifier: web::Path<String>,
    form: web::Form<MergeForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let back = |code: ErrorCode| {
        see_other(&format!(
            "/preferences/enterprise-sso?identifier={}&merge_error={}",
            encode_query_value(&identifier),
            code.as_str()
        ))
    };
    let Some(visitor) = visitor(&req) else {
        return error_page(500, &AppError::new(ErrorCode::Internal), None, &identifier);
    };
    let Some(signed_in) = visitor.signed_in.as_ref() else {
        return see_other("/login?next=%2Fpreferences");
    };
    if let Err(e) = state
        .csrf
        .verify(visitor.csrf_binding.as_deref(), form.csrf_token.as_deref())
    {
        return back(e.code);
    }
    let organization_id = match form.organization_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => match raw.parse() {
            Ok(id) => Some(id),
            Err(_) => return back(ErrorCode::MergeOrganizationRequired),
        },
    };
    let session_token = visitor.csrf_binding.as_deref().unwrap_or_default();
    match merge::start(
        &state,
        signed_in.user.id,
        session_token,
        &identifier,
        organization_id,
        form.consent.is_some(),
    )
    .await
    {
        Ok(SsoRedirect::Location(url)) => moving_on_page(&url),
        Ok(SsoRedirect::PostForm {
            action,
            saml_request,
            relay_state,
        }) => auto_post_page(
            &action,
            &[("SAMLRequest", &saml_request), ("RelayState", &relay_state)],
            "Continue to your identity provider",
        ),
        Err(e) => back(e.code),
    }
}

/// A page that moves on to `location` by itself: browsers apply a form page's `form-action 'self'` to every redirect
/// after its submission, and the identity provider is on another origin.
fn moving_on_page(location: &str) -> HttpResponse {
    let body = format!(
        "<section class=\"card\"><h1>Signing you in…</h1><p>Taking you to your identity provider.</p>\
         <p><a class=\"button button-primary\" href=\"{href}\">Continue</a></p></section>",
        href = escape(location)
    );
    let refresh = format!(
        "<meta http-equiv=\"refresh\" content=\"0;url={}\">",
        escape(location)
    );
    html_page_with_head(200, "Signing in", &refresh, &body, None, None)
}

#[derive(Deserialize)]
pub struct AcsForm {
    #[serde(rename = "SAMLResponse")]
    saml_response: Option<String>,
    #[serde(rename = "RelayState")]
    relay_state: Option<String>,
    /// Set by our own re-post, so a browser without cookies is not sent round in circles.
    cookie_check: Option<String>,
}

async fn acs(
    req: HttpRequest,
    state: web::Data<AppState>,
    identifier: web::Path<String>,
    form: web::Form<AcsForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let Some(saml_response) = form.saml_response.filter(|r| !r.trim().is_empty()) else {
        let err = AppError::new(ErrorCode::SsoLoginFailed)
            .with_message("The identity provider posted no SAMLResponse.");
        return error_page(400, &err, None, &identifier);
    };
    let has_cookie =
        req.cookie(PRE_LOGIN_COOKIE).is_some() || req.cookie(sessions::COOKIE).is_some();
    if !has_cookie && form.cookie_check.is_none() {
        // Checked before the values are echoed back (later posts are checked, and recorded, by the service).
        if let Err(refusal) = check_post_sizes(&saml_response, form.relay_state.as_deref()) {
            let err = AppError::new(ErrorCode::SsoLoginFailed).with_message(refusal.message());
            return error_page(413, &err, Some(refusal.code.as_str()), &identifier);
        }
        let relay_state = form.relay_state.unwrap_or_default();
        return auto_post_page(
            &format!("/saml/{}/acs", encode_query_value(&identifier)),
            &[
                ("SAMLResponse", &saml_response),
                ("RelayState", &relay_state),
                ("cookie_check", "1"),
            ],
            "Continue signing in",
        );
    }
    let visitor = visitor(&req);
    let binding = visitor.as_ref().and_then(|v| v.csrf_binding.clone());
    let origin = visitor.map(|v| v.origin).unwrap_or_else(|| Origin {
        ip: "unknown".into(),
        user_agent: None,
    });
    match sso::complete_login(
        &state,
        &identifier,
        &saml_response,
        form.relay_state.as_deref(),
        binding.as_deref(),
        &origin,
    )
    .await
    {
        Ok(SsoSignedIn {
            progress:
                Progress::SignedIn {
                    session_token,
                    next,
                },
            ..
        }) => signed_in(&state, &session_token, &next),
        // Two-factor authentication is on: the code is asked for now that the identity provider vouched.
        Ok(SsoSignedIn {
            progress: Progress::Waiting(_),
            ..
        }) => see_other("/login/two-factor"),
        Ok(SsoSignedIn {
            progress: Progress::Confirm { email },
            minted_pre_login,
            ..
        }) => {
            let provider = identity_providers::find_by_identifier(&state.db, &identifier)
                .await
                .map(|idp| idp.name)
                .unwrap_or_else(|_| identifier.to_string());
            let token = minted_pre_login
                .as_deref()
                .or(binding.as_deref())
                .map(|b| state.csrf.token_for(b))
                .unwrap_or_default();
            let mut page = confirmation_page(&email, &provider, &token);
            if let Some(value) = minted_pre_login {
                if let Err(e) =
                    page.add_cookie(&pre_login_cookie(value, state.config.secure_cookies()))
                {
                    tracing::error!(error = %e, "could not set the pre-login cookie");
                }
            }
            page
        }
        Err(AcsFailure::Refused(refusal)) => {
            let err = AppError::new(ErrorCode::SsoLoginFailed).with_message(refusal.message());
            error_page(403, &err, Some(refusal.code.as_str()), &identifier)
        }
        // Which accounts exist, and why this one may not be signed in, is for the provider's administrators (its
        // page keeps the diagnosis): anyone can register a provider and assert any address, so the person sees
        // the same refusal whatever exists.
        Err(AcsFailure::App(err)) if err.code == ErrorCode::SsoNoAccount => error_page(
            err.code.status(),
            &AppError::new(ErrorCode::SsoNoAccount),
            None,
            &identifier,
        ),
        Err(AcsFailure::App(err)) => error_page(err.code.status(), &err, None, &identifier),
    }
}

/// The session cookie set, on to `next`.
fn signed_in(state: &AppState, session_token: &str, next: &str) -> HttpResponse {
    let cookie = session_cookie(
        session_token,
        state.config.secure_cookies(),
        state.config.session_absolute_hours,
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .cookie(cookie)
        .finish()
}

/// "Continue as … via …?": an SSO login nobody started in this browser, or one that would replace another
/// person's session, goes on only when the person says so (login CSRF; see `services::login`).
fn confirmation_page(email: &str, provider: &str, csrf_token: &str) -> HttpResponse {
    let body = format!(
        "<section class=\"card\" id=\"sso-confirm\"><h1>Continue as {email}?</h1>\
         <p>Your identity provider, <strong>{provider}</strong>, signed you in to Portcullis as \
         <strong>{email}</strong>.</p>\
         <p class=\"muted\">Continue only if you started this sign-in yourself. A page elsewhere can send you here to \
         sign you in to an account of its choosing; if this browser is signed in as someone else, continuing signs \
         them out.</p>\
         <form method=\"post\" action=\"/saml/confirm\"><input type=\"hidden\" name=\"csrf_token\" value=\"{token}\">\
         <p class=\"actions\"><button class=\"button primary\" type=\"submit\">Continue as {email}</button> \
         <a class=\"button\" href=\"/\">Cancel</a></p></form></section>",
        email = escape(email),
        provider = escape(provider),
        token = escape(csrf_token),
    );
    html_page(200, "Continue signing in?", &body, None, None)
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    csrf_token: Option<String>,
}

/// `POST /saml/confirm`: the person confirmed the SSO login waiting in this browser.
async fn confirm(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<ConfirmForm>,
) -> HttpResponse {
    let Some(visitor) = visitor(&req) else {
        return error_page(500, &AppError::new(ErrorCode::Internal), None, "");
    };
    if let Err(e) = state
        .csrf
        .verify(visitor.csrf_binding.as_deref(), form.csrf_token.as_deref())
    {
        return error_page(e.code.status(), &e, None, "");
    }
    match login::confirm_sso(&state, visitor.csrf_binding.as_deref(), &visitor.origin).await {
        Ok(Progress::SignedIn {
            session_token,
            next,
        }) => signed_in(&state, &session_token, &next),
        Ok(Progress::Waiting(_)) => see_other("/login/two-factor"),
        Ok(Progress::Confirm { .. }) | Err(_) => {
            let err = AppError::new(ErrorCode::LoginChallengeExpired)
                .with_message("This sign-in is no longer waiting. Sign in again.");
            error_page(410, &err, None, "")
        }
    }
}

async fn metadata(state: web::Data<AppState>, identifier: web::Path<String>) -> HttpResponse {
    match identity_providers::sp_metadata(&state, &identifier).await {
        Ok(xml) => HttpResponse::Ok()
            .content_type("application/samlmetadata+xml; charset=utf-8")
            .body(xml),
        Err(e) => HttpResponse::build(
            actix_web::http::StatusCode::from_u16(e.code.status())
                .unwrap_or(actix_web::http::StatusCode::NOT_FOUND),
        )
        .content_type("text/plain; charset=utf-8")
        .body(e.message),
    }
}

/// A form that posts itself (script with this page's nonce); without JavaScript, the person presses the button.
fn auto_post_page(action: &str, fields: &[(&str, &str)], button: &str) -> HttpResponse {
    let nonce = random_token();
    let inputs: String = fields
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                escape(name),
                escape(value)
            )
        })
        .collect();
    let body = format!(
        "<section class=\"card\"><h1>Signing you in…</h1><form id=\"sso-continue\" method=\"post\" action=\"{action}\">{inputs}\
         <p>If nothing happens, press the button.</p><button class=\"button primary\" type=\"submit\">{button}</button></form></section>\
         <script nonce=\"{nonce}\">document.getElementById('sso-continue').submit();</script>",
        action = escape(action),
        button = escape(button),
    );
    html_page(
        200,
        "Signing in",
        &body,
        Some(&nonce),
        origin_of(action).as_deref(),
    )
}

/// What the person sees when SSO fails: the plain message, the code to quote to an administrator (who finds the
/// full diagnosis on the identity provider's page), and ways on.
fn error_page(
    status: u16,
    err: &AppError,
    saml_code: Option<&str>,
    identifier: &str,
) -> HttpResponse {
    let code = saml_code.unwrap_or(err.code.as_str());
    let is_merge = err.code.as_str().starts_with("merge.");
    let (heading, retry) = if is_merge {
        (
            "Enterprise SSO was not enabled",
            "<a class=\"button primary\" href=\"/preferences\">Back to preferences</a> ".to_owned(),
        )
    } else if err.code == ErrorCode::IdpNotFound || identifier.is_empty() {
        ("Single sign-on failed", String::new())
    } else {
        (
            "Single sign-on failed",
            format!(
                "<a class=\"button primary\" href=\"/saml/{}\">Try again</a> ",
                encode_query_value(identifier)
            ),
        )
    };
    let back_to_login = if is_merge {
        ""
    } else {
        "<a class=\"button\" href=\"/login\">Back to log in</a>"
    };
    let body = format!(
        "<section class=\"card sso-error\"><h1>{heading}</h1><p class=\"error-message\" role=\"alert\">{message}</p>\
         <p class=\"muted\">Error code <code>{code}</code>. If this keeps happening, give this code to your administrator: \
         the identity provider's page in Portcullis shows what went wrong in detail.</p>\
         <p class=\"actions\">{retry}{back_to_login}</p></section>",
        message = escape(&err.message),
        code = escape(code),
    );
    html_page(status, heading, &body, None, None)
}
