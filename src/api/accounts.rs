//! Server functions for the visitor, sign-up, email verification, login, logout and password reset.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::shared::error::AppError;
use crate::shared::models::{EnrolledAtLogin, LoginChallengeView, LoginStep, Visit};

/// Who is signed in, and the CSRF token for this browser's forms.
#[server(endpoint = "visit")]
pub async fn get_visit() -> Result<Visit, AppError> {
    use crate::api::edge;
    use crate::server::services::accounts::current_user;
    edge::run(async move {
        let state = edge::state()?;
        let visitor = edge::visitor()?;
        Ok(Visit {
            user: visitor.signed_in.as_ref().map(|s| current_user(&s.user)),
            csrf_token: visitor.csrf_token(&state),
        })
    })
    .await
}

/// What the sign-up page shows after submitting.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum SignupResult {
    CheckEmail,
    SignedIn,
}

#[server(endpoint = "sign_up")]
pub async fn sign_up(
    csrf_token: Option<String>,
    name: String,
    email: String,
    password: String,
    invitation: Option<String>,
) -> Result<SignupResult, AppError> {
    use crate::api::edge;
    use crate::server::services::accounts::{self, SignupInput, SignupOutcome};
    edge::run(async move {
        let (state, visitor) = edge::form(csrf_token.as_deref())?;
        let input = SignupInput {
            name,
            email,
            password,
            invitation_token: invitation,
        };
        match accounts::sign_up(&state, input, &visitor.origin).await? {
            SignupOutcome::CheckEmail => {
                edge::redirect("/signup/check-email");
                Ok(SignupResult::CheckEmail)
            }
            SignupOutcome::SignedIn {
                session_token,
                organization_id,
            } => {
                edge::set_session_cookie(&state, &session_token);
                edge::redirect(&format!("/organizations/{organization_id}"));
                Ok(SignupResult::SignedIn)
            }
        }
    })
    .await
}

/// Confirms the email address of the link's account. The link's secret is its own proof, so no CSRF token.
#[server(endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<String, AppError> {
    use crate::api::edge;
    use crate::server::services::accounts;
    edge::run(async move {
        let state = edge::state()?;
        Ok(accounts::verify_email(&state, &token).await?.email)
    })
    .await
}

#[server(endpoint = "resend_verification")]
pub async fn resend_verification(
    csrf_token: Option<String>,
    email: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::accounts;
    edge::run(async move {
        let (state, visitor) = edge::form(csrf_token.as_deref())?;
        accounts::resend_verification(&state, &email, &visitor.origin).await?;
        edge::redirect("/signup/check-email");
        Ok(())
    })
    .await
}

/// Finishes a login that was challenged after many failed attempts, with the emailed link's token.
#[server(endpoint = "confirm_login")]
pub async fn confirm_login(
    csrf_token: Option<String>,
    token: String,
) -> Result<LoginStep, AppError> {
    use crate::api::edge;
    use crate::server::services::login_throttle;
    edge::run(async move {
        let (state, visitor) = edge::form(csrf_token.as_deref())?;
        let progress = login_throttle::confirm(
            &state,
            &token,
            &visitor.origin,
            visitor.csrf_binding.as_deref(),
        )
        .await?;
        Ok(edge::continue_login(&state, progress))
    })
    .await
}

#[server(endpoint = "log_in")]
pub async fn log_in(
    csrf_token: Option<String>,
    email: String,
    password: String,
    next: Option<String>,
) -> Result<LoginStep, AppError> {
    use crate::api::edge;
    use crate::server::services::accounts;
    edge::run(async move {
        let (state, visitor) = edge::form(csrf_token.as_deref())?;
        let progress = accounts::log_in(
            &state,
            &email,
            password,
            &visitor.origin,
            visitor.csrf_binding.as_deref(),
            next.as_deref(),
        )
        .await?;
        Ok(edge::continue_login(&state, progress))
    })
    .await
}

/// The second step of the browser's login: what to ask for.
#[server(endpoint = "login_challenge")]
pub async fn login_challenge() -> Result<LoginChallengeView, AppError> {
    use crate::api::edge;
    use crate::server::services::login;
    edge::run(async move {
        let state = edge::state()?;
        let visitor = edge::visitor()?;
        login::challenge_view(&state, visitor.csrf_binding.as_deref()).await
    })
    .await
}

/// Finishes a login with a code from the authenticator app or a recovery code.
#[server(endpoint = "log_in_second_factor")]
pub async fn log_in_second_factor(
    csrf_token: Option<String>,
    code: String,
) -> Result<LoginStep, AppError> {
    use crate::api::edge;
    use crate::server::services::login;
    edge::run(async move {
        let (state, visitor) = edge::form(csrf_token.as_deref())?;
        let (session_token, next) = login::submit_code(
            &state,
            visitor.csrf_binding.as_deref(),
            &code,
            &visitor.origin,
        )
        .await?;
        Ok(edge::continue_login(
            &state,
            login::Progress::SignedIn {
                session_token,
                next,
            },
        ))
    })
    .await
}

/// Finishes a login by setting up 2FA (an organization requires it); returns the recovery codes to show once.
#[server(endpoint = "log_in_enrol")]
pub async fn log_in_enrol(
    csrf_token: Option<String>,
    code: String,
) -> Result<EnrolledAtLogin, AppError> {
    use crate::api::edge;
    use crate::server::services::login;
    edge::run(async move {
        let (state, visitor) = edge::form(csrf_token.as_deref())?;
        let (session_token, enrolled) = login::submit_enrolment(
            &state,
            visitor.csrf_binding.as_deref(),
            &code,
            &visitor.origin,
        )
        .await?;
        // No redirect: the page shows the recovery codes first, then links on.
        edge::set_session_cookie(&state, &session_token);
        Ok(enrolled)
    })
    .await
}

#[server(endpoint = "log_out")]
pub async fn log_out(csrf_token: Option<String>) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::auth::sessions;
    edge::run(async move {
        let (state, visitor) = edge::form(csrf_token.as_deref())?;
        if let (Some(_), Some(token)) = (&visitor.signed_in, &visitor.csrf_binding) {
            sessions::end(&state.db, token).await?;
        }
        edge::clear_session_cookie(&state);
        edge::redirect("/login?logged_out=1");
        Ok(())
    })
    .await
}

#[server(endpoint = "request_password_reset")]
pub async fn request_password_reset(
    csrf_token: Option<String>,
    email: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::accounts;
    edge::run(async move {
        let (state, visitor) = edge::form(csrf_token.as_deref())?;
        accounts::request_password_reset(&state, &email, &visitor.origin).await?;
        edge::redirect("/forgot-password/sent");
        Ok(())
    })
    .await
}

#[server(endpoint = "reset_password")]
pub async fn reset_password(
    csrf_token: Option<String>,
    token: String,
    password: String,
    confirm_password: String,
) -> Result<(), AppError> {
    use crate::api::edge;
    use crate::server::services::accounts;
    use crate::shared::error::ErrorCode;
    edge::run(async move {
        let (state, _) = edge::form(csrf_token.as_deref())?;
        if password != confirm_password {
            return Err(AppError::new(ErrorCode::PasswordMismatch).on_field("confirm_password"));
        }
        accounts::reset_password(&state, &token, password).await?;
        edge::redirect("/login?reset=1");
        Ok(())
    })
    .await
}
