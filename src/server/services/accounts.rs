//! Accounts: sign-up with email verification, password login, password reset and change, profile changes, and the
//! signed-in devices list. No answer here tells a stranger whether an email address has an account.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    QueryFilter,
};

use crate::server::auth::sessions::{self, NewSession, SsoLifetime, SsoOrigin};
use crate::server::auth::tokens::{hash_token, random_token};
use crate::server::auth::{password, rate_limit};
use crate::server::db::entities::{email_token, identity_provider, invitation, user};
use crate::server::db::{begin_write, is_unique_violation};
use crate::server::mail::Email;
use crate::server::services::audit::{self, AuditActor, AuditEvent};
use crate::server::services::{enforcement, login, login_throttle, merge, organizations};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{CurrentUser, SessionView};
use crate::shared::paths::safe_next;

const VERIFY_PURPOSE: &str = "verify_email";
const RESET_PURPOSE: &str = "reset_password";
const VERIFY_LIFETIME_HOURS: i64 = 48;
const RESET_LIFETIME_MINUTES: i64 = 60;
/// An SSO session's lifetime when its identity provider is gone.
const DEFAULT_SSO_SESSION_MINUTES: i64 = 12 * 60;

/// Where a request came from, for rate limits and the signed-in devices list.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: String,
    pub user_agent: Option<String>,
}

/// Opens a session for `user_id` (returns the cookie value), recording how and from where the person signed in.
/// An SSO session (`sso_origin`) lasts as long as that provider's setting allows, capped by the
/// configuration.
pub async fn open_session(
    db: &impl ConnectionTrait,
    state: &AppState,
    user_id: i64,
    auth_method: &str,
    sso_origin: Option<SsoOrigin>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> AppResult<String> {
    let sso = match sso_origin {
        Some(sso_origin) => {
            let minutes = identity_provider::Entity::find_by_id(sso_origin.identity_provider_id)
                .one(db)
                .await?
                .map_or(DEFAULT_SSO_SESSION_MINUTES, |idp| {
                    i64::from(idp.session_lifetime_minutes)
                });
            Some(SsoLifetime {
                identity_provider_id: sso_origin.identity_provider_id,
                revision: sso_origin.revision,
                lifetime: Duration::minutes(minutes.min(state.config.sso_session_max_minutes)),
                not_on_or_after: sso_origin.not_on_or_after,
            })
        }
        None => None,
    };
    sessions::create(
        db,
        NewSession {
            user_id,
            auth_method,
            user_agent: origin.user_agent.clone(),
            ip_address: Some(origin.ip.clone()),
            sso,
        },
        state.session_lifetimes(),
        now,
    )
    .await
}

pub struct SignupInput {
    pub name: String,
    pub email: String,
    pub password: String,
    /// An invitation link's token: signing up from it proves the mailbox, so the account starts verified and joins.
    pub invitation_token: Option<String>,
}

/// What happened at sign-up, without saying whether the address already had an account.
#[derive(Debug, PartialEq, Eq)]
pub enum SignupOutcome {
    /// Check your mailbox (a verification link, or a note that the address already has an account).
    CheckEmail,
    /// Signed up from an invitation to this address: signed in at once, with this session cookie.
    SignedIn {
        session_token: String,
        organization_id: i64,
    },
}

/// Trims, lowercases and checks an email address.
pub fn normalize_email(raw: &str) -> AppResult<String> {
    let email = raw.trim().to_lowercase();
    let invalid = || AppError::new(ErrorCode::EmailInvalid).on_field("email");
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    if local.is_empty() || local.len() > 64 || local.contains('@') || !domain_ok {
        return Err(invalid());
    }
    Ok(email)
}

/// Trims a display name and checks its length.
pub fn normalize_name(raw: &str) -> AppResult<String> {
    let name = raw.trim().to_string();
    let length = name.chars().count();
    if length == 0 || length > 100 || name.chars().any(char::is_control) {
        return Err(AppError::new(ErrorCode::NameInvalid).on_field("name"));
    }
    Ok(name)
}

pub fn current_user(model: &user::Model) -> CurrentUser {
    CurrentUser {
        id: model.id,
        name: model.name.clone(),
        email: model.email.clone(),
        has_password: model.password_hash.is_some(),
    }
}

pub async fn find_user(db: &impl ConnectionTrait, user_id: i64) -> AppResult<user::Model> {
    user::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotSignedIn))
}

