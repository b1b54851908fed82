//! Foundation schema: accounts, sessions, one-time email tokens, rate-limit counters, server secrets,
//! organizations with members, invitations and teams, fleets and devices.

use sea_orm_migration::prelude::*;

use crate::columns::{cascade, id, reference, text, text_null, time, time_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    EmailVerifiedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    AuthMethod,
    UserAgent,
    IpAddress,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum EmailTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden)]
enum RateLimits {
    Table,
    Bucket,
    WindowStart,
    Hits,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ServerSecrets {
    Table,
    Name,
    Value,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    Name,
    Handle,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Memberships {
    Table,
    OrganizationId,
    UserId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Invitations {
    Table,
    Id,
    OrganizationId,
    Email,
    Role,
    TokenHash,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    OrganizationId,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    TeamId,
    UserId,
}

#[derive(DeriveIden)]
enum Fleets {
    Table,
    Id,
    Name,
    OwnerUserId,
    OwnerOrganizationId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
    FleetId,
    Uuid,
    Name,
    Status,
    LastSeenAt,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(id(Users::Id))
                    .col(text(Users::Email).unique_key())
                    .col(text(Users::Name))
                    .col(text_null(Users::PasswordHash))
                    .col(time_null(Users::EmailVerifiedAt))
                    .col(time(Users::CreatedAt))
                    .col(time(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(text(Sessions::Id).primary_key())
                    .col(reference(Sessions::UserId))
                    .col(text(Sessions::AuthMethod))
                    .col(text_null(Sessions::UserAgent))
                    .col(text_null(Sessions::IpAddress))
                    .col(time(Sessions::CreatedAt))
                    .col(time(Sessions::LastSeenAt))
                    .col(time(Sessions::ExpiresAt))
                    .foreign_key(&mut cascade(
                        Sessions::Table,
                        Sessions::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EmailTokens::Table)
                    .col(id(EmailTokens::Id))
                    .col(reference(EmailTokens::UserId))
                    .col(text(EmailTokens::Purpose))
                    .col(text(EmailTokens::TokenHash).unique_key())
                    .col(time(EmailTokens::CreatedAt))
                    .col(time(EmailTokens::ExpiresAt))
                    .col(time_null(EmailTokens::UsedAt))
                    .foreign_key(&mut cascade(
                        EmailTokens::Table,
                        EmailTokens::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RateLimits::Table)
                    .col(text(RateLimits::Bucket))
                    .col(
                        ColumnDef::new(RateLimits::WindowStart)
                            .big_integer()
                            .not_null(),
                    )
                    .col(ColumnDef::new(RateLimits::Hits).integer().not_null())
                    .col(time(RateLimits::ExpiresAt))
                    .primary_key(
                        Index::create()
                            .col(RateLimits::Bucket)
                            .col(RateLimits::WindowStart),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ServerSecrets::Table)
                    .col(text(ServerSecrets::Name).primary_key())
                    .col(text(ServerSecrets::Value))
                    .col(time(ServerSecrets::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Organizations::Table)
                    .col(id(Organizations::Id))
                    .col(text(Organizations::Name))
                    .col(text(Organizations::Handle).unique_key())
                    .col(time(Organizations::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Memberships::Table)
                    .col(reference(Memberships::OrganizationId))
                    .col(reference(Memberships::UserId))
                    .col(text(Memberships::Role))
                    .col(time(Memberships::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Memberships::OrganizationId)
                            .col(Memberships::UserId),
                    )
                    .foreign_key(&mut cascade(
                        Memberships::Table,
                        Memberships::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(&mut cascade(
                        Memberships::Table,
                        Memberships::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Invitations::Table)
                    .col(id(Invitations::Id))
                    .col(reference(Invitations::OrganizationId))
                    .col(text(Invitations::Email))
                    .col(text(Invitations::Role))
                    .col(text(Invitations::TokenHash).unique_key())
                    .col(ColumnDef::new(Invitations::InvitedBy).big_integer().null())
                    .col(time(Invitations::CreatedAt))
                    .col(time(Invitations::ExpiresAt))
                    .col(time_null(Invitations::AcceptedAt))
                    .foreign_key(&mut cascade(
                        Invitations::Table,
                        Invitations::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Invitations::Table, Invitations::InvitedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Teams::Table)
                    .col(id(Teams::Id))
                    .col(reference(Teams::OrganizationId))
                    .col(text(Teams::Name))
                    .col(time(Teams::CreatedAt))
                    .foreign_key(&mut cascade(
                        Teams::Table,
                        Teams::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_teams_org_name")
                    .table(Teams::Table)
                    .col(Teams::OrganizationId)
                    .col(Teams::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TeamMembers::Table)
                    .col(reference(TeamMembers::TeamId))
                    .col(reference(TeamMembers::UserId))
                    .primary_key(
                        Index::create()
                            .col(TeamMembers::TeamId)
                            .col(TeamMembers::UserId),
                    )
                    .foreign_key(&mut cascade(
                        TeamMembers::Table,
                        TeamMembers::TeamId,
                        Teams::Table,
                        Teams::Id,
                    ))
                    .foreign_key(&mut cascade(
                        TeamMembers::Table,
                        TeamMembers::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Fleets::Table)
                    .col(id(Fleets::Id))
                    .col(text(Fleets::Name))
                    .col(ColumnDef::new(Fleets::OwnerUserId).big_integer().null())
                    .col(
                        ColumnDef::new(Fleets::OwnerOrganizationId)
                            .big_integer()
                            .null(),
                    )
                    .col(time(Fleets::CreatedAt))
                    .foreign_key(&mut cascade(
                        Fleets::Table,
                        Fleets::OwnerUserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        Fleets::Table,
                        Fleets::OwnerOrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        // A fleet's name is unique per owner (NULL owners do not collide, so each index covers one kind of owner).
        for (name, owner) in [
            ("idx_fleets_user_name", Fleets::OwnerUserId),
            ("idx_fleets_organization_name", Fleets::OwnerOrganizationId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Fleets::Table)
                        .col(owner)
                        .col(Fleets::Name)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Devices::Table)
                    .col(id(Devices::Id))
                    .col(reference(Devices::FleetId))
                    .col(text(Devices::Uuid).unique_key())
                    .col(text(Devices::Name))
                    .col(text(Devices::Status))
                    .col(time_null(Devices::LastSeenAt))
                    .col(time(Devices::CreatedAt))
                    .foreign_key(&mut cascade(
                        Devices::Table,
                        Devices::FleetId,
                        Fleets::Table,
                        Fleets::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Devices::Table.into_iden(),
            Fleets::Table.into_iden(),
            TeamMembers::Table.into_iden(),
            Teams::Table.into_iden(),
            Invitations::Table.into_iden(),
            Memberships::Table.into_iden(),
            Organizations::Table.into_iden(),
            ServerSecrets::Table.into_iden(),
            RateLimits::Table.into_iden(),
            EmailTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
