//! Server-side sessions. The cookie holds a random token; the database holds its SHA-256 with the account, how it
//! signed in, and idle and absolute expiry. A new token is issued at every login, so a planted cookie is worthless.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder,
};

use super::tokens::{hash_token, random_token};
use crate::server::db::entities::session;
use crate::shared::error::{AppError, ErrorCode};

pub const COOKIE: &str = "pc_session";

/// Lifetimes applied to every session.
#[derive(Clone, Copy, Debug)]
pub struct Lifetimes {
    pub idle: Duration,
    pub absolute: Duration,
}

/// Who opened a session, and from where.
pub struct NewSession<'a> {
    pub user_id: i64,
    pub auth_method: &'a str,
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
    /// An SSO session: its identity provider and that provider's (shorter) lifetime.
    pub sso: Option<SsoLifetime>,
}

/// The identity provider an SSO login came through, and the configuration revision that validated it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SsoOrigin {
    pub identity_provider_id: i64,
    pub revision: i32,
    /// The end of the identity provider's own session (`SessionNotOnOrAfter`), when it sent one.
    pub not_on_or_after: Option<DateTime<Utc>>,
}

/// An SSO session ends at its identity provider's lifetime, if that comes before the absolute one, and never after
/// the provider's own session (SessionNotOnOrAfter).
#[derive(Clone, Copy, Debug)]
pub struct SsoLifetime {
    pub identity_provider_id: i64,
    /// The provider's configuration revision when the person signed in.
    pub revision: i32,
    pub lifetime: Duration,
    /// No later than the identity provider's own session (`SessionNotOnOrAfter`).
    pub not_on_or_after: Option<DateTime<Utc>>,
}

/// Creates a session and returns the cookie value (the only place the raw token exists).
pub async fn create(
    db: &impl ConnectionTrait,
    new: NewSession<'_>,
    lifetimes: Lifetimes,
    now: DateTime<Utc>,
) -> Result<String, AppError> {
    let token = random_token();
    session::ActiveModel {
        id: Set(hash_token(&token)),
        user_id: Set(new.user_id),
        auth_method: Set(new.auth_method.to_owned()),
        user_agent: Set(new.user_agent.map(|ua| ua.chars().take(300).collect())),
        ip_address: Set(new.ip_address),
        identity_provider_id: Set(new.sso.map(|sso| sso.identity_provider_id)),
        identity_provider_revision: Set(new.sso.map(|sso| sso.revision)),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(new.sso.map_or(now + lifetimes.absolute, |sso| {
            let ours = now + sso.lifetime.min(lifetimes.absolute);
            sso.not_on_or_after.map_or(ours, |theirs| ours.min(theirs))
        })),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// Why a cookie did not yield a session.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolved {
    Active(Box<session::Model>),
    /// Past an expiry; an SSO session names its identity provider, where the browser goes to sign in again.
    Expired {
        identity_provider_id: Option<i64>,
    },
    Unknown,
}

/// Finds the live session for a cookie value, ending it if it is past either expiry, and records activity at most
/// once a minute to keep writes rare.
pub async fn resolve(
    db: &impl ConnectionTrait,
    token: &str,
    lifetimes: Lifetimes,
    now: DateTime<Utc>,
) -> Result<Resolved, AppError> {
    let Some(found) = session::Entity::find_by_id(hash_token(token))
        .one(db)
        .await?
    else {
        return Ok(Resolved::Unknown);
    };
    if found.expires_at <= now || found.last_seen_at + lifetimes.idle <= now {
        session::Entity::delete_by_id(found.id.clone())
            .exec(db)
            .await?;
        return Ok(Resolved::Expired {
            identity_provider_id: found.identity_provider_id,
        });
    }
    if now - found.last_seen_at >= Duration::seconds(60) {
        let mut active = found.clone().into_active_model();
        active.last_seen_at = Set(now);
        let updated = active.update(db).await?;
        return Ok(Resolved::Active(Box::new(updated)));
    }
    Ok(Resolved::Active(Box::new(found)))
}

pub async fn end(db: &impl ConnectionTrait, token: &str) -> Result<(), AppError> {
    session::Entity::delete_by_id(hash_token(token))
        .exec(db)
        .await?;
    Ok(())
}

/// The account's live sessions (past neither expiry), most recently active first.
pub async fn list_for_user(
    db: &impl ConnectionTrait,
    user_id: i64,
    lifetimes: Lifetimes,
    now: DateTime<Utc>,
) -> Result<Vec<session::Model>, AppError> {
    Ok(session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::LastSeenAt.gt(now - lifetimes.idle))
        .order_by_desc(session::Column::LastSeenAt)
        .all(db)
        .await?)
}

/// Ends one of the account's own sessions, by its public id (the stored hash).
pub async fn revoke(
    db: &impl ConnectionTrait,
    user_id: i64,
    session_id: &str,
) -> Result<(), AppError> {
    let result = session::Entity::delete_many()
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    if result.rows_affected == 0 {
        return Err(AppError::new(ErrorCode::SessionNotFound));
    }
    Ok(())
}

/// Ends every session of the account except `keep` (after a password change or reset).
pub async fn revoke_all_except(
    db: &impl ConnectionTrait,
    user_id: i64,
    keep: Option<&str>,
) -> Result<u64, AppError> {
    let mut query = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    Ok(query.exec(db).await?.rows_affected)
}

/// Deletes sessions past their absolute or idle expiry.
pub async fn purge_expired(
    db: &impl ConnectionTrait,
    lifetimes: Lifetimes,
    now: DateTime<Utc>,
) -> Result<u64, AppError> {
    Ok(session::Entity::delete_many()
        .filter(
            Condition::any()
                .add(session::Column::ExpiresAt.lte(now))
                .add(session::Column::LastSeenAt.lte(now - lifetimes.idle)),
        )
        .exec(db)
        .await?
        .rows_affected)
}
