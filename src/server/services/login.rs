//! The login state machine. A login passes its first factor (password, or an SSO response), then, depending on the
//! account, goes straight to a session, or waits in a challenge bound to the browser for a second factor (a TOTP or
//! recovery code), or, when one of the person's organizations requires 2FA for password logins and the account has
//! none, for enrolment. A challenge lives ten minutes and allows five wrong codes; then the login starts over.
//!
//! An SSO login that nobody in this browser started here (IdP-initiated), or that would replace the signed-in
//! session of a different person, first waits for the person to confirm it ("Continue as … via …?"), so a page
//! elsewhere cannot silently sign the visitor in to an account of its choosing (login CSRF).
//!
//! ```text
//!     SSO first factor, unsolicited or replacing another person ──▶ [confirm] ──confirmed──▶ first factor (below)
//!
//!     first factor ──▶ 2FA on? ──yes──▶ [code] ──valid code──▶ session
//!                        │ no
//!                        ▼
//!            password and an organization requires 2FA? ──yes──▶ [enrol] ──valid code──▶ session (+ recovery codes)
//!                        │ no
//!                        ▼
//!                     session
//! ```

use chrono::Duration;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait,
    QueryFilter, QueryOrder,
};

use crate::server::auth::sessions::SsoOrigin;
use crate::server::auth::tokens::{hash_token, random_token};
use crate::server::auth::totp;
use crate::server::db::begin_write;
use crate::server::db::entities::{login_challenge, organization, user};
use crate::server::services::accounts::{find_user, open_session, Origin};
use crate::server::services::audit::{self, AuditActor, AuditEvent};
use crate::server::services::{organizations, two_factor};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{EnrolledAtLogin, LoginChallengeView, LoginStep};

const CHALLENGE_MINUTES: i64 = 10;
const MAX_WRONG_CODES: i32 = 5;

/// The waiting states of a challenge, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Waiting {
    Code,
    Enrolment,
    /// An SSO login the person must confirm before anything else (see the module header).
    Confirmation,
}

impl Waiting {
    fn as_str(self) -> &'static str {
        match self {
            Waiting::Code => "code",
            Waiting::Enrolment => "enrol",
            Waiting::Confirmation => "confirm",
        }
    }

    fn of(challenge: &login_challenge::Model) -> Waiting {
        match challenge.step.as_str() {
            "enrol" => Waiting::Enrolment,
            "confirm" => Waiting::Confirmation,
            _ => Waiting::Code,
        }
    }

    fn step(self) -> LoginStep {
        match self {
            Waiting::Code | Waiting::Confirmation => LoginStep::SecondFactor,
            Waiting::Enrolment => LoginStep::Enrolment,
        }
    }
}

/// A first factor that was just accepted.
pub struct FirstFactor<'a> {
    pub account: &'a user::Model,
    /// `password` or `saml`.
    pub auth_method: &'a str,
    /// The identity provider that vouched, for an SSO login.
    pub sso_origin: Option<SsoOrigin>,
    pub next: String,
    pub origin: &'a Origin,
    /// The browser's cookie (pre-login or session) the second step must come from.
    pub browser_binding: Option<&'a str>,
    /// The person must confirm this SSO login first (unsolicited, or replacing another person's session).
    pub confirm: bool,
}

/// What follows a factor.
#[derive(Debug)]
pub enum Progress {
    SignedIn {
        session_token: String,
        next: String,
    },
    /// A challenge was opened; the browser goes to `/login/two-factor`.
    Waiting(LoginStep),
    /// The person is asked to confirm the SSO login (as the account with this address); then it goes on.
    Confirm {
        email: String,
    },
}

/// The organizations of the account that require 2FA for password logins.
async fn organizations_requiring_two_factor(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<Vec<organization::Model>> {
    let ids = organizations::membership_ids(db, user_id).await?;
    Ok(organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .filter(organization::Column::RequireTwoFactor.eq(true))
        .order_by_asc(organization::Column::Name)
        .all(db)
        .await?)
}

/// Decides what follows an accepted first factor, writing through `db` (the caller's transaction at the ACS).
pub async fn after_first_factor(
    db: &impl ConnectionTrait,
    state: &AppState,
    passed: FirstFactor<'_>,
) -> AppResult<Progress> {
    let account = passed.account;
    let waiting = if passed.confirm {
        Some(Waiting::Confirmation)
    } else if two_factor::is_enabled(db, account.id).await? {
        Some(Waiting::Code)
    } else if passed.auth_method == "password"
        && !organizations_requiring_two_factor(db, account.id)
            .await?
            .is_empty()
    {
        Some(Waiting::Enrolment)
    } else {
        None
    };
    let Some(waiting) = waiting else {
        let now = state.now();
        let session_token = open_session(
            db,
            state,
            account.id,
            passed.auth_method,
            passed.sso_origin,
            passed.origin,
            now,
        )
        .await?;
        return Ok(Progress::SignedIn {
            session_token,
            next: passed.next,
        });
    };
    let binding = passed
        .browser_binding
        .map(hash_token)
        .ok_or_else(|| AppError::new(ErrorCode::LoginChallengeExpired))?;
    let now = state.now();
    // One login at a time per browser.
    login_challenge::Entity::delete_many()
        .filter(login_challenge::Column::BrowserBinding.eq(binding.as_str()))
        .exec(db)
        .await?;
    login_challenge::ActiveModel {
        id: Set(random_token()),
        browser_binding: Set(binding),
        user_id: Set(account.id),
        auth_method: Set(passed.auth_method.to_owned()),
        identity_provider_id: Set(passed.sso_origin.map(|o| o.identity_provider_id)),
        identity_provider_revision: Set(passed.sso_origin.map(|o| o.revision)),
        sso_not_on_or_after: Set(passed.sso_origin.and_then(|o| o.not_on_or_after)),
        step: Set(waiting.as_str().to_owned()),
        pending_secret: Set((waiting == Waiting::Enrolment).then(totp::generate_secret)),
        return_to: Set(Some(passed.next)),
        attempts: Set(0),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(CHALLENGE_MINUTES)),
    }
    .insert(db)
    .await?;
    tracing::info!(
        user_id = account.id,
        step = waiting.as_str(),
        "login waits for the next step"
    );
    if waiting == Waiting::Confirmation {
        return Ok(Progress::Confirm {
            email: account.email.clone(),
        });
    }
    Ok(Progress::Waiting(waiting.step()))
}

