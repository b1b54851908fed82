//! SSO enforcement per organization (when and by whom it was switched on), the identity provider revision a session
//! signed in with (enforcement needs a fresh login with the provider's current configuration), role mappings from
//! the identity provider's `groups` attribute, and the audit log of security events.

use sea_orm_migration::prelude::*;

use crate::columns::{add_column, cascade, drop_column, id, reference, text, text_null, time};

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
    SsoEnforcedAt,
    SsoEnforcedBy,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdentityProviderRevision,
}

#[derive(DeriveIden)]
enum LoginChallenges {
    Table,
    IdentityProviderRevision,
}

#[derive(DeriveIden)]
enum RoleMappings {
    Table,
    Id,
    OrganizationId,
    Name,
    Role,
    TeamIds,
    RuleKind,
    GroupPatterns,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    OrganizationId,
    ActorUserId,
    ActorKeyId,
    SubjectUserId,
    Action,
    Outcome,
    Detail,
    IpAddress,
    CreatedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

fn nullable_reference(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_column(
            manager,
            Organizations::Table,
            ColumnDef::new(Organizations::SsoEnforcedAt)
                .timestamp_with_time_zone()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            Organizations::Table,
            nullable_reference(Organizations::SsoEnforcedBy),
        )
        .await?;
        add_column(
            manager,
            Sessions::Table,
            ColumnDef::new(Sessions::IdentityProviderRevision)
                .integer()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            LoginChallenges::Table,
            ColumnDef::new(LoginChallenges::IdentityProviderRevision)
                .integer()
                .null()
                .to_owned(),
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoleMappings::Table)
                    .col(id(RoleMappings::Id))
                    .col(reference(RoleMappings::OrganizationId))
                    .col(text(RoleMappings::Name))
                    .col(text_null(RoleMappings::Role))
                    .col(text(RoleMappings::TeamIds))
                    .col(text(RoleMappings::RuleKind))
                    .col(text(RoleMappings::GroupPatterns))
                    .col(time(RoleMappings::CreatedAt))
                    .col(time(RoleMappings::UpdatedAt))
                    .foreign_key(&mut cascade(
                        RoleMappings::Table,
                        RoleMappings::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .index(
                        Index::create()
                            .unique()
                            .col(RoleMappings::OrganizationId)
                            .col(RoleMappings::Name),
                    )
                    .to_owned(),
            )
            .await?;
        // No foreign keys: the log outlives the people, keys and organizations it names.
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(id(AuditEvents::Id))
                    .col(nullable_reference(AuditEvents::OrganizationId))
                    .col(nullable_reference(AuditEvents::ActorUserId))
                    .col(nullable_reference(AuditEvents::ActorKeyId))
                    .col(nullable_reference(AuditEvents::SubjectUserId))
                    .col(text(AuditEvents::Action))
                    .col(text(AuditEvents::Outcome))
                    .col(text(AuditEvents::Detail))
                    .col(text_null(AuditEvents::IpAddress))
                    .col(time(AuditEvents::CreatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_audit_events_organization", AuditEvents::OrganizationId),
            ("idx_audit_events_subject", AuditEvents::SubjectUserId),
            ("idx_audit_events_actor", AuditEvents::ActorUserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(AuditEvents::Table)
                        .col(column)
                        .col(AuditEvents::CreatedAt)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(RoleMappings::Table).to_owned())
            .await?;
        drop_column(
            manager,
            LoginChallenges::Table,
            LoginChallenges::IdentityProviderRevision,
        )
        .await?;
        drop_column(manager, Sessions::Table, Sessions::IdentityProviderRevision).await?;
        drop_column(manager, Organizations::Table, Organizations::SsoEnforcedBy).await?;
        drop_column(manager, Organizations::Table, Organizations::SsoEnforcedAt).await
    }
}
