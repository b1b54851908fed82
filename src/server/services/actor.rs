//! Who is acting, and how they proved it: a person with the credential of this request (a password session, an SSO
//! session through a given identity provider and configuration revision, or a personal API key), or an organization
//! API key (inside its organization only, with its role). Rights are looked up at every request, so a removed member
//! or a demoted role takes effect at once, for keys as for browsers.
//!
//! Every organization-scoped service reaches the organization through [`Actor::standing`], which also applies
//! single-sign-on enforcement where access happens: in an organization that allows only single sign-on, a person
//! acts only through an SSO session of one of *its* identity providers (a password session, a session from another
//! organization's provider and a personal key get `auth.sso_enforced` with the login URL), while the
//! organization's own keys keep working (the owner-role one is the break-glass).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::server::db::entities::{identity_provider, organization, session};
use crate::server::services::audit::AuditActor;
use crate::server::services::identity_providers;
use crate::server::services::organizations::{membership_ids, standing, Standing};
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::Role;

/// How a person proved who they are for this request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    /// A browser session opened by a password login (second factor included when on).
    PasswordSession,
    /// A browser session opened by an SSO login through this identity provider, at this configuration revision.
    SsoSession {
        identity_provider_id: i64,
        revision: Option<i32>,
        signed_in_at: DateTime<Utc>,
    },
    /// A personal API key.
    PersonalKey { key_id: i64 },
}

impl Credential {
    /// The credential a stored browser session carries.
    pub fn of_session(session: &session::Model) -> Self {
        match session.identity_provider_id {
            Some(identity_provider_id) if session.auth_method == "saml" => Credential::SsoSession {
                identity_provider_id,
                revision: session.identity_provider_revision,
                signed_in_at: session.created_at,
            },
            _ => Credential::PasswordSession,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Person {
        user_id: i64,
        via: Credential,
    },
    OrganizationKey {
        key_id: i64,
        organization_id: i64,
        role: Role,
    },
}

impl Actor {
    /// The person signed in with this browser session.
    pub fn signed_in(user_id: i64, session: &session::Model) -> Self {
        Actor::Person {
            user_id,
            via: Credential::of_session(session),
        }
    }

    /// The person acting, if it is one.
    pub fn person(&self) -> Option<i64> {
        match self {
            Actor::Person { user_id, .. } => Some(*user_id),
            Actor::OrganizationKey { .. } => None,
        }
    }

    /// The actor's standing in an organization; an organization it cannot see does not exist for it, and an
    /// organization that allows only single sign-on refuses a person who did not come through one of its
    /// identity providers.
    pub async fn standing(
        &self,
        db: &impl ConnectionTrait,
        organization_id: i64,
    ) -> AppResult<Standing> {
        match *self {
            Actor::Person { user_id, via } => {
                let standing = standing(db, user_id, organization_id).await?;
                check_enforcement(db, &standing.organization, via).await?;
                Ok(standing)
            }
            Actor::OrganizationKey {
                organization_id: own,
                role,
                ..
            } if own == organization_id => {
                let organization = organization::Entity::find_by_id(organization_id)
                    .one(db)
                    .await?
                    .ok_or_else(|| AppError::new(ErrorCode::OrganizationNotFound))?;
                Ok(Standing { organization, role })
            }
            Actor::OrganizationKey { .. } => Err(AppError::new(ErrorCode::OrganizationNotFound)),
        }
    }

    /// The organizations the actor may act in: a person's memberships, less those that allow only single sign-on
    /// through a provider this credential did not come from; an organization key's own.
    pub async fn reachable_organizations(&self, db: &impl ConnectionTrait) -> AppResult<Vec<i64>> {
        match *self {
            Actor::Person { user_id, via } => {
                let ids = membership_ids(db, user_id).await?;
                let mut reachable = Vec::with_capacity(ids.len());
                for organization in organization::Entity::find()
                    .filter(organization::Column::Id.is_in(ids))
                    .all(db)
                    .await?
                {
                    if check_enforcement(db, &organization, via).await.is_ok() {
                        reachable.push(organization.id);
                    }
                }
                Ok(reachable)
            }
            Actor::OrganizationKey {
                organization_id, ..
            } => Ok(vec![organization_id]),
        }
    }

    /// The actor as the audit log names it.
    pub fn audited(&self) -> AuditActor {
        match *self {
            Actor::Person { user_id, .. } => AuditActor::Person(user_id),
            Actor::OrganizationKey { key_id, .. } => AuditActor::OrganizationKey { key_id },
        }
    }

    /// Refuses what only a person can do (e.g. own a personal fleet).
    pub fn require_person(&self, what: &str) -> AppResult<i64> {
        self.person().ok_or_else(|| {
            AppError::new(ErrorCode::PermissionDenied)
                .with_message(format!("An organization API key cannot {what}."))
        })
    }
}

/// Whether a person with this credential may act in `organization` (see the module header).
pub async fn check_enforcement(
    db: &impl ConnectionTrait,
    organization: &organization::Model,
    via: Credential,
) -> AppResult<()> {
    if organization.sso_enforced_at.is_none() {
        return Ok(());
    }
    let providers = identity_providers::provider_ids_of(db, organization.id).await?;
    if let Credential::SsoSession {
        identity_provider_id,
        ..
    } = via
    {
        if providers.contains(&identity_provider_id) {
            return Ok(());
        }
    }
    let identifiers: Vec<String> = identity_provider::Entity::find()
        .filter(identity_provider::Column::Id.is_in(providers))
        .all(db)
        .await?
        .into_iter()
        .map(|idp| format!("/saml/{}", idp.identifier))
        .collect();
    let how = match via {
        Credential::PasswordSession => "you signed in with a password",
        Credential::SsoSession { .. } => {
            "you signed in through another organization's identity provider"
        }
        Credential::PersonalKey { .. } => "a personal API key cannot act there",
    };
    Err(AppError::new(ErrorCode::SsoEnforced).with_message(format!(
        "{} allows only single sign-on through its identity provider, and {how}. Sign in at {} to work in it.",
        organization.name,
        identifiers.join(" or ")
    )))
}