pub async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await?)
}

/// The account with this id, if it still exists.
pub(crate) async fn find_by_id(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(user_id).one(db).await?)
}

pub(crate) async fn issue_email_token(
    db: &impl ConnectionTrait,
    user_id: i64,
    purpose: &str,
    lifetime: Duration,
    state: &AppState,
) -> AppResult<String> {
    let token = random_token();
    let now = state.now();
    email_token::ActiveModel {
        user_id: Set(user_id),
        purpose: Set(purpose.to_owned()),
        token_hash: Set(hash_token(&token)),
        created_at: Set(now),
        expires_at: Set(now + lifetime),
        used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// The stored link token for `token`, whatever its state.
pub(crate) async fn find_email_token(
    db: &impl ConnectionTrait,
    token: &str,
    purpose: &str,
) -> AppResult<email_token::Model> {
    email_token::Entity::find()
        .filter(email_token::Column::TokenHash.eq(hash_token(token.trim())))
        .filter(email_token::Column::Purpose.eq(purpose))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::TokenInvalid))
}

/// Refuses a link that was used already or has expired.
pub(crate) fn check_usable(found: &email_token::Model, now: DateTime<Utc>) -> AppResult<()> {
    if found.used_at.is_some() {
        return Err(AppError::new(ErrorCode::TokenUsed));
    }
    if found.expires_at <= now {
        return Err(AppError::new(ErrorCode::TokenExpired));
    }
    Ok(())
}

/// Marks the link used with a conditional update, so that of two concurrent uses exactly one succeeds.
pub(crate) async fn claim_email_token(
    db: &impl ConnectionTrait,
    found: &email_token::Model,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let claimed = email_token::Entity::update_many()
        .col_expr(email_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(email_token::Column::Id.eq(found.id))
        .filter(email_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AppError::new(ErrorCode::TokenUsed));
    }
    Ok(())
}

fn verification_email(state: &AppState, to: &str, name: &str, token: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Verify your email address for Portcullis".into(),
        body: format!(
            "Hello {name},\n\nConfirm that this is your email address by opening this link:\n\n{}\n\n\
             The link works once and expires in {VERIFY_LIFETIME_HOURS} hours. If you did not sign up for Portcullis, \
             ignore this message.\n",
            state.link(&format!("/verify-email?token={token}"))
        ),
    }
}

