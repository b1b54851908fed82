//! An API key: personal (`user_id`, acting with the person's current rights) or organization-owned
//! (`organization_id` with a `role` bounding what it may do). Only the SHA-256 of its secret is stored.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "api_keys")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The key's lookup part, visible in lists (`pc_<public_id>_…`).
    #[sea_orm(unique)]
    pub public_id: String,
    pub secret_hash: String,
    pub name: String,
    pub user_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub role: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: Option<DateTimeUtc>,
    pub last_used_at: Option<DateTimeUtc>,
    pub last_used_ip: Option<String>,
    pub revoked_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
