//! The receipt of one "Enable Enterprise SSO" merge: what was deleted and transferred, kept for the receipt page.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "account_merges")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub identity_provider_id: i64,
    /// The organization that received the fleets.
    pub organization_id: i64,
    /// The receipt as JSON (`shared::models::MergeReceipt`).
    pub receipt: String,
    pub merged_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
