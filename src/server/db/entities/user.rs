//! An account: email (stored lowercase), display name, argon2id hash (absent for accounts that cannot use a password).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub password_hash: Option<String>,
    pub email_verified_at: Option<DateTimeUtc>,
    /// The organization that created this account for single sign-on (pre-provisioned, no password): only that
    /// organization's identity providers may link it.
    pub provisioned_organization_id: Option<i64>,
    /// The password hash from before Enterprise SSO was enabled. It signs nobody in; it only lets the login form
    /// tell someone who still knows that password where to sign in now, without telling strangers anything.
    pub retired_password_hash: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
