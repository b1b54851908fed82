//! A role mapping of an organization: when a member's `groups` (from the identity provider) satisfy its rules, the
//! member gets its role and joins its teams at their SSO login.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "role_mappings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// Unique within the organization.
    pub name: String,
    /// The organization role granted (`member`, `admin`, `owner`), if any.
    pub role: Option<String>,
    /// JSON array of team ids the member joins.
    pub team_ids: String,
    /// `all` (every pattern matches one of the groups) or `any` (at least one does).
    pub rule_kind: String,
    /// JSON array of group patterns; `*` matches zero or more characters.
    pub group_patterns: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
