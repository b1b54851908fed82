//! "Only allow login through my identity provider" (SSO enforcement) for an organization, with the guards that keep
//! it from locking the organization out. It can be switched on only by an admin whose session came from an SSO login
//! through one of the organization's identity providers, with that provider's current configuration revision,
//! within the last 15 minutes, and only while the organization holds an active owner-role organization API key (the
//! break-glass). While on, members sign in by SSO only: password logins are refused naming the SSO login URL, and
//! password sessions end when it is switched on. It is switched off from the page, or with an owner-role organization
//! key over the REST API. Every switch is audited and emailed to the owners.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QuerySelect,
};

use crate::server::db::begin_write;
use crate::server::db::entities::{
    api_key, identity_provider, login_challenge, membership, organization, session,
};
use crate::server::mail::Email;
use crate::server::services::actor::Actor;
use crate::server::services::audit::{self, AuditActor, AuditEvent};
use crate::server::services::authz::{authorize, Action};
use crate::server::services::{identity_providers, organizations};
use crate::server::state::AppState;
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::{EnforcementStatus, Role};

/// How recent the SSO login that switches enforcement on must be.
const FRESH_LOGIN_MINUTES: i64 = 15;

/// The organization's identity providers.
async fn providers_of(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> AppResult<Vec<identity_provider::Model>> {
    let ids = identity_providers::provider_ids_of(db, organization_id).await?;
    Ok(identity_provider::Entity::find()
        .filter(identity_provider::Column::Id.is_in(ids))
        .all(db)
        .await?)
}

/// Owner-role keys of the organization that are not revoked and never expire: the break-glass. A key with an
/// expiry does not count, since it could lapse and leave an enforcing organization with no way back in.
pub(in crate::server::services) async fn break_glass_keys(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> AppResult<u64> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(organization_id))
        .filter(api_key::Column::Role.eq(Role::Owner.as_str()))
        .filter(api_key::Column::RevokedAt.is_null())
        .filter(api_key::Column::ExpiresAt.is_null())
        .count(db)
        .await?)
}

/// Why this session cannot switch enforcement on for the organization, if it cannot.
fn fresh_sso_login_problem(
    session: &session::Model,
    providers: &[identity_provider::Model],
    now: DateTime<Utc>,
) -> Option<String> {
    let login_url_hint = "Log out and sign in again with \"Log in with Enterprise SSO\"";
    let Some(idp) = session
        .identity_provider_id
        .and_then(|id| providers.iter().find(|p| p.id == id))
    else {
        return Some(format!(
            "You signed in with a password, or through an identity provider of another organization. {login_url_hint} \
             through one of this organization's identity providers, then switch this on within {FRESH_LOGIN_MINUTES} \
             minutes."
        ));
    };
    if session.identity_provider_revision != Some(idp.revision) {
        return Some(format!(
            "{} was changed after you signed in (configuration revision {} now). {login_url_hint}, so the current \
             configuration is proven to work, then switch this on within {FRESH_LOGIN_MINUTES} minutes.",
            idp.name, idp.revision
        ));
    }
    if session.created_at + Duration::minutes(FRESH_LOGIN_MINUTES) < now {
        return Some(format!(
            "Your SSO login through {} was more than {FRESH_LOGIN_MINUTES} minutes ago. {login_url_hint} and switch \
             this on right after.",
            idp.name
        ));
    }
    None
}

