//! Two-factor authentication of an account: enrolling (a new secret shown as a QR code, confirmed by a code), the
//! ten single-use recovery codes (shown once, stored hashed, regenerated on demand), checking a second factor (no
//! TOTP time step and no recovery code is accepted twice), and turning 2FA off (password, or a fresh SSO login for an
//! account without one, plus a code).

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter,
};

use crate::server::auth::tokens::hash_token;
use crate::server::auth::visitor::SignedIn;
use crate::server::auth::{password, rate_limit, totp};
use crate::server::db::entities::{recovery_code, two_factor_secret, user};
use crate::server::db::{begin_write, conflict_on_unique};
use crate::server::mail::Email;
use crate::server::services::audit::{self, AuditActor, AuditEvent};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{TwoFactorEnrolment, TwoFactorStatus};

/// How recent an SSO login must be to stand in for the password of an account without one.
const FRESH_SSO_LOGIN_MINUTES: i64 = 10;

/// The account's confirmed secret, if 2FA is on.
pub async fn confirmed_secret(
    db: &impl ConnectionTrait,
    user_id: i64,
) -> AppResult<Option<two_factor_secret::Model>> {
    Ok(two_factor_secret::Entity::find_by_id(user_id)
        .one(db)
        .await?
        .filter(|s| s.confirmed_at.is_some()))
}

pub async fn is_enabled(db: &impl ConnectionTrait, user_id: i64) -> AppResult<bool> {
    Ok(confirmed_secret(db, user_id).await?.is_some())
}

async fn unused_recovery_codes(db: &impl ConnectionTrait, user_id: i64) -> AppResult<u64> {
    Ok(recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .count(db)
        .await?)
}

pub async fn status(state: &AppState, user_id: i64) -> AppResult<TwoFactorStatus> {
    let secret = confirmed_secret(&state.db, user_id).await?;
    Ok(TwoFactorStatus {
        enabled: secret.is_some(),
        enabled_at: secret.and_then(|s| s.confirmed_at),
        recovery_codes_left: unused_recovery_codes(&state.db, user_id).await?,
    })
}

/// What an authenticator app needs for `secret`: the QR code and the secret for typing in.
pub fn enrolment_view(secret: &str, account_email: &str) -> AppResult<TwoFactorEnrolment> {
    let uri = totp::provisioning_uri(secret, account_email)?;
    Ok(TwoFactorEnrolment {
        secret: secret.to_owned(),
        qr_code: totp::qr_code_data_url(&uri)?,
        uri,
    })
}

/// Starts (or restarts) enrolment from preferences: a new unconfirmed secret replaces any earlier unconfirmed one.
pub async fn begin_enrolment(
    state: &AppState,
    account: &user::Model,
) -> AppResult<TwoFactorEnrolment> {
    let secret = totp::generate_secret();
    let txn = begin_write(&state.db).await?;
    // Checked inside the transaction: a confirmation in another tab must not be undone by a new start.
    if is_enabled(&txn, account.id).await? {
        return Err(AppError::new(ErrorCode::TwoFactorAlreadyEnabled));
    }
    delete_unconfirmed(&txn, account.id).await?;
    two_factor_secret::ActiveModel {
        user_id: Set(account.id),
        secret: Set(secret.clone()),
        confirmed_at: Set(None),
        last_used_step: Set(0),
        created_at: Set(state.now()),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    enrolment_view(&secret, &account.email)
}

/// Removes an enrolment that was started but not confirmed.
async fn delete_unconfirmed(db: &impl ConnectionTrait, user_id: i64) -> AppResult<()> {
    two_factor_secret::Entity::delete_many()
        .filter(two_factor_secret::Column::UserId.eq(user_id))
        .filter(two_factor_secret::Column::ConfirmedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// The unix time of `now`, for TOTP.
fn unix_seconds(now: DateTime<Utc>) -> u64 {
    u64::try_from(now.timestamp()).unwrap_or_default()
}

/// Counts a second-factor attempt of the account (every app instance shares the count). Called before the
/// transaction that checks the code, so a refused code still counts (its transaction rolls back).
pub async fn count_attempt(state: &AppState, user_id: i64) -> AppResult<()> {
    rate_limit::hit(
        &state.db,
        &format!("two_factor:user:{user_id}"),
        state.config.rate_limit_per_account,
        state.now(),
    )
    .await
}

/// Checks a TOTP code against `secret` and claims its time step, so the code (and any earlier one) cannot be used
/// again; the claim is a conditional update, so of two concurrent uses of one code exactly one succeeds.
async fn claim_totp_code(
    db: &impl ConnectionTrait,
    user_id: i64,
    secret: &str,
    code: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let Some(step) = totp::matching_step(secret, code, unix_seconds(now))? else {
        return Err(AppError::new(ErrorCode::TwoFactorCodeInvalid).on_field("code"));
    };
    let claimed = two_factor_secret::Entity::update_many()
        .col_expr(two_factor_secret::Column::LastUsedStep, Expr::value(step))
        .filter(two_factor_secret::Column::UserId.eq(user_id))
        .filter(two_factor_secret::Column::LastUsedStep.lt(step))
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AppError::new(ErrorCode::TwoFactorCodeReused).on_field("code"));
    }
    Ok(())
}

fn recovery_code_hash(user_id: i64, code: &str) -> String {
    hash_token(&format!("{user_id}:{code}"))
}

/// Marks a recovery code used (conditionally, so it works exactly once).
async fn claim_recovery_code(
    db: &impl ConnectionTrait,
    user_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let hash = recovery_code_hash(user_id, code);
    let found = recovery_code::Entity::find()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .filter(recovery_code::Column::CodeHash.eq(hash))
        .one(db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::TwoFactorCodeInvalid).on_field("code"))?;
    let claimed = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(Some(now)))
        .filter(recovery_code::Column::Id.eq(found.id))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        return Err(AppError::new(ErrorCode::RecoveryCodeUsed).on_field("code"));
    }
    Ok(())
}

