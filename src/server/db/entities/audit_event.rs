//! One security event: who did what (a person, an organization key, or nobody yet known), to whom, in which
//! organization, from where, when, and how it ended.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: Option<i64>,
    pub actor_user_id: Option<i64>,
    pub actor_key_id: Option<i64>,
    /// The account the event is about (the one signing in, losing a role, being merged…).
    pub subject_user_id: Option<i64>,
    /// A stable name, `area.event` (`login.password`, `sso.enforcement_enabled`…).
    pub action: String,
    /// `success`, or the error code of a refusal.
    pub outcome: String,
    /// Human-readable specifics.
    pub detail: String,
    pub ip_address: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
