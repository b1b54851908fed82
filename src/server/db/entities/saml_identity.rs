//! A SAML identity, keyed on (identity provider, NameID), linked to the account it signs in.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "saml_identities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub identity_provider_id: i64,
    pub name_id: String,
    pub user_id: i64,
    /// The email the identity provider asserted at the last login.
    pub email: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_login_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