/// Which second factor a login used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondFactor {
    Totp,
    RecoveryCode,
}

/// Checks a second factor typed by the person (a TOTP code or a recovery code) for an account with 2FA on, and
/// consumes it. The caller counts the attempt first (`count_attempt`).
pub async fn verify(
    db: &impl ConnectionTrait,
    user_id: i64,
    typed: &str,
    now: DateTime<Utc>,
) -> AppResult<SecondFactor> {
    let secret = confirmed_secret(db, user_id)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::TwoFactorNotEnabled))?;
    if let Some(code) = totp::as_totp_code(typed) {
        claim_totp_code(db, user_id, &secret.secret, &code, now).await?;
        return Ok(SecondFactor::Totp);
    }
    if let Some(code) = totp::as_recovery_code(typed) {
        claim_recovery_code(db, user_id, &code, now).await?;
        return Ok(SecondFactor::RecoveryCode);
    }
    Err(AppError::new(ErrorCode::TwoFactorCodeInvalid).on_field("code"))
}

/// Replaces the account's recovery codes with ten new ones and returns them (the only time they are shown).
async fn replace_recovery_codes(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
) -> AppResult<Vec<String>> {
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    let codes = totp::generate_recovery_codes();
    let rows = codes.iter().map(|code| recovery_code::ActiveModel {
        user_id: Set(user_id),
        code_hash: Set(recovery_code_hash(user_id, code)),
        created_at: Set(now),
        used_at: Set(None),
        ..Default::default()
    });
    recovery_code::Entity::insert_many(rows).exec(db).await?;
    Ok(codes)
}

/// Turns 2FA on for `user_id` with `secret`, after the person proved their app has it by a code: stores the
/// secret as confirmed (its step claimed) and returns new recovery codes. Runs inside the caller's transaction.
pub async fn activate(
    db: &impl ConnectionTrait,
    user_id: i64,
    secret: &str,
    code: &str,
    now: DateTime<Utc>,
) -> AppResult<Vec<String>> {
    let code = totp::as_totp_code(code)
        .ok_or_else(|| AppError::new(ErrorCode::TwoFactorCodeInvalid).on_field("code"))?;
    let step = totp::matching_step(secret, &code, unix_seconds(now))?
        .ok_or_else(|| AppError::new(ErrorCode::TwoFactorCodeInvalid).on_field("code"))?;
    // Never replaces 2FA that is on: a second enrolment (another tab, an old login) must not swap the secret.
    if is_enabled(db, user_id).await? {
        return Err(AppError::new(ErrorCode::TwoFactorAlreadyEnabled));
    }
    delete_unconfirmed(db, user_id).await?;
    two_factor_secret::ActiveModel {
        user_id: Set(user_id),
        secret: Set(secret.to_owned()),
        confirmed_at: Set(Some(now)),
        last_used_step: Set(step),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|err| {
        // A concurrent enrolment on PostgreSQL got there first.
        conflict_on_unique(err, || AppError::new(ErrorCode::TwoFactorAlreadyEnabled))
    })?;
    replace_recovery_codes(db, user_id, now).await
}

