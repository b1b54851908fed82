//! Account policies and SSO session lifetime per identity provider, the "Enable Enterprise SSO" merge (a request
//! that carries the merge intent, the receipt of every merge, the retired password hash), and the identity provider
//! a session (or a login waiting for its second factor) came from (an SSO session ends at that provider's lifetime and goes back to it).

use sea_orm_migration::prelude::*;

use crate::columns::{add_column, cascade, drop_column, id, reference, text, time};

#[derive(DeriveIden)]
enum IdentityProviders {
    Table,
    Id,
    AllowMerge,
    AllowPreProvisioned,
    SessionLifetimeMinutes,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdentityProviderId,
}

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    IdentityProviderId,
}

#[derive(DeriveIden)]
enum SamlRequests {
    Table,
    MergeUserId,
    MergeOrganizationId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    RetiredPasswordHash,
}

#[derive(DeriveIden)]
enum AccountMerges {
    Table,
    Id,
    UserId,
    IdentityProviderId,
    OrganizationId,
    Receipt,
    MergedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            IdentityProviders::Table,
            ColumnDef::new(IdentityProviders::AllowMerge)
                .boolean()
                .not_null()
                .default(true)
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            IdentityProviders::Table,
            ColumnDef::new(IdentityProviders::AllowPreProvisioned)
                .boolean()
                .not_null()
                .default(true)
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            IdentityProviders::Table,
            ColumnDef::new(IdentityProviders::SessionLifetimeMinutes)
                .integer()
                .not_null()
                .default(720)
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Sessions::Table,
            ColumnDef::new(Sessions::IdentityProviderId)
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            LoginChallenges::Table,
            ColumnDef::new(LoginChallenges::IdentityProviderId)
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            SamlRequests::Table,
            ColumnDef::new(SamlRequests::MergeUserId)
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            SamlRequests::Table,
            ColumnDef::new(SamlRequests::MergeOrganizationId)
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Users::Table,
            ColumnDef::new(Users::RetiredPasswordHash)
                .string()
                .null()
                .to_owned(),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(AccountMerges::Table)
                    .col(id(AccountMerges::Id))
                    .col(reference(AccountMerges::UserId))
                    .col(reference(AccountMerges::IdentityProviderId))
                    .col(reference(AccountMerges::OrganizationId))
                    .col(text(AccountMerges::Receipt))
                    .col(time(AccountMerges::MergedAt))
                    .foreign_key(&mut cascade(
                        AccountMerges::Table,
                        AccountMerges::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        AccountMerges::Table,
                        AccountMerges::IdentityProviderId,
                        IdentityProviders::Table,
                        IdentityProviders::Id,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccountMerges::Table).to_owned())
            .await?;
        drop_column(manager, Users::Table, Users::RetiredPasswordHash).await?;
        drop_column(
            manager,
            SamlRequests::Table,
            SamlRequests::MergeOrganizationId,
        )
        .await?;
        drop_column(manager, SamlRequests::Table, SamlRequests::MergeUserId).await?;
        drop_column(
            manager,
            LoginChallenges::Table,
            LoginChallenges::IdentityProviderId,
        )
        .await?;
        drop_column(manager, Sessions::Table, Sessions::IdentityProviderId).await?;
        drop_column(
            manager,
            IdentityProviders::Table,
            IdentityProviders::SessionLifetimeMinutes,
        )
        .await?;
        drop_column(
            manager,
            IdentityProviders::Table,
            IdentityProviders::AllowPreProvisioned,
        )
        .await?;
        drop_column(
            manager,
            IdentityProviders::Table,
            IdentityProviders::AllowMerge,
        )
        .await
    }
}
