//! The end of the identity provider's own session (`SessionNotOnOrAfter`), kept with a login that waits for its
//! second factor, so the SSO session opened after it ends no later than the provider said.

use sea_orm_migration::prelude::*;

use crate::columns::{add_column, drop_column, time_null};

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    SsoNotOnOrAfter,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            LoginChallenges::Table,
            time_null(LoginChallenges::SsoNotOnOrAfter),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(
            manager,
            LoginChallenges::Table,
            LoginChallenges::SsoNotOnOrAfter,
        )
        .await
    }
}
