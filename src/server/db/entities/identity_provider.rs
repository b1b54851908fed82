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
    /// Merge: a signed-in password account may convert itself ("Enable Enterprise SSO").
    pub allow_merge: bool,
    /// Pre-provisioned: an administrator's password-less account is linked at its first login.
    pub allow_pre_provisioned: bool,
    /// How long an SSO session lasts (absolute), after which the browser goes back to the identity provider.
    pub session_lifetime_minutes: i32,
    pub metadata_xml: Option<String>,
    pub revision: i32,
    pub created_by: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
