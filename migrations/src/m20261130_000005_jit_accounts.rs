//! The just-in-time account policy of an identity provider: off unless an administrator turns it on.

use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum IdentityProviders {
    Table,
    AllowJitAccounts,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(IdentityProviders::Table)
                    .add_column(
                        ColumnDef::new(IdentityProviders::AllowJitAccounts)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(IdentityProviders::Table)
                    .drop_column(IdentityProviders::AllowJitAccounts)
                    .to_owned(),
            )
            .await
    }
}