/// What the Security page shows: whether enforcement is on and, if not, whether this session may switch it on.
pub async fn status(
    state: &AppState,
    user_id: i64,
    session: &session::Model,
    organization_id: i64,
) -> AppResult<EnforcementStatus> {
    let now = state.now();
    let standing = authorize(
        &state.db,
        &Actor::signed_in(user_id, session),
        Action::ViewEnforcement,
        organization_id,
    )
    .await?;
    let providers = providers_of(&state.db, organization_id).await?;
    let keys = break_glass_keys(&state.db, organization_id).await?;
    let mut blockers = Vec::new();
    if providers.is_empty() {
        blockers.push("Add an identity provider to this organization first.".to_owned());
    } else if let Some(problem) = fresh_sso_login_problem(session, &providers, now) {
        blockers.push(problem);
    }
    if keys == 0 {
        blockers.push(
            "Create an organization API key with the owner role and no expiry first: it is the break-glass that \
             switches enforcement off if your identity provider ever fails (a key that expires does not count)."
                .to_owned(),
        );
    }
    Ok(EnforcementStatus {
        organization_id,
        organization_name: standing.organization.name.clone(),
        my_role: standing.role,
        enforced_at: standing.organization.sso_enforced_at,
        break_glass_keys: keys,
        login_urls: providers
            .iter()
            .map(|p| state.link(&format!("/saml/{}", p.identifier)))
            .collect(),
        api_url: state.link(&format!("/api/v1/organizations/{organization_id}")),
        blockers,
    })
}

/// Switches enforcement on (see the module header for the conditions).
pub async fn enable(
    state: &AppState,
    user_id: i64,
    session: &session::Model,
    organization_id: i64,
    ip: &str,
) -> AppResult<()> {
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    let organization = organization::Entity::find_by_id(organization_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::OrganizationNotFound))?;
    authorize(
        &txn,
        &Actor::signed_in(user_id, session),
        Action::EnableEnforcement,
        organization_id,
    )
    .await?;
    if organization.sso_enforced_at.is_some() {
        return Ok(());
    }
    let providers = providers_of(&txn, organization_id).await?;
    if providers.is_empty() {
        return Err(AppError::new(ErrorCode::EnforcementNeedsIdentityProvider));
    }
    if let Some(problem) = fresh_sso_login_problem(session, &providers, now) {
        return Err(AppError::new(ErrorCode::EnforcementNeedsFreshSsoLogin).with_message(problem));
    }
    if break_glass_keys(&txn, organization_id).await? == 0 {
        return Err(AppError::new(ErrorCode::EnforcementNeedsBreakGlassKey));
    }
    let name = organization.name.clone();
    let mut active = organization.into_active_model();
    active.sso_enforced_at = Set(Some(now));
    active.sso_enforced_by = Set(Some(user_id));
    active.update(&txn).await?;
    let ended = end_password_sessions(&txn, organization_id).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new("sso.enforcement_enabled")
            .in_organization(organization_id)
            .by(AuditActor::Person(user_id))
            .from_address(ip)
            .detail(format!("{ended} password sessions of members ended")),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        organization_id,
        user_id,
        ended,
        "SSO enforcement switched on"
    );
    email_owners(state, organization_id, &name, true).await;
    Ok(())
}

/// Ends the password sessions of the organization's members.
async fn end_password_sessions(db: &impl ConnectionTrait, organization_id: i64) -> AppResult<u64> {
    let members: Vec<i64> = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect();
    // Password logins still waiting for their second factor would otherwise open a password session afterwards.
    login_challenge::Entity::delete_many()
        .filter(login_challenge::Column::UserId.is_in(members.clone()))
        .filter(login_challenge::Column::AuthMethod.eq("password"))
        .exec(db)
        .await?;
    Ok(session::Entity::delete_many()
        .filter(session::Column::UserId.is_in(members))
        .filter(session::Column::AuthMethod.eq("password"))
        .exec(db)
        .await?
        .rows_affected)
}

/// Switches enforcement off: an admin from the page, or an owner-role organization key (the break-glass).
pub async fn disable(
    state: &AppState,
    actor: &Actor,
    organization_id: i64,
    ip: &str,
) -> AppResult<()> {
    let now = state.now();
    let txn = begin_write(&state.db).await?;
    authorize(&txn, actor, Action::DisableEnforcement, organization_id).await?;
    let action = match actor {
        Actor::Person { .. } => "sso.enforcement_disabled",
        Actor::OrganizationKey { .. } => "sso.enforcement_disabled_by_break_glass",
    };
    let organization = organization::Entity::find_by_id(organization_id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::OrganizationNotFound))?;
    if organization.sso_enforced_at.is_none() {
        return Ok(());
    }
    let name = organization.name.clone();
    let mut active = organization.into_active_model();
    active.sso_enforced_at = Set(None);
    active.sso_enforced_by = Set(None);
    active.update(&txn).await?;
    audit::record(
        &txn,
        now,
        AuditEvent::new(action)
            .in_organization(organization_id)
            .by(actor.audited())
            .from_address(ip),
    )
    .await?;
    txn.commit().await?;
    tracing::info!(organization_id, action, "SSO enforcement switched off");
    email_owners(state, organization_id, &name, false).await;
    Ok(())
}

