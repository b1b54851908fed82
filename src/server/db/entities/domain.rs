//! An email domain an organization claims, with the code its DNS TXT record must hold, and the last check.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "domains")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// Lowercase, without trailing dot.
    pub domain: String,
    /// The value the TXT record `_portcullis-challenge.{domain}` must hold.
    pub challenge: String,
    /// The domain once verified (unique: one organization per verified domain); `None` while pending.
    #[sea_orm(unique)]
    pub verified_domain: Option<String>,
    pub verified_at: Option<DateTimeUtc>,
    pub last_checked_at: Option<DateTimeUtc>,
    /// What the last check found, in words.
    pub last_check_result: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
