//! API keys. A key is `pc_<public id>_<secret>`: the public id finds the row, only the SHA-256 of the secret is
//! stored, and the whole key is shown once. Personal keys belong to password accounts and act with the person's
//! current rights; accounts that sign in with SSO cannot have them. Organization keys are created by the
//! organization's admins with a role no stronger than their own, and act only inside that organization; they belong
//! to the organization, not to their creator, so they keep working when the creator leaves (the break-glass key
//! must). Every use
//! is checked again: revoked, expired, the account or organization gone, and counted against the key's rate limit.

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, RngCore};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use std::collections::HashMap;
use subtle::ConstantTimeEq;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::server::auth::rate_limit;
use crate::server::auth::tokens::hash_token;
use crate::server::db::begin_write;
use crate::server::db::entities::{api_key, organization, user};
use crate::server::services::accounts::find_user;
use crate::server::services::actor::{Actor, Credential};
use crate::server::services::audit::{self, AuditActor, AuditEvent};
use crate::server::services::authz::{also, authorize, Action};
use crate::server::services::enforcement;
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{ApiKeyView, CreatedApiKey, PersonalApiKeys, Role};

pub const KEY_PREFIX: &str = "pc_";
const PUBLIC_ID_LENGTH: usize = 12;
const PUBLIC_ID_ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstvwxyz0123456789";
/// A key's last use is written at most this often, so busy keys do not write on every request.
const LAST_USE_RESOLUTION_SECONDS: i64 = 60;
const MAX_EXPIRY_DAYS: i64 = 3650;

/// A key split into its parts.
struct ParsedKey<'a> {
    public_id: &'a str,
    secret: &'a str,
}

fn parse(raw: &str) -> AppResult<ParsedKey<'_>> {
    let malformed = || AppError::new(ErrorCode::ApiKeyMalformed);
    let rest = raw.trim().strip_prefix(KEY_PREFIX).ok_or_else(malformed)?;
    let (public_id, secret) = rest.split_once('_').ok_or_else(malformed)?;
    let public_ok = public_id.len() == PUBLIC_ID_LENGTH
        && public_id.bytes().all(|b| PUBLIC_ID_ALPHABET.contains(&b));
    let secret_ok = secret.len() == 43
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !public_ok || !secret_ok {
        return Err(malformed());
    }
    Ok(ParsedKey { public_id, secret })
}

/// A new key: (public id, the full key to show once, the hash to store).
fn generate() -> (String, String, String) {
    let mut rng = rand::rngs::OsRng;
    let public_id: String = (0..PUBLIC_ID_LENGTH)
        .map(|_| char::from(PUBLIC_ID_ALPHABET[rng.gen_range(0..PUBLIC_ID_ALPHABET.len())]))
        .collect();
    let mut secret_bytes = [0u8; 32];
    rng.fill_bytes(&mut secret_bytes);
    let secret = URL_SAFE_NO_PAD.encode(secret_bytes);
    let full = format!("{KEY_PREFIX}{public_id}_{secret}");
    (public_id, full, hash_token(&secret))
}

fn check_name(raw: &str) -> AppResult<String> {
    let name = raw.trim().to_string();
    let length = name.chars().count();
    if length == 0 || length > 80 || name.chars().any(char::is_control) {
        return Err(AppError::new(ErrorCode::ApiKeyNameInvalid).on_field("name"));
    }
    Ok(name)
}

/// The expiry chosen as a number of days from now; empty or `never` for a key that does not expire.
pub fn parse_expiry(raw: Option<&str>, now: DateTime<Utc>) -> AppResult<Option<DateTime<Utc>>> {
    let invalid = || AppError::new(ErrorCode::ApiKeyExpiryInvalid).on_field("expires_in_days");
    match raw
        .map(str::trim)
        .filter(|r| !r.is_empty() && *r != "never")
    {
        None => Ok(None),
        Some(days) => {
            let days: i64 = days.parse().map_err(|_| invalid())?;
            if !(1..=MAX_EXPIRY_DAYS).contains(&days) {
                return Err(invalid());
            }
            Ok(Some(now + Duration::days(days)))
        }
    }
}

fn view(key: api_key::Model, creators: &HashMap<i64, String>, now: DateTime<Utc>) -> ApiKeyView {
    ApiKeyView {
        id: key.id,
        prefix: format!("{KEY_PREFIX}{}", key.public_id),
        role: key.role.as_deref().and_then(Role::parse),
        created_by: key.created_by.and_then(|id| creators.get(&id).cloned()),
        expired: key.expires_at.is_some_and(|at| at <= now),
        name: key.name,
        created_at: key.created_at,
        expires_at: key.expires_at,
        last_used_at: key.last_used_at,
        last_used_ip: key.last_used_ip,
        revoked_at: key.revoked_at,
    }
}

