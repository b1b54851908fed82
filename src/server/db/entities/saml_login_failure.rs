//! A refused SSO login with its diagnosis, shown to the identity provider's administrators.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "saml_login_failures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub identity_provider_id: i64,
    pub code: String,
    pub diagnosis: String,
    pub ip_address: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
