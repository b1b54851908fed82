//! A certificate registered to verify an identity provider's signatures.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "idp_certificates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub identity_provider_id: i64,
    pub pem: String,
    pub fingerprint_sha256: String,
    pub subject: String,
    pub not_before: DateTimeUtc,
    pub not_after: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
