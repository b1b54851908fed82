//! An identity provider registered by organization admins; `revision` changes with every edit of its settings.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "identity_providers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The SSO identifier in `/saml/{identifier}`.
    pub identifier: String,
    pub name: String,
    pub entity_id: String,
    pub sso_url: String,
    pub sso_binding: String,
    pub name_id_format: String,
    pub clock_skew_seconds: i32,
    pub allow_sha1: bool,
    pub allow_idp_initiated: bool,
    /// Just-in-time accounts: an unknown person in a verified domain of one of the provider's organizations gets an
    /// account at first login.
    pub allow_jit_accounts: bool,
    pub metadata_xml: Option<String>,
    pub revision: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
