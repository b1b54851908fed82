//! An AuthnRequest we sent and not yet answered, bound to the browser that started it; consumed once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "saml_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub identity_provider_id: i64,
    /// SHA-256 of the browser's pre-login (or session) cookie.
    pub browser_binding: String,
    /// A safe relative path to return to after signing in.
    pub return_to: Option<String>,
    /// "Enable Enterprise SSO": the signed-in account this login converts, else a plain login.
    pub merge_user_id: Option<i64>,
    /// The organization that receives the converted account's fleets.
    pub merge_organization_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
