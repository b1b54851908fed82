//! An account's TOTP secret. Unconfirmed while the person is enrolling; once confirmed, 2FA is on. The last accepted
//! time step is kept so that no code is accepted twice.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "two_factor_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: i64,
    /// Base32 (RFC 4648, no padding), as authenticator apps show it.
    pub secret: String,
    pub confirmed_at: Option<DateTimeUtc>,
    /// The TOTP time step (unix time / 30) of the last accepted code; only later steps are accepted.
    pub last_used_step: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
