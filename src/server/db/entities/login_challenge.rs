//! A login between its factors: the first factor (password or SSO) passed, the second (a TOTP or recovery code, or
//! enrolling in 2FA when an organization requires it) is awaited. Bound to one browser; short-lived; attempts counted.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_challenges")]
pub struct Model {
    /// Random public id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// SHA-256 of the browser's pre-login cookie.
    pub browser_binding: String,
    pub user_id: i64,
    /// How the first factor was passed: `password` or `saml`.
    pub auth_method: String,
    /// The identity provider that vouched, for an SSO login: the session gets its lifetime.
    pub identity_provider_id: Option<i64>,
    pub identity_provider_revision: Option<i32>,
    /// The end of the identity provider's own session (`SessionNotOnOrAfter`), when it sent one.
    pub sso_not_on_or_after: Option<DateTimeUtc>,
    /// `code` (enter a code) or `enrol` (set up 2FA first).
    pub step: String,
    /// The secret being enrolled, during the `enrol` step.
    pub pending_secret: Option<String>,
    pub return_to: Option<String>,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
