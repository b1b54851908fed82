//! Claimed email domains of organizations, proven with a DNS TXT record. A domain may be claimed by several
//! organizations while pending, but verified by one only: `verified_domain` is set on verification and unique.

use sea_orm_migration::prelude::*;

use crate::columns::{cascade, id, reference, text, text_null, time, time_null};

#[derive(DeriveIden)]
enum Domains {
    Table,
    Id,
    OrganizationId,
    Domain,
    Challenge,
    VerifiedDomain,
    VerifiedAt,
    LastCheckedAt,
    LastCheckResult,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Domains::Table)
                    .col(id(Domains::Id))
                    .col(reference(Domains::OrganizationId))
                    .col(text(Domains::Domain))
                    .col(text(Domains::Challenge))
                    .col(text_null(Domains::VerifiedDomain).unique_key())
                    .col(time_null(Domains::VerifiedAt))
                    .col(time_null(Domains::LastCheckedAt))
                    .col(text_null(Domains::LastCheckResult))
                    .col(time(Domains::CreatedAt))
                    .foreign_key(&mut cascade(
                        Domains::Table,
                        Domains::OrganizationId,
                        Organizations::Table,
                        Organizations::Id,
                    ))
                    .index(
                        Index::create()
                            .unique()
                            .col(Domains::OrganizationId)
                            .col(Domains::Domain),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Domains::Table).to_owned())
            .await
    }
}
