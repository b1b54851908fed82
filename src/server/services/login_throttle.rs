//! Failed password logins and what they lead to, so that no stranger can lock anyone out. Failures are counted in
//! the shared database per account and address, and per account from everywhere. Past either threshold the right
//! password is never refused: the login is *challenged* instead. The answer then reads the same whether the password
//! was right or wrong ("if it was right, we emailed you a link"), so guessing learns nothing, and only when it was
//! right does the account's mailbox get a single-use link, valid for 15 minutes, that finishes the login (the second
//! factor still follows). When the failures from everywhere reach the threshold, the account's owner is told once
//! per window by email. Attempts per address (every account together) stay limited as before.

use chrono::{DateTime, Duration, Utc};

use crate::server::auth::rate_limit;
use crate::server::db::begin_write;
use crate::server::db::entities::user;
use crate::server::mail::Email;
use crate::server::services::accounts::{
    check_usable, claim_email_token, find_email_token, issue_email_token, Origin,
};
use crate::server::services::{enforcement, login};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};

/// The purpose of the emailed confirmation link's token.
pub const CONFIRM_PURPOSE: &str = "login_confirm";
/// How long the confirmation link works.
pub const CONFIRM_LIFETIME_MINUTES: i64 = 15;
/// How many more failures an account may see from everywhere than from one address before logins are challenged.
const ACCOUNT_WIDE_FAILURE_FACTOR: u32 = 10;

/// The failure counters of one login attempt.
pub struct Counters {
    from_here: String,
    everywhere: String,
}

impl Counters {
    pub fn new(email: &str, ip: &str) -> Self {
        Self {
            from_here: format!("login:failed:{email}:{ip}"),
            everywhere: format!("login:failed:{email}"),
        }
    }
}

fn account_wide_threshold(state: &AppState) -> u32 {
    state
        .config
        .rate_limit_per_account
        .saturating_mul(ACCOUNT_WIDE_FAILURE_FACTOR)
}

/// Whether this login must be confirmed by email: too many recent failures for the account from this address, or
/// from everywhere.
pub async fn is_challenged(
    state: &AppState,
    counters: &Counters,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let from_here = rate_limit::count(&state.db, &counters.from_here, now).await?;
    let everywhere = rate_limit::count(&state.db, &counters.everywhere, now).await?;
    Ok(from_here >= i64::from(state.config.rate_limit_per_account)
        || everywhere >= i64::from(account_wide_threshold(state)))
}

/// Counts a failed attempt; the owner of an existing account hears about a burst once per window.
pub async fn record_failure(
    state: &AppState,
    counters: &Counters,
    account: Option<&user::Model>,
    origin: &Origin,
    now: DateTime<Utc>,
) -> AppResult<()> {
    rate_limit::record(&state.db, &counters.from_here, now).await?;
    let everywhere = rate_limit::record(&state.db, &counters.everywhere, now).await?;
    if let Some(account) = account {
        if everywhere == i64::from(account_wide_threshold(state)) {
            tracing::warn!(user_id = account.id, "burst of failed logins");
            state
                .mailer
                .send_in_background(burst_email(state, account, everywhere, origin));
        }
    }
    Ok(())
}

/// The uniform answer to a challenged login; when the password was right (`account` given), the confirmation link
/// goes to the account's address.
pub async fn challenge(state: &AppState, account: Option<&user::Model>) -> AppResult<AppError> {
    if let Some(account) = account {
        let token = issue_email_token(
            &state.db,
            account.id,
            CONFIRM_PURPOSE,
            Duration::minutes(CONFIRM_LIFETIME_MINUTES),
            state,
        )
        .await?;
        state
            .mailer
            .send_in_background(confirmation_email(state, account, &token));
    }
    Ok(AppError::new(ErrorCode::LoginConfirmationRequired))
}

/// Finishes a challenged login from its emailed link: the account must still be one that logs in with a password
/// here (verified address, no enforcement against it); then the login state machine goes on (second factor).
pub async fn confirm(
    state: &AppState,
    token: &str,
    origin: &Origin,
    browser_binding: Option<&str>,
) -> AppResult<login::Progress> {
    let now = state.now();
    let found = find_email_token(&state.db, token, CONFIRM_PURPOSE).await?;
    check_usable(&found, now)?;
    let account = crate::server::services::accounts::find_by_id(&state.db, found.user_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::TokenInvalid))?;
    if account.password_hash.is_none() {
        return Err(AppError::new(ErrorCode::SsoAccountPasswordRetired));
    }
    if account.email_verified_at.is_none() {
        return Err(AppError::new(ErrorCode::EmailNotVerified));
    }
    if let Some((organization, url)) = enforcement::enforced_login_urls(state, account.id)
        .await?
        .first()
    {
        return Err(enforcement::password_login_refused(organization, url));
    }
    let txn = begin_write(&state.db).await?;
    claim_email_token(&txn, &found, now).await?;
    crate::server::services::audit::record(
        &txn,
        now,
        crate::server::services::audit::AuditEvent::new("login.password")
            .by(crate::server::services::audit::AuditActor::Person(
                account.id,
            ))
            .about(account.id)
            .from_address(&origin.ip)
            .detail("confirmed by the emailed link after many failed attempts"),
    )
    .await?;
    let progress = login::after_first_factor(
        &txn,
        state,
        login::FirstFactor {
            account: &account,
            auth_method: "password",
            sso_origin: None,
            next: "/dashboard".to_owned(),
            origin,
            browser_binding,
            confirm: false,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(progress)
}

fn confirmation_email(state: &AppState, account: &user::Model, token: &str) -> Email {
    Email {
        to: account.email.clone(),
        subject: "Finish signing in to Portcullis".into(),
        body: format!(
            "Hello {name},\n\nSomeone, hopefully you, entered the right password for your Portcullis account. \
             Because there were many failed attempts for this account recently, signing in needs this link too:\n\n\
             {link}\n\nThe link works once and expires in {CONFIRM_LIFETIME_MINUTES} minutes. If this was not you, \
             do not open it and change your password.\n",
            name = account.name,
            link = state.link(&format!("/login/confirm?token={token}")),
        ),
    }
}

fn burst_email(state: &AppState, account: &user::Model, failures: i64, origin: &Origin) -> Email {
    Email {
        to: account.email.clone(),
        subject: "Many failed sign-in attempts on your Portcullis account".into(),
        body: format!(
            "Hello {name},\n\nThere were {failures} failed attempts to sign in to your account in the last \
             15 minutes (the latest from {ip}). Your account is not locked: when you sign in with your password, \
             we email you a link to finish signing in until the attempts stop. If you did not try to sign in, \
             consider a longer password and two-factor authentication: {link}\n",
            name = account.name,
            ip = origin.ip,
            link = state.link("/preferences"),
        ),
    }
}
