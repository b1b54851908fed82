//! A signed-in browser. The primary key is the SHA-256 of the cookie value, so a database leak reveals no session.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: i64,
    pub auth_method: String,
    /// The identity provider of an SSO session: when it ends, the browser goes back there.
    pub identity_provider_id: Option<i64>,
    /// That provider's configuration revision at sign-in: enforcement needs a login with the current one.
    pub identity_provider_revision: Option<i32>,
    pub user_agent: Option<String>,
    pub ip_address: Option<String>,
    pub created_at: DateTimeUtc,
    pub last_seen_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
