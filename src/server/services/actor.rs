//! Who is acting, and how they proved it: a person with the credential of this request (a password session, an SSO
//! session through a given identity provider and configuration revision, or a personal API key), or an organization
//! API key (inside its organization only, with its role). Rights are looked up at every request, so a removed member
//! or a demoted role takes effect at once, for keys as for browsers.
//!
//! The authorization kernel (`authz`) decides what the actor may do; this module supplies the facts about the
//! credential it needs, among them single-sign-on enforcement, which applies where access happens: in an organization that allows only single sign-on, a person
//! acts only through an SSO session of one of *its* identity providers (a password session, a session from another
//! organization's provider and a personal key get `auth.sso_enforced` with the login URL), while the
//! organization's own keys keep working (the owner-role one is the break-glass).

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::server::db::entities::{identity_provider, organization, session};
use crate::server::services::audit::AuditActor;
use crate::server::services::identity_providers;
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

/// Whether this credential is an SSO session through one of the organization's identity providers, which is what
/// an organization that allows only single sign-on asks of a person (see the module header).
pub(in crate::server::services) async fn fits_enforcement(
    db: &impl ConnectionTrait,
    organization_id: i64,
    via: Credential,
) -> AppResult<bool> {
    let Credential::SsoSession {
        identity_provider_id,
        ..
    } = via
    else {
        return Ok(false);
    };
    let providers = identity_providers::provider_ids_of(db, organization_id).await?;
    Ok(providers.contains(&identity_provider_id))
}

/// The refusal of a person whose credential does not meet the organization's single-sign-on-only rule: why, and
/// where to sign in instead.
pub async fn enforcement_refusal(
    db: &impl ConnectionTrait,
    organization: &organization::Model,
    via: Credential,
) -> AppError {
    let identifiers = match login_urls(db, organization.id).await {
        Ok(identifiers) => identifiers,
        Err(err) => return err,
    };
    let how = match via {
        Credential::PasswordSession => "you signed in with a password",
        Credential::SsoSession { .. } => {
            "you signed in through another organization's identity provider"
        }
        Credential::PersonalKey { .. } => "a personal API key cannot act there",
    };
    AppError::new(ErrorCode::SsoEnforced).with_message(format!(
        "{} allows only single sign-on through its identity provider, and {how}. Sign in at {} to work in it.",
        organization.name,
        identifiers.join(" or ")
    ))
}

async fn login_urls(db: &impl ConnectionTrait, organization_id: i64) -> AppResult<Vec<String>> {
    let providers = identity_providers::provider_ids_of(db, organization_id).await?;
    Ok(identity_provider::Entity::find()
        .filter(identity_provider::Column::Id.is_in(providers))
        .all(db)
        .await?
        .into_iter()
        .map(|idp| format!("/saml/{}", idp.identifier))
        .collect())
}
