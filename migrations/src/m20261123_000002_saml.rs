//! SAML service provider schema: identity providers with their signing certificates and organizations, SAML
//! identities linked to accounts, outstanding AuthnRequests and the assertion replay cache (both shared by every app
//! instance through the database), and refused logins with their diagnosis for administrators.

use sea_orm_migration::prelude::*;

use crate::columns::{cascade, id, reference, text, text_null, time, time_null};

#[derive(DeriveIden)]
enum IdentityProviders {
    Table,
    Id,
    Identifier,
    Name,
    EntityId,
    SsoUrl,
    SsoBinding,
    NameIdFormat,
    ClockSkewSeconds,
    AllowSha1,
    AllowIdpInitiated,
    MetadataXml,
    Revision,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum IdpCertificates {
    Table,
    Id,
    IdentityProviderId,
    Pem,
    FingerprintSha256,
    Subject,
    NotBefore,
    NotAfter,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdpOrganizations {
    Table,
    IdentityProviderId,
    OrganizationId,
    DefaultTeamId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SamlIdentities {
    Table,
    Id,
    IdentityProviderId,
    NameId,
    UserId,
    Email,
    CreatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum SamlRequests {
    Table,
    Id,
    IdentityProviderId,
    BrowserBinding,
    ReturnTo,
    CreatedAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum SamlReplays {
    Table,
    IdentityProviderId,
    AssertionId,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum SamlLoginFailures {
    Table,
    Id,
    IdentityProviderId,
    Code,
    Diagnosis,
    IpAddress,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    ProvisionedOrganizationId,
}

fn flag(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col)
        .boolean()
        .not_null()
        .default(false)
        .to_owned()
}

fn long_text(col: impl IntoIden) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Pre-provisioned accounts remember the organization that created them.
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(
                        ColumnDef::new(Users::ProvisionedOrganizationId)
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdentityProviders::Table)
                    .col(id(IdentityProviders::Id))
                    .col(text(IdentityProviders::Identifier).unique_key())
                    .col(text(IdentityProviders::Name))
                    .col(text(IdentityProviders::EntityId))
                    .col(text(IdentityProviders::SsoUrl))
                    .col(text(IdentityProviders::SsoBinding))
                    .col(text(IdentityProviders::NameIdFormat))
                    .col(
                        ColumnDef::new(IdentityProviders::ClockSkewSeconds)
                            .integer()
                            .not_null(),
                    )
                    .col(flag(IdentityProviders::AllowSha1))
                    .col(flag(IdentityProviders::AllowIdpInitiated))
                    .col(ColumnDef::new(IdentityProviders::MetadataXml).text().null())
                    .col(
                        ColumnDef::new(IdentityProviders::Revision)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .col(
                        ColumnDef::new(IdentityProviders::CreatedBy)
                            .big_integer()
                            .null(),
                    )
                    .col(time(IdentityProviders::CreatedAt))
                    .col(time(IdentityProviders::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdpCertificates::Table)
                    .col(id(IdpCertificates::Id))
                    .col(reference(IdpCertificates::IdentityProviderId))
                    .col(long_text(IdpCertificates::Pem))
                    .col(text(IdpCertificates::FingerprintSha256))
                    .col(text(IdpCertificates::Subject))
                    .col(time(IdpCertificates::NotBefore))
                    .col(time(IdpCertificates::NotAfter))
                    .col(time(IdpCertificates::CreatedAt))
                    .foreign_key(&mut cascade(
                        IdpCertificates::Table,
                        IdpCertificates::IdentityProviderId,
                        IdentityProviders::Table,
                        IdentityProviders::Id,
                    ))
                    .index(
                        Index::create()
                            .unique()
                            .col(IdpCertificates::IdentityProviderId)
                            .col(IdpCertificates::FingerprintSha256),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdpOrganizations::Table)
                    .col(reference(IdpOrganizations::IdentityProviderId))
                    .col(reference(IdpOrganizations::OrganizationId))
                    .col(
                        ColumnDef::new(IdpOrganizations::DefaultTeamId)
                            .big_integer()
                            .null(),
                    )
                    .col(time(IdpOrganizations::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdpOrganizations::IdentityProviderId)
                            .col(IdpOrganizations::OrganizationId),
                    )
                    .foreign_key(&mut cascade(
                        IdpOrganizations::Table,
                        IdpOrganizations::IdentityProviderId,
                        IdentityProviders::Table,
                        IdentityProviders::Id,
                    ))
                    .foreign_key(&mut cascade(
                        IdpOrganizations::Table,
                        IdpOrganizations::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IdpOrganizations::Table, IdpOrganizations::DefaultTeamId)
                            .to(Teams::Table, Teams::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SamlIdentities::Table)
                    .col(id(SamlIdentities::Id))
                    .col(reference(SamlIdentities::IdentityProviderId))
                    .col(text(SamlIdentities::NameId))
                    .col(reference(SamlIdentities::UserId))
                    .col(text_null(SamlIdentities::Email))
                    .col(time(SamlIdentities::CreatedAt))
                    .col(time_null(SamlIdentities::LastLoginAt))
                    // Deleting an identity provider with linked accounts is refused (DESIGN).
                    .foreign_key(
                        ForeignKey::create()
                            .from(SamlIdentities::Table, SamlIdentities::IdentityProviderId)
                            .to(IdentityProviders::Table, IdentityProviders::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(&mut cascade(
                        SamlIdentities::Table,
                        SamlIdentities::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .index(
                        Index::create()
                            .unique()
                            .col(SamlIdentities::IdentityProviderId)
                            .col(SamlIdentities::NameId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_saml_identities_user")
                    .table(SamlIdentities::Table)
                    .col(SamlIdentities::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SamlRequests::Table)
                    .col(text(SamlRequests::Id).primary_key())
                    .col(reference(SamlRequests::IdentityProviderId))
                    .col(text(SamlRequests::BrowserBinding))
                    .col(text_null(SamlRequests::ReturnTo))
                    .col(time(SamlRequests::CreatedAt))
                    .col(time(SamlRequests::ExpiresAt))
                    .foreign_key(&mut cascade(
                        SamlRequests::Table,
                        SamlRequests::IdentityProviderId,
                        IdentityProviders::Table,
                        IdentityProviders::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SamlReplays::Table)
                    .col(reference(SamlReplays::IdentityProviderId))
                    .col(text(SamlReplays::AssertionId))
                    .col(time(SamlReplays::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .col(SamlReplays::IdentityProviderId)
                            .col(SamlReplays::AssertionId),
                    )
                    .foreign_key(&mut cascade(
                        SamlReplays::Table,
                        SamlReplays::IdentityProviderId,
                        IdentityProviders::Table,
                        IdentityProviders::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SamlLoginFailures::Table)
                    .col(id(SamlLoginFailures::Id))
                    .col(reference(SamlLoginFailures::IdentityProviderId))
                    .col(text(SamlLoginFailures::Code))
                    .col(long_text(SamlLoginFailures::Diagnosis))
                    .col(text_null(SamlLoginFailures::IpAddress))
                    .col(time(SamlLoginFailures::CreatedAt))
                    .foreign_key(&mut cascade(
                        SamlLoginFailures::Table,
                        SamlLoginFailures::IdentityProviderId,
                        IdentityProviders::Table,
                        IdentityProviders::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SamlLoginFailures::Table.into_iden(),
            SamlReplays::Table.into_iden(),
            SamlRequests::Table.into_iden(),
            SamlIdentities::Table.into_iden(),
            IdpOrganizations::Table.into_iden(),
            IdpCertificates::Table.into_iden(),
            IdentityProviders::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::ProvisionedOrganizationId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

#[derive(DeriveMigrationName)]
pub struct Migration;