fn two_factor_email(state: &AppState, to: &str, what: &str) -> Email {
    Email {
        to: to.to_owned(),
        subject: format!("Two-factor authentication was {what} on your Portcullis account"),
        body: format!(
            "Hello,\n\nTwo-factor authentication was just {what} on your Portcullis account.\n\nIf this was not you, \
             change your password now and review your signed-in devices: {}\n",
            state.link("/preferences")
        ),
    }
}

/// A change a person made to their own second factor.
fn own_event(action: &'static str, user_id: i64) -> AuditEvent {
    AuditEvent::new(action)
        .by(AuditActor::Person(user_id))
        .about(user_id)
}

/// Confirms enrolment started from preferences; returns the recovery codes.
pub async fn confirm_enrolment(
    state: &AppState,
    account: &user::Model,
    code: &str,
) -> AppResult<Vec<String>> {
    count_attempt(state, account.id).await?;
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    let pending = two_factor_secret::Entity::find_by_id(account.id)
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::TwoFactorNotEnrolling))?;
    if pending.confirmed_at.is_some() {
        return Err(AppError::new(ErrorCode::TwoFactorAlreadyEnabled));
    }
    let codes = activate(&txn, account.id, &pending.secret, code, now).await?;
    audit::record(&txn, now, own_event("two_factor.enabled", account.id)).await?;
    txn.commit().await?;
    tracing::info!(user_id = account.id, "two-factor authentication enabled");
    state
        .mailer
        .send_in_background(two_factor_email(state, &account.email, "turned on"));
    Ok(codes)
}

/// New recovery codes (the old ones stop working), after a current code.
pub async fn regenerate_recovery_codes(
    state: &AppState,
    user_id: i64,
    code: &str,
) -> AppResult<Vec<String>> {
    count_attempt(state, user_id).await?;
    let txn = begin_write(&state.db).await?;
    verify(&txn, user_id, code, state.now()).await?;
    let codes = replace_recovery_codes(&txn, user_id, state.now()).await?;
    audit::record(
        &txn,
        state.now(),
        own_event("two_factor.recovery_codes_replaced", user_id),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(user_id, "recovery codes regenerated");
    Ok(codes)
}

/// Turns 2FA off. A password account gives its password; an account without one must have signed in by SSO in the
/// last ten minutes (its identity provider vouched for it again). Both give a current code or a recovery code.
pub async fn disable(
    state: &AppState,
    signed_in: &SignedIn,
    password_input: Option<String>,
    code: &str,
) -> AppResult<()> {
    let account = &signed_in.user;
    let now = state.now();
    if !is_enabled(&state.db, account.id).await? {
        return Err(AppError::new(ErrorCode::TwoFactorNotEnabled));
    }
    match &account.password_hash {
        Some(_) => {
            rate_limit::hit(
                &state.db,
                &format!("password_check:user:{}", account.id),
                state.config.rate_limit_per_account,
                now,
            )
            .await?;
            let typed = password_input.unwrap_or_default();
            if !password::verify(&state.pools.password, typed, account.password_hash.clone())
                .await?
            {
                return Err(AppError::new(ErrorCode::CurrentPasswordWrong).on_field("password"));
            }
        }
        None => {
            let session = &signed_in.session;
            let fresh = session.auth_method == "saml"
                && now - session.created_at <= Duration::minutes(FRESH_SSO_LOGIN_MINUTES);
            if !fresh {
                return Err(AppError::new(ErrorCode::FreshSsoLoginRequired));
            }
        }
    }
    count_attempt(state, account.id).await?;
    let txn = begin_write(&state.db).await?;
    verify(&txn, account.id, code, now).await?;
    two_factor_secret::Entity::delete_by_id(account.id)
        .exec(&txn)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(account.id))
        .exec(&txn)
        .await?;
    audit::record(&txn, now, own_event("two_factor.disabled", account.id)).await?;
    txn.commit().await?;
    tracing::info!(user_id = account.id, "two-factor authentication disabled");
    state
        .mailer
        .send_in_background(two_factor_email(state, &account.email, "turned off"));
    Ok(())
}