/// The person confirmed the SSO login waiting in this browser: it goes on as if just accepted (second factor,
/// enrolment or session).
pub async fn confirm_sso(
    state: &AppState,
    browser_binding: Option<&str>,
    origin: &Origin,
) -> AppResult<Progress> {
    let challenge = any_open_challenge(state, browser_binding).await?;
    if Waiting::of(&challenge) != Waiting::Confirmation {
        return Err(AppError::new(ErrorCode::LoginChallengeExpired));
    }
    let account = find_user(&state.db, challenge.user_id).await?;
    let txn = begin_write(&state.db).await?;
    let removed = login_challenge::Entity::delete_by_id(challenge.id.clone())
        .exec(&txn)
        .await?;
    if removed.rows_affected != 1 {
        return Err(AppError::new(ErrorCode::LoginChallengeExpired));
    }
    let sso_origin = sso_origin_of(&challenge);
    let progress = after_first_factor(
        &txn,
        state,
        FirstFactor {
            account: &account,
            auth_method: &challenge.auth_method,
            sso_origin,
            next: crate::shared::paths::safe_next(challenge.return_to.as_deref()),
            origin,
            browser_binding,
            confirm: false,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(progress)
}

/// The identity provider a waiting SSO login came through, as the session will record it.
fn sso_origin_of(challenge: &login_challenge::Model) -> Option<SsoOrigin> {
    challenge
        .identity_provider_id
        .zip(challenge.identity_provider_revision)
        .map(|(identity_provider_id, revision)| SsoOrigin {
            identity_provider_id,
            revision,
            not_on_or_after: challenge.sso_not_on_or_after,
        })
}

/// The browser's open challenge for a second factor or enrolment (a login waiting for confirmation is not one).
async fn open_challenge(
    state: &AppState,
    browser_binding: Option<&str>,
) -> AppResult<login_challenge::Model> {
    let challenge = any_open_challenge(state, browser_binding).await?;
    if Waiting::of(&challenge) == Waiting::Confirmation {
        return Err(AppError::new(ErrorCode::LoginChallengeExpired));
    }
    Ok(challenge)
}

/// The browser's open challenge, whatever it waits for.
async fn any_open_challenge(
    state: &AppState,
    browser_binding: Option<&str>,
) -> AppResult<login_challenge::Model> {
    let expired = || AppError::new(ErrorCode::LoginChallengeExpired);
    let binding = browser_binding.map(hash_token).ok_or_else(expired)?;
    login_challenge::Entity::find()
        .filter(login_challenge::Column::BrowserBinding.eq(binding))
        .filter(login_challenge::Column::ExpiresAt.gt(state.now()))
        .one(&state.db)
        .await?
        .ok_or_else(expired)
}

/// What the second-step page shows.
pub async fn challenge_view(
    state: &AppState,
    browser_binding: Option<&str>,
) -> AppResult<LoginChallengeView> {
    let challenge = open_challenge(state, browser_binding).await?;
    let account = find_user(&state.db, challenge.user_id).await?;
    let waiting = Waiting::of(&challenge);
    let (enrolment, required_by) = match (waiting, &challenge.pending_secret) {
        (Waiting::Enrolment, Some(secret)) => (
            Some(two_factor::enrolment_view(secret, &account.email)?),
            organizations_requiring_two_factor(&state.db, account.id)
                .await?
                .into_iter()
                .map(|o| o.name)
                .collect(),
        ),
        _ => (None, Vec::new()),
    };
    Ok(LoginChallengeView {
        step: waiting.step(),
        email: account.email,
        enrolment,
        required_by,
    })
}

/// Counts a code attempt on the challenge (outside any transaction, so wrong codes count); after too many, the
/// challenge is gone and the login starts over.
async fn count_wrong_code_budget(
    state: &AppState,
    challenge: &login_challenge::Model,
) -> AppResult<()> {
    let counted = login_challenge::Entity::update_many()
        .col_expr(
            login_challenge::Column::Attempts,
            Expr::col(login_challenge::Column::Attempts).add(1),
        )
        .filter(login_challenge::Column::Id.eq(challenge.id.as_str()))
        .filter(login_challenge::Column::Attempts.lt(MAX_WRONG_CODES))
        .exec(&state.db)
        .await?;
    if counted.rows_affected != 1 {
        login_challenge::Entity::delete_by_id(challenge.id.clone())
            .exec(&state.db)
            .await?;
        return Err(AppError::new(ErrorCode::LoginChallengeExpired)
            .with_message("Too many wrong codes. Log in again."));
    }
    two_factor::count_attempt(state, challenge.user_id).await
}

/// Ends the challenge (it must still exist: a concurrent submission that finished first wins) and opens the session.
async fn finish(
    db: &impl ConnectionTrait,
    state: &AppState,
    challenge: &login_challenge::Model,
    origin: &Origin,
) -> AppResult<(String, String)> {
    let removed = login_challenge::Entity::delete_by_id(challenge.id.clone())
        .exec(db)
        .await?;
    if removed.rows_affected != 1 {
        return Err(AppError::new(ErrorCode::LoginChallengeExpired));
    }
    let session_token = open_session(
        db,
        state,
        challenge.user_id,
        &challenge.auth_method,
        sso_origin_of(challenge),
        origin,
        state.now(),
    )
    .await?;
    let next = crate::shared::paths::safe_next(challenge.return_to.as_deref());
    Ok((session_token, next))
}

/// The second factor of a login: a TOTP code or a recovery code. Returns the session cookie and where to go.
pub async fn submit_code(
    state: &AppState,
    browser_binding: Option<&str>,
    code: &str,
    origin: &Origin,
) -> AppResult<(String, String)> {
    let challenge = open_challenge(state, browser_binding).await?;
    if Waiting::of(&challenge) != Waiting::Code {
        return Err(AppError::new(ErrorCode::TwoFactorNotEnabled)
            .with_message("Set up two-factor authentication to finish logging in."));
    }
    count_wrong_code_budget(state, &challenge).await?;
    let now = state.now();
    let event = || {
        AuditEvent::new("login.second_factor")
            .about(challenge.user_id)
            .from_address(&origin.ip)
            .detail(format!("after {}", challenge.auth_method))
    };
    let txn = begin_write(&state.db).await?;
    let used = match two_factor::verify(&txn, challenge.user_id, code, now).await {
        Ok(used) => used,
        Err(err) => {
            drop(txn);
            audit::record_refusal(&state.db, now, event().refused(err.code.as_str())).await;
            return Err(err);
        }
    };
    let signed_in = finish(&txn, state, &challenge, origin).await?;
    audit::record(&txn, now, event().by(AuditActor::Person(challenge.user_id))).await?;
    txn.commit().await?;
    tracing::info!(user_id = challenge.user_id, factor = ?used, "logged in with a second factor");
    Ok(signed_in)
}

/// Enrolment at login (an organization requires 2FA): the code proves the app has the secret; 2FA is turned on,
/// the session opens, and the recovery codes are shown once.
pub async fn submit_enrolment(
    state: &AppState,
    browser_binding: Option<&str>,
    code: &str,
    origin: &Origin,
) -> AppResult<(String, EnrolledAtLogin)> {
    let challenge = open_challenge(state, browser_binding).await?;
    let secret = match (Waiting::of(&challenge), &challenge.pending_secret) {
        (Waiting::Enrolment, Some(secret)) => secret.clone(),
        _ => return Err(AppError::new(ErrorCode::TwoFactorNotEnrolling)),
    };
    count_wrong_code_budget(state, &challenge).await?;
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    // `activate` refuses when 2FA was turned on meanwhile (from preferences): this login then needs a code.
    let recovery_codes = two_factor::activate(&txn, challenge.user_id, &secret, code, now).await?;
    let (session_token, next) = finish(&txn, state, &challenge, origin).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new("two_factor.enabled")
            .by(AuditActor::Person(challenge.user_id))
            .about(challenge.user_id)
            .from_address(&origin.ip)
            .detail("set up during login, as an organization requires"),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(user_id = challenge.user_id, "enrolled in 2FA at login");
    Ok((
        session_token,
        EnrolledAtLogin {
            recovery_codes,
            next,
        },
    ))
}

/// Ends the account's logins waiting for a second factor (after a password change or reset: they passed the old
/// password).
pub async fn abandon_waiting_logins(db: &impl ConnectionTrait, user_id: i64) -> AppResult<u64> {
    Ok(login_challenge::Entity::delete_many()
        .filter(login_challenge::Column::UserId.eq(user_id))
        .exec(db)
        .await?
        .rows_affected)
}

/// Deletes challenges past their expiry.
pub async fn purge_expired(state: &AppState) -> AppResult<u64> {
    Ok(login_challenge::Entity::delete_many()
        .filter(login_challenge::Column::ExpiresAt.lte(state.now()))
        .exec(&state.db)
        .await?
        .rows_affected)
}