/// Creates an account. An address that already has one gets an email saying so instead, and the page says the same
/// thing in both cases, so sign-up cannot be used to find out who has an account.
pub async fn sign_up(
    state: &AppState,
    input: SignupInput,
    origin: &Origin,
) -> AppResult<SignupOutcome> {
    let now = state.now();
    rate_limit::hit(
        &state.db,
        &format!("signup:ip:{}", origin.ip),
        state.config.rate_limit_per_ip,
        now,
    )
    .await?;
    let name = normalize_name(&input.name)?;
    let email = normalize_email(&input.email)?;
    // Also per address: every sign-up with a taken address sends its owner an email, which must not become spam.
    rate_limit::hit(
        &state.db,
        &format!("signup:account:{email}"),
        state.config.rate_limit_per_account,
        now,
    )
    .await?;
    password::check_strength(&input.password, &[&email, &name])?;
    let password_hash = password::hash(&state.pools.password, input.password).await?;

    let invitation = match input
        .invitation_token
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        Some(token) => Some(organizations::find_open_invitation(&state.db, token, now).await?),
        None => None,
    };
    let verified_by_invitation = invitation.as_ref().is_some_and(|inv| inv.email == email);
    if let Some(invitation) = &invitation {
        if let Some(refusal) =
            enforcement::refusal_for_invitation(state, invitation.organization_id).await?
        {
            return Err(refusal);
        }
    }

    let txn = begin_write(&state.db).await?;
    let inserted = user::ActiveModel {
        email: Set(email.clone()),
        name: Set(name.clone()),
        password_hash: Set(Some(password_hash)),
        email_verified_at: Set(verified_by_invitation.then_some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let new_user = match inserted {
        Ok(model) => model,
        Err(err) if is_unique_violation(&err) => {
            txn.rollback().await?;
            state
                .mailer
                .send_in_background(Email {
                    to: email.clone(),
                    subject: "You already have a Portcullis account".into(),
                    body: format!(
                        "Hello,\n\nSomeone (hopefully you) tried to sign up for Portcullis with this email address, \
                         but it already has an account.\n\nLog in: {}\nForgot your password? Reset it: {}\n\n\
                         If this was not you, you can ignore this message; your account has not changed.\n",
                        state.link("/login"),
                        state.link("/forgot-password")
                    ),
                });
            return Ok(SignupOutcome::CheckEmail);
        }
        Err(err) => return Err(err.into()),
    };

    if let (Some(invitation), true) = (invitation, verified_by_invitation) {
        let organization_id = invitation.organization_id;
        organizations::accept_invitation_in(&txn, invitation, new_user.id, now).await?;
        let session_token =
            open_session(&txn, state, new_user.id, "password", None, origin, now).await?;
        txn.commit().await?;
        tracing::info!(
            user_id = new_user.id,
            organization_id,
            "signed up from an invitation"
        );
        return Ok(SignupOutcome::SignedIn {
            session_token,
            organization_id,
        });
    }

    let token = issue_email_token(
        &txn,
        new_user.id,
        VERIFY_PURPOSE,
        Duration::hours(VERIFY_LIFETIME_HOURS),
        state,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(user_id = new_user.id, "signed up");
    state
        .mailer
        .send_in_background(verification_email(state, &email, &name, &token));
    Ok(SignupOutcome::CheckEmail)
}

/// Confirms an email address from the emailed link.
pub async fn verify_email(state: &AppState, token: &str) -> AppResult<CurrentUser> {
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    let found = find_email_token(&txn, token, VERIFY_PURPOSE).await?;
    let account = find_user(&txn, found.user_id).await?;
    // Mail scanners often open links before the person does: a used link of a verified account is a success.
    if found.used_at.is_some() && account.email_verified_at.is_some() {
        return Ok(current_user(&account));
    }
    check_usable(&found, now)?;
    claim_email_token(&txn, &found, now).await?;
    let mut active = account.into_active_model();
    active.email_verified_at = Set(Some(now));
    active.updated_at = Set(now);
    let updated = active.update(&txn).await?;
    txn.commit().await?;
    Ok(current_user(&updated))
}

/// Sends a new verification link if the address has an unverified account; answers the same either way.
pub async fn resend_verification(
    state: &AppState,
    raw_email: &str,
    origin: &Origin,
) -> AppResult<()> {
    let now = state.now();
    rate_limit::hit(
        &state.db,
        &format!("verify:ip:{}", origin.ip),
        state.config.rate_limit_per_ip,
        now,
    )
    .await?;
    let email = normalize_email(raw_email)?;
    rate_limit::hit(
        &state.db,
        &format!("verify:account:{email}"),
        state.config.rate_limit_per_account,
        now,
    )
    .await?;
    if let Some(found) = find_by_email(&state.db, &email).await? {
        if found.email_verified_at.is_none() {
            let token = issue_email_token(
                &state.db,
                found.id,
                VERIFY_PURPOSE,
                Duration::hours(VERIFY_LIFETIME_HOURS),
                state,
            )
            .await?;
            state
                .mailer
                .send_in_background(verification_email(state, &email, &found.name, &token));
        }
    }
    Ok(())
}

/// Checks email and password; then the login state machine decides: a session, or a second step.
///
/// Limits: every attempt counts against the address (all accounts together). Failed attempts count against the
/// account from that address and from everywhere; past either threshold the login is challenged by email instead of
/// refused (see `login_throttle`), so a stranger can never lock the owner out.
pub async fn log_in(
    state: &AppState,
    raw_email: &str,
    password_input: String,
    origin: &Origin,
    browser_binding: Option<&str>,
    next: Option<&str>,
) -> AppResult<login::Progress> {
    let now = state.now();
    rate_limit::hit(
        &state.db,
        &format!("login:ip:{}", origin.ip),
        state.config.rate_limit_per_ip,
        now,
    )
    .await?;
    let email =
        normalize_email(raw_email).map_err(|_| AppError::new(ErrorCode::InvalidCredentials))?;
    let counters = login_throttle::Counters::new(&email, &origin.ip);
    let challenged = login_throttle::is_challenged(state, &counters, now).await?;
    let found = find_by_email(&state.db, &email).await?;
    // An account that enabled Enterprise SSO is checked against its retired password: only someone who knows it
    // learns where the account signs in now.
    let stored_hash = found.as_ref().and_then(|u| {
        u.password_hash
            .clone()
            .or_else(|| u.retired_password_hash.clone())
    });
    // Always run one verification, against a dummy hash when there is no account, so timing reveals nothing.
    let password_ok = password::verify(&state.pools.password, password_input, stored_hash).await?;
    if challenged {
        // The same answer whether the password was right or not; only a right one sends the link.
        if !password_ok {
            login_throttle::record_failure(state, &counters, found.as_ref(), origin, now).await?;
        }
        let confirmed_by_mail = found.as_ref().filter(|_| password_ok);
        return Err(login_throttle::challenge(state, confirmed_by_mail).await?);
    }
    let account = match found {
        Some(account) if password_ok && account.password_hash.is_none() => {
            let identifier = merge::sso_identifier_of(&state.db, account.id).await?;
            let message = match identifier {
                Some(identifier) => format!(
                    "This account signs in with Enterprise SSO now, not with a password. Choose \"Log in with \
                     Enterprise SSO\" and enter the SSO identifier \"{identifier}\"."
                ),
                None => ErrorCode::SsoAccountPasswordRetired.default_message().to_owned(),
            };
            return Err(AppError::new(ErrorCode::SsoAccountPasswordRetired).with_message(message));
        }
        Some(account) if password_ok => account,
        found => {
            tracing::info!(email = %email, "login refused: invalid credentials");
            if let Some(account) = &found {
                audit_refused_login(state, account, origin, ErrorCode::InvalidCredentials, "")
                    .await;
            }
            login_throttle::record_failure(state, &counters, found.as_ref(), origin, now).await?;
            return Err(AppError::new(ErrorCode::InvalidCredentials));
        }
    };
    if account.email_verified_at.is_none() {
        audit_refused_login(state, &account, origin, ErrorCode::EmailNotVerified, "").await;
        return Err(AppError::new(ErrorCode::EmailNotVerified));
    }
    let enforcing = enforcement::enforced_login_urls(state, account.id).await?;
    if let Some((organization, url)) = enforcing.first() {
        let why = format!("{organization} allows only single sign-on");
        audit_refused_login(state, &account, origin, ErrorCode::SsoEnforced, &why).await;
        return Err(enforcement::password_login_refused(organization, url));
    }
    tracing::info!(user_id = account.id, "password accepted");
    let txn = begin_write(&state.db).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new("login.password")
            .by(AuditActor::Person(account.id))
            .about(account.id)
            .from_address(&origin.ip),
    )
    .await?;
    let progress = login::after_first_factor(
        &txn,
        state,
        login::FirstFactor {
            account: &account,
            auth_method: "password",
            sso_origin: None,
            next: safe_next(next),
            origin,
            browser_binding,
            confirm: false,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(progress)
}

/// Records a refused password login of an existing account (unknown addresses are not logged: nobody to show it to).
async fn audit_refused_login(
    state: &AppState,
    account: &user::Model,
    origin: &Origin,
    code: ErrorCode,
    detail: &str,
) {
    audit::record_refusal(
        &state.db,
        state.now(),
        AuditEvent::new("login.password")
            .about(account.id)
            .from_address(&origin.ip)
            .refused(code.as_str())
            .detail(detail),
    )
    .await;
}

/// Emails a single-use reset link valid for an hour if the address has an account; answers the same either way.
pub async fn request_password_reset(
    state: &AppState,
    raw_email: &str,
    origin: &Origin,
) -> AppResult<()> {
    let now = state.now();
    rate_limit::hit(
        &state.db,
        &format!("reset:ip:{}", origin.ip),
        state.config.rate_limit_per_ip,
        now,
    )
    .await?;
    let email = normalize_email(raw_email)?;
    rate_limit::hit(
        &state.db,
        &format!("reset:account:{email}"),
        state.config.rate_limit_per_account,
        now,
    )
    .await?;
    let Some(found) = find_by_email(&state.db, &email).await? else {
        tracing::info!("password reset requested for an address without an account");
        return Ok(());
    };
    if found.password_hash.is_none() {
        // An account without a password signs in through its company's identity provider; a reset link would
        // give it a password the company cannot take away.
        state.mailer.send_in_background(Email {
            to: email,
            subject: "Your Portcullis account uses single sign-on".into(),
            body: format!(
                "Hello {},\n\nSomeone asked to reset the password of your Portcullis account. Your account has no \
                 password: you sign in with your company's single sign-on. Choose \"Log in with Enterprise SSO\" on \
                 {} and enter the SSO identifier your administrator gave you.\n",
                found.name,
                state.link("/login")
            ),
        });
        return Ok(());
    }
    let token = issue_email_token(
        &state.db,
        found.id,
        RESET_PURPOSE,
        Duration::minutes(RESET_LIFETIME_MINUTES),
        state,
    )
    .await?;
    state
        .mailer
        .send_in_background(Email {
            to: email,
            subject: "Reset your Portcullis password".into(),
            body: format!(
                "Hello {},\n\nSomeone asked to reset the password of your Portcullis account. To choose a new \
                 password, open this link:\n\n{}\n\nThe link works once and expires in one hour. If you did not ask \
                 for this, ignore this message: your password has not changed.\n",
                found.name,
                state.link(&format!("/reset-password?token={token}"))
            ),
        });
    Ok(())
}

/// Sets a new password from a reset link. Every session of the account ends; the link also proves the mailbox.
pub async fn reset_password(state: &AppState, token: &str, new_password: String) -> AppResult<()> {
    let now = state.now();
    let found = find_email_token(&state.db, token, RESET_PURPOSE).await?;
    check_usable(&found, now)?;
    let account = find_user(&state.db, found.user_id).await?;
    if account.password_hash.is_none() {
        return Err(AppError::new(ErrorCode::TokenInvalid).with_message(
            "This account signs in with single sign-on and has no password to reset.",
        ));
    }
    password::check_strength(&new_password, &[&account.email, &account.name])?;
    // Hashed before the transaction: on SQLite the write lock would otherwise be held for the whole hash.
    let new_hash = password::hash(&state.pools.password, new_password).await?;

    let txn = begin_write(&state.db).await?;
    claim_email_token(&txn, &found, now).await?;
    let email = account.email.clone();
    let verified = account.email_verified_at.is_some();
    let mut active = account.into_active_model();
    if !verified {
        // The link reached the mailbox: that proves the address.
        active.email_verified_at = Set(Some(now));
    }
    active.password_hash = Set(Some(new_hash));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    // Other outstanding reset links die with this one.
    email_token::Entity::update_many()
        .col_expr(email_token::Column::UsedAt, Expr::value(Some(now)))
        .filter(email_token::Column::UserId.eq(found.user_id))
        .filter(email_token::Column::Purpose.eq(RESET_PURPOSE))
        .filter(email_token::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    sessions::revoke_all_except(&txn, found.user_id, None).await?;
    login::abandon_waiting_logins(&txn, found.user_id).await?;
    txn.commit().await?;
    state
        .mailer
        .send_in_background(password_changed_email(state, &email));
    Ok(())
}

fn password_changed_email(state: &AppState, to: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: "Your Portcullis password was changed".into(),
        body: format!(
            "Hello,\n\nThe password of your Portcullis account was just changed, and your other sessions were \
             signed out.\n\nIf this was not you, reset your password now: {}\n",
            state.link("/forgot-password")
        ),
    }
}

/// Changes the password of a signed-in account; other sessions end, this one stays.
pub async fn change_password(
    state: &AppState,
    user_id: i64,
    current_session_id: &str,
    current: String,
    new_password: String,
    confirmation: &str,
) -> AppResult<()> {
    let account = find_user(&state.db, user_id).await?;
    rate_limit::hit(
        &state.db,
        &format!("password_change:user:{user_id}"),
        state.config.rate_limit_per_account,
        state.now(),
    )
    .await?;
    if !password::verify(
        &state.pools.password,
        current,
        account.password_hash.clone(),
    )
    .await?
    {
        return Err(AppError::new(ErrorCode::CurrentPasswordWrong).on_field("current_password"));
    }
    if new_password != confirmation {
        return Err(AppError::new(ErrorCode::PasswordMismatch).on_field("confirm_password"));
    }
    password::check_strength(&new_password, &[&account.email, &account.name])?;
    let new_hash = password::hash(&state.pools.password, new_password).await?;
    let email = account.email.clone();
    let txn = begin_write(&state.db).await?;
    let mut active = account.into_active_model();
    active.password_hash = Set(Some(new_hash));
    active.updated_at = Set(state.now());
    active.update(&txn).await?;
    sessions::revoke_all_except(&txn, user_id, Some(current_session_id)).await?;
    login::abandon_waiting_logins(&txn, user_id).await?;
    txn.commit().await?;
    state
        .mailer
        .send_in_background(password_changed_email(state, &email));
    Ok(())
}

pub async fn change_name(state: &AppState, user_id: i64, raw_name: &str) -> AppResult<CurrentUser> {
    let name = normalize_name(raw_name)?;
    let mut active = find_user(&state.db, user_id).await?.into_active_model();
    active.name = Set(name);
    active.updated_at = Set(state.now());
    Ok(current_user(&active.update(&state.db).await?))
}

pub async fn list_sessions(
    state: &AppState,
    user_id: i64,
    current_session_id: &str,
) -> AppResult<Vec<SessionView>> {
    let rows =
        sessions::list_for_user(&state.db, user_id, state.session_lifetimes(), state.now()).await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionView {
            current: s.id == current_session_id,
            id: s.id,
            user_agent: s.user_agent,
            ip_address: s.ip_address,
            auth_method: s.auth_method,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
        })
        .collect())
}

/// Outstanding invitations addressed to this account's email, for the dashboard.
pub async fn pending_invitations_for(
    state: &AppState,
    email: &str,
) -> AppResult<Vec<invitation::Model>> {
    Ok(invitation::Entity::find()
        .filter(invitation::Column::Email.eq(email))
        .filter(invitation::Column::AcceptedAt.is_null())
        .filter(invitation::Column::ExpiresAt.gt(state.now()))
        .all(&state.db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_checked() {
        assert_eq!(
            normalize_email("  Alice@Example.COM ").unwrap(),
            "alice@example.com"
        );
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "alice@example",
            "a b@example.com",
            "alice@exa..mple.com",
            "alice@.example.com",
        ] {
            assert_eq!(
                normalize_email(bad).unwrap_err().code,
                ErrorCode::EmailInvalid,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(normalize_name("  Ada Lovelace ").unwrap(), "Ada Lovelace");
        assert!(normalize_name("   ").is_err());
        assert!(normalize_name(&"x".repeat(101)).is_err());
    }
}