async fn views(
    db: &impl ConnectionTrait,
    keys: Vec<api_key::Model>,
    now: DateTime<Utc>,
) -> AppResult<Vec<ApiKeyView>> {
    let creator_ids: Vec<i64> = keys.iter().filter_map(|k| k.created_by).collect();
    let creators: HashMap<i64, String> = user::Entity::find()
        .filter(user::Column::Id.is_in(creator_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    Ok(keys.into_iter().map(|k| view(k, &creators, now)).collect())
}

/// Whether an account may hold personal keys: only accounts that log in with a password.
fn personal_keys_allowed(account: &user::Model) -> bool {
    account.password_hash.is_some()
}

pub async fn list_personal(state: &AppState, user_id: i64) -> AppResult<PersonalApiKeys> {
    let account = find_user(&state.db, user_id).await?;
    let keys = api_key::Entity::find()
        .filter(api_key::Column::UserId.eq(user_id))
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_desc(api_key::Column::Id)
        .all(&state.db)
        .await?;
    Ok(PersonalApiKeys {
        allowed: personal_keys_allowed(&account),
        keys: views(&state.db, keys, state.now()).await?,
    })
}

struct NewKey {
    name: String,
    user_id: Option<i64>,
    organization_id: Option<i64>,
    role: Option<Role>,
    created_by: i64,
    expires_at: Option<DateTime<Utc>>,
}

async fn insert(state: &AppState, new: NewKey) -> AppResult<CreatedApiKey> {
    let (public_id, secret, secret_hash) = generate();
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    let key = api_key::ActiveModel {
        public_id: Set(public_id),
        secret_hash: Set(secret_hash),
        name: Set(new.name),
        user_id: Set(new.user_id),
        organization_id: Set(new.organization_id),
        role: Set(new.role.map(|r| r.as_str().to_owned())),
        created_by: Set(Some(new.created_by)),
        created_at: Set(now),
        expires_at: Set(new.expires_at),
        last_used_at: Set(None),
        last_used_ip: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        key_event("api_key.created", &key, new.created_by),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(key_id = key.id, organization_id = ?key.organization_id, "API key created");
    let key = views(&state.db, vec![key], now)
        .await?
        .pop()
        .ok_or_else(|| AppError::new(ErrorCode::Internal))?;
    Ok(CreatedApiKey { key, secret })
}

pub async fn create_personal(
    state: &AppState,
    user_id: i64,
    raw_name: &str,
    expires_in_days: Option<&str>,
) -> AppResult<CreatedApiKey> {
    let account = find_user(&state.db, user_id).await?;
    if !personal_keys_allowed(&account) {
        return Err(AppError::new(ErrorCode::PersonalKeysUnavailable));
    }
    let name = check_name(raw_name)?;
    let expires_at = parse_expiry(expires_in_days, state.now())?;
    insert(
        state,
        NewKey {
            name,
            user_id: Some(user_id),
            organization_id: None,
            role: None,
            created_by: user_id,
            expires_at,
        },
    )
    .await
}

/// The audit event of a key's creation or revocation by `user_id`.
fn key_event(action: &'static str, key: &api_key::Model, user_id: i64) -> AuditEvent {
    let role = key.role.as_deref().unwrap_or("personal");
    let mut event = AuditEvent::new(action)
        .by(AuditActor::Person(user_id))
        .detail(format!(
            "\u{201c}{}\u{201d} (pc_{}_…, {role})",
            key.name, key.public_id
        ));
    if let Some(organization_id) = key.organization_id {
        event = event.in_organization(organization_id);
    }
    if let Some(owner) = key.user_id {
        event = event.about(owner);
    }
    event
}

/// Revokes a key at once (the row stays, so lists show when it was revoked).
async fn revoke(state: &AppState, key: &api_key::Model, user_id: i64) -> AppResult<()> {
    let txn = begin_write(&state.db).await?;
    revoke_in(state, txn, key, user_id).await
}

/// [`revoke`] in the caller's transaction, which it commits.
async fn revoke_in(
    state: &AppState,
    txn: sea_orm::DatabaseTransaction,
    key: &api_key::Model,
    user_id: i64,
) -> AppResult<()> {
    let now = state.now();
    let revoked = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, Expr::value(Some(now)))
        .filter(api_key::Column::Id.eq(key.id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if revoked.rows_affected > 0 {
        audit::record(&txn, now, key_event("api_key.revoked", key, user_id)).await?;
    }
    txn.commit().await?;
    tracing::info!(key_id = key.id, "API key revoked");
    Ok(())
}

pub async fn revoke_personal(state: &AppState, user_id: i64, key_id: i64) -> AppResult<()> {
    let key = api_key::Entity::find_by_id(key_id)
        .filter(api_key::Column::UserId.eq(user_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::ApiKeyNotFound))?;
    revoke(state, &key, user_id).await
}

/// The organization's keys, for one of its admins or owners.
pub async fn list_for_organization(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
) -> AppResult<Vec<ApiKeyView>> {
    authorize(
        &state.db,
        acting,
        Action::ViewOrganizationKeys,
        organization_id,
    )
    .await?;
    organization_keys(state, organization_id).await
}

/// The organization's keys, newest first; the caller has asked the kernel whether the viewer may see them.
pub(in crate::server::services) async fn organization_keys(
    state: &AppState,
    organization_id: i64,
) -> AppResult<Vec<ApiKeyView>> {
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(organization_id))
        .order_by_desc(api_key::Column::CreatedAt)
        .order_by_desc(api_key::Column::Id)
        .all(&state.db)
        .await?;
    views(&state.db, keys, state.now()).await
}

/// An organization key, created by one of its admins or owners (SSO accounts included); its role is at most the
/// creator's own.
pub async fn create_for_organization(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    raw_name: &str,
    raw_role: &str,
    expires_in_days: Option<&str>,
) -> AppResult<CreatedApiKey> {
    let mine = authorize(
        &state.db,
        acting,
        Action::CreateOrganizationKey,
        organization_id,
    )
    .await?;
    let user_id = acting.require_person("create organization keys")?;
    let role = Role::parse(raw_role)
        .ok_or_else(|| AppError::new(ErrorCode::RoleInvalid).on_field("role"))?;
    if role == Role::Owner {
        also(&mine, Action::CreateOwnerOrganizationKey).map_err(|e| e.on_field("role"))?;
    }
    let name = check_name(raw_name)?;
    let expires_at = parse_expiry(expires_in_days, state.now())?;
    insert(
        state,
        NewKey {
            name,
            user_id: None,
            organization_id: Some(organization_id),
            role: Some(role),
            created_by: user_id,
            expires_at,
        },
    )
    .await
}

pub async fn revoke_for_organization(
    state: &AppState,
    acting: &Actor,
    organization_id: i64,
    key_id: i64,
) -> AppResult<()> {
    let mine = authorize(
        &state.db,
        acting,
        Action::RevokeOrganizationKey,
        organization_id,
    )
    .await?;
    let user_id = acting.require_person("revoke organization keys")?;
    let key = api_key::Entity::find_by_id(key_id)
        .filter(api_key::Column::OrganizationId.eq(organization_id))
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::ApiKeyNotFound))?;
    if key
        .role
        .as_deref()
        .and_then(Role::parse)
        .unwrap_or(Role::Owner)
        == Role::Owner
    {
        also(&mine, Action::RevokeOwnerOrganizationKey)?;
    }
    let is_break_glass = key.role.as_deref() == Some(Role::Owner.as_str())
        && key.revoked_at.is_none()
        && key.expires_at.is_none();
    // The check and the revocation share a transaction that holds the organization's row (as switching enforcement
    // on does), so two owners revoking the last two break-glass keys at once cannot both pass the count.
    let txn = begin_write(&state.db).await?;
    let enforced = organization::Entity::find_by_id(organization_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .is_some_and(|o| o.sso_enforced_at.is_some());
    if is_break_glass
        && enforced
        && enforcement::break_glass_keys(&txn, organization_id).await? <= 1
    {
        return Err(AppError::new(ErrorCode::EnforcementNeedsBreakGlassKey).with_message(
            "This is the organization's last owner-role key without expiry, and only single sign-on is allowed: it \
             is the break-glass if the identity provider fails. Create another such key first, or switch \
             enforcement off.",
        ));
    }
    revoke_in(state, txn, &key, user_id).await
}

/// A caller of the REST API, established from its key.
#[derive(Clone, Debug)]
pub struct KeyCaller {
    pub actor: Actor,
    pub key: api_key::Model,
    /// The person, for a personal key.
    pub person: Option<user::Model>,
    /// The organization, for an organization key.
    pub organization: Option<organization::Model>,
}

/// Authenticates an `Authorization` header value (`Bearer pc_…`) and counts the request against the key's limit.
pub async fn authenticate(
    state: &AppState,
    authorization: Option<&str>,
    ip: &str,
) -> AppResult<KeyCaller> {
    let raw = authorization.ok_or_else(|| AppError::new(ErrorCode::ApiKeyMissing))?;
    let token = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
        .ok_or_else(|| {
            AppError::new(ErrorCode::ApiKeyMissing)
                .with_message("Send the key as a bearer token: Authorization: Bearer pc_…")
        })?;
    let parsed = parse(token)?;
    let now = state.now();
    let invalid = || AppError::new(ErrorCode::ApiKeyInvalid);
    let key = api_key::Entity::find()
        .filter(api_key::Column::PublicId.eq(parsed.public_id))
        .one(&state.db)
        .await?
        .ok_or_else(invalid)?;
    let presented = hash_token(parsed.secret);
    if !bool::from(presented.as_bytes().ct_eq(key.secret_hash.as_bytes())) {
        return Err(invalid());
    }
    if key.revoked_at.is_some() {
        return Err(AppError::new(ErrorCode::ApiKeyRevoked));
    }
    if key.expires_at.is_some_and(|at| at <= now) {
        return Err(AppError::new(ErrorCode::ApiKeyExpired));
    }
    let caller = match (key.user_id, key.organization_id) {
        (Some(user_id), _) => {
            let person = user::Entity::find_by_id(user_id)
                .one(&state.db)
                .await?
                .ok_or_else(invalid)?;
            if !personal_keys_allowed(&person) {
                return Err(AppError::new(ErrorCode::ApiKeyRevoked).with_message(
                    "This personal key belongs to an account that now signs in with single sign-on; personal keys \
                     no longer work for it.",
                ));
            }
            KeyCaller {
                actor: Actor::Person {
                    user_id,
                    via: Credential::PersonalKey { key_id: key.id },
                },
                key,
                person: Some(person),
                organization: None,
            }
        }
        (None, Some(organization_id)) => {
            let organization = organization::Entity::find_by_id(organization_id)
                .one(&state.db)
                .await?
                .ok_or_else(invalid)?;
            let role = key
                .role
                .as_deref()
                .and_then(Role::parse)
                .ok_or_else(invalid)?;
            KeyCaller {
                actor: Actor::OrganizationKey {
                    key_id: key.id,
                    organization_id,
                    role,
                },
                key,
                person: None,
                organization: Some(organization),
            }
        }
        (None, None) => return Err(invalid()),
    };
    rate_limit::hit_in_window(
        &state.db,
        &format!("api:key:{}", caller.key.id),
        state.config.api_requests_per_key_per_minute,
        60,
        now,
    )
    .await?;
    let stale = caller
        .key
        .last_used_at
        .is_none_or(|at| (now - at).num_seconds() >= LAST_USE_RESOLUTION_SECONDS)
        || caller.key.last_used_ip.as_deref() != Some(ip);
    if stale {
        api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, Expr::value(Some(now)))
            .col_expr(
                api_key::Column::LastUsedIp,
                Expr::value(Some(ip.to_owned())),
            )
            .filter(api_key::Column::Id.eq(caller.key.id))
            .exec(&state.db)
            .await?;
    }
    Ok(caller)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_and_others_do_not() {
        let (public_id, full, hash) = generate();
        let parsed = parse(&full).unwrap();
        assert_eq!(parsed.public_id, public_id);
        assert_eq!(hash_token(parsed.secret), hash);
        assert!(full.starts_with("pc_"));
        for bad in [
            "",
            "pc_",
            "pk_abcdefghjkmn_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "pc_abcdefghjkmn",
            "pc_short_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "pc_abcdefghjkmn_tooshort",
            "pc_ABCDEFGHJKMN_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        ] {
            assert_eq!(
                parse(bad).err().map(|e| e.code),
                Some(ErrorCode::ApiKeyMalformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn expiry_is_a_number_of_days_or_never() {
        let now = Utc::now();
        assert_eq!(parse_expiry(None, now).unwrap(), None);
        assert_eq!(parse_expiry(Some("never"), now).unwrap(), None);
        assert_eq!(
            parse_expiry(Some("30"), now).unwrap(),
            Some(now + Duration::days(30))
        );
        for bad in ["0", "-1", "3651", "soon"] {
            assert_eq!(
                parse_expiry(Some(bad), now).unwrap_err().code,
                ErrorCode::ApiKeyExpiryInvalid
            );
        }
    }
}
