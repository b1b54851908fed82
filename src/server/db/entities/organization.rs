//! An organization: a display name, a unique URL handle, and its security settings.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    #[sea_orm(unique)]
    pub handle: String,
    /// Members who log in with a password must use two-factor authentication (enrolling at their next login).
    pub require_two_factor: bool,
    /// "Only allow login through my identity provider": members sign in by SSO only, since then.
    pub sso_enforced_at: Option<DateTimeUtc>,
    pub sso_enforced_by: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
