//! Two-factor authentication and API keys: each account's TOTP secret with the last time step it accepted (so no
//! code works twice), hashed single-use recovery codes, login challenges (a login that passed its first factor and
//! waits for the second, bound to one browser), API keys (personal or organization-owned, stored hashed), and the
//! organization setting that requires 2FA for password logins.

use sea_orm_migration::prelude::*;

use crate::columns::{cascade, id, reference, text, text_null, time, time_null};

#[derive(DeriveIden)]
enum TwoFactorSecrets {
    Table,
    UserId,
    Secret,
    ConfirmedAt,
    LastUsedStep,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    CreatedAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    Id,
    BrowserBinding,
    UserId,
    AuthMethod,
    Step,
    PendingSecret,
    ReturnTo,
    Attempts,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiKeys {
    Table,
    Id,
    PublicId,
    SecretHash,
    Name,
    UserId,
    OrganizationId,
    Role,
    CreatedBy,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    LastUsedIp,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    RequireTwoFactor,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .add_column(
                        ColumnDef::new(Organizations::RequireTwoFactor)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TwoFactorSecrets::Table)
                    .col(reference(TwoFactorSecrets::UserId).primary_key())
                    .col(text(TwoFactorSecrets::Secret))
                    .col(time_null(TwoFactorSecrets::ConfirmedAt))
                    .col(
                        ColumnDef::new(TwoFactorSecrets::LastUsedStep)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .col(time(TwoFactorSecrets::CreatedAt))
                    .foreign_key(&mut cascade(
                        TwoFactorSecrets::Table,
                        TwoFactorSecrets::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(id(RecoveryCodes::Id))
                    .col(reference(RecoveryCodes::UserId))
                    .col(text(RecoveryCodes::CodeHash))
                    .col(time(RecoveryCodes::CreatedAt))
                    .col(time_null(RecoveryCodes::UsedAt))
                    .foreign_key(&mut cascade(
                        RecoveryCodes::Table,
                        RecoveryCodes::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .index(
                        Index::create()
                            .unique()
                            .col(RecoveryCodes::UserId)
                            .col(RecoveryCodes::CodeHash),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LoginChallenges::Table)
                    .col(text(LoginChallenges::Id).primary_key())
                    .col(text(LoginChallenges::BrowserBinding))
                    .col(reference(LoginChallenges::UserId))
                    .col(text(LoginChallenges::AuthMethod))
                    .col(text(LoginChallenges::Step))
                    .col(text_null(LoginChallenges::PendingSecret))
                    .col(text_null(LoginChallenges::ReturnTo))
                    .col(
                        ColumnDef::new(LoginChallenges::Attempts)
                            .integer()
                            .not_null()
                            .default(0),
                    )
                    .col(time(LoginChallenges::CreatedAt))
                    .col(time(LoginChallenges::ExpiresAt))
                    .foreign_key(&mut cascade(
                        LoginChallenges::Table,
                        LoginChallenges::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_login_challenges_browser")
                    .table(LoginChallenges::Table)
                    .col(LoginChallenges::BrowserBinding)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiKeys::Table)
                    .col(id(ApiKeys::Id))
                    .col(text(ApiKeys::PublicId).unique_key())
                    .col(text(ApiKeys::SecretHash))
                    .col(text(ApiKeys::Name))
                    .col(ColumnDef::new(ApiKeys::UserId).big_integer().null())
                    .col(ColumnDef::new(ApiKeys::OrganizationId).big_integer().null())
                    .col(text_null(ApiKeys::Role))
                    .col(ColumnDef::new(ApiKeys::CreatedBy).big_integer().null())
                    .col(time(ApiKeys::CreatedAt))
                    .col(time_null(ApiKeys::ExpiresAt))
                    .col(time_null(ApiKeys::LastUsedAt))
                    .col(text_null(ApiKeys::LastUsedIp))
                    .col(time_null(ApiKeys::RevokedAt))
                    .foreign_key(&mut cascade(
                        ApiKeys::Table,
                        ApiKeys::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        ApiKeys::Table,
                        ApiKeys::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiKeys::Table, ApiKeys::CreatedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_api_keys_user", ApiKeys::UserId),
            ("idx_api_keys_organization", ApiKeys::OrganizationId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(ApiKeys::Table)
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiKeys::Table.into_iden(),
            LoginChallenges::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            TwoFactorSecrets::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Organizations::Table)
                    .drop_column(Organizations::RequireTwoFactor)
                    .to_owned(),
            )
            .await
    }
}
