//! Who is acting: a person (signed in, or through a personal API key, with the person's current rights), or an
//! organization API key (inside its organization only, with its role). Rights are looked up at every request, so a
//! removed member or a demoted role takes effect at once, for keys as for browsers.

use sea_orm::{ConnectionTrait, EntityTrait};

use crate::server::db::entities::organization;
use crate::server::services::audit::AuditActor;
use crate::server::services::organizations::{standing, Standing};
use crate::shared::error::{AppError, AppResult, ErrorCode};
use crate::shared::models::Role;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    Person(i64),
    OrganizationKey {
        key_id: i64,
        organization_id: i64,
        role: Role,
    },
}

impl Actor {
    /// The person acting, if it is one.
    pub fn person(&self) -> Option<i64> {
        match self {
            Actor::Person(user_id) => Some(*user_id),
            Actor::OrganizationKey { .. } => None,
        }
    }

    /// The actor's standing in an organization; an organization it cannot see does not exist for it.
    pub async fn standing(
        &self,
        db: &impl ConnectionTrait,
        organization_id: i64,
    ) -> AppResult<Standing> {
        match *self {
            Actor::Person(user_id) => standing(db, user_id, organization_id).await,
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

    /// The actor as the audit log names it.
    pub fn audited(&self) -> AuditActor {
        match *self {
            Actor::Person(user_id) => AuditActor::Person(user_id),
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