async fn email_owners(state: &AppState, organization_id: i64, name: &str, enforced: bool) {
    let owners = match organizations::owners(&state.db, organization_id).await {
        Ok(owners) => owners,
        Err(err) => {
            tracing::error!(error = %err.message, "could not read the owners to email");
            return;
        }
    };
    let (subject, body) = if enforced {
        (
            format!("{name} now allows only single sign-on"),
            format!(
                "SSO enforcement was switched on for {name}. Members now sign in only through the organization's \
                 identity provider; their password sessions were ended.\n\nIf the identity provider fails, switch \
                 enforcement off with the organization's owner-role API key:\n\n  curl -X PUT {} -H 'Authorization: \
                 Bearer pc_…' -H 'Content-Type: application/json' -d '{{\"enforce_authentication_method\": null}}'\n",
                state.link(&format!("/api/v1/organizations/{organization_id}"))
            ),
        )
    } else {
        (
            format!("{name} allows password logins again"),
            format!(
                "SSO enforcement was switched off for {name}. Members can sign in with a password again. The \
                 organization's audit log shows who did it.\n"
            ),
        )
    };
    for owner in owners {
        state.mailer.send_in_background(Email {
            to: owner.email,
            subject: subject.clone(),
            body: format!("Hello {},\n\n{body}", owner.name),
        });
    }
}

/// The refusal of a password sign-up into an organization that allows only single sign-on (from an invitation),
/// naming where to sign in instead; `None` when the organization does not enforce it.
pub async fn refusal_for_invitation(
    state: &AppState,
    organization_id: i64,
) -> AppResult<Option<AppError>> {
    let Some(organization) = organization::Entity::find_by_id(organization_id)
        .one(&state.db)
        .await?
        .filter(|o| o.sso_enforced_at.is_some())
    else {
        return Ok(None);
    };
    let urls: Vec<String> = providers_of(&state.db, organization_id)
        .await?
        .iter()
        .map(|p| state.link(&format!("/saml/{}", p.identifier)))
        .collect();
    Ok(Some(AppError::new(ErrorCode::SsoEnforced).with_message(format!(
        "{} allows only single sign-on, so you cannot join it with a password. Sign in through your company \
         at {}: your administrator can add you there.",
        organization.name,
        urls.join(" or ")
    ))))
}

/// The refusal of a password login into `organization`, which allows only single sign-on at `url`.
pub fn password_login_refused(organization: &str, url: &str) -> AppError {
    AppError::new(ErrorCode::SsoEnforced).with_message(format!(
        "{organization} allows only single sign-on. Log in with Enterprise SSO at {url}"
    ))
}

/// For the login form: the SSO login URLs of the enforcing organizations the account belongs to, if any (then a
/// password login is refused).
pub async fn enforced_login_urls(
    state: &AppState,
    user_id: i64,
) -> AppResult<Vec<(String, String)>> {
    let organization_ids = organizations::membership_ids(&state.db, user_id).await?;
    let enforcing = organization::Entity::find()
        .filter(organization::Column::Id.is_in(organization_ids))
        .filter(organization::Column::SsoEnforcedAt.is_not_null())
        .all(&state.db)
        .await?;
    let mut urls = Vec::new();
    for organization in enforcing {
        for idp in providers_of(&state.db, organization.id).await? {
            urls.push((
                organization.name.clone(),
                state.link(&format!("/saml/{}", idp.identifier)),
            ));
        }
    }
    Ok(urls)
}
