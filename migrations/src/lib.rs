//! Database schema of Portcullis, one file per migration, applied in order at start-up (`portcullis migrate`).

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261123_000001_foundation;
mod m20261123_000002_saml;
mod m20261130_000003_two_factor_api_keys;
mod m20261130_000004_domains;
mod m20261130_000005_jit_accounts;
mod m20261130_000006_account_merge;
mod m20261130_000007_enforcement_audit;
mod m20261204_000008_idp_session_end;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261123_000002_saml::Migration),
            Box::new(m20261130_000003_two_factor_api_keys::Migration),
            Box::new(m20261130_000004_domains::Migration),
            Box::new(m20261130_000005_jit_accounts::Migration),
            Box::new(m20261130_000006_account_merge::Migration),
            Box::new(m20261130_000007_enforcement_audit::Migration),
            Box::new(m20261204_000008_idp_session_end::Migration),
        ]
    }
}
